//! Running one example: a run marked `running` with its compiled circuit, each result written as soon as it is
//! ready, and the run marked `completed` — or `failed`, with the error in its metadata.

use std::time::Instant;

use indicatif::ProgressBar;
use serde_json::{json, Value};

use crate::example::library::Example;
use crate::example::recorder::Recorder;
use crate::example::solvers;
use crate::example::spec::Spec;
use crate::model::{ResultType, RunId, RunStatus};
use crate::storage::AsgardStorage;

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
    stream: std::time::Duration,
) -> Outcome {
    let started = Instant::now();
    let mut outcome = Outcome {
        example: match spec.point.is_empty() {
            true => example.path.clone(),
            false => format!(
                "{} ({})",
                example.path,
                crate::example::sweep::label(&spec.point)
            ),
        },
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
    let mut about = vec![
        ("example".to_owned(), json!(example.path)),
        ("description".to_owned(), json!(spec.description)),
        ("solver".to_owned(), json!(spec.computation.solver())),
    ];
    // A sweep's point: each swept key's value, and the sweep it belongs to.
    about.extend(spec.point.iter().cloned());
    about.extend(spec.sweep.iter().map(|id| ("sweep".to_owned(), json!(id))));
    for (key, value) in about {
        if let Err(e) = storage.set_metadata(run.id, &key, value) {
            outcome.failure = Some(format!("cannot write the run's metadata: {e}"));
        }
    }
    let mut recorder = Recorder::new(storage, run.id, progress).streaming(stream);
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
