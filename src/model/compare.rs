//! What `/api/compare` answers (and the compare page will show): several runs side by side, with what makes them
//! differ — a sentence first, then the metadata that differs, the equations' and circuits' differences against
//! the baseline, and their results matched by type and title.

use serde::{Deserialize, Serialize};

use super::{ResultId, ResultType, RunId, RunStatus};

/// Several runs compared against one of them, the baseline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// In the order asked; each run's place here is its colour everywhere.
    pub runs: Vec<ComparedRun>,
    /// The baseline's place in `runs`.
    pub baseline: usize,
    /// Why these runs differ, in one sentence: `meta.dt 0.001 → 0.0005; equation identical; circuit: 1 line
    /// differs`.
    pub sentence: String,
    /// Every metadata key (flattened to dotted names, as queries name them) any of the runs has, in name order.
    pub metadata: Vec<MetaRow>,
    /// Each run's equation against the baseline's, token by token (the baseline's own against itself).
    pub equations: Vec<TextDiff>,
    /// Each run's compiled circuit against the baseline's, line by line.
    pub circuits: Vec<TextDiff>,
    /// The runs' results matched by type and title (the k-th of a type and title with the k-th), in the order
    /// they first appear; a result some runs lack has `None` there.
    pub results: Vec<MatchedResult>,
}

/// One run of a comparison.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComparedRun {
    pub id: RunId,
    pub name: String,
    /// What names it in a legend: the values that set it apart (`dt=0.0005, solver=rk4`), else its name.
    pub label: String,
    pub status: Option<RunStatus>,
}

/// One metadata key across the runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetaRow {
    /// As a query names it, without `meta.`: `dt`, `grid.n`.
    pub key: String,
    /// Each run's value as text; `None` where the run does not have the key.
    pub values: Vec<Option<String>>,
    /// Each run's value minus the baseline's, where both are numbers.
    pub deltas: Vec<Option<f64>>,
    /// Whether the runs do not all hold the same value.
    pub differs: bool,
}

/// A text against the baseline's: its parts, each the same as the baseline's, only in the run's, or only in the
/// baseline's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TextDiff {
    pub parts: Vec<(Change, String)>,
    /// How many tokens (equations) or lines (circuits) differ.
    pub differing: usize,
}

/// What a part of a text is, against the baseline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Same,
    /// In this run's text only.
    Added,
    /// In the baseline's only.
    Removed,
}

/// A result matched across the runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MatchedResult {
    pub result_type: ResultType,
    pub title: Option<String>,
    /// Each run's result, if it has one.
    pub results: Vec<Option<ResultId>>,
}
