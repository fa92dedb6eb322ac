//! The storage directory: the only code that touches the file system. Format in `docs/storage-format.md`.

mod format;
mod fs;
mod npy;

use std::io;
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};
use uuid::Uuid;

pub use format::{
    inline_shape, nest_numbers, NpyRef, ResultRecord, RunRecord, StorageMetadata,
    DEFAULT_INLINE_THRESHOLD, FORMAT_NAME, FORMAT_VERSION, KNOWN_RESULT_TYPES, METADATA_FILE,
};
pub use npy::NpyArray;

use crate::model::{
    FieldValue, NumArray, ResultId, ResultPayload, ResultSummary, RunDetail, RunId, RunStatus,
    RunSummary,
};
use fs::{remove_if_exists, write_atomic, write_bytes_atomic, FileLock};

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong with the storage. Paths are relative to the storage root, so messages never reveal
/// where the storage lives on the server.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("storage path {0} exists but is not a directory")]
    NotADirectory(PathBuf),
    #[error("cannot use storage at {path}: {source}")]
    Unusable { path: PathBuf, source: io::Error },
    #[error("{path} is storage format {found:?}; this asgard reads {FORMAT_NAME:?} version {FORMAT_VERSION}")]
    UnsupportedFormat { path: PathBuf, found: String },
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("{path} is damaged: {message}")]
    Corrupt { path: PathBuf, message: String },
    #[error("no run with id {0}")]
    RunNotFound(RunId),
    #[error("no result with id {0}")]
    ResultNotFound(ResultId),
    #[error("invalid result: {0}")]
    InvalidData(String),
    #[error("result {result} has no field `{field}` stored in a .npy file")]
    NoArrayFile { result: ResultId, field: String },
}

/// A value given for a data field: any JSON, or a numeric array. Either is stored inline or in a `.npy` file
/// according to its size.
#[derive(Clone, Debug, PartialEq)]
pub enum DataValue {
    Json(Value),
    Array(NpyArray),
}

impl From<Value> for DataValue {
    fn from(v: Value) -> Self {
        Self::Json(v)
    }
}

impl<T: Into<NpyArray>> From<T> for DataValue {
    fn from(a: T) -> Self {
        Self::Array(a.into())
    }
}

/// The current time as RFC 3339 UTC with microseconds, the form every record's `timestamp` uses.
pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// A storage directory, opened (and laid out if new).
#[derive(Clone, Debug)]
pub struct AsgardStorage {
    root: PathBuf,
    inline_threshold: usize,
}

impl AsgardStorage {
    /// Opens the storage at `path`, creating the directory layout and metadata file if they are missing.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let root = path.as_ref().to_path_buf();
        if root.exists() && !root.is_dir() {
            return Err(Error::NotADirectory(root));
        }
        for dir in ["runs", "results", "files", ".locks"] {
            std::fs::create_dir_all(root.join(dir)).map_err(|source| Error::Unusable {
                path: root.clone(),
                source,
            })?;
        }
        let storage = Self {
            root,
            inline_threshold: DEFAULT_INLINE_THRESHOLD,
        };
        storage.check_or_write_metadata()?;
        Ok(storage)
    }

    /// Arrays with more elements than `threshold` are written to `.npy` files.
    pub fn with_inline_threshold(mut self, threshold: usize) -> Self {
        self.inline_threshold = threshold;
        self
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn check_or_write_metadata(&self) -> Result<()> {
        let path = self.root.join(METADATA_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => {
                let meta: StorageMetadata =
                    serde_json::from_slice(&bytes).map_err(|e| Error::Corrupt {
                        path: METADATA_FILE.into(),
                        message: format!("expected {{\"format\", \"version\", \"created\"}}: {e}"),
                    })?;
                if meta.format != FORMAT_NAME || meta.version > FORMAT_VERSION {
                    return Err(Error::UnsupportedFormat {
                        path: METADATA_FILE.into(),
                        found: format!("{} version {}", meta.format, meta.version),
                    });
                }
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let meta = StorageMetadata {
                    format: FORMAT_NAME.to_owned(),
                    version: FORMAT_VERSION,
                    created: now_rfc3339(),
                };
                let bytes = serde_json::to_vec_pretty(&meta).expect("metadata serializes");
                write_bytes_atomic(&path, &bytes).map_err(|source| Error::Unusable {
                    path: self.root.clone(),
                    source,
                })
            }
            Err(source) => Err(Error::Unusable {
                path: self.root.clone(),
                source,
            }),
        }
    }

    fn rel_run(id: RunId) -> PathBuf {
        PathBuf::from(format!("runs/{id}.json"))
    }

    fn rel_result(id: ResultId) -> PathBuf {
        PathBuf::from(format!("results/{id}.json"))
    }

    /// The path of `runs/{id}.json`.
    pub fn run_path(&self, id: RunId) -> PathBuf {
        self.root.join(Self::rel_run(id))
    }

    /// The path of `results/{id}.json`.
    pub fn result_path(&self, id: ResultId) -> PathBuf {
        self.root.join(Self::rel_result(id))
    }

    fn lock_run(&self, id: RunId) -> Result<FileLock> {
        let path = self.root.join(format!(".locks/{id}.lock"));
        FileLock::acquire(&path).map_err(|source| Error::Io {
            path: format!(".locks/{id}.lock").into(),
            source,
        })
    }

    fn write_json(&self, rel: &Path, value: &impl serde::Serialize) -> Result<()> {
        let bytes = serde_json::to_vec_pretty(value).expect("records serialize");
        write_bytes_atomic(&self.root.join(rel), &bytes).map_err(|source| Error::Io {
            path: rel.into(),
            source,
        })
    }

    fn read_json<T: serde::de::DeserializeOwned>(&self, rel: &Path) -> Result<Option<T>> {
        let bytes = match std::fs::read(self.root.join(rel)) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(Error::Io {
                    path: rel.into(),
                    source,
                })
            }
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| Error::Corrupt {
                path: rel.into(),
                message: e.to_string(),
            })
    }

    /// Creates a run with status `running` and no results.
    pub fn create_run(
        &self,
        name: &str,
        equation: Option<&str>,
        circuit: Option<&str>,
    ) -> Result<RunRecord> {
        let run = RunRecord {
            id: RunId(Uuid::new_v4()),
            name: name.to_owned(),
            timestamp: now_rfc3339(),
            equation: equation.map(str::to_owned),
            circuit: circuit.map(str::to_owned),
            status: RunStatus::Running,
            metadata: Map::new(),
            results: Vec::new(),
        };
        self.write_json(&Self::rel_run(run.id), &run)?;
        Ok(run)
    }

    /// Reads `runs/{id}.json`.
    pub fn read_run(&self, id: RunId) -> Result<RunRecord> {
        let run: RunRecord = self
            .read_json(&Self::rel_run(id))?
            .ok_or(Error::RunNotFound(id))?;
        if run.id != id {
            return Err(Error::Corrupt {
                path: Self::rel_run(id),
                message: format!("expected id {id} (the file name), found {}", run.id),
            });
        }
        Ok(run)
    }

    /// Reads, changes and rewrites a run's file under its lock.
    fn update_run(&self, id: RunId, change: impl FnOnce(&mut RunRecord)) -> Result<()> {
        let _lock = self.lock_run(id)?;
        let mut run = self.read_run(id)?;
        change(&mut run);
        self.write_json(&Self::rel_run(id), &run)
    }

    /// Sets a run's status.
    pub fn set_status(&self, id: RunId, status: RunStatus) -> Result<()> {
        self.update_run(id, |run| run.status = status)
    }

    /// Sets one key of a run's free-form metadata.
    pub fn set_metadata(&self, id: RunId, key: &str, value: Value) -> Result<()> {
        self.update_run(id, |run| {
            run.metadata.insert(key.to_owned(), value);
        })
    }

    /// Stores a result and appends it to its run. Arrays larger than the inline threshold go to `.npy` files.
    /// Fields are checked against the schema of a known `result_type`; an unknown type is stored as it is.
    pub fn add_result(
        &self,
        run_id: RunId,
        result_type: &str,
        data: impl IntoIterator<Item = (String, DataValue)>,
        display: Value,
    ) -> Result<ResultId> {
        if !self.run_path(run_id).exists() {
            return Err(Error::RunNotFound(run_id));
        }
        if !display.is_object() {
            return Err(Error::InvalidData(format!(
                "`display` must be a JSON object, found {display}"
            )));
        }
        let id = ResultId(Uuid::new_v4());
        let mut prepared: Vec<(String, DataValue)> = Vec::new();
        for (name, value) in data {
            check_field_name(&name)?;
            let value = match value {
                DataValue::Json(v) => match inline_shape(&v) {
                    Some((shape, true))
                        if shape.iter().product::<usize>() > self.inline_threshold =>
                    {
                        DataValue::Array(NpyArray::from_json(&shape, &v))
                    }
                    _ => DataValue::Json(v),
                },
                DataValue::Array(a) if a.len() <= self.inline_threshold => {
                    DataValue::Json(a.to_json())
                }
                array => array,
            };
            prepared.push((name, value));
        }
        let shape_of = |field: &str| {
            prepared
                .iter()
                .find(|(n, _)| n == field)
                .and_then(|(_, v)| match v {
                    DataValue::Json(v) => inline_shape(v).map(|(s, _)| s),
                    DataValue::Array(a) => Some(a.shape()),
                })
        };
        format::validate(result_type, &shape_of).map_err(Error::InvalidData)?;

        let mut fields = Map::new();
        let mut written = Vec::new();
        for (name, value) in prepared {
            let stored = match value {
                DataValue::Json(v) => v,
                DataValue::Array(a) => {
                    let file = format!("{id}_{name}.npy");
                    let rel = PathBuf::from("files").join(&file);
                    write_atomic(&self.root.join(&rel), |f| {
                        a.write(f).map_err(io::Error::other)
                    })
                    .map_err(|source| Error::Io {
                        path: rel.clone(),
                        source,
                    })?;
                    written.push(rel);
                    json!({ "$npy": file, "shape": a.shape(), "dtype": a.dtype() })
                }
            };
            fields.insert(name, stored);
        }
        let record = ResultRecord {
            id,
            run_id,
            result_type: result_type.to_owned(),
            timestamp: now_rfc3339(),
            data: fields,
            display,
        };
        self.write_json(&Self::rel_result(id), &record)?;
        written.push(Self::rel_result(id));

        if let Err(e) = self.update_run(run_id, |run| run.results.push(id)) {
            // The run went away (or is unreadable) while we wrote: leave nothing behind.
            for rel in written {
                let _ = remove_if_exists(&self.root.join(rel));
            }
            return Err(e);
        }
        Ok(id)
    }

    /// The ids of every `runs/*.json`, in no particular order.
    pub fn list_run_ids(&self) -> Result<Vec<RunId>> {
        let dir = self.root.join("runs");
        let entries = std::fs::read_dir(&dir).map_err(|source| Error::Io {
            path: "runs".into(),
            source,
        })?;
        Ok(entries
            .filter_map(|e| e.ok())
            .filter_map(|e| run_id_from_file_name(&e.file_name().to_string_lossy()))
            .collect())
    }

    /// The list row of a run; `None` when its file does not exist. An unreadable file gives a row that says
    /// what is wrong, so that one bad file never hides the others.
    pub fn run_summary(&self, id: RunId) -> Option<RunSummary> {
        match self.read_run(id) {
            Ok(run) => Some(summarize(&run)),
            Err(Error::RunNotFound(_)) => None,
            Err(e) => Some(RunSummary {
                id,
                name: id.to_string(),
                timestamp: modified_rfc3339(&self.run_path(id)).unwrap_or_default(),
                equation: None,
                circuit: None,
                status: None,
                result_count: 0,
                problem: Some(e.to_string()),
            }),
        }
    }

    /// Every run's list row, newest first.
    pub fn list_runs(&self) -> Result<Vec<RunSummary>> {
        let mut runs: Vec<RunSummary> = self
            .list_run_ids()?
            .into_iter()
            .filter_map(|id| self.run_summary(id))
            .collect();
        runs.sort_by_key(|r| std::cmp::Reverse(timestamp_key(&r.timestamp)));
        Ok(runs)
    }

    /// Reads `results/{id}.json` without loading its arrays.
    pub fn read_result(&self, id: ResultId) -> Result<ResultRecord> {
        self.read_json(&Self::rel_result(id))?
            .ok_or(Error::ResultNotFound(id))
    }

    /// A run with the layout of each of its results (shapes, types), but no array data.
    pub fn run_detail(&self, id: RunId) -> Result<RunDetail> {
        let run = self.read_run(id)?;
        let results = run
            .results
            .iter()
            .map(|&rid| self.result_summary(rid))
            .collect();
        Ok(RunDetail {
            summary: summarize(&run),
            metadata_json: serde_json::to_string(&run.metadata).expect("a JSON map serializes"),
            results,
        })
    }

    fn result_summary(&self, id: ResultId) -> ResultSummary {
        match self.read_result(id) {
            Ok(record) => {
                let fields: Vec<_> = record
                    .data
                    .iter()
                    .map(|(name, v)| format::field_info(name, v))
                    .collect();
                let missing = record
                    .data
                    .values()
                    .filter_map(NpyRef::from_value)
                    .find_map(|r| match r {
                        Ok(r)
                            if r.is_plain_file_name()
                                && self.root.join("files").join(&r.file).is_file() =>
                        {
                            None
                        }
                        Ok(r) => Some(format!("files/{} is missing", r.file)),
                        Err(e) => Some(e),
                    });
                ResultSummary {
                    id,
                    title: record
                        .display
                        .get("title")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    result_type: record.result_type,
                    timestamp: record.timestamp,
                    fields,
                    problem: missing.map(|m| format!("results/{id}.json is damaged: {m}")),
                }
            }
            Err(e) => ResultSummary {
                id,
                result_type: String::new(),
                timestamp: String::new(),
                title: None,
                fields: Vec::new(),
                problem: Some(e.to_string()),
            },
        }
    }

    /// A result with every array field read, whether inline or in a `.npy` file.
    pub fn get_result(&self, id: ResultId) -> Result<ResultPayload> {
        let record = self.read_result(id)?;
        let mut fields = Vec::with_capacity(record.data.len());
        for (name, value) in &record.data {
            let field = match NpyRef::from_value(value) {
                Some(reference) => FieldValue::Array(self.read_npy_ref(id, name, reference)?),
                None => match inline_shape(value) {
                    Some((shape, true)) => {
                        let mut values = Vec::new();
                        format::flatten_numbers(value, &mut values);
                        FieldValue::Array(NumArray {
                            shape,
                            dtype: "<f8".to_owned(),
                            values,
                        })
                    }
                    _ => FieldValue::Json(value.to_string()),
                },
            };
            fields.push((name.clone(), field));
        }
        Ok(ResultPayload {
            id,
            run_id: record.run_id,
            result_type: record.result_type,
            timestamp: record.timestamp,
            display_json: record.display.to_string(),
            fields,
        })
    }

    fn read_npy_ref(
        &self,
        id: ResultId,
        field: &str,
        reference: std::result::Result<NpyRef, String>,
    ) -> Result<NumArray> {
        let corrupt = |message: String| Error::Corrupt {
            path: Self::rel_result(id),
            message,
        };
        let reference = reference.map_err(|e| corrupt(format!("field `{field}`: {e}")))?;
        if !reference.is_plain_file_name() {
            return Err(corrupt(format!(
                "field `{field}`: expected a .npy file name inside files/, found {:?}",
                reference.file
            )));
        }
        let path = self.root.join("files").join(&reference.file);
        if !path.is_file() {
            return Err(corrupt(format!(
                "field `{field}`: files/{} is missing",
                reference.file
            )));
        }
        npy::read_as_f64(&path).map_err(|e| Error::Corrupt {
            path: PathBuf::from("files").join(&reference.file),
            message: e,
        })
    }

    /// The original `.npy` file of one field: its file name and bytes.
    pub fn read_array_file(&self, id: ResultId, field: &str) -> Result<(String, Vec<u8>)> {
        let record = self.read_result(id)?;
        let missing = || Error::NoArrayFile {
            result: id,
            field: field.to_owned(),
        };
        let reference = record
            .data
            .get(field)
            .and_then(NpyRef::from_value)
            .ok_or_else(missing)?;
        let reference = reference.map_err(|message| Error::Corrupt {
            path: Self::rel_result(id),
            message,
        })?;
        if !reference.is_plain_file_name() {
            return Err(missing());
        }
        let rel = PathBuf::from("files").join(&reference.file);
        let bytes = std::fs::read(self.root.join(&rel))
            .map_err(|source| Error::Io { path: rel, source })?;
        Ok((reference.file, bytes))
    }

    /// A run with all its results, arrays resolved.
    pub fn get_run(&self, id: RunId) -> Result<(RunRecord, Vec<Result<ResultPayload>>)> {
        let run = self.read_run(id)?;
        let results = run
            .results
            .iter()
            .map(|&rid| self.get_result(rid))
            .collect();
        Ok((run, results))
    }

    /// Deletes a run, its results and their array files. The run file goes first, so the run leaves the list
    /// at once; a run whose file is unreadable is still deleted.
    pub fn delete_run(&self, id: RunId) -> Result<()> {
        let _lock = self.lock_run(id)?;
        let result_ids = match self.read_run(id) {
            Ok(run) => run.results,
            Err(Error::RunNotFound(_)) => return Err(Error::RunNotFound(id)),
            Err(_) => self.result_ids_of_run(id),
        };
        let io = |path: PathBuf| move |source| Error::Io { path, source };
        remove_if_exists(&self.run_path(id)).map_err(io(Self::rel_run(id)))?;
        for rid in result_ids {
            self.delete_result_files(rid)?;
            remove_if_exists(&self.result_path(rid)).map_err(io(Self::rel_result(rid)))?;
        }
        let _ = remove_if_exists(&self.root.join(format!(".locks/{id}.lock")));
        Ok(())
    }

    /// Results that name `run_id`, found by reading every result file: only for runs whose own file is damaged.
    fn result_ids_of_run(&self, run_id: RunId) -> Vec<ResultId> {
        let Ok(entries) = std::fs::read_dir(self.root.join("results")) else {
            return Vec::new();
        };
        entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let id = name.strip_suffix(".json")?.parse().ok().map(ResultId)?;
                let record = self.read_result(id).ok()?;
                (record.run_id == run_id).then_some(id)
            })
            .collect()
    }

    fn delete_result_files(&self, id: ResultId) -> Result<()> {
        let prefix = format!("{id}_");
        let dir = self.root.join("files");
        let entries = std::fs::read_dir(&dir).map_err(|source| Error::Io {
            path: "files".into(),
            source,
        })?;
        for entry in entries.filter_map(|e| e.ok()) {
            if entry.file_name().to_string_lossy().starts_with(&prefix) {
                remove_if_exists(&entry.path()).map_err(|source| Error::Io {
                    path: PathBuf::from("files").join(entry.file_name()),
                    source,
                })?;
            }
        }
        Ok(())
    }
}

fn check_field_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && !name.starts_with('.')
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidData(format!(
            "field name {name:?}: expected 1 to 128 letters, digits, '_', '-' or '.', not starting with '.'"
        )))
    }
}

/// `runs/{uuid}.json` → the run id; anything else (temporary files, stray names) → `None`.
pub fn run_id_from_file_name(name: &str) -> Option<RunId> {
    let stem = name.strip_suffix(".json")?;
    let id: RunId = stem.parse().ok()?;
    (id.to_string() == stem).then_some(id)
}

/// The list row of a readable run.
pub fn summarize(run: &RunRecord) -> RunSummary {
    RunSummary {
        id: run.id,
        name: run.name.clone(),
        timestamp: run.timestamp.clone(),
        equation: run.equation.clone(),
        circuit: run.circuit.clone(),
        status: Some(run.status),
        result_count: run.results.len(),
        problem: None,
    }
}

/// A sort key for RFC 3339 timestamps written by any writer (`Z` or offsets, any precision); unparseable
/// timestamps sort last.
pub fn timestamp_key(timestamp: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(timestamp)
        .map(|t| t.timestamp_micros())
        .unwrap_or(i64::MIN)
}

fn modified_rfc3339(path: &Path) -> Option<String> {
    let modified = std::fs::metadata(path).ok()?.modified().ok()?;
    Some(
        chrono::DateTime::<chrono::Utc>::from(modified)
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
    )
}

/// A resolved result as the REST API returns it: the stored record with every array inline.
pub fn payload_to_json(payload: &ResultPayload) -> Value {
    let data: Map<String, Value> = payload
        .fields
        .iter()
        .map(|(name, field)| {
            let value = match field {
                FieldValue::Array(a) => nest_numbers(&a.shape, &a.values),
                FieldValue::Json(text) => serde_json::from_str(text).unwrap_or(Value::Null),
            };
            (name.clone(), value)
        })
        .collect();
    json!({
        "id": payload.id,
        "run_id": payload.run_id,
        "result_type": payload.result_type,
        "timestamp": payload.timestamp,
        "data": data,
        "display": serde_json::from_str::<Value>(&payload.display_json).unwrap_or(Value::Null),
    })
}
