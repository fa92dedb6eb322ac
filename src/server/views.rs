//! Reduced views of results, kept for the next request that wants the same one: zooming back into a range
//! already seen, another page or client drawing the same plot, the compare page's runs drawn again after an
//! event. A reduction reads every value of a result (a 10⁷-point series is 160 MB of `.npy`); the view it makes
//! is what one canvas shows (tens of kilobytes), so keeping views is cheap and answering from them is a lookup.
//!
//! A view is keyed by the result file's `Stamp` besides the request: a result written again under the same id
//! (or deleted) no longer matches, so a kept view is never stale. The cache is bounded by the views' encoded
//! size and evicts the least useful first (`quick_cache`'s CLOCK-Pro).
//!
//! A long 1-D result or a large heatmap read from array files gets a pyramid (`storage::pyramid`) on its
//! first view, kept here too (`server::pyramids`: bounded by size, keyed by the result file's `Stamp` like the
//! views): every later view of it, at any zoom or width, is made from the pyramid and a few leaves or cells
//! of its files instead of every value.
//!
//! A growing result (docs/storage-format.md) is kept whole as well, with the number of chunks read into it: a
//! request after an append reads only the new chunks, and its views are keyed by that number too.

use std::borrow::Cow;
use std::sync::Arc;

use quick_cache::sync::Cache;
use quick_cache::Weighter;

use super::pyramids::{Pyramids, PYRAMID_CACHE_BYTES};
use crate::error::AppError;
use crate::model::{ResultId, ResultPayload};
use crate::plots::pyramid::GrowingPyramid;
use crate::plots::view::{PlotData, Zoom};
use crate::storage::{AsgardStorage, Stamp};

/// How many bytes of views a monitor keeps: ~800 views of a 1-D series at 1,152 columns, or ~10 full-width
/// grids.
pub const VIEW_CACHE_BYTES: u64 = 64 << 20;

/// What a view was asked for with, and the version of the result it was made from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    id: ResultId,
    stamp: Stamp,
    columns: usize,
    /// The x and y ranges' bits: a zoom asks again for exactly the ranges it asked for before.
    zoom: [Option<(u64, u64)>; 2],
    time_index: Option<usize>,
    /// How many chunks of a growing result it was made from.
    chunks: u64,
}

/// A growing result as read so far.
struct Grown {
    stamp: Stamp,
    chunks: u64,
    payload: Arc<ResultPayload>,
}

/// How many growing results are kept whole.
const GROWN_KEPT: usize = 32;
/// How many results are remembered as not growing (by the version of their file), so that a view of one
/// reads no result file before the cache is asked.
const PLAIN_KEPT: usize = 65_536;

/// A kept view and its encoded size, weighed once when kept.
#[derive(Clone)]
struct Kept {
    view: Arc<PlotData>,
    bytes: u64,
}

#[derive(Clone)]
struct BySize;

impl Weighter<Key, Kept> for BySize {
    fn weight(&self, _key: &Key, kept: &Kept) -> u64 {
        kept.bytes.max(1)
    }
}

/// Where a growing result's pyramid stands.
enum Growing {
    /// Too few rows yet.
    NotYet,
    Pyramid(Box<GrowingPyramid>),
    /// It cannot have one (its x is not sorted, or its fields are not what the plot draws) until its file
    /// changes: its views do not try again.
    Never,
}

/// The kept views, shared by every request.
pub struct ViewCache {
    views: Cache<Key, Kept, BySize>,
    pyramids: Pyramids,
    /// The pyramids of growing results, extended as they grow.
    growing: std::sync::Mutex<std::collections::HashMap<ResultId, (Stamp, Growing)>>,
    grown: std::sync::Mutex<std::collections::HashMap<ResultId, Grown>>,
    /// One request at a time reads a growing result's new chunks and makes its view (`turn`).
    turns: std::sync::Mutex<std::collections::HashMap<ResultId, Arc<std::sync::Mutex<()>>>>,
    plain: std::sync::Mutex<std::collections::HashMap<ResultId, Stamp>>,
}

impl ViewCache {
    /// A cache holding up to `bytes` of encoded views.
    pub fn new(bytes: u64) -> Self {
        Self {
            // The estimate only sizes the table: a 1-D view is ~80 KB.
            views: Cache::with_weighter((bytes / 80_000).max(16) as usize, bytes, BySize),
            pyramids: Pyramids::new(PYRAMID_CACHE_BYTES),
            growing: Default::default(),
            grown: Default::default(),
            turns: Default::default(),
            plain: Default::default(),
        }
    }

    /// How many views are kept.
    pub fn len(&self) -> usize {
        self.views.len()
    }

    pub fn is_empty(&self) -> bool {
        self.views.is_empty()
    }

    /// The view of result `id` as `plots::reduce::reduce_for_view` makes it, from the cache when the same view
    /// of the same version of the result was made before. Blocking: call it from the blocking pool.
    pub fn view(
        &self,
        storage: &AsgardStorage,
        id: ResultId,
        columns: usize,
        zoom: impl Into<Zoom>,
        time_index: Option<usize>,
    ) -> Result<PlotData, AppError> {
        let zoom = zoom.into();
        // A result without a file is an error `reduce` reports; nothing to key it by.
        let Some(stamp) = storage.result_stamp(id) else {
            return crate::plots::reduce::reduce_for_view(
                Cow::Owned(storage.get_result(id)?),
                columns,
                zoom,
                time_index,
            )
            .map_err(AppError::Damaged);
        };
        let turn = self.turn(id, stamp);
        let _turn = turn
            .as_ref()
            .map(|t| t.lock().unwrap_or_else(|e| e.into_inner()));
        let grown = self.grown(storage, id, stamp)?;
        self.view_of(storage, id, (stamp, grown), columns, zoom, time_index)
    }

    /// [`Self::view`] of a result whose file has version `stamp` and, when it grows, is `grown` now.
    fn view_of(
        &self,
        storage: &AsgardStorage,
        id: ResultId,
        (stamp, grown): (Stamp, Option<(Arc<ResultPayload>, u64)>),
        columns: usize,
        zoom: Zoom,
        time_index: Option<usize>,
    ) -> Result<PlotData, AppError> {
        if let Some((_, 0)) = grown {
            return Err(AppError::NoRowsYet(format!(
                "result {id} is growing and has no rows yet: its plot waits for the first"
            )));
        }
        let reduce = || -> Result<PlotData, AppError> {
            let from_pyramid = match &grown {
                None => self.pyramid_view(storage, id, stamp, columns, zoom),
                Some((payload, _)) => self.growing_view(id, stamp, payload, columns, zoom.x),
            };
            if let Some(view) = from_pyramid {
                return Ok(view);
            }
            // A growing result is read where it is kept (a copy of 10⁷ points costs more than its reduction).
            let payload = match &grown {
                Some((payload, _)) => Cow::Borrowed(payload.as_ref()),
                None => Cow::Owned(storage.get_result(id)?),
            };
            crate::plots::reduce::reduce_for_view(payload, columns, zoom, time_index)
                .map_err(AppError::Damaged)
        };
        let bits = |range: Option<(f64, f64)>| range.map(|(lo, hi)| (lo.to_bits(), hi.to_bits()));
        let key = Key {
            id,
            stamp,
            columns,
            zoom: [bits(zoom.x), bits(zoom.y)],
            time_index,
            chunks: grown.as_ref().map_or(0, |(_, chunks)| *chunks),
        };
        let kept = self.views.get_or_insert_with(&key, || {
            let view = reduce()?;
            let bytes = postcard::experimental::serialized_size(&view).unwrap_or(0) as u64;
            Ok::<_, AppError>(Kept {
                view: Arc::new(view),
                bytes,
            })
        })?;
        Ok(PlotData::clone(&kept.view))
    }

    /// The view made from the result's pyramid, built on its first view; `None` when it has none (or it cannot
    /// be read: the full data's reduction then says what is wrong).
    fn pyramid_view(
        &self,
        storage: &AsgardStorage,
        id: ResultId,
        stamp: Stamp,
        columns: usize,
        zoom: Zoom,
    ) -> Option<PlotData> {
        let pyramid = self.pyramids.get(storage, id, stamp)?;
        pyramid
            .view(storage, columns, zoom)
            .inspect_err(|e| tracing::warn!("result {id}: its pyramid's view failed: {e}"))
            .ok()
            .flatten()
    }

    /// The view made from the pyramid of a growing result, made on its first view with enough rows and
    /// extended to the rows `payload` has now; `None` when it has none (the full reduction then makes the view).
    fn growing_view(
        &self,
        id: ResultId,
        stamp: Stamp,
        payload: &ResultPayload,
        columns: usize,
        view: Option<(f64, f64)>,
    ) -> Option<PlotData> {
        let mut growing = self.growing.lock().unwrap_or_else(|e| e.into_inner());
        if growing.len() >= GROWN_KEPT && !growing.contains_key(&id) {
            growing.clear();
        }
        let (kept_stamp, state) = growing.entry(id).or_insert((stamp, Growing::NotYet));
        if *kept_stamp != stamp {
            (*kept_stamp, *state) = (stamp, Growing::NotYet);
        }
        match state {
            Growing::Pyramid(p) => {
                if !p.update(payload) {
                    *state = Growing::Never;
                }
            }
            Growing::NotYet => {
                *state = match GrowingPyramid::of(payload) {
                    Ok(p) => Growing::Pyramid(Box::new(p)),
                    Err(true) => Growing::NotYet,
                    Err(false) => Growing::Never,
                }
            }
            Growing::Never => {}
        }
        let Growing::Pyramid(pyramid) = state else {
            return None;
        };
        pyramid
            .view(payload, columns, view)
            .inspect_err(|e| tracing::warn!("result {id}: its growing pyramid's view failed: {e}"))
            .ok()
    }

    /// The view of a growing 1-D result `width` wide on its x axis that ends at its newest point (a zoomed plot
    /// that follows the tail), and the x range it shows; the whole view when there is no such point.
    pub fn following(
        &self,
        storage: &AsgardStorage,
        id: ResultId,
        columns: usize,
        width: f64,
        time_index: Option<usize>,
    ) -> Result<(PlotData, Option<(f64, f64)>), AppError> {
        let Some(stamp) = storage.result_stamp(id) else {
            return Ok((self.view(storage, id, columns, None, time_index)?, None));
        };
        // The growing result is read once, for where it ends and for its view.
        let turn = self.turn(id, stamp);
        let _turn = turn
            .as_ref()
            .map(|t| t.lock().unwrap_or_else(|e| e.into_inner()));
        let grown = self.grown(storage, id, stamp)?;
        let last = match &grown {
            Some((payload, _)) => crate::plots::reduce::last_x(payload),
            None => crate::plots::reduce::last_x(&storage.get_result(id)?),
        };
        let window = last
            .filter(|_| width.is_finite() && width > 0.0)
            .map(|last| (last - width, last));
        let view = self.view_of(
            storage,
            id,
            (stamp, grown),
            columns,
            window.into(),
            time_index,
        )?;
        Ok((view, window))
    }

    /// The turn to take before reading result `id` (at version `stamp`) and making a view of it, unless it is
    /// known not to grow: one request at a time reads a growing result's new chunks and makes its view, the
    /// others wait and take what it read and made (fifty pages asking after an append would otherwise each
    /// read the whole result again, or copy it to grow it while another request's view reads it).
    fn turn(&self, id: ResultId, stamp: Stamp) -> Option<Arc<std::sync::Mutex<()>>> {
        if self
            .plain
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
            == Some(&stamp)
        {
            return None;
        }
        let mut turns = self.turns.lock().unwrap_or_else(|e| e.into_inner());
        if turns.len() >= 4 * GROWN_KEPT {
            turns.retain(|_, turn| Arc::strong_count(turn) > 1);
        }
        Some(turns.entry(id).or_default().clone())
    }

    /// A growing result as it is now, with how many chunks it has, read from where it was read last time;
    /// `None` for a result that does not grow. Call it holding the result's [`Self::turn`].
    fn grown(
        &self,
        storage: &AsgardStorage,
        id: ResultId,
        stamp: Stamp,
    ) -> Result<Option<(Arc<ResultPayload>, u64)>, AppError> {
        let plain = || self.plain.lock().unwrap_or_else(|e| e.into_inner());
        if plain().get(&id) == Some(&stamp) {
            return Ok(None);
        }
        let lock = || self.grown.lock().unwrap_or_else(|e| e.into_inner());
        let known = lock()
            .get(&id)
            .filter(|g| g.stamp == stamp)
            .map(|g| (g.payload.clone(), g.chunks));
        let (payload, chunks) = match known {
            Some((payload, chunks)) => {
                let rows = storage.read_rows(id, chunks)?;
                if rows.next == chunks {
                    return Ok(Some((payload, chunks)));
                }
                let next = rows.next;
                // Taken out of the cache so that, unless a view is being made from it right now, it is the
                // only reference and grows in place (a copy of a 10⁷-point result costs ~80 ms).
                let mut payload = payload;
                let taken = lock().remove(&id);
                drop(taken);
                storage.grow(Arc::make_mut(&mut payload), rows)?;
                (payload, next)
            }
            None => {
                let record = storage.read_result(id)?;
                if record.growing.is_none() {
                    let mut plain = plain();
                    if plain.len() >= PLAIN_KEPT {
                        plain.clear();
                    }
                    plain.insert(id, stamp);
                    return Ok(None);
                }
                let (payload, chunks) = storage.growing_payload(id, record)?;
                (Arc::new(payload), chunks)
            }
        };
        let mut grown = lock();
        if grown.len() >= GROWN_KEPT && !grown.contains_key(&id) {
            grown.clear();
        }
        grown.insert(
            id,
            Grown {
                stamp,
                chunks,
                payload: payload.clone(),
            },
        );
        Ok(Some((payload, chunks)))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::ResultType;
    use crate::storage::pyramid::ResultPyramid;
    use crate::storage::DataValue;

    /// A `Solution1D` of `x` and `y` in a run of its own.
    fn solution1d(storage: &AsgardStorage, x: Vec<f64>, y: Vec<f64>) -> ResultId {
        let run = storage.create_run("cache", None, None).unwrap();
        storage
            .add_result(
                run.id,
                ResultType::Solution1D,
                [
                    ("x".to_owned(), DataValue::from(x)),
                    ("computed".to_owned(), DataValue::from(y)),
                ],
                json!({}),
            )
            .unwrap()
    }

    fn series(storage: &AsgardStorage, scale: f64) -> ResultId {
        let x: Vec<f64> = (0..10_000).map(f64::from).collect();
        let y: Vec<f64> = x.iter().map(|v| v * scale).collect();
        solution1d(storage, x, y)
    }

    #[test]
    fn the_same_view_is_answered_from_the_cache_and_a_rewritten_result_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let storage = AsgardStorage::open(dir.path()).unwrap();
        let id = series(&storage, 1.0);
        let cache = ViewCache::new(VIEW_CACHE_BYTES);

        let first = cache
            .view(&storage, id, 256, Some((10.0, 500.0)), None)
            .unwrap();
        assert_eq!(cache.len(), 1);
        let again = cache
            .view(&storage, id, 256, Some((10.0, 500.0)), None)
            .unwrap();
        assert_eq!(first, again);
        assert_eq!(cache.len(), 1, "the same view is not made twice");
        cache.view(&storage, id, 256, None, None).unwrap();
        cache
            .view(&storage, id, 512, Some((10.0, 500.0)), None)
            .unwrap();
        assert_eq!(cache.len(), 3, "another range or width is another view");

        // The result file replaced under the same id (a new inode): the kept views no longer match.
        let other = series(&storage, 2.0);
        std::fs::rename(storage.result_path(other), storage.result_path(id)).unwrap();
        let rewritten = cache.view(&storage, id, 256, Some((10.0, 500.0)), None);
        // The array files belong to the other id, so the replaced file is damaged for this one, which shows
        // that it was read again rather than answered from the cache.
        assert!(
            rewritten.as_ref().map_or(true, |v| *v != first),
            "{rewritten:?}"
        );

        // A deleted result is not found, whatever was kept.
        std::fs::remove_file(storage.result_path(id)).unwrap();
        assert!(matches!(
            cache.view(&storage, id, 512, Some((10.0, 500.0)), None),
            Err(AppError::NotFound(_))
        ));
    }

    #[test]
    fn a_long_series_is_viewed_from_its_pyramid_built_on_the_first_view() {
        let dir = tempfile::tempdir().unwrap();
        let storage = AsgardStorage::open(dir.path()).unwrap();
        let n: usize = 200_000;
        let x: Vec<f64> = (0..n).map(|i| i as f64 * 0.5).collect();
        let mut y: Vec<f64> = x.iter().map(|v| (v * 1e-3).sin()).collect();
        y[123_456] = 50.0;
        let id = solution1d(&storage, x, y);
        let cache = ViewCache::new(VIEW_CACHE_BYTES);
        let stamp = storage.result_stamp(id).unwrap();
        assert_eq!(cache.pyramids.bytes(), 0);
        let view = cache.view(&storage, id, 1_000, None, None).unwrap();
        assert!(cache.pyramids.bytes() > 0, "built on the first view");
        let kept = cache.pyramids.get(&storage, id, stamp).expect("a pyramid");
        assert!(matches!(&*kept, ResultPyramid::Line(p) if p.rows() == n));
        let want = crate::plots::reduce::reduce_for_view(
            Cow::Owned(storage.get_result(id).unwrap()),
            1_000,
            None,
            None,
        )
        .unwrap();
        let bands = |v: &PlotData| {
            v.columns()
                .and_then(|c| c.bands.get("computed"))
                .map(|(lo, hi)| (lo.to_vec(), hi.to_vec()))
        };
        assert_eq!(bands(&view), bands(&want));
        assert!(
            bands(&view).unwrap().1.contains(&50.0),
            "the spike survives"
        );

        // Zoomed, from the same pyramid: its raw leaves are read from the array file, so one gone is an error.
        let zoomed = cache
            .view(&storage, id, 500, Some((100.0, 90_000.0)), None)
            .unwrap();
        assert_eq!(zoomed.columns().map(|c| c.points), Some(179_801));
        for entry in std::fs::read_dir(dir.path().join("files")).unwrap() {
            std::fs::remove_file(entry.unwrap().path()).unwrap();
        }
        assert!(cache.view(&storage, id, 640, None, None).is_err());
    }

    #[test]
    fn the_cache_stays_within_its_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let storage = AsgardStorage::open(dir.path()).unwrap();
        let id = series(&storage, 1.0);
        let one = postcard::experimental::serialized_size(
            &ViewCache::new(VIEW_CACHE_BYTES)
                .view(&storage, id, 1024, None, None)
                .unwrap(),
        )
        .unwrap() as u64;
        let cache = ViewCache::new(one * 4);
        for k in 0..40 {
            let lo = f64::from(k);
            cache
                .view(&storage, id, 1024, Some((lo, lo + 5_000.0)), None)
                .unwrap();
        }
        assert!(
            (1..=5).contains(&cache.len()),
            "{} views kept in room for about 4",
            cache.len()
        );
    }
}
