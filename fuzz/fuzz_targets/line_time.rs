//! logkit-common's time sniffer (`sniff::line_time`, used by `ltail
//! --merge`): any line, in UTC and in a zone with daylight saving time,
//! must not panic (arithmetic overflow included: cargo fuzz builds with
//! overflow checks).
#![no_main]

use libfuzzer_sys::fuzz_target;
use logkit_common::sniff::line_time;

fuzz_target!(|line: &[u8]| {
    let _ = line_time(line, &jiff::tz::TimeZone::UTC);
    let _ = line_time(line, &logkit_fuzz::zone());
});
