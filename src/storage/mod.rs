//! The storage: the only code that touches its files, in a directory or in a bucket. Format in
//! `docs/storage-format.md`. This module opens a storage and holds what reading (`read`) and writing (`write`)
//! share: every file is read, written, listed and removed through the few functions here, which know where it
//! lives.

pub mod bucket;
pub mod download;
mod fold;
mod format;
mod fs;
pub mod growing;
pub mod json;
mod npy;
pub mod npy_header;
pub mod pyramid;
mod read;
pub mod series;
pub mod stats;
mod views;
mod write;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

pub use format::{
    field_info, inline_shape, nest_numbers, NpyRef, ResultRecord, RunRecord, StorageMetadata,
    DEFAULT_INLINE_THRESHOLD, FORMAT_NAME, FORMAT_VERSION, METADATA_FILE,
};
pub use fs::Stamp;
pub use npy::NpyArray;
pub use read::{
    chunk_of_announcement, journal_key, payload_to_json, run_id_from_file_name, summarize,
    timestamp_key, Listed, MAX_NAME_CHARS,
};
pub use views::MAX_VIEW_NAME_CHARS;

use crate::model::{ResultId, RunId};
use bucket::{Bucket, Put, Written};
use fs::{remove_if_exists, write_bytes_atomic, FileLock};

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

/// A storage, opened (and laid out if new): a directory on this machine, or a bucket (`s3://bucket/prefix`).
/// Both hold the same keys in the same format (docs/storage-format.md); what differs is how a change is made
/// safe with several writers: a directory renames files into place and locks a run's file around a change, a
/// bucket creates objects once and changes a run file by compare-and-swap (docs/object-storage.md).
#[derive(Clone, Debug)]
pub struct AsgardStorage {
    place: Place,
    inline_threshold: usize,
}

#[derive(Clone, Debug)]
enum Place {
    Dir {
        root: PathBuf,
        /// `root` with every link resolved, once at opening: what every file read must lie inside.
        real_root: PathBuf,
    },
    Bucket(Arc<Bucket>),
}

impl AsgardStorage {
    /// Opens the storage directory at `path`, creating the directory layout and metadata file if they are
    /// missing.
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
        Self::opened(Place::Dir { root, real_root })
    }

    /// Opens the storage a command names: a bucket (`s3://bucket/prefix`, `gs://…`, `az://…`), `file://DIR`,
    /// or a directory. A bucket is asked for the storage's metadata file at once, so that wrong credentials, a
    /// missing bucket or an unreachable endpoint are reported here, in one line.
    pub fn open_location(location: &str) -> Result<Self> {
        if let Some(dir) = location.strip_prefix("file://") {
            return Self::open(dir);
        }
        if bucket::is_bucket_url(location) {
            return Self::open_bucket(Bucket::connect(location)?);
        }
        Self::open(location)
    }

    /// Opens a storage in a bucket already connected (an in-memory one in tests), writing its metadata file if
    /// there is none.
    pub fn open_bucket(bucket: Bucket) -> Result<Self> {
        Self::opened(Place::Bucket(Arc::new(bucket)))
    }

    fn opened(place: Place) -> Result<Self> {
        let storage = Self {
            place,
            inline_threshold: DEFAULT_INLINE_THRESHOLD,
        };
        storage.check_or_write_metadata()?;
        Ok(storage)
    }

    /// Lays out the directory again (after it was deleted and recreated), keeping the settings.
    pub fn reopen(&self) -> Result<()> {
        match &self.place {
            Place::Dir { root, .. } => Self::open(root).map(|_| ()),
            Place::Bucket(_) => Ok(()),
        }
    }

    /// Arrays with more elements than `threshold` are written to `.npy` files.
    pub fn with_inline_threshold(mut self, threshold: usize) -> Self {
        self.inline_threshold = threshold;
        self
    }

    /// The directory of a storage on this machine; `None` for a bucket.
    pub fn dir(&self) -> Option<&Path> {
        match &self.place {
            Place::Dir { root, .. } => Some(root),
            Place::Bucket(_) => None,
        }
    }

    /// The directory of a storage on this machine, for tools and tests that look at its files.
    ///
    /// # Panics
    /// For a storage in a bucket, which has none: see [`Self::dir`].
    pub fn root(&self) -> &Path {
        self.dir()
            .expect("root() of a storage in a bucket, which has no directory")
    }

    /// Whether the storage is in a bucket.
    pub fn is_bucket(&self) -> bool {
        matches!(self.place, Place::Bucket(_))
    }

    /// How many requests of each kind the storage's bucket was sent so far; `None` for a directory.
    pub fn bucket_requests(&self) -> Option<bucket::RequestCounts> {
        match &self.place {
            Place::Dir { .. } => None,
            Place::Bucket(bucket) => Some(bucket.requests.counts()),
        }
    }

    /// Where the storage is, as a person would name it: a directory's path, or `s3://bucket/prefix`.
    pub fn location(&self) -> String {
        match &self.place {
            Place::Dir { root, .. } => root.display().to_string(),
            Place::Bucket(bucket) => bucket.url().to_owned(),
        }
    }

    /// How many files to read at once when reading many: as many as there are cores for a directory, many more
    /// for a bucket, whose time goes into waiting for answers.
    pub fn read_parallelism(&self) -> usize {
        match &self.place {
            Place::Dir { .. } => std::thread::available_parallelism().map_or(2, |n| n.get()),
            Place::Bucket(_) => 64,
        }
    }

    fn check_or_write_metadata(&self) -> Result<()> {
        let unusable = |e: Error| match e {
            Error::Io { source, .. } => Error::Unusable {
                path: self.location().into(),
                source,
            },
            e => e,
        };
        let rel = Path::new(METADATA_FILE);
        match self.read_bytes(rel, MAX_RECORD_BYTES).map_err(unusable)? {
            Some((bytes, _)) => {
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
            None => {
                let meta = StorageMetadata {
                    format: FORMAT_NAME.to_owned(),
                    version: FORMAT_VERSION,
                    created: now_rfc3339(),
                };
                let bytes = serde_json::to_vec_pretty(&meta).expect("metadata serializes");
                // Another writer may create it at the same moment: theirs is as good as ours.
                self.write_bytes(rel, bytes, Put::Create)
                    .map(drop)
                    .map_err(unusable)
            }
        }
    }

    fn rel_run(id: RunId) -> PathBuf {
        PathBuf::from(format!("runs/{id}.json"))
    }

    fn rel_result(id: ResultId) -> PathBuf {
        PathBuf::from(format!("results/{id}.json"))
    }

    /// The path of `runs/{id}.json` in a directory storage (see [`Self::root`]).
    pub fn run_path(&self, id: RunId) -> PathBuf {
        self.root().join(Self::rel_run(id))
    }

    /// The path of `results/{id}.json` in a directory storage (see [`Self::root`]).
    pub fn result_path(&self, id: ResultId) -> PathBuf {
        self.root().join(Self::rel_result(id))
    }

    /// The version of `results/{id}.json` now, without reading it; `None` when there is none.
    pub fn result_stamp(&self, id: ResultId) -> Option<Stamp> {
        self.stamp(&Self::rel_result(id))
    }

    /// The version of `runs/{id}.json` now, if it can be known without reading the run: for a directory, the
    /// file's; for a bucket, `None` (a run's version there includes its result entries, which a listing
    /// gives: [`Self::list_runs_stamped`]).
    pub fn run_stamp(&self, id: RunId) -> Option<Stamp> {
        match &self.place {
            Place::Dir { root, .. } => Stamp::of(&root.join(Self::rel_run(id))),
            Place::Bucket(_) => None,
        }
    }

    /// The version of the file or object `rel` now, without reading it.
    fn stamp(&self, rel: &Path) -> Option<Stamp> {
        match &self.place {
            Place::Dir { root, .. } => Stamp::of(&root.join(rel)),
            Place::Bucket(bucket) => bucket
                .head(&key(rel))
                .ok()
                .flatten()
                .map(|meta| bucket::stamp_of(&meta)),
        }
    }

    /// The run's lock in a directory storage (`.locks/{id}.lock`), held by every writer of its file.
    fn lock_run(&self, id: RunId) -> Result<FileLock> {
        let rel = format!(".locks/{id}.lock");
        FileLock::acquire(&self.root().join(&rel)).map_err(|source| Error::Io {
            path: rel.into(),
            source,
        })
    }

    fn write_json(&self, rel: &Path, value: &impl serde::Serialize) -> Result<()> {
        self.write_bytes(rel, Self::json_bytes(value), Put::Replace)
            .map(drop)
    }

    /// A record as its file holds it. Non-finite numbers read from a record (Python writes them bare) are
    /// written back as they were.
    fn json_bytes(value: &impl serde::Serialize) -> Vec<u8> {
        json::to_text(value, json::NonFinite::Literal, true)
    }

    /// Writes a whole file or object so that a reader sees the old one or all of the new. In a directory,
    /// [`Put::Create`] and [`Put::Update`] are plain replacements: its writers keep the rules with locks.
    fn write_bytes(&self, rel: &Path, bytes: Vec<u8>, mode: Put) -> Result<Written> {
        match &self.place {
            Place::Dir { root, .. } => write_bytes_atomic(&root.join(rel), &bytes)
                .map(|()| Written::Done)
                .map_err(|source| Error::Io {
                    path: rel.into(),
                    source,
                }),
            Place::Bucket(bucket) => bucket.put(&key(rel), bytes, mode),
        }
    }

    /// Writes a file or object whose bytes `write` produces: straight to a temporary file in a directory, into
    /// memory first for a bucket.
    fn write_with(
        &self,
        rel: &Path,
        mode: Put,
        write: impl FnOnce(&mut dyn io::Write) -> io::Result<()>,
    ) -> Result<Written> {
        let io = |source| Error::Io {
            path: rel.into(),
            source,
        };
        match &self.place {
            Place::Dir { root, .. } => {
                fs::write_atomic(&root.join(rel), |mut file| write(&mut file))
                    .map(|()| Written::Done)
                    .map_err(io)
            }
            Place::Bucket(bucket) => {
                let mut bytes = Vec::new();
                write(&mut bytes).map_err(io)?;
                bucket.put(&key(rel), bytes, mode)
            }
        }
    }

    /// Removes a file or object; one already gone is removed.
    fn remove(&self, rel: &Path) -> Result<()> {
        match &self.place {
            Place::Dir { root, .. } => {
                remove_if_exists(&root.join(rel)).map_err(|source| Error::Io {
                    path: rel.into(),
                    source,
                })
            }
            Place::Bucket(bucket) => bucket.delete(&key(rel)),
        }
    }

    /// The names of the files directly in directory `dir` (in a bucket: of the objects one level under it), in
    /// no particular order; none when it does not exist.
    fn list_names(&self, dir: &str) -> Result<Vec<String>> {
        match &self.place {
            Place::Dir { root, .. } => match std::fs::read_dir(root.join(dir)) {
                Ok(entries) => Ok(entries
                    .filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
                Err(source) => Err(Error::Io {
                    path: dir.into(),
                    source,
                }),
            },
            Place::Bucket(bucket) => Ok(bucket
                .list(&format!("{dir}/"), None)?
                .into_iter()
                .filter_map(|(rel, _)| {
                    let name = rel.strip_prefix(dir)?.strip_prefix('/')?;
                    (!name.contains('/')).then(|| name.to_owned())
                })
                .collect()),
        }
    }

    /// Opens the file `rel` for reading: in a directory only if it lies inside the storage (see
    /// [`Self::open_inside`]); from a bucket, fetched into the local cache first (only for files that never
    /// change: array files). `None` when there is none.
    pub(crate) fn open_file(&self, rel: &Path) -> Result<Option<std::fs::File>> {
        match &self.place {
            Place::Dir { .. } => self.open_inside(rel),
            Place::Bucket(bucket) => bucket.fetch_file(&key(rel)),
        }
    }

    /// Opens `rel` for reading, only if the file it reaches lies inside the storage directory: a symbolic link
    /// (of the file, or of a directory on the way) that leads out of the storage is refused, whatever it points
    /// at. `None` when the file does not exist.
    fn open_inside(&self, rel: &Path) -> Result<Option<std::fs::File>> {
        let Place::Dir { root, real_root } = &self.place else {
            return self.open_file(rel);
        };
        // The fast path: `real_root` has no links, so a file reached from it through plain names (no `..`) and
        // no link lies inside. Anything else (a link on the way, a missing file) takes the general path below.
        if rel
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
        {
            if let Some(file) = fs::open_without_links(&real_root.join(rel)) {
                return Ok(Some(file));
            }
        }
        let file = match std::fs::File::open(root.join(rel)) {
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
        let real = fs::real_path(&file, &root.join(rel)).map_err(io)?;
        if !real.starts_with(real_root) {
            return Err(Error::Corrupt {
                path: rel.into(),
                message: "is a link that leads outside the storage; such links are never followed"
                    .into(),
            });
        }
        Ok(Some(file))
    }

    /// The bytes of a file or object (at most `max`: a larger one is reported as damaged) with its version;
    /// `None` when there is none.
    fn read_bytes(&self, rel: &Path, max: u64) -> Result<Option<(Vec<u8>, Option<Stamp>)>> {
        use std::io::Read;
        if let Place::Bucket(bucket) = &self.place {
            return Ok(bucket
                .get(&key(rel), max)?
                .map(|(bytes, meta)| (bytes.to_vec(), Some(bucket::stamp_of(&meta)))));
        }
        let Some(file) = self.open_inside(rel)? else {
            return Ok(None);
        };
        let stamp = file.metadata().ok().map(|m| Stamp::from(&m));
        let size = stamp.map_or(0, |s| s.len.min(max.saturating_add(1)));
        let mut bytes = Vec::with_capacity(size as usize);
        file.take(max.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|source| Error::Io {
                path: rel.into(),
                source,
            })?;
        if bytes.len() as u64 > max {
            return Err(Error::Corrupt {
                path: rel.into(),
                message: format!(
                    "is larger than {} MB, the most a run or result file may be (store large arrays as .npy files)",
                    max >> 20
                ),
            });
        }
        Ok(Some((bytes, stamp)))
    }

    /// The bytes of the monitor's index snapshot ([`INDEX_SNAPSHOT`]), if there is one.
    pub fn read_index_snapshot(&self) -> Result<Option<Vec<u8>>> {
        Ok(self
            .read_bytes(Path::new(INDEX_SNAPSHOT), u64::MAX)?
            .map(|(bytes, _)| bytes))
    }

    /// Replaces the monitor's index snapshot atomically, making its directory if needed.
    pub fn write_index_snapshot(&self, bytes: &[u8]) -> Result<()> {
        if let Place::Dir { root, .. } = &self.place {
            let dir = root.join(INDEX_SNAPSHOT);
            let dir = dir.parent().expect("the snapshot is in a directory");
            std::fs::create_dir_all(dir).map_err(|source| Error::Io {
                path: INDEX_SNAPSHOT.into(),
                source,
            })?;
        }
        self.write_bytes(Path::new(INDEX_SNAPSHOT), bytes.to_vec(), Put::Replace)
            .map(drop)
    }

    fn read_json<T: serde::de::DeserializeOwned>(&self, rel: &Path) -> Result<Option<T>> {
        Ok(self.read_json_stamped(rel)?.map(|(value, _)| value))
    }

    /// [`Self::read_json`], with the version of the very file read (taken from it before the read): what
    /// identifies the version read, without a second lookup of its path.
    fn read_json_stamped<T: serde::de::DeserializeOwned>(
        &self,
        rel: &Path,
    ) -> Result<Option<(T, Option<Stamp>)>> {
        let Some((bytes, stamp)) = self.read_bytes(rel, MAX_RECORD_BYTES)? else {
            return Ok(None);
        };
        json::from_slice(&bytes)
            .map(|value| Some((value, stamp)))
            .map_err(|e| Error::Corrupt {
                path: rel.into(),
                message: e.to_string(),
            })
    }
}

/// The bucket key of a relative path (the format's names are plain ASCII with `/`).
fn key(rel: &Path) -> String {
    rel.to_string_lossy().into_owned()
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
