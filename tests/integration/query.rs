//! `GET /api/runs?q=&sort=`: the query language through the router, on runs written by the storage API and by
//! hand (plain JSON, as another tool writes it).

use asgard::model::RunStatus;
use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::support::{get_bytes, temp_storage};

/// `GET uri`: the status, the JSON body and `X-Total-Count`.
async fn get(storage: &asgard::storage::AsgardStorage, uri: &str) -> (StatusCode, Value) {
    let (status, bytes) = get_bytes(storage, uri).await;
    (status, serde_json::from_slice(&bytes).expect("a JSON body"))
}

fn names(body: &Value) -> Vec<String> {
    body.as_array()
        .expect("a list of runs")
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect()
}

/// A sweep of six runs over `dt` and `solver`, one of them failed, and one run file written by hand.
fn sweep() -> (tempfile::TempDir, asgard::storage::AsgardStorage) {
    let (dir, storage) = temp_storage();
    for (i, (dt, solver)) in [
        (1e-2, "euler"),
        (1e-3, "euler"),
        (1e-4, "euler"),
        (1e-2, "rk4"),
        (1e-3, "rk4"),
        (1e-4, "rk4"),
    ]
    .into_iter()
    .enumerate()
    {
        let run = storage
            .create_run(&format!("heat {solver} dt={dt}"), Some("u_t = u_xx"), None)
            .unwrap();
        storage.set_metadata(run.id, "dt", json!(dt)).unwrap();
        storage
            .set_metadata(run.id, "solver", json!(solver))
            .unwrap();
        storage.set_metadata(run.id, "index", json!(i)).unwrap();
        if i == 4 {
            storage.set_status(run.id, RunStatus::Failed).unwrap();
        }
    }
    // Written by another tool: nested metadata, a timestamp of its own.
    let id = uuid::Uuid::new_v4();
    let file = json!({
        "id": id, "name": "wave by hand", "timestamp": "2020-01-01T00:00:00Z", "status": "completed",
        "metadata": {"grid": {"n": 128}, "dt": 5e-4}, "results": []
    });
    std::fs::write(
        storage.root().join(format!("runs/{id}.json")),
        file.to_string(),
    )
    .unwrap();
    (dir, storage)
}

#[tokio::test]
async fn a_query_keeps_the_matching_runs_in_the_order_asked() {
    let (_dir, storage) = sweep();
    let (status, body) = get(
        &storage,
        "/api/runs?q=meta.solver%20%3D%20rk4%20AND%20meta.dt%20%3C%201e-2&sort=meta.dt",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(names(&body), ["heat rk4 dt=0.0001", "heat rk4 dt=0.001"]);

    let (_, failed) = get(&storage, "/api/runs?q=status%20%3D%20failed").await;
    assert_eq!(names(&failed), ["heat rk4 dt=0.001"]);

    // OR, NOT, ranges, lists, nested metadata and a hand-written file.
    let (_, body) = get(
        &storage,
        "/api/runs?q=meta.grid.n%20%3E%20100%20OR%20(meta.dt%20in%201e-4..1e-3%20AND%20NOT%20meta.solver%20IN%20%5Brk4%5D)&sort=-meta.index",
    )
    .await;
    assert_eq!(
        names(&body),
        [
            "heat euler dt=0.0001",
            "heat euler dt=0.001",
            "wave by hand"
        ],
        "runs without the sort key come last"
    );

    // A bare word searches names and equations; a regular expression, a field.
    let (_, body) = get(&storage, "/api/runs?q=wave").await;
    assert_eq!(names(&body), ["wave by hand"]);
    let (_, body) = get(&storage, "/api/runs?q=name%20~%20%2Feuler.*0001%2F").await;
    assert_eq!(names(&body), ["heat euler dt=0.0001"]);
    let (_, body) = get(&storage, "/api/runs?q=created%20%3C%202021-01-01").await;
    assert_eq!(names(&body), ["wave by hand"]);
}

#[tokio::test]
async fn a_filtered_list_pages_with_its_total_and_links() {
    let (_dir, storage) = sweep();
    let (status, bytes) = get_bytes(&storage, "/api/runs?q=heat&sort=meta.index&limit=4").await;
    assert_eq!(status, StatusCode::OK);
    let body: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(body.as_array().unwrap().len(), 4);
    let (_, second) = get(
        &storage,
        "/api/runs?q=heat&sort=meta.index&limit=4&offset=4",
    )
    .await;
    assert_eq!(names(&second), ["heat rk4 dt=0.001", "heat rk4 dt=0.0001"]);

    // The headers, through the router directly.
    use tower::ServiceExt;
    let request = axum::http::Request::builder()
        .uri("/api/runs?q=heat&sort=meta.index&limit=4")
        .body(axum::body::Body::empty())
        .unwrap();
    let response = asgard::server::router(crate::support::app_state(&storage))
        .oneshot(request)
        .await
        .unwrap();
    assert_eq!(
        response.headers()["x-total-count"],
        "6",
        "six of seven runs match"
    );
    let link = response.headers()["link"].to_str().unwrap();
    assert!(
        link.contains("offset=4&q=heat&sort=meta.index>; rel=\"next\""),
        "{link}"
    );
}

#[tokio::test]
async fn a_malformed_query_answers_400_with_the_place_of_the_mistake() {
    let (_dir, storage) = sweep();
    let (status, body) = get(&storage, "/api/runs?q=stauts%20%3D%20failed").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["at"], json!([0, 6]));
    assert!(
        body["error"].as_str().unwrap().contains("`status`"),
        "{body}"
    );

    let (status, body) = get(&storage, "/api/runs?q=(meta.dt%20%3C%201").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().unwrap().contains("`)`"), "{body}");

    let (status, body) = get(&storage, "/api/runs?sort=-nmae").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["at"], json!([1, 5]));
    assert!(
        body["error"].as_str().unwrap().starts_with("in `sort`"),
        "{body}"
    );

    // A 20 KB query and 1,000 nested parentheses: clear errors, not a crash.
    let long = "a%20".repeat(10_000);
    let (status, body) = get(&storage, &format!("/api/runs?q={long}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"].as_str().unwrap().contains("bytes long"),
        "{body}"
    );
    let deep = format!("{}a{}", "(".repeat(1_000), ")".repeat(1_000));
    let (status, body) = get(&storage, &format!("/api/runs?q={deep}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().unwrap().contains("nests"), "{body}");
}

#[test]
fn a_repeated_query_sees_every_change_since_it_was_last_asked() {
    let (_dir, storage) = sweep();
    let index = asgard::index::Index::build(storage.clone()).unwrap();
    let query = asgard::query::parse("meta.solver = rk4").unwrap();
    let sort = asgard::query::parse_sort("meta.index").unwrap();
    let ask = || index.query(&query, &sort, 0, 100, 0);
    let (runs, total) = ask();
    assert_eq!(total, 3);
    // Asked again, the same (kept) answer; then a run changes solver and the answer follows.
    assert_eq!(ask(), (runs.clone(), 3));
    let euler = storage
        .list_runs()
        .unwrap()
        .into_iter()
        .find(|r| r.name == "heat euler dt=0.01")
        .unwrap();
    storage
        .set_metadata(euler.id, "solver", json!("rk4"))
        .unwrap();
    index.refresh_run(euler.id);
    let (after, total) = ask();
    assert_eq!(total, 4);
    assert_eq!(after[0].name, "heat euler dt=0.01", "index 0 sorts first");
    // A new run, and a deleted one.
    let new = storage.create_run("late rk4", None, None).unwrap();
    storage
        .set_metadata(new.id, "solver", json!("rk4"))
        .unwrap();
    index.refresh_run(new.id);
    assert_eq!(ask().1, 5);
    index.delete_run(new.id).unwrap();
    assert_eq!(ask().1, 4);
}

#[test]
fn the_query_bar_is_offered_each_fields_most_frequent_values() {
    let (_dir, storage) = sweep();
    let index = asgard::index::Index::build(storage.clone()).unwrap();
    let values = |field: &str, limit: usize| -> Vec<(String, usize)> {
        index
            .frequent_values(&asgard::query::Field::named(field).unwrap(), limit)
            .into_iter()
            .map(|v| (v.value, v.runs))
            .collect()
    };
    let pairs = |items: &[(&str, usize)]| -> Vec<(String, usize)> {
        items.iter().map(|(v, n)| ((*v).to_owned(), *n)).collect()
    };
    // Most frequent first, ties in order; as a query writes them.
    assert_eq!(values("meta.solver", 8), pairs(&[("euler", 3), ("rk4", 3)]));
    assert_eq!(
        values("status", 8),
        pairs(&[("running", 5), ("completed", 1), ("failed", 1)])
    );
    assert_eq!(values("meta.dt", 2), pairs(&[("0.0001", 2), ("0.001", 2)]));
    assert!(values("created", 8).is_empty(), "times are not suggested");
    assert!(values("meta.nothing", 8).is_empty());
}
