//! syslog lines: RFC 3164 (BSD) and RFC 5424.
