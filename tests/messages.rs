//! Messages on stderr quote data (a record's `src`, a file name, a bit of a
//! line): control characters in it are escaped, so that log data cannot
//! drive the terminal stderr usually is.

mod util;

use util::{pipeline, tool};

fn assert_no_control(stderr: &[u8]) {
    let text = String::from_utf8_lossy(stderr);
    assert!(!text.is_empty());
    for c in text.chars() {
        assert!(c == '\n' || !c.is_control(), "raw {c:?} in {text:?}");
    }
}

#[test]
fn an_escape_sequence_in_src_is_shown_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let input = b"{\"src\":\"\\u001b[31mEVIL\\u001b[0m\",\"line\":\"garbage\"}\n".to_vec();
    let run = pipeline(dir.path(), &[tool::<&str>("lparse", &[])], Some(input));
    assert_eq!(run.status[0].code(), Some(1));
    assert_no_control(&run.stderr[0]);
    let text = String::from_utf8_lossy(&run.stderr[0]);
    assert!(text.contains("\\u{1b}[31mEVIL"), "{text}");
}

#[test]
fn a_file_name_with_control_characters_is_shown_escaped() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["lcount", "lparse", "ltail", "lgrep"] {
        let run = pipeline(dir.path(), &[tool(name, &["no\x07such\x1b]0;title\x07.log"])], None);
        assert_ne!(run.status[0].code(), Some(0), "{name}");
        assert_no_control(&run.stderr[0]);
    }
}
