//! The Common Log Format family, as nginx and Apache httpd write it:
//!
//! ```text
//! common:   %h %l %u %t "%r" %>s %b
//! combined: %h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"
//! ```
//!
//! nginx's stock `combined` is the same line. What follows the user agent
//! is read as the common nginx setups write it: `$request_time` (seconds
//! with milliseconds) becomes `rt`, `$upstream_response_time` right after
//! it `upstream_rt`, a host name (`$host`) `vhost`; the rest, from the first
//! word that is none of these, is kept whole as `extra`, and a format that
//! names it (nginx's `main`, or one declared with `--nginx-format` or
//! `--apache-format`) is preferred ([`Fit::Extra`]).
//!
//! A line needs its client, ident, user and `[time]`; a line that ends
//! early after them (a crash, a full disk, a cut at ltail's maximum) or
//! holds an unreadable field keeps the fields before as a partial record
//! ([`Fit::Partial`]).
//!
//! The scanner works on bytes and borrows from the line; quoted fields are
//! unescaped only when they contain a backslash.

use crate::fields::{self, escaped_text, split_request, uint, unescape, Cursor};
use crate::format::{Ctx, Fit, LogFormat};
use logkit_common::json::Object;
use logkit_common::record as f;
use logkit_common::time::ClfMemo;

/// The `common` and `combined` formats (one parser: a line without referer
/// and user agent is `common`).
#[derive(Clone)]
pub struct Combined;

impl LogFormat for Combined {
    fn name(&self) -> &str {
        "combined"
    }

    fn parse(&mut self, line: &[u8], obj: &mut Object, ctx: &mut Ctx) -> Result<(), Error> {
        let a = parse(line)?;
        write_fields(&a, obj, &mut ctx.scratch, &mut ctx.clf)?;
        if let Some(why) = a.partial {
            ctx.fit = Fit::Partial(why);
        } else if a.extra.is_some() {
            ctx.fit = Fit::Extra;
        }
        Ok(())
    }
}

/// A parsed access-log line, borrowing from the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access<'a> {
    /// The client's address, or a list of them (`%h`, `$remote_addr`).
    pub client: &'a [u8],
    /// The user, `-` for none (`%u`, `$remote_user`); it may hold spaces.
    pub user: &'a [u8],
    /// The time as written, without brackets.
    pub time: &'a [u8],
    /// The request line, still escaped as the server wrote it; `None` when
    /// the line ends before it is complete.
    pub request: Option<&'a [u8]>,
    /// The status code; `None` when the line ends before it.
    pub status: Option<u32>,
    /// The body bytes sent; `None` for `-` (or a line cut before them).
    pub bytes: Option<u64>,
    /// The referer, still escaped; `None` in the common format.
    pub referer: Option<&'a [u8]>,
    /// The user agent, still escaped; `None` in the common format.
    pub ua: Option<&'a [u8]>,
    /// nginx's `$request_time` after the user agent: decimal seconds, as
    /// written.
    pub rt: Option<&'a [u8]>,
    /// nginx's `$upstream_response_time` right after `$request_time`.
    pub upstream_rt: Option<&'a [u8]>,
    /// A host name after the user agent (nginx's `$host`).
    pub vhost: Option<&'a [u8]>,
    /// What follows the user agent and has no name here, as written.
    pub extra: Option<&'a [u8]>,
    /// Whether the request, referer or user agent holds a backslash (has
    /// escapes to undo); `false` spares writing them a search for one.
    pub backslash: bool,
    /// Why only the leading fields were read (the line ends early, or a
    /// field after the time is unreadable); `None` for a whole line.
    pub partial: Option<Error>,
}

impl Access<'_> {
    /// The format's name, for `fmt`: `common` for a whole line that ends
    /// after the bytes.
    pub fn format_name(&self) -> &'static str {
        if self.ua.is_none() && self.referer.is_none() && self.partial.is_none() {
            "common"
        } else {
            "combined"
        }
    }
}

/// Why a line is not an access-log line.
pub type Error = &'static str;

/// Parses one line of the common or combined format.
///
/// A line needs its client, ident, user and time to be one; from the
/// request on, a line that ends early or holds an unreadable field keeps
/// the fields before (see [`Access::partial`]).
pub fn parse(line: &[u8]) -> Result<Access<'_>, Error> {
    let mut s = Cursor::new(line);
    let mut client = s.token("empty line")?;
    // A list of addresses (nginx behind proxies, logging X-Forwarded-For as
    // the client: `10.0.0.2, 10.0.0.1, 127.0.0.1`) is one client field.
    while client.ends_with(b",") && s.s.get(s.i) == Some(&b' ') {
        let start = s.i - client.len();
        s.i += 1;
        s.token("expected ident after client")?;
        client = &line[start..s.i];
    }
    s.space("expected ident after client")?;
    let _ident = s.token("expected ident")?;
    s.space("expected user after ident")?;
    let user = user(&mut s)?;
    s.space("expected [time]")?;
    let time = s.bracketed("expected [time]")?;
    let mut access = Access {
        client,
        user,
        time,
        request: None,
        status: None,
        bytes: None,
        referer: None,
        ua: None,
        rt: None,
        upstream_rt: None,
        vhost: None,
        extra: None,
        backslash: false,
        partial: None,
    };
    access.partial = after_time(&mut s, &mut access).err();
    Ok(access)
}

/// The user: one word, or (Apache's `%u` as the client sent it) words
/// up to the ` [` of the time, none of them `-`.
fn user<'a>(s: &mut Cursor<'a>) -> Result<&'a [u8], Error> {
    let start = s.i;
    let word = s.token("expected user")?;
    if s.rest().starts_with(b" [") {
        return Ok(word);
    }
    let Some(k) = memchr::memmem::find(s.rest(), b" [") else { return Ok(word) };
    let words = &s.s[start..s.i + k];
    if words.split(|&b| b == b' ').any(|w| w.is_empty() || w == b"-") {
        // A `-` among them: fields shifted (vhost first), not a name.
        return Ok(word);
    }
    s.i += k;
    Ok(words)
}

/// Reads the fields after the time into `a`; `Err` with the reason when
/// the line ends early or a field is unreadable (the fields read so far
/// stay).
fn after_time<'a>(s: &mut Cursor<'a>, a: &mut Access<'a>) -> Result<(), Error> {
    let line = s.s;
    field_start(s, "the line ends before the request")?;
    let (request, backslash) =
        s.quoted("expected \"request\"").map_err(|e| cut(e, "the request"))?;
    a.request = Some(request);
    a.backslash |= backslash;
    field_start(s, "the line ends before the status")?;
    let status = s.token("expected status")?;
    if s.at_end() && status.len() < 3 && status.iter().all(u8::is_ascii_digit) {
        return Err("the line ends in the status");
    }
    a.status = Some(uint(status).ok_or("status is not a number")? as u32);
    field_start(s, "the line ends before the bytes")?;
    let bytes = s.token("expected bytes")?;
    if bytes != b"-" {
        a.bytes = Some(uint(bytes).ok_or("bytes is not a number")?);
    }
    if s.at_end() {
        return Ok(());
    }
    field_start(s, "the line ends before the referer")?;
    // Traefik writes a missing referer bare: `-`.
    if !s.eat(b"- ") {
        let (referer, backslash) =
            s.quoted("expected \"referer\"").map_err(|e| cut(e, "the referer"))?;
        a.referer = Some(referer);
        a.backslash |= backslash;
    } else {
        s.i -= 1;
    }
    field_start(s, "the line ends before the user agent")?;
    let (ua, backslash) =
        s.quoted("expected \"user agent\"").map_err(|e| cut(e, "the user agent"))?;
    a.ua = Some(ua);
    a.backslash |= backslash;
    if s.at_end() {
        return Ok(());
    }
    field_start(s, "the line ends after the user agent")?;
    trailing(&line[s.i..], a);
    Ok(())
}

/// The space before a field; `ended` when the line ends instead.
fn field_start(s: &mut Cursor<'_>, ended: Error) -> Result<(), Error> {
    if s.at_end() {
        return Err(ended);
    }
    s.space("expected a space between fields")?;
    if s.at_end() {
        return Err(ended);
    }
    Ok(())
}

/// A quoted field's error, said of `field`.
fn cut(e: Error, field: &str) -> Error {
    match (e, field) {
        ("unterminated quoted field", "the request") => "the line ends inside the request",
        ("unterminated quoted field", "the referer") => "the line ends inside the referer",
        ("unterminated quoted field", _) => "the line ends inside the user agent",
        (e, _) => e,
    }
}

/// Reads what follows the user agent: `$request_time` (a plain decimal)
/// and `$upstream_response_time` right after it (a decimal or `-`, or the
/// list nginx writes when a request went to several upstreams: `0.010,
/// 0.003` or `0.010 : 0.003`), a host name (`$host`), in the order nginx
/// setups write them; the rest, from the first word that is none of those,
/// is kept whole as `extra`. Runs of blanks, at the end too, separate words
/// and are no field.
fn trailing<'a>(mut rest: &'a [u8], a: &mut Access<'a>) {
    let mut after_rt = false;
    loop {
        let blanks = rest.iter().take_while(|&&b| b == b' ').count();
        rest = &rest[blanks..];
        if rest.is_empty() {
            return;
        }
        let end = memchr::memchr(b' ', rest).unwrap_or(rest.len());
        let word = &rest[..end];
        if a.rt.is_none() && a.vhost.is_none() && is_millis(word) {
            a.rt = Some(word);
            after_rt = true;
        } else if after_rt && (is_millis(word) || word == b"-" || upstream_list(rest).is_some()) {
            let len = upstream_list(rest).unwrap_or(end);
            if &rest[..len] != b"-" {
                a.upstream_rt = Some(&rest[..len]);
            }
            rest = &rest[len..];
            after_rt = false;
            continue;
        } else if a.vhost.is_none() && is_host(word) {
            a.vhost = Some(word);
            after_rt = false;
        } else {
            a.extra = Some(rest);
            return;
        }
        rest = &rest[end..];
    }
}

/// The length of a list of upstream times at the start of `s` (`0.010,
/// 0.003`, `0.010 : 0.003 , -`: times or `-`, joined by `, ` or ` : `), when
/// it holds two times or more.
fn upstream_list(s: &[u8]) -> Option<usize> {
    let time = |w: &[u8]| is_millis(w) || w == b"-";
    let mut len = 0;
    let mut times = 0;
    let mut rest = s;
    loop {
        let end = rest.iter().position(|&b| b == b' ' || b == b',').unwrap_or(rest.len());
        if !time(&rest[..end]) {
            break;
        }
        times += 1;
        len = s.len() - rest.len() + end;
        // A separator: optional blanks, `,` or `:`, blanks.
        let after = &rest[end..];
        let blanks = after.iter().take_while(|&&b| b == b' ').count();
        let Some(&sep) = after.get(blanks) else { break };
        if sep != b',' && sep != b':' {
            break;
        }
        let next = blanks + 1 + after[blanks + 1..].iter().take_while(|&&b| b == b' ').count();
        rest = &after[next..];
    }
    (times >= 2).then_some(len)
}

/// `0.123`: seconds with a fraction, as nginx writes its times (always
/// with milliseconds: a bare integer there is something else, such as
/// Traefik's request count).
fn is_millis(s: &[u8]) -> bool {
    s.contains(&b'.') && is_seconds(s)
}

/// `0.123`, `12`: a plain decimal number of seconds.
fn is_seconds(s: &[u8]) -> bool {
    let digits = |d: &[u8]| !d.is_empty() && d.iter().all(u8::is_ascii_digit);
    match memchr::memchr(b'.', s) {
        Some(i) => digits(&s[..i]) && digits(&s[i + 1..]),
        None => digits(s),
    }
}

/// `www.example.com`, `example.com:8080`, `localhost`, `192.0.2.1`: what
/// nginx's `$host` holds (a name with a dot, or `localhost`, and an
/// optional port).
fn is_host(s: &[u8]) -> bool {
    let name = match memchr::memrchr(b':', s) {
        Some(i) if uint(&s[i + 1..]).is_some() => &s[..i],
        _ => s,
    };
    let label = |l: &[u8]| {
        !l.is_empty()
            && l.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-')
            && !l.starts_with(b"-")
    };
    (name.contains(&b'.') || name.eq_ignore_ascii_case(b"localhost"))
        && name.split(|&b| b == b'.').all(label)
        && !is_seconds(name)
}

/// Writes a quoted field, unescaped, unless its value is `-`. Without a
/// `backslash` in the line's quoted fields, there is nothing to unescape.
fn quoted_field(obj: &mut Object, name: &str, raw: &[u8], backslash: bool, scratch: &mut Vec<u8>) {
    if raw == b"-" {
    } else if backslash {
        escaped_text(obj, name, raw, scratch);
    } else {
        obj.bytes(name, raw);
    }
}

/// Writes the fields of a parsed line into `obj`, in the record format.
/// Fails only when the time is not a valid CLF time.
pub fn write_fields(
    a: &Access<'_>,
    obj: &mut Object,
    scratch: &mut Vec<u8>,
    times: &mut ClfMemo,
) -> Result<(), Error> {
    scratch.clear();
    if !times.to_rfc3339(a.time, scratch) {
        return Err("bad time");
    }
    fields::ts(obj, scratch);
    obj.bytes(f::CLIENT, a.client);
    if a.user != b"-" {
        obj.bytes(f::USER, a.user);
    }
    if let Some(request) = a.request {
        write_request(request, a.backslash, obj, scratch);
    }
    if let Some(status) = a.status {
        obj.uint(f::STATUS, u64::from(status));
    }
    if let Some(bytes) = a.bytes {
        obj.uint(f::BYTES, bytes);
    }
    if let Some(referer) = a.referer {
        quoted_field(obj, f::REFERER, referer, a.backslash, scratch);
    }
    if let Some(ua) = a.ua {
        quoted_field(obj, f::UA, ua, a.backslash, scratch);
    }
    for (name, seconds) in [(f::RT, a.rt), (f::UPSTREAM_RT, a.upstream_rt)] {
        match seconds {
            // Several upstreams: their times as nginx wrote them.
            Some(list) if !is_millis(list) => obj.bytes(name, list),
            Some(seconds) => {
                // is_millis() checked it is a plain decimal: valid JSON as
                // it stands, except for leading zeros such as "00.5", which
                // we normalise.
                match std::str::from_utf8(seconds).ok().and_then(|t| t.parse::<f64>().ok()) {
                    Some(v) => obj.float(name, v),
                    None => return Err("bad request time"),
                }
            }
            None => {}
        }
    }
    if let Some(vhost) = a.vhost {
        obj.bytes(f::VHOST, vhost);
    }
    if let Some(extra) = a.extra {
        obj.bytes(f::EXTRA, extra);
    }
    obj.str(f::FMT, a.format_name());
    Ok(())
}

/// `METHOD TARGET PROTO` becomes `method`, `path`, `query` and `proto`;
/// anything else is kept whole as `request`.
fn write_request(raw: &[u8], backslash: bool, obj: &mut Object, scratch: &mut Vec<u8>) {
    if raw == b"-" {
        return;
    }
    if backslash && memchr::memchr(b'\\', raw).is_some() {
        unescape(raw, scratch);
        split_request(scratch, obj);
    } else {
        split_request(raw, obj);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(line: &str) -> serde_json::Value {
        let a = parse(line.as_bytes()).unwrap();
        let mut buf = Vec::new();
        let mut obj = Object::new(&mut buf);
        write_fields(&a, &mut obj, &mut Vec::new(), &mut ClfMemo::default()).unwrap();
        obj.finish();
        serde_json::from_slice(&buf).unwrap()
    }

    use serde_json::json;

    #[test]
    fn combined() {
        let r = record(
            r#"203.0.113.9 - alice [10/Oct/2000:13:55:36 -0700] "GET /a/b.html?x=1&y=2 HTTP/1.1" 404 2326 "http://ex.com/" "Mozilla/4.08 [en] (Win98; I ;Nav)""#,
        );
        assert_eq!(
            r,
            serde_json::json!({"ts": "2000-10-10T13:55:36-07:00", "client": "203.0.113.9", "user": "alice",
                "method": "GET", "path": "/a/b.html", "query": "x=1&y=2", "proto": "HTTP/1.1",
                "status": 404, "bytes": 2326, "referer": "http://ex.com/",
                "ua": "Mozilla/4.08 [en] (Win98; I ;Nav)", "fmt": "combined"})
        );
    }

    #[test]
    fn a_list_of_addresses_is_one_client() {
        let r = record(
            r#"10.0.0.2, 10.0.0.1, 127.0.0.1 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 1 "-" "c""#,
        );
        assert_eq!(r["client"], "10.0.0.2, 10.0.0.1, 127.0.0.1");
        assert_eq!(r["status"], 200);
    }

    #[test]
    fn common_with_dashes() {
        let r = record(r#"::1 - - [10/Oct/2000:13:55:36 +0000] "-" 408 -"#);
        assert_eq!(
            r,
            serde_json::json!({"ts": "2000-10-10T13:55:36+00:00", "client": "::1", "status": 408, "fmt": "common"})
        );
    }

    #[test]
    fn escapes_are_undone() {
        // nginx: \x22 for ", \x5C for \, \xHH for bytes outside ASCII.
        let r = record(
            r#"1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 1 "-" "a\x22b\x5Cc \xC3\xA9""#,
        );
        assert_eq!(r["ua"], "a\"b\\c é");
        // Apache: \" and \\.
        let r = record(
            r#"1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 1 "-" "a\"b\\c""#,
        );
        assert_eq!(r["ua"], "a\"b\\c");
        assert!(r.get("referer").is_none());
    }

    #[test]
    fn binary_junk_request_is_kept_whole() {
        let r = record(
            r#"1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "\x16\x03\x01\x00\xA5" 400 150 "-" "-""#,
        );
        assert_eq!(r["request"], "\u{16}\u{3}\u{1}\u{0}\u{fffd}");
        assert_eq!(r["request_b64"], "FgMBAKU=");
        assert!(r.get("method").is_none());
    }

    /// The record the `combined` format makes of `line`, and its fit.
    fn fitted(line: &[u8]) -> (serde_json::Value, Fit) {
        let mut ctx = Ctx::new(jiff::tz::TimeZone::UTC);
        let r = crate::testing::record_in(&mut Combined, line, &mut ctx).unwrap();
        (r, ctx.fit)
    }

    #[test]
    fn what_follows_the_user_agent_is_kept() {
        let head = r#"1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 1 "-" "ua""#;
        let (r, fit) = fitted(format!("{head} 0.250").as_bytes());
        assert_eq!((r["rt"].as_f64(), fit), (Some(0.25), Fit::Whole));
        // nginx: combined + $request_time $upstream_response_time.
        let (r, fit) = fitted(format!("{head} 0.250 0.248").as_bytes());
        assert_eq!((&r["rt"], &r["upstream_rt"], fit), (&json!(0.25), &json!(0.248), Fit::Whole));
        let (r, _) = fitted(format!("{head} 0.001 -").as_bytes());
        assert_eq!((&r["rt"], r.get("upstream_rt")), (&json!(0.001), None));
        // nginx: combined + $host.
        let (r, fit) = fitted(format!("{head} shop.example.com:8443").as_bytes());
        assert_eq!((&r["vhost"], fit), (&json!("shop.example.com:8443"), Fit::Whole));
        let (r, _) = fitted(format!("{head} 0.004 www.example.org").as_bytes());
        assert_eq!((&r["rt"], &r["vhost"]), (&json!(0.004), &json!("www.example.org")));
        // Anything else is kept whole as extra, and another format that
        // names it (nginx's main) is preferred.
        let (r, fit) = fitted(format!(r#"{head} "10.0.0.1" HIT"#).as_bytes());
        assert_eq!((&r["extra"], fit), (&json!(r#""10.0.0.1" HIT"#), Fit::Extra));
        assert_eq!(
            (&r["status"], &r["ua"], &r["fmt"]),
            (&json!(200), &json!("ua"), &json!("combined"))
        );
        let (r, _) = fitted(format!("{head} 0.1 0.2 0.3").as_bytes());
        assert_eq!(
            (&r["rt"], &r["upstream_rt"], &r["extra"]),
            (&json!(0.1), &json!(0.2), &json!("0.3"))
        );
        // Several upstreams: their times as written, then the host still.
        for list in ["0.010, 0.003", "0.010 : 0.003 , -", "0.010,0.003"] {
            let (r, fit) = fitted(format!("{head} 0.250 {list} www.example.com").as_bytes());
            assert_eq!(
                (&r["rt"], &r["upstream_rt"], &r["vhost"], fit),
                (&json!(0.25), &json!(list), &json!("www.example.com"), Fit::Whole)
            );
        }
        // Blanks at the end are no field.
        let (r, fit) = fitted(format!("{head} 0.5  ").as_bytes());
        assert_eq!((&r["rt"], r.get("extra"), fit), (&json!(0.5), None, Fit::Whole));
        let (r, fit) = fitted(format!("{head}  ").as_bytes());
        assert_eq!((r.get("extra"), fit), (None, Fit::Whole));
    }

    #[test]
    fn cut_lines_keep_their_leading_fields() {
        // The issue's case: the user agent never closes.
        let line = r#"192.0.2.7 - - [20/May/2015:12:05:17 +0000] "GET /scripts/x.py HTTP/1.1" 200 235 "-" "Mozilla/5.0 (compatible; Examplebot/2.1; +http://bot.example/"#;
        let (r, fit) = fitted(line.as_bytes());
        assert_eq!(
            r,
            json!({"ts": "2015-05-20T12:05:17+00:00", "client": "192.0.2.7", "method": "GET",
                "path": "/scripts/x.py", "proto": "HTTP/1.1", "status": 200, "bytes": 235, "fmt": "combined"})
        );
        assert_eq!(fit, Fit::Partial("the line ends inside the user agent"));
        let head = r#"1.2.3.4 - bob [10/Oct/2000:13:55:36 +0000]"#;
        for (tail, fields, why) in [
            ("", json!({}), "the line ends before the request"),
            (r#" "GET /a HT"#, json!({}), "the line ends inside the request"),
            (r#" "GET /a HTTP/1.1" 40"#, json!({"method": "GET"}), "the line ends in the status"),
            (r#" "GET /a HTTP/1.1" abc 1"#, json!({"method": "GET"}), "status is not a number"),
            (
                r#" "GET /a HTTP/1.1" 404 "#,
                json!({"status": 404}),
                "the line ends before the bytes",
            ),
            (r#" "GET /a HTTP/1.1" 404 x"#, json!({"status": 404}), "bytes is not a number"),
            (
                r#" "GET /a HTTP/1.1" 404 7 "-"#,
                json!({"bytes": 7}),
                "the line ends inside the referer",
            ),
            (r#" "GET /a HTTP/1.1" 404 7 ref"#, json!({"bytes": 7}), "expected \"referer\""),
            (
                r#" "GET /a HTTP/1.1" 404 7 "r" "#,
                json!({"referer": "r"}),
                "the line ends before the user agent",
            ),
            (
                r#" "GET /a HTTP/1.1" 404 7 "r" "u" "#,
                json!({"ua": "u"}),
                "the line ends after the user agent",
            ),
        ] {
            let line = format!("{head}{tail}");
            let (r, fit) = fitted(line.as_bytes());
            assert_eq!(fit, Fit::Partial(why), "{line}");
            assert_eq!((&r["client"], &r["user"]), (&json!("1.2.3.4"), &json!("bob")), "{line}");
            assert_eq!(r["ts"], "2000-10-10T13:55:36+00:00", "{line}");
            for (k, v) in fields.as_object().unwrap() {
                assert_eq!(&r[k], v, "{line}");
            }
        }
    }

    #[test]
    fn unescaped_fields_as_the_servers_write_them() {
        let (r, fit) = fitted(
            br#"192.0.2.50 - - [30/Nov/2026:05:00:02 +0000] "GET /path with spaces/a b.html HTTP/1.1" 404 153 "-" "curl/8""#,
        );
        assert_eq!(
            (&r["method"], &r["path"], &r["proto"], &r["status"], fit),
            (
                &json!("GET"),
                &json!("/path with spaces/a b.html"),
                &json!("HTTP/1.1"),
                &json!(404),
                Fit::Whole
            )
        );
        let (r, _) =
            fitted(br#"192.0.2.51 - - [30/Nov/2026:05:00:03 +0000] "GET /old" 200 12 "-" "-""#);
        assert_eq!(
            r,
            json!({"ts": "2026-11-30T05:00:03+00:00", "client": "192.0.2.51", "method": "GET",
                "path": "/old", "status": 200, "bytes": 12, "fmt": "combined"})
        );
        let (r, fit) = fitted(
            br#"192.0.2.52 - John Smith [30/Nov/2026:05:00:04 +0000] "GET / HTTP/1.1" 200 12 "-" "-""#,
        );
        assert_eq!(
            (&r["user"], &r["path"], &r["status"], fit),
            (&json!("John Smith"), &json!("/"), &json!(200), Fit::Whole)
        );
        // A `-` among the words is no name: the fields are shifted (a
        // vhost first), and the line is not combined.
        assert_eq!(
            parse(br#"h:80 1.2.3.4 - - [30/Nov/2026:05:00:04 +0000] "GET / HTTP/1.1" 200 1"#),
            Err("expected [time]")
        );
    }

    #[test]
    fn what_is_not_an_access_line() {
        for bad in [
            "",
            "hello world",
            r#"1.2.3.4 - - [10/Oct/2000:13:55:36 +0000 "GET / HTTP/1.1" 200 1"#,
            r#"1.2.3.4 - -"#,
        ] {
            assert!(parse(bad.as_bytes()).is_err(), "{bad:?}");
        }
        // A bad time is no access line either.
        let bad_time = r#"1.2.3.4 - - [10/Oct/2000:13:55 +0000] "GET / HTTP/1.1" 200 1"#;
        let a = parse(bad_time.as_bytes()).unwrap();
        let mut buf = Vec::new();
        let mut obj = Object::new(&mut buf);
        assert_eq!(
            write_fields(&a, &mut obj, &mut Vec::new(), &mut ClfMemo::default()),
            Err("bad time")
        );
    }

    proptest::proptest! {
        /// Any field values, escaped the way Apache escapes them, parse back
        /// to the same values.
        #[test]
        fn apache_escaped_fields_roundtrip(
            path in "/[a-zA-Z0-9/._%-]{0,30}",
            query in proptest::option::of("[a-z0-9=&%]{0,20}"),
            status in 100u32..600,
            bytes in proptest::option::of(0u64..10_000_000),
            referer in proptest::collection::vec(proptest::num::u8::ANY, 0..40),
            ua in proptest::collection::vec(proptest::num::u8::ANY, 0..60),
        ) {
            let target = match &query { Some(q) => format!("{path}?{q}"), None => path.clone() };
            let esc = |v: &[u8]| -> String {
                let mut s = String::new();
                for &b in v {
                    match b {
                        b'"' => s.push_str("\\\""),
                        b'\\' => s.push_str("\\\\"),
                        0x20..=0x7e => s.push(b as char),
                        _ => s.push_str(&format!("\\x{b:02x}")),
                    }
                }
                s
            };
            let bytes_s = bytes.map_or("-".to_string(), |b| b.to_string());
            let line = format!(
                "10.0.0.1 - - [01/Feb/2026:03:04:05 +0100] \"GET {target} HTTP/1.1\" {status} {bytes_s} \"{}\" \"{}\"",
                esc(&referer), esc(&ua));
            let a = parse(line.as_bytes()).unwrap();
            let mut scratch = Vec::new();
            unescape(a.ua.unwrap(), &mut scratch);
            proptest::prop_assert_eq!(&scratch, &ua);
            unescape(a.referer.unwrap(), &mut scratch);
            proptest::prop_assert_eq!(&scratch, &referer);
            proptest::prop_assert_eq!(a.status, Some(status));
            proptest::prop_assert_eq!(a.bytes, bytes);
            let r = record(&line);
            proptest::prop_assert_eq!(r["path"].as_str().unwrap(), path.as_str());
            proptest::prop_assert_eq!(r.get("query").and_then(|q| q.as_str()), query.as_deref());
        }

        /// A valid combined line, with or without fields after the user
        /// agent, cut at any byte after the status, keeps its client, time,
        /// request and status.
        #[test]
        fn cut_lines_keep_the_request_and_status(
            ip in crate::testing::ip(),
            target in "/[a-z0-9 /._-]{0,20}",
            status in 100u32..600,
            bytes in 0u64..100_000,
            referer in "[ -~]{0,20}",
            ua in "[ -~]{0,30}",
            tail in proptest::sample::select(vec!["", " 0.012", " 0.012 0.010", " example.com", " \"10.1.1.1\"", " a b c"]),
            cut in 0usize..200,
        ) {
            let esc = |v: &str| v.replace('\\', "\\\\").replace('"', "\\\"");
            let head = format!("{ip} - - [20/May/2015:12:05:17 +0100] \"GET {target} HTTP/1.1\" {status}");
            let line = format!("{head} {bytes} \"{}\" \"{}\"{tail}", esc(&referer), esc(&ua));
            let at = head.len() + cut % (line.len() - head.len() + 1);
            let (r, fit) = fitted(&line.as_bytes()[..at]);
            proptest::prop_assert_eq!(&r["client"], &json!(ip));
            proptest::prop_assert_eq!(&r["ts"], &json!("2015-05-20T12:05:17+01:00"));
            proptest::prop_assert_eq!(&r["method"], &json!("GET"));
            proptest::prop_assert_eq!(&r["path"], &json!(target));
            proptest::prop_assert_eq!(&r["status"], &json!(status));
            proptest::prop_assert!(r.get("err").is_none());
            if at == line.len() {
                proptest::prop_assert_eq!(fit, if tail.contains('"') || tail.contains(" a") { Fit::Extra } else { Fit::Whole });
            }
        }

        /// No input makes the parser panic.
        #[test]
        fn never_panics(line in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            if let Ok(a) = parse(&line) {
                let mut buf = Vec::new();
                let mut obj = Object::new(&mut buf);
                let _ = write_fields(&a, &mut obj, &mut Vec::new(), &mut ClfMemo::default());
            }
        }
    }
}
