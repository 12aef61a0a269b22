//! ltail: read many log files at once, each line tagged with its source.
//!
//! Usage: `ltail [OPTIONS] [FILE]...`
//!
//! Every line of every input becomes one NDJSON record,
//! `{"src":"<path as given>","line":"<the line>"}` (see docs/records.md),
//! so that the lines of many files can share one pipe and still be told
//! apart. `-n N` prints only the last N lines of each file, found by reading
//! the file backwards from its end. `-f` follows the files by name, through
//! rotation, truncation and re-creation (see [`follow`]).

mod follow;
mod tail;

use anyhow::Result;
use clap::Parser;
use logkit_common::cli::{self, BadInput, InputName, Outcome};
use logkit_common::input::{LineReader, DEFAULT_MAX_LINE};
use logkit_common::output::Output;
use logkit_common::record;
use std::ffi::OsString;
use std::io::{Read, Seek, SeekFrom};
use tail::Start;

const EXAMPLES: &str = "\
Examples:
  ltail /var/log/nginx/access.log /var/log/apache2/error.log
  ltail -n 100 access.log                 # the last 100 lines
  ltail -n +1000 access.log               # from line 1000 on
  ltail examples/*/access* | lparse | lcount --status 404
  some-command | ltail -                   # tag stdin's lines as src \"-\"
  ltail -f /var/log/nginx/access.log /var/log/apache2/error.log | lparse
  ltail -f '/var/log/nginx/*.log'         # quoted: new matching files join
  ltail -f -n +1 access.log               # follow, from the first line";

/// Read log files and print each line as an NDJSON record tagged with its source.
#[derive(Debug, Parser)]
#[command(name = "ltail", version, after_help = EXAMPLES)]
pub struct Args {
    /// Print the last N lines of each file; `+N` starts at line N instead.
    /// With -f the default is 10.
    #[arg(short = 'n', long = "lines", value_name = "N")]
    lines: Option<Start>,

    /// Follow the files by name as they grow, are rotated, truncated or
    /// re-created (like tail -F); a missing file is waited for. Stop with
    /// Ctrl-C (held partial lines are printed).
    #[arg(short = 'f', long, visible_short_alias = 'F')]
    follow: bool,

    /// With -f: start at the beginning of each file (same as -n +1).
    #[arg(long, requires = "follow")]
    from_start: bool,

    /// With -f: poll for changes instead of using inotify (for network file
    /// systems); inotify is also replaced by polling when it is unavailable.
    #[arg(long, requires = "follow")]
    poll: bool,

    /// With --poll: how often to look.
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = logkit_common::time::parse_duration)]
    poll_interval: std::time::Duration,

    /// Cut lines longer than this many bytes (the record gets "truncated": true).
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_LINE)]
    max_line_bytes: usize,

    /// Stop at the first problem (an unreadable file, a cut line) with exit status 2.
    #[arg(long)]
    strict: bool,

    /// Files to read; `-` or none means standard input.
    #[arg(value_name = "FILE")]
    files: Vec<OsString>,
}

pub fn run() -> Result<Outcome> {
    let args = cli::parse_args::<Args>("ltail");
    if args.follow {
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
        };
        return follow::run(&files, opts, args.strict);
    }
    let mut out = Output::new();
    let mut bad = BadInput::new("ltail", args.strict);
    let start = args.lines.unwrap_or(Start::FromLine(1));
    for name in InputName::from_args(&args.files) {
        let src_json = record::encode_src(name.as_bytes());
        let label = name.label().into_owned();
        let result = match &name {
            InputName::Stdin => {
                copy(std::io::stdin().lock(), &start, &src_json, &label, &args, &mut out, &mut bad)
            }
            InputName::Path(path) => match cli::open(path) {
                Ok(mut file) => {
                    let seekable = file.metadata().map(|m| m.is_file()).unwrap_or(false);
                    match (&start, seekable) {
                        (Start::LastLines(n), true) => {
                            let offset = tail::start_of_last_lines(&mut file, *n)?;
                            file.seek(SeekFrom::Start(offset))?;
                            copy(
                                file,
                                &Start::FromLine(1),
                                &src_json,
                                &label,
                                &args,
                                &mut out,
                                &mut bad,
                            )
                        }
                        _ => copy(file, &start, &src_json, &label, &args, &mut out, &mut bad),
                    }
                }
                Err(e) => Err(e),
            },
        };
        if let Err(e) = result {
            if cli::is_broken_pipe(&e) {
                return Err(e);
            }
            bad.report_other(&format!("{e:#}"))?;
        }
    }
    out.flush()?;
    Ok(bad.finish("input problem(s): lines cut or files not read"))
}

/// Copies one input to the output as records.
fn copy<R: Read + std::os::fd::AsRawFd>(
    input: R,
    start: &Start,
    src_json: &[u8],
    label: &str,
    args: &Args,
    out: &mut Output,
    bad: &mut BadInput,
) -> Result<()> {
    let mut reader = LineReader::new(input).max_line(args.max_line_bytes).watch_idle();
    let mut emit = |out: &mut Output, bytes: &[u8], number: u64, truncated: bool| -> Result<()> {
        if truncated {
            bad.report(
                label,
                number,
                &format!("line longer than {} bytes, cut", args.max_line_bytes),
            )?;
        }
        record::write_line_record(out.buf(), src_json, bytes, truncated);
        out.end_record()?;
        Ok(())
    };
    match *start {
        Start::FromLine(first) => {
            while let Some(line) = reader.next_line(out)? {
                if line.number >= first {
                    emit(out, line.bytes, line.number, line.truncated)?;
                }
            }
        }
        Start::LastLines(n) => {
            // Not seekable (a pipe): keep the last n lines in memory.
            let mut last = tail::LastLines::new(n);
            while let Some(line) = reader.next_line(&mut logkit_common::input::NoIdle)? {
                last.push(line.bytes, line.number, line.truncated);
            }
            for (bytes, number, truncated) in last.iter() {
                emit(out, bytes, number, truncated)?;
            }
        }
    }
    Ok(())
}
