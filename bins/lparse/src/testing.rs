//! What the formats' unit tests share: running a format on a line, sample
//! lines, and generators of field values.

use crate::format::{Ctx, LogFormat};
use logkit_common::json::Object;
use proptest::strategy::Strategy;

/// The record `format` makes of `line` in `ctx` (its fields only, without
/// `src`), read back as JSON; or the format's reason for refusing the line.
///
/// # Panics
///
/// When the record is not valid JSON: that is what the tests look for.
pub fn record_in(
    format: &mut dyn LogFormat,
    line: &[u8],
    ctx: &mut Ctx,
) -> Result<serde_json::Value, &'static str> {
    let mut buf = Vec::new();
    let mut obj = Object::new(&mut buf);
    format.parse(line, &mut obj, ctx)?;
    obj.finish();
    assert_unique_keys(&buf);
    Ok(serde_json::from_slice(&buf).expect("valid JSON"))
}

/// Checks that a record holds each key once (serde_json would quietly keep
/// the last of two).
///
/// # Panics
///
/// When a key is there twice, or the record is not a JSON object.
pub fn assert_unique_keys(record: &[u8]) {
    let mut fields = logkit_common::flat::Fields::new(record).expect("a JSON object");
    let mut keys = std::collections::HashSet::new();
    while let Some(field) = fields.next().expect("a JSON object") {
        let key = logkit_common::flat::decode_str(&[b"\"", field.key, b"\""].concat()).into_owned();
        assert!(keys.insert(key.clone()), "{key} twice in {}", String::from_utf8_lossy(record));
    }
}

/// [`record_in`] with times read in UTC.
pub fn record(format: &mut dyn LogFormat, line: &[u8]) -> Result<serde_json::Value, &'static str> {
    record_in(format, line, &mut Ctx::new(jiff::tz::TimeZone::UTC))
}

/// The lines of the example error logs, Apache's then nginx's.
pub fn error_log_lines() -> Vec<&'static str> {
    include_str!("../../../examples/apache/error_log")
        .lines()
        .chain(include_str!("../../../examples/nginx/error.log").lines())
        .collect()
}

/// Any bytes, up to `max` of them.
pub fn any_line(max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(proptest::num::u8::ANY, 0..max)
}

/// A line of the example error logs cut anywhere and followed by bytes
/// that mean something in them.
pub fn cut_error_log_line() -> impl Strategy<Value = Vec<u8>> {
    let lines = error_log_lines();
    let tail = proptest::sample::select(b"[]():, \"\\*#x0123456789-/".to_vec());
    (proptest::sample::select(lines), 0usize..400, proptest::collection::vec(tail, 0..40)).prop_map(
        |(line, cut, tail)| {
            let mut bytes = line.as_bytes()[..cut.min(line.len())].to_vec();
            bytes.extend_from_slice(&tail);
            bytes
        },
    )
}

/// Lines that are in neither error log format.
pub const NOT_ERROR_LOG_LINES: [&str; 14] = [
    "",
    "garbage",
    "\u{0}\u{1}[",
    r#"127.0.0.1 - - [27/Nov/2026:03:22:43 +0000] "GET / HTTP/1.1" 200 615 "-" "curl/8.5.0""#,
    r#"{"time":"2026-11-27T03:22:43Z","msg":"x"}"#,
    "[Fri Nov 27 03:22:39 2026]",
    "[Fri Nov 27 03:22:39 2026] [bogus] x",
    "[Fri Nov 32 03:22:39 2026] [error] x",
    "[27/Nov/2026:03:22:43 +0000] [error] x",
    "2026/11/27 03:22:39 [bogus] 1#1: x",
    "2026/11/27 03:22:39 [error] 1: x",
    "2026/13/27 03:22:39 [error] 1#1: x",
    "2026/11/27 03:22:39",
    "Nov 27 03:22:39 host sshd[1]: x",
];

/// IPv4 and IPv6 addresses, as text.
pub fn ip() -> impl Strategy<Value = String> {
    proptest::prop_oneof![
        proptest::prelude::any::<[u8; 4]>().prop_map(|a| std::net::Ipv4Addr::from(a).to_string()),
        proptest::prelude::any::<u128>().prop_map(|a| std::net::Ipv6Addr::from(a).to_string()),
    ]
}
