//! Human output on a terminal: escaping log data so that it cannot drive the
//! terminal (escape-sequence injection), numbers and durations written to be
//! read at a glance, and aligned tables.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether a character changes how the terminal shows the text after it:
/// the control characters (C0, DEL, C1: ESC starts a sequence that can clear
/// the screen or retitle the window, and U+009B does in some terminals) and
/// the bidirectional overrides, isolates and marks, which can make
/// `exe.png` display as `gnp.exe`. Log data shown to a person is written
/// with these escaped, by [`escape_control`] or a format's own escapes.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

/// Escapes the characters of [`is_unsafe`] as `\u{..}` (and `\n`, `\r`,
/// `\t`), leaving other text, including non-ASCII letters, as it is.
pub fn escape_control(s: &str) -> Cow<'_, str> {
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

/// Escapes the characters of [`is_unsafe`] in JSON text shown on a
/// terminal, so that it means the same JSON and cannot drive the terminal.
/// `json` must be valid JSON (serde_json's output, or a record that
/// [`crate::flat`] accepted): there the C0 controls are escaped already
/// inside strings, and outside them text is printable ASCII or whitespace.
/// So every DEL, C1 control or bidirectional character found is inside a
/// string and is written `\uXXXX`, the same character to a JSON reader (all
/// of them lie in the Basic Multilingual Plane). Of the whitespace between
/// tokens, tabs and line feeds are kept and a carriage return, which would
/// move the cursor back over what was shown, becomes a space.
pub fn escape_json(json: &str) -> Cow<'_, str> {
    if !json.chars().any(|c| is_unsafe(c) && c != '\n' && c != '\t') {
        return json.into();
    }
    let mut out = String::with_capacity(json.len() + 12);
    for c in json.chars() {
        match c {
            '\n' | '\t' => out.push(c),
            '\r' => out.push(' '),
            c if is_unsafe(c) => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.into()
}

/// How many significant digits [`number`] and [`seconds`] show: enough to
/// tell 0.000123 from 0.0001, few enough to read at a glance.
const SIGNIFICANT: usize = 4;

/// The decimal exponent of `x` once rounded to [`SIGNIFICANT`] digits:
/// 999.96 becomes 1000, so 3 rather than 2.
fn rounded_exponent(x: f64) -> i32 {
    let text = format!("{:.*e}", SIGNIFICANT - 1, x);
    text.rsplit_once('e').and_then(|(_, e)| e.parse().ok()).unwrap_or(0)
}

/// A number for a person: four significant digits (`0.1235`, `12.35`,
/// `1235`), the whole integer part of larger ones (`123457`), and
/// scientific notation below 0.0001 (`1.230e-5`), so that a small value is
/// never shown as 0 or as a misleading fixed number of decimals. Zero is
/// `0`; infinities and NaN are written as Rust writes them (`inf`, `NaN`).
/// Programs should read the exact values of the JSON output instead.
pub fn number(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    if !x.is_finite() {
        return x.to_string();
    }
    let exponent = rounded_exponent(x);
    if exponent < -4 {
        format!("{:.*e}", SIGNIFICANT - 1, x)
    } else {
        let decimals = (SIGNIFICANT as i32 - 1 - exponent).max(0) as usize;
        format!("{x:.decimals$}")
    }
}

/// A duration given in seconds, for a person: [`number`] in the unit that
/// puts it between 1 and 1000 (`850.0µs`, `12.35ms`, `1.500s`; `ns` below
/// a microsecond, `s` from a second up: `3600s`). Zero is `0s`.
pub fn seconds(x: f64) -> String {
    if x == 0.0 {
        return "0s".into();
    }
    if !x.is_finite() {
        return number(x);
    }
    let (scale, unit) = match rounded_exponent(x) {
        e if e >= 0 => (1.0, "s"),
        -3..=-1 => (1e3, "ms"),
        -6..=-4 => (1e6, "µs"),
        _ => (1e9, "ns"),
    };
    format!("{}{unit}", number(x * scale))
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

/// Where to cut `text` to show it in `max` columns: the byte length to
/// keep, and whether a `…` must follow (it takes the last column). Wide
/// characters are never split.
pub fn cut_point(text: &str, max: usize) -> (usize, bool) {
    if width(text) <= max {
        return (text.len(), false);
    }
    let room = max.saturating_sub(1);
    let mut used = 0;
    for (i, c) in text.char_indices() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > room {
            return (i, true);
        }
        used += w;
    }
    (text.len(), false)
}

/// `text` in at most `max` columns: cut with `…` when it is wider
/// (`/index.html` in 6 is `/inde…`); nothing at all in 0 columns.
pub fn cut(text: &str, max: usize) -> Cow<'_, str> {
    match cut_point(text, max) {
        _ if max == 0 => Cow::Borrowed(""),
        (end, true) => Cow::Owned(format!("{}…", &text[..end])),
        (_, false) => Cow::Borrowed(text),
    }
}

/// The narrowest a cuttable column is made before the columns right of
/// it are left to be cut off at the window's edge instead.
pub const MIN_CUT_WIDTH: usize = 8;

/// Fits columns of `widths` (terminal columns, `gap` apart) into `room`:
/// while they are too wide, the widest of the `cuttable` ones (the text
/// keys, whose values can be cut with `…`; never the numbers) gives up
/// columns, down to [`MIN_CUT_WIDTH`], then, if that is not enough, down
/// to 2 (a character and the `…`). Only what still does not fit is left
/// for the edge of the window to cut: a number is cut only in a window too
/// narrow for the numbers alone.
pub fn fit_widths(widths: &mut [usize], cuttable: &[bool], gap: usize, room: usize) {
    let gaps = gap * widths.len().saturating_sub(1);
    let mut excess = (widths.iter().sum::<usize>() + gaps).saturating_sub(room);
    for floor in [MIN_CUT_WIDTH, 2] {
        while excess > 0 {
            let widest = widths
                .iter()
                .enumerate()
                .filter(|&(i, &w)| cuttable.get(i) == Some(&true) && w > floor)
                .max_by_key(|&(_, &w)| w);
            let Some((i, &w)) = widest else { break };
            let by = excess.min(w - floor);
            widths[i] -= by;
            excess -= by;
        }
    }
}

/// Renders rows as an aligned table with a header line, two spaces between
/// columns. Cells are escaped with [`escape_control`]; widths are terminal
/// columns. With `max` (a window's width), text columns that make the
/// table wider are cut with `…` ([`fit_widths`]), and a line still wider
/// is cut at `max`, so that no line wraps.
pub fn render_table(
    header: &[&str],
    align: &[Align],
    rows: &[Vec<String>],
    max: Option<usize>,
) -> String {
    let escaped: Vec<Vec<String>> =
        rows.iter().map(|r| r.iter().map(|c| escape_control(c).into_owned()).collect()).collect();
    let mut widths: Vec<usize> = header.iter().map(|h| width(h)).collect();
    for row in &escaped {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(width(cell));
        }
    }
    if let Some(max) = max {
        let cuttable: Vec<bool> =
            (0..widths.len()).map(|i| align.get(i) != Some(&Align::Right)).collect();
        fit_widths(&mut widths, &cuttable, 2, max);
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
            let cell = cut(cell, widths[i]);
            let pad = widths[i].saturating_sub(width(&cell));
            let right = align.get(i) == Some(&Align::Right);
            if right {
                text.extend(std::iter::repeat_n(' ', pad));
            }
            text.push_str(&cell);
            if !right {
                text.extend(std::iter::repeat_n(' ', pad));
            }
        }
        let text = text.trim_end();
        out.push_str(&cut(text, max.unwrap_or(usize::MAX)));
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
    fn json_keeps_its_meaning_and_loses_its_controls() {
        let json = "{\"p\":\"/\\u001b[2J\u{7f}\u{9b}31m\u{202e}gnp.exe é\",\t\r\"n\":1}\n";
        assert_eq!(
            escape_json(json),
            "{\"p\":\"/\\u001b[2J\\u007f\\u009b31m\\u202egnp.exe é\",\t \"n\":1}\n"
        );
        // Only owned when something is escaped.
        assert!(matches!(escape_json("{\"a\":\"é\"}\t\n"), Cow::Borrowed(_)));
    }

    #[test]
    fn numbers_keep_four_significant_digits() {
        assert_eq!(number(0.000123), "0.0001230");
        assert_eq!(number(0.0001), "0.0001000");
        assert_eq!(number(0.123456), "0.1235");
        assert_eq!(number(-2.5), "-2.500");
        assert_eq!(number(9.99996), "10.00");
        assert_eq!(number(1234.5678), "1235");
        assert_eq!(number(123456.7), "123457");
        assert_eq!(number(0.0000123), "1.230e-5");
        assert_eq!(number(5e-324), "4.941e-324");
        assert_eq!(number(0.0), "0");
        assert_eq!(number(-0.0), "0");
        assert_eq!(number(f64::INFINITY), "inf");
    }

    #[test]
    fn durations_take_the_unit_that_reads_best() {
        assert_eq!(seconds(0.000123), "123.0µs");
        assert_eq!(seconds(0.0005), "500.0µs");
        assert_eq!(seconds(0.00099996), "1.000ms");
        assert_eq!(seconds(0.01234), "12.34ms");
        assert_eq!(seconds(0.25), "250.0ms");
        assert_eq!(seconds(1.5), "1.500s");
        assert_eq!(seconds(3600.0), "3600s");
        assert_eq!(seconds(0.0000025), "2.500µs");
        assert_eq!(seconds(4e-7), "400.0ns");
        assert_eq!(seconds(1e-12), "0.001000ns");
        assert_eq!(seconds(-0.002), "-2.000ms");
        assert_eq!(seconds(0.0), "0s");
    }

    #[test]
    fn wide_characters_take_two_columns() {
        let t = render_table(
            &["ua", "n"],
            &[Align::Left, Align::Right],
            &[vec!["日本".into(), "1".into()], vec!["ab".into(), "2".into()]],
            None,
        );
        assert_eq!(t, "ua    n\n日本  1\nab    2\n");
    }

    #[test]
    fn tables_align() {
        let t = render_table(
            &["path", "count"],
            &[Align::Left, Align::Right],
            &[vec!["/a".into(), "7".into()], vec!["/\x1b".into(), "1234".into()]],
            None,
        );
        assert_eq!(t, "path     count\n/a           7\n/\\u{1b}   1234\n");
    }

    #[test]
    fn long_values_are_cut_with_an_ellipsis() {
        assert_eq!(cut("/index.html", 11), "/index.html");
        assert_eq!(cut("/index.html", 6), "/inde…");
        // Wide characters take two columns and are not split.
        assert_eq!(cut("日本語のパス", 6), "日本…");
        assert_eq!(cut("abc", 1), "…");
        assert_eq!(cut("abc", 0), "");
    }

    #[test]
    fn the_widest_text_column_gives_up_its_room() {
        let cuttable = [true, true, false];
        // 60 + 6 + 5 and two gaps of 2 = 75 columns in 40: the path cut to 25.
        let mut w = [60, 6, 5];
        fit_widths(&mut w, &cuttable, 2, 40);
        assert_eq!(w, [25, 6, 5]);
        let mut w = [60, 6, 5];
        fit_widths(&mut w, &cuttable, 2, 80);
        assert_eq!(w, [60, 6, 5]);
        // Down to MIN_CUT_WIDTH first, the widest first...
        let mut w = [60, 6, 5];
        fit_widths(&mut w, &cuttable, 2, 23);
        assert_eq!(w, [8, 6, 5]);
        // ...then down to a character and the `…`, before any number.
        let mut w = [60, 6, 5];
        fit_widths(&mut w, &cuttable, 2, 17);
        assert_eq!(w, [2, 6, 5]);
        let mut w = [60, 6, 5];
        fit_widths(&mut w, &cuttable, 2, 5);
        assert_eq!(w, [2, 2, 5]);
    }

    #[test]
    fn a_table_fits_its_window() {
        let rows = [vec!["/".to_owned() + &"a".repeat(40), "1234".to_owned()]];
        let t = render_table(&["path", "count"], &[Align::Left, Align::Right], &rows, Some(20));
        assert_eq!(t, "path           count\n/aaaaaaaaaaa…   1234\n");
        assert!(t.lines().all(|l| width(l) <= 20));
    }
}
