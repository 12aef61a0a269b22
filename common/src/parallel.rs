//! Reading one input on several cores, with the result of reading it on
//! one: when a tool does it (lparse and lcount on large files), with how
//! many threads, and the one way it is done ([`ordered`]).
//!
//! The main thread reads whole lines with the tool's usual
//! [`LineReader`] (so lines are cut, numbered and reported alike on every
//! path), hands them out in [`Chunk`]s, and takes the workers' results back
//! in input order: whatever a tool writes or reports per line comes out as
//! on one thread.

use crate::input::{Chunk, Idle, LineReader};
use crate::sys::FdInfo;
use std::collections::VecDeque;
use std::io::Read;
use std::ops::ControlFlow;
use std::os::fd::AsFd;
use std::sync::{mpsc, Mutex};

/// Below this size a file is read on one thread: starting threads would
/// cost more than they save.
pub const MIN_SIZE: u64 = 8 << 20;

/// Bytes of input read on the main thread before a tool goes parallel, and
/// about what one [`Chunk`] holds.
pub const CHUNK: usize = crate::input::CHUNK_TARGET;

/// How many workers to use: one per core, at most 4.
pub fn workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).min(4)
}

/// Whether an input is worth several threads: a regular file (not a pipe,
/// which may be live) of [`MIN_SIZE`] or more, on a machine with several
/// cores, and not under `--strict` (which stops at the first bad line:
/// simplest where lines are taken one at a time, and no run to speed up).
/// The one rule for every tool; a tool may add its own reasons to stay on
/// one thread (lcount: many groups, live snapshots).
pub fn suits(input: impl AsFd, strict: bool) -> bool {
    !strict
        && workers() > 1
        && FdInfo::of(input).is_some_and(|i| i.is_regular() && i.size >= MIN_SIZE)
}

/// Reads the rest of `reader` in chunks of whole lines, has [`workers`]
/// threads apply `work` to them, and passes each chunk with its result to
/// `take`, on this thread and in input order. Each worker keeps a state of
/// its own, made here by `state` (say, a partial count) and returned at the
/// end, in no particular order. `take` ends the run early by returning
/// `Break` (say, on a stop request); the chunks already handed out are
/// worked on, and their results dropped.
///
/// `idle` is called as by [`LineReader::next_line`], and lent to `take`
/// (typically the output, flushed while the input is idle and written by
/// `take`).
///
/// # Errors
/// A read error, or the first error of `take`; the workers are stopped.
///
/// # Panics
/// When a worker panicked (a bug), this thread panics too.
pub fn ordered<R, I, S, T, W, F>(
    reader: &mut LineReader<R>,
    idle: &mut I,
    mut state: impl FnMut() -> S,
    work: W,
    mut take: F,
) -> anyhow::Result<Vec<S>>
where
    R: Read,
    I: Idle,
    S: Send,
    T: Send,
    W: Fn(&mut S, &Chunk) -> T + Sync,
    F: FnMut(&mut I, &Chunk, T) -> anyhow::Result<ControlFlow<()>>,
{
    let n = workers();
    let (job_tx, job_rx) = mpsc::sync_channel::<Job<T>>(n);
    let job_rx = Mutex::new(job_rx);
    let states: Vec<S> = (0..n).map(|_| state()).collect();
    let work = &work;
    std::thread::scope(|scope| {
        let handles: Vec<_> = states
            .into_iter()
            .map(|mut state| {
                let jobs = &job_rx;
                scope.spawn(move || {
                    while let Some((chunk, reply)) = next_job(jobs) {
                        let result = work(&mut state, &chunk);
                        if reply.send((chunk, result)).is_err() {
                            break;
                        }
                    }
                    state
                })
            })
            .collect();
        let outcome = feed(reader, idle, job_tx, &mut take, n);
        // The job sender is gone (moved into `feed`): the workers end once
        // the queue is empty.
        let states: Vec<S> =
            handles.into_iter().map(|h| h.join().expect("a worker thread panicked")).collect();
        outcome.map(|()| states)
    })
}

/// A chunk to work on, and where to send it back with its result.
type Job<T> = (Chunk, mpsc::SyncSender<(Chunk, T)>);

fn next_job<T>(jobs: &Mutex<mpsc::Receiver<Job<T>>>) -> Option<Job<T>> {
    jobs.lock().ok()?.recv().ok()
}

/// The main thread's part of [`ordered`]: reads chunks, keeps up to two per
/// worker in flight, and takes the results in order.
fn feed<R: Read, I: Idle, T>(
    reader: &mut LineReader<R>,
    idle: &mut I,
    jobs: mpsc::SyncSender<Job<T>>,
    take: &mut impl FnMut(&mut I, &Chunk, T) -> anyhow::Result<ControlFlow<()>>,
    n: usize,
) -> anyhow::Result<()> {
    let died = || anyhow::anyhow!("a worker thread died");
    let mut pending = VecDeque::new();
    let mut spare = Vec::new();
    let mut eof = false;
    loop {
        while !eof && pending.len() < 2 * n {
            match reader.next_chunk(idle, spare.pop().unwrap_or_default())? {
                Some(chunk) => {
                    let (tx, rx) = mpsc::sync_channel(1);
                    jobs.send((chunk, tx)).map_err(|_| died())?;
                    pending.push_back(rx);
                }
                None => eof = true,
            }
        }
        let Some(rx) = pending.pop_front() else { return Ok(()) };
        let (chunk, result) = rx.recv().map_err(|_| died())?;
        if take(idle, &chunk, result)?.is_break() {
            return Ok(());
        }
        spare.push(chunk);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::NoIdle;

    #[test]
    fn results_come_in_input_order_with_every_line_once() {
        let text: String = (1..=200_000).map(|i| format!("line {i}\n")).collect();
        let mut reader = LineReader::new(text.as_bytes());
        let mut seen = Vec::new();
        let states = ordered(
            &mut reader,
            &mut NoIdle,
            || 0u64,
            |lines: &mut u64, chunk: &Chunk| {
                *lines += chunk.len() as u64;
                chunk.lines().map(|l| (l.number, l.bytes.to_vec())).collect::<Vec<_>>()
            },
            |_, _, result| {
                seen.extend(result);
                Ok(ControlFlow::Continue(()))
            },
        )
        .unwrap();
        assert_eq!(states.iter().sum::<u64>(), 200_000);
        assert_eq!(seen.len(), 200_000);
        for (i, (number, bytes)) in seen.iter().enumerate() {
            assert_eq!(*number, i as u64 + 1);
            assert_eq!(bytes, format!("line {}", i + 1).as_bytes());
        }
    }

    #[test]
    fn take_can_stop_the_run() {
        let text = "x\n".repeat(3 << 20);
        let mut reader = LineReader::new(text.as_bytes());
        let mut taken = 0;
        ordered(
            &mut reader,
            &mut NoIdle,
            || (),
            |_, chunk: &Chunk| chunk.len(),
            |_, _, lines| {
                taken += lines;
                Ok(ControlFlow::Break(()))
            },
        )
        .unwrap();
        assert!(taken > 0 && taken < 3 << 20, "{taken}");
    }
}
