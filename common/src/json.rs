//! Writing flat JSON objects, one field at a time, into a byte buffer.
//!
//! Records are built field by field by code that already knows each value's
//! type (a status is an integer, a path is a string), so going through a
//! generic `serde_json::Value` would only add allocations. Strings are
//! escaped here, 16 bytes at a time ([`push_str`]), with exactly serde_json's
//! output (a property test holds the two equal).

use base64::Engine as _;

/// What a byte becomes inside a JSON string: 0 for itself, `u` for a
/// `\u00XX` escape, else the letter after the backslash.
static ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = b'u';
        b += 1;
    }
    t[b'\n' as usize] = b'n';
    t[b'\r' as usize] = b'r';
    t[b'\t' as usize] = b't';
    t[0x08] = b'b';
    t[0x0c] = b'f';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t
};

/// The index of the first byte at or after `from` that a JSON string
/// cannot hold as it is (`"`, `\\` or a control character, below 0x20),
/// also stopping at bytes of 0x80 and above when `HIGH` is set (the JSON
/// scanner checks UTF-8 there, so that a record that is all ASCII, the
/// usual case, needs no separate UTF-8 pass).
///
/// The inner loop of reading records ([`crate::flat`]); with SSE2, which
/// every x86-64 processor has, it looks at 16 bytes per step. Written by
/// hand because it measured as the largest cost of lcount (a plain byte
/// loop was ~20–30% of its profile).
#[inline]
pub(crate) fn find_stop<const HIGH: bool>(s: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::*;
        // SAFETY: SSE2 is part of the x86-64 baseline; every load reads 16
        // bytes inside `s` (checked by the loop condition).
        unsafe {
            while i + 16 <= s.len() {
                let v = _mm_loadu_si128(s.as_ptr().add(i) as *const __m128i);
                let mask = stop_mask::<HIGH>(v);
                if mask != 0 {
                    return Some(i + mask.trailing_zeros() as usize);
                }
                i += 16;
            }
        }
    }
    s[i..].iter().position(|&b| ESCAPE[b as usize] != 0 || (HIGH && b >= 0x80)).map(|p| i + p)
}

/// Appends the JSON string literal for `s` (quotes included) to `out`.
/// The output is the same as serde_json's.
///
/// Each 16-byte block is stored into `out` before it is checked, and `out`
/// then keeps only the bytes before the first one to escape: a block with
/// nothing to escape (most of a log line) costs one load, one store and a
/// few compares, with no call to `memcpy` per run. The last, partial block
/// is the string's last 16 bytes read again, and a string of 2 to 15 bytes
/// is checked as two overlapping words in one compare (`plain_short`): no
/// byte-by-byte tail unless there is an escape in it.
/// Against the search-then-copy loop before it, this and
/// [`Object::key`]'s single write took ltail from 1,419 to 1,308
/// instructions per line; the short strings of lparse's records, from
/// 4,961 to 4,755 on raw lines (`bench/profile.sh`, callgrind).
pub fn push_str(out: &mut Vec<u8>, s: &str) {
    push_escaped::<false>(out, s.as_bytes());
}

/// [`push_str`] for bytes that are all ASCII; `false`, with part of them
/// written, at the first byte of 0x80 or above. The check rides on the
/// escaping's own 16-byte compares: an ASCII log line (the usual one) needs
/// no UTF-8 pass of its own, which was 208 of ltail's 1,308 instructions
/// per line (`bench/profile.sh`).
fn push_ascii(out: &mut Vec<u8>, bytes: &[u8]) -> bool {
    push_escaped::<true>(out, bytes)
}

/// The JSON string literal of `bytes`, which are UTF-8 when `ASCII` is not
/// set; with `ASCII` set, stops and returns `false` at the first byte of
/// 0x80 or above.
#[inline(always)]
fn push_escaped<const ASCII: bool>(out: &mut Vec<u8>, bytes: &[u8]) -> bool {
    let n = bytes.len();
    out.reserve(n + 2);
    out.push(b'"');
    let mut i = 0;
    #[cfg(target_arch = "x86_64")]
    if n >= 16 {
        // Where the bytes written since are copies of the input's (no
        // escape since): the last block may be read again from there.
        let mut copied_from = 0;
        while i + 16 <= n {
            if out.capacity() - out.len() < 16 {
                out.reserve(n - i + 16);
            }
            let v = stage_block(bytes, i, out, 0);
            let mask = stop_mask::<ASCII>(v);
            if mask == 0 {
                // SAFETY: the 16 bytes were stored above.
                unsafe { out.set_len(out.len() + 16) };
                i += 16;
                continue;
            }
            let k = mask.trailing_zeros() as usize;
            // SAFETY: the first `k` of the 16 stored bytes need no escape.
            unsafe { out.set_len(out.len() + k) };
            if ASCII && bytes[i + k] >= 0x80 {
                return false;
            }
            push_escape(out, bytes[i + k]);
            i += k + 1;
            copied_from = i;
        }
        // The last, partial block: the 16 bytes that end the string, read
        // again from `back` bytes before `i`, when those were written as
        // they are (no escape among them).
        let back = 16 - (n - i);
        if i < n && n - 16 >= copied_from {
            if out.capacity() - out.len() < 16 {
                out.reserve(16);
            }
            // From `back` bytes before the end of `out`, where the same input
            // bytes were copied.
            let v = stage_block(bytes, n - 16, out, back);
            let mask = stop_mask::<ASCII>(v) >> back;
            let k = if mask == 0 { n - i } else { mask.trailing_zeros() as usize };
            // SAFETY: the first `k` new stored bytes need no escape.
            unsafe { out.set_len(out.len() + k) };
            i += k;
        }
    }
    if plain_short::<ASCII>(&bytes[i..]) {
        // 2 to 15 bytes (a method, a client address, a protocol) written as
        // they are, without a byte loop or a call to `memcpy`.
        push_short(out, &bytes[i..]);
        out.push(b'"');
        return true;
    }
    for &b in &bytes[i..] {
        if ASCII && b >= 0x80 {
            return false;
        }
        if ESCAPE[b as usize] == 0 {
            out.push(b);
        } else {
            push_escape(out, b);
        }
    }
    out.push(b'"');
    true
}

/// Appends `bytes`, usually a few (a number's digits), as [`copy_short`]
/// copies them.
#[inline(always)]
fn push_short(out: &mut Vec<u8>, bytes: &[u8]) {
    out.reserve(bytes.len());
    // SAFETY: `reserve` made room for the bytes, written inside the spare
    // capacity before `set_len` counts them.
    unsafe {
        copy_short(bytes, out.as_mut_ptr().add(out.len()));
        out.set_len(out.len() + bytes.len());
    }
}

/// Copies `src` to `dst` as two overlapping loads and stores when it is 2
/// to 16 bytes long (a record's key, a number), rather than through a call
/// to `memcpy`, which costs ~15 instructions more for so few bytes: a
/// record has a dozen keys and numbers, and this took lparse from 5,292 to
/// 5,216 instructions a line on ltail records (`bench/profile.sh`).
///
/// # Safety
/// `dst` must be valid for writing `src.len()` bytes.
#[inline(always)]
unsafe fn copy_short(src: &[u8], dst: *mut u8) {
    let n = src.len();
    macro_rules! overlapping {
        ($t:ty, $w:expr) => {{
            let head = <$t>::from_ne_bytes(src[..$w].try_into().unwrap_or_default());
            let tail = <$t>::from_ne_bytes(src[n - $w..].try_into().unwrap_or_default());
            // SAFETY: both stores lie within the `n` bytes at `dst`.
            unsafe {
                (dst as *mut $t).write_unaligned(head);
                (dst.add(n - $w) as *mut $t).write_unaligned(tail);
            }
        }};
    }
    match n {
        2..=3 => overlapping!(u16, 2),
        4..=7 => overlapping!(u32, 4),
        8..=16 => overlapping!(u64, 8),
        // SAFETY: as the caller promises.
        _ => unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), dst, n) },
    }
}

/// The step the string writers and readers take 16 bytes at a time: stores
/// `src[at..at + 16]` into `out`, starting `back` bytes before its end (0,
/// or the bytes of a last block read again), without counting them in its
/// length, and returns them for the caller to check. The caller then counts
/// in, with `set_len`, the bytes it keeps: those need no change.
///
/// # Panics
/// When `src` does not hold the 16 bytes or `out` has no room for them.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(crate) fn stage_block(
    src: &[u8],
    at: usize,
    out: &mut Vec<u8>,
    back: usize,
) -> std::arch::x86_64::__m128i {
    use std::arch::x86_64::*;
    assert!(at + 16 <= src.len() && back <= out.len() && out.capacity() - out.len() + back >= 16);
    // SAFETY: SSE2 is part of the x86-64 baseline; the assert keeps the
    // load inside `src` and the store inside `out`'s allocation.
    unsafe {
        let v = _mm_loadu_si128(src.as_ptr().add(at) as *const __m128i);
        _mm_storeu_si128(out.as_mut_ptr().add(out.len() - back) as *mut __m128i, v);
        v
    }
}

/// `src[at..at + 16]` as one vector, for the callers of [`stop_mask`].
///
/// # Panics
/// When `src` does not hold the 16 bytes.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(crate) fn load_block(src: &[u8], at: usize) -> std::arch::x86_64::__m128i {
    let block: &[u8; 16] = src[at..at + 16].try_into().expect("16 bytes");
    // SAFETY: SSE2 is part of the x86-64 baseline; the load reads `block`.
    unsafe { std::arch::x86_64::_mm_loadu_si128(block.as_ptr() as *const _) }
}

/// Whether 2 to 15 bytes need no escape in a JSON string (and, with
/// `ASCII`, are all ASCII): their first and last words, overlapping (a
/// shorter word repeated to fill eight bytes), checked together. Short
/// fields are most of a record's: against a byte loop below 8 bytes and
/// word tests from 8, lparse on ltail records went from 5,024 to 4,845
/// instructions a line (`bench/profile.sh`).
#[inline(always)]
fn plain_short<const ASCII: bool>(b: &[u8]) -> bool {
    let n = b.len();
    let word = |at: usize, w: usize| -> u64 {
        let mut x = [0u8; 8];
        x[..w].copy_from_slice(&b[at..at + w]);
        u64::from_le_bytes(x)
    };
    let (head, tail) = match n {
        8..=15 => (word(0, 8), word(n - 8, 8)),
        4..=7 => (word(0, 4) * 0x1_0000_0001, word(n - 4, 4) * 0x1_0000_0001),
        2..=3 => (word(0, 2) * 0x0001_0001_0001_0001, word(n - 2, 2) * 0x0001_0001_0001_0001),
        _ => return false,
    };
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: SSE2 is part of the x86-64 baseline; no memory is touched.
        let v = unsafe { std::arch::x86_64::_mm_set_epi64x(tail as i64, head as i64) };
        stop_mask::<ASCII>(v) == 0
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        // The exact tests for a zero byte and for a byte below a bound,
        // eight bytes at once.
        const ONES: u64 = 0x0101_0101_0101_0101;
        const HIGHS: u64 = 0x8080_8080_8080_8080;
        let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS != 0;
        let special = |x: u64| {
            x.wrapping_sub(ONES * 0x20) & !x & HIGHS != 0
                || zero(x ^ (ONES * u64::from(b'"')))
                || zero(x ^ (ONES * u64::from(b'\\')))
                || ASCII && x & HIGHS != 0
        };
        !special(head) && !special(tail)
    }
}

/// The bits of the bytes of `v` that a JSON string cannot hold as they are
/// (`"`, backslash and control characters, below 0x20), and with `HIGH`
/// those of 0x80 and above too (not ASCII).
///
/// With `HIGH`, those are the quotes and [`unplain_bytes`].
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(crate) fn stop_mask<const HIGH: bool>(v: std::arch::x86_64::__m128i) -> i32 {
    use std::arch::x86_64::*;
    // SAFETY: SSE2 is part of the x86-64 baseline; no memory is touched.
    unsafe {
        let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
        let others = if HIGH {
            unplain_bytes(v)
        } else {
            // Unsigned v <= 0x1f exactly when max(v, 0x1f) == 0x1f.
            let max_control = _mm_set1_epi8(0x1f);
            let control = _mm_cmpeq_epi8(_mm_max_epu8(v, max_control), max_control);
            _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8)), control)
        };
        _mm_movemask_epi8(_mm_or_si128(quote, others))
    }
}

/// The bytes of `v` (0xff where so, else 0) that are a backslash, a control
/// character or above 0x7f: what a JSON string of plain ASCII holds nowhere,
/// its quotes apart. One signed compare below 0x20 finds the control
/// characters and the high bytes (negative as signed) together. For
/// [`stop_mask`] and the plain pass of the record scanner
/// (`flat::block_masks`), which keeps the quotes apart.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(crate) fn unplain_bytes(v: std::arch::x86_64::__m128i) -> std::arch::x86_64::__m128i {
    use std::arch::x86_64::*;
    // SAFETY: SSE2 is part of the x86-64 baseline; no memory is touched.
    unsafe {
        _mm_or_si128(
            _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8)),
            _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
        )
    }
}

/// Writes the escape of `b`, a byte [`ESCAPE`] marks.
#[inline(always)]
fn push_escape(out: &mut Vec<u8>, b: u8) {
    let e = ESCAPE[b as usize];
    if e == b'u' {
        escape_control(out, b);
    } else {
        out.extend_from_slice(&[b'\\', e]);
    }
}

/// `\u00XX`: rare in log lines, kept out of the inlined path.
#[cold]
fn escape_control(out: &mut Vec<u8>, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.extend_from_slice(&[
        b'\\',
        b'u',
        b'0',
        b'0',
        HEX[(b >> 4) as usize],
        HEX[(b & 15) as usize],
    ]);
}

/// Builds one flat JSON object in a caller-owned buffer.
///
/// ```
/// let mut buf = Vec::new();
/// let mut obj = logkit_common::json::Object::new(&mut buf);
/// obj.str("path", "/a\"b");
/// obj.int("status", 404);
/// obj.finish();
/// assert_eq!(buf, b"{\"path\":\"/a\\\"b\",\"status\":404}");
/// ```
pub struct Object<'a> {
    out: &'a mut Vec<u8>,
    empty: bool,
}

impl<'a> Object<'a> {
    /// Starts an object at the end of `out`.
    pub fn new(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        Object { out, empty: true }
    }

    /// Writes `"name":` with the separating comma when needed. `name` must
    /// not need escaping (all of the record format's names are plain ASCII);
    /// use [`Object::key_escaped`] for names that come from data.
    pub fn key(&mut self, name: &str) -> &mut Vec<u8> {
        debug_assert!(name.bytes().all(|b| b != b'"' && b != b'\\' && b >= 0x20));
        // `,"name":` in one reserved write rather than four pushes that each
        // check the capacity: a record has a dozen keys. With the block
        // copies of `push_str` and `flat::unescape_into`, `ClfMemo` and
        // `find_byte`, lparse went from 5,503 to 4,943 instructions per line
        // on raw lines, 7,557 to 6,766 on ltail records (`bench/profile.sh`).
        let name = name.as_bytes();
        let comma = usize::from(!self.empty);
        self.empty = false;
        let len = self.out.len();
        self.out.reserve(name.len() + 4);
        // SAFETY: `reserve` made room for the `comma + name.len() + 3` bytes
        // written, all inside the spare capacity, before `set_len` counts
        // them.
        unsafe {
            let p = self.out.as_mut_ptr().add(len);
            *p = b',';
            *p.add(comma) = b'"';
            copy_short(name, p.add(comma + 1));
            *p.add(comma + 1 + name.len()) = b'"';
            *p.add(comma + 2 + name.len()) = b':';
            self.out.set_len(len + comma + 3 + name.len());
        }
        self.out
    }

    /// Writes a key that may need escaping, followed by `:`.
    pub fn key_escaped(&mut self, name: &str) -> &mut Vec<u8> {
        self.sep();
        push_str(self.out, name);
        self.out.push(b':');
        self.out
    }

    fn sep(&mut self) {
        if !self.empty {
            self.out.push(b',');
        }
        self.empty = false;
    }

    /// A string field.
    pub fn str(&mut self, name: &str, value: &str) {
        let out = self.key(name);
        push_str(out, value);
    }

    /// A string field from bytes that may not be UTF-8: the field holds the
    /// text with invalid sequences replaced by U+FFFD, and `<name>_b64` holds
    /// the exact bytes in base64 (see docs/records.md).
    ///
    /// ASCII is checked inside the escaping's own compares, and only a value
    /// with a byte of 0x80 or above is checked for UTF-8 apart: lparse writes
    /// every field of a line this way, with no UTF-8 pass over the whole line
    /// first, which took it from 5,653 to 5,292 instructions a line on ltail
    /// records and from 4,587 to 4,190 on raw lines (and 4,730 to 4,623 with
    /// a non-ASCII path and user agent on most lines; `bench/profile.sh`).
    pub fn bytes(&mut self, name: &str, value: &[u8]) {
        let (mark, empty) = (self.out.len(), self.empty);
        if push_ascii(self.key(name), value) {
            return;
        }
        self.out.truncate(mark);
        self.empty = empty;
        match std::str::from_utf8(value) {
            Ok(s) => self.str(name, s),
            Err(_) => {
                self.str(name, &String::from_utf8_lossy(value));
                let mut b64_name = String::with_capacity(name.len() + 4);
                b64_name.push_str(name);
                b64_name.push_str(crate::record::B64_SUFFIX);
                let out = self.key(&b64_name);
                out.push(b'"');
                let start = out.len();
                let len = base64::encoded_len(value.len(), true).unwrap_or(0);
                out.resize(start + len, 0);
                let n = base64::engine::general_purpose::STANDARD
                    .encode_slice(value, &mut out[start..])
                    .unwrap_or(0);
                out.truncate(start + n);
                out.push(b'"');
            }
        }
    }

    /// An integer field.
    pub fn int(&mut self, name: &str, value: i64) {
        let out = self.key(name);
        push_short(out, itoa::Buffer::new().format(value).as_bytes());
    }

    /// An unsigned integer field.
    pub fn uint(&mut self, name: &str, value: u64) {
        let out = self.key(name);
        push_short(out, itoa::Buffer::new().format(value).as_bytes());
    }

    /// A floating-point field, written in the shortest form that reads back
    /// as the same number. Non-finite values (which JSON cannot hold) are
    /// written as `null`.
    pub fn float(&mut self, name: &str, value: f64) {
        let out = self.key(name);
        if value.is_finite() {
            let _ = serde_json::to_writer(&mut *out, &value);
        } else {
            out.extend_from_slice(b"null");
        }
    }

    /// Fields already encoded as `"name":value` pairs (comma-separated),
    /// such as a record's `src` encoded once per input.
    pub fn raw_fields(&mut self, fields: &[u8]) {
        if !fields.is_empty() {
            self.sep();
            self.out.extend_from_slice(fields);
        }
    }

    /// A field whose value is already valid JSON text.
    pub fn raw(&mut self, name: &str, json: &[u8]) {
        let out = self.key(name);
        out.extend_from_slice(json);
    }

    /// Closes the object (no newline).
    pub fn finish(self) {
        self.out.push(b'}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_copies_are_exact_at_every_length() {
        let src: Vec<u8> = (1..=40).collect();
        for n in 0..=src.len() {
            for key in [&b"k"[..], b"status", b"user_agent_b64"] {
                let mut out = b"{".to_vec();
                push_short(&mut out, &src[..n]);
                let mut obj = Object { out: &mut out, empty: false };
                obj.uint(std::str::from_utf8(key).unwrap(), n as u64 * 997);
                let mut want = b"{".to_vec();
                want.extend_from_slice(&src[..n]);
                want.extend_from_slice(
                    format!(",\"{}\":{}", std::str::from_utf8(key).unwrap(), n * 997).as_bytes(),
                );
                assert_eq!(out, want, "{n}");
            }
        }
    }

    proptest::proptest! {
        /// The hand-written escaper writes exactly what serde_json writes.
        #[test]
        fn escapes_like_serde_json(s in "(?s).{0,64}", ctl in proptest::collection::vec(0u8..0x80, 0..40),
                                   specials in "[a-z\"\\\\\u{1}\u{1f}é ]{0,70}") {
            for text in [s.clone(), String::from_utf8(ctl).unwrap(), specials.clone()] {
                let mut ours = Vec::new();
                push_str(&mut ours, &text);
                proptest::prop_assert_eq!(ours, serde_json::to_vec(&text).unwrap());
            }
        }

        /// A field of any bytes: as serde_json writes the text when it is
        /// UTF-8, else the text with U+FFFD and its exact bytes in base64
        /// (docs/records.md's `_b64` rule); the object stays well formed
        /// around it.
        #[test]
        fn bytes_fields_as_the_record_rule_says(
            value in proptest::collection::vec(proptest::prop_oneof![
                proptest::sample::select(vec![b'"', b'\\', 1, 0x1f, b'a', b' ', 0x80, 0xc3, 0xa9, 0xff]),
                proptest::num::u8::ANY,
            ], 0..60),
            first in proptest::bool::ANY,
        ) {
            use base64::Engine as _;
            let mut ours = Vec::new();
            let mut obj = Object::new(&mut ours);
            if !first {
                obj.int("n", 1);
            }
            obj.bytes("v", &value);
            obj.finish();
            let text = String::from_utf8_lossy(&value);
            let mut want = String::from(if first { "{" } else { "{\"n\":1," });
            want += &format!("\"v\":{}", serde_json::to_string(&text).unwrap());
            if std::str::from_utf8(&value).is_err() {
                let b64 = base64::engine::general_purpose::STANDARD.encode(&value);
                want += &format!(",\"v_b64\":\"{b64}\"");
            }
            want += "}";
            proptest::prop_assert_eq!(String::from_utf8(ours).unwrap(), want);
        }
    }
}
