//! journald's JSON export (`journalctl -o json`, also followed with
//! `journalctl -f -o json`): one object per entry, every value a string
//! (systemd's `docs/JOURNAL_EXPORT_FORMATS.md`), except:
//!
//! * a value that is not printable UTF-8 is an array of its byte values
//!   (`"MESSAGE":[104,105,13]`): decoded to those exact bytes, which the
//!   record keeps under the `_b64` rule;
//! * a value over 4,096 bytes is `null` unless journalctl ran with `--all`:
//!   the entry is kept, with the reason in `err`, and reported;
//! * a field given several times is an array of values: a `MESSAGE` so
//!   given is read as its values joined by `\n`.
//!
//! `MESSAGE` is parsed with the usual format detection. The entry's fields
//! go under the record format's names: `_HOSTNAME` → `host`,
//! `SYSLOG_IDENTIFIER` → `app`, `_PID` → `pid`, `_SYSTEMD_UNIT` → `unit`,
//! `PRIORITY` → `severity`, `SYSLOG_FACILITY` → `facility` (by name, as in
//! syslog records), `__REALTIME_TIMESTAMP` (µs since the epoch) →
//! `recv_ts`, which is `ts` when the message has no time of its own.

use crate::syslog::{FACILITIES, SEVERITIES};
use logkit_common::flat::{decode_str_into, Fields};
use logkit_common::record as f;

/// Whether `line` starts as journalctl writes an entry (its cursor or its
/// time first).
#[inline]
pub fn sniff(line: &[u8]) -> bool {
    line.starts_with(b"{\"__CURSOR\":") || line.starts_with(b"{\"__REALTIME_TIMESTAMP\":")
}

/// What an entry's `MESSAGE` was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message {
    /// Its bytes are in the message buffer.
    Bytes,
    /// `null`: journalctl left out a value over 4,096 bytes (no `--all`).
    Null,
    /// The entry has no `MESSAGE`.
    Missing,
}

/// An entry's time and fields.
pub struct Entry {
    /// `__REALTIME_TIMESTAMP` in RFC 3339 (UTC, µs).
    pub recv_ts: Option<String>,
    pub message: Message,
}

/// Reads an entry: its fields under the record format's names, as
/// `"name":value` pairs appended to `fields` after `src` (the record's
/// source fields), and its message into `message`. `None` when the line is
/// no JSON object with `__REALTIME_TIMESTAMP`: then it is a JSON log line.
pub fn parse(
    line: &[u8],
    src: &[u8],
    fields: &mut Vec<u8>,
    message: &mut Vec<u8>,
) -> Option<Entry> {
    let mut scan = Fields::new(line).ok()?;
    let (mut host, mut app, mut comm, mut unit) = (None, None, None, None);
    let (mut pid, mut syslog_pid, mut priority, mut facility) = (None, None, None, None);
    let mut realtime = None;
    let mut msg = None;
    while let Some(field) = scan.next().ok()? {
        let v = field.value;
        let text = v[0] == b'"';
        // Text fields may come as byte arrays too (not UTF-8, or with a
        // control character): decoded below, kept under the `_b64` rule.
        let bytes = text || v[0] == b'[';
        match field.key {
            b"MESSAGE" => msg = Some(v),
            b"__REALTIME_TIMESTAMP" if text => realtime = Some(&v[1..v.len() - 1]),
            b"_HOSTNAME" if bytes => host = Some(v),
            b"SYSLOG_IDENTIFIER" if bytes => app = Some(v),
            b"_COMM" if bytes => comm = Some(v),
            b"_SYSTEMD_UNIT" if bytes => unit = Some(v),
            b"_PID" if text => pid = Some(&v[1..v.len() - 1]),
            b"SYSLOG_PID" if text => syslog_pid = Some(&v[1..v.len() - 1]),
            b"PRIORITY" if text => priority = Some(&v[1..v.len() - 1]),
            b"SYSLOG_FACILITY" if text => facility = Some(&v[1..v.len() - 1]),
            _ => {}
        }
    }
    let recv_ts = realtime.and_then(micros_rfc3339);
    recv_ts.as_ref()?;
    fields.clear();
    fields.extend_from_slice(src);
    let mut decoded = Vec::new();
    let mut raw = |name: &str, value: &[u8]| {
        if !fields.is_empty() {
            fields.push(b',');
        }
        if value.first() == Some(&b'[') {
            // A byte array: its bytes, as text or in `NAME_b64`.
            decoded.clear();
            if value_bytes(value, &mut decoded).is_some() {
                let open = fields.len();
                let mut obj = logkit_common::json::Object::new(fields);
                obj.bytes(name, &decoded);
                obj.finish();
                // `{"name":…}` appended: the braces out, the pairs kept.
                fields.pop();
                fields.remove(open);
            } else if fields.last() == Some(&b',') {
                fields.pop();
            }
            return;
        }
        fields.push(b'"');
        fields.extend_from_slice(name.as_bytes());
        fields.extend_from_slice(b"\":");
        fields.extend_from_slice(value);
    };
    if let Some(h) = host {
        raw(f::HOST, h);
    }
    if let Some(a) = app.or(comm) {
        raw(f::APP, a);
    }
    // As a JSON number: `05025` is none; its value is.
    if let Some(p) = pid.or(syslog_pid).and_then(number) {
        raw(f::PID, p.to_string().as_bytes());
    }
    if let Some(u) = unit {
        raw(f::UNIT, u);
    }
    if let Some(s) = priority.and_then(number).and_then(|n| SEVERITIES.get(n)) {
        raw(f::SEVERITY, format!("\"{s}\"").as_bytes());
    }
    if let Some(s) = facility.and_then(number).and_then(|n| FACILITIES.get(n)) {
        raw(f::FACILITY, format!("\"{s}\"").as_bytes());
    }
    if let Some(t) = &recv_ts {
        raw(f::RECV_TS, format!("\"{t}\"").as_bytes());
    }
    message.clear();
    let message = match msg {
        None => Message::Missing,
        Some(b"null") => Message::Null,
        Some(v) => {
            value_bytes(v, message)?;
            Message::Bytes
        }
    };
    Some(Entry { recv_ts, message })
}

/// A decimal number without sign or spaces, of at most 9 digits.
fn number(s: &[u8]) -> Option<usize> {
    if s.is_empty() || s.len() > 9 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(s).ok()?.parse().ok()
}

/// Microseconds since the epoch as RFC 3339 (UTC).
fn micros_rfc3339(us: &[u8]) -> Option<String> {
    if us.is_empty() || us.len() > 18 || !us.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n: i64 = std::str::from_utf8(us).ok()?.parse().ok()?;
    let ts = jiff::Timestamp::from_microsecond(n).ok()?;
    Some(logkit_common::time::format_rfc3339_frac(ts, jiff::tz::Offset::UTC))
}

/// The bytes of a value: a string's text, a byte array's bytes, an array of
/// those joined by `\n`. `None` for anything else.
fn value_bytes(v: &[u8], out: &mut Vec<u8>) -> Option<()> {
    match v.first()? {
        b'"' => {
            let mut text = Vec::new();
            decode_str_into(v, &mut text);
            out.extend_from_slice(&text);
            Some(())
        }
        b'[' => {
            let items: Vec<serde_json::Value> = serde_json::from_slice(v).ok()?;
            if items.first().is_some_and(|i| i.is_number()) {
                for i in &items {
                    out.push(u8::try_from(i.as_u64()?).ok()?);
                }
                return Some(());
            }
            for (k, i) in items.iter().enumerate() {
                if k > 0 {
                    out.push(b'\n');
                }
                let one = serde_json::to_vec(i).ok()?;
                if one != b"null" {
                    value_bytes(&one, out)?;
                }
            }
            Some(())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(line: &str) -> Option<(String, Message, Vec<u8>)> {
        let (mut fields, mut msg) = (Vec::new(), Vec::new());
        let e = parse(line.as_bytes(), b"\"src\":\"j\"", &mut fields, &mut msg)?;
        Some((String::from_utf8(fields).unwrap(), e.message, msg))
    }

    #[test]
    fn an_entry_as_journalctl_writes_it() {
        let (fields, m, msg) = read(r#"{"__CURSOR":"s=1;i=2","__REALTIME_TIMESTAMP":"1439903275885223","__MONOTONIC_TIMESTAMP":"1","_BOOT_ID":"b","PRIORITY":"6","SYSLOG_FACILITY":"3","_HOSTNAME":"web1","SYSLOG_IDENTIFIER":"nginx","_PID":"10050","_SYSTEMD_UNIT":"nginx.service","MESSAGE":"hello \"you\""}"#).unwrap();
        assert_eq!(
            fields,
            r#""src":"j","host":"web1","app":"nginx","pid":10050,"unit":"nginx.service","severity":"info","facility":"daemon","recv_ts":"2015-08-18T13:07:55.885223+00:00""#
        );
        assert_eq!((m, msg.as_slice()), (Message::Bytes, &b"hello \"you\""[..]));
    }

    #[test]
    fn byte_arrays_null_and_repeated_fields() {
        let base = r#"{"__CURSOR":"c","__REALTIME_TIMESTAMP":"1","MESSAGE":"#;
        let (_, m, msg) = read(&format!("{base}[104,105,255,13]}}")).unwrap();
        assert_eq!((m, msg.as_slice()), (Message::Bytes, &b"hi\xff\r"[..]));
        let (_, m, _) = read(&format!("{base}null}}")).unwrap();
        assert_eq!(m, Message::Null);
        let (_, m, msg) = read(&format!("{base}[\"a\",[98]]}}")).unwrap();
        assert_eq!((m, msg.as_slice()), (Message::Bytes, &b"a\nb"[..]));
        assert!(read(&format!("{base}[300]}}")).is_none());
        assert_eq!(
            read(r#"{"__CURSOR":"c","__REALTIME_TIMESTAMP":"1"}"#).unwrap().1,
            Message::Missing
        );
        // A pid with a leading zero (found by the fuzzer) is written as a number.
        let (fields, _, _) =
            read(r#"{"__CURSOR":"c","__REALTIME_TIMESTAMP":"1","_PID":"05025"}"#).unwrap();
        assert!(fields.contains(r#""pid":5025"#), "{fields}");
        serde_json::from_str::<serde_json::Value>(&format!("{{{fields}}}")).unwrap();
        // Other text fields as byte arrays: their bytes, under the _b64
        // rule when they are no UTF-8.
        let (fields, _, _) = read(r#"{"__CURSOR":"c","__REALTIME_TIMESTAMP":"1","_HOSTNAME":[104,233],"SYSLOG_IDENTIFIER":[110,103,120],"_SYSTEMD_UNIT":[120,255],"MESSAGE":"hi"}"#).unwrap();
        let v: serde_json::Value = serde_json::from_str(&format!("{{{fields}}}")).unwrap();
        assert_eq!(v["app"], "ngx", "{fields}");
        assert_eq!(v["host_b64"], "aOk=", "{fields}");
        assert_eq!(v["unit_b64"], "eP8=", "{fields}");
        // No time: not journald's.
        assert!(read(r#"{"__CURSOR":"c","MESSAGE":"x"}"#).is_none());
    }
}
