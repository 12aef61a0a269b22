//! The few system calls the tools make beyond what `std` offers, in one
//! place and through rustix, which keeps them safe: waiting on a descriptor
//! (`poll`), the limit of open files (`getrlimit`/`setrlimit`) and what a
//! descriptor is (`fstat`).

use rustix::event::{PollFd, PollFlags, Timespec};
use rustix::process::{getrlimit, setrlimit, Resource};
use std::io;
use std::os::fd::AsFd;
use std::time::Duration;

/// Waits until a read on `fd` would not block (data, end of input or an
/// error is ready), for at most `timeout` (`None`: no limit; zero: just
/// look). Returns whether it is readable; `false` when the time ran out or
/// a signal interrupted the wait.
///
/// # Errors
/// Those of `poll(2)`, but for `EINTR`.
pub fn wait_readable(fd: impl AsFd, timeout: Option<Duration>) -> io::Result<bool> {
    let mut fds = [PollFd::new(&fd, PollFlags::IN)];
    // A wait too long for a timespec is as good as no limit.
    let timeout = timeout.and_then(|d| Timespec::try_from(d).ok());
    match rustix::event::poll(&mut fds, timeout.as_ref()) {
        Ok(n) => Ok(n > 0),
        Err(rustix::io::Errno::INTR) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Waits until `fd`, an output, is hung up or in error: the reader of a
/// pipe went away. Returns `false` at once for a descriptor that cannot
/// report that (the wait returned for another reason), so that the caller
/// stops watching instead of spinning.
///
/// # Errors
/// Those of `poll(2)`, but for `EINTR` (the wait goes on).
pub fn wait_hangup(fd: impl AsFd) -> io::Result<bool> {
    loop {
        // With no events asked for, poll returns only on an error or a
        // hang-up.
        let mut fds = [PollFd::new(&fd, PollFlags::empty())];
        match rustix::event::poll(&mut fds, None) {
            Ok(_) => {
                return Ok(fds[0].revents().intersects(PollFlags::ERR | PollFlags::HUP));
            }
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

/// Raises the soft limit of open files to the hard one (a follower of
/// hundreds of files, a prober with hundreds of connections), and returns
/// the limit now in force, `None` for no limit.
pub fn raise_open_files_limit() -> Option<u64> {
    let limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        let raised = rustix::process::Rlimit { current: limit.maximum, maximum: limit.maximum };
        if setrlimit(Resource::Nofile, raised).is_ok() {
            return limit.maximum;
        }
    }
    limit.current
}

/// What an open descriptor is: its type and size (`fstat`), for the
/// choices that depend on it (a pipe's buffer, whether reads can block,
/// whether a file is worth several threads).
#[derive(Debug, Clone, Copy)]
pub struct FdInfo {
    file_type: rustix::fs::FileType,
    /// The size in bytes (of a regular file; meaningless for others).
    pub size: u64,
}

impl FdInfo {
    /// The type and size of the file open on `fd`; `None` if `fstat` fails
    /// (a closed descriptor).
    pub fn of(fd: impl AsFd) -> Option<FdInfo> {
        let st = rustix::fs::fstat(fd).ok()?;
        Some(FdInfo {
            file_type: rustix::fs::FileType::from_raw_mode(st.st_mode),
            size: u64::try_from(st.st_size).unwrap_or(0),
        })
    }

    /// A regular file (its size is known and reads never block).
    pub fn is_regular(&self) -> bool {
        self.file_type == rustix::fs::FileType::RegularFile
    }

    /// A pipe (FIFO).
    pub fn is_fifo(&self) -> bool {
        self.file_type == rustix::fs::FileType::Fifo
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_pipe_is_readable_once_written_and_hung_up_once_its_reader_is_gone() {
        let (reader, mut writer) = std::io::pipe().unwrap();
        assert!(!wait_readable(&reader, Some(Duration::ZERO)).unwrap());
        writer.write_all(b"x").unwrap();
        assert!(wait_readable(&reader, Some(Duration::from_secs(5))).unwrap());
        assert!(FdInfo::of(&reader).unwrap().is_fifo());
        drop(reader);
        assert!(wait_hangup(&writer).unwrap());
    }

    #[test]
    fn files_are_regular_with_their_size() {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(&[0; 1234]).unwrap();
        let info = FdInfo::of(&file).unwrap();
        assert!(info.is_regular() && !info.is_fifo());
        assert_eq!(info.size, 1234);
    }

    #[test]
    fn the_open_files_limit_is_at_its_hard_maximum_after_raising() {
        let after = raise_open_files_limit();
        let limit = getrlimit(Resource::Nofile);
        assert_eq!(after, limit.current);
        assert_eq!(limit.current, limit.maximum);
    }
}
