//! Plots: pure functions from result data to any plotters `DrawingBackend` (a canvas in the browser, SVG in
//! tests). Nothing here does I/O or knows about storage.

pub mod animation;
pub mod ensemble;
pub mod optimization;
pub mod reduce;
pub mod sequence;
pub mod solution1d;
pub mod solution2d;

use plotters::coord::Shift;
use plotters::prelude::*;
use serde::Deserialize;

use crate::model::{ResultPayload, ResultType};

/// What drawing returns: an error says what is wrong with the data or the drawing.
pub type DrawResult = Result<(), String>;

/// The result types drawn by [`draw_result`]; `PhysicsAnimation` has a player of its own (one frame at a time,
/// [`animation::draw_frame`]), and other types are shown as a table of fields.
pub fn has_plot(result_type: &ResultType) -> bool {
    match result_type {
        ResultType::Solution1D
        | ResultType::Solution2D
        | ResultType::StochasticEnsemble
        | ResultType::DiscreteSequence
        | ResultType::OptimizationResult => true,
        ResultType::PhysicsAnimation | ResultType::Other(_) => false,
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
    /// The data x under pixel column `px`, if it is inside the plotting area.
    pub fn data_x(&self, px: i32) -> Option<f64> {
        let (left, right) = self.px;
        if px < left || px > right || right <= left {
            return None;
        }
        Some(self.x.0 + (self.x.1 - self.x.0) * f64::from(px - left) / f64::from(right - left))
    }
}

/// Plots whose hover read-out names the point nearest to a data x.
pub trait ReadOut {
    fn readout(&self, x: f64) -> Option<String>;
}

/// The index of the finite value in `xs` nearest to `x`.
pub fn nearest_index(xs: &[f64], x: f64) -> Option<usize> {
    (0..xs.len())
        .filter(|&i| xs[i].is_finite())
        .min_by(|&a, &b| (xs[a] - x).abs().total_cmp(&(xs[b] - x).abs()))
}

/// Six significant digits, as a person reads them.
pub fn short_number(v: f64) -> String {
    if v == 0.0 {
        // Also −0.
        return "0".into();
    }
    if (1e-4..1e6).contains(&v.abs()) {
        let s = format!("{v:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        format!("{v:.5e}")
    }
}

/// An axis tick label: short, without the float noise of a computed tick (0.30000000000000004 → 0.3), in
/// scientific notation outside 10⁻³…10⁵ (so a 10⁻⁷ scale does not read 0.0, 0.0, 0.0).
pub fn tick(v: &f64) -> String {
    let v = *v;
    if v == 0.0 || !v.is_finite() {
        return if v.is_finite() {
            "0".into()
        } else {
            v.to_string()
        };
    }
    if (1e-3..1e5).contains(&v.abs()) {
        let s = format!("{v:.6}");
        return s.trim_end_matches('0').trim_end_matches('.').to_owned();
    }
    let s = format!("{v:.3e}");
    match s.split_once('e') {
        Some((mantissa, exponent)) => {
            let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
            format!("{mantissa}e{exponent}")
        }
        None => s,
    }
}

/// Where a drawn chart's two axes lie on the canvas (y grows upwards, pixels downwards).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Frame2D {
    pub x: (f64, f64),
    pub y: (f64, f64),
    pub px: (i32, i32),
    pub py: (i32, i32),
}

impl Frame2D {
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

/// What the user chose in a plot's controls; `None` leaves the renderer's default.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Choices {
    /// `StochasticEnsemble`: the time index of the histogram (default: the last).
    pub time_index: Option<usize>,
    /// `OptimizationResult`: a log-scale loss axis (default: when the loss spans more than two decades).
    pub log_scale: Option<bool>,
    /// The x range shown, when zoomed (1-D plots); `None` shows everything.
    pub view: Option<(f64, f64)>,
}

/// What a drawn plot offers the pointer: the data its read-out names and where its axes lie.
pub enum Drawn {
    /// A plot over x: the read-out names what lies nearest the pointer's x; `zooms` when the plot can draw a
    /// view of x (`Choices::view`).
    Line {
        data: Box<dyn ReadOut + Send + Sync>,
        frame: Frame,
        zooms: bool,
    },
    /// A heatmap: the read-out names the cell under the pointer.
    Heatmap {
        data: solution2d::Solution2D,
        frame: Frame2D,
    },
}

/// Draws any result with a plot of its own onto `area`, as `choices` asks.
pub fn draw_result<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    payload: &ResultPayload,
    choices: Choices,
) -> Result<Drawn, String>
where
    DB::ErrorType: 'static,
{
    let display = Display::from_json(&payload.display_json);
    let line =
        |data: Box<dyn ReadOut + Send + Sync>, frame, zooms| Drawn::Line { data, frame, zooms };
    match &payload.result_type {
        ResultType::Solution1D => {
            let data = solution1d::Solution1D::from_payload(payload)?;
            let frame = solution1d::draw_view(area, &data, &display, choices.view)?;
            Ok(line(Box::new(data), frame, true))
        }
        ResultType::Solution2D => {
            let data = solution2d::Solution2D::from_payload(payload)?;
            let frame = solution2d::draw_with_frame(area, &data, &display)?;
            Ok(Drawn::Heatmap { data, frame })
        }
        ResultType::StochasticEnsemble => {
            let data = ensemble::Ensemble::from_payload(payload)?;
            let (frame, stats) =
                ensemble::draw(area, &data, &display, choices.time_index, choices.view)?;
            Ok(line(Box::new(stats), frame, true))
        }
        ResultType::DiscreteSequence => {
            let data = sequence::Sequence::from_payload(payload)?;
            let frame = sequence::draw(area, &data, &display, choices.view)?;
            Ok(line(Box::new(data), frame, true))
        }
        ResultType::OptimizationResult => {
            let data = optimization::Optimization::from_payload(payload)?;
            let frame = optimization::draw(area, &data, &display, choices.log_scale, choices.view)?;
            Ok(line(Box::new(data), frame, true))
        }
        other @ (ResultType::PhysicsAnimation | ResultType::Other(_)) => {
            Err(format!("no plot for result type {:?}", other.as_str()))
        }
    }
}

/// A 1-D numeric field, if present.
pub fn vector(payload: &ResultPayload, name: &str) -> Result<Option<Vec<f64>>, String> {
    match payload.field(name) {
        None => Ok(None),
        Some(crate::model::FieldValue::Array(a)) if a.shape.len() == 1 => {
            Ok(Some(a.values.clone()))
        }
        Some(crate::model::FieldValue::Array(a)) => Err(format!(
            "field `{name}`: expected a 1-D array, found shape {:?}",
            a.shape
        )),
        Some(_) => Err(format!("field `{name}`: expected numbers")),
    }
}

/// Like [`vector`], moving the values out of the payload (which keeps the field, emptied) instead of copying.
pub fn take_vector(payload: &mut ResultPayload, name: &str) -> Result<Option<Vec<f64>>, String> {
    vector_shape(payload, name, 1)?;
    Ok(take_values(payload, name))
}

/// Like [`matrix`], moving the values out of the payload instead of copying.
pub fn take_matrix(
    payload: &mut ResultPayload,
    name: &str,
) -> Result<Option<(usize, usize, Vec<f64>)>, String> {
    let Some(shape) = vector_shape(payload, name, 2)? else {
        return Ok(None);
    };
    Ok(take_values(payload, name).map(|v| (shape[0], shape[1], v)))
}

/// A numeric field's shape, checked to have `dims` dimensions; `None` when the field is absent.
fn vector_shape(
    payload: &ResultPayload,
    name: &str,
    dims: usize,
) -> Result<Option<Vec<usize>>, String> {
    match payload.field(name) {
        None => Ok(None),
        Some(crate::model::FieldValue::Array(a)) if a.shape.len() == dims => {
            Ok(Some(a.shape.clone()))
        }
        Some(crate::model::FieldValue::Array(a)) => Err(format!(
            "field `{name}`: expected a {dims}-D array, found shape {:?}",
            a.shape
        )),
        Some(_) => Err(format!("field `{name}`: expected numbers")),
    }
}

fn take_values(payload: &mut ResultPayload, name: &str) -> Option<Vec<f64>> {
    payload.fields.iter_mut().find_map(|(n, v)| match v {
        crate::model::FieldValue::Array(a) if n == name => Some(std::mem::take(&mut a.values)),
        _ => None,
    })
}

/// A 2-D numeric field as (rows, columns, row-major values), if present.
pub fn matrix(
    payload: &ResultPayload,
    name: &str,
) -> Result<Option<(usize, usize, Vec<f64>)>, String> {
    match payload.field(name) {
        None => Ok(None),
        Some(crate::model::FieldValue::Array(a)) => match a.shape.as_slice() {
            [rows, cols] => Ok(Some((*rows, *cols, a.values.clone()))),
            other => Err(format!(
                "field `{name}`: expected a 2-D array, found shape {other:?}"
            )),
        },
        Some(_) => Err(format!("field `{name}`: expected numbers")),
    }
}

/// Checks that an optional field has `len` values like the field it goes with.
pub fn check_len(name: &str, values: Option<&[f64]>, len: usize, like: &str) -> Result<(), String> {
    match values {
        Some(v) if v.len() != len => Err(format!(
            "field `{name}`: expected {len} values like `{like}`, found {}",
            v.len()
        )),
        _ => Ok(()),
    }
}

/// Turns a plotters drawing error into text.
pub fn drawing_error<E: std::error::Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> String {
    e.to_string()
}

/// The same chart frame everywhere: margins, label areas and the title from `display`.
pub fn chart_builder<'a, 'b, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    title: Option<&'b str>,
) -> ChartBuilder<'a, 'b, DB> {
    let mut builder = ChartBuilder::on(area);
    builder
        .margin(12)
        .x_label_area_size(42)
        .y_label_area_size(64);
    if let Some(title) = title {
        let width = area.dim_in_pixel().0 as usize;
        builder.caption(fit_caption(title, width), ("sans-serif", 18));
    }
    builder
}

/// `title` cut with an ellipsis to what fits `width` pixels at the caption's size (about 9 px a character):
/// the card's heading above the plot shows the whole title.
fn fit_caption(title: &str, width: usize) -> std::borrow::Cow<'_, str> {
    let fits = width.saturating_sub(24) / 9;
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

/// The legend box every chart uses, at `position`.
pub fn draw_legend<'a, DB: DrawingBackend + 'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(200, 200, 200))
        .draw()
        .map_err(drawing_error)
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
    CT: plotters::coord::CoordTranslate<From = (f64, f64)>,
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

/// A value of a series for the read-out: `name = v` for raw data, `name ≈ mean ∈ [min, max]` for a reduced
/// column.
pub fn describe(name: &str, values: &[f64], band: Option<(&[f64], &[f64])>, i: usize) -> String {
    match band {
        Some((min, max)) => format!(
            "{name} ≈ {} ∈ [{}, {}]",
            short_number(values[i]),
            short_number(min[i]),
            short_number(max[i])
        ),
        None => format!("{name} = {}", short_number(values[i])),
    }
}

/// The light grid colour of every chart.
pub const GRID: RGBColor = RGBColor(235, 235, 235);
/// Series colours, in order (the Tableau 10 palette).
pub const PALETTE: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

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

/// The `q`-quantile (0 ≤ q ≤ 1) of the finite values, interpolating linearly between order statistics
/// (NumPy's default). `None` when there is no finite value.
pub fn quantile(values: &[f64], q: f64) -> Option<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64))
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use crate::model::{FieldValue, NumArray, ResultId, RunId};

    #[test]
    fn a_long_caption_is_cut_to_the_plot_width() {
        assert_eq!(fit_caption("Heat equation", 800), "Heat equation");
        let long = "t".repeat(300);
        let cut = fit_caption(&long, 800);
        assert!(cut.ends_with('…'));
        assert_eq!(cut.chars().count(), (800 - 24) / 9);
        assert_eq!(fit_caption("αβγδεζηθ", 60), "αβγ…");
    }

    /// A payload with numeric fields given as (name, shape, row-major values).
    pub fn payload(
        result_type: &str,
        fields: &[(&str, Vec<usize>, Vec<f64>)],
        display: &str,
    ) -> ResultPayload {
        ResultPayload {
            id: ResultId(uuid::Uuid::nil()),
            run_id: RunId(uuid::Uuid::nil()),
            result_type: result_type.into(),
            timestamp: String::new(),
            display_json: display.into(),
            fields: fields
                .iter()
                .map(|(name, shape, values)| {
                    let array = NumArray {
                        shape: shape.clone(),
                        dtype: "<f8".into(),
                        values: values.clone(),
                    };
                    ((*name).to_owned(), FieldValue::Array(array))
                })
                .collect(),
        }
    }

    /// Draws onto an SVG of 800 × 400 and returns the document.
    pub fn render_svg(draw: impl FnOnce(&DrawingArea<SVGBackend, Shift>) -> DrawResult) -> String {
        let mut svg = String::new();
        {
            let area = SVGBackend::with_string(&mut svg, (800, 400)).into_drawing_area();
            draw(&area).expect("draws");
        }
        svg
    }

    /// Whether the SVG has a text element whose whole content is `text`.
    pub fn has_text(svg: &str, text: &str) -> bool {
        svg.contains(&format!(">{text}\n</text>")) || svg.contains(&format!(">\n{text}\n</text>"))
    }

    /// The SVG attribute plotters writes for a colour.
    pub fn stroke(c: RGBColor) -> String {
        format!("stroke=\"#{:02X}{:02X}{:02X}\"", c.0, c.1, c.2)
    }

    #[test]
    fn ticks_read_cleanly_at_every_scale() {
        assert_eq!(tick(&0.30000000000000004), "0.3");
        assert_eq!(tick(&-0.0), "0");
        assert_eq!(tick(&2.0), "2");
        assert_eq!(tick(&-1.5e-7), "-1.5e-7");
        assert_eq!(tick(&123456.0), "1.235e5");
        assert_eq!(tick(&0.001), "0.001");
    }

    #[test]
    fn quantiles_match_values_computed_by_hand() {
        let v = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0];
        // sorted: 1 1 2 3 4 5 6 9
        assert_eq!(quantile(&v, 0.0), Some(1.0));
        assert_eq!(quantile(&v, 1.0), Some(9.0));
        assert_eq!(quantile(&v, 0.5), Some(3.5)); // between 3 and 4
        assert!((quantile(&v, 0.025).unwrap() - 1.0).abs() < 1e-12); // pos 0.175, between 1 and 1
        assert!((quantile(&v, 0.975).unwrap() - 8.475).abs() < 1e-12); // pos 6.825: 6 + 0.825 * 3
        assert_eq!(quantile(&[f64::NAN, 2.0], 0.5), Some(2.0), "NaN is skipped");
        assert_eq!(quantile(&[], 0.5), None);
    }

    #[test]
    fn every_plotted_type_dispatches() {
        for t in [
            "Solution1D",
            "Solution2D",
            "StochasticEnsemble",
            "DiscreteSequence",
            "OptimizationResult",
        ] {
            assert!(has_plot(&t.into()));
        }
        assert!(!has_plot(&"PhysicsAnimation".into()));
        let err = draw_result(
            &SVGBackend::new("/dev/null", (10, 10)).into_drawing_area(),
            &payload("X", &[], "{}"),
            Choices::default(),
        );
        assert!(err.err().expect("an error").contains("no plot"));
    }
}
