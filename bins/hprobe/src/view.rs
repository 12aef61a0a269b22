//! The live view: while a run goes, a board on stderr's terminal of how far
//! it is, how fast, which statuses and errors came back, and how long the
//! answers took. The summary replaces it at the end.
//!
//! It is a full-screen view on the terminal's alternate screen, drawn by
//! ratatui, and repainted whole at every tick (not only the cells that
//! changed): whatever else writes to the terminal meanwhile (a message on
//! stderr, keys typed, the `^C` echo) is gone at the next tick instead of
//! corrupting the board, and leaving the alternate screen gives the normal
//! screen back as it was, for the summary to be printed on.
//!
//! The view draws while stdout is not a terminal: records on the same
//! terminal would land on the board, so then they are printed as ever and
//! the view stays away.
//!
//! The terminal is in raw mode while the view is on (when hprobe has one to
//! read keys from: its controlling terminal): `q` or Ctrl-C, read as keys,
//! do what Ctrl-C does in a shell, SIGINT to hprobe's process group, which
//! ends the run with its summary (and a pipeline feeding hprobe with it).
//! hprobe's own messages during the run (a bad line of stdin) would be
//! wiped by the next repaint: they are [`Notes`], shown at the bottom of
//! the board and printed again on the normal screen when the view ends.

use crate::outcome::ErrKind;
use crate::report::{show, Stats};
use logkit_common::term;
use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::crossterm::event::{self, Event};
use ratatui::crossterm::{cursor, queue, style, terminal};
use ratatui::layout::{Position, Size};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Padding, Paragraph};
use ratatui::{Frame, Terminal};
use std::collections::VecDeque;
use std::io::{self, BufWriter, IsTerminal, Stderr, Write};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often the board is repainted: often enough to look live, and the
/// longest a stray write to the terminal stays on it.
const TICK: Duration = Duration::from_millis(250);

/// The span of time "requests per second now" is measured over.
const RECENT: Duration = Duration::from_secs(2);

/// The width of the progress bar, in columns.
const BAR: usize = 40;

/// What the run aims at, for the progress line.
pub struct Goal {
    /// What is being requested, for the title (escaped here).
    pub what: String,
    /// `-n`, or the URLs given once each.
    pub total: Option<u64>,
    /// `-z`.
    pub duration: Option<Duration>,
    /// When the run started.
    pub start: Instant,
    /// Whether `q` and Ctrl-C may be read as keys (not when the targets
    /// are read from the terminal).
    pub keys: bool,
}

/// hprobe's messages while the view is on, for the board to show (the
/// last that fit) and for the normal screen after it.
pub type Notes = Arc<Mutex<Vec<String>>>;

/// Whether the view should be shown: stderr is a terminal and stdout is
/// not (records on that terminal would land on the board).
pub fn wanted() -> bool {
    io::stderr().is_terminal() && !io::stdout().is_terminal()
}

/// The running view; dropping it (or [`View::close`]) gives the normal
/// screen back.
pub struct View {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl View {
    /// Takes the terminal on stderr and draws the figures of `stats` at
    /// every tick, on a thread of its own.
    pub fn start(
        goal: Goal,
        stats: Arc<Mutex<Stats>>,
        notes: Notes,
        color: bool,
    ) -> io::Result<View> {
        let (stop, stopped) = mpsc::channel();
        let thread = std::thread::Builder::new().name("hprobe-view".into()).spawn(move || {
            // A terminal that cannot be written to any more leaves nothing
            // to show the view on, nor to say so on.
            let _ = show_until(&goal, &stats, &notes, color, &stopped);
        })?;
        Ok(View { stop: Some(stop), thread: Some(thread) })
    }

    /// Stops drawing and leaves the alternate screen, so that what is
    /// printed next lands on the normal screen.
    pub fn close(mut self) {
        self.end();
    }

    fn end(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for View {
    fn drop(&mut self) {
        self.end();
    }
}

/// How often keys are looked for, while the view waits for its next tick.
const KEYS: Duration = Duration::from_millis(50);

fn show_until(
    goal: &Goal,
    stats: &Mutex<Stats>,
    notes: &Mutex<Vec<String>>,
    color: bool,
    stopped: &mpsc::Receiver<()>,
) -> io::Result<()> {
    let mut terminal = Terminal::new(Screen::enter(color, goal.keys)?)?;
    let keys = terminal.backend().keys;
    let mut recent = VecDeque::new();
    let mut quitting = false;
    loop {
        let mut figures = Figures::take(goal, stats, &mut recent);
        figures.notes = notes.lock().unwrap_or_else(|e| e.into_inner()).clone();
        // Forgets what was drawn, so that the whole board is written again.
        terminal.clear()?;
        terminal.draw(|frame| draw(frame, &figures))?;
        let next = Instant::now() + TICK;
        loop {
            let left = next.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            if !keys {
                match stopped.recv_timeout(left) {
                    Err(RecvTimeoutError::Timeout) => break,
                    _ => return Ok(()),
                }
            }
            match stopped.try_recv() {
                Err(mpsc::TryRecvError::Empty) => {}
                _ => return Ok(()),
            }
            if !event::poll(left.min(KEYS))? {
                continue;
            }
            if let Event::Key(key) = event::read()? {
                if logkit_common::keys::quits(&key) && !quitting {
                    quitting = true;
                    logkit_common::keys::interrupt();
                }
            }
        }
    }
}

/// The figures shown, taken from the run's [`Stats`] at one moment.
struct Figures {
    title: String,
    done: u64,
    total: Option<u64>,
    elapsed: Duration,
    duration: Option<Duration>,
    /// Requests per second over the last [`RECENT`], and since the start.
    rate_now: f64,
    rate_all: f64,
    statuses: Vec<(u16, u64)>,
    errors: Vec<(ErrKind, u64)>,
    /// p50, p90, p99 and max, once a response came.
    latency: Option<[Duration; 4]>,
    buckets: Vec<(Duration, u64)>,
    /// hprobe's messages so far (shown again after the view).
    notes: Vec<String>,
}

impl Figures {
    /// Takes the figures now; `recent` keeps the counts of the last
    /// [`RECENT`] between calls.
    fn take(goal: &Goal, stats: &Mutex<Stats>, recent: &mut VecDeque<(Instant, u64)>) -> Figures {
        let now = Instant::now();
        let stats = stats.lock().unwrap_or_else(|e| e.into_inner());
        let done = stats.requests;
        recent.push_back((now, done));
        while recent.len() > 1 && recent[0].0 + RECENT < now {
            recent.pop_front();
        }
        let per_second = |n: u64, d: Duration| {
            if d.is_zero() {
                0.0
            } else {
                n as f64 / d.as_secs_f64()
            }
        };
        let elapsed = now - goal.start;
        let (since, then) = recent[0];
        Figures {
            title: term::escape_control(&goal.what).into_owned(),
            done,
            total: goal.total,
            elapsed,
            duration: goal.duration,
            rate_now: per_second(done - then, now - since),
            rate_all: per_second(done, elapsed),
            statuses: stats.statuses.iter().map(|(s, n)| (*s, *n)).collect(),
            errors: stats.errors.iter().map(|(k, n)| (*k, *n)).collect(),
            latency: stats.percentiles(),
            buckets: stats.buckets(),
            notes: Vec::new(),
        }
    }

    /// The part of the run done, when it has an end: of the requests, or
    /// of the time, whichever is further.
    fn fraction(&self) -> Option<f64> {
        let of_requests =
            self.total.map(|t| if t == 0 { 1.0 } else { self.done as f64 / t as f64 });
        let of_time = self.duration.map(|d| self.elapsed.as_secs_f64() / d.as_secs_f64());
        match (of_requests, of_time) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
        .map(|f| f.clamp(0.0, 1.0))
    }

    /// The time left: of `-z`, or foreseen from the rate for `-n`.
    fn left(&self) -> Option<Duration> {
        let of_time = self.duration.map(|d| d.saturating_sub(self.elapsed));
        let of_requests = self.total.and_then(|t| {
            let rate = if self.rate_now > 0.0 { self.rate_now } else { self.rate_all };
            (rate > 0.0).then(|| Duration::from_secs_f64(t.saturating_sub(self.done) as f64 / rate))
        });
        match (of_time, of_requests) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// Colours for people: statuses by class, errors in red.
fn status_style(status: u16) -> Style {
    match status {
        200..=299 => Style::new().fg(Color::Green),
        300..=399 => Style::new().fg(Color::Cyan),
        400..=499 => Style::new().fg(Color::Yellow),
        _ => Style::new().fg(Color::Red),
    }
}

fn label(text: &'static str) -> Span<'static> {
    Span::styled(format!("{text:<10}"), Style::new().add_modifier(Modifier::BOLD))
}

/// Draws the board.
fn draw(frame: &mut Frame, f: &Figures) {
    let mut lines = Vec::new();

    let mut progress = vec![label("progress")];
    match f.total {
        Some(total) => progress.push(Span::raw(format!("{}/{total} requests", f.done))),
        None => progress.push(Span::raw(format!("{} requests", f.done))),
    }
    if let Some(fraction) = f.fraction() {
        let filled = (fraction * BAR as f64).round() as usize;
        progress.push(Span::raw("  "));
        progress.push(Span::styled("■".repeat(filled), Style::new().fg(Color::Green)));
        progress.push(Span::styled("·".repeat(BAR - filled), Style::new().fg(Color::DarkGray)));
        progress.push(Span::raw(format!(" {:>3.0}%", fraction * 100.0)));
    }
    lines.push(Line::from(progress));

    let mut time = format!("{} elapsed", show_secs(f.elapsed));
    if let Some(left) = f.left() {
        time.push_str(&format!(", {} left", show_secs(left)));
    }
    lines.push(Line::from(vec![label("time"), Span::raw(time)]));
    lines.push(Line::from(vec![
        label("rate"),
        Span::raw(format!(
            "{} requests/s now, {} overall",
            term::number(f.rate_now),
            term::number(f.rate_all)
        )),
    ]));
    lines.push(Line::default());

    let mut status = vec![label("status")];
    if f.statuses.is_empty() {
        status.push(Span::raw("none yet"));
    }
    for (code, n) in &f.statuses {
        status.push(Span::styled(code.to_string(), status_style(*code)));
        status.push(Span::raw(format!(": {n}  ")));
    }
    lines.push(Line::from(status));

    let mut errors = vec![label("errors")];
    if f.errors.is_empty() {
        errors.push(Span::raw("none"));
    }
    for (kind, n) in &f.errors {
        errors.push(Span::styled(kind.name(), Style::new().fg(Color::Red)));
        errors.push(Span::raw(format!(": {n}  ")));
    }
    lines.push(Line::from(errors));

    let mut latency = vec![label("latency")];
    match f.latency {
        Some([p50, p90, p99, max]) => latency.push(Span::raw(format!(
            "p50 {}  p90 {}  p99 {}  max {}",
            show(p50),
            show(p90),
            show(p99),
            show(max)
        ))),
        None => latency.push(Span::raw("no response yet")),
    }
    lines.push(Line::from(latency));

    if !f.buckets.is_empty() {
        lines.push(Line::default());
        lines.push(Line::from(label("response times")));
        let most = f.buckets.iter().map(|b| b.1).max().unwrap_or(1).max(1);
        // What is left of the width after "  <= 12.35ms  1234 ".
        let room = (frame.area().width as usize).saturating_sub(30).clamp(1, 50) as u64;
        for (upper, count) in &f.buckets {
            let bar = "■".repeat((count * room).div_ceil(most) as usize);
            lines.push(Line::from(vec![
                Span::raw(format!("  <= {:>9} {count:>9} ", show(*upper))),
                Span::styled(bar, Style::new().fg(Color::Cyan)),
            ]));
        }
    }

    if !f.notes.is_empty() {
        // The last messages, as many as fit under the figures (inside the
        // border), each on one line.
        let room = (frame.area().height as usize).saturating_sub(lines.len() + 4).max(1);
        let shown = f.notes.len().min(room.saturating_sub(1).max(1));
        lines.push(Line::default());
        let heading = match f.notes.len() {
            1 => "1 message (again after the view)".to_string(),
            n => format!("{n} messages (again after the view), the last {shown}"),
        };
        lines.push(Line::from(vec![label("messages"), Span::raw(heading)]));
        for note in &f.notes[f.notes.len() - shown..] {
            let note = term::escape_control(note).into_owned();
            lines.push(Line::from(Span::styled(note, Style::new().fg(Color::Yellow))));
        }
    }

    let block =
        Block::bordered().title(format!(" hprobe: {} ", f.title)).padding(Padding::horizontal(1));
    frame.render_widget(Paragraph::new(lines).block(block), frame.area());
}

/// Clock time for the progress lines: tenths of a second, and minutes from
/// a minute up (`2m05s`), finer than anyone reads a time left.
fn show_secs(d: Duration) -> String {
    let tenths = (d.as_millis() + 50) / 100;
    if tenths >= 600 {
        let secs = tenths / 10;
        format!("{}m{:02}s", secs / 60, secs % 60)
    } else {
        format!("{}.{}s", tenths / 10, tenths % 10)
    }
}

/// Stderr's terminal as a ratatui backend: crossterm's, sized by stderr's
/// own window (crossterm asks /dev/tty or stdout, which here is a file or a
/// pipe), drawing without any SGR sequence when colours are off, and
/// sending a whole frame in one write (a clear flushed on its own would
/// flicker).
struct Screen {
    inner: CrosstermBackend<BufWriter<Stderr>>,
    color: bool,
    cursor: Position,
    /// Whether keys are read (the terminal in raw mode).
    keys: bool,
}

impl Screen {
    /// Switches to the alternate screen, the cursor hidden, and the
    /// controlling terminal (if there is one) to raw mode, for the keys.
    fn enter(color: bool, keys: bool) -> io::Result<Screen> {
        let mut out = BufWriter::with_capacity(1 << 16, io::stderr());
        queue!(out, terminal::EnterAlternateScreen, cursor::Hide)?;
        out.flush()?;
        // Keys come from the controlling terminal: only when it is the one
        // the view is on (not another, nor none, as under a test harness),
        // and when the caller allows it (not when targets are typed on
        // that terminal: a `q` in a URL must not end the run).
        let keys = keys && controlling_terminal_is_stderr() && terminal::enable_raw_mode().is_ok();
        Ok(Screen { inner: CrosstermBackend::new(out), color, cursor: Position::ORIGIN, keys })
    }

    fn out(&mut self) -> &mut BufWriter<Stderr> {
        self.inner.writer_mut()
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        if self.keys {
            let _ = terminal::disable_raw_mode();
        }
        let out = self.out();
        let _ = queue!(out, cursor::Show, terminal::LeaveAlternateScreen);
        let _ = out.flush();
    }
}

/// Whether the terminal on stderr is hprobe's controlling terminal
/// (`/dev/tty`), where the keys are read: it is if it has our session.
fn controlling_terminal_is_stderr() -> bool {
    rustix::termios::tcgetsid(io::stderr()).is_ok()
}

impl Backend for Screen {
    type Error = io::Error;

    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        if self.color {
            return self.inner.draw(content);
        }
        let out = self.out();
        let mut next = None;
        for (x, y, cell) in content {
            if next != Some((x, y)) {
                queue!(out, cursor::MoveTo(x, y))?;
            }
            queue!(out, style::Print(cell.symbol()))?;
            next = Some((x + 1, y));
        }
        Ok(())
    }

    fn hide_cursor(&mut self) -> io::Result<()> {
        queue!(self.out(), cursor::Hide)
    }

    fn show_cursor(&mut self) -> io::Result<()> {
        queue!(self.out(), cursor::Show)
    }

    fn get_cursor_position(&mut self) -> io::Result<Position> {
        // Asking the terminal would read its answer from stdin.
        Ok(self.cursor)
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        self.cursor = position.into();
        let Position { x, y } = self.cursor;
        queue!(self.out(), cursor::MoveTo(x, y))
    }

    fn clear(&mut self) -> io::Result<()> {
        self.clear_region(ClearType::All)
    }

    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        let region = match clear_type {
            ClearType::All => terminal::ClearType::All,
            ClearType::AfterCursor => terminal::ClearType::FromCursorDown,
            ClearType::BeforeCursor => terminal::ClearType::FromCursorUp,
            ClearType::CurrentLine => terminal::ClearType::CurrentLine,
            ClearType::UntilNewLine => terminal::ClearType::UntilNewLine,
        };
        queue!(self.out(), terminal::Clear(region))
    }

    fn size(&self) -> io::Result<Size> {
        let size = rustix::termios::tcgetwinsize(io::stderr())?;
        // A terminal that does not know its size (0): the classic one.
        Ok(match (size.ws_col, size.ws_row) {
            (0, _) | (_, 0) => Size::new(80, 24),
            (width, height) => Size::new(width, height),
        })
    }

    fn window_size(&mut self) -> io::Result<WindowSize> {
        Ok(WindowSize { columns_rows: self.size()?, pixels: Size::default() })
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out().flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::backend::TestBackend;

    fn figures() -> Figures {
        Figures {
            title: "http://127.0.0.1:8080/".into(),
            done: 150,
            total: Some(200),
            elapsed: Duration::from_millis(1500),
            duration: None,
            rate_now: 95.0,
            rate_all: 100.0,
            statuses: vec![(200, 140), (404, 8)],
            errors: vec![(ErrKind::Timeout, 2)],
            latency: Some([
                Duration::from_micros(1200),
                Duration::from_micros(3400),
                Duration::from_micros(9870),
                Duration::from_millis(15),
            ]),
            buckets: vec![(Duration::from_millis(2), 100), (Duration::from_millis(15), 48)],
            notes: Vec::new(),
        }
    }

    fn screen(f: &Figures) -> Vec<String> {
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
        terminal.draw(|frame| draw(frame, f)).unwrap();
        let buffer = terminal.backend().buffer();
        (0..24)
            .map(|y| (0..80).map(|x| buffer[(x, y)].symbol()).collect::<String>())
            .map(|l| l.trim_end().to_string())
            .collect()
    }

    #[test]
    fn the_board_shows_the_figures() {
        let lines = screen(&figures());
        let text = lines.join("\n");
        assert!(lines[0].starts_with("┌ hprobe: http://127.0.0.1:8080/ ─"), "{text}");
        assert!(lines[1].contains("progress  150/200 requests  ■■■■■■■■■■"), "{text}");
        assert!(lines[1].contains("■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■··········  75%"), "{text}");
        // 50 left at 95 a second.
        assert!(lines[2].contains("time      1.5s elapsed, 0.5s left"), "{text}");
        assert!(lines[3].contains("rate      95.00 requests/s now, 100.0 overall"), "{text}");
        assert!(lines[5].contains("status    200: 140  404: 8"), "{text}");
        assert!(lines[6].contains("errors    timeout: 2"), "{text}");
        assert!(lines[7].contains("latency   p50 1.200ms  p90 3.400ms  p99 9.870ms  max 15.00ms"));
        assert!(lines[10].contains("<=   2.000ms       100 ■■■■"), "{text}");
        assert!(lines[11].contains("<=   15.00ms        48 ■■"), "{text}");
    }

    #[test]
    fn with_a_duration_the_time_left_is_the_duration_s() {
        let mut f = figures();
        f.total = None;
        f.duration = Some(Duration::from_secs(90));
        f.elapsed = Duration::from_secs(30);
        let lines = screen(&f);
        assert!(lines[1].contains("progress  150 requests  ■■■■■■■■■■■■■·"), "{lines:?}");
        assert!(lines[1].contains("  33%"), "{lines:?}");
        assert!(lines[2].contains("time      30.0s elapsed, 1m00s left"), "{lines:?}");
    }

    #[test]
    fn an_open_run_shows_no_bar() {
        let mut f = figures();
        f.total = None;
        f.errors.clear();
        f.statuses.clear();
        f.latency = None;
        f.buckets.clear();
        let lines = screen(&f);
        let shown = |l: &str| l.trim_end_matches([' ', '│']).to_string();
        assert_eq!(shown(&lines[1]), "│ progress  150 requests");
        assert_eq!(shown(&lines[2]), "│ time      1.5s elapsed");
        assert!(lines[5].contains("status    none yet"), "{lines:?}");
        assert!(lines[6].contains("errors    none"), "{lines:?}");
        assert!(lines[7].contains("latency   no response yet"), "{lines:?}");
    }
}
