//! Timestamps: every time layout the tools read, one parser each
//! ([`layouts`]), one RFC 3339 writer ([`write`]), and durations given on
//! the command line ([`parse_duration`]).
//!
//! A layout parser gives a [`LogTime`]: the civil date and time the log
//! wrote, with nanoseconds, and the UTC offset it wrote beside them, if
//! any. What a time without an offset means (the local zone, `--tz`) is the
//! caller's choice. Records carry RFC 3339 times in the log's own offset,
//! so most conversions only reorder digits: no time zone database and no
//! arithmetic, which keeps them fast and exact.
//!
//! Fractions of a second may have any number of digits; beyond nine
//! (nanoseconds), the extra digits are dropped, not rounded, so that a time
//! never moves into the next second.

mod duration;
pub mod layouts;
mod write;

pub use duration::parse_duration;
pub use write::{format_rfc3339, format_rfc3339_frac, group_digits, write_rfc3339};

use jiff::civil::DateTime;
use jiff::tz::{Offset, TimeZone};
use jiff::Timestamp;

/// A time as a log wrote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogTime {
    /// The civil date and time. A leap second (`23:59:60`) is held as the
    /// last second of its minute here, since civil times have no 60th
    /// second; [`LogTime::leap_second`] says it was one.
    pub datetime: DateTime,
    /// Whether the log wrote the seconds as `60`; the writer writes them
    /// back so.
    pub leap_second: bool,
    /// How many digits of a second's fraction the log wrote, at most 9
    /// (`0` for none); the writer writes as many.
    pub frac_digits: u8,
    /// The UTC offset written with the time, if any.
    pub offset: Option<Offset>,
    /// The offset was written as `-00:00` (or `-0000`): in RFC 3339, a time
    /// in UTC whose local offset is unknown. An [`Offset`] cannot tell it
    /// from `+00:00`; the writer writes it back as it was.
    pub unknown_local_offset: bool,
}

impl LogTime {
    /// The instant this time names: at its own offset, else in `zone` (a
    /// time in a daylight-saving gap or overlap resolved as jiff's
    /// `compatible` strategy does). `None` only beyond jiff's range
    /// (years -9999 to 9999).
    pub fn to_timestamp(&self, zone: &TimeZone) -> Option<Timestamp> {
        match self.offset {
            Some(offset) => offset.to_timestamp(self.datetime).ok(),
            None => zone.to_timestamp(self.datetime).ok(),
        }
    }

    /// The instant and the offset to show it in: its own, else `zone`'s at
    /// that instant.
    pub fn to_stamp(&self, zone: &TimeZone) -> Option<Stamp> {
        let instant = self.to_timestamp(zone)?;
        let offset = self.offset.unwrap_or_else(|| zone.to_offset(instant));
        Some(Stamp { instant, offset })
    }

    /// Appends this time as RFC 3339 at `offset` (normally its own, or the
    /// zone's for a time written without one) to `out`, with as many
    /// fraction digits as the log wrote: `2000-10-10T13:55:36.120-07:00`.
    /// The civil time is written as read, not converted to `offset`.
    pub fn write_rfc3339(&self, offset: Offset, out: &mut Vec<u8>) {
        let mut buf = [0u8; write::MAX_LEN];
        let n = write::civil(&mut buf, self, offset);
        out.extend_from_slice(&buf[..n]);
    }
}

/// A time read from a record's `ts`, with the UTC offset it was written
/// in (kept so that results can be shown in the log's own zone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// The instant.
    pub instant: Timestamp,
    /// The offset the time was written in.
    pub offset: Offset,
}

/// Reads an RFC 3339 time with its offset, such as lparse's `ts`
/// (`2026-11-27T03:22:43+01:00`, `...43.123456789012Z`): the whole text,
/// through [`layouts::rfc3339`]. The rarer ISO 8601 forms with an offset
/// (basic format `20261127T032243Z`, times without seconds, offsets in
/// hours, `[zone]` annotations) are left to jiff's ISO 8601 parser, which
/// reads them. `None` for a time without an offset, or not a time.
pub fn parse_rfc3339(s: &str) -> Option<Stamp> {
    if let Some((time, len)) = layouts::rfc3339(s.as_bytes()) {
        if len == s.len() {
            return time.to_stamp(&TimeZone::UTC);
        }
    }
    let pieces = jiff::fmt::temporal::Pieces::parse(s).ok()?;
    let offset = pieces.to_numeric_offset()?;
    let datetime = pieces.date().to_datetime(pieces.time()?);
    Some(Stamp { instant: offset.to_timestamp(datetime).ok()?, offset })
}

/// Converts a Common Log Format time, `10/Oct/2000:13:55:36 -0700` (as in
/// nginx's `$time_local` and Apache's `%t`, without the brackets), to RFC
/// 3339, `2000-10-10T13:55:36-07:00`, appended to `out`: the whole text,
/// through [`layouts::clf`]. Fractional seconds (`13:55:36.123`) keep their
/// digits (up to 9). Returns `false`, leaving `out` as it was, when the
/// text is not such a time.
pub fn clf_to_rfc3339(clf: &[u8], out: &mut Vec<u8>) -> bool {
    match layouts::clf(clf) {
        Some((time, len)) if len == clf.len() => {
            // A CLF time always has its offset.
            time.write_rfc3339(time.offset.unwrap_or(Offset::UTC), out);
            true
        }
        _ => false,
    }
}

/// [`clf_to_rfc3339`] that remembers the last time it converted: the lines
/// of an access log come in time order, many to a second, so most lines
/// repeat the time of the line before and cost a compare and a copy, and
/// most of the others differ from it in their second alone, which is
/// patched into the last result (`ClfMemo::only_second_differs`).
///
/// The conversion cost lparse 975 instructions per line (callgrind,
/// inclusive, `bench/profile.sh`'s 50,000 lines); through the memo, 558 on
/// those lines, of which 60% repeat the time before (11.6 lines a second in
/// `bench/gen_combined.py`'s log), and 116 with the patch. A busy
/// server's log repeats far more.
#[derive(Debug, Default, Clone)]
pub struct ClfMemo {
    /// The last CLF text converted, and what it became.
    clf: Vec<u8>,
    rfc3339: Vec<u8>,
}

impl ClfMemo {
    /// As [`clf_to_rfc3339`]: appends the RFC 3339 form of `clf` to `out`,
    /// or returns `false` (and appends nothing) when it is no CLF time.
    pub fn to_rfc3339(&mut self, clf: &[u8], out: &mut Vec<u8>) -> bool {
        if !self.rfc3339.is_empty() && clf == self.clf.as_slice() {
            out.extend_from_slice(&self.rfc3339);
            return true;
        }
        if self.only_second_differs(clf) {
            // Only the second differs, and any of 00 to 59 is valid in any
            // minute: the last result with its two digits replaced.
            self.clf[18..20].copy_from_slice(&clf[18..20]);
            self.rfc3339[17..19].copy_from_slice(&clf[18..20]);
            out.extend_from_slice(&self.rfc3339);
            return true;
        }
        let start = out.len();
        if !clf_to_rfc3339(clf, out) {
            return false;
        }
        self.clf.clear();
        self.clf.extend_from_slice(clf);
        self.rfc3339.clear();
        self.rfc3339.extend_from_slice(&out[start..]);
        true
    }

    /// Whether `clf` is the last time converted but for its second, which
    /// is `00` to `59`: the rest (offset and any fraction included) byte for
    /// byte the same. The last time was accepted, so its layout is
    /// `dd/Mon/yyyy:HH:MM:SS` with the second at bytes 18 and 19, and so is
    /// `clf`'s, sharing every other byte; its result has the second at
    /// bytes 17 and 18 (`yyyy-mm-ddTHH:MM:SS`). Where the second changes
    /// (11.6 lines a second in `bench/gen_combined.py`'s log, 40% of its
    /// lines), a conversion cost 557 instructions; this, a few dozen
    /// (lparse on ltail records 5,216 to 5,024 a line, `bench/profile.sh`).
    fn only_second_differs(&self, clf: &[u8]) -> bool {
        let last = self.clf.as_slice();
        !self.rfc3339.is_empty()
            && clf.len() == last.len()
            && clf.len() >= 20
            && matches!(clf[18], b'0'..=b'5')
            && clf[19].is_ascii_digit()
            && clf[..18] == last[..18]
            && clf[20..] == last[20..]
    }
}

/// The month number (1–12) of an English three-letter month name, in any
/// case.
pub fn month_number(name: &[u8]) -> Option<u8> {
    let &[a, b, c] = name else {
        return None;
    };
    // Setting bit 5 lowercases an ASCII letter; the only other byte it
    // maps onto a lowercase letter is that letter itself.
    let lower = [a | 0x20, b | 0x20, c | 0x20];
    // A match on the three bytes: 4 ns against 9 for a search through the
    // names (`bench_hand_written_against_jiff`); CLF's month is on lparse's
    // hot path.
    let n = match &lower {
        b"jan" => 1,
        b"feb" => 2,
        b"mar" => 3,
        b"apr" => 4,
        b"may" => 5,
        b"jun" => 6,
        b"jul" => 7,
        b"aug" => 8,
        b"sep" => 9,
        b"oct" => 10,
        b"nov" => 11,
        b"dec" => 12,
        _ => return None,
    };
    Some(n)
}

/// The number written in exactly `width` ASCII digits at `at` in `s`
/// (`width` at most 9); `None` when `s` is shorter or holds anything else
/// there.
#[inline]
pub fn digits_at(s: &[u8], at: usize, width: usize) -> Option<u32> {
    debug_assert!(width <= 9, "{width} digits may overflow a u32");
    let d = s.get(at..at.checked_add(width)?)?;
    let mut n = 0;
    for &c in d {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u32::from(c - b'0');
    }
    Some(n)
}

#[cfg(test)]
mod tests;
