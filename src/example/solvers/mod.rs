//! The solvers an example may name. Each checks its part of the YAML (`check`), says what it evaluates
//! (`circuit`), and computes, writing its results through the [`Recorder`] as they are ready (`run`).

mod calculus;
mod ode;
mod optimize;
mod pde;
mod poisson;
mod stochastic;

use crate::example::expr::{ExprError, Program};
use crate::example::recorder::Recorder;
use crate::example::spec::{Computation, ResultType, Segment, Spec, Variable};
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
    let offered = solver(&spec.computation).offered();
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
    solver(&spec.computation).check(spec)
}

/// The compiled form of the example: the solver, its settings and the listing of every expression it evaluates.
pub fn circuit(spec: &Spec) -> String {
    let programs = match programs(spec) {
        Ok(p) => p,
        Err((_, e)) => return format!("does not compile: {e}"),
    };
    let mut out = solver(&spec.computation).header();
    for (label, program) in programs {
        out.push_str(&format!("\n{label} := {}\n{program}", program.source()));
    }
    out
}

/// Every expression the solver evaluates, compiled, with a label.
fn programs(spec: &Spec) -> Result<Vec<(String, Program)>, Fault> {
    solver(&spec.computation).programs(spec)
}

/// Computes the example, writing each result as soon as it is ready.
pub fn run(spec: &Spec, out: &mut Recorder) -> Result<(), String> {
    solver(&spec.computation).run(spec, out)
}

/// What each solver does for its own part of the YAML, given its parameters (`self`) and the whole example.
trait Solver {
    /// The result types it writes.
    fn offered(&self) -> &'static [ResultType];
    /// Its method and settings, the first line of the circuit.
    fn header(&self) -> String;
    /// Checks what serde cannot: sizes, ranges, and that its expressions compile ([`Solver::programs`]).
    fn check(&self, spec: &Spec) -> Result<(), Fault>;
    /// Every expression it evaluates, compiled, with a label.
    fn programs(&self, spec: &Spec) -> Result<Vec<(String, Program)>, Fault>;
    /// Computes, writing each result as soon as it is ready.
    fn run(&self, spec: &Spec, out: &mut Recorder) -> Result<(), String>;
}

/// The solver a computation names: the one place a computation is taken apart.
fn solver(computation: &Computation) -> &dyn Solver {
    match computation {
        Computation::Integrate(s) => s,
        Computation::Ode(s) => s,
        Computation::Heat(s) => s,
        Computation::Poisson(s) => s,
        Computation::Wave(s) => s,
        Computation::Sde(s) => s,
        Computation::Recurrence(s) => s,
        Computation::GradientDescent(s) => s,
        Computation::LeastSquares(s) => s,
    }
}

/// Compiles `source` for `vars` and the parameters, placing a failure at `at`.
fn compile(spec: &Spec, source: &str, vars: &[&str], at: Vec<Segment>) -> Result<Program, Fault> {
    spec.program(source, vars).map_err(|ExprError(e)| (at, e))
}

/// Compiles state variable `i`'s `rate` (an ODE's derivative, a recurrence's next value) over `vars`.
fn compile_rate(spec: &Spec, i: usize, v: &Variable, vars: &[&str]) -> Result<Program, Fault> {
    compile(spec, &v.rate, vars, key!["computation", "state", i, "rate"])
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
