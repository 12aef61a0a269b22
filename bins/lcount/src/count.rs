//! Filtering records and counting them into groups.

use crate::agg::{self, Spec};
use logkit_common::fields::{push_canonical, FieldSet, Raw, Value};
use logkit_common::filter::{Condition, StatusSet};
use logkit_common::record;
use logkit_common::time::parse_rfc3339;
use std::collections::HashMap;

/// What to count, from the command line.
#[derive(Clone)]
pub struct Plan {
    pub status: Option<StatusSet>,
    pub conditions: Vec<Condition>,
    pub by: Vec<String>,
    /// Time buckets on `ts`, in whole seconds.
    pub every: Option<i64>,
    pub aggs: Vec<(agg::Kind, String)>,
}

/// One group: its key, count and aggregates.
pub struct Group {
    /// Start of the time bucket (Unix seconds); `None` without `--every` or
    /// for records without a readable `ts`.
    pub bucket: Option<i64>,
    /// The `--by` values, as a canonical JSON array.
    pub key: Box<[u8]>,
    pub count: u64,
    pub aggs: Vec<agg::State>,
}

pub struct Counter {
    fields: FieldSet,
    status: Option<(StatusSet, usize)>,
    conditions: Vec<(Condition, usize)>,
    pub by: Vec<(String, usize)>,
    every: Option<(i64, usize)>,
    pub specs: Vec<Spec>,
    /// The UTC offset buckets are aligned to and shown in: that of the first
    /// `ts` seen, so that a day bucket is the log's own day.
    pub zone: Option<jiff::tz::Offset>,
    pub groups: Vec<Group>,
    index: HashMap<Box<[u8]>, usize>,
    key: Vec<u8>,
    scratch: Vec<u8>,
}

impl Counter {
    pub fn new(plan: Plan) -> Self {
        let mut fields = FieldSet::new();
        let status = plan.status.map(|s| (s, fields.add(record::STATUS)));
        let conditions = plan
            .conditions
            .into_iter()
            .map(|c| {
                let slot = fields.add(&c.field);
                (c, slot)
            })
            .collect();
        let by = plan
            .by
            .into_iter()
            .map(|b| {
                let slot = fields.add(&b);
                (b, slot)
            })
            .collect();
        let every = plan.every.map(|secs| (secs, fields.add(record::TS)));
        let specs = plan
            .aggs
            .into_iter()
            .map(|(kind, field)| Spec { slot: fields.add(&field), kind, field })
            .collect();
        Counter {
            fields,
            status,
            conditions,
            by,
            every,
            specs,
            zone: None,
            groups: Vec::new(),
            index: HashMap::new(),
            key: Vec::new(),
            scratch: Vec::new(),
        }
    }

    pub fn fields(&self) -> &FieldSet {
        &self.fields
    }

    /// Adds the groups of another counter (a worker's share of the input).
    pub fn merge(&mut self, other: Counter) {
        for g in other.groups {
            self.key.clear();
            match g.bucket {
                Some(b) => self.key.extend_from_slice(&b.to_le_bytes()),
                None => self.key.push(b'n'),
            }
            self.key.extend_from_slice(&g.key);
            let single = self.by.is_empty() && self.every.is_none();
            let index = if single {
                if self.groups.is_empty() {
                    self.new_group(None, Box::default());
                }
                Some(0)
            } else {
                self.index.get(self.key.as_slice()).copied()
            };
            match index {
                Some(i) => {
                    let mine = &mut self.groups[i];
                    mine.count += g.count;
                    for (a, b) in mine.aggs.iter_mut().zip(g.aggs) {
                        a.merge(b);
                    }
                }
                None => {
                    self.index.insert(self.key.as_slice().into(), self.groups.len());
                    self.groups.push(g);
                }
            }
        }
    }

    /// Whether results are bucketed by time.
    pub fn bucketed(&self) -> bool {
        self.every.is_some()
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

    /// Counts one record, given its extracted fields.
    pub fn add(&mut self, slots: &[Option<Raw<'_>>]) {
        if !self.passes(slots) {
            return;
        }
        let bucket = self.every.and_then(|(secs, slot)| self.bucket_of(slots[slot], secs));
        let index = if self.by.is_empty() && self.every.is_none() {
            // One group for everything: no key to build or look up.
            if self.groups.is_empty() {
                self.new_group(None, Box::default());
            }
            0
        } else {
            self.key.clear();
            if let Some(b) = bucket {
                self.key.extend_from_slice(&b.to_le_bytes());
            } else {
                self.key.push(b'n');
            }
            let key_start = self.key.len();
            self.key.push(b'[');
            for (n, (_, slot)) in self.by.iter().enumerate() {
                if n > 0 {
                    self.key.push(b',');
                }
                push_canonical(slots[*slot], &mut self.key);
            }
            self.key.push(b']');
            match self.index.get(self.key.as_slice()) {
                Some(&i) => i,
                None => {
                    let i = self.new_group(bucket, self.key[key_start..].into());
                    self.index.insert(self.key.as_slice().into(), i);
                    i
                }
            }
        };
        let group = &mut self.groups[index];
        group.count += 1;
        for (state, spec) in group.aggs.iter_mut().zip(&self.specs) {
            state.add(slots[spec.slot], &mut self.scratch);
        }
    }

    fn new_group(&mut self, bucket: Option<i64>, key: Box<[u8]>) -> usize {
        let aggs = self.specs.iter().map(|s| agg::State::new(&s.kind)).collect();
        self.groups.push(Group { bucket, key, count: 0, aggs });
        self.groups.len() - 1
    }

    /// The start of the bucket a `ts` falls in, aligned in the display zone.
    fn bucket_of(&mut self, raw: Option<Raw<'_>>, secs: i64) -> Option<i64> {
        let Value::String(text) = Value::from_raw(raw) else {
            return None;
        };
        let stamp = parse_rfc3339(&text)?;
        let zone = *self.zone.get_or_insert(stamp.offset);
        let local = stamp.instant.as_second() + i64::from(zone.seconds());
        Some(local.div_euclid(secs) * secs - i64::from(zone.seconds()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The (bucket, count) of each group after counting `records`.
    fn buckets(every: i64, records: &[&str]) -> Vec<(Option<i64>, u64)> {
        let plan =
            Plan { status: None, conditions: vec![], by: vec![], every: Some(every), aggs: vec![] };
        let mut counter = Counter::new(plan);
        for record in records {
            let mut slots = vec![None; counter.fields().len()];
            counter.fields().extract(record.as_bytes(), &mut slots).unwrap();
            counter.add(&slots);
        }
        let mut groups: Vec<_> = counter.groups.iter().map(|g| (g.bucket, g.count)).collect();
        groups.sort();
        groups
    }

    #[test]
    fn a_ts_with_twelve_fraction_digits_lands_in_its_bucket() {
        let got = buckets(
            60,
            &[
                r#"{"ts":"2026-11-27T03:22:46.123456789012+00:00"}"#,
                r#"{"ts":"2026-11-27T03:22:59.999999999999Z"}"#,
                r#"{"ts":"2026-11-27T03:23:00+00:00"}"#,
                r#"{"ts":"27/Nov/2026:03:22:46 +0000"}"#,
            ],
        );
        // `date -u -d 2026-11-27T03:22:00Z +%s` and 03:23; the CLF text is
        // not a `ts` lcount reads.
        assert_eq!(got, vec![(None, 1), (Some(1795749720), 2), (Some(1795749780), 1)]);
    }
}
