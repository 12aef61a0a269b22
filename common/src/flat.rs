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
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
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
                Some(b'\\') => match s.get(j + 1) {
                    Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                        escaped = true;
                        j += 2;
                    }
                    Some(b'u') => {
                        escaped = true;
                        let hex = s.get(j + 2..j + 6);
                        if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                            return Err(ScanError { what: "bad \\u escape", at: j });
                        }
                        j += 6;
                    }
                    _ => return Err(ScanError { what: "bad escape", at: j }),
                },
                Some(&b) if b < 0x20 => {
                    return Err(ScanError { what: "control character in string", at: j });
                }
                Some(&b) if b >= 0x80 => {
                    let width = match b {
                        0xc2..=0xdf => 2,
                        0xe0..=0xef => 3,
                        0xf0..=0xf4 => 4,
                        _ => 0,
                    };
                    // from_utf8 on the one character rejects bad continuation
                    // bytes, overlong forms and surrogates.
                    match s.get(j..j + width) {
                        Some(c) if width > 0 && std::str::from_utf8(c).is_ok() => j += width,
                        _ => return Err(ScanError { what: "not UTF-8", at: j }),
                    }
                }
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

/// The length of the JSON number at the start of `s`, by the grammar of
/// RFC 8259: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, whatever
/// follows it; `None` when `s` does not start with one (`+1`, `.5`, `1.`,
/// `1e`). A leading zero ends the number: `01` is `0` and then `1`.
fn number_len(s: &[u8]) -> Option<usize> {
    let digits = |from: usize| from + s[from..].iter().take_while(|b| b.is_ascii_digit()).count();
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
                let mask = crate::json::special_mask(v) | crate::json::high_mask(v);
                let clean = if mask == 0 { 16 } else { mask.trailing_zeros() as usize };
                // SAFETY: the first `clean` stored bytes are plain ASCII.
                unsafe { out.set_len(out.len() + clean) };
                i += clean;
                if mask != 0 {
                    break;
                }
            }
        }
        let err = |what, at| Err(ScanError { what, at });
        match s.get(i) {
            None => return err("unterminated string", at),
            Some(b'"') => return Ok(i + 1),
            Some(b'\\') => match s.get(i + 1) {
                Some(&letter @ (b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't')) => {
                    out.push(short_escape(letter).unwrap_or(letter));
                    i += 2;
                }
                Some(b'u') => {
                    // Each `\u` of a surrogate pair is checked on its own;
                    // the decoder takes the pair at once.
                    if !s.get(i + 2..i + 6).is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                        return err("bad \\u escape", i);
                    }
                    // A pair is taken only when its second half is hex.
                    i += 2 + decode_u_escape(s, i + 2, out).unwrap_or(4);
                }
                _ => return err("bad escape", i),
            },
            Some(&b) if b < 0x20 => return err("control character in string", i),
            Some(&b) if b >= 0x80 => {
                let width = match b {
                    0xc2..=0xdf => 2,
                    0xe0..=0xef => 3,
                    0xf0..=0xf4 => 4,
                    _ => 0,
                };
                match s.get(i..i + width) {
                    Some(c) if width > 0 && std::str::from_utf8(c).is_ok() => {
                        out.extend_from_slice(c);
                        i += width;
                    }
                    _ => return err("not UTF-8", i),
                }
            }
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

    #[test]
    fn decodes_strings() {
        assert_eq!(decode_str(br#""plain""#), "plain");
        assert_eq!(decode_str(br#""a\"b\\c\/d\n\u00e9\ud83d\ude00""#), "a\"b\\c/d\né😀");
        assert_eq!(decode_str(br#""\ud800x""#), "\u{fffd}x");
    }

    proptest::proptest! {
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
