//! The RFC 3339 writer: `2026-11-27T03:22:43.123+01:00`, in whatever
//! offset it is given (the log's own, as records keep it), every field at
//! its fixed width. Every time the tools write goes through [`write`].

use super::LogTime;
use jiff::civil::DateTime;
use jiff::tz::Offset;
use jiff::Timestamp;

/// The buffer size of the writer: the longest time is 35 bytes
/// (`2026-11-27T03:22:43.123456789+01:00`).
pub(super) const MAX_LEN: usize = 40;

/// `00` to `99`, two bytes each: copying a field's pair instead of dividing
/// by ten for each digit takes a time from 15 to 11 ns (`write_rfc3339` in
/// `bench_hand_written_against_jiff`, AMD EPYC, shared).
const PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// `v`'s last `width` decimal digits into `buf` at `at`, zero-padded.
#[inline]
fn put(buf: &mut [u8], at: usize, mut v: u32, width: usize) {
    let digits = &mut buf[at..at + width];
    let mut k = width;
    while k >= 2 {
        let pair = (v % 100) as usize * 2;
        digits[k - 2..k].copy_from_slice(&PAIRS[pair..pair + 2]);
        v /= 100;
        k -= 2;
    }
    if k == 1 {
        digits[0] = b'0' + (v % 10) as u8;
    }
}

/// Writes `dt` with the given seconds (60 for a leap second) and
/// `frac_digits` digits of its fraction (0 to 9; none when 0), then
/// `offset` as `±hh:mm` (seconds of an offset, as in old local mean times,
/// are dropped). Years outside 0–9999, which RFC 3339 cannot write, are
/// clamped. Returns the length written.
fn write(
    buf: &mut [u8; MAX_LEN],
    dt: DateTime,
    second: u32,
    frac_digits: u8,
    offset: Offset,
    minus_zero: bool,
) -> usize {
    put(buf, 0, dt.year().clamp(0, 9999) as u32, 4);
    buf[4] = b'-';
    put(buf, 5, dt.month() as u32, 2);
    buf[7] = b'-';
    put(buf, 8, dt.day() as u32, 2);
    buf[10] = b'T';
    put(buf, 11, dt.hour() as u32, 2);
    buf[13] = b':';
    put(buf, 14, dt.minute() as u32, 2);
    buf[16] = b':';
    put(buf, 17, second, 2);
    let mut n = 19;
    let digits = usize::from(frac_digits.min(9));
    if digits > 0 {
        buf[n] = b'.';
        let nanos = dt.subsec_nanosecond().unsigned_abs();
        put(buf, n + 1, nanos / 10u32.pow(9 - digits as u32), digits);
        n += 1 + digits;
    }
    let secs = offset.seconds();
    buf[n] = if secs < 0 || (secs == 0 && minus_zero) { b'-' } else { b'+' };
    let abs = secs.unsigned_abs();
    put(buf, n + 1, abs / 3600, 2);
    buf[n + 3] = b':';
    put(buf, n + 4, abs % 3600 / 60, 2);
    n + 6
}

/// Writes a [`LogTime`] with the seconds and fraction digits the log wrote.
pub(super) fn civil(buf: &mut [u8; MAX_LEN], time: &LogTime, offset: Offset) -> usize {
    let second = if time.leap_second { 60 } else { time.datetime.second() as u32 };
    // `-00:00` stays so only at the offset it was written with.
    let minus_zero = time.unknown_local_offset && offset.seconds() == 0;
    write(buf, time.datetime, second, time.frac_digits, offset, minus_zero)
}

/// The fraction digits that show `nanos` in groups of three: 0 for none,
/// 3 for whole milliseconds, 6 for whole microseconds, else 9.
pub fn group_digits(nanos: u32) -> u8 {
    match nanos {
        0 => 0,
        n if n % 1_000_000 == 0 => 3,
        n if n % 1_000 == 0 => 6,
        _ => 9,
    }
}

/// Writes a civil time and its offset as RFC 3339 into `buf`, with the
/// fraction of a second in groups of three digits when there is one
/// ([`group_digits`]). Returns the length written (at most 35 bytes).
pub fn write_rfc3339(buf: &mut [u8; MAX_LEN], dt: DateTime, offset: Offset) -> usize {
    let digits = group_digits(dt.subsec_nanosecond().unsigned_abs());
    write(buf, dt, dt.second() as u32, digits, offset, false)
}

fn format(instant: Timestamp, offset: Offset, with_fraction: bool) -> String {
    let dt = offset.to_datetime(instant);
    // The civil time's fraction: an instant's is negative before 1970.
    let digits =
        if with_fraction { group_digits(dt.subsec_nanosecond().unsigned_abs()) } else { 0 };
    let mut buf = [0u8; MAX_LEN];
    let n = write(&mut buf, dt, dt.second() as u32, digits, offset, false);
    buf[..n].iter().map(|&b| char::from(b)).collect()
}

/// Writes an instant as RFC 3339 in the given offset, with whole seconds
/// (`2026-11-27T03:22:00+01:00`), the form lcount writes for buckets.
pub fn format_rfc3339(instant: Timestamp, offset: Offset) -> String {
    format(instant, offset, false)
}

/// Like [`format_rfc3339`], with the fraction of a second when there is
/// one, in groups of three digits (`.123`, `.123456`).
pub fn format_rfc3339_frac(instant: Timestamp, offset: Offset) -> String {
    format(instant, offset, true)
}
