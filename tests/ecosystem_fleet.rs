//! docs/fleet.md, for real: Debian's ClickHouse server (18.16), started here
//! on 127.0.0.1 with its data in a temporary directory; the table of
//! docs/fleet.md; three pipelines `ltail -f --state --offset --add-field
//! host=... | lparse | scripts/clickhouse-batches.sh` as three hosts
//! appending to their own logs; one host's ltail SIGKILLed while its log
//! grows and its pipeline started again with its --state. After
//! deduplication every line written is in the table exactly once, and the
//! fleet's answers are lcount's.

mod util;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use util::{bin, free_port, repo_root};

const SERVER: &str = "/usr/sbin/clickhouse-server";
const CLIENT: &str = "/usr/bin/clickhouse-client";
const HOSTS: [&str; 3] = ["web1", "web2", "web3"];

/// A ClickHouse server of our own, stopped when dropped.
struct ClickHouse {
    child: Child,
    port: u16,
    /// Its HTTP interface: `/ping` answers 200, other paths 404.
    http: u16,
    dir: PathBuf,
}

impl ClickHouse {
    fn start(dir: &Path) -> ClickHouse {
        util::require(SERVER, "clickhouse-server");
        util::require(CLIENT, "clickhouse-client");
        let (port, http) = (free_port(), free_port());
        let d = dir.display();
        std::fs::write(
            dir.join("config.xml"),
            format!(
                r#"<?xml version="1.0"?>
<yandex>
    <logger><level>warning</level><log>{d}/server.log</log><errorlog>{d}/server.err.log</errorlog></logger>
    <listen_host>127.0.0.1</listen_host>
    <tcp_port>{port}</tcp_port>
    <http_port>{http}</http_port>
    <path>{d}/data/</path>
    <tmp_path>{d}/tmp/</tmp_path>
    <user_files_path>{d}/user_files/</user_files_path>
    <format_schema_path>{d}/format_schemas/</format_schema_path>
    <mark_cache_size>268435456</mark_cache_size>
    <users_config>users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
</yandex>
"#
            ),
        )
        .unwrap();
        std::fs::write(
            dir.join("users.xml"),
            r#"<?xml version="1.0"?>
<yandex>
    <profiles><default></default></profiles>
    <users><default><password></password><networks><ip>127.0.0.1</ip></networks>
        <profile>default</profile><quota>default</quota></default></users>
    <quotas><default></default></quotas>
</yandex>
"#,
        )
        .unwrap();
        let child = Command::new(SERVER)
            .arg(format!("--config-file={}", dir.join("config.xml").display()))
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(dir.join("stdout")).unwrap())
            .stderr(std::fs::File::create(dir.join("stderr")).unwrap())
            .spawn()
            .unwrap();
        let mut server = ClickHouse { child, port, http, dir: dir.to_owned() };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let up = Command::new(CLIENT)
                .args(["--host", "127.0.0.1", "--port", &port.to_string(), "--query", "SELECT 1"])
                .output()
                .is_ok_and(|o| o.status.success());
            if up {
                return server;
            }
            if let Some(status) = server.child.try_wait().unwrap() {
                panic!("clickhouse-server exited with {status}: {}", server.logs());
            }
            assert!(
                Instant::now() < deadline,
                "clickhouse-server did not start: {}",
                server.logs()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn logs(&self) -> String {
        ["stderr", "server.err.log"]
            .iter()
            .map(|f| std::fs::read_to_string(self.dir.join(f)).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The client's options that reach this server.
    fn options(&self) -> Vec<String> {
        vec!["--host".into(), "127.0.0.1".into(), "--port".into(), self.port.to_string()]
    }

    /// Runs `sql` (several statements allowed); its output, tab-separated.
    fn query(&self, sql: &str) -> String {
        let out = Command::new(CLIENT)
            .args(self.options())
            .arg("--multiquery")
            .arg("--query")
            .arg(sql)
            .output()
            .unwrap();
        assert!(out.status.success(), "{sql}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }
}

impl Drop for ClickHouse {
    fn drop(&mut self) {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The first block of docs/fleet.md in `lang` that holds `text`.
fn fleet_doc_block(lang: &str, text: &str) -> String {
    let doc = std::fs::read_to_string(repo_root().join("docs/fleet.md")).unwrap();
    doc.split(&format!("```{lang}\n"))
        .skip(1)
        .map(|b| b.split("```").next().unwrap())
        .find(|b| b.contains(text))
        .unwrap_or_else(|| panic!("docs/fleet.md has no {lang} block with {text}"))
        .to_owned()
}

/// A row of docs/fleet.md's table of questions: lcount's arguments (after
/// `lcount` in its pipeline) and the SQL.
fn fleet_question(question: &str) -> (Vec<String>, String) {
    let doc = std::fs::read_to_string(repo_root().join("docs/fleet.md")).unwrap();
    let row = doc
        .lines()
        .find(|l| l.starts_with(&format!("| {question} |")))
        .unwrap_or_else(|| panic!("docs/fleet.md asks no {question:?}"));
    let cells: Vec<String> = row
        .replace("\\|", "\u{0}")
        .split('|')
        .map(|c| c.trim().trim_matches('`').replace('\u{0}', "|"))
        .collect();
    let lcount = cells[2].rsplit("lcount ").next().unwrap();
    (lcount.split_whitespace().map(str::to_owned).collect(), cells[3].clone())
}

/// The CREATE TABLE of docs/fleet.md: its SQL block with the
/// ReplacingMergeTree.
fn fleet_table_sql() -> String {
    fleet_doc_block("sql", "ReplacingMergeTree")
}

/// One host's pipeline, as docs/fleet.md writes it.
struct Pipeline {
    ltail: Child,
    lparse: Child,
    batches: Child,
}

impl Pipeline {
    fn start(host: &str, log: &Path, state: &Path, server: &ClickHouse) -> Pipeline {
        let mut ltail = Command::new(bin("ltail"))
            .args(["-f", "--from-start", "--state"])
            .arg(state)
            .args(["--offset", "--add-field", &format!("host={host}")])
            .arg(log)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lparse = Command::new(bin("lparse"))
            .stdin(Stdio::from(ltail.stdout.take().unwrap()))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let batches = Command::new(repo_root().join("scripts/clickhouse-batches.sh"))
            .arg("logs.access")
            .args(server.options())
            .env("PATH", format!("/usr/bin:{}", std::env::var("PATH").unwrap_or_default()))
            .stdin(Stdio::from(lparse.stdout.take().unwrap()))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        Pipeline { ltail, lparse, batches }
    }

    /// Waits for lparse and the script to end (their input ended) and
    /// checks that they ended well.
    fn wait_downstream(mut self) {
        for (name, child) in
            [("lparse", &mut self.lparse), ("clickhouse-batches.sh", &mut self.batches)]
        {
            let status = util::wait_with_timeout(child, name, Duration::from_secs(30));
            assert!(status.success(), "{name}: {status}");
        }
    }

    /// SIGTERM: ltail writes what it read, saves its state, exits 0.
    fn stop(mut self) {
        unsafe { libc::kill(self.ltail.id() as i32, libc::SIGTERM) };
        let status = util::wait_with_timeout(&mut self.ltail, "ltail", Duration::from_secs(30));
        assert!(status.success(), "ltail: {status}");
        self.wait_downstream();
    }

    /// SIGKILL of ltail: no state saved at the end, nothing flushed.
    fn kill_ltail(mut self) {
        unsafe { libc::kill(self.ltail.id() as i32, libc::SIGKILL) };
        let _ = self.ltail.wait();
        self.wait_downstream();
    }
}

/// Appends `n` access-log lines to `log`, the `k`-th line of the host at
/// second `k` after 2026-11-27T03:00:00Z.
fn append(log: &Path, host: usize, first: &mut u64, n: u64) {
    let paths = ["/", "/cart", "/api/items", "/static/app.js", "/favicon.ico", "/.env"];
    let mut text = String::new();
    for k in *first..*first + n {
        let (h, m, s) = (3 + k / 3600, k / 60 % 60, k % 60);
        let status = [200, 200, 404, 500, 200, 404, 301][(k as usize * 7 + host) % 7];
        let path = paths[(k as usize * 5 + host * 3) % paths.len()];
        let rt = ((k * 37 + host as u64 * 11) % 2000) as f64 / 1000.0;
        text += &format!(
            "10.0.{host}.{} - - [27/Nov/2026:{h:02}:{m:02}:{s:02} +0000] \"GET {path} HTTP/1.1\" {status} {} \"-\" \"probe/1\" {rt:.3}\n",
            k % 200,
            k * 13 % 5000
        );
    }
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(log).unwrap();
    f.write_all(text.as_bytes()).unwrap();
    *first += n;
}

/// The line offsets of a file (independently of ltail: its newlines).
fn offsets(log: &Path) -> Vec<u64> {
    let bytes = std::fs::read(log).unwrap();
    let mut out = vec![0];
    out.extend(bytes.iter().enumerate().filter(|(_, &b)| b == b'\n').map(|(i, _)| i as u64 + 1));
    out.pop();
    out
}

#[test]
fn three_hosts_into_clickhouse_18_each_line_once_after_a_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let server_dir = dir.path().join("clickhouse");
    std::fs::create_dir(&server_dir).unwrap();
    let server = ClickHouse::start(&server_dir);
    let version = server.query("SELECT version()");
    eprintln!("clickhouse-server {}", version.trim());
    server.query(&fleet_table_sql());
    // Every row inserted, duplicates too (the test's own: to say how many
    // lines were sent twice).
    server.query(
        "CREATE MATERIALIZED VIEW logs.sent ENGINE = MergeTree ORDER BY tuple() \
         AS SELECT host, offset FROM logs.access",
    );

    let logs: Vec<PathBuf> =
        HOSTS.iter().map(|h| dir.path().join(format!("{h}.access.log"))).collect();
    let states: Vec<PathBuf> =
        HOSTS.iter().map(|h| dir.path().join(format!("{h}.state"))).collect();
    let mut next = [0u64; 3];
    for (i, log) in logs.iter().enumerate() {
        append(log, i, &mut next[i], 50);
    }
    let mut pipelines: Vec<Option<Pipeline>> =
        (0..3).map(|i| Some(Pipeline::start(HOSTS[i], &logs[i], &states[i], &server))).collect();
    for round in 0..8 {
        for (i, log) in logs.iter().enumerate() {
            append(log, i, &mut next[i], 150);
        }
        if round == 3 {
            // web2's ltail dies with lines just sent (its state on disk a
            // little behind them); its log grows on meanwhile.
            std::thread::sleep(Duration::from_millis(150));
            pipelines[1].take().unwrap().kill_ltail();
            append(&logs[1], 1, &mut next[1], 300);
            pipelines[1] = Some(Pipeline::start(HOSTS[1], &logs[1], &states[1], &server));
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    // Everything through: wait for the last batches, then stop.
    let written: u64 = next.iter().sum();
    let deadline = Instant::now() + Duration::from_secs(60);
    while server.query("SELECT count() FROM logs.access FINAL").trim() != written.to_string() {
        assert!(
            Instant::now() < deadline,
            "not all {written} lines arrived: {}",
            server.query("SELECT host, count() FROM logs.access FINAL GROUP BY host")
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    for p in pipelines.into_iter().flatten() {
        p.stop();
    }

    // Every line once: the (host, offset) pairs are those of the files.
    let got = server.query("SELECT host, offset FROM logs.access FINAL ORDER BY host, offset");
    let mut want = String::new();
    for (host, log) in HOSTS.iter().zip(&logs) {
        for offset in offsets(log) {
            want += &format!("{host}\t{offset}\n");
        }
    }
    assert_eq!(got.lines().count() as u64, written);
    assert!(got == want, "the rows after FINAL are not the lines written");
    let sent: u64 = server.query("SELECT count() FROM logs.sent").trim().parse().unwrap();
    let twice = server.query(
        "SELECT host, count() - uniqExact(offset) FROM logs.sent GROUP BY host ORDER BY host",
    );
    eprintln!("{written} lines; {sent} rows inserted; sent twice, by host:\n{twice}");
    assert!(sent >= written);
    // Only web2's, killed, were sent twice.
    assert!(twice.starts_with("web1\t0\nweb2\t") && twice.ends_with("\nweb3\t0\n"), "{twice}");

    // The fleet's answers are lcount's, on all the logs at once.
    let dir_path = dir.path();
    let mut ltail_args: Vec<String> = vec!["--offset".into()];
    ltail_args.extend(logs.iter().map(|l| l.display().to_string()));
    let records = util::pipeline(
        dir_path,
        &[util::tool("ltail", &ltail_args), util::tool("lparse", &[] as &[&str])],
        None,
    );
    let records_path = dir_path.join("all.ndjson");
    std::fs::write(&records_path, &records.stdout).unwrap();
    let lcount = |args: &[&str]| {
        let out = Command::new(bin("lcount")).args(args).arg(&records_path).output().unwrap();
        util::parse_ndjson(&out.stdout)
    };
    let want: BTreeMap<String, u64> = lcount(&["--status", "404", "--by", "path"])
        .iter()
        .map(|r| (r["path"].as_str().unwrap().to_owned(), r["count"].as_u64().unwrap()))
        .collect();
    let got: BTreeMap<String, u64> = server
        .query("SELECT path, count() FROM logs.access FINAL WHERE status = 404 GROUP BY path")
        .lines()
        .map(|l| {
            let (p, n) = l.split_once('\t').unwrap();
            (p.to_owned(), n.parse().unwrap())
        })
        .collect();
    assert!(want.len() >= 3);
    assert_eq!(got, want);
    // p99 of rt by nearest rank: lcount's is within 1% past 1,024 values;
    // the table's is exact, so it is compared with the rank spelled out.
    let n: u64 = server.query("SELECT count(rt) FROM logs.access FINAL").trim().parse().unwrap();
    let k = (99 * n).div_ceil(100) - 1;
    let p99: f64 = server
        .query(&format!(
            "SELECT rt FROM logs.access FINAL WHERE rt IS NOT NULL ORDER BY rt LIMIT 1 OFFSET {k}"
        ))
        .trim()
        .parse()
        .unwrap();
    let mut rts: Vec<f64> =
        util::parse_ndjson(&records.stdout).iter().filter_map(|r| r["rt"].as_f64()).collect();
    rts.sort_by(f64::total_cmp);
    assert_eq!(rts.len() as u64, n);
    assert_eq!(p99, rts[k as usize]);
    let lcount_p99 = lcount(&["--p", "99", "rt"])[0]["p99_rt"].as_f64().unwrap();
    assert!((lcount_p99 - p99).abs() <= p99 * 0.01, "lcount {lcount_p99}, ClickHouse {p99}");

    // docs/fleet.md's questions, its SQL against its lcount pipeline.
    let (args, sql) = fleet_question("404s by path per minute");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut want: Vec<String> = lcount(&args)
        .iter()
        .filter(|r| r["count"] != 0)
        .map(|r| {
            // RFC 3339 in UTC, as the server (in UTC) writes a DateTime.
            let ts = r["ts"].as_str().unwrap().replace('T', " ").replace("+00:00", "");
            format!("{ts}\t{}\t{}", r["path"].as_str().unwrap(), r["count"])
        })
        .collect();
    let mut got: Vec<String> = server.query(&sql).lines().map(str::to_owned).collect();
    assert!(want.len() > 10, "{want:?}");
    want.sort();
    got.sort();
    assert_eq!(got, want);
    // p99 of rt, all hosts and per host: the nearest rank, exactly.
    let (_, sql) = fleet_question("p99 of rt");
    assert_eq!(server.query(&sql).trim().parse::<f64>().unwrap(), p99);
    let (_, sql) = fleet_question("the same, per host");
    for line in server.query(&sql).lines() {
        let (host, got) = line.split_once('\t').unwrap();
        let mut rts: Vec<f64> = util::parse_ndjson(&records.stdout)
            .iter()
            .filter(|r| r["src"].as_str().unwrap().contains(&format!("{host}.access")))
            .filter_map(|r| r["rt"].as_f64())
            .collect();
        rts.sort_by(f64::total_cmp);
        let k = (99 * rts.len()).div_ceil(100) - 1;
        assert_eq!(got.parse::<f64>().unwrap(), rts[k], "{host}");
    }
    let (args, sql) = fleet_question("top clients");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    // Clients with equal counts may come in another order: the counts.
    let want: Vec<String> = lcount(&args).iter().map(|r| r["count"].to_string()).collect();
    let got: Vec<String> =
        server.query(&sql).lines().map(|l| l.rsplit('\t').next().unwrap().to_owned()).collect();
    assert_eq!((got.len(), got), (10, want));
}

#[test]
fn hprobe_from_three_hosts_into_one_table_as_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let server = ClickHouse::start(dir.path());
    server.query("CREATE DATABASE IF NOT EXISTS logs");
    server.query(&fleet_doc_block("sql", "logs.probes"));
    // docs/fleet.md's pipeline, with ClickHouse's own HTTP interface as the
    // site probed (/ping: 200, /missing: 404), 20 requests from each host.
    let shown = fleet_doc_block("sh", "hprobe -q");
    assert!(shown.contains("sed \"s/^{/{\\\"host\\\":\\\"$(hostname)\\\",/\""), "{shown}");
    let urls = format!("http://127.0.0.1:{0}/ping http://127.0.0.1:{0}/missing", server.http);
    let mut all = Vec::new();
    for host in HOSTS {
        let records = dir.path().join(format!("{host}.ndjson"));
        let script = format!(
            "set -o pipefail; {hprobe} -n 20 -c 2 -q 200 --summary none {urls} | tee {records} | \
             sed \"s/^{{/{{\\\"host\\\":\\\"{host}\\\",/\" | {batches} logs.probes --host 127.0.0.1 --port {port}",
            hprobe = bin("hprobe").display(),
            records = records.display(),
            batches = repo_root().join("scripts/clickhouse-batches.sh").display(),
            port = server.port,
        );
        let out = Command::new("bash").arg("-c").arg(&script).output().unwrap();
        assert!(out.status.success(), "{script}: {}", String::from_utf8_lossy(&out.stderr));
        all.extend(std::fs::read(&records).unwrap());
    }
    let records = util::parse_ndjson(&all);
    assert_eq!(records.len(), 60);
    // The table holds the runs' records: by host, by status, and the p99
    // of rt by nearest rank over all of them.
    assert_eq!(
        server.query("SELECT host, count() FROM logs.probes GROUP BY host ORDER BY host"),
        "web1\t20\nweb2\t20\nweb3\t20\n"
    );
    let statuses =
        server.query("SELECT status, count() FROM logs.probes GROUP BY status ORDER BY status");
    assert_eq!(statuses, "200\t30\n404\t30\n");
    let mut rts: Vec<f64> = records.iter().map(|r| r["rt"].as_f64().unwrap()).collect();
    rts.sort_by(f64::total_cmp);
    let k = (99 * rts.len()).div_ceil(100) - 1;
    let p99: f64 = server
        .query(&format!("SELECT rt FROM logs.probes ORDER BY rt LIMIT 1 OFFSET {k}"))
        .trim()
        .parse()
        .unwrap();
    assert_eq!(p99, rts[k]);
    // Times as instants (hprobe writes them in the local zone): the first.
    let first: u64 =
        server.query("SELECT toUnixTimestamp(min(ts)) FROM logs.probes").trim().parse().unwrap();
    let want = records
        .iter()
        .map(|r| {
            let out = Command::new("date")
                .args(["-d", r["ts"].as_str().unwrap(), "+%s"])
                .output()
                .unwrap();
            String::from_utf8(out.stdout).unwrap().trim().parse::<u64>().unwrap()
        })
        .min()
        .unwrap();
    assert_eq!(first, want);
}
