//! A storage in a bucket, on `object_store`'s in-memory store (atomic compare-and-swap, as real S3 has): the
//! same records as a directory, results found by their run's entries instead of a rewritten run file, changes
//! by compare-and-swap, and the index fed by the journal. The same against a real S3 server: `s3.rs`.

use std::sync::Arc;
use std::time::Duration;

use asgard::index::Index;
use asgard::model::{FieldValue, ResultType, RunPatch, RunStatus, StorageEvent};
use asgard::storage::bucket::Bucket;
use asgard::storage::{AsgardStorage, DataValue};
use ndarray::{Array2, Array3};
use object_store::memory::InMemory;
use object_store::throttle::{ThrottleConfig, ThrottledStore};
use object_store::ObjectStore;
use serde_json::json;

use crate::support::display;

/// A storage under `prefix` of `store`.
pub fn bucket_storage(store: &Arc<dyn ObjectStore>, prefix: &str) -> AsgardStorage {
    AsgardStorage::open_bucket(Bucket::with_store(
        store.clone(),
        prefix,
        &format!("memory://test/{prefix}"),
    ))
    .expect("the bucket storage opens")
}

/// Every key in the store, in order.
pub fn keys(store: &Arc<dyn ObjectStore>) -> Vec<String> {
    use futures::TryStreamExt;
    let store = store.clone();
    std::thread::spawn(move || {
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            let mut keys: Vec<String> = store
                .list(None)
                .map_ok(|m| m.location.to_string())
                .try_collect()
                .await
                .unwrap();
            keys.sort();
            keys
        })
    })
    .join()
    .unwrap()
}

/// A small `DiscreteSequence` added to `run`.
fn add_sequence(
    storage: &AsgardStorage,
    run: asgard::model::RunId,
    values: Vec<f64>,
) -> asgard::storage::Result<asgard::model::ResultId> {
    storage.add_result(
        run,
        ResultType::DiscreteSequence,
        vec![("values".to_owned(), DataValue::from(values))],
        json!({}),
    )
}

/// The bytes of one object.
fn object(store: &Arc<dyn ObjectStore>, key: &str) -> Vec<u8> {
    use object_store::ObjectStoreExt;
    let (store, key) = (store.clone(), object_store::path::Path::from(key));
    std::thread::spawn(move || {
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            store
                .get(&key)
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap()
                .to_vec()
        })
    })
    .join()
    .unwrap()
}

fn delete(store: &Arc<dyn ObjectStore>, key: &str) {
    use object_store::ObjectStoreExt;
    let (store, key) = (store.clone(), object_store::path::Path::from(key));
    std::thread::spawn(move || {
        tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(async { store.delete(&key).await.unwrap() })
    })
    .join()
    .unwrap()
}

/// One result of each of the six types, arrays large enough (with the threshold below) to go to `.npy` files.
pub fn six_results() -> Vec<(ResultType, Vec<(String, DataValue)>)> {
    let n = 50;
    let x: Vec<f64> = (0..n).map(|i| i as f64 / n as f64).collect();
    let sine: Vec<f64> = x.iter().map(|v| (6.0 * v).sin()).collect();
    let grid = Array2::from_shape_fn((8, 12), |(i, j)| (i * 12 + j) as f64);
    let paths = Array2::from_shape_fn((5, n), |(p, i)| (p + i) as f64 * 0.1);
    let params = Array2::from_shape_fn((n, 2), |(k, p)| (k * 2 + p) as f64);
    let positions = Array3::from_shape_fn((6, 3, 2), |(f, b, c)| (f + b + c) as f64);
    let field = |pairs: Vec<(&str, DataValue)>| {
        pairs
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect::<Vec<_>>()
    };
    vec![
        (
            ResultType::Solution1D,
            field(vec![
                ("x", x.clone().into()),
                ("computed", sine.clone().into()),
                ("expected", sine.clone().into()),
            ]),
        ),
        (ResultType::Solution2D, field(vec![("values", grid.into())])),
        (
            ResultType::StochasticEnsemble,
            field(vec![("t", x.clone().into()), ("paths", paths.into())]),
        ),
        (
            ResultType::DiscreteSequence,
            field(vec![("values", vec![1i64, 2, 3, 5, 8].into())]),
        ),
        (
            ResultType::OptimizationResult,
            field(vec![
                (
                    "loss",
                    sine.iter().map(|v| v.abs()).collect::<Vec<_>>().into(),
                ),
                ("params", params.into()),
                ("param_names", DataValue::Json(json!(["a", "b"]))),
            ]),
        ),
        (
            ResultType::PhysicsAnimation,
            field(vec![("positions", positions.into())]),
        ),
    ]
}

/// The numbers of a result's fields, by name.
fn numbers(
    storage: &AsgardStorage,
    id: asgard::model::ResultId,
) -> Vec<(String, Vec<usize>, Vec<f64>)> {
    storage
        .get_result(id)
        .unwrap()
        .fields
        .into_iter()
        .filter_map(|(name, field)| match field {
            FieldValue::Array(a) => Some((name, a.shape, a.values)),
            FieldValue::Json(_) => None,
        })
        .collect()
}

#[test]
fn a_bucket_holds_what_a_directory_holds() {
    let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let bucket = bucket_storage(&store, "sweeps/heat").with_inline_threshold(10);
    let (_dir, dir) = crate::support::temp_storage();
    let dir = dir.with_inline_threshold(10);

    let mut pairs = Vec::new();
    for storage in [&bucket, &dir] {
        let run = storage.create_run("six", Some("u' = -u"), None).unwrap();
        let ids: Vec<_> = six_results()
            .into_iter()
            .map(|(t, data)| {
                storage
                    .add_result(run.id, t.clone(), data, display(&t.to_string()))
                    .unwrap()
            })
            .collect();
        storage.set_status(run.id, RunStatus::Completed).unwrap();
        storage.set_metadata(run.id, "dt", json!(1e-3)).unwrap();
        pairs.push((run.id, ids));
    }
    let (bucket_run, bucket_ids) = &pairs[0];
    let (dir_run, dir_ids) = &pairs[1];

    // The same records, read back the same way.
    let read = bucket.read_run(*bucket_run).unwrap();
    assert_eq!(
        &read.results, bucket_ids,
        "every result, in the order added"
    );
    assert_eq!(read.status, RunStatus::Completed);
    assert_eq!(read.metadata["dt"], json!(1e-3));
    for (b, d) in bucket_ids.iter().zip(dir_ids) {
        assert_eq!(numbers(&bucket, *b), numbers(&dir, *d));
    }
    let detail = bucket.run_detail(*bucket_run).unwrap();
    assert_eq!(detail.results.len(), 6);
    for result in &detail.results {
        assert_eq!(result.problem, None, "{result:?}");
    }
    assert_eq!(
        detail.results.iter().map(|r| &r.fields).collect::<Vec<_>>(),
        dir.run_detail(*dir_run)
            .unwrap()
            .results
            .iter()
            .map(|r| &r.fields)
            .collect::<Vec<_>>(),
        "the same fields, shapes and dtypes"
    );
    let (name, bytes) = bucket.read_array_file(bucket_ids[0], "x").unwrap();
    assert_eq!(name, format!("{}_x.npy", bucket_ids[0]));
    assert_eq!(bytes, dir.read_array_file(dir_ids[0], "x").unwrap().1);
    let listed = bucket.list_runs().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].result_count, 6);

    // The keys are the directory's file names under the prefix, with the run's result entries and the journal.
    let all = keys(&store);
    assert!(all.iter().all(|k| k.starts_with("sweeps/heat/")), "{all:?}");
    assert!(all.contains(&format!("sweeps/heat/runs/{bucket_run}.json")));
    assert!(all.contains(&format!("sweeps/heat/results/{}.json", bucket_ids[1])));
    assert!(all.contains(&format!("sweeps/heat/files/{}_values.npy", bucket_ids[1])));
    let entries = all
        .iter()
        .filter(|k| k.starts_with(&format!("sweeps/heat/runs/{bucket_run}/")))
        .count();
    assert_eq!(entries, 6, "one entry per result: {all:?}");
    // The run file was changed (status, metadata) but never rewritten to list them: a bucket's writers do not
    // rewrite an object another writer may be changing at the same moment.
    let raw: serde_json::Value = serde_json::from_slice(&object(
        &store,
        &format!("sweeps/heat/runs/{bucket_run}.json"),
    ))
    .unwrap();
    assert_eq!(raw["results"], json!([]));
    assert_eq!(raw["status"], json!("completed"));

    // Deleting the run removes every object of it.
    bucket.delete_run(*bucket_run).unwrap();
    let left: Vec<String> = keys(&store)
        .into_iter()
        .filter(|k| !k.contains("/journal/") && !k.ends_with(".asgard_metadata.json"))
        .collect();
    assert_eq!(left, Vec::<String>::new());
    assert!(bucket.list_run_ids().unwrap().is_empty());
}

#[test]
fn many_writers_into_one_run_each_result_exactly_once() {
    // Request latency as a real bucket has it, so that the writers overlap.
    let store: Arc<dyn ObjectStore> = Arc::new(ThrottledStore::new(
        InMemory::new(),
        ThrottleConfig {
            wait_put_per_call: Duration::from_millis(2),
            wait_get_per_call: Duration::from_millis(2),
            wait_list_per_call: Duration::from_millis(2),
            ..ThrottleConfig::default()
        },
    ));
    let storage = bucket_storage(&store, "");
    let run = storage.create_run("shared", None, None).unwrap();
    let (writers, each) = (16, 12);
    let added: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..writers)
            .map(|w| {
                let storage = bucket_storage(&store, "");
                scope.spawn(move || {
                    (0..each)
                        .map(|i| {
                            let data = vec![(
                                "values".to_owned(),
                                DataValue::from(vec![w as f64, i as f64]),
                            )];
                            let id = storage
                                .add_result(run.id, ResultType::DiscreteSequence, data, json!({}))
                                .unwrap();
                            // Every writer also changes the run file: compare-and-swap keeps every change.
                            storage
                                .annotate_run(
                                    run.id,
                                    &RunPatch {
                                        add_tags: vec![format!("w{w}")],
                                        ..RunPatch::default()
                                    },
                                )
                                .unwrap();
                            id
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let read = storage.read_run(run.id).unwrap();
    assert_eq!(read.results.len(), writers * each);
    let mut sorted = read.results.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), writers * each, "no result twice");
    for id in &added {
        assert!(read.results.contains(id), "{id} is listed");
    }
    let mut tags = read.tags.clone();
    tags.sort();
    let mut expected: Vec<String> = (0..writers).map(|w| format!("w{w}")).collect();
    expected.sort();
    assert_eq!(tags, expected, "no writer's change of the run file is lost");
}

#[test]
fn the_journal_tells_the_index_what_changed_once() {
    let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let writer = bucket_storage(&store, "p");
    let before = writer.create_run("before", None, None).unwrap();
    let monitor = bucket_storage(&store, "p");
    let index = Index::build(monitor.clone()).unwrap();
    assert_eq!(index.len(), 1);
    let mut events = index.subscribe();

    let since = std::time::SystemTime::now();
    let run = writer.create_run("after", None, None).unwrap();
    let created = monitor.journal_since(since).unwrap();
    assert_eq!(
        created.iter().map(|(_, r)| *r).collect::<Vec<_>>(),
        vec![run.id]
    );
    index.refresh_run(run.id);
    let result = add_sequence(&writer, run.id, vec![1.0, 2.0]).unwrap();
    let announced = monitor.journal_since(since).unwrap();
    assert_eq!(announced.len(), 2, "created, then a result: {announced:?}");
    assert_eq!(announced[0], created[0]);
    assert!(
        announced.windows(2).all(|w| w[0].0 < w[1].0),
        "in key order"
    );
    assert_eq!(announced[1].1, run.id);
    index.refresh_run(run.id);
    // Read again (as a look-back window does): nothing more is published.
    for (_, id) in &announced {
        assert!(index.refresh_run(*id).is_empty());
    }
    let mut got = Vec::new();
    while let Ok((_, event)) = events.try_recv() {
        got.push(event);
    }
    assert_eq!(
        got,
        vec![
            StorageEvent::RunCreated { run_id: run.id },
            StorageEvent::ResultAdded {
                run_id: run.id,
                result_id: result
            },
            // Its row changed too (one more result), as in a directory.
            StorageEvent::RunUpdated { run_id: run.id },
        ]
    );
    assert_eq!(index.get(run.id).unwrap().result_count, 1);

    // A reconciliation (one listing of every run) finds nothing new, and a run deleted elsewhere goes.
    index.rescan().unwrap();
    assert!(events.try_recv().is_err(), "nothing changed");
    writer.delete_run(before.id).unwrap();
    index.rescan().unwrap();
    assert_eq!(
        events.try_recv().unwrap().1,
        StorageEvent::RunDeleted { run_id: before.id }
    );
    assert_eq!(index.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_monitor_lists_the_journal_once_per_interval_and_nothing_else() {
    use asgard::index::{supervise, StorageWatcher, WatchMode};
    let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let writer = bucket_storage(&store, "");
    for i in 0..50 {
        let run = writer.create_run(&format!("run {i}"), None, None).unwrap();
        add_sequence(&writer, run.id, vec![1.0, 2.0]).unwrap();
    }
    let monitor = bucket_storage(&store, "");
    let index = tokio::task::spawn_blocking({
        let monitor = monitor.clone();
        move || Index::build(monitor).unwrap()
    })
    .await
    .unwrap();
    let interval = Duration::from_millis(50);
    let follower = tokio::spawn(supervise(
        index.clone(),
        WatchMode::Poll(interval),
        StorageWatcher::Journal(interval),
    ));
    // The writes above are within the look-back window: the first polls read those runs once more.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = monitor.bucket_requests().unwrap();
    tokio::time::sleep(interval * 20).await;
    let idle = monitor.bucket_requests().unwrap() - before;
    assert!(
        idle.list <= 21,
        "at most one listing per interval: {idle:?}"
    );
    assert!(idle.list >= 10, "it keeps looking: {idle:?}");
    assert_eq!(
        (idle.get, idle.head, idle.put, idle.delete),
        (0, 0, 0, 0),
        "{idle:?}"
    );

    // A write is then seen within a few intervals, and costs the monitor one read of the run.
    let mut events = index.subscribe();
    let run = writer.create_run("new", None, None).unwrap();
    let event = tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .expect("an event within seconds")
        .unwrap();
    assert_eq!(event.1, StorageEvent::RunCreated { run_id: run.id });
    follower.abort();
}

#[test]
fn a_restart_on_a_bucket_takes_the_snapshot_and_reads_only_the_runs_announced_since() {
    let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let writer = bucket_storage(&store, "s");
    let runs: Vec<_> = (0..20)
        .map(|i| {
            writer
                .create_run(&format!("run {i}"), None, None)
                .unwrap()
                .id
        })
        .collect();
    let first = Index::build(bucket_storage(&store, "s")).unwrap();
    assert_eq!(first.files_read(), 20);
    assert!(first.save_snapshot().unwrap());
    // The announcements so far expire (a lifecycle rule; here they are also within the 30 s look-back, which
    // would read those runs again).
    for key in keys(&store).iter().filter(|k| k.starts_with("s/journal/")) {
        delete(&store, key);
    }
    // While no monitor runs: one run gains a result, one is deleted, one is new.
    add_sequence(&writer, runs[3], vec![1.0]).unwrap();
    writer.delete_run(runs[5]).unwrap();
    let new = writer.create_run("new", None, None).unwrap();

    let monitor = bucket_storage(&store, "s");
    let before = monitor.bucket_requests().unwrap();
    let restarted = Index::build(monitor.clone()).unwrap();
    let spent = monitor.bucket_requests().unwrap() - before;
    assert_eq!(
        restarted.files_read(),
        3,
        "only the three runs announced since the snapshot are read"
    );
    assert_eq!(restarted.len(), 20);
    assert_eq!(restarted.get(runs[3]).unwrap().result_count, 1);
    assert!(restarted.get(runs[5]).is_none());
    assert!(restarted.get(new.id).is_some());
    assert_eq!(
        spent.list,
        1 + 2,
        "the journal once, and the entries of the two runs still there: {spent:?}"
    );
    // The listing of every run comes with the first reconciliation, and finds nothing more.
    assert!(restarted.take_reconcile_soon());
    let mut events = restarted.subscribe();
    restarted.rescan().unwrap();
    assert!(events.try_recv().is_err());
}

#[test]
fn a_writer_killed_half_way_leaves_no_result_that_anyone_lists() {
    use object_store::ObjectStoreExt;
    let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let storage = bucket_storage(&store, "k");
    let run = storage.create_run("interrupted", None, None).unwrap();
    let kept = add_sequence(&storage, run.id, vec![1.0]).unwrap();
    // What a writer killed before the entry leaves: an array object and a result object naming the run.
    let orphan = uuid::Uuid::new_v4();
    let objects = [
        (format!("k/files/{orphan}_values.npy"), b"\x93NUMPY half".to_vec()),
        (
            format!("k/results/{orphan}.json"),
            serde_json::to_vec(&json!({
                "id": orphan, "run_id": run.id, "result_type": "DiscreteSequence",
                "timestamp": "2026-12-01T00:00:00Z",
                "data": {"values": {"$npy": format!("{orphan}_values.npy"), "shape": [1000], "dtype": "<f8"}},
            }))
            .unwrap(),
        ),
    ];
    let put = store.clone();
    std::thread::spawn(move || {
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            for (key, bytes) in objects {
                put.put(&object_store::path::Path::from(key), bytes.into())
                    .await
                    .unwrap();
            }
        })
    })
    .join()
    .unwrap();
    assert_eq!(storage.read_run(run.id).unwrap().results, vec![kept]);
    let index = Index::build(bucket_storage(&store, "k")).unwrap();
    assert_eq!(index.get(run.id).unwrap().result_count, 1);
    let detail = storage.run_detail(run.id).unwrap();
    assert_eq!(detail.results.len(), 1);
    assert!(detail.results[0].problem.is_none());
}
