//! TSV and CSV: a header line, then a line per row; an absent value is an
//! empty field; numbers as in the JSON output.
//!
//! Both are formats for programs as much as for people, so their escaping
//! is the format's own and can be undone exactly:
//!
//! * TSV: backslash, tab, line feed and carriage return are written `\\`,
//!   `\t`, `\n`, `\r`, and the other characters that a terminal would obey
//!   ([`term::is_unsafe`]: the control characters and the bidirectional
//!   overrides) as `\xHH` per UTF-8 byte. These are the escapes of
//!   PostgreSQL's `COPY ... (FORMAT text)`, which reads the output as it
//!   is; no raw control byte is ever written, to a pipe or a terminal.
//! * CSV: RFC 4180 (the `csv` crate): a field holding `,`, `"`, CR or LF is
//!   quoted, its quotes doubled, and lines end in CRLF. On a terminal, the
//!   unsafe characters are first escaped as in the table
//!   ([`term::escape_control`]), so that a person sees them instead of
//!   their effect.

use logkit_common::term;
use serde_json::Value as Json;
use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};

/// A cell's text before the format's escaping: strings as they are, other
/// values as JSON, nothing for null.
fn text(value: &Json) -> Cow<'_, str> {
    match value {
        Json::Null => "".into(),
        Json::String(s) => s.as_str().into(),
        other => other.to_string().into(),
    }
}

/// Writes tab-separated values. Returns the number of lines written.
pub fn write_tsv(
    names: &[String],
    rows: impl Iterator<Item = Vec<Json>>,
    out: &mut dyn Write,
) -> io::Result<usize> {
    let mut line = String::new();
    let mut write_line = |fields: &mut dyn Iterator<Item = Cow<'_, str>>| {
        line.clear();
        for (i, field) in fields.enumerate() {
            if i > 0 {
                line.push('\t');
            }
            escape_tsv(&field, &mut line);
        }
        line.push('\n');
        out.write_all(line.as_bytes())
    };
    write_line(&mut names.iter().map(|n| n.as_str().into()))?;
    let mut n = 1;
    for row in rows {
        write_line(&mut row.iter().map(text))?;
        n += 1;
    }
    Ok(n)
}

/// Appends `s` to `out` with the TSV escapes of the module's docs.
fn escape_tsv(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if term::is_unsafe(c) => {
                for byte in c.encode_utf8(&mut [0; 4]).bytes() {
                    let _ = write!(out, "\\x{byte:02x}");
                }
            }
            c => out.push(c),
        }
    }
}

/// Writes comma-separated values (RFC 4180); `terminal` escapes what a
/// terminal would obey. Returns the number of records written.
pub fn write_csv(
    names: &[String],
    rows: impl Iterator<Item = Vec<Json>>,
    terminal: bool,
    out: &mut dyn Write,
) -> io::Result<usize> {
    let mut csv = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(out);
    let shown = |field: Cow<'_, str>| -> String {
        if terminal {
            term::escape_control(&field).into_owned()
        } else {
            field.into_owned()
        }
    };
    csv.write_record(names.iter().map(|n| shown(n.as_str().into())))?;
    let mut n = 1;
    for row in rows {
        csv.write_record(row.iter().map(|v| shown(text(v))))?;
        n += 1;
    }
    csv.flush()?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "/a,\"b\"\t\\\n\r\u{1b}[2J\u{7}\u{7f}\u{9b}é\u{202e}";

    fn rows() -> impl Iterator<Item = Vec<Json>> {
        [
            vec![Json::from(HOSTILE), Json::from(3), Json::Null],
            vec![Json::from("plain"), Json::from(0.1 + 0.2), Json::from(0.000123)],
        ]
        .into_iter()
    }

    fn names() -> Vec<String> {
        ["path", "count", "avg_rt"].map(String::from).to_vec()
    }

    #[test]
    fn tsv_escapes_are_postgresql_copys() {
        let mut out = Vec::new();
        assert_eq!(write_tsv(&names(), rows(), &mut out).unwrap(), 3);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "path\tcount\tavg_rt\n\
             /a,\"b\"\\t\\\\\\n\\r\\x1b[2J\\x07\\x7f\\xc2\\x9bé\\xe2\\x80\\xae\t3\t\n\
             plain\t0.30000000000000004\t0.000123\n"
        );
    }

    #[test]
    fn csv_on_a_pipe_is_rfc_4180() {
        let mut out = Vec::new();
        assert_eq!(write_csv(&names(), rows(), false, &mut out).unwrap(), 3);
        let quoted = HOSTILE.replace('"', "\"\"");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!(
                "path,count,avg_rt\r\n\"{quoted}\",3,\r\nplain,0.30000000000000004,0.000123\r\n"
            )
        );
    }

    #[test]
    fn csv_on_a_terminal_shows_controls_escaped() {
        let mut out = Vec::new();
        write_csv(&names(), rows(), true, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "path,count,avg_rt\r\n\
             \"/a,\"\"b\"\"\\t\\\\n\\r\\u{1b}[2J\\u{7}\\u{7f}\\u{9b}é\\u{202e}\",3,\r\n\
             plain,0.30000000000000004,0.000123\r\n"
        );
    }
}
