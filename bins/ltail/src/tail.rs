//! Where reading starts: `-n N` (the last N lines) and `-n +N` (from line N).

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};

/// The `-n` argument, as GNU tail reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// `-n N`: the last N lines.
    LastLines(u64),
    /// `-n +N`: from the N-th line on (1-based; `+0` is the same as `+1`).
    FromLine(u64),
}

impl std::str::FromStr for Start {
    type Err = String;

    fn from_str(s: &str) -> Result<Start, String> {
        let bad = || format!("invalid number of lines: {s:?}");
        match s.strip_prefix('+') {
            Some(n) => Ok(Start::FromLine(n.parse::<u64>().map_err(|_| bad())?.max(1))),
            None => {
                Ok(Start::LastLines(s.strip_prefix('-').unwrap_or(s).parse().map_err(|_| bad())?))
            }
        }
    }
}

const BLOCK: u64 = 64 * 1024;

/// The byte offset where the last `n` lines of a regular file of `len`
/// bytes begin, found by reading blocks backwards from the end, so that the
/// cost is in the size of those lines and not of the file. A final line
/// without a newline counts as a line. `None` when the file turned out
/// shorter than `len` (it shrank meanwhile, or its size is not its length).
pub fn start_of_last_lines(file: &mut File, n: u64, len: u64) -> io::Result<Option<u64>> {
    if n == 0 {
        return Ok(Some(len));
    }
    let mut buf = vec![0u8; BLOCK as usize];
    let mut end = len;
    let mut seen = 0;
    while end > 0 {
        let start = end.saturating_sub(BLOCK);
        let block = &mut buf[..(end - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        if !read_full(file, block)? {
            return Ok(None);
        }
        for i in memchr::memrchr_iter(b'\n', block) {
            let pos = start + i as u64;
            if pos == len - 1 {
                continue; // the terminator of the last line
            }
            seen += 1;
            if seen == n {
                return Ok(Some(pos + 1));
            }
        }
        end = start;
    }
    Ok(Some(0))
}

/// Fills `buf`; `false` if the file ended first.
fn read_full(file: &mut File, buf: &mut [u8]) -> io::Result<bool> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..]) {
            Ok(0) => return Ok(false),
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

/// The last n lines of a stream that cannot seek, each with its number,
/// where it starts in the stream, and whether it was cut.
pub struct LastLines {
    n: usize,
    lines: VecDeque<(Vec<u8>, u64, u64, bool)>,
}

impl LastLines {
    pub fn new(n: u64) -> Self {
        LastLines { n: usize::try_from(n).unwrap_or(usize::MAX), lines: VecDeque::new() }
    }

    pub fn push(&mut self, bytes: &[u8], number: u64, at: u64, truncated: bool) {
        if self.n == 0 {
            return;
        }
        let mut slot = if self.lines.len() == self.n {
            self.lines.pop_front().map(|(v, ..)| v).unwrap_or_default()
        } else {
            Vec::new()
        };
        slot.clear();
        slot.extend_from_slice(bytes);
        self.lines.push_back((slot, number, at, truncated));
    }

    pub fn iter(&self) -> impl Iterator<Item = (&[u8], u64, u64, bool)> {
        self.lines.iter().map(|(v, n, at, t)| (v.as_slice(), *n, *at, *t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn last(content: &[u8], n: u64) -> Vec<u8> {
        let mut f = tempfile();
        f.write_all(content).unwrap();
        let len = f.metadata().unwrap().len();
        let off = start_of_last_lines(&mut f, n, len).unwrap().unwrap();
        content[off as usize..].to_vec()
    }

    fn tempfile() -> File {
        let dir = std::env::temp_dir();
        let path = dir.join(format!(
            "ltail-tail-test-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .unwrap();
        std::fs::remove_file(&path).unwrap();
        f
    }

    #[test]
    fn finds_the_last_lines() {
        assert_eq!(last(b"a\nb\nc\n", 2), b"b\nc\n");
        assert_eq!(last(b"a\nb\nc", 2), b"b\nc");
        assert_eq!(last(b"a\nb\nc\n", 5), b"a\nb\nc\n");
        assert_eq!(last(b"a\nb\nc\n", 0), b"");
        assert_eq!(last(b"", 3), b"");
        assert_eq!(last(b"\n\n", 1), b"\n");
    }

    #[test]
    fn works_across_blocks() {
        let mut content = Vec::new();
        for i in 0..50_000 {
            writeln!(content, "line {i}").unwrap();
        }
        let got = last(&content, 20_000);
        assert_eq!(got.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count(), 20_000);
        assert!(got.starts_with(b"line 30000\n"));
    }

    #[test]
    fn parses_counts() {
        assert_eq!("10".parse(), Ok(Start::LastLines(10)));
        assert_eq!("+5".parse(), Ok(Start::FromLine(5)));
        assert_eq!("+0".parse(), Ok(Start::FromLine(1)));
        assert!("x".parse::<Start>().is_err());
    }
}
