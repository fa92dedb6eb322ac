//! A result's plot: fetches the arrays (postcard) in the browser and draws them on a canvas with the renderer
//! of the result's type (`plots::draw_result`).

use leptos::html::Canvas;
use leptos::prelude::*;

use crate::model::ResultId;
use crate::ui::components::export::ExportLinks;

/// The canvas's drawing buffer; CSS scales it to the card's width.
const WIDTH: u32 = 800;
const HEIGHT: u32 = 440;

#[component]
pub fn ResultPlot(id: ResultId, npy_fields: Vec<String>) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let (drawn, set_drawn) = signal(false);
    let (error, set_error) = signal(None::<String>);
    let readout = RwSignal::new(None::<String>);
    let skipped = RwSignal::new(0usize);

    #[cfg(feature = "hydrate")]
    let hover = {
        let hover = RwSignal::new(None::<std::sync::Arc<browser::Hover>>);
        let data = LocalResource::new(move || crate::ui::server_fns::result_data(id.to_string()));
        Effect::new(move |_| {
            let (Some(result), Some(element)) = (data.get(), canvas.get()) else {
                return;
            };
            if let Ok(payload) = &result {
                skipped.set(payload.non_finite_count());
            }
            match result
                .map_err(|e| e.to_string())
                .and_then(|payload| browser::draw(element, &payload))
            {
                Ok(found) => {
                    hover.set(found.map(std::sync::Arc::new));
                    set_drawn.set(true);
                }
                Err(e) => set_error.set(Some(e)),
            }
        });
        hover
    };
    #[cfg(not(feature = "hydrate"))]
    let _ = (id, set_drawn, set_error);

    let on_move = move |_event: leptos::ev::MouseEvent| {
        #[cfg(feature = "hydrate")]
        if let (Some(h), Some(c)) = (hover.get_untracked(), canvas.get_untracked()) {
            readout.set(h.readout(&c, &_event));
        }
    };

    view! {
        <div class="plot">
            <canvas
                node_ref=canvas
                width=WIDTH
                height=HEIGHT
                data-drawn=move || drawn.get().to_string()
                on:mousemove=on_move
                on:mouseleave=move |_| readout.set(None)
            ></canvas>
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
    use plotters::prelude::IntoDrawingArea;
    use plotters_canvas::CanvasBackend;
    use web_sys::{HtmlCanvasElement, MouseEvent};

    use crate::model::ResultPayload;
    use crate::plots::draw_result;
    use crate::plots::solution1d::{self, Solution1D};
    use crate::plots::{Display, Frame};

    /// What the hover read-out needs: the data and where its x axis was drawn.
    pub struct Hover {
        data: Solution1D,
        frame: Frame,
    }

    impl Hover {
        pub fn readout(&self, canvas: &HtmlCanvasElement, event: &MouseEvent) -> Option<String> {
            // The canvas is scaled by CSS: map the pointer from CSS pixels to buffer pixels.
            let scale = f64::from(canvas.width()) / f64::from(canvas.client_width().max(1));
            let px = (f64::from(event.offset_x()) * scale).round() as i32;
            self.data.readout(self.frame.data_x(px)?)
        }
    }

    /// Draws the result; for plots with a hover read-out, returns what it needs.
    pub fn draw(
        canvas: HtmlCanvasElement,
        payload: &ResultPayload,
    ) -> Result<Option<Hover>, String> {
        let backend = CanvasBackend::with_canvas_object(canvas)
            .ok_or("this browser gave no 2-D canvas context")?;
        let area = backend.into_drawing_area();
        if payload.result_type == "Solution1D" {
            let data = Solution1D::from_payload(payload)?;
            let frame = solution1d::draw(&area, &data, &Display::from_json(&payload.display_json))?;
            return Ok(Some(Hover { data, frame }));
        }
        draw_result(&area, payload).map(|()| None)
    }
}
