//! `asgard append`: results written into an existing run by another process, to watch them arrive live or to
//! load-test writers. Each is a phase-shifted sine, labelled as such.

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
