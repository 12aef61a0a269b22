//! What a server's variables are called in the record format.
//!
//! Shared by the custom formats (`--nginx-format`, `--apache-format`) and by
//! JSON access logs (nginx `escape=json`), whose keys are the variable
//! names the administrator chose, often the nginx ones.

/// How a variable's text becomes a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A string field under the canonical name.
    Text(&'static str),
    /// An integer (`status`, `bytes`).
    Int(&'static str),
    /// Seconds, as a decimal (`$request_time`, `%T`).
    Seconds(&'static str),
    /// Microseconds, written as seconds (`%D`).
    Micros(&'static str),
    /// Milliseconds, written as seconds (`%{ms}T`).
    Millis(&'static str),
    /// A time: CLF (`$time_local`, `%t`) or ISO 8601 (`$time_iso8601`).
    Time,
    /// The request line: `method`, `path`, `query`, `proto`.
    Request,
    /// A request target: `path` and `query`.
    Target,
}

/// The canonical field of an nginx variable (without `$`), if it has one.
pub fn nginx(name: &str) -> Option<Kind> {
    Some(match name {
        "remote_addr" | "realip_remote_addr" => Kind::Text("client"),
        "remote_user" => Kind::Text("user"),
        "time_local" | "time_iso8601" => Kind::Time,
        "request" => Kind::Request,
        "request_method" => Kind::Text("method"),
        "request_uri" => Kind::Target,
        "uri" | "document_uri" => Kind::Text("path"),
        "args" | "query_string" => Kind::Text("query"),
        "server_protocol" => Kind::Text("proto"),
        "status" => Kind::Int("status"),
        "body_bytes_sent" => Kind::Int("bytes"),
        "http_referer" => Kind::Text("referer"),
        "http_user_agent" => Kind::Text("ua"),
        "host" | "server_name" | "http_host" => Kind::Text("vhost"),
        "request_time" => Kind::Seconds("rt"),
        _ => return None,
    })
}

/// Variables that are numbers in nginx's output, kept under their own name
/// but typed (`$upstream_response_time` is seconds, `$bytes_sent` bytes).
pub fn nginx_number(name: &str) -> bool {
    matches!(
        name,
        "bytes_sent"
            | "request_length"
            | "upstream_response_time"
            | "upstream_connect_time"
            | "upstream_header_time"
            | "upstream_status"
            | "connection"
            | "connection_requests"
            | "pid"
            | "msec"
            | "server_port"
            | "remote_port"
            | "upstream_response_length"
    )
}
