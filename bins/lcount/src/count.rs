//! Filtering records and counting them into groups.

use crate::agg::{self, Spec};
use hashbrown::{DefaultHashBuilder, HashTable};
use jiff::Timestamp;
use logkit_common::fields::{push_canonical, FieldSet, Raw, Value};
use logkit_common::filter::{Condition, Filters, StatusSet};
use logkit_common::flat::ScanError;
use logkit_common::record;
use logkit_common::seen::Seen;
use logkit_common::time::parse_rfc3339;
use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher as _;

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

/// One group as the output sees it: its time bucket, key, counts and
/// aggregates, borrowed from the [`Counter`] that holds them.
#[derive(Clone, Copy)]
pub struct Group<'a> {
    /// Start of the time bucket (Unix seconds); `None` without `--every` or
    /// for records without a readable `ts`.
    pub bucket: Option<i64>,
    /// The `--by` values, as a canonical JSON array.
    pub key: &'a [u8],
    pub count: u64,
    /// The count when the previous live snapshot was written.
    pub shown: u64,
    /// One state per aggregate spec, in their order.
    pub aggs: &'a [agg::State],
}

/// A group as it is kept: 40 bytes, its key in the counter's one buffer of
/// key text and its aggregates in the counter's one vector of states, so
/// that a group costs no allocation of its own. With `--by` alone that is
/// 40 bytes, the key's text and about 5 bytes of index per group: 1M
/// distinct paths took 231 MB of peak RSS with a key allocated per group
/// and a second copy in the index, and take 87 MB so, against 97 MB for
/// mawk's `c[$path]++` on the same keys (`bench/memory.sh`, which also
/// gives what each aggregate adds).
struct Stored {
    count: u64,
    shown: u64,
    /// `NO_BUCKET` or the bucket's start.
    bucket: i64,
    /// The key's place in [`Counter::keys`].
    key_start: u64,
    key_len: u32,
}

/// Where a key's text is in [`Counter::keys`]: its start and length.
type KeyPlace = (u64, u32);

/// `Stored::bucket` of a group that has none (no `--every`, or no readable
/// `ts`): a second no bucket can start at, as buckets are whole multiples
/// of their width from the epoch, shifted by less than a day.
const NO_BUCKET: i64 = i64::MIN;

pub struct Counter {
    fields: FieldSet,
    filters: Filters,
    pub by: Vec<(String, usize)>,
    every: Option<(i64, usize)>,
    pub specs: Vec<Spec>,
    /// The UTC offset buckets are aligned to and shown in: that of the first
    /// `ts` seen, so that a day bucket is the log's own day.
    pub zone: Option<jiff::tz::Offset>,
    groups: Vec<Stored>,
    /// The keys' text, one after the other.
    keys: Vec<u8>,
    /// The aggregates' states, `specs.len()` per group in group order.
    states: Vec<agg::State>,
    /// Finds a group by its bucket and key: its index in `groups`.
    index: HashTable<u32>,
    hasher: DefaultHashBuilder,
    /// Which fields named on the command line appeared.
    pub seen: Seen,
    /// Per aggregate: how many values were beyond a double's range.
    pub beyond_range: Vec<u64>,
    /// With [`Plan::span`]: the earliest and latest `ts` of the records
    /// counted (`ltail -f` replays older lines first, so this is not when
    /// lcount read them).
    pub span: Option<(Timestamp, Timestamp)>,
    span_slot: Option<usize>,
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
            keys: Vec::new(),
            states: Vec::new(),
            index: HashTable::new(),
            hasher: DefaultHashBuilder::default(),
            seen,
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
        let n = self.specs.len();
        let mut states = other.states.into_iter();
        for g in &other.groups {
            let key = &other.keys[g.key_start as usize..][..g.key_len as usize];
            let theirs = states.by_ref().take(n);
            let single = self.by.is_empty() && self.every.is_none();
            let found = if single { self.single() } else { self.find(g.bucket, key) };
            match found {
                Some(i) => {
                    self.groups[i].count += g.count;
                    for (a, b) in self.states[i * n..][..n].iter_mut().zip(theirs) {
                        a.merge(b);
                    }
                }
                None => {
                    let i = self.push_group(g.bucket, key, theirs);
                    self.groups[i].count = g.count;
                    self.insert(i);
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
        let bucket = bucket.unwrap_or(NO_BUCKET);
        let index = if self.by.is_empty() && self.every.is_none() {
            // One group for everything: no key to build or look up.
            match self.single() {
                Some(i) => i,
                None => self.new_group(NO_BUCKET, b""),
            }
        } else {
            self.key.clear();
            self.key.push(b'[');
            for (n, (_, slot)) in self.by.iter().enumerate() {
                if n > 0 {
                    self.key.push(b',');
                }
                push_canonical(slots[*slot], &mut self.key);
            }
            self.key.push(b']');
            let key = std::mem::take(&mut self.key);
            let i = match self.find(bucket, &key) {
                Some(i) => i,
                None => {
                    let i = self.new_group(bucket, &key);
                    self.insert(i);
                    i
                }
            };
            self.key = key;
            i
        };
        self.groups[index].count += 1;
        let n = self.specs.len();
        let states = &mut self.states[index * n..][..n];
        for (n, (state, spec)) in states.iter_mut().zip(&self.specs).enumerate() {
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
        let buckets = self.groups.iter().map(|g| g.bucket).filter(|&b| b != NO_BUCKET);
        let (first, last) = (buckets.clone().min()?, buckets.max()?);
        // Per key (its place in `keys`, which every group of that key
        // shares for its text): the buckets it has.
        let mut present: HashMap<&[u8], (KeyPlace, HashSet<i64>)> = HashMap::new();
        for g in self.groups.iter().filter(|g| g.bucket != NO_BUCKET) {
            let key = &self.keys[g.key_start as usize..][..g.key_len as usize];
            let entry =
                present.entry(key).or_insert_with(|| ((g.key_start, g.key_len), HashSet::new()));
            entry.1.insert(g.bucket);
        }
        let span = (last - first) / secs + 1;
        let missing: i64 = present.values().map(|(_, have)| span - have.len() as i64).sum();
        if missing > MAX_EMPTY_BUCKETS {
            return Some(missing);
        }
        let mut empty = Vec::new();
        for (place, have) in present.values() {
            let mut b = first;
            while b <= last {
                if !have.contains(&b) {
                    empty.push((b, *place));
                }
                b += secs;
            }
        }
        for (bucket, (key_start, key_len)) in empty {
            // Not indexed: filling is the last step before the output. The
            // key's text is shared with the group that has it already.
            self.groups.push(Stored { count: 0, shown: 0, bucket, key_start, key_len });
            self.states.extend(self.specs.iter().map(|s| agg::State::new(&s.kind)));
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

    /// The number of groups.
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    /// Whether there is no group yet.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// Group `i`, in the order groups were first seen.
    pub fn group(&self, i: usize) -> Group<'_> {
        let g = &self.groups[i];
        let n = self.specs.len();
        Group {
            bucket: (g.bucket != NO_BUCKET).then_some(g.bucket),
            key: &self.keys[g.key_start as usize..][..g.key_len as usize],
            count: g.count,
            shown: g.shown,
            aggs: &self.states[i * n..][..n],
        }
    }

    /// Every group, in the order they were first seen.
    pub fn groups(&self) -> impl Iterator<Item = Group<'_>> {
        (0..self.groups.len()).map(|i| self.group(i))
    }

    /// The one group of a count without `--by` or `--every`, once there.
    fn single(&self) -> Option<usize> {
        (!self.groups.is_empty()).then_some(0)
    }

    fn hash(&self, bucket: i64, key: &[u8]) -> u64 {
        self.hasher.hash_one((bucket, key))
    }

    /// The group of `bucket` and `key`, if there is one.
    fn find(&self, bucket: i64, key: &[u8]) -> Option<usize> {
        let hash = self.hash(bucket, key);
        let (groups, keys) = (&self.groups, &self.keys);
        let found = self.index.find(hash, |&i| {
            let g = &groups[i as usize];
            g.bucket == bucket && &keys[g.key_start as usize..][..g.key_len as usize] == key
        });
        found.map(|&i| i as usize)
    }

    /// Indexes group `i`, which [`Counter::find`] did not find.
    fn insert(&mut self, i: usize) {
        let g = &self.groups[i];
        let hash = self.hash(g.bucket, &self.keys[g.key_start as usize..][..g.key_len as usize]);
        let (groups, keys, hasher) = (&self.groups, &self.keys, &self.hasher);
        let i = u32::try_from(i).expect("fewer than 2^32 groups");
        self.index.insert_unique(hash, i, |&j| {
            let g = &groups[j as usize];
            hasher.hash_one((g.bucket, &keys[g.key_start as usize..][..g.key_len as usize]))
        });
    }

    /// A new group of `bucket` and `key`, count 0, its aggregates empty.
    fn new_group(&mut self, bucket: i64, key: &[u8]) -> usize {
        let specs = &self.specs;
        self.push_group(
            bucket,
            key,
            specs.iter().map(|s| agg::State::new(&s.kind)).collect::<Vec<_>>(),
        )
    }

    /// A new group of `bucket` and `key`, count 0, with these aggregates
    /// (one per spec); not yet indexed.
    fn push_group(
        &mut self,
        bucket: i64,
        key: &[u8],
        states: impl IntoIterator<Item = agg::State>,
    ) -> usize {
        let key_start = self.keys.len() as u64;
        self.keys.extend_from_slice(key);
        let key_len = u32::try_from(key.len()).expect("a key shorter than 4 GiB");
        self.groups.push(Stored { count: 0, shown: 0, bucket, key_start, key_len });
        self.states.extend(states);
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
        let mut groups: Vec<_> = counter.groups().map(|g| (g.bucket, g.count)).collect();
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
