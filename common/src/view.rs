//! Records on a terminal: one readable line per record, in the manner of hl
//! and lnav, instead of the NDJSON a pipe gets. lparse shows its records
//! this way, lgrep the records it passes, and hprobe its requests.
//!
//! The view reads back the records a tool has just written (with
//! [`crate::flat`]), so that it shows exactly what a program would
//! receive, and no parser has to know about it. A terminal shows a few
//! thousand lines a second at best; reading a record twice costs far less.
//!
//! * access logs: time, status coloured by class, method, path and query,
//!   size, `rt`, then vhost and client, dimmed;
//! * hprobe's requests (access records without `fmt`): the same, with the
//!   URL's host and port for the vhost, then what failed (`err`),
//!   `retries`, where redirects led, the captured `h_*` headers, and under
//!   `--compare` the base's answer and `diff`;
//! * error logs: time, level coloured by severity, message, client;
//! * other formats (JSON, logfmt, syslog, W3C): time, level, message, then
//!   the other fields as `key=value`;
//! * a line that did not parse: its reason in red, then the line; a partial
//!   record: what was read, then the reason in yellow.
//!
//! Every piece of data is escaped ([`Line`] does it) and each line is cut
//! to the window's width, re-read for every record so that a resize is
//! followed.

use crate::flat::{self, Fields};
use crate::record;
use crate::style::{self, Line, Style, BOLD, CYAN, DIM, GREEN, PLAIN, RED, RED_BOLD, YELLOW};
use crate::term;
use std::borrow::Cow;

/// Below this many columns the time is shown without its date and offset,
/// so that the path still fits on an 80-column terminal.
const FULL_TIME_COLUMNS: usize = 100;

/// The widest method that keeps the paths in line (`DELETE`).
const METHOD_WIDTH: usize = 6;

/// The width of the level column (`notice`, `warn`).
const LEVEL_WIDTH: usize = 6;

/// Fields the generic view shows in its own place, or not at all (the
/// format's name, the source, the bytes behind a `_b64`).
const SHOWN_APART: &[&str] = &[
    record::TS,
    record::LEVEL,
    "severity",
    record::MSG,
    "message",
    record::FMT,
    record::SRC,
    record::SRC_B64,
    record::ERR,
    record::PARTIAL,
    record::LINE,
    record::LINE_B64,
    record::TRUNCATED,
];

/// What a tool writes to standard output for the records it makes, from
/// [`style::Shown`]: the view keeps its state (the time column's width).
pub enum Display {
    /// NDJSON records, byte for byte (a pipe or a file).
    Records,
    /// Records on a terminal (`--json`): the same JSON, with the characters
    /// that could drive the terminal escaped ([`term::escape_json`]).
    TerminalRecords,
    /// One readable line per record.
    View(View),
}

impl Display {
    /// The display for what [`style::ViewArgs::shown`] chose.
    pub fn of(shown: style::Shown) -> Display {
        match shown {
            style::Shown::Records => Display::Records,
            style::Shown::TerminalRecords => Display::TerminalRecords,
            style::Shown::View { color } => Display::View(View::new(color)),
        }
    }

    /// Whether the records go out as they are (nothing to turn them into).
    pub fn is_records(&self) -> bool {
        matches!(self, Display::Records)
    }

    /// Turns the whole records written at `buf[start..]` into what is shown.
    pub fn show(&mut self, buf: &mut Vec<u8>, start: usize) {
        match self {
            Display::Records => {}
            Display::TerminalRecords => {
                let records = buf.split_off(start);
                let text = String::from_utf8_lossy(&records);
                buf.extend_from_slice(term::escape_json(&text).as_bytes());
            }
            Display::View(view) => view.show(buf, start),
        }
    }
}

/// The terminal view's state.
pub struct View {
    color: bool,
    /// The widest time shown so far: times line up as they come.
    time_width: usize,
    text: String,
}

impl View {
    /// A view, coloured or not.
    pub fn new(color: bool) -> View {
        View { color, time_width: 0, text: String::new() }
    }

    /// Replaces the records written at `buf[start..]` (whole NDJSON lines)
    /// with their readable lines.
    pub fn show(&mut self, buf: &mut Vec<u8>, start: usize) {
        if buf.len() == start {
            return;
        }
        let records = buf.split_off(start);
        let max = style::stdout_columns();
        self.text.clear();
        for record in records.split(|&b| b == b'\n').filter(|r| !r.is_empty()) {
            let line = self.line(record, max);
            line.write(&mut self.text, self.color, max);
        }
        buf.extend_from_slice(self.text.as_bytes());
    }

    /// The readable line of one record.
    fn line(&mut self, json: &[u8], max: Option<usize>) -> Line {
        let record = Record::read(json);
        let mut line = Line::new();
        if let Some(ts) = record.text(record::TS) {
            let short = short_time(&ts, max.is_some_and(|m| m < FULL_TIME_COLUMNS));
            self.time_width = self.time_width.max(term::width(&short));
            line.cell(DIM, &short, self.time_width);
        }
        let failed = record.has(record::ERR) && !record.has(record::PARTIAL);
        if failed && record.has(record::LINE) {
            // Nothing was read from the line: say why, then show it.
            let err = record.text(record::ERR).unwrap_or_default();
            line.word(RED_BOLD, &format!("! {err}:"));
            line.word(PLAIN, &record.text(record::LINE).unwrap_or_default());
            return line;
        }
        let fmt = record.text(record::FMT);
        if fmt.is_none() && !record.has(record::ERR) {
            if let Some(raw) = record.text(record::LINE) {
                // A raw line as ltail tags it: its source, then the line.
                if let Some(src) = record.text(record::SRC) {
                    line.word(DIM, &src);
                }
                line.word(PLAIN, &raw);
                if record.has(record::TRUNCATED) {
                    line.word(YELLOW, "(cut)");
                }
                return line;
            }
        }
        // An error log's record may hold its request too: its level and
        // message come first.
        if matches!(fmt.as_deref(), Some("apache_error" | "nginx_error")) {
            error_log(&record, &mut line);
        } else if record.has(record::STATUS)
            || record.has(record::METHOD)
            || record.has(record::REQUEST)
        {
            access(&record, &mut line);
        } else {
            generic(&record, &mut line);
        }
        if record.has(record::TRUNCATED) {
            line.word(YELLOW, "(cut)");
        }
        if record.has(record::PARTIAL) {
            let err = record.text(record::ERR).unwrap_or_default();
            line.word(YELLOW, &format!("partial: {err}"));
        }
        if line.is_empty() {
            // Only fields shown apart (lgrep --fields src,fmt): as they are,
            // rather than a blank line.
            for (key, value) in &record.fields {
                line.word(DIM, &format!("{key}=")).push(PLAIN, &value_text(value));
            }
        }
        line
    }
}

/// An access log's record: status, method, path?query, size, rt, vhost,
/// client.
fn access(record: &Record<'_>, line: &mut Line) {
    let status = record.text(record::STATUS).unwrap_or(Cow::Borrowed("-"));
    line.cell(status_style(&status), &status, 3);
    if let Some(method) = record.text(record::METHOD) {
        line.cell(BOLD, &method, METHOD_WIDTH);
    }
    if let Some(path) = record.text(record::PATH) {
        line.word(PLAIN, &path);
        if let Some(query) = record.text(record::QUERY) {
            line.push(DIM, "?").push(PLAIN, &query);
        }
    } else if let Some(request) = record.text(record::REQUEST) {
        line.word(PLAIN, &request);
    }
    if let Some(bytes) = record.number(record::BYTES) {
        line.word(PLAIN, &size(bytes));
    }
    if let Some(rt) = record.number(record::RT) {
        line.word(PLAIN, &term::seconds(rt));
    }
    // Only hprobe's records (the parsers' have a `fmt`): an access log in
    // JSON may hold an `err` or a `diff` of its own, shown as before.
    let request = !record.has(record::FMT);
    // A request's host with its port, from its URL: probes of two ports of
    // one host would look alike by `vhost` alone.
    let url = record.text(record::URL).filter(|_| request);
    let host_port = url.as_deref().and_then(crate::url::split_authority).map(|parts| parts.2);
    match host_port.filter(|h| !h.is_empty()) {
        Some(host_port) => line.word(DIM, host_port),
        None => match record.text(record::VHOST) {
            Some(vhost) => line.word(DIM, &vhost),
            None => line,
        },
    };
    if let Some(client) = record.text(record::CLIENT) {
        line.word(DIM, &client);
    }
    if request {
        request_outcome(record, line);
    }
}

/// What hprobe's records say beyond the access layout: why a request got
/// no answer, whether it was sent again or redirected, the headers
/// captured, and under `--compare` the base's answer and what differed
/// (docs/records.md, "hprobe records").
fn request_outcome(record: &Record<'_>, line: &mut Line) {
    // A partial record's `err` is shown by [`View::line`], as a reason.
    if !record.has(record::PARTIAL) {
        if let Some(err) = record.text(record::ERR) {
            failure(line, &err, record.text(record::ERR_MSG));
        }
    }
    if let Some(retries) = record.text(record::RETRIES) {
        line.word(YELLOW, &format!("retries={retries}"));
    }
    if let Some(url) = record.text(record::FINAL_URL) {
        line.word(CYAN, "->").push(PLAIN, " ").push(PLAIN, &url);
    }
    captured(record, record::CAPTURE_PREFIX, line);
    let base_status = record.text(record::B_STATUS);
    let base_err = record.text(record::B_ERR);
    if base_status.is_none() && base_err.is_none() {
        return;
    }
    line.word(DIM, "base");
    if let Some(status) = &base_status {
        line.push(PLAIN, " ").push(status_style(status), status);
    }
    if let Some(rt) = record.number(record::B_RT) {
        line.word(PLAIN, &term::seconds(rt));
    }
    if let Some(err) = &base_err {
        failure(line, err, record.text(record::B_ERR_MSG));
    }
    let base_captured = [record::COMPARE_PREFIX, record::CAPTURE_PREFIX].concat();
    captured(record, &base_captured, line);
    match record.text(record::DIFF) {
        Some(diff) => line.word(YELLOW, &format!("differs: {diff}")),
        None => line.word(GREEN, "same"),
    };
}

/// `! timeout: no complete response within 2s`.
fn failure(line: &mut Line, err: &str, msg: Option<Cow<'_, str>>) {
    line.word(RED_BOLD, &format!("! {err}"));
    if let Some(msg) = msg {
        line.push(RED_BOLD, ":").push(PLAIN, " ").push(PLAIN, &msg);
    }
}

/// The fields named `prefix` + a header's name, as `key=value`; not the
/// `_b64` beside a value that is no UTF-8 (its text, with U+FFFD, is shown).
fn captured(record: &Record<'_>, prefix: &str, line: &mut Line) {
    let shown = |key: &str| key.starts_with(prefix) && !key.ends_with(record::B64_SUFFIX);
    for (key, value) in record.fields.iter().filter(|(key, _)| shown(key)) {
        line.word(DIM, &format!("{key}=")).push(PLAIN, &value_text(value));
    }
}

/// An error log's record: level, message, client.
fn error_log(record: &Record<'_>, line: &mut Line) {
    let level = record.text(record::LEVEL).unwrap_or(Cow::Borrowed("-"));
    line.cell(level_style(&level), &level, LEVEL_WIDTH);
    if let Some(msg) = record.text(record::MSG) {
        line.word(PLAIN, &msg);
    }
    if let Some(client) = record.text(record::CLIENT) {
        line.word(DIM, &format!("client {client}"));
    }
}

/// Any other record: level, message, then `key=value` for the rest.
fn generic(record: &Record<'_>, line: &mut Line) {
    if let Some(level) = record.text(record::LEVEL).or_else(|| record.text("severity")) {
        line.cell(level_style(&level), &level, LEVEL_WIDTH);
    }
    if let Some(msg) = record.text(record::MSG).or_else(|| record.text("message")) {
        line.word(PLAIN, &msg);
    }
    for (key, value) in &record.fields {
        if SHOWN_APART.contains(&key.as_ref()) || key.ends_with(record::B64_SUFFIX) {
            continue;
        }
        line.word(DIM, &format!("{key}=")).push(PLAIN, &value_text(value));
    }
}

/// Status classes: success green, redirects cyan, client errors yellow,
/// server errors red.
fn status_style(status: &str) -> Style {
    match status.as_bytes().first() {
        Some(b'2') => GREEN,
        Some(b'3') => CYAN,
        Some(b'4') => YELLOW,
        Some(b'5') => RED_BOLD,
        _ => PLAIN,
    }
}

/// Levels by severity: errors and worse red, warnings yellow, the quiet
/// ones dimmed. Names from syslog, Apache and application logs alike.
fn level_style(level: &str) -> Style {
    match level.to_ascii_lowercase().as_str() {
        "emerg" | "emergency" | "alert" | "crit" | "critical" | "fatal" | "panic" => RED_BOLD,
        "error" | "err" => RED,
        "warn" | "warning" => YELLOW,
        "notice" | "info" | "debug" | "trace" => DIM,
        l if l.starts_with("trace") => DIM,
        _ => PLAIN,
    }
}

/// A time for a person: `2026-11-27 03:22:43.861+00:00` (the `T` a space,
/// at most milliseconds), or `03:22:43.861` when the window is narrow. A
/// value that is no RFC 3339 time is shown as it is.
fn short_time(ts: &str, narrow: bool) -> String {
    let Some((date, rest)) = ts.split_once('T') else { return ts.to_owned() };
    // The offset starts at the first Z, + or - after the time of day.
    let zone_at = rest.find(['Z', 'z', '+', '-']).unwrap_or(rest.len());
    let (clock, zone) = rest.split_at(zone_at);
    let clock = match clock.split_once('.') {
        Some((whole, frac)) => {
            let frac = frac.get(..3).unwrap_or(frac);
            Cow::Owned(format!("{whole}.{frac}"))
        }
        None => Cow::Borrowed(clock),
    };
    if narrow {
        clock.into_owned()
    } else {
        format!("{date} {clock}{zone}")
    }
}

/// A size in bytes: `615B`, `12.35kB`, `1.200MB` (powers of 1000).
fn size(bytes: f64) -> String {
    let (scale, unit) = match bytes.abs() {
        b if b >= 1e9 => (1e9, "GB"),
        b if b >= 1e6 => (1e6, "MB"),
        b if b >= 1e3 => (1e3, "kB"),
        _ => return format!("{bytes}B"),
    };
    format!("{}{unit}", term::number(bytes / scale))
}

/// A value as text: a string decoded, anything else as its JSON.
fn value_text(value: &[u8]) -> Cow<'_, str> {
    if value.first() == Some(&b'"') {
        flat::decode_str(value)
    } else {
        String::from_utf8_lossy(value)
    }
}

/// The fields of one record, read back from its JSON.
struct Record<'a> {
    fields: Vec<(Cow<'a, str>, &'a [u8])>,
}

impl<'a> Record<'a> {
    /// Reads a record a tool wrote; it is valid JSON by construction, and
    /// a field the scanner cannot read ends the list (never a panic).
    fn read(json: &'a [u8]) -> Record<'a> {
        let mut fields = Vec::new();
        if let Ok(mut scan) = Fields::new(json) {
            while let Ok(Some(field)) = scan.next() {
                let key = if field.key_escaped {
                    Cow::Owned(flat::decode_str(&[b"\"", field.key, b"\""].concat()).into_owned())
                } else {
                    String::from_utf8_lossy(field.key)
                };
                fields.push((key, field.value));
            }
        }
        Record { fields }
    }

    fn get(&self, name: &str) -> Option<&'a [u8]> {
        self.fields.iter().rev().find(|(k, _)| k == name).map(|(_, v)| *v)
    }

    fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// A field as text (strings decoded, other values as written).
    fn text(&self, name: &str) -> Option<Cow<'a, str>> {
        self.get(name).map(value_text)
    }

    /// A numeric field.
    fn number(&self, name: &str) -> Option<f64> {
        std::str::from_utf8(self.get(name)?).ok()?.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(json: &str, max: Option<usize>) -> String {
        let mut view = View::new(false);
        let mut out = String::new();
        view.line(json.as_bytes(), max).write(&mut out, false, max);
        out
    }

    #[test]
    fn hprobe_records_show_their_outcome() {
        let ts = r#""ts":"2026-11-27T03:22:43.123456+00:00","seq":1,"method":"GET","url":"http://h:8080/a","vhost":"h","path":"/a""#;
        let failed = format!(
            r#"{{{ts},"rt":2.0,"bytes":0,"err":"timeout","err_msg":"no complete response within 2s"}}"#
        );
        assert_eq!(
            shown(&failed, None),
            "2026-11-27 03:22:43.123+00:00 -   GET    /a 0B 2.000s h:8080 ! timeout: no complete response within 2s\n"
        );
        let cached = format!(
            r#"{{{ts},"status":200,"rt":0.001,"bytes":10,"retries":1,"redirects":1,"final_url":"http://h:8080/b","h_x_cache":"HIT","h_age":"3"}}"#
        );
        assert_eq!(
            shown(&cached, None),
            "2026-11-27 03:22:43.123+00:00 200 GET    /a 10B 1.000ms h:8080 retries=1 -> http://h:8080/b h_x_cache=HIT h_age=3\n"
        );
        let pair = |diff: &str| {
            format!(
                r#"{{{ts},"status":200,"rt":0.001,"bytes":10,"h_x_cache":"HIT","b_url":"http://m/a","b_status":404,"b_rt":0.002,"b_bytes":3,"b_h_x_cache":"MISS"{diff}}}"#
            )
        };
        assert_eq!(
            shown(&pair(r#","diff":"status,body""#), None),
            "2026-11-27 03:22:43.123+00:00 200 GET    /a 10B 1.000ms h:8080 h_x_cache=HIT base 404 2.000ms b_h_x_cache=MISS differs: status,body\n"
        );
        assert_eq!(
            shown(&pair(""), None),
            "2026-11-27 03:22:43.123+00:00 200 GET    /a 10B 1.000ms h:8080 h_x_cache=HIT base 404 2.000ms b_h_x_cache=MISS same\n"
        );
        let base_failed = format!(
            r#"{{{ts},"status":200,"rt":0.001,"bytes":10,"b_url":"http://m/a","b_rt":0.5,"b_bytes":0,"b_err":"connect","b_err_msg":"refused","diff":"err"}}"#
        );
        assert_eq!(
            shown(&base_failed, None),
            "2026-11-27 03:22:43.123+00:00 200 GET    /a 10B 1.000ms h:8080 base 500.0ms ! connect: refused differs: err\n"
        );
        // The host and port of the URL, without its user part.
        let masked = r#"{"seq":2,"method":"GET","url":"https://u:***@h.test/a?b","vhost":"h.test","path":"/a","status":200,"rt":0.001,"bytes":1}"#;
        assert_eq!(shown(masked, None), "200 GET    /a 1B 1.000ms h.test\n");
        // A header's value is data from the server: escaped like the rest.
        let hostile = format!(r#"{{{ts},"status":200,"rt":0.001,"bytes":1,"h_x":"a\u001b[2Jb"}}"#);
        let line = shown(&hostile, None);
        assert!(!line.contains('\u{1b}'), "{line:?}");
        assert!(line.ends_with(" h_x=a\\u{1b}[2Jb\n"), "{line:?}");
        // A value that is no UTF-8: its text once, not its base64 too.
        let bytes = format!(
            r#"{{{ts},"status":200,"rt":0.001,"bytes":1,"h_x":"a\ufffdb","h_x_b64":"Yf9i","b_url":"http://m/a","b_status":200,"b_h_x":"c\ufffd","b_h_x_b64":"Y/8="}}"#
        );
        assert_eq!(
            shown(&bytes, None),
            "2026-11-27 03:22:43.123+00:00 200 GET    /a 1B 1.000ms h:8080 h_x=a\u{fffd}b base 200 b_h_x=c\u{fffd} same\n"
        );
    }

    /// A parser's access record (JSON logs keep every field) is shown as
    /// before: its `err`, `diff` or `h_*` are no hprobe outcome.
    #[test]
    fn parsed_access_records_get_no_request_outcome() {
        let json = r#"{"ts":"2026-11-30T10:00:00+00:00","status":500,"method":"GET","path":"/x","err":"db down","diff":"x","b_err":"y","h_user":"bob","fmt":"json"}"#;
        assert_eq!(shown(json, None), "2026-11-30 10:00:00+00:00 500 GET    /x\n");
    }

    #[test]
    fn access_records_read_as_one_line() {
        let json = r#"{"ts":"2026-11-27T03:22:43.123456+00:00","client":"10.0.0.1","method":"GET","path":"/a","query":"x=1","proto":"HTTP/1.1","status":404,"bytes":1530,"rt":0.0123,"vhost":"example.com","fmt":"combined"}"#;
        assert_eq!(
            shown(json, None),
            "2026-11-27 03:22:43.123+00:00 404 GET    /a?x=1 1.530kB 12.30ms example.com 10.0.0.1\n"
        );
        assert_eq!(shown(json, Some(40)), "03:22:43.123 404 GET    /a?x=1 1.530kB…\n");
    }

    #[test]
    fn error_logs_lead_with_their_level() {
        let json = r#"{"ts":"2026-11-27T03:22:46+00:00","level":"error","pid":1,"msg":"open() failed","client":"10.0.0.2","method":"GET","path":"/x","fmt":"nginx_error"}"#;
        assert_eq!(
            shown(json, None),
            "2026-11-27 03:22:46+00:00 error  open() failed client 10.0.0.2\n"
        );
    }

    #[test]
    fn other_formats_show_their_fields() {
        let json = r#"{"ts":"2026-11-27T03:22:43+00:00","level":"warn","message":"slow","user":{"id":3},"ms":12,"fmt":"json"}"#;
        assert_eq!(
            shown(json, None),
            "2026-11-27 03:22:43+00:00 warn   slow user={\"id\":3} ms=12\n"
        );
    }

    #[test]
    fn failures_and_partials_say_why() {
        let bad = r#"{"src":"e.log","line":"garbage \u001b[2J","err":"expected [time]"}"#;
        assert_eq!(shown(bad, None), "! expected [time]: garbage \\u{1b}[2J\n");
        let partial = r#"{"ts":"2015-05-20T12:05:17+00:00","method":"GET","path":"/x","status":200,"bytes":235,"fmt":"combined","line":"…","partial":true,"err":"the line ends inside the user agent"}"#;
        assert_eq!(
            shown(partial, None),
            "2015-05-20 12:05:17+00:00 200 GET    /x 235B partial: the line ends inside the user agent\n"
        );
    }

    #[test]
    fn raw_lines_show_their_source() {
        let json = r#"{"src":"nginx/access.log","line":"10.0.0.1 - - \u001b[2J","truncated":true}"#;
        assert_eq!(shown(json, None), "nginx/access.log 10.0.0.1 - - \\u{1b}[2J (cut)\n");
    }

    #[test]
    fn a_record_of_fields_shown_apart_is_not_a_blank_line() {
        assert_eq!(shown(r#"{"src":"a.log","fmt":"json"}"#, None), "src=a.log fmt=json\n");
    }

    #[test]
    fn classes_and_levels_take_their_colours() {
        assert_eq!(status_style("200"), GREEN);
        assert_eq!(status_style("301"), CYAN);
        assert_eq!(status_style("404"), YELLOW);
        assert_eq!(status_style("503"), RED_BOLD);
        assert_eq!(level_style("ERROR"), RED);
        assert_eq!(level_style("trace3"), DIM);
    }
}
