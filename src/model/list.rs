//! The run list as it travels to the dashboard: a page of rows with its columns and groups, the fields offered
//! as columns, saved views, and a query's mistake.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::RunSummary;

/// One page of the run list, newest first, and how many runs there are in all.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunPage {
    pub runs: Vec<RunSummary>,
    /// The position of the first run of `runs` in the whole list.
    pub offset: usize,
    pub total: usize,
    /// Why the storage cannot be read right now (its directory was deleted), if it cannot.
    pub storage_problem: Option<String>,
    /// Why the query could not be read, if it could not (then `runs` is empty).
    pub query_problem: Option<QueryProblem>,
    /// The columns asked for (`?cols=meta.dt,meta.solver`), each with its value for every run of `runs`.
    #[serde(default)]
    pub columns: Vec<Column>,
    /// With `?group=field`: every group of the matching runs (not only this page's), in order; the runs are
    /// sorted by group first, so a page holds whole groups or the ends of them.
    #[serde(default)]
    pub groups: Vec<Group>,
    /// For each run of `runs`, the index of its group in `groups` (empty without grouping).
    #[serde(default)]
    pub group_of: Vec<usize>,
}

/// A value in a run-list column or group: a number (always finite: NaN and ±∞ travel as text), a boolean or
/// text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CellValue {
    Bool(bool),
    Number(f64),
    Text(String),
}

impl CellValue {
    /// A number as a cell: a finite one as a number, NaN and ±∞ as their names.
    pub fn number(v: f64) -> Self {
        if v.is_finite() {
            Self::Number(v)
        } else if v.is_nan() {
            Self::Text("NaN".into())
        } else if v > 0.0 {
            Self::Text("Infinity".into())
        } else {
            Self::Text("-Infinity".into())
        }
    }

    pub fn as_number(&self) -> Option<f64> {
        match self {
            Self::Number(v) => Some(*v),
            _ => None,
        }
    }
}

impl fmt::Display for CellValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bool(b) => write!(f, "{b}"),
            // Shortest form that reads back as the same number.
            Self::Number(v) => write!(f, "{v}"),
            Self::Text(t) => f.write_str(t),
        }
    }
}

/// One column of the run list: a field (`meta.dt`, `results`) and its value for each run of the page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Column {
    pub field: String,
    pub values: Vec<Option<CellValue>>,
}

/// The runs of one value of the grouping field: how many, and the mean, min and max of each numeric column.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Group {
    /// `None` for the runs without the field.
    pub value: Option<CellValue>,
    pub count: usize,
    /// One per column of `RunPage::columns`; `None` for a column with no number in this group.
    pub stats: Vec<Option<Stats>>,
}

/// The numbers of one column in one group.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// How many runs of the group have a finite number in the column.
    pub count: usize,
    pub mean: f64,
    pub min: f64,
    pub max: f64,
}

/// A named view of the run list, saved in the storage (`views/{id}.json`) for everyone who views it: the
/// parameters of the list's address.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedView {
    /// A UUID, given when the view is first saved.
    #[serde(default)]
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub q: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sort: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cols: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub group: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub varying: bool,
}

/// A field of the runs, with how many runs have it: what the run list offers as columns and groups.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldCount {
    pub field: String,
    pub runs: usize,
}

/// A value of a field as a query writes it (`rk4`, `0.001`, `true`), and how many runs have it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueCount {
    pub value: String,
    pub runs: usize,
}

/// A query the run list could not read: what is wrong, and the byte range of the offending token in it (of the
/// `sort` text when the message starts with "in `sort`").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryProblem {
    pub message: String,
    pub start: usize,
    pub end: usize,
}
