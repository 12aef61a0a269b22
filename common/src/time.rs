//! Timestamps. Records carry RFC 3339 times with the log's own UTC offset,
//! so converting a log's time is mostly a matter of reordering its digits:
//! no time zone database and no arithmetic are needed, which keeps it fast
//! and exact.

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// The month number (1–12) of an English three-letter month name.
pub fn month_number(name: &[u8]) -> Option<u8> {
    MONTHS.iter().position(|m| m.eq_ignore_ascii_case(name)).map(|i| i as u8 + 1)
}

fn digits<const N: usize>(s: &[u8]) -> Option<u32> {
    if s.len() != N || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0, |n, &d| n * 10 + u32::from(d - b'0')))
}

/// Converts a Common Log Format time, `10/Oct/2000:13:55:36 -0700` (as in
/// nginx's `$time_local` and Apache's `%t`, without the brackets), to RFC
/// 3339, `2000-10-10T13:55:36-07:00`, appended to `out`. Fractional seconds
/// (`13:55:36.123`) are kept. Returns `false`, leaving `out` as it was, when
/// the text is not such a time.
pub fn clf_to_rfc3339(clf: &[u8], out: &mut Vec<u8>) -> bool {
    let Some((datetime, zone)) = split_once(clf, b' ') else {
        return false;
    };
    // dd/Mon/yyyy:HH:MM:SS[.frac]
    if datetime.len() < 20 || datetime[2] != b'/' || datetime[6] != b'/' || datetime[11] != b':' {
        return false;
    }
    let (Some(day), Some(month), Some(year)) = (
        digits::<2>(&datetime[0..2]),
        month_number(&datetime[3..6]),
        digits::<4>(&datetime[7..11]),
    ) else {
        return false;
    };
    let clock = &datetime[12..];
    let (hms, frac) = match memchr::memchr(b'.', clock) {
        Some(i) => (&clock[..i], &clock[i + 1..]),
        None => (clock, &b""[..]),
    };
    if !valid_clock(hms)
        || !frac.iter().all(u8::is_ascii_digit)
        || frac.len() > 9
        || (clock.len() > 8 && frac.is_empty())
    {
        return false;
    }
    if day < 1 || day > days_in_month(year, month) {
        return false;
    }
    let Some(offset) = parse_offset(zone) else {
        return false;
    };
    out.extend_from_slice(&datetime[7..11]);
    out.push(b'-');
    out.push(b'0' + month / 10);
    out.push(b'0' + month % 10);
    out.push(b'-');
    out.extend_from_slice(&datetime[0..2]);
    out.push(b'T');
    out.extend_from_slice(hms);
    if !frac.is_empty() {
        out.push(b'.');
        out.extend_from_slice(frac);
    }
    out.extend_from_slice(&offset);
    true
}

fn days_in_month(year: u32, month: u8) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        _ => 31,
    }
}

/// `HH:MM:SS` with plausible values (a leap second is allowed).
fn valid_clock(hms: &[u8]) -> bool {
    hms.len() == 8
        && hms[2] == b':'
        && hms[5] == b':'
        && digits::<2>(&hms[0..2]).is_some_and(|h| h < 24)
        && digits::<2>(&hms[3..5]).is_some_and(|m| m < 60)
        && digits::<2>(&hms[6..8]).is_some_and(|s| s <= 60)
}

/// `+hhmm`/`-hhmm` to RFC 3339's `+hh:mm` (and `Z` stays `Z`).
fn parse_offset(zone: &[u8]) -> Option<[u8; 6]> {
    if zone.len() != 5 || !(zone[0] == b'+' || zone[0] == b'-') {
        return None;
    }
    let h = digits::<2>(&zone[1..3])?;
    let m = digits::<2>(&zone[3..5])?;
    if h > 23 || m > 59 {
        return None;
    }
    Some([zone[0], zone[1], zone[2], b':', zone[3], zone[4]])
}

fn split_once(s: &[u8], sep: u8) -> Option<(&[u8], &[u8])> {
    memchr::memchr(sep, s).map(|i| (&s[..i], &s[i + 1..]))
}

/// A time read from a record's `ts`, with the UTC offset it was written
/// in (kept so that results can be shown in the log's own zone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub instant: jiff::Timestamp,
    pub offset: jiff::tz::Offset,
}

/// Reads an RFC 3339 time, such as lparse's `ts`
/// (`2026-11-27T03:22:43+01:00`, `...43.123Z`).
pub fn parse_rfc3339(s: &str) -> Option<Stamp> {
    let instant: jiff::Timestamp = s.parse().ok()?;
    let offset = if s.ends_with(['Z', 'z']) {
        jiff::tz::Offset::UTC
    } else {
        let zone = s.get(s.len().checked_sub(6)?..)?.as_bytes();
        let sign = match zone[0] {
            b'+' => 1,
            b'-' => -1,
            _ => return None,
        };
        let (h, m) = (digits::<2>(&zone[1..3])?, digits::<2>(&zone[4..6])?);
        jiff::tz::Offset::from_seconds(sign * (h * 3600 + m * 60) as i32).ok()?
    };
    Some(Stamp { instant, offset })
}

/// Writes an instant as RFC 3339 in the given offset, with whole seconds
/// (`2026-11-27T03:22:00+01:00`), the form lparse writes.
pub fn format_rfc3339(instant: jiff::Timestamp, offset: jiff::tz::Offset) -> String {
    let dt = offset.to_datetime(instant);
    let secs = offset.seconds();
    let sign = if secs < 0 { '-' } else { '+' };
    let abs = secs.unsigned_abs();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        abs / 3600,
        abs % 3600 / 60
    )
}

/// Like [`format_rfc3339`], with the fraction of a second when there is
/// one, in groups of three digits (`.123`, `.123456`).
pub fn format_rfc3339_frac(instant: jiff::Timestamp, offset: jiff::tz::Offset) -> String {
    let mut s = format_rfc3339(instant, offset);
    // The civil time's fraction: an instant's is negative before 1970.
    let nanos = offset.to_datetime(instant).subsec_nanosecond().unsigned_abs();
    if nanos != 0 {
        let mut digits = format!("{nanos:09}");
        while digits.len() > 3 && digits.ends_with("000") {
            digits.truncate(digits.len() - 3);
        }
        s.insert_str(19, &format!(".{digits}"));
    }
    s
}

/// Writes a civil time and its offset as RFC 3339 into `buf`, with the
/// fraction of a second in groups of three digits when there is one.
/// Returns the length written (at most 35 bytes).
pub fn write_rfc3339(
    buf: &mut [u8; 40],
    dt: jiff::civil::DateTime,
    offset: jiff::tz::Offset,
) -> usize {
    fn two(buf: &mut [u8], at: usize, v: u32) {
        buf[at] = b'0' + (v / 10 % 10) as u8;
        buf[at + 1] = b'0' + (v % 10) as u8;
    }
    let year = dt.year().clamp(0, 9999) as u32;
    two(buf, 0, year / 100);
    two(buf, 2, year % 100);
    buf[4] = b'-';
    two(buf, 5, dt.month() as u32);
    buf[7] = b'-';
    two(buf, 8, dt.day() as u32);
    buf[10] = b'T';
    two(buf, 11, dt.hour() as u32);
    buf[13] = b':';
    two(buf, 14, dt.minute() as u32);
    buf[16] = b':';
    two(buf, 17, dt.second() as u32);
    let mut n = 19;
    let nanos = dt.subsec_nanosecond().unsigned_abs();
    if nanos != 0 {
        let digits = if nanos.is_multiple_of(1_000_000) {
            3
        } else if nanos.is_multiple_of(1_000) {
            6
        } else {
            9
        };
        buf[n] = b'.';
        let mut v = nanos / 10u32.pow(9 - digits);
        for k in (0..digits as usize).rev() {
            buf[n + 1 + k] = b'0' + (v % 10) as u8;
            v /= 10;
        }
        n += 1 + digits as usize;
    }
    let secs = offset.seconds();
    buf[n] = if secs < 0 { b'-' } else { b'+' };
    let abs = secs.unsigned_abs();
    two(buf, n + 1, abs / 3600);
    buf[n + 3] = b':';
    two(buf, n + 4, abs % 3600 / 60);
    n + 6
}

/// Parses a duration such as `500ms`, `2s`, `1.5s`, `5m`, `1h`, `1d` or
/// `1m30s`. Units: `ms`, `s`, `m`, `h`, `d` (and `us`). A bare `0` is zero.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let bad = || format!("bad duration {text:?}: expected e.g. 500ms, 2s, 5m, 1h, 1d");
    let s = text.trim();
    if s == "0" {
        return Ok(std::time::Duration::ZERO);
    }
    let mut rest = s;
    let mut total = 0f64;
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let num_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).ok_or_else(bad)?;
        let number: f64 = rest[..num_len].parse().map_err(|_| bad())?;
        rest = &rest[num_len..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let seconds = match &rest[..unit_len] {
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "d" => 86400.0,
            _ => return Err(bad()),
        };
        total += number * seconds;
        rest = &rest[unit_len..];
    }
    std::time::Duration::try_from_secs_f64(total).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(s: &str) -> Option<String> {
        let mut out = Vec::new();
        clf_to_rfc3339(s.as_bytes(), &mut out).then(|| String::from_utf8(out).unwrap())
    }

    #[test]
    fn converts_clf_times() {
        assert_eq!(
            conv("10/Oct/2000:13:55:36 -0700").as_deref(),
            Some("2000-10-10T13:55:36-07:00")
        );
        assert_eq!(
            conv("01/Jan/2026:00:00:00 +0000").as_deref(),
            Some("2026-01-01T00:00:00+00:00")
        );
        assert_eq!(
            conv("31/Dec/2025:23:59:60 +0530").as_deref(),
            Some("2025-12-31T23:59:60+05:30")
        );
        assert_eq!(
            conv("17/May/2015:10:05:03.123 +0000").as_deref(),
            Some("2015-05-17T10:05:03.123+00:00")
        );
    }

    #[test]
    fn rejects_what_is_not_a_clf_time() {
        for bad in [
            "",
            "10/Oct/2000:13:55:36",
            "10/Foo/2000:13:55:36 -0700",
            "10/Oct/2000:24:55:36 -0700",
            "1/Oct/2000:13:55:36 -0700",
            "10/Oct/2000:13:55:36 -07:00",
            "10/Oct/2000:13:55:36. +0000",
            "00/Oct/2000:13:55:36 +0000",
            "31/Feb/2026:03:22:39 +0000",
            "29/Feb/2024:23:59:60.0000000234 +0000",
            "29/Feb/2025:03:22:39 +0000",
            "31/Apr/2026:03:22:39 +0000",
            "10/Oct/2000 13:55:36 +0000",
        ] {
            assert_eq!(conv(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn what_clf_conversion_writes_reads_back() {
        for clf in ["31/Dec/2016:23:59:60 +0000", "29/Feb/2024:23:59:59.123456789 -0930"] {
            let rfc = conv(clf).unwrap();
            assert!(parse_rfc3339(&rfc).is_some(), "{rfc}");
        }
    }

    #[test]
    fn writes_civil_times() {
        let mut buf = [0u8; 40];
        let dt: jiff::civil::DateTime = "2026-11-27T03:22:43.123456".parse().unwrap();
        let off = jiff::tz::Offset::from_seconds(-(5 * 3600 + 1800)).unwrap();
        let n = write_rfc3339(&mut buf, dt, off);
        assert_eq!(std::str::from_utf8(&buf[..n]).unwrap(), "2026-11-27T03:22:43.123456-05:30");
        let dt: jiff::civil::DateTime = "0999-01-02T00:00:00".parse().unwrap();
        let n = write_rfc3339(&mut buf, dt, jiff::tz::Offset::UTC);
        assert_eq!(std::str::from_utf8(&buf[..n]).unwrap(), "0999-01-02T00:00:00+00:00");
        let dt: jiff::civil::DateTime = "2026-11-27T03:22:43.5".parse().unwrap();
        let n = write_rfc3339(&mut buf, dt, jiff::tz::Offset::UTC);
        assert_eq!(std::str::from_utf8(&buf[..n]).unwrap(), "2026-11-27T03:22:43.500+00:00");
    }

    #[test]
    fn durations() {
        let d = |s: &str| parse_duration(s).map(|d| d.as_secs_f64());
        assert_eq!(d("500ms"), Ok(0.5));
        assert_eq!(d("2s"), Ok(2.0));
        assert_eq!(d("1.5s"), Ok(1.5));
        assert_eq!(d("5m"), Ok(300.0));
        assert_eq!(d("1h"), Ok(3600.0));
        assert_eq!(d("1d"), Ok(86400.0));
        assert_eq!(d("1m30s"), Ok(90.0));
        assert_eq!(d("0"), Ok(0.0));
        for bad in ["", "5", "s", "5x", "-1s", "1..5s"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn rfc3339_round_trip_keeps_the_offset() {
        let s = parse_rfc3339("2026-11-27T03:22:43+05:30").unwrap();
        assert_eq!(s.offset.seconds(), 5 * 3600 + 1800);
        // `date -u -d 2026-11-27T03:22:43+05:30 +%s`
        assert_eq!(s.instant.as_second(), 1795729963);
        assert_eq!(format_rfc3339(s.instant, s.offset), "2026-11-27T03:22:43+05:30");
        let z = parse_rfc3339("2026-11-27T03:22:43.5Z").unwrap();
        assert_eq!(format_rfc3339(z.instant, z.offset), "2026-11-27T03:22:43+00:00");
        assert_eq!(parse_rfc3339("27/Nov/2026:03:22:43 +0000"), None);
        let f = parse_rfc3339("2026-11-27T03:22:43.1234+02:00").unwrap();
        assert_eq!(format_rfc3339_frac(f.instant, f.offset), "2026-11-27T03:22:43.123400+02:00");
        let f = parse_rfc3339("2026-11-27T03:22:43.5Z").unwrap();
        assert_eq!(format_rfc3339_frac(f.instant, f.offset), "2026-11-27T03:22:43.500+00:00");
    }

    proptest::proptest! {
        #[test]
        fn formats_any_valid_time(d in 1u32..=28, mo in 0usize..12, y in 1970u32..2100,
                                        h in 0u32..24, mi in 0u32..60, s in 0u32..60,
                                        sign in proptest::bool::ANY, oh in 0u32..15, om in 0u32..60) {
            let sign = if sign { '+' } else { '-' };
            let clf = format!("{d:02}/{}/{y:04}:{h:02}:{mi:02}:{s:02} {sign}{oh:02}{om:02}",
                std::str::from_utf8(MONTHS[mo]).unwrap());
            let want = format!("{y:04}-{:02}-{d:02}T{h:02}:{mi:02}:{s:02}{sign}{oh:02}:{om:02}", mo + 1);
            proptest::prop_assert_eq!(conv(&clf), Some(want));
        }
    }
}
