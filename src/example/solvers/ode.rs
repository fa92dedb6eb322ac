//! Ordinary differential equations dy/dt = f(t, y) for a system of named variables: explicit Euler, classical
//! Runge–Kutta and velocity Verlet.

use super::calculus::system;
use super::{compile, compile_rate, count, interval, max_error, scalar, Fault, Solver};
use crate::example::expr::Program;
use crate::example::recorder::Recorder;
use crate::example::spec::{Ode, OdeMethod, Record, ResultType, Role, Spec, Variable};
use crate::key;

impl Solver for Ode {
    fn offered(&self) -> &'static [ResultType] {
        use ResultType::*;
        &[Solution1D, PhysicsAnimation]
    }

    fn header(&self) -> String {
        let method = match self.method {
            OdeMethod::Euler => "explicit Euler",
            OdeMethod::Rk4 => "classical Runge–Kutta (RK4)",
            OdeMethod::Verlet => "velocity Verlet (symplectic)",
        };
        format!("ode · {method} · {} steps", self.steps)
    }

    fn check(&self, spec: &Spec) -> Result<(), Fault> {
        self.programs(spec)?;
        interval(spec, &self.time, "time", ("start", "end"))?;
        count(self.steps, 1..=10_000_000, key!["computation", "steps"])?;
        for (i, v) in self.state.iter().enumerate() {
            scalar(spec, &v.initial, key!["computation", "state", i, "initial"])?;
            if self.method == OdeMethod::Verlet && v.role.is_none() {
                return Err((
                    key!["computation", "state", i],
                    "method `verlet` needs each variable's `role`: expected position or velocity"
                        .into(),
                ));
            }
        }
        let names = names(&self.state);
        for (i, record) in spec.record.iter().enumerate() {
            match record.result_type {
                ResultType::Solution1D => {
                    let of = record.of.as_deref().ok_or_else(|| {
                        (
                            key!["record", i],
                            "expected `of`: the quantity to plot, an expression of t and the state"
                                .to_owned(),
                        )
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

    fn programs(&self, spec: &Spec) -> Result<Vec<(String, Program)>, Fault> {
        let mut out = Vec::new();
        let vars = names(&self.state);
        for (i, v) in self.state.iter().enumerate() {
            if self.state[..i].iter().any(|w| w.name == v.name) || v.name == "t" {
                return Err((
                    key!["computation", "state", i, "name"],
                    format!("`{}` is already a name: expected a new one", v.name),
                ));
            }
            out.push((format!("d{}/dt", v.name), compile_rate(spec, i, v, &vars)?));
        }
        Ok(out)
    }

    fn run(&self, spec: &Spec, out: &mut Recorder) -> Result<(), String> {
        let (t0, t1) = (
            spec.scalar(&self.time[0]).map_err(|e| e.0)?,
            spec.scalar(&self.time[1]).map_err(|e| e.0)?,
        );
        let solution = integrate_ode(spec, self.method, &self.state, (t0, t1), self.steps, out)?;
        for record in &spec.record {
            write_ode_record(spec, &self.state, record, &solution, out)?;
        }
        Ok(())
    }
}

/// `t` and the state's names, the inputs of an ODE's expressions.
fn names(state: &[Variable]) -> Vec<&str> {
    std::iter::once("t")
        .chain(state.iter().map(|v| v.name.as_str()))
        .collect()
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

/// An ODE's solution: the times and the state at each.
pub struct OdeSolution {
    pub t: Vec<f64>,
    pub states: Vec<Vec<f64>>,
}
