//! Log formats: the interface every parser implements, and how the format
//! of a source is chosen.
//!
//! Each source (`src`, or the input for raw lines) remembers the format its
//! last line parsed with, and tries it first; a line it does not fit is
//! tried with the other formats in order, so a pipe that mixes access and
//! error logs, or a file whose format changes, still parses line by line.
//! `--format NAME` restricts lparse to one format.

use logkit_common::json::Object;
use std::collections::HashMap;

/// Year, month, day and hour.
type CivilHour = (i16, i8, i8, i8);

/// The reason a format gives for a line that is metadata of the format
/// (W3C's `#Fields:` and other directives): no record is written for it,
/// and it is no error.
pub const NOT_A_RECORD: &str = "a directive, not a record";

/// How well a line fits the format that parsed it (see [`Ctx::fit`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// The whole line, as the format writes it.
    Whole,
    /// The whole format, followed by fields it has no name for (kept as
    /// `extra`): a format that names them would fit better.
    Extra,
    /// Only the line's complete leading fields; the reason says what was
    /// missing or unreadable. The record is marked `partial`.
    Partial(&'static str),
}

impl Fit {
    /// The order of preference: lower is better.
    fn rank(self) -> u8 {
        match self {
            Fit::Whole => 0,
            Fit::Extra => 1,
            Fit::Partial(_) => 2,
        }
    }
}

/// What a parser may need besides the line.
pub struct Ctx {
    /// How well the line being parsed fits: [`Fit::Whole`] before each
    /// parse, lowered by a format that read less than the whole line.
    pub fit: Fit,
    /// The zone of times written without an offset (`--tz`, else local).
    pub zone: jiff::tz::TimeZone,
    /// When this run started: syslog lines have no year, inferred from it.
    pub now: jiff::Timestamp,
    /// The source of the line being parsed (its `src`, or the input's name
    /// for raw lines): for formats with per-source state, such as W3C's
    /// `#Fields:` header.
    pub source: Vec<u8>,
    /// The zone's offset for the civil hour last written (see
    /// [`Ctx::write_local_ts`]).
    offset_cache: std::cell::Cell<Option<(CivilHour, jiff::tz::Offset)>>,
    /// A buffer to reuse, so that a line costs no allocation: any format
    /// may use it while it parses a line (for an unescaped value, a time).
    pub scratch: Vec<u8>,
    /// The last CLF time converted (access logs repeat it line after line).
    pub clf: logkit_common::time::ClfMemo,
}

impl Ctx {
    /// A context for another thread: the same zone and the same `now`.
    pub fn fork(&self) -> Self {
        Ctx { now: self.now, ..Ctx::new(self.zone.clone()) }
    }

    /// A context for times without an offset in `zone`, now.
    pub fn new(zone: jiff::tz::TimeZone) -> Self {
        Ctx {
            fit: Fit::Whole,
            zone,
            now: jiff::Timestamp::now(),
            source: Vec::new(),
            offset_cache: std::cell::Cell::new(None),
            scratch: Vec::new(),
            clf: Default::default(),
        }
    }

    /// Writes `ts` for a time written without an offset, in [`Ctx::zone`].
    ///
    /// The zone's offset is looked up once per civil hour (offsets change
    /// on hour boundaries), and the digits are written straight into the
    /// record: the lookup and formatting cost ~550 ns a line otherwise.
    pub fn write_local_ts(
        &self,
        obj: &mut Object,
        dt: jiff::civil::DateTime,
    ) -> Result<(), &'static str> {
        let hour = (dt.year(), dt.month(), dt.day(), dt.hour());
        let offset = match self.offset_cache.get() {
            Some((h, offset)) if h == hour => offset,
            _ => {
                let ts = self.zone.to_timestamp(dt).map_err(|_| "bad time")?;
                let offset = self.zone.to_offset(ts);
                self.offset_cache.set(Some((hour, offset)));
                offset
            }
        };
        let mut buf = [0u8; 40];
        let n = logkit_common::time::write_rfc3339(&mut buf, dt, offset);
        crate::fields::ts(obj, &buf[..n]);
        Ok(())
    }
}

/// A log format. Formats are `Clone` (see [`CloneFormat`]): each thread
/// parsing the same input gets a copy.
pub trait LogFormat: Send + CloneFormat {
    /// The name for `--format` and the `fmt` field.
    fn name(&self) -> &str;

    /// Writes the fields of `line` into `obj` (after `src`), ending with
    /// `fmt`; or says in a few words why the line is not in this format.
    /// On `Err` whatever was written is discarded by the caller. A format
    /// that keeps only part of the line says so in [`Ctx::fit`].
    fn parse(&mut self, line: &[u8], obj: &mut Object, ctx: &mut Ctx) -> Result<(), &'static str>;

    /// Whether a line's parse may depend on the source's earlier lines
    /// (W3C's `#Fields:` header). Such formats keep lparse on one thread.
    fn stateful(&self) -> bool {
        false
    }

    /// Whether the format writes names it cannot know before the line
    /// (a JSON log's keys next to canonical names): its records are checked
    /// for a key written twice, and the last kept ([`unique_keys`]).
    fn free_names(&self) -> bool {
        false
    }

    /// Whether an entry may span lines (a stack trace after an application
    /// log's line, an indented syslog continuation): its records are held
    /// for continuation lines ([`crate::multiline`]).
    fn takes_continuations(&self) -> bool {
        false
    }
}

/// A copy of a format behind a `Box`, for another thread (see
/// `crate::parallel`); every `Clone` format has it.
pub trait CloneFormat {
    /// A copy of the format, with its state (W3C's headers) as it is.
    fn clone_box(&self) -> Box<dyn LogFormat>;
}

impl<T: LogFormat + Clone + 'static> CloneFormat for T {
    fn clone_box(&self) -> Box<dyn LogFormat> {
        Box::new(self.clone())
    }
}

/// Chooses the format of each line, remembering what worked per source.
pub struct Formats {
    formats: Vec<Box<dyn LogFormat>>,
    /// Per source: the index of the format that parsed its last line.
    last: HashMap<Vec<u8>, usize>,
    /// The previous line's source and format: lines come in long runs from
    /// one source, so this spares a lookup per line.
    recent: Option<(Vec<u8>, usize)>,
    /// Whether a stateful format has taken a line since [`Formats::new`]
    /// or [`Formats::reset_from`].
    stateful_hit: bool,
    /// Whether the last record written came from a format whose entries
    /// may span lines ([`LogFormat::takes_continuations`]).
    continuable: bool,
    /// [`LogFormat::takes_continuations`] of each format, asked once.
    takes_continuations: Vec<bool>,
}

impl Clone for Formats {
    fn clone(&self) -> Self {
        Formats {
            formats: self.formats.iter().map(|f| f.clone_box()).collect(),
            last: self.last.clone(),
            recent: self.recent.clone(),
            stateful_hit: self.stateful_hit,
            continuable: self.continuable,
            takes_continuations: self.takes_continuations.clone(),
        }
    }
}

impl Formats {
    /// Chooses among `formats`, tried in this order for a new source.
    pub fn new(formats: Vec<Box<dyn LogFormat>>) -> Self {
        let takes_continuations = formats.iter().map(|f| f.takes_continuations()).collect();
        Formats {
            formats,
            last: HashMap::new(),
            recent: None,
            stateful_hit: false,
            continuable: false,
            takes_continuations,
        }
    }

    /// Whether a stateful format has taken a line (see [`LogFormat::stateful`]).
    pub fn stateful_hit(&self) -> bool {
        self.stateful_hit
    }

    /// Whether the last record written came from a format whose entries
    /// may span lines.
    #[inline]
    pub fn continuable(&self) -> bool {
        self.continuable
    }

    /// Whether both would try the same format first for every source: then
    /// they parse any line alike (without stateful formats).
    pub fn same_choices(&self, other: &Formats) -> bool {
        self.last == other.last
    }

    /// Takes the other's per-source choices, as if it had parsed the lines
    /// that it did.
    pub fn take_choices(&mut self, other: &Formats) {
        self.last.clone_from(&other.last);
        self.recent.clone_from(&other.recent);
    }

    /// Writes the record of a line of `source` at the end of `buf`: `src`
    /// fields, the parsed fields, `truncated` if set, and `\n` (nothing for
    /// a line a format calls [`NOT_A_RECORD`]). The source's
    /// last format is tried first, then the others; the first that fits the
    /// whole line wins, else the best of the weaker fits ([`Fit`]). On
    /// failure nothing is written and the reason is the one of the format
    /// tried first (the likeliest).
    ///
    /// Control bytes before the first field (a hole of NULs left by
    /// copytruncate) are no part of any field: the line is read after them.
    ///
    /// `Ok(Some(reason))` when the record is partial: it then also holds
    /// the whole `line`, `"partial":true` and the reason as `err`.
    pub fn write_record(
        &mut self,
        source: &[u8],
        line: &[u8],
        src_fields: &[u8],
        truncated: bool,
        buf: &mut Vec<u8>,
        ctx: &mut Ctx,
    ) -> Result<Option<String>, &'static str> {
        let mark = buf.len();
        self.continuable = false;
        if ctx.source != source {
            ctx.source.clear();
            ctx.source.extend_from_slice(source);
        }
        let junk = junk_len(line);
        let body = &line[junk..];
        let first = match &self.recent {
            Some((s, i)) if s == source => *i,
            _ => self.last.get(source).copied().unwrap_or(0),
        };
        let mut reason = None;
        // The best weaker fit so far: the format's index and its fit.
        let mut best: Option<(usize, Fit)> = None;
        for k in 0..self.formats.len() {
            // The source's last format, then the others in their order.
            let i = match k {
                0 => first,
                k if k <= first => k - 1,
                k => k,
            };
            let mut obj = Object::new(buf);
            obj.raw_fields(src_fields);
            ctx.fit = Fit::Whole;
            match self.formats[i].parse(body, &mut obj, ctx) {
                Ok(()) if ctx.fit == Fit::Whole => {
                    let partial = self.finish(obj, i, source, line, junk, Fit::Whole, truncated);
                    if partial.is_some() || self.formats[i].free_names() {
                        unique_keys(buf, mark);
                    }
                    buf.push(b'\n');
                    return Ok(partial);
                }
                Ok(()) => {
                    if best.is_none_or(|(_, fit)| ctx.fit.rank() < fit.rank()) {
                        best = Some((i, ctx.fit));
                    }
                    buf.truncate(mark);
                }
                Err(why) if why == NOT_A_RECORD => {
                    self.stateful_hit |= self.formats[i].stateful();
                    buf.truncate(mark);
                    self.last.insert(source.to_vec(), i);
                    self.recent = Some((source.to_vec(), i));
                    return Ok(None);
                }
                Err(why) => {
                    reason.get_or_insert(why);
                    buf.truncate(mark);
                }
            }
        }
        if let Some((i, fit)) = best {
            // Parsed again: a weaker fit is rare, and a format writes
            // straight into the record.
            let mut obj = Object::new(buf);
            obj.raw_fields(src_fields);
            ctx.fit = Fit::Whole;
            if self.formats[i].parse(body, &mut obj, ctx).is_ok() {
                let partial = self.finish(obj, i, source, line, junk, fit, truncated);
                unique_keys(buf, mark);
                buf.push(b'\n');
                return Ok(partial);
            }
            buf.truncate(mark);
        }
        Err(reason.unwrap_or("no format matches"))
    }

    /// Ends the record of a line that format `i` parsed, remembering the
    /// format for the source; the reason when the record is partial.
    #[allow(clippy::too_many_arguments)]
    fn finish(
        &mut self,
        mut obj: Object<'_>,
        i: usize,
        source: &[u8],
        line: &[u8],
        junk: usize,
        fit: Fit,
        truncated: bool,
    ) -> Option<String> {
        self.stateful_hit |= self.formats[i].stateful();
        self.continuable = self.takes_continuations[i];
        if truncated {
            obj.raw(logkit_common::record::TRUNCATED, b"true");
        }
        let partial = match (fit, junk) {
            (Fit::Partial(why), 0) => Some(why.to_owned()),
            (Fit::Partial(why), n) => Some(format!("{n} junk bytes before the first field; {why}")),
            (_, 0) => None,
            (_, n) => Some(format!("{n} junk bytes before the first field")),
        };
        if let Some(why) = &partial {
            // The whole line is kept: no byte of it is lost, junk included.
            obj.bytes(logkit_common::record::LINE, line);
            obj.raw(logkit_common::record::PARTIAL, b"true");
            obj.str(logkit_common::record::ERR, why);
        }
        obj.finish();
        let cached = matches!(&self.recent, Some((s, j)) if s == source && *j == i);
        if !cached {
            self.last.insert(source.to_vec(), i);
            self.recent = Some((source.to_vec(), i));
        }
        partial
    }
    /// The names of the formats, for messages.
    pub fn names(&self) -> Vec<&str> {
        self.formats.iter().map(|f| f.name()).collect()
    }
}

/// The length of the control bytes (C0 other than TAB, and DEL) that start
/// `line`, with the blanks after them: no log format starts with them, and
/// they are no part of a field (a copytruncate hole of NULs, then a space
/// left over from the line the hole cut).
fn junk_len(line: &[u8]) -> usize {
    let control = line.iter().take_while(|&&b| (b < 0x20 && b != b'\t') || b == 0x7f).count();
    if control == 0 {
        return 0;
    }
    control + line[control..].iter().take_while(|&&b| b == b' ' || b == b'\t').count()
}

/// Makes the object at `buf[start..]` hold each key once, in nested
/// objects too: of a key written twice, the last value is kept, at its last
/// place (as jq and lcount read an object with a repeated key). An object
/// without a repeated key anywhere, the usual case, is only scanned, and
/// left byte for byte as it was.
pub fn unique_keys(buf: &mut Vec<u8>, start: usize) {
    if repeats(&buf[start..]) {
        let mut out = Vec::with_capacity(buf.len() - start);
        write_unique(&buf[start..], &mut out);
        buf.truncate(start);
        buf.extend_from_slice(&out);
    }
}

/// The fields of the JSON object `value`, keys decoded; `None` when it is
/// no object that scans (values were checked when read: left as they are).
fn object_fields(value: &[u8]) -> Option<Vec<(String, &[u8])>> {
    if value.first() != Some(&b'{') {
        return None;
    }
    let mut scan = logkit_common::flat::Fields::new(value).ok()?;
    let mut fields = Vec::new();
    while let Ok(Some(field)) = scan.next() {
        let key = match field.key_escaped {
            false => String::from_utf8_lossy(field.key).into_owned(),
            true => {
                logkit_common::flat::decode_str(&[b"\"", field.key, b"\""].concat()).into_owned()
            }
        };
        fields.push((key, field.value));
    }
    Some(fields)
}

/// The elements of the JSON array `value`; `None` when it is none.
fn array_items(value: &[u8]) -> Option<Vec<&serde_json::value::RawValue>> {
    if value.first() != Some(&b'[') {
        return None;
    }
    serde_json::from_slice(value).ok()
}

/// Whether the field at `i` is the last of its key.
fn last_of_key(fields: &[(String, &[u8])], i: usize) -> bool {
    fields[i + 1..].iter().all(|(k, _)| *k != fields[i].0)
}

/// Whether an object in the JSON `value` has a key twice.
fn repeats(value: &[u8]) -> bool {
    if let Some(fields) = object_fields(value) {
        return (0..fields.len()).any(|i| !last_of_key(&fields, i))
            || fields.iter().any(|(_, v)| repeats(v));
    }
    array_items(value).is_some_and(|items| items.iter().any(|i| repeats(i.get().as_bytes())))
}

/// Writes the JSON `value` to `out`, each object in it with each key once.
fn write_unique(value: &[u8], out: &mut Vec<u8>) {
    if let Some(fields) = object_fields(value) {
        let mut obj = Object::new(out);
        for (i, (key, value)) in fields.iter().enumerate() {
            if last_of_key(&fields, i) {
                write_unique(value, obj.key_escaped(key));
            }
        }
        obj.finish();
    } else if let Some(items) = array_items(value) {
        out.push(b'[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_unique(item.get().as_bytes(), out);
        }
        out.push(b']');
    } else {
        out.extend_from_slice(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_of_a_key_written_twice_is_kept() {
        let mut buf = b"x{\"a\":1,\"b\":{\"a\":2},\"a\":3,\"\\u0062\":4}".to_vec();
        unique_keys(&mut buf, 1);
        assert_eq!(buf, b"x{\"a\":3,\"b\":4}");
        let mut once = b"{\"a\":1,\"b\":2}".to_vec();
        unique_keys(&mut once, 0);
        assert_eq!(once, b"{\"a\":1,\"b\":2}");
        // In nested objects and in objects inside arrays too.
        let mut nested = b"{\"a\":{\"b\":1,\"b\":2},\"l\":[1,{\"c\":1,\"d\":0,\"c\":[]}]}".to_vec();
        unique_keys(&mut nested, 0);
        assert_eq!(nested, b"{\"a\":{\"b\":2},\"l\":[1,{\"d\":0,\"c\":[]}]}");
        // Untouched, escapes and spacing included, when no key repeats.
        let mut clean = b"{\"a\":{\"\\u0062\": [1, 2]}}".to_vec();
        unique_keys(&mut clean, 0);
        assert_eq!(clean, b"{\"a\":{\"\\u0062\": [1, 2]}}");
    }
}
