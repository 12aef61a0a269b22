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
    /// Something happened to these paths; `true` when they were removed
    /// (a watched directory named here is itself gone: `IN_DELETE_SELF`).
    Changed(Vec<PathBuf>, bool),
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
    /// Directories in which a followed file is missing: watched again at
    /// every look for `pending`, and everything looked at then.
    waiting: Vec<PathBuf>,
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
            waiting: Vec::new(),
        };
        if w.poll.is_none() {
            match notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
                let event = match res {
                    // Our own reads show up as access events: ignore them,
                    // or every read would wake us up again.
                    Ok(e) if matches!(e.kind, EventKind::Access(_)) => return,
                    Ok(e) if e.need_rescan() => Event::Rescan,
                    Ok(e) => {
                        let removed = matches!(e.kind, EventKind::Remove(_));
                        Event::Changed(e.paths, removed)
                    }
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
    /// Called with the paths of each event, and whether it was a removal.
    /// A directory found again at the same name by then (`rm -rf logs;
    /// mkdir logs` faster than we woke up) is another directory, told by
    /// its inode: its old watch is dead too.
    ///
    /// The inode is not enough: the new directory often gets the number the
    /// old one just freed. The removal of the directory itself
    /// (`IN_DELETE_SELF`) settles it, and it must be answered by watching
    /// again even when the directory was already watched again on an
    /// earlier event: notify keeps its watches by path and drops the one at
    /// that path after reporting that removal, which by then can be the new
    /// directory's. A watch asked for after that report is set up after
    /// notify has dropped the old one (it handles requests between batches
    /// of events), so it stays.
    pub fn notice_removed_dirs(&mut self, paths: &[PathBuf], removed: bool) {
        // The event may name the directory itself, or only the files that
        // went with it.
        let candidates = paths.iter().flat_map(|p| {
            // (a directory that may be gone, whether the event removed it)
            [Some((p.as_path(), removed)), p.parent().map(|d| (d, false))].into_iter().flatten()
        });
        let mut gone = Vec::new();
        for (c, removed) in candidates {
            let replaced =
                |(w, id): &(PathBuf, DirId)| w == c && (removed || dir_id(c) != Some(*id));
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

    /// Starts watching directories that have appeared, and watches again
    /// those where a followed file is missing. Returns whether anything is
    /// to be looked at: a directory appeared, or a file is awaited.
    pub fn check_pending(&mut self) -> io::Result<bool> {
        let idle = self.pending.is_empty() && self.waiting.is_empty();
        if idle || Instant::now() < self.pending_next {
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
        for dir in self.waiting.clone() {
            self.rewatch(dir);
        }
        Ok(found || !self.waiting.is_empty())
    }

    /// The directories in which a followed file is missing now.
    pub fn waiting(&mut self, dirs: Vec<PathBuf>) {
        self.waiting = dirs;
    }

    /// Watches `dir` again, whatever is known of it: a directory in which
    /// a followed file was replaced, went missing or appeared may be
    /// another directory than the one watched, and its identity cannot
    /// tell (a directory removed and made again often gets the inode number
    /// the old one freed). Watching the same directory again changes
    /// nothing (inotify gives back the watch it has); watching a new one
    /// brings its events. Belt and braces beside [`Watch::notice_removed_dirs`],
    /// which needs notify's report of the removal: under load, a removal
    /// and re-creation in one breath was seen with that report missing.
    pub fn rewatch(&mut self, dir: PathBuf) {
        if self.watcher.is_none() || self.pending.contains(&dir) {
            return;
        }
        let absolute =
            std::env::current_dir().map(|cwd| cwd.join(&dir)).unwrap_or_else(|_| dir.clone());
        if !dir.is_dir() {
            // Gone: looked for until it is back, then watched.
            self.watched.retain(|(w, _)| *w != absolute);
            self.pending.push(dir);
            return;
        }
        self.watched.retain(|(w, _)| *w != absolute);
        self.add_dir(dir);
    }

    pub fn next_deadline(&self) -> Option<Instant> {
        let looking = !self.pending.is_empty() || !self.waiting.is_empty();
        let pending = looking.then_some(self.pending_next);
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
    /// Where the line starts in standard input.
    at: u64,
    number: u64,
    truncated: bool,
    terminated: bool,
}

impl StdinLines {
    fn push(&mut self, at: u64, line: Line<'_>) {
        self.bytes.extend_from_slice(line.bytes);
        let Line { number, truncated, terminated, .. } = line;
        self.lines.push(StdinLine { end: self.bytes.len(), at, number, truncated, terminated });
    }

    /// The lines, in input order, as the reader gave them, each with where
    /// it starts in standard input.
    pub fn iter(&self) -> impl Iterator<Item = (u64, Line<'_>)> {
        let starts = std::iter::once(0).chain(self.lines.iter().map(|l| l.end));
        self.lines.iter().zip(starts).map(|(l, start)| {
            let line = Line {
                bytes: &self.bytes[start..l.end],
                number: l.number,
                truncated: l.truncated,
                terminated: l.terminated,
            };
            (l.at, line)
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
            match reader.next_line_at(&mut batches) {
                Ok(Some((at, line))) => {
                    batches.batch.push(at, line);
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
