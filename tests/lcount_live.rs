//! `lcount --interval`: live snapshots fed over a pipe with pauses, checked
//! against what the test wrote in each pause: the total and the count since
//! the previous snapshot per group, the time range of the records counted
//! (not of lcount's clock), a snapshot at every interval while nothing
//! matches, and `"final":true` on the last one.

mod util;

use serde_json::Value;
use std::io::Write;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::Duration;
use util::{bin, line_receiver, rest_of, wait_with_timeout, PROCESS_TIMEOUT};

const INTERVAL: &str = "250ms";
/// More than two intervals: a snapshot after a burst, then one with nothing new.
const PAUSE: Duration = Duration::from_millis(1000);

fn start(args: &[&str]) -> (Child, ChildStdin, Receiver<String>) {
    let mut child = Command::new(bin("lcount"))
        .args(args)
        .args(["--interval", INTERVAL])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take().unwrap();
    let rx = line_receiver(child.stdout.take().unwrap());
    (child, stdin, rx)
}

fn record(line: &str) -> Value {
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line:?}"))
}

fn u(v: &Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or_else(|| panic!("{key} in {v}"))
}

/// The keys of a record, sorted.
fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    k.sort();
    k
}

#[test]
fn each_snapshot_gives_the_total_and_the_count_since_the_previous_one() {
    let (mut child, mut stdin, rx) = start(&["--status", "404"]);
    // A record that does not match: the snapshots say "nothing yet".
    stdin.write_all(b"{\"status\":200,\"ts\":\"2026-11-30T07:00:00Z\"}\n").unwrap();
    let first = record(&rx.recv_timeout(Duration::from_secs(10)).expect("a snapshot"));
    assert_eq!(
        first,
        serde_json::json!({"count":0,"count_last":0,"rate":0,"window_start":null,
                           "window_end":null,"final":false})
    );
    // Replayed lines come out of time order, in several offsets.
    let burst = [
        "{\"status\":404,\"ts\":\"2026-11-30T10:00:05+01:00\"}\n", // 09:00:05Z
        "{\"status\":404,\"ts\":\"2026-11-30T08:59:00Z\"}\n",
        "{\"status\":\"404\",\"ts\":\"2026-11-30T03:30:00-05:00\"}\n", // 08:30:00Z
        "{\"status\":500,\"ts\":\"2026-11-30T01:00:00Z\"}\n",
        "{\"status\":404}\n",
        "{\"status\":404,\"ts\":\"2026-11-30T09:00:00.25+00:00\"}\n",
    ];
    stdin.write_all(burst.concat().as_bytes()).unwrap();
    std::thread::sleep(PAUSE);
    let second = ["{\"status\":404,\"ts\":\"2026-11-30T09:10:00+00:00\"}\n"; 2];
    stdin.write_all(second.concat().as_bytes()).unwrap();
    std::thread::sleep(PAUSE);
    drop(stdin);
    let status = wait_with_timeout(&mut child, "lcount", PROCESS_TIMEOUT);
    assert_eq!(status.code(), Some(0));
    let snapshots: Vec<Value> = std::iter::once(first)
        .chain(rest_of(&rx, PROCESS_TIMEOUT).iter().map(|l| record(l)))
        .collect();

    // One record per snapshot (no --by); the last, and only it, final.
    let (last, before) = snapshots.split_last().unwrap();
    assert_eq!(last["final"], true);
    assert!(before.iter().all(|s| s["final"] == false), "{snapshots:#?}");
    // 4 + 1 + 2 matched: the totals grow, and the counts since the
    // previous snapshot add up to them.
    let mut total = 0;
    for s in &snapshots {
        total += u(s, "count_last");
        assert_eq!(u(s, "count"), total, "{s}");
        let rate = s["rate"].as_f64().unwrap();
        assert_eq!(rate > 0.0, u(s, "count_last") > 0, "{s}");
    }
    assert_eq!(total, 5 + 2);
    // The burst arrived in one read: the snapshot after it has it all as
    // new; one later, nothing is new and the total stands.
    let after = snapshots.iter().position(|s| u(s, "count") == 5).expect("a snapshot of 5");
    assert_eq!(u(&snapshots[after], "count_last"), 5);
    let quiet = &snapshots[after + 1];
    assert_eq!(
        (u(quiet, "count"), u(quiet, "count_last"), quiet["rate"].as_f64()),
        (5, 0, Some(0.0))
    );
    // The window: the earliest and latest ts of the records counted (the
    // 500 at 01:00 and the 200 at 07:00 are not), in UTC.
    assert_eq!(quiet["window_start"], "2026-11-30T08:30:00+00:00");
    assert_eq!(quiet["window_end"], "2026-11-30T09:00:05+00:00");
    let seven = snapshots.iter().find(|s| u(s, "count") == 7).unwrap();
    assert_eq!(u(seven, "count_last"), 2);
    assert_eq!(last["window_start"], "2026-11-30T08:30:00+00:00");
    assert_eq!(last["window_end"], "2026-11-30T09:10:00+00:00");
    assert_eq!(u(last, "count"), 7);
}

#[test]
fn with_groups_nothing_matched_is_still_a_snapshot_and_sigterm_writes_the_final_one() {
    let (mut child, stdin, rx) = start(&["--by", "path", "--status", "404"]);
    let mut empty = Vec::new();
    while empty.len() < 3 {
        empty.push(record(&rx.recv_timeout(Duration::from_secs(10)).expect("a snapshot")));
    }
    // Nothing read at all: no group, so no path column.
    for s in &empty {
        assert_eq!(
            keys(s),
            ["count", "count_last", "final", "rate", "window_end", "window_start"],
            "{s}"
        );
        assert_eq!((u(s, "count"), s["final"].as_bool()), (0, Some(false)), "{s}");
    }
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let status = wait_with_timeout(&mut child, "lcount", PROCESS_TIMEOUT);
    drop(stdin);
    assert_eq!(status.code(), Some(0));
    let rest: Vec<Value> = rest_of(&rx, PROCESS_TIMEOUT).iter().map(|l| record(l)).collect();
    let last = rest.last().expect("a final snapshot after SIGTERM");
    assert_eq!((u(last, "count"), &last["final"]), (0, &Value::Bool(true)));
    assert!(last.get("path").is_none(), "{last}");
}

#[test]
fn on_a_terminal_the_table_is_headed_by_the_time_range_of_the_records() {
    let input = "{\"path\":\"/a\",\"ts\":\"2026-11-30T10:00:05+01:00\"}\n\
                 {\"path\":\"/a\",\"ts\":\"2026-11-30T03:30:00-05:00\"}\n\
                 {\"path\":\"/b\"}\n";
    let mut cmd = Command::new(bin("lcount"));
    cmd.args(["--by", "path", "--interval", "10s"]);
    let run = util::Pty::open().run(cmd, input.as_bytes());
    assert!(run.status.success(), "{}: {}", run.status, run.stderr);
    // Input ends at once: the final table only, the window in UTC.
    let shown = run.shown_str();
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(
        lines[0], "records from 2026-11-30T08:30:00+00:00 to 2026-11-30T09:00:05+00:00 (final)",
        "{shown}"
    );
    let header: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(header, ["path", "count", "count_last", "rate"], "{shown}");
    let a: Vec<&str> = lines[2].split_whitespace().collect();
    assert_eq!(a[..3], ["/a", "2", "2"], "{shown}");
}
