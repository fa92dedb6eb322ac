//! Canvases that fit their box: the drawing buffer follows the element's CSS size times the screen's
//! device-pixel ratio, so a plot is redrawn to fit when the window resizes and stays crisp on high-DPI screens.
//! Plots draw in CSS pixels (fonts and line widths keep their size); the context's transform scales them up.

use leptos::html::Canvas;
use leptos::prelude::*;

/// A canvas's size in CSS pixels and how many device pixels make one CSS pixel.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CanvasSize {
    pub width: u32,
    pub height: u32,
    pub ratio: f64,
}

#[cfg(feature = "hydrate")]
impl CanvasSize {
    /// The drawing buffer's size in device pixels.
    pub fn buffer(&self) -> (u32, u32) {
        let scale = |v: u32| ((f64::from(v) * self.ratio).round() as u32).max(1);
        (scale(self.width), scale(self.height))
    }
}

/// The canvas's size, measured once it is mounted and again whenever the window resizes (which includes a
/// browser zoom changing the device-pixel ratio). `None` until measured, or while the canvas is hidden.
pub fn use_canvas_size(canvas: NodeRef<Canvas>) -> ReadSignal<Option<CanvasSize>> {
    let (size, set_size) = signal(None::<CanvasSize>);
    #[cfg(feature = "hydrate")]
    {
        let measure = move || {
            let measured = canvas.get_untracked().and_then(|c| browser::measure(&c));
            if measured != size.get_untracked() {
                set_size.set(measured);
            }
        };
        Effect::new(move |_| {
            if canvas.get().is_some() {
                measure();
            }
        });
        let listener = window_event_listener(leptos::ev::resize, move |_| measure());
        on_cleanup(move || listener.remove());
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (canvas, set_size);
    size
}

#[cfg(feature = "hydrate")]
pub use browser::drawing_area;

#[cfg(feature = "hydrate")]
mod browser {
    use plotters::coord::Shift;
    use plotters::prelude::{DrawingArea, IntoDrawingArea};
    use plotters_canvas::CanvasBackend;
    use wasm_bindgen::JsCast;
    use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

    use super::CanvasSize;

    pub fn measure(canvas: &HtmlCanvasElement) -> Option<CanvasSize> {
        let (width, height) = (canvas.client_width(), canvas.client_height());
        if width <= 0 || height <= 0 {
            return None;
        }
        let ratio = web_sys::window()?.device_pixel_ratio();
        Some(CanvasSize {
            width: width as u32,
            height: height as u32,
            ratio: if ratio.is_finite() && ratio > 0.0 {
                ratio.clamp(0.25, 8.0)
            } else {
                1.0
            },
        })
    }

    /// Sizes the canvas's buffer for `size` and returns an area `size.width` × `size.height` (CSS pixels)
    /// that covers it, scaled by the device-pixel ratio.
    pub fn drawing_area(
        canvas: HtmlCanvasElement,
        size: CanvasSize,
    ) -> Result<DrawingArea<CanvasBackend, Shift>, String> {
        let (width, height) = size.buffer();
        // Setting a dimension clears the canvas and resets the context, even to the same value.
        if canvas.width() != width {
            canvas.set_width(width);
        }
        if canvas.height() != height {
            canvas.set_height(height);
        }
        let context: CanvasRenderingContext2d = canvas
            .get_context("2d")
            .ok()
            .flatten()
            .and_then(|c| c.dyn_into().ok())
            .ok_or("this browser gave no 2-D canvas context")?;
        context
            .set_transform(size.ratio, 0.0, 0.0, size.ratio, 0.0, 0.0)
            .map_err(|_| "the canvas refused its scale")?;
        let backend = CanvasBackend::with_canvas_object(canvas)
            .ok_or("this browser gave no 2-D canvas context")?;
        Ok(backend
            .into_drawing_area()
            .shrink((0, 0), (size.width, size.height)))
    }
}
