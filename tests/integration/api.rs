//! The REST API through the axum router (no network).

use std::fs;
use std::sync::Arc;

use asgard::index::Index;
use asgard::server::router;
use asgard::storage::AsgardStorage;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use crate::support::{display, solution_1d, temp_storage};

pub(crate) fn app(storage: &AsgardStorage) -> (axum::Router, Arc<Index>) {
    let state = crate::support::app_state(storage);
    (router(state.clone()), state.index)
}

pub(crate) async fn call(app: &axum::Router, method: Method, uri: &str) -> (StatusCode, Value) {
    send(app, method, uri, Body::empty()).await
}

pub(crate) async fn patch(app: &axum::Router, uri: &str, body: &str) -> (StatusCode, Value) {
    send(app, Method::PATCH, uri, Body::from(body.to_owned())).await
}

/// A request with `body` (JSON, when there is one): its status and the answer as JSON (or as text).
pub(crate) async fn send(
    app: &axum::Router,
    method: Method,
    uri: &str,
    body: Body,
) -> (StatusCode, Value) {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(body)
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
    (status, body)
}

#[tokio::test]
async fn runs_lists_newest_first_with_result_counts() {
    let (_dir, storage) = temp_storage();
    let older = storage.create_run("older", None, None).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(5));
    let newer = storage
        .create_run("newer", Some("u_t = u_xx"), None)
        .unwrap();
    storage
        .add_result(newer.id, "Solution1D", solution_1d(10), display("a"))
        .unwrap();
    storage
        .add_result(newer.id, "Solution1D", solution_1d(10), display("b"))
        .unwrap();
    let (app, _) = app(&storage);

    let (status, body) = call(&app, Method::GET, "/api/runs").await;
    assert_eq!(status, StatusCode::OK);
    let runs = body.as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0]["id"], newer.id.to_string());
    assert_eq!(runs[0]["result_count"], 2);
    assert_eq!(runs[0]["equation"], "u_t = u_xx");
    assert_eq!(runs[1]["id"], older.id.to_string());
    assert_eq!(runs[1]["result_count"], 0);
}

#[tokio::test]
async fn run_returns_results_ready_to_render() {
    let (_dir, storage) = temp_storage();
    let storage = storage.with_inline_threshold(10);
    let run = storage.create_run("r", None, None).unwrap();
    let result = storage
        .add_result(run.id, "Solution1D", solution_1d(40), display("npy-backed"))
        .unwrap();
    let (app, _) = app(&storage);

    let (status, body) = call(&app, Method::GET, &format!("/api/run?id={}", run.id)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["name"], "r");
    assert_eq!(body["result_count"], 1);
    let first = &body["results"][0];
    assert_eq!(first["id"], result.to_string());
    assert_eq!(first["display"]["title"], "npy-backed");
    assert_eq!(
        first["data"]["x"].as_array().unwrap().len(),
        40,
        "the .npy array is resolved inline"
    );
}

#[tokio::test]
async fn result_resolves_arrays() {
    let (_dir, storage) = temp_storage();
    let storage = storage.with_inline_threshold(10);
    let run = storage.create_run("r", None, None).unwrap();
    let result = storage
        .add_result(run.id, "Solution1D", solution_1d(25), display("t"))
        .unwrap();
    let (app, _) = app(&storage);
    let (status, body) = call(&app, Method::GET, &format!("/api/result?id={result}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["result_type"], "Solution1D");
    assert_eq!(body["run_id"], run.id.to_string());
    let computed = body["data"]["computed"].as_array().unwrap();
    assert_eq!(computed.len(), 25);
    assert!((computed[1].as_f64().unwrap() - (6.0f64 / 25.0).sin()).abs() < 1e-12);
}

#[tokio::test]
async fn errors_are_json_with_the_right_status() {
    let (_dir, storage) = temp_storage();
    let storage = storage.with_inline_threshold(10);
    let run = storage.create_run("r", None, None).unwrap();
    let damaged = storage
        .add_result(run.id, "Solution1D", solution_1d(20), display("t"))
        .unwrap();
    fs::remove_file(
        storage
            .root()
            .join("files")
            .join(format!("{damaged}_x.npy")),
    )
    .unwrap();
    let (app, _) = app(&storage);
    let unknown = "67e55044-10b1-426f-9247-bb680e5fe0c8";
    let cases = [
        (
            Method::GET,
            "/api/run?id=../../etc/passwd".to_owned(),
            StatusCode::BAD_REQUEST,
            "expected a UUID",
        ),
        (
            Method::GET,
            "/api/run".to_owned(),
            StatusCode::BAD_REQUEST,
            "missing query parameter `id`",
        ),
        (
            Method::GET,
            format!("/api/run?id={unknown}"),
            StatusCode::NOT_FOUND,
            "no run with id",
        ),
        (
            Method::DELETE,
            format!("/api/run?id={unknown}"),
            StatusCode::NOT_FOUND,
            "no run with id",
        ),
        (
            Method::DELETE,
            "/api/run?id=nope".to_owned(),
            StatusCode::BAD_REQUEST,
            "expected a UUID",
        ),
        (
            Method::GET,
            format!("/api/result?id={unknown}"),
            StatusCode::NOT_FOUND,
            "no result with id",
        ),
        (
            Method::GET,
            "/api/result?id=%00".to_owned(),
            StatusCode::BAD_REQUEST,
            "expected a UUID",
        ),
        (
            Method::GET,
            format!("/api/result?id={damaged}"),
            StatusCode::INTERNAL_SERVER_ERROR,
            "is missing",
        ),
    ];
    for (method, uri, expected_status, expected_text) in cases {
        let (status, body) = call(&app, method.clone(), &uri).await;
        assert_eq!(status, expected_status, "{method} {uri}: {body}");
        let message = body["error"]
            .as_str()
            .unwrap_or_else(|| panic!("{method} {uri}: not a JSON error: {body}"));
        assert!(message.contains(expected_text), "{method} {uri}: {message}");
        assert!(
            !message.contains(storage.root().to_str().unwrap()),
            "server path leaked: {message}"
        );
    }
}

#[tokio::test]
async fn delete_removes_the_run_from_disk_and_listing() {
    let (_dir, storage) = temp_storage();
    let run = storage.create_run("doomed", None, None).unwrap();
    storage
        .add_result(run.id, "Solution1D", solution_1d(5), display("t"))
        .unwrap();
    let (app, _) = app(&storage);
    let (status, body) = call(&app, Method::DELETE, &format!("/api/run?id={}", run.id)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(!storage.run_path(run.id).exists());
    let (_, runs) = call(&app, Method::GET, "/api/runs").await;
    assert_eq!(
        runs.as_array().unwrap().len(),
        0,
        "the listing is current without waiting for the watcher"
    );
    let (status, _) = call(&app, Method::GET, &format!("/api/run?id={}", run.id)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_corrupt_run_never_takes_the_listing_down() {
    let (_dir, storage) = temp_storage();
    let good = storage.create_run("good", None, None).unwrap();
    let bad = storage.create_run("bad", None, None).unwrap();
    fs::write(storage.run_path(bad.id), b"\x00\x01 not json").unwrap();
    let (app, _) = app(&storage);
    let (status, body) = call(&app, Method::GET, "/api/runs").await;
    assert_eq!(status, StatusCode::OK);
    let runs = body.as_array().unwrap();
    assert_eq!(runs.len(), 2);
    let bad_row = runs.iter().find(|r| r["id"] == bad.id.to_string()).unwrap();
    assert!(bad_row["problem"].as_str().unwrap().contains("is damaged"));
    assert!(runs
        .iter()
        .any(|r| r["id"] == good.id.to_string() && r.get("problem").is_none()));
    let (status, body) = call(&app, Method::GET, &format!("/api/run?id={}", bad.id)).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(body["error"].as_str().unwrap().contains("is damaged"));
}

async fn call_raw(app: &axum::Router, uri: &str) -> (StatusCode, String, Vec<u8>) {
    let request = Request::builder().uri(uri).body(Body::empty()).unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let disposition = response
        .headers()
        .get("content-disposition")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, disposition, bytes)
}

#[tokio::test]
async fn exports_full_data_as_csv_and_original_npy_files() {
    let (_dir, storage) = temp_storage();
    let storage = storage.with_inline_threshold(10);
    let run = storage.create_run("r", None, None).unwrap();
    let big = storage
        .add_result(run.id, "Solution1D", solution_1d(25), display("big"))
        .unwrap();
    let small = storage
        .add_result(run.id, "Solution1D", solution_1d(5), display("small"))
        .unwrap();
    let (app, _) = app(&storage);

    let (status, disposition, body) = call_raw(&app, &format!("/api/result/csv?id={big}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(disposition.contains(&format!("{big}.csv")), "{disposition}");
    let csv = String::from_utf8(body).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "x,computed");
    assert_eq!(lines.len(), 26, "every point, not a reduction");
    assert_eq!(
        lines[2],
        format!("{},{}", 1.0 / 25.0, (6.0f64 / 25.0).sin())
    );

    let (status, _, body) =
        call_raw(&app, &format!("/api/result/csv?id={big}&field=computed")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8(body)
        .unwrap()
        .starts_with("computed\n0\n"));

    let (status, disposition, body) =
        call_raw(&app, &format!("/api/result/npy?id={big}&field=x")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(disposition.contains(&format!("{big}_x.npy")));
    assert_eq!(&body[..6], b"\x93NUMPY");
    assert_eq!(
        body,
        std::fs::read(storage.root().join("files").join(format!("{big}_x.npy"))).unwrap()
    );

    let (status, _, body) = call_raw(&app, &format!("/api/result/npy?id={small}&field=x")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "inline fields have no file");
    assert!(String::from_utf8_lossy(&body).contains("no field `x` stored in a .npy file"));
    let (status, _, _) = call_raw(&app, &format!("/api/result/csv?id={big}&field=nope")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _, _) = call_raw(&app, &format!("/api/result/npy?id={big}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn runs_come_gzipped_to_clients_that_accept_it_and_follow_changes() {
    use std::io::Read;
    let (_dir, storage) = temp_storage();
    for i in 0..50 {
        storage
            .create_run(
                &format!("run {i}"),
                Some("a long equation to compress"),
                None,
            )
            .unwrap();
    }
    let (app, index) = app(&storage);
    let fetch = |encoding: &'static str| {
        let app = app.clone();
        async move {
            let request = Request::builder()
                .uri("/api/runs")
                .header("accept-encoding", encoding)
                .body(Body::empty())
                .unwrap();
            let response = app.oneshot(request).await.unwrap();
            let coding = response
                .headers()
                .get("content-encoding")
                .map(|v| v.to_str().unwrap().to_owned());
            (
                coding,
                response.into_body().collect().await.unwrap().to_bytes(),
            )
        }
    };
    let (plain_coding, plain) = fetch("identity").await;
    let (gzip_coding, gzipped) = fetch("br;q=1.0, gzip;q=0.8").await;
    assert_eq!(plain_coding, None);
    assert_eq!(gzip_coding.as_deref(), Some("gzip"));
    assert!(
        gzipped.len() * 3 < plain.len(),
        "{} gzipped bytes for {} plain",
        gzipped.len(),
        plain.len()
    );
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&gzipped.to_vec()[..])
        .read_to_end(&mut unzipped)
        .unwrap();
    assert_eq!(unzipped, plain.to_vec());

    // The cached listing follows a change.
    let run = storage.create_run("the newest", None, None).unwrap();
    index.refresh_run(run.id);
    let (_, after) = fetch("identity").await;
    let runs: Value = serde_json::from_slice(&after).unwrap();
    assert_eq!(runs.as_array().unwrap().len(), 51);
    assert_eq!(runs[0]["name"], "the newest");
}

/// The whole listing after a change is made from what changed (issue 19): each run's row is encoded once and
/// the gzip copy is groups of 256 runs compressed on their own. Through creations, changes and deletions in
/// every group (and an empty storage), the plain body is the rows as `serde_json` writes them and the gzip body
/// one valid member (CRC and length checked by the decoder) of the same bytes.
#[test]
fn the_listing_made_from_what_changed_is_the_whole_listing() {
    use std::io::Read;
    let (_dir, storage) = temp_storage();
    let index = asgard::index::Index::build(storage.clone()).unwrap();
    let check = |when: &str| {
        let (plain, count) = index.listing_body(false);
        let (rows, total) = index.page(0, usize::MAX);
        assert_eq!(count, total, "{when}");
        // The order made from the last one and what changed is the order of a full sort: newest first.
        let key =
            |r: &asgard::model::RunSummary| (asgard::storage::timestamp_key(&r.timestamp), r.id);
        let mut sorted = rows.clone();
        sorted.sort_by_key(|r| std::cmp::Reverse(key(r)));
        assert!(
            rows.iter().map(|r| r.id).eq(sorted.iter().map(|r| r.id)),
            "{when}: the listing's order"
        );
        assert_eq!(
            plain.to_vec(),
            serde_json::to_vec(&rows).unwrap(),
            "{when}: the plain body"
        );
        let (gzipped, _) = index.listing_body(true);
        let mut unzipped = Vec::new();
        flate2::read::GzDecoder::new(&gzipped.to_vec()[..])
            .read_to_end(&mut unzipped)
            .unwrap_or_else(|e| panic!("{when}: {e}"));
        assert_eq!(unzipped, plain.to_vec(), "{when}: the gzip body");
        total
    };
    assert_eq!(check("empty"), 0);
    let mut ids = Vec::new();
    for i in 0..600 {
        let run = storage
            .create_run(&format!("run {i}"), Some("u_t = u_xx"), None)
            .unwrap();
        ids.push(run.id);
    }
    for id in &ids {
        index.refresh_run(*id);
    }
    assert_eq!(check("600 runs: a group of 88 and two of 256"), 600);
    let run = storage.create_run("the newest", None, None).unwrap();
    index.refresh_run(run.id);
    assert_eq!(check("a new run"), 601);
    for (k, at) in [5, 300, 590].into_iter().enumerate() {
        storage.add_tags(ids[at], &[format!("tag{k}")]).unwrap();
        index.refresh_run(ids[at]);
        check(&format!("run {at} tagged"));
    }
    index.delete_run(ids[0]).unwrap();
    assert_eq!(check("the oldest deleted"), 600);
    index.delete_run(ids[400]).unwrap();
    assert_eq!(check("one in the middle deleted"), 599);
    // Many changes at once (more than are placed one by one): sorted whole.
    for id in ids.iter().skip(1).step_by(2).take(299) {
        storage.add_tags(*id, &["many"]).unwrap();
        index.refresh_run(*id);
    }
    for _ in 0..3 {
        let run = storage.create_run("newer still", None, None).unwrap();
        index.refresh_run(run.id);
    }
    assert_eq!(check("many changes"), 602);
}

#[tokio::test]
async fn runs_come_in_pages_cut_from_the_whole_listing() {
    let (_dir, storage) = temp_storage();
    for i in 0..7 {
        storage.create_run(&format!("run {i}"), None, None).unwrap();
    }
    let (app, _) = app(&storage);
    let fetch = |uri: String| {
        let app = app.clone();
        async move {
            let request = Request::builder().uri(uri).body(Body::empty()).unwrap();
            let response = app.oneshot(request).await.unwrap();
            let header = |name: &str| {
                response
                    .headers()
                    .get(name)
                    .map(|v| v.to_str().unwrap().to_owned())
            };
            let (status, total, link) =
                (response.status(), header("x-total-count"), header("link"));
            let bytes = response.into_body().collect().await.unwrap().to_bytes();
            let body: Value = serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
            (status, body, total, link)
        }
    };
    let ids = |body: &Value| -> Vec<String> {
        body.as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .collect()
    };

    let (status, all, total, link) = fetch("/api/runs".into()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(total.as_deref(), Some("7"));
    assert_eq!(link, None, "the whole listing has no neighbours");
    let all = ids(&all);
    assert_eq!(all.len(), 7);

    let (status, page, total, link) = fetch("/api/runs?limit=3&offset=2".into()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(&page), all[2..5]);
    assert_eq!(total.as_deref(), Some("7"));
    assert_eq!(
        link.as_deref(),
        Some(
            r#"</api/runs?limit=3&offset=5>; rel="next", </api/runs?limit=3&offset=0>; rel="prev""#
        )
    );

    let (_, first, _, link) = fetch("/api/runs?limit=3".into()).await;
    assert_eq!(ids(&first), all[..3]);
    assert_eq!(
        link.as_deref(),
        Some(r#"</api/runs?limit=3&offset=3>; rel="next""#)
    );
    let (_, last, _, link) = fetch("/api/runs?limit=3&offset=6".into()).await;
    assert_eq!(ids(&last), all[6..]);
    assert_eq!(
        link.as_deref(),
        Some(r#"</api/runs?limit=3&offset=3>; rel="prev""#)
    );
    let (status, past, total, _) = fetch("/api/runs?offset=100".into()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(ids(&past).is_empty());
    assert_eq!(total.as_deref(), Some("7"));

    for (query, message) in [
        (
            "limit=0",
            "`limit` must be a whole number from 1 to 10000, got `0`",
        ),
        (
            "limit=ten",
            "`limit` must be a whole number from 1 to 10000, got `ten`",
        ),
        (
            "limit=10001",
            "`limit` must be a whole number from 1 to 10000, got `10001`",
        ),
        (
            "offset=-1",
            "`offset` must be a whole number, 0 or more, got `-1`",
        ),
    ] {
        let (status, body, _, _) = fetch(format!("/api/runs?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        let error = body["error"].as_str().unwrap();
        assert!(error.contains(message), "{query}: {error}");
    }
}
