//! W3C extended log files (IIS and others), with their `#Fields:` header.
