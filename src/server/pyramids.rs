//! The pyramids of long 1-D results and large heatmaps (`storage::pyramid`), kept between views: made on a result's first view,
//! once however many requests ask at the same time, keyed by the result file's `Stamp` (a result written again
//! under the same id gets a new one), and the least recently used dropped beyond a size in bytes. One pyramid
//! may take most of the room (a 10⁸-point `Solution1D`'s takes ~25 MB), which a sharded cache would refuse.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use crate::model::ResultId;
use crate::storage::pyramid::ResultPyramid;
use crate::storage::{AsgardStorage, Stamp};

/// How many bytes of pyramids a monitor keeps: the pyramids of a 10⁸-point `Solution1D` with `expected` (four
/// trees: x, computed, expected and their error) take ~25 MB, of 10⁷ points ~10 MB; a 4096² heatmap's 43 MB.
pub const PYRAMID_CACHE_BYTES: usize = 96 << 20;

/// How many results are remembered (most of them as having no pyramid).
const RESULTS_KEPT: usize = 65_536;

/// A result's pyramid (`None`: it has none), made by the first request that asks.
type Slot = Arc<OnceLock<Option<Arc<ResultPyramid>>>>;

/// The kept pyramids.
pub struct Pyramids {
    bytes: usize,
    kept: Mutex<Kept>,
}

#[derive(Default)]
struct Kept {
    slots: HashMap<(ResultId, Stamp), (Slot, u64)>,
    /// Counts uses, for the least recently used.
    clock: u64,
}

impl Pyramids {
    /// Keeping up to `bytes` of pyramids.
    pub fn new(bytes: usize) -> Self {
        Self {
            bytes,
            kept: Mutex::new(Kept::default()),
        }
    }

    fn kept(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The pyramid of result `id` at version `stamp`, made now if it was not (a request that asks meanwhile
    /// waits for it); `None` when the result has none, or it could not be made (the full data's reduction then
    /// reports why). Blocking: call it from the blocking pool.
    pub fn get(
        &self,
        storage: &AsgardStorage,
        id: ResultId,
        stamp: Stamp,
    ) -> Option<Arc<ResultPyramid>> {
        let slot = {
            let mut kept = self.kept();
            kept.clock += 1;
            let now = kept.clock;
            if kept.slots.len() >= RESULTS_KEPT && !kept.slots.contains_key(&(id, stamp)) {
                kept.slots.clear();
            }
            let (slot, used) = kept.slots.entry((id, stamp)).or_default();
            *used = now;
            slot.clone()
        };
        let made = slot.get().is_none();
        let pyramid = slot
            .get_or_init(|| match storage.pyramid(id) {
                Ok(pyramid) => pyramid.map(Arc::new),
                Err(e) => {
                    tracing::warn!("result {id}: no pyramid: {e}");
                    None
                }
            })
            .clone();
        if made {
            self.evict(id, stamp);
        }
        pyramid
    }

    /// Drops the least recently used pyramids (not the one just made) until the rest fit.
    fn evict(&self, id: ResultId, stamp: Stamp) {
        let mut kept = self.kept();
        let size = |slot: &Slot| slot.get().and_then(Option::as_ref).map_or(0, |p| p.bytes());
        let mut total: usize = kept.slots.values().map(|(slot, _)| size(slot)).sum();
        while total > self.bytes {
            let Some((key, (slot, _))) = kept
                .slots
                .iter()
                .filter(|(key, (slot, _))| **key != (id, stamp) && size(slot) > 0)
                .min_by_key(|(_, (_, used))| *used)
            else {
                break;
            };
            let (key, bytes) = (*key, size(slot));
            total -= bytes;
            kept.slots.remove(&key);
        }
    }

    /// The bytes of the pyramids kept.
    pub fn bytes(&self) -> usize {
        self.kept()
            .slots
            .values()
            .filter_map(|(slot, _)| slot.get().cloned().flatten())
            .map(|p| p.bytes())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::ResultType;
    use crate::storage::DataValue;

    #[test]
    fn the_least_recently_used_pyramid_goes_when_the_room_is_full() {
        let dir = tempfile::tempdir().unwrap();
        let storage = AsgardStorage::open(dir.path()).unwrap();
        let run = storage.create_run("kept", None, None).unwrap();
        let n = crate::storage::pyramid::PYRAMID_FROM * 2;
        let ids: Vec<ResultId> = (0..3)
            .map(|k| {
                let values: Vec<f64> = (0..n).map(|i| (i * (k + 1)) as f64).collect();
                storage
                    .add_result(
                        run.id,
                        ResultType::DiscreteSequence,
                        [("values".to_owned(), DataValue::from(values))],
                        json!({}),
                    )
                    .unwrap()
            })
            .collect();
        let stamp = |id| storage.result_stamp(id).unwrap();
        let one = storage.line_pyramid(ids[0]).unwrap().unwrap().bytes();
        // Room for two.
        let pyramids = Pyramids::new(one * 2 + one / 2);
        for &id in &ids[..2] {
            assert!(pyramids.get(&storage, id, stamp(id)).is_some());
        }
        assert_eq!(pyramids.bytes(), 2 * one);
        // The first used again, then a third: the second, least recently used, goes.
        pyramids.get(&storage, ids[0], stamp(ids[0]));
        pyramids.get(&storage, ids[2], stamp(ids[2]));
        assert_eq!(pyramids.bytes(), 2 * one);
        let kept = pyramids.kept();
        let has = |id| {
            kept.slots
                .get(&(id, stamp(id)))
                .is_some_and(|(slot, _)| slot.get().is_some_and(Option::is_some))
        };
        assert!(has(ids[0]) && has(ids[2]) && !has(ids[1]));
    }
}
