//! lparse's records loaded whole into DuckDB and ClickHouse under
//! `lparse --print-schema ENGINE`, as docs/sql.md says: the real engines
//! (the PyPI `duckdb` package and `chdb`, ClickHouse in process, from the
//! virtual environment scripts/test.sh makes, or `LOGKIT_PYTHON`).
//!
//! The file is made so that automatic schema detection fails: `rt`,
//! `query`, `vhost`, `upstream_rt`, `ua_b64`, `err` and `partial` first
//! appear after 30,000 records, past what either engine samples. Every row
//! must arrive with them, and the engine's answers must be lcount's.

mod util;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use util::{bin, repo_root, Rng};

/// Records before the first one with the late fields.
const EARLY: u64 = 30_000;
/// Records after them: fewer rt values than 1024, which lcount keeps
/// exactly for a percentile (beyond, it is within 1%).
const LATE: u64 = 1_000;
/// 2026-11-27T00:00:00Z, the time of the first line; line i is i seconds later.
const START: u64 = 1_795_737_600;

/// The fields whose presence is compared, row by row counts.
const LATE_FIELDS: [&str; 8] =
    ["rt", "upstream_rt", "query", "vhost", "ua_b64", "err", "partial", "line"];

/// The Python with duckdb and chdb.
fn python() -> PathBuf {
    let python = std::env::var_os("LOGKIT_PYTHON")
        .filter(|p| !p.is_empty())
        .map_or_else(|| repo_root().join("target/venv/bin/python"), PathBuf::from);
    let ok = Command::new(&python)
        .args(["-c", "import duckdb, chdb"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "{}: no Python with duckdb and chdb; scripts/test.sh makes it \
         (python3 -m venv target/venv && target/venv/bin/pip install duckdb chdb)",
        python.display()
    );
    python
}

/// Writes the access log; returns the rt values written (in seconds) and
/// the number of lines.
fn write_log(path: &Path) -> (Vec<f64>, u64) {
    let mut rng = Rng::new(16);
    let paths = [
        "/",
        "/index.html",
        "/api/v1/users",
        "/static/app.js",
        "/favicon.ico",
        "/wp-login.php",
        "/.env",
    ];
    let mut log = Vec::new();
    let mut rts = Vec::new();
    for i in 0..EARLY + LATE {
        let secs = START + i;
        let (day, hms) = (secs / 86_400 - START / 86_400, secs % 86_400);
        let ts = format!(
            "{:02}/Nov/2026:{:02}:{:02}:{:02} +0000",
            27 + day,
            hms / 3600,
            hms / 60 % 60,
            hms % 60
        );
        let status = *rng.pick(&[200, 200, 200, 404, 404, 500, 301]);
        let path = rng.pick(&paths);
        let client = format!("192.0.2.{}", rng.below(250) + 1);
        if i < EARLY {
            log.extend_from_slice(
                format!("{client} - - [{ts}] \"GET {path} HTTP/1.1\" {status} {} \"-\" \"curl/8.5.0\"\n", rng.below(5000)).as_bytes(),
            );
            continue;
        }
        let late = i - EARLY;
        if late % 100 == 7 {
            // A line no format reads: it keeps `line`, with `err`.
            log.extend_from_slice(format!("junk {i} that is no log line\n").as_bytes());
            continue;
        }
        if late % 100 == 13 {
            // Cut short after the status: partial, with its `ts`.
            log.extend_from_slice(
                format!("{client} - - [{ts}] \"GET {path} HTTP/1.1\" {status}\n").as_bytes(),
            );
            continue;
        }
        let query = if late.is_multiple_of(2) { format!("?id={late}") } else { String::new() };
        let ua: &[u8] =
            if late.is_multiple_of(50) { b"Mozilla/5.0 (caf\xe9)" } else { b"Mozilla/5.0" };
        let rt_ms = rng.between(1, 3000);
        rts.push(rt_ms as f64 / 1000.0);
        log.extend_from_slice(
            format!(
                "{client} - - [{ts}] \"GET {path}{query} HTTP/1.1\" {status} {} \"-\" \"",
                rng.below(5000)
            )
            .as_bytes(),
        );
        log.extend_from_slice(ua);
        log.extend_from_slice(
            format!(
                "\" {}.{:03} {}.{:03} www{}.example.com\n",
                rt_ms / 1000,
                rt_ms % 1000,
                rt_ms / 2000,
                rt_ms / 2 % 1000,
                late % 3
            )
            .as_bytes(),
        );
    }
    std::fs::write(path, log).unwrap();
    (rts, EARLY + LATE)
}

/// The nearest-rank percentile (the ceil(p n)-th smallest).
fn nearest_rank(values: &mut [f64], p: u64) -> f64 {
    values.sort_by(f64::total_cmp);
    values[(p as usize * values.len()).div_ceil(100) - 1]
}

/// lcount's answer to `args` on the records.
fn lcount(records: &Path, args: &[&str]) -> Vec<serde_json::Value> {
    let out = Command::new(bin("lcount")).args(args).arg(records).output().unwrap();
    assert!(out.status.success(), "lcount {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    util::parse_ndjson(&out.stdout)
}

fn lcount_count(records: &Path, args: &[&str]) -> u64 {
    lcount(records, args)[0]["count"].as_u64().unwrap()
}

/// Loads the records into `engine`; what tests/sql/load.py reports.
fn load(engine: &str) {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    let (mut rts, lines) = write_log(&log);
    let records = dir.path().join("records.ndjson");
    let out = Command::new(bin("lparse"))
        .arg(&log)
        .stdout(std::fs::File::create(&records).unwrap())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    // Bad and partial lines were reported: exit 1.
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let schema = dir.path().join("schema.sql");
    let out = Command::new(bin("lparse")).args(["--print-schema", engine]).output().unwrap();
    assert!(out.status.success());
    std::fs::write(&schema, &out.stdout).unwrap();

    let out = Command::new(python())
        .arg(repo_root().join("tests/sql/load.py"))
        .arg(engine)
        .arg(&schema)
        .arg(&records)
        .arg("lparse")
        .arg("path")
        .args(LATE_FIELDS)
        .output()
        .unwrap();
    assert!(out.status.success(), "load.py {engine}: {}", String::from_utf8_lossy(&out.stderr));
    let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();

    // Every row.
    assert_eq!(got["count"], lines, "{engine}");
    assert_eq!(got["count"], lcount_count(&records, &[]), "{engine}");
    // The late fields, in as many rows as lcount finds them; all there.
    for field in LATE_FIELDS {
        let want = lcount_count(&records, &["--where", field]);
        assert!(want > 0, "{field}");
        assert_eq!(got["not_null"][field], want, "{engine}: rows with {field}");
    }
    assert_eq!(got["not_null"]["rt"], rts.len(), "{engine}");
    assert!(rts.len() <= 1024);
    // The 404s by path.
    let want: BTreeMap<String, u64> = lcount(&records, &["--status", "404", "--by", "path"])
        .iter()
        .map(|r| (r["path"].as_str().unwrap().to_owned(), r["count"].as_u64().unwrap()))
        .collect();
    let got_404: BTreeMap<String, u64> = got["404_by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r[0].as_str().unwrap().to_owned(), r[1].as_u64().unwrap()))
        .collect();
    assert!(want.len() >= 5, "{want:?}");
    assert_eq!(got_404, want, "{engine}");
    // The p99 of rt: lcount's, and the generator's by nearest rank.
    let p99 = lcount(&records, &["--p", "99", "rt"])[0]["p99_rt"].as_f64().unwrap();
    assert_eq!(p99, nearest_rank(&mut rts, 99));
    assert_eq!(got["p99_rt"].as_f64().unwrap(), p99, "{engine}");
    assert_eq!(got["p99_rt_doc"].as_f64().unwrap(), p99, "{engine}: docs/sql.md's p99");
    // Times as instants, to the microsecond.
    let ts = [START * 1_000_000, (START + lines - 1) * 1_000_000];
    assert_eq!(got["ts_us"], serde_json::json!(ts), "{engine}");
}

#[test]
fn duckdb_loads_every_record_with_the_late_fields() {
    load("duckdb");
}

#[test]
fn clickhouse_loads_every_record_with_the_late_fields() {
    load("clickhouse");
}

/// Microseconds since the epoch of an RFC 3339 time, by GNU date.
fn epoch_us(rfc3339: &str) -> u64 {
    let out = Command::new("date").args(["-d", rfc3339, "+%s%6N"]).output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().parse().unwrap()
}

/// hprobe's records (answers from a real nginx, 200 and 404, and failed
/// connections) loaded under `hprobe --print-schema ENGINE`.
fn load_hprobe(engine: &str) {
    let dir = tempfile::tempdir().unwrap();
    let http = |[port]: [u16; 1]| {
        format!(
            "    server {{\n        listen 127.0.0.1:{port};\n        access_log off;\n        \
             location / {{ return 200 \"ok\\n\"; }}\n        location /missing {{ return 404; }}\n    }}\n"
        )
    };
    let (server, [port]) =
        util::start_nginx(dir.path(), util::free_port, http, vec![dir.path().join("error.log")]);
    let closed = util::free_port();
    let records = dir.path().join("records.ndjson");
    let mut all = Vec::new();
    for (args, code) in [
        (
            vec![
                "-n".to_owned(),
                "60".into(),
                "-c".into(),
                "3".into(),
                format!("http://127.0.0.1:{port}/"),
                format!("http://127.0.0.1:{port}/missing"),
            ],
            0,
        ),
        (vec!["-n".to_owned(), "5".into(), format!("http://127.0.0.1:{closed}/")], 1),
    ] {
        let out =
            Command::new(bin("hprobe")).args(&args).arg("--summary").arg("none").output().unwrap();
        assert_eq!(out.status.code(), Some(code), "{}", String::from_utf8_lossy(&out.stderr));
        all.extend(out.stdout);
    }
    server.stop();
    std::fs::write(&records, &all).unwrap();
    let schema = dir.path().join("schema.sql");
    let out = Command::new(bin("hprobe")).args(["--print-schema", engine]).output().unwrap();
    assert!(out.status.success());
    std::fs::write(&schema, &out.stdout).unwrap();
    let fields = ["status", "err", "err_msg", "connect_rt", "ttfb_rt", "seq", "url", "bytes"];
    let out = Command::new(python())
        .arg(repo_root().join("tests/sql/load.py"))
        .args([engine, schema.to_str().unwrap(), records.to_str().unwrap(), "hprobe", "url"])
        .args(fields)
        .output()
        .unwrap();
    assert!(out.status.success(), "load.py {engine}: {}", String::from_utf8_lossy(&out.stderr));
    let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(got["count"], 65);
    assert_eq!(got["count"], lcount_count(&records, &[]));
    for field in fields {
        assert_eq!(
            got["not_null"][field],
            lcount_count(&records, &["--where", field]),
            "{engine}: {field}"
        );
    }
    assert_eq!(got["not_null"]["err"], 5);
    let want: Vec<serde_json::Value> = lcount(&records, &["--status", "404", "--by", "url"])
        .iter()
        .map(|r| serde_json::json!([r["url"], r["count"]]))
        .collect();
    assert_eq!(got["404_by"], serde_json::Value::from(want), "{engine}");
    let p99 = lcount(&records, &["--p", "99", "rt"])[0]["p99_rt"].as_f64().unwrap();
    assert_eq!(got["p99_rt"].as_f64().unwrap(), p99, "{engine}");
    assert_eq!(got["p99_rt_doc"].as_f64().unwrap(), p99, "{engine}: docs/sql.md's p99");
    // hprobe's times (local zone, microseconds) as instants.
    let times: Vec<u64> =
        util::parse_ndjson(&all).iter().map(|r| epoch_us(r["ts"].as_str().unwrap())).collect();
    let want = [*times.iter().min().unwrap(), *times.iter().max().unwrap()];
    assert_eq!(got["ts_us"], serde_json::json!(want), "{engine}");
}

#[test]
fn duckdb_loads_hprobe_records() {
    load_hprobe("duckdb");
}

#[test]
fn clickhouse_loads_hprobe_records() {
    load_hprobe("clickhouse");
}
