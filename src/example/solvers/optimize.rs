//! Optimisation: gradient descent with momentum on an objective, and a Levenberg–Marquardt fit of a model to
//! noisy data. Gradients and Jacobians are exact, by forward-mode automatic differentiation of the program.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use super::{compile, count, linspace, max_error, scalar, Fault, Solver};
use crate::example::expr::Program;
use crate::example::recorder::Recorder;
use crate::example::spec::{GradientDescent, LeastSquares, ResultType, Spec};
use crate::key;
use crate::storage::series::Row;

impl Solver for GradientDescent {
    fn offered(&self) -> &'static [ResultType] {
        use ResultType::*;
        &[OptimizationResult]
    }

    fn header(&self) -> String {
        format!(
            "gradient descent · momentum · {} iterations · forward-mode AD gradient",
            self.iterations
        )
    }

    fn check(&self, spec: &Spec) -> Result<(), Fault> {
        self.programs(spec)?;
        for (name, s) in &self.start {
            scalar(spec, s, key!["computation", "start", name.clone()])?;
        }
        if self.learning_rate.is_nan() || self.learning_rate <= 0.0 {
            return Err((
                key!["computation", "learning_rate"],
                format!("expected a positive number, found {}", self.learning_rate),
            ));
        }
        if !(0.0..1.0).contains(&self.momentum) {
            return Err((
                key!["computation", "momentum"],
                format!("expected 0 ≤ momentum < 1, found {}", self.momentum),
            ));
        }
        if let Some(minimum) = &self.minimum {
            if minimum.keys().ne(self.start.keys()) {
                return Err((
                    key!["computation", "minimum"],
                    "expected the same parameters as `start`, in the same order".into(),
                ));
            }
        }
        count(
            self.iterations,
            1..=10_000_000,
            key!["computation", "iterations"],
        )
    }

    fn programs(&self, spec: &Spec) -> Result<Vec<(String, Program)>, Fault> {
        let names: Vec<&str> = self.start.keys().map(String::as_str).collect();
        Ok(vec![(
            "objective".into(),
            compile(
                spec,
                &self.objective,
                &names,
                key!["computation", "objective"],
            )?,
        )])
    }

    fn run(&self, spec: &Spec, out: &mut Recorder) -> Result<(), String> {
        let names: Vec<&str> = self.start.keys().map(String::as_str).collect();
        let f = spec.program(&self.objective, &names).map_err(|e| e.0)?;
        let mut p: Vec<f64> = self
            .start
            .values()
            .map(|s| spec.scalar(s).map_err(|e| e.0))
            .collect::<Result<_, _>>()?;
        let k = p.len();
        let mut velocity = vec![0.0; k];
        // Written as it goes: the loss falls on the run's page while the descent runs.
        let mut series = Vec::new();
        for record in &spec.record {
            series.push(out.open(
                record,
                vec![("param_names", serde_json::json!(names).into())],
                "objective",
            )?);
        }
        let write = |e: crate::storage::Error| format!("cannot append to the result: {e}");
        for i in 0..=self.iterations {
            // The parameters are the inputs; the parameters of the YAML follow them.
            let mut inputs = p.clone();
            inputs.extend(spec.params.values());
            let (value, gradient) = f.gradient(&inputs);
            for s in &series {
                s.append([("loss", Row::from(value)), ("params", Row::from(p.clone()))])
                    .map_err(write)?;
            }
            if !value.is_finite() {
                return Err(format!("the objective left the finite numbers at iteration {i}: try a smaller learning_rate"));
            }
            if i == self.iterations {
                break;
            }
            for j in 0..k {
                velocity[j] = self.momentum * velocity[j] - self.learning_rate * gradient[j];
                p[j] += velocity[j];
            }
            if i % 64 == 0 {
                out.progress(i as f64 / self.iterations as f64);
            }
        }
        for s in series {
            s.close().map_err(write)?;
        }
        out.progress(1.0);
        if let Some(minimum) = &self.minimum {
            out.error(max_error(
                &p,
                &minimum.values().copied().collect::<Vec<_>>(),
            ));
        }
        Ok(())
    }
}

impl Solver for LeastSquares {
    fn offered(&self) -> &'static [ResultType] {
        use ResultType::*;
        &[OptimizationResult, Solution1D]
    }

    fn header(&self) -> String {
        format!(
            "least squares · Levenberg–Marquardt · {} iterations · AD Jacobian",
            self.iterations
        )
    }

    fn check(&self, spec: &Spec) -> Result<(), Fault> {
        self.programs(spec)?;
        if self.truth.keys().ne(self.start.keys()) {
            return Err((
                key!["computation", "start"],
                "expected the same parameters as `truth`, in the same order".into(),
            ));
        }
        if self.noise.is_nan() || self.noise < 0.0 {
            return Err((
                key!["computation", "noise"],
                format!("expected a standard deviation ≥ 0, found {}", self.noise),
            ));
        }
        scalar(spec, &self.time[0], key!["computation", "time", 0])?;
        scalar(spec, &self.time[1], key!["computation", "time", 1])?;
        count(self.points, 2..=1_000_000, key!["computation", "points"])?;
        count(
            self.iterations,
            1..=100_000,
            key!["computation", "iterations"],
        )
    }

    fn programs(&self, spec: &Spec) -> Result<Vec<(String, Program)>, Fault> {
        let names: Vec<&str> = std::iter::once("t")
            .chain(self.truth.keys().map(String::as_str))
            .collect();
        Ok(vec![(
            "model(t)".into(),
            compile(spec, &self.model, &names, key!["computation", "model"])?,
        )])
    }

    fn run(&self, spec: &Spec, out: &mut Recorder) -> Result<(), String> {
        let names: Vec<&str> = std::iter::once("t")
            .chain(self.truth.keys().map(String::as_str))
            .collect();
        let m = spec.program(&self.model, &names).map_err(|e| e.0)?;
        let eval = |t: f64, p: &[f64]| {
            let mut inputs = vec![t];
            inputs.extend(p);
            m.eval(&spec.inputs(&inputs))
        };
        let (t0, t1) = (
            spec.scalar(&self.time[0]).map_err(|e| e.0)?,
            spec.scalar(&self.time[1]).map_err(|e| e.0)?,
        );
        let t = linspace(t0, t1, self.points);
        let truth_p: Vec<f64> = self.truth.values().copied().collect();
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let data: Vec<f64> = t
            .iter()
            .map(|&t| {
                let e: f64 = StandardNormal.sample(&mut rng);
                eval(t, &truth_p) + self.noise * e
            })
            .collect();
        // The loss and parameters are written as the fit goes; the fitted curve at the end.
        let param_names: Vec<&str> = names[1..].to_vec();
        let mut series = Vec::new();
        for record in &spec.record {
            if record.result_type == crate::example::spec::ResultType::OptimizationResult {
                series.push(out.open(
                    record,
                    vec![("param_names", serde_json::json!(param_names).into())],
                    "sum of squared residuals",
                )?);
            }
        }
        let write = |e: crate::storage::Error| format!("cannot append to the result: {e}");
        let fit = levenberg_marquardt(
            spec,
            &m,
            &t,
            &data,
            self.start.values().copied().collect(),
            self.iterations,
            out,
            &mut |loss, p| {
                series.iter().try_for_each(|s| {
                    s.append([("loss", Row::from(loss)), ("params", Row::from(p))])
                        .map_err(write)
                })
            },
        )?;
        for s in series {
            s.close().map_err(write)?;
        }
        let fitted: Vec<f64> = t.iter().map(|&t| eval(t, &fit)).collect();
        let exact: Vec<f64> = t.iter().map(|&t| eval(t, &truth_p)).collect();
        out.error(max_error(&fitted, &exact));
        for record in &spec.record {
            if record.result_type != crate::example::spec::ResultType::OptimizationResult {
                out.write(
                    record,
                    vec![
                        ("x", t.clone().into()),
                        ("computed", fitted.clone().into()),
                        ("expected", exact.clone().into()),
                    ],
                    "fitted model against the truth",
                )?;
            }
        }
        out.progress(1.0);
        Ok(())
    }
}

/// What a fit tells after each iteration: the loss and the parameters.
type OnStep<'a> = &'a mut dyn FnMut(f64, &[f64]) -> Result<(), String>;

/// Minimises Σ (model(tᵢ; p) − yᵢ)² from `p`, telling `step` the loss and the parameters at the start and
/// after each iteration; returns the parameters found.
#[allow(clippy::too_many_arguments)]
fn levenberg_marquardt(
    spec: &Spec,
    model: &Program,
    t: &[f64],
    y: &[f64],
    mut p: Vec<f64>,
    iterations: usize,
    out: &mut Recorder,
    step: OnStep<'_>,
) -> Result<Vec<f64>, String> {
    let k = p.len();
    let residuals = |p: &[f64]| -> (f64, Vec<f64>, Vec<Vec<f64>>) {
        let mut loss = 0.0;
        let (mut r, mut jacobian) = (Vec::with_capacity(t.len()), Vec::with_capacity(t.len()));
        for (&ti, &yi) in t.iter().zip(y) {
            let mut inputs = vec![ti];
            inputs.extend(p);
            let inputs = spec.inputs(&inputs);
            let (value, gradient) = model.gradient(&inputs);
            loss += (value - yi).powi(2);
            r.push(value - yi);
            // The derivatives by the model's parameters: inputs 1..=k (t is input 0).
            jacobian.push(gradient[1..=k].to_vec());
        }
        (loss, r, jacobian)
    };
    let mut lambda = 1e-3;
    let (mut loss, mut r, mut jacobian) = residuals(&p);
    step(loss, &p)?;
    for i in 0..iterations {
        // (JᵀJ + λ diag(JᵀJ)) δ = −Jᵀr
        let mut a = vec![vec![0.0; k]; k];
        let mut g = vec![0.0; k];
        for (row, ri) in jacobian.iter().zip(&r) {
            for (u, (a_u, g_u)) in a.iter_mut().zip(g.iter_mut()).enumerate() {
                *g_u -= row[u] * ri;
                for (a_uv, row_v) in a_u.iter_mut().zip(row) {
                    *a_uv += row[u] * row_v;
                }
            }
        }
        for (u, a_u) in a.iter_mut().enumerate() {
            a_u[u] *= 1.0 + lambda;
        }
        let delta =
            solve(a, g).ok_or("the fit is singular: a parameter does not change the model")?;
        let trial: Vec<f64> = p.iter().zip(&delta).map(|(p, s)| p + s).collect();
        let (trial_loss, trial_r, trial_j) = residuals(&trial);
        if trial_loss.is_finite() && trial_loss < loss {
            (p, loss, r, jacobian) = (trial, trial_loss, trial_r, trial_j);
            lambda = (lambda / 3.0).max(1e-12);
        } else {
            lambda *= 4.0;
        }
        step(loss, &p)?;
        out.progress(0.9 * (i + 1) as f64 / iterations as f64);
    }
    Ok(p)
}

/// Solves a small linear system by Gaussian elimination with partial pivoting.
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for c in 0..n {
        let pivot = (c..n).max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))?;
        if a[pivot][c].abs() < 1e-300 {
            return None;
        }
        a.swap(c, pivot);
        b.swap(c, pivot);
        let (top, below) = a.split_at_mut(c + 1);
        let pivot_row = &top[c];
        for (offset, row) in below.iter_mut().enumerate() {
            let f = row[c] / pivot_row[c];
            for (x, p) in row[c..].iter_mut().zip(&pivot_row[c..]) {
                *x -= f * p;
            }
            b[c + 1 + offset] -= f * b[c];
        }
    }
    let mut x = vec![0.0; n];
    for r in (0..n).rev() {
        x[r] = (b[r] - (r + 1..n).map(|k| a[r][k] * x[k]).sum::<f64>()) / a[r][r];
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solves_a_linear_system() {
        let x = solve(vec![vec![2.0, 1.0], vec![1.0, 3.0]], vec![3.0, 5.0]).unwrap();
        assert!((x[0] - 0.8).abs() < 1e-12 && (x[1] - 1.4).abs() < 1e-12);
        assert!(solve(vec![vec![1.0, 2.0], vec![2.0, 4.0]], vec![1.0, 2.0]).is_none());
    }
}
