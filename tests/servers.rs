//! End-to-end tests on logs written by real servers: nginx and Apache httpd
//! are started here on 127.0.0.1 with several log formats, sent a known list
//! of requests (odd ones included) over raw TCP so that the bytes are exactly
//! known, stopped, and their logs parsed with lparse. Every parsed field is
//! checked against what was sent and what the server answered.
//!
//! The servers must be installed (`/usr/sbin/nginx`, `/usr/sbin/apache2`, as
//! Debian's `nginx` and `apache2` packages put them): without them these
//! tests fail, they do not skip. The workspace's binaries must have been
//! built (`cargo build`, or `cargo test --workspace`).

mod util;

use base64::Engine as _;
use serde_json::{json, Map, Value};
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use util::{free_port, pipeline, start_apache, start_nginx, tool, APACHE_MODULES};

/// nginx's custom format, written into the config and given to
/// `lparse --nginx-format` exactly as it stands there.
const NGINX_CACHE_FORMAT: &str = r#"log_format cache '$remote_addr - $remote_user [$time_local] "$request" '
                     '$status $body_bytes_sent "$http_referer" "$http_user_agent" '
                     'rt=$request_time host=$host cache=$upstream_cache_status';"#;

/// Apache's stock combined format, as in Debian's apache2.conf.
const APACHE_COMBINED_FORMAT: &str =
    r#"LogFormat "%h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\"" combined"#;

/// Apache's custom format with the virtual host and the time taken (`%D`,
/// microseconds); given to `lparse --apache-format` as it stands.
const APACHE_TIMED_FORMAT: &str =
    r#"LogFormat "%v %h %l %u %t \"%r\" %>s %b %D \"%{User-Agent}i\"" timed"#;

/// The `server_name` of nginx (its `$host` when the request names none) and
/// the `ServerName` of Apache (its `%v`).
const NGINX_SERVER_NAME: &str = "logkit.nginx.test";
const APACHE_SERVER_NAME: &str = "www.logkit.test";

/// How long a server may take to answer.
const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// The number of requests for missing paths sent in a burst.
const BURST_404: usize = 30;

/// The docroot's files: path (from the docroot) and content.
fn docroot_files() -> Vec<(&'static str, Vec<u8>)> {
    let page = |title: &str| {
        format!(
            "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title>\
             <link rel=\"stylesheet\" href=\"/static/app.css\"></head>\n\
             <body><h1>{title}</h1><img src=\"/images/logo.png\" alt=\"\"></body></html>\n"
        )
        .into_bytes()
    };
    let mut png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec();
    png.extend((0..=255u8).cycle().take(1500));
    vec![
        ("index.html", page("Home")),
        ("products.html", page("Products, all of them")),
        ("about.html", page("About us")),
        ("static/app.css", b"body { font-family: sans-serif; margin: 2em; }\n".to_vec()),
        ("images/logo.png", png),
        ("robots.txt", b"User-agent: *\nDisallow: /api/\n".to_vec()),
        ("api/health", b"{\"status\":\"ok\"}\n".to_vec()),
    ]
}

// ---------------------------------------------------------------------------
// The requests

/// One request, as sent.
#[derive(Debug, Clone, Default)]
struct Req {
    method: &'static str,
    target: String,
    proto: &'static str,
    /// The Host header, if any.
    host: Option<String>,
    referer: Option<Vec<u8>>,
    ua: Option<Vec<u8>>,
    body: Vec<u8>,
    /// Bytes sent instead of an HTTP request (then the connection's write
    /// side is shut).
    junk: Option<Vec<u8>>,
    /// Part of the burst of 404s.
    burst: bool,
}

impl Req {
    fn get(target: &str, host: &str) -> Req {
        Req {
            method: "GET",
            target: target.to_owned(),
            proto: "HTTP/1.1",
            host: Some(host.to_owned()),
            ..Req::default()
        }
    }

    fn referer(mut self, r: &str) -> Req {
        self.referer = Some(r.as_bytes().to_vec());
        self
    }

    fn ua(mut self, ua: &[u8]) -> Req {
        self.ua = Some(ua.to_vec());
        self
    }

    /// The exact bytes put on the socket.
    fn raw(&self) -> Vec<u8> {
        if let Some(junk) = &self.junk {
            return junk.clone();
        }
        let mut r = format!("{} {} {}\r\n", self.method, self.target, self.proto).into_bytes();
        if let Some(h) = &self.host {
            r.extend_from_slice(format!("Host: {h}\r\n").as_bytes());
        }
        for (name, value) in [("User-Agent", &self.ua), ("Referer", &self.referer)] {
            if let Some(v) = value {
                r.extend_from_slice(format!("{name}: ").as_bytes());
                r.extend_from_slice(v);
                r.extend_from_slice(b"\r\n");
            }
        }
        if !self.body.is_empty() {
            r.extend_from_slice(
                format!(
                    "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
                    self.body.len()
                )
                .as_bytes(),
            );
        }
        r.extend_from_slice(b"Connection: close\r\n\r\n");
        r.extend_from_slice(&self.body);
        r
    }

    /// The path part of the target (without the query).
    fn path(&self) -> &str {
        self.target.split('?').next().unwrap()
    }

    fn query(&self) -> Option<&str> {
        self.target.split_once('?').map(|(_, q)| q)
    }
}

/// What the server answered.
#[derive(Debug, Clone)]
struct Resp {
    /// The client's port for this request.
    local_port: u16,
    /// Every byte received.
    total: usize,
    /// The status from the status line, if there was one.
    status: Option<u64>,
    /// The bytes after the header.
    body_len: usize,
    content_length: Option<u64>,
}

/// A request and its answer.
#[derive(Debug, Clone)]
struct Exchange {
    req: Req,
    resp: Resp,
}

impl Exchange {
    fn status(&self) -> u64 {
        self.resp.status.unwrap_or_else(|| panic!("no status line in the answer to {:?}", self.req))
    }
}

/// The 8000-character path: 80 segments of 100, none of which exists.
fn long_path() -> String {
    let p: String = (0..80).map(|i| format!("/{i:0>99}")).collect();
    assert_eq!(p.len(), 8000);
    p
}

/// The user agent with quotes, a backslash, spaces and non-ASCII UTF-8.
const ODD_UA: &str = "Mozilla/5.0 \"quoted\" back\\slash caf\u{e9} \u{65e5}\u{672c}";
/// A user agent that is not UTF-8 (Latin-1 `é`).
const LATIN1_UA: &[u8] = b"Navigateur/1.0 (\xe9t\xe9; X11)";
/// A referer with the same oddities.
const ODD_REFERER: &str = "http://example.com/search?q=\"caf\u{e9}\"&p=a\\b c";
const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0";
/// The start of TLS's client hello, sent to a plain HTTP port.
const JUNK: &[u8] = b"\x16\x03\x01\x00\xa5";
/// Binary junk ended like a request line, so that Apache reads it too.
const JUNK_LINE: &[u8] = b"\x16\x03\x01\x00\xa5\r\n";
/// A request line of bytes that are not UTF-8, without a NUL (Apache
/// logs a request line only up to its first NUL).
const JUNK_NOT_UTF8: &[u8] = b"\xff\xfe\xfd garbage \x80\r\n";

/// The known list of requests, for a server listening on `port`.
fn requests(port: u16) -> Vec<Req> {
    let host = format!("127.0.0.1:{port}");
    let base = format!("http://{host}");
    let mut reqs = vec![
        Req::get("/", &host)
            .referer("https://www.example.com/search?q=shop")
            .ua(FIREFOX.as_bytes()),
        Req::get("/index.html", &host).referer(&format!("{base}/")).ua(FIREFOX.as_bytes()),
        Req::get("/static/app.css", &host)
            .referer(&format!("{base}/index.html"))
            .ua(FIREFOX.as_bytes()),
        Req::get("/images/logo.png", &host)
            .referer(&format!("{base}/index.html"))
            .ua(FIREFOX.as_bytes()),
        Req::get("/products.html?category=2&page=3&q=caf%C3%A9&x=a%22b", &host)
            .referer(&format!("{base}/"))
            .ua(FIREFOX.as_bytes()),
        Req::get("/about.html", &host).referer(ODD_REFERER).ua(ODD_UA.as_bytes()),
        Req::get("/about.html?", &host).ua(LATIN1_UA),
        // No User-Agent, no Referer.
        Req::get("/robots.txt", &host),
        // HTTP/1.0 without a Host header.
        Req { proto: "HTTP/1.0", host: None, ..Req::get("/index.html", "") }.ua(b"Wget/1.21.3"),
        Req { method: "HEAD", ..Req::get("/index.html", &host) }.ua(b"curl/8.5.0"),
        Req {
            method: "POST",
            body: b"ping=1&note=hello".to_vec(),
            ..Req::get("/api/health", &host)
        }
        .referer(&format!("{base}/products.html"))
        .ua(FIREFOX.as_bytes()),
        Req::get(&long_path(), &host).ua(b"long-url-tester/1.0"),
        // A missing file with a percent-encoded UTF-8 name, and the odd
        // referer and user agent: in the error logs too.
        Req::get("/caf%C3%A9.html?q=%22x%22", &host).referer(ODD_REFERER).ua(ODD_UA.as_bytes()),
        Req { junk: Some(JUNK.to_vec()), ..Req::default() },
        Req { junk: Some(JUNK_LINE.to_vec()), ..Req::default() },
        Req { junk: Some(JUNK_NOT_UTF8.to_vec()), ..Req::default() },
        // A Host with upper case and a port: nginx's $host is lowercased
        // and without the port.
        Req::get("/robots.txt", &format!("Shop.Example.COM:{port}")).ua(b"kube-probe/1.29"),
    ];
    for i in 0..BURST_404 {
        let target = if i % 2 == 0 {
            "/static/app.v2.js".to_owned()
        } else {
            format!("/api/v2/cart/items?id={i}")
        };
        let mut r = Req::get(&target, &host)
            .referer(&format!("{base}/products.html"))
            .ua(FIREFOX.as_bytes());
        r.burst = true;
        reqs.push(r);
    }
    reqs.push(Req::get("/about.html", &host).referer(&format!("{base}/")).ua(FIREFOX.as_bytes()));
    reqs
}

/// Sends one request on its own connection and reads the answer to the end.
fn exchange(port: u16, req: &Req) -> Resp {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut s = TcpStream::connect_timeout(&addr, IO_TIMEOUT)
        .unwrap_or_else(|e| panic!("connecting to {addr}: {e}"));
    s.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    s.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    s.write_all(&req.raw()).unwrap_or_else(|e| panic!("sending {req:?}: {e}"));
    if req.junk.is_some() {
        s.shutdown(Shutdown::Write).unwrap();
    }
    let mut data = Vec::new();
    let deadline = Instant::now() + IO_TIMEOUT;
    let mut buf = [0u8; 16384];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => data.extend_from_slice(&buf[..n]),
            // A reset after the answer (the server closing with unread
            // bytes) ends it as well.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!("reading the answer to {req:?} ({} bytes so far): {e}", data.len()),
        }
        assert!(Instant::now() < deadline, "the answer to {req:?} did not end in {IO_TIMEOUT:?}");
    }
    parse_response(&data, s.local_addr().unwrap().port())
}

fn parse_response(data: &[u8], local_port: u16) -> Resp {
    let head_end = data.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4);
    let head = String::from_utf8_lossy(&data[..head_end.unwrap_or(0)]).into_owned();
    let status = head
        .lines()
        .next()
        .filter(|l| l.starts_with("HTTP/"))
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok());
    let content_length = head.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("content-length").then(|| value.trim().parse().ok())?
    });
    Resp {
        local_port,
        total: data.len(),
        status,
        body_len: head_end.map_or(0, |h| data.len() - h),
        content_length,
    }
}

fn send_all(port: u16) -> Vec<Exchange> {
    let exchanges: Vec<Exchange> = requests(port)
        .into_iter()
        .map(|req| Exchange { resp: exchange(port, &req), req })
        .collect();
    for ex in &exchanges {
        if ex.req.burst {
            assert_eq!(ex.resp.status, Some(404), "a request of the burst: {ex:?}");
        }
    }
    exchanges
}

// ---------------------------------------------------------------------------
// The servers

/// A directory for one server: its config, docroot and logs. The docroot
/// must be readable by Apache's children (www-data).
struct Site {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    docroot: PathBuf,
}

fn site(name: &str) -> Site {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::Builder::new().prefix(&format!("logkit-{name}-")).tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let docroot = dir.join("www");
    for (path, content) in docroot_files() {
        let p = docroot.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, content).unwrap();
    }
    for d in [&dir, &docroot, &docroot.join("static"), &docroot.join("images")] {
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    for (path, _) in docroot_files() {
        let p = docroot.join(path);
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    std::fs::set_permissions(docroot.join("api"), std::fs::Permissions::from_mode(0o755)).unwrap();
    Site { _tmp: tmp, dir, docroot }
}

/// Which server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Srv {
    Nginx,
    Apache,
}

/// The request line a server logs for junk (`None`: no log line at all).
/// nginx logs the bytes up to the line's end, or all it got; Apache reads
/// only a line that ends (an unterminated one is dropped without an answer
/// or a log line), and logs it up to its first NUL.
fn logged_junk(srv: Srv, junk: &[u8]) -> Option<Vec<u8>> {
    let line_end = junk.iter().position(|&b| b == b'\r' || b == b'\n');
    match srv {
        Srv::Nginx => Some(junk[..line_end.unwrap_or(junk.len())].to_vec()),
        Srv::Apache => {
            let line = &junk[..line_end?];
            Some(line.split(|&b| b == 0).next().unwrap().to_vec())
        }
    }
}

/// What one server run left behind.
struct Run {
    srv: Srv,
    /// The server's process id (nginx: the only process; Apache: the
    /// parent of the processes that serve the requests).
    pid: u32,
    site: Site,
    exchanges: Vec<Exchange>,
    /// The test's clock before the first request and after the last.
    started: f64,
    ended: f64,
}

fn now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64()
}

/// Starts nginx with two access logs (stock `combined` and the custom
/// `cache` format) and an error log at level info, sends it the requests,
/// and stops it.
fn run_nginx() -> Run {
    let site = site("nginx");
    let d = site.dir.display();
    let http = |[port]: [u16; 1]| {
        format!(
            r#"    types {{
        text/html html;
        text/css css;
        image/png png;
        text/plain txt;
    }}
    default_type application/octet-stream;

    {NGINX_CACHE_FORMAT}

    access_log {d}/combined.log combined;
    access_log {d}/custom.log cache;

    server {{
        listen 127.0.0.1:{port};
        server_name {NGINX_SERVER_NAME};
        root {docroot};
        index index.html;
    }}
"#,
            docroot = site.docroot.display(),
        )
    };
    let logs = ["error.log", "combined.log"].map(|f| site.dir.join(f)).to_vec();
    let (server, [port]) = start_nginx(&site.dir, free_port, http, logs);
    let pid = server.pid();
    let started = now();
    let exchanges = send_all(port);
    let ended = now();
    server.stop();
    Run { srv: Srv::Nginx, pid, site, exchanges, started, ended }
}

/// Starts Apache httpd with two access logs (stock `combined` and the
/// custom `timed` format, with `%v` and `%D`) and an error log at LogLevel
/// info, sends it the requests, and stops it.
fn run_apache() -> Run {
    let site = site("apache");
    let d = site.dir.display();
    let docroot = site.docroot.display();
    let m = APACHE_MODULES;
    let conf = format!(
        r#"LoadModule authz_core_module {m}/mod_authz_core.so
LoadModule mime_module {m}/mod_mime.so
LoadModule dir_module {m}/mod_dir.so

ServerName {APACHE_SERVER_NAME}
Timeout 5
KeepAlive Off

TypesConfig /dev/null
AddType text/html .html
AddType text/css .css
AddType image/png .png
AddType text/plain .txt

{APACHE_COMBINED_FORMAT}
{APACHE_TIMED_FORMAT}
CustomLog {d}/combined.log combined
CustomLog {d}/timed.log timed

DocumentRoot {docroot}
<Directory />
    Options None
    AllowOverride None
    Require all denied
</Directory>
<Directory {docroot}>
    Options None
    AllowOverride None
    Require all granted
</Directory>
DirectoryIndex index.html
"#
    );
    let logs = ["error_log", "combined.log"].map(|f| site.dir.join(f)).to_vec();
    let (server, [port]) = start_apache(&site.dir, free_port, &conf, logs);
    let pid = server.pid();
    let started = now();
    let exchanges = send_all(port);
    let ended = now();
    server.stop();
    Run { srv: Srv::Apache, pid, site, exchanges, started, ended }
}

// ---------------------------------------------------------------------------
// Checking the records

/// Runs lparse with `args` and returns its records, which must come with
/// exit status 0 and nothing on stderr.
fn lparse(dir: &Path, args: &[String]) -> Vec<Value> {
    let run = pipeline(dir, &[tool("lparse", args)], None);
    run.assert_clean();
    run.records()
}

/// `lparse [ARGS] FILE | lcount --status 404`.
fn count_404(dir: &Path, lparse_args: &[String], file: &Path) -> Value {
    let mut args = lparse_args.to_vec();
    args.push(file.display().to_string());
    let run = pipeline(dir, &[tool("lparse", &args), tool("lcount", &["--status", "404"])], None);
    run.assert_clean();
    let recs = run.records();
    assert_eq!(recs.len(), 1, "{}", run.stdout_str());
    recs[0].clone()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Puts a string field in `m` by the record format's rule: the text, and
/// `NAME_b64` with the exact bytes when they are not UTF-8.
fn put_bytes(m: &mut Map<String, Value>, name: &str, bytes: &[u8]) {
    m.insert(name.to_owned(), json!(String::from_utf8_lossy(bytes)));
    if std::str::from_utf8(bytes).is_err() {
        m.insert(format!("{name}_b64"), json!(b64(bytes)));
    }
}

/// The fields of the request line: `method`, `path`, `query`, `proto`; or
/// `request` (and `request_b64`) for junk.
fn put_request(m: &mut Map<String, Value>, req: &Req, srv: Srv) {
    match &req.junk {
        Some(junk) => {
            let logged = logged_junk(srv, junk).expect("junk that is logged");
            put_bytes(m, "request", &logged)
        }
        None => {
            m.insert("method".into(), json!(req.method));
            m.insert("path".into(), json!(req.path()));
            if let Some(q) = req.query() {
                m.insert("query".into(), json!(q));
            }
            m.insert("proto".into(), json!(req.proto));
        }
    }
}

/// Seconds since the epoch of an RFC 3339 time with a numeric offset
/// (`2026-11-27T03:22:43+01:00`, optionally with a fraction); `None` if it
/// is not one.
fn rfc3339_secs(ts: &str) -> Option<f64> {
    let b = ts.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = ts.get(r)?;
        s.bytes().all(|c| c.is_ascii_digit()).then(|| s.parse().ok())?
    };
    if b.len() < 25 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let off = &ts[ts.len() - 6..];
    let ob = off.as_bytes();
    if !(ob[0] == b'+' || ob[0] == b'-') || ob[3] != b':' {
        return None;
    }
    let sign = if ob[0] == b'-' { -1 } else { 1 };
    let offset =
        sign * (num(ts.len() - 5..ts.len() - 3)? * 3600 + num(ts.len() - 2..ts.len())? * 60);
    let frac_part = &ts[19..ts.len() - 6];
    let frac: f64 = match frac_part.strip_prefix('.') {
        Some(f) if !f.is_empty() && f.bytes().all(|c| c.is_ascii_digit()) => {
            format!("0.{f}").parse().ok()?
        }
        None if frac_part.is_empty() => 0.0,
        _ => return None,
    };
    let days = util::days_from_civil(y, mo, d);
    Some((days * 86400 + h * 3600 + mi * 60 + s - offset) as f64 + frac)
}

#[test]
fn rfc3339_secs_reads_offsets_and_fractions() {
    assert_eq!(rfc3339_secs("1970-01-01T00:00:00+00:00"), Some(0.0));
    assert_eq!(rfc3339_secs("1970-01-01T01:00:00+01:00"), Some(0.0));
    assert_eq!(rfc3339_secs("2026-11-27T03:22:43+00:00"), Some(1_795_749_763.0));
    assert_eq!(rfc3339_secs("2026-11-27T03:22:43-07:30"), Some(1_795_749_763.0 + 27_000.0));
    assert_eq!(rfc3339_secs("2000-03-01T00:00:00.250000+00:00"), Some(951_868_800.25));
    assert_eq!(rfc3339_secs("2026-11-27T03:22:43Z"), None);
    assert_eq!(rfc3339_secs("2026-11-27 03:22:43+00:00"), None);
}

/// Checks `ts`: RFC 3339 with an offset, within a minute of the test's clock.
fn check_ts(rec: &Value, run: &Run) {
    let ts = rec["ts"].as_str().unwrap_or_else(|| panic!("no ts: {rec}"));
    let secs =
        rfc3339_secs(ts).unwrap_or_else(|| panic!("ts is not RFC 3339 with an offset: {rec}"));
    assert!(
        secs >= run.started - 60.0 && secs <= run.ended + 60.0,
        "ts {ts} is not within a minute of the test's clock ({:.0}..{:.0}): {rec}",
        run.started,
        run.ended
    );
}

/// Checks `rt`: a number of seconds, at least 0 and below the I/O timeout.
fn check_rt(rec: &Value) {
    let rt = rec["rt"].as_f64().unwrap_or_else(|| panic!("rt is not a number: {rec}"));
    assert!((0.0..IO_TIMEOUT.as_secs_f64()).contains(&rt), "rt out of range: {rec}");
}

/// How one access log writes its fields.
struct AccessLog<'a> {
    file: &'a str,
    lparse_args: Vec<String>,
    fmt: &'a str,
    /// The `bytes` field for an exchange (`None`: absent).
    bytes: &'a dyn Fn(&Exchange) -> Option<u64>,
    /// The `vhost` field, for logs that have one.
    vhost: Option<&'a dyn Fn(&Req) -> String>,
    referer: bool,
    rt: bool,
}

/// Parses one access log with lparse and checks every record against the
/// exchange it logs, in order: every field, and no other.
fn check_access_log(run: &Run, log: &AccessLog<'_>) {
    let path = run.site.dir.join(log.file);
    let src = path.display().to_string();
    let mut args = log.lparse_args.clone();
    args.push(src.clone());
    let recs = lparse(&run.site.dir, &args);
    let raw = std::fs::read(&path).unwrap();
    let raw_lines: Vec<String> =
        raw.split(|&b| b == b'\n').map(|l| String::from_utf8_lossy(l).into_owned()).collect();
    let logged: Vec<&Exchange> = run
        .exchanges
        .iter()
        .filter(|ex| match &ex.req.junk {
            Some(junk) => logged_junk(run.srv, junk).is_some(),
            None => true,
        })
        .collect();
    assert_eq!(
        recs.len(),
        logged.len(),
        "{src}: one record per request sent; the log:\n{}",
        String::from_utf8_lossy(&raw)
    );
    for (i, (rec, ex)) in recs.iter().zip(logged).enumerate() {
        let line = &raw_lines[i];
        let ctx =
            format!("{src}:{}: {line}\n  request: {:?}\n  answer: {:?}", i + 1, ex.req, ex.resp);
        let mut m = Map::new();
        m.insert("src".into(), json!(src));
        m.insert("client".into(), json!("127.0.0.1"));
        put_request(&mut m, &ex.req, run.srv);
        m.insert("status".into(), json!(ex.status()));
        if let Some(b) = (log.bytes)(ex) {
            m.insert("bytes".into(), json!(b));
        }
        if log.referer {
            if let Some(r) = &ex.req.referer {
                put_bytes(&mut m, "referer", r);
            }
        }
        if let Some(ua) = &ex.req.ua {
            put_bytes(&mut m, "ua", ua);
        }
        if let Some(vhost) = log.vhost {
            m.insert("vhost".into(), json!(vhost(&ex.req)));
        }
        m.insert("fmt".into(), json!(log.fmt));

        let mut got = rec.as_object().unwrap_or_else(|| panic!("not an object: {rec}")).clone();
        check_ts(rec, run);
        got.remove("ts");
        if log.rt {
            check_rt(rec);
            got.remove("rt");
        }
        // Field by field first, for a readable message.
        for (k, want) in &m {
            assert_eq!(got.get(k), Some(want), "field {k}, at {ctx}\n  record: {rec}");
        }
        assert_eq!(got, m, "extra fields, at {ctx}\n  record: {rec}");
    }
}

/// `lparse FILE | lcount --status 404` counts the 404s the server answered.
fn check_404_count(run: &Run, log: &AccessLog<'_>) {
    let want = run.exchanges.iter().filter(|e| e.resp.status == Some(404)).count();
    assert!(want >= BURST_404);
    let got = count_404(&run.site.dir, &log.lparse_args, &run.site.dir.join(log.file));
    assert_eq!(got, json!({ "count": want }), "{}", log.file);
}

/// The docroot files' sizes: what a 200 to a GET of them must carry.
fn check_bodies(run: &Run) {
    let files = docroot_files();
    for ex in &run.exchanges {
        if ex.req.method != "GET" || ex.resp.status != Some(200) {
            continue;
        }
        let path = ex.req.path();
        let file = if path.ends_with('/') { format!("{path}index.html") } else { path.to_owned() };
        let (_, content) = files
            .iter()
            .find(|(f, _)| format!("/{f}") == file)
            .unwrap_or_else(|| panic!("a 200 for a file that is not in the docroot: {ex:?}"));
        assert_eq!(ex.resp.body_len, content.len(), "{ex:?}");
        assert_eq!(ex.resp.content_length, Some(content.len() as u64), "{ex:?}");
    }
}

/// nginx's `$host`: the Host header, lowercased and without the port, else
/// the server name.
fn nginx_host(req: &Req) -> String {
    match &req.host {
        Some(h) => h.rsplit_once(':').map_or(h.as_str(), |(h, _)| h).to_ascii_lowercase(),
        None => NGINX_SERVER_NAME.to_owned(),
    }
}

#[test]
fn nginx_access_logs() {
    let run = run_nginx();
    check_bodies(&run);
    // $body_bytes_sent: the bytes after the header (0 for HEAD).
    let body = |ex: &Exchange| Some(ex.resp.body_len as u64);
    let logs = [
        AccessLog {
            file: "combined.log",
            lparse_args: vec![],
            fmt: "combined",
            bytes: &body,
            vhost: None,
            referer: true,
            rt: false,
        },
        AccessLog {
            file: "custom.log",
            lparse_args: vec!["--nginx-format".into(), NGINX_CACHE_FORMAT.into()],
            fmt: "cache",
            bytes: &body,
            vhost: Some(&nginx_host),
            referer: true,
            rt: true,
        },
    ];
    for log in &logs {
        check_access_log(&run, log);
        check_404_count(&run, log);
    }
}

#[test]
fn apache_access_logs() {
    let run = run_apache();
    check_bodies(&run);
    // Junk without a line end: Apache neither answers nor logs it.
    for ex in &run.exchanges {
        if ex.req.junk.as_ref().is_some_and(|j| logged_junk(Srv::Apache, j).is_none()) {
            assert_eq!(ex.resp.total, 0, "{ex:?}");
        }
    }
    // %O: every byte sent, header included.
    let all = |ex: &Exchange| Some(ex.resp.total as u64);
    // %b: the body's bytes, `-` for none.
    let body = |ex: &Exchange| Some(ex.resp.body_len as u64).filter(|&b| b > 0);
    let server_name = |_: &Req| APACHE_SERVER_NAME.to_owned();
    let logs = [
        AccessLog {
            file: "combined.log",
            lparse_args: vec![],
            fmt: "combined",
            bytes: &all,
            vhost: None,
            referer: true,
            rt: false,
        },
        AccessLog {
            file: "timed.log",
            lparse_args: vec!["--apache-format".into(), APACHE_TIMED_FORMAT.into()],
            fmt: "timed",
            bytes: &body,
            vhost: Some(&server_name),
            referer: false,
            rt: true,
        },
    ];
    for log in &logs {
        check_access_log(&run, log);
        check_404_count(&run, log);
    }
}

// ---------------------------------------------------------------------------
// The error logs

/// `%XX` decoded, as the servers map a path to a file.
fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let hex = b.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
            Some(byte) if b[i] == b'%' => {
                out.push(byte);
                i += 3;
            }
            _ => {
                out.push(b[i]);
                i += 1;
            }
        }
    }
    out
}

/// The file a request's path maps to.
fn docroot_file(run: &Run, req: &Req) -> Vec<u8> {
    let mut f = run.site.docroot.display().to_string().into_bytes();
    f.extend(percent_decode(req.path()));
    f
}

/// Takes an integer field out of `got` into `m` (its value cannot be known
/// here), checking that it is one.
fn take_uint(got: &Map<String, Value>, m: &mut Map<String, Value>, name: &str) -> u64 {
    let v = got.get(name).and_then(Value::as_u64);
    let v = v.unwrap_or_else(|| panic!("{name} is not an integer: {got:?}"));
    m.insert(name.to_owned(), json!(v));
    v
}

/// Runs `lparse` on an error log (every line must parse) and checks what
/// every record has: `src`, a `ts` near the test's clock, a `level` and
/// the format's name.
fn parse_error_log(run: &Run, file: &str, fmt: &str) -> Vec<Value> {
    let path = run.site.dir.join(file);
    let recs = lparse(&run.site.dir, &[path.display().to_string()]);
    assert!(!recs.is_empty(), "{file} is empty");
    let levels = ["debug", "info", "notice", "warn", "error", "crit", "alert", "emerg"];
    for rec in &recs {
        assert_eq!(rec["src"], json!(path.display().to_string()), "{rec}");
        assert_eq!(rec["fmt"], fmt, "{rec}");
        check_ts(rec, run);
        let level = rec["level"].as_str().unwrap_or_else(|| panic!("no level: {rec}"));
        assert!(levels.contains(&level), "{rec}");
    }
    recs
}

/// nginx's error log: one line per connection that went wrong, in order
/// (a missing file: `open() "F" failed (2: No such file or directory)` at
/// level error; junk: `client sent invalid method` at level info), with the
/// trailer nginx adds (`client`, `server`, `request`, `host`, `referrer`)
/// parsed back to what was sent.
fn check_nginx_error_log(run: &Run) {
    let recs = parse_error_log(run, "error.log", "nginx_error");
    let src = run.site.dir.join("error.log").display().to_string();
    let conn: Vec<&Value> = recs.iter().filter(|r| r.get("cid").is_some()).collect();
    let want: Vec<&Exchange> = run
        .exchanges
        .iter()
        .filter(|ex| ex.req.junk.is_some() || ex.resp.status == Some(404))
        .collect();
    assert_eq!(conn.len(), want.len(), "one line per 404 and per junk request: {recs:#?}");
    let mut last_cid = 0;
    for (rec, ex) in conn.into_iter().zip(want) {
        let ctx = format!("{rec}\n  request: {:?}\n  answer: {:?}", ex.req, ex.resp);
        let got = rec.as_object().unwrap().clone();
        let mut m = Map::new();
        m.insert("src".into(), json!(src));
        m.insert("ts".into(), rec["ts"].clone());
        m.insert("pid".into(), json!(run.pid));
        take_uint(&got, &mut m, "tid");
        let cid = take_uint(&got, &mut m, "cid");
        assert!(cid > last_cid, "connection numbers increase: {ctx}");
        last_cid = cid;
        m.insert("client".into(), json!("127.0.0.1"));
        m.insert("fmt".into(), json!("nginx_error"));
        if ex.req.target == long_path() {
            // nginx cuts its lines at 2048 bytes: the file name is cut (and
            // marked `...`), and so is the trailer after `client: A, `.
            let file = String::from_utf8(docroot_file(run, &ex.req)).unwrap();
            assert_eq!(rec["level"], "error", "{ctx}");
            let msg = rec["msg"].as_str().unwrap_or_else(|| panic!("no msg: {ctx}"));
            let start = format!("open() \"{}", &file[..file.len() - 7900]);
            assert!(msg.starts_with(&start), "{ctx}");
            let text = format!("{msg} {}", rec.get("extra").and_then(Value::as_str).unwrap_or(""));
            assert!(text.contains("(36: File name too long)"), "{ctx}");
            if let Some(f) = rec.get("file") {
                let f = f.as_str().unwrap().trim_end_matches("...");
                assert!(file.starts_with(f), "file is a prefix of the file: {ctx}");
            }
            if let Some(client) = rec.get("client") {
                assert_eq!(client, "127.0.0.1", "{ctx}");
            }
            continue;
        }
        m.insert("server".into(), json!(NGINX_SERVER_NAME));
        match &ex.req.junk {
            Some(junk) => {
                m.insert("level".into(), json!("info"));
                let msg = "client sent invalid method while reading client request line";
                m.insert("msg".into(), json!(msg));
                put_bytes(&mut m, "request", &logged_junk(Srv::Nginx, junk).unwrap());
            }
            None => {
                m.insert("level".into(), json!("error"));
                let file = docroot_file(run, &ex.req);
                let mut msg = b"open() \"".to_vec();
                msg.extend_from_slice(&file);
                msg.extend_from_slice(b"\" failed (2: No such file or directory)");
                put_bytes(&mut m, "msg", &msg);
                put_bytes(&mut m, "file", &file);
                put_request(&mut m, &ex.req, Srv::Nginx);
                m.insert("vhost".into(), json!(ex.req.host.as_deref().unwrap()));
                if let Some(r) = &ex.req.referer {
                    put_bytes(&mut m, "referer", r);
                }
            }
        }
        for (k, want) in &m {
            assert_eq!(got.get(k), Some(want), "field {k}: {ctx}");
        }
        assert_eq!(got, m, "extra fields: {ctx}");
    }
    // The other lines: start-up and shutdown, by this process (but for the
    // `nginx -s quit` that signalled it).
    for rec in recs.iter().filter(|r| r.get("cid").is_none()) {
        assert!(rec["msg"].is_string() && rec["pid"].is_u64(), "{rec}");
        assert!(rec.get("client").is_none() && rec.get("file").is_none(), "{rec}");
    }
    let errors = run.exchanges.iter().filter(|ex| ex.resp.status == Some(404)).count();
    let run_count = pipeline(
        &run.site.dir,
        &[tool("lparse", &["error.log"]), tool("lcount", &["--where", "level=error"])],
        None,
    );
    run_count.assert_clean();
    assert_eq!(run_count.records(), vec![json!({ "count": errors })]);
}

/// Apache's error log: at LogLevel info, one line per 404 (`AH00128: File
/// does not exist: F`, module core, level info, with the referer) and for
/// the 8 KB URL (`(36)File name too long: ... AH00127: Cannot map ...`, level
/// error), each with the client's address and port; junk leaves no line.
fn check_apache_error_log(run: &Run) {
    let recs = parse_error_log(run, "error_log", "apache_error");
    let src = run.site.dir.join("error_log").display().to_string();
    let conn: Vec<&Value> = recs.iter().filter(|r| r.get("client").is_some()).collect();
    let want: Vec<&Exchange> = run
        .exchanges
        .iter()
        .filter(|ex| ex.resp.status == Some(404) || ex.req.target == long_path())
        .collect();
    assert_eq!(conn.len(), want.len(), "one line per 404 and for the long URL: {recs:#?}");
    for (rec, ex) in conn.into_iter().zip(want) {
        let ctx = format!("{rec}\n  request: {:?}\n  answer: {:?}", ex.req, ex.resp);
        let got = rec.as_object().unwrap().clone();
        let mut m = Map::new();
        m.insert("src".into(), json!(src));
        m.insert("ts".into(), rec["ts"].clone());
        m.insert("module".into(), json!("core"));
        // The process that served the request: one of the parent's children.
        let pid = take_uint(&got, &mut m, "pid");
        assert_ne!(pid, u64::from(run.pid), "{ctx}");
        take_uint(&got, &mut m, "tid");
        m.insert("client".into(), json!("127.0.0.1"));
        m.insert("client_port".into(), json!(ex.resp.local_port));
        m.insert("fmt".into(), json!("apache_error"));
        if ex.req.target == long_path() {
            m.insert("level".into(), json!("error"));
            m.insert("errno".into(), json!(36));
            m.insert("errstr".into(), json!("File name too long"));
            m.insert("code".into(), json!("AH00127"));
            let msg =
                format!("Cannot map {} {} {} to file", ex.req.method, ex.req.target, ex.req.proto);
            m.insert("msg".into(), json!(msg));
        } else {
            m.insert("level".into(), json!("info"));
            m.insert("code".into(), json!("AH00128"));
            let file = docroot_file(run, &ex.req);
            let mut msg = b"File does not exist: ".to_vec();
            msg.extend_from_slice(&file);
            put_bytes(&mut m, "msg", &msg);
            put_bytes(&mut m, "file", &file);
            if let Some(r) = &ex.req.referer {
                put_bytes(&mut m, "referer", r);
            }
        }
        for (k, want) in &m {
            assert_eq!(got.get(k), Some(want), "field {k}: {ctx}");
        }
        assert_eq!(got, m, "extra fields: {ctx}");
    }
    // The start-up and shutdown lines: the parent's, with a module and a code.
    for rec in recs.iter().filter(|r| r.get("client").is_none()) {
        assert_eq!(rec["pid"], json!(run.pid), "{rec}");
        assert!(rec["module"].is_string() && rec["code"].is_string(), "{rec}");
        assert!(rec["msg"].is_string(), "{rec}");
    }
}

#[test]
fn nginx_error_log() {
    let run = run_nginx();
    check_nginx_error_log(&run);
}

#[test]
fn apache_error_log() {
    let run = run_apache();
    check_apache_error_log(&run);
}
