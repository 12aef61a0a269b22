//! The live 404 board: `ltail -f FILE | lparse | lcount --status 404 --by path
//! --interval 1s`, with lines appended to the followed file while it runs,
//! and Ctrl-C at the end (SIGINT to every process of the pipeline, as a
//! terminal sends it).

mod util;

use serde_json::Value;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn access_line(n: usize, path: &str, status: u16) -> String {
    format!("10.0.0.{} - - [27/Nov/2026:03:22:{:02} +0000] \"GET {path} HTTP/1.1\" {status} 12 \"-\" \"t\"\n", n % 250, n % 60)
}

fn append(file: &std::path::Path, text: &str) {
    let mut f = std::fs::OpenOptions::new().append(true).open(file).unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

/// Waits for a snapshot record in which `path` has `count` 404s; returns
/// it.
fn wait_for(rx: &std::sync::mpsc::Receiver<String>, path: &str, count: u64) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = rx
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("no snapshot with {path}={count}; saw {seen:?}"));
        let v: Value = serde_json::from_str(&line).unwrap();
        if v["path"] == path && v["count"] == count {
            return vec![v];
        }
        seen.push(v);
    }
}

#[test]
fn live_board_follows_appends_and_prints_the_final_result_on_ctrl_c() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    std::fs::write(&log, access_line(0, "/ok", 200)).unwrap();

    let mut ltail = Command::new(util::bin("ltail"))
        .args(["-f", "-n", "+1"])
        .arg(&log)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lparse = Command::new(util::bin("lparse"))
        .stdin(ltail.stdout.take().unwrap())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lcount = Command::new(util::bin("lcount"))
        .args(["--status", "404", "--by", "path", "--interval", "1s"])
        .stdin(lparse.stdout.take().unwrap())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let rx = util::line_receiver(lcount.stdout.take().unwrap());

    let mut n = 1;
    let mut burst = |count: usize, path: &str| {
        let text: String = (0..count)
            .map(|_| {
                n += 1;
                access_line(n, path, 404)
            })
            .collect();
        append(&log, &text);
    };
    burst(3, "/a");
    let first = wait_for(&rx, "/a", 3);
    assert!(first[0].get("window_start").is_some() && first[0].get("window_end").is_some());
    burst(4, "/a");
    burst(2, "/b");
    wait_for(&rx, "/a", 7);
    // Everything has gone through the pipeline once /b shows too.
    wait_for(&rx, "/b", 2);

    // Ctrl-C: the whole pipeline gets SIGINT.
    for pid in [ltail.id(), lparse.id(), lcount.id()] {
        let _ = Command::new("kill").args(["-INT", &pid.to_string()]).status();
    }
    let status = util::wait_with_timeout(&mut lcount, "lcount", Duration::from_secs(10));
    let _ = ltail.kill();
    let _ = lparse.kill();
    let _ = ltail.wait();
    let _ = lparse.wait();
    assert_eq!(status.code(), Some(0));
    // The final result is the last snapshot printed, marked final: every
    // 404 appended.
    let rest: Vec<Value> = util::rest_of(&rx, Duration::from_secs(10))
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(rest.last().is_some_and(|v| v["final"] == true), "a final result after Ctrl-C");
    let mut last: Vec<(String, u64)> = rest
        .iter()
        .filter(|v| v["final"] == true)
        .map(|v| (v["path"].as_str().unwrap().to_string(), v["count"].as_u64().unwrap()))
        .collect();
    last.sort();
    assert_eq!(last, vec![("/a".to_string(), 7), ("/b".to_string(), 2)]);
}
