//! A storage in a bucket: S3 and S3-compatible servers, Google Cloud Storage, Azure Blob Storage, or any other
//! [`ObjectStore`] (the in-memory one in tests). The keys are the directory's relative paths (`runs/{id}.json`);
//! instead of renames and locks, objects are created once with a conditional put ("if none match") and a run
//! file is changed by compare-and-swap on its ETag (docs/object-storage.md).
//!
//! The storage code is synchronous (it runs on blocking threads, in writers and in the CLI), and
//! `object_store` is asynchronous: every request runs on a small runtime of its own, and the calling thread
//! waits for it. Array files, which never change once written, are fetched once into a local cache directory
//! and read from there as a directory storage reads them.

use std::fs::File;
use std::future::Future;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use bytes::Bytes;
use futures::TryStreamExt;
use object_store::path::Path as Key;
use object_store::{
    GetOptions, ObjectMeta, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload,
    UpdateVersion,
};

use super::{Error, Result, Stamp};

/// The schemes a storage location may name a bucket with.
pub const SCHEMES: &[&str] = &["s3", "s3a", "gs", "az", "abfs", "abfss", "memory"];

/// The runtime every bucket request runs on.
static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("asgard-bucket")
        .enable_all()
        .build()
        .expect("starting the object storage runtime")
});

/// Runs `request` on the bucket runtime and waits for it on this thread (any thread but the runtime's own).
fn block<T: Send + 'static>(request: impl Future<Output = T> + Send + 'static) -> T {
    let (send, receive) = std::sync::mpsc::sync_channel(1);
    RUNTIME.spawn(async move {
        let _ = send.send(request.await);
    });
    receive
        .recv()
        .expect("the object storage runtime dropped a request")
}

/// How long to wait for a connection to the bucket's endpoint, unless the environment says
/// (`AWS_CONNECT_TIMEOUT`-style settings of the engine): an endpoint that is not there is reported in seconds.
const CONNECT_TIMEOUT: &str = "5s";

/// Requests that fail for a passing reason (a 503, a reset connection) are retried a few times within seconds,
/// not for the engine's default of three minutes: a writer or a monitor says the bucket does not answer soon,
/// and the monitor's own loop tries again later.
fn retry() -> object_store::RetryConfig {
    object_store::RetryConfig {
        max_retries: 4,
        retry_timeout: Duration::from_secs(20),
        ..object_store::RetryConfig::default()
    }
}

/// How an object is written.
#[derive(Clone, Debug)]
pub enum Put {
    /// Whatever is there is replaced.
    Replace,
    /// Only if there is no object of that key yet ("if none match"); [`Written::Exists`] otherwise.
    Create,
    /// Only if the object is still the version read ("if match"); [`Written::Changed`] otherwise.
    Update(UpdateVersion),
}

/// What a conditional put did.
#[derive(Debug, PartialEq, Eq)]
pub enum Written {
    Done,
    /// [`Put::Create`] found an object there already.
    Exists,
    /// [`Put::Update`] found another version than the one read.
    Changed,
}

/// How many requests a bucket was sent, by kind (for the benchmark and diagnostics). A listing counts as the
/// pages S3 would return for it: one per 1,000 keys, at least one.
#[derive(Debug, Default)]
pub struct Requests {
    pub get: AtomicU64,
    pub head: AtomicU64,
    pub put: AtomicU64,
    pub delete: AtomicU64,
    pub list: AtomicU64,
}

/// [`Requests`] at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RequestCounts {
    pub get: u64,
    pub head: u64,
    pub put: u64,
    pub delete: u64,
    pub list: u64,
}

impl std::ops::Sub for RequestCounts {
    type Output = Self;
    fn sub(self, earlier: Self) -> Self {
        Self {
            get: self.get - earlier.get,
            head: self.head - earlier.head,
            put: self.put - earlier.put,
            delete: self.delete - earlier.delete,
            list: self.list - earlier.list,
        }
    }
}

impl Requests {
    pub fn counts(&self) -> RequestCounts {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        RequestCounts {
            get: load(&self.get),
            head: load(&self.head),
            put: load(&self.put),
            delete: load(&self.delete),
            list: load(&self.list),
        }
    }
}

fn count(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

/// A bucket (and a prefix in it) holding a storage.
pub struct Bucket {
    /// The requests sent so far.
    pub requests: Requests,
    store: Arc<dyn ObjectStore>,
    /// The prefix of every key (`""`, or `"sweeps/heat/"`).
    prefix: String,
    /// Where it is, for messages: `s3://bucket/prefix`.
    url: String,
    /// Array files already fetched, under their keys (created on first use).
    cache: std::sync::OnceLock<std::result::Result<tempfile::TempDir, String>>,
}

impl std::fmt::Debug for Bucket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bucket").field("url", &self.url).finish()
    }
}

/// Whether `location` names a bucket (`s3://…`, `gs://…`, `az://…`) rather than a directory.
pub fn is_bucket_url(location: &str) -> bool {
    location
        .split_once("://")
        .is_some_and(|(scheme, _)| SCHEMES.contains(&scheme.to_ascii_lowercase().as_str()))
}

impl Bucket {
    /// Connects to the bucket `url` names, with credentials, region and endpoint from the standard variables of
    /// its cloud (`AWS_ACCESS_KEY_ID`, `AWS_ENDPOINT_URL`, `AWS_ALLOW_HTTP`, …). Nothing is requested yet.
    pub fn connect(url: &str) -> Result<Self> {
        let invalid = |message: String| Error::Invalid(format!("storage {url}: {message}"));
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| invalid("expected scheme://bucket/prefix".into()))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(invalid("expected a bucket name after the scheme".into()));
        }
        let bucket_url = format!("{scheme}://{bucket}");
        let store: Arc<dyn ObjectStore> = match scheme.to_ascii_lowercase().as_str() {
            "s3" | "s3a" => {
                use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
                let mut builder = AmazonS3Builder::from_env()
                    .with_url(&bucket_url)
                    .with_retry(retry());
                let connect =
                    AmazonS3ConfigKey::Client(object_store::ClientConfigKey::ConnectTimeout);
                if builder.get_config_value(&connect).is_none() {
                    builder = builder.with_config(connect, CONNECT_TIMEOUT);
                }
                Arc::new(builder.build().map_err(|e| invalid(e.to_string()))?)
            }
            "gs" => Arc::new(
                object_store::gcp::GoogleCloudStorageBuilder::from_env()
                    .with_url(&bucket_url)
                    .with_retry(retry())
                    .build()
                    .map_err(|e| invalid(e.to_string()))?,
            ),
            "az" | "abfs" | "abfss" => Arc::new(
                object_store::azure::MicrosoftAzureBuilder::from_env()
                    .with_url(&bucket_url)
                    .with_retry(retry())
                    .build()
                    .map_err(|e| invalid(e.to_string()))?,
            ),
            // A bucket in this process's memory, for trying things out: gone when the process ends.
            "memory" => Arc::new(object_store::memory::InMemory::new()),
            other => {
                return Err(invalid(format!(
                    "unknown scheme {other:?}; expected one of {}",
                    SCHEMES.join(", ")
                )))
            }
        };
        Ok(Self::with_store(store, prefix, url))
    }

    /// A storage under `prefix` of any object store (the in-memory one, a throttled one in tests).
    pub fn with_store(store: Arc<dyn ObjectStore>, prefix: &str, url: &str) -> Self {
        let prefix = prefix.trim_matches('/');
        Self {
            store,
            prefix: if prefix.is_empty() {
                String::new()
            } else {
                format!("{prefix}/")
            },
            url: url.trim_end_matches('/').to_owned(),
            cache: std::sync::OnceLock::new(),
            requests: Requests::default(),
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    fn key(&self, rel: &str) -> Key {
        Key::from(format!("{}{rel}", self.prefix))
    }

    /// `rel` of an object's full key.
    fn rel<'a>(&self, key: &'a Key) -> &'a str {
        key.as_ref()
            .strip_prefix(self.prefix.as_str())
            .unwrap_or(key.as_ref())
    }

    fn error(&self, rel: &str, e: object_store::Error) -> Error {
        Error::Io {
            path: rel.into(),
            source: io::Error::other(format!("{}: {e}", self.url)),
        }
    }

    /// An object's bytes and version, at most `max` bytes of it (a larger one is an error); `None` when there is
    /// no such object.
    pub fn get(&self, rel: &str, max: u64) -> Result<Option<(Bytes, ObjectMeta)>> {
        count(&self.requests.get, 1);
        let (store, key) = (self.store.clone(), self.key(rel));
        let got = block(async move {
            let got = store.get_opts(&key, GetOptions::default()).await?;
            let meta = got.meta.clone();
            if meta.size > max {
                return Ok(Err(meta));
            }
            Ok(Ok((got.bytes().await?, meta)))
        });
        match got {
            Ok(Ok(got)) => Ok(Some(got)),
            Ok(Err(meta)) => Err(Error::Corrupt {
                path: rel.into(),
                message: format!(
                    "is {} bytes, more than the {max} this object may be",
                    meta.size
                ),
            }),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.error(rel, e)),
        }
    }

    /// An object's version without its bytes; `None` when there is none.
    pub fn head(&self, rel: &str) -> Result<Option<ObjectMeta>> {
        count(&self.requests.head, 1);
        let (store, key) = (self.store.clone(), self.key(rel));
        match block(async move { store.head(&key).await }) {
            Ok(meta) => Ok(Some(meta)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.error(rel, e)),
        }
    }

    /// Writes an object (one request: a reader sees the old object or the whole new one).
    pub fn put(&self, rel: &str, bytes: Vec<u8>, mode: Put) -> Result<Written> {
        count(&self.requests.put, 1);
        let (store, key) = (self.store.clone(), self.key(rel));
        let mode = match mode {
            Put::Replace => PutMode::Overwrite,
            Put::Create => PutMode::Create,
            Put::Update(version) => PutMode::Update(version),
        };
        let options = PutOptions {
            mode,
            ..PutOptions::default()
        };
        let put =
            block(async move { store.put_opts(&key, PutPayload::from(bytes), options).await });
        match put {
            Ok(_) => Ok(Written::Done),
            Err(object_store::Error::AlreadyExists { .. }) => Ok(Written::Exists),
            Err(object_store::Error::Precondition { .. }) => Ok(Written::Changed),
            Err(e) => Err(self.error(rel, e)),
        }
    }

    /// Deletes an object; one that is already gone is deleted.
    pub fn delete(&self, rel: &str) -> Result<()> {
        count(&self.requests.delete, 1);
        let (store, key) = (self.store.clone(), self.key(rel));
        match block(async move { store.delete(&key).await }) {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.error(rel, e)),
        }
    }

    /// Every object whose key starts with `rel_prefix` (at any depth), with its key relative to the storage, in
    /// key order; only those after `offset` (a relative key) when one is given.
    pub fn list(
        &self,
        rel_prefix: &str,
        offset: Option<&str>,
    ) -> Result<Vec<(String, ObjectMeta)>> {
        let store = self.store.clone();
        // A prefix of whole path segments for `object_store`, then the rest matched here (`files/{id}_`).
        let (dir, partial) = match rel_prefix.rfind('/') {
            Some(slash) => (&rel_prefix[..slash], &rel_prefix[slash + 1..]),
            None => ("", rel_prefix),
        };
        let dir_key = self.key(dir);
        let offset = offset.map(|o| self.key(o));
        let listed = block(async move {
            let prefix = (!dir_key.as_ref().is_empty()).then_some(dir_key);
            let stream = match &offset {
                Some(offset) => store.list_with_offset(prefix.as_ref(), offset),
                None => store.list(prefix.as_ref()),
            };
            stream.try_collect::<Vec<ObjectMeta>>().await
        })
        .map_err(|e| self.error(rel_prefix, e))?;
        count(
            &self.requests.list,
            (listed.len() as u64).div_ceil(1000).max(1),
        );
        let wanted = format!("{dir}{}{partial}", if dir.is_empty() { "" } else { "/" });
        let mut found: Vec<(String, ObjectMeta)> = listed
            .into_iter()
            .filter_map(|meta| {
                let rel = self.rel(&meta.location).to_owned();
                rel.starts_with(&wanted).then_some((rel, meta))
            })
            .collect();
        found.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(found)
    }

    /// The array file `rel` (which never changes once written) as a local file: fetched into the cache on
    /// first use, streamed to disk, and opened from there. `None` when there is no such object.
    pub fn fetch_file(&self, rel: &str) -> Result<Option<File>> {
        let cache = self
            .cache
            .get_or_init(|| {
                tempfile::Builder::new()
                    .prefix("asgard-bucket-cache-")
                    .tempdir()
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|e| Error::Io {
                path: rel.into(),
                source: io::Error::other(format!("cannot make a cache directory: {e}")),
            })?;
        let path: PathBuf = cache.path().join(rel);
        if let Ok(file) = File::open(&path) {
            return Ok(Some(file));
        }
        let io = |source| Error::Io {
            path: rel.into(),
            source,
        };
        let dir = path.parent().expect("a key has a directory");
        std::fs::create_dir_all(dir).map_err(io)?;
        let mut tmp = tempfile::Builder::new()
            .prefix(".tmp-")
            .tempfile_in(dir)
            .map_err(io)?;
        count(&self.requests.get, 1);
        let (store, key) = (self.store.clone(), self.key(rel));
        let mut writer = tmp.as_file().try_clone().map_err(io)?;
        let fetched = block(async move {
            let got = store.get(&key).await?;
            let mut chunks = got.into_stream();
            while let Some(chunk) = chunks.try_next().await? {
                writer
                    .write_all(&chunk)
                    .map_err(|source| object_store::Error::Generic {
                        store: "cache",
                        source: Box::new(source),
                    })?;
            }
            Ok(())
        });
        match fetched {
            Ok(()) => {}
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(self.error(rel, e)),
        }
        tmp.flush().map_err(io)?;
        tmp.persist(&path).map_err(|e| io(e.error))?;
        File::open(&path).map(Some).map_err(io)
    }
}

/// The version of an object as a [`Stamp`]: its ETag and version for identity (or, from a store without them,
/// its time), its size, and its time to the second. A listing and a read of the same object give the same
/// stamp: a listing reports times to the millisecond, a read's `Last-Modified` to the second.
pub fn stamp_of(meta: &ObjectMeta) -> Stamp {
    use std::hash::{Hash, Hasher};
    let seconds = meta.last_modified.timestamp();
    let mut hasher = std::hash::DefaultHasher::new();
    match (&meta.e_tag, &meta.version) {
        (None, None) => seconds.hash(&mut hasher),
        (e_tag, version) => (e_tag, version).hash(&mut hasher),
    }
    Stamp {
        dev: Stamp::OBJECT,
        ino: hasher.finish(),
        len: meta.size,
        modified: u64::try_from(seconds)
            .ok()
            .map(|s| std::time::UNIX_EPOCH + Duration::from_secs(s)),
    }
}

/// The version to compare-and-swap against.
pub fn version_of(meta: &ObjectMeta) -> UpdateVersion {
    UpdateVersion {
        e_tag: meta.e_tag.clone(),
        version: meta.version.clone(),
    }
}

/// How long to wait before the `attempt`th retry of a compare-and-swap that lost a race: growing, with jitter
/// so that writers that collided do not collide again.
pub fn backoff(attempt: u32) -> Duration {
    let base = 5u64 << attempt.min(7);
    let jitter = u64::from(uuid::Uuid::new_v4().as_u128() as u16) % base.max(1);
    Duration::from_millis(base + jitter)
}
