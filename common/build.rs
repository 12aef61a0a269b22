// Build identity for `--version`: the commit the tools were built from and
// its date, read from git at build time, or "built outside git" (a source
// archive, `cargo install` from a registry). Every tool prints it through
// `logkit_common::build_info`, so this is the one build script.
//
// Sets `LOGKIT_BUILD` for the crate: `commit 31ab4c6d2f1e, 2026-11-30` or
// `built outside git`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    println!("cargo:rerun-if-changed=build.rs");
    let build = match identity(&dir) {
        Some(id) => {
            // A new commit or a checkout changes these files: then the
            // identity is read again (and only then).
            for path in &id.watch {
                println!("cargo:rerun-if-changed={}", path.display());
            }
            format!("commit {}, {}", id.commit, id.date)
        }
        None => "built outside git".to_owned(),
    };
    println!("cargo:rustc-env=LOGKIT_BUILD={build}");
}

/// What git says about the checkout the crate is built from.
#[derive(Debug)]
struct Identity {
    /// The commit's hash, abbreviated to 12 hex digits.
    commit: String,
    /// The commit's date (the committer's), `YYYY-MM-DD`.
    date: String,
    /// The files that change when HEAD moves: HEAD, the branch's ref,
    /// packed-refs.
    watch: Vec<PathBuf>,
}

/// The identity of the commit checked out at `dir`; `None` when `dir` is
/// not in a git work tree that tracks this crate (an unpacked archive,
/// even one inside some other repository), or git is missing.
fn identity(dir: &Path) -> Option<Identity> {
    let git = |args: &[&str]| -> Option<String> {
        let out = Command::new("git").arg("-C").arg(dir).args(args).output().ok()?;
        let text = String::from_utf8(out.stdout).ok()?;
        (out.status.success() && !text.trim().is_empty()).then(|| text.trim().to_owned())
    };
    // Tracked here, so this repository is the crate's own.
    git(&["ls-files", "--error-unmatch", "Cargo.toml"])?;
    let commit = git(&["rev-parse", "--short=12", "HEAD"])?;
    let date = git(&["log", "-1", "--format=%cs", "HEAD"])?;
    let mut watch = Vec::new();
    let mut paths = vec!["HEAD".to_owned(), "packed-refs".to_owned()];
    paths.extend(git(&["rev-parse", "--symbolic-full-name", "HEAD"]));
    for path in paths {
        if let Some(p) = git(&["rev-parse", "--path-format=absolute", "--git-path", &path]) {
            if Path::new(&p).exists() {
                watch.push(PathBuf::from(p));
            }
        }
    }
    Some(Identity { commit, date, watch })
}
