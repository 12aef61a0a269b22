//! `ltail -f --state` stopped at random moments, by SIGTERM (a clean stop)
//! and by SIGKILL (a crash), while a writer appends numbered lines to two
//! files and rotates them: across the runs every line comes out; a line
//! comes out twice only because of a crash, and only if it was past the
//! checkpoint the next run started from.
//!
//! The binaries must have been built: `cargo build` first when running
//! `cargo test -p logkit-e2e` alone. `LTAIL_RESTART_SEED=<n>` picks another
//! seed for the random choices (the timing is not reproducible anyway).
//!
//! The writer rotates a file only when the state file on disk already knows
//! it (its device and inode, under its path): otherwise a file could be
//! created and rotated away without any state ever naming it, and a run
//! starting from that state would rightly never find it. So between two
//! state files a path is rotated at most once, and rotated files are never
//! renamed again nor deleted (`a.log.1`, `a.log.2`, ...), as finding a file
//! rotated while ltail was down relies on it.

mod util;

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use util::{bin, wait_with_timeout};

/// The followed paths, in the log directory.
const NAMES: [&str; 2] = ["a.log", "b.log"];
/// Runs stopped at a random moment (half by SIGTERM, half by SIGKILL); a
/// last run, stopped by SIGTERM once it has caught up, follows.
const RUNS: usize = 12;
/// How long the last run may take to bring out every line.
const CATCH_UP: Duration = Duration::from_secs(5);
/// How long ltail may take to exit after a signal.
const EXIT_WAIT: Duration = Duration::from_secs(10);
/// SIGKILL's number (9 on every Unix).
const SIGKILL: i32 = 9;

/// One physical file the writer created.
struct Phys {
    /// The followed path it was created at.
    name: &'static str,
    /// Its name in the log directory now.
    now_at: String,
    dev: u64,
    ino: u64,
    /// Its lines, in the order written.
    lines: Vec<String>,
    /// The offset just after each line.
    ends: Vec<u64>,
    /// The writer's descriptor, kept across the rename (as a logger's).
    handle: Option<File>,
}

/// Everything written, and what happened when.
struct Model {
    logs: PathBuf,
    files: Vec<Phys>,
    /// The file at each followed path.
    current: [usize; 2],
    rotations: [usize; 2],
    /// Rotations not made because the state did not know the file yet.
    deferred: usize,
    timeline: Vec<String>,
    t0: Instant,
}

impl Model {
    fn new(logs: &Path) -> Model {
        let mut m = Model {
            logs: logs.to_path_buf(),
            files: Vec::new(),
            current: [0; 2],
            rotations: [0; 2],
            deferred: 0,
            timeline: Vec::new(),
            t0: Instant::now(),
        };
        for (k, name) in NAMES.iter().enumerate() {
            let fid = m.create(k);
            m.note(format!("created {name} as f{fid}"));
        }
        m
    }

    fn note(&mut self, what: String) {
        let ms = self.t0.elapsed().as_millis();
        self.timeline.push(format!("{ms:>6} ms  {what}"));
    }

    /// Creates a new, empty file at followed path `k`.
    fn create(&mut self, k: usize) -> usize {
        let path = self.logs.join(NAMES[k]);
        let handle = OpenOptions::new()
            .append(true)
            .create_new(true)
            .open(&path)
            .unwrap_or_else(|e| panic!("creating {}: {e}", path.display()));
        let meta = handle.metadata().unwrap();
        self.files.push(Phys {
            name: NAMES[k],
            now_at: NAMES[k].to_owned(),
            dev: meta.dev(),
            ino: meta.ino(),
            lines: Vec::new(),
            ends: Vec::new(),
            handle: Some(handle),
        });
        let fid = self.files.len() - 1;
        self.current[k] = fid;
        fid
    }

    /// Appends the next numbered line to file `fid`, in one write.
    fn append(&mut self, fid: usize) {
        let f = &mut self.files[fid];
        let idx = f.lines.len();
        let text = format!("{} f{fid} n{idx} {}", f.name, "x".repeat(idx * 7 % 23));
        f.handle
            .as_mut()
            .expect("the writer still has the file open")
            .write_all(format!("{text}\n").as_bytes())
            .unwrap();
        let end = f.ends.last().copied().unwrap_or(0) + text.len() as u64 + 1;
        f.lines.push(text);
        f.ends.push(end);
    }

    /// Rotates followed path `k`: renames its file to `<name>.<n>`, creates
    /// a new one, and writes `extra` more lines to the renamed file through
    /// the descriptor still open on it (one before the new file exists).
    fn rotate(&mut self, k: usize, extra: usize) {
        let old = self.current[k];
        self.rotations[k] += 1;
        let new_name = format!("{}.{}", NAMES[k], self.rotations[k]);
        std::fs::rename(self.logs.join(NAMES[k]), self.logs.join(&new_name)).unwrap();
        self.files[old].now_at = new_name.clone();
        let before = self.files[old].lines.len();
        if extra >= 1 {
            self.append(old);
        }
        let new = self.create(k);
        for _ in 1..extra {
            self.append(old);
        }
        self.files[old].handle = None;
        self.note(format!(
            "rotated {}: f{old} renamed to {new_name} after line {}, then lines {before}..{} \
             written to it; new file f{new}",
            NAMES[k],
            before.saturating_sub(1),
            self.files[old].lines.len(),
        ));
    }

    fn total(&self) -> usize {
        self.files.iter().map(|f| f.lines.len()).sum()
    }

    fn fid_of(&self, dev: u64, ino: u64) -> Option<usize> {
        self.files.iter().position(|f| f.dev == dev && f.ino == ino)
    }

    /// The index of the line that starts at `offset` in file `fid`.
    fn index_at(&self, fid: usize, offset: u64) -> Result<usize, String> {
        if offset == 0 {
            return Ok(0);
        }
        match self.files[fid].ends.binary_search(&offset) {
            Ok(i) => Ok(i + 1),
            Err(_) => Err(format!("offset {offset} of f{fid} is not at the end of a line")),
        }
    }

    /// One line per file: where it is and how many lines it has.
    fn describe_files(&self) -> String {
        let all: Vec<String> = self
            .files
            .iter()
            .enumerate()
            .map(|(fid, f)| format!("f{fid} {}: {} lines", f.now_at, f.lines.len()))
            .collect();
        all.join(", ")
    }
}

/// One entry of ltail's state file.
#[derive(Debug, Clone)]
struct Saved {
    path: String,
    current: bool,
    dev: u64,
    ino: u64,
    offset: u64,
}

/// Reads the state file (written atomically, so never seen half written);
/// a missing one is an empty state.
fn read_state(path: &Path) -> Result<Vec<Saved>, String> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("reading the state file: {e}")),
    };
    let state: Value = serde_json::from_slice(&bytes).map_err(|e| {
        format!("the state file is not JSON ({e}): {:?}", String::from_utf8_lossy(&bytes))
    })?;
    let entries = state["files"].as_array().ok_or("the state file has no `files`")?;
    entries
        .iter()
        .map(|e| {
            let num = |k: &str| e[k].as_u64().ok_or(format!("state entry without {k}: {e}"));
            Ok(Saved {
                path: e["path"].as_str().ok_or(format!("state entry without path: {e}"))?.into(),
                current: e["current"].as_bool().ok_or(format!("no `current`: {e}"))?,
                dev: num("dev")?,
                ino: num("ino")?,
                offset: num("offset")?,
            })
        })
        .collect()
}

fn describe_state(model: &Model, state: &[Saved]) -> String {
    if state.is_empty() {
        return "no state".to_owned();
    }
    let all: Vec<String> = state
        .iter()
        .map(|e| {
            let which = match model.fid_of(e.dev, e.ino) {
                Some(fid) => match model.index_at(fid, e.offset) {
                    Ok(i) => format!("f{fid} from line {i}"),
                    Err(_) => format!("f{fid} at offset {}", e.offset),
                },
                None => format!("unknown file {}:{} at offset {}", e.dev, e.ino, e.offset),
            };
            format!("{} {}: {which}", e.path, if e.current { "current" } else { "rotated" })
        })
        .collect();
    all.join(", ")
}

/// The writer: a line every 1-3 ms to either file, and now and then a
/// rotation of either path, if the state file knows the file at the path.
fn writer(model: Arc<Mutex<Model>>, state: PathBuf, stop: Arc<AtomicBool>, seed: u64) {
    let mut rng = util::Rng::new(seed ^ 0x5752_6974_6572);
    let mut next_rotation = Instant::now() + Duration::from_millis(rng.between(50, 250));
    while !stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(rng.between(1, 3)));
        let mut m = model.lock().unwrap();
        let k = rng.below(2) as usize;
        let fid = m.current[k];
        m.append(fid);
        if Instant::now() < next_rotation {
            continue;
        }
        next_rotation = Instant::now() + Duration::from_millis(rng.between(50, 250));
        let k = rng.below(2) as usize;
        let fid = m.current[k];
        let known = match read_state(&state) {
            Ok(entries) => entries.iter().any(|e| {
                e.path == NAMES[k] && e.dev == m.files[fid].dev && e.ino == m.files[fid].ino
            }),
            Err(e) => {
                m.note(format!("writer: {e}"));
                false
            }
        };
        if known {
            let extra = rng.below(3) as usize;
            m.rotate(k, extra);
        } else {
            m.deferred += 1;
        }
    }
}

/// One run of ltail, as seen from outside.
struct Run {
    /// Stopped by SIGKILL (else SIGTERM).
    killed: bool,
    ran_for: Duration,
    status: ExitStatus,
    /// The state file it started from.
    before: Vec<Saved>,
    /// The lines it wrote out, by file, in order (line indices).
    emitted: BTreeMap<usize, Vec<usize>>,
    /// An incomplete last record (SIGKILL during a write), left aside.
    cut_record: Option<String>,
    stderr: String,
}

/// Parses a run's output: its complete records, as (file, line index);
/// problems (unknown lines, a wrong src) go to `problems`. Returns the
/// incomplete last record too, if any.
fn parse_output(
    model: &Model,
    out: &[u8],
    problems: &mut Vec<String>,
) -> (Vec<(usize, usize)>, Option<String>) {
    let (complete, cut) = match out.iter().rposition(|&b| b == b'\n') {
        Some(i) => (&out[..=i], &out[i + 1..]),
        None => (&out[..0], out),
    };
    let cut = (!cut.is_empty()).then(|| String::from_utf8_lossy(cut).into_owned());
    let mut got = Vec::new();
    for raw in complete.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let text = String::from_utf8_lossy(raw);
        let parsed = serde_json::from_slice::<Value>(raw).ok().and_then(|rec| {
            let src = rec["src"].as_str()?.to_owned();
            let line = rec["line"].as_str()?.to_owned();
            let mut words = line.split(' ');
            let _name = words.next()?;
            let fid: usize = words.next()?.strip_prefix('f')?.parse().ok()?;
            let idx: usize = words.next()?.strip_prefix('n')?.parse().ok()?;
            let f = model.files.get(fid)?;
            (f.lines.get(idx) == Some(&line)).then_some((src, fid, idx))
        });
        match parsed {
            Some((src, fid, idx)) => {
                if src != model.files[fid].name {
                    problems.push(format!("record {text} has src {src:?}"));
                }
                got.push((fid, idx));
            }
            None => problems.push(format!("record {text} is not a line that was written")),
        }
    }
    (got, cut)
}

/// A running ltail, killed if the test fails before stopping it.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Stops the writer thread when dropped, also when the test fails.
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

fn signal(child: &mut Child, name: &str, stderr_path: &Path) {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(child.id().to_string())
        .status()
        .expect("running kill");
    if !status.success() {
        let exited = child.try_wait().ok().flatten();
        panic!(
            "kill -{name} {} failed; ltail had exited? {exited:?}; its stderr: {}",
            child.id(),
            std::fs::read_to_string(stderr_path).unwrap_or_default()
        );
    }
}

#[test]
fn sigterm_and_sigkill_while_appending_and_rotating() {
    let seed: u64 = std::env::var("LTAIL_RESTART_SEED")
        .ok()
        .map(|s| s.parse().expect("LTAIL_RESTART_SEED is a number"))
        .unwrap_or(20_261_127);
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    let outs = dir.path().join("out");
    std::fs::create_dir(&logs).unwrap();
    std::fs::create_dir(&outs).unwrap();
    let state = dir.path().join("state.json");
    let ltail = bin("ltail");

    let model = Arc::new(Mutex::new(Model::new(&logs)));
    let stop = Arc::new(AtomicBool::new(false));
    let _stop_writer = StopOnDrop(stop.clone());
    let mut writer_thread = Some({
        let (model, state, stop) = (model.clone(), state.clone(), stop.clone());
        std::thread::spawn(move || writer(model, state, stop, seed))
    });

    let mut rng = util::Rng::new(seed);
    // Half the runs end with SIGKILL, in a random order.
    let mut kills: Vec<bool> = (0..RUNS).map(|i| i % 2 == 0).collect();
    for i in (1..kills.len()).rev() {
        kills.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let mut runs: Vec<Run> = Vec::new();
    let mut problems = Vec::new();
    for r in 0..=RUNS {
        let last = r == RUNS;
        if last {
            stop.store(true, Ordering::SeqCst);
            writer_thread.take().unwrap().join().expect("the writer thread");
            let mut m = model.lock().unwrap();
            let what = format!("writer stopped: {}", m.describe_files());
            m.note(what);
        }
        if r > 0 {
            // ltail is down for a moment: the writer goes on, and may rotate.
            std::thread::sleep(Duration::from_millis(rng.between(0, 100)));
        }
        let before = read_state(&state).unwrap_or_else(|e| panic!("before run {r}: {e}"));
        let out_path = outs.join(format!("run{r}.ndjson"));
        let err_path = outs.join(format!("run{r}.stderr"));
        let mut child = Running(
            Command::new(&ltail)
                .args(["-f", "--from-start", "--state"])
                .arg(&state)
                .args(NAMES)
                .current_dir(&logs)
                .stdin(Stdio::null())
                .stdout(File::create(&out_path).unwrap())
                .stderr(File::create(&err_path).unwrap())
                .spawn()
                .expect("spawning ltail"),
        );
        let started = Instant::now();
        {
            let mut m = model.lock().unwrap();
            let what = format!("run {r} started from {}", describe_state(&m, &before));
            m.note(what);
        }
        // (The last run ends with SIGTERM.)
        let killed = kills.get(r).copied().unwrap_or(false);
        if last {
            // Until every line has come out in some run.
            let mut seen: HashSet<(usize, usize)> = HashSet::new();
            for run in &runs {
                for (&fid, idx) in &run.emitted {
                    seen.extend(idx.iter().map(|&i| (fid, i)));
                }
            }
            let m = model.lock().unwrap();
            while started.elapsed() < CATCH_UP {
                let out = std::fs::read(&out_path).unwrap();
                let (got, _) = parse_output(&m, &out, &mut Vec::new());
                let now: HashSet<(usize, usize)> = got.into_iter().collect();
                if seen.union(&now).count() == m.total() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        } else {
            // Now and then long enough for a periodic checkpoint (every 1 s).
            let ms =
                if rng.below(4) == 0 { rng.between(1100, 1800) } else { rng.between(100, 700) };
            std::thread::sleep(Duration::from_millis(ms).saturating_sub(started.elapsed()));
        }
        let files_then = model.lock().unwrap().describe_files();
        signal(&mut child.0, if killed { "KILL" } else { "TERM" }, &err_path);
        let ran_for = started.elapsed();
        let status = wait_with_timeout(&mut child.0, "ltail after a signal", EXIT_WAIT);
        let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
        let out = std::fs::read(&out_path).unwrap();
        let mut m = model.lock().unwrap();
        let (got, cut_record) = parse_output(&m, &out, &mut problems);
        let mut emitted: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (fid, idx) in got {
            emitted.entry(fid).or_default().push(idx);
        }
        let ranges: Vec<String> = emitted
            .iter()
            .map(|(fid, idx)| format!("f{fid} {}..={}", idx[0], idx[idx.len() - 1]))
            .collect();
        m.note(format!(
            "run {r} stopped by SIG{} after {} ms ({files_then}); exit: {status}; \
             it wrote {} records: {}",
            if killed { "KILL" } else { "TERM" },
            ran_for.as_millis(),
            emitted.values().map(Vec::len).sum::<usize>(),
            ranges.join(", "),
        ));
        if killed {
            if status.signal() != Some(SIGKILL) {
                problems.push(format!("run {r}: exit {status} after SIGKILL"));
            }
        } else {
            if !status.success() {
                problems.push(format!("run {r}: exit {status} after SIGTERM; stderr: {stderr}"));
            }
            if let Some(cut) = &cut_record {
                problems.push(format!("run {r}: an incomplete last record after SIGTERM: {cut}"));
            }
        }
        if stderr.contains("panicked") {
            problems.push(format!("run {r}: ltail panicked: {stderr}"));
        }
        runs.push(Run { killed, ran_for, status, before, emitted, cut_record, stderr });
    }
    let after = read_state(&state).unwrap_or_else(|e| panic!("after the last run: {e}"));

    let m = model.lock().unwrap();
    problems.extend(check(&m, &runs, &after));
    if !problems.is_empty() {
        let shown = problems.len().min(40);
        panic!(
            "{} problems (seed {seed}), the first {shown}:\n  {}\n\nwhat happened:\n{}\n\n\
             the runs:\n{}\nstate after the last run: {}",
            problems.len(),
            problems[..shown].join("\n  "),
            m.timeline.join("\n"),
            describe_runs(&m, &runs),
            describe_state(&m, &after),
        );
    }
    // Shown with --nocapture.
    eprintln!("seed {seed}:\n{}\n\n{}", m.timeline.join("\n"), describe_runs(&m, &runs));
    let rotations = m.rotations.iter().sum::<usize>();
    assert!(rotations >= 2, "only {rotations} rotations (seed {seed}):\n{}", m.timeline.join("\n"));
}

fn describe_runs(model: &Model, runs: &[Run]) -> String {
    let mut s = String::new();
    for (r, run) in runs.iter().enumerate() {
        s += &format!(
            "run {r}: SIG{} after {} ms, {}; started from {}\n",
            if run.killed { "KILL" } else { "TERM" },
            run.ran_for.as_millis(),
            run.status,
            describe_state(model, &run.before),
        );
        if let Some(cut) = &run.cut_record {
            s += &format!("  incomplete last record, left aside: {cut:?}\n");
        }
        for line in run.stderr.lines() {
            s += &format!("  stderr: {line}\n");
        }
    }
    s
}

/// The state as a line index per file (the next line to come out).
fn positions(model: &Model, state: &[Saved], problems: &mut Vec<String>) -> HashMap<usize, usize> {
    let mut pos = HashMap::new();
    for e in state {
        let Some(fid) = model.fid_of(e.dev, e.ino) else {
            problems.push(format!("the state names a file the writer never made: {e:?}"));
            continue;
        };
        if model.files[fid].name != e.path {
            problems.push(format!("the state names f{fid} under {}: {e:?}", e.path));
        }
        match model.index_at(fid, e.offset) {
            Ok(i) => {
                if pos.insert(fid, i).is_some() {
                    problems.push(format!("the state names f{fid} twice"));
                }
            }
            Err(msg) => problems.push(format!("the state: {msg}")),
        }
    }
    pos
}

/// Every check on what came out of the runs; returns the problems found.
fn check(model: &Model, runs: &[Run], last_state: &[Saved]) -> Vec<String> {
    let mut problems = Vec::new();
    // The state each run started from, and the one left by the last run, as
    // line indices.
    let mut states: Vec<HashMap<usize, usize>> =
        runs.iter().map(|run| positions(model, &run.before, &mut problems)).collect();
    states.push(positions(model, last_state, &mut problems));
    let from = |r: usize, fid: usize| states[r].get(&fid).copied().unwrap_or(0);
    // Where run `r` left file `fid`: after its last line of it, or where it
    // started if it wrote none.
    let end = |r: usize, fid: usize| match runs[r].emitted.get(&fid) {
        Some(idx) => idx[idx.len() - 1] + 1,
        None => from(r, fid),
    };
    let kind = |r: usize| if runs[r].killed { "SIGKILL" } else { "SIGTERM" };

    for (r, run) in runs.iter().enumerate() {
        let fids: BTreeSet<usize> = run
            .emitted
            .keys()
            .chain(states[r].keys())
            .chain(states[r + 1].keys())
            .copied()
            .collect();
        for fid in fids {
            // Each file's lines in the order written, without a gap or a
            // repeat, from exactly where the state said.
            if let Some(idx) = run.emitted.get(&fid) {
                if idx[0] != from(r, fid) {
                    problems.push(format!(
                        "run {r}: f{fid}'s first line is {}, but the state it started from \
                         says line {}",
                        idx[0],
                        from(r, fid)
                    ));
                }
                if let Some(w) = idx.windows(2).find(|w| w[1] != w[0] + 1) {
                    problems.push(format!(
                        "run {r}: f{fid}: line {} came right after line {}",
                        w[1], w[0]
                    ));
                }
            }
            // The state it left: after a clean stop, exactly after the last
            // line written out; after a crash, one of its checkpoints or the
            // state it started from. Files read to their end may leave the
            // state after a while: not within a run this short, but the
            // last run is not checked for that.
            let saved = states[r + 1].get(&fid).copied();
            if saved.is_none() && r + 1 == runs.len() {
                continue;
            }
            let (from, end) = (from(r, fid), end(r, fid));
            let bad = if run.killed {
                !(from..=end).contains(&saved.unwrap_or(0))
            } else {
                saved.unwrap_or(0) != end
            };
            if bad {
                let left = match saved {
                    Some(i) => format!("has f{fid} at line {i}"),
                    None => format!("does not name f{fid} (a next run reads it from its start)"),
                };
                let wrote = run.emitted.get(&fid).map_or(0, Vec::len);
                problems.push(format!(
                    "run {r} ({}): the state it left {left}, but it had started at line {from} \
                     of f{fid} and written out {wrote} lines of it, so {}",
                    kind(r),
                    if run.killed {
                        format!("the state should be at a line in {from}..={end}")
                    } else {
                        format!("the next line to come out is {end}")
                    }
                ));
            }
        }
        // After a clean stop, the next run goes on exactly where it ended.
        if !run.killed && r + 1 < runs.len() {
            for (&fid, idx) in &runs[r + 1].emitted {
                if idx[0] != end(r, fid) {
                    problems.push(format!(
                        "run {}: f{fid} starts at line {}, but run {r} (SIGTERM) ended at \
                         line {} of f{fid}",
                        r + 1,
                        idx[0],
                        end(r, fid) as i64 - 1
                    ));
                }
            }
        }
    }

    // Every line came out, and a line came out more than once only because
    // a run crashed after writing it out and before a checkpoint covered it:
    // every copy but the last is in a SIGKILLed run. (The next copy may come
    // after a SIGTERM: a run that crashed at line 500 after a checkpoint at
    // 400, then a run stopped cleanly before reaching 500, then a run that
    // writes 500 again.) And no copy comes from before the checkpoint its
    // run started from.
    let mut copies: HashMap<(usize, usize), Vec<usize>> = HashMap::new();
    for (r, run) in runs.iter().enumerate() {
        for (&fid, idx) in &run.emitted {
            for &i in idx {
                copies.entry((fid, i)).or_default().push(r);
            }
        }
    }
    for (fid, f) in model.files.iter().enumerate() {
        let missing: Vec<usize> =
            (0..f.lines.len()).filter(|&i| !copies.contains_key(&(fid, i))).collect();
        if !missing.is_empty() {
            problems.push(format!(
                "f{fid} ({}, {} lines): {} lines never came out: {}",
                f.now_at,
                f.lines.len(),
                missing.len(),
                ranges(&missing)
            ));
        }
    }
    let mut dups: BTreeMap<(usize, usize, usize), Vec<usize>> = BTreeMap::new();
    for (&(fid, i), rs) in &copies {
        for (j, &r) in rs.iter().enumerate() {
            if j + 1 < rs.len() && !runs[r].killed {
                // Grouped by file and pair of runs.
                dups.entry((fid, r, rs[j + 1])).or_default().push(i);
            }
            if j > 0 && i < from(r, fid) {
                problems.push(format!(
                    "run {r}: f{fid} line {i} came out again although the state it started \
                     from covers it (line {})",
                    from(r, fid)
                ));
            }
        }
    }
    for ((fid, r, next), mut lines) in dups {
        lines.sort_unstable();
        problems.push(format!(
            "f{fid}: lines {} came out in run {r} ({}) and again in run {next}",
            ranges(&lines),
            kind(r)
        ));
    }
    problems
}

/// `3..=7, 9` for [3, 4, 5, 6, 7, 9].
fn ranges(sorted: &[usize]) -> String {
    let mut parts = Vec::new();
    let mut k = 0;
    while k < sorted.len() {
        let mut j = k;
        while j + 1 < sorted.len() && sorted[j + 1] == sorted[j] + 1 {
            j += 1;
        }
        parts.push(if j == k {
            sorted[k].to_string()
        } else {
            format!("{}..={}", sorted[k], sorted[j])
        });
        k = j + 1;
    }
    parts.join(", ")
}

/// Runs `ltail -f --from-start --state state.json file.log` in `dir` until
/// the record of `wanted` arrives, stops it with SIGTERM, and gives its
/// records as `(src, line)` (all of them, including any written at exit);
/// ltail must have exited 0 with nothing on stderr.
fn run_until(dir: &Path, wanted: &str) -> Vec<(String, String)> {
    let mut run = Session::start(dir, &["file.log"], wanted);
    run.wait_for(wanted);
    let stderr_path = run.stderr_path.clone();
    let records = run.stop("TERM");
    let stderr = std::fs::read_to_string(&stderr_path).unwrap();
    assert!(stderr.is_empty(), "ltail wrote on stderr: {stderr}");
    records
}

/// A stop while the file ends in the middle of a line: the complete line
/// comes out and the state points just after it; the held part is neither
/// written at exit nor lost, but comes out whole, once, in the next run
/// after its newline arrived.
#[test]
fn a_line_without_its_newline_at_a_stop_comes_out_whole_in_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("file.log");
    let state = dir.path().join("state.json");
    std::fs::write(&path, "a\nbc").unwrap();
    let rec = |line: &str| ("file.log".to_owned(), line.to_owned());

    assert_eq!(run_until(dir.path(), "a"), [rec("a")], "first run");
    let saved = read_state(&state).unwrap();
    assert_eq!(saved.len(), 1, "one entry: {}", std::fs::read_to_string(&state).unwrap());
    assert_eq!(saved[0].offset, "a\n".len() as u64, "the state points just after `a\\n`");

    OpenOptions::new().append(true).open(&path).unwrap().write_all(b"d\n").unwrap();
    assert_eq!(run_until(dir.path(), "bcd"), [rec("bcd")], "second run");
    assert_eq!(read_state(&state).unwrap()[0].offset, "a\nbcd\n".len() as u64);
}

// ---------------------------------------------------------------------------
// Fixed cases of the follower's promises (each failed before it was kept).

/// An `ltail -f --from-start --state state.json <args>` in `dir`, its
/// records gathered as they come.
struct Session {
    child: Running,
    rx: std::sync::mpsc::Receiver<String>,
    records: Vec<(String, String)>,
    stderr_path: PathBuf,
}

impl Session {
    fn start(dir: &Path, args: &[&str], name: &str) -> Session {
        let stderr_path = dir.join(format!("stderr-{name}"));
        let mut child = Running(
            Command::new(bin("ltail"))
                .args(["-f", "--from-start", "--state", "state.json"])
                .args(args)
                .current_dir(dir)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(File::create(&stderr_path).unwrap())
                .spawn()
                .expect("spawning ltail"),
        );
        let rx = util::line_receiver(child.0.stdout.take().unwrap());
        Session { child, rx, records: Vec::new(), stderr_path }
    }

    fn push(&mut self, text: &str) {
        let v: Value = serde_json::from_str(text).expect("a JSON record");
        let line = v["line"].as_str().expect("a line that is text").to_owned();
        self.records.push((v["src"].as_str().unwrap().to_owned(), line));
    }

    /// Waits for the record of `wanted`.
    fn wait_for(&mut self, wanted: &str) {
        let deadline = Instant::now() + CATCH_UP;
        while !self.records.iter().any(|(_, line)| line == wanted) {
            match self.rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(text) => self.push(&text),
                Err(e) => panic!(
                    "no record of {wanted:?} ({e}); records {:?}; stderr: {}",
                    self.records,
                    std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
                ),
            }
        }
    }

    /// Stops ltail with `sig` and gives all its records.
    fn stop(mut self, sig: &str) -> Vec<(String, String)> {
        signal(&mut self.child.0, sig, &self.stderr_path);
        let status = wait_with_timeout(&mut self.child.0, "ltail after a signal", EXIT_WAIT);
        if sig == "TERM" {
            assert!(status.success(), "ltail exited with {status} after SIGTERM");
        }
        while let Ok(text) = self.rx.recv_timeout(EXIT_WAIT) {
            self.push(&text);
        }
        self.records
    }
}

fn append_to(path: &Path, text: &str) {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
}

/// The lines of `records` under `src`, in order.
fn lines_under<'a>(records: &'a [(String, String)], src: &str) -> Vec<&'a str> {
    records.iter().filter(|(s, _)| s == src).map(|(_, l)| l.as_str()).collect()
}

/// Killed before the first periodic checkpoint, and the file rotated away
/// before the restart: the state already named the file (it is written
/// before the first line of a newly opened file), so the rest of the
/// rotated file is read.
#[test]
fn a_file_killed_before_any_periodic_checkpoint_is_found_after_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    append_to(&log, "a1\n");
    let mut first = Session::start(dir.path(), &["app.log"], "first");
    first.wait_for("a1");
    let got = first.stop("KILL");
    assert_eq!(lines_under(&got, "app.log"), ["a1"]);

    append_to(&log, "a2\n");
    std::fs::rename(&log, dir.path().join("app.log.1")).unwrap();
    append_to(&log, "b1\n");
    let mut second = Session::start(dir.path(), &["app.log"], "second");
    second.wait_for("b1");
    second.wait_for("a2");
    let got = second.stop("TERM");
    let lines = lines_under(&got, "app.log");
    // a1 may come again (a crash repeats what followed the checkpoint).
    let lines: Vec<&str> = lines.into_iter().filter(|l| *l != "a1").collect();
    assert_eq!(lines, ["a2", "b1"], "the rotated file's rest, then the new file: {got:?}");
}

/// Killed just after a rotation that came right after a periodic
/// checkpoint, and rotated again before the restart: the file that
/// appeared at the rotation was in the state before its first line came
/// out, so what was appended to it later is read.
#[test]
fn a_file_opened_after_the_last_periodic_checkpoint_is_found_after_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    append_to(&log, "a1\n");
    let mut first = Session::start(dir.path(), &["app.log"], "first");
    first.wait_for("a1");
    // Past the first periodic checkpoint.
    std::thread::sleep(Duration::from_millis(1300));
    append_to(&log, "a2\n");
    std::fs::rename(&log, dir.path().join("app.log.1")).unwrap();
    append_to(&log, "b1\n");
    first.wait_for("b1");
    first.wait_for("a2");
    let _ = first.stop("KILL");

    append_to(&log, "b2\n");
    std::fs::rename(&log, dir.path().join("app.log.2")).unwrap();
    append_to(&log, "c1\n");
    let mut second = Session::start(dir.path(), &["app.log"], "second");
    second.wait_for("c1");
    second.wait_for("b2");
    let got = second.stop("TERM");
    let lines: Vec<&str> =
        lines_under(&got, "app.log").into_iter().filter(|l| !["a2", "b1"].contains(l)).collect();
    assert_eq!(lines, ["b2", "c1"], "{got:?}");
}

/// A file deleted while ltail was down and another file that took its
/// inode at once (ext4 reuses inode numbers) with the same first bytes (a
/// common header longer than the fingerprint): it is not taken for the
/// deleted file, neither at the followed path nor under another name in
/// its directory. So no line of it comes out under the wrong name, and the
/// new file at the path is read whole, from its first line.
#[test]
fn a_reused_inode_with_the_same_head_is_another_file() {
    let dir = tempfile::tempdir().unwrap();
    let header = format!("# {}\n", "shared header ".repeat(30));
    let log = dir.path().join("app.log");
    for (place, other) in [(log.clone(), None), (dir.path().join("app.log.1"), Some("b"))] {
        let _ = std::fs::remove_file(dir.path().join("state.json"));
        let _ = std::fs::remove_file(&log);
        std::fs::write(&log, format!("{header}a1\na2\n")).unwrap();
        let ino = std::fs::metadata(&log).unwrap().ino();
        let mut first = Session::start(dir.path(), &["app.log"], "first");
        first.wait_for("a2");
        first.stop("TERM");

        std::fs::remove_file(&log).unwrap();
        // The new file: longer lines, so that the old offset falls inside one.
        std::fs::write(&place, format!("{header}b-first-line\nb-second-line\n")).unwrap();
        if std::fs::metadata(&place).unwrap().ino() != ino {
            eprintln!("the file system did not reuse the inode: nothing to check");
            return;
        }
        if other.is_some() {
            append_to(&log, "c1\n");
        }
        let last = if other.is_some() { "c1" } else { "b-second-line" };
        let mut second = Session::start(dir.path(), &["app.log"], "second");
        second.wait_for(last);
        std::thread::sleep(Duration::from_millis(300));
        let got = second.stop("TERM");
        let want: Vec<&str> = match other {
            None => vec![header.strip_suffix('\n').unwrap(), "b-first-line", "b-second-line"],
            Some(_) => vec!["c1"],
        };
        assert_eq!(lines_under(&got, "app.log"), want, "{}: {got:?}", place.display());
        assert_eq!(got.len(), want.len(), "{got:?}");
        std::fs::remove_file(&place).unwrap();
    }
}

/// A glob's match rotated away while ltail was down, with no new file at
/// its name yet: the path is followed again from the state, so the rest of
/// the rotated file (under a name the glob does not match) is read.
#[test]
fn a_glob_match_rotated_away_while_down_is_finished() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("logs")).unwrap();
    let log = dir.path().join("logs/app.log");
    append_to(&log, "a1\n");
    let mut first = Session::start(dir.path(), &["logs/*.log"], "first");
    first.wait_for("a1");
    first.stop("TERM");

    append_to(&log, "a2\n");
    std::fs::rename(&log, dir.path().join("logs/app.log.1")).unwrap();
    let mut second = Session::start(dir.path(), &["logs/*.log"], "second");
    second.wait_for("a2");
    append_to(&log, "b1\n");
    second.wait_for("b1");
    let got = second.stop("TERM");
    assert_eq!(lines_under(&got, "logs/app.log"), ["a2", "b1"], "{got:?}");
    assert_eq!(got.len(), 2, "{got:?}");
}
