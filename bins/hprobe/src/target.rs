//! What to request: URLs from the command line, or targets read from
//! standard input (plain URLs, records with `url`, or lparse records
//! replayed against `--base`).

use anyhow::{anyhow, bail, Result};
use http::header::{HeaderName, HeaderValue, REFERER, USER_AGENT};
use http::{Method, Uri};
use logkit_common::record as f;
use serde_json::{Map, Value};
use std::sync::Arc;

/// One request to make.
#[derive(Debug, Clone)]
pub struct Target {
    /// The method to send.
    pub method: Method,
    /// Absolute: scheme, authority, path and query.
    pub uri: Uri,
    /// The URL as records print it.
    pub url: Arc<str>,
    /// Headers of this target only (a replayed request's user agent and
    /// referer); `-H` headers win over them.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// When the replayed request was made (for `--replay-speed`).
    pub ts: Option<jiff::Timestamp>,
    /// A request from a log (an lparse record): sent with the headers it
    /// had, and no default `User-Agent` when it had none.
    pub replayed: bool,
}

impl Target {
    /// A target with no headers of its own, not from a log.
    pub fn new(method: Method, uri: Uri) -> Target {
        let url = Arc::from(uri.to_string());
        Target { method, uri, url, headers: Vec::new(), ts: None, replayed: false }
    }
}

/// Parses a URL given by a user. A missing scheme means `http://` (as in
/// curl); bytes that may not appear in a URL (spaces, non-ASCII, quotes)
/// are percent-encoded rather than refused.
pub fn parse_url(text: &str) -> Result<Uri> {
    let text = text.trim();
    let with_scheme;
    let full = if has_scheme(text) {
        text
    } else {
        with_scheme = format!("http://{text}");
        &with_scheme
    };
    let uri: Uri = encode_unsafe(full.as_bytes())
        .parse()
        .map_err(|e| anyhow!("bad URL {:?}: {e}", short(text)))?;
    match uri.scheme_str() {
        Some("http") | Some("https") => {}
        _ => bail!("bad URL {:?}: only http:// and https:// are supported", short(text)),
    }
    if uri.host().is_none_or(str::is_empty) {
        bail!("bad URL {:?}: no host", short(text));
    }
    let authority = uri.authority().map_or("", |a| a.as_str());
    let host_port = authority.rsplit('@').next().unwrap_or("");
    if let Some((_, port)) = host_port.rsplit_once(':').filter(|_| !host_port.ends_with(']')) {
        if port.parse::<u16>().is_err() {
            bail!("bad URL {:?}: bad port {port:?}", short(text));
        }
    }
    // An empty path is `/` on the wire; say so in records too.
    if uri.path_and_query().is_none() {
        let mut parts = uri.into_parts();
        parts.path_and_query = Some(http::uri::PathAndQuery::from_static("/"));
        return Ok(Uri::from_parts(parts)?);
    }
    Ok(uri)
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
    base: Option<Uri>,
    /// `-m`, overriding a record's method.
    method: Option<Method>,
    /// The method for targets that do not say.
    default_method: Method,
}

impl TargetReader {
    /// A reader replaying paths against `base`, with `method` (`-m`) over
    /// any record's and `default_method` for targets that name none.
    pub fn new(base: Option<Uri>, method: Option<Method>, default_method: Method) -> Self {
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
        let uri = match (&self.base, text.starts_with('/')) {
            (Some(base), true) => join(base, text.as_bytes())?,
            (None, true) => bail!("a path without a host: give --base URL to replay paths"),
            _ => parse_url(text)?,
        };
        Ok(Some(Target::new(self.method.clone().unwrap_or(self.default_method.clone()), uri)))
    }

    fn target_of_record(&self, record: &Map<String, Value>) -> Result<Target> {
        let method = match (&self.method, text_field(record, f::METHOD)?) {
            (Some(m), _) => m.clone(),
            (None, Some(m)) => Method::from_bytes(&m.to_ascii_uppercase())
                .map_err(|_| anyhow!("bad method {:?}", lossy(&m)))?,
            (None, None) => self.default_method.clone(),
        };
        let uri = if let Some(url) = record.get(f::URL).and_then(Value::as_str) {
            parse_url(url)?
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
        let mut target = Target::new(method, uri);
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

/// `base` with `target` (a path and query, as logged) appended to its path.
fn join(base: &Uri, target: &[u8]) -> Result<Uri> {
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
    text.parse().map_err(|e| anyhow!("bad path {:?}: {e}", lossy(target)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(base: Option<&str>) -> TargetReader {
        TargetReader::new(base.map(|b| parse_url(b).unwrap()), None, Method::GET)
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
            Some(parse_url("http://m").unwrap()),
            Some(Method::HEAD),
            Method::GET,
        );
        let t = r.parse(br#"{"method":"POST","path":"/"}"#).unwrap().unwrap();
        assert_eq!(t.method, Method::HEAD);
    }
}
