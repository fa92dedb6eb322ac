//! Legends that never hide data: a chart's legend goes in the first corner of its plotting area that nothing
//! drawn passes through, or in room made above the data. Part of the chart layer.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::plots::chart::{
    drawing_error, Axis, ChartSpec, DrawResult, Linear, LogY, FONT, TICK_SIZE,
};

/// Draws a chart's legend at `position` (from [`ChartSpec::linear_with_legend`]).
pub fn draw_legend<'a, DB, CT>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> DrawResult
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    CT: CoordTranslate,
{
    chart
        .configure_series_labels()
        .position(position)
        .label_font((FONT, TICK_SIZE))
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(200, 200, 200))
        .draw()
        .map_err(drawing_error)
}

/// What a chart with a legend draws: the legend's lines, and everything drawn under it (polylines in data
/// coordinates; [`band_outline`] gives a band's).
pub struct Legend<'l> {
    pub labels: &'l [&'l str],
    pub drawn: &'l [Vec<(f64, f64)>],
}

impl<'t> ChartSpec<'t> {
    /// Builds the chart like [`ChartSpec::linear`] and finds where its legend hides no data: the first free
    /// corner of the plotting area (upper right, upper left, lower right, lower left) or, when data fills every
    /// corner, the upper right corner of room made above the data by widening the y axis.
    pub fn linear_with_legend<'a, DB: DrawingBackend>(
        &self,
        area: &'a DrawingArea<DB, Shift>,
        legend: &Legend<'_>,
    ) -> Result<(Linear<'a, DB>, SeriesLabelPosition), String>
    where
        DB::ErrorType: 'static,
    {
        let chart = self.linear(area)?;
        if let Some(corner) = legend_corner(&chart, legend) {
            return Ok((chart, corner));
        }
        let share = room_share(&chart, legend);
        let (lo, hi) = self.y.range;
        area.fill(&WHITE).map_err(drawing_error)?;
        let roomy = self.with_y_top(hi + (hi - lo) * share);
        Ok((roomy.linear(area)?, SeriesLabelPosition::UpperRight))
    }

    /// [`ChartSpec::linear_with_legend`] on a logarithmic y axis: the room above the data is made in decades.
    pub fn log_y_with_legend<'a, DB: DrawingBackend>(
        &self,
        area: &'a DrawingArea<DB, Shift>,
        legend: &Legend<'_>,
    ) -> Result<(LogY<'a, DB>, SeriesLabelPosition), String>
    where
        DB::ErrorType: 'static,
    {
        let chart = self.log_y(area)?;
        if let Some(corner) = legend_corner(&chart, legend) {
            return Ok((chart, corner));
        }
        let share = room_share(&chart, legend);
        let (lo, hi) = self.y.range;
        area.fill(&WHITE).map_err(drawing_error)?;
        let roomy = self.with_y_top(hi * (hi / lo).powf(share));
        Ok((roomy.log_y(area)?, SeriesLabelPosition::UpperRight))
    }

    fn with_y_top(&self, hi: f64) -> Self {
        Self {
            y: Axis {
                range: (self.y.range.0, hi),
                ..self.y
            },
            ..*self
        }
    }
}

/// How much of the y range to add on top of the data so that the legend fits above it: the legend's height
/// and its 5-pixel gaps, as a share of the plot that is left.
fn room_share<DB: DrawingBackend, CT: CoordTranslate>(
    chart: &ChartContext<'_, DB, CT>,
    legend: &Legend<'_>,
) -> f64 {
    let (_, height) = legend_size(chart.plotting_area(), legend.labels);
    let plot_height = chart.plotting_area().dim_in_pixel().1 as f64;
    let room = f64::from(height + 10);
    room / (plot_height - room).max(room)
}

/// The legend's size in pixels: plotters' layout (a 30-pixel swatch and 10-pixel margins around the lines).
fn legend_size<DB: DrawingBackend, CT: CoordTranslate>(
    area: &DrawingArea<DB, CT>,
    labels: &[&str],
) -> (i32, i32) {
    let font: TextStyle = (FONT, TICK_SIZE).into_font().into();
    let widest = labels
        .iter()
        .filter_map(|l| area.estimate_text_size(l, &font).ok())
        .map(|(w, _)| w as i32)
        .max()
        .unwrap_or(0);
    let line_height = (f64::from(TICK_SIZE) * 1.25).ceil() as i32;
    (widest + 30 + 20, line_height * labels.len() as i32 + 20)
}

/// The first corner of the plotting area where the legend covers nothing drawn.
fn legend_corner<DB, CT>(
    chart: &ChartContext<'_, DB, CT>,
    legend: &Legend<'_>,
) -> Option<SeriesLabelPosition>
where
    DB: DrawingBackend,
    CT: CoordTranslate<From = (f64, f64)>,
{
    let area = chart.plotting_area();
    let (w, h) = legend_size(area, legend.labels);
    let (aw, ah) = area.dim_in_pixel();
    let (aw, ah) = (aw as i32, ah as i32);
    let (x0, y0) = area.get_base_pixel();
    let lines: Vec<Vec<(f64, f64)>> = legend
        .drawn
        .iter()
        .map(|line| {
            line.iter()
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .map(|p| {
                    let (px, py) = area.map_coordinate(p);
                    (f64::from(px - x0), f64::from(py - y0))
                })
                .collect()
        })
        .collect();
    [
        (SeriesLabelPosition::UpperRight, aw - w - 5, 5),
        (SeriesLabelPosition::UpperLeft, 5, 5),
        (SeriesLabelPosition::LowerRight, aw - w - 5, ah - h - 5),
        (SeriesLabelPosition::LowerLeft, 5, ah - h - 5),
    ]
    .into_iter()
    .find(|&(_, left, top)| {
        let rect = (
            f64::from(left),
            f64::from(top),
            f64::from(left + w),
            f64::from(top + h),
        );
        !lines.iter().any(|line| crosses(line, rect))
    })
    .map(|(position, ..)| position)
}

/// Whether a polyline (pixel coordinates) has a point in, or a segment through, `rect` (left, top, right,
/// bottom).
fn crosses(line: &[(f64, f64)], rect: (f64, f64, f64, f64)) -> bool {
    let inside = |(x, y): (f64, f64)| x >= rect.0 && x <= rect.2 && y >= rect.1 && y <= rect.3;
    if line.iter().any(|&p| inside(p)) {
        return true;
    }
    line.windows(2).any(|s| segment_crosses(s[0], s[1], rect))
}

/// Liang–Barsky: whether the segment from `a` to `b` passes through `rect`.
fn segment_crosses(a: (f64, f64), b: (f64, f64), rect: (f64, f64, f64, f64)) -> bool {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-dx, a.0 - rect.0),
        (dx, rect.2 - a.0),
        (-dy, a.1 - rect.1),
        (dy, rect.3 - a.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return false;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
            if t0 > t1 {
                return false;
            }
        }
    }
    true
}

/// What a band covers, for a [`Legend`]: its two edges and a vertical line per column.
pub fn band_outline(x: &[f64], band: Option<(&[f64], &[f64])>) -> Vec<Vec<(f64, f64)>> {
    let Some((min, max)) = band else {
        return Vec::new();
    };
    let edge = |e: &[f64]| x.iter().zip(e).map(|(x, y)| (*x, *y)).collect();
    let mut out: Vec<Vec<(f64, f64)>> = vec![edge(min), edge(max)];
    out.extend(
        x.iter()
            .zip(min.iter().zip(max))
            .map(|(x, (lo, hi))| vec![(*x, *lo), (*x, *hi)]),
    );
    out
}

/// A legend swatch: a short line in `style`.
pub fn swatch(style: ShapeStyle) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_segment_through_a_box_crosses_it_and_one_beside_it_does_not() {
        let rect = (10.0, 10.0, 20.0, 20.0);
        assert!(segment_crosses((0.0, 15.0), (30.0, 15.0), rect));
        assert!(!segment_crosses((0.0, 0.0), (30.0, 5.0), rect));
        assert!(crosses(&[(12.0, 12.0)], rect));
        assert!(!crosses(&[(0.0, 0.0), (5.0, 30.0)], rect));
    }
}
