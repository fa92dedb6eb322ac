//! `/`: every run, newest first, updating live; or the runs a query matches, sorted, with chosen columns and
//! grouped (`/?q=…&sort=…&cols=…&group=…&page=N`: the address holds the view, so a reload or a pasted link
//! shows the same runs).

mod keys;
mod table;
mod tools;
mod view;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;

use crate::model::{QueryProblem, RunPage};
use crate::ui::server_fns::list_runs;
use crate::ui::Live;
use keys::{ListBar, ListState};
use table::RunTable;
use tools::ViewTools;
use view::ListView;

/// Rows per page of the run list: a page stays quick to send and to lay out with any number of runs.
pub const RUNS_PER_PAGE: usize = 100;

#[component]
pub fn RunsPage() -> impl IntoView {
    let live = expect_context::<Live>();
    let query = use_query_map();
    let list = Memo::new(move |_| ListView::from_params(&query.read()));
    let q = Memo::new(move |_| list.read().q.clone());
    let runs = Resource::new(
        move || (live.tick.get(), list.get()),
        |(_, v)| {
            list_runs(
                (v.page - 1) * RUNS_PER_PAGE,
                RUNS_PER_PAGE,
                v.q,
                v.sort,
                v.cols,
                v.group,
            )
        },
    );
    // Which groups are folded, the cursor, the selection, the arrivals: kept while the list refreshes live.
    let folded = RwSignal::new(std::collections::HashSet::<String>::new());
    let state = ListState::new();
    keys::listen(state);
    Effect::new(move |_| {
        if let Some(Ok(page)) = runs.get() {
            let rows = page.runs.iter().map(|r| r.id).collect();
            state.loaded(&list.get_untracked(), page.total, rows);
        }
    });
    let title = move || match state.new.get() {
        0 => "Runs · Asgard Monitor".to_owned(),
        n => format!("({n} new) Runs · Asgard Monitor"),
    };

    view! {
        <Title text=title />
        <h1>"Runs"</h1>
        <QueryBar list />
        // Outside the list's refreshes, so that the column picker stays open while columns are chosen.
        <ViewTools list />
        <ListBar state list />
        <Transition fallback=|| view! { <p class="muted">"Loading runs…"</p> }>
            {move || Suspend::new(async move {
                match runs.await {
                    Ok(RunPage { storage_problem: Some(problem), .. }) => {
                        view! { <p class="problem" data-testid="storage-problem">{problem}</p> }.into_any()
                    }
                    Ok(RunPage { query_problem: Some(QueryProblem { message, start, end }), .. }) => {
                        view! { <QueryMistake text=q.get() message start end /> }.into_any()
                    }
                    Ok(page) if page.total == 0 && !list.read_untracked().is_plain() => {
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
                            <Pager page=page.clone() list=list.get_untracked() />
                            <RunTable page list=list.get_untracked() folded state />
                        }
                            .into_any()
                    }
                    Err(e) => view! { <p class="problem">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The query bar: each keystroke puts the query in the address (replacing the entry, so that the back button
/// leaves the list), and the list follows.
#[component]
fn QueryBar(list: Memo<ListView>) -> impl IntoView {
    let navigate = use_navigate();
    let on_input = move |ev: leptos::ev::Event| {
        let view = ListView {
            q: event_target_value(&ev),
            page: 1,
            ..list.get_untracked()
        };
        let options = NavigateOptions {
            replace: true,
            scroll: false,
            ..Default::default()
        };
        navigate(&view.href(), options);
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
                prop:value=move || list.read().q.clone()
                on:input=on_input
            />
        </form>
    }
}

/// A query the server could not read: the message, and the query with the offending part underlined.
#[component]
fn QueryMistake(text: String, message: String, start: usize, end: usize) -> impl IntoView {
    // A mistake in `sort`, `cols` or `group` has its place in that text, not in the query.
    let in_query = !message.starts_with("in `");
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
fn Pager(page: RunPage, list: ListView) -> impl IntoView {
    let pages = page.total.div_ceil(RUNS_PER_PAGE);
    let current = page.offset / RUNS_PER_PAGE + 1;
    let link = move |label: &'static str, to: usize, enabled: bool| {
        if enabled {
            view! { <A href=list.at_page(to).href()>{label}</A> }.into_any()
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
pub(super) fn thousands(n: usize) -> String {
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
