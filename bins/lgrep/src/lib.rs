//! lgrep: pass through the records that match, as they came in.
//!
//! Usage: `lgrep [OPTIONS] [CONDITION]... [FILE]... [-- FILE...]`
//!
//! Reads NDJSON records (from lparse, hprobe, or anything else) and writes
//! those that pass every filter (`--status`, `--where`, and conditions
//! given as arguments; lcount's filter language), each exactly as it was
//! read. `-v` passes the others instead, `-c` prints only how many passed,
//! `-m N` stops after N, `--fields` keeps only some fields. Output is
//! flushed whenever the input goes idle, so lgrep can sit in the middle of
//! a live pipeline; on SIGINT or SIGTERM it writes what it has and exits 0.

mod operands;
mod parallel;
mod select;

use anyhow::{Context, Result};
use clap::Parser;
use logkit_common::cli::{self, BadInput, InputName, Outcome};
use logkit_common::filter::{Condition, StatusSet};
use logkit_common::input::{LineReader, MAX_RECORD};
use logkit_common::json::Object;
use logkit_common::live::{LiveInput, StopFlag};
use logkit_common::output::Output;
use logkit_common::record;
use logkit_common::style::ViewArgs;
use logkit_common::view::Display;
use select::{Plan, Selector};
use std::ffi::OsString;
use std::io::Read;
use std::os::fd::AsFd;

const EXAMPLES: &str = "\
Examples:
  lparse access.log | lgrep --status 404
  lparse access.log | lgrep --status 404 | hprobe --base http://mirror:8080
  lparse access.log | lgrep 'status>=500' 'rt>1'            # conditions as arguments
  lgrep --status 5xx --where 'path~^/api/' parsed.ndjson
  lgrep -v 'method=GET' parsed.ndjson                       # every record but the GETs
  lgrep -c --status 404 parsed.ndjson                       # {\"count\":52}
  lgrep -m 10 'rt>2' parsed.ndjson                          # the first ten, then stop
  lgrep --status 404 --fields ts,client,path parsed.ndjson
  ltail -f access.log | lparse | lgrep --status 5xx         # live

Filters (all must hold): --status 404 | 4xx | 500-599 | 404,410, and
conditions with FIELD=VALUE, !=, <, <=, >, >= (numbers compare as numbers),
FIELD~REGEX, FIELD!~REGEX, FIELD (present), !FIELD (absent). A record without
the field satisfies only !=, !~ and !FIELD. FIELD may be a dotted path into
nested objects (req.headers.host).

Arguments: conditions come first, then files, as with grep. An argument is a
condition when it holds an operator character (= ! < > ~); the first one that
does not starts the files. A bare field name (the presence test) is taken as a
file: write it --where FIELD. After --, every argument is a file.

Output: each passing record exactly as it was read (its key order, spacing and
escapes), ended by \\n (a \\r\\n line end becomes \\n). On a terminal, one
readable line per record instead, as lparse shows them (time, status, method,
path...; --color auto|always|never, NO_COLOR), cut to the window; with --json
the records, DEL, C1 and bidirectional control characters in strings shown as
\\uXXXX escapes (the same JSON). Blank lines are skipped; a line that is not a JSON
object is reported on stderr and never passed, with or without -v. Finding
nothing is not an error: exit 0. Exit 1 means some input was bad, or a field
named appeared in no record (both reported on stderr; --strict makes them
fatal), 2 a usage or fatal error.";

/// Pass through the NDJSON records that match, byte for byte.
#[derive(Debug, Parser)]
#[command(
    name = "lgrep",
    version,
    after_help = EXAMPLES,
    override_usage = "lgrep [OPTIONS] [CONDITION]... [FILE]... [-- FILE...]"
)]
pub struct Args {
    /// Keep records whose status is in LIST: 404, 4xx, 500-599, or a comma list such as 404,410.
    #[arg(long, value_name = "LIST")]
    status: Option<StatusSet>,

    /// Keep records that satisfy EXPR (see below). Repeatable; all must hold.
    #[arg(long = "where", value_name = "EXPR")]
    conditions: Vec<Condition>,

    /// Pass the records that do not match instead.
    #[arg(short = 'v', long)]
    invert_match: bool,

    /// Print only the number of records that would have been passed: {"count":N}
    /// (on a terminal, the number alone).
    #[arg(short = 'c', long)]
    count: bool,

    /// Stop after N passing records (reading no further).
    #[arg(short = 'm', long, value_name = "N")]
    max_count: Option<u64>,

    /// Write only these fields of each passing record, in the order given, as
    /// `"NAME":value` with the value as it was; a field a record lacks is left
    /// out. A dotted path keeps its name (req.headers.host).
    #[arg(long, value_name = "NAME,...", value_delimiter = ',', value_parser = field_name)]
    fields: Option<Vec<String>>,

    /// Stop at the first line that is not a JSON object, with exit status 2.
    #[arg(long)]
    strict: bool,

    #[command(flatten)]
    view: ViewArgs,

    /// Conditions, then files of NDJSON records; `-` or no file means
    /// standard input.
    #[arg(value_name = "CONDITION|FILE")]
    operands: Vec<OsString>,

    /// Files, whatever their names look like.
    #[arg(last = true, value_name = "FILE")]
    files: Vec<OsString>,
}

fn field_name(s: &str) -> Result<String, String> {
    let name = s.trim();
    if name.is_empty() {
        return Err("empty field name".into());
    }
    Ok(name.to_owned())
}

/// The tool: reads the inputs named on the command line (or stdin) and
/// writes the passing records, or their count, to stdout. Bad lines and
/// fields that never appeared give [`Outcome::BadInput`]; a usage error or,
/// with `--strict`, the first of those is an error.
pub fn run() -> Result<Outcome> {
    let args = cli::parse_args::<Args>("lgrep");
    let (mut conditions, mut files) = operands::split(args.operands).map_err(anyhow::Error::msg)?;
    conditions.extend(args.conditions);
    files.extend(args.files);
    let terminal = cli::stdout_is_terminal();
    // A terminal gets one readable line per record, or with --json the
    // records with what could drive it escaped; a pipe the records as read.
    let mut display = Display::of(args.view.shown(terminal));
    let plan =
        Plan { status: args.status, conditions, invert: args.invert_match, keep: args.fields };
    let mut selector = Selector::new(plan.clone());
    let mut tally = Tally { passed: 0, limit: args.max_count, write: !args.count };
    let stop = StopFlag::install()?;
    let mut bad = BadInput::new("lgrep", args.strict);
    let mut out = Output::new();
    let inputs = if tally.done() { Vec::new() } else { InputName::from_args(&files) };
    for name in inputs {
        let label = name.label().into_owned();
        let Some(input) = name.open_or_report(&mut bad)? else { continue };
        // -m stops at a record that only reading in order finds; a
        // terminal shows fewer lines a second than one core selects.
        let parallel = tally.limit.is_none()
            && display.is_records()
            && logkit_common::parallel::suits(&input, args.strict);
        let mut ctx = InputCtx { label: &label, stop: &stop, display: &mut display };
        let (selector, tally, bad, out) = (&mut selector, &mut tally, &mut bad, &mut out);
        let end = if parallel {
            let mut reader = LineReader::new(input).max_line(MAX_RECORD);
            parallel::select(&mut reader, &plan, &ctx, selector, tally, bad, out)
                .with_context(|| label.clone())?
        } else {
            // Not wrapped in the input's name: a --strict error names its
            // place already.
            read(input, &mut ctx, selector, tally, bad, out)?
        };
        if end {
            break;
        }
    }
    if args.count {
        if terminal {
            out.buf().extend_from_slice(format!("{}\n", tally.passed).as_bytes());
        } else {
            let mut obj = Object::new(out.buf());
            obj.uint(record::COUNT, tally.passed);
            obj.finish();
            out.buf().push(b'\n');
        }
    }
    out.flush()?;
    let lines = bad.finish("lines skipped (not a JSON object) or files not read");
    let fields = selector.seen().finish("lgrep", args.strict)?;
    Ok(if lines == Outcome::Success { fields } else { lines })
}

/// The input being read, for messages and stopping, and what the passing
/// records are shown as.
struct InputCtx<'a> {
    label: &'a str,
    stop: &'a StopFlag,
    display: &'a mut Display,
}

/// How many records passed, and when to stop.
struct Tally {
    passed: u64,
    /// `-m`.
    limit: Option<u64>,
    /// Whether passing records are written (not with `-c`).
    write: bool,
}

impl Tally {
    /// Whether `-m` is reached: read no further.
    fn done(&self) -> bool {
        self.limit.is_some_and(|n| self.passed >= n)
    }
}

/// Selects the records of one input on this thread; returns whether the
/// run ends here (a stop was requested, or `-m` reached).
fn read<R: Read + AsFd>(
    input: R,
    ctx: &mut InputCtx<'_>,
    selector: &mut Selector,
    tally: &mut Tally,
    bad: &mut BadInput,
    out: &mut Output,
) -> Result<bool> {
    let input = LiveInput::new(input, ctx.stop.clone());
    let mut reader = LineReader::new(input).max_line(MAX_RECORD).watch_idle();
    while let Some(line) = reader.next_line(out).with_context(|| ctx.label.to_owned())? {
        if !line.terminated && !line.truncated && ctx.stop.is_set() {
            // Cut off by the stop, mid-record: not bad input, just unfinished.
            continue;
        }
        let start = out.buf().len();
        let buf = if tally.write { Some(out.buf()) } else { None };
        match selector.line(&line, buf) {
            Ok(true) => {
                ctx.display.show(out.buf(), start);
                out.end_record()?;
                tally.passed += 1;
                if tally.done() {
                    return Ok(true);
                }
            }
            Ok(false) => {}
            Err(message) => bad.report(ctx.label, line.number, &message)?,
        }
    }
    Ok(reader.get_ref().stopped())
}
