//! The Common Log Format family, as nginx and Apache httpd write it:
//!
//! ```text
//! common:   %h %l %u %t "%r" %>s %b
//! combined: %h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"
//! ```
//!
//! nginx's stock `combined` is the same line. A `combined` line may carry one
//! more unquoted number, `$request_time`, as many nginx setups append it; it
//! becomes `rt`. Anything else after the user agent is another format
//! (nginx's `main`, or one declared with `--nginx-format`/`--apache-format`).
//!
//! The scanner works on bytes and borrows from the line; quoted fields are
//! unescaped only when they contain a backslash.

use crate::fields::{self, escaped_text, split_request, text, uint, unescape, Cursor, Utf8Line};
use crate::format::{Ctx, LogFormat};
use logkit_common::json::Object;
use logkit_common::record as f;
use logkit_common::time::clf_to_rfc3339;

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
        let utf8 = Utf8Line::check(line);
        write_fields(&a, obj, &mut ctx.scratch, utf8)
    }
}

/// A parsed access-log line, borrowing from the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access<'a> {
    /// The client's address, or a list of them (`%h`, `$remote_addr`).
    pub client: &'a [u8],
    /// The user, `-` for none (`%u`, `$remote_user`).
    pub user: &'a [u8],
    /// The time as written, without brackets.
    pub time: &'a [u8],
    /// The request line, still escaped as the server wrote it.
    pub request: &'a [u8],
    /// The status code.
    pub status: u32,
    /// The body bytes sent; `None` for `-`.
    pub bytes: Option<u64>,
    /// The referer, still escaped; `None` in the common format.
    pub referer: Option<&'a [u8]>,
    /// The user agent, still escaped; `None` in the common format.
    pub ua: Option<&'a [u8]>,
    /// nginx's `$request_time` after the user agent: decimal seconds, as
    /// written.
    pub rt: Option<&'a [u8]>,
}

impl Access<'_> {
    /// The format's name, for `fmt`.
    pub fn format_name(&self) -> &'static str {
        if self.ua.is_some() {
            "combined"
        } else {
            "common"
        }
    }
}

/// Why a line is not an access-log line.
pub type Error = &'static str;

/// Parses one line of the common or combined format.
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
    let user = s.token("expected user")?;
    s.space("expected [time]")?;
    let time = s.bracketed("expected [time]")?;
    s.space("expected \"request\"")?;
    let request = s.quoted("expected \"request\"")?;
    s.space("expected status")?;
    let status_tok = s.token("expected status")?;
    let status = uint(status_tok).ok_or("status is not a number")? as u32;
    s.space("expected bytes")?;
    let bytes_tok = s.token("expected bytes")?;
    let bytes = if bytes_tok == b"-" {
        None
    } else {
        Some(uint(bytes_tok).ok_or("bytes is not a number")?)
    };
    let mut access =
        Access { client, user, time, request, status, bytes, referer: None, ua: None, rt: None };
    if s.at_end() {
        return Ok(access);
    }
    s.space("unexpected data after bytes")?;
    access.referer = Some(s.quoted("expected \"referer\"")?);
    s.space("expected \"user agent\"")?;
    access.ua = Some(s.quoted("expected \"user agent\"")?);
    if s.at_end() {
        return Ok(access);
    }
    s.space("unexpected data after user agent")?;
    let rest = &line[s.i..];
    if !is_seconds(rest) {
        return Err("unexpected data after user agent");
    }
    access.rt = Some(rest);
    Ok(access)
}

/// `0.123`, `12`: a plain decimal number of seconds.
fn is_seconds(s: &[u8]) -> bool {
    let digits = |d: &[u8]| !d.is_empty() && d.iter().all(u8::is_ascii_digit);
    match memchr::memchr(b'.', s) {
        Some(i) => digits(&s[..i]) && digits(&s[i + 1..]),
        None => digits(s),
    }
}

/// Writes a quoted field, unescaped, unless its value is `-`.
fn quoted_field(
    obj: &mut Object,
    name: &str,
    raw: &[u8],
    scratch: &mut Vec<u8>,
    utf8: Utf8Line<'_>,
) {
    if raw != b"-" {
        escaped_text(obj, name, raw, scratch, utf8);
    }
}

/// Writes the fields of a parsed line into `obj`, in the record format.
/// `utf8` is the line the fields were cut from (see [`Utf8Line`]). Fails only
/// when the time is not a valid CLF time.
pub fn write_fields(
    a: &Access<'_>,
    obj: &mut Object,
    scratch: &mut Vec<u8>,
    utf8: Utf8Line<'_>,
) -> Result<(), Error> {
    scratch.clear();
    if !clf_to_rfc3339(a.time, scratch) {
        return Err("bad time");
    }
    fields::ts(obj, scratch);
    text(obj, f::CLIENT, a.client, utf8);
    if a.user != b"-" {
        text(obj, f::USER, a.user, utf8);
    }
    write_request(a.request, obj, scratch, utf8);
    obj.uint(f::STATUS, u64::from(a.status));
    if let Some(bytes) = a.bytes {
        obj.uint(f::BYTES, bytes);
    }
    if let Some(referer) = a.referer {
        quoted_field(obj, f::REFERER, referer, scratch, utf8);
    }
    if let Some(ua) = a.ua {
        quoted_field(obj, f::UA, ua, scratch, utf8);
    }
    if let Some(rt) = a.rt {
        // is_seconds() checked it is a plain decimal: valid JSON as it stands,
        // except for leading zeros such as "00.5", which we normalise.
        match std::str::from_utf8(rt).ok().and_then(|t| t.parse::<f64>().ok()) {
            Some(v) => obj.float(f::RT, v),
            None => return Err("bad request time"),
        }
    }
    obj.str(f::FMT, a.format_name());
    Ok(())
}

/// `METHOD TARGET PROTO` becomes `method`, `path`, `query` and `proto`;
/// anything else is kept whole as `request`.
fn write_request(raw: &[u8], obj: &mut Object, scratch: &mut Vec<u8>, utf8: Utf8Line<'_>) {
    if raw == b"-" {
        return;
    }
    if memchr::memchr(b'\\', raw).is_some() {
        unescape(raw, scratch);
        split_request(scratch, obj, Utf8Line::check(scratch));
    } else {
        split_request(raw, obj, utf8);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(line: &str) -> serde_json::Value {
        let a = parse(line.as_bytes()).unwrap();
        let mut buf = Vec::new();
        let mut obj = Object::new(&mut buf);
        write_fields(&a, &mut obj, &mut Vec::new(), Utf8Line::check(line.as_bytes())).unwrap();
        obj.finish();
        serde_json::from_slice(&buf).unwrap()
    }

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

    #[test]
    fn request_time_and_what_is_not_combined_after_the_user_agent() {
        let r = record(
            r#"1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 1 "-" "ua" 0.250"#,
        );
        assert_eq!(r["rt"], 0.25);
        let main = r#"1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 1 "-" "ua" "10.0.0.1""#;
        assert!(parse(main.as_bytes()).is_err());
    }

    #[test]
    fn what_is_not_an_access_line() {
        for bad in [
            "",
            "hello world",
            r#"1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" abc 1"#,
            r#"1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1 200 1"#,
            r#"1.2.3.4 - - [10/Oct/2000:13:55:36 +0000 "GET / HTTP/1.1" 200 1"#,
            r#"1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 1 "ref""#,
            r#"1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 1 "ref" "ua\"#,
        ] {
            assert!(parse(bad.as_bytes()).is_err(), "{bad:?}");
        }
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
            proptest::prop_assert_eq!(a.status, status);
            proptest::prop_assert_eq!(a.bytes, bytes);
            let r = record(&line);
            proptest::prop_assert_eq!(r["path"].as_str().unwrap(), path.as_str());
            proptest::prop_assert_eq!(r.get("query").and_then(|q| q.as_str()), query.as_deref());
        }

        /// No input makes the parser panic.
        #[test]
        fn never_panics(line in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            if let Ok(a) = parse(&line) {
                let mut buf = Vec::new();
                let mut obj = Object::new(&mut buf);
                let _ = write_fields(&a, &mut obj, &mut Vec::new(), Utf8Line::check(&line));
            }
        }
    }
}
