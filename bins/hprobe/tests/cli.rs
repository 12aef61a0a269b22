//! hprobe's command-line contract (shared by every tool: bins/cli_contract.rs).

const BIN: &str = env!("CARGO_BIN_EXE_hprobe");
const NAME: &str = "hprobe";

include!("../../cli_contract.rs");

#[test]
fn says_it_cannot_probe_yet() {
    let out = cmd().arg("http://127.0.0.1:9/").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8(out.stderr).unwrap().starts_with("hprobe: "));
}
