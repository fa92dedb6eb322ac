//! Computing a result's statistics ([`crate::model::summary`]) from its fields, and keeping them in JSON: the
//! result file's `stats` and its run file's `stats.{result-id}` (docs/storage-format.md, "Result statistics").
//! The Python writer computes the same numbers with NumPy.

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::model::summary::{statistic, ResultStats};
use crate::model::ResultType;

/// A numeric field as the statistics read it: its shape and its values in row-major order.
pub type Numbers<'a> = (Vec<usize>, Cow<'a, [f64]>);

/// The statistics of a result of `result_type`, reading its numeric fields through `field` (`None` for a field
/// that is absent or not numeric) and its display options. Types without statistics have none; a statistic
/// whose inputs are missing or of the wrong size is left out.
pub fn compute<'a>(
    result_type: &ResultType,
    field: &dyn Fn(&str) -> Option<Numbers<'a>>,
    display: &Value,
) -> Vec<(&'static str, Option<f64>)> {
    let finite = |v: f64| v.is_finite().then_some(v);
    let count = |n: usize| Some(n as f64);
    match result_type {
        ResultType::Solution1D | ResultType::DiscreteSequence => {
            let computed = if *result_type == ResultType::Solution1D {
                "computed"
            } else {
                "values"
            };
            let (Some((_, got)), Some((_, want))) = (field(computed), field("expected")) else {
                return Vec::new();
            };
            if got.len() != want.len() || got.is_empty() {
                return Vec::new();
            }
            let (mut max, mut squares) = (0.0_f64, 0.0_f64);
            for (a, b) in got.iter().zip(want.iter()) {
                let d = a - b;
                // NaN anywhere makes both NaN, as NumPy's max and mean do.
                max = if d.is_nan() || max.is_nan() {
                    f64::NAN
                } else {
                    max.max(d.abs())
                };
                squares += d * d;
            }
            let rms = (squares / got.len() as f64).sqrt();
            vec![("error.max", finite(max)), ("error.rms", finite(rms))]
        }
        ResultType::OptimizationResult => {
            let Some((_, loss)) = field("loss").filter(|(_, l)| !l.is_empty()) else {
                return Vec::new();
            };
            vec![
                ("loss.final", finite(loss[loss.len() - 1])),
                ("loss.min", extreme(&loss, f64::min).and_then(finite)),
                ("loss.steps", count(loss.len())),
            ]
        }
        ResultType::StochasticEnsemble => {
            let Some((shape, paths)) =
                field("paths").filter(|(s, p)| s.len() == 2 && !p.is_empty())
            else {
                return Vec::new();
            };
            let (m, n) = (shape[0], shape[1]);
            let last: Vec<f64> = (0..m).map(|i| paths[i * n + n - 1]).collect();
            let mean = last.iter().sum::<f64>() / m as f64;
            let var = last.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / m as f64;
            vec![
                ("ensemble.mean", finite(mean)),
                ("ensemble.std", finite(var.sqrt())),
                ("ensemble.paths", count(m)),
            ]
        }
        ResultType::Solution2D => {
            let Some((_, values)) = field("values").filter(|(_, v)| !v.is_empty()) else {
                return Vec::new();
            };
            let mean = values.iter().sum::<f64>() / values.len() as f64;
            vec![
                ("field.min", extreme(&values, f64::min).and_then(finite)),
                ("field.max", extreme(&values, f64::max).and_then(finite)),
                ("field.mean", finite(mean)),
            ]
        }
        ResultType::PhysicsAnimation => {
            let Some((shape, _)) = field("positions").or_else(|| field("frames")) else {
                return Vec::new();
            };
            let frames = shape.first().copied().unwrap_or(0);
            let duration = match field("t") {
                Some((_, t)) if t.len() == frames && frames > 0 => t[frames - 1] - t[0],
                _ => {
                    let fps = display
                        .get("fps")
                        .and_then(Value::as_f64)
                        .filter(|f| *f > 0.0)
                        .unwrap_or(30.0);
                    frames.saturating_sub(1) as f64 / fps
                }
            };
            vec![
                ("animation.frames", count(frames)),
                ("animation.duration", finite(duration)),
            ]
        }
        ResultType::Other(_) => Vec::new(),
    }
}

/// `pick` over every value, or NaN if one is NaN (as NumPy's `min` and `max`); `None` when there are none.
fn extreme(values: &[f64], pick: fn(f64, f64) -> f64) -> Option<f64> {
    let mut it = values.iter().copied();
    let first = it.next()?;
    Some(it.fold(first, |acc, v| {
        if acc.is_nan() || v.is_nan() {
            f64::NAN
        } else {
            pick(acc, v)
        }
    }))
}

/// Statistics as a result file's `stats` object: each by name, `null` when not a finite number.
pub fn to_json(values: &[(&'static str, Option<f64>)]) -> Map<String, Value> {
    values
        .iter()
        .map(|(name, v)| {
            let number = v.and_then(serde_json::Number::from_f64);
            (
                (*name).to_owned(),
                number.map_or(Value::Null, Value::Number),
            )
        })
        .collect()
}

/// A result's entry in its run file's `stats`: its type and its statistics.
pub fn entry_json(result_type: &ResultType, values: &[(&'static str, Option<f64>)]) -> Value {
    let mut entry = Map::new();
    entry.insert("type".into(), Value::String(result_type.as_str().into()));
    entry.extend(to_json(values));
    Value::Object(entry)
}

/// Reads a run file's entry for one result; `None` when it is not an object with a `type`. Names that are not
/// statistics (from a newer writer) are skipped, and so are values that are not numbers or `null`.
pub fn from_entry(entry: &Value) -> Option<ResultStats> {
    let object = entry.as_object()?;
    let result_type = object.get("type")?.as_str()?.to_owned();
    Some(ResultStats {
        result_type,
        values: values_of(object),
    })
}

/// The statistics in a `stats` object (of a result file, or a run file's entry).
pub fn values_of(object: &Map<String, Value>) -> Vec<(&'static str, Option<f64>)> {
    object
        .iter()
        .filter_map(|(name, value)| {
            let stat = statistic(name)?;
            match value {
                Value::Null => Some((stat.name, None)),
                v => super::json::number(v).map(|n| (stat.name, n.is_finite().then_some(n))),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn of<'a>(
        fields: &'a [(&'a str, Vec<usize>, Vec<f64>)],
    ) -> impl Fn(&str) -> Option<Numbers<'a>> {
        move |name| {
            fields
                .iter()
                .find(|(n, _, _)| *n == name)
                .map(|(_, s, v)| (s.clone(), Cow::Borrowed(v.as_slice())))
        }
    }

    fn get(values: &[(&'static str, Option<f64>)], name: &str) -> Option<f64> {
        values.iter().find(|(n, _)| *n == name).unwrap().1
    }

    #[test]
    fn errors_of_a_solution_against_its_expected_values() {
        let fields = [
            ("x", vec![4], vec![0.0, 1.0, 2.0, 3.0]),
            ("computed", vec![4], vec![1.0, 2.0, 3.0, 4.0]),
            ("expected", vec![4], vec![1.0, 2.5, 3.0, 2.0]),
        ];
        let s = compute(&ResultType::Solution1D, &of(&fields), &json!({}));
        assert_eq!(get(&s, "error.max"), Some(2.0));
        // sqrt((0 + 0.25 + 0 + 4) / 4)
        assert_eq!(get(&s, "error.rms"), Some((4.25f64 / 4.0).sqrt()));
        let without = compute(&ResultType::Solution1D, &of(&fields[..2]), &json!({}));
        assert!(
            without.is_empty(),
            "no expected values, no error: {without:?}"
        );
    }

    #[test]
    fn a_nan_anywhere_makes_the_statistic_unknown() {
        let fields = [
            ("values", vec![3], vec![1.0, f64::NAN, 3.0]),
            ("expected", vec![3], vec![1.0, 2.0, 3.0]),
        ];
        let s = compute(&ResultType::DiscreteSequence, &of(&fields), &json!({}));
        assert_eq!(s, vec![("error.max", None), ("error.rms", None)]);
        let grid = [("values", vec![1, 3], vec![5.0, f64::NAN, -1.0])];
        let s = compute(&ResultType::Solution2D, &of(&grid), &json!({}));
        assert_eq!(get(&s, "field.min"), None);
    }

    #[test]
    fn loss_ensemble_field_and_animation() {
        let loss = [("loss", vec![4], vec![3.0, 1.0, 2.0, 1.5])];
        let s = compute(&ResultType::OptimizationResult, &of(&loss), &json!({}));
        assert_eq!(
            s,
            vec![
                ("loss.final", Some(1.5)),
                ("loss.min", Some(1.0)),
                ("loss.steps", Some(4.0))
            ]
        );
        // Two paths of three points: the final values are 3 and 5.
        let ens = [
            ("t", vec![3], vec![0.0, 1.0, 2.0]),
            ("paths", vec![2, 3], vec![1.0, 2.0, 3.0, 1.0, 3.0, 5.0]),
        ];
        let s = compute(&ResultType::StochasticEnsemble, &of(&ens), &json!({}));
        assert_eq!(
            s,
            vec![
                ("ensemble.mean", Some(4.0)),
                ("ensemble.std", Some(1.0)),
                ("ensemble.paths", Some(2.0))
            ]
        );
        let grid = [("values", vec![2, 2], vec![1.0, -2.0, 4.0, 1.0])];
        let s = compute(&ResultType::Solution2D, &of(&grid), &json!({}));
        assert_eq!(
            s,
            vec![
                ("field.min", Some(-2.0)),
                ("field.max", Some(4.0)),
                ("field.mean", Some(1.0))
            ]
        );
        let anim = [("positions", vec![11, 2, 2], vec![0.0; 44])];
        let s = compute(
            &ResultType::PhysicsAnimation,
            &of(&anim),
            &json!({"fps": 5}),
        );
        assert_eq!(
            s,
            vec![
                ("animation.frames", Some(11.0)),
                ("animation.duration", Some(2.0))
            ]
        );
        let timed = [
            ("frames", vec![3, 2, 2], vec![0.0; 12]),
            ("t", vec![3], vec![0.5, 1.0, 4.0]),
        ];
        let s = compute(&ResultType::PhysicsAnimation, &of(&timed), &json!({}));
        assert_eq!(get(&s, "animation.duration"), Some(3.5));
    }

    #[test]
    fn entries_read_back_and_unknown_names_are_skipped() {
        let values = vec![("error.max", Some(0.25)), ("error.rms", None)];
        let entry = entry_json(&ResultType::Solution1D, &values);
        assert_eq!(
            entry,
            json!({"type": "Solution1D", "error.max": 0.25, "error.rms": null})
        );
        let back = from_entry(&entry).unwrap();
        assert_eq!(back.result_type, "Solution1D");
        assert_eq!(back.values, values);
        let newer = json!({"type": "X", "error.max": 1, "future.stat": 2, "error.rms": "oops"});
        assert_eq!(
            from_entry(&newer).unwrap().values,
            vec![("error.max", Some(1.0))]
        );
        assert_eq!(from_entry(&json!({"error.max": 1})), None);
    }
}
