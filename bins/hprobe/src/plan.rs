//! Which request comes next, and when it is due.
//!
//! Without a schedule the workers take requests as fast as they finish the
//! previous ones (a closed model, like ab or hey). With `-q` or
//! `--replay-speed` every request gets a time it is due (an open model, like
//! wrk2): a worker waits for that time, and the response time is measured
//! from it, so a server that stalls makes the queued requests late and the
//! latency shows it instead of the schedule quietly slowing down.

use crate::target::Target;
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
    state: Mutex<State>,
}

struct State {
    source: Source,
    issued: u64,
    limit: Option<u64>,
    pace: Pace,
    start: Instant,
    /// `--replay-speed`: the first target's `ts`, and the last due time
    /// (for targets without `ts`).
    first_ts: Option<jiff::Timestamp>,
    last_due: Option<Instant>,
    fatal: Option<anyhow::Error>,
    done: bool,
}

impl Plan {
    /// `limit`: how many requests in all (`None`: until the source ends, or
    /// for ever with a fixed source, for `-z`).
    pub fn new(source: Source, limit: Option<u64>, pace: Pace, start: Instant) -> Plan {
        Plan {
            state: Mutex::new(State {
                source,
                issued: 0,
                limit,
                pace,
                start,
                first_ts: None,
                last_due: None,
                fatal: None,
                done: false,
            }),
        }
    }

    /// The next request, or `None` when there are no more.
    pub async fn next(&self) -> Option<Job> {
        let mut state = self.state.lock().await;
        if state.done || state.limit.is_some_and(|limit| state.issued >= limit) {
            return None;
        }
        let issued = state.issued;
        let target = match &mut state.source {
            Source::Fixed(targets) => {
                let i = issued as usize % targets.len();
                targets[i].clone()
            }
            Source::Stream(rx) => match rx.recv().await {
                Some(Ok(target)) => Arc::new(target),
                Some(Err(e)) => {
                    state.fatal = Some(e);
                    state.done = true;
                    return None;
                }
                None => {
                    state.done = true;
                    return None;
                }
            },
        };
        let index = state.issued;
        state.issued += 1;
        let due = state.due(index, &target);
        Some(Job { seq: index + 1, target, due })
    }

    /// A fatal problem with the input (`--strict`), once the plan has ended.
    pub async fn take_fatal(&self) -> Option<anyhow::Error> {
        self.state.lock().await.fatal.take()
    }
}

impl State {
    fn due(&mut self, index: u64, target: &Target) -> Option<Instant> {
        match self.pace {
            Pace::Free => None,
            Pace::Rate(per_second) => {
                Some(self.start + Duration::from_secs_f64(index as f64 / per_second))
            }
            Pace::Replay(speed) => {
                let due = match target.ts {
                    Some(ts) => {
                        let first = *self.first_ts.get_or_insert(ts);
                        // A line earlier than the first (merged sources are
                        // not quite in order) is due at once.
                        let offset = ts.duration_since(first).as_secs_f64().max(0.0) / speed;
                        self.start + Duration::from_secs_f64(offset)
                    }
                    None => self.last_due.unwrap_or(self.start),
                };
                self.last_due = Some(due);
                Some(due)
            }
        }
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
}
