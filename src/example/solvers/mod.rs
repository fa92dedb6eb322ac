//! The solvers an example may name. Each checks its part of the YAML (`check`), says what it evaluates
//! (`circuit`), and computes, writing its results through the [`Recorder`] as they are ready (`run`).

mod calculus;
mod optimize;
mod pde;
mod stochastic;

use crate::example::expr::{ExprError, Program};
use crate::example::recorder::Recorder;
use crate::example::spec::{Computation, ResultType, Segment, Spec};
use crate::key;

/// A mistake found by a check: the key at fault and what was expected.
pub type Fault = (Vec<Segment>, String);

/// Checks what serde cannot: that every expression compiles with the names it may use, that sizes and ranges
/// make sense, and that each record is one the solver writes.
pub fn check(spec: &Spec) -> Result<(), Fault> {
    for (name, _) in &spec.params {
        if Program::compile(name, &[name.as_str()]).is_err() {
            return Err((
                key!["params", name.clone()],
                format!("`{name}` is not a valid name: expected letters, digits and _"),
            ));
        }
    }
    let offered = offered(&spec.computation);
    for (i, record) in spec.record.iter().enumerate() {
        if !offered.contains(&record.result_type) {
            let names: Vec<&str> = offered.iter().map(|t| t.as_str()).collect();
            return Err((
                key!["record", i, "type"],
                format!(
                    "solver `{}` does not write {}: expected one of {}",
                    spec.computation.solver(),
                    record.result_type.as_str(),
                    names.join(", ")
                ),
            ));
        }
        if !record.display.is_object() {
            return Err((
                key!["record", i, "display"],
                "expected a mapping of display options".into(),
            ));
        }
    }
    if spec.record.is_empty() {
        return Err((
            key!["record"],
            "expected at least one result to record".into(),
        ));
    }
    if let Some(t) = spec.tolerance {
        if t.is_nan() || t <= 0.0 {
            return Err((
                key!["tolerance"],
                format!("expected a positive number, found {t}"),
            ));
        }
    }
    match &spec.computation {
        Computation::Integrate { .. }
        | Computation::Ode { .. }
        | Computation::Recurrence { .. } => calculus::check(spec),
        Computation::Heat { .. } | Computation::Poisson { .. } | Computation::Wave { .. } => {
            pde::check(spec)
        }
        Computation::Sde { .. } => stochastic::check(spec),
        Computation::GradientDescent { .. } | Computation::LeastSquares { .. } => {
            optimize::check(spec)
        }
    }
}

/// The result types a solver writes.
fn offered(computation: &Computation) -> &'static [ResultType] {
    use ResultType::*;
    match computation {
        Computation::Integrate { .. } => &[Solution1D],
        Computation::Ode { .. } => &[Solution1D, PhysicsAnimation],
        Computation::Heat { .. } => &[Solution1D, Solution2D],
        Computation::Poisson { .. } => &[Solution2D, OptimizationResult],
        Computation::Wave { .. } => &[Solution1D, Solution2D, PhysicsAnimation],
        Computation::Sde { .. } => &[StochasticEnsemble, Solution1D],
        Computation::Recurrence { .. } => &[DiscreteSequence],
        Computation::GradientDescent { .. } => &[OptimizationResult],
        Computation::LeastSquares { .. } => &[OptimizationResult, Solution1D],
    }
}

/// The compiled form of the example: the solver, its settings and the listing of every expression it evaluates.
pub fn circuit(spec: &Spec) -> String {
    let programs = match programs(spec) {
        Ok(p) => p,
        Err((_, e)) => return format!("does not compile: {e}"),
    };
    let mut out = header(spec);
    for (label, program) in programs {
        out.push_str(&format!("\n{label} := {}\n{program}", program.source()));
    }
    out
}

fn header(spec: &Spec) -> String {
    match &spec.computation {
        Computation::Integrate { points, rule, .. } => {
            let rule = match rule {
                crate::example::spec::Rule::Trapezoid => "trapezoid",
                crate::example::spec::Rule::Simpson => "parabolic (Simpson)",
            };
            format!("integrate · cumulative {rule} rule · {points} points")
        }
        Computation::Ode { method, steps, .. } => {
            let method = match method {
                crate::example::spec::OdeMethod::Euler => "explicit Euler",
                crate::example::spec::OdeMethod::Rk4 => "classical Runge–Kutta (RK4)",
                crate::example::spec::OdeMethod::Verlet => "velocity Verlet (symplectic)",
            };
            format!("ode · {method} · {steps} steps")
        }
        Computation::Heat { points, steps, .. } => {
            format!("heat · Crank–Nicolson · {points} points × {steps} steps")
        }
        Computation::Poisson { points, .. } => format!("poisson · SOR · {points}×{points} grid"),
        Computation::Wave { points, steps, .. } => {
            format!("wave · leapfrog · {points} points × {steps} steps")
        }
        Computation::Sde {
            paths, steps, seed, ..
        } => {
            format!("sde · Euler–Maruyama · {paths} paths × {steps} steps · seed {seed}")
        }
        Computation::Recurrence { steps, .. } => format!("recurrence · {steps} steps"),
        Computation::GradientDescent { iterations, .. } => {
            format!(
                "gradient descent · momentum · {iterations} iterations · forward-mode AD gradient"
            )
        }
        Computation::LeastSquares { iterations, .. } => {
            format!("least squares · Levenberg–Marquardt · {iterations} iterations · AD Jacobian")
        }
    }
}

/// Every expression the solver evaluates, compiled, with a label.
fn programs(spec: &Spec) -> Result<Vec<(String, Program)>, Fault> {
    match &spec.computation {
        Computation::Integrate { .. }
        | Computation::Ode { .. }
        | Computation::Recurrence { .. } => calculus::programs(spec),
        Computation::Heat { .. } | Computation::Poisson { .. } | Computation::Wave { .. } => {
            pde::programs(spec)
        }
        Computation::Sde { .. } => stochastic::programs(spec),
        Computation::GradientDescent { .. } | Computation::LeastSquares { .. } => {
            optimize::programs(spec)
        }
    }
}

/// Computes the example, writing each result as soon as it is ready.
pub fn run(spec: &Spec, out: &mut Recorder) -> Result<(), String> {
    match &spec.computation {
        Computation::Integrate { .. }
        | Computation::Ode { .. }
        | Computation::Recurrence { .. } => calculus::run(spec, out),
        Computation::Heat { .. } | Computation::Poisson { .. } | Computation::Wave { .. } => {
            pde::run(spec, out)
        }
        Computation::Sde { .. } => stochastic::run(spec, out),
        Computation::GradientDescent { .. } | Computation::LeastSquares { .. } => {
            optimize::run(spec, out)
        }
    }
}

/// Compiles `source` for `vars` and the parameters, placing a failure at `at`.
fn compile(spec: &Spec, source: &str, vars: &[&str], at: Vec<Segment>) -> Result<Program, Fault> {
    spec.program(source, vars).map_err(|ExprError(e)| (at, e))
}

/// Evaluates a number or parameter expression, placing a failure at `at`.
fn scalar(spec: &Spec, s: &crate::example::spec::Scalar, at: Vec<Segment>) -> Result<f64, Fault> {
    let v = spec.scalar(s).map_err(|ExprError(e)| (at.clone(), e))?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err((at, format!("expected a finite number, found {v}")))
    }
}

/// Evaluates `computation.{name}: [lo, hi]`, checking lo < hi; `ends` names the bounds in the message.
fn interval(
    spec: &Spec,
    pair: &[crate::example::spec::Scalar; 2],
    name: &str,
    ends: (&str, &str),
) -> Result<(f64, f64), Fault> {
    let (a, b) = (
        scalar(spec, &pair[0], key!["computation", name, 0])?,
        scalar(spec, &pair[1], key!["computation", name, 1])?,
    );
    if a >= b {
        let (lo, hi) = ends;
        return Err((
            key!["computation", name],
            format!("expected [{lo}, {hi}] with {lo} < {hi}, found [{a}, {b}]"),
        ));
    }
    Ok((a, b))
}

/// Checks that a count lies in a range.
fn count(n: usize, range: std::ops::RangeInclusive<usize>, at: Vec<Segment>) -> Result<(), Fault> {
    if range.contains(&n) {
        Ok(())
    } else {
        Err((
            at,
            format!("expected {} to {}, found {n}", range.start(), range.end()),
        ))
    }
}

/// `n` points evenly from `a` to `b`.
pub fn linspace(a: f64, b: f64, n: usize) -> Vec<f64> {
    if n == 1 {
        return vec![a];
    }
    (0..n)
        .map(|i| a + (b - a) * i as f64 / (n - 1) as f64)
        .collect()
}

/// The largest absolute difference between two series.
pub fn max_error(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}
