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

/// Whether something listens on 127.0.0.1:`port`, from /proc/net/tcp (a
/// test connection would show up in the logs).
pub fn listening(port: u16) -> bool {
    let want = format!("0100007F:{port:04X}");
    let tcp = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    tcp.lines().skip(1).any(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        f.len() > 3 && f[1] == want && f[3] == "0A"
    })
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

/// Starts nginx in the foreground, one process, with `http` as the contents
/// of its `http { }` block, and everything else in `dir`: the config
/// (`dir/nginx.conf`), the pid file, the error log (`dir/error.log`, level
/// info) and the temporary directories. Returns once it listens on `port`.
/// `logs` are shown when something goes wrong.
pub fn start_nginx(dir: &Path, http: &str, port: u16, logs: Vec<PathBuf>) -> Server {
    require(NGINX, "nginx");
    let d = dir.display();
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
"#
    );
    let conf_path = dir.join("nginx.conf");
    std::fs::write(&conf_path, conf).unwrap();
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
    Server::start("nginx", NGINX, &args(&[]), stop, dir, port, logs)
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
    pub fn start(
        name: &'static str,
        program: &str,
        args: &[String],
        stop: Vec<String>,
        dir: &Path,
        port: u16,
        logs: Vec<PathBuf>,
    ) -> Server {
        let out = std::fs::File::create(dir.join(format!("{name}.out"))).unwrap();
        let child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {program}: {e}"));
        let mut logs = logs;
        logs.push(dir.join(format!("{name}.out")));
        let mut server = Server { name, child: Some(child), stop, logs };
        let deadline = Instant::now() + START_TIMEOUT;
        while !listening(port) {
            if let Some(status) = server.child.as_mut().unwrap().try_wait().unwrap() {
                server.child = None;
                panic!("{name} exited at start-up with {status}{}", server.show_logs());
            }
            assert!(
                Instant::now() < deadline,
                "{name} is not listening on 127.0.0.1:{port} after {START_TIMEOUT:?}{}",
                server.show_logs()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        server
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
