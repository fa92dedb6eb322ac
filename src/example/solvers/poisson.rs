//! Poisson's equation ∇²u = f on the unit square with u = g on its boundary, by successive over-relaxation.

use super::{compile, count, linspace, max_error, Fault, Solver};
use crate::example::expr::Program;
use crate::example::recorder::Recorder;
use crate::example::spec::{Poisson, ResultType, Spec};
use crate::key;

impl Solver for Poisson {
    fn offered(&self) -> &'static [ResultType] {
        use ResultType::*;
        &[Solution2D, OptimizationResult]
    }

    fn header(&self) -> String {
        format!("poisson · SOR · {0}×{0} grid", self.points)
    }

    fn check(&self, spec: &Spec) -> Result<(), Fault> {
        self.programs(spec)?;
        count(self.points, 3..=4_096, key!["computation", "points"])?;
        count(
            self.max_iterations,
            1..=10_000_000,
            key!["computation", "max_iterations"],
        )?;
        if self.residual.is_nan() || self.residual <= 0.0 {
            return Err((
                key!["computation", "residual"],
                format!("expected a positive number, found {}", self.residual),
            ));
        }
        for (i, record) in spec.record.iter().enumerate() {
            if record.result_type == ResultType::Solution2D
                && !matches!(record.of.as_deref(), None | Some("solution" | "error"))
            {
                return Err((
                    key!["record", i, "of"],
                    "expected `solution` or `error`".into(),
                ));
            }
        }
        Ok(())
    }

    fn programs(&self, spec: &Spec) -> Result<Vec<(String, Program)>, Fault> {
        let mut out = Vec::new();
        out.push((
            "f(x, y)".into(),
            compile(
                spec,
                &self.source,
                &["x", "y"],
                key!["computation", "source"],
            )?,
        ));
        out.push((
            "g(x, y) on the boundary".into(),
            compile(
                spec,
                &self.boundary,
                &["x", "y"],
                key!["computation", "boundary"],
            )?,
        ));
        if let Some(e) = &self.exact {
            out.push((
                "expected u(x, y)".into(),
                compile(spec, e, &["x", "y"], key!["computation", "exact"])?,
            ));
        }
        Ok(out)
    }

    fn run(&self, spec: &Spec, out: &mut Recorder) -> Result<(), String> {
        let program = |s: &str, vars: &[&str]| spec.program(s, vars).map_err(|e| e.0);
        let n = self.points;
        let f = program(&self.source, &["x", "y"])?;
        let g = program(&self.boundary, &["x", "y"])?;
        let axis = linspace(0.0, 1.0, n);
        let h = 1.0 / (n - 1) as f64;
        let mut u = vec![0.0; n * n];
        let mut rhs = vec![0.0; n * n];
        for j in 0..n {
            for i in 0..n {
                let inputs = spec.inputs(&[axis[i], axis[j]]);
                if i == 0 || j == 0 || i == n - 1 || j == n - 1 {
                    u[j * n + i] = g.eval(&inputs);
                } else {
                    rhs[j * n + i] = f.eval(&inputs);
                }
            }
        }
        // The optimal over-relaxation for the model problem.
        let omega = 2.0 / (1.0 + (std::f64::consts::PI * h).sin());
        let mut history = Vec::new();
        for iteration in 0..self.max_iterations {
            let mut change: f64 = 0.0;
            for j in 1..n - 1 {
                for i in 1..n - 1 {
                    let k = j * n + i;
                    let gauss_seidel =
                        (u[k - 1] + u[k + 1] + u[k - n] + u[k + n] - h * h * rhs[k]) / 4.0;
                    let next = u[k] + omega * (gauss_seidel - u[k]);
                    change = change.max((next - u[k]).abs());
                    u[k] = next;
                }
            }
            history.push(change);
            if change < self.residual {
                break;
            }
            if iteration % 64 == 0 {
                out.progress(0.8 * iteration as f64 / self.max_iterations as f64);
            }
        }
        let expected = match &self.exact {
            Some(e) => {
                let e = program(e, &["x", "y"])?;
                let values: Vec<f64> = (0..n * n)
                    .map(|k| e.eval(&spec.inputs(&[axis[k % n], axis[k / n]])))
                    .collect();
                out.error(max_error(&u, &values));
                Some(values)
            }
            None => None,
        };
        for record in &spec.record {
            match (&record.result_type, record.of.as_deref()) {
                (ResultType::Solution2D, Some("error")) => {
                    let e = expected.as_ref().ok_or("`of: error` needs `exact`")?;
                    let diff: Vec<f64> = u.iter().zip(e).map(|(a, b)| a - b).collect();
                    out.write_field(record, diff, &axis, &axis, "error")?;
                }
                (ResultType::Solution2D, _) => {
                    out.write_field(record, u.clone(), &axis, &axis, "u(x, y)")?
                }
                _ => out.write(
                    record,
                    vec![("loss", history.clone().into())],
                    "largest update per sweep",
                )?,
            }
        }
        Ok(())
    }
}
