//! End-to-end tests of lgrep: the real binary on real pipes and files.
//!
//! Expected output is computed here, independently: each input line is
//! parsed with serde_json and the filter evaluated on the parsed record;
//! the lines that pass are then the expected output, byte for byte.
//!
//! The binaries must have been built (`cargo build`) before
//! `cargo test --test lgrep`.

mod util;

use serde_json::Value;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;
use util::{bin, file_and_pipe, line_receiver, pipeline, tool, wait_with_timeout, Pty, Rng};

/// Runs `lgrep args` with `input` on stdin: (stdout, stderr, exit code).
fn lgrep(args: &[&str], input: &[u8]) -> (Vec<u8>, String, Option<i32>) {
    let dir = TempDir::new().unwrap();
    lgrep_in(dir.path(), args, input)
}

fn lgrep_in(dir: &std::path::Path, args: &[&str], input: &[u8]) -> (Vec<u8>, String, Option<i32>) {
    let run = pipeline(dir, &[tool("lgrep", args)], Some(input.to_vec()));
    (run.stdout.clone(), String::from_utf8(run.stderr[0].clone()).unwrap(), run.status[0].code())
}

/// The lines of `input` (terminator dropped, `\r` of `\r\n` too) whose
/// record satisfies `keep`, each ended by `\n`: what lgrep must write.
fn expected(input: &[u8], keep: impl Fn(&Value) -> bool) -> Vec<u8> {
    let mut out = Vec::new();
    for line in input.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Ok(record @ Value::Object(_)) = serde_json::from_slice::<Value>(line) else {
            continue;
        };
        if keep(&record) {
            out.extend_from_slice(line);
            out.push(b'\n');
        }
    }
    out
}

fn status(r: &Value) -> Option<i64> {
    r.get("status").and_then(Value::as_i64)
}

fn number(r: &Value, field: &str) -> Option<f64> {
    r.get(field).and_then(Value::as_f64)
}

fn text<'a>(r: &'a Value, field: &str) -> Option<&'a str> {
    r.get(field).and_then(Value::as_str)
}

// ---------------------------------------------------------------------------
// Byte for byte

/// Records written as other producers write them: odd spacing, any key
/// order, escapes, a CRLF line end, a status as a string.
const ODD: &str = concat!(
    "{\"status\":404,\"path\":\"/a\"}\n",
    "  {  \"path\" : \"/caf\\u00e9\" , \"status\" :404 }  \n",
    "{\"path\":\"/b\",\"status\":200}\n",
    "{\"z\":[1, {\"y\":null}],\"status\":4.04e2,\"path\":\"\\ud83d\\ude00\\t\"}\r\n",
    "\n",
    "{\"status\":\"404\",\"path\":\"/s\"}\n",
    "{\"path\":\"/no-status\"}\n",
    "{\"status\":404}",
);

#[test]
fn matching_records_pass_byte_for_byte() {
    let (out, err, code) = lgrep(&["--status", "404"], ODD.as_bytes());
    let want = concat!(
        "{\"status\":404,\"path\":\"/a\"}\n",
        "  {  \"path\" : \"/caf\\u00e9\" , \"status\" :404 }  \n",
        "{\"z\":[1, {\"y\":null}],\"status\":4.04e2,\"path\":\"\\ud83d\\ude00\\t\"}\n",
        "{\"status\":\"404\",\"path\":\"/s\"}\n",
        "{\"status\":404}\n",
    );
    assert_eq!(String::from_utf8(out).unwrap(), want);
    assert_eq!((err.as_str(), code), ("", Some(0)));
}

#[test]
fn conditions_as_arguments_and_where_agree() {
    let input = ODD.as_bytes();
    let want = expected(input, |r| {
        status(r).is_some_and(|s| s >= 400) && text(r, "path").is_some_and(|p| p.starts_with("/c"))
    });
    assert!(!want.is_empty());
    let (a, _, code_a) = lgrep(&["status>=400", "path~^/c"], input);
    let (b, _, code_b) = lgrep(&["--where", "status>=400", "--where", "path~^/c"], input);
    assert_eq!((a, code_a), (want.clone(), Some(0)));
    assert_eq!((b, code_b), (want, Some(0)));
}

// ---------------------------------------------------------------------------
// A generated data set, large enough to be read on several cores as a file

/// 100,000 records (over 8 MiB, so a file of them is read in
/// parallel), with a few lines that are not records.
fn generated() -> Vec<u8> {
    let mut rng = Rng::new(13);
    let statuses = [200, 200, 200, 301, 304, 404, 404, 500, 503];
    let paths = ["/", "/login", "/api/v1/items", "/api/v2/users", "/static/app.js", "/caf\\u00e9"];
    let mut out = Vec::new();
    for i in 0..100_000u64 {
        if i % 9_973 == 5 {
            out.extend_from_slice(b"GET / HTTP/1.1 200 this is a raw log line\n");
            continue;
        }
        let mut fields = vec![
            format!("\"ts\":\"2026-11-30T04:{:02}:{:02}Z\"", i / 60 % 60, i % 60),
            format!("\"path\":\"{}\"", rng.pick(&paths)),
        ];
        if !rng.chance(3) {
            fields.push(format!("\"status\":{}", rng.pick(&statuses)));
        }
        if !rng.chance(5) {
            fields.push(format!("\"rt\":{}.{:03}", rng.below(3), rng.below(1000)));
        }
        fields.push(format!("\"ua\":\"agent {}\"", rng.below(50)));
        // Any key order, and sometimes spaces around the separators.
        let n = fields.len();
        fields.rotate_left(rng.below(n as u64) as usize);
        let sep = if rng.chance(10) { " , " } else { "," };
        out.extend_from_slice(format!("{{{}}}\n", fields.join(sep)).as_bytes());
    }
    out
}

#[test]
fn selections_agree_with_an_independent_parse_on_file_and_pipe() {
    let data = generated();
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("records.ndjson");
    std::fs::write(&path, &data).unwrap();
    assert!(data.len() > 8 << 20, "the file must be large enough for the parallel path");
    let bad_lines = data.split(|&b| b == b'\n').filter(|l| l.starts_with(b"GET")).count();

    type Keep = fn(&Value) -> bool;
    let cases: [(&[&str], Keep); 5] = [
        (&["--status", "404"], |r| status(r) == Some(404)),
        (&["--status", "5xx", "rt>1"], |r| {
            status(r).is_some_and(|s| (500..600).contains(&s))
                && number(r, "rt").is_some_and(|t| t > 1.0)
        }),
        (&["-v", "--status", "200"], |r| status(r) != Some(200)),
        (&["path~^/api/", "!rt"], |r| {
            text(r, "path").is_some_and(|p| p.starts_with("/api/")) && r.get("rt").is_none()
        }),
        (&["--where", "path=/café", "--where", "rt<=0.5"], |r| {
            text(r, "path") == Some("/café") && number(r, "rt").is_some_and(|t| t <= 0.5)
        }),
    ];
    for (args, keep) in cases {
        let want = expected(&data, keep);
        assert!(!want.is_empty(), "{args:?} selects something");
        let want_count = want.iter().filter(|&&b| b == b'\n').count();
        for (out, err, code) in file_and_pipe("lgrep", args, &path) {
            assert!(
                out == want,
                "{args:?}: {} lines, want {want_count}",
                out.split(|&b| b == b'\n').count() - 1
            );
            assert_eq!(code, Some(1), "{args:?}: {err}");
            assert!(
                err.ends_with(&format!(
                    "lines skipped (not a JSON object) or files not read: {bad_lines}\n"
                )),
                "{err}"
            );
        }
        let mut count_args = vec!["-c"];
        count_args.extend_from_slice(args);
        for (out, _, code) in file_and_pipe("lgrep", &count_args, &path) {
            assert_eq!(String::from_utf8(out).unwrap(), format!("{{\"count\":{want_count}}}\n"));
            assert_eq!(code, Some(1));
        }
    }
}

// ---------------------------------------------------------------------------
// -v, -m, --fields

#[test]
fn invert_passes_the_other_records_and_never_a_bad_line() {
    let input = b"{\"status\":404}\nnot json\n{\"status\":200}\n[404]\n\n{\"rt\":1}\n";
    let (out, err, code) = lgrep(&["-v", "--status", "404"], input);
    assert_eq!(out, b"{\"status\":200}\n{\"rt\":1}\n");
    assert_eq!(code, Some(1));
    assert!(err.contains("lgrep: -:2: not a JSON object"), "{err}");
    assert!(err.contains("lgrep: -:4: not a JSON object"), "{err}");
    assert!(err.ends_with("lines skipped (not a JSON object) or files not read: 2\n"), "{err}");
}

#[test]
fn max_count_stops_reading_a_never_ending_input() {
    let mut child = Command::new(bin("lgrep"))
        .args(["-m", "3", "--status", "404"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Writes until lgrep closes its input; how much it wrote tells nothing,
    // that it stopped does.
    let writer = std::thread::spawn(move || {
        let mut n = 0u64;
        loop {
            let status = if n % 4 == 3 { 404 } else { 200 };
            if writeln!(stdin, "{{\"n\":{n},\"status\":{status}}}").is_err() {
                return n;
            }
            n += 1;
        }
    });
    let status = wait_with_timeout(&mut child, "lgrep -m 3", Duration::from_secs(10));
    assert!(status.success());
    let out = std::io::read_to_string(child.stdout.take().unwrap()).unwrap();
    assert_eq!(
        out,
        "{\"n\":3,\"status\":404}\n{\"n\":7,\"status\":404}\n{\"n\":11,\"status\":404}\n"
    );
    // The writer sees the pipe closed once lgrep is gone.
    let started = Instant::now();
    while !writer.is_finished() {
        assert!(started.elapsed() < Duration::from_secs(10), "the writer never saw the end");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(writer.join().unwrap() >= 12);
}

#[test]
fn max_count_with_count_and_several_files() {
    let dir = TempDir::new().unwrap();
    std::fs::write(dir.path().join("a"), "{\"s\":1}\n{\"s\":2}\n").unwrap();
    std::fs::write(dir.path().join("b"), "{\"s\":3}\n").unwrap();
    let (out, _, code) = lgrep_in(dir.path(), &["-m", "2", "s", "a", "b"], b"");
    // `s` is a bare word: a file, which does not exist.
    assert_eq!(code, Some(1));
    assert_eq!(out, b"{\"s\":1}\n{\"s\":2}\n");
    let (out, err, code) = lgrep_in(dir.path(), &["-c", "-m", "2", "--where", "s", "a", "b"], b"");
    assert_eq!(
        (String::from_utf8(out).unwrap().as_str(), code),
        ("{\"count\":2}\n", Some(0)),
        "{err}"
    );
    let (out, _, code) = lgrep_in(dir.path(), &["-c", "s>1", "a", "b"], b"");
    assert_eq!((String::from_utf8(out).unwrap().as_str(), code), ("{\"count\":2}\n", Some(0)));
    let (out, _, code) = lgrep_in(dir.path(), &["-m", "0", "a"], b"");
    assert_eq!((out.as_slice(), code), (&b""[..], Some(0)));
}

#[test]
fn fields_keeps_the_named_fields_in_the_order_given() {
    let input = concat!(
        "{\"ts\":\"t1\", \"path\" : \"/caf\\u00e9\",\"req\":{\"host\":\"a.example\"},\"status\":404,\"rt\":0.50}\n",
        "{\"status\":404,\"ts\":\"t2\"}\n",
        "{\"status\":200,\"ts\":\"t3\",\"path\":\"/x\"}\n",
    );
    let (out, err, code) =
        lgrep(&["--status", "404", "--fields", "path,rt,req.host,ts"], input.as_bytes());
    let want = concat!(
        "{\"path\":\"/caf\\u00e9\",\"rt\":0.50,\"req.host\":\"a.example\",\"ts\":\"t1\"}\n",
        "{\"ts\":\"t2\"}\n",
    );
    assert_eq!(String::from_utf8(out).unwrap(), want);
    assert_eq!((err.as_str(), code), ("", Some(0)));
}

// ---------------------------------------------------------------------------
// Fields that never appear, bad conditions, arguments

#[test]
fn a_field_that_never_appears_is_named_with_the_closest_one() {
    let input = b"{\"status\":404,\"path\":\"/a\"}\n";
    let (out, err, code) = lgrep(&["stauts=404"], input);
    assert!(out.is_empty());
    assert_eq!(code, Some(1));
    assert_eq!(err, "lgrep: field \"stauts\" appeared in no record (did you mean \"status\"?)\n");
    let (_, err, code) = lgrep(&["--strict", "--fields", "path,byts"], input);
    assert_eq!(code, Some(2));
    assert!(err.contains("field \"byts\" appeared in no record"), "{err}");
    // Seen in one record of several is seen.
    let (_, err, code) = lgrep(&["--status", "404", "rt>1"], b"{\"status\":1}\n{\"rt\":2}\n");
    assert_eq!((err.as_str(), code), ("", Some(0)));
}

#[test]
fn a_malformed_condition_is_a_usage_error() {
    for args in [&["=404"][..], &["--where", "status=="][..]] {
        let (out, err, code) = lgrep(args, b"{\"status\":404}\n");
        assert!(out.is_empty(), "{args:?}");
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(err.starts_with("lgrep: "), "{err}");
    }
}

#[test]
fn files_follow_conditions_and_double_dash_ends_them() {
    let dir = TempDir::new().unwrap();
    std::fs::write(dir.path().join("x=1.ndjson"), "{\"x\":1}\n{\"x\":2}\n").unwrap();
    std::fs::write(dir.path().join("plain"), "{\"x\":3}\n").unwrap();
    let run = |args: &[&str]| lgrep_in(dir.path(), args, b"{\"x\":9}\n");
    let (out, _, code) = run(&["x>1", "--", "x=1.ndjson", "plain"]);
    assert_eq!((out.as_slice(), code), (&b"{\"x\":2}\n{\"x\":3}\n"[..], Some(0)));
    // After the first file, what looks like a condition is a file.
    let (out, err, code) = run(&["x>1", "plain", "x=1.ndjson"]);
    assert_eq!((out.as_slice(), code), (&b"{\"x\":3}\n{\"x\":2}\n"[..], Some(0)), "{err}");
    // No file: standard input.
    let (out, _, _) = run(&["x>1"]);
    assert_eq!(out, b"{\"x\":9}\n");
}

#[test]
fn an_over_long_line_is_reported_and_the_rest_read() {
    let mut input = b"{\"status\":404,\"n\":1}\n{\"status\":404,\"pad\":\"".to_vec();
    input.resize(input.len() + (8 << 20), b'a');
    input.extend_from_slice(b"\"}\n{\"status\":404,\"n\":3}\n");
    let (out, err, code) = lgrep(&["--status", "404"], &input);
    assert_eq!(out, b"{\"status\":404,\"n\":1}\n{\"status\":404,\"n\":3}\n");
    assert_eq!(code, Some(1));
    assert!(err.contains("lgrep: -:2: line longer than 8388608 bytes, skipped"), "{err}");
}

// ---------------------------------------------------------------------------
// Live

#[test]
fn records_come_through_while_the_input_stays_open_and_sigterm_ends_cleanly() {
    let mut child = Command::new(bin("lgrep"))
        .args(["--status", "404"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let lines = line_receiver(child.stdout.take().unwrap());
    for (n, status) in [(1, 200), (2, 404), (3, 500)] {
        writeln!(stdin, "{{\"n\":{n},\"status\":{status}}}").unwrap();
    }
    stdin.flush().unwrap();
    let first = lines.recv_timeout(Duration::from_secs(4)).expect("a record while input is idle");
    assert_eq!(first, "{\"n\":2,\"status\":404}\n");
    // Half a record, then SIGTERM: lgrep finishes and exits 0.
    write!(stdin, "{{\"n\":4,\"sta").unwrap();
    stdin.flush().unwrap();
    let pid = child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let status = wait_with_timeout(&mut child, "lgrep after SIGTERM", Duration::from_secs(5));
    assert_eq!(status.code(), Some(0));
    let err = std::io::read_to_string(child.stderr.take().unwrap()).unwrap();
    assert_eq!(err, "");
    assert!(lines.recv_timeout(Duration::from_secs(1)).is_err(), "nothing more");
    drop(stdin);
}

#[test]
fn help_shows_the_argument_rule() {
    let out = Command::new(bin("lgrep")).arg("--help").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("conditions come first, then files"), "{text}");
}

// ---------------------------------------------------------------------------
// On a terminal

/// What `lgrep args` writes to a pseudo-terminal as its stdout, with
/// `input` on stdin.
fn lgrep_on_terminal(args: &[&str], input: &[u8]) -> String {
    let mut cmd = Command::new(bin("lgrep"));
    cmd.args(args);
    let run = Pty::open().run(cmd, input);
    assert!(run.status.success(), "lgrep {args:?}: {}: {}", run.status, run.stderr);
    run.shown_str().to_owned()
}

#[test]
fn on_a_terminal_count_is_the_number_alone_and_json_records_are_as_read() {
    let input = b"{\"status\":404}\n{\"status\":200}\n{ \"status\" : 404 }\n";
    assert_eq!(lgrep_on_terminal(&["-c", "--status", "404"], input), "2\n");
    assert_eq!(
        lgrep_on_terminal(&["--json", "--status", "404"], input),
        "{\"status\":404}\n{ \"status\" : 404 }\n"
    );
}

#[test]
fn on_a_terminal_records_read_as_lines_coloured_by_status() {
    let access = "{\"ts\":\"2026-11-27T03:22:43+00:00\",\"client\":\"10.0.0.1\",\"method\":\"GET\",\"path\":\"/missing\",\"query\":\"x=1\",\"status\":404,\"bytes\":1530,\"fmt\":\"combined\"}\n";
    let ok = "{\"method\":\"GET\",\"path\":\"/\",\"status\":200}\n";
    let raw = "{\"src\":\"nginx/access.log\",\"line\":\"a line\\u001b[2J 404\"}\n";
    let input = format!("{access}{ok}{raw}");
    let mut cmd = Command::new(bin("lgrep"));
    cmd.args(["--color", "always", "--where", "status!=200"]).env("COLUMNS", "200");
    let run = Pty::open().with_size(24, 60).run(cmd, input.as_bytes());
    assert!(run.status.success(), "{}", run.stderr);
    let mut screen = vt100::Parser::new(24, 60, 0);
    screen.process(run.shown_str().replace('\n', "\r\n").as_bytes());
    let rows: Vec<String> = screen.screen().rows(0, 60).take(3).collect();
    assert_eq!(
        rows,
        [
            // Cut to the 60 columns of the window (below 100: no date).
            "03:22:43 404 GET    /missing?x=1 1.530kB 10.0.0.1",
            "nginx/access.log a line\\u{1b}[2J 404",
            "",
        ]
    );
    let yellow = screen.screen().cell(0, 9).unwrap().fgcolor();
    assert_eq!(yellow, vt100::Color::Idx(3), "4xx in yellow");
    // --color never: no SGR at all.
    let mut cmd = Command::new(bin("lgrep"));
    cmd.args(["--color", "never", "--status", "404"]);
    let plain = Pty::open().with_size(24, 60).run(cmd, access.as_bytes());
    assert!(!plain.shown_str().contains('\u{1b}'), "{:?}", plain.shown_str());
    assert!(plain.shown_str().starts_with("03:22:43 404 GET"), "{:?}", plain.shown_str());
}

#[test]
fn on_a_terminal_controls_in_the_data_are_escaped_and_on_a_pipe_kept() {
    // Raw DEL, CSI (U+009B: "clear the screen" in some terminals), a
    // right-to-left override, and an ESC already escaped by the producer.
    let hostile = "{\"path\":\"/\u{7f}\u{9b}2J\u{202e}gnp.exe\",\"ua\":\"\\u001b]0;x\\u0007\",\"status\":404}\n";
    let input = format!("{hostile}{{\"path\":\"/ok\",\"status\":200}}\n");
    let shown = lgrep_on_terminal(&["--json", "--status", "404"], input.as_bytes());
    // Every character a terminal would obey, other than the line end.
    let obeyed: Vec<char> = shown
        .chars()
        .filter(|&c| {
            (c.is_control() && c != '\n')
                || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .collect();
    assert_eq!(obeyed, [] as [char; 0], "{shown:?}");
    assert_eq!(
        shown,
        "{\"path\":\"/\\u007f\\u009b2J\\u202egnp.exe\",\"ua\":\"\\u001b]0;x\\u0007\",\"status\":404}\n"
    );
    // The same JSON value as the record read.
    let read: Value = serde_json::from_str(hostile).unwrap();
    assert_eq!(serde_json::from_str::<Value>(&shown).unwrap(), read);
    // On a pipe: byte for byte.
    let (out, _, code) = lgrep(&["--status", "404"], input.as_bytes());
    assert_eq!((out, code), (hostile.as_bytes().to_vec(), Some(0)));
}
