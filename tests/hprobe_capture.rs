//! hprobe finding the cause, not only the status: response headers
//! captured (`--capture-header`, `--cache-headers`), `body_hash`, `path`,
//! `query` and `vhost` in each record, and `--compare` of two servers.
//! Against real nginx started here on 127.0.0.1: a `proxy_cache` in front
//! of a backend, and two servers that differ on one path. Body hashes are
//! checked against `xxhsum -H3` (the reference XXH3, Debian's `xxhash`),
//! which scripts/test.sh installs.

mod util;

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use util::{free_port, pipeline, start_nginx, tool, Finished, Server};

/// XXH3-64 of `bytes` as the reference `xxhsum -H3` writes it (16 hex
/// digits).
fn xxh3(bytes: &[u8]) -> String {
    util::require("/usr/bin/xxhsum", "xxhash");
    let mut child = Command::new("xxhsum")
        .arg("-H3")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    // "XXH3 (stdin) = 2d06800538d394c2", or "2d06... stdin".
    let text = String::from_utf8(out.stdout).unwrap();
    let hex = text
        .split_whitespace()
        .find(|w| w.len() == 16 && w.chars().all(|c| c.is_ascii_hexdigit()))
        .unwrap_or_else(|| panic!("no hash in {text:?}"));
    hex.to_string()
}

fn hprobe(dir: &Path, args: &[&str], input: Option<&str>) -> Finished {
    pipeline(dir, &[tool("hprobe", args)], input.map(|s| s.as_bytes().to_vec()))
}

fn stderr(run: &Finished) -> String {
    String::from_utf8_lossy(&run.stderr[0]).into_owned()
}

/// The one record of a run of `-n 1`.
fn one_record(dir: &Path, args: &[&str]) -> Value {
    let run = hprobe(dir, args, None);
    let mut recs = run.records();
    assert_eq!(recs.len(), 1, "{}", stderr(&run));
    recs.remove(0)
}

fn by_seq(recs: &[Value]) -> BTreeMap<u64, Value> {
    recs.iter().map(|r| (r["seq"].as_u64().unwrap(), r.clone())).collect()
}

/// The lines of an access log, once at least `n` are there (nginx writes
/// a line just after the response).
fn log_lines(path: &Path, n: usize) -> Vec<String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let lines: Vec<String> = text.lines().map(str::to_string).collect();
        if lines.len() >= n || std::time::Instant::now() > deadline {
            return lines;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// One nginx: a backend (`/cached/...`: a fixed body; `/changing`: a body
/// with the request's own `$request_id`), and a front that caches the
/// backend's 200s (`proxy_cache`) and says what its cache did in
/// `X-Cache-Status` (`$upstream_cache_status`).
struct Cache {
    // Before the directory, which holds its config: fields drop in order,
    // and nginx is stopped with its config.
    _server: Server,
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    front: u16,
}

impl Cache {
    fn start() -> Cache {
        let tmp = tempfile::Builder::new().prefix("logkit-hprobe-cache-").tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let d = dir.display();
        let http = |[front, back]: [u16; 2]| {
            format!(
                r#"    default_type text/plain;
    log_format ids '$request_uri $request_id';
    proxy_cache_path {d}/cache keys_zone=probe:1m;

    server {{
        listen 127.0.0.1:{back};
        access_log {d}/backend.log ids;
        location /cached/ {{
            return 200 "cached $uri\n";
        }}
        location = /changing {{
            return 200 "changing $request_id\n";
        }}
    }}

    server {{
        listen 127.0.0.1:{front};
        access_log {d}/front.log;
        location / {{
            proxy_pass http://127.0.0.1:{back};
            proxy_cache probe;
            proxy_cache_valid 200 1m;
            add_header X-Cache-Status $upstream_cache_status;
            add_header X-Twice one;
            add_header X-Twice two;
        }}
        location = /changing {{
            proxy_pass http://127.0.0.1:{back};
        }}
    }}
"#
            )
        };
        let logs = vec![dir.join("error.log"), dir.join("backend.log")];
        let (server, [front, _]) = start_nginx(&dir, free_port, http, logs);
        Cache { _server: server, _tmp: tmp, dir, front }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.front)
    }
}

/// Through nginx's `proxy_cache`: the first request is a `MISS` and the
/// next a `HIT` (`h_x_cache_status`), with one body, whose hash is the
/// reference XXH3 of what the backend sends; a repeated header is joined;
/// `path`, `query` and `vhost` are the URL's.
#[test]
fn cache_status_is_captured_miss_then_hit() {
    let cache = Cache::start();
    let url = cache.url("/cached/a?x=1&y=%20");
    let args = [
        "-n",
        "2",
        "-c",
        "1",
        "--capture-header",
        "x-cache-status",
        "--capture-header",
        "X-Twice",
        &url,
    ];
    let run = hprobe(&cache.dir, &args, None);
    assert!(run.status[0].success(), "{}", stderr(&run));
    let recs = by_seq(&run.records());
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[&1]["h_x_cache_status"], "MISS", "{}", recs[&1]);
    assert_eq!(recs[&2]["h_x_cache_status"], "HIT", "{}", recs[&2]);
    let body = "cached /cached/a\n";
    for r in recs.values() {
        assert_eq!(r["status"], 200, "{r}");
        assert_eq!(r["bytes"], body.len(), "{r}");
        assert_eq!(r["body_hash"], xxh3(body.as_bytes()), "{r}");
        assert_eq!(r["h_x_twice"], "one, two", "{r}");
        assert_eq!(r["path"], "/cached/a", "{r}");
        assert_eq!(r["query"], "x=1&y=%20", "{r}");
        assert_eq!(r["vhost"], "127.0.0.1", "{r}");
    }
    // The backend saw the first request only.
    assert_eq!(log_lines(&cache.dir.join("backend.log"), 1).len(), 1);

    // --cache-headers takes X-Cache-Status among the usual ones (the next
    // request is a HIT: the entry is there); `Age` and the rest are absent
    // since nginx did not send them.
    let run = hprobe(&cache.dir, &["--cache-headers", &url], None);
    assert!(run.status[0].success(), "{}", stderr(&run));
    let recs = run.records();
    assert_eq!(recs[0]["h_x_cache_status"], "HIT", "{}", recs[0]);
    assert!(recs[0].get("h_age").is_none() && recs[0].get("h_x_twice").is_none(), "{}", recs[0]);
    let captured: Vec<&String> =
        recs[0].as_object().unwrap().keys().filter(|k| k.starts_with("h_")).collect();
    assert_eq!(captured, ["h_x_cache_status"], "{}", recs[0]);
}

/// `hprobe ... | lcount --by path --by h_x_cache_status`, real processes
/// and a real pipe: the records group as an access log's do.
#[test]
fn records_group_by_path_in_lcount() {
    let cache = Cache::start();
    let (a, b) = (cache.url("/cached/one?x=1"), cache.url("/cached/two"));
    let run = pipeline(
        &cache.dir,
        &[
            tool("hprobe", &["-n", "6", "-c", "1", "--cache-headers", "--summary", "none", &a, &b]),
            tool("lcount", &["--by", "path", "--by", "h_x_cache_status", "--sort", "count"]),
        ],
        None,
    );
    run.assert_clean();
    let mut got = run.records();
    got.sort_by_key(|r| r.to_string());
    // Each path three times: its first a MISS, the next two HITs.
    let mut want = [
        json!({"path": "/cached/one", "h_x_cache_status": "HIT", "count": 2}),
        json!({"path": "/cached/one", "h_x_cache_status": "MISS", "count": 1}),
        json!({"path": "/cached/two", "h_x_cache_status": "HIT", "count": 2}),
        json!({"path": "/cached/two", "h_x_cache_status": "MISS", "count": 1}),
    ];
    want.sort_by_key(|r| r.to_string());
    assert_eq!(got, want);
}

/// A location whose body changes from one request to the next: a
/// different `body_hash` each time, each the reference XXH3 of the body
/// the backend logged having made (its `$request_id`).
#[test]
fn a_changing_body_has_changing_hashes() {
    let cache = Cache::start();
    let run = hprobe(&cache.dir, &["-n", "3", "-c", "1", &cache.url("/changing")], None);
    assert!(run.status[0].success(), "{}", stderr(&run));
    let recs = by_seq(&run.records());
    let log = log_lines(&cache.dir.join("backend.log"), 3);
    assert_eq!(log.len(), 3, "{log:?}");
    for (seq, line) in (1..=3).zip(&log) {
        let id = line.strip_prefix("/changing ").unwrap();
        let body = format!("changing {id}\n");
        assert_eq!(recs[&seq]["body_hash"], xxh3(body.as_bytes()), "{}", recs[&seq]);
    }
    let hashes: std::collections::BTreeSet<&str> =
        recs.values().map(|r| r["body_hash"].as_str().unwrap()).collect();
    assert_eq!(hashes.len(), 3, "{recs:?}");
}

/// A site served by one nginx process: files from a shared docroot, and
/// `/differs` and `/header`, whose answers depend on `which`.
struct Site {
    // Before the directory that holds its config (fields drop in order).
    server: Option<Server>,
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    port: u16,
}

impl Site {
    fn start(docroot: &Path, which: &str) -> Site {
        let tmp = tempfile::Builder::new().prefix("logkit-hprobe-site-").tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let d = dir.display();
        let root = docroot.display();
        // The same length either way: only the body's bytes differ.
        let body = if which == "prod" { "AAAA" } else { "BBBB" };
        let http = |[port]: [u16; 1]| {
            format!(
                r#"    default_type text/plain;
    log_format paths '$request_method $request_uri $status';
    server {{
        listen 127.0.0.1:{port};
        access_log {d}/access.log paths;
        root {root};
        location = /differs {{
            return 200 "{body}\n";
        }}
        location = /header {{
            add_header X-Build {which};
            return 200 "same\n";
        }}
    }}
"#
            )
        };
        let logs = vec![dir.join("error.log"), dir.join("access.log")];
        let (server, [port]) = start_nginx(&dir, free_port, http, logs);
        Site { server: Some(server), _tmp: tmp, dir, port }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Stops nginx and returns its access log.
    fn stop(mut self) -> Vec<String> {
        self.server.take().unwrap().stop();
        let text = std::fs::read_to_string(self.dir.join("access.log")).unwrap_or_default();
        text.lines().map(str::to_string).collect()
    }
}

/// `--compare` between two nginx servers that differ on one path, the
/// paths replayed from stdin: exactly that pair has `diff` `["body"]`,
/// with both hashes the reference XXH3 of each body; every path reached
/// each server once; the summary counts the pair by kind and by path.
/// `/header` differs in one header, which `--compare-ignore-header`
/// leaves out.
#[test]
fn compare_names_the_one_path_that_differs() {
    let docroot = tempfile::tempdir().unwrap();
    std::fs::write(docroot.path().join("index.html"), "<p>same</p>\n").unwrap();
    std::fs::write(docroot.path().join("a.txt"), "a file\n").unwrap();
    let prod = Site::start(docroot.path(), "prod");
    let mirror = Site::start(docroot.path(), "mirror");
    let paths = ["/index.html", "/a.txt?v=2", "/differs", "/missing", "/header"];
    // As lparse writes requests: `path`, and `query` when there is one.
    let input: String = paths
        .iter()
        .map(|p| {
            let rec = match p.split_once('?') {
                Some((path, query)) => json!({"method": "GET", "path": path, "query": query}),
                None => json!({"method": "GET", "path": p}),
            };
            format!("{rec}\n")
        })
        .collect();
    let (base, other) = (prod.url(), mirror.url());
    let args = ["--base", &base, "--compare", &other, "-c", "1"];
    let run = hprobe(&prod.dir, &args, Some(&input));
    let err = stderr(&run);
    assert!(run.status[0].success(), "{err}");
    let recs = run.records();
    assert_eq!(recs.len(), paths.len(), "{err}");
    let mut differing = Vec::new();
    for r in &recs {
        let path = r["path"].as_str().unwrap();
        assert_eq!(
            r["url"],
            format!("{base}{}", paths.iter().find(|p| p.starts_with(path)).unwrap())
        );
        assert_eq!(r["b_url"], r["url"].as_str().unwrap().replace(&base, &other), "{r}");
        assert_eq!(r["status"], r["b_status"], "{r}");
        assert!(r["b_rt"].is_number() && r["b_bytes"] == r["bytes"], "{r}");
        if let Some(diff) = r.get("diff") {
            differing.push((path.to_string(), diff.clone()));
        }
    }
    assert_eq!(
        differing,
        [("/differs".to_string(), json!("body")), ("/header".to_string(), json!("header:x-build"))],
        "{recs:#?}"
    );
    let differs = recs.iter().find(|r| r["path"] == "/differs").unwrap();
    assert_eq!(differs["body_hash"], xxh3(b"AAAA\n"));
    assert_eq!(differs["b_body_hash"], xxh3(b"BBBB\n"));
    let a = recs.iter().find(|r| r["path"] == "/a.txt").unwrap();
    assert_eq!(
        (&a["body_hash"], &a["b_body_hash"]),
        (&json!(xxh3(b"a file\n")), &json!(xxh3(b"a file\n")))
    );
    assert!(err.contains("  compared   5 pairs, 2 differ  body: 1  header:x-build: 1\n"), "{err}");
    assert!(err.contains("  differ at  /differs: 1  /header: 1\n"), "{err}");

    // X-Build ignored: only /differs differs.
    let mut args = args.to_vec();
    args.extend(["--compare-ignore-header", "X-Build", "--summary", "json"]);
    let run = hprobe(&prod.dir, &args, Some(&input));
    let err = stderr(&run);
    assert!(run.status[0].success(), "{err}");
    let differing: Vec<Value> =
        run.records().into_iter().filter(|r| r.get("diff").is_some()).collect();
    assert_eq!(differing.len(), 1, "{differing:?}");
    assert_eq!(differing[0]["path"], "/differs");
    let summary: Value = serde_json::from_str(err.lines().last().unwrap()).unwrap();
    assert_eq!((&summary["compared"], &summary["differ"]), (&json!(5), &json!(1)), "{err}");
    assert_eq!(summary["diff_kinds"], json!({"body": 1}));
    assert_eq!(summary["diff_paths"], json!({"/differs": 1}));

    let (prod_log, mirror_log) = (prod.stop(), mirror.stop());
    let want: Vec<String> = [1, 2]
        .iter()
        .flat_map(|_| {
            paths.iter().map(|p| {
                let status = if *p == "/missing" { 404 } else { 200 };
                format!("GET {p} {status}")
            })
        })
        .collect();
    assert_eq!(prod_log, want);
    assert_eq!(mirror_log, want);
}

/// A server on 127.0.0.1 that answers every request on a connection with
/// `answer`, keeping the connection open; counts connections and requests.
/// A handler ends when its connection closes; the accept loop, with the
/// test's process.
struct Scripted {
    port: u16,
    connections: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    requests: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl Scripted {
    fn start(answer: Vec<u8>) -> Scripted {
        use std::io::Read;
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(AtomicUsize::new(0));
        let (c, r) = (connections.clone(), requests.clone());
        std::thread::spawn(move || {
            // At most 20 connections: the tests below need fewer.
            for conn in listener.incoming().take(20) {
                let Ok(mut conn) = conn else { return };
                c.fetch_add(1, Ordering::SeqCst);
                let (r, answer) = (r.clone(), answer.clone());
                std::thread::spawn(move || {
                    let timeout = Some(std::time::Duration::from_secs(10));
                    conn.set_read_timeout(timeout).unwrap();
                    let mut got = Vec::new();
                    let mut buf = [0u8; 4096];
                    while let Ok(n @ 1..) = conn.read(&mut buf) {
                        got.extend_from_slice(&buf[..n]);
                        while let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
                            got.drain(..end + 4);
                            r.fetch_add(1, Ordering::SeqCst);
                            if conn.write_all(&answer).is_err() {
                                return;
                            }
                        }
                    }
                });
            }
        });
        Scripted { port, connections, requests }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    fn counts(&self) -> (usize, usize) {
        use std::sync::atomic::Ordering;
        (self.connections.load(Ordering::SeqCst), self.requests.load(Ordering::SeqCst))
    }
}

/// hprobe's own HTTP/1.1 reader on what nginx does not send: interim 100
/// and 103 answers skipped, a chunked body with chunk extensions and
/// trailer fields, a header repeated. Every record has the body's length,
/// its reference XXH3 and the header's values joined; the one kept-alive
/// connection carries every request.
#[test]
fn chunked_answers_after_interim_ones() {
    let body = b"hello, chunked world: 0123456789 abcdefghij";
    let mut answer = b"HTTP/1.1 100 Continue\r\n\r\n\
        HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n\
        HTTP/1.1 200 OK\r\nX-Cache: MISS\r\nTransfer-Encoding: chunked\r\nX-Cache: HIT\r\n\r\n"
        .to_vec();
    for (i, piece) in body.chunks(10).enumerate() {
        answer.extend_from_slice(format!("{:x};n={i}\r\n", piece.len()).as_bytes());
        answer.extend_from_slice(piece);
        answer.extend_from_slice(b"\r\n");
    }
    answer.extend_from_slice(b"0\r\nX-Checksum: 1\r\n\r\n");
    let server = Scripted::start(answer);
    let dir = tempfile::tempdir().unwrap();
    let args = ["-n", "5", "-c", "1", "--capture-header", "X-Cache", &server.url()];
    let run = hprobe(dir.path(), &args, None);
    assert_eq!(run.status[0].code(), Some(0), "{}", stderr(&run));
    let recs = run.records();
    assert_eq!(recs.len(), 5);
    let hash = xxh3(body);
    for r in &recs {
        assert_eq!(r["status"], 200, "{r}");
        assert_eq!(r["proto"], "HTTP/1.1", "{r}");
        assert_eq!(r["bytes"], body.len(), "{r}");
        assert_eq!(r["body_hash"], hash, "{r}");
        assert_eq!(r["h_x_cache"], "MISS, HIT", "{r}");
        assert!(r.get("retries").is_none(), "{r}");
    }
    assert_eq!(server.counts(), (1, 5), "one connection, five requests");
}

/// `-L` and a redirect whose `Location` is empty: the 3xx is the answer
/// (as curl takes it), not a redirect to the same URL again and again.
#[test]
fn an_empty_location_is_no_redirect() {
    let answer = b"HTTP/1.1 302 Found\r\nLocation: \r\nContent-Length: 0\r\n\r\n".to_vec();
    let server = Scripted::start(answer);
    let dir = tempfile::tempdir().unwrap();
    let run = hprobe(dir.path(), &["-L", "-n", "1", &server.url()], None);
    assert_eq!(run.status[0].code(), Some(0), "{}", stderr(&run));
    let recs = run.records();
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0]["status"], 302, "{}", recs[0]);
    assert!(recs[0].get("redirects").is_none() && recs[0].get("err").is_none(), "{}", recs[0]);
    assert_eq!(server.counts(), (1, 1), "one request");
}

/// Bytes after a complete answer (here the start of another one nobody
/// asked for) make the connection unfit to carry the next request: each
/// request goes on a new connection, none fails, none counts as a retry.
#[test]
fn bytes_after_an_answer_end_the_connection() {
    let answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n".to_vec();
    let server = Scripted::start(answer);
    let dir = tempfile::tempdir().unwrap();
    let run = hprobe(dir.path(), &["-n", "4", "-c", "1", &server.url()], None);
    assert_eq!(run.status[0].code(), Some(0), "{}", stderr(&run));
    let recs = run.records();
    assert_eq!(recs.len(), 4);
    for r in &recs {
        assert_eq!((&r["status"], &r["bytes"]), (&json!(200), &json!(2)), "{r}");
        assert_eq!(r["body_hash"], xxh3(b"ok"), "{r}");
        assert!(r.get("retries").is_none() && r.get("err").is_none(), "{r}");
    }
    assert_eq!(server.counts(), (4, 4), "a connection per request");
}

/// A body that keeps coming faster than hprobe reads it (a Content-Length
/// of 100 GB, then 64 KiB writes without a pause) ends at `--timeout`, as a
/// timeout: the limit is not starved by the reads (it was, and the request
/// ran for as long as the server sent).
#[test]
fn a_body_without_end_stops_at_the_timeout() {
    use std::io::Read;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let Ok((mut conn, _)) = listener.accept() else { return };
        let mut head = Vec::new();
        let mut buf = [0u8; 4096];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            match conn.read(&mut buf) {
                Ok(n @ 1..) => head.extend_from_slice(&buf[..n]),
                _ => return,
            }
        }
        let _ = conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100000000000\r\n\r\n");
        // At most 20 s, the test's own bound.
        let block = vec![b'x'; 64 << 10];
        let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while std::time::Instant::now() < until && conn.write_all(&block).is_ok() {}
    });
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{port}/");
    let started = std::time::Instant::now();
    let rec = one_record(dir.path(), &["-n", "1", "--timeout", "1s", &url]);
    let took = started.elapsed();
    assert_eq!(rec["err"], "timeout", "{rec}");
    assert!(rec["bytes"].as_u64().unwrap() > 0, "{rec}");
    assert!(took < std::time::Duration::from_secs(8), "took {took:?}: {rec}");
}

/// A server that answers 413 before it has read a large body, and then
/// reads no more (staying open, or closing): the record has the 413, as
/// curl and hyper report it, not a timeout or a broken pipe.
#[test]
fn an_answer_before_the_whole_body_is_the_record() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("big.bin");
    std::fs::write(&body, vec![b'b'; 16 << 20]).unwrap();
    for close in [false, true] {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let Ok((mut conn, _)) = listener.accept() else { return };
            let mut some = [0u8; 100];
            let _ = conn.read(&mut some);
            let _ = conn.write_all(
                b"HTTP/1.1 413 Content Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
            if close {
                let _ = conn.shutdown(std::net::Shutdown::Write);
                std::thread::sleep(std::time::Duration::from_millis(200));
            } else {
                std::thread::sleep(std::time::Duration::from_secs(6));
            }
        });
        let url = format!("http://127.0.0.1:{port}/upload");
        let args = ["-n", "1", "--timeout", "3s", "--data-file", body.to_str().unwrap(), &url];
        let rec = one_record(dir.path(), &args);
        assert_eq!(rec["status"], 413, "closing: {close}: {rec}");
        assert!(rec.get("err").is_none(), "closing: {close}: {rec}");
    }
}

/// A server that sends `100 Continue` at once and then reads the whole
/// large body before its answer: hprobe goes on writing after the interim
/// answer, and records the final one.
#[test]
fn an_interim_answer_while_the_body_goes_does_not_stop_it() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("big.bin");
    let size = 16usize << 20;
    std::fs::write(&body, vec![b'b'; size]).unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        let _ = conn.write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
        // Slow to start reading: hprobe's socket fills while it writes.
        std::thread::sleep(std::time::Duration::from_millis(300));
        let mut got = 0usize;
        let mut buf = vec![0u8; 1 << 16];
        let mut head_end = None;
        let mut seen = Vec::new();
        loop {
            let n = conn.read(&mut buf).unwrap();
            if n == 0 {
                return got;
            }
            got += n;
            if head_end.is_none() {
                seen.extend_from_slice(&buf[..n]);
                head_end = seen.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4);
            }
            if head_end.is_some_and(|h| got - h >= size) {
                let _ = conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                return got - head_end.unwrap();
            }
        }
    });
    let url = format!("http://127.0.0.1:{port}/upload");
    let args = ["-n", "1", "--timeout", "10s", "--data-file", body.to_str().unwrap(), &url];
    let rec = one_record(dir.path(), &args);
    assert_eq!(rec["status"], 200, "{rec}");
    assert_eq!(rec["bytes"], 2, "{rec}");
    assert_eq!(server.join().unwrap(), size);
}
