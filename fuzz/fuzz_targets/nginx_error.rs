//! lparse's nginx error_log parser.
//!
//! Any line, parsed into a record; a record that is written must be valid
//! JSON (see logkit_fuzz::check_record).
#![no_main]

use libfuzzer_sys::fuzz_target;
use lparse::nginx_error::NginxError;

fuzz_target!(|line: &[u8]| {
    let mut ctx = logkit_fuzz::ctx();
    let mut format = NginxError;
    let _ = logkit_fuzz::parse_and_check(&mut format, line, &mut ctx);
});
