//! Deciding whether one record passes, and writing it out.
//!
//! Only the fields the filters and `--fields` name are extracted (with
//! [`FieldSet::extract`], which scans the record once and keeps raw JSON
//! text borrowed from the line): a passing record is written as the very
//! bytes it came in, so nothing else of it needs to be understood.

use logkit_common::fields::{not_a_record, recycle, FieldSet, Raw};
use logkit_common::filter::{Condition, Filters, StatusSet};
use logkit_common::input::Line;
use logkit_common::json::Object;
use logkit_common::seen::Seen;

/// What to select, from the command line.
#[derive(Debug, Clone)]
pub struct Plan {
    /// `--status`.
    pub status: Option<StatusSet>,
    /// `--where` and the conditions given as arguments; all must hold.
    pub conditions: Vec<Condition>,
    /// `-v`: pass the records that fail the filters instead.
    pub invert: bool,
    /// `--fields`: write only these fields, in this order.
    pub keep: Option<Vec<String>>,
}

/// Selects records by a [`Plan`]; one per thread.
pub struct Selector {
    fields: FieldSet,
    filters: Filters,
    invert: bool,
    keep: Option<Vec<(String, usize)>>,
    /// Which of the fields named appeared in some record.
    seen: Seen,
    /// The extracted values' slots, kept between lines for their allocation.
    storage: Vec<Option<Raw<'static>>>,
}

impl Selector {
    /// A selector for `plan`.
    pub fn new(plan: Plan) -> Self {
        let mut fields = FieldSet::new();
        let mut seen = Seen::new();
        let filters = Filters::new(plan.status, plan.conditions, &mut fields, &mut seen);
        let keep: Option<Vec<(String, usize)>> = plan.keep.map(|names| {
            names
                .into_iter()
                .map(|n| {
                    let slot = fields.add(&n);
                    (n, slot)
                })
                .collect()
        });
        keep.iter().flatten().for_each(|(n, _)| seen.ask(n));
        let storage = vec![None; fields.len()];
        let invert = plan.invert;
        Selector { fields, filters, invert, keep, seen, storage }
    }

    /// Which of the fields named appeared in some record so far.
    pub fn seen(&self) -> &Seen {
        &self.seen
    }

    /// Adds what another selector of the same plan saw (a worker's share
    /// of the input).
    pub fn merge(&mut self, other: &Selector) {
        self.seen.merge(&other.seen);
    }

    /// Selects the record on one input line, the same on every path. A
    /// passing record is appended to `out` (when given) with a `\n`, and
    /// `Ok(true)` returned. Blank lines are passed over; for a line that is
    /// not a record, or too long to be read whole, the complaint.
    pub fn line(&mut self, line: &Line<'_>, out: Option<&mut Vec<u8>>) -> Result<bool, String> {
        match line.record()? {
            Some(record) => self.record(record, out),
            None => Ok(false),
        }
    }

    fn record(&mut self, line: &[u8], out: Option<&mut Vec<u8>>) -> Result<bool, String> {
        let mut slots = recycle(std::mem::take(&mut self.storage));
        let result = match self.fields.extract_noting(line, &mut slots, &mut self.seen) {
            Ok(()) => {
                let pass = self.filters.passes(&slots) != self.invert;
                if let (true, Some(out)) = (pass, out) {
                    self.write(line, &slots, out);
                }
                Ok(pass)
            }
            Err(e) => Err(not_a_record(line, &e)),
        };
        self.storage = recycle(slots);
        result
    }

    /// The record as it came in, or with `--fields` a new object of the
    /// kept fields in the order they were named, each value's JSON text as
    /// it was (a field the record lacks is left out, as in every record
    /// the tools write).
    fn write(&self, line: &[u8], slots: &[Option<Raw<'_>>], out: &mut Vec<u8>) {
        match &self.keep {
            None => out.extend_from_slice(line),
            Some(keep) => {
                let mut obj = Object::new(out);
                for (name, slot) in keep {
                    if let Some(value) = slots[*slot] {
                        obj.key_escaped(name).extend_from_slice(value);
                    }
                }
                obj.finish();
            }
        }
        out.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn select(plan: Plan, line: &str) -> Result<Option<String>, String> {
        let mut s = Selector::new(plan);
        let mut out = Vec::new();
        let line = Line { bytes: line.as_bytes(), number: 1, truncated: false, terminated: true };
        let pass = s.line(&line, Some(&mut out))?;
        assert_eq!(pass, !out.is_empty());
        Ok(pass.then(|| String::from_utf8(out).unwrap()))
    }

    fn plan(status: Option<&str>, conditions: &[&str]) -> Plan {
        Plan {
            status: status.map(|s| s.parse().unwrap()),
            conditions: conditions.iter().map(|c| c.parse().unwrap()).collect(),
            invert: false,
            keep: None,
        }
    }

    #[test]
    fn passes_the_line_as_it_came() {
        let line = r#" { "path" : "/\u0061" ,"status":404 }  "#;
        assert_eq!(select(plan(Some("4xx"), &[]), line), Ok(Some(format!("{line}\n"))));
        assert_eq!(select(plan(Some("5xx"), &[]), line), Ok(None));
        // A status written as a string counts.
        let line = r#"{"status":"404"}"#;
        assert_eq!(select(plan(Some("404"), &[]), line), Ok(Some(format!("{line}\n"))));
    }

    #[test]
    fn inverts() {
        let p = Plan { invert: true, ..plan(None, &["rt>1"]) };
        assert_eq!(select(p.clone(), r#"{"rt":2}"#), Ok(None));
        assert_eq!(select(p.clone(), r#"{"rt":0.5}"#), Ok(Some("{\"rt\":0.5}\n".into())));
        assert_eq!(select(p.clone(), "  "), Ok(None));
        assert!(select(p, "GET / HTTP/1.1").unwrap_err().contains("lparse"));
    }

    #[test]
    fn keeps_fields_in_the_order_named() {
        let p = Plan {
            keep: Some(vec!["b".into(), "x".into(), "n.k".into(), "a".into()]),
            ..plan(None, &[])
        };
        let got = select(p, r#"{"a":"\u00e9","n":{"k":[1, 2]},"b":1.50}"#);
        assert_eq!(got, Ok(Some("{\"b\":1.50,\"n.k\":[1, 2],\"a\":\"\\u00e9\"}\n".into())));
    }

    #[test]
    fn a_terminal_is_shown_controls_escaped_and_a_pipe_the_bytes() {
        use logkit_common::view::Display;
        let line = "{\"path\":\"/\u{7f}\u{9b}2J\u{202e}gnp.exe\", \"status\":404}";
        let shown = "{\"path\":\"/\\u007f\\u009b2J\\u202egnp.exe\", \"status\":404}\n";
        // What lgrep writes: the selected record, then the display's turn.
        let on = |terminal: bool, plan: Plan| {
            let mut out = select(plan, line)?.map(String::into_bytes);
            if let (true, Some(out)) = (terminal, &mut out) {
                Display::TerminalRecords.show(out, 0);
            }
            Ok::<_, String>(out.map(|o| String::from_utf8(o).unwrap()))
        };
        assert_eq!(on(true, plan(Some("404"), &[])), Ok(Some(shown.into())));
        assert_eq!(on(false, plan(Some("404"), &[])), Ok(Some(format!("{line}\n"))));
        let kept = Plan { keep: Some(vec!["path".into()]), ..plan(Some("404"), &[]) };
        assert_eq!(
            on(true, kept),
            Ok(Some("{\"path\":\"/\\u007f\\u009b2J\\u202egnp.exe\"}\n".into()))
        );
    }
}
