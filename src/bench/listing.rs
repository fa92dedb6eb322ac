//! The run list's scenarios: the cold start until `/api/runs` lists every run, and `/api/runs` (whole, a page, a
//! query) under concurrent keep-alive clients.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::client::{get, Connection};
use super::percentile;

/// The query of the query benchmark: three conditions on the generated metadata, a sort, the first page.
pub(super) const QUERY_PATH: &str = "/api/runs?q=meta.solver%20%3D%20rk4%20AND%20meta.dt%20%3C%201e-3%20AND%20status%20%3D%20completed&sort=meta.error&limit=100";

/// From the monitor's start until `/api/runs` lists `runs` runs, in ms.
pub(super) async fn cold_start(
    addr: SocketAddr,
    runs: usize,
    started: Instant,
) -> anyhow::Result<f64> {
    loop {
        // Plain JSON, to count the runs listed.
        if let Ok(r) = super::client::send(addr, "GET", "/api/runs", None, false).await {
            let listed = count(&r.body, b"\"result_count\"");
            if r.status == 200 && listed == runs {
                return Ok(started.elapsed().as_secs_f64() * 1e3);
            }
        }
        if started.elapsed() > Duration::from_secs(120) {
            anyhow::bail!("/api/runs did not list {runs} runs within 2 minutes");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

pub(super) fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

/// `clients` tasks, each on its own keep-alive connection, requesting `path` `requests` times:
/// (p50 ms, p99 ms, errors, response bytes). A failed request is counted and its connection replaced.
pub(super) async fn api_runs(
    addr: SocketAddr,
    path: &'static str,
    clients: usize,
    requests: usize,
) -> anyhow::Result<(f64, f64, usize, usize)> {
    let bytes = get(addr, path).await?.body.len();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            let mut connection = Connection::open(addr).await.ok();
            for _ in 0..requests {
                let answer = match connection.as_mut() {
                    Some(c) => c.get(path).await.ok(),
                    None => None,
                };
                out.push(match answer {
                    Some(r) if r.status == 200 => Some(r.elapsed.as_secs_f64() * 1e3),
                    _ => {
                        connection = Connection::open(addr).await.ok();
                        None
                    }
                });
            }
            out
        }));
    }
    let mut times = Vec::new();
    let mut errors = 0;
    for t in tasks {
        for r in t.await? {
            match r {
                Some(ms) => times.push(ms),
                None => errors += 1,
            }
        }
    }
    times.sort_by(f64::total_cmp);
    Ok((
        percentile(&times, 50.0),
        percentile(&times, 99.0),
        errors,
        bytes,
    ))
}

/// The first whole `/api/runs` after a change (issue 19): `changes` times, a run of the workload is tagged by
/// this process (as another program would), and after the monitor has taken it in, one request (plain, or
/// accepting gzip) is timed: it is the one that makes the listing again; then the same request again, answered
/// from the listing kept, for what the body's transfer alone costs. Each first answer is checked to hold the
/// new tag. p50s in ms: (first plain, first gzip, next plain, next gzip).
pub(super) async fn after_a_change(
    addr: SocketAddr,
    storage: &crate::storage::AsgardStorage,
    changes: usize,
) -> anyhow::Result<[f64; 4]> {
    use std::io::Read;
    let runs = storage.list_run_ids()?;
    anyhow::ensure!(!runs.is_empty(), "no runs to change");
    let (mut plain, mut gzipped, mut plain_next, mut gzipped_next) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for k in 0..2 * changes {
        let tag = format!("changed-{k}-{}", std::process::id());
        storage.add_tags(runs[(k * 7_919) % runs.len()], &[tag.as_str()])?;
        // The watcher's debounce is 15 ms; the index takes a changed run in well under that.
        tokio::time::sleep(Duration::from_millis(400)).await;
        let gzip = k % 2 == 1;
        let answer = super::client::send(addr, "GET", "/api/runs", None, gzip).await?;
        anyhow::ensure!(answer.status == 200, "/api/runs answered {}", answer.status);
        let body = if gzip {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&answer.body[..]).read_to_end(&mut out)?;
            out
        } else {
            answer.body.clone()
        };
        anyhow::ensure!(
            count(&body, tag.as_bytes()) == 1,
            "the listing after a change does not hold the new tag"
        );
        let again = super::client::send(addr, "GET", "/api/runs", None, gzip).await?;
        let ms = |r: &super::client::Response| r.elapsed.as_secs_f64() * 1e3;
        let (first, next) = if gzip {
            (&mut gzipped, &mut gzipped_next)
        } else {
            (&mut plain, &mut plain_next)
        };
        first.push(ms(&answer));
        next.push(ms(&again));
    }
    Ok([plain, gzipped, plain_next, gzipped_next].map(|mut times| {
        times.sort_by(f64::total_cmp);
        percentile(&times, 50.0)
    }))
}
