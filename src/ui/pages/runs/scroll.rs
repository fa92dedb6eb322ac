//! Scrolling through the whole list without noticing its pages: the list shows a window of up to
//! [`WINDOW_PAGES`] pages (the address's `page` is its first); near its end the next page is added below, and
//! once the window is full it moves down a page (the first leaves, the next comes), and back up near its top.
//! The row the user was looking at stays where it was on the screen. The pager still jumps anywhere, and the
//! number of rows in the page stays bounded whatever the list's length.

use leptos::prelude::*;

use super::view::ListView;
use super::RUNS_PER_PAGE;
use crate::model::RunId;

/// How many pages the list shows at once, at most.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub const WINDOW_PAGES: usize = 3;

/// A window as received: its offset, how many rows, the total, and its first row.
pub type Loaded = (usize, usize, usize, Option<RunId>);

/// The window the list shows and what the page last received.
#[derive(Clone, Copy)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub struct Window {
    /// Pages shown after the address's `page` (0 ..< `WINDOW_PAGES`).
    pub extent: RwSignal<usize>,
    /// The window last received: offset, rows, the total and its first row; a move waits until the window
    /// asked for is here.
    pub loaded: RwSignal<Option<Loaded>>,
    /// A row on screen and its distance from the viewport's top before the window moved: put back after.
    pub anchor: RwSignal<Option<(RunId, f64)>>,
}

impl Window {
    pub fn new() -> Self {
        Self {
            extent: RwSignal::new(0),
            loaded: RwSignal::new(None),
            anchor: RwSignal::new(None),
        }
    }

    /// How many runs to ask for from the address's page.
    pub fn limit(&self) -> usize {
        RUNS_PER_PAGE * (1 + self.extent.get())
    }

    /// Whether the window asked for (`view`'s page, this extent) is the one on screen.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn settled(&self, view: &ListView) -> bool {
        let offset = (view.page - 1) * RUNS_PER_PAGE;
        self.loaded
            .get_untracked()
            .is_some_and(|(at, rows, total, _)| {
                at == offset
                    && rows
                        == (RUNS_PER_PAGE * (1 + self.extent.get_untracked()))
                            .min(total - at.min(total))
            })
    }
}

/// Grows and moves the window as the user scrolls; puts the anchored row back after a move.
pub fn follow(window: Window, list: Memo<ListView>) {
    #[cfg(feature = "hydrate")]
    browser::follow(window, list);
    #[cfg(not(feature = "hydrate"))]
    let _ = (window, list);
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;
    use leptos_router::hooks::use_navigate;
    use leptos_router::NavigateOptions;

    use super::{Window, WINDOW_PAGES};
    use crate::model::RunId;
    use crate::ui::pages::runs::view::ListView;

    /// How close to the page's end (or the window's top), in CSS pixels, the next page is fetched.
    const MARGIN: f64 = 800.0;

    /// The first row whose top is on screen, and that top's distance from the viewport's top.
    fn row_on_screen() -> Option<(RunId, f64)> {
        let rows = document().query_selector_all("tr.run[data-run-id]").ok()?;
        (0..rows.length())
            .filter_map(|i| rows.item(i))
            .filter_map(|node| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(node).ok())
            .find_map(|row| {
                let top = row.get_bounding_client_rect().top();
                let id = row.get_attribute("data-run-id")?.parse().ok()?;
                (top >= 0.0).then_some((id, top))
            })
    }

    fn first_row_top() -> Option<f64> {
        let row = document().query_selector("tr.run[data-run-id]").ok()??;
        Some(row.get_bounding_client_rect().top())
    }

    pub(super) fn follow(window: Window, list: Memo<ListView>) {
        let navigate = use_navigate();
        let last_y = StoredValue::new(0.0_f64);
        let handle = window_event_listener(leptos::ev::scroll, move |_| {
            let w = leptos::prelude::window();
            let y = w.scroll_y().unwrap_or(0.0);
            let up = y < last_y.get_value();
            last_y.set_value(y);
            let view = list.get_untracked();
            if !window.settled(&view) || window.anchor.get_untracked().is_some() {
                return;
            }
            let Some((offset, rows, total, _)) = window.loaded.get_untracked() else {
                return;
            };
            let height = w
                .inner_height()
                .ok()
                .and_then(|h| h.as_f64())
                .unwrap_or(0.0);
            let end = document()
                .document_element()
                .map_or(0.0, |e| f64::from(e.scroll_height()));
            let go = |page: usize| {
                window.anchor.set(row_on_screen());
                navigate(
                    &view.at_page(page).href(),
                    NavigateOptions {
                        replace: true,
                        scroll: false,
                        ..Default::default()
                    },
                );
            };
            if !up && y + height > end - MARGIN && offset + rows < total {
                if window.extent.get_untracked() + 1 < WINDOW_PAGES {
                    window.extent.update(|e| *e += 1);
                } else {
                    go(view.page + 1);
                }
            } else if up && view.page > 1 && first_row_top().is_some_and(|top| top > -MARGIN) {
                go(view.page - 1);
            }
        });
        on_cleanup(move || handle.remove());

        // After a move, the anchored row goes back where it was on the screen (once it is drawn).
        Effect::new(move |_| {
            let Some((_, _, _, first)) = window.loaded.get() else {
                return;
            };
            let Some((id, top)) = window.anchor.get_untracked() else {
                return;
            };
            put_back(window, first, id, top, 0);
        });
    }

    /// Once the new window is drawn (its first row is the first in the page), scrolls so that row `id` is
    /// `top` pixels from the viewport's top again.
    fn put_back(window: Window, first: Option<RunId>, id: RunId, top: f64, tries: u32) {
        request_animation_frame(move || {
            let drawn = document()
                .query_selector("tr.run[data-run-id]")
                .ok()
                .flatten()
                .and_then(|row| row.get_attribute("data-run-id"))
                .and_then(|id| id.parse::<RunId>().ok());
            let row = (drawn == first)
                .then(|| {
                    document()
                        .query_selector(&format!("tr.run[data-run-id=\"{id}\"]"))
                        .ok()
                        .flatten()
                })
                .flatten();
            match row {
                Some(row) => {
                    let now = row.get_bounding_client_rect().top();
                    leptos::prelude::window().scroll_by_with_x_and_y(0.0, now - top);
                    window.anchor.set(None);
                }
                None if tries < 30 => put_back(window, first, id, top, tries + 1),
                None => window.anchor.set(None),
            }
        });
    }
}
