//! `/api/updates`: storage events as Server-Sent Events.

use std::convert::Infallible;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::stream::{self, Stream, StreamExt};
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::wrappers::BroadcastStream;

use crate::index::{Missed, Numbered};
use crate::server::AppState;

fn numbered((number, event): Numbered) -> Event {
    Event::default()
        .id(number.to_string())
        .event(event.name())
        .json_data(&event)
        .unwrap_or_else(|_| resync("0"))
}

fn resync(missed: &str) -> Event {
    Event::default().event("resync").data(missed)
}

/// Sends `ready` once subscribed, then one event per change (`run_created`, `run_updated`, `result_added`,
/// `run_deleted`, data = the event as JSON, `id` = its number), a keep-alive comment every heartbeat interval
/// (15 s), and `resync` when the client fell so far behind that events were dropped (it should then reload what
/// it shows). A client that reconnects with `Last-Event-ID` is first sent the events it missed, from a buffer of
/// the latest [`crate::index::REPLAY_EVENTS`], or `resync` when it is further behind. Ends when the server shuts
/// down.
pub async fn updates(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let last = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let (missed, receiver) = state.index.subscribe_after(last);
    let missed: Vec<Event> = match missed {
        Missed::Events(events) => events.into_iter().map(numbered).collect(),
        Missed::TooOld => vec![resync("unknown")],
    };
    let live = BroadcastStream::new(receiver).map(|received| match received {
        Ok(event) => numbered(event),
        Err(BroadcastStreamRecvError::Lagged(missed)) => resync(&missed.to_string()),
    });
    // Browsers drop events without data, so `ready` carries an empty JSON object.
    let ready = Event::default().event("ready").data("{}");
    let heartbeat = state.heartbeat;
    let stream = stream::iter(std::iter::once(ready).chain(missed))
        .chain(live)
        .map(Ok)
        .take_until(async move { state.until_shutdown().await });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(heartbeat))
}
