//! `lcount --interval` on a terminal: the live board on the alternate
//! screen, read as a person sees it (a pseudo-terminal of a fixed size,
//! its screen kept by the vt100 crate), fed through a FIFO as `ltail -f`
//! would feed it, and left with `q`, Ctrl-C or SIGTERM.

mod util;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use util::{bin, Pty, Running};

/// How long the board may take to show something new: a tick (1s), and
/// more on a loaded machine.
const WAIT: Duration = Duration::from_secs(10);

/// A path wider than any window here.
fn long_path() -> String {
    format!("/very/long/{}", "x".repeat(200))
}

/// The screen as a vt100 terminal of the pty's size shows it, fed every
/// byte lcount wrote.
struct Screen {
    parser: vt100::Parser,
    fed: usize,
}

impl Screen {
    fn new(rows: u16, cols: u16) -> Screen {
        Screen { parser: vt100::Parser::new(rows, cols, 0), fed: 0 }
    }

    fn update(&mut self, shown: &[u8]) {
        self.parser.process(&shown[self.fed..]);
        self.fed = shown.len();
    }

    /// The lines of the screen, without trailing blanks.
    fn lines(&self) -> Vec<String> {
        let (_, cols) = self.parser.screen().size();
        self.parser.screen().rows(0, cols).map(|r| r.trim_end().to_owned()).collect()
    }

    /// Waits until the screen satisfies `done`; panics with the screen
    /// after [`WAIT`].
    fn wait_for(&mut self, run: &Running, what: &str, done: impl Fn(&[String]) -> bool) {
        let deadline = Instant::now() + WAIT;
        loop {
            self.update(&run.shown());
            if done(&self.lines()) {
                return;
            }
            assert!(Instant::now() < deadline, "{what}: not shown:\n{}", self.lines().join("\n"));
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// lcount running on a terminal of `rows`×`cols`, reading a FIFO that the
/// test writes to.
struct Board {
    run: Running,
    input: std::fs::File,
    screen: Screen,
    _dir: tempfile::TempDir,
}

fn start(rows: u16, cols: u16, args: &[&str]) -> Board {
    let dir = tempfile::tempdir().unwrap();
    let fifo: PathBuf = dir.path().join("input");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let run = Pty::open_sized(rows, cols).spawn(&bin("lcount"), args, &fifo);
    // Opening blocks until lcount's shell opens the other end.
    let input = std::fs::OpenOptions::new().write(true).open(Path::new(&fifo)).unwrap();
    Board { run, input, screen: Screen::new(rows, cols), _dir: dir }
}

impl Board {
    fn feed(&mut self, records: &str) {
        self.input.write_all(records.as_bytes()).unwrap();
        self.input.flush().unwrap();
    }

    fn wait_for(&mut self, what: &str, done: impl Fn(&[String]) -> bool) {
        self.screen.wait_for(&self.run, what, done);
    }
}

/// `count` records of each path, `ts` at 08:30:00Z.
fn records(paths: &[(&str, usize)]) -> String {
    let mut s = String::new();
    for (path, count) in paths {
        for _ in 0..*count {
            s += &format!("{{\"path\":\"{path}\",\"ts\":\"2026-11-30T08:30:00Z\"}}\n");
        }
    }
    s
}

/// 300 groups: the long path twice (so it comes first), then /p001 to
/// /p299 once each.
fn three_hundred_groups() -> String {
    let long = long_path();
    let mut paths: Vec<(String, usize)> = vec![(long, 2)];
    paths.extend((1..300).map(|i| (format!("/p{i:03}"), 1)));
    let paths: Vec<(&str, usize)> = paths.iter().map(|(p, n)| (p.as_str(), *n)).collect();
    records(&paths)
}

fn words(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

const TITLE: &str = "lcount · records from 2026-11-30T08:30:00+00:00 to 2026-11-30T08:30:00+00:00";

#[test]
fn three_hundred_groups_fit_the_window_with_the_rest_counted() {
    let mut board = start(24, 80, &["--by", "path", "--interval", "1s"]);
    board.feed(&three_hundred_groups());
    // 24 lines: the title, the header, 20 rows, "N more", the status.
    board.wait_for("300 groups", |l| l[22] == "… 280 more");
    let lines = board.screen.lines();
    assert!(board.screen.parser.screen().alternate_screen());
    assert_eq!(lines[0], TITLE);
    assert_eq!(words(&lines[1]), ["path", "count", "count_last", "rate"]);
    // The long path cut with … where the window needs it, its figures
    // still beside it; the next rows whole.
    let first = &lines[2];
    assert!(first.starts_with("/very/long/xxx"), "{first}");
    assert_eq!(words(first)[0].chars().last(), Some('…'), "{first}");
    assert_eq!(words(first)[1], "2", "{first}");
    assert_eq!(first.chars().count(), 80, "{first}");
    assert_eq!(words(&lines[3])[..2], ["/p001", "1"]);
    assert_eq!(words(&lines[21])[..2], ["/p019", "1"]);
    let status = &lines[23];
    assert!(status.starts_with(" 301 records read · "), "{status}");
    assert!(status.contains(" · 0 bad lines · last input "), "{status}");
    // Nothing beyond the window.
    for row in 0..24 {
        assert!(!board.screen.parser.screen().row_wrapped(row), "{lines:#?}");
    }

    board.run.send(b"q");
    let end = board.run.wait();
    assert!(end.status.success(), "{}: {}", end.status, end.stderr);
}

#[test]
fn a_resized_window_is_followed_at_once() {
    // A tick every 5s: the board follows the resize long before the next.
    let mut board = start(24, 80, &["--by", "path", "--interval", "5s"]);
    board.feed(&three_hundred_groups());
    board.wait_for("300 groups in 80×24", |l| l[22] == "… 280 more");
    let status = board.screen.lines()[23].clone();
    board.run.resize(40, 120);
    board.screen.update(&board.run.shown());
    board.screen.parser.screen_mut().set_size(40, 120);
    // 40 lines: the title, the header, 36 rows, "N more", the status.
    board.wait_for("300 groups in 120×40", |l| l.get(38).is_some_and(|l| l == "… 264 more"));
    let lines = board.screen.lines();
    assert_eq!(lines[0], TITLE);
    assert_eq!(words(&lines[1]), ["path", "count", "count_last", "rate"]);
    assert_eq!(lines[2].chars().count(), 120, "{}", lines[2]);
    assert!(lines[2].contains("…"), "{}", lines[2]);
    assert_eq!(words(&lines[37])[..2], ["/p035", "1"]);
    // The same snapshot, laid out again: no tick came between.
    assert_eq!(lines[39], status, "{lines:#?}");
    // Nothing is left of the smaller board: one header, one title.
    assert_eq!(lines.iter().filter(|l| l.starts_with("path ")).count(), 1, "{lines:#?}");
    assert_eq!(lines.iter().filter(|l| l.starts_with("lcount · ")).count(), 1, "{lines:#?}");

    board.run.send(b"q");
    assert!(board.run.wait().status.success());
}

#[test]
fn what_another_process_writes_is_gone_after_the_next_tick() {
    let mut board = start(24, 80, &["--by", "path", "--interval", "1s"]);
    board.feed(&records(&[("/a", 3), ("/b", 1)]));
    board.wait_for("two groups", |l| l.get(3).is_some_and(|l| l.starts_with("/b ")));
    // Another program writes to the same terminal, as ltail's notices on
    // stderr do: 30 lines, which scroll the board up.
    let stray = std::process::Command::new("sh")
        .args(["-c", "for i in $(seq 30); do echo \"stray line $i\"; done > \"$0\""])
        .arg(board.run.terminal_path())
        .status()
        .unwrap();
    assert!(stray.success());
    board.wait_for("the stray lines", |l| l.iter().any(|l| l.contains("stray line")));
    // Whole: a screen read between the clearing and the drawing of a
    // repaint (a terminal that knows synchronized updates never shows it)
    // has no stray line either.
    board.wait_for("the board repainted", |l| {
        !l.iter().any(|l| l.contains("stray"))
            && l.first().is_some_and(|t| t == TITLE)
            && l.get(23).is_some_and(|s| s.starts_with(" 4 records read · "))
    });
    let lines = board.screen.lines();
    assert_eq!(lines[0], TITLE);
    assert_eq!(words(&lines[1]), ["path", "count", "count_last", "rate"]);
    assert_eq!(words(&lines[2])[..2], ["/a", "3"]);
    assert_eq!(words(&lines[3])[..2], ["/b", "1"]);
    // Blank down to the status line: no stale rows, no second header.
    assert!(lines[4..23].iter().all(String::is_empty), "{lines:#?}");
    assert!(lines[23].starts_with(" 4 records read · "), "{lines:#?}");

    board.run.send(b"q");
    assert!(board.run.wait().status.success());
}

/// The normal screen after the board, once lcount has exited: the final
/// table of /a (3) and /b (1), at the top where the cursor was, and
/// nothing else.
fn check_final_table(board: Board) {
    let Board { run, mut screen, .. } = board;
    let end = run.wait();
    assert!(end.status.success(), "{}: {}", end.status, end.stderr);
    assert_eq!(end.stderr, "");
    screen.update(&end.shown);
    assert!(!screen.parser.screen().alternate_screen(), "still on the alternate screen");
    let lines = screen.lines();
    assert_eq!(
        lines[0], "records from 2026-11-30T08:30:00+00:00 to 2026-11-30T08:30:00+00:00 (final)",
        "{lines:#?}"
    );
    assert_eq!(words(&lines[1]), ["path", "count", "count_last", "rate"], "{lines:#?}");
    assert_eq!(words(&lines[2])[..2], ["/a", "3"], "{lines:#?}");
    assert_eq!(words(&lines[3])[..2], ["/b", "1"], "{lines:#?}");
    assert!(lines[4..].iter().all(String::is_empty), "{lines:#?}");
}

#[test]
fn ctrl_c_leaves_the_final_table_on_the_normal_screen() {
    let mut board = start(24, 80, &["--by", "path", "--interval", "1s"]);
    board.feed(&records(&[("/a", 3), ("/b", 1)]));
    board.wait_for("two groups", |l| l.get(3).is_some_and(|l| l.starts_with("/b ")));
    // The board has the terminal in raw mode: Ctrl-C is a key.
    board.run.send(b"\x03");
    check_final_table(board);
}

#[test]
fn sigterm_leaves_the_final_table_on_the_normal_screen() {
    let mut board = start(24, 80, &["--by", "path", "--interval", "1s"]);
    board.feed(&records(&[("/a", 3), ("/b", 1)]));
    board.wait_for("two groups", |l| l.get(3).is_some_and(|l| l.starts_with("/b ")));
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &board.run.pid().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    check_final_table(board);
}

#[test]
fn with_every_each_bucket_has_a_bar() {
    let mut board = start(24, 80, &["--every", "1m", "--interval", "1s"]);
    let mut input = String::new();
    for (minute, n) in [(30, 4), (31, 2), (32, 1)] {
        for _ in 0..n {
            input += &format!("{{\"ts\":\"2026-11-30T08:{minute}:00Z\"}}\n");
        }
    }
    board.feed(&input);
    board.wait_for("three buckets", |l| l.get(4).is_some_and(|l| l.contains("08:32")));
    let lines = board.screen.lines();
    // The bars fill what the columns leave of 80, the largest whole.
    let bar = |line: &str| line.chars().filter(|&c| c == '█').count();
    let (a, b, c) = (bar(&lines[2]), bar(&lines[3]), bar(&lines[4]));
    assert!(a > 0 && a <= 40, "{lines:#?}");
    assert_eq!((b, c), ((a as f64 / 2.0).round() as usize, (a as f64 / 4.0).round() as usize));
    assert_eq!(words(&lines[2])[..2], ["2026-11-30T08:30:00+00:00", "4"], "{lines:#?}");

    board.run.send(b"q");
    assert!(board.run.wait().status.success());
}

#[test]
fn the_final_table_fits_the_window_without_a_board_too() {
    // 5 long paths and their counts, counted by awk-like hand below.
    let paths: Vec<String> = (0..5).map(|i| format!("/{i}/{}", "p".repeat(120))).collect();
    let pairs: Vec<(&str, usize)> =
        paths.iter().enumerate().map(|(i, p)| (p.as_str(), i + 1)).collect();
    let input = records(&pairs);
    let mut cmd = std::process::Command::new(bin("lcount"));
    cmd.args(["--by", "path"]).env_remove("COLUMNS");
    let run = Pty::open().with_size(24, 50).run(cmd, input.as_bytes());
    assert!(run.status.success(), "{}", run.stderr);
    let shown = run.shown_str();
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(lines.len(), 6, "{shown}");
    for line in &lines {
        assert!(line.chars().count() <= 50, "{line:?} is wider than 50");
    }
    // Largest count first; each path cut with `…`, its count whole.
    for (line, (i, want)) in lines[1..].iter().zip([(4, 5), (3, 4), (2, 3), (1, 2), (0, 1)]) {
        let words = words(line);
        assert!(words[0].starts_with(&format!("/{i}/pp")) && words[0].ends_with('…'), "{line}");
        assert_eq!(words[1], want.to_string(), "{line}");
    }
}
