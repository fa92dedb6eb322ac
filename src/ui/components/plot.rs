//! A result's plot: fetches the arrays (postcard) in the browser and draws them on a canvas with the renderer
//! of the result's type (`plots::draw_result`). `Solution1D` plots also read out the point under the pointer
//! and zoom: drag to zoom into an x range, shift-drag to pan, the wheel to zoom about the pointer, and
//! double-click to reset.

use leptos::html::Canvas;
use leptos::prelude::*;

use crate::model::ResultId;
use crate::plots::Choices;
use crate::ui::components::export::ExportLinks;

/// The canvas's drawing buffer; CSS scales it to the card's width.
const WIDTH: u32 = 800;
const HEIGHT: u32 = 440;

#[component]
pub fn ResultPlot(id: ResultId, result_type: String, npy_fields: Vec<String>) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let (drawn, set_drawn) = signal(false);
    let (error, set_error) = signal(None::<String>);
    let readout = RwSignal::new(None::<String>);
    let skipped = RwSignal::new(0usize);
    // The x range shown, when zoomed.
    let view = RwSignal::new(None::<(f64, f64)>);
    // The type's own controls: the ensemble's histogram time, the optimisation's log axis.
    let choices = RwSignal::new(Choices::default());
    let times = RwSignal::new(0usize);
    let auto_log = RwSignal::new(false);

    #[cfg(feature = "hydrate")]
    let interaction = browser::Interaction::new();
    #[cfg(feature = "hydrate")]
    {
        // Re-fetched on zoom: the server reduces long series to what the canvas can show of the view.
        let data = LocalResource::new(move || {
            crate::ui::server_fns::result_view(id.to_string(), WIDTH, view.get())
        });
        Effect::new(move |_| {
            let (Some(result), Some(element), view, choices) =
                (data.get(), canvas.get(), view.get(), choices.get())
            else {
                return;
            };
            if let Ok(payload) = &result {
                skipped.set(payload.non_finite_count());
                times.set(payload.array("t").map_or(0, |t| t.len()));
                auto_log.set(
                    crate::plots::optimization::Optimization::from_payload(payload)
                        .is_ok_and(|o| o.wants_log_scale()),
                );
            }
            match result
                .map_err(|e| e.to_string())
                .and_then(|payload| browser::draw(element, &payload, view, choices))
            {
                Ok(hover) => {
                    interaction.hover.set(hover.map(std::sync::Arc::new));
                    set_drawn.set(true);
                }
                Err(e) => set_error.set(Some(e)),
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (id, set_drawn, set_error, auto_log);

    // The handlers do their work only in the browser; on the server they are never called.
    let on_move = move |_event: leptos::ev::MouseEvent| {
        #[cfg(feature = "hydrate")]
        if let Some(c) = canvas.get_untracked() {
            readout.set(interaction.readout(&c, &_event));
        }
    };
    let on_down = move |_event: leptos::ev::MouseEvent| {
        #[cfg(feature = "hydrate")]
        if let Some(c) = canvas.get_untracked() {
            interaction.press(&c, &_event);
        }
    };
    let on_up = move |_event: leptos::ev::MouseEvent| {
        #[cfg(feature = "hydrate")]
        if let Some(c) = canvas.get_untracked() {
            if let Some(range) = interaction.release(&c, &_event) {
                view.set(Some(range));
            }
        }
    };
    let on_wheel = move |_event: leptos::ev::WheelEvent| {
        #[cfg(feature = "hydrate")]
        if let Some(c) = canvas.get_untracked() {
            if let Some(range) = interaction.wheel(&c, &_event) {
                _event.prevent_default();
                view.set(Some(range));
            }
        }
    };

    let controls = match result_type.as_str() {
        "StochasticEnsemble" => view! {
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
        "OptimizationResult" => view! {
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
        _ => ().into_any(),
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
            <ExportLinks id canvas npy_fields />
            {move || error.get().map(|e| view! { <p class="problem">{e}</p> })}
        </div>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::sync::Arc;

    use leptos::prelude::*;
    use plotters::prelude::IntoDrawingArea;
    use plotters_canvas::CanvasBackend;
    use web_sys::{HtmlCanvasElement, MouseEvent, WheelEvent};

    use crate::model::ResultPayload;
    use crate::plots::draw_result;
    use crate::plots::optimization::{self, Optimization};
    use crate::plots::sequence::{self, Sequence};
    use crate::plots::solution1d::{self, Solution1D};
    use crate::plots::solution2d::{self, Solution2D};
    use crate::plots::{Choices, Display, Frame, Frame2D, ReadOut};

    /// A drag shorter than this many pixels is a click, not a zoom.
    const MIN_DRAG: i32 = 5;

    /// What the read-out and zoom need: the data and where its axes were drawn.
    pub enum Hover {
        /// A plot over x; `zooms` when it redraws a view of x.
        Line {
            data: Box<dyn ReadOut + Send + Sync>,
            frame: Frame,
            zooms: bool,
        },
        Heatmap {
            data: Solution2D,
            frame: Frame2D,
        },
    }

    impl Hover {
        /// The x axis of a plot that zooms.
        fn zoom_frame(&self) -> Option<Frame> {
            match self {
                Self::Line {
                    frame, zooms: true, ..
                } => Some(*frame),
                _ => None,
            }
        }
    }

    /// The pointer's state over one plot.
    #[derive(Clone, Copy)]
    pub struct Interaction {
        pub hover: RwSignal<Option<Arc<Hover>>>,
        /// Where a drag started (buffer pixels) and whether it pans.
        drag: RwSignal<Option<(i32, bool)>>,
    }

    /// The pointer's x in canvas buffer pixels (the canvas is scaled by CSS).
    fn buffer_x(canvas: &HtmlCanvasElement, event: &MouseEvent) -> i32 {
        let scale = f64::from(canvas.width()) / f64::from(canvas.client_width().max(1));
        (f64::from(event.offset_x()) * scale).round() as i32
    }

    /// The pointer's y in canvas buffer pixels.
    fn buffer_y(canvas: &HtmlCanvasElement, event: &MouseEvent) -> i32 {
        let scale = f64::from(canvas.height()) / f64::from(canvas.client_height().max(1));
        (f64::from(event.offset_y()) * scale).round() as i32
    }

    impl Interaction {
        pub fn new() -> Self {
            Self {
                hover: RwSignal::new(None),
                drag: RwSignal::new(None),
            }
        }

        pub fn readout(&self, canvas: &HtmlCanvasElement, event: &MouseEvent) -> Option<String> {
            match &*self.hover.get_untracked()? {
                Hover::Line { data, frame, .. } => {
                    data.readout(frame.data_x(buffer_x(canvas, event))?)
                }
                Hover::Heatmap { data, frame } => {
                    let (x, y) = frame.data_xy(buffer_x(canvas, event), buffer_y(canvas, event))?;
                    data.readout(x, y)
                }
            }
        }

        pub fn press(&self, canvas: &HtmlCanvasElement, event: &MouseEvent) {
            self.drag
                .set(Some((buffer_x(canvas, event), event.shift_key())));
        }

        /// Ends a drag: the x range to show next, if it was a zoom or a pan.
        pub fn release(
            &self,
            canvas: &HtmlCanvasElement,
            event: &MouseEvent,
        ) -> Option<(f64, f64)> {
            let (start, pan) = self.drag.get_untracked()?;
            self.drag.set(None);
            let frame = self.hover.get_untracked()?.zoom_frame()?;
            let end = buffer_x(canvas, event).clamp(frame.px.0, frame.px.1);
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
        pub fn wheel(&self, canvas: &HtmlCanvasElement, event: &WheelEvent) -> Option<(f64, f64)> {
            let frame = self.hover.get_untracked()?.zoom_frame()?;
            let at = frame.data_x(buffer_x(canvas, event))?;
            let factor = if event.delta_y() < 0.0 { 0.8 } else { 1.25 };
            Some((
                at - (at - frame.x.0) * factor,
                at + (frame.x.1 - at) * factor,
            ))
        }
    }

    /// Draws the result; for plots with a read-out and zoom, returns what they need.
    pub fn draw(
        canvas: HtmlCanvasElement,
        payload: &ResultPayload,
        view: Option<(f64, f64)>,
        choices: Choices,
    ) -> Result<Option<Hover>, String> {
        let backend = CanvasBackend::with_canvas_object(canvas)
            .ok_or("this browser gave no 2-D canvas context")?;
        let area = backend.into_drawing_area();
        if payload.result_type == "Solution1D" {
            let data = Solution1D::from_payload(payload)?;
            let frame = solution1d::draw_view(
                &area,
                &data,
                &Display::from_json(&payload.display_json),
                view,
            )?;
            return Ok(Some(Hover::Line {
                data: Box::new(data),
                frame,
                zooms: true,
            }));
        }
        let display = Display::from_json(&payload.display_json);
        if payload.result_type == "DiscreteSequence" {
            let data = Sequence::from_payload(payload)?;
            let frame = sequence::draw(&area, &data, &display)?;
            return Ok(Some(Hover::Line {
                data: Box::new(data),
                frame,
                zooms: false,
            }));
        }
        if payload.result_type == "OptimizationResult" {
            let data = Optimization::from_payload(payload)?;
            let frame = optimization::draw(&area, &data, &display, choices.log_scale)?;
            return Ok(Some(Hover::Line {
                data: Box::new(data),
                frame,
                zooms: false,
            }));
        }
        if payload.result_type == "Solution2D" {
            let data = Solution2D::from_payload(payload)?;
            let frame = solution2d::draw_with_frame(
                &area,
                &data,
                &Display::from_json(&payload.display_json),
            )?;
            return Ok(Some(Hover::Heatmap { data, frame }));
        }
        draw_result(&area, payload, choices).map(|()| None)
    }
}
