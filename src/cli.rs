//! The command line: `asgard monitor` and `asgard demo`, one function per subcommand.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};

use crate::index::{watch, Index, WatchMode};
use crate::model::RunId;
use crate::storage::AsgardStorage;

#[derive(Debug, Parser)]
#[command(
    name = "asgard",
    version,
    about = "Asgard Monitor: a live dashboard for simulation runs and their results"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the dashboard and REST API over a storage directory
    Monitor(MonitorArgs),
    /// Write a few sample runs of every result type into a storage directory
    Demo(DemoArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Watch {
    /// Operating-system change events, falling back to polling where there are none
    Native,
    /// Poll the storage every --poll-interval-ms (for NFS and other network filesystems)
    Poll,
}

#[derive(Debug, clap::Args)]
pub struct MonitorArgs {
    /// The storage directory (created if missing)
    #[arg(long, default_value = "./storage", env = "ASGARD_STORAGE")]
    pub storage: PathBuf,
    /// The port to listen on (0 picks a free one)
    #[arg(long, default_value_t = 8000)]
    pub port: u16,
    /// The address to listen on; anything other than loopback exposes the dashboard to the network
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// How to notice changes in the storage
    #[arg(long, value_enum, default_value_t = Watch::Native)]
    pub watch: Watch,
    /// The polling interval with --watch poll
    #[arg(long, default_value_t = 1000)]
    pub poll_interval_ms: u64,
}

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// The storage directory to write into (created if missing)
    #[arg(long, default_value = "./storage")]
    pub storage: PathBuf,
    /// Instead of writing the sample runs, append --count Solution1D results to this run (to watch them
    /// arrive live, or to load-test writers)
    #[arg(long, value_name = "RUN_ID")]
    pub into: Option<RunId>,
    /// With --into: how many results to append
    #[arg(long, default_value_t = 10, requires = "into")]
    pub count: usize,
    /// With --into: the pause between two results
    #[arg(long, default_value_t = 0, requires = "into")]
    pub interval_ms: u64,
}

/// Runs the monitor until Ctrl-C or SIGTERM.
pub async fn monitor(args: MonitorArgs) -> anyhow::Result<()> {
    let storage = AsgardStorage::open(&args.storage)
        .with_context(|| format!("storage {} is not usable", args.storage.display()))?;
    let addr = SocketAddr::new(args.host, args.port);
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| {
        format!("cannot listen on {addr} (is another monitor running there? choose another --port)")
    })?;
    let addr = listener.local_addr()?;
    let options = crate::server::leptos_options(addr)?;

    let index = tokio::task::spawn_blocking(move || Index::build(storage)).await??;
    let mode = match args.watch {
        Watch::Native => WatchMode::Native,
        Watch::Poll => WatchMode::Poll(Duration::from_millis(args.poll_interval_ms.max(10))),
    };
    let watcher = watch(index.clone(), mode).context("cannot watch the storage for changes")?;
    tracing::info!(runs = index.len(), watch = watcher.mode(), "index ready");

    let shown_host = if addr.ip().is_unspecified() {
        "localhost".to_owned()
    } else {
        addr.ip().to_string()
    };
    println!(
        "Asgard Monitor: http://{shown_host}:{}/ (storage {})",
        addr.port(),
        args.storage.display()
    );
    if !addr.ip().is_loopback() {
        println!(
            "warning: listening on {} exposes the dashboard to the network",
            addr.ip()
        );
    }
    crate::server::serve(listener, index, options, shutdown_signal()).await?;
    drop(watcher);
    println!("Asgard Monitor stopped");
    Ok(())
}

/// Writes the sample runs.
pub fn demo(args: DemoArgs) -> anyhow::Result<()> {
    let storage = AsgardStorage::open(&args.storage)
        .with_context(|| format!("storage {} is not usable", args.storage.display()))?;
    match args.into {
        Some(run_id) => {
            let interval = Duration::from_millis(args.interval_ms);
            for i in 0..args.count {
                if i > 0 && !interval.is_zero() {
                    std::thread::sleep(interval);
                }
                crate::demo::append_result(&storage, run_id, i)?;
            }
            println!("appended {} results to run {run_id}", args.count);
        }
        None => {
            let runs = crate::demo::write_samples(&storage)?;
            println!("wrote {runs} sample runs to {}", args.storage.display());
        }
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
    println!("shutting down");
}
