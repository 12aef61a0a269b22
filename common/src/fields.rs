//! Borrowed access to a few top-level fields of an NDJSON record.
//!
//! A filter needs two or three fields of a record that has fifteen, so
//! building a whole `serde_json::Value` per record would spend most of the
//! time on fields nobody looks at. [`FieldSet::extract`] walks the object
//! once with the [`crate::flat`] scanner and keeps the wanted values as raw
//! JSON text borrowed from the line.

use crate::flat::{self, Fields, ScanError};
use crate::seen::Seen;
use crate::time::parse_rfc3339;
use std::borrow::Cow;
use std::cmp::Ordering;

/// A field's value as raw JSON text (a string keeps its quotes).
pub type Raw<'a> = &'a [u8];

/// The names of the fields a tool wants from each record.
///
/// A name with dots (`req.headers.host`) is a path into nested objects,
/// unless the record has a top-level field of exactly that name (flattened
/// logs write `"http.status": 200`), which is then taken instead.
#[derive(Debug, Clone, Default)]
pub struct FieldSet {
    names: Vec<String>,
    /// For each dotted name: (its slot, the slot of its first segment, the
    /// remaining segments). The first segment is extracted as a hidden
    /// field of its own.
    paths: Vec<(usize, usize, Vec<String>)>,
    /// Bit `n` set when a name is `n` bytes long (bit 63: 63 or more), so
    /// that most keys of a record are passed over on their length alone.
    lengths: u64,
}

/// The bit of [`FieldSet::lengths`] for a name or key of `len` bytes.
#[inline(always)]
fn length_bit(len: usize) -> u64 {
    1 << len.min(63)
}

impl FieldSet {
    /// An empty set.
    pub fn new() -> Self {
        FieldSet::default()
    }

    /// Adds a field name (once) and returns its index in the extracted slots.
    pub fn add(&mut self, name: &str) -> usize {
        if let Some(i) = self.names.iter().position(|n| n == name) {
            return i;
        }
        self.names.push(name.to_owned());
        self.lengths |= length_bit(name.len());
        let slot = self.names.len() - 1;
        let mut segments = name.split('.');
        if let (Some(root), Some(_)) = (segments.next(), name.find('.')) {
            let rest: Vec<String> = segments.map(str::to_owned).collect();
            if !root.is_empty() && rest.iter().all(|s| !s.is_empty()) {
                let root_slot = self.add(root);
                self.paths.push((slot, root_slot, rest));
            }
        }
        slot
    }

    /// Puts `field`'s value in its slot, if it is wanted.
    #[inline(always)]
    fn take<'a>(&self, field: &flat::Field<'a>, slots: &mut [Option<Raw<'a>>]) {
        // Most keys are passed over on their length alone (an escaped
        // key's length is not its name's).
        if self.lengths & length_bit(field.key.len()) != 0 || field.key_escaped {
            if let Some(i) = self.slot_of(field.key, field.key_escaped) {
                slots[i] = Some(field.value);
            }
        }
    }

    /// The slot of the field whose raw key is `key`, if it is one. (Given
    /// the key and not the field, so that the loop over fields need not
    /// put the field in memory for the call.)
    #[inline(never)]
    fn slot_of(&self, key: &[u8], key_escaped: bool) -> Option<usize> {
        if key_escaped {
            let field = flat::Field { key, key_escaped, value: b"" };
            return self.names.iter().position(|n| field.key_is(n));
        }
        // The first byte before the rest: keys of the same length as a
        // name mostly differ there.
        self.names.iter().position(|n| n.as_bytes().first() == key.first() && n.as_bytes() == key)
    }

    /// The number of slots [`FieldSet::extract`] fills.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether no field was added.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Parses one JSON object and fills `slots` (which must have
    /// [`FieldSet::len`] entries) with the raw text of each wanted field, or
    /// `None` where the record lacks it (the last of duplicate keys wins).
    /// Fails when `json` is not a single valid JSON object.
    pub fn extract<'a>(
        &self,
        json: &'a [u8],
        slots: &mut [Option<Raw<'a>>],
    ) -> Result<(), ScanError> {
        self.scan(json, slots, None)
    }

    /// [`FieldSet::extract`], noting the record's keys in `seen` on the
    /// same pass (nothing more than a test per record once every field
    /// `seen` asks for has appeared).
    pub fn extract_noting<'a>(
        &self,
        json: &'a [u8],
        slots: &mut [Option<Raw<'a>>],
        seen: &mut Seen,
    ) -> Result<(), ScanError> {
        let seen = if seen.is_complete() { None } else { Some(seen) };
        self.scan(json, slots, seen)
    }

    fn scan<'a>(
        &self,
        json: &'a [u8],
        slots: &mut [Option<Raw<'a>>],
        mut seen: Option<&mut Seen>,
    ) -> Result<(), ScanError> {
        debug_assert_eq!(slots.len(), self.names.len());
        slots.fill(None);
        // A field seen twice (see flat::for_each_field) is set again and
        // noted again, to the same end. The loop without `seen`, the
        // common one, is a copy of its own, with nothing else to keep.
        match seen.as_mut() {
            None => flat::for_each_field(json, |f| self.take(&f, slots))?,
            Some(seen) => flat::for_each_field(json, |f| {
                self.take(&f, slots);
                seen.note_key(&f);
            })?,
        }
        for (slot, root, rest) in &self.paths {
            if slots[*slot].is_none() {
                slots[*slot] = slots[*root].and_then(|v| walk(v, rest));
                if let (Some(seen), Some(_)) = (seen.as_mut(), slots[*slot]) {
                    seen.note_path(&self.names[*slot]);
                }
            }
        }
        if let Some(seen) = seen {
            seen.note_record();
        }
        Ok(())
    }
}

/// Gives a vector of borrowed slots a new lifetime, keeping its allocation,
/// so that one vector serves [`FieldSet::extract`] line after line: each
/// line's slots borrow from that line, and `collect` over `into_iter` of a
/// same-sized type reuses the buffer instead of allocating.
pub fn recycle<'b>(v: Vec<Option<Raw<'_>>>) -> Vec<Option<Raw<'b>>> {
    v.into_iter().map(|_| None).collect()
}

/// The complaint about a line that [`FieldSet::extract`] could not read as
/// a record, said the same by every tool that reads records. A line not
/// even starting like an object is most often a raw log line fed to the
/// wrong tool, so the message says what to do.
pub fn not_a_record(line: &[u8], err: &ScanError) -> String {
    let hint = if line.first() == Some(&b'{') {
        ""
    } else {
        " (raw log lines? parse them with lparse first)"
    };
    format!("not a JSON object: {err}{hint}")
}

/// Follows `path` down from a raw value through nested objects.
fn walk<'a>(mut value: Raw<'a>, path: &[String]) -> Option<Raw<'a>> {
    for segment in path {
        if value.first() != Some(&b'{') {
            return None;
        }
        // The nested object was validated when the record was scanned.
        let mut fields = Fields::new(value).ok()?;
        let mut found = None;
        while let Some(f) = fields.next().ok()? {
            if f.key_is(segment) {
                found = Some(f.value);
            }
        }
        value = found?;
    }
    Some(value)
}

/// A JSON value, typed just enough to compare it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as a double (JSON's own precision in practice).
    Number(f64),
    /// A string, unescaped (borrowed from the line when it had no escapes).
    String(Cow<'a, str>),
    /// An array or an object, as its JSON text.
    Composite(&'a str),
}

impl<'a> Value<'a> {
    /// Interprets raw JSON text. `None` (a missing field) is `Null`.
    /// The raw text must come from [`FieldSet::extract`] (validated JSON).
    pub fn from_raw(raw: Option<Raw<'a>>) -> Value<'a> {
        let Some(raw) = raw else { return Value::Null };
        match raw[0] {
            b'"' => Value::String(flat::decode_str(raw)),
            b'n' => Value::Null,
            b't' => Value::Bool(true),
            b'f' => Value::Bool(false),
            b'[' | b'{' => Value::Composite(std::str::from_utf8(raw).unwrap_or_default()),
            _ => std::str::from_utf8(raw)
                .ok()
                .and_then(|t| t.parse().ok())
                .map(Value::Number)
                .unwrap_or(Value::Null),
        }
    }

    /// The value as an integer, when it is a number without a fraction.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::Number(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => Some(n as i64),
            _ => None,
        }
    }

    /// The text a value is compared as when compared with a string: the
    /// string itself, or the JSON text of anything else.
    pub fn as_text(&self) -> Cow<'_, str> {
        match self {
            Value::Null => "null".into(),
            Value::Bool(b) => if *b { "true" } else { "false" }.into(),
            Value::Number(n) => n.to_string().into(),
            Value::String(s) => Cow::Borrowed(s),
            Value::Composite(t) => Cow::Borrowed(t),
        }
    }
}

/// How a record's value stands to a literal from the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// Nothing to compare: the field is missing or null, or a number
    /// beyond a double's range (`1e309`). Equal to nothing, ordered with
    /// nothing.
    Incomparable,
    /// Compared as text (a string, a boolean, an array or object, or a
    /// number against a literal that is not one): equal or not, never
    /// ordered.
    Text {
        /// Whether the texts are the same.
        equal: bool,
    },
    /// Compared by value, as numbers or as instants: ordered.
    Ordered(Ordering),
}

/// Compares a record's value with a literal from the command line, by one
/// rule for every operator:
///
/// * a JSON number and a literal number compare by value (`404` and
///   `404.0` are equal); against any other literal a number is unequal;
/// * a string that is an RFC 3339 time and a literal that is one compare
///   as instants, whatever their offsets;
/// * any other string, a boolean, an array or an object compares as text
///   with the literal as written: a string by its own text (`"404"` equals
///   `404` but not `404.0`), the rest by their JSON text;
/// * a missing or null field, or a number beyond a double's range, is
///   [`Comparison::Incomparable`].
pub fn compare_with_literal(value: &Value<'_>, literal: &Literal) -> Comparison {
    match value {
        Value::Null => Comparison::Incomparable,
        Value::Number(n) if !n.is_finite() => Comparison::Incomparable,
        Value::Number(n) => match literal.number {
            Some(l) => n.partial_cmp(&l).map_or(Comparison::Incomparable, Comparison::Ordered),
            None => Comparison::Text { equal: false },
        },
        Value::String(s) => {
            let instant = literal.instant.and_then(|l| Some((parse_rfc3339(s)?.instant, l)));
            match instant {
                Some((v, l)) => Comparison::Ordered(v.cmp(&l)),
                None => Comparison::Text { equal: *s == literal.text },
            }
        }
        v => Comparison::Text { equal: v.as_text() == literal.text },
    }
}

/// A value written on the command line, with its readings as a number
/// and as an instant, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Literal {
    /// The text as written.
    pub text: String,
    /// The text read as a finite number, when it is one (`404`, `0.5`,
    /// `1e3`, `.5`; not `inf`, `nan` nor `1e309`).
    pub number: Option<f64>,
    /// The text read as an RFC 3339 time with its offset, when it is one
    /// (`2026-11-30T04:30:00Z`).
    pub instant: Option<jiff::Timestamp>,
}

impl Literal {
    /// The literal `text`, read as a number and as a time too when it is
    /// one.
    pub fn new(text: &str) -> Self {
        // Rust reads `inf`, `NaN` and `infinity` as numbers; a value
        // written so is a word.
        let numeric = text.starts_with(|c: char| c.is_ascii_digit() || "+-.".contains(c));
        Literal {
            text: text.to_owned(),
            number: text.parse::<f64>().ok().filter(|n| numeric && n.is_finite()),
            instant: parse_rfc3339(text).map(|s| s.instant),
        }
    }
}

/// Appends a canonical JSON form of a raw value to `out`, so that equal
/// values give equal bytes (strings are decoded and re-encoded, which
/// normalises escapes such as `\u0041`). A missing field is `null`.
pub fn push_canonical(raw: Option<Raw<'_>>, out: &mut Vec<u8>) {
    match raw {
        None => out.extend_from_slice(b"null"),
        Some(raw) if raw[0] == b'"' && memchr::memchr(b'\\', raw).is_some() => {
            crate::json::push_str(out, &flat::decode_str(raw));
        }
        Some(raw) if raw[0] == b'-' || raw[0].is_ascii_digit() => push_canonical_number(raw, out),
        Some(raw) => out.extend_from_slice(raw),
    }
}

/// Numbers are grouped by value: `1`, `1.0` and `1e0` give `1`; `0.10` and
/// `1e-1` give `0.1`. Integers written without fraction or exponent are
/// kept digit for digit (they may be ids beyond a double's precision).
fn push_canonical_number(raw: &[u8], out: &mut Vec<u8>) {
    let digits = raw.strip_prefix(b"-").unwrap_or(raw);
    if digits.iter().all(u8::is_ascii_digit) {
        if digits.iter().all(|&d| d == b'0') {
            out.push(b'0'); // -0 is 0
        } else {
            out.extend_from_slice(raw);
        }
        return;
    }
    let value = std::str::from_utf8(raw).ok().and_then(|t| t.parse::<f64>().ok());
    match value {
        Some(x) if x.is_finite() && x.fract() == 0.0 && x.abs() < 9.0e15 => {
            let _ = serde_json::to_writer(&mut *out, &(x as i64));
        }
        Some(x) if x.is_finite() => {
            let _ = serde_json::to_writer(&mut *out, &x);
        }
        // Beyond a double's range: keep the text, as a string, so that the
        // key stays readable JSON.
        _ => crate::json::push_str(out, &String::from_utf8_lossy(raw)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get<'a>(set: &FieldSet, json: &'a str) -> Vec<Option<&'a str>> {
        let mut slots = vec![None; set.len()];
        set.extract(json.as_bytes(), &mut slots).unwrap();
        slots.iter().map(|s| s.map(|r| std::str::from_utf8(r).unwrap())).collect()
    }

    #[test]
    fn extracts_wanted_fields_only() {
        let mut set = FieldSet::new();
        assert_eq!(set.add("status"), 0);
        assert_eq!(set.add("path"), 1);
        assert_eq!(set.add("status"), 0);
        assert_eq!(set.add("nope"), 2);
        let got = get(&set, r#"{"path":"/a\"b","x":{"status":1},"status":404,"y":[1,2]}"#);
        assert_eq!(got, vec![Some("404"), Some(r#""/a\"b""#), None]);
    }

    #[test]
    fn dotted_paths_reach_into_nested_objects() {
        let mut set = FieldSet::new();
        let host = set.add("req.headers.host");
        let flat = set.add("http.status");
        let got = get(&set, r#"{"req":{"headers":{"host":"a.example","x":1}},"http.status":200}"#);
        assert_eq!(got[host], Some(r#""a.example""#));
        assert_eq!(got[flat], Some("200"));
        let got = get(&set, r#"{"req":{"headers":"flat"},"http":{"status":503}}"#);
        assert_eq!(got[host], None);
        assert_eq!(got[flat], Some("503"));
    }

    #[test]
    fn extracting_notes_the_keys_of_valid_records() {
        let mut set = FieldSet::new();
        set.add("status");
        let mut seen = Seen::new();
        seen.ask("stauts");
        let mut slots = vec![None];
        set.extract_noting(br#"{"status":404}"#, &mut slots, &mut seen).unwrap();
        assert_eq!(slots, [Some(&b"404"[..])]);
        assert_eq!(
            seen.warnings(),
            [r#"field "stauts" appeared in no record (did you mean "status"?)"#]
        );
        seen.ask("status");
        set.extract_noting(br#"{"status":1,"stauts":2}"#, &mut slots, &mut seen).unwrap();
        assert!(seen.is_complete());
    }

    #[test]
    fn escaped_keys_match() {
        let mut set = FieldSet::new();
        set.add("status");
        assert_eq!(get(&set, r#"{"st\u0061tus":500}"#), vec![Some("500")]);
    }

    #[test]
    fn rejects_what_is_not_one_object() {
        let set = FieldSet::new();
        for bad in ["", "[]", "{", "{\"a\":1} x", "404", "{\"a\":1,}"] {
            assert!(set.extract(bad.as_bytes(), &mut []).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn compares_numbers_by_value_and_strings_as_text() {
        let cmp = |raw: &'static str, lit: &str| {
            compare_with_literal(&Value::from_raw(Some(raw.as_bytes())), &Literal::new(lit))
        };
        use Comparison::*;
        assert_eq!(cmp("404", "404.0"), Ordered(Ordering::Equal));
        assert_eq!(cmp("404", "50"), Ordered(Ordering::Greater));
        assert_eq!(cmp("404", "abc"), Text { equal: false });
        assert_eq!(cmp(r#""/x\u0041""#, "/xA"), Text { equal: true });
        // A number-like string is text, for every operator.
        assert_eq!(cmp(r#""404""#, "404"), Text { equal: true });
        assert_eq!(cmp(r#""404""#, "404.0"), Text { equal: false });
        assert_eq!(cmp("[404]", "404"), Text { equal: false });
        assert_eq!(cmp(r#"{"code":404}"#, "404"), Text { equal: false });
        assert_eq!(cmp("true", "true"), Text { equal: true });
        assert_eq!(cmp("true", "1"), Text { equal: false });
        assert_eq!(cmp("1e309", "1e308"), Incomparable);
        assert_eq!(cmp("null", "null"), Incomparable);
        assert_eq!(compare_with_literal(&Value::Null, &Literal::new("a")), Incomparable);
    }

    #[test]
    fn times_compare_as_instants_across_offsets() {
        let cmp = |raw: &'static str, lit: &str| {
            compare_with_literal(&Value::from_raw(Some(raw.as_bytes())), &Literal::new(lit))
        };
        use Comparison::*;
        // 10:00+05:30 is 04:30Z; 04:29:59.5Z is half a second before.
        let t = r#""2026-11-30T10:00:00+05:30""#;
        assert_eq!(cmp(t, "2026-11-30T04:30:00Z"), Ordered(Ordering::Equal));
        assert_eq!(cmp(t, "2026-11-30T04:29:59.5Z"), Ordered(Ordering::Greater));
        assert_eq!(cmp(t, "2026-11-29T23:30:00.000000001-05:00"), Ordered(Ordering::Less));
        // As text, "2026-11-30T10..." sorts after "2026-11-30T04...".
        assert_eq!(
            cmp(r#""2026-11-30T04:00:00Z""#, "2026-11-30T05:00:00+02:00"),
            Ordered(Ordering::Greater)
        );
        // A string that is not a time is text.
        assert_eq!(cmp(r#""soon""#, "2026-11-30T04:30:00Z"), Text { equal: false });
        assert_eq!(Literal::new("inf").number, None);
        assert_eq!(Literal::new("1e309").number, None);
        assert_eq!(Literal::new(".5").number, Some(0.5));
        assert_eq!(Literal::new("404").instant, None);
    }

    #[test]
    fn numbers_group_by_value() {
        let canon = |s: &str| {
            let mut out = Vec::new();
            push_canonical(Some(s.as_bytes()), &mut out);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(canon("0.1"), canon("0.10"));
        assert_eq!(canon("1e-1"), "0.1");
        assert_eq!(canon("1.0"), "1");
        assert_eq!(canon("-0"), "0");
        assert_eq!(canon("12345678901234567890"), "12345678901234567890");
        assert_eq!(canon("1e400"), "\"1e400\"");
    }

    #[test]
    fn canonical_form_normalises_escapes() {
        let raw = |s: &'static str| s.as_bytes();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        push_canonical(Some(raw(r#""\u0041\/""#)), &mut a);
        push_canonical(Some(raw(r#""A/""#)), &mut b);
        assert_eq!(a, b);
    }

    #[test]
    fn a_line_that_is_no_record_is_named_so_with_a_hint_for_raw_logs() {
        let complaint = |line: &str| {
            let mut slots = [];
            let err = FieldSet::new().extract(line.as_bytes(), &mut slots).unwrap_err();
            not_a_record(line.as_bytes(), &err)
        };
        let raw = complaint("10.0.0.1 - - [27/Nov/2026:03:22:46 +0000] \"GET / HTTP/1.1\" 200 1");
        assert!(raw.starts_with("not a JSON object: "), "{raw}");
        assert!(raw.ends_with(" (raw log lines? parse them with lparse first)"), "{raw}");
        // A broken record is not a raw log line.
        let broken = complaint(r#"{"status":404"#);
        assert!(
            broken.starts_with("not a JSON object: ") && !broken.contains("lparse"),
            "{broken}"
        );
    }
}
