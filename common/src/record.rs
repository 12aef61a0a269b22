//! The record format shared by the tools (documented in `docs/records.md`).
//!
//! One JSON object per line, UTF-8, `\n`-terminated, flat fields. The names
//! below are the contract between the tools, and the one place they are
//! spelled: hprobe's records use the same names as lparse's for the same
//! things, so `lcount --by status` works on either. They are grouped by the
//! records that carry them; each says its JSON type (and unit).
//! `docs/records.md` lists the same names (a test checks both ways).

use base64::Engine as _;

// Every record: where it came from and what became of it.

/// `src`: string, the file a line came from, as given on the command line.
pub const SRC: &str = "src";
/// `src_b64`: string, the exact bytes of `src` in base64 when the path is
/// not UTF-8 (the `_b64` rule).
pub const SRC_B64: &str = "src_b64";
/// `line`: string, a raw log line without its terminator (`\n` or `\r\n`).
pub const LINE: &str = "line";
/// `line_b64`: string, the exact bytes of `line` in base64 when the line is
/// not UTF-8 (the `_b64` rule).
pub const LINE_B64: &str = "line_b64";
/// Suffix of the field that holds the exact bytes, in base64, of a string
/// field whose bytes are not valid UTF-8 (`line` → `line_b64`); see
/// [`b64_name`] and [`decode_b64`].
pub const B64_SUFFIX: &str = "_b64";
/// `truncated`: `true`, present when a line was cut at the maximum line
/// length.
pub const TRUNCATED: &str = "truncated";
/// `partial`: `true`, present when lparse kept only the complete leading
/// fields of a line (or read it after junk bytes); `err` says why, and
/// `line` holds the whole line.
pub const PARTIAL: &str = "partial";
/// `err`: string, why a line could not be parsed (lparse), or why a request
/// got no complete response (hprobe: `timeout`, `connect`, ...).
pub const ERR: &str = "err";
/// `offset`: integer, with `ltail --offset`: the byte offset of the line's
/// first byte in its file (in the decompressed stream for a compressed
/// file); with `src` (and the fields `--add-field` adds) it names the line.
pub const OFFSET: &str = "offset";
/// `fmt`: string, the name of the format a line was parsed with.
pub const FMT: &str = "fmt";

// Requests: lparse's access-log records, in the order lparse writes them,
// and hprobe's records (`ts`, `method`, `proto`, `status`, `bytes`, `rt`).

/// `ts`: string, a time in RFC 3339 with its UTC offset (fractional
/// seconds when known).
pub const TS: &str = "ts";
/// `client`: string, the client's address (`$remote_addr`, `%h`).
pub const CLIENT: &str = "client";
/// `user`: string, the authenticated user (`$remote_user`, `%u`).
pub const USER: &str = "user";
/// `method`: string, the request method (`GET`).
pub const METHOD: &str = "method";
/// `path`: string, the request target without its query, percent-encoding
/// kept as sent.
pub const PATH: &str = "path";
/// `query`: string, the part of the target after `?`, without it.
pub const QUERY: &str = "query";
/// `proto`: string, the protocol (`HTTP/1.1`).
pub const PROTO: &str = "proto";
/// `request`: string, a request line that is not `METHOD TARGET PROTO`,
/// kept whole.
pub const REQUEST: &str = "request";
/// `status`: integer, the response's status code.
pub const STATUS: &str = "status";
/// `bytes`: integer, body bytes sent (lparse) or received (hprobe).
pub const BYTES: &str = "bytes";
/// `referer`: string, the `Referer` header.
pub const REFERER: &str = "referer";
/// `ua`: string, the `User-Agent` header.
pub const UA: &str = "ua";
/// `vhost`: string, the virtual host that served the request.
pub const VHOST: &str = "vhost";
/// `rt`: float, the response time in seconds.
pub const RT: &str = "rt";
/// `upstream_rt`: number, seconds the upstream took (nginx's
/// `$upstream_response_time` after a combined line).
pub const UPSTREAM_RT: &str = "upstream_rt";
/// `server_port`: integer, the port of the server that took the request
/// (nginx's `$server_port`, Apache's `%p`).
pub const SERVER_PORT: &str = "server_port";
/// `server_addr`: string, the address of the server that took the request
/// (nginx's `$server_addr`, Apache's `%A`).
pub const SERVER_ADDR: &str = "server_addr";

// Error logs (lparse's `apache_error` and `nginx_error`); `pid`, `host` and
// `msg` also in syslog records.

/// `level`: string, the message's level as the server names it (`error`).
pub const LEVEL: &str = "level";
/// `module`: string, the Apache module that wrote the message (`core`).
pub const MODULE: &str = "module";
/// `pid`: integer, the process id (text in syslog when not numeric).
pub const PID: &str = "pid";
/// `tid`: integer, the thread id.
pub const TID: &str = "tid";
/// `cid`: integer, nginx's connection number (`*3`).
pub const CID: &str = "cid";
/// `client_port`: integer, the client's port.
pub const CLIENT_PORT: &str = "client_port";
/// `remote`: string, the address of a backend peer (Apache's `[remote]`).
pub const REMOTE: &str = "remote";
/// `remote_port`: integer, the backend peer's port.
pub const REMOTE_PORT: &str = "remote_port";
/// `code`: string, Apache's message code (`AH00128`).
pub const CODE: &str = "code";
/// `msg`: string, the message text.
pub const MSG: &str = "msg";
/// `file`: string, the file a message names (`File does not exist: F`).
pub const FILE: &str = "file";
/// `errno`: integer, the error number of an APR status (`(13)...`).
pub const ERRNO: &str = "errno";
/// `errstr`: string, the text of an APR status (`Permission denied`).
pub const ERRSTR: &str = "errstr";
/// `source_file`: string, the server's source file (Apache debug levels).
pub const SOURCE_FILE: &str = "source_file";
/// `source_line`: integer, the line in `source_file`.
pub const SOURCE_LINE: &str = "source_line";
/// `server`: string, the nginx server name that handled the connection.
pub const SERVER: &str = "server";
/// `subrequest`: string, nginx's subrequest.
pub const SUBREQUEST: &str = "subrequest";
/// `upstream`: string, the upstream nginx was talking to.
pub const UPSTREAM: &str = "upstream";
/// `host`: string, the host that sent a syslog message.
pub const HOST: &str = "host";
/// `extra`: string, text a line holds that has no name here (an nginx
/// error log's trailer, fields after a combined line).
pub const EXTRA: &str = "extra";

// syslog (lparse's `syslog`), beside `host`, `pid` and `msg`.

/// `app`: string, the tag (program name).
pub const APP: &str = "app";
/// `facility`: string, the facility by name (`auth`, `local0`).
pub const FACILITY: &str = "facility";
/// `severity`: string, the severity by name (`err`, `info`).
pub const SEVERITY: &str = "severity";
/// `msgid`: string, RFC 5424's MSGID.
pub const MSGID: &str = "msgid";
/// `sd`: string, RFC 5424's structured data as written.
pub const SD: &str = "sd";

// Wrapped lines (lparse's Docker json-file, CRI and journald readers),
// beside `host`, `pid`, `app` and `severity`.

/// `stream`: string, the container stream a line was written to (`stdout`,
/// `stderr`), from a Docker json-file or CRI wrapper.
pub const STREAM: &str = "stream";
/// `recv_ts`: string, RFC 3339, when the wrapper received the line (Docker's
/// `time`, CRI's timestamp, journald's `__REALTIME_TIMESTAMP`); it is also
/// `ts` when the line inside has no time of its own.
pub const RECV_TS: &str = "recv_ts";
/// `unit`: string, the systemd unit that wrote a journald entry
/// (`_SYSTEMD_UNIT`).
pub const UNIT: &str = "unit";

// Application logs (lparse's `applog`), beside `ts`, `level`, `pid` and `msg`.

/// `logger`: string, the logger's name (log4j's `%logger`, Python's
/// `%(name)s`).
pub const LOGGER: &str = "logger";
/// `thread`: string, the thread's name (`[main]`).
pub const THREAD: &str = "thread";

// hprobe's records, beside the request fields and `err`.

/// `seq`: integer, the request's number, from 1.
pub const SEQ: &str = "seq";
/// `url`: string, the URL asked for.
pub const URL: &str = "url";
/// `err_msg`: string, the details of `err`, for a person.
pub const ERR_MSG: &str = "err_msg";
/// `dns_rt`: float, the name lookup in seconds.
pub const DNS_RT: &str = "dns_rt";
/// `connect_rt`: float, the TCP connect in seconds.
pub const CONNECT_RT: &str = "connect_rt";
/// `tls_rt`: float, the TLS handshake in seconds.
pub const TLS_RT: &str = "tls_rt";
/// `ttfb_rt`: float, seconds from `ts` to the response's head.
pub const TTFB_RT: &str = "ttfb_rt";
/// `lag_rt`: float, seconds a scheduled request started late.
pub const LAG_RT: &str = "lag_rt";
/// `redirects`: integer, redirects followed.
pub const REDIRECTS: &str = "redirects";
/// `final_url`: string, where the redirects led.
pub const FINAL_URL: &str = "final_url";
/// `retries`: integer, times a request was sent again on a new connection
/// after a kept-alive one closed under it (the server may have had it).
pub const RETRIES: &str = "retries";
/// `body_hash`: string, XXH3-64 of the response body, 16 hex digits.
pub const BODY_HASH: &str = "body_hash";
/// Prefix of a captured response header's field (`--capture-header
/// X-Cache` → `h_x_cache`: lower-case, `-` as `_`).
pub const CAPTURE_PREFIX: &str = "h_";
/// Prefix of the `--compare` base's fields (`b_status`, `b_h_x_cache`).
pub const COMPARE_PREFIX: &str = "b_";
/// `b_url`: string, with `--compare`, the URL asked of the base.
pub const B_URL: &str = "b_url";
/// `b_status`: integer, with `--compare`, the base's status.
pub const B_STATUS: &str = "b_status";
/// `b_rt`: float, with `--compare`, the base's response time in seconds.
pub const B_RT: &str = "b_rt";
/// `b_bytes`: integer, with `--compare`, the base's body bytes.
pub const B_BYTES: &str = "b_bytes";
/// `b_body_hash`: string, with `--compare`, the base's `body_hash`.
pub const B_BODY_HASH: &str = "b_body_hash";
/// `b_err`: string, with `--compare`, why the base gave no complete
/// response (the `err` values).
pub const B_ERR: &str = "b_err";
/// `b_err_msg`: string, with `--compare`, the details of `b_err`.
pub const B_ERR_MSG: &str = "b_err_msg";
/// `diff`: string, with `--compare`, what differed between the two
/// answers, comma-separated (`status`, `body`, `header:NAME`, `err`);
/// absent when nothing did.
pub const DIFF: &str = "diff";

// lcount's output records, beside `ts` and the `--by` fields.

/// `count`: integer, the records counted in a group.
pub const COUNT: &str = "count";
/// `count_last`: integer, in an `--interval` snapshot, the records counted
/// in a group since the previous snapshot.
pub const COUNT_LAST: &str = "count_last";
/// `rate`: float, in an `--interval` snapshot, `count_last` per second
/// since the previous snapshot.
pub const RATE: &str = "rate";
/// `window_start`: string, RFC 3339 (UTC), in an `--interval` snapshot, the
/// earliest `ts` of the records counted (null before any).
pub const WINDOW_START: &str = "window_start";
/// `window_end`: string, RFC 3339 (UTC), the latest `ts` of those records.
pub const WINDOW_END: &str = "window_end";
/// `final`: boolean, true in the last `--interval` snapshot.
pub const FINAL: &str = "final";

/// A field's type in the records: docs/records.md's "type" column, made
/// precise enough to choose a database column for it ([`crate::schema`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    /// A JSON string made by the tool (`fmt`, `err`, a URL).
    String,
    /// A JSON string holding bytes from the log: when they are not UTF-8,
    /// the field `NAME_b64` holds them exactly ([`b64_name`], the `_b64`
    /// rule).
    Bytes,
    /// A JSON string holding an RFC 3339 time with its UTC offset, to the
    /// microsecond at most as the tools write it.
    Time,
    /// A JSON integer.
    Integer,
    /// An HTTP status code: a JSON integer below 1000.
    Status,
    /// A JSON number (read as a double), in the field's unit.
    Number,
    /// `true`, the field being absent otherwise.
    Flag,
    /// `true` or `false`.
    Bool,
    /// An integer, or a string when the log held something else (syslog's
    /// `pid`).
    IntegerOrString,
    /// A number, or a string when the log held several (nginx's
    /// `$upstream_response_time` after a retry: `0.010, 0.003`).
    NumberOrString,
}

/// The records that carry a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Record {
    /// ltail's records (`src`, `line`...).
    Ltail,
    /// Every lparse record, whatever its format (`fmt`, `err`...).
    Lparse,
    /// lparse's access-log records (and custom formats').
    Access,
    /// lparse's `apache_error` and `nginx_error` records.
    ErrorLog,
    /// lparse's `syslog` records.
    Syslog,
    /// hprobe's records, one per request.
    Hprobe,
    /// lcount's output records.
    Lcount,
}

/// One field of the record format: its name (one of the constants above),
/// its [`Type`], its unit when it has one, and the records that carry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// The name, as written in records.
    pub name: &'static str,
    /// The JSON type of its values.
    pub ty: Type,
    /// The unit of a number (`s`, `bytes`, `1/s`), if it has one.
    pub unit: Option<&'static str>,
    /// The records that carry it (when it applies).
    pub records: &'static [Record],
}

const fn field(name: &'static str, ty: Type, records: &'static [Record]) -> Field {
    Field { name, ty, unit: None, records }
}

const fn measured(name: &'static str, ty: Type, unit: &'static str, r: &'static [Record]) -> Field {
    Field { name, ty, unit: Some(unit), records: r }
}

/// The records lparse writes, whatever the format.
pub const LPARSE_RECORDS: &[Record] =
    &[Record::Lparse, Record::Access, Record::ErrorLog, Record::Syslog];

/// Every field above, typed, in the order the tools write them (lparse's
/// first): the one table that schemas (`--print-schema`) are made from.
/// A test checks it against the constants and docs/records.md.
pub const FIELDS: &[Field] = {
    use Record::*;
    use Type::*;
    const LINES: &[Record] = &[Ltail, Lparse];
    const REQUESTS: &[Record] = &[Access, ErrorLog];
    &[
        field(SRC, Bytes, LINES),
        field(SRC_B64, String, LINES),
        measured(OFFSET, Integer, "bytes", LINES),
        field(TS, Time, &[Access, ErrorLog, Syslog, Hprobe, Lcount]),
        field(CLIENT, Bytes, REQUESTS),
        field(USER, Bytes, &[Access]),
        field(METHOD, Bytes, &[Access, ErrorLog, Hprobe]),
        field(PATH, Bytes, &[Access, ErrorLog, Hprobe]),
        field(QUERY, Bytes, &[Access, ErrorLog, Hprobe]),
        field(PROTO, Bytes, &[Access, ErrorLog, Hprobe]),
        field(REQUEST, Bytes, REQUESTS),
        field(STATUS, Status, &[Access, Hprobe]),
        measured(BYTES, Integer, "bytes", &[Access, Hprobe]),
        field(REFERER, Bytes, REQUESTS),
        field(UA, Bytes, &[Access]),
        field(VHOST, Bytes, &[Access, ErrorLog, Hprobe]),
        measured(RT, Number, "s", &[Access, Hprobe]),
        measured(UPSTREAM_RT, NumberOrString, "s", &[Access]),
        field(SERVER_PORT, Integer, &[Access]),
        field(SERVER_ADDR, Bytes, &[Access]),
        field(LEVEL, Bytes, &[ErrorLog]),
        field(MODULE, Bytes, &[ErrorLog]),
        field(PID, IntegerOrString, &[ErrorLog, Syslog]),
        field(TID, Integer, &[ErrorLog]),
        field(CID, Integer, &[ErrorLog]),
        field(CLIENT_PORT, Integer, &[ErrorLog]),
        field(REMOTE, Bytes, &[ErrorLog]),
        field(REMOTE_PORT, Integer, &[ErrorLog]),
        field(CODE, Bytes, &[ErrorLog]),
        field(MSG, Bytes, &[ErrorLog, Syslog]),
        field(FILE, Bytes, &[ErrorLog]),
        field(ERRNO, Integer, &[ErrorLog]),
        field(ERRSTR, Bytes, &[ErrorLog]),
        field(SOURCE_FILE, Bytes, &[ErrorLog]),
        field(SOURCE_LINE, Integer, &[ErrorLog]),
        field(SERVER, Bytes, &[ErrorLog]),
        field(SUBREQUEST, Bytes, &[ErrorLog]),
        field(UPSTREAM, Bytes, &[ErrorLog]),
        field(HOST, Bytes, &[Syslog]),
        field(APP, Bytes, &[Syslog]),
        field(FACILITY, String, &[Syslog]),
        field(SEVERITY, String, &[Syslog]),
        field(MSGID, Bytes, &[Syslog]),
        field(SD, Bytes, &[Syslog]),
        field(EXTRA, Bytes, REQUESTS),
        field(STREAM, String, &[Lparse]),
        field(RECV_TS, Time, &[Lparse]),
        field(UNIT, Bytes, &[Lparse]),
        field(LOGGER, Bytes, &[Lparse]),
        field(THREAD, Bytes, &[Lparse]),
        field(FMT, String, &[Lparse]),
        field(LINE, Bytes, LINES),
        field(LINE_B64, String, LINES),
        field(TRUNCATED, Flag, LINES),
        field(PARTIAL, Flag, &[Lparse]),
        field(ERR, String, &[Lparse, Hprobe]),
        field(SEQ, Integer, &[Hprobe]),
        field(URL, String, &[Hprobe]),
        field(ERR_MSG, String, &[Hprobe]),
        measured(DNS_RT, Number, "s", &[Hprobe]),
        measured(CONNECT_RT, Number, "s", &[Hprobe]),
        measured(TLS_RT, Number, "s", &[Hprobe]),
        measured(TTFB_RT, Number, "s", &[Hprobe]),
        measured(LAG_RT, Number, "s", &[Hprobe]),
        field(REDIRECTS, Integer, &[Hprobe]),
        field(FINAL_URL, String, &[Hprobe]),
        field(RETRIES, Integer, &[Hprobe]),
        field(BODY_HASH, String, &[Hprobe]),
        field(B_URL, String, &[Hprobe]),
        field(B_STATUS, Status, &[Hprobe]),
        measured(B_RT, Number, "s", &[Hprobe]),
        measured(B_BYTES, Integer, "bytes", &[Hprobe]),
        field(B_BODY_HASH, String, &[Hprobe]),
        field(B_ERR, String, &[Hprobe]),
        field(B_ERR_MSG, String, &[Hprobe]),
        field(DIFF, String, &[Hprobe]),
        field(COUNT, Integer, &[Lcount]),
        field(COUNT_LAST, Integer, &[Lcount]),
        measured(RATE, Number, "1/s", &[Lcount]),
        field(WINDOW_START, Time, &[Lcount]),
        field(WINDOW_END, Time, &[Lcount]),
        field(FINAL, Bool, &[Lcount]),
    ]
};

/// The fields that some of `records` carry, in [`FIELDS`]' order.
pub fn fields_of(records: &[Record]) -> impl Iterator<Item = &'static Field> + '_ {
    FIELDS.iter().filter(|f| f.records.iter().any(|r| records.contains(r)))
}

/// The field named `name`, if the table has it.
pub fn field_named(name: &str) -> Option<&'static Field> {
    FIELDS.iter().find(|f| f.name == name)
}

/// The name of the field that holds the exact bytes of the string field
/// `name` under the `_b64` rule (`path` → `path_b64`).
pub fn b64_name(name: &str) -> String {
    let mut b64 = String::with_capacity(name.len() + B64_SUFFIX.len());
    b64.push_str(name);
    b64.push_str(B64_SUFFIX);
    b64
}

/// Decodes the value of a `_b64` field (standard base64 with padding,
/// RFC 4648) into the exact bytes, appended to `out`.
///
/// # Errors
///
/// When the text is not valid base64.
pub fn decode_b64(text: &[u8], out: &mut Vec<u8>) -> Result<(), base64::DecodeError> {
    base64::engine::general_purpose::STANDARD.decode_vec(text, out)
}

/// Writes an ltail record, `{"src":…,"line":…}` plus `line_b64` when the
/// line is not UTF-8, followed by `\n`.
///
/// `src_fields` are the record's source fields as encoded once per input by
/// [`encode_src`], so that the path is not escaped again for every line.
pub fn write_line_record(out: &mut Vec<u8>, src_fields: &[u8], line: &[u8], truncated: bool) {
    write_line_record_at(out, src_fields, None, b"", line, truncated);
}

/// [`write_line_record`] with what names the line across restarts: its
/// byte `offset` in its file (`ltail --offset`) and `added`, fields given
/// once for the run (`ltail --add-field`, encoded by [`encode_added`]), in
/// this order: `src`, `src_b64`, `offset`, the added fields, `line`,
/// `line_b64`, `truncated`.
pub fn write_line_record_at(
    out: &mut Vec<u8>,
    src_fields: &[u8],
    offset: Option<u64>,
    added: &[u8],
    line: &[u8],
    truncated: bool,
) {
    let mut obj = crate::json::Object::new(out);
    obj.raw_fields(src_fields);
    if let Some(offset) = offset {
        obj.uint(OFFSET, offset);
    }
    obj.raw_fields(added);
    obj.bytes(LINE, line);
    if truncated {
        obj.raw(TRUNCATED, b"true");
    }
    obj.finish();
    out.push(b'\n');
}

/// The names ltail writes itself: `--add-field` cannot take them, and an
/// ltail record holds no other names but added ones (see [`LineRecord`]).
pub const LTAIL_NAMES: [&str; 6] = [SRC, SRC_B64, OFFSET, LINE, LINE_B64, TRUNCATED];

/// Names lparse writes with a meaning of its own on every kind of record
/// (the format, a failure, the times): `--add-field` cannot take them, as
/// a record would have them twice or of another type than its schema says.
pub const LPARSE_MARKS: [&str; 5] = [FMT, ERR, PARTIAL, TS, RECV_TS];

/// Encodes `ltail --add-field NAME=VALUE` pairs as record fields (string
/// values), to be written into every record.
///
/// # Errors
/// A name that is empty, holds anything but ASCII letters, digits, `_`,
/// `-` and `.`, is one of [`LTAIL_NAMES`] or [`LPARSE_MARKS`], ends in
/// `_b64`, or is given twice.
pub fn encode_added(fields: &[(String, String)]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut obj = crate::json::Object::new(&mut out);
    for (i, (name, value)) in fields.iter().enumerate() {
        if name.is_empty() {
            return Err("a field needs a name (NAME=VALUE)".into());
        }
        if !name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')) {
            // Debug's quoting escapes what could drive a terminal.
            return Err(format!(
                "{name:?}: a name is ASCII letters, digits, '_', '-' and '.' (a JSON key as it is)"
            ));
        }
        if LTAIL_NAMES.contains(&name.as_str()) || name.ends_with(B64_SUFFIX) {
            return Err(format!("{name:?} is a name ltail writes itself"));
        }
        if LPARSE_MARKS.contains(&name.as_str()) {
            return Err(format!(
                "{name:?} is a name lparse gives its own meaning (its records keep the added fields)"
            ));
        }
        if fields[..i].iter().any(|(n, _)| n == name) {
            return Err(format!("{name:?} is given twice"));
        }
        obj.str(name, value);
    }
    obj.finish();
    Ok(out[1..out.len() - 1].to_vec())
}

/// Encodes a source name as record fields: `"src":"…"`, plus `"src_b64":"…"`
/// when the name is not UTF-8 (the `_b64` rule of docs/records.md).
pub fn encode_src(src: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(src.len() + 10);
    let mut obj = crate::json::Object::new(&mut out);
    obj.bytes(SRC, src);
    obj.finish();
    out[1..out.len() - 1].to_vec()
}

/// The parts of an ltail record that a parser needs, as raw JSON values
/// borrowed from the input line (see [`crate::flat`]).
#[derive(Debug, Clone, Copy)]
pub struct LineRecord<'a> {
    /// The `src` string, quotes and escapes included: ready to be written
    /// into another record as it stands.
    pub src: Option<&'a [u8]>,
    /// The `src_b64` string (quotes included): the exact bytes of a
    /// source name that is not UTF-8.
    pub src_b64: Option<&'a [u8]>,
    /// The `line` string, quotes and escapes included.
    pub line: &'a [u8],
    /// The `line_b64` string (quotes included): the exact bytes of a line
    /// that is not UTF-8.
    pub line_b64: Option<&'a [u8]>,
    /// ltail cut the line at its maximum length.
    pub truncated: bool,
    /// The `offset` number (`ltail --offset`), as written.
    pub offset: Option<&'a [u8]>,
    /// The fields `ltail --add-field` added (string values), as written:
    /// `"host":"web1","dc":"par"`, or empty.
    pub added: &'a [u8],
}

impl<'a> LineRecord<'a> {
    /// Reads an ltail record from one NDJSON line (whitespace before it
    /// allowed). Returns `None` when the text is not ltail's record shape:
    /// a JSON object with a string `line` and no keys but ltail's (`src`,
    /// `src_b64`, `offset`, `line`, `line_b64`, `truncated`), except, in a
    /// record that starts with `src` as ltail writes it, the string fields
    /// of `ltail --add-field`, one after the other before `line`. Any other
    /// object, such as an application's JSON log line with a field named
    /// `line`, is a log line of its own. A key given twice: the last wins,
    /// as in jq.
    pub fn parse(json: &'a [u8]) -> Option<LineRecord<'a>> {
        let json = json.trim_ascii_start();
        if json.first() != Some(&b'{') {
            return None;
        }
        let mut fields = crate::flat::Fields::new(json).ok()?;
        let (mut src, mut src_b64, mut line, mut line_b64) = (None, None, None, None);
        let (mut truncated, mut offset) = (false, None);
        // The added fields: where they start and end in `json`, and
        // whether the field before was one of them.
        let (mut added, mut in_added, mut starts_with_src) = (None::<(usize, usize)>, false, None);
        let at = |part: &[u8]| part.as_ptr() as usize - json.as_ptr() as usize;
        while let Some(f) = fields.next().ok()? {
            let is_str = f.value[0] == b'"';
            let was_added = std::mem::take(&mut in_added);
            starts_with_src.get_or_insert(f.key_is(SRC));
            if f.key_is(SRC) && is_str {
                src = Some(f.value);
            } else if f.key_is(LINE) && is_str {
                line = Some(f.value);
            } else if f.key_is(LINE_B64) && is_str {
                line_b64 = Some(f.value);
            } else if f.key_is(SRC_B64) && is_str {
                src_b64 = Some(f.value);
            } else if f.key_is(TRUNCATED) && (f.value == b"true" || f.value == b"false") {
                truncated = f.value == b"true";
            } else if f.key_is(OFFSET) && f.value.iter().all(u8::is_ascii_digit) {
                offset = Some(f.value);
            } else if is_str
                && starts_with_src == Some(true)
                && line.is_none()
                && !LTAIL_NAMES.iter().any(|name| f.key_is(name))
            {
                let (start, end) = (at(f.key) - 1, at(f.value) + f.value.len());
                added = match added {
                    None => Some((start, end)),
                    Some((first, _)) if was_added => Some((first, end)),
                    Some(_) => return None,
                };
                in_added = true;
            } else {
                return None;
            }
        }
        let added = added.map_or(&b""[..], |(start, end)| &json[start..end]);
        Some(LineRecord { src, src_b64, line: line?, line_b64, truncated, offset, added })
    }

    /// [`LineRecord::parse`] and [`LineRecord::line_bytes`] at once: the
    /// record, and whether its line's exact bytes went into `buf` (`Err`
    /// when its `line_b64` is not base64).
    ///
    /// The shape ltail writes with its defaults and `--offset`
    /// (`{"src":…,"offset":…,"line":…,"truncated":…}`, no blanks, the last
    /// two optional) is read in one pass, its line validated and decoded
    /// together ([`crate::flat::decode_string`]); anything else goes the
    /// general way. The result is the same either way (a property test
    /// holds the two equal, on damaged records too).
    pub fn parse_into(
        json: &'a [u8],
        buf: &mut Vec<u8>,
    ) -> Option<(LineRecord<'a>, Result<(), base64::DecodeError>)> {
        if let Some(rec) = Self::parse_ltail_shape(json, buf) {
            return Some((rec, Ok(())));
        }
        let rec = Self::parse(json)?;
        let decoded = rec.line_bytes(buf).map(|_| ());
        Some((rec, decoded))
    }

    /// ltail's own record shape, exactly, or `None` (then the general
    /// parse decides). Its line is decoded into `buf`.
    fn parse_ltail_shape(json: &'a [u8], buf: &mut Vec<u8>) -> Option<LineRecord<'a>> {
        let json = json.trim_ascii_start();
        let mut i = b"{\"src\":".len();
        if !json.starts_with(b"{\"src\":\"") {
            return None;
        }
        buf.clear();
        let end = crate::flat::decode_string(json, i, buf).ok()?;
        let src = &json[i..end];
        i = end;
        let mut offset = None;
        if json[i..].starts_with(b",\"offset\":") {
            i += b",\"offset\":".len();
            let digits = json[i..].iter().take_while(|b| b.is_ascii_digit()).count();
            // JSON's grammar: no leading zero.
            if digits == 0 || (digits > 1 && json[i] == b'0') {
                return None;
            }
            offset = Some(&json[i..i + digits]);
            i += digits;
        }
        let line_key = b",\"line\":\"";
        if !json[i..].starts_with(line_key) {
            return None;
        }
        i += line_key.len() - 1;
        buf.clear();
        let end = crate::flat::decode_string(json, i, buf).ok()?;
        let line = &json[i..end];
        i = end;
        let mut truncated = false;
        for (text, value) in [(&b",\"truncated\":true"[..], true), (b",\"truncated\":false", false)]
        {
            if json[i..].starts_with(text) {
                truncated = value;
                i += text.len();
                break;
            }
        }
        if json.get(i) != Some(&b'}') || crate::flat::skip_ws(json, i + 1) != json.len() {
            return None;
        }
        Some(LineRecord {
            src: Some(src),
            src_b64: None,
            line,
            line_b64: None,
            truncated,
            offset,
            added: b"",
        })
    }

    /// The exact bytes of the line, decoded into `buf`: from `line_b64` when
    /// present, else the UTF-8 text of `line`.
    pub fn line_bytes<'b>(&self, buf: &'b mut Vec<u8>) -> Result<&'b [u8], base64::DecodeError> {
        match self.line_b64 {
            Some(b64) => {
                buf.clear();
                decode_b64(&b64[1..b64.len() - 1], buf)?;
            }
            None => crate::flat::decode_str_into(self.line, buf),
        }
        Ok(buf)
    }

    /// The record's source fields (`src`, and `src_b64` if present), as
    /// `"name":value` pairs ready to be copied into another record.
    pub fn src_fields(&self, out: &mut Vec<u8>) {
        out.clear();
        if let Some(src) = self.src {
            raw_field(out, SRC, src);
            if let Some(b64) = self.src_b64 {
                out.push(b',');
                raw_field(out, SRC_B64, b64);
            }
        }
    }

    /// The fields that name the line and go on into every record made of
    /// it: the source fields, then `offset` and the added fields when the
    /// record has them.
    pub fn carried_fields(&self, out: &mut Vec<u8>) {
        self.src_fields(out);
        if let Some(offset) = self.offset {
            if !out.is_empty() {
                out.push(b',');
            }
            raw_field(out, OFFSET, offset);
        }
        if !self.added.is_empty() {
            if !out.is_empty() {
                out.push(b',');
            }
            out.extend_from_slice(self.added);
        }
    }

    /// The source as text, for messages.
    pub fn src_text(&self) -> Option<std::borrow::Cow<'a, str>> {
        self.src.map(crate::flat::decode_str)
    }
}

/// Appends `"name":value`, the value being JSON text already.
fn raw_field(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    out.push(b'"');
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\":");
    out.extend_from_slice(value);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names this module declares, read from its source: `(NAME, value)`.
    fn declared() -> Vec<(&'static str, &'static str)> {
        include_str!("record.rs")
            .lines()
            .filter_map(|l| l.strip_prefix("pub const ")?.split_once(": &str = \""))
            .map(|(name, rest)| (name, rest.trim_end_matches("\";")))
            .collect()
    }

    #[test]
    fn docs_list_every_name_and_every_name_is_declared() {
        let docs = include_str!("../../docs/records.md");
        let names = declared();
        assert!(names.len() >= 50, "the source reading found only {} names", names.len());
        for (name, value) in &names {
            assert!(
                docs.contains(&format!("`{value}`")),
                "{name} (`{value}`) is not in docs/records.md"
            );
        }
        // Every field of the docs' tables (their first column) is declared.
        let values: Vec<&str> = names.iter().map(|(_, v)| *v).collect();
        let mut rows = 0;
        for row in docs.lines().filter(|l| l.starts_with("| `")) {
            let field = row[3..].split('`').next().unwrap_or_default();
            assert!(values.contains(&field), "docs/records.md's `{field}` has no constant");
            rows += 1;
        }
        assert!(rows > 50, "only {rows} table rows found in docs/records.md");
    }

    #[test]
    fn every_name_has_a_typed_entry_and_the_docs_agree_with_its_type() {
        let docs = include_str!("../../docs/records.md");
        // Each constant that names a field (not the `_b64` suffix, nor the
        // `h_` and `b_` prefixes of hprobe's fields) is in the table, once.
        let named = |v: &&str| !v.starts_with('_') && !v.ends_with('_');
        for (name, value) in declared().into_iter().filter(|(_, v)| named(v)) {
            let entries = FIELDS.iter().filter(|f| f.name == value).count();
            assert_eq!(entries, 1, "{name} (`{value}`) has {entries} entries in FIELDS");
        }
        let values: Vec<&str> = declared().into_iter().map(|(_, v)| v).collect();
        for f in FIELDS {
            assert!(values.contains(&f.name), "FIELDS names `{}`, which has no constant", f.name);
            assert!(
                docs.contains(&format!("`{}`", f.name)),
                "`{}` is not in docs/records.md",
                f.name
            );
            assert!(!f.records.is_empty(), "`{}` is carried by no record", f.name);
        }
        // Where a docs table gives the field's type, it is the table's.
        let mut checked = 0;
        let mut typed = false;
        for row in docs.lines().filter(|l| l.starts_with('|')) {
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            if !row.starts_with("| `") {
                // A table's header (or its rule): does it give types?
                typed = cells[2] == "type" || (typed && cells[2].starts_with("---"));
                continue;
            }
            let Some(f) = field_named(cells[1].trim_matches('`')).filter(|_| typed) else {
                continue;
            };
            let documented = match f.ty {
                Type::String | Type::Bytes | Type::Time => "string",
                Type::Integer | Type::Status | Type::IntegerOrString => "integer",
                Type::Number | Type::NumberOrString => "number",
                Type::Flag => "`true`",
                Type::Bool => "boolean",
            };
            assert_eq!(cells[2], documented, "docs/records.md: {row}");
            checked += 1;
        }
        assert!(checked > 60, "only {checked} typed rows checked");
    }

    #[test]
    fn the_tools_fields() {
        let lparse: Vec<&str> = fields_of(LPARSE_RECORDS).map(|f| f.name).collect();
        assert!(
            lparse.starts_with(&[SRC, SRC_B64, OFFSET, TS, CLIENT, USER, METHOD]),
            "{lparse:?}"
        );
        for name in [RT, STATUS, MSG, APP, PID, FMT, LINE, ERR, PARTIAL] {
            assert!(lparse.contains(&name), "{name}");
        }
        for name in [SEQ, URL, COUNT] {
            assert!(!lparse.contains(&name), "{name}");
        }
        let hprobe: Vec<&str> = fields_of(&[Record::Hprobe]).map(|f| f.name).collect();
        assert_eq!(hprobe.len(), 30, "{hprobe:?}");
        assert_eq!(field_named(RT).unwrap().unit, Some("s"));
    }

    #[test]
    fn b64_names_and_values() {
        assert_eq!(b64_name(PATH), "path_b64");
        assert_eq!(b64_name(LINE), LINE_B64);
        let mut out = b"x".to_vec();
        decode_b64(b"L/8=", &mut out).unwrap();
        assert_eq!(out, b"x/\xff");
        assert!(decode_b64(b"L/8", &mut out).is_err());
    }

    fn roundtrip(line: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        write_line_record(&mut out, &encode_src(b"a.log"), line, false);
        assert_eq!(out.last(), Some(&b'\n'));
        let rec = LineRecord::parse(&out[..out.len() - 1]).expect("record parses");
        assert_eq!(rec.src_text().as_deref(), Some("a.log"));
        let mut buf = Vec::new();
        rec.line_bytes(&mut buf).unwrap().to_vec()
    }

    #[test]
    fn utf8_lines_have_no_b64() {
        let mut out = Vec::new();
        write_line_record(&mut out, &encode_src(b"x"), "é \"q\" \\ \t".as_bytes(), false);
        let s = String::from_utf8(out).unwrap();
        assert_eq!(s, "{\"src\":\"x\",\"line\":\"é \\\"q\\\" \\\\ \\t\"}\n");
    }

    #[test]
    fn a_source_that_is_not_utf8_keeps_its_bytes() {
        let mut out = Vec::new();
        write_line_record(&mut out, &encode_src(b"we\xffird.log"), b"x", false);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["src"], "we\u{fffd}ird.log");
        assert_eq!(v["src_b64"], "d2X/aXJkLmxvZw==");
        let rec = LineRecord::parse(&out[..out.len() - 1]).unwrap();
        let mut fields = Vec::new();
        rec.src_fields(&mut fields);
        assert_eq!(fields, encode_src(b"we\xffird.log"));
    }

    #[test]
    fn invalid_utf8_roundtrips_exactly() {
        let line = b"GET /\xff\xfe\x00 \xc3( end";
        assert_eq!(roundtrip(line), line);
        let mut out = Vec::new();
        write_line_record(&mut out, &encode_src(b"x"), line, true);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert!(v["line"].as_str().unwrap().contains('\u{fffd}'));
        assert_eq!(v["truncated"], true);
    }

    #[test]
    fn only_ltail_s_own_shape_is_an_ltail_record() {
        fn line(json: &str) -> Option<&[u8]> {
            LineRecord::parse(json.as_bytes()).map(|r| r.line)
        }
        assert_eq!(line(r#"{"src":"a","line":"x","truncated":true}"#), Some(&br#""x""#[..]));
        assert_eq!(line(" \t{\"line\":\"x\"}"), Some(&br#""x""#[..]));
        assert_eq!(line(r#"{"line":"x","line":"y"}"#), Some(&br#""y""#[..]));
        for not in [
            r#"{"time":"2026-11-30T07:00:00Z","level":"warn","line":"42","msg":"disk slow"}"#,
            r#"{"src":"a","line":"x","status":200}"#,
            r#"{"line":42}"#,
            r#"{"line":"x","truncated":"yes"}"#,
            r#"{"src":"a"}"#,
            "x {\"line\":\"x\"}",
        ] {
            assert!(LineRecord::parse(not.as_bytes()).is_none(), "{not}");
        }
    }

    #[test]
    fn offsets_and_added_fields_go_on_with_the_line() {
        let added = encode_added(&[("host".into(), "web\"1".into()), ("dc".into(), "par".into())]);
        let added = added.unwrap();
        assert_eq!(added, br#""host":"web\"1","dc":"par""#);
        let mut out = Vec::new();
        write_line_record_at(&mut out, &encode_src(b"a.log"), Some(1234), &added, b"GET /", true);
        assert_eq!(
            String::from_utf8_lossy(&out),
            "{\"src\":\"a.log\",\"offset\":1234,\"host\":\"web\\\"1\",\"dc\":\"par\",\"line\":\"GET /\",\"truncated\":true}\n"
        );
        let rec = LineRecord::parse(&out[..out.len() - 1]).expect("ltail's record");
        assert_eq!(rec.offset, Some(&b"1234"[..]));
        assert_eq!(rec.added, &added[..]);
        let mut carried = Vec::new();
        rec.carried_fields(&mut carried);
        assert_eq!(carried, [&encode_src(b"a.log")[..], b",\"offset\":1234,", &added].concat());
        let mut src = Vec::new();
        rec.src_fields(&mut src);
        assert_eq!(src, encode_src(b"a.log"));
        // Added fields only where ltail puts them: after `src` first, in a
        // row, before `line`, with string values.
        for not in [
            r#"{"host":"a","src":"a","line":"x"}"#,
            r#"{"src":"a","host":"a","offset":1,"dc":"b","line":"x"}"#,
            r#"{"src":"a","line":"x","host":"a"}"#,
            r#"{"src":"a","n":1,"line":"x"}"#,
            r#"{"src":"a","offset":-1,"line":"x"}"#,
            r#"{"src":"a","offset":"1","line":"x"}"#,
        ] {
            assert!(LineRecord::parse(not.as_bytes()).is_none(), "{not}");
        }
        // ltail's names, lparse's marks, and what is no plain JSON key (a
        // quote, a backslash, a control byte: once a panic).
        let marks = ["err", "partial", "fmt", "ts", "recv_ts"];
        let odd = ["h\"x", "h\\x", "h\u{1b}", "h\nx", "h x", "été"];
        for bad in ["", "src", "offset", "line", "x_b64"].into_iter().chain(marks).chain(odd) {
            assert!(encode_added(&[(bad.into(), "v".into())]).is_err(), "{bad}");
        }
        assert!(encode_added(&[("a".into(), "1".into()), ("a".into(), "2".into())]).is_err());
        assert!(encode_added(&[("k8s.pod-name_2".into(), "v".into())]).is_ok());
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_roundtrip(line in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            proptest::prop_assert_eq!(roundtrip(&line), line);
        }
    }

    proptest::proptest! {
        /// ltail's shape read in one pass gives what the general parse and
        /// decode give, on records as ltail writes them and on damaged or
        /// reshaped ones.
        #[test]
        fn one_pass_reads_as_the_general_parse(
            src in "(?s).{0,24}",
            // Quotes and backslashes often, as in a log line, on both sides
            // of the 16-byte blocks the reader takes.
            line in proptest::prop_oneof!["(?s).{0,80}", "[\"\\\\ a-z\u{e9}\u{1}]{0,80}"],
            offset in proptest::option::of(proptest::prop_oneof!["[0-9]{1,4}", "-1|1.5|01|1e3"]),
            truncated in proptest::option::of("true|false|1"),
            slash in proptest::bool::ANY,
            cut in proptest::option::of(0usize..200),
            flip in proptest::option::of((0usize..120, proptest::prop_oneof![
                proptest::sample::select(vec![0x1f, 0, b'"', b'\\', b'/', b'u', 0x7f, 0x80, 0xc3, 0xed, 0xff]),
                proptest::num::u8::ANY,
            ])),
            tail in " {0,2}|x|,|\\},\\{",
        ) {
            let str_json = |s: &str| {
                let j = serde_json::to_string(s).unwrap();
                if slash { j.replace('/', "\\/").replace('é', "\\u00e9") } else { j }
            };
            let mut json = format!("{{\"src\":{}", str_json(&src));
            if let Some(o) = &offset {
                json += &format!(",\"offset\":{o}");
            }
            json += &format!(",\"line\":{}", str_json(&line));
            if let Some(t) = &truncated {
                json += &format!(",\"truncated\":{t}");
            }
            json += "}";
            json += &tail;
            let mut bytes = json.into_bytes();
            if let Some(c) = cut {
                bytes.truncate(c.min(bytes.len()));
            }
            if let Some((at, b)) = flip {
                if at < bytes.len() {
                    bytes[at] = b;
                }
            }
            let mut got_buf = b"junk".to_vec();
            let got = LineRecord::parse_into(&bytes, &mut got_buf);
            let want = LineRecord::parse(&bytes).map(|r| {
                let mut buf = Vec::new();
                let decoded = r.line_bytes(&mut buf).map(|_| ()).map_err(|_| ());
                (r, decoded, buf)
            });
            match (got, want) {
                (None, None) => {}
                (Some((g, gd)), Some((w, wd, wbuf))) => {
                    proptest::prop_assert_eq!(format!("{g:?}"), format!("{w:?}"));
                    proptest::prop_assert_eq!(gd.map_err(|_| ()), wd);
                    if wd.is_ok() {
                        proptest::prop_assert_eq!(got_buf, wbuf);
                    }
                }
                (g, w) => proptest::prop_assert!(false, "{:?} against {:?}", g.map(|x| x.0), w.map(|x| x.0)),
            }
        }
    }
}
