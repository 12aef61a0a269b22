//! One line reader and one set of limits along the pipeline: a line is at
//! most one record on every path (a large file read on several cores or
//! the same bytes through a pipe), every record ltail writes with its
//! defaults is read whole by the next stage, and a line over a limit is
//! reported as too long, never read as something else.

mod util;

use std::path::Path;
use util::{file_and_pipe, parse_ndjson, pipeline};

/// ltail's default line maximum, and the record maximum of the readers.
const MAX_LINE: usize = 1 << 20;
const MAX_RECORD: usize = 8 << 20;

fn write_file(dir: &Path, name: &str, data: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, data).unwrap();
    path
}

/// A record of lparse's shape, numbered `i`.
fn record(i: usize) -> String {
    format!(
        r#"{{"src":"a.log","ts":"2026-11-27T03:{:02}:{:02}+00:00","path":"/p/{}","status":{},"rt":{}.{:03}}}"#,
        i / 60 % 60,
        i % 60,
        i % 97,
        [200, 404, 301, 500, 404][i % 5],
        i % 3,
        i % 1000
    )
}

#[test]
fn lcount_reads_a_large_file_on_all_cores_as_it_reads_a_pipe() {
    let dir = tempfile::tempdir().unwrap();
    // 24 MiB of records (well over the 8 MiB where lcount goes parallel),
    // with bad lines spread through it, two lines over the record maximum
    // in the middle, a blank line and CRLF line ends here and there.
    let mut data = Vec::new();
    let (mut want_404, mut want_bad, mut i) = (0u64, 0u64, 0usize);
    // Records at 03:30Z or later, and the first and last ts of the records.
    let (mut want_late, mut first_ts, mut last_ts) = (0u64, None, String::new());
    let mut bad_lines = Vec::new();
    let mut line_number = 0u64;
    while data.len() < 24 << 20 {
        line_number += 1;
        if i % 9_000 == 17 {
            data.extend_from_slice(format!("not a record {i}\n").as_bytes());
            want_bad += 1;
            bad_lines.push(line_number);
        } else if i == 70_000 {
            // Over the maximum, and ending in what looks like a record: a
            // reader that cut it into pieces would count a forged 404.
            data.extend(std::iter::repeat_n(b'x', MAX_RECORD));
            data.extend_from_slice(b"{\"status\":404}\n");
            want_bad += 1;
            bad_lines.push(line_number);
        } else if i == 70_001 {
            // A well-formed record, but over the maximum: reported, not read.
            data.extend_from_slice(b"{\"status\":404,\"msg\":\"");
            data.extend(std::iter::repeat_n(b'y', MAX_RECORD));
            data.extend_from_slice(b"\"}\n");
            want_bad += 1;
            bad_lines.push(line_number);
        } else if i % 5_000 == 3 {
            data.extend_from_slice(b"\n");
        } else {
            let r = record(i);
            want_404 += u64::from(r.contains("\"status\":404"));
            want_late += u64::from(i / 60 % 60 >= 30);
            let ts = format!("2026-11-27T03:{:02}:{:02}+00:00", i / 60 % 60, i % 60);
            // The minutes wrap around the hour: the least and greatest ts.
            if first_ts.as_ref().is_none_or(|f| ts < *f) {
                first_ts = Some(ts.clone());
            }
            if ts > last_ts {
                last_ts = ts;
            }
            data.extend_from_slice(r.as_bytes());
            data.extend_from_slice(if i % 7 == 0 { b"\r\n" } else { b"\n" });
        }
        i += 1;
    }
    let path = write_file(dir.path(), "big.ndjson", &data);
    let [file, piped] = file_and_pipe("lcount", &["--status", "404", "--sum", "rt"], &path);
    assert_eq!(file, piped, "stdout, stderr and exit status");
    // And both are right.
    let (stdout, piped_err, code) = piped;
    assert_eq!(code, Some(1));
    let got = &parse_ndjson(&stdout)[0];
    assert_eq!(got["count"], want_404);
    assert!(piped_err.ends_with(&format!(": {want_bad}\n")), "{piped_err}");
    // The first 20 bad lines are named by number, in input order.
    let named: Vec<u64> = piped_err
        .lines()
        .filter_map(|l| l.strip_prefix("lcount: -:"))
        .map(|l| l.split(':').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(named, bad_lines[..named.len()]);
    assert!(piped_err.contains(&format!("line longer than {MAX_RECORD} bytes, skipped")));

    // The options of times and of fields never seen, on both paths.
    let late = ["--where", "ts>=2026-11-27T05:30:00+02:00"];
    let since = ["--since", "2026-11-27T03:30:00Z", "--until", "2026-11-27T04:00:00+00:00"];
    let extremes = ["--min", "ts", "--max", "ts", "--sum", "rt"];
    let misspelt = ["--where", "stauts=404"];
    let first_ts = first_ts.unwrap();
    for (args, want) in [
        (&late[..], serde_json::json!({"count": want_late})),
        (&since[..], serde_json::json!({"count": want_late})),
        (&extremes[..], serde_json::json!({"min_ts": first_ts, "max_ts": last_ts})),
        (&misspelt[..], serde_json::json!({"count": 0})),
    ] {
        let [file, piped] = file_and_pipe("lcount", args, &path);
        assert_eq!(file, piped, "{args:?}: stdout, stderr and exit status");
        let (stdout, stderr, code) = piped;
        assert_eq!(code, Some(1), "{args:?}");
        let got = &parse_ndjson(&stdout)[0];
        for (k, v) in want.as_object().unwrap() {
            assert_eq!(&got[k], v, "{args:?}: {k}");
        }
        let warned =
            stderr.contains(r#"field "stauts" appeared in no record (did you mean "status"?)"#);
        assert_eq!(warned, args == misspelt, "{args:?}: {stderr}");
    }
}

#[test]
fn lcount_reads_a_3_mb_record_whole() {
    let dir = tempfile::tempdir().unwrap();
    let msg = "m".repeat(3_000_000);
    let data = format!("{}\n{{\"status\":404,\"msg\":\"{msg}\"}}\n{}\n", record(1), record(2));
    let path = write_file(dir.path(), "big-record.ndjson", data.as_bytes());
    for (stdout, stderr, code) in file_and_pipe("lcount", &["--status", "404"], &path) {
        assert_eq!(code, Some(0), "{stderr}");
        assert_eq!(parse_ndjson(&stdout), [serde_json::json!({"count": 2})]);
    }
}

/// The start of an access log line, up to the user agent's opening quote.
const ACCESS_HEAD: &str =
    "192.0.2.7 - - [27/Nov/2026:03:22:43 +0000] \"GET /big HTTP/1.1\" 200 512 \"-\" \"";

/// An access log line of exactly `len` bytes (the user agent pads it).
fn access_line_of(len: usize) -> Vec<u8> {
    let mut line = ACCESS_HEAD.as_bytes().to_vec();
    line.extend(std::iter::repeat_n(b'u', len - ACCESS_HEAD.len() - 1));
    line.push(b'"');
    assert_eq!(line.len(), len);
    line
}

#[test]
fn a_line_of_ltails_maximum_goes_through_lparse_whole_with_its_src() {
    let dir = tempfile::tempdir().unwrap();
    // Exactly the maximum: not cut by ltail, so its record is longer than
    // the line. Then a line of control bytes, whose record is six times
    // its length (\u0001 escapes). Then an ordinary line.
    let mut data = access_line_of(MAX_LINE);
    data.push(b'\n');
    data.extend(std::iter::repeat_n(1u8, MAX_LINE));
    data.push(b'\n');
    data.extend_from_slice(&access_line_of(200));
    data.push(b'\n');
    let path = write_file(dir.path(), "access.log", &data);
    let ltail = pipeline(dir.path(), &[util::tool("ltail", &[&path])], None);
    assert_eq!(ltail.status[0].code(), Some(0));
    assert_eq!(parse_ndjson(&ltail.stdout).len(), 3);
    assert!(ltail.stdout.len() > 7 * MAX_LINE, "the second record is escaped");
    let out = pipeline(dir.path(), &[util::tool::<&str>("lparse", &[])], Some(ltail.stdout));
    let stderr = String::from_utf8_lossy(&out.stderr[0]);
    let got = parse_ndjson(&out.stdout);
    assert_eq!(got.len(), 3, "{stderr}");
    let src = path.display().to_string();
    for r in &got {
        assert_eq!(r["src"], src.as_str(), "src kept");
        assert!(r.get("truncated").is_none());
    }
    assert_eq!(got[0]["status"], 200);
    assert_eq!(got[0]["ua"].as_str().unwrap(), "u".repeat(MAX_LINE - ACCESS_HEAD.len() - 1));
    // The control bytes do not parse, and are kept exactly.
    assert_eq!(got[1]["line"].as_str().unwrap().as_bytes(), vec![1u8; MAX_LINE]);
    assert!(got[1]["err"].is_string());
    assert_eq!(got[2]["path"], "/big");
    assert_eq!(out.status[0].code(), Some(1), "one line did not parse: {stderr}");
    assert!(stderr.contains("(record at -:2)"), "{stderr}");
}

#[test]
fn lparse_cuts_raw_lines_and_refuses_records_over_the_maximum_alike_on_every_path() {
    let dir = tempfile::tempdir().unwrap();
    let mut data = Vec::new();
    let mut i = 0;
    while data.len() < 12 << 20 {
        let line = match i {
            // A raw line over the line maximum: cut there, parsed, marked.
            1000 => access_line_of(MAX_LINE + 5000),
            // A JSON line over the record maximum: reported as too long.
            40_000 => {
                let mut l = b"{\"msg\":\"".to_vec();
                l.extend(std::iter::repeat_n(b'z', MAX_RECORD));
                l.extend_from_slice(b"\"}");
                l
            }
            _ => access_line_of(150 + i % 50),
        };
        data.extend_from_slice(&line);
        data.push(b'\n');
        i += 1;
    }
    let path = write_file(dir.path(), "access.log", &data);
    let [file, piped] = file_and_pipe("lparse", &["--tz", "UTC"], &path);
    assert_eq!((&file.1, file.2), (&piped.1, piped.2), "stderr and exit status");
    let (file_recs, piped_recs) = (parse_ndjson(&file.0), parse_ndjson(&piped.0));
    assert_eq!(file_recs.len(), i);
    assert_eq!(piped_recs.len(), i);
    // The same records, but for the file's name as src.
    for (mut a, b) in file_recs.into_iter().zip(piped_recs) {
        a.as_object_mut().unwrap().remove("src");
        assert_eq!(a, b);
    }
    let (stdout, piped_err, code) = piped;
    let got = parse_ndjson(&stdout);
    assert_eq!(got[1000]["truncated"], true);
    assert_eq!(got[40_000]["truncated"], true);
    assert_eq!(got[40_000]["line"].as_str().unwrap().len(), MAX_LINE);
    assert_eq!(code, Some(1));
    assert!(
        piped_err.contains(&format!("-:40001: line longer than {MAX_RECORD} bytes, not parsed")),
        "{piped_err}"
    );
}

#[test]
fn ltail_names_a_cut_line_once_under_strict() {
    let dir = tempfile::tempdir().unwrap();
    write_file(dir.path(), "in.log", b"short\n0123456789abcdef\nafter\n");
    let run = pipeline(
        dir.path(),
        &[util::tool("ltail", &["--strict", "--max-line-bytes", "8", "in.log"])],
        None,
    );
    assert_eq!(run.status[0].code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&run.stderr[0]),
        "ltail: in.log:2: line longer than 8 bytes, cut\n"
    );
    assert_eq!(parse_ndjson(&run.stdout), [serde_json::json!({"src": "in.log", "line": "short"})]);
}
