//! Reading lines fast: one reusable buffer, memchr to find line ends, a
//! maximum line length, and a hook that runs before a read would block.

use std::io::{self, Read};
use std::os::fd::{AsFd, OwnedFd};

/// The longest log line carried whole, in bytes (1 MiB): ltail cuts a
/// longer line there (its `--max-line-bytes` default) and marks its record
/// `"truncated":true`; lparse cuts a longer raw line alike.
pub const DEFAULT_MAX_LINE: usize = 1 << 20;

/// The longest NDJSON record the tools read, in bytes (8 MiB): lparse,
/// lcount and hprobe's stdin. A record is longer than the log line it
/// carries (JSON escapes take up to six bytes for one, `\u001b`; base64
/// four for three; then the name of the source), so that every record
/// ltail writes with its defaults is read whole by the next stage, the
/// limit for records is well above [`DEFAULT_MAX_LINE`]. A longer line is
/// reported as too long, never read as something else.
pub const MAX_RECORD: usize = 8 * DEFAULT_MAX_LINE;

/// The least a [`Chunk`] holds once the reader has handed out its first:
/// large enough that handing chunks between threads costs little beside
/// the work on their lines.
pub const CHUNK_TARGET: usize = 1 << 20;

const INITIAL_BUF: usize = 256 * 1024;

/// The message for a line longer than the maximum, e.g. `line longer than
/// 1048576 bytes, cut`: `done` says what became of it. One wording for
/// every tool.
pub fn too_long(max_line: usize, done: &str) -> String {
    format!("line longer than {max_line} bytes, {done}")
}

/// One line, without its terminator (`\n`, or `\r\n`: the `\r` belongs to
/// the terminator; a last line without a `\n` keeps a final `\r`, which is
/// then data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line<'a> {
    /// The line's bytes, without its terminator; at most the maximum.
    pub bytes: &'a [u8],
    /// 1-based line number in this input.
    pub number: u64,
    /// The line was longer than the maximum and was cut; the rest of it, up
    /// to the next newline, was skipped.
    pub truncated: bool,
    /// The line ended with a newline (false for a last line without one,
    /// and for a cut line, whose end was skipped).
    pub terminated: bool,
}

/// Where a line lies in the reader's buffer.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: usize,
    len: usize,
    truncated: bool,
    terminated: bool,
}

impl Span {
    fn new(start: usize, len: usize, truncated: bool, terminated: bool) -> Span {
        Span { start, len, truncated, terminated }
    }

    fn line<'a>(&self, buf: &'a [u8], number: u64) -> Line<'a> {
        Line {
            bytes: &buf[self.start..self.start + self.len],
            number,
            truncated: self.truncated,
            terminated: self.terminated,
        }
    }
}

/// What the splitter found in the data already read.
enum Step {
    Line(Span),
    /// No complete line is buffered: read more.
    NeedData,
    /// End of input (for now, when following).
    End,
}

/// Consecutive lines of one input, as [`LineReader::next_chunk`] hands
/// them out: a buffer and where each line lies in it, so that a worker
/// thread can take whole lines without a copy of each.
#[derive(Debug, Default)]
pub struct Chunk {
    data: Vec<u8>,
    spans: Vec<Span>,
    /// The number of the first line.
    first_number: u64,
}

impl Chunk {
    /// The lines, in input order, with their numbers in the input.
    pub fn lines(&self) -> impl Iterator<Item = Line<'_>> + '_ {
        let first = self.first_number;
        self.spans.iter().enumerate().map(move |(i, s)| s.line(&self.data, first + i as u64))
    }

    /// How many lines the chunk holds.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether the chunk holds no line.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }
}

impl<'a> Line<'a> {
    /// The line as a reader of NDJSON records takes it (lcount, lgrep):
    /// `Ok(None)` for a blank line, passed over; the complaint for a line
    /// cut at [`MAX_RECORD`], too long to be read whole and never read as a
    /// record; else the text of the record.
    pub fn record(&self) -> Result<Option<&'a [u8]>, String> {
        if self.truncated {
            return Err(too_long(MAX_RECORD, "skipped"));
        }
        if self.bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        Ok(Some(self.bytes))
    }
}

/// Splits a byte stream into lines.
///
/// Memory is bounded by the maximum line length: a longer line is returned
/// cut to that length with `truncated` set, and its remainder is discarded.
/// A last line without a newline is returned at end of input.
pub struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    /// Unconsumed data is `buf[start..end]`.
    start: usize,
    end: usize,
    eof: bool,
    /// Following a growing file: end of input is only the end for now.
    follow: bool,
    /// Bytes read from `inner` so far.
    read_total: u64,
    /// Set after a cut line: drop bytes until the next newline.
    skipping: bool,
    number: u64,
    max_line: usize,
    /// The least buffer a chunk takes (see [`CHUNK_TARGET`]).
    chunk_min: usize,
    /// The input, to ask whether a read would block (a duplicate of its
    /// descriptor: the reader's type does not promise one where it reads).
    idle_fd: Option<OwnedFd>,
}

/// Something to do when the input has no data ready: typically, flush the
/// output so that a downstream reader sees what we have while we wait.
pub trait Idle {
    /// Called before a read that would block.
    ///
    /// # Errors
    /// An error ends the read with it (a closed output, say).
    fn idle(&mut self) -> io::Result<()>;
}

/// An [`Idle`] hook that does nothing, for readers of in-memory data.
pub struct NoIdle;

impl Idle for NoIdle {
    fn idle(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<R: Read> LineReader<R> {
    /// A reader of `inner`, with lines of at most [`DEFAULT_MAX_LINE`]
    /// bytes (see [`LineReader::max_line`]).
    pub fn new(inner: R) -> Self {
        Self::with_capacity(inner, INITIAL_BUF)
    }

    /// A reader with a smaller first buffer (it grows for long lines): for
    /// followers of many files, where 256 KiB each would add up.
    pub fn with_capacity(inner: R, capacity: usize) -> Self {
        LineReader {
            inner,
            buf: vec![0; capacity.max(16)],
            start: 0,
            end: 0,
            eof: false,
            follow: false,
            read_total: 0,
            skipping: false,
            number: 0,
            max_line: DEFAULT_MAX_LINE,
            chunk_min: CHUNK_TARGET,
            idle_fd: None,
        }
    }

    /// Sets the maximum line length in bytes (at least 1).
    pub fn max_line(mut self, max: usize) -> Self {
        self.max_line = max.max(1);
        self
    }

    /// Follows a growing input: at its current end, [`LineReader::next_line`]
    /// returns `None` but keeps an unterminated last line, and reads again on
    /// the next call. [`LineReader::finish`] gives the held line at exit.
    pub fn follow(mut self) -> Self {
        self.follow = true;
        self
    }

    /// The position in the input just after the last line returned (or
    /// skipped): where to resume reading another time.
    pub fn position(&self) -> u64 {
        self.read_total - (self.end - self.start) as u64
    }

    /// The unterminated last line held while following, if any, consumed.
    pub fn finish(&mut self) -> Option<Line<'_>> {
        if self.start == self.end || self.skipping {
            return None;
        }
        let (line_start, len) = (self.start, self.end - self.start);
        self.start = self.end;
        let span = self.span(line_start, len, false);
        Some(span.line(&self.buf, self.number))
    }

    /// Forgets buffered data and restarts counting at `position` (after the
    /// caller moved the underlying reader there, e.g. to 0 after a
    /// truncation).
    pub fn reset(&mut self, position: u64) {
        self.start = 0;
        self.end = 0;
        self.eof = false;
        self.skipping = false;
        self.read_total = position;
    }

    /// The underlying reader, to seek or inspect it.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// The underlying reader.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The maximum line length.
    pub fn max_line_len(&self) -> usize {
        self.max_line
    }

    /// The number of the last line returned.
    pub fn line_number(&self) -> u64 {
        self.number
    }

    /// Returns the next line, or `None` at end of input. Before a read that
    /// would block (the input is a pipe or terminal with nothing ready),
    /// `idle` is called.
    pub fn next_line(&mut self, idle: &mut dyn Idle) -> io::Result<Option<Line<'_>>> {
        loop {
            match self.step() {
                Step::Line(span) => return Ok(Some(span.line(&self.buf, self.number))),
                Step::End => return Ok(None),
                Step::NeedData => self.fill(idle)?,
            }
        }
    }

    /// [`LineReader::next_line`], with where the line starts in the input
    /// (its first byte's offset, counted as [`LineReader::position`] is):
    /// for `ltail --offset`. After a cut line, whose rest is skipped, that
    /// is not where reading stopped.
    pub fn next_line_at(&mut self, idle: &mut dyn Idle) -> io::Result<Option<(u64, Line<'_>)>> {
        loop {
            match self.step() {
                Step::Line(span) => {
                    let at = self.read_total - (self.end - span.start) as u64;
                    return Ok(Some((at, span.line(&self.buf, self.number))));
                }
                Step::End => return Ok(None),
                Step::NeedData => self.fill(idle)?,
            }
        }
    }

    /// Returns the next lines as one [`Chunk`] of about a buffer's worth
    /// (at least [`CHUNK_TARGET`] bytes once the first chunk is out), or
    /// `None` at end of input: for handing whole lines to worker threads.
    /// The lines are exactly those [`LineReader::next_line`] would have
    /// returned, numbered, cut and stripped alike; the chunk takes the
    /// buffer they lie in rather than copying them (`spare` is an empty
    /// chunk to reuse, e.g. one whose lines have been dealt with).
    pub fn next_chunk(&mut self, idle: &mut dyn Idle, spare: Chunk) -> io::Result<Option<Chunk>> {
        let Chunk { data: mut next_buf, mut spans, .. } = spare;
        spans.clear();
        let mut first_number = 0;
        loop {
            match self.step() {
                Step::Line(span) => {
                    if spans.is_empty() {
                        first_number = self.number;
                    }
                    spans.push(span);
                }
                Step::End => break,
                // Refilling moves the buffered data: hand out the lines
                // found so far first.
                Step::NeedData if spans.is_empty() => self.fill(idle)?,
                Step::NeedData => break,
            }
        }
        if spans.is_empty() {
            return Ok(None);
        }
        // The chunk takes the buffer; what is left of it (the start of the
        // next line) moves to the front of a fresh one.
        let rest = self.end - self.start;
        let len = self.buf.len().max(self.chunk_min).max(rest + 1);
        // A recycled chunk's bytes are read over, not cleared and zeroed
        // again (`resize` zeroes only what it adds): only the bytes from
        // `start` to `end` are ever looked at. Zeroing 1 MiB a chunk was
        // 15% of lcount's instructions on a large file (callgrind, `lcount
        // --status 404` on 40,000 records of bench/data/parsed.ndjson).
        next_buf.resize(len, 0);
        next_buf[..rest].copy_from_slice(&self.buf[self.start..self.end]);
        let data = std::mem::replace(&mut self.buf, next_buf);
        self.start = 0;
        self.end = rest;
        Ok(Some(Chunk { data, spans, first_number }))
    }

    /// Finds the next line in the data already read, without reading: the
    /// one splitting rule behind [`LineReader::next_line`] and
    /// [`LineReader::next_chunk`].
    fn step(&mut self) -> Step {
        loop {
            let avail = &self.buf[self.start..self.end];
            if let Some(i) = memchr::memchr(b'\n', avail) {
                let line_start = self.start;
                self.start += i + 1;
                if self.skipping {
                    self.skipping = false;
                    continue;
                }
                return Step::Line(self.span(line_start, i, true));
            }
            if self.skipping {
                self.start = self.end;
            } else if avail.len() > self.max_line + 1
                || (avail.len() == self.max_line + 1 && avail[self.max_line] != b'\r')
            {
                // More than the maximum and no newline yet (a last `\r` may
                // still be the start of a `\r\n`): the line is too long.
                // Return its first part and skip the rest.
                let (line_start, len) = (self.start, avail.len());
                self.start += self.max_line;
                self.skipping = true;
                return Step::Line(self.span(line_start, len, false));
            }
            if self.eof && self.follow {
                // The end for now: keep a partial last line until its
                // newline arrives (or `finish` is called), and read again
                // next time.
                self.eof = false;
                return Step::End;
            }
            if self.eof {
                if self.start == self.end || self.skipping {
                    self.start = self.end;
                    return Step::End;
                }
                let (line_start, len) = (self.start, self.end - self.start);
                self.start = self.end;
                return Step::Line(self.span(line_start, len, false));
            }
            return Step::NeedData;
        }
    }

    /// Numbers the line of `len` bytes (terminator excluded) at `start`,
    /// cut to the maximum if longer. A `\r` before the `\n` belongs to the
    /// terminator: it is not part of the line and does not count against
    /// the maximum; a `\r` at the very end of the input, with no `\n`
    /// after it, is data. A cut is the same whatever the buffering.
    fn span(&mut self, start: usize, len: usize, terminated: bool) -> Span {
        self.number += 1;
        let cr = terminated && len > 0 && self.buf[start + len - 1] == b'\r';
        let len = len - usize::from(cr);
        if len > self.max_line {
            // Whether the newline was in sight when the cut was made depends
            // on the buffering; a cut line counts as unterminated always.
            return Span::new(start, self.max_line, true, false);
        }
        Span::new(start, len, false, terminated)
    }

    /// Makes room and reads more data.
    fn fill(&mut self, idle: &mut dyn Idle) -> io::Result<()> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            // The buffer holds a partial line shorter than the maximum: grow,
            // never beyond the maximum line length plus one read's worth.
            let want = (self.buf.len() * 2).min(self.max_line + INITIAL_BUF);
            self.buf.resize(want.max(self.buf.len() + 1), 0);
        }
        if let Some(fd) = &self.idle_fd {
            // An error of poll counts as ready: the read will tell.
            if !crate::sys::wait_readable(fd, Some(std::time::Duration::ZERO)).unwrap_or(true) {
                idle.idle()?;
            }
        }
        loop {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.end += n;
                    self.read_total += n as u64;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

impl<R: Read + AsFd> LineReader<R> {
    /// Calls the idle hook of [`LineReader::next_line`] when a read on this
    /// input would block. Only needed for inputs that can go idle (pipes,
    /// terminals); for regular files poll always reports data ready.
    pub fn watch_idle(mut self) -> Self {
        // Without a duplicate (out of descriptors), the hook never runs:
        // output is flushed at the end only.
        self.idle_fd = self.inner.as_fd().try_clone_to_owned().ok();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(data: &[u8], max: usize) -> Vec<(Vec<u8>, bool)> {
        let mut r = LineReader::new(data).max_line(max);
        r.buf = vec![0; 4]; // force many refills and buffer moves
        let mut v = Vec::new();
        while let Some(l) = r.next_line(&mut NoIdle).unwrap() {
            v.push((l.bytes.to_vec(), l.truncated));
        }
        v
    }

    #[test]
    fn splits_lines_and_strips_terminators() {
        let got = lines(b"a\nbb\r\n\nlast", 100);
        let want: Vec<(Vec<u8>, bool)> = vec![
            (b"a".to_vec(), false),
            (b"bb".to_vec(), false),
            (b"".to_vec(), false),
            (b"last".to_vec(), false),
        ];
        assert_eq!(got, want);
        assert!(lines(b"", 100).is_empty());
        assert_eq!(lines(b"x\n", 100).len(), 1);
    }

    #[test]
    fn long_lines_are_cut_and_the_rest_skipped() {
        let got = lines(b"0123456789\nab\n0123456789", 4);
        assert_eq!(
            got,
            vec![(b"0123".to_vec(), true), (b"ab".to_vec(), false), (b"0123".to_vec(), true)]
        );
        // Exactly the maximum is not too long.
        assert_eq!(
            lines(
                b"0123
", 4
            ),
            vec![(b"0123".to_vec(), false)]
        );
    }

    #[test]
    fn a_crlf_terminator_does_not_count_against_the_maximum() {
        // Exactly the maximum before `\r\n`: whole, whatever the buffering.
        assert_eq!(
            lines(b"abcd\r\nxyz\n", 4),
            vec![(b"abcd".to_vec(), false), (b"xyz".to_vec(), false)]
        );
        // A `\r` then more data: the line is longer than the maximum.
        assert_eq!(lines(b"abcd\rX\n", 4), vec![(b"abcd".to_vec(), true)]);
        // A `\r` at the very end, with no `\n` after it, is data.
        assert_eq!(lines(b"c\r", 4), vec![(b"c\r".to_vec(), false)]);
        assert_eq!(lines(b"abcd\r", 4), vec![(b"abcd".to_vec(), true)]);
    }

    #[test]
    fn each_line_comes_with_where_it_starts() {
        let input: &[u8] = b"ab\r\ncdefghij\nk\n\nlast";
        for capacity in [1, 2, 5, 64] {
            let mut r = LineReader::with_capacity(input, capacity).max_line(3);
            let mut got = Vec::new();
            while let Some((at, line)) = r.next_line_at(&mut NoIdle).unwrap() {
                got.push((at, line.bytes.to_vec()));
            }
            let want: Vec<(u64, Vec<u8>)> =
                [(0, "ab"), (4, "cde"), (13, "k"), (15, ""), (16, "las")]
                    .iter()
                    .map(|(at, l)| (*at, l.as_bytes().to_vec()))
                    .collect();
            assert_eq!(got, want, "capacity {capacity}");
        }
    }

    #[test]
    fn following_holds_a_partial_line_and_tracks_the_position() {
        // A reader whose data grows between calls.
        struct Growing(std::rc::Rc<std::cell::RefCell<(Vec<u8>, usize)>>);
        impl Read for Growing {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let mut s = self.0.borrow_mut();
                let (data, pos) = &mut *s;
                let n = (data.len() - *pos).min(buf.len());
                buf[..n].copy_from_slice(&data[*pos..*pos + n]);
                *pos += n;
                Ok(n)
            }
        }
        let shared = std::rc::Rc::new(std::cell::RefCell::new((b"one\ntw".to_vec(), 0)));
        let mut r = LineReader::new(Growing(shared.clone())).follow();
        assert_eq!(r.next_line(&mut NoIdle).unwrap().unwrap().bytes, b"one");
        assert_eq!(r.position(), 4);
        assert!(r.next_line(&mut NoIdle).unwrap().is_none());
        assert_eq!(r.position(), 4);
        shared.borrow_mut().0.extend_from_slice(b"o\nthree");
        assert_eq!(r.next_line(&mut NoIdle).unwrap().unwrap().bytes, b"two");
        assert_eq!(r.position(), 8);
        assert!(r.next_line(&mut NoIdle).unwrap().is_none());
        assert_eq!(r.finish().unwrap().bytes, b"three");
        assert!(r.finish().is_none());
    }

    #[test]
    fn line_numbers_count_from_one() {
        let mut r = LineReader::new(&b"a\nb\n"[..]);
        assert_eq!(r.next_line(&mut NoIdle).unwrap().unwrap().number, 1);
        assert_eq!(r.next_line(&mut NoIdle).unwrap().unwrap().number, 2);
        assert!(r.next_line(&mut NoIdle).unwrap().is_none());
        assert_eq!(r.line_number(), 2);
    }

    /// Every line as (bytes, number, truncated, terminated), by chunks.
    fn chunked(data: &[u8], max: usize) -> Vec<(Vec<u8>, u64, bool, bool)> {
        let mut r = LineReader::new(data).max_line(max);
        r.buf = vec![0; 4];
        r.chunk_min = 8;
        let mut v = Vec::new();
        let mut spare = Chunk::default();
        while let Some(chunk) = r.next_chunk(&mut NoIdle, spare).unwrap() {
            assert!(!chunk.is_empty());
            v.extend(
                chunk.lines().map(|l| (l.bytes.to_vec(), l.number, l.truncated, l.terminated)),
            );
            spare = chunk;
        }
        v
    }

    #[test]
    fn chunks_hold_whole_lines_numbered_in_order() {
        let data = b"first\r\nsecond line\n0123456789abcdef\n\nlast";
        let got = chunked(data, 10);
        let want: Vec<(Vec<u8>, u64, bool, bool)> = vec![
            (b"first".to_vec(), 1, false, true),
            (b"second lin".to_vec(), 2, true, false),
            (b"0123456789".to_vec(), 3, true, false),
            (b"".to_vec(), 4, false, true),
            (b"last".to_vec(), 5, false, false),
        ];
        assert_eq!(got, want);
    }

    proptest::proptest! {
        #[test]
        fn chunks_give_the_lines_of_next_line(data in proptest::collection::vec(
            proptest::sample::select(vec![b'a', b'b', b'\n', b'\r']), 0..300), max in 1usize..20) {
            let mut r = LineReader::new(&data[..]).max_line(max);
            r.buf = vec![0; 4];
            let mut want = Vec::new();
            while let Some(l) = r.next_line(&mut NoIdle).unwrap() {
                want.push((l.bytes.to_vec(), l.number, l.truncated, l.terminated));
            }
            proptest::prop_assert_eq!(chunked(&data, max), want);
        }

        #[test]
        fn matches_a_simple_split(data in proptest::collection::vec(
            proptest::sample::select(vec![b'a', b'b', b'\n', b'\r']), 0..300), max in 1usize..20) {
            let mut parts: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
            if data.last() == Some(&b'\n') || data.is_empty() {
                parts.pop();
            }
            let got = lines(&data, max);
            proptest::prop_assert_eq!(got.len(), parts.len());
            let last = parts.len().saturating_sub(1);
            for (i, ((line, truncated), raw)) in got.iter().zip(&parts).enumerate() {
                let terminated = i < last || data.last() == Some(&b'\n');
                // A `\r` before a `\n` is part of the terminator.
                let content = if terminated { raw.strip_suffix(b"\r").unwrap_or(raw) } else { raw };
                if content.len() > max {
                    proptest::prop_assert!(*truncated);
                    proptest::prop_assert_eq!(&line[..], &content[..max]);
                } else {
                    proptest::prop_assert!(!*truncated);
                    proptest::prop_assert_eq!(&line[..], content);
                }
            }
        }
    }
}
