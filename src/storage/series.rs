//! The buffered writer of a growing result: rows are appended in memory and written as one chunk per flush
//! (docs/storage-format.md, "Growing results"). The first append after a quiet interval is written at once, so a
//! slow computation's every row is seen within milliseconds; appends that come faster are gathered and written
//! by a background thread at most once per interval, so 10,000 appends a second make ten files, not 10,000.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{AsgardStorage, DataValue, Error, Result};
use crate::model::{NumArray, ResultId, ResultType, RunId};

/// How long appended rows wait, at most, before they are written, unless told otherwise.
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(100);

/// One row of a field: a number (a loss), a vector (parameters, a path), a matrix (a snapshot of a field, a
/// frame), as row-major values and the row's shape.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub shape: Vec<usize>,
    pub values: Vec<f64>,
}

impl From<f64> for Row {
    fn from(v: f64) -> Self {
        Self {
            shape: Vec::new(),
            values: vec![v],
        }
    }
}

impl From<Vec<f64>> for Row {
    fn from(values: Vec<f64>) -> Self {
        Self {
            shape: vec![values.len()],
            values,
        }
    }
}

impl From<&[f64]> for Row {
    fn from(values: &[f64]) -> Self {
        values.to_vec().into()
    }
}

impl<D: ndarray::Dimension> From<ndarray::Array<f64, D>> for Row {
    fn from(a: ndarray::Array<f64, D>) -> Self {
        Self {
            shape: a.shape().to_vec(),
            values: a.iter().copied().collect(),
        }
    }
}

/// Rows appended and not yet written, and what the background thread needs to know.
#[derive(Default)]
struct Buffer {
    /// Each field's row shape and values, in the order of the first append.
    fields: Vec<(String, Vec<usize>, Vec<f64>)>,
    rows: usize,
    /// When the oldest row waiting was appended.
    since: Option<Instant>,
    /// When the last chunk was written.
    flushed: Option<Instant>,
    next_seq: u64,
    /// A write that failed in the background, reported by the next call.
    failed: Option<String>,
    closing: bool,
    /// Chunks written that complete a fold, which the thread writes outside the lock (a fold reads back up
    /// to 4,096 chunks' rows: appends must not wait for it).
    to_fold: Vec<u64>,
}

struct Shared {
    storage: AsgardStorage,
    id: ResultId,
    interval: Duration,
    buffer: Mutex<Buffer>,
    wake: Condvar,
}

/// A growing result being written: [`Series::append`] rows, [`Series::close`] at the end. Dropping it without
/// closing writes what is buffered and leaves the result open, which a reader shows as unfinished.
pub struct Series {
    shared: Arc<Shared>,
    flusher: Option<std::thread::JoinHandle<()>>,
}

impl AsgardStorage {
    /// Opens a growing result and returns its writer (see [`Series`] and [`Self::open_growing`]).
    pub fn open_result(
        &self,
        run_id: RunId,
        result_type: impl Into<ResultType>,
        fixed: impl IntoIterator<Item = (String, DataValue)>,
        display: Value,
    ) -> Result<Series> {
        let id = self.open_growing(run_id, result_type, fixed, display)?;
        Ok(Series::start(self.clone(), id, FLUSH_INTERVAL))
    }
}

impl Series {
    fn start(storage: AsgardStorage, id: ResultId, interval: Duration) -> Self {
        let shared = Arc::new(Shared {
            storage,
            id,
            interval,
            buffer: Mutex::new(Buffer::default()),
            wake: Condvar::new(),
        });
        let background = shared.clone();
        let flusher = std::thread::Builder::new()
            .name("asgard-series".into())
            .spawn(move || background.flush_when_due())
            .ok();
        Self { shared, flusher }
    }

    /// Writes rows at most once per `interval` (default [`FLUSH_INTERVAL`]).
    pub fn with_interval(mut self, interval: Duration) -> Self {
        let id = self.shared.id;
        let storage = self.shared.storage.clone();
        self.stop();
        Self::start(storage, id, interval)
    }

    /// The result's id.
    pub fn id(&self) -> ResultId {
        self.shared.id
    }

    /// Appends one row to each field named (`step`, `loss`, `params` of an optimisation; `paths` of an
    /// ensemble; `frames` of an animation; `values` and `t` of a field's snapshot). Every append names the same
    /// fields, each with a row of the same shape as before; the rows are written within the flush interval.
    pub fn append<S: Into<String>, R: Into<Row>>(
        &self,
        row: impl IntoIterator<Item = (S, R)>,
    ) -> Result<()> {
        let row: Vec<(String, Row)> = row.into_iter().map(|(n, r)| (n.into(), r.into())).collect();
        let mut buffer = self.shared.lock();
        if let Some(e) = buffer.failed.take() {
            return Err(Error::InvalidData(format!("an earlier write failed: {e}")));
        }
        check_row(&buffer, &row)?;
        for (name, r) in row {
            match buffer.fields.iter_mut().find(|(n, _, _)| *n == name) {
                Some((_, _, values)) => values.extend_from_slice(&r.values),
                None => buffer.fields.push((name, r.shape, r.values)),
            }
        }
        buffer.rows += 1;
        let now = Instant::now();
        buffer.since.get_or_insert(now);
        // The first row after a quiet interval goes out now; rows that come faster wait for the thread.
        if buffer
            .flushed
            .is_none_or(|f| now.duration_since(f) >= self.shared.interval)
        {
            return self.shared.write(&mut buffer);
        }
        self.shared.wake.notify_one();
        Ok(())
    }

    /// Writes the rows buffered now.
    pub fn flush(&self) -> Result<()> {
        let mut buffer = self.shared.lock();
        if let Some(e) = buffer.failed.take() {
            return Err(Error::InvalidData(format!("an earlier write failed: {e}")));
        }
        self.shared.write(&mut buffer)
    }

    /// Writes what is buffered and closes the result: its rows become ordinary fields (checked against its type,
    /// with its statistics), and it no longer grows.
    pub fn close(mut self) -> Result<()> {
        self.stop();
        let mut buffer = self.shared.lock();
        if let Some(e) = buffer.failed.take() {
            return Err(Error::InvalidData(format!("an earlier write failed: {e}")));
        }
        self.shared.write(&mut buffer)?;
        self.shared.storage.close_result(self.shared.id)
    }

    fn stop(&mut self) {
        self.shared.lock().closing = true;
        self.shared.wake.notify_one();
        if let Some(thread) = self.flusher.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Series {
    fn drop(&mut self) {
        if self.flusher.is_some() {
            self.stop();
            let mut buffer = self.shared.lock();
            if let Err(e) = self.shared.write(&mut buffer) {
                tracing::warn!(result = %self.shared.id, error = %e, "rows of an unclosed result were not written");
            }
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Buffer> {
        self.buffer.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes the buffered rows as the next chunk (nothing when there are none).
    fn write(&self, buffer: &mut Buffer) -> Result<()> {
        if buffer.rows == 0 {
            return Ok(());
        }
        let rows = buffer.rows;
        let fields = buffer
            .fields
            .iter()
            .map(|(name, shape, values)| {
                let mut full = vec![rows];
                full.extend_from_slice(shape);
                (
                    name.clone(),
                    NumArray {
                        shape: full,
                        dtype: "<f8".to_owned(),
                        values: values.clone(),
                    },
                )
            })
            .collect();
        // Kept until written: a chunk that cannot be written now (a full disk) is tried again with the next.
        buffer.flushed = Some(Instant::now());
        let seq = buffer.next_seq;
        self.storage.write_chunk(self.id, seq, fields)?;
        if AsgardStorage::completes_fold(seq) {
            buffer.to_fold.push(seq);
            self.wake.notify_one();
        }
        buffer.next_seq += 1;
        buffer.rows = 0;
        buffer.since = None;
        for (_, _, values) in &mut buffer.fields {
            values.clear();
        }
        Ok(())
    }

    /// The background thread: writes rows that have waited an interval, until the series closes.
    fn flush_when_due(&self) {
        let mut buffer = self.lock();
        loop {
            if buffer.closing {
                return;
            }
            if !buffer.to_fold.is_empty() {
                let folds = std::mem::take(&mut buffer.to_fold);
                drop(buffer);
                for seq in folds {
                    self.storage.fold_chunks(self.id, seq);
                }
                buffer = self.lock();
                continue;
            }
            let wait = match buffer.since {
                // Nothing waiting: sleep until an append wakes us.
                None => {
                    buffer = self.wake.wait(buffer).unwrap_or_else(|e| e.into_inner());
                    continue;
                }
                Some(since) => {
                    let due = buffer.flushed.map_or(since, |f| f + self.interval);
                    match due.checked_duration_since(Instant::now()) {
                        Some(wait) if !wait.is_zero() => wait,
                        _ => {
                            if let Err(e) = self.write(&mut buffer) {
                                buffer.failed = Some(e.to_string());
                            }
                            continue;
                        }
                    }
                }
            };
            buffer = self
                .wake
                .wait_timeout(buffer, wait)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

/// An append names the fields the first one named, each row shaped as before.
fn check_row(buffer: &Buffer, row: &[(String, Row)]) -> Result<()> {
    for (name, r) in row {
        if r.shape.iter().product::<usize>() != r.values.len() {
            return Err(Error::InvalidData(format!(
                "appended field `{name}`: shape {:?} does not hold {} values",
                r.shape,
                r.values.len()
            )));
        }
        if let Some((_, shape, _)) = buffer.fields.iter().find(|(n, _, _)| n == name) {
            if *shape != r.shape {
                return Err(Error::InvalidData(format!(
                    "appended field `{name}`: expected a row of shape {shape:?} as before, found {:?}",
                    r.shape
                )));
            }
        }
    }
    let named = |n: &str| row.iter().any(|(name, _)| name == n);
    if buffer.rows > 0 || buffer.next_seq > 0 {
        if let Some((missing, _, _)) = buffer.fields.iter().find(|(n, _, _)| !named(n)) {
            return Err(Error::InvalidData(format!(
                "append without field `{missing}`: every append names the same fields"
            )));
        }
        if buffer.fields.len() != row.len() {
            let new: Vec<&str> = row
                .iter()
                .map(|(n, _)| n.as_str())
                .filter(|n| !buffer.fields.iter().any(|(f, _, _)| f == n))
                .collect();
            return Err(Error::InvalidData(format!(
                "append with new fields {new:?}: every append names the same fields"
            )));
        }
    }
    Ok(())
}
