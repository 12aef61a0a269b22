//! `ltail --offset` and `--add-field`: each record names its line by
//! (`src`, `offset`, the added fields), in every way ltail reads (a file, its
//! last lines, a pipe, a compressed file, --merge, -f and a restart with
//! --state), and lparse keeps those fields in the records it makes.
//! Expected offsets come from scanning the file's bytes for newlines here.

mod util;

use base64::Engine as _;
use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;
use util::{bin, parse_ndjson};

/// The lines of `bytes` as ltail splits them: (offset of the first byte,
/// the line without `\n` or `\r\n`).
fn lines_of(bytes: &[u8]) -> Vec<(u64, Vec<u8>)> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < bytes.len() {
        let end =
            bytes[start..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |i| start + i);
        let mut line = &bytes[start..end];
        if end < bytes.len() && line.last() == Some(&b'\r') {
            line = &line[..line.len() - 1];
        }
        out.push((start as u64, line.to_vec()));
        start = end + 1;
    }
    out
}

/// The exact bytes of a record's line.
fn line_bytes(record: &Value) -> Vec<u8> {
    match record.get("line_b64") {
        Some(b64) => {
            base64::engine::general_purpose::STANDARD.decode(b64.as_str().unwrap()).unwrap()
        }
        None => record["line"].as_str().unwrap().as_bytes().to_vec(),
    }
}

/// (offset, line bytes) of each record.
fn offsets(records: &[Value]) -> Vec<(u64, Vec<u8>)> {
    records.iter().map(|r| (r["offset"].as_u64().expect("an offset"), line_bytes(r))).collect()
}

/// Whether the record line `raw` has exactly the keys `keys`, in this
/// order (values here hold no `"key":` text of their own).
fn has_keys_in_order(raw: &str, keys: &[&str]) -> bool {
    let record: Value = serde_json::from_str(raw).unwrap();
    let places: Vec<Option<usize>> = keys.iter().map(|k| raw.find(&format!("\"{k}\":"))).collect();
    record.as_object().unwrap().len() == keys.len()
        && places.iter().all(Option::is_some)
        && places.windows(2).all(|w| w[0] < w[1])
}

/// ltail's records for `args`, with `stdin`.
fn ltail(args: &[&str], stdin: &[u8]) -> (Vec<Value>, Option<i32>) {
    let mut child = Command::new(bin("ltail"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    (parse_ndjson(&out.stdout), out.status.code())
}

fn sample() -> Vec<u8> {
    let mut bytes = b"first\r\nsecond \xff\xfe latin\n\n".to_vec();
    bytes.extend_from_slice(&[b'x'; 120]);
    bytes.extend_from_slice(b"\nafter the long line\nno newline at the end");
    bytes
}

#[test]
fn every_way_of_reading_gives_each_line_its_offset() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = sample();
    let path = dir.path().join("a.log");
    std::fs::write(&path, &bytes).unwrap();
    let file = path.to_str().unwrap();
    let mut want = lines_of(&bytes);
    assert_eq!(want.len(), 6);
    // The long line is cut at 50 bytes: its record has the first 50.
    want[3].1.truncate(50);

    let (records, code) = ltail(&["--offset", "--max-line-bytes", "50", file], b"");
    assert_eq!(code, Some(1), "a cut line is reported");
    assert_eq!(offsets(&records), want);
    assert!(records.iter().all(|r| r["src"] == file));
    // Its bytes are at that offset of the file.
    for (at, line) in &want {
        assert!(bytes[*at as usize..].starts_with(line));
    }
    // The last lines, found from the end of the file.
    let (records, _) = ltail(&["--offset", "-n", "2", file], b"");
    assert_eq!(offsets(&records), want[4..]);
    // A pipe, whole and its last lines; and a compressed file (offsets in
    // its decompressed bytes).
    let (records, _) = ltail(&["--offset", "--max-line-bytes", "50", "-"], &bytes);
    assert_eq!(offsets(&records), want);
    let (records, _) = ltail(&["--offset", "-n", "3", "--max-line-bytes", "50", "-"], &bytes);
    assert_eq!(offsets(&records), want[3..]);
    let gz = dir.path().join("a.log.gz");
    let status = Command::new("gzip").arg("-k").arg(&path).status().unwrap();
    assert!(status.success());
    let (records, _) = ltail(&["--offset", "--max-line-bytes", "50", gz.to_str().unwrap()], b"");
    assert_eq!(offsets(&records), want);
    // --merge: each file's lines keep their own offsets.
    let other = dir.path().join("b.log");
    std::fs::write(&other, b"2026-11-27T03:00:00Z b one\n2026-11-27T03:00:02Z b two\n").unwrap();
    let (records, _) = ltail(
        &["--offset", "--merge", "--max-line-bytes", "50", file, other.to_str().unwrap()],
        b"",
    );
    let of_b: Vec<u64> = records
        .iter()
        .filter(|r| r["src"] != file)
        .map(|r| r["offset"].as_u64().unwrap())
        .collect();
    assert_eq!(of_b, [0, 27]);
    let of_a: Vec<(u64, Vec<u8>)> =
        offsets(&records.iter().filter(|r| r["src"] == file).cloned().collect::<Vec<_>>());
    assert_eq!(of_a, want);
}

#[test]
fn added_fields_come_after_src_and_offset_and_are_checked() {
    let (records, code) =
        ltail(&["--offset", "--add-field", "host=web 1", "--add-field", "dc=", "-"], b"x\n");
    assert_eq!(code, Some(0));
    let raw = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "printf 'x\\n' | {} --offset --add-field 'host=web 1' --add-field dc= -",
            bin("ltail").display()
        ))
        .output()
        .unwrap()
        .stdout;
    let raw = String::from_utf8(raw).unwrap();
    assert!(has_keys_in_order(&raw, &["src", "offset", "host", "dc", "line"]), "{raw}");
    assert_eq!(records[0]["host"], "web 1");
    assert_eq!(records[0]["dc"], "");
    for bad in ["line=x", "offset=1", "src=x", "x_b64=1", "=x", "x"] {
        let (records, code) = ltail(&["--add-field", bad, "-"], b"x\n");
        assert_eq!(code, Some(2), "{bad}");
        assert!(records.is_empty());
    }
}

#[test]
fn lparse_keeps_the_offset_and_the_added_fields() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    let access = b"192.0.2.7 - - [27/Nov/2026:03:22:43 +0000] \"GET /a HTTP/1.1\" 404 153 \"-\" \"curl/8\"\n\
                   not a log line\n\
                   <34>Oct 11 22:14:15 mymachine su[230]: failed\n\
                   {\"time\":\"2026-11-27T03:22:43Z\",\"offset\":7,\"msg\":\"x\"}\n";
    std::fs::write(&log, access).unwrap();
    let run = util::pipeline(
        dir.path(),
        &[
            util::tool("ltail", &["--offset", "--add-field", "host=web1", log.to_str().unwrap()]),
            util::tool("lparse", &["--tz", "UTC"]),
        ],
        None,
    );
    let records = run.records();
    let want = lines_of(access);
    assert_eq!(records.len(), 4);
    for (record, (at, _)) in records.iter().zip(&want) {
        assert_eq!(record["offset"], *at, "{record}");
    }
    let raw = String::from_utf8(run.stdout.clone()).unwrap();
    let first = raw.lines().next().unwrap();
    let order = ["src", "offset", "host", "ts", "client", "method", "path", "proto", "status"];
    assert!(has_keys_in_order(first, &[&order[..], &["bytes", "ua", "fmt"]].concat()), "{first}");
    assert_eq!(
        (records[0]["status"].as_u64(), &records[0]["host"]),
        (Some(404), &Value::from("web1"))
    );
    // A line that did not parse keeps them too.
    assert_eq!(records[1]["host"], "web1");
    assert!(records[1]["err"].is_string());
    // syslog's own `host` (the sender) is the one kept, once.
    let syslog = raw.lines().nth(2).unwrap();
    assert_eq!(syslog.matches("\"host\":").count(), 1, "{syslog}");
    assert_eq!(records[2]["host"], "mymachine");
    // A JSON log's own `offset` keeps its value under `offset_`.
    assert_eq!(records[3]["offset_"], 7);
    assert_eq!(records[3]["offset"], want[3].0);
}

#[test]
fn follow_and_restart_with_state_send_each_line_once_with_its_offset() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let state = dir.path().join("state");
    let mut written = Vec::new();
    let mut got = Vec::new();
    for round in 0..2 {
        let mut child = Command::new(bin("ltail"))
            .args(["-f", "-n", "+1", "--offset", "--add-field", "host=h1", "--state"])
            .arg(&state)
            .arg(&log)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let rx = util::line_receiver(child.stdout.take().unwrap());
        let mut seen = written.len();
        for i in 0..20 {
            let line = format!("round {round} line {i} {}\n", "y".repeat(i * 3));
            let mut f = std::fs::OpenOptions::new().create(true).append(true).open(&log).unwrap();
            f.write_all(line.as_bytes()).unwrap();
            written.extend_from_slice(line.as_bytes());
            if i % 5 == 4 {
                // Wait for what was written so far to come through.
                while seen < written.len() {
                    let record = rx.recv_timeout(Duration::from_secs(10)).expect("a record");
                    let v: Value = serde_json::from_str(&record).unwrap();
                    seen += line_bytes(&v).len() + 1;
                    got.push(v);
                }
            }
        }
        // SIGTERM: ltail writes what it read, saves --state and exits 0.
        unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
        let status = util::wait_with_timeout(&mut child, "ltail", Duration::from_secs(10));
        assert!(status.success());
        got.extend(rx.iter().map(|l| serde_json::from_str::<Value>(&l).unwrap()));
        assert!(Path::new(&state).exists());
    }
    assert!(got.iter().all(|r| r["host"] == "h1" && r["src"] == log.to_str().unwrap()));
    assert_eq!(offsets(&got), lines_of(&written));
}
