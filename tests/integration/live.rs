//! Live updates through a real server on a loopback port: the watcher sees writes from other processes and
//! `/api/updates` streams them.

use std::time::Duration;

use asgard::index::{watch, Index, WatchMode};
use asgard::model::StorageEvent;
use asgard::server::{serve, Guard};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;

use crate::support::{asgard, path_str, read_sse_until, site_options, temp_storage};

async fn live_round_trip(mode: WatchMode) {
    let (_dir, storage) = temp_storage();
    let index = Index::build(storage.clone()).unwrap();
    let _watcher = watch(index.clone(), mode).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(serve(
        listener,
        index.clone(),
        site_options(),
        Guard::loopback(),
        async {
            let _ = stopped.await;
        },
    ));

    let mut sse = TcpStream::connect(addr).await.unwrap();
    sse.write_all(
        b"GET /api/updates HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n",
    )
    .await
    .unwrap();
    let mut received = String::new();
    assert!(
        read_sse_until(&mut sse, &mut received, |r| r.contains("event: ready")).await,
        "no ready event: {received}"
    );

    // Another process writes runs with results through the Rust API: the basic examples.
    let out = asgard(&[
        "example",
        "-c",
        "basic",
        "--storage",
        path_str(storage.root()),
    ])
    .wait_with_output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run_ids = storage.list_run_ids().unwrap();
    assert_eq!(run_ids.len(), 3);
    for id in &run_ids {
        let event = serde_json::to_string(&StorageEvent::RunCreated { run_id: *id }).unwrap();
        assert!(
            read_sse_until(&mut sse, &mut received, |r| r.contains(&event)).await,
            "run_created for {id} did not arrive: {received}"
        );
    }
    assert_eq!(index.len(), 3, "the index follows the disk");

    // A result appended by another process arrives as result_added, with its ids.
    let run = run_ids[0];
    let out = asgard(&[
        "append",
        "--storage",
        path_str(storage.root()),
        "--into",
        &run.to_string(),
        "--count",
        "1",
    ])
    .wait_with_output()
    .unwrap();
    assert!(out.status.success());
    let result = *storage.read_run(run).unwrap().results.last().unwrap();
    let added = serde_json::to_string(&StorageEvent::ResultAdded {
        run_id: run,
        result_id: result,
    })
    .unwrap();
    assert!(
        read_sse_until(&mut sse, &mut received, |r| r.contains(&added)).await,
        "no result_added: {received}"
    );

    // Removing a file by hand is a deletion like any other.
    std::fs::remove_file(storage.run_path(run)).unwrap();
    let deleted = serde_json::to_string(&StorageEvent::RunDeleted { run_id: run }).unwrap();
    assert!(
        read_sse_until(&mut sse, &mut received, |r| r.contains(&deleted)).await,
        "no run_deleted: {received}"
    );

    // Shutting down ends the stream, so the server stops promptly.
    stop.send(()).unwrap();
    let mut rest = String::new();
    let ended = tokio::time::timeout(Duration::from_secs(5), sse.read_to_string(&mut rest)).await;
    assert!(ended.is_ok(), "the SSE stream did not end on shutdown");
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("server stops")
        .unwrap()
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_by_other_processes_arrive_as_events() {
    live_round_trip(WatchMode::Native).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_mode_sees_the_same_changes() {
    live_round_trip(WatchMode::Poll(Duration::from_millis(50))).await;
}

/// The watcher reports opens too: the index's own reads must not count as changes, or every file it reads
/// would be read again, forever (it was: about 60 reads a second per file, and all of them after a cold start).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_index_reading_a_file_is_not_a_change_to_it() {
    let (_dir, storage) = temp_storage();
    let runs: Vec<_> = (0..20)
        .map(|i| storage.create_run(&format!("r{i}"), None, None).unwrap().id)
        .collect();
    let index = Index::build(storage.clone()).unwrap();
    let _watcher = watch(index.clone(), WatchMode::Native).unwrap();
    // Others read the files too (the API, another program): opens, no changes.
    for id in &runs {
        storage.read_run(*id).unwrap();
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let settled = index.files_read();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        index.files_read(),
        settled,
        "the index kept re-reading unchanged files"
    );

    // A real change is still seen.
    let mut events = index.subscribe();
    storage
        .set_status(runs[0], asgard::model::RunStatus::Completed)
        .unwrap();
    let (_, event) = tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .expect("an event")
        .unwrap();
    assert_eq!(event, StorageEvent::RunUpdated { run_id: runs[0] });
}
