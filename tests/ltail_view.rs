//! ltail on a terminal: each line as it was written, after the shortest
//! unique end of its source's path in a colour of its own, escaped and cut
//! to the window; the follower's news as dim lines among them; the records
//! themselves with --json. Run on a pseudo-terminal of 80 by 24 and read
//! back as a person sees it (the vt100 crate plays the terminal).

mod util;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use util::{OnTerminal, Pty};

/// Two logs with the same name in two directories, one line each.
fn two_logs(dir: &Path, nginx: &str, apache: &str) -> (PathBuf, PathBuf) {
    let a = dir.join("nginx/access.log");
    let b = dir.join("apache/access.log");
    for (path, text) in [(&a, nginx), (&b, apache)] {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    (a, b)
}

/// Runs ltail with `args` on a terminal of 80 by 24.
fn on_terminal(args: &[&Path], extra: &[&str], env: &[(&str, &str)]) -> OnTerminal {
    let mut cmd = Command::new(util::bin("ltail"));
    cmd.args(extra).args(args).env_remove("NO_COLOR").env_remove("COLUMNS");
    for (k, v) in env {
        cmd.env(k, v);
    }
    Pty::open().with_size(24, 80).run(cmd, b"")
}

/// The screen after `shown` (raw mode: a line feed is given the carriage
/// return a terminal's own mode adds).
fn screen(shown: &[u8]) -> vt100::Parser {
    let mut parser = vt100::Parser::new(24, 80, 0);
    let text = String::from_utf8_lossy(shown).replace('\n', "\r\n");
    parser.process(text.as_bytes());
    parser
}

/// The text of the screen's rows, trailing blank rows left out.
fn rows(parser: &vt100::Parser) -> Vec<String> {
    let mut rows: Vec<String> = parser.screen().rows(0, 80).collect();
    while rows.last().is_some_and(|r| r.trim().is_empty()) {
        rows.pop();
    }
    rows
}

#[test]
fn each_line_is_labelled_by_the_shortest_unique_end_of_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = two_logs(dir.path(), "GET /a 200\nGET /b 404\n", "POST /c 500\n");
    let run = on_terminal(&[&a, &b], &[], &[]);
    assert!(run.status.success(), "{}", run.stderr);
    assert_eq!(run.stderr, "");
    let shown = screen(&run.shown);
    assert_eq!(
        rows(&shown),
        [
            "nginx/access.log  GET /a 200",
            "nginx/access.log  GET /b 404",
            "apache/access.log POST /c 500",
        ]
    );
    // A colour per source, the line itself in the terminal's own.
    let cell = |row, col| shown.screen().cell(row, col).unwrap().fgcolor();
    assert_eq!(cell(0, 0), vt100::Color::Idx(6));
    assert_eq!(cell(2, 0), vt100::Color::Idx(5));
    assert_eq!(cell(0, 18), vt100::Color::Default);
    // -n uses the view too; one source is labelled by its name alone.
    let run = on_terminal(&[&a], &["-n", "1"], &[]);
    assert_eq!(rows(&screen(&run.shown)), ["access.log GET /b 404"]);
}

#[test]
fn escape_sequences_in_a_line_are_shown_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = two_logs(dir.path(), "evil \x1b[2J\x1b]0;title\x07 done\n", "ok\n");
    let run = on_terminal(&[&a, &b], &[], &[]);
    let text = run.shown_str();
    assert!(!text.contains("\x1b[2J") && !text.contains('\x07'), "{text:?}");
    assert_eq!(
        rows(&screen(&run.shown))[0],
        "nginx/access.log  evil \\u{1b}[2J\\u{1b}]0;title\\u{7} done"
    );
}

#[test]
fn no_color_gives_no_sgr() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = two_logs(dir.path(), "one\n", "two\n");
    for (extra, env) in [(&[][..], &[("NO_COLOR", "1")][..]), (&["--color", "never"][..], &[][..])]
    {
        let run = on_terminal(&[&a, &b], extra, env);
        assert_eq!(run.shown_str(), "nginx/access.log  one\napache/access.log two\n");
    }
}

#[test]
fn json_gives_the_records_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = two_logs(dir.path(), "one\n", "two \"q\"\n");
    let run = on_terminal(&[&a, &b], &["--json"], &[]);
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    assert_eq!(
        run.shown_str(),
        format!(
            "{{\"src\":\"{a}\",\"line\":\"one\"}}\n{{\"src\":\"{b}\",\"line\":\"two \\\"q\\\"\"}}\n"
        )
    );
}

#[test]
fn a_long_line_is_cut_to_the_window_with_an_ellipsis() {
    let dir = tempfile::tempdir().unwrap();
    let long = "x".repeat(200);
    let (a, b) = two_logs(dir.path(), &format!("{long}\n"), "short\n");
    // --merge uses the view too (neither line has a time: file order).
    let run = on_terminal(&[&a, &b], &["--merge"], &[]);
    let rows = rows(&screen(&run.shown));
    let first = format!("nginx/access.log  {}…", "x".repeat(80 - 18 - 1));
    assert_eq!(rows, [first.as_str(), "apache/access.log short"]);
}

#[test]
fn a_truncation_while_following_is_shown_as_a_line_among_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    std::fs::write(&log, "one\n").unwrap();
    let empty = dir.path().join("stdin");
    std::fs::write(&empty, "").unwrap();
    let ltail = util::bin("ltail");
    let running = Pty::open_sized(24, 80).spawn(&ltail, &["-f", log.to_str().unwrap()], &empty);
    let wait_for = |needle: &str| {
        let deadline = Instant::now() + util::PROCESS_TIMEOUT;
        loop {
            let shown = String::from_utf8_lossy(&running.shown()).replace("\r\n", "\n");
            if shown.contains(needle) {
                return shown;
            }
            assert!(Instant::now() < deadline, "{needle:?} never shown: {shown:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    // The label in the first colour of the palette (cyan).
    let label = "\u{1b}[36mapp.log\u{1b}[0m";
    wait_for(&format!("{label} one\n"));
    // copytruncate: a line, then the file emptied and a new line written.
    std::fs::OpenOptions::new().append(true).open(&log).unwrap().write_all(b"two\n").unwrap();
    wait_for(&format!("{label} two\n"));
    std::fs::write(&log, "three\n").unwrap();
    let shown = wait_for(&format!("{label} three\n"));
    // The news, dimmed, between the lines before and after.
    let news = "\u{1b}[2m-- app.log: truncated; reading from the start\u{1b}[0m";
    assert_eq!(shown, format!("{label} one\n{label} two\n{news}\n{label} three\n"));
    let status = Command::new("kill").args(["-TERM", &running.pid().to_string()]).status();
    assert!(status.unwrap().success());
    let run = running.wait();
    assert!(run.status.success(), "{}", run.stderr);
    // Shown once: not on stderr as well.
    assert!(!run.stderr.contains("truncated"), "{}", run.stderr);
}
