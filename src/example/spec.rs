//! The YAML of an example: one file, one run. Read with `serde_yaml_ng`; every mistake is reported with the
//! file, line and column, the key at fault and what was expected — before anything is written.

use indexmap::IndexMap;
use serde::Deserialize;

pub use crate::example::computation::{
    Computation, GradientDescent, Heat, HeatMethod, Integrate, LeastSquares, Ode, OdeMethod,
    Poisson, Recurrence, Role, Rule, Scalar, Sde, Variable, Wave,
};
use crate::example::expr::{ExprError, Program};
use crate::example::located::{clean_message, path_text, segments};
pub use crate::example::located::{locate, IntoSegment, Segment, SpecError};
pub use crate::model::ResultType;

/// A parsed example.
#[derive(Clone, Debug)]
pub struct Spec {
    pub name: String,
    /// One line: what the example shows (listed by `asgard example --list`).
    pub description: String,
    /// The source equation, shown in the run list.
    pub equation: String,
    /// Named constants every expression may use.
    pub params: IndexMap<String, f64>,
    pub computation: Computation,
    /// The results to write, in order.
    pub record: Vec<Record>,
    /// The largest error against the expected solution the example may show (checked by the test suite).
    pub tolerance: Option<f64>,
    /// A point of a sweep: each swept key (its last part: `h`, `method`) and its value here; written into the
    /// run's metadata. Empty for an example without `sweep` (`example::sweep`).
    pub point: Vec<(String, serde_json::Value)>,
    /// The sweep this point belongs to: one id for every point of one `asgard example` invocation, written as
    /// the run's `meta.sweep`.
    pub sweep: Option<String>,
}

/// The file as serde reads it: `computation` is read second, by its `solver` (see [`Spec::parse`]).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpec {
    name: String,
    description: String,
    equation: String,
    #[serde(default)]
    params: IndexMap<String, f64>,
    computation: serde_yaml_ng::Value,
    record: Vec<Record>,
    tolerance: Option<f64>,
    /// Read by `example::sweep`, which expands it into one document per point; the example itself is its base.
    #[serde(default, rename = "sweep")]
    _sweep: Option<serde_yaml_ng::Value>,
}

/// One result to write: its type, what it shows (`of`, for solvers that offer several), extra quantities for
/// the ODE solver, and the `display` options passed through to the dashboard.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    #[serde(rename = "type", deserialize_with = "known_type")]
    pub result_type: ResultType,
    pub of: Option<String>,
    /// `ode`, `Solution1D`: the expected value of `of`, an expression in t.
    pub expected: Option<String>,
    /// `ode`, `Solution1D`: record `of` minus its initial value (e.g. energy drift), expected 0.
    #[serde(default)]
    pub drift: bool,
    /// `ode`, `PhysicsAnimation`: each body's (x, y) as expressions of the state.
    pub bodies: Option<Vec<[String; 2]>>,
    /// `ode`, `PhysicsAnimation`: how many frames to keep.
    pub frames: Option<usize>,
    #[serde(default = "empty_display")]
    pub display: serde_json::Value,
}

/// An example writes one of the known types: any other name is a mistake in the file.
fn known_type<'de, D: serde::Deserializer<'de>>(d: D) -> Result<ResultType, D::Error> {
    match ResultType::from(String::deserialize(d)?) {
        ResultType::Other(name) => {
            Err(serde::de::Error::unknown_variant(&name, &ResultType::NAMES))
        }
        known => Ok(known),
    }
}

fn empty_display() -> serde_json::Value {
    serde_json::json!({})
}

impl Spec {
    /// Reads an example: the YAML, then its computation by solver; `file` names it in errors. What serde cannot
    /// check (expressions, sizes, the record types a solver writes) the solvers check: see `example::parse`.
    pub fn parse(file: &str, text: &str) -> Result<Self, SpecError> {
        Self::read(file, text, serde_yaml_ng::Deserializer::from_str(text))
    }

    /// Reads an example from a document already parsed (a point of a sweep, `example::sweep`): like
    /// [`Spec::parse`], its mistakes placed in `text` by their keys.
    pub fn from_value(
        file: &str,
        text: &str,
        document: serde_yaml_ng::Value,
    ) -> Result<Self, SpecError> {
        Self::read(file, text, document)
    }

    fn read<'de, D>(file: &str, text: &str, deserializer: D) -> Result<Self, SpecError>
    where
        D: serde::Deserializer<'de, Error = serde_yaml_ng::Error>,
    {
        let raw: RawSpec = serde_path_to_error::deserialize(deserializer).map_err(|e| {
            let path = segments(e.path());
            let inner = e.into_inner();
            let position = inner
                .location()
                .map(|l| (l.line(), l.column()))
                .or_else(|| locate(text, &path));
            SpecError {
                file: file.to_owned(),
                position,
                key: path_text(&path),
                message: clean_message(&inner.to_string()),
            }
        })?;
        let spec = Self {
            computation: computation(raw.computation, &raw.params)
                .map_err(|mistake| SpecError::located(file, text, mistake))?,
            name: raw.name,
            description: raw.description,
            equation: raw.equation,
            params: raw.params,
            record: raw.record,
            tolerance: raw.tolerance,
            point: Vec::new(),
            sweep: None,
        };
        Ok(spec)
    }

    /// Evaluates a number or an expression of the parameters.
    pub fn scalar(&self, s: &Scalar) -> Result<f64, ExprError> {
        match s {
            Scalar::Number(v) => Ok(*v),
            Scalar::Expr(e) => {
                let names: Vec<&str> = self.params.keys().map(String::as_str).collect();
                let p = Program::compile(e, &names)?;
                Ok(p.eval(&self.params.values().copied().collect::<Vec<_>>()))
            }
        }
    }

    /// Compiles an expression of `vars` and the parameters; evaluate it with [`Spec::inputs`].
    pub fn program(&self, source: &str, vars: &[&str]) -> Result<Program, ExprError> {
        let mut names: Vec<&str> = vars.to_vec();
        names.extend(self.params.keys().map(String::as_str));
        Program::compile(source, &names)
    }

    /// The input vector for a program of `vars`: their values, then the parameters.
    pub fn inputs(&self, vars: &[f64]) -> Vec<f64> {
        let mut out = vars.to_vec();
        out.extend(self.params.values().copied());
        out
    }
}

/// The keys of a computation that hold a count (of points, steps, …): each may be a whole number or an
/// expression of the parameters that gives one (`points: "N + 1"`, `steps: "4 * N^2"`), which is how a sweep
/// over a parameter changes them.
pub const COUNTS: [&str; 8] = [
    "points",
    "steps",
    "snapshots",
    "fourier_terms",
    "max_iterations",
    "frames",
    "paths",
    "iterations",
];

/// Replaces each count written as an expression of the parameters by its value.
fn resolve_counts(
    map: &mut serde_yaml_ng::Mapping,
    params: &IndexMap<String, f64>,
) -> Result<(), (Vec<Segment>, String)> {
    use serde_yaml_ng::Value;
    let names: Vec<&str> = params.keys().map(String::as_str).collect();
    let values: Vec<f64> = params.values().copied().collect();
    for key in COUNTS {
        let Some(Value::String(source)) = map.get(key) else {
            continue;
        };
        let at = vec![Segment::Key("computation".into()), Segment::Key(key.into())];
        let n = Program::compile(source, &names)
            .map_err(|ExprError(e)| (at.clone(), e))?
            .eval(&values);
        if !(n.is_finite() && n >= 0.0 && n.fract() == 0.0 && n <= u32::MAX as f64) {
            return Err((
                at,
                format!("expected a whole number or an expression of the parameters giving one; `{source}` gives {n}"),
            ));
        }
        map.insert(Value::from(key), Value::from(n as u64));
    }
    Ok(())
}

/// Reads `computation` by its `solver`. Read apart from the rest (serde's internally tagged enums buffer their
/// content and lose the path), so that a mistake inside names its key, e.g. `computation.method`.
fn computation(
    value: serde_yaml_ng::Value,
    params: &IndexMap<String, f64>,
) -> Result<Computation, (Vec<Segment>, String)> {
    use serde_yaml_ng::Value;
    let Value::Mapping(mut map) = value else {
        return Err((
            vec![Segment::Key("computation".into())],
            "expected a mapping: `solver` and its parameters".into(),
        ));
    };
    let solver = match map.remove("solver") {
        Some(Value::String(s)) => s,
        Some(other) => {
            return Err((
                vec![
                    Segment::Key("computation".into()),
                    Segment::Key("solver".into()),
                ],
                format!("expected a solver's name, found {other:?}"),
            ))
        }
        None => {
            return Err((
                vec![Segment::Key("computation".into())],
                format!(
                    "missing field `solver`: expected one of {}",
                    SOLVERS.join(", ")
                ),
            ))
        }
    };
    resolve_counts(&mut map, params)?;
    // serde_yaml_ng reads an enum from a tagged value: `!ode {method: rk4, ...}`.
    let tagged = Value::Tagged(Box::new(serde_yaml_ng::value::TaggedValue {
        tag: serde_yaml_ng::value::Tag::new(solver.clone()),
        value: Value::Mapping(map),
    }));
    serde_path_to_error::deserialize::<_, Computation>(tagged).map_err(|e| {
        let mut path = vec![Segment::Key("computation".into())];
        let inner: Vec<Segment> = segments(e.path())
            .into_iter()
            .skip_while(|s| *s == Segment::Key(solver.clone()))
            .collect();
        let message = clean_message(&e.into_inner().to_string());
        if inner.is_empty() && message.starts_with("unknown variant") {
            path.push(Segment::Key("solver".into()));
        }
        path.extend(inner);
        (path, message)
    })
}

/// The solvers, as `solver:` names them.
pub const SOLVERS: [&str; 9] = [
    "integrate",
    "ode",
    "heat",
    "poisson",
    "wave",
    "sde",
    "recurrence",
    "gradient_descent",
    "least_squares",
];

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "\
name: Decay
description: one line
equation: \"dN/dt = -k N\"
params:
  k: 0.5
computation:
  solver: ode
  method: rk4
  state:
    - {name: N, initial: 1, rate: \"-k * N\"}
  time: [0, 1]
  steps: 10
record:
  - type: Solution1D
    of: N
    expected: \"exp(-k * t)\"
";

    /// What reading and checking the file refuses (`example::parse`: this module, then the solvers' checks).
    fn error(text: &str) -> SpecError {
        crate::example::parse("mine.yaml", text).expect_err("refused")
    }

    #[test]
    fn a_good_file_parses() {
        let spec = Spec::parse("mine.yaml", GOOD).unwrap();
        assert_eq!(spec.name, "Decay");
        assert_eq!(spec.params["k"], 0.5);
        assert_eq!(spec.computation.solver(), "ode");
    }

    #[test]
    fn an_unknown_solver_names_the_known_ones_and_the_place() {
        let e = error(&GOOD.replace("solver: ode", "solver: magic"));
        assert_eq!(e.key, "computation.solver");
        assert_eq!(e.position.map(|p| p.0), Some(7), "{e}");
        assert!(
            e.message.contains("unknown variant `magic`")
                && e.message.contains("`ode`")
                && e.message.contains("`heat`"),
            "{e}"
        );
        assert!(e.to_string().starts_with("mine.yaml:7:"), "{e}");
    }

    #[test]
    fn an_unknown_method_and_a_wrong_type_are_placed() {
        let e = error(&GOOD.replace("method: rk4", "method: rk5"));
        assert!(
            e.message
                .contains("unknown variant `rk5`, expected one of `euler`, `rk4`, `verlet`"),
            "{e}"
        );
        assert_eq!(e.position.map(|p| p.0), Some(8), "{e}");
        let e = error(&GOOD.replace("steps: 10", "steps: many"));
        assert_eq!(e.key, "computation.steps");
        assert_eq!(e.position, Some((12, 3)), "{e}");
    }

    #[test]
    fn a_bad_expression_names_its_key_line_and_the_names_it_may_use() {
        let e = error(&GOOD.replace("rate: \"-k * N\"", "rate: \"-k * M\""));
        assert_eq!(e.key, "computation.state[0].rate");
        assert_eq!(e.position.map(|p| p.0), Some(10), "{e}");
        assert!(
            e.message.contains("unknown name `M`") && e.message.contains("t, N, k"),
            "{e}"
        );
        let e = error(&GOOD.replace("expected: \"exp(-k * t)\"", "expected: \"exp(-k * t\""));
        assert_eq!(e.key, "record[0].expected");
        assert_eq!(e.position, Some((16, 5)), "{e}");
    }

    #[test]
    fn missing_and_unknown_keys_and_wrong_records_are_refused() {
        let e = error(&GOOD.replace("equation: \"dN/dt = -k N\"\n", ""));
        assert!(e.message.contains("missing field `equation`"), "{e}");
        let e = error(&GOOD.replace("  steps: 10", "  steps: 10\n  stepz: 3"));
        assert!(e.message.contains("unknown field `stepz`"), "{e}");
        let e = error(&GOOD.replace("type: Solution1D", "type: Solution2D"));
        assert_eq!(e.key, "record[0].type");
        assert!(e.message.contains("solver `ode` does not write Solution2D: expected one of Solution1D, PhysicsAnimation"), "{e}");
        let e = error(&GOOD.replace("type: Solution1D", "type: Heatmap"));
        assert!(e.message.contains("unknown variant `Heatmap`"), "{e}");
        let e = error("name: [unclosed");
        assert!(e.position.is_some(), "a syntax error has a place: {e}");
    }

    #[test]
    fn locate_follows_indentation_and_list_items() {
        let path = vec![
            Segment::Key("computation".into()),
            Segment::Key("state".into()),
            Segment::Index(0),
            Segment::Key("rate".into()),
        ];
        assert_eq!(locate(GOOD, &path).map(|p| p.0), Some(10));
        assert_eq!(
            locate(
                GOOD,
                &[
                    Segment::Key("record".into()),
                    Segment::Index(0),
                    Segment::Key("of".into())
                ]
            ),
            Some((15, 5))
        );
        assert_eq!(locate(GOOD, &[Segment::Key("nowhere".into())]), None);
    }
}
