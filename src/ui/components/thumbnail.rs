//! A small plot of one result, for grids of runs (the sweep page): the result's plot as the run page draws it,
//! at a fixed size of its own (reduced on the server to that width), shown scaled down — a picture of the plot,
//! not a cramped chart; a type without a plot of its own is named instead.

use leptos::html::Canvas;
use leptos::prelude::*;

use crate::model::{ResultId, ResultType};
use crate::ui::components::canvas::CanvasSize;

/// The size the thumbnail is drawn at, in pixels; CSS shows it at a fraction of that.
const DRAWN: CanvasSize = CanvasSize {
    width: 640,
    height: 400,
    ratio: 1.0,
};

#[component]
pub fn Thumbnail(id: ResultId, result_type: ResultType) -> impl IntoView {
    if !crate::plots::has_plot(&result_type) {
        return view! { <span class="thumb-type">{result_type.as_str().to_owned()}</span> }
            .into_any();
    }
    let canvas = NodeRef::<Canvas>::new();
    let drawn = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    #[cfg(feature = "hydrate")]
    {
        let data = LocalResource::new(move || {
            crate::ui::server_fns::result_view(id.to_string(), DRAWN.width, None, None, None)
        });
        Effect::new(move |_| {
            let (Some(result), Some(element)) = (data.get(), canvas.get()) else {
                return;
            };
            let drawing = result.map_err(|e| e.to_string()).and_then(|payload| {
                let area = crate::ui::components::canvas::drawing_area(element, DRAWN)?;
                crate::plots::draw_result(&area, &payload, crate::plots::Choices::default())
                    .map(|_| ())
            });
            drawn.set(drawing.is_ok());
            error.set(drawing.err());
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
    view! {
        <canvas
            node_ref=canvas
            class="thumbnail"
            width=DRAWN.width
            height=DRAWN.height
            data-drawn=move || drawn.get().to_string()
            title=move || error.get().unwrap_or_default()
        ></canvas>
    }
    .into_any()
}
