//! Shared data types: runs, results, their summaries and storage events. No I/O; builds for both targets.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

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

/// The most tags a run can have.
pub const MAX_TAGS: usize = 64;
/// The longest tag, in characters.
pub const MAX_TAG_CHARS: usize = 64;
/// The longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 4_000;

/// A change to a run's tags, note and star (`PATCH /api/run?id=`, the run page): each part that is present is
/// applied, in the order `tags`, `add_tags`, `remove_tags`, under the run's lock, so that edits from several
/// places (a tag added while the simulation appends results) all survive.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunPatch {
    /// Every tag, replacing the run's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub add_tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remove_tags: Vec<String>,
    /// The note, replacing the run's (empty: no note).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starred: Option<bool>,
}

impl RunPatch {
    /// Applies the patch to a run's `tags`, `note` and `starred`, or says which part is wrong (a tag that is
    /// empty, too long or holds a control character; too many tags; too long a note). Tags are trimmed and kept
    /// once each, in the order given.
    pub fn apply(
        &self,
        tags: &mut Vec<String>,
        note: &mut String,
        starred: &mut bool,
    ) -> Result<(), String> {
        let clean = |tag: &String| -> Result<String, String> {
            let t = tag.trim();
            if t.is_empty() {
                return Err("a tag cannot be empty".into());
            }
            if t.chars().count() > MAX_TAG_CHARS {
                return Err(format!(
                    "tag `{t}` is longer than {MAX_TAG_CHARS} characters"
                ));
            }
            if t.chars().any(char::is_control) {
                return Err(format!("tag {t:?} holds a control character"));
            }
            Ok(t.to_owned())
        };
        let mut next = tags.clone();
        if let Some(all) = &self.tags {
            next.clear();
            for tag in all {
                let tag = clean(tag)?;
                if !next.contains(&tag) {
                    next.push(tag);
                }
            }
        }
        for tag in &self.add_tags {
            let tag = clean(tag)?;
            if !next.contains(&tag) {
                next.push(tag);
            }
        }
        for tag in &self.remove_tags {
            let tag = tag.trim();
            next.retain(|t| t != tag);
        }
        if next.len() > MAX_TAGS {
            return Err(format!(
                "a run can have at most {MAX_TAGS} tags; this would give it {}",
                next.len()
            ));
        }
        if let Some(text) = &self.note {
            let count = text.chars().count();
            if count > MAX_NOTE_CHARS {
                return Err(format!(
                    "the note is {count} characters long; at most {MAX_NOTE_CHARS} are kept"
                ));
            }
            *note = text.clone();
        }
        *tags = next;
        if let Some(star) = self.starred {
            *starred = star;
        }
        Ok(())
    }
}

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

/// A query the run list could not read: what is wrong, and the byte range of the offending token in it (of the
/// `sort` text when the message starts with "in `sort`").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryProblem {
    pub message: String,
    pub start: usize,
    pub end: usize,
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
