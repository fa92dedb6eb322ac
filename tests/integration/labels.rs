//! What people add to runs in the storage: tags, notes and stars, and the run list's saved views — written
//! atomically under the run's lock, and read back from files other tools wrote.

use std::fs;

use asgard::model::RunStatus;
use asgard::storage::Error;
use serde_json::{json, Value};

use crate::support::{append_concurrently, temp_storage};

#[test]
fn tags_added_while_other_processes_append_results_lose_neither() {
    let (_dir, storage) = temp_storage();
    let run = storage.create_run("busy", None, None).unwrap();
    std::thread::scope(|scope| {
        let appending = scope.spawn(|| append_concurrently(&storage, run.id, 2, 30));
        for i in 0..30 {
            storage.add_tags(run.id, &[format!("tag-{i}")]).unwrap();
        }
        storage
            .set_note(run.id, "written while results arrived")
            .unwrap();
        appending.join().unwrap();
    });
    let record = storage.read_run(run.id).unwrap();
    assert_eq!(record.results.len(), 60);
    let expected: Vec<String> = (0..30).map(|i| format!("tag-{i}")).collect();
    assert_eq!(record.tags, expected);
    assert_eq!(record.note, "written while results arrived");
}

#[test]
fn tags_note_and_star_written_by_other_tools_are_read_and_kept() {
    let (_dir, storage) = temp_storage();
    let run = storage.create_run("by hand", None, None).unwrap();
    let path = storage.run_path(run.id);
    let mut record: Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    record["tags"] = json!(["from-json", "x"]);
    record["note"] = json!("edited by hand");
    record["starred"] = json!(true);
    fs::write(&path, serde_json::to_vec(&record).unwrap()).unwrap();
    // Another change through the writer keeps them.
    storage.set_status(run.id, RunStatus::Completed).unwrap();
    let summary = storage.run_summary(run.id).unwrap();
    assert_eq!(summary.tags, ["from-json", "x"]);
    assert_eq!(summary.note.as_deref(), Some("edited by hand"));
    assert!(summary.starred);
    // A run file without them (every older writer) reads as untagged, and is written without them.
    let plain = storage.create_run("plain", None, None).unwrap();
    let text = fs::read_to_string(storage.run_path(plain.id)).unwrap();
    assert!(
        !text.contains("tags") && !text.contains("starred") && !text.contains("note"),
        "{text}"
    );
    assert!(storage.run_summary(plain.id).unwrap().tags.is_empty());
}

#[test]
fn saved_views_list_by_name_replace_by_name_and_survive_a_damaged_neighbour() {
    use asgard::model::SavedView;
    let (_dir, storage) = temp_storage();
    assert!(
        storage.list_views().unwrap().is_empty(),
        "no views directory yet"
    );
    let view = |name: &str, q: &str| SavedView {
        name: name.into(),
        q: q.into(),
        cols: "meta.dt".into(),
        ..SavedView::default()
    };
    let failed = storage
        .save_view(view("  failed rk4 ", "status = failed"))
        .unwrap();
    assert_eq!(failed.name, "failed rk4");
    storage.save_view(view("all heat", "heat")).unwrap();
    // Same name: replaced, same id.
    let again = storage
        .save_view(view("failed rk4", "status = failed AND meta.solver = rk4"))
        .unwrap();
    assert_eq!(again.id, failed.id);
    // A file another tool damaged is left out; the rest still list.
    fs::write(
        storage
            .root()
            .join(format!("views/{}.json", uuid::Uuid::new_v4())),
        b"{oops",
    )
    .unwrap();
    let views = storage.list_views().unwrap();
    let names: Vec<&str> = views.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["all heat", "failed rk4"]);
    assert_eq!(views[1].q, "status = failed AND meta.solver = rk4");
    let file: Value = serde_json::from_slice(
        &fs::read(storage.root().join(format!("views/{}.json", failed.id))).unwrap(),
    )
    .unwrap();
    assert_eq!(file["cols"], "meta.dt");
    for bad in ["", "   ", &"v".repeat(81)] {
        assert!(
            matches!(storage.save_view(view(bad, "")), Err(Error::Invalid(_))),
            "{bad:?}"
        );
    }
    storage.delete_view(&failed.id).unwrap();
    assert_eq!(storage.list_views().unwrap().len(), 1);
    assert!(matches!(
        storage.delete_view("../runs/x"),
        Err(Error::Invalid(_))
    ));
}
