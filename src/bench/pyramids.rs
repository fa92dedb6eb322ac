//! Issue 19's pyramid figures: for `Solution1D`s of 10⁵ … 10⁸ points (x, computed with planted spikes,
//! expected) on a storage and a monitor of their own, the pyramid's build (timed in this process, on every
//! core), the first view through the monitor (which builds it), views at new widths and zooms with the pyramid
//! present, and the monitor's resident memory — now and its peak — after serving them all.

use std::net::SocketAddr;
use std::time::Instant;

use serde_json::json;

use super::client::{memory_mb, request};
use super::percentile;
use super::scenarios::{ms, row, Monitor, Row};
use crate::model::{ResultId, ResultType};
use crate::storage::{AsgardStorage, DataValue};

/// Writes a `Solution1D` of `n` points over x in [0, 1).
fn write(storage: &AsgardStorage, n: usize) -> anyhow::Result<ResultId> {
    let run = storage.create_run(&format!("pyramid {n}"), None, None)?;
    let x: Vec<f64> = (0..n).map(|i| i as f64 / n as f64).collect();
    let expected: Vec<f64> = x.iter().map(|v| (v * 40.0).sin()).collect();
    let mut computed: Vec<f64> = expected.iter().map(|v| v + 1e-3).collect();
    for k in 1..10 {
        computed[n * k / 10 + k] = 5.0 * k as f64;
    }
    Ok(storage.add_result(
        run.id,
        ResultType::Solution1D,
        [
            ("x".to_owned(), DataValue::from(x)),
            ("computed".to_owned(), DataValue::from(computed)),
            ("expected".to_owned(), DataValue::from(expected)),
        ],
        json!({}),
    )?)
}

/// Asks the monitor for a view as a plot does: how long it took, in ms.
async fn view(
    addr: SocketAddr,
    id: ResultId,
    columns: usize,
    window: Option<(f64, f64)>,
) -> anyhow::Result<f64> {
    let body =
        json!({"id": id.to_string(), "columns": columns, "view": window, "time_index": null})
            .to_string();
    let r = request(addr, "POST", "/_fn/result_view", Some(&body)).await?;
    anyhow::ensure!(
        r.status == 200,
        "result_view answered {}: {}",
        r.status,
        String::from_utf8_lossy(&r.body)
    );
    Ok(r.elapsed.as_secs_f64() * 1e3)
}

/// The rows for series of each length in `sizes`; the targets are the (10⁶ < 5 ms, 10⁷ < 10 ms,
/// 10⁸ < 50 ms with RSS < 200 MB, a build of 10⁷ < 150 ms).
pub(super) async fn scenarios(sizes: &[usize]) -> anyhow::Result<Vec<Row>> {
    let dir = tempfile::tempdir()?;
    let storage = AsgardStorage::open(dir.path())?;
    let mut results = Vec::new();
    for &n in sizes {
        let started = Instant::now();
        let id = write(&storage, n)?;
        eprintln!(
            "wrote a Solution1D of {n} points in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        results.push((n, id));
    }
    let (monitor, _) = Monitor::start_with(dir.path().as_os_str(), &[])?;
    let (addr, pid) = (monitor.addr, monitor.pid());
    let mut rows = Vec::new();
    for &(n, id) in &results {
        // The build alone, in this process (the monitor idle), three times.
        let mut builds = Vec::new();
        for _ in 0..3 {
            let started = Instant::now();
            let pyramid = storage
                .line_pyramid(id)?
                .ok_or_else(|| anyhow::anyhow!("a Solution1D of {n} points has no pyramid"))?;
            builds.push(started.elapsed().as_secs_f64() * 1e3);
            anyhow::ensure!(pyramid.rows() == n, "a pyramid of {} rows", pyramid.rows());
        }
        builds.sort_by(f64::total_cmp);
        let build = percentile(&builds, 50.0);
        rows.push(row(
            format!("building the pyramid of a Solution1D of {n} points (x, computed, expected)"),
            format!("p50 {} of 3", ms(build)),
            if n == 10_000_000 { "< 150 ms" } else { "" },
            (n == 10_000_000).then_some(build < 150.0),
        ));

        // The monitor's first view builds it; then views at widths and zooms not asked for before.
        let first = view(addr, id, 1152, None).await?;
        let mut times = Vec::new();
        for i in 0..20usize {
            let window = match i % 4 {
                0 => None,
                // Zooms of 1/10, 1/1,000 and 1/100,000 of the series, at different places.
                k => {
                    let width = 10f64.powi(-(2 * k as i32 - 1));
                    let at = (i as f64 * 0.047) % (1.0 - width);
                    Some((at, at + width))
                }
            };
            times.push(view(addr, id, 1153 + i, window).await?);
        }
        times.sort_by(f64::total_cmp);
        let (p50, worst) = (percentile(&times, 50.0), times[times.len() - 1]);
        let target = match n {
            1_000_000 => Some(5.0),
            10_000_000 => Some(10.0),
            100_000_000 => Some(50.0),
            _ => None,
        };
        rows.push(row(
            format!("first view of a Solution1D of {n} points, the pyramid present"),
            format!(
                "p50 {}, slowest {} of 20 new widths and zooms (the very first view, building it: {})",
                ms(p50),
                ms(worst),
                ms(first)
            ),
            &target.map_or(String::new(), |t| format!("p50 < {t} ms")),
            target.map(|t| p50 < t),
        ));
    }
    let (rss, peak) = (
        memory_mb(pid, "VmRSS:").unwrap_or(f64::NAN),
        memory_mb(pid, "VmHWM:").unwrap_or(f64::NAN),
    );
    let largest = sizes.iter().copied().max().unwrap_or(0);
    rows.push(row(
        format!("monitor memory serving those views (up to {largest} points)"),
        format!("{rss:.0} MB RSS after, peak {peak:.0} MB"),
        if largest >= 100_000_000 {
            "< 200 MB"
        } else {
            ""
        },
        (largest >= 100_000_000).then_some(peak < 200.0),
    ));
    drop(monitor);
    Ok(rows)
}
