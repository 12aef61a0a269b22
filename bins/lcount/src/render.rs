//! Turning groups into output: the rows and their order here, written as
//! NDJSON records ([`json`]), an aligned table ([`table`]), TSV or CSV
//! ([`delimited`]).

mod delimited;
mod json;
mod table;

use crate::agg::Kind;
use crate::count::{Counter, Group};
use logkit_common::cli;
use logkit_common::record;
use logkit_common::style;
use logkit_common::term;
use logkit_common::time::{format_rfc3339, format_rfc3339_frac};
use serde_json::Value as Json;
use std::cmp::Ordering;
use std::io::Write;

/// How results are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One JSON object per group (the default when stdout is not a
    /// terminal); numbers exact, in their shortest form.
    Json,
    /// An aligned table for people (the default on a terminal): numbers to 4
    /// significant digits, rt and *_rt columns in s, ms or µs.
    Table,
    /// Tab-separated values with a header line; backslash, tab, newline and
    /// CR written \\ \t \n \r, other control characters \xHH per byte (as
    /// PostgreSQL's COPY reads them).
    Tsv,
    /// Comma-separated values with a header line, quoted as RFC 4180 says,
    /// lines ending in CRLF; control characters shown escaped on a terminal.
    Csv,
}

/// `--sort COLUMN[:asc|:desc]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortBy {
    pub column: String,
    pub ascending: Option<bool>,
}

impl std::str::FromStr for SortBy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (column, ascending) = match s.rsplit_once(':') {
            Some((c, "asc")) => (c, Some(true)),
            Some((c, "desc")) => (c, Some(false)),
            _ => (s, None),
        };
        if column.is_empty() {
            return Err("expected a column name, e.g. count, path or p99_rt".into());
        }
        Ok(SortBy { column: column.to_owned(), ascending })
    }
}

/// The options that shape the output.
pub struct Shape {
    pub format: Format,
    pub sort: Option<SortBy>,
    pub top: Option<usize>,
    /// With `--interval`: the snapshot being written.
    pub live: Option<Snapshot>,
}

/// A live snapshot (`--interval`), which shows per group the count since
/// the previous one and its rate, and, in records, the time range of the
/// records counted and whether it is the last.
#[derive(Debug, Clone, Copy)]
pub struct Snapshot {
    /// Time since the previous snapshot (or since lcount started).
    pub elapsed: std::time::Duration,
    /// The final result, at end of input or on a stop.
    pub last: bool,
}

/// The columns of a result.
struct Columns {
    names: Vec<String>,
    /// Number of leading key columns (bucket and `--by` fields).
    keys: usize,
    /// Per column: whether its numbers are durations in seconds, which the
    /// table shows with units.
    seconds: Vec<bool>,
}

fn columns(counter: &Counter, live: bool) -> Columns {
    let mut names = Vec::new();
    let mut seconds = Vec::new();
    if counter.bucketed() {
        names.push(record::TS.to_owned());
        seconds.push(false);
    }
    for (name, _) in &counter.by {
        names.push(name.clone());
        seconds.push(in_seconds(name));
    }
    let keys = names.len();
    names.push(record::COUNT.to_owned());
    seconds.push(false);
    if live {
        names.extend([record::COUNT_LAST.to_owned(), record::RATE.to_owned()]);
        seconds.extend([false, false]);
    }
    for spec in &counter.specs {
        let columns = spec.columns();
        // A count of distinct durations is a count, not a duration.
        let unit = in_seconds(&spec.field) && spec.kind != Kind::Distinct;
        seconds.extend(columns.iter().map(|_| unit));
        names.extend(columns);
    }
    Columns { names, keys, seconds }
}

/// Whether a field holds seconds: `rt` and the `*_rt` fields of
/// docs/records.md (`connect_rt`, `ttfb_rt`, ...), also at the end of a
/// dotted path (`upstream.rt`).
fn in_seconds(field: &str) -> bool {
    let name = field.rsplit('.').next().unwrap_or(field);
    name.strip_suffix(record::RT).is_some_and(|rest| rest.is_empty() || rest.ends_with('_'))
}

/// A number as JSON: an integer when it is whole (sums of byte counts read
/// better as 1234 than 1234.0), null when it is not finite. Every format
/// but the table writes it as serde_json does: integers as they are, other
/// numbers as the shortest text that reads back as the same `f64` (ryu).
fn json_number(x: f64) -> Json {
    // Every whole double below 2^63 is an i64 exactly; ryu would write
    // 2^53 as `9007199254740992.0`, which is not the shortest text.
    if x.fract() == 0.0 && x.abs() < 9_223_372_036_854_775_808.0 {
        Json::from(x as i64)
    } else {
        serde_json::Number::from_f64(x).map_or(Json::Null, Json::Number)
    }
}

fn cells(counter: &Counter, group: &Group<'_>, live: Option<&Snapshot>) -> Vec<Json> {
    let mut row = Vec::new();
    if counter.bucketed() {
        row.push(match (group.bucket, counter.zone) {
            (Some(b), Some(zone)) => jiff::Timestamp::from_second(b)
                .map(|t| Json::String(format_rfc3339(t, zone)))
                .unwrap_or(Json::Null),
            _ => Json::Null,
        });
    }
    if !counter.by.is_empty() {
        match serde_json::from_slice::<Vec<Json>>(group.key) {
            Ok(values) => row.extend(values),
            Err(_) => row.extend(counter.by.iter().map(|_| Json::Null)),
        }
    }
    row.push(Json::from(group.count));
    if let Some(snapshot) = live {
        let last = group.count - group.shown;
        row.push(Json::from(last));
        row.push(rate(last, snapshot.elapsed));
    }
    for (state, spec) in group.aggs.iter().zip(&counter.specs) {
        if let Some(time) = state.time() {
            row.push(Json::String(time));
            continue;
        }
        row.extend(
            state.results(&spec.kind).into_iter().map(|r| r.map_or(Json::Null, json_number)),
        );
    }
    row
}

/// `count` records in `elapsed`, per second; null for no time at all.
fn rate(count: u64, elapsed: std::time::Duration) -> Json {
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 {
        json_number(count as f64 / secs)
    } else {
        Json::Null
    }
}

/// Orders JSON values: numbers numerically, strings as text, null last.
fn compare(a: &Json, b: &Json) -> Ordering {
    fn rank(v: &Json) -> u8 {
        match v {
            Json::Number(_) => 0,
            Json::String(_) => 1,
            Json::Bool(_) => 2,
            Json::Array(_) | Json::Object(_) => 3,
            Json::Null => 4,
        }
    }
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => {
            x.as_f64().unwrap_or(0.0).total_cmp(&y.as_f64().unwrap_or(0.0))
        }
        (Json::String(x), Json::String(y)) => x.cmp(y),
        (Json::Bool(x), Json::Bool(y)) => x.cmp(y),
        _ => rank(a).cmp(&rank(b)).then_with(|| a.to_string().cmp(&b.to_string())),
    }
}

/// The groups in output order, `--top` applied.
fn order(counter: &Counter, shape: &Shape, cols: &Columns) -> Result<Vec<usize>, String> {
    let live = shape.live.as_ref();
    let mut order: Vec<usize> = (0..counter.len()).collect();
    // The default: time order for buckets, then the largest counts first,
    // then the key, so that output is stable.
    let default = |a: &usize, b: &usize| {
        let (ga, gb) = (counter.group(*a), counter.group(*b));
        let bucket = match (ga.bucket, gb.bucket) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        bucket.then(gb.count.cmp(&ga.count)).then_with(|| ga.key.cmp(gb.key))
    };
    match &shape.sort {
        None => order.sort_unstable_by(default),
        Some(sort) => {
            let col = cols.names.iter().position(|n| *n == sort.column).ok_or_else(|| {
                format!("--sort: no column {:?} (columns: {})", sort.column, cols.names.join(", "))
            })?;
            // Key columns sort ascending by default, counts and aggregates descending.
            let ascending = sort.ascending.unwrap_or(col < cols.keys);
            let mut keyed: Vec<(Json, usize)> = order
                .iter()
                .map(|&i| (cells(counter, &counter.group(i), live).swap_remove(col), i))
                .collect();
            keyed.sort_by(|(x, a), (y, b)| {
                let by_column = match (x, y) {
                    // Missing values go last either way.
                    (Json::Null, Json::Null) => Ordering::Equal,
                    (Json::Null, _) => Ordering::Greater,
                    (_, Json::Null) => Ordering::Less,
                    _ if ascending => compare(x, y),
                    _ => compare(y, x),
                };
                by_column.then_with(|| default(a, b))
            });
            order = keyed.into_iter().map(|(_, i)| i).collect();
        }
    }
    if let Some(n) = shape.top {
        // Per time bucket when bucketed: the top paths of each minute.
        let mut seen: std::collections::HashMap<Option<i64>, usize> = Default::default();
        order.retain(|&i| {
            let c = seen.entry(counter.group(i).bucket).or_default();
            *c += 1;
            *c <= n
        });
    }
    Ok(order)
}

/// The columns of a result and its rows in output order, `--top` applied,
/// with how many rows there are.
type Rows<'a> = (Columns, usize, Box<dyn Iterator<Item = Vec<Json>> + 'a>);

fn rows<'a>(counter: &'a Counter, shape: &Shape) -> anyhow::Result<Rows<'a>> {
    let live = shape.live;
    let mut cols = columns(counter, live.is_some());
    let order = order(counter, shape, &cols).map_err(anyhow::Error::msg)?;
    // Without groups there is still an answer: a count of zero. Live, also
    // with --by or --every, so that a snapshot says "nothing yet" rather
    // than nothing at all; without the key columns, as it is no group.
    let single = counter.by.is_empty() && !counter.bucketed();
    if counter.is_empty() && (single || live.is_some()) {
        cols.names.drain(..cols.keys);
        cols.seconds.drain(..cols.keys);
        cols.keys = 0;
        let zeros = if live.is_some() { 3 } else { 1 };
        let mut zero = vec![Json::from(0u64); zeros];
        if live.is_some() {
            zero[2] = rate(0, live.map_or_else(Default::default, |l| l.elapsed));
        }
        zero.extend(cols.names[zeros..].iter().map(|_| Json::Null));
        return Ok((cols, 1, Box::new(std::iter::once(zero))));
    }
    let n = order.len();
    let rows = order.into_iter().map(move |i| cells(counter, &counter.group(i), live.as_ref()));
    Ok((cols, n, Box::new(rows)))
}

/// The time range of the records counted, in UTC, when any had a `ts`.
fn span(counter: &Counter) -> Option<[String; 2]> {
    counter
        .span
        .map(|(first, last)| [first, last].map(|t| format_rfc3339_frac(t, jiff::tz::Offset::UTC)))
}

/// The line above a live table: the time range of the records counted,
/// and whether this is the final result.
fn heading(counter: &Counter, snapshot: &Snapshot) -> String {
    let range = match span(counter) {
        Some([start, end]) => format!("records from {start} to {end}"),
        None => "no record with a ts counted yet".to_owned(),
    };
    if snapshot.last {
        format!("{range} (final)")
    } else {
        range
    }
}

/// Writes the result to `out`, which is standard output: on a terminal,
/// every format keeps the data from driving it. Returns the number of lines
/// written.
pub fn write(counter: &Counter, shape: &Shape, out: &mut dyn Write) -> anyhow::Result<usize> {
    let terminal = cli::stdout_is_terminal();
    let live = shape.live;
    let (mut cols, _, mut rows) = rows(counter, shape)?;
    if let (Some(snapshot), true) = (live, shape.format != Format::Table) {
        cols.names
            .extend([record::WINDOW_START, record::WINDOW_END, record::FINAL].map(String::from));
        let [start, end] = match span(counter) {
            Some(span) => span.map(Json::String),
            None => [Json::Null, Json::Null],
        };
        let tag = [start, end, Json::Bool(snapshot.last)];
        rows = Box::new(rows.map(move |mut r| {
            r.extend(tag.iter().cloned());
            r
        }));
    }
    let lines = match shape.format {
        Format::Json => json::write(&cols.names, rows, terminal, out)?,
        Format::Tsv => delimited::write_tsv(&cols.names, rows, out)?,
        Format::Csv => delimited::write_csv(&cols.names, rows, terminal, out)?,
        Format::Table => {
            let bars = counter.bucketed().then_some(cols.keys);
            let heading = live.map(|snapshot| heading(counter, &snapshot));
            let max = if terminal { style::stdout_columns() } else { None };
            table::write(&cols, rows, bars, heading.as_deref(), max, out)?
        }
    };
    Ok(lines)
}

/// A live result as the board shows it: text for a person, escaped, of
/// the first rows only (a window holds a few dozen; ordering all groups is
/// the cost that remains per tick).
pub struct Sheet {
    /// The time range of the records counted (see [`heading`]).
    pub heading: String,
    /// The column names, escaped.
    pub names: Vec<String>,
    /// How many leading columns are keys (left-aligned text).
    pub keys: usize,
    /// The first rows, each cell as the table writes it, escaped.
    pub rows: Vec<Vec<String>>,
    /// With `--every`: each row's count and the largest count of all rows,
    /// for a bar per bucket.
    pub bars: Option<(Vec<u64>, u64)>,
    /// How many rows there are in all.
    pub total: usize,
}

/// The live result for the board: its first `limit` rows.
pub fn sheet(counter: &Counter, shape: &Shape, limit: usize) -> anyhow::Result<Sheet> {
    let snapshot = shape.live.unwrap_or(Snapshot { elapsed: Default::default(), last: false });
    let (cols, total, rows) = rows(counter, shape)?;
    let escape = |s: &str| term::escape_control(s).into_owned();
    let count = cols.names.iter().position(|n| n == record::COUNT);
    let mut shown = Vec::new();
    let mut counts = Vec::new();
    for row in rows.take(limit) {
        counts.push(count.and_then(|c| row[c].as_u64()).unwrap_or(0));
        shown.push(
            row.iter()
                .zip(&cols.seconds)
                .map(|(v, &seconds)| escape(&table::human(v, seconds)))
                .collect(),
        );
    }
    // The largest count of any group (not only of the rows shown), read
    // from the groups: cheaper than the cells of every row.
    let max = counter.groups().map(|g| g.count).max().unwrap_or(0);
    Ok(Sheet {
        heading: heading(counter, &snapshot),
        names: cols.names.iter().map(|n| escape(n)).collect(),
        keys: cols.keys,
        rows: shown,
        bars: counter.bucketed().then_some((counts, max)),
        total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(json_number(3.0), Json::from(3));
        assert_eq!(json_number(0.25).to_string(), "0.25");
        assert_eq!(json_number(f64::NAN), Json::Null);
        // Whole numbers beyond 2^53 are still written shortest.
        assert_eq!(json_number(9007199254740992.0).to_string(), "9007199254740992");
        assert_eq!(json_number(-4611686018427387904.0).to_string(), "-4611686018427387904");
        assert_eq!(json_number(1e20).to_string().parse::<f64>(), Ok(1e20));
    }

    #[test]
    fn fields_in_seconds() {
        for field in ["rt", "ttfb_rt", "upstream.rt", "timing.connect_rt"] {
            assert!(in_seconds(field), "{field}");
        }
        for field in ["bytes", "start", "part", "rtt", "rt_count", "ts"] {
            assert!(!in_seconds(field), "{field}");
        }
    }
}
