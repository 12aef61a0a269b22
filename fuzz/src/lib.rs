//! Shared pieces of the fuzz targets: a fixed parsing context, and the
//! invariant every record must hold.

use logkit_common::json::Object;
use lparse::format::{Ctx, LogFormat};
use std::sync::OnceLock;

/// The `src` fields every record starts with, as lparse writes them.
pub const SRC_FIELDS: &[u8] = br#""src":"fuzz.log""#;

/// A zone with daylight saving time (gaps and folds), when the system's
/// time zone database has it; UTC otherwise.
pub fn zone() -> jiff::tz::TimeZone {
    static ZONE: OnceLock<jiff::tz::TimeZone> = OnceLock::new();
    ZONE.get_or_init(|| jiff::tz::TimeZone::get("Europe/Paris").unwrap_or(jiff::tz::TimeZone::UTC))
        .clone()
}

/// A parsing context as lparse builds it, but with a fixed "now" (syslog's
/// year inference depends on it) so that runs are reproducible.
pub fn ctx() -> Ctx {
    let mut ctx = Ctx::new(zone());
    // 2026-11-18T...Z
    ctx.now = jiff::Timestamp::from_second(1_795_000_000).expect("a valid time");
    ctx.source = b"fuzz.log".to_vec();
    ctx
}

/// Parses `line` with `format` as lparse does (`src` fields first), and when
/// it parses, checks the record. Returns the parser's result.
pub fn parse_and_check(
    format: &mut dyn LogFormat,
    line: &[u8],
    ctx: &mut Ctx,
) -> Result<(), &'static str> {
    let mut buf = Vec::new();
    let mut obj = Object::new(&mut buf);
    obj.raw_fields(SRC_FIELDS);
    let result = format.parse(line, &mut obj, ctx);
    if result.is_ok() {
        obj.finish();
    }
    if show_records() {
        match result {
            Ok(()) => eprintln!("{}: {}", format.name(), String::from_utf8_lossy(&buf)),
            Err(why) => eprintln!("{}: err {why:?}", format.name()),
        }
    }
    if result.is_ok() {
        check_record(&buf, format.name(), line);
    }
    result
}

/// The invariant of every record: one line of valid JSON, an object.
///
/// The judge is serde_json reading a `serde_json::Value` (UTF-8, escapes,
/// numbers; it also refuses lone surrogate escapes such as `\ud800` and
/// numbers beyond an f64, such as `1e400`, which the JSON grammar allows).
/// With `LOGKIT_FUZZ_LENIENT=1` in the environment, only the grammar of
/// RFC 8259 is required (serde_json skipping the value, plus UTF-8), so
/// that a run can look past those two known deviations.
pub fn check_record(record: &[u8], format: &str, line: &[u8]) {
    if let Err(e) = json_object(record) {
        panic!(
            "{format}: the record is not a valid JSON object: {e}\n  line:   {}\n  record: {}",
            show(line),
            show(record)
        );
    }
    // docs/records.md: `ts` is RFC 3339, read back by lcount with
    // `time::parse_rfc3339`. The `json` format keeps an application's own
    // `ts` when it is not a time, so it is not held to this.
    if format != "json" {
        if let Some(ts) = top_level(record, "ts") {
            let text = (ts.first() == Some(&b'"')).then(|| logkit_common::flat::decode_str(ts));
            assert!(
                text.as_deref().and_then(logkit_common::time::parse_rfc3339).is_some(),
                "{format}: ts {} is not an RFC 3339 time that parse_rfc3339 reads\n  line:   {}\n  record: {}",
                show(ts),
                show(line),
                show(record)
            );
        }
    }
    assert!(
        !record.contains(&b'\n'),
        "{format}: the record holds a raw newline (NDJSON needs one record per line)\n  line:   {}\n  record: {}",
        show(line),
        show(record)
    );
}

/// The raw value of the last top-level field `name` of a record, read with
/// the tools' own scanner.
fn top_level<'a>(record: &'a [u8], name: &str) -> Option<&'a [u8]> {
    let mut fields = logkit_common::flat::Fields::new(record).ok()?;
    let mut found = None;
    while let Ok(Some(f)) = fields.next() {
        if f.key_is(name) {
            found = Some(f.value);
        }
    }
    found
}

/// Whether `LOGKIT_FUZZ_SHOW=1` is set: [`parse_and_check`] then prints each
/// record (or the parser's reason) on stderr, to look at what an input gives.
pub fn show_records() -> bool {
    static SHOW: OnceLock<bool> = OnceLock::new();
    *SHOW.get_or_init(|| std::env::var_os("LOGKIT_FUZZ_SHOW").is_some_and(|v| v == "1"))
}

/// Whether `LOGKIT_FUZZ_LENIENT=1` is set (see [`check_record`]).
pub fn lenient() -> bool {
    static LENIENT: OnceLock<bool> = OnceLock::new();
    *LENIENT.get_or_init(|| std::env::var_os("LOGKIT_FUZZ_LENIENT").is_some_and(|v| v == "1"))
}

/// Checks that `json` is one JSON object, strictly or (in lenient mode) by
/// the grammar only.
pub fn json_object(json: &[u8]) -> Result<(), String> {
    json_value(json)?;
    if json.trim_ascii_start().first() != Some(&b'{') {
        return Err("not an object".into());
    }
    Ok(())
}

/// Checks that `json` is one JSON value, strictly or (in lenient mode) by
/// the grammar only.
pub fn json_value(json: &[u8]) -> Result<(), String> {
    if lenient() {
        std::str::from_utf8(json).map_err(|e| format!("not UTF-8: {e}"))?;
        serde_json::from_slice::<serde::de::IgnoredAny>(json).map_err(|e| e.to_string())?;
    } else {
        serde_json::from_slice::<serde_json::Value>(json).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Bytes as a Rust byte string literal, for messages.
pub fn show(bytes: &[u8]) -> String {
    let mut s = String::from("b\"");
    for &b in bytes {
        s.extend(std::ascii::escape_default(b).map(char::from));
    }
    s.push('"');
    s
}
