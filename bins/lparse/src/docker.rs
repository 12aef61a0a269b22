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

use logkit_common::flat::{decode_str_into, decode_string, decode_u_escape, short_escape, Fields};

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
    let line = line.trim_ascii_end();
    let body = line.strip_prefix(START)?;
    // The string is checked as it is read (its escapes are JSON's), so that
    // `text` may decode it.
    let end = decode_until_quote(body, &mut Vec::new());
    end.and_then(|end| direct(line, end)).or_else(|| scanned(line))
}

/// A json-file line's stream and time, its `log` decoded into `out` as by
/// [`DockerLine::text`]: `(stream, time, whether the line ends here)`.
/// The same as [`parse`] then [`DockerLine::text`], in one pass over `log`
/// where the daemon's layout allows (the usual case: the string is scanned
/// once, not once to find its end and once to decode it).
pub fn parse_into<'a>(line: &'a [u8], out: &mut Vec<u8>) -> Option<(&'a [u8], &'a [u8], bool)> {
    let trimmed = line.trim_ascii_end();
    // The checking decoder of ltail's records, 16 bytes at a time: a line
    // it refuses (a raw control character or a byte not UTF-8, which the
    // daemon never writes) takes the lenient path below, which keeps such
    // bytes. Against a memchr2 per escape, 6,605 to 6,337 instructions a
    // line (the figure in `valid_time`, same input).
    let fast = if trimmed.starts_with(START) {
        out.clear();
        decode_string(trimmed, START.len() - 1, out)
            .ok()
            .and_then(|after| direct(trimmed, after - 1 - START.len()))
    } else {
        None
    };
    let d = match fast {
        Some(d) => d,
        None => {
            let d = parse(line)?;
            decode_str_into(d.log, out);
            d
        }
    };
    let end = out.last() == Some(&b'\n');
    if end {
        out.pop();
        if out.last() == Some(&b'\r') {
            out.pop();
        }
    }
    Some((d.stream, d.time, end))
}

/// Decodes the JSON string whose inside starts `body` into `out`, up to
/// its closing quote, whose index it returns; `None` when it does not end
/// or holds an escape JSON does not have. Escapes are read as
/// [`decode_str_into`] reads them (a lone surrogate becomes U+FFFD); other
/// bytes are kept as they are.
fn decode_until_quote(body: &[u8], out: &mut Vec<u8>) -> Option<usize> {
    let mut i = 0;
    loop {
        let k = memchr::memchr2(b'"', b'\\', &body[i..])?;
        out.extend_from_slice(&body[i..i + k]);
        i += k;
        if body[i] == b'"' {
            return Some(i);
        }
        let letter = *body.get(i + 1)?;
        if letter == b'u' {
            i += 2 + decode_u_escape(body, i + 2, out)?;
            continue;
        }
        out.push(short_escape(letter)?);
        i += 2;
    }
}

/// The rest of a json-file line after the `log` string, which ends at
/// `end` in the text after [`START`]: `"stream"`, maybe `"attrs"`, `"time"`.
fn direct(line: &[u8], end: usize) -> Option<DockerLine<'_>> {
    let body = &line[START.len()..];
    let log = &line[START.len() - 1..START.len() + end + 1];
    let rest = body[end + 1..].strip_prefix(b",\"stream\":\"")?;
    let q = memchr::memchr(b'"', rest)?;
    let stream = &rest[..q];
    let rest = &rest[q + 1..];
    // The top-level time is the last key: attrs, before it, may hold one.
    let at = if rest.starts_with(b",\"time\":\"") {
        0
    } else if rest.starts_with(b",\"attrs\":{") {
        memchr::memmem::rfind(rest, b",\"time\":\"")?
    } else {
        return None;
    };
    let time = rest[at + 9..].strip_suffix(b"\"}")?;
    // Both go into records as they stand: a name of letters and digits,
    // and a time (which holds nothing to escape).
    if !stream_name(stream) || !valid_time(time) {
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
        } else if f.key_is("stream") && string && stream_name(&f.value[1..f.value.len() - 1]) {
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

/// Whether `s` can be a stream's name (`stdout`, `stderr`): 1 to 16 ASCII
/// letters or digits, written into records as they stand.
fn stream_name(s: &[u8]) -> bool {
    !s.is_empty() && s.len() <= 16 && s.iter().all(u8::is_ascii_alphanumeric)
}

/// Whether `t` is a whole RFC 3339 time (so that it can be written as
/// `recv_ts` as it stands).
///
/// The date and clock (`2026-10-10T13:00:20`) of consecutive lines are
/// mostly the same: the last one found valid is remembered (per thread),
/// and then only the fraction and the offset after it are checked (and the
/// second, when only it differs).
pub fn valid_time(t: &[u8]) -> bool {
    use std::cell::Cell;
    thread_local! {
        // None until a time was found valid on this thread: no start value
        // that some bytes could match (NULs were taken for a valid date).
        static LAST: Cell<Option<[u8; 19]>> = const { Cell::new(None) };
    }
    if let (true, Some(last)) = (t.len() > 19, LAST.with(Cell::get)) {
        if last == t[..19] {
            return tail_ok(&t[19..]);
        }
        // The same minute, another second from 00 to 59 (valid in any
        // minute; a leap second takes the full check): the daemon writes
        // about as many lines as seconds in a quiet container. Measured on
        // `bench/gen_combined.py --docker`'s first 50,000 lines (2.5 a
        // second): lparse 6,337 to 6,186 instructions a line (callgrind,
        // `valgrind --tool=callgrind target/release/lparse FILE`).
        let (s1, s2) = (t[17].wrapping_sub(b'0'), t[18].wrapping_sub(b'0'));
        if last[..17] == t[..17] && s1 < 6 && s2 < 10 && tail_ok(&t[19..]) {
            let mut head = last;
            head[17..].copy_from_slice(&t[17..19]);
            LAST.with(|l| l.set(Some(head)));
            return true;
        }
    }
    let ok = logkit_common::time::layouts::rfc3339(t).is_some_and(|(_, n)| n == t.len());
    if ok && t.len() > 19 {
        let mut head = [0; 19];
        head.copy_from_slice(&t[..19]);
        LAST.with(|l| l.set(Some(head)));
    }
    ok
}

/// What may follow a valid date and clock in RFC 3339: an optional
/// fraction (after `.` or `,`), then `Z` or an offset `±hh:mm` or `±hhmm`
/// (below 24 hours), as [`logkit_common::time::layouts::rfc3339`] reads them.
fn tail_ok(s: &[u8]) -> bool {
    let mut i = 0;
    if matches!(s.first(), Some(b'.' | b',')) {
        let digits = s[1..].iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            return false;
        }
        i = 1 + digits;
    }
    match &s[i..] {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] | [b'+' | b'-', h1, h2, m1, m2] => {
            [h1, h2, m1, m2].iter().all(|d| d.is_ascii_digit())
                && (h1 - b'0') * 10 + (h2 - b'0') < 24
                && (m1 - b'0') * 10 + (m2 - b'0') < 60
        }
        _ => false,
    }
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
            // A `\u` escape cut short (found by the fuzzer: it made the
            // string decoder read past its end).
            &br#"{"log":"13.5\u","stream":"stdout","time":"2026-10-10T13:55:36.123456789Z"}"#[..],
            br#"{"log":"x\q","stream":"stdout","time":"2026-10-10T13:55:36Z"}"#,
            &br#"{"log":"x\n","stream":"stdout"}"#[..],
            br#"{"log":"x\n","stream":"stdout","time":"yesterday"}"#,
            br#"{"log":"x\n","stream":"stdout","time":"2021-02-01T01:40:03Z","level":"info"}"#,
            br#"{"log":"x"#,
            br#"{"log":7,"stream":"stdout","time":"2021-02-01T01:40:03Z"}"#,
            br#"{"log":"x\n","stream":"std\u0000","time":"2021-02-01T01:40:03Z"}"#,
            b"{\"log\":\"x\\n\",\"stream\":\"std\x01\",\"time\":\"2021-02-01T01:40:03Z\"}",
        ] {
            assert_eq!(parse(line), None, "{}", String::from_utf8_lossy(line));
        }
    }

    #[test]
    fn a_remembered_date_still_checks_what_follows() {
        for (t, ok) in [
            (&b"2026-10-10T13:00:20.5Z"[..], true),
            (b"2026-10-10T13:00:20.123456789Z", true),
            (b"2026-10-10T13:00:20+02:00", true),
            (b"2026-10-10T13:00:20.Z", false),
            (b"2026-10-10T13:00:20.5", false),
            (b"2026-10-10T13:00:20+24:00", false),
            (b"2026-10-10T13:00:20.5Z\"", false),
            (b"2026-10-10T13:00:20Zx", false),
        ] {
            // Checked once with the date new, once with it remembered.
            let fresh = logkit_common::time::layouts::rfc3339(t).is_some_and(|(_, n)| n == t.len());
            assert_eq!(fresh, ok, "{}", String::from_utf8_lossy(t));
            assert!(valid_time(b"2026-10-10T13:00:20Z"));
            assert_eq!(valid_time(t), ok, "{}", String::from_utf8_lossy(t));
        }
        assert!(!valid_time(b"2026-02-30T13:00:20Z"));
    }

    /// Before any time was found valid on a thread, nothing is taken for
    /// the remembered one: NULs (the start value of a zeroed memo) and
    /// `0xff`s are no date, whole or with another second.
    #[test]
    fn a_fresh_thread_remembers_no_time() {
        for filler in [0u8, 0xff] {
            for t in [
                [vec![filler; 19], b"Z".to_vec()].concat(),
                [vec![filler; 17], b"05Z".to_vec()].concat(),
                [vec![filler; 17], b"05.5+02:00".to_vec()].concat(),
            ] {
                let fresh = std::thread::spawn(move || valid_time(&t)).join().unwrap();
                assert!(!fresh, "filler {filler:#x}");
            }
        }
    }

    proptest::proptest! {
        /// The one-pass reading gives what the scanner and its decoder give,
        /// raw bytes not UTF-8 and raw control characters (which the
        /// daemon escapes, and the fast path leaves to the lenient one)
        /// included.
        #[test]
        fn one_pass_decodes_as_the_scanner(text in "(?s).{0,40}", raw in proptest::collection::vec(proptest::prop_oneof![0x80u8.., 0u8..0x20], 0..4), stream in "std(out|err)") {
            let mut log = serde_json::to_vec(&text).unwrap();
            log.pop();
            log.extend_from_slice(&raw);
            log.extend_from_slice(b"\\ud83d\\ude00\\ud800x\\n\"");
            let mut line = b"{\"log\":".to_vec();
            line.extend_from_slice(&log);
            line.extend_from_slice(format!(",\"stream\":\"{stream}\",\"time\":\"2026-10-10T13:00:20.5Z\"}}").as_bytes());
            let mut one = Vec::new();
            let (s, t, end) = parse_into(&line, &mut one).expect("a docker line");
            let d = parse(&line).expect("a docker line");
            let mut two = Vec::new();
            let (want, want_end) = d.text(&mut two);
            proptest::prop_assert_eq!(&one[..], want);
            proptest::prop_assert_eq!((s, t, end), (d.stream, d.time, want_end));
            let mut decoded = Vec::new();
            decode_str_into(&log, &mut decoded);
            let tail = "😀\u{fffd}x\n".as_bytes();
            proptest::prop_assert!(decoded.ends_with(tail));
        }

        #[test]
        fn remembered_or_not_the_same_answer(
            clocks in proptest::collection::vec(("(00|01|0x|5[0-9]|60)", "([0-6][0-9]|[0-9]x|x[0-9])"), 1..4),
            frac in "([.,][0-9]{0,10})?",
            zone in "(Z|z|[+-][0-9]{2}:?[0-9]{2}|x)",
        ) {
            // The remembered date and clock, then times in the same minute
            // or another, each second valid or not: the answer is the full
            // check's, whatever was remembered before.
            assert!(valid_time(b"2026-10-10T13:00:20Z"));
            for (minute, second) in clocks {
                let t = format!("2026-10-10T13:{minute}:{second}{frac}{zone}");
                let fresh = logkit_common::time::layouts::rfc3339(t.as_bytes()).is_some_and(|(_, n)| n == t.len());
                proptest::prop_assert_eq!(valid_time(t.as_bytes()), fresh, "{}", t);
            }
        }

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
