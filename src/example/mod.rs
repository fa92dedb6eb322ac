//! `asgard example`: declarative YAML simulations, computed by a small numerical runtime and written through
//! the storage API, so that they stream into the monitor.
//!
//! `spec` reads and checks the YAML, `sweep` expands a `sweep:` into one example per point, `expr` compiles its
//! expressions, `solvers` compute, `run` writes a run and its results, `library` holds the built-in examples.

pub mod computation;
pub mod expr;
pub mod library;
pub mod located;
pub mod real;
pub mod recorder;
pub mod run;
pub mod solvers;
pub mod spec;
pub mod sweep;

use std::time::Duration;

use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, Table};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use crate::storage::AsgardStorage;
use library::Example;
use run::Outcome;
use spec::{Spec, SpecError};

/// Every built-in example as the path to pass, with its description, grouped by category.
pub fn list() -> String {
    let mut out = String::new();
    let mut current = None;
    for example in library::builtin() {
        let category = library::category_of(&example.path);
        if category != current {
            out.push_str(&format!("{}:\n", category.as_deref().unwrap_or("")));
            current = category;
        }
        let description = Spec::parse(&example.path, &example.text)
            .map(|s| s.description)
            .unwrap_or_else(|e| format!("(does not parse: {e})"));
        out.push_str(&format!("  {:<46} {description}\n", example.path));
    }
    out
}

/// Reads an example file (`Spec::parse`: the YAML and its computation; one example per point of its `sweep`,
/// `sweep::points`), then checks what serde cannot (`solvers::check`: expressions compile with the names they
/// may use, the record types the solver writes, sizes and ranges), each mistake placed in the file.
pub fn parse(file: &str, text: &str) -> Result<Vec<Spec>, SpecError> {
    let specs = sweep::points(file, text)?;
    for spec in &specs {
        solvers::check(spec).map_err(|mistake| {
            let e = SpecError::located(file, text, mistake);
            match spec.point.is_empty() {
                true => e,
                false => SpecError {
                    message: format!(
                        "at the sweep point {}: {}",
                        sweep::label(&spec.point),
                        e.message
                    ),
                    ..e
                },
            }
        })?;
    }
    Ok(specs)
}

/// Parses every example, one entry per point of a sweep; all of them must parse before any runs, so that a
/// mistake writes nothing. The points of every sweep share one new id (their runs' `meta.sweep`).
pub fn parse_all(examples: Vec<Example>) -> Result<Vec<(Example, Spec)>, Vec<SpecError>> {
    let sweep = uuid::Uuid::new_v4().to_string();
    let mut parsed = Vec::new();
    let mut errors = Vec::new();
    for example in examples {
        match parse(&example.path, &example.text) {
            Ok(specs) => parsed.extend(specs.into_iter().map(|mut spec| {
                if !spec.point.is_empty() {
                    spec.sweep = Some(sweep.clone());
                }
                (example.clone(), spec)
            })),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(parsed)
    } else {
        Err(errors)
    }
}

/// Where the convergence page shows the sweeps among `examples`: `/converge?x=meta.{key}&y=error.max&group=…`,
/// x being the first swept key whose values are all numbers (the refinement: `h`, `N`, `dt`), the groups the
/// example and every other swept key, over the runs of this invocation. `None` without a sweep.
pub fn study_address(examples: &[(Example, Spec)]) -> Option<String> {
    let swept: Vec<&Spec> = examples
        .iter()
        .map(|(_, s)| s)
        .filter(|s| s.sweep.is_some())
        .collect();
    let first = swept.first()?;
    let x = first.point.iter().find(|(_, v)| v.is_number())?.0.clone();
    let mut group = vec!["meta.example".to_owned()];
    for spec in &swept {
        for (key, _) in &spec.point {
            let field = format!("meta.{key}");
            if *key != x && !group.contains(&field) {
                group.push(field);
            }
        }
    }
    let query = format!("meta.sweep = \"{}\"", first.sweep.as_deref()?);
    let address = form_urlencoded::Serializer::new(String::new())
        .append_pair("x", &format!("meta.{x}"))
        .append_pair("y", "error.max")
        .append_pair("group", &group.join(","))
        .append_pair("q", &query)
        .finish();
    Some(format!("/converge?{address}"))
}

/// Runs the examples one after the other, with a progress bar each; `pause` waits before each one, and those
/// that write as they go take at least `stream` each (see [`recorder::Recorder::progress`]).
pub fn run_all(
    storage: &AsgardStorage,
    examples: &[(Example, Spec)],
    pause: Duration,
    stream: Duration,
    show: bool,
) -> Vec<Outcome> {
    let bars = MultiProgress::new();
    if !show {
        bars.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let style =
        ProgressStyle::with_template("{prefix:<36} [{bar:30}] {percent:>3}% {elapsed:>4} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
    let mut outcomes = Vec::new();
    for (example, spec) in examples {
        if !pause.is_zero() {
            std::thread::sleep(pause);
        }
        let bar = bars.add(
            ProgressBar::new(1000)
                .with_style(style.clone())
                .with_prefix(example.path.clone()),
        );
        let outcome = run::run_example(storage, example, spec, &bar, stream);
        bar.finish_with_message(match &outcome.failure {
            None => "done".to_owned(),
            Some(_) => "failed".to_owned(),
        });
        outcomes.push(outcome);
    }
    outcomes
}

/// The table printed at the end: example, result types, max error against the expected solution, wall time.
pub fn summary(outcomes: &[Outcome]) -> String {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(vec![
        "example",
        "result types",
        "max error",
        "tolerance",
        "time",
        "status",
    ]);
    for o in outcomes {
        let mut types: Vec<&str> = o.types.iter().map(|t| t.as_str()).collect();
        types.dedup();
        table.add_row(vec![
            Cell::new(&o.example),
            Cell::new(types.join(", ")),
            Cell::new(o.max_error.map_or("—".to_owned(), |e| format!("{e:.2e}"))),
            Cell::new(o.tolerance.map_or("—".to_owned(), |t| format!("{t:.0e}"))),
            Cell::new(format!("{:.2} s", o.seconds)),
            Cell::new(match (&o.failure, o.passed()) {
                (Some(e), _) => format!("failed: {e}"),
                (None, true) => "ok".to_owned(),
                (None, false) => "error above tolerance".to_owned(),
            }),
        ]);
    }
    table.to_string()
}
