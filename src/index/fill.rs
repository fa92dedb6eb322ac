//! Result statistics for results written without them (by an older writer, or by a program that writes the
//! format with plain `json` and NumPy): computed in the background, one run at a time, and kept in memory and
//! in the index snapshot (docs/storage-format.md, "Result statistics"). The monitor never writes them into the
//! run file: a writer that adds results without the run's lock (plain `json`) would lose the results it added
//! while the monitor rewrote the file, and a bucket's run files are not the monitor's to rewrite.

use std::collections::{HashMap, HashSet};
use std::sync::{mpsc, Arc, Weak};
use std::time::Instant;

use serde_json::Value;

use super::Index;
use crate::model::{ResultId, RunId};

/// How often, at most, the statistics of a run whose result grows are computed again.
const GROWING_STATS_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// A run whose statistics are wanted, and when (now when `None`).
pub(super) type Wanted = (RunId, Option<Instant>);

impl Index {
    /// Starts the background work: every run indexed so far with results lacking statistics, and from now on
    /// each run that changes and lacks some. It stops when the index is dropped.
    pub fn fill_stats_in_background(self: &Arc<Self>) {
        let (send, receive) = mpsc::channel::<Wanted>();
        let lacking: Vec<RunId> = {
            let runs = self.runs.read().expect("index lock poisoned");
            runs.ids()
                .iter()
                .filter(|id| runs.get(id).is_some_and(|e| e.missing > 0))
                .copied()
                .collect()
        };
        for id in lacking {
            let _ = send.send((id, None));
        }
        *self.to_fill.lock().expect("fill lock poisoned") = Some(send);
        let index: Weak<Self> = Arc::downgrade(self);
        std::thread::Builder::new()
            .name("asgard-stats".into())
            .spawn(move || {
                // Runs asked for at a later time, by when.
                let mut later: HashMap<RunId, Instant> = HashMap::new();
                loop {
                    let first = match later.values().min() {
                        Some(at) => {
                            match receive.recv_timeout(at.saturating_duration_since(Instant::now()))
                            {
                                Ok(wanted) => Some(wanted),
                                Err(mpsc::RecvTimeoutError::Timeout) => None,
                                Err(mpsc::RecvTimeoutError::Disconnected) => return,
                            }
                        }
                        None => match receive.recv() {
                            Ok(wanted) => Some(wanted),
                            Err(_) => return,
                        },
                    };
                    // A run that changes many times in a burst is done once.
                    let now = Instant::now();
                    let mut ids = Vec::new();
                    for (id, at) in first.into_iter().chain(receive.try_iter()) {
                        match at {
                            Some(at) if at > now => {
                                let when = later.entry(id).or_insert(at);
                                *when = (*when).min(at);
                            }
                            _ => ids.push(id),
                        }
                    }
                    later.retain(|id, at| {
                        let due = *at <= now;
                        if due {
                            ids.push(*id);
                        }
                        !due
                    });
                    let mut seen = HashSet::new();
                    ids.retain(|id| seen.insert(*id));
                    let Some(index) = index.upgrade() else { return };
                    for id in ids {
                        index.fill_stats(id);
                    }
                }
            })
            .expect("starting a thread");
    }

    /// Asks the background work to fill in a run's missing statistics, if it runs.
    pub(super) fn want_stats(&self, id: RunId) {
        self.want_stats_at(id, None);
    }

    /// [`Self::want_stats`], at time `at` (now when `None`).
    fn want_stats_at(&self, id: RunId, at: Option<Instant>) {
        if let Some(send) = self.to_fill.lock().expect("fill lock poisoned").as_ref() {
            let _ = send.send((id, at));
        }
    }

    /// Computes the statistics of a run's results that have none in its file, and keeps them. A growing
    /// result has none until it closes: its statistics so far are computed again each time (and the run's next
    /// time is put off by ten times what this took, so that a long series costs a small share of a core).
    pub fn fill_stats(&self, id: RunId) {
        let started = Instant::now();
        let Ok(run) = self.storage.read_run(id) else {
            return;
        };
        let growing = self.growing_results(id);
        let known = |r: &ResultId| !growing.contains(r) && self.computed_stats(*r).is_some();
        let mut entries: Vec<(ResultId, Value)> = Vec::new();
        for &result in run
            .results
            .iter()
            .filter(|&&r| run.stats_of(r).is_none() && !known(&r))
        {
            match self.storage.result_stats(result) {
                Ok(entry) => entries.push((result, entry)),
                Err(e) => tracing::debug!("no statistics for result {result}: {e}"),
            }
        }
        if entries.is_empty() {
            return;
        }
        self.computed
            .write()
            .expect("stats lock poisoned")
            .extend(entries);
        self.apply(id, self.read_entry(id));
        let mut due = self.stats_due.lock().expect("stats lock poisoned");
        if let Some((at, _)) = due.get_mut(&id) {
            *at = Instant::now() + (started.elapsed() * 10).max(GROWING_STATS_EVERY);
        }
    }

    /// Asks for the statistics of a run whose result `result` grew: now, unless they were computed less than
    /// `GROWING_STATS_EVERY` ago (or ten times what computing them took); then once when that has passed, so
    /// that the last rows of a burst are not left out.
    pub(super) fn want_growing_stats(&self, run_id: RunId, result_id: ResultId) {
        let now = Instant::now();
        let later = {
            let mut due = self.stats_due.lock().expect("stats lock poisoned");
            if due.len() >= 4096 && !due.contains_key(&run_id) {
                due.retain(|_, (at, _)| *at > now);
            }
            let (at, results) = due.entry(run_id).or_insert((now, Vec::new()));
            if !results.contains(&result_id) {
                results.push(result_id);
            }
            if *at > now {
                Some(*at)
            } else {
                *at = now + GROWING_STATS_EVERY;
                None
            }
        };
        self.want_stats_at(run_id, later);
    }

    /// The results of run `id` that grew lately (their statistics change with their rows).
    fn growing_results(&self, id: RunId) -> Vec<ResultId> {
        self.stats_due
            .lock()
            .expect("stats lock poisoned")
            .get(&id)
            .map(|(_, results)| results.clone())
            .unwrap_or_default()
    }

    /// A result's statistics computed by [`Self::fill_stats`], if any.
    pub(super) fn computed_stats(&self, result: ResultId) -> Option<Value> {
        self.computed
            .read()
            .expect("stats lock poisoned")
            .get(&result)
            .cloned()
    }
}

impl Index {
    /// A run's details as the storage gives them, with the statistics of results whose files have none: those
    /// computed in the background, or computed now (and kept) for a run whose row came from the snapshot.
    pub fn run_detail(&self, id: RunId) -> crate::storage::Result<crate::model::RunDetail> {
        use crate::model::summary::STATISTICS;
        let mut detail = self.storage.run_detail(id)?;
        for result in detail
            .results
            .iter_mut()
            .filter(|r| r.stats.is_empty() && r.problem.is_none())
        {
            let entry = match self.computed_stats(result.id) {
                Some(entry) => entry,
                None => match self.storage.result_stats(result.id) {
                    Ok(entry) => {
                        self.computed
                            .write()
                            .expect("stats lock poisoned")
                            .insert(result.id, entry.clone());
                        entry
                    }
                    Err(_) => continue,
                },
            };
            let Some(mut stats) = crate::storage::stats::from_entry(&entry) else {
                continue;
            };
            stats
                .values
                .sort_by_key(|(name, _)| STATISTICS.iter().position(|s| s.name == *name));
            result.stats = stats
                .values
                .into_iter()
                .map(|(name, v)| (name.to_owned(), v))
                .collect();
        }
        Ok(detail)
    }
}
