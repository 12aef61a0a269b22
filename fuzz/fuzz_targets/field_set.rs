//! logkit-common's `fields::FieldSet::extract` (lcount's field access).
//!
//! When it accepts a record, serde_json must accept it as an object too,
//! and every value extracted (top-level or dotted path) must be valid JSON;
//! reading the values (`Value::from_raw`, `as_text`, `push_canonical`) must
//! not panic, and the canonical form must be valid JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use logkit_common::fields::{push_canonical, FieldSet, Value};
use logkit_fuzz::show;
use std::sync::OnceLock;

fn field_set() -> &'static FieldSet {
    static SET: OnceLock<FieldSet> = OnceLock::new();
    SET.get_or_init(|| {
        let mut set = FieldSet::new();
        for name in ["status", "path", "a", "a.b", "a.b.c", "req.headers.host", "http.status", ""] {
            set.add(name);
        }
        set
    })
}

fuzz_target!(|record: &[u8]| {
    let set = field_set();
    let mut slots = vec![None; set.len()];
    if set.extract(record, &mut slots).is_err() {
        return;
    }
    if let Err(e) = logkit_fuzz::json_object(record) {
        panic!("extract accepts what serde_json rejects ({e}): {}", show(record));
    }
    for raw in slots.iter().copied() {
        if let Some(raw) = raw {
            if let Err(e) = logkit_fuzz::json_value(raw) {
                panic!("an extracted value is not JSON ({e}): {}", show(raw));
            }
        }
        let value = Value::from_raw(raw);
        let _ = value.as_i64();
        let _ = value.as_text();
        let mut canonical = Vec::new();
        push_canonical(raw, &mut canonical);
        if let Err(e) = logkit_fuzz::json_value(&canonical) {
            panic!(
                "push_canonical wrote invalid JSON ({e}): {} from {}",
                show(&canonical),
                show(record)
            );
        }
    }
});
