//! lparse's custom formats compiled from fuzzed format strings.
//!
//! Input: a first byte choosing nginx (even) or Apache (odd), then the
//! format string up to the first newline, then log lines (one per `\n`).
//! Compiling must not panic; when it succeeds, each line is parsed and a
//! record that is written must be valid JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lparse::custom::Custom;

fuzz_target!(|data: &[u8]| {
    let Some((&kind, rest)) = data.split_first() else { return };
    let mut parts = rest.split(|&b| b == b'\n');
    let Some(Ok(config)) = parts.next().map(std::str::from_utf8) else { return };
    let compiled = if kind % 2 == 0 { Custom::nginx(config) } else { Custom::apache(config) };
    let Ok(mut format) = compiled else { return };
    let mut ctx = logkit_fuzz::ctx();
    for line in parts {
        let _ = logkit_fuzz::parse_and_check(&mut format, line, &mut ctx);
    }
});
