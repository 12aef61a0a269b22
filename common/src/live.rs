//! Live input: stopping cleanly on SIGINT/SIGTERM, and waking up on a
//! schedule while the input is idle.
//!
//! A tool at the end of `ltail -f | lparse | lcount` never sees end of
//! input: the operator stops it with Ctrl-C and still wants the answer, and
//! with `--interval` wants a fresh one every few seconds even when no line
//! arrives. [`LiveInput`] wraps the input so that the ordinary line reader
//! sees end of input once a stop is requested, and an
//! [`io::ErrorKind::TimedOut`] error whenever a tick is due.

use std::io::{self, Read};
use std::os::fd::{AsFd, BorrowedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Set when SIGINT or SIGTERM arrives.
#[derive(Clone)]
pub struct StopFlag(Arc<AtomicBool>);

impl StopFlag {
    /// Catches SIGINT and SIGTERM from now on: instead of killing the
    /// process, they set the flag.
    pub fn install() -> io::Result<StopFlag> {
        let flag = Arc::new(AtomicBool::new(false));
        for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            signal_hook::flag::register(signal, Arc::clone(&flag))?;
        }
        Ok(StopFlag(flag))
    }

    /// Whether a stop was requested.
    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// How long a blocked read waits before it checks the stop flag again: the
/// bound on the delay between a signal and the tool's reaction, for a
/// signal that lands just before the wait begins.
const STOP_CHECK: Duration = Duration::from_millis(200);

/// After a stop, how long a pipe may stay silent before its input counts
/// as ended. In `ltail -f | lparse | lcount` every stage gets the Ctrl-C at
/// once, and the stages upstream write their last lines (ltail's held
/// partial line) after it: a stage reads on until its writer closes the
/// pipe, or goes quiet this long.
const DRAIN_QUIET: Duration = Duration::from_secs(1);

/// After a stop, the most time spent reading what a pipe still brings (a
/// writer that never stops, such as `yes`, is not read forever).
const DRAIN_MAX: Duration = Duration::from_secs(3);

/// An input that ends when a stop is requested and reports due ticks.
pub struct LiveInput<R> {
    inner: R,
    /// Whether reads can block (a pipe or terminal, not a regular file).
    can_block: bool,
    /// Whether the input is a pipe, read on after a stop (see
    /// [`DRAIN_QUIET`]); a terminal or a file ends at once.
    drains: bool,
    /// When the stop was first seen.
    stop_seen: Option<Instant>,
    stop: StopFlag,
    tick: Option<(Duration, Instant)>,
    stopped: bool,
}

impl<R: Read + AsFd> LiveInput<R> {
    /// Wraps `inner`, which ends at once when `stop` is set.
    pub fn new(inner: R, stop: StopFlag) -> Self {
        let info = crate::sys::FdInfo::of(&inner);
        let can_block = !info.as_ref().is_some_and(|i| i.is_regular());
        let drains = info.is_some_and(|i| i.is_fifo());
        LiveInput { inner, can_block, drains, stop_seen: None, stop, tick: None, stopped: false }
    }

    /// Reports a tick (a `TimedOut` read error) every `every`, counted from
    /// now, also while the input is idle.
    pub fn tick_every(mut self, every: Duration) -> Self {
        self.tick = Some((every, Instant::now() + every));
        self
    }

    /// Whether reading ended because of a stop request.
    pub fn stopped(&self) -> bool {
        self.stopped
    }

    /// Returns `TimedOut` when a tick is due, and schedules the next one.
    fn tick_due(&mut self) -> io::Result<()> {
        if let Some((every, next)) = &mut self.tick {
            let now = Instant::now();
            if now >= *next {
                while *next <= now {
                    *next += *every;
                }
                return Err(io::Error::new(io::ErrorKind::TimedOut, "tick"));
            }
        }
        Ok(())
    }

    /// Waits until the input is readable; `false` means stop or tick first.
    fn wait_readable(&mut self) -> io::Result<bool> {
        loop {
            if self.stop.is_set() {
                return self.drain_readable();
            }
            self.tick_due()?;
            let mut wait = STOP_CHECK;
            if let Some((_, next)) = self.tick {
                wait = wait.min(next.saturating_duration_since(Instant::now()));
            }
            // At least a millisecond: a tick due now is taken on the next
            // turn, without spinning.
            let wait = wait.max(Duration::from_millis(1));
            if crate::sys::wait_readable(&self.inner, Some(wait))? {
                return Ok(true);
            }
        }
    }
}

impl<R: Read + AsFd> LiveInput<R> {
    /// After a stop: whether a pipe still brings something (or its end)
    /// within [`DRAIN_QUIET`], and [`DRAIN_MAX`] is not over.
    fn drain_readable(&mut self) -> io::Result<bool> {
        if !self.drains {
            return Ok(false);
        }
        let since = *self.stop_seen.get_or_insert_with(Instant::now);
        let left = DRAIN_MAX.saturating_sub(since.elapsed());
        if left.is_zero() {
            return Ok(false);
        }
        crate::sys::wait_readable(&self.inner, Some(DRAIN_QUIET.min(left)))
    }
}

impl<R: Read + AsFd> Read for LiveInput<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.stopped {
            return Ok(0);
        }
        if self.can_block {
            if !self.wait_readable()? {
                self.stopped = true;
                return Ok(0);
            }
        } else {
            if self.stop.is_set() {
                self.stopped = true;
                return Ok(0);
            }
            self.tick_due()?;
        }
        loop {
            match self.inner.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                    if self.stop.is_set() {
                        self.stopped = true;
                        return Ok(0);
                    }
                }
                r => return r,
            }
        }
    }
}

impl<R: AsFd> AsFd for LiveInput<R> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

/// Whether an I/O error is a tick from [`LiveInput`].
pub fn is_tick(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::TimedOut
}
