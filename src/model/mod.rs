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
    /// How far along a running computation says it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<Progress>,
}

/// Seconds since 1970 of an RFC 3339 time (`2026-12-01T10:00:00.5Z`, `…+02:00`); `None` when it is not one.
/// Small enough for the browser, which has no date library in its bundle.
pub fn rfc3339_seconds(text: &str) -> Option<f64> {
    let b = text.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = text.get(r)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if b[13] != b':' || b[16] != b':' || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let mut rest = &text[19..];
    let mut fraction = 0.0;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        fraction = format!("0.{}", &frac[..digits]).parse().ok()?;
        rest = &frac[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let (h, m) = rest[1..].split_once(':')?;
            sign * (h.parse::<i64>().ok()? * 3600 + m.parse::<i64>().ok()? * 60)
        }
    };
    // Days from 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some((days * 86_400 + hour * 3600 + minute * 60 + second - offset) as f64 + fraction)
}

/// The longest progress message kept.
pub const MAX_PROGRESS_CHARS: usize = 200;

/// A run's progress as its writer last set it (`set_progress`): a fraction of the work done, what it is doing,
/// and when it said so.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// From 0 to 1.
    pub fraction: f64,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// RFC 3339.
    #[serde(default)]
    pub at: String,
}

impl Progress {
    /// The time left, in seconds, at the rate of the run so far (from `started`, the run's timestamp, to `at`):
    /// `None` before any work is done or when the times cannot be read.
    pub fn seconds_left(&self, started: &str) -> Option<f64> {
        let elapsed = rfc3339_seconds(&self.at)? - rfc3339_seconds(started)?;
        let f = self.fraction;
        (f > 0.0 && f.is_finite() && elapsed >= 0.0).then(|| elapsed * (1.0 - f.min(1.0)) / f)
    }
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
    /// Present for a result that grows (or grew and was never closed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub growing: Option<GrowthState>,
}

/// A growing result's state (docs/storage-format.md, "Growing results").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrowthState {
    /// Whether its writer still has it open; a result whose run ended while open is unfinished.
    pub open: bool,
    /// How many chunks of rows it has.
    pub chunks: u64,
    /// How many rows its longest growing field has.
    pub rows: usize,
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

    /// Appends the rows of `more` along the first axis (a growing result's new rows); the other axes must
    /// agree.
    pub fn append_rows(&mut self, more: &NumArray) -> Result<(), String> {
        if self.shape.is_empty() || more.shape.is_empty() || self.shape[1..] != more.shape[1..] {
            return Err(format!(
                "rows of shape {:?} cannot follow rows of shape {:?}",
                more.shape.get(1..).unwrap_or(&[]),
                self.shape.get(1..).unwrap_or(&[])
            ));
        }
        self.shape[0] += more.shape[0];
        self.values.extend_from_slice(&more.values);
        Ok(())
    }

    /// Rows `from..` along the first axis (all of them for a scalar).
    pub fn rows_from(&self, from: usize) -> NumArray {
        let Some(&rows) = self.shape.first() else {
            return self.clone();
        };
        let stride: usize = self.shape[1..].iter().product();
        let from = from.min(rows);
        let mut shape = self.shape.clone();
        shape[0] = rows - from;
        NumArray {
            shape,
            dtype: self.dtype.clone(),
            values: self.values[from * stride..].to_vec(),
        }
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

    /// The same result holding only `fields` (a view's fields are made apart from the result's).
    pub fn with_fields(&self, fields: Vec<(String, FieldValue)>) -> Self {
        Self {
            id: self.id,
            run_id: self.run_id,
            result_type: self.result_type.clone(),
            timestamp: self.timestamp.clone(),
            display_json: self.display_json.clone(),
            fields,
        }
    }

    /// An optimisation's `param_names` when given as a list (what a view sends as it is); empty otherwise.
    pub fn param_names_field(&self) -> Vec<(String, FieldValue)> {
        self.fields
            .iter()
            .filter(|(name, value)| {
                self.result_type == ResultType::OptimizationResult
                    && name == "param_names"
                    && matches!(value, FieldValue::Json(_))
            })
            .cloned()
            .collect()
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
    RunCreated {
        run_id: RunId,
    },
    RunUpdated {
        run_id: RunId,
    },
    ResultAdded {
        run_id: RunId,
        result_id: ResultId,
    },
    RunDeleted {
        run_id: RunId,
    },
    /// A growing result has new rows: `chunks` of them in all (docs/storage-format.md, "Growing results").
    ResultAppended {
        run_id: RunId,
        result_id: ResultId,
        chunks: u64,
    },
}

impl StorageEvent {
    /// The SSE event name: `run_created`, `run_updated`, `result_added` or `run_deleted`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::RunCreated { .. } => "run_created",
            Self::RunUpdated { .. } => "run_updated",
            Self::ResultAdded { .. } => "result_added",
            Self::RunDeleted { .. } => "run_deleted",
            Self::ResultAppended { .. } => "result_appended",
        }
    }

    pub fn run_id(&self) -> RunId {
        match self {
            Self::RunCreated { run_id }
            | Self::RunUpdated { run_id }
            | Self::ResultAdded { run_id, .. }
            | Self::ResultAppended { run_id, .. }
            | Self::RunDeleted { run_id } => *run_id,
        }
    }

    /// Every event name, for clients that subscribe by name.
    pub const NAMES: [&'static str; 5] = [
        "run_created",
        "run_updated",
        "result_added",
        "run_deleted",
        "result_appended",
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    /// chrono is the server's: the browser build's tests run without it.
    #[cfg(feature = "ssr")]
    #[test]
    fn rfc3339_times_read_as_chrono_reads_them() {
        for t in [
            "2026-12-01T10:00:00Z",
            "2026-12-01T10:00:00.123456Z",
            "2024-02-29T23:59:59.5+02:00",
            "1970-01-01T00:00:00Z",
            "1969-12-31T23:00:00-01:30",
            "2000-03-01T00:00:00Z",
        ] {
            let chrono = chrono::DateTime::parse_from_rfc3339(t).unwrap();
            let expected =
                chrono.timestamp() as f64 + f64::from(chrono.timestamp_subsec_micros()) / 1e6;
            assert!((rfc3339_seconds(t).unwrap() - expected).abs() < 1e-6, "{t}");
        }
        for bad in [
            "",
            "2026-12-01",
            "2026-13-01T00:00:00Z",
            "2026-12-01T10:00:00",
            "yesterday",
        ] {
            assert_eq!(rfc3339_seconds(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_time_left_is_the_rate_so_far_applied_to_what_remains() {
        let p = Progress {
            fraction: 0.25,
            message: String::new(),
            at: "2026-12-01T10:01:00Z".into(),
        };
        assert_eq!(p.seconds_left("2026-12-01T10:00:00Z"), Some(180.0));
        assert_eq!(
            Progress {
                fraction: 0.0,
                ..p.clone()
            }
            .seconds_left("2026-12-01T10:00:00Z"),
            None
        );
        assert_eq!(p.seconds_left("not a time"), None);
    }

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
