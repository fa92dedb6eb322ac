//! Partial differential equations on grids: the heat equation (Crank–Nicolson) against its Fourier series,
//! Poisson's equation (successive over-relaxation) and the wave equation (leapfrog).

use super::{compile, count, linspace, max_error, scalar, Fault};
use crate::example::expr::Program;
use crate::example::recorder::Recorder;
use crate::example::solvers::calculus::cumulative;
use crate::example::spec::{Computation, ResultType, Rule, Spec};
use crate::key;

pub fn check(spec: &Spec) -> Result<(), Fault> {
    programs(spec)?;
    match &spec.computation {
        Computation::Heat {
            alpha,
            length,
            points,
            time,
            steps,
            snapshots,
            fourier_terms,
            ..
        } => {
            positive(spec, alpha, "alpha")?;
            positive(spec, length, "length")?;
            positive(spec, time, "time")?;
            count(*points, 3..=100_000, key!["computation", "points"])?;
            count(*steps, 1..=10_000_000, key!["computation", "steps"])?;
            count(*snapshots, 2..=10_000, key!["computation", "snapshots"])?;
            count(
                *fourier_terms,
                1..=100_000,
                key!["computation", "fourier_terms"],
            )
        }
        Computation::Poisson {
            points,
            max_iterations,
            residual,
            ..
        } => {
            count(*points, 3..=4_096, key!["computation", "points"])?;
            count(
                *max_iterations,
                1..=10_000_000,
                key!["computation", "max_iterations"],
            )?;
            if residual.is_nan() || *residual <= 0.0 {
                return Err((
                    key!["computation", "residual"],
                    format!("expected a positive number, found {residual}"),
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
        Computation::Wave {
            speed,
            length,
            points,
            time,
            steps,
            frames,
            ..
        } => {
            let c = positive(spec, speed, "speed")?;
            let l = positive(spec, length, "length")?;
            let t = positive(spec, time, "time")?;
            count(*points, 3..=100_000, key!["computation", "points"])?;
            count(*steps, 1..=10_000_000, key!["computation", "steps"])?;
            count(*frames, 2..=10_000, key!["computation", "frames"])?;
            let courant = c * (t / *steps as f64) / (l / (*points - 1) as f64);
            if courant > 1.0 {
                return Err((
                    key!["computation", "steps"],
                    format!("the leapfrog scheme is unstable with c·dt/dx = {courant:.3} > 1: expected at least {} steps", (*steps as f64 * courant).ceil()),
                ));
            }
            Ok(())
        }
        _ => unreachable!("dispatched by solver"),
    }
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

pub fn programs(spec: &Spec) -> Result<Vec<(String, Program)>, Fault> {
    let mut out = Vec::new();
    match &spec.computation {
        Computation::Heat { initial, .. } => {
            out.push((
                "u(x, 0)".into(),
                compile(spec, initial, &["x"], key!["computation", "initial"])?,
            ));
        }
        Computation::Poisson {
            source,
            boundary,
            exact,
            ..
        } => {
            out.push((
                "f(x, y)".into(),
                compile(spec, source, &["x", "y"], key!["computation", "source"])?,
            ));
            out.push((
                "g(x, y) on the boundary".into(),
                compile(spec, boundary, &["x", "y"], key!["computation", "boundary"])?,
            ));
            if let Some(e) = exact {
                out.push((
                    "expected u(x, y)".into(),
                    compile(spec, e, &["x", "y"], key!["computation", "exact"])?,
                ));
            }
        }
        Computation::Wave {
            initial,
            velocity,
            exact,
            ..
        } => {
            out.push((
                "u(x, 0)".into(),
                compile(spec, initial, &["x"], key!["computation", "initial"])?,
            ));
            out.push((
                "u_t(x, 0)".into(),
                compile(spec, velocity, &["x"], key!["computation", "velocity"])?,
            ));
            if let Some(e) = exact {
                out.push((
                    "expected u(x, t)".into(),
                    compile(spec, e, &["x", "t"], key!["computation", "exact"])?,
                ));
            }
        }
        _ => unreachable!("dispatched by solver"),
    }
    Ok(out)
}

pub fn run(spec: &Spec, out: &mut Recorder) -> Result<(), String> {
    let value = |s| spec.scalar(s).map_err(|e| e.0);
    let program = |s: &str, vars: &[&str]| spec.program(s, vars).map_err(|e| e.0);
    match &spec.computation {
        Computation::Heat {
            alpha,
            length,
            initial,
            points,
            time,
            steps,
            snapshots,
            fourier_terms,
        } => {
            let (alpha, length, end) = (value(alpha)?, value(length)?, value(time)?);
            let u0 = program(initial, &["x"])?;
            let x = linspace(0.0, length, *points);
            let mut u: Vec<f64> = x.iter().map(|&x| u0.eval(&spec.inputs(&[x]))).collect();
            let (first, last) = (0, points - 1);
            u[first] = 0.0;
            u[last] = 0.0;
            let (dx, dt) = (length / (*points - 1) as f64, end / *steps as f64);
            let r = alpha * dt / (dx * dx);
            let mut rows = vec![u.clone()];
            let mut times = vec![0.0];
            let every = (*steps / (*snapshots - 1)).max(1);
            for step in 1..=*steps {
                u = crank_nicolson(&u, r);
                // Evenly spaced rows, and always the last time.
                if (step % every == 0 && rows.len() < *snapshots - 1) || step == *steps {
                    rows.push(u.clone());
                    times.push(step as f64 * dt);
                }
                if step % 256 == 0 {
                    out.progress(0.8 * step as f64 / *steps as f64);
                }
            }
            // The Fourier sine series of the initial condition, each mode decaying at its own rate.
            let fine = linspace(0.0, length, 20 * points);
            let f0: Vec<f64> = fine.iter().map(|&x| u0.eval(&spec.inputs(&[x]))).collect();
            let h = length / (fine.len() - 1) as f64;
            let coefficients: Vec<f64> = (1..=*fourier_terms)
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
            for record in &spec.record {
                match record.result_type {
                    ResultType::Solution2D => {
                        out.write_field(record, rows.concat(), &x, &times, "u(x, t)")?
                    }
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
        Computation::Poisson {
            source,
            boundary,
            exact,
            points,
            max_iterations,
            residual,
        } => {
            let n = *points;
            let f = program(source, &["x", "y"])?;
            let g = program(boundary, &["x", "y"])?;
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
            for iteration in 0..*max_iterations {
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
                if change < *residual {
                    break;
                }
                if iteration % 64 == 0 {
                    out.progress(0.8 * iteration as f64 / *max_iterations as f64);
                }
            }
            let expected = match exact {
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
        Computation::Wave {
            speed,
            length,
            initial,
            velocity,
            exact,
            points,
            time,
            steps,
            frames,
        } => {
            let (c, length, end) = (value(speed)?, value(length)?, value(time)?);
            let (u0, v0) = (program(initial, &["x"])?, program(velocity, &["x"])?);
            let n = *points;
            let x = linspace(0.0, length, n);
            let (dx, dt) = (length / (n - 1) as f64, end / *steps as f64);
            let r2 = (c * dt / dx).powi(2);
            let mut previous: Vec<f64> = x.iter().map(|&x| u0.eval(&spec.inputs(&[x]))).collect();
            previous[0] = 0.0;
            previous[n - 1] = 0.0;
            // The first step from the initial velocity (second order).
            let mut current = previous.clone();
            for i in 1..n - 1 {
                let v = v0.eval(&spec.inputs(&[x[i]]));
                current[i] = previous[i]
                    + dt * v
                    + r2 / 2.0 * (previous[i + 1] - 2.0 * previous[i] + previous[i - 1]);
            }
            let picks: Vec<usize> = (0..*frames).map(|f| f * steps / (frames - 1)).collect();
            let mut history = vec![previous.clone()];
            let mut times = vec![0.0];
            if picks.contains(&1) {
                history.push(current.clone());
                times.push(dt);
            }
            for step in 2..=*steps {
                let mut next = vec![0.0; n];
                for i in 1..n - 1 {
                    next[i] = 2.0 * current[i] - previous[i]
                        + r2 * (current[i + 1] - 2.0 * current[i] + current[i - 1]);
                }
                previous = std::mem::replace(&mut current, next);
                if picks.binary_search(&step).is_ok() {
                    history.push(current.clone());
                    times.push(step as f64 * dt);
                }
                if step % 256 == 0 {
                    out.progress(0.8 * step as f64 / *steps as f64);
                }
            }
            let expected = match exact {
                Some(e) => {
                    let e = program(e, &["x", "t"])?;
                    let values: Vec<f64> =
                        x.iter().map(|&x| e.eval(&spec.inputs(&[x, end]))).collect();
                    out.error(max_error(&current, &values));
                    Some(values)
                }
                None => None,
            };
            for record in &spec.record {
                match record.result_type {
                    ResultType::PhysicsAnimation => {
                        // The string as beads: every grid point up to about 60 of them.
                        let stride = (n / 60).max(1);
                        let beads: Vec<usize> = (0..n).step_by(stride).collect();
                        let mut positions = Vec::with_capacity(history.len() * beads.len() * 2);
                        for row in &history {
                            for &i in &beads {
                                positions.push(x[i]);
                                positions.push(row[i]);
                            }
                        }
                        let positions = ndarray::Array3::from_shape_vec(
                            (history.len(), beads.len(), 2),
                            positions,
                        )
                        .map_err(|e| e.to_string())?;
                        out.write(
                            record,
                            vec![("positions", positions.into()), ("t", times.clone().into())],
                            "the string",
                        )?;
                    }
                    ResultType::Solution2D => {
                        out.write_field(record, history.concat(), &x, &times, "u(x, t)")?
                    }
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
        _ => unreachable!("dispatched by solver"),
    }
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
