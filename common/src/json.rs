//! Writing flat JSON objects, one field at a time, into a byte buffer.
//!
//! Records are built field by field by code that already knows each value's
//! type (a status is an integer, a path is a string), so going through a
//! generic `serde_json::Value` would only add allocations. String escaping is
//! delegated to serde_json, which does it with a lookup table.

use base64::Engine as _;
use serde::Serializer as _;

/// Appends the JSON string literal for `s` (quotes included) to `out`.
pub fn push_str(out: &mut Vec<u8>, s: &str) {
    // Writing to a Vec cannot fail.
    let _ = serde_json::Serializer::new(&mut *out).serialize_str(s);
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
        self.sep();
        self.out.push(b'"');
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b"\":");
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
    pub fn bytes(&mut self, name: &str, value: &[u8]) {
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
        let _ = serde_json::to_writer(&mut *out, &value);
    }

    /// An unsigned integer field.
    pub fn uint(&mut self, name: &str, value: u64) {
        let out = self.key(name);
        let _ = serde_json::to_writer(&mut *out, &value);
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
