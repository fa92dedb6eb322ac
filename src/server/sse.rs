//! `/api/updates`: storage events as Server-Sent Events.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::stream::{self, Stream, StreamExt};
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::wrappers::BroadcastStream;

use crate::server::AppState;

/// Sends `ready` once subscribed, then one event per change (`run_created`, `run_updated`, `result_added`,
/// `run_deleted`, data = the event as JSON), keep-alive comments every 15 s, and `resync` when the client fell
/// so far behind that events were dropped (it should then reload what it shows). Ends when the server shuts down.
pub async fn updates(
    State(state): State<AppState>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let events = BroadcastStream::new(state.index.subscribe()).map(|received| {
        Ok(match received {
            Ok(event) => Event::default()
                .event(event.name())
                .json_data(&event)
                .unwrap_or_else(|_| Event::default().event("resync").data("0")),
            Err(BroadcastStreamRecvError::Lagged(missed)) => {
                Event::default().event("resync").data(missed.to_string())
            }
        })
    });
    // Browsers drop events without data, so `ready` carries an empty JSON object.
    let ready = stream::once(async { Ok(Event::default().event("ready").data("{}")) });
    let stream = ready
        .chain(events)
        .take_until(async move { state.until_shutdown().await });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
