//! Server-side rendering of the dashboard pages, in a test process of its own.
//!
//! Kept apart from `tests/integration`: there, other tests build routers (Leptos route generation) on other
//! threads at the same time, and a render concurrent with that occasionally never completed (about 1 run in
//! 20). A real server generates its routes once before serving; 800 concurrent renders against it all completed.

use std::sync::Arc;

use asgard::index::Index;
use asgard::server::router;
use asgard::storage::AsgardStorage;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

/// The integration tests' helpers, shared rather than copied (this crate uses some of them).
#[allow(dead_code)]
#[path = "../integration/support.rs"]
mod support;

use support::{app_state, temp_storage};

fn app(storage: &AsgardStorage) -> (axum::Router, Arc<Index>) {
    let state = app_state(storage);
    (router(state.clone()), state.index)
}

async fn get_html(app: &axum::Router, uri: &str) -> (StatusCode, String) {
    let request = Request::builder()
        .method(Method::GET)
        .uri(uri)
        .body(Body::empty())
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// Both pages, server-rendered, from an empty storage and then a populated one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_pages_render_on_the_server() {
    let (_dir, storage) = temp_storage();
    let (empty, _) = app(&storage);
    let (status, html) = get_html(&empty, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("No runs in this storage yet") && html.contains("asgard example --all"),
        "empty state: {html}"
    );

    let run = storage
        .create_run("Rendered run", Some("E = mc^2"), None)
        .unwrap();
    storage
        .add_result(
            run.id,
            "Solution1D",
            [
                ("x".to_string(), vec![0.0, 0.5, 1.0].into()),
                ("computed".to_string(), vec![0.0, 1.0, 0.0].into()),
            ],
            json!({"title": "Rendered result"}),
        )
        .unwrap();
    let (app, _) = app(&storage);
    let (status, html) = get_html(&app, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Rendered run") && html.contains("E = mc^2"),
        "run list is server-rendered"
    );
    let (status, html) = get_html(&app, &format!("/run/{}", run.id)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Rendered result") && html.contains("<canvas"),
        "run page is server-rendered"
    );
}
