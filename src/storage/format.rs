//! The on-disk records (`runs/*.json`, `results/*.json`), data fields and the schemas of the known result types.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::model::{FieldInfo, FieldStorage, ResultId, ResultType, RunId, RunStatus};

/// The name of the storage's own metadata file.
pub const METADATA_FILE: &str = ".asgard_metadata.json";
/// The value of `format` in the metadata file.
pub const FORMAT_NAME: &str = "asgard-storage";
/// The storage format version this build reads and writes.
pub const FORMAT_VERSION: u64 = 1;
/// Arrays with more elements than this go to `.npy` files unless configured otherwise.
pub const DEFAULT_INLINE_THRESHOLD: usize = 1_000;
/// The key that marks a data field stored in a `.npy` file.
pub const NPY_KEY: &str = "$npy";

/// `.asgard_metadata.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StorageMetadata {
    pub format: String,
    pub version: u64,
    pub created: String,
}

/// `runs/{id}.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub id: RunId,
    pub name: String,
    pub timestamp: String,
    #[serde(default)]
    pub equation: Option<String>,
    #[serde(default)]
    pub circuit: Option<String>,
    #[serde(default)]
    pub status: RunStatus,
    #[serde(default)]
    pub metadata: Map<String, Value>,
    #[serde(default)]
    pub results: Vec<ResultId>,
    /// Labels given by a user or a writer (docs/storage-format.md); absent when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub starred: bool,
    /// Each result's type and statistics, by result id (docs/storage-format.md, "Result statistics"); kept as
    /// written, so that a rewrite loses nothing a newer writer put there.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub stats: Map<String, Value>,
    /// How far along the computation is, as its writer last said (docs/storage-format.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<crate::model::Progress>,
}

/// `results/{id}.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResultRecord {
    pub id: ResultId,
    pub run_id: RunId,
    pub result_type: ResultType,
    pub timestamp: String,
    #[serde(default)]
    pub data: Map<String, Value>,
    #[serde(default = "empty_object")]
    pub display: Value,
    /// The result's statistics (`{"error.max": 1e-4, …}`), as the writer computed them; absent from results
    /// written before statistics, and for types that have none.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub stats: Map<String, Value>,
    /// Present while the result grows (docs/storage-format.md, "Growing results").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub growing: Option<super::growing::Growing>,
}

impl RunRecord {
    /// The run file's `stats` entry for one of its results, if it has one; looked up without allocating the
    /// key (the cold start asks this for every result of every run).
    pub fn stats_of(&self, result: ResultId) -> Option<&Value> {
        let mut buffer = uuid::Uuid::encode_buffer();
        self.stats
            .get(&*result.0.hyphenated().encode_lower(&mut buffer))
    }
}

fn empty_object() -> Value {
    Value::Object(Map::new())
}

/// A data field that lives in `files/`: `{"$npy": "<file name>", "shape": [..], "dtype": "<f8"}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NpyRef {
    #[serde(rename = "$npy")]
    pub file: String,
    #[serde(default)]
    pub shape: Vec<usize>,
    #[serde(default)]
    pub dtype: String,
}

impl NpyRef {
    /// The reference in `value`, if it is one.
    pub fn from_value(value: &Value) -> Option<Result<Self, String>> {
        let obj = value.as_object()?;
        obj.contains_key(NPY_KEY).then(|| {
            serde_json::from_value::<Self>(value.clone()).map_err(|e| {
                format!("expected {{\"$npy\": file name, \"shape\": [...], \"dtype\": ...}}: {e}")
            })
        })
    }

    /// Whether the file name is a plain name inside `files/` (never a path) of the result `id`:
    /// `{id}_{anything}.npy`.
    pub fn belongs_to(&self, id: crate::model::ResultId) -> bool {
        let f = self.file.as_str();
        !f.contains(['/', '\\', '\0'])
            && f.ends_with(".npy")
            && f.strip_prefix(id.to_string().as_str())
                .is_some_and(|rest| rest.starts_with('_'))
    }
}

/// The shape of an inline JSON value: `[]` for a scalar, one entry per nesting level for a rectangular list.
/// `None` for objects and ragged lists. `numeric` is false when any leaf is not a number (or null, or a bare
/// `NaN`/`Infinity`/`-Infinity`: see [`super::json`]).
pub fn inline_shape(value: &Value) -> Option<(Vec<usize>, bool)> {
    match value {
        Value::Number(_) | Value::Null => Some((Vec::new(), true)),
        v if super::json::is_marker(v) => Some((Vec::new(), true)),
        Value::String(_) | Value::Bool(_) => Some((Vec::new(), false)),
        Value::Object(_) => None,
        Value::Array(items) => {
            let mut inner: Option<(Vec<usize>, bool)> = None;
            for item in items {
                let (shape, numeric) = inline_shape(item)?;
                match &mut inner {
                    None => inner = Some((shape, numeric)),
                    Some((s, n)) => {
                        if *s != shape {
                            return None;
                        }
                        *n &= numeric;
                    }
                }
            }
            let (rest, numeric) = inner.unwrap_or((Vec::new(), true));
            let mut shape = vec![items.len()];
            shape.extend(rest);
            Some((shape, numeric))
        }
    }
}

/// Flattens a rectangular numeric JSON list in row-major order; null becomes NaN, and the bare words
/// `NaN`, `Infinity` and `-Infinity` the numbers they name.
pub fn flatten_numbers(value: &Value, out: &mut Vec<f64>) {
    match value {
        Value::Array(items) => items.iter().for_each(|v| flatten_numbers(v, out)),
        leaf => out.push(super::json::number(leaf).unwrap_or(f64::NAN)),
    }
}

/// Builds nested JSON lists of `shape` from row-major `values`, for storing inline: NaN and infinities become
/// null, which every JSON reader takes.
pub fn nest_numbers(shape: &[usize], values: &[f64]) -> Value {
    nest(shape, values, &|v| {
        serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
    })
}

/// Builds nested JSON lists of `shape` from row-major `values` that keep NaN and infinities (as markers that
/// [`super::json::to_text`] writes out), for the API and `asgard dump`.
pub fn nest_values(shape: &[usize], values: &[f64]) -> Value {
    nest(shape, values, &super::json::value_of)
}

fn nest(shape: &[usize], values: &[f64], leaf: &dyn Fn(f64) -> Value) -> Value {
    match shape {
        [] => values.first().map_or(Value::Null, |v| leaf(*v)),
        [_] => Value::Array(values.iter().map(|v| leaf(*v)).collect()),
        [n, rest @ ..] => {
            let stride: usize = rest.iter().product();
            Value::Array(
                (0..*n)
                    .map(|i| {
                        nest(
                            rest,
                            &values[(i * stride).min(values.len())
                                ..((i + 1) * stride).min(values.len())],
                            leaf,
                        )
                    })
                    .collect(),
            )
        }
    }
}

/// A shape as the model carries it to the browser.
pub fn wire_shape(shape: &[usize]) -> Vec<u64> {
    shape.iter().map(|&d| d as u64).collect()
}

/// What is known of a field without reading an array file.
pub fn field_info(name: &str, value: &Value) -> FieldInfo {
    if let Some(Ok(r)) = NpyRef::from_value(value) {
        return FieldInfo {
            name: name.to_owned(),
            shape: wire_shape(&r.shape),
            dtype: r.dtype,
            storage: FieldStorage::Npy,
        };
    }
    let (shape, dtype) = match inline_shape(value) {
        Some((shape, true)) => (shape, "<f8"),
        Some((shape, false)) => (shape, "json"),
        None => (Vec::new(), "json"),
    };
    FieldInfo {
        name: name.to_owned(),
        shape: wire_shape(&shape),
        dtype: dtype.to_owned(),
        storage: FieldStorage::Inline,
    }
}

/// One dimension of a field in a result type's schema.
#[derive(Clone, Copy, Debug)]
enum Dim {
    /// A size named by a letter, equal wherever the letter appears.
    Var(char),
    Fixed(usize),
}

struct FieldSpec {
    name: &'static str,
    dims: &'static [Dim],
    required: bool,
}

const fn req(name: &'static str, dims: &'static [Dim]) -> FieldSpec {
    FieldSpec {
        name,
        dims,
        required: true,
    }
}

const fn opt(name: &'static str, dims: &'static [Dim]) -> FieldSpec {
    FieldSpec {
        name,
        dims,
        required: false,
    }
}

use Dim::{Fixed, Var};

/// The schema of a known result type: alternatives (any one may match) of field lists.
fn schema(result_type: &ResultType) -> Option<&'static [&'static [FieldSpec]]> {
    const SOLUTION_1D: &[FieldSpec] = &[
        req("x", &[Var('n')]),
        req("computed", &[Var('n')]),
        opt("expected", &[Var('n')]),
    ];
    const SOLUTION_2D: &[FieldSpec] = &[
        req("values", &[Var('y'), Var('x')]),
        opt("x", &[Var('x')]),
        opt("y", &[Var('y')]),
    ];
    // A field that grew: one snapshot per time.
    const SNAPSHOTS: &[FieldSpec] = &[
        req("values", &[Var('s'), Var('y'), Var('x')]),
        req("t", &[Var('s')]),
        opt("x", &[Var('x')]),
        opt("y", &[Var('y')]),
    ];
    const ENSEMBLE: &[FieldSpec] = &[req("t", &[Var('n')]), req("paths", &[Var('m'), Var('n')])];
    const SEQUENCE: &[FieldSpec] = &[
        req("values", &[Var('n')]),
        opt("index", &[Var('n')]),
        opt("expected", &[Var('n')]),
    ];
    const OPTIMIZATION: &[FieldSpec] = &[
        req("loss", &[Var('k')]),
        opt("params", &[Var('k'), Var('p')]),
        opt("param_names", &[Var('p')]),
        opt("step", &[Var('k')]),
    ];
    const BODIES: &[FieldSpec] = &[
        req("positions", &[Var('f'), Var('b'), Fixed(2)]),
        opt("t", &[Var('f')]),
    ];
    const FIELDS: &[FieldSpec] = &[
        req("frames", &[Var('f'), Var('y'), Var('x')]),
        opt("t", &[Var('f')]),
    ];
    match result_type {
        ResultType::Solution1D => Some(&[SOLUTION_1D]),
        ResultType::Solution2D => Some(&[SOLUTION_2D, SNAPSHOTS]),
        ResultType::StochasticEnsemble => Some(&[ENSEMBLE]),
        ResultType::DiscreteSequence => Some(&[SEQUENCE]),
        ResultType::OptimizationResult => Some(&[OPTIMIZATION]),
        ResultType::PhysicsAnimation => Some(&[BODIES, FIELDS]),
        ResultType::Other(_) => None,
    }
}

/// Checks the fields' shapes against the schema of `result_type`; unknown types pass.
/// `shape_of` gives a field's shape, or `None` when the field is absent.
pub fn validate(
    result_type: &ResultType,
    shape_of: &dyn Fn(&str) -> Option<Vec<usize>>,
) -> Result<(), String> {
    let Some(alternatives) = schema(result_type) else {
        return Ok(());
    };
    let mut first_error = None;
    for specs in alternatives {
        match validate_one(result_type, specs, shape_of) {
            Ok(()) => return Ok(()),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.unwrap_or_default())
}

fn validate_one(
    result_type: &ResultType,
    specs: &[FieldSpec],
    shape_of: &dyn Fn(&str) -> Option<Vec<usize>>,
) -> Result<(), String> {
    let mut bound: Vec<(char, usize, &'static str)> = Vec::new();
    for spec in specs {
        let expected = describe(spec.dims);
        let Some(shape) = shape_of(spec.name) else {
            if spec.required {
                return Err(format!(
                    "{result_type} needs field `{}` of shape {expected}, found none",
                    spec.name
                ));
            }
            continue;
        };
        let mismatch = |detail: String| {
            format!(
                "{result_type} field `{}`: expected shape {expected}{detail}, found {shape:?}",
                spec.name
            )
        };
        if shape.len() != spec.dims.len() {
            return Err(mismatch(String::new()));
        }
        for (dim, &size) in spec.dims.iter().zip(&shape) {
            match *dim {
                Fixed(n) if n != size => return Err(mismatch(String::new())),
                Fixed(_) => {}
                Var(v) => match bound.iter().find(|(name, _, _)| *name == v) {
                    Some(&(_, n, from)) if n != size => {
                        return Err(mismatch(format!(" with {v} = {n} (from `{from}`)")));
                    }
                    Some(_) => {}
                    None => bound.push((v, size, spec.name)),
                },
            }
        }
    }
    Ok(())
}

fn describe(dims: &[Dim]) -> String {
    let parts: Vec<String> = dims
        .iter()
        .map(|d| match d {
            Var(v) => v.to_string(),
            Fixed(n) => n.to_string(),
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn inline_shapes() {
        assert_eq!(
            inline_shape(&json!([[1, 2, 3], [4, 5, 6]])),
            Some((vec![2, 3], true))
        );
        assert_eq!(inline_shape(&json!(["a", "b"])), Some((vec![2], false)));
        assert_eq!(inline_shape(&json!([[1], [2, 3]])), None);
        assert_eq!(inline_shape(&json!(3.5)), Some((vec![], true)));
    }

    #[test]
    fn nest_inverts_flatten() {
        let v = json!([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]);
        let mut flat = Vec::new();
        flatten_numbers(&v, &mut flat);
        assert_eq!(nest_numbers(&[3, 2], &flat), v);
    }

    #[test]
    fn validation_names_field_and_shape() {
        let shapes = |name: &str| match name {
            "x" => Some(vec![100]),
            "computed" => Some(vec![99]),
            _ => None,
        };
        let err = validate(&ResultType::Solution1D, &shapes).unwrap_err();
        assert!(
            err.contains("`computed`")
                && err.contains("[n]")
                && err.contains("n = 100")
                && err.contains("[99]"),
            "{err}"
        );
        let missing = validate(&ResultType::StochasticEnsemble, &|_| None).unwrap_err();
        assert!(missing.contains("`t`"), "{missing}");
        assert!(validate(&"SomethingNew".into(), &|_| None).is_ok());
    }

    #[test]
    fn physics_animation_accepts_either_form() {
        let bodies = |n: &str| (n == "positions").then(|| vec![10, 3, 2]);
        let field = |n: &str| (n == "frames").then(|| vec![10, 8, 8]);
        let bad = |n: &str| (n == "positions").then(|| vec![10, 3, 3]);
        assert!(validate(&ResultType::PhysicsAnimation, &bodies).is_ok());
        assert!(validate(&ResultType::PhysicsAnimation, &field).is_ok());
        assert!(validate(&ResultType::PhysicsAnimation, &bad)
            .unwrap_err()
            .contains("[f, b, 2]"));
    }
}
