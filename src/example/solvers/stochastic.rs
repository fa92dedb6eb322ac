//! Stochastic differential equations by Euler–Maruyama: an ensemble of paths from one seed, and its mean and
//! variance against the exact ones.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use super::{compile, count, interval, max_error, scalar, Fault};
use crate::example::expr::Program;
use crate::example::recorder::Recorder;
use crate::example::spec::{Computation, ResultType, Spec};
use crate::key;

const VARS: [&str; 2] = ["t", "X"];

pub fn check(spec: &Spec) -> Result<(), Fault> {
    programs(spec)?;
    let Computation::Sde {
        initial,
        time,
        steps,
        paths,
        ..
    } = &spec.computation
    else {
        unreachable!("dispatched by solver")
    };
    scalar(spec, initial, key!["computation", "initial"])?;
    interval(spec, time, "time", ("start", "end"))?;
    count(*steps, 1..=1_000_000, key!["computation", "steps"])?;
    count(*paths, 2..=1_000_000, key!["computation", "paths"])?;
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

pub fn programs(spec: &Spec) -> Result<Vec<(String, Program)>, Fault> {
    let Computation::Sde {
        drift,
        diffusion,
        exact_mean,
        exact_variance,
        ..
    } = &spec.computation
    else {
        unreachable!("dispatched by solver")
    };
    let mut out = vec![
        (
            "a(t, X)".into(),
            compile(spec, drift, &VARS, key!["computation", "drift"])?,
        ),
        (
            "b(t, X)".into(),
            compile(spec, diffusion, &VARS, key!["computation", "diffusion"])?,
        ),
    ];
    if let Some(m) = exact_mean {
        out.push((
            "expected E[X](t)".into(),
            compile(spec, m, &["t"], key!["computation", "exact_mean"])?,
        ));
    }
    if let Some(v) = exact_variance {
        out.push((
            "expected Var[X](t)".into(),
            compile(spec, v, &["t"], key!["computation", "exact_variance"])?,
        ));
    }
    Ok(out)
}

pub fn run(spec: &Spec, out: &mut Recorder) -> Result<(), String> {
    let Computation::Sde {
        drift,
        diffusion,
        initial,
        time,
        steps,
        paths,
        seed,
        exact_mean,
        exact_variance,
    } = &spec.computation
    else {
        unreachable!("dispatched by solver")
    };
    let compile = |s: &str, vars: &[&str]| spec.program(s, vars).map_err(|e| e.0);
    let (a, b) = (compile(drift, &VARS)?, compile(diffusion, &VARS)?);
    let x0 = spec.scalar(initial).map_err(|e| e.0)?;
    let (t0, t1) = (
        spec.scalar(&time[0]).map_err(|e| e.0)?,
        spec.scalar(&time[1]).map_err(|e| e.0)?,
    );
    let n = steps + 1;
    let dt = (t1 - t0) / *steps as f64;
    let t: Vec<f64> = (0..n).map(|k| t0 + k as f64 * dt).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(*seed);
    let mut ensemble = vec![0.0; paths * n];
    for p in 0..*paths {
        let path = &mut ensemble[p * n..(p + 1) * n];
        path[0] = x0;
        for k in 0..*steps {
            let inputs = spec.inputs(&[t[k], path[k]]);
            let dw: f64 = StandardNormal.sample(&mut rng);
            path[k + 1] = path[k] + a.eval(&inputs) * dt + b.eval(&inputs) * dt.sqrt() * dw;
        }
        if p % 16 == 0 {
            out.progress(0.8 * p as f64 / *paths as f64);
        }
    }
    let ensemble_ref = &ensemble;
    let column = |k: usize| (0..*paths).map(move |p| ensemble_ref[p * n + k]);
    let mean: Vec<f64> = (0..n)
        .map(|k| column(k).sum::<f64>() / *paths as f64)
        .collect();
    let variance: Vec<f64> = (0..n)
        .map(|k| column(k).map(|v| (v - mean[k]).powi(2)).sum::<f64>() / (*paths - 1) as f64)
        .collect();
    for record in &spec.record {
        match (&record.result_type, record.of.as_deref()) {
            (ResultType::StochasticEnsemble, _) => {
                let array = ndarray::Array2::from_shape_vec((*paths, n), ensemble.clone())
                    .map_err(|e| e.to_string())?;
                out.write(
                    record,
                    vec![("t", t.clone().into()), ("paths", array.into())],
                    "paths",
                )?;
            }
            (_, Some(which)) => {
                let (computed, exact) = if which == "mean" {
                    (&mean, exact_mean)
                } else {
                    (&variance, exact_variance)
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
