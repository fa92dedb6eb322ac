//! Integration on a grid and recurrences.

use super::{compile, compile_rate, count, interval, linspace, max_error, scalar, Fault, Solver};
use crate::example::expr::Program;
use crate::example::recorder::Recorder;
use crate::example::spec::{Integrate, Recurrence, ResultType, Rule, Spec, Variable};
use crate::key;

impl Solver for Integrate {
    fn offered(&self) -> &'static [ResultType] {
        use ResultType::*;
        &[Solution1D]
    }

    fn header(&self) -> String {
        let rule = match self.rule {
            Rule::Trapezoid => "trapezoid",
            Rule::Simpson => "parabolic (Simpson)",
        };
        format!(
            "integrate · cumulative {rule} rule · {} points",
            self.points
        )
    }

    fn check(&self, spec: &Spec) -> Result<(), Fault> {
        self.programs(spec)?;
        interval(spec, &self.domain, "domain", ("a", "b"))?;
        count(self.points, 3..=10_000_000, key!["computation", "points"])
    }

    fn programs(&self, spec: &Spec) -> Result<Vec<(String, Program)>, Fault> {
        let mut out = Vec::new();
        out.push((
            "f(x)".into(),
            compile(
                spec,
                &self.integrand,
                &["x"],
                key!["computation", "integrand"],
            )?,
        ));
        if let Some(g) = &self.antiderivative {
            out.push((
                "expected F(x)".into(),
                compile(spec, g, &["x"], key!["computation", "antiderivative"])?,
            ));
        }
        Ok(out)
    }

    fn run(&self, spec: &Spec, out: &mut Recorder) -> Result<(), String> {
        let (a, b) = (
            spec.scalar(&self.domain[0]).map_err(|e| e.0)?,
            spec.scalar(&self.domain[1]).map_err(|e| e.0)?,
        );
        let f = spec.program(&self.integrand, &["x"]).map_err(|e| e.0)?;
        let x = linspace(a, b, self.points);
        let fx: Vec<f64> = x.iter().map(|&x| f.eval(&spec.inputs(&[x]))).collect();
        let h = (b - a) / (self.points - 1) as f64;
        let computed = cumulative(&fx, h, self.rule);
        out.progress(0.8);
        let expected = match &self.antiderivative {
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
}

impl Solver for Recurrence {
    fn offered(&self) -> &'static [ResultType] {
        use ResultType::*;
        &[DiscreteSequence]
    }

    fn header(&self) -> String {
        format!("recurrence · {} steps", self.steps)
    }

    fn check(&self, spec: &Spec) -> Result<(), Fault> {
        self.programs(spec)?;
        count(self.steps, 1..=10_000_000, key!["computation", "steps"])?;
        for (i, v) in self.state.iter().enumerate() {
            scalar(spec, &v.initial, key!["computation", "state", i, "initial"])?;
        }
        for name in self.closed_form.keys() {
            if !self.state.iter().any(|v| &v.name == name) {
                return Err((
                    key!["computation", "closed_form", name.clone()],
                    format!("`{name}` is not a variable of the state"),
                ));
            }
        }
        for (i, record) in spec.record.iter().enumerate() {
            let of = record.of.as_deref().unwrap_or(&self.state[0].name);
            if !self.state.iter().any(|v| v.name == of) {
                return Err((
                    key!["record", i, "of"],
                    format!("expected a variable of the state, found `{of}`"),
                ));
            }
        }
        Ok(())
    }

    fn programs(&self, spec: &Spec) -> Result<Vec<(String, Program)>, Fault> {
        let mut out = Vec::new();
        let vars = step_names(&self.state);
        for (i, v) in self.state.iter().enumerate() {
            out.push((format!("{}[n+1]", v.name), compile_rate(spec, i, v, &vars)?));
        }
        for (name, form) in &self.closed_form {
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
        Ok(out)
    }

    fn run(&self, spec: &Spec, out: &mut Recorder) -> Result<(), String> {
        let (next, mut current) = system(spec, &self.state, &step_names(&self.state))?;
        let mut history = vec![current.clone()];
        for n in 0..self.steps {
            let mut inputs = vec![n as f64];
            inputs.extend(&current);
            let inputs = spec.inputs(&inputs);
            current = next.iter().map(|p| p.eval(&inputs)).collect();
            history.push(current.clone());
        }
        out.progress(0.9);
        for record in &spec.record {
            let of = record.of.as_deref().unwrap_or(&self.state[0].name);
            let k = self
                .state
                .iter()
                .position(|v| v.name == of)
                .ok_or("unknown variable")?;
            let values: Vec<f64> = history.iter().map(|h| h[k]).collect();
            let mut fields = vec![("values", values.clone().into())];
            if let Some(form) = self.closed_form.get(of) {
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
}

/// `n` and the state's names, the inputs of a recurrence's expressions.
fn step_names(state: &[Variable]) -> Vec<&str> {
    std::iter::once("n")
        .chain(state.iter().map(|v| v.name.as_str()))
        .collect()
}

/// A system's compiled rates (or next values) over `vars`, and its initial values.
pub(super) fn system(
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
