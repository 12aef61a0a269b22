//! `ltail --merge` on the sample logs: every line once, in time order.

mod util;

use std::process::Command;

/// A sortable time for the three formats in examples/ (all written in UTC):
/// `[27/Nov/2026:03:22:43 +0000]`, `2026/11/27 03:22:46` and
/// `[Fri Nov 27 03:22:39.860758 2026]`, as `2026-11-27T03:22:43.000000`.
fn time_of(line: &str) -> Option<String> {
    if let Some(i) = line.find("/Nov/2026:") {
        let day = &line[i - 2..i];
        let clock = &line[i + 10..i + 18];
        return Some(format!("2026-11-{day}T{clock}.000000"));
    }
    if line.starts_with("2026/11/") {
        return Some(format!("2026-11-{}T{}.000000", &line[8..10], &line[11..19]));
    }
    if line.starts_with("[Fri Nov 27 ") {
        let clock = &line[12..27];
        return Some(format!("2026-11-27T{clock}"));
    }
    None
}

#[test]
fn merged_sample_logs_keep_every_line_in_time_order() {
    let root = util::repo_root();
    let files = [
        "examples/nginx/access.log",
        "examples/nginx/error.log",
        "examples/apache/access_log",
        "examples/apache/error_log",
    ];
    let out = Command::new(util::bin("ltail"))
        .arg("--merge")
        .args(files)
        .current_dir(&root)
        .env("TZ", "UTC")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    let records = util::parse_ndjson(&out.stdout);

    // Every line of every file, once.
    let mut want: Vec<(String, String)> = Vec::new();
    for f in files {
        for line in std::fs::read_to_string(root.join(f)).unwrap().lines() {
            want.push((f.to_string(), line.to_string()));
        }
    }
    let mut got: Vec<(String, String)> = records
        .iter()
        .map(|r| (r["src"].as_str().unwrap().to_string(), r["line"].as_str().unwrap().to_string()))
        .collect();
    // Per file, the order is the file's own.
    for f in files {
        let of = |v: &Vec<(String, String)>| {
            v.iter().filter(|(s, _)| s == f).map(|(_, l)| l.clone()).collect::<Vec<_>>()
        };
        assert_eq!(of(&got), of(&want), "{f}");
    }
    // Across files, times never go back.
    let times: Vec<String> = got.iter().filter_map(|(_, l)| time_of(l)).collect();
    assert_eq!(times.len(), want.iter().filter(|(_, l)| time_of(l).is_some()).count());
    for pair in times.windows(2) {
        assert!(pair[0] <= pair[1], "{} then {}", pair[0], pair[1]);
    }
    got.sort();
    want.sort();
    assert_eq!(got, want);
}

/// Lines with equal times come in the order of the files on the command
/// line, whatever the files' names, and in the reverse order when the
/// arguments are reversed; a later time still comes after an earlier one.
#[test]
fn equal_times_keep_the_order_of_the_arguments() {
    let dir = tempfile::tempdir().unwrap();
    // Named so that the order of the names is not the order of either run.
    let (first, second) = ("z.log", "a.log");
    let early = "2026-11-27T03:22:43Z";
    let late = "2026-11-27T03:22:44Z";
    for name in [first, second] {
        let text = format!("{early} {name} early\n{late} {name} late\n");
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let merged = |files: [&str; 2]| -> Vec<(String, String)> {
        let out = Command::new(util::bin("ltail"))
            .arg("--merge")
            .args(files)
            .current_dir(dir.path())
            .env("TZ", "UTC")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        util::parse_ndjson(&out.stdout)
            .iter()
            .map(|r| {
                (r["src"].as_str().unwrap().to_owned(), r["line"].as_str().unwrap().to_owned())
            })
            .collect()
    };
    let rec =
        |name: &str, time: &str, which: &str| (name.to_owned(), format!("{time} {name} {which}"));

    assert_eq!(
        merged([first, second]),
        [
            rec(first, early, "early"),
            rec(second, early, "early"),
            rec(first, late, "late"),
            rec(second, late, "late"),
        ]
    );
    assert_eq!(
        merged([second, first]),
        [
            rec(second, early, "early"),
            rec(first, early, "early"),
            rec(second, late, "late"),
            rec(first, late, "late"),
        ]
    );
}
