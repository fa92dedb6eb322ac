use serde_json::{json, Map, Value};

use super::*;
use crate::model::compare::Change;
use crate::model::{ResultId, ResultSummary, RunId, RunSummary};

fn detail(name: &str, equation: &str, circuit: &str, results: &[(&str, &str)]) -> RunDetail {
    RunDetail {
        summary: RunSummary {
            id: RunId(uuid::Uuid::new_v4()),
            name: name.into(),
            timestamp: "2026-12-01T00:00:00Z".into(),
            equation: Some(equation.into()),
            circuit: Some(circuit.into()),
            status: None,
            result_count: results.len(),
            tags: Vec::new(),
            note: None,
            starred: false,
            problem: None,
            progress: None,
        },
        metadata_json: String::new(),
        results: results
            .iter()
            .map(|(kind, title)| ResultSummary {
                id: ResultId(uuid::Uuid::new_v4()),
                result_type: ResultType::from((*kind).to_owned()),
                timestamp: String::new(),
                title: Some((*title).to_owned()),
                fields: Vec::new(),
                problem: None,
                stats: Vec::new(),
                growing: None,
            })
            .collect(),
    }
}

fn object(value: Value) -> Map<String, Value> {
    value.as_object().expect("an object").clone()
}

fn run<'a>(detail: &'a RunDetail, metadata: &'a Map<String, Value>) -> Compared<'a> {
    Compared { detail, metadata }
}

#[test]
fn an_equation_differs_in_the_one_number_that_changed() {
    let d = tokens("u_t = 0.5*u_xx + 1e-3", "u_t = 0.25*u_xx + 1e-3");
    assert_eq!(d.differing, 1);
    assert_eq!(
        d.parts,
        [
            (Change::Same, "u_t = ".to_owned()),
            (Change::Removed, "0.5".to_owned()),
            (Change::Added, "0.25".to_owned()),
            (Change::Same, "*u_xx + 1e-3".to_owned()),
        ]
    );
    // An exponent is part of its number; a name is one token.
    assert_eq!(tokens("dt = 1e-3", "dt = 5e-4").differing, 1);
    assert_eq!(tokens("alpha*x", "beta*x").differing, 1);
    assert_eq!(tokens("same", "same").differing, 0);
    // Both texts come back from the parts.
    let d = tokens("a + b·c", "a - b·c²");
    let side = |keep: Change| -> String {
        d.parts
            .iter()
            .filter(|(c, _)| *c == Change::Same || *c == keep)
            .map(|(_, t)| t.as_str())
            .collect()
    };
    assert_eq!(side(Change::Removed), "a + b·c");
    assert_eq!(side(Change::Added), "a - b·c²");
}

#[test]
fn a_circuit_differs_in_the_lines_that_changed() {
    let d = lines(
        "h q0\nrz(0.5) q0\nmeasure q0\n",
        "h q0\nrz(0.25) q0\nmeasure q0\n",
    );
    assert_eq!(
        d.differing, 1,
        "one line replaced by one is one line differing"
    );
    assert_eq!(
        d.parts,
        [
            (Change::Same, "h q0".to_owned()),
            (Change::Removed, "rz(0.5) q0".to_owned()),
            (Change::Added, "rz(0.25) q0".to_owned()),
            (Change::Same, "measure q0".to_owned()),
        ]
    );
    assert_eq!(lines("a\nb", "a\nb\nc\nd").differing, 2);
    assert_eq!(lines("", "").differing, 0);
}

#[test]
fn two_runs_differing_in_one_constant_say_so_in_one_sentence() {
    let a = detail("heat a", "u_t = u_xx", "h q0\nrz(0.001) q0", &[]);
    let b = detail("heat b", "u_t = u_xx", "h q0\nrz(0.0005) q0", &[]);
    let (ma, mb) = (
        object(json!({"dt": 1e-3, "solver": "rk4", "grid": {"n": 64}})),
        object(json!({"dt": 5e-4, "solver": "rk4", "grid": {"n": 64}})),
    );
    let c = compare(&[run(&a, &ma), run(&b, &mb)], 0);
    assert_eq!(
        c.sentence,
        "meta.dt 0.001 → 0.0005; equation identical; circuit: 1 line differs"
    );
    let differing: Vec<&MetaRow> = c.metadata.iter().filter(|m| m.differs).collect();
    assert_eq!(differing.len(), 1);
    assert_eq!(differing[0].key, "dt");
    assert_eq!(differing[0].deltas, [Some(0.0), Some(5e-4 - 1e-3)]);
    let keys: Vec<&str> = c.metadata.iter().map(|m| m.key.as_str()).collect();
    assert_eq!(keys, ["dt", "grid.n", "solver"]);
    assert_eq!(c.runs[0].label, "dt=0.001");
    assert_eq!(c.runs[1].label, "dt=0.0005");
    assert_eq!(c.circuits[1].differing, 1);
    assert_eq!(c.circuits[0].differing, 0, "the baseline against itself");
    // The other run as the baseline: the arrow turns round.
    let c = compare(&[run(&a, &ma), run(&b, &mb)], 1);
    assert!(
        c.sentence.starts_with("meta.dt 0.0005 → 0.001;"),
        "{}",
        c.sentence
    );
}

#[test]
fn many_runs_count_values_and_name_each_run_by_what_differs() {
    let runs: Vec<RunDetail> = (0..3)
        .map(|i| detail(&format!("r{i}"), &format!("u_t = {i}*u"), "c", &[]))
        .collect();
    let metas: Vec<Map<String, Value>> =
        [(1e-2, "euler", 16), (1e-3, "rk4", 16), (1e-4, "rk4", 32)]
            .iter()
            .map(|(dt, solver, n)| {
                object(json!({"dt": dt, "solver": solver, "grid": {"n": n}, "seed": 7}))
            })
            .collect();
    let compared: Vec<Compared> = runs.iter().zip(&metas).map(|(d, m)| run(d, m)).collect();
    let c = compare(&compared, 0);
    assert_eq!(
        c.sentence,
        "meta.dt: 3 values; meta.grid.n: 2 values; meta.solver: 2 values; equation differs in 2 of 2 runs; \
         circuit identical"
    );
    assert_eq!(c.runs[2].label, "dt=0.0001, n=32, solver=rk4");
    assert!(!c.metadata.iter().find(|m| m.key == "seed").unwrap().differs);
}

#[test]
fn labels_name_runs_by_parameters_not_by_outcomes_or_descriptions() {
    let runs: Vec<RunDetail> = ["Brownian motion", "Ornstein–Uhlenbeck"]
        .iter()
        .map(|name| detail(name, "e", "c", &[]))
        .collect();
    let metas: Vec<Map<String, Value>> = [
        (
            "dX = σ dW, 400 paths, sample mean and variance against 0 and t",
            1.3384376860471614e-6,
            0.5,
        ),
        (
            "dX = −θ X dt + σ dW, 400 paths, mean against x0·e^(−θt)",
            2.5e-3,
            0.25,
        ),
    ]
    .iter()
    .map(|(description, max_error, h)| {
        object(json!({"description": description, "max_error": max_error, "h": h}))
    })
    .collect();
    let compared: Vec<Compared> = runs.iter().zip(&metas).map(|(d, m)| run(d, m)).collect();
    let c = compare(&compared, 0);
    assert_eq!(c.runs[0].label, "h=0.5");
    assert_eq!(c.runs[1].label, "h=0.25");
    // Only a description and an outcome differ: the runs are named by their names.
    let metas: Vec<Map<String, Value>> = metas
        .iter()
        .map(|m| object(json!({"description": m["description"], "max_error": m["max_error"]})))
        .collect();
    let compared: Vec<Compared> = runs.iter().zip(&metas).map(|(d, m)| run(d, m)).collect();
    let c = compare(&compared, 0);
    assert_eq!(
        [c.runs[0].label.as_str(), c.runs[1].label.as_str()],
        ["Brownian motion", "Ornstein–Uhlenbeck"]
    );
}

#[test]
fn a_key_only_some_runs_have_differs_and_identical_runs_are_named_by_name() {
    let a = detail("first", "e", "c", &[]);
    let b = detail("second", "e", "c", &[]);
    let (ma, mb) = (
        object(json!({"x": 1})),
        object(json!({"x": 1, "extra": true})),
    );
    let c = compare(&[run(&a, &ma), run(&b, &mb)], 0);
    assert_eq!(
        c.sentence,
        "meta.extra (none) → true; equation identical; circuit identical"
    );
    assert_eq!(c.runs[0].label, "extra=–");
    // NaN (the storage's marker for a bare NaN) is the same as NaN.
    let same = object(json!({"x": 1, "diverged": "\u{0}NaN"}));
    let c = compare(&[run(&a, &same), run(&b, &same)], 0);
    assert_eq!(
        c.sentence,
        "metadata identical; equation identical; circuit identical"
    );
    assert_eq!(
        [c.runs[0].label.as_str(), c.runs[1].label.as_str()],
        ["first", "second"]
    );
}

#[test]
fn results_match_by_type_title_and_order() {
    let a = detail(
        "a",
        "e",
        "c",
        &[
            ("Solution1D", "u"),
            ("Solution1D", "u"),
            ("OptimizationResult", "loss"),
        ],
    );
    let b = detail(
        "b",
        "e",
        "c",
        &[("OptimizationResult", "loss"), ("Solution1D", "u")],
    );
    let empty = Map::new();
    let c = compare(&[run(&a, &empty), run(&b, &empty)], 0);
    let rows: Vec<(String, [bool; 2])> = c
        .results
        .iter()
        .map(|m| {
            (
                format!("{} {}", m.result_type.as_str(), m.title.as_deref().unwrap()),
                [m.results[0].is_some(), m.results[1].is_some()],
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("Solution1D u".to_owned(), [true, true]),
            ("Solution1D u".to_owned(), [true, false]),
            ("OptimizationResult loss".to_owned(), [true, true]),
        ]
    );
    assert_eq!(c.results[0].results[1], Some(b.results[1].id));
}
