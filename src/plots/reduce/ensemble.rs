//! Reducing a long `StochasticEnsemble` to the canvas's pixel columns: the statistics come from every path at
//! every time (on the server), and only what is drawn travels.

use super::{array, matrix_array, reduce_columns, REDUCED_NON_FINITE, REDUCED_POINTS};
use crate::model::{FieldValue, ResultPayload};
use crate::plots::ensemble::{Ensemble, EnsembleOptions, MAX_PATHS_DRAWN};
use crate::plots::finite_range;

/// Fields of a reduced ensemble, beside `t` (column centres) and `paths` (the drawn paths' column means).
pub const BAND_MEAN: &str = "reduced_mean";
pub const BAND_LOWER: &str = "reduced_lower";
pub const BAND_UPPER: &str = "reduced_upper";
/// The values of every path at the histogram's time, and that time.
pub const HISTOGRAM_VALUES: &str = "reduced_histogram";
pub const HISTOGRAM_TIME: &str = "reduced_histogram_t";
/// How many paths the ensemble has (only a sample of them travels).
pub const PATH_COUNT: &str = "reduced_paths";

/// Reduces an ensemble with more times in `view` (default: all) than twice `columns`. Per column: the mean of
/// the per-time means, the lowest lower and highest upper bound of the per-time confidence band (computed over all
/// paths), and for a sample of at most `MAX_PATHS_DRAWN` paths their mean. `time_index` picks the column whose
/// last time the histogram shows (default: the last). Fewer times come raw: all of them without a view, else
/// those in view and one neighbour each side.
pub(super) fn reduce_ensemble(
    payload: ResultPayload,
    columns: usize,
    view: Option<(f64, f64)>,
    time_index: Option<usize>,
) -> Result<ResultPayload, String> {
    let data = Ensemble::from_payload(&payload)?;
    let n = data.t.len();
    let view = view.filter(|(lo, hi)| lo < hi);
    let range = view.unwrap_or_else(|| finite_range([data.t.as_slice()]));
    let in_view = |t: &f64| *t >= range.0 && *t <= range.1;
    let inside = data.t.iter().filter(|t| in_view(t)).count();
    if data.m == 0 || inside <= 2 * columns && view.is_none() {
        return Ok(payload);
    }
    let non_finite = payload.non_finite_count();
    if inside <= 2 * columns {
        let keep = match (
            data.t.iter().position(in_view),
            data.t.iter().rposition(in_view),
        ) {
            (Some(first), Some(last)) => first.saturating_sub(1)..(last + 2).min(n),
            _ => 0..0,
        };
        let paths: Vec<f64> = (0..data.m)
            .flat_map(|i| data.path(i)[keep.clone()].to_vec())
            .collect();
        let mut out = ResultPayload {
            fields: Vec::new(),
            ..payload
        };
        out.fields
            .push(("t".into(), array(data.t[keep.clone()].to_vec())));
        out.fields
            .push(("paths".into(), matrix_array(data.m, keep.len(), paths)));
        out.fields
            .push((REDUCED_NON_FINITE.into(), array(vec![non_finite as f64])));
        return Ok(out);
    }
    let options: EnsembleOptions = serde_json::from_str(&payload.display_json).unwrap_or_default();
    let band = data.band(options.confidence);
    let stride = data.m.div_ceil(MAX_PATHS_DRAWN).max(1);
    let sample: Vec<usize> = (0..data.m).step_by(stride).collect();
    let mut series: Vec<&[f64]> = vec![&band.mean, &band.lower, &band.upper];
    series.extend(sample.iter().map(|&i| data.path(i)));
    let (centres, bands) = reduce_columns(&data.t, &series, range, columns);
    let rows = centres.len();

    // The histogram's time: the last time index inside the chosen column.
    let column = time_index
        .unwrap_or(rows.saturating_sub(1))
        .min(rows.saturating_sub(1));
    let width = (range.1 - range.0) / columns as f64;
    let k = match centres.get(column) {
        Some(centre) => {
            let end = centre + width / 2.0;
            (0..n)
                .rev()
                .find(|&k| data.t[k] <= end && data.t[k] >= centre - width / 2.0)
                .unwrap_or(n - 1)
        }
        None => n - 1,
    };

    let mut out = ResultPayload {
        fields: Vec::new(),
        ..payload
    };
    let paths: Vec<f64> = bands[3..].iter().flat_map(|b| b.mean.clone()).collect();
    out.fields.push(("t".into(), array(centres)));
    out.fields
        .push(("paths".into(), matrix_array(sample.len(), rows, paths)));
    out.fields
        .push((BAND_MEAN.into(), array(bands[0].mean.clone())));
    out.fields
        .push((BAND_LOWER.into(), array(bands[1].min.clone())));
    out.fields
        .push((BAND_UPPER.into(), array(bands[2].max.clone())));
    out.fields
        .push((HISTOGRAM_VALUES.into(), array(data.at(k))));
    out.fields
        .push((HISTOGRAM_TIME.into(), array(vec![data.t[k]])));
    out.fields
        .push((PATH_COUNT.into(), array(vec![data.m as f64])));
    out.fields
        .push((REDUCED_POINTS.into(), array(vec![inside as f64])));
    out.fields
        .push((REDUCED_NON_FINITE.into(), array(vec![non_finite as f64])));
    Ok(out)
}

/// What a reduced ensemble carries besides `t` and `paths`: read by `Ensemble::from_payload`.
#[derive(Clone, Debug, PartialEq)]
pub struct ReducedEnsemble {
    pub mean: Vec<f64>,
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
    pub histogram: Vec<f64>,
    pub histogram_t: f64,
    pub paths: usize,
    pub times: usize,
}

impl ReducedEnsemble {
    pub fn from_payload(payload: &ResultPayload) -> Option<Self> {
        let values = |name: &str| match payload.field(name) {
            Some(FieldValue::Array(a)) => Some(a.values.clone()),
            _ => None,
        };
        let first = |name: &str| values(name)?.first().copied();
        Some(Self {
            mean: values(BAND_MEAN)?,
            lower: values(BAND_LOWER)?,
            upper: values(BAND_UPPER)?,
            histogram: values(HISTOGRAM_VALUES)?,
            histogram_t: first(HISTOGRAM_TIME)?,
            paths: first(PATH_COUNT)? as usize,
            times: first(REDUCED_POINTS)? as usize,
        })
    }
}
