//! lcount's answers can be trusted: a field named on the command line that
//! appears in no record is named (never a silent zero), a mistyped
//! condition is a usage error, only numbers and times are ordered, values
//! beyond a double's range are reported, times compare as instants across
//! offsets and a daylight-saving change, and quiet spells show as empty
//! buckets. Every expected value is computed here, not taken from lcount.

mod util;

use serde_json::{json, Value};
use std::time::{SystemTime, UNIX_EPOCH};
use util::{bin, parse_ndjson, rfc3339};

struct Run {
    stdout: Vec<Value>,
    stderr: String,
    code: Option<i32>,
}

fn lcount(args: &[&str], input: &str) -> Run {
    let out = assert_cmd::Command::new(bin("lcount"))
        .args(args)
        .write_stdin(input)
        .timeout(std::time::Duration::from_secs(30))
        .output()
        .unwrap();
    Run {
        stdout: parse_ndjson(&out.stdout),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code(),
    }
}

/// The count lcount prints, checking that it ran cleanly.
fn count(args: &[&str], input: &str) -> u64 {
    let run = lcount(args, input);
    assert_eq!((run.code, run.stderr.as_str()), (Some(0), ""), "{args:?}");
    assert_eq!(run.stdout.len(), 1, "{args:?}");
    run.stdout[0]["count"].as_u64().unwrap()
}

const ALL_NAMING_OPTIONS: [&[&str]; 10] = [
    &["--where", "stauts=404"],
    &["--status", "404"],
    &["--by", "stauts"],
    &["--every", "1m"],
    &["--sum", "byts"],
    &["--avg", "byts"],
    &["--min", "byts"],
    &["--max", "byts"],
    &["--p", "50", "byts"],
    &["--distinct", "byts"],
];

#[test]
fn a_field_in_no_record_is_named_with_the_closest_one() {
    // No status and no ts anywhere; "stauts" and "byts" are misspelt.
    let input = "{\"Status\":404,\"bytes\":10,\"time\":\"x\"}\n{\"bytes\":5}\n";
    for args in ALL_NAMING_OPTIONS {
        let named = match args[0] {
            "--status" => r#""status" appeared in no record (did you mean "Status"?)"#,
            "--every" => r#""ts" appeared in no record"#,
            "--where" | "--by" => r#""stauts" appeared in no record (did you mean "Status"?)"#,
            _ => r#""byts" appeared in no record (did you mean "bytes"?)"#,
        };
        let run = lcount(args, input);
        assert_eq!(run.code, Some(1), "{args:?}: {}", run.stderr);
        assert_eq!(run.stderr, format!("lcount: field {named}\n"), "{args:?}");
        assert!(!run.stdout.is_empty(), "{args:?}: the result is still printed");
        // With --strict: fatal, and no result.
        let strict = lcount(&[args, &["--strict"]].concat(), input);
        assert_eq!(strict.code, Some(2), "{args:?}");
        assert_eq!(strict.stderr, format!("lcount: field {named}\n"), "{args:?}");
        assert!(strict.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn a_field_in_any_record_is_seen() {
    // Each field appears in one record only, the last; a dotted path is
    // seen by the value it leads to.
    let mut input = "{\"x\":1}\n".repeat(50);
    input.push_str(
        r#"{"status":500,"ts":"2026-11-30T04:30:00Z","bytes":3,"stauts":1,"byts":2,"req":{"host":"h"}}"#,
    );
    input.push('\n');
    for args in ALL_NAMING_OPTIONS {
        let run = lcount(&[args, &["--strict"]].concat(), &input);
        assert_eq!((run.code, run.stderr.as_str()), (Some(0), ""), "{args:?}");
    }
    let run = lcount(&["--where", "req.host=h", "--by", "req.host"], &input);
    assert_eq!((run.code, run.stderr.as_str()), (Some(0), ""));
    // No input at all: nothing is missing from nothing.
    let run = lcount(&["--strict", "--by", "stauts"], "");
    assert_eq!((run.code, run.stderr.as_str()), (Some(0), ""));
}

#[test]
fn spaces_around_operators_and_malformed_conditions() {
    let statuses = [404, 200, 404, 500, 301, 404];
    let input: String = statuses.iter().map(|s| format!("{{\"status\":{s}}}\n")).collect();
    let at_least_400 = statuses.iter().filter(|&&s| s >= 400).count() as u64;
    for cond in ["status = 404", "status=404", " status= 404 "] {
        assert_eq!(count(&["--where", cond], &input), 3, "{cond:?}");
    }
    assert_eq!(count(&["--where", "status >= 400"], &input), at_least_400);
    for (cond, fault) in [
        ("status=>404", r#""=>" is not an operator (did you mean ">="?)"#),
        ("status==", r#""==" is not an operator"#),
        ("=404", r#"no field name before "=""#),
        ("status<", r#"no value after "<""#),
        ("path>/api", r#"> compares numbers or RFC 3339 times"#),
    ] {
        let run = lcount(&["--where", cond], &input);
        assert_eq!(run.code, Some(2), "{cond:?}");
        assert!(run.stdout.is_empty(), "{cond:?}");
        assert!(run.stderr.starts_with("lcount: "), "{}", run.stderr);
        assert!(run.stderr.contains(fault), "{cond:?}: {}", run.stderr);
    }
    // Zero or negative durations, and offsets that are none.
    for (arg, value) in [
        ("--interval=0s", "0s"),
        ("--interval=-1s", "-1s"),
        ("--every=0s", "0s"),
        ("--since=0s", "0s"),
        ("--since=-5m", "-5m"),
        ("--tz=+25:00", "+25:00"),
        ("--tz=Europe/Paris", "Europe/Paris"),
    ] {
        let run = lcount(&[arg], &input);
        assert_eq!(run.code, Some(2), "{arg}");
        assert!(run.stderr.contains(&format!("{value:?}")), "{arg}: {}", run.stderr);
    }
}

#[test]
fn only_numbers_are_ordered() {
    let values =
        ["404", "[404]", r#"{"code":404}"#, "true", r#""404""#, "1e309", "500", "null", "404.0"];
    let input: String = values.iter().map(|v| format!("{{\"status\":{v}}}\n")).collect();
    // Of the values, the JSON numbers within range: 404, 500, 404.0.
    assert_eq!(count(&["--where", "status>=404"], &input), 3);
    assert_eq!(count(&["--where", "status>1e308"], &input), 0);
    assert_eq!(count(&["--where", "status<1000"], &input), 3);
    // Equality: numbers by value (404, 404.0), a string by its text ("404").
    assert_eq!(count(&["--where", "status=404"], &input), 3);
    assert_eq!(count(&["--where", "status=404.0"], &input), 2);
    assert_eq!(count(&["--where", "status!=404"], &input), values.len() as u64 - 3);
}

#[test]
fn values_beyond_range_are_reported_and_left_out() {
    let input = "{\"rt\":1}\n{\"rt\":1e309}\n{\"rt\":3}\n{\"rt\":\"-1e400\"}\n";
    let run = lcount(&["--sum", "rt", "--avg", "rt", "--max", "rt", "--p", "100", "rt"], input);
    assert_eq!(run.code, Some(1));
    assert_eq!(
        run.stdout,
        [json!({"count": 4, "sum_rt": 4, "avg_rt": 2, "max_rt": 3, "p100_rt": 3})]
    );
    // Once for the field, whatever the number of aggregates.
    let warning = "lcount: values of \"rt\" beyond a double's range (such as 1e309), \
                   left out of the aggregates: 2\n";
    assert_eq!(run.stderr, warning);
    // An aggregate of no values is null.
    let run = lcount(&["--sum", "bytes", "--min", "bytes"], "{\"bytes\":\"-\"}\n");
    assert_eq!(run.code, Some(0));
    assert_eq!(run.stdout, [json!({"count": 1, "sum_bytes": null, "min_bytes": null})]);
}

/// A log written in local time whose offset changes from +02:00 to +01:00
/// at 2026-10-25T01:00:00Z (the end of summer time in central Europe): one
/// record every 10 minutes from 23:00Z to 03:00Z.
fn dst_log() -> (Vec<i64>, String) {
    let change = 1_792_890_000; // 2026-10-25T01:00:00Z: `date -d ... +%s`
    let start = change - 2 * 3600;
    let instants: Vec<i64> = (0..=24).map(|k| start + k * 600).collect();
    let text = instants
        .iter()
        .map(|&t| {
            let offset = if t < change { 7200 } else { 3600 };
            format!("{{\"ts\":\"{}\"}}\n", rfc3339(t, None, offset))
        })
        .collect();
    (instants, text)
}

#[test]
fn times_compare_as_instants_across_a_dst_change() {
    let (instants, log) = dst_log();
    assert!(log.contains("2026-10-25T02:50:00+02:00") && log.contains("2026-10-25T02:10:00+01:00"));
    // The change itself, and an hour after it, written in each offset.
    for (boundary, written) in [
        (
            1_792_890_000,
            ["2026-10-25T01:00:00Z", "2026-10-25T03:00:00+02:00", "2026-10-25T02:00:00+01:00"],
        ),
        (
            1_792_893_600,
            ["2026-10-25T02:00:00Z", "2026-10-25T04:00:00+02:00", "2026-10-25T03:00:00+01:00"],
        ),
        // In the hour the local clock repeats: 02:30+02:00 is 00:30Z.
        (
            1_792_888_200,
            ["2026-10-25T00:30:00Z", "2026-10-25T02:30:00+02:00", "2026-10-25T01:30:00+01:00"],
        ),
    ] {
        let at_or_after = instants.iter().filter(|&&t| t >= boundary).count() as u64;
        let before = instants.len() as u64 - at_or_after;
        for w in written {
            assert_eq!(count(&["--where", &format!("ts>={w}")], &log), at_or_after, "ts>={w}");
            assert_eq!(count(&["--where", &format!("ts < {w}")], &log), before, "ts<{w}");
            assert_eq!(count(&["--since", w], &log), at_or_after, "--since {w}");
            assert_eq!(count(&["--until", w], &log), before, "--until {w}");
        }
    }
    // --min and --max: the earliest and latest instants, as written.
    let run = lcount(&["--min", "ts", "--max", "ts"], &log);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let (first, last) = (instants[0], instants[instants.len() - 1]);
    assert_eq!(
        run.stdout,
        [
            json!({"count": 25, "min_ts": rfc3339(first, None, 7200), "max_ts": rfc3339(last, None, 3600)})
        ]
    );
}

#[test]
fn since_a_duration_back_from_now() {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
    // 20 and 10 minutes ago, and 3 minutes ago at +05:30.
    let input = format!(
        "{{\"ts\":\"{}\"}}\n{{\"ts\":\"{}\"}}\n{{\"ts\":\"{}\"}}\n",
        rfc3339(now - 1200, None, 0),
        rfc3339(now - 600, None, 0),
        rfc3339(now - 180, None, 19_800)
    );
    assert_eq!(count(&["--since", "15m"], &input), 2);
    assert_eq!(count(&["--since", "1h", "--until", "5m"], &input), 2);
    assert_eq!(count(&["--until", "15m"], &input), 1);
}

#[test]
fn every_bucket_from_the_first_to_the_last() {
    // Records at 10:00:10, 10:00:50 and 10:06:00 (+02:00): the five
    // minutes between are empty.
    let input = "{\"ts\":\"2026-11-30T10:00:10+02:00\",\"path\":\"/a\"}\n\
                 {\"ts\":\"2026-11-30T10:00:50+02:00\",\"path\":\"/b\"}\n\
                 {\"ts\":\"2026-11-30T08:06:00Z\",\"path\":\"/a\"}\n";
    let minute = |m: u32, count: u64| json!({"ts": format!("2026-11-30T10:{m:02}:00+02:00"), "count": count});
    let run = lcount(&["--every", "1m"], input);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let mut want = vec![minute(0, 2)];
    want.extend((1..=5).map(|m| minute(m, 0)));
    want.push(minute(6, 1));
    assert_eq!(run.stdout, want);
    // With --by, each group's series is whole.
    let run = lcount(&["--every", "1m", "--by", "path"], input);
    let rows: Vec<(String, String, u64)> = run
        .stdout
        .iter()
        .map(|r| {
            let ts = r["ts"].as_str().unwrap()[14..16].to_owned();
            (ts, r["path"].as_str().unwrap().to_owned(), r["count"].as_u64().unwrap())
        })
        .collect();
    let mut want = Vec::new();
    for m in 0..=6 {
        let a = u64::from(m == 0 || m == 6);
        let b = u64::from(m == 0);
        // Largest count first within a minute, then the path.
        let mut minute =
            vec![(format!("{m:02}"), "/a".to_owned(), a), (format!("{m:02}"), "/b".to_owned(), b)];
        minute.sort_by(|x, y| y.2.cmp(&x.2).then(x.1.cmp(&y.1)));
        want.extend(minute);
    }
    assert_eq!(rows, want);
    // --tz labels (and aligns) the buckets at another offset.
    let run = lcount(&["--every", "1h", "--tz", "+05:30"], input);
    // 08:00:10Z to 08:06Z is 13:30:10 to 13:36 at +05:30: one hour.
    assert_eq!(run.stdout, [json!({"ts": "2026-11-30T13:00:00+05:30", "count": 3})]);
}

#[test]
fn a_misspelt_segment_of_a_dotted_path_is_named() {
    let input = "{\"req\":{\"host\":\"x\"}}\n{\"req\":\"text\"}\n";
    let warning = "lcount: field \"req.hots\" appeared in no record\n";
    for args in [&["--where", "req.hots=x"][..], &["--by", "req.hots"], &["--sum", "req.hots"]] {
        let run = lcount(args, input);
        assert_eq!((run.code, run.stderr.as_str()), (Some(1), warning), "{args:?}");
        let strict = lcount(&[&["--strict"], args].concat(), input);
        assert_eq!(strict.code, Some(2), "{args:?}");
    }
    // The path that is there counts as seen.
    assert_eq!(count(&["--where", "req.host=x"], input), 1);
}

#[test]
fn a_sum_beyond_a_double_is_said_not_shown_as_no_values() {
    let input = "{\"v\":1e308}\n{\"v\":1e308}\n{\"v\":-1e308}\n{\"w\":1}\n";
    let run = lcount(&["--sum", "v", "--avg", "v", "--sum", "w"], input);
    assert_eq!(run.code, Some(1));
    assert_eq!(run.stdout, [json!({"count": 4, "sum_v": null, "avg_v": null, "sum_w": 1})]);
    assert_eq!(
        run.stderr,
        "lcount: the sum of \"v\" went beyond a double's range (about 1.8e308): its sum and mean are shown as null\n"
    );
}
