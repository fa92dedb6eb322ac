//! `asgard append`: results written into an existing run by another process, to watch them arrive live or to
//! load-test writers. Each is a phase-shifted sine, labelled as such; or, with `--grow`, one growing
//! optimisation whose steps are appended one by one.

use std::f64::consts::PI;

use serde_json::json;

use crate::model::{ResultId, ResultType, RunId};
use crate::storage::{self, AsgardStorage, DataValue};

/// Appends result number `step` to `run_id`: sin(x + 0.3 step) on [0, 2π].
pub fn append_result(
    storage: &AsgardStorage,
    run_id: RunId,
    step: usize,
) -> storage::Result<ResultId> {
    let x: Vec<f64> = (0..200).map(|i| 2.0 * PI * i as f64 / 199.0).collect();
    let phase = step as f64 * 0.3;
    let computed: Vec<f64> = x.iter().map(|x| (x + phase).sin()).collect();
    storage.add_result(
        run_id,
        ResultType::Solution1D,
        [
            ("x".to_owned(), DataValue::from(x)),
            ("computed".to_owned(), DataValue::from(computed)),
        ],
        json!({"title": format!("Step {step}"), "labels": {"x": "x", "y": "sin(x + 0.3 step)"}}),
    )
}

/// Appends `steps` steps to one new growing `OptimizationResult` of `run_id` — loss 1/(1 + step/100), parameters
/// `a` = step/100 and `b` = 1 − loss — step `k` at `k × period` from the start (as soon as it can when behind),
/// and closes it. The run's progress is set as it goes (at most four times a second). `opened` is told the
/// result's id as soon as it exists.
pub fn grow_result(
    storage: &AsgardStorage,
    run_id: RunId,
    steps: usize,
    period: std::time::Duration,
    opened: impl FnOnce(ResultId),
) -> storage::Result<ResultId> {
    let series = storage.open_result(
        run_id,
        ResultType::OptimizationResult,
        [("param_names".to_owned(), DataValue::from(json!(["a", "b"])))],
        json!({"title": "Growing loss", "labels": {"x": "step", "y": "loss"}}),
    )?;
    let id = series.id();
    opened(id);
    let start = std::time::Instant::now();
    let mut told = start;
    for step in 0..steps {
        let due = start + period.mul_f64(step as f64);
        if let Some(wait) = due.checked_duration_since(std::time::Instant::now()) {
            std::thread::sleep(wait);
        }
        let s = step as f64;
        let loss = 1.0 / (1.0 + s / 100.0);
        series.append([
            ("step", s.into()),
            ("loss", loss.into()),
            (
                "params",
                crate::storage::series::Row::from(vec![s / 100.0, 1.0 - loss]),
            ),
        ])?;
        if told.elapsed() >= std::time::Duration::from_millis(250) || step + 1 == steps {
            told = std::time::Instant::now();
            storage.set_progress(
                run_id,
                (step + 1) as f64 / steps as f64,
                &format!("step {} of {steps}", step + 1),
            )?;
        }
    }
    series.close()?;
    Ok(id)
}
