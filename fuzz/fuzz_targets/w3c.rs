//! lparse's W3C extended (IIS) parser.
//!
//! Input: a first byte choosing one of a few fixed headers (`#Fields:`, and
//! `#Date:` for a log without a date column), which are fed first; then the
//! rest of the input, one line per `\n` (so the input may bring directives
//! of its own). A record that is written must be valid JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lparse::w3c::W3c;

const HEADERS: &[&[&[u8]]] = &[
    // IIS's default columns.
    &[
        b"#Software: Microsoft Internet Information Services 10.0",
        b"#Version: 1.0",
        b"#Date: 2026-11-27 03:22:43",
        b"#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken",
    ],
    // Every column with a canonical name, and a few others.
    &[b"#Fields: date time c-ip cs-username cs-method cs-uri-stem cs-uri-query cs-version sc-status sc-bytes cs-bytes cs(User-Agent) cs(Referer) cs(Cookie) cs-host time-taken x-custom"],
    // No date column: the date comes from #Date.
    &[b"#Date: 2026-03-29 01:00:00", b"#Fields: time c-ip cs-method cs-uri-stem sc-status time-taken"],
    // A single column.
    &[b"#Fields: cs-uri-stem"],
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let mut ctx = logkit_fuzz::ctx();
    let mut format = W3c::new();
    for line in HEADERS[usize::from(pick) % HEADERS.len()] {
        let _ = logkit_fuzz::parse_and_check(&mut format, line, &mut ctx);
    }
    for line in rest.split(|&b| b == b'\n') {
        let _ = logkit_fuzz::parse_and_check(&mut format, line, &mut ctx);
    }
});
