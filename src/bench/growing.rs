//! Issue 18's throughput figure: one writer appending `rate` steps a second for `seconds` while `pages` pages
//! watch. Each page is what the browser's code does (`ui::components::growth`), without the drawing: an SSE
//! connection, and at each `result_appended` of its result one `result_rows` request with the rows it holds
//! (one at a time; appends announced meanwhile are answered by the next request), its data kept as the page keeps
//! it (`PlotData::append_rows`, or the whole view). The figures: the events announced (each chunk once, in
//! order), the monitor's CPU from /proc while the writer runs, each page's bytes against the bytes written, and
//! that every page ends holding every step.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::client::request;
use super::percentile;
use super::scenarios::{ms, row, Row};
use crate::model::ResultId;
use crate::plots::view::{PlotData, ViewUpdate};
use crate::storage::AsgardStorage;

/// What the scenario measured.
pub(super) struct Watched {
    pub steps: usize,
    pub chunks: Vec<u64>,
    pub cpu_cores: f64,
    pub wall: f64,
    /// Each page's response bytes.
    pub traffic: Vec<usize>,
    /// How many pages ended holding every step.
    pub complete: usize,
    pub pages: usize,
}

/// The monitor's CPU seconds so far (user + system), from /proc.
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit_once(") ")?.1.split(' ').collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // The kernel's USER_HZ is 100 on every Linux this runs on.
    Some(ticks / 100.0)
}

/// Waits until the monitor `pid` has used under 2 % of a core for half a second (at most 30 s): how long that
/// took.
async fn wait_until_quiet(pid: u32) -> Duration {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        let before = cpu_seconds(pid);
        tokio::time::sleep(Duration::from_millis(500)).await;
        match cpu_seconds(pid).zip(before) {
            Some((after, before)) if after - before < 0.01 => break,
            None => break,
            _ => {}
        }
    }
    started.elapsed()
}

/// How many steps a page's data stands for: its rows, or the points its reduced series stand for.
fn steps_held(data: &PlotData) -> usize {
    data.columns().map_or_else(
        || {
            data.rows_held()
                .into_iter()
                .map(|(_, r)| r as usize)
                .max()
                .unwrap_or(0)
        },
        |c| c.points,
    )
}

/// The whole view, as the page first asks for it; `None` while the result has no rows yet (the page then says
/// it waits for them, and asks for the whole view again at the next append).
async fn view(addr: SocketAddr, id: ResultId) -> anyhow::Result<(Option<PlotData>, usize)> {
    let body = json!({"id": id.to_string(), "columns": 1152, "view": null, "time_index": null});
    let r = request(addr, "POST", "/_fn/result_view", Some(&body.to_string())).await?;
    // 409: the result has no rows yet.
    if r.status == 409 {
        return Ok((None, r.body.len()));
    }
    anyhow::ensure!(r.status == 200, "result_view answered {}", r.status);
    Ok((Some(postcard::from_bytes(&r.body)?), r.body.len()))
}

async fn rows(
    addr: SocketAddr,
    id: ResultId,
    held: Vec<(String, u64)>,
) -> anyhow::Result<(ViewUpdate, usize)> {
    let body = json!({"id": id.to_string(), "columns": 1152, "time_index": null, "held": held});
    let r = request(addr, "POST", "/_fn/result_rows", Some(&body.to_string())).await?;
    anyhow::ensure!(r.status == 200, "result_rows answered {}", r.status);
    Ok((postcard::from_bytes(&r.body)?, r.body.len()))
}

/// One page: follows the result's appends until `stop`, then takes what is left; its data and bytes, and the
/// chunk counts announced to it.
async fn page(
    addr: SocketAddr,
    id: ResultId,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<(PlotData, usize, Vec<u64>)> {
    let mut sse = tokio::net::TcpStream::connect(addr).await?;
    sse.write_all(
        format!("GET /api/updates HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n")
            .as_bytes(),
    )
    .await?;
    let appended = Arc::new(tokio::sync::Notify::new());
    let (chunks_tx, mut chunks_rx) = tokio::sync::mpsc::unbounded_channel::<u64>();
    let reader = {
        let appended = appended.clone();
        let needle = format!("\"result_id\":\"{id}\"");
        tokio::spawn(async move {
            let (mut text, mut buf) = (String::new(), vec![0u8; 64 * 1024]);
            while let Ok(n) = sse.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                text.push_str(&String::from_utf8_lossy(&buf[..n]));
                while let Some(end) = text.find("\n\n") {
                    let event: String = text.drain(..end + 2).collect();
                    if event.contains("event: result_appended") && event.contains(&needle) {
                        let chunks = event
                            .split("\"chunks\":")
                            .nth(1)
                            .and_then(|s| s.split(['}', ',']).next())
                            .and_then(|s| s.trim().parse().ok());
                        if let Some(c) = chunks {
                            let _ = chunks_tx.send(c);
                        }
                        appended.notify_one();
                    }
                }
            }
        })
    };
    let (mut first, mut traffic) = view(addr, id).await?;
    let mut data = loop {
        if let Some(data) = first {
            break data;
        }
        tokio::select! {
            () = appended.notified() => {}
            _ = stop.changed() => anyhow::bail!("the result never had rows"),
        }
        let (again, bytes) = view(addr, id).await?;
        (first, traffic) = (again, traffic + bytes);
    };
    loop {
        tokio::select! {
            () = appended.notified() => {}
            _ = stop.changed() => break,
        }
        let (update, bytes) = rows(addr, id, data.rows_held()).await?;
        traffic += bytes;
        // At most one request a frame, and a few whole views a second, as the page.
        let pause = match update {
            ViewUpdate::Rows { fields, non_finite } => {
                data.append_rows(&fields, non_finite)
                    .map_err(anyhow::Error::msg)?;
                16
            }
            ViewUpdate::Whole(whole) => {
                data = *whole;
                crate::plots::view::WHOLE_VIEW_EVERY_MS
            }
        };
        tokio::time::sleep(Duration::from_millis(pause)).await;
    }
    // The writer has closed the result: what the page asks after its last append event.
    let (update, bytes) = rows(addr, id, data.rows_held()).await?;
    traffic += bytes;
    match update {
        ViewUpdate::Rows { fields, non_finite } => data
            .append_rows(&fields, non_finite)
            .map_err(anyhow::Error::msg)?,
        ViewUpdate::Whole(whole) => data = *whole,
    }
    reader.abort();
    let mut chunks = Vec::new();
    while let Ok(c) = chunks_rx.try_recv() {
        chunks.push(c);
    }
    Ok((data, traffic, chunks))
}

/// Runs the scenario against the monitor at `addr` (process `pid`) on `storage`.
pub(super) async fn watch_growth(
    addr: SocketAddr,
    pid: u32,
    storage: &AsgardStorage,
    pages: usize,
    seconds: f64,
    rate: f64,
) -> anyhow::Result<Watched> {
    let steps = (seconds * rate) as usize;
    let run = storage.create_run("growing, watched", None, None)?;
    let (opened_tx, opened_rx) = std::sync::mpsc::channel();
    let writer = {
        let storage = storage.clone();
        std::thread::spawn(move || {
            crate::append::grow_result(
                &storage,
                run.id,
                steps,
                Duration::from_secs_f64(1.0 / rate),
                |id| {
                    let _ = opened_tx.send(id);
                },
            )
        })
    };
    let id = tokio::task::spawn_blocking(move || opened_rx.recv()).await??;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let tasks: Vec<_> = (0..pages)
        .map(|_| tokio::spawn(page(addr, id, stopped.clone())))
        .collect();
    let (cpu0, t0) = (cpu_seconds(pid), Instant::now());
    tokio::task::spawn_blocking(move || writer.join())
        .await?
        .map_err(|_| anyhow::anyhow!("the writer panicked"))??;
    let wall = t0.elapsed().as_secs_f64();
    let cpu = cpu_seconds(pid).zip(cpu0).map_or(f64::NAN, |(b, a)| b - a);
    // The last chunk's events reach the pages a moment after the writer returns.
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.send_replace(true);
    let mut watched = Watched {
        steps,
        chunks: Vec::new(),
        cpu_cores: cpu / wall,
        wall,
        traffic: Vec::new(),
        complete: 0,
        pages,
    };
    for (i, task) in tasks.into_iter().enumerate() {
        let (data, traffic, chunks) = task.await??;
        watched.traffic.push(traffic);
        watched.complete += usize::from(steps_held(&data) == steps);
        if i == 0 {
            watched.chunks = chunks;
        }
    }
    Ok(watched)
}

/// The time of a whole view of `id` at a width not asked for before (so not from the views kept), ms.
async fn timed_view(addr: SocketAddr, id: ResultId, columns: usize) -> anyhow::Result<f64> {
    let body = json!({"id": id.to_string(), "columns": columns, "view": null, "time_index": null});
    let r = request(addr, "POST", "/_fn/result_view", Some(&body.to_string())).await?;
    anyhow::ensure!(r.status == 200, "result_view answered {}", r.status);
    Ok(r.elapsed.as_secs_f64() * 1e3)
}

/// The p50 of five views at new widths, ms.
async fn view_p50(addr: SocketAddr, id: ResultId, first_width: usize) -> anyhow::Result<f64> {
    let mut times = Vec::new();
    for i in 0..5 {
        times.push(timed_view(addr, id, first_width + i).await?);
    }
    times.sort_by(f64::total_cmp);
    Ok(percentile(&times, 50.0))
}

fn array(values: Vec<f64>) -> crate::model::NumArray {
    crate::model::NumArray {
        shape: vec![values.len()],
        dtype: "<f8".into(),
        values,
    }
}

/// Chunk `seq` of a growing Solution1D: x from `start` for `n` points, sin(x/1000).
fn chunk_1d(
    storage: &AsgardStorage,
    id: ResultId,
    seq: u64,
    start: usize,
    n: usize,
) -> anyhow::Result<()> {
    let x: Vec<f64> = (start..start + n).map(|i| i as f64).collect();
    let y: Vec<f64> = x.iter().map(|v| (v * 1e-3).sin()).collect();
    storage.append_chunk(
        id,
        seq,
        vec![("x".into(), array(x)), ("computed".into(), array(y))],
    )?;
    Ok(())
}

/// The growing results' rows of the table: a growing `Solution1D` of `points` points in chunks of 1,000 rows
/// (as a writer appending 10,000 steps a second flushes them) against the finished one (`finished_p50`, or
/// measured here), and one writer watched by pages (`watched`: pages, seconds, rate).
pub(super) async fn scenarios(
    addr: SocketAddr,
    pid: u32,
    storage: &AsgardStorage,
    points: usize,
    finished_p50: Option<f64>,
    watched: (usize, f64, f64),
    strict: bool,
) -> anyhow::Result<Vec<Row>> {
    let mut rows = Vec::new();
    let run = storage.create_run("growing", None, None)?;
    let finished = match finished_p50 {
        Some(t) => t,
        None => {
            let x: Vec<f64> = (0..points).map(|i| i as f64).collect();
            let y: Vec<f64> = x.iter().map(|v| (v * 1e-3).sin()).collect();
            let id = storage.add_result(
                run.id,
                crate::model::ResultType::Solution1D,
                [
                    ("x".to_owned(), x.into()),
                    ("computed".to_owned(), y.into()),
                ],
                json!({"title": "finished"}),
            )?;
            view_p50(addr, id, 1152).await?
        }
    };
    let id = storage.open_growing(
        run.id,
        crate::model::ResultType::Solution1D,
        [],
        json!({"title": "growing"}),
    )?;
    let mut chunks = 0;
    for start in (0..points).step_by(1_000) {
        chunk_1d(storage, id, chunks, start, (points - start).min(1_000))?;
        chunks += 1;
    }
    // The statistics worker recomputes a growing result's statistics after a burst of appends (reading the
    // same 10⁷ points): the views are measured once it is done, on a quiet monitor, as the finished one was.
    let quiet = wait_until_quiet(pid).await;
    let rss = || super::client::memory_mb(pid, "VmRSS:").unwrap_or(f64::NAN);
    eprintln!(
        "monitor RSS after {chunks} chunks were written: {:.0} MB",
        rss()
    );
    // The first view reads every chunk; later ones (other widths) answer from the result kept whole; one after
    // an append reads the new chunk alone.
    let first = timed_view(addr, id, 1100).await?;
    let again = view_p50(addr, id, 1152).await?;
    let mut appended = Vec::new();
    for k in 0..5 {
        chunk_1d(storage, id, chunks + k, points + k as usize * 1_000, 1_000)?;
        appended.push(timed_view(addr, id, 1152).await?);
    }
    appended.sort_by(f64::total_cmp);
    let after_append = percentile(&appended, 50.0);
    eprintln!("monitor RSS after its views: {:.0} MB", rss());
    rows.push(row(
        format!("growing Solution1D of {points} points ({chunks} chunks of 1,000): a view"),
        format!(
            "p50 {} (the finished one: {}); the first view, reading every chunk: {}; after an append p50 {} \
             (the monitor quiet after {:.1} s)",
            ms(again),
            ms(finished),
            ms(first),
            ms(after_append),
            quiet.as_secs_f64()
        ),
        "as the finished one",
        Some(again < finished * 1.5 + 5.0 && after_append < finished * 1.5 + 5.0),
    ));

    let (pages, seconds, rate) = watched;
    let g = watch_growth(addr, pid, storage, pages, seconds, rate).await?;
    eprintln!("monitor RSS after the watched writer: {:.0} MB", rss());
    let in_order = g.chunks.iter().enumerate().all(|(i, c)| *c == i as u64 + 1);
    anyhow::ensure!(
        !strict || (in_order && g.complete == g.pages),
        "growing result watched: chunks in order {in_order}, {} of {} pages complete",
        g.complete,
        g.pages
    );
    let mut traffic = g.traffic.clone();
    traffic.sort_unstable();
    // step, loss and two parameters, 8 bytes each.
    let written = g.steps * 4 * 8;
    let mb = |b: usize| format!("{:.2} MB", b as f64 / 1e6);
    rows.push(row(
        format!("one writer at {rate} steps/s for {seconds} s, {pages} pages watching"),
        format!(
            "{} chunks announced{}; {}/{} pages hold all {} steps; server CPU {:.2} cores over {:.1} s; \
             per page {} (max {}) for {} written",
            g.chunks.len(),
            if in_order { " once each, in order" } else { " WITH GAPS" },
            g.complete,
            g.pages,
            g.steps,
            g.cpu_cores,
            g.wall,
            mb(traffic[traffic.len() / 2]),
            mb(*traffic.last().unwrap_or(&0)),
            mb(written),
        ),
        "no event lost, CPU < 1 core",
        Some(in_order && g.complete == g.pages && g.cpu_cores < 1.0),
    ));
    // What the monitor holds after them: the growing result is kept whole while it is viewed.
    rows.push(row(
        "monitor memory after the growing results' scenarios",
        format!(
            "{:.0} MB RSS, peak {:.0} MB",
            super::client::memory_mb(pid, "VmRSS:").unwrap_or(f64::NAN),
            super::client::memory_mb(pid, "VmHWM:").unwrap_or(f64::NAN)
        ),
        "",
        None,
    ));
    Ok(rows)
}
