//! What makes a file the same file: its device and inode, and a checksum of
//! its first bytes (an inode number is reused as soon as a file is deleted,
//! and a copytruncated file keeps its inode while its content starts over).

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
    pub fn of(meta: &Metadata) -> FileId {
        FileId { dev: meta.dev(), ino: meta.ino() }
    }
}

/// A checksum of a file's first `len` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint {
    pub len: u64,
    pub sum: u64,
}

impl Fingerprint {
    /// The fingerprint of the first `min(FINGERPRINT_BYTES, limit)` bytes:
    /// `limit` is how far the caller has read, so that the checksum only
    /// covers bytes already seen (a file's head does not change as it grows).
    pub fn read(file: &File, limit: u64) -> io::Result<Fingerprint> {
        let len = limit.min(FINGERPRINT_BYTES);
        let mut buf = [0u8; FINGERPRINT_BYTES as usize];
        let n = read_at_full(file, &mut buf[..len as usize])?;
        Ok(Fingerprint { len: n as u64, sum: fnv1a(&buf[..n]) })
    }

    /// Whether the file still starts with the bytes this was taken from.
    pub fn matches(&self, file: &File) -> io::Result<bool> {
        let mut buf = [0u8; FINGERPRINT_BYTES as usize];
        let n = read_at_full(file, &mut buf[..self.len as usize])?;
        Ok(n as u64 == self.len && fnv1a(&buf[..n]) == self.sum)
    }
}

/// Reads `buf.len()` bytes from the start of `file`, or fewer at its end.
pub(crate) fn read_at_full(file: &File, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read_at(&mut buf[n..], n as u64) {
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
