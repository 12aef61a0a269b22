//! What a server's variables are called in the record format.
//!
//! Shared by the custom formats (`--nginx-format`, `--apache-format`) and by
//! JSON access logs (nginx `escape=json`), whose keys are the variable
//! names the administrator chose, often the nginx ones.

use crate::fields::Utf8Line;
use crate::format::Ctx;
use logkit_common::json::Object;
use logkit_common::record as f;
use logkit_common::time::{clf_to_rfc3339, format_rfc3339_frac, layouts, parse_rfc3339};

/// How a variable's text becomes a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A string field under the canonical name.
    Text(&'static str),
    /// An integer (`status`, `bytes`).
    Int(&'static str),
    /// Seconds, as a decimal (`$request_time`, `%T`).
    Seconds(&'static str),
    /// Microseconds, written as seconds (`%D`).
    Micros(&'static str),
    /// Milliseconds, written as seconds (`%{ms}T`).
    Millis(&'static str),
    /// A time: CLF (`$time_local`, `%t`) or ISO 8601 (`$time_iso8601`).
    Time,
    /// The request line: `method`, `path`, `query`, `proto`.
    Request,
    /// A request target: `path` and `query`.
    Target,
}

/// The canonical field of an nginx variable (without `$`), if it has one.
pub fn nginx(name: &str) -> Option<Kind> {
    Some(match name {
        "remote_addr" | "realip_remote_addr" => Kind::Text(f::CLIENT),
        "remote_user" => Kind::Text(f::USER),
        "time_local" | "time_iso8601" => Kind::Time,
        "request" => Kind::Request,
        "request_method" => Kind::Text(f::METHOD),
        "request_uri" => Kind::Target,
        "uri" | "document_uri" => Kind::Text(f::PATH),
        "args" | "query_string" => Kind::Text(f::QUERY),
        "server_protocol" => Kind::Text(f::PROTO),
        "status" => Kind::Int(f::STATUS),
        "body_bytes_sent" => Kind::Int(f::BYTES),
        "http_referer" => Kind::Text(f::REFERER),
        "http_user_agent" => Kind::Text(f::UA),
        "host" | "server_name" | "http_host" => Kind::Text(f::VHOST),
        "request_time" => Kind::Seconds(f::RT),
        _ => return None,
    })
}

/// Variables that are numbers in nginx's output, kept under their own name
/// but typed (`$upstream_response_time` is seconds, `$bytes_sent` bytes).
pub fn nginx_number(name: &str) -> bool {
    matches!(
        name,
        "bytes_sent"
            | "request_length"
            | "upstream_response_time"
            | "upstream_connect_time"
            | "upstream_header_time"
            | "upstream_status"
            | "connection"
            | "connection_requests"
            | "pid"
            | "msec"
            | "server_port"
            | "remote_port"
            | "upstream_response_length"
    )
}

/// The canonical field of an Apache `LogFormat` directive, given as the
/// letter with its `{argument}` if any (`h`, `>s`, `{Referer}i`); `None`
/// for directives without one (kept under a name of their own).
pub fn apache(directive: &str, arg: Option<&str>) -> Option<Kind> {
    let arg_lower = arg.map(str::to_ascii_lowercase);
    Some(match (directive, arg_lower.as_deref()) {
        ("h" | "a", None) => Kind::Text(f::CLIENT),
        ("u", None) => Kind::Text(f::USER),
        ("t", None) => Kind::Time,
        ("r", None) => Kind::Request,
        ("s" | ">s" | "<s", None) => Kind::Int(f::STATUS),
        ("b" | "B" | "O", None) => Kind::Int(f::BYTES),
        ("D", None) | ("T", Some("us")) => Kind::Micros(f::RT),
        ("T", Some("ms")) => Kind::Millis(f::RT),
        ("T", None | Some("s")) => Kind::Seconds(f::RT),
        ("v" | "V", None) => Kind::Text(f::VHOST),
        ("m", None) => Kind::Text(f::METHOD),
        ("U", None) => Kind::Text(f::PATH),
        ("H", None) => Kind::Text(f::PROTO),
        ("i", Some("referer")) => Kind::Text(f::REFERER),
        ("i", Some("user-agent")) => Kind::Text(f::UA),
        ("i", Some("host")) => Kind::Text(f::VHOST),
        _ => return None,
    })
}

/// The field name for an Apache directive without a canonical one:
/// `%{X-Forwarded-For}i` → `x_forwarded_for`, `%p` → `port`, ...
pub fn apache_name(directive: &str, arg: Option<&str>) -> String {
    if let Some(a) = arg {
        return a.to_ascii_lowercase().replace('-', "_");
    }
    match directive {
        "l" => "ident",
        "p" => "port",
        "P" => f::PID,
        "k" => "keepalive",
        "I" => "bytes_in",
        "S" => "bytes_transferred",
        "X" => "conn_status",
        "L" => "log_id",
        "q" => "query",
        "f" => "filename",
        "R" => "handler",
        other => other,
    }
    .to_owned()
}

/// Whether an Apache directive without a canonical name is a number.
pub fn apache_number(directive: &str) -> bool {
    matches!(directive, "p" | "P" | "k" | "I" | "S")
}

/// Writes a variable's text (unescaped) as its canonical field(s); `utf8`
/// is the line (or unescaped copy) the text was cut from. `-` and
/// empty values are left out; a field already written (two variables for
/// one name) is not written again. `Err` when the text does not fit the
/// kind (a status that is not a number).
pub fn write<'t>(
    kind: Kind,
    text: &'t [u8],
    utf8: Utf8Line<'t>,
    obj: &mut Object,
    written: &mut Vec<&'static str>,
    ctx: &mut Ctx,
) -> Result<(), &'static str> {
    if text == b"-" || text.is_empty() {
        return Ok(());
    }
    let mut once = |name: &'static str| {
        if written.contains(&name) {
            false
        } else {
            written.push(name);
            true
        }
    };
    let number = || std::str::from_utf8(text).ok().map(str::trim);
    match kind {
        Kind::Text(name) => {
            if once(name) {
                crate::fields::text(obj, name, text, utf8);
            }
        }
        Kind::Int(name) => {
            let n = number().and_then(|t| t.parse::<u64>().ok()).ok_or("not a number")?;
            if once(name) {
                obj.uint(name, n);
            }
        }
        Kind::Seconds(name) | Kind::Micros(name) | Kind::Millis(name) => {
            // Divide (not multiply by 1e-6): 1234 µs is then exactly the
            // double nearest to 0.001234.
            let divisor = match kind {
                Kind::Micros(_) => 1e6,
                Kind::Millis(_) => 1e3,
                _ => 1.0,
            };
            let x = number()
                .and_then(|t| t.parse::<f64>().ok())
                .filter(|x| x.is_finite())
                .ok_or("not a number")?;
            if once(name) {
                obj.float(name, x / divisor);
            }
        }
        Kind::Time => {
            // CLF first: it is what access logs write, and the cheapest.
            let inner = text.strip_prefix(b"[").and_then(|t| t.strip_suffix(b"]")).unwrap_or(text);
            ctx.scratch.clear();
            if clf_to_rfc3339(inner, &mut ctx.scratch) {
                if once(f::TS) {
                    crate::fields::ts(obj, &ctx.scratch);
                }
                return Ok(());
            }
            let text = std::str::from_utf8(text).map_err(|_| "bad time")?;
            let ts = time_from_text(text, ctx).ok_or("bad time")?;
            if once(f::TS) {
                obj.str(f::TS, &ts);
            }
        }
        Kind::Request => {
            if once(f::METHOD) {
                crate::fields::split_request(text, obj, utf8.covering(text));
            }
        }
        Kind::Target => {
            if once(f::PATH) {
                crate::fields::split_target(text, obj, utf8.covering(text));
            }
        }
    }
    Ok(())
}

/// A time as RFC 3339: RFC 3339 or ISO 8601 text (its own offset, else
/// the context's zone), or Common Log Format (`10/Oct/2000:13:55:36 -0700`,
/// with or without brackets).
pub fn time_from_text(text: &str, ctx: &Ctx) -> Option<String> {
    let text = text.trim().trim_start_matches('[').trim_end_matches(']');
    if let Some((time, len)) = layouts::iso8601(text.as_bytes()) {
        if len == text.len() {
            let stamp = time.to_stamp(&ctx.zone)?;
            return Some(format_rfc3339_frac(stamp.instant, stamp.offset));
        }
    }
    let mut out = Vec::new();
    if clf_to_rfc3339(text.as_bytes(), &mut out) {
        return String::from_utf8(out).ok();
    }
    // The rarer forms of ISO 8601, which jiff reads: with an offset in
    // hours (`+01`), without seconds (`2026-11-27T03:22`), a date alone
    // (midnight, as a `date` key holds it).
    if let Some(stamp) = parse_rfc3339(text) {
        return Some(format_rfc3339_frac(stamp.instant, stamp.offset));
    }
    let dt = text.parse::<jiff::civil::DateTime>().ok()?;
    let ts = ctx.zone.to_timestamp(dt).ok()?;
    Some(format_rfc3339_frac(ts, ctx.zone.to_offset(ts)))
}
