//! hprobe's live view, as a person sees it: hprobe runs with its stderr on
//! a pseudo-terminal of 80×24 and its stdout on a pipe, against a small
//! HTTP server on 127.0.0.1, and the screen is read with the vt100 crate
//! while the run goes and after it ends.

mod util;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::OwnedFd;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use util::{bin, wait_with_timeout, Pty, PROCESS_TIMEOUT};

const ROWS: u16 = 24;
const COLS: u16 = 80;

/// An HTTP/1.1 server with keep-alive: `/missing` is 404, anything else
/// 200 with "ok". It serves until the test ends.
fn serve() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { return };
            std::thread::spawn(move || answer(conn));
        }
    });
    format!("http://127.0.0.1:{port}")
}

fn answer(mut conn: TcpStream) {
    let mut pending = Vec::new();
    let mut chunk = [0; 4096];
    loop {
        while let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&pending[..end]).into_owned();
            pending.drain(..end + 4);
            let status = if head.starts_with("GET /missing ") { "404 Not Found" } else { "200 OK" };
            let reply = format!("HTTP/1.1 {status}\r\nContent-Length: 2\r\n\r\nok");
            if conn.write_all(reply.as_bytes()).is_err() {
                return;
            }
        }
        match conn.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => pending.extend_from_slice(&chunk[..n]),
        }
    }
}

/// hprobe running with its stderr on the terminal.
struct Run {
    child: Child,
    /// Everything sent to the terminal so far.
    shown: Arc<Mutex<Vec<u8>>>,
    reader: JoinHandle<()>,
    stdout: JoinHandle<Vec<u8>>,
    /// The terminal, for writing to it as another process would.
    terminal: std::fs::File,
    /// The terminal's other side, for typing keys (a run in a session).
    keys: Option<std::fs::File>,
}

fn start(args: &[&str], env: &[(&str, &str)]) -> Run {
    let (master, terminal) = Pty::open().with_size(ROWS, COLS).with_newlines().into_fds();
    let other = std::fs::File::from(terminal.try_clone().unwrap());
    let mut cmd = Command::new(bin("hprobe"));
    cmd.args(args).env_remove("NO_COLOR").envs(env.iter().copied());
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(terminal);
    watch(cmd, master, other, None)
}

/// Spawns `cmd` (its stderr the terminal whose other side is `master`, its
/// stdout a pipe) and starts reading both.
fn watch(
    mut cmd: Command,
    master: OwnedFd,
    terminal: std::fs::File,
    keys: Option<std::fs::File>,
) -> Run {
    let mut child = cmd.spawn().unwrap();
    // This process's copy of the terminal must go, for reading to end.
    drop(cmd);
    let shown = Arc::new(Mutex::new(Vec::new()));
    let reader = read_terminal(master, shown.clone());
    let mut out = child.stdout.take().unwrap();
    let stdout = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        out.read_to_end(&mut bytes).unwrap();
        bytes
    });
    Run { child, shown, reader, stdout, terminal, keys }
}

/// hprobe as a shell starts it from a terminal: in a session of its own,
/// with the terminal (in the mode a shell leaves it in) as its controlling
/// terminal, where keys are read, and as its stderr; stdout a pipe, stdin
/// the file `input`. The session is made by util-linux's `setsid`, which
/// needs the terminal on its stdin.
fn start_in_session(args: &[&str], input: &std::path::Path) -> Run {
    let (master, terminal) = Pty::open_sized(ROWS, COLS).into_fds();
    let keys = std::fs::File::from(master.try_clone().unwrap());
    let other = std::fs::File::from(terminal.try_clone().unwrap());
    let mut cmd = Command::new("setsid");
    cmd.args(["--ctty", "sh", "-c", "exec \"$0\" \"$@\" < \"$LOGKIT_TEST_INPUT\""])
        .arg(bin("hprobe"))
        .args(args)
        .env("LOGKIT_TEST_INPUT", input)
        .env_remove("NO_COLOR");
    cmd.stdin(terminal.try_clone().unwrap()).stdout(Stdio::piped()).stderr(terminal);
    watch(cmd, master, other, Some(keys))
}

fn read_terminal(master: OwnedFd, shown: Arc<Mutex<Vec<u8>>>) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut master = std::fs::File::from(master);
        let mut chunk = [0; 4096];
        // Linux ends with EIO once every end of the terminal is closed.
        while let Ok(n @ 1..) = master.read(&mut chunk) {
            shown.lock().unwrap().extend_from_slice(&chunk[..n]);
        }
    })
}

/// The screen as shown after `bytes`.
fn screen(bytes: &[u8]) -> vt100::Parser {
    let mut parser = vt100::Parser::new(ROWS, COLS, 0);
    parser.process(bytes);
    parser
}

impl Run {
    /// Waits until the screen shows what `ready` looks for.
    fn screen_when(&self, what: &str, ready: impl Fn(&vt100::Screen) -> bool) -> vt100::Parser {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let parser = screen(&self.shown.lock().unwrap());
            if ready(parser.screen()) {
                return parser;
            }
            assert!(
                Instant::now() < deadline,
                "never shown: {what}:\n{}",
                parser.screen().contents()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Types `keys` on the terminal.
    fn type_keys(&mut self, keys: &[u8]) {
        self.keys.as_mut().expect("a run in a session").write_all(keys).unwrap();
    }

    /// Waits for hprobe to exit, then tells whether its terminal is back in
    /// the mode it was in (canonical, echo, signals, CR LF), not raw.
    fn exited_with_terminal_restored(&mut self) -> bool {
        use rustix::termios::{tcgetattr, LocalModes, OutputModes};
        wait_with_timeout(&mut self.child, "hprobe", PROCESS_TIMEOUT);
        let mode = tcgetattr(self.keys.as_ref().unwrap()).unwrap();
        mode.local_modes.contains(LocalModes::ICANON | LocalModes::ECHO | LocalModes::ISIG)
            && mode.output_modes.contains(OutputModes::OPOST)
    }

    /// Waits for the end: the exit code, stdout, and all that was shown.
    fn finish(mut self) -> (i32, Vec<u8>, Vec<u8>) {
        let status = wait_with_timeout(&mut self.child, "hprobe", PROCESS_TIMEOUT);
        drop(self.terminal);
        drop(self.keys);
        self.reader.join().unwrap();
        let shown = std::mem::take(&mut *self.shown.lock().unwrap());
        (status.code().unwrap_or(-1), self.stdout.join().unwrap(), shown)
    }
}

/// The number of a record's requests: `done/total requests` on the view.
fn done_of(screen: &vt100::Screen, total: u64) -> Option<u64> {
    let contents = screen.contents();
    let at = contents.find(&format!("/{total} requests"))?;
    let digits = contents[..at].rsplit(|c: char| !c.is_ascii_digit()).next()?;
    digits.parse().ok()
}

/// The SGR sequences (`ESC [ ... m`) in what was shown.
fn sgr_count(bytes: &[u8]) -> usize {
    let mut count = 0;
    for (i, _) in bytes.windows(2).enumerate().filter(|(_, w)| w == b"\x1b[") {
        let params = bytes[i + 2..].iter().take_while(|b| b.is_ascii_digit() || **b == b';');
        if bytes.get(i + 2 + params.count()) == Some(&b'm') {
            count += 1;
        }
    }
    count
}

/// The records on stdout: exactly one per request, seq 1 to n, each a JSON
/// object and nothing else.
fn check_records(stdout: &[u8], n: u64) -> Vec<serde_json::Value> {
    let text = std::str::from_utf8(stdout).unwrap();
    assert!(text.ends_with('\n'), "{text:?}");
    let records: Vec<serde_json::Value> =
        text.lines().map(|l| serde_json::from_str(l).expect("a record per line")).collect();
    let mut seqs: Vec<u64> = records.iter().map(|r| r["seq"].as_u64().unwrap()).collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=n).collect::<Vec<_>>());
    records
}

#[test]
fn the_view_shows_the_run_then_gives_way_to_the_summary() {
    let base = serve();
    let (ok, missing) = (format!("{base}/"), format!("{base}/missing"));
    // 200 requests at 100 a second: two seconds.
    let run = start(&["-n", "200", "-c", "4", "-q", "100", &ok, &missing], &[]);

    let live = run.screen_when("some requests done, 200s and 404s", |s| {
        let c = s.contents();
        done_of(s, 200).is_some_and(|n| (20..180).contains(&n))
            && c.contains("200: ")
            && c.contains("404: ")
    });
    let s = live.screen();
    let c = s.contents();
    assert!(s.alternate_screen(), "on the alternate screen:\n{c}");
    assert!(c.contains(&format!("hprobe: {ok} and 1 more URLs")), "{c}");
    assert!(c.contains("requests/s now"), "{c}");
    assert!(c.contains("errors    none"), "{c}");
    assert!(c.contains("latency   p50 "), "{c}");
    // Later, more are done.
    let first = done_of(s, 200).unwrap();
    run.screen_when("more requests done", |s| done_of(s, 200).is_some_and(|n| n > first));

    let (code, stdout, shown) = run.finish();
    assert_eq!(code, 0);
    let records = check_records(&stdout, 200);
    assert_eq!(records.iter().filter(|r| r["status"] == 404).count(), 100);

    let end = screen(&shown);
    let s = end.screen();
    let c = s.contents();
    assert!(!s.alternate_screen(), "back on the normal screen:\n{c}");
    assert!(!s.hide_cursor(), "the cursor is shown again");
    assert!(c.starts_with("hprobe: 200 requests in "), "the summary, from the top:\n{c}");
    assert!(c.contains("\n  status     200: 100  404: 100\n"), "{c}");
    assert!(c.contains("\n  errors     none\n"), "{c}");
    assert!(!c.contains("progress") && !c.contains('│'), "nothing of the view is left:\n{c}");
    assert!(sgr_count(&shown) > 0, "in colour on a terminal");
}

#[test]
fn no_color_gives_no_sgr_sequence() {
    let base = serve();
    for env in [&[("NO_COLOR", "1")][..], &[]] {
        let args = ["-n", "40", "-c", "2", "-q", "40", &base];
        let args: Vec<&str> = if env.is_empty() {
            args.iter().copied().chain(["--color", "never"]).collect()
        } else {
            args.to_vec()
        };
        let run = start(&args, env);
        run.screen_when("the view", |s| s.contents().contains("progress"));
        let (code, stdout, shown) = run.finish();
        assert_eq!(code, 0);
        check_records(&stdout, 40);
        assert_eq!(sgr_count(&shown), 0, "{args:?} {env:?}: {:?}", String::from_utf8_lossy(&shown));
        assert!(screen(&shown).screen().contents().starts_with("hprobe: 40 requests in "));
    }
}

#[test]
fn ctrl_c_restores_the_screen_and_prints_the_summary() {
    let base = serve();
    let run = start(&["-z", "60s", "-q", "50", "-c", "2", &base], &[]);
    let live = run.screen_when("requests done", |s| {
        s.contents().contains("requests  ■") && s.contents().contains("200: ")
    });
    assert!(live.screen().contents().contains("left"), "-z shows the time left");
    unsafe { libc::kill(run.child.id() as i32, libc::SIGINT) };
    let started = Instant::now();
    let (code, stdout, shown) = run.finish();
    assert!(started.elapsed() < Duration::from_secs(5), "Ctrl-C ends the run at once");
    assert_eq!(code, 0);
    let records = stdout.split(|b| *b == b'\n').filter(|l| !l.is_empty()).count() as u64;
    assert!(records > 0);
    let end = screen(&shown);
    let c = end.screen().contents();
    assert!(!end.screen().alternate_screen() && !end.screen().hide_cursor(), "{c}");
    assert!(c.starts_with(&format!("hprobe: {records} requests in ")), "{c}");
    assert!(!c.contains("progress"), "{c}");
}

#[test]
fn stray_output_is_gone_at_the_next_repaint() {
    let base = serve();
    let mut run = start(&["-n", "150", "-c", "2", "-q", "50", &base], &[]);
    run.screen_when("the view", |s| s.contents().contains("200: "));
    // Another process writes to the terminal, moving the cursor as well.
    run.terminal.write_all(b"\x1b[5;3HSTRAY MESSAGE\r\n\r\n\r\nmore of it\r\n").unwrap();
    run.screen_when("the stray text", |s| s.contents().contains("STRAY MESSAGE"));
    let fixed = run.screen_when("the board whole again", |s| !s.contents().contains("STRAY"));
    let c = fixed.screen().contents();
    assert!(!c.contains("more of it"), "{c}");
    assert_eq!(c.matches("progress").count(), 1, "{c}");
    assert!(c.lines().next().unwrap().starts_with("┌ hprobe: "), "{c}");
    let (code, stdout, _) = run.finish();
    assert_eq!(code, 0);
    check_records(&stdout, 150);
}

/// hprobe with stdout and stderr on one terminal, as a person runs it:
/// what the terminal showed.
fn on_one_terminal(args: &[&str]) -> String {
    let (master, terminal) = Pty::open().with_size(ROWS, COLS).into_fds();
    let mut cmd = Command::new(bin("hprobe"));
    cmd.args(args).stdin(Stdio::null());
    cmd.stdout(terminal.try_clone().unwrap()).stderr(terminal);
    let mut child = cmd.spawn().unwrap();
    drop(cmd);
    let shown = Arc::new(Mutex::new(Vec::new()));
    let reader = read_terminal(master, shown.clone());
    assert_eq!(wait_with_timeout(&mut child, "hprobe", PROCESS_TIMEOUT).code(), Some(0));
    reader.join().unwrap();
    let shown = String::from_utf8(shown.lock().unwrap().clone()).unwrap();
    assert!(!shown.contains("\x1b[?1049h"), "no alternate screen: {shown:?}");
    assert!(shown.contains("hprobe: 3 requests in "), "{shown:?}");
    shown
}

/// Records on the terminal they would share with the summary: one line
/// for people a request (no live view), as lparse and lgrep show theirs.
#[test]
fn a_terminal_gets_a_line_a_request_and_no_view() {
    let base = serve();
    let shown = on_one_terminal(&["-n", "3", "--color", "never", &format!("{base}/missing")]);
    assert!(!shown.contains("\"seq\":"), "no JSON: {shown:?}");
    let lines: Vec<&str> = shown.lines().filter(|l| l.contains(" GET ")).collect();
    assert_eq!(lines.len(), 3, "{shown:?}");
    for line in lines {
        // time (without its date on 80 columns), status, method, path,
        // size, rt, host and port.
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(words.len(), 7, "{line:?}");
        assert_eq!(words[0].len(), "21:36:23.929".len(), "{line:?}");
        assert_eq!(&words[1..5], ["404", "GET", "/missing", "2B"], "{line:?}");
        assert!(words[5].ends_with('s'), "an rt: {line:?}");
        assert_eq!(words[6], base.trim_start_matches("http://"), "host and port: {line:?}");
    }
}

/// `--json`: the records on the terminal, as a pipe gets them.
#[test]
fn json_on_a_terminal_gives_the_records() {
    let base = serve();
    let shown = on_one_terminal(&["-n", "3", "--json", &base]);
    let records: Vec<serde_json::Value> = shown
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l.trim_end_matches('\r')).unwrap())
        .collect();
    assert_eq!(records.len(), 3, "{shown:?}");
    assert!(records.iter().all(|r| r["status"] == 200 && r["bytes"] == 2), "{records:?}");
}

/// `q`, or Ctrl-C typed as a key (the view has the terminal in raw mode),
/// stops the run as SIGINT does: the summary on the normal screen of what
/// was done, exit 0, and the terminal back in the mode it was in.
#[test]
fn q_or_ctrl_c_typed_stops_the_run() {
    let base = serve();
    for key in [&b"q"[..], b"\x03"] {
        let mut run =
            start_in_session(&["-z", "60s", "-q", "50", "-c", "2", &base], Path::new("/dev/null"));
        run.screen_when("requests done", |s| s.contents().contains("200: "));
        let started = Instant::now();
        run.type_keys(key);
        assert!(run.exited_with_terminal_restored(), "{key:?}: the terminal is left raw");
        assert!(started.elapsed() < Duration::from_secs(5), "{key:?} ends the run at once");
        let (code, stdout, shown) = run.finish();
        assert_eq!(code, 0, "{key:?}: {:?}", String::from_utf8_lossy(&shown));
        let records = stdout.split(|b| *b == b'\n').filter(|l| !l.is_empty()).count() as u64;
        assert!(records > 0);
        let end = screen(&shown);
        let s = end.screen();
        let c = s.contents();
        assert!(!s.alternate_screen() && !s.hide_cursor(), "{key:?}: {c}");
        assert!(c.starts_with(&format!("hprobe: {records} requests in ")), "{key:?}: {c}");
        assert!(!c.contains("progress"), "{c}");
    }
}

/// A message hprobe writes during the run (a bad line of stdin) is not
/// painted over by the view: it is shown in the view while the run goes,
/// and on the normal screen after it, once, above the summary.
#[test]
fn messages_during_the_run_are_shown_in_the_view_and_after_it() {
    let base = serve();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("targets");
    let mut lines: Vec<String> = (0..40).map(|i| format!("{base}/{i}")).collect();
    lines.insert(2, r#"{"neither": 1}"#.to_string());
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let message = r#"hprobe: -:3: a record with neither "url" nor "path""#;

    let run = start_in_session(&["-q", "20", "-c", "2"], &input);
    let live = run.screen_when("the message in the view", |s| {
        s.contents().contains(message) && s.contents().contains("200: ")
    });
    let c = live.screen().contents();
    assert!(live.screen().alternate_screen(), "{c}");
    assert!(c.contains("messages  1 message (again after the view)"), "{c}");
    // Still there at a later repaint.
    run.screen_when("more requests done", |s| {
        s.contents().contains(message) && s.contents().contains("200: 2")
    });
    let (code, stdout, shown) = run.finish();
    assert_eq!(code, 1, "a bad line: {:?}", String::from_utf8_lossy(&shown));
    check_records(&stdout, 40);
    let end = screen(&shown);
    let c = end.screen().contents();
    assert!(!end.screen().alternate_screen(), "{c}");
    assert_eq!(c.matches(message).count(), 1, "{c}");
    let (at, summary) = (c.find(message).unwrap(), c.find("hprobe: 40 requests in ").unwrap());
    assert!(at < summary, "the message above the summary:\n{c}");
    assert!(c.contains("hprobe: stdin lines skipped: 1"), "{c}");
}
