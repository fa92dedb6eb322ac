//! Reducing long series to what a plot of a given width can show, without losing peaks.

use crate::model::ResultPayload;
use crate::plots::finite_range;
use crate::plots::solution1d::{Solution1D, REDUCED_ERROR, REDUCED_ERROR_STATS, REDUCED_POINTS};

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

/// Reduces a `Solution1D` payload for a plot `columns` pixels wide showing `view` (default: all of x). When more
/// points than four per column fall in the view, each series becomes a (min, max) pair of rows per column, so no
/// spike is lost; the error (computed − expected) is reduced the same way from the full data, and its max and RMS
/// are computed from the full data. Fewer points come back raw, cut to the view. Other types come back as they are.
pub fn reduce_for_view(
    payload: ResultPayload,
    columns: usize,
    view: Option<(f64, f64)>,
) -> Result<ResultPayload, String> {
    if payload.result_type != "Solution1D" {
        return Ok(payload);
    }
    let data = Solution1D::from_payload(&payload)?;
    let range = view
        .filter(|(lo, hi)| lo < hi)
        .unwrap_or_else(|| finite_range([data.x.as_slice()]));
    let inside = data
        .x
        .iter()
        .filter(|x| **x >= range.0 && **x <= range.1)
        .count();
    let array = |values: Vec<f64>| {
        crate::model::FieldValue::Array(crate::model::NumArray {
            shape: vec![values.len()],
            dtype: "<f8".into(),
            values,
        })
    };
    let mut out = ResultPayload {
        fields: Vec::new(),
        ..payload
    };
    if inside <= 4 * columns {
        let window = match view {
            Some((lo, hi)) => data.window(lo, hi),
            None => data,
        };
        out.fields.push(("x".into(), array(window.x)));
        out.fields.push(("computed".into(), array(window.computed)));
        if let Some(expected) = window.expected {
            out.fields.push(("expected".into(), array(expected)));
        }
        return Ok(out);
    }
    let error = data.error();
    let mut series: Vec<&[f64]> = vec![&data.computed];
    series.extend(data.expected.as_deref());
    series.extend(error.as_deref());
    let (centres, bands) = reduce_columns(&data.x, &series, range, columns);
    let pairs = |band: &ColumnBand| -> Vec<f64> {
        band.min
            .iter()
            .zip(&band.max)
            .flat_map(|(lo, hi)| [*lo, *hi])
            .collect()
    };
    out.fields.push((
        "x".into(),
        array(centres.iter().flat_map(|c| [*c, *c]).collect()),
    ));
    out.fields
        .push(("computed".into(), array(pairs(&bands[0]))));
    if data.expected.is_some() {
        out.fields
            .push(("expected".into(), array(pairs(&bands[1]))));
        out.fields
            .push((REDUCED_ERROR.into(), array(pairs(&bands[2]))));
        if let Some((max_abs, rms)) = data.error_stats() {
            out.fields
                .push((REDUCED_ERROR_STATS.into(), array(vec![max_abs, rms])));
        }
    }
    out.fields
        .push((REDUCED_POINTS.into(), array(vec![inside as f64])));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_short_series_whole() {
        let x = [0.0, 1.0, 2.0];
        let y = [1.0, f64::NAN, 3.0];
        assert_eq!(reduce_min_max(&x, &y, 10), vec![(0.0, 1.0), (2.0, 3.0)]);
    }

    #[test]
    fn keeps_extremes_of_long_series() {
        let n = 100_000;
        let x: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let mut y = vec![0.0; n];
        y[12_345] = 50.0;
        y[77_777] = -20.0;
        let reduced = reduce_min_max(&x, &y, 100);
        assert!(reduced.len() <= 200);
        assert!(reduced.contains(&(12_345.0, 50.0)));
        assert!(reduced.contains(&(77_777.0, -20.0)));
        assert!(
            reduced.windows(2).all(|w| w[0].0 <= w[1].0),
            "order is kept"
        );
    }
}

/// One series reduced to pixel columns: the smallest and largest value in each (NaN where a column is empty).
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnBand {
    pub min: Vec<f64>,
    pub max: Vec<f64>,
}

/// Reduces series sharing `x` to `columns` equal columns over `range`: the columns' centres and, per series,
/// the minimum and maximum of the finite values in each column. Points outside `range` are left out; `x` need
/// not be sorted. Every extreme survives, so no spike is lost (unlike random or strided sampling).
pub fn reduce_columns(
    x: &[f64],
    ys: &[&[f64]],
    range: (f64, f64),
    columns: usize,
) -> (Vec<f64>, Vec<ColumnBand>) {
    let columns = columns.max(1);
    let (lo, hi) = range;
    let width = (hi - lo) / columns as f64;
    let centres = (0..columns)
        .map(|c| lo + width * (c as f64 + 0.5))
        .collect();
    let mut bands: Vec<ColumnBand> = ys
        .iter()
        .map(|_| ColumnBand {
            min: vec![f64::NAN; columns],
            max: vec![f64::NAN; columns],
        })
        .collect();
    for (i, &xi) in x.iter().enumerate() {
        if !(xi >= lo && xi <= hi) || width <= 0.0 {
            continue;
        }
        let c = (((xi - lo) / width) as usize).min(columns - 1);
        for (band, y) in bands.iter_mut().zip(ys) {
            let v = y[i];
            if v.is_finite() {
                // NaN.min(v) is v: an empty column takes the first value.
                band.min[c] = band.min[c].min(v);
                band.max[c] = band.max[c].max(v);
            }
        }
    }
    (centres, bands)
}

#[cfg(test)]
mod column_tests {
    use super::*;

    #[test]
    fn every_column_keeps_its_extremes() {
        let n = 1_000_000;
        let x: Vec<f64> = (0..n).map(|i| i as f64 / n as f64).collect();
        let mut y = vec![0.0; n];
        y[123_457] = 9.0;
        y[876_543] = -4.0;
        let (centres, bands) = reduce_columns(&x, &[&y], (0.0, 1.0), 800);
        assert_eq!(centres.len(), 800);
        let band = &bands[0];
        assert_eq!(
            band.max.iter().cloned().fold(f64::MIN, f64::max),
            9.0,
            "the spike survives"
        );
        assert_eq!(
            band.min.iter().cloned().fold(f64::MAX, f64::min),
            -4.0,
            "the dip survives"
        );
        assert_eq!(
            band.max[(0.123457f64 * 800.0) as usize],
            9.0,
            "in the right column"
        );
    }

    #[test]
    fn a_range_leaves_out_what_is_outside_and_empty_columns_are_nan() {
        let x = [0.0, 1.0, 2.0, 3.0, 10.0];
        let y = [1.0, 2.0, 3.0, 4.0, 100.0];
        let (centres, bands) = reduce_columns(&x, &[&y], (0.0, 4.0), 4);
        assert_eq!(centres, vec![0.5, 1.5, 2.5, 3.5]);
        assert_eq!(bands[0].max, vec![1.0, 2.0, 3.0, 4.0]);
        let (_, sparse) = reduce_columns(&[0.0, 3.9], &[&[1.0, 2.0]], (0.0, 4.0), 4);
        assert!(sparse[0].min[1].is_nan() && sparse[0].min[2].is_nan());
    }

    fn solution_1d(fields: Vec<(&str, Vec<f64>)>) -> ResultPayload {
        let fields: Vec<_> = fields
            .into_iter()
            .map(|(name, v)| (name, vec![v.len()], v))
            .collect();
        crate::plots::tests::payload("Solution1D", &fields, "{}")
    }

    #[test]
    fn reduction_keeps_spikes_and_exact_error_statistics() {
        let n = 100_000;
        let x: Vec<f64> = (0..n).map(|i| i as f64 / n as f64).collect();
        let mut computed: Vec<f64> = x.iter().map(|v| v.sin()).collect();
        let expected = computed.clone();
        computed[54_321] += 7.0;
        let full = solution_1d(vec![
            ("x", x),
            ("computed", computed),
            ("expected", expected),
        ]);
        let reduced = reduce_for_view(full.clone(), 800, None).unwrap();
        let data = Solution1D::from_payload(&reduced).unwrap();
        assert_eq!(data.x.len(), 1600, "a (min, max) pair per column");
        assert_eq!(data.reduced.as_ref().unwrap().points, n);
        let top = data.computed.iter().cloned().fold(f64::MIN, f64::max);
        assert!(
            (top - (0.54321f64.sin() + 7.0)).abs() < 1e-12,
            "the spike survives the reduction"
        );
        let (max_abs, rms) = data.error_stats().unwrap();
        assert_eq!(max_abs, 7.0);
        assert!(
            (rms - (49.0 / n as f64).sqrt()).abs() < 1e-12,
            "RMS over the full data, not the columns"
        );
        assert!(
            data.readout(0.54321).unwrap().starts_with("x ≈ 0.54"),
            "{:?}",
            data.readout(0.54321)
        );

        // Zoomed far enough in, the raw points come back.
        let zoomed =
            Solution1D::from_payload(&reduce_for_view(full, 800, Some((0.5, 0.51))).unwrap())
                .unwrap();
        assert!(zoomed.reduced.is_none());
        assert_eq!(
            zoomed.x.len(),
            1001 + 2,
            "the points in the view and one neighbour each side"
        );
    }
}
