//! JSON log lines: applications' structured logs and nginx's
//! `log_format ... escape=json`. They are records already: their fields go
//! through as they are, with three changes so that they read like every
//! other record:
//!
//! * the time, under `ts` or a usual name (`time`, `timestamp`,
//!   `@timestamp`, `time_iso8601`, `time_local`, `datetime`, `date`), becomes
//!   `ts` in RFC 3339 (epoch numbers in s, ms, µs or ns are read as UTC);
//! * nginx variable names get their canonical names and types
//!   (`remote_addr` → `client`, `"status":"404"` → `"status":404`, `request`
//!   → `method`/`path`/`query`/`proto`; see [`crate::vars`]);
//! * a `src` of the line's own is dropped (the record's `src` is where the
//!   line was read).

use crate::fields::json_number;
use crate::format::{Ctx, LogFormat};
use crate::vars::{self, Kind};
use jiff::tz::TimeZone;
use logkit_common::flat::{decode_str, Fields};
use logkit_common::json::Object;
use logkit_common::record as f;
use logkit_common::time::{format_rfc3339_frac, layouts};
use std::borrow::Cow;

/// JSON lines (the `json` format).
#[derive(Clone)]
pub struct JsonLog;

/// Names under which a line's time is looked for, in this order.
const TIME_KEYS: [&str; 8] =
    [f::TS, "time", "timestamp", "@timestamp", "time_iso8601", "time_local", "datetime", "date"];

impl LogFormat for JsonLog {
    fn name(&self) -> &str {
        "json"
    }

    fn free_names(&self) -> bool {
        true
    }

    fn parse(&mut self, line: &[u8], obj: &mut Object, ctx: &mut Ctx) -> Result<(), &'static str> {
        let trimmed = line.trim_ascii();
        if trimmed.first() != Some(&b'{') {
            return Err("not a JSON object");
        }
        let mut scan = Fields::new(trimmed).map_err(|_| "not a JSON object")?;
        let mut fields: Vec<(Cow<'_, str>, &[u8])> = Vec::new();
        while let Some(field) = scan.next().map_err(|_| "not a JSON object")? {
            let key = if field.key_escaped {
                Cow::Owned(decode_str(&[&b"\""[..], field.key, b"\""].concat()).into_owned())
            } else {
                String::from_utf8_lossy(field.key)
            };
            fields.push((key, field.value));
        }
        // A key given twice: the last wins, as in jq and lcount.
        let mut k = 0;
        while k < fields.len() {
            if fields[k + 1..].iter().any(|(key, _)| *key == fields[k].0) {
                fields.remove(k);
            } else {
                k += 1;
            }
        }
        let time_key = TIME_KEYS.iter().find(|k| fields.iter().any(|(key, _)| key == *k)).copied();
        let mut written: Vec<&'static str> = Vec::new();
        let mut time_done = false;
        for (key, value) in &fields {
            if key == f::SRC || key == f::SRC_B64 {
                continue;
            }
            if !time_done && Some(key.as_ref()) == time_key {
                if let Some(ts) = time_value(value, ctx) {
                    obj.str(f::TS, &ts);
                    written.push(f::TS);
                    time_done = true;
                    continue;
                }
            }
            // `$msec` stays a number: the line's time is found above.
            if let Some(kind) = vars::nginx(key).filter(|k| *k != Kind::Epoch) {
                if write_canonical(kind, value, obj, &mut written, ctx) {
                    continue;
                }
            }
            let raw: Cow<'_, [u8]> = match (vars::nginx_number(key), as_text(value)) {
                (true, Some(t)) if json_number(t.trim().as_bytes()) => {
                    Cow::Owned(t.trim().as_bytes().to_vec())
                }
                _ => Cow::Borrowed(value),
            };
            // The application's `err` is its own (lparse's comes only with
            // `line`); its `X_b64` fields are no twins lparse wrote.
            let name = match key.as_ref() {
                f::ERR => Cow::Borrowed(f::ERR),
                k if k.ends_with(f::B64_SUFFIX) => Cow::Borrowed(k),
                k => crate::fields::own_name(k),
            };
            obj.key_escaped(&name).extend_from_slice(&raw);
        }
        obj.str(f::FMT, "json");
        Ok(())
    }
}

/// A string value's text; `None` for other values.
fn as_text(value: &[u8]) -> Option<Cow<'_, str>> {
    (value.first() == Some(&b'"')).then(|| decode_str(value))
}

/// Writes a canonical field from a JSON value; `false` when the value does
/// not fit (it then goes through under its own name).
fn write_canonical(
    kind: Kind,
    value: &[u8],
    obj: &mut Object,
    written: &mut Vec<&'static str>,
    ctx: &mut Ctx,
) -> bool {
    let text: Cow<'_, str> = match as_text(value) {
        Some(t) => t,
        None if value.first().is_some_and(|b| b.is_ascii_digit() || *b == b'-') => {
            String::from_utf8_lossy(value)
        }
        None => return false,
    };
    vars::write(kind, text.as_bytes(), obj, written, ctx).is_ok()
}

/// A time value as RFC 3339: RFC 3339 or ISO 8601 text (with its offset,
/// else in the local zone), CLF text, or epoch seconds, ms, µs or ns.
fn time_value(value: &[u8], ctx: &Ctx) -> Option<String> {
    if let Some(text) = as_text(value) {
        return vars::time_from_text(&text, ctx);
    }
    // Epoch time: the unit is told by the magnitude.
    let stamp = layouts::epoch(value)?.to_stamp(&TimeZone::UTC)?;
    Some(format_rfc3339_frac(stamp.instant, stamp.offset))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<serde_json::Value, &'static str> {
        crate::testing::record(&mut JsonLog, line.as_bytes())
    }

    #[test]
    fn application_logs_keep_their_fields_and_gain_ts() {
        let r = parse(
            r#"{"time":"2026-11-27T03:22:43.5+01:00","level":"info","msg":"up","n":{"a":1}}"#,
        )
        .unwrap();
        assert_eq!(
            r,
            serde_json::json!({"ts":"2026-11-27T03:22:43.500+01:00","level":"info","msg":"up","n":{"a":1},"fmt":"json"})
        );
        let r = parse(r#"{"@timestamp":1795735363123,"msg":"x"}"#).unwrap();
        // `date -u -d @1795735363` is 2026-11-26 23:22:43.
        assert_eq!(r["ts"], "2026-11-26T23:22:43.123+00:00");
        let r = parse(r#"{"time":1795735363.25,"msg":"x"}"#).unwrap();
        assert_eq!(r["ts"], "2026-11-26T23:22:43.250+00:00");
        let r = parse(r#"{"timestamp":"2026-11-27 03:22:43","msg":"x","src":"theirs"}"#).unwrap();
        assert_eq!(r["ts"], "2026-11-27T03:22:43+00:00");
        assert!(r.get("src").is_none());
    }

    /// The record `Formats` writes of a JSON line (checked for keys given
    /// twice, which `Formats` resolves).
    fn written(line: &str) -> serde_json::Value {
        let mut formats = crate::format::Formats::new(vec![Box::new(JsonLog)]);
        let mut buf = Vec::new();
        let mut ctx = Ctx::new(TimeZone::UTC);
        formats.write_record(b"s", line.as_bytes(), b"", false, &mut buf, &mut ctx).unwrap();
        crate::testing::assert_unique_keys(buf.trim_ascii_end());
        serde_json::from_slice(&buf).unwrap()
    }

    #[test]
    fn every_record_has_each_key_once_and_the_last_wins() {
        assert_eq!(
            written(r#"{"status":404,"msg":"a","status":200}"#),
            serde_json::json!({"msg":"a","status":200,"fmt":"json"})
        );
        // A canonical name from an nginx variable and the same name as a key.
        assert_eq!(
            written(r#"{"client":"10.0.0.1","remote_addr":"10.0.0.2"}"#),
            serde_json::json!({"client":"10.0.0.2","fmt":"json"})
        );
        // Names lparse writes itself get a `_`; the application's err and
        // *_b64 fields are its own; its src is dropped.
        assert_eq!(
            written(
                r#"{"fmt":"x","truncated":false,"partial":1,"line":"42","err":"e","p_b64":"AA==","src":"a","src_b64":"YQ=="}"#
            ),
            serde_json::json!({"fmt_":"x","truncated_":false,"partial_":1,"line_":"42","err":"e","p_b64":"AA==","fmt":"json"})
        );
    }

    #[test]
    fn fractions_beyond_nanoseconds_are_cut_to_nine_digits() {
        // With an offset, and without one (read in UTC here).
        for time in ["2026-11-27T03:22:46.123456789012Z", "2026-11-27 03:22:46.123456789012"] {
            let r = parse(&format!(r#"{{"time":"{time}","msg":"x"}}"#)).unwrap();
            assert_eq!(
                r,
                serde_json::json!({"ts":"2026-11-27T03:22:46.123456789+00:00","msg":"x","fmt":"json"})
            );
        }
    }

    #[test]
    fn nginx_escape_json_logs_get_canonical_fields() {
        let line = r#"{"time_local":"27/Nov/2026:03:22:43 +0000","remote_addr":"10.0.0.1","remote_user":"","request":"GET /a?b=1 HTTP/1.1","status":"404","body_bytes_sent":"153","request_time":"0.004","http_referer":"-","http_user_agent":"curl/8","upstream_cache_status":"MISS","upstream_response_time":"0.003"}"#;
        let r = parse(line).unwrap();
        assert_eq!(
            r,
            serde_json::json!({"ts":"2026-11-27T03:22:43+00:00","client":"10.0.0.1","method":"GET","path":"/a",
                "query":"b=1","proto":"HTTP/1.1","status":404,"bytes":153,"rt":0.004,"ua":"curl/8",
                "upstream_cache_status":"MISS","upstream_rt":0.003,"fmt":"json"})
        );
    }

    #[test]
    fn numeric_strings_that_are_not_json_numbers_stay_strings() {
        for text in ["01", "-.001", "1.e5"] {
            let r = parse(&format!(r#"{{"upstream_header_time":"{text}"}}"#)).unwrap();
            assert_eq!(r["upstream_header_time"], text);
        }
        let r = parse(r#"{"upstream_header_time":"0.010"}"#).unwrap();
        assert_eq!(r["upstream_header_time"], 0.01);
    }

    #[test]
    fn what_is_not_a_json_object() {
        for bad in ["", "hello", "[1,2]", "{\"a\":", "{\"a\":1} x"] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
