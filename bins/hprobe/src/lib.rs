//! hprobe: send HTTP requests and report each one as a record.
//!
//! Usage: `hprobe [OPTIONS] URL...`
//!
//! Each request becomes one NDJSON record using the same field names as
//! lparse (`ts`, `method`, `status`, `bytes`, `rt`), so that
//! `hprobe ... | lcount --by status` works like it does on an access log.
//!
//! Status: the command line is settled; sending requests is not built yet
//! (tracked in its own issue). Until then hprobe says so and exits 2 rather
//! than pretending to probe.

use anyhow::{bail, Result};
use clap::Parser;
use logkit_common::cli::{self, Outcome};

const EXAMPLES: &str = "\
Examples: none yet. hprobe does not send requests yet; the options below are
the ones it will start with (-n requests per URL, -c concurrency).";

/// Send HTTP requests and print one NDJSON record per request.
#[derive(Debug, Parser)]
#[command(name = "hprobe", version, after_help = EXAMPLES)]
pub struct Args {
    /// Number of requests per URL.
    #[arg(short = 'n', long, default_value_t = 1)]
    requests: u64,

    /// Requests in flight at once.
    #[arg(short = 'c', long, default_value_t = 1)]
    concurrency: u64,

    /// URLs to request.
    #[arg(value_name = "URL")]
    urls: Vec<String>,
}

pub fn run() -> Result<Outcome> {
    let _args = cli::parse_args::<Args>("hprobe");
    bail!("sending requests is not implemented yet")
}
