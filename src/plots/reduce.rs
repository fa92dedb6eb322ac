//! Reducing long series to what a plot of a given width can show, without losing peaks.

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
}
