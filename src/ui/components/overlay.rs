//! Several runs' results of one type drawn together (the compare page): every run's result fetched reduced to
//! the canvas's width, as for its own plot, all requests in flight at once, then drawn by `plots::overlay` (curves
//! in the runs' colours) or `plots::field_compare` (fields on one colour scale, with difference maps).

use leptos::html::Canvas;
use leptos::prelude::*;

use crate::model::{ResultId, ResultType};
use crate::ui::components::canvas::use_canvas_size;

/// Curves: `Solution1D`, `DiscreteSequence`, `OptimizationResult`, `StochasticEnsemble`.
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
    browser::curves(results, baseline, log_y, canvas, size, (drawn, error));
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

/// Several runs' `Solution2D` (`plots::field_compare`): a panel per run on one colour scale, and a difference
/// map per run against the baseline; hovering reads the same point in every panel.
#[component]
pub fn FieldsPlot(
    results: Vec<Option<ResultId>>,
    baseline: usize,
    labels: Vec<String>,
) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let size = use_canvas_size(canvas);
    let drawn = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let readout = RwSignal::new(None::<String>);
    // Rows of panels: the page sizes the canvas to them once the data says how many.
    let rows = RwSignal::new(2usize);
    let scale = RwSignal::new(String::new());
    let difference_box = RwSignal::new(String::new());
    #[cfg(feature = "hydrate")]
    let pointer = browser::fields(
        results,
        baseline,
        labels,
        canvas,
        size,
        (drawn, error, rows, scale, difference_box),
    );
    #[cfg(not(feature = "hydrate"))]
    let _ = (results, baseline, labels, size);
    let hover = move |event: leptos::ev::MouseEvent| {
        #[cfg(feature = "hydrate")]
        readout.set(pointer.readout(event.offset_x(), event.offset_y()));
        #[cfg(not(feature = "hydrate"))]
        let _ = event;
    };
    view! {
        <div class="plot">
            <canvas
                node_ref=canvas
                class="fields"
                width="800"
                height="520"
                style=move || format!("aspect-ratio: auto; height: {}px", rows.get() * 260)
                data-testid="fields"
                data-drawn=move || drawn.get().to_string()
                data-scale=move || scale.get()
                data-difference=move || difference_box.get()
                on:mousemove=hover
                on:mouseleave=move |_| readout.set(None)
            ></canvas>
            <div class="readout" data-testid="fields-readout">{move || readout.get().unwrap_or_default()}</div>
            {move || error.get().map(|e| view! { <p class="problem">{e}</p> })}
        </div>
    }
}

#[cfg(feature = "hydrate")]
pub(crate) use browser::fetch_all;

#[cfg(feature = "hydrate")]
mod browser {
    use std::sync::Arc;

    use leptos::html::Canvas;
    use leptos::prelude::*;

    use crate::model::ResultId;
    use crate::plots::chart::Display;
    use crate::plots::field_compare::{draw_fields, FieldSet, Panel, Shown};
    use crate::plots::overlay::{draw_overlay, Curve};
    use crate::plots::solution2d::Solution2D;
    use crate::plots::view::PlotData;
    use crate::ui::components::canvas::{drawing_area, CanvasSize};

    /// Each run's view (`None` for a run without the result), once all have arrived.
    pub(crate) type Views = Vec<Option<Result<PlotData, String>>>;

    /// Fetches every run's view reduced to `divide`-th of the canvas's width, all at once, again when the width
    /// changes (in steps, so that a small resize does not re-fetch).
    pub(crate) fn fetch_all(
        results: Vec<Option<ResultId>>,
        size: ReadSignal<Option<CanvasSize>>,
        divide: impl Fn() -> u32 + 'static,
    ) -> LocalResource<Option<Views>> {
        let columns = RwSignal::new(None::<u32>);
        Effect::new(move |_| {
            let wanted = size
                .get()
                .map(|s| (s.buffer().0 / divide().max(1)).div_ceil(128) * 128);
            if wanted != columns.get_untracked() {
                columns.set(wanted);
            }
        });
        LocalResource::new(move || {
            let columns = columns.get();
            let results = results.clone();
            async move {
                let c = columns?;
                let each = results.into_iter().map(|r| async move {
                    let id = r?;
                    Some(
                        crate::ui::server_fns::result_view(id.to_string(), c, None, None)
                            .await
                            .map_err(|e| e.to_string()),
                    )
                });
                Some(futures::future::join_all(each).await)
            }
        })
    }

    /// Each run's view as `T`, with the first run's display; the first error otherwise.
    fn parse<T>(
        views: Views,
        of: impl Fn(&PlotData) -> Result<T, String>,
    ) -> Result<(Vec<Option<T>>, Display), String> {
        let mut display = None;
        let mut out = Vec::with_capacity(views.len());
        for view in views {
            out.push(match view {
                None => None,
                Some(view) => {
                    let view = view?;
                    display.get_or_insert_with(|| Display::from_json(&view.payload.display_json));
                    Some(of(&view)?)
                }
            });
        }
        Ok((out, display.unwrap_or_default()))
    }

    pub fn curves(
        results: Vec<Option<ResultId>>,
        baseline: usize,
        log_y: bool,
        canvas: NodeRef<Canvas>,
        size: ReadSignal<Option<CanvasSize>>,
        (drawn, error): (RwSignal<bool>, RwSignal<Option<String>>),
    ) {
        let fetched = fetch_all(results, size, || 1);
        Effect::new(move |_| {
            let (Some(Some(views)), Some(element), Some(size)) =
                (fetched.get(), canvas.get(), size.get())
            else {
                return;
            };
            let result = parse(views, Curve::of).and_then(|(curves, display)| {
                draw_overlay(
                    &drawing_area(element, size)?,
                    &curves,
                    baseline,
                    &display,
                    log_y,
                )
            });
            drawn.set(result.is_ok());
            error.set(result.err());
        });
    }

    /// A drawn set of fields and where each panel lies.
    type DrawnFields = Arc<(FieldSet, Vec<Panel>)>;

    /// What the fields' read-out needs: the set and where each panel lies.
    #[derive(Clone, Copy)]
    pub struct FieldsPointer {
        drawn: RwSignal<Option<DrawnFields>>,
        labels: StoredValue<Vec<String>>,
    }

    impl FieldsPointer {
        /// Every panel's value at the point under the pointer, when it is over a panel.
        pub fn readout(&self, px: i32, py: i32) -> Option<String> {
            let drawn = self.drawn.get_untracked()?;
            let (set, panels) = &*drawn;
            let (x, y) = panels.iter().find_map(|p| p.frame.data_xy(px, py))?;
            Some(self.labels.with_value(|labels| set.readout(x, y, labels)))
        }
    }

    type FieldSignals = (
        RwSignal<bool>,
        RwSignal<Option<String>>,
        RwSignal<usize>,
        RwSignal<String>,
        RwSignal<String>,
    );

    pub fn fields(
        results: Vec<Option<ResultId>>,
        baseline: usize,
        labels: Vec<String>,
        canvas: NodeRef<Canvas>,
        size: ReadSignal<Option<CanvasSize>>,
        (drawn, error, rows, scale, difference_box): FieldSignals,
    ) -> FieldsPointer {
        let present = results.iter().flatten().count().clamp(1, 4) as u32;
        let pointer = FieldsPointer {
            drawn: RwSignal::new(None),
            labels: StoredValue::new(labels),
        };
        let fetched = fetch_all(results, size, move || present);
        Effect::new(move |_| {
            let (Some(Some(views)), Some(element), Some(size)) =
                (fetched.get(), canvas.get(), size.get())
            else {
                return;
            };
            let result = parse(views, Solution2D::from_view).and_then(|(fields, display)| {
                let set = FieldSet::new(fields, baseline);
                if set.rows() != rows.get_untracked() {
                    // The canvas grows to the rows first; the resize draws again.
                    rows.set(set.rows());
                }
                let panels = pointer.labels.with_value(|labels| {
                    draw_fields(&drawing_area(element, size)?, &set, labels, &display)
                })?;
                scale.set(format!("{},{}", set.scale.0, set.scale.1));
                difference_box.set(
                    panels
                        .iter()
                        .find(|p| matches!(p.shown, Shown::Difference(_)))
                        .map(|p| {
                            format!(
                                "{},{},{},{}",
                                p.frame.px.0, p.frame.py.0, p.frame.px.1, p.frame.py.1
                            )
                        })
                        .unwrap_or_default(),
                );
                pointer.drawn.set(Some(Arc::new((set, panels))));
                Ok(())
            });
            drawn.set(result.is_ok());
            error.set(result.err());
        });
        pointer
    }
}
