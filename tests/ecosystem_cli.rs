//! What a user who installs the tools gets besides the binaries: `--version`
//! with the build, man pages (`TOOL --generate man`, read by the real
//! `man`), shell completions (loaded by a real bash), and
//! scripts/install.sh putting all of them in place.

mod util;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use util::{bin, repo_root};

const TOOLS: [&str; 5] = ["ltail", "lparse", "lcount", "lgrep", "hprobe"];

fn run(cmd: &mut Command) -> Output {
    let out = cmd.stdin(Stdio::null()).output().expect("the command runs");
    assert!(
        out.status.success(),
        "{cmd:?}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn text(cmd: &mut Command) -> String {
    String::from_utf8(run(cmd).stdout).expect("UTF-8 output")
}

/// The workspace's version, read from the root Cargo.toml.
fn workspace_version() -> String {
    let toml = std::fs::read_to_string(repo_root().join("Cargo.toml")).unwrap();
    let section = toml.split("[workspace.package]").nth(1).unwrap();
    let line = section.lines().find(|l| l.starts_with("version")).unwrap();
    line.split('"').nth(1).unwrap().to_owned()
}

#[test]
fn version_names_the_commit_and_its_date() {
    let git =
        text(Command::new("git").arg("-C").arg(repo_root()).args(["log", "-1", "--format=%H %cs"]));
    let (hash, date) = git.trim().split_once(' ').unwrap();
    for tool in TOOLS {
        let got = text(Command::new(bin(tool)).arg("--version"));
        let prefix = format!("{tool} {} (commit ", workspace_version());
        let rest = got.strip_prefix(&prefix).unwrap_or_else(|| panic!("{got:?}"));
        let (commit, date_got) = rest.trim_end().trim_end_matches(')').split_once(", ").unwrap();
        assert!(
            commit.len() >= 7 && hash.starts_with(commit),
            "{tool}: {commit} is not HEAD ({hash}); rebuild (`cargo build`) after committing"
        );
        assert_eq!(date_got, date, "{tool}");
    }
}

/// The page as `man` shows it: plain text, wide enough not to wrap options.
fn man_output(page: &[u8]) -> (String, String) {
    let mut child = Command::new("man")
        .args(["--warnings", "-l", "-"])
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "200")
        .env("LC_ALL", "C")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("man is installed (scripts/test.sh installs man-db)");
    use std::io::Write;
    child.stdin.take().unwrap().write_all(page).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "man: {}", String::from_utf8_lossy(&out.stderr));
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into())
}

/// The long options `--help` lists, in their order.
fn long_options(help: &str) -> Vec<String> {
    help.lines()
        .map(str::trim_start)
        .filter_map(|l| {
            // `-n, --lines <N>` or `--json`
            let l = if l.get(2..4) == Some(", ") { &l[4..] } else { l };
            let name = l.strip_prefix("--")?.split([' ', '=', '<']).next()?;
            (!name.is_empty()).then(|| format!("--{name}"))
        })
        .collect()
}

#[test]
fn man_renders_each_page_with_every_option_and_the_examples() {
    for tool in TOOLS {
        let page = run(Command::new(bin(tool)).args(["--generate", "man"])).stdout;
        let (shown, warnings) = man_output(&page);
        assert_eq!(warnings, "", "{tool}: man's warnings");
        assert!(shown.contains(&format!("NAME\n       {tool} - ")), "{tool}:\n{shown}");
        let help = text(Command::new(bin(tool)).arg("--help"));
        let options = long_options(&help);
        assert!(options.len() >= 5 && options.contains(&"--generate".to_owned()), "{options:?}");
        for option in &options {
            assert!(
                shown.lines().any(|l| l.trim_start().starts_with(option.as_str())
                    || l.trim_start().contains(&format!(", {option}"))),
                "{tool}: {option} is not in the man page:\n{shown}"
            );
        }
        // The examples of --help, laid out as they are, line for line.
        let first_example = help.lines().skip_while(|l| *l != "Examples:").nth(1).unwrap();
        assert!(shown.contains(&format!("\n       {first_example}\n")), "{tool}: {first_example}");
        assert!(shown.contains("SEE ALSO"), "{tool}");
    }
}

/// Runs bash with `script` after loading `completions`; its stdout.
fn bash(completions: &Path, script: &str) -> String {
    text(
        Command::new("bash")
            .arg("--norc")
            .arg("-c")
            .arg(format!("set -e; source {}; {script}", completions.display())),
    )
}

#[test]
fn bash_loads_the_completions_and_completes_options_and_values() {
    let dir = tempfile::tempdir().unwrap();
    for tool in TOOLS {
        let file = dir.path().join(tool);
        std::fs::write(&file, run(Command::new(bin(tool)).args(["--generate", "bash"])).stdout)
            .unwrap();
        let shown = bash(&file, &format!("complete -p {tool}"));
        assert!(
            shown.contains(&format!(" -F _{tool} ")) && shown.trim_end().ends_with(tool),
            "{shown}"
        );
        // What bash would offer after `TOOL --gen<TAB>` and after
        // `TOOL --generate <TAB>`.
        let complete = |words: &str| {
            bash(
                &file,
                &format!(
                    "COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}}-1)); \
                     COMP_LINE=\"${{COMP_WORDS[*]}}\"; COMP_POINT=${{#COMP_LINE}}; \
                     _{tool} {tool} \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; \
                     printf '%s\\n' \"${{COMPREPLY[@]}}\""
                ),
            )
        };
        assert_eq!(complete(&format!("{tool} --gen")).trim(), "--generate", "{tool}");
        let kinds = complete(&format!("{tool} --generate ''"));
        let mut kinds: Vec<&str> = kinds.split_whitespace().collect();
        kinds.sort_unstable();
        assert_eq!(kinds, ["bash", "elvish", "fish", "man", "powershell", "zsh"], "{tool}");
    }
    // A tool's own options: ltail's --follow and --from-start.
    let file = dir.path().join("ltail");
    let got = bash(
        &file,
        "COMP_WORDS=(ltail --f); COMP_CWORD=1; _ltail ltail --f ltail; printf '%s\\n' \"${COMPREPLY[@]}\"",
    );
    assert_eq!(got.lines().collect::<Vec<_>>(), ["--follow", "--from-start"]);
}

#[test]
fn each_shell_gets_its_own_completions() {
    for tool in TOOLS {
        for (shell, start) in [
            ("zsh", format!("#compdef {tool}")),
            ("fish", format!("complete -c {tool} ")),
            ("elvish", "\nuse builtin;".to_owned()),
            ("powershell", "\nusing namespace System.Management.Automation".to_owned()),
        ] {
            let got = text(Command::new(bin(tool)).args(["--generate", shell]));
            assert!(got.starts_with(start.as_str()), "{tool} {shell}: {got:.200}");
            assert!(got.contains("generate"), "{tool} {shell}");
        }
    }
}

#[test]
fn generate_stands_alone() {
    let out = Command::new(bin("ltail")).args(["--generate", "man", "-f"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("ltail: "));
    assert!(out.stdout.is_empty());
    let out = Command::new(bin("lcount")).args(["--generate", "troff"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("possible values: man, bash"));
}

#[test]
fn install_sh_puts_binaries_pages_and_completions_in_place() {
    let prefix = tempfile::tempdir().unwrap();
    let from = bin("ltail").parent().unwrap().to_owned();
    run(Command::new(repo_root().join("scripts/install.sh"))
        .arg("--prefix")
        .arg(prefix.path())
        .arg("--from")
        .arg(&from));
    let p = prefix.path();
    for tool in TOOLS {
        let installed = p.join("bin").join(tool);
        assert_eq!(
            text(Command::new(&installed).arg("--version")),
            text(Command::new(bin(tool)).arg("--version"))
        );
        // man finds the page by name through MANPATH, and shows it.
        let shown = text(
            Command::new("man")
                .arg(tool)
                .env("MANPATH", p.join("share/man"))
                .env("MANPAGER", "cat")
                .env("MANWIDTH", "200")
                .env("LC_ALL", "C"),
        );
        assert!(shown.contains(&format!("NAME\n       {tool} - ")), "{tool}: {shown:.300}");
        let shown = bash(
            &p.join("share/bash-completion/completions").join(tool),
            &format!("complete -p {tool}"),
        );
        assert!(shown.trim_end().ends_with(tool), "{shown}");
        assert!(p.join(format!("share/zsh/site-functions/_{tool}")).is_file());
        assert!(p.join(format!("share/fish/vendor_completions.d/{tool}.fish")).is_file());
    }
}

/// The format names of docs/formats.md's tables (their first column).
fn documented_formats() -> Vec<String> {
    let docs = std::fs::read_to_string(repo_root().join("docs/formats.md")).unwrap();
    let mut in_formats = false;
    let mut names = Vec::new();
    for line in docs.lines() {
        if line.starts_with("| name |") {
            in_formats = true;
        } else if !line.starts_with('|') {
            in_formats = false;
        } else if in_formats && line.starts_with("| `") {
            names.push(line[3..].split('`').next().unwrap().to_owned());
        }
    }
    names
}

#[test]
fn lparse_explains_its_formats_without_the_docs() {
    let documented = documented_formats();
    assert!(documented.len() >= 9, "{documented:?}");
    let list = text(Command::new(bin("lparse")).arg("--list-formats"));
    let listed: Vec<&str> =
        list.lines().take_while(|l| !l.is_empty()).map(|l| l.split(' ').next().unwrap()).collect();
    let mut want: Vec<&str> = documented.iter().map(String::as_str).collect();
    want.push("custom");
    assert_eq!(listed, want);
    // --help and the man page list them too, and send no one to a file of
    // the checkout.
    let help = text(Command::new(bin("lparse")).arg("--help"));
    let page = run(Command::new(bin("lparse")).args(["--generate", "man"])).stdout;
    let (shown, _) = man_output(&page);
    for name in &want {
        assert!(help.contains(&format!("\n  {name} ")), "--help lacks {name}");
        assert!(shown.contains(&format!("\n         {name} ")), "the man page lacks {name}");
    }
    assert!(!help.contains("docs/"), "{help}");
    // Each format's help shows a sample line and lparse's record of it:
    // the record is what lparse makes of that line.
    for name in &documented {
        let help = text(Command::new(bin("lparse")).args(["--format-help", name]));
        assert!(help.starts_with(&format!("{name} - ")), "{help}");
        // The sample lines, given to lparse in one input (W3C's #Fields:
        // first), and the records shown for them.
        let samples: Vec<&str> = help.lines().filter_map(|l| l.strip_prefix("Line:   ")).collect();
        let shown: Vec<&str> = help
            .lines()
            .filter_map(|l| l.strip_prefix("Record: "))
            .filter(|r| r.starts_with('{'))
            .collect();
        assert!(!shown.is_empty(), "{name}: {help}");
        let mut lparse = Command::new(bin("lparse"))
            .args(["--tz", "UTC", "--format", name])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        let input = samples.iter().map(|l| format!("{l}\n")).collect::<String>();
        lparse.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        let out = lparse.wait_with_output().unwrap();
        assert!(out.status.success(), "{name}");
        let made = String::from_utf8(out.stdout).unwrap();
        assert_eq!(made.lines().collect::<Vec<_>>(), shown, "{name}");
    }
    let out = Command::new(bin("lparse")).args(["--format-help", "nope"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("possible values: combined, main"));
}
