//! Which paths to follow: the names given, and the matches of quoted globs
//! (`ltail -f '/var/log/nginx/*.log'`), found again while following so that
//! new files join.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// A path or a glob pattern from the command line.
#[derive(Debug, Clone)]
pub enum Target {
    /// A path, followed by name.
    Path(PathBuf),
    /// A pattern whose matches are followed, found again as files appear.
    Glob(String),
}

impl Target {
    /// A command-line argument as a path, or as a glob if it has glob
    /// characters and is a valid pattern.
    pub fn parse(arg: &std::ffi::OsStr) -> Target {
        let text = arg.to_string_lossy();
        if text.contains(['*', '?', '[']) && glob::Pattern::new(&text).is_ok() {
            return Target::Glob(text.into_owned());
        }
        Target::Path(PathBuf::from(arg))
    }

    /// The directory whose changes matter: a path's parent, or the fixed
    /// leading part of a glob.
    pub fn directory(&self) -> PathBuf {
        match self {
            Target::Path(p) => parent(p),
            Target::Glob(text) => {
                let fixed: PathBuf = Path::new(text)
                    .components()
                    .take_while(|c| !c.as_os_str().to_string_lossy().contains(['*', '?', '[']))
                    .collect();
                if fixed.as_os_str().is_empty() {
                    PathBuf::from(".")
                } else {
                    fixed
                }
            }
        }
    }
}

/// The parent directory of a path (`.` for a bare file name).
pub fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Whether one of the globs matches `path`.
pub fn glob_matches(targets: &[Target], path: &Path) -> bool {
    targets.iter().any(|t| match t {
        Target::Glob(text) => glob::Pattern::new(text).is_ok_and(|p| p.matches_path(path)),
        Target::Path(_) => false,
    })
}

/// The names of compressed rotated files (`access.log.2.gz`): a glob that
/// matches the rotated names (`'logs/*.log*'`) does not follow them, as
/// they are never written to, and their content is not lines.
const COMPRESSED: [&str; 3] = ["gz", "zst", "bz2"];

/// The regular files that the globs match now, in order, but for
/// compressed ones.
pub fn expand(targets: &[Target]) -> BTreeSet<PathBuf> {
    let mut found = BTreeSet::new();
    for t in targets {
        if let Target::Glob(text) = t {
            if let Ok(paths) = glob::glob(text) {
                found.extend(paths.flatten().filter(|p| {
                    let compressed =
                        p.extension().is_some_and(|e| COMPRESSED.iter().any(|c| e == *c));
                    !compressed && p.is_file()
                }));
            }
        }
    }
    found
}
