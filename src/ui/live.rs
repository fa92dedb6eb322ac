//! Live updates: one `EventSource` on `/api/updates` per page, shared through context as signals.

use leptos::prelude::*;

use crate::model::StorageEvent;

/// What pages read to stay current. `tick` grows on every event (and on reconnect, when events may have been
/// missed); `last` is the most recent event, `None` after a reconnect or resync.
#[derive(Clone, Copy)]
pub struct Live {
    pub tick: ReadSignal<u64>,
    pub last: ReadSignal<Option<StorageEvent>>,
    pub connected: ReadSignal<bool>,
}

impl Live {
    /// A counter that grows with every event but appended rows (which only the growing result's plot takes),
    /// and with every reconnect: what a page that lists runs refreshes on.
    pub fn changes(self) -> Memo<u64> {
        Memo::new(move |previous: Option<&u64>| {
            self.tick.track();
            let relevant = self
                .last
                .with(|e| !matches!(e, Some(StorageEvent::ResultAppended { .. })));
            previous.copied().unwrap_or(0) + u64::from(relevant)
        })
    }

    /// A counter that grows with every event about `run_id`, and with every reconnect. Rows appended to a
    /// growing result do not count: the result's plot takes them itself.
    pub fn run_version(self, run_id: impl Fn() -> String + Send + Sync + 'static) -> Memo<u64> {
        Memo::new(move |previous: Option<&u64>| {
            self.tick.track();
            let relevant = self.last.with(|e| {
                e.as_ref().is_none_or(|e| {
                    !matches!(e, StorageEvent::ResultAppended { .. })
                        && e.run_id().to_string() == run_id()
                })
            });
            previous.copied().unwrap_or(0) + u64::from(relevant)
        })
    }
}

/// Provides [`Live`] to the app and, in the browser, connects it.
pub fn provide_live_updates() -> Live {
    let (tick, set_tick) = signal(0u64);
    let (last, set_last) = signal(None::<StorageEvent>);
    let (connected, set_connected) = signal(false);
    let live = Live {
        tick,
        last,
        connected,
    };
    provide_context(live);

    #[cfg(feature = "hydrate")]
    Effect::new(move |_| browser::connect(set_tick, set_last, set_connected));
    #[cfg(not(feature = "hydrate"))]
    let _ = (set_tick, set_last, set_connected);
    live
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    use web_sys::{Event, EventSource, MessageEvent};

    use crate::model::StorageEvent;

    pub fn connect(
        set_tick: WriteSignal<u64>,
        set_last: WriteSignal<Option<StorageEvent>>,
        set_connected: WriteSignal<bool>,
    ) {
        let Ok(source) = EventSource::new("/api/updates") else {
            leptos::logging::error!("cannot open /api/updates");
            return;
        };
        let bump = move |event: Option<StorageEvent>| {
            set_last.set(event);
            set_tick.update(|t| *t += 1);
        };
        let on = |name: &str, handler: Box<dyn FnMut(MessageEvent)>| {
            let closure = Closure::<dyn FnMut(MessageEvent)>::wrap(handler);
            let _ = source.add_event_listener_with_callback(name, closure.as_ref().unchecked_ref());
            // The listeners live as long as the page.
            closure.forget();
        };
        for name in StorageEvent::NAMES {
            on(
                name,
                Box::new(move |message: MessageEvent| {
                    let event = message
                        .data()
                        .as_string()
                        .and_then(|text| serde_json::from_str(&text).ok());
                    bump(event);
                }),
            );
        }
        // On (re)connecting, and when events were dropped, whatever is shown may be stale: reload it.
        on(
            "ready",
            Box::new(move |_| {
                set_connected.set(true);
                bump(None);
            }),
        );
        on("resync", Box::new(move |_| bump(None)));
        let on_error = Closure::<dyn FnMut(Event)>::new(move |_| set_connected.set(false));
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        on_error.forget();
        std::mem::forget(source);
    }
}
