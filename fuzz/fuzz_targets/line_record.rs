//! logkit-common's ltail record reader (`record::LineRecord`).
//!
//! * Any input: `LineRecord::parse`, then `line_bytes`, `src_fields`,
//!   `carried_fields` and `src_text` must not panic; the fields it hands
//!   out (copied as they are into lparse's records) must be valid JSON; `line` must decode
//!   as serde_json decodes it.
//! * The input as a log line: ltail's record of it (`write_line_record`)
//!   must read back, with `line_bytes`, to the same bytes.
//! * `LineRecord::parse_into` (one pass for ltail's own shape) must give
//!   what `parse` and `line_bytes` give, on any input and on ltail's records.
#![no_main]

use libfuzzer_sys::fuzz_target;
use logkit_common::record::{encode_src, write_line_record, LineRecord};
use logkit_fuzz::show;

/// `parse_into` against `parse` then `line_bytes`.
fn same_as_the_general_parse(data: &[u8]) {
    let mut fast_buf = Vec::new();
    let fast = LineRecord::parse_into(data, &mut fast_buf);
    let slow = LineRecord::parse(data).map(|rec| {
        let mut buf = Vec::new();
        let decoded = rec.line_bytes(&mut buf).is_ok();
        (rec, decoded, buf)
    });
    match (fast, slow) {
        (None, None) => {}
        (Some((f, fd)), Some((s, sd, sbuf))) => {
            assert_eq!(format!("{f:?}"), format!("{s:?}"), "records differ: {}", show(data));
            assert_eq!(fd.is_ok(), sd, "decoding differs: {}", show(data));
            if sd {
                assert_eq!(show(&fast_buf), show(&sbuf), "lines differ: {}", show(data));
            }
        }
        (f, s) => panic!("{:?} against {:?}: {}", f.map(|x| x.0), s.map(|x| x.0), show(data)),
    }
}

fuzz_target!(|data: &[u8]| {
    same_as_the_general_parse(data);
    if let Some(rec) = LineRecord::parse(data) {
        let mut buf = Vec::new();
        let bytes = rec.line_bytes(&mut buf).map(<[u8]>::to_vec);
        if rec.line_b64.is_none() {
            let bytes = bytes.expect("line_bytes without line_b64 cannot fail");
            if let Ok(text) = serde_json::from_slice::<String>(rec.line) {
                assert_eq!(
                    show(&bytes),
                    show(text.as_bytes()),
                    "line decodes differently from serde_json: {}",
                    show(rec.line)
                );
            }
        }
        let mut src = Vec::new();
        rec.src_fields(&mut src);
        let object = [&b"{"[..], &src, b"}"].concat();
        if let Err(e) = logkit_fuzz::json_object(&object) {
            panic!("src_fields are not valid JSON ({e}): {}\n  record: {}", show(&src), show(data));
        }
        // And with `offset` and the added fields, as lparse copies them.
        let mut carried = Vec::new();
        rec.carried_fields(&mut carried);
        let object = [&b"{"[..], &carried, b"}"].concat();
        if let Err(e) = logkit_fuzz::json_object(&object) {
            panic!("carried fields are not valid JSON ({e}): {}\n  record: {}", show(&carried), show(data));
        }
        let _ = rec.src_text();
    }

    // Round trip of the input as a raw line (and as a source name).
    for truncated in [false, true] {
        let mut out = Vec::new();
        write_line_record(&mut out, &encode_src(data), data, truncated);
        assert_eq!(out.last(), Some(&b'\n'));
        let record = &out[..out.len() - 1];
        assert!(!record.contains(&b'\n'), "a raw newline in {}", show(record));
        same_as_the_general_parse(record);
        let rec = LineRecord::parse(record)
            .unwrap_or_else(|| panic!("ltail's record does not read back: {}", show(record)));
        let mut buf = Vec::new();
        let bytes = rec.line_bytes(&mut buf).expect("line_b64 decodes");
        assert_eq!(show(bytes), show(data), "the line does not round-trip: {}", show(record));
        assert_eq!(rec.truncated, truncated);
        assert!(rec.src.is_some());
        let mut src = Vec::new();
        rec.src_fields(&mut src);
        assert_eq!(show(&src), show(&encode_src(data)), "src fields do not round-trip");
    }
});
