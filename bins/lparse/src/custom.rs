//! Custom formats, from the server's own configuration:
//! `--nginx-format '<log_format string>'` and
//! `--apache-format '<LogFormat string>'`, pasted as they stand in the
//! config (`log_format main '$remote_addr - ...' '...';` or
//! `LogFormat "%h %l ..." combined`).
//!
//! The format string is compiled once into literals and variables. A line
//! is matched left to right: each literal must be next, and a variable runs
//! up to the following literal (inside quotes, up to the next unescaped
//! quote, since the servers escape quotes in values). Variables become
//! fields under their canonical names when they have one ([`crate::vars`]),
//! else under their own (`$upstream_cache_status` → `upstream_cache_status`,
//! `%{X-Forwarded-For}i` → `x_forwarded_for`), numbers typed as numbers.

use crate::fields::{closing_quote, unescape};
use crate::format::{Ctx, LogFormat};
use crate::vars::{self, Kind};
use logkit_common::json::Object;
use logkit_common::record as f;

/// What a variable's value becomes.
#[derive(Debug, Clone, PartialEq)]
enum Field {
    Canonical(Kind),
    /// A field of its own name; `true` when it is a number.
    Named(String, bool),
    /// Not kept (Apache's `%l`, always `-`).
    Skip,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Literal(Vec<u8>),
    Var(Field),
}

/// How the end of a variable's value is found.
#[derive(Debug, Clone)]
enum End {
    /// At the end of the line.
    Line,
    /// At the next unescaped `"`.
    Quote,
    /// At the next occurrence of one byte.
    Byte(u8),
    /// At the next occurrence of the following literal.
    Text(Box<memchr::memmem::Finder<'static>>),
}

/// A compiled custom format.
#[derive(Debug, Clone)]
pub struct Custom {
    name: String,
    tokens: Vec<Token>,
    /// Per variable: whether it sits between quotes, and how it ends.
    quoted: Vec<bool>,
    ends: Vec<End>,
    scratch: Vec<u8>,
    written: Vec<&'static str>,
}

impl Custom {
    /// Compiles an nginx `log_format`.
    pub fn nginx(config: &str) -> Result<Custom, String> {
        let (name, format) = nginx_config(config)?;
        let mut tokens = Vec::new();
        let mut rivals = Vec::new();
        let mut literal = Vec::new();
        let b = format.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'$' && i + 1 < b.len() {
                let (var, len) = if b[i + 1] == b'{' {
                    let end = format[i + 2..].find('}').ok_or("unclosed ${")?;
                    (&format[i + 2..i + 2 + end], end + 3)
                } else {
                    let n = b[i + 1..]
                        .iter()
                        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                        .count();
                    (&format[i + 1..i + 1 + n], n + 1)
                };
                if var.is_empty() {
                    literal.push(b'$');
                    i += 1;
                    continue;
                }
                push_literal(&mut tokens, &mut literal);
                let field = match vars::nginx(var) {
                    Some(kind) => Field::Canonical(kind),
                    None => Field::Named(var.to_owned(), vars::nginx_number(var)),
                };
                tokens.push(Token::Var(field));
                // Under its own name, a canonical variable is a number when
                // its field is (a rival fills that field, see `Custom::new`).
                let number = matches!(
                    vars::nginx(var),
                    Some(Kind::Int(_) | Kind::Seconds(_) | Kind::SecondsOrList(_) | Kind::Epoch)
                );
                rivals.push(Rival {
                    precision: vars::nginx_precision(var),
                    name: var.to_owned(),
                    number,
                });
                i += len;
            } else {
                literal.push(b[i]);
                i += 1;
            }
        }
        push_literal(&mut tokens, &mut literal);
        Custom::new(name.unwrap_or("nginx_custom").to_owned(), tokens, rivals)
    }

    /// Compiles an Apache `LogFormat`.
    pub fn apache(config: &str) -> Result<Custom, String> {
        let (name, format) = apache_config(config)?;
        let mut tokens = Vec::new();
        let mut rivals = Vec::new();
        let mut literal = Vec::new();
        let b = format.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] != b'%' {
                literal.push(b[i]);
                i += 1;
                continue;
            }
            i += 1;
            // %% is a percent sign.
            if b.get(i) == Some(&b'%') {
                literal.push(b'%');
                i += 1;
                continue;
            }
            // Conditions such as %400,501{User-agent}i or %!200r: ignored.
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b',' || b[i] == b'!') {
                i += 1;
            }
            let arg = if b.get(i) == Some(&b'{') {
                let end = format[i + 1..].find('}').ok_or("unclosed %{")?;
                let a = &format[i + 1..i + 1 + end];
                i += end + 2;
                Some(a)
            } else {
                None
            };
            // Modifiers < and > (the original or final request).
            let mut directive = String::new();
            while let Some(&c) = b.get(i) {
                if c == b'<' || c == b'>' {
                    directive.push(c as char);
                    i += 1;
                } else {
                    break;
                }
            }
            let Some(&c) = b.get(i) else { return Err("format ends with %".into()) };
            directive.push(c as char);
            i += 1;
            let letter = directive.trim_start_matches(['<', '>']);
            push_literal(&mut tokens, &mut literal);
            if letter == "t" && arg.is_none() {
                // %t is written with its brackets.
                tokens.push(Token::Literal(b"[".to_vec()));
                tokens.push(Token::Var(Field::Canonical(Kind::Time)));
                tokens.push(Token::Literal(b"]".to_vec()));
                rivals.push(Rival { precision: 1, name: "time".into(), number: false });
                continue;
            }
            let field = match vars::apache(&directive, arg).or_else(|| vars::apache(letter, arg)) {
                Some(kind) => Field::Canonical(kind),
                None if letter == "l" => Field::Skip,
                None => Field::Named(vars::apache_name(letter, arg), vars::apache_number(letter)),
            };
            tokens.push(Token::Var(field));
            rivals.push(Rival {
                precision: vars::apache_precision(&directive, arg),
                name: vars::apache_own_name(&directive, arg),
                number: vars::apache_own_number(&directive),
            });
        }
        push_literal(&mut tokens, &mut literal);
        Custom::new(name.unwrap_or("apache_custom").to_owned(), tokens, rivals)
    }

    /// A format of `tokens`; `rivals` holds, per variable, what decides
    /// between two variables for one canonical field.
    fn new(name: String, mut tokens: Vec<Token>, rivals: Vec<Rival>) -> Result<Custom, String> {
        resolve_rivals(&mut tokens, &rivals);
        let mut quoted = Vec::new();
        let mut ends = Vec::new();
        for (k, t) in tokens.iter().enumerate() {
            if let Token::Var(_) = t {
                let open = matches!(k.checked_sub(1).and_then(|p| tokens.get(p)), Some(Token::Literal(l)) if l.ends_with(b"\""));
                let end = match tokens.get(k + 1) {
                    None => End::Line,
                    Some(Token::Var(_)) => {
                        return Err(
                            "two variables with nothing between them cannot be told apart".into()
                        )
                    }
                    Some(Token::Literal(l)) if open && l.starts_with(b"\"") => End::Quote,
                    Some(Token::Literal(l)) if l.len() == 1 => End::Byte(l[0]),
                    Some(Token::Literal(l)) => {
                        End::Text(Box::new(memchr::memmem::Finder::new(l).into_owned()))
                    }
                };
                quoted.push(matches!(end, End::Quote));
                ends.push(end);
            }
        }
        if quoted.is_empty() {
            return Err("the format has no variables".into());
        }
        Ok(Custom { name, tokens, quoted, ends, scratch: Vec::new(), written: Vec::new() })
    }
}

/// What decides between two variables for one canonical field.
struct Rival {
    /// The higher fills the field (the first, between equals).
    precision: u8,
    /// The name the other keeps.
    name: String,
    /// Whether its value is a number under that name.
    number: bool,
}

/// Gives each canonical field to one variable: the most precise (`%D` over
/// `%T` for `rt`, `%B` over `%b` over `%O` for `bytes`, `$msec` over
/// `$time_local` for `ts`), the first between equals. The others keep their
/// own names, so that no value is dropped without a word.
fn resolve_rivals(tokens: &mut [Token], rivals: &[Rival]) {
    let vars: Vec<usize> =
        (0..tokens.len()).filter(|&k| matches!(tokens[k], Token::Var(_))).collect();
    let kind_of = |t: &Token| match t {
        Token::Var(Field::Canonical(kind)) => Some(*kind),
        _ => None,
    };
    for (v, &k) in vars.iter().enumerate() {
        let Some(kind) = kind_of(&tokens[k]) else { continue };
        let field = vars::primary(kind);
        let beaten = vars.iter().enumerate().any(|(w, &j)| {
            w != v
                && kind_of(&tokens[j]).is_some_and(|other| vars::primary(other) == field)
                && (rivals[w].precision > rivals[v].precision
                    || (rivals[w].precision == rivals[v].precision && w < v))
        });
        if beaten {
            tokens[k] = Token::Var(Field::Named(rivals[v].name.clone(), rivals[v].number));
        }
    }
    // Names of the variables' own: lparse's names get a `_`, and a name
    // written twice (`%{X}i` and `%{X}o`; `%{Client}i` and `%h`) goes to
    // the last variable, as a key given twice in an object.
    for &k in &vars {
        if let Token::Var(Field::Named(name, _)) = &mut tokens[k] {
            *name = crate::fields::own_name(name).into_owned();
        }
    }
    let names = |t: &Token| -> Vec<String> {
        match t {
            Token::Var(Field::Named(name, _)) => vec![name.clone()],
            Token::Var(Field::Canonical(Kind::Request)) => {
                [f::METHOD, f::PATH, f::QUERY, f::PROTO].map(String::from).to_vec()
            }
            Token::Var(Field::Canonical(Kind::Target)) => vec![f::PATH.into(), f::QUERY.into()],
            Token::Var(Field::Canonical(kind)) => vec![vars::primary(*kind).into()],
            _ => Vec::new(),
        }
    };
    for (v, &k) in vars.iter().enumerate() {
        for &j in &vars[v + 1..] {
            let (mine, theirs) = (names(&tokens[k]), names(&tokens[j]));
            if !mine.iter().any(|n| theirs.contains(n)) {
                continue;
            }
            // A request line is not given up for one of its parts.
            if mine.len() > 1 && theirs.len() == 1 {
                tokens[j] = Token::Var(Field::Skip);
            } else {
                tokens[k] = Token::Var(Field::Skip);
                break;
            }
        }
    }
}

fn push_literal(tokens: &mut Vec<Token>, literal: &mut Vec<u8>) {
    if !literal.is_empty() {
        tokens.push(Token::Literal(std::mem::take(literal)));
    }
}

/// `log_format NAME [escape=...] 'part' 'part';` → (name, the joined
/// parts); a bare format string is taken as it is.
fn nginx_config(config: &str) -> Result<(Option<&str>, String), String> {
    let mut rest = config.trim().trim_end_matches(';').trim();
    if rest.starts_with("access_log") {
        return Err("this is an access_log line: paste the log_format line it names".into());
    }
    let mut name = None;
    if let Some(r) = rest.strip_prefix("log_format") {
        let r = r.trim_start();
        let end = r.find(char::is_whitespace).ok_or("log_format without a format")?;
        name = Some(&r[..end]);
        rest = r[end..].trim_start();
        if let Some(r) = rest.strip_prefix("escape=") {
            let end = r.find(char::is_whitespace).unwrap_or(r.len());
            rest = r[end..].trim_start();
        }
    }
    if !rest.starts_with(['\'', '"']) {
        return Ok((name, rest.to_owned()));
    }
    let mut joined = String::new();
    let mut chars = rest.char_indices().peekable();
    while let Some((_, q)) = chars.next() {
        if q.is_whitespace() {
            continue;
        }
        if q != '\'' && q != '"' {
            return Err(format!("unexpected {q:?} between quoted parts"));
        }
        loop {
            match chars.next() {
                Some((_, c)) if c == q => break,
                Some((_, '\\')) => {
                    if let Some((_, c)) = chars.next() {
                        joined.push(c);
                    }
                }
                Some((_, c)) => joined.push(c),
                None => return Err("unclosed quote".into()),
            }
        }
    }
    Ok((name, joined))
}

/// `LogFormat "..." nickname` → (nickname, the format, `\"` unescaped);
/// a bare format string is taken as it is.
fn apache_config(config: &str) -> Result<(Option<&str>, String), String> {
    let rest = config.trim();
    let rest = match rest.strip_prefix("CustomLog") {
        // `CustomLog PATH "FORMAT" [env=...]`: skip the path (quoted, or a
        // word such as logs/access_log or "|/usr/bin/rotatelogs ...").
        Some(r) => {
            let r = r.trim_start();
            let after_path = match r.strip_prefix('"') {
                Some(q) => &q[q.find('"').ok_or("unclosed quote in the CustomLog path")? + 1..],
                None => &r[r.find(char::is_whitespace).unwrap_or(r.len())..],
            };
            let after_path = after_path.trim_start();
            if !after_path.starts_with('"') {
                return Err(format!(
                    "this CustomLog names the format {:?}: paste its LogFormat line instead",
                    after_path.split_whitespace().next().unwrap_or("")
                ));
            }
            after_path
        }
        None => rest.strip_prefix("LogFormat").map(str::trim_start).unwrap_or(rest),
    };
    let Some(body) = rest.strip_prefix('"') else {
        return Ok((None, rest.to_owned()));
    };
    let mut format = String::new();
    let mut chars = body.char_indices();
    let mut end = None;
    while let Some((k, c)) = chars.next() {
        match c {
            '"' => {
                end = Some(k);
                break;
            }
            '\\' => match chars.next() {
                Some((_, 'n')) => format.push('\n'),
                Some((_, 't')) => format.push('\t'),
                Some((_, c)) => format.push(c),
                None => {}
            },
            c => format.push(c),
        }
    }
    let end = end.ok_or("unclosed quote")?;
    let nickname = body[end + 1..].split_whitespace().next();
    Ok((nickname, format))
}

impl LogFormat for Custom {
    fn name(&self) -> &str {
        &self.name
    }

    fn parse(&mut self, line: &[u8], obj: &mut Object, ctx: &mut Ctx) -> Result<(), &'static str> {
        let mut pos = 0;
        let mut var = 0;
        self.written.clear();
        for token in &self.tokens {
            match token {
                Token::Literal(l) => {
                    if !line[pos..].starts_with(l) {
                        return Err("does not match the format");
                    }
                    pos += l.len();
                }
                Token::Var(field) => {
                    let quoted = self.quoted[var];
                    let rest = &line[pos..];
                    let end = match &self.ends[var] {
                        End::Line => rest.len(),
                        End::Quote => closing_quote(rest).ok_or("unterminated quoted field")?,
                        End::Byte(b) => {
                            memchr::memchr(*b, rest).ok_or("does not match the format")?
                        }
                        End::Text(finder) => {
                            finder.find(rest).ok_or("does not match the format")?
                        }
                    };
                    var += 1;
                    let raw = &rest[..end];
                    pos += end;
                    let value = if quoted && memchr::memchr(b'\\', raw).is_some() {
                        unescape(raw, &mut self.scratch);
                        &self.scratch[..]
                    } else {
                        raw
                    };
                    match field {
                        Field::Skip => {}
                        Field::Canonical(kind) => {
                            vars::write(*kind, value, obj, &mut self.written, ctx)?
                        }
                        Field::Named(name, number) => write_named(name, *number, value, obj),
                    }
                }
            }
        }
        if pos != line.len() {
            return Err("text after the end of the format");
        }
        obj.str(f::FMT, &self.name);
        Ok(())
    }
}

/// A variable without a canonical name, under its own: a number when it is
/// one of the numeric variables and reads as one (nginx writes several
/// numbers in one for retried upstreams, `0.010, 0.003`: kept as text).
fn write_named(name: &str, number: bool, value: &[u8], obj: &mut Object) {
    if value == b"-" || value.is_empty() {
        return;
    }
    if number {
        if let Some(x) = std::str::from_utf8(value)
            .ok()
            .and_then(|t| t.parse::<f64>().ok())
            .filter(|x| x.is_finite())
        {
            if x.fract() == 0.0 && x.abs() < 9.0e15 {
                obj.key_escaped(name).extend_from_slice(format!("{}", x as i64).as_bytes());
            } else {
                let out = obj.key_escaped(name);
                let _ = serde_json::to_writer(&mut *out, &x);
            }
            return;
        }
    }
    let out = obj.key_escaped(name);
    match std::str::from_utf8(value) {
        Ok(s) => logkit_common::json::push_str(out, s),
        Err(_) => logkit_common::json::push_str(out, &String::from_utf8_lossy(value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;
    use serde_json::json;

    fn parse(fmt: &mut Custom, line: &str) -> Result<serde_json::Value, &'static str> {
        testing::record(fmt, line.as_bytes())
    }

    #[test]
    fn iso_times_with_fractions_beyond_nanoseconds() {
        let mut f = Custom::nginx(r#"log_format iso '$time_iso8601 $remote_addr';"#).unwrap();
        for (time, ts) in [
            ("2026-11-27T03:22:46.123456789012+01:00", "2026-11-27T03:22:46.123456789+01:00"),
            // Without an offset: in UTC, the zone of `testing::record`.
            ("2026-11-27T03:22:46.123456789012", "2026-11-27T03:22:46.123456789+00:00"),
        ] {
            let r = parse(&mut f, &format!("{time} 10.0.0.1")).unwrap();
            assert_eq!(r, serde_json::json!({"ts":ts,"client":"10.0.0.1","fmt":"iso"}));
        }
    }

    #[test]
    fn nginx_log_format_as_pasted_from_the_config() {
        let mut f = Custom::nginx(
            r#"log_format cache '$remote_addr - $remote_user [$time_local] "$request" '
                   '$status $body_bytes_sent "$http_referer" "$http_user_agent" '
                   'rt=$request_time host=$host cache=$upstream_cache_status up=$upstream_response_time';"#,
        )
        .unwrap();
        let r = parse(
            &mut f,
            r#"10.1.2.3 - - [27/Nov/2026:03:22:43 +0100] "GET /api/v2/cart/items?id=7 HTTP/1.1" 404 153 "-" "curl/8.5 \x22q\x22" rt=0.004 host=shop.example cache=HIT up=0.003"#,
        )
        .unwrap();
        assert_eq!(
            r,
            serde_json::json!({"client":"10.1.2.3","ts":"2026-11-27T03:22:43+01:00","method":"GET",
                "path":"/api/v2/cart/items","query":"id=7","proto":"HTTP/1.1","status":404,"bytes":153,
                "ua":"curl/8.5 \"q\"","rt":0.004,"vhost":"shop.example","upstream_cache_status":"HIT",
                "upstream_rt":0.003,"fmt":"cache"})
        );
        // Missing values are left out; several upstream times stay text.
        let r = parse(
            &mut f,
            r#"10.1.2.3 - bob [27/Nov/2026:03:22:43 +0100] "GET / HTTP/1.1" 200 0 "http://r/" "-" rt=0.010 host=h cache=- up=0.010, 0.003"#,
        )
        .unwrap();
        assert_eq!(r["user"], "bob");
        assert!(r.get("ua").is_none() && r.get("upstream_cache_status").is_none());
        assert_eq!(r["upstream_rt"], "0.010, 0.003");
        assert!(parse(&mut f, "garbage").is_err());
        assert!(parse(&mut f, r#"10.1.2.3 - - [27/Nov/2026:03:22:43 +0100] "GET / HTTP/1.1" abc 0 "-" "-" rt=1 host=h cache=- up=-"#).is_err());
    }

    #[test]
    fn apache_log_format_with_d_and_v() {
        let mut f = Custom::apache(r#"LogFormat "%v:%p %h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\" %D" vhost_timed"#).unwrap();
        let r = parse(
            &mut f,
            r#"shop.example:443 10.1.2.3 - - [27/Nov/2026:03:22:43 +0000] "POST /cart HTTP/1.1" 302 512 "https://shop.example/" "Mozilla/5.0 \"x\"" 2500"#,
        )
        .unwrap();
        assert_eq!(
            r,
            serde_json::json!({"vhost":"shop.example","server_port":443,"client":"10.1.2.3","ts":"2026-11-27T03:22:43+00:00",
                "method":"POST","path":"/cart","proto":"HTTP/1.1","status":302,"bytes":512,
                "referer":"https://shop.example/","ua":"Mozilla/5.0 \"x\"","rt":0.0025,"fmt":"vhost_timed"})
        );
    }

    #[test]
    fn the_most_precise_of_two_directives_fills_the_field() {
        // The issue's case: %T (whole seconds) before %D (µs).
        let mut f = Custom::apache(r#"LogFormat "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\" %T/%D" timed"#).unwrap();
        let r = parse(&mut f, r#"192.0.2.31 - - [05/Aug/2016:09:32:07 -0300] "GET /index.html HTTP/1.1" 200 5120 "http://example.com/" "Mozilla/5.0" 0/1534"#).unwrap();
        assert_eq!(
            (&r["rt"], &r["rt_s"], &r["bytes"]),
            (&json!(0.001534), &json!(0), &json!(5120))
        );
        // %B over %b over %O for bytes, whatever their order; %>s over %s.
        let mut f = Custom::apache(r#"LogFormat "%O %b %B %s %>s %{ms}T %D" sizes"#).unwrap();
        let r = parse(&mut f, "700 - 0 302 200 12 12345").unwrap();
        assert_eq!(
            r,
            json!({"bytes_sent": 700, "bytes": 0, "original_status": 302, "status": 200,
                "rt_ms": 12, "rt": 0.012345, "fmt": "sizes"})
        );
        // Equals: the first fills the field, the other keeps its name.
        let mut f = Custom::apache(r#"LogFormat "%v %{Host}i %h" hosts"#).unwrap();
        let r = parse(&mut f, "a.example b.example 10.0.0.1").unwrap();
        assert_eq!((&r["vhost"], &r["http_host"]), (&json!("a.example"), &json!("b.example")));
        // Names of their own: written twice, the last wins; lparse's own
        // get a `_`.
        let mut f = Custom::apache(r#"LogFormat "%{X}i %{X}o %{Client}i %h %{fmt}i" own"#).unwrap();
        let r = parse(&mut f, "1 2 3 10.0.0.1 4").unwrap();
        assert_eq!(r, json!({"x": "2", "client": "10.0.0.1", "fmt_": "4", "fmt": "own"}));
        // nginx: $msec (ms) over $time_local (s); $host and $http_host.
        let mut f =
            Custom::nginx(r#"log_format t '[$time_local] $msec $host $http_host';"#).unwrap();
        let r =
            parse(&mut f, "[27/Nov/2026:03:22:43 +0100] 1795746163.250 a.example b.example:8080")
                .unwrap();
        assert_eq!(
            r,
            json!({"time_local": "27/Nov/2026:03:22:43 +0100", "ts": "2026-11-27T02:22:43.250+00:00",
                "vhost": "a.example", "http_host": "b.example:8080", "fmt": "t"})
        );
    }

    #[test]
    fn stock_combined_written_as_a_custom_format_matches_the_builtin() {
        let mut f = Custom::apache(
            r#"LogFormat "%h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\"" combined"#,
        )
        .unwrap();
        let line = r#"127.0.0.1 - - [27/Nov/2026:03:22:43 +0000] "GET /x?y HTTP/1.1" 404 196 "-" "curl/8""#;
        let mut r = parse(&mut f, line).unwrap();
        let builtin = testing::record(&mut crate::access::Combined, line.as_bytes()).unwrap();
        // Same fields, same values (the order differs: ts comes after client here).
        r.as_object_mut().unwrap().remove("fmt");
        let mut b = builtin.as_object().unwrap().clone();
        b.remove("fmt");
        assert_eq!(
            r.as_object()
                .unwrap()
                .clone()
                .into_iter()
                .collect::<std::collections::BTreeMap<_, _>>(),
            b.into_iter().collect::<std::collections::BTreeMap<_, _>>()
        );
    }

    #[test]
    fn customlog_lines_are_read_too() {
        let mut f =
            Custom::apache(r#"CustomLog logs/ssl_request_log "%t %h %{SSL_PROTOCOL}x \"%r\" %b""#)
                .unwrap();
        let r =
            parse(&mut f, r#"[27/Nov/2026:03:22:43 +0000] 10.0.0.1 TLSv1.3 "GET / HTTP/1.1" 12"#)
                .unwrap();
        assert_eq!(r["ssl_protocol"], "TLSv1.3");
        assert_eq!(r["bytes"], 12);
        assert!(Custom::apache("CustomLog logs/access_log combined").is_err());
        assert!(Custom::nginx("access_log /var/log/nginx/a.log main;").is_err());
    }

    #[test]
    fn bad_format_strings() {
        assert!(Custom::nginx("$a$b").is_err());
        assert!(Custom::nginx("no variables").is_err());
        assert!(Custom::apache("%h %").is_err());
        assert!(Custom::nginx("log_format x '$a").is_err());
    }

    proptest::proptest! {
        #[test]
        fn never_panics(line in proptest::collection::vec(proptest::num::u8::ANY, 0..120)) {
            let mut f = Custom::nginx(r#"$remote_addr [$time_local] "$request" $status $body_bytes_sent "$http_user_agent" $request_time"#).unwrap();
            let _ = testing::record(&mut f, &line);
        }
    }
}
