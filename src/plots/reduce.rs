//! Reducing long series and large grids to what a plot of a given size can show, without losing peaks.
//!
//! The server calls [`reduce_for_view`] before arrays travel to the browser. A 1-D series with more points in
//! view than the canvas has pixel columns becomes, per column, the mean (drawn as the line) and the minimum and
//! maximum (drawn as a translucent band), so every spike stays visible: nothing is sampled away, unlike the random
//! or strided sampling of TensorBoard, MLflow and Aim. A grid larger than the canvas becomes one cell per block
//! of cells, the block's most extreme value. Small data comes raw, cut to the view.

use std::borrow::Cow;

use crate::model::{FieldValue, NumArray, ResultPayload, ResultType};
use crate::plots::stats::finite_range;
use crate::plots::view::{Bands, ColumnError, Columns, PlotData, Reduction, Zoom, ERROR};
use crate::plots::{optimization, sequence, solution1d};

/// One series reduced to pixel columns: per column, the mean, the smallest and the largest of its finite values
/// (NaN where the series has none in that column).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ColumnBand {
    pub mean: Vec<f64>,
    pub min: Vec<f64>,
    pub max: Vec<f64>,
}

/// Reduces series sharing `x` to `columns` equal columns over `range`, touching each value once: for each column
/// that holds points, the mean of their x (so that a column's mean y lies where its points do: a straight line
/// stays straight, and two runs on different grids subtract without the columns' offsets) and, per series, the
/// column's mean, minimum and maximum. Points outside `range` are left out; `x` need not be sorted. Every extreme
/// survives, so no spike is lost.
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
    let mut x_sums = vec![0.0; columns];
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
            x_sums[c] += xi;
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
    let column_x = kept.iter().map(|&c| x_sums[c] / points[c] as f64).collect();
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
    (column_x, bands)
}

/// A plotted field over the x axis: a vector, or a row-major matrix `[k, p]` of `p` series; borrowed from the
/// payload where it can be.
enum Series<'a> {
    Vector(&'static str, Cow<'a, [f64]>),
    Matrix(&'static str, usize, Cow<'a, [f64]>),
}

impl Series<'_> {
    /// Its name, and its number of columns when it is a matrix.
    fn shape(&self) -> (&'static str, Option<usize>) {
        match self {
            Self::Vector(name, _) => (name, None),
            Self::Matrix(name, p, _) => (name, Some(*p)),
        }
    }

    /// Each series as its own column of values (a vector as it is, without a copy).
    fn columns(&self) -> Vec<Cow<'_, [f64]>> {
        match self {
            Self::Vector(_, v) => vec![Cow::Borrowed(v.as_ref())],
            Self::Matrix(_, p, v) => (0..*p)
                .map(|j| Cow::Owned(v.iter().skip(j).step_by(*p).copied().collect()))
                .collect(),
        }
    }
}

/// A `Solution1D`'s error at every point, and its statistics.
struct FullError {
    values: Vec<f64>,
    stats: Option<(f64, f64)>,
}

/// What a 1-D plot draws: the x axis (by field name) and the fields over it, read where the payload holds them.
struct Lines<'a> {
    axis: &'static str,
    x: Cow<'a, [f64]>,
    series: Vec<Series<'a>>,
    /// A `Solution1D`'s error over the full data and its statistics, sent only reduced (raw, the browser
    /// computes it itself).
    error: Option<FullError>,
    /// Fields sent as they are (the names of an optimisation's parameters).
    extra: Vec<(String, FieldValue)>,
}

impl<'a> Lines<'a> {
    /// What a 1-D result draws; `None` for the other types.
    fn of(payload: &'a ResultPayload) -> Result<Option<Self>, String> {
        Ok(Some(match payload.result_type {
            ResultType::Solution1D => {
                let data = solution1d::Arrays::of(payload)?;
                let error = data.error().map(|values| FullError {
                    stats: solution1d::error_stats(&values),
                    values,
                });
                let mut series = vec![Series::Vector("computed", data.computed.into())];
                series.extend(data.expected.map(|e| Series::Vector("expected", e.into())));
                Self {
                    axis: "x",
                    x: data.x,
                    series,
                    error,
                    extra: Vec::new(),
                }
            }
            ResultType::DiscreteSequence => {
                let data = sequence::Arrays::of(payload)?;
                let mut series = vec![Series::Vector("values", data.values.into())];
                series.extend(data.expected.map(|e| Series::Vector("expected", e.into())));
                Self {
                    axis: "index",
                    x: data.index,
                    series,
                    error: None,
                    extra: Vec::new(),
                }
            }
            ResultType::OptimizationResult => {
                let data = optimization::Arrays::of(payload)?;
                let mut series = vec![Series::Vector("loss", data.loss.into())];
                series.extend(
                    data.params
                        .map(|(p, values)| Series::Matrix("params", p, values.into())),
                );
                let names = payload.param_names_field();
                Self {
                    axis: "step",
                    x: data.step,
                    series,
                    error: None,
                    extra: names,
                }
            }
            _ => return Ok(None),
        }))
    }
}

fn array(values: Vec<f64>) -> FieldValue {
    FieldValue::Array(NumArray {
        shape: vec![values.len()],
        dtype: "<f8".into(),
        values,
    })
}

fn matrix_array(rows: usize, p: usize, values: Vec<f64>) -> FieldValue {
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

/// Reduces a payload for a plot `columns` device pixels wide showing `zoom` (an x range, and a heatmap's y
/// range; default: everything): long 1-D series (`Solution1D`, `DiscreteSequence`, `OptimizationResult`) become
/// per-column mean, min and max, a `Solution2D` its cells in the zoom, one per block when more than the canvas
/// can show, a long `StochasticEnsemble` its
/// statistics per column with the histogram at `time_index` (a column), and a `PhysicsAnimation`'s field frames
/// one cell per block. Other types come back as they are.
///
/// The payload may be borrowed (a growing result kept whole between views): 1-D series are read where it holds
/// them; the other types take it, copying a borrowed one.
pub fn reduce_for_view(
    payload: Cow<'_, ResultPayload>,
    columns: usize,
    zoom: impl Into<Zoom>,
    time_index: Option<usize>,
) -> Result<PlotData, String> {
    let zoom = zoom.into();
    let view = zoom.x;
    // Counted before the grid reductions move the arrays out of the payload.
    let non_finite = payload.non_finite_count();
    if let Some(lines) = Lines::of(&payload)? {
        return Ok(reduce_lines(&payload, lines, columns, view, non_finite));
    }
    let mut payload = payload.into_owned();
    match payload.result_type {
        ResultType::Solution2D => {
            grid::pick_snapshot(&mut payload, time_index)?;
            grid::reduce_grid(payload, columns, zoom, non_finite)
        }
        ResultType::PhysicsAnimation => {
            let (max_rows, max_cols) = grid::heatmap_cells(columns);
            grid::reduce_frames(payload, max_cols, max_rows)
        }
        // The paths' plot is about 7/10 of the canvas wide.
        ResultType::StochasticEnsemble => {
            ensemble::reduce_ensemble(payload, columns * 7 / 10, view, time_index)
        }
        _ => Ok(PlotData::raw(payload)),
    }
}

/// Where the newest point of a 1-D result lies on its x axis: the last finite x (`x`, `index` or `step`; the
/// last row's number when the field is absent). A zoomed plot that follows a growing result ends its range
/// there. `None` for other types, or without rows.
pub fn last_x(payload: &ResultPayload) -> Option<f64> {
    let (axis, main) = match payload.result_type {
        ResultType::Solution1D => ("x", "computed"),
        ResultType::DiscreteSequence => ("index", "values"),
        ResultType::OptimizationResult => ("step", "loss"),
        _ => return None,
    };
    match payload.array(axis) {
        Some(x) => x.values.iter().rev().copied().find(|v| v.is_finite()),
        None if main == "computed" => None,
        None => payload
            .array(main)
            .and_then(|a| a.shape.first().copied())
            .filter(|&n| n > 0)
            .map(|n| (n - 1) as f64),
    }
}

/// The generic part of [`reduce_for_view`] for 1-D plots of `payload`.
fn reduce_lines(
    payload: &ResultPayload,
    lines: Lines<'_>,
    columns: usize,
    view: Option<(f64, f64)>,
    non_finite: usize,
) -> PlotData {
    let Lines {
        axis,
        x,
        mut series,
        error,
        extra,
    } = lines;
    let range = view
        .filter(|(lo, hi)| lo < hi)
        .unwrap_or_else(|| finite_range([x.as_ref()]));
    let inside = x
        .iter()
        .filter(|v| **v >= range.0 && **v <= range.1)
        .count();
    let out = payload.with_fields(extra);

    let fields = LineFields {
        axis,
        series: series.iter().map(Series::shape).collect(),
        error: error.as_ref().map(|e| e.stats),
    };
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
        let values = series
            .iter()
            .map(|s| match s {
                Series::Vector(_, v) => v[keep.clone()].to_vec(),
                Series::Matrix(_, p, v) => v[keep.start * p..keep.end * p].to_vec(),
            })
            .collect();
        return fields.rows(out, x[keep].to_vec(), values, non_finite);
    }

    series.extend(error.map(|e| Series::Vector(ERROR, e.values.into())));
    let all: Vec<Cow<'_, [f64]>> = series.iter().flat_map(Series::columns).collect();
    let slices: Vec<&[f64]> = all.iter().map(AsRef::as_ref).collect();
    let (centres, column_bands) = reduce_columns(&x, &slices, range, columns);
    fields.columns(out, inside, centres, column_bands, non_finite)
}

/// The fields of a 1-D plot: its x axis, each series (a vector, or a matrix of `p` columns: `Some(p)`) and,
/// for a `Solution1D` with `expected`, its error's statistics over the full data. What a view of it is made
/// of, however its rows or columns were computed (from the data here, or from a pyramid).
#[derive(Clone, Debug, PartialEq)]
pub struct LineFields {
    pub axis: &'static str,
    pub series: Vec<(&'static str, Option<usize>)>,
    pub error: Option<Option<(f64, f64)>>,
}

impl LineFields {
    /// How many lines the columns hold: one per vector, `p` per matrix, and the error.
    pub fn lines(&self) -> usize {
        self.series
            .iter()
            .map(|(_, p)| p.unwrap_or(1))
            .sum::<usize>()
            + usize::from(self.error.is_some())
    }

    /// The view of every row kept: `x` and each series' rows (a matrix's row-major), added to `out`.
    pub fn rows(
        &self,
        mut out: ResultPayload,
        x: Vec<f64>,
        series: Vec<Vec<f64>>,
        non_finite: usize,
    ) -> PlotData {
        let rows = x.len();
        out.fields.push((self.axis.into(), array(x)));
        for ((name, p), values) in self.series.iter().zip(series) {
            let field = match p {
                None => array(values),
                Some(p) => matrix_array(rows, *p, values),
            };
            out.fields.push(((*name).to_owned(), field));
        }
        PlotData {
            payload: out,
            non_finite,
            reduction: None,
        }
    }

    /// The view reduced to columns: their x `centres` and each line's band (in the order of [`Self::lines`]),
    /// standing for `inside` points, added to `out`.
    pub fn columns(
        &self,
        mut out: ResultPayload,
        inside: usize,
        centres: Vec<f64>,
        bands: Vec<ColumnBand>,
        non_finite: usize,
    ) -> PlotData {
        let rows = centres.len();
        out.fields.push((self.axis.into(), array(centres)));
        let mut reduced = Columns {
            points: inside,
            bands: Bands::default(),
            error: None,
        };
        let mut bands = bands.into_iter();
        for (name, p) in &self.series {
            let mine: Vec<ColumnBand> = bands.by_ref().take(p.unwrap_or(1)).collect();
            let means = match p {
                None => {
                    reduced
                        .bands
                        .push(*name, mine[0].min.clone(), mine[0].max.clone());
                    array(mine[0].mean.clone())
                }
                Some(p) => {
                    let mut columns = Vec::with_capacity(*p);
                    for (j, band) in mine.into_iter().enumerate() {
                        reduced
                            .bands
                            .push(format!("{name}[{j}]"), band.min, band.max);
                        columns.push(band.mean);
                    }
                    matrix_array(rows, *p, rows_of(&columns))
                }
            };
            out.fields.push(((*name).to_owned(), means));
        }
        if let (Some(stats), Some(band)) = (self.error, bands.next()) {
            reduced.bands.push(ERROR, band.min, band.max);
            reduced.error = Some(ColumnError {
                mean: band.mean,
                stats,
            });
        }
        PlotData {
            payload: out,
            non_finite,
            reduction: Some(Reduction::Columns(reduced)),
        }
    }
}

mod ensemble;
pub(crate) mod grid;
#[cfg(test)]
mod tests;
