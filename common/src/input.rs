//! Reading lines fast: one reusable buffer, memchr to find line ends, a
//! maximum line length, and a hook that runs before a read would block.

use std::io::{self, Read};
use std::os::fd::{AsRawFd, RawFd};

/// The default maximum line length: a longer line is cut (see [`Line::truncated`]).
pub const DEFAULT_MAX_LINE: usize = 1 << 20;

const INITIAL_BUF: usize = 256 * 1024;

/// One line, without its terminator (`\n`, or `\r\n`: the `\r` belongs to
/// the terminator).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line<'a> {
    pub bytes: &'a [u8],
    /// 1-based line number in this input.
    pub number: u64,
    /// The line was longer than the maximum and was cut; the rest of it, up
    /// to the next newline, was skipped.
    pub truncated: bool,
    /// The line ended with a newline (false for a last line without one).
    pub terminated: bool,
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
    idle_fd: Option<RawFd>,
}

/// Something to do when the input has no data ready: typically, flush the
/// output so that a downstream reader sees what we have while we wait.
pub trait Idle {
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
        Some(self.line_at(line_start, len, false))
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
            let avail = &self.buf[self.start..self.end];
            if let Some(i) = memchr::memchr(b'\n', avail) {
                let line_start = self.start;
                self.start += i + 1;
                if self.skipping {
                    self.skipping = false;
                    continue;
                }
                return Ok(Some(self.line_at(line_start, i, true)));
            }
            if self.skipping {
                self.start = self.end;
            } else if avail.len() > self.max_line {
                // More than the maximum and no newline yet: the line is too
                // long. Return its first part and skip the rest.
                let line_start = self.start;
                self.start += self.max_line;
                self.skipping = true;
                return Ok(Some(self.line_at(line_start, avail.len(), false)));
            }
            if self.eof && self.follow {
                // The end for now: keep a partial last line until its
                // newline arrives (or `finish` is called), and read again
                // next time.
                self.eof = false;
                return Ok(None);
            }
            if self.eof {
                if self.start == self.end || self.skipping {
                    self.start = self.end;
                    return Ok(None);
                }
                let (line_start, len) = (self.start, self.end - self.start);
                self.start = self.end;
                return Ok(Some(self.line_at(line_start, len, false)));
            }
            self.fill(idle)?;
        }
    }

    /// The line of `len` bytes (terminator excluded) at `start`, cut to the
    /// maximum if longer. The limit counts the bytes before the `\n`, so a
    /// `\r` of `\r\n` counts; a cut is the same whatever the buffering.
    fn line_at(&mut self, start: usize, len: usize, terminated: bool) -> Line<'_> {
        self.number += 1;
        if len > self.max_line {
            let bytes = &self.buf[start..start + self.max_line];
            return Line { bytes, number: self.number, truncated: true, terminated };
        }
        let mut bytes = &self.buf[start..start + len];
        if let [rest @ .., b'\r'] = bytes {
            bytes = rest;
        }
        Line { bytes, number: self.number, truncated: false, terminated }
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
        if let Some(fd) = self.idle_fd {
            if !readable_now(fd) {
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

impl<R: Read + AsRawFd> LineReader<R> {
    /// Calls the idle hook of [`LineReader::next_line`] when a read on this
    /// input would block. Only needed for inputs that can go idle (pipes,
    /// terminals); for regular files poll always reports data ready.
    pub fn watch_idle(mut self) -> Self {
        self.idle_fd = Some(self.inner.as_raw_fd());
        self
    }
}

/// Whether a read on `fd` would return at once (data, end of file or error).
fn readable_now(fd: RawFd) -> bool {
    let mut pfd = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
    // SAFETY: one valid pollfd, zero timeout.
    let n = unsafe { libc::poll(&mut pfd, 1, 0) };
    n != 0
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

    proptest::proptest! {
        #[test]
        fn matches_a_simple_split(data in proptest::collection::vec(
            proptest::sample::select(vec![b'a', b'b', b'\n', b'\r']), 0..300), max in 1usize..20) {
            let mut parts: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
            if data.last() == Some(&b'\n') || data.is_empty() {
                parts.pop();
            }
            let got = lines(&data, max);
            proptest::prop_assert_eq!(got.len(), parts.len());
            for ((line, truncated), raw) in got.iter().zip(&parts) {
                if raw.len() > max {
                    proptest::prop_assert!(*truncated);
                    proptest::prop_assert_eq!(&line[..], &raw[..max]);
                } else {
                    proptest::prop_assert!(!*truncated);
                    proptest::prop_assert_eq!(&line[..], raw.strip_suffix(b"\r").unwrap_or(raw));
                }
            }
        }
    }
}
