//! Export links under a plot: the figure as PNG (`PngButton`, also under the compare page's overlays), the data
//! as CSV, and the original `.npy` files.

use leptos::html::Canvas;
use leptos::prelude::*;

use crate::model::ResultId;

#[component]
pub fn ExportLinks(
    id: ResultId,
    canvas: NodeRef<Canvas>,
    npy_fields: Vec<String>,
) -> impl IntoView {
    view! {
        <div class="export">
            <span class="muted">"Export: "</span>
            <PngButton canvas file_name=format!("{id}.png") />
            <a href=format!("/api/result/csv?id={id}") download>
                "CSV"
            </a>
            {npy_fields
                .into_iter()
                .map(|field| {
                    view! {
                        <a href=format!("/api/result/npy?id={id}&field={field}") download>
                            {format!("{field}.npy")}
                        </a>
                    }
                })
                .collect_view()}
        </div>
    }
}

/// Saves the canvas as it is drawn now as a PNG named `file_name`.
#[component]
pub fn PngButton(canvas: NodeRef<Canvas>, file_name: String) -> impl IntoView {
    let save_png = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(canvas) = canvas.get() {
            browser::download_png(&canvas, &file_name);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (canvas, &file_name);
    };
    view! {
        <button class="link" on:click=save_png>
            "PNG"
        </button>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use wasm_bindgen::JsCast;
    use web_sys::{HtmlAnchorElement, HtmlCanvasElement};

    pub fn download_png(canvas: &HtmlCanvasElement, file_name: &str) {
        let Ok(url) = canvas.to_data_url() else {
            return;
        };
        let Some(anchor) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.create_element("a").ok())
            .and_then(|a| a.dyn_into::<HtmlAnchorElement>().ok())
        else {
            return;
        };
        anchor.set_href(&url);
        anchor.set_download(file_name);
        anchor.click();
    }
}
