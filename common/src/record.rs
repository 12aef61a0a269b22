//! The record format shared by the tools (documented in `docs/records.md`).
//!
//! One JSON object per line, UTF-8, `\n`-terminated, flat fields. The names
//! below are the contract between the tools: hprobe's records use the same
//! names as lparse's for the same things, so `lcount --by status` works on
//! either.

use base64::Engine as _;

/// Where a line came from: the path as given on the command line.
pub const SRC: &str = "src";
/// A raw log line, without its terminator (`\n` or `\r\n`).
pub const LINE: &str = "line";
/// Suffix of the field that holds the exact bytes, in base64, of a string
/// field whose bytes are not valid UTF-8 (`line` → `line_b64`).
pub const B64_SUFFIX: &str = "_b64";
/// Set to `true` when a line was cut at the maximum line length.
pub const TRUNCATED: &str = "truncated";
/// A short reason why a line could not be parsed.
pub const ERR: &str = "err";
/// The name of the format a line was parsed with.
pub const FMT: &str = "fmt";
/// Canonical access-log fields, in the order lparse writes them.
pub const TS: &str = "ts";
pub const CLIENT: &str = "client";
pub const USER: &str = "user";
pub const METHOD: &str = "method";
pub const PATH: &str = "path";
pub const QUERY: &str = "query";
pub const PROTO: &str = "proto";
pub const REQUEST: &str = "request";
pub const STATUS: &str = "status";
pub const BYTES: &str = "bytes";
pub const REFERER: &str = "referer";
pub const UA: &str = "ua";
pub const VHOST: &str = "vhost";
pub const RT: &str = "rt";

/// Writes an ltail record, `{"src":…,"line":…}` plus `line_b64` when the
/// line is not UTF-8, followed by `\n`.
///
/// `src_fields` are the record's source fields as encoded once per input by
/// [`encode_src`], so that the path is not escaped again for every line.
pub fn write_line_record(out: &mut Vec<u8>, src_fields: &[u8], line: &[u8], truncated: bool) {
    let mut obj = crate::json::Object::new(out);
    obj.raw_fields(src_fields);
    obj.bytes(LINE, line);
    if truncated {
        obj.raw(TRUNCATED, b"true");
    }
    obj.finish();
    out.push(b'\n');
}

/// Encodes a source name as record fields: `"src":"…"`, plus `"src_b64":"…"`
/// when the name is not UTF-8 (the `_b64` rule of docs/records.md).
pub fn encode_src(src: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(src.len() + 10);
    let mut obj = crate::json::Object::new(&mut out);
    obj.bytes(SRC, src);
    obj.finish();
    out[1..out.len() - 1].to_vec()
}

/// The parts of an ltail record that a parser needs, as raw JSON values
/// borrowed from the input line (see [`crate::flat`]).
#[derive(Debug, Clone, Copy)]
pub struct LineRecord<'a> {
    /// The `src` string, quotes and escapes included: ready to be written
    /// into another record as it stands.
    pub src: Option<&'a [u8]>,
    pub src_b64: Option<&'a [u8]>,
    pub line: &'a [u8],
    pub line_b64: Option<&'a [u8]>,
    /// ltail cut the line at its maximum length.
    pub truncated: bool,
}

impl<'a> LineRecord<'a> {
    /// Reads an ltail record from one NDJSON line. Returns `None` when the
    /// text is not a JSON object with a string `line` field.
    pub fn parse(json: &'a [u8]) -> Option<LineRecord<'a>> {
        if json.first() != Some(&b'{') {
            return None;
        }
        let mut fields = crate::flat::Fields::new(json).ok()?;
        let (mut src, mut src_b64, mut line, mut line_b64) = (None, None, None, None);
        let mut truncated = false;
        while let Some(f) = fields.next().ok()? {
            let is_str = f.value[0] == b'"';
            if f.key_is(SRC) && is_str {
                src = Some(f.value);
            } else if f.key_is(LINE) && is_str {
                line = Some(f.value);
            } else if f.key_is("line_b64") && is_str {
                line_b64 = Some(f.value);
            } else if f.key_is("src_b64") && is_str {
                src_b64 = Some(f.value);
            } else if f.key_is(TRUNCATED) {
                truncated = f.value == b"true";
            }
        }
        Some(LineRecord { src, src_b64, line: line?, line_b64, truncated })
    }

    /// The exact bytes of the line, decoded into `buf`: from `line_b64` when
    /// present, else the UTF-8 text of `line`.
    pub fn line_bytes<'b>(&self, buf: &'b mut Vec<u8>) -> Result<&'b [u8], base64::DecodeError> {
        match self.line_b64 {
            Some(b64) => {
                buf.clear();
                base64::engine::general_purpose::STANDARD
                    .decode_vec(&b64[1..b64.len() - 1], buf)?;
            }
            None => crate::flat::decode_str_into(self.line, buf),
        }
        Ok(buf)
    }

    /// The record's source fields (`src`, and `src_b64` if present), as
    /// `"name":value` pairs ready to be copied into another record.
    pub fn src_fields(&self, out: &mut Vec<u8>) {
        out.clear();
        if let Some(src) = self.src {
            out.extend_from_slice(b"\"src\":");
            out.extend_from_slice(src);
            if let Some(b64) = self.src_b64 {
                out.extend_from_slice(b",\"src_b64\":");
                out.extend_from_slice(b64);
            }
        }
    }

    /// The source as text, for messages.
    pub fn src_text(&self) -> Option<std::borrow::Cow<'a, str>> {
        self.src.map(crate::flat::decode_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(line: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        write_line_record(&mut out, &encode_src(b"a.log"), line, false);
        assert_eq!(out.last(), Some(&b'\n'));
        let rec = LineRecord::parse(&out[..out.len() - 1]).expect("record parses");
        assert_eq!(rec.src_text().as_deref(), Some("a.log"));
        let mut buf = Vec::new();
        rec.line_bytes(&mut buf).unwrap().to_vec()
    }

    #[test]
    fn utf8_lines_have_no_b64() {
        let mut out = Vec::new();
        write_line_record(&mut out, &encode_src(b"x"), "é \"q\" \\ \t".as_bytes(), false);
        let s = String::from_utf8(out).unwrap();
        assert_eq!(s, "{\"src\":\"x\",\"line\":\"é \\\"q\\\" \\\\ \\t\"}\n");
    }

    #[test]
    fn a_source_that_is_not_utf8_keeps_its_bytes() {
        let mut out = Vec::new();
        write_line_record(&mut out, &encode_src(b"we\xffird.log"), b"x", false);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["src"], "we\u{fffd}ird.log");
        assert_eq!(v["src_b64"], "d2X/aXJkLmxvZw==");
        let rec = LineRecord::parse(&out[..out.len() - 1]).unwrap();
        let mut fields = Vec::new();
        rec.src_fields(&mut fields);
        assert_eq!(fields, encode_src(b"we\xffird.log"));
    }

    #[test]
    fn invalid_utf8_roundtrips_exactly() {
        let line = b"GET /\xff\xfe\x00 \xc3( end";
        assert_eq!(roundtrip(line), line);
        let mut out = Vec::new();
        write_line_record(&mut out, &encode_src(b"x"), line, true);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert!(v["line"].as_str().unwrap().contains('\u{fffd}'));
        assert_eq!(v["truncated"], true);
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_roundtrip(line in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            proptest::prop_assert_eq!(roundtrip(&line), line);
        }
    }
}
