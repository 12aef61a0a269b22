//! Finding the time of a raw log line without knowing its format, for
//! merging files in time order (`ltail --merge`) and, later, for lparse.
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
//! what the servers that wrote them used.

use jiff::civil::DateTime;
use jiff::tz::TimeZone;

/// How far into a line a timestamp is looked for.
const SEARCH: usize = 64;

/// The time of a log line, as nanoseconds since the Unix epoch.
pub fn line_time(line: &[u8], zone: &TimeZone) -> Option<i128> {
    let head = &line[..line.len().min(SEARCH + 40)];
    let limit = head.len().min(SEARCH);
    for i in 0..limit {
        let rest = &head[i..];
        let found = match rest[0] {
            b'[' => clf(&rest[1..]).or_else(|| apache_error(&rest[1..], zone)),
            b'0'..=b'9' if i == 0 || !head[i - 1].is_ascii_digit() => iso(rest, zone),
            b'A'..=b'Z' if i == 0 => syslog(rest, zone),
            _ => None,
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

fn num(s: &[u8], at: usize, len: usize) -> Option<i32> {
    let d = s.get(at..at + len)?;
    if !d.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(d.iter().fold(0i32, |n, &c| n * 10 + i32::from(c - b'0')))
}

/// Fractional seconds after a `.` or `,` at `at`: (nanoseconds, length).
fn fraction(s: &[u8], at: usize) -> (i32, usize) {
    if !matches!(s.get(at), Some(b'.' | b',')) {
        return (0, 0);
    }
    let digits = s[at + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 {
        return (0, 0);
    }
    let mut nanos = 0i32;
    for k in 0..9 {
        nanos = nanos * 10
            + s.get(at + 1 + k).filter(|_| k < digits).map_or(0, |c| i32::from(c - b'0'));
    }
    (nanos, digits + 1)
}

fn civil(y: i32, mo: i32, d: i32, h: i32, mi: i32, sec: i32, nanos: i32) -> Option<DateTime> {
    DateTime::new(
        i16::try_from(y).ok()?,
        i8::try_from(mo).ok()?,
        i8::try_from(d).ok()?,
        i8::try_from(h).ok()?,
        i8::try_from(mi).ok()?,
        i8::try_from(sec.min(59)).ok()?,
        nanos,
    )
    .ok()
}

fn at_offset(dt: DateTime, offset_secs: i32) -> Option<i128> {
    let offset = jiff::tz::Offset::from_seconds(offset_secs).ok()?;
    Some(offset.to_timestamp(dt).ok()?.as_nanosecond())
}

fn in_zone(dt: DateTime, zone: &TimeZone) -> Option<i128> {
    Some(zone.to_timestamp(dt).ok()?.as_nanosecond())
}

/// `+hhmm`, `+hh:mm`, `Z`: the offset in seconds and its length.
fn offset(s: &[u8]) -> Option<(i32, usize)> {
    match s.first()? {
        b'Z' | b'z' => Some((0, 1)),
        sign @ (b'+' | b'-') => {
            let h = num(s, 1, 2)?;
            let (m, len) =
                if s.get(3) == Some(&b':') { (num(s, 4, 2)?, 6) } else { (num(s, 3, 2)?, 5) };
            let secs = h * 3600 + m * 60;
            Some((if *sign == b'-' { -secs } else { secs }, len))
        }
        _ => None,
    }
}

/// `10/Oct/2000:13:55:36[.fff] -0700`
fn clf(s: &[u8]) -> Option<i128> {
    if s.get(2) != Some(&b'/') || s.get(6) != Some(&b'/') || s.get(11) != Some(&b':') {
        return None;
    }
    let d = num(s, 0, 2)?;
    let mo = i32::from(crate::time::month_number(s.get(3..6)?)?);
    let y = num(s, 7, 4)?;
    let (h, mi, sec) = (num(s, 12, 2)?, num(s, 15, 2)?, num(s, 18, 2)?);
    let (nanos, flen) = fraction(s, 20);
    let z = 20 + flen;
    if s.get(z) != Some(&b' ') {
        return None;
    }
    let (off, _) = offset(&s[z + 1..])?;
    at_offset(civil(y, mo, d, h, mi, sec, nanos)?, off)
}

/// `2026-11-27T03:22:43[.fff][zone]`, `2026-11-27 03:22:43,fff`, and nginx's
/// `2026/11/27 03:22:46`.
fn iso(s: &[u8], zone: &TimeZone) -> Option<i128> {
    let sep = *s.get(4)?;
    if !(sep == b'-' || sep == b'/')
        || s.get(7) != Some(&sep)
        || !matches!(s.get(10), Some(b'T' | b' '))
    {
        return None;
    }
    if s.get(13) != Some(&b':') || s.get(16) != Some(&b':') {
        return None;
    }
    let (y, mo, d) = (num(s, 0, 4)?, num(s, 5, 2)?, num(s, 8, 2)?);
    let (h, mi, sec) = (num(s, 11, 2)?, num(s, 14, 2)?, num(s, 17, 2)?);
    let (nanos, flen) = fraction(s, 19);
    let dt = civil(y, mo, d, h, mi, sec, nanos)?;
    match offset(&s[19 + flen..]) {
        Some((off, _)) if sep == b'-' => at_offset(dt, off),
        _ => in_zone(dt, zone),
    }
}

const DAYS: [&[u8; 3]; 7] = [b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun"];

/// `Fri Nov 27 03:22:46[.ffffff] 2026`
fn apache_error(s: &[u8], zone: &TimeZone) -> Option<i128> {
    if !DAYS.iter().any(|d| s.starts_with(*d)) || s.get(3) != Some(&b' ') {
        return None;
    }
    let mo = i32::from(crate::time::month_number(s.get(4..7)?)?);
    let d = num(s, 8, 2).or_else(|| if s.get(8) == Some(&b' ') { num(s, 9, 1) } else { None })?;
    let (h, mi, sec) = (num(s, 11, 2)?, num(s, 14, 2)?, num(s, 17, 2)?);
    let (nanos, flen) = fraction(s, 19);
    let y = num(s, 20 + flen, 4)?;
    in_zone(civil(y, mo, d, h, mi, sec, nanos)?, zone)
}

/// `Nov 27 03:22:46` at the start of a line: the year is this year's, or
/// last year's for a time that would otherwise be more than a day ahead
/// (December lines read in January).
fn syslog(s: &[u8], zone: &TimeZone) -> Option<i128> {
    let mo = i32::from(crate::time::month_number(s.get(0..3)?)?);
    if s.get(3) != Some(&b' ') {
        return None;
    }
    let d = num(s, 4, 2).or_else(|| if s.get(4) == Some(&b' ') { num(s, 5, 1) } else { None })?;
    if s.get(6) != Some(&b' ') || s.get(9) != Some(&b':') || s.get(12) != Some(&b':') {
        return None;
    }
    let (h, mi, sec) = (num(s, 7, 2)?, num(s, 10, 2)?, num(s, 13, 2)?);
    let now = jiff::Timestamp::now();
    let year = i32::from(zone.to_datetime(now).year());
    let t = in_zone(civil(year, mo, d, h, mi, sec, 0)?, zone)?;
    if t > now.as_nanosecond() + 86_400 * 1_000_000_000 {
        return in_zone(civil(year - 1, mo, d, h, mi, sec, 0)?, zone);
    }
    Some(t)
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
