//! Shared core of the logkit tools (`ltail`, `lparse`, `lcount`, `hprobe`).
//!
//! The tools talk to each other in newline-delimited JSON. Everything that
//! touches that format lives here, once, so that the four binaries cannot
//! drift apart:
//!
//! * [`record`]: the record format itself (field names, the `_b64` rule for
//!   bytes that are not UTF-8), see `docs/records.md`;
//! * [`json`]: a small writer for flat JSON objects, used to build records;
//! * [`input`]: a fast line reader (one reusable buffer, memchr splitting,
//!   a maximum line length, line numbers, a hook for idle input);
//! * [`output`]: a buffered stdout that flushes when input goes idle;
//! * [`fields`]: borrowed access to a few fields of an NDJSON record, and
//!   value comparison, for filters;
//! * [`time`]: timestamp conversion to RFC 3339;
//! * [`cli`]: the conventions every tool follows (exit codes, error prefix,
//!   `-` for stdin, quiet exit on a closed pipe, bad-input reporting);
//! * [`term`]: escaping log data for a terminal, and aligned tables.

pub mod cli;
pub mod fields;
pub mod filter;
pub mod flat;
pub mod input;
pub mod json;
pub mod live;
pub mod output;
pub mod parallel;
pub mod record;
pub mod sniff;
pub mod sys;
pub mod term;
pub mod time;
