//! NDJSON: one object per row, numbers as serde_json writes them (integers
//! as they are, others as the shortest text that reads back as the same
//! `f64`).

use logkit_common::term::escape_json;
use serde_json::Value as Json;
use std::io::{self, Write};

/// Writes one object per row, its fields named by `names`. On a terminal,
/// the characters that JSON may carry raw but a terminal would obey (DEL,
/// the C1 controls, the bidirectional overrides) are written as `\uXXXX`
/// escapes ([`escape_json`]): the same JSON value, and nothing that can
/// drive the terminal.
/// Returns the number of lines written.
pub fn write(
    names: &[String],
    rows: impl Iterator<Item = Vec<Json>>,
    terminal: bool,
    out: &mut dyn Write,
) -> io::Result<usize> {
    let mut n = 0;
    let mut line = Vec::new();
    for row in rows {
        line.clear();
        let mut obj = logkit_common::json::Object::new(&mut line);
        for (name, value) in names.iter().zip(&row) {
            serde_json::to_writer(&mut *obj.key_escaped(name), value)?;
        }
        obj.finish();
        line.push(b'\n');
        if terminal {
            // serde_json writes valid UTF-8.
            let text = String::from_utf8_lossy(&line);
            out.write_all(escape_json(&text).as_bytes())?;
        } else {
            out.write_all(&line)?;
        }
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(value: Json, terminal: bool) -> String {
        let mut out = Vec::new();
        write(&["path".into()], std::iter::once(vec![value]), terminal, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn terminals_get_no_raw_controls_and_the_same_value() {
        let path = "/\u{1b}[2J\u{7}\u{7f}\u{9b}31m\u{202e}gnp.exe";
        let shown = written(Json::from(path), true);
        assert_eq!(shown, "{\"path\":\"/\\u001b[2J\\u0007\\u007f\\u009b31m\\u202egnp.exe\"}\n",);
        let back: Json = serde_json::from_str(&shown).unwrap();
        assert_eq!(back["path"], path);
        // On a pipe, as serde_json writes it.
        let piped = written(Json::from(path), false);
        assert_eq!(piped, "{\"path\":\"/\\u001b[2J\\u0007\u{7f}\u{9b}31m\u{202e}gnp.exe\"}\n");
    }

    #[test]
    fn numbers_are_shortest_round_trip() {
        let sum = 0.1 + 0.2;
        assert_eq!(written(Json::from(sum), false), "{\"path\":0.30000000000000004}\n");
        assert_eq!(written(Json::from(0.000123), false), "{\"path\":0.000123}\n");
        assert_eq!(written(Json::from(1234), false), "{\"path\":1234}\n");
    }
}
