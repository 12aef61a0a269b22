//! One followed path and the files it has held: opening a file at the
//! right place, reading the complete lines a file has so far, and reading
//! on earlier (renamed or deleted) files until they go idle. When to look at
//! a path, and what its changes mean, is decided elsewhere (the event loop
//! in [`super`], and [`super::rotation`]); this module reads.

use super::identity::{FileId, Fingerprint, Mark};
use crate::tail::{self, Start};
use anyhow::Result;
use logkit_common::cli::BadInput;
use logkit_common::input::{Line, LineReader, NoIdle};
use logkit_common::output::Output;
use logkit_common::record;
use std::collections::HashMap;
use std::fs::{File, Metadata};
use std::io::{self, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How long an earlier file of a path (renamed or deleted) is read on after
/// its last new data: a writer keeps appending to a renamed file until it
/// reopens its log.
pub const DRAIN_GRACE: Duration = Duration::from_secs(5);
/// The read buffer of each followed file; it grows for long lines.
const FOLLOW_BUFFER: usize = 32 * 1024;

/// Everything that reading a file produces: its records on the output, its
/// cut lines to the reporter, and how far it was read, in `positions`.
pub struct Sink {
    pub out: Output,
    pub bad: BadInput,
    /// The longest line, in bytes; longer ones are cut.
    pub max_line: usize,
    pub positions: Positions,
}

impl Sink {
    /// Writes the record of one line of `name`, which starts at byte `at`
    /// of its file (reporting it first if it was cut). Fails on a write
    /// error, or on a cut line under `--strict`.
    pub fn line(&mut self, name: &Name, at: u64, line: Line<'_>) -> Result<()> {
        crate::emit_line(
            &mut self.out,
            &mut self.bad,
            &name.src,
            at,
            line.bytes,
            line.truncated,
            self.max_line,
            || format!("{}:{}", name.label, line.number),
        )
    }
}

/// How a source is named: in its records, and in messages.
pub struct Name {
    /// The `src` value, JSON-encoded (see [`record::encode_src`]).
    pub src: Vec<u8>,
    /// The name for messages on stderr (lossy if it is not UTF-8).
    pub label: String,
}

impl Name {
    /// The name of a source given as these bytes (a path as given, or `-`).
    pub fn new(bytes: &[u8]) -> Name {
        crate::view::register(bytes);
        Name { src: record::encode_src(bytes), label: String::from_utf8_lossy(bytes).into_owned() }
    }
}

/// Where each file no longer being read was left, by identity, so that a
/// file met again under another name (a glob matching rotated files), or
/// after a restart, goes on where it was rather than starting over.
#[derive(Default)]
pub struct Positions(HashMap<FileId, Mark>);

impl Positions {
    /// Records where a file was left.
    pub fn insert(&mut self, mark: Mark) {
        self.0.insert(mark.id, mark);
    }

    /// Where `file` was left, if it was read before and is still the same
    /// file (see [`Mark::matches`]).
    fn resume_at(&self, file: &File, meta: &Metadata) -> io::Result<Option<u64>> {
        let Some(known) = self.0.get(&FileId::of(meta)) else { return Ok(None) };
        Ok(known.matches(file, meta)?.then_some(known.offset))
    }

    /// Remembers where `open` was left as it is let go; a file that has no
    /// name left is forgotten instead, as its inode is free to be reused by
    /// another file.
    fn let_go(&mut self, open: &mut Open) -> io::Result<()> {
        match open.mark()? {
            Some(mark) => self.insert(mark),
            None => {
                self.0.remove(&open.id);
            }
        }
        Ok(())
    }
}

/// The last bytes read from a file, at two places: where the last complete
/// line ended (the checksum covers a newline and the line before it), and
/// how far the reader got (a partial line it holds included). Each is an
/// offset and the checksum of the bytes just before it. Both must still be
/// there for the file to be the one read: bytes of a long line of one
/// repeated character may well be found again at the same place of another
/// content, but not with the end of the line before them.
#[derive(Debug, Clone, Copy)]
pub struct LastRead {
    /// Just after the last complete line.
    pub line_end: (u64, Fingerprint),
    /// Just after the last byte read.
    pub read_to: (u64, Fingerprint),
}

/// A file being read.
pub struct Open {
    pub reader: LineReader<File>,
    pub id: FileId,
    /// What was read last (none before any byte was read): if the file is
    /// shorter, or those bytes changed, it was truncated and written again
    /// (copytruncate), even if it has grown past that place again and
    /// starts with the same bytes as before.
    pub last_read: Option<LastRead>,
    /// Lines before this number are skipped (`-n +N`).
    first_line: u64,
    /// When lines last came: an earlier file is let go [`DRAIN_GRACE`] after.
    pub last_data: Instant,
    /// The last [`Open::mark`], kept while nothing more is read: the state
    /// of many idle files is written without reading them again.
    mark: Option<Mark>,
}

impl Open {
    /// Starts reading `file` (described by `meta`) at the right place:
    /// where it was left if it was read before (under this name or another,
    /// or before a restart); else per `start`, the start option, given for
    /// a file found at the start; else at its beginning. Returns the file
    /// and whether it was read before. Fails if the file cannot be read.
    pub fn positioned(
        mut file: File,
        meta: &Metadata,
        start: Option<Start>,
        sink: &Sink,
    ) -> io::Result<(Open, bool)> {
        let mut first_line = 0;
        let mut position = 0;
        let resumed = sink.positions.resume_at(&file, meta)?;
        if let Some(at) = resumed {
            position = at;
        } else if let Some(start) = start {
            match start {
                Start::LastLines(n) => {
                    position = tail::start_of_last_lines(&mut file, n, meta.len())?.unwrap_or(0)
                }
                Start::FromLine(k) => first_line = k,
            }
        }
        let mut open = Open::at(file, position, sink.max_line)?;
        open.first_line = first_line;
        Ok((open, resumed.is_some()))
    }

    /// Where the file was left, for `--state` and for meeting it again;
    /// `None` once the file has no name left (deleted, or renamed away and
    /// then deleted): it cannot be found again, and its inode may soon be
    /// another file's.
    pub fn mark(&mut self) -> io::Result<Option<Mark>> {
        let file = self.reader.get_ref();
        let meta = file.metadata()?;
        if meta.nlink() == 0 {
            return Ok(None);
        }
        let offset = self.reader.position();
        match self.mark {
            // Nothing read since: the same bytes (a truncation clears it).
            Some(mark) if mark.offset == offset => Ok(Some(mark)),
            _ => {
                let mark = Mark::take(file, self.id, offset, meta.len())?;
                self.mark = Some(mark);
                Ok(Some(mark))
            }
        }
    }

    /// Starts reading an open file at byte `position`, cutting lines longer
    /// than `max_line` bytes.
    pub fn at(mut file: File, position: u64, max_line: usize) -> io::Result<Open> {
        let id = FileId::of(&file.metadata()?);
        file.seek(SeekFrom::Start(position))?;
        let mut reader = LineReader::with_capacity(file, FOLLOW_BUFFER).max_line(max_line).follow();
        reader.reset(position);
        let mut open = Open {
            reader,
            id,
            last_read: None,
            first_line: 0,
            last_data: Instant::now(),
            mark: None,
        };
        open.note_last_read()?;
        Ok(open)
    }

    /// Reads the file again from its start if it was truncated (or
    /// rewritten) since it was last read, saying so on stderr: its new
    /// content is not read from the middle. Returns whether it was.
    pub fn restart_if_truncated(&mut self, name: &Name) -> io::Result<bool> {
        if !super::rotation::truncated(self)? {
            return Ok(false);
        }
        crate::view::notice(&name.label, "truncated; reading from the start");
        self.restart()?;
        Ok(true)
    }

    /// Reads the file again from its first line: it was truncated, or it
    /// came after the saved state and all of it is new.
    pub fn restart(&mut self) -> io::Result<()> {
        self.reader.get_mut().seek(SeekFrom::Start(0))?;
        self.reader.reset(0);
        self.last_read = None;
        self.mark = None;
        self.first_line = 0;
        Ok(())
    }

    /// Writes the complete lines the file has now, and records how far it
    /// was read. Returns how many lines were written.
    fn pump(&mut self, name: &Name, sink: &mut Sink) -> Result<u64> {
        let mut n = 0;
        while let Some((at, line)) = self.reader.next_line_at(&mut NoIdle)? {
            if line.number < self.first_line {
                continue;
            }
            sink.line(name, at, line)?;
            n += 1;
        }
        self.note_last_read()?;
        Ok(n)
    }

    /// Takes the checksums of the last bytes read, if reading has moved on:
    /// read back just after they were read, they are the bytes that the
    /// lines came from.
    fn note_last_read(&mut self) -> io::Result<()> {
        let mut file: &File = self.reader.get_ref();
        let read_to = file.stream_position()?;
        if read_to == 0 || self.last_read.is_some_and(|r| r.read_to.0 == read_to) {
            return Ok(());
        }
        let line_end = self.reader.position();
        let before_read_to = Fingerprint::before(file, read_to)?;
        let before_line_end =
            if line_end == read_to { before_read_to } else { Fingerprint::before(file, line_end)? };
        self.last_read = Some(LastRead {
            line_end: (line_end, before_line_end),
            read_to: (read_to, before_read_to),
        });
        Ok(())
    }

    /// Writes a last line that never got its newline.
    fn emit_held(&mut self, name: &Name, sink: &mut Sink) -> Result<()> {
        // The held line starts where reading of complete lines stopped.
        let at = self.reader.position();
        match self.reader.finish() {
            Some(line) => sink.line(name, at, line),
            None => Ok(()),
        }
    }
}

/// A followed path: the file now at it, and the earlier files it held.
pub struct Tracked {
    /// The path as given (or as a glob found it).
    pub path: PathBuf,
    pub name: Name,
    /// The file at the path, being read.
    pub current: Option<Open>,
    /// Earlier files of this path (renamed or deleted), read until idle.
    pub draining: Vec<Open>,
    /// Whether the start option (`-n`) still applies: only to the file
    /// found at the start; files that appear later are read from their start.
    pub initial: bool,
    /// A problem with the path was reported: not again until a file is read
    /// from it.
    pub reported: bool,
}

impl Tracked {
    /// A path to follow; `initial` if it was found at the start.
    pub fn new(path: PathBuf, initial: bool) -> Tracked {
        let name = Name::new(path.as_os_str().as_encoded_bytes());
        Tracked { path, name, current: None, draining: Vec::new(), initial, reported: false }
    }

    /// Whether the file `id` is read from this path (as its current file or
    /// an earlier one).
    pub fn reads(&self, id: FileId) -> bool {
        self.draining.iter().chain(&self.current).any(|o| o.id == id)
    }

    /// Takes the file `id` away from this path, if it reads it: another path
    /// holds it now (renamed to a name that a glob matches, or back). Says
    /// whether it was the current file.
    pub fn take(&mut self, id: FileId) -> Option<(Open, bool)> {
        if self.current.as_ref().is_some_and(|c| c.id == id) {
            return self.current.take().map(|c| (c, true));
        }
        let k = self.draining.iter().position(|d| d.id == id)?;
        Some((self.draining.remove(k), false))
    }

    /// Reports a problem with the path on stderr, unless one already was.
    pub fn report_once(&mut self, what: &dyn std::fmt::Display) {
        if !self.reported {
            let message = format!("{}: {what}", self.name.label);
            eprintln!("ltail: {}", logkit_common::term::escape_control(&message));
            self.reported = true;
        }
    }

    /// Makes `open` the file at the path: its problems are reported again
    /// from now on, and the start option no longer applies.
    pub fn adopt(&mut self, open: Open) {
        self.current = Some(open);
        self.initial = false;
        self.reported = false;
    }

    /// Writes the new lines of the current file, if there is one, from its
    /// start if it was truncated: the check comes just before the reading,
    /// so that a truncation cannot slip in between. Returns whether it was
    /// truncated.
    pub fn pump_current(&mut self, now: Instant, sink: &mut Sink) -> Result<bool> {
        let Some(cur) = &mut self.current else { return Ok(false) };
        let truncated = cur.restart_if_truncated(&self.name)?;
        if cur.pump(&self.name, sink)? > 0 {
            cur.last_data = now;
        }
        Ok(truncated)
    }

    /// The files of this path, with whether each is the current one.
    pub fn files_mut(&mut self) -> impl Iterator<Item = (&mut Open, bool)> {
        let current = self.current.iter_mut().map(|o| (o, true));
        current.chain(self.draining.iter_mut().map(|o| (o, false)))
    }

    /// The current file is no longer at the path (renamed, deleted or
    /// replaced): it becomes an earlier file, read on until idle.
    pub fn retire_current(&mut self, now: Instant, sink: &mut Sink) -> Result<()> {
        match self.current.take() {
            Some(cur) => self.read_on(cur, now, sink),
            None => Ok(()),
        }
    }

    /// Reads an earlier file of the path, and on until it goes idle.
    pub fn read_on(&mut self, mut old: Open, now: Instant, sink: &mut Sink) -> Result<()> {
        old.restart_if_truncated(&self.name)?;
        old.pump(&self.name, sink)?;
        old.last_data = now;
        self.draining.push(old);
        Ok(())
    }

    /// Writes the new lines of the earlier files, and lets go of those idle
    /// for [`DRAIN_GRACE`] (writing a last line that never got its newline).
    /// Returns whether any was let go, or truncated and read again.
    pub fn drain(&mut self, now: Instant, sink: &mut Sink) -> Result<bool> {
        let mut changed = false;
        for old in &mut self.draining {
            changed |= old.restart_if_truncated(&self.name)?;
            if old.pump(&self.name, sink)? > 0 {
                old.last_data = now;
            }
        }
        let mut k = 0;
        while k < self.draining.len() {
            if now.duration_since(self.draining[k].last_data) >= DRAIN_GRACE {
                let mut old = self.draining.remove(k);
                sink.positions.let_go(&mut old)?;
                old.emit_held(&self.name, sink)?;
                changed = true;
            } else {
                k += 1;
            }
        }
        Ok(changed)
    }

    /// Writes the last lines that never got their newline, of the earlier
    /// files and then of the current one (at exit).
    pub fn emit_held(&mut self, sink: &mut Sink) -> Result<()> {
        for o in self.draining.iter_mut().chain(&mut self.current) {
            o.emit_held(&self.name, sink)?;
        }
        Ok(())
    }
}
