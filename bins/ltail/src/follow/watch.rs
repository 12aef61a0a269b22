//! What wakes the follower: file-system events (inotify through the notify
//! crate) or a polling timer, plus signals, a closed output, and lines from
//! standard input. Everything arrives on one channel, so that an idle
//! follower sleeps in one blocking receive and uses no CPU.

use crate::signals::EarlySignals;
use logkit_common::input::{Idle, Line, LineReader};
use notify::{EventKind, RecursiveMode, Watcher};
use std::io;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender};
use std::time::{Duration, Instant};

/// The polling interval when inotify cannot be used and none was given.
pub const DEFAULT_POLL: Duration = Duration::from_secs(1);

pub enum Event {
    /// Something happened to these paths.
    Changed(Vec<PathBuf>),
    /// Events were lost (queue overflow): look at everything.
    Rescan,
    /// Lines read from standard input.
    Stdin(StdinLines),
    StdinDone,
    /// SIGINT or SIGTERM.
    Stop,
    /// Standard output is a pipe whose reader has gone.
    OutputClosed,
    Warning(String),
}

pub struct Watch {
    pub rx: Receiver<Event>,
    watcher: Option<notify::RecommendedWatcher>,
    /// Polling: the interval and the next poll.
    poll: Option<(Duration, Instant)>,
    /// Directories watched, as absolute paths (as the watcher reports
    /// them), with the identity (device, inode) of the directory the watch
    /// is on.
    watched: Vec<(PathBuf, DirId)>,
    /// Directories that do not exist (yet, or again), looked for now and then.
    pending: Vec<PathBuf>,
    pending_next: Instant,
}

impl Watch {
    /// Watches `dirs` with inotify, or polls every `poll` when asked to or
    /// when inotify is not available (or its limits are reached).
    pub fn new(
        rx: Receiver<Event>,
        tx: Sender<Event>,
        dirs: &[PathBuf],
        poll: Option<Duration>,
    ) -> io::Result<Watch> {
        let mut w = Watch {
            rx,
            watcher: None,
            poll: poll.map(|d| (d, Instant::now() + d)),
            watched: Vec::new(),
            pending: Vec::new(),
            pending_next: Instant::now() + super::PENDING_CHECK,
        };
        if w.poll.is_none() {
            match notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
                let event = match res {
                    // Our own reads show up as access events: ignore them,
                    // or every read would wake us up again.
                    Ok(e) if matches!(e.kind, EventKind::Access(_)) => return,
                    Ok(e) if e.need_rescan() => Event::Rescan,
                    Ok(e) => Event::Changed(e.paths),
                    Err(e) => Event::Warning(format!("file watch: {e}")),
                };
                let _ = tx.send(event);
            }) {
                Ok(watcher) => w.watcher = Some(watcher),
                Err(e) => w.fall_back(&e.to_string()),
            }
        }
        let mut unique = dirs.to_vec();
        unique.sort();
        unique.dedup();
        for dir in unique {
            w.add_dir(dir);
        }
        Ok(w)
    }

    fn fall_back(&mut self, why: &str) {
        if self.poll.is_none() {
            eprintln!(
                "ltail: cannot watch files with inotify ({}); polling every {}s",
                logkit_common::term::escape_control(why),
                DEFAULT_POLL.as_secs()
            );
            self.poll = Some((DEFAULT_POLL, Instant::now()));
        }
        self.watcher = None;
    }

    /// Watches these directories too (those not watched yet).
    pub fn add_dirs(&mut self, dirs: Vec<PathBuf>) {
        for dir in dirs {
            let absolute =
                std::env::current_dir().map(|cwd| cwd.join(&dir)).unwrap_or_else(|_| dir.clone());
            if !self.watched.iter().any(|(w, _)| *w == absolute) && !self.pending.contains(&dir) {
                self.add_dir(dir);
            }
        }
    }

    fn add_dir(&mut self, dir: PathBuf) {
        if !dir.is_dir() {
            self.pending.push(dir);
            return;
        }
        if let Some(watcher) = &mut self.watcher {
            if let Err(e) = watcher.watch(&dir, RecursiveMode::NonRecursive) {
                self.fall_back(&format!("{}: {e}", dir.display()));
                return;
            }
            let absolute =
                std::env::current_dir().map(|cwd| cwd.join(&dir)).unwrap_or_else(|_| dir.clone());
            if let Some(id) = dir_id(&absolute) {
                self.watched.push((absolute, id));
            }
        }
    }

    /// A watched directory that was removed loses its watch (even if it is
    /// created again): look for it again like one that did not exist yet.
    /// Called with the paths of each event. A directory found again at the
    /// same name by then (`rm -rf logs; mkdir logs` faster than we woke up)
    /// is another directory, told by its inode: its old watch is dead too.
    pub fn notice_removed_dirs(&mut self, paths: &[PathBuf]) {
        // The event may name the directory itself, or only the files that
        // went with it.
        let candidates = paths.iter().flat_map(|p| [Some(p.as_path()), p.parent()]).flatten();
        let mut gone = Vec::new();
        for c in candidates {
            let replaced = |(w, id): &(PathBuf, DirId)| w == c && dir_id(c) != Some(*id);
            if self.watched.iter().any(replaced) && !gone.iter().any(|g: &PathBuf| g == c) {
                gone.push(c.to_path_buf());
            }
        }
        for dir in gone {
            self.watched.retain(|(w, _)| *w != dir);
            if let Some(watcher) = &mut self.watcher {
                let _ = watcher.unwatch(&dir);
            }
            self.pending.push(dir);
            self.pending_next = Instant::now();
        }
    }

    /// Whether a poll is due now (and schedules the next one).
    pub fn poll_due(&mut self) -> bool {
        match &mut self.poll {
            Some((every, next)) if Instant::now() >= *next => {
                *next = Instant::now() + *every;
                true
            }
            _ => false,
        }
    }

    /// Starts watching directories that have appeared. Returns whether any did.
    pub fn check_pending(&mut self) -> io::Result<bool> {
        if self.pending.is_empty() || Instant::now() < self.pending_next {
            return Ok(false);
        }
        self.pending_next = Instant::now() + super::PENDING_CHECK;
        let (now, still): (Vec<PathBuf>, Vec<PathBuf>) =
            self.pending.drain(..).partition(|d| d.is_dir());
        self.pending = still;
        let found = !now.is_empty();
        for dir in now {
            self.add_dir(dir);
        }
        Ok(found)
    }

    pub fn next_deadline(&self) -> Option<Instant> {
        let pending = (!self.pending.is_empty()).then_some(self.pending_next);
        [self.poll.map(|(_, next)| next), pending].into_iter().flatten().min()
    }
}

/// A directory's identity: (device, inode).
type DirId = (u64, u64);

/// The identity of the directory at `path`, if one is there.
fn dir_id(path: &std::path::Path) -> Option<DirId> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().filter(|m| m.is_dir()).map(|m| (m.dev(), m.ino()))
}

/// Sends `Stop` on SIGINT/SIGTERM, and `OutputClosed` when standard output
/// is a pipe whose reader has gone (so that `ltail -f | head` ends even
/// while the followed files are idle). A signal that `early` caught before
/// this was in place is a `Stop` too, the first event of all.
pub fn on_signals_and_closed_output(tx: Sender<Event>, early: &EarlySignals) -> io::Result<()> {
    let mut signals = signal_hook::iterator::Signals::new([
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
    ])?;
    // Checked after the handler above is in place, so that no signal falls
    // between the two.
    if early.caught() {
        let _ = tx.send(Event::Stop);
    }
    let stop_tx = tx.clone();
    std::thread::spawn(move || {
        if signals.forever().next().is_some() {
            let _ = stop_tx.send(Event::Stop);
        }
    });
    std::thread::spawn(move || {
        // Otherwise stdout is not a pipe that can close (or poll is unusable
        // here): nothing to watch.
        if logkit_common::sys::wait_hangup(io::stdout()).unwrap_or(false) {
            let _ = tx.send(Event::OutputClosed);
        }
    });
    Ok(())
}

/// Lines read from standard input, passed on in batches: the lines' bytes
/// in one buffer, so that a batch costs two allocations and not one per line.
#[derive(Default)]
pub struct StdinLines {
    bytes: Vec<u8>,
    lines: Vec<StdinLine>,
}

/// One line of a batch: where its bytes end in the buffer, and what the
/// reader said about it.
struct StdinLine {
    end: usize,
    number: u64,
    truncated: bool,
    terminated: bool,
}

impl StdinLines {
    fn push(&mut self, line: Line<'_>) {
        self.bytes.extend_from_slice(line.bytes);
        let Line { number, truncated, terminated, .. } = line;
        self.lines.push(StdinLine { end: self.bytes.len(), number, truncated, terminated });
    }

    /// The lines, in input order, as the reader gave them.
    pub fn iter(&self) -> impl Iterator<Item = Line<'_>> {
        let starts = std::iter::once(0).chain(self.lines.iter().map(|l| l.end));
        self.lines.iter().zip(starts).map(|(l, start)| Line {
            bytes: &self.bytes[start..l.end],
            number: l.number,
            truncated: l.truncated,
            terminated: l.terminated,
        })
    }
}

/// Reads standard input in a thread, sending its lines in batches: a batch
/// goes out when it is large or when standard input goes idle. The records
/// are written by the follower, like those of files, so that cut lines are
/// reported (and fatal under `--strict`) in one place.
pub fn read_stdin(tx: Sender<Event>, max_line: usize) {
    std::thread::spawn(move || {
        struct Batches {
            tx: Sender<Event>,
            batch: StdinLines,
        }
        impl Idle for Batches {
            fn idle(&mut self) -> io::Result<()> {
                if !self.batch.lines.is_empty() {
                    let batch = std::mem::take(&mut self.batch);
                    self.tx.send(Event::Stdin(batch)).map_err(|_| io::ErrorKind::BrokenPipe)?;
                }
                Ok(())
            }
        }
        let mut batches = Batches { tx, batch: StdinLines::default() };
        let mut reader = LineReader::new(io::stdin().lock()).max_line(max_line).watch_idle();
        loop {
            match reader.next_line(&mut batches) {
                Ok(Some(line)) => {
                    batches.batch.push(line);
                    if batches.batch.bytes.len() >= 64 * 1024 && batches.idle().is_err() {
                        return;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    let _ = batches.tx.send(Event::Warning(format!("-: {e}")));
                    break;
                }
            }
        }
        let _ = batches.idle();
        let _ = batches.tx.send(Event::StdinDone);
    });
}
