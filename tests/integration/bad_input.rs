//! Whatever is found on disk, the monitor keeps serving: each damaged file is reported on its own run or
//! result, and everything else is unaffected (RELIABILITY.md, "Bad input on disk").

use std::fs;
use std::path::Path;

use asgard::model::{ResultId, RunId};
use asgard::storage::AsgardStorage;
use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::support::{display, get_bytes, solution_1d, temp_storage};

async fn get(storage: &AsgardStorage, uri: &str) -> (StatusCode, Value, usize) {
    let (status, bytes) = get_bytes(storage, uri).await;
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        bytes.len(),
    )
}

/// A healthy run with one result, to show that it is unaffected.
fn healthy(storage: &AsgardStorage) -> (RunId, ResultId) {
    let run = storage.create_run("healthy", None, None).unwrap();
    let result = storage
        .add_result(run.id, "Solution1D", solution_1d(30), display("fine"))
        .unwrap();
    (run.id, result)
}

async fn assert_healthy(storage: &AsgardStorage, (run, result): (RunId, ResultId)) {
    let (status, runs, _) = get(storage, "/api/runs").await;
    assert_eq!(status, StatusCode::OK);
    let row = runs
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == run.to_string())
        .unwrap()
        .clone();
    assert_eq!(row["name"], "healthy");
    assert!(row.get("problem").is_none(), "{row}");
    let (status, body, _) = get(storage, &format!("/api/result?id={result}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["x"].as_array().unwrap().len(), 30);
}

fn row(runs: &Value, id: RunId) -> Value {
    runs.as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id.to_string())
        .cloned()
        .unwrap_or_else(|| panic!("{id} not listed"))
}

#[tokio::test]
async fn damaged_run_files_list_with_their_problem() {
    let (_dir, storage) = temp_storage();
    let good = healthy(&storage);
    let id = |_: usize| RunId(uuid::Uuid::new_v4());
    let deep_id = id(4);
    let nested = format!(
        r#"{{"id": "{deep_id}", "name": "deep", "timestamp": "2026-01-01T00:00:00Z", "metadata": {{"a": {}{}}}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let cases: Vec<(RunId, String, &str)> = vec![
        (id(0), "{\"id\": \"trunc".into(), "EOF while parsing"),
        (id(1), "#!not json".into(), "expected value"),
        (id(2), "[1, 2, 3]".into(), "invalid type"),
        (id(3), json!({"name": 5}).to_string(), "invalid type"),
        (deep_id, nested, "recursion limit exceeded"),
        (id(5), String::new(), "EOF while parsing"),
    ];
    for (run, text, _) in &cases {
        fs::write(storage.run_path(*run), text).unwrap();
    }
    // A file name that is not UTF-8 (nor a run id) is passed over.
    use std::os::unix::ffi::OsStrExt;
    fs::write(
        storage
            .root()
            .join("runs")
            .join(std::ffi::OsStr::from_bytes(b"\xff\xfe.json")),
        "{}",
    )
    .unwrap();

    let (status, runs, _) = get(&storage, "/api/runs").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(runs.as_array().unwrap().len(), 1 + cases.len());
    for (run, _, message) in &cases {
        let problem = row(&runs, *run)["problem"].as_str().unwrap().to_owned();
        assert!(
            problem.contains(&format!("runs/{run}.json is damaged")) && problem.contains(message),
            "{problem}"
        );
    }
    assert_healthy(&storage, good).await;
}

#[tokio::test]
async fn a_ten_megabyte_name_is_cut_and_reported() {
    let (_dir, storage) = temp_storage();
    let good = healthy(&storage);
    let run = storage.create_run("x", Some("u = 1"), None).unwrap();
    let path = storage.run_path(run.id);
    let mut record: Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    record["name"] = json!("n".repeat(10 << 20));
    record["circuit"] = json!("c".repeat(1 << 20));
    fs::write(&path, record.to_string()).unwrap();

    let (status, runs, bytes) = get(&storage, "/api/runs").await;
    assert_eq!(status, StatusCode::OK);
    assert!(bytes < 20_000, "the listing is {bytes} bytes");
    let row = row(&runs, run.id);
    assert_eq!(row["name"].as_str().unwrap().chars().count(), 501);
    assert!(row["problem"]
        .as_str()
        .unwrap()
        .contains("the name is 10485760 characters long; shown cut to 500"));
    assert_eq!(row["circuit"].as_str().unwrap().chars().count(), 2001);
    assert_healthy(&storage, good).await;
}

/// A `.npy` file with the given header dictionary followed by `data` bytes.
fn npy(header: &str, data: &[u8]) -> Vec<u8> {
    let mut h = header.to_owned();
    while !(10 + h.len() + 1).is_multiple_of(64) {
        h.push(' ');
    }
    h.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend((h.len() as u16).to_le_bytes());
    bytes.extend(h.as_bytes());
    bytes.extend(data);
    bytes
}

/// A result of `run` whose `x` field is the `.npy` file `file_name` holding `bytes` (`None`: no file).
fn result_with_npy(
    storage: &AsgardStorage,
    run: RunId,
    file_name: impl Fn(ResultId) -> String,
    bytes: Option<&[u8]>,
) -> ResultId {
    let id = storage
        .add_result(
            run,
            "Solution1D",
            vec![
                ("x".into(), json!([0.0, 1.0]).into()),
                ("computed".into(), json!([0.0, 1.0]).into()),
            ],
            json!({}),
        )
        .unwrap();
    let name = file_name(id);
    if let Some(bytes) = bytes {
        fs::write(storage.root().join("files").join(&name), bytes).unwrap();
    }
    let path = storage.result_path(id);
    let mut record: Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    record["data"]["x"] = json!({"$npy": name, "shape": [2], "dtype": "<f8"});
    fs::write(&path, record.to_string()).unwrap();
    id
}

#[tokio::test]
async fn forged_missing_and_foreign_npy_files_are_reported_on_their_result_only() {
    let (dir, storage) = temp_storage();
    let good = healthy(&storage);
    let run = storage.create_run("npy trouble", None, None).unwrap().id;
    let own = |id: ResultId| format!("{id}_x.npy");
    let f8 = |shape: &str| {
        npy(
            &format!("{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}"),
            &[0u8; 16],
        )
    };
    let outside = dir.path().join("secret.npy");
    fs::write(&outside, f8("(2,)")).unwrap();

    let cases: Vec<(ResultId, String)> = vec![
        (
            result_with_npy(&storage, run, own, Some(&f8("(1000000000000,)"))),
            "needs 8000000000000 bytes of data, the file holds 16".into(),
        ),
        (
            result_with_npy(&storage, run, own, Some(&f8("(-2,)"))),
            "dimension `-2`".into(),
        ),
        (
            result_with_npy(
                &storage,
                run,
                own,
                Some(&f8("(4294967296, 4294967296, 4294967296)")),
            ),
            "overflows".into(),
        ),
        (
            result_with_npy(
                &storage,
                run,
                own,
                Some(&npy(
                    "{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }",
                    &[0; 16],
                )),
            ),
            "found <c16".into(),
        ),
        (
            result_with_npy(
                &storage,
                run,
                own,
                Some(&npy(
                    "{'descr': '>f8', 'fortran_order': False, 'shape': (3,), }",
                    &[0; 16],
                )),
            ),
            "the header's shape [3] of >f8 needs 24 bytes of data, the file holds 16".into(),
        ),
        (
            result_with_npy(
                &storage,
                run,
                own,
                Some(&npy(
                    "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }",
                    &[0; 16],
                )),
            ),
            "object arrays".into(),
        ),
        (
            result_with_npy(&storage, run, own, Some(b"")),
            "the file is empty".into(),
        ),
        (
            result_with_npy(&storage, run, own, Some(b"\x93NUMPY\x01\x00\xff")),
            "not a .npy file".into(),
        ),
        (
            result_with_npy(&storage, run, own, None),
            "is missing".into(),
        ),
        (
            result_with_npy(&storage, run, |_| "../runs/x.npy".into(), None),
            "expected a file of this result in files/".into(),
        ),
        (
            result_with_npy(&storage, run, |_| outside.display().to_string(), None),
            "expected a file of this result in files/".into(),
        ),
        (
            result_with_npy(&storage, run, |_| format!("{}_computed.npy", good.1), None),
            "expected a file of this result in files/".into(),
        ),
    ];
    // A link out of the storage, under this result's own name.
    let linked = result_with_npy(&storage, run, own, None);
    std::os::unix::fs::symlink(&outside, storage.root().join("files").join(own(linked))).unwrap();
    // A link that stays inside the storage is followed.
    let inside = result_with_npy(&storage, run, own, None);
    let target = storage.root().join("files").join("kept.bin");
    fs::write(&target, f8("(2,)")).unwrap();
    std::os::unix::fs::symlink(&target, storage.root().join("files").join(own(inside))).unwrap();

    for (id, message) in cases
        .iter()
        .chain([&(linked, "leads outside the storage".to_owned())])
    {
        let (status, body, _) = get(&storage, &format!("/api/result?id={id}")).await;
        // Sound files of a type the monitor does not read are 422, damaged ones 500.
        let sound = message.contains("c16") || message.contains("object arrays");
        let expected = if sound {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::INTERNAL_SERVER_ERROR
        };
        assert_eq!(status, expected, "{id}: {body}");
        let error = body["error"].as_str().unwrap();
        assert!(error.contains(message), "expected {message:?} in {error:?}");
        assert!(
            !error.contains(path_of(storage.root())),
            "no server paths in messages: {error}"
        );
    }
    let (status, body, _) = get(&storage, &format!("/api/result?id={inside}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _, _) = get(&storage, &format!("/api/result/npy?id={linked}&field=x")).await;
    assert_eq!(
        status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "the raw file of a link out is not served either"
    );

    // The run page's data: every bad result carries its own error, the run itself is fine.
    let (status, body, _) = get(&storage, &format!("/api/run?id={run}")).await;
    assert_eq!(status, StatusCode::OK);
    let errors = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r.get("error").is_some())
        .count();
    assert_eq!(errors, cases.len() + 1);
    assert_healthy(&storage, good).await;
}

fn path_of(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[tokio::test]
async fn dangling_references_either_way_are_reported() {
    let (_dir, storage) = temp_storage();
    let good = healthy(&storage);
    // A run listing a result that does not exist.
    let run = storage.create_run("lists a ghost", None, None).unwrap();
    let ghost = ResultId(uuid::Uuid::new_v4());
    let path = storage.run_path(run.id);
    let mut record: Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    record["results"] = json!([ghost]);
    fs::write(&path, record.to_string()).unwrap();
    // A result whose run is gone.
    let orphan_run = storage.create_run("gone", None, None).unwrap();
    let orphan = storage
        .add_result(orphan_run.id, "Solution1D", solution_1d(5), json!({}))
        .unwrap();
    fs::remove_file(storage.run_path(orphan_run.id)).unwrap();

    let (status, runs, _) = get(&storage, "/api/runs").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(row(&runs, run.id)["result_count"], 1);
    assert!(runs
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["id"] != orphan_run.id.to_string()));
    let (status, body, _) = get(&storage, &format!("/api/run?id={}", run.id)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["results"][0]["error"]
        .as_str()
        .unwrap()
        .contains(&format!("no result with id {ghost}")));
    let detail = storage.run_detail(run.id).unwrap();
    assert!(detail.results[0]
        .problem
        .as_deref()
        .unwrap()
        .contains("no result"));
    let (status, _, _) = get(&storage, &format!("/api/result?id={orphan}")).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "an orphan result is still readable by its id"
    );
    assert_healthy(&storage, good).await;
}

#[tokio::test]
async fn oversized_record_files_are_refused_without_reading_them_whole() {
    let (_dir, storage) = temp_storage();
    let good = healthy(&storage);
    let run = storage.create_run("huge file", None, None).unwrap();
    let path = storage.run_path(run.id);
    let file = fs::File::create(&path).unwrap();
    file.set_len(asgard::storage::MAX_RECORD_BYTES + 10)
        .unwrap();
    let (_, runs, _) = get(&storage, "/api/runs").await;
    assert!(row(&runs, run.id)["problem"]
        .as_str()
        .unwrap()
        .contains("is larger than 64 MB"));
    assert_healthy(&storage, good).await;
}

#[test]
fn files_rewritten_in_place_while_read_give_a_result_or_a_clear_error() {
    let (_dir, storage) = temp_storage();
    let run = storage.create_run("flapping", None, None).unwrap();
    let id = storage
        .add_result(run.id, "Solution1D", solution_1d(200), display("t"))
        .unwrap();
    let path = storage.result_path(id);
    let whole = fs::read(&path).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (path, whole, stop) = (path.clone(), whole.clone(), stop.clone());
        std::thread::spawn(move || {
            use std::io::Write;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                // Not atomic on purpose: truncate, then write in two halves.
                let mut f = fs::File::create(&path).unwrap();
                f.write_all(&whole[..whole.len() / 2]).unwrap();
                f.flush().unwrap();
                f.write_all(&whole[whole.len() / 2..]).unwrap();
            }
        })
    };
    let (mut ok, mut damaged) = (0, 0);
    for _ in 0..2_000 {
        match storage.get_result(id) {
            Ok(payload) => {
                assert_eq!(payload.result_type.as_str(), "Solution1D");
                ok += 1;
            }
            Err(asgard::storage::Error::Corrupt { message, .. }) => {
                assert!(!message.is_empty());
                damaged += 1;
            }
            Err(other) => panic!("unexpected error {other}"),
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.join().unwrap();
    assert_eq!(ok + damaged, 2_000);
    assert!(
        storage.get_result(id).is_ok(),
        "readable again once the writer stops"
    );
}
