//! Export links under a plot: the figure as PNG (`PngButton`, also under the compare page's overlays), the 1-D
//! columns as one CSV, each field of two or more dimensions as its own CSV, and the original `.npy` files.

use leptos::html::Canvas;
use leptos::prelude::*;

use crate::model::{FieldInfo, FieldStorage, ResultId};

/// What of a result can be downloaded, known from its fields' shapes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Downloads {
    /// Whether it has 1-D columns to put side by side (`x,computed,expected`): the "CSV" link.
    pub columns: bool,
    /// Its numeric fields of two or more dimensions, each its own CSV (a grid's rows, an ensemble's paths).
    pub tables: Vec<String>,
    /// Its fields stored as `.npy` files, each downloadable as it is.
    pub npy: Vec<String>,
}

impl Downloads {
    pub fn of(fields: &[FieldInfo]) -> Self {
        Self {
            columns: !crate::export::column_names(fields).is_empty(),
            tables: fields
                .iter()
                .filter(|f| f.shape.len() >= 2 && f.dtype != "json")
                .map(|f| f.name.clone())
                .collect(),
            npy: fields
                .iter()
                .filter(|f| f.storage == FieldStorage::Npy)
                .map(|f| f.name.clone())
                .collect(),
        }
    }
}

#[component]
pub fn ExportLinks(id: ResultId, canvas: NodeRef<Canvas>, downloads: Downloads) -> impl IntoView {
    let Downloads {
        columns,
        tables,
        npy,
    } = downloads;
    view! {
        <div class="export">
            <span class="muted">"Export: "</span>
            <PngButton canvas file_name=format!("{id}.png") />
            {columns
                .then(|| {
                    view! {
                        <a href=format!("/api/result/csv?id={id}") download>
                            "CSV"
                        </a>
                    }
                })}
            {tables
                .into_iter()
                .map(|field| {
                    view! {
                        <a href=format!("/api/result/csv?id={id}&field={field}") download>
                            {format!("{field}.csv")}
                        </a>
                    }
                })
                .collect_view()}
            {npy
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
