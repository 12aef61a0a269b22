//! Human output on a terminal: escaping log data so that it cannot drive the
//! terminal (escape-sequence injection), and aligned tables.

use std::fmt::Write as _;

/// Characters that change how the terminal shows the text after them:
/// control characters (C0, DEL, C1) and the bidirectional overrides and
/// isolates, which can make `exe.png` display as `gnp.exe`.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

/// Escapes the characters of [`is_unsafe`] as `\u{..}` (and `\n`, `\r`,
/// `\t`), leaving other text, including non-ASCII letters, as it is.
pub fn escape_control(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return s.into();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.into()
}

/// Whether a column holds numbers (right-aligned) or text (left-aligned).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Text: padded on the right.
    Left,
    /// Numbers: padded on the left, so that digits line up.
    Right,
}

/// The width of text in terminal columns (wide East Asian characters take
/// two).
pub fn width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

/// Renders rows as an aligned table with a header line. Cells are escaped
/// with [`escape_control`]; widths are terminal columns.
pub fn render_table(header: &[&str], align: &[Align], rows: &[Vec<String>]) -> String {
    let escaped: Vec<Vec<String>> =
        rows.iter().map(|r| r.iter().map(|c| escape_control(c).into_owned()).collect()).collect();
    let mut widths: Vec<usize> = header.iter().map(|h| width(h)).collect();
    for row in &escaped {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(width(cell));
        }
    }
    let mut out = String::new();
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut first = true;
        let mut text = String::new();
        for (i, cell) in cells.enumerate() {
            if !first {
                text.push_str("  ");
            }
            first = false;
            let pad = widths[i].saturating_sub(width(cell));
            let right = align.get(i) == Some(&Align::Right);
            if right {
                text.extend(std::iter::repeat_n(' ', pad));
            }
            text.push_str(cell);
            if !right {
                text.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(&mut header.iter().copied());
    for row in &escaped {
        line(&mut row.iter().map(String::as_str));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape_control("plain é"), "plain é");
        assert_eq!(escape_control("\x1b[31mred\x07"), "\\u{1b}[31mred\\u{7}");
        assert_eq!(escape_control("a\nb\u{9b}"), "a\\nb\\u{9b}");
        assert_eq!(escape_control("e\u{202e}gnp.exe"), "e\\u{202e}gnp.exe");
    }

    #[test]
    fn wide_characters_take_two_columns() {
        let t = render_table(
            &["ua", "n"],
            &[Align::Left, Align::Right],
            &[vec!["日本".into(), "1".into()], vec!["ab".into(), "2".into()]],
        );
        assert_eq!(t, "ua    n\n日本  1\nab    2\n");
    }

    #[test]
    fn tables_align() {
        let t = render_table(
            &["path", "count"],
            &[Align::Left, Align::Right],
            &[vec!["/a".into(), "7".into()], vec!["/\x1b".into(), "1234".into()]],
        );
        assert_eq!(t, "path     count\n/a           7\n/\\u{1b}   1234\n");
    }
}
