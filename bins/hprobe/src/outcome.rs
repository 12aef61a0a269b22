//! What one request came to, and its NDJSON record (docs/records.md,
//! "hprobe records").

use crate::target::Target;
use logkit_common::json::Object;
use logkit_common::record as f;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// Why a request got no (complete) response. The names are the `err` values
/// of the record format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ErrKind {
    /// `--timeout` passed before the response was complete.
    Timeout,
    /// The TCP connection was refused, unreachable, or not made within
    /// `--connect-timeout`.
    Connect,
    /// The TLS handshake failed (certificate, protocol, or its time ran out).
    Tls,
    /// The host name could not be resolved.
    Dns,
    /// The server closed or reset the connection before the response was
    /// complete.
    Reset,
    /// The server answered something that is not HTTP.
    Protocol,
}

impl ErrKind {
    /// Every kind, in the order summaries list them.
    pub const ALL: [ErrKind; 6] = [
        ErrKind::Timeout,
        ErrKind::Connect,
        ErrKind::Tls,
        ErrKind::Dns,
        ErrKind::Reset,
        ErrKind::Protocol,
    ];

    /// The kind's `err` value (`timeout`, `connect`, ...).
    pub fn name(self) -> &'static str {
        match self {
            ErrKind::Timeout => "timeout",
            ErrKind::Connect => "connect",
            ErrKind::Tls => "tls",
            ErrKind::Dns => "dns",
            ErrKind::Reset => "reset",
            ErrKind::Protocol => "protocol",
        }
    }
}

/// A failed request: its kind and the details for a human.
#[derive(Debug, Clone)]
pub struct Failure {
    /// What went wrong, for `err`.
    pub kind: ErrKind,
    /// The details, for `err_msg`.
    pub msg: String,
}

impl Failure {
    /// A failure of `kind`, with details for a human.
    pub fn new(kind: ErrKind, msg: String) -> Failure {
        Failure { kind, msg }
    }
}

/// How long the phases of a request took, where they happened: `dns` and
/// `connect` and `tls` only for the request that opened the connection.
#[derive(Debug, Default, Clone, Copy)]
pub struct Phases {
    /// The name lookup (`dns_rt`).
    pub dns: Option<Duration>,
    /// The TCP connect (`connect_rt`).
    pub connect: Option<Duration>,
    /// The TLS handshake (`tls_rt`).
    pub tls: Option<Duration>,
    /// From sending to the response's head (status line and headers).
    pub ttfb: Option<Duration>,
}

/// One finished request.
#[derive(Debug)]
pub struct Done {
    /// The request's number, from 1 (`seq`).
    pub seq: u64,
    /// What was asked for: the method, the URL (`url`, its password
    /// masked), and its `path`, `query` and `vhost`.
    pub target: Arc<Target>,
    /// When the request was started (connection included).
    pub sent: Instant,
    /// Under a schedule (`-q`, `--replay-speed`): how late `sent` was.
    pub lag: Option<Duration>,
    /// Response time: from the scheduled time when there is a schedule
    /// (so that a stalled server shows up), else from `sent`.
    pub rt: Duration,
    /// The final response's status; `None` without a response.
    pub status: Option<u16>,
    /// The final response's protocol version.
    pub version: Option<http::Version>,
    /// Body bytes received (of the last response, after redirects).
    pub bytes: u64,
    /// Why there is no complete response, if so.
    pub err: Option<Failure>,
    /// How long the connection's phases took.
    pub phases: Phases,
    /// Redirects followed (`-L`).
    pub redirects: u32,
    /// Where the redirects ended, when there were any.
    pub final_url: Option<String>,
    /// Times the request was sent again on a new connection after a
    /// kept-alive one closed under it (the server may have had it).
    pub retries: u32,
    /// XXH3-64 of the final response's body, when it came whole.
    pub body_hash: Option<u64>,
    /// `--capture-header`: the record's field name (`h_x_cache`) and the
    /// header's value (repeated ones joined with `, `), for those present.
    pub captured: Vec<(Arc<str>, Vec<u8>)>,
    /// `--compare`: the base's answer to the same request.
    pub compared: Option<Box<Compared>>,
}

/// The base's answer under `--compare`, and what differed (the `b_`
/// fields and `diff`).
#[derive(Debug)]
pub struct Compared {
    /// The URL asked of the base (`b_url`).
    pub url: Arc<str>,
    pub status: Option<u16>,
    /// From sending the base's request to the end of its body.
    pub rt: Duration,
    pub bytes: u64,
    pub body_hash: Option<u64>,
    pub err: Option<Failure>,
    pub captured: Vec<(Arc<str>, Vec<u8>)>,
    /// `status`, `body`, `header:NAME`, `err`; empty when nothing differed.
    pub diff: Vec<String>,
}

impl Compared {
    /// A base that could not be asked at all (its URL could not be made).
    pub fn failed(url: Arc<str>, err: Failure, ours: &Option<Failure>) -> Compared {
        let diff = match ours {
            Some(o) if o.kind == err.kind => Vec::new(),
            _ => vec!["err".to_string()],
        };
        let (status, rt, bytes, body_hash) = (None, Duration::ZERO, 0, None);
        Compared { url, status, rt, bytes, body_hash, err: Some(err), captured: Vec::new(), diff }
    }

    fn write(&self, obj: &mut Object) {
        obj.str(f::B_URL, &self.url);
        if let Some(status) = self.status {
            obj.uint(f::B_STATUS, u64::from(status));
        }
        obj.float(f::B_RT, seconds(self.rt));
        obj.uint(f::B_BYTES, self.bytes);
        if let Some(hash) = self.body_hash {
            write_hash(obj.key(f::B_BODY_HASH), hash);
        }
        if let Some(err) = &self.err {
            obj.str(f::B_ERR, err.kind.name());
            obj.str(f::B_ERR_MSG, &err.msg);
        }
        let mut name = String::new();
        for (field, value) in &self.captured {
            name.clear();
            name.push_str(f::COMPARE_PREFIX);
            name.push_str(field);
            obj.bytes(&name, value);
        }
        if !self.diff.is_empty() {
            obj.str(f::DIFF, &self.diff.join(","));
        }
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::new()
    }
}

/// Turns monotonic instants into wall-clock timestamps, in the local zone
/// (or `TZ`), the way servers write their logs.
pub struct Clock {
    base_instant: Instant,
    base_wall: jiff::Timestamp,
    zone: jiff::tz::TimeZone,
}

impl Clock {
    /// A clock for the local zone (or `TZ`), set from the system's time now.
    pub fn new() -> Clock {
        let base_instant = Instant::now();
        let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
        // Whole microseconds, like every other time in the record.
        let base_wall = jiff::Timestamp::from_microsecond(now.as_micros() as i64)
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        Clock { base_instant, base_wall, zone: jiff::tz::TimeZone::system() }
    }

    fn wall(&self, at: Instant) -> jiff::Timestamp {
        let since = at.saturating_duration_since(self.base_instant);
        // Microseconds, like the other latency figures.
        let since = Duration::from_micros(since.as_micros() as u64);
        self.base_wall.checked_add(since).unwrap_or(self.base_wall)
    }

    /// Writes `at` as RFC 3339 with the zone's offset into `buf`.
    pub fn write(&self, at: Instant, out: &mut Vec<u8>) {
        let ts = self.wall(at);
        let offset = self.zone.to_offset(ts);
        let mut buf = [0u8; 40];
        let n = logkit_common::time::write_rfc3339(&mut buf, offset.to_datetime(ts), offset);
        out.push(b'"');
        out.extend_from_slice(&buf[..n]);
        out.push(b'"');
    }
}

/// Seconds with microsecond precision: `0.001234`.
pub fn seconds(d: Duration) -> f64 {
    // Through u64 (585,000 years of microseconds): u128 to f64 is a call
    // of ~90 instructions, u64 to f64 one instruction; the same value.
    let micros = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
    micros as f64 / 1e6
}

fn version_name(v: http::Version) -> &'static str {
    match v {
        http::Version::HTTP_09 => "HTTP/0.9",
        http::Version::HTTP_10 => "HTTP/1.0",
        http::Version::HTTP_11 => "HTTP/1.1",
        http::Version::HTTP_2 => "HTTP/2.0",
        http::Version::HTTP_3 => "HTTP/3.0",
        _ => "HTTP",
    }
}

impl Done {
    /// Appends the record (without its newline).
    pub fn write_record(&self, clock: &Clock, out: &mut Vec<u8>) {
        let mut obj = Object::new(out);
        clock.write(self.sent, obj.key(f::TS));
        obj.uint(f::SEQ, self.seq);
        obj.raw_fields(&self.target.fields);
        if let Some(status) = self.status {
            obj.uint(f::STATUS, u64::from(status));
        }
        if let Some(v) = self.version {
            obj.str(f::PROTO, version_name(v));
        }
        obj.float(f::RT, seconds(self.rt));
        obj.uint(f::BYTES, self.bytes);
        if let Some(hash) = self.body_hash {
            write_hash(obj.key(f::BODY_HASH), hash);
        }
        if let Some(err) = &self.err {
            obj.str(f::ERR, err.kind.name());
            obj.str(f::ERR_MSG, &err.msg);
        }
        let phases = [
            (f::DNS_RT, self.phases.dns),
            (f::CONNECT_RT, self.phases.connect),
            (f::TLS_RT, self.phases.tls),
            (f::TTFB_RT, self.phases.ttfb),
            (f::LAG_RT, self.lag),
        ];
        for (name, value) in phases {
            if let Some(d) = value {
                obj.float(name, seconds(d));
            }
        }
        if self.redirects > 0 {
            obj.uint(f::REDIRECTS, u64::from(self.redirects));
        }
        if let Some(url) = &self.final_url {
            obj.str(f::FINAL_URL, url);
        }
        if self.retries > 0 {
            obj.uint(f::RETRIES, u64::from(self.retries));
        }
        for (name, value) in &self.captured {
            obj.bytes(name, value);
        }
        if let Some(compared) = &self.compared {
            compared.write(&mut obj);
        }
        obj.finish();
    }
}

/// A body hash as the record writes it: 16 lower-case hex digits, quoted.
pub fn write_hash(out: &mut Vec<u8>, hash: u64) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    // Made whole, then one copy (a push a digit cost 156 instructions a
    // record, callgrind).
    let mut text = [b'"'; 18];
    for (i, nibble) in (0..16).rev().enumerate() {
        text[1 + i] = HEX[((hash >> (4 * nibble)) & 15) as usize];
    }
    out.extend_from_slice(&text);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn target(method: http::Method, url: &str) -> Arc<Target> {
        Arc::new(Target::new(method, crate::target::parse_user_url(url).unwrap()))
    }

    #[test]
    fn hashes_and_seconds_as_written() {
        for hash in [0, 1, 0x2d06_8005_38d3_94c2, u64::MAX, 0x0123_4567_89ab_cdef] {
            let mut out = Vec::new();
            write_hash(&mut out, hash);
            assert_eq!(String::from_utf8(out).unwrap(), format!("\"{hash:016x}\""));
        }
        for micros in [0u64, 1, 80, 1234, 999_999, 1_000_001, 86_400_000_000, 1 << 53] {
            let d = Duration::from_micros(micros);
            assert_eq!(seconds(d), d.as_micros() as f64 / 1e6, "{micros}");
        }
    }

    #[test]
    fn record_fields() {
        let clock = Clock::new();
        let done = Done {
            seq: 7,
            target: target(http::Method::GET, "http://127.0.0.1:8080/a?b=1"),
            sent: clock.base_instant + Duration::from_millis(1500),
            lag: None,
            rt: Duration::from_micros(1234),
            status: Some(404),
            version: Some(http::Version::HTTP_11),
            bytes: 153,
            err: None,
            phases: Phases {
                connect: Some(Duration::from_micros(80)),
                ttfb: Some(Duration::from_micros(1100)),
                ..Phases::default()
            },
            redirects: 0,
            final_url: None,
            retries: 2,
            body_hash: Some(0x00c0_ffee_0000_beef),
            captured: vec![(Arc::from("h_x_cache"), b"HIT, MISS".to_vec())],
            compared: None,
        };
        let mut out = Vec::new();
        done.write_record(&clock, &mut out);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["seq"], 7);
        assert_eq!(v["status"], 404);
        assert_eq!(v["proto"], "HTTP/1.1");
        assert_eq!(v["rt"], 0.001234);
        assert_eq!(v["connect_rt"], 0.00008);
        assert_eq!(v["ttfb_rt"], 0.0011);
        assert_eq!(v["bytes"], 153);
        assert!(v.get("err").is_none() && v.get("tls_rt").is_none());
        assert_eq!(
            (&v["vhost"], &v["path"], &v["query"]),
            (&json!("127.0.0.1"), &json!("/a"), &json!("b=1"))
        );
        assert_eq!(v["body_hash"], "00c0ffee0000beef");
        assert_eq!(v["retries"], 2);
        assert_eq!(v["h_x_cache"], "HIT, MISS");
        let ts = v["ts"].as_str().unwrap();
        let sent: jiff::Timestamp = ts.parse().unwrap();
        assert_eq!(sent.duration_since(clock.base_wall).as_millis(), 1500, "{ts}");
    }

    #[test]
    fn failures_have_err_and_no_status() {
        let clock = Clock::new();
        let done = Done {
            seq: 1,
            target: target(http::Method::HEAD, "http://x/"),
            sent: Instant::now(),
            lag: Some(Duration::from_millis(3)),
            rt: Duration::from_secs(2),
            status: None,
            version: None,
            bytes: 0,
            err: Some(Failure::new(ErrKind::Timeout, "no response within 2s".into())),
            phases: Phases::default(),
            redirects: 0,
            final_url: None,
            retries: 0,
            body_hash: None,
            captured: Vec::new(),
            compared: None,
        };
        let mut out = Vec::new();
        done.write_record(&clock, &mut out);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["err"], "timeout");
        assert_eq!(v["lag_rt"], 0.003);
        assert_eq!(v["rt"], 2.0);
        assert!(v.get("status").is_none());
    }
}
