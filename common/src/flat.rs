//! A scanner for flat JSON objects, the shape of every record.
//!
//! Reading a record with serde_json (into a struct, or walking it with
//! `IgnoredAny`) cost lparse ~380 ns a line and held lcount under 3M
//! records/s; most of that went to decoding strings nobody asked for. This
//! scanner validates the object (the whole line is checked for UTF-8 once,
//! strings for escapes and control characters, numbers and literals for
//! their grammar) and hands out each field's raw key and value as slices of
//! the line. Nested objects and arrays are allowed as values; they are
//! delimited here and validated by serde_json (they are rare in records).

use std::borrow::Cow;

/// Why a line is not a JSON object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanError {
    /// What was wrong, e.g. `unterminated string`.
    pub what: &'static str,
    /// Byte offset in the line.
    pub at: usize,
}

impl std::fmt::Display for ScanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at byte {}", self.what, self.at + 1)
    }
}

impl std::error::Error for ScanError {}

/// One field of an object: its key and value as raw JSON text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field<'a> {
    /// The key's text between its quotes, still escaped.
    pub key: &'a [u8],
    /// Whether the key has escapes (so must be decoded to be compared).
    pub key_escaped: bool,
    /// The value's JSON text: a string with its quotes, a number, a literal,
    /// or a nested object or array.
    pub value: &'a [u8],
}

impl<'a> Field<'a> {
    /// Whether the key is `name` (decoding it first if it has escapes).
    #[inline]
    pub fn key_is(&self, name: &str) -> bool {
        if !self.key_escaped {
            self.key == name.as_bytes()
        } else {
            decode_str_inner(self.key).as_ref() == name
        }
    }
}

/// Iterates over the fields of one JSON object.
pub struct Fields<'a> {
    s: &'a [u8],
    i: usize,
    state: State,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    First,
    Rest,
    Done,
}

impl<'a> Fields<'a> {
    /// Starts scanning `json`, which must be a whole JSON object (surrounding
    /// whitespace allowed) in UTF-8.
    pub fn new(json: &'a [u8]) -> Result<Self, ScanError> {
        // UTF-8 is checked where it can occur: inside strings (outside them
        // the grammar admits only ASCII).
        let mut f = Fields { s: json, i: 0, state: State::First };
        f.ws();
        if f.peek() != Some(b'{') {
            return Err(f.err("expected a JSON object"));
        }
        f.i += 1;
        Ok(f)
    }

    /// The next field, `None` after the closing brace (and only whitespace
    /// after it).
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<Field<'a>>, ScanError> {
        self.ws();
        match self.state {
            State::Done => return Ok(None),
            State::First => {
                if self.peek() == Some(b'}') {
                    return self.close();
                }
            }
            State::Rest => match self.peek() {
                Some(b',') => {
                    self.i += 1;
                    self.ws();
                }
                Some(b'}') => return self.close(),
                _ => return Err(self.err("expected , or }")),
            },
        }
        self.state = State::Rest;
        if self.peek() != Some(b'"') {
            return Err(self.err("expected a field name"));
        }
        let (key, key_escaped) = self.string_escaped()?;
        self.ws();
        if self.peek() != Some(b':') {
            return Err(self.err("expected :"));
        }
        self.i += 1;
        self.ws();
        let value = self.value()?;
        Ok(Some(Field { key: &key[1..key.len() - 1], key_escaped, value }))
    }

    fn close(&mut self) -> Result<Option<Field<'a>>, ScanError> {
        self.i += 1;
        self.state = State::Done;
        self.ws();
        if self.i < self.s.len() {
            return Err(self.err("unexpected text after the object"));
        }
        Ok(None)
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn err(&self, what: &'static str) -> ScanError {
        ScanError { what, at: self.i }
    }

    #[inline]
    fn ws(&mut self) {
        self.i = skip_ws(self.s, self.i);
    }

    /// A string at `self.i` (on its opening quote); returns it with quotes.
    fn string(&mut self) -> Result<&'a [u8], ScanError> {
        self.string_escaped().map(|(s, _)| s)
    }

    /// A string, with its quotes, and whether it holds escapes.
    #[inline(always)]
    fn string_escaped(&mut self) -> Result<(&'a [u8], bool), ScanError> {
        let s = self.s;
        let start = self.i;
        let mut j = start + 1;
        let mut escaped = false;
        loop {
            j = match crate::json::find_stop::<true>(s, j) {
                Some(j) => j,
                None => return Err(ScanError { what: "unterminated string", at: start }),
            };
            match s.get(j) {
                None => return Err(ScanError { what: "unterminated string", at: start }),
                Some(b'"') => {
                    self.i = j + 1;
                    return Ok((&s[start..self.i], escaped));
                }
                Some(b'\\') => match escape_len(s, j) {
                    Ok(len) => {
                        escaped = true;
                        j += len;
                    }
                    Err(what) => return Err(ScanError { what, at: j }),
                },
                Some(&b) if b < 0x20 => {
                    return Err(ScanError { what: "control character in string", at: j });
                }
                Some(&b) if b >= 0x80 => match utf8_char_len(s, j) {
                    Some(width) => j += width,
                    None => return Err(ScanError { what: "not UTF-8", at: j }),
                },
                Some(_) => unreachable!("find_stop stops only at special bytes"),
            }
        }
    }

    #[inline(always)]
    fn value(&mut self) -> Result<&'a [u8], ScanError> {
        let start = self.i;
        match self.peek() {
            Some(b'"') => self.string(),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(b'{' | b'[') => {
                self.nested()?;
                let v = &self.s[start..self.i];
                if serde_json::from_slice::<serde::de::IgnoredAny>(v).is_err() {
                    return Err(ScanError { what: "bad nested value", at: start });
                }
                Ok(v)
            }
            _ => Err(self.err("expected a value")),
        }
    }

    fn literal(&mut self, word: &'static [u8]) -> Result<&'a [u8], ScanError> {
        if self.s[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(&self.s[self.i - word.len()..self.i])
        } else {
            Err(self.err("expected a value"))
        }
    }

    /// A number (see [`number_len`]).
    fn number(&mut self) -> Result<&'a [u8], ScanError> {
        let start = self.i;
        let len =
            number_len(&self.s[start..]).ok_or(ScanError { what: "bad number", at: start })?;
        self.i += len;
        Ok(&self.s[start..self.i])
    }

    /// Skips a nested object or array, minding strings.
    fn nested(&mut self) -> Result<(), ScanError> {
        let start = self.i;
        let mut depth = 0usize;
        while let Some(b) = self.peek() {
            match b {
                b'"' => {
                    self.string()?;
                    continue;
                }
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth -= 1;
                    if depth == 0 {
                        self.i += 1;
                        return Ok(());
                    }
                }
                _ => {}
            }
            self.i += 1;
        }
        Err(ScanError { what: "unterminated nested value", at: start })
    }
}

/// Calls `visit` with each field of the JSON object `json`, in order, as
/// [`Fields`] hands them out, and fails where and as [`Fields`] fails.
///
/// This is the way to read a whole record: one pass, in a loop that keeps
/// its place in registers, with no state kept between fields. The common
/// record is read by `visit_plain`, else by `visit_fast`; a line
/// neither can vouch for (an error, or something they do not read
/// themselves) is read again by [`Fields`], which gives the exact error.
/// On such a line `visit` sees the fields before that point again: first
/// from a fast pass, then, in the same order, from the start. A visitor
/// that keeps the last value of each key, or only notes keys, ends the
/// same either way.
///
/// Measured with callgrind on the first 50,000 lines of
/// bench/data/parsed.ndjson (`bench/profile.sh`), AMD EPYC: `lcount
/// --status 404` took 3,702 instructions a line with a loop over
/// [`Fields::next`], 3,368 with `visit_fast` alone, 2,720 with
/// `visit_plain` in front of it (and 2,124 with FieldSet's cheaper test
/// of each key and the status read as an integer).
#[inline]
pub fn for_each_field<'a>(
    json: &'a [u8],
    mut visit: impl FnMut(Field<'a>),
) -> Result<(), ScanError> {
    if visit_plain(json, &mut visit).is_some() {
        return Ok(());
    }
    // The other passes call `visit` through a pointer, so that the plain
    // pass is its only direct caller and has it inlined.
    visit_rest(json, &mut visit)
}

/// [`for_each_field`] past the plain pass.
#[inline(never)]
fn visit_rest<'a>(json: &'a [u8], visit: &mut dyn FnMut(Field<'a>)) -> Result<(), ScanError> {
    if visit_fast(json, visit).is_some() {
        return Ok(());
    }
    let mut fields = Fields::new(json)?;
    while let Some(f) = fields.next()? {
        visit(f);
    }
    Ok(())
}

/// The fastest pass of [`for_each_field`], for the commonest line: a
/// record as the tools write it (no whitespace, no nested value) whose
/// strings hold no escape, no control character and no byte above 0x7f.
/// On such a line every `"` opens or closes a string, and the strings come
/// one after the other: the line is read 64 bytes at a time into a mask of
/// its quotes ([`PlainQuotes`]), and each string takes the next two bits
/// set, so no byte of a string is looked at one by one. `Some` when every
/// field was visited, as by [`visit_fast`]; `None` at anything else (the
/// caller then reads the line by [`visit_fast`]).
#[inline(always)]
fn visit_plain<'a>(s: &'a [u8], visit: &mut impl FnMut(Field<'a>)) -> Option<()> {
    let mut quotes = PlainQuotes::new(s)?;
    if s[0] != b'{' {
        return None;
    }
    let mut i = 1;
    loop {
        // A key: the next quote must be at `i`.
        if quotes.next()? != i {
            return None;
        }
        let key_end = quotes.next()?;
        let key = &s[i + 1..key_end];
        if s.get(key_end + 1) != Some(&b':') {
            return None;
        }
        let start = key_end + 2;
        i = match *s.get(start)? {
            b'"' => {
                if quotes.next()? != start {
                    return None;
                }
                quotes.next()? + 1
            }
            b'-' | b'0'..=b'9' => start + number_len(&s[start..])?,
            b't' => literal_end(s, start, b"true")?,
            b'f' => literal_end(s, start, b"false")?,
            b'n' => literal_end(s, start, b"null")?,
            _ => return None,
        };
        visit(Field { key, key_escaped: false, value: &s[start..i] });
        match s.get(i) {
            Some(b',') => i += 1,
            // Closed, at the end, with no quote left over.
            Some(b'}') if i + 1 == s.len() => return quotes.next().is_none().then_some(()),
            _ => return None,
        }
    }
}

/// The quotes of a line, in order, found 64 bytes at a time, for
/// [`visit_plain`].
struct PlainQuotes<'a> {
    s: &'a [u8],
    /// Where the block in `mask` starts (a multiple of 64).
    base: usize,
    /// Bit `k` set when `s[base + k]` is a `"` not yet handed out.
    mask: u64,
}

impl<'a> PlainQuotes<'a> {
    /// `None` for a line shorter than one block (rare for a record, and
    /// left to the other passes) or whose first block is not plain.
    #[inline(always)]
    fn new(s: &'a [u8]) -> Option<Self> {
        if s.len() < 64 {
            return None;
        }
        Some(PlainQuotes { s, base: 0, mask: Self::block(s, 0)? })
    }

    /// The index of the next `"`; `None` when there is none left, or when
    /// a block on the way holds a `\\`, a control character or a byte
    /// above 0x7f (the line is not plain).
    #[inline(always)]
    fn next(&mut self) -> Option<usize> {
        loop {
            // Nonzero: one instruction for the lowest bit, no test for 0.
            if let Some(mask) = std::num::NonZeroU64::new(self.mask) {
                self.mask &= self.mask - 1;
                return Some(self.base + mask.trailing_zeros() as usize);
            }
            self.base += 64;
            if self.base >= self.s.len() {
                return None;
            }
            self.mask = Self::block(self.s, self.base)?;
        }
    }

    /// The quote mask of the 64 bytes of `s` from `base` (fewer at the end
    /// of the line), or `None` if they are not plain.
    #[inline(always)]
    fn block(s: &[u8], base: usize) -> Option<u64> {
        // The last block is read as the line's last 64 bytes, shifted.
        let (at, shift) =
            if base + 64 <= s.len() { (base, 0) } else { (s.len() - 64, base + 64 - s.len()) };
        // The bytes of the last block read again are checked again: a line
        // with such a byte in it is not plain wherever the byte is (outside
        // strings the plain pass admits none).
        let (quotes, plain) = block_masks(&s[at..at + 64]);
        plain.then_some(quotes >> shift)
    }
}

/// For 64 bytes: the mask of their `"` (bit `k` for byte `k`), and whether
/// none of them is a byte a plain string cannot hold (`\\`, a control
/// character, a byte above 0x7f).
#[inline(always)]
fn block_masks(b: &[u8]) -> (u64, bool) {
    assert!(b.len() >= 64);
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::*;
        // SAFETY: SSE2 is part of the x86-64 baseline; the four loads read
        // 64 bytes of `b`, which has at least that many (asserted above).
        unsafe {
            let quote = _mm_set1_epi8(b'"' as i8);
            let mut quotes = 0u64;
            let mut special = _mm_setzero_si128();
            for k in 0..4 {
                let v = _mm_loadu_si128(b.as_ptr().add(16 * k) as *const __m128i);
                let q = _mm_movemask_epi8(_mm_cmpeq_epi8(v, quote)) as u16;
                quotes |= u64::from(q) << (16 * k);
                // One signed compare for the control and the high bytes
                // (lcount --status 404: 2,123 to 2,042 instructions a
                // record, `bench/profile.sh`, against max_epu8 and a
                // movemask of the bytes themselves).
                special = _mm_or_si128(special, crate::json::unplain_bytes(v));
            }
            (quotes, _mm_movemask_epi8(special) == 0)
        }
    }
    // Never plain without SSE2: the other passes read every line.
    #[cfg(not(target_arch = "x86_64"))]
    (0, false)
}

/// The fast pass of [`for_each_field`]: `Some` when `json` is a valid
/// object and every field was visited, `None` when it cannot say (the
/// line may be invalid, or hold something read only by [`Fields`]). It
/// accepts exactly what [`Fields`] accepts, or less, and visits the same
/// fields: the fuzz target `flat_fields` and the property tests here hold
/// it to that.
///
/// What makes it cheaper than [`Fields::next`]: no state between fields,
/// no `Result` built per field, and a string's end found by
/// [`crate::json::find_stop`] without stopping at bytes above 0x7f: UTF-8
/// is checked once for the rest of the line at the first such byte (the
/// grammar admits them only inside strings, so a valid object is valid
/// UTF-8 as a whole, and a line that is not is left to [`Fields`] for the
/// error).
#[inline(always)]
fn visit_fast<'a>(s: &'a [u8], visit: &mut dyn FnMut(Field<'a>)) -> Option<()> {
    let mut utf8_checked = false;
    let mut i = skip_ws(s, 0);
    if s.get(i) != Some(&b'{') {
        return None;
    }
    i = skip_ws(s, i + 1);
    if s.get(i) == Some(&b'}') {
        return (skip_ws(s, i + 1) == s.len()).then_some(());
    }
    loop {
        if s.get(i) != Some(&b'"') {
            return None;
        }
        let (key_end, key_escaped) = string_end(s, i, &mut utf8_checked)?;
        let key = &s[i + 1..key_end - 1];
        i = skip_ws(s, key_end);
        if s.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(s, i + 1);
        let start = i;
        i = match *s.get(i)? {
            b'"' => string_end(s, i, &mut utf8_checked)?.0,
            b'-' | b'0'..=b'9' => i + number_len(&s[i..])?,
            b't' => literal_end(s, i, b"true")?,
            b'f' => literal_end(s, i, b"false")?,
            b'n' => literal_end(s, i, b"null")?,
            b'{' | b'[' => {
                // Rare in records: the scanner's own reading (strings
                // checked there, the whole by serde_json).
                let mut nested = Fields { s, i, state: State::Rest };
                nested.value().ok()?;
                nested.i
            }
            _ => return None,
        };
        visit(Field { key, key_escaped, value: &s[start..i] });
        i = skip_ws(s, i);
        match *s.get(i)? {
            b',' => i = skip_ws(s, i + 1),
            b'}' => return (skip_ws(s, i + 1) == s.len()).then_some(()),
            _ => return None,
        }
    }
}

/// The index after JSON whitespace from `i` on.
#[inline(always)]
pub(crate) fn skip_ws(s: &[u8], mut i: usize) -> usize {
    while matches!(s.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// The index after `word` at `s[i..]`, if it is there.
#[inline(always)]
fn literal_end(s: &[u8], i: usize, word: &[u8]) -> Option<usize> {
    s[i..].starts_with(word).then_some(i + word.len())
}

/// For the string whose opening quote is at `s[i]`: the index after its
/// closing quote, and whether it holds escapes; `None` when it is not a
/// valid string by the rules of [`Fields`] (or, at its first byte above
/// 0x7f, when the rest of `s` is not UTF-8: see [`visit_fast`]).
#[inline(always)]
fn string_end(s: &[u8], i: usize, utf8_checked: &mut bool) -> Option<(usize, bool)> {
    let mut j = i + 1;
    let mut escaped = false;
    loop {
        j = if *utf8_checked {
            crate::json::find_stop::<false>(s, j)?
        } else {
            crate::json::find_stop::<true>(s, j)?
        };
        match s[j] {
            b'"' => return Some((j + 1, escaped)),
            b'\\' => {
                escaped = true;
                j += escape_len(s, j).ok()?;
            }
            b if b >= 0x80 => {
                // Everything before `j` is UTF-8 ending at a character's
                // end: ASCII (strings stopped at every byte above 0x7f until
                // now, and outside them the grammar admits none) or nested
                // values, whose strings the scanner checked character by
                // character. So the rest is UTF-8 if and only if `s` is.
                std::str::from_utf8(&s[j..]).ok()?;
                *utf8_checked = true;
            }
            _ => return None, // a control character
        }
    }
}

/// The length of the JSON number at the start of `s`, by the grammar of
/// RFC 8259: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, whatever
/// follows it; `None` when `s` does not start with one (`+1`, `.5`, `1.`,
/// `1e`). A leading zero ends the number: `01` is `0` and then `1`.
#[inline]
fn number_len(s: &[u8]) -> Option<usize> {
    let digits = |from: usize| {
        // Eight bytes at a time: a record's numbers are short, and followed
        // by at least a `}`.
        let mut at = from;
        while let Some(word) = s.get(at..at + 8) {
            let w = u64::from_le_bytes(word.try_into().expect("8 bytes"));
            let others = non_digits(w);
            if others != 0 {
                return at + (others.trailing_zeros() / 8) as usize;
            }
            at += 8;
        }
        at + s[at..].iter().take_while(|b| b.is_ascii_digit()).count()
    };
    let mut i = usize::from(s.first() == Some(&b'-'));
    i = match s.get(i)? {
        b'0' => i + 1,
        b'1'..=b'9' => digits(i),
        _ => return None,
    };
    if s.get(i) == Some(&b'.') {
        let end = digits(i + 1);
        if end == i + 1 {
            return None;
        }
        i = end;
    }
    if matches!(s.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(s.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let end = digits(i);
        if end == i {
            return None;
        }
        i = end;
    }
    Some(i)
}

/// The top bit of each byte of `w` (eight bytes, the first the lowest)
/// that is not an ASCII digit, exact up to the first such byte: below 0x30
/// the subtraction borrows into the top bit, above 0x39 the addition
/// carries into it, and digits do neither, so nothing crosses into a byte
/// from the digits before it. For [`number_len`]: lcount --status 404 went
/// from 2,042 to 2,014 instructions a record (`bench/profile.sh`).
#[inline(always)]
fn non_digits(w: u64) -> u64 {
    (w.wrapping_sub(0x3030_3030_3030_3030) | w.wrapping_add(0x4646_4646_4646_4646))
        & 0x8080_8080_8080_8080
}

/// Whether `s` is, as a whole, a JSON number by the grammar of RFC 8259
/// (the grammar the scanner reads numbers with): no `+`, leading zero, bare
/// `.` or surrounding space. The grammar has no bound: `1e400` is a number
/// here, beyond what a double holds.
pub fn is_json_number(s: &[u8]) -> bool {
    number_len(s) == Some(s.len())
}

/// Decodes a JSON string value (with its quotes, as [`Field::value`] gives
/// it) to text. Borrows when there is nothing to unescape.
pub fn decode_str(value: &[u8]) -> Cow<'_, str> {
    decode_str_inner(&value[1..value.len() - 1])
}

/// Decodes a JSON string value (with its quotes) into `out`, as bytes.
pub fn decode_str_into(value: &[u8], out: &mut Vec<u8>) {
    out.clear();
    unescape_into(&value[1..value.len() - 1], out);
}

/// The escape whose backslash is at `s[at]`, by JSON's grammar: its length
/// (2 for `\n` and the other one-letter escapes, 6 for `\uXXXX`), or why it
/// is none. The one rule of the scanner, the record reader and the decoder.
#[inline(always)]
fn escape_len(s: &[u8], at: usize) -> Result<usize, &'static str> {
    match s.get(at + 1) {
        Some(b'u')
            if s.get(at + 2..at + 6).is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) =>
        {
            Ok(6)
        }
        Some(b'u') => Err("bad \\u escape"),
        Some(&letter) if short_escape(letter).is_some() => Ok(2),
        _ => Err("bad escape"),
    }
}

/// The length of the UTF-8 character that starts at `s[at]` (a byte of
/// 0x80 or above), or `None` when no valid one does: `from_utf8` on the one
/// character rejects bad continuation bytes, overlong forms and surrogates.
#[inline]
fn utf8_char_len(s: &[u8], at: usize) -> Option<usize> {
    let width = match s[at] {
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return None,
    };
    s.get(at..at + width).filter(|c| std::str::from_utf8(c).is_ok()).map(|_| width)
}

/// Validates the JSON string whose opening quote is at `s[at]`, by the rules
/// of [`Fields`] (escapes, no control characters, UTF-8), and appends its
/// decoded bytes to `out`, as [`decode_str_into`] would give them; returns
/// the index just after its closing quote.
///
/// One pass instead of the scanner's and the decoder's two, 16 bytes at a
/// time (each block stored into `out` before it is checked, as
/// [`crate::json::push_str`] does): the line of an ltail record is the one
/// long string lparse reads, and reading ltail's records through this
/// ([`crate::record::LineRecord::parse_into`]) took lparse on them from
/// 6,766 to 6,032 instructions per line (`bench/profile.sh`).
///
/// # Errors
/// The string is unterminated or breaks a rule; `out` then holds part of it.
pub fn decode_string(s: &[u8], at: usize, out: &mut Vec<u8>) -> Result<usize, ScanError> {
    debug_assert_eq!(s.get(at), Some(&b'"'));
    let mut i = at + 1;
    // Decoding never lengthens: room for the rest, and 16 bytes of slack
    // for a block stored past the string's end.
    out.reserve(s.len().saturating_sub(i) + 16);
    loop {
        #[cfg(target_arch = "x86_64")]
        {
            while i + 16 <= s.len() {
                // Room: the reserve above, `out` having grown by at most the
                // bytes read since.
                let v = crate::json::stage_block(s, i, out, 0);
                let mask = crate::json::stop_mask::<true>(v);
                let clean = if mask == 0 { 16 } else { mask.trailing_zeros() as usize };
                // SAFETY: the first `clean` stored bytes are plain ASCII.
                unsafe { out.set_len(out.len() + clean) };
                i += clean;
                if mask == 0 {
                    continue;
                }
                // `\"` and `\\`, the escapes of a log line's quotes and
                // backslashes, are undone without leaving the block loop;
                // with the last block read again below, 5,746 to 5,653
                // instructions a line of lparse on ltail records
                // (`bench/profile.sh`).
                match (s[i], s.get(i + 1)) {
                    (b'\\', Some(&letter @ (b'"' | b'\\'))) => {
                        out.push(letter);
                        i += 2;
                    }
                    _ => break,
                }
            }
            // Under 16 bytes left: the last 16 of `s` read again, and the
            // plain bytes before the next special one copied at once, not
            // one by one through the `match` below.
            if i + 16 > s.len() && s.len() >= 16 && i < s.len() {
                let back = 16 - (s.len() - i);
                let v = crate::json::load_block(s, s.len() - 16);
                let mask = crate::json::stop_mask::<true>(v) >> back;
                let clean = if mask == 0 { s.len() - i } else { mask.trailing_zeros() as usize };
                out.extend_from_slice(&s[i..i + clean]);
                i += clean;
            }
        }
        let err = |what, at| Err(ScanError { what, at });
        match s.get(i) {
            None => return err("unterminated string", at),
            Some(b'"') => return Ok(i + 1),
            Some(b'\\') => match escape_len(s, i) {
                Err(what) => return err(what, i),
                // Each `\u` of a surrogate pair is checked on its own; the
                // decoder takes the pair at once, only when its second half
                // is hex.
                Ok(6) => i += 2 + decode_u_escape(s, i + 2, out).unwrap_or(4),
                Ok(_) => {
                    let letter = s[i + 1];
                    out.push(short_escape(letter).unwrap_or(letter));
                    i += 2;
                }
            },
            Some(&b) if b < 0x20 => return err("control character in string", i),
            Some(&b) if b >= 0x80 => match utf8_char_len(s, i) {
                Some(width) => {
                    out.extend_from_slice(&s[i..i + width]);
                    i += width;
                }
                None => return err("not UTF-8", i),
            },
            Some(&b) => {
                out.push(b);
                i += 1;
            }
        }
    }
}

/// Decodes the inside of a JSON string that the scanner has validated.
fn decode_str_inner(inner: &[u8]) -> Cow<'_, str> {
    if memchr::memchr(b'\\', inner).is_none() {
        return String::from_utf8_lossy(inner);
    }
    let mut out = Vec::with_capacity(inner.len());
    unescape_into(inner, &mut out);
    match String::from_utf8(out) {
        Ok(s) => Cow::Owned(s),
        Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

/// The byte a one-letter JSON escape stands for (`n` for `\\n` is a line
/// feed; `"`, `\\` and `/` themselves); `None` for a letter that is no
/// JSON escape (`u` is four hex digits: [`decode_u_escape`]).
pub fn short_escape(letter: u8) -> Option<u8> {
    Some(match letter {
        b'"' | b'\\' | b'/' => letter,
        b'b' => 8,
        b'f' => 12,
        b'n' => b'\n',
        b'r' => b'\r',
        b't' => b'\t',
        _ => return None,
    })
}

/// The value of the four hex digits at `s[at..]`, if they are that.
fn hex4(s: &[u8], at: usize) -> Option<u32> {
    let h = s.get(at..at + 4)?;
    h.iter().try_fold(0u32, |n, &c| Some(n * 16 + (c as char).to_digit(16)?))
}

/// Decodes the `\u` escape whose four hex digits start at `s[at]` (the
/// `\u` before them already read), with the low surrogate's `\uXXXX` right
/// after it when it is a high one, into `out` as UTF-8; a lone surrogate
/// becomes U+FFFD. Returns how many bytes from `at` it took (4 or 10);
/// `None` when the four bytes at `at` are not hex digits.
pub fn decode_u_escape(s: &[u8], at: usize, out: &mut Vec<u8>) -> Option<usize> {
    let hi = hex4(s, at)?;
    let mut took = 4;
    let c = if (0xd800..0xdc00).contains(&hi) && s.get(at + 4..at + 6) == Some(b"\\u") {
        match hex4(s, at + 6) {
            Some(lo) if (0xdc00..0xe000).contains(&lo) => {
                took = 10;
                char::from_u32(0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00))
            }
            _ => None,
        }
    } else {
        char::from_u32(hi)
    };
    let mut utf8 = [0; 4];
    out.extend_from_slice(c.unwrap_or('\u{fffd}').encode_utf8(&mut utf8).as_bytes());
    Some(took)
}

/// Appends the unescaped inside of a validated JSON string to `out`. A lone
/// surrogate escape becomes U+FFFD.
///
/// 16 bytes at a time, each block stored into `out` before it is searched
/// for a backslash, as [`crate::json::push_str`] does: a log line in an
/// ltail record (a few `\"` in 200 bytes) costs a handful of block steps
/// rather than a `memchr` and a `memcpy` per escape (lparse's figures are
/// with [`crate::json::Object::key`]).
fn unescape_into(inner: &[u8], out: &mut Vec<u8>) {
    // Unescaping never lengthens: this reserve, with 16 bytes of slack for
    // the last block's store, holds the whole result.
    out.reserve(inner.len() + 16);
    let mut i = 0;
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::*;
        while i + 16 <= inner.len() {
            // Room: the reserve above, `out` having grown by at most the
            // `i` bytes read.
            let v = crate::json::stage_block(inner, i, out, 0);
            // SAFETY: SSE2 is part of the x86-64 baseline; no memory is
            // touched.
            let mask = unsafe { _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8))) };
            if mask == 0 {
                // SAFETY: the 16 bytes were stored above.
                unsafe { out.set_len(out.len() + 16) };
                i += 16;
            } else {
                let clean = mask.trailing_zeros() as usize;
                // SAFETY: the first `clean` of the 16 stored bytes are the
                // input's own, with no escape among them.
                unsafe { out.set_len(out.len() + clean) };
                i = unescape_one(inner, i + clean, out);
            }
        }
    }
    while let Some(k) = memchr::memchr(b'\\', &inner[i..]) {
        out.extend_from_slice(&inner[i..i + k]);
        i = unescape_one(inner, i + k, out);
    }
    out.extend_from_slice(&inner[i..]);
}

/// Decodes the escape at `inner[at]` (a backslash, in a validated string)
/// into `out`; returns the index after it.
#[inline(always)]
fn unescape_one(inner: &[u8], at: usize, out: &mut Vec<u8>) -> usize {
    let esc = inner.get(at + 1).copied().unwrap_or(b'\\');
    if esc == b'u' {
        // Validated: four hex digits follow (else U+FFFD, skipped).
        let took = decode_u_escape(inner, at + 2, out).unwrap_or_else(|| {
            out.extend_from_slice("\u{fffd}".as_bytes());
            4
        });
        return (at + 2 + took).min(inner.len());
    }
    // Validated: one of JSON's one-letter escapes.
    out.push(short_escape(esc).unwrap_or(esc));
    (at + 2).min(inner.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::Strategy as _;

    fn scan(json: &str) -> Result<Vec<(String, String)>, ScanError> {
        let mut f = Fields::new(json.as_bytes())?;
        let mut v = Vec::new();
        while let Some(field) = f.next()? {
            v.push((
                String::from_utf8(field.key.to_vec()).unwrap(),
                String::from_utf8(field.value.to_vec()).unwrap(),
            ));
        }
        Ok(v)
    }

    #[test]
    fn scans_fields() {
        let got =
            scan(r#" { "a" : 1 , "b":"x\"y", "c":[1,{"d":"]"}], "e":null,"f":-0.5e+3 } "#).unwrap();
        let want = [
            ("a", "1"),
            ("b", r#""x\"y""#),
            ("c", r#"[1,{"d":"]"}]"#),
            ("e", "null"),
            ("f", "-0.5e+3"),
        ];
        assert_eq!(got, want.map(|(k, v)| (k.to_string(), v.to_string())));
        assert_eq!(scan("{}").unwrap(), vec![]);
    }

    #[test]
    fn rejects_invalid_json() {
        for bad in [
            "",
            "[]",
            "{",
            "{\"a\"}",
            "{\"a\":}",
            "{\"a\":1,}",
            "{\"a\":1} x",
            "{\"a\":01}",
            "{\"a\":1.}",
            "{\"a\":tru}",
            "{\"a\":\"\\x\"}",
            "{\"a\":\"\t\"}",
            "{\"a\":[1,,2]}",
            "{\"a\":\"\\u12\"}",
            "{a:1}",
            "{\"a\":1 \"b\":2}",
            "{\"a\":\"x}",
            "{\"a\":[1}",
        ] {
            assert!(scan(bad).is_err(), "{bad:?}");
        }
        let bad_utf8: [&[u8]; 5] = [
            b"{\"a\":\"\xff\"}",
            b"{\"a\":\"\xc3(\"}",
            b"{\"\xe9\":1}",
            b"{\"a\":\"\xed\xa0\x80\"}",
            b"{\"a\":1}\xa0",
        ];
        for bad in bad_utf8 {
            let all = || -> Result<(), ScanError> {
                let mut f = Fields::new(bad)?;
                while f.next()?.is_some() {}
                Ok(())
            };
            assert!(all().is_err(), "{bad:?}");
        }
        assert_eq!(scan("{\"é\":\"ü€😀\"}").unwrap(), vec![("é".into(), "\"ü€😀\"".into())]);
    }

    #[test]
    fn json_numbers_by_the_grammar() {
        for good in ["0", "-0", "12", "-12.50", "1e5", "1E-5", "2.5e+10", "1e400", "0.0e0"] {
            assert!(is_json_number(good.as_bytes()), "{good}");
        }
        for bad in
            ["", "-", "01", "-01", "+1", ".5", "1.", "1.e5", "1e", "1e+", " 1", "1 ", "0x1", "1-"]
        {
            assert!(!is_json_number(bad.as_bytes()), "{bad:?}");
        }
    }

    /// Every byte value at every place of a word, after digits and before
    /// bytes that borrow or carry (0x00, 0xff): the first non-digit found
    /// is that byte; and numbers of every length from 1 to 20 digits
    /// followed by each byte are measured as the digits alone.
    #[test]
    fn non_digits_finds_the_first_byte_that_is_no_digit() {
        for b in 0..=255u8 {
            for p in 0..8 {
                for after in [0x00, 0xff, 0x2f, 0x3a, 0xba] {
                    let mut word = [after; 8];
                    for (i, w) in word.iter_mut().enumerate().take(p) {
                        *w = b'0' + (i as u8 * 7 % 10);
                    }
                    word[p] = b;
                    let found = non_digits(u64::from_le_bytes(word));
                    let want = if b.is_ascii_digit() {
                        word.iter().position(|c| !c.is_ascii_digit())
                    } else {
                        Some(p)
                    };
                    assert_eq!(
                        want.map(|at| at as u32),
                        (found != 0).then(|| found.trailing_zeros() / 8)
                    );
                }
            }
        }
        for len in 1..=20 {
            for b in 0..=255u8 {
                let mut s: Vec<u8> = (0..len).map(|i| b'1' + (i % 9) as u8).collect();
                s.push(b);
                s.extend_from_slice(b",\"x\":1}");
                let want = if b.is_ascii_digit() { len + 1 } else { len };
                let want = (!matches!(b, b'.' | b'e' | b'E')).then_some(want);
                assert_eq!(number_len(&s), want, "{len} digits, then {b:#x}");
            }
        }
    }

    #[test]
    fn decodes_strings() {
        assert_eq!(decode_str(br#""plain""#), "plain");
        assert_eq!(decode_str(br#""a\"b\\c\/d\n\u00e9\ud83d\ude00""#), "a\"b\\c/d\né😀");
        assert_eq!(decode_str(br#""\ud800x""#), "\u{fffd}x");
    }

    /// Every field as [`Fields`] reads `json`, or its error.
    fn reference(json: &[u8]) -> Result<Vec<Field<'_>>, ScanError> {
        let mut f = Fields::new(json)?;
        let mut v = Vec::new();
        while let Some(field) = f.next()? {
            v.push(field);
        }
        Ok(v)
    }

    /// Holds each pass of [`for_each_field`] to [`Fields`] on `json`: a pass
    /// that vouches for a line visited exactly the fields [`Fields`] reads;
    /// the whole fails with the same error, or visits those fields last
    /// (after a prefix of them, from a pass that handed the line on).
    fn check_passes(json: &[u8]) {
        let want = reference(json);
        let mut got = Vec::new();
        if visit_plain(json, &mut |f| got.push(f)).is_some() {
            assert_eq!(
                Ok(&got),
                want.as_ref(),
                "plain pass on {:?}",
                String::from_utf8_lossy(json)
            );
        }
        got.clear();
        if visit_fast(json, &mut |f| got.push(f)).is_some() {
            assert_eq!(Ok(&got), want.as_ref(), "fast pass on {:?}", String::from_utf8_lossy(json));
        }
        got.clear();
        let result = for_each_field(json, |f| got.push(f));
        match &want {
            Err(e) => assert_eq!(result, Err(*e), "{:?}", String::from_utf8_lossy(json)),
            Ok(fields) => {
                assert_eq!(result, Ok(()));
                let (before, last) = got.split_at(got.len() - fields.len());
                assert_eq!(last, &fields[..], "{:?}", String::from_utf8_lossy(json));
                assert!(fields.starts_with(before), "{:?}", String::from_utf8_lossy(json));
            }
        }
    }

    /// A record as lparse writes one, longer than two blocks of the plain
    /// pass.
    const RECORD: &str = r#"{"src":"bench/data/combined-1m.log","ts":"2026-10-10T00:00:00+02:00","client":"172.217.90.33","method":"GET","path":"/blog/2026/08/ipv6-in-2026","proto":"HTTP/1.0","status":200,"bytes":29826,"referer":"https://www.example.com/search?q=caf%C3%A9&page=3","ua":"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)","fmt":"combined","ok":true,"no":false,"x":null,"rt":-0.5e-3}"#;

    #[test]
    fn every_pass_reads_a_record_as_the_scanner_does() {
        check_passes(RECORD.as_bytes());
        let mut got = Vec::new();
        assert!(visit_plain(RECORD.as_bytes(), &mut |f| got.push(f)).is_some());
        assert_eq!(got.len(), 15);
        assert_eq!((got[6].key, got[6].value), (&b"status"[..], &b"200"[..]));
        assert_eq!(got[14].value, b"-0.5e-3");
        // Each byte of the record in turn replaced by one that matters to
        // one pass or another: at every place in a block, at the block
        // boundaries and in the last block, read twice.
        let swaps: &[&[u8]] = &[
            b"\"",
            b"\\",
            b"\\\"",
            b"\\u00e9",
            b"\\u00",
            b"{",
            b"}",
            b"[1,{\"a\":\"]\"}]",
            b",",
            b":",
            b" ",
            b"\n",
            b"\x00",
            b"\x01",
            b"\x1f",
            b"\x7f",
            b"\x80",
            b"\xc3\xa9",
            b"\xc3",
            b"\xff",
            b"\xed\xa0\x80",
            b"0",
            b"01",
            b"-",
            b"1e",
            b"1.5",
            b"",
            b"tru",
            b"null",
        ];
        let line = RECORD.as_bytes();
        for at in 0..line.len() {
            for swap in swaps {
                let mutated = [&line[..at], swap, &line[at + 1..]].concat();
                check_passes(&mutated);
                let inserted = [&line[..at], swap, &line[at..]].concat();
                check_passes(&inserted);
            }
        }
        // Lengths around one block, and text after the object.
        for n in 40..140 {
            let line = format!(r#"{{"k":"{}","n":1}}"#, "a".repeat(n));
            check_passes(line.as_bytes());
            check_passes(format!("{line} ").as_bytes());
            check_passes(format!("{line}x").as_bytes());
            check_passes(format!("{line}\"").as_bytes());
        }
    }

    proptest::proptest! {
        /// Every pass agrees with the scanner on records of strings of any
        /// text (escaped by serde_json), numbers and literals, long enough
        /// for the plain pass, with a byte changed anywhere.
        #[test]
        fn every_pass_agrees_with_the_scanner(
            map in proptest::collection::btree_map("[a-z_]{1,8}", "(?s).{0,40}", 1..12),
            numbers in proptest::collection::vec(-1e6f64..1e6, 0..3),
            change in proptest::option::of((0usize..1000, proptest::num::u8::ANY)),
        ) {
            let mut json = serde_json::to_string(&map).unwrap();
            json.pop();
            for (k, n) in numbers.iter().enumerate() {
                json.push_str(&format!(",\"n{k}\":{n}"));
            }
            json.push('}');
            let mut line = json.into_bytes();
            check_passes(&line);
            if let Some((at, byte)) = change {
                let at = at % line.len();
                line[at] = byte;
                check_passes(&line);
            }
        }

        /// The number grammar agrees with serde_json's on any short text
        /// of number characters, where serde_json reads the number (it
        /// refuses numbers beyond a double, which the grammar allows).
        #[test]
        fn number_grammar_agrees_with_serde_json(s in "[-+0-9.eE]{1,12}") {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(&s) {
                proptest::prop_assert_eq!(is_json_number(s.as_bytes()), v.is_number(), "{}", s);
            } else if !s.contains(['e', 'E']) {
                proptest::prop_assert!(!is_json_number(s.as_bytes()), "{}", s);
            }
        }

        /// Agrees with serde_json on what is an object, and on string values.
        #[test]
        fn agrees_with_serde_json(map in proptest::collection::btree_map("(?s).{0,8}", "(?s).{0,16}", 0..6),
                                  junk in "[ -~]{0,12}") {
            let json = serde_json::to_string(&map).unwrap();
            let mut f = Fields::new(json.as_bytes()).unwrap();
            let mut got = std::collections::BTreeMap::new();
            while let Some(field) = f.next().unwrap() {
                got.insert(decode_str_inner(field.key).into_owned(), decode_str(field.value).into_owned());
            }
            proptest::prop_assert_eq!(got, map);
            let ours = scan(&junk).is_ok();
            let theirs = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&junk).is_ok();
            proptest::prop_assert_eq!(ours, theirs, "{:?}", junk);
        }

        /// The block decoder gives what serde_json reads from the same
        /// string, whatever the escapes (every short one, `\u` with and
        /// without surrogate pairs, `\/`) and wherever they fall against
        /// the 16-byte blocks.
        #[test]
        fn decodes_like_serde_json(pieces in proptest::collection::vec(
            proptest::prop_oneof![
                "[ -~]{0,40}".prop_map(|s| s.replace(['"', '\\'], "")),
                "(?s).{0,3}".prop_map(|s| {
                    let json = serde_json::to_string(&s).unwrap();
                    json[1..json.len() - 1].to_string()
                }),
                proptest::prop_oneof![
                    proptest::strategy::Just(r"\/".to_string()),
                    proptest::strategy::Just(r"\ud83d\ude00".to_string()),
                    proptest::strategy::Just(r"\u00e9".to_string()),
                    proptest::strategy::Just(r"\\".to_string()),
                    proptest::strategy::Just(r#"\""#.to_string()),
                ],
            ],
            0..12,
        )) {
            let json = format!("\"{}\"", pieces.concat());
            let want: String = serde_json::from_str(&json).unwrap();
            let mut got = b"kept".to_vec();
            got.clear();
            decode_str_into(json.as_bytes(), &mut got);
            proptest::prop_assert_eq!(String::from_utf8(got).unwrap(), want);
        }
    }
}
