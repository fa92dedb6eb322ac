//! The in-memory index of runs, kept current by the watcher, and the stream of storage events it publishes.

mod watcher;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};

use bytes::Bytes;
use tokio::sync::broadcast;

pub use watcher::{supervise, watch, StorageWatcher, WatchMode};

use crate::model::{ResultId, RunId, RunSummary, StorageEvent};
use crate::query::{compare_rows, Expr, Row, SortKey};
use crate::storage::{self, summarize, timestamp_key, AsgardStorage};

/// How many queries' answers the index keeps until the next change.
const QUERIES_KEPT: usize = 16;

/// How many events a slow SSE client may fall behind before it is told to reload.
const EVENT_BUFFER: usize = 4_096;

struct Entry {
    summary: RunSummary,
    /// The run's `metadata` object, for queries (`meta.dt < 1e-3`).
    metadata: Arc<serde_json::Map<String, serde_json::Value>>,
    results: Vec<ResultId>,
    sort_key: i64,
    /// The run file as it was when read: an event for a file whose stamp has not changed is not a change.
    stamp: Option<Stamp>,
}

/// What identifies a version of a file without reading it: a writer's rename gives a new inode, an in-place
/// write a new length or modification time. Taken with `stat`, which (unlike opening the file) raises no watcher
/// event: the watcher reports opens too, so re-reading a file on every event would feed itself forever.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    dev: u64,
    ino: u64,
    len: u64,
    modified: Option<std::time::SystemTime>,
}

impl Stamp {
    fn of(path: &std::path::Path) -> Option<Self> {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(path).ok()?;
        Some(Self {
            dev: m.dev(),
            ino: m.ino(),
            len: m.len(),
            modified: m.modified().ok(),
        })
    }
}

/// The run list as served: sorted newest first, and already encoded as the JSON of `/api/runs`, plain and
/// gzipped. Built on the first request after a change and shared by every request until the next one.
#[derive(Clone)]
pub struct Listing {
    pub runs: Arc<Vec<RunSummary>>,
    pub json: Bytes,
    pub gzip: Bytes,
}

/// Every run's list row, in memory. `/api/runs` and the run list read it instead of the disk; the watcher calls
/// [`Index::refresh_run`] for each run file that changed, which re-reads that one file and publishes what changed.
pub struct Index {
    storage: AsgardStorage,
    runs: RwLock<HashMap<RunId, Entry>>,
    events: broadcast::Sender<Numbered>,
    /// The latest events with their numbers, for clients that reconnect with `Last-Event-ID`. Events are
    /// numbered and sent under this lock, so the buffer and the channel agree on the order.
    replay: Mutex<Replay>,
    /// Emptied, under the `runs` write lock, by every change.
    listing: Mutex<Option<Listing>>,
    /// The runs that recent queries matched, in order, by query and sort: viewers of one filtered list (and each
    /// live refresh) ask the same query again, and until the next change the answer is the same. Emptied with
    /// `listing`; queries relative to now (`created > -2h`) are not kept.
    queries: Mutex<Vec<(String, Arc<Vec<RunId>>)>>,
    /// Why the storage cannot be read right now (its directory was deleted), if it cannot.
    lost: RwLock<Option<String>>,
    /// How many run files the index has read since it was built (a gauge for tests and diagnostics).
    reads: std::sync::atomic::AtomicU64,
}

/// An event with its number: numbers grow by one per event, starting from the server's start time in
/// microseconds, so a client that reconnects to a restarted server never mistakes old numbers for new ones.
pub type Numbered = (u64, StorageEvent);

/// How many of the latest events a reconnecting client can be sent; one further behind is told to reload.
pub const REPLAY_EVENTS: usize = 1_024;

struct Replay {
    next: u64,
    recent: std::collections::VecDeque<Numbered>,
}

/// What a (re)connecting client is owed before live events.
pub enum Missed {
    /// The events after the one it last saw (none for a new client).
    Events(Vec<Numbered>),
    /// It last saw an event older than the replay buffer holds (or from another server): it must reload.
    TooOld,
}

/// `bytes` gzipped at the fastest level (the JSON of 10,000 runs shrinks about tenfold in a few milliseconds).
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).expect("writing to memory");
    encoder.finish().expect("writing to memory")
}

impl Index {
    /// Reads every run file once, on all cores.
    pub fn build(storage: AsgardStorage) -> storage::Result<Arc<Self>> {
        let (events, _) = broadcast::channel(EVENT_BUFFER);
        let start = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_micros() as u64);
        let index = Arc::new(Self {
            storage,
            runs: RwLock::new(HashMap::new()),
            events,
            replay: Mutex::new(Replay {
                next: start,
                recent: std::collections::VecDeque::with_capacity(REPLAY_EVENTS),
            }),
            listing: Mutex::new(None),
            queries: Mutex::new(Vec::new()),
            lost: RwLock::new(None),
            reads: std::sync::atomic::AtomicU64::new(0),
        });
        index.rescan()?;
        Ok(index)
    }

    pub fn storage(&self) -> &AsgardStorage {
        &self.storage
    }

    /// Receives every event published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Numbered> {
        self.events.subscribe()
    }

    /// Subscribes, and says what a client that last saw event `last` missed: together they give every event
    /// after `last` exactly once, in order.
    pub fn subscribe_after(&self, last: Option<u64>) -> (Missed, broadcast::Receiver<Numbered>) {
        let replay = self.replay.lock().expect("replay lock poisoned");
        let receiver = self.events.subscribe();
        let missed = match last {
            None => Missed::Events(Vec::new()),
            Some(last) if last + 1 == replay.next => Missed::Events(Vec::new()),
            Some(last) => match replay.recent.front() {
                Some(&(oldest, _)) if last + 1 >= oldest && last < replay.next => Missed::Events(
                    replay
                        .recent
                        .iter()
                        .filter(|(n, _)| *n > last)
                        .cloned()
                        .collect(),
                ),
                _ => Missed::TooOld,
            },
        };
        (missed, receiver)
    }

    /// How many run files the index has read since it was built.
    pub fn files_read(&self) -> u64 {
        self.reads.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// How many live-update streams are subscribed.
    pub fn subscribers(&self) -> usize {
        self.events.receiver_count()
    }

    /// Why the storage cannot be read right now, if it cannot.
    pub fn lost(&self) -> Option<String> {
        self.lost.read().expect("index lock poisoned").clone()
    }

    /// The storage directory is gone: every run leaves the index (clients are told), `problem` is reported,
    /// and the index waits for [`Index::found`].
    pub fn lose(&self, problem: String) {
        tracing::error!("{problem}");
        *self.lost.write().expect("index lock poisoned") = Some(problem);
        let ids: Vec<RunId> = self
            .runs
            .read()
            .expect("index lock poisoned")
            .keys()
            .copied()
            .collect();
        for id in ids {
            self.apply(id, None);
        }
    }

    /// The storage directory is back: read what it holds now.
    pub fn found(&self) -> storage::Result<()> {
        self.storage.reopen()?;
        *self.lost.write().expect("index lock poisoned") = None;
        tracing::info!("the storage is back; indexing it again");
        self.rescan()
    }

    /// Every run, newest first, sorted and encoded once per change.
    pub fn listing(&self) -> Listing {
        if let Some(listing) = self.listing.lock().expect("listing lock poisoned").clone() {
            return listing;
        }
        // Built and stored under the read lock, so no change can slip in between (changes take the write lock).
        let runs = self.runs.read().expect("index lock poisoned");
        let mut entries: Vec<&Entry> = runs.values().collect();
        entries.sort_by(|a, b| {
            b.sort_key
                .cmp(&a.sort_key)
                .then_with(|| b.summary.id.cmp(&a.summary.id))
        });
        let sorted: Vec<RunSummary> = entries.into_iter().map(|e| e.summary.clone()).collect();
        let json = serde_json::to_vec(&sorted).expect("run summaries serialize");
        let listing = Listing {
            runs: Arc::new(sorted),
            gzip: Bytes::from(gzip(&json)),
            json: Bytes::from(json),
        };
        *self.listing.lock().expect("listing lock poisoned") = Some(listing.clone());
        listing
    }

    /// `limit` runs from the `offset`th, newest first, and how many runs there are in all.
    pub fn page(&self, offset: usize, limit: usize) -> (Vec<RunSummary>, usize) {
        let listing = self.listing();
        let runs = listing.runs.as_slice();
        let start = offset.min(runs.len());
        let end = start.saturating_add(limit).min(runs.len());
        (runs[start..end].to_vec(), runs.len())
    }

    /// The runs `query` matches, in the order of `sort`: `limit` of them from the `offset`th, and how many match
    /// in all. `now` (microseconds since 1970) is the time that relative times (`created > -2h`) count from.
    pub fn query(
        &self,
        query: &Expr,
        sort: &[SortKey],
        offset: usize,
        limit: usize,
        now: i64,
    ) -> (Vec<RunSummary>, usize) {
        let runs = self.runs.read().expect("index lock poisoned");
        let key = (!query.is_relative()).then(|| format!("{query}\u{0}{sort:?}"));
        let cached = key.as_ref().and_then(|key| {
            let queries = self.queries.lock().expect("query cache lock poisoned");
            queries
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, ids)| ids.clone())
        });
        let ids = match cached {
            Some(ids) => ids,
            None => {
                let ids = Arc::new(Self::matching(&runs, query, sort, now));
                if let Some(key) = key {
                    // Changes take the `runs` write lock and empty the cache under it: while this read lock is
                    // held, what is stored here is current.
                    let mut queries = self.queries.lock().expect("query cache lock poisoned");
                    if queries.len() == QUERIES_KEPT {
                        queries.remove(0);
                    }
                    queries.push((key, ids.clone()));
                }
                ids
            }
        };
        let page = ids
            .iter()
            .skip(offset)
            .take(limit)
            .filter_map(|id| runs.get(id).map(|e| e.summary.clone()))
            .collect();
        (page, ids.len())
    }

    /// The ids of the runs `query` matches, in the order of `sort` (ties newest first).
    fn matching(
        runs: &HashMap<RunId, Entry>,
        query: &Expr,
        sort: &[SortKey],
        now: i64,
    ) -> Vec<RunId> {
        fn row(e: &Entry) -> Row<'_> {
            Row {
                summary: &e.summary,
                metadata: &e.metadata,
                created: (e.sort_key != i64::MIN).then_some(e.sort_key),
            }
        }
        let mut matching: Vec<(&Entry, Row<'_>)> = runs
            .values()
            .map(|e| (e, row(e)))
            .filter(|(_, r)| query.matches(r, now))
            .collect();
        matching.sort_by(|(a, ra), (b, rb)| {
            compare_rows(ra, rb, sort)
                .then_with(|| b.sort_key.cmp(&a.sort_key))
                .then_with(|| b.summary.id.cmp(&a.summary.id))
        });
        matching.into_iter().map(|(e, _)| e.summary.id).collect()
    }

    /// One run's row.
    pub fn get(&self, id: RunId) -> Option<RunSummary> {
        self.runs
            .read()
            .expect("index lock poisoned")
            .get(&id)
            .map(|e| e.summary.clone())
    }

    pub fn len(&self) -> usize {
        self.runs.read().expect("index lock poisoned").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Deletes a run from the storage and from the index at once, without waiting for the watcher.
    pub fn delete_run(&self, id: RunId) -> storage::Result<()> {
        self.storage.delete_run(id)?;
        self.refresh_run(id);
        Ok(())
    }

    /// Re-reads every run file (on all cores), publishing what changed since the index last saw it.
    pub fn rescan(&self) -> storage::Result<()> {
        let on_disk = self.storage.list_run_ids()?;
        let present: HashSet<RunId> = on_disk.iter().copied().collect();
        let gone: Vec<RunId> = self
            .runs
            .read()
            .expect("index lock poisoned")
            .keys()
            .filter(|id| !present.contains(id))
            .copied()
            .collect();
        for id in gone {
            self.refresh_run(id);
        }
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let chunk = on_disk.len().div_ceil(threads).max(1);
        // Files whose stamp is unchanged since they were indexed are not read again.
        let read: Vec<(RunId, Option<Entry>)> = std::thread::scope(|scope| {
            let handles: Vec<_> = on_disk
                .chunks(chunk)
                .map(|ids| {
                    scope.spawn(move || {
                        ids.iter()
                            .filter(|&&id| !self.unchanged(id))
                            .map(|&id| (id, self.read_entry(id)))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("index reader thread"))
                .collect()
        });
        for (id, fresh) in read {
            self.apply(id, fresh);
        }
        Ok(())
    }

    /// Whether the run file is the very version indexed (same stamp), so that reading it would change nothing.
    fn unchanged(&self, id: RunId) -> bool {
        let stamp = Stamp::of(&self.storage.run_path(id));
        stamp.is_some()
            && self
                .runs
                .read()
                .expect("index lock poisoned")
                .get(&id)
                .is_some_and(|e| e.stamp == stamp)
    }

    /// Re-reads one run file and publishes what changed: created, updated, results added, deleted.
    pub fn refresh_run(&self, id: RunId) -> Vec<StorageEvent> {
        if self.unchanged(id) {
            return Vec::new();
        }
        let fresh = self.read_entry(id);
        self.apply(id, fresh)
    }

    /// A run's row as its file says; `None` when the file is gone. The stamp is taken before the read, so a
    /// change during the read is seen as a change again at its event.
    fn read_entry(&self, id: RunId) -> Option<Entry> {
        self.reads
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let stamp = Stamp::of(&self.storage.run_path(id));
        match self.storage.read_run(id) {
            Ok(run) => Some(Entry {
                summary: summarize(&run),
                sort_key: timestamp_key(&run.timestamp),
                metadata: Arc::new(run.metadata),
                results: run.results,
                stamp,
            }),
            Err(storage::Error::RunNotFound(_)) => None,
            Err(_) => self.storage.run_summary(id).map(|summary| Entry {
                sort_key: timestamp_key(&summary.timestamp),
                summary,
                metadata: Arc::default(),
                results: Vec::new(),
                stamp,
            }),
        }
    }

    /// Puts a run's fresh row in the index and publishes the difference.
    fn apply(&self, id: RunId, fresh: Option<Entry>) -> Vec<StorageEvent> {
        let mut events = Vec::new();
        {
            let mut runs = self.runs.write().expect("index lock poisoned");
            match (runs.get(&id), fresh) {
                (None, None) => {}
                (Some(_), None) => {
                    runs.remove(&id);
                    events.push(StorageEvent::RunDeleted { run_id: id });
                }
                (None, Some(entry)) => {
                    runs.insert(id, entry);
                    events.push(StorageEvent::RunCreated { run_id: id });
                }
                (Some(old), Some(entry)) => {
                    for &result_id in entry.results.iter().filter(|r| !old.results.contains(r)) {
                        events.push(StorageEvent::ResultAdded {
                            run_id: id,
                            result_id,
                        });
                    }
                    // Metadata too: a filtered list (`meta.dt < 1e-3`) may gain or lose the run.
                    if old.summary != entry.summary || old.metadata != entry.metadata {
                        events.push(StorageEvent::RunUpdated { run_id: id });
                    }
                    runs.insert(id, entry);
                }
            }
            if !events.is_empty() {
                *self.listing.lock().expect("listing lock poisoned") = None;
                self.queries
                    .lock()
                    .expect("query cache lock poisoned")
                    .clear();
            }
        }
        if !events.is_empty() {
            let mut replay = self.replay.lock().expect("replay lock poisoned");
            for event in &events {
                let numbered = (replay.next, event.clone());
                replay.next += 1;
                if replay.recent.len() == REPLAY_EVENTS {
                    replay.recent.pop_front();
                }
                replay.recent.push_back(numbered.clone());
                // No receivers is fine: nobody is watching.
                let _ = self.events.send(numbered);
            }
        }
        events
    }
}
