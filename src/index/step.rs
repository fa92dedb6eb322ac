//! Stepping through a sweep from a run page: the run one value further along a metadata key, the others as
//! close to the same as the sweep has them.

use std::cmp::Ordering;

use super::Index;
use crate::model::RunId;
use crate::query::{lookup, Scalar};

/// Two values of one key in order: numbers by value, text by text, `false` before `true`; values of different
/// kinds do not compare.
fn order(a: &Scalar, b: &Scalar) -> Option<Ordering> {
    match (a, b) {
        (Scalar::Number(x), Scalar::Number(y)) => x.partial_cmp(y),
        (Scalar::Text(x), Scalar::Text(y)) => Some(x.cmp(y)),
        (Scalar::Bool(x), Scalar::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

impl Index {
    /// The run whose value of the metadata key `key` comes next after `id`'s (`forward`; the one before
    /// otherwise) and which, among the runs with that value, shares the most other metadata values with `id`
    /// (results such as an error differ from run to run, so "the same other parameters" is the closest match);
    /// the newest on a tie. `None` when `id` has no such key or is at the end.
    pub fn step(&self, id: RunId, key: &str, forward: bool) -> Option<RunId> {
        let runs = self.runs.read().expect("index lock poisoned");
        let key = runs.symbols.key(key)?;
        let mine = runs.meta(runs.get(&id)?);
        let here = lookup(mine, key)?;
        let wanted = if forward {
            Ordering::Greater
        } else {
            Ordering::Less
        };
        // The best so far: its value, how many values it shares, its time, its id.
        let mut best: Option<(&Scalar, usize, i64, RunId)> = None;
        for (entry, other) in runs.entries().iter().zip(runs.ids()) {
            let theirs = runs.meta(entry);
            let Some(value) = lookup(theirs, key) else {
                continue;
            };
            if *other == id || order(value, here) != Some(wanted) {
                continue;
            }
            let shared = mine
                .iter()
                .filter(|(k, v)| *k != key && lookup(theirs, *k) == Some(v))
                .count();
            let better = match &best {
                None => true,
                Some((v, s, time, _)) => {
                    // Nearer along the key first, then more alike, then newer.
                    let nearer = order(value, v).map(|o| if forward { o } else { o.reverse() });
                    match nearer {
                        Some(Ordering::Less) => true,
                        Some(Ordering::Equal) => (shared, entry.sort_key) > (*s, *time),
                        _ => false,
                    }
                }
            };
            if better {
                best = Some((value, shared, entry.sort_key, *other));
            }
        }
        best.map(|(_, _, _, run)| run)
    }
}
