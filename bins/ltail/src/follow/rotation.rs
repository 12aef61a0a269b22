//! What happened at a followed path since it was last looked at, the
//! decisions behind following by name:
//!
//! - no file at the path: the file being read was renamed or deleted (it is
//!   read on as an earlier file), or none has appeared yet;
//! - another file at the path (another device and inode): rotated by
//!   rename-and-create, deleted and re-created, or replaced (the old file is
//!   read on, the new one followed);
//! - the same file, but shorter than what was read, or with other bytes
//!   where the last line read ended:
//!   truncated in place (copytruncate) or rewritten, so read from its start.

use super::files::{LastRead, Open};
use super::identity::FileId;
use std::io;
use std::path::Path;

/// What is at a followed path now, compared with the file being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AtPath {
    /// No regular file (not yet, or no longer).
    Nothing,
    /// The file being read (maybe grown, maybe truncated: see [`truncated`]).
    Same,
    /// Another file than the one being read, or a file where none was read.
    Other,
}

/// Looks at `path`, where `current` is being read. Fails on an error other
/// than the path not existing (a permission denied on its directory).
pub fn look(path: &Path, current: Option<&Open>) -> io::Result<AtPath> {
    match std::fs::metadata(path) {
        Ok(meta) if !meta.is_file() => Ok(AtPath::Nothing),
        Ok(meta) if current.is_some_and(|c| c.id == FileId::of(&meta)) => Ok(AtPath::Same),
        Ok(_) => Ok(AtPath::Other),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(AtPath::Nothing),
        Err(e) => Err(e),
    }
}

/// Whether the file being read was truncated (shorter than where reading
/// got to, a held partial line included) or rewritten with new content (the
/// bytes last read changed, see [`LastRead`]). The size is the open file's
/// own, as the path may hold another file by now.
pub fn truncated(open: &Open) -> io::Result<bool> {
    let file = open.reader.get_ref();
    let len = file.metadata()?.len();
    if len < open.reader.position() {
        return Ok(true);
    }
    let Some(LastRead { line_end, read_to }) = open.last_read else { return Ok(false) };
    if len < read_to.0 {
        return Ok(true);
    }
    let same = read_to.1.matches_before(file, read_to.0)?
        && (line_end.0 == read_to.0 || line_end.1.matches_before(file, line_end.0)?);
    Ok(!same)
}
