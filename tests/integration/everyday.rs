//! Everyday data, written by hand with NumPy and Python's `json` (tests/fixtures/everyday.py, no Asgard code):
//! NaN and infinities in JSON, every NumPy dtype in either byte order, damaged arrays beside healthy ones.
//! Each is read with its values, or reported on its own result with a message that says what is wrong.

use std::path::Path;

use asgard::model::{FieldValue, ResultSummary, RunDetail, RunSummary};
use asgard::storage::json::{from_slice, number};
use asgard::storage::AsgardStorage;
use axum::http::StatusCode;
use serde_json::Value;
use tempfile::TempDir;

use crate::support::get_bytes;

/// A copy of the committed fixture storage (the monitor may write into its storage: locks, metadata).
fn fixtures() -> (TempDir, AsgardStorage) {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("storage");
    copy(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/everyday"),
        &root,
    );
    let storage = AsgardStorage::open(&root).unwrap();
    (dir, storage)
}

fn run_named(storage: &AsgardStorage, prefix: &str) -> (RunSummary, RunDetail) {
    let run = storage
        .list_runs()
        .unwrap()
        .into_iter()
        .find(|r| r.name.starts_with(prefix))
        .unwrap_or_else(|| panic!("no run named {prefix}…"));
    let detail = storage.run_detail(run.id).unwrap();
    (run, detail)
}

fn titled<'a>(detail: &'a RunDetail, title: &str) -> &'a ResultSummary {
    detail
        .results
        .iter()
        .find(|r| r.title.as_deref() == Some(title))
        .unwrap_or_else(|| panic!("no result titled {title}"))
}

fn numbers(value: &Value) -> Vec<f64> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| number(v).unwrap_or_else(|| panic!("{v} is not a number")))
        .collect()
}

/// Equal, NaN included, bit for bit apart from NaN's payload.
fn assert_same(found: &[f64], expected: &[f64]) {
    assert_eq!(found.len(), expected.len(), "{found:?} vs {expected:?}");
    for (f, e) in found.iter().zip(expected) {
        assert!(
            (f.is_nan() && e.is_nan()) || f == e,
            "{found:?} vs {expected:?}"
        );
    }
}

const NAN: f64 = f64::NAN;
const INF: f64 = f64::INFINITY;
const COMPUTED: [f64; 11] = [
    1.0,
    0.9,
    0.81,
    NAN,
    0.6561,
    INF,
    0.531441,
    -INF,
    0.43046721,
    0.387420489,
    0.3486784401,
];

#[tokio::test]
async fn nan_and_infinity_in_json_are_read_as_the_numbers_they_are() {
    let (_dir, storage) = fixtures();
    let (run, detail) = run_named(&storage, "diverging solver");
    assert!(run.problem.is_none(), "{:?}", run.problem);
    for r in &detail.results {
        assert!(r.problem.is_none(), "{:?}: {:?}", r.title, r.problem);
    }

    // What the plots get: the values, NaN and ±∞ counted as not drawn.
    let solution = titled(&detail, "computed with NaN and ±Infinity");
    let payload = storage.get_result(solution.id).unwrap();
    assert_same(&payload.array("computed").unwrap().values, &COMPUTED);
    assert_eq!(payload.non_finite_count(), 3);
    let loss = storage
        .get_result(titled(&detail, "a loss that blows up").id)
        .unwrap();
    assert_same(
        &loss.array("loss").unwrap().values,
        &[10.0, 3.0, 1.0, 0.5, INF, NAN],
    );
    assert_eq!(loss.array("params").unwrap().shape, vec![6, 2]);

    // The API, by default, writes them as Python's json does, so they read back as they were written.
    let uri = format!("/api/result?id={}", solution.id);
    let (status, body) = get_bytes(&storage, &uri).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let text = String::from_utf8(body).unwrap();
    assert!(
        text.contains("NaN,0.6561,Infinity,0.531441,-Infinity"),
        "{text}"
    );
    let value: Value = from_slice(text.as_bytes()).unwrap();
    assert_same(&numbers(&value["data"]["computed"]), &COMPUTED);

    // Strict JSON on request: strings that keep which value it was, or null.
    let (status, body) = get_bytes(&storage, &format!("{uri}&nonfinite=string")).await;
    assert_eq!(status, StatusCode::OK);
    let strict: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(strict["data"]["computed"][3], "NaN");
    assert_eq!(strict["data"]["computed"][5], "Infinity");
    assert_eq!(strict["data"]["computed"][7], "-Infinity");
    let (_, body) = get_bytes(&storage, &format!("{uri}&nonfinite=null")).await;
    let nulls: Value = serde_json::from_slice(&body).unwrap();
    assert!(nulls["data"]["computed"][5].is_null());
    assert_eq!(nulls["data"]["computed"][4], 0.6561);
    let (status, body) = get_bytes(&storage, &format!("{uri}&nonfinite=nan")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8_lossy(&body).contains("literal, string or null"));

    // Metadata and scalars of an unknown type keep them too.
    assert!(
        detail.metadata_json.contains(r#""final_loss":NaN"#)
            && detail.metadata_json.contains(r#""upper_bound":Infinity"#)
            && detail.metadata_json.contains(r#""lower":-Infinity"#),
        "{}",
        detail.metadata_json
    );
    let (status, body) = get_bytes(
        &storage,
        &format!("/api/run?id={}&nonfinite=string", run.id),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let whole: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(whole["metadata"]["final_loss"], "NaN");
    assert_eq!(whole["metadata"]["dt"], 0.001);
    assert_eq!(whole["results"].as_array().unwrap().len(), 3);
    let scalars = whole["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["result_type"] == "Scalars")
        .unwrap();
    assert_eq!(scalars["data"]["bound"], "-Infinity");
    assert_eq!(scalars["data"]["steps"], 6.0);
}

#[test]
fn a_run_file_with_nan_in_its_metadata_keeps_it_when_a_result_is_added() {
    let (_dir, storage) = fixtures();
    let (run, _) = run_named(&storage, "diverging solver");
    storage
        .add_result(
            run.id,
            "Solution1D",
            crate::support::solution_1d(5),
            crate::support::display("added by Rust"),
        )
        .unwrap();
    let text = std::fs::read_to_string(storage.run_path(run.id)).unwrap();
    assert!(text.contains(r#""final_loss": NaN"#), "{text}");
    assert!(!text.contains("u0000"), "{text}");
    let record = storage.read_run(run.id).unwrap();
    assert_eq!(record.results.len(), 4);
    assert_eq!(number(&record.metadata["upper_bound"]), Some(INF));
}

#[tokio::test]
async fn every_numpy_dtype_is_read_in_either_byte_order() {
    let (_dir, storage) = fixtures();
    let (_, detail) = run_named(&storage, "every NumPy dtype");
    let dtypes = [
        "<f2", ">f2", "<f4", ">f4", "<f8", ">f8", "|i1", "<i2", ">i2", "<i4", ">i4", "<i8", ">i8",
        "|u1", "<u2", ">u2", "<u4", ">u4", "<u8", ">u8", "|b1",
    ];
    for dtype in dtypes {
        let summary = titled(&detail, &format!("values as {dtype}"));
        assert!(summary.problem.is_none(), "{dtype}: {:?}", summary.problem);
        assert_eq!(summary.fields[0].dtype, dtype);
        let payload = storage.get_result(summary.id).unwrap();
        let expected: Vec<f64> = (0..12)
            .map(|i| if dtype == "|b1" { i % 2 } else { i })
            .map(f64::from)
            .collect();
        assert_same(&payload.array("values").unwrap().values, &expected);
        let (status, _) = get_bytes(&storage, &format!("/api/result?id={}", summary.id)).await;
        assert_eq!(status, StatusCode::OK, "{dtype}");
    }
    let fortran = titled(&detail, "Fortran order, big-endian");
    assert!(fortran.problem.is_none(), "{:?}", fortran.problem);
    let grid = storage.get_result(fortran.id).unwrap();
    let values = grid.array("values").unwrap();
    assert_eq!(values.shape, vec![3, 4]);
    let row_major: Vec<f64> = (0..12).map(|i| f64::from(i * i)).collect();
    assert_same(&values.values, &row_major);
}

#[tokio::test]
async fn each_damaged_array_is_reported_on_its_own_result_and_the_api_says_the_same() {
    let (_dir, storage) = fixtures();
    let (_, detail) = run_named(&storage, "damaged arrays");
    for healthy in ["healthy", "healthy after the damage"] {
        let summary = titled(&detail, healthy);
        assert!(summary.problem.is_none(), "{:?}", summary.problem);
    }
    let cases = [
        (
            "truncated file",
            "needs 8000 bytes of data, the file holds 80",
            StatusCode::INTERNAL_SERVER_ERROR,
        ),
        (
            "forged header",
            "needs 8000000000000 bytes of data",
            StatusCode::INTERNAL_SERVER_ERROR,
        ),
        (
            "missing file",
            "_computed.npy is missing",
            StatusCode::INTERNAL_SERVER_ERROR,
        ),
        (
            "not a .npy file",
            "not a .npy file",
            StatusCode::INTERNAL_SERVER_ERROR,
        ),
        (
            "complex values",
            "found <c16 (complex numbers",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "text values",
            "found <U3 (text",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "unknown dtype",
            "found <x9",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ];
    for (title, message, status) in cases {
        let summary = titled(&detail, title);
        let problem = summary
            .problem
            .as_deref()
            .unwrap_or_else(|| panic!("{title}: no problem reported"));
        assert!(problem.contains(message), "{title}: {problem}");
        // The API refuses the same result with the same message.
        let (found, body) = get_bytes(&storage, &format!("/api/result?id={}", summary.id)).await;
        assert_eq!(found, status, "{title}");
        let error: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(error["error"], problem, "{title}");
    }
    // Shapes that do not fit the type: the data is readable (the API gives it), the card says why it is not
    // drawn.
    let shape = titled(&detail, "wrong shape");
    let problem = shape.problem.as_deref().unwrap();
    assert!(
        problem.contains("does not fit its type")
            && problem.contains("`computed`")
            && problem.contains("n = 50")
            && problem.contains("[49]"),
        "{problem}"
    );
    let (status, _) = get_bytes(&storage, &format!("/api/result?id={}", shape.id)).await;
    assert_eq!(status, StatusCode::OK);
    // No values, but a dimension of 10¹²: more than the browser's 32-bit indices hold. The page says so (and
    // its layout reaches the browser intact: this shape once failed to decode there and broke hydration).
    let huge = titled(&detail, "no values, 10¹² columns");
    let problem = huge.problem.as_deref().unwrap();
    assert!(
        problem.contains("a dimension of 1000000000000 (shape [0, 1000000000000])"),
        "{problem}"
    );
    assert_eq!(huge.fields[0].shape, vec![0, 1_000_000_000_000]);
    let (status, body) = get_bytes(&storage, &format!("/api/result?id={}", huge.id)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        from_slice::<Value>(&body).unwrap()["data"]["values"],
        serde_json::json!([])
    );
    // The whole run still answers, each result with its data or its error.
    let (status, body) = get_bytes(&storage, &format!("/api/run?id={}", detail.summary.id)).await;
    assert_eq!(status, StatusCode::OK);
    let run: Value = from_slice(&body).unwrap();
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 11);
    assert_eq!(
        results.iter().filter(|r| r.get("error").is_some()).count(),
        7
    );
    assert!(matches!(
        storage.get_result(titled(&detail, "healthy").id).unwrap().field("computed"),
        Some(FieldValue::Array(a)) if a.len() == 50
    ));
}

#[test]
fn long_names_are_kept_whole_up_to_the_limit() {
    let (_dir, storage) = fixtures();
    let (run, detail) = run_named(&storage, "NavierStokes");
    assert_eq!(run.name.chars().count(), 500);
    assert!(run.problem.is_none(), "{:?}", run.problem);
    assert_eq!(detail.summary.circuit.unwrap().len(), 3 + 2 * 1200);
}
