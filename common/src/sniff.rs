//! Finding the time of a raw log line without knowing its format, for
//! merging files in time order (`ltail --merge`).
//!
//! Recognised near the start of the line (within its first 64 bytes):
//!
//! | format | example | zone |
//! |---|---|---|
//! | Common Log Format | `[10/Oct/2000:13:55:36 -0700]` | its own |
//! | RFC 3339 / ISO 8601 | `2026-11-27T03:22:43.123+01:00`, `2026-11-27 03:22:43,123` | its own, else local |
//! | nginx error log | `2026/11/27 03:22:46` | local |
//! | Apache error log | `[Fri Nov 27 03:22:46.123456 2026]` | local |
//! | syslog (RFC 3164) | `Nov 27 03:22:46` | local, this year |
//!
//! Times without a zone are read in the local time zone (`TZ`), which is
//! what the servers that wrote them used. A syslog time is given the year
//! that puts it at most a day ahead of now.

use crate::time::layouts;
use crate::time::LogTime;
use jiff::tz::TimeZone;

/// How far into a line a timestamp is looked for.
const SEARCH: usize = 64;

/// The time of a log line, as nanoseconds since the Unix epoch; times
/// without an offset are read in `zone`. The layouts are parsed by
/// [`crate::time::layouts`]; this only finds where a time starts.
pub fn line_time(line: &[u8], zone: &TimeZone) -> Option<i128> {
    // A bound on what the layout parsers may scan (a fraction's digits).
    let head = &line[..line.len().min(SEARCH + 40)];
    let limit = head.len().min(SEARCH);
    for i in 0..limit {
        let rest = &head[i..];
        let found = match rest[0] {
            b'[' => first(&rest[1..], &[layouts::clf, layouts::apache_error]),
            b'0'..=b'9' if i == 0 || !head[i - 1].is_ascii_digit() => {
                first(rest, &[layouts::iso8601, layouts::nginx_error])
            }
            b'A'..=b'Z' if i == 0 => layouts::bsd_syslog(rest)
                .and_then(|(time, _)| time.in_year_near(jiff::Timestamp::now(), zone)),
            _ => None,
        };
        if let Some(time) = found {
            return time.to_timestamp(zone).map(|t| t.as_nanosecond());
        }
    }
    None
}

type Layout = fn(&[u8]) -> Option<(LogTime, usize)>;

/// The time read by the first of `layouts` that reads one at the start of
/// `s`.
fn first(s: &[u8], layouts: &[Layout]) -> Option<LogTime> {
    layouts.iter().find_map(|layout| layout(s)).map(|(time, _)| time)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(line: &str) -> Option<i128> {
        line_time(line.as_bytes(), &TimeZone::UTC)
    }

    fn secs(rfc3339: &str) -> i128 {
        rfc3339.parse::<jiff::Timestamp>().unwrap().as_nanosecond()
    }

    #[test]
    fn recognises_the_usual_formats() {
        assert_eq!(
            t(r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 1"#),
            Some(secs("2000-10-10T20:55:36Z"))
        );
        assert_eq!(
            t("2026-11-27T03:22:43.5+01:00 app started"),
            Some(secs("2026-11-27T02:22:43.5Z"))
        );
        assert_eq!(t("2026-11-27 03:22:43,250 INFO x"), Some(secs("2026-11-27T03:22:43.25Z")));
        assert_eq!(
            t("2026/11/27 03:22:46 [error] 1#1: *1 open()"),
            Some(secs("2026-11-27T03:22:46Z"))
        );
        assert_eq!(
            t("[Fri Nov 27 03:22:46.123456 2026] [core:info] [pid 1] AH00128"),
            Some(secs("2026-11-27T03:22:46.123456Z"))
        );
        assert_eq!(t("[Fri Nov  6 03:22:46 2026] [error] x"), Some(secs("2026-11-06T03:22:46Z")));
        assert_eq!(
            t("2026-11-27T03:22:46.123456789012+00:00 x"),
            Some(secs("2026-11-27T03:22:46.123456789Z"))
        );
        assert_eq!(
            t("[27/Nov/2026:03:22:46.123456789012 +0100] x"),
            Some(secs("2026-11-27T02:22:46.123456789Z"))
        );
        assert!(t("Nov 27 03:22:46 host sshd[1]: ok").is_some());
        assert!(t("Jan  2 03:22:46 host cron[1]: ok").is_some());
    }

    #[test]
    fn lines_without_a_time() {
        for line in [
            "",
            "    at com.example.Foo(Foo.java:12)",
            "Traceback (most recent call last):",
            "12345 items",
        ] {
            assert_eq!(t(line), None, "{line:?}");
        }
    }
}
