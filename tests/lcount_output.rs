//! lcount's output, end to end: in every `--format`, log data cannot drive
//! the terminal it is shown on (run under a real pseudo-terminal), what goes
//! down a pipe reads back as exactly the original text, numbers are written
//! in their shortest exact form, and the table shows small durations
//! readably.

mod util;

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use tempfile::TempDir;
use util::{bin, Pty};

/// A request path as an attacker logs it: clear the screen, retitle the
/// window (OSC ... BEL), a tab, a line feed, a carriage return, quotes and a
/// comma, a backslash, DEL, a CSI in its one-character C1 form, and a
/// right-to-left override that makes `exe.png` show as `gnp.exe`.
const HOSTILE: &str =
    "/a\u{1b}[2J\u{1b}]0;pwned\u{7}\tb\nc\rd\"e\",f\\g\u{7f}h\u{9b}31mi\u{202e}gnp.exe";

/// Writes NDJSON records to a file in a new directory.
fn input(records: &[Value]) -> (TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.ndjson");
    let text: String = records.iter().map(|r| format!("{r}\n")).collect();
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

/// The records of the safety tests: the hostile path and a plain one.
fn hostile_input() -> (TempDir, std::path::PathBuf) {
    input(&[json!({"path": HOSTILE, "rt": 0.5}), json!({"path": "/plain", "rt": 0.25})])
}

/// Runs `lcount ARGS FILE` with its stdout on a pseudo-terminal and
/// returns exactly what reached the terminal.
fn on_terminal(args: &[&str], file: &Path) -> String {
    let mut cmd = Command::new(bin("lcount"));
    cmd.args(args).arg(file);
    let run = Pty::open().run(cmd, b"");
    assert!(
        run.status.success() && run.stderr.is_empty(),
        "lcount {args:?}: {}: {}",
        run.status,
        run.stderr
    );
    run.shown_str().to_owned()
}

/// Runs `lcount ARGS FILE` with its stdout on a pipe.
fn on_pipe(args: &[&str], file: &Path) -> Vec<u8> {
    let out = Command::new(bin("lcount")).args(args).arg(file).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stderr.is_empty(), "lcount {args:?}: {stderr}");
    out.stdout
}

/// The characters in `shown` that a terminal would obey rather than show:
/// control characters other than the view's own (`own`: the line feeds
/// that end its lines, TSV's tabs between fields), a carriage return unless
/// right before a line feed when `crlf` (CSV's line ends), and the
/// bidirectional formatting characters.
fn obeyed(shown: &str, own: &str, crlf: bool) -> Vec<char> {
    let mut found = Vec::new();
    let mut chars = shown.chars().peekable();
    while let Some(c) = chars.next() {
        let line_end = crlf && c == '\r' && chars.peek() == Some(&'\n');
        let bidi = matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        if (c.is_control() && !own.contains(c) && !line_end) || bidi {
            found.push(c);
        }
    }
    found
}

/// A view of the result on a terminal.
struct View {
    /// The `--format` arguments (none: the terminal's default, the table).
    format: &'static [&'static str],
    /// The control characters that are the view's own structure.
    own: &'static str,
    /// Whether its lines end in CRLF.
    crlf: bool,
    /// How it shows the escapes that would clear the screen and retitle
    /// the window.
    escaped: [&'static str; 2],
}

#[test]
fn no_format_lets_the_data_drive_a_terminal() {
    let (_dir, file) = hostile_input();
    let as_table = ["\\u{1b}[2J", "\\u{1b}]0;pwned\\u{7}"];
    let views = [
        View { format: &[], own: "\n", crlf: false, escaped: as_table },
        View { format: &["--format", "table"], own: "\n", crlf: false, escaped: as_table },
        View { format: &["--format", "csv"], own: "\n", crlf: true, escaped: as_table },
        View {
            format: &["--format", "tsv"],
            own: "\n\t",
            crlf: false,
            escaped: ["\\x1b[2J", "\\x1b]0;pwned\\x07"],
        },
        View {
            format: &["--format", "json"],
            own: "\n",
            crlf: false,
            escaped: ["\\u001b[2J", "\\u001b]0;pwned\\u0007"],
        },
    ];
    for view in views {
        let format = view.format;
        let args = [&["--by", "path", "--max", "rt"], format].concat();
        let shown = on_terminal(&args, &file);
        let obeyed = obeyed(&shown, view.own, view.crlf);
        assert_eq!(obeyed, [] as [char; 0], "{format:?} shows: {shown:?}");
        for text in view.escaped {
            assert!(shown.contains(text), "{format:?} shows {text:?}: {shown:?}");
        }
        assert!(shown.contains("/plain"), "{format:?}: {shown:?}");
    }
}

#[test]
fn json_shown_on_a_terminal_is_the_same_json() {
    let (_dir, file) = hostile_input();
    let shown = on_terminal(&["--by", "path", "--format", "json"], &file);
    let paths: Vec<Value> =
        shown.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()["path"].clone()).collect();
    assert_eq!(paths, [json!(HOSTILE), json!("/plain")]);
    // `--json`, as the other tools spell it, is the same.
    assert_eq!(on_terminal(&["--by", "path", "--json"], &file), shown);
    let both = Command::new(bin("lcount")).args(["--json", "--format", "csv"]).arg(&file).output();
    assert_eq!(both.unwrap().status.code(), Some(2), "--json and --format together");
}

/// Reverses the TSV escapes that lcount documents: `\\`, `\t`, `\n`, `\r`,
/// and `\xHH` for one byte.
fn tsv_unescape(field: &str) -> String {
    let mut bytes = Vec::new();
    let mut rest = field.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        rest = tail;
        if b != b'\\' {
            bytes.push(b);
            continue;
        }
        let (&kind, tail) = rest.split_first().expect("a backslash ends a TSV field");
        rest = tail;
        match kind {
            b'\\' => bytes.push(b'\\'),
            b't' => bytes.push(b'\t'),
            b'n' => bytes.push(b'\n'),
            b'r' => bytes.push(b'\r'),
            b'x' => {
                let hex = std::str::from_utf8(&rest[..2]).unwrap();
                bytes.push(u8::from_str_radix(hex, 16).unwrap());
                rest = &rest[2..];
            }
            other => panic!("unknown TSV escape \\{}", other as char),
        }
    }
    String::from_utf8(bytes).expect("the escapes give back UTF-8")
}

#[test]
fn piped_tsv_and_csv_read_back_exactly() {
    let (_dir, file) = hostile_input();
    let want = [HOSTILE, "/plain"];

    let csv = on_pipe(&["--by", "path", "--max", "rt", "--format", "csv"], &file);
    assert!(csv.starts_with(b"path,count,max_rt\r\n"), "{:?}", String::from_utf8_lossy(&csv));
    assert!(csv.ends_with(b"\r\n"));
    let mut reader = csv::ReaderBuilder::new().from_reader(&csv[..]);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let paths: Vec<&str> = rows.iter().map(|r| &r[0]).collect();
    assert_eq!(paths, want);
    let rts: Vec<&str> = rows.iter().map(|r| &r[2]).collect();
    assert_eq!(rts, ["0.5", "0.25"]);

    let tsv = String::from_utf8(on_pipe(&["--by", "path", "--format", "tsv"], &file)).unwrap();
    // Not a raw control byte, to a pipe either: one line per row.
    assert_eq!(obeyed(&tsv, "\n\t", false), [] as [char; 0], "{tsv:?}");
    let rows: Vec<Vec<String>> =
        tsv.lines().map(|l| l.split('\t').map(tsv_unescape).collect()).collect();
    assert_eq!(rows, [["path", "count"], [HOSTILE, "1"], ["/plain", "1"]]);
}

/// The values of the number tests: ones whose exact text takes 17 digits,
/// recurring fractions, small and large magnitudes, and whole numbers.
fn awkward_numbers() -> Vec<f64> {
    vec![0.1, 0.1 + 0.2, 1.0 / 3.0, 2.0 / 3.0, 0.000123, 2.5e-7, 123456.789, 1e21 / 3.0, 1e300]
}

/// The text of a column in each format's output, by the value of `name`.
fn column_texts(format: &str, out: &[u8], col: &str) -> BTreeMap<String, String> {
    let text = String::from_utf8(out.to_vec()).unwrap();
    match format {
        "json" => text
            .lines()
            .map(|line| {
                let name = serde_json::from_str::<Value>(line).unwrap()["name"].clone();
                // The number exactly as written, not as a parser reads it.
                let (_, after) = line.split_once(&format!("\"{col}\":")).unwrap();
                let end = after.find([',', '}']).unwrap();
                (name.as_str().unwrap().to_owned(), after[..end].to_owned())
            })
            .collect(),
        _ => {
            let sep = if format == "csv" { ',' } else { '\t' };
            let mut lines = text.lines();
            let header: Vec<&str> = lines.next().unwrap().split(sep).collect();
            let at = header.iter().position(|h| *h == col).unwrap();
            lines
                .map(|l| {
                    let cells: Vec<&str> = l.split(sep).collect();
                    (cells[0].to_owned(), cells[at].to_owned())
                })
                .collect()
        }
    }
}

/// The significant digits of a number's text, whatever its notation:
/// `0.000123`, `1.23e-4` and `123E-6` all give `123`.
fn digits(text: &str) -> String {
    let mantissa = text.split(['e', 'E']).next().unwrap();
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    digits.trim_start_matches('0').trim_end_matches('0').to_owned()
}

#[test]
fn numbers_are_written_in_their_shortest_exact_form() {
    // One record per group, so that the maximum, the minimum and the mean
    // are the value itself, whatever the arithmetic. The input writes each
    // value in exponent form with more digits than it needs (written by
    // hand: serde_json would write them its own way), so that the output
    // cannot simply repeat the input's text.
    let mut lines = String::new();
    let mut want = BTreeMap::new();
    for (i, x) in awkward_numbers().into_iter().enumerate() {
        lines.push_str(&format!("{{\"name\":\"n{i}\",\"x\":{x:.20e}}}\n"));
        want.insert(format!("n{i}"), x);
    }
    // Whole numbers are written as integers (no ".0"), in every format.
    for (i, (text, whole)) in [("1.234e3", 1234.0), ("7.0", 7.0), ("-2e0", -2.0)].iter().enumerate()
    {
        lines.push_str(&format!("{{\"name\":\"w{i}\",\"x\":{text}}}\n"));
        want.insert(format!("w{i}"), *whole);
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in.ndjson");
    std::fs::write(&file, lines).unwrap();

    for format in ["json", "tsv", "csv"] {
        let args = ["--by", "name", "--max", "x", "--min", "x", "--avg", "x", "--format", format];
        let out = on_pipe(&args, &file);
        for col in ["max_x", "min_x", "avg_x"] {
            let got = column_texts(format, &out, col);
            assert_eq!(got.len(), want.len(), "{format} {col}: {got:?}");
            for (name, &x) in &want {
                let text = &got[name];
                if name.starts_with('w') {
                    assert_eq!(text, &format!("{}", x as i64), "{format} {col} {name}");
                    continue;
                }
                // The same f64, in the fewest digits that give it back
                // (Rust's `{:e}` writes those).
                assert_eq!(text.parse::<f64>().unwrap().to_bits(), x.to_bits(), "{text}");
                let shortest = format!("{x:e}");
                assert_eq!(digits(text), digits(&shortest), "{format} {col} {name}: {text}");
            }
        }
    }
}

#[test]
fn the_table_shows_small_durations_and_numbers_readably() {
    let (_dir, file) = input(&[
        json!({"path": "/fast", "rt": 0.000123, "share": 0.000123}),
        json!({"path": "/slow", "rt": 1.5, "share": 0.5}),
        json!({"path": "/mid", "rt": 0.0123, "share": 12.3456}),
    ]);
    let shown = on_terminal(
        &["--by", "path", "--avg", "rt", "--p", "50", "rt", "--avg", "share", "--sort", "path"],
        &file,
    );
    let rows: Vec<Vec<&str>> = shown.lines().map(|l| l.split_whitespace().collect()).collect();
    // Four significant digits; rt in the unit that suits it.
    assert_eq!(
        rows,
        [
            vec!["path", "count", "avg_rt", "avg_share", "p50_rt"],
            vec!["/fast", "1", "123.0µs", "0.0001230", "123.0µs"],
            vec!["/mid", "1", "12.30ms", "12.35", "12.30ms"],
            vec!["/slow", "1", "1.500s", "0.5000", "1.500s"],
        ],
        "{shown}"
    );
}
