//! A result's plot: fetches the arrays (postcard, reduced on the server to the canvas's resolution) in the
//! browser and draws them on a canvas with the renderer of the result's type (`plots::draw_result`). Every plot
//! reads out what lies under the pointer; plots over x or t (`Solution1D`, `DiscreteSequence`,
//! `OptimizationResult`, `StochasticEnsemble`) zoom: drag to zoom into a range, shift-drag to pan, the wheel to
//! zoom about the pointer, double-click to reset. A zoom re-fetches the view, down to the raw points.

use leptos::html::Canvas;
use leptos::prelude::*;

use crate::model::{ResultId, ResultType};
use crate::plots::Choices;
use crate::ui::components::canvas::use_canvas_size;
use crate::ui::components::export::ExportLinks;

/// The canvas's first drawing buffer, in the server's HTML; the browser resizes it to the element's size.
const WIDTH: u32 = 800;
const HEIGHT: u32 = 440;

#[component]
pub fn ResultPlot(id: ResultId, result_type: ResultType, npy_fields: Vec<String>) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let (drawn, set_drawn) = signal(false);
    let (error, set_error) = signal(None::<String>);
    let readout = RwSignal::new(None::<String>);
    let skipped = RwSignal::new(0usize);
    // The x range shown, when zoomed.
    let view = RwSignal::new(None::<(f64, f64)>);
    // The type's own controls: the ensemble's histogram time, the optimisation's log axis.
    let choices = RwSignal::new(Choices::default());
    let log_refused = RwSignal::new(None::<String>);
    let times = RwSignal::new(0usize);
    let auto_log = RwSignal::new(false);
    let size = use_canvas_size(canvas);

    #[cfg(feature = "hydrate")]
    let interaction = browser::Interaction::new();
    #[cfg(feature = "hydrate")]
    {
        // The device pixel columns, in steps so that a small resize does not re-fetch.
        let columns = RwSignal::new(None::<u32>);
        Effect::new(move |_| {
            let wanted = size.get().map(|s| s.buffer().0.div_ceil(128) * 128);
            if wanted != columns.get_untracked() {
                columns.set(wanted);
            }
        });
        // Re-fetched on zoom and resize: the server reduces long series to what the canvas can show.
        // An ensemble's histogram time is chosen on the server too, for a reduced ensemble.
        // (Read in the fetcher itself: a `Memo` read there did not re-run it when it changed.)
        let ensemble = result_type == ResultType::StochasticEnsemble;
        let data = LocalResource::new(move || {
            let (columns, view) = (columns.get(), view.get());
            let time = if ensemble {
                choices.get().time_index
            } else {
                None
            };
            async move {
                match columns {
                    Some(c) => Some(
                        crate::ui::server_fns::result_view(id.to_string(), c, view, time).await,
                    ),
                    None => None,
                }
            }
        });
        Effect::new(move |_| {
            let (Some(Some(result)), Some(element), Some(size), view, choices) = (
                data.get(),
                canvas.get(),
                size.get(),
                view.get(),
                choices.get(),
            ) else {
                return;
            };
            if let Ok(payload) = &result {
                skipped.set(crate::plots::reduce::non_finite_count(payload));
                times.set(payload.array("t").map_or(0, |t| t.len()));
                let optimization = crate::plots::optimization::Optimization::from_payload(payload);
                auto_log.set(optimization.as_ref().is_ok_and(|o| o.wants_log_scale()));
                log_refused.set(
                    optimization
                        .ok()
                        .and_then(|o| o.log_refused(choices.log_scale)),
                );
            }
            let choices = Choices { view, ..choices };
            match result
                .map_err(|e| e.to_string())
                .and_then(|payload| browser::draw(element, size, &payload, choices))
            {
                Ok(drawn) => {
                    interaction.drawn.set(Some(std::sync::Arc::new(drawn)));
                    set_drawn.set(true);
                }
                Err(e) => set_error.set(Some(e)),
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (id, size, set_drawn, set_error, auto_log);

    // The handlers do their work only in the browser; on the server they are never called.
    let on_move = move |_event: leptos::ev::MouseEvent| {
        #[cfg(feature = "hydrate")]
        readout.set(interaction.readout(&_event));
    };
    let on_down = move |_event: leptos::ev::MouseEvent| {
        #[cfg(feature = "hydrate")]
        interaction.press(&_event);
    };
    let on_up = move |_event: leptos::ev::MouseEvent| {
        #[cfg(feature = "hydrate")]
        if let Some(range) = interaction.release(&_event) {
            view.set(Some(range));
        }
    };
    let on_wheel = move |_event: leptos::ev::WheelEvent| {
        #[cfg(feature = "hydrate")]
        if let Some(range) = interaction.wheel(&_event) {
            _event.prevent_default();
            view.set(Some(range));
        }
    };

    let controls = match result_type {
        ResultType::StochasticEnsemble => view! {
            <div class="controls">
                <label>
                    "Histogram at time "
                    <input
                        type="range"
                        class="time-slider"
                        aria-label="Histogram time"
                        min="0"
                        max=move || times.get().saturating_sub(1).to_string()
                        prop:value=move || {
                            choices.get().time_index.unwrap_or(times.get().saturating_sub(1)).to_string()
                        }
                        on:input=move |ev| {
                            let index = event_target_value(&ev).parse().ok();
                            choices.update(|c| c.time_index = index);
                        }
                    />
                </label>
            </div>
        }
        .into_any(),
        ResultType::OptimizationResult => view! {
            <div class="controls">
                <label>
                    <input
                        type="checkbox"
                        class="log-scale"
                        prop:checked=move || choices.get().log_scale.unwrap_or(auto_log.get())
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            choices.update(|c| c.log_scale = Some(on));
                        }
                    />
                    " Log-scale loss"
                </label>
            </div>
        }
        .into_any(),
        ResultType::Solution1D
        | ResultType::Solution2D
        | ResultType::DiscreteSequence
        | ResultType::PhysicsAnimation
        | ResultType::Other(_) => ().into_any(),
    };

    view! {
        <div class="plot">
            <canvas
                node_ref=canvas
                width=WIDTH
                height=HEIGHT
                data-drawn=move || drawn.get().to_string()
                data-view=move || view.get().map(|(lo, hi)| format!("{lo},{hi}")).unwrap_or_default()
                on:mousemove=on_move
                on:mouseleave=move |_| readout.set(None)
                on:mousedown=on_down
                on:mouseup=on_up
                on:wheel=on_wheel
                on:dblclick=move |_| view.set(None)
            ></canvas>
            {controls}
            <div class="readout" data-testid="readout">
                {move || readout.get().unwrap_or_default()}
            </div>
            {move || {
                let n = skipped.get();
                (n > 0)
                    .then(|| {
                        view! {
                            <p class="note" data-testid="skipped">
                                {format!("{n} NaN or infinite value{} not drawn", if n == 1 { "" } else { "s" })}
                            </p>
                        }
                    })
            }}
            {move || {
                log_refused.get().map(|why| view! { <p class="note" data-testid="log-refused">{why}</p> })
            }}
            <ExportLinks id canvas npy_fields />
            {move || error.get().map(|e| view! { <p class="problem">{e}</p> })}
        </div>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::sync::Arc;

    use leptos::prelude::*;
    use web_sys::{HtmlCanvasElement, MouseEvent, WheelEvent};

    use crate::model::ResultPayload;
    use crate::plots::{draw_result, Choices, Drawn, Frame};
    use crate::ui::components::canvas::{drawing_area, CanvasSize};

    /// A drag shorter than this many pixels is a click, not a zoom.
    const MIN_DRAG: i32 = 5;

    /// The x axis of a plot that zooms.
    fn zoom_frame(drawn: &Drawn) -> Option<Frame> {
        match drawn {
            Drawn::Line {
                frame, zooms: true, ..
            } => Some(*frame),
            _ => None,
        }
    }

    /// The pointer's state over one plot. Positions are in CSS pixels, which plots draw in.
    #[derive(Clone, Copy)]
    pub struct Interaction {
        pub drawn: RwSignal<Option<Arc<Drawn>>>,
        /// Where a drag started and whether it pans.
        drag: RwSignal<Option<(i32, bool)>>,
    }

    impl Interaction {
        pub fn new() -> Self {
            Self {
                drawn: RwSignal::new(None),
                drag: RwSignal::new(None),
            }
        }

        pub fn readout(&self, event: &MouseEvent) -> Option<String> {
            match &*self.drawn.get_untracked()? {
                Drawn::Line { data, frame, .. } => data.readout(frame.data_x(event.offset_x())?),
                Drawn::Heatmap { data, frame } => {
                    let (x, y) = frame.data_xy(event.offset_x(), event.offset_y())?;
                    data.readout(x, y)
                }
            }
        }

        pub fn press(&self, event: &MouseEvent) {
            self.drag.set(Some((event.offset_x(), event.shift_key())));
        }

        /// Ends a drag: the x range to show next, if it was a zoom or a pan.
        pub fn release(&self, event: &MouseEvent) -> Option<(f64, f64)> {
            let (start, pan) = self.drag.get_untracked()?;
            self.drag.set(None);
            let frame = zoom_frame(&*self.drawn.get_untracked()?)?;
            let end = event.offset_x().clamp(frame.px.0, frame.px.1);
            let start = start.clamp(frame.px.0, frame.px.1);
            if (end - start).abs() < MIN_DRAG {
                return None;
            }
            let (a, b) = (frame.data_x(start)?, frame.data_x(end)?);
            if pan {
                let shift = a - b;
                Some((frame.x.0 + shift, frame.x.1 + shift))
            } else {
                Some((a.min(b), a.max(b)))
            }
        }

        /// Zooms about the pointer: in on wheel up, out on wheel down.
        pub fn wheel(&self, event: &WheelEvent) -> Option<(f64, f64)> {
            let frame = zoom_frame(&*self.drawn.get_untracked()?)?;
            let at = frame.data_x(event.offset_x())?;
            let factor = if event.delta_y() < 0.0 { 0.8 } else { 1.25 };
            Some((
                at - (at - frame.x.0) * factor,
                at + (frame.x.1 - at) * factor,
            ))
        }
    }

    /// Draws the result at the canvas's size, returning what the read-out and zoom need.
    pub fn draw(
        canvas: HtmlCanvasElement,
        size: CanvasSize,
        payload: &ResultPayload,
        choices: Choices,
    ) -> Result<Drawn, String> {
        draw_result(&drawing_area(canvas, size)?, payload, choices)
    }
}
