//! Growing results (docs/storage-format.md, "Growing results"): the Rust writer, readers during appends, a
//! killed writer, the same in a bucket, and live `result_appended` events from another process.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use asgard::index::{watch, Index, WatchMode};
use asgard::model::{FieldValue, ResultId, ResultType, RunStatus, StorageEvent};
use asgard::storage::series::Row;
use asgard::storage::{AsgardStorage, DataValue};
use serde_json::json;

use crate::support::{asgard, path_str, temp_storage};

fn array(storage: &AsgardStorage, id: ResultId, field: &str) -> Option<(Vec<usize>, Vec<f64>)> {
    match storage.get_result(id).unwrap().field(field)? {
        FieldValue::Array(a) => Some((a.shape.clone(), a.values.clone())),
        FieldValue::Json(_) => None,
    }
}

/// How many chunks an open result has had (older ones are folded and removed as it grows).
fn chunk_files(storage: &AsgardStorage, id: ResultId) -> usize {
    storage.row_shapes(id).unwrap().next as usize
}

#[test]
fn a_growing_optimisation_reads_as_far_as_written_and_closes_into_an_ordinary_result() {
    let (_dir, storage) = temp_storage();
    let run = storage.create_run("descent", None, None).unwrap();
    let series = storage
        .open_result(
            run.id,
            ResultType::OptimizationResult,
            [("param_names".to_owned(), DataValue::from(json!(["a", "b"])))],
            json!({"title": "loss"}),
        )
        .unwrap();
    let id = series.id();
    // Listed at once, open, waiting for its rows (not a result that does not fit its type).
    let detail = storage.run_detail(run.id).unwrap();
    let summary = &detail.results[0];
    assert_eq!(summary.id, id);
    assert_eq!(summary.problem, None);
    assert_eq!(summary.growing.map(|g| (g.open, g.rows)), Some((true, 0)));

    for step in 0..5 {
        let s = f64::from(step);
        series
            .append([
                ("loss", Row::from(1.0 / (s + 1.0))),
                ("params", Row::from(vec![s, -s])),
            ])
            .unwrap();
    }
    series.flush().unwrap();
    let (shape, loss) = array(&storage, id, "loss").unwrap();
    assert_eq!(shape, vec![5]);
    assert_eq!(loss, vec![1.0, 0.5, 1.0 / 3.0, 0.25, 0.2]);
    assert_eq!(array(&storage, id, "params").unwrap().0, vec![5, 2]);
    let summary = storage.run_detail(run.id).unwrap().results.remove(0);
    assert_eq!(summary.growing.map(|g| (g.open, g.rows)), Some((true, 5)));
    let params = summary.fields.iter().find(|f| f.name == "params").unwrap();
    assert_eq!(params.shape, vec![5, 2]);
    assert!(chunk_files(&storage, id) > 0);

    series.close().unwrap();
    let record = storage.read_result(id).unwrap();
    assert!(record.growing.is_none(), "closed");
    assert_eq!(array(&storage, id, "params").unwrap().1[9], -4.0);
    assert_eq!(
        chunk_files(&storage, id),
        0,
        "the chunks are folded in and removed"
    );
    let stats = storage.read_run(run.id).unwrap().stats;
    let entry = &stats[&id.to_string()];
    assert_eq!(entry["type"], "OptimizationResult");
    assert_eq!(entry["loss.steps"], 5.0);
    assert_eq!(entry["loss.final"], 0.2);
    assert_eq!(storage.run_detail(run.id).unwrap().results[0].growing, None);
}

#[test]
fn appends_of_another_shape_or_other_fields_are_refused_with_what_was_expected() {
    let (_dir, storage) = temp_storage();
    let run = storage.create_run("checks", None, None).unwrap();
    let series = storage
        .open_result(run.id, ResultType::OptimizationResult, [], json!({}))
        .unwrap();
    series
        .append([
            ("loss", Row::from(1.0)),
            ("params", Row::from(vec![1.0, 2.0])),
        ])
        .unwrap();
    let e = series
        .append([
            ("loss", Row::from(1.0)),
            ("params", Row::from(vec![1.0, 2.0, 3.0])),
        ])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("expected a row of shape [2] as before, found [3]"),
        "{e}"
    );
    let e = series
        .append([("loss", Row::from(0.5))])
        .unwrap_err()
        .to_string();
    assert!(e.contains("without field `params`"), "{e}");
    series.close().unwrap();
}

#[test]
fn readers_never_see_half_an_append_and_fast_appends_make_few_chunks() {
    let (_dir, storage) = temp_storage();
    // Arrays over 50 values go to their own files: a chunk is then several files, of which readers must see
    // all or none.
    let storage = storage.with_inline_threshold(50);
    let run = storage.create_run("torn", None, None).unwrap();
    let series = storage
        .open_result(run.id, ResultType::OptimizationResult, [], json!({}))
        .unwrap()
        .with_interval(Duration::from_millis(2));
    let id = series.id();
    let done = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (storage, done) = (storage.clone(), done.clone());
            std::thread::spawn(move || {
                let mut lengths = std::collections::BTreeSet::new();
                while !done.load(Ordering::Acquire) {
                    // One read of the result: both fields as of one moment.
                    let payload = storage.get_result(id).unwrap();
                    let values = |name| match payload.field(name) {
                        Some(FieldValue::Array(a)) => a.values.clone(),
                        _ => Vec::new(),
                    };
                    let (loss, params) = (values("loss"), values("params"));
                    assert_eq!(params.len(), 3 * loss.len(), "a torn append");
                    for (i, v) in loss.iter().enumerate() {
                        assert_eq!(*v, i as f64);
                        assert_eq!(params[3 * i + 2], 2.0 * i as f64);
                    }
                    lengths.insert(loss.len());
                }
                lengths.len()
            })
        })
        .collect();
    let start = std::time::Instant::now();
    for step in 0..20_000 {
        let s = f64::from(step);
        series
            .append([
                ("loss", Row::from(s)),
                ("params", Row::from(vec![s, s, 2.0 * s])),
            ])
            .unwrap();
    }
    let elapsed = start.elapsed();
    series.flush().unwrap();
    let chunks = chunk_files(&storage, id);
    // At most one chunk per interval (2 ms) while appending, plus the first append's and the last flush's.
    assert!(
        (chunks as f64) <= elapsed.as_secs_f64() / 0.002 + 3.0,
        "{chunks} chunks in {elapsed:?}"
    );
    assert!(chunks < 20_000 / 4, "{chunks} chunks for 20,000 appends");
    series.close().unwrap();
    done.store(true, Ordering::Release);
    for reader in readers {
        assert!(reader.join().unwrap() > 2, "the readers saw it grow");
    }
    assert_eq!(array(&storage, id, "loss").unwrap().1.len(), 20_000);
}

#[test]
fn a_killed_writer_leaves_a_readable_result_shown_unfinished_once_its_run_ends() {
    let (_dir, storage) = temp_storage();
    let run = storage.create_run("killed", None, None).unwrap();
    let mut writer = asgard(&[
        "append",
        "--storage",
        path_str(storage.root()),
        "--into",
        &run.id.to_string(),
        "--grow",
        "--count",
        "1000000",
        "--interval-ms",
        "1",
    ]);
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(writer.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let id: ResultId = line.trim().parse().unwrap();
    std::thread::sleep(Duration::from_millis(600));
    writer.kill().unwrap();
    writer.wait().unwrap();

    let (_, steps) = array(&storage, id, "step").unwrap();
    let (_, loss) = array(&storage, id, "loss").unwrap();
    assert!(steps.len() > 10, "{} steps", steps.len());
    assert_eq!(steps.len(), loss.len());
    assert!(steps.iter().enumerate().all(|(i, s)| *s == i as f64));
    let growing = storage.run_detail(run.id).unwrap().results[0]
        .growing
        .unwrap();
    assert!(growing.open, "its run still says running");
    assert_eq!(growing.rows, steps.len());
    storage.set_status(run.id, RunStatus::Failed).unwrap();
    let growing = storage.run_detail(run.id).unwrap().results[0]
        .growing
        .unwrap();
    assert!(!growing.open, "unfinished: its run ended with it open");
    // Progress was set as it went.
    let progress = storage
        .run_detail(run.id)
        .unwrap()
        .summary
        .progress
        .unwrap();
    assert!(progress.fraction > 0.0 && progress.message.starts_with("step "));
}

#[test]
fn set_progress_keeps_a_fraction_and_refuses_anything_else() {
    let (_dir, storage) = temp_storage();
    let run = storage.create_run("progress", None, None).unwrap();
    storage.set_progress(run.id, 0.4, "integrating").unwrap();
    let progress = storage.read_run(run.id).unwrap().progress.unwrap();
    assert_eq!(
        (progress.fraction, progress.message.as_str()),
        (0.4, "integrating")
    );
    for bad in [1.5, -0.1, f64::NAN] {
        let e = storage
            .set_progress(run.id, bad, "")
            .unwrap_err()
            .to_string();
        assert!(e.contains("expected a fraction from 0 to 1"), "{e}");
    }
    storage.set_tags(run.id, &["kept"]).unwrap();
    assert_eq!(
        storage.read_run(run.id).unwrap().progress.unwrap().fraction,
        0.4
    );
}

#[test]
fn a_growing_result_in_a_bucket_reads_and_closes_the_same() {
    use object_store::memory::InMemory;
    let store: Arc<dyn object_store::ObjectStore> = Arc::new(InMemory::new());
    let storage = crate::bucket::bucket_storage(&store, "grow");
    let run = storage.create_run("in a bucket", None, None).unwrap();
    let t: Vec<f64> = (0..20).map(f64::from).collect();
    let series = storage
        .open_result(
            run.id,
            ResultType::StochasticEnsemble,
            [("t".to_owned(), DataValue::from(t))],
            json!({}),
        )
        .unwrap();
    let id = series.id();
    for path in 0..6 {
        let p: Vec<f64> = (0..20).map(|i| f64::from(i * path)).collect();
        series.append([("paths", Row::from(p))]).unwrap();
        series.flush().unwrap();
    }
    assert_eq!(array(&storage, id, "paths").unwrap().0, vec![6, 20]);
    let summary = storage.run_detail(run.id).unwrap().results.remove(0);
    assert_eq!(summary.growing.map(|g| (g.open, g.chunks)), Some((true, 6)));
    series.close().unwrap();
    assert!(storage.read_result(id).unwrap().growing.is_none());
    let (shape, paths) = array(&storage, id, "paths").unwrap();
    assert_eq!(shape, vec![6, 20]);
    assert_eq!(paths[5 * 20 + 19], 95.0);
}

/// A chunk written by another process reaches subscribers as `result_appended`, with the chunks counted; the
/// run's own row does not change for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appends_by_another_process_arrive_as_events() {
    let (_dir, storage) = temp_storage();
    let run = storage.create_run("live", None, None).unwrap();
    let index = Index::build(storage.clone()).unwrap();
    let _watcher = watch(index.clone(), WatchMode::Native).unwrap();
    let mut events = index.subscribe();
    let writer = asgard(&[
        "append",
        "--storage",
        path_str(storage.root()),
        "--into",
        &run.id.to_string(),
        "--grow",
        "--count",
        "30",
        "--interval-ms",
        "20",
    ]);
    let mut writer = writer;
    let mut appended = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    // Until the writer has ended and no event came for half a second.
    loop {
        let quiet = tokio::time::Instant::now() + Duration::from_millis(500);
        match tokio::time::timeout_at(quiet.min(deadline), events.recv()).await {
            Ok(Ok((_, event))) => {
                if let StorageEvent::ResultAppended {
                    run_id,
                    result_id,
                    chunks,
                } = event
                {
                    assert_eq!(run_id, run.id);
                    assert_eq!(storage.read_result(result_id).unwrap().run_id, run.id);
                    appended.push(chunks);
                }
            }
            Ok(Err(e)) => panic!("events: {e}"),
            Err(_) if writer.try_wait().unwrap().is_some() => break,
            Err(_) => assert!(tokio::time::Instant::now() < deadline, "{appended:?}"),
        }
    }
    // 30 steps 20 ms apart, written at most every 100 ms: several chunks, each announced once, in order.
    assert!(appended.len() >= 3, "{appended:?}");
    assert_eq!(appended[0], 1);
    assert!(appended.windows(2).all(|w| w[0] < w[1]), "{appended:?}");
    assert!(writer.wait().unwrap().success());
}

/// `asgard example` writes an optimisation as it computes: a page opened while it runs sees the loss grow, and
/// the run's progress move; at the end the result is an ordinary one with every step.
#[test]
fn an_example_streams_its_optimisation_and_its_progress() {
    let (_dir, storage) = temp_storage();
    let mut example = asgard(&[
        "example",
        "optimization/01_rosenbrock.yaml",
        "--storage",
        path_str(storage.root()),
        "--stream-seconds",
        "3",
    ]);
    let mut seen = Vec::new();
    let mut fractions = Vec::new();
    while example.try_wait().unwrap().is_none() {
        std::thread::sleep(Duration::from_millis(100));
        let Some(run) = storage.list_run_ids().unwrap().first().copied() else {
            continue;
        };
        let Ok(detail) = storage.run_detail(run) else {
            continue;
        };
        if let Some(g) = detail.results.first().and_then(|r| r.growing) {
            seen.push(g.rows);
        }
        if let Some(p) = detail.summary.progress {
            fractions.push(p.fraction);
        }
    }
    assert!(example.wait().unwrap().success());
    seen.dedup();
    assert!(seen.len() >= 5, "the loss grew while it ran: {seen:?}");
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    fractions.dedup();
    assert!(fractions.len() >= 3, "the progress moved: {fractions:?}");
    let run = storage.list_run_ids().unwrap()[0];
    let result = storage.read_run(run).unwrap().results[0];
    assert!(
        storage.read_result(result).unwrap().growing.is_none(),
        "closed at the end"
    );
    assert_eq!(array(&storage, result, "loss").unwrap().0, vec![20_001]);
    assert_eq!(
        storage.read_run(run).unwrap().progress.unwrap().fraction,
        1.0
    );
}

/// Chunk `k` of the fold tests: `1 + k % 3` rows (so that a fold's chunks differ in size), numbered on from
/// the rows before it.
fn fold_test_chunk(k: u64, first_row: usize) -> Vec<(String, asgard::model::NumArray)> {
    let rows = 1 + (k % 3) as usize;
    let step: Vec<f64> = (first_row..first_row + rows).map(|r| r as f64).collect();
    let params: Vec<f64> = step.iter().flat_map(|&s| [s, -s]).collect();
    let array = |shape: Vec<usize>, values| asgard::model::NumArray {
        shape,
        dtype: "<f8".into(),
        values,
    };
    vec![
        ("step".into(), array(vec![rows], step.clone())),
        ("loss".into(), array(vec![rows], step)),
        ("params".into(), array(vec![rows, 2], params)),
    ]
}

/// Appends `chunks` chunks to a new growing result, checks that it reads the same from every chunk on (the
/// folds, and the fold that holds a chunk already removed), that it closes into the same rows, and returns
/// the names of the result's files in `files/` while it was open and after it closed.
fn check_folds(
    storage: &AsgardStorage,
    chunks: u64,
    files: impl Fn(ResultId) -> Vec<String>,
) -> (ResultId, Vec<String>, Vec<String>) {
    let run = storage.create_run("folds", None, None).unwrap();
    let id = storage
        .open_growing(run.id, ResultType::OptimizationResult, [], json!({}))
        .unwrap();
    let mut first_rows = vec![0usize];
    for k in 0..chunks {
        let at = *first_rows.last().unwrap();
        storage.append_chunk(id, k, fold_test_chunk(k, at)).unwrap();
        first_rows.push(at + 1 + (k % 3) as usize);
    }
    let total = first_rows[chunks as usize];
    let mut starts: Vec<u64> = [
        0, 1, 2, 63, 64, 65, 100, 127, 128, 4000, 4095, 4096, 4097, 4160, 8191,
    ]
    .into_iter()
    .chain([8192, 8200, 8255, 8256, chunks - 3, chunks - 1, chunks])
    .filter(|&s| s <= chunks)
    .collect();
    starts.dedup();
    for from in starts {
        let rows = storage.read_rows(id, from).unwrap();
        assert_eq!(rows.next, chunks, "read from chunk {from}");
        let first = first_rows[from as usize];
        let want: Vec<f64> = (first..total).map(|r| r as f64).collect();
        let field = |name: &str| {
            rows.fields
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, a)| a.clone())
        };
        if from == chunks {
            assert!(rows.is_empty());
            continue;
        }
        assert_eq!(
            field("step").unwrap().values,
            want,
            "steps from chunk {from}"
        );
        let params = field("params").unwrap();
        assert_eq!(params.shape, vec![total - first, 2], "from chunk {from}");
        assert_eq!(params.values[1], -(first as f64));
    }
    let shapes = storage.row_shapes(id).unwrap();
    assert_eq!((shapes.next, shapes.rows()), (chunks, total));
    let open_files = files(id);
    storage.close_result(id).unwrap();
    let (shape, loss) = array(storage, id, "loss").unwrap();
    assert_eq!(shape, vec![total]);
    assert!(loss.iter().enumerate().all(|(i, &v)| v == i as f64));
    (id, open_files, files(id))
}

/// A long growing result reads from a few folds instead of one file per chunk; chunks and folds a larger fold
/// holds are removed as it grows, and everything but the closed result's arrays at close.
#[test]
fn folds_keep_a_long_growing_result_to_a_few_files_and_read_the_same_from_any_chunk() {
    use object_store::memory::InMemory;
    let store: Arc<dyn object_store::ObjectStore> = Arc::new(InMemory::new());
    let storage = crate::bucket::bucket_storage(&store, "folds");
    // Two level-2 folds (4,096 chunks each), two level-1 folds after them, and five chunks.
    let chunks = 2 * 4096 + 2 * 64 + 5;
    let names = |id: ResultId| -> Vec<String> {
        crate::bucket::keys(&store)
            .into_iter()
            .filter_map(|k| k.strip_prefix("folds/files/").map(str::to_owned))
            .filter(|k| k.starts_with(&format!("{id}_")))
            .collect()
    };
    let (id, open, closed) = check_folds(&storage, chunks, names);
    let records = |kind: &str| {
        open.iter()
            .filter(|n| n.contains(kind) && n.ends_with(".json"))
            .count()
    };
    // Level 2: both; level 1: the 64 of the second block, not yet removed, and the two after it; chunks: the 64
    // of the last level-1 fold (removed at the next) and the five after it.
    assert_eq!(records("_fold2-"), 2, "{open:?}");
    assert_eq!(records("_fold1-"), 64 + 2);
    assert_eq!(records("_chunk-"), 64 + 5);
    assert!(!open.contains(&format!("{id}_chunk-00000000.json")));
    assert!(open.contains(&format!("{id}_chunk-{:08}.json", chunks - 1)));
    assert!(
        closed.iter().all(|n| n.starts_with(&format!("{id}_"))
            && !n.contains("_chunk-")
            && !n.contains("_fold")),
        "{closed:?}"
    );

    // A reader from the first chunk reads the two level-2 folds, two level-1 folds and five chunks (with a
    // few failed looks for folds not written yet), not 8,325 chunks.
    let storage = crate::bucket::bucket_storage(&store, "folds");
    let run = storage.create_run("reads", None, None).unwrap();
    let id = storage
        .open_growing(run.id, ResultType::OptimizationResult, [], json!({}))
        .unwrap();
    let mut at = 0;
    for k in 0..chunks {
        storage.append_chunk(id, k, fold_test_chunk(k, at)).unwrap();
        at += 1 + (k % 3) as usize;
    }
    let before = storage.bucket_requests().unwrap();
    let rows = storage.read_rows(id, 0).unwrap();
    let asked = storage.bucket_requests().unwrap() - before;
    assert_eq!(rows.len(), at);
    assert!(asked.get + asked.head <= 40, "{asked:?}");
}

/// The same in a directory, with arrays in their own files: chunks a level-1 fold holds are gone one fold later,
/// a read from one of them takes the fold from there, and close leaves only the result's arrays.
#[test]
fn folds_in_a_directory_remove_what_they_hold_and_close_clean() {
    let (_dir, storage) = temp_storage();
    // Chunks of three rows have their `params` (6 values) in a file; every fold has all its arrays in files.
    let storage = storage.with_inline_threshold(4);
    let root = storage.root().to_owned();
    let names = |id: ResultId| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(root.join("files"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(&format!("{id}_")))
            .collect();
        names.sort();
        names
    };
    let (id, open, closed) = check_folds(&storage, 2 * 64 + 3, names);
    let has = |name: String| open.contains(&name);
    assert!(
        !has(format!("{id}_chunk-00000000.json")) && !has(format!("{id}_chunk-00000063.json")),
        "{open:?}"
    );
    assert!(has(format!("{id}_chunk-00000064.json")) && has(format!("{id}_chunk-00000130.json")));
    assert!(has(format!("{id}_fold1-00000000.json")) && has(format!("{id}_fold1-00000064.json")));
    // The folds' arrays are files; the removed chunks' arrays went with them, the others' are there.
    assert!(has(format!("{id}_fold1-00000000_params.npy")));
    assert!(has(format!("{id}_params-00000065.npy")));
    assert!(!has(format!("{id}_params-00000002.npy")), "{open:?}");
    assert_eq!(
        closed,
        vec![
            format!("{id}_loss.npy"),
            format!("{id}_params.npy"),
            format!("{id}_step.npy")
        ]
    );
}

/// While an optimisation grows, its run's statistics follow it (the run list's `loss.final` column and filters,
/// for a run still computing): computed again from the rows so far as chunks arrive, at most about once a
/// second; at close, the result's own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_growing_results_statistics_follow_it_in_the_run_list() {
    let (_dir, storage) = temp_storage();
    let run = storage.create_run("live statistics", None, None).unwrap();
    let index = Index::build(storage.clone()).unwrap();
    index.fill_stats_in_background();
    let _watcher = watch(index.clone(), WatchMode::Native).unwrap();
    let matching = |query: &str| {
        index
            .query(
                &asgard::query::parse(query).unwrap(),
                &asgard::query::parse_sort("").unwrap(),
                0,
                10,
                0,
            )
            .1
    };
    let eventually = |query: &'static str| async move {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        while matching(query) != 1 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no run matches `{query}`: {:?}",
                [
                    "loss.steps > 0",
                    "loss.steps = 1",
                    "loss.steps = 2",
                    "loss.final = 10",
                    "has(OptimizationResult)"
                ]
                .map(|q| (q, matching(q)))
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let series = storage
        .open_result(run.id, ResultType::OptimizationResult, [], json!({}))
        .unwrap();
    for loss in [10.0, 9.5] {
        series.append([("loss", Row::from(loss))]).unwrap();
    }
    series.flush().unwrap();
    eventually("loss.final = 9.5 and loss.steps = 2").await;
    assert_eq!(matching("loss.min < 9"), 0);

    // Later rows: the statistics move with them, though the result is still open.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    for loss in [4.0, 4.5] {
        series.append([("loss", Row::from(loss))]).unwrap();
    }
    series.flush().unwrap();
    eventually("loss.final = 4.5 and loss.min = 4 and loss.steps = 4").await;
    assert!(storage.read_result(series.id()).unwrap().growing.is_some());

    series.append([("loss", Row::from(1.0))]).unwrap();
    let id = series.id();
    series.close().unwrap();
    eventually("loss.final = 1 and loss.steps = 5").await;
    assert!(storage.read_result(id).unwrap().growing.is_none());
}

/// Time integrations stream too: the pendulum's motion and θ(t) (an ODE), the string and u(x, t) of the wave
/// equation (a PDE) grow while the example runs — frames, points and rows of the field — and end as ordinary
/// results with every frame.
#[test]
fn examples_stream_their_time_integrations_and_animations() {
    for (file, growing_types, frames) in [
        (
            "physics/01_pendulum.yaml",
            vec![ResultType::PhysicsAnimation, ResultType::Solution1D],
            300,
        ),
        (
            "pde/03_wave_equation.yaml",
            vec![ResultType::PhysicsAnimation, ResultType::Solution2D],
            120,
        ),
    ] {
        let (_dir, storage) = temp_storage();
        let mut example = asgard(&[
            "example",
            file,
            "--storage",
            path_str(storage.root()),
            "--stream-seconds",
            "3",
        ]);
        // Each growing result's rows, as often as they were looked at.
        let mut seen: std::collections::BTreeMap<String, Vec<usize>> = Default::default();
        while example.try_wait().unwrap().is_none() {
            std::thread::sleep(Duration::from_millis(100));
            let Some(run) = storage.list_run_ids().unwrap().first().copied() else {
                continue;
            };
            let Ok(detail) = storage.run_detail(run) else {
                continue;
            };
            for result in &detail.results {
                if let Some(g) = result.growing {
                    seen.entry(result.result_type.to_string())
                        .or_default()
                        .push(g.rows);
                }
            }
        }
        assert!(example.wait().unwrap().success(), "{file}");
        for t in &growing_types {
            // (A look during the close may see fewer: the chunks go, last first, once the closed result is
            // written, and a reader of the open one meanwhile reads a beginning of them.)
            let mut rows = seen.get(&t.to_string()).cloned().unwrap_or_default();
            rows.sort_unstable();
            rows.dedup();
            assert!(
                rows.len() >= 3,
                "{file}: the {t} grew while it ran: {rows:?}"
            );
        }
        let run = storage.list_run_ids().unwrap()[0];
        for result in storage.read_run(run).unwrap().results {
            let record = storage.read_result(result).unwrap();
            assert!(record.growing.is_none(), "{file}: closed at the end");
            if record.result_type == ResultType::PhysicsAnimation {
                let (shape, _) = array(&storage, result, "positions").unwrap();
                assert_eq!(shape[0], frames, "{file}: every frame");
                assert_eq!(array(&storage, result, "t").unwrap().0, vec![frames]);
            }
            if record.result_type == ResultType::Solution2D {
                let (shape, _) = array(&storage, result, "values").unwrap();
                assert_eq!(shape, vec![frames, 101], "{file}: a row of u per frame");
                assert_eq!(array(&storage, result, "y").unwrap().0, vec![frames]);
            }
        }
    }
}

/// In a bucket, each chunk is announced in the journal with the result and its number: a monitor following the
/// journal publishes `result_appended` for each, in order, without reading the run again for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bucket_monitor_publishes_each_append_from_the_journal() {
    use asgard::index::{supervise, StorageWatcher};
    use object_store::memory::InMemory;
    let store: Arc<dyn object_store::ObjectStore> = Arc::new(InMemory::new());
    let writer = crate::bucket::bucket_storage(&store, "live");
    let run = writer.create_run("appending", None, None).unwrap();
    let monitor = crate::bucket::bucket_storage(&store, "live");
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
    let mut events = index.subscribe();
    let id = tokio::task::spawn_blocking({
        let writer = writer.clone();
        move || {
            writer
                .open_growing(run.id, ResultType::OptimizationResult, [], json!({}))
                .unwrap()
        }
    })
    .await
    .unwrap();
    let mut appended = Vec::new();
    for seq in 0..5u64 {
        let writer = writer.clone();
        tokio::task::spawn_blocking(move || {
            let loss = asgard::model::NumArray {
                shape: vec![2],
                dtype: "<f8".into(),
                values: vec![seq as f64, seq as f64 + 0.5],
            };
            writer
                .append_chunk(id, seq, vec![("loss".into(), loss)])
                .unwrap();
        })
        .await
        .unwrap();
        // Each chunk's event, within a few intervals.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            let event = tokio::time::timeout_at(deadline, events.recv())
                .await
                .unwrap_or_else(|_| panic!("no event for chunk {seq}: {appended:?}"))
                .unwrap()
                .1;
            if let StorageEvent::ResultAppended {
                run_id,
                result_id,
                chunks,
            } = event
            {
                assert_eq!((run_id, result_id), (run.id, id));
                appended.push(chunks);
                if chunks == seq + 1 {
                    break;
                }
            }
        }
    }
    assert_eq!(appended, vec![1, 2, 3, 4, 5]);
    let rows = monitor.read_rows(id, 0).unwrap();
    assert_eq!(rows.len(), 10);
    follower.abort();
}

/// A plot of a growing result asked for before its first row is told so (409, "no rows yet"), not a server
/// fault; once rows are appended, the same request draws them.
#[tokio::test]
async fn a_view_before_the_first_row_says_it_waits() {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let (_dir, storage) = temp_storage();
    let run = storage.create_run("early", None, None).unwrap();
    let id = storage
        .open_growing(run.id, ResultType::OptimizationResult, [], json!({}))
        .unwrap();
    let app = asgard::server::router(crate::support::app_state(&storage));
    let view = || async {
        let request = axum::http::Request::builder()
            .method("POST")
            .uri("/_fn/result_view")
            .header("content-type", "application/json")
            .body(axum::body::Body::from(
                json!({"id": id.to_string(), "columns": 800, "view": null, "time_index": null})
                    .to_string(),
            ))
            .unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8_lossy(&body).into_owned())
    };
    let (status, body) = view().await;
    assert_eq!(status, axum::http::StatusCode::CONFLICT, "{body}");
    assert!(body.contains("has no rows yet"), "{body}");
    let loss = asgard::model::NumArray {
        shape: vec![3],
        dtype: "<f8".into(),
        values: vec![3.0, 2.0, 1.0],
    };
    storage
        .append_chunk(id, 0, vec![("loss".into(), loss)])
        .unwrap();
    let (status, body) = view().await;
    assert_eq!(status, axum::http::StatusCode::OK, "{body}");
}

/// The buffered writer folds too, from its own thread (an append never waits for a fold): after 130 chunks
/// the two level-1 folds appear, and the first fold's chunks are gone.
#[test]
fn the_buffered_writer_folds_in_its_thread() {
    let (_dir, storage) = temp_storage();
    let run = storage.create_run("series folds", None, None).unwrap();
    let series = storage
        .open_result(run.id, ResultType::OptimizationResult, [], json!({}))
        .unwrap()
        .with_interval(Duration::ZERO);
    let id = series.id();
    for step in 0..130 {
        series
            .append([("loss", Row::from(f64::from(step)))])
            .unwrap();
    }
    series.flush().unwrap();
    let file = |name: String| storage.root().join("files").join(name);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    // The second fold, then the removal of what the first holds.
    while !file(format!("{id}_fold1-00000064.json")).exists()
        || file(format!("{id}_chunk-00000000.json")).exists()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "chunks 64…127 not folded, or chunks 0…63 not removed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(file(format!("{id}_fold1-00000000.json")).exists());
    assert_eq!(storage.row_shapes(id).unwrap().next, 130);
    let loss = array(&storage, id, "loss").unwrap().1;
    assert_eq!(loss, (0..130).map(f64::from).collect::<Vec<_>>());
    series.close().unwrap();
}
