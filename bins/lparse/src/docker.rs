//! Docker's `json-file` log driver: one JSON object per line,
//! `{"log":"<text>\n","stream":"stdout","time":"<RFC 3339, ns>"}`, with an
//! `"attrs":{...}` object before `time` when `--log-opt labels/env/tag` are
//! set (moby `daemon/logger/jsonfilelog`).
//!
//! `log` ends in `\n` for a whole line and for the last piece of a line the
//! daemon split (it reads the container's output 16 KiB at a time, on
//! bytes); a `log` without the `\n` is a piece to join to the next of the
//! same stream (see [`crate::wrap`]). The daemon writes each byte that is
//! not UTF-8, so also each byte of a character cut by the split, as
//! `\ufffd`: what is on disk is joined as it is.

use crate::fields::closing_quote;
use logkit_common::flat::{decode_str_into, Fields};

/// One json-file line, its values as raw JSON text (quotes included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DockerLine<'a> {
    /// The `log` string, still escaped, with its quotes.
    pub log: &'a [u8],
    /// The stream's name (`stdout`, `stderr`), without quotes.
    pub stream: &'a [u8],
    /// The daemon's time, without quotes (RFC 3339 with nanoseconds, UTC).
    pub time: &'a [u8],
}

impl DockerLine<'_> {
    /// The bytes of `log` (decoded into `out`, cleared first) and whether
    /// the line ends there (`log` ended in `\n`; the `\n`, and a `\r`
    /// before it, are no part of the bytes).
    pub fn text<'b>(&self, out: &'b mut Vec<u8>) -> (&'b [u8], bool) {
        decode_str_into(self.log, out);
        let end = out.last() == Some(&b'\n');
        let mut len = out.len() - usize::from(end);
        if end && len > 0 && out[len - 1] == b'\r' {
            len -= 1;
        }
        (&out[..len], end)
    }
}

/// The start every json-file line has (`log` is written first).
const START: &[u8] = b"{\"log\":\"";

/// Whether `line` starts as a json-file line: the one check made on every
/// line that starts with `{`.
#[inline]
pub fn sniff(line: &[u8]) -> bool {
    line.starts_with(START)
}

/// Reads a json-file line; `None` when it is not one (then it is a JSON log
/// line of its own). The layout the daemon writes is read directly; any
/// other order of the same keys through the JSON scanner.
pub fn parse(line: &[u8]) -> Option<DockerLine<'_>> {
    direct(line).or_else(|| scanned(line))
}

/// `{"log":"…","stream":"…"[,"attrs":{…}],"time":"…"}` as moby writes it.
fn direct(line: &[u8]) -> Option<DockerLine<'_>> {
    let line = line.trim_ascii_end();
    let body = line.strip_prefix(START)?;
    let end = closing_quote(body)?;
    let log = &line[START.len() - 1..START.len() + end + 1];
    let rest = body[end + 1..].strip_prefix(b",\"stream\":\"")?;
    let q = memchr::memchr(b'"', rest)?;
    let stream = &rest[..q];
    let rest = &rest[q + 1..];
    // The top-level time is the last key: attrs, before it, may hold one.
    let at = memchr::memmem::rfind(rest, b",\"time\":\"")?;
    if at != 0 && !rest.starts_with(b",\"attrs\":{") {
        return None;
    }
    let time = rest[at + 9..].strip_suffix(b"\"}")?;
    if time.contains(&b'"') || stream.contains(&b'\\') || !valid_time(time) {
        return None;
    }
    Some(DockerLine { log, stream, time })
}

/// The same keys in any order (a line rewritten by another tool).
fn scanned(line: &[u8]) -> Option<DockerLine<'_>> {
    let mut fields = Fields::new(line).ok()?;
    let (mut log, mut stream, mut time) = (None, None, None);
    while let Some(f) = fields.next().ok()? {
        let string = f.value[0] == b'"';
        if f.key_is("log") && string {
            log = Some(f.value);
        } else if f.key_is("stream") && string && !f.value.contains(&b'\\') {
            stream = Some(&f.value[1..f.value.len() - 1]);
        } else if f.key_is("time") && string {
            time = Some(&f.value[1..f.value.len() - 1]);
        } else if !f.key_is("attrs") {
            return None;
        }
    }
    let time = time.filter(|t| valid_time(t))?;
    Some(DockerLine { log: log?, stream: stream?, time })
}

/// Whether `t` is a whole RFC 3339 time (so that it can be written as
/// `recv_ts` as it stands).
pub fn valid_time(t: &[u8]) -> bool {
    logkit_common::time::layouts::rfc3339(t).is_some_and(|(_, n)| n == t.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(line: &[u8]) -> Option<(Vec<u8>, bool, String, String)> {
        let d = parse(line)?;
        let mut buf = Vec::new();
        let (t, end) = d.text(&mut buf);
        let s = |b: &[u8]| String::from_utf8(b.to_vec()).unwrap();
        Some((t.to_vec(), end, s(d.stream), s(d.time)))
    }

    #[test]
    fn reads_what_the_daemon_writes() {
        let (t, end, stream, time) = text(
            br#"{"log":"1.2.3.4 - - [10/Oct/2026:13:55:36 +0000] \"GET /a HTTP/1.1\" 404 5 \"-\" \"curl/8\"\n","stream":"stdout","time":"2026-10-10T13:55:36.123456789Z"}"#,
        )
        .unwrap();
        assert_eq!(
            t,
            br#"1.2.3.4 - - [10/Oct/2026:13:55:36 +0000] "GET /a HTTP/1.1" 404 5 "-" "curl/8""#
        );
        assert!(end);
        assert_eq!((stream.as_str(), time.as_str()), ("stdout", "2026-10-10T13:55:36.123456789Z"));
        // A piece: no newline at the end; \u003c as moby escapes `<`.
        let (t, end, _, _) = text(
            br#"{"log":"one \u003cb\u003e","stream":"stderr","time":"2021-02-01T01:40:03.53413Z"}"#,
        )
        .unwrap();
        assert_eq!((t.as_slice(), end), (&b"one <b>"[..], false));
        // attrs, with a "time" of their own, before the time.
        let (_, _, _, time) = text(br#"{"log":"x\r\n","stream":"stdout","attrs":{"tag":"a","time":"b"},"time":"2021-02-01T01:40:03Z"}"#).unwrap();
        assert_eq!(time, "2021-02-01T01:40:03Z");
        // Another order of the keys.
        let (t, _, stream, _) =
            text(br#"{"log":"y\n","time":"2021-02-01T01:40:03Z","stream":"stdout"}"#).unwrap();
        assert_eq!((t.as_slice(), stream.as_str()), (&b"y"[..], "stdout"));
    }

    #[test]
    fn other_json_is_not_docker() {
        for line in [
            &br#"{"log":"x\n","stream":"stdout"}"#[..],
            br#"{"log":"x\n","stream":"stdout","time":"yesterday"}"#,
            br#"{"log":"x\n","stream":"stdout","time":"2021-02-01T01:40:03Z","level":"info"}"#,
            br#"{"log":"x"#,
            br#"{"log":7,"stream":"stdout","time":"2021-02-01T01:40:03Z"}"#,
        ] {
            assert_eq!(parse(line), None, "{}", String::from_utf8_lossy(line));
        }
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_never_panic(line in proptest::collection::vec(proptest::num::u8::ANY, 0..120)) {
            let mut with_start = START.to_vec();
            with_start.extend_from_slice(&line);
            for l in [&line, &with_start] {
                if let Some(d) = parse(l) {
                    let mut buf = Vec::new();
                    let _ = d.text(&mut buf);
                }
            }
        }
    }
}
