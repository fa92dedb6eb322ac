//! The run explorer's API through the axum router: tags, note and star (`PATCH /api/run`), and the grouped,
//! filtered table as CSV (`/api/runs/csv`).

use std::fs;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use crate::api::{app, call, patch};
use crate::support::temp_storage;

#[tokio::test]
async fn patch_tags_note_and_star_writes_the_run_file_and_the_index_at_once() {
    let (_dir, storage) = temp_storage();
    let run = storage.create_run("tagged", None, None).unwrap();
    let other = storage.create_run("other", None, None).unwrap();
    let (app, _) = app(&storage);
    let uri = format!("/api/run?id={}", run.id);

    let (status, body) = patch(
        &app,
        &uri,
        r#"{"add_tags": [" baseline ", "paper"], "note": "rerun with dt/2", "starred": true}"#,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["tags"], serde_json::json!(["baseline", "paper"]));
    assert_eq!(body["note"], "rerun with dt/2");
    assert_eq!(body["starred"], true);

    // In the run's file, as other tools read it.
    let file: Value = serde_json::from_slice(&fs::read(storage.run_path(run.id)).unwrap()).unwrap();
    assert_eq!(file["tags"], serde_json::json!(["baseline", "paper"]));
    assert_eq!(file["note"], "rerun with dt/2");
    assert_eq!(file["starred"], true);

    // And queryable without waiting for the watcher.
    for q in [
        "tag%20%3D%20baseline",
        "starred%20%3D%20true",
        "note%20~%20%2Fdt%2F",
    ] {
        let (status, runs) = call(&app, Method::GET, &format!("/api/runs?q={q}")).await;
        assert_eq!(status, StatusCode::OK, "{runs}");
        let ids: Vec<&str> = runs
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, [run.id.to_string()], "{q}");
    }
    let (_, runs) = call(&app, Method::GET, "/api/runs?q=tag%20!%3D%20baseline").await;
    assert_eq!(runs[0]["id"], other.id.to_string());

    // Removing a tag and unstarring keep the rest.
    let (status, body) = patch(
        &app,
        &uri,
        r#"{"remove_tags": ["paper"], "starred": false}"#,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["tags"], serde_json::json!(["baseline"]));
    assert_eq!(body["note"], "rerun with dt/2");
    assert!(body.get("starred").is_none(), "not starred: {body}");
}

#[tokio::test]
async fn a_bad_patch_says_what_was_expected_and_changes_nothing() {
    let (_dir, storage) = temp_storage();
    let run = storage.create_run("kept", None, None).unwrap();
    storage.set_tags(run.id, &["keep"]).unwrap();
    let before = fs::read(storage.run_path(run.id)).unwrap();
    let (app, _) = app(&storage);
    let uri = format!("/api/run?id={}", run.id);
    let long = "x".repeat(65);
    for (body, expected) in [
        ("not json", "expected a JSON object"),
        (r#"{"tags": "one"}"#, "expected a JSON object"),
        (r#"{"color": "red"}"#, "unknown field `color`"),
        (r#"{"add_tags": ["  "]}"#, "a tag cannot be empty"),
        (
            &format!(r#"{{"add_tags": ["{long}"]}}"#),
            "longer than 64 characters",
        ),
        (r#"{"add_tags": ["a\u0007b"]}"#, "control character"),
        (
            &format!(r#"{{"note": "{}"}}"#, "n".repeat(4001)),
            "at most 4000",
        ),
    ] {
        let (status, answer) = patch(&app, &uri, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        let message = answer["error"].as_str().unwrap_or_default();
        assert!(message.contains(expected), "{body}: {message}");
    }
    assert_eq!(fs::read(storage.run_path(run.id)).unwrap(), before);
    let missing = format!("/api/run?id={}", uuid::Uuid::new_v4());
    let (status, _) = patch(&app, &missing, r#"{"starred": true}"#).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn groups_count_and_average_all_matching_runs_and_the_csv_holds_exactly_them() {
    let (_dir, storage) = temp_storage();
    let mut ids = Vec::new();
    for (solver, dt, error, sweep) in [
        ("rk4", 1e-3, 1.0, "a"),
        ("rk4", 1e-4, 3.0, "a"),
        ("euler", 1e-3, 10.0, "a"),
        ("euler", 1e-3, 99.0, "b"),
    ] {
        let run = storage
            .create_run(&format!("{solver}, {dt}"), None, None)
            .unwrap();
        let meta = serde_json::json!({"solver": solver, "dt": dt, "error": error, "sweep": sweep});
        storage
            .set_metadata_map(run.id, meta.as_object().unwrap().clone())
            .unwrap();
        ids.push(run.id);
    }
    let (app, index) = app(&storage);
    let request = asgard::query::list_request(
        "meta.sweep = a",
        "-meta.error",
        "meta.dt,meta.error",
        "meta.solver",
    )
    .unwrap()
    .unwrap();
    let table = index.table(&request, 0, 100, 0);
    assert_eq!(table.total, 3);
    let groups: Vec<(String, usize)> = table
        .groups
        .iter()
        .map(|g| (g.value.as_ref().unwrap().to_string(), g.count))
        .collect();
    assert_eq!(groups, [("euler".to_owned(), 1), ("rk4".to_owned(), 2)]);
    let rk4 = table.groups[1].stats[1].unwrap();
    assert_eq!((rk4.count, rk4.mean, rk4.min, rk4.max), (2, 2.0, 1.0, 3.0));
    // Grouped first, then by the sort within each group.
    assert_eq!(
        table.runs.iter().map(|r| r.id).collect::<Vec<_>>(),
        [ids[2], ids[1], ids[0]]
    );
    assert_eq!(table.group_of, [0, 1, 1]);
    assert_eq!(table.columns[1].field, "meta.error");
    assert_eq!(
        table.columns[1].values,
        [Some(10.0), Some(3.0), Some(1.0)].map(|v| v.map(asgard::model::CellValue::Number))
    );
    // A page of the middle run still knows its group, counted over every matching run.
    let page = index.table(&request, 1, 1, 0);
    assert_eq!(
        (page.group_of.as_slice(), page.groups[1].count),
        ([1].as_slice(), 2)
    );

    let response = app
        .clone()
        .oneshot(
            Request::builder()
                .uri("/api/runs/csv?q=meta.sweep%20%3D%20a&sort=meta.error&cols=meta.solver,meta.error")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "id,name,created,status,results,tags,starred,note,meta.solver,meta.error"
    );
    assert_eq!(lines.len(), 4, "{text}");
    // Names with a comma are quoted; the rows are the query's, in its order.
    for (line, (id, name, error)) in lines[1..].iter().zip([
        (ids[0], "\"rk4, 0.001\"", "1"),
        (ids[1], "\"rk4, 0.0001\"", "3"),
        (ids[2], "\"euler, 0.001\"", "10"),
    ]) {
        assert!(line.starts_with(&format!("{id},{name},")), "{line}");
        assert!(line.ends_with(&format!(",{error}")), "{line}");
    }
    let (status, body) = call(&app, Method::GET, "/api/runs/csv?cols=meta.x,stauts").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .starts_with("in `cols`: unknown field `stauts`"),
        "{body}"
    );
}
