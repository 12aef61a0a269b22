//! Buffered standard output for record streams.
//!
//! Records are collected in a large buffer and written in big chunks, which
//! is what makes a pipe between two tools fast. The buffer is flushed when
//! the input goes idle (see [`crate::input::Idle`]), so a live pipeline
//! shows each line as soon as it arrives.

use std::io::{self, Write};

const CAPACITY: usize = 256 * 1024;

/// Standard output with a large buffer. Build a record with [`Output::buf`]
/// then call [`Output::end_record`], which writes the buffer out once it is
/// full.
pub struct Output {
    out: io::StdoutLock<'static>,
    buf: Vec<u8>,
}

impl Default for Output {
    fn default() -> Self {
        Self::new()
    }
}

impl Output {
    /// A buffered standard output; when it is a pipe, the pipe's buffer is
    /// enlarged (best effort).
    pub fn new() -> Self {
        grow_pipe(std::io::stdout());
        Output { out: io::stdout().lock(), buf: Vec::with_capacity(CAPACITY + 4096) }
    }

    /// The buffer to append the next record to.
    #[inline]
    pub fn buf(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }

    /// Call after appending a whole record: writes out once enough is buffered.
    #[inline]
    pub fn end_record(&mut self) -> io::Result<()> {
        if self.buf.len() >= CAPACITY {
            self.write_buffer()?;
        }
        Ok(())
    }

    /// Writes everything buffered through to standard output.
    pub fn flush(&mut self) -> io::Result<()> {
        self.write_buffer()?;
        self.out.flush()
    }

    fn write_buffer(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            let r = self.out.write_all(&self.buf);
            self.buf.clear();
            r?;
        }
        Ok(())
    }
}

impl Drop for Output {
    /// Writes out what is buffered when a tool stops early (a fatal error
    /// under `--strict`): the records before the problem were good. Errors
    /// are ignored here; a normal end calls [`Output::flush`] and sees them.
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

impl crate::input::Idle for Output {
    fn idle(&mut self) -> io::Result<()> {
        self.flush()
    }
}

/// The pipe buffer size asked for when standard output is a pipe.
const PIPE_SIZE: usize = 1 << 20;

/// Enlarges the kernel buffer of a pipe (Linux's default is 64 KiB) so that
/// the writer can hand over a whole output buffer per write and the two
/// processes switch less often; either end may ask (standard output here,
/// standard input in [`crate::cli::InputName::open`]). Best effort: the
/// request may exceed `/proc/sys/fs/pipe-max-size` for an unprivileged
/// user, which is fine.
pub(crate) fn grow_pipe(fd: impl std::os::fd::AsFd) {
    if crate::sys::FdInfo::of(&fd).is_some_and(|i| i.is_fifo()) {
        let _ = rustix::pipe::fcntl_setpipe_size(fd, PIPE_SIZE);
    }
}
