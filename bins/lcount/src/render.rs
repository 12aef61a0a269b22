//! Turning groups into output: NDJSON records, an aligned table, TSV or CSV.

use crate::count::{Counter, Group};
use logkit_common::record;
use logkit_common::term::{render_table, Align};
use logkit_common::time::format_rfc3339;
use serde_json::Value as Json;
use std::cmp::Ordering;
use std::io::{self, Write};

/// How results are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One JSON object per group (the default when stdout is not a terminal).
    Json,
    /// An aligned table (the default on a terminal).
    Table,
    /// Tab-separated values with a header line.
    Tsv,
    /// Comma-separated values (RFC 4180) with a header line.
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
    /// The live window, `(start, end)`, added to snapshot records.
    pub window: Option<(jiff::Timestamp, jiff::Timestamp)>,
}

/// The columns and rows of a result.
struct Columns {
    names: Vec<String>,
    /// Number of leading key columns (bucket and `--by` fields).
    keys: usize,
}

fn columns(counter: &Counter) -> Columns {
    let mut names = Vec::new();
    if counter.bucketed() {
        names.push(record::TS.to_owned());
    }
    names.extend(counter.by.iter().map(|(n, _)| n.clone()));
    let keys = names.len();
    names.push(record::COUNT.to_owned());
    for spec in &counter.specs {
        names.extend(spec.columns());
    }
    Columns { names, keys }
}

/// A number as JSON: an integer when it is whole (sums of byte counts read
/// better as 1234 than 1234.0), null when it is not finite.
fn json_number(x: f64) -> Json {
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        Json::from(x as i64)
    } else {
        serde_json::Number::from_f64(x).map_or(Json::Null, Json::Number)
    }
}

fn cells(counter: &Counter, group: &Group) -> Vec<Json> {
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
        match serde_json::from_slice::<Vec<Json>>(&group.key) {
            Ok(values) => row.extend(values),
            Err(_) => row.extend(counter.by.iter().map(|_| Json::Null)),
        }
    }
    row.push(Json::from(group.count));
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
    let groups = &counter.groups;
    let mut order: Vec<usize> = (0..groups.len()).collect();
    // The default: time order for buckets, then the largest counts first,
    // then the key, so that output is stable.
    let default = |a: &usize, b: &usize| {
        let (ga, gb) = (&groups[*a], &groups[*b]);
        let bucket = match (ga.bucket, gb.bucket) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        bucket.then(gb.count.cmp(&ga.count)).then_with(|| ga.key.cmp(&gb.key))
    };
    match &shape.sort {
        None => order.sort_unstable_by(default),
        Some(sort) => {
            let col = cols.names.iter().position(|n| *n == sort.column).ok_or_else(|| {
                format!("--sort: no column {:?} (columns: {})", sort.column, cols.names.join(", "))
            })?;
            // Key columns sort ascending by default, counts and aggregates descending.
            let ascending = sort.ascending.unwrap_or(col < cols.keys);
            let mut keyed: Vec<(Json, usize)> =
                order.iter().map(|&i| (cells(counter, &groups[i]).swap_remove(col), i)).collect();
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
            let c = seen.entry(groups[i].bucket).or_default();
            *c += 1;
            *c <= n
        });
    }
    Ok(order)
}

/// Writes the result. Returns the number of lines written (for redrawing a
/// live table in place).
pub fn write(counter: &Counter, shape: &Shape, out: &mut dyn Write) -> anyhow::Result<usize> {
    let mut cols = columns(counter);
    let order = order(counter, shape, &cols).map_err(anyhow::Error::msg)?;
    let mut rows: Box<dyn Iterator<Item = Vec<Json>>> =
        Box::new(order.iter().map(|&i| cells(counter, &counter.groups[i])));
    // Without groups there is still an answer: a count of zero.
    if counter.groups.is_empty() && counter.by.is_empty() && !counter.bucketed() {
        let mut zero = vec![Json::from(0u64)];
        zero.extend(cols.names[1..].iter().map(|_| Json::Null));
        rows = Box::new(std::iter::once(zero));
    }
    if shape.format != Format::Table {
        if let Some((start, end)) = shape.window {
            cols.names.push(record::WINDOW_START.into());
            cols.names.push(record::WINDOW_END.into());
            let tag = [Json::String(format!("{start:.3}")), Json::String(format!("{end:.3}"))];
            rows = Box::new(rows.map(move |mut r| {
                r.extend(tag.iter().cloned());
                r
            }));
        }
    }
    match shape.format {
        Format::Json => {
            let mut n = 0;
            let mut line = Vec::new();
            for row in rows {
                line.clear();
                let mut obj = logkit_common::json::Object::new(&mut line);
                for (name, value) in cols.names.iter().zip(&row) {
                    serde_json::to_writer(&mut *obj.key_escaped(name), value)?;
                }
                obj.finish();
                line.push(b'\n');
                out.write_all(&line)?;
                n += 1;
            }
            Ok(n)
        }
        Format::Tsv | Format::Csv => {
            let csv = shape.format == Format::Csv;
            let field = |v: &Json| -> String {
                match v {
                    Json::Null => String::new(),
                    Json::String(s) if csv => csv_quote(s),
                    Json::String(s) => tsv_escape(s),
                    other if csv => csv_quote(&other.to_string()),
                    other => tsv_escape(&other.to_string()),
                }
            };
            let sep = if csv { "," } else { "\t" };
            let header: Vec<String> =
                cols.names.iter().map(|n| if csv { csv_quote(n) } else { tsv_escape(n) }).collect();
            writeln!(out, "{}", header.join(sep))?;
            let mut n = 1;
            for row in rows {
                let fields: Vec<String> = row.iter().map(field).collect();
                writeln!(out, "{}", fields.join(sep))?;
                n += 1;
            }
            Ok(n)
        }
        Format::Table => {
            let rows: Vec<Vec<Json>> = rows.collect();
            let mut header: Vec<&str> = cols.names.iter().map(String::as_str).collect();
            let mut align: Vec<Align> = (0..cols.names.len())
                .map(|i| if i < cols.keys { Align::Left } else { Align::Right })
                .collect();
            let mut text_rows: Vec<Vec<String>> =
                rows.iter().map(|r| r.iter().map(human).collect()).collect();
            if counter.bucketed() {
                // A bar per bucket, so that a spike shows at a glance.
                let max = rows.iter().filter_map(|r| r[cols.keys].as_u64()).max().unwrap_or(0);
                header.push("");
                align.push(Align::Left);
                for (text, row) in text_rows.iter_mut().zip(&rows) {
                    text.push(bar(row[cols.keys].as_u64().unwrap_or(0), max));
                }
            }
            let mut table = String::new();
            if let Some((start, end)) = shape.window {
                let secs = (end.as_second() - start.as_second()).max(0);
                table.push_str(&format!("since {start:.0} ({secs}s)\n"));
            }
            table.push_str(&render_table(&header, &align, &text_rows));
            out.write_all(table.as_bytes())?;
            Ok(table.lines().count())
        }
    }
}

const BAR_WIDTH: u64 = 40;

fn bar(count: u64, max: u64) -> String {
    if max == 0 || count == 0 {
        return String::new();
    }
    let width = ((count * BAR_WIDTH) as f64 / max as f64).round().max(1.0) as usize;
    "█".repeat(width)
}

/// A value for a human: strings as they are (the table escapes control
/// characters), `-` for nothing, numbers rounded to a readable precision.
fn human(v: &Json) -> String {
    match v {
        Json::Null => "-".into(),
        Json::String(s) => s.clone(),
        Json::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.to_string(),
            (None, Some(f)) if f.abs() >= 100.0 => format!("{f:.1}"),
            (None, Some(f)) if f.abs() >= 1.0 => format!("{f:.3}"),
            (None, Some(f)) => format!("{f:.4}"),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

fn tsv_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out
}

fn csv_quote(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) || s.starts_with(' ') || s.ends_with(' ') {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// Moves the cursor up over a table of `lines` lines and clears to the end
/// of the screen, so that the next table is drawn in its place.
pub fn erase_lines(out: &mut dyn Write, lines: usize) -> io::Result<()> {
    if lines > 0 {
        write!(out, "\x1b[{lines}F\x1b[J")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(csv_quote("a,b"), "\"a,b\"");
        assert_eq!(csv_quote("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_quote("plain"), "plain");
        assert_eq!(tsv_escape("a\tb\nc\\"), "a\\tb\\nc\\\\");
    }

    #[test]
    fn bars_scale_to_the_largest() {
        assert_eq!(bar(10, 10).chars().count(), 40);
        assert_eq!(bar(5, 10).chars().count(), 20);
        assert_eq!(bar(1, 1000).chars().count(), 1);
        assert_eq!(bar(0, 10), "");
    }

    #[test]
    fn numbers() {
        assert_eq!(json_number(3.0), Json::from(3));
        assert_eq!(json_number(0.25).to_string(), "0.25");
        assert_eq!(json_number(f64::NAN), Json::Null);
        assert_eq!(human(&Json::from(0.123456)), "0.1235");
        assert_eq!(human(&Json::Null), "-");
    }
}
