//! Reducing long series and large grids to what a plot of a given size can show, without losing peaks.
//!
//! The server calls [`reduce_for_view`] before arrays travel to the browser. A 1-D series with more points in
//! view than the canvas has pixel columns becomes, per column, the mean (drawn as the line) and the minimum and
//! maximum (drawn as a translucent band), so every spike stays visible: nothing is sampled away, unlike the random
//! or strided sampling of TensorBoard, MLflow and Aim. A grid larger than the canvas becomes one cell per block
//! of cells, the block's most extreme value. Small data comes raw, cut to the view.

use std::borrow::Cow;

use crate::model::{FieldValue, NumArray, ResultPayload, ResultType};
use crate::plots::finite_range;
use crate::plots::optimization::Optimization;
use crate::plots::sequence::Sequence;
use crate::plots::solution1d::{Solution1D, REDUCED_ERROR, REDUCED_ERROR_STATS};

/// In a reduced payload: how many points the columns stand for.
pub const REDUCED_POINTS: &str = "reduced_points";
/// In a reduced payload: how many NaN or infinite values the full data holds (they are skipped, and counted in
/// a note under the plot).
pub const REDUCED_NON_FINITE: &str = "reduced_non_finite";
/// In a reduced grid: the shape of the full grid, (rows, columns).
pub const REDUCED_GRID: &str = "reduced_grid";
/// In a reduced grid: the smallest and largest finite value of the full grid, for the colour scale.
pub const REDUCED_SCALE: &str = "reduced_scale";

/// How many NaN or infinite values the result holds: counted on the server from the full data when it reduced
/// the payload (the reduced arrays mark empty columns with NaN), else counted here.
pub fn non_finite_count(payload: &ResultPayload) -> usize {
    match payload.array(REDUCED_NON_FINITE) {
        Some(count) => count.values.first().copied().unwrap_or(0.0) as usize,
        None => payload.non_finite_count(),
    }
}

/// The field holding the smallest value of each column of a reduced series `name`.
pub fn min_field(name: &str) -> String {
    format!("{name}:min")
}

/// The field holding the largest value of each column of a reduced series `name`.
pub fn max_field(name: &str) -> String {
    format!("{name}:max")
}

/// Splits the points into `buckets` runs of consecutive samples and keeps, for each, the samples with the
/// smallest and largest `y` (in their original order). A line through the result looks the same as one
/// through every point at that width, whatever the series' length. Non-finite `y` values are skipped.
pub fn reduce_min_max(x: &[f64], y: &[f64], buckets: usize) -> Vec<(f64, f64)> {
    let n = x.len().min(y.len());
    if n <= buckets.saturating_mul(2) || buckets == 0 {
        return (0..n)
            .filter(|&i| y[i].is_finite() && x[i].is_finite())
            .map(|i| (x[i], y[i]))
            .collect();
    }
    let mut out = Vec::with_capacity(buckets * 2);
    for b in 0..buckets {
        let (start, end) = (b * n / buckets, (b + 1) * n / buckets);
        let mut lo: Option<usize> = None;
        let mut hi: Option<usize> = None;
        for i in start..end {
            if !y[i].is_finite() || !x[i].is_finite() {
                continue;
            }
            if lo.is_none_or(|l| y[i] < y[l]) {
                lo = Some(i);
            }
            if hi.is_none_or(|h| y[i] > y[h]) {
                hi = Some(i);
            }
        }
        match (lo, hi) {
            (Some(l), Some(h)) if l == h => out.push((x[l], y[l])),
            (Some(l), Some(h)) => {
                let (a, b) = if l < h { (l, h) } else { (h, l) };
                out.push((x[a], y[a]));
                out.push((x[b], y[b]));
            }
            _ => {}
        }
    }
    out
}

/// One series reduced to pixel columns: per column, the mean, the smallest and the largest of its finite values
/// (NaN where the series has none in that column).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ColumnBand {
    pub mean: Vec<f64>,
    pub min: Vec<f64>,
    pub max: Vec<f64>,
}

/// Reduces series sharing `x` to `columns` equal columns over `range`, touching each value once: the centres of
/// the columns that hold points and, per series, each such column's mean, minimum and maximum. Points outside
/// `range` are left out; `x` need not be sorted. Every extreme survives, so no spike is lost.
pub fn reduce_columns(
    x: &[f64],
    ys: &[&[f64]],
    range: (f64, f64),
    columns: usize,
) -> (Vec<f64>, Vec<ColumnBand>) {
    let columns = columns.max(1);
    let (lo, hi) = range;
    let width = (hi - lo) / columns as f64;
    let mut points = vec![0usize; columns];
    let mut sums = vec![vec![0.0; columns]; ys.len()];
    let mut counts = vec![vec![0usize; columns]; ys.len()];
    let mut bands: Vec<ColumnBand> = ys
        .iter()
        .map(|_| ColumnBand {
            mean: Vec::new(),
            min: vec![f64::NAN; columns],
            max: vec![f64::NAN; columns],
        })
        .collect();
    if width > 0.0 {
        for (i, &xi) in x.iter().enumerate() {
            if !(xi >= lo && xi <= hi) {
                continue;
            }
            let c = (((xi - lo) / width) as usize).min(columns - 1);
            points[c] += 1;
            for (s, y) in ys.iter().enumerate() {
                let v = y[i];
                if v.is_finite() {
                    let band = &mut bands[s];
                    // NaN.min(v) is v: an empty column takes the first value.
                    band.min[c] = band.min[c].min(v);
                    band.max[c] = band.max[c].max(v);
                    sums[s][c] += v;
                    counts[s][c] += 1;
                }
            }
        }
    }
    let kept: Vec<usize> = (0..columns).filter(|&c| points[c] > 0).collect();
    let centres = kept
        .iter()
        .map(|&c| lo + width * (c as f64 + 0.5))
        .collect();
    for (s, band) in bands.iter_mut().enumerate() {
        band.mean = kept
            .iter()
            .map(|&c| match counts[s][c] {
                0 => f64::NAN,
                n => sums[s][c] / n as f64,
            })
            .collect();
        band.min = kept.iter().map(|&c| band.min[c]).collect();
        band.max = kept.iter().map(|&c| band.max[c]).collect();
    }
    (centres, bands)
}

/// The min–max bands a reduced payload carries, by series name; a matrix field's columns are named `name[j]`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Bands {
    /// How many points the columns stand for.
    pub points: usize,
    bands: Vec<(String, Vec<f64>, Vec<f64>)>,
}

impl Bands {
    /// The bands of a payload the server reduced; `None` for raw data.
    pub fn from_payload(payload: &ResultPayload) -> Option<Self> {
        let points = *payload.array(REDUCED_POINTS)?.values.first()? as usize;
        let mut bands = Vec::new();
        for (name, value) in &payload.fields {
            let (FieldValue::Array(values), Some(min), Some(max)) = (
                value,
                payload.array(&min_field(name)),
                payload.array(&max_field(name)),
            ) else {
                continue;
            };
            match values.shape.as_slice() {
                [_] => bands.push((name.clone(), min.values.clone(), max.values.clone())),
                [rows, p] => {
                    for j in 0..*p {
                        let column =
                            |a: &NumArray| (0..*rows).map(|i| a.values[i * p + j]).collect();
                        bands.push((format!("{name}[{j}]"), column(min), column(max)));
                    }
                }
                _ => {}
            }
        }
        Some(Self { points, bands })
    }

    /// The (min, max) of each column of series `name`.
    pub fn get(&self, name: &str) -> Option<(&[f64], &[f64])> {
        self.bands
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, min, max)| (min.as_slice(), max.as_slice()))
    }
}

/// A plotted field over the x axis: a vector, or a matrix `[k, p]` of `p` series.
enum Series {
    Vector(String, Vec<f64>),
    Matrix(String, usize, Vec<f64>),
}

impl Series {
    fn name(&self) -> &str {
        match self {
            Self::Vector(name, _) | Self::Matrix(name, _, _) => name,
        }
    }

    /// Each series as its own column of values (a vector as it is, without a copy).
    fn columns(&self) -> Vec<Cow<'_, [f64]>> {
        match self {
            Self::Vector(_, v) => vec![Cow::Borrowed(v.as_slice())],
            Self::Matrix(_, p, v) => (0..*p)
                .map(|j| Cow::Owned(v.iter().skip(j).step_by(*p).copied().collect()))
                .collect(),
        }
    }
}

/// What a 1-D plot draws: the x axis (by field name) and the fields over it.
struct Lines {
    axis: &'static str,
    x: Vec<f64>,
    series: Vec<Series>,
    /// Series computed from the others, sent only reduced (raw, the browser computes them itself).
    derived: Vec<Series>,
    /// Fields sent as they are (e.g. error statistics of the full data).
    extra: Vec<(String, FieldValue)>,
}

pub(super) fn array(values: Vec<f64>) -> FieldValue {
    FieldValue::Array(NumArray {
        shape: vec![values.len()],
        dtype: "<f8".into(),
        values,
    })
}

pub(super) fn matrix_array(rows: usize, p: usize, values: Vec<f64>) -> FieldValue {
    FieldValue::Array(NumArray {
        shape: vec![rows, p],
        dtype: "<f8".into(),
        values,
    })
}

/// Interleaves `p` columns of equal length into a row-major matrix.
fn rows_of(columns: &[Vec<f64>]) -> Vec<f64> {
    let rows = columns.first().map_or(0, Vec::len);
    (0..rows)
        .flat_map(|i| columns.iter().map(move |c| c[i]))
        .collect()
}

/// Reduces a payload for a plot `columns` device pixels wide showing `view` (an x range; default: everything):
/// long 1-D series (`Solution1D`, `DiscreteSequence`, `OptimizationResult`) become per-column mean, min and max,
/// a `Solution2D` larger than the canvas can show becomes one cell per block, a long `StochasticEnsemble` its
/// statistics per column with the histogram at `time_index` (a column), and a `PhysicsAnimation`'s field frames
/// one cell per block. Other types come back as they are.
pub fn reduce_for_view(
    mut payload: ResultPayload,
    columns: usize,
    view: Option<(f64, f64)>,
    time_index: Option<usize>,
) -> Result<ResultPayload, String> {
    // Counted before the arrays move out of the payload.
    let non_finite = payload.non_finite_count();
    let lines = match &payload.result_type {
        ResultType::Solution1D => {
            let data = Solution1D::take_from(&mut payload)?;
            let (mut derived, mut extra) = (Vec::new(), Vec::new());
            if data.expected.is_some() {
                derived.push(Series::Vector(
                    REDUCED_ERROR.into(),
                    data.error().unwrap_or_default(),
                ));
                if let Some((max_abs, rms)) = data.error_stats() {
                    extra.push((REDUCED_ERROR_STATS.into(), array(vec![max_abs, rms])));
                }
            }
            let mut series = vec![Series::Vector("computed".into(), data.computed)];
            if let Some(expected) = data.expected {
                series.push(Series::Vector("expected".into(), expected));
            }
            Lines {
                axis: "x",
                x: data.x,
                series,
                derived,
                extra,
            }
        }
        ResultType::DiscreteSequence => {
            let data = Sequence::from_payload(&payload)?;
            let mut series = vec![Series::Vector("values".into(), data.values)];
            series.extend(data.expected.map(|e| Series::Vector("expected".into(), e)));
            Lines {
                axis: "index",
                x: data.index,
                series,
                derived: Vec::new(),
                extra: Vec::new(),
            }
        }
        ResultType::OptimizationResult => {
            let data = Optimization::from_payload(&payload)?;
            let mut series = vec![Series::Vector("loss".into(), data.loss)];
            if !data.params.is_empty() {
                let columns: Vec<Vec<f64>> = data.params.into_iter().map(|(_, v)| v).collect();
                series.push(Series::Matrix(
                    "params".into(),
                    columns.len(),
                    rows_of(&columns),
                ));
            }
            let names = payload
                .fields
                .iter()
                .filter(|(name, value)| {
                    name == "param_names" && matches!(value, FieldValue::Json(_))
                })
                .cloned()
                .collect();
            Lines {
                axis: "step",
                x: data.step,
                series,
                derived: Vec::new(),
                extra: names,
            }
        }
        // The heatmap's plotting area is about ¾ of the canvas wide and 2/5 of its width high.
        ResultType::Solution2D => {
            return grid::reduce_grid(payload, columns * 3 / 4, columns * 2 / 5, non_finite)
        }
        ResultType::PhysicsAnimation => {
            return grid::reduce_frames(payload, columns * 3 / 4, columns * 2 / 5)
        }
        // The paths' plot is about 7/10 of the canvas wide.
        ResultType::StochasticEnsemble => {
            return ensemble::reduce_ensemble(payload, columns * 7 / 10, view, time_index)
        }
        ResultType::Other(_) => return Ok(payload),
    };
    Ok(reduce_lines(payload, lines, columns, view, non_finite))
}

/// The generic part of [`reduce_for_view`] for 1-D plots.
fn reduce_lines(
    payload: ResultPayload,
    lines: Lines,
    columns: usize,
    view: Option<(f64, f64)>,
    non_finite: usize,
) -> ResultPayload {
    let Lines {
        axis,
        x,
        mut series,
        derived,
        extra,
    } = lines;
    let range = view
        .filter(|(lo, hi)| lo < hi)
        .unwrap_or_else(|| finite_range([x.as_slice()]));
    let inside = x
        .iter()
        .filter(|v| **v >= range.0 && **v <= range.1)
        .count();
    let mut out = ResultPayload {
        fields: extra,
        ..payload
    };
    out.fields
        .push((REDUCED_NON_FINITE.into(), array(vec![non_finite as f64])));

    if inside <= 2 * columns {
        // Few enough to draw every point: the points in view and one neighbour each side, so lines reach the edges.
        let (first, last) = match (
            x.iter().position(|v| *v >= range.0 && *v <= range.1),
            x.iter().rposition(|v| *v >= range.0 && *v <= range.1),
        ) {
            (Some(f), Some(l)) => (f.saturating_sub(1), (l + 1).min(x.len() - 1)),
            _ => (0, 0),
        };
        let keep = if inside == 0 { 0..0 } else { first..last + 1 };
        out.fields
            .push((axis.into(), array(x[keep.clone()].to_vec())));
        for s in series {
            let field = match &s {
                Series::Vector(_, v) => array(v[keep.clone()].to_vec()),
                Series::Matrix(_, p, v) => {
                    matrix_array(keep.len(), *p, v[keep.start * p..keep.end * p].to_vec())
                }
            };
            out.fields.push((s.name().to_owned(), field));
        }
        return out;
    }

    series.extend(derived);
    let all: Vec<(usize, Cow<'_, [f64]>)> = series
        .iter()
        .enumerate()
        .flat_map(|(i, s)| s.columns().into_iter().map(move |c| (i, c)))
        .collect();
    let slices: Vec<&[f64]> = all.iter().map(|(_, c)| c.as_ref()).collect();
    let (centres, bands) = reduce_columns(&x, &slices, range, columns);
    let rows = centres.len();
    out.fields.push((axis.into(), array(centres)));
    for (i, s) in series.iter().enumerate() {
        let mine: Vec<&ColumnBand> = all
            .iter()
            .zip(&bands)
            .filter(|((owner, _), _)| *owner == i)
            .map(|(_, band)| band)
            .collect();
        let pick = |f: fn(&ColumnBand) -> &Vec<f64>| -> FieldValue {
            match s {
                Series::Vector(..) => array(f(mine[0]).clone()),
                Series::Matrix(_, p, _) => {
                    let columns: Vec<Vec<f64>> = mine.iter().map(|b| f(b).clone()).collect();
                    matrix_array(rows, *p, rows_of(&columns))
                }
            }
        };
        out.fields.push((s.name().to_owned(), pick(|b| &b.mean)));
        out.fields.push((min_field(s.name()), pick(|b| &b.min)));
        out.fields.push((max_field(s.name()), pick(|b| &b.max)));
    }
    out.fields
        .push((REDUCED_POINTS.into(), array(vec![inside as f64])));
    out
}

pub mod ensemble;
mod grid;
#[cfg(test)]
mod tests;
