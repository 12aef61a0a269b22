//! Timestamped application logs (the `applog` format): the common shape
//! `<timestamp> <LEVEL> <rest>`, read without a format string.
//!
//! | writer | example |
//! |---|---|
//! | log4j, logback (`%d [%t] %-5p %c - %m`) | `2026-01-15 10:23:45,123 [main] ERROR com.example.Foo - failed` |
//! | Spring Boot | `2026-01-15T10:23:45.123+01:00 ERROR 4711 --- [main] c.e.Foo : failed` |
//! | Python logging (`%(asctime)s - %(name)s - %(levelname)s - %(message)s`) | `2026-01-15 10:23:45,123 - app.db - ERROR - failed` |
//! | Python logging (`%(asctime)s %(levelname)s %(message)s`) | `2026-01-15 10:23:45,123 ERROR failed` |
//! | Go `log` (with `slog` levels, or none) | `2026/01/15 10:23:45 INFO started port=80`, `2026/01/15 10:23:45 started` |
//! | Ruby Logger (Rails) | `E, [2026-01-15T10:23:45.123456 #4711] ERROR -- app: failed` |
//! | PHP-FPM | `[15-Jan-2026 10:23:45] WARNING: [pool www] child 12 exited` |
//!
//! The time may be in brackets; the level (`ERROR`, `warn`, `[INFO]`,
//! `WARNING:`) is one of the usual words, as written. `thread` is taken
//! from `[...]` next to the level, `logger` where the layout sets it apart
//! (`logger - msg` after the level, `- logger - LEVEL -`, Spring's
//! `logger : msg`, Ruby's `-- logger:`), `pid` from Spring's and Ruby's
//! layouts. The rest is `msg`. A line with a time and no level is read
//! only in Go's layout (`log`'s default has none).
//!
//! An application log's entries often span lines (stack traces): its
//! records take continuation lines (see [`crate::multiline`]).

use crate::format::{Ctx, LogFormat};
use jiff::civil::DateTime;
use logkit_common::json::Object;
use logkit_common::record as f;
use logkit_common::time::{digits_at, format_rfc3339_frac, layouts, month_number, LogTime};

/// Timestamped application logs.
#[derive(Clone)]
pub struct AppLog;

/// The level words, compared without case.
const LEVELS: [&str; 24] = [
    "TRACE",
    "DEBUG",
    "DBG",
    "INFO",
    "INF",
    "NOTICE",
    "WARN",
    "WRN",
    "WARNING",
    "ERROR",
    "ERR",
    "FATAL",
    "FTL",
    "CRITICAL",
    "CRIT",
    "SEVERE",
    "ALERT",
    "EMERG",
    "EMERGENCY",
    "PANIC",
    "FINE",
    "FINER",
    "FINEST",
    "CONFIG",
];

/// Whether `w` is a level word.
fn is_level(w: &[u8]) -> bool {
    !w.is_empty() && w.len() <= 9 && LEVELS.iter().any(|l| l.as_bytes().eq_ignore_ascii_case(w))
}

/// The fields of a line.
#[derive(Default)]
struct Parts<'a> {
    level: Option<&'a [u8]>,
    thread: Option<&'a [u8]>,
    logger: Option<&'a [u8]>,
    pid: Option<u64>,
    msg: &'a [u8],
}

impl LogFormat for AppLog {
    fn name(&self) -> &str {
        "applog"
    }

    fn takes_continuations(&self) -> bool {
        true
    }

    fn parse(&mut self, line: &[u8], obj: &mut Object, ctx: &mut Ctx) -> Result<(), &'static str> {
        let (time, parts) = match ruby(line) {
            Some(r) => r,
            None => {
                let (time, end, go) = leading_time(line).ok_or("no time at the start")?;
                (time, layout(&line[end..], go).ok_or("no level after the time")?)
            }
        };
        match time.offset {
            Some(_) => {
                let stamp = time.to_stamp(&ctx.zone).ok_or("bad time")?;
                obj.str(f::TS, &format_rfc3339_frac(stamp.instant, stamp.offset));
            }
            None => ctx.write_local_ts(obj, time.datetime)?,
        }
        if let Some(level) = parts.level {
            obj.bytes(f::LEVEL, level);
        }
        if let Some(pid) = parts.pid {
            obj.uint(f::PID, pid);
        }
        if let Some(thread) = parts.thread {
            obj.bytes(f::THREAD, thread);
        }
        if let Some(logger) = parts.logger {
            obj.bytes(f::LOGGER, logger);
        }
        obj.bytes(f::MSG, parts.msg);
        obj.str(f::FMT, "applog");
        Ok(())
    }
}

/// The time at the start of the line, maybe in brackets: its time, where
/// the rest starts, and whether it was Go's layout (`2026/01/15 10:23:45`).
fn leading_time(line: &[u8]) -> Option<(LogTime, usize, bool)> {
    let open = usize::from(line.first() == Some(&b'['));
    let s = &line[open..];
    let (time, len, go) = match s.first()? {
        b'0'..=b'9' if s.get(4) == Some(&b'-') => {
            layouts::iso8601(s).map(|(t, n)| (t, n, false))?
        }
        b'0'..=b'9' if s.get(4) == Some(&b'/') => {
            layouts::nginx_error(s).map(|(t, n)| (t, n, open == 0))?
        }
        b'0'..=b'9' => php(s).map(|(t, n)| (t, n, false))?,
        _ => return None,
    };
    let mut end = open + len;
    if open == 1 {
        if line.get(end) != Some(&b']') {
            return None;
        }
        end += 1;
    }
    // The time is a word of its own (or, in Python's
    // `%(asctime)s:%(levelname)s:%(message)s`, ends at a colon).
    match line.get(end) {
        Some(b' ' | b'\t' | b':') => Some((time, end, go)),
        _ => None,
    }
}

/// PHP's `15-Jan-2026 10:23:45`.
fn php(s: &[u8]) -> Option<(LogTime, usize)> {
    if s.get(2) != Some(&b'-') || s.get(6) != Some(&b'-') || s.get(11) != Some(&b' ') {
        return None;
    }
    let d = digits_at(s, 0, 2)?;
    let mo = month_number(s.get(3..6)?)?;
    let y = digits_at(s, 7, 4)?;
    if s.get(14) != Some(&b':') || s.get(17) != Some(&b':') {
        return None;
    }
    let (h, mi, sec) = (digits_at(s, 12, 2)?, digits_at(s, 15, 2)?, digits_at(s, 18, 2)?);
    let datetime =
        DateTime::new(y as i16, mo as i8, d as i8, h as i8, mi as i8, sec as i8, 0).ok()?;
    let time = LogTime {
        datetime,
        leap_second: false,
        frac_digits: 0,
        offset: None,
        unknown_local_offset: false,
    };
    Some((time, 20))
}

/// Ruby's Logger: `E, [2026-01-15T10:23:45.123456 #4711] ERROR -- app: msg`.
fn ruby(line: &[u8]) -> Option<(LogTime, Parts<'_>)> {
    if !matches!(line.first()?, b'D' | b'I' | b'W' | b'E' | b'F' | b'A')
        || !line[1..].starts_with(b", [")
    {
        return None;
    }
    let s = &line[4..];
    let (time, n) = layouts::iso8601(s)?;
    let rest = s[n..].strip_prefix(b" #")?;
    let close = memchr::memchr(b']', rest)?;
    let pid = crate::fields::uint(&rest[..close])?;
    let rest = trim_start(&rest[close + 1..]);
    let sp = memchr::memchr(b' ', rest)?;
    let level = &rest[..sp];
    if !is_level(level) {
        return None;
    }
    let rest = rest[sp..].strip_prefix(b" -- ")?;
    let colon = memchr::memmem::find(rest, b": ")
        .or_else(|| rest.ends_with(b":").then(|| rest.len() - 1))?;
    let logger = (colon > 0).then(|| &rest[..colon]);
    let msg = rest.get(colon + 2..).unwrap_or_default();
    Some((time, Parts { level: Some(level), pid: Some(pid), logger, msg, thread: None }))
}

fn trim_start(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|&&b| b == b' ' || b == b'\t').count();
    &s[n..]
}

/// Skips a separator: blanks, and one `-`, `|` or `:` followed by blanks.
fn sep(s: &[u8]) -> &[u8] {
    let s = trim_start(s);
    match s {
        [b'-' | b'|' | b':', b' ' | b'\t', ..] => trim_start(&s[1..]),
        _ => s,
    }
}

/// `[...]` at the start: what is inside, trimmed, and the rest.
fn bracketed(s: &[u8]) -> Option<(&[u8], &[u8])> {
    let inner = s.strip_prefix(b"[")?;
    let close = memchr::memchr(b']', inner)?;
    Some((inner[..close].trim_ascii(), &inner[close + 1..]))
}

/// A level word at the start (`ERROR`, `[ERROR]`, `ERROR:`), and the rest.
fn level_word(s: &[u8]) -> Option<(&[u8], &[u8])> {
    if let Some((inner, rest)) = bracketed(s) {
        return is_level(inner).then_some((inner, rest.strip_prefix(b":").unwrap_or(rest)));
    }
    let end = s.iter().position(|&b| b == b' ' || b == b'\t').unwrap_or(s.len());
    let word = &s[..end];
    let word = word.strip_suffix(b":").unwrap_or(word);
    is_level(word).then_some((word, &s[end..]))
}

/// What follows the time: level, thread, logger, pid and message.
fn layout(rest: &[u8], go: bool) -> Option<Parts<'_>> {
    let mut p = Parts::default();
    // `:LEVEL:msg`
    if let Some(after) = rest.strip_prefix(b":") {
        let colon = memchr::memchr(b':', after)?;
        if !is_level(&after[..colon]) {
            return None;
        }
        p.level = Some(&after[..colon]);
        p.msg = &after[colon + 1..];
        return Some(p);
    }
    let mut s = sep(rest);
    // `[thread] LEVEL`
    if let Some((inner, after)) = bracketed(s) {
        if !is_level(inner) && level_word(sep(after)).is_some() {
            p.thread = Some(inner);
            s = sep(after);
        }
    }
    match level_word(s) {
        Some((level, after)) => {
            p.level = Some(level);
            s = after;
        }
        None => {
            // `name - LEVEL - msg` (Python's asctime - name - levelname).
            let dash = memchr::memmem::find(s, b" - ");
            match dash.map(|d| (&s[..d], level_word(&s[d + 3..]))) {
                Some((name, Some((level, after))))
                    if !name.is_empty() && !name.contains(&b' ') && after.starts_with(b" - ") =>
                {
                    p.logger = Some(name);
                    p.level = Some(level);
                    p.msg = &after[3..];
                    return Some(p);
                }
                _ if go => {
                    p.msg = s;
                    return Some(p);
                }
                _ => return None,
            }
        }
    }
    if go && p.level.is_some() && nginx_error_after(s) {
        // `2026/01/15 10:23:45 [error] 7#7: ...` is nginx's error log.
        return None;
    }
    s = trim_start(s);
    // Spring Boot: `4711 --- [main] c.e.Foo : msg` (3.2: `--- [app] [main]`).
    let digits = s.iter().take_while(|b| b.is_ascii_digit()).count();
    if let Some(after) = s[digits..].strip_prefix(b" --- ").or_else(|| s.strip_prefix(b"--- ")) {
        p.pid = crate::fields::uint(&s[..digits]);
        let mut t = trim_start(after);
        while let Some((inner, after)) = bracketed(t) {
            p.thread = Some(inner);
            t = trim_start(after);
        }
        if let Some(colon) = memchr::memmem::find(t, b" : ") {
            let logger = t[..colon].trim_ascii();
            p.logger = (!logger.is_empty()).then_some(logger);
            p.msg = &t[colon + 3..];
        } else {
            p.msg = t;
        }
        return Some(p);
    }
    if p.thread.is_none() {
        if let Some((inner, after)) = bracketed(s) {
            // logback's `%-5level [%thread]`; PHP's `[pool www]` is no thread.
            if !inner.contains(&b' ')
                || after.starts_with(b" ") && memchr::memmem::find(after, b" - ").is_some()
            {
                p.thread = Some(inner);
                s = trim_start(after);
            }
        }
    }
    // `logger - msg`: one word, then ` - `.
    let word = s.iter().position(|&b| b == b' ').unwrap_or(s.len());
    if word > 0 && s[word..].starts_with(b" - ") && !s[..word].contains(&b'[') {
        p.logger = Some(&s[..word]);
        p.msg = &s[word + 3..];
    } else {
        p.msg = sep(s);
    }
    Some(p)
}

/// Whether `s` starts as the rest of an nginx error line: ` 7#7: `.
fn nginx_error_after(s: &[u8]) -> bool {
    let s = trim_start(s);
    let a = s.iter().take_while(|b| b.is_ascii_digit()).count();
    a > 0 && s.get(a) == Some(&b'#')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn parse(line: &str) -> Option<Value> {
        let mut ctx = Ctx::new(jiff::tz::TimeZone::UTC);
        let mut buf = Vec::new();
        let mut obj = Object::new(&mut buf);
        AppLog.parse(line.as_bytes(), &mut obj, &mut ctx).ok()?;
        obj.finish();
        Some(serde_json::from_slice(&buf).unwrap())
    }

    fn check(line: &str, want: Value) {
        let got = parse(line).unwrap_or_else(|| panic!("does not parse: {line}"));
        for (k, v) in want.as_object().unwrap() {
            assert_eq!(&got[k], v, "{k} of {line}: {got}");
        }
        for k in ["thread", "logger", "pid"] {
            if want.get(k).is_none() {
                assert!(got.get(k).is_none(), "{k} of {line}: {got}");
            }
        }
    }

    #[test]
    fn the_usual_writers() {
        check(
            "2026-01-15 10:23:45,123 [main] ERROR com.example.Foo - failed: x",
            json!({"ts": "2026-01-15T10:23:45.123+00:00", "level": "ERROR", "thread": "main",
                   "logger": "com.example.Foo", "msg": "failed: x"}),
        );
        check(
            "2026-01-15 10:23:45.123  INFO [http-nio-8080-exec-1] o.s.web.Servlet - Completed",
            json!({"level": "INFO", "thread": "http-nio-8080-exec-1", "logger": "o.s.web.Servlet", "msg": "Completed"}),
        );
        check(
            "2026-01-15T10:23:45.123+01:00 ERROR 4711 --- [           main] c.e.Foo                : failed",
            json!({"ts": "2026-01-15T10:23:45.123+01:00", "level": "ERROR", "pid": 4711,
                   "thread": "main", "logger": "c.e.Foo", "msg": "failed"}),
        );
        check(
            "2026-01-15 10:23:45,123 - app.db - ERROR - connection lost",
            json!({"level": "ERROR", "logger": "app.db", "msg": "connection lost"}),
        );
        check(
            "2026-01-15 10:23:45,123 WARNING disk 91% full",
            json!({"level": "WARNING", "msg": "disk 91% full"}),
        );
        check(
            "2026/01/15 10:23:45 INFO started port=80",
            json!({"ts": "2026-01-15T10:23:45+00:00", "level": "INFO", "msg": "started port=80"}),
        );
        check("2026/01/15 10:23:45 listening on :80", json!({"msg": "listening on :80"}));
        check(
            "E, [2026-01-15T10:23:45.123456 #4711] ERROR -- app: boom",
            json!({"ts": "2026-01-15T10:23:45.123456+00:00", "level": "ERROR", "pid": 4711, "logger": "app", "msg": "boom"}),
        );
        check(
            "I, [2026-01-15T10:23:45.123456 #4711]  INFO -- : Started GET \"/\"",
            json!({"level": "INFO", "pid": 4711, "msg": "Started GET \"/\""}),
        );
        check(
            "[15-Jan-2026 10:23:45] WARNING: [pool www] child 12 exited",
            json!({"ts": "2026-01-15T10:23:45+00:00", "level": "WARNING", "msg": "[pool www] child 12 exited"}),
        );
        check("[2026-01-15 10:23:45] [ERROR] x", json!({"level": "ERROR", "msg": "x"}));
        check(
            "2012-07-02 10:22:40,672:DEBUG:foo bar baz",
            json!({"ts": "2012-07-02T10:22:40.672+00:00", "level": "DEBUG", "msg": "foo bar baz"}),
        );
    }

    #[test]
    fn other_lines_are_not_applog() {
        for line in [
            "2026/01/15 10:23:45 [error] 7#7: *1 open() failed",
            "2026-01-15 10:23:45 hello world",
            "1.2.3.4 - - [10/Oct/2026:13:55:36 +0000] \"GET / HTTP/1.1\" 200 1",
            "\tat com.example.Foo.bar(Foo.java:12)",
            "Nov 27 03:22:46 host sshd[1]: ok",
            "2026-01-15 10:23:45,123ERROR x",
            "2026-01-15 10:23:45:x:y",
        ] {
            assert!(parse(line).is_none(), "{line}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_never_panic(line in proptest::collection::vec(proptest::num::u8::ANY, 0..80)) {
            let mut prefixed = b"2026-01-15 10:23:45,123 ".to_vec();
            prefixed.extend_from_slice(&line);
            let _ = parse(&String::from_utf8_lossy(&line));
            let mut ctx = Ctx::new(jiff::tz::TimeZone::UTC);
            let mut buf = Vec::new();
            let mut obj = Object::new(&mut buf);
            let _ = AppLog.parse(&prefixed, &mut obj, &mut ctx);
        }
    }
}
