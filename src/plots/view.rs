//! What the server sends a plot: a result's fields as the plot needs them (cut to the view, or reduced to the
//! canvas) and, when it reduced them, what the reduction knows that the fields alone cannot say — typed, so the
//! browser reads it as it was made. Types only, built for both targets: the reducers (`plots::reduce`, on the
//! server) make them and the renderers read them.

use serde::{Deserialize, Serialize};

use crate::model::ResultPayload;

/// A result as a plot draws it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlotData {
    /// The result; when reduced, each 1-D series holds one mean per pixel column and a grid one cell per block.
    pub payload: ResultPayload,
    /// How many NaN or infinite values the full data holds: plots skip them and say so.
    pub non_finite: usize,
    /// What the reduction knows, when the server reduced the data.
    pub reduction: Option<Reduction>,
}

/// What a reduction knows beside the reduced fields.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Reduction {
    /// Series over an x axis reduced to pixel columns (`Solution1D`, `DiscreteSequence`, `OptimizationResult`).
    Columns(Columns),
    /// A grid, or every frame of an animation, reduced to one cell per block.
    Grid(Grid),
    /// A long `StochasticEnsemble`: its statistics over every path, and a sample of the paths.
    Ensemble(ReducedEnsemble),
}

/// Series reduced to pixel columns.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Columns {
    /// How many points the columns stand for.
    pub points: usize,
    /// Each series' smallest and largest value per column.
    pub bands: Bands,
    /// `Solution1D` with `expected`: the error, computed from the full data.
    pub error: Option<ColumnError>,
}

/// The error `computed − expected` of a reduced `Solution1D`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ColumnError {
    /// The error's mean per column (its band is `bands.get(ERROR)`).
    pub mean: Vec<f64>,
    /// The largest absolute error and the root-mean-square error over the full data.
    pub stats: Option<(f64, f64)>,
}

/// The band name of a reduced `Solution1D`'s error.
pub const ERROR: &str = "error";

/// Per column, the smallest and largest values of each series, by name; the columns of a matrix field `name`
/// are named `name[j]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Bands(Vec<(String, Vec<f64>, Vec<f64>)>);

impl Bands {
    pub fn push(&mut self, name: impl Into<String>, min: Vec<f64>, max: Vec<f64>) {
        self.0.push((name.into(), min, max));
    }

    /// The (min, max) of each column of series `name`.
    pub fn get(&self, name: &str) -> Option<(&[f64], &[f64])> {
        self.0
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, min, max)| (min.as_slice(), max.as_slice()))
    }
}

/// A grid reduced to one cell per block.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    /// The full grid's (rows, columns).
    pub full: (usize, usize),
    /// The smallest and largest finite value of the full grid (of all frames), for the colour scale.
    pub scale: (f64, f64),
}

/// A reduced ensemble's statistics, per column of the paths' plot, computed over every path at every time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReducedEnsemble {
    pub mean: Vec<f64>,
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
    /// The values of every path at the histogram's time, and that time.
    pub histogram: Vec<f64>,
    pub histogram_t: f64,
    /// How many paths and times the full ensemble has.
    pub paths: usize,
    pub times: usize,
}

impl PlotData {
    /// A result as it is, not reduced.
    pub fn raw(payload: ResultPayload) -> Self {
        Self {
            non_finite: payload.non_finite_count(),
            payload,
            reduction: None,
        }
    }

    /// The columns of reduced series, if that is what the data is.
    pub fn columns(&self) -> Option<&Columns> {
        match &self.reduction {
            Some(Reduction::Columns(c)) => Some(c),
            _ => None,
        }
    }

    /// The reduction of a grid, if that is what the data is.
    pub fn grid(&self) -> Option<&Grid> {
        match &self.reduction {
            Some(Reduction::Grid(g)) => Some(g),
            _ => None,
        }
    }

    /// A reduced ensemble's statistics, if that is what the data is.
    pub fn ensemble(&self) -> Option<&ReducedEnsemble> {
        match &self.reduction {
            Some(Reduction::Ensemble(e)) => Some(e),
            _ => None,
        }
    }
}
