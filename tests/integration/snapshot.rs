//! The index snapshot: a restart reads only the run files that changed since it was written, and answers exactly
//! as an index built from every file; a damaged, foreign or stale snapshot costs the full read and nothing else.

use std::io::Read;
use std::process::{Command, Stdio};

use asgard::index::Index;
use asgard::model::{RunId, RunStatus};
use asgard::storage::{AsgardStorage, INDEX_SNAPSHOT};
use serde_json::json;

use crate::support::{display, http_get, solution_1d, start_monitor, temp_storage};

/// Eight runs with metadata (nested, text, numbers), tags, a note, a star, statistics from a result, and one
/// run file written by hand; their ids in order.
fn sweep(storage: &AsgardStorage) -> Vec<RunId> {
    let mut ids = Vec::new();
    for i in 0..8 {
        let run = storage
            .create_run(
                &format!("run {i}"),
                Some("u_t = u_xx"),
                Some("circuit\nline"),
            )
            .unwrap();
        storage
            .set_metadata(run.id, "dt", json!(1e-3 * i as f64))
            .unwrap();
        storage
            .set_metadata(
                run.id,
                "solver",
                json!(if i % 2 == 0 { "rk4" } else { "euler" }),
            )
            .unwrap();
        storage
            .set_metadata(run.id, "grid", json!({"n": 64 * i}))
            .unwrap();
        storage
            .add_result(run.id, "Solution1D", solution_1d(20 + i), display("u"))
            .unwrap();
        if i == 3 {
            storage.set_tags(run.id, &["baseline", "paper"]).unwrap();
            storage.set_note(run.id, "the one to beat").unwrap();
            storage.set_starred(run.id, true).unwrap();
            storage.set_status(run.id, RunStatus::Completed).unwrap();
        }
        ids.push(run.id);
    }
    let id = uuid::Uuid::new_v4();
    let file = json!({
        "id": id, "name": "by hand", "timestamp": "2020-01-01T00:00:00Z", "status": "failed",
        "metadata": {"dt": 5e-4, "flag": true}, "results": []
    });
    std::fs::write(
        storage.root().join(format!("runs/{id}.json")),
        file.to_string(),
    )
    .unwrap();
    ids.push(RunId(id));
    ids
}

/// Everything a client can ask of the index: the whole listing as served, and the answers to queries over
/// metadata, statistics, result types and labels.
fn answers(index: &Index) -> Vec<String> {
    let mut out = vec![String::from_utf8(index.listing_body(false).0.to_vec()).unwrap()];
    for (query, sort) in [
        ("meta.solver = rk4 AND meta.dt >= 2e-3", "-meta.grid.n"),
        (
            "has(Solution1D) AND ensemble.mean > 0 OR error.max >= 0",
            "meta.dt",
        ),
        ("tag = paper OR starred = true OR note ~ /beat/", "name"),
        ("meta.flag = true", "name"),
        ("ensemble.paths >= 0 OR NOT has(Solution1D)", "-created"),
    ] {
        let query = asgard::query::parse(query).unwrap();
        let sort = asgard::query::parse_sort(sort).unwrap();
        out.push(format!("{:?}", index.query(&query, &sort, 0, 100, 0)));
    }
    let fields: Vec<String> = index
        .fields()
        .into_iter()
        .map(|f| format!("{f:?}"))
        .collect();
    out.push(fields.join("\n"));
    out
}

/// The index as built from every run file, without a snapshot.
fn without_snapshot(storage: &AsgardStorage) -> Vec<String> {
    let path = storage.root().join(INDEX_SNAPSHOT);
    let kept = std::fs::read(&path).ok();
    let _ = std::fs::remove_file(&path);
    let index = Index::build(storage.clone()).unwrap();
    assert_eq!(index.files_read() as usize, index.len(), "every file read");
    let out = answers(&index);
    if let Some(bytes) = kept {
        std::fs::write(&path, bytes).unwrap();
    }
    out
}

#[test]
fn a_restart_reads_only_the_run_files_that_changed_since_the_snapshot() {
    let (_dir, storage) = temp_storage();
    let ids = sweep(&storage);
    let first = Index::build(storage.clone()).unwrap();
    assert_eq!(first.files_read(), 9);
    assert!(
        first.save_snapshot().unwrap(),
        "written after the first scan"
    );
    assert!(
        !first.save_snapshot().unwrap(),
        "not again while nothing changed"
    );
    assert!(storage.root().join(INDEX_SNAPSHOT).is_file());

    // Nothing changed: no run file is read, and every answer is the same.
    let restarted = Index::build(storage.clone()).unwrap();
    assert_eq!(restarted.files_read(), 0);
    assert_eq!(answers(&restarted), answers(&first));
    assert_eq!(answers(&restarted), without_snapshot(&storage));
    assert!(
        !restarted.save_snapshot().unwrap(),
        "the snapshot read is current"
    );

    // One run changes (a tag, a metadata value), one is deleted, one is new, one is rewritten by hand in place.
    storage.add_tags(ids[0], &["late"]).unwrap();
    storage
        .set_metadata(ids[0], "solver", json!("rk4"))
        .unwrap();
    storage.delete_run(ids[1]).unwrap();
    let new = storage.create_run("new", None, None).unwrap();
    storage.set_metadata(new.id, "dt", json!(0.5)).unwrap();
    let by_hand = storage.run_path(ids[8]);
    let text = std::fs::read_to_string(&by_hand)
        .unwrap()
        .replace("failed", "completed");
    std::fs::write(&by_hand, text).unwrap();

    let restarted = Index::build(storage.clone()).unwrap();
    assert_eq!(
        restarted.files_read(),
        3,
        "the changed, the new and the rewritten file"
    );
    assert_eq!(restarted.len(), 9);
    assert!(restarted.get(ids[1]).is_none(), "the deleted run is gone");
    assert_eq!(restarted.get(ids[0]).unwrap().tags, ["late"]);
    assert_eq!(answers(&restarted), without_snapshot(&storage));
    assert!(
        restarted.save_snapshot().unwrap(),
        "written again after changes"
    );
    let again = Index::build(storage.clone()).unwrap();
    assert_eq!(again.files_read(), 0);
    assert_eq!(answers(&again), answers(&restarted));
}

#[test]
fn a_damaged_foreign_or_unreadable_snapshot_costs_the_full_read_and_nothing_else() {
    let (_dir, storage) = temp_storage();
    sweep(&storage);
    let index = Index::build(storage.clone()).unwrap();
    index.save_snapshot().unwrap();
    let expected = answers(&index);
    let path = storage.root().join(INDEX_SNAPSHOT);
    let good = std::fs::read(&path).unwrap();
    let damaged: Vec<Vec<u8>> = vec![
        // Cut short, at several places.
        good[..good.len() / 2].to_vec(),
        good[..good.len() - 1].to_vec(),
        // Another version or another program's file.
        b"asgard index snapshot 0\n"
            .iter()
            .chain(&good[24..])
            .copied()
            .collect(),
        b"{\"not\": \"a snapshot\"}".to_vec(),
        Vec::new(),
        // One letter of a name changed: still a well-formed snapshot, but not the one written.
        {
            let at = good.windows(7).position(|w| w == b"by hand").unwrap();
            let mut bytes = good.clone();
            bytes[at + 6] = b'D';
            bytes
        },
        // Bytes flipped in the middle.
        good.iter()
            .enumerate()
            .map(|(i, b)| if i % 97 == 50 { !b } else { *b })
            .collect(),
    ];
    for bytes in damaged {
        std::fs::write(&path, &bytes).unwrap();
        let index = Index::build(storage.clone()).unwrap();
        assert_eq!(answers(&index), expected);
    }
    // A directory where the file should be.
    std::fs::remove_file(&path).unwrap();
    std::fs::create_dir(&path).unwrap();
    let index = Index::build(storage.clone()).unwrap();
    assert_eq!(index.files_read(), 9);
    assert_eq!(answers(&index), expected);
    assert!(
        index.save_snapshot().is_err(),
        "it cannot be replaced: an error, not a panic"
    );
}

/// Runs the monitor on `storage` until it has answered `/api/runs`, then stops it with Ctrl-C: the run list it
/// served and what it logged.
fn serve_once(storage: &AsgardStorage) -> (String, String) {
    // Its standard output closed once its URL is read: the shutdown must not fail writing to it.
    let (mut child, addr, _) = start_monitor(storage, Stdio::piped());
    let runs = http_get(&addr, "/api/runs", "").unwrap();
    let stopped = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    let mut log = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(child.wait().unwrap().success(), "{log}");
    // Without the terminal's colours.
    let plain = regex::Regex::new("\x1b\\[[0-9;]*m").unwrap();
    (runs, plain.replace_all(&log, "").into_owned())
}

#[test]
fn the_monitor_keeps_a_snapshot_and_starts_from_it() {
    let (_dir, storage) = temp_storage();
    storage.create_run("before", None, None).unwrap();
    let (runs, log) = serve_once(&storage);
    assert!(runs.contains("\"name\":\"before\""), "{runs}");
    assert!(log.contains("index ready runs=1 read=1"), "{log}");
    assert!(
        storage.root().join(INDEX_SNAPSHOT).is_file(),
        "written by the monitor"
    );

    storage.create_run("after", None, None).unwrap();
    let (runs, log) = serve_once(&storage);
    assert!(
        runs.contains("\"name\":\"before\"") && runs.contains("\"name\":\"after\""),
        "{runs}"
    );
    assert!(
        log.contains("index ready runs=2 read=1"),
        "only the new run file is read: {log}"
    );
}
