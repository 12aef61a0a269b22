//! `ltail -f` on Kubernetes container logs as kubelet lays them out and
//! rotates them (kubernetes `pkg/kubelet/logs/container_log_manager.go`):
//! `/var/log/containers/<pod>_<ns>_<container>-<id>.log` is a symlink to
//! `/var/log/pods/<ns>_<pod>_<uid>/<container>/0.log`; a rotation renames
//! `0.log` to `0.log.<YYYYMMDD-HHMMSS>` and the runtime reopens `0.log`;
//! on the next rotation the older rotated file is gzip-compressed (through
//! a `.tmp` file) and the uncompressed one deleted. Nothing may be lost or
//! read twice, and a CRI line split into pieces across a rotation is joined
//! by lparse (the pieces keep the symlink's path as their `src`). Both
//! inotify and `--poll` are run.

mod util;

use std::collections::HashSet;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use util::{bin, line_receiver, parse_ndjson, wait_with_timeout, Mode};

const WAIT: Duration = Duration::from_secs(10);

fn append(path: &Path, text: &str) {
    let mut f = OpenOptions::new().create(true).append(true).open(path).unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

/// A CRI line on stdout.
fn cri(n: u32, tag: &str, msg: &str) -> String {
    format!("2026-10-10T13:00:{:02}.{n:09}Z stdout {tag} {msg}\n", n % 60)
}

fn access(n: u32) -> String {
    format!("10.0.0.{} - - [10/Oct/2026:13:00:{:02} +0000] \"GET /item/{n} HTTP/1.1\" {} 99 \"-\" \"kube-probe/1.30\"", n % 200, n % 60, if n.is_multiple_of(3) { 404 } else { 200 })
}

/// gzip-compresses `from` into `to` as kubelet does: through `to.tmp`,
/// then a rename, then the uncompressed file deleted.
fn compress(from: &Path, to: &Path) {
    let tmp = to.with_extension("gz.tmp");
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!("gzip -c '{}' > '{}'", from.display(), tmp.display()))
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::rename(&tmp, to).unwrap();
    std::fs::remove_file(from).unwrap();
}

fn kubelet_rotation(mode: Mode) {
    let dir = tempfile::tempdir().unwrap();
    let pod_dir = dir.path().join("pods/shop_web-7d9f_0a1b2c3d/nginx");
    let containers = dir.path().join("containers");
    std::fs::create_dir_all(&pod_dir).unwrap();
    std::fs::create_dir_all(&containers).unwrap();
    let live = pod_dir.join("0.log");
    let link = containers.join("web-7d9f_shop_nginx-4f5e6d7c8b9a.log");
    std::os::unix::fs::symlink(&live, &link).unwrap();
    let mut written = Vec::new();
    let mut write = |path: &Path, from: u32, to: u32| {
        let mut text = String::new();
        for n in from..to {
            text += &cri(n, "F", &access(n));
            written.push(access(n));
        }
        append(path, &text);
    };
    write(&live, 0, 50);

    let mut child = Command::new(bin("ltail"))
        .arg("-f")
        .args(mode.args())
        .args(["--from-start", link.to_str().unwrap()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let rx = line_receiver(child.stdout.take().unwrap());
    let mut out: Vec<String> = Vec::new();
    let wait_for = |n: usize, out: &mut Vec<String>| {
        let deadline = Instant::now() + WAIT;
        while out.len() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(l) => out.push(l),
                Err(_) => panic!("{} of {n} lines within {WAIT:?}: {out:?}", out.len()),
            }
        }
    };
    wait_for(50, &mut out);

    // Rotation 1: the last line written to the old file is a P piece; the
    // runtime reopens 0.log and writes the F piece there.
    write(&live, 50, 55);
    let split = access(1000);
    append(&live, &cri(1000, "P", &split[..30]));
    let first = pod_dir.join("0.log.20261010-130100");
    std::fs::rename(&live, &first).unwrap();
    append(&live, &cri(1001, "F", &split[30..]));
    write(&live, 55, 120);
    wait_for(122, &mut out);

    // Rotation 2: the newest rotated file stays; the older is compressed.
    write(&live, 120, 130);
    let second = pod_dir.join("0.log.20261010-130200");
    std::fs::rename(&live, &second).unwrap();
    compress(&first, &pod_dir.join("0.log.20261010-130100.gz"));
    write(&live, 130, 200);
    wait_for(202, &mut out);

    std::thread::sleep(Duration::from_millis(300));
    let _ = Command::new("kill").args(["-INT", &child.id().to_string()]).status();
    wait_with_timeout(&mut child, "ltail", WAIT);
    out.extend(rx.iter());

    // Every line once, in order, all under the symlink's path.
    let recs = parse_ndjson(out.concat().as_bytes());
    let src = link.to_str().unwrap();
    assert!(recs.iter().all(|r| r["src"] == src), "{recs:?}");
    let lines: Vec<&str> = recs.iter().map(|r| r["line"].as_str().unwrap()).collect();
    assert_eq!(lines.len(), 202, "{lines:#?}");
    assert_eq!(lines.iter().collect::<HashSet<_>>().len(), 202, "a line twice");

    // lparse on ltail's records: 200 requests and the split one, whole.
    let parsed = assert_cmd::Command::new(bin("lparse"))
        .args(["--tz", "UTC"])
        .write_stdin(out.concat())
        .output()
        .unwrap();
    let recs = parse_ndjson(&parsed.stdout);
    let mut paths: Vec<String> = recs
        .iter()
        .map(|r| r["path"].as_str().unwrap_or_else(|| panic!("{r}")).to_owned())
        .collect();
    let mut want: Vec<String> = (0..200).chain([1000]).map(|n| format!("/item/{n}")).collect();
    paths.sort();
    want.sort();
    assert_eq!(paths, want, "{}", String::from_utf8_lossy(&parsed.stderr));
    assert!(recs.iter().all(|r| r["stream"] == "stdout" && r.get("err").is_none()));
    // Written lines are exactly those parsed (status included).
    let written_404 = written.iter().filter(|l| l.contains("\" 404 ")).count() as u64
        + u64::from(split.contains("\" 404 "));
    let parsed_404 = recs.iter().filter(|r| r["status"] == 404).count() as u64;
    assert_eq!(parsed_404, written_404);
}

#[test]
fn kubelet_rotation_inotify() {
    kubelet_rotation(Mode::Inotify);
}

#[test]
fn kubelet_rotation_poll() {
    kubelet_rotation(Mode::Poll);
}
