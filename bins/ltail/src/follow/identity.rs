//! What makes a file the same file: its device and inode, and a checksum of
//! its first bytes (an inode number is reused as soon as a file is deleted,
//! and a copytruncated file keeps its inode while its content starts over).
//!
//! Where reading stopped is kept as a [`Mark`], which also holds a checksum
//! of the bytes just before that place: log files often share their first
//! bytes (a header line, a common prefix), so a file that took a deleted
//! file's inode could pass for it by its head alone; the bytes that end the
//! last line read tell them apart, and a place that is not the end of a
//! line in the file met later shows that it is another file.

use std::fs::{File, Metadata};
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt};

/// How many leading bytes the fingerprint covers, at most.
pub const FINGERPRINT_BYTES: u64 = 256;

/// Device and inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileId {
    pub dev: u64,
    pub ino: u64,
}

impl FileId {
    /// The identity of the file `meta` describes.
    pub fn of(meta: &Metadata) -> FileId {
        FileId { dev: meta.dev(), ino: meta.ino() }
    }
}

/// A checksum of `len` bytes of a file (its first ones, unless said otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint {
    /// How many bytes it covers.
    pub len: u64,
    /// Their FNV-1a checksum.
    pub sum: u64,
}

impl Fingerprint {
    /// Whether the file still starts with the bytes this was taken from.
    pub fn matches(&self, file: &File) -> io::Result<bool> {
        self.matches_at(file, 0)
    }

    /// The checksum of the `len` bytes (at most [`FINGERPRINT_BYTES`]) at
    /// `start`, or of fewer at the end of the file.
    fn read_range(file: &File, start: u64, len: u64) -> io::Result<Fingerprint> {
        let mut buf = [0u8; FINGERPRINT_BYTES as usize];
        let n = read_full_at(file, &mut buf[..len.min(FINGERPRINT_BYTES) as usize], start)?;
        Ok(Fingerprint { len: n as u64, sum: fnv1a(&buf[..n]) })
    }

    /// Whether the file holds at `start` the bytes this was taken from.
    fn matches_at(&self, file: &File, start: u64) -> io::Result<bool> {
        let now = Fingerprint::read_range(file, start, self.len)?;
        Ok(now == *self)
    }

    /// The checksum of the bytes just before `offset` (up to
    /// [`FINGERPRINT_BYTES`]): the end of the last line read.
    pub fn before(file: &File, offset: u64) -> io::Result<Fingerprint> {
        let len = offset.min(FINGERPRINT_BYTES);
        Fingerprint::read_range(file, offset - len, len)
    }

    /// Whether the file holds just before `offset` the bytes this was taken
    /// from (with [`Fingerprint::before`]).
    pub fn matches_before(&self, file: &File, offset: u64) -> io::Result<bool> {
        // One read from a damaged state may claim more bytes than it has.
        match offset.checked_sub(self.len) {
            Some(start) => self.matches_at(file, start),
            None => Ok(false),
        }
    }
}

/// Where reading of a file stopped, and what shows that a file met later
/// (after a restart, or under another name) is that file, unchanged up to
/// that place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    /// Device and inode.
    pub id: FileId,
    /// The first bytes of the file (all it had, up to [`FINGERPRINT_BYTES`]).
    pub head: Fingerprint,
    /// The bytes just before `offset` (up to [`FINGERPRINT_BYTES`]): the end
    /// of the last line read.
    pub tail: Fingerprint,
    /// Just after the last line read.
    pub offset: u64,
}

impl Mark {
    /// The mark of `file` (device and inode `id`, `len` bytes long), read
    /// up to `offset`. Its bytes are read back from the file, which an
    /// appending writer does not change.
    pub fn take(file: &File, id: FileId, offset: u64, len: u64) -> io::Result<Mark> {
        let head = Fingerprint::read_range(file, 0, len.max(offset))?;
        Ok(Mark { id, head, tail: Fingerprint::before(file, offset)?, offset })
    }

    /// Whether `file` (with metadata `meta`) is the file this mark was taken
    /// from: same device and inode, at least `offset` bytes long, and the
    /// same bytes at its head and just before `offset`.
    pub fn matches(&self, file: &File, meta: &Metadata) -> io::Result<bool> {
        if FileId::of(meta) != self.id || meta.len() < self.offset {
            return Ok(false);
        }
        Ok(self.head.matches(file)? && self.tail.matches_before(file, self.offset)?)
    }
}

/// Reads `buf.len()` bytes from the start of `file`, or fewer at its end.
pub(crate) fn read_at_full(file: &File, buf: &mut [u8]) -> io::Result<usize> {
    read_full_at(file, buf, 0)
}

/// Reads `buf.len()` bytes of `file` from `start`, or fewer at its end.
fn read_full_at(file: &File, buf: &mut [u8], start: u64) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read_at(&mut buf[n..], start + n as u64) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// FNV-1a, 64 bits: enough to tell two files' first lines apart.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}
