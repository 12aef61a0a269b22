//! Aggregates computed per group beside the count: `--sum`, `--avg`,
//! `--min`, `--max`, `--p` (percentiles) and `--distinct`.
//!
//! Memory per group is bounded whatever the number of records: percentiles
//! keep exact values up to [`EXACT_LIMIT`] and a DDSketch beyond, and
//! `--distinct` keeps one entry per distinct value.

use logkit_common::fields::{push_canonical, Raw, Value};
use logkit_common::time::{format_rfc3339_frac, parse_rfc3339, Stamp};
use sketches_ddsketch::{Config, DDSketch};
use std::cmp::Ordering::{self, Greater, Less};
use std::collections::HashSet;

/// Up to this many values per group, percentiles are exact.
pub const EXACT_LIMIT: usize = 1024;

/// What to compute.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Sum,
    Avg,
    Min,
    Max,
    /// The percentiles (0–100) to report.
    Percentiles(Vec<f64>),
    Distinct,
}

/// One requested aggregate of one field.
#[derive(Debug, Clone)]
pub struct Spec {
    pub kind: Kind,
    pub field: String,
    /// The field's slot in the extracted values.
    pub slot: usize,
}

impl Spec {
    /// The output columns of this aggregate: `sum_bytes`, `p99_rt`, ...
    pub fn columns(&self) -> Vec<String> {
        let f = &self.field;
        match &self.kind {
            Kind::Sum => vec![format!("sum_{f}")],
            Kind::Avg => vec![format!("avg_{f}")],
            Kind::Min => vec![format!("min_{f}")],
            Kind::Max => vec![format!("max_{f}")],
            Kind::Percentiles(ps) => {
                ps.iter().map(|p| format!("p{}_{f}", fmt_percentile(*p))).collect()
            }
            Kind::Distinct => vec![format!("distinct_{f}")],
        }
    }
}

fn fmt_percentile(p: f64) -> String {
    if p.fract() == 0.0 {
        format!("{}", p as i64)
    } else {
        format!("{p}")
    }
}

/// Parses `50,90,99` (or `99.9`) into percentiles.
pub fn parse_percentiles(list: &str) -> Result<Vec<f64>, String> {
    list.split(',')
        .map(|p| {
            p.trim().parse::<f64>().ok().filter(|p| (0.0..=100.0).contains(p)).ok_or_else(|| {
                format!("bad percentile {p:?}: expected numbers from 0 to 100, e.g. 50,90,99")
            })
        })
        .collect()
}

/// The exact sum of finite doubles, rounded once when read: Shewchuk's
/// non-overlapping partials ("Adaptive Precision Floating-Point Arithmetic",
/// 1997) with the half-even correction of Python's `math.fsum`.
///
/// Why not a plain `+=`: a large file is summed in parts on several threads
/// and the parts are merged in whatever order the threads finish, so a
/// plain sum would change in its last digits from run to run, and differ
/// from the same bytes read through a pipe; a correctly rounded sum does
/// not depend on the order. The `fsum` crate computes the same value but
/// cannot merge two sums exactly (its partials are private). The cost is a
/// loop over the partials, usually one or two, per value.
#[derive(Debug, Clone, Default)]
pub struct ExactSum {
    /// Non-overlapping, in increasing magnitude; their exact sum is the sum.
    partials: Vec<f64>,
}

impl ExactSum {
    /// Adds a finite value, exactly.
    pub fn add(&mut self, mut x: f64) {
        if self.overflowed() {
            return;
        }
        let mut kept = 0;
        for i in 0..self.partials.len() {
            let mut y = self.partials[i];
            if x.abs() < y.abs() {
                std::mem::swap(&mut x, &mut y);
            }
            let high = x + y;
            if !high.is_finite() {
                // Beyond a double on the way (even if later values would
                // bring it back): no sum to show, and the caller says so.
                self.partials = vec![high];
                return;
            }
            let low = y - (high - x);
            if low != 0.0 {
                self.partials[kept] = low;
                kept += 1;
            }
            x = high;
        }
        self.partials.truncate(kept);
        self.partials.push(x);
    }

    /// Adds another exact sum, exactly: its partials are values like any.
    pub fn merge(&mut self, other: &ExactSum) {
        if other.overflowed() {
            self.partials = other.partials.clone();
        }
        if self.overflowed() {
            return;
        }
        for &x in &other.partials {
            self.add(x);
        }
    }

    /// Whether a partial sum went beyond a double's range: [`ExactSum::value`]
    /// is then infinite, and not the sum.
    pub fn overflowed(&self) -> bool {
        self.partials.last().is_some_and(|x| x.is_infinite())
    }

    /// The sum, correctly rounded to the nearest double (ties to even).
    pub fn value(&self) -> f64 {
        let mut rest = self.partials.iter().rev();
        let Some(&first) = rest.next() else { return 0.0 };
        let mut total = first;
        let mut below = rest.peekable();
        while let Some(&x) = below.next() {
            let old = total;
            total = old + x;
            let error = x - (total - old);
            if error != 0.0 {
                // Rounded: when the partials below push the same way, the
                // true sum lies past the halfway point the rounding assumed.
                if let Some(&&next) = below.peek() {
                    if (error < 0.0 && next < 0.0) || (error > 0.0 && next > 0.0) {
                        let y = error * 2.0;
                        let x = total + y;
                        if y == x - total {
                            return x;
                        }
                    }
                }
                return total;
            }
        }
        total
    }
}

/// The running state of one aggregate in one group.
pub enum State {
    Sum { sum: ExactSum, n: u64 },
    Avg { sum: ExactSum, n: u64 },
    Min(Extreme),
    Max(Extreme),
    Percentiles(Quantiles),
    Distinct(HashSet<Box<[u8]>>),
}

impl State {
    pub fn new(kind: &Kind) -> State {
        match kind {
            Kind::Sum => State::Sum { sum: ExactSum::default(), n: 0 },
            Kind::Avg => State::Avg { sum: ExactSum::default(), n: 0 },
            Kind::Min => State::Min(Extreme::default()),
            Kind::Max => State::Max(Extreme::default()),
            Kind::Percentiles(_) => State::Percentiles(Quantiles::default()),
            Kind::Distinct => State::Distinct(HashSet::new()),
        }
    }

    /// Adds one record's value of the field (`None` when missing).
    /// Returns [`Added::BeyondRange`] for a number beyond a double's range
    /// (`1e309`), which is left out: as infinity it would make a sum, a
    /// mean or a maximum infinite, written as null, "no values".
    pub fn add(&mut self, raw: Option<Raw<'_>>, scratch: &mut Vec<u8>) -> Added {
        if let State::Distinct(set) = self {
            if raw.is_some() {
                scratch.clear();
                push_canonical(raw, scratch);
                if !set.contains(scratch.as_slice()) {
                    set.insert(scratch.as_slice().into());
                }
            }
            return Added::Fine;
        }
        let value = Value::from_raw(raw);
        let x = match number(&value) {
            Number::Finite(x) => x,
            Number::BeyondRange => return Added::BeyondRange,
            Number::Not => {
                if let Value::String(s) = &value {
                    match self {
                        State::Min(e) => e.time(parse_rfc3339(s), Less),
                        State::Max(e) => e.time(parse_rfc3339(s), Greater),
                        _ => {}
                    }
                }
                return Added::Fine;
            }
        };
        match self {
            State::Sum { sum, n } | State::Avg { sum, n } => {
                sum.add(x);
                *n += 1;
            }
            State::Min(e) => e.number(x, f64::min),
            State::Max(e) => e.number(x, f64::max),
            State::Percentiles(q) => q.add(x),
            State::Distinct(_) => unreachable!(),
        }
        Added::Fine
    }

    /// Adds another partial result of the same aggregate (from a worker
    /// that counted another part of the input).
    pub fn merge(&mut self, other: State) {
        match (self, other) {
            (State::Sum { sum, n }, State::Sum { sum: s, n: m })
            | (State::Avg { sum, n }, State::Avg { sum: s, n: m }) => {
                sum.merge(&s);
                *n += m;
            }
            (State::Min(a), State::Min(b)) => a.merge(b, f64::min, Less),
            (State::Max(a), State::Max(b)) => a.merge(b, f64::max, Greater),
            (State::Percentiles(a), State::Percentiles(b)) => a.merge(b),
            (State::Distinct(a), State::Distinct(b)) => a.extend(b),
            _ => unreachable!("merging different aggregates"),
        }
    }

    /// Whether this is a sum or mean whose running sum went beyond a
    /// double's range (its result is then null, and must be reported).
    pub fn overflowed(&self) -> bool {
        matches!(self, State::Sum { sum, .. } | State::Avg { sum, .. } if sum.overflowed())
    }

    /// The results, one per column of [`Spec::columns`] (`None`: no values).
    pub fn results(&self, kind: &Kind) -> Vec<Option<f64>> {
        match (self, kind) {
            (State::Sum { sum, n }, _) => {
                vec![(*n > 0 && !sum.overflowed()).then(|| sum.value())]
            }
            (State::Avg { sum, n }, _) => {
                vec![(*n > 0 && !sum.overflowed()).then(|| sum.value() / *n as f64)]
            }
            (State::Min(e), _) | (State::Max(e), _) => vec![e.number],
            (State::Percentiles(q), Kind::Percentiles(ps)) => {
                ps.iter().map(|p| q.percentile(*p)).collect()
            }
            (State::Distinct(set), _) => vec![Some(set.len() as f64)],
            (State::Percentiles(_), _) => unreachable!("percentile state for another kind"),
        }
    }

    /// For `--min` and `--max` of a field of times (with no numbers): the
    /// time, written in the offset its record had.
    pub fn time(&self) -> Option<String> {
        match self {
            State::Min(e) | State::Max(e) if e.number.is_none() => {
                e.time.map(|t| format_rfc3339_frac(t.instant, t.offset))
            }
            _ => None,
        }
    }
}

/// What [`State::add`] made of a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    /// Added, or not a value of this aggregate (missing, text).
    Fine,
    /// A number beyond a double's range, left out.
    BeyondRange,
}

/// The least or greatest value so far: of the numbers, and of the RFC 3339
/// times (kept apart: a field of times gives a time, and a stray time in a
/// field of numbers does not hide its numbers).
#[derive(Default)]
pub struct Extreme {
    number: Option<f64>,
    time: Option<Stamp>,
}

impl Extreme {
    fn number(&mut self, x: f64, pick: fn(f64, f64) -> f64) {
        self.number = Some(self.number.map_or(x, |m| pick(m, x)));
    }

    /// Keeps `stamp` when it is `keep` (less, for a minimum) of the time so
    /// far; of equal instants, the first.
    fn time(&mut self, stamp: Option<Stamp>, keep: Ordering) {
        let Some(stamp) = stamp else { return };
        match self.time {
            Some(t) if stamp.instant.cmp(&t.instant) != keep => {}
            _ => self.time = Some(stamp),
        }
    }

    fn merge(&mut self, other: Extreme, pick: fn(f64, f64) -> f64, keep: Ordering) {
        if let Some(x) = other.number {
            self.number(x, pick);
        }
        if let Some(t) = other.time {
            self.time(Some(t), keep);
        }
    }
}

/// A field's value read as a number.
enum Number {
    Finite(f64),
    /// A number (or a quoted one) beyond a double's range.
    BeyondRange,
    Not,
}

/// A field's value as a number: a JSON number, or a string that reads as
/// one (some producers quote numbers). Anything else is no value.
fn number(value: &Value<'_>) -> Number {
    let x = match value {
        Value::Number(n) => *n,
        Value::String(s) => match s.trim().parse::<f64>() {
            // `inf` and `NaN` are words, not numbers beyond range.
            Ok(n)
                if n.is_finite()
                    || s.trim().starts_with(|c: char| c.is_ascii_digit() || "+-.".contains(c)) =>
            {
                n
            }
            _ => return Number::Not,
        },
        _ => return Number::Not,
    };
    if x.is_finite() {
        Number::Finite(x)
    } else {
        Number::BeyondRange
    }
}

/// Percentiles of a stream of numbers: exact (nearest rank) while there are
/// at most [`EXACT_LIMIT`] values, then a DDSketch with 1% relative accuracy.
#[derive(Default)]
pub struct Quantiles {
    exact: Vec<f64>,
    sketch: Option<Box<DDSketch>>,
}

impl Quantiles {
    pub fn add(&mut self, x: f64) {
        match &mut self.sketch {
            Some(sketch) => sketch.add(x),
            None if self.exact.len() < EXACT_LIMIT => self.exact.push(x),
            None => {
                let mut sketch = Box::new(DDSketch::new(Config::defaults()));
                for v in self.exact.drain(..) {
                    sketch.add(v);
                }
                sketch.add(x);
                self.exact = Vec::new();
                self.sketch = Some(sketch);
            }
        }
    }

    /// Adds the values of another part of the input.
    pub fn merge(&mut self, other: Quantiles) {
        match (&mut self.sketch, other.sketch) {
            (Some(mine), Some(theirs)) => {
                let _ = mine.merge(&theirs);
            }
            (None, Some(theirs)) => {
                let mut sketch = theirs;
                for v in self.exact.drain(..) {
                    sketch.add(v);
                }
                self.sketch = Some(sketch);
            }
            (_, None) => {
                for v in other.exact {
                    self.add(v);
                }
            }
        }
    }

    /// The p-th percentile (0–100): the smallest value with at least p% of
    /// the values at or below it (nearest rank; p=0 gives the minimum).
    pub fn percentile(&self, p: f64) -> Option<f64> {
        if let Some(sketch) = &self.sketch {
            // The sketch answers for the 0-based rank floor(q·(n−1)); ask
            // for the q that lands on the nearest rank, ceil(p/100·n)−1.
            let n = sketch.count();
            if n == 0 {
                return None;
            }
            let k = nearest_rank(p, n) - 1;
            let q = if n == 1 { 0.0 } else { ((k as f64 + 0.5) / (n - 1) as f64).min(1.0) };
            return sketch.quantile(q).ok().flatten();
        }
        if self.exact.is_empty() {
            return None;
        }
        let mut sorted = self.exact.clone();
        sorted.sort_by(f64::total_cmp);
        Some(sorted[nearest_rank(p, sorted.len()) - 1])
    }
}

/// The 1-based nearest rank of the p-th percentile (0–100) among `n > 0`
/// values: ceil(p/100 · n), at least 1. In floating point p/100 · n may land
/// a hair above a whole number (99.9/100 · 1000 is 999.0000000000001), which
/// would give the next rank; a product within a relative 1e-12 of a whole
/// number is that number (the percentiles typed on the command line have a
/// few decimals, so a true fraction is much larger).
fn nearest_rank(p: f64, n: usize) -> usize {
    let x = p / 100.0 * n as f64;
    let whole = x.round();
    let x = if (x - whole).abs() <= whole * 1e-12 { whole } else { x };
    (x.ceil() as usize).clamp(1, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let mut q = Quantiles::default();
        for x in [15.0, 20.0, 35.0, 40.0, 50.0] {
            q.add(x);
        }
        // The classic nearest-rank example.
        assert_eq!(q.percentile(5.0), Some(15.0));
        assert_eq!(q.percentile(30.0), Some(20.0));
        assert_eq!(q.percentile(40.0), Some(20.0));
        assert_eq!(q.percentile(50.0), Some(35.0));
        assert_eq!(q.percentile(100.0), Some(50.0));
        assert_eq!(q.percentile(0.0), Some(15.0));
        assert_eq!(Quantiles::default().percentile(50.0), None);
    }

    #[test]
    fn large_groups_stay_within_one_percent() {
        let mut q = Quantiles::default();
        let values: Vec<f64> = (1..=100_000).map(|i| (i as f64) * 0.001).collect();
        for v in values.iter().rev() {
            q.add(*v);
        }
        assert!(q.sketch.is_some());
        for p in [50.0, 90.0, 99.0] {
            let exact = values[((p / 100.0) * values.len() as f64).ceil() as usize - 1];
            let got = q.percentile(p).unwrap();
            assert!((got - exact).abs() <= exact * 0.0101, "p{p}: {got} vs {exact}");
        }
    }

    #[test]
    fn large_groups_use_the_nearest_rank_on_a_sparse_tail() {
        // 98.9% of the values are 1: the 99th percentile is 2.
        let mut q = Quantiles::default();
        for _ in 0..1098 {
            q.add(1.0);
        }
        for _ in 0..12 {
            q.add(2.0);
        }
        let p99 = q.percentile(99.0).unwrap();
        assert!((p99 - 2.0).abs() <= 0.02, "{p99}");
        let p50 = q.percentile(50.0).unwrap();
        assert!((p50 - 1.0).abs() <= 0.0101, "{p50}");
    }

    #[test]
    fn merged_parts_give_the_same_percentiles() {
        let values: Vec<f64> = (0..3000).map(|i| ((i * 7919) % 3001) as f64 / 10.0).collect();
        let mut whole = Quantiles::default();
        values.iter().for_each(|v| whole.add(*v));
        for split in [10, 1500, 2990] {
            let (mut a, mut b) = (Quantiles::default(), Quantiles::default());
            values[..split].iter().for_each(|v| a.add(*v));
            values[split..].iter().for_each(|v| b.add(*v));
            a.merge(b);
            for p in [1.0, 50.0, 99.0] {
                assert_eq!(a.percentile(p), whole.percentile(p), "split {split} p{p}");
            }
        }
        let (mut a, mut b) = (Quantiles::default(), Quantiles::default());
        [3.0, 1.0].iter().for_each(|v| a.add(*v));
        b.add(2.0);
        a.merge(b);
        assert_eq!(a.percentile(50.0), Some(2.0));
    }

    #[test]
    fn percentile_lists() {
        assert_eq!(parse_percentiles("50,90,99.9"), Ok(vec![50.0, 90.0, 99.9]));
        assert!(parse_percentiles("101").is_err());
        assert!(parse_percentiles("x").is_err());
    }
}

/// Percentiles checked against the nearest rank computed here, from the
/// sorted values: exactly up to [`EXACT_LIMIT`] values, within the
/// sketch's 1% beyond.
#[cfg(test)]
mod nearest_rank_tests {
    use super::*;

    /// The percentiles checked, with each in thousandths of a percent so
    /// that its rank is computed in integers.
    const PERCENTILES: [(f64, u64); 7] = [
        (0.0, 0),
        (1.0, 1_000),
        (50.0, 50_000),
        (90.0, 90_000),
        (99.0, 99_000),
        (99.9, 99_900),
        (100.0, 100_000),
    ];

    /// The nearest-rank percentile: the value of 1-based rank
    /// ceil(p/100 · n) in sorted order (rank 1 for p = 0).
    fn nearest_rank(sorted: &[f64], p_thousandths: u64) -> f64 {
        let n = sorted.len() as u64;
        let rank = (p_thousandths * n).div_ceil(100_000).max(1);
        sorted[(rank - 1) as usize]
    }

    /// xorshift64*, seeded: the same values on every run.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        /// In (0, 1].
        fn unit(&mut self) -> f64 {
            ((self.next() >> 11) + 1) as f64 / (1u64 << 53) as f64
        }

        fn shuffle(&mut self, values: &mut [f64]) {
            for i in (1..values.len()).rev() {
                values.swap(i, (self.next() % (i as u64 + 1)) as usize);
            }
        }
    }

    /// Feeds `values` in their order and checks every percentile against
    /// the nearest rank, within `tolerance` (relative).
    fn check(values: &[f64], tolerance: f64) {
        let mut q = Quantiles::default();
        values.iter().for_each(|v| q.add(*v));
        assert_eq!(q.sketch.is_some(), values.len() > EXACT_LIMIT);
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        for (p, p_thousandths) in PERCENTILES {
            let want = nearest_rank(&sorted, p_thousandths);
            let got = q.percentile(p).unwrap();
            let error = (got - want).abs() / want;
            // The sketch's bound holds in real numbers; its floating-point
            // arithmetic may land a hair beyond (1.01 for 1 at 1%).
            assert!(
                error <= tolerance * (1.0 + 1e-9),
                "p{p} of {}: {got}, nearest rank {want}",
                values.len()
            );
        }
    }

    #[test]
    fn sketch_on_a_dense_range() {
        let mut values: Vec<f64> = (1..=100_000).map(f64::from).collect();
        Rng(0x5EED).shuffle(&mut values);
        check(&values, 0.01);
    }

    #[test]
    fn sketch_on_a_skewed_distribution() {
        // Response times in ms: most near 10, a heavy tail (Pareto, shape
        // 1.2) into the tens of thousands, and many repeated values.
        let mut rng = Rng(0xDECAF);
        let values: Vec<f64> =
            (0..200_000).map(|_| (10.0 * rng.unit().powf(-1.0 / 1.2)).round()).collect();
        check(&values, 0.01);
    }

    #[test]
    fn exact_up_to_the_limit() {
        let mut rng = Rng(0xFEED);
        for n in [1, 2, 3, 10, 100, 1000, EXACT_LIMIT] {
            // Fractions, a few repeats, in no order.
            let values: Vec<f64> =
                (0..n).map(|_| (rng.next() % 100_000) as f64 / 8.0 + 0.125).collect();
            check(&values, 0.0);
        }
    }

    /// The value at the nearest rank is 100, the values below it 1 and
    /// those above it 10,000: a rank one off either way is far off.
    #[test]
    fn the_nearest_rank_between_distant_neighbours() {
        let mut rng = Rng(0xBEEF);
        for n in [1, 2, 7, 999, EXACT_LIMIT, EXACT_LIMIT + 1, 2047, 10_007] {
            let tolerance = if n > EXACT_LIMIT { 0.01 } else { 0.0 };
            for (p, p_thousandths) in PERCENTILES {
                let rank = (p_thousandths * n as u64).div_ceil(100_000).max(1) as usize;
                let mut values = vec![1.0; rank - 1];
                values.push(100.0);
                values.resize(n, 10_000.0);
                rng.shuffle(&mut values);
                let mut q = Quantiles::default();
                values.iter().for_each(|v| q.add(*v));
                let got = q.percentile(p).unwrap();
                assert!(
                    (got - 100.0).abs() <= 100.0 * tolerance * (1.0 + 1e-9),
                    "p{p} of {n}: {got}"
                );
            }
        }
    }
}

/// The exact sum against integer arithmetic, whatever the order of the
/// values and the cut into parts.
#[cfg(test)]
mod exact_sum_tests {
    use super::ExactSum;
    use proptest::prelude::*;

    /// The correctly rounded sum, computed independently: every value
    /// here is a whole multiple of 2^-80 below 2^40, so scaled by 2^80 it is
    /// an integer that an i128 sums exactly; the conversion back rounds
    /// once, to nearest, ties to even.
    fn rounded_sum(values: &[f64]) -> f64 {
        let scale = 2f64.powi(80);
        let exact: i128 = values.iter().map(|&x| (x * scale) as i128).sum();
        exact as f64 / scale
    }

    #[test]
    fn tenths_sum_exactly() {
        // A plain left-to-right sum gives 0.9999999999999999 here.
        let values = [0.1; 10];
        assert_ne!(values.iter().sum::<f64>(), 1.0);
        let mut sum = ExactSum::default();
        values.iter().for_each(|&x| sum.add(x));
        assert_eq!(sum.value(), 1.0);
        assert_eq!(sum.value(), rounded_sum(&values));
        let mut big = ExactSum::default();
        for x in [1e16, 1.0, -1e16, 1e-16, 1.0] {
            big.add(x);
        }
        assert_eq!(big.value(), 2.0);
    }

    proptest! {
        #[test]
        fn any_order_and_any_cut_give_the_correctly_rounded_sum(
            micros in proptest::collection::vec(-5_000_000i64..5_000_000, 1..200),
            cut in 0usize..200,
            seed in any::<u64>(),
        ) {
            // Durations with up to six decimals, of either sign.
            let values: Vec<f64> = micros.iter().map(|&m| m as f64 / 1e6).collect();
            let want = rounded_sum(&values);
            // In order, in one part.
            let mut whole = ExactSum::default();
            values.iter().for_each(|&x| whole.add(x));
            prop_assert_eq!(whole.value(), want);
            // Shuffled, cut in two, merged.
            let mut shuffled = values.clone();
            let mut state = seed | 1;
            for i in (1..shuffled.len()).rev() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                shuffled.swap(i, (state % (i as u64 + 1)) as usize);
            }
            let cut = cut.min(shuffled.len());
            let (mut a, mut b) = (ExactSum::default(), ExactSum::default());
            shuffled[..cut].iter().for_each(|&x| a.add(x));
            shuffled[cut..].iter().for_each(|&x| b.add(x));
            b.merge(&a);
            prop_assert_eq!(b.value(), want);
        }
    }
}
