//! Which request comes next, and when it is due.
//!
//! Without a schedule the workers take requests as fast as they finish the
//! previous ones (a closed model, like ab or hey). With `-q` or
//! `--replay-speed` every request gets a time it is due (an open model, like
//! wrk2): a worker waits for that time, and the response time is measured
//! from it, so a server that stalls makes the queued requests late and the
//! latency shows it instead of the schedule quietly slowing down.

use crate::target::Target;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Mutex};

/// Where targets come from.
pub enum Source {
    /// The command line's URLs, taken in turn.
    Fixed(Vec<Arc<Target>>),
    /// Standard input, read by another thread; an error ends the run.
    Stream(mpsc::Receiver<anyhow::Result<Target>>),
}

/// When requests are due.
#[derive(Debug, Clone, Copy)]
pub enum Pace {
    /// As soon as a worker is free.
    Free,
    /// `-q`: this many per second in all.
    Rate(f64),
    /// `--replay-speed`: at the pace of the targets' `ts`, this many times
    /// faster.
    Replay(f64),
}

/// A request to make.
pub struct Job {
    /// 1 for the first request.
    pub seq: u64,
    pub target: Arc<Target>,
    /// When it is due, under a schedule.
    pub due: Option<Instant>,
}

pub struct Plan {
    /// Requests handed out so far.
    issued: AtomicU64,
    limit: Option<u64>,
    pace: Pace,
    start: Instant,
    /// `-z`: no request is due at or after this time.
    end: Option<Instant>,
    /// The command line's URLs: no lock needed to take the next.
    fixed: Vec<Arc<Target>>,
    /// Standard input's targets, taken one at a time.
    stream: Mutex<Stream>,
}

#[derive(Default)]
struct Stream {
    rx: Option<mpsc::Receiver<anyhow::Result<Target>>>,
    /// `--replay-speed`: the `ts` of the last target that had one, the
    /// latest `ts` so far, and the last due time.
    last_ts: Option<jiff::Timestamp>,
    latest_ts: Option<jiff::Timestamp>,
    last_due: Option<Instant>,
    /// Targets whose `ts` is earlier than one before them.
    disorder: Disorder,
    /// When the first target arrived: the schedule's start.
    first_arrival: Option<Instant>,
    fatal: Option<anyhow::Error>,
}

/// Replayed targets out of time order: how many had a `ts` earlier than
/// the latest before them, and the first of them.
#[derive(Debug, Default, Clone)]
pub struct Disorder {
    pub count: u64,
    /// The first one's `seq` and `ts`, and the latest `ts` before it.
    pub first: Option<(u64, jiff::Timestamp, jiff::Timestamp)>,
}

/// How many requests of a rate are due in the first `secs` seconds: those
/// at `i / rate < secs`, that is `ceil(rate × secs)` (a hair less, so that
/// 200/s over 3 s is 600, not 601 by a rounding error).
pub fn due_within(rate: f64, secs: f64) -> u64 {
    (rate * secs - 1e-9).ceil().max(0.0) as u64
}

impl Plan {
    /// `limit`: how many requests in all (`None`: until the source ends, or
    /// for ever with a fixed source, for `-z`). `duration` (`-z`): no
    /// request is due at its end or after; under `-q` that is exactly
    /// rate × duration requests.
    pub fn new(
        source: Source,
        limit: Option<u64>,
        pace: Pace,
        start: Instant,
        duration: Option<Duration>,
    ) -> Plan {
        let limit = match (pace, duration, &source) {
            (Pace::Rate(rate), Some(d), Source::Fixed(_)) => {
                let due = due_within(rate, d.as_secs_f64());
                Some(limit.map_or(due, |limit| limit.min(due)))
            }
            _ => limit,
        };
        let (fixed, rx) = match source {
            Source::Fixed(targets) => (targets, None),
            Source::Stream(rx) => (Vec::new(), Some(rx)),
        };
        Plan {
            issued: AtomicU64::new(0),
            limit,
            pace,
            start,
            end: duration.and_then(|d| start.checked_add(d)),
            fixed,
            stream: Mutex::new(Stream { rx, ..Stream::default() }),
        }
    }

    /// The next request, or `None` when there are no more.
    pub async fn next(&self) -> Option<Job> {
        if !self.fixed.is_empty() {
            let index = self.issued.fetch_add(1, Ordering::Relaxed);
            if self.limit.is_some_and(|limit| index >= limit) {
                return None;
            }
            let target = self.fixed[index as usize % self.fixed.len()].clone();
            let due = match self.pace {
                Pace::Rate(per_second) => Some(due_at_rate(self.start, index, per_second)),
                _ => None,
            };
            return Some(Job { seq: index + 1, target, due });
        }
        let mut stream = self.stream.lock().await;
        let issued = self.issued.load(Ordering::Relaxed);
        if self.limit.is_some_and(|limit| issued >= limit) {
            return None;
        }
        let target = match stream.rx.as_mut()?.recv().await {
            Some(Ok(target)) => Arc::new(target),
            Some(Err(e)) => {
                stream.fatal = Some(e);
                stream.rx = None;
                return None;
            }
            None => {
                stream.rx = None;
                return None;
            }
        };
        // Under the lock: `seq` follows the order of the input.
        let index = self.issued.load(Ordering::Relaxed);
        // The schedule of a stream starts when its first target arrives, and
        // a target is never due before it arrived: a slow upstream (`ltail
        // -f | lparse | hprobe`) is not the server's latency.
        let arrived = Instant::now();
        let start = *stream.first_arrival.get_or_insert(arrived);
        let due = match self.pace {
            Pace::Free => None,
            Pace::Rate(per_second) => Some(due_at_rate(start, index, per_second)),
            Pace::Replay(speed) => Some(stream.replay_due(&target, speed, start, index + 1)),
        };
        let due = due.map(|due| due.max(arrived));
        if let (Some(due), Some(end)) = (due, self.end) {
            if due >= end {
                // Due after -z: not taken (nor counted as issued).
                stream.rx = None;
                return None;
            }
        }
        let index = self.issued.fetch_add(1, Ordering::Relaxed);
        Some(Job { seq: index + 1, target, due })
    }

    /// Requests handed out (those taken beyond `-n` excluded).
    pub fn issued(&self) -> u64 {
        let issued = self.issued.load(Ordering::Relaxed);
        self.limit.map_or(issued, |limit| issued.min(limit))
    }

    /// Replayed targets out of time order so far.
    pub async fn disorder(&self) -> Disorder {
        self.stream.lock().await.disorder.clone()
    }

    /// A fatal problem with the input (`--strict`), once the plan has ended.
    pub async fn take_fatal(&self) -> Option<anyhow::Error> {
        self.stream.lock().await.fatal.take()
    }
}

/// `start + index / per_second`, saturating far in the future.
fn due_at_rate(start: Instant, index: u64, per_second: f64) -> Instant {
    later(start, index as f64 / per_second)
}

fn later(start: Instant, secs: f64) -> Instant {
    Duration::try_from_secs_f64(secs)
        .ok()
        .and_then(|d| start.checked_add(d))
        .unwrap_or(start + Duration::from_secs(86400 * 365 * 30))
}

impl Stream {
    /// When a replayed target is due. The rule: each target waits, after
    /// the one before it, for the time between their `ts`, divided by the
    /// speed; a target whose `ts` is earlier than the one before it (input
    /// not in time order, such as `access.log` read before `access.log.1`)
    /// waits nothing, and the targets after it keep their own gaps. So a
    /// jump back in time is never a burst of everything after it, and
    /// input in order is paced exactly as logged. Targets earlier than
    /// the latest `ts` before them are counted in [`Disorder`]. A target
    /// without `ts` is due with the one before it.
    fn replay_due(&mut self, target: &Target, speed: f64, start: Instant, seq: u64) -> Instant {
        let last_due = self.last_due.unwrap_or(start);
        let due = match (target.ts, self.last_ts) {
            (Some(ts), Some(last_ts)) => {
                let gap = ts.duration_since(last_ts).as_secs_f64() / speed;
                if let Some(latest) = self.latest_ts.filter(|&latest| ts < latest) {
                    self.disorder.count += 1;
                    self.disorder.first.get_or_insert((seq, ts, latest));
                }
                if gap > 0.0 {
                    last_due
                        .checked_add(Duration::try_from_secs_f64(gap).unwrap_or(Duration::MAX))
                        .unwrap_or(last_due + Duration::from_secs(86400 * 365 * 30))
                } else {
                    last_due
                }
            }
            _ => last_due,
        };
        if let Some(ts) = target.ts {
            self.last_ts = Some(ts);
            self.latest_ts = Some(self.latest_ts.map_or(ts, |latest| latest.max(ts)));
        }
        self.last_due = Some(due);
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::parse_user_url;

    fn target(url: &str) -> Arc<Target> {
        Arc::new(Target::new(http::Method::GET, parse_user_url(url).unwrap()))
    }

    #[tokio::test]
    async fn fixed_urls_in_turn_up_to_the_limit() {
        let start = Instant::now();
        let plan = Plan::new(
            Source::Fixed(vec![target("h/a"), target("h/b")]),
            Some(3),
            Pace::Free,
            start,
            None,
        );
        let mut got = Vec::new();
        while let Some(job) = plan.next().await {
            assert!(job.due.is_none());
            got.push((job.seq, job.target.uri.path().to_string()));
        }
        assert_eq!(got, [(1, "/a".into()), (2, "/b".into()), (3, "/a".into())]);
    }

    #[tokio::test]
    async fn a_rate_spaces_due_times() {
        let start = Instant::now();
        let plan =
            Plan::new(Source::Fixed(vec![target("h/")]), Some(5), Pace::Rate(100.0), start, None);
        let mut dues = Vec::new();
        while let Some(job) = plan.next().await {
            dues.push(job.due.unwrap().duration_since(start).as_millis());
        }
        assert_eq!(dues, [0, 10, 20, 30, 40]);
    }

    #[tokio::test]
    async fn replay_follows_timestamps() {
        let (tx, rx) = mpsc::channel(8);
        for ts in [Some("2026-01-01T00:00:00Z"), Some("2026-01-01T00:00:02Z"), None] {
            let mut t = Target::new(http::Method::GET, parse_user_url("h/").unwrap());
            t.ts = ts.map(|s| s.parse().unwrap());
            tx.send(Ok(t)).await.unwrap();
        }
        tx.send(Err(anyhow::anyhow!("bad line"))).await.unwrap();
        let start = Instant::now();
        let plan = Plan::new(Source::Stream(rx), None, Pace::Replay(2.0), start, None);
        let mut dues = Vec::new();
        while let Some(job) = plan.next().await {
            dues.push(job.due.unwrap().duration_since(start).as_millis());
        }
        assert_eq!(dues, [0, 1000, 1000]);
        assert_eq!(plan.take_fatal().await.unwrap().to_string(), "bad line");
    }

    #[tokio::test]
    async fn a_stream_schedule_starts_with_its_input() {
        // Targets arrive late, and out of order: none is due before it
        // arrived, and the schedule counts from the first one's arrival.
        let (tx, rx) = mpsc::channel(8);
        let start = Instant::now();
        let plan = Plan::new(Source::Stream(rx), None, Pace::Replay(1000.0), start, None);
        let feeder = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            for ts in ["2026-01-01T00:00:10Z", "2026-01-01T00:00:09Z", "2026-01-01T00:00:11Z"] {
                let mut t = Target::new(http::Method::GET, parse_user_url("h/").unwrap());
                t.ts = Some(ts.parse().unwrap());
                tx.send(Ok(t)).await.unwrap();
            }
        });
        let mut jobs = Vec::new();
        while let Some(job) = plan.next().await {
            jobs.push((job.due.unwrap(), Instant::now()));
        }
        feeder.await.unwrap();
        let first = jobs[0].0;
        assert!(first.duration_since(start) >= Duration::from_millis(50));
        // Each due time is no earlier than when next() handed it out
        // (less a little for the clock reads), and the third is due 1 ms
        // (1 s at 1000x) after the first.
        for (due, handed) in &jobs {
            assert!(*due + Duration::from_millis(5) >= *handed);
        }
        // The third waits for its gap after the second (9 s to 11 s), the
        // second (back in time) for nothing.
        assert_eq!(jobs[1].0.duration_since(first).as_millis(), 0);
        assert_eq!(jobs[2].0.duration_since(first).as_millis(), 2);
        let disorder = plan.disorder().await;
        assert_eq!(disorder.count, 1);
        let (seq, ts, latest) = disorder.first.unwrap();
        assert_eq!(
            (seq, ts.to_string(), latest.to_string()),
            (2, "2026-01-01T00:00:09Z".into(), "2026-01-01T00:00:10Z".into())
        );
    }

    #[tokio::test]
    async fn a_rate_over_a_duration_is_exactly_rate_times_duration() {
        for (rate, secs, want) in [(200.0, 3, 600), (10.0, 1, 10), (3.0, 1, 3), (0.5, 3, 2)] {
            let start = Instant::now();
            let d = Duration::from_secs(secs);
            let plan = Plan::new(
                Source::Fixed(vec![target("h/")]),
                None,
                Pace::Rate(rate),
                start,
                Some(d),
            );
            let mut last = None;
            let mut n = 0;
            while let Some(job) = plan.next().await {
                n += 1;
                last = job.due;
            }
            assert_eq!(n, want, "{rate}/s for {secs}s");
            assert!(last.unwrap() < start + d, "every due time before the end");
            assert_eq!(plan.issued(), want);
        }
        assert_eq!(due_within(200.0, 3.0), 600);
        assert_eq!(due_within(10.0, 0.3), 3);
        assert_eq!(due_within(10.0, 0.31), 4);
    }

    #[tokio::test]
    async fn a_history_read_newest_first_is_paced_by_its_gaps() {
        // access.log (10:00:00-10:00:03) read before access.log.1
        // (09:00:00-09:00:03), at 10x: 0.3 s and 0.3 s of gaps, not a
        // burst of the second file.
        let (tx, rx) = mpsc::channel(16);
        for hour in ["10", "09"] {
            for s in 0..4 {
                let mut t = Target::new(http::Method::GET, parse_user_url("h/").unwrap());
                t.ts = Some(format!("2026-01-01T{hour}:00:0{s}Z").parse().unwrap());
                tx.send(Ok(t)).await.unwrap();
            }
        }
        drop(tx);
        let start = Instant::now();
        let plan = Plan::new(Source::Stream(rx), None, Pace::Replay(10.0), start, None);
        let mut dues = Vec::new();
        while let Some(job) = plan.next().await {
            dues.push(job.due.unwrap());
        }
        let first = dues[0];
        let ms: Vec<u128> = dues.iter().map(|d| d.duration_since(first).as_millis()).collect();
        assert_eq!(ms, [0, 100, 200, 300, 300, 400, 500, 600]);
        let disorder = plan.disorder().await;
        assert_eq!(disorder.count, 4, "all of access.log.1 is before 10:00:03");
        assert_eq!(disorder.first.unwrap().0, 5);
    }
}
