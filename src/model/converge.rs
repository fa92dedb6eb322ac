//! What `/api/converge` answers (and the convergence page shows): an error norm, or a solution value, against a
//! step size or a resolution across runs, one series per group, with the observed order of each.

use serde::{Deserialize, Serialize};

use super::{RunId, RunStatus};

/// A convergence study over the runs a query matches.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Convergence {
    /// The fields studied, as the run list's query language names them (`meta.N`, `error.max`, `meta.solver`).
    pub x: String,
    pub y: String,
    pub group: Option<String>,
    /// How x is read: a resolution (a grid size `N`, step size `h ∝ 1/N`) or a step size itself.
    pub x_is_resolution: bool,
    /// How y is read: an error norm (fitted directly) or a solution value (extrapolated, Richardson).
    pub y_is_error: bool,
    /// One series per value of `group` (one series without a group), in the order of the group's values.
    pub series: Vec<Series>,
    /// How many runs the query matched.
    pub matched: usize,
    /// How many of those were left out: without a finite x or y, or with an x or an error that is not positive.
    pub skipped: usize,
}

/// The runs of one group, coarse to fine, and what their errors say.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// The group's value as text; `None` without a group (or for runs without the group field).
    pub group: Option<String>,
    /// Coarse to fine (step size falling).
    pub points: Vec<Point>,
    /// The least-squares order of the errors (for a solution value: of its distance from the extrapolated
    /// value); `None` with fewer than two usable points.
    pub fit: Option<OrderFit>,
    /// For a solution value: Richardson extrapolation over the three finest distinct step sizes.
    pub richardson: Option<Richardson>,
}

/// One run of a study.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub run: RunId,
    pub name: String,
    pub status: Option<RunStatus>,
    /// The run's x as written (`N` or `h`).
    pub x: f64,
    /// The step size: `x`, or `1/x` for a resolution.
    pub h: f64,
    /// The run's y as written.
    pub y: f64,
    /// What is fitted: y for an error; for a solution value, its distance from the extrapolated value (`None`
    /// without an extrapolation, or at the value itself).
    pub error: Option<f64>,
}

/// The line `log e = log C + p log h` fitted to errors `e` at step sizes `h`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderFit {
    /// The observed order: the slope.
    pub order: f64,
    /// The slope's standard error; `None` with two points (a line through two points has no spread).
    pub order_error: Option<f64>,
    /// `C` in `e ≈ C·hᵖ`.
    pub constant: f64,
    /// How many points were fitted (those with a finite, positive `h` and `e`).
    pub points: usize,
}

/// Richardson extrapolation and the grid convergence index from three solutions on successively finer grids.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Richardson {
    /// The apparent order `p`.
    pub order: f64,
    /// The extrapolated value `φ_ext` (the fine and medium solutions extrapolated to a zero step).
    pub extrapolated: f64,
    /// The relative difference between the fine and medium solutions, `|(φ₁ − φ₂)/φ₁|`.
    pub approximate_error: f64,
    /// The fine solution's relative distance from the extrapolated value.
    pub extrapolated_error: f64,
    /// The fine grid's convergence index, `1.25 · e_a / (r₂₁ᵖ − 1)`: a relative error band.
    pub gci_fine: f64,
    /// Whether the solutions converge monotonically (the two differences have one sign); with oscillating
    /// convergence the order is the magnitude's and the extrapolation less trustworthy.
    pub monotonic: bool,
}

impl OrderFit {
    /// The order as a person reads it: `2.00 ± 0.01`, or `2.00` without a spread.
    pub fn describe(&self) -> String {
        match self.order_error {
            Some(e) => format!("{:.2} ± {:.2}", self.order, e),
            None => format!("{:.2}", self.order),
        }
    }
}

impl Series {
    /// What names the series in a legend: its group's value, or `all runs`.
    pub fn label(&self) -> &str {
        self.group.as_deref().unwrap_or("all runs")
    }

    /// The order shown for the series: Richardson's for a solution value, else the fit's.
    pub fn order(&self) -> Option<f64> {
        self.richardson
            .map(|r| r.order)
            .or(self.fit.map(|f| f.order))
    }
}
