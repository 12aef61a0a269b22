//! Apache httpd's error log (`apache_error`), 2.2 and 2.4.
//!
//! The default `ErrorLogFormat` of 2.4 and the fixed format of 2.2:
//!
//! ```text
//! 2.4: [Fri Nov 27 03:22:41.123456 2026] [core:info] [pid 6693:tid 6721] [client 127.0.0.1:54321] AH00128: File does not exist: /x, referer: http://h/
//! 2.2: [Wed Oct 11 14:32:52 2000] [error] [client 127.0.0.1] client denied by server configuration: /x
//! ```
//!
//! In that order, each part but the first two optional: `[time]`,
//! `[module:level]` (2.4) or `[level]` (2.2), `[pid P:tid T]` or `[pid P]`
//! (2.4), `file.c(123): ` (levels `debug` and `trace1`–`trace8` only), an APR
//! status `(13)Permission denied: `, `[client ADDR:PORT]` (2.2: no port) or
//! `[remote ADDR:PORT]` (2.4, the peer is a backend, not a client), then the
//! message, `AH01234: ` first when it has a code, and `, referer: X` last
//! when the request had one. Apache escapes the message and the referer
//! (`\\`, `\n`, `\xhh` for bytes outside printable ASCII); they are
//! unescaped. A line with only a message code and text (`AH00558: apache2:
//! Could not reliably determine...`, written at start-up without time) is
//! accepted too.
//!
//! Fields, in this order, each left out when absent: `ts` (the time has no
//! zone: [`Ctx::zone`]; microseconds kept), `level`, `module`, `pid`, `tid`,
//! `client` and `client_port` (integer), `remote` and `remote_port`, `code`
//! (`AH00128`), `msg` (without the code and the referer), `file`, `referer`,
//! `errno` (integer) and `errstr` (from the APR status; for `(OS 10054)...`
//! and the like there is no `errno` and `errstr` keeps the tag),
//! `source_file` and `source_line` (integer, debug levels), `fmt`.
//!
//! `file` is the file a message names, for these messages only:
//!
//! | message | `file` |
//! |---|---|
//! | `File does not exist: F` (AH00128) | F |
//! | `client denied by server configuration: F` (AH01630, AH01797; not `uri ...`) | F |
//! | `Cannot serve directory F: No matching DirectoryIndex ...` (AH01276) | F |
//! | `Directory index forbidden by Options directive: F` (2.2) | F |
//! | `file permissions deny server access: F` (AH00132) | F |
//! | `script not found or unable to stat: F` (AH01264) | F |
//! | `access to U denied (filesystem path 'F') ...` (AH00035) | F |
//!
//! The parser scans bytes and borrows from the line; only an escaped
//! message or referer is copied, into [`Ctx::scratch`].

use crate::fields::{escaped_text, uint, unescape, Cursor};
use crate::format::{Ctx, LogFormat};
use logkit_common::json::Object;
use logkit_common::record as f;
use logkit_common::time::layouts;
use memchr::memmem;

/// Apache httpd's error log, 2.2 and 2.4 with the default `ErrorLogFormat`.
#[derive(Clone)]
pub struct ApacheError;

type Error = &'static str;

const APACHE_LEVELS: [&[u8]; 8] =
    [b"emerg", b"alert", b"crit", b"error", b"warn", b"notice", b"info", b"debug"];

/// Apache's levels; 2.4 adds `trace1` to `trace8`.
fn apache_level(level: &[u8], v24: bool) -> bool {
    APACHE_LEVELS.contains(&level)
        || (v24
            && level.len() == 6
            && level.starts_with(b"trace")
            && (b'1'..=b'8').contains(&level[5]))
}

/// `AH00128: ` at the start of a message: the code and its length with the
/// `: `.
fn ah_code(msg: &[u8]) -> Option<&[u8]> {
    let code = msg.get(..7)?;
    (code.starts_with(b"AH")
        && code[2..].iter().all(u8::is_ascii_digit)
        && msg.get(7..9) == Some(b": "))
    .then_some(code)
}

/// `mod_ssl.c(123): ` at the start of `s`: the file and the line number.
fn source_loc(s: &[u8]) -> Option<(&[u8], u64, usize)> {
    let open = memchr::memchr2(b'(', b' ', s)?;
    if open == 0 || s[open] != b'(' {
        return None;
    }
    let close = open + 1 + memchr::memchr(b')', &s[open + 1..])?;
    let line = uint(&s[open + 1..close])?;
    (s.get(close + 1..close + 3) == Some(b": ")).then_some((&s[..open], line, close + 3))
}

/// An APR status at the start of `s`: `(13)Permission denied: ` gives
/// `(Some(13), "Permission denied")`; `(OS 10054)An existing...: `, `(EAI
/// -2)...: ` and `(os 0x...)...: ` give no errno and the text with its tag.
/// The last value is the length with the `: `.
fn apr_status(s: &[u8]) -> Option<(Option<u64>, &[u8], usize)> {
    let head = &s[..s.len().min(24)];
    let close = memchr::memchr(b')', head.strip_prefix(b"(")?)? + 1;
    let inside = &s[1..close];
    let errno = uint(inside);
    let tagged = errno.is_some()
        || inside.strip_prefix(b"OS ").and_then(uint).is_some()
        || inside
            .strip_prefix(b"EAI ")
            .map(|n| n.strip_prefix(b"-").unwrap_or(n))
            .and_then(uint)
            .is_some()
        || inside
            .strip_prefix(b"os 0x")
            .is_some_and(|h| !h.is_empty() && h.iter().all(u8::is_ascii_hexdigit));
    if !tagged {
        return None;
    }
    let end = close + 1 + memmem::find(&s[close + 1..], b": ")?;
    if end == close + 1 {
        return None;
    }
    let text = if errno.is_some() { &s[close + 1..end] } else { &s[..end] };
    Some((errno, text, end + 2))
}

/// `ADDR:PORT` (2.4) as the address and the port; `ADDR` alone (2.2, early
/// 2.4) without. IPv6 addresses are written without brackets, so the port
/// is what follows the last `:`, unless that leaves an address ending in
/// `:` (`::1` is an address without a port).
fn split_port(addr: &[u8], with_port: bool) -> (&[u8], Option<u64>) {
    if with_port {
        if let Some(k) = memchr::memrchr(b':', addr) {
            let (host, port) = (&addr[..k], &addr[k + 1..]);
            if !host.is_empty() && !host.ends_with(b":") && port.len() <= 5 {
                if let Some(p) = uint(port) {
                    return (host, Some(p));
                }
            }
        }
    }
    (addr, None)
}

/// The file a message names (see the module's table), from the unescaped
/// message.
fn apache_file(msg: &[u8]) -> Option<&[u8]> {
    const TO_END: [&[u8]; 5] = [
        b"File does not exist: ",
        b"client denied by server configuration: ",
        b"Directory index forbidden by Options directive: ",
        b"file permissions deny server access: ",
        b"script not found or unable to stat: ",
    ];
    let file = if let Some(p) = TO_END.iter().find_map(|p| msg.strip_prefix(*p)) {
        if p.starts_with(b"uri ") {
            return None;
        }
        p
    } else if let Some(p) = msg.strip_prefix(b"Cannot serve directory ") {
        &p[..memmem::find(p, b": No matching DirectoryIndex")?]
    } else if msg.starts_with(b"access to ") {
        const OPEN: &[u8] = b" (filesystem path '";
        let start = memmem::find(msg, OPEN)? + OPEN.len();
        &msg[start..start + memmem::find(&msg[start..], b"')")?]
    } else {
        return None;
    };
    (!file.is_empty()).then_some(file)
}

/// Writes the message fields: `code`, `msg`, `file` and `referer`.
fn apache_message(message: &[u8], has_request: bool, obj: &mut Object, scratch: &mut Vec<u8>) {
    let mut msg = message;
    if let Some(code) = ah_code(msg) {
        obj.bytes(f::CODE, code);
        msg = &msg[9..];
    }
    // Only a request has a referer, and a request always has [client].
    const REFERER: &[u8] = b", referer: ";
    let mut referer = None;
    if has_request {
        if let Some(k) = memmem::find(msg, REFERER) {
            referer = Some(&msg[k + REFERER.len()..]);
            msg = &msg[..k];
        }
    }
    if !msg.is_empty() {
        if memchr::memchr(b'\\', msg).is_some() {
            unescape(msg, scratch);
            obj.bytes(f::MSG, scratch);
            if let Some(file) = apache_file(scratch) {
                obj.bytes(f::FILE, file);
            }
        } else {
            obj.bytes(f::MSG, msg);
            if let Some(file) = apache_file(msg) {
                obj.bytes(f::FILE, file);
            }
        }
    }
    if let Some(referer) = referer.filter(|r| !r.is_empty()) {
        escaped_text(obj, f::REFERER, referer, scratch);
    }
}

impl LogFormat for ApacheError {
    fn takes_continuations(&self) -> bool {
        true
    }

    fn name(&self) -> &str {
        "apache_error"
    }

    fn parse(&mut self, line: &[u8], obj: &mut Object, ctx: &mut Ctx) -> Result<(), Error> {
        let mut c = Cursor::new(line);
        if !c.eat(b"[") {
            // A start-up message, written without time or level.
            if ah_code(line).is_some() {
                apache_message(line, false, obj, &mut ctx.scratch);
                obj.str(f::FMT, self.name());
                return Ok(());
            }
            return Err("expected [time]");
        }
        // `[Fri Nov 27 03:22:39.860758 2026]` (2.4; 2.2 without the
        // fraction): the whole of the brackets.
        let time = c
            .until(b']')
            .and_then(|t| layouts::apache_error(t).filter(|&(_, len)| len == t.len()))
            .ok_or("expected [time]")?
            .0;
        if !c.eat(b" [") {
            return Err("expected [level]");
        }
        let tag = c.until(b']').ok_or("expected [level]")?;
        let (module, level, v24) = match memchr::memchr(b':', tag) {
            Some(k) => (&tag[..k], &tag[k + 1..], true),
            None => (&b""[..], tag, false),
        };
        if !apache_level(level, v24) || module.contains(&b' ') {
            return Err("expected [level] or [module:level]");
        }
        if !c.eat(b" ") {
            return Err("expected a message after [level]");
        }
        let (mut pid, mut tid) = (None, None);
        if v24 && c.eat(b"[pid ") {
            pid = Some(c.number().ok_or("bad [pid]")?);
            if c.eat(b":tid ") {
                tid = Some(c.number().ok_or("bad [pid:tid]")?);
            }
            if !c.eat(b"] ") {
                return Err("bad [pid]");
            }
        }
        let mut source = None;
        if level.starts_with(b"debug") || level.starts_with(b"trace") {
            if let Some((file, n, len)) = source_loc(c.rest()) {
                source = Some((file, n));
                c.i += len;
            }
        }
        let status = apr_status(c.rest()).map(|(errno, text, len)| {
            c.i += len;
            (errno, text)
        });
        let mut peer = None;
        for (open, name, port_name) in [
            (&b"[client "[..], f::CLIENT, f::CLIENT_PORT),
            (b"[remote ", f::REMOTE, f::REMOTE_PORT),
        ] {
            let rest = c.rest();
            if let Some(inside) = rest.strip_prefix(open) {
                if let Some(k) = memchr::memchr(b']', inside) {
                    let addr = &inside[..k];
                    let next = inside.get(k + 1);
                    if !addr.is_empty()
                        && !addr.contains(&b' ')
                        && matches!(next, Some(b' ') | None)
                    {
                        peer = Some((name, port_name, split_port(addr, v24)));
                        c.i += open.len() + k + 1 + usize::from(next.is_some());
                    }
                }
                break;
            }
        }

        ctx.write_local_ts(obj, time.datetime)?;
        obj.bytes(f::LEVEL, level);
        if !module.is_empty() {
            obj.bytes(f::MODULE, module);
        }
        if let Some(pid) = pid {
            obj.uint(f::PID, pid);
        }
        if let Some(tid) = tid {
            obj.uint(f::TID, tid);
        }
        if let Some((name, port_name, (addr, port))) = peer {
            obj.bytes(name, addr);
            if let Some(port) = port {
                obj.uint(port_name, port);
            }
        }
        let has_request = matches!(peer, Some((f::CLIENT, ..)));
        apache_message(c.rest(), has_request, obj, &mut ctx.scratch);
        if let Some((errno, errstr)) = status {
            if let Some(errno) = errno {
                obj.uint(f::ERRNO, errno);
            }
            obj.bytes(f::ERRSTR, errstr);
        }
        if let Some((file, n)) = source {
            obj.bytes(f::SOURCE_FILE, file);
            obj.uint(f::SOURCE_LINE, n);
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

    fn apache(line: &str) -> Result<serde_json::Value, Error> {
        testing::record(&mut ApacheError, line.as_bytes())
    }

    #[test]
    fn apache_24() {
        let r = apache("[Fri Nov 27 03:22:39.860758 2026] [mpm_event:notice] [pid 6691:tid 6691] AH00489: Apache/2.4.71 (Debian) configured -- resuming normal operations").unwrap();
        assert_eq!(
            r,
            json!({"ts": "2026-11-27T03:22:39.860758+00:00", "level": "notice", "module": "mpm_event",
                "pid": 6691, "tid": 6691, "code": "AH00489",
                "msg": "Apache/2.4.71 (Debian) configured -- resuming normal operations", "fmt": "apache_error"})
        );
    }

    #[test]
    fn times_with_long_fractions_and_leap_seconds() {
        let ts = |time: &str| apache(&format!("[{time}] [error] x")).unwrap()["ts"].clone();
        assert_eq!(
            ts("Fri Nov 27 03:22:46.123456789012 2026"),
            "2026-11-27T03:22:46.123456789+00:00"
        );
        // A leap second is held as the last second of its minute.
        assert_eq!(ts("Thu Dec 31 23:59:60 2026"), "2026-12-31T23:59:59+00:00");
        for bad in
            ["Fri Nov 27 03:22:46 2026 ", "Fri Nov 27 03:22:46. 2026", "Fri Nov 27 03:22:46 02026"]
        {
            assert!(apache(&format!("[{bad}] [error] x")).is_err(), "{bad}");
        }
    }

    #[test]
    fn apache_24_with_client() {
        let r = apache("[Fri Nov 27 03:22:41.123456 2026] [core:info] [pid 6693:tid 6721] [client 127.0.0.1:54321] AH00128: File does not exist: /tmp/docroot/static/app.v2.js").unwrap();
        assert_eq!(
            r,
            json!({"ts": "2026-11-27T03:22:41.123456+00:00", "level": "info", "module": "core",
                "pid": 6693, "tid": 6721, "client": "127.0.0.1", "client_port": 54321, "code": "AH00128",
                "msg": "File does not exist: /tmp/docroot/static/app.v2.js",
                "file": "/tmp/docroot/static/app.v2.js", "fmt": "apache_error"})
        );
        let r = apache("[Fri Nov 27 03:22:41.123456 2026] [core:info] [pid 6693:tid 6721] [client 127.0.0.1:54321] AH00128: File does not exist: /tmp/docroot/static/app.v2.js, referer: http://127.0.0.1:18081/products.html").unwrap();
        assert_eq!(
            r,
            json!({"ts": "2026-11-27T03:22:41.123456+00:00", "level": "info", "module": "core",
                "pid": 6693, "tid": 6721, "client": "127.0.0.1", "client_port": 54321, "code": "AH00128",
                "msg": "File does not exist: /tmp/docroot/static/app.v2.js",
                "file": "/tmp/docroot/static/app.v2.js",
                "referer": "http://127.0.0.1:18081/products.html", "fmt": "apache_error"})
        );
    }

    #[test]
    fn apache_22() {
        let r = apache("[Wed Oct 11 14:32:52 2000] [error] [client 127.0.0.1] client denied by server configuration: /export/home/live/ap/htdocs/test").unwrap();
        assert_eq!(
            r,
            json!({"ts": "2000-10-11T14:32:52+00:00", "level": "error", "client": "127.0.0.1",
                "msg": "client denied by server configuration: /export/home/live/ap/htdocs/test",
                "file": "/export/home/live/ap/htdocs/test", "fmt": "apache_error"})
        );
        let r = apache("[Mon Dec 26 16:17:53 2016] [notice] Apache/2.2.22 (Ubuntu) configured -- resuming normal operations").unwrap();
        assert_eq!(
            r,
            json!({"ts": "2016-12-26T16:17:53+00:00", "level": "notice",
                "msg": "Apache/2.2.22 (Ubuntu) configured -- resuming normal operations", "fmt": "apache_error"})
        );
        // 2.2 writes no port: an IPv6 address stays whole.
        let r = apache("[Mon Dec 26 16:22:00 2016] [error] [client ::1] File does not exist: /var/www/favicon.ico, referer: http://192.168.33.72/").unwrap();
        assert_eq!(r["client"], "::1");
        assert!(r.get("client_port").is_none());
        assert_eq!(r["referer"], "http://192.168.33.72/");
        assert_eq!(r["file"], "/var/www/favicon.ico");
    }

    #[test]
    fn apache_variants() {
        // Early 2.4: no port; pid without tid.
        let r = apache("[Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187] File does not exist: /usr/local/apache2/htdocs/favicon.ico").unwrap();
        assert_eq!(r["client"], "72.15.99.187");
        assert_eq!(r["tid"], 4328636416u64);
        assert!(r.get("client_port").is_none() && r.get("code").is_none());
        let r = apache("[Mon Dec 26 16:15:55.103786 2016] [core:notice] [pid 11379] AH00094: Command line: '/usr/local/bin/httpd'").unwrap();
        assert_eq!(r["pid"], 11379);
        assert!(r.get("tid").is_none());
        // IPv6 with a port, an APR status, a directory.
        let r = apache("[Fri Nov 27 03:22:44.012849 2026] [autoindex:error] [pid 1:tid 2] (13)Permission denied: [client 2001:db8::1:48714] AH01276: Cannot serve directory /srv/www/static/: No matching DirectoryIndex (index.html) found, and server-generated directory index forbidden by Options directive").unwrap();
        assert_eq!(
            r,
            json!({"ts": "2026-11-27T03:22:44.012849+00:00", "level": "error", "module": "autoindex",
                "pid": 1, "tid": 2, "client": "2001:db8::1", "client_port": 48714, "code": "AH01276",
                "msg": "Cannot serve directory /srv/www/static/: No matching DirectoryIndex (index.html) found, and server-generated directory index forbidden by Options directive",
                "file": "/srv/www/static/", "errno": 13, "errstr": "Permission denied", "fmt": "apache_error"})
        );
        let r = apache("[Tue Mar 08 10:34:21.123456 2016] [core:error] [pid 3] (13)Permission denied: [client 10.0.0.1:5] AH00035: access to /index.html denied (filesystem path '/var/www/html/index.html') because search permissions are missing on a component of the path").unwrap();
        assert_eq!(r["file"], "/var/www/html/index.html");
        let r = apache("[Tue Mar 08 10:34:21.123456 2016] [proxy:error] [pid 3:tid 4] (OS 10061)No connection could be made because the target machine actively refused it.  : AH00957: HTTP: attempt to connect to 127.0.0.1:8080 (*) failed").unwrap();
        assert_eq!(
            r["errstr"],
            "(OS 10061)No connection could be made because the target machine actively refused it.  "
        );
        assert!(r.get("errno").is_none());
        assert_eq!(r["code"], "AH00957");
        // Debug levels name the source file; a backend is `remote`.
        let r = apache("[Tue Mar 08 10:34:21.123456 2016] [proxy_http:trace2] [pid 3:tid 4] mod_proxy_http.c(1234): [remote 10.0.0.9:8080] AH01234: backend said hi").unwrap();
        assert_eq!(
            r,
            json!({"ts": "2016-03-08T10:34:21.123456+00:00", "level": "trace2", "module": "proxy_http",
                "pid": 3, "tid": 4, "remote": "10.0.0.9", "remote_port": 8080, "code": "AH01234",
                "msg": "backend said hi", "source_file": "mod_proxy_http.c", "source_line": 1234,
                "fmt": "apache_error"})
        );
        // Escapes are undone; the client's path of a denied URI is no file.
        let r = apache(r"[Tue Mar 08 10:34:21 2016] [error] [client 1.2.3.4] File does not exist: /var/www/caf\xc3\xa9\\x, referer: http://h/\xc3\xa9").unwrap();
        assert_eq!(r["msg"], "File does not exist: /var/www/café\\x");
        assert_eq!(r["file"], "/var/www/café\\x");
        assert_eq!(r["referer"], "http://h/é");
        let r = apache("[Tue Mar 08 10:34:21.1 2016] [authz_core:error] [pid 3:tid 4] [client 1.2.3.4:5] AH01630: client denied by server configuration: uri /x").unwrap();
        assert!(r.get("file").is_none());
        assert_eq!(r["ts"], "2016-03-08T10:34:21.100+00:00");
        // Start-up messages have no time.
        let r = apache("AH00558: apache2: Could not reliably determine the server's fully qualified domain name, using 127.0.1.1. Set the 'ServerName' directive globally to suppress this message").unwrap();
        assert_eq!(r["code"], "AH00558");
        assert!(r.get("ts").is_none());
        // Not a referer without a request.
        let r = apache("[Tue Mar 08 10:34:21 2016] [notice] a, referer: b").unwrap();
        assert_eq!(r["msg"], "a, referer: b");
    }

    #[test]
    fn real_files_parse() {
        for line in include_str!("../../../examples/apache/error_log").lines() {
            let r = apache(line).unwrap_or_else(|e| panic!("{e}: {line}"));
            assert!(r["ts"].is_string() && r["pid"].is_u64() && r["code"].is_string(), "{line}");
            if line.contains("[client ") {
                assert_eq!(r["client"], "127.0.0.1");
                assert!(r["client_port"].is_u64() && r["file"].is_string(), "{line}");
            }
        }
        for line in include_str!("../../../examples/nginx/error.log").lines() {
            assert!(apache(line).is_err(), "{line}");
        }
    }

    #[test]
    fn what_is_not_an_error_log_line() {
        for bad in NOT_ERROR_LOG_LINES {
            assert!(apache(bad).is_err(), "{bad:?}");
        }
    }

    /// Apache's escaping of error log items (`ap_escape_errorlog_item`).
    fn apache_escape(s: &str) -> String {
        let mut out = String::new();
        for &b in s.as_bytes() {
            match b {
                b'\\' => out.push_str("\\\\"),
                b'\n' => out.push_str("\\n"),
                b'\r' => out.push_str("\\r"),
                b'\t' => out.push_str("\\t"),
                0x20..=0x7e => out.push(b as char),
                _ => out.push_str(&format!("\\x{b:02x}")),
            }
        }
        out
    }

    /// Messages whose start or content reads as another part of the line.
    fn ambiguous(msg: &str) -> bool {
        msg.starts_with(['(', '[', 'A']) || msg.contains("): ") || msg.contains(", referer: ")
    }

    proptest::proptest! {
        /// Field values written as Apache 2.4 writes them parse back.
        #[test]
        fn apache_24_roundtrip(
            level in proptest::sample::select(vec!["emerg", "alert", "crit", "error", "warn", "notice", "info", "debug", "trace1", "trace8"]),
            module in "[a-z][a-z0-9_]{0,15}",
            pid in 1u64..5_000_000,
            tid in proptest::option::of(proptest::prelude::any::<u64>()),
            client in proptest::option::of((ip(), proptest::prelude::any::<u16>())),
            code in proptest::option::of(0u32..100_000),
            msg in "\\PC[^\n]{0,60}",
            file in proptest::option::of("/[a-zA-Z0-9/._-]{0,30}"),
            referer in proptest::option::of("[^\n]{1,40}"),
            (year, month, day) in (1000i16..9999, 1i8..13, 1i8..29),
            (hour, minute, second, micros) in (0i8..24, 0i8..60, 0i8..60, 0i32..1_000_000),
        ) {
            let msg = match &file { Some(p) => format!("File does not exist: {p}"), None => msg };
            proptest::prop_assume!(!ambiguous(&msg));
            let dt = jiff::civil::DateTime::new(year, month, day, hour, minute, second, micros * 1000).unwrap();
            let mut line = format!("[{}.{:06} {year}] [{module}:{level}] [pid {pid}",
                dt.strftime("%a %b %d %H:%M:%S"), micros);
            if let Some(tid) = tid {
                line.push_str(&format!(":tid {tid}"));
            }
            line.push_str("] ");
            if let Some((ip, port)) = &client {
                line.push_str(&format!("[client {ip}:{port}] "));
            }
            if let Some(code) = code {
                line.push_str(&format!("AH{code:05}: "));
            }
            line.push_str(&apache_escape(&msg));
            let referer = referer.filter(|_| client.is_some());
            if let Some(r) = &referer {
                line.push_str(&format!(", referer: {}", apache_escape(r)));
            }
            let r = apache(&line).unwrap();
            let mut want = serde_json::Map::new();
            let ts = jiff::tz::TimeZone::UTC.to_timestamp(dt).unwrap();
            want.insert("ts".into(), json!(logkit_common::time::format_rfc3339_frac(ts, jiff::tz::Offset::UTC)));
            want.insert("level".into(), json!(level));
            want.insert("module".into(), json!(module));
            want.insert("pid".into(), json!(pid));
            if let Some(tid) = tid {
                want.insert("tid".into(), json!(tid));
            }
            if let Some((ip, port)) = &client {
                want.insert("client".into(), json!(ip));
                want.insert("client_port".into(), json!(port));
            }
            if let Some(code) = code {
                want.insert("code".into(), json!(format!("AH{code:05}")));
            }
            want.insert("msg".into(), json!(msg));
            if let Some(p) = file.filter(|p| !p.is_empty()) {
                want.insert("file".into(), json!(p));
            }
            if let Some(r) = referer {
                want.insert("referer".into(), json!(r));
            }
            want.insert("fmt".into(), json!("apache_error"));
            proptest::prop_assert_eq!(r, serde_json::Value::Object(want), "{}", line);
        }

        /// No input makes the parser panic, and what it writes is JSON;
        /// nor do real lines cut anywhere and followed by anything.
        #[test]
        fn never_panics(line in testing::any_line(300), cut in testing::cut_error_log_line()) {
            let _ = testing::record(&mut ApacheError, &line);
            let _ = testing::record(&mut ApacheError, &cut);
        }
    }
}
