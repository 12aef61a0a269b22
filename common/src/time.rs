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
    let (Some(day), Some(month), Some(_year)) = (
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
        || (clock.len() > 8 && frac.is_empty())
    {
        return false;
    }
    if !(1..=31).contains(&day) {
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
            "10/Oct/2000 13:55:36 +0000",
        ] {
            assert_eq!(conv(bad), None, "{bad:?}");
        }
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
