//! `ltail -f`: follow files by name through rotation, truncation, deletion
//! and re-creation, like `tail -F`, with many files at once.
//!
//! The parts, as in Vector's file source: [`discover`] finds the paths
//! (names and quoted globs), [`identity`] tells whether a path still holds
//! the same file, [`watch`] wakes us up (inotify, or polling), [`files`]
//! reads each followed path's current file and, after a rotation, the
//! earlier files it held (read on until idle, since a writer keeps appending
//! to a renamed file until it reopens its log), [`rotation`] says what a
//! change at a path means, and [`checkpoint`] keeps `--state`. This module
//! is the event loop that ties them together, and keeps two rules that make
//! the follower's promises (docs/ltail.md): each open file has one reader,
//! whatever names lead to it, so that no line comes out twice; and a file's
//! lines are written only once `--state` names the file, so that a crash
//! loses none.

mod checkpoint;
mod discover;
mod files;
mod identity;
mod rotation;
mod watch;

pub(crate) use identity::read_at_full;

use crate::signals::EarlySignals;
use crate::tail::Start;
use anyhow::Result;
use discover::Target;
use files::{Name, Open, Positions, Sink, Tracked, DRAIN_GRACE};
use identity::FileId;
use logkit_common::cli::{BadInput, Outcome};
use logkit_common::output::Output;
use rotation::AtPath;
use std::collections::HashMap;
use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};
use watch::{Event, Watch};

/// How often a directory that does not exist yet is looked for.
const PENDING_CHECK: Duration = Duration::from_secs(1);
/// How often `--state` is written while lines are coming in.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// How to follow.
pub struct Options {
    /// Where to start in the files found at the start (`-n`).
    pub start: Start,
    /// The longest line, in bytes; longer ones are cut.
    pub max_line: usize,
    /// Poll at this interval instead of using inotify.
    pub poll: Option<Duration>,
    /// The `--state` file.
    pub state: Option<PathBuf>,
}

/// Follows `files` (paths, quoted globs, and `-` for standard input) until
/// SIGINT or SIGTERM, or until standard input ends when it is all there is
/// to follow. Fails on a write error, an unreadable `--state`, or (with
/// `strict`) the first cut line. `early` holds the signals that came while
/// ltail was starting.
pub fn run(
    files: &[OsString],
    opts: Options,
    strict: bool,
    early: EarlySignals,
) -> Result<Outcome> {
    // Following hundreds of files needs as many descriptors.
    logkit_common::sys::raise_open_files_limit();
    let (tx, rx) = mpsc::channel();
    watch::on_signals_and_closed_output(tx.clone(), &early)?;
    let read_stdin = files.iter().any(|f| f == "-");
    let targets: Vec<Target> =
        files.iter().filter(|f| *f != "-").map(|f| Target::parse(f)).collect();
    if read_stdin {
        watch::read_stdin(tx.clone(), opts.max_line);
    }
    let dirs: Vec<PathBuf> = targets.iter().map(Target::directory).collect();
    let poll = opts.poll;
    let mut follower = Follower::new(opts, strict, targets)?;
    let mut watch = Watch::new(rx, tx, &dirs, poll)?;
    // The files as they are now.
    follower.catch_up(Due { all: true, ..Due::default() })?;
    crate::view::flush_notices(&mut follower.sink.out);
    follower.sink.out.flush()?;
    let stdin = Name::new(b"-");
    let mut stdin_open = read_stdin;
    while stdin_open || !follower.targets.is_empty() {
        let Some(events) = next_events(&watch.rx, follower.next_deadline(&watch)) else { break };
        let mut due = Due::default();
        let mut stop = false;
        for event in events {
            match event {
                Event::Changed(paths, removed) => {
                    watch.notice_removed_dirs(&paths, removed);
                    follower.changed(paths, &mut due);
                }
                Event::Rescan => due.everything(),
                Event::Stdin(lines) => {
                    for (at, line) in lines.iter() {
                        follower.sink.line(&stdin, at, line)?;
                    }
                }
                Event::StdinDone => stdin_open = false,
                Event::Stop => stop = true,
                Event::OutputClosed => return Ok(Outcome::Success),
                Event::Warning(msg) => {
                    eprintln!("ltail: {}", logkit_common::term::escape_control(&msg))
                }
            }
        }
        watch.waiting(follower.waiting_dirs());
        if watch.poll_due() || watch.check_pending()? {
            due.everything();
        }
        follower.catch_up(due)?;
        for dir in follower.moved_dirs.drain(..) {
            watch.rewatch(dir);
        }
        if stop {
            break;
        }
        crate::view::flush_notices(&mut follower.sink.out);
        follower.sink.out.flush()?;
        follower.checkpoint(false)?;
    }
    follower.finish()?;
    Ok(follower.sink.bad.finish("lines cut or files not read"))
}

/// Waits for an event (until `deadline`, if there is one) and takes every
/// event already waiting with it, so that the follower acts once for all.
/// `None` when every sender has gone.
fn next_events(rx: &Receiver<Event>, deadline: Option<Instant>) -> Option<Vec<Event>> {
    let first = match deadline {
        Some(d) => match rx.recv_timeout(d.saturating_duration_since(Instant::now())) {
            Ok(e) => Some(e),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => return None,
        },
        None => Some(rx.recv().ok()?),
    };
    let mut events: Vec<Event> = first.into_iter().collect();
    events.extend(rx.try_iter());
    Some(events)
}

/// What to look at after a wake-up.
#[derive(Default)]
struct Due {
    /// Followed paths that changed (indices into `Follower::paths`).
    paths: Vec<usize>,
    /// Look for new matches of the globs.
    rescan: bool,
    /// Look at every followed path (events were lost, or it is time to poll).
    all: bool,
}

impl Due {
    fn everything(&mut self) {
        self.rescan = true;
        self.all = true;
    }
}

struct Follower {
    opts: Options,
    targets: Vec<Target>,
    paths: Vec<Tracked>,
    /// Followed paths by the name the watcher reports for them.
    by_event_path: HashMap<PathBuf, usize>,
    cwd: PathBuf,
    sink: Sink,
    /// The `--state` read at start.
    saved: Vec<checkpoint::Entry>,
    /// Lines were written since the last checkpoint.
    unsaved: bool,
    /// The set of files being read changed since the last checkpoint (a
    /// file opened, taken over, rotated away, let go or truncated): the
    /// state is written before any more lines.
    files_changed: bool,
    last_save: Instant,
    /// Directories in which a followed file was replaced, went missing or
    /// appeared since the loop last asked: their watch is set up again
    /// (see [`Watch::rewatch`]).
    moved_dirs: Vec<PathBuf>,
}

impl Follower {
    /// A follower of `targets`, each path found now (given, or matching a
    /// glob) tracked, and the files in the saved `--state` known where they
    /// were left.
    fn new(opts: Options, strict: bool, targets: Vec<Target>) -> Result<Follower> {
        let saved = match &opts.state {
            Some(path) => checkpoint::load(path)?.files,
            None => Vec::new(),
        };
        let mut positions = Positions::default();
        for e in &saved {
            positions.insert(e.mark());
        }
        let sink = Sink {
            out: Output::new(),
            bad: BadInput::new("ltail", strict),
            max_line: opts.max_line,
            positions,
        };
        let mut follower = Follower {
            opts,
            targets: Vec::new(),
            paths: Vec::new(),
            by_event_path: HashMap::new(),
            cwd: std::env::current_dir()?,
            sink,
            saved,
            unsaved: false,
            files_changed: false,
            last_save: Instant::now(),
            moved_dirs: Vec::new(),
        };
        for t in &targets {
            if let Target::Path(p) = t {
                follower.track(p.clone(), true);
            }
        }
        for p in discover::expand(&targets) {
            follower.track(p, true);
        }
        // A glob's match of the saved state whose file is not there now
        // (rotated away while ltail was down, the new one not created yet):
        // followed again, so that the rotated files are finished.
        let gone: Vec<PathBuf> = follower
            .saved
            .iter()
            .filter(|e| discover::glob_matches(&targets, &e.path))
            .map(|e| e.path.clone())
            .collect();
        for p in gone {
            if !follower.paths.iter().any(|t| t.path == p) {
                follower.track(p, true);
            }
        }
        follower.targets = targets;
        Ok(follower)
    }

    /// Starts following `path`; `initial` if it was found at the start.
    /// Returns its index.
    fn track(&mut self, path: PathBuf, initial: bool) -> usize {
        // The watcher reports absolute paths (the watched directory joined to
        // the current one): key the path the same way.
        let dir = discover::parent(&path);
        let dir = if dir.is_absolute() { dir } else { self.cwd.join(dir) };
        let event_path = dir.join(path.file_name().unwrap_or(path.as_os_str()));
        self.paths.push(Tracked::new(path, initial));
        let i = self.paths.len() - 1;
        self.by_event_path.insert(event_path, i);
        i
    }

    /// Notes the followed paths among `changed`; another path may be a new
    /// match of a glob.
    fn changed(&self, changed: Vec<PathBuf>, due: &mut Due) {
        for p in changed {
            match self.by_event_path.get(&p) {
                Some(&i) => due.paths.push(i),
                None => due.rescan = true,
            }
        }
    }

    /// When the loop must wake up without an event.
    /// The directories of followed paths that have no file now (gone, or
    /// not there yet): looked at every second until it comes.
    fn waiting_dirs(&self) -> Vec<PathBuf> {
        let waiting = self.paths.iter().filter(|t| t.current.is_none());
        let mut dirs: Vec<PathBuf> = waiting.map(|t| discover::parent(&t.path)).collect();
        dirs.sort();
        dirs.dedup();
        dirs
    }

    fn next_deadline(&self, watch: &Watch) -> Option<Instant> {
        let drain =
            self.paths.iter().flat_map(|t| &t.draining).map(|o| o.last_data + DRAIN_GRACE).min();
        let save = (self.unsaved && self.opts.state.is_some())
            .then_some(self.last_save + CHECKPOINT_EVERY);
        [drain, watch.next_deadline(), save].into_iter().flatten().min()
    }

    /// Brings the paths that are due up to date, and every path that still
    /// has earlier files (they are read on every wake-up until idle): first
    /// what is at each path (files opened, rotated away, truncated), then,
    /// once a changed set of files is in `--state`, the new lines of the
    /// current files. A file's lines are never written before the state
    /// knows the file, so a crash cannot lose them.
    fn catch_up(&mut self, mut due: Due) -> Result<()> {
        due.paths.extend((0..self.paths.len()).filter(|&i| !self.paths[i].draining.is_empty()));
        if due.rescan {
            for p in discover::expand(&self.targets) {
                if !self.paths.iter().any(|t| t.path == p) {
                    let i = self.track(p, false);
                    due.paths.push(i);
                }
            }
        }
        if due.all {
            due.paths = (0..self.paths.len()).collect();
        }
        due.paths.sort_unstable();
        due.paths.dedup();
        for &i in &due.paths {
            self.refresh(i)?;
        }
        if self.files_changed {
            self.checkpoint(true)?;
        }
        let now = Instant::now();
        for &i in &due.paths {
            if self.paths[i].pump_current(now, &mut self.sink)? {
                // Read again from its start: the next checkpoint says so.
                self.files_changed = true;
            }
        }
        self.unsaved = true;
        Ok(())
    }

    /// Brings what is read from path `i` up to date, but for the new lines
    /// of its current file (read, and read again from the start if it was
    /// truncated, by [`Tracked::pump_current`]): its earlier files are read
    /// on, and the file now at the path is opened or switched to.
    fn refresh(&mut self, i: usize) -> Result<()> {
        let now = Instant::now();
        let t = &mut self.paths[i];
        if t.drain(now, &mut self.sink)? {
            self.files_changed = true;
        }
        let at_path = rotation::look(&t.path, t.current.as_ref()).unwrap_or_else(|e| {
            t.report_once(&e);
            AtPath::Nothing
        });
        match at_path {
            AtPath::Nothing => return self.missing(i, now),
            AtPath::Other if t.current.is_some() => {
                t.retire_current(now, &mut self.sink)?;
                self.files_changed = true;
                self.moved_dirs.push(discover::parent(&t.path));
                crate::view::notice(
                    &t.name.label,
                    "replaced by a new file (rotated); following it",
                );
            }
            AtPath::Other | AtPath::Same => {}
        }
        if self.paths[i].current.is_none() {
            self.open_current(i, now)?;
        }
        Ok(())
    }

    /// No file at path `i`: the file being read has gone (renamed or
    /// deleted) and is read on as an earlier file; or there was none, which
    /// is reported once.
    fn missing(&mut self, i: usize, now: Instant) -> Result<()> {
        let t = &mut self.paths[i];
        if t.current.is_some() {
            t.retire_current(now, &mut self.sink)?;
            self.files_changed = true;
            self.moved_dirs.push(discover::parent(&t.path));
            crate::view::notice(
                &t.name.label,
                "has gone (renamed or deleted); waiting for a new file",
            );
            t.initial = false;
        } else if !t.reported {
            let first = std::mem::replace(&mut t.initial, false);
            t.report_once(&"does not exist; waiting for it to appear");
            if first && !self.saved.is_empty() {
                // Rotated away while ltail was not running, with no new
                // file yet: the saved file is read on.
                self.resume_rotated(i, None, now)?;
            }
        }
        Ok(())
    }

    /// Makes the file now at path `i` its current file. A file that
    /// another path reads (under a name it no longer has: renamed to a name
    /// that a glob matches, or renamed back) is taken over as it is, so
    /// that each open file has one reader whatever names lead to it;
    /// otherwise the file is opened and positioned. Returns whether the path
    /// has a current file now: not if it could not be opened (reported), or
    /// if it is the file of another path that still holds it (read there).
    fn open_current(&mut self, i: usize, now: Instant) -> Result<bool> {
        let t = &mut self.paths[i];
        let opened = std::fs::File::open(&t.path).and_then(|f| Ok((f.metadata()?, f)));
        let (meta, file) = match opened {
            Ok(opened) => opened,
            Err(e) => {
                t.report_once(&e);
                return Ok(false);
            }
        };
        let id = FileId::of(&meta);
        if let Some(j) = self.paths.iter().position(|t| t.reads(id)) {
            let owner = &self.paths[j];
            let at_its_path = owner.current.as_ref().is_some_and(|c| c.id == id)
                && rotation::look(&owner.path, owner.current.as_ref()).ok() == Some(AtPath::Same);
            if at_its_path {
                // Two names of one file (given twice, or a hard link).
                let label = owner.name.label.clone();
                self.paths[i].report_once(&format_args!("the same file as {label}; read as that"));
                return Ok(false);
            }
            if let Some((open, was_current)) = self.paths[j].take(id) {
                if was_current {
                    // Its path is looked at again on its own; the move is
                    // not a file that went missing there.
                    self.paths[j].reported = true;
                }
                if self.paths[i].initial && !self.saved.is_empty() {
                    self.resume_rotated(i, Some(id), now)?;
                }
                self.paths[i].adopt(open);
                self.files_changed = true;
                return Ok(true);
            }
        }
        let t = &mut self.paths[i];
        if crate::compressed::sniff(&file).ok().flatten().is_some() {
            // A rotated file compressed under a name the pattern matches:
            // it is not written to, and its bytes are not lines.
            t.report_once(&"compressed; not followed (read it without -f)");
            return Ok(false);
        }
        let start = t.initial.then_some(self.opts.start);
        let (mut open, resumed) = match Open::positioned(file, &meta, start, &self.sink) {
            Ok(positioned) => positioned,
            Err(e) => {
                t.report_once(&e);
                return Ok(false);
            }
        };
        if !t.initial {
            crate::view::notice(&t.name.label, "appeared; following it");
            self.moved_dirs.push(discover::parent(&t.path));
        } else if !self.saved.is_empty() {
            self.resume_rotated(i, Some(id), now)?;
            let path = &self.paths[i].path;
            if !resumed && self.saved.iter().any(|e| e.path == *path) {
                // The path was followed, but this file is not one that was
                // being read: it came after the saved state, all of it new.
                open.restart()?;
            }
        }
        self.paths[i].adopt(open);
        self.files_changed = true;
        Ok(true)
    }

    /// At the first opening of path `i`, files of the saved state that are
    /// no longer at the path (rotated while ltail was not running, or while
    /// it was starting): found again by identity in their directory, and
    /// read on from where they were left, before the file now at the path
    /// (`opened`, if any).
    fn resume_rotated(&mut self, i: usize, opened: Option<FileId>, now: Instant) -> Result<()> {
        let path = self.paths[i].path.clone();
        for e in self.saved.iter().filter(|e| e.path == path && Some(e.mark().id) != opened) {
            if self.paths.iter().any(|t| t.reads(e.mark().id)) {
                continue;
            }
            let dir = discover::parent(&path);
            let Some((found, file)) = checkpoint::find_by_identity(&dir, e) else {
                continue;
            };
            // A file at a followed name is read there (and resumed there if
            // it is this one); taking it here would read it under another
            // name, or, if it only shares an inode with an empty file of
            // the state, read another file under this one's.
            if self.is_followed(&found) {
                continue;
            }
            let old = Open::at(file, e.offset, self.sink.max_line)?;
            self.paths[i].read_on(old, now, &mut self.sink)?;
            self.files_changed = true;
        }
        Ok(())
    }

    /// Whether `path` (a file in the directory of a followed path) is
    /// followed under its own name: one of the paths, or a match of a glob.
    fn is_followed(&self, path: &std::path::Path) -> bool {
        let same = |p: &std::path::Path| {
            p.file_name() == path.file_name() && discover::parent(p) == discover::parent(path)
        };
        self.paths.iter().any(|t| same(&t.path)) || discover::expand(&self.targets).contains(path)
    }

    /// Writes `--state` when due (or now, with `force`), after the output
    /// it describes was flushed.
    fn checkpoint(&mut self, force: bool) -> Result<()> {
        let Some(path) = &self.opts.state else { return Ok(()) };
        let due =
            self.files_changed || (self.unsaved && self.last_save.elapsed() >= CHECKPOINT_EVERY);
        if !force && !due {
            return Ok(());
        }
        crate::view::flush_notices(&mut self.sink.out);
        self.sink.out.flush()?;
        let mut files = Vec::new();
        for t in &mut self.paths {
            let path = t.path.clone();
            for (o, current) in t.files_mut() {
                // A file with no name left is not kept: it cannot be found
                // after a restart, and its inode may be another file's.
                if let Some(mark) = o.mark()? {
                    files.push(checkpoint::Entry::new(&path, current, &mark));
                }
            }
        }
        checkpoint::save(path, &checkpoint::State { version: 1, files })
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        self.unsaved = false;
        self.files_changed = false;
        self.last_save = Instant::now();
        Ok(())
    }

    /// At a clean stop: read what is left, and emit held partial lines;
    /// with `--state`, keep them instead (the state points before them, and
    /// the next run reads them whole once their newline has arrived).
    fn finish(&mut self) -> Result<()> {
        self.catch_up(Due { all: true, ..Due::default() })?;
        if self.opts.state.is_none() {
            for t in &mut self.paths {
                t.emit_held(&mut self.sink)?;
            }
        }
        crate::view::flush_notices(&mut self.sink.out);
        self.sink.out.flush()?;
        self.checkpoint(true)
    }
}
