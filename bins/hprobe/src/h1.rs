//! HTTP/1.1 exchanged by hprobe itself on the connection a worker owns:
//! the request written in one write, the response read into a buffer kept
//! per connection, its head parsed with `httparse` and looked at as
//! slices, its body framed (RFC 9112, section 6.3) and hashed as it
//! arrives, without a copy.
//!
//! Why not hyper, as for HTTP/2: hyper's HTTP/1.1 client runs each
//! connection as a task of its own, fed by a channel from its
//! `SendRequest`, and builds a `HeaderMap` for every response. For one
//! request at a time on a connection a worker owns, that machinery was
//! most of hprobe's user time. This exchange, with the same semantics,
//! halves the instructions a request: 22,336 → 10,607 at c=1 and 21,805
//! → 9,886 at c=10 (`valgrind --tool=callgrind target/release/hprobe -n N
//! -c C --summary none URL > /dev/null`, (N=3000 − N=1000) / 2000, against
//! one nginx worker serving the 615-byte page of bench/http.py; the whole
//! process, records included: bench/RESULTS.md, "hprobe's own HTTP/1.1
//! exchange").
//!
//! What it does not do: send a request before the previous answer is in
//! (no pipelining), upgrades (`101` is an error), or `Expect:
//! 100-continue` waits (an interim `100` is skipped like any other 1xx).

use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, Version};
use std::io;
use std::mem::MaybeUninit;
use std::ops::Range;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt as _, ReadBuf};
use tokio::net::TcpStream;

/// The read buffer a connection starts with (grown only for a head or a
/// chunk line that does not fit, up to [`MAX_BUFFER`]). A read that fills
/// less than all of it tells tokio the socket is drained, which saves a
/// read(2) that would only say so.
const INITIAL_BUFFER: usize = 8 << 10;

/// The most a response head (or a chunk-size or trailer line) may take:
/// hyper's limit for a head of 100 fields.
pub const MAX_BUFFER: usize = 8192 + 4096 * 100;

/// How far the read buffer grows for a body that fills every read (a
/// download): fewer read(2)s, as hyper's adaptive buffer does.
const MAX_READ: usize = 256 << 10;

/// The most fields a response head may have (as hyper).
pub const MAX_FIELDS: usize = 100;

/// The most bytes of trailer fields after a chunked body.
const MAX_TRAILERS: usize = 64 << 10;

/// What went wrong in an exchange.
#[derive(Debug)]
pub enum Error {
    /// The server closed the connection before the message was complete.
    Closed,
    /// Reading or writing failed.
    Io(io::Error),
    /// The bytes are not an HTTP/1.x response: what is wrong.
    Malformed(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Closed => f.write_str("connection closed before message completed"),
            Error::Io(e) => write!(f, "{e}"),
            Error::Malformed(what) => f.write_str(what),
        }
    }
}

fn malformed(what: impl Into<String>) -> Error {
    Error::Malformed(what.into())
}

/// How a response's body is delimited (RFC 9112, section 6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// None at all: the answer to a HEAD, a 204 or a 304.
    Empty,
    /// `Content-Length` bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Until the server closes the connection.
    UntilClose,
}

/// A response head, interim ones (1xx) skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// The status code.
    pub status: u16,
    /// `HTTP/1.0` or `HTTP/1.1`, as the status line says.
    pub version: Version,
    /// How its body is delimited.
    pub framing: Framing,
    /// Whether the server lets the connection carry another request
    /// (`Connection: close`, or HTTP/1.0 without `keep-alive`, or a body
    /// delimited by the close: not).
    pub keep_alive: bool,
}

/// Where a field's name and value are in the read buffer.
#[derive(Debug, Clone, Copy)]
struct Field {
    name: (usize, usize),
    value: (usize, usize),
}

/// Up to this many bytes, a response head still coming is parsed again at
/// every read (a malformed status line is an error at once); beyond, once
/// a blank line came or this many bytes more ([`Connection::read_head`]).
const PARSE_EVERY_READ: usize = 8 << 10;

/// Whether `bytes` hold the end of a head: a line feed followed by an empty
/// line (`\n\n`, or `\n\r\n`: httparse takes either line end).
fn has_blank_line(bytes: &[u8]) -> bool {
    memchr::memchr_iter(b'\n', bytes).any(|i| match bytes.get(i + 1) {
        Some(b'\n') => true,
        Some(b'\r') => bytes.get(i + 2) == Some(&b'\n'),
        _ => false,
    })
}

/// A response head parsed at the start of `buf`: the head, its length,
/// and its fields (offsets into `buf`) in `fields`. `Ok(None)`: not all
/// there yet. An interim (1xx) head is returned like any other.
fn parse_head(
    buf: &[u8],
    head_request: bool,
    fields: &mut Vec<Field>,
) -> Result<Option<(Head, usize)>, Error> {
    let mut slots = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_FIELDS];
    let mut response = httparse::Response::new(&mut []);
    let len = match httparse::ParserConfig::default().parse_response_with_uninit_headers(
        &mut response,
        buf,
        &mut slots,
    ) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(malformed(e.to_string())),
    };
    let status = response.code.expect("parsed");
    if status < 100 {
        return Err(malformed(format!("invalid status code {status:03}")));
    }
    let version = if response.version == Some(1) { Version::HTTP_11 } else { Version::HTTP_10 };
    let base = buf.as_ptr() as usize;
    fields.clear();
    let mut keep_alive = version == Version::HTTP_11;
    let mut said_close = false;
    let mut length: Option<u64> = None;
    let mut bad_length = false;
    let mut chunked: Option<bool> = None;
    for h in response.headers.iter() {
        let name = h.name.as_bytes();
        // An empty value need not point into `buf`.
        let value = match h.value.is_empty() {
            true => (0, 0),
            false => (h.value.as_ptr() as usize - base, h.value.len()),
        };
        fields.push(Field { name: (name.as_ptr() as usize - base, name.len()), value });
        if name.eq_ignore_ascii_case(b"content-length") {
            match content_length(h.value) {
                Some(n) if length.is_none_or(|l| l == n) => length = Some(n),
                _ => bad_length = true,
            }
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            // The last coding of the last field decides.
            let last = h.value.rsplit(|&b| b == b',').next().unwrap_or(b"");
            chunked = Some(last.trim_ascii().eq_ignore_ascii_case(b"chunked"));
        } else if name.eq_ignore_ascii_case(b"connection") {
            // Once any says close, a later keep-alive does not undo it.
            if said_close || has_token(h.value, b"close") {
                said_close = true;
                keep_alive = false;
            } else if !keep_alive {
                keep_alive = has_token(h.value, b"keep-alive");
            }
        }
    }
    let framing = match status {
        101 => return Err(malformed("101 Switching Protocols: hprobe does not upgrade")),
        100..=199 => Framing::Empty,
        204 | 304 => Framing::Empty,
        _ if head_request => Framing::Empty,
        _ => match (chunked, length) {
            (Some(_), _) if version == Version::HTTP_10 => {
                return Err(malformed("Transfer-Encoding in an HTTP/1.0 response"))
            }
            (Some(true), _) => Framing::Chunked,
            (Some(false), _) => Framing::UntilClose,
            (None, _) if bad_length => return Err(malformed("invalid Content-Length")),
            (None, Some(n)) => Framing::Length(n),
            (None, None) => Framing::UntilClose,
        },
    };
    let keep_alive = keep_alive && framing != Framing::UntilClose;
    Ok(Some((Head { status, version, framing, keep_alive }, len)))
}

/// A `Content-Length` value: digits, or a list of equal ones (`42, 42`).
fn content_length(value: &[u8]) -> Option<u64> {
    let mut found = None;
    for part in value.split(|&b| b == b',') {
        let part = part.trim_ascii();
        if part.is_empty() || part.len() > 19 || !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let n = part.iter().fold(0u64, |n, &d| n * 10 + u64::from(d - b'0'));
        if found.is_some_and(|f| f != n) {
            return None;
        }
        found = Some(n);
    }
    found
}

/// Whether a comma-separated field value holds `token` (any case).
fn has_token(value: &[u8], token: &[u8]) -> bool {
    value.split(|&b| b == b',').any(|t| t.trim_ascii().eq_ignore_ascii_case(token))
}

/// A body's framing as bytes come: where its data is and where it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyState {
    /// This many bytes of a `Content-Length` body to come.
    Length(u64),
    /// A chunk-size line is next.
    ChunkSize,
    /// This many bytes of a chunk to come.
    ChunkData(u64),
    /// The CRLF after a chunk's data is next.
    ChunkEnd,
    /// Trailer fields (this many bytes so far) up to an empty line.
    Trailers(usize),
    UntilClose,
    Done,
}

impl BodyState {
    fn new(framing: Framing) -> BodyState {
        match framing {
            Framing::Empty | Framing::Length(0) => BodyState::Done,
            Framing::Length(n) => BodyState::Length(n),
            Framing::Chunked => BodyState::ChunkSize,
            Framing::UntilClose => BodyState::UntilClose,
        }
    }

    /// Takes what it can of `input`: how many bytes it used, and within
    /// them the body's data (one run; the caller comes back for more). 0
    /// used and not done: more bytes are needed.
    fn step(&mut self, input: &[u8]) -> Result<(usize, Range<usize>), Error> {
        let mut used = 0;
        loop {
            let rest = &input[used..];
            match *self {
                BodyState::Done => return Ok((used, used..used)),
                BodyState::Length(left) => {
                    let take = left.min(rest.len() as u64) as usize;
                    *self = match left - take as u64 {
                        0 => BodyState::Done,
                        left => BodyState::Length(left),
                    };
                    return Ok((used + take, used..used + take));
                }
                BodyState::UntilClose => return Ok((input.len(), used..input.len())),
                BodyState::ChunkData(left) => {
                    let take = left.min(rest.len() as u64) as usize;
                    *self = match left - take as u64 {
                        0 => BodyState::ChunkEnd,
                        left => BodyState::ChunkData(left),
                    };
                    return Ok((used + take, used..used + take));
                }
                // httparse reads a size line with no digit at all (`\r\n`,
                // `;x\r\n`) as 0, the last chunk: a body cut short would
                // pass for a whole one (RFC 9112, 7.1: `1*HEXDIG`).
                BodyState::ChunkSize if rest.first().is_some_and(|b| !b.is_ascii_hexdigit()) => {
                    return Err(malformed("invalid chunk size line"))
                }
                BodyState::ChunkSize => match httparse::parse_chunk_size(rest) {
                    Ok(httparse::Status::Complete((n, size))) => {
                        used += n;
                        *self = match size {
                            0 => BodyState::Trailers(0),
                            size => BodyState::ChunkData(size),
                        };
                    }
                    Ok(httparse::Status::Partial) => return Ok((used, used..used)),
                    Err(_) => return Err(malformed("invalid chunk size line")),
                },
                BodyState::ChunkEnd => match rest {
                    [b'\r', b'\n', ..] => {
                        used += 2;
                        *self = BodyState::ChunkSize;
                    }
                    [] | [b'\r'] => return Ok((used, used..used)),
                    _ => return Err(malformed("no CRLF after a chunk's data")),
                },
                BodyState::Trailers(so_far) => {
                    let Some(end) = rest.iter().position(|&b| b == b'\n') else {
                        if so_far + rest.len() > MAX_TRAILERS {
                            return Err(malformed("trailer fields too long"));
                        }
                        return Ok((used, used..used));
                    };
                    let line = &rest[..=end];
                    if !line.ends_with(b"\r\n") {
                        return Err(malformed("a trailer line not ended by CRLF"));
                    }
                    // A trailer line is a field (`name: value`, RFC 9112,
                    // 7.1.2), else what follows a last chunk is no trailer
                    // but more of a body that was cut short.
                    if line.len() > 2 && !is_field_line(&line[..line.len() - 2]) {
                        return Err(malformed("a line after the last chunk that is no field"));
                    }
                    used += line.len();
                    *self = match line.len() {
                        2 => BodyState::Done,
                        n if so_far + n > MAX_TRAILERS => {
                            return Err(malformed("trailer fields too long"))
                        }
                        n => BodyState::Trailers(so_far + n),
                    };
                }
            }
        }
    }
}

/// Whether `line` (without its CRLF) is a header field: a token of a name,
/// a colon, then a value without control characters but tab.
fn is_field_line(line: &[u8]) -> bool {
    let Some(colon) = line.iter().position(|&b| b == b':') else { return false };
    let (name, value) = (&line[..colon], &line[colon + 1..]);
    !name.is_empty()
        && name.iter().all(|&b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
        && value.iter().all(|&b| b == b'\t' || !b.is_ascii_control())
}

/// The transport of an HTTP/1.1 connection: TCP, or TLS over it.
pub enum Io {
    Tcp(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl AsyncRead for Io {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Io::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Io {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Io::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Io::Tcp(s) => Pin::new(s).poll_flush(cx),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Io::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// The request's bytes: `METHOD target HTTP/1.1`, `headers` in their
/// order (names lower-case), and the body framed as hyper frames a body
/// of known length: `Content-Length` added when the body is not empty and
/// the headers give none; chunked (one chunk) when they give a
/// `Transfer-Encoding` (`chunked` added last if it is not), and then no
/// `Content-Length`; an empty body sends no `Transfer-Encoding`.
pub fn encode_request(
    method: &Method,
    target: &str,
    mut headers: HeaderMap,
    body: &[u8],
) -> Vec<u8> {
    let mut chunked = false;
    if body.is_empty() {
        headers.remove(header::TRANSFER_ENCODING);
    } else if let header::Entry::Occupied(mut te) = headers.entry(header::TRANSFER_ENCODING) {
        chunked = true;
        let last = te.iter().next_back().map(|v| v.as_bytes()).unwrap_or(b"");
        let last = last.rsplit(|&b| b == b',').next().unwrap_or(b"");
        if !last.trim_ascii().eq_ignore_ascii_case(b"chunked") {
            te.append(HeaderValue::from_static("chunked"));
        }
        headers.remove(header::CONTENT_LENGTH);
    } else {
        let given = headers.get_all(header::CONTENT_LENGTH).iter().next().is_some();
        if !given {
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
        }
    }
    let mut out = Vec::with_capacity(64 + target.len() + headers.len() * 32 + body.len() + 16);
    out.extend_from_slice(method.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(target.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\n");
    for (name, value) in &headers {
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    if chunked {
        out.extend_from_slice(format!("{:x}\r\n", body.len()).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\r\n0\r\n\r\n");
    } else {
        out.extend_from_slice(body);
    }
    out
}

/// One HTTP/1.1 connection: its transport and the buffer its answers are
/// read into.
pub struct Connection<T> {
    io: T,
    /// The read buffer: `buf[start..end]` is read and not yet used.
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// The fields of the head just read (until its body is read).
    fields: Vec<Field>,
    /// The length of the head just read, its body not yet read.
    head_len: Option<usize>,
    framing: Framing,
    keep_alive: bool,
    /// Whether a byte of the answer to the latest request came.
    answered: bool,
    /// Whether the connection can carry another request.
    reusable: bool,
    /// Whether the answer began before the whole request was written (the
    /// rest was not sent): the connection then carries nothing more.
    cut: bool,
}

/// A request that was not all written: how many of its bytes were.
#[derive(Debug)]
pub struct SendError {
    /// The request's bytes the transport took before the error.
    pub written: usize,
    /// What the write (or the flush) said.
    pub error: io::Error,
}

impl<T: AsyncRead + AsyncWrite + Unpin> Connection<T> {
    /// A connection over a transport just opened (TCP connected, TLS
    /// done): its read buffer allocated, nothing sent.
    pub fn new(io: T) -> Connection<T> {
        Connection {
            io,
            buf: vec![0; INITIAL_BUFFER],
            start: 0,
            end: 0,
            fields: Vec::new(),
            head_len: None,
            framing: Framing::Empty,
            keep_alive: false,
            answered: false,
            reusable: true,
            cut: false,
        }
    }

    /// Whether an idle connection can carry a request: it answered all
    /// before, and nothing (no byte, no close) has come since. Looks
    /// without waiting, and without a system call when tokio already knows
    /// the socket has nothing to read.
    pub fn idle(&mut self) -> bool {
        if !self.reusable || self.start != self.end {
            return false;
        }
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let mut probe = [0u8; 1];
        let mut probe = ReadBuf::new(&mut probe);
        matches!(Pin::new(&mut self.io).poll_read(&mut cx, &mut probe), Poll::Pending)
    }

    /// Writes a request (see [`encode_request`]): one write(2), unless the
    /// socket takes less. The error says how many bytes had gone.
    ///
    /// A server may answer before it has read the whole request (a 413 for
    /// a body too large) and then stop reading, or close: while the socket
    /// takes no more, and after a write that failed, whatever the server
    /// sent is read, and if an answer began, the rest of the request is
    /// not sent and `Ok` lets the caller read that answer, as hyper and
    /// curl report it. The connection then carries nothing more.
    pub async fn send(&mut self, request: &[u8]) -> Result<(), SendError> {
        self.answered = false;
        self.reusable = false;
        self.cut = false;
        self.head_len = None;
        let mut written = 0;
        while written < request.len() {
            let wrote = std::future::poll_fn(|cx| {
                match Pin::new(&mut self.io).poll_write(cx, &request[written..]) {
                    Poll::Ready(result) => Poll::Ready(Some(result)),
                    // The socket is full: has the server answered already?
                    Poll::Pending => match self.poll_fill(cx) {
                        // (A buffer full of interim answers ends the
                        // writing too: `read_head` makes room for more.)
                        Poll::Ready(Ok(1..))
                            if self.final_answer_began() || self.end == self.buf.len() =>
                        {
                            Poll::Ready(None)
                        }
                        // An interim answer (a 100 Continue), or too little
                        // to tell: kept for `read_head`, and the writing
                        // goes on.
                        Poll::Ready(Ok(1..)) => {
                            cx.waker().wake_by_ref();
                            Poll::Pending
                        }
                        Poll::Ready(Ok(0)) => {
                            Poll::Ready(Some(Err(io::ErrorKind::BrokenPipe.into())))
                        }
                        Poll::Ready(Err(e)) => Poll::Ready(Some(Err(e))),
                        Poll::Pending => Poll::Pending,
                    },
                }
            })
            .await;
            match wrote {
                None => {
                    self.cut = true;
                    return Ok(());
                }
                Some(Ok(0)) => {
                    return Err(SendError { written, error: io::ErrorKind::WriteZero.into() })
                }
                Some(Ok(n)) => written += n,
                Some(Err(error)) => {
                    // An answer may have come before the close that broke
                    // the write.
                    if self.start < self.end || matches!(self.fill().await, Ok(1..)) {
                        self.cut = true;
                        return Ok(());
                    }
                    return Err(SendError { written, error });
                }
            }
        }
        self.io.flush().await.map_err(|error| SendError { written, error })
    }

    /// Whether what came while the request was being written begins a
    /// final answer (or is no HTTP/1.x at all, for `read_head` to say so),
    /// rather than interim ones (`HTTP/1.1 1xx`, which a server may send
    /// before it reads a body) or too few bytes to tell.
    fn final_answer_began(&self) -> bool {
        let mut at = self.start;
        loop {
            let rest = &self.buf[at..self.end];
            // The status code's first digit is at 9: `HTTP/1.1 100 ...`.
            if rest.len() < 10 {
                return false;
            }
            if !rest.starts_with(b"HTTP/1.") || rest[9] != b'1' {
                return true;
            }
            match rest.windows(4).position(|w| w == b"\r\n\r\n") {
                Some(end) => at += end + 4,
                None => return false,
            }
        }
    }

    /// [`Connection::fill`] for an idle connection's empty buffer, as a
    /// poll: how many bytes came (0: closed).
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        if self.start == self.end {
            (self.start, self.end) = (0, 0);
        }
        if self.end == self.buf.len() {
            // Room enough for an answer's start; the rest is read later.
            return Poll::Ready(Ok(1));
        }
        self.poll_read_more(cx)
    }

    /// Reads what the transport has into the free end of the buffer (the
    /// caller made room): how many bytes came (0: closed).
    fn poll_read_more(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let mut room = ReadBuf::new(&mut self.buf[self.end..]);
        std::task::ready!(Pin::new(&mut self.io).poll_read(cx, &mut room))?;
        let n = room.filled().len();
        self.end += n;
        self.answered |= n > 0;
        Poll::Ready(Ok(n))
    }

    /// Whether a byte of the answer to the latest request came.
    pub fn answered(&self) -> bool {
        self.answered
    }

    /// Reads more into the buffer: how many bytes came (0: the server
    /// closed the connection).
    async fn fill(&mut self) -> Result<usize, Error> {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
        if self.end == self.buf.len() {
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            } else if self.buf.len() < MAX_BUFFER {
                let len = (self.buf.len() * 2).min(MAX_BUFFER);
                self.buf.resize(len, 0);
            } else {
                return Err(malformed(format!("a response head or line over {MAX_BUFFER} bytes")));
            }
        }
        let room = self.buf.len() - self.end;
        let n = std::future::poll_fn(|cx| self.poll_read_more(cx)).await.map_err(Error::Io)?;
        if n == room && self.buf.len() < MAX_READ {
            // A 20 MB body from nginx 100 times (-n 100 -c 1): system time
            // 0.59-0.68 s in 8 KiB reads, 0.38-0.45 s growing (hyper's
            // client: 0.42-0.48 s).
            self.buf.resize(self.buf.len() * 2, 0);
        }
        Ok(n)
    }

    /// Reads the response's head (interim 1xx ones skipped). `head_request`:
    /// the request was a HEAD (no body follows). The head's fields are then
    /// in [`Connection::fields`] until [`Connection::read_body`].
    pub async fn read_head(&mut self, head_request: bool) -> Result<Head, Error> {
        // How many bytes of the head being read are known to hold no end
        // of head, and how many were there when it was last parsed: past
        // the first 8 KiB, it is parsed again when a blank line came or
        // 8 KiB more did, not from its start at every read (a 400 KB head
        // in 100-byte pieces: 0.12 s of CPU, then under 0.01 s). A bad
        // line past 8 KiB is then found within 8 KiB more of the head (or
        // at its end); a server that stops sending right after it meets
        // the timeout instead.
        let (mut open, mut parsed_at) = (0, 0);
        loop {
            let avail = &self.buf[self.start..self.end];
            if avail.len() > PARSE_EVERY_READ
                && avail.len() - parsed_at < PARSE_EVERY_READ
                && !has_blank_line(&avail[open.max(2) - 2..])
            {
                open = avail.len();
                if self.fill().await? == 0 {
                    return Err(Error::Closed);
                }
                continue;
            }
            let parsed = parse_head(avail, head_request, &mut self.fields)?;
            match parsed {
                Some((head, len)) if (100..200).contains(&head.status) => {
                    self.start += len;
                    (open, parsed_at) = (0, 0);
                }
                Some((head, len)) => {
                    // Offsets from the buffer's start, not the head's.
                    for f in &mut self.fields {
                        f.name.0 += self.start;
                        f.value.0 += self.start;
                    }
                    self.head_len = Some(len);
                    self.framing = head.framing;
                    self.keep_alive = head.keep_alive;
                    return Ok(head);
                }
                None => {
                    (open, parsed_at) = (avail.len(), avail.len());
                    if self.fill().await? == 0 {
                        return Err(Error::Closed);
                    }
                }
            }
        }
    }

    /// The fields of the head just read, in their order: name (as sent)
    /// and value (without surrounding spaces). Empty once the body is read.
    pub fn fields(&self) -> impl Iterator<Item = (&[u8], &[u8])> + Clone {
        let fields = if self.head_len.is_some() { &self.fields[..] } else { &[] };
        fields.iter().map(|f| {
            let name = &self.buf[f.name.0..f.name.0 + f.name.1];
            let value = &self.buf[f.value.0..f.value.0 + f.value.1];
            (name, value)
        })
    }

    /// Reads the body of the head just read, counting its bytes into
    /// `bytes` as they come: its XXH3-64. The connection is then reusable
    /// if the server allowed it and nothing came after the answer.
    pub async fn read_body(&mut self, bytes: &mut u64) -> Result<u64, Error> {
        let Some(len) = self.head_len.take() else {
            return Err(malformed("no response head read"));
        };
        self.start += len;
        let mut body = BodyState::new(self.framing);
        let mut streaming: Option<Box<twox_hash::XxHash3_64>> = None;
        let mut whole = None;
        while body != BodyState::Done {
            let (used, data) = match body.step(&self.buf[self.start..self.end])? {
                (0, _) => {
                    if self.fill().await? == 0 {
                        if body == BodyState::UntilClose {
                            break;
                        }
                        return Err(Error::Closed);
                    }
                    continue;
                }
                step => step,
            };
            let data = &self.buf[self.start + data.start..self.start + data.end];
            self.start += used;
            if data.is_empty() {
                continue;
            }
            *bytes += data.len() as u64;
            if streaming.is_none() && body == BodyState::Done {
                // All the body in one piece, as small answers come: hashed
                // at once, without a streaming hasher (a 192-byte secret
                // allocated and 256 bytes zeroed).
                whole = Some(twox_hash::XxHash3_64::oneshot(data));
            } else {
                use std::hash::Hasher as _;
                streaming.get_or_insert_with(Default::default).write(data);
            }
        }
        self.reusable = self.keep_alive && self.start == self.end && !self.cut;
        use std::hash::Hasher as _;
        Ok(match (whole, streaming) {
            (Some(hash), _) => hash,
            (None, Some(hasher)) => hasher.finish(),
            (None, None) => twox_hash::XxHash3_64::oneshot(b""),
        })
    }

    /// Whether the connection can carry another request (the answer to
    /// the latest one read whole, and the server allowed it).
    pub fn reusable(&self) -> bool {
        self.reusable
    }
}

/// Runs a future whose transport never waits (a test's or a fuzz
/// target's bytes in memory) to its end.
#[doc(hidden)]
pub fn run_ready<F: std::future::Future>(future: F) -> F::Output {
    let mut cx = Context::from_waker(std::task::Waker::noop());
    let mut future = std::pin::pin!(future);
    match future.as_mut().poll(&mut cx) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("run_ready: the future waited"),
    }
}

/// A transport over bytes in memory, for tests and fuzzing: reads give the
/// pieces in turn, then the end; writes are kept.
#[doc(hidden)]
pub struct Scripted {
    pub pieces: std::collections::VecDeque<Vec<u8>>,
    pub written: Vec<u8>,
}

impl AsyncRead for Scripted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if let Some(piece) = self.pieces.front_mut() {
            let n = piece.len().min(buf.remaining());
            buf.put_slice(&piece[..n]);
            piece.drain(..n);
            if piece.is_empty() {
                self.pieces.pop_front();
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Scripted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.written.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// What a response read by [`read_scripted`] gave.
#[doc(hidden)]
#[derive(Debug)]
pub struct Answer {
    pub head: Head,
    /// The fields named as asked, joined with `, `.
    pub captured: Option<Vec<u8>>,
    /// The body's length and XXH3-64.
    pub bytes: u64,
    pub hash: u64,
    /// Whether the connection could carry another request (nothing came
    /// after the answer, in its read or later).
    pub reusable: bool,
}

/// Reads a response from `pieces` (one read each), capturing the fields
/// named `capture`; or the error, with the bytes of body counted before
/// it.
#[doc(hidden)]
pub fn read_scripted(
    pieces: Vec<Vec<u8>>,
    head_request: bool,
    capture: &[u8],
) -> Result<Answer, (Error, u64)> {
    let io = Scripted { pieces: pieces.into(), written: Vec::new() };
    let mut conn = Connection::new(io);
    run_ready(async {
        conn.send(b"GET / HTTP/1.1\r\n\r\n").await.map_err(|e| (Error::Io(e.error), 0))?;
        let head = conn.read_head(head_request).await.map_err(|e| (e, 0))?;
        let mut captured: Option<Vec<u8>> = None;
        for (name, value) in conn.fields() {
            if name.eq_ignore_ascii_case(capture) {
                match &mut captured {
                    None => captured = Some(value.to_vec()),
                    Some(c) => {
                        c.extend_from_slice(b", ");
                        c.extend_from_slice(value);
                    }
                }
            }
        }
        let mut bytes = 0;
        let hash = conn.read_body(&mut bytes).await.map_err(|e| (e, bytes))?;
        // Bytes not yet read would have made the connection not idle.
        let reusable = conn.reusable() && conn.io.pieces.is_empty();
        Ok(Answer { head, captured, bytes, hash, reusable })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn xxh3(bytes: &[u8]) -> u64 {
        twox_hash::XxHash3_64::oneshot(bytes)
    }

    /// `bytes` cut at `cuts` (positions, any order, any repeats).
    fn split(bytes: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
        cuts.sort_unstable();
        cuts.dedup();
        let mut pieces = Vec::new();
        let mut from = 0;
        for c in cuts.into_iter().chain([bytes.len()]) {
            if c > from {
                pieces.push(bytes[from..c].to_vec());
                from = c;
            }
        }
        pieces
    }

    type Got = (Head, Option<Vec<u8>>, u64, u64, bool);

    fn read(bytes: &[u8], head_request: bool) -> Result<Got, Error> {
        let got = read_scripted(vec![bytes.to_vec()], head_request, b"x-cache");
        let a = got.map_err(|(e, _)| e)?;
        Ok((a.head, a.captured, a.bytes, a.hash, a.reusable))
    }

    #[test]
    fn content_length_body() {
        let r = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Cache: HIT\r\n\r\nhello";
        let (head, captured, bytes, hash, reusable) = read(r, false).unwrap();
        assert_eq!(head.status, 200);
        assert_eq!(head.version, Version::HTTP_11);
        assert_eq!(head.framing, Framing::Length(5));
        assert_eq!(captured.as_deref(), Some(&b"HIT"[..]));
        assert_eq!((bytes, hash, reusable), (5, xxh3(b"hello"), true));
    }

    /// A body bigger than the buffer, in reads that fill it: the buffer
    /// grows, and no byte is lost or hashed twice.
    #[test]
    fn a_big_body_in_full_reads() {
        let body: Vec<u8> = (0..1_000_003u32).map(|i| (i * 31 % 253) as u8).collect();
        for head in
            [&b"HTTP/1.1 200 OK\r\nContent-Length: 1000003\r\n\r\n"[..], b"HTTP/1.0 200 OK\r\n\r\n"]
        {
            let bytes = [head, &body].concat();
            let (_, _, n, hash, _) = read(&bytes, false).unwrap();
            assert_eq!((n, hash), (body.len() as u64, xxh3(&body)));
        }
    }

    #[test]
    fn chunked_body_with_extensions_and_trailers() {
        let r = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n\
                  5;ext=1\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nEtag: x\r\nA: b\r\n\r\n";
        let (head, _, bytes, hash, reusable) = read(r, false).unwrap();
        assert_eq!(head.framing, Framing::Chunked);
        assert_eq!((bytes, hash, reusable), (11, xxh3(b"hello world"), true));
    }

    #[test]
    fn no_body_for_head_204_304() {
        let r = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
        let (head, _, bytes, hash, reusable) = read(r, true).unwrap();
        assert_eq!((head.framing, bytes, hash, reusable), (Framing::Empty, 0, xxh3(b""), true));
        for status in ["204 No Content", "304 Not Modified"] {
            let r = format!("HTTP/1.1 {status}\r\nContent-Length: 5\r\n\r\n");
            let (head, _, bytes, _, reusable) = read(r.as_bytes(), false).unwrap();
            assert_eq!((head.framing, bytes, reusable), (Framing::Empty, 0, true));
        }
    }

    #[test]
    fn interim_answers_are_skipped_and_101_refused() {
        let r = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n\
                  HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok";
        let (head, _, bytes, hash, _) = read(r, false).unwrap();
        assert_eq!((head.status, bytes, hash), (201, 2, xxh3(b"ok")));
        let r = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n";
        assert!(matches!(read(r, false), Err(Error::Malformed(_))));
    }

    #[test]
    fn until_close_and_reuse() {
        let r = b"HTTP/1.0 200 OK\r\n\r\nhello";
        let (head, _, bytes, _, reusable) = read(r, false).unwrap();
        assert_eq!(
            (head.version, head.framing, bytes, reusable),
            (Version::HTTP_10, Framing::UntilClose, 5, false)
        );
        let r = b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n";
        assert!(read(r, false).unwrap().4, "HTTP/1.0 with keep-alive");
        let r = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
        assert!(!read(r, false).unwrap().4);
        let r = b"HTTP/1.1 200 OK\r\nConnection: close\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n";
        assert!(!read(r, false).unwrap().4, "a later keep-alive does not undo close");
        // Bytes after the answer: the connection is not used again.
        let r = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n";
        let (_, _, bytes, _, reusable) = read(r, false).unwrap();
        assert_eq!((bytes, reusable), (2, false));
        // A Transfer-Encoding not ending in chunked: until the close.
        let r = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 1\r\n\r\nabc";
        let (head, _, bytes, _, reusable) = read(r, false).unwrap();
        assert_eq!((head.framing, bytes, reusable), (Framing::UntilClose, 3, false));
    }

    #[test]
    fn bad_answers_are_errors() {
        let bad: [&[u8]; 12] = [
            b"SSH-2.0-nope\r\n\r\n",
            b"\x00\x01\x02\xff\xfe garbage\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
            b"HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\nhello",
            b"HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokX\r\n0\r\n\r\n",
            b"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nbad\n\r\n",
            // A size line without a digit is no last chunk, and what follows
            // a last chunk must be fields: a body cut short is no whole one.
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n\r\n6\r\n world\r\n0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n;x\r\n6\r\n world\r\n0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nnot a field\r\n\r\n",
        ];
        for r in bad {
            assert!(
                matches!(read(r, false), Err(Error::Malformed(_))),
                "{:?}",
                String::from_utf8_lossy(r)
            );
        }
        // Cut short: closed, with the body bytes that came counted.
        let r = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789";
        let err = read_scripted(vec![r.to_vec()], false, b"").unwrap_err();
        assert!(matches!(err, (Error::Closed, 10)), "{err:?}");
        assert!(matches!(read(b"", false), Err(Error::Closed)));
        assert!(matches!(read(b"HTTP/1.1 200 OK\r\n", false), Err(Error::Closed)));
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n";
        assert!(matches!(read(chunked, false), Err(Error::Closed)));
    }

    #[test]
    fn requests_are_framed_as_hyper_frames_them() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("a:81"));
        let get = encode_request(&Method::GET, "/x?y", h.clone(), b"");
        assert_eq!(get, b"GET /x?y HTTP/1.1\r\nhost: a:81\r\n\r\n");
        let post = encode_request(&Method::POST, "/", h.clone(), b"a=1");
        assert_eq!(post, b"POST / HTTP/1.1\r\nhost: a:81\r\ncontent-length: 3\r\n\r\na=1");
        h.insert(header::TRANSFER_ENCODING, HeaderValue::from_static("gzip"));
        h.insert(header::CONTENT_LENGTH, HeaderValue::from_static("3"));
        let chunked = encode_request(&Method::POST, "/", h, b"a=1");
        assert_eq!(
            chunked,
            &b"POST / HTTP/1.1\r\nhost: a:81\r\ntransfer-encoding: gzip\r\n\
               transfer-encoding: chunked\r\n\r\n3\r\na=1\r\n0\r\n\r\n"[..]
        );
    }

    /// A body framed by the test itself: chunked (in chunks of the given
    /// sizes, 0 left out) or with a Content-Length.
    fn frame(body: &[u8], chunks: Option<&[usize]>, extra: &[(String, String)]) -> Vec<u8> {
        let mut out = b"HTTP/1.1 200 OK\r\n".to_vec();
        for (name, value) in extra {
            out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
        match chunks {
            None => {
                out.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
                out.extend_from_slice(body);
            }
            Some(sizes) => {
                out.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n");
                let mut rest = body;
                for &size in sizes.iter().cycle().take(body.len() + 1) {
                    if rest.is_empty() {
                        break;
                    }
                    let n = size.clamp(1, rest.len());
                    out.extend_from_slice(format!("{n:X}\r\n").as_bytes());
                    out.extend_from_slice(&rest[..n]);
                    out.extend_from_slice(b"\r\n");
                    rest = &rest[n..];
                }
                out.extend_from_slice(b"0\r\nX-Trailer: t\r\n\r\n");
            }
        }
        out
    }

    /// A bad line past the first 8 KiB of a head, then more lines and no
    /// end: the error is the bad line's, found once 8 KiB more came, not
    /// the close (or, on a live server, the timeout) at the end.
    #[test]
    fn a_bad_line_deep_in_a_head_is_found_before_its_end() {
        let mut head = b"HTTP/1.1 200 OK\r\n".to_vec();
        let line = |i: usize| format!("X-F{i:02}: {}\r\n", "v".repeat(90)).into_bytes();
        for i in 0..90 {
            head.extend(line(i));
        }
        head.extend_from_slice(b"No colon here\r\n");
        for i in 0..99 {
            head.extend(line(i));
        }
        let pieces = head.chunks(100).map(<[u8]>::to_vec).collect();
        match read_scripted(pieces, false, b"x") {
            Err((Error::Malformed(what), 0)) => assert_eq!(what, "invalid header name"),
            other => panic!("{:?}", other.map(|a| a.head.status).map_err(|(e, _)| e.to_string())),
        }
    }

    proptest! {
        /// Any split of a well-framed answer gives the status, the
        /// captured values, the body's size and hash that the test framed,
        /// and a reusable connection.
        #[test]
        fn splits_do_not_change_the_answer(
            body in proptest::collection::vec(any::<u8>(), 0..3000),
            chunked in any::<bool>(),
            sizes in proptest::collection::vec(1usize..700, 1..5),
            values in proptest::collection::vec("[a-zA-Z0-9=;, ]{0,20}", 0..4),
            cuts in proptest::collection::vec(any::<usize>(), 0..12),
        ) {
            let extra: Vec<(String, String)> = values.iter().map(|v| ("X-Cache".to_string(), v.clone())).collect();
            let bytes = frame(&body, chunked.then_some(&sizes[..]), &extra);
            let got = read_scripted(split(&bytes, &cuts), false, b"X-CACHE");
            let Answer { head, captured, bytes: n, hash, reusable } = got.map_err(|(e, _)| e.to_string()).unwrap();
            prop_assert_eq!(head.status, 200);
            // httparse trims a value's surrounding spaces.
            let want = (!values.is_empty()).then(|| values.iter().map(|v| v.trim_matches(' ')).collect::<Vec<_>>().join(", ").into_bytes());
            prop_assert_eq!(captured, want);
            prop_assert_eq!(n, body.len() as u64);
            prop_assert_eq!(hash, xxh3(&body));
            prop_assert!(reusable);
        }

        /// A head longer than what is parsed at every read, its lines
        /// ending in `\r\n` or `\n`, after an interim answer or not, in
        /// pieces of any size (many small ones): the same answer as in one
        /// piece, whichever piece brings its end (a blank line split over
        /// two pieces included).
        #[test]
        fn long_heads_in_pieces(
            lines in proptest::collection::vec((1usize..2000, any::<bool>()), 1..40),
            interim in any::<bool>(),
            blank_lf in any::<bool>(),
            cuts in proptest::collection::vec(any::<usize>(), 0..60),
            step in 1usize..300,
        ) {
            let mut bytes = Vec::new();
            if interim {
                bytes.extend_from_slice(b"HTTP/1.1 100 Continue\r\n\r\n");
            }
            bytes.extend_from_slice(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n");
            for (i, (len, lf)) in lines.iter().enumerate() {
                bytes.extend_from_slice(format!("X-F{i}: {}", "v".repeat(*len)).as_bytes());
                bytes.extend_from_slice(if *lf { b"\n" } else { b"\r\n" });
            }
            bytes.extend_from_slice(if blank_lf { b"\nok" } else { b"\r\nok" });
            let whole = read_scripted(vec![bytes.clone()], false, b"x-f0").map_err(|(e, _)| e.to_string());
            // The last third in pieces of `step` bytes, the rest at `cuts`.
            let mut cuts = cuts;
            cuts.extend((bytes.len() * 2 / 3..bytes.len()).step_by(step));
            let pieces = read_scripted(split(&bytes, &cuts), false, b"x-f0").map_err(|(e, _)| e.to_string());
            let whole = whole.unwrap();
            let pieces = pieces.unwrap();
            prop_assert_eq!(pieces.head.status, 200);
            prop_assert_eq!(&pieces.captured, &whole.captured);
            prop_assert_eq!(pieces.captured.map(|c| c.len()), Some(lines[0].0));
            prop_assert_eq!((pieces.bytes, pieces.hash), (2, xxh3(b"ok")));
        }

        /// Whatever comes, an answer or an error, never a panic; and an
        /// answer cut anywhere is an error, never a shorter answer.
        #[test]
        fn cut_or_damaged_answers_are_errors(
            body in proptest::collection::vec(any::<u8>(), 1..500),
            chunked in any::<bool>(),
            keep in any::<usize>(),
            noise in proptest::collection::vec(any::<u8>(), 0..64),
            at in any::<usize>(),
            cuts in proptest::collection::vec(any::<usize>(), 0..6),
        ) {
            let bytes = frame(&body, chunked.then_some(&[7usize][..]), &[]);
            let cut = &bytes[..keep % bytes.len()];
            prop_assert!(read_scripted(split(cut, &cuts), false, b"x").is_err());
            let mut damaged = bytes.clone();
            let at = at % damaged.len();
            damaged.splice(at..at, noise);
            let _ = read_scripted(split(&damaged, &cuts), false, b"x");
        }
    }
}
