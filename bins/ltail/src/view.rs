//! ltail on a terminal: each line as it was written, after a label that
//! names its source (the shortest end of its path that no other source
//! shares) in a colour of its own, escaped and cut to the window; and the
//! follower's news (rotation, truncation, a new file) as dim lines among
//! them instead of on stderr, where they would only interleave.
//!
//! There is one standard output per process, so how it is shown is
//! process-wide too: [`set`] decides it once at start, and the one place
//! that writes a line ([`crate::emit_line`]) asks [`show_line`]. On a pipe
//! nothing here runs, and the records are the same bytes as ever.

use logkit_common::output::Output;
use logkit_common::record;
use logkit_common::style::{self, Shown, Style, DIM};
use logkit_common::term::escape_control;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};

/// The colours sources get in turn. Red is left out: it means errors in
/// every other view.
const PALETTE: [Style; 5] = [
    anstyle::AnsiColor::Cyan.on_default(),
    anstyle::AnsiColor::Magenta.on_default(),
    anstyle::AnsiColor::Green.on_default(),
    anstyle::AnsiColor::Yellow.on_default(),
    anstyle::AnsiColor::Blue.on_default(),
];

/// One source as the view names it.
struct Source {
    /// Its path as given, for messages and to find its label.
    path: String,
    /// The label shown: the shortest unique end of `path`.
    label: String,
    style: Style,
    /// Whether the label has been shown: from then on it stays as it is,
    /// so that a source found later by a glob never renames one a person
    /// is already reading.
    shown: bool,
}

/// The view's state: its sources by their encoded `src`, and news waiting
/// to be shown before the next line.
struct State {
    mode: Shown,
    sources: Vec<Source>,
    by_src: HashMap<Vec<u8>, usize>,
    /// The widest label, so that the lines start in one column.
    width: usize,
    pending: Vec<String>,
}

static STATE: Mutex<Option<State>> = Mutex::new(None);

/// Whether stdout is a terminal ([`Shown::Records`] is not the mode): read
/// for every line, so that a pipe's lines do not pay for the lock.
static TERMINAL: AtomicBool = AtomicBool::new(false);

/// The state, whatever another thread did while holding it: it is only
/// labels and queued text, never half-updated in a way that matters.
fn state() -> MutexGuard<'static, Option<State>> {
    STATE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Decides how standard output is shown, once, at start.
pub fn set(mode: Shown) {
    TERMINAL.store(mode != Shown::Records, Ordering::Relaxed);
    *state() = Some(State {
        mode,
        sources: Vec::new(),
        by_src: HashMap::new(),
        width: 0,
        pending: Vec::new(),
    });
}

/// The mode set at start ([`Shown::Records`] if none was).
pub fn mode() -> Shown {
    if !TERMINAL.load(Ordering::Relaxed) {
        return Shown::Records;
    }
    state().as_ref().map_or(Shown::Records, |s| s.mode)
}

/// Makes a source known by its name's bytes (a path as given, or `-`),
/// before its lines come: the labels of every source known are chosen
/// again so that each stays unique.
pub fn register(name: &[u8]) {
    let mut guard = state();
    let Some(s) = guard.as_mut() else { return };
    if !matches!(s.mode, Shown::View { .. }) {
        return;
    }
    let key = record::encode_src(name);
    if s.by_src.contains_key(&key) {
        return;
    }
    let style = PALETTE[s.sources.len() % PALETTE.len()];
    let path = String::from_utf8_lossy(name).into_owned();
    s.by_src.insert(key, s.sources.len());
    s.sources.push(Source { label: path.clone(), path, style, shown: false });
    let paths: Vec<&str> = s.sources.iter().map(|x| x.path.as_str()).collect();
    let labels = short_labels(&paths);
    // A label already shown is kept. The others are still unique: each is
    // an end of its path that no other path ends with, while a kept label
    // is an end of its own path.
    for (source, label) in s.sources.iter_mut().zip(labels).filter(|(x, _)| !x.shown) {
        source.label = label;
    }
    s.width = s.sources.iter().map(|x| logkit_common::term::width(&x.label)).max().unwrap_or(0);
}

/// Writes the line `bytes` of the source `src` (encoded, as in records) as
/// the view shows it, after any news waiting. Returns false, writing
/// nothing, when the view is off (records are written instead).
pub fn show_line(out: &mut Output, src: &[u8], bytes: &[u8]) -> bool {
    if !TERMINAL.load(Ordering::Relaxed) {
        return false;
    }
    let mut guard = state();
    let Some(s) = guard.as_mut() else { return false };
    let Shown::View { color } = s.mode else { return false };
    write_pending(s, out);
    let (label, style) = match s.by_src.get(src) {
        Some(&i) => {
            s.sources[i].shown = true;
            (s.sources[i].label.as_str(), s.sources[i].style)
        }
        None => ("?", style::PLAIN),
    };
    let mut line = style::Line::new();
    line.cell(style, label, s.width).word(style::PLAIN, &String::from_utf8_lossy(bytes));
    let mut text = String::new();
    line.write(&mut text, color, style::stdout_columns());
    out.buf().extend_from_slice(text.as_bytes());
    true
}

/// Tells of something that happened to the source named `label` (as in
/// messages: its path as given). When the view is on, it is shown as a dim
/// line among the others, before the next line or flush, and not on
/// stderr: twice would be noise. Otherwise it goes to stderr as
/// `ltail: LABEL: WHAT`, as it always has.
pub fn notice(label: &str, what: &str) {
    let mut guard = state();
    if let Some(s) = guard.as_mut().filter(|s| matches!(s.mode, Shown::View { .. })) {
        let shown = match s.sources.iter_mut().find(|x| x.path == label) {
            Some(source) => {
                source.shown = true;
                source.label.as_str()
            }
            None => label,
        };
        s.pending.push(format!("{shown}: {what}"));
        return;
    }
    drop(guard);
    eprintln!("ltail: {}", escape_control(&format!("{label}: {what}")));
}

/// Writes the news waiting into `out`; call before flushing it.
pub fn flush_notices(out: &mut Output) {
    if let Some(s) = state().as_mut() {
        write_pending(s, out);
    }
}

/// Writes the news waiting in `s`, each a dim line, and forgets it.
fn write_pending(s: &mut State, out: &mut Output) {
    let Shown::View { color } = s.mode else { return };
    for news in s.pending.drain(..) {
        let mut line = style::Line::new();
        line.word(DIM, &format!("-- {news}"));
        let mut text = String::new();
        line.write(&mut text, color, style::stdout_columns());
        out.buf().extend_from_slice(text.as_bytes());
    }
}

/// For each path, the fewest of its last components that no other path
/// ends with: `nginx/access.log` and `apache/access.log`, or `access.log`
/// alone when it is the only one. A path that is all of another's end, or
/// given twice, keeps all of itself.
pub fn short_labels(paths: &[&str]) -> Vec<String> {
    let parts: Vec<Vec<&str>> =
        paths.iter().map(|p| p.split('/').filter(|c| !c.is_empty()).collect()).collect();
    let ends_with = |p: &[&str], end: &[&str]| p.len() >= end.len() && p.ends_with(end);
    paths
        .iter()
        .enumerate()
        .map(|(i, path)| {
            let mine = &parts[i];
            (1..=mine.len())
                .map(|k| &mine[mine.len() - k..])
                .find(|end| {
                    parts.iter().enumerate().all(|(j, other)| j == i || !ends_with(other, end))
                })
                .filter(|end| end.len() < mine.len())
                .map_or_else(|| (*path).to_string(), |end| end.join("/"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_once_shown_stays_when_a_source_joins() {
        set(Shown::View { color: false });
        let mut out = Output::new();
        register(b"/var/log/nginx/access.log");
        assert!(show_line(&mut out, &record::encode_src(b"/var/log/nginx/access.log"), b"a"));
        // A glob finds a second access.log: the first keeps its label, the
        // new one gets the shortest end that tells it apart.
        register(b"/var/log/apache/access.log");
        register(b"/var/log/other.log");
        assert!(show_line(&mut out, &record::encode_src(b"/var/log/nginx/access.log"), b"b"));
        assert!(show_line(&mut out, &record::encode_src(b"/var/log/apache/access.log"), b"c"));
        assert!(show_line(&mut out, &record::encode_src(b"/var/log/other.log"), b"d"));
        let shown = String::from_utf8(out.buf().clone()).unwrap();
        assert_eq!(
            shown,
            "access.log a\n\
             access.log        b\n\
             apache/access.log c\n\
             other.log         d\n"
        );
    }

    #[test]
    fn labels_are_the_shortest_unique_ends() {
        assert_eq!(
            short_labels(&["/var/log/nginx/access.log", "/var/log/apache/access.log", "err.log"]),
            ["nginx/access.log", "apache/access.log", "err.log"]
        );
        assert_eq!(short_labels(&["/a/b/x.log"]), ["x.log"]);
        // One path is the other's end: it cannot be told apart by less.
        assert_eq!(short_labels(&["x.log", "d/x.log"]), ["x.log", "d/x.log"]);
        assert_eq!(short_labels(&["a/x", "a/x"]), ["a/x", "a/x"]);
        assert_eq!(short_labels(&["-"]), ["-"]);
    }
}
