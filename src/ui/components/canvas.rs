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

/// The canvas's size, measured once it is mounted, again whenever its box changes (a style giving it more rows,
/// a hidden canvas shown, the layout around it) and whenever the window resizes (which includes a browser zoom
/// changing the device-pixel ratio). `None` until measured, or while the canvas is hidden.
pub fn use_canvas_size(canvas: NodeRef<Canvas>) -> ReadSignal<Option<CanvasSize>> {
    let (size, set_size) = signal(None::<CanvasSize>);
    #[cfg(feature = "hydrate")]
    {
        let measure = move || {
            let measured = canvas
                .try_get_untracked()
                .flatten()
                .and_then(|c| browser::measure(&c));
            if size.try_get_untracked() != Some(measured) {
                set_size.try_set(measured);
            }
        };
        Effect::new(move |observed: Option<bool>| {
            let Some(element) = canvas.get() else {
                return observed.unwrap_or(false);
            };
            measure();
            if observed != Some(true) {
                let observer = browser::observe_resize(&element, measure);
                on_cleanup(move || drop(observer));
            }
            true
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
    use send_wrapper::SendWrapper;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

    use super::CanvasSize;

    /// Watches an element's box: `on_resize` runs whenever it changes, until the value answered is dropped.
    pub fn observe_resize(element: &HtmlCanvasElement, on_resize: impl Fn() + 'static) -> Observed {
        let callback = Closure::<dyn FnMut()>::new(on_resize);
        let observer = web_sys::ResizeObserver::new(callback.as_ref().unchecked_ref()).ok();
        if let Some(o) = &observer {
            o.observe(element);
        }
        Observed {
            observer: SendWrapper::new(observer),
            _callback: SendWrapper::new(callback),
        }
    }

    /// A resize observer and its callback, which live together; disconnected when dropped. (Only ever used on
    /// the browser's one thread: `SendWrapper` lets it sit in a reactive cleanup.)
    pub struct Observed {
        observer: SendWrapper<Option<web_sys::ResizeObserver>>,
        _callback: SendWrapper<Closure<dyn FnMut()>>,
    }

    impl Drop for Observed {
        fn drop(&mut self) {
            if let Some(o) = &*self.observer {
                o.disconnect();
            }
        }
    }

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
