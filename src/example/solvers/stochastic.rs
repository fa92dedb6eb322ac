//! Stochastic differential equations by Euler–Maruyama: an ensemble of paths from one seed, and its mean and
//! variance against the exact ones.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use super::{compile, count, interval, max_error, scalar, Fault, Solver};
use crate::example::expr::Program;
use crate::example::recorder::Recorder;
use crate::example::spec::{ResultType, Sde, Spec};
use crate::key;
use crate::storage::series::Row;

const VARS: [&str; 2] = ["t", "X"];

impl Solver for Sde {
    fn offered(&self) -> &'static [ResultType] {
        use ResultType::*;
        &[StochasticEnsemble, Solution1D]
    }

    fn header(&self) -> String {
        format!(
            "sde · Euler–Maruyama · {} paths × {} steps · seed {}",
            self.paths, self.steps, self.seed
        )
    }

    fn check(&self, spec: &Spec) -> Result<(), Fault> {
        self.programs(spec)?;
        scalar(spec, &self.initial, key!["computation", "initial"])?;
        interval(spec, &self.time, "time", ("start", "end"))?;
        count(self.steps, 1..=1_000_000, key!["computation", "steps"])?;
        count(self.paths, 2..=1_000_000, key!["computation", "paths"])?;
        for (i, record) in spec.record.iter().enumerate() {
            if record.result_type == ResultType::Solution1D
                && !matches!(record.of.as_deref(), Some("mean" | "variance"))
            {
                return Err((
                    key!["record", i, "of"],
                    "expected `mean` or `variance`".into(),
                ));
            }
        }
        Ok(())
    }

    fn programs(&self, spec: &Spec) -> Result<Vec<(String, Program)>, Fault> {
        let mut out = vec![
            (
                "a(t, X)".into(),
                compile(spec, &self.drift, &VARS, key!["computation", "drift"])?,
            ),
            (
                "b(t, X)".into(),
                compile(
                    spec,
                    &self.diffusion,
                    &VARS,
                    key!["computation", "diffusion"],
                )?,
            ),
        ];
        if let Some(m) = &self.exact_mean {
            out.push((
                "expected E[X](t)".into(),
                compile(spec, m, &["t"], key!["computation", "exact_mean"])?,
            ));
        }
        if let Some(v) = &self.exact_variance {
            out.push((
                "expected Var[X](t)".into(),
                compile(spec, v, &["t"], key!["computation", "exact_variance"])?,
            ));
        }
        Ok(out)
    }

    fn run(&self, spec: &Spec, out: &mut Recorder) -> Result<(), String> {
        let compile = |s: &str, vars: &[&str]| spec.program(s, vars).map_err(|e| e.0);
        let (a, b) = (
            compile(&self.drift, &VARS)?,
            compile(&self.diffusion, &VARS)?,
        );
        let x0 = spec.scalar(&self.initial).map_err(|e| e.0)?;
        let (t0, t1) = (
            spec.scalar(&self.time[0]).map_err(|e| e.0)?,
            spec.scalar(&self.time[1]).map_err(|e| e.0)?,
        );
        let n = self.steps + 1;
        let dt = (t1 - t0) / self.steps as f64;
        let t: Vec<f64> = (0..n).map(|k| t0 + k as f64 * dt).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let mut ensemble = vec![0.0; self.paths * n];
        // The ensemble is written as it gathers paths: its band narrows on the run's page while it runs.
        let mut series = Vec::new();
        for record in &spec.record {
            if record.result_type == ResultType::StochasticEnsemble {
                series.push(out.open(record, vec![("t", t.clone().into())], "paths")?);
            }
        }
        let write = |e: crate::storage::Error| format!("cannot append to the result: {e}");
        for p in 0..self.paths {
            let path = &mut ensemble[p * n..(p + 1) * n];
            path[0] = x0;
            for k in 0..self.steps {
                let inputs = spec.inputs(&[t[k], path[k]]);
                let dw: f64 = StandardNormal.sample(&mut rng);
                path[k + 1] = path[k] + a.eval(&inputs) * dt + b.eval(&inputs) * dt.sqrt() * dw;
            }
            for s in &series {
                s.append([("paths", Row::from(&path[..]))]).map_err(write)?;
            }
            if p % 4 == 0 {
                out.progress(0.8 * p as f64 / self.paths as f64);
            }
        }
        for s in series {
            s.close().map_err(write)?;
        }
        let ensemble_ref = &ensemble;
        let column = |k: usize| (0..self.paths).map(move |p| ensemble_ref[p * n + k]);
        let mean: Vec<f64> = (0..n)
            .map(|k| column(k).sum::<f64>() / self.paths as f64)
            .collect();
        let variance: Vec<f64> = (0..n)
            .map(|k| {
                column(k).map(|v| (v - mean[k]).powi(2)).sum::<f64>() / (self.paths - 1) as f64
            })
            .collect();
        for record in &spec.record {
            match (&record.result_type, record.of.as_deref()) {
                // Written as it grew, above.
                (ResultType::StochasticEnsemble, _) => {}
                (_, Some(which)) => {
                    let (computed, exact) = if which == "mean" {
                        (&mean, &self.exact_mean)
                    } else {
                        (&variance, &self.exact_variance)
                    };
                    let mut fields = vec![
                        ("x", t.clone().into()),
                        ("computed", computed.clone().into()),
                    ];
                    if let Some(e) = exact {
                        let e = compile(e, &["t"])?;
                        let expected: Vec<f64> =
                            t.iter().map(|&t| e.eval(&spec.inputs(&[t]))).collect();
                        out.error(max_error(computed, &expected));
                        fields.push(("expected", expected.into()));
                    }
                    out.write(record, fields, which)?;
                }
                _ => unreachable!("checked"),
            }
        }
        Ok(())
    }
}
