//! The writer: one thread that prints each finished request's record,
//! and keeps the figures for the summary and the live view.
//!
//! The workers hand over [`Done`]s through a bounded channel, so a slow
//! reader of stdout slows the probing down instead of filling memory.

use crate::outcome::{seconds, Clock, Done, ErrKind};
use crate::plan::Disorder;
use hdrhistogram::Histogram;
use logkit_common::filter::StatusSet;
use logkit_common::output::Output;
use logkit_common::term;
use logkit_common::view::Display;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// A request sent this much later than it was due counts as late: well
/// beyond the timer's own precision (about a millisecond).
pub const LATE: Duration = Duration::from_millis(10);

/// The records the channel from the workers to the writer holds: enough
/// for a [`LONG_NAP`] at 800,000 requests a second (a `Done` is ~300 bytes:
/// ~5 MB at most, held only while stdout is slower than the probing).
pub const CHANNEL_RECORDS: usize = 16_384;

/// How long the writer waits for more records while they are streaming in
/// (what it has is written out before each nap, so a run gone idle still
/// shows every record at once). Each nap is a wake-up of the writer thread:
/// 2 ms rather than 0.5 ms took its CPU time from about 2.0 to 1.0 µs a
/// request at 70,000 to 120,000 requests in 3 s, c=1 and c=10, and its
/// context switches from 0.04-0.16 to 0.015 a request (per-thread figures
/// of /proc/PID/task, bench/RESULTS.md).
const SHORT_NAP: Duration = Duration::from_millis(2);

/// The nap once a nap's worth of records is [`LONG_BATCH`] or more (a busy
/// run). On this 2-core VM every 2 ms wake-up of the writer came with about
/// 14 more wake-ups of the worker by the server's CPU (function-call IPIs:
/// 0.29 a request against 0.10 under ab, /proc/interrupts, c=10 against one
/// nginx worker), and nginx spent ~1 µs more a request; at 20 ms the IPIs
/// fell to 0.10-0.12 a request and nginx's cost to ab's (bench/RESULTS.md,
/// 2026-11-30 21:00-21:15 UTC). Only under load: a short run (`-n 1`)
/// never waits for it, and the end of a run wakes the writer at once
/// ([`std::thread::Thread::unpark`]).
const LONG_NAP: Duration = Duration::from_millis(20);

/// Records taken in one nap from which the next nap is the long one: a
/// rate of 32,000 a second after a [`SHORT_NAP`], and 3,200 a second (to
/// stay long) after a [`LONG_NAP`].
const LONG_BATCH: usize = 64;

impl Default for Stats {
    fn default() -> Self {
        Self::new()
    }
}

/// The figures of a run.
#[derive(Clone)]
pub struct Stats {
    /// Requests finished (with a response or an error).
    pub requests: u64,
    pub statuses: BTreeMap<u16, u64>,
    pub errors: BTreeMap<ErrKind, u64>,
    /// Response times of the requests that got a response, in microseconds.
    pub latency: Histogram<u64>,
    /// The exact extremes (the histogram keeps 3 significant digits).
    pub fastest: Duration,
    pub slowest: Duration,
    /// The sum of the answered requests' `rt`, for their exact mean.
    rt_total: Duration,
    pub bytes: u64,
    /// Requests sent more than [`LATE`] after they were due.
    pub late: u64,
    /// Requests whose status is not in `--expect-status` (errors included).
    pub unexpected: u64,
    /// Requests in flight when the run was stopped (Ctrl-C, `-z`).
    pub unfinished: u64,
    /// Under `-q`: requests due before the end that were never sent,
    /// every worker being busy.
    pub unsent: u64,
    /// Requests sent again after a kept-alive connection closed under
    /// them (the sum of the records' `retries`), and how many requests
    /// that was.
    pub retries: u64,
    pub retried: u64,
    /// Replayed targets out of time order.
    pub disorder: Disorder,
    /// `--compare`: pairs compared, those that differed, and how often
    /// each kind of difference and each path came up.
    pub compared: u64,
    pub differ: u64,
    pub diff_kinds: BTreeMap<String, u64>,
    pub diff_paths: BTreeMap<String, u64>,
    pub elapsed: Duration,
}

impl Stats {
    pub fn new() -> Stats {
        Stats {
            requests: 0,
            statuses: BTreeMap::new(),
            errors: BTreeMap::new(),
            // 1 µs to an hour at 3 significant digits; longer is clamped.
            latency: Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid bounds"),
            fastest: Duration::MAX,
            rt_total: Duration::ZERO,
            slowest: Duration::ZERO,
            bytes: 0,
            late: 0,
            unexpected: 0,
            unfinished: 0,
            unsent: 0,
            retries: 0,
            retried: 0,
            disorder: Disorder::default(),
            compared: 0,
            differ: 0,
            diff_kinds: BTreeMap::new(),
            diff_paths: BTreeMap::new(),
            elapsed: Duration::ZERO,
        }
    }

    fn add(&mut self, done: &Done, expect: Option<&StatusSet>) {
        self.requests += 1;
        self.bytes += done.bytes;
        if let Some(compared) = &done.compared {
            self.compared += 1;
            if !compared.diff.is_empty() {
                self.differ += 1;
                for kind in &compared.diff {
                    *self.diff_kinds.entry(kind.clone()).or_default() += 1;
                }
                *self.diff_paths.entry(done.target.uri.path().to_string()).or_default() += 1;
            }
        }
        if done.retries > 0 {
            self.retries += u64::from(done.retries);
            self.retried += 1;
        }
        if done.lag.is_some_and(|lag| lag > LATE) {
            self.late += 1;
        }
        match (&done.err, done.status) {
            (Some(err), _) => {
                *self.errors.entry(err.kind).or_default() += 1;
            }
            (None, Some(status)) => {
                *self.statuses.entry(status).or_default() += 1;
                let micros = (done.rt.as_micros() as u64).max(1);
                self.latency.saturating_record(micros);
                self.fastest = self.fastest.min(done.rt);
                self.rt_total = self.rt_total.saturating_add(done.rt);
                self.slowest = self.slowest.max(done.rt);
            }
            (None, None) => {}
        }
        let expected = match (expect, done.status, &done.err) {
            (None, _, _) => true,
            (Some(set), Some(status), None) => set.contains(i64::from(status)),
            (Some(_), _, _) => false,
        };
        if !expected {
            self.unexpected += 1;
        }
    }

    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }

    fn rate(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.requests as f64 / secs
        } else {
            0.0
        }
    }

    /// A percentile: the histogram's (3 significant digits), kept between
    /// the exact fastest and slowest, so that the summary never shows a p50
    /// below its min.
    fn micros(&self, quantile: f64) -> Duration {
        let at = Duration::from_micros(self.latency.value_at_quantile(quantile));
        at.clamp(self.fastest.min(self.slowest), self.slowest)
    }

    /// p50, p90, p99 and max, once a response came.
    pub fn percentiles(&self) -> Option<[Duration; 4]> {
        (!self.latency.is_empty())
            .then(|| [self.micros(0.5), self.micros(0.9), self.micros(0.99), self.slowest])
    }

    /// The summary for a person, on several lines.
    pub fn text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "hprobe: {} in {}, {:.1} requests/s, {} body bytes",
            plural(self.requests, "request"),
            show(self.elapsed),
            self.rate(),
            self.bytes
        );
        if !self.statuses.is_empty() {
            let list: Vec<String> =
                self.statuses.iter().map(|(code, n)| format!("{code}: {n}")).collect();
            let _ = writeln!(s, "  status     {}", list.join("  "));
        }
        let mut errors: Vec<String> =
            self.errors.iter().map(|(kind, n)| format!("{}: {n}", kind.name())).collect();
        if self.unfinished > 0 {
            // Neither a success nor nothing: see "stopped" below.
            errors.push(format!("cut off: {}", self.unfinished));
        }
        let _ = writeln!(
            s,
            "  errors     {}",
            if errors.is_empty() { "none".to_string() } else { errors.join("  ") }
        );
        if !self.latency.is_empty() {
            let _ = writeln!(
                s,
                "  latency    min {}  p50 {}  p90 {}  p99 {}  max {}",
                show(self.fastest),
                show(self.micros(0.5)),
                show(self.micros(0.9)),
                show(self.micros(0.99)),
                show(self.slowest),
            );
        }
        if self.late > 0 {
            let _ = writeln!(
                s,
                "  late       {} sent more than {} after they were due (every worker busy: raise -c)",
                plural(self.late, "request"),
                show(LATE)
            );
        }
        if self.unsent > 0 {
            let _ = writeln!(
                s,
                "  not sent   {} due before the end (every worker busy: raise -c)",
                plural(self.unsent, "request")
            );
        }
        if self.unfinished > 0 {
            let _ = writeln!(
                s,
                "  stopped    {} in flight cut off",
                plural(self.unfinished, "request")
            );
        }
        if self.compared > 0 {
            let _ =
                write!(s, "  compared   {}, {} differ", plural(self.compared, "pair"), self.differ);
            for (kind, n) in most_first(&self.diff_kinds, usize::MAX) {
                let _ = write!(s, "  {kind}: {n}");
            }
            let _ = writeln!(s);
            if self.differ > 0 {
                let _ = write!(s, "  differ at  ");
                let shown = most_first(&self.diff_paths, 10);
                for (i, (path, n)) in shown.iter().enumerate() {
                    let sep = if i == 0 { "" } else { "  " };
                    let _ = write!(s, "{sep}{}: {n}", term::escape_control(path));
                }
                if self.diff_paths.len() > shown.len() {
                    let _ = write!(s, "  and {} more paths", self.diff_paths.len() - shown.len());
                }
                let _ = writeln!(s);
            }
        }
        if self.retries > 0 {
            let _ = writeln!(
                s,
                "  retried    {} sent again on a new connection ({} in all): a kept-alive \
                 connection was closed without an answer, the server may have had them \
                 (--no-retry: do not)",
                plural(self.retried, "request"),
                match self.retries {
                    1 => "1 retry".to_string(),
                    n => format!("{n} retries"),
                },
            );
        }
        if let Some((seq, ts, latest)) = self.disorder.first {
            let _ = writeln!(
                s,
                "  order      {} out of time order, the first seq {seq} ({ts} after {latest}): \
                 each waited for no gap after the one before it",
                plural(self.disorder.count, "replayed request"),
            );
        }
        let buckets = self.buckets();
        if buckets.len() > 1 && self.latency.len() >= 10 {
            let most = buckets.iter().map(|b| b.1).max().unwrap_or(1).max(1);
            let _ = writeln!(s, "  response time histogram");
            for (upper, count) in buckets {
                let bar = "■".repeat(((count * 40).div_ceil(most)) as usize);
                let _ = writeln!(s, "    <= {:>9} {count:>9} {bar}", show(upper));
            }
        }
        s
    }

    /// The summary for a program: one JSON object (times in seconds).
    pub fn json(&self) -> String {
        let mut out = Vec::new();
        let mut obj = logkit_common::json::Object::new(&mut out);
        obj.uint("requests", self.requests);
        obj.float("elapsed", seconds(self.elapsed));
        obj.float("rps", (self.rate() * 10.0).round() / 10.0);
        obj.uint("bytes", self.bytes);
        let statuses = serde_json::Map::from_iter(
            self.statuses.iter().map(|(code, n)| (code.to_string(), (*n).into())),
        );
        obj.raw("status", serde_json::Value::Object(statuses).to_string().as_bytes());
        let errors = serde_json::Map::from_iter(
            ErrKind::ALL
                .iter()
                .map(|k| (k.name().to_string(), self.errors.get(k).copied().unwrap_or(0).into())),
        );
        obj.raw("errors", serde_json::Value::Object(errors).to_string().as_bytes());
        if !self.latency.is_empty() {
            let mut latency = Vec::new();
            let mut l = logkit_common::json::Object::new(&mut latency);
            l.float("min", seconds(self.fastest));
            // Exact, from the sum (the histogram's own mean is of its
            // rounded buckets, and could fall outside min and max).
            let mean = self.rt_total.as_secs_f64() / self.latency.len() as f64;
            l.float("mean", mean);
            for (name, q) in [("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("p999", 0.999)] {
                l.float(name, seconds(self.micros(q)));
            }
            l.float("max", seconds(self.slowest));
            l.finish();
            obj.raw("latency", &latency);
        }
        obj.uint("late", self.late);
        obj.uint("unfinished", self.unfinished);
        obj.uint("unsent", self.unsent);
        obj.uint("retries", self.retries);
        obj.uint("out_of_order", self.disorder.count);
        if self.compared > 0 {
            obj.uint("compared", self.compared);
            obj.uint("differ", self.differ);
            let map = |m: &BTreeMap<String, u64>| {
                serde_json::Value::Object(serde_json::Map::from_iter(
                    m.iter().map(|(k, n)| (k.clone(), (*n).into())),
                ))
                .to_string()
            };
            obj.raw("diff_kinds", map(&self.diff_kinds).as_bytes());
            obj.raw("diff_paths", map(&self.diff_paths).as_bytes());
        }
        let histogram: Vec<serde_json::Value> = self
            .buckets()
            .into_iter()
            .map(|(le, count)| serde_json::json!({"le": seconds(le), "count": count}))
            .collect();
        obj.raw("histogram", serde_json::Value::Array(histogram).to_string().as_bytes());
        obj.finish();
        String::from_utf8(out).unwrap_or_default()
    }

    /// Up to ten buckets of response times, on a logarithmic scale from the
    /// fastest to the slowest: `(upper bound, requests)`.
    pub fn buckets(&self) -> Vec<(Duration, u64)> {
        if self.latency.is_empty() {
            return Vec::new();
        }
        let lo = self.latency.min().max(1) as f64;
        let hi = self.latency.max().max(1) as f64;
        let steps = if hi / lo < 1.05 { 1 } else { 10 };
        let ratio = (hi / lo).powf(1.0 / steps as f64);
        let mut buckets = Vec::with_capacity(steps);
        let mut below = 0u64;
        for i in 1..=steps {
            let upper = if i == steps { hi } else { lo * ratio.powi(i as i32) };
            let upper = upper.ceil() as u64;
            let through = self.count_upto(upper);
            buckets.push((Duration::from_micros(upper), through - below));
            below = through;
        }
        buckets
    }

    fn count_upto(&self, micros: u64) -> u64 {
        self.latency.count_between(0, micros)
    }
}

/// The `n` largest counts of `map`, largest first (then by name).
fn most_first(map: &BTreeMap<String, u64>, n: usize) -> Vec<(&str, u64)> {
    let mut all: Vec<(&str, u64)> = map.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    all.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    all.truncate(n);
    all
}

/// `1 request`, `2 requests`.
fn plural(n: u64, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// A duration for the summary, as every tool shows one to a person
/// ([`term::seconds`]: `850.0µs`, `12.35ms`, `1.250s`).
pub fn show(d: Duration) -> String {
    term::seconds(d.as_secs_f64())
}

/// Prints records as they come and gathers the figures. Returns them with
/// the first write error (a closed pipe ends the run).
pub fn write_records(
    mut rx: mpsc::Receiver<Done>,
    clock: Clock,
    expect: Option<StatusSet>,
    start: Instant,
    stats: &Mutex<Stats>,
    mut display: Display,
) -> io::Result<()> {
    let mut out = Output::new();
    // Records taken since the last nap; the run's time is that of the last
    // batch's end (one clock read a batch, not one a record).
    let mut taken = 0usize;
    let batch_end = || {
        stats.lock().unwrap_or_else(|e| e.into_inner()).elapsed = start.elapsed();
    };
    (|| loop {
        let done = match rx.try_recv() {
            Ok(done) => done,
            Err(mpsc::error::TryRecvError::Empty) => {
                if taken > 0 {
                    batch_end();
                }
                // Nothing waiting: show what we have (streaming), then wait.
                out.flush()?;
                if taken > 0 {
                    // Under load, a nap gathers the next records into one
                    // batch; blocking would cost a wake-up (a futex call in
                    // a worker) per record, measured at ~10% of the run at
                    // 50k requests/s. Longer while the records come fast,
                    // unless the channel could fill up meanwhile.
                    let busy = (LONG_BATCH..CHANNEL_RECORDS / 4).contains(&taken);
                    taken = 0;
                    std::thread::park_timeout(if busy { LONG_NAP } else { SHORT_NAP });
                    continue;
                }
                match rx.blocking_recv() {
                    Some(done) => done,
                    None => return out.flush(),
                }
            }
            Err(mpsc::error::TryRecvError::Disconnected) => {
                if taken > 0 {
                    batch_end();
                }
                return out.flush();
            }
        };
        taken += 1;
        // Shared, so that Ctrl-C can print them while a write blocks.
        stats.lock().unwrap_or_else(|e| e.into_inner()).add(&done, expect.as_ref());
        let first = out.buf().len();
        done.write_record(&clock, out.buf());
        out.buf().push(b'\n');
        display.show(out.buf(), first);
        out.end_record()?;
    })()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::{Failure, Phases};
    use std::sync::Arc;

    fn done(status: Option<u16>, rt_micros: u64, err: Option<ErrKind>) -> Done {
        Done {
            seq: 1,
            target: Arc::new(crate::target::Target::new(
                http::Method::GET,
                crate::target::parse_user_url("http://h/").unwrap(),
            )),
            sent: Instant::now(),
            lag: None,
            rt: Duration::from_micros(rt_micros),
            status,
            version: None,
            bytes: 10,
            err: err.map(|k| Failure::new(k, String::new())),
            phases: Phases::default(),
            redirects: 0,
            final_url: None,
            retries: 0,
            body_hash: None,
            captured: Vec::new(),
            compared: None,
        }
    }

    #[test]
    fn figures_and_buckets() {
        let mut stats = Stats::new();
        let expect: StatusSet = "2xx".parse().unwrap();
        for i in 1..=100 {
            stats.add(
                &done(Some(if i % 10 == 0 { 404 } else { 200 }), i * 100, None),
                Some(&expect),
            );
        }
        stats.add(&done(None, 5_000_000, Some(ErrKind::Timeout)), Some(&expect));
        stats.elapsed = Duration::from_secs(2);
        assert_eq!(stats.requests, 101);
        assert_eq!(stats.statuses[&200], 90);
        assert_eq!(stats.errors[&ErrKind::Timeout], 1);
        assert_eq!(stats.unexpected, 11);
        assert_eq!(stats.bytes, 1010);
        let p50 = stats.micros(0.5).as_micros();
        assert!((4990..=5010).contains(&p50), "{p50}");
        let buckets = stats.buckets();
        assert_eq!(buckets.len(), 10);
        assert_eq!(buckets.iter().map(|b| b.1).sum::<u64>(), 100);
        assert!(buckets.last().unwrap().0 >= Duration::from_micros(10_000));
        let text = stats.text();
        assert!(text.contains("101 requests in 2.000s, 50.5 requests/s"), "{text}");
        assert!(text.contains("200: 90  404: 10"), "{text}");
        assert!(text.contains("timeout: 1"), "{text}");
        let json: serde_json::Value = serde_json::from_str(&stats.json()).unwrap();
        assert_eq!(json["status"]["404"], 10);
        assert_eq!(json["errors"]["timeout"], 1);
        assert_eq!(json["errors"]["dns"], 0);
        assert_eq!(json["latency"]["max"], 0.01);
        assert_eq!(json["rps"], 50.5);
    }

    #[test]
    fn one_answer_is_its_own_min_mean_percentiles_and_max() {
        // 13,237 µs: the histogram keeps 3 significant digits (13,231 to
        // 13,247 in one bucket), the summary the exact figure everywhere.
        let mut stats = Stats::new();
        stats.add(&done(Some(200), 13_237, None), None);
        let json: serde_json::Value = serde_json::from_str(&stats.json()).unwrap();
        for name in ["min", "mean", "p50", "p90", "p99", "p999", "max"] {
            assert_eq!(json["latency"][name], 0.013237, "{name}: {json}");
        }
    }

    #[test]
    fn durations_for_people() {
        assert_eq!(show(Duration::from_micros(850)), "850.0µs");
        assert_eq!(show(Duration::from_micros(1234)), "1.234ms");
        assert_eq!(show(Duration::from_micros(12345)), "12.35ms");
        assert_eq!(show(Duration::from_millis(1250)), "1.250s");
        // Below a microsecond, which the summary's histogram can hold.
        assert_eq!(show(Duration::from_nanos(400)), "400.0ns");
        assert_eq!(show(Duration::ZERO), "0s");
    }
}
