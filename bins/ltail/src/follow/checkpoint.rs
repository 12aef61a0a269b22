//! `--state FILE`: where each followed file was left, so that a restarted
//! ltail goes on exactly after the last line it wrote.
//!
//! Each entry keeps a file's [`Mark`]: its identity (device, inode, and
//! checksums of its first bytes and of the bytes that end the last line
//! read, so that a reused inode is not mistaken for the old file) and the
//! offset just after the last line written out. The file is replaced
//! atomically (temporary file, fsync, rename, fsync of the directory), and
//! always after the output was flushed: periodically, at exit, and whenever
//! the set of files being read changes, before any line of a newly opened
//! file is written. So a crash at any instant can repeat the lines written
//! since the last checkpoint but never lose one: every file that has given
//! a line is in the state, at or before its last line written.

use super::identity::{FileId, Fingerprint, Mark};
use serde::{Deserialize, Serialize};
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// One file being read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The followed path (as given).
    pub path: PathBuf,
    /// Whether this is the file at the path (else an earlier, rotated file
    /// of the path that was still being read).
    pub current: bool,
    /// Device.
    pub dev: u64,
    /// Inode.
    pub ino: u64,
    /// How many of the file's first bytes `fingerprint` covers.
    pub fingerprint_len: u64,
    /// The checksum of the file's first bytes.
    pub fingerprint: u64,
    /// How many of the bytes just before `offset` `tail` covers (absent
    /// from the states of earlier versions: then only the head is checked).
    #[serde(default)]
    pub tail_len: u64,
    /// The checksum of the bytes just before `offset`.
    #[serde(default)]
    pub tail: u64,
    /// Just after the last line written out.
    pub offset: u64,
}

impl Entry {
    /// The entry of a file of `path` (its `current` file, or an earlier
    /// one), read up to `mark`.
    pub fn new(path: &Path, current: bool, mark: &Mark) -> Entry {
        Entry {
            path: path.to_path_buf(),
            current,
            dev: mark.id.dev,
            ino: mark.id.ino,
            fingerprint_len: mark.head.len,
            fingerprint: mark.head.sum,
            tail_len: mark.tail.len,
            tail: mark.tail.sum,
            offset: mark.offset,
        }
    }

    /// Where the file was left, and how to know it again.
    pub fn mark(&self) -> Mark {
        Mark {
            id: FileId { dev: self.dev, ino: self.ino },
            head: Fingerprint { len: self.fingerprint_len, sum: self.fingerprint },
            tail: Fingerprint { len: self.tail_len, sum: self.tail },
            offset: self.offset,
        }
    }
}

/// The whole `--state` file.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct State {
    /// The format's version (1: the tail fields are optional).
    pub version: u32,
    /// The files being read.
    pub files: Vec<Entry>,
}

/// Reads a state file; a missing one is an empty state.
pub fn load(path: &Path) -> anyhow::Result<State> {
    match fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| anyhow::anyhow!("{}: not an ltail state file: {e}", path.display())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            Ok(State { version: 1, files: Vec::new() })
        }
        Err(e) => Err(anyhow::anyhow!("{}: {e}", path.display())),
    }
}

/// Replaces the state file atomically.
pub fn save(path: &Path, state: &State) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = dir.join(format!(".{name}.tmp.{}", std::process::id()));
    {
        let mut f = File::create(&tmp)?;
        f.write_all(&serde_json::to_vec(state).map_err(io::Error::other)?)?;
        f.write_all(b"\n")?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path)?;
    // The rename itself is durable once the directory is synced.
    File::open(&dir)?.sync_all()
}

/// Looks in `dir` for the file an entry describes, under any name: a file
/// rotated while ltail was not running.
pub fn find_by_identity(dir: &Path, entry: &Entry) -> Option<(PathBuf, File)> {
    use std::os::unix::fs::MetadataExt;
    let mark = entry.mark();
    for e in fs::read_dir(dir).ok()?.flatten() {
        let Ok(meta) = e.metadata() else { continue };
        if meta.is_file() && meta.ino() == entry.ino && meta.dev() == entry.dev {
            let path = e.path();
            if let Ok(file) = File::open(&path) {
                let same = file.metadata().and_then(|meta| mark.matches(&file, &meta));
                if same.unwrap_or(false) {
                    return Some((path, file));
                }
            }
        }
    }
    None
}
