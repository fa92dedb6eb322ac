//! The storage directory: the only code that touches the file system. Format in `docs/storage-format.md`.
//! This module opens a storage and holds what reading (`read`) and writing (`write`) share.

mod format;
mod fs;
mod npy;
mod read;
mod write;

use std::io;
use std::path::{Path, PathBuf};

use serde_json::Value;

pub use format::{
    inline_shape, nest_numbers, NpyRef, ResultRecord, RunRecord, StorageMetadata,
    DEFAULT_INLINE_THRESHOLD, FORMAT_NAME, FORMAT_VERSION, KNOWN_RESULT_TYPES, METADATA_FILE,
};
pub use npy::NpyArray;
pub use read::{payload_to_json, run_id_from_file_name, summarize, timestamp_key};

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
}
