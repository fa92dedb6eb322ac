//! The command line: clap's parsing, and one function per subcommand that opens what it needs and calls the
//! module that does the work (`server::monitor`, `example`, `append`, `bench`, `dump`).

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};

use crate::index::WatchMode;
use crate::model::RunId;
use crate::server::monitor::{shutdown_signal, Monitor, Settings};
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
    /// The storage to read: a directory, file://DIR, or s3://BUCKET/PREFIX (also gs://, az://)
    #[arg(long, default_value = "./storage", env = "ASGARD_STORAGE")]
    pub storage: PathBuf,
}

/// `asgard dump`: prints every run and result as the Rust reader sees them ([`crate::dump::dump`]).
pub fn dump(args: DumpArgs) -> anyhow::Result<()> {
    println!("{}", crate::dump::dump(&open_storage(&args.storage)?)?);
    Ok(())
}

/// Opens (and lays out, if new) the storage a command names: a directory, `file://DIR`, or a bucket
/// (`s3://bucket/prefix`, `gs://…`, `az://…`).
fn open_storage(path: &Path) -> anyhow::Result<AsgardStorage> {
    let location = path.to_string_lossy();
    AsgardStorage::open_location(&location)
        .with_context(|| format!("storage {location} is not usable"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Watch {
    /// Operating-system change events, falling back to polling where there are none
    Native,
    /// Poll the storage every --poll-interval-ms (for NFS and other network filesystems; a bucket's journal is
    /// always polled, every second unless this is given)
    Poll,
}

#[derive(Debug, clap::Args)]
pub struct MonitorArgs {
    /// The storage: a directory (created if missing), file://DIR, or s3://BUCKET/PREFIX (also gs://, az://),
    /// with credentials and endpoint from the standard variables (AWS_ACCESS_KEY_ID, AWS_ENDPOINT_URL, …)
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
    /// The storage to write into: a directory (created if missing), file://DIR, or s3://BUCKET/PREFIX
    #[arg(long, default_value = "./storage", env = "ASGARD_STORAGE")]
    pub storage: PathBuf,
    /// With --monitor: the port to listen on (0 picks a free one)
    #[arg(long, default_value_t = 8000)]
    pub port: u16,
    /// Wait this long before each example, to watch them arrive one by one
    #[arg(long, default_value_t = 0)]
    pub pause_ms: u64,
    /// Spread each example that writes as it goes (optimisations, ensembles, time integrations, animations)
    /// over at least this many seconds, to watch its results grow; default 4 with --monitor, 0 (as fast as it
    /// computes) without
    #[arg(long, value_name = "SECONDS")]
    pub stream_seconds: Option<f64>,
}

#[derive(Debug, clap::Args)]
pub struct AppendArgs {
    /// The storage holding the run: a directory, file://DIR, or s3://BUCKET/PREFIX
    #[arg(long, default_value = "./storage", env = "ASGARD_STORAGE")]
    pub storage: PathBuf,
    /// The run to append to
    #[arg(long, value_name = "RUN_ID")]
    pub into: RunId,
    /// How many results to append
    #[arg(long, default_value_t = 10)]
    pub count: usize,
    /// The pause between two results (between two steps with --grow)
    #[arg(long, default_value_t = 0)]
    pub interval_ms: u64,
    /// Append `count` steps to one growing OptimizationResult instead (loss 1/(1 + step/100), two
    /// parameters), setting the run's progress as it goes, and close it at the end. Prints the result's id
    /// first.
    #[arg(long)]
    pub grow: bool,
    /// With --grow: this many steps a second, on a schedule (instead of --interval-ms between steps)
    #[arg(long, value_name = "N")]
    pub per_second: Option<f64>,
}

/// Runs the monitor until Ctrl-C or SIGTERM.
pub async fn monitor(args: MonitorArgs) -> anyhow::Result<()> {
    let settings = args.settings(open_storage(&args.storage)?);
    let monitor = Monitor::start(settings).await?;
    println!("{}", monitor.banner());
    monitor.serve(shutdown_signal()).await
}

impl MonitorArgs {
    /// The monitor's settings, serving `storage` (opened from `self.storage`).
    fn settings(&self, storage: AsgardStorage) -> Settings {
        Settings {
            storage,
            addr: SocketAddr::new(self.host, self.port),
            watch: match self.watch {
                Watch::Native => WatchMode::Native,
                Watch::Poll => {
                    WatchMode::Poll(Duration::from_millis(self.poll_interval_ms.max(10)))
                }
            },
            token: self.token.clone(),
            allow_hosts: self.allow_hosts.clone(),
            insecure_no_token: self.insecure_no_token,
        }
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
    let study = crate::example::study_address(&examples);
    let pause = Duration::from_millis(args.pause_ms);
    let stream = args
        .stream_seconds
        .unwrap_or(if args.monitor { 4.0 } else { 0.0 });
    anyhow::ensure!(
        stream.is_finite() && (0.0..=3600.0).contains(&stream),
        "--stream-seconds: expected 0 to 3600 seconds, found {stream}"
    );
    let stream = Duration::from_secs_f64(stream);
    let show_progress = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let run = move |storage: AsgardStorage| {
        let outcomes = run_all(&storage, &examples, pause, stream, show_progress);
        println!("{}", summary(&outcomes));
        outcomes.iter().filter(|o| o.failure.is_some()).count()
    };
    let failed = if args.monitor {
        let runtime = tokio::runtime::Runtime::new()?;
        runtime.block_on(async {
            let storage = open_storage(&args.storage)?;
            let monitor = Monitor::start(Settings::local(storage.clone(), args.port)).await?;
            println!("{}", monitor.banner());
            let study = study.as_deref().map(|path| monitor.page(path));
            let (done, finished) = tokio::sync::oneshot::channel();
            tokio::task::spawn_blocking(move || {
                let _ = done.send(run(storage));
            });
            let server = tokio::spawn(monitor.serve(shutdown_signal()));
            let failed = finished.await.unwrap_or(0);
            if let Some(study) = &study {
                println!("The sweep's convergence study: {study}");
            }
            println!("The examples are done; the dashboard keeps serving until Ctrl-C.");
            server.await??;
            anyhow::Ok(failed)
        })?
    } else {
        let failed = run(open_storage(&args.storage)?);
        println!(
            "Runs written to {}; see them with `asgard monitor --storage {}`",
            args.storage.display(),
            args.storage.display()
        );
        if let Some(study) = &study {
            println!("The sweep's convergence study is at {study} on the monitor");
        }
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
    let storage = open_storage(&args.storage)?;
    let interval = Duration::from_millis(args.interval_ms);
    if args.grow {
        let period = match args.per_second {
            Some(n) if n > 0.0 && n.is_finite() => Duration::from_secs_f64(1.0 / n),
            Some(n) => anyhow::bail!("--per-second: expected a positive number, found {n}"),
            None => interval,
        };
        let id = crate::append::grow_result(&storage, args.into, args.count, period, |id| {
            use std::io::Write;
            println!("{id}");
            let _ = std::io::stdout().flush();
        })?;
        println!(
            "appended {} steps to result {id} of run {}",
            args.count, args.into
        );
        return Ok(());
    }
    for i in 0..args.count {
        if i > 0 && !interval.is_zero() {
            std::thread::sleep(interval);
        }
        crate::append::append_result(&storage, args.into, i)?;
    }
    println!("appended {} results to run {}", args.count, args.into);
    Ok(())
}
