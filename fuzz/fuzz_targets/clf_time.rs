//! logkit-common's `time::clf_to_rfc3339` (lparse's `ts` of access logs).
//!
//! When it accepts a time, what it writes must be ASCII RFC 3339 that the
//! tools read back (`time::parse_rfc3339`, as lcount does); when it
//! refuses, it must leave the buffer as it was.
#![no_main]

use libfuzzer_sys::fuzz_target;
use logkit_common::time::{clf_to_rfc3339, parse_rfc3339};
use logkit_fuzz::show;

fuzz_target!(|clf: &[u8]| {
    let mut out = b"x".to_vec();
    if clf_to_rfc3339(clf, &mut out) {
        let written = &out[1..];
        let text = std::str::from_utf8(written)
            .unwrap_or_else(|_| panic!("not UTF-8: {} from {}", show(written), show(clf)));
        assert!(parse_rfc3339(text).is_some(), "{text:?} does not read back (from {})", show(clf));
    } else {
        assert_eq!(out, b"x", "a refused time changed the buffer (from {})", show(clf));
    }
});
