//! Full-data downloads written as they are read (`storage::download`, `server::streamed`): the JSON is byte for
//! byte the whole result's, the CSV holds every value, and a download of 10⁷ points through the real monitor
//! keeps its memory flat and stops when the client goes away.

use std::io::{BufRead, Read, Write};
use std::process::Stdio;
use std::time::{Duration, Instant};

use asgard::model::ResultType;
use asgard::storage::json::{to_text, NonFinite};
use asgard::storage::series::Row;
use asgard::storage::{payload_to_json, AsgardStorage, DataValue, NpyArray};
use ndarray::{Array2, ShapeBuilder};
use serde_json::json;

use crate::support::{display, start_monitor, temp_storage};

/// Results of every kind a download meets: arrays in files (with NaN and ±∞), a Fortran-order grid, inline
/// numbers, JSON fields, an empty array, and a growing result read from folds and chunks.
fn results(storage: &AsgardStorage) -> Vec<asgard::model::ResultId> {
    let run = storage.create_run("downloads", None, None).unwrap();
    let n = 5_000;
    let x: Vec<f64> = (0..n).map(|i| i as f64 * 1e-3).collect();
    let mut computed: Vec<f64> = x.iter().map(|v| (v * 7.0).sin() * 1e5).collect();
    computed[17] = f64::NAN;
    computed[4_000] = f64::INFINITY;
    computed[4_001] = f64::NEG_INFINITY;
    computed[9] = -0.0;
    let mut ids = vec![storage
        .add_result(
            run.id,
            "Solution1D",
            [
                ("x".to_owned(), x.clone().into()),
                ("computed".to_owned(), computed.clone().into()),
                ("expected".to_owned(), DataValue::from(vec![0.5f32; n])),
            ],
            json!({"title": "wave", "labels": {"x": "x", "y": "u"}}),
        )
        .unwrap()];
    let grid =
        Array2::from_shape_vec((40, 60).f(), (0..2_400).map(|i| i as f64 / 7.0).collect()).unwrap();
    ids.push(
        storage
            .clone()
            .with_inline_threshold(0)
            .add_result(
                run.id,
                "Solution2D",
                [
                    ("values".to_owned(), NpyArray::from(grid).into()),
                    ("x".to_owned(), vec![0i32; 60].into()),
                    ("y".to_owned(), vec![1i64; 40].into()),
                ],
                display("grid"),
            )
            .unwrap(),
    );
    ids.push(
        storage
            .add_result(
                run.id,
                "OptimizationResult",
                [
                    ("loss".to_owned(), vec![3.0, 2.5, f64::NAN].into()),
                    (
                        "params".to_owned(),
                        NpyArray::from(
                            Array2::from_shape_vec((3, 2), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
                                .unwrap(),
                        )
                        .into(),
                    ),
                    ("param_names".to_owned(), json!(["a", "b"]).into()),
                    ("empty".to_owned(), Vec::<f64>::new().into()),
                ],
                json!({"title": "descent", "weights": [1, 2.5]}),
            )
            .unwrap(),
    );
    // 200 chunks of 20 rows: three level-1 folds (arrays in files), the chunks after them inline.
    let series = storage
        .open_result(run.id, ResultType::Solution1D, [], display("growing"))
        .unwrap();
    for i in 0..4_000 {
        let v = i as f64;
        series
            .append([
                ("x", Row::from(v)),
                (
                    "computed",
                    Row::from(if i == 77 { f64::NAN } else { v.sqrt() }),
                ),
            ])
            .unwrap();
        if i % 20 == 19 {
            series.flush().unwrap();
        }
    }
    series.flush().unwrap();
    ids.push(series.id());
    ids
}

#[test]
fn a_download_is_byte_for_byte_the_whole_result_and_its_csv_holds_every_value() {
    let (_dir, storage) = temp_storage();
    let ids = results(&storage);
    let growing = storage.row_shapes(ids[3]).unwrap();
    assert!(
        growing.next >= 200,
        "{} chunks: folds and chunks",
        growing.next
    );
    for &id in &ids {
        let payload = storage.get_result(id).unwrap();
        let download = storage.download(id).unwrap();
        for style in [NonFinite::Literal, NonFinite::String, NonFinite::Null] {
            let mut streamed = Vec::new();
            download.write_json(style, &mut streamed).unwrap();
            let whole = to_text(&payload_to_json(&payload), style, false);
            assert!(
                streamed == whole,
                "{id} ({style:?}):\n{}\nagainst\n{}",
                String::from_utf8_lossy(&streamed[..streamed.len().min(400)]),
                String::from_utf8_lossy(&whole[..whole.len().min(400)])
            );
        }
        // The CSV of each numeric field has its every value, in order (NaN as an empty cell).
        for (name, field) in &payload.fields {
            let asgard::model::FieldValue::Array(array) = field else {
                assert!(download
                    .csv_columns(Some(name))
                    .unwrap_err()
                    .contains("not numeric"));
                continue;
            };
            let mut csv = Vec::new();
            download.write_csv(Some(name), &mut csv).unwrap();
            let text = String::from_utf8(csv).unwrap();
            let width = match array.shape.as_slice() {
                [.., w] if array.shape.len() > 1 => *w,
                _ => 1,
            };
            let lead = array.shape.len().saturating_sub(1);
            let cells: Vec<Option<f64>> = text
                .lines()
                .skip(1)
                .flat_map(|line| {
                    line.split(',')
                        .skip(lead)
                        .map(|c| c.parse().ok())
                        .collect::<Vec<_>>()
                })
                .collect();
            assert_eq!(
                cells.len(),
                array.values.len().max(usize::from(array.shape.is_empty())),
                "{name}"
            );
            for (cell, v) in cells.iter().zip(&array.values) {
                match cell {
                    None => assert!(v.is_nan(), "{name}: {v}"),
                    Some(c) => assert_eq!(c, v, "{name}"),
                }
            }
            assert_eq!(
                text.lines().count(),
                1 + array.values.len() / width.max(1),
                "{name}"
            );
        }
    }
    // Side by side: the 1-D fields of the first one's length.
    let download = storage.download(ids[0]).unwrap();
    let mut csv = Vec::new();
    download.write_csv(None, &mut csv).unwrap();
    let text = String::from_utf8(csv).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "x,computed,expected");
    assert_eq!(lines.len(), 5_001);
    assert_eq!(lines[18], "0.017,,0.5");
    assert_eq!(lines[4_001], "4,inf,0.5");
    assert!(
        storage.download(ids[1]).unwrap().csv_columns(None).is_ok(),
        "x and y"
    );
}

/// What `/proc` says of a process: its resident memory and the bytes it has read, in bytes.
fn proc_figures(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let rss = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .unwrap()
        * 1024;
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).unwrap();
    let read = io
        .lines()
        .find_map(|l| l.strip_prefix("rchar:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap();
    (rss, read)
}

/// Issue 19: `GET /api/result` of 10⁷ points (a 160 MB result, ~197 MB of JSON) through the real monitor. Its
/// resident memory grows by far less than the body while the whole body is read (built in memory, it grew by
/// ~400 MB), the body ends as the result does, and a client that leaves after the first megabyte stops the
/// work: the monitor reads no more of the arrays.
#[test]
fn a_download_of_ten_million_points_keeps_memory_flat_and_stops_when_the_client_leaves() {
    let (_dir, storage) = temp_storage();
    let run = storage.create_run("huge", None, None).unwrap();
    let n = 10_000_000;
    let x: Vec<f64> = (0..n).map(|i| i as f64).collect();
    let computed: Vec<f64> = x.iter().map(|v| v * 0.5).collect();
    let id = storage
        .add_result(
            run.id,
            "Solution1D",
            [
                ("x".to_owned(), x.into()),
                ("computed".to_owned(), computed.into()),
            ],
            display("huge"),
        )
        .unwrap();
    let (mut monitor, addr, _stdout) = start_monitor(&storage, Stdio::null());
    let pid = monitor.id();
    let request =
        format!("GET /api/result?id={id} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");

    let (rss_before, _) = proc_figures(pid);
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut reader = std::io::BufReader::with_capacity(1 << 20, stream);
    let mut head = String::new();
    while reader.read_line(&mut head).unwrap() > 2 && !head.ends_with("\r\n\r\n") {}
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("transfer-encoding: chunked"),
        "{head}"
    );
    let mut body = 0usize;
    let mut tail = Vec::new();
    let mut peak = rss_before;
    let mut buffer = vec![0u8; 1 << 20];
    let started = Instant::now();
    loop {
        let got = reader.read(&mut buffer).unwrap();
        if got == 0 {
            break;
        }
        body += got;
        tail.extend_from_slice(&buffer[..got]);
        if tail.len() > 4096 {
            tail.drain(..tail.len() - 4096);
        }
        peak = peak.max(proc_figures(pid).0);
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "the download takes too long"
        );
    }
    let growth = peak.saturating_sub(rss_before);
    let tail = String::from_utf8_lossy(&tail);
    assert!(body > 190_000_000, "{body} bytes");
    assert!(
        tail.contains("4999999.5]"),
        "the last value ends the body: …{tail}"
    );
    assert!(
        growth < 100 << 20,
        "the monitor's memory grew by {} MB while it sent {} MB",
        growth >> 20,
        body >> 20
    );

    // A client that leaves after the first megabyte: the monitor stops reading the arrays.
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut first = vec![0u8; 1 << 20];
    stream.read_exact(&mut first).unwrap();
    drop(stream);
    std::thread::sleep(Duration::from_millis(500));
    let (_, read_then) = proc_figures(pid);
    std::thread::sleep(Duration::from_secs(2));
    let (_, read_later) = proc_figures(pid);
    assert!(
        read_later - read_then < 4 << 20,
        "the monitor went on reading {} MB after the client left",
        (read_later - read_then) >> 20
    );
    monitor.kill().unwrap();
    monitor.wait().unwrap();
}
