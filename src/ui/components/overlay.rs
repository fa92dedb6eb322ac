//! Several runs' curves on one chart (the compare page): every run's result fetched reduced to the canvas's width
//! (`compared::fetch_all`), as for its own plot, then drawn by `plots::overlay` in the runs' colours with a
//! residual panel; an optimisation's parameters under it as small multiples (`plots::parameters`). Zoom,
//! read-out and export work as on a run's plot.

use std::sync::Arc;

use leptos::html::Canvas;
use leptos::prelude::*;

use crate::model::{ResultId, ResultType};
use crate::plots::chart::Frame;
use crate::plots::overlay::Curve;
use crate::ui::components::canvas::{use_canvas_size, CanvasSize};
use crate::ui::components::export::PngButton;

/// Curves: `Solution1D`, `DiscreteSequence`, `OptimizationResult`, `StochasticEnsemble`. Zooms as a run's plot
/// does (drag, shift-drag to pan, the wheel, double-click to reset; every run re-fetched for the range), reads
/// every run's value under the pointer, and exports the figure (PNG) and every run's full data (`csv`).
#[component]
pub fn OverlayPlot(
    results: Vec<Option<ResultId>>,
    result_type: ResultType,
    baseline: usize,
    labels: Vec<String>,
    /// The address of the matched results' CSV.
    csv: String,
) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let overlay = Overlay {
        canvas,
        size: use_canvas_size(canvas),
        view: RwSignal::new(None),
        drawn: RwSignal::new(false),
        error: RwSignal::new(None),
        pointer: CurvesPointer::new(labels),
        params: ParamsCanvas::new(),
    };
    let optimization = result_type == ResultType::OptimizationResult;
    #[cfg(feature = "hydrate")]
    browser::curves(results, (baseline, optimization), overlay);
    #[cfg(not(feature = "hydrate"))]
    let _ = (
        results,
        baseline,
        overlay.canvas,
        overlay.size,
        overlay.params.size,
    );
    let Overlay {
        view,
        drawn,
        error,
        pointer,
        params,
        ..
    } = overlay;
    let readout = RwSignal::new(None::<String>);
    let zoom_to = move |range: Option<(f64, f64)>| {
        if range.is_some() {
            view.set(range);
        }
    };
    let file_name = format!("compare-{}.png", result_type.as_str());
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
                data-view=move || view.get().map(|(lo, hi)| format!("{lo},{hi}")).unwrap_or_default()
                on:mousemove=move |e| readout.set(pointer.readout(e.offset_x()))
                on:mouseleave=move |_| readout.set(None)
                on:mousedown=move |e| pointer.press(e.offset_x(), e.shift_key())
                on:mouseup=move |e| zoom_to(pointer.release(e.offset_x()))
                on:wheel=move |e| {
                    let range = pointer.wheel(e.offset_x(), e.delta_y() < 0.0);
                    if range.is_some() {
                        e.prevent_default();
                    }
                    zoom_to(range);
                }
                on:dblclick=move |_| view.set(None)
            ></canvas>
            <div class="readout" data-testid="overlay-readout">{move || readout.get().unwrap_or_default()}</div>
            {optimization.then(|| view! { <ParamsView params /> })}
            <div class="export">
                <span class="muted">"Export: "</span>
                <PngButton canvas file_name />
                <a href=csv download>"CSV"</a>
            </div>
            {move || error.get().map(|e| view! { <p class="problem">{e}</p> })}
        </div>
    }
}

/// One overlay's canvas, what it shows and what its user chose, shared by the markup and the browser's fetching
/// and drawing.
#[derive(Clone, Copy)]
struct Overlay {
    canvas: NodeRef<Canvas>,
    size: ReadSignal<Option<CanvasSize>>,
    /// The x range shown, when zoomed.
    view: RwSignal<Option<(f64, f64)>>,
    /// Whether a drawing succeeded (`data-drawn`).
    drawn: RwSignal<bool>,
    error: RwSignal<Option<String>>,
    pointer: CurvesPointer,
    params: ParamsCanvas,
}

/// The small multiples of an optimisation's parameters under its loss overlay (`plots::parameters`): the
/// canvas grows to as many rows as there are parameters.
#[derive(Clone, Copy)]
pub struct ParamsCanvas {
    canvas: NodeRef<Canvas>,
    size: ReadSignal<Option<CanvasSize>>,
    /// How many parameters the runs have (0 until known, or when none has any).
    count: RwSignal<usize>,
    drawn: RwSignal<bool>,
}

impl ParamsCanvas {
    fn new() -> Self {
        let canvas = NodeRef::<Canvas>::new();
        Self {
            canvas,
            size: use_canvas_size(canvas),
            count: RwSignal::new(0),
            drawn: RwSignal::new(false),
        }
    }
}

/// The parameters' canvas, hidden until some run has parameters.
#[component]
fn ParamsView(params: ParamsCanvas) -> impl IntoView {
    let ParamsCanvas {
        canvas,
        count,
        drawn,
        ..
    } = params;
    view! {
        <canvas
            node_ref=canvas
            class="parameters"
            width="800"
            height="200"
            style=move || {
                let rows = crate::plots::parameters::rows(count.get());
                if rows == 0 {
                    "display: none".to_owned()
                } else {
                    format!("aspect-ratio: auto; height: {}px", rows * 180)
                }
            }
            data-testid="parameters"
            data-count=move || count.get().to_string()
            data-drawn=move || drawn.get().to_string()
        ></canvas>
    }
}

/// The curves drawn and where the chart's x axis lies.
type DrawnCurves = Arc<(Vec<Option<Curve>>, Frame)>;

/// The pointer over an overlay: what was drawn, where its x axis lies, and a drag in progress. Positions are
/// in CSS pixels, which the plots draw in.
#[derive(Clone, Copy)]
pub struct CurvesPointer {
    drawn: RwSignal<Option<DrawnCurves>>,
    /// Where a drag started and whether it pans.
    drag: RwSignal<Option<(i32, bool)>>,
    labels: StoredValue<Vec<String>>,
}

impl CurvesPointer {
    fn new(labels: Vec<String>) -> Self {
        Self {
            drawn: RwSignal::new(None),
            drag: RwSignal::new(None),
            labels: StoredValue::new(labels),
        }
    }

    fn frame(&self) -> Option<Frame> {
        self.drawn.with_untracked(|d| d.as_ref().map(|d| d.1))
    }

    /// Every run's value at the pixel column under the pointer.
    fn readout(&self, px: i32) -> Option<String> {
        let drawn = self.drawn.get_untracked()?;
        let (curves, frame) = &*drawn;
        let x = frame.data_x(px)?;
        self.labels
            .with_value(|labels| crate::plots::overlay::readout(curves, labels, x))
    }

    fn press(&self, px: i32, pan: bool) {
        self.drag.set(Some((px, pan)));
    }

    /// Ends a drag: the x range to show next, if it was a zoom or a pan.
    fn release(&self, px: i32) -> Option<(f64, f64)> {
        let (start, pan) = self.drag.get_untracked()?;
        self.drag.set(None);
        self.frame()?.dragged(start, px, pan)
    }

    fn wheel(&self, px: i32, zoom_in: bool) -> Option<(f64, f64)> {
        self.frame()?.wheeled(px, zoom_in)
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::sync::Arc;

    use leptos::prelude::*;

    use crate::model::ResultId;
    use crate::plots::optimization::Optimization;
    use crate::plots::overlay::{draw_overlay, Curve};
    use crate::plots::parameters::{draw_parameters, parameters};
    use crate::ui::components::canvas::drawing_area;
    use crate::ui::components::compared::{fetch_all, parse, Ask, Views};

    /// Fetches every run's view (again on zoom and resize) and draws the overlay, and an optimisation's
    /// parameters under it.
    pub fn curves(
        results: Vec<Option<ResultId>>,
        (baseline, optimization): (usize, bool),
        overlay: super::Overlay,
    ) {
        let super::Overlay {
            canvas,
            size,
            view,
            drawn,
            error,
            pointer,
            params,
        } = overlay;
        let fetched = fetch_all(
            results,
            size,
            || 1,
            move || Ask {
                view: view.get(),
                times: Vec::new(),
            },
        );
        Effect::new(move |_| {
            let (Some(Some(views)), Some(element), Some(size)) =
                (fetched.get(), canvas.get(), size.get())
            else {
                return;
            };
            let result = parse(&views, Curve::of).and_then(|(curves, display)| {
                let area = drawing_area(element, size)?;
                let frame = pointer.labels.with_value(|labels| {
                    draw_overlay(
                        &area,
                        (&curves, labels),
                        baseline,
                        &display,
                        // A loss goes on a log axis.
                        (optimization, view.get_untracked()),
                    )
                })?;
                pointer.drawn.set(Some(Arc::new((curves, frame))));
                Ok(frame)
            });
            drawn.set(result.is_ok());
            if let (Ok(frame), true) = (&result, optimization) {
                params.draw(&views, frame.x);
            }
            error.set(result.err());
        });
    }

    impl super::ParamsCanvas {
        /// Draws every run's parameters over `x`, once the canvas has grown to their rows.
        fn draw(&self, views: &Views, x: (f64, f64)) {
            let Ok((runs, _)) = parse(views, Optimization::from_view) else {
                return;
            };
            let params = parameters(&runs);
            self.count.set(params.len());
            let (Some(element), Some(size)) = (self.canvas.get(), self.size.get()) else {
                return;
            };
            if params.is_empty() {
                return;
            }
            let result =
                drawing_area(element, size).and_then(|area| draw_parameters(&area, &params, x));
            self.drawn.set(result.is_ok());
        }
    }
}
