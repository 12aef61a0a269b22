//! Multi-line entries: a stack trace, a goroutine dump, a syslog message
//! continued on indented lines. The rule, as lnav and Vector state theirs:
//!
//! * In a source whose last record came from a format whose entries may
//!   span lines (`applog`, `syslog`, `apache_error`, `nginx_error`), that
//!   record is held: a following line of the same source (and stream) that
//!   does not start an entry belongs to it.
//! * A line does not start an entry when it has a continuation's shape
//!   ([`continues`]: indented; `Caused by:`, `... 12 more`; Python's
//!   `Traceback (most recent call last):` and the final `KeyError: …`
//!   line; Go's `goroutine 1 [running]:`, `main.main()` and `created by`
//!   lines; an exception's `java.lang.IllegalStateException: …` line; a
//!   blank line), or when no format reads it.
//! * With `--multiline PATTERN`, a line matching PATTERN starts an entry and
//!   any other line continues the one before, whatever the format.
//! * The entry is parsed whole: its first line gives the fields, and `msg`
//!   (or the last field of the line) keeps the continuation lines, joined
//!   by `\n`. Blank lines at its end are dropped.
//! * Bounds: an entry stops growing at [`MAX_ENTRY`] bytes (the rest of its
//!   lines are dropped, the record is marked `truncated` and reported);
//!   while following, a held entry is written after [`TIMEOUT`] without a
//!   line, so `ltail -f | lparse` shows it without waiting for the next
//!   entry; at the end of the input it is written at once.
//!
//! Entries are held per source and stream: a line of another source (or
//! of stderr between two lines of a trace on stdout) leaves the entry open.
//! Each source's records stay in their order; an entry is written when it
//! ends, so records of different sources may come in another order than
//! their first lines.

use std::time::Duration;

/// The largest entry, in bytes: the longest line ltail carries.
pub const MAX_ENTRY: usize = logkit_common::input::DEFAULT_MAX_LINE;

/// How long a held entry (or a piece of a split line) waits for its next
/// line on a live input: it is written at most one [`TICK`] later.
pub const TIMEOUT: Duration = Duration::from_secs(1);

/// How often a live input is checked for held entries that timed out.
pub const TICK: Duration = Duration::from_millis(250);

/// Whether `line` has the shape of a continuation line (see the module's
/// rule).
pub fn continues(line: &[u8]) -> bool {
    let Some(&first) = line.first() else { return true };
    if first == b' ' || first == b'\t' || line.iter().all(u8::is_ascii_whitespace) {
        return true;
    }
    const STARTS: [&[u8]; 12] = [
        b"Caused by: ",
        b"Suppressed: ",
        b"... ",
        b"Traceback (most recent call last):",
        b"During handling of the above exception",
        b"The above exception was the direct cause",
        b"goroutine ",
        b"panic: ",
        b"created by ",
        b"[signal ",
        b"Exception in thread \"",
        b"exit status ",
    ];
    STARTS.iter().any(|s| line.starts_with(s)) || exception(line) || go_frame(line)
}

/// An exception's line: a (dotted) name ending in `Error`, `Exception`,
/// `Throwable`, `Warning`, `Exit` or `Interrupt`, alone or followed by `:`.
fn exception(line: &[u8]) -> bool {
    let name_len = line
        .iter()
        .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'$')
        .count();
    let name = &line[..name_len];
    let ends = [&b"Error"[..], b"Exception", b"Throwable", b"Warning", b"Exit", b"Interrupt"]
        .iter()
        .any(|e| name.ends_with(e));
    ends && name[0].is_ascii_alphabetic() && matches!(line.get(name_len), None | Some(b':'))
}

/// A Go stack frame's function line: `main.main()`,
/// `net/http.(*conn).serve(0xc000132000, {0x7a1e48, 0xc0001a2000})`.
fn go_frame(line: &[u8]) -> bool {
    let Some(paren) = memchr::memchr(b'(', line) else { return false };
    let name = &line[..paren];
    !name.is_empty()
        && line.ends_with(b")")
        && name.contains(&b'.')
        && !name.iter().any(u8::is_ascii_whitespace)
}

/// A record held for its continuation lines.
#[derive(Debug, Default)]
pub struct Held {
    /// Whether a record is held.
    pub active: bool,
    /// Where its record starts in the output buffer (it is the last).
    pub start: usize,
    /// Its record, while it is parked out of the buffer (another source's
    /// lines came between).
    pub record: Vec<u8>,
    /// The source (and stream) it came from.
    pub key: Vec<u8>,
    /// The record's leading fields (`src`, a wrapper's fields).
    pub prefix: Vec<u8>,
    /// Whether `prefix` holds fields `ltail --add-field` added.
    pub added: bool,
    /// The wrapper's time, `ts` when the entry has none.
    pub recv_ts: Vec<u8>,
    pub has_recv_ts: bool,
    /// Its first line, then `\n` and each continuation line.
    pub text: Vec<u8>,
    /// How many continuation lines it took.
    pub lines: usize,
    /// Whether its first line was cut.
    pub truncated: bool,
    /// Lines dropped over [`MAX_ENTRY`].
    pub dropped: usize,
    /// The line number of its first line, for messages.
    pub number: u64,
    /// Where its first line was read, for messages.
    pub place: String,
    /// Why no format read its first line (`--multiline` holds such
    /// entries too; they are kept whole with this reason).
    pub failed: Option<&'static str>,
    /// When its last line came, on a live input (else `None`: it waits
    /// for the end of the input).
    pub since: Option<std::time::Instant>,
}

impl Held {
    /// Adds a continuation line.
    pub fn push(&mut self, line: &[u8]) {
        if self.since.is_some() {
            self.since = Some(std::time::Instant::now());
        }
        if self.dropped > 0 || self.text.len() + 1 + line.len() > MAX_ENTRY {
            self.dropped += 1;
            return;
        }
        self.text.push(b'\n');
        self.text.extend_from_slice(line);
        self.lines += 1;
    }

    /// Whether it waited [`TIMEOUT`] (or `all`: the input ended).
    pub fn expired(&self, all: bool) -> bool {
        all || self.since.is_some_and(|t| t.elapsed() >= TIMEOUT)
    }

    /// The entry's text, blank lines at its end dropped.
    pub fn entry(&self) -> &[u8] {
        let mut end = self.text.len();
        while let Some(nl) = memchr::memrchr(b'\n', &self.text[..end]) {
            if self.text[nl + 1..end].iter().all(u8::is_ascii_whitespace) {
                end = nl;
            } else {
                break;
            }
        }
        &self.text[..end]
    }
}

/// Writes to `out` the record `first` (a JSON object and its `\n`, the
/// record of an entry's first line) with `more` (`\n` and the continuation
/// lines) added to the end of its `msg`, and `"truncated":true` when `cut`.
/// Returns false, writing nothing, when `first` has no `msg` string to
/// continue (or its bytes are in `msg_b64`): then the entry is parsed whole.
pub fn continue_msg(first: &[u8], more: &[u8], cut: bool, out: &mut Vec<u8>) -> bool {
    use logkit_common::flat::{decode_str_into, Fields};
    use logkit_common::record;
    let json = first.strip_suffix(b"\n").unwrap_or(first);
    let Ok(mut fields) = Fields::new(json) else { return false };
    let mut kept: Vec<(&[u8], &[u8])> = Vec::new();
    let mut msg = None;
    let mut truncated = false;
    while let Ok(Some(f)) = fields.next() {
        if f.key == record::MSG.as_bytes() && f.value.first() == Some(&b'"') {
            msg = Some(kept.len());
        }
        if f.key == b"msg_b64" {
            return false;
        }
        truncated |= f.key == record::TRUNCATED.as_bytes();
        kept.push((f.key, f.value));
    }
    let Some(at) = msg else { return false };
    let mut text = Vec::new();
    decode_str_into(kept[at].1, &mut text);
    text.extend_from_slice(more);
    let start = out.len();
    let mut obj = logkit_common::json::Object::new(out);
    for (i, (key, value)) in kept.iter().enumerate() {
        if i == at {
            obj.bytes(record::MSG, &text);
        } else {
            // The key and value as they were: valid JSON already.
            obj.raw_fields(&[b"\"", *key, b"\":", *value].concat());
        }
    }
    if cut && !truncated {
        obj.raw(record::TRUNCATED, b"true");
    }
    obj.finish();
    out.push(b'\n');
    debug_assert!(out.len() > start);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuation_shapes() {
        for line in [
            "\tat com.example.Foo.bar(Foo.java:12)",
            "Caused by: java.lang.NullPointerException",
            "\t... 12 more",
            "... 12 more",
            "Traceback (most recent call last):",
            "  File \"app.py\", line 3, in <module>",
            "KeyError: 'user'",
            "ValueError",
            "java.lang.IllegalStateException: A book has a null property",
            "requests.exceptions.ConnectionError: refused",
            "goroutine 1 [running]:",
            "main.main()",
            "net/http.(*conn).serve(0xc000132000, {0x7a1e48, 0xc0001a2000})",
            "created by net/http.(*Server).Serve in goroutine 1",
            "panic: runtime error: index out of range [3] with length 3",
            "",
            "   ",
        ] {
            assert!(continues(line.as_bytes()), "{line:?}");
        }
        for line in [
            "2026-01-15 10:23:45,123 ERROR x",
            "Nov 27 03:22:46 host sshd[1]: ok",
            "1.2.3.4 - - [10/Oct/2026:13:55:36 +0000] \"GET / HTTP/1.1\" 200 1",
            "Error while reading (see above)",
            "ErrorCount: 3",
            "Starting server (pid 12)",
        ] {
            assert!(!continues(line.as_bytes()), "{line:?}");
        }
    }

    #[test]
    fn entries_are_bounded_and_trimmed() {
        let mut h = Held { text: b"first".to_vec(), ..Held::default() };
        h.push(b"\tat x");
        h.push(b"");
        h.push(b"  ");
        assert_eq!(h.entry(), b"first\n\tat x");
        h.push(&vec![b'x'; MAX_ENTRY]);
        h.push(b"\tat y");
        assert_eq!((h.lines, h.dropped), (3, 2));
    }
}
