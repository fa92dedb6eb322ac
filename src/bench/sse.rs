//! The live-update scenario of the benchmark: SSE clients connected to the real monitor, results written by this
//! process as another writer would, and each event's delay from the write's return to its arrival at each client.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use super::percentile;
use crate::model::{ResultType, RunId};
use crate::storage::{AsgardStorage, DataValue};

/// Connects `clients` SSE clients, writes results into `run`, and measures each event's delay at each client:
/// (p50 ms, p99 ms, events received, events expected).
pub(super) async fn sse_latency(
    addr: SocketAddr,
    storage: &AsgardStorage,
    run: RunId,
    clients: usize,
) -> anyhow::Result<(f64, f64, usize, usize)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    const WRITES: usize = 10;
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<()>(clients);
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let ready = ready_tx.clone();
        tasks.push(tokio::spawn(async move {
            let mut seen: Vec<(String, Instant)> = Vec::new();
            let Ok(mut stream) = tokio::net::TcpStream::connect(addr).await else {
                let _ = ready.send(()).await;
                return seen;
            };
            let head = format!(
                "GET /api/updates HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n"
            );
            if stream.write_all(head.as_bytes()).await.is_err() {
                let _ = ready.send(()).await;
                return seen;
            }
            let mut text = String::new();
            let mut buf = vec![0u8; 16 * 1024];
            let mut announced = false;
            let deadline = Instant::now() + Duration::from_secs(30);
            while seen.len() < WRITES && Instant::now() < deadline {
                let Ok(Ok(n)) =
                    tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf)).await
                else {
                    break;
                };
                if n == 0 {
                    break;
                }
                let now = Instant::now();
                text.push_str(&String::from_utf8_lossy(&buf[..n]));
                if !announced && text.contains("event: ready") {
                    announced = true;
                    let _ = ready.send(()).await;
                }
                while let Some(i) = text.find("\"result_id\":\"") {
                    let start = i + "\"result_id\":\"".len();
                    if text.len() < start + 36 {
                        break;
                    }
                    let id = text[start..start + 36].to_owned();
                    if !seen.iter().any(|(s, _)| *s == id) {
                        seen.push((id, now));
                    }
                    text.drain(..start + 36);
                }
            }
            if !announced {
                let _ = ready.send(()).await;
            }
            seen
        }));
    }
    drop(ready_tx);
    for _ in 0..clients {
        ready_rx.recv().await;
    }
    // The writes: each timed when it returns, as a writer in another process would see it complete.
    let written: Arc<Mutex<Vec<(String, Instant)>>> = Arc::default();
    let storage = storage.clone();
    let log = written.clone();
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        for k in 0..WRITES {
            std::thread::sleep(Duration::from_millis(200));
            let id = storage.add_result(
                run,
                ResultType::DiscreteSequence,
                [(
                    "values".to_owned(),
                    DataValue::from(vec![k as f64, 1.0, 2.0]),
                )],
                json!({"title": "live"}),
            )?;
            log.lock()
                .expect("log")
                .push((id.to_string(), Instant::now()));
        }
        Ok(())
    })
    .await??;
    let written = written.lock().expect("log").clone();
    let mut delays = Vec::new();
    for t in tasks {
        for (id, at) in t.await? {
            if let Some((_, wrote)) = written.iter().find(|(w, _)| *w == id) {
                delays.push(at.saturating_duration_since(*wrote).as_secs_f64() * 1e3);
            }
        }
    }
    delays.sort_by(f64::total_cmp);
    Ok((
        percentile(&delays, 50.0),
        percentile(&delays, 99.0),
        delays.len(),
        clients * WRITES,
    ))
}
