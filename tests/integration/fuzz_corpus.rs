//! Every input in `fuzz/corpus/` (the seeds, and whatever `scripts/fuzz.sh` found and kept, crashes that were
//! fixed included) goes through the fuzz entry points again on every test run, on stable Rust.

use std::path::Path;

#[path = "../../fuzz/entry_points.rs"]
mod entry_points;

fn replay(target: &str, run: fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut inputs = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| run(&bytes));
        assert!(outcome.is_ok(), "{} panicked", path.display());
        inputs += 1;
    }
    inputs
}

#[test]
fn the_fuzz_corpus_runs_clean() {
    assert!(replay("npy_file", entry_points::npy_file) >= 10);
    assert!(replay("run_file", entry_points::run_file) >= 5);
    assert!(replay("result_file", entry_points::result_file) >= 12);
}
