//! `Solution2D`: a heatmap in a perceptual colormap (viridis unless `display.colormap` names another), with a
//! colour bar and axes from `x` and `y` when given.

use plotters::coord::Shift;
use plotters::prelude::*;
use serde::Deserialize;

use crate::model::ResultPayload;
use crate::plots::reduce::{REDUCED_GRID, REDUCED_SCALE};
use crate::plots::{
    chart_builder, check_len, drawing_error, finite_range, matrix, short_number, take_matrix,
    vector, Display, DrawResult, Frame2D,
};

/// The colour of the smallest value (viridis' first colour).
pub const LOW_COLOR: RGBColor = RGBColor(68, 1, 84);
/// The colour of the largest value (viridis' last colour).
pub const HIGH_COLOR: RGBColor = RGBColor(253, 231, 37);

/// The colormaps `display.colormap` may name (case-insensitive), from d3-scale-chromatic via `colorous`.
pub const COLORMAPS: [(&str, colorous::Gradient); 10] = [
    ("viridis", colorous::VIRIDIS),
    ("magma", colorous::MAGMA),
    ("inferno", colorous::INFERNO),
    ("plasma", colorous::PLASMA),
    ("cividis", colorous::CIVIDIS),
    ("turbo", colorous::TURBO),
    ("greys", colorous::GREYS),
    ("blues", colorous::BLUES),
    ("rdbu", colorous::RED_BLUE),
    ("spectral", colorous::SPECTRAL),
];

/// The colormap a result asked for, and what is wrong with the request (drawn as a note; the plot falls back
/// to viridis rather than failing).
#[derive(Clone, Copy)]
pub struct Colormap {
    pub name: &'static str,
    gradient: colorous::Gradient,
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
        Self {
            name: COLORMAPS[0].0,
            gradient: COLORMAPS[0].1,
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
            .find(|(name, _)| name.eq_ignore_ascii_case(wanted.trim()))
        {
            Some(&(name, gradient)) => (Self { name, gradient }, None),
            None => {
                let known: Vec<&str> = COLORMAPS.iter().map(|(name, _)| *name).collect();
                let note = format!(
                    "unknown colormap {wanted:?}, drawn in viridis; expected one of {}",
                    known.join(", ")
                );
                (Self::default(), Some(note))
            }
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

/// The data of a `Solution2D` result: `values[ny][nx]`, row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct Solution2D {
    pub nx: usize,
    pub ny: usize,
    pub values: Vec<f64>,
    pub x: Option<Vec<f64>>,
    pub y: Option<Vec<f64>>,
    /// The colour scale's range, when it must stay fixed (animation frames, a reduced grid); else the values'
    /// range.
    pub scale: Option<(f64, f64)>,
    /// Set when the server reduced the grid: the full grid's (rows, columns); each cell then stands for a block.
    pub reduced_from: Option<(usize, usize)>,
    pub colormap: Colormap,
    /// Why the colormap asked for is not the one drawn.
    pub colormap_note: Option<String>,
}

impl Solution2D {
    pub fn from_payload(payload: &ResultPayload) -> Result<Self, String> {
        Self::assemble(matrix(payload, "values")?, payload)
    }

    /// Like [`Solution2D::from_payload`], moving the grid out of `payload` instead of copying it (the server
    /// reducing a large grid).
    pub fn take_from(payload: &mut ResultPayload) -> Result<Self, String> {
        Self::assemble(take_matrix(payload, "values")?, payload)
    }

    fn assemble(
        values: Option<(usize, usize, Vec<f64>)>,
        payload: &ResultPayload,
    ) -> Result<Self, String> {
        let (ny, nx, values) = values.ok_or("missing field `values`")?;
        let x = vector(payload, "x")?;
        let y = vector(payload, "y")?;
        check_len("x", x.as_deref(), nx, "values[0]")?;
        check_len("y", y.as_deref(), ny, "values")?;
        let pair = |name: &str| {
            payload
                .array(name)
                .and_then(|a| Some((*a.values.first()?, *a.values.get(1)?)))
        };
        let (colormap, colormap_note) = Colormap::from_display(&payload.display_json);
        Ok(Self {
            nx,
            ny,
            values,
            x,
            y,
            scale: pair(REDUCED_SCALE),
            reduced_from: pair(REDUCED_GRID).map(|(r, c)| (r as usize, c as usize)),
            colormap,
            colormap_note,
        })
    }

    /// The value range, for the colour scale.
    pub fn range(&self) -> (f64, f64) {
        self.scale
            .unwrap_or_else(|| finite_range([self.values.as_slice()]))
    }
}

/// The centre coordinates of `n` cells along an axis, and the axis range covering whole cells.
fn axis(coords: Option<&[f64]>, n: usize) -> (Vec<f64>, f64, f64, f64) {
    let centres: Vec<f64> =
        coords.map_or_else(|| (0..n).map(|i| i as f64).collect(), <[f64]>::to_vec);
    let step = if n > 1 {
        (centres[n - 1] - centres[0]) / (n - 1) as f64
    } else {
        1.0
    };
    let step = if step == 0.0 || !step.is_finite() {
        1.0
    } else {
        step
    };
    let (first, last) = (
        centres.first().copied().unwrap_or(0.0),
        centres.last().copied().unwrap_or(0.0),
    );
    let (lo, hi) = (
        first.min(last) - step.abs() / 2.0,
        first.max(last) + step.abs() / 2.0,
    );
    (centres, step.abs(), lo, hi)
}

pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &Solution2D,
    display: &Display,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    draw_with_frame(area, data, display).map(|_| ())
}

impl Solution2D {
    /// The cell nearest to (`x`, `y`), described for the hover read-out.
    pub fn readout(&self, x: f64, y: f64) -> Option<String> {
        let nearest = |centres: &[f64], v: f64| {
            (0..centres.len())
                .min_by(|&a, &b| (centres[a] - v).abs().total_cmp(&(centres[b] - v).abs()))
        };
        let (xs, ..) = axis(self.x.as_deref(), self.nx);
        let (ys, ..) = axis(self.y.as_deref(), self.ny);
        let (i, j) = (nearest(&xs, x)?, nearest(&ys, y)?);
        let value = self.values[j * self.nx + i];
        Some(match self.reduced_from {
            None => format!("x = {}, y = {}, value = {}", xs[i], ys[j], value),
            Some((rows, cols)) => format!(
                "x ≈ {}, y ≈ {}, block of {}×{} cells, extreme = {}",
                short_number(xs[i]),
                short_number(ys[j]),
                rows.div_ceil(self.ny),
                cols.div_ceil(self.nx),
                short_number(value)
            ),
        })
    }
}

/// Draws the heatmap and returns where its axes lie on the canvas.
pub fn draw_with_frame<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &Solution2D,
    display: &Display,
) -> Result<Frame2D, String>
where
    DB::ErrorType: 'static,
{
    area.fill(&WHITE).map_err(drawing_error)?;
    if data.nx == 0 || data.ny == 0 {
        return Err("`values` is empty".into());
    }
    let (min, max) = data.range();
    let width = area.dim_in_pixel().0;
    let (plot_area, bar_area) = area.split_horizontally(width.saturating_sub(110));

    let (xs, dx, x_lo, x_hi) = axis(data.x.as_deref(), data.nx);
    let (ys, dy, y_lo, y_hi) = axis(data.y.as_deref(), data.ny);
    let mut chart = chart_builder(&plot_area, display.title.as_deref())
        .build_cartesian_2d(x_lo..x_hi, y_lo..y_hi)
        .map_err(drawing_error)?;
    let (px, py) = chart.plotting_area().get_pixel_range();
    let frame = Frame2D {
        x: (x_lo, x_hi),
        y: (y_lo, y_hi),
        px: (px.start, px.end),
        py: (py.start, py.end),
    };
    chart
        .configure_mesh()
        .x_label_formatter(&crate::plots::tick)
        .y_label_formatter(&crate::plots::tick)
        .disable_mesh()
        .x_desc(display.labels.x.as_deref().unwrap_or("x"))
        .y_desc(display.labels.y.as_deref().unwrap_or("y"))
        .draw()
        .map_err(drawing_error)?;
    let cells = (0..data.ny)
        .flat_map(|j| (0..data.nx).map(move |i| (i, j)))
        .filter_map(|(i, j)| {
            let v = data.values[j * data.nx + i];
            v.is_finite().then(|| {
                let (cx, cy) = (xs[i], ys[j]);
                Rectangle::new(
                    [
                        (cx - dx / 2.0, cy - dy / 2.0),
                        (cx + dx / 2.0, cy + dy / 2.0),
                    ],
                    data.colormap.color(v, min, max).filled(),
                )
            })
        });
    chart.draw_series(cells).map_err(drawing_error)?;

    // The colour bar: the scale from min to max, with its own axis.
    let mut bar = ChartBuilder::on(&bar_area)
        .margin_top(if display.title.is_some() { 40 } else { 12 })
        .margin_bottom(54)
        .margin_left(4)
        .margin_right(30)
        .y_label_area_size(56)
        .build_cartesian_2d(0.0..1.0, min..max)
        .map_err(drawing_error)?;
    bar.configure_mesh()
        .x_label_formatter(&crate::plots::tick)
        .y_label_formatter(&crate::plots::tick)
        .disable_mesh()
        .disable_x_axis()
        .y_labels(6)
        .draw()
        .map_err(drawing_error)?;
    let steps = 64;
    bar.draw_series((0..steps).map(|k| {
        let (a, b) = (k as f64 / steps as f64, (k + 1) as f64 / steps as f64);
        let (v0, v1) = (min + (max - min) * a, min + (max - min) * b);
        Rectangle::new(
            [(0.0, v0), (1.0, v1)],
            data.colormap.color((v0 + v1) / 2.0, min, max).filled(),
        )
    }))
    .map_err(drawing_error)?;
    if let Some(note) = &data.colormap_note {
        plot_area
            .draw_text(
                note,
                &("sans-serif", 12).into_font().color(&RGBColor(180, 30, 30)),
                (12, area.dim_in_pixel().1 as i32 - 16),
            )
            .map_err(drawing_error)?;
    }
    area.present().map_err(drawing_error)?;
    Ok(frame)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plots::tests::{payload, render_svg};

    #[test]
    fn display_colormap_chooses_another_and_an_unknown_one_is_named() {
        let grid = |display: &str| {
            let p = payload(
                "Solution2D",
                &[("values", vec![1, 2], vec![0.0, 1.0])],
                display,
            );
            let data = Solution2D::from_payload(&p).unwrap();
            (
                render_svg(|area| draw(area, &data, &Display::from_json(display))),
                data,
            )
        };
        let hex = |c: RGBColor| format!("fill=\"#{:02X}{:02X}{:02X}\"", c.0, c.1, c.2);
        let (magma, data) = grid(r#"{"colormap": "Magma"}"#);
        assert_eq!(data.colormap.name, "magma");
        // magma runs from near black (0, 0, 4) to pale yellow (252, 253, 191).
        assert!(
            magma.contains(&hex(RGBColor(0, 0, 4)))
                && magma.contains(&hex(RGBColor(252, 253, 191)))
        );
        assert!(!magma.contains(&hex(LOW_COLOR)));

        let (jet, data) = grid(r#"{"colormap": "jet"}"#);
        assert_eq!(data.colormap.name, "viridis");
        assert!(jet.contains(&hex(LOW_COLOR)), "falls back to viridis");
        assert!(
            jet.contains("unknown colormap &quot;jet&quot;")
                || jet.contains("unknown colormap \"jet\""),
            "says so on the plot"
        );
    }

    #[test]
    fn draws_extremes_in_viridis_end_colours_with_a_colour_bar() {
        let p = payload(
            "Solution2D",
            &[("values", vec![2, 3], vec![0.0, 1.0, 2.0, 3.0, 4.0, 10.0])],
            r#"{"title": "Field"}"#,
        );
        let data = Solution2D::from_payload(&p).unwrap();
        let svg = render_svg(|area| draw(area, &data, &Display::from_json(&p.display_json)));
        let hex = |c: RGBColor| format!("fill=\"#{:02X}{:02X}{:02X}\"", c.0, c.1, c.2);
        assert!(
            svg.contains(&hex(LOW_COLOR)),
            "the minimum cell and the bar's bottom"
        );
        assert!(
            svg.contains(&hex(HIGH_COLOR)),
            "the maximum cell and the bar's top"
        );
        assert!(svg.contains("Field"));
        assert!(
            svg.matches("<rect").count() >= 6 + 64,
            "six cells and the bar's steps"
        );
    }

    #[test]
    fn hover_reads_the_cell_under_the_pointer() {
        let p = payload(
            "Solution2D",
            &[
                ("values", vec![2, 3], vec![0.0, 1.0, 2.0, 3.0, 4.0, 10.0]),
                ("x", vec![3], vec![10.0, 20.0, 30.0]),
            ],
            "{}",
        );
        let data = Solution2D::from_payload(&p).unwrap();
        assert_eq!(
            data.readout(29.0, 0.8).unwrap(),
            "x = 30, y = 1, value = 10"
        );
        let mut svg = String::new();
        let area = SVGBackend::with_string(&mut svg, (800, 400)).into_drawing_area();
        let frame = draw_with_frame(&area, &data, &Display::default()).unwrap();
        let (x, y) = frame.data_xy(frame.px.0, frame.py.0).unwrap();
        assert_eq!(
            (x, y),
            (5.0, 1.5),
            "the top-left corner is the first column's left edge and the top row's top"
        );
        assert!(frame.data_xy(frame.px.1 + 3, frame.py.0).is_none());
    }

    #[test]
    fn mismatched_axes_are_explained() {
        let p = payload(
            "Solution2D",
            &[
                ("values", vec![2, 3], vec![0.0; 6]),
                ("x", vec![2], vec![0.0, 1.0]),
            ],
            "{}",
        );
        let err = Solution2D::from_payload(&p).unwrap_err();
        assert!(err.contains("`x`") && err.contains("expected 3"), "{err}");
    }
}
