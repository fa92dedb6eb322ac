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

    #[cfg(feature = "hydrate")]
    {
        let data = LocalResource::new(move || crate::ui::server_fns::result_data(id.to_string()));
        Effect::new(move |_| {
            let (Some(result), Some(element)) = (data.get(), canvas.get()) else {
                return;
            };
            match result
                .map_err(|e| e.to_string())
                .and_then(|payload| browser::draw(element, &payload))
            {
                Ok(()) => set_drawn.set(true),
                Err(e) => set_error.set(Some(e)),
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (id, set_drawn, set_error);

    view! {
        <div class="plot">
            <canvas
                node_ref=canvas
                width=WIDTH
                height=HEIGHT
                data-drawn=move || drawn.get().to_string()
            ></canvas>
            <ExportLinks id canvas npy_fields />
            {move || error.get().map(|e| view! { <p class="problem">{e}</p> })}
        </div>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use plotters::prelude::IntoDrawingArea;
    use plotters_canvas::CanvasBackend;
    use web_sys::HtmlCanvasElement;

    use crate::model::ResultPayload;
    use crate::plots::draw_result;

    pub fn draw(canvas: HtmlCanvasElement, payload: &ResultPayload) -> Result<(), String> {
        let backend = CanvasBackend::with_canvas_object(canvas)
            .ok_or("this browser gave no 2-D canvas context")?;
        draw_result(&backend.into_drawing_area(), payload)
    }
}
