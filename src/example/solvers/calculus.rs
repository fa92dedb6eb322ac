//! Integration on a grid, ordinary differential equations (Euler, RK4, velocity Verlet) and recurrences.

use super::{compile, count, interval, linspace, max_error, scalar, Fault};
use crate::example::expr::Program;
use crate::example::recorder::Recorder;
use crate::example::spec::{
    Computation, OdeMethod, Record, ResultType, Role, Rule, Spec, Variable,
};
use crate::key;

pub fn check(spec: &Spec) -> Result<(), Fault> {
    programs(spec)?;
    match &spec.computation {
        Computation::Integrate { domain, points, .. } => {
            interval(spec, domain, "domain", ("a", "b"))?;
            count(*points, 3..=10_000_000, key!["computation", "points"])
        }
        Computation::Ode {
            method,
            state,
            time,
            steps,
        } => {
            interval(spec, time, "time", ("start", "end"))?;
            count(*steps, 1..=10_000_000, key!["computation", "steps"])?;
            for (i, v) in state.iter().enumerate() {
                scalar(spec, &v.initial, key!["computation", "state", i, "initial"])?;
                if *method == OdeMethod::Verlet && v.role.is_none() {
                    return Err((
                        key!["computation", "state", i],
                        "method `verlet` needs each variable's `role`: expected position or velocity".into(),
                    ));
                }
            }
            let names = names(state);
            for (i, record) in spec.record.iter().enumerate() {
                match record.result_type {
                    ResultType::Solution1D => {
                        let of = record.of.as_deref().ok_or_else(|| {
                            (key!["record", i], "expected `of`: the quantity to plot, an expression of t and the state".to_owned())
                        })?;
                        compile(spec, of, &names, key!["record", i, "of"])?;
                        if let Some(e) = &record.expected {
                            compile(spec, e, &["t"], key!["record", i, "expected"])?;
                        }
                    }
                    _ => {
                        let bodies = record.bodies.as_ref().ok_or_else(|| {
                            (
                                key!["record", i],
                                "expected `bodies`: a list of [x, y] expressions of the state"
                                    .to_owned(),
                            )
                        })?;
                        for (b, [x, y]) in bodies.iter().enumerate() {
                            compile(spec, x, &names, key!["record", i, "bodies", b])?;
                            compile(spec, y, &names, key!["record", i, "bodies", b])?;
                        }
                    }
                }
            }
            Ok(())
        }
        Computation::Recurrence {
            state,
            steps,
            closed_form,
        } => {
            count(*steps, 1..=10_000_000, key!["computation", "steps"])?;
            for (i, v) in state.iter().enumerate() {
                scalar(spec, &v.initial, key!["computation", "state", i, "initial"])?;
            }
            for name in closed_form.keys() {
                if !state.iter().any(|v| &v.name == name) {
                    return Err((
                        key!["computation", "closed_form", name.clone()],
                        format!("`{name}` is not a variable of the state"),
                    ));
                }
            }
            for (i, record) in spec.record.iter().enumerate() {
                let of = record.of.as_deref().unwrap_or(&state[0].name);
                if !state.iter().any(|v| v.name == of) {
                    return Err((
                        key!["record", i, "of"],
                        format!("expected a variable of the state, found `{of}`"),
                    ));
                }
            }
            Ok(())
        }
        _ => unreachable!("dispatched by solver"),
    }
}

/// `t` and the state's names, the inputs of an ODE's expressions.
fn names(state: &[Variable]) -> Vec<&str> {
    std::iter::once("t")
        .chain(state.iter().map(|v| v.name.as_str()))
        .collect()
}

/// `n` and the state's names, the inputs of a recurrence's expressions.
fn step_names(state: &[Variable]) -> Vec<&str> {
    std::iter::once("n")
        .chain(state.iter().map(|v| v.name.as_str()))
        .collect()
}

pub fn programs(spec: &Spec) -> Result<Vec<(String, Program)>, Fault> {
    let mut out = Vec::new();
    match &spec.computation {
        Computation::Integrate {
            integrand,
            antiderivative,
            ..
        } => {
            out.push((
                "f(x)".into(),
                compile(spec, integrand, &["x"], key!["computation", "integrand"])?,
            ));
            if let Some(g) = antiderivative {
                out.push((
                    "expected F(x)".into(),
                    compile(spec, g, &["x"], key!["computation", "antiderivative"])?,
                ));
            }
        }
        Computation::Ode { state, .. } => {
            let vars = names(state);
            for (i, v) in state.iter().enumerate() {
                if state[..i].iter().any(|w| w.name == v.name) || v.name == "t" {
                    return Err((
                        key!["computation", "state", i, "name"],
                        format!("`{}` is already a name: expected a new one", v.name),
                    ));
                }
                out.push((
                    format!("d{}/dt", v.name),
                    compile(
                        spec,
                        &v.rate,
                        &vars,
                        key!["computation", "state", i, "rate"],
                    )?,
                ));
            }
        }
        Computation::Recurrence {
            state, closed_form, ..
        } => {
            let vars = step_names(state);
            for (i, v) in state.iter().enumerate() {
                out.push((
                    format!("{}[n+1]", v.name),
                    compile(
                        spec,
                        &v.rate,
                        &vars,
                        key!["computation", "state", i, "rate"],
                    )?,
                ));
            }
            for (name, form) in closed_form {
                out.push((
                    format!("expected {name}[n]"),
                    compile(
                        spec,
                        form,
                        &["n"],
                        key!["computation", "closed_form", name.clone()],
                    )?,
                ));
            }
        }
        _ => unreachable!("dispatched by solver"),
    }
    Ok(out)
}

pub fn run(spec: &Spec, out: &mut Recorder) -> Result<(), String> {
    match &spec.computation {
        Computation::Integrate {
            integrand,
            antiderivative,
            domain,
            points,
            rule,
        } => {
            let (a, b) = (
                spec.scalar(&domain[0]).map_err(|e| e.0)?,
                spec.scalar(&domain[1]).map_err(|e| e.0)?,
            );
            let f = spec.program(integrand, &["x"]).map_err(|e| e.0)?;
            let x = linspace(a, b, *points);
            let fx: Vec<f64> = x.iter().map(|&x| f.eval(&spec.inputs(&[x]))).collect();
            let h = (b - a) / (*points - 1) as f64;
            let computed = cumulative(&fx, h, *rule);
            out.progress(0.8);
            let expected = match antiderivative {
                Some(g) => {
                    let g = spec.program(g, &["x"]).map_err(|e| e.0)?;
                    let g0 = g.eval(&spec.inputs(&[a]));
                    let e: Vec<f64> = x.iter().map(|&x| g.eval(&spec.inputs(&[x])) - g0).collect();
                    out.error(max_error(&computed, &e));
                    Some(e)
                }
                None => None,
            };
            for record in &spec.record {
                let mut fields = vec![
                    ("x", x.clone().into()),
                    ("computed", computed.clone().into()),
                ];
                if let Some(e) = &expected {
                    fields.push(("expected", e.clone().into()));
                }
                out.write(record, fields, "F(x) = ∫ f")?;
            }
            Ok(())
        }
        Computation::Ode {
            method,
            state,
            time,
            steps,
        } => {
            let (t0, t1) = (
                spec.scalar(&time[0]).map_err(|e| e.0)?,
                spec.scalar(&time[1]).map_err(|e| e.0)?,
            );
            let solution = integrate_ode(spec, *method, state, (t0, t1), *steps, out)?;
            for record in &spec.record {
                write_ode_record(spec, state, record, &solution, out)?;
            }
            Ok(())
        }
        Computation::Recurrence {
            state,
            steps,
            closed_form,
        } => {
            let (next, mut current) = system(spec, state, &step_names(state))?;
            let mut history = vec![current.clone()];
            for n in 0..*steps {
                let mut inputs = vec![n as f64];
                inputs.extend(&current);
                let inputs = spec.inputs(&inputs);
                current = next.iter().map(|p| p.eval(&inputs)).collect();
                history.push(current.clone());
            }
            out.progress(0.9);
            for record in &spec.record {
                let of = record.of.as_deref().unwrap_or(&state[0].name);
                let k = state
                    .iter()
                    .position(|v| v.name == of)
                    .ok_or("unknown variable")?;
                let values: Vec<f64> = history.iter().map(|h| h[k]).collect();
                let mut fields = vec![("values", values.clone().into())];
                if let Some(form) = closed_form.get(of) {
                    let p = spec.program(form, &["n"]).map_err(|e| e.0)?;
                    let expected: Vec<f64> = (0..values.len())
                        .map(|n| p.eval(&spec.inputs(&[n as f64])))
                        .collect();
                    out.error(max_error(&values, &expected));
                    fields.push(("expected", expected.into()));
                }
                out.write(record, fields, of)?;
            }
            Ok(())
        }
        _ => unreachable!("dispatched by solver"),
    }
}

/// A system's compiled rates (or next values) over `vars`, and its initial values.
fn system(
    spec: &Spec,
    state: &[Variable],
    vars: &[&str],
) -> Result<(Vec<Program>, Vec<f64>), String> {
    let programs = state
        .iter()
        .map(|v| spec.program(&v.rate, vars).map_err(|e| e.0))
        .collect::<Result<_, _>>()?;
    let initial = state
        .iter()
        .map(|v| spec.scalar(&v.initial).map_err(|e| e.0))
        .collect::<Result<_, _>>()?;
    Ok((programs, initial))
}

/// The cumulative integral of samples `f` spaced `h` apart, from the first sample.
pub fn cumulative(f: &[f64], h: f64, rule: Rule) -> Vec<f64> {
    let n = f.len();
    let mut out = vec![0.0; n];
    for i in 1..n {
        let piece = match rule {
            Rule::Trapezoid => h / 2.0 * (f[i - 1] + f[i]),
            // One interval of the parabola through three neighbouring samples (third order).
            Rule::Simpson if n >= 3 && i + 1 < n => {
                h / 12.0 * (5.0 * f[i - 1] + 8.0 * f[i] - f[i + 1])
            }
            Rule::Simpson if n >= 3 => h / 12.0 * (-f[i - 2] + 8.0 * f[i - 1] + 5.0 * f[i]),
            Rule::Simpson => h / 2.0 * (f[i - 1] + f[i]),
        };
        out[i] = out[i - 1] + piece;
    }
    out
}

/// An ODE's solution: the times and the state at each.
pub struct OdeSolution {
    pub t: Vec<f64>,
    pub states: Vec<Vec<f64>>,
}

fn integrate_ode(
    spec: &Spec,
    method: OdeMethod,
    state: &[Variable],
    (t0, t1): (f64, f64),
    steps: usize,
    out: &mut Recorder,
) -> Result<OdeSolution, String> {
    let (rates, mut y) = system(spec, state, &names(state))?;
    let dt = (t1 - t0) / steps as f64;
    let derivative = |t: f64, y: &[f64]| -> Vec<f64> {
        let mut inputs = vec![t];
        inputs.extend(y);
        let inputs = spec.inputs(&inputs);
        rates.iter().map(|p| p.eval(&inputs)).collect()
    };
    let axpy = |y: &[f64], a: f64, k: &[f64]| -> Vec<f64> {
        y.iter().zip(k).map(|(y, k)| y + a * k).collect()
    };
    let mut solution = OdeSolution {
        t: vec![t0],
        states: vec![y.clone()],
    };
    let positions: Vec<usize> = (0..state.len())
        .filter(|&i| state[i].role == Some(Role::Position))
        .collect();
    let velocities: Vec<usize> = (0..state.len())
        .filter(|&i| state[i].role == Some(Role::Velocity))
        .collect();
    for step in 0..steps {
        let t = t0 + step as f64 * dt;
        y = match method {
            OdeMethod::Euler => axpy(&y, dt, &derivative(t, &y)),
            OdeMethod::Rk4 => {
                let k1 = derivative(t, &y);
                let k2 = derivative(t + dt / 2.0, &axpy(&y, dt / 2.0, &k1));
                let k3 = derivative(t + dt / 2.0, &axpy(&y, dt / 2.0, &k2));
                let k4 = derivative(t + dt, &axpy(&y, dt, &k3));
                (0..y.len())
                    .map(|i| y[i] + dt / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]))
                    .collect()
            }
            OdeMethod::Verlet => {
                // Kick (half step of velocity), drift (whole step of position), kick.
                let mut y = y.clone();
                let a = derivative(t, &y);
                for &i in &velocities {
                    y[i] += dt / 2.0 * a[i];
                }
                let v = derivative(t, &y);
                for &i in &positions {
                    y[i] += dt * v[i];
                }
                let a = derivative(t + dt, &y);
                for &i in &velocities {
                    y[i] += dt / 2.0 * a[i];
                }
                y
            }
        };
        if y.iter().any(|v| !v.is_finite()) {
            return Err(format!(
                "the solution left the finite numbers at t = {}: try more steps",
                t + dt
            ));
        }
        solution.t.push(t + dt);
        solution.states.push(y.clone());
        if step % 1024 == 0 {
            out.progress(0.9 * step as f64 / steps as f64);
        }
    }
    Ok(solution)
}

fn write_ode_record(
    spec: &Spec,
    state: &[Variable],
    record: &Record,
    solution: &OdeSolution,
    out: &mut Recorder,
) -> Result<(), String> {
    let vars = names(state);
    let at = |p: &Program, k: usize| {
        let mut inputs = vec![solution.t[k]];
        inputs.extend(&solution.states[k]);
        p.eval(&spec.inputs(&inputs))
    };
    let n = solution.t.len();
    match record.result_type {
        ResultType::Solution1D => {
            let of_source = record.of.as_deref().unwrap_or_default();
            let of = spec.program(of_source, &vars).map_err(|e| e.0)?;
            let mut computed: Vec<f64> = (0..n).map(|k| at(&of, k)).collect();
            let expected = if record.drift {
                let start = computed[0];
                computed.iter_mut().for_each(|v| *v -= start);
                Some(vec![0.0; n])
            } else {
                match &record.expected {
                    Some(e) => {
                        let e = spec.program(e, &["t"]).map_err(|e| e.0)?;
                        Some(
                            solution
                                .t
                                .iter()
                                .map(|&t| e.eval(&spec.inputs(&[t])))
                                .collect::<Vec<f64>>(),
                        )
                    }
                    None => None,
                }
            };
            let mut fields = vec![
                ("x", solution.t.clone().into()),
                ("computed", computed.clone().into()),
            ];
            if let Some(e) = expected {
                out.error(max_error(&computed, &e));
                fields.push(("expected", e.into()));
            }
            out.write(record, fields, of_source)
        }
        _ => {
            let bodies = record.bodies.as_deref().unwrap_or_default();
            let programs: Vec<(Program, Program)> = bodies
                .iter()
                .map(|[x, y]| {
                    Ok((
                        spec.program(x, &vars).map_err(|e| e.0)?,
                        spec.program(y, &vars).map_err(|e| e.0)?,
                    ))
                })
                .collect::<Result<_, String>>()?;
            let frames = record.frames.unwrap_or(200).clamp(2, n);
            let picks: Vec<usize> = (0..frames).map(|f| f * (n - 1) / (frames - 1)).collect();
            let mut positions = Vec::with_capacity(frames * bodies.len() * 2);
            for &k in &picks {
                for (px, py) in &programs {
                    positions.push(at(px, k));
                    positions.push(at(py, k));
                }
            }
            let positions = ndarray::Array3::from_shape_vec((frames, bodies.len(), 2), positions)
                .map_err(|e| e.to_string())?;
            let t: Vec<f64> = picks.iter().map(|&k| solution.t[k]).collect();
            out.write(
                record,
                vec![("positions", positions.into()), ("t", t.into())],
                "motion",
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cumulative_rules_integrate_polynomials() {
        // ∫₀ˣ 3s² ds = x³: the parabola rule is exact for quadratics, the trapezoid off by h²-order terms.
        let h = 0.1;
        let f: Vec<f64> = (0..11).map(|i| 3.0 * (i as f64 * h).powi(2)).collect();
        let simpson = cumulative(&f, h, Rule::Simpson);
        let trapezoid = cumulative(&f, h, Rule::Trapezoid);
        for (i, value) in simpson.iter().enumerate() {
            let x = i as f64 * h;
            assert!((value - x.powi(3)).abs() < 1e-12, "{i}: {value}");
        }
        assert!((trapezoid[10] - 1.0).abs() > 1e-3 && (trapezoid[10] - 1.0).abs() < 1e-2);
    }

    #[test]
    fn linspace_ends_exactly() {
        let x = linspace(0.0, 1.0, 11);
        assert_eq!((x[0], x[10], x.len()), (0.0, 1.0, 11));
    }
}
