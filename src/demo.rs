//! Sample runs of every result type, so that a newcomer sees plots before writing a simulation.

use std::f64::consts::PI;

use serde_json::json;

use crate::model::{ResultId, RunId, RunStatus};
use crate::storage::{self, AsgardStorage, DataValue};

fn linspace(a: f64, b: f64, n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| a + (b - a) * i as f64 / (n - 1) as f64)
        .collect()
}

/// A small deterministic pseudo-random generator (xorshift), so samples need no dependency and never change.
struct Noise(u64);

impl Noise {
    fn gaussian(&mut self) -> f64 {
        let mut uniform = || {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        };
        let (u, v) = (uniform().max(1e-12), uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * PI * v).cos()
    }
}

fn field(name: &str, value: impl Into<DataValue>) -> (String, DataValue) {
    (name.to_owned(), value.into())
}

/// Writes the samples; returns how many runs were written.
pub fn write_samples(storage: &AsgardStorage) -> storage::Result<usize> {
    // 1-D heat equation: computed (with a small discretisation error) against the exact solution.
    let heat = storage.create_run(
        "Heat equation, 1-D",
        Some("∂u/∂t = α ∂²u/∂x²,  u(x,0) = sin(πx)"),
        Some("grid(n=2000) → explicit Euler(dt=1e-5) → u(x, t=0.1)"),
    )?;
    let x = linspace(0.0, 1.0, 2000);
    let decay = (-PI * PI * 0.1).exp();
    let expected: Vec<f64> = x.iter().map(|x| decay * (PI * x).sin()).collect();
    let computed: Vec<f64> = x
        .iter()
        .map(|x| decay * (PI * x).sin() * (1.0 + 0.01 * (8.0 * PI * x).sin()))
        .collect();
    storage.add_result(
        heat.id,
        "Solution1D",
        [field("x", x.clone()), field("computed", computed), field("expected", expected)],
        json!({"title": "Temperature at t = 0.1", "labels": {"x": "position x", "y": "temperature u"}}),
    )?;
    let wave: Vec<f64> = x
        .iter()
        .map(|x| (2.0 * PI * x).sin() * (-x).exp())
        .collect();
    storage.add_result(
        heat.id,
        "Solution1D",
        [field("x", x), field("computed", wave)],
        json!({"title": "Damped mode", "labels": {"x": "x", "y": "amplitude"}}),
    )?;
    storage.set_status(heat.id, RunStatus::Completed)?;

    // The other five types, one run.
    let tour = storage.create_run("Tour of result types", Some("dX = μX dt + σX dW"), None)?;
    let (nx, ny) = (60, 40);
    let values: Vec<Vec<f64>> = (0..ny)
        .map(|j| {
            (0..nx)
                .map(|i| ((i as f64) / 8.0).sin() * ((j as f64) / 6.0).cos())
                .collect()
        })
        .collect();
    storage.add_result(
        tour.id,
        "Solution2D",
        [field("values", json!(values))],
        json!({"title": "Potential"}),
    )?;

    let mut noise = Noise(0x9E37_79B9_7F4A_7C15);
    let t = linspace(0.0, 1.0, 200);
    let paths: Vec<Vec<f64>> = (0..50)
        .map(|_| {
            let mut x = 1.0;
            t.iter()
                .map(|_| {
                    x *= 1.0 + 0.05 * 0.005 + 0.2 * 0.005f64.sqrt() * noise.gaussian();
                    x
                })
                .collect()
        })
        .collect();
    storage.add_result(
        tour.id,
        "StochasticEnsemble",
        [field("t", t), field("paths", json!(paths))],
        json!({"title": "Geometric Brownian motion", "confidence": 0.95, "bins": 30}),
    )?;
    let sequence: Vec<f64> = (0..40).map(|n| f64::from((n * n) % 17)).collect();
    storage.add_result(
        tour.id,
        "DiscreteSequence",
        [field("values", sequence)],
        json!({"title": "n² mod 17"}),
    )?;
    let loss: Vec<f64> = (0..100).map(|k| 1.0 / (1.0 + k as f64 / 5.0)).collect();
    let params: Vec<Vec<f64>> = (0..100)
        .map(|k| {
            vec![
                1.0 - (-(k as f64) / 20.0).exp(),
                0.5 * (k as f64 / 10.0).cos(),
            ]
        })
        .collect();
    storage.add_result(
        tour.id,
        "OptimizationResult",
        [
            field("loss", loss),
            field("params", json!(params)),
            field("param_names", json!(["a", "b"])),
        ],
        json!({"title": "Fitting a and b"}),
    )?;
    let positions: Vec<Vec<[f64; 2]>> = (0..120)
        .map(|f| {
            let a = f as f64 / 120.0 * 2.0 * PI;
            vec![[a.cos(), a.sin()], [-0.5 * a.cos(), -0.5 * a.sin()]]
        })
        .collect();
    storage.add_result(
        tour.id,
        "PhysicsAnimation",
        [field("positions", json!(positions))],
        json!({"title": "Two bodies", "fps": 30}),
    )?;
    storage.set_status(tour.id, RunStatus::Completed)?;
    Ok(2)
}

/// Appends one `Solution1D` result (a sine wave whose phase depends on `step`) to an existing run.
pub fn append_result(
    storage: &AsgardStorage,
    run_id: RunId,
    step: usize,
) -> storage::Result<ResultId> {
    let x = linspace(0.0, 2.0 * PI, 200);
    let phase = step as f64 * 0.3;
    let computed: Vec<f64> = x.iter().map(|x| (x + phase).sin()).collect();
    storage.add_result(
        run_id,
        "Solution1D",
        [field("x", x), field("computed", computed)],
        json!({"title": format!("Step {step}"), "labels": {"x": "x", "y": "sin(x + 0.3 step)"}}),
    )
}
