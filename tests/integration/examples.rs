//! `asgard example`: every built-in example runs, writes real results within its stated tolerance, and is
//! deterministic; malformed files are refused before anything is written.

use std::collections::HashMap;
use std::time::Duration;

use asgard::example::{library, parse_all, run::run_example};
use asgard::model::{FieldValue, ResultType, RunStatus};
use indicatif::ProgressBar;

use crate::support::{asgard, path_str, temp_storage};

#[test]
fn every_builtin_example_runs_within_its_tolerance() {
    let (_dir, storage) = temp_storage();
    let examples = parse_all(library::builtin()).expect("every built-in example parses");
    assert!(
        examples.len() >= 14,
        "at least 14 examples, found {}",
        examples.len()
    );
    let mut writers: HashMap<ResultType, Vec<String>> = HashMap::new();
    for (example, spec) in &examples {
        let outcome = run_example(
            &storage,
            example,
            spec,
            &ProgressBar::hidden(),
            Duration::ZERO,
        );
        assert!(
            outcome.failure.is_none(),
            "{}: {:?}",
            example.path,
            outcome.failure
        );
        let tolerance = spec
            .tolerance
            .unwrap_or_else(|| panic!("{} states no tolerance", example.path));
        let error = outcome
            .max_error
            .unwrap_or_else(|| panic!("{} has no expected solution", example.path));
        assert!(
            error <= tolerance,
            "{}: error {error:e} above its tolerance {tolerance:e}",
            example.path
        );

        let run = storage.read_run(outcome.run.unwrap()).unwrap();
        assert_eq!(run.status, RunStatus::Completed, "{}", example.path);
        assert_eq!(run.name, spec.name);
        assert_eq!(run.equation.as_deref(), Some(spec.equation.as_str()));
        let circuit = run.circuit.unwrap_or_default();
        assert!(
            circuit.contains(" = load "),
            "{}: the circuit lists the compiled program:\n{circuit}",
            example.path
        );
        assert_eq!(
            run.results.len(),
            spec.record.len(),
            "{}: one result per record",
            example.path
        );
        assert_eq!(run.metadata["max_error"].as_f64(), Some(error));
        for id in &run.results {
            let result = storage.get_result(*id).unwrap();
            let values: Vec<f64> = result
                .fields
                .iter()
                .filter_map(|(_, v)| match v {
                    FieldValue::Array(a) => Some(a.values.clone()),
                    FieldValue::Json(_) => None,
                })
                .flatten()
                .collect();
            assert!(
                values.len() > 10,
                "{}: real arrays, found {} values",
                example.path,
                values.len()
            );
            assert!(
                values.iter().all(|v| v.is_finite()),
                "{}: finite values",
                example.path
            );
            writers
                .entry(result.result_type.clone())
                .or_default()
                .push(example.path.clone());
        }
    }
    for t in ResultType::KNOWN {
        let mut by = writers.get(&t).cloned().unwrap_or_default();
        by.dedup();
        assert!(
            by.len() >= 2,
            "{t} is written by at least two examples, found {by:?}"
        );
    }
}

#[test]
fn a_seeded_example_computes_the_same_numbers_every_time() {
    let (_dir, storage) = temp_storage();
    let example = library::resolve("stochastic/02_ornstein_uhlenbeck.yaml").unwrap();
    let parsed = parse_all(vec![example]).unwrap();
    let (example, spec) = &parsed[0];
    let arrays = |run| {
        let run = storage.read_run(run).unwrap();
        run.results
            .iter()
            .map(|id| storage.get_result(*id).unwrap().fields)
            .collect::<Vec<_>>()
    };
    let first = run_example(
        &storage,
        example,
        spec,
        &ProgressBar::hidden(),
        Duration::ZERO,
    );
    let second = run_example(
        &storage,
        example,
        spec,
        &ProgressBar::hidden(),
        Duration::ZERO,
    );
    assert_ne!(first.run, second.run);
    assert_eq!(arrays(first.run.unwrap()), arrays(second.run.unwrap()));
}

#[test]
fn the_cli_runs_one_example_and_lists_them_all() {
    let (_dir, storage) = temp_storage();
    let out = asgard(&[
        "example",
        "basic/01_integration.yaml",
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
    assert!(
        stdout.contains("basic/01_integration.yaml")
            && stdout.contains("Solution1D")
            && stdout.contains("ok"),
        "the summary: {stdout}"
    );
    let runs = storage.list_runs().unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].name, "Integration of cos(x)");

    let list = asgard(&["example", "--list"]).wait_with_output().unwrap();
    let list = String::from_utf8_lossy(&list.stdout);
    for example in library::builtin() {
        assert!(
            list.contains(&example.path),
            "--list names {}",
            example.path
        );
    }
    assert!(
        list.contains("physics:\n") && list.contains("Cumulative integral of cos(x)"),
        "{list}"
    );
}

#[test]
fn a_malformed_file_is_refused_with_its_place_and_nothing_is_written() {
    let (dir, storage) = temp_storage();
    let mine = dir.path().join("mine.yaml");
    let text = library::resolve("basic/03_harmonic_oscillator.yaml")
        .unwrap()
        .text
        .replace("method: rk4", "method: leapfrog");
    std::fs::write(&mine, text).unwrap();
    let out = asgard(&[
        "example",
        path_str(&mine),
        "--storage",
        path_str(storage.root()),
    ])
    .wait_with_output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("mine.yaml:10:"), "file and line: {stderr}");
    assert!(stderr.contains("`computation.method`"), "the key: {stderr}");
    assert!(
        stderr.contains("unknown variant `leapfrog`, expected one of `euler`, `rk4`, `verlet`"),
        "what was expected: {stderr}"
    );
    assert!(
        storage.list_runs().unwrap().is_empty(),
        "nothing was written"
    );
    // With a good example beside it, neither runs: every file is checked first.
    let both = vec![
        library::resolve("basic/01_integration.yaml").unwrap(),
        library::resolve(path_str(&mine)).unwrap(),
    ];
    let errors = parse_all(both).expect_err("one is malformed");
    assert_eq!(errors.len(), 1);

    let unknown = asgard(&[
        "example",
        "-c",
        "astrology",
        "--storage",
        path_str(storage.root()),
    ])
    .wait_with_output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        !unknown.status.success()
            && stderr
                .contains("no category `astrology`: expected one of basic, convergence, discrete"),
        "{stderr}"
    );
}

#[test]
fn an_example_that_fails_while_computing_marks_its_run_failed_with_the_error() {
    let (dir, storage) = temp_storage();
    // dy/dt = y² from y = 1 blows up at t = 1.
    let mine = dir.path().join("blowup.yaml");
    std::fs::write(
        &mine,
        "name: Blow-up\ndescription: y' = y^2\nequation: \"dy/dt = y²\"\ncomputation:\n  solver: ode\n  method: euler\n  \
         state:\n    - {name: y, initial: 1, rate: \"y^2\"}\n  time: [0, 2]\n  steps: 100000\nrecord:\n  - type: Solution1D\n    of: y\n",
    )
    .unwrap();
    let out = asgard(&[
        "example",
        path_str(&mine),
        "--storage",
        path_str(storage.root()),
    ])
    .wait_with_output()
    .unwrap();
    assert!(!out.status.success(), "a failed example fails the command");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("failed: the solution left the finite numbers"),
        "the summary says why: {stdout}"
    );
    let runs = storage.list_runs().unwrap();
    assert_eq!(runs.len(), 1);
    let run = storage.read_run(runs[0].id).unwrap();
    assert_eq!(run.status, RunStatus::Failed);
    assert!(
        run.metadata["error"]
            .as_str()
            .unwrap()
            .contains("left the finite numbers at t = 1."),
        "{:?}",
        run.metadata
    );
}
