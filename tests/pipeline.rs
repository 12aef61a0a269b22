//! End-to-end tests: the tools run as real processes, connected by real
//! pipes, on the example logs and on files written here. Every expected
//! result is computed independently from the raw input, never copied from
//! the tools' output.
//!
//! The binaries must have been built: `cargo test --workspace` (or plain
//! `cargo test` at the top) does it; `cargo test -p logkit-e2e` alone does
//! not, so run `cargo build` first in that case.

mod util;

use base64::Engine as _;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;
use util::{bin, external, line_receiver, pipeline, repo_root, tool, wait_with_timeout};

/// The example access logs, relative to the repository root, as the shell
/// expands `examples/*/access*`.
const EXAMPLE_LOGS: [&str; 2] = ["examples/apache/access_log", "examples/nginx/access.log"];

/// How long a flushed record may take to show up.
const FLUSH_WAIT: Duration = Duration::from_secs(5);

fn example_lines() -> Vec<String> {
    let root = repo_root();
    let mut lines = Vec::new();
    for name in EXAMPLE_LOGS {
        let text = std::fs::read_to_string(root.join(name)).expect("example log");
        lines.extend(text.lines().map(str::to_owned));
    }
    assert!(lines.len() > 100, "the example logs should not be empty");
    lines
}

/// awk's `$N` (1-based) on whitespace.
fn awk_field(line: &str, n: usize) -> Option<&str> {
    line.split_whitespace().nth(n - 1)
}

/// A combined-format line, as nginx writes it.
fn combined(n: usize, status: u16, target: &str) -> String {
    format!(
        "10.0.{}.{} - - [27/Nov/2026:03:22:{:02} +0000] \"GET {target} HTTP/1.1\" {status} {} \
         \"https://www.example.com/page/{n}\" \"Mozilla/5.0 (X11; Linux x86_64) test-agent/{n}\"",
        n / 256 % 256,
        n % 256,
        n % 60,
        1000 + n,
    )
}

/// The exact bytes of an ltail record's line: `line_b64` when present,
/// else the text of `line`.
fn record_line_bytes(rec: &Value) -> Vec<u8> {
    match rec.get("line_b64") {
        Some(b64) => base64::engine::general_purpose::STANDARD
            .decode(b64.as_str().expect("line_b64 is a string"))
            .expect("line_b64 is valid base64"),
        None => rec["line"].as_str().expect("line is a string").as_bytes().to_vec(),
    }
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

// 1. The headline pipeline.
#[test]
fn headline_ltail_lparse_lcount_404() {
    let expected = example_lines().iter().filter(|l| awk_field(l, 9) == Some("404")).count();
    assert!(expected > 0, "the examples should contain 404s");

    let run = pipeline(
        &repo_root(),
        &[
            tool("ltail", &EXAMPLE_LOGS),
            tool::<&str>("lparse", &[]),
            tool("lcount", &["--status", "404"]),
        ],
        None,
    );
    run.assert_clean();
    assert_eq!(run.records(), vec![json!({ "count": expected })]);
    assert!(run.stdout_str().ends_with('\n'));
}

// 2. Counting by path agrees with a count made here from the raw lines.
#[test]
fn count_4xx_by_path_matches_the_raw_lines() {
    let mut expected: HashMap<String, u64> = HashMap::new();
    for line in example_lines() {
        let status = awk_field(&line, 9).unwrap();
        if !(status.len() == 3 && status.starts_with('4')) {
            continue;
        }
        // The request must be a plain `"METHOD TARGET PROTO"` for the
        // whitespace split to find the target.
        let (method, target, proto) = (
            awk_field(&line, 6).unwrap(),
            awk_field(&line, 7).unwrap(),
            awk_field(&line, 8).unwrap(),
        );
        assert!(method.starts_with('"') && proto.ends_with('"'), "{line}");
        let path = target.split('?').next().unwrap();
        *expected.entry(path.to_owned()).or_default() += 1;
    }
    assert!(expected.len() > 1, "the examples should have several 4xx paths");

    let by_path = ["--status", "4xx", "--by", "path"];
    // Through ltail, and with lparse reading the raw files itself.
    let runs = [
        pipeline(
            &repo_root(),
            &[tool("ltail", &EXAMPLE_LOGS), tool::<&str>("lparse", &[]), tool("lcount", &by_path)],
            None,
        ),
        pipeline(&repo_root(), &[tool("lparse", &EXAMPLE_LOGS), tool("lcount", &by_path)], None),
    ];
    for run in runs {
        run.assert_clean();
        let records = run.records();
        let mut got: HashMap<String, u64> = HashMap::new();
        for rec in &records {
            let obj = rec.as_object().expect("a JSON object");
            assert_eq!(obj.len(), 2, "only path and count: {rec}");
            let path = rec["path"].as_str().expect("path is a string").to_owned();
            let count = rec["count"].as_u64().expect("count is a number");
            assert!(got.insert(path, count).is_none(), "one record per group");
        }
        assert_eq!(got, expected);
        let counts: Vec<u64> = records.iter().map(|r| r["count"].as_u64().unwrap()).collect();
        assert!(counts.windows(2).all(|w| w[0] >= w[1]), "largest count first: {counts:?}");
    }
}

// 3. Lines that are not UTF-8, or hold control characters, come through
// byte for byte.
#[test]
fn ltail_keeps_the_exact_bytes_of_every_line() {
    let lines: Vec<&[u8]> = vec![
        b"plain ascii line",
        b"invalid \xff\xfe bytes",
        b"ends with crlf",
        b"nul \x00 and esc \x1b[31m red",
        b"",
        "utf-8 \u{e9} \u{6d4f}\u{89c8}".as_bytes(),
        b"cr \r inside, quote \" backslash \\ tab \t",
        b"cut utf-8 sequence \xc3",
        b"\x16\x03\x01\x00\xa5 tls junk",
        b"last line \xe6\xb5 without newline",
    ];
    let mut content = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        content.extend_from_slice(line);
        match i {
            2 => content.extend_from_slice(b"\r\n"),
            i if i == lines.len() - 1 => {}
            _ => content.push(b'\n'),
        }
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bytes.log"), &content).unwrap();

    // A path given relative, with a `./`: src is the path as given.
    let src = "./bytes.log";
    let out =
        assert_cmd::Command::new(bin("ltail")).arg(src).current_dir(dir.path()).output().unwrap();
    assert!(out.status.success(), "{}", lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", lossy(&out.stderr));
    let records = util::parse_ndjson(&out.stdout);
    assert_eq!(records.len(), lines.len(), "{}", lossy(&out.stdout));
    for (rec, want) in records.iter().zip(&lines) {
        assert_eq!(rec["src"], src);
        assert_eq!(record_line_bytes(rec), *want, "{rec}");
        let utf8 = std::str::from_utf8(want).is_ok();
        assert_eq!(
            rec.get("line_b64").is_some(),
            !utf8,
            "line_b64 exactly when the line is not UTF-8: {rec}"
        );
        assert!(rec.get("truncated").is_none(), "{rec}");
    }

    // The same bytes from stdin.
    let out = assert_cmd::Command::new(bin("ltail"))
        .arg("-")
        .write_stdin(content.clone())
        .output()
        .unwrap();
    assert!(out.status.success() && out.stderr.is_empty());
    let records = util::parse_ndjson(&out.stdout);
    let got: Vec<Vec<u8>> = records.iter().map(record_line_bytes).collect();
    assert_eq!(got, lines);
    assert!(records.iter().all(|r| r["src"] == "-"));

    // lparse keeps unparsable lines exactly, too.
    let run = pipeline(dir.path(), &[tool("ltail", &[src]), tool::<&str>("lparse", &[])], None);
    assert!(run.status[0].success() && run.stderr[0].is_empty());
    assert_eq!(run.status[1].code(), Some(1));
    // (Blank lines are left to `lparse_treats_blank_lines_alike`.)
    let records: Vec<Value> =
        run.records().into_iter().filter(|r| !record_line_bytes(r).is_empty()).collect();
    let nonempty: Vec<&[u8]> = lines.iter().copied().filter(|l| !l.is_empty()).collect();
    assert_eq!(records.len(), nonempty.len(), "{}", run.stdout_str());
    for (rec, want) in records.iter().zip(&nonempty) {
        assert_eq!(rec["src"], src);
        assert!(rec["err"].is_string(), "{rec}");
        assert_eq!(record_line_bytes(rec), *want, "{rec}");
    }
}

// 4. A closed pipe ends every tool quietly, with status 0.
#[test]
fn head_closing_the_pipe_ends_everything_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.log");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let n_lines = 200_000;
    for n in 0..n_lines {
        writeln!(file, "{}", combined(n, 200, &format!("/item/{n}?page=2"))).unwrap();
    }
    file.into_inner().unwrap().sync_all().ok();
    assert!(std::fs::metadata(&path).unwrap().len() > 30_000_000);
    let first = combined(0, 200, "/item/0?page=2");

    let run =
        pipeline(dir.path(), &[tool("ltail", &["big.log"]), external("head", &["-n", "1"])], None);
    run.assert_clean();
    assert_eq!(run.records(), vec![json!({ "src": "big.log", "line": first })]);

    let run = pipeline(
        dir.path(),
        &[tool("ltail", &["big.log"]), tool::<&str>("lparse", &[]), external("head", &["-n", "1"])],
        None,
    );
    run.assert_clean();
    let records = run.records();
    assert_eq!(records.len(), 1, "{}", run.stdout_str());
    let rec = &records[0];
    assert_eq!(rec["src"], "big.log");
    assert_eq!(rec["client"], "10.0.0.0");
    assert_eq!(rec["path"], "/item/0");
    assert_eq!(rec["query"], "page=2");
    assert_eq!(rec["status"], 200);
    assert_eq!(rec["bytes"], 1000);
}

// 5. `-n N` and `-n +N`, on a file and on stdin.
#[test]
fn ltail_last_lines_and_from_line() {
    let lines: Vec<String> = (1..=10).map(|i| format!("line {i} of ten")).collect();
    let text = lines.join("\n") + "\n";
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ten.log"), &text).unwrap();
    // The same without the final newline: the last line still counts.
    std::fs::write(dir.path().join("open.log"), text.trim_end()).unwrap();

    let run_ltail = |args: &[&str], stdin: Option<&str>| -> Vec<Value> {
        let mut cmd = assert_cmd::Command::new(bin("ltail"));
        cmd.args(args).current_dir(dir.path());
        if let Some(input) = stdin {
            cmd.write_stdin(input.to_owned());
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "ltail {args:?}: {} {}",
            out.status,
            lossy(&out.stderr)
        );
        util::parse_ndjson(&out.stdout)
    };
    let want = |src: &str, from: usize| -> Vec<Value> {
        lines[from..].iter().map(|l| json!({ "src": src, "line": l })).collect()
    };

    for file in ["ten.log", "open.log"] {
        assert_eq!(run_ltail(&["-n", "3", file], None), want(file, 7));
        assert_eq!(run_ltail(&["-n", "+2", file], None), want(file, 1));
        assert_eq!(run_ltail(&["-n", "20", file], None), want(file, 0));
        assert_eq!(run_ltail(&["-n", "0", file], None), want(file, 10));
    }
    assert_eq!(run_ltail(&["-n", "3", "-"], Some(&text)), want("-", 7));
    assert_eq!(run_ltail(&["-n", "+2", "-"], Some(&text)), want("-", 1));
    // No file argument means stdin.
    assert_eq!(run_ltail(&["-n", "3"], Some(&text)), want("-", 7));
    assert_eq!(run_ltail(&[], Some(&text)), want("-", 0));
}

// 6. A line that does not parse is kept, reported and counted.
#[test]
fn lparse_keeps_and_reports_a_line_that_does_not_parse() {
    let bad = "this is not an access log line";
    let lines = [combined(1, 200, "/a"), bad.to_owned(), combined(3, 404, "/b")];
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("mixed.log"), lines.join("\n") + "\n").unwrap();

    let check = |records: &[Value], src: Option<&str>| {
        assert_eq!(records.len(), 3, "{records:?}");
        assert_eq!(records[0]["status"], 200);
        assert_eq!(records[0]["path"], "/a");
        assert_eq!(records[1]["line"], bad);
        assert!(records[1]["err"].as_str().is_some_and(|e| !e.is_empty()), "{}", records[1]);
        assert!(records[1].get("status").is_none());
        assert_eq!(records[2]["status"], 404);
        assert!(records[0].get("err").is_none() && records[2].get("err").is_none());
        for rec in records {
            assert_eq!(rec.get("src").and_then(Value::as_str), src, "{rec}");
        }
    };

    // A raw file named on the command line.
    let out = assert_cmd::Command::new(bin("lparse"))
        .arg("mixed.log")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", lossy(&out.stderr));
    check(&util::parse_ndjson(&out.stdout), Some("mixed.log"));
    let stderr = lossy(&out.stderr);
    assert!(stderr.starts_with("lparse: mixed.log:2: "), "{stderr}");
    assert!(stderr.lines().all(|l| l.starts_with("lparse: ")), "{stderr}");
    assert!(!stderr.contains(":1:") && !stderr.contains(":3:"), "{stderr}");

    // ltail records.
    let run =
        pipeline(dir.path(), &[tool("ltail", &["mixed.log"]), tool::<&str>("lparse", &[])], None);
    assert!(run.status[0].success() && run.stderr[0].is_empty());
    assert_eq!(run.status[1].code(), Some(1));
    check(&run.records(), Some("mixed.log"));
    // The record's source and its line, which here is also the record's
    // line in lparse's input (as `mixed.log:2` or `mixed.log (record at -:2)`).
    let stderr = lossy(&run.stderr[1]);
    assert!(
        stderr.starts_with("lparse: mixed.log") && stderr.lines().next().unwrap().contains(":2"),
        "{stderr}"
    );

    // Raw lines on stdin have no src, and are reported as `-`.
    let out =
        assert_cmd::Command::new(bin("lparse")).write_stdin(lines.join("\n")).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    check(&util::parse_ndjson(&out.stdout), None);
    assert!(lossy(&out.stderr).starts_with("lparse: -:2: "));

    // --strict: the first bad line is fatal.
    let out = assert_cmd::Command::new(bin("lparse"))
        .args(["--strict", "mixed.log"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = lossy(&out.stderr);
    assert!(stderr.starts_with("lparse: ") && stderr.contains("mixed.log:2:"), "{stderr}");
}

// 6b. With several files in one ltail stream, a bad line is reported with
// its number in its own file.
#[test]
fn lparse_reports_the_line_number_within_each_ltail_source() {
    let dir = tempfile::tempdir().unwrap();
    let good = [combined(1, 200, "/a"), combined(2, 200, "/b")].join("\n") + "\n";
    std::fs::write(dir.path().join("first.log"), &good).unwrap();
    std::fs::write(
        dir.path().join("second.log"),
        format!("{}\nnot a log line\n", combined(3, 200, "/c")),
    )
    .unwrap();
    let run = pipeline(
        dir.path(),
        &[tool("ltail", &["first.log", "second.log"]), tool::<&str>("lparse", &[])],
        None,
    );
    assert_eq!(run.status[1].code(), Some(1));
    assert_eq!(run.records().len(), 4);
    let stderr = lossy(&run.stderr[1]);
    // Line 2 of second.log is the 4th record of lparse's input: the
    // message names second.log and either of those places, but must not
    // call it line 4 of second.log.
    let first = stderr.lines().next().unwrap_or_default();
    assert!(first.starts_with("lparse: second.log"), "{stderr}");
    assert!(!first.contains("second.log:4"), "second.log has no line 4: {stderr}");
    assert!(
        first.contains("second.log:2:") || first.contains("-:4"),
        "the bad line is line 2 of second.log, record 4 of the stream: {stderr}"
    );
}

// 6c. A file gives the same records whether lparse reads it itself or
// through ltail, blank lines included.
#[test]
fn lparse_treats_blank_lines_alike() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{}\n\n{}\n", combined(1, 200, "/a"), combined(2, 404, "/b"));
    std::fs::write(dir.path().join("blank.log"), text).unwrap();
    let direct = pipeline(dir.path(), &[tool("lparse", &["blank.log"])], None);
    let via_ltail =
        pipeline(dir.path(), &[tool("ltail", &["blank.log"]), tool::<&str>("lparse", &[])], None);
    assert!(via_ltail.status[0].success());
    assert_eq!(
        via_ltail.records(),
        direct.records(),
        "ltail | lparse: {}",
        lossy(&via_ltail.stderr[1])
    );
    assert_eq!(via_ltail.status[1].code(), direct.status[0].code());
}

// 7. lcount skips and reports what is not JSON, and still counts the rest.
#[test]
fn lcount_reports_lines_that_are_not_json() {
    let lines = [
        r#"{"status":404,"path":"/a"}"#,
        r#"{"status":200,"path":"/b"}"#,
        "this is not json",
        r#"{"status":404,"path":"/c"}"#,
        r#"{"status":404,"path":"/d""#,
        r#"{"status":500}"#,
        r#"{"status":404}"#,
    ];
    let bad_numbers = [3, 5];
    let mut expected = 0;
    for (i, line) in lines.iter().enumerate() {
        match serde_json::from_str::<Value>(line) {
            Ok(v) => expected += usize::from(v["status"] == 404),
            Err(_) => assert!(bad_numbers.contains(&(i + 1))),
        }
    }
    assert_eq!(expected, 3);
    let text = lines.join("\n") + "\n";
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("recs.ndjson"), &text).unwrap();

    for (src, args, stdin) in [
        ("recs.ndjson", vec!["--status", "404", "recs.ndjson"], None),
        ("-", vec!["--status", "404"], Some(text.clone())),
    ] {
        let mut cmd = assert_cmd::Command::new(bin("lcount"));
        cmd.args(&args).current_dir(dir.path());
        if let Some(input) = stdin {
            cmd.write_stdin(input);
        }
        let out = cmd.output().unwrap();
        let stderr = lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert_eq!(util::parse_ndjson(&out.stdout), vec![json!({ "count": expected })]);
        for n in bad_numbers {
            assert!(
                stderr.contains(&format!("lcount: {src}:{n}: ")),
                "line {n} reported: {stderr}"
            );
        }
        assert!(stderr.lines().all(|l| l.starts_with("lcount: ")), "{stderr}");
    }
}

// 8. The command-line contract of every tool.
#[test]
fn every_tool_has_help_version_and_usage_errors() {
    for name in ["ltail", "lparse", "lcount", "hprobe"] {
        let out = assert_cmd::Command::new(bin(name)).arg("--help").output().unwrap();
        assert!(out.status.success(), "{name} --help");
        let help = lossy(&out.stdout);
        assert!(help.contains("Examples"), "{name} --help: {help}");

        let out = assert_cmd::Command::new(bin(name)).arg("--version").output().unwrap();
        assert!(out.status.success(), "{name} --version");
        assert!(lossy(&out.stdout).starts_with(&format!("{name} ")));

        let out = assert_cmd::Command::new(bin(name))
            .arg("--no-such-option")
            .write_stdin("")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{name} --no-such-option");
        assert!(out.stdout.is_empty(), "{name}: usage errors print no data");
        assert!(!out.stderr.is_empty(), "{name}: usage errors are explained");
    }
}

// 9. Output is flushed as soon as the input goes idle, so that a live
// pipeline shows each line as it arrives.
#[test]
fn records_are_flushed_when_the_input_goes_idle() {
    let lines = [combined(1, 200, "/live"), combined(2, 503, "/later")];

    // Each case: the stages (program, arguments), and a check of the record
    // that a line must give.
    type Stages = Vec<(&'static str, Vec<&'static str>)>;
    type Check = fn(&Value, &str);
    let parsed: Check = |rec, line| {
        let status: u64 = awk_field(line, 9).unwrap().parse().unwrap();
        assert_eq!(rec["status"], status, "{rec}");
        assert_eq!(rec["client"], awk_field(line, 1).unwrap());
        assert!(rec.get("err").is_none(), "{rec}");
    };
    let tagged: Check = |rec, line| {
        assert_eq!(*rec, json!({ "src": "-", "line": line }));
    };
    let cases: [(Stages, Check); 3] = [
        (vec![("lparse", vec![])], parsed),
        (vec![("ltail", vec!["-"])], tagged),
        (vec![("ltail", vec!["-"]), ("lparse", vec![])], parsed),
    ];

    for (stages, check) in cases {
        let mut children = Vec::new();
        let mut prev = None;
        for (name, args) in &stages {
            let child = Command::new(bin(name))
                .args(args)
                .stdin(match prev.take() {
                    Some(out) => Stdio::from(out),
                    None => Stdio::piped(),
                })
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            children.push(child);
            prev = children.last_mut().unwrap().stdout.take();
        }
        let mut stdin = children[0].stdin.take().unwrap();
        let rx = line_receiver(prev.unwrap());
        for line in &lines {
            // Write one line and keep stdin open.
            stdin.write_all(format!("{line}\n").as_bytes()).unwrap();
            stdin.flush().unwrap();
            let got = rx.recv_timeout(FLUSH_WAIT).unwrap_or_else(|_| {
                for c in &mut children {
                    let _ = c.kill();
                }
                panic!("{stages:?}: no record within {FLUSH_WAIT:?} of writing a line")
            });
            let rec: Value = serde_json::from_str(&got).unwrap();
            check(&rec, line);
        }
        drop(stdin);
        for (child, (name, _)) in children.iter_mut().zip(&stages) {
            let status = wait_with_timeout(child, name, util::PROCESS_TIMEOUT);
            assert!(status.success(), "{name}: {status}");
        }
        assert!(rx.recv().is_err(), "nothing more after end of input");
    }
}
