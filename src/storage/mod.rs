//! The storage directory: the only code that touches the file system. Format in `docs/storage-format.md`.
//! This module opens a storage and holds what reading (`read`) and writing (`write`) share.

mod format;
mod fs;
pub mod json;
mod npy;
pub mod npy_header;
mod read;
pub mod stats;
mod views;
mod write;

use std::io;
use std::path::{Path, PathBuf};

use serde_json::Value;

pub use format::{
    field_info, inline_shape, nest_numbers, NpyRef, ResultRecord, RunRecord, StorageMetadata,
    DEFAULT_INLINE_THRESHOLD, FORMAT_NAME, FORMAT_VERSION, METADATA_FILE,
};
pub use fs::Stamp;
pub use npy::NpyArray;
pub use read::{payload_to_json, run_id_from_file_name, summarize, timestamp_key, MAX_NAME_CHARS};
pub use views::MAX_VIEW_NAME_CHARS;

use crate::model::{ResultId, RunId};
use fs::{write_bytes_atomic, FileLock};

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
    /// A sound file whose contents the monitor does not draw (complex numbers, text, objects).
    #[error("field `{field}`: {path} cannot be read: {message}")]
    Unsupported {
        path: PathBuf,
        field: String,
        message: String,
    },
    #[error("no run with id {0}")]
    RunNotFound(RunId),
    #[error("no result with id {0}")]
    ResultNotFound(ResultId),
    #[error("invalid result: {0}")]
    InvalidData(String),
    /// A change to a run that cannot be made (a tag too long, a note too long): what is wrong.
    #[error("{0}")]
    Invalid(String),
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

/// Logs a problem found in the storage (a damaged file) as a warning, the first time it is seen: a damaged file
/// is read again on every request and rescan, and must not fill the log. Returns whether it was logged.
pub fn report_problem(problem: &str) -> bool {
    use std::collections::HashSet;
    use std::hash::{DefaultHasher, Hash, Hasher};
    use std::sync::{LazyLock, Mutex};
    static SEEN: LazyLock<Mutex<HashSet<u64>>> = LazyLock::new(Mutex::default);
    let mut hasher = DefaultHasher::new();
    problem.hash(&mut hasher);
    let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    if seen.len() >= 100_000 {
        seen.clear();
    }
    let first = seen.insert(hasher.finish());
    if first {
        tracing::warn!("{problem}");
    }
    first
}

/// Where the monitor keeps a snapshot of its index, to start without reading every run file (its own format,
/// which nothing else reads; deleting it is always safe).
pub const INDEX_SNAPSHOT: &str = ".index/runs.snapshot";

/// The largest run or result file read: larger ones are reported as damaged instead of being read.
pub const MAX_RECORD_BYTES: u64 = 64 << 20;

/// A storage directory, opened (and laid out if new).
#[derive(Clone, Debug)]
pub struct AsgardStorage {
    root: PathBuf,
    /// `root` with every link resolved, once at opening: what every file read must lie inside.
    real_root: PathBuf,
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
        let real_root = std::fs::canonicalize(&root).map_err(|source| Error::Unusable {
            path: root.clone(),
            source,
        })?;
        let storage = Self {
            root,
            real_root,
            inline_threshold: DEFAULT_INLINE_THRESHOLD,
        };
        storage.check_or_write_metadata()?;
        Ok(storage)
    }

    /// Lays out the directory again (after it was deleted and recreated), keeping the settings.
    pub fn reopen(&self) -> Result<()> {
        Self::open(&self.root).map(|_| ())
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

    /// The version of `results/{id}.json` now, without opening it; `None` when there is none.
    pub fn result_stamp(&self, id: ResultId) -> Option<Stamp> {
        Stamp::of(&self.result_path(id))
    }

    fn lock_run(&self, id: RunId) -> Result<FileLock> {
        let path = self.root.join(format!(".locks/{id}.lock"));
        FileLock::acquire(&path).map_err(|source| Error::Io {
            path: format!(".locks/{id}.lock").into(),
            source,
        })
    }

    fn write_json(&self, rel: &Path, value: &impl serde::Serialize) -> Result<()> {
        // Non-finite numbers read from a record (Python writes them bare) are written back as they were.
        let bytes = json::to_text(value, json::NonFinite::Literal, true);
        write_bytes_atomic(&self.root.join(rel), &bytes).map_err(|source| Error::Io {
            path: rel.into(),
            source,
        })
    }

    /// Opens `rel` for reading, only if the file it reaches lies inside the storage: a symbolic link (of the
    /// file, or of a directory on the way) that leads out of the storage is refused, whatever it points at.
    /// `None` when the file does not exist.
    pub(crate) fn open_inside(&self, rel: &Path) -> Result<Option<std::fs::File>> {
        // The fast path: `real_root` has no links, so a file reached from it through plain names (no `..`) and
        // no link lies inside. Anything else (a link on the way, a missing file) takes the general path below.
        if rel
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
        {
            if let Some(file) = fs::open_without_links(&self.real_root.join(rel)) {
                return Ok(Some(file));
            }
        }
        let file = match std::fs::File::open(self.root.join(rel)) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(Error::Io {
                    path: rel.into(),
                    source,
                })
            }
        };
        let io = |source| Error::Io {
            path: rel.into(),
            source,
        };
        let real = fs::real_path(&file, &self.root.join(rel)).map_err(io)?;
        if !real.starts_with(&self.real_root) {
            return Err(Error::Corrupt {
                path: rel.into(),
                message: "is a link that leads outside the storage; such links are never followed"
                    .into(),
            });
        }
        Ok(Some(file))
    }

    /// The bytes of the monitor's index snapshot ([`INDEX_SNAPSHOT`]), if there is one.
    pub fn read_index_snapshot(&self) -> Result<Option<Vec<u8>>> {
        use std::io::Read;
        let rel = Path::new(INDEX_SNAPSHOT);
        let Some(mut file) = self.open_inside(rel)? else {
            return Ok(None);
        };
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(|source| Error::Io {
            path: rel.into(),
            source,
        })?;
        Ok(Some(bytes))
    }

    /// Replaces the monitor's index snapshot atomically, making its directory if needed.
    pub fn write_index_snapshot(&self, bytes: &[u8]) -> Result<()> {
        let path = self.root.join(INDEX_SNAPSHOT);
        let io = |source| Error::Io {
            path: INDEX_SNAPSHOT.into(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        write_bytes_atomic(&path, bytes).map_err(io)
    }

    fn read_json<T: serde::de::DeserializeOwned>(&self, rel: &Path) -> Result<Option<T>> {
        Ok(self.read_json_stamped(rel)?.map(|(value, _)| value))
    }

    /// [`Self::read_json`], with the metadata of the very file read (taken from it before the read): what
    /// identifies the version read, without a second lookup of its path.
    fn read_json_stamped<T: serde::de::DeserializeOwned>(
        &self,
        rel: &Path,
    ) -> Result<Option<(T, Option<std::fs::Metadata>)>> {
        use std::io::Read;
        let Some(file) = self.open_inside(rel)? else {
            return Ok(None);
        };
        let metadata = file.metadata().ok();
        let size = metadata
            .as_ref()
            .map_or(0, |m| m.len().min(MAX_RECORD_BYTES + 1));
        let mut bytes = Vec::with_capacity(size as usize);
        file.take(MAX_RECORD_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|source| Error::Io {
                path: rel.into(),
                source,
            })?;
        if bytes.len() as u64 > MAX_RECORD_BYTES {
            return Err(Error::Corrupt {
                path: rel.into(),
                message: format!(
                    "is larger than {} MB, the most a run or result file may be (store large arrays as .npy files)",
                    MAX_RECORD_BYTES >> 20
                ),
            });
        }
        json::from_slice(&bytes)
            .map(|value| Some((value, metadata)))
            .map_err(|e| Error::Corrupt {
                path: rel.into(),
                message: e.to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::report_problem;

    #[test]
    fn a_problem_is_logged_the_first_time_only() {
        let problem = format!("results/{}.json is damaged: test", uuid::Uuid::new_v4());
        assert!(report_problem(&problem));
        assert!(!report_problem(&problem));
        assert!(!report_problem(&problem));
        assert!(report_problem(&format!("{problem}, another")));
    }
}
