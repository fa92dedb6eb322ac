//! Comparing runs: what makes them differ (`model::compare::Comparison`), from their details alone — no I/O, so
//! that every rule here is unit-tested on hand-made runs.

pub mod convergence;
mod diff;
pub mod study;
pub mod sweep;

use std::collections::HashMap;

use serde_json::{Map, Value};

pub use diff::{lines, tokens};

use crate::model::compare::{ComparedRun, Comparison, MatchedResult, MetaRow, TextDiff};
use crate::model::{ResultType, RunDetail};
use crate::query::{Scalar, Symbols};

/// How many differing metadata keys the sentence names before it counts the rest.
const SENTENCE_KEYS: usize = 3;

/// How many differing values a legend label names.
const LABEL_KEYS: usize = 3;

/// One run to compare: its details and its metadata object.
pub struct Compared<'a> {
    pub detail: &'a RunDetail,
    pub metadata: &'a Map<String, Value>,
}

/// `runs` compared against `runs[baseline]`.
pub fn compare(runs: &[Compared], baseline: usize) -> Comparison {
    assert!(baseline < runs.len(), "the baseline is one of the runs");
    let metadata = metadata_rows(runs, baseline);
    let text_diffs =
        |text: fn(&RunDetail) -> &str, diff: fn(&str, &str) -> TextDiff| -> Vec<TextDiff> {
            let base = text(runs[baseline].detail);
            runs.iter().map(|r| diff(base, text(r.detail))).collect()
        };
    let equations = text_diffs(|d| d.summary.equation.as_deref().unwrap_or(""), tokens);
    let circuits = text_diffs(|d| d.summary.circuit.as_deref().unwrap_or(""), lines);
    let differing: Vec<&MetaRow> = metadata.iter().filter(|m| m.differs).collect();
    let runs_out = runs
        .iter()
        .enumerate()
        .map(|(i, r)| ComparedRun {
            id: r.detail.summary.id,
            name: r.detail.summary.name.clone(),
            label: label(runs, &differing, i),
            status: r.detail.summary.status,
        })
        .collect();
    Comparison {
        sentence: sentence(runs.len(), baseline, &differing, &equations, &circuits),
        runs: runs_out,
        baseline,
        metadata,
        equations,
        circuits,
        results: match_results(runs),
    }
}

/// Every metadata key any run has, flattened as queries flatten it (`grid.n`), with each run's value.
fn metadata_rows(runs: &[Compared], baseline: usize) -> Vec<MetaRow> {
    let mut symbols = Symbols::default();
    let pairs: Vec<Vec<_>> = runs.iter().map(|r| symbols.pairs(r.metadata)).collect();
    let mut keys: Vec<_> = pairs.iter().flatten().map(|(k, _)| *k).collect();
    keys.sort_by(|a, b| symbols.name(*a).cmp(symbols.name(*b)));
    keys.dedup();
    keys.into_iter()
        .map(|key| {
            let values: Vec<Option<&Scalar>> =
                pairs.iter().map(|p| crate::query::lookup(p, key)).collect();
            let number = |v: Option<&Scalar>| match v {
                Some(Scalar::Number(n)) => Some(*n),
                _ => None,
            };
            let base = number(values[baseline]);
            MetaRow {
                key: symbols.name(key).to_owned(),
                differs: values.iter().any(|v| !same(*v, values[baseline])),
                deltas: values.iter().map(|v| Some(number(*v)? - base?)).collect(),
                values: values.iter().map(|v| v.map(text)).collect(),
            }
        })
        .collect()
}

/// Whether two values are the same (NaN is the same as NaN: two runs that both diverged do not differ there).
fn same(a: Option<&Scalar>, b: Option<&Scalar>) -> bool {
    match (a, b) {
        (Some(Scalar::Number(x)), Some(Scalar::Number(y))) => x == y || (x.is_nan() && y.is_nan()),
        (a, b) => a == b,
    }
}

/// A value as the page shows it: numbers in their shortest exact form (`0.0005`, `1e-7`).
fn text(value: &Scalar) -> String {
    match value {
        Scalar::Number(n) if *n != 0.0 && n.is_finite() && !(1e-4..1e6).contains(&n.abs()) => {
            format!("{n:e}")
        }
        Scalar::Number(n) => format!("{n}"),
        Scalar::Bool(b) => b.to_string(),
        Scalar::Text(t) => t.to_string(),
    }
}

/// A run's legend label: the values of the first differing keys that look like parameters rather than outcomes
/// (`dt=0.0005, solver=rk4`: short text, numbers of few digits — not `max_error=0.13158371006455327`, not a
/// description); its name when no metadata differs, or none of what differs names a run well.
fn label(runs: &[Compared], differing: &[&MetaRow], run: usize) -> String {
    let parameters: Vec<&&MetaRow> = differing
        .iter()
        .filter(|m| m.values.iter().flatten().all(|v| names_a_run(v)))
        .collect();
    if parameters.is_empty() {
        return runs[run].detail.summary.name.clone();
    }
    parameters
        .iter()
        .take(LABEL_KEYS)
        .map(|m| {
            let key = m.key.rsplit('.').next().unwrap_or(&m.key);
            format!("{key}={}", m.values[run].as_deref().unwrap_or("–"))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether a value, as the page shows it, is short enough to name a run by: text of up to 24 characters, a
/// number of up to 12 (`0.00390625`, `1e-7`; a computed `0.13158371006455327` is an outcome, not a setting).
fn names_a_run(value: &str) -> bool {
    let limit = if value.parse::<f64>().is_ok() { 12 } else { 24 };
    value.chars().count() <= limit
}

/// `meta.dt 0.001 → 0.0005; equation identical; circuit: 1 line differs`.
fn sentence(
    runs: usize,
    baseline: usize,
    differing: &[&MetaRow],
    equations: &[TextDiff],
    circuits: &[TextDiff],
) -> String {
    let mut parts: Vec<String> = Vec::new();
    if differing.is_empty() {
        parts.push("metadata identical".into());
    }
    for m in differing.iter().take(SENTENCE_KEYS) {
        let shown = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".into());
        parts.push(if runs == 2 {
            let other = 1 - baseline;
            format!(
                "meta.{} {} → {}",
                m.key,
                shown(&m.values[baseline]),
                shown(&m.values[other])
            )
        } else {
            let mut distinct: Vec<String> = m.values.iter().map(shown).collect();
            distinct.sort();
            distinct.dedup();
            format!("meta.{}: {} values", m.key, distinct.len())
        });
    }
    if differing.len() > SENTENCE_KEYS {
        parts.push(format!(
            "{} more keys differ",
            differing.len() - SENTENCE_KEYS
        ));
    }
    for (what, diffs, unit) in [
        ("equation", equations, "token"),
        ("circuit", circuits, "line"),
    ] {
        let changed: Vec<&TextDiff> = diffs.iter().filter(|d| d.differing > 0).collect();
        parts.push(match (changed.len(), runs) {
            (0, _) => format!("{what} identical"),
            (_, 2) => {
                let n = changed[0].differing;
                let verb = if n == 1 { "differs" } else { "differ" };
                format!("{what}: {n} {unit}{} {verb}", if n == 1 { "" } else { "s" })
            }
            (k, _) => format!("{what} differs in {k} of {} runs", runs - 1),
        });
    }
    parts.join("; ")
}

/// The runs' results matched by type and title: the k-th result of a type and title in one run with the k-th of
/// the same type and title in another.
fn match_results(runs: &[Compared]) -> Vec<MatchedResult> {
    let mut matched: Vec<MatchedResult> = Vec::new();
    let mut slots: HashMap<(ResultType, Option<String>, usize), usize> = HashMap::new();
    for (i, run) in runs.iter().enumerate() {
        let mut seen: HashMap<(ResultType, Option<String>), usize> = HashMap::new();
        for result in &run.detail.results {
            let kind = (result.result_type.clone(), result.title.clone());
            let nth = seen.entry(kind.clone()).or_default();
            let key = (kind.0, kind.1, *nth);
            *nth += 1;
            let slot = *slots.entry(key.clone()).or_insert_with(|| {
                matched.push(MatchedResult {
                    result_type: key.0.clone(),
                    title: key.1.clone(),
                    results: vec![None; runs.len()],
                });
                matched.len() - 1
            });
            matched[slot].results[i] = Some(result.id);
        }
    }
    matched
}

#[cfg(test)]
mod tests;
