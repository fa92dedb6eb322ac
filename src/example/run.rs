//! Running one example: a run marked `running` with its compiled circuit, each result written as soon as it is
//! ready, and the run marked `completed` — or `failed`, with the error in its metadata.

use std::time::Instant;

use indicatif::ProgressBar;
use serde_json::{json, Value};

use crate::example::library::Example;
use crate::example::solvers;
use crate::example::spec::{Record, Spec};
use crate::model::{ResultType, RunId, RunStatus};
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

/// How an example went.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub example: String,
    pub run: Option<RunId>,
    pub types: Vec<ResultType>,
    pub max_error: Option<f64>,
    pub tolerance: Option<f64>,
    pub seconds: f64,
    /// Why it failed, if it did.
    pub failure: Option<String>,
}

impl Outcome {
    /// Whether it ran and its error is within its stated tolerance.
    pub fn passed(&self) -> bool {
        self.failure.is_none()
            && match (self.max_error, self.tolerance) {
                (Some(e), Some(t)) => e <= t,
                _ => true,
            }
    }
}

/// Runs a parsed example into `storage`.
pub fn run_example(
    storage: &AsgardStorage,
    example: &Example,
    spec: &Spec,
    progress: &ProgressBar,
) -> Outcome {
    let started = Instant::now();
    let mut outcome = Outcome {
        example: example.path.clone(),
        run: None,
        types: Vec::new(),
        max_error: None,
        tolerance: spec.tolerance,
        seconds: 0.0,
        failure: None,
    };
    let circuit = solvers::circuit(spec);
    let run = match storage.create_run(&spec.name, Some(&spec.equation), Some(&circuit)) {
        Ok(run) => run,
        Err(e) => {
            outcome.failure = Some(format!("cannot create the run: {e}"));
            return outcome;
        }
    };
    outcome.run = Some(run.id);
    let about = [
        ("example", json!(example.path)),
        ("description", json!(spec.description)),
        ("solver", json!(spec.computation.solver())),
    ];
    for (key, value) in about {
        if let Err(e) = storage.set_metadata(run.id, key, value) {
            outcome.failure = Some(format!("cannot write the run's metadata: {e}"));
        }
    }
    let mut recorder = Recorder {
        storage,
        run: run.id,
        progress,
        max_error: None,
        types: Vec::new(),
    };
    let result = match outcome.failure.clone() {
        Some(e) => Err(e),
        None => solvers::run(spec, &mut recorder),
    };
    outcome.types = recorder.types;
    outcome.max_error = recorder.max_error;
    outcome.seconds = started.elapsed().as_secs_f64();
    let finish = match &result {
        Ok(()) => {
            let error = outcome.max_error.map_or(Value::Null, |e| json!(e));
            storage
                .set_metadata(run.id, "max_error", error)
                .and_then(|()| storage.set_status(run.id, RunStatus::Completed))
        }
        Err(e) => storage
            .set_metadata(run.id, "error", json!(e))
            .and_then(|()| storage.set_status(run.id, RunStatus::Failed)),
    };
    outcome.failure = result
        .err()
        .or_else(|| finish.err().map(|e| format!("cannot finish the run: {e}")));
    progress.set_position(1000);
    outcome
}
