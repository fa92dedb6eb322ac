//! `/`: every run, newest first, updating live; or the runs a query matches (`/?q=…&sort=…&page=N`: the address
//! holds the view, so a reload or a pasted link shows the same runs).

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::location::Url;
use leptos_router::NavigateOptions;

use crate::model::{QueryProblem, RunPage, RunSummary};
use crate::ui::components::annotations::RowAnnotations;
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
    let param = move |name: &str| query.read().get(name).unwrap_or_default();
    let q = Memo::new(move |_| param("q"));
    let sort = Memo::new(move |_| param("sort"));
    let runs = Resource::new(
        move || (live.tick.get(), page.get(), q.get(), sort.get()),
        |(_, page, q, sort)| list_runs((page - 1) * RUNS_PER_PAGE, RUNS_PER_PAGE, q, sort),
    );

    view! {
        <h1>"Runs"</h1>
        <QueryBar q sort />
        <Transition fallback=|| view! { <p class="muted">"Loading runs…"</p> }>
            {move || Suspend::new(async move {
                match runs.await {
                    Ok(RunPage { storage_problem: Some(problem), .. }) => {
                        view! { <p class="problem" data-testid="storage-problem">{problem}</p> }.into_any()
                    }
                    Ok(RunPage { query_problem: Some(QueryProblem { message, start, end }), .. }) => {
                        view! { <QueryMistake text=q.get() message start end /> }.into_any()
                    }
                    Ok(page) if page.total == 0 && !(q.get().is_empty() && sort.get().is_empty()) => {
                        view! {
                            <p class="muted" data-testid="no-match">
                                "No run matches this query. "
                                <A href="/">"Every run"</A>
                            </p>
                        }
                            .into_any()
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
                            <Pager page=page.clone() q=q.get() sort=sort.get() />
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

/// The address of the run list showing `page` (the first when `None`) of the runs `q` matches, sorted by `sort`.
fn list_href(q: &str, sort: &str, page: Option<usize>) -> String {
    let mut params = Vec::new();
    if !q.is_empty() {
        params.push(format!("q={}", Url::escape(q)));
    }
    if !sort.is_empty() {
        params.push(format!("sort={}", Url::escape(sort)));
    }
    if let Some(page) = page {
        params.push(format!("page={page}"));
    }
    if params.is_empty() {
        return "/".into();
    }
    format!("/?{}", params.join("&"))
}

/// The query bar: each keystroke puts the query in the address (replacing the entry, so that the back button
/// leaves the list), and the list follows.
#[component]
fn QueryBar(q: Memo<String>, sort: Memo<String>) -> impl IntoView {
    let navigate = use_navigate();
    let on_input = move |ev: leptos::ev::Event| {
        let text = event_target_value(&ev);
        let options = NavigateOptions {
            replace: true,
            scroll: false,
            ..Default::default()
        };
        navigate(&list_href(&text, &sort.get_untracked(), None), options);
    };
    view! {
        <form class="query" role="search" method="get" action="/" on:submit=|ev| ev.prevent_default()>
            <input
                type="search"
                name="q"
                data-testid="query"
                aria-label="Filter runs"
                placeholder="Filter runs: status = failed AND meta.dt < 1e-3, name ~ /heat/, a word…"
                autocomplete="off"
                spellcheck="false"
                prop:value=move || q.get()
                on:input=on_input
            />
            {move || {
                let sort = sort.get();
                (!sort.is_empty()).then(|| view! { <input type="hidden" name="sort" prop:value=sort /> })
            }}
        </form>
    }
}

/// A query the server could not read: the message, and the query with the offending part underlined.
#[component]
fn QueryMistake(text: String, message: String, start: usize, end: usize) -> impl IntoView {
    // A mistake in `sort` has its place in the sort text, not in the query.
    let in_query = !message.starts_with("in `sort`");
    let parts = in_query
        .then(|| {
            let end = end.max(start + 1).min(text.len());
            Some((text.get(..start)?, text.get(start..end)?, text.get(end..)?))
        })
        .flatten()
        .map(|(before, bad, after)| (before.to_owned(), bad.to_owned(), after.to_owned()));
    view! {
        <div class="problem query-problem" data-testid="query-problem">
            {parts
                .map(|(before, bad, after)| {
                    view! {
                        <code class="query-text">
                            {before}
                            <mark class="query-error" data-testid="query-error">
                                {if bad.is_empty() { " ".to_owned() } else { bad }}
                            </mark>
                            {after}
                        </code>
                    }
                })}
            <p>{message}</p>
        </div>
    }
}

/// "Runs 101–200 of 10,000" with links to the newest, newer, older and oldest pages.
#[component]
fn Pager(page: RunPage, q: String, sort: String) -> impl IntoView {
    let pages = page.total.div_ceil(RUNS_PER_PAGE);
    let current = page.offset / RUNS_PER_PAGE + 1;
    let link = move |label: &'static str, to: usize, enabled: bool| {
        if enabled {
            view! { <A href=list_href(&q, &sort, Some(to))>{label}</A> }.into_any()
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
    let annotated = run.clone();
    view! {
        <tr class="run" data-run-id=run.id.to_string()>
            <td class="name">
                <A href=href attr:class="clamp" attr:title=name_title>
                    {run.name}
                </A>
                <RowAnnotations run=annotated />
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
    #[cfg(feature = "ssr")]
    use super::list_href;
    use super::thousands;

    // `Url::escape` calls the browser's encodeURIComponent in the hydrate build, which a native test cannot.
    #[cfg(feature = "ssr")]
    #[test]
    fn the_address_holds_the_query_the_sort_and_the_page() {
        use leptos_router::location::Url;
        assert_eq!(list_href("", "", None), "/");
        assert_eq!(list_href("", "", Some(3)), "/?page=3");
        let href = list_href("meta.dt < 1e-3 & x", "-name", Some(2));
        let params: Vec<(String, String)> = href
            .strip_prefix("/?")
            .expect("parameters")
            .split('&')
            .map(|p| {
                let (key, value) = p.split_once('=').expect("key=value");
                (key.to_owned(), Url::unescape(value))
            })
            .collect();
        let expected = [
            ("q", "meta.dt < 1e-3 & x"),
            ("sort", "-name"),
            ("page", "2"),
        ];
        assert_eq!(
            params,
            expected.map(|(k, v)| (k.to_owned(), v.to_owned())).to_vec()
        );
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(10_000), "10,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
