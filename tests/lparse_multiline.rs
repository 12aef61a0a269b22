//! lparse on entries that span lines: Java and Python stack traces after an
//! application log's line, a Go panic, syslog continuation lines, the same
//! inside a Docker wrapper, `--multiline PATTERN`, and a followed input
//! where the next entry never comes (the held entry is written after the
//! time-out). Expected counts and texts come from the inputs as written.

mod util;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use util::{bin, parse_ndjson};

/// lparse with `args` on `input` (stdin): (records, stderr, exit status).
fn lparse(args: &[&str], input: &str) -> (Vec<serde_json::Value>, String, i32) {
    let out = assert_cmd::Command::new(bin("lparse"))
        .args(["--tz", "UTC"])
        .args(args)
        .write_stdin(input.as_bytes())
        .output()
        .unwrap();
    (parse_ndjson(&out.stdout), String::from_utf8(out.stderr).unwrap(), out.status.code().unwrap())
}

const JAVA_TRACE: &str = "java.lang.IllegalStateException: A book has a null property
\tat com.example.myproject.Author.getBookIds(Author.java:38)
\tat com.example.myproject.Bootstrap.main(Bootstrap.java:14)
Caused by: java.lang.NullPointerException
\tat com.example.myproject.Book.getId(Book.java:22)
\tat com.example.myproject.Author.getBookIds(Author.java:35)
\t... 1 more";

#[test]
fn java_stack_traces_stay_in_their_entry() {
    let input = format!(
        "2026-01-15 10:23:45,100 [main] INFO  com.example.App - started in 2.1 s
2026-01-15 10:23:46,001 [http-nio-8080-exec-1] ERROR com.example.Api - request failed
{JAVA_TRACE}
2026-01-15 10:23:46,050 [http-nio-8080-exec-2] WARN  com.example.Api - slow request: 1200 ms
2026-01-15T10:23:47.000+01:00 ERROR 4711 --- [           main] o.s.boot.SpringApplication               : Application run failed

{JAVA_TRACE}
2026-01-15 10:23:48,000 [main] INFO  com.example.App - stopping
"
    );
    let (recs, stderr, code) = lparse(&[], &input);
    assert_eq!((recs.len(), code), (5, 0), "{recs:#?}\n{stderr}");
    assert!(recs.iter().all(|r| r["fmt"] == "applog"), "{recs:#?}");
    assert_eq!(recs[1]["msg"], format!("request failed\n{JAVA_TRACE}"));
    assert_eq!(
        (recs[1]["thread"].as_str(), recs[1]["logger"].as_str()),
        (Some("http-nio-8080-exec-1"), Some("com.example.Api"))
    );
    assert_eq!(recs[2]["msg"], "slow request: 1200 ms");
    // A blank line inside the entry is kept; Spring's fields are read.
    assert_eq!(recs[3]["msg"], format!("Application run failed\n\n{JAVA_TRACE}"));
    assert_eq!((recs[3]["pid"].as_u64(), recs[3]["thread"].as_str()), (Some(4711), Some("main")));
    assert_eq!(recs[3]["logger"], "o.s.boot.SpringApplication");
    assert_eq!(recs[3]["ts"], "2026-01-15T10:23:47+01:00");
    assert_eq!(recs[4]["msg"], "stopping");
}

#[test]
fn python_tracebacks_with_a_chained_exception() {
    let trace = "Traceback (most recent call last):
  File \"/srv/app/db.py\", line 41, in fetch
    row = cache[key]
          ~~~~~^^^^^
KeyError: 'user:42'

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File \"/srv/app/views.py\", line 12, in profile
    user = fetch(\"user:42\")
  File \"/srv/app/db.py\", line 44, in fetch
    raise LookupError(key) from None
LookupError: user:42";
    let input = format!(
        "2026-01-15 10:23:45,123 - app.views - INFO - GET /profile/42
2026-01-15 10:23:45,130 - app.views - ERROR - profile failed
{trace}
2026-01-15 10:23:45,200 - app.views - INFO - GET /health
"
    );
    let (recs, stderr, code) = lparse(&[], &input);
    assert_eq!((recs.len(), code), (3, 0), "{recs:#?}\n{stderr}");
    assert_eq!(recs[1]["msg"], format!("profile failed\n{trace}"));
    assert_eq!(
        (recs[1]["level"].as_str(), recs[1]["logger"].as_str()),
        (Some("ERROR"), Some("app.views"))
    );
    assert_eq!(recs[2]["msg"], "GET /health");
}

#[test]
fn a_go_panic_and_syslog_continuations() {
    let panic = "panic: runtime error: index out of range [3] with length 3

goroutine 1 [running]:
main.handler(0xc000012345, 0x3)
\t/app/main.go:18 +0x1d
net/http.(*conn).serve(0xc000132000, {0x7a1e48, 0xc0001a2000})
\t/usr/local/go/src/net/http/server.go:2092 +0x5d0
created by net/http.(*Server).Serve in goroutine 1
\t/usr/local/go/src/net/http/server.go:3285 +0x4b4
exit status 2";
    let input = format!(
        "2026/01/15 10:23:45 INFO listening addr=:8080
2026/01/15 10:23:46 ERROR handler failed path=/x
{panic}
Dec 13 11:35:28 a-mac GoogleSoftwareUpdateAgent[21412]: Registration: <KSUpdateEngine
\t\tticketStore=<KSPersistentTicketStore:0x100204520
\t\t\tpath=\"/Users/x/Keystone.ticketstore\"
\t\t>
\t>
Dec 13 11:35:29 a-mac sshd[77]: Accepted publickey for x
"
    );
    let (recs, stderr, code) = lparse(&[], &input);
    assert_eq!((recs.len(), code), (4, 0), "{recs:#?}\n{stderr}");
    assert_eq!(recs[1]["msg"], format!("handler failed path=/x\n{panic}"));
    assert_eq!(recs[2]["fmt"], "syslog");
    assert_eq!(
        recs[2]["msg"],
        "Registration: <KSUpdateEngine\n\t\tticketStore=<KSPersistentTicketStore:0x100204520\n\t\t\tpath=\"/Users/x/Keystone.ticketstore\"\n\t\t>\n\t>"
    );
    assert_eq!(recs[3]["msg"], "Accepted publickey for x");
}

#[test]
fn a_trace_inside_docker_json_file() {
    let lines = format!("2026-01-15 10:23:46,001 [main] ERROR com.example.Api - request failed\n{JAVA_TRACE}\n2026-01-15 10:23:47,000 [main] INFO com.example.Api - ok\n");
    let mut input = String::new();
    for (i, line) in lines.lines().enumerate() {
        let log = serde_json::to_string(&format!("{line}\n")).unwrap();
        input += &format!(
            "{{\"log\":{log},\"stream\":\"stdout\",\"time\":\"2026-01-15T10:23:46.{i:09}Z\"}}\n"
        );
        if i == 2 {
            // stderr between two lines of the trace: another stream.
            input += "{\"log\":\"2026-01-15 10:23:46,500 [gc] WARN gc - pause 300 ms\\n\",\"stream\":\"stderr\",\"time\":\"2026-01-15T10:23:46.5Z\"}\n";
        }
    }
    let (recs, stderr, _) = lparse(&[], &input);
    let stdout: Vec<_> = recs.iter().filter(|r| r["stream"] == "stdout").collect();
    assert_eq!(stdout.len(), 2, "{recs:#?}\n{stderr}");
    // The stderr line between leaves the stdout entry open: the whole
    // trace is in it.
    assert_eq!(recs.iter().filter(|r| r["stream"] == "stderr").count(), 1);
    assert_eq!(stdout[0]["msg"], format!("request failed\n{JAVA_TRACE}"));
    assert_eq!(stdout[1]["msg"], "ok");
    assert_eq!(stdout[0]["recv_ts"], "2026-01-15T10:23:46.000000000Z");
}

#[test]
fn a_start_pattern_for_what_the_rule_does_not_know() {
    // Settings dumped after an entry read as logfmt lines on their own;
    // with a start pattern they belong to the entry.
    let input = "2026-01-15 10:23:45,000 INFO config loaded:
cache_size=512 ttl=60
upstream=http://10.0.0.7:8080
2026-01-15 10:23:46,000 INFO ready
";
    let (plain, _, _) = lparse(&[], input);
    assert_eq!(plain.len(), 4, "{plain:#?}");
    let (recs, stderr, code) = lparse(&["--multiline", r"^\d{4}-\d\d-\d\d "], input);
    assert_eq!((recs.len(), code), (2, 0), "{recs:#?}\n{stderr}");
    assert_eq!(
        recs[0]["msg"],
        "config loaded:\ncache_size=512 ttl=60\nupstream=http://10.0.0.7:8080"
    );
    // Entries whose first line no format reads are kept whole, reported once.
    let odd = ">>> job 1 started\nstep a\nstep b\n>>> job 2 started\nstep c\n";
    let (recs, stderr, code) = lparse(&["--multiline", "^>>> "], odd);
    assert_eq!((recs.len(), code), (2, 1), "{recs:#?}");
    assert_eq!(recs[0]["line"], ">>> job 1 started\nstep a\nstep b");
    assert_eq!(recs[1]["line"], ">>> job 2 started\nstep c");
    assert_eq!(stderr.matches("does not parse").count(), 2, "{stderr}");
    let (_, stderr, code) = lparse(&["--multiline", "("], input);
    assert_eq!(code, 2);
    assert!(stderr.contains("--multiline"), "{stderr}");
}

#[test]
fn a_followed_entry_is_written_when_no_next_line_comes() {
    let mut child = Command::new(bin("lparse"))
        .args(["--tz", "UTC"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let lines = util::line_receiver(child.stdout.take().unwrap());
    stdin
        .write_all(b"2026-01-15 10:23:46,001 [main] ERROR c.e.Api - failed\n\tat c.e.Api.run(Api.java:7)\n")
        .unwrap();
    stdin.flush().unwrap();
    let sent = Instant::now();
    let line = lines.recv_timeout(Duration::from_secs(10)).expect("the held entry is written");
    let waited = sent.elapsed();
    let rec: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(rec["msg"], "failed\n\tat c.e.Api.run(Api.java:7)");
    // Written after the time-out (1 s, checked every 0.5 s), not before.
    assert!(waited >= Duration::from_millis(900), "{waited:?}");
    assert!(waited < Duration::from_secs(4), "{waited:?}");
    // A line that comes later is an entry of its own.
    stdin
        .write_all(
            b"\tat c.e.Late.run(Late.java:9)\n2026-01-15 10:23:50,000 [main] INFO c.e.Api - ok\n",
        )
        .unwrap();
    drop(stdin);
    let rest: Vec<String> = lines.iter().collect();
    assert_eq!(rest.len(), 2, "{rest:?}");
    assert!(rest[0].contains("\"err\""), "{}", rest[0]);
    assert!(rest[1].contains("\"msg\":\"ok\""), "{}", rest[1]);
    util::wait_with_timeout(&mut child, "lparse", Duration::from_secs(10));
}

#[test]
fn continuation_lines_never_change_the_first_lines_fields() {
    // Alone, each first line gives these fields; with continuation lines
    // (one that looks like `logger - msg`), the same, and msg grows.
    for (first, more) in [
        ("2026-01-15 10:23:45,123 ERROR boom", "KeyError - user"),
        ("2026-01-15 10:23:45,123 [main] ERROR com.example.Foo - failed", "\tat a.B.c(B.java:1)"),
        (
            "<34>Oct 11 22:14:15 mymachine su[230]: first",
            "  continued: with [brackets] - and dashes",
        ),
    ] {
        let (alone, _, _) = lparse(&[], &format!("{first}\n"));
        let (joined, stderr, code) = lparse(&[], &format!("{first}\n{more}\n"));
        assert_eq!((joined.len(), code), (1, 0), "{joined:?} {stderr}");
        let (mut alone, joined) = (alone[0].clone(), &joined[0]);
        let msg = format!("{}\n{more}", alone["msg"].as_str().unwrap());
        alone["msg"] = msg.into();
        assert_eq!(&alone, joined);
    }
}
