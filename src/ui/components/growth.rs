//! A plot's data in the browser, kept current: the whole view is fetched when the canvas's width, the zoom or
//! the ensemble's time change; a growing result (docs/storage-format.md) then takes only what is new at each
//! `result_appended` event — the rows after those it holds while its data comes whole, else the view again,
//! reduced to what the canvas shows. One request at a time per plot, and at most one per frame (per
//! `WHOLE_VIEW_EVERY_MS` while the answers are whole reduced views): events that arrive meanwhile are answered
//! together by the next request.

use leptos::prelude::*;

use crate::model::{ResultId, StorageEvent};
use crate::plots::view::{PlotData, ViewUpdate, WHOLE_VIEW_EVERY_MS};
use crate::ui::Live;

/// What a plot fetches its data with, and the data as it arrived.
#[derive(Clone, Copy)]
pub struct PlotFeed {
    /// The data drawn, or why there is none; `None` before the first answer.
    pub data: RwSignal<Option<Result<PlotData, String>>>,
    /// Bumped by every answer taken, so that a request older than the last one taken is dropped.
    generation: StoredValue<u64>,
    /// A request for new rows is under way, and whether another is wanted after it.
    busy: StoredValue<(bool, bool)>,
    /// Bumped to fetch the whole view again: a zoomed plot after an append, or one that has no data yet (a
    /// result opened without rows, whose first view failed).
    refresh: RwSignal<u64>,
    /// The x range a followed view was answered for: the plot moves its zoom there without asking again.
    followed: StoredValue<Option<(f64, f64)>>,
}

/// What a plot's data follows: its canvas's pixel columns, the x range it is zoomed to (`view`, which a followed
/// plot moves), whether a zoomed plot follows the newest points (`follow`), and the ensemble's or snapshot's
/// time.
#[derive(Clone, Copy)]
pub struct FeedInputs {
    pub columns: RwSignal<Option<u32>>,
    pub view: RwSignal<Option<(f64, f64)>>,
    /// A heatmap's y range, when zoomed.
    pub y_view: RwSignal<Option<(f64, f64)>>,
    pub follow: RwSignal<bool>,
    pub time: Signal<Option<usize>>,
}

/// Fetches a result's view whenever the columns, the zoom or the time change, and, when the result grows, what
/// is new at each of its appends: the rows after those held, the zoomed view again, or — when following — the
/// zoomed view moved to end at the newest point.
pub fn feed(id: ResultId, growing: bool, inputs: FeedInputs) -> PlotFeed {
    let FeedInputs {
        columns,
        view,
        y_view,
        follow,
        time,
    } = inputs;
    let feed = PlotFeed {
        data: RwSignal::new(None),
        generation: StoredValue::new(0),
        busy: StoredValue::new((false, false)),
        refresh: RwSignal::new(0),
        followed: StoredValue::new(None),
    };
    let refresh = feed.refresh;
    Effect::new(move |_| {
        let (Some(c), view, y_view, time) = (columns.get(), view.get(), y_view.get(), time.get())
        else {
            return;
        };
        refresh.track();
        // The zoom moved to where a followed view was answered for: that view is drawn already.
        if view.is_some() && feed.followed.get_value() == view {
            feed.followed.set_value(None);
            return;
        }
        let generation = feed.next_generation();
        leptos::task::spawn_local(async move {
            let answer = crate::ui::server_fns::result_view(id.to_string(), c, view, y_view, time)
                .await
                .map_err(|e| e.to_string());
            if feed.generation.get_value() == generation {
                feed.data.set(Some(answer));
            }
        });
    });
    if growing {
        let live = expect_context::<Live>();
        Effect::new(move |_| {
            live.tick.track();
            // An append of this result, or a reconnection (appends may have been missed meanwhile).
            let wanted = live.last.with_untracked(|event| match event {
                Some(StorageEvent::ResultAppended { result_id, .. }) => *result_id == id,
                Some(_) => false,
                None => true,
            });
            if !wanted {
                return;
            }
            if view.get_untracked().is_some() && !follow.get_untracked() {
                refresh.update(|r| *r += 1);
            } else {
                feed.take_rows(id, inputs);
            }
        });
        // Following turned on: to the newest points at once.
        Effect::new(move |was: Option<bool>| {
            let on = follow.get();
            if on && was == Some(false) && view.get_untracked().is_some() {
                feed.take_rows(id, inputs);
            }
            on
        });
    }
    feed
}

impl PlotFeed {
    fn next_generation(self) -> u64 {
        self.generation.update_value(|g| *g += 1);
        self.generation.get_value()
    }

    /// Asks for the rows after those held (or the view again; the followed view when zoomed and following),
    /// unless a request is under way: then once more after it.
    fn take_rows(self, id: ResultId, inputs: FeedInputs) {
        let FeedInputs {
            columns,
            view,
            follow,
            time,
            ..
        } = inputs;
        let (busy, _) = self.busy.get_value();
        if busy {
            self.busy.set_value((true, true));
            return;
        }
        self.busy.set_value((true, false));
        leptos::task::spawn_local(async move {
            loop {
                let held = self.data.with_untracked(|d| match d {
                    None => Err(true),
                    Some(Ok(data)) => Ok(data.rows_held()),
                    Some(Err(_)) => Err(false),
                });
                match held {
                    // The first view is on its way: ask for the rows after it at a later frame.
                    Err(true) => self.busy.set_value((true, true)),
                    // Nothing to add rows to (a result opened without rows): the whole view.
                    Err(false) => self.refresh.update(|r| *r += 1),
                    Ok(_) => {}
                }
                let mut pause = None;
                let zoomed = view.get_untracked().filter(|_| follow.get_untracked());
                if let (Some((lo, hi)), Some(c)) = (zoomed, columns.get_untracked()) {
                    let generation = self.generation.get_value();
                    let answer = crate::ui::server_fns::result_follow(
                        id.to_string(),
                        c,
                        hi - lo,
                        time.get_untracked(),
                    )
                    .await;
                    // Still zoomed and following, and no other view asked for meanwhile.
                    if self.generation.get_value() == generation
                        && view.get_untracked().is_some()
                        && follow.get_untracked()
                    {
                        match answer {
                            Ok((data, window)) => {
                                if window.is_some() && window != view.get_untracked() {
                                    self.followed.set_value(window);
                                    view.set(window);
                                }
                                self.data.set(Some(Ok(data)));
                            }
                            Err(e) => self.data.set(Some(Err(e.to_string()))),
                        }
                    }
                } else if let (Ok(held), Some(c)) = (held, columns.get_untracked()) {
                    let generation = self.generation.get_value();
                    let answer = crate::ui::server_fns::result_rows(
                        id.to_string(),
                        c,
                        time.get_untracked(),
                        held,
                    )
                    .await;
                    // A whole view asked for meanwhile (a zoom, a resize) wins.
                    if self.generation.get_value() == generation {
                        match answer {
                            Ok(ViewUpdate::Rows { fields, non_finite }) => {
                                if !fields.is_empty() {
                                    self.data.update(|d| {
                                        if let Some(Ok(data)) = d {
                                            if let Err(e) = data.append_rows(&fields, non_finite) {
                                                *d = Some(Err(e));
                                            }
                                        }
                                    });
                                }
                            }
                            Ok(ViewUpdate::Whole(whole)) => {
                                self.data.set(Some(Ok(*whole)));
                                // Reduced: a few whole views a second, whatever the rate of writing.
                                pause = Some(WHOLE_VIEW_EVERY_MS);
                            }
                            Err(e) => self.data.set(Some(Err(e.to_string()))),
                        }
                    }
                }
                match pause {
                    Some(ms) => sleep(ms).await,
                    None => next_frame().await,
                }
                let (_, again) = self.busy.get_value();
                if !again {
                    self.busy.set_value((false, false));
                    return;
                }
                self.busy.set_value((true, false));
            }
        });
    }
}

/// Resolves after `ms` milliseconds.
async fn sleep(ms: u64) {
    let (done, slept) = futures::channel::oneshot::channel::<()>();
    set_timeout(
        move || {
            let _ = done.send(());
        },
        std::time::Duration::from_millis(ms),
    );
    let _ = slept.await;
}

/// Resolves at the browser's next frame: rows are taken at most at the screen's rate.
async fn next_frame() {
    let (done, frame) = futures::channel::oneshot::channel::<()>();
    request_animation_frame(move || {
        let _ = done.send(());
    });
    let _ = frame.await;
}
