//! `--state FILE`: where each followed file was left, so that a restarted
//! ltail goes on exactly after the last line it wrote.
//!
//! Each entry keeps a file's identity (device, inode and a checksum of its
//! first bytes, so that a reused inode is not mistaken for the old file) and
//! the offset just after the last line written out. The file is replaced
//! atomically (temporary file, fsync, rename, fsync of the directory), at
//! exit and periodically, and always after the output was flushed, so that
//! a crash can repeat the lines written since the last checkpoint but never
//! lose one.

use super::identity::{FileId, Fingerprint};
use serde::{Deserialize, Serialize};
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The followed path (as given).
    pub path: PathBuf,
    /// Whether this is the file at the path (else an earlier, rotated file
    /// of the path that was still being read).
    pub current: bool,
    pub dev: u64,
    pub ino: u64,
    pub fingerprint_len: u64,
    pub fingerprint: u64,
    pub offset: u64,
}

impl Entry {
    pub fn new(
        path: &Path,
        current: bool,
        id: FileId,
        fp: Option<Fingerprint>,
        offset: u64,
    ) -> Entry {
        let fp = fp.unwrap_or(Fingerprint { len: 0, sum: 0 });
        Entry {
            path: path.to_path_buf(),
            current,
            dev: id.dev,
            ino: id.ino,
            fingerprint_len: fp.len,
            fingerprint: fp.sum,
            offset,
        }
    }

    pub fn id(&self) -> FileId {
        FileId { dev: self.dev, ino: self.ino }
    }

    pub fn fingerprint(&self) -> Option<Fingerprint> {
        (self.fingerprint_len > 0)
            .then_some(Fingerprint { len: self.fingerprint_len, sum: self.fingerprint })
    }

    /// Whether `file` is the file this entry was taken from.
    pub fn matches(&self, file: &File) -> io::Result<bool> {
        let meta = file.metadata()?;
        if FileId::of(&meta) != self.id() || meta.len() < self.offset {
            return Ok(false);
        }
        match self.fingerprint() {
            Some(fp) => fp.matches(file),
            None => Ok(true),
        }
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct State {
    pub version: u32,
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
    for e in fs::read_dir(dir).ok()?.flatten() {
        let Ok(meta) = e.metadata() else { continue };
        if meta.is_file() && meta.ino() == entry.ino && meta.dev() == entry.dev {
            let path = e.path();
            if let Ok(file) = File::open(&path) {
                if entry.matches(&file).unwrap_or(false) {
                    return Some((path, file));
                }
            }
        }
    }
    None
}
