//! Filtering and counting.

use anyhow::Result;
use logkit_common::cli::BadInput;
use logkit_common::fields::{push_canonical, FieldSet, Raw, Value};
use logkit_common::filter::{Condition, StatusSet};
use logkit_common::input::{LineReader, NoIdle};
use logkit_common::json::Object;
use logkit_common::record;
use logkit_common::term::{render_table, Align};
use std::collections::HashMap;
use std::io::{Read, Write};

pub struct Counter<'a> {
    fields: FieldSet,
    status: Option<(StatusSet, usize)>,
    conditions: Vec<(&'a Condition, usize)>,
    by: Vec<(&'a str, usize)>,
    /// Count of records that passed, when there are no groups.
    total: u64,
    /// Groups, keyed by the canonical JSON array of their values.
    groups: HashMap<Box<[u8]>, u64>,
    key: Vec<u8>,
}

impl<'a> Counter<'a> {
    pub fn new(status: Option<StatusSet>, conditions: &'a [Condition], by: &'a [String]) -> Self {
        let mut fields = FieldSet::new();
        let status = status.map(|s| (s, fields.add(record::STATUS)));
        let conditions = conditions.iter().map(|c| (c, fields.add(&c.field))).collect();
        let by = by.iter().map(|b| (b.as_str(), fields.add(b))).collect();
        Counter {
            fields,
            status,
            conditions,
            by,
            total: 0,
            groups: HashMap::new(),
            key: Vec::new(),
        }
    }

    /// Counts the records of one input.
    pub fn read<R: Read>(&mut self, input: R, label: &str, bad: &mut BadInput) -> Result<()> {
        // The counts are printed at the end, so there is nothing to flush
        // while the input is idle.
        let mut reader = LineReader::new(input);
        let mut storage: Vec<Option<Raw<'_>>> = vec![None; self.fields.len()];
        while let Some(line) = reader.next_line(&mut NoIdle)? {
            if line.bytes.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let mut slots = recycle(std::mem::take(&mut storage));
            match self.fields.extract(line.bytes, &mut slots) {
                Ok(()) => self.add(&slots),
                Err(e) => bad.report(label, line.number, &format!("not a JSON object: {e}"))?,
            }
            storage = recycle(slots);
        }
        Ok(())
    }

    fn passes(&self, slots: &[Option<Raw<'_>>]) -> bool {
        if let Some((set, i)) = &self.status {
            let status = match Value::from_raw(slots[*i]) {
                // Some producers write the status as a string.
                Value::String(s) => s.parse::<i64>().ok(),
                v => v.as_i64(),
            };
            if !status.is_some_and(|s| set.contains(s)) {
                return false;
            }
        }
        self.conditions.iter().all(|(c, i)| c.matches(&Value::from_raw(slots[*i])))
    }

    fn add(&mut self, slots: &[Option<Raw<'_>>]) {
        if !self.passes(slots) {
            return;
        }
        if self.by.is_empty() {
            self.total += 1;
            return;
        }
        self.key.clear();
        self.key.push(b'[');
        for (n, (_, i)) in self.by.iter().enumerate() {
            if n > 0 {
                self.key.push(b',');
            }
            push_canonical(slots[*i], &mut self.key);
        }
        self.key.push(b']');
        match self.groups.get_mut(self.key.as_slice()) {
            Some(count) => *count += 1,
            None => {
                self.groups.insert(self.key.as_slice().into(), 1);
            }
        }
    }

    /// The groups, largest first (ties in key order, so output is stable).
    fn sorted_groups(&self) -> Vec<(Vec<serde_json::Value>, u64)> {
        let mut groups: Vec<(&[u8], u64)> = self.groups.iter().map(|(k, &c)| (&k[..], c)).collect();
        groups.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        groups
            .into_iter()
            .map(|(k, c)| {
                (serde_json::from_slice(k).expect("group keys are JSON arrays we wrote"), c)
            })
            .collect()
    }

    pub fn print(&self, table: bool) -> Result<()> {
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        if self.by.is_empty() {
            if table {
                writeln!(out, "{}", self.total)?;
            } else {
                writeln!(out, "{{\"count\":{}}}", self.total)?;
            }
            out.flush()?;
            return Ok(());
        }
        let groups = self.sorted_groups();
        if table {
            let mut header: Vec<&str> = self.by.iter().map(|(name, _)| *name).collect();
            header.push("count");
            let mut align = vec![Align::Left; self.by.len()];
            align.push(Align::Right);
            let rows: Vec<Vec<String>> = groups
                .iter()
                .map(|(values, count)| {
                    let mut row: Vec<String> = values.iter().map(display).collect();
                    row.push(count.to_string());
                    row
                })
                .collect();
            out.write_all(render_table(&header, &align, &rows).as_bytes())?;
        } else {
            let mut buf = Vec::new();
            for (values, count) in &groups {
                buf.clear();
                let mut obj = Object::new(&mut buf);
                for ((name, _), value) in self.by.iter().zip(values) {
                    let out = obj.key_escaped(name);
                    serde_json::to_writer(&mut *out, value)?;
                }
                obj.uint("count", *count);
                obj.finish();
                buf.push(b'\n');
                out.write_all(&buf)?;
            }
        }
        out.flush()?;
        Ok(())
    }
}

/// A value as shown in a table: strings without quotes, missing as `-`.
fn display(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "-".to_owned(),
        serde_json::Value::String(s) => s.clone(),
        other => {
            let mut buf = Vec::new();
            let _ = serde_json::to_writer(&mut buf, other);
            String::from_utf8_lossy(&buf).into_owned()
        }
    }
}

/// Gives a vector of borrowed slots a new lifetime, keeping its allocation:
/// each line's slots borrow from that line, and `collect` over `into_iter`
/// of a same-sized type reuses the buffer instead of allocating.
fn recycle<'b>(v: Vec<Option<Raw<'_>>>) -> Vec<Option<Raw<'b>>> {
    v.into_iter().map(|_| None).collect()
}
