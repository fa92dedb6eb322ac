//! `asgard bench --object-storage`: the monitor on a bucket. In this process, on `object_store`'s in-memory
//! store behind [`Remote`] (`remote.rs`) (every request waits `LATENCY`; a listing one request per 1,000 keys, as S3's
//! pages): the cold start with and without an index snapshot, and the requests an idle monitor makes. With `--bucket s3://…` (and the AWS variables), against that real server: a write's delay to
//! the SSE event, and 16 writer processes (Rust and Python) whose every result must reach the monitor's list
//! and its SSE stream exactly once.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::ObjectStore;
use serde_json::json;

use super::remote::Remote;
use super::scenarios::{row, Row};
use super::Size;
use crate::index::{supervise, Index, StorageWatcher, WatchMode};
use crate::model::{ResultType, RunId};
use crate::storage::bucket::Bucket;
use crate::storage::{AsgardStorage, DataValue};

/// The time every modelled request takes (a bucket in another region, or a busy one).
const LATENCY: Duration = Duration::from_millis(25);
/// Results per run in the modelled bucket.
const RESULTS_PER_RUN: usize = 3;

/// Every object-storage scenario.
pub fn run(size: Size, bucket: Option<&str>) -> anyhow::Result<Vec<Row>> {
    let mut rows = Vec::new();
    let (runs, more) = match size {
        Size::Smoke => (200, None),
        Size::Full => (10_000, Some(100_000)),
    };
    rows.extend(cold_starts(runs, true)?);
    if let Some(more) = more {
        rows.extend(cold_starts(more, false)?);
    }
    if let Some(url) = bucket {
        rows.extend(live(url, size)?);
    }
    Ok(rows)
}

/// A bucket in memory holding `runs` runs of [`RESULTS_PER_RUN`] results each, written through the storage API
/// (eight writers at once).
fn filled(runs: usize) -> anyhow::Result<Arc<dyn ObjectStore>> {
    let memory: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let started = Instant::now();
    let storage = open(&memory, "memory://bench")?;
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let writers: Vec<_> = (0..8)
            .map(|w| {
                let storage = storage.clone();
                scope.spawn(move || -> anyhow::Result<()> {
                    for i in (w..runs).step_by(8) {
                        let run = storage.create_run(&format!("run {i}"), Some("u' = -u"), None)?;
                        storage.set_metadata(run.id, "seed", json!(i))?;
                        for r in 0..RESULTS_PER_RUN {
                            storage.add_result(
                                run.id,
                                ResultType::DiscreteSequence,
                                [(
                                    "values".to_owned(),
                                    DataValue::from(vec![i as f64, r as f64]),
                                )],
                                json!({"title": format!("r{r}")}),
                            )?;
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        for writer in writers {
            writer.join().expect("a writer panicked")?;
        }
        Ok(())
    })?;
    eprintln!(
        "object storage: {runs} runs / {} results written to memory in {:.1} s",
        runs * RESULTS_PER_RUN,
        started.elapsed().as_secs_f64()
    );
    Ok(memory)
}

fn open(store: &Arc<dyn ObjectStore>, url: &str) -> anyhow::Result<AsgardStorage> {
    Ok(AsgardStorage::open_bucket(Bucket::with_store(
        store.clone(),
        "",
        url,
    ))?)
}

/// The same objects, every request [`LATENCY`] away.
fn throttled(memory: &Arc<dyn ObjectStore>) -> Arc<dyn ObjectStore> {
    Arc::new(Remote::new(memory.clone(), LATENCY))
}

/// Index builds on the modelled bucket: without a snapshot (when `without`), and from one; then the requests
/// of an idle monitor.
fn cold_starts(runs: usize, without: bool) -> anyhow::Result<Vec<Row>> {
    let memory = filled(runs)?;
    let mut rows = Vec::new();
    let label = format!(
        "{runs} runs / {} results, every request {} ms",
        runs * RESULTS_PER_RUN,
        LATENCY.as_millis()
    );
    if without {
        let (_, _, took, figure) = timed_build(&memory, runs)?;
        rows.push(row(
            format!("Bucket cold start without a snapshot: {label}"),
            figure,
            if runs >= 10_000 { "< 8 s" } else { "" },
            (runs >= 10_000).then_some(took < Duration::from_secs(8)),
        ));
    }
    // The snapshot a monitor leaves, written without latency (its cost is not the start's); the sweep's
    // announcements are older than the 30-s look-back by the time anyone restarts (here: removed, as a
    // lifecycle rule removes them), so that the start reads what changed since, which is nothing.
    Index::build(open(&memory, "memory://bench")?)?.save_snapshot()?;
    expire_journal(&memory)?;
    let (index, storage, took, figure) = timed_build(&memory, runs)?;
    let target = match runs {
        100_000.. => Some((Duration::from_secs(3), "< 3 s")),
        10_000.. => Some((Duration::from_secs(1), "< 1 s")),
        _ => None,
    };
    rows.push(row(
        format!("Bucket cold start from the index snapshot: {label}"),
        figure,
        target.map_or("", |(_, t)| t),
        target.map(|(limit, _)| took < limit),
    ));
    if without {
        rows.push(idle(index, &storage, runs)?);
    }
    Ok(rows)
}

/// An index built on the modelled bucket over `memory` (which holds `runs` runs): the index, its storage, how
/// long it took, and that time with the requests it made.
fn timed_build(
    memory: &Arc<dyn ObjectStore>,
    runs: usize,
) -> anyhow::Result<(Arc<Index>, AsgardStorage, Duration, String)> {
    let storage = open(&throttled(memory), "memory://bench")?;
    let started = Instant::now();
    let index = Index::build(storage.clone())?;
    let took = started.elapsed();
    anyhow::ensure!(
        index.len() == runs,
        "indexed {} of {runs} runs",
        index.len()
    );
    let requests = storage.bucket_requests().unwrap_or_default();
    let figure = format!(
        "{:.2} s ({} GET, {} LIST pages)",
        took.as_secs_f64(),
        requests.get,
        requests.list
    );
    Ok((index, storage, took, figure))
}

/// Removes every announcement.
fn expire_journal(memory: &Arc<dyn ObjectStore>) -> anyhow::Result<()> {
    use futures::TryStreamExt;
    let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    runtime.block_on(async {
        let keys = memory
            .list(Some(&Path::from("journal")))
            .map_ok(|meta| meta.location)
            .boxed();
        memory.delete_stream(keys).try_collect::<Vec<_>>().await
    })?;
    Ok(())
}

/// An idle monitor's requests over ten poll intervals, after its first reconciliation.
fn idle(index: Arc<Index>, storage: &AsgardStorage, runs: usize) -> anyhow::Result<Row> {
    let interval = Duration::from_millis(200);
    let runtime = tokio::runtime::Runtime::new()?;
    let follower = runtime.spawn(supervise(
        index,
        WatchMode::Poll(interval),
        StorageWatcher::Journal(interval),
    ));
    // The first pass reconciles (the index came from a snapshot), listing every run file and result entry:
    // let it finish, and the polls it held up.
    let pages = (runs * (1 + RESULTS_PER_RUN)).div_ceil(1000) as u32;
    std::thread::sleep(interval * 5 + LATENCY * 2 * (pages + 1));
    let before = storage.bucket_requests().unwrap_or_default();
    let polls = 10;
    std::thread::sleep(interval * polls);
    let spent = storage.bucket_requests().unwrap_or_default() - before;
    follower.abort();
    let others = spent.get + spent.head + spent.put + spent.delete;
    Ok(row(
        format!("Idle monitor on a bucket of {runs} runs, polling every 200 ms: requests over 10 intervals"),
        format!("{} LIST, {others} other", spent.list),
        "≤ 1 LIST per interval",
        Some(spent.list <= polls as u64 && others == 0),
    ))
}

/// Against a real bucket: a write's delay to the SSE event, then 16 writer processes.
fn live(url: &str, size: Size) -> anyhow::Result<Vec<Row>> {
    let prefix = format!("{url}/bench-{}", uuid::Uuid::new_v4().simple());
    let storage = AsgardStorage::open_location(&prefix)?;
    let runtime = tokio::runtime::Runtime::new()?;
    let monitor = super::scenarios::Monitor::start_with(
        std::ffi::OsStr::new(&prefix),
        &["--watch", "poll", "--poll-interval-ms", "200"],
    )?
    .0;
    let mut rows = Vec::new();
    let run = storage.create_run("latency", None, None)?;
    let (p50, p99, got, expected) =
        runtime.block_on(super::sse::sse_latency(monitor.addr, &storage, run.id, 1))?;
    rows.push(row(
        "A write to the bucket → SSE event (monitor polling every 200 ms)",
        format!("p50 {p50:.0} ms, p99 {p99:.0} ms ({got}/{expected} events)"),
        "p95 < 1 s",
        Some(p99 < 1000.0 && got == expected),
    ));
    let count = match size {
        Size::Smoke => 5,
        Size::Full => 100,
    };
    for into_one in [true, false] {
        rows.push(writers(
            &runtime,
            monitor.addr,
            &storage,
            &prefix,
            count,
            into_one,
        )?);
    }
    Ok(rows)
}

/// 16 writer processes (8 `asgard append`, 8 Python when it is there) × `count` results, into one run or
/// into a run each; checks that each result is listed once and arrives over SSE once.
fn writers(
    runtime: &tokio::runtime::Runtime,
    addr: SocketAddr,
    storage: &AsgardStorage,
    location: &str,
    count: usize,
    into_one: bool,
) -> anyhow::Result<Row> {
    use std::process::{Command, Stdio};
    let python = python();
    let processes = 16;
    let runs: Vec<RunId> = if into_one {
        vec![storage.create_run("sixteen writers", None, None)?.id; processes]
    } else {
        (0..processes)
            .map(|w| {
                storage
                    .create_run(&format!("writer {w}"), None, None)
                    .map(|r| r.id)
            })
            .collect::<Result<_, _>>()?
    };
    let expected = processes * count;
    let events = runtime.spawn(result_events(addr, expected, Duration::from_secs(300)));
    std::thread::sleep(Duration::from_millis(500));
    let started = Instant::now();
    let mut children = Vec::new();
    for (w, run) in runs.iter().enumerate() {
        let mut command = match (&python, w % 2) {
            (Some(python), 1) => {
                let mut c = Command::new(python);
                c.args([
                    "-c",
                    PYTHON_WRITER,
                    location,
                    &run.to_string(),
                    &count.to_string(),
                ]);
                c
            }
            _ => {
                let mut c = Command::new(std::env::current_exe()?);
                c.args(["append", "--storage", location, "--into", &run.to_string()])
                    .args(["--count", &count.to_string()]);
                c
            }
        };
        children.push(
            command
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()?,
        );
    }
    for child in children {
        let out = child.wait_with_output()?;
        anyhow::ensure!(
            out.status.success(),
            "a writer failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let wrote = started.elapsed();
    let seen = runtime.block_on(events)??;
    let mut listed: HashMap<_, usize> = HashMap::new();
    let mut distinct_runs = runs.clone();
    distinct_runs.dedup();
    for run in &distinct_runs {
        for result in storage.read_run(*run)?.results {
            *listed.entry(result).or_default() += 1;
        }
    }
    let once_listed = listed.len() == expected && listed.values().all(|&n| n == 1);
    let once_sent = seen.len() == expected && seen.values().all(|&n| n == 1);
    let twice = seen.values().filter(|&&n| n > 1).count();
    Ok(row(
        format!(
            "16 writer processes ({}) × {count} results into {}",
            if python.is_some() { "8 Rust, 8 Python" } else { "16 Rust; no Python with obstore found" },
            if into_one { "one run" } else { "16 runs" }
        ),
        format!(
            "{} of {expected} listed once, {} of {expected} sent over SSE ({twice} twice); written in {:.1} s",
            listed.values().filter(|&&n| n == 1).count(),
            seen.len(),
            wrote.as_secs_f64()
        ),
        "every result exactly once",
        Some(once_listed && once_sent),
    ))
}

/// The Python writer: `python -c WRITER LOCATION RUN COUNT`.
const PYTHON_WRITER: &str = r#"
import sys, numpy as np
from asgard_storage import AsgardStorage
storage = AsgardStorage(sys.argv[1])
x = np.linspace(0, 6.283, 200)
for i in range(int(sys.argv[3])):
    storage.add_result(sys.argv[2], "Solution1D", {"x": x, "computed": np.sin(x + 0.3 * i)}, {"title": f"py {i}"})
"#;

/// A Python with `asgard_storage` and obstore: `ASGARD_PYTHON`, or the checkout's `.venv`.
fn python() -> Option<std::path::PathBuf> {
    let candidate = std::env::var_os("ASGARD_PYTHON")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            let exe = std::env::current_exe().ok()?;
            exe.ancestors()
                .map(|d| d.join(".venv/bin/python"))
                .find(|p| p.is_file())
        })?;
    std::process::Command::new(&candidate)
        .args(["-c", "import asgard_storage, obstore"])
        .status()
        .ok()?
        .success()
        .then_some(candidate)
}

/// Counts `result_added` events by result id until `expected` distinct ones arrived (or the time is up).
async fn result_events(
    addr: SocketAddr,
    expected: usize,
    limit: Duration,
) -> anyhow::Result<HashMap<String, usize>> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let head =
        format!("GET /api/updates HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n");
    stream.write_all(head.as_bytes()).await?;
    let deadline = Instant::now() + limit;
    let mut text = String::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut seen: HashMap<String, usize> = HashMap::new();
    while seen.len() < expected && Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_secs(30), stream.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => take_ids(&mut text, &buf[..n], &mut seen),
            _ => break,
        }
    }
    // Anything sent twice would arrive within a few polls of the first: wait for it.
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while let Ok(n @ 1..) = stream.read(&mut buf).await {
            take_ids(&mut text, &buf[..n], &mut seen);
        }
    })
    .await;
    Ok(seen)
}

/// Adds `bytes` of the stream to `text` and counts every complete `"result_id":"…"` in it.
fn take_ids(text: &mut String, bytes: &[u8], seen: &mut HashMap<String, usize>) {
    const MARKER: &str = "\"result_id\":\"";
    text.push_str(&String::from_utf8_lossy(bytes));
    while let Some(i) = text.find(MARKER) {
        let start = i + MARKER.len();
        if text.len() < start + 36 {
            break;
        }
        *seen.entry(text[start..start + 36].to_owned()).or_default() += 1;
        text.drain(..start + 36);
    }
}
