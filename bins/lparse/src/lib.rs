//! lparse: turn raw log lines into typed records.
//!
//! Usage: `lparse [OPTIONS] [FILE]...`
//!
//! Input lines are ltail records (`{"src":…,"line":…}` with only ltail's
//! keys, the exact bytes taken from `line_b64` when present) or raw log
//! lines. Each becomes one record of the record format (docs/records.md):
//! `src` is kept and the canonical fields are added. A line of which only
//! the leading fields could be read keeps them, marked `partial` with the
//! whole `line` and `err`; a line that does not parse is kept as `line`
//! with a short reason in `err`. Both are reported on stderr with their
//! source and line number, and counted apart; `--strict` makes the first
//! one fatal.

pub mod access;
pub mod apache_error;
pub mod custom;
pub mod fields;
pub mod format;
pub mod format_help;
pub mod jsonlog;
pub mod logfmt;
pub mod nginx_error;
mod parallel;
pub mod syslog;
#[cfg(test)]
mod testing;
pub mod vars;
pub mod w3c;

use anyhow::{Context, Result};
use clap::Parser;
use logkit_common::cli::{self, BadInput, InputName, Outcome};
use logkit_common::input::{too_long, LineReader, DEFAULT_MAX_LINE, MAX_RECORD};
use logkit_common::json::Object;
use logkit_common::live::{LiveInput, StopFlag};
use logkit_common::output::Output;
use logkit_common::record::{self, LineRecord};
use logkit_common::style::ColorChoice;
use std::ffi::OsString;

const EXAMPLES: &str = "\
Examples:
  ltail /var/log/nginx/access.log | lparse
  lparse access.log                       # raw lines work too
  ltail examples/*/access* | lparse | lcount --status 404 --by path
  lparse access.log | jq -c 'select(.status >= 500)'
  lparse --apache-format 'LogFormat \"%h %t \\\"%r\\\" %>s %D %v\" timed' access_log";

/// Parse log lines (ltail records or raw lines) into NDJSON records.
#[derive(Debug, Parser)]
#[command(name = "lparse", version, after_help = format_help::after_help(EXAMPLES))]
pub struct Args {
    /// Parse with this format only (default: each source's format is found
    /// from its lines): combined (also common), main, vcombined, json,
    /// apache_error, nginx_error, syslog, w3c, logfmt, or the name of a
    /// custom format.
    #[arg(long, value_name = "NAME")]
    format: Option<String>,

    /// A custom nginx format: the log_format line or string from the
    /// server's config, pasted as it stands.
    #[arg(long, value_name = "LOG_FORMAT")]
    nginx_format: Option<String>,

    /// A custom Apache format: the LogFormat line or string from the
    /// server's config, pasted as it stands.
    #[arg(long, value_name = "LOG_FORMAT")]
    apache_format: Option<String>,

    /// The time zone of times written without an offset (an IANA name such
    /// as Europe/Paris, or UTC); default: the local zone.
    #[arg(long, value_name = "ZONE")]
    tz: Option<String>,

    /// Stop at the first line that does not parse or parses only in part,
    /// with exit status 2.
    #[arg(long)]
    strict: bool,

    /// Write NDJSON records on a terminal too (a pipe always gets them).
    #[arg(long)]
    json: bool,

    /// Colour the terminal view: auto (on a terminal, unless NO_COLOR is
    /// set), always, never. Records (on a pipe, or with --json) are never
    /// coloured.
    #[arg(long, value_name = "WHEN", default_value = "auto")]
    color: ColorChoice,

    /// Print the SQL that loads lparse's records whole into DuckDB or
    /// ClickHouse (CREATE TABLE, every field typed), then exit.
    #[arg(long, value_name = "ENGINE", exclusive = true)]
    print_schema: Option<logkit_common::schema::Engine>,

    /// List the formats lparse reads, then exit.
    #[arg(long, exclusive = true)]
    list_formats: bool,

    /// Show what a format reads and the records it makes, with samples,
    /// then exit (`custom`: --nginx-format and --apache-format).
    #[arg(long, value_name = "NAME", exclusive = true,
          value_parser = clap::builder::PossibleValuesParser::new(format_help::names()))]
    format_help: Option<String>,

    /// Files to read (raw log lines or ltail records); `-` or none means standard input.
    #[arg(value_name = "FILE")]
    files: Vec<OsString>,
}

pub fn run() -> Result<Outcome> {
    let args = cli::parse_args::<Args>("lparse");
    if let Some(engine) = args.print_schema {
        return logkit_common::schema::print(engine, "lparse", record::LPARSE_RECORDS);
    }
    if args.list_formats || args.format_help.is_some() {
        let text = match &args.format_help {
            Some(name) => format_help::help(name, builtin_formats()).expect("a name clap checked"),
            None => format_help::list(),
        };
        std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes())?;
        return Ok(Outcome::Success);
    }
    let mut out = Output::new();
    // A terminal gets readable lines, or with --json records that cannot
    // drive it; a pipe the records as they are.
    let shown = match (cli::stdout_is_terminal(), args.json) {
        (false, _) => Shown::Records,
        (true, true) => Shown::TerminalRecords,
        (true, false) => Shown::View(logkit_common::view::View::new(args.color.enabled(true))),
    };
    // Ctrl-C ends the input, not the process: what was read is parsed and
    // written (a last line without its newline too), and lparse exits 0.
    let stop = StopFlag::install()?;
    let zone = match &args.tz {
        Some(name) => {
            jiff::tz::TimeZone::get(name).map_err(|e| anyhow::anyhow!("--tz {name}: {e}"))?
        }
        None => jiff::tz::TimeZone::system(),
    };
    let mut all: Vec<Box<dyn format::LogFormat>> = Vec::new();
    // A format the user declared comes first: it is the one they expect.
    if let Some(config) = &args.nginx_format {
        all.push(Box::new(
            custom::Custom::nginx(config).map_err(|e| anyhow::anyhow!("--nginx-format: {e}"))?,
        ));
    }
    if let Some(config) = &args.apache_format {
        all.push(Box::new(
            custom::Custom::apache(config).map_err(|e| anyhow::anyhow!("--apache-format: {e}"))?,
        ));
    }
    all.extend(builtin_formats());
    if let Some(name) = &args.format {
        let known: Vec<String> = all.iter().map(|f| f.name().to_owned()).collect();
        all.retain(|f| f.name() == name);
        if all.is_empty() {
            anyhow::bail!("--format {name}: unknown format (known: {})", known.join(", "));
        }
    }
    let mut parser = LineParser::new(
        BadInput::new("lparse", args.strict),
        BadInput::new("lparse", args.strict),
        format::Formats::new(all),
        format::Ctx::new(zone),
    );
    parser.shown = shown;
    for name in InputName::from_args(&args.files) {
        let label = name.label().into_owned();
        let Some(input) = name.open_or_report(&mut parser.bad)? else { continue };
        let input = LiveInput::new(input, stop.clone());
        parser.parse_input(input, &name, &label, &mut out).with_context(|| label.clone())?;
        if stop.is_set() {
            break;
        }
    }
    out.flush()?;
    let partial =
        parser.partial.finish("partial records (leading fields kept, marked \"partial\")");
    let bad = parser.bad.finish("lines that did not parse (kept with \"err\") or files not read");
    Ok(if partial == Outcome::Success { bad } else { partial })
}

/// Where a line came from, for messages: the input and line number, and
/// for an ltail record its `src` too (ltail records carry no line number of
/// their own).
enum Source<'a> {
    Record(LineRecord<'a>, &'a str),
    Input(&'a str),
}

impl Source<'_> {
    /// The input the line was read from.
    fn input(&self) -> &str {
        match self {
            Source::Record(_, input) | Source::Input(input) => input,
        }
    }

    fn place(&self, number: u64) -> String {
        match self {
            Source::Record(rec, input) => match rec.src_text() {
                Some(src) => format!("{src} (record at {input}:{number})"),
                None => format!("{input}:{number}"),
            },
            Source::Input(input) => format!("{input}:{number}"),
        }
    }
}

/// nginx's own example format, `main` (combined plus X-Forwarded-For).
const NGINX_MAIN: &str = r#"log_format main '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for"';"#;
/// Apache's `vhost_combined` (Debian's default for virtual hosts).
const APACHE_VCOMBINED: &str =
    r#"LogFormat "%v:%p %h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\"" vcombined"#;

/// The formats lparse knows, in the order they are tried for a new source.
fn builtin_formats() -> Vec<Box<dyn format::LogFormat>> {
    let custom = |f: Result<custom::Custom, String>| -> Box<dyn format::LogFormat> {
        Box::new(f.expect("the built-in format strings compile"))
    };
    vec![
        Box::new(access::Combined),
        custom(custom::Custom::nginx(NGINX_MAIN)),
        custom(custom::Custom::apache(APACHE_VCOMBINED)),
        Box::new(jsonlog::JsonLog),
        Box::new(apache_error::ApacheError),
        Box::new(nginx_error::NginxError),
        Box::new(syslog::Syslog),
        Box::new(w3c::W3c::new()),
        // Last: logfmt takes any line of key=value pairs.
        Box::new(logfmt::Logfmt::new()),
    ]
}

/// What standard output gets.
enum Shown {
    /// NDJSON records, byte for byte (a pipe or a file).
    Records,
    /// Records on a terminal (`--json`): the same JSON, with the characters
    /// that could drive the terminal escaped.
    TerminalRecords,
    /// One readable line per record.
    View(logkit_common::view::View),
}

impl Shown {
    /// Turns the records written at `buf[start..]` into what is shown.
    fn show(&mut self, buf: &mut Vec<u8>, start: usize) {
        match self {
            Shown::Records => {}
            Shown::TerminalRecords => {
                let records = buf.split_off(start);
                let text = String::from_utf8_lossy(&records);
                buf.extend_from_slice(logkit_common::term::escape_json(&text).as_bytes());
            }
            Shown::View(view) => view.show(buf, start),
        }
    }
}

/// The per-run state: reusable buffers and the bad-line report.
struct LineParser {
    /// What standard output gets (only [`Shown::Records`] is parsed on
    /// several cores: a terminal is slower than one anyway).
    shown: Shown,
    bad: BadInput,
    /// Lines of which only the leading fields were kept, counted apart.
    partial: BadInput,
    formats: format::Formats,
    ctx: format::Ctx,
    line_buf: Vec<u8>,
    src_buf: Vec<u8>,
    /// The same with the fields that go on with the line (`offset`, the
    /// added fields), when the record has them.
    carried_buf: Vec<u8>,
}

/// Where the lines being read come from.
struct InputCtx<'a> {
    /// The input's name for messages.
    label: &'a str,
    /// The `src` fields of raw lines (the file's name; none for stdin).
    file_src: Vec<u8>,
}

impl LineParser {
    fn new(bad: BadInput, partial: BadInput, formats: format::Formats, ctx: format::Ctx) -> Self {
        LineParser {
            shown: Shown::Records,
            bad,
            partial,
            formats,
            ctx,
            line_buf: Vec::new(),
            src_buf: Vec::new(),
            carried_buf: Vec::new(),
        }
    }

    fn parse_input<R: std::io::Read + std::os::fd::AsFd>(
        &mut self,
        input: R,
        name: &InputName,
        label: &str,
        out: &mut Output,
    ) -> Result<()> {
        // A large file is parsed on several cores, once its first lines
        // have shown that no format with state (W3C) is in play.
        let parallel = matches!(self.shown, Shown::Records)
            && logkit_common::parallel::suits(&input, self.bad.is_strict());
        // Lines are read up to the length of a record: an ltail record
        // carrying a line of ltail's maximum length is longer than that
        // line. A raw line is cut to the line maximum in `parse_line`.
        let mut reader = LineReader::new(input).max_line(MAX_RECORD).watch_idle();
        // Raw lines read from a file are tagged with that file as `src`.
        let file_src = match name {
            InputName::Path(_) => record::encode_src(name.as_bytes()),
            InputName::Stdin => Vec::new(),
        };
        let input = InputCtx { label, file_src };
        let mut read = 0;
        while let Some(line) = reader.next_line(out)? {
            let start = out.buf().len();
            self.parse_line(line.bytes, line.number, line.truncated, &input, out.buf())?;
            self.shown.show(out.buf(), start);
            out.end_record()?;
            read += line.bytes.len() + 1;
            if parallel && read >= parallel::CHUNK && !self.formats.stateful_hit() {
                return parallel::parse_rest(self, &mut reader, &input, out);
            }
        }
        Ok(())
    }

    /// Parses one line of the input (an ltail record or a raw line) and
    /// writes its record at the end of `buf`.
    fn parse_line(
        &mut self,
        bytes: &[u8],
        number: u64,
        truncated: bool,
        input: &InputCtx<'_>,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        let mut line_buf = std::mem::take(&mut self.line_buf);
        let mut src_buf = std::mem::take(&mut self.src_buf);
        let mut carried_buf = std::mem::take(&mut self.carried_buf);
        let record = if truncated { None } else { LineRecord::parse(bytes) };
        let result = match record {
            Some(rec) => {
                // The record's src is valid JSON already: copy it as it is.
                rec.src_fields(&mut src_buf);
                // `offset` and ltail's added fields go on into the record;
                // the source is still named by `src` alone.
                let carried = rec.offset.is_some() || !rec.added.is_empty();
                if carried {
                    rec.carried_fields(&mut carried_buf);
                }
                let source = Source::Record(rec, input.label);
                let parse = Parse {
                    src: if carried { &carried_buf } else { &src_buf },
                    key: &src_buf,
                    added: !rec.added.is_empty(),
                    truncated: rec.truncated,
                    source: &source,
                    number,
                };
                match rec.line_bytes(&mut line_buf) {
                    Ok(bytes) => self.parse_log_line(bytes, &parse, buf),
                    Err(_) => {
                        let text = crate::flat_text(rec.line);
                        self.write_error(
                            text.as_bytes(),
                            &parse,
                            "line_b64 is not valid base64",
                            buf,
                        )
                    }
                }
            }
            None => {
                // A raw line is cut at the line maximum, as ltail cuts it.
                let cut = truncated || bytes.len() > DEFAULT_MAX_LINE;
                let parse = Parse {
                    src: &input.file_src,
                    key: &input.file_src,
                    added: false,
                    truncated: cut,
                    source: &Source::Input(input.label),
                    number,
                };
                let line = &bytes[..bytes.len().min(DEFAULT_MAX_LINE)];
                if truncated && bytes.first() == Some(&b'{') {
                    // Over the record maximum: a record (or a JSON log
                    // line) that cannot be read whole. Its cut start would
                    // be read as a raw line, the wrapper as data.
                    self.write_too_long(line, &parse, buf)
                } else {
                    self.parse_log_line(line, &parse, buf)
                }
            }
        };
        self.line_buf = line_buf;
        self.src_buf = src_buf;
        self.carried_buf = carried_buf;
        result
    }

    /// Parses one log line and writes its record.
    fn parse_log_line(&mut self, line: &[u8], input: &Parse<'_>, buf: &mut Vec<u8>) -> Result<()> {
        // A blank line is no log entry, whether it came raw or in a record.
        if line.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
        }
        let source = if input.key.is_empty() { input.source.input().as_bytes() } else { input.key };
        let start = buf.len();
        let written =
            self.formats.write_record(source, line, input.src, input.truncated, buf, &mut self.ctx);
        if input.added && buf.len() > start {
            // An added name the line also has (syslog's `host`): once, the
            // line's own.
            buf.pop();
            format::unique_keys(buf, start);
            buf.push(b'\n');
        }
        match written {
            Ok(None) => Ok(()),
            // The record is written; under --strict the run ends after it.
            Ok(Some(why)) => self
                .partial
                .report_at(&input.source.place(input.number), &format!("partial: {why}")),
            Err(reason) => self.write_error(line, input, reason, buf),
        }
    }

    /// Writes the record of a line that did not parse: the line and why.
    fn write_error(
        &mut self,
        line: &[u8],
        input: &Parse<'_>,
        reason: &str,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        // Report first: under --strict this ends the run before the record.
        let hint = if line.first() == Some(&b'{') {
            " (a JSON record without \"line\": already parsed?)"
        } else {
            ""
        };
        self.bad.report_at(
            &input.source.place(input.number),
            &format!("does not parse: {reason}{hint}"),
        )?;
        write_kept(line, input, reason, buf);
        Ok(())
    }

    /// Writes the record of a line too long to be read whole: its start
    /// and why, after reporting it.
    fn write_too_long(&mut self, line: &[u8], input: &Parse<'_>, buf: &mut Vec<u8>) -> Result<()> {
        let reason = too_long(MAX_RECORD, "not parsed");
        self.bad.report_at(&input.source.place(input.number), &reason)?;
        write_kept(line, input, &reason, buf);
        Ok(())
    }
}

/// Writes the record of a line kept as it is, with the reason in `err`.
fn write_kept(line: &[u8], input: &Parse<'_>, reason: &str, buf: &mut Vec<u8>) {
    let mut obj = Object::new(buf);
    obj.raw_fields(input.src);
    obj.bytes(record::LINE, line);
    if input.truncated {
        obj.raw(record::TRUNCATED, b"true");
    }
    obj.str(record::ERR, reason);
    obj.finish();
    buf.push(b'\n');
}

/// One line to parse and where it came from.
struct Parse<'a> {
    /// The `src` fields to copy into the record (empty for none), with
    /// `offset` and the fields ltail added when the record had them.
    src: &'a [u8],
    /// The `src` fields alone: what names the source, for the choice of
    /// its format.
    key: &'a [u8],
    /// Whether `src` holds fields `ltail --add-field` added.
    added: bool,
    truncated: bool,
    source: &'a Source<'a>,
    number: u64,
}

/// The text of a JSON string value, for keeping a line whose exact bytes
/// could not be recovered.
fn flat_text(value: &[u8]) -> String {
    logkit_common::flat::decode_str(value).into_owned()
}
