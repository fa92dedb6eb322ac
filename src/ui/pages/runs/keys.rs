//! What the run list remembers while it refreshes live: the keyboard cursor, the selected runs, and how many
//! matching runs arrived since the view was opened (shown as "N new" and in the tab's title). Keys: `/` query,
//! `j`/`k` move, `Enter` opens, `x` selects, `?` lists the keys.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

use super::thousands;
use super::view::ListView;
use crate::model::RunId;

/// The run list's state that outlives its live refreshes (and is not part of the address).
#[derive(Clone, Copy)]
pub struct ListState {
    /// The run the keyboard is on (it stays on that run when others arrive above it).
    pub cursor: RwSignal<Option<RunId>>,
    /// Selected runs, in the order they were selected (across pages and refreshes).
    pub selected: RwSignal<Vec<RunId>>,
    /// The ids of the rows shown, in order.
    pub rows: RwSignal<Vec<RunId>>,
    /// The view, and how many runs matched it when it was opened (or when the user last looked at the new ones).
    pub seen: RwSignal<Option<(ListView, usize)>>,
    /// How many matching runs arrived since.
    pub new: RwSignal<usize>,
    pub help: RwSignal<bool>,
}

impl ListState {
    pub fn new() -> Self {
        Self {
            cursor: RwSignal::new(None),
            selected: RwSignal::new(Vec::new()),
            rows: RwSignal::new(Vec::new()),
            seen: RwSignal::new(None),
            new: RwSignal::new(0),
            help: RwSignal::new(false),
        }
    }

    /// A page of `view` arrived with `total` matching runs and these rows: counts the arrivals since the view was
    /// opened (a new view starts from zero) and keeps the cursor on the page.
    pub fn loaded(&self, view: &ListView, total: usize, rows: Vec<RunId>) {
        let same = |v: &ListView| {
            ListView {
                page: 1,
                ..v.clone()
            } == ListView {
                page: 1,
                ..view.clone()
            }
        };
        match self.seen.get_untracked() {
            Some((v, before)) if same(&v) => self.new.set(total.saturating_sub(before)),
            _ => {
                self.seen.set(Some((view.clone(), total)));
                self.new.set(0);
                self.cursor.set(None);
            }
        }
        if self
            .cursor
            .get_untracked()
            .is_some_and(|c| !rows.contains(&c))
        {
            self.cursor.set(None);
        }
        self.rows.set(rows);
    }

    /// The user has seen the arrivals.
    pub fn acknowledge(&self) {
        self.seen.update(|seen| {
            if let Some((_, before)) = seen {
                *before += self.new.get_untracked();
            }
        });
        self.new.set(0);
    }

    pub fn toggle(&self, id: RunId) {
        self.selected
            .update(|s| match s.iter().position(|x| *x == id) {
                Some(i) => {
                    s.remove(i);
                }
                None => s.push(id),
            });
    }
}

impl Default for ListState {
    fn default() -> Self {
        Self::new()
    }
}

/// Listens to the list's keys while the page is open (in the browser).
pub fn listen(state: ListState) {
    #[cfg(feature = "hydrate")]
    browser::listen(state);
    #[cfg(not(feature = "hydrate"))]
    let _ = state;
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;
    use leptos_router::hooks::use_navigate;
    use wasm_bindgen::JsCast;

    use super::ListState;
    use crate::ui::typing;

    /// Listens to the list's keys while the page is open.
    pub(super) fn listen(state: ListState) {
        let navigate = use_navigate();
        let handle = window_event_listener(leptos::ev::keydown, move |ev| {
            if typing(&ev) {
                return;
            }
            let rows = state.rows.get_untracked();
            let cursor = state
                .cursor
                .get_untracked()
                .and_then(|id| rows.iter().position(|r| *r == id));
            match ev.key().as_str() {
                "/" => {
                    ev.prevent_default();
                    if let Some(input) = document()
                        .query_selector("[data-testid=query]")
                        .ok()
                        .flatten()
                    {
                        if let Ok(input) = input.dyn_into::<web_sys::HtmlElement>() {
                            let _ = input.focus();
                        }
                    }
                }
                "j" | "k" if !rows.is_empty() => {
                    let last = rows.len() - 1;
                    let next = match (ev.key().as_str(), cursor) {
                        ("j", None) => 0,
                        ("j", Some(c)) => (c + 1).min(last),
                        (_, None) => last,
                        (_, Some(c)) => c.saturating_sub(1),
                    };
                    state.cursor.set(Some(rows[next]));
                    let selector = format!("tr.run[data-run-id=\"{}\"]", rows[next]);
                    if let Some(row) = document().query_selector(&selector).ok().flatten() {
                        row.scroll_into_view_with_bool(false);
                    }
                }
                "Enter" => {
                    if let Some(id) = cursor.and_then(|c| rows.get(c)) {
                        navigate(&format!("/run/{id}"), Default::default());
                    }
                }
                "x" => {
                    if let Some(&id) = cursor.and_then(|c| rows.get(c)) {
                        state.toggle(id);
                    }
                }
                "?" => state.help.update(|h| *h = !*h),
                "Escape" => state.help.set(false),
                _ => {}
            }
        });
        on_cleanup(move || handle.remove());
    }
}

/// "N new" (a click goes to the first page and counts them as seen), the selection's bar, and the key list.
#[component]
pub fn ListBar(state: ListState, list: Memo<ListView>) -> impl IntoView {
    let navigate = use_navigate();
    let show_new = move |_| {
        state.acknowledge();
        navigate(&list.get_untracked().at_page(1).href(), Default::default());
    };
    let compare = move || {
        let ids: Vec<String> = state.selected.get().iter().map(RunId::to_string).collect();
        format!("/compare?runs={}", ids.join(","))
    };
    view! {
        <div class="list-bar">
            {move || {
                let new = state.new.get();
                (new > 0)
                    .then(|| {
                        let label = if new == 1 { "1 new run".to_owned() } else { format!("{} new runs", thousands(new)) };
                        view! {
                            <button class="new-runs" data-testid="new-runs" on:click=show_new.clone()>
                                {label}
                                " ↑"
                            </button>
                        }
                    })
            }}
            {move || {
                let n = state.selected.read().len();
                (n > 0)
                    .then(|| {
                        view! {
                            <span class="selection" data-testid="selection">
                                {format!("{n} selected · ")}
                                <A href=compare attr:data-testid="compare">"Compare"</A>
                                " · "
                                <button on:click=move |_| state.selected.set(Vec::new())>"Clear"</button>
                            </span>
                        }
                    })
            }}
            <button class="keys" title="Keyboard shortcuts" on:click=move |_| state.help.update(|h| *h = !*h)>
                "?"
            </button>
        </div>
        {move || {
            state
                .help
                .get()
                .then(|| {
                    view! {
                        <dl class="key-help" data-testid="key-help">
                            <dt><kbd>"/"</kbd></dt><dd>"search"</dd>
                            <dt><kbd>"j"</kbd>" "<kbd>"k"</kbd></dt><dd>"next / previous run"</dd>
                            <dt><kbd>"Enter"</kbd></dt><dd>"open the run"</dd>
                            <dt><kbd>"x"</kbd></dt><dd>"select it (to compare)"</dd>
                            <dt><kbd>"?"</kbd></dt><dd>"this list"</dd>
                        </dl>
                    }
                })
        }}
    }
}
