//! hprobe's reader of targets on stdin: plain URLs, records with `url`,
//! and lparse records replayed against a base.
//!
//! Any line: no panic, and a target that comes out is an absolute http(s)
//! URI whose printed form parses back as a URL.
#![no_main]

use hprobe::target::{parse_url, TargetReader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|line: &[u8]| {
    let base = parse_url("http://127.0.0.1:8080/base/").unwrap();
    let reader = TargetReader::new(Some(base), None, http::Method::GET);
    if let Ok(Some(target)) = reader.parse(line) {
        assert!(matches!(target.uri.scheme_str(), Some("http") | Some("https")));
        assert!(target.uri.host().is_some());
        let again = parse_url(&target.url).expect("a target's URL parses again");
        assert_eq!(again, target.uri);
    }
});
