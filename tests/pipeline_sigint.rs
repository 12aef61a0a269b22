//! Ctrl-C across a live pipeline: `ltail -f FILE | lparse | lcount --status
//! 404` in a process group of its own, as a shell starts a job; SIGINT to
//! the group, as the terminal sends it. Every stage finishes what it holds:
//! ltail its partial line, lparse parses it, lcount counts it.

mod util;

use serde_json::Value;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const LINE_404: &str =
    "10.0.0.1 - - [27/Nov/2026:03:22:43 +0000] \"GET /gone HTTP/1.1\" 404 12 \"-\" \"t\"";

/// How far `pid` has read the file `path`: the offset of its descriptor.
fn read_offset(pid: u32, path: &Path) -> Option<u64> {
    for fd in std::fs::read_dir(format!("/proc/{pid}/fd")).ok()? {
        let fd = fd.ok()?;
        if std::fs::read_link(fd.path()).ok().as_deref() == Some(path) {
            let info = std::fs::read_to_string(format!(
                "/proc/{pid}/fdinfo/{}",
                fd.file_name().to_string_lossy()
            ))
            .ok()?;
            let pos = info.lines().find_map(|l| l.strip_prefix("pos:"))?;
            return pos.trim().parse().ok();
        }
    }
    None
}

/// Waits until `pid` has read `path` to its end (`size` bytes).
fn wait_read_to(pid: u32, path: &Path, size: u64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while read_offset(pid, path) != Some(size) {
        assert!(Instant::now() < deadline, "ltail did not read the appended lines");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Waits until `pid` catches SIGINT. A stage still starting up (a debug
/// build on a slow machine) has the default action, and the group's SIGINT
/// would end it before its handler exists: the rule for any process, not
/// what this test is about.
fn wait_catches_sigint(pid: u32, name: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !util::catches(pid, libc::SIGINT) {
        assert!(Instant::now() < deadline, "{name} did not install its SIGINT handler");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn ctrl_c_counts_every_line_appended_the_last_without_its_newline() {
    let dir = tempfile::tempdir().unwrap();
    // /proc shows the file's resolved path.
    let log = dir.path().canonicalize().unwrap().join("access.log");
    std::fs::write(&log, "").unwrap();

    let mut ltail = Command::new(util::bin("ltail"))
        .arg("-f")
        .arg(&log)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap();
    let group = ltail.id() as i32;
    let mut lparse = Command::new(util::bin("lparse"))
        .stdin(ltail.stdout.take().unwrap())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(group)
        .spawn()
        .unwrap();
    let mut lcount = Command::new(util::bin("lcount"))
        .args(["--status", "404"])
        .stdin(lparse.stdout.take().unwrap())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(group)
        .spawn()
        .unwrap();

    // ltail follows the empty file; then two 404s, the second without its
    // newline, which ltail holds until it knows the line is whole.
    wait_read_to(ltail.id(), &log, 0);
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    f.write_all(format!("{LINE_404}\n{LINE_404}").as_bytes()).unwrap();
    drop(f);
    wait_read_to(ltail.id(), &log, 2 * LINE_404.len() as u64 + 1);
    wait_catches_sigint(ltail.id(), "ltail");
    wait_catches_sigint(lparse.id(), "lparse");
    wait_catches_sigint(lcount.id(), "lcount");

    rustix::process::kill_process_group(
        rustix::process::Pid::from_raw(group).unwrap(),
        rustix::process::Signal::INT,
    )
    .unwrap();

    let finish = |child: &mut Child, name: &str| {
        let status = util::wait_with_timeout(child, name, Duration::from_secs(15));
        let mut stderr = String::new();
        std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
        assert_eq!(status.code(), Some(0), "{name} exit status; stderr: {stderr}");
    };
    finish(&mut ltail, "ltail");
    finish(&mut lparse, "lparse");
    finish(&mut lcount, "lcount");
    let mut out = String::new();
    std::io::Read::read_to_string(lcount.stdout.as_mut().unwrap(), &mut out).unwrap();
    let result: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(result, serde_json::json!({"count": 2}), "lcount printed {out:?}");
}
