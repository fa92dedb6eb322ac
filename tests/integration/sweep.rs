//! `GET /api/sweep` and `GET /api/run/step`: a sweep written through the storage API laid out as a grid, and
//! stepping along one of its keys.

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::support::{display, get_json, solution_1d, temp_storage};

#[tokio::test]
async fn a_sweep_is_a_grid_and_steps_keep_the_other_parameters() {
    let (_dir, storage) = temp_storage();
    let mut ids = std::collections::HashMap::new();
    for (i, a) in [1.0, 2.0, 4.0].iter().enumerate() {
        for solver in ["euler", "rk4"] {
            if (*a, solver) == (4.0, "rk4") {
                continue;
            }
            let run = storage
                .create_run(&format!("a={a} {solver}"), None, None)
                .unwrap();
            storage.set_metadata(run.id, "a", json!(a)).unwrap();
            storage
                .set_metadata(run.id, "solver", json!(solver))
                .unwrap();
            storage
                .set_metadata(run.id, "noise", json!(i as f64 * 0.37 + 0.1))
                .unwrap();
            storage
                .add_result(run.id, "Solution1D", solution_1d(20), display("u"))
                .unwrap();
            ids.insert(format!("{a}/{solver}"), run.id.to_string());
        }
    }
    let (status, grid) = get_json(&storage, "/api/sweep?x=meta.a&y=meta.solver&result=u").await;
    assert_eq!(status, StatusCode::OK, "{grid}");
    assert_eq!(grid["xs"], json!(["1", "2", "4"]));
    assert_eq!(grid["ys"], json!(["euler", "rk4"]));
    let cells = grid["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 6);
    assert_eq!(cells[5], Value::Null, "no run at a = 4, rk4");
    assert_eq!(cells[3]["run"].as_str(), Some(ids["1/rk4"].as_str()));
    assert_eq!(cells[3]["result"][1], "Solution1D", "the result titled u");

    // By type name, and a value instead.
    let (_, grid) = get_json(
        &storage,
        "/api/sweep?x=meta.a&y=meta.solver&result=solution1d&value=meta.noise",
    )
    .await;
    assert_eq!(grid["cells"][0]["result"][1], "Solution1D");
    assert!((grid["cells"][1]["value"].as_f64().unwrap() - 0.47).abs() < 1e-12);

    let step = |from: &str, key: &str, dir: &str| {
        format!("/api/run/step?id={}&key={key}&dir={dir}", ids[from])
    };
    let (status, next) = get_json(&storage, &step("1/rk4", "meta.a", "next")).await;
    assert_eq!(status, StatusCode::OK, "{next}");
    assert_eq!(
        next["run"].as_str(),
        Some(ids["2/rk4"].as_str()),
        "the same solver, the next a"
    );
    let (_, back) = get_json(&storage, &step("2/euler", "a", "prev")).await;
    assert_eq!(back["run"].as_str(), Some(ids["1/euler"].as_str()));
    let (_, end) = get_json(&storage, &step("2/rk4", "a", "next")).await;
    assert_eq!(
        end["run"].as_str(),
        Some(ids["4/euler"].as_str()),
        "no a = 4 with rk4: the nearest value still"
    );
    let (_, none) = get_json(&storage, &step("4/euler", "a", "next")).await;
    assert_eq!(none["run"], Value::Null);

    for (uri, said) in [
        ("/api/sweep?x=meta.a", "y: expected one field"),
        ("/api/run/step?id=nope&key=a", "id"),
        (
            &*format!("/api/run/step?id={}&key=a&dir=up", ids["1/rk4"]),
            "dir: expected `next` or `prev`",
        ),
    ] {
        let (status, body) = get_json(&storage, uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
        assert!(body.to_string().contains(said), "{uri}: {body}");
    }
}
