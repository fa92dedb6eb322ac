//! Several runs' results of one type drawn together (the compare page): each run's result fetched reduced to the
//! canvas's width, as for its own plot, all at once, then drawn by `plots::overlay` in the runs' colours.

use leptos::html::Canvas;
use leptos::prelude::*;

use crate::model::{ResultId, ResultType};
use crate::ui::components::canvas::use_canvas_size;

#[component]
pub fn OverlayPlot(
    results: Vec<Option<ResultId>>,
    result_type: ResultType,
    baseline: usize,
) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let size = use_canvas_size(canvas);
    let drawn = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let log_y = result_type == ResultType::OptimizationResult;
    #[cfg(feature = "hydrate")]
    {
        use crate::plots::overlay::{draw_overlay, Curve};

        // The device pixel columns, in steps so that a small resize does not re-fetch.
        let columns = RwSignal::new(None::<u32>);
        Effect::new(move |_| {
            let wanted = size.get().map(|s| s.buffer().0.div_ceil(128) * 128);
            if wanted != columns.get_untracked() {
                columns.set(wanted);
            }
        });
        // One request per run, all in flight together; re-fetched when the canvas's width changes.
        let fetched = LocalResource::new(move || {
            let columns = columns.get();
            let results = results.clone();
            async move {
                let c = columns?;
                let each = results.into_iter().map(|r| async move {
                    match r {
                        Some(id) => Some(
                            crate::ui::server_fns::result_view(id.to_string(), c, None, None)
                                .await
                                .map_err(|e| e.to_string()),
                        ),
                        None => None,
                    }
                });
                Some(futures::future::join_all(each).await)
            }
        });
        Effect::new(move |_| {
            let (Some(Some(answers)), Some(element), Some(size)) =
                (fetched.get(), canvas.get(), size.get())
            else {
                return;
            };
            let mut curves: Vec<Option<Curve>> = Vec::with_capacity(answers.len());
            let mut display = None;
            for answer in answers {
                let Some(answer) = answer else {
                    curves.push(None);
                    continue;
                };
                match answer.and_then(|v| {
                    display.get_or_insert_with(|| v.payload.display_json.clone());
                    Curve::of(&v)
                }) {
                    Ok(c) => curves.push(Some(c)),
                    Err(e) => {
                        error.set(Some(e));
                        return;
                    }
                }
            }
            let display = crate::plots::chart::Display::from_json(&display.unwrap_or_default());
            let result = crate::ui::components::canvas::drawing_area(element, size)
                .and_then(|area| draw_overlay(&area, &curves, baseline, &display, log_y));
            drawn.set(result.is_ok());
            error.set(result.err());
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (results, baseline, log_y, size);
    view! {
        <div class="plot">
            <canvas
                node_ref=canvas
                class="overlay"
                width="800"
                height="440"
                data-testid="overlay"
                data-type=result_type.as_str().to_owned()
                data-drawn=move || drawn.get().to_string()
            ></canvas>
            {move || error.get().map(|e| view! { <p class="problem">{e}</p> })}
        </div>
    }
}
