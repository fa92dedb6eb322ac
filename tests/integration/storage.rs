//! The storage format and Rust API.

use std::fs;

use asgard::model::{FieldStorage, FieldValue, RunStatus};
use asgard::storage::{AsgardStorage, DataValue, Error, NpyArray, METADATA_FILE};
use ndarray::{Array2, ShapeBuilder};
use serde_json::{json, Value};

use crate::support::{append_concurrently, display, path_str, solution_1d, temp_storage};

#[test]
fn open_lays_out_a_new_storage_with_versioned_metadata() {
    let (_dir, storage) = temp_storage();
    for sub in ["runs", "results", "files"] {
        assert!(storage.root().join(sub).is_dir(), "{sub}/ exists");
    }
    let meta: Value =
        serde_json::from_slice(&fs::read(storage.root().join(METADATA_FILE)).unwrap()).unwrap();
    assert_eq!(meta["format"], "asgard-storage");
    assert_eq!(meta["version"], 1);
    assert!(meta["created"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn open_refuses_a_file_and_a_newer_format() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    fs::write(&file, "x").unwrap();
    assert!(matches!(
        AsgardStorage::open(&file),
        Err(Error::NotADirectory(_))
    ));

    let newer = dir.path().join("newer");
    fs::create_dir(&newer).unwrap();
    fs::write(
        newer.join(METADATA_FILE),
        r#"{"format": "asgard-storage", "version": 9, "created": ""}"#,
    )
    .unwrap();
    let err = AsgardStorage::open(&newer).unwrap_err();
    assert!(err.to_string().contains("version 9"), "{err}");
}

#[test]
fn run_round_trip_and_status() {
    let (_dir, storage) = temp_storage();
    let run = storage
        .create_run("heat", Some("u_t = u_xx"), Some("H q0; CX q0 q1"))
        .unwrap();
    storage.set_status(run.id, RunStatus::Completed).unwrap();
    let read = storage.read_run(run.id).unwrap();
    assert_eq!(read.name, "heat");
    assert_eq!(read.equation.as_deref(), Some("u_t = u_xx"));
    assert_eq!(read.circuit.as_deref(), Some("H q0; CX q0 q1"));
    assert_eq!(read.status, RunStatus::Completed);
    let listed = storage.list_runs().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, run.id);
}

/// One valid result of each of the six types round-trips with its values and shapes.
#[test]
fn each_result_type_round_trips() {
    let (_dir, storage) = temp_storage();
    let run = storage.create_run("tour", None, None).unwrap();
    let cases: Vec<(&str, Vec<(&str, Value)>)> = vec![
        (
            "Solution1D",
            vec![
                ("x", json!([0.0, 0.5, 1.0])),
                ("computed", json!([1.0, 2.0, 3.0])),
                ("expected", json!([1.0, 2.0, 3.5])),
            ],
        ),
        (
            "Solution2D",
            vec![
                ("values", json!([[1, 2, 3], [4, 5, 6]])),
                ("x", json!([0, 1, 2])),
                ("y", json!([0, 1])),
            ],
        ),
        (
            "StochasticEnsemble",
            vec![
                ("t", json!([0, 1])),
                ("paths", json!([[0, 1], [0, -1], [0, 2]])),
            ],
        ),
        (
            "DiscreteSequence",
            vec![
                ("values", json!([3, 1, 4, 1, 5])),
                ("index", json!([1, 2, 3, 4, 5])),
            ],
        ),
        (
            "OptimizationResult",
            vec![
                ("loss", json!([3, 2, 1])),
                ("params", json!([[1, 2], [1, 3], [1, 4]])),
                ("param_names", json!(["a", "b"])),
            ],
        ),
        (
            "PhysicsAnimation",
            vec![
                ("positions", json!([[[0, 0], [1, 1]], [[0, 1], [1, 2]]])),
                ("t", json!([0.0, 0.1])),
            ],
        ),
    ];
    for (result_type, fields) in cases {
        let data: Vec<(String, DataValue)> = fields
            .iter()
            .map(|(n, v)| (n.to_string(), v.clone().into()))
            .collect();
        let id = storage
            .add_result(run.id, result_type, data, display(result_type))
            .unwrap();
        let payload = storage.get_result(id).unwrap();
        assert_eq!(payload.result_type.as_str(), result_type);
        for (name, value) in &fields {
            let got = payload
                .field(name)
                .unwrap_or_else(|| panic!("{result_type}.{name} missing"));
            match got {
                FieldValue::Array(a) => assert_eq!(
                    asgard::storage::nest_numbers(&a.shape, &a.values).to_string(),
                    normalise(value),
                    "{result_type}.{name}"
                ),
                FieldValue::Json(text) => {
                    assert_eq!(text, &value.to_string(), "{result_type}.{name}")
                }
            }
        }
    }
    assert_eq!(storage.read_run(run.id).unwrap().results.len(), 6);
}

/// Integers written inline come back as floats; compare through f64.
fn normalise(v: &Value) -> String {
    fn f(v: &Value) -> Value {
        match v {
            Value::Array(items) => Value::Array(items.iter().map(f).collect()),
            Value::Number(n) => json!(n.as_f64().unwrap()),
            other => other.clone(),
        }
    }
    f(v).to_string()
}

#[test]
fn arrays_over_the_threshold_go_to_npy_files() {
    let (_dir, storage) = temp_storage();
    let storage = storage.with_inline_threshold(100);
    let run = storage.create_run("big", None, None).unwrap();
    let small = storage
        .add_result(run.id, "Solution1D", solution_1d(100), display("small"))
        .unwrap();
    let big = storage
        .add_result(run.id, "Solution1D", solution_1d(101), display("big"))
        .unwrap();

    let small_record = storage.read_result(small).unwrap();
    assert!(
        small_record.data["x"].is_array(),
        "100 elements stay inline"
    );
    let big_record = storage.read_result(big).unwrap();
    let reference = &big_record.data["x"];
    assert_eq!(reference["$npy"], format!("{big}_x.npy"));
    assert_eq!(reference["shape"], json!([101]));
    assert_eq!(reference["dtype"], "<f8");
    assert!(storage
        .root()
        .join("files")
        .join(format!("{big}_x.npy"))
        .is_file());

    let payload = storage.get_result(big).unwrap();
    let x = payload.array("x").unwrap();
    assert_eq!(x.shape, vec![101]);
    assert!((x.values[100] - 100.0 / 101.0).abs() < 1e-12);

    let detail = storage.run_detail(run.id).unwrap();
    let big_summary = detail.results.iter().find(|r| r.id == big).unwrap();
    assert!(big_summary
        .fields
        .iter()
        .all(|f| f.storage == FieldStorage::Npy && f.shape == vec![101]));
}

#[test]
fn default_threshold_is_one_thousand_elements() {
    let (_dir, storage) = temp_storage();
    let run = storage.create_run("t", None, None).unwrap();
    let at = storage
        .add_result(run.id, "Solution1D", solution_1d(1000), display("1000"))
        .unwrap();
    let over = storage
        .add_result(run.id, "Solution1D", solution_1d(1001), display("1001"))
        .unwrap();
    assert!(storage.read_result(at).unwrap().data["x"].is_array());
    assert!(storage.read_result(over).unwrap().data["x"]
        .get("$npy")
        .is_some());
}

/// f32, i64 and i32 arrays keep their dtype on disk; a Fortran-ordered file reads in logical order.
#[test]
fn npy_element_types_and_fortran_order() {
    let (_dir, storage) = temp_storage();
    let storage = storage.with_inline_threshold(0);
    let run = storage.create_run("types", None, None).unwrap();
    let values = Array2::from_shape_vec((2, 3).f(), vec![1.0f32, 4.0, 2.0, 5.0, 3.0, 6.0]).unwrap();
    let data: Vec<(String, DataValue)> = vec![
        ("values".into(), NpyArray::from(values).into()),
        ("x".into(), vec![0i64, 1, 2].into()),
        ("y".into(), vec![0i32, 1].into()),
    ];
    let id = storage
        .add_result(run.id, "Solution2D", data, display("types"))
        .unwrap();
    let record = storage.read_result(id).unwrap();
    assert_eq!(record.data["values"]["dtype"], "<f4");
    assert_eq!(record.data["x"]["dtype"], "<i8");
    assert_eq!(record.data["y"]["dtype"], "<i4");
    let payload = storage.get_result(id).unwrap();
    let grid = payload.array("values").unwrap();
    assert_eq!(grid.shape, vec![2, 3]);
    assert_eq!(
        grid.values,
        vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        "row-major whatever the file's order"
    );
    assert_eq!(payload.array("x").unwrap().dtype, "<i8");
}

#[test]
fn invalid_data_names_the_field_and_the_expected_shape() {
    let (_dir, storage) = temp_storage();
    let run = storage.create_run("bad", None, None).unwrap();
    let data: Vec<(String, DataValue)> = vec![
        ("x".into(), vec![0.0, 1.0, 2.0].into()),
        ("computed".into(), vec![0.0, 1.0].into()),
    ];
    let err = storage
        .add_result(run.id, "Solution1D", data, display("bad"))
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("`computed`") && text.contains("[n]") && text.contains("[2]"),
        "{text}"
    );
    assert!(
        storage.read_run(run.id).unwrap().results.is_empty(),
        "nothing half-written"
    );
    assert_eq!(
        fs::read_dir(storage.root().join("results"))
            .unwrap()
            .count(),
        0
    );
}

#[test]
fn unknown_result_types_are_stored_not_rejected() {
    let (_dir, storage) = temp_storage();
    let run = storage.create_run("new kind", None, None).unwrap();
    let data: Vec<(String, DataValue)> =
        vec![("whatever".into(), json!({"nested": [1, 2]}).into())];
    let id = storage
        .add_result(run.id, "QuantumTomography", data, json!({}))
        .unwrap();
    let payload = storage.get_result(id).unwrap();
    assert_eq!(payload.result_type.as_str(), "QuantumTomography");
    assert!(matches!(
        payload.field("whatever"),
        Some(FieldValue::Json(_))
    ));
}

#[test]
fn writes_leave_no_temporary_files() {
    let (_dir, storage) = temp_storage();
    let storage = storage.with_inline_threshold(10);
    let run = storage.create_run("atomic", None, None).unwrap();
    storage
        .add_result(run.id, "Solution1D", solution_1d(50), display("a"))
        .unwrap();
    storage.set_status(run.id, RunStatus::Failed).unwrap();
    for sub in ["runs", "results", "files"] {
        for entry in fs::read_dir(storage.root().join(sub)).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            assert!(!name.starts_with(".tmp"), "{sub}/{name} left behind");
        }
    }
}

/// Two OS processes append to the same run at the same moment: every result lands, none is lost.
#[test]
fn two_writer_processes_on_one_run_both_land() {
    let (_dir, storage) = temp_storage();
    let run = storage.create_run("contended", None, None).unwrap();
    append_concurrently(&storage, run.id, 2, 40);
}

#[test]
fn a_corrupt_run_file_lists_with_its_problem_and_others_still_list() {
    let (_dir, storage) = temp_storage();
    let good = storage.create_run("good", None, None).unwrap();
    let bad = storage.create_run("bad", None, None).unwrap();
    fs::write(storage.run_path(bad.id), "{\"id\": \"trunc").unwrap();
    let runs = storage.list_runs().unwrap();
    assert_eq!(runs.len(), 2);
    let good_row = runs.iter().find(|r| r.id == good.id).unwrap();
    assert!(good_row.problem.is_none());
    let bad_row = runs.iter().find(|r| r.id == bad.id).unwrap();
    let problem = bad_row.problem.as_deref().unwrap();
    assert!(
        problem.contains(&format!("runs/{}.json", bad.id)),
        "{problem}"
    );
    assert!(
        !problem.contains(path_str(storage.root())),
        "no server paths in messages: {problem}"
    );
    assert!(matches!(
        storage.read_run(bad.id),
        Err(Error::Corrupt { .. })
    ));
}

#[test]
fn a_missing_npy_file_is_reported_for_that_result_only() {
    let (_dir, storage) = temp_storage();
    let storage = storage.with_inline_threshold(10);
    let run = storage.create_run("half", None, None).unwrap();
    let lost = storage
        .add_result(run.id, "Solution1D", solution_1d(20), display("lost"))
        .unwrap();
    let kept = storage
        .add_result(run.id, "Solution1D", solution_1d(5), display("kept"))
        .unwrap();
    fs::remove_file(
        storage
            .root()
            .join("files")
            .join(format!("{lost}_computed.npy")),
    )
    .unwrap();

    let err = storage.get_result(lost).unwrap_err();
    assert!(
        err.to_string()
            .contains(&format!("files/{lost}_computed.npy is missing")),
        "{err}"
    );
    assert!(storage.get_result(kept).is_ok());
    let detail = storage.run_detail(run.id).unwrap();
    assert!(detail
        .results
        .iter()
        .find(|r| r.id == lost)
        .unwrap()
        .problem
        .is_some());
    assert!(detail
        .results
        .iter()
        .find(|r| r.id == kept)
        .unwrap()
        .problem
        .is_none());
}

#[test]
fn an_npy_reference_cannot_leave_the_files_directory() {
    let (_dir, storage) = temp_storage();
    let run = storage.create_run("evil", None, None).unwrap();
    let data: Vec<(String, DataValue)> = vec![(
        "x".into(),
        json!({"$npy": "../runs/secret.npy", "shape": [3], "dtype": "<f8"}).into(),
    )];
    let id = storage
        .add_result(run.id, "Custom", data, json!({}))
        .unwrap();
    let err = storage.get_result(id).unwrap_err();
    assert!(
        err.to_string()
            .contains("expected a file of this result in files/"),
        "{err}"
    );
}

#[test]
fn delete_run_removes_run_results_and_files() {
    let (_dir, storage) = temp_storage();
    let storage = storage.with_inline_threshold(10);
    let run = storage.create_run("doomed", None, None).unwrap();
    let other = storage.create_run("kept", None, None).unwrap();
    storage
        .add_result(run.id, "Solution1D", solution_1d(50), display("a"))
        .unwrap();
    let kept = storage
        .add_result(other.id, "Solution1D", solution_1d(50), display("b"))
        .unwrap();
    storage.delete_run(run.id).unwrap();
    assert!(matches!(
        storage.read_run(run.id),
        Err(Error::RunNotFound(_))
    ));
    let count = |sub: &str| fs::read_dir(storage.root().join(sub)).unwrap().count();
    assert_eq!(count("runs"), 1);
    assert_eq!(count("results"), 1);
    assert_eq!(count("files"), 2, "only the other run's two arrays remain");
    assert!(storage.get_result(kept).is_ok());
    assert!(matches!(
        storage.delete_run(run.id),
        Err(Error::RunNotFound(_))
    ));
}

#[test]
fn inline_floats_read_back_bit_for_bit() {
    let (_dir, storage) = temp_storage();
    let run = storage.create_run("Exact", None, None).unwrap();
    // Values whose shortest decimal form a fast-but-inexact parser rounds to a neighbour.
    let values = vec![
        0.1 + 0.2,
        0.014720084669065159,
        1e-300,
        std::f64::consts::PI,
        -2.2250738585072014e-308,
    ];
    let id = storage
        .add_result(
            run.id,
            "Solution1D",
            [
                (
                    "x".to_owned(),
                    DataValue::from(vec![0.0, 1.0, 2.0, 3.0, 4.0]),
                ),
                ("computed".to_owned(), DataValue::from(values.clone())),
            ],
            display("exact"),
        )
        .unwrap();
    let result = storage.get_result(id).unwrap();
    let Some(FieldValue::Array(computed)) = result.field("computed") else {
        panic!("computed is an array")
    };
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&computed.values), bits(&values));
}
