//! Numbers over series: ranges, quantiles, the point nearest a pointer, and thinning a line to what a width of
//! pixels can show. Pure functions over slices; the bottom layer of `plots`.

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

/// The index of the finite value in `xs` nearest to `x`.
pub fn nearest_index(xs: &[f64], x: f64) -> Option<usize> {
    (0..xs.len())
        .filter(|&i| xs[i].is_finite())
        .min_by(|&a, &b| (xs[a] - x).abs().total_cmp(&(xs[b] - x).abs()))
}

/// Whether every finite value is a whole number (steps, counts, indices), so an axis over them has whole ticks.
pub fn all_integers<'a>(series: impl IntoIterator<Item = &'a [f64]>) -> bool {
    series
        .into_iter()
        .flatten()
        .filter(|v| v.is_finite())
        .all(|v| v.fract() == 0.0)
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn whole_numbers_are_told_apart() {
        assert!(all_integers([[0.0, 1.0, 1e6, f64::NAN].as_slice()]));
        assert!(!all_integers([[0.0, 0.5].as_slice()]));
    }

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
