//! syslog lines: RFC 3164 (BSD) and RFC 5424.
//!
//! ```text
//! RFC 3164:  [<PRI>]Mmm dd hh:mm:ss HOST TAG[PID]: MSG
//! files:     Nov 27 03:22:46 host sshd[1234]: Accepted publickey for ...
//! rsyslog:   2026-11-27T03:22:46.123+01:00 host kernel: ...
//! RFC 5424:  <PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD...] MSG
//! ```
//!
//! Fields: `ts`, `host`, `app`, `pid` (an integer when numeric), then, with
//! a `<PRI>`, `facility` and `severity` by name, for RFC 5424 `msgid` and
//! `sd` (the structured data as written), and last `msg`. Nil values (`-`)
//! are left out.
//!
//! A BSD time has no year and no zone: it is read in [`Ctx::zone`] and in
//! the year of [`Ctx::now`], or the year before when that would put it more
//! than a day in the future (December lines read in January). RFC 5424 and
//! rsyslog's RFC 3339 times keep their own offset.
//!
//! Not taken for syslog: the continuation lines of multi-line messages
//! (macOS writes them indented with a tab), which start with no time.

use crate::fields::uint;
use crate::format::{Ctx, LogFormat};
use logkit_common::json::Object;
use logkit_common::record as f;
use logkit_common::time::layouts::{self, SyslogTime};
use logkit_common::time::{format_rfc3339_frac, parse_rfc3339, Stamp};

/// RFC 3164 and RFC 5424 syslog lines.
#[derive(Clone)]
pub struct Syslog;

/// Facility names, by number (RFC 5424 table 1, as syslog.conf names them).
pub const FACILITIES: [&str; 24] = [
    "kern",
    "user",
    "mail",
    "daemon",
    "auth",
    "syslog",
    "lpr",
    "news",
    "uucp",
    "cron",
    "authpriv",
    "ftp",
    "ntp",
    "security",
    "console",
    "solaris-cron",
    "local0",
    "local1",
    "local2",
    "local3",
    "local4",
    "local5",
    "local6",
    "local7",
];

/// Severity names, by number (RFC 5424 table 2).
pub const SEVERITIES: [&str; 8] =
    ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"];

type Error = &'static str;

impl LogFormat for Syslog {
    fn takes_continuations(&self) -> bool {
        true
    }

    fn name(&self) -> &str {
        "syslog"
    }

    fn parse(&mut self, line: &[u8], obj: &mut Object, ctx: &mut Ctx) -> Result<(), Error> {
        let (pri, rest) = if line.first() == Some(&b'<') {
            let (pri, rest) = priority(line)?;
            (Some(pri), rest)
        } else {
            (None, line)
        };
        match pri.and_then(|_| after_version(rest)) {
            Some(rest) => rfc5424(rest, pri, obj),
            None => rfc3164(rest, pri, obj, ctx),
        }
    }
}

/// `<PRI>` (0 to 191) at the start of `s`, and what follows it.
fn priority(s: &[u8]) -> Result<(u8, &[u8]), Error> {
    const WHAT: Error = "bad <priority>";
    let end = s.iter().take(5).position(|&b| b == b'>').ok_or(WHAT)?;
    let digits = &s[1..end];
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(WHAT);
    }
    let pri = digits.iter().fold(0u32, |n, &d| n * 10 + u32::from(d - b'0'));
    if pri > 191 {
        return Err(WHAT);
    }
    Ok((pri as u8, &s[end + 1..]))
}

/// After `<PRI>`: RFC 5424's `VERSION SP` (1 or 2 digits, not starting
/// with 0), returning what follows; `None` for an RFC 3164 line.
fn after_version(s: &[u8]) -> Option<&[u8]> {
    let n = s.iter().take(3).take_while(|b| b.is_ascii_digit()).count();
    if n == 0 || n > 2 || s[0] == b'0' || s.get(n) != Some(&b' ') {
        return None;
    }
    Some(&s[n + 1..])
}

/// `pid`: an integer when numeric, else text.
fn write_pid(obj: &mut Object, pid: &[u8]) {
    match uint(pid) {
        Some(n) => obj.uint(f::PID, n),
        None => obj.bytes(f::PID, pid),
    }
}

fn write_pri(obj: &mut Object, pri: Option<u8>) {
    if let Some(pri) = pri {
        obj.str(f::FACILITY, FACILITIES[usize::from(pri >> 3)]);
        obj.str(f::SEVERITY, SEVERITIES[usize::from(pri & 7)]);
    }
}

/// `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [MSG]`,
/// from the timestamp on.
fn rfc5424(s: &[u8], pri: Option<u8>, obj: &mut Object) -> Result<(), Error> {
    let mut s = s;
    let time = header_field(&mut s, "expected RFC 5424 timestamp")?;
    let host = header_field(&mut s, "expected RFC 5424 hostname")?;
    let app = header_field(&mut s, "expected RFC 5424 app-name")?;
    let procid = header_field(&mut s, "expected RFC 5424 procid")?;
    let msgid = header_field(&mut s, "expected RFC 5424 msgid")?;
    let sd_len = match s.first() {
        Some(b'-') => 1,
        Some(b'[') => structured_data(s).ok_or("bad structured data")?,
        _ => return Err("expected structured data"),
    };
    let (sd, rest) = s.split_at(sd_len);
    let msg = match rest.split_first() {
        None => &b""[..],
        Some((b' ', msg)) => msg.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(msg),
        Some(_) => return Err("bad structured data"),
    };
    if time != b"-" {
        let stamp = std::str::from_utf8(time).ok().and_then(parse_rfc3339).ok_or("bad time")?;
        obj.str(f::TS, &format_rfc3339_frac(stamp.instant, stamp.offset));
    }
    for (name, value) in [(f::HOST, host), (f::APP, app)] {
        if value != b"-" {
            obj.bytes(name, value);
        }
    }
    if procid != b"-" {
        write_pid(obj, procid);
    }
    write_pri(obj, pri);
    if msgid != b"-" {
        obj.bytes(f::MSGID, msgid);
    }
    if sd != b"-" {
        obj.bytes(f::SD, sd);
    }
    if !msg.is_empty() {
        obj.bytes(f::MSG, msg);
    }
    obj.str(f::FMT, "syslog");
    Ok(())
}

/// One space-ended header field of RFC 5424 (never empty), advancing `s`
/// past the space.
fn header_field<'a>(s: &mut &'a [u8], what: Error) -> Result<&'a [u8], Error> {
    let end = memchr::memchr(b' ', s).ok_or(what)?;
    if end == 0 {
        return Err(what);
    }
    let field = &s[..end];
    *s = &s[end + 1..];
    Ok(field)
}

/// The length of the structured data at the start of `s`: one or more
/// `[ID name="value" ...]` elements, where values may hold `\"`, `\\` and
/// `\]`. `None` when it does not end.
fn structured_data(s: &[u8]) -> Option<usize> {
    let mut i = 0;
    while s.get(i) == Some(&b'[') {
        i += 1;
        let mut quoted = false;
        loop {
            let k = memchr::memchr3(b'"', b'\\', b']', s.get(i..)?)?;
            let b = s[i + k];
            i += k + 1;
            match b {
                b'\\' if quoted => i += 1,
                b'"' => quoted = !quoted,
                b']' if !quoted => break,
                _ => {}
            }
        }
    }
    Some(i).filter(|&n| n > 0 && n <= s.len())
}

/// A BSD time: civil fields without a year, or an RFC 3339 time (rsyslog's
/// high-precision format).
enum BsdTime {
    Civil(SyslogTime),
    Stamp(Stamp),
}

/// `[<PRI>]TIMESTAMP HOSTNAME TAG: MSG`, from the timestamp on.
fn rfc3164(s: &[u8], pri: Option<u8>, obj: &mut Object, ctx: &Ctx) -> Result<(), Error> {
    let (time, rest) = bsd_time(s).ok_or("expected syslog timestamp")?;
    let parts = host_tag_msg(rest)?;
    match time {
        BsdTime::Civil(time) => {
            let time = time.in_year_near(ctx.now, &ctx.zone).ok_or("bad date")?;
            ctx.write_local_ts(obj, time.datetime)?;
        }
        BsdTime::Stamp(stamp) => {
            obj.str(f::TS, &format_rfc3339_frac(stamp.instant, stamp.offset));
        }
    }
    if let Some(host) = parts.host {
        obj.bytes(f::HOST, host);
    }
    if let Some(app) = parts.app {
        obj.bytes(f::APP, app);
    }
    if let Some(pid) = parts.pid {
        write_pid(obj, pid);
    }
    write_pri(obj, pri);
    if !parts.msg.is_empty() {
        obj.bytes(f::MSG, parts.msg);
    }
    obj.str(f::FMT, "syslog");
    Ok(())
}

/// `Mmm dd hh:mm:ss` (the day space-padded, zero-padded or bare, optional
/// fractional seconds), or an RFC 3339 time; followed by a space or the
/// end of the line. Returns the time and what follows the space.
fn bsd_time(s: &[u8]) -> Option<(BsdTime, &[u8])> {
    let (time, len) = if s.first()?.is_ascii_digit() {
        // 2026-11-27T03:22:46[.frac](Z|+hh:mm)
        let len = memchr::memchr(b' ', s).unwrap_or(s.len());
        let token = &s[..len];
        if token.len() < 20 || token[4] != b'-' || token[10] != b'T' {
            return None;
        }
        (BsdTime::Stamp(parse_rfc3339(std::str::from_utf8(token).ok()?)?), len)
    } else {
        let (time, len) = layouts::bsd_syslog(s)?;
        (BsdTime::Civil(time), len)
    };
    let rest = match s.get(len) {
        None => &b""[..],
        Some(b' ') => &s[len + 1..],
        Some(_) => return None,
    };
    Some((time, rest))
}

/// The parts of a BSD line after the time.
#[derive(Debug, PartialEq, Eq)]
struct Parts<'a> {
    host: Option<&'a [u8]>,
    app: Option<&'a [u8]>,
    pid: Option<&'a [u8]>,
    msg: &'a [u8],
}

/// `HOSTNAME TAG[PID]: MSG`. The host is left out by local senders (then
/// the first word is already the tag: it holds a `[` or ends with `:`);
/// the tag may have no pid, and a line may have no tag at all (`last
/// message repeated 2 times`), when it is all message.
fn host_tag_msg(s: &[u8]) -> Result<Parts<'_>, Error> {
    // macOS: `Apr  4 03:39:57 --- last message repeated 1 time ---`.
    if s.starts_with(b"--- ") {
        return Ok(Parts { host: None, app: None, pid: None, msg: s });
    }
    let end = memchr::memchr(b' ', s).unwrap_or(s.len());
    let word = &s[..end];
    if word.is_empty() {
        return Err("expected host");
    }
    let (host, rest) = if memchr::memchr(b'[', word).is_some() || word.ends_with(b":") {
        (None, s)
    } else {
        // Some senders pad: `combo  -- root[2421]: ROOT LOGIN ON tty2`.
        (Some(word), s.get(end + 1..).unwrap_or_default().trim_ascii_start())
    };
    let (app, pid, msg) = tag(rest);
    Ok(Parts { host, app, pid, msg })
}

/// Splits `TAG[PID]: MSG` or `TAG: MSG` into app, pid and message; all
/// message when there is no tag. A tag may contain spaces (macOS: `Google
/// Chrome[85294]: ...`) only when a numeric pid and a colon follow it; a
/// tag with a pid may be followed by a space instead of the colon (macOS:
/// `com.apple.xpc.launchd[1] (com.apple.quicklook[21498]): ...`).
#[allow(clippy::type_complexity)]
fn tag(s: &[u8]) -> (Option<&[u8]>, Option<&[u8]>, &[u8]) {
    let all_message = (None, None, s);
    let Some(k) = memchr::memchr2(b'[', b':', s) else {
        return all_message;
    };
    let name = &s[..k];
    let spaced = memchr::memchr(b' ', name).is_some();
    if name.is_empty() || name.ends_with(b" ") || (spaced && name.len() > 64) {
        return all_message;
    }
    if s[k] == b':' {
        return match s.get(k + 1) {
            _ if spaced => all_message,
            None => (Some(name), None, b""),
            Some(b' ') => (Some(name), None, &s[k + 2..]),
            Some(_) => all_message,
        };
    }
    let Some(j) = memchr::memchr(b']', &s[k + 1..]).map(|j| k + 1 + j) else {
        return all_message;
    };
    let pid = &s[k + 1..j];
    if pid.is_empty() || memchr::memchr(b' ', pid).is_some() {
        return all_message;
    }
    if spaced && !pid.iter().all(u8::is_ascii_digit) {
        return all_message;
    }
    let after = &s[j + 1..];
    let msg = match after {
        [] => after,
        [b':', b' ', msg @ ..] | [b':', msg @ ..] => msg,
        [b' ', msg @ ..] if !spaced => msg,
        _ => return all_message,
    };
    (Some(name), Some(pid), msg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    /// A context in UTC on 2026-11-27 12:00.
    fn ctx() -> Ctx {
        let mut ctx = Ctx::new(jiff::tz::TimeZone::UTC);
        ctx.now = "2026-11-27T12:00:00Z".parse().unwrap();
        ctx
    }

    fn parse_in(line: &[u8], ctx: &mut Ctx) -> Result<serde_json::Value, Error> {
        crate::testing::record_in(&mut Syslog, line, ctx)
    }

    fn parse(line: &str) -> Result<serde_json::Value, Error> {
        parse_in(line.as_bytes(), &mut ctx())
    }

    #[test]
    fn rfc3164_with_priority() {
        assert_eq!(
            parse(
                "<34>Oct 11 22:14:15 mymachine su[123]: 'su root' failed for lonvick on /dev/pts/8"
            )
            .unwrap(),
            json!({"ts":"2026-10-11T22:14:15+00:00","host":"mymachine","app":"su","pid":123,
                "facility":"auth","severity":"crit",
                "msg":"'su root' failed for lonvick on /dev/pts/8","fmt":"syslog"})
        );
        // A local sender leaves the host out.
        assert_eq!(
            parse("<13>Feb  5 17:32:18 logger: hello").unwrap(),
            json!({"ts":"2026-02-05T17:32:18+00:00","app":"logger","facility":"user",
                "severity":"notice","msg":"hello","fmt":"syslog"})
        );
        assert_eq!(parse("<191>Feb  5 17:32:18 h a: b").unwrap()["facility"], "local7");
        assert_eq!(parse("<191>Feb  5 17:32:18 h a: b").unwrap()["severity"], "debug");
        assert_eq!(parse("<0>Feb  5 17:32:18 h a: b").unwrap()["facility"], "kern");
        assert_eq!(parse("<0>Feb  5 17:32:18 h a: b").unwrap()["severity"], "emerg");
    }

    #[test]
    fn rfc3164_as_in_var_log() {
        assert_eq!(
            parse("Nov 27 03:22:46 web1 sshd[1234]: Accepted publickey for deploy from 203.0.113.9 port 50122 ssh2: ED25519 SHA256:abc").unwrap(),
            json!({"ts":"2026-11-27T03:22:46+00:00","host":"web1","app":"sshd","pid":1234,
                "msg":"Accepted publickey for deploy from 203.0.113.9 port 50122 ssh2: ED25519 SHA256:abc",
                "fmt":"syslog"})
        );
        // No pid; a colon later in the message; a space-padded day.
        assert_eq!(
            parse("Nov  3 09:47:02 web1 sudo: deploy : TTY=pts/6 ; PWD=/srv ; USER=root ; COMMAND=/usr/bin/tail").unwrap(),
            json!({"ts":"2026-11-03T09:47:02+00:00","host":"web1","app":"sudo",
                "msg":"deploy : TTY=pts/6 ; PWD=/srv ; USER=root ; COMMAND=/usr/bin/tail","fmt":"syslog"})
        );
        assert_eq!(
            parse("Nov 27 03:22:46 web1 kernel: [ 1234.567890] eth0: link up").unwrap(),
            json!({"ts":"2026-11-27T03:22:46+00:00","host":"web1","app":"kernel",
                "msg":"[ 1234.567890] eth0: link up","fmt":"syslog"})
        );
        // Tags with a slash, a dot, parentheses; a bare day.
        let r =
            parse("Jun 4 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown").unwrap();
        assert_eq!(
            (&r["app"], &r["pid"], &r["ts"]),
            (&json!("sshd(pam_unix)"), &json!(19939), &json!("2026-06-04T15:16:01+00:00"))
        );
        let r = parse("Nov 27 03:22:46 mx postfix/smtpd[99]: connect from x").unwrap();
        assert_eq!((&r["app"], &r["pid"]), (&json!("postfix/smtpd"), &json!(99)));
        // Fractional seconds.
        assert_eq!(
            parse("Nov 27 03:22:46.25 h a: b").unwrap()["ts"],
            "2026-11-27T03:22:46.250+00:00"
        );
    }

    #[test]
    fn rfc3164_as_macos_writes_it() {
        // An application name with a space.
        assert_eq!(
            parse("Dec 13 11:35:57 a-mac Google Chrome[85294]: objc[85294]: __weak variable")
                .unwrap(),
            json!({"ts":"2025-12-13T11:35:57+00:00","host":"a-mac","app":"Google Chrome","pid":85294,
                "msg":"objc[85294]: __weak variable","fmt":"syslog"})
        );
        // launchd's tag is followed by a space, not a colon.
        assert_eq!(
            parse("Dec 13 11:38:45 a-mac com.apple.xpc.launchd[1] (com.apple.quicklook[21498]): Endpoint activated").unwrap(),
            json!({"ts":"2025-12-13T11:38:45+00:00","host":"a-mac","app":"com.apple.xpc.launchd","pid":1,
                "msg":"(com.apple.quicklook[21498]): Endpoint activated","fmt":"syslog"})
        );
        assert_eq!(
            parse("Apr  4 03:39:57 --- last message repeated 1 time ---").unwrap(),
            json!({"ts":"2026-04-04T03:39:57+00:00","msg":"--- last message repeated 1 time ---","fmt":"syslog"})
        );
        // No tag at all: everything after the host is the message.
        assert_eq!(
            parse("Nov 27 03:22:46 web1 last message repeated 2 times").unwrap(),
            json!({"ts":"2026-11-27T03:22:46+00:00","host":"web1","msg":"last message repeated 2 times","fmt":"syslog"})
        );
        // A non-numeric pid is kept as text.
        assert_eq!(parse("Nov 27 03:22:46 h app[main]: x").unwrap()["pid"], "main");
        // Padding before the tag.
        let r = parse("Jul  7 08:06:15 combo  -- root[2421]: ROOT LOGIN ON tty2").unwrap();
        assert_eq!(
            (&r["app"], &r["pid"], &r["msg"]),
            (&json!("-- root"), &json!(2421), &json!("ROOT LOGIN ON tty2"))
        );
    }

    #[test]
    fn rsyslog_rfc3339_times_keep_their_offset() {
        assert_eq!(
            parse(
                "2026-08-14T14:30:02.203151+02:00 linux-sqrz systemd[4179]: Stopped target Paths."
            )
            .unwrap(),
            json!({"ts":"2026-08-14T14:30:02.203151+02:00","host":"linux-sqrz","app":"systemd","pid":4179,
                "msg":"Stopped target Paths.","fmt":"syslog"})
        );
    }

    #[test]
    fn fractions_beyond_nanoseconds_are_cut_to_nine_digits() {
        for line in [
            "Nov 27 03:22:46.123456789012 web1 app: x",
            "2026-11-27T03:22:46.123456789012Z web1 app: x",
            "<14>1 2026-11-27T03:22:46.123456789012Z web1 app - - - x",
        ] {
            assert_eq!(parse(line).unwrap()["ts"], "2026-11-27T03:22:46.123456789+00:00", "{line}");
        }
    }

    #[test]
    fn rfc5424() {
        assert_eq!(
            parse(r#"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] An application event log entry"#).unwrap(),
            json!({"ts":"2003-10-11T22:14:15.003+00:00","host":"mymachine.example.com","app":"evntslog",
                "facility":"local4","severity":"notice","msgid":"ID47",
                "sd":r#"[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"]"#,
                "msg":"An application event log entry","fmt":"syslog"})
        );
        // All nil, no message.
        assert_eq!(
            parse("<34>1 - - - - - -").unwrap(),
            json!({"facility":"auth","severity":"crit","fmt":"syslog"})
        );
        // Its own offset, a pid, a BOM before the message, two SD elements
        // with escapes.
        assert_eq!(
            parse("<13>1 2026-11-27T03:22:43.5-05:00 h app 42 - [a x=\"q\\\"]\"][b@1 y=\"\"] \u{feff}héllo").unwrap(),
            json!({"ts":"2026-11-27T03:22:43.500-05:00","host":"h","app":"app","pid":42,
                "facility":"user","severity":"notice","sd":"[a x=\"q\\\"]\"][b@1 y=\"\"]",
                "msg":"héllo","fmt":"syslog"})
        );
        assert_eq!(parse("<13>1 - h a - - - x").unwrap()["msg"], "x");
    }

    #[test]
    fn the_year_is_inferred_from_now() {
        let mut ctx = ctx();
        ctx.now = "2027-01-02T08:00:00Z".parse().unwrap();
        let ts = |line: &str, ctx: &mut Ctx| parse_in(line.as_bytes(), ctx).unwrap()["ts"].clone();
        // December lines read in January are last year's.
        assert_eq!(ts("Dec 31 23:59:59 h a: b", &mut ctx), "2026-12-31T23:59:59+00:00");
        assert_eq!(ts("Jan  2 07:00:00 h a: b", &mut ctx), "2027-01-02T07:00:00+00:00");
        // Up to a day ahead is this year's (clocks differ).
        assert_eq!(ts("Jan  3 07:00:00 h a: b", &mut ctx), "2027-01-03T07:00:00+00:00");
        assert_eq!(ts("Jan  3 09:00:00 h a: b", &mut ctx), "2026-01-03T09:00:00+00:00");
        // 29 February belongs to the last leap year.
        assert_eq!(ts("Feb 29 10:00:00 h a: b", &mut ctx), "2024-02-29T10:00:00+00:00");
        // In the zone of the context, with its offset.
        let mut paris = Ctx::new(jiff::tz::TimeZone::get("Europe/Paris").unwrap());
        paris.now = ctx.now;
        assert_eq!(ts("Jul 14 10:00:00 h a: b", &mut paris), "2026-07-14T10:00:00+02:00");
        assert_eq!(ts("Jan  1 10:00:00 h a: b", &mut paris), "2027-01-01T10:00:00+01:00");
    }

    #[test]
    fn not_syslog() {
        for bad in [
            "",
            "hello world",
            r#"203.0.113.9 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 404 2326"#,
            "\tASL Module \"com.apple.install\" claims selected messages.",
            "2026/11/27 03:22:46 [notice] 6690#6690: exit",
            "Nov 27 03:22:46",
            "Nov 27 03:22:46  x",
            "Nov 27 3:22:46 h a: b",
            "Nov 27 24:22:46 h a: b",
            "Nov 32 03:22:46 h a: b",
            "Feb 30 03:22:46 h a: b",
            "Foo 27 03:22:46 h a: b",
            "Nov 127 03:22:46 h a: b",
            "Nov 27 03:22:46x h a: b",
            "<192>Nov 27 03:22:46 h a: b",
            "<>Nov 27 03:22:46 h a: b",
            "<13Nov 27 03:22:46 h a: b",
            "<13>1 2026-11-27T03:22:43Z h a - -",
            "<13>1 2026-11-27T03:22:43Z h a - - [x",
            "<13>1 2026-11-27T03:22:43Z h a - - [x]y",
            "<13>1 2026-11-27T03:22:43Z h a - - x",
            "<13>1 2026-11-27 h a - - - x",
            "<13>1  h a - - - x",
            "2026-11-27T03:22:46 h a: b",
            r#"{"time":"2026-11-27T03:22:43Z","msg":"x"}"#,
            "time=2026-11-27T03:22:43Z level=info msg=x",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}: {:?}", parse(bad));
        }
    }

    #[test]
    fn bytes_that_are_not_utf8_are_kept() {
        let r = parse_in(b"Nov 27 03:22:46 h a[1]: caf\xe9", &mut ctx()).unwrap();
        assert_eq!(r["msg"], "caf\u{fffd}");
        assert_eq!(r["msg_b64"], "Y2Fm6Q==");
        assert_eq!(r["host"], "h");
    }

    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

    proptest! {
        #[test]
        fn rfc3164_round_trip(pri in proptest::option::of(0u8..192), mo in 0usize..12, d in 1i8..=28,
                              h in 0i8..24, mi in 0i8..60, s in 0i8..60,
                              host in "[a-zA-Z0-9][a-zA-Z0-9.-]{0,20}",
                              app in "[a-zA-Z][a-zA-Z0-9._/-]{0,20}",
                              pid in proptest::option::of(1u32..4_000_000),
                              msg in "[^ \n\r][^\n\r]{0,60}") {
            let pri_text = pri.map(|p| format!("<{p}>")).unwrap_or_default();
            let pid_text = pid.map(|p| format!("[{p}]")).unwrap_or_default();
            let line = format!("{pri_text}{} {d:2} {h:02}:{mi:02}:{s:02} {host} {app}{pid_text}: {msg}", MONTHS[mo]);
            let r = parse(&line).unwrap();
            // Now is 2026-11-27 12:00: from 28 November on it is last year.
            let ahead = (mo + 1, d, h, mi, s) > (11, 28, 12, 0, 0);
            let year = if ahead { 2025 } else { 2026 };
            let mut want = json!({"ts": format!("{year}-{:02}-{d:02}T{h:02}:{mi:02}:{s:02}+00:00", mo + 1),
                "host": host, "app": app, "msg": msg, "fmt": "syslog"});
            if let Some(p) = pid {
                want["pid"] = json!(p);
            }
            if let Some(p) = pri {
                want["facility"] = json!(FACILITIES[usize::from(p >> 3)]);
                want["severity"] = json!(SEVERITIES[usize::from(p & 7)]);
            }
            prop_assert_eq!(r, want);
        }

        #[test]
        fn rfc5424_round_trip(pri in 0u8..192, secs in 0i64..4_000_000_000, millis in proptest::option::of(0u32..1000),
                              offset_min in -14 * 60i32..=14 * 60,
                              host in proptest::option::of("[!-~]{1,30}"),
                              app in proptest::option::of("[!-~]{1,20}"),
                              pid in proptest::option::of(0u32..4_000_000),
                              msgid in proptest::option::of("[!-~]{1,10}"),
                              sd in proptest::option::of(r#"(\[[a-z@0-9]{1,8}( [a-z]{1,5}="([^"\\\]]|\\["\\\]]){0,10}"){0,3}\]){1,3}"#),
                              msg in proptest::option::of("[^\n\r\u{feff}][^\n\r]{0,59}")) {
            let offset = jiff::tz::Offset::from_seconds(offset_min * 60).unwrap();
            let mut instant = jiff::Timestamp::from_second(secs).unwrap();
            if let Some(ms) = millis {
                instant = instant.checked_add(jiff::SignedDuration::from_millis(i64::from(ms))).unwrap();
            }
            let ts = format_rfc3339_frac(instant, offset);
            let nil = |v: &Option<String>| v.clone().filter(|v| v != "-");
            let (host, app, msgid) = (nil(&host), nil(&app), nil(&msgid));
            let line = format!("<{pri}>1 {ts} {} {} {} {} {}{}",
                host.as_deref().unwrap_or("-"), app.as_deref().unwrap_or("-"),
                pid.map(|p| p.to_string()).as_deref().unwrap_or("-"), msgid.as_deref().unwrap_or("-"),
                sd.as_deref().unwrap_or("-"), msg.as_ref().map(|m| format!(" {m}")).unwrap_or_default());
            let r = parse(&line).unwrap();
            let mut want = json!({"ts": ts, "facility": FACILITIES[usize::from(pri >> 3)],
                "severity": SEVERITIES[usize::from(pri & 7)], "fmt": "syslog"});
            for (name, value) in [(f::HOST, host), (f::APP, app), (f::MSGID, msgid), (f::SD, sd), (f::MSG, msg)] {
                if let Some(v) = value {
                    want[name] = json!(v);
                }
            }
            if let Some(p) = pid {
                want["pid"] = json!(p);
            }
            prop_assert_eq!(r, want);
        }

        #[test]
        fn never_panics(prefix in proptest::sample::select(vec!["", "<13>", "<13>1 ", "<13>1 - - - - - ",
                            "<13>1 - - - - - [", "Nov 27 03:22:46 ", "Nov  2 03:22:46 h ", "Nov 27 03:22:46 h a[",
                            "2026-11-27T03:22:46Z "]),
                        bytes in proptest::collection::vec(any::<u8>(), 0..80),
                        text in "[<>0-9 \\[\\]:\"\\\\a-z-]{0,40}") {
            for tail in [&bytes[..], text.as_bytes()] {
                let mut line = prefix.as_bytes().to_vec();
                line.extend_from_slice(tail);
                let _ = parse_in(&line, &mut ctx());
            }
        }
    }
}
