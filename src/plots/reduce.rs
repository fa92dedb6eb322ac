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
