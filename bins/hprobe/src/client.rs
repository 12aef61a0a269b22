//! A worker: takes requests from the plan one at a time, sends each over
//! its own connection (kept alive between requests unless told not to),
//! follows redirects when asked, counts the body as it streams in, and
//! hands a [`Done`] to the writer.
//!
//! Each worker owns its connections instead of sharing a pool: with `-c N`
//! there are exactly N connections, as in wrk and oha, and a request's
//! `connect_rt` belongs to the request that really waited for it.

use crate::h1;
use crate::net::{Resolver, Tls, Versions};
use crate::outcome::{Compared, Done, ErrKind, Failure, Phases};
use crate::plan::Plan;
use crate::target::{encode_unsafe, Target, Url};
use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, Request, Response, StatusCode, Uri, Version};
use http_body_util::{BodyExt, Full};
use hyper::body::{Body as _, Incoming};
use hyper::client::conn::http2;
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::future::Future as _;
use std::hash::Hasher as _;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;

/// What every request of the run shares.
pub struct Settings {
    /// `-H`: a header to send, or (`Name:` with no value) one not to send.
    pub headers: Vec<(HeaderName, Option<HeaderValue>)>,
    /// `-d` / `--data-file`.
    pub body: Bytes,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// How many redirects to follow (0: none, the default).
    pub max_redirects: u32,
    pub keepalive: bool,
    pub versions: Versions,
    /// Send a request again on a new connection when a kept-alive one
    /// closed under it (`--no-retry`: do not).
    pub retry: bool,
    /// `--capture-header` and `--cache-headers`: the headers to record.
    pub capture: Vec<Capture>,
    /// `--compare BASE`.
    pub compare: Option<Url>,
    /// Headers not compared: `--compare-ignore-header`, and [`NEVER_COMPARED`].
    pub ignore: Vec<HeaderName>,
}

/// Headers that differ between any two answers, or are about the
/// connection rather than the answer: never compared.
pub const NEVER_COMPARED: [HeaderName; 3] =
    [header::DATE, header::CONNECTION, HeaderName::from_static("keep-alive")];

/// A response header to record, and its record field (`h_x_cache`).
#[derive(Debug, Clone)]
pub struct Capture {
    pub name: HeaderName,
    pub field: Arc<str>,
}

impl Capture {
    /// `X-Cache` → the header `x-cache` and the field `h_x_cache`.
    pub fn new(name: &str) -> Result<Capture, String> {
        let name = HeaderName::from_bytes(name.trim().as_bytes())
            .map_err(|_| format!("bad header name {name:?}"))?;
        let field =
            format!("{}{}", logkit_common::record::CAPTURE_PREFIX, name.as_str()).replace('-', "_");
        Ok(Capture { name, field: Arc::from(field) })
    }
}

/// `--cache-headers`: the headers that say what a cache did with a
/// response (RFC 9111, RFC 9211's `Cache-Status`, and the usual
/// `X-Cache` spellings of CDNs and nginx's `$upstream_cache_status`).
pub const CACHE_HEADERS: [&str; 11] = [
    "Age",
    "Cache-Control",
    "Cache-Status",
    "X-Cache",
    "X-Cache-Status",
    "CF-Cache-Status",
    "Via",
    "ETag",
    "Last-Modified",
    "Vary",
    "Expires",
];

pub struct Shared {
    pub settings: Settings,
    pub resolver: Resolver,
    pub tls: Tls,
}

type Body = Full<Bytes>;

/// Idle connections a worker keeps, to as many origins.
const MAX_IDLE_ORIGINS: usize = 4;

/// A connection, and how requests go over it.
enum Conn {
    /// HTTP/1.1, exchanged by hprobe itself (`crate::h1`).
    H1(h1::Connection<h1::Io>),
    /// HTTP/2, through hyper: its sender, and what has gone over it.
    H2 { sender: http2::SendRequest<Body>, wire: Arc<Wire> },
}

/// A response's head, as each kind of connection gives it.
enum Reply {
    /// The head; its fields and body are read from the connection.
    H1(h1::Head),
    H2(Response<Incoming>),
}

/// What an HTTP/2 connection's transport has written, so that a failure can say
/// whether the request had left before it (one relaxed add per write).
#[derive(Default)]
struct Wire {
    written: AtomicU64,
    write_failed: std::sync::atomic::AtomicBool,
}

/// A transport that counts its writes into a [`Wire`].
struct Watched<T> {
    io: T,
    wire: Arc<Wire>,
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> Watched<T> {
    fn count(&self, result: Poll<std::io::Result<usize>>) -> Poll<std::io::Result<usize>> {
        match &result {
            Poll::Ready(Ok(n)) => {
                self.wire.written.fetch_add(*n as u64, Ordering::Relaxed);
            }
            Poll::Ready(Err(_)) => self.wire.write_failed.store(true, Ordering::Relaxed),
            Poll::Pending => {}
        }
        result
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let result = Pin::new(&mut self.io).poll_write(cx, buf);
        self.count(result)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let result = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        self.count(result)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let result = Pin::new(&mut self.io).poll_flush(cx);
        if matches!(result, Poll::Ready(Err(_))) {
            self.wire.write_failed.store(true, Ordering::Relaxed);
        }
        result
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// XXH3-64 of an HTTP/2 body as it streams in (`body_hash`; HTTP/1.1
/// bodies are hashed by `h1`, alike). A body that comes in
/// one frame, as small answers do, is hashed at once; a streaming hasher
/// (a 192-byte secret allocated and 256 bytes of buffer zeroed per
/// request) is built only when a second frame comes.
enum BodyHasher {
    Empty,
    One(Bytes),
    Streaming(Box<twox_hash::XxHash3_64>),
}

impl BodyHasher {
    fn update(&mut self, data: Bytes) {
        match self {
            BodyHasher::Empty => *self = BodyHasher::One(data),
            BodyHasher::One(first) => {
                let mut hasher = Box::new(twox_hash::XxHash3_64::new());
                hasher.write(first);
                hasher.write(&data);
                *self = BodyHasher::Streaming(hasher);
            }
            BodyHasher::Streaming(hasher) => hasher.write(&data),
        }
    }

    fn finish(self) -> u64 {
        match self {
            BodyHasher::Empty => twox_hash::XxHash3_64::oneshot(b""),
            BodyHasher::One(data) => twox_hash::XxHash3_64::oneshot(&data),
            BodyHasher::Streaming(hasher) => hasher.finish(),
        }
    }
}

/// The fewest bytes an HTTP/2 request takes on the wire (a HEADERS frame:
/// no shorter than `GET / HTTP/1.1` and its blank line): fewer written
/// means the request was not all sent.
const MIN_HEAD: u64 = 18;

/// Where a connection goes: scheme, host (lower-case) and port.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    https: bool,
    host: String,
    port: u16,
}

impl Origin {
    /// The origin of an absolute URI.
    pub fn of(uri: &Uri) -> Origin {
        let (https, host, port) = Origin::parts(uri);
        Origin { https, host: host.to_ascii_lowercase(), port }
    }

    fn parts(uri: &Uri) -> (bool, &str, u16) {
        let https = uri.scheme_str() == Some("https");
        let host = uri.host().unwrap_or("").trim_start_matches('[').trim_end_matches(']');
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        (https, host, port)
    }

    fn as_parts(&self) -> (bool, &str, u16) {
        (self.https, &self.host, self.port)
    }

    /// Whether two URIs are of one origin, without building either.
    fn same(a: &Uri, b: &Uri) -> bool {
        Origin::equal(Origin::parts(a), Origin::parts(b))
    }

    /// Scheme, host (any case) and port alike.
    fn equal(a: (bool, &str, u16), b: (bool, &str, u16)) -> bool {
        a.0 == b.0 && a.2 == b.2 && a.1.eq_ignore_ascii_case(b.1)
    }
}

/// What is known of a request so far; kept outside the request's future so
/// that a timeout still reports the phases that did happen.
#[derive(Default)]
struct Progress {
    phases: Phases,
    status: Option<u16>,
    version: Option<Version>,
    bytes: u64,
    redirects: u32,
    final_url: Option<String>,
    retries: u32,
    body_hash: Option<u64>,
    captured: Vec<(Arc<str>, Vec<u8>)>,
    /// The final response's headers, kept under `--compare` only (boxed:
    /// a `Progress` is moved about for every request).
    headers: Option<Box<HeaderMap>>,
}

/// The requests of one thread's workers that a stop would find taken from
/// the plan and not finished.
#[derive(Default)]
pub struct Counts {
    /// Waiting for their due time (not sent).
    pub waiting: AtomicU64,
    /// Sent, and not yet handed to the writer.
    pub in_flight: AtomicU64,
}

pub struct Worker {
    shared: Arc<Shared>,
    /// Open connections and their origins: one, unless redirects lead
    /// elsewhere (a list: looked up per request without hashing).
    conns: Vec<(Origin, Conn)>,
}

impl Worker {
    pub fn new(shared: Arc<Shared>) -> Worker {
        Worker { shared, conns: Vec::new() }
    }

    /// Makes requests until the plan ends or the writer goes away. A stop
    /// (Ctrl-C, `-z`) aborts the worker's task wherever it is: `counts`
    /// says how many requests it had taken and was waiting to send at
    /// their due time, and how many it had started and not yet handed to
    /// the writer, which a stop cuts off.
    pub async fn run(mut self, plan: Arc<Plan>, tx: mpsc::Sender<Done>, counts: Arc<Counts>) {
        // `--timeout`: one timer for all the worker's requests, moved later
        // for each (see `attempt`).
        let mut limit = std::pin::pin!(tokio::time::sleep(self.shared.settings.timeout));
        while let Some(job) = plan.next().await {
            counts.waiting.fetch_add(1, Ordering::Relaxed);
            if let Some(due) = job.due {
                wait_until(due).await;
            }
            let sent = Instant::now();
            counts.waiting.fetch_sub(1, Ordering::Relaxed);
            counts.in_flight.fetch_add(1, Ordering::Relaxed);
            let (progress, err) = self.attempt(&job.target, sent, limit.as_mut()).await;
            let finished = Instant::now();
            let from = job.due.unwrap_or(sent);
            let whole = err.is_none();
            let compared = match self.shared.settings.compare.is_some() {
                // Not cloned per request without --compare: the count is
                // shared by every worker thread.
                true => {
                    let shared = self.shared.clone();
                    let base = shared.settings.compare.as_ref().expect("checked");
                    let compared = self.compare(&job.target, base, &progress, &err, limit.as_mut());
                    Some(Box::new(compared.await))
                }
                false => None,
            };
            let done = Done {
                seq: job.seq,
                target: job.target,
                sent,
                lag: job.due.map(|due| sent.saturating_duration_since(due)),
                rt: finished.saturating_duration_since(from),
                status: progress.status.filter(|_| whole),
                version: progress.version,
                bytes: progress.bytes,
                err,
                phases: progress.phases,
                redirects: progress.redirects,
                final_url: progress.final_url,
                retries: progress.retries,
                body_hash: progress.body_hash.filter(|_| whole),
                captured: progress.captured,
                compared,
            };
            let sent_on = tx.send(done).await;
            counts.in_flight.fetch_sub(1, Ordering::Relaxed);
            if sent_on.is_err() {
                return;
            }
        }
    }

    /// One request within `--timeout` (counted from `sent`): what came of
    /// it, and why it failed. `limit` is the worker's timer, set here to
    /// the request's deadline: a deadline later than the one it holds only
    /// moves it (an atomic store; tokio's wheel is touched when the earlier
    /// time comes), where a `tokio::time::timeout` per request would put an
    /// entry into the wheel and take it out again.
    async fn attempt(
        &mut self,
        target: &Target,
        sent: Instant,
        mut limit: Pin<&mut tokio::time::Sleep>,
    ) -> (Progress, Option<Failure>) {
        let mut progress = Progress::default();
        let timeout = self.shared.settings.timeout;
        limit.as_mut().reset((sent + timeout).into());
        let result = {
            let mut exchange = std::pin::pin!(self.exchange(target, &mut progress, sent));
            // The answer first, as `tokio::time::timeout` polls it; the
            // limit then outside the task's budget, as `timeout` does too:
            // a server sending faster than hprobe reads uses the budget up
            // in the exchange, and a limit polled within it would never
            // fire (a body without end ran past `--timeout`).
            std::future::poll_fn(|cx| match exchange.as_mut().poll(cx) {
                Poll::Ready(result) => Poll::Ready(Some(result)),
                Poll::Pending => {
                    let mut limit = tokio::task::coop::unconstrained(limit.as_mut());
                    Pin::new(&mut limit).poll(cx).map(|()| None)
                }
            })
            .await
        };
        let err = match result {
            Some(Ok(())) => None,
            Some(Err(failure)) => Some(failure),
            None => {
                // The connection is in an unknown state: not reused.
                self.conns.clear();
                Some(Failure::new(
                    ErrKind::Timeout,
                    format!("no complete response within {}", crate::report::show(timeout)),
                ))
            }
        };
        (progress, err)
    }

    /// `--compare`: the target's request sent to the same path and query
    /// on `base`, and what differed between the two answers.
    async fn compare(
        &mut self,
        target: &Target,
        base: &Url,
        ours: &Progress,
        our_err: &Option<Failure>,
        limit: Pin<&mut tokio::time::Sleep>,
    ) -> Compared {
        let joined = match target.uri.path_and_query() {
            Some(pq) => crate::target::join(base, pq.as_str().as_bytes()),
            None => crate::target::join(base, b"/"),
        };
        let url = match joined {
            Ok(url) => url,
            Err(e) => {
                let err = Failure::new(ErrKind::Protocol, format!("{e:#}"));
                return Compared::failed(target.url.clone(), err, our_err);
            }
        };
        let own_auth = url.auth.is_some();
        let mut other = Target::new(target.method.clone(), url);
        if !own_auth {
            other.auth = target.auth.clone();
        }
        other.headers = target.headers.clone();
        other.replayed = target.replayed;
        let sent = Instant::now();
        let (theirs, err) = self.attempt(&other, sent, limit).await;
        let rt = sent.elapsed();
        let diff = differences(ours, our_err, &theirs, &err, &self.shared.settings.ignore);
        let whole = err.is_none();
        Compared {
            url: other.url,
            status: theirs.status.filter(|_| whole),
            rt,
            bytes: theirs.bytes,
            body_hash: theirs.body_hash.filter(|_| whole),
            err,
            captured: theirs.captured,
            diff,
        }
    }

    /// One request, its redirects, and its body.
    async fn exchange(
        &mut self,
        target: &Target,
        progress: &mut Progress,
        sent: Instant,
    ) -> Result<(), Failure> {
        let settings = &self.shared.settings;
        let mut method = target.method.clone();
        // The target's own URI is borrowed, not cloned (a clone counts on
        // its shared bytes from every worker thread); a redirect's is owned.
        let mut redirected: Option<Uri> = None;
        let mut body = settings.body.clone();
        loop {
            let (reply, mut conn, origin) = self
                .send(&method, redirected.as_ref().unwrap_or(&target.uri), target, &body, progress)
                .await?;
            let (status, version) = match &reply {
                Reply::H1(head) => (head.status, head.version),
                Reply::H2(response) => (response.status().as_u16(), response.version()),
            };
            progress.status = Some(status);
            progress.version = Some(version);
            progress.phases.ttfb = Some(sent.elapsed());
            let settings = &self.shared.settings;
            let follows = (300..400).contains(&status)
                && status != 304
                && progress.redirects < settings.max_redirects;
            progress.bytes = 0;
            progress.body_hash = None;
            let location = match (reply, &mut conn) {
                (Reply::H1(_), Conn::H1(c)) => {
                    capture(&settings.capture, || c.fields(), &mut progress.captured);
                    if settings.compare.is_some() {
                        progress.headers = Some(Box::new(header_map(c.fields())));
                    }
                    let location = match follows {
                        true => c.fields().find(|(name, _)| name.eq_ignore_ascii_case(b"location")),
                        false => None,
                    };
                    let location = location.map(|(_, value)| value.to_vec());
                    let hash = c.read_body(&mut progress.bytes).await.map_err(|e| {
                        Failure::new(h1_kind(&e), format!("receiving the response body: {e}"))
                    })?;
                    progress.body_hash = Some(hash);
                    location
                }
                (Reply::H2(response), _) => {
                    let headers = response.headers();
                    let fields =
                        || headers.iter().map(|(n, v)| (n.as_str().as_bytes(), v.as_bytes()));
                    capture(&settings.capture, fields, &mut progress.captured);
                    if settings.compare.is_some() {
                        progress.headers = Some(Box::new(response.headers().clone()));
                    }
                    let location = match follows {
                        true => {
                            response.headers().get(header::LOCATION).map(|v| v.as_bytes().to_vec())
                        }
                        false => None,
                    };
                    let mut hasher = BodyHasher::Empty;
                    let mut incoming = response.into_body();
                    // Ends as soon as the body says it has all of itself (its
                    // Content-Length received), without asking for one more frame
                    // to learn that it ended: measured at 190 instructions fewer a
                    // request (callgrind, c=10).
                    while !incoming.is_end_stream() {
                        let Some(frame) = incoming.frame().await else { break };
                        let frame =
                            frame.map_err(|e| failure(&e, "receiving the response body"))?;
                        if let Ok(data) = frame.into_data() {
                            progress.bytes += data.len() as u64;
                            hasher.update(data);
                        }
                    }
                    progress.body_hash = Some(hasher.finish());
                    location
                }
                (Reply::H1(_), Conn::H2 { .. }) => unreachable!("an HTTP/1.1 head from HTTP/2"),
            };
            let reusable = match &conn {
                Conn::H1(c) => c.reusable(),
                Conn::H2 { .. } => true,
            };
            if settings.keepalive && reusable {
                // The latest first; a few origins at most, so that a replay
                // over many hosts does not keep a socket to each.
                self.conns.insert(0, (origin, conn));
                self.conns.truncate(MAX_IDLE_ORIGINS);
            }
            // An empty Location leads nowhere: the 3xx is the answer, as
            // curl takes it (resolved, it would be this URL again).
            let Some(location) = location.filter(|l| !l.trim_ascii().is_empty()) else {
                return Ok(());
            };
            let from = redirected.as_ref().unwrap_or(&target.uri);
            let uri = follow(from, &location).ok_or_else(|| {
                Failure::new(
                    ErrKind::Protocol,
                    format!("bad Location: {}", String::from_utf8_lossy(&location)),
                )
            })?;
            progress.redirects += 1;
            progress.final_url = Some(uri.to_string());
            redirected = Some(uri);
            // As browsers do: 303, and 301/302 after a POST, become a GET
            // without a body; 307 and 308 repeat the request as it was.
            let to_get = status == StatusCode::SEE_OTHER.as_u16() && method != Method::HEAD
                || matches!(status, 301 | 302) && method == Method::POST;
            if to_get {
                method = Method::GET;
                body = Bytes::new();
            }
        }
    }

    /// Sends one request over a kept-alive connection to its origin, or a
    /// new one. When a kept-alive connection fails before any answer, the
    /// request goes once more over a new connection: the server had closed
    /// the old one (it may, after any response: RFC 9112, 9.6) before the
    /// request reached it. A request that was not sent at all goes again
    /// silently; one that was (the server may have had it) goes again only
    /// if it is idempotent (RFC 9110, 9.2.2), as browsers do, unless
    /// `--no-retry`, and is counted in `retries`.
    async fn send(
        &mut self,
        method: &Method,
        uri: &Uri,
        target: &Target,
        body: &Bytes,
        progress: &mut Progress,
    ) -> Result<(Reply, Conn, Origin), Failure> {
        // The target's origin was found once, when it was read; a
        // redirect's is found here.
        let redirected = progress.redirects > 0;
        let parts = if redirected { Origin::parts(uri) } else { target.origin.as_parts() };
        let found = self.conns.iter().position(|(o, _)| Origin::equal(o.as_parts(), parts));
        let (origin, mut reused) = match found {
            Some(i) => {
                let (origin, conn) = self.conns.swap_remove(i);
                (origin, Some(conn))
            }
            None if redirected => (Origin::of(uri), None),
            None => (target.origin.clone(), None),
        };
        if let Some(Conn::H1(c)) = &mut reused {
            // Closed (or sent something unasked) while idle: not used.
            if !c.idle() {
                reused = None;
            }
        }
        let mut fresh = false;
        loop {
            let mut conn = match reused.take() {
                Some(conn) => conn,
                None => {
                    fresh = true;
                    self.connect(&origin, progress).await?
                }
            };
            // Another origin only after a redirect (the check parses both
            // authorities: measured at 1,500 instructions a request).
            let elsewhere = redirected && !Origin::same(&target.uri, uri);
            let settings = &self.shared.settings;
            let again = !fresh && settings.retry && idempotent(method);
            let (sender, wire) = match &mut conn {
                Conn::H1(c) => {
                    let encoded;
                    let request: &[u8] = if redirected {
                        encoded = self.h1_request(method, uri, target, body, true, elsewhere);
                        &encoded
                    } else {
                        // The same bytes for every request of the target.
                        target.h1_request.get_or_init(|| {
                            self.h1_request(method, uri, target, body, false, false).into()
                        })
                    };
                    if let Err(e) = c.send(request).await {
                        if !fresh && e.written == 0 {
                            // Not sent at all: no harm in sending it again.
                            continue;
                        }
                        if again && io_error_kind(&e.error) == ErrKind::Reset {
                            progress.retries += 1;
                            continue;
                        }
                        let msg = format!("sending the request: {}", e.error);
                        return Err(Failure::new(io_error_kind(&e.error), msg));
                    }
                    match c.read_head(*method == Method::HEAD).await {
                        Ok(head) => return Ok((Reply::H1(head), conn, origin)),
                        Err(e) => {
                            let kind = h1_kind(&e);
                            if again && !c.answered() && kind == ErrKind::Reset {
                                progress.retries += 1;
                                continue;
                            }
                            let side = match e {
                                h1::Error::Malformed(_) => "receiving the response",
                                _ => "receiving the response (the request was sent)",
                            };
                            return Err(Failure::new(kind, format!("{side}: {e}")));
                        }
                    }
                }
                Conn::H2 { sender, wire } => (sender, wire),
            };
            let request = self.request(method, uri, target, body.clone(), redirected, elsewhere);
            let before = wire.written.load(Ordering::Relaxed);
            wire.write_failed.store(false, Ordering::Relaxed);
            let e = match sender.send_request(request).await {
                Ok(response) => return Ok((Reply::H2(response), conn, origin)),
                Err(e) => e,
            };
            if !fresh && not_sent(&e) {
                continue;
            }
            let settings = &self.shared.settings;
            if !fresh && settings.retry && idempotent(method) && closed(&e) {
                progress.retries += 1;
                continue;
            }
            let written = wire.written.load(Ordering::Relaxed).saturating_sub(before);
            let whole = written >= body.len() as u64 + MIN_HEAD;
            let side = if e.is_parse() || e.is_parse_status() {
                "receiving the response"
            } else if wire.write_failed.load(Ordering::Relaxed) || !whole {
                "sending the request"
            } else {
                "receiving the response (the request was sent)"
            };
            return Err(failure(&e, side));
        }
    }

    /// Opens a connection: resolve (once per host for the run), connect,
    /// TLS, and the HTTP handshake, all within `--connect-timeout`.
    async fn connect(&self, origin: &Origin, progress: &mut Progress) -> Result<Conn, Failure> {
        let shared = &self.shared;
        let start = Instant::now();
        let deadline = start + shared.settings.connect_timeout;
        let lookup = tokio::time::timeout_at(
            deadline.into(),
            shared.resolver.lookup(&origin.host, origin.port),
        );
        let addrs = match lookup.await {
            Ok((addrs, looked_up)) => {
                if looked_up {
                    progress.phases.dns = Some(start.elapsed());
                }
                addrs?
            }
            Err(_) => {
                return Err(Failure::new(
                    ErrKind::Dns,
                    format!("{}: lookup timed out", origin.host),
                ))
            }
        };
        let tcp_start = Instant::now();
        let tcp = crate::net::connect(&addrs, deadline).await?;
        progress.phases.connect = Some(tcp_start.elapsed());
        let versions = shared.settings.versions;
        if origin.https {
            let tls_start = Instant::now();
            let tls = shared.tls.handshake(&origin.host, tcp, deadline).await?;
            progress.phases.tls = Some(tls_start.elapsed());
            if tls.get_ref().1.alpn_protocol() == Some(b"h2") {
                handshake(tls, deadline).await
            } else {
                Ok(Conn::H1(h1::Connection::new(h1::Io::Tls(Box::new(tls)))))
            }
        } else if versions == Versions::Http2 {
            handshake(tcp, deadline).await
        } else {
            Ok(Conn::H1(h1::Connection::new(h1::Io::Tcp(tcp))))
        }
    }

    /// The request's headers and target: origin-form with `Host` for
    /// HTTP/1.1, the absolute URI (`:authority`) for HTTP/2. `elsewhere`:
    /// a redirect led to another origin than the target's.
    /// `redirected`: `uri` is a redirect's, not the target's own.
    #[allow(clippy::too_many_arguments)]
    fn head(
        &self,
        method: &Method,
        uri: &Uri,
        target: &Target,
        body: &Bytes,
        h2: bool,
        redirected: bool,
        elsewhere: bool,
    ) -> (HeaderMap, Uri) {
        let settings = &self.shared.settings;
        let mut headers = HeaderMap::with_capacity(8);
        if !h2 {
            // The target's own, made once; a redirect's, made here.
            let host = match redirected {
                false => target.host.clone(),
                true => crate::target::host_header(uri),
            };
            if let Some(host) = host {
                headers.insert(header::HOST, host);
            }
        }
        if !target.replayed {
            headers.insert(header::USER_AGENT, HeaderValue::from_static(USER_AGENT));
        }
        headers.insert(header::ACCEPT, HeaderValue::from_static("*/*"));
        if body.is_empty() && matches!(*method, Method::POST | Method::PUT | Method::PATCH) {
            // As curl and browsers send it; hyper leaves it out.
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
        }
        if !body.is_empty() {
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            );
        }
        for (name, value) in &target.headers {
            headers.insert(name.clone(), value.clone());
        }
        // After a redirect to another origin, credentials and a forced Host
        // stay behind (as curl does without --location-trusted).
        if let (Some(auth), false) = (&target.auth, elsewhere) {
            headers.insert(header::AUTHORIZATION, auth.header.clone());
        }
        let user_headers = settings.headers.iter().filter(|(name, _)| {
            !(elsewhere && matches!(*name, header::AUTHORIZATION | header::COOKIE | header::HOST))
        });
        for (name, _) in user_headers.clone() {
            headers.remove(name);
        }
        for (name, value) in user_headers {
            if let Some(value) = value {
                headers.append(name.clone(), value.clone());
            }
        }
        let uri = if h2 {
            let mut uri = uri.clone();
            // HTTP/2 carries the host as :authority, taken from the URI: a
            // `-H Host:` goes there.
            if let Some(host) = headers.remove(header::HOST) {
                if let Ok(authority) = host.to_str().unwrap_or("").parse() {
                    let mut parts = uri.into_parts();
                    parts.authority = Some(authority);
                    uri = Uri::from_parts(parts).unwrap_or_else(|_| Uri::from_static("/"));
                }
            }
            uri
        } else {
            if !settings.keepalive {
                headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            match redirected {
                false => target.origin_form.clone(),
                true => crate::target::origin_form(uri),
            }
        };
        (headers, uri)
    }

    /// An HTTP/2 request, for hyper.
    fn request(
        &self,
        method: &Method,
        uri: &Uri,
        target: &Target,
        body: Bytes,
        redirected: bool,
        elsewhere: bool,
    ) -> Request<Body> {
        let (headers, uri) = self.head(method, uri, target, &body, true, redirected, elsewhere);
        let mut request = Request::new(Full::new(body));
        *request.method_mut() = method.clone();
        *request.uri_mut() = uri;
        *request.version_mut() = Version::HTTP_2;
        *request.headers_mut() = headers;
        request
    }

    /// An HTTP/1.1 request's bytes, head and body (`h1::encode_request`).
    fn h1_request(
        &self,
        method: &Method,
        uri: &Uri,
        target: &Target,
        body: &Bytes,
        redirected: bool,
        elsewhere: bool,
    ) -> Vec<u8> {
        let (headers, origin_form) =
            self.head(method, uri, target, body, false, redirected, elsewhere);
        let path = origin_form.path_and_query().map_or("/", |pq| pq.as_str());
        h1::encode_request(method, path, headers, body)
    }
}

/// The default `User-Agent`, replaced by `-H 'User-Agent: ...'` or by a
/// replayed request's own (a replayed request logged without one is sent
/// without one).
const USER_AGENT: &str = concat!("hprobe/", env!("CARGO_PKG_VERSION"));

/// The HTTP/2 handshake (hyper), its connection task spawned.
async fn handshake<T>(io: T, deadline: Instant) -> Result<Conn, Failure>
where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let wire = Arc::new(Wire::default());
    let io = TokioIo::new(Watched { io, wire: wire.clone() });
    let shake = async {
        let (sender, conn) = http2::Builder::new(TokioExecutor::new())
            .handshake(io)
            .await
            .map_err(|e| failure(&e, "HTTP/2 handshake"))?;
        tokio::spawn(conn);
        Ok(sender)
    };
    match tokio::time::timeout_at(deadline.into(), shake).await {
        Ok(result) => result.map(|sender| Conn::H2 { sender, wire }),
        Err(_) => Err(Failure::new(ErrKind::Connect, "HTTP handshake timed out".into())),
    }
}

/// Waits until `due`, to within a few microseconds. Tokio's timer counts
/// whole milliseconds and rounds up, which would make every scheduled
/// request ~1 ms late and charge that to the server (rt counts from the
/// due time): the timer wakes ~1 ms early and the rest is waited by
/// yielding to the other tasks.
async fn wait_until(due: Instant) {
    if let Some(early) = due.checked_sub(Duration::from_millis(1)) {
        if early > Instant::now() {
            tokio::time::sleep_until(early.into()).await;
        }
    }
    while Instant::now() < due {
        tokio::task::yield_now().await;
    }
}

/// Whether an HTTP/2 request failed before any of it was sent, on a
/// connection that had closed or was closing (GOAWAY, or a refused
/// stream): safe to send again on a new connection.
fn not_sent(e: &hyper::Error) -> bool {
    if e.is_canceled() {
        return true;
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(h2) = s.downcast_ref::<h2::Error>() {
            // The server refused the stream, or said it was going away
            // before this stream (a graceful GOAWAY). Not a connection error
            // hprobe found itself: the server may have the request then.
            let graceful =
                h2.is_go_away() && h2.is_remote() && h2.reason() == Some(h2::Reason::NO_ERROR);
            return graceful || h2.reason() == Some(h2::Reason::REFUSED_STREAM) && h2.is_remote();
        }
        source = s.source();
    }
    false
}

/// Appends the values of the `capture` headers present in `fields` (name,
/// value; repeated ones joined with `, `, in their order), replacing those
/// of an earlier response (a redirect's).
fn capture<'a, I>(capture: &[Capture], fields: impl Fn() -> I, out: &mut Vec<(Arc<str>, Vec<u8>)>)
where
    I: Iterator<Item = (&'a [u8], &'a [u8])>,
{
    if capture.is_empty() {
        return;
    }
    out.clear();
    for c in capture {
        let want = c.name.as_str().as_bytes();
        let mut value: Option<Vec<u8>> = None;
        for (_, more) in fields().filter(|(name, _)| name.eq_ignore_ascii_case(want)) {
            match &mut value {
                None => value = Some(more.to_vec()),
                Some(value) => {
                    value.extend_from_slice(b", ");
                    value.extend_from_slice(more);
                }
            }
        }
        if let Some(value) = value {
            out.push((c.field.clone(), value));
        }
    }
}

/// The fields of an HTTP/1.1 head as a `HeaderMap` (for `--compare`).
fn header_map<'a>(fields: impl Iterator<Item = (&'a [u8], &'a [u8])>) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in fields {
        // httparse let through only valid names and values.
        if let (Ok(name), Ok(value)) =
            (HeaderName::from_bytes(name), HeaderValue::from_bytes(value))
        {
            map.append(name, value);
        }
    }
    map
}

/// What differed between two answers to one request (`diff`): `err`,
/// `status`, `body`, then `header:NAME` for each header (lower-case, in
/// name order) whose values differ, `ignore`d ones and [`NEVER_COMPARED`]
/// left out. Bodies and headers are compared only when both answers came
/// whole.
fn differences(
    a: &Progress,
    a_err: &Option<Failure>,
    b: &Progress,
    b_err: &Option<Failure>,
    ignore: &[HeaderName],
) -> Vec<String> {
    let mut diff = Vec::new();
    match (a_err, b_err) {
        (None, None) => {}
        (Some(x), Some(y)) if x.kind == y.kind => {}
        _ => diff.push("err".to_string()),
    }
    if a_err.is_some() || b_err.is_some() {
        return diff;
    }
    if a.status != b.status {
        diff.push("status".into());
    }
    if a.body_hash != b.body_hash {
        diff.push("body".into());
    }
    let (Some(ha), Some(hb)) = (&a.headers, &b.headers) else { return diff };
    let mut names: Vec<&HeaderName> = ha.keys().chain(hb.keys()).collect();
    names.sort_by(|x, y| x.as_str().cmp(y.as_str()));
    names.dedup();
    for name in names {
        if ignore.contains(name) || NEVER_COMPARED.contains(name) {
            continue;
        }
        if !ha.get_all(name).iter().eq(hb.get_all(name).iter()) {
            diff.push(format!("header:{name}"));
        }
    }
    diff
}

/// Whether sending a request twice has the effect of sending it once.
fn idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE | Method::PUT | Method::DELETE
    )
}

/// Whether the connection was closed or reset under the request.
fn closed(e: &hyper::Error) -> bool {
    kind(e) == ErrKind::Reset
}

/// Classifies an error after the connection was made.
fn failure(e: &hyper::Error, doing: &str) -> Failure {
    let mut msg = format!("{doing}: {e}");
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    Failure::new(kind(e), msg)
}

/// The kind of an error after the connection was made.
fn kind(e: &hyper::Error) -> ErrKind {
    if e.is_parse() || e.is_parse_status() {
        ErrKind::Protocol
    } else if e.is_timeout() {
        ErrKind::Timeout
    } else if e.is_incomplete_message() || e.is_canceled() || e.is_closed() {
        ErrKind::Reset
    } else {
        io_kind(e).unwrap_or(ErrKind::Protocol)
    }
}

/// The kind of an HTTP/1.1 exchange's error.
fn h1_kind(e: &h1::Error) -> ErrKind {
    match e {
        h1::Error::Closed => ErrKind::Reset,
        h1::Error::Io(e) => io_error_kind(e),
        h1::Error::Malformed(_) => ErrKind::Protocol,
    }
}

/// The kind of an I/O error on a connection.
fn io_error_kind(e: &std::io::Error) -> ErrKind {
    match e.kind() {
        std::io::ErrorKind::TimedOut => ErrKind::Timeout,
        std::io::ErrorKind::InvalidData => ErrKind::Protocol,
        _ => ErrKind::Reset,
    }
}

/// The kind of an I/O error under a hyper error, if there is one.
fn io_kind(e: &hyper::Error) -> Option<ErrKind> {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return Some(io_error_kind(io));
        }
        if let Some(h2) = s.downcast_ref::<h2::Error>() {
            if h2.is_io() {
                return Some(ErrKind::Reset);
            }
            return Some(if h2.is_remote() && h2.reason().is_some() {
                ErrKind::Reset
            } else {
                ErrKind::Protocol
            });
        }
        source = s.source();
    }
    None
}

/// Where a `Location` header leads from `from`: the reference resolved
/// against it by RFC 3986, section 5.2, as curl does (dot segments
/// removed, a reference of only a query or a fragment kept on the same
/// path; unlike curl, `%2e` is taken for a dot, as browsers take it), by
/// the `iri-string` crate; the fragment is dropped, as it is never sent.
/// Bytes that may not appear in a URL are percent-encoded first, as in a
/// URL given on the command line (a backslash included: it is never read
/// as a slash), and so is a `%` not followed by two hex digits. `None` for
/// a reference that is no URI, or leads to no http or https URL with a
/// host.
fn follow(from: &Uri, location: &[u8]) -> Option<Uri> {
    use iri_string::types::{UriAbsoluteStr, UriReferenceStr};
    let mut text = encode_unsafe(location);
    if let Some(bad) = lone_percents(&text) {
        text = bad;
    }
    let reference = UriReferenceStr::new(&text).ok()?;
    let base = from.to_string();
    let base = UriAbsoluteStr::new(&base).ok()?;
    let mut to = reference.resolve_against(base).to_string();
    if let Some(hash) = to.find('#') {
        to.truncate(hash);
    }
    let scheme = to.split_once("://")?.0;
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return None;
    }
    Some(crate::target::parse_user_url(&to).ok()?.uri)
}

/// `text` with each `%` that does not start a percent-encoded byte written
/// `%25`, or `None` when every `%` does.
fn lone_percents(text: &str) -> Option<String> {
    let b = text.as_bytes();
    let lone = |i: usize| !b.get(i + 1..i + 3).is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit));
    if !b.iter().enumerate().any(|(i, &c)| c == b'%' && lone(i)) {
        return None;
    }
    let mut out = String::with_capacity(text.len() + 8);
    for (i, c) in text.char_indices() {
        if c == '%' && lone(i) {
            out.push_str("%25");
        } else {
            out.push(c);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, hash: u64, headers: &[(&'static str, &'static str)]) -> Progress {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(*name, HeaderValue::from_static(value));
        }
        Progress {
            status: Some(status),
            body_hash: Some(hash),
            headers: Some(Box::new(map)),
            ..Progress::default()
        }
    }

    #[test]
    fn differences_name_what_differed() {
        let none = None;
        let a = answer(200, 1, &[("date", "x"), ("etag", "\"1\""), ("vary", "a"), ("vary", "b")]);
        let same =
            answer(200, 1, &[("date", "y"), ("vary", "a"), ("vary", "b"), ("etag", "\"1\"")]);
        assert!(differences(&a, &none, &same, &none, &[]).is_empty(), "Date is never compared");
        let b = answer(404, 2, &[("etag", "\"2\""), ("vary", "a"), ("x-new", "1")]);
        let diff = differences(&a, &none, &b, &none, &[]);
        assert_eq!(diff, ["status", "body", "header:etag", "header:vary", "header:x-new"]);
        let ignore = [HeaderName::from_static("etag"), HeaderName::from_static("x-new")];
        assert_eq!(differences(&a, &none, &b, &none, &ignore), ["status", "body", "header:vary"]);
        // A failure on one side: `err`, and nothing else is compared.
        let timeout = Some(Failure::new(ErrKind::Timeout, String::new()));
        assert_eq!(differences(&a, &none, &b, &timeout, &[]), ["err"]);
        assert!(differences(&a, &timeout, &b, &timeout.clone(), &[]).is_empty());
        let reset = Some(Failure::new(ErrKind::Reset, String::new()));
        assert_eq!(differences(&a, &reset, &b, &timeout, &[]), ["err"]);
    }

    #[test]
    fn a_body_hashes_alike_in_one_frame_or_many() {
        let body: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 251) as u8).collect();
        let whole = {
            let mut h = BodyHasher::Empty;
            h.update(Bytes::from(body.clone()));
            h.finish()
        };
        for cuts in [&[1usize][..], &[100, 1000], &[240, 241, 4999]] {
            let mut h = BodyHasher::Empty;
            let mut from = 0;
            for &cut in cuts.iter().chain([&body.len()]) {
                h.update(Bytes::copy_from_slice(&body[from..cut]));
                from = cut;
            }
            assert_eq!(h.finish(), whole, "{cuts:?}");
        }
        // XXH3-64 of nothing, as `xxhsum -H3 < /dev/null` gives it.
        assert_eq!(BodyHasher::Empty.finish(), 0x2d06_8005_38d3_94c2);
    }

    #[test]
    fn locations() {
        let from: Uri = "http://h:81/a/b?x=1".parse().unwrap();
        let to = |l: &str| follow(&from, l.as_bytes()).unwrap().to_string();
        assert_eq!(to("https://o/p"), "https://o/p");
        assert_eq!(to("//o:82/p"), "http://o:82/p");
        assert_eq!(to("/c"), "http://h:81/c");
        assert_eq!(to("c?d"), "http://h:81/a/c?d");
        assert_eq!(to("?y=2"), "http://h:81/a/b?y=2");
        assert_eq!(to("/é"), "http://h:81/%C3%A9");
        assert!(follow(&from, b"ftp://x/").is_none());
        // RFC 3986, 5.4: dot segments, a fragment alone, a scheme's case.
        assert_eq!(to("../c"), "http://h:81/c");
        assert_eq!(to("./d/../e/."), "http://h:81/a/e/");
        assert_eq!(to("../../../c"), "http://h:81/c");
        assert_eq!(to("#f"), "http://h:81/a/b?x=1");
        assert_eq!(to("c#f"), "http://h:81/a/c");
        assert_eq!(to("HTTP://o/p"), "http://o/p");
        assert_eq!(to("?"), "http://h:81/a/b?");
        // An encoded dot is a dot (RFC 3986, 2.3), as browsers take it;
        // a query keeps its quotes; a stray `%` is encoded.
        assert_eq!(to("/a/%2e%2e/b"), "http://h:81/b");
        assert_eq!(to("/p?a='b'"), "http://h:81/p?a='b'");
        assert_eq!(to("/p%zz%4"), "http://h:81/p%25zz%254");
        assert_eq!(to("/p%41"), "http://h:81/p%41");
        // Never a host from backslashes (browsers would read `//evil`).
        assert_eq!(to("\\\\evil/x"), "http://h:81/a/%5C%5Cevil/x");
        // A scheme without `//` is no http URL with a host: refused, as
        // curl refuses `https:foo`.
        for bad in [&b"mailto:x@y"[..], b"https:foo", b"http:/x", b"javascript:alert(1)"] {
            assert!(follow(&from, bad).is_none(), "{}", String::from_utf8_lossy(bad));
        }
        assert!(follow(&from, b"http://[::1").is_none());
    }

    #[test]
    fn origins() {
        let o = Origin::of(&"https://Example.com/x".parse().unwrap());
        assert_eq!(o, Origin { https: true, host: "example.com".into(), port: 443 });
        let o = Origin::of(&"http://[::1]:8080/".parse().unwrap());
        assert_eq!(o, Origin { https: false, host: "::1".into(), port: 8080 });
    }
}
