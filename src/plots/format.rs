//! Numbers as a person reads them: read-outs, and axis ticks without float noise, negative zero or `10.0` on a
//! whole-number axis. Pure functions; the bottom layer of `plots`.

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

/// How one axis writes its ticks: like [`tick`], and knowing the axis's range, so that a tick position that is
/// zero but for rounding (`-2.22e-16` on an axis from −1 to 1) reads `0`, and on a whole-number axis (steps,
/// counts, indices) only whole numbers are labelled.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TickFormat {
    /// A tick closer to zero than this is zero.
    zero: f64,
    integer: bool,
}

impl TickFormat {
    /// Ticks of a linear axis over `range`; `integer` when the data are whole numbers.
    pub fn linear(range: (f64, f64), integer: bool) -> Self {
        let span = (range.1 - range.0).abs();
        Self {
            zero: if span.is_finite() { span * 1e-9 } else { 0.0 },
            integer,
        }
    }

    /// Ticks of a log axis: no zero to snap to.
    pub fn log() -> Self {
        Self {
            zero: 0.0,
            integer: false,
        }
    }

    /// The label of the tick at `v`; empty for a tick between whole numbers on a whole-number axis.
    pub fn label(&self, v: f64) -> String {
        let v = if v.abs() < self.zero { 0.0 } else { v };
        if self.integer && v.fract() != 0.0 {
            return String::new();
        }
        tick(&v)
    }

    /// At most `wanted` ticks over `range`, and on a whole-number axis no more than there are whole numbers in
    /// it (so that ticks fall on whole numbers).
    pub fn count(&self, range: (f64, f64), wanted: usize) -> usize {
        let whole = (range.1 - range.0).abs().floor();
        if self.integer && whole.is_finite() && whole + 1.0 < wanted as f64 {
            (whole as usize + 1).max(2)
        } else {
            wanted
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn a_zero_tick_is_zero_whatever_the_rounding() {
        let sine = TickFormat::linear((-1.0, 1.0), false);
        assert_eq!(sine.label(-2.220446049250313e-16), "0");
        assert_eq!(sine.label(-0.0), "0");
        assert_eq!(sine.label(0.4), "0.4");
        // On an axis of 10⁻¹⁵ across, 10⁻¹⁶ is a real value, not noise.
        let tiny = TickFormat::linear((0.0, 1e-15), false);
        assert_eq!(tiny.label(1e-16), "1e-16");
    }

    #[test]
    fn a_whole_number_axis_labels_only_whole_numbers() {
        let steps = TickFormat::linear((0.0, 4.0), true);
        assert_eq!(steps.label(2.0), "2");
        assert_eq!(steps.label(2.5), "");
        assert_eq!(steps.count((0.0, 4.0), 10), 5, "0 1 2 3 4");
        assert_eq!(steps.count((0.0, 400.0), 10), 10);
        assert_eq!(
            TickFormat::linear((0.0, 4.0), false).count((0.0, 4.0), 10),
            10
        );
    }
}
