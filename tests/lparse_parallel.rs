//! A large regular file is parsed on several cores; its records, their
//! order and the messages about bad lines must be exactly those of the
//! same bytes read from a pipe (one thread).

mod util;

use std::io::Write;

/// Big enough to go parallel (8 MiB and more).
const SIZE: usize = 12 << 20;

/// lparse on `path` as a file argument, and on the same bytes through a
/// pipe: (stdout, stderr, status) of each, the file's records without the
/// `src` that the pipe's do not have.
fn both(path: &std::path::Path) -> [(Vec<u8>, String, Option<i32>); 2] {
    let [mut file, piped] = util::file_and_pipe("lparse", &["--tz", "UTC"], path);
    let label = path.display().to_string();
    let src = format!("{{\"src\":{},", serde_json::to_string(&label).unwrap());
    file.0 = String::from_utf8(file.0)
        .unwrap()
        .lines()
        .map(|l| format!("{{{}\n", l.strip_prefix(&src).expect("record starts with src")))
        .collect::<String>()
        .into_bytes();
    [file, piped]
}

fn write_lines(name: &str, mut line: impl FnMut(usize) -> String) -> tempfile::TempPath {
    let mut file = tempfile::Builder::new().prefix(name).tempfile().unwrap();
    let mut size = 0;
    let mut i = 0;
    let mut buf = String::new();
    while size < SIZE {
        let l = line(i);
        size += l.len() + 1;
        buf.push_str(&l);
        buf.push('\n');
        i += 1;
    }
    file.write_all(buf.as_bytes()).unwrap();
    file.into_temp_path()
}

fn access(i: usize) -> String {
    format!(
        "10.0.{}.{} - - [27/Nov/2026:03:{:02}:{:02} +0100] \"GET /p/{i}?q={} HTTP/1.1\" {} {} \"-\" \"ua {}\"",
        i % 200,
        i % 250,
        i / 60 % 60,
        i % 60,
        i * 7,
        [200, 404, 301, 500][i % 4],
        i % 9000,
        i % 13
    )
}

fn assert_same(path: &std::path::Path) {
    let [file, piped] = both(path);
    assert_eq!(file.2, piped.2, "exit status");
    assert_eq!(file.1, piped.1, "stderr");
    assert!(file.0 == piped.0, "records differ ({} and {} bytes)", file.0.len(), piped.0.len());
}

#[test]
fn one_format_with_bad_lines() {
    let path = write_lines("par-access-", |i| {
        if i % 20_000 == 7 {
            format!("junk line {i}")
        } else {
            access(i)
        }
    });
    assert_same(&path);
}

#[test]
fn formats_changing_from_chunk_to_chunk() {
    // Runs of a few thousand lines of each format: chunks start in the
    // middle of runs, with other choices than the start of the file. The
    // reason given for a bad line is the one of the format tried first,
    // so these lines show whether each chunk started from the right one.
    let path = write_lines("par-mixed-", |i| {
        match i / 3000 % 3 {
        _ if i % 2 == 1 => format!("[junk {i}"),
        0 => access(i),
        1 => format!(
            "2026/11/27 03:22:{:02} [error] 1234#1234: *{i} open() \"/srv/x{i}\" failed (2: No such file or directory), client: 10.0.0.1, server: _, request: \"GET /x{i} HTTP/1.1\", host: \"h\"",
            i % 60
        ),
        _ => format!("ts=2026-11-27T03:22:{:02}Z level=info msg=\"hello {i}\" n={i}", i % 60),
    }
    });
    assert_same(&path);
}

#[test]
fn a_format_with_state_stays_on_one_thread() {
    // Access lines first, so that lparse goes parallel, then W3C lines
    // whose parse depends on the #Fields: header before them.
    let path = write_lines("par-w3c-", |i| {
        if i < 20_000 {
            access(i)
        } else if i % 50_000 == 0 || i == 20_000 {
            "#Fields: date time cs-method cs-uri-stem sc-status time-taken".to_string()
        } else {
            format!("2026-11-27 03:22:{:02} GET /w/{i} {} {}", i % 60, [200, 404][i % 2], i % 500)
        }
    });
    assert_same(&path);
}
