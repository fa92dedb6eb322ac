//! Helpers shared by the integration tests.

use std::path::Path;
use std::process::{Command, Stdio};

use asgard::storage::{AsgardStorage, DataValue};
use serde_json::json;
use tempfile::TempDir;

/// A fresh storage in its own temporary directory (removed when the `TempDir` drops).
pub fn temp_storage() -> (TempDir, AsgardStorage) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let storage = AsgardStorage::open(dir.path().join("storage")).expect("storage opens");
    (dir, storage)
}

/// `x` and `computed` fields of a `Solution1D` with `n` points.
pub fn solution_1d(n: usize) -> Vec<(String, DataValue)> {
    let x: Vec<f64> = (0..n).map(|i| i as f64 / n as f64).collect();
    let computed: Vec<f64> = x.iter().map(|v| (6.0 * v).sin()).collect();
    vec![("x".into(), x.into()), ("computed".into(), computed.into())]
}

pub fn display(title: &str) -> serde_json::Value {
    json!({ "title": title, "labels": { "x": "x", "y": "u" } })
}

/// Runs the `asgard` binary (built by cargo for these tests) and waits for it.
pub fn asgard(args: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_asgard"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("asgard starts")
}

pub fn path_str(p: &Path) -> &str {
    p.to_str().expect("temporary paths are UTF-8")
}
