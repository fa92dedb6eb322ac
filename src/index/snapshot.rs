//! A snapshot of the index kept in the storage (`.index/runs.snapshot`), so that a restart reads only the run
//! files that changed since it was written, not all of them (at 100,000 runs: one `stat` per file instead of an
//! open, a read and a JSON parse, which takes the cold start from about 2 s to a fraction of that).
//!
//! Each run's row is kept with the stamp (device, inode, length, modification time) of the file it was read
//! from. Loading puts every run that is still listed in `runs/` into the empty index as the snapshot has it; the
//! scan that follows compares each file's stamp with the one kept and re-reads every file that differs, as it
//! does for the watcher's events. So the snapshot is only ever a shortcut: deleting it, or a damaged or older
//! one, costs the full read and nothing else. The monitor writes it after its first scan, every
//! [`SNAPSHOT_EVERY`] while the index changes, and when it stops; where the storage cannot be written there is
//! none.

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::runs::Runs;
use super::{Entry, Index};
use crate::model::{ResultId, RunId, RunStatus, RunSummary};
use crate::query::{Key, Scalar};
use crate::storage;
use crate::storage::Stamp;

/// How often a monitor writes the snapshot again while its index changes.
pub const SNAPSHOT_EVERY: Duration = Duration::from_secs(120);

/// The first bytes of a snapshot: what it is, and the version of its layout (another version is not read). The
/// body follows, then its CRC-32 (4 bytes, little-endian): a damaged byte anywhere must not become a wrong name.
const MAGIC: &[u8] = b"asgard index snapshot 3\n";

/// The body of a snapshot file, if it is one of this version and intact.
fn body(bytes: &[u8]) -> Result<&[u8], &'static str> {
    let rest = bytes
        .strip_prefix(MAGIC)
        .ok_or("written by another version")?;
    let (body, crc) = rest.split_last_chunk::<4>().ok_or("damaged (cut short)")?;
    if crc32fast::hash(body) != u32::from_le_bytes(*crc) {
        return Err("damaged (its checksum does not match)");
    }
    Ok(body)
}

/// One run as read, borrowing from the file's bytes; [`SavedRunOut`] writes the same layout.
#[derive(Deserialize)]
struct SavedRun<'a> {
    #[serde(borrow)]
    summary: SavedSummary<'a>,
    sort_key: i64,
    missing: u64,
    results: Vec<ResultId>,
    /// Device, inode, length and modification time (seconds and nanoseconds since 1970) of the file read.
    stamp: (u64, u64, u64, Option<(u64, u32)>),
    #[serde(borrow)]
    meta: Vec<(u32, SavedValue<'a>)>,
    #[serde(borrow)]
    stats: Vec<(u32, SavedValue<'a>)>,
}

/// [`RunSummary`] without its `serde` attributes for JSON (a skipped field would shift every field after it in a
/// format that does not name fields).
#[derive(Serialize, Deserialize)]
struct SavedSummary<'a> {
    id: RunId,
    name: &'a str,
    timestamp: &'a str,
    #[serde(borrow)]
    equation: Option<&'a str>,
    #[serde(borrow)]
    circuit: Option<&'a str>,
    status: Option<RunStatus>,
    result_count: u64,
    #[serde(borrow)]
    tags: Vec<&'a str>,
    #[serde(borrow)]
    note: Option<&'a str>,
    starred: bool,
    #[serde(borrow)]
    problem: Option<&'a str>,
    /// (fraction, message, at)
    #[serde(borrow)]
    progress: Option<(f64, &'a str, &'a str)>,
}

#[derive(Serialize, Deserialize)]
enum SavedValue<'a> {
    Number(f64),
    Bool(bool),
    Text(&'a str),
}

impl<'a> SavedSummary<'a> {
    fn of(summary: &'a RunSummary) -> Self {
        // Destructured, so that a new field of `RunSummary` does not compile until it is kept here too.
        let RunSummary {
            id,
            name,
            timestamp,
            equation,
            circuit,
            status,
            result_count,
            tags,
            note,
            starred,
            problem,
            progress,
        } = summary;
        Self {
            id: *id,
            name,
            timestamp,
            equation: equation.as_deref(),
            circuit: circuit.as_deref(),
            status: *status,
            result_count: *result_count as u64,
            tags: tags.iter().map(String::as_str).collect(),
            note: note.as_deref(),
            starred: *starred,
            problem: problem.as_deref(),
            progress: progress
                .as_ref()
                .map(|p| (p.fraction, p.message.as_str(), p.at.as_str())),
        }
    }

    fn summary(&self) -> RunSummary {
        RunSummary {
            id: self.id,
            name: self.name.to_owned(),
            timestamp: self.timestamp.to_owned(),
            equation: self.equation.map(str::to_owned),
            circuit: self.circuit.map(str::to_owned),
            status: self.status,
            result_count: self.result_count as usize,
            tags: self.tags.iter().map(|t| (*t).to_owned()).collect(),
            note: self.note.map(str::to_owned),
            starred: self.starred,
            problem: self.problem.map(str::to_owned),
            progress: self
                .progress
                .map(|(fraction, message, at)| crate::model::Progress {
                    fraction,
                    message: message.to_owned(),
                    at: at.to_owned(),
                }),
        }
    }
}

fn saved_stamp(stamp: &Stamp) -> (u64, u64, u64, Option<(u64, u32)>) {
    let modified = stamp
        .modified
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| (d.as_secs(), d.subsec_nanos()));
    (stamp.dev, stamp.ino, stamp.len, modified)
}

fn stamp_of((dev, ino, len, modified): (u64, u64, u64, Option<(u64, u32)>)) -> Stamp {
    Stamp {
        dev,
        ino,
        len,
        modified: modified.map(|(s, n)| UNIX_EPOCH + Duration::new(s, n)),
    }
}

/// The snapshot's body: the metadata and statistic key names (a pair's key is its place among them), then the
/// runs. Serialized straight from the index, without allocating anything per run (100,000 runs' worth of small
/// buffers would stay in the allocator's heap afterwards); read back run by run.
#[derive(Serialize)]
struct SnapshotOut<'a> {
    /// When it was written (microseconds since 1970): a bucket's monitor reads the journal from there.
    taken: u64,
    names: Vec<&'a str>,
    runs: RunsOut<'a>,
}

/// The runs kept: those with a stamp. Their statistics are kept as the index has them, those computed by the
/// monitor too (results do not change once written, so they hold as long as the run file's stamp does).
struct RunsOut<'a> {
    runs: &'a Runs,
}

#[derive(Serialize)]
struct SavedRunOut<'a> {
    summary: SavedSummary<'a>,
    sort_key: i64,
    missing: u64,
    results: &'a [ResultId],
    stamp: (u64, u64, u64, Option<(u64, u32)>),
    meta: PairsOut<'a>,
    stats: PairsOut<'a>,
}

struct PairsOut<'a>(&'a [(Key, Scalar)]);

impl RunsOut<'_> {
    fn kept(&self) -> impl Iterator<Item = (&Entry, &Stamp)> {
        self.runs
            .entries()
            .iter()
            .filter_map(|e| Some((e, e.stamp.as_ref()?)))
    }
}

impl Serialize for RunsOut<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = serializer.serialize_seq(Some(self.kept().count()))?;
        for (e, stamp) in self.kept() {
            seq.serialize_element(&SavedRunOut {
                summary: SavedSummary::of(&e.summary),
                sort_key: e.sort_key,
                missing: e.missing as u64,
                results: &e.results,
                stamp: saved_stamp(stamp),
                meta: PairsOut(self.runs.meta(e)),
                stats: PairsOut(self.runs.stats(e)),
            })?;
        }
        seq.end()
    }
}

impl Serialize for PairsOut<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|(key, value)| {
            let value = match value {
                Scalar::Number(n) => SavedValue::Number(*n),
                Scalar::Bool(b) => SavedValue::Bool(*b),
                Scalar::Text(t) => SavedValue::Text(t),
            };
            (key.number(), value)
        }))
    }
}

impl Index {
    /// Fills the empty index from the storage's snapshot, with the runs among `on_disk` (every run, without it)
    /// as the snapshot has them: how many, and when the snapshot was written. The scan that follows re-reads
    /// every file whose stamp differs from the one kept. A missing, damaged or older snapshot puts nothing.
    pub(super) fn load_snapshot(&self, on_disk: Option<&[RunId]>) -> (usize, Option<SystemTime>) {
        let bytes = match self.storage.read_index_snapshot() {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return (0, None),
            Err(e) => {
                tracing::warn!("not using the index snapshot: {e}");
                return (0, None);
            }
        };
        let body = match body(&bytes) {
            Ok(body) => body,
            Err(why) => {
                tracing::info!("not using the index snapshot, {why}");
                return (0, None);
            }
        };
        let present: Option<HashSet<RunId>> = on_disk.map(|ids| ids.iter().copied().collect());
        let mut taken = None;
        let mut runs = self.runs.write().expect("index lock poisoned");
        let mut put = 0;
        // Run by run, as `SnapshotOut` wrote them, each into the index as soon as it is decoded: the buffers of
        // one run are reused for the next. Every run put is checked by its stamp in the scan that follows, so
        // one that fails to decode (which the checksum makes a bug, not damage) ends the load, not the start.
        let loaded = (|| -> postcard::Result<()> {
            let (micros, rest) = postcard::take_from_bytes::<u64>(body)?;
            taken = Some(UNIX_EPOCH + Duration::from_micros(micros));
            let (names, mut rest) = postcard::take_from_bytes::<Vec<&str>>(rest)?;
            let keys: Vec<Key> = names
                .iter()
                .map(|name| runs.symbols.intern_key(name))
                .collect();
            let count;
            (count, rest) = postcard::take_from_bytes::<usize>(rest)?;
            for _ in 0..count {
                let run;
                (run, rest) = postcard::take_from_bytes::<SavedRun>(rest)?;
                let id = run.summary.id;
                if present.as_ref().is_some_and(|p| !p.contains(&id)) || runs.get(&id).is_some() {
                    continue;
                }
                let mut pairs = |saved: &[(u32, SavedValue)]| {
                    let mut pairs: Vec<(Key, Scalar)> = saved
                        .iter()
                        .filter_map(|(key, value)| {
                            let value = match value {
                                SavedValue::Number(n) => Scalar::Number(*n),
                                SavedValue::Bool(b) => Scalar::Bool(*b),
                                SavedValue::Text(t) => Scalar::Text(runs.symbols.text(t)),
                            };
                            Some((*keys.get(*key as usize)?, value))
                        })
                        .collect();
                    // Sorted as lookups need, whatever the file says.
                    pairs.sort_by_key(|(k, _)| *k);
                    pairs.dedup_by_key(|(k, _)| *k);
                    pairs
                };
                let meta = pairs(&run.meta);
                let stats = pairs(&run.stats);
                let entry = Entry {
                    summary: run.summary.summary(),
                    sort_key: run.sort_key,
                    meta: (0, 0),
                    stats: 0,
                    missing: run.missing as usize,
                    results: run.results,
                    stamp: Some(stamp_of(run.stamp)),
                    row: Default::default(),
                };
                runs.put(id, entry, meta, stats);
                put += 1;
            }
            Ok(())
        })();
        if let Err(e) = loaded {
            tracing::warn!(
                "the index snapshot could not be read to its end ({e}); the scan reads the rest"
            );
        }
        (put, taken)
    }

    /// Writes the snapshot if the index changed since the last one was written or read; whether it wrote.
    pub fn save_snapshot(&self) -> storage::Result<bool> {
        let changes = self.changes.load(Ordering::Acquire);
        if self.saved.load(Ordering::Acquire) == changes {
            return Ok(false);
        }
        let bytes = {
            let runs = self.runs.read().expect("index lock poisoned");
            let snapshot = SnapshotOut {
                taken: SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_micros() as u64),
                names: runs.symbols.names().collect(),
                runs: RunsOut { runs: &runs },
            };
            let mut bytes =
                postcard::to_extend(&snapshot, MAGIC.to_vec()).expect("the snapshot serializes");
            let crc = crc32fast::hash(&bytes[MAGIC.len()..]);
            bytes.extend_from_slice(&crc.to_le_bytes());
            bytes
        };
        self.storage.write_index_snapshot(&bytes)?;
        self.saved.store(changes, Ordering::Release);
        Ok(true)
    }

    /// [`Self::save_snapshot`], logging a failure (once: a read-only storage fails every time).
    pub fn save_snapshot_logged(&self) {
        let started = SystemTime::now();
        match self.save_snapshot() {
            Ok(true) => tracing::debug!(
                runs = self.len(),
                took = ?started.elapsed().unwrap_or_default(),
                "index snapshot written"
            ),
            Ok(false) => {}
            Err(e) if !self.snapshot_unwritable.swap(true, Ordering::Relaxed) => {
                tracing::info!(
                    "cannot write the index snapshot (the next start reads every run file): {e}"
                )
            }
            Err(e) => tracing::debug!("cannot write the index snapshot: {e}"),
        }
    }
}
