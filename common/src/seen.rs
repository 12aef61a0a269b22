//! Which fields named on the command line appeared in the input: a field
//! that appears in no record (`--where stauts=404`, `--by stauts`) would
//! otherwise give a confident wrong answer, `{"count":0}` or one empty
//! group, so the tools warn about it at the end, with the closest field
//! that did appear: `field "stauts" appeared in no record (did you mean
//! "status"?)`.
//!
//! Top-level keys are looked at as the record scanner hands them out; a
//! dotted path (`req.headers.host`) counts as seen when it led to a value
//! in some record ([`Seen::note_path`], from the reader that walked it), or
//! a top-level key of exactly its name appeared: a misspelt last segment
//! (`req.hots`) is warned about like a misspelt key. The cost per
//! record is one test once every named field has appeared; until then each
//! key is compared with the names still unseen, and the keys of the first
//! records are kept (a bounded sample) to suggest a spelling from.

use crate::cli::Outcome;
use crate::flat::{self, Field};
use std::collections::HashSet;

/// At most this many other keys are kept to suggest from.
const SAMPLE_KEYS: usize = 256;
/// Keys are sampled from this many records at most: records of one log
/// share their keys, so later records would rarely add one, and the cost
/// of sampling stays off a long run.
const SAMPLE_RECORDS: u64 = 10_000;

/// The field names asked for, and which of them appeared.
#[derive(Debug, Clone, Default)]
pub struct Seen {
    names: Vec<Asked>,
    /// How many of `names` have not appeared yet.
    unseen: usize,
    /// Records noted so far.
    records: u64,
    /// Keys that appeared, whether asked for or not, for suggestions.
    sample: HashSet<String>,
}

#[derive(Debug, Clone)]
struct Asked {
    /// The name as written on the command line.
    name: String,
    seen: bool,
}

impl Seen {
    /// Nothing asked for yet.
    pub fn new() -> Self {
        Seen::default()
    }

    /// Asks for a field by name (a top-level key or a dotted path); asking
    /// twice for one name is asking once.
    pub fn ask(&mut self, name: &str) {
        if self.names.iter().any(|a| a.name == name) {
            return;
        }
        self.names.push(Asked { name: name.to_owned(), seen: false });
        self.unseen += 1;
    }

    /// Whether there is nothing left to learn from further records: every
    /// name asked for has appeared. Callers test this once per record and
    /// skip [`Seen::note_key`] when it holds.
    #[inline]
    pub fn is_complete(&self) -> bool {
        self.unseen == 0
    }

    /// Counts one record whose keys follow (through [`Seen::note_key`]).
    /// Only records are counted, so that an input of none gives no
    /// warnings: every field is absent from nothing.
    #[inline]
    pub fn note_record(&mut self) {
        self.records += 1;
    }

    /// Notes one top-level key of the current record.
    pub fn note_key(&mut self, field: &Field<'_>) {
        if self.is_complete() {
            return;
        }
        for asked in self.names.iter_mut().filter(|a| !a.seen) {
            if field.key_is(&asked.name) {
                asked.seen = true;
                self.unseen -= 1;
            }
        }
        if self.records <= SAMPLE_RECORDS && self.sample.len() < SAMPLE_KEYS {
            let key = if field.key_escaped {
                flat::decode_str(field.key).into_owned()
            } else {
                String::from_utf8_lossy(field.key).into_owned()
            };
            self.sample.insert(key);
        }
    }

    /// Notes that the dotted path `name` led to a value in the current
    /// record.
    pub fn note_path(&mut self, name: &str) {
        if let Some(asked) = self.names.iter_mut().find(|a| !a.seen && a.name == name) {
            asked.seen = true;
            self.unseen -= 1;
        }
    }

    /// Adds what another part of the input showed (a worker's share),
    /// which asked for the same names.
    pub fn merge(&mut self, other: &Seen) {
        self.records += other.records;
        for (mine, theirs) in self.names.iter_mut().zip(&other.names) {
            debug_assert_eq!(mine.name, theirs.name);
            if theirs.seen && !mine.seen {
                mine.seen = true;
                self.unseen -= 1;
            }
        }
        for key in &other.sample {
            if self.sample.len() >= SAMPLE_KEYS {
                break;
            }
            self.sample.insert(key.clone());
        }
    }

    /// One warning per name asked for that appeared in no record (none
    /// when no record was read), with the closest key that did appear
    /// when one is close enough to be a misspelling of it.
    pub fn warnings(&self) -> Vec<String> {
        if self.records == 0 {
            return Vec::new();
        }
        self.names
            .iter()
            .filter(|a| !a.seen)
            .map(|a| match self.closest(&a.name) {
                Some(near) => {
                    format!("field {:?} appeared in no record (did you mean {near:?}?)", a.name)
                }
                None => format!("field {:?} appeared in no record", a.name),
            })
            .collect()
    }

    /// The end of a run: without warnings, success; else the warnings on
    /// stderr (`tool: field ...`) and [`Outcome::BadInput`] (exit 1), or
    /// with `strict` an error of them all (exit 2).
    pub fn finish(&self, tool: &str, strict: bool) -> anyhow::Result<Outcome> {
        let warnings = self.warnings();
        if warnings.is_empty() {
            return Ok(Outcome::Success);
        }
        if strict {
            anyhow::bail!("{}", warnings.join("; "));
        }
        for w in &warnings {
            eprintln!("{tool}: {}", crate::term::escape_control(w));
        }
        Ok(Outcome::BadInput)
    }

    /// The key that appeared closest to `name` (Damerau-Levenshtein, so
    /// that a swapped pair of letters is one edit), if it is within a third
    /// of the longer name's length (at least one edit).
    fn closest(&self, name: &str) -> Option<String> {
        let root = name.split('.').next().unwrap_or(name);
        let appeared = self
            .names
            .iter()
            .filter(|a| a.seen)
            .map(|a| a.name.split('.').next().unwrap_or(&a.name));
        let candidates = self.sample.iter().map(String::as_str).chain(appeared);
        candidates
            .filter(|c| *c != root)
            .map(|c| (strsim::damerau_levenshtein(root, c), c))
            .filter(|(d, c)| *d <= root.chars().count().max(c.chars().count()).div_ceil(3))
            // Ties go to the smaller name, so the answer does not depend on
            // the order keys were sampled in.
            .min()
            .map(|(_, c)| match name.split_once('.') {
                Some((_, rest)) => format!("{c}.{rest}"),
                None => c.to_owned(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the tools' reading notes of `records` (through
    /// [`FieldSet::extract_noting`]), asked for `names`.
    fn seen_after(names: &[&str], records: &[&str]) -> Seen {
        let mut seen = Seen::new();
        let mut set = crate::fields::FieldSet::new();
        for name in names {
            seen.ask(name);
            set.add(name);
        }
        let mut slots = vec![None; set.len()];
        for r in records {
            // A line that is not a record is no record: nothing to note.
            let _ = set.extract_noting(r.as_bytes(), &mut slots, &mut seen);
        }
        seen
    }

    #[test]
    fn a_misspelt_field_is_named_with_the_closest_key() {
        let seen = seen_after(
            &["stauts", "byts", "path", "zzzzzz"],
            &[r#"{"status":404,"path":"/a"}"#, r#"{"bytes":12,"rt":0.5}"#],
        );
        assert_eq!(
            seen.warnings(),
            [
                r#"field "stauts" appeared in no record (did you mean "status"?)"#,
                r#"field "byts" appeared in no record (did you mean "bytes"?)"#,
                r#"field "zzzzzz" appeared in no record"#,
            ]
        );
    }

    #[test]
    fn a_dotted_path_is_seen_by_the_value_it_leads_to_or_its_whole_name() {
        let seen = seen_after(
            &["req.headers.host", "req.hots", "http.status", "rq.x"],
            &[r#"{"req":{"a":1,"headers":{"host":"h"}},"http.status":200}"#, r#"{"req":"text"}"#],
        );
        assert_eq!(
            seen.warnings(),
            [
                r#"field "req.hots" appeared in no record"#,
                r#"field "rq.x" appeared in no record (did you mean "req.x"?)"#
            ]
        );
        // The first segment alone is not enough.
        let seen = seen_after(&["req.hots"], &[r#"{"req":{"host":"h"}}"#]);
        assert_eq!(seen.warnings(), [r#"field "req.hots" appeared in no record"#]);
    }

    #[test]
    fn escaped_keys_count_as_their_text() {
        let seen = seen_after(&["status"], &[r#"{"st\u0061tus":1}"#]);
        assert!(seen.is_complete());
    }

    #[test]
    fn no_records_no_warnings() {
        let seen = seen_after(&["status"], &[]);
        assert!(!seen.is_complete());
        assert!(seen.warnings().is_empty());
        assert_eq!(seen.finish("t", true).unwrap(), Outcome::Success);
    }

    #[test]
    fn parts_merge() {
        let names = ["status", "path"];
        let mut a = seen_after(&names, &[r#"{"status":1}"#]);
        let b = seen_after(&names, &[r#"{"path":"/"}"#]);
        assert!(!a.is_complete());
        a.merge(&b);
        assert!(a.is_complete());
        assert!(a.warnings().is_empty());
    }

    #[test]
    fn outcomes() {
        let seen = seen_after(&["stauts"], &[r#"{"status":1}"#]);
        assert_eq!(seen.finish("t", false).unwrap(), Outcome::BadInput);
        let err = seen.finish("t", true).unwrap_err().to_string();
        assert_eq!(err, r#"field "stauts" appeared in no record (did you mean "status"?)"#);
        let seen = seen_after(&["status"], &[r#"{"status":1}"#]);
        assert_eq!(seen.finish("t", true).unwrap(), Outcome::Success);
    }
}
