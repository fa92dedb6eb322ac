//! A storage on a real S3-compatible server: moto (`moto_server`, installed by scripts/setup.sh), started on a
//! free loopback port by each test. The same commands as on a directory, with `--storage s3://bucket/prefix`
//! and the standard AWS variables; what a bucket does differently (entries, journal, compare-and-swap) is in
//! `bucket.rs`, on the in-memory store.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use asgard::model::{FieldValue, StorageEvent};
use asgard::storage::bucket::Bucket;
use asgard::storage::AsgardStorage;
use object_store::aws::AmazonS3Builder;

use crate::bucket::six_results;
use crate::support::{display, read_sse_until};

/// A moto server on a free loopback port, stopped when dropped.
pub struct Moto {
    child: Child,
    pub port: u16,
}

impl Moto {
    pub fn start() -> Self {
        let exe = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/moto_server");
        assert!(
            exe.is_file(),
            "{} is missing: run scripts/setup.sh, which installs moto (an S3-compatible server) for these tests",
            exe.display()
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(exe)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server starts");
        let moto = Self { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while moto.request("GET", "/").is_err() {
            assert!(Instant::now() < deadline, "moto did not answer within 30 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        moto
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// One request straight to the server (moto takes unsigned requests): its status line.
    fn request(&self, method: &str, path: &str) -> std::io::Result<String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.port
        )?;
        let mut response = String::new();
        stream.read_to_string(&mut response)?;
        Ok(response.lines().next().unwrap_or_default().to_owned())
    }

    pub fn create_bucket(&self, name: &str) {
        let status = self.request("PUT", &format!("/{name}")).unwrap();
        assert!(status.contains(" 200"), "creating bucket {name}: {status}");
    }

    /// The standard variables that point a writer or a monitor at this server.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint()),
            ("AWS_ALLOW_HTTP", "true".into()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_REGION", "us-east-1".into()),
        ]
    }

    /// The storage at `s3://bucket/prefix` on this server, opened in this process.
    pub fn storage(&self, bucket: &str, prefix: &str) -> AsgardStorage {
        let store = AmazonS3Builder::new()
            .with_endpoint(self.endpoint())
            .with_allow_http(true)
            .with_access_key_id("testing")
            .with_secret_access_key("testing")
            .with_region("us-east-1")
            .with_bucket_name(bucket)
            .build()
            .unwrap();
        AsgardStorage::open_bucket(Bucket::with_store(
            Arc::new(store),
            prefix,
            &format!("s3://{bucket}/{prefix}"),
        ))
        .unwrap()
    }

    /// `asgard ARGS` with this server's variables; its output when it succeeds.
    pub fn asgard(&self, args: &[&str]) -> std::process::Output {
        self.command(args).output().expect("asgard runs")
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_asgard"));
        command.args(args).envs(self.env());
        command
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn ok(out: std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_six_types_and_the_examples_round_trip_through_s3() {
    let moto = Moto::start();
    moto.create_bucket("sweep");
    // Written in this process: one result of each type, arrays in .npy objects.
    let storage = moto.storage("sweep", "heat/2026").with_inline_threshold(10);
    let run = storage.create_run("six", None, None).unwrap();
    let written: Vec<_> = six_results()
        .into_iter()
        .map(|(t, data)| {
            let arrays: Vec<(String, Vec<f64>)> = data
                .iter()
                .filter_map(|(name, v)| match v {
                    asgard::storage::DataValue::Array(a) => {
                        Some((name.clone(), a.to_f64().into_owned()))
                    }
                    asgard::storage::DataValue::Json(_) => None,
                })
                .collect();
            let id = storage
                .add_result(run.id, t.clone(), data, display(&t.to_string()))
                .unwrap();
            (id, arrays)
        })
        .collect();
    // Read back by another process, through the standard variables: `asgard dump` prints what it reads.
    let dumped: serde_json::Value = serde_json::from_str(&ok(moto.asgard(&[
        "dump",
        "--storage",
        "s3://sweep/heat/2026",
    ])))
    .unwrap();
    let text = dumped.to_string();
    for (id, arrays) in &written {
        assert!(text.contains(&id.to_string()), "result {id} is in the dump");
        let payload = storage.get_result(*id).unwrap();
        for (name, values) in arrays {
            let Some((_, FieldValue::Array(read))) = payload.fields.iter().find(|(n, _)| n == name)
            else {
                panic!("field {name} of {id} reads as an array");
            };
            assert_eq!(&read.values, values, "{name} of {id}");
        }
    }
    // The examples write into a bucket as into a directory.
    ok(moto.asgard(&["example", "-c", "basic", "--storage", "s3://sweep/examples"]));
    let examples = moto.storage("sweep", "examples");
    let runs = examples.list_runs().unwrap();
    assert_eq!(runs.len(), 3, "{runs:?}");
    for row in &runs {
        assert!(row.result_count > 0, "{row:?}");
        let detail = examples.run_detail(row.id).unwrap();
        assert!(
            detail.results.iter().all(|r| r.problem.is_none()),
            "{detail:?}"
        );
    }
    // An index of the bucket compares itself with one listing and reads nothing that did not change: a listing
    // and a read give each run the same version.
    let index = asgard::index::Index::build(examples.clone()).unwrap();
    let read = index.files_read();
    assert_eq!(read, 3);
    index.rescan().unwrap();
    assert_eq!(
        index.files_read(),
        read,
        "a reconciliation read an unchanged run again"
    );
    ok(moto.asgard(&[
        "append",
        "--storage",
        "s3://sweep/examples",
        "--into",
        &runs[0].id.to_string(),
        "--count",
        "1",
    ]));
    index.rescan().unwrap();
    assert_eq!(
        index.files_read(),
        read + 1,
        "only the run that changed is read"
    );
    assert_eq!(
        index.get(runs[0].id).unwrap().result_count,
        runs[0].result_count + 1
    );
    // Prefixes are separate storages.
    assert_eq!(
        moto.storage("sweep", "heat/2026").list_run_ids().unwrap(),
        vec![run.id]
    );
}

#[test]
fn a_bucket_that_cannot_be_used_is_one_clear_line() {
    let moto = Moto::start();
    let check = |args: &[&str], env: &[(&str, &str)], expected: &str| {
        let started = Instant::now();
        let out = moto
            .command(args)
            .envs(env.iter().copied())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} fails");
        assert!(
            stderr.contains(expected),
            "{args:?}: expected {expected:?} in {stderr}"
        );
        assert!(
            stderr.trim().lines().count() <= 3,
            "a short message: {stderr}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(40),
            "said within seconds: {:?}",
            started.elapsed()
        );
    };
    // No such bucket.
    check(
        &["dump", "--storage", "s3://nowhere/p"],
        &[],
        "storage s3://nowhere/p is not usable",
    );
    // Nothing listening at the endpoint.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    check(
        &["dump", "--storage", "s3://sweep/p"],
        &[("AWS_ENDPOINT_URL", &format!("http://127.0.0.1:{closed}"))],
        "is not usable",
    );
    // A scheme nobody knows is a directory name, not a bucket: the message names what was expected.
    check(
        &["dump", "--storage", "s3://"],
        &[],
        "expected a bucket name",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_monitors_on_one_bucket_see_the_same_writes_and_deletions() {
    let moto = Moto::start();
    moto.create_bucket("shared");
    let storage = moto.storage("shared", "runs");
    let run = storage.create_run("watched", None, None).unwrap();

    let mut monitors = Vec::new();
    for _ in 0..2 {
        let (child, addr) = start_monitor(&moto, "s3://shared/runs", None);
        let (sse, received) = subscribe(&addr).await;
        monitors.push((child, addr, sse, received));
    }

    // Another process appends a result: both monitors push it.
    ok(moto.asgard(&[
        "append",
        "--storage",
        "s3://shared/runs",
        "--into",
        &run.id.to_string(),
        "--count",
        "1",
    ]));
    let result = *storage.read_run(run.id).unwrap().results.last().unwrap();
    let added = serde_json::to_string(&StorageEvent::ResultAdded {
        run_id: run.id,
        result_id: result,
    })
    .unwrap();
    for (_, _, sse, received) in &mut monitors {
        assert!(
            read_sse_until(sse, received, |r| r.contains(&added)).await,
            "result_added: {received}"
        );
    }
    // Deleted through the first monitor's API: the second one removes it too.
    let response = crate::support::http_delete(&monitors[0].1, &format!("/api/run?id={}", run.id));
    assert!(
        response.contains(" 200") || response.contains(" 204"),
        "{response}"
    );
    let deleted = serde_json::to_string(&StorageEvent::RunDeleted { run_id: run.id }).unwrap();
    for (_, _, sse, received) in &mut monitors {
        assert!(
            read_sse_until(sse, received, |r| r.contains(&deleted)).await,
            "run_deleted: {received}"
        );
        assert_eq!(
            received.matches(&added).count(),
            1,
            "each event once: {received}"
        );
    }
    for (mut child, ..) in monitors {
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// `asgard monitor` on `location` polling every 200 ms (through `endpoint` when given, else straight to moto):
/// the process and the address it serves on.
fn start_monitor(moto: &Moto, location: &str, endpoint: Option<String>) -> (Child, String) {
    let mut command = moto.command(&[
        "monitor",
        "--storage",
        location,
        "--port",
        "0",
        "--watch",
        "poll",
        "--poll-interval-ms",
        "200",
    ]);
    if let Some(endpoint) = endpoint {
        command.env("AWS_ENDPOINT_URL", endpoint);
    }
    let (child, addr, _) = crate::support::spawn_monitor(&mut command, Stdio::null());
    (child, addr)
}

/// A live-update stream from the monitor at `addr`, past its `ready` event: the stream and what it sent.
async fn subscribe(addr: &str) -> (tokio::net::TcpStream, String) {
    let mut sse = tokio::net::TcpStream::connect(addr).await.unwrap();
    tokio::io::AsyncWriteExt::write_all(
        &mut sse,
        b"GET /api/updates HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n",
    )
    .await
    .unwrap();
    let mut received = String::new();
    assert!(read_sse_until(&mut sse, &mut received, |r| r.contains("event: ready")).await);
    (sse, received)
}

/// A TCP proxy in front of a server that can be cut (open connections closed, new ones refused) and restored:
/// the endpoint going away and coming back, while the server behind it keeps its state.
struct Proxy {
    port: u16,
    up: Arc<std::sync::atomic::AtomicBool>,
    open: Arc<std::sync::Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    fn start(target: u16) -> Self {
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let open = Arc::new(std::sync::Mutex::new(Vec::<TcpStream>::new()));
        let (is_up, conns) = (up.clone(), open.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if !is_up.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else {
                    continue;
                };
                let mut kept = conns.lock().unwrap();
                kept.push(client.try_clone().unwrap());
                kept.push(server.try_clone().unwrap());
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(std::net::Shutdown::Both);
                    });
                }
            }
        });
        Self { port, up, open }
    }

    fn cut(&self) {
        self.up.store(false, std::sync::atomic::Ordering::SeqCst);
        for stream in self.open.lock().unwrap().drain(..) {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    }

    fn restore(&self) {
        self.up.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_endpoint_going_away_is_shown_and_nothing_is_lost_or_sent_twice_when_it_is_back() {
    let moto = Moto::start();
    moto.create_bucket("flaky");
    let storage = moto.storage("flaky", "p");
    let run = storage.create_run("through an outage", None, None).unwrap();
    let proxy = Proxy::start(moto.port);
    let endpoint = format!("http://127.0.0.1:{}", proxy.port);
    let (mut child, addr) = start_monitor(&moto, "s3://flaky/p", Some(endpoint));
    let (mut sse, mut received) = subscribe(&addr).await;
    let added = |id| {
        serde_json::to_string(&StorageEvent::ResultAdded {
            run_id: run.id,
            result_id: id,
        })
        .unwrap()
    };
    let append =
        |storage: &AsgardStorage| asgard::append::append_result(storage, run.id, 0).unwrap();

    let before = append(&storage);
    assert!(
        read_sse_until(&mut sse, &mut received, |r| r.contains(&added(before))).await,
        "{received}"
    );

    // The endpoint goes away; writers (straight to the server) go on.
    proxy.cut();
    let during = append(&storage);
    let page = || crate::support::http_get(&addr, "/", "").unwrap_or_default();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !page().contains("cannot be reached") {
        assert!(
            Instant::now() < deadline,
            "the run list never said the bucket cannot be reached"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        page().contains("through an outage"),
        "the runs stay listed meanwhile"
    );

    // Back: what was written meanwhile arrives, once, and the dashboard stops saying so.
    proxy.restore();
    assert!(
        read_sse_until_within(&mut sse, &mut received, Duration::from_secs(60), |r| r
            .contains(&added(during)))
        .await,
        "the result written during the outage never arrived: {received}"
    );
    let after = append(&storage);
    assert!(
        read_sse_until(&mut sse, &mut received, |r| r.contains(&added(after))).await,
        "{received}"
    );
    for id in [before, during, after] {
        assert_eq!(
            received.matches(&added(id)).count(),
            1,
            "{id} sent once: {received}"
        );
    }
    assert!(!page().contains("cannot be reached"));
    let _ = child.kill();
    let _ = child.wait();
}

/// [`read_sse_until`] with a time limit of its own.
async fn read_sse_until_within(
    stream: &mut tokio::net::TcpStream,
    received: &mut String,
    limit: Duration,
    until: impl Fn(&str) -> bool,
) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if read_sse_until(stream, received, &until).await {
            return true;
        }
    }
    false
}
