//! End-to-end tests of hprobe against real servers: nginx started here on
//! 127.0.0.1 (HTTP/1.1, cleartext HTTP/2 and HTTPS with HTTP/2 by ALPN, with
//! a CA and certificate made at test time), whose access log tells what
//! really arrived; and small misbehaving servers written here (stalls,
//! resets, non-HTTP answers, short bodies) for the `err` kinds.
//!
//! nginx must be installed (`/usr/sbin/nginx`, Debian's `nginx`): without
//! it these tests fail, they do not skip. The workspace's binaries must have
//! been built (`cargo build`, or `cargo test --workspace`).

mod util;

use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use util::{external, free_port, listening, pipeline, start_nginx, tool, Finished, Server};

/// The docroot's index page: what a 200 for `/` carries.
const INDEX: &str = "<!doctype html>\n<title>hprobe test</title>\n<p>It works.</p>\n";

/// hprobe's default `User-Agent` (the workspace shares one version).
const HPROBE_UA: &str = concat!("hprobe/", env!("CARGO_PKG_VERSION"));

/// The TLS server's name (in the certificate with `localhost`).
const TLS_NAME: &str = "probe.test";

/// nginx's access log: one line per request, the fields separated by tabs.
/// `escape=json` writes a tab inside a value as `\t`, so a literal tab only
/// ever separates fields, and an absent value is empty rather than `-`.
const LOG_FORMAT: &str = "log_format probe escape=json \
    '$request_method\\t$request_uri\\t$status\\t$server_protocol\\t$host\\t\
    $connection\\t$content_length\\t$content_type\\t$http_user_agent\\t\
    $http_referer\\t$body_bytes_sent\\t$http_authorization';";

/// How long nginx may take to write the log lines of requests already
/// answered.
const LOG_TIMEOUT: Duration = Duration::from_secs(5);

// ---------------------------------------------------------------------------
// nginx

/// One request as nginx logged it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Logged {
    method: String,
    uri: String,
    status: u16,
    proto: String,
    host: String,
    connection: u64,
    content_length: Option<u64>,
    content_type: String,
    ua: String,
    referer: String,
    bytes: u64,
    authorization: String,
}

fn parse_log_line(line: &str) -> Logged {
    let f: Vec<String> = line
        .split('\t')
        .map(|v| {
            serde_json::from_str(&format!("\"{v}\""))
                .unwrap_or_else(|e| panic!("log value {v:?} is not escape=json ({e}): {line:?}"))
        })
        .collect();
    assert_eq!(f.len(), 12, "a log line of 12 fields: {line:?}");
    let num = |i: usize| -> u64 {
        f[i].parse().unwrap_or_else(|_| panic!("field {i} is not a number: {line:?}"))
    };
    Logged {
        method: f[0].clone(),
        uri: f[1].clone(),
        status: num(2) as u16,
        proto: f[3].clone(),
        host: f[4].clone(),
        connection: num(5),
        content_length: if f[6].is_empty() { None } else { Some(num(6)) },
        content_type: f[7].clone(),
        ua: f[8].clone(),
        referer: f[9].clone(),
        bytes: num(10),
        authorization: f[11].clone(),
    }
}

/// A CA and a certificate it signed for `probe.test` and `localhost`, as
/// PEM files.
struct Certs {
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

fn make_certs(dir: &Path) -> Certs {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
        KeyUsagePurpose,
    };
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.distinguished_name.push(DnType::CommonName, "logkit hprobe test CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = ca.self_signed(&ca_key).unwrap();

    let key = KeyPair::generate().unwrap();
    let mut server = CertificateParams::new(vec![TLS_NAME.into(), "localhost".into()]).unwrap();
    server.distinguished_name.push(DnType::CommonName, TLS_NAME);
    server.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server = server.signed_by(&key, &ca, &ca_key).unwrap();

    let certs =
        Certs { ca: dir.join("ca.pem"), cert: dir.join("server.pem"), key: dir.join("server.key") };
    std::fs::write(&certs.ca, ca.pem()).unwrap();
    std::fs::write(&certs.cert, server.pem()).unwrap();
    std::fs::write(&certs.key, key.serialize_pem()).unwrap();
    certs
}

/// nginx on three ports of 127.0.0.1: HTTP/1.1, cleartext HTTP/2 (prior
/// knowledge) and HTTPS (HTTP/2 or HTTP/1.1 by ALPN). Every port serves
/// the same site: `/` (INDEX), `/old` (a 301 to `/index.html`),
/// `/temporary` (a 307 to `/api/kept`), anything under `/api/` (200 `ok\n`
/// for any method), and 404 for the rest.
struct Nginx {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    port: u16,
    h2c_port: u16,
    tls_port: u16,
    ca: PathBuf,
    server: Option<Server>,
}

impl Nginx {
    fn start() -> Nginx {
        let tmp = tempfile::Builder::new().prefix("logkit-hprobe-").tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let docroot = dir.join("www");
        std::fs::create_dir(&docroot).unwrap();
        std::fs::write(docroot.join("index.html"), INDEX).unwrap();
        let certs = make_certs(&dir);
        let d = dir.display();
        let http = |[port, h2c_port, tls_port]: [u16; 3]| {
            format!(
                r#"    types {{
        text/html html;
    }}
    default_type application/octet-stream;

    {LOG_FORMAT}
    access_log {d}/access.log probe;

    server {{
        listen 127.0.0.1:{port};
        listen 127.0.0.1:{h2c_port} http2;
        listen 127.0.0.1:{tls_port} ssl http2;
        server_name {TLS_NAME} localhost;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        root {docroot};
        index index.html;

        location = /old {{
            return 301 /index.html;
        }}
        location = /temporary {{
            return 307 /api/kept;
        }}
        location = /login {{
            absolute_redirect off;
            return 302 "/index.html?next=http://elsewhere.test/";
        }}
        location = /deep/up {{
            absolute_redirect off;
            return 302 "../index.html#top";
        }}
        location /api/ {{
            return 200 "ok\n";
        }}
    }}
"#,
                cert = certs.cert.display(),
                key = certs.key.display(),
                docroot = docroot.display(),
            )
        };
        let logs = vec![dir.join("error.log"), dir.join("access.log")];
        let (server, [port, h2c_port, tls_port]) = start_nginx(&dir, free_port, http, logs);
        Nginx { _tmp: tmp, dir, port, h2c_port, tls_port, ca: certs.ca, server: Some(server) }
    }

    /// `http://127.0.0.1:PORT{path}` (HTTP/1.1).
    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The cleartext HTTP/2 port's URL.
    fn h2c_url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.h2c_port)
    }

    /// `https://probe.test:PORT{path}`: give `--resolve` too.
    fn tls_url(&self, path: &str) -> String {
        format!("https://{TLS_NAME}:{}{path}", self.tls_port)
    }

    /// `--resolve` for `tls_url`.
    fn resolve(&self) -> String {
        format!("{TLS_NAME}:{}:127.0.0.1", self.tls_port)
    }

    fn ca(&self) -> String {
        self.ca.display().to_string()
    }

    /// The access log as it is now.
    fn log(&self) -> Vec<Logged> {
        let text = std::fs::read_to_string(self.dir.join("access.log")).unwrap_or_default();
        // A line is complete once its newline is there.
        let complete = text.rfind('\n').map_or("", |i| &text[..i]);
        complete.lines().map(parse_log_line).collect()
    }

    /// The access log once it has at least `n` lines (nginx writes a line
    /// when it has finished with a request, which may be just after the
    /// client had the whole response), or after LOG_TIMEOUT.
    fn log_after(&self, n: usize) -> Vec<Logged> {
        let deadline = Instant::now() + LOG_TIMEOUT;
        loop {
            let log = self.log();
            if log.len() >= n || Instant::now() >= deadline {
                return log;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Stops nginx (gracefully: it finishes and logs every request) and
    /// returns its whole access log.
    fn stop(mut self) -> Vec<Logged> {
        self.server.take().unwrap().stop();
        self.log()
    }
}

// ---------------------------------------------------------------------------
// Running hprobe and reading its output

/// Runs `hprobe ARGS` in `dir` with stdin empty.
fn hprobe(dir: &Path, args: &[&str]) -> Finished {
    pipeline(dir, &[tool("hprobe", args)], None)
}

fn stderr(run: &Finished, stage: usize) -> String {
    String::from_utf8_lossy(&run.stderr[stage]).into_owned()
}

/// hprobe's exit status (it is the first stage).
fn exit_code(run: &Finished) -> i32 {
    run.status[0].code().unwrap_or_else(|| panic!("hprobe was killed: {}", run.status[0]))
}

/// Checks that there are `n` records, with `seq` 1..=n each once.
fn check_seqs(recs: &[Value], n: u64) {
    assert_eq!(recs.len() as u64, n, "{recs:#?}");
    let seqs: BTreeSet<u64> =
        recs.iter().map(|r| r["seq"].as_u64().unwrap_or_else(|| panic!("no seq: {r}"))).collect();
    assert_eq!(seqs, (1..=n).collect::<BTreeSet<u64>>(), "each seq once");
}

fn field_count(recs: &[Value], field: &str) -> usize {
    recs.iter().filter(|r| r.get(field).is_some()).count()
}

/// Records counted by status.
fn status_counts(recs: &[Value]) -> BTreeMap<u64, u64> {
    let mut counts = BTreeMap::new();
    for r in recs {
        let status = r["status"].as_u64().unwrap_or_else(|| panic!("no status: {r}"));
        *counts.entry(status).or_default() += 1;
    }
    counts
}

fn log_status_counts(log: &[Logged]) -> BTreeMap<u64, u64> {
    let mut counts = BTreeMap::new();
    for l in log {
        *counts.entry(u64::from(l.status)).or_default() += 1;
    }
    counts
}

/// The request count of the text summary's first line:
/// `hprobe: N requests in ...` (`1 request in`).
fn summary_requests(stderr: &str) -> u64 {
    let line = stderr
        .lines()
        .find(|l| {
            l.starts_with("hprobe: ") && (l.contains(" requests in ") || l.contains(" request in "))
        })
        .unwrap_or_else(|| panic!("no summary on stderr: {stderr:?}"));
    line["hprobe: ".len()..]
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {line:?}"))
}

/// A successful request's record: status, protocol and the body's length.
fn check_ok(rec: &Value, status: u64, proto: &str, bytes: usize) {
    assert_eq!(rec["status"], status, "{rec}");
    assert_eq!(rec["proto"], proto, "{rec}");
    assert_eq!(rec["bytes"], bytes, "{rec}");
    assert!(rec.get("err").is_none(), "{rec}");
    assert!(rec["rt"].as_f64().is_some_and(|rt| rt >= 0.0), "{rec}");
}

// ---------------------------------------------------------------------------
// Against nginx

/// 500 requests over 10 kept-alive connections: every request once in the
/// records and in nginx's log, the same statuses in both, and exactly 10
/// connections (10 records with `connect_rt`, 10 `$connection` numbers).
#[test]
fn keepalive_requests_match_the_server_log() {
    let nginx = Nginx::start();
    let (root, missing) = (nginx.url("/"), nginx.url("/missing"));
    let run = hprobe(&nginx.dir, &["-n", "500", "-c", "10", &root, &missing]);
    let log = nginx.stop();
    assert_eq!(exit_code(&run), 0, "{}", stderr(&run, 0));
    let not_found_len = log.iter().find(|l| l.status == 404).map_or(0, |l| l.bytes as usize);
    let recs = run.records();
    check_seqs(&recs, 500);
    for r in &recs {
        // The URLs are taken in turn.
        let seq = r["seq"].as_u64().unwrap();
        if seq % 2 == 1 {
            assert_eq!(r["url"], root, "{r}");
            check_ok(r, 200, "HTTP/1.1", INDEX.len());
        } else {
            assert_eq!(r["url"], missing, "{r}");
            check_ok(r, 404, "HTTP/1.1", not_found_len);
        }
        assert_eq!(r["method"], "GET", "{r}");
    }
    assert_eq!(log.len(), 500, "nginx logged every request once");
    assert_eq!(status_counts(&recs), BTreeMap::from([(200, 250), (404, 250)]));
    assert_eq!(log_status_counts(&log), status_counts(&recs));
    for l in &log {
        assert_eq!((l.method.as_str(), l.proto.as_str()), ("GET", "HTTP/1.1"), "{l:?}");
        let want = if l.status == 200 { "/" } else { "/missing" };
        assert_eq!(l.uri, want, "{l:?}");
        assert_eq!(l.ua, HPROBE_UA, "{l:?}");
    }
    let received: u64 = recs.iter().map(|r| r["bytes"].as_u64().unwrap()).sum();
    let sent: u64 = log.iter().map(|l| l.bytes).sum();
    assert_eq!(received, sent, "body bytes received = body bytes sent");
    let connections: BTreeSet<u64> = log.iter().map(|l| l.connection).collect();
    assert_eq!(connections.len(), 10, "one connection per worker: {connections:?}");
    assert_eq!(field_count(&recs, "connect_rt"), 10, "connect_rt on each connection's first");
    assert_eq!(summary_requests(&stderr(&run, 0)), 500);
}

/// `--no-keepalive`: a new connection for every request.
#[test]
fn no_keepalive_opens_a_connection_per_request() {
    let nginx = Nginx::start();
    let url = nginx.url("/");
    let run = hprobe(&nginx.dir, &["--no-keepalive", "-n", "20", "-c", "2", &url]);
    let log = nginx.stop();
    assert_eq!(exit_code(&run), 0, "{}", stderr(&run, 0));
    let recs = run.records();
    check_seqs(&recs, 20);
    for r in &recs {
        check_ok(r, 200, "HTTP/1.1", INDEX.len());
        assert!(r.get("connect_rt").is_some(), "every request connected: {r}");
    }
    assert_eq!(log.len(), 20);
    let connections: BTreeSet<u64> = log.iter().map(|l| l.connection).collect();
    assert_eq!(connections.len(), 20, "{log:#?}");
}

/// HTTPS: HTTP/2 by ALPN, the certificate checked against `--cacert`
/// (refused without it, accepted with `-k`), `--resolve` keeping the name
/// for SNI and the Host, `--http1.1`, and a name the certificate does not
/// hold.
#[test]
fn https_with_alpn_cacert_resolve_and_insecure() {
    let nginx = Nginx::start();
    let (url, resolve, ca) = (nginx.tls_url("/"), nginx.resolve(), nginx.ca());

    // Checked against the test's CA: HTTP/2, with the handshake timed.
    let run = hprobe(&nginx.dir, &["--cacert", &ca, "--resolve", &resolve, &url]);
    assert_eq!(exit_code(&run), 0, "{}", stderr(&run, 0));
    let recs = run.records();
    check_seqs(&recs, 1);
    check_ok(&recs[0], 200, "HTTP/2.0", INDEX.len());
    assert_eq!(recs[0]["url"], url);
    for phase in ["connect_rt", "tls_rt", "ttfb_rt"] {
        assert!(recs[0][phase].is_number(), "{phase}: {}", recs[0]);
    }
    assert!(recs[0].get("dns_rt").is_none(), "--resolve needs no lookup: {}", recs[0]);
    let log = nginx.log_after(1);
    assert_eq!(log.len(), 1, "{log:#?}");
    assert_eq!((log[0].host.as_str(), log[0].proto.as_str()), (TLS_NAME, "HTTP/2.0"));
    assert_eq!((log[0].method.as_str(), log[0].uri.as_str(), log[0].status), ("GET", "/", 200));

    // The system's CAs do not know the test's CA.
    let run = hprobe(&nginx.dir, &["--resolve", &resolve, &url]);
    assert_eq!(exit_code(&run), 1, "{}", stderr(&run, 0));
    let recs = run.records();
    check_seqs(&recs, 1);
    assert_eq!(recs[0]["err"], "tls", "{}", recs[0]);
    assert!(recs[0].get("status").is_none(), "{}", recs[0]);

    // -k: any certificate.
    let run = hprobe(&nginx.dir, &["-k", "--resolve", &resolve, &url]);
    assert_eq!(exit_code(&run), 0, "{}", stderr(&run, 0));
    let recs = run.records();
    check_seqs(&recs, 1);
    check_ok(&recs[0], 200, "HTTP/2.0", INDEX.len());
    let log = nginx.log_after(2);
    assert_eq!(log.len(), 2, "the refused handshake logged no request: {log:#?}");
    assert_eq!((log[1].host.as_str(), log[1].proto.as_str()), (TLS_NAME, "HTTP/2.0"));

    // --http1.1: ALPN offers only http/1.1.
    let run = hprobe(&nginx.dir, &["--http1.1", "--cacert", &ca, "--resolve", &resolve, &url]);
    assert_eq!(exit_code(&run), 0, "{}", stderr(&run, 0));
    let recs = run.records();
    check_seqs(&recs, 1);
    check_ok(&recs[0], 200, "HTTP/1.1", INDEX.len());
    assert!(recs[0]["tls_rt"].is_number(), "{}", recs[0]);
    let log = nginx.log_after(3);
    assert_eq!(log.len(), 3, "{log:#?}");
    assert_eq!((log[2].host.as_str(), log[2].proto.as_str()), (TLS_NAME, "HTTP/1.1"));

    // The certificate's other name, looked up for real (once: dns_rt).
    let localhost = format!("https://localhost:{}/", nginx.tls_port);
    let run = hprobe(&nginx.dir, &["--cacert", &ca, &localhost]);
    assert_eq!(exit_code(&run), 0, "{}", stderr(&run, 0));
    let recs = run.records();
    check_seqs(&recs, 1);
    check_ok(&recs[0], 200, "HTTP/2.0", INDEX.len());
    assert!(recs[0]["dns_rt"].is_number(), "{}", recs[0]);
    let log = nginx.log_after(4);
    assert_eq!(log.len(), 4, "{log:#?}");
    assert_eq!(log[3].host, "localhost");

    // A name the certificate does not hold.
    let other = format!("https://other.test:{}/", nginx.tls_port);
    let other_resolve = format!("other.test:{}:127.0.0.1", nginx.tls_port);
    let run = hprobe(&nginx.dir, &["--cacert", &ca, "--resolve", &other_resolve, &other]);
    assert_eq!(exit_code(&run), 1, "{}", stderr(&run, 0));
    let recs = run.records();
    check_seqs(&recs, 1);
    assert_eq!(recs[0]["err"], "tls", "{}", recs[0]);

    let log = nginx.stop();
    assert_eq!(log.len(), 4, "{log:#?}");
}

/// `--http2` over cleartext: prior knowledge, and one connection per worker
/// (streams are not spread over more).
#[test]
fn h2c_prior_knowledge() {
    let nginx = Nginx::start();
    let url = nginx.h2c_url("/");
    let run = hprobe(&nginx.dir, &["--http2", &url]);
    assert_eq!(exit_code(&run), 0, "{}", stderr(&run, 0));
    let recs = run.records();
    check_seqs(&recs, 1);
    check_ok(&recs[0], 200, "HTTP/2.0", INDEX.len());
    assert!(recs[0].get("tls_rt").is_none(), "{}", recs[0]);
    let log = nginx.log_after(1);
    assert_eq!(log.len(), 1, "{log:#?}");
    assert_eq!((log[0].proto.as_str(), log[0].host.as_str()), ("HTTP/2.0", "127.0.0.1"));

    let run = hprobe(&nginx.dir, &["--http2", "-n", "20", "-c", "2", &url]);
    assert_eq!(exit_code(&run), 0, "{}", stderr(&run, 0));
    let recs = run.records();
    check_seqs(&recs, 20);
    for r in &recs {
        check_ok(r, 200, "HTTP/2.0", INDEX.len());
    }
    assert_eq!(field_count(&recs, "connect_rt"), 2);
    let log = nginx.stop();
    assert_eq!(log.len(), 21, "{log:#?}");
    assert!(log.iter().all(|l| l.proto == "HTTP/2.0"), "{log:#?}");
    let connections: BTreeSet<u64> = log[1..].iter().map(|l| l.connection).collect();
    assert_eq!(connections.len(), 2, "{log:#?}");
}

/// One request of the synthetic access log.
struct Logline {
    method: &'static str,
    target: &'static str,
    ua: &'static str,
    referer: &'static str,
}

/// Requests as a browser, a script or a bot would send them: queries,
/// percent-encoded bytes, `+`, quotes in a user agent.
const REPLAYED: &[Logline] = &[
    Logline { method: "GET", target: "/", ua: FIREFOX, referer: "-" },
    Logline {
        method: "GET",
        target: "/search?q=caf%C3%A9+au+lait&lang=fr",
        ua: FIREFOX,
        referer: "https://example.com/page?x=1&y=2",
    },
    Logline { method: "HEAD", target: "/a+b/c+d.txt", ua: "curl/8.5.0", referer: "-" },
    Logline {
        method: "POST",
        target: "/api/login?next=%2Fhome%2F",
        ua: FIREFOX,
        referer: "https://example.com/login",
    },
    Logline { method: "DELETE", target: "/api/items/7", ua: "python-requests/2.31", referer: "-" },
    Logline {
        method: "GET",
        target: "/files/my%20report%202026.pdf",
        ua: "Bot \"quoted\" back\\slash/1.0",
        referer: "-",
    },
    Logline {
        method: "GET",
        target: "/api/items?sort=-date&page=2&tag=a%26b",
        ua: "curl/8.5.0",
        referer: "http://127.0.0.1/list?page=1",
    },
    Logline {
        method: "GET",
        target: "/%E6%97%A5%E6%9C%AC/index.html",
        ua: FIREFOX,
        referer: "https://example.com/",
    },
    Logline { method: "GET", target: "/api/q?a[]=1&a[]=2&empty=&flag", ua: "x", referer: "-" },
    Logline {
        method: "HEAD",
        target: "/",
        ua: "Mozilla/5.0 (compatible; Monitor/2.1)",
        referer: "-",
    },
    Logline { method: "POST", target: "/index.html", ua: "curl/8.5.0", referer: "-" },
];

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0";

/// A combined-format access log of 40 requests picked from REPLAYED
/// (repeats included), with their times 0 to 2 s apart; returns the lines
/// and the requests in order.
fn synthetic_log() -> (String, Vec<&'static Logline>) {
    let mut rng = util::Rng::new(7);
    // Each request once first, then at random.
    let mut reqs: Vec<&Logline> = REPLAYED.iter().collect();
    while reqs.len() < 40 {
        reqs.push(rng.pick(REPLAYED));
    }
    let mut text = String::new();
    let mut t = 0u64;
    for req in &reqs {
        let (m, s) = (22 + t / 60, t % 60);
        // As nginx writes them: `"` as \x22, `\` as \x5C.
        let esc = |v: &str| v.replace('\\', "\\x5C").replace('"', "\\x22");
        text += &format!(
            "192.0.2.{} - - [27/Nov/2026:03:{m:02}:{s:02} +0000] \"{} {} HTTP/1.1\" 200 612 \"{}\" \"{}\"\n",
            1 + rng.below(200),
            req.method,
            req.target,
            esc(req.referer),
            esc(req.ua),
        );
        t += rng.below(3);
    }
    (text, reqs)
}

/// The requests nginx logged are those of the replayed log, in order: the
/// same methods, targets (byte for byte), user agents and referers.
fn check_replayed(log: &[Logged], reqs: &[&Logline]) {
    assert_eq!(log.len(), reqs.len(), "{log:#?}");
    for (i, (l, req)) in log.iter().zip(reqs).enumerate() {
        let referer = if req.referer == "-" { "" } else { req.referer };
        assert_eq!(
            (l.method.as_str(), l.uri.as_str(), l.ua.as_str(), l.referer.as_str()),
            (req.method, req.target, req.ua, referer),
            "request {}: {l:?}",
            i + 1
        );
    }
}

/// `lparse access.log | hprobe --base URL`: the log's requests arrive at
/// the server as they were logged; with `--replay-speed` each has `lag_rt`.
#[test]
fn replay_of_an_access_log() {
    let nginx = Nginx::start();
    let (text, reqs) = synthetic_log();
    std::fs::write(nginx.dir.join("synthetic.log"), &text).unwrap();
    let base = nginx.url("");

    let run = pipeline(
        &nginx.dir,
        &[
            tool("lparse", &["synthetic.log"]),
            tool("hprobe", &["--base", &base, "-c", "1", "--summary", "none"]),
        ],
        None,
    );
    run.assert_clean();
    let recs = run.records();
    check_seqs(&recs, reqs.len() as u64);
    for (r, req) in recs.iter().zip(&reqs) {
        assert_eq!(r["method"], req.method, "{r}");
        assert_eq!(r["url"], format!("{base}{}", req.target), "{r}");
        assert!(r["status"].is_u64() && r.get("lag_rt").is_none(), "{r}");
    }
    let log = nginx.log_after(reqs.len());
    check_replayed(&log, &reqs);

    let run = pipeline(
        &nginx.dir,
        &[
            tool("lparse", &["synthetic.log"]),
            tool("hprobe", &["--base", &base, "--replay-speed", "100", "--summary", "none"]),
        ],
        None,
    );
    run.assert_clean();
    let recs = run.records();
    check_seqs(&recs, reqs.len() as u64);
    for r in &recs {
        assert!(r["status"].is_u64(), "{r}");
        assert!(r["lag_rt"].as_f64().is_some_and(|l| l >= 0.0), "{r}");
    }
    let log = nginx.stop();
    assert_eq!(log.len(), 2 * reqs.len(), "{log:#?}");
    // With one worker (the default), the replay keeps the log's order.
    check_replayed(&log[reqs.len()..], &reqs);
}

/// `-L` follows nginx's 301; without it the 301 is the answer.
#[test]
fn redirects() {
    let nginx = Nginx::start();
    let old = nginx.url("/old");
    let run = hprobe(&nginx.dir, &["-L", &old]);
    assert_eq!(exit_code(&run), 0, "{}", stderr(&run, 0));
    let recs = run.records();
    check_seqs(&recs, 1);
    check_ok(&recs[0], 200, "HTTP/1.1", INDEX.len());
    assert_eq!(recs[0]["url"], old);
    assert_eq!(recs[0]["redirects"], 1, "{}", recs[0]);
    assert_eq!(recs[0]["final_url"], nginx.url("/index.html"), "{}", recs[0]);

    let run = hprobe(&nginx.dir, &[&old]);
    assert_eq!(exit_code(&run), 0, "{}", stderr(&run, 0));
    let recs = run.records();
    check_seqs(&recs, 1);
    assert_eq!(recs[0]["status"], 301, "{}", recs[0]);
    assert!(recs[0].get("redirects").is_none() && recs[0].get("final_url").is_none());

    let log = nginx.stop();
    let got: Vec<(&str, u16)> = log.iter().map(|l| (l.uri.as_str(), l.status)).collect();
    assert_eq!(got, [("/old", 301), ("/index.html", 200), ("/old", 301)]);
    // -L stays on the kept-alive connection.
    assert_eq!(log[0].connection, log[1].connection);
}

/// A relative `Location` holding `://` in its query (a login page's `next`)
/// stays on this server.
#[test]
fn relative_redirect_with_a_url_in_its_query() {
    let nginx = Nginx::start();
    let run = hprobe(&nginx.dir, &["-L", &nginx.url("/login")]);
    assert_eq!(exit_code(&run), 0, "{}", stderr(&run, 0));
    let recs = run.records();
    check_ok(&recs[0], 200, "HTTP/1.1", INDEX.len());
    assert_eq!(
        recs[0]["final_url"],
        nginx.url("/index.html?next=http://elsewhere.test/"),
        "{}",
        recs[0]
    );
    nginx.stop();
}

/// A relative `Location` with a dot segment and a fragment: the request
/// goes to the resolved path (RFC 3986, 5.2), without the fragment.
#[test]
fn relative_redirect_with_dot_segments() {
    let nginx = Nginx::start();
    let run = hprobe(&nginx.dir, &["-L", &nginx.url("/deep/up")]);
    assert_eq!(exit_code(&run), 0, "{}", stderr(&run, 0));
    let recs = run.records();
    check_ok(&recs[0], 200, "HTTP/1.1", INDEX.len());
    assert_eq!(recs[0]["final_url"], nginx.url("/index.html"), "{}", recs[0]);
    let log = nginx.stop();
    let got: Vec<&str> = log.iter().map(|l| l.uri.as_str()).collect();
    assert_eq!(got, ["/deep/up", "/index.html"]);
}

/// `-L` after a POST: a 307 repeats the POST with its body, a 301 becomes
/// a GET without one (as browsers do).
#[test]
fn redirects_after_a_post() {
    let nginx = Nginx::start();
    let (temporary, old) = (nginx.url("/temporary"), nginx.url("/old"));
    for url in [&temporary, &old] {
        let run = hprobe(&nginx.dir, &["-L", "-d", "a=1&b=2", url]);
        assert_eq!(exit_code(&run), 0, "{}", stderr(&run, 0));
        let recs = run.records();
        check_seqs(&recs, 1);
        assert_eq!((&recs[0]["method"], &recs[0]["status"]), (&json!("POST"), &json!(200)));
        assert_eq!(recs[0]["redirects"], 1, "{}", recs[0]);
    }
    let log = nginx.stop();
    let got: Vec<(&str, &str, u16, Option<u64>)> = log
        .iter()
        .map(|l| (l.method.as_str(), l.uri.as_str(), l.status, l.content_length))
        .collect();
    assert_eq!(
        got,
        [
            ("POST", "/temporary", 307, Some(7)),
            ("POST", "/api/kept", 200, Some(7)),
            ("POST", "/old", 301, Some(7)),
            ("GET", "/index.html", 200, None),
        ]
    );
}

/// `-d` sends a form as a POST; `-m PUT --data-file` a file's bytes.
#[test]
fn request_bodies() {
    let nginx = Nginx::start();
    let url = nginx.url("/api/form");
    let run = hprobe(&nginx.dir, &["-d", "a=1&b=2", &url]);
    assert_eq!(exit_code(&run), 0, "{}", stderr(&run, 0));
    let recs = run.records();
    check_seqs(&recs, 1);
    assert_eq!(recs[0]["method"], "POST");
    check_ok(&recs[0], 200, "HTTP/1.1", 3);

    let body: Vec<u8> = (0..1500u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(nginx.dir.join("body.bin"), &body).unwrap();
    let url = nginx.url("/api/upload");
    let run = hprobe(&nginx.dir, &["-m", "PUT", "--data-file", "body.bin", "-n", "2", &url]);
    assert_eq!(exit_code(&run), 0, "{}", stderr(&run, 0));
    let recs = run.records();
    check_seqs(&recs, 2);
    for r in &recs {
        assert_eq!(r["method"], "PUT");
        check_ok(r, 200, "HTTP/1.1", 3);
    }

    let log = nginx.stop();
    assert_eq!(log.len(), 3, "{log:#?}");
    assert_eq!((log[0].method.as_str(), log[0].uri.as_str()), ("POST", "/api/form"));
    assert_eq!(log[0].content_length, Some(7));
    assert_eq!(log[0].content_type, "application/x-www-form-urlencoded");
    for l in &log[1..] {
        assert_eq!((l.method.as_str(), l.uri.as_str()), ("PUT", "/api/upload"));
        assert_eq!(l.content_length, Some(body.len() as u64));
    }
}

/// `-H` replaces the headers hprobe sends (Host too, as `:authority` over
/// HTTP/2), and `-H 'Name:'` leaves one out.
#[test]
fn headers_given_with_h() {
    let nginx = Nginx::start();
    let (url, h2c) = (nginx.url("/"), nginx.h2c_url("/"));
    let run = hprobe(
        &nginx.dir,
        &["-H", "Host: vhost.example", "-H", "Referer: https://r.example/x", url.as_str()],
    );
    assert_eq!(exit_code(&run), 0, "{}", stderr(&run, 0));
    let run =
        hprobe(&nginx.dir, &["-H", "User-Agent:", "-H", "Host: vhost.example", "--http2", &h2c]);
    assert_eq!(exit_code(&run), 0, "{}", stderr(&run, 0));
    let run = hprobe(&nginx.dir, &["-H", "User-Agent: probe-bot/2", &url]);
    assert_eq!(exit_code(&run), 0, "{}", stderr(&run, 0));
    let log = nginx.stop();
    let got: Vec<(&str, &str, &str, &str)> = log
        .iter()
        .map(|l| (l.proto.as_str(), l.host.as_str(), l.ua.as_str(), l.referer.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("HTTP/1.1", "vhost.example", HPROBE_UA, "https://r.example/x"),
            ("HTTP/2.0", "vhost.example", "", ""),
            ("HTTP/1.1", "127.0.0.1", "probe-bot/2", ""),
        ]
    );
}

/// `--expect-status`: exit 1 when a response is not in the list, 0 when
/// all are.
#[test]
fn expect_status_sets_the_exit_status() {
    let nginx = Nginx::start();
    let (root, missing) = (nginx.url("/"), nginx.url("/missing"));
    let run = hprobe(&nginx.dir, &["-n", "4", "--expect-status", "2xx", &root, &missing]);
    assert_eq!(exit_code(&run), 1, "{}", stderr(&run, 0));
    assert_eq!(status_counts(&run.records()), BTreeMap::from([(200, 2), (404, 2)]));
    assert!(
        stderr(&run, 0).contains("2 of 4 responses not in --expect-status"),
        "{}",
        stderr(&run, 0)
    );

    let run = hprobe(&nginx.dir, &["-n", "4", "--expect-status", "2xx", &root]);
    assert_eq!(exit_code(&run), 0, "{}", stderr(&run, 0));
    assert_eq!(status_counts(&run.records()), BTreeMap::from([(200, 4)]));

    let run = hprobe(&nginx.dir, &["-n", "4", "--expect-status", "200,404", &root, &missing]);
    assert_eq!(exit_code(&run), 0, "{}", stderr(&run, 0));
    // Without --expect-status, a 404 is an answer like any other.
    let run = hprobe(&nginx.dir, &["-n", "2", &missing]);
    assert_eq!(exit_code(&run), 0, "{}", stderr(&run, 0));
    nginx.stop();
}

/// `--summary json`: stderr's last line is a JSON object whose figures are
/// those of the records.
#[test]
fn json_summary_matches_the_records() {
    let nginx = Nginx::start();
    let urls = [nginx.url("/"), nginx.url("/missing"), nginx.url("/old")];
    let run = hprobe(
        &nginx.dir,
        &["--summary", "json", "-n", "30", "-c", "3", &urls[0], &urls[1], &urls[2]],
    );
    nginx.stop();
    assert_eq!(exit_code(&run), 0, "{}", stderr(&run, 0));
    let recs = run.records();
    check_seqs(&recs, 30);
    let err = stderr(&run, 0);
    let last = err.lines().last().unwrap_or_else(|| panic!("nothing on stderr"));
    let summary: Value = serde_json::from_str(last)
        .unwrap_or_else(|e| panic!("the last line of stderr is not JSON ({e}): {err:?}"));
    assert_eq!(summary["requests"], 30, "{summary}");
    let statuses: BTreeMap<String, Value> =
        status_counts(&recs).into_iter().map(|(s, n)| (s.to_string(), json!(n))).collect();
    assert_eq!(statuses.len(), 3, "{statuses:?}");
    assert_eq!(summary["status"], json!(statuses), "{summary}");
    let bytes: u64 = recs.iter().map(|r| r["bytes"].as_u64().unwrap()).sum();
    assert_eq!(summary["bytes"], bytes, "{summary}");
    let errors = summary["errors"].as_object().unwrap_or_else(|| panic!("no errors: {summary}"));
    assert!(errors.values().all(|n| n == 0), "{summary}");
}

/// `--summary json` is for programs, which read it as stderr's last line:
/// the `--expect-status` message must not come after it.
#[test]
fn json_summary_is_the_last_line_when_statuses_are_unexpected() {
    let nginx = Nginx::start();
    let missing = nginx.url("/missing");
    let run =
        hprobe(&nginx.dir, &["--summary", "json", "--expect-status", "2xx", "-n", "2", &missing]);
    nginx.stop();
    assert_eq!(exit_code(&run), 1, "{}", stderr(&run, 0));
    let err = stderr(&run, 0);
    let last = err.lines().last().unwrap_or_else(|| panic!("nothing on stderr"));
    let summary: Value = serde_json::from_str(last)
        .unwrap_or_else(|e| panic!("the last line of stderr is not JSON ({e}): {err:?}"));
    assert_eq!(summary["status"], json!({"404": 2}), "{summary}");
}

/// `hprobe ... | head -1`: hprobe ends quietly (exit 0, nothing on stderr)
/// when its reader goes away.
#[test]
fn broken_pipe_is_quiet() {
    let nginx = Nginx::start();
    let url = nginx.url("/");
    let run = pipeline(
        &nginx.dir,
        &[tool("hprobe", &["-n", "2000", &url]), external("head", &["-1"])],
        None,
    );
    nginx.stop();
    run.assert_clean();
    let recs = run.records();
    check_seqs(&recs, 1);
    check_ok(&recs[0], 200, "HTTP/1.1", INDEX.len());
}

/// Ctrl-C during `-q 20 -z 60s`: hprobe stops at once, exits 0, and its
/// summary counts the records it wrote.
#[test]
fn ctrl_c_ends_the_run_with_a_summary() {
    let nginx = Nginx::start();
    let url = nginx.url("/");
    let mut child = Command::new(util::bin("hprobe"))
        .args(["-q", "20", "-z", "60s", &url])
        .current_dir(&nginx.dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut buf = Vec::new();
        out.read_to_end(&mut buf).unwrap();
        buf
    });
    let err = std::thread::spawn(move || {
        let mut buf = String::new();
        err.read_to_string(&mut buf).unwrap();
        buf
    });
    std::thread::sleep(Duration::from_secs(1));
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: kill(2) on the child this test started and has not reaped.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let status = util::wait_with_timeout(&mut child, "hprobe after SIGINT", Duration::from_secs(5));
    let (out, err) = (out.join().unwrap(), err.join().unwrap());
    nginx.stop();
    assert_eq!(status.code(), Some(0), "{err}");
    let recs = util::parse_ndjson(&out);
    assert!(!recs.is_empty(), "some requests were made in a second: {err}");
    check_seqs(&recs, recs.len() as u64);
    for r in &recs {
        check_ok(r, 200, "HTTP/1.1", INDEX.len());
    }
    assert_eq!(summary_requests(&err), recs.len() as u64, "{err}");
    assert!(err.contains("  status     200: "), "{err}");
}

/// `-q 50 -n 25`: every request is scheduled, so every record has `lag_rt`.
#[test]
fn rate_gives_every_record_a_lag() {
    let nginx = Nginx::start();
    let url = nginx.url("/");
    let run = hprobe(&nginx.dir, &["-q", "50", "-n", "25", &url]);
    let log = nginx.stop();
    assert_eq!(exit_code(&run), 0, "{}", stderr(&run, 0));
    let recs = run.records();
    check_seqs(&recs, 25);
    for r in &recs {
        check_ok(r, 200, "HTTP/1.1", INDEX.len());
        assert!(r["lag_rt"].as_f64().is_some_and(|l| l >= 0.0), "{r}");
    }
    assert_eq!(log.len(), 25);
}

/// `hprobe ... | lcount --by status`, real processes and a real pipe.
#[test]
fn counted_by_lcount() {
    let nginx = Nginx::start();
    let (root, missing) = (nginx.url("/"), nginx.url("/missing"));
    let run = pipeline(
        &nginx.dir,
        &[
            tool("hprobe", &["-n", "40", "-c", "4", "--summary", "none", &root, &missing]),
            tool("lcount", &["--by", "status"]),
        ],
        None,
    );
    let log = nginx.stop();
    run.assert_clean();
    let mut got = run.records();
    got.sort_by_key(|r| r["status"].as_u64());
    assert_eq!(got, vec![json!({"status": 200, "count": 20}), json!({"status": 404, "count": 20})]);
    assert_eq!(log_status_counts(&log), BTreeMap::from([(200, 20), (404, 20)]));
}

// ---------------------------------------------------------------------------
// Against servers that misbehave

/// What a misbehaving server does once it has read a request.
#[derive(Debug, Clone, Copy)]
enum Misbehaviour {
    /// Never answers (until the client goes away).
    Stall,
    /// Resets the connection (SO_LINGER 0, then close: an RST).
    Reset,
    /// Closes the connection without a byte.
    Close,
    /// Writes these bytes, then closes.
    Answer(&'static [u8]),
    /// Writes these bytes, then never another.
    AnswerThenStall(&'static [u8]),
    /// A plain HTTP server sent a TLS ClientHello: answers 400 to whatever
    /// came first, and closes.
    PlainHttp,
    /// Writes these bytes (a whole response, kept alive), then reads the
    /// next request on the connection and closes it without an answer.
    AnswerFirstOnly(&'static [u8]),
}

/// Most connections one misbehaving server accepts.
const MAX_CONNECTIONS: usize = 50;
/// Longest a connection is held open.
const HOLD: Duration = Duration::from_secs(15);

/// A server on 127.0.0.1 that misbehaves in one way, a thread per
/// connection; stopped when dropped.
struct BadServer {
    port: u16,
    stop: Arc<AtomicBool>,
    /// Requests (or, for PlainHttp, first reads) received in all.
    requests: Arc<AtomicUsize>,
    thread: Option<JoinHandle<()>>,
}

impl BadServer {
    fn start(how: Misbehaviour) -> BadServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(AtomicUsize::new(0));
        let (stop2, requests2) = (stop.clone(), requests.clone());
        let thread = std::thread::spawn(move || {
            let handlers = Mutex::new(Vec::new());
            let mut accepted = 0;
            while !stop2.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((conn, _)) if accepted < MAX_CONNECTIONS => {
                        accepted += 1;
                        let (stop, requests) = (stop2.clone(), requests2.clone());
                        handlers.lock().unwrap().push(std::thread::spawn(move || {
                            misbehave(conn, how, &stop, &requests)
                        }));
                    }
                    Ok(_) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    Err(e) => panic!("accept: {e}"),
                }
            }
            for h in handlers.into_inner().unwrap() {
                let _ = h.join();
            }
        });
        BadServer { port, stop, requests, thread: Some(thread) }
    }

    fn url(&self, scheme: &str) -> String {
        format!("{scheme}://127.0.0.1:{}/", self.port)
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for BadServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Reads until the end of a request's head (or, `first_read`, whatever
/// comes first); false if the client went away or the server is stopping.
fn read_request(conn: &mut TcpStream, first_read: bool, stop: &AtomicBool) -> bool {
    let deadline = Instant::now() + HOLD;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline && !stop.load(Ordering::SeqCst) {
        match conn.read(&mut buf) {
            Ok(0) => return false,
            Ok(n) => {
                got.extend_from_slice(&buf[..n]);
                if first_read || got.windows(4).any(|w| w == b"\r\n\r\n") {
                    return true;
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return false,
        }
    }
    false
}

/// Holds the connection open, reading and dropping anything, until the
/// client closes it, the server stops, or HOLD has passed.
fn hold(conn: &mut TcpStream, stop: &AtomicBool) {
    let deadline = Instant::now() + HOLD;
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline && !stop.load(Ordering::SeqCst) {
        match conn.read(&mut buf) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return,
        }
    }
}

fn misbehave(mut conn: TcpStream, how: Misbehaviour, stop: &AtomicBool, requests: &AtomicUsize) {
    conn.set_nonblocking(false).unwrap();
    conn.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    conn.set_write_timeout(Some(Duration::from_secs(5))).unwrap();
    if !read_request(&mut conn, matches!(how, Misbehaviour::PlainHttp), stop) {
        return;
    }
    requests.fetch_add(1, Ordering::SeqCst);
    match how {
        Misbehaviour::Stall => hold(&mut conn, stop),
        Misbehaviour::Reset => {
            use std::os::fd::AsRawFd;
            let linger = libc::linger { l_onoff: 1, l_linger: 0 };
            // SAFETY: setsockopt on a socket this thread owns, with a
            // pointer to a linger struct and its size.
            let rc = unsafe {
                libc::setsockopt(
                    conn.as_raw_fd(),
                    libc::SOL_SOCKET,
                    libc::SO_LINGER,
                    std::ptr::addr_of!(linger).cast(),
                    std::mem::size_of::<libc::linger>() as libc::socklen_t,
                )
            };
            assert_eq!(rc, 0, "SO_LINGER: {}", std::io::Error::last_os_error());
            drop(conn);
        }
        Misbehaviour::Close => drop(conn),
        Misbehaviour::Answer(bytes) => {
            let _ = conn.write_all(bytes);
        }
        Misbehaviour::AnswerThenStall(bytes) => {
            let _ = conn.write_all(bytes);
            hold(&mut conn, stop);
        }
        Misbehaviour::AnswerFirstOnly(bytes) => {
            let _ = conn.write_all(bytes);
            if read_request(&mut conn, false, stop) {
                requests.fetch_add(1, Ordering::SeqCst);
            }
        }
        Misbehaviour::PlainHttp => {
            let _ = conn.write_all(
                b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    }
}

/// The head of a response whose body is never finished: 10 of 100 bytes.
const SHORT_BODY: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789";

/// Runs `hprobe -n 3 -c 1 [extra] URL` against a server that misbehaves:
/// three records, each failed with `err` (and no status), exit status 1,
/// the errors counted in the summary, all within 10 s. Returns the records
/// (the callers check that the server saw each request once).
fn fails_with(url: &str, extra: &[&str], err: &str) -> Vec<Value> {
    let dir = std::env::temp_dir();
    let mut args = vec!["-n", "3", "-c", "1"];
    args.extend_from_slice(extra);
    args.push(url);
    let started = Instant::now();
    let run = hprobe(&dir, &args);
    let took = started.elapsed();
    let stderr = stderr(&run, 0);
    assert_eq!(exit_code(&run), 1, "{stderr}");
    let recs = run.records();
    check_seqs(&recs, 3);
    for r in &recs {
        assert_eq!(r["err"], err, "{r}");
        assert!(r["err_msg"].as_str().is_some_and(|m| !m.is_empty()), "{r}");
        assert!(r.get("status").is_none(), "{r}");
        assert_eq!(r["url"], url, "{r}");
    }
    assert!(stderr.contains(&format!("{err}: 3")), "{stderr}");
    assert_eq!(summary_requests(&stderr), 3, "{stderr}");
    // Does not hang: every bad server here makes hprobe fail within
    // --timeout (1s when given) per request.
    assert!(took < Duration::from_secs(10), "took {took:?}");
    recs
}

#[test]
fn stalled_server_times_out() {
    let server = BadServer::start(Misbehaviour::Stall);
    let recs = fails_with(&server.url("http"), &["--timeout", "1s"], "timeout");
    for r in &recs {
        assert!(r.get("ttfb_rt").is_none(), "no response head came: {r}");
    }
    assert_eq!(server.requests(), 3);
}

#[test]
fn stall_in_the_body_times_out() {
    let server = BadServer::start(Misbehaviour::AnswerThenStall(SHORT_BODY));
    let recs = fails_with(&server.url("http"), &["--timeout", "1s"], "timeout");
    for r in &recs {
        // The head came, and 10 bytes of the body.
        assert!(r["ttfb_rt"].is_number(), "{r}");
        assert_eq!(r["bytes"], 10, "{r}");
        assert_eq!(r["proto"], "HTTP/1.1", "{r}");
    }
    assert_eq!(server.requests(), 3);
}

#[test]
fn reset_connection_is_reset() {
    let server = BadServer::start(Misbehaviour::Reset);
    fails_with(&server.url("http"), &[], "reset");
    assert_eq!(server.requests(), 3, "each request sent once");
}

#[test]
fn closed_connection_is_reset() {
    let server = BadServer::start(Misbehaviour::Close);
    fails_with(&server.url("http"), &[], "reset");
    assert_eq!(server.requests(), 3, "each request sent once");
}

#[test]
fn short_body_is_reset() {
    let server = BadServer::start(Misbehaviour::Answer(SHORT_BODY));
    let recs = fails_with(&server.url("http"), &[], "reset");
    for r in &recs {
        assert_eq!(r["bytes"], 10, "{r}");
    }
    assert_eq!(server.requests(), 3);
}

#[test]
fn non_http_answer_is_a_protocol_error() {
    let server = BadServer::start(Misbehaviour::Answer(b"SSH-2.0-nope\r\n\r\n"));
    fails_with(&server.url("http"), &[], "protocol");
    assert_eq!(server.requests(), 3);

    let server = BadServer::start(Misbehaviour::Answer(b"\x00\x01\x02\xff\xfe garbage\r\n\r\n"));
    fails_with(&server.url("http"), &[], "protocol");
    assert_eq!(server.requests(), 3);
}

#[test]
fn plain_http_server_for_https_is_a_tls_error() {
    let server = BadServer::start(Misbehaviour::PlainHttp);
    fails_with(&server.url("https"), &["-k"], "tls");
    assert_eq!(server.requests(), 3);
}

#[test]
fn closed_port_is_a_connect_error() {
    let port = free_port();
    assert!(!listening(port));
    let recs = fails_with(&format!("http://127.0.0.1:{port}/"), &[], "connect");
    for r in &recs {
        assert!(r.get("connect_rt").is_none() && r.get("proto").is_none(), "{r}");
    }
}

/// An HTTP/1.0 answer whose body ends when the connection closes is a
/// complete response.
#[test]
fn body_until_close_is_a_response() {
    let server = BadServer::start(Misbehaviour::Answer(b"HTTP/1.0 200 OK\r\n\r\nhello"));
    let run = hprobe(&std::env::temp_dir(), &["-n", "3", &server.url("http")]);
    assert_eq!(exit_code(&run), 0, "{}", stderr(&run, 0));
    let recs = run.records();
    check_seqs(&recs, 3);
    for r in &recs {
        check_ok(r, 200, "HTTP/1.0", 5);
    }
    assert_eq!(server.requests(), 3);
}

/// `--http2` to a server that answers in HTTP/1.1: not HTTP/2.
#[test]
fn http1_answer_to_http2_is_a_protocol_error() {
    // The server answers and closes at once: hprobe either reads the answer
    // (not HTTP/2: protocol) or is still writing its preface when the
    // connection goes (a broken pipe: reset). Either way a failed record,
    // at once.
    let server =
        BadServer::start(Misbehaviour::Answer(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
    let url = server.url("http");
    let run = hprobe(&std::env::temp_dir(), &["-n", "3", "-c", "1", "--http2", &url]);
    assert_eq!(exit_code(&run), 1, "{}", stderr(&run, 0));
    let recs = run.records();
    check_seqs(&recs, 3);
    for r in &recs {
        assert!(r["err"] == "protocol" || r["err"] == "reset", "{r}");
        assert!(r.get("status").is_none(), "{r}");
    }
}

/// A server that closes the connection after each complete response,
/// without `Connection: close` (allowed: RFC 9112 section 9.6), must not
/// make requests fail: the closed connection is replaced, as hprobe's
/// `send` means to ("a kept-alive connection that the server closed just
/// before the request went out is replaced once").
#[test]
fn server_closing_after_each_response() {
    let server =
        BadServer::start(Misbehaviour::Answer(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
    let run = hprobe(&std::env::temp_dir(), &["-n", "20", "-c", "1", &server.url("http")]);
    let recs = run.records();
    check_seqs(&recs, 20);
    let errors: Vec<&Value> = recs.iter().filter(|r| r.get("err").is_some()).collect();
    assert!(errors.is_empty(), "{} of 20 failed: {errors:#?}", errors.len());
    for r in &recs {
        check_ok(r, 200, "HTTP/1.1", 2);
    }
    assert_eq!(exit_code(&run), 0, "{}", stderr(&run, 0));
}

/// `-z` with `--expect-status`, against a server that never answers: no
/// response at all in the run, so it did not go well (exit 1).
#[test]
fn no_response_within_the_duration_is_a_failure() {
    let server = BadServer::start(Misbehaviour::Stall);
    let run =
        hprobe(&std::env::temp_dir(), &["-z", "1s", "--expect-status", "2xx", &server.url("http")]);
    let err = stderr(&run, 0);
    assert!(run.records().is_empty(), "{err}");
    assert!(err.contains("stopped    1 request in flight cut off"), "{err}");
    assert_eq!(exit_code(&run), 1, "{err}");
}

// ---------------------------------------------------------------------------
// Faults found by using hprobe as a new user would (issue 15)

/// The seconds since midnight of an RFC 3339 time
/// (`2026-11-30T11:20:01.123456+01:00` → 40801.123456), in its own offset.
fn seconds_of_day(ts: &str) -> f64 {
    let time = &ts[11..];
    let end = time.find(['+', '-', 'Z']).unwrap_or(time.len());
    let parts: Vec<f64> = time[..end].split(':').map(|p| p.parse().unwrap()).collect();
    parts[0] * 3600.0 + parts[1] * 60.0 + parts[2]
}

/// The text summary's line that starts with `  NAME ` (e.g. `retried`).
fn summary_line<'a>(stderr: &'a str, name: &str) -> Option<&'a str> {
    stderr.lines().find(|l| l.starts_with(&format!("  {name} ")))
}

/// `-q 200 -z 3s`: exactly 600 requests (rate × duration), none due at the
/// deadline or after: nginx logs 600, and every record and every request
/// cut off at the end add up to 600.
#[test]
fn rate_over_a_duration_sends_rate_times_duration() {
    let nginx = Nginx::start();
    let url = nginx.url("/");
    let run = hprobe(&nginx.dir, &["-q", "200", "-z", "3s", "-c", "4", "--summary", "json", &url]);
    let log = nginx.stop();
    let err = stderr(&run, 0);
    let summary: Value = serde_json::from_str(err.lines().last().unwrap()).unwrap();
    let recs = run.records();
    let cut = summary["unfinished"].as_u64().unwrap();
    // Under load a worker may still be waiting to send the last one when
    // the end comes: it is then counted as not sent, not lost. More than
    // that only when the workers could not keep up (a machine busy with
    // other work), which the run then shows as requests sent late.
    let unsent = summary["unsent"].as_u64().unwrap();
    let late = summary["late"].as_u64().unwrap();
    assert!(unsent <= 2 || late > 0, "{err}");
    assert_eq!(recs.len() as u64 + cut + unsent, 600, "{err}");
    // nginx saw each request sent once (a request cut off in flight is
    // logged too, unless it was cut before its bytes went out).
    let sent = 600 - unsent as usize;
    assert!((sent - cut as usize..=sent).contains(&log.len()), "{} logged: {err}", log.len());
    // Due i/200 s after the start: the last one, 599, at 2.995 s; its lag
    // is at most what hprobe reports, so its ts is before the deadline.
    let max_seq = recs.iter().map(|r| r["seq"].as_u64().unwrap()).max().unwrap();
    assert!(max_seq <= 600, "{max_seq}");
}

/// Under `-q` the latency counts from the due time: a server that waits
/// 300 ms before each answer, `-q 10 -c 1 -n 5` (due every 100 ms, one
/// worker): each request waits for the one before it, and that wait is
/// in its `rt`.
#[test]
fn rate_latency_counts_from_the_due_time() {
    let server = SlowServer::start(Duration::from_millis(300));
    let run = hprobe(&std::env::temp_dir(), &["-q", "10", "-c", "1", "-n", "5", &server.url()]);
    assert_eq!(exit_code(&run), 0, "{}", stderr(&run, 0));
    let recs = run.records();
    check_seqs(&recs, 5);
    for r in &recs {
        let (rt, lag) = (r["rt"].as_f64().unwrap(), r["lag_rt"].as_f64().unwrap());
        assert!(rt >= lag + 0.25, "rt {rt} < lag {lag} + 0.25: {r}");
    }
    let fifth = recs.iter().find(|r| r["seq"] == 5).unwrap();
    // Due at 0.4 s, sent at 1.2 s (after four answers of 0.3 s), answered
    // at 1.5 s: 1.1 s from its due time.
    assert!(fifth["rt"].as_f64().unwrap() >= 1.0, "{fifth}");
    assert_eq!(server.requests(), 5);
}

/// A server that closes each kept-alive connection when the second
/// request on it comes, without answering: hprobe sends it again on a new
/// connection, and says so (`retries` 1 on every record but the first,
/// a `retried` line in the summary); the server saw 19 requests for 10
/// records. With `--no-retry`, every second request fails instead, and the
/// server saw exactly 10.
#[test]
fn a_resend_on_a_new_connection_is_counted() {
    const OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    let server = BadServer::start(Misbehaviour::AnswerFirstOnly(OK));
    let run = hprobe(&std::env::temp_dir(), &["-n", "10", "-c", "1", &server.url("http")]);
    let err = stderr(&run, 0);
    assert_eq!(exit_code(&run), 0, "{err}");
    let recs = run.records();
    check_seqs(&recs, 10);
    for r in &recs {
        check_ok(r, 200, "HTTP/1.1", 2);
        let want = if r["seq"] == 1 { Value::Null } else { json!(1) };
        assert_eq!(r.get("retries").cloned().unwrap_or(Value::Null), want, "{r}");
    }
    assert_eq!(server.requests(), 19, "10 requests, 9 of them twice");
    let line = summary_line(&err, "retried").unwrap_or_else(|| panic!("{err}"));
    assert!(line.contains("9 requests sent again on a new connection (9 retries in all)"), "{err}");
    drop(server);

    let server = BadServer::start(Misbehaviour::AnswerFirstOnly(OK));
    let url = server.url("http");
    let run = hprobe(&std::env::temp_dir(), &["--no-retry", "-n", "10", "-c", "1", &url]);
    let err = stderr(&run, 0);
    assert_eq!(exit_code(&run), 1, "{err}");
    let recs = run.records();
    check_seqs(&recs, 10);
    for r in &recs {
        assert!(r.get("retries").is_none(), "{r}");
        if r["seq"].as_u64().unwrap() % 2 == 1 {
            check_ok(r, 200, "HTTP/1.1", 2);
        } else {
            assert_eq!(r["err"], "reset", "{r}");
            let msg = r["err_msg"].as_str().unwrap();
            assert!(msg.starts_with("receiving the response (the request was sent): "), "{r}");
        }
    }
    assert_eq!(server.requests(), 10);
    assert!(err.contains("reset: 5"), "{err}");
    assert!(summary_line(&err, "retried").is_none(), "{err}");
}

/// A POST the server closes the connection on after reading it: the
/// message says the request was sent and the response failed (so that
/// nobody takes it for safe to send again); a request body the server
/// resets the connection under is a failure in sending.
#[test]
fn failures_say_which_side_failed() {
    let server = BadServer::start(Misbehaviour::Close);
    let recs = fails_with(&server.url("http"), &["-m", "POST", "-d", "x=1"], "reset");
    for r in &recs {
        let msg = r["err_msg"].as_str().unwrap();
        assert!(msg.starts_with("receiving the response (the request was sent): "), "{r}");
    }
    assert_eq!(server.requests(), 3, "a POST is never sent again");
    drop(server);

    // 32 MiB: more than the socket buffers of both ends hold, so that the
    // reset comes while the body is being written.
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("body");
    std::fs::write(&body, vec![b'x'; 32 << 20]).unwrap();
    let server = BadServer::start(Misbehaviour::Reset);
    let body = body.display().to_string();
    let recs = fails_with(&server.url("http"), &["--data-file", &body], "reset");
    for r in &recs {
        let msg = r["err_msg"].as_str().unwrap();
        assert!(msg.starts_with("sending the request: "), "{r}");
    }
    assert_eq!(server.requests(), 3);
}

/// `http://user:p%40ss@host/`: sent as `Authorization: Basic` of
/// `user:p@ss` (as curl sends it), and the password is nowhere in what
/// hprobe writes.
#[test]
fn userinfo_is_sent_as_basic_auth_and_masked() {
    use base64::Engine as _;
    let nginx = Nginx::start();
    let url = format!("http://user:p%40ss@127.0.0.1:{}/", nginx.port);
    let shown = format!("http://user:***@127.0.0.1:{}/", nginx.port);
    let run = hprobe(&nginx.dir, &["-n", "2", &url]);
    let log = nginx.stop();
    let err = stderr(&run, 0);
    assert_eq!(exit_code(&run), 0, "{err}");
    let recs = run.records();
    check_seqs(&recs, 2);
    for r in &recs {
        check_ok(r, 200, "HTTP/1.1", INDEX.len());
        assert_eq!(r["url"], shown, "{r}");
    }
    let want = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("user:p@ss"));
    assert_eq!(log.len(), 2, "{log:#?}");
    for l in &log {
        assert_eq!(l.authorization, want, "{l:?}");
        assert_eq!(l.host, "127.0.0.1", "no userinfo in Host: {l:?}");
    }
    let out = run.stdout_str();
    for secret in ["p%40ss", "p@ss"] {
        assert!(!out.contains(secret) && !err.contains(secret), "{out}{err}");
    }

    // A URL refused (port 0, as curl refuses it) is quoted masked too.
    let run = hprobe(&std::env::temp_dir(), &["http://user:secret@127.0.0.1:0/"]);
    let err = stderr(&run, 0);
    assert_eq!(exit_code(&run), 2, "{err}");
    assert!(run.records().is_empty());
    assert!(err.contains("port 0") && err.contains("user:***@127.0.0.1:0"), "{err}");
    assert!(!err.contains("secret"), "{err}");
}

/// Port 0 is refused before anything is sent (as curl refuses it), in a
/// URL, a `--base` and a target read from stdin.
#[test]
fn port_zero_is_refused() {
    let dir = std::env::temp_dir();
    let run = hprobe(&dir, &["http://127.0.0.1:0/"]);
    assert_eq!(exit_code(&run), 2, "{}", stderr(&run, 0));
    assert!(stderr(&run, 0).contains("port 0"), "{}", stderr(&run, 0));
    assert!(run.records().is_empty());
    let run = hprobe(&dir, &["--base", "http://127.0.0.1:0", "-"]);
    assert_eq!(exit_code(&run), 2, "{}", stderr(&run, 0));
    let run = pipeline(&dir, &[tool("hprobe", &["-"])], Some(b"http://127.0.0.1:0/x\n".to_vec()));
    let err = stderr(&run, 0);
    assert_eq!(exit_code(&run), 1, "a bad line of stdin: {err}");
    assert!(err.contains("port 0"), "{err}");
    assert!(run.records().is_empty());
}

/// A Unicode host name goes out in its ASCII form (IDNA), in the Host
/// header as in the record, and `--resolve` takes the Unicode name too.
#[test]
fn unicode_host_names_are_sent_in_ascii_form() {
    let nginx = Nginx::start();
    let url = format!("http://bücher.test:{}/", nginx.port);
    let resolve = format!("bücher.test:{}:127.0.0.1", nginx.port);
    // The ACE form of "bücher" (RFC 3492's algorithm; `idn2 bücher.test`).
    let ace = format!("http://xn--bcher-kva.test:{}/", nginx.port);
    let run = hprobe(&nginx.dir, &["--resolve", &resolve, &url]);
    let log = nginx.stop();
    assert_eq!(exit_code(&run), 0, "{}", stderr(&run, 0));
    let recs = run.records();
    check_seqs(&recs, 1);
    check_ok(&recs[0], 200, "HTTP/1.1", INDEX.len());
    assert_eq!(recs[0]["url"], ace);
    assert_eq!(recs[0]["vhost"], "xn--bcher-kva.test");
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].host, "xn--bcher-kva.test");
}

/// A replay whose input goes back in time (the current log read before
/// the rotated one, as `ltail access.log*` does): the second file is not
/// sent in a burst but at its own pace, and the summary says how many
/// were out of order and which came first.
#[test]
fn replay_out_of_time_order_is_paced_and_reported() {
    let nginx = Nginx::start();
    let mut input = String::new();
    // access.log: 10:00:00.0 to 10:00:00.6; access.log.1: 09:00:00.0 to
    // 09:00:00.6, each 0.2 s apart.
    for hour in ["10", "09"] {
        for i in 0..4 {
            input += &format!(
                "{{\"ts\":\"2026-11-27T{hour}:00:00.{}+00:00\",\"method\":\"GET\",\"path\":\"/h{hour}/{i}\"}}\n",
                i * 2
            );
        }
    }
    let base = nginx.url("");
    let run = pipeline(
        &nginx.dir,
        &[tool("hprobe", &["--base", &base, "--replay-speed", "1", "-c", "2"])],
        Some(input.into_bytes()),
    );
    let log = nginx.stop();
    let err = stderr(&run, 0);
    assert_eq!(exit_code(&run), 0, "{err}");
    let recs = run.records();
    check_seqs(&recs, 8);
    assert_eq!(log.len(), 8);
    let sent = |seq: u64| -> f64 {
        let r = recs.iter().find(|r| r["seq"] == seq).unwrap();
        seconds_of_day(r["ts"].as_str().unwrap())
    };
    // The jump back waits for nothing; the second file's gaps are kept.
    assert!((sent(5) - sent(4)).abs() < 0.1, "{} {}", sent(4), sent(5));
    assert!(sent(8) - sent(5) >= 0.55, "{} {}", sent(5), sent(8));
    assert!(sent(8) - sent(1) >= 1.15, "{} {}", sent(1), sent(8));
    let line = summary_line(&err, "order").unwrap_or_else(|| panic!("{err}"));
    assert!(
        line.contains("4 replayed requests out of time order, the first seq 5 (2026-11-27T09:00:00Z after 2026-11-27T10:00:00.6Z)"),
        "{err}"
    );
}

/// `-z` against a server that never answers, without `--expect-status`:
/// the request cut off at the end is reported (not "errors none"), and the
/// run exits 1: nothing succeeded.
#[test]
fn a_duration_with_no_answer_is_a_failure() {
    let server = BadServer::start(Misbehaviour::Stall);
    let run = hprobe(&std::env::temp_dir(), &["-z", "1s", &server.url("http")]);
    let err = stderr(&run, 0);
    assert!(run.records().is_empty(), "{err}");
    assert_eq!(exit_code(&run), 1, "{err}");
    assert_eq!(summary_line(&err, "errors").unwrap(), "  errors     cut off: 1", "{err}");
    assert!(err.contains("hprobe: no response at all (1 cut off in flight)"), "{err}");
    assert!(err.contains("stopped    1 request in flight cut off"), "{err}");
    assert_eq!(server.requests(), 1);
}

/// A keep-alive HTTP/1.1 server that waits before each answer (`200`,
/// `ok`), and counts the requests.
struct SlowServer {
    port: u16,
    requests: Arc<AtomicUsize>,
}

impl SlowServer {
    fn start(wait: Duration) -> SlowServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(AtomicUsize::new(0));
        let counted = requests.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().take(MAX_CONNECTIONS) {
                let Ok(mut conn) = conn else { return };
                let counted = counted.clone();
                std::thread::spawn(move || {
                    let stop = AtomicBool::new(false);
                    conn.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
                    while read_request(&mut conn, false, &stop) {
                        counted.fetch_add(1, Ordering::SeqCst);
                        std::thread::sleep(wait);
                        let ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
                        if conn.write_all(ok).is_err() {
                            return;
                        }
                    }
                });
            }
        });
        SlowServer { port, requests }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}
