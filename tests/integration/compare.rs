//! `GET /api/compare`: runs written by the storage API and by hand, compared through the router.

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::support::{display, get_bytes, get_json, solution_1d, temp_storage};

#[tokio::test]
async fn two_runs_that_differ_in_one_constant_show_one_row_and_one_line() {
    let (_dir, storage) = temp_storage();
    let circuit = |dt: &str| format!("h q0\nrz({dt}) q0\nmeasure q0\n");
    let a = storage
        .create_run("heat", Some("u_t = u_xx"), Some(&circuit("0.001")))
        .unwrap();
    storage.set_metadata(a.id, "dt", json!(1e-3)).unwrap();
    storage.set_metadata(a.id, "solver", json!("rk4")).unwrap();
    storage
        .add_result(a.id, "Solution1D", solution_1d(40), display("u"))
        .unwrap();
    // The other run written by hand, as another tool writes the format.
    let b = uuid::Uuid::new_v4();
    let file = json!({
        "id": b, "name": "heat by hand", "timestamp": "2026-12-01T00:00:00Z", "status": "completed",
        "equation": "u_t = u_xx", "circuit": circuit("0.0005"),
        "metadata": {"dt": 5e-4, "solver": "rk4"}, "results": []
    });
    std::fs::write(
        storage.root().join(format!("runs/{b}.json")),
        file.to_string(),
    )
    .unwrap();

    let (status, body) = get_json(&storage, &format!("/api/compare?runs={},{b}", a.id)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["sentence"],
        "meta.dt 0.001 → 0.0005; equation identical; circuit: 1 line differs"
    );
    let differing: Vec<&Value> = body["metadata"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["differs"] == true)
        .collect();
    assert_eq!(differing.len(), 1);
    assert_eq!(differing[0]["key"], "dt");
    let changed: Vec<&Value> = body["circuits"][1]["parts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p[0] != "same")
        .collect();
    assert_eq!(
        changed,
        [
            &json!(["removed", "rz(0.001) q0"]),
            &json!(["added", "rz(0.0005) q0"])
        ]
    );
    assert_eq!(body["runs"][1]["label"], "dt=0.0005");
    // The Solution1D only the first run has is matched with nothing.
    assert_eq!(body["results"][0]["result_type"], "Solution1D");
    assert_eq!(body["results"][0]["results"][1], Value::Null);

    // The second as the baseline, and a repeated id counted once.
    let uri = format!("/api/compare?runs={},{b},{}&baseline={b}", a.id, a.id);
    let (status, body) = get_json(&storage, &uri).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["baseline"], 1);
    assert_eq!(body["runs"].as_array().unwrap().len(), 2);
    assert!(body["sentence"]
        .as_str()
        .unwrap()
        .starts_with("meta.dt 0.0005 → 0.001;"));
}

#[tokio::test]
async fn a_bad_comparison_says_what_was_expected() {
    let (_dir, storage) = temp_storage();
    let a = storage.create_run("a", None, None).unwrap().id;
    let b = storage.create_run("b", None, None).unwrap().id;
    let missing = uuid::Uuid::new_v4();
    for (uri, status, says) in [
        (
            format!("/api/compare?runs={a}"),
            StatusCode::BAD_REQUEST,
            "at least two",
        ),
        (
            "/api/compare".to_owned(),
            StatusCode::BAD_REQUEST,
            "at least two",
        ),
        (
            format!("/api/compare?runs={a},{a}"),
            StatusCode::BAD_REQUEST,
            "at least two",
        ),
        (
            format!("/api/compare?runs={a},nope"),
            StatusCode::BAD_REQUEST,
            "UUID",
        ),
        (
            format!("/api/compare?runs={a},{b}&baseline={missing}"),
            StatusCode::BAD_REQUEST,
            "one of the runs",
        ),
        (
            format!("/api/compare?runs={a},{missing}"),
            StatusCode::NOT_FOUND,
            &missing.to_string(),
        ),
    ] {
        let (got, body) = get_json(&storage, &uri).await;
        assert_eq!(got, status, "{uri}: {body}");
        assert!(
            body["error"].as_str().unwrap().contains(says),
            "{uri}: {body}"
        );
    }
}

#[tokio::test]
async fn metadata_written_by_python_with_a_bare_nan_is_compared() {
    let (_dir, storage) = temp_storage();
    // As Python's `json.dump` writes them: `NaN` bare, which strict JSON parsers refuse.
    let ids: Vec<uuid::Uuid> = [1e-3, 2e-3]
        .iter()
        .map(|dt| {
            let id = uuid::Uuid::new_v4();
            let text = format!(
                r#"{{"id": "{id}", "name": "python {dt}", "timestamp": "2026-12-01T00:00:00Z", "status": "failed",
                   "metadata": {{"dt": {dt}, "residual": NaN}}, "results": []}}"#
            );
            std::fs::write(storage.root().join(format!("runs/{id}.json")), text).unwrap();
            id
        })
        .collect();
    let (status, body) = get_json(
        &storage,
        &format!("/api/compare?runs={},{}", ids[0], ids[1]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["sentence"],
        "meta.dt 0.001 → 0.002; equation identical; circuit identical"
    );
    let residual = body["metadata"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["key"] == "residual")
        .unwrap_or_else(|| panic!("no residual row: {body}"));
    assert_eq!(residual["values"], json!(["NaN", "NaN"]));
    assert_eq!(residual["differs"], false);
}

#[tokio::test]
async fn one_result_of_every_run_downloads_as_one_table() {
    let (_dir, storage) = temp_storage();
    // Run A by the storage API: 2,000 points, so its arrays are `.npy` files.
    let a = storage.create_run("a", None, None).unwrap();
    storage.set_metadata(a.id, "dt", json!(1e-3)).unwrap();
    storage
        .add_result(a.id, "Solution1D", solution_1d(2_000), display("u"))
        .unwrap();
    // Run B by hand, as plain `json` writes it: inline arrays and an `expected` column A does not have.
    let (b, r) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    let run = json!({
        "id": b, "name": "b, by hand", "timestamp": "2026-12-01T00:00:00Z", "status": "completed",
        "metadata": {"dt": 5e-4}, "results": [r]
    });
    let result = json!({
        "id": r, "run_id": b, "result_type": "Solution1D", "timestamp": "2026-12-01T00:00:01Z",
        "data": {"x": [0.0, 0.5, 1.0], "computed": [1.0, 2.0, 3.0], "expected": [1.0, 2.5, 3.0]},
        "display": {"title": "u"}
    });
    let root = storage.root();
    std::fs::write(root.join(format!("runs/{b}.json")), run.to_string()).unwrap();
    std::fs::write(root.join(format!("results/{r}.json")), result.to_string()).unwrap();

    let uri = format!("/api/compare/csv?runs={},{b}&type=Solution1D&title=u", a.id);
    let (status, bytes) = get_bytes(&storage, &uri).await;
    let text = String::from_utf8(bytes).unwrap();
    assert_eq!(status, StatusCode::OK, "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0], "run,label,x,computed,expected",
        "the union of the columns"
    );
    assert_eq!(lines.len(), 1 + 2_000 + 3, "every point of every run");
    let a_rows: Vec<&str> = lines[1..2_001].to_vec();
    assert!(a_rows
        .iter()
        .all(|l| l.starts_with(&format!("{},dt=0.001,", a.id))));
    let second: Vec<&str> = a_rows[1].split(',').collect();
    assert_eq!(second[2].parse::<f64>().unwrap(), 1.0 / 2_000.0);
    assert_eq!(second[3].parse::<f64>().unwrap(), (6.0f64 / 2_000.0).sin());
    assert_eq!(second[4], "", "A has no expected column");
    assert_eq!(
        &lines[2_001..],
        [
            format!("{b},dt=0.0005,0,1,1"),
            format!("{b},dt=0.0005,0.5,2,2.5"),
            format!("{b},dt=0.0005,1,3,3"),
        ]
    );

    // Ensembles: the per-time mean and 95 % band over every path, which the overlay draws.
    let paths = |shift: f64| -> Vec<Vec<f64>> {
        (0..5)
            .map(|i| {
                (0..3)
                    .map(|k| f64::from(i) + f64::from(k) + shift)
                    .collect()
            })
            .collect()
    };
    let e = storage.create_run("e", None, None).unwrap();
    storage.set_metadata(e.id, "dt", json!(2e-3)).unwrap();
    for (run, shift) in [(a.id, 0.0), (e.id, 10.0)] {
        storage
            .add_result(
                run,
                "StochasticEnsemble",
                vec![
                    ("t".to_owned(), json!([0.0, 0.5, 1.0]).into()),
                    ("paths".to_owned(), json!(paths(shift)).into()),
                ],
                display("walk"),
            )
            .unwrap();
    }
    let uri = format!(
        "/api/compare/csv?runs={},{}&type=StochasticEnsemble&title=walk",
        a.id, e.id
    );
    let (status, bytes) = get_bytes(&storage, &uri).await;
    let text = String::from_utf8(bytes).unwrap();
    assert_eq!(status, StatusCode::OK, "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "run,label,t,mean,lower,upper");
    assert_eq!(lines.len(), 1 + 3 + 3);
    // At t = 0.5 (k = 1) run A's paths are 1, 2, 3, 4, 5: mean 3.
    let row: Vec<&str> = lines[2].split(',').collect();
    assert_eq!((row[2], row[3]), ("0.5", "3"));
    assert!(lines[4].starts_with(&format!("{},", e.id)));
    assert_eq!(lines[5].split(',').nth(3), Some("13"), "B = A + 10");

    // What cannot be exported says what was expected. (A field has no columns to put side by side.)
    let c = storage.create_run("c", None, None).unwrap().id;
    let grid = json!([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]);
    storage
        .add_result(
            c,
            "Solution2D",
            vec![("values".to_owned(), grid.into())],
            display("T"),
        )
        .unwrap();
    for (uri, status, says) in [
        (
            format!("/api/compare/csv?runs={},{b}", a.id),
            StatusCode::BAD_REQUEST,
            "expected type=",
        ),
        (
            format!("/api/compare/csv?runs={},{b}&type=Solution2D", a.id),
            StatusCode::NOT_FOUND,
            "they have: Solution1D u",
        ),
        (
            format!(
                "/api/compare/csv?runs={},{b},{c}&type=Solution2D&title=T",
                a.id
            ),
            StatusCode::BAD_REQUEST,
            "no 1-D numeric fields",
        ),
        (
            format!("/api/compare/csv?runs={}&type=Solution1D&title=u", a.id),
            StatusCode::BAD_REQUEST,
            "at least two",
        ),
    ] {
        let (got, body) = get_json(&storage, &uri).await;
        assert_eq!(got, status, "{uri}: {body}");
        assert!(
            body["error"].as_str().unwrap().contains(says),
            "{uri}: {body}"
        );
    }
}
