//! Colour and width for the human views, one convention for every tool:
//! `--color auto|always|never` ([`ColorChoice`]; `auto` colours only a
//! terminal, and not when `NO_COLOR` is set to something), the width of the
//! terminal ([`stdout_columns`]), a handful of styles written as ANSI SGR
//! sequences (through `anstyle`, which clap already uses), and [`Line`],
//! which puts styled pieces of log data on one line, escaped and cut to
//! the window with `…`.
//!
//! Colour never reaches a pipe by accident: a tool asks [`ColorChoice::enabled`]
//! only for its human views, and its NDJSON on a pipe is the same bytes
//! whatever `--color` says.

use crate::term::escape_control;
use anstyle::{AnsiColor, Effects};
use std::fmt::Write as _;
use std::os::fd::AsFd;

pub use anstyle::Style;

/// `--color`: when the human views are coloured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when the output is a terminal and `NO_COLOR` is unset or
    /// empty.
    #[default]
    Auto,
    /// Colour the human views even when `NO_COLOR` is set or the output is
    /// not a terminal (for `less -R`); NDJSON is never coloured.
    Always,
    /// Never colour.
    Never,
}

impl ColorChoice {
    /// Whether to colour a view written to an output that is, or is not,
    /// a terminal. `NO_COLOR` (<https://no-color.org>) is read here, once per
    /// call: an empty value counts as unset, as the convention says.
    pub fn enabled(self, terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        }
    }
}

/// `--json` and `--color`, as every tool with a view for people takes
/// them (flattened into its arguments).
#[derive(Debug, Clone, clap::Args)]
pub struct ViewArgs {
    /// Write the NDJSON records on a terminal too, instead of the view for
    /// people (a pipe always gets the records).
    #[arg(long)]
    pub json: bool,

    /// Colour the terminal view: auto (on a terminal, unless NO_COLOR is
    /// set), always, never. Records (on a pipe, or with --json) are never
    /// coloured.
    #[arg(long, value_name = "WHEN", default_value = "auto")]
    pub color: ColorChoice,
}

/// What standard output gets, from [`ViewArgs::shown`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// NDJSON records, byte for byte (a pipe or a file).
    Records,
    /// Records on a terminal (`--json`): the same JSON, with the characters
    /// that could drive the terminal escaped.
    TerminalRecords,
    /// The view for people, coloured when `color` is on.
    View {
        /// Whether the view is coloured (`--color`, `NO_COLOR`).
        color: bool,
    },
}

impl ViewArgs {
    /// What an output that is, or is not, a terminal gets: the records on a
    /// pipe whatever the options say, the view on a terminal unless
    /// `--json`.
    pub fn shown(&self, terminal: bool) -> Shown {
        match (terminal, self.json) {
            (false, _) => Shown::Records,
            (true, true) => Shown::TerminalRecords,
            (true, false) => Shown::View { color: self.color.enabled(true) },
        }
    }
}

/// Dimmed text: what is there for reference (times, keys, quiet levels).
pub const DIM: Style = Style::new().effects(Effects::DIMMED);
/// Bold text: headers.
pub const BOLD: Style = Style::new().effects(Effects::BOLD);
/// Red: server errors, error levels, lines that did not parse.
pub const RED: Style = AnsiColor::Red.on_default();
/// Bold red: what must not be missed.
pub const RED_BOLD: Style = AnsiColor::Red.on_default().effects(Effects::BOLD);
/// Yellow: client errors, warnings, partial records.
pub const YELLOW: Style = AnsiColor::Yellow.on_default();
/// Green: success.
pub const GREEN: Style = AnsiColor::Green.on_default();
/// Cyan: redirects.
pub const CYAN: Style = AnsiColor::Cyan.on_default();
/// No style at all.
pub const PLAIN: Style = Style::new();

/// The width of the terminal on `fd`, in columns; `None` when it is no
/// terminal or does not know its size.
pub fn columns_of(fd: impl AsFd) -> Option<usize> {
    rustix::termios::tcgetwinsize(fd).ok().map(|w| usize::from(w.ws_col)).filter(|&c| c > 0)
}

/// The width of standard output in columns: the terminal's own, else
/// `COLUMNS` (set by shells and by tests), else `None` (no limit).
pub fn stdout_columns() -> Option<usize> {
    columns_of(std::io::stdout())
        .or_else(|| std::env::var("COLUMNS").ok()?.trim().parse().ok().filter(|&c: &usize| c > 0))
}

/// Writes `text` in `style` to `out`: with SGR sequences when `color` is
/// on, as it is otherwise. `text` is written as given: escape log data
/// first (or use [`Line`]).
pub fn paint(out: &mut String, color: bool, style: Style, text: &str) {
    if color && !style.is_plain() {
        let _ = write!(out, "{}{text}{}", style.render(), style.render_reset());
    } else {
        out.push_str(text);
    }
}

/// One line for a person, built from styled pieces: log data is escaped
/// ([`escape_control`]) as it is added, and at the end the line is cut to a
/// width in terminal columns, its last column then a `…`, so that a long
/// value never wraps onto the next line.
#[derive(Debug, Default)]
pub struct Line {
    /// The visible text.
    text: String,
    /// Styled ranges of `text`, in order.
    spans: Vec<(std::ops::Range<usize>, Style)>,
}

impl Line {
    /// An empty line.
    pub fn new() -> Line {
        Line::default()
    }

    /// Whether nothing was added yet.
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Adds `text` (log data: escaped here) in `style`.
    pub fn push(&mut self, style: Style, text: &str) -> &mut Line {
        let start = self.text.len();
        self.text.push_str(&escape_control(text));
        if !style.is_plain() && self.text.len() > start {
            self.spans.push((start..self.text.len(), style));
        }
        self
    }

    /// Adds `text` in `style`, after a space unless the line is empty.
    pub fn word(&mut self, style: Style, text: &str) -> &mut Line {
        if !self.text.is_empty() {
            self.text.push(' ');
        }
        self.push(style, text)
    }

    /// Adds `text` in `style` padded with spaces to `width` columns, after
    /// a space unless the line is empty: a column that lines up from one
    /// line to the next.
    pub fn cell(&mut self, style: Style, text: &str, width: usize) -> &mut Line {
        self.word(style, text);
        let pad = width.saturating_sub(crate::term::width(&escape_control(text)));
        self.text.extend(std::iter::repeat_n(' ', pad));
        self
    }

    /// Writes the line to `out` with its colours (when `color` is on), cut
    /// to `max` columns, and a newline. Trailing blanks are left out.
    pub fn write(&self, out: &mut String, color: bool, max: Option<usize>) {
        let text = self.text.trim_end();
        let (end, cut) = match max {
            // A cut right after a blank leaves no blank before the `…`.
            Some(max) => match crate::term::cut_point(text, max) {
                (end, true) => (text[..end].trim_end().len(), true),
                whole => whole,
            },
            None => (text.len(), false),
        };
        let mut at = 0;
        for (range, style) in &self.spans {
            if range.start >= end {
                break;
            }
            out.push_str(&text[at..range.start]);
            paint(out, color, *style, &text[range.start..range.end.min(end)]);
            at = range.end.min(end);
        }
        out.push_str(&text[at..end]);
        if cut {
            out.push('…');
        }
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(line: &Line, color: bool, max: Option<usize>) -> String {
        let mut out = String::new();
        line.write(&mut out, color, max);
        out
    }

    #[test]
    fn never_and_always_ignore_the_terminal() {
        assert!(!ColorChoice::Never.enabled(true));
        assert!(ColorChoice::Always.enabled(false));
        assert!(!ColorChoice::Auto.enabled(false));
    }

    #[test]
    fn styles_are_sgr_only_when_colour_is_on() {
        let mut line = Line::new();
        line.word(GREEN, "200").word(PLAIN, "/a").word(DIM, "1ms");
        assert_eq!(shown(&line, false, None), "200 /a 1ms\n");
        assert_eq!(shown(&line, true, None), "\x1b[32m200\x1b[0m /a \x1b[2m1ms\x1b[0m\n");
    }

    #[test]
    fn data_is_escaped_before_it_is_measured() {
        let mut line = Line::new();
        line.word(PLAIN, "/\x1b[2J");
        assert_eq!(shown(&line, true, None), "/\\u{1b}[2J\n");
        assert_eq!(shown(&line, true, Some(5)), "/\\u{…\n");
    }

    #[test]
    fn long_lines_are_cut_with_an_ellipsis_inside_a_style() {
        let mut line = Line::new();
        line.word(RED, "500").word(PLAIN, "/a/very/long/path");
        assert_eq!(shown(&line, false, Some(10)), "500 /a/ve…\n");
        assert_eq!(shown(&line, false, Some(21)), "500 /a/very/long/path\n");
        assert_eq!(shown(&line, true, Some(3)), "\x1b[31m50\x1b[0m…\n");
        // Wide characters take two columns: never half of one.
        let mut wide = Line::new();
        wide.word(PLAIN, "日本語");
        assert_eq!(shown(&wide, false, Some(4)), "日…\n");
    }

    #[test]
    fn cells_line_up() {
        let mut line = Line::new();
        line.cell(PLAIN, "GET", 6).word(PLAIN, "/");
        assert_eq!(shown(&line, false, None), "GET    /\n");
    }
}
