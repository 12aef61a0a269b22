//! logfmt lines (`key=value key2="quoted value"`).
//!
//! ```text
//! time=2026-11-27T03:22:43Z level=info msg="request done" path=/x status=404 dur=1.5ms
//! ```
//!
//! Every key becomes a field, in the order of the line (a key given twice
//! keeps its last value, at its last place). Values:
//!
//! * quoted: a string, unescaped (`\"`, `\\`, `\n`, `\t`, `\r`; other
//!   escapes are kept as written);
//! * bare: integers (that fit 64 bits, without leading zeros) and decimals
//!   become JSON numbers, `true` and `false` booleans, anything else text;
//! * a key without `=` is `true`.
//!
//! The time, under `ts`, `time`, `timestamp` or `t` (looked for in that
//! order), becomes `ts` in RFC 3339: ISO 8601 text keeps its own offset and
//! is read in [`Ctx::zone`] without one; an epoch number (from 10⁹ up: s,
//! ms, µs or ns by its size) is UTC. A `ts` that is not a time makes the
//! line an error (`ts` is always a time); the other names are then kept as
//! they are.
//!
//! So that ordinary text is not taken for logfmt, a line must start with a
//! `key=value` pair (not indented) and hold at least two. The record's own
//! `src` and `fmt` are not overwritten by keys of those names.

use crate::fields::{closing_quote, plain_number, unescape_with};
use crate::format::{Ctx, LogFormat};
use jiff::tz::TimeZone;
use logkit_common::json::Object;
use logkit_common::record as f;
use logkit_common::time::{format_rfc3339_frac, layouts, Stamp};
use std::borrow::Cow;

/// The logfmt format. It keeps a buffer of the pairs of a line, reused
/// from line to line.
#[derive(Debug, Default, Clone)]
pub struct Logfmt {
    pairs: Vec<Pair>,
}

impl Logfmt {
    /// The format, with an empty buffer.
    pub fn new() -> Self {
        Self::default()
    }
}

/// One `key[=value]`, as byte ranges of the line.
#[derive(Debug, Clone, Copy)]
struct Pair {
    key: (usize, usize),
    value: Value,
}

#[derive(Debug, Clone, Copy)]
enum Value {
    /// A key without `=`.
    Flag,
    Bare(usize, usize),
    /// Between the quotes; `escaped` when it holds a backslash.
    Quoted(usize, usize, bool),
}

/// Names under which the time is looked for, in this order.
const TIME_KEYS: [&[u8]; 4] = [b"ts", b"time", b"timestamp", b"t"];

type Error = &'static str;

impl LogFormat for Logfmt {
    fn name(&self) -> &str {
        "logfmt"
    }

    fn parse(&mut self, line: &[u8], obj: &mut Object, ctx: &mut Ctx) -> Result<(), Error> {
        scan(line, &mut self.pairs)?;
        let pairs = &self.pairs;
        let key = |p: &Pair| &line[p.key.0..p.key.1];
        // The last pair of each key wins.
        let is_last = |i: usize| pairs[i + 1..].iter().all(|q| key(q) != key(&pairs[i]));
        let mut time_pair = None;
        for name in TIME_KEYS {
            let Some(i) = pairs.iter().rposition(|p| key(p) == name) else {
                continue;
            };
            let value = match pairs[i].value {
                Value::Flag => None,
                Value::Bare(a, b) => Some(Cow::Borrowed(&line[a..b])),
                Value::Quoted(a, b, false) => Some(Cow::Borrowed(&line[a..b])),
                Value::Quoted(a, b, true) => {
                    unescape(&line[a..b], &mut ctx.scratch);
                    Some(Cow::Owned(ctx.scratch.clone()))
                }
            };
            match value.and_then(|v| time_of(&v)) {
                Some(time) => {
                    write_time(time, obj, ctx)?;
                    time_pair = Some(i);
                    break;
                }
                None if name == f::TS.as_bytes() => return Err("bad time in ts"),
                None => {}
            }
        }
        for (i, pair) in pairs.iter().enumerate() {
            let k = key(pair);
            if Some(i) == time_pair || k == f::TS.as_bytes() || !is_last(i) {
                continue;
            }
            // Keys hold no quote, backslash or control character (see
            // `scan`), so they can be written as they are; names lparse
            // writes itself get a `_`.
            let key = String::from_utf8_lossy(k);
            let name = crate::fields::own_name(&key);
            match pair.value {
                Value::Flag => obj.raw(&name, b"true"),
                Value::Bare(a, b) => {
                    let v = &line[a..b];
                    if v == b"true" || v == b"false" || plain_number(v) {
                        obj.raw(&name, v);
                    } else {
                        obj.bytes(&name, v);
                    }
                }
                Value::Quoted(a, b, escaped) => {
                    let v = &line[a..b];
                    if escaped {
                        unescape(v, &mut ctx.scratch);
                        obj.bytes(&name, &ctx.scratch);
                    } else {
                        obj.bytes(&name, v);
                    }
                }
            }
        }
        obj.str(f::FMT, "logfmt");
        Ok(())
    }
}

/// A byte that may be part of a key.
fn key_byte(b: u8) -> bool {
    b > b' ' && b != b'=' && b != b'"' && b != b'\\' && b != 0x7f
}

/// Splits a line into pairs; fails unless it starts with `key=value` and
/// holds at least two such pairs.
fn scan(line: &[u8], pairs: &mut Vec<Pair>) -> Result<(), Error> {
    const NOT: Error = "not logfmt";
    pairs.clear();
    // logfmt lines start at their first key (indented lines are the
    // continuations of multi-line messages).
    if !line.first().is_some_and(|&b| key_byte(b)) {
        return Err(NOT);
    }
    let mut with_value = 0;
    let mut i = 0;
    loop {
        while matches!(line.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        if i == line.len() {
            break;
        }
        let start = i;
        while line.get(i).is_some_and(|&b| key_byte(b)) {
            i += 1;
        }
        let key = (start, i);
        let value = match line.get(i) {
            _ if i == start => return Err(NOT),
            None | Some(b' ' | b'\t') => Value::Flag,
            Some(b'=') => {
                i += 1;
                with_value += 1;
                if line.get(i) == Some(&b'"') {
                    let text = &line[i + 1..];
                    let len = closing_quote(text).ok_or("unterminated quoted value")?;
                    let escaped = memchr::memchr(b'\\', &text[..len]).is_some();
                    let end = i + 1 + len;
                    let value = Value::Quoted(i + 1, end, escaped);
                    i = end + 1;
                    if !matches!(line.get(i), None | Some(b' ' | b'\t')) {
                        return Err("text after a quoted value");
                    }
                    value
                } else {
                    let len = line[i..]
                        .iter()
                        .position(|&b| b == b' ' || b == b'\t')
                        .unwrap_or(line.len() - i);
                    let value = Value::Bare(i, i + len);
                    i += len;
                    value
                }
            }
            Some(_) => return Err(NOT),
        };
        if pairs.is_empty() && matches!(value, Value::Flag) {
            return Err(NOT);
        }
        pairs.push(Pair { key, value });
    }
    if with_value < 2 {
        return Err(NOT);
    }
    Ok(())
}

/// Undoes the escapes of a quoted value into `out`: `\"`, `\\`, `\n`,
/// `\t` and `\r`; others are kept as written.
fn unescape(s: &[u8], out: &mut Vec<u8>) {
    unescape_with(s, out, |after| match after.first()? {
        b'"' => Some((b'"', 1)),
        b'\\' => Some((b'\\', 1)),
        b'n' => Some((b'\n', 1)),
        b't' => Some((b'\t', 1)),
        b'r' => Some((b'\r', 1)),
        _ => None,
    });
}

/// A time found in a value.
enum Time {
    /// With its own offset.
    Stamp(Stamp),
    /// Without one: in the context's zone.
    Local(jiff::civil::DateTime),
}

fn write_time(time: Time, obj: &mut Object, ctx: &Ctx) -> Result<(), Error> {
    match time {
        Time::Stamp(stamp) => {
            obj.str(f::TS, &format_rfc3339_frac(stamp.instant, stamp.offset));
            Ok(())
        }
        Time::Local(dt) => ctx.write_local_ts(obj, dt),
    }
}

/// An ISO 8601 date and time (`2026-11-27T03:22:43.5+01:00`, `...Z`,
/// `2026-11-27 03:22:43`), or an epoch number from 10⁹ up (a smaller one
/// is a count or a size more often than a time in 1970–2001).
fn time_of(value: &[u8]) -> Option<Time> {
    if value.len() < 10 || !value[0].is_ascii_digit() {
        return None;
    }
    if value.iter().all(|b| b.is_ascii_digit() || *b == b'.') {
        let n: f64 = std::str::from_utf8(value).ok()?.parse().ok()?;
        if n < 1e9 {
            return None;
        }
        return layouts::epoch(value).and_then(|t| t.to_stamp(&TimeZone::UTC)).map(Time::Stamp);
    }
    if value[4] != b'-' {
        return None;
    }
    if let Some((time, len)) = layouts::iso8601(value) {
        if len == value.len() {
            return Some(match time.offset {
                Some(_) => Time::Stamp(time.to_stamp(&TimeZone::UTC)?),
                None => Time::Local(time.datetime),
            });
        }
    }
    // The rarer forms of ISO 8601, which jiff reads: without seconds
    // (`2026-11-27T03:22`), offsets in hours (`+01`), `[zone]` annotations.
    let pieces = jiff::fmt::temporal::Pieces::parse(value).ok()?;
    let dt = pieces.date().to_datetime(pieces.time()?);
    match pieces.to_numeric_offset() {
        Some(offset) => Some(Time::Stamp(Stamp { instant: offset.to_timestamp(dt).ok()?, offset })),
        None => Some(Time::Local(dt)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn parse_bytes(line: &[u8]) -> Result<serde_json::Value, Error> {
        let mut ctx = Ctx::new(jiff::tz::TimeZone::get("Europe/Paris").unwrap());
        crate::testing::record_in(&mut Logfmt::new(), line, &mut ctx)
    }

    fn parse(line: &str) -> Result<serde_json::Value, Error> {
        parse_bytes(line.as_bytes())
    }

    #[test]
    fn typed_fields() {
        assert_eq!(
            parse(r#"time=2026-11-27T03:22:43Z level=info msg="request done" path=/x status=404 dur=1.5ms"#).unwrap(),
            json!({"ts":"2026-11-27T03:22:43+00:00","level":"info","msg":"request done","path":"/x",
                "status":404,"dur":"1.5ms","fmt":"logfmt"})
        );
        assert_eq!(
            parse(r#"level=warn n=-12 x=3.25 big=123456789012345678901 zero=0 lead=007 ok=true no=false q="true" e="" b= flag msg="a \"b\" \\ c\nd\te \x" last"#).unwrap(),
            json!({"level":"warn","n":-12,"x":3.25,"big":"123456789012345678901","zero":0,"lead":"007",
                "ok":true,"no":false,"q":"true","e":"","b":"","flag":true,
                "msg":"a \"b\" \\ c\nd\te \\x","last":true,"fmt":"logfmt"})
        );
        // Odd but valid: tabs between pairs, `=` inside bare values, UTF-8.
        assert_eq!(
            parse("a=b=c\tkey.with-dots=é").unwrap(),
            json!({"a":"b=c","key.with-dots":"é","fmt":"logfmt"})
        );
    }

    #[test]
    fn the_last_of_a_duplicate_key_wins() {
        assert_eq!(parse("a=1 b=2 a=3").unwrap(), json!({"b":2,"a":3,"fmt":"logfmt"}));
        // Names lparse writes itself (src, fmt, a value's `_b64` twin) are
        // the record's own: the line's keep theirs with a `_`.
        assert_eq!(
            parse("src=x fmt=y a=1").unwrap(),
            json!({"src_":"x","fmt_":"y","a":1,"fmt":"logfmt"})
        );
        assert_eq!(
            parse_bytes(b"u=\xff u_b64=q").unwrap(),
            json!({"u":"\u{fffd}","u_b64":"/w==","u_b64_":"q","fmt":"logfmt"})
        );
    }

    #[test]
    fn times() {
        let ts = |line: &str| parse(line).unwrap()["ts"].clone();
        assert_eq!(ts("ts=2026-11-27T03:22:43.5+05:30 a=1"), "2026-11-27T03:22:43.500+05:30");
        assert_eq!(
            ts(r#"time="2026-11-27T03:22:43.123456789-02:00" a=1"#),
            "2026-11-27T03:22:43.123456789-02:00"
        );
        // Without an offset: in the context's zone (Europe/Paris).
        assert_eq!(ts(r#"timestamp="2026-11-27 03:22:43" a=1"#), "2026-11-27T03:22:43+01:00");
        assert_eq!(ts("t=2026-07-01T03:22:43 a=1"), "2026-07-01T03:22:43+02:00");
        // Epoch times (zap's logfmt writes float seconds); `date -u -d @1795735363`.
        assert_eq!(ts("ts=1795735363.25 a=1"), "2026-11-26T23:22:43.250+00:00");
        assert_eq!(ts("ts=1795735363123 a=1"), "2026-11-26T23:22:43.123+00:00");
        // The first name in the order ts, time, timestamp, t; the others stay.
        let r = parse("t=2020-01-01T00:00:00Z time=2026-11-27T03:22:43Z a=1").unwrap();
        assert_eq!(
            r,
            json!({"ts":"2026-11-27T03:22:43+00:00","t":"2020-01-01T00:00:00Z","a":1,"fmt":"logfmt"})
        );
        // A time name that holds no time is kept as it is...
        let r = parse("time=later t=5 a=1").unwrap();
        assert_eq!(r, json!({"time":"later","t":5,"a":1,"fmt":"logfmt"}));
        // ...but `ts` is always a time.
        assert!(parse("ts=later a=1").is_err());
        assert!(parse("ts a=1 b=2").is_err());
    }

    #[test]
    fn fractions_beyond_nanoseconds_are_cut_to_nine_digits() {
        let ts = |line: &str| parse(line).unwrap()["ts"].clone();
        assert_eq!(
            ts("ts=2026-11-27T03:22:46.123456789012Z a=1"),
            "2026-11-27T03:22:46.123456789+00:00"
        );
        // Without an offset: in the context's zone (Europe/Paris).
        assert_eq!(
            ts(r#"ts="2026-11-27 03:22:46.987654321098" a=1"#),
            "2026-11-27T03:22:46.987654321+01:00"
        );
    }

    #[test]
    fn not_logfmt() {
        for bad in [
            "",
            "   ",
            "\t\tisProcessing=NO actionsCompleted=0",
            " a=1 b=2",
            "hello world",
            "a=1",
            "a=1 b c",
            "some text with x=1 and y=2",
            r#"203.0.113.9 - - [10/Oct/2000:13:55:36 -0700] "GET /?a=b&c=d HTTP/1.1" 404 2326"#,
            "Nov 27 03:22:46 web1 sshd[1234]: user=root uid=0 euid=0",
            r#"{"a":1,"b":2}"#,
            r#"a="unterminated b=2"#,
            r#"a="x"y b=2"#,
            r#"a=1 "b"=2 c=3"#,
            "a=1 =2 c=3",
            "a=1 b\\c=2",
            "a=1 b\u{1}=2",
            "#Fields: date time",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}: {:?}", parse(bad));
        }
    }

    #[test]
    fn bytes_that_are_not_utf8_are_kept() {
        let r = parse_bytes(b"a=caf\xe9 b=\"\\\"\xff\"").unwrap();
        assert_eq!(
            r,
            json!({"a":"caf\u{fffd}","a_b64":"Y2Fm6Q==","b":"\"\u{fffd}","b_b64":"Iv8=","fmt":"logfmt"})
        );
    }

    #[derive(Debug, Clone)]
    enum Gen {
        Text(String),
        Word(String),
        Int(i64),
        Decimal(i32, u32),
        Bool(bool),
        Flag,
    }

    fn gen_value() -> impl Strategy<Value = Gen> {
        prop_oneof![
            "(?s).{0,20}".prop_map(Gen::Text),
            "[a-zA-Z/_:.-][a-zA-Z0-9/_:.=-]{0,15}".prop_map(Gen::Word),
            any::<i64>().prop_map(Gen::Int),
            (any::<i32>(), 0u32..1000).prop_map(|(a, b)| Gen::Decimal(a, b)),
            any::<bool>().prop_map(Gen::Bool),
            Just(Gen::Flag),
        ]
    }

    proptest! {
        #[test]
        fn round_trip(first in gen_value(),
                      fields in proptest::collection::btree_map("[a-z_][a-z0-9_.-]{0,8}", gen_value(), 1..8),
                      time in proptest::option::of((0i64..4_000_000_000, -14 * 60i32..=14 * 60)),
                      dup in any::<bool>()) {
            let mut want = serde_json::Map::new();
            let mut parts = Vec::new();
            if let Some((secs, offset_min)) = time {
                let offset = jiff::tz::Offset::from_seconds(offset_min * 60).unwrap();
                let ts = logkit_common::time::format_rfc3339(jiff::Timestamp::from_second(secs).unwrap(), offset);
                parts.push(format!("time={ts}"));
                want.insert("ts".into(), json!(ts));
            }
            // The line starts with a pair; a key given twice: the last wins.
            let first = match first { Gen::Flag => Gen::Int(1), g => g };
            let mut fields: Vec<(String, Gen)> = fields.into_iter()
                .filter(|(k, _)| !["ts", "time", "timestamp", "t", "src", "fmt", "first"].contains(&k.as_str()))
                .collect();
            fields.insert(0, ("first".to_string(), first));
            if dup {
                parts.push("first=overwritten".to_string());
            }
            for (k, v) in &fields {
                let (text, value) = match v {
                    Gen::Text(s) => {
                        let escaped = s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n").replace('\t', "\\t").replace('\r', "\\r");
                        (format!("{k}=\"{escaped}\""), json!(s))
                    }
                    Gen::Word(w) => {
                        let value: serde_json::Value = match w.as_str() {
                            "true" => json!(true),
                            "false" => json!(false),
                            _ if plain_number(w.as_bytes()) => serde_json::from_str(w).unwrap(),
                            _ => json!(w),
                        };
                        (format!("{k}={w}"), value)
                    }
                    Gen::Int(n) => (format!("{k}={n}"), json!(n)),
                    Gen::Decimal(a, b) => {
                        let t = format!("{a}.{b}");
                        (format!("{k}={t}"), serde_json::from_str(&t).unwrap())
                    }
                    Gen::Bool(b) => (format!("{k}={b}"), json!(b)),
                    Gen::Flag => (k.clone(), json!(true)),
                };
                parts.push(text);
                want.insert(k.clone(), value);
            }
            want.insert("fmt".into(), json!("logfmt"));
            let line = parts.join(" ");
            let with_value = parts.iter().filter(|p| p.contains('=')).count();
            match parse(&line) {
                Ok(r) => prop_assert_eq!(r, serde_json::Value::Object(want)),
                Err(e) => prop_assert!(with_value < 2, "{line:?}: {e}"),
            }
        }

        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..80),
                        text in r#"[a-z0-9 ="\\.:-]{0,60}"#) {
            let _ = parse_bytes(&bytes);
            let _ = parse(&text);
            let _ = parse(&format!("a=1 {text}"));
            let _ = parse(&format!("ts={text} a=1"));
        }
    }
}
