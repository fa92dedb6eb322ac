//! Plots: pure functions from result data to any plotters `DrawingBackend` (a canvas in the browser, SVG in
//! tests). Nothing here does I/O or knows about storage.

pub mod reduce;
pub mod solution1d;

use serde::Deserialize;

/// The common part of a result's `display` object.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Display {
    pub title: Option<String>,
    pub labels: Labels,
}

/// Axis labels from `display.labels`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Labels {
    pub x: Option<String>,
    pub y: Option<String>,
}

impl Display {
    /// Reads the display object; anything unexpected falls back to defaults rather than failing the plot.
    pub fn from_json(text: &str) -> Self {
        serde_json::from_str(text).unwrap_or_default()
    }
}

/// The smallest and largest finite values of all the slices, widened when they are equal so an axis has room.
pub fn finite_range<'a>(series: impl IntoIterator<Item = &'a [f64]>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in series.into_iter().flatten().filter(|v| v.is_finite()) {
        lo = lo.min(*v);
        hi = hi.max(*v);
    }
    if lo > hi {
        return (0.0, 1.0);
    }
    if lo == hi {
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        return (lo - pad, hi + pad);
    }
    (lo, hi)
}
