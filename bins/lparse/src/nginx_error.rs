//! nginx's error log (`nginx_error`).
//!
//! ```text
//! 2026/11/27 03:22:46 [error] 6694#6694: *3 open() "/x" failed (2: No such file or directory), client: 127.0.0.1, server: localhost, request: "GET /x HTTP/1.1", host: "h", referrer: "http://h/"
//! 2026/11/27 03:22:39 [notice] 6690#6690: using the "epoll" event method
//! ```
//!
//! The time, `[level]`, `pid#tid: `, `*cid ` when the message is about a
//! connection, the message, then for a connection the trailer nginx's log
//! handlers append: `, client: A, server: S` then, each optional and in this
//! order, `request`, `subrequest`, `upstream`, `host`, `referrer`, all
//! quoted. nginx writes these values as they came (`%V`, no escaping,
//! unlike its access log), so they are not unescaped, and a value may hold
//! a `"`: a value ends at the first `"` followed by the end of the line or
//! by `, ` and a later key. Anything after them that is not one of them
//! (stream's `bytes from/to client:...`, mail's `login`, third-party
//! additions, a value cut by nginx's 2048-byte line limit) is kept whole in
//! `extra`. The trailer is found at the first `, client: ` that is followed
//! by a well-formed `A, server: S`, so a `, client: ` inside the message
//! (say in a file name) does not cut it.
//!
//! Fields, in this order, each left out when absent: `ts` (zone-less:
//! [`Ctx::zone`]), `level`, `pid`, `tid`, `cid` (integers), `msg` (up to the
//! trailer), `file`, `client`, `server`, `method`/`path`/`query`/`proto`
//! (or `request` when the request line is not `METHOD TARGET PROTO`, as in
//! access logs), `subrequest`, `upstream`, `vhost` (nginx's `host`: the
//! `Host` header, named as in access records), `referer` (nginx spells it
//! `referrer`), `extra`, `fmt`.
//!
//! `file` is the file a message names, for these messages only: `open() "F"
//! failed`, `stat() "F" failed`, `opendir() "F" failed`, `directory index of
//! "F" is forbidden`, `"F" is forbidden` and `"F" is not found` (index
//! module).
//!
//! The parser scans bytes and borrows from the line.

use crate::fields::{split_request, Cursor};
use crate::format::{Ctx, LogFormat};
use logkit_common::json::Object;
use logkit_common::record as f;
use logkit_common::time::layouts;
use memchr::memmem;

/// nginx's error log.
#[derive(Clone)]
pub struct NginxError;

type Error = &'static str;

const NGINX_LEVELS: [&[u8]; 8] =
    [b"emerg", b"alert", b"crit", b"error", b"warn", b"notice", b"info", b"debug"];

/// The keys of the trailer after `client` and `server`, in the order nginx
/// writes them.
const TRAILER_KEYS: [&[u8]; 5] = [b"request", b"subrequest", b"upstream", b"host", b"referrer"];

/// The trailer of a message about a connection, borrowing from the line.
#[derive(Default)]
struct Trailer<'a> {
    client: &'a [u8],
    server: &'a [u8],
    /// By index in [`TRAILER_KEYS`].
    values: [Option<&'a [u8]>; 5],
    extra: Option<&'a [u8]>,
}

const CLIENT_SEP: &[u8] = b", client: ";

/// Finds the trailer in `rest` (the message and the trailer): its start and
/// its fields.
fn find_trailer(rest: &[u8]) -> Option<(usize, Trailer<'_>)> {
    let mut from = 0;
    while let Some(k) = memmem::find(&rest[from..], CLIENT_SEP) {
        let at = from + k;
        if let Some(t) = trailer(&rest[at + CLIENT_SEP.len()..]) {
            return Some((at, t));
        }
        from = at + 1;
    }
    None
}

/// An unquoted value at `i`: up to the next `, ` or the end.
fn unquoted(s: &[u8], i: usize) -> (&[u8], usize) {
    let end = memmem::find(&s[i..], b", ").map_or(s.len(), |k| i + k);
    (&s[i..end], end)
}

/// `key:` at the start of `s` that may follow a value of key `rank`: one of
/// the later keys, or a key nginx does not write in HTTP (it ends the
/// parsed trailer; what follows is `extra`). Returns the rank of a known
/// key.
fn key_after(s: &[u8], rank: usize) -> Option<Option<usize>> {
    let colon = memchr::memchr(b':', s.get(..40).unwrap_or(s))?;
    let key = &s[..colon];
    if key.is_empty()
        || !key[0].is_ascii_lowercase()
        || !key.iter().all(|&b| b.is_ascii_lowercase() || b" _/-".contains(&b))
    {
        return None;
    }
    match TRAILER_KEYS.iter().position(|k| *k == key) {
        Some(r) if r > rank => Some(Some(r)),
        Some(_) => None,
        None => Some(None),
    }
}

/// Parses a trailer after `, client: `.
fn trailer(s: &[u8]) -> Option<Trailer<'_>> {
    let (client, i) = unquoted(s, 0);
    if client.is_empty() || client.contains(&b' ') {
        return None;
    }
    let rest = s[i..].strip_prefix(b", server: ")?;
    let (server, mut i) = unquoted(s, s.len() - rest.len());
    if server.contains(&b' ') {
        return None;
    }
    let mut t = Trailer { client, server, ..Trailer::default() };
    // The rank of the last key parsed; values of later keys follow.
    let mut last: Option<usize> = None;
    while i < s.len() {
        // `unquoted` and `quoted_value` stop at `, ` or at the end.
        let item = i + 2;
        match quoted_item(s, item, last) {
            Some((rank, value, next)) => {
                t.values[rank] = Some(value);
                last = Some(rank);
                i = next;
            }
            None => {
                t.extra = Some(&s[item..]);
                break;
            }
        }
    }
    Some(t)
}

/// A known `key: "value"` item at `item`, after one of rank `last`: its rank,
/// its value and the index after its closing quote.
fn quoted_item(s: &[u8], item: usize, last: Option<usize>) -> Option<(usize, &[u8], usize)> {
    let min = last.map_or(0, |r| r + 1);
    let rest = &s[item..];
    let rank = (min..TRAILER_KEYS.len()).find(|&r| {
        rest.starts_with(TRAILER_KEYS[r]) && rest[TRAILER_KEYS[r].len()..].starts_with(b": \"")
    })?;
    let start = item + TRAILER_KEYS[rank].len() + 3;
    let mut j = start;
    // The closing quote: the first one at the end or before `, ` and a key
    // that may come next.
    while let Some(k) = memchr::memchr(b'"', &s[j..]) {
        let q = j + k;
        let after = &s[q + 1..];
        if after.is_empty()
            || after.strip_prefix(b", ").is_some_and(|a| key_after(a, rank).is_some())
        {
            return Some((rank, &s[start..q], q + 1));
        }
        j = q + 1;
    }
    None
}

/// The file a message names (see the module's documentation).
fn nginx_file(msg: &[u8]) -> Option<&[u8]> {
    const FAILED: [&[u8]; 3] = [b"open() \"", b"stat() \"", b"opendir() \""];
    let (start, end): (&[u8], &[u8]) =
        if let Some(p) = FAILED.iter().find_map(|p| msg.strip_prefix(*p)) {
            (p, b"\" failed")
        } else if let Some(p) = msg.strip_prefix(b"directory index of \"") {
            (p, b"\" is forbidden")
        } else if let Some(p) = msg.strip_prefix(b"\"") {
            let end = [&b"\" is forbidden"[..], b"\" is not found"]
                .into_iter()
                .filter_map(|e| memmem::find(p, e))
                .min()?;
            return (end > 0).then_some(&p[..end]);
        } else {
            return None;
        };
    let end = memmem::find(start, end)?;
    (end > 0).then_some(&start[..end])
}

impl LogFormat for NginxError {
    fn takes_continuations(&self) -> bool {
        true
    }

    fn name(&self) -> &str {
        "nginx_error"
    }

    fn parse(&mut self, line: &[u8], obj: &mut Object, ctx: &mut Ctx) -> Result<(), Error> {
        // `2026/11/27 03:22:46`, in its first 19 bytes: nginx writes no
        // fraction.
        let time = line
            .get(..19)
            .and_then(layouts::nginx_error)
            .filter(|&(_, len)| len == 19)
            .ok_or("expected yyyy/mm/dd hh:mm:ss")?
            .0;
        let mut c = Cursor { s: line, i: 19 };
        if !c.eat(b" [") {
            return Err("expected [level]");
        }
        let level = c.until(b']').ok_or("expected [level]")?;
        if !NGINX_LEVELS.contains(&level) {
            return Err("expected [level]");
        }
        if !c.eat(b" ") {
            return Err("expected pid#tid");
        }
        let pid = c.number().ok_or("expected pid#tid")?;
        if !c.eat(b"#") {
            return Err("expected pid#tid");
        }
        let tid = c.number().ok_or("expected pid#tid")?;
        if !c.eat(b": ") {
            return Err("expected ': ' after pid#tid");
        }
        let mut cid = None;
        if c.rest().first() == Some(&b'*') {
            let save = c.i;
            c.i += 1;
            match c.number() {
                Some(n) if c.eat(b" ") => cid = Some(n),
                _ => c.i = save,
            }
        }
        let rest = c.rest();
        let (msg, trailer) = match find_trailer(rest) {
            Some((at, t)) => (&rest[..at], Some(t)),
            None => (rest, None),
        };

        ctx.write_local_ts(obj, time.datetime)?;
        obj.bytes(f::LEVEL, level);
        obj.uint(f::PID, pid);
        obj.uint(f::TID, tid);
        if let Some(cid) = cid {
            obj.uint(f::CID, cid);
        }
        if !msg.is_empty() {
            obj.bytes(f::MSG, msg);
            if let Some(file) = nginx_file(msg) {
                obj.bytes(f::FILE, file);
            }
        }
        if let Some(t) = trailer {
            obj.bytes(f::CLIENT, t.client);
            if !t.server.is_empty() {
                obj.bytes(f::SERVER, t.server);
            }
            let names = [f::REQUEST, f::SUBREQUEST, f::UPSTREAM, f::VHOST, f::REFERER];
            for (rank, value) in t.values.iter().enumerate() {
                match value {
                    None | Some([]) => {}
                    Some(v) if rank == 0 => split_request(v, obj),
                    Some(v) => obj.bytes(names[rank], v),
                }
            }
            if let Some(extra) = t.extra {
                obj.bytes(f::EXTRA, extra);
            }
        }
        obj.str(f::FMT, self.name());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{self, ip, NOT_ERROR_LOG_LINES};
    use serde_json::json;

    fn nginx(line: &str) -> Result<serde_json::Value, Error> {
        testing::record(&mut NginxError, line.as_bytes())
    }

    #[test]
    fn times_have_no_fraction() {
        let r = nginx("2026/12/31 23:59:60 [error] 1#1: x").unwrap();
        // A leap second is held as the last second of its minute.
        assert_eq!(r["ts"], "2026-12-31T23:59:59+00:00");
        assert_eq!(nginx("2026/11/27 03:22:46.5 [error] 1#1: x"), Err("expected [level]"));
    }

    #[test]
    fn nginx_with_trailer() {
        let r = nginx(r#"2026/11/27 03:22:46 [error] 6694#6694: *3 open() "/tmp/docroot/static/app.v2.js" failed (2: No such file or directory), client: 127.0.0.1, server: localhost, request: "GET /static/app.v2.js HTTP/1.1", upstream: "http://127.0.0.1:9000/x", host: "127.0.0.1:18080", referrer: "http://127.0.0.1:18080/""#).unwrap();
        assert_eq!(
            r,
            json!({"ts": "2026-11-27T03:22:46+00:00", "level": "error", "pid": 6694, "tid": 6694, "cid": 3,
                "msg": "open() \"/tmp/docroot/static/app.v2.js\" failed (2: No such file or directory)",
                "file": "/tmp/docroot/static/app.v2.js", "client": "127.0.0.1", "server": "localhost",
                "method": "GET", "path": "/static/app.v2.js", "proto": "HTTP/1.1",
                "upstream": "http://127.0.0.1:9000/x", "vhost": "127.0.0.1:18080",
                "referer": "http://127.0.0.1:18080/", "fmt": "nginx_error"})
        );
    }

    #[test]
    fn nginx_without_connection() {
        let r = nginx(r#"2026/11/27 03:22:39 [notice] 6690#6690: using the "epoll" event method"#)
            .unwrap();
        assert_eq!(
            r,
            json!({"ts": "2026-11-27T03:22:39+00:00", "level": "notice", "pid": 6690, "tid": 6690,
                "msg": "using the \"epoll\" event method", "fmt": "nginx_error"})
        );
    }

    #[test]
    fn nginx_variants() {
        // Empty server name, a query, a forbidden directory.
        let r = nginx(r#"2026/11/27 03:22:40 [error] 6694#0: *100 directory index of "/srv/static/" is forbidden, client: ::1, server: , request: "GET /static/?a=1 HTTP/1.1", host: "h""#).unwrap();
        assert_eq!(
            r,
            json!({"ts": "2026-11-27T03:22:40+00:00", "level": "error", "pid": 6694, "tid": 0, "cid": 100,
                "msg": "directory index of \"/srv/static/\" is forbidden", "file": "/srv/static/",
                "client": "::1", "method": "GET", "path": "/static/", "query": "a=1",
                "proto": "HTTP/1.1", "vhost": "h", "fmt": "nginx_error"})
        );
        // Values are written raw: a quote in the request line, a backslash.
        let r = nginx(r#"2026/11/27 03:22:40 [info] 1#1: *7 client sent invalid request while reading client request line, client: 10.0.0.1, server: _, request: "GET /a"b\x41 HTTP/1.1", referrer: "x", host: "y""#).unwrap();
        assert_eq!(r["path"], "/a\"b\\x41");
        assert_eq!(r["referer"], "x\", host: \"y");
        assert!(r.get("vhost").is_none());
        // A ", client: " in the message is not the trailer.
        let r = nginx(r#"2026/11/27 03:22:40 [error] 1#1: *7 open() "/srv/a, client: b" failed (2: No such file or directory), client: 10.0.0.1, server: s, request: "GET /a HTTP/1.1""#).unwrap();
        assert_eq!(r["file"], "/srv/a, client: b");
        assert_eq!(r["client"], "10.0.0.1");
        // Junk for a request line; stream's byte counts and a cut line go to extra.
        let r = nginx("2026/11/27 03:22:40 [info] 1#1: *7 client sent invalid method while reading client request line, client: 10.0.0.1, server: _, request: \"\x16\x03\x01\"").unwrap();
        assert_eq!(r["request"], "\u{16}\u{3}\u{1}");
        let r = nginx(r#"2026/11/27 03:22:40 [error] 1#1: *7 upstream timed out (110: Connection timed out) while proxying upstream, client: 10.0.0.1, server: 0.0.0.0:443, upstream: "10.0.0.2:443", bytes from/to client:5/0, bytes from/to upstream:0/5"#).unwrap();
        assert_eq!(r["upstream"], "10.0.0.2:443");
        assert_eq!(r["extra"], "bytes from/to client:5/0, bytes from/to upstream:0/5");
        let r = nginx(r#"2026/11/27 03:22:40 [error] 1#1: *7 x, client: 10.0.0.1, server: s, request: "GET /very/long"#).unwrap();
        assert_eq!(r["extra"], "request: \"GET /very/long");
        assert!(r.get("method").is_none());
        // Index module messages.
        let r = nginx(r#"2026/11/27 03:22:40 [error] 1#1: *7 "/srv/www/index.html" is not found (2: No such file or directory), client: 1.2.3.4, server: s"#).unwrap();
        assert_eq!(r["file"], "/srv/www/index.html");
        assert_eq!(r["server"], "s");
    }

    #[test]
    fn real_files_parse() {
        for line in include_str!("../../../examples/nginx/error.log").lines() {
            let r = nginx(line).unwrap_or_else(|e| panic!("{e}: {line}"));
            assert!(r["ts"].is_string() && r["pid"].is_u64() && r["msg"].is_string(), "{line}");
            if line.contains(", client: ") {
                assert_eq!(r["client"], "127.0.0.1");
                assert!(r["method"].is_string() && r["file"].is_string() && r["cid"].is_u64());
                assert!(r.get("extra").is_none(), "{line}");
                assert!(!r["msg"].as_str().unwrap().contains("client:"), "{line}");
            }
        }
        for line in include_str!("../../../examples/apache/error_log").lines() {
            assert!(nginx(line).is_err(), "{line}");
        }
    }

    #[test]
    fn what_is_not_an_error_log_line() {
        for bad in NOT_ERROR_LOG_LINES {
            assert!(nginx(bad).is_err(), "{bad:?}");
        }
    }

    proptest::proptest! {
        /// Field values written as nginx writes them parse back.
        #[test]
        fn nginx_roundtrip(
            level in proptest::sample::select(vec!["emerg", "alert", "crit", "error", "warn", "notice", "info", "debug"]),
            pid in proptest::prelude::any::<u32>(),
            tid in proptest::prelude::any::<u32>(),
            cid in proptest::option::of(proptest::prelude::any::<u64>()),
            msg in "[^\n*][^\n]{0,60}",
            file in proptest::option::of("/[a-zA-Z0-9/._, -]{1,30}"),
            trailer in proptest::option::of((
                ip(),
                "[a-z0-9._-]{0,15}",
                proptest::option::of(("[A-Z]{1,7}", "/[a-zA-Z0-9/._%-]{0,20}", proptest::option::of("[a-z0-9=&%]{0,10}"))),
                proptest::option::of("http://[a-z0-9.:/]{1,20}"),
                proptest::option::of("[^\n\"]{1,20}"),
                proptest::option::of("[^\n]{1,30}"),
            )),
            (year, month, day, hour, minute, second) in (1000i16..9999, 1i8..13, 1i8..29, 0i8..24, 0i8..60, 0i8..60),
        ) {
            let msg = match &file { Some(p) => format!("open() \"{p}\" failed (2: No such file or directory)"), None => msg };
            proptest::prop_assume!(!msg.contains(", client: "));
            let dt = jiff::civil::DateTime::new(year, month, day, hour, minute, second, 0).unwrap();
            let mut line = format!("{} [{level}] {pid}#{tid}: ", dt.strftime("%Y/%m/%d %H:%M:%S"));
            if let Some(cid) = cid {
                line.push_str(&format!("*{cid} "));
            }
            line.push_str(&msg);
            let mut want = serde_json::Map::new();
            want.insert("ts".into(), json!(format!("{}+00:00", dt.strftime("%Y-%m-%dT%H:%M:%S"))));
            want.insert("level".into(), json!(level));
            want.insert("pid".into(), json!(pid));
            want.insert("tid".into(), json!(tid));
            if let Some(cid) = cid {
                want.insert("cid".into(), json!(cid));
            }
            want.insert("msg".into(), json!(msg));
            if let Some(p) = &file {
                want.insert("file".into(), json!(p));
            }
            if let Some((client, server, request, upstream, host, referrer)) = &trailer {
                line.push_str(&format!(", client: {client}, server: {server}"));
                want.insert("client".into(), json!(client));
                if !server.is_empty() {
                    want.insert("server".into(), json!(server));
                }
                if let Some((method, path, query)) = request {
                    let target = match query { Some(q) => format!("{path}?{q}"), None => path.clone() };
                    line.push_str(&format!(", request: \"{method} {target} HTTP/1.1\""));
                    want.insert("method".into(), json!(method));
                    want.insert("path".into(), json!(path));
                    if let Some(q) = query {
                        want.insert("query".into(), json!(q));
                    }
                    want.insert("proto".into(), json!("HTTP/1.1"));
                }
                for (key, name, value) in [("upstream", "upstream", upstream), ("host", "vhost", host), ("referrer", "referer", referrer)] {
                    if let Some(v) = value {
                        line.push_str(&format!(", {key}: \"{v}\""));
                        want.insert(name.into(), json!(v));
                    }
                }
            }
            want.insert("fmt".into(), json!("nginx_error"));
            let r = nginx(&line).unwrap();
            proptest::prop_assert_eq!(r, serde_json::Value::Object(want), "{}", line);
        }

        /// No input makes the parser panic, and what it writes is JSON;
        /// nor do real lines cut anywhere and followed by anything.
        #[test]
        fn never_panics(line in testing::any_line(300), cut in testing::cut_error_log_line()) {
            let _ = testing::record(&mut NginxError, &line);
            let _ = testing::record(&mut NginxError, &cut);
        }
    }
}
