//! Faults around the monitor (RELIABILITY.md): a full or read-only disk, the storage deleted under a running
//! monitor, many writers at once, and live-update streams that reconnect, idle, or come and go by the thousand.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use asgard::index::Index;
use asgard::server::router;
use asgard::storage::AsgardStorage;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::support::{
    append_concurrently, display, http_get, path_str, read_sse_until, solution_1d, temp_storage,
};

fn leftovers(root: &Path) -> Vec<String> {
    walk(root)
        .into_iter()
        .filter(|p| p.contains(".tmp-"))
        .collect()
}

fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().filter_map(|e| e.ok()) {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path.display().to_string());
        }
    }
    out
}

/// A small tmpfs of its own (this machine's tests run as root, as CI does); unmounted on drop.
struct Tmpfs(tempfile::TempDir);

impl Tmpfs {
    fn mount(size: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let ok = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size}"),
                "tmpfs",
                path_str(dir.path()),
            ])
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(
            ok,
            "mounting a tmpfs needs root (these fault tests run as root here and in CI)"
        );
        Self(dir)
    }

    fn remount(&self, options: &str) {
        let ok = Command::new("mount")
            .args(["-o", &format!("remount,{options}"), path_str(self.0.path())])
            .status()
            .unwrap()
            .success();
        assert!(ok, "remount {options}");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.0.path()).status();
    }
}

#[tokio::test]
async fn a_full_or_read_only_disk_fails_the_write_and_keeps_what_was_there() {
    let fs = Tmpfs::mount("512k");
    let storage = AsgardStorage::open(fs.0.path().join("storage"))
        .unwrap()
        .with_inline_threshold(100);
    let run = storage
        .create_run("before the disk filled", None, None)
        .unwrap();
    let earlier: Vec<_> = (0..3)
        .map(|i| {
            storage
                .add_result(run.id, "Solution1D", solution_1d(50 + i), display("kept"))
                .unwrap()
        })
        .collect();
    let snapshot: Vec<_> = earlier
        .iter()
        .map(|id| storage.get_result(*id).unwrap())
        .collect();

    // Fill the disk, leaving a few kilobytes: enough for nothing this size.
    let filler = fs.0.path().join("filler");
    let mut size = 480 * 1024;
    while std::fs::write(&filler, vec![0u8; size]).is_err() {
        size -= 8 * 1024;
    }
    let err = storage
        .add_result(
            run.id,
            "Solution1D",
            solution_1d(20_000),
            display("too big"),
        )
        .unwrap_err();
    assert!(err.to_string().contains("No space left on device"), "{err}");
    assert_eq!(
        leftovers(storage.root()),
        Vec::<String>::new(),
        "nothing half-written"
    );
    assert_eq!(storage.read_run(run.id).unwrap().results, earlier);
    for (id, before) in earlier.iter().zip(&snapshot) {
        assert_eq!(&storage.get_result(*id).unwrap(), before);
    }
    let files = walk(&storage.root().join("files")).len();
    let results = walk(&storage.root().join("results")).len();
    assert_eq!(results, 3, "the failed result left no file");

    // Read-only: writes fail with the reason, the API answers an error, nothing changes.
    std::fs::remove_file(&filler).unwrap();
    fs.remount("ro");
    let err = storage
        .add_result(run.id, "Solution1D", solution_1d(10), display("ro"))
        .unwrap_err();
    assert!(err.to_string().contains("Read-only file system"), "{err}");
    let app = router(crate::support::app_state(&storage));
    use tower::ServiceExt;
    let response = app
        .oneshot(
            axum::http::Request::delete(format!("/api/run?id={}", run.id))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        axum::http::StatusCode::INTERNAL_SERVER_ERROR
    );
    assert_eq!(storage.read_run(run.id).unwrap().results, earlier);
    assert_eq!(walk(&storage.root().join("files")).len(), files);
    fs.remount("rw");
}

#[test]
fn sixteen_writer_processes_into_one_run_all_land() {
    let (_dir, storage) = temp_storage();
    let run = storage.create_run("contended", None, None).unwrap();
    append_concurrently(&storage, run.id, 16, 200);
    assert_eq!(leftovers(storage.root()), Vec::<String>::new());
}

/// The response, or `None` while the monitor cannot be reached.
fn get(addr: &str, path: &str) -> Option<String> {
    http_get(addr, path, "").ok()
}

fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while !check() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_storage_deleted_and_recreated_under_a_running_monitor_is_picked_up() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("storage");
    let storage = AsgardStorage::open(&root).unwrap();
    storage.create_run("first life", None, None).unwrap();
    let (mut child, addr, _stdout) = crate::support::spawn_monitor(
        Command::new(env!("CARGO_BIN_EXE_asgard")).args([
            "monitor",
            "--storage",
            path_str(&root),
            "--port",
            "0",
        ]),
        std::process::Stdio::null(),
    );
    wait_for("the first run is listed", || {
        get(&addr, "/api/runs").is_some_and(|r| r.contains("first life"))
    });

    std::fs::remove_dir_all(&root).unwrap();
    wait_for("the run list reports the loss", || {
        get(&addr, "/").is_some_and(|page| page.contains("was deleted"))
    });
    let page = get(&addr, "/").unwrap();
    assert!(
        page.contains("the monitor keeps serving and picks it up again when it is back"),
        "the message reads as one sentence: {page:.2000}"
    );
    assert!(
        get(&addr, "/api/runs").unwrap().ends_with("[]"),
        "no runs while it is gone"
    );

    let reborn = AsgardStorage::open(&root).unwrap();
    reborn.create_run("second life", None, None).unwrap();
    wait_for("the new contents are listed", || {
        get(&addr, "/api/runs").is_some_and(|r| r.contains("second life"))
    });
    // And it is watched again: a run written now arrives too.
    reborn.create_run("written after", None, None).unwrap();
    wait_for("a later run is listed", || {
        get(&addr, "/api/runs").is_some_and(|r| r.contains("written after"))
    });
    assert!(
        child.try_wait().unwrap().is_none(),
        "the monitor kept running"
    );
    child.kill().unwrap();
    child.wait().unwrap();
}

/// A monitor's router on a loopback port with a fast heartbeat; returns its address and index.
async fn serve(
    storage: &AsgardStorage,
    heartbeat: Duration,
) -> (std::net::SocketAddr, std::sync::Arc<Index>) {
    let state = crate::support::app_state(storage).with_heartbeat(heartbeat);
    let index = state.index.clone();
    let app = router(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, index)
}

async fn open_stream(addr: std::net::SocketAddr, last_event_id: Option<&str>) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let last = last_event_id
        .map(|id| format!("Last-Event-ID: {id}\r\n"))
        .unwrap_or_default();
    stream
        .write_all(format!("GET /api/updates HTTP/1.1\r\nHost: localhost\r\n{last}\r\n").as_bytes())
        .await
        .unwrap();
    stream
}

fn event_ids(received: &str) -> Vec<u64> {
    received
        .lines()
        .filter_map(|l| l.strip_prefix("id: "))
        .map(|v| v.parse().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sse_sends_heartbeats_and_replays_what_a_reconnecting_client_missed() {
    let (_dir, storage) = temp_storage();
    let (addr, index) = serve(&storage, Duration::from_millis(100)).await;

    // Heartbeats: an idle stream gets keep-alive comments.
    let mut first = open_stream(addr, None).await;
    let mut received = String::new();
    assert!(read_sse_until(&mut first, &mut received, |r| r.contains("event: ready")).await);
    assert!(
        read_sse_until(&mut first, &mut received, |r| r.matches("\n:").count() >= 2).await,
        "no heartbeats: {received}"
    );

    // Three events seen, then the client drops; two more happen while it is away.
    let runs: Vec<_> = (0..5)
        .map(|i| storage.create_run(&format!("r{i}"), None, None).unwrap().id)
        .collect();
    for id in &runs[..3] {
        index.refresh_run(*id);
    }
    assert!(
        read_sse_until(&mut first, &mut received, |r| event_ids(r).len() == 3).await,
        "{received}"
    );
    let seen = event_ids(&received);
    drop(first);
    for id in &runs[3..] {
        index.refresh_run(*id);
    }

    // Reconnecting with the last id it saw: exactly the two it missed, in order, then live ones.
    let mut again = open_stream(addr, Some(&seen[2].to_string())).await;
    let mut replayed = String::new();
    assert!(
        read_sse_until(&mut again, &mut replayed, |r| event_ids(r).len() == 2).await,
        "{replayed}"
    );
    assert_eq!(event_ids(&replayed), vec![seen[2] + 1, seen[2] + 2]);
    assert!(replayed.contains(&runs[3].to_string()) && replayed.contains(&runs[4].to_string()));
    assert!(!replayed.contains("resync"));

    // A client further behind than the buffer (or from before a restart) is told to reload.
    let mut stale = open_stream(addr, Some("12")).await;
    let mut told = String::new();
    assert!(
        read_sse_until(&mut stale, &mut told, |r| r.contains("event: resync")).await,
        "{told}"
    );
}

/// Server-side sockets of `port` still open (established, or closed by the client but not by the server), from
/// the kernel's table: a stream task that never ended would keep its socket here.
fn open_sockets(port: u16) -> usize {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap()
        + &std::fs::read_to_string("/proc/net/tcp6").unwrap_or_default();
    table
        .lines()
        .skip(1)
        .filter(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let local_port = fields
                .get(1)
                .and_then(|a| a.rsplit(':').next())
                .and_then(|p| u16::from_str_radix(p, 16).ok());
            // 01 ESTABLISHED, 08 CLOSE_WAIT
            local_port == Some(port) && matches!(fields.get(3), Some(&"01") | Some(&"08"))
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_sse_connects_and_disconnects_leak_no_tasks_or_files() {
    let (_dir, storage) = temp_storage();
    let (addr, index) = serve(&storage, Duration::from_secs(15)).await;
    let metrics = tokio::runtime::Handle::current().metrics();
    // Warm up, then take the baseline.
    for _ in 0..5 {
        let mut s = open_stream(addr, None).await;
        let mut r = String::new();
        assert!(read_sse_until(&mut s, &mut r, |r| r.contains("event: ready")).await);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let tasks = metrics.num_alive_tasks();
    // The measure sees an open stream.
    let mut open = open_stream(addr, None).await;
    let mut r = String::new();
    assert!(read_sse_until(&mut open, &mut r, |r| r.contains("event: ready")).await);
    assert_eq!(open_sockets(addr.port()), 1);
    assert_eq!(index.subscribers(), 1);
    drop(open);

    for _ in 0..1_000 {
        let mut s = open_stream(addr, None).await;
        let mut r = String::new();
        assert!(read_sse_until(&mut s, &mut r, |r| r.contains("event: ready")).await);
    }
    let settled = || {
        index.subscribers() == 0
            && open_sockets(addr.port()) == 0
            && metrics.num_alive_tasks() <= tasks
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !settled() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(index.subscribers(), 0, "every stream unsubscribed");
    assert_eq!(open_sockets(addr.port()), 0, "server sockets left open");
    assert!(
        metrics.num_alive_tasks() <= tasks,
        "tasks: {} after, {tasks} before",
        metrics.num_alive_tasks()
    );
}
