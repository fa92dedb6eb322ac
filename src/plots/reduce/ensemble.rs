//! Reducing a long `StochasticEnsemble` to the canvas's pixel columns: the statistics come from every path at
//! every time (on the server), and only what is drawn travels.

use super::{array, matrix_array, reduce_columns};
use crate::model::ResultPayload;
use crate::plots::ensemble::{Ensemble, EnsembleOptions, MAX_PATHS_DRAWN};
use crate::plots::stats::finite_range;
use crate::plots::view::{PlotData, ReducedEnsemble, Reduction};

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
) -> Result<PlotData, String> {
    let data = Ensemble::from_payload(&payload)?;
    let n = data.t.len();
    let view = view.filter(|(lo, hi)| lo < hi);
    let range = view.unwrap_or_else(|| finite_range([data.t.as_slice()]));
    let in_view = |t: &f64| *t >= range.0 && *t <= range.1;
    let inside = data.t.iter().filter(|t| in_view(t)).count();
    if data.m == 0 || inside <= 2 * columns && view.is_none() {
        return Ok(PlotData::raw(payload));
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
        return Ok(PlotData {
            payload: out,
            non_finite,
            reduction: None,
        });
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
            // The column's bounds: its times' mean lies inside them.
            let c = (((centre - range.0) / width) as usize).min(columns - 1) as f64;
            let (start, end) = (range.0 + width * c, range.0 + width * (c + 1.0));
            (0..n)
                .rev()
                .find(|&k| data.t[k] <= end && data.t[k] >= start)
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
    let reduced = ReducedEnsemble {
        mean: bands[0].mean.clone(),
        lower: bands[1].min.clone(),
        upper: bands[2].max.clone(),
        histogram: data.at(k),
        histogram_t: data.t[k],
        paths: data.m,
        times: inside,
    };
    Ok(PlotData {
        payload: out,
        non_finite,
        reduction: Some(Reduction::Ensemble(reduced)),
    })
}
