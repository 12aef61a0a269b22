//! What a server's variables are called in the record format.
//!
//! Shared by the custom formats (`--nginx-format`, `--apache-format`) and by
//! JSON access logs (nginx `escape=json`), whose keys are the variable
//! names the administrator chose, often the nginx ones.

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
    /// Seconds as a number; several (nginx's retried upstreams, `0.010,
    /// 0.003`) kept as the text nginx wrote.
    SecondsOrList(&'static str),
    /// A time as epoch seconds with a fraction (`$msec`), written in UTC.
    Epoch,
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
        "upstream_response_time" => Kind::SecondsOrList(f::UPSTREAM_RT),
        "msec" => Kind::Epoch,
        _ => return None,
    })
}

/// The field a kind fills first (a request line fills `method`, `path`,
/// `query` and `proto`: `method`). Two variables with the same primary
/// field are rivals: the more precise fills it (see [`nginx_precision`],
/// [`apache_precision`]).
pub fn primary(kind: Kind) -> &'static str {
    match kind {
        Kind::Text(name)
        | Kind::Int(name)
        | Kind::Seconds(name)
        | Kind::Micros(name)
        | Kind::Millis(name)
        | Kind::SecondsOrList(name) => name,
        Kind::Time | Kind::Epoch => f::TS,
        Kind::Request => f::METHOD,
        Kind::Target => f::PATH,
    }
}

/// How precise an nginx variable is for its canonical field: `$msec`
/// (milliseconds) over `$time_local` and `$time_iso8601` (seconds); the
/// others alike (the first written wins).
pub fn nginx_precision(name: &str) -> u8 {
    u8::from(name == "msec")
}

/// How precise an Apache directive is for its canonical field: `%D` and
/// `%{us}T` (µs) over `%{ms}T` over `%T` (s) for `rt`; `%B` (bytes, `0`
/// for none) over `%b` (`-` for none) over `%O` (with headers) for
/// `bytes`; `%>s` (the final status) over `%s`; the others alike.
pub fn apache_precision(directive: &str, arg: Option<&str>) -> u8 {
    match (directive, arg) {
        ("D", None) | ("T", Some("us")) => 3,
        ("T", Some("ms")) => 2,
        ("B", None) => 3,
        ("b", None) => 2,
        (">s", None) => 2,
        _ => 1,
    }
}

/// The name of an Apache directive that has a canonical field, for when a
/// more precise rival fills that field (see [`apache_precision`]): its
/// value then keeps this name.
pub fn apache_own_name(directive: &str, arg: Option<&str>) -> String {
    let arg = arg.map(str::to_ascii_lowercase);
    match (directive, arg.as_deref()) {
        ("T", None | Some("s")) => "rt_s",
        ("T", Some("ms")) => "rt_ms",
        ("D", None) | ("T", Some("us")) => "rt_us",
        ("B" | "b", None) => "body_bytes_sent",
        ("O", None) => "bytes_sent",
        ("s" | "<s", None) => "original_status",
        (">s", None) => "final_status",
        ("h", None) => "remote_host",
        ("a", None) => "remote_ip",
        ("v", None) => "server_name",
        ("V", None) => "server_name_used",
        ("i", Some("host")) => "http_host",
        ("i", Some("referer")) => "http_referer",
        ("i", Some("user-agent")) => "http_user_agent",
        ("m", None) => "request_method",
        ("U", None) => "url_path",
        ("H", None) => "request_protocol",
        ("u", None) => "remote_user",
        ("r", None) => "request",
        ("t", _) => "time",
        _ => return apache_name(directive, arg.as_deref()),
    }
    .to_owned()
}

/// Whether an Apache directive with a canonical field is a number under
/// its own name ([`apache_own_name`]).
pub fn apache_own_number(directive: &str) -> bool {
    matches!(directive, "T" | "D" | "B" | "b" | "O" | "s" | "<s" | ">s")
}

/// Variables that are numbers in nginx's output, kept under their own name
/// but typed (`$upstream_response_time` is seconds, `$bytes_sent` bytes).
pub fn nginx_number(name: &str) -> bool {
    matches!(
        name,
        "bytes_sent"
            | "request_length"
            | "upstream_connect_time"
            | "upstream_header_time"
            | "upstream_status"
            | "connection"
            | "connection_requests"
            | "pid"
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
/// `%{X-Forwarded-For}i` → `x_forwarded_for`, `%p` → `server_port`, ...
pub fn apache_name(directive: &str, arg: Option<&str>) -> String {
    if let Some(a) = arg {
        return a.to_ascii_lowercase().replace('-', "_");
    }
    match directive {
        "l" => "ident",
        // nginx's names for the same: one name for one thing.
        "p" => f::SERVER_PORT,
        "A" => f::SERVER_ADDR,
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

/// Writes a variable's text (unescaped) as its canonical field(s). `-` and
/// empty values are left out; a field already written (two variables for
/// one name) is not written again. `Err` when the text does not fit the
/// kind (a status that is not a number).
pub fn write(
    kind: Kind,
    text: &[u8],
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
                obj.bytes(name, text);
            }
        }
        Kind::Int(name) => {
            let n = number().and_then(|t| t.parse::<u64>().ok()).ok_or("not a number")?;
            if once(name) {
                obj.uint(name, n);
            }
        }
        Kind::SecondsOrList(name) => {
            let one = number().and_then(|t| t.parse::<f64>().ok()).filter(|x| x.is_finite());
            if once(name) {
                match one {
                    Some(x) => obj.float(name, x),
                    None => obj.bytes(name, text),
                }
            }
        }
        Kind::Epoch => {
            let stamp = layouts::epoch(text)
                .and_then(|t| t.to_stamp(&jiff::tz::TimeZone::UTC))
                .ok_or("bad time")?;
            if once(f::TS) {
                obj.str(f::TS, &format_rfc3339_frac(stamp.instant, stamp.offset));
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
            if ctx.clf.to_rfc3339(inner, &mut ctx.scratch) {
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
                crate::fields::split_request(text, obj);
            }
        }
        Kind::Target => {
            if once(f::PATH) {
                crate::fields::split_target(text, obj);
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
