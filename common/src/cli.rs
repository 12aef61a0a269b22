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
pub fn parse_args<T: clap::Parser>(tool: &str) -> T {
    match T::try_parse() {
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
            InputName::Stdin => Ok(Input::Stdin(io::stdin().lock())),
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
