//! `/`: every run, newest first, updating live.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::model::{RunPage, RunSummary};
use crate::ui::components::status::StatusBadge;
use crate::ui::server_fns::list_runs;
use crate::ui::{format_timestamp, Live};

/// Rows per page of the run list: a page stays quick to send and to lay out with any number of runs.
pub const RUNS_PER_PAGE: usize = 100;

#[component]
pub fn RunsPage() -> impl IntoView {
    let live = expect_context::<Live>();
    let query = use_query_map();
    // `?page=N`, counted from 1; anything else is the first page.
    let page = Memo::new(move |_| {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<usize>().ok())
            .unwrap_or(1)
            .max(1)
    });
    let runs = Resource::new(
        move || (live.tick.get(), page.get()),
        |(_, page)| list_runs((page - 1) * RUNS_PER_PAGE, RUNS_PER_PAGE),
    );

    view! {
        <h1>"Runs"</h1>
        <Transition fallback=|| view! { <p class="muted">"Loading runs…"</p> }>
            {move || Suspend::new(async move {
                match runs.await {
                    Ok(RunPage { storage_problem: Some(problem), .. }) => {
                        view! { <p class="problem" data-testid="storage-problem">{problem}</p> }.into_any()
                    }
                    Ok(page) if page.total == 0 => view! { <EmptyStorage /> }.into_any(),
                    Ok(page) if page.runs.is_empty() => {
                        view! {
                            <p class="muted">
                                {format!("This page is past the last run ({} in all). ", thousands(page.total))}
                                <A href="/">"Newest runs"</A>
                            </p>
                        }
                            .into_any()
                    }
                    Ok(page) => {
                        view! {
                            <Pager page=page.clone() />
                            <RunTable runs=page.runs />
                        }
                            .into_any()
                    }
                    Err(e) => view! { <p class="problem">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// "Runs 101–200 of 10,000" with links to the newest, newer, older and oldest pages.
#[component]
fn Pager(page: RunPage) -> impl IntoView {
    let pages = page.total.div_ceil(RUNS_PER_PAGE);
    let current = page.offset / RUNS_PER_PAGE + 1;
    let link = move |label: &'static str, to: usize, enabled: bool| {
        if enabled {
            view! { <A href=format!("/?page={to}")>{label}</A> }.into_any()
        } else {
            view! { <span class="disabled">{label}</span> }.into_any()
        }
    };
    view! {
        <nav class="pager" aria-label="Run pages">
            <span data-testid="run-range">
                {format!(
                    "Runs {}–{} of {}",
                    thousands(page.offset + 1),
                    thousands(page.offset + page.runs.len()),
                    thousands(page.total),
                )}
            </span>
            {(pages > 1)
                .then(|| {
                    view! {
                        {link("« Newest", 1, current > 1)}
                        {link("‹ Newer", current.saturating_sub(1).max(1), current > 1)}
                        <span class="muted">{format!("page {current} of {pages}")}</span>
                        {link("Older ›", current + 1, current < pages)}
                        {link("Oldest »", pages, current < pages)}
                    }
                })}
        </nav>
    }
}

/// `12345` → `"12,345"`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[component]
fn RunTable(runs: Vec<RunSummary>) -> impl IntoView {
    view! {
        <table class="runs">
            <colgroup>
                <col class="col-name" />
                <col class="col-time" />
                <col class="col-equation" />
                <col class="col-circuit" />
                <col class="col-count" />
                <col class="col-status" />
            </colgroup>
            <thead>
                <tr>
                    <th>"Name"</th>
                    <th>"Started"</th>
                    <th>"Equation"</th>
                    <th>"Compiled circuit"</th>
                    <th class="num">"Results"</th>
                    <th>"Status"</th>
                </tr>
            </thead>
            <tbody>
                {runs.into_iter().map(|run| view! { <RunRow run /> }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn RunRow(run: RunSummary) -> impl IntoView {
    let href = format!("/run/{}", run.id);
    // The whole text on hover: names and equations are cut to two lines, circuits to one.
    let name_title = run.name.clone();
    view! {
        <tr class="run" data-run-id=run.id.to_string()>
            <td class="name">
                <A href=href attr:class="clamp" attr:title=name_title>
                    {run.name}
                </A>
                {run.problem.map(|p| view! { <div class="problem">{p}</div> })}
            </td>
            <td class="time">{format_timestamp(&run.timestamp)}</td>
            <td class="equation">
                {run.equation.map(|e| view! { <code class="clamp" title=e.clone()>{e.clone()}</code> })}
            </td>
            <td class="circuit">
                {run.circuit.map(|c| view! { <code title=c.clone()>{c.clone()}</code> })}
            </td>
            <td class="num" data-testid="result-count">{run.result_count}</td>
            <td>
                <StatusBadge status=run.status />
            </td>
        </tr>
    }
}

#[component]
fn EmptyStorage() -> impl IntoView {
    view! {
        <div class="empty">
            <p>"No runs in this storage yet. Results appear here the moment a simulation saves them."</p>
            <p>"Run the built-in example simulations into it, and watch them arrive:"</p>
            <pre>"asgard example --all --storage <this storage directory>"</pre>
            <p>"From Rust:"</p>
            <pre>
                "let storage = asgard::storage::AsgardStorage::open(\"storage\")?;\n"
                "let run = storage.create_run(\"heat\", Some(\"u_t = u_xx\"), None)?;\n"
                "storage.add_result(run.id, \"Solution1D\", [(\"x\".into(), x.into()), (\"computed\".into(), u.into())], json!({}))?;"
            </pre>
            <p>
                "Any language can write the files directly: see docs/storage-format.md in the Asgard repository."
            </p>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(10_000), "10,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
