//! lparse end to end on the lines of the wild that used to be dropped:
//! cut lines, junk before the first field, JSON log lines that look like
//! ltail records; what stderr and the exit status say of them.

mod util;

use serde_json::json;
use util::{bin, parse_ndjson};

/// lparse with `args` on `input`: (records, stderr, exit status).
fn lparse(args: &[&str], input: &[u8]) -> (Vec<serde_json::Value>, String, i32) {
    let out = assert_cmd::Command::new(bin("lparse"))
        .args(["--tz", "UTC"])
        .args(args)
        .write_stdin(input)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    for line in text.lines() {
        // Each key once (serde_json would keep the last of two quietly).
        let keys = keys(line);
        let unique: std::collections::HashSet<_> = keys.iter().collect();
        assert_eq!(unique.len(), keys.len(), "a key twice: {line}");
    }
    let stderr = String::from_utf8(out.stderr).unwrap();
    (parse_ndjson(&out.stdout), stderr, out.status.code().unwrap())
}

/// The keys of a JSON object, in order, repeated ones included (a small
/// scanner: the string before each `:` at depth one).
fn keys(json: &str) -> Vec<String> {
    let (mut depth, mut keys, mut last) = (0, Vec::new(), String::new());
    let mut string: Option<String> = None;
    let mut chars = json.chars();
    while let Some(c) = chars.next() {
        match (c, &mut string) {
            ('\\', Some(s)) => {
                s.push(c);
                s.extend(chars.next());
            }
            ('"', Some(_)) => last = string.take().unwrap(),
            (c, Some(s)) => s.push(c),
            ('"', None) => string = Some(String::new()),
            ('{' | '[', None) => depth += 1,
            ('}' | ']', None) => depth -= 1,
            (':', None) if depth == 1 => keys.push(std::mem::take(&mut last)),
            _ => {}
        }
    }
    keys
}

const CUT: &str = r#"192.0.2.7 - - [20/May/2015:12:05:17 +0000] "GET /scripts/x.py HTTP/1.1" 200 235 "-" "Mozilla/5.0 (compatible; Examplebot/2.1; +http://bot.example/"#;
const WHOLE: &str =
    r#"192.0.2.8 - - [20/May/2015:12:05:18 +0000] "GET / HTTP/1.1" 304 0 "-" "curl/8""#;

#[test]
fn the_key_scanner_sees_repeated_keys() {
    assert_eq!(keys(r#"{"a":{"a":1},"b\"":"x:","a":[{"c":2}]}"#), ["a", "b\\\"", "a"]);
}

#[test]
fn a_cut_line_keeps_its_leading_fields_and_is_counted_apart() {
    let input = format!("{CUT}\n{WHOLE}\nnot a log line\n");
    let (recs, stderr, code) = lparse(&[], input.as_bytes());
    assert_eq!(
        recs[0],
        json!({"ts": "2015-05-20T12:05:17+00:00", "client": "192.0.2.7", "method": "GET",
            "path": "/scripts/x.py", "proto": "HTTP/1.1", "status": 200, "bytes": 235,
            "fmt": "combined", "line": CUT, "partial": true,
            "err": "the line ends inside the user agent"})
    );
    assert_eq!(recs[1]["status"], 304);
    assert_eq!(recs[2]["err"], "expected [time]");
    assert!(
        stderr.contains("lparse: -:1: partial: the line ends inside the user agent"),
        "{stderr}"
    );
    assert!(
        stderr.contains("partial records (leading fields kept, marked \"partial\") or joined lines cut (marked \"truncated\"): 1"),
        "{stderr}"
    );
    assert!(stderr.contains("lines that did not parse (kept with \"err\") or files not read: 1"));
    assert_eq!(code, 1);
    // --strict stops at it, after its record.
    let (recs, stderr, code) = lparse(&["--strict"], input.as_bytes());
    assert_eq!((recs.len(), &recs[0]["partial"], code), (1, &json!(true), 2), "{stderr}");
    assert!(stderr.contains("partial: the line ends inside the user agent"), "{stderr}");
}

#[test]
fn a_line_ltail_cut_at_its_maximum_keeps_its_fields() {
    let cut = &WHOLE[..WHOLE.len() - 8];
    let record = json!({"src": "a.log", "line": cut, "truncated": true}).to_string();
    let (recs, _, code) = lparse(&[], format!("  {record}\n").as_bytes());
    assert_eq!(
        (&recs[0]["src"], &recs[0]["status"], &recs[0]["truncated"], &recs[0]["partial"], code),
        (&json!("a.log"), &json!(304), &json!(true), &json!(true), 1)
    );
    assert_eq!(recs[0]["err"], "the line ends before the user agent");
}

#[test]
fn junk_before_the_first_field_is_reported_and_kept_out_of_values() {
    let line = format!("\0\0\0\x01{WHOLE}");
    let (recs, stderr, code) = lparse(&[], line.as_bytes());
    assert_eq!((&recs[0]["client"], &recs[0]["status"]), (&json!("192.0.2.8"), &json!(304)));
    assert_eq!(recs[0]["err"], "4 junk bytes before the first field");
    assert_eq!((&recs[0]["line"], &recs[0]["partial"]), (&json!(line), &json!(true)));
    assert!(stderr.contains("partial: 4 junk bytes"), "{stderr}");
    assert_eq!(code, 1);
    // A hole of NULs, then the space the hole left of the line before.
    for junk in ["\0\0\0 ", "\x01 \t"] {
        let line = format!("{junk}{WHOLE}");
        let (recs, _, code) = lparse(&[], line.as_bytes());
        assert_eq!((&recs[0]["client"], &recs[0]["status"]), (&json!("192.0.2.8"), &json!(304)));
        let want = format!("{} junk bytes before the first field", junk.len());
        assert_eq!((&recs[0]["err"], code), (&json!(want), 1));
    }
}

#[test]
fn only_ltail_s_own_records_are_unwrapped() {
    let app = r#"{"time":"2026-11-30T07:00:00Z","level":"warn","line":"42","msg":"disk slow"}"#;
    let ltail = json!({"src": "x.log", "line": WHOLE}).to_string();
    let (recs, stderr, code) = lparse(&[], format!("{app}\n \t{ltail}\n").as_bytes());
    assert_eq!(
        recs[0],
        json!({"ts": "2026-11-30T07:00:00+00:00", "level": "warn", "line_": "42", "msg": "disk slow", "fmt": "json"})
    );
    assert_eq!((&recs[1]["src"], &recs[1]["status"]), (&json!("x.log"), &json!(304)));
    assert_eq!((stderr.as_str(), code), ("", 0));
}

#[test]
fn a_key_given_twice_counts_alike_with_and_without_lparse() {
    let input = b"{\"status\":404,\"status\":200}\n";
    let (recs, _, _) = lparse(&[], input);
    assert_eq!(recs[0]["status"], 200);
    let out = assert_cmd::Command::new(bin("lcount"))
        .args(["--by", "status"])
        .write_stdin(&input[..])
        .output()
        .unwrap();
    assert_eq!(parse_ndjson(&out.stdout)[0]["status"], 200);
}
