//! Shared data types: runs, results, their summaries and storage events. No I/O; builds for both targets.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

mod annotations;
pub mod compare;
pub mod converge;
mod list;
pub mod summary;
pub mod sweep;

pub use annotations::{RunPatch, MAX_NOTE_CHARS, MAX_TAGS, MAX_TAG_CHARS};
pub use list::{
    CellValue, Column, FieldCount, Group, QueryProblem, RunPage, SavedView, Stats, ValueCount,
};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s.trim()).map(Self).map_err(|_| InvalidId(s.chars().take(64).collect()))
            }
        }
    };
}

id_type!(
    /// The id of a run: a UUID, also the stem of `runs/{id}.json`.
    RunId
);
id_type!(
    /// The id of a result: a UUID, also the stem of `results/{id}.json`.
    ResultId
);

/// An id that is not a UUID.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("expected a UUID such as 67e55044-10b1-426f-9247-bb680e5fe0c8, found {0:?}")]
pub struct InvalidId(pub String);

/// Where a run is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    #[default]
    Running,
    Completed,
    Failed,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Failed => "failed",
        }
    }
}

impl FromStr for RunStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "running" => Ok(Self::Running),
            "completed" => Ok(Self::Completed),
            "failed" => Ok(Self::Failed),
            other => Err(format!(
                "expected a status of running, completed or failed, found {other:?}"
            )),
        }
    }
}

/// What kind of result it is: one of the six types the monitor checks and draws, or any other name, which is
/// stored, listed and shown generically (a table of its fields). Written as its name (`"Solution1D"`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum ResultType {
    Solution1D,
    Solution2D,
    StochasticEnsemble,
    DiscreteSequence,
    OptimizationResult,
    PhysicsAnimation,
    /// A name the monitor has no renderer for, kept as written.
    Other(String),
}

impl ResultType {
    /// The six known types, in the order the documentation lists them.
    pub const KNOWN: [ResultType; 6] = [
        Self::Solution1D,
        Self::Solution2D,
        Self::StochasticEnsemble,
        Self::DiscreteSequence,
        Self::OptimizationResult,
        Self::PhysicsAnimation,
    ];

    /// The names of [`Self::KNOWN`], in the same order.
    pub const NAMES: [&'static str; 6] = [
        "Solution1D",
        "Solution2D",
        "StochasticEnsemble",
        "DiscreteSequence",
        "OptimizationResult",
        "PhysicsAnimation",
    ];

    pub fn as_str(&self) -> &str {
        match self {
            Self::Solution1D => "Solution1D",
            Self::Solution2D => "Solution2D",
            Self::StochasticEnsemble => "StochasticEnsemble",
            Self::DiscreteSequence => "DiscreteSequence",
            Self::OptimizationResult => "OptimizationResult",
            Self::PhysicsAnimation => "PhysicsAnimation",
            Self::Other(name) => name,
        }
    }

    /// Whether this is one of the six known types.
    pub fn is_known(&self) -> bool {
        !matches!(self, Self::Other(_))
    }
}

impl From<&str> for ResultType {
    fn from(name: &str) -> Self {
        Self::KNOWN
            .into_iter()
            .find(|t| t.as_str() == name)
            .unwrap_or_else(|| Self::Other(name.to_owned()))
    }
}

impl From<String> for ResultType {
    fn from(name: String) -> Self {
        match Self::from(name.as_str()) {
            Self::Other(_) => Self::Other(name),
            known => known,
        }
    }
}

impl From<ResultType> for String {
    fn from(t: ResultType) -> Self {
        match t {
            ResultType::Other(name) => name,
            known => known.as_str().to_owned(),
        }
    }
}

impl fmt::Display for ResultType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of the run list: what the dashboard and `/api/runs` show without reading any result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub id: RunId,
    pub name: String,
    /// RFC 3339, as written by the simulation.
    pub timestamp: String,
    pub equation: Option<String>,
    pub circuit: Option<String>,
    /// `None` when the run file could not be read (see `problem`).
    pub status: Option<RunStatus>,
    pub result_count: usize,
    /// Labels given to the run (`baseline`, `paper`), each once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Free text about the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub starred: bool,
    /// What is wrong with this run's file, when it is unreadable; every other run still lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// How a data field is stored on disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldStorage {
    Inline,
    Npy,
}

/// The shape and type of one data field, known without loading its values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldInfo {
    pub name: String,
    /// Empty for a scalar or a non-numeric value. `u64`, not `usize`: the browser's `usize` has 32 bits, and a
    /// shape read from a file (even a damaged one) must reach it as the server saw it.
    pub shape: Vec<u64>,
    /// A NumPy dtype string (`<f8`, `<i4`, ...), `json` for non-numeric inline values.
    pub dtype: String,
    pub storage: FieldStorage,
}

/// What the run page needs to lay out one result before its arrays arrive.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResultSummary {
    pub id: ResultId,
    pub result_type: ResultType,
    pub timestamp: String,
    pub title: Option<String>,
    pub fields: Vec<FieldInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// The result's statistics (`error.max`, `loss.final`: `summary::STATISTICS`) by name, in the order of their
    /// documentation; `None` for a value that is not a finite number. Empty until they are computed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stats: Vec<(String, Option<f64>)>,
}

/// A run with its metadata and the summaries of its results, in the order they were added.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunDetail {
    pub summary: RunSummary,
    /// The run's free-form `metadata` object, as JSON text.
    pub metadata_json: String,
    pub results: Vec<ResultSummary>,
}

/// A numeric array flattened in row-major (C) order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NumArray {
    pub shape: Vec<usize>,
    pub dtype: String,
    pub values: Vec<f64>,
}

impl NumArray {
    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Row `i` of a 2-D array.
    pub fn row(&self, i: usize) -> Option<&[f64]> {
        match self.shape.as_slice() {
            [rows, cols] if i < *rows => Some(&self.values[i * cols..(i + 1) * cols]),
            _ => None,
        }
    }
}

/// One field of a result as sent to the browser: numbers travel as a binary array, anything else as JSON text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum FieldValue {
    Array(NumArray),
    Json(String),
}

/// A whole result with its arrays resolved, in a form that a binary codec (postcard) can carry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResultPayload {
    pub id: ResultId,
    pub run_id: RunId,
    pub result_type: ResultType,
    pub timestamp: String,
    /// The result's `display` object, as JSON text.
    pub display_json: String,
    pub fields: Vec<(String, FieldValue)>,
}

impl ResultPayload {
    pub fn field(&self, name: &str) -> Option<&FieldValue> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// How many NaN and infinite values the numeric fields hold: plots skip them and say so.
    pub fn non_finite_count(&self) -> usize {
        self.fields
            .iter()
            .filter_map(|(_, v)| match v {
                FieldValue::Array(a) => Some(a.values.iter().filter(|v| !v.is_finite()).count()),
                FieldValue::Json(_) => None,
            })
            .sum()
    }

    pub fn array(&self, name: &str) -> Option<&NumArray> {
        match self.field(name) {
            Some(FieldValue::Array(a)) => Some(a),
            _ => None,
        }
    }
}

/// A change seen in the storage, as sent on `/api/updates`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StorageEvent {
    RunCreated { run_id: RunId },
    RunUpdated { run_id: RunId },
    ResultAdded { run_id: RunId, result_id: ResultId },
    RunDeleted { run_id: RunId },
}

impl StorageEvent {
    /// The SSE event name: `run_created`, `run_updated`, `result_added` or `run_deleted`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::RunCreated { .. } => "run_created",
            Self::RunUpdated { .. } => "run_updated",
            Self::ResultAdded { .. } => "result_added",
            Self::RunDeleted { .. } => "run_deleted",
        }
    }

    pub fn run_id(&self) -> RunId {
        match self {
            Self::RunCreated { run_id }
            | Self::RunUpdated { run_id }
            | Self::ResultAdded { run_id, .. }
            | Self::RunDeleted { run_id } => *run_id,
        }
    }

    /// Every event name, for clients that subscribe by name.
    pub const NAMES: [&'static str; 4] =
        ["run_created", "run_updated", "result_added", "run_deleted"];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_only_uuids() {
        assert!("67e55044-10b1-426f-9247-bb680e5fe0c8"
            .parse::<RunId>()
            .is_ok());
        let err = "../../etc/passwd".parse::<RunId>().unwrap_err();
        assert!(err.to_string().contains("expected a UUID"), "{err}");
    }

    #[test]
    fn result_types_are_written_as_their_names_and_unknown_names_are_kept() {
        for (known, name) in ResultType::KNOWN.into_iter().zip(ResultType::NAMES) {
            assert_eq!(known.as_str(), name);
            let json = serde_json::to_string(&known).unwrap();
            assert_eq!(json, format!("\"{}\"", known.as_str()));
            assert_eq!(serde_json::from_str::<ResultType>(&json).unwrap(), known);
        }
        let other: ResultType = serde_json::from_str("\"Scalars\"").unwrap();
        assert_eq!(other, ResultType::Other("Scalars".into()));
        assert!(!other.is_known());
        assert_eq!(serde_json::to_string(&other).unwrap(), "\"Scalars\"");
        assert_eq!(
            ResultType::from("solution1d"),
            ResultType::Other("solution1d".into())
        );
    }

    #[test]
    fn events_serialize_with_their_type() {
        let id = RunId(Uuid::nil());
        let json = serde_json::to_string(&StorageEvent::RunDeleted { run_id: id }).unwrap();
        assert_eq!(
            json,
            r#"{"type":"run_deleted","run_id":"00000000-0000-0000-0000-000000000000"}"#
        );
    }
}
