//! lcount: filter records, count them in groups, and summarise.
//!
//! Usage: `lcount [OPTIONS] [FILE]...`
//!
//! Reads NDJSON records (from lparse, hprobe, or anything else), keeps those
//! that pass every filter (`--status`, `--where`), and prints how many there
//! were: `{"count":N}`, or with `--by` and `--every`, one record per group,
//! with aggregates of other fields beside the count. On a terminal the
//! result is an aligned table instead. With `--interval` the running result
//! is printed periodically; at end of input, or on SIGINT or SIGTERM, the
//! final result is printed and lcount exits 0.

mod agg;
mod board;
mod count;
mod parallel;
mod render;

use anyhow::{Context, Result};
use clap::Parser;
use jiff::tz::Offset;
use logkit_common::cli::{self, BadInput, InputName, Outcome};
use logkit_common::fields::{not_a_record, recycle, Raw};
use logkit_common::filter::{Condition, StatusSet};
use logkit_common::input::{Line, LineReader, NoIdle, MAX_RECORD};
use logkit_common::live::{self, LiveInput, StopFlag};
use logkit_common::record;
use logkit_common::style::ColorChoice;
use logkit_common::time::{format_rfc3339_frac, parse_duration, parse_rfc3339};
use render::{Format, Shape, SortBy};
use std::cell::Cell;
use std::ffi::OsString;
use std::io::{Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::rc::Rc;
use std::time::{Duration, Instant};

const EXAMPLES: &str = "\
Examples:
  ltail access.log | lparse | lcount --status 404
  lparse access.log | lcount --status 4xx --by path --top 10
  lparse access.log | lcount --status 5xx --every 1m          # a row per minute, empty ones too
  lparse access.log | lcount --by vhost --avg rt --p 50,90,99 rt
  lparse access.log | lcount --where 'path~^/api/' --where 'rt >= 1' --by path
  lparse access.log | lcount --where 'ts>=2026-11-30T04:30:00Z' --min ts --max ts
  lparse access.log | lcount --since 15m --status 5xx --by path
  lparse access.log | lcount --every 1h --tz +05:30           # hours of another zone
  lparse access.log | lcount --by client --distinct path --sort distinct_path
  ltail -f *.log | lparse | lcount --status 404 --by path --interval 2s

Filters (all must hold): --status 404 | 4xx | 500-599 | 404,410 (a status
written as a string, \"404\", counts too); --since and --until TIME (an RFC 3339
time, or a duration back from now: 15m, 2h), on ts; and --where with
FIELD=VALUE, !=, <, <=, >, >=, FIELD~REGEX, FIELD!~REGEX, FIELD (present),
!FIELD (absent), spaces around the operator allowed. A JSON number compares
with a number by value (404 = 404.0); an RFC 3339 time with a time as an
instant, whatever the offsets; anything else as text with VALUE as written, so
the string \"404\" equals 404 but not 404.0. <, <=, > and >= take a number or a
time and hold only between numbers or between times: never for a string, an
array, an object or true. A record without the field satisfies only !=, !~
and !FIELD. FIELD may be a dotted path into nested objects (req.headers.host).

A field named by an option that appears in no record is named at the end
(with the closest field that did appear) and lcount exits 1; with --strict it
is an error and nothing is printed.

Output columns: the --every bucket start (ts), the --by fields, count, then
sum_F, avg_F, min_F, max_F, pN_F and distinct_F. Records without a --by field
are counted in a group where it is null. --every lists every bucket from the
first to the last, with count 0 where nothing matched (with --by, for each
group), at the first record's UTC offset or --tz. An aggregate with no values
is null; --min and --max of RFC 3339 times give a time; numbers beyond a
double's range (1e309) are reported and left out. Percentiles use the nearest
rank, exact for groups of up to 1024 values and within 1% (DDSketch) beyond.";

/// Count NDJSON records that pass the filters, by group, with aggregates.
#[derive(Debug, Parser)]
#[command(name = "lcount", version, after_help = EXAMPLES)]
pub struct Args {
    /// Keep records whose status is in LIST: 404, 4xx, 500-599, or a comma list such as 404,410.
    #[arg(long, value_name = "LIST")]
    status: Option<StatusSet>,

    /// Keep records that satisfy EXPR (see below). Repeatable; all must hold.
    #[arg(long = "where", value_name = "EXPR")]
    conditions: Vec<Condition>,

    /// Count per distinct value of FIELD. Repeatable, for groups of several fields.
    #[arg(long = "by", value_name = "FIELD")]
    by: Vec<String>,

    /// Count per time bucket of `ts` (1s to 1d, e.g. 10s, 1m, 1h, 1d), in time order.
    #[arg(long, value_name = "DURATION", value_parser = parse_every)]
    every: Option<i64>,

    /// Also report the sum of FIELD per group. Repeatable.
    #[arg(long, value_name = "FIELD")]
    sum: Vec<String>,

    /// Also report the mean of FIELD per group. Repeatable.
    #[arg(long, value_name = "FIELD")]
    avg: Vec<String>,

    /// Also report the minimum of FIELD per group. Repeatable.
    #[arg(long, value_name = "FIELD")]
    min: Vec<String>,

    /// Also report the maximum of FIELD per group. Repeatable.
    #[arg(long, value_name = "FIELD")]
    max: Vec<String>,

    /// Also report percentiles of FIELD, e.g. `--p 50,90,99 rt`. Repeatable.
    #[arg(long = "p", visible_alias = "percentiles", num_args = 2, value_names = ["LIST", "FIELD"])]
    percentiles: Vec<String>,

    /// Also report the number of distinct values of FIELD per group. Repeatable.
    #[arg(long, value_name = "FIELD")]
    distinct: Vec<String>,

    /// Print only the N first groups (per time bucket with --every).
    #[arg(long, value_name = "N")]
    top: Option<usize>,

    /// Order groups by COLUMN (e.g. count, path, p99_rt); add :asc or :desc.
    /// Default: time buckets in order, then the largest count first.
    #[arg(long, value_name = "COLUMN[:asc|:desc]")]
    sort: Option<SortBy>,

    /// Output format (default: table on a terminal, json otherwise).
    #[arg(long, value_enum)]
    format: Option<Format>,

    /// The JSON records on a terminal too: `--format json`, under the name
    /// the other tools give it.
    #[arg(long, conflicts_with = "format")]
    json: bool,

    /// Colour the live board (--interval on a terminal): auto (unless
    /// NO_COLOR is set), always, never. Records are never coloured.
    #[arg(long, value_name = "WHEN", default_value = "auto")]
    color: ColorChoice,

    /// Keep records whose ts is at or after TIME: an RFC 3339 time
    /// (2026-11-30T04:30:00Z) or a duration back from now (15m, 2h).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    since: Option<jiff::Timestamp>,

    /// Keep records whose ts is before TIME: an RFC 3339 time or a duration
    /// back from now.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    until: Option<jiff::Timestamp>,

    /// Align and label --every buckets at this UTC offset (+05:30, -08:00, Z)
    /// instead of the first record's.
    #[arg(long, value_name = "OFFSET", value_parser = parse_offset)]
    tz: Option<jiff::tz::Offset>,

    /// Print the running result every DURATION (e.g. 2s), also while
    /// nothing arrives, until input ends or SIGINT/SIGTERM. Each group
    /// shows count_last (since the previous snapshot) and its rate per
    /// second; snapshot records carry window_start and window_end (the
    /// earliest and latest ts counted) and final (true in the last).
    #[arg(long, value_name = "DURATION", value_parser = parse_interval)]
    interval: Option<Duration>,

    /// Stop at the first line that is not a JSON object, or at the end when a
    /// field named on the command line appeared in no record, with exit status 2.
    #[arg(long)]
    strict: bool,

    /// Files of NDJSON records; `-` or none means standard input.
    #[arg(value_name = "FILE")]
    files: Vec<OsString>,
}

fn parse_every(s: &str) -> Result<i64, String> {
    let d = parse_duration(s)?;
    if d.subsec_nanos() != 0 || !(1..=86_400).contains(&d.as_secs()) {
        return Err(format!("bad bucket {s:?}: expected whole seconds from 1s to 1d"));
    }
    Ok(d.as_secs() as i64)
}

/// A duration that must be more than zero: `--interval 0s` would print
/// without pause.
fn parse_interval(s: &str) -> Result<Duration, String> {
    let d = parse_duration(s)?;
    if d.is_zero() {
        return Err(format!("bad interval {s:?}: expected a duration above zero, e.g. 2s"));
    }
    Ok(d)
}

/// `--since`, `--until`: an RFC 3339 time, or a duration (above zero) back
/// from now.
fn parse_time(s: &str) -> Result<jiff::Timestamp, String> {
    if let Some(stamp) = parse_rfc3339(s.trim()) {
        return Ok(stamp.instant);
    }
    let bad = || {
        format!(
            "bad time {s:?}: expected an RFC 3339 time (2026-11-30T04:30:00Z) \
             or a duration back from now (15m, 2h)"
        )
    };
    let back = parse_duration(s).map_err(|_| bad())?;
    if back.is_zero() {
        return Err(bad());
    }
    let back = jiff::SignedDuration::try_from(back).map_err(|_| bad())?;
    jiff::Timestamp::now().checked_sub(back).map_err(|_| bad())
}

/// `--tz`: a UTC offset, `+05:30`, `-0800`, `+02`, `Z` or `UTC`.
fn parse_offset(s: &str) -> Result<jiff::tz::Offset, String> {
    let bad = || format!("bad offset {s:?}: expected e.g. +05:30, -08:00 or Z");
    let t = s.trim();
    if t.eq_ignore_ascii_case("z") || t.eq_ignore_ascii_case("utc") {
        return Ok(jiff::tz::Offset::UTC);
    }
    // Read as the offset of a time, by the one RFC 3339 parser; real
    // offsets lie within ±14:00, and no standard allows beyond ±18:00 (jiff
    // reads up to ±25:59:59).
    parse_rfc3339(&format!("2000-01-01T00:00:00{t}"))
        .map(|stamp| stamp.offset)
        .filter(|offset| offset.seconds().abs() <= 18 * 3600)
        .ok_or_else(bad)
}

pub fn run() -> Result<Outcome> {
    let args = cli::parse_args::<Args>("lcount");
    let mut aggs = Vec::new();
    for (fields, kind) in [
        (&args.sum, agg::Kind::Sum),
        (&args.avg, agg::Kind::Avg),
        (&args.min, agg::Kind::Min),
        (&args.max, agg::Kind::Max),
    ] {
        aggs.extend(fields.iter().map(|f| (kind.clone(), f.clone())));
    }
    for pair in args.percentiles.chunks(2) {
        let ps = agg::parse_percentiles(&pair[0]).map_err(anyhow::Error::msg)?;
        aggs.push((agg::Kind::Percentiles(ps), pair[1].clone()));
    }
    aggs.extend(args.distinct.iter().map(|f| (agg::Kind::Distinct, f.clone())));
    let mut conditions = args.conditions.clone();
    // --since and --until are conditions on ts, compared as instants.
    for (time, op) in [(args.since, ">="), (args.until, "<")] {
        if let Some(time) = time {
            let text = format!("{}{op}{}", record::TS, format_rfc3339_frac(time, Offset::UTC));
            conditions.push(text.parse().map_err(anyhow::Error::msg)?);
        }
    }
    let plan = count::Plan {
        status: args.status.clone(),
        conditions,
        by: args.by.clone(),
        every: args.every,
        zone: args.tz,
        aggs,
        span: args.interval.is_some(),
    };
    let mut counter = count::Counter::new(plan.clone());
    let terminal = cli::stdout_is_terminal();
    let format = match (args.json, args.format) {
        (true, _) => Format::Json,
        (false, Some(format)) => format,
        (false, None) if terminal => Format::Table,
        (false, None) => Format::Json,
    };
    let stop = StopFlag::install()?;
    let mut report = Report {
        shape: Shape { format, sort: args.sort.clone(), top: args.top, live: None },
        previous: args.interval.map(|_| Instant::now()),
        terminal,
        color: args.color.enabled(terminal),
        board: None,
        progress: Progress::default(),
        stop: stop.clone(),
    };
    let mut bad = BadInput::new("lcount", args.strict);
    for name in InputName::from_args(&args.files) {
        let label = name.label().into_owned();
        let Some(input) = name.open_or_report(&mut bad)? else { continue };
        // A large file read to its end is counted on all cores, when there
        // are few groups: with --by, --every or --distinct each worker would
        // hold its own copy of possibly millions of groups (measured: 1M
        // distinct paths took 336 MB and longer to merge than to count).
        let few_groups = args.by.is_empty() && args.every.is_none() && args.distinct.is_empty();
        let parallel = args.interval.is_none()
            && few_groups
            && logkit_common::parallel::suits(&input, args.strict);
        let stopped = if parallel {
            let mut reader = LineReader::new(input).max_line(MAX_RECORD);
            parallel::count(&mut reader, &plan, &mut counter, &label, &mut bad, &stop)
        } else {
            read(input, &stop, &args, &label, &mut counter, &mut bad, &mut report)
        }
        .with_context(|| label.clone())?;
        if stopped {
            break;
        }
    }
    if bad.is_strict() {
        // Fatal before any output: a result on a misspelt field is wrong.
        counter.seen.finish("lcount", true)?;
    }
    let mut warnings = Vec::new();
    if let Some(missing) = counter.fill_empty_buckets() {
        warnings.push(format!(
            "--every: {missing} empty buckets not listed (more than {})",
            count::MAX_EMPTY_BUCKETS
        ));
    }
    let mut warned = std::collections::HashSet::new();
    for (spec, n) in counter.specs.iter().zip(&counter.beyond_range) {
        if *n > 0 && warned.insert(&spec.field) {
            warnings.push(format!(
                "values of {:?} beyond a double's range (such as 1e309), left out of the \
                 aggregates: {n}",
                spec.field
            ));
        }
    }
    let mut overflowed = std::collections::BTreeSet::new();
    for group in counter.groups() {
        for (spec, state) in counter.specs.iter().zip(group.aggs) {
            if state.overflowed() {
                overflowed.insert(spec.field.clone());
            }
        }
    }
    for field in &overflowed {
        warnings.push(format!(
            "the sum of {field:?} went beyond a double's range (about 1.8e308): its sum and \
             mean are shown as null"
        ));
    }
    report.print(&mut counter, true, bad.count())?;
    let outcome = bad.finish("lines skipped (not a JSON object) or files not read");
    let fields = counter.seen.finish("lcount", false)?;
    for w in &warnings {
        eprintln!("lcount: {w}");
    }
    let beyond = counter.beyond_range.iter().any(|n| *n > 0) || !overflowed.is_empty();
    Ok(if outcome == Outcome::Success && fields == Outcome::Success && !beyond {
        Outcome::Success
    } else {
        Outcome::BadInput
    })
}

/// Counts the records of one input; returns whether a stop was requested.
fn read<R: Read + AsFd>(
    input: R,
    stop: &StopFlag,
    args: &Args,
    label: &str,
    counter: &mut count::Counter,
    bad: &mut BadInput,
    report: &mut Report,
) -> Result<bool> {
    let last_input = Rc::clone(&report.progress.last_input);
    let mut input = LiveInput::new(Stamped { inner: input, last: last_input }, stop.clone());
    if let Some(every) = args.interval {
        input = input.tick_every(every);
    }
    let mut reader = LineReader::new(input).max_line(MAX_RECORD);
    let mut lines = LineCounter::new(counter.fields().len());
    loop {
        // Results are printed at the end (or on a tick), so there is nothing
        // to flush while the input is idle.
        let line = match reader.next_line(&mut NoIdle) {
            Ok(Some(line)) => line,
            Ok(None) => break,
            Err(e) if live::is_tick(&e) => {
                report.print(counter, false, bad.count())?;
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        if !line.terminated && !line.truncated && stop.is_set() {
            // Cut off by the stop, mid-record: not bad input, just unfinished.
            continue;
        }
        match lines.count_line(counter, &line) {
            Ok(record) => report.progress.records += u64::from(record),
            Err(message) => bad.report(label, line.number, &message)?,
        }
    }
    Ok(reader.get_ref().stopped())
}

/// Counts lines one at a time, reusing one vector for the extracted fields.
pub(crate) struct LineCounter {
    storage: Vec<Option<Raw<'static>>>,
}

impl LineCounter {
    fn new(fields: usize) -> Self {
        LineCounter { storage: vec![None; fields] }
    }

    /// Counts the record on one input line, the same on every path: blank
    /// lines are passed over (`Ok(false)`); for a line that is not a
    /// record, or too long to be read whole, the complaint.
    fn count_line(
        &mut self,
        counter: &mut count::Counter,
        line: &Line<'_>,
    ) -> Result<bool, String> {
        match line.record()? {
            Some(record) => self.count(counter, record).map(|()| true),
            None => Ok(false),
        }
    }

    /// Counts one record; for a line that is not one, the complaint.
    fn count(&mut self, counter: &mut count::Counter, line: &[u8]) -> Result<(), String> {
        let mut slots = recycle(std::mem::take(&mut self.storage));
        let result = match counter.extract(line, &mut slots) {
            Ok(()) => {
                counter.add(&slots);
                Ok(())
            }
            Err(e) => Err(not_a_record(line, &e)),
        };
        self.storage = recycle(slots);
        result
    }
}

/// Printing results: once at the end, or as live snapshots, which on a
/// terminal, as a table, are shown on the board.
struct Report {
    shape: Shape,
    /// When live (`--interval`): when the previous snapshot was written (at
    /// first, when lcount started).
    previous: Option<Instant>,
    /// Standard output is a terminal.
    terminal: bool,
    /// Whether the board is coloured (`--color`).
    color: bool,
    /// The board, from the first live table on until the final one.
    board: Option<board::Board>,
    progress: Progress,
    stop: StopFlag,
}

/// How reading goes, for the board's status line.
#[derive(Default)]
struct Progress {
    /// Records read so far, counted or not.
    records: u64,
    /// `records` at the previous snapshot.
    records_before: u64,
    /// When input last arrived (set by [`Stamped`]).
    last_input: Rc<Cell<Option<Instant>>>,
}

impl Report {
    /// Prints the result so far; `last` at the end. Live, every group's
    /// count since the previous snapshot starts again from here. `bad` is
    /// the number of bad lines so far, for the board.
    fn print(&mut self, counter: &mut count::Counter, last: bool, bad: u64) -> Result<()> {
        let now = Instant::now();
        let snapshot = self.previous.map(|previous| render::Snapshot {
            elapsed: now.saturating_duration_since(previous),
            last,
        });
        self.shape.live = snapshot;
        if let (Some(snapshot), false, true) =
            (snapshot, last, self.terminal && self.shape.format == Format::Table)
        {
            let sheet = render::sheet(counter, &self.shape, board::ROWS)?;
            let p = &mut self.progress;
            let elapsed = snapshot.elapsed.as_secs_f64();
            let read = p.records - p.records_before;
            let status = board::Status {
                records: p.records,
                per_second: if elapsed > 0.0 { read as f64 / elapsed } else { 0.0 },
                bad,
                since_last: p.last_input.get().map(|t| now.saturating_duration_since(t)),
            };
            p.records_before = p.records;
            // The board appears with the first snapshot: input that ends
            // before it gets the final table alone, as without a board.
            let board = match &mut self.board {
                Some(board) => board,
                None => self.board.insert(board::Board::start(self.color)?),
            };
            board.show(board::View { sheet, status });
        } else {
            if let Some(board) = self.board.take() {
                board.close()?;
            }
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            if last && self.terminal && self.stop.is_set() {
                // Ctrl-C on a terminal that is not in raw mode echoes `^C`
                // where the cursor is: the final result starts over it.
                out.write_all(b"\r\x1b[K")?;
            }
            render::write(counter, &self.shape, &mut out)?;
            out.flush()?;
        }
        if self.previous.is_some() {
            self.previous = Some(now);
            counter.shown();
        }
        Ok(())
    }
}

/// An input that notes when data last arrived: once per read, not per
/// record, which costs nothing beside the read itself.
struct Stamped<R> {
    inner: R,
    last: Rc<Cell<Option<Instant>>>,
}

impl<R: Read> Read for Stamped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            self.last.set(Some(Instant::now()));
        }
        Ok(n)
    }
}

impl<R: AsFd> AsFd for Stamped<R> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}
