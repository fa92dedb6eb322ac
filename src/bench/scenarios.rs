//! The scenarios of the benchmark, each against the real monitor in a child process over loopback.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::json;

use super::client::{get, request};
use super::generate::{generate, Workload};
use super::listing::{api_runs, cold_start, count, QUERY_PATH};
use super::{percentile, BenchArgs, Size};
use crate::storage::{AsgardStorage, DataValue};

/// A line of the table.
#[derive(Clone, Debug)]
pub struct Row {
    pub scenario: String,
    pub figure: String,
    pub target: String,
    /// "met", "missed" or "" (a growth figure, without a target).
    pub verdict: &'static str,
}

pub(super) fn row(
    scenario: impl Into<String>,
    figure: impl Into<String>,
    target: &str,
    met: Option<bool>,
) -> Row {
    Row {
        scenario: scenario.into(),
        figure: figure.into(),
        target: target.into(),
        verdict: match met {
            Some(true) => "met",
            Some(false) => "missed",
            None => "",
        },
    }
}

pub(super) fn ms(d: f64) -> String {
    if d < 10.0 {
        format!("{d:.2} ms")
    } else {
        format!("{d:.0} ms")
    }
}

/// The sizes of each mode.
struct Plan {
    /// Run counts for the cold start, memory and `/api/runs` (the last is the main figure).
    runs: Vec<usize>,
    results_per_run: usize,
    points: usize,
    huge_points: usize,
    huge_side: usize,
    api_clients: usize,
    api_requests: usize,
    sse_clients: Vec<usize>,
    /// The SSE client count the target names.
    sse_target_clients: usize,
    /// Whether a lost event or a failed request fails the benchmark (smoke: it checks that everything works).
    strict: bool,
    /// Series lengths for the growth of the 1-D reduction.
    point_growth: Vec<usize>,
    /// A growing result watched: pages, seconds, appends a second.
    watched_growth: (usize, f64, f64),
    /// Series lengths whose pyramids are measured (issue 19).
    pyramid_sizes: Vec<usize>,
    /// The sides of the square heatmaps whose pyramids are measured.
    grid_sides: Vec<usize>,
}

fn plan(size: Size) -> Plan {
    match size {
        Size::Smoke => Plan {
            runs: vec![100],
            results_per_run: 5,
            points: 100,
            huge_points: 100_000,
            huge_side: 256,
            api_clients: 8,
            api_requests: 10,
            sse_clients: vec![10],
            sse_target_clients: 10,
            strict: true,
            point_growth: vec![10_000],
            watched_growth: (4, 2.0, 2_000.0),
            pyramid_sizes: vec![100_000, 300_000],
            grid_sides: vec![1536],
        },
        Size::Full => Plan {
            runs: vec![1_000, 10_000],
            results_per_run: 5,
            points: 100,
            huge_points: 10_000_000,
            huge_side: 4096,
            api_clients: 32,
            api_requests: 50,
            sse_clients: vec![10, 100, 500, 1_000],
            sse_target_clients: 500,
            strict: false,
            point_growth: vec![100_000, 1_000_000],
            watched_growth: (50, 60.0, 10_000.0),
            pyramid_sizes: vec![100_000, 1_000_000, 10_000_000, 100_000_000],
            grid_sides: vec![2048, 4096, 8192],
        },
    }
}

/// The monitor in a child process.
pub(super) struct Monitor {
    child: Child,
    pub(super) addr: SocketAddr,
}

impl Monitor {
    fn start(storage: &Path) -> anyhow::Result<(Self, Instant)> {
        Self::start_with(storage.as_os_str(), &[])
    }

    /// The monitor of `storage` (a directory or a bucket), with `extra` arguments.
    pub(super) fn start_with(
        storage: &std::ffi::OsStr,
        extra: &[&str],
    ) -> anyhow::Result<(Self, Instant)> {
        let started = Instant::now();
        let mut child = Command::new(std::env::current_exe()?)
            .args(["monitor", "--storage"])
            .arg(storage)
            .args(["--port", "0"])
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start the monitor")?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let addr = loop {
            let line = lines
                .next()
                .context("the monitor exited before printing its URL")??;
            if let Some(rest) = line.strip_prefix("Asgard Monitor: http://") {
                let hostport = rest.split('/').next().unwrap_or_default();
                break hostport.replace("localhost", "127.0.0.1").parse()?;
            }
        };
        // Keep reading its output so that it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Ok((Self { child, addr }, started))
    }

    pub(super) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory in MB, from /proc.
    fn rss_mb(&self) -> Option<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let kb: f64 = status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()?;
        Some(kb / 1024.0)
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs every scenario and returns the table.
pub fn run(args: BenchArgs) -> anyhow::Result<Vec<Row>> {
    if args.object_storage {
        return super::bucket::run(args.size, args.bucket.as_deref());
    }
    let mut plan = plan(args.size);
    if args.growing {
        // Only the growing results' scenarios, on a storage of their own.
        let dir = tempfile::tempdir()?;
        let storage = AsgardStorage::open(dir.path())?;
        let (monitor, _) = Monitor::start(dir.path())?;
        let runtime = tokio::runtime::Runtime::new()?;
        return runtime.block_on(super::growing::scenarios(
            monitor.addr,
            monitor.pid(),
            &storage,
            plan.huge_points,
            None,
            plan.watched_growth,
            plan.strict,
        ));
    }
    if args.pyramids {
        let runtime = tokio::runtime::Runtime::new()?;
        return runtime.block_on(super::pyramids::scenarios(
            &plan.pyramid_sizes,
            &plan.grid_sides,
        ));
    }
    if !args.runs.is_empty() {
        plan.runs = args.runs.clone();
    }
    let temp;
    let dir = match &args.dir {
        Some(d) => d.clone(),
        None => {
            temp = tempfile::tempdir()?;
            temp.path().to_owned()
        }
    };
    let runtime = tokio::runtime::Runtime::new()?;
    let mut rows = Vec::new();
    let mut main: Option<Workload> = None;
    let last = *plan.runs.last().context("no run counts")?;
    for &runs in &plan.runs {
        let storage_dir = dir.join(format!("runs-{runs}"));
        if storage_dir.exists() {
            std::fs::remove_dir_all(&storage_dir)?;
        }
        let (huge_points, huge_side) = if runs == last {
            (plan.huge_points, plan.huge_side)
        } else {
            (1_000, 16)
        };
        let workload = generate(
            &storage_dir,
            runs,
            plan.results_per_run,
            plan.points,
            huge_points,
            huge_side,
        )?;
        eprintln!(
            "generated {} runs / {} results in {:.1} s",
            workload.runs, workload.results, workload.seconds
        );
        if args.generate_only {
            println!(
                "workload in {}: {} runs; page run {}",
                storage_dir.display(),
                workload.runs,
                workload.page_run
            );
            continue;
        }
        let target = runs == last;
        let (monitor, started) = Monitor::start(&storage_dir)?;
        let cold = runtime.block_on(cold_start(monitor.addr, workload.runs, started))?;
        rows.push(row(
            format!(
                "cold start: {} runs / {} results until /api/runs lists all",
                workload.runs, workload.results
            ),
            ms(cold),
            if target { "< 2 s" } else { "" },
            target.then_some(cold < 2_000.0),
        ));
        let rss = monitor.rss_mb().unwrap_or(f64::NAN);
        rows.push(row(
            format!(
                "memory with {} runs / {} results indexed",
                workload.runs, workload.results
            ),
            format!("{rss:.0} MB RSS"),
            if target { "< 150 MB" } else { "" },
            target.then_some(rss < 150.0),
        ));
        // The same start again, from the index snapshot the first monitor wrote after its scan.
        let snapshot = storage_dir.join(crate::storage::INDEX_SNAPSHOT);
        let deadline = Instant::now() + Duration::from_secs(120);
        while !snapshot.is_file() {
            anyhow::ensure!(
                Instant::now() < deadline,
                "the monitor wrote no index snapshot within 2 minutes"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        drop(monitor);
        let (monitor, started) = Monitor::start(&storage_dir)?;
        let restart = runtime.block_on(cold_start(monitor.addr, workload.runs, started))?;
        rows.push(row(
            format!(
                "restart from the index snapshot: {} runs until /api/runs lists all",
                workload.runs
            ),
            ms(restart),
            if target { "< 2 s" } else { "" },
            target.then_some(restart < 2_000.0),
        ));
        // The whole listing (what a program asking for every run gets) and one page of it (what the run list
        // asks for); the target is held against the whole listing.
        for (path, what) in [
            ("/api/runs", "all"),
            ("/api/runs?limit=100", "a page of 100"),
            (QUERY_PATH, "3 conditions, sorted, first page"),
        ] {
            let whole = what == "all";
            let query = path == QUERY_PATH;
            if query {
                // A query that matched nothing would measure nothing.
                let answer = runtime.block_on(super::client::send(
                    monitor.addr,
                    "GET",
                    QUERY_PATH,
                    None,
                    false,
                ))?;
                let matched = count(&answer.body, b"\"result_count\"");
                anyhow::ensure!(
                    answer.status == 200 && matched > 0,
                    "the benchmark query matched {matched} runs (status {})",
                    answer.status
                );
            }
            let (p50, p99, errors, bytes) = runtime.block_on(api_runs(
                monitor.addr,
                path,
                plan.api_clients,
                plan.api_requests,
            ))?;
            anyhow::ensure!(
                !plan.strict || errors == 0,
                "{errors} {path} requests failed"
            );
            rows.push(row(
                format!(
                    "{path} ({what} of {} runs), {} concurrent keep-alive clients",
                    workload.runs, plan.api_clients
                ),
                format!(
                    "p50 {}, p99 {}, {errors} errors ({} KB gzipped)",
                    ms(p50),
                    ms(p99),
                    bytes / 1024
                ),
                match (target, whole, query) {
                    (true, true, _) => "p50 < 5 ms, p99 < 30 ms, 0 errors",
                    (_, _, true) => "at 100,000 runs: p50 < 25 ms, p99 < 100 ms (issue 14)",
                    _ => "",
                },
                (target && whole).then_some(p50 < 5.0 && p99 < 30.0 && errors == 0),
            ));
        }
        if target {
            let storage = AsgardStorage::open(&storage_dir)?;
            rows.extend(runtime.block_on(main_scenarios(&monitor, &storage, &workload, &plan))?);
            main = Some(workload);
        }
        drop(monitor);
    }
    if !args.generate_only {
        rows.extend(runtime.block_on(super::pyramids::scenarios(
            &plan.pyramid_sizes,
            &plan.grid_sides,
        ))?);
    }
    if let Some(w) = main {
        eprintln!(
            "main workload in {}: {} runs; huge run {} with Solution1D {} ({} points) and Solution2D {} ({}²)",
            dir.join(format!("runs-{last}")).display(),
            w.runs,
            w.huge_run,
            w.huge_1d,
            w.huge_1d_points,
            w.huge_2d,
            w.huge_2d_side
        );
    }
    if args.size == Size::Smoke {
        // Smoke sizes are far below the targets' sizes: the figures only show that every scenario works.
        for r in &mut rows {
            r.target.clear();
            r.verdict = "";
        }
    }
    Ok(rows)
}

async fn main_scenarios(
    monitor: &Monitor,
    storage: &AsgardStorage,
    w: &Workload,
    plan: &Plan,
) -> anyhow::Result<Vec<Row>> {
    let addr = monitor.addr;
    let mut rows = Vec::new();

    // The run page, rendered on the server, for a run with its results.
    let mut times = Vec::new();
    for _ in 0..30 {
        let r = get(addr, &format!("/run/{}", w.page_run)).await?;
        anyhow::ensure!(r.status == 200, "the run page answered {}", r.status);
        times.push(r.elapsed.as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    let p50 = percentile(&times, 50.0);
    rows.push(row(
        "run page (server-rendered) with 50 results".to_owned(),
        format!("p50 {}", ms(p50)),
        "p50 < 20 ms",
        Some(p50 < 20.0),
    ));

    // The first whole listing after a change (issue 19): made from what changed.
    let [plain, gzipped, plain_next, gzipped_next] =
        super::listing::after_a_change(addr, storage, 10).await?;
    rows.push(row(
        format!("the first /api/runs after a change ({} runs)", w.runs),
        format!(
            "p50 {} plain, {} gzip; the next request (the listing kept) {} plain, {} gzip",
            ms(plain),
            ms(gzipped),
            ms(plain_next),
            ms(gzipped_next)
        ),
        "< 5 ms",
        Some(plain < 5.0 && gzipped < 5.0),
    ));

    // Reductions: request → reduced arrays, as the plot asks for them (about 1,152 device columns). Each
    // request asks for a width not asked for before, so that none is answered from the views already made.
    let reduce = |id: crate::model::ResultId| async move {
        let mut times = Vec::new();
        for i in 0..5 {
            times.push(super::pyramids::view(addr, id, 1152 + i, None).await?);
        }
        times.sort_by(f64::total_cmp);
        anyhow::Ok((percentile(&times, 50.0), times.len()))
    };
    let (t1d, _) = reduce(w.huge_1d).await?;
    rows.push(row(
        format!(
            "Solution1D of {} points: request → reduced series",
            w.huge_1d_points
        ),
        format!("p50 {}", ms(t1d)),
        "< 300 ms",
        Some(t1d < 300.0),
    ));
    // Zooming back into a range already viewed: the view made the first time is kept.
    let zoom_back = {
        // x runs over [0, 1): a tenth of the series in the middle.
        let body = json!({"id": w.huge_1d.to_string(), "columns": 1152, "view": [0.45, 0.55], "time_index": null})
            .to_string();
        let mut times = Vec::new();
        for _ in 0..21 {
            let r = request(addr, "POST", "/_fn/result_view", Some(&body)).await?;
            anyhow::ensure!(r.status == 200, "result_view answered {}", r.status);
            times.push(r.elapsed.as_secs_f64() * 1e3);
        }
        // The first request made the view; the others zoom back to it.
        let first = times.remove(0);
        times.sort_by(f64::total_cmp);
        (first, percentile(&times, 50.0))
    };
    rows.push(row(
        format!(
            "Solution1D of {} points: zoom back into a range viewed before",
            w.huge_1d_points
        ),
        format!("p50 {} (first time {})", ms(zoom_back.1), ms(zoom_back.0)),
        "p50 < 30 ms",
        Some(zoom_back.1 < 30.0),
    ));
    // The full data of the longest series, as a program downloads it (issue 19): written as it is read.
    let d = super::client::download(
        addr,
        &format!("/api/result?id={}", w.huge_1d),
        monitor.pid(),
    )
    .await?;
    anyhow::ensure!(d.status == 200, "/api/result answered {}", d.status);
    let first_byte = d.first_byte.as_secs_f64() * 1e3;
    rows.push(row(
        format!(
            "GET /api/result of a Solution1D of {} points (the full data as JSON)",
            w.huge_1d_points
        ),
        format!(
            "first byte {}, all {:.0} MB in {:.1} s; server RSS +{:.1} MB while it was read",
            ms(first_byte),
            d.bytes as f64 / 1e6,
            d.elapsed.as_secs_f64(),
            d.rss_growth_mb
        ),
        "first byte < 20 ms, RSS growth < 20 MB",
        Some(first_byte < 20.0 && d.rss_growth_mb < 20.0),
    ));
    // Growing results (issue 18): the same length growing, and one writer watched by many pages.
    rows.extend(
        super::growing::scenarios(
            addr,
            monitor.pid(),
            storage,
            w.huge_1d_points,
            Some(t1d),
            plan.watched_growth,
            plan.strict,
        )
        .await?,
    );
    let (t2d, _) = reduce(w.huge_2d).await?;
    rows.push(row(
        format!(
            "Solution2D {0} × {0} f64: request → reduced grid",
            w.huge_2d_side
        ),
        format!("p50 {}", ms(t2d)),
        "< 500 ms",
        Some(t2d < 500.0),
    ));
    // How the 1-D figure grows with the series' length.
    let growth_run = storage.create_run("growth", None, None)?;
    for &n in &plan.point_growth {
        let x: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let y: Vec<f64> = x.iter().map(|v| (v * 1e-3).sin()).collect();
        let id = storage.add_result(
            growth_run.id,
            crate::model::ResultType::Solution1D,
            [
                ("x".to_owned(), DataValue::from(x)),
                ("computed".to_owned(), DataValue::from(y)),
            ],
            json!({}),
        )?;
        let (t, _) = reduce(id).await?;
        rows.push(row(
            format!("  growth: Solution1D of {n} points"),
            format!("p50 {}", ms(t)),
            "",
            None,
        ));
        let d =
            super::client::download(addr, &format!("/api/result?id={id}"), monitor.pid()).await?;
        anyhow::ensure!(d.status == 200, "/api/result answered {}", d.status);
        rows.push(row(
            format!("  growth: GET /api/result of a Solution1D of {n} points"),
            format!(
                "first byte {}, all {:.1} MB in {}; RSS +{:.1} MB",
                ms(d.first_byte.as_secs_f64() * 1e3),
                d.bytes as f64 / 1e6,
                ms(d.elapsed.as_secs_f64() * 1e3),
                d.rss_growth_mb
            ),
            "",
            None,
        ));
    }

    // Live: a result written by this process (another than the monitor) → its SSE event at every client.
    for &clients in &plan.sse_clients {
        let (p50, p99, received, expected) =
            super::sse::sse_latency(addr, storage, w.page_run, clients).await?;
        anyhow::ensure!(
            !plan.strict || received == expected,
            "{received} of {expected} live events arrived"
        );
        let target = clients == plan.sse_target_clients;
        rows.push(row(
            format!("write → SSE event, {clients} clients connected"),
            format!(
                "p50 {}, p99 {} ({received}/{expected} events)",
                ms(p50),
                ms(p99)
            ),
            if target {
                "p50 < 50 ms, p99 < 250 ms"
            } else {
                ""
            },
            target.then_some(p50 < 50.0 && p99 < 250.0 && received == expected),
        ));
    }
    let rss = monitor.rss_mb().unwrap_or(f64::NAN);
    rows.push(row(
        "memory after all of the above",
        format!("{rss:.0} MB RSS"),
        "",
        None,
    ));
    Ok(rows)
}
