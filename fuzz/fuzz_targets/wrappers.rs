//! lparse's readers of wrapped lines: Docker json-file, CRI and journald's
//! JSON export.
//!
//! Any line: whatever a reader takes out of it must be usable as it is
//! written into a record: the wrapper's fields (`stream`, `recv_ts`, and
//! journald's `host`, `pid`...) make a valid JSON object, and `recv_ts` is
//! an RFC 3339 time. The inner line's bytes may be anything; Docker's
//! one-pass reader must agree with its two-step one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lparse::{cri, docker, journald, wrap};

fn check_fields(fields: &[u8], line: &[u8]) {
    let mut record = b"{".to_vec();
    record.extend_from_slice(fields);
    record.extend_from_slice(b",\"fmt\":\"x\"}");
    logkit_fuzz::check_record(&record, "wrapper", line);
}

fuzz_target!(|line: &[u8]| {
    let mut fields = Vec::new();
    let mut one_pass = Vec::new();
    let fast = docker::parse_into(line, &mut one_pass);
    if let Some(d) = docker::parse(line) {
        // The one-pass reader gives the same as parse, then text.
        let mut text = Vec::new();
        let (bytes, end) = d.text(&mut text);
        assert_eq!(fast, Some((d.stream, d.time, end)));
        assert_eq!(one_pass, bytes);
        wrap::prefix(logkit_fuzz::SRC_FIELDS, Some(d.stream), Some(d.time), &mut fields);
        check_fields(&fields, line);
    }
    if let Some(c) = cri::parse(line) {
        wrap::prefix(logkit_fuzz::SRC_FIELDS, Some(c.stream), Some(c.time), &mut fields);
        check_fields(&fields, line);
    }
    let mut message = Vec::new();
    if journald::parse(line, logkit_fuzz::SRC_FIELDS, &mut fields, &mut message).is_some() {
        check_fields(&fields, line);
    }
});
