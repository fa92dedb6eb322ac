//! The command line: `asgard monitor`, `asgard example` and `asgard append`, one function per subcommand.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};

use crate::index::{watch, Index, WatchMode};
use crate::model::RunId;
use crate::server::Guard;
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
    /// Run example simulations from YAML files, writing their runs into a storage directory
    Example(ExampleArgs),
    /// Append sine-wave results to an existing run (to watch them arrive live, or to load-test writers)
    Append(AppendArgs),
    /// Measure the monitor on a generated workload and print the figures against the targets
    Bench(crate::bench::BenchArgs),
    /// Print every run and result of a storage as the Rust reader sees them (JSON: arrays with shape, dtype and
    /// row-major values), to compare with another writer or reader
    Dump(DumpArgs),
}

#[derive(Debug, clap::Args)]
pub struct DumpArgs {
    /// The storage directory to read
    #[arg(long, default_value = "./storage", env = "ASGARD_STORAGE")]
    pub storage: PathBuf,
}

/// `asgard dump`: `{"runs": [run records], "results": {id: {…, "data": {field: {"shape", "dtype", "values"} or
/// {"json": value}}}}}`, runs in no particular order; unreadable files make it fail, naming them.
pub fn dump(args: DumpArgs) -> anyhow::Result<()> {
    use crate::model::FieldValue;
    use crate::storage::json as storage_json;
    use serde_json::{json, Map, Value};
    let storage = AsgardStorage::open(&args.storage)
        .with_context(|| format!("storage {} is not usable", args.storage.display()))?;
    let mut runs = Vec::new();
    let mut results = Map::new();
    for id in storage.list_run_ids()? {
        let run = storage.read_run(id)?;
        for &rid in &run.results {
            let payload = storage.get_result(rid)?;
            let data: Map<String, Value> = payload
                .fields
                .iter()
                .map(|(name, field)| {
                    let value = match field {
                        FieldValue::Array(a) => {
                            let values: Vec<Value> =
                                a.values.iter().map(|v| storage_json::value_of(*v)).collect();
                            json!({"shape": a.shape, "dtype": a.dtype, "values": values})
                        }
                        FieldValue::Json(text) => {
                            json!({"json": serde_json::from_str::<Value>(text).unwrap_or(Value::Null)})
                        }
                    };
                    (name.clone(), value)
                })
                .collect();
            results.insert(
                rid.to_string(),
                json!({
                    "run_id": payload.run_id,
                    "result_type": payload.result_type,
                    "timestamp": payload.timestamp,
                    "display": serde_json::from_str::<Value>(&payload.display_json).unwrap_or(Value::Null),
                    "data": data,
                }),
            );
        }
        runs.push(serde_json::to_value(&run)?);
    }
    // NaN and infinities as Python's `json` writes them, so that they read back as they are.
    let text = storage_json::to_text(
        &json!({"runs": runs, "results": results}),
        storage_json::NonFinite::Literal,
        false,
    );
    println!("{}", String::from_utf8_lossy(&text));
    Ok(())
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
    /// The access token every request must carry; generated and printed with the URL when --host is not
    /// loopback and none is given
    #[arg(long, env = "ASGARD_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// A host name the dashboard is reached by, besides its address and localhost (repeatable; `*` for any,
    /// only behind a proxy that checks Host itself)
    #[arg(long = "allow-host", value_name = "NAME")]
    pub allow_hosts: Vec<String>,
    /// Serve beyond loopback WITHOUT an access token: anyone who can reach the port can read and delete runs
    #[arg(long)]
    pub insecure_no_token: bool,
}

impl MonitorArgs {
    /// The monitor of `asgard example --monitor`: loopback, no token.
    pub fn local(storage: PathBuf, port: u16) -> Self {
        Self {
            storage,
            port,
            host: IpAddr::from([127, 0, 0, 1]),
            watch: Watch::Native,
            poll_interval_ms: 1000,
            token: None,
            allow_hosts: Vec::new(),
            insecure_no_token: false,
        }
    }
}

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["path", "category", "all", "list"])))]
pub struct ExampleArgs {
    /// An example: a built-in one (`basic/01_integration.yaml`) or a YAML file of your own
    pub path: Option<String>,
    /// Every example of a category (basic, pde, stochastic, discrete, optimization, physics)
    #[arg(short = 'c', long)]
    pub category: Option<String>,
    /// Every built-in example
    #[arg(long)]
    pub all: bool,
    /// List the built-in examples with their descriptions
    #[arg(long)]
    pub list: bool,
    /// Serve the dashboard while the examples run, and after until Ctrl-C
    #[arg(long)]
    pub monitor: bool,
    /// The storage directory to write into (created if missing)
    #[arg(long, default_value = "./storage", env = "ASGARD_STORAGE")]
    pub storage: PathBuf,
    /// With --monitor: the port to listen on (0 picks a free one)
    #[arg(long, default_value_t = 8000)]
    pub port: u16,
    /// Wait this long before each example, to watch them arrive one by one
    #[arg(long, default_value_t = 0)]
    pub pause_ms: u64,
}

#[derive(Debug, clap::Args)]
pub struct AppendArgs {
    /// The storage directory holding the run
    #[arg(long, default_value = "./storage", env = "ASGARD_STORAGE")]
    pub storage: PathBuf,
    /// The run to append to
    #[arg(long, value_name = "RUN_ID")]
    pub into: RunId,
    /// How many results to append
    #[arg(long, default_value_t = 10)]
    pub count: usize,
    /// The pause between two results
    #[arg(long, default_value_t = 0)]
    pub interval_ms: u64,
}

/// Runs the monitor until Ctrl-C or SIGTERM.
pub async fn monitor(args: MonitorArgs) -> anyhow::Result<()> {
    let running = Monitor::start(&args).await?;
    running.serve(shutdown_signal()).await
}

/// A monitor listening, ready to serve.
pub struct Monitor {
    listener: tokio::net::TcpListener,
    index: std::sync::Arc<Index>,
    options: leptos::config::LeptosOptions,
    watcher: crate::index::StorageWatcher,
    mode: WatchMode,
    guard: Guard,
}

impl Monitor {
    /// Opens the storage, binds the address, indexes the runs and starts watching; prints the URL.
    pub async fn start(args: &MonitorArgs) -> anyhow::Result<Self> {
        let storage = AsgardStorage::open(&args.storage)
            .with_context(|| format!("storage {} is not usable", args.storage.display()))?;
        let addr = SocketAddr::new(args.host, args.port);
        let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| {
            format!(
                "cannot listen on {addr} (is another monitor running there? choose another --port)"
            )
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

        let exposed = !addr.ip().is_loopback();
        let token = match (&args.token, exposed, args.insecure_no_token) {
            (Some(token), _, _) if !token.is_empty() => Some(token.clone()),
            (_, true, false) => Some(Guard::generate_token()),
            _ => None,
        };
        let guard = Guard::new(addr, token.clone(), args.allow_hosts.clone());
        let shown_host = match addr.ip() {
            ip if ip.is_unspecified() => "localhost".to_owned(),
            IpAddr::V6(ip) => format!("[{ip}]"),
            ip => ip.to_string(),
        };
        let query = token.map(|t| format!("?token={t}")).unwrap_or_default();
        println!(
            "Asgard Monitor: http://{shown_host}:{}/{query} (storage {})",
            addr.port(),
            args.storage.display()
        );
        if exposed && guard.token().is_none() {
            println!(
                "WARNING: --insecure-no-token: listening on {} WITHOUT an access token; anyone who can reach \
                 this port can read and delete every run",
                addr.ip()
            );
        } else if exposed {
            println!(
                "Listening on {}: every request needs the token above (open the URL once; programs send \
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
        })
    }

    /// Serves until `shutdown` completes.
    pub async fn serve(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let supervisor = tokio::spawn(crate::index::supervise(
            self.index.clone(),
            self.mode,
            self.watcher,
        ));
        crate::server::serve(
            self.listener,
            self.index,
            self.options,
            self.guard,
            shutdown,
        )
        .await?;
        supervisor.abort();
        println!("Asgard Monitor stopped");
        Ok(())
    }
}

/// Runs examples: checks every selected file first (a mistake writes nothing), then runs them one by one with a
/// progress bar each, and prints a summary. With `--monitor` the dashboard serves throughout, and after until
/// Ctrl-C.
pub fn example(args: ExampleArgs) -> anyhow::Result<()> {
    use crate::example::{library, parse_all, run_all, summary};

    if args.list {
        print!("{}", crate::example::list());
        return Ok(());
    }
    let selected = match (&args.path, &args.category, args.all) {
        (Some(path), _, _) => vec![library::resolve(path).map_err(anyhow::Error::msg)?],
        (None, Some(category), _) => library::category(category).map_err(anyhow::Error::msg)?,
        _ => library::builtin(),
    };
    let examples = parse_all(selected).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        anyhow::anyhow!("nothing was run or written:\n{}", lines.join("\n"))
    })?;
    let pause = Duration::from_millis(args.pause_ms);
    let show_progress = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let run = move |storage: AsgardStorage| {
        let outcomes = run_all(&storage, &examples, pause, show_progress);
        println!("{}", summary(&outcomes));
        outcomes.iter().filter(|o| o.failure.is_some()).count()
    };
    let failed = if args.monitor {
        let runtime = tokio::runtime::Runtime::new()?;
        runtime.block_on(async {
            let monitor =
                Monitor::start(&MonitorArgs::local(args.storage.clone(), args.port)).await?;
            let storage = AsgardStorage::open(&args.storage)?;
            let (done, finished) = tokio::sync::oneshot::channel();
            tokio::task::spawn_blocking(move || {
                let _ = done.send(run(storage));
            });
            let server = tokio::spawn(monitor.serve(shutdown_signal()));
            let failed = finished.await.unwrap_or(0);
            println!("The examples are done; the dashboard keeps serving until Ctrl-C.");
            server.await??;
            anyhow::Ok(failed)
        })?
    } else {
        let storage = AsgardStorage::open(&args.storage)
            .with_context(|| format!("storage {} is not usable", args.storage.display()))?;
        let failed = run(storage);
        println!(
            "Runs written to {}; see them with `asgard monitor --storage {}`",
            args.storage.display(),
            args.storage.display()
        );
        failed
    };
    if failed > 0 {
        anyhow::bail!(
            "{failed} example{} failed",
            if failed == 1 { "" } else { "s" }
        );
    }
    Ok(())
}

/// Runs the benchmark and prints its table.
pub fn bench(args: crate::bench::BenchArgs) -> anyhow::Result<()> {
    let generate_only = args.generate_only;
    let rows = crate::bench::run(args)?;
    if generate_only {
        return Ok(());
    }
    let mut table = comfy_table::Table::new();
    table.load_preset(comfy_table::presets::ASCII_MARKDOWN);
    table.set_header(vec!["scenario", "measured", "target", ""]);
    for r in &rows {
        table.add_row(vec![
            r.scenario.as_str(),
            r.figure.as_str(),
            r.target.as_str(),
            r.verdict,
        ]);
    }
    println!("{table}");
    Ok(())
}

/// Appends results to a run, one at a time.
pub fn append(args: AppendArgs) -> anyhow::Result<()> {
    let storage = AsgardStorage::open(&args.storage)
        .with_context(|| format!("storage {} is not usable", args.storage.display()))?;
    let interval = Duration::from_millis(args.interval_ms);
    for i in 0..args.count {
        if i > 0 && !interval.is_zero() {
            std::thread::sleep(interval);
        }
        crate::append::append_result(&storage, args.into, i)?;
    }
    println!("appended {} results to run {}", args.count, args.into);
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM. The handlers are installed when this is called, not when the future is first
/// polled (axum polls its shutdown future from a task of its own, which may start after the first request has
/// been served): a Ctrl-C right after the URL is printed still shuts down cleanly.
fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
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
        println!("shutting down");
    }
}
