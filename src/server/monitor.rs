//! The monitor's start-up beside [`super::serve`]: bind the address, index the storage, watch it, decide the
//! access-token policy and say where it serves. `asgard monitor` and `asgard example --monitor` start one; so
//! can tests (port 0).

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use anyhow::Context;
use leptos::config::LeptosOptions;
use tokio::net::TcpListener;

use super::Guard;
use crate::index::{watch, Index, StorageWatcher, WatchMode, SNAPSHOT_EVERY};
use crate::storage::AsgardStorage;

/// What a monitor serves and how.
pub struct Settings {
    pub storage: AsgardStorage,
    pub addr: SocketAddr,
    pub watch: WatchMode,
    /// The token every request must carry; `None` generates one when the address is not loopback.
    pub token: Option<String>,
    /// Host names the dashboard is reached by, besides its address and `localhost`.
    pub allow_hosts: Vec<String>,
    /// Serve beyond loopback without a token.
    pub insecure_no_token: bool,
}

impl Settings {
    /// A monitor on loopback, without a token, watching with native events.
    pub fn local(storage: AsgardStorage, port: u16) -> Self {
        Self {
            storage,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            watch: WatchMode::Native,
            token: None,
            allow_hosts: Vec::new(),
            insecure_no_token: false,
        }
    }
}

/// A monitor listening, its runs indexed and watched, ready to serve.
pub struct Monitor {
    listener: TcpListener,
    index: Arc<Index>,
    options: LeptosOptions,
    watcher: StorageWatcher,
    mode: WatchMode,
    guard: Guard,
    banner: String,
    /// `http://host:port`, as the banner shows it.
    origin: String,
}

impl Monitor {
    /// Binds the address, indexes the runs and starts watching.
    pub async fn start(settings: Settings) -> anyhow::Result<Self> {
        let Settings {
            storage,
            addr,
            watch: mode,
            token,
            allow_hosts,
            insecure_no_token,
        } = settings;
        let listener = TcpListener::bind(addr).await.with_context(|| {
            format!(
                "cannot listen on {addr} (is another monitor running there? choose another --port)"
            )
        })?;
        let addr = listener.local_addr()?;
        let options = super::leptos_options(addr)?;

        let location = storage.location();
        let index = tokio::task::spawn_blocking(move || Index::build(storage)).await??;
        index.fill_stats_in_background();
        // The next start reads only the run files that change until then.
        let saver = index.clone();
        tokio::task::spawn_blocking(move || saver.save_snapshot_logged());
        let watcher = watch(index.clone(), mode).context("cannot watch the storage for changes")?;
        tracing::info!(
            runs = index.len(),
            read = index.files_read(),
            watch = watcher.mode(),
            "index ready"
        );

        let exposed = !addr.ip().is_loopback();
        let token = match (token, exposed, insecure_no_token) {
            (Some(token), _, _) if !token.is_empty() => Some(token),
            (_, true, false) => Some(Guard::generate_token()),
            _ => None,
        };
        let guard = Guard::new(addr, token.clone(), allow_hosts);
        let shown_host = match addr.ip() {
            ip if ip.is_unspecified() => "localhost".to_owned(),
            IpAddr::V6(ip) => format!("[{ip}]"),
            ip => ip.to_string(),
        };
        let origin = format!("http://{shown_host}:{}", addr.port());
        let query = token.map(|t| format!("?token={t}")).unwrap_or_default();
        let mut banner = format!(
            "Asgard Monitor: http://{shown_host}:{}/{query} (storage {})",
            addr.port(),
            location
        );
        if exposed && guard.token().is_none() {
            banner += &format!(
                "\nWARNING: --insecure-no-token: listening on {} WITHOUT an access token; anyone who can \
                 reach this port can read and delete every run",
                addr.ip()
            );
        } else if exposed {
            banner += &format!(
                "\nListening on {}: every request needs the token above (open the URL once; programs send \
                 `Authorization: Bearer <token>`)",
                addr.ip()
            );
        }
        Ok(Self {
            listener,
            index,
            options,
            watcher,
            mode,
            guard,
            banner,
            origin,
        })
    }

    /// Where it serves (the URL, with the token if there is one) and, beyond loopback, what that means.
    pub fn banner(&self) -> &str {
        &self.banner
    }

    /// The address of a page of this dashboard (`/converge?…`), with the token if there is one.
    pub fn page(&self, path: &str) -> String {
        match self.guard.token() {
            None => format!("{}{path}", self.origin),
            Some(token) => {
                let join = if path.contains('?') { '&' } else { '?' };
                format!("{}{path}{join}token={token}", self.origin)
            }
        }
    }

    /// Serves until `shutdown` completes, re-indexing a storage that is deleted and recreated meanwhile.
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let supervisor = tokio::spawn(crate::index::supervise(
            self.index.clone(),
            self.mode,
            self.watcher,
        ));
        let snapshots = tokio::spawn(keep_snapshot(self.index.clone()));
        super::serve(
            self.listener,
            self.index.clone(),
            self.options,
            self.guard,
            shutdown,
        )
        .await?;
        supervisor.abort();
        snapshots.abort();
        let index = self.index;
        tokio::task::spawn_blocking(move || index.save_snapshot_logged()).await?;
        say("Asgard Monitor stopped");
        Ok(())
    }
}

/// Tells the user on standard output, if anyone still reads it: a monitor whose output was piped into a program
/// that has exited (`asgard monitor | head -1`) must still shut down cleanly, not panic on the broken pipe.
fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{line}");
}

/// Writes the index's snapshot every [`SNAPSHOT_EVERY`] while the index changes.
async fn keep_snapshot(index: Arc<Index>) {
    let mut ticker = tokio::time::interval(SNAPSHOT_EVERY);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker.tick().await;
    loop {
        ticker.tick().await;
        let index = index.clone();
        let _ = tokio::task::spawn_blocking(move || index.save_snapshot_logged()).await;
    }
}

/// Resolves on Ctrl-C or SIGTERM. The handlers are installed when this is called, not when the future is first
/// polled (axum polls its shutdown future from a task of its own, which may start after the first request has
/// been served): a Ctrl-C right after the URL is printed still shuts down cleanly.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let signals = {
        use tokio::signal::unix::{signal, SignalKind};
        (
            signal(SignalKind::interrupt()).ok(),
            signal(SignalKind::terminate()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let (interrupt, terminate) = signals;
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = wait(interrupt) => {}
                _ = wait(terminate) => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        say("shutting down");
    }
}
