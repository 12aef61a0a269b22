//! Helpers for the end-to-end tests: finding the tools' binaries and running
//! real pipelines of real processes.
#![allow(dead_code)]

use std::ffi::{OsStr, OsString};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long any one process may run before the test gives up on it.
pub const PROCESS_TIMEOUT: Duration = Duration::from_secs(30);

/// The repository root (the root package's directory).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The path of one of the workspace's binaries.
///
/// The root package cannot use `CARGO_BIN_EXE_<name>` for other packages'
/// binaries, so it looks next to this test executable: that is
/// `target/<profile>/deps/pipeline-<hash>`, and the binaries are in
/// `target/<profile>/`.
pub fn bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable's path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test executable is in target/<profile>/deps/");
    let path = profile_dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "binary `{name}` not found at {}: run `cargo test --workspace` or `cargo build` first",
        path.display()
    );
    path
}

/// One stage of a pipeline: a program and its arguments.
#[derive(Debug, Clone)]
pub struct Stage {
    pub program: PathBuf,
    pub args: Vec<OsString>,
}

/// A stage running one of the workspace's tools.
pub fn tool<S: AsRef<OsStr>>(name: &str, args: &[S]) -> Stage {
    Stage { program: bin(name), args: args.iter().map(|a| a.as_ref().to_owned()).collect() }
}

/// A stage running a system program found on PATH (such as `head`).
pub fn external<S: AsRef<OsStr>>(program: &str, args: &[S]) -> Stage {
    Stage {
        program: PathBuf::from(program),
        args: args.iter().map(|a| a.as_ref().to_owned()).collect(),
    }
}

/// What a pipeline did: the last stage's stdout, and each stage's stderr
/// and exit status (in stage order).
#[derive(Debug)]
pub struct Finished {
    pub stdout: Vec<u8>,
    pub stderr: Vec<Vec<u8>>,
    pub status: Vec<ExitStatus>,
    pub names: Vec<String>,
}

impl Finished {
    pub fn stdout_str(&self) -> &str {
        std::str::from_utf8(&self.stdout).expect("pipeline output is UTF-8")
    }

    /// The non-empty lines of stdout, each parsed as JSON.
    pub fn records(&self) -> Vec<serde_json::Value> {
        parse_ndjson(&self.stdout)
    }

    /// Panics, showing every stage's stderr, unless every stage exited 0
    /// and wrote nothing on stderr.
    pub fn assert_clean(&self) {
        for i in 0..self.status.len() {
            assert!(
                self.status[i].success() && self.stderr[i].is_empty(),
                "stage {} ({}) exited with {} and stderr {:?}",
                i,
                self.names[i],
                self.status[i],
                String::from_utf8_lossy(&self.stderr[i])
            );
        }
    }
}

/// Parses NDJSON output, one value per non-empty line.
pub fn parse_ndjson(out: &[u8]) -> Vec<serde_json::Value> {
    out.split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            serde_json::from_slice(l).unwrap_or_else(|e| {
                panic!("output line is not JSON ({e}): {:?}", String::from_utf8_lossy(l))
            })
        })
        .collect()
}

fn read_all_in_thread<R: Read + Send + 'static>(mut r: R) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        r.read_to_end(&mut buf).expect("reading a child's output");
        buf
    })
}

/// Waits for a child, killing it (and failing the test) after the timeout.
pub fn wait_with_timeout(child: &mut Child, what: &str, timeout: Duration) -> ExitStatus {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().expect("waiting for a child") {
            return status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not exit within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Whether process `pid` has a handler for signal number `signal` (its bit
/// in `SigCgt` of `/proc/PID/status`); false if the process is gone. A tool
/// gets its handlers in its first milliseconds; a signal sent before that
/// takes the default action, which ends any program, so a test that means to
/// check the tool's handling waits for this first.
pub fn catches(pid: u32, signal: i32) -> bool {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return false;
    };
    status
        .lines()
        .find_map(|l| l.strip_prefix("SigCgt:"))
        .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
        .is_some_and(|mask| mask & (1 << (signal - 1)) != 0)
}

/// Runs `stages` as one pipeline of real processes connected by real pipes
/// (`a | b | c`), in `dir`, with `input` (if any) written to the first
/// stage's stdin, which otherwise reads nothing.
pub fn pipeline(dir: &Path, stages: &[Stage], input: Option<Vec<u8>>) -> Finished {
    assert!(!stages.is_empty());
    let mut children: Vec<Child> = Vec::new();
    let mut stderr_threads = Vec::new();
    let mut names = Vec::new();
    let mut prev_stdout: Option<ChildStdout> = None;
    let mut first_stdin = None;
    for (i, stage) in stages.iter().enumerate() {
        let stdin = match prev_stdout.take() {
            Some(out) => Stdio::from(out),
            None if input.is_some() => Stdio::piped(),
            None => Stdio::null(),
        };
        // The Command (and with it our copy of the pipe's read end) is
        // dropped right after the spawn, so that only the child holds it:
        // when that child exits, its writer gets a broken pipe.
        let mut child = Command::new(&stage.program)
            .args(&stage.args)
            .current_dir(dir)
            .stdin(stdin)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("spawning {}: {e}", stage.program.display()));
        if i == 0 {
            first_stdin = child.stdin.take();
        }
        prev_stdout = child.stdout.take();
        stderr_threads.push(read_all_in_thread(child.stderr.take().unwrap()));
        names.push(stage.program.file_name().unwrap().to_string_lossy().into_owned());
        children.push(child);
    }
    let writer = match (first_stdin, input) {
        (Some(mut stdin), Some(data)) => Some(std::thread::spawn(move || {
            // The first stage may stop reading early; that is its business.
            let _ = stdin.write_all(&data);
        })),
        _ => None,
    };
    let stdout_thread = read_all_in_thread(prev_stdout.take().unwrap());
    let status: Vec<ExitStatus> = children
        .iter_mut()
        .zip(&names)
        .map(|(c, name)| wait_with_timeout(c, name, PROCESS_TIMEOUT))
        .collect();
    if let Some(w) = writer {
        w.join().unwrap();
    }
    Finished {
        stdout: stdout_thread.join().unwrap(),
        stderr: stderr_threads.into_iter().map(|t| t.join().unwrap()).collect(),
        status,
        names,
    }
}

/// What `name args FILE` did, and `name args` with the file's bytes on
/// stdin (one thread and several, for a large file): (stdout, stderr, exit
/// code) of each, the file's name in the first's messages written as `-`,
/// as the second names its input.
pub fn file_and_pipe(
    name: &str,
    args: &[&str],
    path: &Path,
) -> [(Vec<u8>, String, Option<i32>); 2] {
    let dir = path.parent().unwrap();
    let mut file_args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
    file_args.push(path.as_os_str());
    let file = pipeline(dir, &[tool(name, &file_args)], None);
    let piped = pipeline(dir, &[tool(name, args)], Some(std::fs::read(path).unwrap()));
    let label = path.display().to_string();
    [file, piped].map(|run| {
        let stderr = String::from_utf8(run.stderr[0].clone()).unwrap().replace(&label, "-");
        (run.stdout, stderr, run.status[0].code())
    })
}

/// Reads a child's stdout line by line on a thread, so that the test can
/// wait for a line with a timeout.
pub fn line_receiver(stdout: ChildStdout) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            }
        }
    });
    rx
}

/// Every line still to come from a [`line_receiver`] whose process has
/// exited: read until its stdout ends (not only what has arrived, which
/// after a busy moment can be short of the last line), within `timeout`.
pub fn rest_of(rx: &mpsc::Receiver<String>, timeout: Duration) -> Vec<String> {
    let deadline = Instant::now() + timeout;
    let mut lines = Vec::new();
    loop {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => lines.push(line),
            Err(mpsc::RecvTimeoutError::Disconnected) => return lines,
            Err(mpsc::RecvTimeoutError::Timeout) => panic!("stdout still open after {timeout:?}"),
        }
    }
}

/// A small seeded PRNG (xorshift64*) for generated test data: the same seed
/// gives the same sequence, so a failure can be replayed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// In `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        (self.next() >> 11) % n
    }

    /// In `lo..=hi`.
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// Skewed towards 0, so that groups have clearly different counts.
    pub fn skewed(&mut self, n: u64) -> u64 {
        self.below(n).min(self.below(n))
    }

    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

// ---------------------------------------------------------------------------
// Real servers (nginx, Apache httpd) run as child processes

/// How long a server may take to start, or to stop.
pub const START_TIMEOUT: Duration = Duration::from_secs(10);
pub const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// How many times a server helper starts its server, each time on new
/// ports, when another process takes a port between its choice and the
/// server's bind.
pub const START_ATTEMPTS: usize = 5;

/// A port that was free a moment ago, and not handed to another test of
/// this process (the tests run in parallel; the kernel may give the same
/// ephemeral port twice once the probing socket is closed).
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    loop {
        let l = TcpListener::bind("127.0.0.1:0").expect("binding 127.0.0.1:0");
        let port = l.local_addr().unwrap().port();
        let mut given = GIVEN.lock().unwrap();
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

/// The inodes of the sockets listening on `port` of 127.0.0.1, or of every
/// address (0.0.0.0, which holds the port on 127.0.0.1 too), from
/// /proc/net/tcp (a test connection would show up in the servers' logs).
fn listeners(port: u16) -> Vec<u64> {
    let local = [format!("0100007F:{port:04X}"), format!("00000000:{port:04X}")];
    let tcp = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    tcp.lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let listens = f.len() > 9 && local.iter().any(|a| a == f[1]) && f[3] == "0A";
            listens.then(|| f[9].parse().ok()).flatten()
        })
        .collect()
}

/// Whether something listens on 127.0.0.1:`port`.
pub fn listening(port: u16) -> bool {
    !listeners(port).is_empty()
}

/// The inodes of the sockets that process `pid` holds open, from its
/// descriptors' links in /proc/PID/fd (`socket:[INODE]`).
fn socket_inodes(pid: u32) -> Vec<u64> {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else { return Vec::new() };
    fds.filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .filter_map(|link| link.to_str()?.strip_prefix("socket:[")?.strip_suffix(']')?.parse().ok())
        .collect()
}

/// Who listens on the ports a server was given.
#[derive(Debug, PartialEq, Eq)]
enum Listeners {
    /// The server, on every port, and nobody else.
    Ours,
    /// Another socket (of inode `.1`) listens on port `.0`: another
    /// process's, which the server cannot bind, or the server's own as it
    /// exits (its descriptors are gone before its listeners).
    Taken(u16, u64),
    /// Nobody yet on some port.
    Pending,
}

fn who_listens(pid: u32, ports: &[u16]) -> Listeners {
    // The listeners first: a socket already listening is already among the
    // server's descriptors when those are read next.
    let listeners: Vec<(u16, Vec<u64>)> = ports.iter().map(|&p| (p, listeners(p))).collect();
    let ours = socket_inodes(pid);
    let mut all = true;
    for (port, inodes) in listeners {
        if let Some(&other) = inodes.iter().find(|i| !ours.contains(i)) {
            return Listeners::Taken(port, other);
        }
        all &= !inodes.is_empty();
    }
    if all {
        Listeners::Ours
    } else {
        Listeners::Pending
    }
}

pub fn require(binary: &str, package: &str) {
    assert!(
        Path::new(binary).is_file(),
        "{binary} not found: these tests run the real server; install it \
         (`apt-get install {package}`)"
    );
}

/// Where Debian's nginx package puts the server.
pub const NGINX: &str = "/usr/sbin/nginx";

/// Where Debian's apache2 package puts the server, and its modules.
pub const APACHE: &str = "/usr/sbin/apache2";
pub const APACHE_MODULES: &str = "/usr/lib/apache2/modules";

/// Starts nginx in the foreground, one process, on `N` ports taken from
/// `pick_port` (`free_port`, but for the test of this helper), with
/// `http(ports)` as the contents of its `http { }` block, and everything
/// else in `dir`: the config (`dir/nginx.conf`), the pid file, the error log
/// (`dir/error.log`, level info) and the temporary directories. Returns the
/// server and its ports once nginx itself listens on every one of them; when
/// another process takes one first, starts again on new ports (up to
/// [`START_ATTEMPTS`] times). `logs` are shown when something goes wrong,
/// and removed before each new start.
pub fn start_nginx<const N: usize>(
    dir: &Path,
    pick_port: impl FnMut() -> u16,
    http: impl Fn([u16; N]) -> String,
    logs: Vec<PathBuf>,
) -> (Server, [u16; N]) {
    require(NGINX, "nginx");
    let d = dir.display();
    let conf_path = dir.join("nginx.conf");
    let configure = |ports| {
        let conf = format!(
            r#"daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log info;

events {{
    worker_connections 256;
}}

http {{
    client_body_temp_path {d}/client_body;
    proxy_temp_path       {d}/proxy;
    fastcgi_temp_path     {d}/fastcgi;
    uwsgi_temp_path       {d}/uwsgi;
    scgi_temp_path        {d}/scgi;

{http}
}}
"#,
            http = http(ports)
        );
        std::fs::write(&conf_path, conf).unwrap();
    };
    let args = |extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = vec![
            "-p".into(),
            format!("{d}/"),
            "-e".into(),
            format!("{d}/error.log"),
            "-c".into(),
            conf_path.display().to_string(),
        ];
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let mut stop = vec![NGINX.to_owned()];
    stop.extend(args(&["-s", "quit"]));
    let launch = Launch { name: "nginx", program: NGINX, args: args(&[]), stop, dir, logs };
    Server::start(launch, pick_port, configure)
}

/// Starts Apache httpd in the foreground on `N` ports taken from
/// `pick_port`, with `conf` after the process-level config that this helper
/// writes (paths in `dir`, the event MPM with few threads, children as
/// www-data, `Listen 127.0.0.1:PORT` for each port, the error log
/// `dir/error_log` at level info): `conf` loads the other modules it needs
/// and says what to serve. The config is `dir/httpd.conf`. Returns like
/// [`start_nginx`], and starts again on new ports the same way.
pub fn start_apache<const N: usize>(
    dir: &Path,
    pick_port: impl FnMut() -> u16,
    conf: &str,
    logs: Vec<PathBuf>,
) -> (Server, [u16; N]) {
    require(APACHE, "apache2");
    let d = dir.display();
    let m = APACHE_MODULES;
    let conf_path = dir.join("httpd.conf");
    let configure = |ports: [u16; N]| {
        let listen: String = ports.iter().map(|p| format!("Listen 127.0.0.1:{p}\n")).collect();
        let text = format!(
            r#"ServerRoot {d}
DefaultRuntimeDir {d}
PidFile {d}/httpd.pid
Mutex file:{d} default
ScoreBoardFile {d}/scoreboard

LoadModule mpm_event_module {m}/mod_mpm_event.so
# mod_log_config, mod_logio and mod_unixd are compiled into Debian's apache2.

User www-data
Group www-data

{listen}StartServers 1
ServerLimit 2
ThreadsPerChild 8
MaxRequestWorkers 16
MinSpareThreads 1
MaxSpareThreads 16

ErrorLog {d}/error_log
LogLevel info

{conf}"#
        );
        std::fs::write(&conf_path, text).unwrap();
    };
    let conf_arg = conf_path.display().to_string();
    let stop = vec![APACHE.to_owned(), "-f".into(), conf_arg.clone(), "-k".into(), "stop".into()];
    let args = vec!["-f".to_owned(), conf_arg, "-DFOREGROUND".to_owned()];
    let launch = Launch { name: "apache2", program: APACHE, args, stop, dir, logs };
    Server::start(launch, pick_port, configure)
}

/// How to run a server, whatever its ports (which only its config names).
struct Launch<'a> {
    name: &'static str,
    program: &'a str,
    args: Vec<String>,
    /// The command that asks the server to stop.
    stop: Vec<String>,
    /// Where its output goes (`dir/NAME.out`).
    dir: &'a Path,
    /// Files worth showing when something goes wrong.
    logs: Vec<PathBuf>,
}

/// A server running as a child process; stopped (or killed) when dropped.
pub struct Server {
    name: &'static str,
    child: Option<Child>,
    /// The command that asks the server to stop.
    stop: Vec<String>,
    /// Files worth showing when something goes wrong.
    logs: Vec<PathBuf>,
}

impl Server {
    /// Runs the server on ports from `pick_port`, after `configure` has
    /// written its config for them, until it listens on them itself;
    /// starts again on new ports when it lost one to another process.
    fn start<const N: usize>(
        launch: Launch<'_>,
        mut pick_port: impl FnMut() -> u16,
        configure: impl Fn([u16; N]),
    ) -> (Server, [u16; N]) {
        let Launch { name, program, args, stop, dir, mut logs } = launch;
        let out_path = dir.join(format!("{name}.out"));
        logs.push(out_path.clone());
        let mut lost = Vec::new();
        for attempt in 0..START_ATTEMPTS {
            if attempt > 0 {
                // What the last attempt logged (a bind error, its pid) is
                // not this server's.
                for log in &logs {
                    let _ = std::fs::remove_file(log);
                }
            }
            let ports: [u16; N] = std::array::from_fn(|_| pick_port());
            configure(ports);
            let out = std::fs::File::create(&out_path).unwrap();
            let child = Command::new(program)
                .args(&args)
                .stdin(Stdio::null())
                .stdout(out.try_clone().unwrap())
                .stderr(out)
                .spawn()
                .unwrap_or_else(|e| panic!("starting {program}: {e}"));
            let mut server =
                Server { name, child: Some(child), stop: stop.clone(), logs: logs.clone() };
            match server.wait_listening(&ports) {
                Ok(()) => return (server, ports),
                Err(why) => lost.push(why),
            }
        }
        panic!("{name} lost its ports to other processes {START_ATTEMPTS} times: {lost:?}");
    }

    /// Waits until the server listens on every port itself. A port that
    /// another process took first is an `Err` saying which (the server,
    /// which cannot start, is gone); any other failure panics.
    fn wait_listening(&mut self, ports: &[u16]) -> Result<(), String> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let child = self.child.as_mut().unwrap();
            match who_listens(child.id(), ports) {
                Listeners::Ours => return Ok(()),
                Listeners::Taken(port, inode) => {
                    // Not waiting for the server to give up, after its own
                    // retries (nginx: five binds, 500 ms apart).
                    let _ = child.kill();
                    let status = child.wait().unwrap();
                    self.child = None;
                    if listeners(port).contains(&inode) {
                        return Err(format!("127.0.0.1:{port} has another listener"));
                    }
                    return self.exited(status, ports);
                }
                Listeners::Pending => {}
            }
            if let Some(status) = child.try_wait().unwrap() {
                self.child = None;
                return self.exited(status, ports);
            }
            assert!(
                Instant::now() < deadline,
                "{} is not listening on 127.0.0.1, ports {ports:?}, after {START_TIMEOUT:?}{}",
                self.name,
                self.show_logs()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Why the server exited at start-up: an `Err` when a bind failed (the
    /// port was taken), a panic with its logs for anything else.
    fn exited(&self, status: ExitStatus, ports: &[u16]) -> Result<(), String> {
        let logs = self.show_logs();
        // EADDRINUSE, as nginx and Apache both write it.
        if logs.contains("Address already in use") {
            return Err(format!("{ports:?}: a port was in use at the bind"));
        }
        panic!("{} exited at start-up with {status}{logs}", self.name);
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("the server is running").id()
    }

    pub fn show_logs(&self) -> String {
        let mut s = String::new();
        for log in &self.logs {
            let text = std::fs::read(log).map(|b| String::from_utf8_lossy(&b).into_owned());
            s += &format!("\n--- {}:\n{}", log.display(), text.unwrap_or_else(|e| e.to_string()));
        }
        s
    }

    /// Asks the server to stop, and waits for it.
    pub fn stop(mut self) {
        let Some(mut child) = self.child.take() else { return };
        let out = Command::new(&self.stop[0]).args(&self.stop[1..]).output();
        match out {
            Ok(o) if o.status.success() => {}
            other => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "stopping {} with {:?}: {other:?}{}",
                    self.name,
                    self.stop,
                    self.show_logs()
                );
            }
        }
        let status = wait_with_timeout(&mut child, self.name, STOP_TIMEOUT);
        assert!(status.success(), "{} exited with {status}{}", self.name, self.show_logs());
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new(&self.stop[0]).args(&self.stop[1..]).output();
            let deadline = Instant::now() + STOP_TIMEOUT;
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// What a command wrote to a pseudo-terminal as its stdout: the exact bytes
/// (raw mode, so no LF became CRLF), its stderr and exit status.
pub struct OnTerminal {
    pub shown: Vec<u8>,
    pub stderr: String,
    pub status: ExitStatus,
}

impl OnTerminal {
    /// What was shown, as text: tools send a terminal UTF-8 only.
    pub fn shown_str(&self) -> &str {
        std::str::from_utf8(&self.shown).expect("the terminal was sent UTF-8")
    }
}

/// A pseudo-terminal in raw mode, for the human views: a tool decides what
/// to write by whether its stdout is a terminal.
pub struct Pty {
    /// The side the test reads what was shown from.
    master: std::os::fd::OwnedFd,
    /// The terminal the command writes to.
    terminal: std::os::fd::OwnedFd,
}

impl Pty {
    /// Opens a pseudo-terminal and puts it in raw mode.
    pub fn open() -> Pty {
        Pty::open_in(true)
    }

    /// Opens a pseudo-terminal, in raw mode or in the mode a new terminal
    /// has.
    fn open_in(raw: bool) -> Pty {
        use rustix::fs::{Mode, OFlags};
        use rustix::pty::{grantpt, openpt, ptsname, unlockpt, OpenptFlags};
        use rustix::termios::{tcgetattr, tcsetattr, OptionalActions};

        let master =
            openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC).unwrap();
        grantpt(&master).unwrap();
        unlockpt(&master).unwrap();
        let name = ptsname(&master, Vec::new()).unwrap();
        let flags = OFlags::RDWR | OFlags::NOCTTY | OFlags::CLOEXEC;
        let terminal = rustix::fs::open(name.as_c_str(), flags, Mode::empty()).unwrap();
        if raw {
            let mut mode = tcgetattr(&terminal).unwrap();
            mode.make_raw();
            tcsetattr(&terminal, OptionalActions::Now, &mode).unwrap();
        }
        Pty { master, terminal }
    }

    /// Gives the terminal a window of `rows` by `cols`, as a command sees
    /// it (TIOCGWINSZ).
    pub fn with_size(self, rows: u16, cols: u16) -> Pty {
        let size =
            rustix::termios::Winsize { ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 };
        rustix::termios::tcsetwinsize(&self.terminal, size).unwrap();
        self
    }

    /// Turns a terminal's usual output processing back on (a line feed is
    /// shown as carriage return and line feed), for what a person would see.
    pub fn with_newlines(self) -> Pty {
        use rustix::termios::{tcgetattr, tcsetattr, OptionalActions, OutputModes};
        let mut mode = tcgetattr(&self.terminal).unwrap();
        mode.output_modes |= OutputModes::OPOST | OutputModes::ONLCR;
        tcsetattr(&self.terminal, OptionalActions::Now, &mode).unwrap();
        self
    }

    /// Both sides, for a test that drives the command itself: the side to
    /// read what was shown from, and the terminal.
    pub fn into_fds(self) -> (std::os::fd::OwnedFd, std::os::fd::OwnedFd) {
        (self.master, self.terminal)
    }

    /// Runs `cmd` with the terminal as its stdout and `input` on its stdin
    /// (nothing: stdin is empty), and returns what it showed once it exits
    /// (within [`PROCESS_TIMEOUT`]).
    pub fn run(self, mut cmd: Command, input: &[u8]) -> OnTerminal {
        let Pty { master, terminal } = self;
        cmd.stdin(Stdio::piped()).stdout(terminal).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("starting a command on a terminal");
        // Dropping the command closes this process's copy of the terminal,
        // so that reading ends with the command.
        drop(cmd);
        let reader = std::thread::spawn(move || {
            let mut master = std::fs::File::from(master);
            let mut shown = Vec::new();
            let mut chunk = [0; 4096];
            loop {
                match master.read(&mut chunk) {
                    Ok(0) => break,
                    Ok(n) => shown.extend_from_slice(&chunk[..n]),
                    // Linux: every end of the terminal closed.
                    Err(e) if e.raw_os_error() == Some(rustix::io::Errno::IO.raw_os_error()) => {
                        break
                    }
                    Err(e) => panic!("reading the terminal: {e}"),
                }
            }
            shown
        });
        let stderr = read_all_in_thread(child.stderr.take().unwrap());
        let mut stdin = child.stdin.take().unwrap();
        // A command that stops reading early may close its stdin first.
        let _ = stdin.write_all(input);
        drop(stdin);
        let status = wait_with_timeout(&mut child, "a command on a terminal", PROCESS_TIMEOUT);
        let stderr = String::from_utf8_lossy(&stderr.join().unwrap()).into_owned();
        OnTerminal { shown: reader.join().unwrap(), stderr, status }
    }
}

impl Pty {
    /// Opens a pseudo-terminal of `rows` lines and `cols` columns in the
    /// mode a shell leaves it in (echo, Ctrl-C a signal, LF shown as CR LF),
    /// for the full-screen views, which set the mode they need themselves.
    pub fn open_sized(rows: u16, cols: u16) -> Pty {
        use rustix::termios::{tcsetwinsize, Winsize};

        let pty = Pty::open_in(false);
        let size = Winsize { ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 };
        tcsetwinsize(&pty.terminal, size).unwrap();
        pty
    }

    /// Starts `program` with `args` as a shell starts a pipeline's last
    /// command: in a session of its own with this terminal as its
    /// controlling terminal (so that it can read keys from `/dev/tty` and
    /// is sent SIGWINCH) and as its stdout, its stdin read from the file
    /// `input` (a FIFO, for an input that goes on). The session is made by
    /// util-linux's `setsid`, which needs the terminal on its stdin.
    pub fn spawn(self, program: &Path, args: &[&str], input: &Path) -> Running {
        let Pty { master, terminal } = self;
        let path = rustix::pty::ptsname(&master, Vec::new()).unwrap();
        let mut cmd = Command::new("setsid");
        cmd.args(["--ctty", "sh", "-c", "exec \"$0\" \"$@\" < \"$LOGKIT_TEST_INPUT\""])
            .arg(program)
            .args(args)
            .env("LOGKIT_TEST_INPUT", input)
            .stdin(terminal.try_clone().unwrap())
            .stdout(terminal)
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("starting a command on a terminal");
        drop(cmd);
        let master = std::fs::File::from(master);
        let shown = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let reader = {
            let mut master = master.try_clone().unwrap();
            let shown = std::sync::Arc::clone(&shown);
            std::thread::spawn(move || {
                let mut chunk = [0; 4096];
                loop {
                    match master.read(&mut chunk) {
                        Ok(0) => break,
                        Ok(n) => shown.lock().unwrap().extend_from_slice(&chunk[..n]),
                        // Linux: every end of the terminal closed.
                        Err(e)
                            if e.raw_os_error() == Some(rustix::io::Errno::IO.raw_os_error()) =>
                        {
                            break
                        }
                        Err(e) => panic!("reading the terminal: {e}"),
                    }
                }
            })
        };
        let stderr = read_all_in_thread(child.stderr.take().unwrap());
        let path = PathBuf::from(path.into_string().unwrap());
        Running { child, master, path, shown, reader, stderr: Some(stderr) }
    }
}

/// A command running on a [`Pty`]: what it showed so far, and keys and
/// window sizes sent to it as a person would.
pub struct Running {
    child: Child,
    master: std::fs::File,
    /// The terminal's device, for other processes to write to.
    path: PathBuf,
    shown: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    reader: JoinHandle<()>,
    stderr: Option<JoinHandle<Vec<u8>>>,
}

impl Running {
    /// The command's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The terminal's device (`/dev/pts/N`).
    pub fn terminal_path(&self) -> &Path {
        &self.path
    }

    /// Types `keys` on the terminal.
    pub fn send(&mut self, keys: &[u8]) {
        self.master.write_all(keys).unwrap();
    }

    /// Resizes the window, as a terminal emulator does (the foreground
    /// process group is sent SIGWINCH).
    pub fn resize(&self, rows: u16, cols: u16) {
        let size =
            rustix::termios::Winsize { ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 };
        rustix::termios::tcsetwinsize(&self.master, size).unwrap();
    }

    /// Everything shown so far.
    pub fn shown(&self) -> Vec<u8> {
        self.shown.lock().unwrap().clone()
    }

    /// Waits for the command to exit (within [`PROCESS_TIMEOUT`]) and
    /// returns all it showed.
    pub fn wait(mut self) -> OnTerminal {
        let status = wait_with_timeout(&mut self.child, "a command on a terminal", PROCESS_TIMEOUT);
        let stderr = self.stderr.take().unwrap().join().unwrap();
        let stderr = String::from_utf8_lossy(&stderr).into_owned();
        // The reader ends when the last of the terminal's ends is closed.
        let deadline = Instant::now() + PROCESS_TIMEOUT;
        while !self.reader.is_finished() {
            assert!(Instant::now() < deadline, "the terminal is still open");
            std::thread::sleep(Duration::from_millis(20));
        }
        OnTerminal { shown: self.shown(), stderr, status }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

// ---------------------------------------------------------------------------
// Civil time, written here so that expected times do not come from a time
// crate the tools use: days since 1970-01-01 and back, and RFC 3339 text.

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date (year, month, day) of a day number since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// RFC 3339 text of a Unix time in a UTC offset, with optional milliseconds.
pub fn rfc3339(unix: i64, millis: Option<u32>, offset: i64) -> String {
    let local = unix + offset;
    let (y, mo, d) = civil_from_days(local.div_euclid(86_400));
    let sod = local.rem_euclid(86_400);
    let frac = millis.map(|ms| format!(".{ms:03}")).unwrap_or_default();
    let sign = if offset < 0 { '-' } else { '+' };
    let off = offset.abs();
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}{frac}{sign}{:02}:{:02}",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60,
        off / 3600,
        off % 3600 / 60
    )
}

/// How `ltail -f` is told of changes, for the tests that run both ways:
/// inotify, or polling (every 50 ms, so that tests stay quick).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// inotify, the default.
    Inotify,
    /// `--poll`.
    Poll,
}

impl Mode {
    /// The arguments that choose the mode.
    pub fn args(self) -> &'static [&'static str] {
        match self {
            Mode::Inotify => &[],
            Mode::Poll => &["--poll", "--poll-interval", "50ms"],
        }
    }
}
