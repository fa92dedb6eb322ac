//! `asgard bench`: fills a storage with a synthetic, deterministic workload, starts the real monitor on it in a
//! child process, and measures it as clients would (loopback HTTP and SSE). Prints a table of figures against
//! the targets; `BENCHMARKS.md` records them. `--size smoke` runs everything small, to keep it working in CI.

mod bucket;
mod client;
mod generate;
mod growing;
mod listing;
mod pyramids;
mod remote;
mod scenarios;
mod sse;

use std::path::PathBuf;

pub use generate::{generate, Workload};
pub use scenarios::{run, Row};

/// How big the workload is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Size {
    /// A few hundred runs and small arrays: checks that every scenario works, in seconds.
    Smoke,
    /// The targets: 10,000 runs / 50,000 results, 10⁷-point series, a 4096² grid, 500 SSE clients; and
    /// how the figures grow (runs 1k → 10k, points 10⁵ → 10⁷, SSE clients 10 → 1,000).
    Full,
}

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    #[arg(long, value_enum, default_value_t = Size::Smoke)]
    pub size: Size,
    /// Where to generate the workloads (a temporary directory by default; large: the full size writes ~700 MB)
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Run counts to measure instead of the size's (e.g. `--runs 100000` for the growth to 100k); the targets
    /// are judged at the last
    #[arg(long, value_delimiter = ',')]
    pub runs: Vec<usize>,
    /// Only write the workloads (into --dir) and print where they are, for other tools (scripts/load.sh)
    #[arg(long, requires = "dir")]
    pub generate_only: bool,
    /// Measure the monitor on a bucket instead: cold starts and idle requests on a modelled bucket (25 ms per
    /// request), and with --bucket the live figures against that bucket
    #[arg(long)]
    pub object_storage: bool,
    /// With --object-storage: a real bucket to measure live updates and 16 writer processes against
    /// (`s3://bucket/prefix`, with the AWS variables; each run writes under a new prefix in it)
    #[arg(long, requires = "object_storage", value_name = "URL")]
    pub bucket: Option<String>,
    /// Only the growing results' scenarios (issue 18): a growing Solution1D as long as the size's longest series
    /// against the finished one, and one writer watched by many pages
    #[arg(long, conflicts_with = "object_storage")]
    pub growing: bool,
    /// Only the pyramids' scenarios (issue 19): building them and viewing Solution1Ds of the size's lengths
    /// (full: 10⁵ … 10⁸ points, which writes 2.7 GB) on a monitor of their own
    #[arg(long, conflicts_with_all = ["object_storage", "growing"])]
    pub pyramids: bool,
}

/// p-th percentile (0–100) of sorted values.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (p / 100.0 * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}
