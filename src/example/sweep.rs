//! `sweep:` in an example: lists of values whose product is a set of points, one run per point. A key names a
//! parameter (`h: [0.25, 0.125]` sets `params.h`, which counts and expressions may use) or a key of the file by
//! its dotted path (`computation.method: [euler, rk4]`). Each run's name ends with its point, and its metadata
//! holds each swept key by its last part (`meta.h`, `meta.method`), so the run list, the compare page and the
//! convergence study find them.

use serde_yaml_ng::{Mapping, Value};

use crate::example::located::{Segment, SpecError};
use crate::example::spec::Spec;

/// The most points (runs) one sweep may have.
pub const MAX_POINTS: usize = 10_000;

/// Metadata the example runtime writes itself, which a swept key may not overwrite.
const RESERVED: [&str; 6] = [
    "example",
    "description",
    "solver",
    "max_error",
    "error",
    "sweep",
];

/// A swept key and its values.
struct Axis {
    key: String,
    /// What the run's metadata calls it: the key's last part.
    name: String,
    values: Vec<Value>,
}

/// The examples a file describes: itself, or one per point of its `sweep` (the first key varies slowest).
pub fn points(file: &str, text: &str) -> Result<Vec<Spec>, SpecError> {
    let document = match serde_yaml_ng::from_str::<Value>(text) {
        Ok(Value::Mapping(map)) => map,
        // Not a mapping, or not YAML: the plain reading says what is wrong, and where.
        _ => return Ok(vec![Spec::parse(file, text)?]),
    };
    let Some(sweep) = document.get("sweep") else {
        return Ok(vec![Spec::parse(file, text)?]);
    };
    let axes = axes(sweep).map_err(|mistake| SpecError::located(file, text, mistake))?;
    let mut base = document.clone();
    base.remove("sweep");
    let total = axes
        .iter()
        .try_fold(1usize, |n, a| n.checked_mul(a.values.len()))
        .filter(|&n| n <= MAX_POINTS)
        .ok_or_else(|| {
            SpecError::located(
                file,
                text,
                (
                    vec![Segment::Key("sweep".into())],
                    format!(
                        "expected at most {MAX_POINTS} points in all: the lists' lengths multiply"
                    ),
                ),
            )
        })?;
    let mut specs = Vec::with_capacity(total);
    for i in 0..total {
        let mut document = base.clone();
        let mut point = Vec::with_capacity(axes.len());
        let mut rest = i;
        let mut picks: Vec<usize> = axes
            .iter()
            .rev()
            .map(|a| {
                let k = rest % a.values.len();
                rest /= a.values.len();
                k
            })
            .collect();
        picks.reverse();
        for (a, k) in axes.iter().zip(picks) {
            let value = &a.values[k];
            assign(&mut document, &a.key, value.clone())
                .map_err(|message| SpecError::located(file, text, (at(&a.key, k), message)))?;
            point.push((a.name.clone(), json(value)));
        }
        let mut spec =
            Spec::from_value(file, text, Value::Mapping(document)).map_err(|e| SpecError {
                message: format!("at the sweep point {}: {}", label(&point), e.message),
                ..e
            })?;
        spec.name = format!("{} ({})", spec.name, label(&point));
        spec.point = point;
        specs.push(spec);
    }
    Ok(specs)
}

/// A point as its run's name ends: `h=0.0625, method=euler`.
pub fn label(point: &[(String, serde_json::Value)]) -> String {
    point
        .iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => format!("{k}={s}"),
            other => format!("{k}={other}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Where the `k`-th value of `key` is written.
fn at(key: &str, k: usize) -> Vec<Segment> {
    vec![
        Segment::Key("sweep".into()),
        Segment::Key(key.into()),
        Segment::Index(k),
    ]
}

/// Reads `sweep`: a mapping of keys to non-empty lists of numbers, text or booleans.
fn axes(sweep: &Value) -> Result<Vec<Axis>, (Vec<Segment>, String)> {
    let here = || vec![Segment::Key("sweep".into())];
    let Value::Mapping(map) = sweep else {
        return Err((
            here(),
            "expected a mapping of keys to lists of values, e.g. `h: [0.1, 0.05]`".into(),
        ));
    };
    if map.is_empty() {
        return Err((here(), "expected at least one key to sweep".into()));
    }
    let mut axes: Vec<Axis> = Vec::new();
    for (key, values) in map {
        let Some(key) = key.as_str() else {
            return Err((here(), format!("expected keys as text, found {key:?}")));
        };
        let place = vec![Segment::Key("sweep".into()), Segment::Key(key.into())];
        let values = match values {
            Value::Sequence(v) if !v.is_empty() => v.clone(),
            _ => {
                return Err((
                    place,
                    "expected a non-empty list of values, e.g. [16, 32, 64]".into(),
                ))
            }
        };
        if let Some(k) = values
            .iter()
            .position(|v| !matches!(v, Value::Number(_) | Value::String(_) | Value::Bool(_)))
        {
            return Err((at(key, k), "expected a number, text or true/false".into()));
        }
        if !key.contains('.') {
            if let Some(k) = values.iter().position(|v| !v.is_number()) {
                return Err((
                    at(key, k),
                    format!("expected a number: `{key}` is a parameter (name a key of the file by its path, e.g. computation.method, to sweep text)"),
                ));
            }
        }
        let name = key.rsplit('.').next().unwrap_or(key).to_owned();
        if RESERVED.contains(&name.as_str()) {
            return Err((
                place,
                format!(
                    "`{name}` is metadata the example runtime writes itself: expected another key"
                ),
            ));
        }
        if axes.iter().any(|a| a.name == name) {
            return Err((
                place,
                format!("two swept keys end in `{name}`: expected each run's metadata to name them apart"),
            ));
        }
        axes.push(Axis {
            key: key.to_owned(),
            name,
            values,
        });
    }
    Ok(axes)
}

/// Sets `key` to `value` in the document: a parameter for a plain name, else the key at its dotted path (whose
/// every part but the last must be there).
fn assign(document: &mut Mapping, key: &str, value: Value) -> Result<(), String> {
    let parts: Vec<&str> = if key.contains('.') {
        key.split('.').collect()
    } else {
        vec!["params", key]
    };
    let (last, parents) = parts.split_last().expect("split gives a part");
    let mut here = document;
    for (depth, part) in parents.iter().enumerate() {
        if *part == "params" && depth == 0 && !here.contains_key("params") {
            here.insert(Value::from("params"), Value::Mapping(Mapping::new()));
        }
        here = match here.get_mut(*part) {
            Some(Value::Mapping(inner)) => inner,
            _ => {
                return Err(format!(
                    "the file has no mapping `{}` to set `{last}` in",
                    parts[..=depth].join(".")
                ))
            }
        };
    }
    here.insert(Value::from(*last), value);
    Ok(())
}

/// A YAML scalar as JSON metadata (whole numbers stay integers).
fn json(value: &Value) -> serde_json::Value {
    match value {
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.into(),
            (None, Some(f)) => {
                serde_json::Number::from_f64(f).map_or(serde_json::Value::Null, Into::into)
            }
            (None, None) => serde_json::Value::Null,
        },
        Value::String(s) => s.clone().into(),
        _ => serde_json::Value::Null,
    }
}

#[cfg(test)]
mod tests {
    const HEAT: &str = "\
name: Heat
description: grid study
equation: \"u_t = a u_xx\"
params:
  a: 0.4
  h: 0.25
sweep:
  computation.method: [euler, crank_nicolson]
  h: [0.0625, 0.03125, 0.015625]
computation:
  solver: heat
  alpha: a
  length: 1
  initial: \"sin(pi * x)\"
  points: \"1 / h + 1\"
  steps: \"1 / h^2\"
  time: 1
  snapshots: 4
  fourier_terms: 2
record:
  - type: Solution1D
";

    #[test]
    fn a_sweep_is_the_product_of_its_lists_with_counts_from_the_parameters() {
        let specs = crate::example::parse("heat.yaml", HEAT).unwrap();
        assert_eq!(specs.len(), 6);
        let names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names[0], "Heat (method=euler, h=0.0625)");
        assert_eq!(names[5], "Heat (method=crank_nicolson, h=0.015625)");
        let last = &specs[5];
        assert_eq!(last.params["h"], 0.015625);
        assert_eq!(
            last.point,
            [
                ("method".to_owned(), serde_json::json!("crank_nicolson")),
                ("h".to_owned(), serde_json::json!(0.015625))
            ]
        );
        match &last.computation {
            crate::example::spec::Computation::Heat(h) => {
                assert_eq!((h.points, h.steps), (65, 4096));
                assert_eq!(h.method, crate::example::spec::HeatMethod::CrankNicolson);
            }
            other => panic!("{other:?}"),
        }
        // Without `sweep`, the same file (its base) is one example.
        let base = HEAT.replace("sweep:\n  computation.method: [euler, crank_nicolson]\n  h: [0.0625, 0.03125, 0.015625]\n", "");
        let one = crate::example::parse("heat.yaml", &base).unwrap();
        assert_eq!((one.len(), one[0].name.as_str()), (1, "Heat"));
        assert!(one[0].point.is_empty());
    }

    #[test]
    fn mistakes_in_a_sweep_name_the_key_and_the_point() {
        let error = |text: &str| crate::example::parse("heat.yaml", text).unwrap_err();
        let e = error(&HEAT.replace("h: [0.0625,", "h: [fine,"));
        assert_eq!(e.key, "sweep.h[0]");
        assert!(e.message.contains("`h` is a parameter"), "{e}");
        let e = error(&HEAT.replace("computation.method: [euler,", "computation.method: [rk4,"));
        assert!(
            e.message
                .starts_with("at the sweep point method=rk4, h=0.0625: unknown variant `rk4`"),
            "{e}"
        );
        let e = error(&HEAT.replace("computation.method:", "computation.solver.kind:"));
        assert!(e.message.contains("no mapping `computation.solver`"), "{e}");
        let e = error(&HEAT.replace("computation.method:", "computation.example:"));
        assert!(e.message.contains("`example` is metadata"), "{e}");
        let e = error(&HEAT.replace("h: [0.0625, 0.03125, 0.015625]", "h: []"));
        assert!(e.message.contains("non-empty list"), "{e}");
        // A point where explicit Euler is unstable is refused, and named (h = 0.25 with 4 steps: r = 0.4·4 > ½).
        let e = error(&HEAT.replace("steps: \"1 / h^2\"", "steps: \"1 / h\""));
        assert!(
            e.message
                .contains("at the sweep point method=euler, h=0.0625")
                && e.message.contains("unstable"),
            "{e}"
        );
        // A count that is not whole.
        let e = error(&HEAT.replace("points: \"1 / h + 1\"", "points: \"1 / h + 0.5\""));
        assert_eq!(e.key, "computation.points");
        assert!(e.message.contains("gives 16.5"), "{e}");
    }
}
