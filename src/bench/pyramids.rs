//! Issue 19's pyramid figures: for `Solution1D`s of 10⁵ … 10⁸ points (x, computed with planted spikes,
//! expected) on a storage and a monitor of their own, the pyramid's build (timed in this process, on every
//! core), the first view through the monitor (which builds it), views at new widths and zooms with the pyramid
//! present; for heatmaps of the sizes' sides, the same at zooms of 1 to 1/256 of each side; and the monitor's
//! resident memory — now and its peak — after serving them all.

use std::net::SocketAddr;
use std::time::Instant;

use serde_json::json;

use super::client::{memory_mb, request};
use super::percentile;
use super::scenarios::{ms, row, Monitor, Row};
use crate::model::{ResultId, ResultType};
use crate::plots::solution2d::Solution2D;
use crate::plots::stats::finite_range;
use crate::plots::view::{PlotData, Zoom};
use crate::storage::pyramid::ResultPyramid;
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

/// Writes a `Solution2D` of `side` × `side` cells over x and y in [0, 1), smooth but for one hot cell (9.0)
/// and one cold cell (-7.0).
fn write_grid(storage: &AsgardStorage, side: usize) -> anyhow::Result<ResultId> {
    let run = storage.create_run(&format!("heatmap {side}²"), None, None)?;
    let axis: Vec<f64> = (0..side).map(|i| i as f64 / side as f64).collect();
    let mut values: Vec<f64> = (0..side * side)
        .map(|i| ((i / side) as f64 * 0.01).sin() * ((i % side) as f64 * 0.013).cos())
        .collect();
    values[(side / 3) * side + side / 5] = 9.0;
    values[(side * 4 / 5) * side + side * 2 / 3] = -7.0;
    Ok(storage.add_result(
        run.id,
        ResultType::Solution2D,
        [
            ("x".to_owned(), DataValue::from(axis.clone())),
            ("y".to_owned(), DataValue::from(axis)),
            (
                "values".to_owned(),
                DataValue::from(ndarray::Array2::from_shape_vec((side, side), values)?),
            ),
        ],
        json!({}),
    )?)
}

/// Asks the monitor for a view as a plot does: how long it took, in ms.
pub(super) async fn view(
    addr: SocketAddr,
    id: ResultId,
    columns: usize,
    window: Option<(f64, f64)>,
) -> anyhow::Result<f64> {
    Ok(view_of(addr, id, columns, Zoom::from(window)).await?.0)
}

/// Asks the monitor for a view of `zoom` as a plot does: how long it took, in ms, and the view.
async fn view_of(
    addr: SocketAddr,
    id: ResultId,
    columns: usize,
    zoom: Zoom,
) -> anyhow::Result<(f64, PlotData)> {
    let body = json!({"id": id.to_string(), "columns": columns, "view": zoom.x, "y_view": zoom.y,
        "time_index": null})
    .to_string();
    let r = request(addr, "POST", "/_fn/result_view", Some(&body)).await?;
    anyhow::ensure!(
        r.status == 200,
        "result_view answered {}: {}",
        r.status,
        String::from_utf8_lossy(&r.body)
    );
    Ok((
        r.elapsed.as_secs_f64() * 1e3,
        postcard::from_bytes(&r.body)?,
    ))
}

/// How far each heatmap view zooms in: the part of each side it shows is 1/this.
const GRID_ZOOMS: [usize; 8] = [1, 2, 4, 8, 16, 32, 64, 256];

/// The rows for a heatmap of `side`² cells: building its pyramid (in this process), its first view through
/// the monitor (which builds it), and views at each zoom of [`GRID_ZOOMS`] at new widths and places. The
/// target is the for 4096²: any zoom level < 20 ms.
async fn heatmap(
    storage: &AsgardStorage,
    (addr, id): (SocketAddr, ResultId),
    side: usize,
) -> anyhow::Result<Vec<Row>> {
    let mut rows = Vec::new();
    let mut builds = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let pyramid = storage.pyramid(id)?;
        builds.push(started.elapsed().as_secs_f64() * 1e3);
        anyhow::ensure!(
            matches!(pyramid, Some(ResultPyramid::Heatmap(_))),
            "a {side}² Solution2D has no pyramid"
        );
    }
    builds.sort_by(f64::total_cmp);
    rows.push(row(
        format!("building the pyramid of a {side}² Solution2D"),
        format!("p50 {} of 3", ms(percentile(&builds, 50.0))),
        "",
        None,
    ));
    let (first, whole) = view_of(addr, id, 1152, Zoom::default()).await?;
    let data = Solution2D::from_view(&whole).map_err(anyhow::Error::msg)?;
    let (lo, hi) = finite_range([data.values.as_slice()]);
    anyhow::ensure!(
        (lo, hi) == (-7.0, 9.0),
        "the whole view of a {side}² grid lost a planted cell: its range is {lo}…{hi}"
    );
    let mut levels = Vec::new();
    let mut worst = 0f64;
    for (k, &zoom) in GRID_ZOOMS.iter().enumerate() {
        let mut times = Vec::new();
        for i in 0..5 {
            let width = 1.0 / zoom as f64;
            let at = |salt: f64| ((i as f64 * 0.173 + salt) % 1.0) * (1.0 - width);
            let window = Zoom {
                x: (zoom > 1).then(|| (at(0.0), at(0.0) + width)),
                y: (zoom > 1).then(|| (at(0.31), at(0.31) + width)),
            };
            let columns = 1153 + k * 5 + i;
            times.push(view_of(addr, id, columns, window).await?.0);
        }
        times.sort_by(f64::total_cmp);
        let p50 = percentile(&times, 50.0);
        worst = worst.max(p50);
        levels.push(format!("×{zoom} {}", ms(p50)));
    }
    let target = side == 4096;
    rows.push(row(
        format!("view of a {side}² Solution2D at each zoom, the pyramid present (p50 of 5 new widths and places)"),
        format!(
            "{} (the very first view, building it: {})",
            levels.join(", "),
            ms(first)
        ),
        if target { "every zoom < 20 ms" } else { "" },
        target.then_some(worst < 20.0),
    ));
    Ok(rows)
}

/// The rows for series of each length in `sizes`; the targets are the (10⁶ < 5 ms, 10⁷ < 10 ms,
/// 10⁸ < 50 ms with RSS < 200 MB, a build of 10⁷ < 150 ms).
pub(super) async fn scenarios(sizes: &[usize], sides: &[usize]) -> anyhow::Result<Vec<Row>> {
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
    let mut grids = Vec::new();
    for &side in sides {
        let started = Instant::now();
        grids.push((side, write_grid(&storage, side)?));
        eprintln!(
            "wrote a {side}² Solution2D in {:.1} s",
            started.elapsed().as_secs_f64()
        );
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
    let memory = || {
        format!(
            "{:.0} MB RSS after, peak {:.0} MB",
            memory_mb(pid, "VmRSS:").unwrap_or(f64::NAN),
            memory_mb(pid, "VmHWM:").unwrap_or(f64::NAN)
        )
    };
    let (after_series, peak) = (memory(), memory_mb(pid, "VmHWM:").unwrap_or(f64::NAN));
    let largest = sizes.iter().copied().max().unwrap_or(0);
    rows.push(row(
        format!("monitor memory serving those views (up to {largest} points)"),
        after_series,
        if largest >= 100_000_000 {
            "< 200 MB"
        } else {
            ""
        },
        (largest >= 100_000_000).then_some(peak < 200.0),
    ));
    for &(side, id) in &grids {
        rows.extend(heatmap(&storage, (addr, id), side).await?);
    }
    if !grids.is_empty() {
        // Bounded by the caches: pyramids 96 MB, views 64 MB (a full-width heatmap's view is ~3 MB).
        rows.push(row(
            "monitor memory after the heatmaps' views too (pyramid cache 96 MB, view cache 64 MB)",
            memory(),
            "",
            None,
        ));
    }
    drop(monitor);
    Ok(rows)
}
