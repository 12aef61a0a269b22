//! Counting a large file on several cores.
//!
//! Reading and splitting lines costs little; parsing the records is the
//! work. So chunks of whole lines go to workers through
//! [`logkit_common::parallel::ordered`], each worker counts into its own
//! [`Counter`], and the partial counters are merged at the end; the bad
//! lines each chunk met are reported in input order, as on one thread.
//! Only for regular files read to the end (not live input, where snapshots
//! need one counter).

use crate::count::{Counter, Plan};
use crate::LineCounter;
use anyhow::Result;
use logkit_common::cli::BadInput;
use logkit_common::input::{Chunk, LineReader, NoIdle};
use logkit_common::live::StopFlag;
use std::io::Read;
use std::ops::ControlFlow;

/// Counts the rest of `reader` into `counter`. Returns whether a stop was
/// requested.
pub fn count<R: Read>(
    reader: &mut LineReader<R>,
    plan: &Plan,
    counter: &mut Counter,
    label: &str,
    bad: &mut BadInput,
    stop: &StopFlag,
) -> Result<bool> {
    // Time buckets would need every worker to align on the zone of the
    // input's first ts; the caller keeps --every on one thread.
    debug_assert!(plan.every.is_none());
    let mut stopped = false;
    let partials = logkit_common::parallel::ordered(
        reader,
        &mut NoIdle,
        || {
            let counter = Counter::new(plan.clone());
            let lines = LineCounter::new(counter.fields().len());
            (counter, lines)
        },
        |(counter, lines): &mut (Counter, LineCounter), chunk: &Chunk| {
            let mut chunk_bad = BadInput::collecting("lcount");
            for line in chunk.lines() {
                if let Err(message) = lines.count_line(counter, &line) {
                    // A collecting reporter never ends the run.
                    let _ = chunk_bad.report(label, line.number, &message);
                }
            }
            chunk_bad
        },
        |_, _, chunk_bad| {
            bad.report_collected(chunk_bad)?;
            stopped = stop.is_set();
            Ok(if stopped { ControlFlow::Break(()) } else { ControlFlow::Continue(()) })
        },
    )?;
    for (partial, _) in partials {
        counter.merge(partial);
    }
    Ok(stopped)
}
