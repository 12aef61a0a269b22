//! The binary's command-line contract. (Having an integration test also
//! makes `cargo test` build the binary, which the end-to-end tests in the
//! workspace's tests/ run.)

use assert_cmd::Command;

fn cmd() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lparse"))
}

#[test]
fn help_shows_examples() {
    let out = cmd().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Examples"), "{text}");
    assert!(text.contains("lparse"), "{text}");
}

#[test]
fn version_works() {
    let out = cmd().arg("--version").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8(out.stdout).unwrap().starts_with("lparse "));
}

#[test]
fn unknown_option_is_a_usage_error() {
    let out = cmd().arg("--no-such-option").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}
