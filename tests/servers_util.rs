//! Tests of the server helpers in tests/util: a server that loses its port
//! to another process between the helper's choice and its own bind is
//! started again on other ports, and the helper returns only once the
//! server it started (not whoever holds the port) listens.
//!
//! The race is made certain instead of waited for: the helpers take their
//! ports from a function, and these tests hand them a port they hold
//! themselves first.

mod util;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;
use std::time::Duration;
use util::{free_port, start_apache, start_nginx, Server};

/// Ports from `held` first, then free ones.
fn held_first(held: Vec<u16>) -> impl FnMut() -> u16 {
    let mut held = held.into_iter();
    move || held.next().unwrap_or_else(free_port)
}

/// A TCP socket bound to a free port of 127.0.0.1 and not listening: it
/// keeps a server from binding the port without showing as a listener, so
/// the server itself fails at start-up.
fn bound_not_listening() -> (OwnedFd, u16) {
    // SAFETY: socket() takes no pointers.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    assert!(fd >= 0, "socket: {}", std::io::Error::last_os_error());
    // SAFETY: a new descriptor, owned by nothing else.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let mut addr = libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: 0,
        sin_addr: libc::in_addr { s_addr: u32::from_be_bytes([127, 0, 0, 1]).to_be() },
        sin_zero: [0; 8],
    };
    let mut len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    // SAFETY: bind and getsockname on a socket this function owns, with a
    // sockaddr_in and its size.
    let rc = unsafe { libc::bind(fd.as_raw_fd(), std::ptr::addr_of!(addr).cast(), len) };
    assert_eq!(rc, 0, "bind: {}", std::io::Error::last_os_error());
    let rc =
        unsafe { libc::getsockname(fd.as_raw_fd(), std::ptr::addr_of_mut!(addr).cast(), &mut len) };
    assert_eq!(rc, 0, "getsockname: {}", std::io::Error::last_os_error());
    let port = u16::from_be(addr.sin_port);
    (fd, port)
}

/// The whole answer of 127.0.0.1:`port` to `GET path` (HTTP/1.0, so that
/// the server closes the connection after it).
fn get(port: u16, path: &str) -> String {
    let mut conn = TcpStream::connect(("127.0.0.1", port))
        .unwrap_or_else(|e| panic!("connecting to 127.0.0.1:{port}: {e}"));
    conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(conn, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    answer
}

fn tempdir(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new().prefix(&format!("logkit-{name}-")).tempdir().unwrap()
}

/// What a test's own server says, and nobody else's would.
fn marker(dir: &Path) -> String {
    format!("the test server in {}", dir.display())
}

/// An nginx that answers `marker(dir)` to everything, on two ports.
fn nginx_answering_marker(dir: &Path, pick_port: impl FnMut() -> u16) -> (Server, [u16; 2]) {
    let marker = marker(dir);
    let http = |ports: [u16; 2]| {
        let listen: String = ports.iter().map(|p| format!("listen 127.0.0.1:{p};\n")).collect();
        format!("server {{\n{listen}location / {{\nreturn 200 \"{marker}\";\n}}\n}}\n")
    };
    start_nginx(dir, pick_port, http, vec![dir.join("error.log")])
}

/// A socket that holds the second of nginx's two ports without listening
/// makes nginx give up at start-up (its bind fails, five times): nginx is
/// started again on two other ports, both answer as the test's nginx, and
/// the failed attempt's lines are not left in the error log (the server
/// tests read every line of it as this server's).
#[test]
fn nginx_starts_again_when_its_bind_fails() {
    let tmp = tempdir("bind");
    let dir = tmp.path();
    let (_held, held_port) = bound_not_listening();
    let first = free_port();
    let (server, ports) = nginx_answering_marker(dir, held_first(vec![first, held_port]));
    assert!(!ports.contains(&held_port), "{ports:?}");
    for port in ports {
        let answer = get(port, "/");
        assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
        assert!(answer.ends_with(&marker(dir)), "{answer}");
    }
    server.stop();
    let log = std::fs::read_to_string(dir.join("error.log")).unwrap();
    assert!(!log.contains("Address already in use"), "{log}");
    assert!(!log.contains(&format!(":{held_port}")), "{log}");
}

/// Another process listens on Apache's port: Apache is started again on
/// another port, and answers there as the test's Apache.
#[test]
fn apache_moves_off_a_port_another_listener_holds() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempdir("taken");
    let dir = tmp.path();
    let docroot = dir.join("www");
    std::fs::create_dir(&docroot).unwrap();
    std::fs::write(docroot.join("marker.txt"), marker(dir)).unwrap();
    // Apache's children (www-data) read the docroot.
    for d in [dir, &docroot] {
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    std::fs::set_permissions(docroot.join("marker.txt"), std::fs::Permissions::from_mode(0o644))
        .unwrap();
    let conf = format!(
        "LoadModule authz_core_module {m}/mod_authz_core.so\n\
         ServerName localhost\n\
         DocumentRoot {docroot}\n\
         <Directory {docroot}>\n    Require all granted\n</Directory>\n",
        m = util::APACHE_MODULES,
        docroot = docroot.display(),
    );
    let held = TcpListener::bind("127.0.0.1:0").unwrap();
    let held_port = held.local_addr().unwrap().port();
    let logs = vec![dir.join("error_log")];
    let (server, [port]) = start_apache(dir, held_first(vec![held_port]), &conf, logs);
    assert_ne!(port, held_port);
    let answer = get(port, "/marker.txt");
    assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
    assert!(answer.ends_with(&marker(dir)), "{answer}");
    // Nobody connected to the port held here: the helper learns who
    // listens from /proc, not by trying the port.
    held.set_nonblocking(true).unwrap();
    let err = held.accept().unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
    server.stop();
}

/// A server that exits at start-up for another reason than its port is
/// not started again and again: the helper fails at once, with its log.
#[test]
#[should_panic(expected = "nginx exited at start-up")]
fn nginx_with_a_bad_config_is_not_retried() {
    let tmp = tempdir("bad");
    let http =
        |[port]: [u16; 1]| format!("server {{ listen 127.0.0.1:{port}; no_such_directive; }}");
    start_nginx(tmp.path(), free_port, http, vec![]);
}
