//! The in-memory index of runs, kept current by the watcher, and the stream of storage events it publishes.

mod watcher;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use tokio::sync::broadcast;

pub use watcher::{watch, StorageWatcher, WatchMode};

use crate::model::{ResultId, RunId, RunSummary, StorageEvent};
use crate::storage::{self, summarize, timestamp_key, AsgardStorage};

/// How many events a slow SSE client may fall behind before it is told to reload.
const EVENT_BUFFER: usize = 4_096;

struct Entry {
    summary: RunSummary,
    results: Vec<ResultId>,
    sort_key: i64,
}

/// Every run's list row, in memory. `/api/runs` and the run list read it instead of the disk; the watcher calls
/// [`Index::refresh_run`] for each run file that changed, which re-reads that one file and publishes what changed.
pub struct Index {
    storage: AsgardStorage,
    runs: RwLock<HashMap<RunId, Entry>>,
    events: broadcast::Sender<StorageEvent>,
}

impl Index {
    /// Reads every run file once.
    pub fn build(storage: AsgardStorage) -> storage::Result<Arc<Self>> {
        let (events, _) = broadcast::channel(EVENT_BUFFER);
        let index = Arc::new(Self {
            storage,
            runs: RwLock::new(HashMap::new()),
            events,
        });
        index.rescan()?;
        Ok(index)
    }

    pub fn storage(&self) -> &AsgardStorage {
        &self.storage
    }

    /// Receives every event published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<StorageEvent> {
        self.events.subscribe()
    }

    /// Every run, newest first.
    pub fn list(&self) -> Vec<RunSummary> {
        let runs = self.runs.read().expect("index lock poisoned");
        let mut entries: Vec<&Entry> = runs.values().collect();
        entries.sort_by(|a, b| {
            b.sort_key
                .cmp(&a.sort_key)
                .then_with(|| b.summary.id.cmp(&a.summary.id))
        });
        entries.into_iter().map(|e| e.summary.clone()).collect()
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

    /// Re-reads every run file: at start, and whenever the watcher may have missed events.
    pub fn rescan(&self) -> storage::Result<()> {
        let on_disk = self.storage.list_run_ids()?;
        let known: Vec<RunId> = self
            .runs
            .read()
            .expect("index lock poisoned")
            .keys()
            .copied()
            .collect();
        for id in known.iter().filter(|id| !on_disk.contains(id)) {
            self.refresh_run(*id);
        }
        for id in on_disk {
            self.refresh_run(id);
        }
        Ok(())
    }

    /// Brings one run's entry in line with its file and publishes what changed. Returns the events published.
    pub fn refresh_run(&self, id: RunId) -> Vec<StorageEvent> {
        let fresh = match self.storage.read_run(id) {
            Ok(run) => Some(Entry {
                summary: summarize(&run),
                sort_key: timestamp_key(&run.timestamp),
                results: run.results,
            }),
            Err(storage::Error::RunNotFound(_)) => None,
            Err(_) => self.storage.run_summary(id).map(|summary| Entry {
                sort_key: timestamp_key(&summary.timestamp),
                summary,
                results: Vec::new(),
            }),
        };
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
                    if old.summary != entry.summary {
                        events.push(StorageEvent::RunUpdated { run_id: id });
                    }
                    runs.insert(id, entry);
                }
            }
        }
        for event in &events {
            // No receivers is fine: nobody is watching.
            let _ = self.events.send(event.clone());
        }
        events
    }
}
