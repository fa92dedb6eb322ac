//! Several runs' `Solution2D` on the compare page, drawn by `plots::field_compare`: a panel per run on one colour
//! scale with one colour bar, difference maps against the baseline, a read-out of every panel at the point
//! under the pointer with a crosshair at that point in each, and a zoom shared by every panel.

use leptos::html::Canvas;
use leptos::prelude::*;

use crate::model::ResultId;
use crate::plots::solution2d::Window;
use crate::ui::components::canvas::use_canvas_size;
use crate::ui::components::export::PngButton;

/// Several runs' `Solution2D` (`plots::field_compare`): a panel per run on one colour scale, and a difference
/// map per run against the baseline; hovering reads the same point in every panel, and a drag over any panel
/// zooms every panel to the same window (double-click shows the whole grid again). The zoom magnifies the grids
/// as fetched, one cell per block of the canvas: it does not fetch finer cells.
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
    // The part of the grid every panel shows (a drag on any panel), `None` for all of it.
    let window = RwSignal::new(None::<Window>);
    // Rows of panels: the page sizes the canvas to them once the data says how many.
    let rows = RwSignal::new(2usize);
    let scale = RwSignal::new(String::new());
    let boxes = RwSignal::new(String::new());
    // Why a run has no difference map (its grid differs from the baseline's).
    let notes = RwSignal::new(Vec::<String>::new());
    #[cfg(feature = "hydrate")]
    let pointer = browser::fields(
        results,
        baseline,
        labels,
        canvas,
        (size, window),
        (drawn, error, rows, scale, boxes, notes),
    );
    #[cfg(not(feature = "hydrate"))]
    let _ = (results, baseline, labels, size);
    // Where the point under the pointer lies in every panel: a crosshair in each.
    let marks = RwSignal::new(Vec::<Mark>::new());
    let hover = move |event: leptos::ev::MouseEvent| {
        #[cfg(feature = "hydrate")]
        {
            let (px, py) = (event.offset_x(), event.offset_y());
            readout.set(pointer.readout(px, py));
            marks.set(pointer.crosshair(px, py));
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = event;
    };
    let press = move |event: leptos::ev::MouseEvent| {
        #[cfg(feature = "hydrate")]
        pointer.press(event.offset_x(), event.offset_y());
        #[cfg(not(feature = "hydrate"))]
        let _ = event;
    };
    let release = move |event: leptos::ev::MouseEvent| {
        #[cfg(feature = "hydrate")]
        if let Some(w) = pointer.release(event.offset_x(), event.offset_y()) {
            window.set(Some(w));
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = event;
    };
    view! {
        <div class="plot">
            <div class="fields-box">
            <canvas
                node_ref=canvas
                class="fields"
                width="800"
                height="520"
                style=move || format!("aspect-ratio: auto; height: {}px", rows.get() * 260)
                data-testid="fields"
                data-drawn=move || drawn.get().to_string()
                data-scale=move || scale.get()
                data-panels=move || boxes.get()
                data-window=move || {
                    window.get().map(|((x0, x1), (y0, y1))| format!("{x0},{x1},{y0},{y1}")).unwrap_or_default()
                }
                on:mousemove=hover
                on:mouseleave=move |_| {
                    readout.set(None);
                    marks.set(Vec::new());
                }
                on:mousedown=press
                on:mouseup=release
                on:dblclick=move |_| window.set(None)
            ></canvas>
            {move || marks.get().into_iter().map(|m| view! { <Crosshair m /> }).collect_view()}
            </div>
            <div class="readout" data-testid="fields-readout">{move || readout.get().unwrap_or_default()}</div>
            {move || {
                notes
                    .get()
                    .into_iter()
                    .map(|n| view! { <p class="note" data-testid="no-difference">{n}</p> })
                    .collect_view()
            }}
            <div class="export">
                <span class="muted">"Export: "</span>
                <PngButton canvas file_name="compare-Solution2D.png".to_owned() />
            </div>
            {move || error.get().map(|e| view! { <p class="problem">{e}</p> })}
        </div>
    }
}

/// The point under the pointer in one panel (`x`, `y`) and the panel's plotting area, in CSS pixels from the
/// canvas's corner.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mark {
    pub x: i32,
    pub y: i32,
    pub area: (i32, i32, i32, i32),
}

/// A crosshair across one panel's plotting area, over the canvas (it takes no pointer events).
#[component]
fn Crosshair(m: Mark) -> impl IntoView {
    let (left, top, right, bottom) = m.area;
    view! {
        <div
            class="crosshair"
            data-testid="crosshair"
            style=format!("left: {}px; top: {top}px; height: {}px", m.x, bottom - top)
        ></div>
        <div
            class="crosshair"
            style=format!("left: {left}px; top: {}px; width: {}px", m.y, right - left)
        ></div>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::sync::Arc;

    use leptos::html::Canvas;
    use leptos::prelude::*;

    use crate::model::ResultId;
    use crate::plots::field_compare::{draw_fields, FieldSet, Panel, Shown};
    use crate::plots::solution2d::{Solution2D, Window};
    use crate::ui::components::canvas::{drawing_area, CanvasSize};
    use crate::ui::components::compared::{fetch_all, parse, Ask};

    /// A drawn set of fields and where each panel lies.
    type DrawnFields = Arc<(FieldSet, Vec<Panel>)>;

    /// What the fields' read-out and zoom need: the set, where each panel lies, and a drag in progress.
    #[derive(Clone, Copy)]
    pub struct FieldsPointer {
        drawn: RwSignal<Option<DrawnFields>>,
        labels: StoredValue<Vec<String>>,
        drag: RwSignal<Option<(i32, i32)>>,
    }

    impl FieldsPointer {
        pub fn press(&self, px: i32, py: i32) {
            self.drag.set(Some((px, py)));
        }

        /// Where the data point under the pointer lies in every panel, when the pointer is over one.
        pub fn crosshair(&self, px: i32, py: i32) -> Vec<super::Mark> {
            let Some(drawn) = self.drawn.get_untracked() else {
                return Vec::new();
            };
            let panels = &drawn.1;
            let Some((x, y)) = panels.iter().find_map(|p| p.frame.data_xy(px, py)) else {
                return Vec::new();
            };
            panels
                .iter()
                .filter_map(|p| {
                    let f = p.frame;
                    let (x, y) = f.pixel_of(x, y)?;
                    Some(super::Mark {
                        x,
                        y,
                        area: (f.px.0, f.py.0, f.px.1, f.py.1),
                    })
                })
                .collect()
        }

        /// Ends a drag: the window it encloses on the panel where it started, if it was long enough.
        pub fn release(&self, px: i32, py: i32) -> Option<Window> {
            let start = self.drag.get_untracked()?;
            self.drag.set(None);
            let drawn = self.drawn.get_untracked()?;
            drawn
                .1
                .iter()
                .find(|p| p.frame.data_xy(start.0, start.1).is_some())?
                .frame
                .dragged(start, (px, py))
        }

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
        RwSignal<Vec<String>>,
    );

    pub fn fields(
        results: Vec<Option<ResultId>>,
        baseline: usize,
        labels: Vec<String>,
        canvas: NodeRef<Canvas>,
        (size, window): (ReadSignal<Option<CanvasSize>>, RwSignal<Option<Window>>),
        (drawn, error, rows, scale, boxes, notes): FieldSignals,
    ) -> FieldsPointer {
        let present = results.iter().flatten().count().clamp(1, 4) as u32;
        let pointer = FieldsPointer {
            drawn: RwSignal::new(None),
            labels: StoredValue::new(labels),
            drag: RwSignal::new(None),
        };
        let fetched = fetch_all(results, size, move || present, Ask::default);
        Effect::new(move |_| {
            let (Some(Some(views)), Some(element), Some(size)) =
                (fetched.get(), canvas.get(), size.get())
            else {
                return;
            };
            let result = parse(&views, Solution2D::from_view).and_then(|(fields, display)| {
                let set = FieldSet::new(fields, baseline);
                if set.rows() != rows.get_untracked() {
                    // The canvas grows to the rows first; the resize draws again.
                    rows.set(set.rows());
                }
                let panels = pointer.labels.with_value(|labels| {
                    draw_fields(
                        &drawing_area(element, size)?,
                        &set,
                        labels,
                        &display,
                        window.get(),
                    )
                })?;
                scale.set(format!("{},{}", set.scale.0, set.scale.1));
                boxes.set(
                    panels
                        .iter()
                        .map(|p| {
                            let kind = match p.shown {
                                Shown::Run(_) => "run",
                                Shown::Difference(_) => "difference",
                            };
                            let f = p.frame;
                            format!("{kind}:{},{},{},{}", f.px.0, f.py.0, f.px.1, f.py.1)
                        })
                        .collect::<Vec<_>>()
                        .join(";"),
                );
                let why = pointer
                    .labels
                    .with_value(|labels| set.without_difference(labels));
                if why != notes.get_untracked() {
                    notes.set(why);
                }
                pointer.drawn.set(Some(Arc::new((set, panels))));
                Ok(())
            });
            drawn.set(result.is_ok());
            error.set(result.err());
        });
        pointer
    }
}
