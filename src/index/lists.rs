//! The lists the index answers: every run newest first (sorted once per change, encoded on demand), and query answers.

use std::sync::Arc;

use super::{encoded, Entry, Index, Listing, Runs};
use crate::model::{RunId, RunSummary};
use crate::query::{compare_cells, sort_cells, Cell, Expr, SortKey};

/// How many queries' answers the index keeps until the next change.
const QUERIES_KEPT: usize = 16;

/// From how many runs a query scans them on every core.
const PARALLEL_SCAN: usize = 8_192;

impl Index {
    /// Every run, newest first: made once per change, from the last order with the runs changed since placed
    /// again (a full sort after many changes).
    pub fn listing(&self) -> Arc<Listing> {
        if let Some(listing) = self
            .listing
            .lock()
            .expect("listing lock poisoned")
            .current
            .clone()
        {
            return listing;
        }
        // Made and stored under the read lock, so no change can slip in between (changes take the write lock).
        let runs = self.runs.read().expect("index lock poisoned");
        let mut cache = self.listing.lock().expect("listing lock poisoned");
        if let Some(listing) = cache.current.clone() {
            return listing;
        }
        let ids = match cache.stale.take() {
            // Placing each changed run costs a binary search and a shift of the list: for many, sort.
            Some((last, changed)) if changed.len() * 8 <= last.runs.len().max(64) => {
                reorder(&last.runs, &changed, &runs)
            }
            _ => {
                let mut entries: Vec<&Entry> = runs.entries().iter().collect();
                entries.sort_by(|a, b| {
                    b.sort_key
                        .cmp(&a.sort_key)
                        .then_with(|| b.summary.id.cmp(&a.summary.id))
                });
                entries.iter().map(|e| e.summary.id).collect()
            }
        };
        let listing = Arc::new(Listing {
            runs: ids,
            groups: Default::default(),
            json: Default::default(),
            gzip: Default::default(),
        });
        cache.current = Some(listing.clone());
        listing
    }

    /// Every run's row, newest first, as the JSON of `/api/runs` (gzipped if asked), and how many runs that is.
    /// Each form is made on the first request for it after a change and shared until the next; making it costs
    /// what changed (`encoded.rs`: each run's row is encoded once, the rows are kept in groups of 256 runs, and
    /// a change makes — and, for gzip, recompresses — only the groups it touched). The plain body is the
    /// groups' texts, sent one after the other; the gzip body one buffer of the compressed groups joined.
    pub fn listing_body(&self, gzipped: bool) -> (encoded::Body, usize) {
        loop {
            let listing = self.listing();
            // Under the read lock no change can happen, so a listing still current matches the index's rows.
            let runs = self.runs.read().expect("index lock poisoned");
            let current = self
                .listing
                .lock()
                .expect("listing lock poisoned")
                .current
                .as_ref()
                .is_some_and(|l| Arc::ptr_eq(l, &listing));
            if !current {
                continue;
            }
            let groups = listing
                .groups
                .get_or_init(|| self.groups.of(&listing.runs, &runs));
            let body = if gzipped {
                listing.gzip.get_or_init(|| encoded::gzip(groups))
            } else {
                listing.json.get_or_init(|| encoded::json(groups))
            };
            return (body.clone(), listing.runs.len());
        }
    }

    /// `limit` runs from the `offset`th, newest first, and how many runs there are in all.
    pub fn page(&self, offset: usize, limit: usize) -> (Vec<RunSummary>, usize) {
        let listing = self.listing();
        let ids = listing.runs.as_slice();
        let start = offset.min(ids.len());
        let end = start.saturating_add(limit).min(ids.len());
        let runs = self.runs.read().expect("index lock poisoned");
        let page = ids[start..end]
            .iter()
            .filter_map(|id| runs.get(id).map(|e| e.summary.clone()))
            .collect();
        (page, ids.len())
    }

    /// [`Index::query`] on a blocking thread: a new query over a large index takes milliseconds of CPU on every
    /// core, which must not stall the async workers that serve everything else.
    pub async fn query_blocking(
        self: Arc<Self>,
        query: Expr,
        sort: Vec<SortKey>,
        (offset, limit): (usize, usize),
        now: i64,
    ) -> Result<(Vec<RunSummary>, usize), tokio::task::JoinError> {
        tokio::task::spawn_blocking(move || self.query(&query, &sort, offset, limit, now)).await
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
        let ids = self.matching_ids(&runs, query, sort, now);
        let page = ids
            .iter()
            .skip(offset)
            .take(limit)
            .filter_map(|id| runs.get(id).map(|e| e.summary.clone()))
            .collect();
        (page, ids.len())
    }

    /// The ids of the runs `query` matches in the order of `sort`: from the cache of recent answers, or found
    /// (and kept) now. `runs` is the index's read guard, held by the caller for as long as it uses the ids.
    pub(super) fn matching_ids(
        &self,
        runs: &Runs,
        query: &Expr,
        sort: &[SortKey],
        now: i64,
    ) -> Arc<Vec<RunId>> {
        let key = (!query.is_relative()).then(|| format!("{query}\u{0}{sort:?}"));
        let cached = key.as_ref().and_then(|key| {
            let queries = self.queries.lock().expect("query cache lock poisoned");
            queries
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, ids)| ids.clone())
        });
        if let Some(ids) = cached {
            return ids;
        }
        let ids = Arc::new(Self::matching(runs, query, sort, now));
        if let Some(key) = key {
            // Changes take the `runs` write lock and empty the cache under it: while the caller holds the read
            // lock, what is stored here is current.
            let mut queries = self.queries.lock().expect("query cache lock poisoned");
            if queries.len() == QUERIES_KEPT {
                queries.remove(0);
            }
            queries.push((key, ids.clone()));
        }
        ids
    }

    /// The ids of the runs `query` matches, in the order of `sort` (ties newest first).
    fn matching<'a>(runs: &'a Runs, query: &Expr, sort: &[SortKey], now: i64) -> Vec<RunId> {
        // Each match's sort values are taken once, not at every comparison. A large index is scanned on every
        // core.
        let entries = runs.entries();
        type Matches<'a> = Vec<(&'a Entry, Vec<Option<Cell<'a>>>)>;
        let scan = |part: &'a [Entry]| -> Matches<'a> {
            part.iter()
                .filter_map(|e| {
                    let r = runs.row(e);
                    query.matches(&r, now).then(|| (e, sort_cells(&r, sort)))
                })
                .collect()
        };
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut matching = if threads > 1 && entries.len() >= PARALLEL_SCAN {
            std::thread::scope(|scope| {
                let parts: Vec<_> = entries
                    .chunks(entries.len().div_ceil(threads))
                    .map(|part| scope.spawn(move || scan(part)))
                    .collect();
                parts
                    .into_iter()
                    .flat_map(|p| p.join().expect("query scan thread"))
                    .collect()
            })
        } else {
            scan(entries)
        };
        matching.sort_unstable_by(|(a, ca), (b, cb)| {
            compare_cells(ca, cb, sort)
                .then_with(|| b.sort_key.cmp(&a.sort_key))
                .then_with(|| b.summary.id.cmp(&a.summary.id))
        });
        matching.into_iter().map(|(e, _)| e.summary.id).collect()
    }
}

/// The order `before` (newest first) with the runs in `changed` taken out and those still in `runs` put back
/// where they now belong: O(changed × log n) lookups and one pass over the list.
fn reorder(
    before: &[RunId],
    changed: &std::collections::HashSet<RunId>,
    runs: &Runs,
) -> Vec<RunId> {
    let key = |id: &RunId| runs.get(id).map(|e| (e.sort_key, e.summary.id));
    let mut ids: Vec<RunId> = before
        .iter()
        .filter(|id| !changed.contains(id))
        .copied()
        .collect();
    for id in changed {
        if let Some(k) = key(id) {
            let at = ids.partition_point(|x| key(x) > Some(k));
            ids.insert(at, *id);
        }
    }
    ids
}
