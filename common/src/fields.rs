//! Borrowed access to a few top-level fields of an NDJSON record.
//!
//! A filter needs two or three fields of a record that has fifteen, so
//! building a whole `serde_json::Value` per record would spend most of the
//! time on fields nobody looks at. [`FieldSet::extract`] walks the object
//! once with serde_json, matches each key against the wanted names without
//! allocating, keeps the wanted values as borrowed raw JSON and skips the
//! others.

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;

/// The names of the fields a tool wants from each record.
#[derive(Debug, Clone, Default)]
pub struct FieldSet {
    names: Vec<String>,
}

impl FieldSet {
    pub fn new() -> Self {
        FieldSet::default()
    }

    /// Adds a field name (once) and returns its index in the extracted slots.
    pub fn add(&mut self, name: &str) -> usize {
        match self.names.iter().position(|n| n == name) {
            Some(i) => i,
            None => {
                self.names.push(name.to_owned());
                self.names.len() - 1
            }
        }
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Parses one JSON object and fills `slots` (which must have
    /// [`FieldSet::len`] entries) with the raw text of each wanted field, or
    /// `None` where the record lacks it. Fails when `json` is not a single
    /// valid JSON object.
    pub fn extract<'a>(
        &self,
        json: &'a [u8],
        slots: &mut [Option<&'a RawValue>],
    ) -> Result<(), serde_json::Error> {
        debug_assert_eq!(slots.len(), self.names.len());
        slots.fill(None);
        let mut de = serde_json::Deserializer::from_slice(json);
        de::Deserializer::deserialize_map(
            &mut de,
            ObjectVisitor {
                names: &self.names,
                slots,
            },
        )?;
        de.end()
    }
}

struct ObjectVisitor<'s, 'a> {
    names: &'s [String],
    slots: &'s mut [Option<&'a RawValue>],
}

impl<'de, 's> Visitor<'de> for ObjectVisitor<'s, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(found) = map.next_key_seed(KeyMatcher(self.names))? {
            match found {
                Some(i) => self.slots[i] = Some(map.next_value()?),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// Deserializes a key into the index of the wanted name it equals, if any,
/// without allocating (serde_json hands over a borrowed or scratch `&str`).
struct KeyMatcher<'s>(&'s [String]);

impl<'de> DeserializeSeed<'de> for KeyMatcher<'_> {
    type Value = Option<usize>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Option<usize>, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for KeyMatcher<'_> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Option<usize>, E> {
        Ok(self.0.iter().position(|n| n == key))
    }
}

/// A JSON value, typed just enough to compare it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Null,
    Bool(bool),
    Number(f64),
    String(Cow<'a, str>),
    /// An array or an object, as its JSON text.
    Composite(&'a str),
}

impl<'a> Value<'a> {
    /// Interprets raw JSON text. `None` (a missing field) is `Null`.
    pub fn from_raw(raw: Option<&'a RawValue>) -> Value<'a> {
        let Some(raw) = raw else { return Value::Null };
        let text = raw.get();
        match text.as_bytes()[0] {
            b'"' => match serde_json::from_str::<&str>(text) {
                Ok(s) => Value::String(Cow::Borrowed(s)),
                // Escapes present: decode into an owned string.
                Err(_) => serde_json::from_str::<String>(text)
                    .map(|s| Value::String(Cow::Owned(s)))
                    .unwrap_or(Value::Null),
            },
            b'n' => Value::Null,
            b't' => Value::Bool(true),
            b'f' => Value::Bool(false),
            b'[' | b'{' => Value::Composite(text),
            _ => text.parse().map(Value::Number).unwrap_or(Value::Null),
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

/// Compares a record's value with a literal from the command line: as
/// numbers when the value is a number and the literal reads as one, else as
/// text. Returns `None` when the field is missing or null (such a field is
/// neither equal to nor ordered with anything).
pub fn compare_with_literal(value: &Value<'_>, literal: &Literal) -> Option<Ordering> {
    match (value, literal.number) {
        (Value::Null, _) => None,
        (Value::Number(n), Some(l)) => n.partial_cmp(&l),
        (v, _) => Some(v.as_text().as_ref().cmp(literal.text.as_str())),
    }
}

/// A value written on the command line, with its numeric reading if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Literal {
    pub text: String,
    pub number: Option<f64>,
}

impl Literal {
    pub fn new(text: &str) -> Self {
        Literal {
            text: text.to_owned(),
            number: text.parse::<f64>().ok().filter(|n| n.is_finite()),
        }
    }
}

/// Appends a canonical JSON form of a raw value to `out`, so that equal
/// values give equal bytes (strings are decoded and re-encoded, which
/// normalises escapes such as `\u0041`). A missing field is `null`.
pub fn push_canonical(raw: Option<&RawValue>, out: &mut Vec<u8>) {
    let Some(raw) = raw else {
        out.extend_from_slice(b"null");
        return;
    };
    let text = raw.get();
    if text.as_bytes()[0] == b'"' && text.contains('\\') {
        if let Ok(s) = serde_json::from_str::<String>(text) {
            crate::json::push_str(out, &s);
            return;
        }
    }
    out.extend_from_slice(text.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get<'a>(set: &FieldSet, json: &'a str) -> Vec<Option<&'a str>> {
        let mut slots = vec![None; set.len()];
        set.extract(json.as_bytes(), &mut slots).unwrap();
        slots.iter().map(|s| s.map(|r| r.get())).collect()
    }

    #[test]
    fn extracts_wanted_fields_only() {
        let mut set = FieldSet::new();
        assert_eq!(set.add("status"), 0);
        assert_eq!(set.add("path"), 1);
        assert_eq!(set.add("status"), 0);
        assert_eq!(set.add("nope"), 2);
        let got = get(
            &set,
            r#"{"path":"/a\"b","x":{"status":1},"status":404,"y":[1,2]}"#,
        );
        assert_eq!(got, vec![Some("404"), Some(r#""/a\"b""#), None]);
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
    fn compares_numbers_numerically_and_strings_as_text() {
        let raw = |s: &'static str| serde_json::from_str::<&RawValue>(s).unwrap();
        let n = Value::from_raw(Some(raw("404")));
        assert_eq!(
            compare_with_literal(&n, &Literal::new("404.0")),
            Some(Ordering::Equal)
        );
        assert_eq!(
            compare_with_literal(&n, &Literal::new("50")),
            Some(Ordering::Greater)
        );
        let s = Value::from_raw(Some(raw(r#""/x\u0041""#)));
        assert_eq!(
            compare_with_literal(&s, &Literal::new("/xA")),
            Some(Ordering::Equal)
        );
        assert_eq!(compare_with_literal(&Value::Null, &Literal::new("a")), None);
    }

    #[test]
    fn canonical_form_normalises_escapes() {
        let raw = |s: &'static str| serde_json::from_str::<&RawValue>(s).unwrap();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        push_canonical(Some(raw(r#""\u0041\/""#)), &mut a);
        push_canonical(Some(raw(r#""A/""#)), &mut b);
        assert_eq!(a, b);
    }
}
