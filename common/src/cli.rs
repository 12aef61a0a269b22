//! Conventions shared by every tool (the README's "Conventions"):
//!
//! * stdout carries data only; diagnostics go to stderr as `tool: message`;
//! * exit 0 on success, 1 when some input was bad but work went on, 2 on a
//!   usage or fatal error;
//! * a closed output pipe (`| head`) ends the tool quietly with status 0;
//! * `-`, or no file argument, means standard input.

use std::fs::File;
use std::io::{self, IsTerminal};
use std::path::Path;
use std::process::ExitCode;

// Messages quote data (file names, `src` values, bits of lines): escaped, so
// that they cannot drive the terminal that stderr usually is.
use crate::term::escape_control;

/// How a run ended, when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything went through.
    Success,
    /// Some input was bad (and reported), but the rest was processed.
    BadInput,
}

/// Exit status for a fatal or usage error.
pub const EXIT_FATAL: u8 = 2;

/// Runs a tool's body and turns its result into the process exit status,
/// printing a fatal error as `name: error: cause`. A broken pipe anywhere in
/// the error chain means our reader went away: exit 0 without a word.
pub fn run(name: &str, body: impl FnOnce() -> anyhow::Result<Outcome>) -> ExitCode {
    match body() {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::BadInput) => ExitCode::from(1),
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name}: {}", escape_control(&format_error(&e)));
            ExitCode::from(EXIT_FATAL)
        }
    }
}

fn format_error(e: &anyhow::Error) -> String {
    let mut s = e.to_string();
    for cause in e.chain().skip(1) {
        s.push_str(": ");
        s.push_str(&cause.to_string());
    }
    s
}

/// Parses the command line. Help and version go to stdout with status 0;
/// a usage error is printed as `tool: message` (with clap's usage hint)
/// and exits 2, like every other error of the tools.
///
/// Every tool gets here what all of them have, so that none can lack it:
/// `--version` with the build ([`crate::build_info::VERSION`]), and
/// `--generate KIND`, which prints the man page or a shell's completions
/// (see [`command`]) and exits 0.
pub fn parse_args<T: clap::Parser>(tool: &str) -> T {
    let matches = command::<T>().try_get_matches().and_then(|mut matches| {
        if let Some(&kind) = matches.get_one::<Generate>(GENERATE) {
            generate(kind, command::<T>(), &mut io::stdout().lock()).unwrap_or_else(|e| {
                if e.kind() != io::ErrorKind::BrokenPipe {
                    eprintln!("{tool}: {e}");
                    std::process::exit(i32::from(EXIT_FATAL));
                }
            });
            std::process::exit(0);
        }
        T::from_arg_matches_mut(&mut matches).map_err(|e| e.format(&mut command::<T>()))
    });
    match matches {
        Ok(args) => args,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                e.exit();
            }
            let text = e.render().to_string();
            eprint!("{tool}: {}", text.strip_prefix("error: ").unwrap_or(&text));
            std::process::exit(i32::from(EXIT_FATAL));
        }
    }
}

/// The id of the `--generate` argument.
const GENERATE: &str = "generate";

/// A tool's command line as the tool parses it and as its man page and
/// completions describe it: its own arguments (`T`), the build in
/// `--version`, and `--generate`.
pub fn command<T: clap::CommandFactory>() -> clap::Command {
    let cmd = T::command();
    let name = cmd.get_name().to_owned();
    cmd.version(crate::build_info::VERSION).arg(
        clap::Arg::new(GENERATE)
            .long(GENERATE)
            .value_name("KIND")
            .value_parser(clap::value_parser!(Generate))
            .exclusive(true)
            .help("Print the man page (man) or the completions for a shell, then exit")
            .long_help(format!(
                "Print the man page (man), or the completions for a shell (bash, zsh, \
                 fish, elvish, powershell), then exit. For example: \
                 `{name} --generate man | man -l -`, `source <({name} --generate bash)`."
            )),
    )
}

/// What `--generate` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Generate {
    /// The man page, in roff (`man -l -` shows it).
    Man,
    /// bash completions (`complete -F`).
    Bash,
    /// zsh completions (`#compdef`).
    Zsh,
    /// fish completions.
    Fish,
    /// Elvish completions.
    Elvish,
    /// PowerShell completions.
    Powershell,
}

/// Writes the man page or completions of `cmd` (see [`command`]) to `out`.
///
/// # Errors
/// Writing to `out`.
pub fn generate(kind: Generate, mut cmd: clap::Command, out: &mut dyn io::Write) -> io::Result<()> {
    use clap_complete::Shell;
    let shell = match kind {
        Generate::Man => return man_page(&cmd, out),
        Generate::Bash => Shell::Bash,
        Generate::Zsh => Shell::Zsh,
        Generate::Fish => Shell::Fish,
        Generate::Elvish => Shell::Elvish,
        Generate::Powershell => Shell::PowerShell,
    };
    let name = cmd.get_name().to_owned();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, name, &mut buf);
    out.write_all(&buf)
}

/// The tools, for the man pages' SEE ALSO.
const TOOLS: [&str; 5] = ["ltail", "lparse", "lcount", "lgrep", "hprobe"];

/// Writes the man page of `cmd`: clap_mangen's sections, with the `--help`
/// text after the options (the examples, lparse's formats) kept as it is
/// laid out, line for line, instead of filled into paragraphs.
fn man_page(cmd: &clap::Command, out: &mut dyn io::Write) -> io::Result<()> {
    let man = clap_mangen::Man::new(cmd.clone());
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    man.render_options_section(out)?;
    let mut page = roff::Roff::new();
    if let Some(after) = cmd.get_after_long_help().or(cmd.get_after_help()) {
        let text = after.to_string();
        let text = text.strip_prefix("Examples:\n").unwrap_or(&text);
        page.control("SH", ["EXAMPLES"]).control("nf", []);
        for line in text.lines() {
            page.text([roff::roman(line)]);
        }
        page.control("fi", []);
    }
    let others: Vec<String> =
        TOOLS.iter().filter(|t| **t != cmd.get_name()).map(|t| format!("{t}(1)")).collect();
    page.control("SH", ["SEE ALSO"]).text([roff::roman(others.join(", "))]);
    page.to_writer(out)?;
    man.render_version_section(out)
}

/// Whether an error was caused by writing to a closed pipe.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>().is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// An input named on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputName {
    /// Standard input (`-`, or no file argument at all).
    Stdin,
    /// A file, by the path given.
    Path(std::path::PathBuf),
}

impl InputName {
    /// `-` means standard input.
    pub fn from_arg(arg: &std::ffi::OsStr) -> Self {
        if arg == "-" {
            InputName::Stdin
        } else {
            InputName::Path(arg.into())
        }
    }

    /// The inputs a tool reads: the arguments, or standard input when there
    /// are none.
    pub fn from_args(args: &[std::ffi::OsString]) -> Vec<InputName> {
        if args.is_empty() {
            vec![InputName::Stdin]
        } else {
            args.iter().map(|a| InputName::from_arg(a)).collect()
        }
    }

    /// How the input is named in records (`src`) and messages: the path as
    /// given, or `-` for standard input.
    pub fn label(&self) -> std::borrow::Cow<'_, str> {
        match self {
            InputName::Stdin => "-".into(),
            InputName::Path(p) => p.to_string_lossy(),
        }
    }

    /// The raw bytes of the name, for `src`.
    pub fn as_bytes(&self) -> &[u8] {
        use std::os::unix::ffi::OsStrExt;
        match self {
            InputName::Stdin => b"-",
            InputName::Path(p) => p.as_os_str().as_bytes(),
        }
    }
}

/// An opened input: standard input or a file.
pub enum Input {
    /// Standard input, locked for the run.
    Stdin(io::StdinLock<'static>),
    /// A file opened by [`open`].
    File(File),
}

impl io::Read for Input {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Input::Stdin(s) => s.read(buf),
            Input::File(f) => f.read(buf),
        }
    }
}

impl std::os::fd::AsFd for Input {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        match self {
            Input::Stdin(s) => s.as_fd(),
            Input::File(f) => f.as_fd(),
        }
    }
}

impl InputName {
    /// Opens the input, or reports on `bad` why it cannot be read and gives
    /// `None`: like grep, a tool says so, goes on with its other inputs, and
    /// ends with exit 1.
    ///
    /// # Errors
    /// The report, under `--strict`.
    pub fn open_or_report(&self, bad: &mut BadInput) -> anyhow::Result<Option<Input>> {
        match self.open() {
            Ok(input) => Ok(Some(input)),
            Err(e) => {
                bad.report_other(&format!("{e:#}"))?;
                Ok(None)
            }
        }
    }

    /// Opens the input; the error names it.
    pub fn open(&self) -> anyhow::Result<Input> {
        match self {
            InputName::Stdin => {
                // A pipe from a tool that did not enlarge it (`cat f |`):
                // the reader may, and then takes more per read.
                crate::output::grow_pipe(io::stdin());
                Ok(Input::Stdin(io::stdin().lock()))
            }
            InputName::Path(p) => open(p).map(Input::File),
        }
    }
}

/// A directory is refused here, by name, rather than failing at the first
/// read with a message that does not say which file.
pub fn open(path: &Path) -> anyhow::Result<File> {
    let file = File::open(path).map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e))?;
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        anyhow::bail!("{}: is a directory", path.display());
    }
    Ok(file)
}

/// Whether standard output is a terminal (human output is allowed).
pub fn stdout_is_terminal() -> bool {
    io::stdout().is_terminal()
}

/// Reports bad input: one message per problem naming the source and line,
/// up to a limit so that a wrong format does not flood the terminal, then a
/// count at the end. With `strict`, the first problem is fatal.
pub struct BadInput {
    tool: &'static str,
    strict: bool,
    count: u64,
    shown: u64,
    max_shown: u64,
    /// When collecting (on a worker thread): the messages, to be reported
    /// in input order by [`BadInput::report_collected`].
    collected: Option<Vec<(String, String)>>,
}

impl BadInput {
    /// A reporter for `tool` (the prefix of its messages); with `strict`,
    /// the first problem ends the run.
    pub fn new(tool: &'static str, strict: bool) -> Self {
        BadInput { tool, strict, count: 0, shown: 0, max_shown: 20, collected: None }
    }

    /// A reporter for a worker that parses one part of the input: it keeps
    /// the first messages (all that could be shown) and counts the rest,
    /// for the thread that owns the real reporter to pass on in order.
    pub fn collecting(tool: &'static str) -> Self {
        BadInput { collected: Some(Vec::new()), ..BadInput::new(tool, false) }
    }

    /// Passes on what a [`BadInput::collecting`] reporter gathered, as if
    /// it had been reported here.
    pub fn report_collected(&mut self, other: BadInput) -> anyhow::Result<()> {
        let collected = other.collected.unwrap_or_default();
        let unshown = other.count - collected.len() as u64;
        for (place, what) in collected {
            self.report_at(&place, &what)?;
        }
        self.count_unshown(unshown);
        Ok(())
    }

    /// Records one bad line. Returns an error (ending the run) in strict mode.
    pub fn report(&mut self, source: &str, line: u64, what: &str) -> anyhow::Result<()> {
        self.report_at(&format!("{source}:{line}"), what)
    }

    /// Records one bad line, its place already written out (`file:12`).
    pub fn report_at(&mut self, place: &str, what: &str) -> anyhow::Result<()> {
        self.count += 1;
        if let Some(collected) = &mut self.collected {
            if (collected.len() as u64) <= self.max_shown {
                collected.push((place.to_owned(), what.to_owned()));
            }
            return Ok(());
        }
        if self.strict {
            anyhow::bail!("{place}: {what}");
        }
        if self.shown < self.max_shown {
            self.shown += 1;
            eprintln!("{}: {}: {}", self.tool, escape_control(place), escape_control(what));
            if self.shown == self.max_shown {
                eprintln!("{}: further messages about bad lines are not shown", self.tool);
            }
        }
        Ok(())
    }

    /// Records a problem that is not about one line (an unreadable file),
    /// always shown. Returns an error in strict mode.
    pub fn report_other(&mut self, what: &str) -> anyhow::Result<()> {
        self.count += 1;
        if self.strict {
            anyhow::bail!("{what}");
        }
        eprintln!("{}: {}", self.tool, escape_control(what));
        Ok(())
    }

    /// Counts problems found (and already summarised) elsewhere, beyond
    /// those passed to [`BadInput::report`].
    pub fn count_unshown(&mut self, n: u64) {
        self.count += n;
    }

    /// How many problems were found so far, shown or not.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Whether the first problem ends the run (`--strict`).
    pub fn is_strict(&self) -> bool {
        self.strict
    }

    /// Prints the summary (if anything was bad) and gives the run's outcome.
    /// `what` names the bad lines, e.g. "lines skipped (not JSON)".
    /// Prints `tool: WHAT: COUNT` when anything was bad.
    pub fn finish(&self, what: &str) -> Outcome {
        if self.count == 0 {
            Outcome::Success
        } else {
            eprintln!("{}: {what}: {}", self.tool, self.count);
            Outcome::BadInput
        }
    }
}
