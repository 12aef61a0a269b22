//! What `--version` says: the version, and the commit the tools were built
//! from with its date, or that they were built outside git. Read once at
//! build time by `common/build.rs`.

/// The version and build, as every tool's `--version` prints it after the
/// tool's name: `0.1.0 (commit 31ab4c6d2f1e, 2026-11-30)`, or
/// `0.1.0 (built outside git)`.
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("LOGKIT_BUILD"), ")");

#[cfg(test)]
mod tests {
    /// The build script itself, to call its `identity` on other places.
    mod script {
        #![allow(dead_code)]
        include!("../build.rs");

        pub fn identity_of(dir: &Path) -> Option<(String, String)> {
            identity(dir).map(|id| (id.commit, id.date))
        }
    }

    fn git(args: &[&str]) -> String {
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(env!("CARGO_MANIFEST_DIR"))
            .args(args)
            .output()
            .expect("git runs");
        assert!(out.status.success(), "git {args:?}");
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    #[test]
    fn a_checkout_gives_its_commit_and_date() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let (commit, date) = script::identity_of(dir).expect("built from a git checkout");
        let full = git(&["log", "-1", "--format=%H %cI"]);
        let (hash, iso) = full.split_once(' ').unwrap();
        assert_eq!(commit.len(), 12);
        assert!(hash.starts_with(&commit), "{hash} vs {commit}");
        assert_eq!(date, iso[..10]);
        // What this build of the crate was given (built at the same commit:
        // the build script runs again when HEAD moves).
        assert!(super::VERSION.contains(&format!("commit {commit}, {date}")), "{}", super::VERSION);
    }

    #[test]
    fn a_directory_outside_git_says_so() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Cargo.toml"), "[package]\n").unwrap();
        assert_eq!(script::identity_of(dir.path()), None);
        // Inside some other repository, that does not track the crate.
        let init = std::process::Command::new("git")
            .args(["init", "-q"])
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(init.success());
        assert_eq!(script::identity_of(dir.path()), None);
    }
}
