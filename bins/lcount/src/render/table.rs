//! The aligned table for a terminal: cells escaped by
//! [`render_table`], numbers to four significant digits, durations with
//! their unit, a bar per time bucket.

use super::Columns;
use logkit_common::term::{self, render_table, Align};
use serde_json::Value as Json;
use std::io::{self, Write};

/// Writes the rows as a table; with `bars`, the column of the count whose
/// bars are drawn beside each time bucket. `heading`, for a live snapshot,
/// is written above the table. With `max` (a terminal's width), the table
/// fits it: long keys cut with `…`, bars only as wide as the room left.
/// Returns the number of lines written.
pub fn write(
    cols: &Columns,
    rows: impl Iterator<Item = Vec<Json>>,
    bars: Option<usize>,
    heading: Option<&str>,
    max: Option<usize>,
    out: &mut dyn Write,
) -> io::Result<usize> {
    let rows: Vec<Vec<Json>> = rows.collect();
    let mut header: Vec<&str> = cols.names.iter().map(String::as_str).collect();
    let mut align: Vec<Align> = (0..cols.names.len())
        .map(|i| if i < cols.keys { Align::Left } else { Align::Right })
        .collect();
    let mut text_rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().zip(&cols.seconds).map(|(v, &seconds)| human(v, seconds)).collect())
        .collect();
    let bar_width = match max {
        // What the other columns leave, two columns apart.
        Some(max) => {
            let used: usize = (0..header.len())
                .map(|i| {
                    let cells = text_rows.iter().map(|r| term::width(&term::escape_control(&r[i])));
                    cells.chain([term::width(header[i])]).max().unwrap_or(0) + 2
                })
                .sum();
            max.saturating_sub(used).min(BAR_WIDTH)
        }
        None => BAR_WIDTH,
    };
    if let (Some(count), true) = (bars, bar_width > 0) {
        // A bar per bucket, so that a spike shows at a glance.
        let most = rows.iter().filter_map(|r| r[count].as_u64()).max().unwrap_or(0);
        header.push("");
        align.push(Align::Left);
        for (text, row) in text_rows.iter_mut().zip(&rows) {
            text.push(bar(row[count].as_u64().unwrap_or(0), most, bar_width));
        }
    }
    let mut table = String::new();
    if let Some(heading) = heading {
        table.push_str(heading);
        table.push('\n');
    }
    table.push_str(&render_table(&header, &align, &text_rows, max));
    out.write_all(table.as_bytes())?;
    Ok(table.lines().count())
}

/// The widest a bar is drawn, in columns.
const BAR_WIDTH: usize = 40;

/// A bar of up to `width` cells, the largest count filling it; at least one
/// cell for any count above zero.
fn bar(count: u64, max: u64, width: usize) -> String {
    if max == 0 || count == 0 {
        return String::new();
    }
    let cells = (count as f64 * width as f64 / max as f64).round().max(1.0) as usize;
    "█".repeat(cells)
}

/// A value for a person: strings as they are (the table escapes control
/// characters), `-` for nothing, whole numbers as they are, others to four
/// significant digits, and durations in seconds with their unit (`850.0µs`).
pub(super) fn human(v: &Json, seconds: bool) -> String {
    match v {
        Json::Null => "-".into(),
        Json::String(s) => s.clone(),
        Json::Number(n) => match n.as_f64() {
            Some(x) if seconds => term::seconds(x),
            _ if n.is_i64() || n.is_u64() => n.to_string(),
            Some(x) => term::number(x),
            None => n.to_string(),
        },
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest() {
        assert_eq!(bar(10, 10, 40).chars().count(), 40);
        assert_eq!(bar(5, 10, 40).chars().count(), 20);
        assert_eq!(bar(1, 1000, 40).chars().count(), 1);
        assert_eq!(bar(0, 10, 40), "");
        assert_eq!(bar(5, 10, 12).chars().count(), 6);
    }

    #[test]
    fn humans_read_small_values_and_durations() {
        assert_eq!(human(&Json::from(0.123456), false), "0.1235");
        assert_eq!(human(&Json::from(0.000123), false), "0.0001230");
        assert_eq!(human(&Json::from(1234), false), "1234");
        assert_eq!(human(&Json::from(0.000123), true), "123.0µs");
        assert_eq!(human(&Json::from(2), true), "2.000s");
        assert_eq!(human(&Json::Null, true), "-");
        assert_eq!(human(&Json::from("/a"), true), "/a");
    }

    #[test]
    fn duration_columns_carry_units() {
        let cols = Columns {
            names: ["path", "count", "avg_rt"].map(String::from).to_vec(),
            keys: 1,
            seconds: vec![false, false, true],
        };
        let rows = vec![
            vec![Json::from("/a"), Json::from(3), Json::from(0.000123)],
            vec![Json::from("/b"), Json::from(12), Json::from(1.5)],
        ];
        let mut out = Vec::new();
        assert_eq!(write(&cols, rows.clone().into_iter(), None, None, None, &mut out).unwrap(), 3);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "path  count   avg_rt\n/a        3  123.0µs\n/b       12   1.500s\n"
        );
        // In a window of 30 columns a long path gives up its room; the
        // numbers stay whole.
        let long = format!("/{}", "x".repeat(40));
        let rows = [vec![Json::from(long), Json::from(3), Json::from(0.000123)]];
        let mut out = Vec::new();
        write(&cols, rows.into_iter(), None, None, Some(30), &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "path            count   avg_rt\n/xxxxxxxxxxxx…      3  123.0µs\n"
        );
    }
}
