//! `Solution1D`: the computed solution against the expected one, on shared axes, with a legend.

use std::borrow::Cow;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::model::ResultPayload;
use crate::plots::chart::{
    draw_band, drawing_error, line, padded, Axis, ChartSpec, Display, Frame, ReadOut, PALETTE,
};
use crate::plots::fields::{check_len, row_numbers, vector_ref};
use crate::plots::format::{describe, short_number};
use crate::plots::legend::{band_outline, draw_legend, swatch, Legend};
use crate::plots::stats::{all_integers, finite_range, nearest_index, reduce_min_max};
use crate::plots::view::{Columns, PlotData, ERROR};

pub const COMPUTED_COLOR: RGBColor = PALETTE[0];
pub const EXPECTED_COLOR: RGBColor = PALETTE[1];
pub const ERROR_COLOR: RGBColor = PALETTE[4];

/// The data of a `Solution1D` result.
#[derive(Clone, Debug, PartialEq)]
pub struct Solution1D {
    pub x: Vec<f64>,
    pub computed: Vec<f64>,
    pub expected: Option<Vec<f64>>,
    /// Set when the server reduced the data (see [`crate::plots::view::Columns`]): each row is a pixel column
    /// (its centre and means, with min–max bands), and the error and its statistics were computed from the
    /// full data.
    pub reduced: Option<Columns>,
}

/// A `Solution1D`'s arrays where its payload holds them, checked: `x` (the row numbers when absent), `computed`
/// and `expected`, of one length.
pub struct Arrays<'a> {
    pub x: Cow<'a, [f64]>,
    pub computed: &'a [f64],
    pub expected: Option<&'a [f64]>,
}

impl<'a> Arrays<'a> {
    /// Reads them from a result, checking what the plot relies on.
    pub fn of(payload: &'a ResultPayload) -> Result<Self, String> {
        let computed = vector_ref(payload, "computed")?;
        let x = vector_ref(payload, "x")?;
        let expected = vector_ref(payload, "expected")?;
        let computed = computed.ok_or("missing field `computed`")?;
        let x = x.map_or_else(|| Cow::Owned(row_numbers(computed.len())), Cow::Borrowed);
        check_len("computed", Some(computed), x.len(), "x")?;
        check_len("expected", expected, x.len(), "x")?;
        Ok(Self {
            x,
            computed,
            expected,
        })
    }

    /// `computed − expected` at each point, when `expected` is given.
    pub fn error(&self) -> Option<Vec<f64>> {
        let expected = self.expected?;
        Some(
            self.computed
                .iter()
                .zip(expected)
                .map(|(c, e)| c - e)
                .collect(),
        )
    }
}

impl Solution1D {
    /// Reads the fields of a result, checking what the plot relies on.
    pub fn from_payload(payload: &ResultPayload) -> Result<Self, String> {
        let arrays = Arrays::of(payload)?;
        Ok(Self {
            x: arrays.x.into_owned(),
            computed: arrays.computed.to_vec(),
            expected: arrays.expected.map(<[f64]>::to_vec),
            reduced: None,
        })
    }

    /// The data as the server sent it for a plot, reduced or not.
    pub fn from_view(view: &PlotData) -> Result<Self, String> {
        Ok(Self {
            reduced: view.columns().cloned(),
            ..Self::from_payload(&view.payload)?
        })
    }

    /// The min–max band of series `name` when the server reduced the data.
    pub fn band(&self, name: &str) -> Option<(&[f64], &[f64])> {
        self.reduced.as_ref().and_then(|r| r.bands.get(name))
    }

    /// The point nearest to `x`, described for the hover read-out.
    pub fn readout(&self, x: f64) -> Option<String> {
        let i = nearest_index(&self.x, x)?;
        let x_sign = if self.reduced.is_some() { "≈" } else { "=" };
        let mut text = format!(
            "x {x_sign} {}, {}",
            short_number(self.x[i]),
            describe("computed", &self.computed, self.band("computed"), i)
        );
        if let Some(expected) = &self.expected {
            text.push_str(&format!(
                ", {}",
                describe("expected", expected, self.band("expected"), i)
            ));
        }
        Some(text)
    }

    /// `computed − expected` at each point, when `expected` is given.
    pub fn error(&self) -> Option<Vec<f64>> {
        if let Some(error) = self.reduced.as_ref().and_then(|r| r.error.as_ref()) {
            return Some(error.mean.clone());
        }
        Arrays {
            x: Cow::Borrowed(&self.x),
            computed: &self.computed,
            expected: self.expected.as_deref(),
        }
        .error()
    }

    /// The largest absolute error and the root-mean-square error, over finite points.
    pub fn error_stats(&self) -> Option<(f64, f64)> {
        if let Some(error) = self.reduced.as_ref().and_then(|r| r.error.as_ref()) {
            return error.stats;
        }
        error_stats(&self.error()?)
    }
}

/// The largest absolute value and the root mean square of an error's finite values; `None` without any.
pub fn error_stats(error: &[f64]) -> Option<(f64, f64)> {
    let (mut max_abs, mut squares, mut n) = (0.0f64, 0.0, 0usize);
    for e in error.iter().filter(|e| e.is_finite()) {
        max_abs = max_abs.max(e.abs());
        squares += e * e;
        n += 1;
    }
    (n > 0).then(|| (max_abs, (squares / n as f64).sqrt()))
}

impl ReadOut for Solution1D {
    fn readout(&self, x: f64) -> Option<String> {
        Solution1D::readout(self, x)
    }
}

/// Draws the plot onto `area`, which it fills. Long series are reduced to about two points per pixel column.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &Solution1D,
    display: &Display,
) -> Result<Frame, String>
where
    DB::ErrorType: 'static,
{
    draw_in(area, data, display, None)
}

/// Draws only `view` (an x range) of the data, the y axis fitted to what is visible: zooming in shows detail
/// down to the raw points.
pub fn draw_view<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &Solution1D,
    display: &Display,
    view: Option<(f64, f64)>,
) -> Result<Frame, String>
where
    DB::ErrorType: 'static,
{
    match view {
        // A reduced series holds only the view's columns already.
        Some((lo, hi)) if lo < hi && data.reduced.is_some() => {
            draw_in(area, data, display, Some((lo, hi)))
        }
        Some((lo, hi)) if lo < hi => draw_in(area, &data.window(lo, hi), display, Some((lo, hi))),
        _ => draw_in(area, data, display, None),
    }
}

impl Solution1D {
    /// The points whose x lies in `[lo, hi]`, with one neighbour each side so lines reach the edges (for raw
    /// data; the server cuts reduced data to the view).
    pub fn window(&self, lo: f64, hi: f64) -> Self {
        let inside: Vec<usize> = (0..self.x.len())
            .filter(|&i| self.x[i] >= lo && self.x[i] <= hi)
            .collect();
        let (first, last) = match (inside.first(), inside.last()) {
            (Some(&f), Some(&l)) => (f.saturating_sub(1), (l + 1).min(self.x.len() - 1)),
            _ => {
                return Self {
                    x: Vec::new(),
                    computed: Vec::new(),
                    expected: self.expected.as_ref().map(|_| Vec::new()),
                    reduced: None,
                }
            }
        };
        let range = first..=last;
        Self {
            x: self.x[range.clone()].to_vec(),
            computed: self.computed[range.clone()].to_vec(),
            expected: self.expected.as_ref().map(|e| e[range.clone()].to_vec()),
            reduced: None,
        }
    }
}

fn draw_in<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &Solution1D,
    display: &Display,
    x_range: Option<(f64, f64)>,
) -> Result<Frame, String>
where
    DB::ErrorType: 'static,
{
    area.fill(&WHITE).map_err(drawing_error)?;
    let height = area.dim_in_pixel().1;
    let (main_area, error_area) = match data.expected {
        Some(_) => {
            let (top, bottom) = area.split_vertically(height * 68 / 100);
            (top, Some(bottom))
        }
        None => (area.clone(), None),
    };
    let x = x_range.unwrap_or_else(|| finite_range([data.x.as_slice()]));
    let extremes = |name: &str| data.band(name).into_iter().flat_map(|(lo, hi)| [lo, hi]);
    let y = finite_range(
        [data.computed.as_slice()]
            .into_iter()
            .chain(data.expected.as_deref())
            .chain(extremes("computed"))
            .chain(extremes("expected")),
    );
    let whole_x = data.reduced.is_none() && all_integers([data.x.as_slice()]);
    let x_axis = Axis::new(x, display.x_or("x")).integer(whole_x);
    let spec = ChartSpec::new(
        display.title.as_deref(),
        x_axis,
        Axis::new(padded(y, 0.05), display.y_or("u")),
    );

    let buckets = (area.dim_in_pixel().0 as usize).max(100);
    let mut lines = vec![(
        "computed",
        COMPUTED_COLOR,
        reduce_min_max(&data.x, &data.computed, buckets),
    )];
    if let Some(expected) = &data.expected {
        lines.insert(
            0,
            (
                "expected",
                EXPECTED_COLOR,
                reduce_min_max(&data.x, expected, buckets),
            ),
        );
    }
    let mut drawn: Vec<Vec<(f64, f64)>> = lines.iter().map(|(.., points)| points.clone()).collect();
    for (name, ..) in &lines {
        drawn.extend(band_outline(&data.x, data.band(name)));
    }
    let labels: Vec<&str> = lines.iter().map(|(name, ..)| *name).collect();
    let legend = Legend {
        labels: &labels,
        drawn: &drawn,
    };
    let (mut chart, corner) = spec.linear_with_legend(&main_area, &legend)?;
    let frame = Frame::of(&chart, x);
    for (name, color, _) in &lines {
        draw_band(&mut chart, &data.x, data.band(name), *color)?;
    }
    for (name, color, points) in lines {
        chart
            .draw_series(LineSeries::new(points, line(color)))
            .map_err(drawing_error)?
            .label(name)
            .legend(swatch(line(color)));
    }
    draw_legend(&mut chart, corner)?;
    if let (Some(error_area), Some((max_abs, rms))) = (error_area, data.error_stats()) {
        let error = data.error().unwrap_or_default();
        let e = padded(
            finite_range([error.as_slice()].into_iter().chain(extremes(ERROR))),
            0.05,
        );
        let caption =
            format!("error = computed − expected:  max |error| = {max_abs:.3e},  RMS = {rms:.3e}");
        let mut chart = ChartSpec::new(
            Some(&caption),
            Axis::new(x, None).integer(whole_x),
            Axis::new(e, None),
        )
        .compact()
        .linear(&error_area)?;
        draw_band(&mut chart, &data.x, data.band(ERROR), ERROR_COLOR)?;
        chart
            .draw_series(LineSeries::new(
                reduce_min_max(&data.x, &error, buckets),
                line(ERROR_COLOR),
            ))
            .map_err(drawing_error)?;
    }
    area.present().map_err(drawing_error)?;
    Ok(frame)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `Solution1D` payload of 1-D fields.
    fn payload(fields: Vec<(&str, Vec<f64>)>) -> ResultPayload {
        let fields: Vec<_> = fields
            .into_iter()
            .map(|(name, v)| (name, vec![v.len()], v))
            .collect();
        crate::plots::tests::payload("Solution1D", &fields, "{}")
    }

    fn render(data: &Solution1D, display: &Display) -> String {
        let mut svg = String::new();
        {
            let area = SVGBackend::with_string(&mut svg, (640, 360)).into_drawing_area();
            draw(&area, data, display).expect("draws");
        }
        svg
    }

    #[test]
    fn draws_both_lines_title_labels_and_legend() {
        let x: Vec<f64> = (0..50).map(|i| i as f64 / 49.0).collect();
        let data = Solution1D::from_payload(&payload(vec![
            ("x", x.clone()),
            ("computed", x.iter().map(|v| v * v).collect()),
            ("expected", x.iter().map(|v| v * v + 0.01).collect()),
        ]))
        .unwrap();
        let display = Display::from_json(
            r#"{"title": "Heat", "labels": {"x": "position", "y": "temperature"}}"#,
        );
        let svg = render(&data, &display);
        for text in ["Heat", "position", "temperature", "computed", "expected"] {
            assert!(svg.contains(text), "{text} missing from the plot");
        }
        let computed = format!(
            "stroke=\"#{:02X}{:02X}{:02X}\"",
            COMPUTED_COLOR.0, COMPUTED_COLOR.1, COMPUTED_COLOR.2
        );
        let expected = format!(
            "stroke=\"#{:02X}{:02X}{:02X}\"",
            EXPECTED_COLOR.0, EXPECTED_COLOR.1, EXPECTED_COLOR.2
        );
        assert!(
            svg.matches(&computed).count() >= 2,
            "computed line and its legend swatch"
        );
        assert!(
            svg.matches(&expected).count() >= 2,
            "expected line and its legend swatch"
        );
    }

    #[test]
    fn error_statistics_match_values_computed_by_hand() {
        let data = Solution1D::from_payload(&payload(vec![
            ("x", vec![0.0, 1.0, 2.0, 3.0]),
            ("computed", vec![1.0, 2.0, 3.0, 4.0]),
            ("expected", vec![1.0, 2.5, 2.0, 4.0]),
        ]))
        .unwrap();
        assert_eq!(data.error().unwrap(), vec![0.0, -0.5, 1.0, 0.0]);
        let (max_abs, rms) = data.error_stats().unwrap();
        assert_eq!(max_abs, 1.0);
        assert!((rms - (1.25f64 / 4.0).sqrt()).abs() < 1e-12);
        let svg = render(&data, &Display::default());
        assert!(
            svg.contains("max |error| = 1.000e0"),
            "the caption gives the statistics"
        );
        let error_stroke = format!(
            "stroke=\"#{:02X}{:02X}{:02X}\"",
            ERROR_COLOR.0, ERROR_COLOR.1, ERROR_COLOR.2
        );
        assert!(svg.contains(&error_stroke), "the error panel is drawn");
    }

    #[test]
    fn readout_names_the_nearest_point() {
        let data = Solution1D::from_payload(&payload(vec![
            ("x", vec![0.0, 1.0, 2.0]),
            ("computed", vec![10.0, 20.5, 1e-9]),
            ("expected", vec![10.0, 20.0, 0.0]),
        ]))
        .unwrap();
        assert_eq!(
            data.readout(0.9).unwrap(),
            "x = 1, computed = 20.5, expected = 20"
        );
        assert_eq!(
            data.readout(7.0).unwrap(),
            "x = 2, computed = 1.00000e-9, expected = 0"
        );
    }

    #[test]
    fn the_frame_maps_pixels_to_x() {
        let data = Solution1D::from_payload(&payload(vec![
            ("x", vec![0.0, 10.0]),
            ("computed", vec![0.0, 1.0]),
        ]))
        .unwrap();
        let mut svg = String::new();
        let area = SVGBackend::with_string(&mut svg, (640, 360)).into_drawing_area();
        let frame = draw(&area, &data, &Display::default()).unwrap();
        assert_eq!(frame.data_x(frame.px.0), Some(0.0));
        assert_eq!(frame.data_x(frame.px.1), Some(10.0));
        assert_eq!(
            frame.data_x(frame.px.1 + 5),
            None,
            "outside the plotting area"
        );
    }

    #[test]
    fn a_view_keeps_the_points_inside_and_one_neighbour_each_side() {
        let x: Vec<f64> = (0..10).map(f64::from).collect();
        let data =
            Solution1D::from_payload(&payload(vec![("x", x.clone()), ("computed", x)])).unwrap();
        let window = data.window(3.5, 6.0);
        assert_eq!(window.x, vec![3.0, 4.0, 5.0, 6.0, 7.0]);
        assert_eq!(window.computed, window.x);
        let mut svg = String::new();
        let area = SVGBackend::with_string(&mut svg, (640, 360)).into_drawing_area();
        let frame = draw_view(&area, &data, &Display::default(), Some((3.5, 6.0))).unwrap();
        assert_eq!(frame.x, (3.5, 6.0), "the axis shows exactly the view");
        assert!(data.window(20.0, 30.0).x.is_empty());
    }

    #[test]
    fn without_expected_draws_one_line() {
        let data = Solution1D::from_payload(&payload(vec![
            ("x", vec![0.0, 1.0, 2.0]),
            ("computed", vec![1.0, 2.0, 1.0]),
        ]))
        .unwrap();
        let svg = render(&data, &Display::default());
        assert!(crate::plots::tests::has_text(&svg, "computed"));
        assert!(!crate::plots::tests::has_text(&svg, "expected"));
    }

    #[test]
    fn mismatched_lengths_are_explained() {
        let err = Solution1D::from_payload(&payload(vec![
            ("x", vec![0.0, 1.0]),
            ("computed", vec![1.0]),
        ]))
        .unwrap_err();
        assert!(
            err.contains("`computed`") && err.contains("expected 2"),
            "{err}"
        );
    }
}
