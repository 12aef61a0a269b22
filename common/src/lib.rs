//! Shared core of the logkit tools (`ltail`, `lparse`, `lcount`, `lgrep`,
//! `hprobe`).
//!
//! The tools talk to each other in newline-delimited JSON. Everything that
//! touches that format, and every way of doing a thing that more than one
//! tool does, lives here once, so that the four binaries cannot drift
//! apart:
//!
//! * the record format: [`record`] (field names and their types, the `_b64`
//!   rule for bytes that are not UTF-8; see `docs/records.md`), [`schema`]
//!   (`--print-schema`: SQL for DuckDB and ClickHouse from those types), [`json`] (writing flat
//!   objects), [`flat`] (scanning them), [`fields`] (borrowed access to a
//!   few fields of a record, and comparing values);
//! * reading: [`input`] (the one line reader: a reusable buffer, memchr
//!   splitting, the line and record maxima, numbering, a hook for idle
//!   input, chunks of lines for threads), [`parallel`] (when and how an
//!   input is read on several cores, results in input order), [`live`]
//!   (stopping on SIGINT/SIGTERM, ticks while the input is idle);
//! * writing: [`output`] (a buffered stdout flushed when input goes idle),
//!   [`term`] (escaping log data for a terminal, aligned tables),
//!   [`style`] (`--color`, `NO_COLOR`, the window's width, styled lines
//!   cut to it), [`view`] (records as readable lines on a terminal);
//! * meaning: [`time`] (every timestamp layout the tools read, one parser
//!   each, one RFC 3339 writer, durations), [`sniff`] (finding the time of
//!   a raw line of unknown format, for `ltail --merge`), [`filter`]
//!   (`--status` lists and `--where` conditions), [`seen`] (warning about
//!   a field named on the command line that appears in no record), [`url`]
//!   (the parts of a URL's text);
//! * the process: [`cli`] (exit codes, error prefix, `-` for stdin, quiet
//!   exit on a closed pipe, bad-input reporting, `--generate` for man
//!   pages and completions), [`build_info`] (the build in `--version`), [`sys`] (poll, the
//!   open-files limit and fstat, through rustix).

#![warn(missing_docs)]

pub mod build_info;
pub mod cli;
pub mod fields;
pub mod filter;
pub mod flat;
pub mod input;
pub mod json;
pub mod keys;
pub mod live;
pub mod output;
pub mod parallel;
pub mod record;
pub mod schema;
pub mod seen;
pub mod sniff;
pub mod style;
pub mod sys;
pub mod term;
pub mod time;
pub mod url;
pub mod view;
