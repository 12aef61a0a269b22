//! W3C extended log files (IIS and others), with their `#Fields:` header.
//!
//! ```text
//! #Software: Microsoft Internet Information Services 10.0
//! #Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken
//! 2026-11-27 03:22:43 10.0.0.5 GET /a/b.aspx x=1 443 - 203.0.113.9 Mozilla/5.0+(Windows+NT+10.0) - 404 0 2 15
//! ```
//!
//! Lines starting with `#` are directives: `#Fields:` names the columns of
//! the lines that follow it in the same source (per [`Ctx::source`]), and
//! `#Date:` gives the date of a log without a `date` column. Directive
//! lines themselves are no records: they are `Err(NOT_A_RECORD)` (no record, no error), after
//! their content is recorded. Without a `#Fields:` line for its source, a
//! data line is not taken for W3C.
//!
//! Data lines hold one value per column, separated by spaces (or tabs);
//! `-` is no value, and the field is left out. Columns get the record
//! format's names and types:
//!
//! | column | field |
//! |---|---|
//! | `date` + `time` (UTC, as the W3C specifies) | `ts` |
//! | `c-ip` | `client` |
//! | `cs-username` | `user` |
//! | `cs-method` | `method` |
//! | `cs-uri-stem` | `path` |
//! | `cs-uri-query` | `query` |
//! | `cs-version` | `proto` |
//! | `sc-status` | `status` (integer) |
//! | `sc-bytes` | `bytes` (integer) |
//! | `cs(User-Agent)` | `ua` (IIS's `+` turned back into spaces) |
//! | `cs(Referer)` | `referer` |
//! | `cs-host` | `vhost` |
//! | `time-taken` | `rt` (IIS writes milliseconds; `rt` is seconds) |
//!
//! Other columns keep their own name (`s-ip`, `s-port`, `sc-win32-status`,
//! ...), as numbers when their value is an integer or decimal number.

use crate::fields::{plain_number, uint};
use crate::format::{Ctx, LogFormat};
use jiff::tz::Offset;
use logkit_common::json::Object;
use logkit_common::record as f;
use logkit_common::time::layouts;
use std::collections::HashMap;

/// The W3C extended format. It keeps the `#Fields:` header of each source.
#[derive(Debug, Default, Clone)]
pub struct W3c {
    sources: HashMap<Vec<u8>, Header>,
}

impl W3c {
    /// The format, knowing no source's header yet.
    pub fn new() -> Self {
        Self::default()
    }
}

/// What the directives of a source said.
#[derive(Debug, Default, Clone)]
struct Header {
    /// From `#Fields:`.
    columns: Vec<Column>,
    /// The index of the `date` and `time` columns.
    date_col: Option<usize>,
    time_col: Option<usize>,
    /// `YYYY-MM-DD` from `#Date:`, for logs without a `date` column.
    date: Option<[u8; 10]>,
}

#[derive(Debug, Clone, PartialEq)]
enum Column {
    Date,
    Time,
    Text(&'static str),
    /// An integer field, and the reason when the value is not one.
    Int(&'static str, Error),
    Ua,
    Rt,
    /// Any other column, under its own name.
    Other(String),
    /// A column whose name a later column gives again: the last wins.
    Shadowed,
}

impl Column {
    /// The field the column fills.
    fn field(&self) -> Option<&str> {
        match self {
            Column::Date | Column::Time => Some(f::TS),
            Column::Text(name) | Column::Int(name, _) => Some(name),
            Column::Ua => Some(f::UA),
            Column::Rt => Some(f::RT),
            Column::Other(name) => Some(name),
            Column::Shadowed => None,
        }
    }
}

type Error = &'static str;

/// The column for a `#Fields:` name.
fn column(name: &[u8]) -> Column {
    let is = |s: &str| name.eq_ignore_ascii_case(s.as_bytes());
    match () {
        _ if is("date") => Column::Date,
        _ if is("time") => Column::Time,
        _ if is("c-ip") => Column::Text(f::CLIENT),
        _ if is("cs-username") => Column::Text(f::USER),
        _ if is("cs-method") => Column::Text(f::METHOD),
        _ if is("cs-uri-stem") => Column::Text(f::PATH),
        _ if is("cs-uri-query") => Column::Text(f::QUERY),
        _ if is("cs-version") => Column::Text(f::PROTO),
        _ if is("sc-status") => Column::Int(f::STATUS, "status is not a number"),
        _ if is("sc-bytes") => Column::Int(f::BYTES, "bytes is not a number"),
        _ if is("cs(user-agent)") => Column::Ua,
        _ if is("cs(referer)") => Column::Text(f::REFERER),
        _ if is("cs-host") => Column::Text(f::VHOST),
        _ if is("time-taken") => Column::Rt,
        _ => {
            // A name from the data: keep it writable as a JSON key as it is.
            let clean: Vec<u8> = name
                .iter()
                .map(|&b| if b < 0x20 || b == 0x7f || b == b'"' || b == b'\\' { b'_' } else { b })
                .collect();
            let name = String::from_utf8_lossy(&clean);
            Column::Other(crate::fields::own_name(&name).into_owned())
        }
    }
}

/// The values of a line: separated by runs of spaces or tabs.
fn values(line: &[u8]) -> impl Iterator<Item = &[u8]> {
    line.split(|&b| b == b' ' || b == b'\t').filter(|v| !v.is_empty())
}

/// `line` without `prefix`, compared without regard to case.
fn strip_directive<'a>(line: &'a [u8], prefix: &str) -> Option<&'a [u8]> {
    let head = line.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix.as_bytes()).then(|| &line[prefix.len()..])
}

impl W3c {
    /// Records what a directive line says for `source`.
    fn directive(&mut self, line: &[u8], source: &[u8]) {
        if let Some(names) = strip_directive(line, "#Fields:") {
            let mut columns: Vec<Column> = values(names).map(column).collect();
            // A field named twice: the last column wins (`date` and `time`
            // both fill ts, each once).
            for i in 0..columns.len() {
                let later = |c: &Column| match (&columns[i], c) {
                    (Column::Date, Column::Time) | (Column::Time, Column::Date) => false,
                    (a, b) => a.field().is_some() && a.field() == b.field(),
                };
                if columns[i + 1..].iter().any(later) {
                    columns[i] = Column::Shadowed;
                }
            }
            let header = self.header(source);
            header.date_col = columns.iter().position(|c| *c == Column::Date);
            header.time_col = columns.iter().position(|c| *c == Column::Time);
            header.columns = columns;
        } else if let Some(rest) = strip_directive(line, "#Date:") {
            let date = rest.trim_ascii_start().get(..10).filter(|d| valid_date(d));
            if let Some(date) = date.and_then(|d| <[u8; 10]>::try_from(d).ok()) {
                self.header(source).date = Some(date);
            }
        }
    }

    fn header(&mut self, source: &[u8]) -> &mut Header {
        // Directive lines are few: the key is allocated only for them.
        self.sources.entry(source.to_vec()).or_default()
    }
}

/// The directives of the W3C Extended Log File Format (W3C working draft
/// WD-logfile-960323), as IIS writes them.
const DIRECTIVES: [&str; 7] =
    ["#Version:", "#Fields:", "#Software:", "#Start-Date:", "#End-Date:", "#Date:", "#Remark:"];

impl LogFormat for W3c {
    fn stateful(&self) -> bool {
        true
    }

    fn name(&self) -> &str {
        "w3c"
    }

    fn parse(&mut self, line: &[u8], obj: &mut Object, ctx: &mut Ctx) -> Result<(), Error> {
        if line.first() == Some(&b'#') {
            // The directives of the W3C draft give no record; any other
            // line starting with `#` is no W3C line (a comment in another
            // log is reported, not dropped).
            if !DIRECTIVES.iter().any(|d| strip_directive(line, d).is_some()) {
                return Err("a # line that is no W3C directive");
            }
            self.directive(line, &ctx.source);
            return Err(crate::format::NOT_A_RECORD);
        }
        let header = match self.sources.get(ctx.source.as_slice()) {
            Some(h) if !h.columns.is_empty() => h,
            _ => return Err("no W3C #Fields line before"),
        };
        // First pass: the number of values, and the date and time.
        let (mut n, mut date, mut time) = (0, None, None);
        for (i, v) in values(line).enumerate() {
            if Some(i) == header.date_col {
                date = Some(v);
            } else if Some(i) == header.time_col {
                time = Some(v);
            }
            n += 1;
        }
        if n != header.columns.len() {
            return Err("not as many values as #Fields");
        }
        let date = date.or(header.date.as_ref().map(|d| &d[..]));
        if let (Some(date), Some(time)) = (date, time) {
            if date != b"-" && time != b"-" {
                write_ts(obj, date, time)?;
            }
        }
        for (column, v) in header.columns.iter().zip(values(line)) {
            if v == b"-" {
                continue;
            }
            match column {
                Column::Date | Column::Time | Column::Shadowed => {}
                Column::Text(name) => obj.bytes(name, v),
                Column::Int(name, why) => obj.uint(name, uint(v).ok_or(*why)?),
                Column::Ua => {
                    ctx.scratch.clear();
                    ctx.scratch.extend(v.iter().map(|&b| if b == b'+' { b' ' } else { b }));
                    obj.bytes(f::UA, &ctx.scratch);
                }
                Column::Rt => {
                    if !plain_number(v) || v[0] == b'-' {
                        return Err("time-taken is not a number");
                    }
                    let ms: f64 = std::str::from_utf8(v)
                        .ok()
                        .and_then(|t| t.parse().ok())
                        .filter(|ms: &f64| ms.is_finite())
                        .ok_or("time-taken is not a number")?;
                    obj.float(f::RT, ms / 1000.0);
                }
                Column::Other(name) => {
                    if plain_number(v) {
                        obj.raw(name, v);
                    } else {
                        obj.bytes(name, v);
                    }
                }
            }
        }
        obj.str(f::FMT, "w3c");
        Ok(())
    }
}

/// Whether `d` is a date as the `date` column and `#Date:` write it,
/// `YYYY-MM-DD`, a day that exists.
fn valid_date(d: &[u8]) -> bool {
    layouts::w3c(d, b"00:00").is_some()
}

/// Writes `ts` from a date and a UTC time, `HH:MM`, `HH:MM:SS` or
/// `HH:MM:SS.fff` (the fraction's digits kept as written, up to nine).
fn write_ts(obj: &mut Object, date: &[u8], time: &[u8]) -> Result<(), Error> {
    let Some(t) = layouts::w3c(date, time) else {
        return Err(if valid_date(date) { "bad time" } else { "bad date" });
    };
    let out = obj.key(f::TS);
    out.push(b'"');
    t.write_rfc3339(Offset::UTC, out);
    out.push(b'"');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    const IIS_FIELDS: &str = "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken";

    /// Parses the lines of one source in order; the result of the last.
    fn parse_lines(
        w3c: &mut W3c,
        source: &str,
        lines: &[&[u8]],
    ) -> Result<serde_json::Value, Error> {
        let mut ctx = Ctx::new(jiff::tz::TimeZone::get("Europe/Paris").unwrap());
        ctx.source = source.as_bytes().to_vec();
        let mut result = Err("no line");
        for line in lines {
            result = crate::testing::record_in(w3c, line, &mut ctx);
        }
        result
    }

    fn parse(lines: &[&str]) -> Result<serde_json::Value, Error> {
        let lines: Vec<&[u8]> = lines.iter().map(|l| l.as_bytes()).collect();
        parse_lines(&mut W3c::new(), "u_ex261127.log", &lines)
    }

    #[test]
    fn only_the_drafts_directives_are_directives() {
        for d in ["#Software: Microsoft IIS 10.0", "#Version: 1.0", "#remark: x", IIS_FIELDS] {
            assert_eq!(parse(&[d]), Err(crate::format::NOT_A_RECORD), "{d}");
        }
        // A comment of another log is not passed over as a directive.
        for other in ["# just a comment", "#!/bin/sh", "#"] {
            assert_ne!(parse(&[other]), Err(crate::format::NOT_A_RECORD), "{other}");
            assert!(parse(&[other]).is_err(), "{other}");
        }
    }

    #[test]
    fn iis_lines() {
        let header = [
            "#Software: Microsoft Internet Information Services 10.0",
            "#Version: 1.0",
            "#Date: 2026-11-27 03:20:00",
            IIS_FIELDS,
        ];
        let mut lines = header.to_vec();
        lines.push("2026-11-27 03:22:43 10.0.0.5 GET /a/b.aspx x=1&y=2 443 CORP\\alice 203.0.113.9 Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64) https://example.com/ 404 0 2 15");
        assert_eq!(
            parse(&lines).unwrap(),
            json!({"ts":"2026-11-27T03:22:43+00:00","s-ip":"10.0.0.5","method":"GET","path":"/a/b.aspx",
                "query":"x=1&y=2","s-port":443,"user":"CORP\\alice","client":"203.0.113.9",
                "ua":"Mozilla/5.0 (Windows NT 10.0; Win64; x64)","referer":"https://example.com/",
                "status":404,"sc-substatus":0,"sc-win32-status":2,"rt":0.015,"fmt":"w3c"})
        );
        // `-` is no value.
        lines.pop();
        lines.push("2026-11-27 03:22:44 10.0.0.5 POST /api - 443 - 2001:db8::1 - - 200 0 0 1250");
        assert_eq!(
            parse(&lines).unwrap(),
            json!({"ts":"2026-11-27T03:22:44+00:00","s-ip":"10.0.0.5","method":"POST","path":"/api",
                "s-port":443,"client":"2001:db8::1","status":200,"sc-substatus":0,
                "sc-win32-status":0,"rt":1.25,"fmt":"w3c"})
        );
    }

    #[test]
    fn other_columns_and_the_date_directive() {
        // As lnav's sample: a #Fields line without time-taken; tabs.
        let r = parse(&[
            "#Date: 2002-05-02 17:42:15",
            "#Fields: time c-ip cs-version cs-host sc-bytes cs-bytes x-ratio s-sitename cs(Cookie)",
            "17:42:15.5\t172.22.255.255 HTTP/1.1 www.example.com 1024 300 0.25 W3SVC1 a=b;+c=d",
        ])
        .unwrap();
        assert_eq!(
            r,
            json!({"ts":"2002-05-02T17:42:15.5+00:00","client":"172.22.255.255","proto":"HTTP/1.1",
                "vhost":"www.example.com","bytes":1024,"cs-bytes":300,"x-ratio":0.25,
                "s-sitename":"W3SVC1","cs(Cookie)":"a=b;+c=d","fmt":"w3c"})
        );
        // Without a date, no ts; nor without a time: #Date is when the
        // log began, not when a request came.
        let r = parse(&["#Fields: time sc-status", "17:42 200"]).unwrap();
        assert_eq!(r, json!({"status":200,"fmt":"w3c"}));
        let r = parse(&["#Date: 2002-05-02 17:42:15", "#Fields: c-ip sc-status", "10.0.0.1 200"]);
        assert_eq!(r.unwrap(), json!({"client":"10.0.0.1","status":200,"fmt":"w3c"}));
        // #Date after #Fields counts too.
        let r = parse(&["#Fields: time sc-status", "#Date: 2002-05-02 00:00:00", "17:42 200"]);
        assert_eq!(r.unwrap()["ts"], "2002-05-02T17:42:00+00:00");
        let r =
            parse(&["#Date: 2002-05-02 00:00:00", "#Fields: time sc-status", "17:42 200"]).unwrap();
        assert_eq!(r["ts"], "2002-05-02T17:42:00+00:00");
    }

    #[test]
    fn every_record_has_each_key_once() {
        // A column named twice: the last wins; names lparse writes itself
        // (fmt, src, *_b64, ...) get a `_`; a time column after the date.
        let r = parse(&[
            "#Fields: sc-status c-ip fmt x-a sc-status x-a src path_b64 time date",
            "200 10.0.0.1 f 1 404 2 s p 03:00 2026-11-27",
        ])
        .unwrap();
        assert_eq!(
            r,
            json!({"client":"10.0.0.1","fmt_":"f","status":404,"x-a":2,"src_":"s","path_b64_":"p",
                "ts":"2026-11-27T03:00:00+00:00","fmt":"w3c"})
        );
        // A non-UTF-8 value's twin does not meet a column of its name.
        let r = parse_lines(&mut W3c::new(), "x", &[b"#Fields: x-u x-u_b64", b"\xff q"]).unwrap();
        assert_eq!(r, json!({"x-u":"\u{fffd}","x-u_b64":"/w==","x-u_b64_":"q","fmt":"w3c"}));
    }

    #[test]
    fn fractions_beyond_nanoseconds_are_cut_to_nine_digits() {
        let r = parse(&["#Fields: date time sc-status", "2026-11-27 03:22:46.123456789012 200"]);
        assert_eq!(r.unwrap()["ts"], "2026-11-27T03:22:46.123456789+00:00");
    }

    #[test]
    fn headers_are_per_source_and_replaced() {
        let mut w3c = W3c::new();
        let fields_a: &[u8] = b"#Fields: date time sc-status";
        assert_eq!(parse_lines(&mut w3c, "a", &[fields_a]), Err(crate::format::NOT_A_RECORD));
        let line: &[u8] = b"2026-11-27 03:22:43 200";
        assert_eq!(parse_lines(&mut w3c, "a", &[line]).unwrap()["status"], 200);
        assert!(parse_lines(&mut w3c, "b", &[line]).is_err());
        // A new #Fields line (IIS restarted with other fields) replaces it.
        let fields_b: &[u8] = b"#Fields: date time sc-status sc-bytes";
        assert!(parse_lines(&mut w3c, "a", &[fields_b, line]).is_err());
        let line2: &[u8] = b"2026-11-27 03:22:43 200 5";
        assert_eq!(parse_lines(&mut w3c, "a", &[line2]).unwrap()["bytes"], 5);
    }

    #[test]
    fn not_w3c() {
        let with_fields = |line: &'static str| parse(&[IIS_FIELDS, line]);
        for bad in [
            "",
            "hello world",
            r#"203.0.113.9 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 404 2326"#,
            "#Software: Microsoft Internet Information Services 10.0",
            // A value short or too many.
            "2026-11-27 03:22:43 10.0.0.5 GET / - 443 - 203.0.113.9 - - 404 0 2",
            "2026-11-27 03:22:43 10.0.0.5 GET / - 443 - 203.0.113.9 - - 404 0 2 15 x",
            // Bad values.
            "2026-11-31 03:22:43 10.0.0.5 GET / - 443 - 203.0.113.9 - - 404 0 2 15",
            "2026-11-27 24:22:43 10.0.0.5 GET / - 443 - 203.0.113.9 - - 404 0 2 15",
            "2026-11-27 03:22:43. 10.0.0.5 GET / - 443 - 203.0.113.9 - - 404 0 2 15",
            "2026-11-27 03:22:43 10.0.0.5 GET / - 443 - 203.0.113.9 - - 40x 0 2 15",
            "2026-11-27 03:22:43 10.0.0.5 GET / - 443 - 203.0.113.9 - - 404 0 2 -15",
        ] {
            assert!(with_fields(bad).is_err(), "{bad:?}: {:?}", with_fields(bad));
        }
        // Without a #Fields line, nothing is W3C.
        assert!(parse(&["2026-11-27 03:22:43 10.0.0.5 GET / - 443 - 203.0.113.9 - - 404 0 2 15"])
            .is_err());
        assert!(parse(&["#Fields:", "x"]).is_err());
    }

    #[test]
    fn bytes_that_are_not_utf8_are_kept() {
        let fields: &[u8] = b"#Fields: date time cs-uri-stem cs(User-Agent)";
        let line: &[u8] = b"2026-11-27 03:22:43 /caf\xe9 a+\xff";
        let r = parse_lines(&mut W3c::new(), "s", &[fields, line]).unwrap();
        assert_eq!(r["path"], "/caf\u{fffd}");
        assert_eq!(r["path_b64"], "L2NhZuk=");
        assert_eq!(r["ua"], "a \u{fffd}");
        assert_eq!(r["ua_b64"], "YSD/");
    }

    proptest! {
        #[test]
        fn round_trip(secs in 0i64..4_000_000_000, millis in proptest::option::of(0u32..1000),
                      ip in proptest::option::of("[0-9a-f.:]{2,39}"),
                      method in "[A-Z]{3,7}", path in "/[!-~]{0,30}", query in proptest::option::of("[!-~]{1,30}"),
                      status in 100u32..600, bytes in proptest::option::of(any::<u64>()),
                      ua in proptest::option::of("[a-zA-Z0-9/.;()]{1,10}( [a-zA-Z0-9/.;()]{1,10}){0,4}"),
                      taken in 0u32..1_000_000, port in 1u16.., custom in "[!-~]{1,12}") {
            let mut instant = jiff::Timestamp::from_second(secs).unwrap();
            if let Some(ms) = millis {
                instant = instant.checked_add(jiff::SignedDuration::from_millis(i64::from(ms))).unwrap();
            }
            let ts = logkit_common::time::format_rfc3339_frac(instant, jiff::tz::Offset::UTC);
            let dt = jiff::tz::Offset::UTC.to_datetime(instant);
            let dash = |v: &Option<String>| v.clone().filter(|v| v != "-");
            let (ip, query) = (dash(&ip), dash(&query));
            let line = format!("{} {} {} {method} {path} {} {status} {} {taken} {} {port} {custom}",
                dt.date(), &ts[11..ts.len() - 6], ip.as_deref().unwrap_or("-"), query.as_deref().unwrap_or("-"),
                bytes.map(|b| b.to_string()).as_deref().unwrap_or("-"),
                ua.as_ref().map(|u| u.replace(' ', "+")).as_deref().unwrap_or("-"));
            let r = parse(&["#Fields: date time c-ip cs-method cs-uri-stem cs-uri-query sc-status sc-bytes time-taken cs(User-Agent) s-port x-custom", &line]).unwrap();
            let mut want = json!({"ts": ts, "method": method, "path": path, "status": status,
                "rt": f64::from(taken) / 1000.0, "s-port": port, "fmt": "w3c"});
            for (name, value) in [("client", ip), ("query", query), ("ua", ua)] {
                if let Some(v) = value {
                    want[name] = json!(v);
                }
            }
            if let Some(b) = bytes {
                want["bytes"] = json!(b);
            }
            if custom != "-" {
                want["x-custom"] = if plain_number(custom.as_bytes()) {
                    serde_json::from_str(&custom).unwrap()
                } else {
                    json!(custom)
                };
            }
            prop_assert_eq!(r, want);
        }

        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..80),
                        text in "[#0-9a-zA-Z :.()+-]{0,60}") {
            let mut w3c = W3c::new();
            let fields: &[u8] = b"#Fields: date time cs(User-Agent) time-taken sc-status x";
            for line in [&bytes[..], text.as_bytes(), fields, &bytes[..], text.as_bytes()] {
                let _ = parse_lines(&mut w3c, "s", &[line]);
            }
        }
    }
}
