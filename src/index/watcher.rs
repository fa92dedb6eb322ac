//! Watches `runs/` for files that appear, change or disappear, whoever writes them, and feeds the index.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use notify_debouncer_mini::notify::{self, PollWatcher, RecommendedWatcher, RecursiveMode};
use notify_debouncer_mini::{new_debouncer_opt, Config, DebounceEventResult, Debouncer};

use crate::index::Index;
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
    Native(Debouncer<RecommendedWatcher>),
    Poll(Debouncer<PollWatcher>),
}

impl StorageWatcher {
    pub fn mode(&self) -> &'static str {
        match self {
            Self::Native(_) => "native",
            Self::Poll(_) => "poll",
        }
    }
}

/// Starts watching the index's storage.
pub fn watch(index: Arc<Index>, mode: WatchMode) -> notify::Result<StorageWatcher> {
    let runs_dir = index.storage().root().join("runs");
    match mode {
        WatchMode::Native => {
            match start::<RecommendedWatcher>(&runs_dir, index.clone(), notify::Config::default()) {
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
            start::<PollWatcher>(&runs_dir, index, config).map(StorageWatcher::Poll)
        }
    }
}

fn start<W: notify::Watcher>(
    runs_dir: &Path,
    index: Arc<Index>,
    notify_config: notify::Config,
) -> notify::Result<Debouncer<W>> {
    // Without batch mode each file's change is delivered when its own quiet period ends, instead of with a batch
    // up to twice the timeout later.
    let config = Config::default()
        .with_timeout(DEBOUNCE)
        .with_batch_mode(false)
        .with_notify_config(notify_config);
    let rescan_index = index.clone();
    let mut debouncer =
        new_debouncer_opt::<_, W>(config, move |result: DebounceEventResult| match result {
            Ok(events) => {
                let ids: BTreeSet<_> = events
                    .iter()
                    .filter_map(|e| e.path.file_name())
                    .filter_map(|name| run_id_from_file_name(&name.to_string_lossy()))
                    .collect();
                for id in ids {
                    index.refresh_run(id);
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "watcher error; rescanning the storage");
                if let Err(e) = index.rescan() {
                    tracing::error!(error = %e, "rescan failed");
                }
            }
        })?;
    debouncer
        .watcher()
        .watch(runs_dir, RecursiveMode::NonRecursive)?;
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

/// Notices the storage directory being deleted (every run leaves the list, the loss is reported) and coming back
/// (indexed again, watched anew), by checking the identity of `runs/` every half second. Owns the watcher.
pub async fn supervise(index: Arc<Index>, mode: WatchMode, watcher: StorageWatcher) {
    use std::os::unix::fs::MetadataExt;
    // Kept until the task ends (replaced when the storage comes back).
    let mut _watcher = watcher;
    let root = index.storage().root().to_path_buf();
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
