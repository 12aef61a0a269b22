//! lparse on logs as container runtimes and journald store them: Docker's
//! json-file, Kubernetes CRI files, `journalctl -o json`. Inputs are shaped
//! like the real ones (moby's json-file layout, containerd's CRI lines,
//! journalctl's export with byte arrays and nulls); expected values come
//! from the parts the test puts in, never from lparse.

mod util;

use std::collections::BTreeMap;
use std::path::Path;
use util::{bin, parse_ndjson, Rng};

/// lparse with `args` on the file `path`: (records, stderr, exit status).
fn lparse(args: &[&str], path: &Path) -> (Vec<serde_json::Value>, String, i32) {
    let out = assert_cmd::Command::new(bin("lparse"))
        .args(["--tz", "UTC"])
        .args(args)
        .arg(path)
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    (parse_ndjson(&out.stdout), stderr, out.status.code().unwrap())
}

/// A Docker json-file line as moby's encoder writes it: `log` escaped for
/// JSON (moby also escapes `<`, `>`, `&` as `\u003c`...; kept here for `<`).
fn docker(log: &[u8], stream: &str, time: &str) -> Vec<u8> {
    let mut out = b"{\"log\":\"".to_vec();
    for &b in log {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'<' => out.extend_from_slice(b"\\u003c"),
            b if b < 0x20 => out.extend_from_slice(format!("\\u{b:04x}").as_bytes()),
            b => out.push(b),
        }
    }
    out.extend_from_slice(format!("\",\"stream\":\"{stream}\",\"time\":\"{time}\"}}\n").as_bytes());
    out
}

/// A combined line for `path` and `status` at second `s` of 10 Oct 2026.
fn access(client: &str, path: &str, status: u16, s: u32) -> String {
    format!(
        "{client} - - [10/Oct/2026:13:{:02}:{:02} +0000] \"GET {path} HTTP/1.1\" {status} 512 \"-\" \"curl/8.5\"",
        s / 60,
        s % 60
    )
}

#[test]
fn docker_json_file_with_an_error_on_stderr_and_a_split_request() {
    let dir = tempfile::tempdir().unwrap();
    // A 20 KB request: the daemon cuts its line at 16 KiB, on bytes, and the
    // cut falls inside "é" (two bytes): the first piece ends with its first.
    let long_path = format!("/search/{}é{}", "a".repeat(16300), "b".repeat(3900));
    let long = access("10.0.0.9", &long_path, 414, 30);
    let cut = long.find('é').unwrap() + 1;
    assert!(cut > 16000 && cut < 16500);
    let error = "2026/10/10 13:00:20 [error] 29#29: *7 open() \"/usr/share/nginx/html/x.php\" failed (2: No such file or directory), client: 10.0.0.2, server: localhost, request: \"GET /x.php HTTP/1.1\", host: \"localhost\"";
    let mut log = Vec::new();
    log.extend(docker(
        format!("{}\n", access("10.0.0.1", "/", 200, 10)).as_bytes(),
        "stdout",
        "2026-10-10T13:00:10.000000001Z",
    ));
    log.extend(docker(
        format!("{}\n", access("10.0.0.2", "/x.php", 404, 20)).as_bytes(),
        "stdout",
        "2026-10-10T13:00:20.5Z",
    ));
    log.extend(docker(format!("{error}\n").as_bytes(), "stderr", "2026-10-10T13:00:20.6Z"));
    log.extend(docker(&long.as_bytes()[..cut], "stdout", "2026-10-10T13:00:30.1Z"));
    // stderr writes between the two pieces of the stdout line.
    log.extend(docker(
        b"2026/10/10 13:00:30 [warn] 29#29: *8 an upstream response is buffered\n",
        "stderr",
        "2026-10-10T13:00:30.2Z",
    ));
    let mut rest = long.as_bytes()[cut..].to_vec();
    rest.push(b'\n');
    log.extend(docker(&rest, "stdout", "2026-10-10T13:00:30.3Z"));
    // A line with no time of its own: the daemon's time becomes ts.
    log.extend(docker(
        b"/docker-entrypoint.sh: Configuration complete; ready for start up\n",
        "stdout",
        "2026-10-10T12:59:59.25Z",
    ));
    let path = dir.path().join("c0ffee-json.log");
    std::fs::write(&path, &log).unwrap();

    let (recs, stderr, code) = lparse(&[], &path);
    assert_eq!(recs.len(), 6, "{recs:#?}\n{stderr}");
    // Each stream's records in their order (an entry of one stream is
    // written when it ends, so the streams' records may interleave otherwise).
    let of = |stream: &str| -> Vec<&serde_json::Value> {
        recs.iter().filter(|r| r["stream"] == stream).collect()
    };
    let (out, err) = (of("stdout"), of("stderr"));
    assert_eq!((out.len(), err.len()), (4, 2), "{recs:#?}");
    let (ok, missing, big, entry) = (out[0], out[1], out[2], out[3]);
    let (err, warn) = (err[0], err[1]);
    assert_eq!(
        (ok["fmt"].as_str(), ok["status"].as_u64(), ok["stream"].as_str()),
        (Some("combined"), Some(200), Some("stdout"))
    );
    assert_eq!(ok["ts"], "2026-10-10T13:00:10+00:00");
    assert_eq!(ok["recv_ts"], "2026-10-10T13:00:10.000000001Z");
    assert_eq!((missing["path"].as_str(), missing["status"].as_u64()), (Some("/x.php"), Some(404)));
    assert_eq!(
        (err["fmt"].as_str(), err["stream"].as_str(), err["level"].as_str()),
        (Some("nginx_error"), Some("stderr"), Some("error"))
    );
    assert_eq!(err["file"], "/usr/share/nginx/html/x.php");
    assert_eq!((warn["level"].as_str(), warn["stream"].as_str()), (Some("warn"), Some("stderr")));
    // The pieces, joined on bytes: the character is whole again.
    assert_eq!(big["path"].as_str(), Some(long_path.as_str()));
    assert_eq!((big["status"].as_u64(), big["stream"].as_str()), (Some(414), Some("stdout")));
    assert_eq!(big["recv_ts"], "2026-10-10T13:00:30.1Z", "the first piece's time");
    assert!(big.get("truncated").is_none());
    assert_eq!(entry["ts"], "2026-10-10T12:59:59.25Z");
    assert_eq!(entry["line"], "/docker-entrypoint.sh: Configuration complete; ready for start up");
    // That line is in no format: reported, the rest is clean.
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stderr.matches("does not parse").count(), 1, "{stderr}");
}

#[test]
fn cri_pieces_join_per_stream() {
    let dir = tempfile::tempdir().unwrap();
    let a = access("10.0.0.3", "/api/v1/items?page=2", 200, 1);
    let b = "2026/10/10 13:00:02 [error] 31#31: *9 connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.4, server: _, request: \"GET /api HTTP/1.1\", upstream: \"http://10.1.0.7:8080/api\", host: \"shop\"";
    let c = access("10.0.0.5", "/health", 404, 3);
    let text = [
        format!("2026-10-10T13:00:01.100000000Z stdout P {}", &a[..20]),
        format!("2026-10-10T13:00:02.100000000Z stderr P {}", &b[..50]),
        format!("2026-10-10T13:00:01.200000000Z stdout P {}", &a[20..45]),
        format!("2026-10-10T13:00:02.200000000Z stderr F {}", &b[50..]),
        format!("2026-10-10T13:00:01.300000000Z stdout F {}", &a[45..]),
        format!("2026-10-10T13:00:03.000000000+00:00 stdout F {c}"),
    ]
    .join("\n")
        + "\n";
    let path = dir.path().join("0.log");
    std::fs::write(&path, text).unwrap();
    let (recs, stderr, code) = lparse(&[], &path);
    assert_eq!((recs.len(), code), (3, 0), "{recs:#?}\n{stderr}");
    // Each stream's records in their order.
    let mut recs = recs;
    recs.sort_by_key(|r| r["stream"] != "stderr");
    assert_eq!(
        (recs[0]["fmt"].as_str(), recs[0]["stream"].as_str()),
        (Some("nginx_error"), Some("stderr"))
    );
    assert_eq!(recs[0]["upstream"], "http://10.1.0.7:8080/api");
    assert_eq!(recs[0]["recv_ts"], "2026-10-10T13:00:02.100000000Z");
    assert_eq!(
        (recs[1]["path"].as_str(), recs[1]["query"].as_str()),
        (Some("/api/v1/items"), Some("page=2"))
    );
    assert_eq!(
        (recs[1]["stream"].as_str(), recs[1]["client"].as_str()),
        (Some("stdout"), Some("10.0.0.3"))
    );
    assert_eq!(
        (recs[2]["path"].as_str(), recs[2]["status"].as_u64()),
        (Some("/health"), Some(404))
    );
}

#[test]
fn a_piece_whose_end_never_comes_is_kept_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("0.log");
    std::fs::write(
        &path,
        "2026-10-10T13:00:01Z stdout F one whole line\n2026-10-10T13:00:02Z stdout P and a piece",
    )
    .unwrap();
    let (recs, stderr, code) = lparse(&[], &path);
    assert_eq!(recs.len(), 2, "{recs:#?}");
    assert_eq!(recs[1]["line"], "and a piece");
    assert_eq!(recs[1]["truncated"], true);
    assert_eq!(recs[1]["ts"], "2026-10-10T13:00:02Z");
    assert!(stderr.contains("last piece never came"), "{stderr}");
    assert_eq!(code, 1);
}

/// The same traffic written plain, through Docker's json-file and through
/// CRI (long lines split into pieces at random places): `lcount --status
/// 404 --by path` says the same of all three, and what the test counted.
#[test]
fn lcount_agrees_on_plain_docker_and_cri() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(12);
    let paths = ["/", "/login", "/api/items", "/favicon.ico", "/wp-admin/", "/static/app.js", "/é"];
    let (mut plain, mut dock, mut cri) = (Vec::new(), Vec::new(), Vec::new());
    let mut want: BTreeMap<String, u64> = BTreeMap::new();
    for i in 0..600u32 {
        let path = rng.pick(&paths).to_string();
        let status = *rng.pick(&[200u16, 200, 304, 404, 404, 500]);
        if status == 404 {
            *want.entry(path.clone()).or_default() += 1;
        }
        let line = access(&format!("10.0.{}.{}", i % 7, i % 250), &path, status, i % 3600);
        plain.extend_from_slice(line.as_bytes());
        plain.push(b'\n');
        let time = format!("2026-10-10T13:{:02}:{:02}.{:09}Z", (i % 3600) / 60, i % 60, i);
        // One line in five split in two or three pieces, on any byte.
        let mut cuts = Vec::new();
        if rng.chance(20) {
            cuts.push(rng.between(1, line.len() as u64 - 1) as usize);
            if rng.chance(50) {
                cuts.push(rng.between(1, line.len() as u64 - 1) as usize);
            }
            cuts.sort();
            cuts.dedup();
        }
        let mut start = 0;
        for (k, end) in cuts.iter().copied().chain([line.len()]).enumerate() {
            let last = k == cuts.len();
            let piece = &line.as_bytes()[start..end];
            let mut log = piece.to_vec();
            if last {
                log.push(b'\n');
            }
            dock.extend(docker(&log, "stdout", &time));
            cri.extend_from_slice(
                format!("{time} stdout {} ", if last { "F" } else { "P" }).as_bytes(),
            );
            cri.extend_from_slice(piece);
            cri.push(b'\n');
            start = end;
        }
        // stderr lines between: nginx's notices.
        if rng.chance(10) {
            let notice = "2026/10/10 13:00:00 [notice] 1#1: signal process started\n";
            dock.extend(docker(notice.as_bytes(), "stderr", &time));
            cri.extend_from_slice(format!("{time} stderr F {}", notice).as_bytes());
        }
    }
    let mut answers = Vec::new();
    for (name, data) in [("plain.log", &plain), ("docker-json.log", &dock), ("0.log", &cri)] {
        let file = dir.path().join(name);
        std::fs::write(&file, data).unwrap();
        let out = util::pipeline(
            dir.path(),
            &[
                util::tool("lparse", &[file.to_str().unwrap()]),
                util::tool("lcount", &["--status", "404", "--by", "path"]),
            ],
            None,
        );
        out.assert_clean();
        let mut got: BTreeMap<String, u64> = BTreeMap::new();
        for r in out.records() {
            got.insert(r["path"].as_str().unwrap().to_owned(), r["count"].as_u64().unwrap());
        }
        answers.push((name, got));
    }
    for (name, got) in &answers {
        assert_eq!(got, &want, "{name}");
    }
}

#[test]
fn journald_export_with_nginx_lines_byte_arrays_and_nulls() {
    let dir = tempfile::tempdir().unwrap();
    let entry = |seq: u32, us: u64, ident: &str, pid: u32, prio: u8, message: &str| {
        format!(
            "{{\"__CURSOR\":\"s=739ad463348b4ceca5a9e69c95a3c93f;i={seq:x};b=6c4d;m={us:x};t=5f2a;x=2c1f\",\"__REALTIME_TIMESTAMP\":\"{us}\",\"__MONOTONIC_TIMESTAMP\":\"{}\",\"_BOOT_ID\":\"6c4d1f0e8b0a4a5c9f0a7d6e2b1c3d4e\",\"_TRANSPORT\":\"stdout\",\"PRIORITY\":\"{prio}\",\"SYSLOG_FACILITY\":\"3\",\"SYSLOG_IDENTIFIER\":\"{ident}\",\"_PID\":\"{pid}\",\"_UID\":\"0\",\"_COMM\":\"{ident}\",\"_SYSTEMD_UNIT\":\"{ident}.service\",\"_HOSTNAME\":\"web-1\",\"MESSAGE\":{message}}}\n",
            us / 1000
        )
    };
    let json_str = |s: &str| serde_json::to_string(s).unwrap();
    let a = access("192.0.2.1", "/missing", 404, 5);
    let e = "2026/10/10 13:00:06 [error] 812#812: *3 open() \"/srv/www/missing\" failed (2: No such file or directory), client: 192.0.2.1, server: web-1, request: \"GET /missing HTTP/1.1\", host: \"web-1\"";
    let mut text = String::new();
    text += &entry(1, 1_791_637_205_000_123, "nginx", 812, 6, &json_str(&a));
    text += &entry(2, 1_791_637_206_000_456, "nginx", 812, 3, &json_str(e));
    // "Started\x1b[0m é\r": ESC and CR make journalctl write bytes; one byte
    // (0xff) is no UTF-8 at all.
    let bytes: Vec<u8> = b"backup: 3 files\xff done\x1b[0m\r".to_vec();
    let array = format!("[{}]", bytes.iter().map(|b| b.to_string()).collect::<Vec<_>>().join(","));
    text += &entry(3, 1_791_637_207_000_000, "backup", 99, 5, &array);
    text += &entry(4, 1_791_637_208_000_000, "app", 100, 6, "null");
    text += &entry(
        5,
        1_791_637_209_000_000,
        "systemd",
        1,
        6,
        &json_str("Started nginx.service - A high performance web server."),
    );
    let path = dir.path().join("journal.json");
    std::fs::write(&path, text).unwrap();
    let (recs, stderr, code) = lparse(&[], &path);
    assert_eq!(recs.len(), 5, "{recs:#?}");
    let r = &recs[0];
    assert_eq!(
        (r["fmt"].as_str(), r["status"].as_u64(), r["path"].as_str()),
        (Some("combined"), Some(404), Some("/missing"))
    );
    assert_eq!(
        (r["host"].as_str(), r["app"].as_str(), r["unit"].as_str()),
        (Some("web-1"), Some("nginx"), Some("nginx.service"))
    );
    assert_eq!((r["pid"].as_u64(), r["severity"].as_str()), (Some(812), Some("info")));
    // ts is the request's own time; the journal's is recv_ts (µs, UTC):
    // 1791637205 s after the epoch is 2026-10-10T13:00:05Z.
    assert_eq!(r["ts"], "2026-10-10T13:00:05+00:00");
    assert_eq!(r["recv_ts"], "2026-10-10T13:00:05.000123+00:00");
    let r = &recs[1];
    assert_eq!(
        (r["fmt"].as_str(), r["level"].as_str(), r["severity"].as_str()),
        (Some("nginx_error"), Some("error"), Some("err"))
    );
    assert_eq!(r["pid"], 812);
    let r = &recs[2];
    assert_eq!(r["fmt"], "journald");
    use base64::Engine as _;
    let exact =
        base64::engine::general_purpose::STANDARD.decode(r["msg_b64"].as_str().unwrap()).unwrap();
    assert_eq!(exact, bytes);
    assert_eq!(r["ts"], "2026-10-10T13:00:07+00:00");
    let r = &recs[3];
    assert!(r["err"].as_str().unwrap().contains("--all"), "{r}");
    assert_eq!(
        (r["app"].as_str(), r["ts"].as_str()),
        (Some("app"), Some("2026-10-10T13:00:08+00:00"))
    );
    let r = &recs[4];
    assert_eq!(
        (r["fmt"].as_str(), r["msg"].as_str()),
        (Some("journald"), Some("Started nginx.service - A high performance web server."))
    );
    assert_eq!(code, 1, "the null MESSAGE is reported: {stderr}");
    assert_eq!(stderr.matches("MESSAGE is null").count(), 1, "{stderr}");
}

/// A Docker log and a syslog with continuation lines, each over 8 MiB:
/// parsed on several cores from the file, they give exactly the records of
/// the same bytes read through a pipe (one thread), pieces and entries
/// joined alike.
#[test]
fn large_files_join_alike_on_several_cores_and_through_a_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(7);
    let (mut dock, mut syslog) = (Vec::new(), String::new());
    let mut i = 0u32;
    while dock.len() < 10 << 20 {
        let line = access(
            &format!("10.1.{}.{}", i % 9, i % 200),
            &format!("/p/{}", i % 97),
            200 + (i % 5) as u16,
            i % 3600,
        );
        let time = format!("2026-10-10T13:00:{:02}.{:09}Z", i % 60, i);
        // Pieces only after the first 2 MiB: lparse goes parallel on a
        // clean start, and its workers meet the pieces.
        if dock.len() > 2 << 20 && rng.chance(3) {
            let cut = rng.between(1, line.len() as u64 - 1) as usize;
            dock.extend(docker(&line.as_bytes()[..cut], "stdout", &time));
            if rng.chance(30) {
                dock.extend(docker(
                    b"2026/10/10 13:00:00 [warn] 1#1: *2 a client request body is buffered\n",
                    "stderr",
                    &time,
                ));
            }
            let mut rest = line.as_bytes()[cut..].to_vec();
            rest.push(b'\n');
            dock.extend(docker(&rest, "stdout", &time));
        } else {
            dock.extend(docker(format!("{line}\n").as_bytes(), "stdout", &time));
        }
        syslog += &format!(
            "Oct 10 13:{:02}:{:02} web{} app[{}]: event {i}\n",
            (i / 60) % 60,
            i % 60,
            i % 3,
            i % 1000
        );
        if rng.chance(5) {
            syslog += "\tdetail one\n\t\tdetail two\n";
        }
        i += 1;
    }
    for (name, data) in [("big-json.log", dock), ("big-syslog.log", syslog.into_bytes())] {
        let path = dir.path().join(name);
        std::fs::write(&path, &data).unwrap();
        let [file, piped] = util::file_and_pipe("lparse", &["--tz", "UTC"], &path);
        let src = format!("\"src\":{},", serde_json::to_string(path.to_str().unwrap()).unwrap());
        let file_out = String::from_utf8(file.0).unwrap().replace(&src, "");
        let piped_out = String::from_utf8(piped.0).unwrap();
        assert!(file_out.lines().count() > 20_000, "{name}");
        assert!(file_out == piped_out, "{name}: the file's records differ from the pipe's");
        assert_eq!((file.1, file.2), (piped.1, piped.2), "{name}");
    }
}

/// Followed through a pipe: a CRI piece whose end does not come is written
/// as it is (truncated, reported) after the time-out, not held forever; a
/// whole line after it is parsed as usual.
#[test]
fn a_followed_piece_is_written_after_the_time_out() {
    use std::io::Write as _;
    let mut child = std::process::Command::new(bin("lparse"))
        .args(["--tz", "UTC"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let lines = util::line_receiver(child.stdout.take().unwrap());
    let piece = &access("10.0.0.8", "/slow", 200, 8)[..40];
    stdin.write_all(format!("2026-10-10T13:00:08Z stdout P {piece}\n").as_bytes()).unwrap();
    stdin.flush().unwrap();
    let sent = std::time::Instant::now();
    let first =
        lines.recv_timeout(std::time::Duration::from_secs(10)).expect("the piece comes out");
    let waited = sent.elapsed();
    let rec: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(
        (rec["line"].as_str(), rec["truncated"].as_bool()),
        (Some(piece), Some(true)),
        "{rec}"
    );
    assert!(waited >= std::time::Duration::from_millis(900), "{waited:?}");
    assert!(waited < std::time::Duration::from_secs(4), "{waited:?}");
    let whole = access("10.0.0.9", "/fast", 404, 9);
    stdin.write_all(format!("2026-10-10T13:00:09Z stdout F {whole}\n").as_bytes()).unwrap();
    drop(stdin);
    let rest: Vec<serde_json::Value> =
        lines.iter().map(|l| serde_json::from_str(&l).unwrap()).collect();
    assert_eq!(rest.len(), 1, "{rest:?}");
    assert_eq!((rest[0]["path"].as_str(), rest[0]["status"].as_u64()), (Some("/fast"), Some(404)));
    let status = util::wait_with_timeout(&mut child, "lparse", std::time::Duration::from_secs(10));
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(stderr.contains("last piece never came"), "{stderr}");
    assert_eq!(status.code(), Some(1));
}

#[test]
fn a_joined_line_is_named_by_its_first_piece_and_a_cut_one_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    // Two pieces: through ltail --offset, the record's offset is the first
    // piece's (0), where a reader finds the line's start.
    let small = dir.path().join("small.log");
    let first =
        "2026-11-27T03:22:43.1Z stdout P 10.0.0.1 - - [27/Nov/2026:03:22:43 +0000] \"GET /a\n";
    let last = "2026-11-27T03:22:43.2Z stdout F  HTTP/1.1\" 404 5 \"-\" \"c\"\n";
    std::fs::write(&small, format!("{first}{last}")).unwrap();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{} --offset \"$0\" | {}", bin("ltail").display(), bin("lparse").display()))
        .arg(&small)
        .output()
        .unwrap();
    let records = parse_ndjson(&out.stdout);
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["offset"], 0);
    assert_eq!(records[0]["recv_ts"], "2026-11-27T03:22:43.1Z");
    assert_eq!(records[0]["path"], "/a");
    // 71 pieces of 16 KiB: over the 1 MiB a line can be, cut, marked and
    // reported (exit 1), not cut in silence.
    let big = dir.path().join("big.log");
    let piece = format!("2026-11-27T03:22:43.1Z stdout P {}\n", "x".repeat(16384));
    std::fs::write(&big, format!("{}2026-11-27T03:22:43.2Z stdout F end\n", piece.repeat(71)))
        .unwrap();
    let (records, stderr, code) = lparse(&[], &big);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["truncated"], true);
    assert!(stderr.contains("big.log:1: a line joined from pieces over 1048576 bytes"), "{stderr}");
    assert_eq!(code, 1, "{stderr}");
}
