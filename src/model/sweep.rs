//! What `/api/sweep` answers (and the sweep page shows): the runs of a sweep over two parameters as a grid, each
//! cell the run at one pair of values, with one of its results (drawn as a thumbnail) or one summary value.

use serde::{Deserialize, Serialize};

use super::{ResultId, ResultType, RunId, RunStatus};

/// A sweep's runs laid out by the values of two fields.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepGrid {
    /// The fields across (columns) and down (rows), as the query language names them.
    pub x: String,
    pub y: String,
    /// The result each cell draws: matched by title, else by type name.
    pub result: Option<String>,
    /// The field each cell shows as a colour instead (`error.max`).
    pub value: Option<String>,
    /// The distinct values of x and of y, in order (numbers numerically), as text.
    pub xs: Vec<String>,
    pub ys: Vec<String>,
    /// Row by row (`ys`), one per x value: the run at that point, or `None` where the sweep has none.
    pub cells: Vec<Option<SweepCell>>,
    /// How many runs the query matched; how many lacked x or y; how many were hidden by a newer run at the same
    /// point.
    pub matched: usize,
    pub skipped: usize,
    pub hidden: usize,
}

/// The run at one point of a sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepCell {
    pub run: RunId,
    pub name: String,
    pub status: Option<RunStatus>,
    /// The result asked for, when the run has it.
    pub result: Option<(ResultId, ResultType)>,
    /// The value asked for, when the run has it as a number.
    pub value: Option<f64>,
}

impl SweepGrid {
    /// The cell at column `x`, row `y`.
    pub fn cell(&self, x: usize, y: usize) -> Option<&SweepCell> {
        self.cells.get(y * self.xs.len() + x)?.as_ref()
    }
}
