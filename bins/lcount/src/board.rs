//! The live board: `lcount --interval` with a table on a terminal, shown
//! full-screen on the alternate screen.
//!
//! The board is painted whole at every tick, every cell of the window, so
//! that whatever another process wrote to the terminal meanwhile (ltail's
//! notices on stderr, a `wall` message) is gone after the next tick, and it
//! is laid out for the window's size at that moment: long values cut with
//! `…`, the rows that do not fit counted as "N more". A thread of its own
//! owns the terminal: it paints what the counting loop sends it, repaints
//! at once when the window is resized, and reads the keys, so the counting
//! loop never waits for the terminal or for a person.
//!
//! `q` or Ctrl-C (a key, as the board has the terminal in raw mode) does
//! what Ctrl-C does in a shell's pipeline: SIGINT to lcount's process
//! group, so that `ltail -f | lparse | lcount` ends whole and lcount prints
//! its final table on the normal screen, as on SIGINT or SIGTERM.
//!
//! The cost, measured with 10,000 groups at `--interval 1s` on an idle
//! input in an 80×24 window (utime+stime from /proc over 10 s): 0.10 to
//! 0.13 s of CPU with the board, none without `--interval`, in a debug
//! build, most of it ordering the 10,000 groups at each tick.

use crate::render::Sheet;
use crossterm::event::{self, Event};
use crossterm::terminal::{self, BeginSynchronizedUpdate, EndSynchronizedUpdate};
use crossterm::{cursor, execute, queue};
use logkit_common::{record, term};
use ratatui::backend::CrosstermBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Cell, Row, Table, Widget};
use ratatui::Terminal;
use std::io::{self, Stdout, Write};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::thread::JoinHandle;
use std::time::Duration;

/// How many rows of a result the counting loop sends: more than any window
/// holds, few enough to cost nothing to write out per tick.
pub const ROWS: usize = 400;

/// How long the board's thread waits for a key before it looks for a new
/// result or a new window size: the longest a key or a tick's result waits.
const WAKE: Duration = Duration::from_millis(50);

/// Spaces between columns.
const GAP: u16 = 2;

/// What the board shows at one tick.
pub struct View {
    /// The result so far.
    pub sheet: Sheet,
    /// The line at the bottom: how the input is going.
    pub status: Status,
}

/// How the input is going, for the status line.
pub struct Status {
    /// Records read so far, counted or not.
    pub records: u64,
    /// Records read per second since the previous tick.
    pub per_second: f64,
    /// Lines that were not records (and files not read) so far.
    pub bad: u64,
    /// Time since the last input arrived, if any did.
    pub since_last: Option<Duration>,
}

enum Message {
    Show(Box<View>),
    Close,
}

/// The board while it is on the screen; [`Board::close`] (or dropping it)
/// gives the terminal back as it was.
pub struct Board {
    messages: Sender<Message>,
    painter: Option<JoinHandle<io::Result<()>>>,
}

impl Board {
    /// Switches standard output's terminal to the alternate screen and
    /// starts the thread that paints it and reads the keys. Without a
    /// terminal to read keys from (no controlling terminal), the board
    /// still shows, and Ctrl-C stays a signal.
    pub fn start(color: bool) -> io::Result<Board> {
        let keys = terminal::enable_raw_mode().is_ok();
        let mut out = io::stdout();
        if let Err(e) = execute!(out, terminal::EnterAlternateScreen, cursor::Hide) {
            if keys {
                let _ = terminal::disable_raw_mode();
            }
            return Err(e);
        }
        let (messages, inbox) = mpsc::channel();
        let painter = std::thread::Builder::new()
            .name("board".into())
            .spawn(move || paint(inbox, keys, color))
            .inspect_err(|_| {
                let _ = leave(keys);
            })?;
        Ok(Board { messages, painter: Some(painter) })
    }

    /// Shows `view` (within [`WAKE`]), without waiting for the terminal.
    pub fn show(&self, view: View) {
        // A painter gone (its terminal failed) says why at close.
        let _ = self.messages.send(Message::Show(Box::new(view)));
    }

    /// Leaves the alternate screen: the terminal is back to what it was
    /// before the board, for the final table.
    pub fn close(mut self) -> io::Result<()> {
        self.stop()
    }

    fn stop(&mut self) -> io::Result<()> {
        let _ = self.messages.send(Message::Close);
        match self.painter.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(io::Error::other("the board's thread failed")),
            None => Ok(()),
        }
    }
}

impl Drop for Board {
    fn drop(&mut self) {
        // On an error elsewhere the terminal is still given back.
        let _ = self.stop();
    }
}

/// The board's thread: paints each view sent, follows the window's size,
/// reads the keys, and gives the terminal back at the end.
fn paint(inbox: Receiver<Message>, keys: bool, color: bool) -> io::Result<()> {
    let result = paint_until_closed(&inbox, keys, color);
    let left = leave(keys);
    result.and(left)
}

fn paint_until_closed(inbox: &Receiver<Message>, keys: bool, color: bool) -> io::Result<()> {
    let mut terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    let mut view: Option<Box<View>> = None;
    let mut painted = None;
    let mut quitting = false;
    loop {
        let mut fresh = false;
        loop {
            match inbox.try_recv() {
                Ok(Message::Show(next)) => {
                    view = Some(next);
                    fresh = true;
                }
                Ok(Message::Close) | Err(TryRecvError::Disconnected) => return Ok(()),
                Err(TryRecvError::Empty) => break,
            }
        }
        // The size is read on every turn, not only on SIGWINCH, which
        // comes only to the terminal's foreground process group.
        let size = terminal.size()?;
        if let (Some(view), true) = (&view, fresh || painted != Some(size)) {
            repaint(&mut terminal, view, color)?;
            painted = Some(size);
        }
        if !keys {
            match inbox.recv_timeout(WAKE) {
                Ok(Message::Show(next)) => {
                    view = Some(next);
                    painted = None;
                }
                Ok(Message::Close) | Err(RecvTimeoutError::Disconnected) => return Ok(()),
                Err(RecvTimeoutError::Timeout) => {}
            }
            continue;
        }
        if !event::poll(WAKE)? {
            continue;
        }
        // A resize is seen by the size check above.
        if let Event::Key(key) = event::read()? {
            if logkit_common::keys::quits(&key) && !quitting {
                quitting = true;
                logkit_common::keys::interrupt();
            }
        }
    }
}

/// Paints every cell of the window: the screen is cleared first, so that
/// nothing another process wrote stays (a diff with what the board drew
/// before would leave it), inside a synchronized update so that terminals
/// that know it show no blank frame.
fn repaint(
    terminal: &mut Terminal<CrosstermBackend<Stdout>>,
    view: &View,
    color: bool,
) -> io::Result<()> {
    queue!(terminal.backend_mut(), BeginSynchronizedUpdate)?;
    // Resizing to the current size clears the screen and forgets what was
    // drawn, without asking the terminal where its cursor is (which
    // `Terminal::clear` does, and which would race with the keys read).
    let size = terminal.size()?;
    let area = Rect::new(0, 0, size.width, size.height);
    terminal.resize(area)?;
    terminal.draw(|frame| render(view, color, frame.area(), frame.buffer_mut()))?;
    execute!(terminal.backend_mut(), EndSynchronizedUpdate)?;
    Ok(())
}

/// Gives the terminal back: the normal screen, its cursor, its mode.
fn leave(keys: bool) -> io::Result<()> {
    let mut out = io::stdout();
    let shown = execute!(out, cursor::Show, terminal::LeaveAlternateScreen);
    let mode = if keys { terminal::disable_raw_mode() } else { Ok(()) };
    out.flush()?;
    shown.and(mode)
}

/// Lays the board out in `area`: the time range on top, the table with
/// its header, "N more" when rows do not fit, the status line at the
/// bottom. With `color`, a `status` key is coloured by class as lparse
/// shows it, and the bars cyan; without, only bold and reverse remain.
fn render(view: &View, color: bool, area: Rect, buf: &mut Buffer) {
    let width = area.width;
    let line = |y: u16| Rect { x: area.x, y: area.y + y, width, height: 1 };
    if area.height == 0 || width == 0 {
        return;
    }
    let sheet = &view.sheet;
    let title = format!("lcount · {}", sheet.heading);
    Line::styled(
        term::cut(&title, width.into()).into_owned(),
        Style::new().add_modifier(Modifier::BOLD),
    )
    .render(line(0), buf);
    if area.height >= 2 {
        let status = status_line(&view.status);
        Line::styled(
            term::cut(&status, width.into()).into_owned(),
            Style::new().add_modifier(Modifier::REVERSED),
        )
        .render(line(area.height - 1), buf);
    }
    if area.height < 4 {
        return;
    }
    // Between the title and the status: the header, then the rows.
    let room = usize::from(area.height - 3);
    let (shown, more) = if sheet.total > room {
        let shown = room.saturating_sub(1).min(sheet.rows.len());
        (shown, sheet.total - shown)
    } else {
        (sheet.total.min(sheet.rows.len()), 0)
    };
    let rows = &sheet.rows[..shown];
    let mut widths = widths(&sheet.names, rows, sheet.keys, width);
    let status_key = sheet.names[..sheet.keys].iter().position(|n| n == record::STATUS);
    let used: u16 = widths.iter().sum::<u16>() + GAP * widths.len().saturating_sub(1) as u16;
    let bar_room = width.saturating_sub(used + GAP).min(40);
    let bars = sheet.bars.as_ref().filter(|_| bar_room > 0);
    if bars.is_some() {
        widths.push(bar_room);
    }
    let cells = |texts: &[String], bar: Option<String>| {
        let mut cells: Vec<Cell> = texts
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (text, &w))| {
                let text = term::cut(text, w.into()).into_owned();
                let style = match status_key {
                    Some(key) if color && key == i => status_style(&text),
                    _ => Style::new(),
                };
                Cell::from(if i < sheet.keys {
                    Line::styled(text, style)
                } else {
                    Line::styled(text, style).right_aligned()
                })
            })
            .collect();
        let bar_style = if color { Style::new().fg(Color::Cyan) } else { Style::new() };
        cells.extend(bar.map(|bar| Cell::from(Line::styled(bar, bar_style))));
        Row::new(cells)
    };
    // The header row is the names, never coloured by class.
    let header = cells(&sheet.names, bars.map(|_| String::new()))
        .style(Style::new().add_modifier(Modifier::BOLD));
    let body = rows.iter().enumerate().map(|(i, row)| {
        let bar = bars.map(|(counts, max)| bar(counts[i], *max, bar_room));
        cells(row, bar)
    });
    let constraints = widths.iter().map(|&w| Constraint::Length(w));
    let table_area = Rect { x: area.x, y: area.y + 1, width, height: area.height - 2 };
    Widget::render(
        Table::new(body, constraints).header(header).column_spacing(GAP),
        table_area,
        buf,
    );
    if more > 0 {
        let text = format!("… {more} more");
        Line::from(term::cut(&text, width.into()).into_owned()).render(line(area.height - 2), buf);
    }
}

/// The status line: records read, their rate, the bad lines, the time since
/// the last input.
fn status_line(status: &Status) -> String {
    let last = match status.since_last {
        Some(ago) => format!("last input {} ago", term::seconds(ago.as_secs_f64())),
        None => "no input yet".to_owned(),
    };
    format!(
        " {} records read · {}/s · {} bad lines · {last} · q quits",
        status.records,
        term::number(status.per_second),
        status.bad
    )
}

/// Column widths within `room`: each column as wide as its widest cell,
/// then fitted by the one rule every table follows ([`term::fit_widths`]:
/// the widest key column is cut first, down to a minimum, and whatever is
/// left over is cut off at the right).
fn widths(names: &[String], rows: &[Vec<String>], keys: usize, room: u16) -> Vec<u16> {
    let mut widths: Vec<usize> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let cells = rows.iter().filter_map(|r| r.get(i)).map(|c| term::width(c));
            cells.chain([term::width(name)]).max().unwrap_or(0)
        })
        .collect();
    let cuttable: Vec<bool> = (0..widths.len()).map(|i| i < keys).collect();
    term::fit_widths(&mut widths, &cuttable, GAP.into(), room.into());
    widths.into_iter().map(|w| w.min(u16::MAX.into()) as u16).collect()
}

/// Status classes, as lparse's view colours them: success green,
/// redirects cyan, client errors yellow, server errors red.
fn status_style(status: &str) -> Style {
    match status.as_bytes().first() {
        Some(b'2') => Style::new().fg(Color::Green),
        Some(b'3') => Style::new().fg(Color::Cyan),
        Some(b'4') => Style::new().fg(Color::Yellow),
        Some(b'5') => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
        _ => Style::new(),
    }
}

/// A bar of up to `room` cells, the largest count filling it; at least one
/// cell for any count above zero.
fn bar(count: u64, max: u64, room: u16) -> String {
    if count == 0 || max == 0 {
        return String::new();
    }
    let cells = (count as f64 / max as f64 * f64::from(room)).round().max(1.0) as usize;
    "█".repeat(cells)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_widest_key_column_gives_up_its_room() {
        let names = ["path", "method", "count"].map(String::from).to_vec();
        let rows = vec![["/".repeat(60), "GET".into(), "12345".into()].to_vec()];
        // 60 + 6 + 5 and two gaps of 2 = 75 columns in 40: the path cut to 25.
        assert_eq!(widths(&names, &rows, 2, 40), [25, 6, 5]);
        assert_eq!(widths(&names, &rows, 2, 80), [60, 6, 5]);
        // Then the keys down to a character and `…` before a number; what
        // still does not fit is cut off at the right.
        assert_eq!(widths(&names, &rows, 2, 10), [2, 2, 5]);
    }

    fn view(rows: usize) -> View {
        let sheet = Sheet {
            heading: "records from A to B".into(),
            names: ["path", "count"].map(String::from).to_vec(),
            keys: 1,
            rows: (0..rows.min(ROWS)).map(|i| vec![format!("/p{i}"), "1".into()]).collect(),
            bars: None,
            total: rows,
        };
        let status = Status { records: 7, per_second: 2.5, bad: 1, since_last: None };
        View { sheet, status }
    }

    fn screen(view: &View, width: u16, height: u16) -> Vec<String> {
        let area = Rect::new(0, 0, width, height);
        let mut buf = Buffer::empty(area);
        render(view, false, area, &mut buf);
        (0..height)
            .map(|y| {
                let line: String = (0..width).map(|x| buf[(x, y)].symbol().to_owned()).collect();
                line.trim_end().to_owned()
            })
            .collect()
    }

    #[test]
    fn statuses_take_their_class_colour_only_with_colour() {
        let sheet = Sheet {
            heading: "records".into(),
            names: ["status", "count"].map(String::from).to_vec(),
            keys: 1,
            rows: vec![vec!["404".into(), "9".into()], vec!["503".into(), "2".into()]],
            bars: None,
            total: 2,
        };
        let status = Status { records: 11, per_second: 1.0, bad: 0, since_last: None };
        let view = View { sheet, status };
        let area = Rect::new(0, 0, 30, 8);
        for color in [true, false] {
            let mut buf = Buffer::empty(area);
            render(&view, color, area, &mut buf);
            let (yellow, red) =
                if color { (Color::Yellow, Color::Red) } else { (Color::Reset, Color::Reset) };
            assert_eq!(buf[(0, 2)].symbol(), "4");
            assert_eq!(buf[(0, 2)].fg, yellow);
            assert_eq!(buf[(0, 3)].fg, red);
            // The header is the names, not a status.
            assert_eq!(buf[(0, 1)].fg, Color::Reset);
        }
    }

    #[test]
    fn rows_that_do_not_fit_are_counted() {
        let shown = screen(&view(300), 40, 10);
        assert_eq!(shown[0], "lcount · records from A to B");
        assert_eq!(shown[1], "path  count");
        assert_eq!(shown[2], "/p0       1");
        // 10 lines: title, header, 6 rows, "N more", status.
        assert_eq!(shown[7], "/p5       1");
        assert_eq!(shown[8], "… 294 more");
        assert!(shown[9].starts_with(" 7 records read · 2.500/s · 1 bad lines"), "{shown:?}");
        // Rows that fit: no "more".
        let shown = screen(&view(3), 40, 10);
        assert_eq!(shown[4], "/p2       1");
        assert_eq!(shown[5], "");
    }
}
