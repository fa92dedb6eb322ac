//! Helpers shared by the integration tests.

use std::path::Path;
use std::process::{Command, Stdio};

use asgard::index::Index;
use asgard::server::AppState;
use asgard::storage::{AsgardStorage, DataValue};
use leptos::config::LeptosOptions;
use serde_json::json;
use tempfile::TempDir;

/// A fresh storage in its own temporary directory (removed when the `TempDir` drops).
pub fn temp_storage() -> (TempDir, AsgardStorage) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let storage = AsgardStorage::open(dir.path().join("storage")).expect("storage opens");
    (dir, storage)
}

/// The application state over `storage`, indexed now, as the binary serves it on loopback without a token:
/// `router(app_state(&storage))` is the whole HTTP app.
pub fn app_state(storage: &AsgardStorage) -> AppState {
    let index = Index::build(storage.clone()).expect("the storage indexes");
    AppState::new(index, site_options())
}

/// One `GET` through the whole HTTP app over `storage` (no network): the status and the body.
pub async fn get_bytes(storage: &AsgardStorage, uri: &str) -> (axum::http::StatusCode, Vec<u8>) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let request = axum::http::Request::builder()
        .uri(uri)
        .body(axum::body::Body::empty())
        .expect("a request");
    let response = asgard::server::router(app_state(storage))
        .oneshot(request)
        .await
        .expect("the router answers");
    let status = response.status();
    let body = response.into_body().collect().await.expect("a body");
    (status, body.to_bytes().to_vec())
}

/// One `GET` through the whole HTTP app over `storage`, its body read as JSON.
pub async fn get_json(
    storage: &AsgardStorage,
    uri: &str,
) -> (axum::http::StatusCode, serde_json::Value) {
    let (status, bytes) = get_bytes(storage, uri).await;
    (status, serde_json::from_slice(&bytes).expect("a JSON body"))
}

/// The site settings the tests serve with.
pub fn site_options() -> LeptosOptions {
    LeptosOptions::builder().output_name("asgard").build()
}

/// `x` and `computed` fields of a `Solution1D` with `n` points.
pub fn solution_1d(n: usize) -> Vec<(String, DataValue)> {
    let x: Vec<f64> = (0..n).map(|i| i as f64 / n as f64).collect();
    let computed: Vec<f64> = x.iter().map(|v| (6.0 * v).sin()).collect();
    vec![("x".into(), x.into()), ("computed".into(), computed.into())]
}

pub fn display(title: &str) -> serde_json::Value {
    json!({ "title": title, "labels": { "x": "x", "y": "u" } })
}

/// Starts `asgard monitor` on `storage` at a free port, with its standard error going to `stderr`, and waits
/// for the line with its URL: the process, the address it serves on, and its standard output (a caller that
/// drops it closes the pipe).
pub fn start_monitor(
    storage: &AsgardStorage,
    stderr: Stdio,
) -> (
    std::process::Child,
    String,
    std::io::BufReader<std::process::ChildStdout>,
) {
    spawn_monitor(
        Command::new(env!("CARGO_BIN_EXE_asgard")).args([
            "monitor",
            "--storage",
            path_str(storage.root()),
            "--port",
            "0",
        ]),
        stderr,
    )
}

/// Spawns `command` (an `asgard monitor …`, or `asgard example --monitor …`) with its standard error going to
/// `stderr`, and waits for the line with its URL: as [`start_monitor`].
pub fn spawn_monitor(
    command: &mut Command,
    stderr: Stdio,
) -> (
    std::process::Child,
    String,
    std::io::BufReader<std::process::ChildStdout>,
) {
    use std::io::BufRead;
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("asgard starts");
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("piped"));
    let mut line = String::new();
    stdout
        .read_line(&mut line)
        .expect("the monitor prints its URL");
    let addr = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    (child, addr, stdout)
}

/// Runs the `asgard` binary (built by cargo for these tests) and waits for it.
pub fn asgard(args: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_asgard"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("asgard starts")
}

pub fn path_str(p: &Path) -> &str {
    p.to_str().expect("temporary paths are UTF-8")
}

/// One `GET` on a new connection to a running monitor, with `extra` header lines (each ending in `\r\n`); the
/// whole response, head and body.
pub fn http_get(addr: &str, path: &str, extra: &str) -> std::io::Result<String> {
    http_request("GET", addr, path, extra)
}

/// One `DELETE` on a new connection to a running monitor, as a program sends it: the whole response.
pub fn http_delete(addr: &str, path: &str) -> String {
    http_request("DELETE", addr, path, "").expect("the monitor answers")
}

fn http_request(method: &str, addr: &str, path: &str, extra: &str) -> std::io::Result<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr)?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{extra}Connection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    Ok(response)
}

/// The status code of a response returned by [`http_get`].
pub fn status_of(response: &str) -> u16 {
    response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {response:.80}"))
}

/// Reads a live-update stream until `until` holds for what has arrived (true), or 10 s pass or it ends (false).
pub async fn read_sse_until(
    stream: &mut tokio::net::TcpStream,
    received: &mut String,
    until: impl Fn(&str) -> bool,
) -> bool {
    use tokio::io::AsyncReadExt;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut buf = [0u8; 8192];
    while !until(received) {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Err(_) => return false,
            Ok(Ok(n)) => received.push_str(&String::from_utf8_lossy(&buf[..n])),
            Ok(Err(e)) => panic!("reading the stream: {e}"),
        }
    }
    true
}

/// `writers` `asgard append` processes, `count` results each, into `run` at once; checks that every result is
/// listed exactly once and reads back.
pub fn append_concurrently(
    storage: &AsgardStorage,
    run: asgard::model::RunId,
    writers: usize,
    count: usize,
) {
    let root = path_str(storage.root()).to_owned();
    let (id, count_arg) = (run.to_string(), count.to_string());
    let args = [
        "append",
        "--storage",
        &root,
        "--into",
        &id,
        "--count",
        &count_arg,
    ];
    let children: Vec<_> = (0..writers).map(|_| asgard(&args)).collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "writer failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let results = storage.read_run(run).unwrap().results;
    assert_eq!(
        results.len(),
        writers * count,
        "every appended result is listed"
    );
    let mut unique = results.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), writers * count, "each once");
    for id in results {
        storage
            .get_result(id)
            .expect("every listed result reads back whole");
    }
}
