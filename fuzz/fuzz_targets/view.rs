//! The terminal view of records (`common::view`), which lparse, lgrep and
//! hprobe show on a terminal.
//!
//! Records made of the fields the view places (access, error-log, hprobe
//! and `--compare` fields, and any other), with values of any bytes: the
//! view never panics, gives one line a record, and no byte of what it
//! shows could drive a terminal (no C0 or C1 control, no DEL; colour off).
#![no_main]

use libfuzzer_sys::fuzz_target;
use logkit_common::json::Object;
use logkit_common::view::View;

/// Field names the view treats apart; the fuzzer picks one per field.
const NAMES: &[&str] = &[
    "ts", "status", "method", "path", "query", "request", "bytes", "rt", "vhost", "client",
    "url", "seq", "err", "err_msg", "retries", "redirects", "final_url", "h_x_cache",
    "h_x_b64", "b_url", "b_status", "b_rt", "b_err", "b_err_msg", "b_h_x_cache", "diff",
    "fmt", "partial", "line", "truncated", "level", "msg", "src", "other",
];

fuzz_target!(|data: &[u8]| {
    // Records split at 0xff; in each, fields split at 0xfe: the first byte
    // names the field, the second says how its value is written, the rest
    // is the value.
    let mut ndjson = Vec::new();
    let mut records = 0;
    for record in data.split(|&b| b == 0xff) {
        let mut obj = Object::new(&mut ndjson);
        for field in record.split(|&b| b == 0xfe) {
            let [name, how, value @ ..] = field else { continue };
            let name = NAMES[usize::from(*name) % NAMES.len()];
            match how % 3 {
                0 => obj.bytes(name, value),
                1 => {
                    let digits: String = value.iter().map(|b| char::from(b'0' + b % 10)).collect();
                    obj.raw(name, if digits.is_empty() { b"0" } else { digits.as_bytes() });
                }
                _ => obj.float(name, f64::from(value.first().copied().unwrap_or(0)) / 7.0),
            }
        }
        obj.finish();
        ndjson.push(b'\n');
        records += 1;
    }
    let mut view = View::new(false);
    view.show(&mut ndjson, 0);
    let text = std::str::from_utf8(&ndjson).expect("the view writes UTF-8");
    assert_eq!(text.matches('\n').count(), records, "one line a record: {text:?}");
    for c in text.chars() {
        let control = (c.is_control() && c != '\n') || ('\u{80}'..='\u{9f}').contains(&c);
        assert!(!control, "a control character {c:?} shown: {text:?}");
    }
});
