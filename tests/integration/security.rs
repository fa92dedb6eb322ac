//! Who may talk to the monitor (SECURITY.md): Host, Origin and token checks through the router, and the
//! binary's start-up rules for addresses beyond loopback.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use asgard::server::{router, Guard};
use asgard::storage::AsgardStorage;
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::response::Response;
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::support::{app_state, http_get, path_str, status_of, temp_storage};

fn app(storage: &AsgardStorage, guard: Guard) -> axum::Router {
    router(app_state(storage).with_guard(guard))
}

async fn send(app: &axum::Router, method: Method, uri: &str, headers: &[(&str, &str)]) -> Response {
    let mut request = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    app.clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap()
}

async fn error_of(response: Response) -> String {
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    body["error"].as_str().unwrap().to_owned()
}

const HOST: (&str, &str) = ("host", "127.0.0.1:8000");

#[tokio::test]
async fn a_host_that_is_not_this_monitor_is_refused() {
    let (_dir, storage) = temp_storage();
    let app = app(
        &storage,
        Guard::new(
            "127.0.0.1:8000".parse().unwrap(),
            None,
            vec!["lab-box".into()],
        ),
    );
    for host in ["127.0.0.1:8000", "localhost:8000", "lab-box:8000"] {
        let r = send(&app, Method::GET, "/api/runs", &[("host", host)]).await;
        assert_eq!(r.status(), StatusCode::OK, "{host}");
    }
    for (uri, host) in [
        ("/api/runs", "rebind.attacker.example:8000"),
        ("/", "rebind.attacker.example"),
        ("/api/updates", "192.168.0.7:8000"),
    ] {
        let r = send(&app, Method::GET, uri, &[("host", host)]).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{uri} {host}");
        let error = error_of(r).await;
        assert!(
            error.contains("is not an address of this monitor") && error.contains("--allow-host"),
            "{error}"
        );
    }
}

#[tokio::test]
async fn a_delete_from_another_site_is_refused_and_no_cors_header_is_sent() {
    let (_dir, storage) = temp_storage();
    let run = storage.create_run("keep me", None, None).unwrap();
    let app = app(&storage, Guard::loopback());
    let uri = format!("/api/run?id={}", run.id);

    for origin in ["http://attacker.example", "null", "http://127.0.0.1:9999"] {
        let r = send(&app, Method::DELETE, &uri, &[HOST, ("origin", origin)]).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{origin}");
        assert!(error_of(r).await.contains("from another site"));
    }
    // A server function is a POST: refused from another site too.
    let r = send(
        &app,
        Method::POST,
        "/_fn/result_view",
        &[HOST, ("origin", "http://attacker.example")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(storage.read_run(run.id).is_ok(), "the run survived");

    // Answers never carry a CORS header, even to a cross-origin read.
    let r = send(
        &app,
        Method::GET,
        "/api/runs",
        &[HOST, ("origin", "http://attacker.example")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()
            .keys()
            .all(|k| !k.as_str().starts_with("access-control-")),
        "{:?}",
        r.headers()
    );
    assert_eq!(r.headers()["x-frame-options"], "DENY");

    // From the monitor's own page, and from programs (no Origin), deleting works.
    let r = send(
        &app,
        Method::DELETE,
        &uri,
        &[HOST, ("origin", "http://127.0.0.1:8000")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(storage.read_run(run.id).is_err());
    let other = storage.create_run("other", None, None).unwrap();
    let r = send(
        &app,
        Method::DELETE,
        &format!("/api/run?id={}", other.id),
        &[HOST],
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn with_a_token_every_endpoint_needs_it() {
    let (_dir, storage) = temp_storage();
    storage.create_run("secret run", None, None).unwrap();
    let token = "0123456789abcdef0123456789abcdef";
    let app = app(
        &storage,
        Guard::new(
            "0.0.0.0:8000".parse().unwrap(),
            Some(token.into()),
            Vec::new(),
        ),
    );
    let host = ("host", "10.1.2.3:8000");

    for uri in [
        "/",
        "/api/runs",
        "/api/updates",
        "/run/00000000-0000-0000-0000-000000000000",
        "/pkg/asgard.wasm",
    ] {
        let r = send(&app, Method::GET, uri, &[host]).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{uri}");
        assert_eq!(
            r.headers()[header::WWW_AUTHENTICATE],
            "Bearer realm=\"asgard\""
        );
        assert!(error_of(r).await.contains("needs its access token"));
    }
    let r = send(&app, Method::POST, "/_fn/result_view", &[host]).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = send(
        &app,
        Method::GET,
        "/api/runs?token=0123456789abcdef0123456789abcdee",
        &[host],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(error_of(r).await.contains("token is wrong"));
    let bearer = format!("Bearer {token}");
    let r = send(
        &app,
        Method::GET,
        "/api/runs",
        &[host, ("authorization", "Bearer nope")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // Programs: a bearer header or the query; the dashboard: the cookie set from the printed URL.
    let r = send(
        &app,
        Method::GET,
        "/api/runs",
        &[host, ("authorization", &bearer)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let body = r.into_body().collect().await.unwrap().to_bytes();
    assert!(String::from_utf8_lossy(&body).contains("secret run"));
    let r = send(
        &app,
        Method::GET,
        &format!("/api/runs?token={token}"),
        &[host],
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = send(
        &app,
        Method::GET,
        &format!("/?page=2&token={token}"),
        &[host, ("accept", "text/html")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()[header::LOCATION],
        "/?page=2",
        "the token leaves the address bar"
    );
    let cookie = r.headers()[header::SET_COOKIE].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().unwrap();
    assert_eq!(pair, format!("asgard_token_8000={token}"));
    let r = send(&app, Method::GET, "/api/updates", &[host, ("cookie", pair)]).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()[header::CONTENT_TYPE], "text/event-stream");
}

/// Starts the binary with `args` and returns it with the first line it printed.
fn start(args: &[&str]) -> (std::process::Child, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_asgard"))
        .args(args)
        .env_remove("ASGARD_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let (mut first, mut second) = (String::new(), String::new());
    stdout.read_line(&mut first).unwrap();
    stdout.read_line(&mut second).unwrap();
    (child, first, second)
}

/// The monitor on every address (`--host 0.0.0.0`, port 0) with `extra` arguments.
fn start_exposed(root: &str, extra: &[&str]) -> (std::process::Child, String, String) {
    let mut args = vec![
        "monitor",
        "--storage",
        root,
        "--host",
        "0.0.0.0",
        "--port",
        "0",
    ];
    args.extend_from_slice(extra);
    start(&args)
}

fn status(addr: &str, path: &str, extra: &str) -> u16 {
    status_of(&http_get(addr, path, extra).unwrap())
}

#[test]
fn beyond_loopback_the_monitor_makes_a_token_unless_told_loudly_not_to() {
    let (_dir, storage) = temp_storage();
    let root = path_str(storage.root());
    let (mut child, url, note) = start_exposed(root, &[]);
    let token = url
        .split("?token=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no token in {url:?}"))
        .to_owned();
    assert_eq!(token.len(), 64, "{url}");
    assert!(note.contains("every request needs the token"), "{note}");
    let addr = format!("127.0.0.1:{}", port_of(&url));
    assert_eq!(status(&addr, "/api/runs", ""), 401);
    assert_eq!(
        status(
            &addr,
            "/api/runs",
            &format!("Authorization: Bearer {token}\r\n")
        ),
        200
    );
    child.kill().unwrap();
    child.wait().unwrap();

    let (mut child, url, _) = start_exposed(root, &["--token", "given-token"]);
    assert!(url.contains("?token=given-token"), "{url}");
    child.kill().unwrap();
    child.wait().unwrap();

    let (mut child, url, warning) = start_exposed(root, &["--insecure-no-token"]);
    assert!(!url.contains("token="), "{url}");
    assert!(
        warning.starts_with("WARNING: --insecure-no-token"),
        "{warning}"
    );
    assert_eq!(
        status(&format!("127.0.0.1:{}", port_of(&url)), "/api/runs", ""),
        200
    );
    child.kill().unwrap();
    child.wait().unwrap();
}

/// The port of the URL in the monitor's first line (`http://localhost:PORT/…`).
fn port_of(line: &str) -> &str {
    let url = line.split("http://").nth(1).unwrap();
    url.split(['/', ' '])
        .next()
        .unwrap()
        .rsplit(':')
        .next()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_monitor_started_in_process_names_its_url_and_token_and_enforces_it() {
    use asgard::server::monitor::{Monitor, Settings};

    let (_dir, storage) = temp_storage();
    let mut settings = Settings::local(storage.clone(), 0);
    settings.token = Some("s3cret-token".into());
    let monitor = Monitor::start(settings).await.unwrap();
    let banner = monitor.banner().to_owned();
    let url = banner.split_whitespace().nth(2).unwrap();
    assert!(url.starts_with("http://127.0.0.1:"), "{banner}");
    assert!(url.ends_with("/?token=s3cret-token"), "{banner}");
    assert!(
        banner.ends_with(&format!("(storage {})", storage.root().display())),
        "loopback: one line, no warning: {banner}"
    );
    let addr = url["http://".len()..].split('/').next().unwrap().to_owned();

    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(monitor.serve(async {
        let _ = stopped.await;
    }));
    let statuses = tokio::task::spawn_blocking(move || {
        let bearer = "Authorization: Bearer s3cret-token\r\n";
        (
            status_of(&http_get(&addr, "/api/runs", "").unwrap()),
            status_of(&http_get(&addr, "/api/runs", bearer).unwrap()),
        )
    })
    .await
    .unwrap();
    assert_eq!(statuses, (401, 200));
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}
