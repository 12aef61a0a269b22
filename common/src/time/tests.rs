//! Expected values here come from jiff's own parsing and formatting
//! (`strtime`, `Timestamp`), or are written out by hand; never from the
//! code under test.

use super::layouts::{self, SyslogTime};
use super::*;
use jiff::fmt::strtime::{self, BrokenDownTime};
use proptest::prelude::*;

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

#[test]
fn month_names_in_any_case() {
    for (i, name) in MONTHS.iter().enumerate() {
        let want = Some(i as u8 + 1);
        assert_eq!(month_number(*name), want);
        assert_eq!(month_number(&name.to_ascii_uppercase()), want);
        assert_eq!(month_number(&name.to_ascii_lowercase()), want);
    }
    for bad in [&b"Ja"[..], b"Janu", b"J\x01n", b"", b"Jan ", b"\xcaan"] {
        assert_eq!(month_number(bad), None, "{bad:?}");
    }
}

fn conv(s: &str) -> Option<String> {
    let mut out = Vec::new();
    clf_to_rfc3339(s.as_bytes(), &mut out).then(|| String::from_utf8(out).unwrap())
}

fn written(time: &LogTime, offset: Offset) -> String {
    let mut out = Vec::new();
    time.write_rfc3339(offset, &mut out);
    String::from_utf8(out).unwrap()
}

#[test]
fn converts_clf_times() {
    assert_eq!(conv("10/Oct/2000:13:55:36 -0700").as_deref(), Some("2000-10-10T13:55:36-07:00"));
    assert_eq!(conv("01/Jan/2026:00:00:00 +0000").as_deref(), Some("2026-01-01T00:00:00+00:00"));
    assert_eq!(conv("31/Dec/2025:23:59:60 +0530").as_deref(), Some("2025-12-31T23:59:60+05:30"));
    assert_eq!(
        conv("17/May/2015:10:05:03.123 +0000").as_deref(),
        Some("2015-05-17T10:05:03.123+00:00")
    );
    // The fraction keeps the digits written, nine at most.
    assert_eq!(
        conv("17/May/2015:10:05:03.1230 +0000").as_deref(),
        Some("2015-05-17T10:05:03.1230+00:00")
    );
    assert_eq!(
        conv("17/May/2015:10:05:03.123456789012 +0000").as_deref(),
        Some("2015-05-17T10:05:03.123456789+00:00")
    );
}

#[test]
fn rejects_what_is_not_a_clf_time() {
    for bad in [
        "",
        "10/Oct/2000:13:55:36",
        "10/Foo/2000:13:55:36 -0700",
        "10/Oct/2000:24:55:36 -0700",
        "10/Oct/2000:24:00:01 -0700",
        "1/Oct/2000:13:55:36 -0700",
        "10/Oct/2000:13:55:36 -07:00",
        "10/Oct/2000:13:55:36. +0000",
        "00/Oct/2000:13:55:36 +0000",
        "31/Feb/2026:03:22:39 +0000",
        "29/Feb/2025:03:22:39 +0000",
        "31/Apr/2026:03:22:39 +0000",
        "10/Oct/2000 13:55:36 +0000",
        "10/Oct/2000:13:55:36 +2400",
        "10/Oct/2000:13:55:36 -0700 ",
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
    let dt: DateTime = "2026-11-27T03:22:43.123456".parse().unwrap();
    let off = Offset::from_seconds(-(5 * 3600 + 1800)).unwrap();
    let n = write_rfc3339(&mut buf, dt, off);
    assert_eq!(std::str::from_utf8(&buf[..n]).unwrap(), "2026-11-27T03:22:43.123456-05:30");
    let dt: DateTime = "0999-01-02T00:00:00".parse().unwrap();
    let n = write_rfc3339(&mut buf, dt, Offset::UTC);
    assert_eq!(std::str::from_utf8(&buf[..n]).unwrap(), "0999-01-02T00:00:00+00:00");
    let dt: DateTime = "2026-11-27T03:22:43.5".parse().unwrap();
    let n = write_rfc3339(&mut buf, dt, Offset::UTC);
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
    assert_eq!(d("250us"), Ok(0.00025));
    assert_eq!(d("250µs"), Ok(0.00025));
    assert_eq!(d("0"), Ok(0.0));
    // Forms jiff's grammar refuses, read as before.
    assert_eq!(d("1.5d"), Ok(129_600.0));
    assert_eq!(d("30s1m"), Ok(90.0));
    assert_eq!(d(".5s"), Ok(0.5));
    // Forms jiff adds.
    assert_eq!(d("1h 30m"), Ok(5400.0));
    assert_eq!(d("2 minutes"), Ok(120.0));
    assert_eq!(d("PT1M30S"), Ok(90.0));
    assert_eq!(d("1w"), Ok(604_800.0));
    for bad in ["", "5", "s", "5x", "-1s", "1s ago", "1..5s", "1mo", "1y"] {
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

#[test]
fn rfc3339_reads_what_jiff_reads_and_more_fraction_digits() {
    let ts = |s: &str| s.parse::<Timestamp>().unwrap();
    let twelve = parse_rfc3339("2026-11-27T03:22:46.123456789012+00:00").unwrap();
    assert_eq!(twelve.instant, ts("2026-11-27T03:22:46.123456789Z"));
    assert_eq!(twelve.offset, Offset::UTC);
    let comma = parse_rfc3339("2026-11-27 03:22:46,5+0100").unwrap();
    assert_eq!(comma.instant, ts("2026-11-27T02:22:46.5Z"));
    assert_eq!(comma.offset.seconds(), 3600);
    // Left to jiff: the basic format, offsets in hours, annotations.
    for (text, utc, offset) in [
        ("20261127T032246Z", "2026-11-27T03:22:46Z", 0),
        ("2026-11-27T03:22:46+05", "2026-11-26T22:22:46Z", 5 * 3600),
        ("2026-11-27T03:22:46-01:00[Etc/GMT+1]", "2026-11-27T04:22:46Z", -3600),
    ] {
        let stamp = parse_rfc3339(text).unwrap_or_else(|| panic!("{text}"));
        assert_eq!((stamp.instant, stamp.offset.seconds()), (ts(utc), offset), "{text}");
    }
    for bad in ["2026-11-27T03:22:46", "2026-11-27T03:22:46.+00:00", "2026-02-30T03:22:46Z", ""] {
        assert_eq!(parse_rfc3339(bad), None, "{bad:?}");
    }
}

/// Each layout with a fraction of twelve digits: read, the last three
/// dropped.
#[test]
fn twelve_fraction_digits_are_read_by_every_layout() {
    let want: DateTime = "2026-11-27T03:22:46.123456789".parse().unwrap();
    let at_start = [
        ("clf", layouts::clf(b"27/Nov/2026:03:22:46.123456789012 +0000")),
        ("iso8601", layouts::iso8601(b"2026-11-27T03:22:46.123456789012")),
        ("rfc3339", layouts::rfc3339(b"2026-11-27T03:22:46.123456789012Z")),
        ("nginx", layouts::nginx_error(b"2026/11/27 03:22:46.123456789012")),
        ("apache", layouts::apache_error(b"Fri Nov 27 03:22:46.123456789012 2026")),
    ];
    for (name, found) in at_start {
        let (time, _) = found.unwrap_or_else(|| panic!("{name}"));
        assert_eq!((time.datetime, time.frac_digits), (want, 9), "{name}");
    }
    let w3c = layouts::w3c(b"2026-11-27", b"03:22:46.123456789012").unwrap();
    assert_eq!(w3c.datetime, want);
    let (syslog, len) = layouts::bsd_syslog(b"Nov 27 03:22:46.123456789012 host").unwrap();
    assert_eq!(len, 28);
    let now = "2026-11-28T00:00:00Z".parse().unwrap();
    assert_eq!(syslog.in_year_near(now, &TimeZone::UTC).unwrap().datetime, want);
}

#[test]
fn invalid_dates_and_clocks_are_refused_by_every_layout() {
    type Reads = fn(&[u8]) -> bool;
    let cases: [(&str, Reads); 5] = [
        ("clf", |s| layouts::clf(s).is_some()),
        ("iso", |s| layouts::iso8601(s).is_some()),
        ("nginx", |s| layouts::nginx_error(s).is_some()),
        ("apache", |s| layouts::apache_error(s).is_some()),
        ("w3c", |s| {
            let (date, time) = s.split_at(10);
            layouts::w3c(date, &time[1..]).is_some()
        }),
    ];
    // (year, month, day, clock) for each case; month 13 has no name in CLF
    // and Apache, so those say `Xyz`.
    let bad = [(2026, 2, 31, "03:22:46"), (2025, 2, 29, "03:22:46"), (2026, 4, 31, "03:22:46")]
        .into_iter()
        .chain([(2026, 13, 1, "03:22:46"), (2026, 0, 1, "03:22:46"), (2026, 1, 0, "03:22:46")])
        .chain([(2026, 1, 1, "24:00:01"), (2026, 1, 1, "23:60:00"), (2026, 1, 1, "23:59:61")]);
    for (y, m, d, clock) in bad {
        let name = layouts_month(m);
        for (layout, reads) in &cases {
            let text = match *layout {
                "clf" => format!("{d:02}/{name}/{y}:{clock} +0000"),
                "iso" => format!("{y}-{m:02}-{d:02}T{clock}"),
                "nginx" => format!("{y}/{m:02}/{d:02} {clock}"),
                "apache" => format!("Fri {name} {d:02} {clock} {y}"),
                _ => format!("{y}-{m:02}-{d:02} {clock}"),
            };
            assert!(!reads(text.as_bytes()), "{layout}: {text}");
        }
    }
    // The same clocks and dates, made valid, are read (so the refusals
    // above are about the fields).
    for (layout, reads) in &cases {
        let text = match *layout {
            "clf" => "28/Feb/2026:23:59:59 +0000",
            "iso" => "2026-02-28T23:59:59",
            "nginx" => "2026/02/28 23:59:59",
            "apache" => "Sat Feb 28 23:59:59 2026",
            _ => "2026-02-28 23:59:59",
        };
        assert!(reads(text.as_bytes()), "{layout}: {text}");
    }
    for bad in ["Feb 31 03:22:46", "Nov 27 24:00:01", "Nov 32 03:22:46", "Xyz 27 03:22:46"] {
        let read = layouts::bsd_syslog(bad.as_bytes());
        let now = "2026-11-28T00:00:00Z".parse().unwrap();
        assert!(read.and_then(|(t, _)| t.in_year_near(now, &TimeZone::UTC)).is_none(), "{bad}");
    }
    assert!(layouts::w3c(b"2026-11-27", b"03:22:46.").is_none());
    assert!(layouts::w3c(b"2026-11-27", b"3:22:46").is_none());
}

fn layouts_month(m: u32) -> &'static str {
    match m {
        1..=12 => std::str::from_utf8(MONTHS[m as usize - 1]).unwrap(),
        _ => "Xyz",
    }
}

#[test]
fn leap_seconds_are_written_back() {
    let (t, _) = layouts::iso8601(b"2016-12-31T23:59:60.5Z").unwrap();
    assert!(t.leap_second);
    assert_eq!(written(&t, Offset::UTC), "2016-12-31T23:59:60.5+00:00");
    let t = layouts::w3c(b"2016-12-31", b"23:59:60").unwrap();
    assert_eq!(written(&t, Offset::UTC), "2016-12-31T23:59:60+00:00");
}

#[test]
fn w3c_times_without_seconds() {
    let t = layouts::w3c(b"2002-05-02", b"17:42").unwrap();
    assert_eq!(written(&t, Offset::UTC), "2002-05-02T17:42:00+00:00");
}

#[test]
fn syslog_years_are_inferred() {
    let now: Timestamp = "2027-01-01T00:30:00Z".parse().unwrap();
    let (dec, _) = layouts::bsd_syslog(b"Dec 31 23:59:59 host").unwrap();
    let got = dec.in_year_near(now, &TimeZone::UTC).unwrap();
    assert_eq!(got.datetime, "2026-12-31T23:59:59".parse::<DateTime>().unwrap());
    // 29 February is in the last leap year.
    let (feb, _) = layouts::bsd_syslog(b"Feb 29 12:00:00").unwrap();
    let got = feb.in_year_near(now, &TimeZone::UTC).unwrap();
    assert_eq!(got.datetime.year(), 2024);
    let bare = layouts::bsd_syslog(b"Nov 7 03:22:46 x").unwrap();
    let padded = layouts::bsd_syslog(b"Nov  7 03:22:46 x").unwrap();
    assert_eq!((bare.0, bare.1), (padded.0, padded.1 - 1));
    assert_eq!(
        bare.0,
        SyslogTime {
            month: 11,
            day: 7,
            hour: 3,
            minute: 22,
            second: 46,
            nanosecond: 0,
            frac_digits: 0
        }
    );
}

#[test]
fn epoch_times() {
    let ts = |s: &str| s.parse::<Timestamp>().unwrap();
    let utc = |text: &str| {
        let t = layouts::epoch(text.as_bytes())?;
        Some((t.to_timestamp(&TimeZone::UTC)?, written(&t, Offset::UTC)))
    };
    // `date -u -d 2026-11-27T03:22:46Z +%s`
    let secs = ts("2026-11-27T03:22:46Z");
    assert_eq!(utc("1795749766"), Some((secs, "2026-11-27T03:22:46+00:00".into())));
    assert_eq!(utc("1795749766250").unwrap().0, ts("2026-11-27T03:22:46.25Z"));
    assert_eq!(utc("1795749766250001").unwrap().0, ts("2026-11-27T03:22:46.250001Z"));
    assert_eq!(utc("1795749766250001002").unwrap().0, ts("2026-11-27T03:22:46.250001002Z"));
    assert_eq!(
        utc("1795749766.25"),
        Some((ts("2026-11-27T03:22:46.25Z"), "2026-11-27T03:22:46.250+00:00".into()))
    );
    assert_eq!(utc("-1").unwrap().0, ts("1969-12-31T23:59:59Z"));
    for bad in ["", "x", "1e12", "NaN", "inf", "12:00"] {
        assert_eq!(utc(bad), None, "{bad:?}");
    }
}

#[test]
fn digits_at_reads_a_fixed_width() {
    assert_eq!(digits_at(b"x2026y", 1, 4), Some(2026));
    assert_eq!(digits_at(b"x2026y", 1, 5), None);
    assert_eq!(digits_at(b"x2026", 2, 4), None);
    assert_eq!(digits_at(b"x2026", usize::MAX, 2), None);
    assert_eq!(digits_at(b"999999999", 0, 9), Some(999_999_999));
}

/// A civil time from 1000 to 9999 (the years every layout writes in four
/// digits), an offset within a day, and how many fraction digits to write
/// (0 to 12).
fn any_time() -> impl Strategy<Value = (DateTime, Offset, usize)> {
    let secs = -30_610_224_000i64..253_402_300_800; // 1000-01-01 to 9999-12-31
    (secs, 0u32..1_000_000_000, -(23 * 60 + 59)..=23 * 60 + 59, 0usize..=12).prop_map(
        |(secs, nanos, minutes, digits)| {
            let ts = Timestamp::new(secs, nanos as i32).unwrap();
            (Offset::UTC.to_datetime(ts), Offset::from_seconds(minutes * 60).unwrap(), digits)
        },
    )
}

/// `dt` in `format` (a strtime pattern, `{f}` for the fraction), with
/// `digits` fraction digits (beyond nine, digits that must be dropped),
/// and the time with the fraction cut to what is kept.
fn text_of(dt: DateTime, offset: Offset, digits: usize, format: &str) -> (String, DateTime) {
    let nine = format!("{:09}", dt.subsec_nanosecond());
    let fraction = match digits {
        0 => String::new(),
        1..=9 => format!(".{}", &nine[..digits]),
        _ => format!(".{nine}{}", &"987"[..digits - 9]),
    };
    let mut tm = BrokenDownTime::from(dt);
    tm.set_offset(Some(offset));
    let text = tm.to_string(format).unwrap().replace("{f}", &fraction);
    let kept = digits.min(9) as u32;
    let step = 10i32.pow(9 - kept);
    let cut = dt.with().subsec_nanosecond(dt.subsec_nanosecond() / step * step).build().unwrap();
    (text, cut)
}

/// What the writer must write: jiff's strtime, with as many fraction
/// digits as were kept.
fn rfc3339_of(dt: DateTime, offset: Offset, digits: usize) -> String {
    let digits = digits.min(9);
    let frac = if digits == 0 { String::new() } else { format!("%.{digits}f") };
    let mut tm = BrokenDownTime::from(dt);
    tm.set_offset(Some(offset));
    tm.to_string(format!("%Y-%m-%dT%H:%M:%S{frac}%:z")).unwrap()
}

proptest! {
    #[test]
    fn clf_round_trips((dt, offset, digits) in any_time()) {
        let (text, want) = text_of(dt, offset, digits, "%d/%b/%Y:%H:%M:%S{f} %z");
        let (time, len) = layouts::clf(text.as_bytes()).unwrap();
        prop_assert_eq!((time.datetime, time.offset, len), (want, Some(offset), text.len()));
        prop_assert_eq!(written(&time, offset), rfc3339_of(want, offset, digits));
        prop_assert_eq!(conv(&text), Some(rfc3339_of(want, offset, digits)));
    }

    #[test]
    fn rfc3339_round_trips((dt, offset, digits) in any_time(), colon in any::<bool>()) {
        let zone = if colon { "%:z" } else { "%z" };
        let (text, want) = text_of(dt, offset, digits, &format!("%Y-%m-%dT%H:%M:%S{{f}}{zone}"));
        let (time, len) = layouts::rfc3339(text.as_bytes()).unwrap();
        prop_assert_eq!((time.datetime, time.offset, len), (want, Some(offset), text.len()));
        let rfc = rfc3339_of(want, offset, digits);
        prop_assert_eq!(written(&time, offset), rfc.clone());
        let stamp = parse_rfc3339(&text).unwrap();
        prop_assert_eq!(stamp, Stamp { instant: rfc.parse().unwrap(), offset });
    }

    #[test]
    fn zoneless_iso8601_round_trips((dt, offset, digits) in any_time(), space in any::<bool>()) {
        let format = if space { "%Y-%m-%d %H:%M:%S{f}" } else { "%Y-%m-%dT%H:%M:%S{f}" };
        let (text, want) = text_of(dt, offset, digits, format);
        let (time, len) = layouts::iso8601(text.as_bytes()).unwrap();
        prop_assert_eq!((time.datetime, time.offset, len), (want, None, text.len()));
        prop_assert_eq!(layouts::rfc3339(text.as_bytes()), None);
        prop_assert_eq!(written(&time, offset), rfc3339_of(want, offset, digits));
    }

    #[test]
    fn nginx_error_round_trips((dt, offset, digits) in any_time()) {
        let (text, want) = text_of(dt, offset, digits, "%Y/%m/%d %H:%M:%S{f}");
        let (time, len) = layouts::nginx_error(text.as_bytes()).unwrap();
        prop_assert_eq!((time.datetime, time.offset, len), (want, None, text.len()));
        prop_assert_eq!(written(&time, offset), rfc3339_of(want, offset, digits));
    }

    #[test]
    fn apache_error_round_trips((dt, offset, digits) in any_time(), padded in any::<bool>()) {
        let day = if padded { "%e" } else { "%d" };
        let (text, want) = text_of(dt, offset, digits, &format!("%a %b {day} %H:%M:%S{{f}} %Y"));
        let (time, len) = layouts::apache_error(text.as_bytes()).unwrap();
        prop_assert_eq!((time.datetime, time.offset, len), (want, None, text.len()));
        prop_assert_eq!(written(&time, offset), rfc3339_of(want, offset, digits));
    }

    #[test]
    fn bsd_syslog_round_trips((dt, offset, digits) in any_time()) {
        let (text, want) = text_of(dt, offset, digits, "%b %e %H:%M:%S{f}");
        let (read, len) = layouts::bsd_syslog(text.as_bytes()).unwrap();
        prop_assert_eq!(len, text.len());
        // Read the day the line was written: its own year.
        let now = TimeZone::UTC.to_timestamp(dt).unwrap();
        let time = read.in_year_near(now, &TimeZone::UTC).unwrap();
        prop_assert_eq!((time.datetime, time.offset), (want, None));
        prop_assert_eq!(written(&time, offset), rfc3339_of(want, offset, digits));
    }

    #[test]
    fn w3c_round_trips((dt, _offset, digits) in any_time()) {
        let (text, want) = text_of(dt, Offset::UTC, digits, "%Y-%m-%d %H:%M:%S{f}");
        let time = layouts::w3c(&text.as_bytes()[..10], &text.as_bytes()[11..]).unwrap();
        prop_assert_eq!((time.datetime, time.offset), (want, Some(Offset::UTC)));
        prop_assert_eq!(written(&time, Offset::UTC), rfc3339_of(want, Offset::UTC, digits));
    }

    #[test]
    fn epoch_round_trips(secs in 1_000_000_000i64..99_999_999_999, micros in 0u32..1_000_000) {
        let want = Timestamp::new(secs, micros as i32 * 1000).unwrap();
        let whole = layouts::epoch(secs.to_string().as_bytes()).unwrap();
        prop_assert_eq!(whole.to_timestamp(&TimeZone::UTC), Some(Timestamp::from_second(secs).unwrap()));
        let text = format!("{secs}{micros:06}");
        let exact = layouts::epoch(text.as_bytes()).unwrap();
        prop_assert_eq!(exact.to_timestamp(&TimeZone::UTC), Some(want));
        let ms = format!("{secs}{:03}", micros / 1000);
        let rounded = Timestamp::new(secs, (micros / 1000 * 1_000_000) as i32).unwrap();
        prop_assert_eq!(layouts::epoch(ms.as_bytes()).unwrap().to_timestamp(&TimeZone::UTC), Some(rounded));
        // Fractions are written in groups of three digits.
        let frac = match micros {
            0 => "",
            m if m % 1000 == 0 => "%.3f",
            _ => "%.6f",
        };
        let rfc = strtime::format(format!("%Y-%m-%dT%H:%M:%S{frac}+00:00"), Offset::UTC.to_datetime(want));
        prop_assert_eq!(written(&exact, Offset::UTC), rfc.unwrap());
    }

    #[test]
    fn formats_any_valid_time(d in 1u32..=28, mo in 0usize..12, y in 1970u32..2100,
                                    h in 0u32..24, mi in 0u32..60, s in 0u32..60,
                                    sign in proptest::bool::ANY, oh in 0u32..15, om in 0u32..60) {
        let sign = if sign { '+' } else { '-' };
        let clf = format!("{d:02}/{}/{y:04}:{h:02}:{mi:02}:{s:02} {sign}{oh:02}{om:02}",
            std::str::from_utf8(MONTHS[mo]).unwrap());
        let want = format!("{y:04}-{:02}-{d:02}T{h:02}:{mi:02}:{s:02}{sign}{oh:02}:{om:02}", mo + 1);
        prop_assert_eq!(conv(&clf), Some(want));
    }

    #[test]
    fn layouts_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..48)) {
        let _ = layouts::clf(&bytes);
        let _ = layouts::iso8601(&bytes);
        let _ = layouts::nginx_error(&bytes);
        let _ = layouts::apache_error(&bytes);
        let _ = layouts::bsd_syslog(&bytes).map(|(t, _)| t.in_year_near(Timestamp::UNIX_EPOCH, &TimeZone::UTC));
        let _ = layouts::w3c(&bytes, &bytes);
        let _ = layouts::epoch(&bytes);
        let _ = std::str::from_utf8(&bytes).map(parse_rfc3339);
    }
}

/// Hand-written layout parsers against jiff's (`strtime`, `Timestamp`'s
/// ISO 8601 parser), per call. Run with optimisations:
/// for each of `logkit-common`, `jiff`, `jiff-core` and `memchr`, `--config
/// 'profile.dev.package.NAME.opt-level=3'` (and `debug-assertions=false`,
/// `overflow-checks=false`), then `cargo test -p logkit-common --lib bench
/// -- --ignored --nocapture`. Figures in `layouts.rs` and `write.rs`.
#[test]
#[ignore]
fn bench_hand_written_against_jiff() {
    fn per_call(name: &str, mut f: impl FnMut() -> bool) {
        // The best of several rounds: the machine is shared.
        let n = 50_000;
        let best = (0..40)
            .map(|_| {
                let start = std::time::Instant::now();
                for _ in 0..n {
                    assert!(std::hint::black_box(f()));
                }
                start.elapsed().as_nanos() as f64 / f64::from(n)
            })
            .fold(f64::INFINITY, f64::min);
        eprintln!("{name}: {best:.0} ns");
    }
    let clf = std::hint::black_box(b"10/Oct/2000:13:55:36 -0700");
    let mut out = Vec::with_capacity(64);
    per_call("clf_to_rfc3339 (hand-written)", || {
        out.clear();
        clf_to_rfc3339(clf, &mut out)
    });
    per_call("clf by jiff strtime", || {
        out.clear();
        let Ok(tm) = strtime::parse("%d/%b/%Y:%H:%M:%S %z", clf) else { return false };
        tm.format("%Y-%m-%dT%H:%M:%S%:z", &mut out).is_ok()
    });
    let months: Vec<&[u8]> = MONTHS.iter().map(|m| &m[..]).collect();
    let mut k = 0;
    per_call("month_number", || {
        k = (k + 1) % 12;
        month_number(std::hint::black_box(months[k])).is_some()
    });
    let search = |name: &[u8]| MONTHS.iter().position(|m| m.eq_ignore_ascii_case(name));
    per_call("month by searching the names", || {
        k = (k + 1) % 12;
        search(std::hint::black_box(months[k])).is_some()
    });
    let dt: DateTime = "2026-11-27T03:22:43.123".parse().unwrap();
    let mut buf = [0u8; 40];
    per_call("write_rfc3339", || {
        write_rfc3339(&mut buf, std::hint::black_box(dt), Offset::UTC) > 0
    });
    let rfc = std::hint::black_box("2026-11-27T03:22:43.123+01:00");
    per_call("parse_rfc3339 (hand-written)", || parse_rfc3339(rfc).is_some());
    per_call("rfc3339 by jiff Pieces", || {
        jiff::fmt::temporal::Pieces::parse(rfc).ok().and_then(|p| p.to_numeric_offset()).is_some()
    });
    per_call("rfc3339 by jiff Timestamp", || rfc.parse::<Timestamp>().is_ok());
}

/// The memo gives what the converter gives, line after line, across repeats,
/// changes and texts that are no time (which leave nothing behind).
#[test]
fn clf_memo_converts_as_the_converter() {
    let mut memo = ClfMemo::default();
    let times = [
        "10/Oct/2000:13:55:36 -0700",
        "10/Oct/2000:13:55:36 -0700",
        "10/Oct/2000:13:55:37 -0700",
        "not a time",
        "10/Oct/2000:13:55:37 -0700",
        "10/Oct/2000:13:55:37 +0000",
        "",
        "10/Oct/2000:13:55:37.250 +0000",
    ];
    for t in times {
        let (mut ours, mut theirs) = (b"x".to_vec(), b"x".to_vec());
        assert_eq!(
            memo.to_rfc3339(t.as_bytes(), &mut ours),
            clf_to_rfc3339(t.as_bytes(), &mut theirs),
            "{t}"
        );
        assert_eq!(ours, theirs, "{t}");
    }
}

proptest::proptest! {
    /// Times that differ from the one before in their second (within the
    /// minute, or not), in other parts, or are no time at all: the memo
    /// gives what the converter gives, line after line. Each step changes
    /// one part of the time before, most often the second.
    #[test]
    fn clf_memo_converts_a_run_of_times_as_the_converter(
        steps in proptest::collection::vec((0usize..12, 0usize..10), 1..60),
    ) {
        let choices: [&[&str]; 7] = [
            &["09", "10", "31", "29", "1x"],
            &["Oct", "Feb", "oct", "Foo"],
            &["2000", "2024", "1999"],
            &["13:55", "23:59", "00:00", "24:00", "13:5"],
            &["00", "07", "36", "59", "60", "61", "99", "6", "a1", "5a"],
            &["", ".250", ".5", "."],
            &[" -0700", " +0000", " +1400", " +0060", "", " x"],
        ];
        let mut parts = [0usize; 7];
        let mut memo = ClfMemo::default();
        for (part, pick) in steps {
            // Parts 7 and above stand for the second again.
            let part = if part >= 7 { 4 } else { part };
            parts[part] = pick % choices[part].len();
            let t: String = (0..7)
                .map(|k| {
                    let sep = ["", "/", "/", ":", ":", "", ""][k];
                    format!("{sep}{}", choices[k][parts[k]])
                })
                .collect();
            let (mut ours, mut theirs) = (b"x".to_vec(), b"x".to_vec());
            proptest::prop_assert_eq!(
                memo.to_rfc3339(t.as_bytes(), &mut ours),
                clf_to_rfc3339(t.as_bytes(), &mut theirs),
                "{}", t
            );
            proptest::prop_assert_eq!(&ours, &theirs, "{}", t);
        }
    }
}
