//! logkit-common's flat JSON scanner (`flat::Fields`) against serde_json.
//!
//! * When the scanner accepts a whole object, serde_json must accept it as
//!   an object too, with the same fields: keys and string values decoded
//!   by `flat::decode_str` as serde_json decodes them, other values equal
//!   (the last of duplicate keys wins in both).
//! * For an input starting with `{`, when serde_json accepts it as an
//!   object, the scanner must accept it too.
//! * `flat::for_each_field` (the one-pass reader with fast paths that
//!   lcount and lgrep use) fails with the scanner's very error, or visits
//!   the scanner's fields last, after at most a prefix of them (from a fast
//!   pass that handed the line on).
#![no_main]

use libfuzzer_sys::fuzz_target;
use logkit_common::flat::{decode_str, for_each_field, Field, Fields, ScanError};
use logkit_fuzz::{json_object, show};
use serde_json::{Map, Value};

/// The scanner's reading of the input: every field, or where it failed.
fn scan(data: &[u8]) -> Result<Vec<(String, &[u8])>, ScanError> {
    let mut fields = Fields::new(data)?;
    let mut out = Vec::new();
    while let Some(f) = fields.next()? {
        let key = [&b"\""[..], f.key, b"\""].concat();
        let decoded = decode_str(&key).into_owned();
        assert!(f.key_is(&decoded), "key_is disagrees with decode_str for key {}", show(f.key));
        out.push((decoded, f.value));
    }
    Ok(out)
}

/// Holds `for_each_field` to the scanner on `data`.
fn check_one_pass(data: &[u8]) {
    let mut visited = Vec::new();
    let one_pass = for_each_field(data, |f| visited.push(f));
    let reference = (|| -> Result<Vec<Field<'_>>, ScanError> {
        let mut fields = Fields::new(data)?;
        let mut all = Vec::new();
        while let Some(f) = fields.next()? {
            all.push(f);
        }
        Ok(all)
    })();
    match (one_pass, reference) {
        (Err(a), Err(b)) => assert_eq!(a, b, "for_each_field fails otherwise: {}", show(data)),
        (Ok(()), Ok(fields)) => {
            let (before, last) = visited.split_at(visited.len() - fields.len());
            assert_eq!(last, &fields[..], "for_each_field's fields differ: {}", show(data));
            assert!(fields.starts_with(before), "for_each_field visits more: {}", show(data));
        }
        (a, b) => {
            panic!("for_each_field says {a:?}, the scanner {:?}: {}", b.map(|_| ()), show(data))
        }
    }
}

fuzz_target!(|data: &[u8]| {
    check_one_pass(data);
    let ours = scan(data);
    // serde_json's verdict: strict, or by the grammar only with
    // LOGKIT_FUZZ_LENIENT=1 (see logkit_fuzz::check_record).
    let theirs = json_object(data);
    match (&ours, &theirs) {
        (Ok(fields), Ok(())) => {
            // The fields are compared when serde_json can decode them all.
            let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(data) else { return };
            let mut mine = Map::new();
            for (key, raw) in fields {
                let value: Value = serde_json::from_slice(raw).unwrap_or_else(|e| {
                    panic!("a value the scanner took is not JSON ({e}): {}", show(raw))
                });
                if let Value::String(s) = &value {
                    assert_eq!(
                        decode_str(raw),
                        s.as_str(),
                        "decode_str differs from serde_json for {}",
                        show(raw)
                    );
                }
                mine.insert(key.clone(), value);
            }
            assert_eq!(mine, map, "the scanner's fields differ from serde_json's");
        }
        (Ok(_), Err(e)) => {
            panic!("the scanner accepts what serde_json rejects ({e}): {}", show(data))
        }
        (Err(e), Ok(())) if data.first() == Some(&b'{') => {
            panic!("serde_json accepts what the scanner rejects ({e}): {}", show(data))
        }
        (Err(_), _) => {}
    }
});
