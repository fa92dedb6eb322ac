//! Where a solver writes its results: each result written through the storage as soon as it is ready (or, for a
//! solver that writes as it goes, a growing result it appends to), the progress bar and the run's progress
//! moved, the largest error against an expected solution kept. The solvers get one from `run::run_example`, and
//! know nothing of their caller.

use std::cell::Cell;
use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use serde_json::{json, Value};

use crate::example::spec::Record;
use crate::model::{ResultType, RunId};
use crate::storage::series::Series;
use crate::storage::{AsgardStorage, DataValue};

/// How often the run's progress is written, at most.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// Where a solver writes its results, and what it tells about them.
pub struct Recorder<'a> {
    storage: &'a AsgardStorage,
    run: RunId,
    progress: &'a ProgressBar,
    /// The largest error against an expected solution seen so far.
    pub max_error: Option<f64>,
    /// The result types written, in order.
    pub types: Vec<ResultType>,
    /// How long a solver that writes as it goes takes at least (zero: as fast as it computes).
    stream: Duration,
    started: Instant,
    /// When the run's progress was last written.
    told: Cell<Option<Instant>>,
}

impl<'a> Recorder<'a> {
    /// A recorder for the run `run`, moving `progress`.
    pub fn new(storage: &'a AsgardStorage, run: RunId, progress: &'a ProgressBar) -> Self {
        Self {
            storage,
            run,
            progress,
            max_error: None,
            types: Vec::new(),
            stream: Duration::ZERO,
            started: Instant::now(),
            told: Cell::new(None),
        }
    }

    /// Makes a solver that writes as it goes take at least `stream`, so that its results can be watched
    /// growing: [`Self::progress`] waits until that part of the time has passed.
    pub fn streaming(mut self, stream: Duration) -> Self {
        self.stream = stream;
        self
    }

    /// Moves the progress bar to `fraction` (0 to 1) of the example, and the run's progress (at most four times
    /// a second). A streaming example waits here until `fraction` of its time has passed.
    pub fn progress(&self, fraction: f64) {
        let fraction = fraction.clamp(0.0, 1.0);
        self.progress.set_position((fraction * 1000.0) as u64);
        let due = self.started + self.stream.mul_f64(fraction);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        if self
            .told
            .get()
            .is_none_or(|t| t.elapsed() >= PROGRESS_EVERY)
            || fraction >= 1.0
        {
            self.told.set(Some(Instant::now()));
            let message = format!("{:.0}% computed", fraction * 100.0);
            if let Err(e) = self.storage.set_progress(self.run, fraction, &message) {
                tracing::warn!(error = %e, "cannot write the run's progress");
            }
        }
    }

    /// Opens a growing result of `record`'s type (titled `title` unless its `display` names one) with the
    /// fields that do not grow; the solver appends its rows as it computes and closes it.
    pub fn open(
        &mut self,
        record: &Record,
        fixed: Vec<(&str, DataValue)>,
        title: &str,
    ) -> Result<Series, String> {
        let result_type = record.result_type.clone();
        let series = self
            .storage
            .open_result(
                self.run,
                result_type.clone(),
                fixed.into_iter().map(|(n, v)| (n.to_owned(), v)),
                titled(record, title),
            )
            .map_err(|e| format!("cannot open the {result_type} result: {e}"))?;
        self.types.push(result_type);
        Ok(series)
    }

    /// Notes an error against the expected solution.
    pub fn error(&mut self, e: f64) {
        let e = if e.is_nan() { f64::INFINITY } else { e };
        self.max_error = Some(self.max_error.map_or(e, |m| m.max(e)));
    }

    /// Writes a `Solution2D`-style field: `values` row-major with `y.len()` rows and `x.len()` columns.
    pub fn write_field(
        &mut self,
        record: &Record,
        values: Vec<f64>,
        x: &[f64],
        y: &[f64],
        title: &str,
    ) -> Result<(), String> {
        let grid = ndarray::Array2::from_shape_vec((y.len(), x.len()), values)
            .map_err(|e| format!("the field does not fit its axes: {e}"))?;
        let fields = vec![
            ("values", grid.into()),
            ("x", x.to_vec().into()),
            ("y", y.to_vec().into()),
        ];
        self.write(record, fields, title)
    }

    /// Writes one result of `record`'s type with its `display` options (titled `title` unless they name one).
    pub fn write(
        &mut self,
        record: &Record,
        fields: Vec<(&str, DataValue)>,
        title: &str,
    ) -> Result<(), String> {
        let display = titled(record, title);
        let fields = fields
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value));
        let result_type = record.result_type.clone();
        self.storage
            .add_result(self.run, result_type.clone(), fields, display)
            .map_err(|e| format!("cannot write the {result_type} result: {e}"))?;
        self.types.push(result_type);
        Ok(())
    }
}

/// `record`'s display options, titled `title` unless they name a title.
fn titled(record: &Record, title: &str) -> Value {
    let mut display = record.display.clone();
    if let Value::Object(map) = &mut display {
        map.entry("title").or_insert_with(|| json!(title));
    }
    display
}
