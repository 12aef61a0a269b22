//! Parsing a large file on several cores, with the same output as on one.
//!
//! The main thread reads lines (with the same [`LineReader`] as always, so
//! long lines are cut and numbered alike) into chunks of about 1 MiB and
//! hands them to workers; the workers' records are written in input order.
//!
//! A line's record depends on the line and on which format its source
//! tried first (the format of the source's previous line, see
//! [`crate::format::Formats`]). Every worker starts its chunk from the
//! choices the main thread had when it went parallel; when a chunk's
//! turn comes and the true choices at that point differ (a file that mixes
//! formats), or the chunk met a format with state (W3C), the main thread
//! parses that chunk again itself. For a file in one format, the usual
//! case, no chunk is parsed twice.

use crate::format::{Ctx, Formats};
use crate::{InputCtx, LineParser};
use anyhow::{anyhow, Result};
use logkit_common::cli::BadInput;
use logkit_common::input::LineReader;
use logkit_common::output::Output;
use std::collections::VecDeque;
use std::io::Read;
use std::os::fd::AsRawFd;
use std::sync::{mpsc, Mutex};

/// Lines read per chunk, in bytes; also what is parsed on the main thread
/// before going parallel.
pub(crate) use logkit_common::parallel::CHUNK;

/// A chunk of lines as read.
struct Lines {
    data: Vec<u8>,
    /// Per line: where it ends in `data`, its number, whether it was cut.
    ends: Vec<usize>,
    numbers: Vec<u64>,
    truncated: Vec<bool>,
}

impl Lines {
    fn iter(&self) -> impl Iterator<Item = (&[u8], u64, bool)> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts.zip(&self.ends).zip(&self.numbers).zip(&self.truncated).map(
            move |(((start, &end), &number), &truncated)| {
                (&self.data[start..end], number, truncated)
            },
        )
    }
}

/// A chunk parsed by a worker.
struct Parsed {
    lines: Lines,
    records: Vec<u8>,
    bad: BadInput,
    /// The worker's formats after the chunk: the choices to carry on with.
    formats: Formats,
}

type Job = (Lines, mpsc::SyncSender<Parsed>);

/// Parses the rest of `reader` on several threads, writing the records in
/// order as [`LineParser::parse_input`] would have.
pub(crate) fn parse_rest<R: Read + AsRawFd>(
    parser: &mut LineParser,
    reader: &mut LineReader<R>,
    input: &InputCtx<'_>,
    out: &mut Output,
) -> Result<()> {
    let n = logkit_common::parallel::workers();
    let seed = parser.formats.clone();
    let (job_tx, job_rx) = mpsc::sync_channel::<Job>(n);
    let job_rx = Mutex::new(job_rx);
    std::thread::scope(|scope| {
        // Dropped when this closure returns, which ends the workers.
        let job_tx = job_tx;
        for _ in 0..n {
            let (seed, ctx, jobs) = (seed.clone(), parser.ctx.fork(), &job_rx);
            scope.spawn(move || work(seed, ctx, input, jobs));
        }
        let mut pending = VecDeque::new();
        let mut eof = false;
        loop {
            while !eof && pending.len() < 2 * n {
                match read_lines(reader, out)? {
                    Some(lines) => {
                        let (tx, rx) = mpsc::sync_channel(1);
                        job_tx.send((lines, tx)).map_err(|_| anyhow!("a parsing thread died"))?;
                        pending.push_back(rx);
                    }
                    None => eof = true,
                }
            }
            let Some(rx) = pending.pop_front() else { break };
            let parsed = rx.recv().map_err(|_| anyhow!("a parsing thread died"))?;
            take(parser, &seed, parsed, input, out)?;
        }
        Ok(())
    })
}

/// Writes a parsed chunk, or parses it again here if the worker's start
/// was not the true one.
fn take(
    parser: &mut LineParser,
    seed: &Formats,
    parsed: Parsed,
    input: &InputCtx<'_>,
    out: &mut Output,
) -> Result<()> {
    let valid = !parsed.formats.stateful_hit()
        && !parser.formats.stateful_hit()
        && parser.formats.same_choices(seed);
    if valid {
        out.buf().extend_from_slice(&parsed.records);
        out.end_record()?;
        parser.bad.report_collected(parsed.bad)?;
        parser.formats.take_choices(&parsed.formats);
    } else {
        for (bytes, number, truncated) in parsed.lines.iter() {
            parser.parse_line(bytes, number, truncated, input, out.buf())?;
            out.end_record()?;
        }
    }
    Ok(())
}

fn read_lines<R: Read + AsRawFd>(
    reader: &mut LineReader<R>,
    out: &mut Output,
) -> Result<Option<Lines>> {
    let mut lines = Lines {
        data: Vec::with_capacity(CHUNK + 4096),
        ends: Vec::new(),
        numbers: Vec::new(),
        truncated: Vec::new(),
    };
    while lines.data.len() < CHUNK {
        let Some(line) = reader.next_line(out)? else { break };
        lines.data.extend_from_slice(line.bytes);
        lines.ends.push(lines.data.len());
        lines.numbers.push(line.number);
        lines.truncated.push(line.truncated);
    }
    Ok((!lines.ends.is_empty()).then_some(lines))
}

fn work(seed: Formats, ctx: Ctx, input: &InputCtx<'_>, jobs: &Mutex<mpsc::Receiver<Job>>) {
    loop {
        let job = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok((lines, reply)) = job else { return };
        let mut parser = LineParser::new(BadInput::collecting("lparse"), seed.clone(), ctx.fork());
        let mut records = Vec::with_capacity(lines.data.len() * 2);
        for (bytes, number, truncated) in lines.iter() {
            // A collecting reporter never ends the run.
            let _ = parser.parse_line(bytes, number, truncated, input, &mut records);
        }
        let parsed = Parsed { lines, records, bad: parser.bad, formats: parser.formats };
        if reply.send(parsed).is_err() {
            return;
        }
    }
}
