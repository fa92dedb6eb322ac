//! The one chart set-up every renderer uses: the frame (margins, title, label areas sized to their ticks), axes
//! with clean ticks, the grid, the legend (placed where it hides no data), min–max bands, and the fonts, line
//! widths and colours they all share. Above the bottom layer (`fields`, `stats`, `format`), below the renderers.

use plotters::coord::combinators::WithKeyPoints;
use plotters::coord::ranged1d::{AsRangedCoord, Ranged, ValueFormatter};
use plotters::coord::types::RangedCoordf64 as Linear1D;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use serde::Deserialize;

use crate::plots::format::TickFormat;

/// What drawing returns: an error says what is wrong with the data or the drawing.
pub type DrawResult = Result<(), String>;

/// Turns a plotters drawing error into text.
pub fn drawing_error<E: std::error::Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> String {
    e.to_string()
}

/// The font family of every chart.
pub const FONT: &str = "sans-serif";
/// Text sizes, in pixels: chart titles, axis titles, tick labels and notes, a secondary panel's caption.
pub const TITLE_SIZE: u32 = 18;
pub const AXIS_TITLE_SIZE: u32 = 14;
pub const TICK_SIZE: u32 = 12;
pub const CAPTION_SIZE: u32 = 14;
/// The width of a data line; thin lines (paths, band edges, trails) are 1.
pub const LINE_WIDTH: u32 = 2;
/// The light grid colour of every chart.
pub const GRID: RGBColor = RGBColor(235, 235, 235);
/// Series colours, in order (the Tableau 10 palette): the first is every chart's main series, the second what
/// it is compared with (expected values).
pub const PALETTE: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

/// The style of a data line in `color`.
pub fn line(color: RGBColor) -> ShapeStyle {
    ShapeStyle::from(color).stroke_width(LINE_WIDTH)
}

/// The common part of a result's `display` object.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Display {
    pub title: Option<String>,
    pub labels: Labels,
    /// The whole object, for the options of each type.
    #[serde(skip)]
    pub raw: String,
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
        let mut display: Self = serde_json::from_str(text).unwrap_or_default();
        display.raw = text.to_owned();
        display
    }

    /// The x axis title: `display.labels.x`, else the renderer's default.
    pub fn x_or<'a>(&'a self, default: &'a str) -> &'a str {
        self.labels.x.as_deref().unwrap_or(default)
    }

    /// The y axis title: `display.labels.y`, else the renderer's default.
    pub fn y_or<'a>(&'a self, default: &'a str) -> &'a str {
        self.labels.y.as_deref().unwrap_or(default)
    }
}

/// Where a drawn chart's x axis lies on the canvas, to turn a pointer position back into data.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Frame {
    /// The x range shown.
    pub x: (f64, f64),
    /// The plotting area's first and last pixel column.
    pub px: (i32, i32),
}

impl Frame {
    /// The frame of a chart's plotting area over x range `x`.
    pub fn of<DB: DrawingBackend, CT: CoordTranslate>(
        chart: &ChartContext<'_, DB, CT>,
        x: (f64, f64),
    ) -> Self {
        let (px, _) = chart.plotting_area().get_pixel_range();
        Self {
            x,
            px: (px.start, px.end),
        }
    }

    /// The data x under pixel column `px`, if it is inside the plotting area.
    pub fn data_x(&self, px: i32) -> Option<f64> {
        let (left, right) = self.px;
        if px < left || px > right || right <= left {
            return None;
        }
        Some(self.x.0 + (self.x.1 - self.x.0) * f64::from(px - left) / f64::from(right - left))
    }

    /// The x range to show after a drag from pixel column `start` to `end` (clamped to the plotting area): the
    /// range dragged over, or with `pan` the range shown moved by the drag; `None` for a drag shorter than
    /// `MIN_DRAG` pixels (a click).
    pub fn dragged(&self, start: i32, end: i32, pan: bool) -> Option<(f64, f64)> {
        let (start, end) = (
            start.clamp(self.px.0, self.px.1),
            end.clamp(self.px.0, self.px.1),
        );
        if (end - start).abs() < MIN_DRAG {
            return None;
        }
        let (a, b) = (self.data_x(start)?, self.data_x(end)?);
        if pan {
            let shift = a - b;
            Some((self.x.0 + shift, self.x.1 + shift))
        } else {
            Some((a.min(b), a.max(b)))
        }
    }

    /// The x range to show after a wheel step at pixel column `px`: zoomed in about it when `zoom_in`, else
    /// out.
    pub fn wheeled(&self, px: i32, zoom_in: bool) -> Option<(f64, f64)> {
        let at = self.data_x(px)?;
        let factor = if zoom_in { 0.8 } else { 1.25 };
        Some((at - (at - self.x.0) * factor, at + (self.x.1 - at) * factor))
    }
}

/// A drag shorter than this many pixels is a click, not a zoom.
pub const MIN_DRAG: i32 = 5;

/// Where a drawn chart's two axes lie on the canvas (y grows upwards, pixels downwards).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Frame2D {
    pub x: (f64, f64),
    pub y: (f64, f64),
    pub px: (i32, i32),
    pub py: (i32, i32),
}

impl Frame2D {
    /// The frame of a chart's plotting area over `x` and `y`.
    pub fn of<DB: DrawingBackend, CT: CoordTranslate>(
        chart: &ChartContext<'_, DB, CT>,
        x: (f64, f64),
        y: (f64, f64),
    ) -> Self {
        let (px, py) = chart.plotting_area().get_pixel_range();
        Self {
            x,
            y,
            px: (px.start, px.end),
            py: (py.start, py.end),
        }
    }

    /// The x and y ranges a drag from pixel `start` to `end` encloses (clamped to the plotting area); `None`
    /// for a drag shorter than `MIN_DRAG` pixels either way (a click).
    pub fn dragged(&self, start: (i32, i32), end: (i32, i32)) -> Option<((f64, f64), (f64, f64))> {
        let clamp =
            |(x, y): (i32, i32)| (x.clamp(self.px.0, self.px.1), y.clamp(self.py.0, self.py.1));
        let (start, end) = (clamp(start), clamp(end));
        if (end.0 - start.0).abs() < MIN_DRAG || (end.1 - start.1).abs() < MIN_DRAG {
            return None;
        }
        let (a, b) = (self.data_xy(start.0, start.1)?, self.data_xy(end.0, end.1)?);
        Some(((a.0.min(b.0), a.0.max(b.0)), (a.1.min(b.1), a.1.max(b.1))))
    }

    /// The x and y ranges shown moved by a drag from pixel `start` to `end` (a pan: what was under the pointer
    /// follows it); `None` for a drag shorter than `MIN_DRAG` pixels both ways, or from outside the frame.
    pub fn panned(&self, start: (i32, i32), end: (i32, i32)) -> Option<((f64, f64), (f64, f64))> {
        if (end.0 - start.0).abs() < MIN_DRAG && (end.1 - start.1).abs() < MIN_DRAG {
            return None;
        }
        self.data_xy(start.0, start.1)?;
        // The end may lie outside the frame: move by the pixels dragged, at the frame's scale (y grows up).
        let (px, py) = (
            f64::from(self.px.1 - self.px.0).max(1.0),
            f64::from(self.py.1 - self.py.0).max(1.0),
        );
        let shift_x = -f64::from(end.0 - start.0) * (self.x.1 - self.x.0) / px;
        let shift_y = f64::from(end.1 - start.1) * (self.y.1 - self.y.0) / py;
        Some((
            (self.x.0 + shift_x, self.x.1 + shift_x),
            (self.y.0 + shift_y, self.y.1 + shift_y),
        ))
    }

    /// The x and y ranges to show after a wheel step at pixel `at`: zoomed in about it when `zoom_in`, else
    /// out.
    pub fn wheeled(&self, at: (i32, i32), zoom_in: bool) -> Option<((f64, f64), (f64, f64))> {
        let (x, y) = self.data_xy(at.0, at.1)?;
        let factor = if zoom_in { 0.8 } else { 1.25 };
        let about = |v: f64, (lo, hi): (f64, f64)| (v - (v - lo) * factor, v + (hi - v) * factor);
        Some((about(x, self.x), about(y, self.y)))
    }

    /// The pixel of data point (`x`, `y`), if it is inside the ranges shown: the inverse of [`Frame2D::data_xy`].
    pub fn pixel_of(&self, x: f64, y: f64) -> Option<(i32, i32)> {
        let inside = |v: f64, (lo, hi): (f64, f64)| v >= lo.min(hi) && v <= lo.max(hi);
        if !inside(x, self.x) || !inside(y, self.y) || self.x.1 == self.x.0 || self.y.1 == self.y.0
        {
            return None;
        }
        let px = f64::from(self.px.0)
            + (x - self.x.0) / (self.x.1 - self.x.0) * f64::from(self.px.1 - self.px.0);
        let py = f64::from(self.py.0)
            + (self.y.1 - y) / (self.y.1 - self.y.0) * f64::from(self.py.1 - self.py.0);
        Some((px.round() as i32, py.round() as i32))
    }

    /// The data point under pixel (`px`, `py`), if it is inside the plotting area.
    pub fn data_xy(&self, px: i32, py: i32) -> Option<(f64, f64)> {
        let x = Frame {
            x: self.x,
            px: self.px,
        }
        .data_x(px)?;
        let (top, bottom) = self.py;
        if py < top || py > bottom || bottom <= top {
            return None;
        }
        Some((
            x,
            self.y.1 - (self.y.1 - self.y.0) * f64::from(py - top) / f64::from(bottom - top),
        ))
    }
}

/// Plots whose hover read-out names the point nearest to a data x.
pub trait ReadOut {
    fn readout(&self, x: f64) -> Option<String>;
}

/// One axis of a chart: its range, its title, and what its ticks are.
#[derive(Clone, Copy, Debug)]
pub struct Axis<'t> {
    pub range: (f64, f64),
    pub title: Option<&'t str>,
    /// Whole-number data (steps, counts, indices): ticks only at whole numbers.
    pub integer: bool,
    /// A log scale.
    pub log: bool,
    /// How many ticks at most.
    pub ticks: usize,
    /// Where the ticks go, when the chart chooses (the x values of a convergence study); log axes only.
    pub at: Option<&'t [f64]>,
}

impl<'t> Axis<'t> {
    /// A linear axis over `range`, titled `title`.
    pub fn new(range: (f64, f64), title: impl Into<Option<&'t str>>) -> Self {
        Self {
            range,
            title: title.into(),
            integer: false,
            log: false,
            ticks: 10,
            at: None,
        }
    }

    /// Ticks exactly at `values` (a log axis).
    pub fn at(self, values: &'t [f64]) -> Self {
        Self {
            at: Some(values),
            ..self
        }
    }

    /// Ticks only at whole numbers when `integer`.
    pub fn integer(self, integer: bool) -> Self {
        Self { integer, ..self }
    }

    /// A logarithmic axis.
    pub fn log(self) -> Self {
        Self { log: true, ..self }
    }

    /// At most `ticks` ticks.
    pub fn ticks(self, ticks: usize) -> Self {
        Self { ticks, ..self }
    }

    fn format(&self) -> TickFormat {
        if self.log {
            TickFormat::log()
        } else {
            TickFormat::linear(self.range, self.integer)
        }
    }

    fn tick_count(&self) -> usize {
        self.format().count(self.range, self.ticks)
    }

    /// This axis's ticks and their labels, where plotters places them.
    pub fn tick_labels(&self) -> Vec<(f64, String)> {
        let (lo, hi) = self.range;
        let format = self.format();
        let points = if let (true, Some(at)) = (self.log, self.at) {
            at.to_vec()
        } else if self.log {
            LogCoord::<f64>::from((lo..hi).log_scale()).key_points(self.tick_count())
        } else {
            Linear1D::from(lo..hi).key_points(self.tick_count())
        };
        points.into_iter().map(|v| (v, format.label(v))).collect()
    }
}

/// A chart's frame: title, axes, and whether it draws a grid. Secondary panels (an error panel under a
/// solution) are `compact`: a smaller caption, fewer ticks.
#[derive(Clone, Copy, Debug)]
pub struct ChartSpec<'t> {
    pub title: Option<&'t str>,
    pub x: Axis<'t>,
    pub y: Axis<'t>,
    pub grid: bool,
    pub compact: bool,
}

/// A chart over two linear axes.
pub type Linear<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;
/// A chart whose y axis is logarithmic.
pub type LogY<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, LogCoord<f64>>>;
/// A chart over any two axes.
pub type Chart<'a, DB, X, Y> = ChartContext<'a, DB, Cartesian2d<X, Y>>;
/// A chart with both axes logarithmic, x ticked where [`Axis::at`] says.
pub type LogLog<'a, DB> = Chart<'a, DB, WithKeyPoints<LogCoord<f64>>, LogCoord<f64>>;

impl<'t> ChartSpec<'t> {
    /// A chart titled `title` over `x` and `y`, with a grid.
    pub fn new(title: Option<&'t str>, x: Axis<'t>, y: Axis<'t>) -> Self {
        Self {
            title,
            x,
            y,
            grid: true,
            compact: false,
        }
    }

    /// Without grid lines (heatmaps, histograms).
    pub fn without_grid(self) -> Self {
        Self {
            grid: false,
            ..self
        }
    }

    /// A secondary panel: a smaller caption, at most five y ticks.
    pub fn compact(self) -> Self {
        Self {
            compact: true,
            y: self.y.ticks(5),
            ..self
        }
    }

    /// Builds the chart on `area` and draws its axes, ticks and grid.
    pub fn linear<'a, DB: DrawingBackend>(
        &self,
        area: &'a DrawingArea<DB, Shift>,
    ) -> Result<Linear<'a, DB>, String>
    where
        DB::ErrorType: 'static,
    {
        let ((x_lo, x_hi), (lo, hi)) = (self.x.range, self.y.range);
        self.build(area, x_lo..x_hi, lo..hi)
    }

    /// Like [`ChartSpec::linear`], with a logarithmic y axis (every y must be positive).
    pub fn log_y<'a, DB: DrawingBackend>(
        &self,
        area: &'a DrawingArea<DB, Shift>,
    ) -> Result<LogY<'a, DB>, String>
    where
        DB::ErrorType: 'static,
    {
        let spec = Self {
            y: self.y.log(),
            ..*self
        };
        let ((x_lo, x_hi), (lo, hi)) = (self.x.range, self.y.range);
        spec.build(area, x_lo..x_hi, (lo..hi).log_scale())
    }

    /// Like [`ChartSpec::linear`], with both axes logarithmic (every x and y must be positive).
    pub fn log_log<'a, DB: DrawingBackend>(
        &self,
        area: &'a DrawingArea<DB, Shift>,
    ) -> Result<LogLog<'a, DB>, String>
    where
        DB::ErrorType: 'static,
    {
        let spec = Self {
            x: self.x.log(),
            y: self.y.log(),
            ..*self
        };
        let ((x_lo, x_hi), (lo, hi)) = (self.x.range, self.y.range);
        let x = LogCoord::<f64>::from((x_lo..x_hi).log_scale())
            .with_key_points(spec.x.tick_labels().into_iter().map(|(v, _)| v).collect());
        spec.build(area, x, (lo..hi).log_scale())
    }

    fn build<'a, DB, X, Y>(
        &self,
        area: &'a DrawingArea<DB, Shift>,
        x: X,
        y: Y,
    ) -> Result<Chart<'a, DB, X::CoordDescType, Y::CoordDescType>, String>
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
        X: AsRangedCoord<Value = f64>,
        X::CoordDescType: ValueFormatter<f64>,
        Y: AsRangedCoord<Value = f64>,
        Y::CoordDescType: ValueFormatter<f64>,
    {
        let tick_font: TextStyle = (FONT, TICK_SIZE).into_font().into();
        let title_font: TextStyle = (FONT, AXIS_TITLE_SIZE).into_font().into();
        // The y label area holds the widest tick label, the tick marks' gap, and the axis title beside them.
        let widest = self
            .y
            .tick_labels()
            .iter()
            .filter_map(|(_, label)| area.estimate_text_size(label, &tick_font).ok())
            .map(|(w, _)| w)
            .max()
            .unwrap_or(0);
        let title_room = if self.y.title.is_some() {
            AXIS_TITLE_SIZE + 8
        } else {
            0
        };
        let mut builder = ChartBuilder::on(area);
        builder
            .margin(12)
            .x_label_area_size(if self.compact {
                TICK_SIZE + 18
            } else {
                TICK_SIZE + 18 + title_room.max(AXIS_TITLE_SIZE + 8)
            })
            .y_label_area_size(widest + 10 + 6 + title_room);
        if let Some(title) = self.title {
            let width = area.dim_in_pixel().0 as usize;
            let size = if self.compact {
                CAPTION_SIZE
            } else {
                TITLE_SIZE
            };
            builder.caption(fit_caption(title, width, size), (FONT, size));
        }
        let mut chart = builder.build_cartesian_2d(x, y).map_err(drawing_error)?;
        let (x_format, y_format) = (self.x.format(), self.y.format());
        let x_label = move |v: &f64| x_format.label(*v);
        let y_label = move |v: &f64| y_format.label(*v);
        let mut mesh = chart.configure_mesh();
        mesh.x_label_formatter(&x_label)
            .y_label_formatter(&y_label)
            .x_labels(self.x.tick_count())
            .y_labels(self.y.tick_count())
            .label_style(tick_font)
            .axis_desc_style(title_font)
            .light_line_style(GRID);
        if !self.grid {
            mesh.disable_mesh();
        }
        if let Some(title) = self.x.title {
            mesh.x_desc(title);
        }
        if let Some(title) = self.y.title {
            mesh.y_desc(title);
        }
        mesh.draw().map_err(drawing_error)?;
        Ok(chart)
    }
}

/// `title` cut with an ellipsis to what fits `width` pixels at `size` (characters about half as wide as
/// high): the card's heading above the plot shows the whole title.
fn fit_caption(title: &str, width: usize, size: u32) -> std::borrow::Cow<'_, str> {
    let fits = width.saturating_sub(24) / (size as usize / 2).max(1);
    match title.char_indices().nth(fits.max(2)) {
        None => title.into(),
        Some(_) => {
            let end = title
                .char_indices()
                .nth(fits.max(2) - 1)
                .map_or(title.len(), |(i, _)| i);
            format!("{}…", &title[..end]).into()
        }
    }
}

/// Draws a reduced series's band: translucent between each column's minimum and maximum, edged by thin lines,
/// under the line of its means; one polygon per run of columns with values. Nothing without a band (raw data).
pub fn draw_band<'a, DB, CT>(
    chart: &mut ChartContext<'a, DB, CT>,
    x: &[f64],
    band: Option<(&[f64], &[f64])>,
    color: RGBColor,
) -> DrawResult
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    CT: CoordTranslate<From = (f64, f64)>,
{
    let Some((min, max)) = band else {
        return Ok(());
    };
    let style = color.mix(0.3).filled();
    let n = x.len().min(min.len()).min(max.len());
    let mut start = 0;
    while start < n {
        let has = |i: usize| x[i].is_finite() && min[i].is_finite() && max[i].is_finite();
        if !has(start) {
            start += 1;
            continue;
        }
        let end = (start..n).find(|&i| !has(i)).unwrap_or(n);
        let run = start..end;
        if run.len() == 1 {
            let i = start;
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(x[i], min[i]), (x[i], max[i])],
                    color.mix(0.5),
                )))
                .map_err(drawing_error)?;
        } else {
            let outline: Vec<(f64, f64)> = run
                .clone()
                .map(|i| (x[i], max[i]))
                .chain(run.clone().rev().map(|i| (x[i], min[i])))
                .collect();
            chart
                .draw_series(std::iter::once(Polygon::new(outline, style)))
                .map_err(drawing_error)?;
            // The edges, so that a spike one column wide stands out from the fill.
            for edge in [max, min] {
                chart
                    .draw_series(LineSeries::new(
                        run.clone().map(|i| (x[i], edge[i])),
                        color.mix(0.6),
                    ))
                    .map_err(drawing_error)?;
            }
        }
        start = end;
    }
    Ok(())
}

/// The x range of raw data shown as a whole: its finite range, or `view` when zoomed.
pub fn x_range(view: Option<(f64, f64)>, x: &[f64]) -> (f64, f64) {
    match view {
        Some((lo, hi)) if lo < hi => (lo, hi),
        _ => crate::plots::stats::finite_range([x]),
    }
}

/// `range` widened by `fraction` of its span on both sides.
pub fn padded((lo, hi): (f64, f64), fraction: f64) -> (f64, f64) {
    let pad = (hi - lo) * fraction;
    (lo - pad, hi + pad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drags_and_wheel_steps_become_ranges_and_clicks_do_not() {
        let frame = Frame {
            x: (0.0, 10.0),
            px: (100, 200),
        };
        assert_eq!(frame.dragged(120, 150, false), Some((2.0, 5.0)));
        assert_eq!(
            frame.dragged(150, 120, false),
            Some((2.0, 5.0)),
            "either way"
        );
        assert_eq!(frame.dragged(150, 500, false), Some((5.0, 10.0)), "clamped");
        assert_eq!(frame.dragged(150, 153, false), None, "a click");
        assert_eq!(frame.dragged(150, 130, true), Some((2.0, 12.0)), "a pan");
        assert_eq!(frame.wheeled(150, true), Some((1.0, 9.0)));
        assert_eq!(frame.wheeled(150, false), Some((-1.25, 11.25)));
        assert_eq!(frame.wheeled(90, true), None, "outside the plot");

        let grid = Frame2D {
            x: (0.0, 10.0),
            y: (0.0, 1.0),
            px: (100, 200),
            py: (0, 100),
        };
        assert_eq!(
            grid.dragged((120, 10), (150, 60)),
            Some(((2.0, 5.0), (0.4, 0.9)))
        );
        assert_eq!(grid.dragged((120, 10), (150, 12)), None, "too flat");
        assert_eq!(grid.pixel_of(2.0, 0.9), Some((120, 10)));
        assert_eq!(grid.data_xy(120, 10), Some((2.0, 0.9)), "the inverse");
        assert_eq!(grid.pixel_of(11.0, 0.5), None, "outside");
        // A pan: what was under the pointer at (150, 50) — (5, 0.5) — is under it at (170, 30).
        let (x, y) = grid.panned((150, 50), (170, 30)).unwrap();
        let moved = Frame2D { x, y, ..grid };
        let (at_x, at_y) = moved.data_xy(170, 30).unwrap();
        assert!((at_x - 5.0).abs() < 1e-12 && (at_y - 0.5).abs() < 1e-12);
        assert_eq!(grid.panned((150, 50), (152, 51)), None, "a click");
        assert_eq!(
            grid.panned((50, 50), (150, 50)),
            None,
            "from outside the plot"
        );
        let ((x0, x1), (y0, y1)) = grid.wheeled((150, 50), true).unwrap();
        let near = |a: f64, b: f64| (a - b).abs() < 1e-12;
        assert!(near(x0, 1.0) && near(x1, 9.0) && near(y0, 0.1) && near(y1, 0.9));
    }

    #[test]
    fn a_long_caption_is_cut_to_the_plot_width() {
        assert_eq!(fit_caption("Heat equation", 800, 18), "Heat equation");
        let long = "t".repeat(300);
        let cut = fit_caption(&long, 800, 18);
        assert!(cut.ends_with('…'));
        assert_eq!(cut.chars().count(), (800 - 24) / 9);
        assert_eq!(fit_caption("αβγδεζηθ", 60, 18), "αβγ…");
    }
}
