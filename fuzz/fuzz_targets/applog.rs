//! lparse's application-log parser (`applog`: log4j/logback, Python
//! logging, Go's log, Rails, PHP-FPM), and the multi-line rule's test of a
//! continuation line on the same input.
//!
//! Any line, parsed into a record; a record that is written must be valid
//! JSON (see logkit_fuzz::check_record).
#![no_main]

use libfuzzer_sys::fuzz_target;
use lparse::applog::AppLog;

fuzz_target!(|line: &[u8]| {
    let mut ctx = logkit_fuzz::ctx();
    let _ = logkit_fuzz::parse_and_check(&mut AppLog, line, &mut ctx);
    let _ = lparse::multiline::continues(line);
});
