//! Help on the formats, from the installed tool: `lparse --list-formats`
//! and `lparse --format-help NAME` (the checkout's docs/formats.md is not
//! installed). Each format's entry shows a sample line and the record
//! lparse makes of it, parsed when asked, so the help cannot drift from
//! the parser.

use crate::format::{Ctx, Formats, LogFormat};
use std::fmt::Write as _;

/// What `--format-help` says about one format.
pub struct FormatHelp {
    /// The format's name (`--format`, `fmt`), or `custom` for the formats
    /// given with `--nginx-format` and `--apache-format`.
    pub name: &'static str,
    /// One line, for `--list-formats`.
    pub summary: &'static str,
    /// What the format reads and the fields its records have.
    pub text: &'static str,
    /// Sample lines, each shown with its record.
    pub samples: &'static [&'static str],
}

/// Every built-in format, in the order lparse tries them for a new source,
/// then `custom`.
pub const FORMATS: &[FormatHelp] = &[
    FormatHelp {
        name: "combined",
        summary: "nginx's and Apache's common and combined access logs (and what nginx setups append)",
        text: "\
The Common Log Format and combined, as nginx and Apache httpd write them
(a `common` line gets fmt \"common\"). Fields: ts, client, user, method,
path, query, proto (or request, when the request line is not METHOD TARGET
PROTO), status, bytes, referer, ua. After the user agent, $request_time
becomes rt (seconds), $upstream_response_time right after it upstream_rt,
a host name ($host) vhost; anything else that follows is kept whole as
extra. A line cut short after its [time] keeps its leading fields, marked
\"partial\" with the line and err. Escapes (\\xHH, \\\", \\\\) are undone;
bytes that are not UTF-8 are kept in a FIELD_b64 twin.",
        samples: &[
            r#"192.0.2.7 - - [27/Nov/2026:03:22:43 +0000] "GET /static/app.js?v=2 HTTP/1.1" 404 153 "https://example.com/" "curl/8.5.0" 0.004 0.003 example.com"#,
            r#"192.0.2.8 - alice [27/Nov/2026:03:22:44 +0100] "POST /login HTTP/1.0" 302 -"#,
        ],
    },
    FormatHelp {
        name: "main",
        summary: "nginx's example format `main`: combined plus \"$http_x_forwarded_for\"",
        text: "\
nginx's example log_format main: the combined fields, then
\"$http_x_forwarded_for\" as http_x_forwarded_for.",
        samples: &[
            r#"192.0.2.7 - - [27/Nov/2026:03:22:43 +0000] "GET / HTTP/1.1" 200 615 "-" "curl/8.5.0" "198.51.100.4""#,
        ],
    },
    FormatHelp {
        name: "vcombined",
        summary: "Apache's vhost_combined: %v:%p, then combined",
        text: "\
Apache's vhost_combined (Debian's default for virtual hosts): the virtual
host and port (vhost, server_port) first, then the combined fields (bytes
from %O).",
        samples: &[
            r#"www.example.com:443 192.0.2.7 - - [27/Nov/2026:03:22:43 +0000] "GET /a HTTP/1.1" 200 1043 "-" "Mozilla/5.0""#,
        ],
    },
    FormatHelp {
        name: "json",
        summary: "JSON lines: applications' structured logs, nginx escape=json",
        text: "\
One JSON object per line. Every field is kept as it is, except: the time
(ts, time, timestamp, @timestamp, time_iso8601, time_local, datetime, date;
text or epoch s/ms/us/ns) becomes ts; nginx variable names become canonical
(remote_addr: client, request_time: rt, upstream_response_time:
upstream_rt, ...); a src of the line's own is dropped. A key given twice:
the last wins.",
        samples: &[
            r#"{"time":"2026-11-27T03:22:43.120Z","level":"warn","msg":"slow query","remote_addr":"192.0.2.7","request_time":1.25}"#,
        ],
    },
    FormatHelp {
        name: "apache_error",
        summary: "Apache httpd 2.2 and 2.4 error_log (default ErrorLogFormat)",
        text: "\
Fields: ts (local zone or --tz, microseconds kept), level, module (2.4),
pid, tid, client, client_port, remote, remote_port (a backend peer), errno
and errstr (an APR status such as (13)Permission denied), source_file and
source_line (debug levels), code (AH00128), msg, file (the file a message
names), referer.",
        samples: &[
            "[Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 35708:tid 4328636416] [client 192.0.2.7:51234] AH00128: File does not exist: /usr/local/apache2/htdocs/favicon.ico",
        ],
    },
    FormatHelp {
        name: "nginx_error",
        summary: "nginx error_log",
        text: "\
Fields: ts (local zone or --tz), level, pid, tid, cid (the connection, *3),
msg, file (the file a message names), client, server, method, path, query,
proto (or request), subrequest, upstream, vhost (nginx's host), referer
(nginx's referrer), extra (trailer text with no name here).",
        samples: &[
            r#"2026/11/27 03:22:46 [error] 6690#6690: *3 open() "/usr/share/nginx/html/favicon.ico" failed (2: No such file or directory), client: 192.0.2.7, server: localhost, request: "GET /favicon.ico HTTP/1.1", host: "localhost:8080""#,
        ],
    },
    FormatHelp {
        name: "syslog",
        summary: "syslog: RFC 3164, RFC 5424 and rsyslog's files",
        text: "\
RFC 3164 (<34>Oct 11 22:14:15 host app[123]: msg, also without <PRI> as in
/var/log/syslog), RFC 5424, and rsyslog's files (an RFC 3339 time first).
Fields: ts, host, app, pid (an integer when numeric), facility and severity
(names, with <PRI>), msgid and sd (RFC 5424), msg. RFC 3164 times have no
year and no zone: the current year (the previous one for a time more than
a day ahead), the local zone or --tz.",
        samples: &[
            "<34>Oct 11 22:14:15 mymachine su[230]: 'su root' failed for lonvick on /dev/pts/8",
            "<165>1 2026-11-27T03:22:43.003Z web1 myapp 1234 ID47 [exampleSDID@32473 iut=\"3\"] started",
        ],
    },
    FormatHelp {
        name: "w3c",
        summary: "W3C extended log files (IIS), columns named by #Fields:",
        text: "\
The #Fields: line of a source names its columns; directive lines (#Fields:,
#Date:, ...) give no record. Fields: ts (date + time, UTC), client (c-ip),
user, method, path (cs-uri-stem), query, proto, status, bytes, ua (IIS's +
turned back into spaces), referer, vhost (cs-host), rt (time-taken, ms to
s); other columns under their own names, numbers typed.",
        samples: &[
            "#Fields: date time c-ip cs-method cs-uri-stem cs-uri-query sc-status time-taken",
            "2026-11-27 03:22:43 192.0.2.7 GET /default.htm - 200 15",
        ],
    },
    FormatHelp {
        name: "logfmt",
        summary: "key=value pairs (tried last)",
        text: "\
key=value pairs, at least two, from the start of the line. Every key is
kept, values typed (integers, decimals, true/false; quoted values
unescaped; a bare key is true); the time under ts, time, timestamp or t
becomes ts.",
        samples: &[r#"time=2026-11-27T03:22:43Z level=info msg="request done" path=/api status=200 rt=0.012"#],
    },
    FormatHelp {
        name: "custom",
        summary: "your server's own format: --nginx-format / --apache-format",
        text: "\
--nginx-format and --apache-format take the format from the server's
configuration, pasted as it stands; its name is the records' fmt, and it is
tried before the built-in formats:

  lparse --nginx-format \"log_format cache '\\$remote_addr [\\$time_local] \\\"\\$request\\\" \\$status rt=\\$request_time';\"
  lparse --apache-format 'LogFormat \"%v %h %t \\\"%r\\\" %>s %b %D\" timed' access_log

Variables with a canonical name (nginx / Apache: field):
  $remote_addr, $realip_remote_addr / %h, %a: client
  $remote_user / %u: user
  $time_local, $time_iso8601, $msec / %t: ts
  $request / %r: method, path, query, proto
  $request_method / %m: method;  $request_uri: path, query;  $uri / %U: path
  $args: query;  $server_protocol / %H: proto
  $status / %s, %>s: status;  $body_bytes_sent / %b, %B, %O: bytes
  $http_referer / %{Referer}i: referer;  $http_user_agent / %{User-Agent}i: ua
  $host, $http_host, $server_name / %v, %V, %{Host}i: vhost
  $request_time (s) / %D (us), %T (s), %{ms}T, %{us}T: rt (seconds)
  $upstream_response_time: upstream_rt;  $server_port / %p: server_port
  $server_addr / %A: server_addr
Other variables keep their own name ($upstream_cache_status,
%{X-Forwarded-For}i: x_forwarded_for); numeric ones are written as numbers.",
        samples: &[],
    },
];

/// `--help`'s text after the options: `examples`, then the formats in
/// brief.
pub fn after_help(examples: &str) -> String {
    let mut out = format!(
        "{examples}\n\nFormats (found per source from its lines, or named with --format;\n\
         lparse --format-help NAME says more):\n"
    );
    let width = FORMATS.iter().map(|f| f.name.len()).max().unwrap_or(0);
    for f in FORMATS {
        let _ = writeln!(out, "  {:width$}  {}", f.name, f.summary);
    }
    out.truncate(out.trim_end().len());
    out
}

/// `--list-formats`: one line per format, name and summary.
pub fn list() -> String {
    let width = FORMATS.iter().map(|f| f.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for f in FORMATS {
        let _ = writeln!(out, "{:width$}  {}", f.name, f.summary);
    }
    out.push_str(
        "\nlparse --format-help NAME shows what a format reads and the records it makes.\n",
    );
    out
}

/// `--format-help NAME`: the entry, with each sample line and the record
/// that `formats` (lparse's built-in formats) make of it, times without an
/// offset read in UTC. `None` for a name that is no entry.
pub fn help(name: &str, formats: Vec<Box<dyn LogFormat>>) -> Option<String> {
    let f = FORMATS.iter().find(|f| f.name == name)?;
    let mut out = format!("{} - {}\n\n{}\n", f.name, f.summary, f.text);
    let mut formats = Formats::new(formats.into_iter().filter(|x| x.name() == name).collect());
    let mut ctx = Ctx::new(jiff::tz::TimeZone::UTC);
    for sample in f.samples {
        let mut record = Vec::new();
        let made = formats.write_record(b"-", sample.as_bytes(), b"", false, &mut record, &mut ctx);
        let _ = write!(out, "\nLine:   {sample}\n");
        match made {
            Ok(_) if record.is_empty() => out.push_str("Record: none (a directive)\n"),
            Ok(_) => {
                let _ = write!(out, "Record: {}", String::from_utf8_lossy(&record));
            }
            Err(why) => {
                let _ = writeln!(out, "Record: none ({why})");
            }
        }
    }
    Some(out)
}

/// The names `--format-help` knows, for its error message.
pub fn names() -> Vec<&'static str> {
    FORMATS.iter().map(|f| f.name).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_format_has_help_in_the_order_they_are_tried() {
        let built_in: Vec<String> =
            crate::builtin_formats().iter().map(|f| f.name().to_owned()).collect();
        let mut helped: Vec<&str> = names();
        assert_eq!(helped.pop(), Some("custom"));
        assert_eq!(built_in, helped);
    }

    #[test]
    fn every_sample_makes_a_whole_record_of_its_own_format() {
        for f in FORMATS {
            let text = help(f.name, crate::builtin_formats()).unwrap();
            for sample in f.samples.iter().filter(|s| !s.starts_with('#')) {
                let line = format!("Line:   {sample}\nRecord: ");
                let at = text.find(&line).unwrap_or_else(|| panic!("{text}")) + line.len();
                let record: serde_json::Value =
                    serde_json::from_str(text[at..].lines().next().unwrap()).expect(&text);
                let fmt = record["fmt"].as_str().unwrap_or_else(|| panic!("{record}"));
                assert!(fmt == f.name || (f.name == "combined" && fmt == "common"), "{record}");
                assert!(record.get("err").is_none() && record.get("partial").is_none(), "{record}");
            }
        }
    }

    #[test]
    fn samples_show_what_the_text_says() {
        let combined = help("combined", crate::builtin_formats()).unwrap();
        for field in [r#""rt":0.004"#, r#""upstream_rt":0.003"#, r#""vhost":"example.com""#] {
            assert!(combined.contains(field), "{field} in {combined}");
        }
        let w3c = help("w3c", crate::builtin_formats()).unwrap();
        assert!(w3c.contains(r#""ts":"2026-11-27T03:22:43+00:00""#), "{w3c}");
        assert!(w3c.contains(r#""rt":0.015"#), "{w3c}");
        assert!(help("nope", crate::builtin_formats()).is_none());
    }
}
