//! When a tool reads an input on several cores (lparse and lcount on large
//! files), and with how many threads.

use crate::cli::FdInfo;
use std::os::fd::RawFd;

/// Below this size a file is read on one thread: starting threads would
/// cost more than they save.
pub const MIN_SIZE: u64 = 8 << 20;

/// Bytes of input handed to a worker at a time.
pub const CHUNK: usize = 1 << 20;

/// How many workers to use: one per core, at most 4.
pub fn workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).min(4)
}

/// Whether the input on `fd` is worth several threads: a regular file (not
/// a pipe, which may be live) of [`MIN_SIZE`] or more, on a machine with
/// several cores.
pub fn suits(fd: RawFd) -> bool {
    workers() > 1 && FdInfo::of(fd).is_some_and(|i| i.is_regular() && i.size >= MIN_SIZE)
}
