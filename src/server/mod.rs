//! The HTTP server: `router(state)` for tests, `serve(listener, ...)` for the binary, and `monitor`, the start-up
//! around them (bind, index, watch, token policy).

mod api;
pub mod compare;
mod config;
pub mod converge;
mod encoding;
pub mod guard;
pub mod monitor;
pub mod pyramids;
pub mod site;
#[cfg(test)]
mod site_files;
mod sse;
mod streamed;
pub mod sweep;
pub mod views;

use std::future::Future;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{FromRef, State};
use axum::http::{Request, Uri};
use axum::routing::get;
use axum::Router;
use leptos::config::LeptosOptions;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tokio::net::TcpListener;
use tokio::sync::watch;

pub use config::leptos_options;
pub use guard::Guard;
pub use site::FrontEnd;

use crate::index::Index;
use crate::ui::{shell, App};

/// What every handler and server function can reach.
#[derive(Clone)]
pub struct AppState {
    pub index: Arc<Index>,
    pub leptos_options: LeptosOptions,
    /// Who may talk to the monitor: Host, Origin and token checks on every request.
    pub guard: Arc<Guard>,
    /// How often an idle live-update stream gets a keep-alive comment.
    pub heartbeat: std::time::Duration,
    /// Reduced views already made, for the next request that wants the same one.
    pub views: Arc<views::ViewCache>,
    /// Where the WASM, JS, CSS and public files come from: inside the binary, or the site folder.
    pub front_end: FrontEnd,
    /// Set to `true` when the server starts shutting down; open SSE streams end on it.
    shutting_down: Arc<watch::Sender<bool>>,
}

impl AppState {
    /// State for a monitor on loopback without a token; see [`AppState::with_guard`].
    pub fn new(index: Arc<Index>, leptos_options: LeptosOptions) -> Self {
        let (shutting_down, _) = watch::channel(false);
        Self {
            index,
            leptos_options,
            guard: Arc::new(Guard::loopback()),
            heartbeat: std::time::Duration::from_secs(15),
            views: Arc::new(views::ViewCache::new(views::VIEW_CACHE_BYTES)),
            front_end: FrontEnd::Disk,
            shutting_down: Arc::new(shutting_down),
        }
    }

    pub fn with_heartbeat(mut self, every: std::time::Duration) -> Self {
        self.heartbeat = every;
        self
    }

    pub fn with_guard(mut self, guard: Guard) -> Self {
        self.guard = Arc::new(guard);
        self
    }

    pub fn with_front_end(mut self, front_end: FrontEnd) -> Self {
        self.front_end = front_end;
        self
    }

    /// Resolves once the server has started shutting down.
    pub async fn until_shutdown(&self) {
        let mut receiver = self.shutting_down.subscribe();
        let _ = receiver.wait_for(|&down| down).await;
    }

    /// Ends every open SSE stream.
    pub fn begin_shutdown(&self) {
        self.shutting_down.send_replace(true);
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// The whole application: REST API, SSE, server functions, pages and static files.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let options = state.leptos_options.clone();
    Router::new()
        .route("/api/runs", get(api::list_runs))
        .route("/api/runs/csv", get(api::runs_csv))
        .route("/api/views", get(api::list_views))
        .route(
            "/api/run",
            get(api::get_run)
                .delete(api::delete_run)
                .patch(api::patch_run),
        )
        .route("/api/compare", get(compare::get_compare))
        .route("/api/compare/csv", get(compare::compare_csv))
        .route("/api/converge", get(converge::get_converge))
        .route("/api/sweep", get(sweep::get_sweep))
        .route("/api/run/step", get(sweep::get_step))
        .route("/api/result", get(api::get_result))
        .route("/api/result/csv", get(api::result_csv))
        .route("/api/result/npy", get(api::result_npy))
        .route("/api/updates", get(sse::updates))
        .leptos_routes_with_context(&state, routes, || (), move || shell(options.clone()))
        .fallback(static_file_or_page)
        .layer(axum::middleware::from_fn_with_state(
            state.guard.clone(),
            guard::check,
        ))
        .with_state(state)
}

/// Anything no route names: a file of the front end (from inside the binary, else from the site folder), or
/// the not-found page.
async fn static_file_or_page(
    uri: Uri,
    State(state): State<AppState>,
    request: Request<Body>,
) -> axum::response::Response {
    if let Some(response) = state.front_end.respond(&request) {
        return response;
    }
    let from_disk = leptos_axum::file_and_error_handler::<AppState, _>(shell);
    from_disk(uri, State(state), request).await
}

/// Serves until `shutdown` completes, then ends every open SSE stream and waits for requests in flight.
pub async fn serve(
    listener: TcpListener,
    index: Arc<Index>,
    leptos_options: LeptosOptions,
    guard: Guard,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt;

    let state = AppState::new(index, leptos_options)
        .with_guard(guard)
        .with_front_end(FrontEnd::chosen());
    let app = router(state.clone());
    // Live events are small writes: without TCP_NODELAY, Nagle's algorithm holds each one back until the
    // client acknowledges the previous (tens of milliseconds with delayed ACKs).
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!("cannot set TCP_NODELAY: {e}");
        }
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            state.begin_shutdown();
        })
        .await
}
