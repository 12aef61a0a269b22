//! hprobe's command-line contract (shared by every tool: bins/cli_contract.rs).

const BIN: &str = env!("CARGO_BIN_EXE_hprobe");
const NAME: &str = "hprobe";

include!("../../cli_contract.rs");

#[test]
fn bad_urls_and_options_are_usage_errors() {
    for args in [
        &["ftp://127.0.0.1/"][..],
        &["-H", "no colon", "http://127.0.0.1:9/"],
        &["--resolve", "h:80", "http://h/"],
        &["-q", "0", "http://127.0.0.1:9/"],
        &["--timeout", "soon", "http://127.0.0.1:9/"],
        &["--replay-speed", "1", "http://127.0.0.1:9/"],
        &["http://127.0.0.1:99999/"],
        &["-q", "1e-300", "-n", "2", "http://127.0.0.1:9/"],
        &["-z", "9999999999999999999s", "http://127.0.0.1:9/"],
        &["--connect-timeout", "9999999999999999999s", "http://127.0.0.1:9/"],
    ] {
        let out = cmd().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty());
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.starts_with("hprobe: "), "{args:?}: {err}");
    }
}

#[test]
fn a_refused_connection_is_a_record_and_exit_1() {
    // Port 9 (discard) on loopback: nothing listens there in a test sandbox.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let out = cmd().arg(format!("http://127.0.0.1:{port}/x")).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let rec: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rec["err"], "connect", "{rec}");
    assert_eq!(rec["seq"], 1);
    assert!(rec.get("status").is_none());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("connect: 1"), "{err}");
}
