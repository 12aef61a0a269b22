//! What to request: URLs from the command line, or targets read from
//! standard input (plain URLs, records with `url`, or lparse records
//! replayed against `--base`).

use anyhow::{anyhow, bail, Result};
use http::header::{HeaderName, HeaderValue, REFERER, USER_AGENT};
use http::{Method, Uri};
use logkit_common::record as f;
use logkit_common::url::split_authority;
use serde_json::{Map, Value};
use std::sync::Arc;

/// One request to make.
#[derive(Debug, Clone)]
pub struct Target {
    /// The method to send.
    pub method: Method,
    /// Absolute: scheme, authority, path and query; never a userinfo
    /// (that is in `auth`).
    pub uri: Uri,
    /// The URL as records print it (a password masked).
    pub url: Arc<str>,
    /// Headers of this target only (a replayed request's user agent and
    /// referer); `-H` headers win over them.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// When the replayed request was made (for `--replay-speed`).
    pub ts: Option<jiff::Timestamp>,
    /// A request from a log (an lparse record): sent with the headers it
    /// had, and no default `User-Agent` when it had none.
    pub replayed: bool,
    /// The credentials of the URL's userinfo, sent as Basic auth.
    pub auth: Option<Arc<Credentials>>,
    /// Where its connection goes (found once, not for every request).
    pub origin: crate::client::Origin,
    /// The record's `method`, `url`, `vhost`, `path` and `query`, as JSON
    /// fields, encoded once (a command-line URL serves every request): the
    /// method and URL given to [`Target::new`].
    pub fields: Box<[u8]>,
    /// What an HTTP/1.1 request to `uri` carries, made once (not for every
    /// request: 550 to 630 instructions fewer a request, callgrind): the
    /// `Host` header's value and the origin-form target.
    pub host: Option<HeaderValue>,
    pub origin_form: Uri,
    /// The HTTP/1.1 request to `uri` as it goes on the wire (head and
    /// body, before any redirect), encoded at its first sending for all
    /// the others: `crate::h1`.
    pub h1_request: std::sync::OnceLock<Box<[u8]>>,
}

impl Target {
    /// A target with no headers of its own, not from a log.
    pub fn new(method: Method, url: Url) -> Target {
        let shown = url.shown();
        let fields = record_fields(&method, &shown, &url.uri);
        Target {
            origin: crate::client::Origin::of(&url.uri),
            host: host_header(&url.uri),
            origin_form: origin_form(&url.uri),
            h1_request: std::sync::OnceLock::new(),
            method,
            uri: url.uri,
            url: Arc::from(shown),
            headers: Vec::new(),
            ts: None,
            replayed: false,
            auth: url.auth,
            fields,
        }
    }
}

/// The `Host` header of an HTTP/1.1 request to `uri`: its authority,
/// without a userinfo.
pub fn host_header(uri: &Uri) -> Option<HeaderValue> {
    let authority = uri.authority()?;
    let host = authority.as_str().rsplit('@').next().unwrap_or("");
    HeaderValue::from_str(host).ok()
}

/// The request target of an HTTP/1.1 request to `uri` (RFC 9112, 3.2.1):
/// its path and query.
pub fn origin_form(uri: &Uri) -> Uri {
    uri.path_and_query().map(|pq| Uri::from(pq.clone())).unwrap_or_else(|| Uri::from_static("/"))
}

/// `"method":…,"url":…,"vhost":…,"path":…,"query":…` (docs/records.md):
/// the URL's host as lparse's `vhost`, its path and query (without `?`,
/// left out when there is none) as lparse's `path` and `query`.
fn record_fields(method: &Method, shown: &str, uri: &Uri) -> Box<[u8]> {
    let mut out = Vec::with_capacity(shown.len() * 2 + 48);
    let mut obj = logkit_common::json::Object::new(&mut out);
    obj.str(f::METHOD, method.as_str());
    obj.str(f::URL, shown);
    if let Some(host) = uri.host() {
        obj.str(f::VHOST, host);
    }
    obj.str(f::PATH, uri.path());
    if let Some(query) = uri.query() {
        obj.str(f::QUERY, query);
    }
    obj.finish();
    // Without the braces, for Object::raw_fields.
    out[1..out.len() - 1].into()
}

/// A URL as given by a user: what to request, and the credentials its
/// userinfo carried (`http://user:pass@host/`).
#[derive(Debug, Clone)]
pub struct Url {
    /// The URL without its userinfo.
    pub uri: Uri,
    pub auth: Option<Arc<Credentials>>,
}

impl Url {
    /// The URL for records and messages: the userinfo with its password
    /// masked (`http://user:***@host/`).
    pub fn shown(&self) -> String {
        match &self.auth {
            None => self.uri.to_string(),
            Some(auth) => {
                let text = self.uri.to_string();
                match text.split_once("://") {
                    Some((scheme, rest)) => format!("{scheme}://{}@{rest}", auth.shown),
                    None => text,
                }
            }
        }
    }
}

/// Credentials from a URL's userinfo, sent as curl sends them: an
/// `Authorization: Basic` header of the percent-decoded `user:password`
/// (an empty password when there is none), to the URL's origin only.
#[derive(Debug)]
pub struct Credentials {
    /// The userinfo as records show it: `user:***`, or `user`.
    pub shown: String,
    /// `Basic base64(user:password)`.
    pub header: HeaderValue,
}

impl Credentials {
    fn of(userinfo: &str) -> Result<Credentials> {
        use base64::Engine as _;
        let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
        let mut plain = percent_decode(user);
        plain.push(b':');
        plain.extend_from_slice(&percent_decode(password));
        let encoded = base64::engine::general_purpose::STANDARD.encode(&plain);
        let header = HeaderValue::from_str(&format!("Basic {encoded}"))?;
        let shown = if userinfo.contains(':') {
            format!("{}:{MASK}", encode_unsafe(user.as_bytes()))
        } else {
            encode_unsafe(user.as_bytes())
        };
        Ok(Credentials { shown, header })
    }
}

/// What a password is written as, wherever hprobe writes a URL.
pub const MASK: &str = "***";

/// `%XX` sequences decoded (others kept as they are).
fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// `text` with the password of its userinfo, if any, masked: for
/// messages about a URL that could not be used.
pub fn mask_password(text: &str) -> String {
    if !text.contains("://") {
        let masked = mask_password(&format!("http://{text}"));
        return masked["http://".len()..].to_string();
    }
    match split_authority(text) {
        Some((scheme, Some(userinfo), host_port, rest)) => {
            let user = userinfo
                .split_once(':')
                .map_or(userinfo.to_string(), |(user, _)| format!("{user}:{MASK}"));
            format!("{scheme}{user}@{host_port}{rest}")
        }
        _ => text.to_string(),
    }
}

/// A host name in its ASCII form (IDNA, UTS #46, as curl does with
/// libidn2): `bücher.test` → `xn--bcher-kva.test`. ASCII names and
/// address literals are kept as they are.
pub fn ascii_host(host: &str) -> Result<String, String> {
    if host.is_ascii() {
        return Ok(host.to_string());
    }
    idna::domain_to_ascii(host).map_err(|_| format!("bad host name {host:?} (IDNA)"))
}

/// Parses a URL given by a user (see [`parse_user_url`]), without
/// credentials: a userinfo is refused.
pub fn parse_url(text: &str) -> Result<Uri> {
    let url = parse_user_url(text)?;
    if url.auth.is_some() {
        bail!("bad URL {:?}: credentials are not allowed here", short(&mask_password(text)));
    }
    Ok(url.uri)
}

/// Parses a URL given by a user. A missing scheme means `http://` (as in
/// curl); a Unicode host name is turned into its ASCII form (IDNA); a
/// userinfo (`user:password@`) becomes [`Credentials`]; bytes that may not
/// appear in a URL (spaces, non-ASCII, quotes) are percent-encoded rather
/// than refused. Port 0 is refused, as curl refuses it.
pub fn parse_user_url(text: &str) -> Result<Url> {
    let text = text.trim();
    let with_scheme;
    let full = if has_scheme(text) {
        text
    } else {
        with_scheme = format!("http://{text}");
        &with_scheme
    };
    let bad =
        |why: &dyn std::fmt::Display| anyhow!("bad URL {:?}: {why}", short(&mask_password(text)));
    let (scheme, userinfo, host_port, rest) =
        split_authority(full).ok_or_else(|| bad(&"no scheme"))?;
    let host_port = if host_port.starts_with('[') {
        host_port.to_string()
    } else {
        let (host, port) = match host_port.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        };
        let mut out = ascii_host(host).map_err(|e| bad(&e))?;
        if let Some(port) = port {
            out.push(':');
            out.push_str(port);
        }
        out
    };
    let auth = userinfo.map(Credentials::of).transpose().map_err(|e| bad(&e))?.map(Arc::new);
    let joined = format!("{scheme}{host_port}{rest}");
    let uri: Uri = encode_unsafe(joined.as_bytes()).parse().map_err(|e| bad(&e))?;
    match uri.scheme_str() {
        Some("http") | Some("https") => {}
        _ => return Err(bad(&"only http:// and https:// are supported")),
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(bad(&"no host"));
    }
    let authority = uri.authority().map_or("", |a| a.as_str());
    if let Some((_, port)) = authority.rsplit_once(':').filter(|_| !authority.ends_with(']')) {
        match port.parse::<u16>() {
            Ok(0) => return Err(bad(&"port 0 (no server listens on it)")),
            Ok(_) => {}
            Err(_) => return Err(bad(&format!("bad port {port:?}"))),
        }
    }
    // An empty path is `/` on the wire; say so in records too.
    let uri = if uri.path_and_query().is_none() {
        let mut parts = uri.into_parts();
        parts.path_and_query = Some(http::uri::PathAndQuery::from_static("/"));
        Uri::from_parts(parts)?
    } else {
        uri
    };
    Ok(Url { uri, auth })
}

/// `text` cut to a length fit for a message.
fn short(text: &str) -> String {
    match text.char_indices().nth(200) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text.to_string(),
    }
}

/// Whether `text` starts with a URL scheme (`http://`, `https://`, ...),
/// rather than merely holding `://` somewhere (`/login?next=http://x`).
pub fn has_scheme(text: &str) -> bool {
    match text.split_once("://") {
        Some((scheme, _)) => {
            let mut chars = scheme.chars();
            chars.next().is_some_and(|c| c.is_ascii_alphabetic())
                && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        }
        None => false,
    }
}

/// Percent-encodes the bytes that cannot appear in a request target as
/// they are: controls, space, `"<>\^`{|}`, DEL and everything non-ASCII.
/// `%` is left alone: a log's path is already encoded as it was sent.
pub fn encode_unsafe(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b <= b' ' || b >= 0x7f || b"\"<>\\^`{|}".contains(&b) {
            out.push_str(&format!("%{b:02X}"));
        } else {
            out.push(b as char);
        }
    }
    out
}

/// Turns lines of standard input into targets.
pub struct TargetReader {
    /// `--base`: where to replay records that have a `path` but no `url`.
    base: Option<Url>,
    /// `-m`, overriding a record's method.
    method: Option<Method>,
    /// The method for targets that do not say.
    default_method: Method,
}

impl TargetReader {
    /// A reader replaying paths against `base`, with `method` (`-m`) over
    /// any record's and `default_method` for targets that name none.
    pub fn new(base: Option<Url>, method: Option<Method>, default_method: Method) -> Self {
        TargetReader { base, method, default_method }
    }

    /// Parses one line: `Ok(None)` for a blank one.
    pub fn parse(&self, line: &[u8]) -> Result<Option<Target>> {
        let line = line.trim_ascii();
        if line.is_empty() {
            return Ok(None);
        }
        if line[0] == b'{' {
            let record: Map<String, Value> =
                serde_json::from_slice(line).map_err(|e| anyhow!("not a JSON object: {e}"))?;
            return self.target_of_record(&record).map(Some);
        }
        let text = std::str::from_utf8(line).map_err(|_| anyhow!("URL is not UTF-8"))?;
        let url = match (&self.base, text.starts_with('/')) {
            (Some(base), true) => join(base, text.as_bytes())?,
            (None, true) => bail!("a path without a host: give --base URL to replay paths"),
            _ => parse_user_url(text)?,
        };
        Ok(Some(Target::new(self.method.clone().unwrap_or(self.default_method.clone()), url)))
    }

    fn target_of_record(&self, record: &Map<String, Value>) -> Result<Target> {
        let method = match (&self.method, text_field(record, f::METHOD)?) {
            (Some(m), _) => m.clone(),
            (None, Some(m)) => Method::from_bytes(&m.to_ascii_uppercase())
                .map_err(|_| anyhow!("bad method {:?}", lossy(&m)))?,
            (None, None) => self.default_method.clone(),
        };
        let url = if let Some(url) = record.get(f::URL).and_then(Value::as_str) {
            parse_user_url(url)?
        } else if let Some(path) = text_field(record, f::PATH)? {
            let base = self.base.as_ref().ok_or_else(|| {
                anyhow!("a record with a path but no url: give --base URL to replay it")
            })?;
            let mut target = path;
            if let Some(query) = text_field(record, f::QUERY)? {
                target.push(b'?');
                target.extend_from_slice(&query);
            }
            join(base, &target)?
        } else if record.contains_key(f::ERR) {
            bail!("a line lparse could not parse (it has \"err\")")
        } else {
            bail!("a record with neither \"url\" nor \"path\"")
        };
        let mut target = Target::new(method, url);
        target.replayed = true;
        for (field, header) in [(f::UA, USER_AGENT), (f::REFERER, REFERER)] {
            // A value a header cannot carry (a control character from a
            // hostile client) is left out rather than sent mangled.
            if let Some(value) = text_field(record, field)? {
                if let Ok(value) = HeaderValue::from_bytes(&value) {
                    target.headers.push((header, value));
                }
            }
        }
        if let Some(ts) = record.get(f::TS).and_then(Value::as_str) {
            target.ts = Some(ts.parse().map_err(|e| anyhow!("bad ts {ts:?}: {e}"))?);
        }
        Ok(target)
    }
}

/// A string field's exact bytes under the `_b64` rule of docs/records.md:
/// the decoded `X_b64` when present, else the text of `X`.
fn text_field(record: &Map<String, Value>, name: &str) -> Result<Option<Vec<u8>>> {
    let b64_name = f::b64_name(name);
    if let Some(b64) = record.get(&b64_name).and_then(Value::as_str) {
        let mut bytes = Vec::new();
        f::decode_b64(b64.as_bytes(), &mut bytes).map_err(|e| anyhow!("bad {b64_name}: {e}"))?;
        return Ok(Some(bytes));
    }
    match record.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_bytes().to_vec())),
        Some(other) => bail!("{name} is not a string: {other}"),
    }
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A base URL (`--base`, `--compare`): [`parse_user_url`], refusing a
/// query or a fragment, which [`join`] could only drop (a base is a scheme,
/// an authority and a path prefix).
pub fn parse_base_url(text: &str) -> Result<Url> {
    if text.contains(['?', '#']) {
        bail!(
            "{}: a base URL has no query or fragment (each target brings its own)",
            mask_password(text)
        );
    }
    parse_user_url(text)
}

/// `base` with `target` (a path and query, as logged) appended to its path
/// (and `base`'s credentials).
pub fn join(base: &Url, target: &[u8]) -> Result<Url> {
    let auth = base.auth.clone();
    let base = &base.uri;
    let prefix = base.path().trim_end_matches('/');
    let mut text = String::new();
    text.push_str(base.scheme_str().unwrap_or("http"));
    text.push_str("://");
    text.push_str(base.authority().map(|a| a.as_str()).unwrap_or(""));
    text.push_str(prefix);
    if target.first() != Some(&b'/') {
        text.push('/');
    }
    text.push_str(&encode_unsafe(target));
    let uri = text.parse().map_err(|e| anyhow!("bad path {:?}: {e}", lossy(target)))?;
    Ok(Url { uri, auth })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(base: Option<&str>) -> TargetReader {
        TargetReader::new(base.map(|b| parse_user_url(b).unwrap()), None, Method::GET)
    }

    #[test]
    fn urls() {
        assert_eq!(parse_url("example.com").unwrap().to_string(), "http://example.com/");
        assert_eq!(
            parse_url("https://h:8443/a b?q=é").unwrap().to_string(),
            "https://h:8443/a%20b?q=%C3%A9"
        );
        assert!(parse_url("ftp://h/").is_err());
        assert!(parse_url("http://127.0.0.1:99999/").is_err());
        assert!(parse_url("http://h:/").is_err());
        assert!(has_scheme("https://h/") && !has_scheme("/login?next=http://x"));
        assert!(parse_url("http:///x").is_err());
        assert_eq!(parse_url("http://[::1]:80/x").unwrap().host(), Some("[::1]"));
        // Refused as curl refuses it.
        let e = parse_url("http://127.0.0.1:0/").unwrap_err().to_string();
        assert!(e.contains("port 0"), "{e}");
    }

    #[test]
    fn unicode_host_names_in_their_ascii_form() {
        // The ACE forms as RFC 3492's algorithm gives them (and `idn2`).
        assert_eq!(
            parse_url("http://bücher.test/").unwrap().to_string(),
            "http://xn--bcher-kva.test/"
        );
        let url = parse_url("https://BÜCHER.test:8443/é?x").unwrap().to_string();
        assert_eq!(url, "https://xn--bcher-kva.test:8443/%C3%A9?x");
        assert_eq!(ascii_host("münchen.de").unwrap(), "xn--mnchen-3ya.de");
    }

    #[test]
    fn userinfo_becomes_basic_auth_with_the_password_masked() {
        let url = parse_user_url("http://user:p%40ss@127.0.0.1:8080/x").unwrap();
        assert_eq!(url.uri.to_string(), "http://127.0.0.1:8080/x");
        let auth = url.auth.as_ref().unwrap();
        // base64("user:p@ss"), as `printf user:p@ss | base64` gives it.
        assert_eq!(auth.header, "Basic dXNlcjpwQHNz");
        assert_eq!(url.shown(), "http://user:***@127.0.0.1:8080/x");
        // No password: an empty one, as curl sends it.
        let url = parse_user_url("http://user@h/").unwrap();
        assert_eq!(url.auth.as_ref().unwrap().header, "Basic dXNlcjo=");
        assert_eq!(url.shown(), "http://user@h/");
        let e = parse_user_url("http://user:secret@h:0/").unwrap_err().to_string();
        assert!(!e.contains("secret") && e.contains("user:***@h:0"), "{e}");
        assert_eq!(mask_password("u:pw@h/x@y"), "u:***@h/x@y");
        // A base's query would be dropped by join: refused, the password
        // masked in the message.
        let e = format!("{:#}", parse_base_url("http://u:secret@h/sub/?y=2").unwrap_err());
        assert!(e.contains("no query") && !e.contains("secret"), "{e}");
        assert!(parse_base_url("http://h/sub#x").is_err());
        assert!(parse_base_url("http://h:8080/sub/").is_ok());
        assert!(parse_url("http://u:p@h/").is_err());
    }

    #[test]
    fn plain_lines_and_url_records() {
        let r = reader(Some("http://127.0.0.1:8080"));
        assert!(r.parse(b"   ").unwrap().is_none());
        let t = r.parse(b"http://h/x\n").unwrap().unwrap();
        assert_eq!(&*t.url, "http://h/x");
        let t = r.parse(b"/a?b=1").unwrap().unwrap();
        assert_eq!(&*t.url, "http://127.0.0.1:8080/a?b=1");
        let t = r.parse(br#"{"url":"http://h/y","method":"HEAD"}"#).unwrap().unwrap();
        assert_eq!((t.method, &*t.url), (Method::HEAD, "http://h/y"));
        assert!(reader(None).parse(b"/a").is_err());
    }

    #[test]
    fn lparse_records_replay_against_base() {
        let r = reader(Some("http://mirror:81/prefix/"));
        let line = br#"{"src":"a.log","ts":"2026-11-27T03:22:43+01:00","client":"1.2.3.4","method":"POST","path":"/x y","query":"a=1&b","proto":"HTTP/1.1","status":404,"ua":"curl/8","referer":"http://r/"}"#;
        let t = r.parse(line).unwrap().unwrap();
        assert_eq!(t.method, Method::POST);
        assert_eq!(&*t.url, "http://mirror:81/prefix/x%20y?a=1&b");
        assert!(t.replayed);
        assert_eq!(t.headers[0], (USER_AGENT, HeaderValue::from_static("curl/8")));
        assert_eq!(t.headers[1], (REFERER, HeaderValue::from_static("http://r/")));
        assert_eq!(t.ts.unwrap().to_string(), "2026-11-27T02:22:43Z");
        // The exact bytes of a path that was not UTF-8.
        let t = r.parse(br#"{"path":"/\ufffd","path_b64":"L/8="}"#).unwrap().unwrap();
        assert_eq!(&*t.url, "http://mirror:81/prefix/%FF");
        // The user agent's bytes too (0xE9 is Latin-1 é; a header may carry it).
        let t = r.parse(br#"{"path":"/","ua":"caf\ufffd","ua_b64":"Y2Fm6Q=="}"#).unwrap().unwrap();
        assert_eq!(t.headers[0].1.as_bytes(), b"caf\xe9");
        let e = r.parse(br#"{"path":"/","path_b64":"L/8"}"#).unwrap_err();
        assert!(e.to_string().starts_with("bad path_b64: "), "{e}");
        assert!(r.parse(br#"{"line":"junk","err":"no format matched"}"#).is_err());
        assert!(r.parse(b"{not json").is_err());
    }

    #[test]
    fn method_option_overrides_records() {
        let r = TargetReader::new(
            Some(parse_user_url("http://m").unwrap()),
            Some(Method::HEAD),
            Method::GET,
        );
        let t = r.parse(br#"{"method":"POST","path":"/"}"#).unwrap().unwrap();
        assert_eq!(t.method, Method::HEAD);
    }
}
