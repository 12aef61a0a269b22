//! End-to-end tests of lcount: every option, on a generated data set.
//!
//! The data set is made here by a seeded PRNG (so it is the same on every
//! run): 5,000 records with a mix of statuses, ~50 paths, clients, request
//! times (numbers, numeric strings, junk, nulls, missing), byte counts,
//! timestamps over two hours with a +02:00 offset (crossing local
//! midnight), a nested `upstream` object and, in a few records, a top-level
//! key literally named `upstream.host`. lcount runs as a real process on
//! that file, and every expected result is computed independently here,
//! from the generated values, never from lcount's output.
//!
//! The binaries must have been built (`cargo build`) before
//! `cargo test -p logkit-e2e --test lcount`.

mod util;

use serde_json::{json, Map, Value};
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashSet};
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use tempfile::TempDir;
use util::wait_with_timeout;
use util::{bin, civil_from_days, days_from_civil, line_receiver, parse_ndjson, rfc3339};

/// How long one lcount run on a file may take.
const RUN_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a live test waits for any one thing to happen.
const LIVE_WAIT: Duration = Duration::from_secs(4);
/// The offset every generated `ts` is written in: +02:00.
const OFFSET: i64 = 2 * 3600;
/// The first generated time: 2026-03-14T23:05:00+02:00.
const BASE_UNIX: i64 = 1_773_522_300;
/// The generated times spread over this many seconds after BASE_UNIX.
const SPAN: i64 = 2 * 3600;

// ---------------------------------------------------------------------------
// A seeded PRNG (xorshift64*).

/// The start of the `secs`-long bucket holding `unix`, aligned in `offset`.
fn bucket_start(unix: i64, secs: i64, offset: i64) -> i64 {
    (unix + offset).div_euclid(secs) * secs - offset
}

#[test]
fn the_tests_own_calendar_is_right() {
    assert_eq!(rfc3339(0, None, 0), "1970-01-01T00:00:00+00:00");
    assert_eq!(rfc3339(1_000_000_000, Some(5), 0), "2001-09-09T01:46:40.005+00:00");
    assert_eq!(rfc3339(BASE_UNIX, None, OFFSET), "2026-03-14T23:05:00+02:00");
    assert_eq!(rfc3339(-1, None, -5400), "1969-12-31T22:29:59-01:30");
    assert_eq!(days_from_civil(2026, 3, 14) * 86_400 + 21 * 3600 + 300, BASE_UNIX);
    for z in [-800_000, -1, 0, 59, 11_016, 20_526, 100_000] {
        let (y, m, d) = civil_from_days(z);
        assert_eq!(days_from_civil(y, m, d), z);
    }
}

// ---------------------------------------------------------------------------
// The data set.

struct Data {
    dir: TempDir,
    /// The file's name in `dir`.
    name: &'static str,
    recs: Vec<Value>,
    /// Each record's `ts` as Unix seconds (the fraction dropped).
    ts: Vec<i64>,
}

/// The ~50 paths.
fn paths() -> Vec<String> {
    let mut p: Vec<String> =
        ["/", "/login", "/logout", "/health", "/search"].iter().map(|s| s.to_string()).collect();
    p.extend((0..20).map(|k| format!("/api/v1/items/{k}")));
    p.extend((0..10).map(|k| format!("/api/v2/users/{k}")));
    p.extend((0..10).map(|k| format!("/static/app.{k}.js")));
    p.extend((0..5).map(|k| format!("/img/{k}.png")));
    p
}

const UAS: [&str; 8] = [
    "curl/8.5.0",
    "Mozilla/5.0 (X11; Linux x86_64) Firefox/124.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) Safari/605.1.15",
    "python-requests/2.31",
    "Go-http-client/1.1",
    "say \"hi\", bye",
    "Wget/1.21",
    "kube-probe/1.29",
];

/// Statuses with weights. 418 is rare, and such records never have `rt`
/// nor `bytes` (a group without values).
const STATUSES: [(u64, u64); 17] = [
    (200, 600),
    (201, 30),
    (204, 30),
    (301, 30),
    (302, 40),
    (304, 50),
    (400, 30),
    (401, 20),
    (403, 20),
    (404, 80),
    (410, 20),
    (418, 8),
    (429, 20),
    (500, 30),
    (502, 20),
    (503, 20),
    (504, 10),
];

fn generate(n: usize, seed: u64) -> Data {
    let mut rng = util::Rng::new(seed);
    let paths = paths();
    let total_weight: u64 = STATUSES.iter().map(|s| s.1).sum();
    let mut recs = Vec::with_capacity(n);
    let mut ts = Vec::with_capacity(n);
    for _ in 0..n {
        let mut r = Map::new();
        let unix = BASE_UNIX + rng.below(SPAN as u64) as i64;
        let millis = rng.chance(20).then(|| rng.below(1000) as u32);
        r.insert("ts".into(), json!(rfc3339(unix, millis, OFFSET)));
        ts.push(unix);
        let mut status = None;
        if !rng.chance(1) {
            let mut w = rng.below(total_weight);
            for &(code, weight) in &STATUSES {
                if w < weight {
                    status = Some(code);
                    break;
                }
                w -= weight;
            }
            r.insert("status".into(), json!(status.unwrap()));
        }
        let method = match rng.below(100) {
            0..=69 => "GET",
            70..=84 => "POST",
            85..=92 => "PUT",
            93..=97 => "DELETE",
            _ => "HEAD",
        };
        r.insert("method".into(), json!(method));
        r.insert("path".into(), json!(paths[rng.skewed(paths.len() as u64) as usize]));
        if !rng.chance(3) {
            let c = rng.skewed(150);
            r.insert("client".into(), json!(format!("10.0.{}.{}", c / 40, c % 40)));
        }
        r.insert("ua".into(), json!(UAS[rng.skewed(UAS.len() as u64) as usize]));
        let no_values = status == Some(418);
        let ms = 1 + rng.skewed(5000);
        match rng.below(100) {
            _ if no_values => {}
            0..=89 => {
                r.insert("rt".into(), json!(ms as f64 / 1000.0));
            }
            90..=92 => {
                r.insert("rt".into(), json!(format!("{}", ms as f64 / 1000.0)));
            }
            93 => {
                r.insert("rt".into(), json!(*rng.pick(&["n/a", "-", ""])));
            }
            94..=95 => {
                r.insert("rt".into(), Value::Null);
            }
            _ => {}
        }
        let bytes = rng.below(200_000);
        match rng.below(100) {
            _ if no_values => {}
            0..=89 => {
                r.insert("bytes".into(), json!(bytes));
            }
            90..=92 => {
                r.insert("bytes".into(), json!(bytes.to_string()));
            }
            _ => {}
        }
        match rng.below(100) {
            0..=69 => {
                let host = format!("up-{}", rng.skewed(8));
                let connect = (1 + rng.below(200)) as f64 / 1000.0;
                r.insert(
                    "upstream".into(),
                    json!({ "host": host, "timing": { "connect": connect } }),
                );
                if rng.chance(6) {
                    // A flattened key of the same name wins over the path.
                    r.insert("upstream.host".into(), json!(format!("flat-{}", rng.below(3))));
                }
            }
            70..=72 => {
                r.insert("upstream".into(), json!("direct"));
            }
            _ => {}
        }
        recs.push(Value::Object(r));
    }
    let dir = tempfile::tempdir().unwrap();
    let name = "records.ndjson";
    let mut text = String::new();
    for r in &recs {
        text.push_str(&serde_json::to_string(r).unwrap());
        text.push('\n');
    }
    std::fs::write(dir.path().join(name), text).unwrap();
    Data { dir, name, recs, ts }
}

fn data() -> Data {
    generate(5000, 0x5EED_1C0F_FEE0_0001)
}

// ---------------------------------------------------------------------------
// Reading records the way the spec says, independently of lcount.

/// A field: a top-level key of exactly that name, else a dotted path into
/// nested objects. JSON null is returned as `Some(Null)`.
fn get<'a>(rec: &'a Value, name: &str) -> Option<&'a Value> {
    let obj = rec.as_object()?;
    if let Some(v) = obj.get(name) {
        return Some(v);
    }
    let mut parts = name.split('.');
    let mut v = obj.get(parts.next()?)?;
    for p in parts {
        v = v.as_object()?.get(p)?;
    }
    Some(v)
}

/// A field's value for grouping: null when missing.
fn key_of(rec: &Value, name: &str) -> Value {
    get(rec, name).cloned().unwrap_or(Value::Null)
}

/// Present and not null.
fn present(rec: &Value, name: &str) -> bool {
    get(rec, name).is_some_and(|v| !v.is_null())
}

/// A value as a number: a JSON number, or a string that reads as one.
fn number(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse::<f64>().ok().filter(|x| x.is_finite()),
        _ => None,
    }
}

/// The text a (non-null) value is compared or matched as.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.as_f64().unwrap().to_string(),
        other => other.to_string(),
    }
}

/// `--where` comparison: a number with a number literal by value; a number
/// with anything else is unequal; any other value as text, equal
/// (`Some(Equal)`) or not (`None`), never ordered; `None` for a missing or
/// null field.
fn cmp_lit(rec: &Value, field: &str, lit: &str) -> Option<Ordering> {
    let v = get(rec, field).filter(|v| !v.is_null())?;
    match (v, lit.parse::<f64>()) {
        (Value::Number(n), Ok(l)) => n.as_f64().unwrap().partial_cmp(&l),
        (Value::Number(_), Err(_)) => None,
        _ => (text(v) == lit).then_some(Ordering::Equal),
    }
}

/// The text of a present, non-null field, for the hand-written regexes.
fn text_of(rec: &Value, field: &str) -> Option<String> {
    get(rec, field).filter(|v| !v.is_null()).map(text)
}

fn status_of(rec: &Value) -> Option<i64> {
    rec.get("status").and_then(Value::as_i64)
}

/// Orders group values: numbers numerically, then strings, null last.
fn value_cmp(a: &Value, b: &Value) -> Ordering {
    fn rank(v: &Value) -> u8 {
        match v {
            Value::Number(_) => 0,
            Value::String(_) => 1,
            Value::Null => 9,
            _ => 5,
        }
    }
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64().unwrap().total_cmp(&y.as_f64().unwrap()),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        _ => rank(a).cmp(&rank(b)),
    }
}

fn key_cmp(a: &[Value], b: &[Value]) -> Ordering {
    a.iter().zip(b).map(|(x, y)| value_cmp(x, y)).find(|o| o.is_ne()).unwrap_or(Ordering::Equal)
}

/// One expected group: its key values and its records' indexes.
#[derive(Debug, Clone)]
struct Group {
    /// The bucket start (Unix seconds) with `--every`.
    bucket: Option<i64>,
    key: Vec<Value>,
    rows: Vec<usize>,
}

impl Group {
    fn count(&self) -> u64 {
        self.rows.len() as u64
    }
}

/// The expected groups of the records that pass `keep`, by the fields `by`
/// (and by `every`-second buckets aligned in OFFSET, each key having a
/// group, empty if need be, in every bucket from the first to the last), in
/// the default order: buckets ascending, then count descending, then key.
fn groups(d: &Data, keep: impl Fn(&Value) -> bool, by: &[&str], every: Option<i64>) -> Vec<Group> {
    let mut map: BTreeMap<String, Group> = BTreeMap::new();
    for (i, rec) in d.recs.iter().enumerate() {
        if !keep(rec) {
            continue;
        }
        let bucket = every.map(|secs| bucket_start(d.ts[i], secs, OFFSET));
        let key: Vec<Value> = by.iter().map(|f| key_of(rec, f)).collect();
        let id = format!("{bucket:?}{}", Value::Array(key.clone()));
        map.entry(id).or_insert_with(|| Group { bucket, key, rows: Vec::new() }).rows.push(i);
    }
    let mut out: Vec<Group> = map.into_values().collect();
    if let Some(secs) = every {
        let buckets: Vec<i64> = out.iter().filter_map(|g| g.bucket).collect();
        if let (Some(&first), Some(&last)) = (buckets.iter().min(), buckets.iter().max()) {
            let keys: Vec<Vec<Value>> = out.iter().map(|g| g.key.clone()).collect();
            let mut have: std::collections::HashSet<String> = out
                .iter()
                .map(|g| format!("{:?}{}", g.bucket, Value::Array(g.key.clone())))
                .collect();
            for key in keys {
                for b in (first..=last).step_by(secs as usize) {
                    if have.insert(format!("{:?}{}", Some(b), Value::Array(key.clone()))) {
                        out.push(Group { bucket: Some(b), key: key.clone(), rows: Vec::new() });
                    }
                }
            }
        }
    }
    out.sort_by(default_order);
    out
}

fn default_order(a: &Group, b: &Group) -> Ordering {
    a.bucket.cmp(&b.bucket).then(b.count().cmp(&a.count())).then_with(|| key_cmp(&a.key, &b.key))
}

fn nums(d: &Data, rows: &[usize], field: &str) -> Vec<f64> {
    rows.iter().filter_map(|&i| number(get(&d.recs[i], field))).collect()
}

/// Nearest rank: the smallest value with at least p% of the values at or
/// below it, computed by counting.
fn nearest_rank(values: &[f64], p: u32) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    sorted.iter().copied().find(|v| {
        let at_or_below = sorted.partition_point(|x| x <= v);
        100 * at_or_below >= p as usize * n
    })
}

// ---------------------------------------------------------------------------
// Running lcount.

struct Run {
    stdout: String,
    stderr: String,
    code: Option<i32>,
}

fn run_in(dir: &Path, args: &[&str]) -> Run {
    let out = assert_cmd::Command::new(bin("lcount"))
        .args(args)
        .current_dir(dir)
        .timeout(RUN_TIMEOUT)
        .output()
        .unwrap();
    Run {
        stdout: String::from_utf8(out.stdout).expect("lcount's output is UTF-8"),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code(),
    }
}

/// Runs lcount on the data set's file; returns its stdout, which it checks
/// is all there is (exit 0, nothing on stderr).
fn run_text(d: &Data, args: &[&str]) -> String {
    let mut all: Vec<&str> = args.to_vec();
    all.push(d.name);
    let run = run_in(d.dir.path(), &all);
    assert!(
        run.code == Some(0) && run.stderr.is_empty(),
        "lcount {args:?}: exit {:?}, stderr {:?}",
        run.code,
        run.stderr
    );
    assert!(run.stdout.is_empty() || run.stdout.ends_with('\n'), "{args:?}: {:?}", run.stdout);
    run.stdout
}

fn run(d: &Data, args: &[&str]) -> Vec<Value> {
    parse_ndjson(run_text(d, args).as_bytes())
}

/// The count of `{"count":N}`, checking that it is the only thing printed.
fn run_count(d: &Data, args: &[&str]) -> u64 {
    let out = run(d, args);
    assert_eq!(out.len(), 1, "lcount {args:?}: {out:?}");
    let obj = out[0].as_object().unwrap();
    assert_eq!(obj.len(), 1, "lcount {args:?}: only count: {}", out[0]);
    obj["count"].as_u64().unwrap_or_else(|| panic!("lcount {args:?}: {}", out[0]))
}

/// An output record's key values, for the fields `by`.
fn out_key(rec: &Value, by: &[&str]) -> Vec<Value> {
    by.iter()
        .map(|f| rec.get(*f).cloned().unwrap_or_else(|| panic!("no column {f:?} in {rec}")))
        .collect()
}

/// An output value as a number (`None` for null).
fn out_num(rec: &Value, col: &str) -> Option<f64> {
    match rec.get(col) {
        Some(Value::Null) => None,
        Some(Value::Number(n)) => n.as_f64(),
        _ => panic!("column {col:?} is not a number or null in {rec}"),
    }
}

/// |got - want| within `rel` of |want| (output floats are reparsed, so
/// "exact" comparisons allow a few ULPs).
fn close(got: f64, want: f64, rel: f64) -> bool {
    (got - want).abs() <= rel * want.abs()
}

const EXACT: f64 = 1e-12;

/// Checks that lcount printed exactly the expected groups, in order, with
/// `by` columns, count and the columns `extra`.
fn assert_groups(what: &str, out: &[Value], want: &[Group], by: &[&str], extra: &[&str]) {
    let got: Vec<(Vec<Value>, u64)> =
        out.iter().map(|r| (out_key(r, by), r["count"].as_u64().unwrap())).collect();
    let expected: Vec<(Vec<Value>, u64)> =
        want.iter().map(|g| (g.key.clone(), g.count())).collect();
    assert_eq!(got, expected, "{what}");
    for r in out {
        let cols = r.as_object().unwrap().len();
        assert_eq!(cols, by.len() + 1 + extra.len(), "{what}: columns of {r}");
        for c in extra {
            assert!(r.get(*c).is_some(), "{what}: no {c} in {r}");
        }
    }
}

// ---------------------------------------------------------------------------
// The tests.

#[test]
fn count_with_each_status_syntax() {
    let d = data();
    let count = |f: &dyn Fn(i64) -> bool| {
        d.recs.iter().filter(|r| status_of(r).is_some_and(f)).count() as u64
    };
    assert_eq!(run_count(&d, &[]), d.recs.len() as u64);
    let cases: [(&str, &dyn Fn(i64) -> bool); 7] = [
        ("404", &|s| s == 404),
        ("4xx", &|s| (400..500).contains(&s)),
        ("5xx", &|s| (500..600).contains(&s)),
        ("500-599", &|s| (500..=599).contains(&s)),
        ("301-404", &|s| (301..=404).contains(&s)),
        ("404,410", &|s| s == 404 || s == 410),
        ("200,3xx,500-502", &|s| s == 200 || (300..400).contains(&s) || (500..=502).contains(&s)),
    ];
    for (list, f) in cases {
        let want = count(f);
        assert!(want > 0 && want < d.recs.len() as u64, "{list}: a useful case");
        assert_eq!(run_count(&d, &["--status", list]), want, "--status {list}");
    }
    // Nothing matches: still an answer.
    assert_eq!(run_count(&d, &["--status", "999"]), 0);
}

#[test]
fn where_each_operator() {
    let d = data();
    use Ordering::{Equal, Greater, Less};
    type Keep = Box<dyn Fn(&Value) -> bool>;
    let is = |field: &'static str, lit: &'static str, ok: &'static [Ordering]| -> Keep {
        Box::new(move |r| cmp_lit(r, field, lit).is_some_and(|o| ok.contains(&o)))
    };
    let ne = |field: &'static str, lit: &'static str| -> Keep {
        Box::new(move |r| cmp_lit(r, field, lit) != Some(Equal))
    };
    let api_version = |t: &str| {
        // ^/api/v[0-9]+/
        t.strip_prefix("/api/v").is_some_and(|rest| {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            digits > 0 && rest[digits..].starts_with('/')
        })
    };
    // An rt that several records have, as a number or a numeric string.
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for r in &d.recs {
        if let Some(Value::Number(n)) = r.get("rt") {
            *seen.entry(n.to_string()).or_default() += 1;
        }
    }
    let common = seen.iter().max_by_key(|(t, n)| (**n, t.len())).unwrap().0;
    let rt_eq: &'static str = Box::leak(format!("rt={common}").into_boxed_str());
    let rt_lit: &'static str = &rt_eq[3..];
    let cases: Vec<(Vec<&str>, Keep)> = vec![
        (vec!["status=404"], is("status", "404", &[Equal])),
        (vec!["status=404.0"], is("status", "404.0", &[Equal])),
        (vec!["path=/login"], is("path", "/login", &[Equal])),
        (vec!["method!=GET"], ne("method", "GET")),
        // A missing client is not equal to anything.
        (vec!["client!=10.0.0.1"], ne("client", "10.0.0.1")),
        (vec!["status>=500"], is("status", "500", &[Greater, Equal])),
        (vec!["status<300"], is("status", "300", &[Less])),
        // rt holds numbers (numeric comparison), numeric strings and junk
        // (text, never ordered), nulls and gaps (never ordered).
        (vec!["rt<0.5"], is("rt", "0.5", &[Less])),
        (vec!["rt<=0.25"], is("rt", "0.25", &[Less, Equal])),
        (vec!["rt>2.5"], is("rt", "2.5", &[Greater])),
        (vec!["rt>=2.5"], is("rt", "2.5", &[Greater, Equal])),
        (vec![rt_eq], is("rt", rt_lit, &[Equal])),
        (vec!["bytes>=150000"], is("bytes", "150000", &[Greater, Equal])),
        (vec!["bytes<1000"], is("bytes", "1000", &[Less])),
        (
            vec!["path~^/api/v[0-9]+/"],
            Box::new(move |r| text_of(r, "path").is_some_and(|t| api_version(&t))),
        ),
        (
            vec!["path!~^/static/"],
            Box::new(|r| !text_of(r, "path").is_some_and(|t| t.starts_with("/static/"))),
        ),
        // A regex is matched against a number's text.
        (vec!["status~^5"], Box::new(|r| text_of(r, "status").is_some_and(|t| t.starts_with('5')))),
        (
            vec!["status!~^2"],
            Box::new(|r| !text_of(r, "status").is_some_and(|t| t.starts_with('2'))),
        ),
        (vec![r#"ua~""#], Box::new(|r| text_of(r, "ua").is_some_and(|t| t.contains('"')))),
        (
            vec![r"client~\.1[0-9]$"],
            Box::new(|r| {
                text_of(r, "client").is_some_and(|t| {
                    let b = t.as_bytes();
                    b.len() >= 3
                        && b[b.len() - 3..b.len() - 1] == *b".1"
                        && b[b.len() - 1].is_ascii_digit()
                })
            }),
        ),
        (
            vec![r"client!~^10\.0\.1\."],
            Box::new(|r| !text_of(r, "client").is_some_and(|t| t.starts_with("10.0.1."))),
        ),
        // Presence and absence (null counts as absent).
        (vec!["client"], Box::new(|r| present(r, "client"))),
        (vec!["!client"], Box::new(|r| !present(r, "client"))),
        (vec!["rt"], Box::new(|r| present(r, "rt"))),
        (vec!["!rt"], Box::new(|r| !present(r, "rt"))),
        // Dotted paths; a top-level key literally named `upstream.host` wins.
        (vec!["upstream.host=up-3"], is("upstream.host", "up-3", &[Equal])),
        (
            vec!["upstream.host~^flat-"],
            Box::new(|r| text_of(r, "upstream.host").is_some_and(|t| t.starts_with("flat-"))),
        ),
        (vec!["upstream.timing.connect>0.15"], is("upstream.timing.connect", "0.15", &[Greater])),
        (vec!["upstream.timing.connect"], Box::new(|r| present(r, "upstream.timing.connect"))),
        (vec!["!upstream.host"], Box::new(|r| !present(r, "upstream.host"))),
        // Several conditions: all must hold.
        (
            vec!["path~^/api/", "rt>=1", "!client"],
            Box::new(|r| {
                text_of(r, "path").is_some_and(|t| t.starts_with("/api/"))
                    && cmp_lit(r, "rt", "1").is_some_and(|o| o != Less)
                    && !present(r, "client")
            }),
        ),
    ];
    let mut tested = 0;
    for (conds, keep) in &cases {
        let want = d.recs.iter().filter(|r| keep(r)).count() as u64;
        assert!(want > 0 && want < d.recs.len() as u64, "{conds:?}: a useful case ({want})");
        let mut args = Vec::new();
        for c in conds {
            args.extend(["--where", c]);
        }
        assert_eq!(run_count(&d, &args), want, "--where {conds:?}");
        tested += 1;
    }
    assert_eq!(tested, cases.len());

    // The literal top-level key really wins: it is never the nested host.
    let flat = d.recs.iter().filter(|r| r.get("upstream.host").is_some()).count();
    assert!(flat > 20 && run_count(&d, &["--where", "upstream.host~^flat-"]) == flat as u64);

    // With --status too.
    let want = d
        .recs
        .iter()
        .filter(|r| {
            status_of(r).is_some_and(|s| (500..600).contains(&s))
                && r["method"] == "GET"
                && cmp_lit(r, "rt", "1").is_some_and(|o| o == Greater)
        })
        .count() as u64;
    assert!(want > 0);
    assert_eq!(
        run_count(&d, &["--status", "5xx", "--where", "method=GET", "--where", "rt>1"]),
        want
    );
}

#[test]
fn by_one_field_with_a_null_group() {
    let d = data();
    let want = groups(&d, |_| true, &["status"], None);
    assert!(want.iter().any(|g| g.key[0].is_null()), "some records lack a status");
    let out = run(&d, &["--by", "status"]);
    assert_groups("--by status", &out, &want, &["status"], &[]);

    // With a filter.
    let want = groups(&d, |r| r["method"] != "GET", &["path"], None);
    let out = run(&d, &["--where", "method!=GET", "--by", "path"]);
    assert_groups("--by path", &out, &want, &["path"], &[]);

    // A dotted path; records without it (or where `upstream` is not an
    // object) are in the null group; the literal top-level key wins.
    let want = groups(&d, |_| true, &["upstream.host"], None);
    assert!(want.iter().any(|g| g.key[0].is_null()));
    assert!(want.iter().any(|g| g.key[0].as_str().is_some_and(|h| h.starts_with("flat-"))));
    let out = run(&d, &["--by", "upstream.host"]);
    assert_groups("--by upstream.host", &out, &want, &["upstream.host"], &[]);
}

#[test]
fn by_two_fields() {
    let d = data();
    let by = ["method", "client"];
    let want = groups(&d, |_| true, &by, None);
    assert!(want.iter().any(|g| g.key[1].is_null() && g.key[0] == "GET"));
    assert!(want.len() > 200, "{}", want.len());
    let out = run(&d, &["--by", "method", "--by", "client"]);
    assert_groups("--by method --by client", &out, &want, &by, &[]);

    let by = ["status", "upstream.host"];
    let want = groups(&d, |r| r["path"] == "/login" || r["path"] == "/", &by, None);
    let out = run(&d, &["--where", "path~^/(login)?$", "--by", "status", "--by", "upstream.host"]);
    assert_groups("--by status --by upstream.host", &out, &want, &by, &[]);
}

/// The expected rows of a bucketed result: (ts text, key, count).
fn bucket_rows(want: &[Group]) -> Vec<(String, Vec<Value>, u64)> {
    want.iter()
        .map(|g| (rfc3339(g.bucket.unwrap(), None, OFFSET), g.key.clone(), g.count()))
        .collect()
}

fn out_bucket_rows(out: &[Value], by: &[&str]) -> Vec<(String, Vec<Value>, u64)> {
    out.iter()
        .map(|r| {
            let ts = r["ts"].as_str().unwrap_or_else(|| panic!("ts is a string: {r}")).to_owned();
            (ts, out_key(r, by), r["count"].as_u64().unwrap())
        })
        .collect()
}

#[test]
fn every_minute_hour_and_day_in_the_logs_offset() {
    let d = data();
    // The data is not in time order, has fractional seconds, and crosses
    // local midnight.
    assert!(d.ts.windows(2).any(|w| w[0] > w[1]));
    assert!(d.recs.iter().any(|r| r["ts"].as_str().unwrap().contains('.')));

    for (every, secs, by) in [
        ("1m", 60, &[][..]),
        ("1h", 3600, &["status"][..]),
        ("1d", 86_400, &[][..]),
        ("15m", 900, &["method"][..]),
    ] {
        let want = groups(&d, |_| true, by, Some(secs));
        let mut args = vec!["--every", every];
        for f in by {
            args.extend(["--by", f]);
        }
        let text = run_text(&d, &args);
        let out = parse_ndjson(text.as_bytes());
        let got = out_bucket_rows(&out, by);
        assert_eq!(got, bucket_rows(&want), "--every {every} {by:?}");
        // ts is the first column.
        assert!(text.lines().all(|l| l.starts_with(r#"{"ts":""#)), "--every {every}: {text}");
        // Time order (the text is all in one offset, so text order is time order).
        assert!(got.windows(2).all(|w| w[0].0 <= w[1].0), "--every {every}: time order");
        for r in &out {
            assert_eq!(r.as_object().unwrap().len(), by.len() + 2, "{r}");
        }
        match every {
            "1m" => assert!(got.len() >= 120 && got.len() <= 121, "{}", got.len()),
            "1h" => {
                let hours: HashSet<&str> = got.iter().map(|g| g.0.as_str()).collect();
                let mut hours: Vec<&str> = hours.into_iter().collect();
                hours.sort();
                assert_eq!(
                    hours,
                    [
                        "2026-03-14T23:00:00+02:00",
                        "2026-03-15T00:00:00+02:00",
                        "2026-03-15T01:00:00+02:00"
                    ]
                );
            }
            // Local days, not UTC days (in UTC it is all one day).
            "1d" => {
                let days: Vec<&str> = got.iter().map(|g| g.0.as_str()).collect();
                assert_eq!(days, ["2026-03-14T00:00:00+02:00", "2026-03-15T00:00:00+02:00"]);
            }
            _ => {}
        }
    }
}

#[test]
fn every_aligns_buckets_in_the_offset_of_the_first_ts() {
    // The first ts is at +05:30: hour buckets start at :30 UTC, and are
    // shown at +05:30, whatever the offsets of later records.
    let lines = [
        r#"{"ts":"2026-03-14T10:15:00+05:30"}"#, // 04:45Z -> 10:00+05:30
        r#"{"ts":"2026-03-14T05:20:00Z"}"#,      // 10:50+05:30 -> 10:00
        r#"{"ts":"2026-03-14T05:30:00Z"}"#,      // 11:00+05:30 -> 11:00
        r#"{"ts":"2026-03-14T06:29:59.999+01:00"}"#, // 05:29:59.999Z -> 10:59:59 -> 10:00
        r#"{"ts":"2026-03-14T03:10:00-02:00"}"#, // 05:10Z -> 10:40+05:30 -> 10:00
        r#"{"ts":"2026-03-14T01:00:00Z"}"#,      // 06:30+05:30 -> 06:00 (earlier, listed last)
        r#"{"ts":"2026-03-14T06:45:00+00:00"}"#, // 12:15+05:30 -> 12:00
        r#"{"ts":"2026-03-14T12:59:00+05:30"}"#, // 12:00
    ];
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("mixed.ndjson"), lines.join("\n") + "\n").unwrap();
    let run = run_in(dir.path(), &["--every", "1h", "mixed.ndjson"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        parse_ndjson(run.stdout.as_bytes()),
        vec![
            json!({"ts": "2026-03-14T06:00:00+05:30", "count": 1}),
            // The hours between, with no records, are listed as empty.
            json!({"ts": "2026-03-14T07:00:00+05:30", "count": 0}),
            json!({"ts": "2026-03-14T08:00:00+05:30", "count": 0}),
            json!({"ts": "2026-03-14T09:00:00+05:30", "count": 0}),
            json!({"ts": "2026-03-14T10:00:00+05:30", "count": 4}),
            json!({"ts": "2026-03-14T11:00:00+05:30", "count": 1}),
            json!({"ts": "2026-03-14T12:00:00+05:30", "count": 2}),
        ]
    );
}

#[test]
fn sum_avg_min_max_per_group() {
    let d = data();
    let cols = ["sum_bytes", "sum_rt", "avg_rt", "min_rt", "max_rt", "min_bytes", "max_bytes"];
    let args = [
        "--sum", "bytes", "--sum", "rt", "--avg", "rt", "--min", "rt", "--max", "rt", "--min",
        "bytes", "--max", "bytes",
    ];
    for by in ["path", "status"] {
        let want = groups(&d, |_| true, &[by], None);
        let mut all = vec!["--by", by];
        all.extend(args);
        let out = run(&d, &all);
        assert_groups(by, &out, &want, &[by], &cols);
        for (r, g) in out.iter().zip(&want) {
            for field in ["rt", "bytes"] {
                let v = nums(&d, &g.rows, field);
                // A sum of no values is null, as a mean of none is.
                match out_num(r, &format!("sum_{field}")) {
                    Some(got) => {
                        let sum: f64 = v.iter().sum();
                        assert!(close(got, sum, 1e-9), "{r}: sum_{field} {got} vs {sum}");
                    }
                    None => assert!(v.is_empty(), "{r}: sum_{field} null"),
                }
                let min = v.iter().copied().reduce(f64::min);
                let max = v.iter().copied().reduce(f64::max);
                for (col, want) in [("min", min), ("max", max)] {
                    let got = out_num(r, &format!("{col}_{field}"));
                    match (got, want) {
                        (Some(g), Some(w)) => assert!(close(g, w, EXACT), "{r}: {col}_{field}"),
                        _ => assert_eq!(got, want, "{r}: {col}_{field}"),
                    }
                }
            }
            let v = nums(&d, &g.rows, "rt");
            match out_num(r, "avg_rt") {
                Some(got) => {
                    let want = v.iter().sum::<f64>() / v.len() as f64;
                    assert!(close(got, want, 1e-9), "{r}: avg_rt {got} vs {want}");
                }
                None => assert!(v.is_empty(), "{r}: avg_rt null with values"),
            }
        }
        if by == "status" {
            // The 418 group has neither rt nor bytes.
            let teapot = out.iter().find(|r| r["status"] == 418).expect("a 418 group");
            // An aggregate with no values is null, a sum too.
            for col in ["avg_rt", "min_rt", "max_rt", "min_bytes", "max_bytes", "sum_rt"] {
                assert_eq!(teapot[col], Value::Null, "{teapot}");
            }
        }
    }
    // Numeric strings are values; junk strings and nulls are not.
    let all: Vec<usize> = (0..d.recs.len()).collect();
    let strings = all.iter().filter(|&&i| d.recs[i].get("rt").is_some_and(Value::is_string));
    assert!(strings.clone().any(|&i| number(d.recs[i].get("rt")).is_some()));
    assert!(strings.clone().any(|&i| number(d.recs[i].get("rt")).is_none()));
    let out = run(&d, &["--sum", "bytes", "--avg", "bytes", "--where", "bytes"]);
    let v = nums(&d, &all, "bytes");
    assert_eq!(out[0]["count"], v.len() as u64);
    assert!(close(out_num(&out[0], "sum_bytes").unwrap(), v.iter().sum(), 1e-12));
}

#[test]
fn percentiles_exact_for_small_groups_within_one_percent_for_large_ones() {
    let d = data();
    let ps = [25, 50, 90, 99, 100];
    let cols: Vec<String> = ps.iter().map(|p| format!("p{p}_rt")).collect();
    let cols: Vec<&str> = cols.iter().map(String::as_str).collect();
    let mut small = 0;
    let mut large = 0;
    for by in ["path", "status"] {
        let want = groups(&d, |_| true, &[by], None);
        let out = run(&d, &["--by", by, "--p", "25,50,90,99,100", "rt"]);
        assert_groups(by, &out, &want, &[by], &cols);
        for (r, g) in out.iter().zip(&want) {
            let v = nums(&d, &g.rows, "rt");
            let exact = v.len() <= 1024;
            if exact {
                small += 1;
            } else {
                large += 1;
            }
            for p in ps {
                let col = format!("p{p}_rt");
                let got = out_num(r, &col);
                match (got, nearest_rank(&v, p)) {
                    (Some(g), Some(w)) => {
                        let tol = if exact { EXACT } else { 0.01 * (1.0 + 1e-9) };
                        assert!(close(g, w, tol), "{r}: {col} {g} vs {w} ({} values)", v.len());
                    }
                    (got, want) => assert_eq!(got, want, "{r}: {col}"),
                }
            }
        }
    }
    assert!(small > 50 && large >= 1, "small {small}, large {large}");
}

#[test]
fn percentiles_of_20000_values_within_one_percent() {
    let mut rng = util::Rng::new(0xD1CE_5EED_0000_0042);
    // Log-uniform from 0.001 to 1000, with a few numeric strings.
    let values: Vec<f64> = (0..20_000)
        .map(|_| {
            let e = rng.below(6_000_000) as f64 / 1_000_000.0 - 3.0;
            (10f64.powf(e) * 1e6).round() / 1e6
        })
        .collect();
    let mut text = String::new();
    for (i, v) in values.iter().enumerate() {
        if i % 97 == 0 {
            text.push_str(&format!("{{\"x\":\"{v}\"}}\n"));
        } else {
            text.push_str(&format!("{{\"x\":{v}}}\n"));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("x.ndjson"), text).unwrap();
    let run = run_in(dir.path(), &["--p", "50,90,99", "x", "x.ndjson"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let out = parse_ndjson(run.stdout.as_bytes());
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0]["count"], 20_000);
    assert_eq!(out[0].as_object().unwrap().len(), 4, "{}", out[0]);
    for p in [50, 90, 99] {
        let want = nearest_rank(&values, p).unwrap();
        let got = out_num(&out[0], &format!("p{p}_x")).unwrap();
        assert!(close(got, want, 0.01 * (1.0 + 1e-9)), "p{p}: {got} vs {want}");
    }
}

// Beyond 1024 values the result must still be within 1% of the nearest
// rank, also where neighbouring values are far apart (a sparse tail).
#[test]
fn large_group_percentiles_are_near_the_nearest_rank_on_a_sparse_tail() {
    // 1110 values: 1098 of 1.0, then 12 of 2.0. 1098/1110 = 98.9% are at
    // or below 1.0, so p99 is 2.0; p90 is 1.0, and p100 is 2.0.
    let mut values = vec![1.0; 1098];
    values.extend([2.0; 12]);
    assert_eq!(nearest_rank(&values, 99), Some(2.0));
    assert_eq!(nearest_rank(&values, 90), Some(1.0));
    // In an order that does not help.
    let mut rng = util::Rng::new(7);
    for i in (1..values.len()).rev() {
        values.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let text: String = values.iter().map(|v| format!("{{\"x\":{v}}}\n")).collect();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("x.ndjson"), text).unwrap();
    let run = run_in(dir.path(), &["--p", "90,99,100", "x", "x.ndjson"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let out = parse_ndjson(run.stdout.as_bytes());
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0]["count"], 1110);
    for (p, want) in [(90, 1.0), (99, 2.0), (100, 2.0)] {
        let got = out_num(&out[0], &format!("p{p}_x")).unwrap();
        assert!(close(got, want, 0.01 * (1.0 + 1e-9)), "p{p}: {got} vs {want} in {}", out[0]);
    }
}

#[test]
fn distinct_per_group() {
    let d = data();
    let cols = ["distinct_client", "distinct_path"];
    for by in [&["status"][..], &[][..]] {
        let want = groups(&d, |_| true, by, None);
        let mut args = vec!["--distinct", "client", "--distinct", "path"];
        for f in by {
            args.extend(["--by", f]);
        }
        let out = run(&d, &args);
        assert_groups("--distinct", &out, &want, by, &cols);
        for (r, g) in out.iter().zip(&want) {
            for field in ["client", "path"] {
                let set: HashSet<&str> =
                    g.rows.iter().filter_map(|&i| d.recs[i].get(field)?.as_str()).collect();
                assert_eq!(r[format!("distinct_{field}")], set.len(), "{r}");
            }
        }
    }
}

#[test]
fn top_with_and_without_every() {
    let d = data();
    let want = groups(&d, |_| true, &["path"], None);
    for n in [1, 5, 12] {
        let out = run(&d, &["--by", "path", "--top", &n.to_string()]);
        assert_groups("--top", &out, &want[..n], &["path"], &[]);
    }
    // More than there are: all of them.
    let out = run(&d, &["--by", "path", "--top", "1000"]);
    assert_groups("--top 1000", &out, &want, &["path"], &[]);

    // Per bucket with --every.
    let all = groups(&d, |_| true, &["path"], Some(3600));
    let mut want: Vec<Group> = Vec::new();
    for g in &all {
        if want.iter().filter(|w| w.bucket == g.bucket).count() < 3 {
            want.push(g.clone());
        }
    }
    assert_eq!(want.len(), 9, "three buckets of three");
    let out = run(&d, &["--every", "1h", "--by", "path", "--top", "3"]);
    assert_eq!(out_bucket_rows(&out, &["path"]), bucket_rows(&want));

    // With a sort: the first N after sorting.
    let mut want = groups(&d, |_| true, &["path"], None);
    want.sort_by(|a, b| {
        key_cmp(&b.key, &a.key) // path descending
    });
    let out = run(&d, &["--by", "path", "--sort", "path:desc", "--top", "4"]);
    assert_groups("--sort path:desc --top 4", &out, &want[..4], &["path"], &[]);
}

#[test]
fn sort_on_a_column_asc_and_desc() {
    let d = data();
    let base = groups(&d, |_| true, &["path"], None);
    // A group without any rt has no average: lcount puts it last in
    // either direction.
    let avg = |g: &Group| {
        let v = nums(&d, &g.rows, "rt");
        (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
    };
    let missing_last = |a: Option<f64>, b: Option<f64>, asc: bool| match (a, b) {
        (Some(x), Some(y)) if asc => x.total_cmp(&y),
        (Some(x), Some(y)) => y.total_cmp(&x),
        (None, None) => Ordering::Equal,
        (None, _) => Ordering::Greater,
        (_, None) => Ordering::Less,
    };
    // A group without byte counts has no sum (null, sorted last).
    let sum = |g: &Group| {
        let v = nums(&d, &g.rows, "bytes");
        (!v.is_empty()).then(|| v.iter().sum::<f64>())
    };
    // (sort option, expected order; ties by the default order)
    type Cmp<'a> = Box<dyn Fn(&Group, &Group) -> Ordering + 'a>;
    let cases: Vec<(&str, Cmp)> = vec![
        ("path", Box::new(|a, b| key_cmp(&a.key, &b.key))),
        ("path:asc", Box::new(|a, b| key_cmp(&a.key, &b.key))),
        ("path:desc", Box::new(|a, b| key_cmp(&b.key, &a.key))),
        ("count", Box::new(|a, b| b.count().cmp(&a.count()).then_with(|| default_order(a, b)))),
        ("count:asc", Box::new(|a, b| a.count().cmp(&b.count()).then_with(|| default_order(a, b)))),
        (
            "avg_rt",
            Box::new(|a, b| missing_last(avg(a), avg(b), false).then_with(|| default_order(a, b))),
        ),
        (
            "avg_rt:asc",
            Box::new(|a, b| missing_last(avg(a), avg(b), true).then_with(|| default_order(a, b))),
        ),
        (
            "sum_bytes:asc",
            Box::new(|a, b| missing_last(sum(a), sum(b), true).then_with(|| default_order(a, b))),
        ),
        (
            "sum_bytes:desc",
            Box::new(|a, b| missing_last(sum(a), sum(b), false).then_with(|| default_order(a, b))),
        ),
    ];
    for (sort, cmp) in cases {
        let mut want = base.clone();
        want.sort_by(|a, b| cmp(a, b));
        let out = run(&d, &["--by", "path", "--avg", "rt", "--sum", "bytes", "--sort", sort]);
        assert_groups(sort, &out, &want, &["path"], &["avg_rt", "sum_bytes"]);
    }
    // Count ties are broken by the default order (key ascending).
    let ties = base.windows(2).filter(|w| w[0].count() == w[1].count()).count();
    assert!(ties > 0, "the data should have ties in count");
}

/// Parses RFC 4180 CSV.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                c => field.push(c),
            }
        } else {
            match c {
                '"' => quoted = true,
                ',' => row.push(std::mem::take(&mut field)),
                '\r' => {}
                '\n' => {
                    row.push(std::mem::take(&mut field));
                    rows.push(std::mem::take(&mut row));
                }
                c => field.push(c),
            }
        }
    }
    assert!(!quoted && field.is_empty() && row.is_empty(), "CSV ends with a line end: {text:?}");
    rows
}

#[test]
fn tsv_and_csv_formats() {
    let d = data();
    let want = groups(&d, |_| true, &["ua"], None);
    let tricky = "say \"hi\", bye";
    assert!(want.iter().any(|g| g.key[0] == tricky));
    let expected: Vec<Vec<String>> = want
        .iter()
        .map(|g| {
            let sum: f64 = nums(&d, &g.rows, "bytes").iter().sum();
            vec![g.key[0].as_str().unwrap().to_owned(), g.count().to_string(), sum.to_string()]
        })
        .collect();
    let check_rows = |fmt: &str, rows: &[Vec<String>]| {
        assert_eq!(rows[0], ["ua", "count", "sum_bytes"], "{fmt} header");
        assert_eq!(rows.len(), expected.len() + 1, "{fmt}");
        for (got, want) in rows[1..].iter().zip(&expected) {
            assert_eq!(got.len(), 3, "{fmt}: {got:?}");
            assert_eq!(got[..2], want[..2], "{fmt}");
            let (g, w): (f64, f64) = (got[2].parse().unwrap(), want[2].parse().unwrap());
            assert!(close(g, w, 1e-12), "{fmt}: {got:?} vs {want:?}");
        }
    };

    let csv = run_text(&d, &["--by", "ua", "--sum", "bytes", "--format", "csv"]);
    check_rows("csv", &parse_csv(&csv));
    assert!(csv.contains("\n\"say \"\"hi\"\", bye\","), "quoted: {csv}");

    let tsv = run_text(&d, &["--by", "ua", "--sum", "bytes", "--format", "tsv"]);
    let rows: Vec<Vec<String>> =
        tsv.lines().map(|l| l.split('\t').map(str::to_owned).collect()).collect();
    check_rows("tsv", &rows);
    assert!(tsv.contains("\nsay \"hi\", bye\t"), "as is: {tsv}");

    // json is the default when stdout is not a terminal, and --format json
    // says so explicitly.
    let json = run(&d, &["--by", "ua", "--format", "json"]);
    assert_groups("json", &json, &want, &["ua"], &[]);

    // The documented column order, whatever the order of the options.
    let args = [
        "--distinct",
        "client",
        "--p",
        "50,90",
        "rt",
        "--max",
        "rt",
        "--sum",
        "bytes",
        "--min",
        "rt",
        "--avg",
        "rt",
        "--every",
        "1h",
        "--by",
        "path",
        "--format",
    ];
    let header = "ts,path,count,sum_bytes,avg_rt,min_rt,max_rt,p50_rt,p90_rt,distinct_client";
    let csv = run_text(&d, &[&args[..], &["csv"]].concat());
    assert_eq!(csv.lines().next(), Some(header));
    let tsv = run_text(&d, &[&args[..], &["tsv"]].concat());
    assert_eq!(tsv.lines().next(), Some(header.replace(',', "\t").as_str()));
    let rows = parse_csv(&csv);
    let n = groups(&d, |_| true, &["path"], Some(3600)).len();
    assert_eq!(rows.len(), n + 1);
    assert!(rows.iter().all(|r| r.len() == 10), "{csv}");
    assert!(tsv.lines().all(|l| l.split('\t').count() == 10), "{tsv}");
}

#[test]
fn non_json_lines_are_reported_and_skipped() {
    let d = data();
    let good: Vec<String> = d.recs.iter().take(2000).map(|r| r.to_string()).collect();
    let mut lines: Vec<String> = good.clone();
    // 1-based line numbers of the bad lines, after insertion.
    lines.insert(2, "this is not json".into());
    lines.insert(999, r#"{"status":404"#.into());
    lines.insert(1500, "[1,2,3]".into());
    lines.insert(1700, String::new()); // a blank line is not bad
    std::fs::write(d.dir.path().join("bad.ndjson"), lines.join("\n") + "\n").unwrap();
    let run = run_in(d.dir.path(), &["--by", "status", "bad.ndjson"]);
    assert_eq!(run.code, Some(1), "stderr: {}", run.stderr);
    for n in [3, 1000, 1501] {
        assert!(run.stderr.contains(&format!("bad.ndjson:{n}:")), "line {n}: {}", run.stderr);
    }
    assert!(!run.stderr.contains(":1701:"), "{}", run.stderr);
    let mut sub = data();
    sub.recs.truncate(2000);
    sub.ts.truncate(2000);
    let want = groups(&sub, |_| true, &["status"], None);
    assert_groups("bad lines", &parse_ndjson(run.stdout.as_bytes()), &want, &["status"], &[]);
}

// ---------------------------------------------------------------------------
// Live: --interval snapshots, and SIGINT/SIGTERM ending the input.

fn signal(child: &Child, sig: &str) {
    let status = Command::new("kill").args([sig, &child.id().to_string()]).status().unwrap();
    assert!(status.success(), "kill {sig}");
}

fn spawn_lcount(args: &[&str]) -> Child {
    Command::new(bin("lcount"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn stderr_reader(child: &mut Child) -> std::thread::JoinHandle<String> {
    let mut err = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    })
}

/// Kills the child when the test fails, so that nothing is left behind.
struct KillOnDrop(Option<Child>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl KillOnDrop {
    fn child(&mut self) -> &mut Child {
        self.0.as_mut().unwrap()
    }
}

/// The expected `--by status` counts of the first `n` records.
fn status_counts(d: &Data, n: usize) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for r in &d.recs[..n] {
        *m.entry(key_of(r, "status").to_string()).or_default() += 1;
    }
    m
}

/// Snapshots seen so far: each a map from status to count, in the order
/// printed. A snapshot's records share its window_end, and have distinct
/// statuses.
#[derive(Default)]
struct Snapshots {
    done: Vec<(String, Vec<Value>)>,
}

impl Snapshots {
    fn push(&mut self, rec: Value) {
        let ws = rec["window_start"].as_str().expect("window_start").to_owned();
        let we = rec["window_end"].as_str().expect("window_end").to_owned();
        assert!(ws <= we, "window_start <= window_end: {rec}");
        // status, count, count_last, rate, window_start, window_end, final.
        assert_eq!(rec.as_object().unwrap().len(), 7, "{rec}");
        let status = rec["status"].clone();
        match self.done.last_mut() {
            Some((end, recs)) if *end == we && !recs.iter().any(|r| r["status"] == status) => {
                recs.push(rec)
            }
            _ => self.done.push((we, vec![rec])),
        }
    }

    fn counts(recs: &[Value]) -> BTreeMap<String, u64> {
        recs.iter().map(|r| (r["status"].to_string(), r["count"].as_u64().unwrap())).collect()
    }

    /// Whether the last snapshot has exactly these counts.
    fn last_is(&self, want: &BTreeMap<String, u64>) -> bool {
        self.done.last().is_some_and(|(_, recs)| Self::counts(recs) == *want)
    }
}

/// Reads snapshot lines until the last snapshot has the counts `want`.
fn wait_for_snapshot(
    rx: &mpsc::Receiver<String>,
    snaps: &mut Snapshots,
    want: &BTreeMap<String, u64>,
) {
    let deadline = Instant::now() + LIVE_WAIT;
    while !snaps.last_is(want) {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => snaps.push(serde_json::from_str(&line).unwrap()),
            // The counts may be complete but a late group not yet read:
            // the loop condition is checked after each line.
            Err(_) => panic!(
                "no snapshot with {want:?} within {LIVE_WAIT:?}; seen: {:?}",
                snaps.done.iter().map(|(_, r)| Snapshots::counts(r)).collect::<Vec<_>>()
            ),
        }
    }
}

fn write_records(stdin: &mut std::process::ChildStdin, recs: &[Value]) {
    let mut text = String::new();
    for r in recs {
        text.push_str(&r.to_string());
        text.push('\n');
    }
    stdin.write_all(text.as_bytes()).unwrap();
    stdin.flush().unwrap();
}

#[test]
fn interval_snapshots_then_sigint_prints_the_final_result() {
    let d = data();
    let mut guard = KillOnDrop(Some(spawn_lcount(&["--interval", "1s", "--by", "status"])));
    let child = guard.child();
    let mut stdin = child.stdin.take().unwrap();
    let rx = line_receiver(child.stdout.take().unwrap());
    let stderr = stderr_reader(child);
    let mut snaps = Snapshots::default();

    write_records(&mut stdin, &d.recs[..300]);
    let first = status_counts(&d, 300);
    wait_for_snapshot(&rx, &mut snaps, &first);

    write_records(&mut stdin, &d.recs[300..800]);
    let all = status_counts(&d, 800);
    wait_for_snapshot(&rx, &mut snaps, &all);
    let seen = snaps.done.len();
    assert!(seen >= 2);
    let start = snaps.done[0].1[0]["window_start"].clone();

    // Stop it with SIGINT while its input is still open.
    signal(guard.child(), "-INT");
    let deadline = Instant::now() + LIVE_WAIT;
    loop {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => snaps.push(serde_json::from_str(&line).unwrap()),
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                panic!("lcount's output did not end after SIGINT")
            }
        }
    }
    let status = wait_with_timeout(guard.child(), "lcount", LIVE_WAIT);
    guard.0 = None;
    drop(stdin);
    let stderr = stderr.join().unwrap();
    assert_eq!(status.code(), Some(0), "exit after SIGINT; stderr {stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    // The final result: printed after the signal, the full counts, largest first.
    assert!(snaps.done.len() > seen, "a final result after SIGINT");
    let (_, last) = snaps.done.last().unwrap();
    assert_eq!(Snapshots::counts(last), all);
    let counts: Vec<u64> = last.iter().map(|r| r["count"].as_u64().unwrap()).collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{counts:?}");
    // The window is the time range of the records counted: it only widens
    // (all of its times are written in UTC, so they compare as text).
    let ends: Vec<&str> = snaps.done.iter().map(|(e, _)| e.as_str()).collect();
    assert!(ends.windows(2).all(|w| w[0] <= w[1]), "{ends:?}");
    let starts: Vec<&str> =
        snaps.done.iter().map(|(_, recs)| recs[0]["window_start"].as_str().unwrap()).collect();
    assert!(starts.windows(2).all(|w| w[0] >= w[1]), "{starts:?}");
    assert!(start.as_str() >= starts.last().copied(), "{start}");
    // Only the last is final.
    let finals: Vec<bool> = snaps.done.iter().map(|(_, recs)| recs[0]["final"] == true).collect();
    assert_eq!(finals.iter().filter(|f| **f).count(), 1, "{finals:?}");
    assert_eq!(finals.last(), Some(&true));
}

#[test]
fn sigterm_prints_the_final_count() {
    let d = data();
    let want =
        d.recs.iter().filter(|r| status_of(r).is_some_and(|s| (400..500).contains(&s))).count();
    let mut guard = KillOnDrop(Some(spawn_lcount(&["--status", "4xx"])));
    let child = guard.child();
    let mut stdin = child.stdin.take().unwrap();
    let rx = line_receiver(child.stdout.take().unwrap());
    let stderr = stderr_reader(child);

    write_records(&mut stdin, &d.recs);
    // Then more than any pipe holds of records that do not count: once
    // written, lcount has read every record above.
    let pad = format!("{}\n", json!({"status": 200, "path": "/padding", "pad": "x".repeat(200)}));
    let padding = pad.repeat((2 << 20) / pad.len() + 1);
    stdin.write_all(padding.as_bytes()).unwrap();
    stdin.flush().unwrap();
    assert!(rx.try_recv().is_err(), "nothing is printed before the end");

    signal(guard.child(), "-TERM");
    let status = wait_with_timeout(guard.child(), "lcount", LIVE_WAIT);
    guard.0 = None;
    drop(stdin);
    let mut out = Vec::new();
    let deadline = Instant::now() + LIVE_WAIT;
    loop {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => out.push(line),
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => panic!("lcount's output did not end"),
        }
    }
    let stderr = stderr.join().unwrap();
    assert_eq!(status.code(), Some(0), "exit after SIGTERM; stderr {stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    assert_eq!(parse_ndjson(out.concat().as_bytes()), vec![json!({ "count": want })]);
}
