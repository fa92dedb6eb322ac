//! `Solution2D`: a heatmap in a perceptual colormap (viridis unless `display.colormap` names another), with a
//! colour bar and axes from `x` and `y` when given.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::model::ResultPayload;
use crate::plots::chart::{
    drawing_error, Axis, ChartSpec, Display, DrawResult, Frame2D, FONT, TICK_SIZE,
};
use crate::plots::colormap::{draw_colour_bar, BAR_ROOM};
pub use crate::plots::colormap::{Colormap, COLORMAPS, HIGH_COLOR, LOW_COLOR};
use crate::plots::fields::{check_len, matrix, take_matrix, vector};
use crate::plots::format::short_number;
use crate::plots::stats::{all_integers, finite_range};
use crate::plots::view::PlotData;

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
    /// How many (rows, columns) of cells each cell stands for, when the server reduced the grid.
    pub block: Option<(usize, usize)>,
    pub colormap: Colormap,
    /// Why the colormap asked for is not the one drawn.
    pub colormap_note: Option<String>,
}

impl Solution2D {
    pub fn from_payload(payload: &ResultPayload) -> Result<Self, String> {
        Self::assemble(matrix(payload, "values")?, payload)
    }

    /// The data as the server sent it for a plot, reduced or not.
    pub fn from_view(view: &PlotData) -> Result<Self, String> {
        let grid = view.grid();
        Ok(Self {
            scale: grid.map(|g| g.scale),
            reduced_from: grid.map(|g| g.full),
            block: grid.map(|g| g.block),
            ..Self::from_payload(&view.payload)?
        })
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
        let (colormap, colormap_note) = Colormap::from_display(&payload.display_json);
        Ok(Self {
            nx,
            ny,
            values,
            x,
            y,
            scale: None,
            reduced_from: None,
            block: None,
            colormap,
            colormap_note,
        })
    }

    /// The value range, for the colour scale: the data's, centred on zero for a diverging colormap.
    pub fn range(&self) -> (f64, f64) {
        self.colormap.scale(
            self.scale
                .unwrap_or_else(|| finite_range([self.values.as_slice()])),
        )
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
    /// The cell nearest to (`x`, `y`): its column and row, and the cells' centres along x and y.
    fn nearest(&self, x: f64, y: f64) -> Option<(usize, usize, Vec<f64>, Vec<f64>)> {
        let nearest = |centres: &[f64], v: f64| {
            (0..centres.len())
                .min_by(|&a, &b| (centres[a] - v).abs().total_cmp(&(centres[b] - v).abs()))
        };
        let (xs, ..) = axis(self.x.as_deref(), self.nx);
        let (ys, ..) = axis(self.y.as_deref(), self.ny);
        Some((nearest(&xs, x)?, nearest(&ys, y)?, xs, ys))
    }

    /// The value of the cell nearest to (`x`, `y`).
    pub fn value_at(&self, x: f64, y: f64) -> Option<f64> {
        let (i, j, ..) = self.nearest(x, y)?;
        self.values.get(j * self.nx + i).copied()
    }

    /// The cell nearest to (`x`, `y`), described for the hover read-out.
    pub fn readout(&self, x: f64, y: f64) -> Option<String> {
        let (i, j, xs, ys) = self.nearest(x, y)?;
        let value = self.values[j * self.nx + i];
        Some(match self.block.filter(|&b| b != (1, 1)) {
            None => format!("x = {}, y = {}, value = {}", xs[i], ys[j], value),
            Some((rows, cols)) => format!(
                "x ≈ {}, y ≈ {}, block of {}×{} cells, extreme = {}",
                short_number(xs[i]),
                short_number(ys[j]),
                rows,
                cols,
                short_number(value)
            ),
        })
    }
}

/// A part of a grid to show: its x range and its y range.
pub type Window = ((f64, f64), (f64, f64));

/// Draws the heatmap's cells and axes into `area` (no colour bar) on the colour scale `(min, max)`, and returns
/// where its axes lie: one panel of a heatmap, or of several on one scale (`fields`).
pub fn draw_cells<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &Solution2D,
    display: &Display,
    (min, max): (f64, f64),
    window: Option<Window>,
) -> Result<Frame2D, String>
where
    DB::ErrorType: 'static,
{
    if data.nx == 0 || data.ny == 0 {
        return Err("`values` is empty".into());
    }
    let (xs, dx, x_lo, x_hi) = axis(data.x.as_deref(), data.nx);
    let (ys, dy, y_lo, y_hi) = axis(data.y.as_deref(), data.ny);
    let ((x_lo, x_hi), (y_lo, y_hi)) = window.unwrap_or(((x_lo, x_hi), (y_lo, y_hi)));
    let inside = |c: f64, d: f64, (lo, hi): (f64, f64)| c + d / 2.0 >= lo && c - d / 2.0 <= hi;
    // Cells on whole-number coordinates (indices, by default) have whole-number ticks.
    let whole = data.reduced_from.is_none();
    let mut chart = ChartSpec::new(
        display.title.as_deref(),
        Axis::new((x_lo, x_hi), display.x_or("x")).integer(whole && all_integers([xs.as_slice()])),
        Axis::new((y_lo, y_hi), display.y_or("y")).integer(whole && all_integers([ys.as_slice()])),
    )
    .without_grid()
    .linear(area)?;
    let frame = Frame2D::of(&chart, (x_lo, x_hi), (y_lo, y_hi));
    let cells = (0..data.ny)
        .flat_map(|j| (0..data.nx).map(move |i| (i, j)))
        .filter(|&(i, j)| inside(xs[i], dx, (x_lo, x_hi)) && inside(ys[j], dy, (y_lo, y_hi)))
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
    Ok(frame)
}

/// Draws the heatmap with its colour bar and returns where its axes lie on the canvas.
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
    let (plot_area, bar_area) = area.split_horizontally(width.saturating_sub(BAR_ROOM));
    let frame = draw_cells(&plot_area, data, display, (min, max), None)?;

    // The colour bar beside the plotting area, as high as it.
    let height = area.dim_in_pixel().1 as i32;
    let base = area.get_base_pixel().1;
    let (top, bottom) = (frame.py.0 - base, height - (frame.py.1 - base));
    draw_colour_bar(&bar_area, &data.colormap, (min, max), (top, bottom))?;
    if let Some(note) = &data.colormap_note {
        plot_area
            .draw_text(
                note,
                &(FONT, TICK_SIZE).into_font().color(&RGBColor(180, 30, 30)),
                (12, height - 16),
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
