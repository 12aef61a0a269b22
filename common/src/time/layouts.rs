//! One parser per time layout the tools read.
//!
//! | parser | layout | offset |
//! |---|---|---|
//! | [`clf`] | `10/Oct/2000:13:55:36[.fff] -0700` | its own |
//! | [`iso8601`] | `2026-11-27T03:22:43[.fff][Z\|+01:00\|+0100]`, `2026-11-27 03:22:43,fff` | its own, if written |
//! | [`rfc3339`] (RFC 5424's too) | `2026-11-27T03:22:43.123+01:00` | its own |
//! | [`nginx_error`] | `2026/11/27 03:22:46` | none |
//! | [`apache_error`] | `Fri Nov 27 03:22:46[.ffffff] 2026` | none |
//! | [`bsd_syslog`] | `Nov 27 03:22:46[.fff]`, `Nov  7 ...`, `Nov 7 ...` | none, nor a year |
//! | [`w3c`] | `2026-11-27` and `03:22:46[.fff]` or `03:22` (two fields) | UTC |
//! | [`epoch`] | `1795729366`, `1795729366.25`, ms, µs, ns | UTC |
//!
//! The parsers of layouts found inside a line ([`clf`], [`iso8601`],
//! [`rfc3339`], [`nginx_error`], [`apache_error`], [`bsd_syslog`]) read
//! the layout at the start of their input and return the time with the
//! number of bytes it took, whatever follows; a caller that wants the whole
//! text to be the time compares that number with the length. [`w3c`] and
//! [`epoch`] read whole field values.
//!
//! Every parser checks the date (no 31 February), the clock (hours below
//! 24, minutes below 60, seconds up to 60 for a leap second) and the offset
//! (below 24 hours), and takes a fraction of any length, keeping nine
//! digits (see [`super`]). None panics, whatever the bytes.
//!
//! Why by hand and not with jiff's parsers (figures from
//! `bench_hand_written_against_jiff`, ns per call, best of 40 rounds, on a
//! shared AMD EPYC, 2 cores): CLF, on lparse's hot path, takes 45 ns read
//! and written here against 146 ns with `jiff::fmt::strtime` (the code this
//! replaced, which reordered the digits without a civil time, took 46 ns);
//! RFC 3339 takes 41–45 ns here, 45–60 ns with jiff's ISO 8601
//! parser, which is as fast but refuses more than nine fraction digits and
//! reads whole texts only, where [`crate::sniff`] needs a prefix. The
//! rest share these helpers; checking dates is left to jiff's
//! `DateTime::new`.

use super::{digits_at, month_number, LogTime};
use jiff::civil::DateTime;
use jiff::tz::{Offset, TimeZone};
use jiff::Timestamp;

/// `hh:mm` at `at`: hours and minutes.
fn hours_minutes(s: &[u8], at: usize) -> Option<(u32, u32)> {
    if s.get(at + 2) != Some(&b':') {
        return None;
    }
    let h = digits_at(s, at, 2).filter(|&h| h < 24)?;
    let m = digits_at(s, at + 3, 2).filter(|&m| m < 60)?;
    Some((h, m))
}

/// A clock `hh:mm:ss` at `at`: hours, minutes, seconds (60 allowed).
fn clock(s: &[u8], at: usize) -> Option<(u32, u32, u32)> {
    let (h, m) = hours_minutes(s, at)?;
    if s.get(at + 5) != Some(&b':') {
        return None;
    }
    let sec = digits_at(s, at + 6, 2).filter(|&sec| sec <= 60)?;
    Some((h, m, sec))
}

/// A second's fraction.
#[derive(Clone, Copy, Default)]
struct Fraction {
    nanos: u32,
    /// Digits kept (at most 9).
    digits: u8,
    /// Bytes taken, with the separator and any digits beyond the ninth.
    len: usize,
}

/// The fraction after a separator at `at` (`.`, or `,` too when `comma`);
/// none when there is no separator; `None` for a separator without digits.
fn fraction(s: &[u8], at: usize, comma: bool) -> Option<Fraction> {
    match s.get(at) {
        Some(b'.') => {}
        Some(b',') if comma => {}
        _ => return Some(Fraction::default()),
    }
    let all = s[at + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
    if all == 0 {
        return None;
    }
    let digits = all.min(9);
    let nanos = digits_at(s, at + 1, digits)? * 10u32.pow(9 - digits as u32);
    Some(Fraction { nanos, digits: digits as u8, len: 1 + all })
}

/// `+hh:mm`, `+hhmm` (or `-`), or `Z` when `zulu`: the offset and its
/// length.
/// Also whether it was `-00:00` (see [`LogTime::unknown_local_offset`]).
fn offset(s: &[u8], colon: bool, zulu: bool) -> Option<(Offset, usize, bool)> {
    let sign = match s.first()? {
        b'Z' | b'z' if zulu => return Some((Offset::UTC, 1, false)),
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let h = digits_at(s, 1, 2).filter(|&h| h < 24)?;
    let (m, len) = match s.get(3) {
        Some(b':') if colon => (digits_at(s, 4, 2)?, 6),
        _ => (digits_at(s, 3, 2)?, 5),
    };
    if m > 59 {
        return None;
    }
    let secs = sign * (h * 3600 + m * 60) as i32;
    Some((Offset::from_seconds(secs).ok()?, len, sign < 0 && secs == 0))
}

/// Checks the fields and builds the time (a leap second held as `:59`).
fn log_time(
    (y, mo, d): (i16, u32, u32),
    (h, mi, sec): (u32, u32, u32),
    frac: Fraction,
    offset: Option<Offset>,
) -> Option<LogTime> {
    // The fields were read from at most 2 digits, so the casts cannot wrap;
    // jiff checks the ranges (months, days in the month).
    let datetime = DateTime::new(
        y,
        mo as i8,
        d as i8,
        h as i8,
        mi as i8,
        sec.min(59) as i8,
        frac.nanos as i32,
    )
    .ok()?;
    Some(LogTime {
        datetime,
        leap_second: sec == 60,
        frac_digits: frac.digits,
        offset,
        unknown_local_offset: false,
    })
}

/// Common Log Format (nginx's `$time_local`, Apache's `%t` without the
/// brackets): `10/Oct/2000:13:55:36 -0700`, with an optional fraction
/// (`:36.123`, as Apache's `%{msec_frac}t` adds). The offset is `±hhmm`.
pub fn clf(s: &[u8]) -> Option<(LogTime, usize)> {
    if s.get(2) != Some(&b'/') || s.get(6) != Some(&b'/') || s.get(11) != Some(&b':') {
        return None;
    }
    let d = digits_at(s, 0, 2)?;
    let mo = u32::from(month_number(s.get(3..6)?)?);
    let y = digits_at(s, 7, 4)? as i16;
    let clock = clock(s, 12)?;
    let frac = fraction(s, 20, false)?;
    let z = 20 + frac.len;
    if s.get(z) != Some(&b' ') {
        return None;
    }
    let (off, len, unknown) = offset(&s[z + 1..], false, false)?;
    let time = log_time((y, mo, d), clock, frac, Some(off))?;
    Some((LogTime { unknown_local_offset: unknown, ..time }, z + 1 + len))
}

/// ISO 8601 in its usual extended form: `2026-11-27T03:22:43`, the `T`
/// also lowercase or a space; a fraction after `.` or `,`; then optionally
/// `Z`, `±hh:mm` or `±hhmm`. Forms with fewer fields (no seconds, basic
/// format) are not read here.
pub fn iso8601(s: &[u8]) -> Option<(LogTime, usize)> {
    if s.get(4) != Some(&b'-') || s.get(7) != Some(&b'-') {
        return None;
    }
    if !matches!(s.get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let date = (digits_at(s, 0, 4)? as i16, digits_at(s, 5, 2)?, digits_at(s, 8, 2)?);
    let clock = clock(s, 11)?;
    let frac = fraction(s, 19, true)?;
    let end = 19 + frac.len;
    let (off, len, unknown) = match offset(&s[end..], true, true) {
        Some((off, len, unknown)) => (Some(off), len, unknown),
        None => (None, 0, false),
    };
    let time = log_time(date, clock, frac, off)?;
    Some((LogTime { unknown_local_offset: unknown, ..time }, end + len))
}

/// RFC 3339 (and so RFC 5424's `TIMESTAMP`, a subset of it): [`iso8601`]
/// with its offset required.
pub fn rfc3339(s: &[u8]) -> Option<(LogTime, usize)> {
    iso8601(s).filter(|(time, _)| time.offset.is_some())
}

/// nginx's error log: `2026/11/27 03:22:46`, in the server's zone, with an
/// optional fraction.
pub fn nginx_error(s: &[u8]) -> Option<(LogTime, usize)> {
    if s.get(4) != Some(&b'/') || s.get(7) != Some(&b'/') || s.get(10) != Some(&b' ') {
        return None;
    }
    let date = (digits_at(s, 0, 4)? as i16, digits_at(s, 5, 2)?, digits_at(s, 8, 2)?);
    let clock = clock(s, 11)?;
    let frac = fraction(s, 19, false)?;
    Some((log_time(date, clock, frac, None)?, 19 + frac.len))
}

/// Apache's error log: `Fri Nov 27 03:22:46.123456 2026` (2.4; 2.2 writes
/// no fraction), in the server's zone. The day may be space-padded
/// (`Nov  6`). The weekday is three letters, not checked against the date.
pub fn apache_error(s: &[u8]) -> Option<(LogTime, usize)> {
    if !s.get(..3)?.iter().all(u8::is_ascii_alphabetic) || s.get(3) != Some(&b' ') {
        return None;
    }
    let mo = u32::from(month_number(s.get(4..7)?)?);
    if s.get(7) != Some(&b' ') || s.get(10) != Some(&b' ') {
        return None;
    }
    let d = padded_day(s, 8)?;
    let clock = clock(s, 11)?;
    let frac = fraction(s, 19, false)?;
    let y_at = 19 + frac.len + 1;
    if s.get(y_at - 1) != Some(&b' ') {
        return None;
    }
    let y = digits_at(s, y_at, 4)? as i16;
    Some((log_time((y, mo, d), clock, frac, None)?, y_at + 4))
}

/// Two digits, or a space and a digit, at `at`.
fn padded_day(s: &[u8], at: usize) -> Option<u32> {
    match s.get(at)? {
        b' ' => digits_at(s, at + 1, 1),
        _ => digits_at(s, at, 2),
    }
}

/// A BSD syslog time (RFC 3164), which has no year: see
/// [`SyslogTime::in_year_near`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyslogTime {
    /// 1–12.
    pub month: u8,
    /// 1–31 (checked against the month once the year is known).
    pub day: u8,
    /// The clock: hours, minutes, seconds (60 for a leap second).
    pub hour: u8,
    /// See `hour`.
    pub minute: u8,
    /// See `hour`.
    pub second: u8,
    /// The fraction of a second, in nanoseconds.
    pub nanosecond: u32,
    /// How many fraction digits were written (at most 9).
    pub frac_digits: u8,
}

impl SyslogTime {
    /// The time in the latest year, at most 8 years back, where it exists
    /// (29 February) and is not more than a day ahead of `now` in `zone`
    /// (December lines read in January are last year's). `None` when no
    /// such year exists.
    pub fn in_year_near(&self, now: Timestamp, zone: &TimeZone) -> Option<LogTime> {
        let year = zone.to_datetime(now).year();
        let limit = now.saturating_add(jiff::SignedDuration::from_hours(24)).ok()?;
        let frac = Fraction { nanos: self.nanosecond, digits: self.frac_digits, len: 0 };
        let clock = (u32::from(self.hour), u32::from(self.minute), u32::from(self.second));
        for y in (year.saturating_sub(8)..=year).rev() {
            let date = (y, u32::from(self.month), u32::from(self.day));
            let Some(time) = log_time(date, clock, frac, None) else {
                continue;
            };
            match zone.to_timestamp(time.datetime) {
                Ok(t) if y < year || t <= limit => return Some(time),
                _ => {}
            }
        }
        None
    }
}

/// A BSD syslog time (RFC 3164): `Nov 27 03:22:46`, the day space-padded
/// (`Nov  7`), zero-padded or bare (`Nov 7`), with an optional fraction.
pub fn bsd_syslog(s: &[u8]) -> Option<(SyslogTime, usize)> {
    let month = month_number(s.get(..3)?)?;
    if s.get(3) != Some(&b' ') {
        return None;
    }
    let mut i = 4 + usize::from(s.get(4) == Some(&b' '));
    let day_len = s.iter().skip(i).take(3).take_while(|b| b.is_ascii_digit()).count();
    let day = match day_len {
        1 | 2 => digits_at(s, i, day_len)?,
        _ => return None,
    };
    i += day_len;
    if s.get(i) != Some(&b' ') || !(1..=31).contains(&day) {
        return None;
    }
    let (hour, minute, second) = clock(s, i + 1)?;
    let frac = fraction(s, i + 9, false)?;
    let time = SyslogTime {
        month,
        day: day as u8,
        hour: hour as u8,
        minute: minute as u8,
        second: second as u8,
        nanosecond: frac.nanos,
        frac_digits: frac.digits,
    };
    Some((time, i + 9 + frac.len))
}

/// W3C extended log (IIS): the `date` field, `2026-11-27`, and the `time`
/// field, `03:22:46`, `03:22:46.123` or `03:22`, both whole, in UTC as the
/// W3C specifies.
pub fn w3c(date: &[u8], time: &[u8]) -> Option<LogTime> {
    if date.len() != 10 || date[4] != b'-' || date[7] != b'-' {
        return None;
    }
    let date = (digits_at(date, 0, 4)? as i16, digits_at(date, 5, 2)?, digits_at(date, 8, 2)?);
    let (clock, frac) = if time.len() == 5 {
        let (h, m) = hours_minutes(time, 0)?;
        ((h, m, 0), Fraction::default())
    } else {
        let clock = clock(time, 0)?;
        let frac = fraction(time, 8, false)?;
        if time.len() != 8 + frac.len {
            return None;
        }
        (clock, frac)
    };
    log_time(date, clock, frac, Some(Offset::UTC))
}

/// An epoch time, the whole text, in UTC. An integer's unit is told by its
/// size: seconds below 10¹¹ (up to the year 5138), then milliseconds,
/// microseconds, and nanoseconds from 10¹⁷; it is read exactly. A number
/// with a fraction or an exponent is seconds (below 10¹¹), rounded to the
/// microsecond, which is what a 64-bit float keeps of such a time. How
/// large a number must be to be taken for a time is the caller's rule.
pub fn epoch(text: &[u8]) -> Option<LogTime> {
    let text = std::str::from_utf8(text).ok()?;
    let instant = match text.parse::<i128>() {
        Ok(n) => {
            let nanos = match n.unsigned_abs() {
                m if m < 100_000_000_000 => n * 1_000_000_000,
                m if m < 100_000_000_000_000 => n * 1_000_000,
                m if m < 100_000_000_000_000_000 => n * 1_000,
                _ => n,
            };
            Timestamp::from_nanosecond(nanos).ok()?
        }
        Err(_) => {
            let x: f64 = text.parse().ok()?;
            if x.is_nan() || x.abs() >= 1e11 {
                return None;
            }
            Timestamp::from_microsecond((x * 1e6).round() as i64).ok()?
        }
    };
    let datetime = Offset::UTC.to_datetime(instant);
    let frac_digits = super::group_digits(datetime.subsec_nanosecond().unsigned_abs());
    Some(LogTime {
        datetime,
        leap_second: false,
        frac_digits,
        offset: Some(Offset::UTC),
        unknown_local_offset: false,
    })
}
