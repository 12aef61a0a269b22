//! Filtering records and counting them into groups.

use crate::agg::{self, Spec};
use jiff::Timestamp;
use logkit_common::fields::{push_canonical, FieldSet, Raw, Value};
use logkit_common::filter::{Condition, Filters, StatusSet};
use logkit_common::flat::ScanError;
use logkit_common::record;
use logkit_common::seen::Seen;
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
    /// The offset buckets are aligned to and labelled in (`--tz`); by
    /// default that of the first `ts`.
    pub zone: Option<jiff::tz::Offset>,
    pub aggs: Vec<(agg::Kind, String)>,
    /// Keep the time range of the records counted (live snapshots show it).
    pub span: bool,
}

/// At most this many empty buckets are listed (a stray record a year off
/// would otherwise ask for half a million rows of a 1m series).
pub const MAX_EMPTY_BUCKETS: i64 = 100_000;

/// One group: its key, count and aggregates.
pub struct Group {
    /// Start of the time bucket (Unix seconds); `None` without `--every` or
    /// for records without a readable `ts`.
    pub bucket: Option<i64>,
    /// The `--by` values, as a canonical JSON array.
    pub key: Box<[u8]>,
    pub count: u64,
    /// The count when the previous live snapshot was written.
    pub shown: u64,
    pub aggs: Vec<agg::State>,
}

pub struct Counter {
    fields: FieldSet,
    filters: Filters,
    pub by: Vec<(String, usize)>,
    every: Option<(i64, usize)>,
    pub specs: Vec<Spec>,
    /// The UTC offset buckets are aligned to and shown in: that of the first
    /// `ts` seen, so that a day bucket is the log's own day.
    pub zone: Option<jiff::tz::Offset>,
    pub groups: Vec<Group>,
    /// Which fields named on the command line appeared.
    pub seen: Seen,
    /// Per aggregate: how many values were beyond a double's range.
    pub beyond_range: Vec<u64>,
    /// With [`Plan::span`]: the earliest and latest `ts` of the records
    /// counted (`ltail -f` replays older lines first, so this is not when
    /// lcount read them).
    pub span: Option<(Timestamp, Timestamp)>,
    span_slot: Option<usize>,
    index: HashMap<Box<[u8]>, usize>,
    key: Vec<u8>,
    scratch: Vec<u8>,
}

impl Counter {
    pub fn new(plan: Plan) -> Self {
        let mut seen = Seen::new();
        let mut fields = FieldSet::new();
        let filters = Filters::new(plan.status, plan.conditions, &mut fields, &mut seen);
        plan.by.iter().for_each(|b| seen.ask(b));
        if plan.every.is_some() {
            seen.ask(record::TS);
        }
        plan.aggs.iter().for_each(|(_, f)| seen.ask(f));
        let by = plan
            .by
            .into_iter()
            .map(|b| {
                let slot = fields.add(&b);
                (b, slot)
            })
            .collect();
        let every = plan.every.map(|secs| (secs, fields.add(record::TS)));
        // Not asked of `seen`: --interval names no field.
        let span_slot = plan.span.then(|| fields.add(record::TS));
        let specs: Vec<Spec> = plan
            .aggs
            .into_iter()
            .map(|(kind, field)| Spec { slot: fields.add(&field), kind, field })
            .collect();
        Counter {
            fields,
            filters,
            by,
            every,
            beyond_range: vec![0; specs.len()],
            specs,
            zone: plan.zone,
            span: None,
            span_slot,
            groups: Vec::new(),
            seen,
            index: HashMap::new(),
            key: Vec::new(),
            scratch: Vec::new(),
        }
    }

    pub fn fields(&self) -> &FieldSet {
        &self.fields
    }

    /// Extracts the fields counting needs from one line (which must be a
    /// JSON object), noting which keys appeared.
    pub fn extract<'a>(
        &mut self,
        line: &'a [u8],
        slots: &mut [Option<Raw<'a>>],
    ) -> Result<(), ScanError> {
        self.fields.extract_noting(line, slots, &mut self.seen)
    }

    /// Adds the groups of another counter (a worker's share of the input).
    pub fn merge(&mut self, other: Counter) {
        self.seen.merge(&other.seen);
        for (mine, theirs) in self.beyond_range.iter_mut().zip(&other.beyond_range) {
            *mine += theirs;
        }
        if let Some((first, last)) = other.span {
            self.widen_span(first);
            self.widen_span(last);
        }
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

    /// Counts one record, given its extracted fields.
    pub fn add(&mut self, slots: &[Option<Raw<'_>>]) {
        if !self.filters.passes(slots) {
            return;
        }
        if let Some(slot) = self.span_slot {
            if let Value::String(text) = Value::from_raw(slots[slot]) {
                if let Some(stamp) = parse_rfc3339(&text) {
                    self.widen_span(stamp.instant);
                }
            }
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
        for (n, (state, spec)) in group.aggs.iter_mut().zip(&self.specs).enumerate() {
            if state.add(slots[spec.slot], &mut self.scratch) == agg::Added::BeyondRange {
                self.beyond_range[n] += 1;
            }
        }
    }

    /// Adds a group of count 0 for every bucket from the first to the last
    /// that has none, so that a quiet spell shows in the series; with
    /// `--by`, for each group, so that each one's series is whole. Does
    /// nothing without `--every`. Returns the number of empty buckets left
    /// out when there are more than [`MAX_EMPTY_BUCKETS`].
    pub fn fill_empty_buckets(&mut self) -> Option<i64> {
        let (secs, _) = self.every?;
        let buckets = self.groups.iter().filter_map(|g| g.bucket);
        let (first, last) = (buckets.clone().min()?, buckets.max()?);
        let mut present: HashMap<&[u8], std::collections::HashSet<i64>> = HashMap::new();
        for g in &self.groups {
            if let Some(b) = g.bucket {
                present.entry(&g.key).or_default().insert(b);
            }
        }
        let span = (last - first) / secs + 1;
        let missing: i64 = present.values().map(|b| span - b.len() as i64).sum();
        if missing > MAX_EMPTY_BUCKETS {
            return Some(missing);
        }
        let mut empty = Vec::new();
        for (key, have) in &present {
            let mut b = first;
            while b <= last {
                if !have.contains(&b) {
                    empty.push((b, Box::<[u8]>::from(*key)));
                }
                b += secs;
            }
        }
        for (bucket, key) in empty {
            // Not indexed: filling is the last step before the output.
            self.new_group(Some(bucket), key);
        }
        None
    }

    /// Notes that a snapshot showed the counts so far: the next one's
    /// counts "since the last" start from here.
    pub fn shown(&mut self) {
        self.groups.iter_mut().for_each(|g| g.shown = g.count);
    }

    fn widen_span(&mut self, t: Timestamp) {
        self.span = Some(match self.span {
            Some((first, last)) => (first.min(t), last.max(t)),
            None => (t, t),
        });
    }

    fn new_group(&mut self, bucket: Option<i64>, key: Box<[u8]>) -> usize {
        let aggs = self.specs.iter().map(|s| agg::State::new(&s.kind)).collect();
        self.groups.push(Group { bucket, key, count: 0, shown: 0, aggs });
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
        let plan = Plan {
            status: None,
            conditions: vec![],
            by: vec![],
            every: Some(every),
            zone: None,
            aggs: vec![],
            span: false,
        };
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
