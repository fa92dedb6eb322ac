//! Entry points for fuzzing. Each takes arbitrary bytes, puts them where the monitor would find such a file,
//! and runs them through what the monitor does with it: parse, summarize, resolve arrays, reduce for a plot,
//! encode for the API. They panic only on a bug. The `cargo fuzz` targets in `fuzz_targets/` include this file
//! (coverage-guided, nightly), and so does `tests/integration/fuzz_corpus.rs`, which replays the kept corpus
//! through them on every test run. It uses only the library's public API, and is not part of the library.

// Each fuzz target uses one of the entry points.
#![allow(dead_code)]

use std::borrow::Cow;
use std::sync::{LazyLock, Mutex};

use asgard::model::{ResultId, RunId};
use asgard::plots::reduce::reduce_for_view;
use asgard::storage::json::{to_text, NonFinite};
use asgard::storage::npy_header::NpyHeader;
use asgard::storage::{payload_to_json, AsgardStorage, MAX_NAME_CHARS};

/// One storage for the whole fuzzing process (the files are overwritten per input), and a lock: libFuzzer runs
/// one input at a time, the corpus test may run several.
static STORAGE: LazyLock<Mutex<(tempfile::TempDir, AsgardStorage)>> = LazyLock::new(|| {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let storage = AsgardStorage::open(dir.path().join("storage")).expect("a storage");
    Mutex::new((dir, storage))
});

const RUN: &str = "00000000-0000-4000-8000-000000000001";
const RESULT: &str = "00000000-0000-4000-8000-000000000002";

fn ids() -> (RunId, ResultId) {
    (RUN.parse().expect("an id"), RESULT.parse().expect("an id"))
}

/// What any plot does with a result it could read: reduce it for 64 columns, whole and zoomed, and encode it.
fn view(storage: &AsgardStorage, id: ResultId) {
    if let Ok(payload) = storage.get_result(id) {
        let _ = to_text(&payload_to_json(&payload), NonFinite::Literal, false);
        let _ = reduce_for_view(Cow::Borrowed(&payload), 64, None, None);
        let _ = reduce_for_view(Cow::Borrowed(&payload), 64, Some((0.25, 0.5)), Some(1));
        let _ = reduce_for_view(
            Cow::Owned(payload),
            16,
            Some((f64::NEG_INFINITY, f64::NAN)),
            Some(usize::MAX),
        );
    }
}

/// A `.npy` file: its header alone, then as the array of a result's field.
pub fn npy_file(data: &[u8]) {
    if let Ok(header) = NpyHeader::parse(data, data.len() as u64) {
        let elements: usize = header.shape.iter().product();
        assert!(
            elements <= data.len(),
            "a header accepted for {elements} elements in a {}-byte file",
            data.len()
        );
    }
    let guard = STORAGE.lock().unwrap_or_else(|e| e.into_inner());
    let storage = &guard.1;
    let (run, result) = ids();
    let root = storage.root();
    std::fs::write(root.join(format!("files/{RESULT}_computed.npy")), data)
        .expect("writing the input");
    let record = serde_json::json!({
        "id": RESULT, "run_id": run, "result_type": "Solution1D", "timestamp": "2026-01-01T00:00:00Z",
        "data": {"x": [0.0, 0.5, 1.0],
                 "computed": {"$npy": format!("{RESULT}_computed.npy"), "shape": [3], "dtype": "<f8"}},
        "display": {}
    });
    std::fs::write(
        root.join(format!("results/{RESULT}.json")),
        record.to_string(),
    )
    .expect("writing");
    view(storage, result);
}

/// A run file: listed (a row, with a problem if it is damaged), and its detail.
pub fn run_file(data: &[u8]) {
    let guard = STORAGE.lock().unwrap_or_else(|e| e.into_inner());
    let storage = &guard.1;
    let (run, _) = ids();
    std::fs::write(storage.run_path(run), data).expect("writing the input");
    let row = storage
        .run_summary(run)
        .expect("a run file that exists always gives a row");
    assert_eq!(row.id, run);
    assert!(row.name.chars().count() <= MAX_NAME_CHARS + 1);
    let _ = storage.run_detail(run);
}

/// A result file: resolved, reduced for plots and encoded.
pub fn result_file(data: &[u8]) {
    let guard = STORAGE.lock().unwrap_or_else(|e| e.into_inner());
    let storage = &guard.1;
    let (_, result) = ids();
    std::fs::write(storage.result_path(result), data).expect("writing the input");
    view(storage, result);
}
