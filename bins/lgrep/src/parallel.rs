//! Selecting from a large file on several cores, with the output of one.
//!
//! Workers take chunks of whole lines through
//! [`logkit_common::parallel::ordered`], each with its own [`Selector`],
//! and return the passing records of a chunk as one buffer; the main
//! thread writes the buffers, and reports the bad lines, in input order.
//! Only for regular files read to the end without `-m` (which stops at a
//! record that only reading in order finds).

use crate::select::{Plan, Selector};
use crate::{InputCtx, Tally};
use anyhow::Result;
use logkit_common::cli::BadInput;
use logkit_common::input::{Chunk, LineReader};
use logkit_common::output::Output;
use std::io::Read;
use std::ops::ControlFlow;

/// What a worker made of one chunk.
struct Selected {
    /// The passing records, each ended by `\n` (empty with `-c`).
    records: Vec<u8>,
    passed: u64,
    bad: BadInput,
}

/// Selects the rest of `reader` on several threads; what the workers saw
/// of the fields named is added to `selector`'s. Returns whether a stop was
/// requested.
pub(crate) fn select<R: Read>(
    reader: &mut LineReader<R>,
    plan: &Plan,
    input: &InputCtx<'_>,
    selector: &mut Selector,
    tally: &mut Tally,
    bad: &mut BadInput,
    out: &mut Output,
) -> Result<bool> {
    debug_assert!(tally.limit.is_none());
    let write = tally.write;
    let mut stopped = false;
    let workers = logkit_common::parallel::ordered(
        reader,
        out,
        || Selector::new(plan.clone()),
        |selector: &mut Selector, chunk: &Chunk| {
            let mut selected =
                Selected { records: Vec::new(), passed: 0, bad: BadInput::collecting("lgrep") };
            for line in chunk.lines() {
                let buf = if write { Some(&mut selected.records) } else { None };
                match selector.line(&line, buf) {
                    Ok(pass) => selected.passed += u64::from(pass),
                    // A collecting reporter never ends the run.
                    Err(message) => {
                        let _ = selected.bad.report(input.label, line.number, &message);
                    }
                }
            }
            selected
        },
        |out, _, selected| {
            out.buf().extend_from_slice(&selected.records);
            out.end_record()?;
            bad.report_collected(selected.bad)?;
            tally.passed += selected.passed;
            stopped = input.stop.is_set();
            Ok(if stopped { ControlFlow::Break(()) } else { ControlFlow::Continue(()) })
        },
    )?;
    for worker in &workers {
        selector.merge(worker);
    }
    Ok(stopped)
}
