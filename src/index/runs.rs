//! The table of runs the index holds: entries in one array (so a query scans memory in order), found by id
//! through a map, and every entry's metadata in one more array of (key, value) pairs, in the same order.

use std::collections::HashMap;

use super::Entry;
use crate::model::RunId;
use crate::query::{Key, Pairs, Row, Scalar, Symbols};

/// Below this many stale pairs, the pairs array is never compacted.
const MIN_GARBAGE: usize = 4_096;

#[derive(Default)]
pub(super) struct Runs {
    entries: Vec<Entry>,
    /// `ids[slot]` is the id of `entries[slot]`.
    ids: Vec<RunId>,
    slots: HashMap<RunId, usize>,
    /// Each entry's metadata is `pairs[entry.meta.0 .. entry.meta.0 + entry.meta.1]`, and its result
    /// statistics the `entry.stats.1` pairs right after them.
    pairs: Vec<(Key, Scalar)>,
    /// How many pairs belong to no entry any more (their run was rewritten or deleted).
    garbage: usize,
    pub symbols: Symbols,
}

impl Runs {
    pub fn get(&self, id: &RunId) -> Option<&Entry> {
        self.slots.get(id).map(|&slot| &self.entries[slot])
    }

    /// Every entry, in the order they are stored.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub fn ids(&self) -> &[RunId] {
        &self.ids
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// An entry's metadata.
    pub fn meta(&self, entry: &Entry) -> &Pairs {
        let (start, len) = entry.meta;
        &self.pairs[start as usize..start as usize + len as usize]
    }

    /// An entry's result statistics and result types.
    pub fn stats(&self, entry: &Entry) -> &Pairs {
        let start = (entry.meta.0 + entry.meta.1) as usize;
        &self.pairs[start..start + entry.stats as usize]
    }

    /// What a query sees of an entry.
    pub fn row<'a>(&'a self, entry: &'a Entry) -> Row<'a> {
        Row {
            summary: &entry.summary,
            meta: self.meta(entry),
            stats: self.stats(entry),
            symbols: &self.symbols,
            created: (entry.sort_key != i64::MIN).then_some(entry.sort_key),
        }
    }

    /// Puts `entry` with its metadata (from [`Symbols::pairs`]) and statistics (from [`Symbols::stat_pairs`])
    /// in the table, in place of the run's previous entry if it had one.
    pub fn put(
        &mut self,
        id: RunId,
        mut entry: Entry,
        pairs: Vec<(Key, Scalar)>,
        stats: Vec<(Key, Scalar)>,
    ) {
        let start = u32::try_from(self.pairs.len()).expect("fewer than 2³² metadata values");
        entry.meta = (start, pairs.len() as u32);
        entry.stats = stats.len() as u32;
        self.pairs.extend(pairs);
        self.pairs.extend(stats);
        match self.slots.get(&id) {
            Some(&slot) => {
                self.garbage += Self::held(&self.entries[slot]);
                self.entries[slot] = entry;
            }
            None => {
                self.slots.insert(id, self.entries.len());
                self.entries.push(entry);
                self.ids.push(id);
            }
        }
        self.compact();
    }

    pub fn remove(&mut self, id: &RunId) -> Option<Entry> {
        let slot = self.slots.remove(id)?;
        let entry = self.entries.swap_remove(slot);
        self.ids.swap_remove(slot);
        // The last entry moved into the freed slot.
        if let Some(&moved) = self.ids.get(slot) {
            self.slots.insert(moved, slot);
        }
        self.garbage += Self::held(&entry);
        self.compact();
        Some(entry)
    }

    /// How many pairs an entry holds.
    fn held(entry: &Entry) -> usize {
        (entry.meta.1 + entry.stats) as usize
    }

    /// Rewrites the pairs array without its stale pairs once they are more than half of it.
    fn compact(&mut self) {
        if self.garbage < MIN_GARBAGE || self.garbage * 2 < self.pairs.len() {
            return;
        }
        let mut pairs = Vec::with_capacity(self.pairs.len() - self.garbage);
        for entry in &mut self.entries {
            let (start, len) = entry.meta;
            let at = pairs.len() as u32;
            let end = start as usize + Self::held(entry);
            pairs.extend_from_slice(&self.pairs[start as usize..end]);
            entry.meta = (at, len);
        }
        self.pairs = pairs;
        self.garbage = 0;
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::summary::RunStats;
    use crate::model::RunSummary;

    fn entry(id: RunId) -> Entry {
        Entry {
            summary: RunSummary {
                id,
                name: String::new(),
                timestamp: String::new(),
                equation: None,
                circuit: None,
                status: None,
                result_count: 0,
                tags: Vec::new(),
                note: None,
                starred: false,
                problem: None,
                progress: None,
            },
            meta: (0, 0),
            stats: 0,
            missing: 0,
            results: Vec::new(),
            sort_key: 0,
            stamp: None,
            row: Default::default(),
        }
    }

    /// Each run's `n` as the table holds it, by id.
    fn ns(runs: &Runs) -> Vec<(RunId, f64)> {
        let n = runs.symbols.key("n").unwrap();
        let error = runs.symbols.key("error.max").unwrap();
        let mut out: Vec<(RunId, f64)> = runs
            .ids()
            .iter()
            .map(|id| {
                let e = runs.get(id).unwrap();
                let stat = crate::query::lookup(runs.stats(e), error);
                match (crate::query::lookup(runs.meta(e), n), stat) {
                    (Some(Scalar::Number(v)), Some(Scalar::Number(s))) if *s == v + 0.5 => {
                        (*id, *v)
                    }
                    other => panic!("{other:?}"),
                }
            })
            .collect();
        out.sort_by_key(|(id, _)| *id);
        out
    }

    #[test]
    fn rewrites_and_deletions_keep_every_runs_metadata_and_statistics_through_compaction() {
        let mut runs = Runs::default();
        let ids: Vec<RunId> = (0..100).map(|_| RunId(uuid::Uuid::new_v4())).collect();
        let mut expected = std::collections::BTreeMap::new();
        for round in 0..200 {
            for (i, &id) in ids.iter().enumerate() {
                if (i + round) % 7 == 0 && runs.get(&id).is_some() {
                    runs.remove(&id);
                    expected.remove(&id);
                    continue;
                }
                let n = (round * 1000 + i) as f64;
                let pairs = runs
                    .symbols
                    .pairs(json!({"n": n, "other": "x"}).as_object().unwrap());
                let stats = runs.symbols.stat_pairs(&RunStats {
                    values: vec![("error.max", Some(n + 0.5))],
                    types: vec![("Solution1D".into(), round)],
                    missing: 0,
                });
                runs.put(id, entry(id), pairs, stats);
                expected.insert(id, n);
            }
        }
        assert!(
            runs.pairs.len() < 4 * MIN_GARBAGE,
            "compacted: {} pairs",
            runs.pairs.len()
        );
        assert_eq!(ns(&runs), expected.into_iter().collect::<Vec<_>>());
        assert_eq!(runs.len(), runs.ids().len());
    }
}
