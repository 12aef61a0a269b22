//! Parsing a large file on several cores, with the same output as on one.
//!
//! The main thread reads chunks of lines (with the same [`LineReader`] as
//! always, so long lines are cut and numbered alike) and hands them to
//! workers through [`logkit_common::parallel::ordered`]; the workers'
//! records are written in input order.
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
use anyhow::Result;
use logkit_common::cli::BadInput;
use logkit_common::input::{Chunk, LineReader};
use logkit_common::output::Output;
use std::io::Read;
use std::ops::ControlFlow;

/// Lines read per chunk, in bytes; also what is parsed on the main thread
/// before going parallel.
pub(crate) use logkit_common::parallel::CHUNK;

/// A chunk parsed by a worker.
struct Parsed {
    records: Vec<u8>,
    bad: BadInput,
    partial: BadInput,
    /// The worker's formats after the chunk: the choices to carry on with.
    formats: Formats,
    /// Whether a record was held or a piece waited in the chunk (its
    /// records depend on the lines around it).
    joined: bool,
}

/// Parses the rest of `reader` on several threads, writing the records in
/// order as [`LineParser::parse_input`] would have.
pub(crate) fn parse_rest<R: Read>(
    parser: &mut LineParser,
    reader: &mut LineReader<R>,
    input: &InputCtx<'_>,
    out: &mut Output,
) -> Result<()> {
    let seed = parser.formats.clone();
    let ctx = parser.ctx.fork();
    let pattern = parser.pattern.clone();
    logkit_common::parallel::ordered(
        reader,
        out,
        || (seed.clone(), ctx.fork()),
        |(seed, ctx): &mut (Formats, Ctx), chunk: &Chunk| {
            let mut worker = LineParser::new(
                BadInput::collecting("lparse"),
                BadInput::collecting("lparse"),
                seed.clone(),
                ctx.fork(),
            );
            worker.pattern = pattern.clone();
            let mut records = Vec::with_capacity(chunk.len() * 512);
            for line in chunk.lines() {
                // A collecting reporter never ends the run.
                let _ =
                    worker.parse_line(line.bytes, line.number, line.truncated, input, &mut records);
            }
            // Pieces or an entry still open at the chunk's end belong with
            // the next chunk: `joined` has the chunk parsed again in order.
            let joined = worker.joined;
            Parsed {
                records,
                bad: worker.bad,
                partial: worker.partial,
                formats: worker.formats,
                joined,
            }
        },
        |out, chunk, parsed| {
            take(parser, &seed, chunk, parsed, input, out)?;
            Ok(ControlFlow::Continue(()))
        },
    )?;
    Ok(())
}

/// Writes a parsed chunk, or parses it again here if the worker's start
/// was not the true one.
fn take(
    parser: &mut LineParser,
    seed: &Formats,
    chunk: &Chunk,
    parsed: Parsed,
    input: &InputCtx<'_>,
    out: &mut Output,
) -> Result<()> {
    let valid = !parsed.formats.stateful_hit()
        && !parser.formats.stateful_hit()
        && !parsed.joined
        && !parser.joined
        && parser.formats.same_choices(seed);
    if valid {
        out.buf().extend_from_slice(&parsed.records);
        out.end_record()?;
        parser.bad.report_collected(parsed.bad)?;
        parser.partial.report_collected(parsed.partial)?;
        parser.formats.take_choices(&parsed.formats);
    } else {
        for line in chunk.lines() {
            parser.parse_line(line.bytes, line.number, line.truncated, input, out.buf())?;
            parser.end_record(out)?;
        }
    }
    Ok(())
}
