//! Several runs' `PhysicsAnimation` on one timeline (the compare page): a panel per run on one canvas, and one
//! player — play, pause, scrub — for all of them. The timeline is the run with the most frames; each run shows
//! its frame nearest to that frame's time (`t` when the result gives it, else frame / fps).

use leptos::html::Canvas;
use leptos::prelude::*;

use crate::model::ResultId;
use crate::ui::components::animation::PlayControls;
use crate::ui::components::canvas::use_canvas_size;
use crate::ui::components::export::PngButton;

/// The player shared by every panel.
#[derive(Clone, Copy)]
pub(crate) struct Shared {
    /// The frame of the timeline shown.
    pub frame: RwSignal<usize>,
    /// How many frames the timeline has.
    pub count: RwSignal<usize>,
    pub playing: RwSignal<bool>,
    /// Each panel's frame, as drawn (`data-frames`).
    pub frames: RwSignal<String>,
    /// The timeline's time at `frame`.
    pub time: RwSignal<f64>,
    pub drawn: RwSignal<bool>,
    pub error: RwSignal<Option<String>>,
}

#[component]
pub fn TimelinePlot(results: Vec<Option<ResultId>>, labels: Vec<String>) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let size = use_canvas_size(canvas);
    let shared = Shared {
        frame: RwSignal::new(0),
        count: RwSignal::new(0),
        playing: RwSignal::new(false),
        frames: RwSignal::new(String::new()),
        time: RwSignal::new(0.0),
        drawn: RwSignal::new(false),
        error: RwSignal::new(None),
    };
    #[cfg(feature = "hydrate")]
    browser::start(results, labels, canvas, size, shared);
    #[cfg(not(feature = "hydrate"))]
    let _ = (results, labels, size);
    let Shared {
        frame,
        count,
        playing,
        frames,
        time,
        drawn,
        error,
    } = shared;
    view! {
        <div class="plot animation">
            <canvas
                node_ref=canvas
                class="timeline"
                width="800"
                height="360"
                data-testid="timeline"
                data-drawn=move || drawn.get().to_string()
                data-frame=move || frame.get().to_string()
                data-frames=move || frames.get()
            ></canvas>
            <div class="controls">
                <PlayControls frame count playing label="Time" />
                <span class="muted">
                    {move || format!("frame {} of {} · t = {:.4}", frame.get() + 1, count.get(), time.get())}
                </span>
            </div>
            <div class="export">
                <span class="muted">"Export: "</span>
                <PngButton canvas file_name="compare-PhysicsAnimation.png".to_owned() />
            </div>
            {move || error.get().map(|e| view! { <p class="problem">{e}</p> })}
        </div>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::sync::Arc;
    use std::time::Duration;

    use leptos::html::Canvas;
    use leptos::prelude::*;
    use plotters::prelude::*;

    use super::Shared;
    use crate::model::ResultId;
    use crate::plots::animation::{draw_frame, Animation};
    use crate::plots::chart::Display;
    use crate::ui::components::canvas::{drawing_area, CanvasSize};
    use crate::ui::components::compared::{fetch_all, Ask};

    /// A run's panel: its label, its animation and its display options.
    type Panel = (String, Animation, Display);

    pub fn start(
        results: Vec<Option<ResultId>>,
        labels: Vec<String>,
        canvas: NodeRef<Canvas>,
        size: ReadSignal<Option<CanvasSize>>,
        shared: Shared,
    ) {
        let panels = results.iter().flatten().count().max(1) as u32;
        let fetched = fetch_all(results, size, move || panels, Ask::default);
        let loaded: RwSignal<Option<Arc<Vec<Panel>>>> = RwSignal::new(None);
        Effect::new(move |_| {
            let Some(Some(views)) = fetched.get() else {
                return;
            };
            let mut animations = Vec::new();
            for (i, view) in views.into_iter().enumerate() {
                let Some(view) = view else { continue };
                let parsed = view.and_then(|v| {
                    let display = Display::from_json(&v.payload.display_json);
                    Animation::from_view(&v).map(|a| (a, display))
                });
                match parsed {
                    Ok((a, d)) => {
                        animations.push((labels.get(i).cloned().unwrap_or_default(), a, d))
                    }
                    Err(e) => {
                        shared.error.set(Some(e));
                        return;
                    }
                }
            }
            // The timeline: the run with the most frames.
            let Some(reference) = animations.iter().map(|(_, a, _)| a).max_by_key(|a| a.count)
            else {
                return;
            };
            shared.count.set(reference.count);
            tick_every(Duration::from_secs_f64(1.0 / reference.fps), shared);
            loaded.set(Some(Arc::new(animations)));
        });
        Effect::new(move |_| {
            let (Some(loaded), Some(element), Some(size), frame) =
                (loaded.get(), canvas.get(), size.get(), shared.frame.get())
            else {
                return;
            };
            let reference = loaded
                .iter()
                .map(|(_, a, _)| a)
                .max_by_key(|a| a.count)
                .expect("loaded");
            let t = reference.time_of(frame.min(reference.count.saturating_sub(1)));
            let shown: Vec<usize> = loaded.iter().map(|(_, a, _)| a.frame_at(t)).collect();
            let result = drawing_area(element, size).and_then(|area| {
                area.fill(&WHITE)
                    .map_err(crate::plots::chart::drawing_error)?;
                let cells = area.split_evenly((1, loaded.len().max(1)));
                for ((label, animation, display), (cell, k)) in
                    loaded.iter().zip(cells.iter().zip(&shown))
                {
                    let display = Display {
                        title: Some(label.clone()),
                        ..display.clone()
                    };
                    draw_frame(cell, animation, *k, &display)?;
                }
                Ok(())
            });
            shared.time.set(t);
            shared.frames.set(
                shown
                    .iter()
                    .map(usize::to_string)
                    .collect::<Vec<_>>()
                    .join(","),
            );
            shared.drawn.set(result.is_ok());
            shared.error.set(result.err());
        });
    }

    /// Advances the timeline while playing, one frame per tick, looping.
    fn tick_every(interval: Duration, shared: Shared) {
        let handle = set_interval_with_handle(
            move || {
                if !shared.playing.get_untracked() {
                    return;
                }
                let count = shared.count.get_untracked().max(1);
                shared.frame.set((shared.frame.get_untracked() + 1) % count);
            },
            interval,
        );
        if let Ok(handle) = handle {
            on_cleanup(move || handle.clear());
        }
    }
}
