//! Durations given on the command line (`--every 1m`, `-s 500ms`).

use std::time::Duration;

/// Parses a duration such as `500ms`, `2s`, `1.5s`, `5m`, `1h`, `1d`,
/// `1m30s`, `1h 30m` or `2 minutes`: jiff's friendly format (units from
/// weeks down to nanoseconds, `us`/`µs` for microseconds, a day being 24
/// hours), or ISO 8601's `PT1M30S`. A bare `0` is zero. Negative durations
/// are refused. Errors say what was expected, for clap to show.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("bad duration {text:?}: expected e.g. 500ms, 2s, 5m, 1h, 1d");
    let s = text.trim();
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    let friendly = s
        .parse::<jiff::Span>()
        .ok()
        .and_then(|span| span.to_duration(jiff::SpanRelativeTo::days_are_24_hours()).ok());
    match friendly {
        Some(d) => Duration::try_from(d).map_err(|_| bad()),
        None => unit_sum(s).ok_or_else(bad),
    }
}

/// A sum of numbers with units in any order, each unit any number of
/// times, any of them with a fraction (`1.5d`, `30s1m`, `.5s`): forms that
/// these tools took before they used jiff's grammar, which refuses them,
/// kept so that no command line stops working.
fn unit_sum(s: &str) -> Option<Duration> {
    let mut rest = s;
    let mut total = 0f64;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let num_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let number: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let seconds = match &rest[..unit_len] {
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "d" => 86400.0,
            _ => return None,
        };
        total += number * seconds;
        rest = &rest[unit_len..];
    }
    Duration::try_from_secs_f64(total).ok()
}
