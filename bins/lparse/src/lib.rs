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
pub mod applog;
pub mod cri;
pub mod custom;
pub mod docker;
pub mod fields;
pub mod format;
pub mod format_help;
pub mod journald;
pub mod jsonlog;
pub mod logfmt;
pub mod multiline;
pub mod nginx_error;
mod parallel;
pub mod syslog;
#[cfg(test)]
mod testing;
pub mod vars;
pub mod w3c;
pub mod wrap;

use anyhow::{Context, Result};
use clap::Parser;
use logkit_common::cli::{self, BadInput, InputName, Outcome};
use logkit_common::input::{too_long, LineReader, DEFAULT_MAX_LINE, MAX_RECORD};
use logkit_common::json::Object;
use logkit_common::live::{self, LiveInput, StopFlag};
use logkit_common::output::Output;
use logkit_common::record::{self, LineRecord};
use logkit_common::style::ViewArgs;
use logkit_common::view::Display;
use std::ffi::OsString;

const EXAMPLES: &str = "\
Examples:
  ltail /var/log/nginx/access.log | lparse
  lparse access.log                       # raw lines work too
  ltail examples/*/access* | lparse | lcount --status 404 --by path
  lparse access.log | jq -c 'select(.status >= 500)'
  lparse --apache-format 'LogFormat \"%h %t \\\"%r\\\" %>s %D %v\" timed' access_log

Wrapped lines are unwrapped first, then parsed as above: Docker json-file,
Kubernetes CRI (pieces of split lines joined), journald's JSON export
(journalctl -o json). Lines that continue an entry (stack traces, indented
syslog lines) are joined to it; --multiline PATTERN sets where entries start.
  ltail /var/log/containers/*.log | lparse | lcount --by stream --by status
  journalctl -f -o json | lparse";

/// Parse log lines (ltail records or raw lines) into NDJSON records.
#[derive(Debug, Parser)]
#[command(name = "lparse", version, after_help = format_help::after_help(EXAMPLES))]
pub struct Args {
    /// Parse with this format only (default: each source's format is found
    /// from its lines): combined (also common), main, vcombined, json,
    /// apache_error, nginx_error, syslog, applog, w3c, logfmt, or the name of a
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

    /// A line matching this regular expression starts an entry; any other
    /// line belongs to the entry before it (a stack trace), in any format.
    /// Default: the built-in rule, for syslog, applog and the error logs: a
    /// line that starts with blanks, `at `, `Caused by:`, `... N more`,
    /// `Traceback`, `goroutine ` or the like, or that no format reads,
    /// continues the entry (lparse --format-help applog).
    #[arg(long, value_name = "PATTERN")]
    multiline: Option<String>,

    #[command(flatten)]
    view: ViewArgs,

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
    let shown = Display::of(args.view.shown(cli::stdout_is_terminal()));
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
    if let Some(p) = &args.multiline {
        parser.pattern =
            Some(regex::bytes::Regex::new(p).map_err(|e| anyhow::anyhow!("--multiline: {e}"))?);
    }
    for name in InputName::from_args(&args.files) {
        let label = name.label().into_owned();
        let Some(input) = name.open_or_report(&mut parser.bad)? else { continue };
        // A live input (not a regular file) wakes up now and then, so that
        // a held entry or piece is written after its time-out.
        let ticking = !logkit_common::sys::FdInfo::of(&input).is_some_and(|i| i.is_regular());
        let mut input = LiveInput::new(input, stop.clone());
        if ticking {
            input = input.tick_every(multiline::TICK);
        }
        parser.live = ticking;
        parser.parse_input(input, &name, &label, &mut out).with_context(|| label.clone())?;
        if stop.is_set() {
            break;
        }
    }
    out.flush()?;
    let partial = parser.partial.finish(
        "partial records (leading fields kept, marked \"partial\") or joined lines cut \
             (marked \"truncated\")",
    );
    let bad = parser.bad.finish("lines that did not parse (kept with \"err\") or files not read");
    Ok(if partial == Outcome::Success { bad } else { partial })
}

/// Where a line came from, for messages: the input and line number, and
/// for an ltail record its `src` too (ltail records carry no line number of
/// their own).
enum Source<'a> {
    Record(LineRecord<'a>, &'a str),
    Input(&'a str),
    /// A place written out already (an entry's first line).
    Placed(&'a str),
}

impl Source<'_> {
    /// The input the line was read from.
    fn input(&self) -> &str {
        match self {
            Source::Record(_, input) | Source::Input(input) | Source::Placed(input) => input,
        }
    }

    fn place(&self, number: u64) -> String {
        let mut place = String::new();
        self.write_place(number, &mut place);
        place
    }

    /// [`Source::place`] into `out` (cleared first), which keeps its
    /// allocation: a held entry notes its place for every line.
    fn write_place(&self, number: u64, out: &mut String) {
        use std::fmt::Write as _;
        out.clear();
        let _ = match self {
            Source::Record(rec, input) => match rec.src_text() {
                Some(src) => write!(out, "{src} (record at {input}:{number})"),
                None => write!(out, "{input}:{number}"),
            },
            Source::Input(input) => write!(out, "{input}:{number}"),
            Source::Placed(place) => write!(out, "{place}"),
        };
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
        Box::new(applog::AppLog),
        Box::new(w3c::W3c::new()),
        // Last: logfmt takes any line of key=value pairs.
        Box::new(logfmt::Logfmt::new()),
    ]
}

/// The per-run state: reusable buffers and the bad-line report.
struct LineParser {
    /// What standard output gets (only [`Display::Records`] is parsed on
    /// several cores: a terminal is slower than one anyway).
    shown: Display,
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
    /// `--multiline`: where entries start.
    pattern: Option<regex::bytes::Regex>,
    /// The record held for continuation lines ([`multiline`]).
    held: multiline::Held,
    /// Held entries of other sources (or streams), out of the buffer.
    parked: Vec<multiline::Held>,
    /// Pieces of split lines waiting for their end ([`wrap`]).
    pieces: wrap::Pieces,
    /// Whether the input is live (a pipe or terminal): held entries are
    /// then written after a time-out.
    live: bool,
    /// Whether a record was held or a piece waited: the input's records
    /// then depend on the lines around them (no parsing on several cores).
    joined: bool,
    /// Where the records not yet turned into a terminal view start in the
    /// output buffer (not [`Display::Records`]).
    unshown: usize,
    /// Buffers for unwrapping: the inner line, the wrapper's fields, the
    /// stream key.
    wrap_text: Vec<u8>,
    wrap_prefix: Vec<u8>,
    wrap_key: Vec<u8>,
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
            shown: Display::Records,
            bad,
            partial,
            formats,
            ctx,
            line_buf: Vec::new(),
            src_buf: Vec::new(),
            carried_buf: Vec::new(),
            pattern: None,
            held: multiline::Held::default(),
            parked: Vec::new(),
            pieces: wrap::Pieces::default(),
            joined: false,
            live: false,
            unshown: 0,
            wrap_text: Vec::new(),
            wrap_prefix: Vec::new(),
            wrap_key: Vec::new(),
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
        let parallel =
            self.shown.is_records() && logkit_common::parallel::suits(&input, self.bad.is_strict());

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
        loop {
            let mut idle = KeepHeld { out, held: &mut self.held, unshown: &mut self.unshown };
            let line = match reader.next_line(&mut idle) {
                Ok(Some(line)) => line,
                Ok(None) => break,
                Err(e) if live::is_tick(&e) => {
                    self.tick(false, input.label, out)?;
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            self.parse_line(line.bytes, line.number, line.truncated, &input, out.buf())?;
            if !self.shown.is_records() {
                self.show(out.buf());
            }
            self.end_record(out)?;
            read += line.bytes.len() + 1;
            if parallel && read >= parallel::CHUNK && !self.formats.stateful_hit() && !self.joined {
                parallel::parse_rest(self, &mut reader, &input, out)?;
                break;
            }
        }
        // The end of the input ends its entries and split lines.
        self.tick(true, input.label, out)
    }

    /// A tick of a live input, or its end (`all`): writes the held
    /// entries and the pieces of split lines that waited
    /// [`multiline::TIMEOUT`] (all of them at the end).
    fn tick(&mut self, all: bool, label: &str, out: &mut Output) -> Result<()> {
        if self.held.active && self.held.expired(all) {
            let end = out.buf().len();
            self.close_held(out.buf(), end)?;
        }
        let mut i = 0;
        while i < self.parked.len() {
            if self.parked[i].expired(all) {
                let h = self.parked.remove(i);
                self.write_parked(h, out.buf())?;
            } else {
                i += 1;
            }
        }
        if !self.pieces.is_empty() {
            for p in self.pieces.expire((!all).then_some(multiline::TIMEOUT)) {
                self.write_unfinished(p, label, out.buf())?;
            }
        }
        self.show(out.buf());
        self.end_record(out)?;
        if !all {
            KeepHeld { out, held: &mut self.held, unshown: &mut self.unshown }
                .write_before_held()?;
        }
        Ok(())
    }

    /// Before a line of `key`: the held entry of another source (or
    /// stream) is parked, out of the output buffer, and a parked entry of
    /// `key` is held again, so that each source's entries take their own
    /// continuation lines however sources interleave.
    fn switch_held(&mut self, key: &[u8], buf: &mut Vec<u8>) -> Result<()> {
        if self.held.active && self.held.key != key {
            let mut h = std::mem::take(&mut self.held);
            h.record.clear();
            h.record.extend_from_slice(&buf[h.start..]);
            buf.truncate(h.start);
            self.unshown = self.unshown.min(buf.len());
            h.active = false;
            self.parked.push(h);
            if self.parked.len() > MAX_PARKED {
                let oldest = self.parked.remove(0);
                self.write_parked(oldest, buf)?;
            }
        }
        if !self.held.active {
            if let Some(i) = self.parked.iter().position(|h| h.key == key) {
                let mut h = self.parked.swap_remove(i);
                h.start = buf.len();
                buf.extend_from_slice(&h.record);
                h.active = true;
                self.held = h;
            }
        }
        Ok(())
    }

    /// Writes a parked entry, before the held record if there is one.
    fn write_parked(&mut self, mut h: multiline::Held, buf: &mut Vec<u8>) -> Result<()> {
        let tail = if self.held.active { buf.split_off(self.held.start) } else { Vec::new() };
        h.start = buf.len();
        buf.extend_from_slice(&h.record);
        h.active = true;
        let current = std::mem::replace(&mut self.held, h);
        let end = buf.len();
        let r = self.close_held(buf, end);
        self.held = current;
        if self.held.active {
            self.held.start = buf.len();
            buf.extend_from_slice(&tail);
        }
        r
    }

    /// Turns the records written since the last call into the terminal
    /// view, but for a held record (it may still change).
    fn show(&mut self, buf: &mut Vec<u8>) {
        if self.shown.is_records() {
            return;
        }
        let end = if self.held.active { self.held.start } else { buf.len() };
        if end > self.unshown {
            let tail = buf.split_off(end);
            self.shown.show(buf, self.unshown);
            if self.held.active {
                self.held.start = buf.len();
            }
            buf.extend_from_slice(&tail);
        }
        self.unshown = if self.held.active { self.held.start } else { buf.len() };
    }

    /// [`Output::end_record`], keeping a held record in the buffer.
    #[inline]
    fn end_record(&mut self, out: &mut Output) -> std::io::Result<()> {
        if !self.held.active {
            out.end_record()?;
            self.unshown = self.unshown.min(out.buf().len());
            return Ok(());
        }
        if out.buf().len() >= OUT_CHUNK {
            KeepHeld { out, held: &mut self.held, unshown: &mut self.unshown }
                .write_before_held()?;
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
        // A wrapper's line is no ltail record: not scanned as one (a Docker
        // line's whole `log` would be).
        let wrapped =
            matches!(wrap::sniff(bytes), Some(wrap::Sniffed::Docker | wrap::Sniffed::Journald));
        let record =
            if truncated || wrapped { None } else { LineRecord::parse_into(bytes, &mut line_buf) };
        let result = match record {
            Some((rec, decoded)) => {
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
                match decoded {
                    Ok(()) => self.parse_log_line(&line_buf, &parse, buf),
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

    /// Parses one log line (a wrapper's, or a plain one) and writes its
    /// record.
    fn parse_log_line(&mut self, line: &[u8], input: &Parse<'_>, buf: &mut Vec<u8>) -> Result<()> {
        if let Some(kind) = wrap::sniff(line) {
            if let Some(done) = self.parse_wrapped(kind, line, input, buf) {
                return done;
            }
        }
        let source = if input.key.is_empty() { input.source.input().as_bytes() } else { input.key };
        if self.held.active || !self.parked.is_empty() || self.pattern.is_some() {
            return self.parse_entry(line, source, input, None, Entry::PLAIN, buf);
        }
        // No entry open: a plain line costs what it did before entries
        // were joined, and its record is held only when its format's
        // entries span lines.
        if line.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
        }
        let mark = buf.len();
        let result =
            self.formats.write_record(source, line, input.src, input.truncated, buf, &mut self.ctx);
        added_once(input, buf, mark);
        let continuable = self.formats.continuable();
        let failed = match result {
            Ok(None) => None,
            other => {
                let failed = other.as_ref().err().copied();
                self.finish_entry(other, line, input, None, Entry::PLAIN, mark, buf)?;
                failed
            }
        };
        if continuable && failed.is_none() && buf.len() > mark {
            self.hold(line, source, input, None, None, mark);
        }
        Ok(())
    }

    /// Parses a line in a wrapper; `None` when it is not in one after all.
    fn parse_wrapped(
        &mut self,
        kind: wrap::Sniffed,
        line: &[u8],
        input: &Parse<'_>,
        buf: &mut Vec<u8>,
    ) -> Option<Result<()>> {
        let mut text = std::mem::take(&mut self.wrap_text);
        let done = match kind {
            wrap::Sniffed::Docker => docker::parse_into(line, &mut text)
                .map(|(stream, time, last)| self.unwrapped(&text, last, stream, time, input, buf)),
            wrap::Sniffed::Cri => cri::parse(line)
                .map(|c| self.unwrapped(c.msg, c.last, c.stream, c.time, input, buf)),
            wrap::Sniffed::Journald => self.journal_entry(line, input, &mut text, buf),
        };
        self.wrap_text = text;
        done
    }

    /// A line (or a piece of one) out of a Docker or CRI wrapper.
    fn unwrapped(
        &mut self,
        piece: &[u8],
        last: bool,
        stream: &[u8],
        time: &[u8],
        input: &Parse<'_>,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        let mut key = std::mem::take(&mut self.wrap_key);
        let mut prefix = std::mem::take(&mut self.wrap_prefix);
        let base = if input.key.is_empty() { input.source.input().as_bytes() } else { input.key };
        wrap::stream_key(base, stream, &mut key);
        let result = if !last {
            self.joined = true;
            self.pieces.add(&key, piece, || wrap::Pending {
                bytes: Vec::new(),
                time: time.to_vec(),
                stream: stream.to_vec(),
                src: input.src.to_vec(),
                place: input.source.place(input.number),
                cut: false,
                since: std::time::Instant::now(),
            });
            Ok(())
        } else {
            let joined = self.pieces.finish(&key, piece);
            // A joined line is named as its first piece (its `src` fields,
            // with ltail's `offset` of the first piece), at its time.
            let (line, time, cut, src) = match &joined {
                Some(p) => (&p.bytes[..], &p.time[..], p.cut, &p.src[..]),
                None => (piece, time, false, input.src),
            };
            if let (Some(p), true) = (&joined, cut) {
                self.partial.report_other(&format!(
                    "{}: a line joined from pieces over {} bytes: cut there, marked truncated",
                    p.place,
                    wrap::MAX_JOINED
                ))?;
            }
            wrap::prefix(src, Some(stream), Some(time), &mut prefix);
            let parse = Parse { src: &prefix, truncated: input.truncated || cut, ..*input };
            self.parse_entry(line, &key, &parse, Some(time), Entry::PLAIN, buf)
        };
        self.wrap_key = key;
        self.wrap_prefix = prefix;
        result
    }

    /// A journald entry; `None` when the line is not one.
    fn journal_entry(
        &mut self,
        line: &[u8],
        input: &Parse<'_>,
        msg: &mut Vec<u8>,
        buf: &mut Vec<u8>,
    ) -> Option<Result<()>> {
        let mut prefix = std::mem::take(&mut self.wrap_prefix);
        let entry = journald::parse(line, input.src, &mut prefix, msg);
        let done = entry.map(|entry| {
            let parse = Parse { src: &prefix, ..*input };
            let recv_ts = entry.recv_ts.as_deref().map(str::as_bytes);
            match entry.message {
                journald::Message::Bytes => {
                    let mut key = std::mem::take(&mut self.wrap_key);
                    let base =
                        if input.key.is_empty() { input.source.input().as_bytes() } else { input.key };
                    wrap::stream_key(base, b"journal", &mut key);
                    let r = self.parse_entry(msg, &key, &parse, recv_ts, Entry::JOURNAL, buf);
                    self.wrap_key = key;
                    r
                }
                journald::Message::Null | journald::Message::Missing => {
                    let mark = buf.len();
                    let why = match entry.message {
                        journald::Message::Null => {
                            "MESSAGE is null: journalctl leaves out values over 4096 bytes unless run with --all"
                        }
                        _ => "no MESSAGE",
                    };
                    let r = self.write_error(line, &parse, why, buf);
                    if let (Some(t), true) = (recv_ts, buf.len() > mark) {
                        add_ts(buf, mark, parse.src.len(), t);
                    }
                    r
                }
            }
        });
        self.wrap_prefix = prefix;
        done
    }

    /// Parses one entry's line, or joins it to the held entry it continues
    /// ([`multiline`]), and writes the record.
    fn parse_entry(
        &mut self,
        line: &[u8],
        key: &[u8],
        input: &Parse<'_>,
        recv_ts: Option<&[u8]>,
        kind: Entry,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        if (self.held.active && self.held.key != key)
            || (!self.held.active && !self.parked.is_empty())
        {
            self.switch_held(key, buf)?;
        }
        let held_here = self.held.active;
        if held_here {
            let continues = match &self.pattern {
                Some(re) => !re.is_match(line),
                None => multiline::continues(line),
            };
            if continues {
                self.held.push(line);
                return Ok(());
            }
        }
        // A blank line is no log entry, whether it came raw or in a record;
        // a journald entry with an empty message is one all the same.
        if line.iter().all(u8::is_ascii_whitespace) && !kind.free_text {
            return Ok(());
        }
        let mark = buf.len();
        let result =
            self.formats.write_record(key, line, input.src, input.truncated, buf, &mut self.ctx);
        added_once(input, buf, mark);
        if result.is_err() && held_here && self.pattern.is_none() {
            // No format reads it: it continues the entry before.
            self.held.push(line);
            return Ok(());
        }
        // Held for continuation lines: a record of a format whose entries
        // span lines; with --multiline, any entry's, read or not.
        let failed = result.as_ref().err().copied();
        let hold = kind.may_hold
            && match failed {
                None => self.formats.continuable() || self.pattern.is_some(),
                Some(_) => self.pattern.is_some(),
            };
        // The held entry ends before this record: it is written first.
        let written = buf.len() - mark;
        if self.held.active {
            self.close_held(buf, mark)?;
        }
        let mark = buf.len() - written;
        // The usual case, a line read whole with nothing to add, is done.
        if !(matches!(result, Ok(None)) && recv_ts.is_none() && !kind.dedupe) {
            self.finish_entry(result, line, input, recv_ts, kind, mark, buf)?;
        }
        if hold && buf.len() > mark {
            self.hold(line, key, input, recv_ts, failed, mark);
        }
        Ok(())
    }

    /// Holds the record just written at `mark` for continuation lines.
    #[inline(never)]
    fn hold(
        &mut self,
        line: &[u8],
        key: &[u8],
        input: &Parse<'_>,
        recv_ts: Option<&[u8]>,
        failed: Option<&'static str>,
        mark: usize,
    ) {
        let h = &mut self.held;
        h.active = true;
        h.start = mark;
        h.key.clear();
        h.key.extend_from_slice(key);
        h.prefix.clear();
        h.prefix.extend_from_slice(input.src);
        h.added = input.added;
        h.has_recv_ts = recv_ts.is_some();
        h.recv_ts.clear();
        h.recv_ts.extend_from_slice(recv_ts.unwrap_or_default());
        h.text.clear();
        h.text.extend_from_slice(line);
        h.lines = 0;
        h.dropped = 0;
        h.truncated = input.truncated;
        h.number = input.number;
        h.since = self.live.then(std::time::Instant::now);
        h.failed = failed;
        input.source.write_place(input.number, &mut h.place);
        self.joined = true;
    }

    /// After a format wrote a record at `mark` (or none read the line):
    /// reports a partial record or writes the line kept with `err`, and
    /// gives a wrapped line without a time of its own the wrapper's.
    #[allow(clippy::too_many_arguments)]
    fn finish_entry(
        &mut self,
        result: Result<Option<String>, &'static str>,
        line: &[u8],
        input: &Parse<'_>,
        recv_ts: Option<&[u8]>,
        kind: Entry,
        mark: usize,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        match result {
            Ok(None) => {}
            // The record is written; under --strict the run ends after it.
            Ok(Some(why)) => self
                .partial
                .report_at(&input.source.place(input.number), &format!("partial: {why}"))?,
            // A journald entry is a record already: a message in no format
            // is its text.
            Err(_) if kind.free_text => {
                let mut obj = Object::new(buf);
                obj.raw_fields(input.src);
                obj.bytes(record::MSG, line);
                obj.str(record::FMT, "journald");
                obj.finish();
                buf.push(b'\n');
            }
            Err(reason) => self.write_error(line, input, reason, buf)?,
        }
        if buf.len() > mark {
            if kind.dedupe && buf.last() == Some(&b'\n') {
                // The message's own fields win over the entry's.
                buf.pop();
                format::unique_keys(buf, mark);
                buf.push(b'\n');
            }
            if let Some(t) = recv_ts {
                add_ts(buf, mark, input.src.len(), t);
            }
        }
        Ok(())
    }

    /// Ends the held entry, whose record lies at `held.start..end` in
    /// `buf`: when lines were joined to it, it is parsed again whole.
    fn close_held(&mut self, buf: &mut Vec<u8>, end: usize) -> Result<()> {
        self.held.active = false;
        if self.held.lines == 0 && self.held.dropped == 0 {
            return Ok(());
        }
        let held = std::mem::take(&mut self.held);
        let tail = buf.split_off(end);
        let first = buf.split_off(held.start);
        if held.failed.is_none() {
            // The first line's record stands (its fields are the first
            // line's: read again with the rest, a continuation could change
            // them); its `msg` takes the continuation lines.
            let entry = held.entry();
            let more = entry.iter().position(|&b| b == b'\n').map_or(&[][..], |nl| &entry[nl..]);
            let cut = held.truncated || held.dropped > 0;
            if multiline::continue_msg(&first, more, cut, buf) {
                return self.close_held_done(held, tail, buf);
            }
        }
        let source = Source::Placed(&held.place);
        let parse = Parse {
            src: &held.prefix,
            key: &held.key,
            added: held.added,
            truncated: held.truncated || held.dropped > 0,
            source: &source,
            number: held.number,
        };
        let recv_ts = held.has_recv_ts.then_some(&held.recv_ts[..]);
        let entry = held.entry();
        let mark = buf.len();
        if let Some(reason) = held.failed {
            // Its first line was reported when it came: the entry is kept
            // whole, with the same reason.
            write_kept(entry, &parse, reason, buf);
            if let Some(t) = recv_ts {
                add_ts(buf, mark, parse.src.len(), t);
            }
            buf.extend_from_slice(&tail);
            self.held = held;
            self.held.active = false;
            return Ok(());
        }
        let result = self.formats.write_record(
            &held.key,
            entry,
            &held.prefix,
            parse.truncated,
            buf,
            &mut self.ctx,
        );
        added_once(&parse, buf, mark);
        let r = self.finish_entry(result, entry, &parse, recv_ts, Entry::PLAIN, mark, buf);
        self.close_held_done(held, tail, buf)?;
        r
    }

    /// The end of [`LineParser::close_held`]: an entry cut at the maximum
    /// is reported, the records after it put back, its buffers kept.
    fn close_held_done(
        &mut self,
        held: multiline::Held,
        tail: Vec<u8>,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        if held.dropped > 0 {
            self.partial.report_other(&format!(
                "{}: an entry over {} bytes: {} continuation lines dropped",
                held.place,
                multiline::MAX_ENTRY,
                held.dropped
            ))?;
        }
        buf.extend_from_slice(&tail);
        self.held = held;
        self.held.active = false;
        Ok(())
    }

    /// Writes a split line whose end never came, as it is, marked
    /// `truncated`, and reports it.
    fn write_unfinished(&mut self, p: wrap::Pending, label: &str, buf: &mut Vec<u8>) -> Result<()> {
        self.partial.report_other(&format!(
            "{}: a split line's last piece never came: parsed as it is, marked truncated",
            p.place
        ))?;
        let mut prefix = Vec::new();
        wrap::prefix(&p.src, Some(&p.stream), Some(&p.time), &mut prefix);
        let mut key = Vec::new();
        let base = if p.src.is_empty() { label.as_bytes() } else { &p.src[..] };
        wrap::stream_key(base, &p.stream, &mut key);
        let source = Source::Placed(&p.place);
        let parse = Parse {
            src: &prefix,
            key: &key,
            added: false,
            truncated: true,
            source: &source,
            number: 0,
        };
        self.parse_entry(&p.bytes, &key, &parse, Some(&p.time), Entry::PLAIN, buf)
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
        let hint = if line.first() == Some(&b'{') && !journald::sniff(line) {
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

/// The most entries parked at once (sources with an entry open beside the
/// held one): the oldest is written beyond that.
const MAX_PARKED: usize = 64;

/// How far the output buffer fills before it is written while a record is
/// held (it stays behind).
const OUT_CHUNK: usize = 256 * 1024;

/// What an entry may do beside being parsed.
#[derive(Clone, Copy)]
struct Entry {
    /// Be held for continuation lines (not a journald entry: it is whole).
    may_hold: bool,
    /// Have its keys made unique (a journald entry's fields beside the
    /// message's own).
    dedupe: bool,
    /// Be a record with its text as `msg` when no format reads it.
    free_text: bool,
}

impl Entry {
    const PLAIN: Entry = Entry { may_hold: true, dedupe: false, free_text: false };
    const JOURNAL: Entry = Entry { may_hold: false, dedupe: true, free_text: true };
}

/// Gives the record at `buf[mark..]` a `ts`, the wrapper's time, when it
/// has none: inserted after its leading fields (`prefix_len` bytes).
fn add_ts(buf: &mut Vec<u8>, mark: usize, prefix_len: usize, time: &[u8]) {
    static TS: std::sync::OnceLock<memchr::memmem::Finder<'static>> = std::sync::OnceLock::new();
    let at = mark + 1 + prefix_len;
    // Formats write `ts` first, right after the leading fields: looked for
    // there before anywhere else.
    let rec = &buf[mark..];
    if buf[at..].starts_with(b",\"ts\":") || (prefix_len == 0 && buf[at..].starts_with(b"\"ts\":"))
    {
        return;
    }
    let finder = TS.get_or_init(|| memchr::memmem::Finder::new(b",\"ts\":"));
    if finder.find(rec).is_some() || rec.starts_with(b"{\"ts\":") {
        return;
    }
    let mut field = Vec::with_capacity(time.len() + 8);
    field.extend_from_slice(b",\"ts\":\"");
    field.extend_from_slice(time);
    field.push(b'"');
    buf.splice(at..at, field);
}

/// The idle hook of a parse: writes out what is buffered, but for a held
/// record, which stays in the buffer (it may still take lines).
struct KeepHeld<'a> {
    out: &'a mut Output,
    held: &'a mut multiline::Held,
    unshown: &'a mut usize,
}

impl KeepHeld<'_> {
    fn write_before_held(&mut self) -> std::io::Result<()> {
        if !self.held.active {
            *self.unshown = 0;
            return self.out.flush();
        }
        let tail = self.out.buf().split_off(self.held.start);
        let r = self.out.flush();
        self.out.buf().extend_from_slice(&tail);
        self.held.start = 0;
        *self.unshown = 0;
        r
    }
}

impl logkit_common::input::Idle for KeepHeld<'_> {
    fn idle(&mut self) -> std::io::Result<()> {
        self.write_before_held()
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

/// After a format wrote a record at `buf[start..]`: a name that `ltail
/// --add-field` added and the line has too (syslog's `host`) is kept once,
/// the line's own.
fn added_once(input: &Parse<'_>, buf: &mut Vec<u8>, start: usize) {
    if input.added && buf.len() > start {
        buf.pop();
        format::unique_keys(buf, start);
        buf.push(b'\n');
    }
}

/// The text of a JSON string value, for keeping a line whose exact bytes
/// could not be recovered.
fn flat_text(value: &[u8]) -> String {
    logkit_common::flat::decode_str(value).into_owned()
}
