//! ltail: read many log files at once, each line tagged with its source.
//!
//! Usage: `ltail [OPTIONS] [FILE]...`
//!
//! Every line of every input becomes one NDJSON record,
//! `{"src":"<path as given>","line":"<the line>"}` (see docs/records.md),
//! so that the lines of many files can share one pipe and still be told
//! apart. On a terminal the lines are shown for people instead, labelled
//! by source (see `view`; `--json` keeps the records). `-n N` prints
//! only the last N lines of each file, found by reading the file backwards
//! from its end. Compressed files (gzip, zstd, bzip2)
//! are recognised by their first bytes and read decompressed. `-f` follows the files by name, through
//! rotation, truncation and re-creation (see `follow`).

mod compressed;
mod follow;
mod merge;
mod signals;
mod tail;
mod view;

use anyhow::Result;
use clap::Parser;
use logkit_common::cli::{self, BadInput, Input, InputName, Outcome};
use logkit_common::input::{LineReader, DEFAULT_MAX_LINE};
use logkit_common::output::Output;
use logkit_common::record;
use logkit_common::style::{Shown, ViewArgs};
use std::ffi::OsString;
use std::io::{Seek, SeekFrom};
use tail::Start;

const EXAMPLES: &str = "\
Examples:
  ltail /var/log/nginx/access.log /var/log/apache2/error.log
  ltail -n 100 access.log                 # the last 100 lines
  ltail -n +1000 access.log               # from line 1000 on
  ltail access.log*                       # all of the history, .gz files too
  ltail --merge access.log error.log      # both, in time order
  ltail examples/*/access* | lparse | lcount --status 404
  some-command | ltail -                   # tag stdin's lines as src \"-\"
  ltail -f /var/log/nginx/access.log /var/log/apache2/error.log | lparse
  ltail -f '/var/log/nginx/*.log'         # quoted: new matching files join
  ltail -f -n +1 access.log               # follow, from the first line
  ltail -f --state S --offset --add-field host=$(hostname) access.log  # lines named by (host, src, offset)";

/// Read log files and print each line as an NDJSON record tagged with its source.
#[derive(Debug, Parser)]
#[command(name = "ltail", version, after_help = EXAMPLES)]
pub struct Args {
    /// Print the last N lines of each file; `+N` starts at line N instead.
    /// With -f the default is 10.
    #[arg(short = 'n', long = "lines", value_name = "N", allow_hyphen_values = true)]
    lines: Option<Start>,

    /// Follow the files by name as they grow, are rotated, truncated or
    /// re-created (like tail -F); a missing file is waited for. Stop with
    /// Ctrl-C (held partial lines are printed).
    #[arg(short = 'f', long, visible_short_alias = 'F')]
    follow: bool,

    /// Write the lines of all the files in time order (by the timestamp
    /// found in each line; lines without one stay with the line before).
    #[arg(long, conflicts_with_all = ["follow", "lines"])]
    merge: bool,

    /// With -f: start at the beginning of each file (same as -n +1).
    #[arg(long, requires = "follow")]
    from_start: bool,

    /// With -f: poll for changes instead of using inotify (for network file
    /// systems); inotify is also replaced by polling when it is unavailable.
    #[arg(long, requires = "follow")]
    poll: bool,

    /// With -f: keep where each file was left in FILE, and go on from there
    /// after a restart (also through rotations that happened meanwhile).
    #[arg(long, value_name = "FILE", requires = "follow")]
    state: Option<std::path::PathBuf>,

    /// With --poll: how often to look.
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = logkit_common::time::parse_duration)]
    poll_interval: std::time::Duration,

    /// Cut lines longer than this many bytes (the record gets "truncated": true).
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_LINE,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    max_line_bytes: usize,

    /// Add `offset` to each record: the byte offset of the line in its file.
    /// With src (and --add-field host=...) it names the line, so that a store
    /// can keep a line re-sent after a restart once.
    #[arg(long)]
    offset: bool,

    /// Add the string field NAME with VALUE to every record, e.g.
    /// --add-field host=$(hostname); may be given more than once.
    #[arg(long, value_name = "NAME=VALUE", value_parser = parse_added)]
    add_field: Vec<(String, String)>,

    /// Stop at the first problem (an unreadable file, a cut line) with exit status 2.
    #[arg(long)]
    strict: bool,

    #[command(flatten)]
    view: ViewArgs,

    /// Files to read; `-` or none means standard input.
    #[arg(value_name = "FILE")]
    files: Vec<OsString>,
}

/// `--add-field NAME=VALUE`.
fn parse_added(arg: &str) -> Result<(String, String), String> {
    let (name, value) = arg.split_once('=').ok_or("expected NAME=VALUE")?;
    Ok((name.to_owned(), value.to_owned()))
}

/// What every record of the run carries beside `src` and `line`
/// (`--offset`, `--add-field`): set once, before the first line.
struct Carried {
    offset: bool,
    /// The added fields, encoded ([`record::encode_added`]).
    added: Vec<u8>,
}

static CARRIED: std::sync::OnceLock<Carried> = std::sync::OnceLock::new();

/// Runs ltail with the process's arguments; the caller exits with the outcome.
pub fn run() -> Result<Outcome> {
    // First of all: a stop that comes while ltail starts is not lost.
    let signals = signals::EarlySignals::install()?;
    let args = cli::parse_args::<Args>("ltail");
    let added =
        record::encode_added(&args.add_field).map_err(|e| anyhow::anyhow!("--add-field: {e}"))?;
    let _ = CARRIED.set(Carried { offset: args.offset, added });
    // A terminal gets the lines themselves, labelled, or with --json
    // records that cannot drive it; a pipe the records as they are.
    view::set(args.view.shown(cli::stdout_is_terminal()));
    if !args.follow {
        // The labels are chosen among all the sources before the first line.
        for name in InputName::from_args(&args.files) {
            view::register(name.as_bytes());
        }
    }
    if !args.follow {
        signals.release();
    } else {
        let start = if args.from_start {
            Start::FromLine(1)
        } else {
            args.lines.unwrap_or(Start::LastLines(10))
        };
        let files =
            if args.files.is_empty() { vec![OsString::from("-")] } else { args.files.clone() };
        let opts = follow::Options {
            start,
            max_line: args.max_line_bytes,
            poll: args.poll.then_some(args.poll_interval),
            state: args.state.clone(),
        };
        return follow::run(&files, opts, args.strict, signals);
    }
    let mut out = Output::new();
    let mut bad = BadInput::new("ltail", args.strict);
    if args.merge {
        let mut sources = Vec::new();
        for name in InputName::from_args(&args.files) {
            let label = name.label().into_owned();
            match name.open().and_then(decoded) {
                Ok(input) => sources.push(merge::Source {
                    reader: LineReader::new(input).max_line(args.max_line_bytes),
                    src: record::encode_src(name.as_bytes()),
                    label,
                }),
                Err(e) => bad.report_other(&format!("{e:#}"))?,
            }
        }
        merge::run(sources, args.max_line_bytes, &mut out, &mut bad)?;
        out.flush()?;
        return Ok(bad.finish("lines cut or files not read"));
    }
    let start = args.lines.unwrap_or(Start::FromLine(1));
    for name in InputName::from_args(&args.files) {
        let src = record::encode_src(name.as_bytes());
        let label = name.label().into_owned();
        let result = name.open().and_then(|input| {
            let each = Each { src: &src, label: &label, max_line: args.max_line_bytes };
            // A read error is named by its file; a bad line (fatal under
            // --strict) names its place already.
            read(input, start, &each, &mut out, &mut bad).map_err(|e| {
                if e.is::<std::io::Error>() {
                    e.context(label.clone())
                } else {
                    e
                }
            })
        });
        if let Err(e) = result {
            if cli::is_broken_pipe(&e) {
                return Err(e);
            }
            bad.report_other(&format!("{e:#}"))?;
        }
    }
    out.flush()?;
    Ok(bad.finish("lines cut or files not read"))
}

/// An input as a plain reader, decompressed if it is a compressed file.
fn decoded(input: Input) -> Result<Box<dyn std::io::Read>> {
    if let Input::File(file) = &input {
        if let Some(kind) = compressed::sniff(file)? {
            let Input::File(file) = input else { unreachable!("matched a file") };
            return Ok(compressed::decoder(kind, file)?);
        }
    }
    Ok(Box::new(input))
}

/// Writes one line's record (or, on a terminal, the line as [`view`]
/// shows it). A line cut at the maximum length is reported
/// first, at `place` (built only then).
///
/// `offset` is where the line starts in its input, for `--offset`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn emit_line(
    out: &mut Output,
    bad: &mut BadInput,
    src: &[u8],
    offset: u64,
    bytes: &[u8],
    truncated: bool,
    max_line: usize,
    place: impl FnOnce() -> String,
) -> Result<()> {
    if truncated {
        bad.report_at(&place(), &format!("line longer than {max_line} bytes, cut"))?;
    }
    if !view::show_line(out, src, bytes) {
        let start = out.buf().len();
        match CARRIED.get() {
            Some(c) => record::write_line_record_at(
                out.buf(),
                src,
                c.offset.then_some(offset),
                &c.added,
                bytes,
                truncated,
            ),
            None => record::write_line_record(out.buf(), src, bytes, truncated),
        }
        if view::mode() == Shown::TerminalRecords {
            let record = out.buf().split_off(start);
            let text = String::from_utf8_lossy(&record);
            let shown = logkit_common::term::escape_json(&text).into_owned();
            out.buf().extend_from_slice(shown.as_bytes());
        }
    }
    out.end_record()?;
    Ok(())
}

/// What every record of one input shares.
struct Each<'a> {
    src: &'a [u8],
    label: &'a str,
    max_line: usize,
}

/// Reads one input from `start`. For the last lines of a regular file, it
/// seeks back from the end; a file whose size cannot be trusted (`/proc`
/// files say 0) or that shrinks meanwhile is read through instead.
fn read(
    mut input: Input,
    start: Start,
    each: &Each<'_>,
    out: &mut Output,
    bad: &mut BadInput,
) -> Result<()> {
    if let Input::File(file) = &mut input {
        let meta = file.metadata()?;
        if meta.is_file() {
            if let Some(kind) = compressed::sniff(file)? {
                let file = match input {
                    Input::File(f) => f,
                    Input::Stdin(_) => unreachable!("matched a file"),
                };
                let reader =
                    LineReader::new(compressed::decoder(kind, file)?).max_line(each.max_line);
                return copy(reader, start, 0, each, out, bad);
            }
            if let Start::LastLines(n) = start {
                if meta.len() > 0 {
                    if let Some(offset) = tail::start_of_last_lines(file, n, meta.len())? {
                        file.seek(SeekFrom::Start(offset))?;
                        let reader = LineReader::new(input).max_line(each.max_line).watch_idle();
                        return copy(reader, Start::FromLine(1), offset, each, out, bad);
                    }
                    file.seek(SeekFrom::Start(0))?;
                }
            }
        }
    }
    let reader = LineReader::new(input).max_line(each.max_line).watch_idle();
    copy(reader, start, 0, each, out, bad)
}

/// Copies one input to the output as records. `offset` is where reading
/// starts, for messages: line numbers are only known from the top.
fn copy<R: std::io::Read>(
    mut reader: LineReader<R>,
    start: Start,
    offset: u64,
    each: &Each<'_>,
    out: &mut Output,
    bad: &mut BadInput,
) -> Result<()> {
    let mut emit = |out: &mut Output, bytes: &[u8], number: u64, at: u64, truncated: bool| {
        emit_line(out, bad, each.src, offset + at, bytes, truncated, each.max_line, || {
            if offset == 0 {
                format!("{}:{number}", each.label)
            } else {
                format!("{}: line at byte {}", each.label, offset + at)
            }
        })
    };
    match start {
        Start::FromLine(first) => {
            while let Some((at, line)) = reader.next_line_at(out)? {
                if line.number >= first {
                    emit(out, line.bytes, line.number, at, line.truncated)?;
                }
            }
        }
        Start::LastLines(n) => {
            // Not seekable (a pipe): keep the last n lines in memory.
            let mut last = tail::LastLines::new(n);
            while let Some((at, line)) = reader.next_line_at(&mut logkit_common::input::NoIdle)? {
                last.push(line.bytes, line.number, at, line.truncated);
            }
            for (bytes, number, at, truncated) in last.iter() {
                emit(out, bytes, number, at, truncated)?;
            }
        }
    }
    Ok(())
}
