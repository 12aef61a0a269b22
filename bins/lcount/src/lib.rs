//! lcount: filter records and count them, in groups.
//!
//! Usage: `lcount [OPTIONS] [FILE]...`
//!
//! Reads NDJSON records (from lparse, hprobe, or anything else), keeps those
//! that pass every filter (`--status`, `--where`), and prints how many there
//! were: `{"count":N}`, or with `--by`, one record per group, largest count
//! first: `{"status":404,"count":37}`. On a terminal the groups are shown as
//! an aligned table instead.

mod count;

use anyhow::Result;
use clap::Parser;
use logkit_common::cli::{self, BadInput, InputName, Outcome};
use logkit_common::filter::{Condition, StatusSet};
use std::ffi::OsString;

const EXAMPLES: &str = "\
Examples:
  ltail access.log | lparse | lcount --status 404
  lparse access.log | lcount --status 4xx --by path
  lparse access.log | lcount --status 500-599 --by vhost --by path
  lparse access.log | lcount --where method=POST --where 'bytes>100000'
  lcount --by status records.ndjson

Records without a --by field are counted in a group where it is null.";

/// Count NDJSON records that pass the filters, optionally by group.
#[derive(Debug, Parser)]
#[command(name = "lcount", version, after_help = EXAMPLES)]
pub struct Args {
    /// Keep records whose status is in LIST: 404, 4xx, 500-599, or a comma list such as 404,410.
    #[arg(long, value_name = "LIST")]
    status: Option<StatusSet>,

    /// Keep records where FIELD compares so with VALUE: FIELD=VALUE, !=, <, <=, >, >=
    /// (numbers compare as numbers). Repeatable; all must hold.
    #[arg(long = "where", value_name = "EXPR")]
    conditions: Vec<Condition>,

    /// Count per distinct value of FIELD. Repeatable, for groups of several fields.
    #[arg(long = "by", value_name = "FIELD")]
    by: Vec<String>,

    /// Stop at the first line that is not a JSON object, with exit status 2.
    #[arg(long)]
    strict: bool,

    /// Files of NDJSON records; `-` or none means standard input.
    #[arg(value_name = "FILE")]
    files: Vec<OsString>,
}

pub fn run() -> Result<Outcome> {
    let args = cli::parse_args::<Args>("lcount");
    let mut counter = count::Counter::new(args.status.clone(), &args.conditions, &args.by);
    let mut bad = BadInput::new("lcount", args.strict);
    for name in InputName::from_args(&args.files) {
        let label = name.label().into_owned();
        match &name {
            InputName::Stdin => counter.read(std::io::stdin().lock(), &label, &mut bad)?,
            InputName::Path(path) => counter.read(cli::open(path)?, &label, &mut bad)?,
        }
    }
    let table = cli::stdout_is_terminal();
    counter.print(table)?;
    Ok(bad.finish("lines skipped (not a JSON object)"))
}
