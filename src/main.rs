//! The `asgard` binary: parse the command line, run, print the error chain, set the exit code.

#[cfg(feature = "ssr")]
fn main() -> std::process::ExitCode {
    use std::process::ExitCode;

    use asgard::cli::{Cli, Command, MonitorArgs};
    use clap::{CommandFactory, Parser};

    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "asgard=info,warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();

    let cli = Cli::parse();
    let command = match cli.command {
        Some(command) => command,
        // Started by `cargo leptos serve` / `watch`: serve a development storage on cargo-leptos's address.
        None if std::env::var_os("LEPTOS_SITE_ADDR").is_some()
            && std::env::var_os("LEPTOS_OUTPUT_NAME").is_some() =>
        {
            let addr: std::net::SocketAddr = std::env::var("LEPTOS_SITE_ADDR")
                .ok()
                .and_then(|a| a.parse().ok())
                .unwrap_or_else(|| ([127, 0, 0, 1], 8000).into());
            Command::Monitor(MonitorArgs {
                host: addr.ip(),
                ..MonitorArgs::local("target/dev-storage".into(), addr.port())
            })
        }
        None => {
            let _ = Cli::command().print_help();
            return ExitCode::from(2);
        }
    };

    let result = match command {
        Command::Append(args) => asgard::cli::append(args),
        Command::Bench(args) => asgard::cli::bench(args),
        Command::Dump(args) => asgard::cli::dump(args),
        Command::Example(args) => asgard::cli::example(args),
        Command::Monitor(args) => match tokio::runtime::Runtime::new() {
            Ok(rt) => rt.block_on(asgard::cli::monitor(args)),
            Err(e) => Err(e.into()),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(not(feature = "ssr"))]
fn main() {
    // The browser entry point is `asgard::hydrate` in lib.rs.
}
