//! logkit-common's `time::clf_to_rfc3339` (lparse's `ts` of access logs).
//!
//! When it accepts a time, what it writes must be ASCII RFC 3339 that the
//! tools read back (`time::parse_rfc3339`, as lcount does); when it
//! refuses, it must leave the buffer as it was. `time::ClfMemo`, given
//! the time and then the same time with two other bytes for its second
//! (the case it patches rather than converts), writes what the converter
//! writes for each.
#![no_main]

use libfuzzer_sys::fuzz_target;
use logkit_common::time::{clf_to_rfc3339, parse_rfc3339, ClfMemo};
use logkit_fuzz::show;

fuzz_target!(|data: &[u8]| {
    let (second, clf) = data.split_at(data.len().min(2));
    let mut memo = ClfMemo::default();
    let mut next = clf.to_vec();
    if next.len() >= 20 && second.len() == 2 {
        next[18..20].copy_from_slice(second);
    }
    for t in [clf, clf, &next[..]] {
        let (mut ours, mut theirs) = (b"x".to_vec(), b"x".to_vec());
        let accepted = memo.to_rfc3339(t, &mut ours);
        assert_eq!(accepted, clf_to_rfc3339(t, &mut theirs), "{}", show(t));
        assert_eq!(ours, theirs, "the memo wrote another time for {}", show(t));
    }
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
