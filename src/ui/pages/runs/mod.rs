//! `/`: every run, newest first, updating live; or the runs a query matches, sorted, with chosen columns and
//! grouped (`/?q=…&sort=…&cols=…&group=…&page=N`: the address holds the view, so a reload or a pasted link
//! shows the same runs).

mod keys;
mod scroll;
mod suggest;
mod table;
mod tools;
mod view;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;

use std::collections::HashMap;

use crate::model::{FieldCount, QueryProblem, RunPage, ValueCount};
use crate::ui::server_fns::{field_values, list_runs, run_fields};
use crate::ui::Live;
use keys::{ListBar, ListState};
use scroll::Window;
use suggest::{Slot, SuggestionList};
use table::RunTable;
use tools::ViewTools;
use view::ListView;

/// Rows per page of the run list: a page stays quick to send and to lay out with any number of runs.
pub const RUNS_PER_PAGE: usize = 100;

#[component]
pub fn RunsPage() -> impl IntoView {
    let changes = expect_context::<Live>().changes();
    let query = use_query_map();
    let list = Memo::new(move |_| ListView::from_params(&query.read()));
    // The window of pages shown (`scroll`): back to one page when the view itself changes.
    let window = Window::new();
    let view_itself = Memo::new(move |_| list.read().at_page(1));
    Effect::new(move |previous: Option<ListView>| {
        let now = view_itself.get();
        if previous.is_some_and(|p| p != now) {
            window.extent.set(0);
        }
        now
    });
    scroll::follow(window, list);
    let runs = Resource::new(
        move || (changes.get(), list.get(), window.limit()),
        |(_, v, limit)| {
            list_runs(
                (v.page - 1) * RUNS_PER_PAGE,
                limit,
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
    // The query's mistake, with the query it is about: the bar underlines it while that is the query typed.
    let problem = RwSignal::new(None::<(String, QueryProblem)>);
    Effect::new(move |_| {
        if let Some(Ok(page)) = runs.get() {
            let rows = page.runs.iter().map(|r| r.id).collect();
            let listed = list.get_untracked();
            problem.set(page.query_problem.clone().map(|p| (listed.q.clone(), p)));
            window.loaded.set(Some((
                page.offset,
                page.runs.len(),
                page.total,
                page.runs.first().map(|r| r.id),
            )));
            state.loaded(&listed, page.total, rows);
        }
    });
    let title = move || match state.new.get() {
        0 => "Runs · Asgard Monitor".to_owned(),
        n => format!("({n} new) Runs · Asgard Monitor"),
    };

    view! {
        <Title text=title />
        <h1>"Runs"</h1>
        <QueryBar list problem />
        // Outside the list's refreshes, so that the column picker stays open while columns are chosen.
        <ViewTools list />
        <ListBar state list />
        <Transition fallback=|| view! { <p class="muted">"Loading runs…"</p> }>
            {move || Suspend::new(async move {
                match runs.await {
                    // Nothing to show but why (the storage directory was deleted).
                    Ok(RunPage { storage_problem: Some(problem), total: 0, .. }) => {
                        view! { <p class="problem" data-testid="storage-problem">{problem}</p> }.into_any()
                    }
                    Ok(RunPage { query_problem: Some(QueryProblem { message, .. }), .. }) => {
                        view! { <QueryMistake message /> }.into_any()
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
                        // The runs as last read, under what keeps them from being current (a bucket that does
                        // not answer).
                        let problem = page.storage_problem.clone().map(|problem| {
                            view! { <p class="problem" data-testid="storage-problem">{problem}</p> }
                        });
                        view! {
                            {problem}
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
/// leaves the list), and the list follows. Suggestions follow the word at the cursor (`suggest`); a mistake the
/// server found is underlined in place, under the text as typed.
#[component]
fn QueryBar(
    list: Memo<ListView>,
    problem: RwSignal<Option<(String, QueryProblem)>>,
) -> impl IntoView {
    let navigate = use_navigate();
    let go = move |q: String| {
        let view = ListView {
            q,
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
    let input: NodeRef<leptos::html::Input> = NodeRef::new();
    let backdrop: NodeRef<leptos::html::Div> = NodeRef::new();
    // The backdrop follows the text when a long query scrolls inside the input.
    let follow = move || {
        if let (Some(input), Some(backdrop)) = (input.get_untracked(), backdrop.get_untracked()) {
            backdrop.set_scroll_left(input.scroll_left());
        }
    };
    // The caret, as a byte offset into the query.
    let cursor = RwSignal::new(0usize);
    let open = RwSignal::new(false);
    let active = RwSignal::new(None::<usize>);
    let picked = RwSignal::new(None::<String>);
    let fields = RwSignal::new(Vec::<FieldCount>::new());
    let values = RwSignal::new(HashMap::<String, Vec<ValueCount>>::new());
    let slot = Memo::new(move |_| suggest::slot(&list.read().q, cursor.get()));
    // A field's values are fetched the first time they are wanted.
    Effect::new(move |_| {
        if let Some(Slot::Value { field, .. }) = slot.get() {
            if !values.read_untracked().contains_key(&field) {
                values.update(|v| {
                    v.insert(field.clone(), Vec::new());
                });
                leptos::task::spawn_local(async move {
                    let found = field_values(field.clone()).await.unwrap_or_default();
                    values.update(|v| {
                        v.insert(field, found);
                    });
                });
            }
        }
    });
    let shown = Signal::derive(move || match slot.get() {
        Some(s) if open.get() => suggest::suggestions(&s, &fields.read(), &values.read()),
        _ => Vec::new(),
    });
    let caret = move || {
        input.get_untracked().map_or(0, |el| {
            let q = el.value();
            let at = el.selection_start().ok().flatten().unwrap_or(0) as usize;
            suggest::byte_offset(&q, at)
        })
    };
    let go_typed = go.clone();
    let on_input = move |ev: leptos::ev::Event| {
        cursor.set(caret());
        open.set(true);
        active.set(None);
        go_typed(event_target_value(&ev));
    };
    Effect::new(move |_| {
        let Some(insert) = picked.get() else { return };
        picked.set(None);
        let q = list.get_untracked().q;
        let Some(s) = slot.get_untracked() else {
            return;
        };
        let (q, at) = suggest::accept(&q, cursor.get_untracked(), &s, &insert);
        if let Some(el) = input.get_untracked() {
            el.set_value(&q);
            let caret = suggest::utf16_offset(&q, at) as u32;
            let _ = el.set_selection_range(caret, caret);
        }
        cursor.set(at);
        active.set(None);
        go(q);
    });
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        let n = shown.with_untracked(Vec::len);
        if n == 0 {
            return;
        }
        let key = ev.key();
        match key.as_str() {
            "ArrowDown" | "ArrowUp" => {
                ev.prevent_default();
                let down = key == "ArrowDown";
                active.update(|a| {
                    *a = Some(match (*a, down) {
                        (None, true) => 0,
                        (None, false) => n - 1,
                        (Some(i), true) => (i + 1) % n,
                        (Some(i), false) => (i + n - 1) % n,
                    })
                });
            }
            "Tab" | "Enter" => {
                let chosen = active.get_untracked().or((key == "Tab").then_some(0));
                if let Some(i) = chosen {
                    ev.prevent_default();
                    picked.set(shown.with_untracked(|s| s.get(i).map(|s| s.insert.clone())));
                }
            }
            // Closes the list; a search field's Escape would also clear the query, which waits for a second one.
            "Escape" => {
                ev.prevent_default();
                open.set(false);
            }
            _ => {}
        }
    };
    let on_focus = move |_| {
        open.set(true);
        leptos::task::spawn_local(async move {
            if let Ok(found) = run_fields().await {
                fields.set(found);
            }
        });
    };
    // The query as typed, with the mistake's span marked, drawn under the (transparent) input.
    let underline = move || {
        let q = list.read().q.clone();
        let (
            text,
            QueryProblem {
                message,
                start,
                end,
            },
        ) = problem.get()?;
        if text != q || message.starts_with("in `") {
            return None;
        }
        let end = end.max(start + 1).min(q.len());
        let (before, bad, after) = (q.get(..start)?, q.get(start..end)?, q.get(end..)?);
        let bad = if bad.is_empty() { " " } else { bad };
        Some(view! {
            {before.to_owned()}
            <mark data-testid="query-underline" title=message>{bad.to_owned()}</mark>
            {after.to_owned()}
        })
    };
    view! {
        <form class="query" role="search" method="get" action="/" on:submit=|ev| ev.prevent_default()>
            <div class="query-field">
                <div class="query-backdrop" aria-hidden="true" node_ref=backdrop>
                    {underline}
                </div>
                <input
                    node_ref=input
                    type="search"
                    name="q"
                    data-testid="query"
                    aria-label="Filter runs"
                    aria-autocomplete="list"
                    placeholder="Filter runs: status = failed AND meta.dt < 1e-3, error.max < 1e-3, has(Solution2D), a word…"
                    autocomplete="off"
                    spellcheck="false"
                    prop:value=move || list.read().q.clone()
                    on:input=on_input
                    on:keydown=on_keydown
                    on:keyup=move |_| {
                        cursor.set(caret());
                        follow();
                    }
                    on:scroll=move |_| follow()
                    on:click=move |_| cursor.set(caret())
                    on:focus=on_focus
                    on:blur=move |_| open.set(false)
                />
                <SuggestionList shown active picked />
            </div>
        </form>
    }
}

/// A query the server could not read: what is wrong (the bar underlines where, in the query as typed; a
/// mistake in `sort`, `cols` or `group` says which in its message).
#[component]
fn QueryMistake(message: String) -> impl IntoView {
    view! {
        <div class="problem query-problem" data-testid="query-problem">
            <p>{message}</p>
        </div>
    }
}

/// "Runs 101–200 of 10,000" with links to the newest, newer, older and oldest pages.
#[component]
fn Pager(page: RunPage, list: ListView) -> impl IntoView {
    let pages = page.total.div_ceil(RUNS_PER_PAGE);
    let current = page.offset / RUNS_PER_PAGE + 1;
    // The last page of the window shown (`scroll`): "Older" goes past it.
    let last = current + page.runs.len().saturating_sub(1) / RUNS_PER_PAGE;
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
                        <span class="muted">
                            {if last > current {
                                format!("pages {current}–{last} of {pages}")
                            } else {
                                format!("page {current} of {pages}")
                            }}
                        </span>
                        {link("Older ›", (last + 1).min(pages), last < pages)}
                        {link("Oldest »", pages, last < pages)}
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
