//! A result's plot: fetches the arrays (postcard, reduced on the server to the canvas's resolution) in the
//! browser and draws them on a canvas with the renderer of the result's type (`plots::draw_result`). Every plot
//! reads out what lies under the pointer; plots over x or t (`Solution1D`, `DiscreteSequence`,
//! `OptimizationResult`, `StochasticEnsemble`) zoom: drag to zoom into a range, shift-drag to pan, the wheel to
//! zoom about the pointer, double-click to reset. Heatmaps zoom into the rectangle dragged, pan on a
//! shift-drag, zoom about the pointer on the wheel, and come back on a double-click. A zoom re-fetches the view, down to the raw points or cells. A growing
//! result's plot takes its new rows as they are written (`growth`).
//!
//! Shaped like the animation player: the plot's state (`PlotState`, a struct of signals), the browser-only
//! fetching, drawing and pointer geometry (`browser::Pointer`; on the server an inert `Pointer` with the same
//! methods, since the server only renders the markup), and small components for the type's controls and notes.

use leptos::html::Canvas;
use leptos::prelude::*;

#[cfg(feature = "hydrate")]
use browser::Pointer;
#[cfg(not(feature = "hydrate"))]
use inert::Pointer;

use crate::model::{ResultId, ResultType};
use crate::plots::view::Zoom;
use crate::plots::Choices;
use crate::ui::components::canvas::use_canvas_size;
use crate::ui::components::export::{Downloads, ExportLinks};

/// The canvas's first drawing buffer, in the server's HTML; the browser resizes it to the element's size.
const WIDTH: u32 = 800;
const HEIGHT: u32 = 440;

/// What one plot shows and what its user chose, shared by the canvas, the controls and the browser's fetching
/// and drawing.
#[derive(Clone, Copy)]
struct PlotState {
    /// Whether a drawing succeeded (`data-drawn`).
    drawn: RwSignal<bool>,
    error: RwSignal<Option<String>>,
    /// What lies under the pointer.
    readout: RwSignal<Option<String>>,
    /// How many NaN and infinite values were not drawn.
    skipped: RwSignal<usize>,
    /// The x range shown, when zoomed.
    view: RwSignal<Option<(f64, f64)>>,
    /// A heatmap's y range shown, when zoomed.
    y_view: RwSignal<Option<(f64, f64)>>,
    /// Whether a zoomed plot of a growing result moves with its newest points.
    follow: RwSignal<bool>,
    /// The type's own controls: the ensemble's histogram time, the optimisation's log axis.
    choices: RwSignal<Choices>,
    /// Why a log axis asked for is drawn linear.
    log_refused: RwSignal<Option<String>>,
    /// How many times an ensemble has: the slider's range.
    times: RwSignal<usize>,
    /// Whether the loss goes on a log axis unless the user says otherwise.
    auto_log: RwSignal<bool>,
    /// How many rows the data drawn stands for (its longest field's first axis, or the points reduced series
    /// stand for): a growing result's count so far.
    rows: RwSignal<u64>,
}

impl PlotState {
    fn new() -> Self {
        Self {
            drawn: RwSignal::new(false),
            error: RwSignal::new(None),
            readout: RwSignal::new(None),
            skipped: RwSignal::new(0),
            view: RwSignal::new(None),
            y_view: RwSignal::new(None),
            follow: RwSignal::new(false),
            choices: RwSignal::new(Choices::default()),
            log_refused: RwSignal::new(None),
            times: RwSignal::new(0),
            auto_log: RwSignal::new(false),
            rows: RwSignal::new(0),
        }
    }
}

#[component]
pub fn ResultPlot(
    id: ResultId,
    result_type: ResultType,
    downloads: Downloads,
    /// Whether the result grows: the plot then takes its new rows as they are written.
    #[prop(optional)]
    growing: bool,
) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let state = PlotState::new();
    let pointer = Pointer::start(
        id,
        &result_type,
        growing,
        canvas,
        use_canvas_size(canvas),
        state,
    );
    let PlotState {
        drawn,
        error,
        readout,
        view,
        y_view,
        rows,
        ..
    } = state;
    let zoom_to = move |zoom: Option<Zoom>| {
        if let Some(zoom) = zoom {
            view.set(zoom.x);
            y_view.set(zoom.y);
        }
    };

    view! {
        <div class="plot">
            <canvas
                node_ref=canvas
                width=WIDTH
                height=HEIGHT
                data-drawn=move || drawn.get().to_string()
                data-rows=move || rows.get().to_string()
                data-view=move || view.get().map(|(lo, hi)| format!("{lo},{hi}")).unwrap_or_default()
                data-y-view=move || y_view.get().map(|(lo, hi)| format!("{lo},{hi}")).unwrap_or_default()
                on:mousemove=move |event| readout.set(pointer.readout(&event))
                on:mouseleave=move |_| readout.set(None)
                on:mousedown=move |event| pointer.press(&event)
                on:mouseup=move |event| zoom_to(pointer.release(&event))
                on:wheel=move |event| {
                    let range = pointer.wheel(&event);
                    if range.is_some() {
                        event.prevent_default();
                    }
                    zoom_to(range);
                }
                on:dblclick=move |_| {
                    view.set(None);
                    y_view.set(None);
                }
            ></canvas>
            {growing.then(|| view! { <FollowControl result_type=result_type.clone() state /> })}
            <TypeControls result_type state />
            <div class="readout" data-testid="readout">
                {move || readout.get().unwrap_or_default()}
            </div>
            <Notes state />
            <ExportLinks id canvas downloads />
            {move || {
                error
                    .get()
                    .map(|e| {
                        // A result opened before its first rows: not a problem, only early.
                        if growing && rows.get() == 0 && !drawn.get() {
                            view! { <p class="muted" data-testid="waiting">"Waiting for its first rows…"</p> }
                                .into_any()
                        } else {
                            view! { <p class="problem">{e}</p> }.into_any()
                        }
                    })
            }}
        </div>
    }
}

/// For a growing result's plot over x: when zoomed, whether the zoom moves with the newest points (it stays
/// where the user put it unless asked). Unzoomed plots show everything, the newest included.
#[component]
fn FollowControl(result_type: ResultType, state: PlotState) -> impl IntoView {
    let PlotState { view, follow, .. } = state;
    let over_x = matches!(
        result_type,
        ResultType::Solution1D | ResultType::DiscreteSequence | ResultType::OptimizationResult
    );
    over_x.then(|| {
        view! {
            <div hidden=move || view.get().is_none()>
                <div class="controls">
                    <label>
                        <input
                            type="checkbox"
                            class="follow-tail"
                            prop:checked=move || follow.get()
                            on:change=move |ev| follow.set(event_target_checked(&ev))
                        />
                        " Follow the newest points"
                    </label>
                </div>
            </div>
        }
    })
}

/// The controls of a type that has them: the ensemble's histogram time, the optimisation's log-scale loss.
#[component]
fn TypeControls(result_type: ResultType, state: PlotState) -> impl IntoView {
    let PlotState {
        choices,
        times,
        auto_log,
        ..
    } = state;
    match result_type {
        ResultType::StochasticEnsemble => {
            view! { <TimeSlider state label="Histogram at time " aria="Histogram time" /> }
                .into_any()
        }
        // Only a field with snapshots (a `Solution2D` that grew) has times to choose from.
        ResultType::Solution2D => view! {
            <div hidden=move || times.get() < 2>
                <TimeSlider state label="Snapshot at time " aria="Snapshot time" />
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
        | ResultType::DiscreteSequence
        | ResultType::PhysicsAnimation
        | ResultType::Other(_) => ().into_any(),
    }
}

/// A slider over the data's times (`t`): the ensemble's histogram time, a field's snapshot; the last unless
/// chosen.
#[component]
fn TimeSlider(state: PlotState, label: &'static str, aria: &'static str) -> impl IntoView {
    let PlotState { choices, times, .. } = state;
    view! {
        <div class="controls">
            <label>
                {label}
                <input
                    type="range"
                    class="time-slider"
                    aria-label=aria
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
}

/// What the drawing could not show: values skipped, a log axis refused.
#[component]
fn Notes(state: PlotState) -> impl IntoView {
    let PlotState {
        skipped,
        log_refused,
        ..
    } = state;
    view! {
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
    }
}

/// On the server a plot is only markup: nothing is fetched or drawn there, and no pointer event arrives.
#[cfg(not(feature = "hydrate"))]
mod inert {
    use leptos::ev::{MouseEvent, WheelEvent};
    use leptos::html::Canvas;
    use leptos::prelude::*;

    use super::PlotState;
    use crate::model::{ResultId, ResultType};
    use crate::plots::view::Zoom;
    use crate::ui::components::canvas::CanvasSize;

    #[derive(Clone, Copy)]
    pub struct Pointer;

    impl Pointer {
        pub fn start(
            _id: ResultId,
            _result_type: &ResultType,
            _growing: bool,
            _canvas: NodeRef<Canvas>,
            _size: ReadSignal<Option<CanvasSize>>,
            _state: PlotState,
        ) -> Self {
            Self
        }

        pub fn readout(&self, _event: &MouseEvent) -> Option<String> {
            None
        }

        pub fn press(&self, _event: &MouseEvent) {}

        pub fn release(&self, _event: &MouseEvent) -> Option<Zoom> {
            None
        }

        pub fn wheel(&self, _event: &WheelEvent) -> Option<Zoom> {
            None
        }
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::sync::Arc;

    use leptos::prelude::*;
    use web_sys::{HtmlCanvasElement, MouseEvent, WheelEvent};

    use leptos::html::Canvas;

    use super::PlotState;
    use crate::model::{ResultId, ResultType};
    use crate::plots::chart::Frame;
    use crate::plots::view::{PlotData, Zoom};
    use crate::plots::{draw_result, Choices, Drawn};
    use crate::ui::components::canvas::{drawing_area, CanvasSize};

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
    pub struct Pointer {
        drawn: RwSignal<Option<Arc<Drawn>>>,
        /// Where a drag started and whether it pans.
        drag: RwSignal<Option<((i32, i32), bool)>>,
    }

    impl Pointer {
        /// Fetches the result's view whenever the canvas's size or the user's choices change (the server
        /// reduces long series to what the canvas can show) and draws it; returns the pointer over the drawing.
        pub fn start(
            id: ResultId,
            result_type: &ResultType,
            growing: bool,
            canvas: NodeRef<Canvas>,
            size: ReadSignal<Option<CanvasSize>>,
            state: PlotState,
        ) -> Self {
            let pointer = Self {
                drawn: RwSignal::new(None),
                drag: RwSignal::new(None),
            };
            // The device pixel columns, in steps so that a small resize does not re-fetch.
            let columns = RwSignal::new(None::<u32>);
            Effect::new(move |_| {
                let wanted = size.get().map(|s| s.buffer().0.div_ceil(128) * 128);
                if wanted != columns.get_untracked() {
                    columns.set(wanted);
                }
            });
            // Re-fetched on zoom and resize, and extended as a growing result grows. An ensemble's histogram
            // time is chosen on the server too, for a reduced ensemble.
            let ensemble = matches!(
                result_type,
                ResultType::StochasticEnsemble | ResultType::Solution2D
            );
            let PlotState {
                view,
                y_view,
                follow,
                choices,
                ..
            } = state;
            let time = Signal::derive(move || {
                if ensemble {
                    choices.get().time_index
                } else {
                    None
                }
            });
            let inputs = crate::ui::components::growth::FeedInputs {
                columns,
                view,
                y_view,
                follow,
                time,
            };
            let data = crate::ui::components::growth::feed(id, growing, inputs).data;
            Effect::new(move |_| {
                let (Some(element), Some(size), view, choices) =
                    (canvas.get(), size.get(), view.get(), choices.get())
                else {
                    return;
                };
                let Some(drawing) = data.with(|result| {
                    result.as_ref().map(|result| {
                        if let Ok(payload) = result {
                            note_what_is_not_drawn(payload, choices, state);
                        }
                        let choices = Choices { view, ..choices };
                        result
                            .as_ref()
                            .map_err(Clone::clone)
                            .and_then(|payload| draw(element, size, payload, choices))
                    })
                }) else {
                    return;
                };
                match drawing {
                    Ok(drawn) => {
                        pointer.drawn.set(Some(Arc::new(drawn)));
                        state.drawn.set(true);
                        state.error.set(None);
                    }
                    Err(e) => state.error.set(Some(e)),
                }
            });
            pointer
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
            self.drag.set(Some((
                (event.offset_x(), event.offset_y()),
                event.shift_key(),
            )));
        }

        /// Ends a drag: the ranges to show next, if it was a zoom or a pan (a heatmap's: a zoom into the
        /// rectangle dragged).
        pub fn release(&self, event: &MouseEvent) -> Option<Zoom> {
            let (start, pan) = self.drag.get_untracked()?;
            self.drag.set(None);
            let end = (event.offset_x(), event.offset_y());
            match &*self.drawn.get_untracked()? {
                Drawn::Heatmap { frame, .. } => {
                    let (x, y) = if pan {
                        frame.panned(start, end)?
                    } else {
                        frame.dragged(start, end)?
                    };
                    Some(Zoom {
                        x: Some(x),
                        y: Some(y),
                    })
                }
                drawn => Some(Zoom::from(zoom_frame(drawn)?.dragged(start.0, end.0, pan)))
                    .filter(Zoom::is_zoomed),
            }
        }

        /// Zooms about the pointer: in on wheel up, out on wheel down.
        pub fn wheel(&self, event: &WheelEvent) -> Option<Zoom> {
            let zoom_in = event.delta_y() < 0.0;
            match &*self.drawn.get_untracked()? {
                Drawn::Heatmap { frame, .. } => {
                    let (x, y) = frame.wheeled((event.offset_x(), event.offset_y()), zoom_in)?;
                    Some(Zoom {
                        x: Some(x),
                        y: Some(y),
                    })
                }
                drawn => Some(Zoom::from(
                    zoom_frame(drawn)?.wheeled(event.offset_x(), zoom_in),
                ))
                .filter(Zoom::is_zoomed),
            }
        }
    }

    /// The notes under the plot and the type's control state: values skipped, the ensemble's times, the loss's
    /// log axis.
    fn note_what_is_not_drawn(view: &PlotData, choices: Choices, state: PlotState) {
        state.skipped.set(view.non_finite);
        // Reduced series stand for all their points; whole data has its rows.
        let rows = view.columns().map_or_else(
            || {
                view.rows_held()
                    .into_iter()
                    .map(|(_, r)| r)
                    .max()
                    .unwrap_or(0)
            },
            |c| c.points as u64,
        );
        state.rows.set(rows);
        state
            .times
            .set(view.payload.array("t").map_or(0, |t| t.len()));
        let optimization = crate::plots::optimization::Optimization::from_view(view);
        state
            .auto_log
            .set(optimization.as_ref().is_ok_and(|o| o.wants_log_scale()));
        state.log_refused.set(
            optimization
                .ok()
                .and_then(|o| o.log_refused(choices.log_scale)),
        );
    }

    /// Draws the result at the canvas's size, returning what the read-out and zoom need.
    fn draw(
        canvas: HtmlCanvasElement,
        size: CanvasSize,
        view: &PlotData,
        choices: Choices,
    ) -> Result<Drawn, String> {
        draw_result(&drawing_area(canvas, size)?, view, choices)
    }
}
