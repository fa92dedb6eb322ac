//! `GET /api/converge`: the convergence study of runs written by `asgard example -c convergence` (real
//! solvers, real orders) and of runs written by hand, through the router.

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::support::{asgard, get_json, path_str, temp_storage};

/// Each series's label and order.
fn orders(body: &Value) -> Vec<(String, f64)> {
    body["series"]
        .as_array()
        .expect("series")
        .iter()
        .map(|s| {
            (
                s["group"].as_str().unwrap_or("").to_owned(),
                s["fit"]["order"].as_f64().expect("a fitted order"),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_convergence_examples_show_orders_one_two_and_four() {
    let (_dir, storage) = temp_storage();
    let out = asgard(&[
        "example",
        "-c",
        "convergence",
        "--storage",
        path_str(storage.root()),
    ])
    .wait_with_output()
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Two sweeps of 2 methods × 5 step sizes: 20 runs, each named by its point.
    let runs = storage.list_runs().unwrap();
    assert_eq!(runs.len(), 20);
    assert!(runs
        .iter()
        .any(|r| r.name == "Heat equation, grid convergence (method=euler, h=0.00390625)"));
    let address = stdout
        .lines()
        .find_map(|l| {
            l.split_once("convergence study is at ")
                .map(|(_, a)| a.split_whitespace().next().unwrap().to_owned())
        })
        .unwrap_or_else(|| panic!("the study's address: {stdout}"));
    assert!(
        address.starts_with("/converge?x=meta.h&y=error.max&group=meta.example%2Cmeta.method&q="),
        "{address}"
    );

    let (status, body) =
        get_json(&storage, &address.replacen("/converge", "/api/converge", 1)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["matched"].as_u64(), body["skipped"].as_u64()),
        (Some(20), Some(0))
    );
    assert_eq!(body["x_is_resolution"], false, "h is a step size");
    let found = orders(&body);
    let expected = [
        ("convergence/01_heat_grid.yaml · crank_nicolson", 2.0),
        ("convergence/01_heat_grid.yaml · euler", 2.0),
        ("convergence/02_ode_steps.yaml · euler", 1.0),
        ("convergence/02_ode_steps.yaml · rk4", 4.0),
    ];
    assert_eq!(found.len(), expected.len(), "{found:?}");
    for ((label, order), (want_label, want)) in found.iter().zip(expected) {
        assert_eq!(label, want_label);
        assert!(
            (order - want).abs() < 0.1,
            "{label}: p = {order}, expected about {want}"
        );
    }
    // Each run carries its point and its sweep in its metadata.
    let run = storage.read_run(runs[0].id).unwrap();
    assert!(run.metadata["h"].is_number() && run.metadata["method"].is_string());
    assert!(run.metadata["sweep"].is_string());
}

#[tokio::test]
async fn hand_written_runs_are_fitted_and_bad_fields_are_refused() {
    let (_dir, storage) = temp_storage();
    // Written as another tool writes the format: dt as a number, the error as text in one run, one without.
    for (dt, err) in [
        (json!(0.1), json!(0.02)),
        (json!(0.05), json!("0.005")),
        (json!(0.025), json!(0.00125)),
        (json!(0.0125), Value::Null),
    ] {
        let id = uuid::Uuid::new_v4();
        let file = json!({
            "id": id, "name": format!("dt={dt}"), "timestamp": "2026-12-01T00:00:00Z", "status": "completed",
            "metadata": {"dt": dt, "l2_err": err, "kind": "study"}, "results": []
        });
        std::fs::write(
            storage.root().join(format!("runs/{id}.json")),
            file.to_string(),
        )
        .unwrap();
    }
    let (status, body) = get_json(
        &storage,
        "/api/converge?x=meta.dt&y=meta.l2_err&q=meta.kind%20%3D%20study",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["matched"].as_u64(), body["skipped"].as_u64()),
        (Some(4), Some(1))
    );
    assert_eq!(
        (
            body["x_is_resolution"].as_bool(),
            body["y_is_error"].as_bool()
        ),
        (Some(false), Some(true))
    );
    let fit = &body["series"][0]["fit"];
    assert!((fit["order"].as_f64().unwrap() - 2.0).abs() < 1e-9, "{fit}");
    assert_eq!(fit["points"], 3);
    let hs: Vec<f64> = body["series"][0]["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["h"].as_f64().unwrap())
        .collect();
    assert_eq!(hs, [0.1, 0.05, 0.025], "coarse to fine");

    for (uri, said) in [
        ("/api/converge?y=error.max", "x: expected one field"),
        ("/api/converge?x=meta.N&y=error..max", "in `y`"),
        (
            "/api/converge?x=meta.N,meta.M&y=error.max",
            "x: expected one field, e.g. x=meta.N; found 2",
        ),
        (
            "/api/converge?x=meta.N&y=error.max&xis=grid",
            "xis: expected `resolution` or `step`, found `grid`",
        ),
        (
            "/api/converge?x=meta.N&y=error.max&q=meta.N%20%3E",
            "expected",
        ),
    ] {
        let (status, body) = get_json(&storage, uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
        assert!(body.to_string().contains(said), "{uri}: {body}");
    }
}
