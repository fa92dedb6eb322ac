//! Partial differential equations on a line: the heat equation (Crank–Nicolson or explicit Euler) against its
//! Fourier series and the wave equation (leapfrog).

use super::{compile, count, linspace, max_error, scalar, Fault, Solver};
use crate::example::expr::Program;
use crate::example::recorder::Recorder;
use crate::example::solvers::calculus::cumulative;
use crate::example::spec::{Heat, HeatMethod, ResultType, Rule, Spec, Wave};
use crate::key;
use crate::storage::series::{Row, Series};

impl Solver for Heat {
    fn offered(&self) -> &'static [ResultType] {
        use ResultType::*;
        &[Solution1D, Solution2D]
    }

    fn header(&self) -> String {
        let method = match self.method {
            HeatMethod::CrankNicolson => "Crank–Nicolson",
            HeatMethod::Euler => "explicit Euler",
        };
        format!(
            "heat · {method} · {} points × {} steps",
            self.points, self.steps
        )
    }

    fn check(&self, spec: &Spec) -> Result<(), Fault> {
        self.programs(spec)?;
        positive(spec, &self.alpha, "alpha")?;
        positive(spec, &self.length, "length")?;
        positive(spec, &self.time, "time")?;
        count(self.points, 3..=100_000, key!["computation", "points"])?;
        count(self.steps, 1..=10_000_000, key!["computation", "steps"])?;
        count(self.snapshots, 2..=10_000, key!["computation", "snapshots"])?;
        count(
            self.fourier_terms,
            1..=100_000,
            key!["computation", "fourier_terms"],
        )?;
        let r = self.ratio(spec)?;
        if self.method == HeatMethod::Euler && r > 0.5 {
            return Err((
                key!["computation", "steps"],
                format!(
                    "explicit Euler is unstable with α·dt/dx² = {r:.3} > 1/2: expected at least {} steps",
                    (self.steps as f64 * r / 0.5).ceil()
                ),
            ));
        }
        Ok(())
    }

    fn programs(&self, spec: &Spec) -> Result<Vec<(String, Program)>, Fault> {
        Ok(vec![(
            "u(x, 0)".into(),
            compile(spec, &self.initial, &["x"], key!["computation", "initial"])?,
        )])
    }

    fn run(&self, spec: &Spec, out: &mut Recorder) -> Result<(), String> {
        let value = |s| spec.scalar(s).map_err(|e| e.0);
        let program = |s: &str, vars: &[&str]| spec.program(s, vars).map_err(|e| e.0);
        let (alpha, length, end) = (
            value(&self.alpha)?,
            value(&self.length)?,
            value(&self.time)?,
        );
        let u0 = program(&self.initial, &["x"])?;
        let x = linspace(0.0, length, self.points);
        let mut u: Vec<f64> = x.iter().map(|&x| u0.eval(&spec.inputs(&[x]))).collect();
        let (first, last) = (0, self.points - 1);
        u[first] = 0.0;
        u[last] = 0.0;
        let (dx, dt) = (length / (self.points - 1) as f64, end / self.steps as f64);
        let r = alpha * dt / (dx * dx);
        // u(x, t) is written a row at a time as it is computed: the field fills in on the run's page.
        let growing = Growing::open(spec, out, &x)?;
        growing.row(&x, &u, 0.0)?;
        let mut rows = 1;
        let every = (self.steps / (self.snapshots - 1)).max(1);
        for step in 1..=self.steps {
            u = match self.method {
                HeatMethod::CrankNicolson => crank_nicolson(&u, r),
                HeatMethod::Euler => explicit_euler(&u, r),
            };
            // Evenly spaced rows, and always the last self.time.
            if (step % every == 0 && rows < self.snapshots - 1) || step == self.steps {
                growing.row(&x, &u, step as f64 * dt)?;
                rows += 1;
                out.progress(0.8 * step as f64 / self.steps as f64);
            }
        }
        // The Fourier sine series of the self.initial condition, each mode decaying at its own rate.
        let fine = linspace(0.0, length, 20 * self.points);
        let f0: Vec<f64> = fine.iter().map(|&x| u0.eval(&spec.inputs(&[x]))).collect();
        let h = length / (fine.len() - 1) as f64;
        let coefficients: Vec<f64> = (1..=self.fourier_terms)
            .map(|n| {
                let k = n as f64 * std::f64::consts::PI / length;
                let product: Vec<f64> = fine
                    .iter()
                    .zip(&f0)
                    .map(|(x, f)| f * (k * x).sin())
                    .collect();
                2.0 / length
                    * cumulative(&product, h, Rule::Simpson)
                        .last()
                        .copied()
                        .unwrap_or(0.0)
            })
            .collect();
        let series = |x: f64, t: f64| -> f64 {
            coefficients
                .iter()
                .enumerate()
                .map(|(i, b)| {
                    let k = (i + 1) as f64 * std::f64::consts::PI / length;
                    b * (-alpha * k * k * t).exp() * (k * x).sin()
                })
                .sum()
        };
        let expected: Vec<f64> = x.iter().map(|&x| series(x, end)).collect();
        out.error(max_error(&u, &expected));
        growing.close()?;
        for record in &spec.record {
            match record.result_type {
                // Written as it grew, above.
                ResultType::Solution2D => {}
                _ => out.write(
                    record,
                    vec![
                        ("x", x.clone().into()),
                        ("computed", u.clone().into()),
                        ("expected", expected.clone().into()),
                    ],
                    "u(x, t_end) against the Fourier series",
                )?,
            }
        }
        Ok(())
    }
}

impl Solver for Wave {
    fn offered(&self) -> &'static [ResultType] {
        use ResultType::*;
        &[Solution1D, Solution2D, PhysicsAnimation]
    }

    fn header(&self) -> String {
        format!(
            "wave · leapfrog · {} points × {} steps",
            self.points, self.steps
        )
    }

    fn check(&self, spec: &Spec) -> Result<(), Fault> {
        self.programs(spec)?;
        let c = positive(spec, &self.speed, "speed")?;
        let l = positive(spec, &self.length, "length")?;
        let t = positive(spec, &self.time, "time")?;
        count(self.points, 3..=100_000, key!["computation", "points"])?;
        count(self.steps, 1..=10_000_000, key!["computation", "steps"])?;
        count(self.frames, 2..=10_000, key!["computation", "frames"])?;
        let courant = c * (t / self.steps as f64) / (l / (self.points - 1) as f64);
        if courant > 1.0 {
            return Err((
                key!["computation", "steps"],
                format!("the leapfrog scheme is unstable with c·dt/dx = {courant:.3} > 1: expected at least {} steps", (self.steps as f64 * courant).ceil()),
            ));
        }
        Ok(())
    }

    fn programs(&self, spec: &Spec) -> Result<Vec<(String, Program)>, Fault> {
        let mut out = Vec::new();
        out.push((
            "u(x, 0)".into(),
            compile(spec, &self.initial, &["x"], key!["computation", "initial"])?,
        ));
        out.push((
            "u_t(x, 0)".into(),
            compile(
                spec,
                &self.velocity,
                &["x"],
                key!["computation", "velocity"],
            )?,
        ));
        if let Some(e) = &self.exact {
            out.push((
                "expected u(x, t)".into(),
                compile(spec, e, &["x", "t"], key!["computation", "exact"])?,
            ));
        }
        Ok(out)
    }

    fn run(&self, spec: &Spec, out: &mut Recorder) -> Result<(), String> {
        let value = |s| spec.scalar(s).map_err(|e| e.0);
        let program = |s: &str, vars: &[&str]| spec.program(s, vars).map_err(|e| e.0);
        let (c, length, end) = (
            value(&self.speed)?,
            value(&self.length)?,
            value(&self.time)?,
        );
        let (u0, v0) = (
            program(&self.initial, &["x"])?,
            program(&self.velocity, &["x"])?,
        );
        let n = self.points;
        let x = linspace(0.0, length, n);
        let (dx, dt) = (length / (n - 1) as f64, end / self.steps as f64);
        let r2 = (c * dt / dx).powi(2);
        let mut previous: Vec<f64> = x.iter().map(|&x| u0.eval(&spec.inputs(&[x]))).collect();
        previous[0] = 0.0;
        previous[n - 1] = 0.0;
        // The first step from the self.initial self.velocity (second order).
        let mut current = previous.clone();
        for i in 1..n - 1 {
            let v = v0.eval(&spec.inputs(&[x[i]]));
            current[i] = previous[i]
                + dt * v
                + r2 / 2.0 * (previous[i + 1] - 2.0 * previous[i] + previous[i - 1]);
        }
        let picks: Vec<usize> = (0..self.frames)
            .map(|f| f * self.steps / (self.frames - 1))
            .collect();
        // The string and u(x, t) are written a frame at a time as they are computed.
        let growing = Growing::open(spec, out, &x)?;
        growing.row(&x, &previous, 0.0)?;
        if picks.contains(&1) {
            growing.row(&x, &current, dt)?;
        }
        for step in 2..=self.steps {
            let mut next = vec![0.0; n];
            for i in 1..n - 1 {
                next[i] = 2.0 * current[i] - previous[i]
                    + r2 * (current[i + 1] - 2.0 * current[i] + current[i - 1]);
            }
            previous = std::mem::replace(&mut current, next);
            if picks.binary_search(&step).is_ok() {
                growing.row(&x, &current, step as f64 * dt)?;
                // At each frame, so that a streamed example spreads its frames over its time.
                out.progress(0.8 * step as f64 / self.steps as f64);
            }
        }
        let expected = match &self.exact {
            Some(e) => {
                let e = program(e, &["x", "t"])?;
                let values: Vec<f64> = x.iter().map(|&x| e.eval(&spec.inputs(&[x, end]))).collect();
                out.error(max_error(&current, &values));
                Some(values)
            }
            None => None,
        };
        growing.close()?;
        for record in &spec.record {
            match record.result_type {
                // Written as they grew, above.
                ResultType::PhysicsAnimation | ResultType::Solution2D => {}
                _ => {
                    let mut fields = vec![
                        ("x", x.clone().into()),
                        ("computed", current.clone().into()),
                    ];
                    if let Some(e) = &expected {
                        fields.push(("expected", e.clone().into()));
                    }
                    out.write(record, fields, "u(x, t_end)")?;
                }
            }
        }
        Ok(())
    }
}

/// The records of a PDE on a line that grow while it runs: each `Solution2D` is u(x, t) taking a row of u
/// (`values`) and its time (`y`) at each time kept, each `PhysicsAnimation` the string as beads (every grid
/// point up to about 60 of them) taking a frame.
struct Growing {
    fields: Vec<Series>,
    strings: Vec<Series>,
    beads: Vec<usize>,
}

impl Growing {
    fn open(spec: &Spec, out: &mut Recorder, x: &[f64]) -> Result<Self, String> {
        let stride = (x.len() / 60).max(1);
        let mut growing = Self {
            fields: Vec::new(),
            strings: Vec::new(),
            beads: (0..x.len()).step_by(stride).collect(),
        };
        for record in &spec.record {
            match record.result_type {
                ResultType::Solution2D => growing.fields.push(out.open(
                    record,
                    vec![("x", x.to_vec().into())],
                    "u(x, t)",
                )?),
                ResultType::PhysicsAnimation => {
                    growing
                        .strings
                        .push(out.open(record, Vec::new(), "the string")?)
                }
                _ => {}
            }
        }
        Ok(growing)
    }

    /// u over the grid `x` at time `t`.
    fn row(&self, x: &[f64], u: &[f64], t: f64) -> Result<(), String> {
        for field in &self.fields {
            field
                .append([("values", Row::from(u)), ("y", Row::from(t))])
                .map_err(appending)?;
        }
        if !self.strings.is_empty() {
            let frame = Row {
                shape: vec![self.beads.len(), 2],
                values: self.beads.iter().flat_map(|&i| [x[i], u[i]]).collect(),
            };
            for string in &self.strings {
                string
                    .append([("positions", frame.clone()), ("t", Row::from(t))])
                    .map_err(appending)?;
            }
        }
        Ok(())
    }

    fn close(self) -> Result<(), String> {
        self.fields
            .into_iter()
            .chain(self.strings)
            .try_for_each(|s| {
                s.close()
                    .map_err(|e| format!("cannot close the result: {e}"))
            })
    }
}

fn appending(e: crate::storage::Error) -> String {
    format!("cannot append to the result: {e}")
}

fn positive(spec: &Spec, s: &crate::example::spec::Scalar, name: &str) -> Result<f64, Fault> {
    let v = scalar(spec, s, key!["computation", name])?;
    if v > 0.0 {
        Ok(v)
    } else {
        Err((
            key!["computation", name],
            format!("expected a positive number, found {v}"),
        ))
    }
}

impl Heat {
    /// The mesh ratio α·dt/dx², which explicit Euler needs at most 1/2.
    fn ratio(&self, spec: &Spec) -> Result<f64, Fault> {
        let alpha = positive(spec, &self.alpha, "alpha")?;
        let length = positive(spec, &self.length, "length")?;
        let time = positive(spec, &self.time, "time")?;
        let dx = length / (self.points - 1) as f64;
        Ok(alpha * (time / self.steps as f64) / (dx * dx))
    }
}

/// One explicit Euler step of u_t = α u_xx with u = 0 at both ends; `r` = α dt / dx².
fn explicit_euler(u: &[f64], r: f64) -> Vec<f64> {
    let n = u.len();
    let mut next = vec![0.0; n];
    for i in 1..n - 1 {
        next[i] = u[i] + r * (u[i - 1] - 2.0 * u[i] + u[i + 1]);
    }
    next
}

/// One Crank–Nicolson step of u_t = α u_xx with u = 0 at both ends; `r` = α dt / dx².
fn crank_nicolson(u: &[f64], r: f64) -> Vec<f64> {
    let n = u.len();
    // (1 + r) uᵢⁿ⁺¹ − r/2 (uᵢ₋₁ⁿ⁺¹ + uᵢ₊₁ⁿ⁺¹) = (1 − r) uᵢⁿ + r/2 (uᵢ₋₁ⁿ + uᵢ₊₁ⁿ), solved by the Thomas algorithm.
    let m = n - 2;
    let d: Vec<f64> = (1..n - 1)
        .map(|i| (1.0 - r) * u[i] + r / 2.0 * (u[i - 1] + u[i + 1]))
        .collect();
    let (a, b) = (-r / 2.0, 1.0 + r);
    let mut c_prime = vec![0.0; m];
    let mut d_prime = vec![0.0; m];
    for i in 0..m {
        let denominator = b - if i > 0 { a * c_prime[i - 1] } else { 0.0 };
        c_prime[i] = a / denominator;
        d_prime[i] = (d[i] - if i > 0 { a * d_prime[i - 1] } else { 0.0 }) / denominator;
    }
    let mut next = vec![0.0; n];
    for i in (0..m).rev() {
        next[i + 1] = d_prime[i]
            - if i + 1 < m {
                c_prime[i] * next[i + 2]
            } else {
                0.0
            };
    }
    next
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crank_nicolson_decays_the_first_mode_at_its_rate() {
        let n = 101;
        let x = linspace(0.0, 1.0, n);
        let mut u: Vec<f64> = x.iter().map(|x| (std::f64::consts::PI * x).sin()).collect();
        let (alpha, dt, steps) = (1.0, 1e-4, 1000);
        let r = alpha * dt / (0.01f64 * 0.01);
        for _ in 0..steps {
            u = crank_nicolson(&u, r);
        }
        let decay = (-std::f64::consts::PI.powi(2) * 0.1).exp();
        for (ui, xi) in u.iter().zip(&x) {
            assert!((ui - decay * (std::f64::consts::PI * xi).sin()).abs() < 1e-4);
        }
    }
}
