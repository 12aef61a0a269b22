//! lparse's Apache error_log parser.
//!
//! Any line, parsed into a record; a record that is written must be valid
//! JSON (see logkit_fuzz::check_record).
#![no_main]

use libfuzzer_sys::fuzz_target;
use lparse::apache_error::ApacheError;

fuzz_target!(|line: &[u8]| {
    let mut ctx = logkit_fuzz::ctx();
    let mut format = ApacheError;
    let _ = logkit_fuzz::parse_and_check(&mut format, line, &mut ctx);
});
