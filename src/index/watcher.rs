//! Watches the storage for runs that appear, change or disappear, whoever writes them, and feeds the index: in
//! a directory, `runs/` through the operating system's change events (or polling), and `files/` for the chunks
//! of growing results; in a bucket, its journal of change announcements, one listing per interval
//! (docs/object-storage.md).

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use notify_debouncer_mini::notify::{self, PollWatcher, RecommendedWatcher, RecursiveMode};
use notify_debouncer_mini::{new_debouncer_opt, Config, DebounceEventResult, Debouncer};

use crate::index::Index;
use crate::storage::growing::chunk_of_file_name;
use crate::storage::run_id_from_file_name;

/// Events for one file closer together than this are merged into one.
const DEBOUNCE: Duration = Duration::from_millis(15);

/// How the watcher learns of changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WatchMode {
    /// The operating system's change events (inotify), falling back to polling when they are unavailable.
    Native,
    /// Compare the directory every interval: for filesystems without change events, such as NFS.
    Poll(Duration),
}

/// Keeps the watch alive; dropping it stops watching.
pub enum StorageWatcher {
    /// `runs/` and `files/`.
    Native(Debouncer<RecommendedWatcher>),
    /// `runs/`, comparing contents; `files/`, only for new names (its array files may be large).
    Poll(Debouncer<PollWatcher>, Option<Debouncer<PollWatcher>>),
    /// A bucket's journal, followed by [`supervise`] every interval.
    Journal(Duration),
}

impl StorageWatcher {
    pub fn mode(&self) -> &'static str {
        match self {
            Self::Native(_) => "native",
            Self::Poll(..) => "poll",
            Self::Journal(_) => "journal",
        }
    }
}

/// How often a monitor looks at a bucket's journal unless told (`--poll-interval-ms` with `--watch poll`).
pub const JOURNAL_POLL: Duration = Duration::from_secs(1);
/// How far back in time a look at a bucket's journal reaches: an announcement whose writer's clock is behind
/// the monitor's by less than this is still found. Those already seen are not acted on again. Every
/// [`FAR_EVERY`]th look reaches this far; the others [`NEAR_LOOK_BACK`], so that a busy bucket's polls do not
/// list the same 30 seconds of announcements over and over.
pub const LOOK_BACK: Duration = Duration::from_secs(30);
/// How far back the other looks reach.
pub const NEAR_LOOK_BACK: Duration = Duration::from_secs(3);
/// See [`LOOK_BACK`].
const FAR_EVERY: u64 = 10;
/// How often a monitor of a bucket compares its whole index with one listing of the bucket's runs, to catch
/// anything the journal missed (a writer killed between its change and the announcement, a clock far behind).
pub const RECONCILE_EVERY: Duration = Duration::from_secs(600);

/// Starts watching the index's storage.
pub fn watch(index: Arc<Index>, mode: WatchMode) -> notify::Result<StorageWatcher> {
    let Some(root) = index.storage().dir() else {
        return Ok(StorageWatcher::Journal(match mode {
            WatchMode::Poll(interval) => interval,
            WatchMode::Native => JOURNAL_POLL,
        }));
    };
    let (runs_dir, files_dir) = (root.join("runs"), root.join("files"));
    match mode {
        WatchMode::Native => {
            let dirs = [runs_dir.as_path(), files_dir.as_path()];
            match start::<RecommendedWatcher>(&dirs, index.clone(), notify::Config::default(), true)
            {
                Ok(d) => Ok(StorageWatcher::Native(d)),
                Err(e) => {
                    tracing::warn!(error = %e, "file change events unavailable; polling every second instead");
                    watch(index, WatchMode::Poll(Duration::from_secs(1)))
                }
            }
        }
        WatchMode::Poll(interval) => {
            // The poll watcher compares modification times in whole seconds; comparing contents as well
            // catches the several writes a second that a live simulation makes.
            let config = notify::Config::default()
                .with_poll_interval(interval)
                .with_compare_contents(true);
            let runs = start::<PollWatcher>(&[&runs_dir], index.clone(), config, true)?;
            let files_config = notify::Config::default().with_poll_interval(interval);
            let files = start::<PollWatcher>(&[&files_dir], index, files_config, false)
                .inspect_err(|e| tracing::warn!(error = %e, "cannot watch files/; growing results show their rows on reload only"))
                .ok();
            Ok(StorageWatcher::Poll(runs, files))
        }
    }
}

/// Watches `dirs` (not their subdirectories) and feeds the index: a run file's change re-reads the run, a new
/// chunk of a growing result is published. With `catch_up`, every run file is compared with the index once the
/// watch has started.
fn start<W: notify::Watcher>(
    dirs: &[&Path],
    index: Arc<Index>,
    notify_config: notify::Config,
    catch_up: bool,
) -> notify::Result<Debouncer<W>> {
    // Without batch mode each file's change is delivered when its own quiet period ends, instead of with a batch
    // up to twice the timeout later.
    let config = Config::default()
        .with_timeout(DEBOUNCE)
        .with_batch_mode(false)
        .with_notify_config(notify_config);
    let rescan_index = index.clone();
    let mut growing = Growing::default();
    let mut debouncer =
        new_debouncer_opt::<_, W>(config, move |result: DebounceEventResult| match result {
            Ok(events) => {
                let names = || {
                    events
                        .iter()
                        .filter_map(|e| e.path.file_name())
                        .map(|name| name.to_string_lossy())
                };
                let ids: BTreeSet<_> = names()
                    .filter_map(|name| run_id_from_file_name(&name))
                    .collect();
                for id in ids {
                    index.refresh_run(id);
                }
                let chunks: BTreeSet<_> = names()
                    .filter_map(|name| chunk_of_file_name(&name))
                    .collect();
                for (result, seq) in chunks {
                    growing.grew(&index, result, seq);
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "watcher error; rescanning the storage");
                if let Err(e) = index.rescan() {
                    tracing::error!(error = %e, "rescan failed");
                }
            }
        })?;
    for dir in dirs {
        debouncer
            .watcher()
            .watch(dir, RecursiveMode::NonRecursive)?;
    }
    if !catch_up {
        return Ok(debouncer);
    }
    // Pick up anything written between the index's scan and the watch starting. In the background: the index is
    // complete as of its scan and serves meanwhile, and this `stat` of every run file (a quarter of a second at
    // 100,000 runs) publishes what changed in that moment as the watcher would have.
    std::thread::Builder::new()
        .name("asgard-catch-up".into())
        .spawn(move || {
            if let Err(e) = rescan_index.rescan() {
                tracing::error!(error = %e, "rescan failed");
            }
        })
        .map_err(notify::Error::io)?;
    Ok(debouncer)
}

/// The runs of the results whose chunks were seen, so that a chunk's event names its run without reading the
/// result's file each time; the most chunks announced per result, so that an event seen twice (a file's
/// creation and its rename) is published once.
#[derive(Default)]
struct Growing {
    results: std::collections::HashMap<crate::model::ResultId, (crate::model::RunId, u64)>,
}

impl Growing {
    /// How many growing results are remembered at most (then forgotten, and their files read again).
    const MAX: usize = 4096;

    fn grew(&mut self, index: &Index, result: crate::model::ResultId, seq: u64) {
        let chunks = seq + 1;
        if let Some((run, announced)) = self.results.get_mut(&result) {
            if *announced < chunks {
                *announced = chunks;
                index.result_grew(*run, result, chunks);
            }
            return;
        }
        // A chunk of a result not written yet, damaged, or closed already (its chunks being removed): nothing
        // to tell.
        let Ok(record) = index.storage().read_result(result) else {
            return;
        };
        if record.growing.is_none() {
            return;
        }
        if self.results.len() >= Self::MAX {
            self.results.clear();
        }
        self.results.insert(result, (record.run_id, chunks));
        index.result_grew(record.run_id, result, chunks);
    }
}

/// Notices the storage directory being deleted (every run leaves the list, the loss is reported) and coming back
/// (indexed again, watched anew), by checking the identity of `runs/` every half second. Owns the watcher.
pub async fn supervise(index: Arc<Index>, mode: WatchMode, watcher: StorageWatcher) {
    use std::os::unix::fs::MetadataExt;
    if let StorageWatcher::Journal(interval) = watcher {
        return follow_journal(index, interval).await;
    }
    // Kept until the task ends (replaced when the storage comes back).
    let mut _watcher = watcher;
    let Some(root) = index.storage().dir().map(Path::to_path_buf) else {
        return;
    };
    let runs = root.join("runs");
    let identity = |m: std::fs::Metadata| (m.dev(), m.ino());
    let mut current = tokio::fs::metadata(&runs).await.ok().map(identity);
    let mut ticker = tokio::time::interval(Duration::from_millis(500));
    loop {
        ticker.tick().await;
        let now = tokio::fs::metadata(&runs).await.ok().map(identity);
        let lost = index.lost().is_some();
        let root_is_dir = tokio::fs::metadata(&root).await.is_ok_and(|m| m.is_dir());
        if now == current && !(lost && root_is_dir) {
            continue;
        }
        if now.is_none() && !root_is_dir {
            if !lost {
                index.lose(format!(
                    "the storage directory {} was deleted; the monitor keeps serving and picks it up again \
                     when it is back",
                    root.display()
                ));
            }
            current = None;
            continue;
        }
        // Back (or replaced by another directory): lay it out, index it and watch it again.
        let reindex = index.clone();
        match tokio::task::spawn_blocking(move || reindex.found()).await {
            Ok(Ok(())) => match watch(index.clone(), mode) {
                Ok(w) => _watcher = w,
                Err(e) => tracing::error!(error = %e, "cannot watch the storage again"),
            },
            Ok(Err(e)) => tracing::error!(error = %e, "the storage is back but cannot be read"),
            Err(e) => tracing::error!(error = %e, "re-indexing failed"),
        }
        current = tokio::fs::metadata(&runs).await.ok().map(identity);
    }
}

/// Follows a bucket's journal: every `interval`, one listing of the announcements made since [`LOOK_BACK`]
/// ago, and each run announced that was not seen yet is read again (publishing what changed, as the directory
/// watcher's events do); every [`RECONCILE_EVERY`], one listing of every run. While the bucket cannot be
/// reached the dashboard says so and the listing is retried, less and less often; when it answers again the
/// whole index is compared with it, so nothing that happened meanwhile is missed, and nothing is published twice
/// (a run read again publishes only what differs from the index).
async fn follow_journal(index: Arc<Index>, interval: Duration) {
    let mut seen = BTreeSet::<String>::new();
    let mut failures: u32 = 0;
    let mut reconciled = std::time::Instant::now();
    for look in 0u64.. {
        let wait = match failures {
            0 => interval,
            n => interval
                .max(Duration::from_millis(250) * 2u32.pow(n.min(7)))
                .min(Duration::from_secs(30)),
        };
        tokio::time::sleep(wait).await;
        let now = std::time::SystemTime::now();
        let back = if look % FAR_EVERY == 0 {
            LOOK_BACK
        } else {
            NEAR_LOOK_BACK
        };
        let since = now.checked_sub(back).unwrap_or(std::time::UNIX_EPOCH);
        let reader = index.clone();
        let listed =
            tokio::task::spawn_blocking(move || reader.storage().journal_since(since)).await;
        let announced = match listed {
            Ok(Ok(announced)) => announced,
            Ok(Err(e)) => {
                failures += 1;
                index.set_problem(Some(format!(
                    "the storage {} cannot be reached ({e}); showing what it held, and trying again",
                    index.storage().location()
                )));
                continue;
            }
            Err(_) => continue,
        };
        let caught_up =
            failures > 0 || reconciled.elapsed() >= RECONCILE_EVERY || index.take_reconcile_soon();
        if failures > 0 {
            failures = 0;
            index.set_problem(None);
            tracing::info!("the storage answers again; catching up");
        }
        // Announcements older than the farthest look will not be listed again: forget them.
        let forget = crate::storage::journal_key(now.checked_sub(LOOK_BACK * 2).unwrap_or(now));
        seen.retain(|key| *key >= forget);
        // A chunk's announcement is published as the append it is, without reading the run again; the
        // highest chunk of each result, once.
        let mut runs = BTreeSet::new();
        let mut chunks = std::collections::BTreeMap::new();
        for (key, run) in announced {
            if !seen.insert(key.clone()) {
                continue;
            }
            match crate::storage::chunk_of_announcement(&key) {
                Some((result, seq)) => {
                    let highest = chunks.entry(result).or_insert((run, seq));
                    highest.1 = highest.1.max(seq);
                }
                None => {
                    runs.insert(run);
                }
            }
        }
        for (result, (run, seq)) in chunks {
            index.result_grew(run, result, seq + 1);
        }
        if !runs.is_empty() {
            let reader = index.clone();
            let runs: Vec<_> = runs.into_iter().collect();
            let _ = tokio::task::spawn_blocking(move || {
                reader.in_parallel(&runs, |&run| {
                    reader.refresh_run(run);
                })
            })
            .await;
        }
        if caught_up {
            reconcile(&index, &mut reconciled).await;
        }
    }
}

/// Compares the whole index with one listing of the bucket's runs, reading those that differ.
async fn reconcile(index: &Arc<Index>, reconciled: &mut std::time::Instant) {
    let reader = index.clone();
    match tokio::task::spawn_blocking(move || reader.rescan()).await {
        Ok(Ok(())) => *reconciled = std::time::Instant::now(),
        Ok(Err(e)) => tracing::warn!(error = %e, "comparing the index with the storage failed"),
        Err(e) => tracing::error!(error = %e, "comparing the index with the storage failed"),
    }
}
