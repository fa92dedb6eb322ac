//! Result statistics: written with each result, filled in for results written without them, and queried,
//! sorted and shown as columns through the HTTP API.

use asgard::index::Index;
use asgard::storage::{AsgardStorage, DataValue};
use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::support::{display, get_bytes, temp_storage};

/// A `Solution1D` of `n` points whose largest error against `expected` is `error`, at one point.
fn solution_with_error(n: usize, error: f64) -> Vec<(String, DataValue)> {
    let x: Vec<f64> = (0..n).map(|i| i as f64 / n as f64).collect();
    let expected: Vec<f64> = x.iter().map(|v| v * v).collect();
    let mut computed = expected.clone();
    computed[n / 2] += error;
    vec![
        ("x".into(), x.into()),
        ("computed".into(), computed.into()),
        ("expected".into(), expected.into()),
    ]
}

fn csv_rows(body: &[u8]) -> Vec<Vec<String>> {
    let mut reader = csv::Reader::from_reader(body);
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    std::iter::once(header)
        .chain(
            reader
                .records()
                .map(|r| r.unwrap().iter().map(str::to_owned).collect()),
        )
        .collect()
}

/// Three runs of a sweep: two solutions each (the larger error counts), one also with a loss curve.
fn sweep(storage: &AsgardStorage) {
    for (name, errors) in [
        ("coarse", [3e-2, 1e-2]),
        ("medium", [2e-4, 8e-4]),
        ("fine", [5e-6, 1e-6]),
    ] {
        let run = storage.create_run(name, None, None).unwrap();
        for (i, error) in errors.into_iter().enumerate() {
            // 2,000 points: the arrays go to .npy files.
            let n = if i == 0 { 2_000 } else { 50 };
            storage
                .add_result(
                    run.id,
                    "Solution1D",
                    solution_with_error(n, error),
                    display("u"),
                )
                .unwrap();
        }
        if name == "medium" {
            let loss: Vec<f64> = vec![1.0, 0.5, 0.02, 0.03];
            storage
                .add_result(
                    run.id,
                    "OptimizationResult",
                    [("loss".to_owned(), DataValue::from(loss))],
                    json!({}),
                )
                .unwrap();
        }
    }
}

#[tokio::test]
async fn runs_are_found_and_sorted_by_their_results_statistics() {
    let (_dir, storage) = temp_storage();
    sweep(&storage);
    let (status, body) = get_bytes(
        &storage,
        "/api/runs/csv?q=error.max%20%3C%201e-3&sort=-error.max&cols=error.max,error.rms,loss.final,loss.steps",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let rows = csv_rows(&body);
    let at = |name: &str| rows[0].iter().position(|h| h == name).unwrap();
    let (name, max, steps) = (at("name"), at("error.max"), at("loss.steps"));
    let found: Vec<(&str, f64)> = rows[1..]
        .iter()
        .map(|r| (r[name].as_str(), r[max].parse().unwrap()))
        .collect();
    assert_eq!(found.len(), 2, "{rows:?}");
    assert_eq!(found[0].0, "medium");
    assert!((found[0].1 - 8e-4).abs() < 1e-12, "{found:?}");
    assert_eq!(found[1].0, "fine");
    assert!((found[1].1 - 5e-6).abs() < 1e-15, "{found:?}");
    assert_eq!(rows[1][steps], "4");
    assert_eq!(rows[1][at("loss.final")], "0.03");
    assert_eq!(rows[2][steps], "", "no optimisation, no value");

    let (_, body) = get_bytes(&storage, "/api/runs?q=has(OptimizationResult)").await;
    let runs: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(runs.as_array().unwrap().len(), 1, "{runs}");
    assert_eq!(runs[0]["name"], "medium");

    // A statistic in the run list's fields, with how many runs have it.
    let (_, body) = get_bytes(
        &storage,
        "/api/runs?q=has(Solution1D)%20AND%20NOT%20has(Solution2D)",
    )
    .await;
    assert_eq!(
        serde_json::from_slice::<Value>(&body)
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let index = Index::build(storage.clone()).unwrap();
    let fields = index.fields();
    let count = |f: &str| fields.iter().find(|c| c.field == f).map(|c| c.runs);
    assert_eq!(count("error.max"), Some(3));
    assert_eq!(count("loss.min"), Some(1));
    assert_eq!(count("field.max"), None);

    // Each result's own statistics: on the run page, in the order of their documentation, and in `/api/run`
    // as in the run file (by result id).
    let medium = storage
        .list_runs()
        .unwrap()
        .into_iter()
        .find(|r| r.name == "medium")
        .unwrap();
    let detail = storage.run_detail(medium.id).unwrap();
    let names = |i: usize| -> Vec<&str> {
        detail.results[i]
            .stats
            .iter()
            .map(|(n, _)| n.as_str())
            .collect()
    };
    assert_eq!(names(0), ["error.max", "error.rms"]);
    assert!((detail.results[1].stats[0].1.unwrap() - 8e-4).abs() < 1e-12);
    assert_eq!(names(2), ["loss.final", "loss.min", "loss.steps"]);
    assert_eq!(detail.results[2].stats[2].1, Some(4.0));
    let (_, body) = get_bytes(&storage, &format!("/api/run?id={}", medium.id)).await;
    let run: Value = serde_json::from_slice(&body).unwrap();
    let rid = detail.results[2].id.to_string();
    assert_eq!(run["stats"][&rid]["type"], "OptimizationResult");
    assert_eq!(run["stats"][&rid]["loss.min"], 0.02);
}

#[tokio::test]
async fn results_written_without_statistics_get_them_from_the_monitor_which_never_rewrites_run_files(
) {
    let (_dir, storage) = temp_storage();
    sweep(&storage);
    // Take the statistics out, as an older writer (or plain `json` and NumPy) writes.
    let mut stripped = 0;
    for dir in ["runs", "results"] {
        for entry in std::fs::read_dir(storage.root().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let mut file: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            if file.as_object_mut().unwrap().remove("stats").is_some() {
                stripped += 1;
            }
            std::fs::write(&path, file.to_string()).unwrap();
        }
    }
    assert_eq!(stripped, 3 + 7, "every run and result had statistics");
    let (_, body) = get_bytes(&storage, "/api/runs?q=error.max%20%3C%201e-3").await;
    assert_eq!(body, b"[]", "nothing known before they are computed");

    let index = Index::build(storage.clone()).unwrap();
    let ids: Vec<_> = storage.list_runs().unwrap().iter().map(|r| r.id).collect();
    let files = |ids: &[asgard::model::RunId]| -> Vec<Vec<u8>> {
        ids.iter()
            .map(|&id| std::fs::read(storage.run_path(id)).unwrap())
            .collect()
    };
    let before = files(&ids);
    for &id in &ids {
        index.fill_stats(id);
    }
    // The run files are as their writer left them: a writer adding results without the run's lock (plain
    // `json`) while the monitor rewrote the file would lose them.
    assert_eq!(files(&ids), before, "the monitor rewrote a run file");

    // The index that filled them in answers with them.
    let query = |index: &Index| {
        let (live, total) = index.query(
            &asgard::query::parse("error.max < 1e-3").unwrap(),
            &asgard::query::parse_sort("error.max").unwrap(),
            0,
            10,
            0,
        );
        (
            live.iter().map(|r| r.name.clone()).collect::<Vec<_>>(),
            total,
        )
    };
    assert_eq!(
        query(&index),
        (vec!["fine".to_owned(), "medium".to_owned()], 2)
    );

    // A restart takes them from the index snapshot, without computing them again.
    assert!(index.save_snapshot().unwrap());
    let restarted = Index::build(storage.clone()).unwrap();
    assert_eq!(
        restarted.files_read(),
        0,
        "every run came from the snapshot"
    );
    assert_eq!(query(&restarted), query(&index));
}
