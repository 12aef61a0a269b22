//! hprobe: send HTTP requests and report each one as a record.
//!
//! Usage: `hprobe [OPTIONS] [URL...]`
//!
//! Each request becomes one NDJSON record with the field names lparse uses
//! (`ts`, `method`, `status`, `bytes`, `rt`), so that
//! `hprobe ... | lcount --by status` works as it does on an access log. A
//! summary goes to stderr at the end; while the run goes, a live [`view`]
//! of it is on stderr's terminal when the records go elsewhere. On a
//! terminal, stdout gets one line for people per request instead
//! ([`logkit_common::view`]), or with `--json` the records.
//!
//! The parts: [`target`] (what to request, from the command line or
//! stdin), [`plan`] (which request is next, and when it is due), [`client`]
//! (the workers that send them), [`h1`] (HTTP/1.1 exchanged by hprobe
//! itself; HTTP/2 goes through hyper), [`net`] (resolving, connecting, TLS),
//! [`outcome`] (a finished request and its record), [`report`] (the
//! writer thread and the summary) and [`view`] (the live view).

pub mod client;
pub mod h1;
pub mod net;
pub mod outcome;
pub mod plan;
pub mod report;
pub mod target;
pub mod view;

use anyhow::{anyhow, bail, Context as _, Result};
use bytes::Bytes;
use clap::{Parser, ValueEnum};
use http::header::{HeaderName, HeaderValue};
use http::Method;
use logkit_common::cli::{self, BadInput, Outcome};
use logkit_common::filter::StatusSet;
use logkit_common::input::{too_long, LineReader, NoIdle, MAX_RECORD};
use logkit_common::style::ViewArgs;
use logkit_common::view::Display;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

const EXAMPLES: &str = "\
Examples:
  # One request: on a terminal a line for people (--json: the record), and
  # a summary on stderr
  hprobe https://example.com/

  # 500 requests, 10 at a time, counted by status
  hprobe -n 500 -c 10 http://127.0.0.1:8080/ | lcount --by status

  # 50 requests/s for a minute, up to 10 at once (latency counts from when
  # each was due: with too few workers for the rate, requests wait and say so)
  hprobe -q 50 -c 10 -z 60s http://127.0.0.1:8080/health > probe.ndjson

  # A health check for scripts: exit 1 unless every answer is 2xx
  hprobe -n 3 --timeout 2s --expect-status 2xx https://example.com/ > /dev/null

  # Probe a mirror under the production name (SNI and Host stay the same)
  hprobe --resolve example.com:443:10.0.0.7 https://example.com/

  # Replay the 404s of an access log against a mirror, at the log's own
  # pace (the history in time order: ltail --merge reads access.log.1 first)
  ltail --merge access.log.1 access.log | lparse | lgrep --status 404 \\
    | hprobe --base http://mirror:8080 --replay-speed 1

  # Which answers of production and a mirror differ, for the 404s of a log
  lparse access.log | lgrep --status 404 \\
    | hprobe --base https://prod.example --compare http://mirror:8080 \\
      --compare-ignore-header Server > pairs.ndjson

  # What a cache in front says, request by request (h_x_cache, h_age, ...)
  hprobe -n 3 --cache-headers https://example.com/ | lcount --by h_x_cache --by body_hash

  # Replay a log as fast as 20 connections allow
  lparse access.log | hprobe --base http://mirror:8080 -c 20 --summary json

Records: ts (when sent), seq, method, url, vhost, path, query, status, proto,
rt (seconds), bytes, body_hash (XXH3-64 of the body, hex), err (timeout,
connect, tls, dns, reset, protocol) with err_msg, the phases dns_rt,
connect_rt, tls_rt, ttfb_rt, lag_rt where they happened, retries, h_<header>
(--capture-header), and with --compare the b_* fields and diff.
Exit status: 0 all went well; 1 a request failed, a response was not in
--expect-status, no request got an answer, or an input line was bad; 2 usage
or fatal error.";

/// Send HTTP requests and print one NDJSON record per request (on a
/// terminal, one line for people per request, unless --json).
///
/// With no URL (or `-`), targets are read from stdin, one per line: a URL, a
/// record with `url`, or an lparse record (`method`, `path`, `query`, `ua`,
/// `referer`, `ts`) replayed against `--base`.
#[derive(Debug, Parser)]
#[command(name = "hprobe", version, after_help = EXAMPLES)]
pub struct Args {
    /// Requests in all, spread over the URLs in turn [default: one per URL,
    /// or every target read from stdin; no limit with -z].
    #[arg(short = 'n', long = "requests", value_name = "N")]
    requests: Option<u64>,

    /// Requests in flight at once (one connection each).
    #[arg(short = 'c', long, default_value_t = 1, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    concurrency: u32,

    /// Stop after this long (e.g. 30s, 5m); requests still in flight are cut
    /// off and counted in the summary.
    #[arg(short = 'z', long, value_name = "DURATION", value_parser = parse_duration)]
    duration: Option<Duration>,

    /// Send this many requests per second in all, each at its due time
    /// (open model: latency counts from the due time; requests sent more
    /// than 10ms late are counted in the summary). With -z, exactly RATE x
    /// DURATION requests, every one due before the end.
    #[arg(short = 'q', long, value_name = "RATE", value_parser = parse_rate,
          conflicts_with = "replay_speed")]
    rate: Option<f64>,

    /// The request method [default: GET, or POST with a body; a replayed
    /// record's own method].
    #[arg(short = 'm', long, value_name = "METHOD")]
    method: Option<String>,

    /// Add a header ("Name: value"); "Name:" with no value removes one
    /// hprobe would send (User-Agent, Accept, Host).
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    headers: Vec<String>,

    /// Send this request body (sets Content-Type to
    /// application/x-www-form-urlencoded unless -H gives one).
    #[arg(short = 'd', long, value_name = "DATA", conflicts_with = "data_file")]
    data: Option<String>,

    /// Send the contents of this file as the request body.
    #[arg(long, value_name = "FILE")]
    data_file: Option<PathBuf>,

    /// Give up on a request after this long, connection included.
    #[arg(long, default_value = "30s", value_name = "DURATION", value_parser = parse_duration)]
    timeout: Duration,

    /// Give up connecting (name lookup, TCP and TLS) after this long.
    #[arg(long, default_value = "10s", value_name = "DURATION", value_parser = parse_duration)]
    connect_timeout: Duration,

    /// Follow redirects (up to 10, or --max-redirects; past that, the last
    /// 3xx answer is the request's status).
    #[arg(short = 'L', long = "location")]
    location: bool,

    /// Follow at most this many redirects (implies -L).
    #[arg(long, value_name = "N")]
    max_redirects: Option<u32>,

    /// Open a new connection for every request (Connection: close).
    #[arg(long)]
    no_keepalive: bool,

    /// Do not send a request again when the kept-alive connection it went
    /// on was closed without an answer (by default an idempotent one is
    /// sent once more on a new connection, and counted in `retries`).
    #[arg(long)]
    no_retry: bool,

    /// Record this response header as `h_<name>` (lower-case, `-` as `_`:
    /// X-Cache → h_x_cache; repeated ones joined with ", "). Repeatable.
    #[arg(long = "capture-header", value_name = "NAME")]
    capture_headers: Vec<String>,

    /// Record the headers that tell what a cache did: Age, Cache-Control,
    /// Cache-Status, X-Cache, X-Cache-Status, CF-Cache-Status, Via, ETag,
    /// Last-Modified, Vary, Expires.
    #[arg(long)]
    cache_headers: bool,

    /// HTTP/2 only: ALPN h2 over TLS, prior knowledge over cleartext.
    #[arg(long = "http2", conflicts_with = "http1")]
    http2: bool,

    /// HTTP/1.1 only, even where TLS could agree on HTTP/2.
    #[arg(long = "http1.1", id = "http1")]
    http1: bool,

    /// Do not check the server's certificate.
    #[arg(short = 'k', long)]
    insecure: bool,

    /// Trust the CA certificates in this PEM file instead of the system's.
    #[arg(long, value_name = "FILE")]
    cacert: Option<PathBuf>,

    /// Connect to ADDR for HOST:PORT (the URL, SNI and Host stay the same).
    #[arg(long, value_name = "HOST:PORT:ADDR")]
    resolve: Vec<String>,

    /// Exit 1 if any response's status is not in LIST (e.g. 200, 2xx,
    /// 200-399, 200,301); failed requests count as not in it.
    #[arg(long, value_name = "LIST")]
    expect_status: Option<StatusSet>,

    /// Send each request also to the same path and query on BASE (same
    /// method, headers and body), and record the pair: the base's answer
    /// as b_* fields, and `diff` naming what differed (status, body,
    /// header:NAME, err).
    #[arg(long, value_name = "BASE")]
    compare: Option<String>,

    /// With --compare, do not compare this response header (Date,
    /// Connection and Keep-Alive never are). Repeatable.
    #[arg(long = "compare-ignore-header", value_name = "NAME", requires = "compare")]
    compare_ignore_headers: Vec<String>,

    /// Replay stdin targets that have a path (lparse records, `/path` lines)
    /// against this URL.
    #[arg(long, value_name = "URL")]
    base: Option<String>,

    /// Send replayed requests at the pace of their `ts`, this many times
    /// faster (1: as logged, 10: ten times faster).
    #[arg(long, value_name = "FACTOR", value_parser = parse_rate)]
    replay_speed: Option<f64>,

    /// The summary on stderr at the end (none: no live view either).
    #[arg(long, value_enum, default_value_t = SummaryStyle::Text)]
    summary: SummaryStyle,

    /// `--json` (records on a terminal too) and `--color` (of the lines on
    /// a terminal and of the live view).
    #[command(flatten)]
    view: ViewArgs,

    /// Stop at the first bad line of stdin instead of skipping it.
    #[arg(long)]
    strict: bool,

    /// Print the SQL that loads hprobe's records whole into DuckDB or
    /// ClickHouse (CREATE TABLE, every field typed), then exit.
    #[arg(long, value_name = "ENGINE", exclusive = true)]
    print_schema: Option<logkit_common::schema::Engine>,

    /// URLs to request; none, or `-`, reads targets from stdin.
    #[arg(value_name = "URL")]
    urls: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SummaryStyle {
    /// Lines for a person.
    Text,
    /// One JSON object for a program.
    Json,
    /// No summary.
    None,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = logkit_common::time::parse_duration(s)?;
    if d.is_zero() || d > Duration::from_secs(366 * 86400) {
        return Err("must be more than 0 and at most a year".into());
    }
    Ok(d)
}

fn parse_rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(r) if (0.001..=1e9).contains(&r) => Ok(r),
        _ => Err(format!("expected a number from 0.001 to 1e9, not {s:?}")),
    }
}

/// `-H` values: `Name: value`, or `Name:` to send no such header.
fn parse_headers(headers: &[String]) -> Result<Vec<(HeaderName, Option<HeaderValue>)>> {
    headers
        .iter()
        .map(|h| {
            let (name, value) = h
                .split_once(':')
                .ok_or_else(|| anyhow!("bad header {h:?}: expected Name: value"))?;
            let name = HeaderName::from_bytes(name.trim().as_bytes())
                .map_err(|_| anyhow!("bad header name in {h:?}"))?;
            let value = value.trim();
            let value = if value.is_empty() {
                None
            } else {
                Some(
                    HeaderValue::from_str(value)
                        .map_err(|_| anyhow!("bad header value in {h:?}"))?,
                )
            };
            Ok((name, value))
        })
        .collect()
}

/// The headers to capture: `--capture-header`s, then `--cache-headers`',
/// each once (names are case-insensitive).
fn captures(names: &[String], cache_headers: bool) -> Result<Vec<client::Capture>> {
    let cache: &[&str] = if cache_headers { &client::CACHE_HEADERS } else { &[] };
    let mut out: Vec<client::Capture> = Vec::new();
    for name in names.iter().map(String::as_str).chain(cache.iter().copied()) {
        let capture = client::Capture::new(name).map_err(|e| anyhow!("--capture-header: {e}"))?;
        if !out.iter().any(|c| c.name == capture.name) {
            out.push(capture);
        }
    }
    Ok(out)
}

pub fn run() -> Result<Outcome> {
    let args = cli::parse_args::<Args>("hprobe");
    if let Some(engine) = args.print_schema {
        let hprobe = [logkit_common::record::Record::Hprobe];
        return logkit_common::schema::print(engine, "hprobe", &hprobe);
    }
    // This runtime only coordinates (signals, -z); the workers run on
    // threads of their own (run_workers).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let outcome = runtime.block_on(probe(args));
    // Blocked stdin reads or stalled connections must not hold up the exit.
    runtime.shutdown_background();
    outcome
}

/// Raises the soft limit of open files to the hard one (each `-c` worker
/// holds a connection), and says so when `-c` would still not fit.
fn raise_fd_limit(concurrency: u32) {
    // None: no limit.
    let Some(limit) = logkit_common::sys::raise_open_files_limit() else { return };
    // Some descriptors go to stdio, the runtime and name lookups.
    let room = limit.saturating_sub(64);
    if u64::from(concurrency) > room {
        eprintln!(
            "hprobe: -c {concurrency} needs more open files than allowed ({limit}; see ulimit -n): \
             some connections will fail with \"Too many open files\"",
        );
    }
}

async fn probe(args: Args) -> Result<Outcome> {
    raise_fd_limit(args.concurrency);
    let body = match (&args.data, &args.data_file) {
        (Some(data), _) => Bytes::from(data.clone().into_bytes()),
        (None, Some(path)) => Bytes::from(
            std::fs::read(path).with_context(|| format!("--data-file {}", path.display()))?,
        ),
        (None, None) => Bytes::new(),
    };
    let method = match &args.method {
        Some(m) => Some(
            Method::from_bytes(m.to_ascii_uppercase().as_bytes())
                .map_err(|_| anyhow!("bad method {m:?}"))?,
        ),
        None => None,
    };
    let default_method =
        method.clone().unwrap_or(if body.is_empty() { Method::GET } else { Method::POST });
    let versions = match (args.http1, args.http2) {
        (true, _) => net::Versions::Http1,
        (_, true) => net::Versions::Http2,
        _ => net::Versions::Auto,
    };
    let settings = client::Settings {
        headers: parse_headers(&args.headers)?,
        body,
        timeout: args.timeout,
        connect_timeout: args.connect_timeout,
        max_redirects: match (args.max_redirects, args.location) {
            (Some(n), _) => n,
            (None, true) => 10,
            (None, false) => 0,
        },
        keepalive: !args.no_keepalive,
        versions,
        retry: !args.no_retry,
        capture: captures(&args.capture_headers, args.cache_headers)?,
        compare: args
            .compare
            .as_deref()
            .map(target::parse_base_url)
            .transpose()
            .context("--compare")?,
        ignore: args
            .compare_ignore_headers
            .iter()
            .map(|name| {
                HeaderName::from_bytes(name.trim().as_bytes())
                    .map_err(|_| anyhow!("--compare-ignore-header: bad header name {name:?}"))
            })
            .collect::<Result<_>>()?,
    };
    let shared = Arc::new(client::Shared {
        settings,
        resolver: net::Resolver::with_overrides(&args.resolve)?,
        tls: net::Tls::new(net::TlsOptions {
            insecure: args.insecure,
            cacert: args.cacert.clone(),
            versions,
        })?,
    });

    let base = args.base.as_deref().map(target::parse_base_url).transpose().context("--base")?;
    let from_stdin = args.urls.is_empty() || args.urls.iter().any(|u| u == "-");
    // Not with --summary none (nothing for a person on stderr), and not when
    // the records go to the same terminal (view::wanted).
    let show_view = args.summary != SummaryStyle::None && view::wanted();
    let notes: Option<view::Notes> = show_view.then(Default::default);
    let bad = Arc::new(Mutex::new(Messages::new(args.strict, notes.clone())));
    let source = if from_stdin {
        if args.urls.len() > 1 {
            bail!("give URLs or `-` (targets from stdin), not both");
        }
        let reader = target::TargetReader::new(base, method.clone(), default_method.clone());
        plan::Source::Stream(read_targets(reader, bad.clone()))
    } else {
        let targets = args
            .urls
            .iter()
            .map(|u| {
                Ok(Arc::new(target::Target::new(
                    default_method.clone(),
                    target::parse_user_url(u)?,
                )))
            })
            .collect::<Result<Vec<_>>>()?;
        plan::Source::Fixed(targets)
    };
    if args.replay_speed.is_some() && !from_stdin {
        bail!("--replay-speed replays targets read from stdin (records with ts)");
    }
    let limit = match (args.requests, &source, args.duration) {
        (Some(n), _, _) => Some(n),
        (None, plan::Source::Fixed(_), Some(_)) => None,
        (None, plan::Source::Fixed(targets), None) => Some(targets.len() as u64),
        (None, plan::Source::Stream(_), _) => None,
    };
    let pace = match (args.rate, args.replay_speed) {
        (Some(rate), _) => plan::Pace::Rate(rate),
        (None, Some(speed)) => plan::Pace::Replay(speed),
        (None, None) => plan::Pace::Free,
    };

    let start = Instant::now();
    let plan = Arc::new(plan::Plan::new(source, limit, pace, start, args.duration));
    let (stop_tx, stop_rx) = watch::channel(false);
    let (tx, rx) = mpsc::channel(report::CHANNEL_RECORDS);

    let expect = args.expect_status.clone();
    let clock = outcome::Clock::new();
    // The writer says when it ends: early means stdout was closed (`| head`),
    // and requests still waiting on a slow server must not hold up the exit.
    let (closed_tx, mut closed_rx) = tokio::sync::oneshot::channel::<()>();
    let stats = Arc::new(Mutex::new(report::Stats::new()));
    let shared_stats = stats.clone();
    // A terminal gets one readable line per request (or with --json the
    // records, escaped); anything else the records as they are.
    let display = Display::of(args.view.shown(cli::stdout_is_terminal()));
    let writer = std::thread::spawn(move || {
        let result = report::write_records(rx, clock, expect, start, &shared_stats, display);
        let _ = closed_tx.send(());
        result
    });

    let view = if let Some(notes) = notes {
        let goal = view::Goal {
            what: describe(&args.urls, from_stdin, args.requests),
            total: limit,
            duration: args.duration,
            start,
            keys: !(from_stdin && std::io::IsTerminal::is_terminal(&std::io::stdin())),
        };
        // The view is on stderr's terminal (records go to stdout).
        let color = args.view.color.enabled(std::io::IsTerminal::is_terminal(&std::io::stderr()));
        view::View::start(goal, stats.clone(), notes, color).ok()
    } else {
        None
    };

    let (done_tx, mut done_rx) = mpsc::unbounded_channel();
    // One core is left to the writer thread and the rest of the machine
    // (often the server itself, on loopback): on 2 cores, one thread of
    // workers against two took 9.1 / 9.2 µs of CPU a request at c=10 / 50
    // instead of 10.3 / 9.6, with 0.43 / 0.44 context switches a request
    // instead of 0.62 / 0.51, and made 74,190 / 74,346 requests/s against
    // 67,266 / 73,048 (`python3 bench/http.py`, one nginx worker; one
    // thread's event loop takes tens of thousands of requests a second).
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = cores.saturating_sub(1).max(1).min(args.concurrency as usize);
    // Every thread's workers start together: otherwise the first thread's
    // could take a short run's every request before the second thread is
    // scheduled, and `-c 10` would use 5 connections (seen under load).
    let start_line = Arc::new(std::sync::Barrier::new(threads));
    for t in 0..threads {
        // The workers, spread evenly over the threads.
        let count = args.concurrency as usize / threads
            + usize::from(t < args.concurrency as usize % threads);
        let (shared, plan, tx, stop_rx, done_tx) =
            (shared.clone(), plan.clone(), tx.clone(), stop_rx.clone(), done_tx.clone());
        let start_line = start_line.clone();
        std::thread::Builder::new()
            .name(format!("hprobe-{t}"))
            .spawn(move || {
                let unfinished = run_workers(count, shared, plan, tx, stop_rx, &start_line);
                let _ = done_tx.send(unfinished);
            })
            .context("starting a thread")?;
    }
    drop((tx, done_tx));

    let (mut unfinished, mut waiting) = (0, 0);
    let deadline = sleep_until_opt(args.duration.map(|d| start + d));
    let signal = stop_signal();
    tokio::pin!(deadline, signal);
    let mut interrupted = false;
    loop {
        tokio::select! {
            joined = done_rx.recv() => match joined {
                Some((cut, idle)) => {
                    unfinished += cut;
                    waiting += idle;
                }
                None => break,
            },
            _ = &mut deadline, if !*stop_tx.borrow() => {
                let _ = stop_tx.send(true);
            }
            _ = &mut signal, if !*stop_tx.borrow() => {
                interrupted = true;
                let _ = stop_tx.send(true);
            }
            _ = &mut closed_rx, if !*stop_tx.borrow() => {
                let _ = stop_tx.send(true);
            }
        }
    }
    // The workers are done: the writer need not finish its nap.
    writer.thread().unpark();
    let joined = tokio::task::spawn_blocking(move || writer.join());
    // After Ctrl-C, a writer blocked on a full pipe (`| less`) must not keep
    // the summary from the user: take the figures as they stand.
    let joined = if interrupted {
        tokio::time::timeout(Duration::from_secs(1), joined).await.ok()
    } else {
        Some(joined.await)
    };
    // The summary and any message go to the normal screen.
    if let Some(view) = view {
        view.close();
    }
    // The messages held while the view was on, on the normal screen now.
    bad.lock().unwrap_or_else(|e| e.into_inner()).release()?;
    if let Some(joined) = joined {
        joined?.map_err(|_| anyhow!("writer failed"))??;
    }
    let mut stats = stats.lock().unwrap_or_else(|e| e.into_inner()).clone();
    stats.unfinished = unfinished;
    if let (plan::Pace::Rate(rate), Some(duration)) = (pace, args.duration) {
        // Requests due before the end that no worker was free to send.
        let ran = start.elapsed().min(duration);
        let due = plan::due_within(rate, ran.as_secs_f64());
        let due = limit.map_or(due, |limit| due.min(limit));
        // Taken by a worker waiting for its due time is not sent either.
        stats.unsent = due.saturating_sub(plan.issued().saturating_sub(waiting));
    }
    stats.disorder = plan.disorder().await;
    if interrupted || args.duration.is_some() {
        stats.elapsed = start.elapsed();
    }
    if let Some(fatal) = plan.take_fatal().await {
        return Err(fatal);
    }
    // The summary comes last, so that a program finds it on the last line.
    let bad_input = bad.lock().unwrap().bad.finish("stdin lines skipped");
    let mut failed = stats.error_count() > 0 || stats.unexpected > 0;
    let answered = stats.statuses.values().sum::<u64>();
    if args.expect_status.is_some() && stats.unexpected > 0 {
        eprintln!(
            "hprobe: {} of {} responses not in --expect-status",
            stats.unexpected, stats.requests
        );
    } else if answered == 0 && stats.requests + stats.unfinished > 0 {
        // Requests went out and none came back whole (all cut off by -z
        // or Ctrl-C, or failed): that did not go well.
        let cut = match stats.unfinished {
            0 => String::new(),
            n => format!(" ({n} cut off in flight)"),
        };
        let expected =
            if args.expect_status.is_some() { ", so none in --expect-status" } else { "" };
        eprintln!("hprobe: no response at all{cut}{expected}");
        failed = true;
    }
    match args.summary {
        SummaryStyle::Text => eprint!("{}", stats.text()),
        SummaryStyle::Json => eprintln!("{}", stats.json()),
        SummaryStyle::None => {}
    }
    Ok(if failed || bad_input == Outcome::BadInput { Outcome::BadInput } else { Outcome::Success })
}

/// Runs `count` workers on a runtime of this thread's own: a worker and its
/// HTTP/2 connection's task then never wake each other across threads (like wrk's
/// one event loop per thread). Against one work-stealing runtime for all,
/// the rates measured the same within noise (bench/http.py, c=1 and c=50);
/// this layout keeps each connection on one core. Returns, at a stop, the
/// requests cut off in flight and those taken and not yet sent (waiting for
/// their due time).
fn run_workers(
    count: usize,
    shared: Arc<client::Shared>,
    plan: Arc<plan::Plan>,
    tx: mpsc::Sender<outcome::Done>,
    stop: watch::Receiver<bool>,
    start_line: &std::sync::Barrier,
) -> (u64, u64) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
    start_line.wait();
    let Ok(runtime) = runtime else { return (0, 0) };
    let counts = Arc::new(client::Counts::default());
    let unfinished = runtime.block_on(async move {
        let mut workers = tokio::task::JoinSet::new();
        for _ in 0..count {
            let worker = client::Worker::new(shared.clone());
            workers.spawn(worker.run(plan.clone(), tx.clone(), counts.clone()));
        }
        // One watcher of the stop per thread, not one per request: it
        // aborts the workers wherever they are.
        let mut stop = stop;
        let stopped = stop.wait_for(|&s| s);
        tokio::pin!(stopped);
        loop {
            tokio::select! {
                joined = workers.join_next() => if joined.is_none() { return (0, 0) },
                _ = &mut stopped => {
                    // Read before the abort, on this thread: no worker
                    // runs in between.
                    let cut = counts.in_flight.load(std::sync::atomic::Ordering::Relaxed);
                    let waiting = counts.waiting.load(std::sync::atomic::Ordering::Relaxed);
                    workers.abort_all();
                    return (cut, waiting);
                }
            }
        }
    });
    // Name lookups still blocking must not hold up the end of the run.
    runtime.shutdown_background();
    unfinished
}

async fn sleep_until_opt(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

/// Ctrl-C or SIGTERM: stop sending, and print the summary of what was done.
async fn stop_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

/// What a run requests, for the live view's title: the URL, the first of
/// several, or where targets come from.
fn describe(urls: &[String], from_stdin: bool, requests: Option<u64>) -> String {
    match (urls, from_stdin) {
        (_, true) => "targets from stdin".into(),
        ([one], _) => target::mask_password(one),
        ([first, rest @ ..], _) => {
            format!("{} and {} more URLs", target::mask_password(first), rest.len())
        }
        ([], _) => format!("{} requests", requests.unwrap_or(0)),
    }
}

/// Where the messages about bad lines of stdin go: straight to stderr, or,
/// while the live view is on, into its notes (the view would paint over
/// them) and a collecting reporter, whose messages are printed in order
/// once the view has given the normal screen back.
struct Messages {
    bad: BadInput,
    held: Option<(BadInput, view::Notes)>,
}

/// Most messages the view keeps (BadInput shows 20 at most anyway).
const MAX_NOTES: usize = 100;

impl Messages {
    fn new(strict: bool, notes: Option<view::Notes>) -> Messages {
        let bad = BadInput::new("hprobe", strict);
        // With --strict the first bad line ends the run, and its message
        // comes after the view anyway.
        let held = notes.filter(|_| !strict).map(|n| (BadInput::collecting("hprobe"), n));
        Messages { bad, held }
    }

    /// A bad line of stdin; an error ends the run (`--strict`).
    fn report(&mut self, line: u64, what: &str) -> Result<()> {
        let Some((held, notes)) = &mut self.held else { return self.bad.report("-", line, what) };
        held.report("-", line, what)?;
        let mut notes = notes.lock().unwrap_or_else(|e| e.into_inner());
        if notes.len() < MAX_NOTES {
            notes.push(format!("hprobe: -:{line}: {what}"));
        }
        Ok(())
    }

    /// Prints the messages held for the view (after it has closed).
    fn release(&mut self) -> Result<()> {
        match self.held.take() {
            Some((held, _)) => self.bad.report_collected(held),
            None => Ok(()),
        }
    }
}

/// Reads stdin targets on a thread of their own (a read may block for
/// ever, as with `ltail -f | lparse | hprobe`); bad lines, and lines longer
/// than a record may be, are reported and skipped, or end the run with
/// `--strict`.
fn read_targets(
    reader: target::TargetReader,
    bad: Arc<Mutex<Messages>>,
) -> mpsc::Receiver<Result<target::Target>> {
    let (tx, rx) = mpsc::channel(1024);
    std::thread::spawn(move || {
        let mut lines = LineReader::new(std::io::stdin().lock()).max_line(MAX_RECORD);
        loop {
            let line = match lines.next_line(&mut NoIdle) {
                Ok(Some(line)) => line,
                Ok(None) => return,
                Err(e) => {
                    let _ = tx.blocking_send(Err(anyhow!("reading stdin: {e}")));
                    return;
                }
            };
            let item = if line.truncated {
                Err(too_long(MAX_RECORD, "skipped"))
            } else {
                match reader.parse(line.bytes) {
                    Ok(None) => continue,
                    Ok(Some(target)) => Ok(target),
                    Err(e) => Err(format!("{e:#}")),
                }
            };
            let item = match item {
                Ok(target) => Ok(target),
                Err(message) => match bad.lock().unwrap().report(line.number, &message) {
                    Ok(()) => continue,
                    Err(fatal) => Err(fatal),
                },
            };
            if tx.blocking_send(item).is_err() {
                return;
            }
        }
    });
    rx
}
