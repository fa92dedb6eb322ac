//! File-system primitives: atomic replace, a per-run lock across processes, and file versions (`Stamp`).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Writes a file so that a reader sees either the old content or all of the new: the bytes go to a temporary
/// file in the same directory (named `.tmp-*`, which readers and the watcher ignore), are flushed to disk, and
/// the temporary file is renamed over `path`.
pub fn write_atomic(path: &Path, write: impl FnOnce(&File) -> io::Result<()>) -> io::Result<()> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let tmp = tempfile::Builder::new().prefix(".tmp-").tempfile_in(dir)?;
    write(tmp.as_file())?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Writes `bytes` to `path` atomically (see [`write_atomic`]).
pub fn write_bytes_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomic(path, |mut f| f.write_all(bytes))
}

/// An exclusive advisory lock (`flock`), held until dropped. Every writer of a run's file, in any process,
/// takes the run's lock around its read-modify-write, so that two writers adding results both land.
pub struct FileLock {
    file: File,
}

impl FileLock {
    pub fn acquire(path: &Path) -> io::Result<Self> {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)?;
        file.lock()?;
        Ok(Self { file })
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

/// Removes a file, treating one that is already gone as removed.
pub fn remove_if_exists(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Opens `path` for reading in one system call if no component of it is a symbolic link (Linux's `openat2` with
/// `RESOLVE_NO_SYMLINKS`). `None` whenever that does not settle it — a link on the way, a missing file, a kernel
/// or a sandbox without `openat2`, any error — and the caller takes its slower, general path.
pub fn open_without_links(path: &Path) -> Option<File> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{openat2, Mode, OFlags, ResolveFlags, CWD};
        openat2(
            CWD,
            path,
            OFlags::RDONLY | OFlags::CLOEXEC,
            Mode::empty(),
            ResolveFlags::NO_SYMLINKS,
        )
        .ok()
        .map(File::from)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = path;
        None
    }
}

/// The path of the file `file` (opened from `path`) really is, with every link resolved. On Linux it is read from
/// the open descriptor, so it names the file that was opened even if `path` has changed since.
pub fn real_path(file: &File, path: &Path) -> io::Result<PathBuf> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let _ = path;
        fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd()))
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = file;
        fs::canonicalize(path)
    }
}

/// What identifies a version of a file without reading it: a writer's rename gives a new inode, an in-place
/// write a new length or modification time. Taken with `stat`, which (unlike opening the file) raises no watcher
/// event: the watcher reports opens too, so re-reading a file on every event would feed itself forever.
/// An object in a bucket has [`Stamp::OBJECT`] for its device and a hash of its ETag for its inode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Stamp {
    pub dev: u64,
    pub ino: u64,
    pub len: u64,
    pub modified: Option<std::time::SystemTime>,
}

impl Stamp {
    /// The `dev` of an object's stamp (no file system has it).
    pub const OBJECT: u64 = u64::MAX;

    /// This stamp of a run file, changed by the run's result entries (`runs/{id}/…`) when it has some.
    pub fn with_entries(mut self, entries: &[String]) -> Self {
        use std::hash::{Hash, Hasher};
        if !entries.is_empty() {
            let mut hasher = std::hash::DefaultHasher::new();
            (self.ino, entries).hash(&mut hasher);
            self.ino = hasher.finish();
        }
        self
    }

    pub fn of(path: &std::path::Path) -> Option<Self> {
        std::fs::metadata(path).ok().map(|m| Self::from(&m))
    }

    pub fn from(m: &std::fs::Metadata) -> Self {
        use std::os::unix::fs::MetadataExt;
        Self {
            dev: m.dev(),
            ino: m.ino(),
            len: m.len(),
            modified: m.modified().ok(),
        }
    }
}
