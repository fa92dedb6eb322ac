//! Colour scales: the perceptual and diverging colormaps a heatmap may name, and the labelled colour bar beside
//! every heatmap. Part of the chart layer, below the renderers.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde::Deserialize;

use crate::plots::chart::{drawing_error, Axis, DrawResult, FONT, TICK_SIZE};

/// The colour of the smallest value (viridis' first colour).
pub const LOW_COLOR: RGBColor = RGBColor(68, 1, 84);
/// The colour of the largest value (viridis' last colour).
pub const HIGH_COLOR: RGBColor = RGBColor(253, 231, 37);

/// The colormaps `display.colormap` may name (case-insensitive), from d3-scale-chromatic via `colorous`, and
/// whether each is diverging (its middle colour is zero).
pub const COLORMAPS: [(&str, colorous::Gradient, bool); 14] = [
    ("viridis", colorous::VIRIDIS, false),
    ("magma", colorous::MAGMA, false),
    ("inferno", colorous::INFERNO, false),
    ("plasma", colorous::PLASMA, false),
    ("cividis", colorous::CIVIDIS, false),
    ("turbo", colorous::TURBO, false),
    ("greys", colorous::GREYS, false),
    ("blues", colorous::BLUES, false),
    ("rdbu", colorous::RED_BLUE, true),
    ("rdylbu", colorous::RED_YELLOW_BLUE, true),
    ("piyg", colorous::PINK_GREEN, true),
    ("brbg", colorous::BROWN_GREEN, true),
    ("puor", colorous::PURPLE_ORANGE, true),
    ("spectral", colorous::SPECTRAL, true),
];

/// The colormap a result asked for, and what is wrong with the request (drawn as a note; the plot falls back
/// to viridis rather than failing).
#[derive(Clone, Copy)]
pub struct Colormap {
    pub name: &'static str,
    gradient: colorous::Gradient,
    /// A diverging map is centred on zero: its scale runs from −m to m.
    pub diverging: bool,
}

impl std::fmt::Debug for Colormap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

impl PartialEq for Colormap {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Default for Colormap {
    fn default() -> Self {
        let (name, gradient, diverging) = COLORMAPS[0];
        Self {
            name,
            gradient,
            diverging,
        }
    }
}

impl Colormap {
    /// The colormap named by `display.colormap`; an unknown name gives viridis and a note naming the choices.
    pub fn from_display(display: &str) -> (Self, Option<String>) {
        #[derive(Deserialize)]
        struct Options {
            colormap: Option<String>,
        }
        let Some(wanted) = serde_json::from_str::<Options>(display)
            .ok()
            .and_then(|o| o.colormap)
        else {
            return (Self::default(), None);
        };
        match COLORMAPS
            .iter()
            .find(|(name, ..)| name.eq_ignore_ascii_case(wanted.trim()))
        {
            Some(&(name, gradient, diverging)) => (
                Self {
                    name,
                    gradient,
                    diverging,
                },
                None,
            ),
            None => {
                let known: Vec<&str> = COLORMAPS.iter().map(|(name, ..)| *name).collect();
                let note = format!(
                    "unknown colormap {wanted:?}, drawn in viridis; expected one of {}",
                    known.join(", ")
                );
                (Self::default(), Some(note))
            }
        }
    }

    /// The scale this map draws values from `range` on: the range itself, or for a diverging map the range
    /// made symmetric about zero, so that zero takes the middle colour.
    pub fn scale(&self, (lo, hi): (f64, f64)) -> (f64, f64) {
        if !self.diverging {
            return (lo, hi);
        }
        let m = lo.abs().max(hi.abs());
        if m > 0.0 {
            (-m, m)
        } else {
            (-1.0, 1.0)
        }
    }

    /// The colour of `v` on a scale from `min` to `max`.
    pub fn color(&self, v: f64, min: f64, max: f64) -> RGBColor {
        let t = if max > min {
            (v - min) / (max - min)
        } else {
            0.5
        };
        let c = self.gradient.eval_continuous(t.clamp(0.0, 1.0));
        RGBColor(c.r, c.g, c.b)
    }
}

/// Draws the colour bar of `colormap` over `scale` into `area` (a strip beside the heatmap): the colours from
/// bottom (min) to top (max), outlined, with labelled ticks on its right. `margins` (top, bottom) line the bar up
/// with the heatmap's plotting area.
pub fn draw_colour_bar<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    colormap: &Colormap,
    (min, max): (f64, f64),
    (top, bottom): (i32, i32),
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (_, height) = area.dim_in_pixel();
    let bar_height = height as i32 - top - bottom;
    if bar_height <= 0 || max <= min {
        return Ok(());
    }
    let (left, right) = (6, 6 + BAR_WIDTH);
    let y_of = |v: f64| top + ((max - v) / (max - min) * f64::from(bar_height)).round() as i32;
    let steps = 64;
    for k in 0..steps {
        let (a, b) = (k as f64 / steps as f64, (k + 1) as f64 / steps as f64);
        let (v0, v1) = (min + (max - min) * a, min + (max - min) * b);
        let color = colormap.color((v0 + v1) / 2.0, min, max);
        area.draw(&Rectangle::new(
            [(left, y_of(v1)), (right, y_of(v0))],
            color.filled(),
        ))
        .map_err(drawing_error)?;
    }
    let edge = ShapeStyle::from(RGBColor(120, 120, 120));
    area.draw(&Rectangle::new(
        [(left, top), (right, top + bar_height)],
        edge,
    ))
    .map_err(drawing_error)?;
    let font = (FONT, TICK_SIZE)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    for (v, label) in Axis::new((min, max), None).ticks(6).tick_labels() {
        let y = y_of(v);
        area.draw(&PathElement::new(vec![(right, y), (right + 4, y)], edge))
            .map_err(drawing_error)?;
        area.draw_text(&label, &font, (right + 7, y))
            .map_err(drawing_error)?;
    }
    Ok(())
}

/// The colour bar's width in pixels; with its labels it needs about [`BAR_ROOM`].
const BAR_WIDTH: i32 = 18;
/// The room beside a heatmap for its colour bar and tick labels.
pub const BAR_ROOM: u32 = 100;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plots::tests::has_text;

    #[test]
    fn a_diverging_map_is_centred_on_zero() {
        let (rdbu, _) = Colormap::from_display(r#"{"colormap": "RdBu"}"#);
        assert!(rdbu.diverging);
        assert_eq!(rdbu.scale((-1.0, 3.0)), (-3.0, 3.0));
        let (viridis, _) = Colormap::from_display("{}");
        assert_eq!(viridis.scale((-1.0, 3.0)), (-1.0, 3.0));
        // Zero takes the middle colour.
        let (lo, hi) = rdbu.scale((-1.0, 3.0));
        assert_eq!(rdbu.color(0.0, lo, hi), rdbu.color(0.5, 0.0, 1.0));
    }

    #[test]
    fn the_colour_bar_labels_its_ticks() {
        let mut svg = String::new();
        {
            let area = SVGBackend::with_string(&mut svg, (100, 300)).into_drawing_area();
            draw_colour_bar(&area, &Colormap::default(), (0.0, 10.0), (20, 40)).unwrap();
        }
        for label in ["0", "2", "4", "6", "8", "10"] {
            assert!(has_text(&svg, label), "tick {label} labelled: {svg}");
        }
        assert!(!has_text(&svg, "10.0"));
    }
}
