//! `ltail --merge`: the lines of several files in time order.
//!
//! A k-way merge: each file contributes its next entry (a line with a
//! timestamp, and the lines without one that follow it, such as a stack
//! trace), and the earliest entry across the files is written next. Memory
//! holds one entry per file. Times are found by [`logkit_common::sniff`]; a
//! file's lines before its first timestamp come first. Equal times keep the
//! order of the files on the command line.

use anyhow::Result;
use logkit_common::cli::BadInput;
use logkit_common::input::{LineReader, NoIdle};
use logkit_common::output::Output;
use logkit_common::sniff::line_time;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::Read;

/// An entry longer than this many lines is cut into several, so that a
/// file of lines without timestamps cannot fill memory.
const MAX_ENTRY_LINES: usize = 1000;

/// One input of the merge.
pub struct Source {
    pub reader: LineReader<Box<dyn Read>>,
    pub src: Vec<u8>,
    pub label: String,
}

struct Line {
    bytes: Vec<u8>,
    number: u64,
    /// Where it starts in its input.
    at: u64,
    truncated: bool,
}

struct State {
    source: Source,
    entry: Vec<Line>,
    time: i128,
    /// The first line of the next entry, already read.
    next: Option<(i128, Line)>,
    done: bool,
}

impl State {
    /// Reads the next entry; `false` at the end of the file.
    fn fill(&mut self, zone: &jiff::tz::TimeZone) -> Result<bool> {
        self.entry.clear();
        if let Some((t, line)) = self.next.take() {
            self.time = t;
            self.entry.push(line);
        }
        while !self.done {
            let Some((at, l)) = self.source.reader.next_line_at(&mut NoIdle)? else {
                self.done = true;
                break;
            };
            let t = line_time(l.bytes, zone);
            let line =
                Line { bytes: l.bytes.to_vec(), number: l.number, at, truncated: l.truncated };
            match t {
                Some(t) if !self.entry.is_empty() => {
                    self.next = Some((t, line));
                    break;
                }
                Some(t) => {
                    self.time = t;
                    self.entry.push(line);
                }
                // No time: it belongs with the line before it.
                None => {
                    self.entry.push(line);
                    if self.entry.len() >= MAX_ENTRY_LINES {
                        break;
                    }
                }
            }
        }
        Ok(!self.entry.is_empty())
    }
}

pub fn run(
    sources: Vec<Source>,
    max_line: usize,
    out: &mut Output,
    bad: &mut BadInput,
) -> Result<()> {
    let zone = jiff::tz::TimeZone::system();
    let mut states: Vec<State> = sources
        .into_iter()
        .map(|source| State { source, entry: Vec::new(), time: i128::MIN, next: None, done: false })
        .collect();
    let mut heap = BinaryHeap::new();
    for (i, s) in states.iter_mut().enumerate() {
        if s.fill(&zone)? {
            heap.push(Reverse((s.time, i)));
        }
    }
    while let Some(Reverse((_, i))) = heap.pop() {
        let s = &mut states[i];
        for line in &s.entry {
            let label = &s.source.label;
            crate::emit_line(
                out,
                bad,
                &s.source.src,
                line.at,
                &line.bytes,
                line.truncated,
                max_line,
                || format!("{label}:{}", line.number),
            )?;
        }
        if s.fill(&zone)? {
            heap.push(Reverse((s.time, i)));
        }
    }
    Ok(())
}
