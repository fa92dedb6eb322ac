//! `/compare?runs=ID,ID,…[&baseline=ID]`: why the runs differ — the sentence, the metadata that differs (a switch
//! shows every key), the equations and circuits against the baseline's — and which results they share. Each run
//! keeps one colour (its place in the list). Results drawn as curves are overlaid, one chart per result with
//! every run's curve in its colour and a residual panel (an optimisation's parameters as small multiples under
//! it, an ensemble's distributions at one shared time); fields on one colour scale with difference maps against
//! the baseline; animations on one timeline.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::location::Url;

use crate::model::compare::{Change, Comparison, MetaRow, TextDiff};
use crate::model::ResultType;
use crate::plots::overlay::overlays;
use crate::ui::components::fields::FieldsPlot;
use crate::ui::components::histograms::HistogramsPlot;
use crate::ui::components::overlay::OverlayPlot;
use crate::ui::components::run_colour as colour;
use crate::ui::components::timeline::TimelinePlot;
use crate::ui::server_fns::{fetch_comparison, list_runs};

#[component]
pub fn ComparePage() -> impl IntoView {
    let query = use_query_map();
    let params = move || {
        let q = query.read();
        (
            q.get("runs").unwrap_or_default(),
            q.get("baseline").unwrap_or_default(),
        )
    };
    let comparison = Resource::new(params, |(runs, baseline)| fetch_comparison(runs, baseline));
    view! {
        <Transition fallback=|| view! { <p class="muted">"Comparing…"</p> }>
            {move || {
                comparison
                    .get()
                    .map(|answer| match answer {
                        Ok(c) => view! { <CompareView c /> }.into_any(),
                        Err(e) => {
                            view! {
                                <p class="problem" data-testid="compare-error">{e.to_string()}</p>
                                <p><a href="/">"Back to all runs"</a></p>
                            }
                                .into_any()
                        }
                    })
            }}
        </Transition>
    }
}

#[component]
fn CompareView(c: Comparison) -> impl IntoView {
    let ids: Vec<String> = c.runs.iter().map(|r| r.id.to_string()).collect();
    let all = ids.join(",");
    let show_all = RwSignal::new(false);
    let labels: Vec<String> = c.runs.iter().map(|r| r.label.clone()).collect();
    let baseline = c.baseline;
    let runs = c
        .runs
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let make_baseline = format!("/compare?runs={all}&baseline={}", r.id);
            // Without this run; the baseline stays unless it is the one removed (then the first left is).
            let others: Vec<&str> = ids
                .iter()
                .filter(|id| **id != r.id.to_string())
                .map(String::as_str)
                .collect();
            let remove = if i == baseline {
                format!("/compare?runs={}", others.join(","))
            } else {
                format!("/compare?runs={}&baseline={}", others.join(","), ids[baseline])
            };
            view! {
                <li data-testid="compared-run">
                    <span class=colour(i)></span>
                    <a href=format!("/run/{}", r.id)>{r.label.clone()}</a>
                    <span class="muted">" " {r.name.clone()}</span>
                    {if i == baseline {
                        view! { <span class="badge" data-testid="baseline">"baseline"</span> }.into_any()
                    } else {
                        view! { <a class="small" href=make_baseline>"make baseline"</a> }.into_any()
                    }}
                    {(others.len() >= 2)
                        .then(|| {
                            view! {
                                <a class="small" href=remove data-testid="remove-run">
                                    "remove"
                                </a>
                            }
                        })}
                </li>
            }
        })
        .collect_view();
    let rows = c.metadata.clone();
    // One column per run, in its colour: the metadata table's and the results table's.
    let run_columns = || {
        labels
            .iter()
            .enumerate()
            .map(|(i, l)| view! { <th><span class=colour(i)></span>{l.clone()}</th> })
            .collect_view()
    };
    let others: Vec<usize> = (0..c.runs.len()).filter(|&i| i != baseline).collect();
    let equations = others
        .iter()
        .map(|&i| view! { <TextAgainst label=labels[i].clone() i diff=c.equations[i].clone() lines=false /> })
        .collect_view();
    let circuits = others
        .iter()
        .map(|&i| view! { <TextAgainst label=labels[i].clone() i diff=c.circuits[i].clone() lines=true /> })
        .collect_view();
    let results = c
        .results
        .iter()
        .map(|m| {
            let shared = m.results.iter().all(Option::is_some);
            let cells = m
                .results
                .iter()
                .map(|r| match r {
                    Some(_) => view! { <td>"✓"</td> }.into_any(),
                    None => view! { <td class="muted">"—"</td> }.into_any(),
                })
                .collect_view();
            view! {
                <tr class:unmatched=!shared data-testid="matched-result">
                    <td>{m.result_type.as_str().to_owned()} " " {m.title.clone().unwrap_or_default()}</td>
                    {cells}
                </tr>
            }
        })
        .collect_view();
    // Every result drawn as curves, all runs' on one chart in their colours; fields on one colour scale.
    let overlays = c
        .results
        .iter()
        .filter(|m| {
            (overlays(&m.result_type)
                || matches!(m.result_type, ResultType::Solution2D | ResultType::PhysicsAnimation))
                && m.results.iter().flatten().count() > 0
        })
        .map(|m| {
            let heading = format!(
                "{} {}",
                m.result_type.as_str(),
                m.title.clone().unwrap_or_default()
            );
            view! {
                <section class="overlay-card" data-testid="overlay-card">
                    <h3>{heading}</h3>
                    {if m.result_type == ResultType::Solution2D {
                        view! { <FieldsPlot results=m.results.clone() baseline labels=labels.clone() /> }.into_any()
                    } else if m.result_type == ResultType::PhysicsAnimation {
                        view! { <TimelinePlot results=m.results.clone() labels=labels.clone() /> }.into_any()
                    } else {
                        let csv = format!(
                            "/api/compare/csv?runs={all}&type={}&title={}",
                            Url::escape(m.result_type.as_str()),
                            Url::escape(m.title.as_deref().unwrap_or_default()),
                        );
                        let ensemble = m.result_type == ResultType::StochasticEnsemble;
                        view! {
                            <OverlayPlot
                                results=m.results.clone()
                                result_type=m.result_type.clone()
                                baseline
                                labels=labels.clone()
                                csv
                            />
                            {ensemble
                                .then(|| {
                                    view! { <HistogramsPlot results=m.results.clone() labels=labels.clone() /> }
                                })}
                        }
                            .into_any()
                    }}
                </section>
            }
        })
        .collect_view();
    view! {
        <div class="compare">
            <h1>"Compare " {c.runs.len()} " runs"</h1>
            <p class="why" data-testid="why">{c.sentence.clone()}</p>
            <ol class="compared-runs">{runs}</ol>
            <AddRuns ids=ids.clone() baseline=ids[baseline].clone() />
            <h2>"Metadata"</h2>
            <label class="small">
                <input type="checkbox" data-testid="show-all-keys" bind:checked=show_all />
                " show every key"
            </label>
            <div class="wide-table">
            <table class="meta-diff" data-testid="meta-diff">
                <thead><tr><th>"key"</th>{run_columns()}</tr></thead>
                <tbody>
                    {move || {
                        rows.iter()
                            .filter(|m| m.differs || show_all.get())
                            .map(|m| view! { <MetaLine m=m.clone() baseline /> })
                            .collect_view()
                    }}
                </tbody>
            </table>
            </div>
            <h2>"Equation"</h2>
            {equations}
            <h2>"Circuit"</h2>
            {circuits}
            <h2>"Results"</h2>
            <div class="wide-table">
                <table class="matched-results">
                    <thead><tr><th>"result"</th>{run_columns()}</tr></thead>
                    <tbody>{results}</tbody>
                </table>
            </div>
            {overlays}
        </div>
    }
}

/// One metadata key: each run's value, and its difference from the baseline's where both are numbers.
#[component]
fn MetaLine(m: MetaRow, baseline: usize) -> impl IntoView {
    let cells = m
        .values
        .iter()
        .zip(&m.deltas)
        .enumerate()
        .map(|(i, (value, delta))| {
            let delta = delta
                .filter(|d| i != baseline && *d != 0.0)
                .map(|d| view! { <span class="delta">{format!(" ({})", delta_text(d))}</span> });
            view! { <td>{value.clone().unwrap_or_else(|| "—".into())}{delta}</td> }
        })
        .collect_view();
    view! {
        <tr class:differs=m.differs data-testid="meta-row">
            <th>{m.key.clone()}</th>
            {cells}
        </tr>
    }
}

/// A difference as the table shows it: exact when short (`-5e-4`), else to four digits (`-3.824e-7`).
fn delta_text(d: f64) -> String {
    let exact = format!("{d:+e}");
    if exact.len() <= 10 {
        exact
    } else {
        format!("{d:+.3e}")
    }
}

/// A run's equation (token by token) or circuit (line by line) against the baseline's: what only it has is
/// marked added, what only the baseline has removed.
#[component]
fn TextAgainst(label: String, i: usize, diff: TextDiff, lines: bool) -> impl IntoView {
    let class = |change: Change| match change {
        Change::Same => "same",
        Change::Added => "added",
        Change::Removed => "removed",
    };
    // Neither run has the text (a run without a circuit against a baseline without one): nothing to show.
    if diff.parts.iter().all(|(_, text)| text.trim().is_empty()) {
        let what = if lines { "circuit" } else { "equation" };
        return view! {
            <div class="text-diff" data-testid=if lines { "circuit-diff" } else { "equation-diff" }>
                <p class="small muted">
                    <span class=colour(i)></span>
                    {format!("{label}: no {what}, as the baseline")}
                </p>
            </div>
        }
        .into_any();
    }
    let heading = if diff.differing == 0 {
        format!("{label}: identical")
    } else {
        label
    };
    let parts = diff
        .parts
        .into_iter()
        .map(|(change, text)| {
            if lines {
                view! { <div class=format!("line {}", class(change))>{text}</div> }.into_any()
            } else {
                view! { <span class=class(change)>{text}</span> }.into_any()
            }
        })
        .collect_view();
    view! {
        <div class="text-diff" data-testid=if lines { "circuit-diff" } else { "equation-diff" }>
            <p class="small"><span class=colour(i)></span>{heading}</p>
            {if lines {
                view! { <pre class="circuit">{parts}</pre> }.into_any()
            } else {
                view! { <p><code>{parts}</code></p> }.into_any()
            }}
        </div>
    }
    .into_any()
}

/// The most runs one "add" brings in.
const MAX_ADDED: usize = 200;

/// Adds runs to the comparison in place: a run's id, or a query in the run list's language (`meta.sweep =
/// "heat"`), whose matching runs (up to `MAX_ADDED`, newest first) join those compared.
#[component]
fn AddRuns(ids: Vec<String>, baseline: String) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let navigate = use_navigate();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let q = text.get_untracked().trim().to_owned();
        if q.is_empty() {
            return;
        }
        let (ids, baseline, navigate) = (ids.clone(), baseline.clone(), navigate.clone());
        leptos::task::spawn_local(async move {
            match runs_named_by(&q).await {
                Ok(found) if found.is_empty() => {
                    problem.set(Some(format!("no run matches {q}")));
                }
                Ok(found) => {
                    let mut all = ids;
                    for id in found {
                        if !all.contains(&id) {
                            all.push(id);
                        }
                    }
                    problem.set(None);
                    text.set(String::new());
                    let address = format!("/compare?runs={}&baseline={baseline}", all.join(","));
                    navigate(&address, Default::default());
                }
                Err(e) => problem.set(Some(e)),
            }
        });
    };
    view! {
        <form class="add-runs" on:submit=submit>
            <label class="small">
                "Add runs: "
                <input
                    type="text"
                    data-testid="add-runs"
                    placeholder="a run id, or a query: meta.sweep = \"heat\""
                    bind:value=text
                />
            </label>
            <button type="submit" class="small">"Add"</button>
            {move || problem.get().map(|p| view! { <span class="problem" data-testid="add-problem">{p}</span> })}
        </form>
    }
}

/// The ids of the runs `text` names: itself when it is a run id, else the runs its query matches (newest
/// first, up to `MAX_ADDED`); what is wrong with the query otherwise.
async fn runs_named_by(text: &str) -> Result<Vec<String>, String> {
    if let Ok(id) = text.parse::<uuid::Uuid>() {
        return Ok(vec![id.to_string()]);
    }
    let page = list_runs(
        0,
        MAX_ADDED,
        text.to_owned(),
        String::new(),
        String::new(),
        String::new(),
    )
    .await
    .map_err(|e| e.to_string())?;
    match page.query_problem {
        Some(p) => Err(p.message),
        None => Ok(page.runs.iter().map(|r| r.id.to_string()).collect()),
    }
}
