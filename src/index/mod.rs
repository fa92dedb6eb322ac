//! The in-memory index of runs, kept current by the watcher, and the stream of storage events it publishes.

mod encoded;
mod fill;
mod lists;
mod runs;
mod snapshot;
mod step;
mod table;
mod watcher;

use std::collections::HashSet;
use std::sync::{Arc, Mutex, RwLock};

use tokio::sync::broadcast;

pub use encoded::Body as ListingBody;
use runs::Runs;
pub use snapshot::SNAPSHOT_EVERY;
pub use table::Table;
pub use watcher::{supervise, watch, StorageWatcher, WatchMode, JOURNAL_POLL, LOOK_BACK};

use crate::model::summary::RunStats;
use crate::model::{ResultId, RunId, RunSummary, StorageEvent};
use crate::storage::{self, summarize, timestamp_key, AsgardStorage, Stamp};

/// How many events a slow SSE client may fall behind before it is told to reload.
const EVENT_BUFFER: usize = 4_096;

struct Entry {
    summary: RunSummary,
    /// Where the run's `metadata`, for queries (`meta.dt < 1e-3`), is in [`Runs`]: (start, length).
    meta: (u32, u32),
    /// How many pairs of result statistics and types (`error.max < 1e-3`, `has(Solution2D)`) follow the
    /// metadata in [`Runs`].
    stats: u32,
    /// How many of the run's results have no statistics in its file yet (see [`Index::fill_stats`]).
    missing: usize,
    results: Vec<ResultId>,
    sort_key: i64,
    /// The run file as it was when read: an event for a file whose stamp has not changed is not a change.
    stamp: Option<Stamp>,
    /// The row as `/api/runs` writes it, encoded on first use (`encoded.rs`).
    row: encoded::Row,
}

/// The run list as served: its order (newest first) built on the first request after a change, and its JSON for
/// `/api/runs`, plain and gzipped, each encoded on the first request that wants it. Shared by every request until
/// the next change.
pub struct Listing {
    /// The runs' ids, newest first (their rows stay in the index).
    pub runs: Vec<RunId>,
    /// Its rows in groups of 256 (`encoded.rs`), made on the first request for either body.
    groups: std::sync::OnceLock<Vec<Arc<encoded::Group>>>,
    json: std::sync::OnceLock<encoded::Body>,
    gzip: std::sync::OnceLock<encoded::Body>,
}

/// The listing as served, and what is needed to make the next one from what changed.
#[derive(Default)]
struct ListingCache {
    current: Option<Arc<Listing>>,
    /// Once a change made the listing stale: the last one made, and the runs changed since (created, changed or
    /// deleted).
    stale: Option<(Arc<Listing>, HashSet<RunId>)>,
}

/// From how many runs changed since the last listing the next one is sorted whole instead.
const REORDERED_AT_MOST: usize = 1_024;

impl ListingCache {
    /// Run `id` changed: the listing is stale.
    fn changed(&mut self, id: RunId) {
        if let Some(listing) = self.current.take() {
            self.stale = Some((listing, HashSet::new()));
        }
        if let Some((_, changed)) = &mut self.stale {
            changed.insert(id);
            if changed.len() > REORDERED_AT_MOST {
                self.stale = None;
            }
        }
    }
}

/// Every run's list row, in memory. `/api/runs` and the run list read it instead of the disk; the watcher calls
/// [`Index::refresh_run`] for each run file that changed, which re-reads that one file and publishes what changed.
pub struct Index {
    storage: AsgardStorage,
    runs: RwLock<Runs>,
    events: broadcast::Sender<Numbered>,
    /// The latest events with their numbers, for clients that reconnect with `Last-Event-ID`. Events are
    /// numbered and sent under this lock, so the buffer and the channel agree on the order.
    replay: Mutex<Replay>,
    /// The listing as served, emptied under the `runs` write lock by every change, which also notes the run
    /// changed, so that the next listing reorders only those (`lists.rs`).
    listing: Mutex<ListingCache>,
    /// The gzipped listing's groups, compressed for the last listing and kept for the next (`encoded.rs`).
    groups: encoded::Groups,
    /// The runs that recent queries matched, in order, by query and sort: viewers of one filtered list (and each
    /// live refresh) ask the same query again, and until the next change the answer is the same. Emptied with
    /// `listing`; queries relative to now (`created > -2h`) are not kept.
    queries: Mutex<Vec<(String, Arc<Vec<RunId>>)>>,
    /// Why the storage cannot be read right now (its directory was deleted), if it cannot.
    lost: RwLock<Option<String>>,
    /// How many run files the index has read since it was built (a gauge for tests and diagnostics).
    reads: std::sync::atomic::AtomicU64,
    /// Where runs lacking result statistics are sent, once the background work runs (`fill.rs`).
    to_fill: Mutex<Option<std::sync::mpsc::Sender<fill::Wanted>>>,
    /// Result statistics computed but not written (the storage is read-only), by result.
    computed: RwLock<std::collections::HashMap<ResultId, serde_json::Value>>,
    /// How many times the index changed, and how many times it had when its snapshot was last written.
    changes: std::sync::atomic::AtomicU64,
    saved: std::sync::atomic::AtomicU64,
    /// Whether writing the snapshot failed once (and was logged).
    snapshot_unwritable: std::sync::atomic::AtomicBool,
    /// See [`Index::take_reconcile_soon`].
    reconcile_soon: std::sync::atomic::AtomicBool,
    /// When the statistics of a run with a growing result may be computed again, and its results that grew
    /// (`result_grew`, `fill.rs`).
    stats_due: Mutex<std::collections::HashMap<RunId, (std::time::Instant, Vec<ResultId>)>>,
}

/// A run file as read (on any thread), before its metadata is interned under the index's lock.
struct Fresh {
    entry: Entry,
    metadata: serde_json::Map<String, serde_json::Value>,
    stats: RunStats,
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
    /// Reads every run file once, on all cores; with a snapshot of the index in the storage, only those that
    /// changed since it was written (`snapshot.rs`).
    pub fn build(storage: AsgardStorage) -> storage::Result<Arc<Self>> {
        let (events, _) = broadcast::channel(EVENT_BUFFER);
        let start = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_micros() as u64);
        let index = Arc::new(Self {
            storage,
            runs: RwLock::new(Runs::default()),
            events,
            replay: Mutex::new(Replay {
                next: start,
                recent: std::collections::VecDeque::with_capacity(REPLAY_EVENTS),
            }),
            listing: Mutex::new(ListingCache::default()),
            groups: Default::default(),
            queries: Mutex::new(Vec::new()),
            lost: RwLock::new(None),
            reads: std::sync::atomic::AtomicU64::new(0),
            to_fill: Mutex::new(None),
            computed: RwLock::new(Default::default()),
            changes: Default::default(),
            saved: Default::default(),
            snapshot_unwritable: Default::default(),
            reconcile_soon: Default::default(),
            stats_due: Default::default(),
        });
        let started = std::time::Instant::now();
        if index.storage.is_bucket() {
            // A bucket with a snapshot: the snapshot, then the runs announced since it was written; listing
            // every run (hundreds of requests at 100,000 runs) waits for the first reconciliation.
            if let (put @ 1.., Some(taken)) = index.load_snapshot(None) {
                let since = taken.checked_sub(watcher::LOOK_BACK).unwrap_or(taken);
                let mut announced: Vec<RunId> = index
                    .storage
                    .journal_since(since)?
                    .into_iter()
                    .map(|(_, run)| run)
                    .collect();
                announced.sort();
                announced.dedup();
                let changed = announced.len();
                index.in_parallel(&announced, |&id| {
                    index.refresh_run(id);
                });
                index
                    .reconcile_soon
                    .store(true, std::sync::atomic::Ordering::Release);
                tracing::debug!(from_snapshot = put, changed, took = ?started.elapsed(), "index built");
                return Ok(index);
            }
        }
        let on_disk = index.storage.list_runs_stamped()?;
        let listed = started.elapsed();
        let ids: Vec<RunId> = on_disk.iter().map(|(id, _)| *id).collect();
        let (from_snapshot, _) = index.load_snapshot(Some(&ids));
        let loaded = started.elapsed();
        index.scan(on_disk);
        tracing::debug!(
            ?listed,
            from_snapshot,
            ?loaded,
            read = index.files_read(),
            took = ?started.elapsed(),
            "index built"
        );
        Ok(index)
    }

    /// Runs `work` on every item, on as many threads as the storage reads files at once.
    fn in_parallel<T: Sync>(&self, items: &[T], work: impl Fn(&T) + Sync) {
        let threads = self.storage.read_parallelism();
        let chunk = items.len().div_ceil(threads).max(1);
        std::thread::scope(|scope| {
            for part in items.chunks(chunk) {
                let work = &work;
                scope.spawn(move || part.iter().for_each(work));
            }
        });
    }

    /// Whether the index was built from a snapshot without comparing it with a listing of every run, which
    /// should then be done soon (once: this clears it).
    pub fn take_reconcile_soon(&self) -> bool {
        self.reconcile_soon
            .swap(false, std::sync::atomic::Ordering::AcqRel)
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
            .ids()
            .to_vec();
        for id in ids {
            self.apply(id, None);
        }
    }

    /// Says (or stops saying, with `None`) what keeps the storage from being read right now, keeping every run
    /// as last read: a bucket that does not answer.
    pub fn set_problem(&self, problem: Option<String>) {
        let mut lost = self.lost.write().expect("index lock poisoned");
        if let Some(problem) = &problem {
            if lost.as_ref() != Some(problem) {
                tracing::warn!("{problem}");
            }
        }
        *lost = problem;
    }

    /// The storage directory is back: read what it holds now.
    pub fn found(&self) -> storage::Result<()> {
        self.storage.reopen()?;
        *self.lost.write().expect("index lock poisoned") = None;
        tracing::info!("the storage is back; indexing it again");
        self.rescan()
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

    /// Changes a run's tags, note or star in the storage and in the index at once; its list row as it is now.
    pub fn annotate_run(
        &self,
        id: RunId,
        patch: &crate::model::RunPatch,
    ) -> storage::Result<RunSummary> {
        let run = self.storage.annotate_run(id, patch)?;
        self.refresh_run(id);
        Ok(summarize(&run))
    }

    /// Re-reads every run file (on all cores), publishing what changed since the index last saw it.
    pub fn rescan(&self) -> storage::Result<()> {
        self.scan(self.storage.list_runs_stamped()?);
        Ok(())
    }

    /// [`Self::rescan`] of the runs listed `on_disk`, with their versions where the listing gave them.
    fn scan(&self, on_disk: Vec<(RunId, Option<storage::Listed>)>) {
        let present: HashSet<RunId> = on_disk.iter().map(|(id, _)| *id).collect();
        let gone: Vec<RunId> = self
            .runs
            .read()
            .expect("index lock poisoned")
            .ids()
            .iter()
            .filter(|id| !present.contains(id))
            .copied()
            .collect();
        for id in gone {
            self.refresh_run(id);
        }
        // Files whose stamp is unchanged since they were indexed are not read again. Each run goes into the index
        // as soon as it is read, so that only a few runs' parsed JSON is alive at once, whatever the storage's size.
        self.in_parallel(&on_disk, |(id, listed)| {
            if !self.unchanged(*id, listed.as_ref().map(|l| l.stamp)) {
                let entries = listed.as_ref().map(|l| l.entries.as_slice());
                self.apply(*id, self.read_entry_listed(*id, entries));
            }
        });
    }

    /// Whether the run file is the very version indexed (same stamp), so that reading it would change nothing:
    /// its version as `listed`, or else as the storage says without reading it (a directory's `stat`; a bucket
    /// cannot say, and its run is read). A run not indexed yet (every run at the cold start) costs nothing.
    fn unchanged(&self, id: RunId, listed: Option<Stamp>) -> bool {
        let Some(indexed) = self
            .runs
            .read()
            .expect("index lock poisoned")
            .get(&id)
            .map(|e| e.stamp)
        else {
            return false;
        };
        let stamp = listed.or_else(|| self.storage.run_stamp(id));
        stamp.is_some() && indexed == stamp
    }

    /// Re-reads one run file and publishes what changed: created, updated, results added, deleted.
    pub fn refresh_run(&self, id: RunId) -> Vec<StorageEvent> {
        if self.unchanged(id, None) {
            return Vec::new();
        }
        let fresh = self.read_entry(id);
        self.apply(id, fresh)
    }

    /// A run's row as its file says; `None` when the file is gone. The stamp is the opened file's, taken before
    /// the read, so a change during the read is seen as a change again at its event.
    fn read_entry(&self, id: RunId) -> Option<Fresh> {
        self.read_entry_listed(id, None)
    }

    /// [`Self::read_entry`], with the run's result entries as a listing just gave them.
    fn read_entry_listed(&self, id: RunId, entries: Option<&[String]>) -> Option<Fresh> {
        self.reads
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        match self.storage.read_run_listed(id, entries) {
            Ok((run, stamp)) => {
                let stats = RunStats::fold(run.results.iter().map(|&r| match run.stats_of(r) {
                    Some(entry) => storage::stats::from_entry(entry),
                    None => storage::stats::from_entry(&self.computed_stats(r)?),
                }));
                Some(Fresh {
                    entry: Entry {
                        summary: summarize(&run),
                        sort_key: timestamp_key(&run.timestamp),
                        meta: (0, 0),
                        stats: 0,
                        missing: stats.missing,
                        results: run.results,
                        stamp,
                        row: Default::default(),
                    },
                    metadata: run.metadata,
                    stats,
                })
            }
            Err(storage::Error::RunNotFound(_)) => None,
            Err(_) => {
                let stamp = self.storage.run_stamp(id);
                self.storage.run_summary(id).map(|summary| Fresh {
                    entry: Entry {
                        sort_key: timestamp_key(&summary.timestamp),
                        summary,
                        meta: (0, 0),
                        stats: 0,
                        missing: 0,
                        results: Vec::new(),
                        stamp,
                        row: Default::default(),
                    },
                    metadata: serde_json::Map::new(),
                    stats: RunStats::default(),
                })
            }
        }
    }

    /// Puts a run's fresh row in the index and publishes the difference.
    fn apply(&self, id: RunId, fresh: Option<Fresh>) -> Vec<StorageEvent> {
        let mut events = Vec::new();
        let mut lacking = false;
        {
            let mut runs = self.runs.write().expect("index lock poisoned");
            let fresh = fresh.map(|f| {
                let pairs = runs.symbols.pairs(&f.metadata);
                let stats = runs.symbols.stat_pairs(&f.stats);
                (pairs, stats, f.entry)
            });
            match (runs.get(&id), fresh) {
                (None, None) => {}
                (Some(_), None) => {
                    runs.remove(&id);
                    events.push(StorageEvent::RunDeleted { run_id: id });
                }
                (None, Some((pairs, stats, entry))) => {
                    lacking = entry.missing > 0;
                    runs.put(id, entry, pairs, stats);
                    events.push(StorageEvent::RunCreated { run_id: id });
                }
                (Some(old), Some((pairs, stats, entry))) => {
                    for &result_id in entry.results.iter().filter(|r| !old.results.contains(r)) {
                        events.push(StorageEvent::ResultAdded {
                            run_id: id,
                            result_id,
                        });
                    }
                    // Metadata and statistics too: a filtered list (`meta.dt < 1e-3`) may gain or lose the run.
                    if old.summary != entry.summary
                        || runs.meta(old) != pairs.as_slice()
                        || runs.stats(old) != stats.as_slice()
                    {
                        events.push(StorageEvent::RunUpdated { run_id: id });
                    }
                    lacking = entry.missing > 0;
                    runs.put(id, entry, pairs, stats);
                }
            }
            if !events.is_empty() {
                self.changes
                    .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
                self.listing
                    .lock()
                    .expect("listing lock poisoned")
                    .changed(id);
                self.queries
                    .lock()
                    .expect("query cache lock poisoned")
                    .clear();
            }
        }
        if lacking {
            self.want_stats(id);
        }
        self.publish(&events);
        events
    }

    /// Tells every subscriber, and keeps the events for those that reconnect.
    fn publish(&self, events: &[StorageEvent]) {
        if events.is_empty() {
            return;
        }
        let mut replay = self.replay.lock().expect("replay lock poisoned");
        for event in events {
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

    /// A growing result of a run has `chunks` chunks of rows now: publishes `result_appended` (the page drawing
    /// the result fetches the new rows), and has the run's statistics computed again in the background — the
    /// latest loss of an optimisation still running, in the run list's columns and filters — at most once a
    /// second, and less often when computing them takes long (`fill.rs`).
    pub fn result_grew(&self, run_id: RunId, result_id: ResultId, chunks: u64) {
        self.publish(&[StorageEvent::ResultAppended {
            run_id,
            result_id,
            chunks,
        }]);
        self.want_growing_stats(run_id, result_id);
    }
}
