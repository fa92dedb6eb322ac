//! Convergence studies: the observed order of a method from its errors at several step sizes (a least-squares fit
//! on the log–log plot, with its standard error), and, without an exact solution, Richardson extrapolation and
//! the grid convergence index over three refinements (Celik et al., "Procedure for estimation and reporting of
//! uncertainty due to discretization in CFD applications", J. Fluids Eng. 130, 078001, 2008).

pub use crate::model::converge::{OrderFit, Richardson};

/// The order fitted to `(h, e)` pairs, by least squares on their logarithms; `None` with fewer than two usable
/// points (finite and positive) or when every `h` is the same.
pub fn fit_order(points: &[(f64, f64)]) -> Option<OrderFit> {
    let logs: Vec<(f64, f64)> = points
        .iter()
        .filter(|(h, e)| h.is_finite() && e.is_finite() && *h > 0.0 && *e > 0.0)
        .map(|(h, e)| (h.ln(), e.ln()))
        .collect();
    let n = logs.len();
    if n < 2 {
        return None;
    }
    let mean_x = logs.iter().map(|(x, _)| x).sum::<f64>() / n as f64;
    let mean_y = logs.iter().map(|(_, y)| y).sum::<f64>() / n as f64;
    let sxx: f64 = logs.iter().map(|(x, _)| (x - mean_x).powi(2)).sum();
    if sxx <= 0.0 {
        return None;
    }
    let sxy: f64 = logs.iter().map(|(x, y)| (x - mean_x) * (y - mean_y)).sum();
    let order = sxy / sxx;
    let intercept = mean_y - order * mean_x;
    let order_error = (n > 2).then(|| {
        let residuals: f64 = logs
            .iter()
            .map(|(x, y)| (y - intercept - order * x).powi(2))
            .sum();
        (residuals / (n - 2) as f64 / sxx).sqrt()
    });
    Some(OrderFit {
        order,
        order_error,
        constant: intercept.exp(),
        points: n,
    })
}

/// Celik et al.'s procedure for `fine`, `medium` and `coarse` solutions `φ₁, φ₂, φ₃` with step sizes
/// `h₁ < h₂ < h₃`; `None` when the differences vanish (nothing to extrapolate) or the order does not settle.
pub fn richardson(
    (h1, f1): (f64, f64),
    (h2, f2): (f64, f64),
    (h3, f3): (f64, f64),
) -> Option<Richardson> {
    let (r21, r32) = (h2 / h1, h3 / h2);
    if !(r21 > 1.0 && r32 > 1.0) {
        return None;
    }
    let (e21, e32) = (f2 - f1, f3 - f2);
    if e21 == 0.0 || e32 == 0.0 || ![e21, e32].iter().all(|e| e.is_finite()) {
        return None;
    }
    let s = (e32 / e21).signum();
    // p = |ln|ε₃₂/ε₂₁| + q(p)| / ln r₂₁, with q(p) = ln((r₂₁ᵖ − s)/(r₃₂ᵖ − s)): a fixed point (q = 0 for a
    // constant refinement ratio).
    let mut p = (e32 / e21).abs().ln().abs() / r21.ln();
    for _ in 0..200 {
        let q = ((r21.powf(p) - s) / (r32.powf(p) - s)).ln();
        let next = ((e32 / e21).abs().ln() + q).abs() / r21.ln();
        if !next.is_finite() {
            return None;
        }
        if (next - p).abs() < 1e-12 {
            p = next;
            break;
        }
        p = next;
    }
    let rp = r21.powf(p);
    let extrapolated = (rp * f1 - f2) / (rp - 1.0);
    let approximate_error = ((f1 - f2) / f1).abs();
    Some(Richardson {
        order: p,
        extrapolated,
        approximate_error,
        extrapolated_error: ((extrapolated - f1) / extrapolated).abs(),
        gci_fine: 1.25 * approximate_error / (rp - 1.0),
        monotonic: s > 0.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_of_a_second_order_method_give_order_two_exactly() {
        let points: Vec<(f64, f64)> = [16.0, 32.0, 64.0, 128.0, 256.0]
            .iter()
            .map(|n| (1.0 / n, 3.0 / (n * n)))
            .collect();
        let fit = fit_order(&points).unwrap();
        assert!((fit.order - 2.0).abs() < 1e-12, "{fit:?}");
        assert!(fit.order_error.unwrap() < 1e-10);
        assert!((fit.constant - 3.0).abs() < 1e-9);
        assert_eq!(fit.points, 5);
    }

    #[test]
    fn the_order_and_its_standard_error_match_a_hand_computation() {
        // log h = 0, 1, 2, 3 (h = eᵏ); log e = 0, 1, 3, 4: slope 1.4, intercept −0.1, residuals
        // 0.1, −0.3, 0.3, −0.1, so s² = 0.2/2 and the slope's standard error √(0.1/5).
        let points: Vec<(f64, f64)> = [(0.0, 0.0), (1.0, 1.0), (2.0, 3.0), (3.0, 4.0)]
            .iter()
            .map(|(x, y): &(f64, f64)| (x.exp(), y.exp()))
            .collect();
        let fit = fit_order(&points).unwrap();
        assert!((fit.order - 1.4).abs() < 1e-12, "{fit:?}");
        assert!((fit.order_error.unwrap() - (0.1f64 / 5.0).sqrt()).abs() < 1e-12);
        assert!((fit.constant - (-0.1f64).exp()).abs() < 1e-12);
        // Two points: a slope without a spread; unusable points are left out.
        let two = fit_order(&[(0.1, 0.01), (0.2, 0.04), (0.3, f64::NAN), (0.0, 1.0)]).unwrap();
        assert!((two.order - 2.0).abs() < 1e-12);
        assert_eq!((two.order_error, two.points), (None, 2));
        assert_eq!(fit_order(&[(0.1, 0.01)]), None);
        assert_eq!(fit_order(&[(0.1, 0.01), (0.1, 0.02)]), None);
    }

    #[test]
    fn richardson_and_gci_reproduce_celik_et_al_table_1() {
        // Celik et al. (2008), Table 1, the reattachment length φ: N₁, N₂, N₃ = 18,000, 8,000, 4,500 cells (2-D,
        // so h ∝ N^(−1/2): r₂₁ = 1.5, r₃₂ = 1.333); φ₁, φ₂, φ₃ = 6.063, 5.972, 5.863. Published: p = 1.53,
        // φ_ext = 6.1685, e_a = 1.5 %, e_ext = 1.7 %, GCI_fine = 2.2 %.
        let h = |n: f64| n.powf(-0.5);
        let r = richardson(
            (h(18_000.0), 6.063),
            (h(8_000.0), 5.972),
            (h(4_500.0), 5.863),
        )
        .unwrap();
        assert!((r.order - 1.53).abs() < 0.01, "{r:?}");
        assert!((r.extrapolated - 6.1685).abs() < 1e-3, "{r:?}");
        assert!((r.approximate_error - 0.015).abs() < 5e-4, "{r:?}");
        assert!((r.extrapolated_error - 0.017).abs() < 5e-4, "{r:?}");
        assert!((r.gci_fine - 0.022).abs() < 5e-4, "{r:?}");
        assert!(r.monotonic);
    }

    #[test]
    fn richardson_with_a_constant_ratio_finds_the_order_of_an_exact_expansion() {
        // φ(h) = 1 + 0.3·h²: three grids halving h give p = 2 and φ_ext = 1 exactly.
        let phi = |h: f64| 1.0 + 0.3 * h * h;
        let r = richardson((0.1, phi(0.1)), (0.2, phi(0.2)), (0.4, phi(0.4))).unwrap();
        assert!((r.order - 2.0).abs() < 1e-9, "{r:?}");
        assert!((r.extrapolated - 1.0).abs() < 1e-12, "{r:?}");
        // No difference to extrapolate, or grids in the wrong order: nothing.
        assert_eq!(richardson((0.1, 1.0), (0.2, 1.0), (0.4, 2.0)), None);
        assert_eq!(richardson((0.4, 1.0), (0.2, 1.1), (0.1, 1.2)), None);
    }
}
