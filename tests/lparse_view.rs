//! lparse on a terminal: one readable line per record, coloured, escaped
//! and cut to the window; the records themselves with --json and on a pipe.
//! Run on a pseudo-terminal of 80 by 24 and read back as a person sees it
//! (the vt100 crate plays the terminal).

mod util;

use std::process::Command;
use util::{OnTerminal, Pty};

const ACCESS: &str = "10.0.0.1 - - [27/Nov/2026:03:22:43 +0000] \"GET /missing?x=1 HTTP/1.1\" 404 1530 \"-\" \"curl/8.5.0\"\n";
const ERROR: &str = "2026/11/27 03:22:46 [error] 6690#6690: *1 open() \"/x\" failed (2: No such file or directory), client: 10.0.0.2, server: _, request: \"GET /x HTTP/1.1\", host: \"a.test\"\n";
const JSON: &str =
    "{\"time\":\"2026-11-27T03:22:43Z\",\"level\":\"warn\",\"message\":\"slow\",\"ms\":12}\n";
const GARBAGE: &str = "garbage here\n";

/// Runs lparse (in UTC) on a terminal of `columns` by 24 with `input`.
fn on_terminal(columns: u16, args: &[&str], env: &[(&str, &str)], input: &str) -> OnTerminal {
    let mut cmd = Command::new(util::bin("lparse"));
    cmd.args(["--tz", "UTC"]).args(args).env_remove("NO_COLOR").env_remove("COLUMNS");
    for (k, v) in env {
        cmd.env(k, v);
    }
    Pty::open().with_size(24, columns).run(cmd, input.as_bytes())
}

/// The screen after `shown`. The pseudo-terminal is in raw mode, so a
/// line feed is given the carriage return a terminal's own mode adds.
fn screen(shown: &[u8], columns: u16) -> vt100::Parser {
    let mut parser = vt100::Parser::new(24, columns, 0);
    let text = String::from_utf8_lossy(shown).replace('\n', "\r\n");
    parser.process(text.as_bytes());
    parser
}

/// The text of the screen's rows, trailing blank rows left out.
fn rows(parser: &vt100::Parser) -> Vec<String> {
    let (_, columns) = parser.screen().size();
    let mut rows: Vec<String> = parser.screen().rows(0, columns).collect();
    while rows.last().is_some_and(|r| r.trim().is_empty()) {
        rows.pop();
    }
    rows
}

/// The colour of the cell where `needle` starts on `row`.
fn colour_of(parser: &vt100::Parser, row: u16, needle: &str) -> vt100::Color {
    let text = &rows(parser)[row as usize];
    let col = text.find(needle).unwrap_or_else(|| panic!("{needle:?} not in {text:?}"));
    let col = text[..col].chars().count() as u16;
    parser.screen().cell(row, col).unwrap().fgcolor()
}

const RED: vt100::Color = vt100::Color::Idx(1);
const GREEN: vt100::Color = vt100::Color::Idx(2);
const YELLOW: vt100::Color = vt100::Color::Idx(3);

#[test]
fn each_kind_of_record_reads_as_one_line() {
    let input = format!("{ACCESS}{ERROR}{JSON}{GARBAGE}");
    let run = on_terminal(120, &[], &[], &input);
    // A bad line is still exit 1, and reported on stderr.
    assert_eq!(run.status.code(), Some(1), "{}", run.stderr);
    let screen = screen(&run.shown, 120);
    assert_eq!(
        rows(&screen),
        [
            "2026-11-27 03:22:43+00:00 404 GET    /missing?x=1 1.530kB 10.0.0.1",
            "2026-11-27 03:22:46+00:00 error  open() \"/x\" failed (2: No such file or directory) client 10.0.0.2",
            "2026-11-27 03:22:43+00:00 warn   slow ms=12",
            // The source's last format (JSON) is tried first, and says why.
            "! not a JSON object: garbage here",
        ]
    );
    assert_eq!(colour_of(&screen, 0, "404"), YELLOW);
    // The time is dimmed (SGR 2, which this screen reader does not keep).
    let shown = String::from_utf8_lossy(&run.shown);
    let time = shown.find("2026-11-27").unwrap();
    assert!(shown[..time].ends_with("\u{1b}[2m"), "the time is dimmed: {shown:?}");
    assert_eq!(colour_of(&screen, 1, "error"), RED);
    assert_eq!(colour_of(&screen, 2, "warn"), YELLOW);
    assert_eq!(colour_of(&screen, 3, "! not"), RED);
}

#[test]
fn statuses_are_coloured_by_class() {
    let ok = ACCESS.replace("404 1530", "200 1530");
    let run = on_terminal(80, &[], &[], &ok);
    assert_eq!(colour_of(&screen(&run.shown, 80), 0, "200"), GREEN);
}

#[test]
fn under_100_columns_the_time_of_day_and_lines_cut_with_an_ellipsis() {
    let long = ACCESS.replace("/missing?x=1", &format!("/{}", "a".repeat(100)));
    let run = on_terminal(40, &[], &[], &format!("{long}{ACCESS}"));
    let screen = screen(&run.shown, 40);
    assert_eq!(
        rows(&screen),
        ["03:22:43 404 GET    /aaaaaaaaaaaaaaaaaa…", "03:22:43 404 GET    /missing?x=1 1.530k…"]
    );
}

#[test]
fn no_color_and_never_give_no_sgr_always_beats_no_color() {
    let sgr = |run: &OnTerminal| run.shown.windows(2).any(|w| w == b"\x1b[");
    assert!(sgr(&on_terminal(80, &[], &[], ACCESS)), "colour by default");
    assert!(!sgr(&on_terminal(80, &[], &[("NO_COLOR", "1")], ACCESS)));
    assert!(!sgr(&on_terminal(80, &["--color", "never"], &[], ACCESS)));
    assert!(sgr(&on_terminal(80, &[], &[("NO_COLOR", "")], ACCESS)), "an empty NO_COLOR is unset");
    assert!(sgr(&on_terminal(80, &["--color", "always"], &[("NO_COLOR", "1")], ACCESS)));
    // The text is the same without colour.
    let plain = on_terminal(80, &["--color", "never"], &[], ACCESS);
    assert_eq!(plain.shown_str(), "03:22:43 404 GET    /missing?x=1 1.530kB 10.0.0.1\n");
}

/// The records lparse writes to a pipe.
fn piped(args: &[&str], input: &str) -> Vec<u8> {
    let out = assert_cmd::Command::new(util::bin("lparse"))
        .args(["--tz", "UTC"])
        .args(args)
        .write_stdin(input)
        .output()
        .unwrap();
    out.stdout
}

#[test]
fn json_on_a_terminal_and_color_always_on_a_pipe_give_the_records() {
    let input = format!("{ACCESS}{JSON}");
    let records = piped(&[], &input);
    assert!(records.starts_with(b"{\"ts\":\"2026-11-27T03:22:43+00:00\",\"client\":\"10.0.0.1\""));
    assert_eq!(piped(&["--color", "always"], &input), records);
    assert_eq!(on_terminal(80, &["--json"], &[], &input).shown, records);
}

#[test]
fn an_escape_sequence_in_a_path_is_shown_escaped() {
    let hostile = ACCESS.replace("/missing?x=1", "/\x1b[2J\x1b]0;owned\x07");
    let run = on_terminal(80, &[], &[], &hostile);
    let screen = screen(&run.shown, 80);
    assert_eq!(
        rows(&screen),
        ["03:22:43 404 GET    /\\u{1b}[2J\\u{1b}]0;owned\\u{7} 1.530kB 10.0.0.1"]
    );
    let raw = |seq: &[u8]| run.shown.windows(seq.len()).any(|w| w == seq);
    assert!(!raw(b"\x1b[2J") && !raw(b"\x1b]"), "the data reached the terminal raw");
}
