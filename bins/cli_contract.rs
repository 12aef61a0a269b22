// The command-line contract every tool keeps, included by each binary's
// tests/cli.rs after it defines `BIN` (the binary's path) and `NAME`.
// (Having an integration test also makes `cargo test` build the binary,
// which the end-to-end tests in the workspace's tests/ run.)

use assert_cmd::Command;

fn cmd() -> Command {
    Command::new(BIN)
}

#[test]
fn help_shows_examples() {
    let out = cmd().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Examples"), "{text}");
    assert!(text.contains(NAME), "{text}");
}

#[test]
fn version_works() {
    let out = cmd().arg("--version").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8(out.stdout).unwrap().starts_with(&format!("{NAME} ")));
}

#[test]
fn unknown_option_is_a_usage_error() {
    let out = cmd().arg("--no-such-option").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with(&format!("{NAME}: ")), "{err}");
}
