//! Counting a large file on several cores.
//!
//! Reading and splitting lines costs little; parsing the records is the
//! work. So the main thread reads the file in 1 MiB chunks cut at line
//! ends and hands them out, each worker counts its chunks into its own
//! [`Counter`], and the partial counters are merged at the end. Only for
//! regular files read to the end (not live input, where snapshots need one
//! counter).

use crate::count::{Counter, Plan};
use crate::LineCounter;
use anyhow::Result;
use logkit_common::cli::BadInput;
use logkit_common::live::StopFlag;
use std::io::{self, Read};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use logkit_common::parallel::CHUNK;
/// The first bad lines of each worker kept for messages.
const KEEP_BAD: usize = 21;

struct Job {
    /// The number of the chunk's first line, minus one.
    base: u64,
    data: Vec<u8>,
}

struct Partial {
    counter: Counter,
    bad: Vec<(u64, String)>,
    bad_count: u64,
}

/// Counts `input` into `counter`. Returns whether a stop was requested.
pub fn count<R: Read>(
    mut input: R,
    plan: &Plan,
    counter: &mut Counter,
    label: &str,
    bad: &mut BadInput,
    stop: &StopFlag,
    max_line: usize,
) -> Result<bool> {
    let mut chunks = Chunker { carry: Vec::new(), eof: false, max_line };
    let Some(first) = chunks.next(&mut input, Vec::new())? else { return Ok(false) };
    // Time buckets would need every worker to align on the zone of the
    // input's first ts; the caller keeps --every on one thread.
    debug_assert!(plan.every.is_none());
    let n = logkit_common::parallel::workers();
    let (job_tx, job_rx) = mpsc::sync_channel::<Job>(n * 2);
    let job_rx = Arc::new(Mutex::new(job_rx));
    let (free_tx, free_rx) = mpsc::channel::<Vec<u8>>();
    let mut stopped = false;
    let partials = std::thread::scope(|scope| -> Result<Vec<Partial>> {
        let handles: Vec<_> = (0..n)
            .map(|_| {
                let (jobs, free, plan) = (Arc::clone(&job_rx), free_tx.clone(), plan.clone());
                scope.spawn(move || work(plan, &jobs, &free))
            })
            .collect();
        let mut base = 0;
        let mut next = Some(first);
        while let Some(data) = next {
            let lines = memchr::memchr_iter(b'\n', &data).count() as u64
                + u64::from(data.last() != Some(&b'\n'));
            if job_tx.send(Job { base, data }).is_err() {
                break;
            }
            base += lines;
            if stop.is_set() {
                stopped = true;
                break;
            }
            next = chunks.next(&mut input, free_rx.try_recv().unwrap_or_default())?;
        }
        drop(job_tx);
        Ok(handles.into_iter().map(|h| h.join().expect("a counting thread panicked")).collect())
    })?;
    let mut messages = Vec::new();
    let mut total_bad = 0;
    for p in partials {
        counter.merge(p.counter);
        messages.extend(p.bad);
        total_bad += p.bad_count;
    }
    messages.sort();
    total_bad -= messages.len() as u64;
    for (line, message) in messages {
        bad.report(label, line, &message)?;
    }
    bad.count_unshown(total_bad);
    Ok(stopped)
}

fn work(plan: Plan, jobs: &Mutex<mpsc::Receiver<Job>>, free: &mpsc::Sender<Vec<u8>>) -> Partial {
    let mut counter = Counter::new(plan);
    let mut lines = LineCounter::new(counter.fields().len());
    let mut partial_bad = Vec::new();
    let mut bad_count = 0;
    loop {
        let job = {
            let Ok(rx) = jobs.lock() else { break };
            match rx.recv() {
                Ok(job) => job,
                Err(_) => break,
            }
        };
        let mut start = 0;
        let ends = memchr::memchr_iter(b'\n', &job.data).chain(std::iter::once(job.data.len()));
        for (i, end) in ends.enumerate() {
            if start > end {
                break;
            }
            let line = &job.data[start..end];
            start = end + 1;
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            if let Err(message) = lines.count(&mut counter, line) {
                bad_count += 1;
                if partial_bad.len() < KEEP_BAD {
                    partial_bad.push((job.base + i as u64 + 1, message));
                }
            }
        }
        let _ = free.send(job.data);
    }
    Partial { counter, bad: partial_bad, bad_count }
}

/// Cuts the input into chunks of whole lines.
struct Chunker {
    carry: Vec<u8>,
    eof: bool,
    max_line: usize,
}

impl Chunker {
    fn next<R: Read>(&mut self, input: &mut R, mut buf: Vec<u8>) -> io::Result<Option<Vec<u8>>> {
        if self.eof {
            return Ok(None);
        }
        buf.clear();
        buf.append(&mut self.carry);
        loop {
            let start = buf.len();
            buf.resize(start + CHUNK, 0);
            let n = loop {
                match input.read(&mut buf[start..]) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    r => break r?,
                }
            };
            buf.truncate(start + n);
            if n == 0 {
                self.eof = true;
                return Ok((!buf.is_empty()).then_some(buf));
            }
            if buf.len() < CHUNK {
                continue;
            }
            match memchr::memrchr(b'\n', &buf) {
                Some(nl) => {
                    self.carry.extend_from_slice(&buf[nl + 1..]);
                    buf.truncate(nl + 1);
                    return Ok(Some(buf));
                }
                // A line longer than the maximum: hand it over as it is (it
                // will be reported), rather than hold ever more of it.
                None if buf.len() > self.max_line => return Ok(Some(buf)),
                None => continue,
            }
        }
    }
}
