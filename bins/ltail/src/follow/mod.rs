//! `ltail -f`: follow files by name through rotation, truncation, deletion
//! and re-creation, like `tail -F`, with many files at once.
//!
//! The parts, as in Vector's file source: [`discover`] finds the paths
//! (names and quoted globs), [`identity`] tells whether a path still holds
//! the same file, [`watch`] wakes us up (inotify, or polling), and this
//! module reads: each followed path has its current file and, after a
//! rotation, the earlier files it held, which are read on until they have
//! been idle for a while, since a writer keeps appending to a renamed file
//! until it reopens its log.

mod checkpoint;
mod discover;
mod identity;

pub(crate) use identity::read_at_full;
mod watch;

use crate::tail::{self, Start};
use anyhow::Result;
use discover::Target;
use identity::{FileId, Fingerprint};
use logkit_common::cli::{BadInput, Outcome};
use logkit_common::input::{LineReader, NoIdle};
use logkit_common::output::Output;
use logkit_common::record;
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use watch::{Event, Watch};

/// How long an earlier file of a path (renamed or deleted) is read on after
/// its last new data.
const DRAIN_GRACE: Duration = Duration::from_secs(5);
/// How often a directory that does not exist yet is looked for.
const PENDING_CHECK: Duration = Duration::from_secs(1);
/// The read buffer of each followed file; it grows for long lines.
const FOLLOW_BUFFER: usize = 32 * 1024;
/// How often `--state` is written while lines are coming in.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

pub struct Options {
    pub start: Start,
    pub max_line: usize,
    pub poll: Option<Duration>,
    pub state: Option<PathBuf>,
}

/// A file being read: its reader and identity.
struct Open {
    reader: LineReader<File>,
    id: FileId,
    fingerprint: Option<Fingerprint>,
    /// Lines before this number are skipped (`-n +N`).
    first_line: u64,
    last_data: Instant,
}

/// A followed path.
struct Tracked {
    path: PathBuf,
    src_json: Vec<u8>,
    label: String,
    current: Option<Open>,
    /// Earlier files of this path, read until idle.
    draining: Vec<Open>,
    /// Whether the start option (`-n`) still applies: only to the file
    /// found at the start; files that appear later are read from their start.
    initial: bool,
    reported_missing: bool,
}

struct Follower {
    opts: Options,
    tracked: Vec<Tracked>,
    /// Followed paths by the name the watcher reports for them.
    by_event_path: HashMap<PathBuf, usize>,
    /// How far each file has been read, by identity, so that a file seen
    /// again under another name (a glob matching rotated files) goes on
    /// where it was rather than starting over.
    known: HashMap<FileId, (Option<Fingerprint>, u64)>,
    targets: Vec<Target>,
    cwd: PathBuf,
    out: Output,
    bad: BadInput,
    /// The `--state` read at start.
    saved: Vec<checkpoint::Entry>,
    /// Lines were written since the last checkpoint.
    unsaved: bool,
    last_save: Instant,
}

pub fn run(files: &[std::ffi::OsString], opts: Options, strict: bool) -> Result<Outcome> {
    raise_fd_limit();
    let (tx, rx) = mpsc::channel();
    watch::on_signals_and_closed_output(tx.clone())?;
    let mut read_stdin = false;
    let mut targets = Vec::new();
    for f in files {
        if f == "-" {
            read_stdin = true;
        } else {
            targets.push(Target::parse(f));
        }
    }
    if read_stdin {
        watch::read_stdin(tx.clone(), opts.max_line);
    }
    let mut follower = Follower {
        opts,
        tracked: Vec::new(),
        by_event_path: HashMap::new(),
        known: HashMap::new(),
        targets: targets.clone(),
        cwd: std::env::current_dir()?,
        out: Output::new(),
        bad: BadInput::new("ltail", strict),
        saved: Vec::new(),
        unsaved: false,
        last_save: Instant::now(),
    };
    let saved = match &follower.opts.state {
        Some(path) => checkpoint::load(path)?.files,
        None => Vec::new(),
    };
    for e in &saved {
        follower.known.insert(e.id(), (e.fingerprint(), e.offset));
    }
    follower.saved = saved;
    for t in &targets {
        if let Target::Path(p) = t {
            follower.track(p.clone(), true);
        }
    }
    for p in discover::expand(&targets) {
        follower.track(p, true);
    }
    let dirs: Vec<PathBuf> = targets.iter().map(Target::directory).collect();
    let mut watch = Watch::new(rx, tx, &dirs, follower.opts.poll)?;
    // The files as they are now.
    for i in 0..follower.tracked.len() {
        follower.process(i)?;
    }
    follower.out.flush()?;
    let mut stdin_open = read_stdin;
    let stdin_src = record::encode_src(b"-");
    loop {
        if targets.is_empty() && !stdin_open {
            break;
        }
        let deadline = follower.next_deadline(&watch);
        let event = match deadline {
            Some(d) => match watch.rx.recv_timeout(d.saturating_duration_since(Instant::now())) {
                Ok(e) => Some(e),
                Err(mpsc::RecvTimeoutError::Timeout) => None,
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            },
            None => match watch.rx.recv() {
                Ok(e) => Some(e),
                Err(_) => break,
            },
        };
        // Take every event that is already waiting, then act once.
        let mut events: Vec<Event> = event.into_iter().collect();
        events.extend(watch.rx.try_iter());
        let mut dirty = Vec::new();
        let mut rescan = false;
        let mut all = false;
        let mut stop = false;
        for e in events {
            match e {
                Event::Changed(paths) => {
                    watch.notice_removed_dirs(&paths);
                    for p in paths {
                        match follower.by_event_path.get(&p) {
                            Some(&i) => dirty.push(i),
                            None => rescan = true,
                        }
                    }
                }
                Event::Rescan => {
                    all = true;
                    rescan = true;
                }
                Event::Stdin(lines) => {
                    for line in lines.iter() {
                        let max = follower.opts.max_line;
                        crate::emit_line(
                            &mut follower.out,
                            &mut follower.bad,
                            &stdin_src,
                            line.bytes,
                            line.truncated,
                            max,
                            || format!("-:{}", line.number),
                        )?;
                    }
                }
                Event::StdinDone => stdin_open = false,
                Event::Stop => stop = true,
                Event::OutputClosed => return Ok(Outcome::Success),
                Event::Warning(msg) => eprintln!("ltail: {msg}"),
            }
        }
        if watch.poll_due() || watch.check_pending()? {
            all = true;
            rescan = true;
        }
        if follower.tracked.iter().any(|t| !t.draining.is_empty()) {
            // Earlier files are read on every wake-up until they go idle.
            dirty.extend(
                (0..follower.tracked.len()).filter(|&i| !follower.tracked[i].draining.is_empty()),
            );
        }
        if rescan {
            for p in discover::expand(&follower.targets) {
                if !follower.tracked.iter().any(|t| t.path == p) {
                    let i = follower.track(p, false);
                    dirty.push(i);
                }
            }
        }
        if all {
            dirty = (0..follower.tracked.len()).collect();
        }
        dirty.sort_unstable();
        dirty.dedup();
        for i in dirty {
            follower.process(i)?;
        }
        if stop {
            break;
        }
        follower.out.flush()?;
        follower.checkpoint(false)?;
    }
    follower.finish()?;
    Ok(follower.bad.finish("lines cut or files not read"))
}

impl Follower {
    fn track(&mut self, path: PathBuf, initial: bool) -> usize {
        let label = path.to_string_lossy().into_owned();
        let src_json = record::encode_src(path.as_os_str().as_encoded_bytes());
        // The watcher reports absolute paths (the watched directory joined to
        // the current one): key the path the same way.
        let dir = discover::parent(&path);
        let dir = if dir.is_absolute() { dir } else { self.cwd.join(dir) };
        let event_path = dir.join(path.file_name().unwrap_or(path.as_os_str()));
        self.tracked.push(Tracked {
            path,
            src_json,
            label,
            current: None,
            draining: Vec::new(),
            initial,
            reported_missing: false,
        });
        let i = self.tracked.len() - 1;
        self.by_event_path.insert(event_path, i);
        i
    }

    /// When the loop must wake up without an event.
    fn next_deadline(&self, watch: &Watch) -> Option<Instant> {
        let drain = self
            .tracked
            .iter()
            .flat_map(|t| t.draining.iter())
            .map(|o| o.last_data + DRAIN_GRACE)
            .min();
        let save = (self.unsaved && self.opts.state.is_some())
            .then_some(self.last_save + CHECKPOINT_EVERY);
        [drain, watch.next_deadline(), save].into_iter().flatten().min()
    }

    /// At the first opening of a path, files of the saved state that are no
    /// longer at the path (rotated while ltail was not running, or while it
    /// was starting): found again by identity in their directory, and read
    /// on from where they were left, before the file now at the path, which
    /// is then read from its start (it came after the rotation). Returns
    /// whether there were any.
    fn resume_rotated(&mut self, i: usize, opened: Option<FileId>) -> Result<bool> {
        let path = self.tracked[i].path.clone();
        let mut found = false;
        for e in self.saved.iter().filter(|e| e.path == path && Some(e.id()) != opened) {
            found = true;
            let already = self
                .tracked
                .iter()
                .any(|t| t.draining.iter().chain(t.current.as_ref()).any(|o| o.id == e.id()));
            if already {
                continue;
            }
            let Some((_, file)) = checkpoint::find_by_identity(&discover::parent(&path), e) else {
                continue;
            };
            let mut old = open_at(file, e.offset, self.opts.max_line)?;
            let t = &mut self.tracked[i];
            pump(&mut old, &t.src_json, &t.label, &mut self.out, &mut self.bad, &mut self.known)?;
            t.draining.push(old);
        }
        Ok(found && !self.saved.iter().any(|e| Some(e.id()) == opened))
    }

    /// Writes `--state` when due (or now, with `force`), after the output
    /// it describes was flushed.
    fn checkpoint(&mut self, force: bool) -> Result<()> {
        let Some(path) = &self.opts.state else { return Ok(()) };
        let due = self.unsaved && self.last_save.elapsed() >= CHECKPOINT_EVERY;
        if !force && !due {
            return Ok(());
        }
        self.out.flush()?;
        let mut files = Vec::new();
        for t in &self.tracked {
            for (o, current) in
                t.current.iter().map(|o| (o, true)).chain(t.draining.iter().map(|o| (o, false)))
            {
                files.push(checkpoint::Entry::new(
                    &t.path,
                    current,
                    o.id,
                    o.fingerprint,
                    o.reader.position(),
                ));
            }
        }
        checkpoint::save(path, &checkpoint::State { version: 1, files })
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        self.unsaved = false;
        self.last_save = Instant::now();
        Ok(())
    }

    /// Brings one followed path up to date: earlier files first, then the
    /// file now at the path (opening, switching or restarting it as needed).
    fn process(&mut self, i: usize) -> Result<()> {
        let now = Instant::now();
        let t = &mut self.tracked[i];
        for old in &mut t.draining {
            if pump(old, &t.src_json, &t.label, &mut self.out, &mut self.bad, &mut self.known)? > 0
            {
                old.last_data = now;
            }
        }
        let mut k = 0;
        while k < t.draining.len() {
            if now.duration_since(t.draining[k].last_data) >= DRAIN_GRACE {
                let mut old = t.draining.remove(k);
                emit_held(&mut old, &t.src_json, &t.label, &mut self.out, &mut self.bad)?;
            } else {
                k += 1;
            }
        }
        let meta = match std::fs::metadata(&t.path) {
            Ok(m) if m.is_file() => Some(m),
            Ok(_) => None,
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => {
                if !t.reported_missing {
                    eprintln!("ltail: {}: {e}", t.label);
                    t.reported_missing = true;
                }
                None
            }
        };
        let Some(meta) = meta else {
            if let Some(mut cur) = t.current.take() {
                pump(
                    &mut cur,
                    &t.src_json,
                    &t.label,
                    &mut self.out,
                    &mut self.bad,
                    &mut self.known,
                )?;
                eprintln!(
                    "ltail: {}: has gone (renamed or deleted); waiting for a new file",
                    t.label
                );
                cur.last_data = now;
                t.draining.push(cur);
                t.initial = false;
            } else if !t.reported_missing {
                let first = t.initial;
                eprintln!("ltail: {}: does not exist; waiting for it to appear", t.label);
                t.reported_missing = true;
                t.initial = false;
                if first && !self.saved.is_empty() {
                    // Rotated away while ltail was not running, with no new
                    // file yet: the saved file is read on.
                    self.resume_rotated(i, None)?;
                }
            }
            return Ok(());
        };
        let id = FileId::of(&meta);
        if t.current.as_ref().is_some_and(|c| c.id != id) {
            let mut cur = t.current.take().expect("checked");
            pump(&mut cur, &t.src_json, &t.label, &mut self.out, &mut self.bad, &mut self.known)?;
            eprintln!("ltail: {}: replaced by a new file (rotated); following it", t.label);
            cur.last_data = now;
            t.draining.push(cur);
        }
        let mut adopted = None;
        if t.current.is_none() {
            let initial = t.initial;
            match open(&t.path, initial, &self.opts, &self.known) {
                Ok(mut o) => {
                    if !initial {
                        eprintln!("ltail: {}: appeared; following it", t.label);
                    } else if !self.saved.is_empty() && self.resume_rotated(i, Some(o.id))? {
                        // A new file since the saved state: all of it is new.
                        o.reader.get_mut().seek(SeekFrom::Start(0))?;
                        o.reader.reset(0);
                        o.fingerprint = None;
                        o.first_line = 0;
                    }
                    adopted = Some(o.id);
                    self.tracked[i].current = Some(o);
                }
                Err(e) => {
                    if !t.reported_missing {
                        eprintln!("ltail: {}: {e}", t.label);
                        t.reported_missing = true;
                    }
                    return Ok(());
                }
            }
        }
        let t = &mut self.tracked[i];
        if adopted.is_some() {
            t.initial = false;
            t.reported_missing = false;
        }
        let cur = t.current.as_mut().expect("opened above");
        // Truncated (copytruncate), or rewritten with new content: start
        // over. The size is the open file's own (the path may have changed
        // since it was looked at).
        let shrunk = cur.reader.get_ref().metadata()?.len() < cur.reader.position();
        let rewritten = match &cur.fingerprint {
            Some(fp) => !fp.matches(cur.reader.get_ref())?,
            None => false,
        };
        if shrunk || rewritten {
            eprintln!("ltail: {}: truncated; reading from the start", t.label);
            cur.reader.get_mut().seek(SeekFrom::Start(0))?;
            cur.reader.reset(0);
            cur.fingerprint = None;
            cur.first_line = 0;
        }
        if pump(cur, &t.src_json, &t.label, &mut self.out, &mut self.bad, &mut self.known)? > 0 {
            cur.last_data = now;
        }
        self.unsaved = true;
        if let Some(id) = adopted {
            // The file may still be read as an earlier file of another path
            // (renamed to a name that a glob matches, or renamed back): it is
            // read on here, from where that left it, and only here.
            for (j, other) in self.tracked.iter_mut().enumerate() {
                if j != i {
                    other.draining.retain(|d| d.id != id);
                }
            }
            self.tracked[i].draining.retain(|d| d.id != id);
        }
        Ok(())
    }

    /// At a clean stop: read what is left, and emit held partial lines;
    /// with `--state`, keep them instead (the state points before them, and
    /// the next run reads them whole once their newline has arrived).
    fn finish(&mut self) -> Result<()> {
        for i in 0..self.tracked.len() {
            self.process(i)?;
            if self.opts.state.is_some() {
                continue;
            }
            let t = &mut self.tracked[i];
            for o in t.draining.iter_mut().chain(t.current.as_mut()) {
                emit_held(o, &t.src_json, &t.label, &mut self.out, &mut self.bad)?;
            }
        }
        self.out.flush()?;
        self.checkpoint(true)
    }
}

/// Opens the file at `path` and positions it: per the start option for a
/// file found at the start, where it was left for a file already read under
/// another name, else at its beginning.
fn open(
    path: &Path,
    initial: bool,
    opts: &Options,
    known: &HashMap<FileId, (Option<Fingerprint>, u64)>,
) -> io::Result<Open> {
    let mut file = File::open(path)?;
    let meta = file.metadata()?;
    let id = FileId::of(&meta);
    let mut first_line = 0;
    let mut position = 0;
    if let Some((fp, offset)) = known.get(&id) {
        let same = match fp {
            Some(fp) => fp.matches(&file)?,
            None => true,
        };
        if same && *offset <= meta.len() {
            position = *offset;
        }
    } else if initial {
        match opts.start {
            Start::LastLines(n) => {
                position = tail::start_of_last_lines(&mut file, n, meta.len())?.unwrap_or(0)
            }
            Start::FromLine(k) => first_line = k,
        }
    }
    let mut open = open_at(file, position, opts.max_line)?;
    open.first_line = first_line;
    Ok(open)
}

/// Starts reading an open file at `position`.
fn open_at(mut file: File, position: u64, max_line: usize) -> io::Result<Open> {
    let id = FileId::of(&file.metadata()?);
    file.seek(SeekFrom::Start(position))?;
    let mut reader = LineReader::with_capacity(file, FOLLOW_BUFFER).max_line(max_line).follow();
    reader.reset(position);
    let fingerprint =
        if position > 0 { Some(Fingerprint::read(reader.get_ref(), position)?) } else { None };
    Ok(Open { reader, id, fingerprint, first_line: 0, last_data: Instant::now() })
}

/// Reads and emits the complete lines a file has now. Returns how many.
fn pump(
    open: &mut Open,
    src_json: &[u8],
    label: &str,
    out: &mut Output,
    bad: &mut BadInput,
    known: &mut HashMap<FileId, (Option<Fingerprint>, u64)>,
) -> Result<u64> {
    let mut n = 0;
    let max = open.reader.max_line_len();
    while let Some(line) = open.reader.next_line(&mut NoIdle)? {
        if line.number < open.first_line {
            continue;
        }
        crate::emit_line(out, bad, src_json, line.bytes, line.truncated, max, || {
            format!("{label}:{}", line.number)
        })?;
        n += 1;
    }
    let position = open.reader.position();
    let stale =
        open.fingerprint.is_none_or(|fp| fp.len < identity::FINGERPRINT_BYTES && position > fp.len);
    if stale && position > 0 {
        open.fingerprint = Some(Fingerprint::read(open.reader.get_ref(), position)?);
    }
    known.insert(open.id, (open.fingerprint, position));
    Ok(n)
}

/// Emits a last line that never got its newline.
fn emit_held(
    open: &mut Open,
    src_json: &[u8],
    label: &str,
    out: &mut Output,
    bad: &mut BadInput,
) -> Result<()> {
    let max = open.reader.max_line_len();
    if let Some(line) = open.reader.finish() {
        crate::emit_line(out, bad, src_json, line.bytes, line.truncated, max, || {
            format!("{label}:{}", line.number)
        })?;
    }
    Ok(())
}

/// Following hundreds of files needs as many descriptors: raise the soft
/// limit to the hard one.
fn raise_fd_limit() {
    // SAFETY: getrlimit/setrlimit with a valid struct.
    unsafe {
        let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}
