//! A randomized model test of `ltail -f --state`, in the spirit of Vector's
//! file-watcher experiments: a seeded random sequence of writes, rotations
//! and restarts, and a model of what must come out.
//!
//! Two streams of log lines (`logs/app.log`, `logs/web.log`) are written in
//! bursts, lines of random length up to 64 KiB, sometimes a line in two
//! writes; rotated by rename (logrotate's `app.log.1` or `app.1.log`, the
//! older ones shifted), the writer still appending to the renamed file for
//! a while, several rotations deep; old files compressed (gzip, which
//! deletes the original); the current file deleted and re-created, or
//! copied and truncated (copytruncate); every file may start with the same
//! first line. ltail follows them by name, or by a glob that matches the
//! rotated names or not, with inotify or `--poll`, and is stopped now and
//! then by SIGTERM or SIGKILL and started again with the same `--state`,
//! with writes and rotations while it is down.
//!
//! The model checks, over all the runs:
//! - every line comes out, but for a copytruncated file's lines written
//!   after ltail's last read and before the truncation (the ones it lost
//!   form a tail of that file's content);
//! - within a run, each file's lines come out once and in order;
//! - no half lines, no line that was never written;
//! - each line under a name its file had (never another file's);
//! - a line comes out again in a later run only after a SIGKILL, and only
//!   if it was after where the state on disk said its file was left.
//!
//! What the writer does is what ltail promises to keep up with (README.md,
//! ltail): it renames a file only once ltail has written one of its lines
//! or the state on disk names it (a file created and rotated away before
//! ltail ever opened it cannot be found), stops appending to a renamed file a second after the
//! rotation (ltail reads an earlier file on until it has been idle for 5
//! s), and deletes or compresses a file only while ltail runs and after
//! ltail has written its last line (the lines of a file deleted while
//! ltail is down are gone).
//!
//! Runs: the normal suite runs a few seeds in each mode. More:
//! `LTAIL_MODEL_SEEDS=500 cargo test --release --test ltail_model -- --ignored`
//! (seeds 1 to 500, both modes; `LTAIL_MODEL_STEPS` sets the steps of
//! each). A failure prints its seed and mode; `LTAIL_MODEL_SEED=<n>` (with
//! `LTAIL_MODEL_MODE=inotify|poll`) replays it alone. Timing is not
//! reproducible, so a replay takes the same actions but may interleave them
//! differently with ltail.
//!
//! The binaries must have been built (`cargo build -p ltail`).

mod util;

use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};
use util::{bin, wait_with_timeout, Mode, Rng};

/// How long ltail may take to write a line that is on disk.
const CATCH_UP: Duration = Duration::from_secs(15);
/// How long a writer appends to a file after it was renamed.
const WRITER_HOLDS: Duration = Duration::from_secs(1);
/// The first line of every file, in the seeds where they share one: a
/// short one, or one longer than the bytes ltail's fingerprints cover (256),
/// so that files differ only after them.
const HEADERS: [&str; 2] = [
    "# service log v1 (shared first line)",
    concat!(
        "# service log v1: a first line that every file shares, longer than a fingerprint, ",
        "as written by loggers that start each file with a banner naming the host, the ",
        "program, its version and its options, and then go on with the first record of ",
        "the file, which is the first thing that tells two files apart (300 bytes or so)",
    ),
];
/// The streams: each is a followed name and its rotated files.
const STREAMS: [&str; 2] = ["app", "web"];

/// How the rotated files are named.
#[derive(Clone, Copy, Debug)]
enum Scheme {
    /// `app.log.1`, `app.log.2.gz` (logrotate's default).
    Suffix,
    /// `app.1.log`, `app.2.log.gz`.
    Infix,
}

/// What ltail is told to follow.
#[derive(Clone, Copy, Debug)]
enum Targets {
    /// `logs/app.log logs/web.log`.
    Names,
    /// `'logs/*.log'`: the rotated names too with [`Scheme::Infix`].
    GlobLog,
    /// `'logs/*.log*'`: the rotated names too, compressed ones aside.
    GlobLogStar,
}

/// One line written.
struct Written {
    /// The model file it was written to.
    file: usize,
    /// Its place among the file's lines.
    index: usize,
    /// The offset just after it in its file.
    end: u64,
}

/// One file's content as the writer made it. A copytruncated file starts
/// a new content under the same inode: a new `Content`.
struct Content {
    stream: usize,
    /// Every name it had, as ltail names it (`logs/app.log`).
    names: Vec<String>,
    /// Its name now; `None` once deleted, compressed, or truncated (then
    /// the inode's new content goes on under another `Content`).
    path: Option<String>,
    /// 0 for the file at the stream's name, else its rotation number.
    rotated: usize,
    /// Until when the writer appends to it after its rotation.
    writer_until: Option<Instant>,
    ino: u64,
    lines: Vec<String>,
    size: u64,
    /// Copytruncated: its last lines may be lost.
    cut: bool,
}

/// How a run of ltail ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    Term,
    Kill,
}

/// One run of ltail: its records, how it ended, and for a SIGKILL where the
/// state on disk then said each file was left (inode → offset).
struct Run {
    records: Vec<(String, String)>,
    end: Option<End>,
    saved: HashMap<u64, u64>,
}

struct Ltail {
    child: Child,
    rx: Receiver<String>,
}

struct Model {
    dir: PathBuf,
    seed: u64,
    mode: Mode,
    scheme: Scheme,
    targets: Targets,
    /// The first line of every file, if they share one.
    header: Option<&'static str>,
    rng: Rng,
    files: Vec<Content>,
    /// The file at each stream's name.
    current: [usize; 2],
    written: HashMap<String, Written>,
    /// Lines that came out in any run.
    seen: HashSet<String>,
    runs: Vec<Run>,
    ltail: Option<Ltail>,
    log: Vec<String>,
    start: Instant,
    next_line: u64,
    /// The steps of the run, for the replay command.
    steps: usize,
}

impl Model {
    fn new(dir: &Path, seed: u64, mode: Mode, steps: usize) -> Model {
        let mut rng = Rng::new(seed);
        let scheme = if rng.chance(50) { Scheme::Suffix } else { Scheme::Infix };
        let targets = match rng.below(3) {
            0 => Targets::Names,
            1 => Targets::GlobLog,
            _ => Targets::GlobLogStar,
        };
        let header = match rng.below(3) {
            0 => None,
            h => Some(HEADERS[h as usize - 1]),
        };
        std::fs::create_dir_all(dir.join("logs/old")).unwrap();
        let mut m = Model {
            dir: dir.to_owned(),
            seed,
            mode,
            scheme,
            targets,
            header,
            rng,
            files: Vec::new(),
            current: [0, 0],
            written: HashMap::new(),
            seen: HashSet::new(),
            runs: Vec::new(),
            ltail: None,
            log: Vec::new(),
            start: Instant::now(),
            next_line: 0,
            steps,
        };
        m.note(format!(
            "seed {seed} {mode:?}: {scheme:?} {targets:?} header {:?}",
            header.map(str::len)
        ));
        for s in 0..STREAMS.len() {
            m.current[s] = m.create(s);
        }
        m
    }

    fn note(&mut self, what: String) {
        self.log.push(format!("{:>8.3}s {what}", self.start.elapsed().as_secs_f64()));
    }

    fn fail(&self, what: &str) -> ! {
        // All of it when replaying one seed, else the end.
        let keep = if std::env::var_os("LTAIL_MODEL_SEED").is_some() { usize::MAX } else { 60 };
        let tail: Vec<&String> = self.log.iter().rev().take(keep).collect();
        let mut tail: Vec<String> = tail.into_iter().rev().cloned().collect();
        for r in 0..self.runs.len() {
            let stderr = std::fs::read_to_string(self.dir.join(format!("stderr-{r}")));
            tail.push(format!("stderr of run {r}: {}", stderr.unwrap_or_default()));
        }
        panic!(
            "ltail model, seed {} mode {:?}: {what}\nreplay: LTAIL_MODEL_SEED={} LTAIL_MODEL_MODE={} \
             LTAIL_MODEL_STEPS={} cargo test --test ltail_model -- --ignored replay\nin {}\n\
             last actions:\n{}",
            self.seed,
            self.mode,
            self.seed,
            if self.mode == Mode::Poll { "poll" } else { "inotify" },
            self.steps,
            self.dir.display(),
            tail.join("\n")
        );
    }

    fn name(&self, stream: usize, rotated: usize) -> String {
        let s = STREAMS[stream];
        match (rotated, self.scheme) {
            (0, _) => format!("logs/{s}.log"),
            (n, Scheme::Suffix) => format!("logs/{s}.log.{n}"),
            (n, Scheme::Infix) => format!("logs/{s}.{n}.log"),
        }
    }

    fn abs(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Creates a file at the stream's name; returns its number.
    fn create(&mut self, stream: usize) -> usize {
        let name = self.name(stream, 0);
        let mut f = File::create(self.abs(&name)).unwrap();
        let ino = f.metadata().unwrap().ino();
        let mut size = 0;
        if let Some(header) = self.header {
            f.write_all(format!("{header}\n").as_bytes()).unwrap();
            size = header.len() as u64 + 1;
        }
        self.files.push(Content {
            stream,
            names: vec![name.clone()],
            path: Some(name.clone()),
            rotated: 0,
            writer_until: None,
            ino,
            lines: Vec::new(),
            size,
            cut: false,
        });
        let k = self.files.len() - 1;
        self.note(format!("create #{k} at {name} (ino {ino})"));
        k
    }

    /// A new line for file `k`: unique, naming its file, of random length
    /// (mostly short, some up to 64 KiB).
    fn new_line(&mut self, k: usize) -> String {
        self.next_line += 1;
        let len = match self.rng.below(100) {
            0..=79 => self.rng.between(0, 100),
            80..=96 => self.rng.between(100, 4096),
            _ => self.rng.between(4096, 64 * 1024 - 40),
        } as usize;
        let mut line = format!("#{k} L{} ", self.next_line);
        let fill = b'a' + (self.next_line % 26) as u8;
        line.extend(std::iter::repeat_n(fill as char, len));
        line
    }

    /// Appends `count` lines to file `k` in one write, or in two with a
    /// pause that leaves the last line half written.
    fn append(&mut self, k: usize, count: usize) {
        let Some(name) = self.files[k].path.clone() else { return };
        let mut text = String::new();
        for _ in 0..count {
            let line = self.new_line(k);
            text.push_str(&line);
            text.push('\n');
            let index = self.files[k].lines.len();
            self.files[k].size += line.len() as u64 + 1;
            self.written.insert(line.clone(), Written { file: k, index, end: self.files[k].size });
            self.files[k].lines.push(line);
        }
        let mut f = OpenOptions::new().append(true).open(self.abs(&name)).unwrap();
        let split = self.rng.chance(20);
        if split {
            let at = text.len() - 1 - self.rng.below(text.len().min(50) as u64) as usize;
            f.write_all(&text.as_bytes()[..at]).unwrap();
            std::thread::sleep(Duration::from_millis(self.rng.between(1, 30)));
            f.write_all(&text.as_bytes()[at..]).unwrap();
        } else {
            f.write_all(text.as_bytes()).unwrap();
        }
        self.note(format!(
            "append {count} to #{k} at {name}{}",
            if split { " (split)" } else { "" }
        ));
    }

    /// The inodes the state file on disk names, with their offsets.
    fn saved(&self) -> HashMap<u64, u64> {
        let Ok(bytes) = std::fs::read(self.dir.join("state.json")) else { return HashMap::new() };
        let state: Value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| self.fail(&format!("the state file is not JSON: {e}")));
        let files = state["files"].as_array().cloned().unwrap_or_default();
        files.iter().map(|e| (e["ino"].as_u64().unwrap(), e["offset"].as_u64().unwrap())).collect()
    }

    /// Whether the state on disk names file `k` at the end of one of its
    /// own lines: then ltail has read this content (an entry at its start
    /// may be the inode's earlier content, before a copytruncate or a
    /// deletion, which ltail rightly does not take for this one).
    fn known(&self, k: usize) -> bool {
        let saved = self.saved().get(&self.files[k].ino).copied();
        let f = &self.files[k];
        saved.is_some_and(|offset| f.lines.iter().any(|l| self.written[l.as_str()].end == offset))
    }

    fn rotate(&mut self, s: usize) {
        let k = self.current[s];
        // ltail promises to find a file rotated away (while it runs or is
        // down) once it has written one of its lines: the file is in the
        // state before. One it never opened cannot be found by name.
        let output = self.files[k].lines.iter().any(|l| self.seen.contains(l));
        if !output && !self.known(k) {
            return self.append(k, 1);
        }
        let mut older: Vec<usize> = (0..self.files.len())
            .filter(|&j| {
                let f = &self.files[j];
                f.stream == s && f.rotated > 0 && f.path.is_some()
            })
            .collect();
        older.sort_by_key(|&j| std::cmp::Reverse(self.files[j].rotated));
        for j in older.into_iter().chain([k]) {
            let to = self.name(s, self.files[j].rotated + 1);
            let from = self.files[j].path.clone().unwrap();
            std::fs::rename(self.abs(&from), self.abs(&to)).unwrap();
            let f = &mut self.files[j];
            f.rotated += 1;
            f.path = Some(to.clone());
            f.names.push(to);
        }
        self.files[k].writer_until = Some(Instant::now() + WRITER_HOLDS);
        self.note(format!("rotate {}: #{k} renamed", STREAMS[s]));
        self.current[s] = self.create(s);
    }

    /// A rotated file of stream `s` that the writer still appends to.
    fn held(&mut self, s: usize) -> Option<usize> {
        let now = Instant::now();
        let held: Vec<usize> = (0..self.files.len())
            .filter(|&j| {
                let f = &self.files[j];
                f.stream == s && f.path.is_some() && f.writer_until.is_some_and(|t| now < t)
            })
            .collect();
        (!held.is_empty()).then(|| held[self.rng.below(held.len() as u64) as usize])
    }

    /// Waits until every line of file `k` came out.
    fn wait_for_file(&mut self, k: usize) {
        let deadline = Instant::now() + CATCH_UP;
        while self.files[k].lines.iter().any(|l| !self.seen.contains(l)) {
            if !self.receive(deadline) {
                let f = &self.files[k];
                let missing: Vec<usize> =
                    (0..f.lines.len()).filter(|&i| !self.seen.contains(&f.lines[i])).collect();
                self.fail(&format!(
                    "lines {missing:?} of the {} of #{k} (ino {}, names {:?}) did not come out \
                     in {CATCH_UP:?}; state: {:?}",
                    f.lines.len(),
                    f.ino,
                    f.names,
                    self.saved()
                ));
            }
        }
    }

    /// Takes one record (until `deadline`); false if none came.
    fn receive(&mut self, deadline: Instant) -> bool {
        let Some(lt) = &self.ltail else { return false };
        match lt.rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(text) => {
                self.record(&text);
                true
            }
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => false,
        }
    }

    fn take_ready(&mut self) {
        while let Some(text) = self.ltail.as_ref().and_then(|lt| lt.rx.try_recv().ok()) {
            self.record(&text);
        }
    }

    fn record(&mut self, text: &str) {
        let Some(json) = text.strip_suffix('\n') else {
            // Cut by a SIGKILL in the middle of writing: not a record.
            return;
        };
        let v: Value = serde_json::from_str(json)
            .unwrap_or_else(|e| self.fail(&format!("not a JSON record ({e}): {json:?}")));
        let src = v["src"].as_str().unwrap_or_else(|| self.fail(&format!("no src: {json}")));
        let line = v["line"].as_str().unwrap_or_else(|| self.fail(&format!("no line: {json}")));
        self.seen.insert(line.to_owned());
        self.runs.last_mut().unwrap().records.push((src.to_owned(), line.to_owned()));
    }

    fn delete_and_recreate(&mut self, s: usize) {
        let k = self.current[s];
        if self.ltail.is_none() {
            return self.append(k, 1);
        }
        self.wait_for_file(k);
        let name = self.files[k].path.take().unwrap();
        std::fs::remove_file(self.abs(&name)).unwrap();
        self.note(format!("delete #{k} at {name}"));
        self.current[s] = self.create(s);
    }

    fn copytruncate(&mut self, s: usize) {
        let k = self.current[s];
        let name = self.files[k].path.clone().unwrap();
        let copy = self.dir.join(format!("logs/old/{}-{k}", STREAMS[s]));
        std::fs::copy(self.abs(&name), copy).unwrap();
        let f = OpenOptions::new().write(true).open(self.abs(&name)).unwrap();
        f.set_len(0).unwrap();
        let mut size = 0;
        if let Some(header) = self.header {
            (&f).write_all(format!("{header}\n").as_bytes()).unwrap();
            size = header.len() as u64 + 1;
        }
        let old = &mut self.files[k];
        old.cut = true;
        old.path = None;
        let names = old.names.clone();
        let ino = old.ino;
        self.files.push(Content {
            stream: s,
            names,
            path: Some(name.clone()),
            rotated: 0,
            writer_until: None,
            ino,
            lines: Vec::new(),
            size,
            cut: false,
        });
        let new = self.files.len() - 1;
        self.current[s] = new;
        self.note(format!("copytruncate #{k} at {name}: now #{new}"));
    }

    /// Compresses a rotated file of stream `s` that the writer no longer
    /// appends to (gzip deletes the original).
    fn compress(&mut self, s: usize) {
        if self.ltail.is_none() {
            return;
        }
        let now = Instant::now();
        let Some(k) = (0..self.files.len()).find(|&j| {
            let f = &self.files[j];
            f.stream == s
                && f.rotated > 0
                && f.path.is_some()
                && f.writer_until.is_some_and(|t| t <= now)
        }) else {
            return;
        };
        self.wait_for_file(k);
        let name = self.files[k].path.take().unwrap();
        let status = Command::new("gzip").arg("-f").arg(self.abs(&name)).status().unwrap();
        assert!(status.success(), "gzip failed");
        self.note(format!("gzip #{k} at {name}"));
    }

    fn start_ltail(&mut self) {
        let targets: Vec<&str> = match self.targets {
            Targets::Names => vec!["logs/app.log", "logs/web.log"],
            Targets::GlobLog => vec!["logs/*.log"],
            Targets::GlobLogStar => vec!["logs/*.log*"],
        };
        let mut child = Command::new(bin("ltail"))
            .args(["-f", "--from-start", "--state", "state.json"])
            .args(self.mode.args())
            .args(&targets)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(File::create(self.dir.join(format!("stderr-{}", self.runs.len()))).unwrap())
            .spawn()
            .expect("spawning ltail");
        let rx = util::line_receiver(child.stdout.take().unwrap());
        self.ltail = Some(Ltail { child, rx });
        self.runs.push(Run { records: Vec::new(), end: None, saved: HashMap::new() });
        self.note(format!("start ltail (run {})", self.runs.len() - 1));
    }

    fn stop_ltail(&mut self, end: End) {
        let Some(mut lt) = self.ltail.take() else { return };
        match end {
            End::Term => {
                // The promise holds from the first instant of ltail's main
                // (a signal while the loader maps the binary, before any
                // handler can be in place, ends any program).
                let started = Instant::now();
                while !util::catches(lt.child.id(), libc::SIGTERM) {
                    assert!(started.elapsed() < CATCH_UP, "ltail never caught SIGTERM");
                    std::thread::sleep(Duration::from_micros(200));
                }
                let pid = lt.child.id().to_string();
                let ok = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
                assert!(ok.success(), "kill -TERM {pid}");
            }
            End::Kill => lt.child.kill().unwrap(),
        }
        let status = wait_with_timeout(&mut lt.child, "ltail after a signal", CATCH_UP);
        for text in lt.rx.iter() {
            self.record(&text);
        }
        if end == End::Term && !status.success() {
            let n = self.runs.len() - 1;
            let stderr = std::fs::read_to_string(self.dir.join(format!("stderr-{n}")));
            self.fail(&format!("ltail exited with {status} after SIGTERM: {stderr:?}"));
        }
        let saved = self.saved();
        let run = self.runs.last_mut().unwrap();
        run.end = Some(end);
        run.saved = saved.clone();
        self.note(format!("stop ltail with {end:?}; state (inode: offset) {saved:?}"));
    }

    /// One random action.
    fn step(&mut self) {
        let s = self.rng.below(STREAMS.len() as u64) as usize;
        match self.rng.below(100) {
            0..=34 => {
                let count = self.rng.between(1, 20) as usize;
                self.append(self.current[s], count);
            }
            35..=46 => {
                let k = self.held(s).unwrap_or(self.current[s]);
                let count = self.rng.between(1, 5) as usize;
                self.append(k, count);
            }
            47..=57 => self.rotate(s),
            58..=61 => self.copytruncate(s),
            62..=65 => self.delete_and_recreate(s),
            66..=70 => self.compress(s),
            71..=76 if self.ltail.is_some() => {
                let end = if self.rng.chance(50) { End::Term } else { End::Kill };
                // Soon after a write or a rotation, or after a pause.
                if self.rng.chance(50) {
                    std::thread::sleep(Duration::from_millis(self.rng.below(400)));
                }
                self.stop_ltail(end);
            }
            71..=83 if self.ltail.is_none() => self.start_ltail(),
            _ => std::thread::sleep(Duration::from_millis(self.rng.below(40))),
        }
        self.take_ready();
    }

    /// The end: ltail running, every line that must come out out, then a
    /// SIGTERM.
    fn finish(&mut self) {
        if self.ltail.is_none() {
            self.start_ltail();
        }
        for k in 0..self.files.len() {
            if !self.files[k].cut {
                self.wait_for_file(k);
            }
        }
        // Anything late (a repeat) shows up too.
        std::thread::sleep(Duration::from_millis(300));
        self.stop_ltail(End::Term);
    }

    /// Checks every run's records against the model.
    fn check(&self) {
        let mut problems = Vec::new();
        let mut before: HashSet<&str> = HashSet::new();
        for (r, run) in self.runs.iter().enumerate() {
            let previous = r.checked_sub(1).map(|p| &self.runs[p]);
            let mut in_run: HashSet<&str> = HashSet::new();
            let mut last_index: HashMap<usize, usize> = HashMap::new();
            for (src, line) in &run.records {
                if Some(line.as_str()) == self.header {
                    continue;
                }
                let Some(w) = self.written.get(line.as_str()) else {
                    problems.push(format!("run {r}: a line never written (half?): {line:.80?}"));
                    continue;
                };
                let file = &self.files[w.file];
                if !file.names.contains(src) {
                    problems.push(format!(
                        "run {r}: {line:.40?} of #{} under {src:?}, a name it never had ({:?})",
                        w.file, file.names
                    ));
                }
                if !in_run.insert(line) {
                    problems.push(format!("run {r}: {line:.40?} twice"));
                }
                if let Some(&i) = last_index.get(&w.file) {
                    if w.index <= i {
                        problems.push(format!("run {r}: {line:.40?} out of order in #{}", w.file));
                    }
                }
                last_index.insert(w.file, w.index);
                if before.contains(line.as_str()) {
                    let after_kill = previous.is_some_and(|p| p.end == Some(End::Kill));
                    let checkpointed = previous
                        .and_then(|p| p.saved.get(&file.ino))
                        .filter(|&&offset| self.is_line_end(w.file, offset))
                        .is_some_and(|&offset| w.end <= offset);
                    if !after_kill || checkpointed {
                        problems.push(format!(
                            "run {r}: {line:.40?} of #{} again, after a {:?} (state: {:?})",
                            w.file,
                            previous.and_then(|p| p.end),
                            previous.and_then(|p| p.saved.get(&file.ino))
                        ));
                    }
                }
            }
            before.extend(in_run);
        }
        for (k, f) in self.files.iter().enumerate() {
            let missing: Vec<usize> =
                (0..f.lines.len()).filter(|&i| !self.seen.contains(&f.lines[i])).collect();
            let suffix =
                missing.iter().enumerate().all(|(j, &i)| i == f.lines.len() - missing.len() + j);
            // A copytruncated file may lose a tail of its lines, nothing else.
            let allowed = missing.is_empty() || (f.cut && suffix);
            if !allowed {
                problems.push(format!(
                    "#{k} ({:?}{}): {} of {} lines lost, first {:.40?}",
                    f.names,
                    if f.cut { ", copytruncated" } else { "" },
                    missing.len(),
                    f.lines.len(),
                    f.lines[missing[0]]
                ));
            }
        }
        if !problems.is_empty() {
            problems.truncate(30);
            self.fail(&problems.join("\n"));
        }
    }

    /// Whether `offset` is the end of one of file `k`'s lines (or of its
    /// header): a state offset that is not was taken in another content of
    /// the inode (before a copytruncate), and says nothing about this one.
    fn is_line_end(&self, k: usize, offset: u64) -> bool {
        let header = self.header.map_or(0, |h| h.len() as u64 + 1);
        offset == header
            || self.files[k].lines.iter().any(|l| self.written[l.as_str()].end == offset)
    }
}

impl Drop for Model {
    fn drop(&mut self) {
        if let Some(mut lt) = self.ltail.take() {
            let _ = lt.child.kill();
            let _ = lt.child.wait();
        }
    }
}

/// One seeded run of `steps` actions; returns how many lines were written.
fn run_seed(seed: u64, mode: Mode, steps: usize) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let mut m = Model::new(dir.path(), seed, mode, steps);
    m.start_ltail();
    for _ in 0..steps {
        m.step();
    }
    m.finish();
    m.check();
    m.written.len()
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|v| v.parse().unwrap_or_else(|_| panic!("{name}: a number")))
}

fn run_seeds(mode: Mode, seeds: std::ops::RangeInclusive<u64>, steps: usize) {
    let started = Instant::now();
    let mut lines = 0;
    for seed in seeds.clone() {
        lines += run_seed(seed, mode, steps);
    }
    eprintln!(
        "ltail model {mode:?}: seeds {seeds:?}, {steps} steps each, {lines} lines, {:.1}s",
        started.elapsed().as_secs_f64()
    );
}

/// The short run of the normal suite.
const SHORT_SEEDS: std::ops::RangeInclusive<u64> = 1..=3;
const SHORT_STEPS: usize = 50;

#[test]
fn model_inotify() {
    run_seeds(Mode::Inotify, SHORT_SEEDS, SHORT_STEPS);
}

#[test]
fn model_poll() {
    run_seeds(Mode::Poll, SHORT_SEEDS, SHORT_STEPS);
}

/// The long run: `LTAIL_MODEL_SEEDS=N` seeds (default 100) in each mode.
#[test]
#[ignore]
fn long() {
    let n = env_u64("LTAIL_MODEL_SEEDS").unwrap_or(100);
    let steps = env_u64("LTAIL_MODEL_STEPS").map_or(SHORT_STEPS * 2, |s| s as usize);
    for mode in [Mode::Inotify, Mode::Poll] {
        run_seeds(mode, 1..=n, steps);
    }
}

/// Replays `LTAIL_MODEL_SEED` in `LTAIL_MODEL_MODE` (both modes if unset).
#[test]
#[ignore]
fn replay() {
    let seed = env_u64("LTAIL_MODEL_SEED").expect("LTAIL_MODEL_SEED=<seed>");
    let steps = env_u64("LTAIL_MODEL_STEPS").map_or(SHORT_STEPS * 2, |s| s as usize);
    let modes = match std::env::var("LTAIL_MODEL_MODE").as_deref() {
        Ok("poll") => vec![Mode::Poll],
        Ok("inotify") => vec![Mode::Inotify],
        _ => vec![Mode::Inotify, Mode::Poll],
    };
    for mode in modes {
        run_seeds(mode, seed..=seed, steps);
    }
}
