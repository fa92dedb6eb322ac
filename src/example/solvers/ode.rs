//! Ordinary differential equations dy/dt = f(t, y) for a system of named variables: explicit Euler, classical
//! Runge–Kutta and velocity Verlet.

use super::calculus::system;
use super::{compile, compile_rate, count, interval, scalar, Fault, Solver};
use crate::example::expr::Program;
use crate::example::recorder::Recorder;
use crate::example::spec::{Ode, OdeMethod, Record, ResultType, Role, Spec, Variable};
use crate::key;
use crate::storage::series::{Row, Series};

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
        // Written as it goes: the solution extends, and the bodies move, on the run's page while it runs.
        let vars = names(&self.state);
        let mut written = Vec::new();
        for record in &spec.record {
            written.push(Streamed::open(spec, &vars, record, self.steps + 1, out)?);
        }
        let mut on_state = |k: usize, t: f64, y: &[f64]| -> Result<(), String> {
            let mut inputs = vec![t];
            inputs.extend(y);
            let (inputs, at) = (spec.inputs(&inputs), spec.inputs(&[t]));
            written.iter_mut().try_for_each(|w| w.push(k, &inputs, &at))
        };
        integrate_ode(
            spec,
            self.method,
            &self.state,
            (t0, t1),
            self.steps,
            out,
            &mut on_state,
        )?;
        for w in written {
            w.close(out)?;
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

/// Told the step, the time and the state at each time of an integration.
type OnState<'a> = &'a mut dyn FnMut(usize, f64, &[f64]) -> Result<(), String>;

/// Integrates from `t0` to `t1` in `steps` steps, telling `on_state` the state at each time (step 0 the
/// initial state).
fn integrate_ode(
    spec: &Spec,
    method: OdeMethod,
    state: &[Variable],
    (t0, t1): (f64, f64),
    steps: usize,
    out: &mut Recorder,
    on_state: OnState<'_>,
) -> Result<(), String> {
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
    on_state(0, t0, &y)?;
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
        on_state(step + 1, t + dt, &y)?;
        if step % 64 == 0 {
            out.progress(0.9 * step as f64 / steps as f64);
        }
    }
    Ok(())
}

/// One record of an ODE, written as the solution is computed: a `Solution1D` of a quantity over t (with the
/// expected solution, or its drift from the start), or a `PhysicsAnimation` of the bodies at `frames` times
/// spread over the steps.
struct Streamed {
    series: Series,
    kind: Kind,
}

enum Kind {
    Quantity {
        of: Program,
        expected: Option<Program>,
        /// `drift`: the quantity's first value, subtracted from every value (the expected drift is 0).
        drift: Option<Option<f64>>,
        max_error: f64,
    },
    Bodies {
        bodies: Vec<(Program, Program)>,
        /// The steps whose states are frames, in order, and the next one to come.
        picks: Vec<usize>,
        next: usize,
    },
}

impl Streamed {
    fn open(
        spec: &Spec,
        vars: &[&str],
        record: &Record,
        states: usize,
        out: &mut Recorder,
    ) -> Result<Self, String> {
        let program = |source: &str, vars: &[&str]| spec.program(source, vars).map_err(|e| e.0);
        match record.result_type {
            ResultType::Solution1D => {
                let of_source = record.of.as_deref().unwrap_or_default();
                Ok(Self {
                    series: out.open(record, Vec::new(), of_source)?,
                    kind: Kind::Quantity {
                        of: program(of_source, vars)?,
                        expected: match (&record.expected, record.drift) {
                            (Some(e), false) => Some(program(e, &["t"])?),
                            _ => None,
                        },
                        drift: record.drift.then_some(None),
                        max_error: 0.0,
                    },
                })
            }
            _ => {
                let bodies = record
                    .bodies
                    .as_deref()
                    .unwrap_or_default()
                    .iter()
                    .map(|[x, y]| Ok((program(x, vars)?, program(y, vars)?)))
                    .collect::<Result<Vec<_>, String>>()?;
                let frames = record.frames.unwrap_or(200).clamp(2, states);
                Ok(Self {
                    series: out.open(record, Vec::new(), "motion")?,
                    kind: Kind::Bodies {
                        bodies,
                        picks: (0..frames)
                            .map(|f| f * (states - 1) / (frames - 1))
                            .collect(),
                        next: 0,
                    },
                })
            }
        }
    }

    /// The state at step `k`: `inputs` are t and the state as the expressions take them, `at` t alone (for
    /// the expected solution).
    fn push(&mut self, k: usize, inputs: &[f64], at: &[f64]) -> Result<(), String> {
        let t = inputs[0];
        let write = |e: crate::storage::Error| format!("cannot append to the result: {e}");
        match &mut self.kind {
            Kind::Quantity {
                of,
                expected,
                drift,
                max_error,
            } => {
                let mut value = of.eval(inputs);
                let want = match drift {
                    Some(start) => {
                        value -= *start.get_or_insert(value);
                        Some(0.0)
                    }
                    None => expected.as_ref().map(|e| e.eval(at)),
                };
                let mut row = vec![("x", Row::from(t)), ("computed", Row::from(value))];
                if let Some(want) = want {
                    // As `max_error` over the whole solution: a NaN difference is passed over.
                    *max_error = max_error.max((value - want).abs());
                    row.push(("expected", Row::from(want)));
                }
                self.series.append(row).map_err(write)
            }
            Kind::Bodies {
                bodies,
                picks,
                next,
            } => {
                if picks.get(*next) != Some(&k) {
                    return Ok(());
                }
                *next += 1;
                let values: Vec<f64> = bodies
                    .iter()
                    .flat_map(|(x, y)| [x.eval(inputs), y.eval(inputs)])
                    .collect();
                let frame = Row {
                    shape: vec![bodies.len(), 2],
                    values,
                };
                self.series
                    .append([("positions", frame), ("t", Row::from(t))])
                    .map_err(write)
            }
        }
    }

    /// Closes the result, noting the largest error against the expected solution.
    fn close(self, out: &mut Recorder) -> Result<(), String> {
        if let Kind::Quantity {
            expected,
            drift,
            max_error,
            ..
        } = &self.kind
        {
            if expected.is_some() || drift.is_some() {
                out.error(*max_error);
            }
        }
        self.series
            .close()
            .map_err(|e| format!("cannot close the result: {e}"))
    }
}
