//! Where a solver writes its results: each result written through the storage as soon as it is ready, the
//! progress bar moved, the largest error against an expected solution kept. The solvers get one from
//! `run::run_example`, and know nothing of their caller.

use indicatif::ProgressBar;
use serde_json::{json, Value};

use crate::example::spec::Record;
use crate::model::{ResultType, RunId};
use crate::storage::{AsgardStorage, DataValue};

/// Where a solver writes its results, and what it tells about them.
pub struct Recorder<'a> {
    storage: &'a AsgardStorage,
    run: RunId,
    progress: &'a ProgressBar,
    /// The largest error against an expected solution seen so far.
    pub max_error: Option<f64>,
    /// The result types written, in order.
    pub types: Vec<ResultType>,
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
        }
    }

    /// Moves the progress bar to `fraction` (0 to 1) of the example.
    pub fn progress(&self, fraction: f64) {
        self.progress
            .set_position((fraction.clamp(0.0, 1.0) * 1000.0) as u64);
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
        let mut display = record.display.clone();
        if let Value::Object(map) = &mut display {
            map.entry("title").or_insert_with(|| json!(title));
        }
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
