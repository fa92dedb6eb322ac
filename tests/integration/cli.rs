//! The `asgard` binary's command line: start-up, clear failures, clean shutdown.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::{asgard, http_get, path_str, start_monitor, temp_storage};

fn stderr_of(child: std::process::Child) -> (bool, String) {
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn without_a_subcommand_it_prints_help_and_fails() {
    let out = Command::new(env!("CARGO_BIN_EXE_asgard"))
        .env_remove("LEPTOS_SITE_ADDR")
        .env_remove("LEPTOS_OUTPUT_NAME")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("monitor") && help.contains("example") && help.contains("append"),
        "{help}"
    );
}

#[test]
fn a_taken_port_fails_with_one_clear_line() {
    let (_dir, storage) = temp_storage();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let (ok, stderr) = stderr_of(asgard(&[
        "monitor",
        "--storage",
        path_str(storage.root()),
        "--port",
        &port,
    ]));
    assert!(!ok);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(
        errors[0].contains(&format!("cannot listen on 127.0.0.1:{port}")),
        "{stderr}"
    );
}

#[test]
fn a_storage_that_is_a_file_fails_with_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("results.txt");
    std::fs::write(&file, "not a directory").unwrap();
    let (ok, stderr) = stderr_of(asgard(&[
        "monitor",
        "--storage",
        path_str(&file),
        "--port",
        "0",
    ]));
    assert!(!ok);
    assert!(stderr.contains("exists but is not a directory"), "{stderr}");
}

#[test]
fn monitor_prints_its_url_serves_and_stops_on_ctrl_c() {
    let (_dir, storage) = temp_storage();
    storage.create_run("visible", None, None).unwrap();
    // Its standard output stays open until it has stopped.
    let (mut child, addr, _stdout) = start_monitor(&storage, Stdio::null());

    let body = http_get(&addr, "/api/runs", "").unwrap();
    assert!(body.contains("\"name\":\"visible\""), "{body}");

    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(exit) = child.try_wait().unwrap() {
            assert!(exit.success(), "exit after Ctrl-C: {exit}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "did not stop after Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
