//! The synthetic workload: `runs` runs of `results` results each, of mixed types with `points` values, written
//! through the storage API in the documented format; plus a huge `Solution1D` and a huge `Solution2D`.
//! Deterministic: the same sizes give the same files' contents (ids and timestamps aside).

use std::path::Path;
use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;

use crate::model::{ResultId, ResultType, RunId, RunStatus};
use crate::storage::{AsgardStorage, DataValue};

/// What the generator wrote, for the scenarios to find.
#[derive(Clone, Debug)]
pub struct Workload {
    pub runs: usize,
    pub results: usize,
    /// A run with 50 results, for the run page.
    pub page_run: RunId,
    /// The run holding the huge results.
    pub huge_run: RunId,
    pub huge_1d: ResultId,
    pub huge_1d_points: usize,
    pub huge_2d: ResultId,
    pub huge_2d_side: usize,
    pub seconds: f64,
}

fn field(name: &str, value: impl Into<DataValue>) -> (String, DataValue) {
    (name.to_owned(), value.into())
}

/// Writes the workload into `dir` (which must be empty or missing).
pub fn generate(
    dir: &Path,
    runs: usize,
    results: usize,
    points: usize,
    huge_points: usize,
    huge_side: usize,
) -> anyhow::Result<Workload> {
    let started = Instant::now();
    let storage = AsgardStorage::open(dir)?;
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let ids: Vec<RunId> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let storage = &storage;
                scope.spawn(move || -> anyhow::Result<Vec<RunId>> {
                    let mut ids = Vec::new();
                    for r in (t..runs).step_by(threads) {
                        ids.push(write_run(storage, r, results, points)?);
                    }
                    Ok(ids)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("generator thread"))
            .collect::<anyhow::Result<Vec<Vec<RunId>>>>()
            .map(|v| v.into_iter().flatten().collect())
    })?;

    anyhow::ensure!(ids.len() == runs, "wrote {} runs of {runs}", ids.len());
    // The run whose page is measured: 50 results.
    let page_run = write_run(&storage, runs, 50, points)?;
    let huge = storage.create_run("Huge series", Some("benchmark"), None)?;
    let x: Vec<f64> = (0..huge_points)
        .map(|i| i as f64 / huge_points as f64)
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let computed: Vec<f64> = x
        .iter()
        .map(|v| (40.0 * v).sin() + 0.01 * rng.random::<f64>())
        .collect();
    let huge_1d = storage.add_result(
        huge.id,
        ResultType::Solution1D,
        [field("x", x), field("computed", computed)],
        json!({"title": format!("{huge_points} points")}),
    )?;
    storage.set_status(huge.id, RunStatus::Completed)?;
    // The grid in a run of its own, so that each huge result's page holds only it.
    let grid_run = storage.create_run("Huge grid", Some("benchmark"), None)?;
    let grid = ndarray::Array2::from_shape_fn((huge_side, huge_side), |(i, j)| {
        ((i * 7 + j * 3) % 101) as f64 / 100.0
    });
    let huge_2d = storage.add_result(
        grid_run.id,
        ResultType::Solution2D,
        [field("values", grid)],
        json!({"title": format!("{huge_side} × {huge_side}")}),
    )?;
    storage.set_status(grid_run.id, RunStatus::Completed)?;
    Ok(Workload {
        runs: runs + 3,
        results: runs * results + 50 + 2,
        page_run,
        huge_run: huge.id,
        huge_1d,
        huge_1d_points: huge_points,
        huge_2d,
        huge_2d_side: huge_side,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// One run of a parameter sweep: mixed result types, seeded by its number.
fn write_run(
    storage: &AsgardStorage,
    r: usize,
    results: usize,
    points: usize,
) -> anyhow::Result<RunId> {
    let mut rng = ChaCha8Rng::seed_from_u64(r as u64);
    let run = storage.create_run(
        &format!("sweep {r:05}"),
        Some("u_t = α u_xx"),
        Some(&format!("α = {:.4}", rng.random::<f64>())),
    )?;
    for k in 0..results {
        let noise: Vec<f64> = (0..points).map(|_| rng.random::<f64>()).collect();
        let x: Vec<f64> = (0..points).map(|i| i as f64 / points as f64).collect();
        let (kind, fields) = match k % 5 {
            0 => (
                ResultType::Solution1D,
                vec![
                    field("x", x.clone()),
                    field("computed", noise.clone()),
                    field("expected", x),
                ],
            ),
            1 => (ResultType::DiscreteSequence, vec![field("values", noise)]),
            2 => (
                ResultType::OptimizationResult,
                vec![field(
                    "loss",
                    noise.iter().map(|v| v + 1.0).collect::<Vec<f64>>(),
                )],
            ),
            3 => {
                let side = (points as f64).sqrt().ceil() as usize;
                let grid = ndarray::Array2::from_shape_fn((side, side), |(i, j)| (i + j) as f64);
                (ResultType::Solution2D, vec![field("values", grid)])
            }
            _ => {
                let n = (points / 10).max(2);
                let paths = ndarray::Array2::from_shape_fn((10, n), |(p, i)| (p * i) as f64);
                let t: Vec<f64> = (0..n).map(|i| i as f64).collect();
                (
                    ResultType::StochasticEnsemble,
                    vec![field("t", t), field("paths", paths)],
                )
            }
        };
        storage.add_result(
            run.id,
            kind,
            fields,
            json!({"title": format!("result {k}")}),
        )?;
    }
    storage.set_status(run.id, RunStatus::Completed)?;
    Ok(run.id)
}
