//! The field helpers every format shares: a cursor over a line's bytes,
//! quoted fields and the servers' escapes, request lines, integers, numbers
//! that may be written as JSON numbers, and the servers' escaped values
//! written unescaped (a string field is written by `Object::bytes`: as text,
//! or with its `_b64` twin when its bytes are not UTF-8, docs/records.md).
//!
//! This module knows no format: the formats depend on it, never the other
//! way round.

use logkit_common::flat;
use logkit_common::json::Object;
use logkit_common::record as f;

/// A byte cursor over a line: `s[i..]` is what is left to read.
///
/// Methods that can fail take the reason to give (`what`), so that each
/// format words its own errors.
pub struct Cursor<'a> {
    /// The whole line.
    pub s: &'a [u8],
    /// The index of the next byte to read.
    pub i: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `s`.
    pub fn new(s: &'a [u8]) -> Self {
        Cursor { s, i: 0 }
    }

    /// What is left of the line.
    pub fn rest(&self) -> &'a [u8] {
        &self.s[self.i..]
    }

    /// Whether the whole line has been read.
    pub fn at_end(&self) -> bool {
        self.i >= self.s.len()
    }

    /// Consumes `lit` if the rest starts with it.
    pub fn eat(&mut self, lit: &[u8]) -> bool {
        if self.rest().starts_with(lit) {
            self.i += lit.len();
            true
        } else {
            false
        }
    }

    /// The bytes up to the next `b`, consuming them and `b`; `None` (and
    /// nothing consumed) when there is no `b`.
    pub fn until(&mut self, b: u8) -> Option<&'a [u8]> {
        let rest = self.rest();
        let k = memchr::memchr(b, rest)?;
        self.i += k + 1;
        Some(&rest[..k])
    }

    /// A run of digits as a number ([`uint`]); nothing consumed on `None`.
    pub fn number(&mut self) -> Option<u64> {
        let rest = self.rest();
        let n = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        let v = uint(&rest[..n])?;
        self.i += n;
        Some(v)
    }

    /// A token up to the next space or the end (at least one byte), not
    /// consuming the space.
    pub fn token(&mut self, what: &'static str) -> Result<&'a [u8], &'static str> {
        let rest = self.rest();
        let end = find_byte(b' ', rest).unwrap_or(rest.len());
        if end == 0 {
            return Err(what);
        }
        self.i += end;
        Ok(&rest[..end])
    }

    /// One space.
    pub fn space(&mut self, what: &'static str) -> Result<(), &'static str> {
        if self.eat(b" ") {
            Ok(())
        } else {
            Err(what)
        }
    }

    /// `[...]`, returning what is inside (which holds no `]`).
    pub fn bracketed(&mut self, what: &'static str) -> Result<&'a [u8], &'static str> {
        if !self.eat(b"[") {
            return Err(what);
        }
        self.until(b']').ok_or(what)
    }

    /// `"..."`, returning what is inside, still escaped (see
    /// [`closing_quote`]), and whether it holds a backslash (then it has
    /// escapes to undo): the search for the closing quote sees them anyway.
    pub fn quoted(&mut self, what: &'static str) -> Result<(&'a [u8], bool), &'static str> {
        if self.s.get(self.i) != Some(&b'"') {
            return Err(what);
        }
        let inside = &self.s[self.i + 1..];
        let (end, backslash) = closing_quote_noting(inside).ok_or("unterminated quoted field")?;
        self.i += end + 2;
        Ok((&inside[..end], backslash))
    }
}

/// The index of the first `b` in `s`, for the short distances between the
/// separators of a log line (a client address, a status, the `]` of a
/// time): a plain loop over the first 16 bytes, then `memchr` for the rest.
/// A call to `memchr` costs some 60 instructions before it looks at a byte,
/// more than the loop takes to find a space a dozen bytes on (figures with
/// `logkit_common::json::Object::key`). Where the byte is usually further
/// on (the `]` of a time, a `?` in a path) `memchr` stays: the loop and then
/// the call measured more than the call alone.
#[inline]
pub fn find_byte(b: u8, s: &[u8]) -> Option<usize> {
    let head = s.len().min(16);
    match s[..head].iter().position(|&c| c == b) {
        Some(k) => Some(k),
        None if s.len() > head => memchr::memchr(b, &s[head..]).map(|k| k + head),
        None => None,
    }
}

/// The index in `s` (the text after an opening quote) of the closing `"`:
/// the first one not escaped by a backslash, where a backslash escapes the
/// byte after it (Apache writes `\"` and `\\`, logfmt and the custom formats
/// the same; nginx writes `\xHH` for both, so its values never hold a bare
/// quote). `None` when the value does not end.
pub fn closing_quote(s: &[u8]) -> Option<usize> {
    closing_quote_noting(s).map(|(end, _)| end)
}

/// [`closing_quote`], and whether a backslash came before it.
fn closing_quote_noting(s: &[u8]) -> Option<(usize, bool)> {
    let mut i = 0;
    loop {
        let k = memchr::memchr2(b'"', b'\\', s.get(i..)?)?;
        if s[i + k] == b'"' {
            return Some((i + k, i > 0));
        }
        i += k + 2;
    }
}

/// Undoes the servers' escaping of a value into `out` (cleared first):
/// `\xHH` (nginx and Apache, for bytes outside printable ASCII, and nginx
/// for `"` and `\`), `\"` and `\\` (Apache), and the C escapes Apache uses
/// for control characters (`\n`, `\r`, `\t`, `\b`, `\f`, `\v`). Unknown
/// escapes are kept as written. The result may be any bytes, UTF-8 or not.
pub fn unescape(s: &[u8], out: &mut Vec<u8>) {
    unescape_with(s, out, |after| match after {
        [b'x' | b'X', h @ ..] => h.get(..2).and_then(hex_byte).map(|b| (b, 3)),
        [b'"', ..] => Some((b'"', 1)),
        [b'\\', ..] => Some((b'\\', 1)),
        [b'n', ..] => Some((b'\n', 1)),
        [b'r', ..] => Some((b'\r', 1)),
        [b't', ..] => Some((b'\t', 1)),
        [b'b', ..] => Some((8, 1)),
        [b'f', ..] => Some((12, 1)),
        [b'v', ..] => Some((11, 1)),
        _ => None,
    });
}

/// Undoes the backslash escapes of a value into `out` (cleared first). At
/// each backslash, `escape` is given the bytes after it and says which byte
/// they stand for and how many of them that takes; `None` keeps the
/// backslash as written (an unknown escape).
pub fn unescape_with(s: &[u8], out: &mut Vec<u8>, escape: impl Fn(&[u8]) -> Option<(u8, usize)>) {
    out.clear();
    let mut i = 0;
    while let Some(k) = memchr::memchr(b'\\', &s[i..]) {
        out.extend_from_slice(&s[i..i + k]);
        i += k;
        let (byte, len) = escape(&s[i + 1..]).unwrap_or((b'\\', 0));
        out.push(byte);
        i += 1 + len;
    }
    out.extend_from_slice(&s[i..]);
}

/// Two hexadecimal digits as a byte.
fn hex_byte(h: &[u8]) -> Option<u8> {
    let d = |c: u8| (c as char).to_digit(16);
    Some((d(h[0])? * 16 + d(h[1])?) as u8)
}

/// Writes `ts` from a time in RFC 3339 as [`logkit_common::time`] writes it:
/// ASCII digits and punctuation, with nothing to escape or check.
pub fn ts(obj: &mut Object, rfc3339: &[u8]) {
    let out = obj.key(f::TS);
    out.push(b'"');
    out.extend_from_slice(rfc3339);
    out.push(b'"');
}

/// Writes a value the server escaped (see [`unescape`]) as a string field,
/// unescaped; `scratch` holds the unescaped bytes when there is anything
/// to undo.
pub fn escaped_text(obj: &mut Object, name: &str, raw: &[u8], scratch: &mut Vec<u8>) {
    if memchr::memchr(b'\\', raw).is_none() {
        obj.bytes(name, raw);
    } else {
        // `\xHH` can stand for any byte: the unescaped copy may not be
        // UTF-8, which `bytes` handles.
        unescape(raw, scratch);
        obj.bytes(name, scratch);
    }
}

/// Writes a request line (already unescaped) as `method`, `path`, `query`
/// and `proto` when its first word is a method (capitals, `_` and `-`)
/// and either its last word a protocol (`HTTP/...`), the target being
/// everything between (nginx logs a target as received, spaces
/// included), or it has two words (HTTP/0.9: no protocol, so no `proto`).
/// Anything else is kept whole as `request`.
pub fn split_request(request: &[u8], obj: &mut Object) {
    if let (Some(first), Some(last)) = (find_byte(b' ', request), memchr::memrchr(b' ', request)) {
        let method = &request[..first];
        let method_ok = !method.is_empty()
            && method.iter().all(|b| b.is_ascii_uppercase() || *b == b'_' || *b == b'-');
        let proto = &request[last + 1..];
        if method_ok && first < last && proto.starts_with(b"HTTP/") {
            let target = &request[first + 1..last];
            if target.iter().any(|&b| b != b' ') {
                obj.bytes(f::METHOD, method);
                split_target(target, obj);
                obj.bytes(f::PROTO, proto);
                return;
            }
        } else if method_ok && first == last && !proto.is_empty() {
            obj.bytes(f::METHOD, method);
            split_target(proto, obj);
            return;
        }
    }
    obj.bytes(f::REQUEST, request);
}

/// Writes a request target as `path` and, after the first `?`, `query`
/// (percent-encoding kept as sent).
pub fn split_target(target: &[u8], obj: &mut Object) {
    match memchr::memchr(b'?', target) {
        Some(q) => {
            obj.bytes(f::PATH, &target[..q]);
            obj.bytes(f::QUERY, &target[q + 1..]);
        }
        None => obj.bytes(f::PATH, target),
    }
}

/// The names lparse writes itself (besides `X_b64` twins): a name from the
/// data never takes their place.
const OWN_NAMES: [&str; 9] =
    [f::SRC, f::SRC_B64, f::OFFSET, f::FMT, f::LINE, f::LINE_B64, f::TRUNCATED, f::PARTIAL, f::ERR];

/// A name from the data (a W3C column, a logfmt key, a custom format's
/// variable), as a field name: with `_` added when lparse writes that name
/// itself (`OWN_NAMES`, or any `X_b64`, the exact bytes of a field `X`),
/// so that a record never holds a key twice.
pub fn own_name(name: &str) -> std::borrow::Cow<'_, str> {
    if OWN_NAMES.contains(&name) || name.ends_with(f::B64_SUFFIX) {
        std::borrow::Cow::Owned(format!("{name}_"))
    } else {
        std::borrow::Cow::Borrowed(name)
    }
}

/// A run of ASCII digits (at least one, nothing else) as a number; `None`
/// when it is not one or exceeds `u64::MAX`.
pub fn uint(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    s.iter().try_fold(0u64, |n, &d| {
        if d.is_ascii_digit() {
            n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        } else {
            None
        }
    })
}

/// Whether `s`, as it stands, is a JSON number that readers take as one: the
/// grammar of RFC 8259 ([`flat::is_json_number`]: no `+`, leading zero, bare
/// `.` or surrounding space) and a value that is finite as a double (`1e400`
/// is grammatical, but serde_json and others refuse it). Such text can be
/// copied into a record as a number.
pub fn json_number(s: &[u8]) -> bool {
    if !flat::is_json_number(s) {
        return false;
    }
    let exponent = memchr::memchr2(b'e', b'E', s).is_some();
    let sign = usize::from(s[0] == b'-');
    let int_digits = s[sign..].iter().take_while(|b| b.is_ascii_digit()).count();
    // Without an exponent, up to 308 integer digits is below f64::MAX
    // (about 1.8e308): only longer numbers need parsing to be sure.
    (!exponent && int_digits <= 308)
        || std::str::from_utf8(s).is_ok_and(|t| t.parse::<f64>().is_ok_and(f64::is_finite))
}

/// Whether a value of a text log (logfmt, a W3C column) is a number written
/// plainly: a [`json_number`] without exponent, and, when it has no
/// fraction, one that fits 64 bits (a longer run of digits is an
/// identifier, and as a double it would lose digits). `0`, `-12` and
/// `3.25` are; `01`, `1e5`, `+1` and `.5` are not.
pub fn plain_number(s: &[u8]) -> bool {
    if !json_number(s) || memchr::memchr2(b'e', b'E', s).is_some() {
        return false;
    }
    let int_digits = s.len() - usize::from(s[0] == b'-');
    memchr::memchr(b'.', s).is_some()
        || int_digits < 19
        || std::str::from_utf8(s)
            .is_ok_and(|t| t.parse::<i64>().is_ok() || t.parse::<u64>().is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(write: impl FnOnce(&mut Object)) -> serde_json::Value {
        let mut buf = Vec::new();
        let mut obj = Object::new(&mut buf);
        write(&mut obj);
        obj.finish();
        serde_json::from_slice(&buf).expect("valid JSON")
    }

    #[test]
    fn cursor_reads_tokens_brackets_and_quotes() {
        let mut c = Cursor::new(br#"a1 [t 1] "q\"x" 42z"#);
        assert_eq!(c.token("t"), Ok(&b"a1"[..]));
        assert_eq!(c.token("t"), Err("t"));
        c.space("s").unwrap();
        assert_eq!(c.bracketed("b"), Ok(&b"t 1"[..]));
        c.space("s").unwrap();
        assert_eq!(c.quoted("q"), Ok((&br#"q\"x"#[..], true)));
        assert!(c.eat(b" "));
        assert_eq!(c.number(), Some(42));
        assert_eq!(c.rest(), b"z");
        assert_eq!(c.until(b'!'), None);
        assert_eq!(c.until(b'z'), Some(&b""[..]));
        assert!(c.at_end());
        assert_eq!(Cursor::new(b"[open").bracketed("b"), Err("b"));
        assert_eq!(Cursor::new(br#""open\""#).quoted("q"), Err("unterminated quoted field"));
        assert_eq!(Cursor::new(br#""plain" x"#).quoted("q"), Ok((&b"plain"[..], false)));
    }

    #[test]
    fn find_byte_finds_the_first_anywhere() {
        let s: Vec<u8> = (0..40).map(|i| b'a' + (i % 26) as u8).collect();
        for len in 0..=s.len() {
            for b in [b'a', b'p', b'q', b'z', b'!'] {
                assert_eq!(
                    find_byte(b, &s[..len]),
                    s[..len].iter().position(|&c| c == b),
                    "{len} {b}"
                );
            }
        }
    }

    #[test]
    fn closing_quotes_skip_escaped_ones() {
        assert_eq!(closing_quote(br#"ab"cd""#), Some(2));
        assert_eq!(closing_quote(br#"a\"b\\"c"#), Some(6));
        assert_eq!(closing_quote(br#"a\"#), None);
        assert_eq!(closing_quote(br#"a\""#), None);
        assert_eq!(closing_quote(b""), None);
    }

    #[test]
    fn unescape_undoes_nginx_and_apache_escapes() {
        let mut out = Vec::new();
        unescape(br#"a\x22b\x5Cc \xC3\xA9 \"\\ \n\r\t\b\f\v \q \x4 \"#, &mut out);
        assert_eq!(out, b"a\"b\\c \xC3\xA9 \"\\ \n\r\t\x08\x0c\x0b \\q \\x4 \\");
    }

    #[test]
    fn text_gets_a_b64_twin_when_not_utf8() {
        let (utf8, latin1) = (&b"caf\xc3\xa9 x\\xff x\\x41"[..], &b"caf\xe9"[..]);
        let r = record(|obj| {
            obj.bytes("a", &utf8[..5]);
            obj.bytes("b", latin1);
            escaped_text(obj, "c", &utf8[6..11], &mut Vec::new());
            escaped_text(obj, "d", &utf8[12..], &mut Vec::new());
        });
        assert_eq!(
            r,
            serde_json::json!({"a": "café", "b": "caf\u{fffd}", "b_b64": "Y2Fm6Q==",
                "c": "x\u{fffd}", "c_b64": "eP8=", "d": "xA"})
        );
    }

    #[test]
    fn a_field_cut_inside_a_character_is_kept_exactly() {
        let line: &[u8] = "é=ü".as_bytes();
        let r = record(|obj| {
            obj.bytes("a", &line[..2]);
            obj.bytes("b", &line[..1]);
            obj.bytes("c", &line[1..3]);
        });
        assert_eq!(
            r,
            serde_json::json!({"a": "é", "b": "\u{fffd}", "b_b64": "ww==",
                "c": "\u{fffd}=", "c_b64": "qT0="})
        );
    }

    #[test]
    fn request_lines_are_split_or_kept_whole() {
        let request = "GET /a?b=1?c HTTP/1.1";
        let r = record(|obj| split_request(request.as_bytes(), obj));
        assert_eq!(
            r,
            serde_json::json!({"method": "GET", "path": "/a", "query": "b=1?c", "proto": "HTTP/1.1"})
        );
        // nginx writes the target as it came, spaces included; HTTP/0.9
        // has no protocol.
        let request = "GET /a b/c d.html?q=1 2 HTTP/1.1";
        let r = record(|obj| split_request(request.as_bytes(), obj));
        assert_eq!(
            r,
            serde_json::json!({"method": "GET", "path": "/a b/c d.html", "query": "q=1 2", "proto": "HTTP/1.1"})
        );
        let r = record(|obj| split_request(b"GET /old", obj));
        assert_eq!(r, serde_json::json!({"method": "GET", "path": "/old"}));
        for junk in [
            &b"get / HTTP/1.1"[..],
            b"GET / HTTP/1.1 x",
            b"GET / x",
            b"GET ",
            b"GET",
            b"GET  HTTP/1.1",
            b"GET   HTTP/1.1",
            b"HTTP/1.1",
            b"",
        ] {
            let r = record(|obj| split_request(junk, obj));
            assert_eq!(r, serde_json::json!({"request": String::from_utf8_lossy(junk)}));
        }
    }

    #[test]
    fn uints() {
        assert_eq!(uint(b"0"), Some(0));
        assert_eq!(uint(b"0042"), Some(42));
        assert_eq!(uint(b"18446744073709551615"), Some(u64::MAX));
        for bad in [&b""[..], b"18446744073709551616", b"-1", b"+1", b"1 ", b"x"] {
            assert_eq!(uint(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn json_numbers_follow_the_grammar_and_fit_a_double() {
        for good in ["0", "-0", "12", "-12.50", "1e5", "1E-5", "2.5e+10", "1e-400"] {
            assert!(json_number(good.as_bytes()), "{good}");
        }
        let long = format!("{}.5", "9".repeat(308));
        assert!(json_number(long.as_bytes()));
        for bad in
            ["", "-", "01", "+1", ".5", "1.", "1.e5", "1e", "1e+", " 1", "1 ", "0x1", "1e400"]
        {
            assert!(!json_number(bad.as_bytes()), "{bad:?}");
        }
        let too_long = format!("{}.5", "9".repeat(309));
        assert!(!json_number(too_long.as_bytes()));
    }

    #[test]
    fn plain_numbers_have_no_exponent_and_integers_fit_64_bits() {
        for good in [
            "0",
            "-12",
            "3.25",
            "9223372036854775807",
            "18446744073709551615",
            "-9223372036854775808",
        ] {
            assert!(plain_number(good.as_bytes()), "{good}");
        }
        for bad in ["1e5", "01", "18446744073709551616", "-9223372036854775809", "1.", "-"] {
            assert!(!plain_number(bad.as_bytes()), "{bad}");
        }
        assert!(plain_number(b"123456789012345678901234567890.5"));
    }

    proptest::proptest! {
        /// The grammar agrees with serde_json on any short text of number
        /// characters (serde_json refuses numbers beyond a double, as we do).
        #[test]
        fn json_number_agrees_with_serde_json(s in "[-+0-9.eE]{1,12}") {
            let serde = serde_json::from_str::<serde_json::Number>(&s).is_ok()
                && s.parse::<f64>().is_ok_and(f64::is_finite);
            proptest::prop_assert_eq!(json_number(s.as_bytes()), serde, "{}", s);
        }

        /// Apache's escaping of any bytes (`\"`, `\\`, `\xhh`) is undone.
        #[test]
        fn unescape_roundtrips(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..60)) {
            let mut escaped = Vec::new();
            for &b in &bytes {
                match b {
                    b'"' => escaped.extend_from_slice(b"\\\""),
                    b'\\' => escaped.extend_from_slice(b"\\\\"),
                    0x20..=0x7e => escaped.push(b),
                    _ => escaped.extend_from_slice(format!("\\x{b:02x}").as_bytes()),
                }
            }
            let mut out = Vec::new();
            unescape(&escaped, &mut out);
            proptest::prop_assert_eq!(out, bytes);
        }
    }
}
