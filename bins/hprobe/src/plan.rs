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
    /// The command line's URLs: no lock needed to take the next.
    fixed: Vec<Arc<Target>>,
    /// Standard input's targets, taken one at a time.
    stream: Mutex<Stream>,
}

#[derive(Default)]
struct Stream {
    rx: Option<mpsc::Receiver<anyhow::Result<Target>>>,
    /// `--replay-speed`: the first target's `ts`, and the last due time
    /// (for targets without `ts`).
    first_ts: Option<jiff::Timestamp>,
    last_due: Option<Instant>,
    /// When the first target arrived: the schedule's start.
    first_arrival: Option<Instant>,
    fatal: Option<anyhow::Error>,
}

impl Plan {
    /// `limit`: how many requests in all (`None`: until the source ends, or
    /// for ever with a fixed source, for `-z`).
    pub fn new(source: Source, limit: Option<u64>, pace: Pace, start: Instant) -> Plan {
        let (fixed, rx) = match source {
            Source::Fixed(targets) => (targets, None),
            Source::Stream(rx) => (Vec::new(), Some(rx)),
        };
        Plan {
            issued: AtomicU64::new(0),
            limit,
            pace,
            start,
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
        let index = self.issued.fetch_add(1, Ordering::Relaxed);
        // The schedule of a stream starts when its first target arrives, and
        // a target is never due before it arrived: a slow upstream (`ltail
        // -f | lparse | hprobe`) is not the server's latency.
        let arrived = Instant::now();
        let start = *stream.first_arrival.get_or_insert(arrived);
        let due = match self.pace {
            Pace::Free => None,
            Pace::Rate(per_second) => Some(due_at_rate(start, index, per_second)),
            Pace::Replay(speed) => Some(stream.replay_due(&target, speed, start)),
        };
        Some(Job { seq: index + 1, target, due: due.map(|due| due.max(arrived)) })
    }

    /// Requests handed out (those taken beyond `-n` excluded).
    pub fn issued(&self) -> u64 {
        let issued = self.issued.load(Ordering::Relaxed);
        self.limit.map_or(issued, |limit| issued.min(limit))
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
    /// When a replayed target is due: its `ts` after the first target's,
    /// divided by the speed. A target earlier than the first (sources not
    /// quite in order) is due at once (the caller makes "at once" the time
    /// it arrived); one without `ts` when the previous one was.
    fn replay_due(&mut self, target: &Target, speed: f64, start: Instant) -> Instant {
        let due = match target.ts {
            Some(ts) => {
                let first = *self.first_ts.get_or_insert(ts);
                let offset = ts.duration_since(first).as_secs_f64() / speed;
                if offset < 0.0 {
                    start
                } else {
                    later(start, offset)
                }
            }
            None => self.last_due.unwrap_or(start),
        };
        self.last_due = Some(due);
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::parse_url;

    fn target(url: &str) -> Arc<Target> {
        Arc::new(Target::new(http::Method::GET, parse_url(url).unwrap()))
    }

    #[tokio::test]
    async fn fixed_urls_in_turn_up_to_the_limit() {
        let start = Instant::now();
        let plan = Plan::new(
            Source::Fixed(vec![target("h/a"), target("h/b")]),
            Some(3),
            Pace::Free,
            start,
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
        let plan = Plan::new(Source::Fixed(vec![target("h/")]), Some(5), Pace::Rate(100.0), start);
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
            let mut t = Target::new(http::Method::GET, parse_url("h/").unwrap());
            t.ts = ts.map(|s| s.parse().unwrap());
            tx.send(Ok(t)).await.unwrap();
        }
        tx.send(Err(anyhow::anyhow!("bad line"))).await.unwrap();
        let start = Instant::now();
        let plan = Plan::new(Source::Stream(rx), None, Pace::Replay(2.0), start);
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
        let plan = Plan::new(Source::Stream(rx), None, Pace::Replay(1000.0), start);
        let feeder = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            for ts in ["2026-01-01T00:00:10Z", "2026-01-01T00:00:09Z", "2026-01-01T00:00:11Z"] {
                let mut t = Target::new(http::Method::GET, parse_url("h/").unwrap());
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
        assert_eq!(jobs[2].0.duration_since(first).as_millis(), 1);
    }
}
