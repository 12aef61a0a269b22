//! Record filters written on the command line: status lists (`404`, `4xx`,
//! `500-599`, `404,410`) and `--where` conditions (`FIELD=VALUE`).

use crate::fields::{compare_with_literal, Literal, Value};
use std::cmp::Ordering;

/// A set of HTTP status codes: `404`, `4xx`, `500-599`, or a comma list of
/// those. Shared by `lcount --status` and `hprobe --expect-status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusSet {
    ranges: Vec<(i64, i64)>,
}

impl std::str::FromStr for StatusSet {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let mut ranges = Vec::new();
        for item in s.split(',').map(str::trim) {
            let bad = || format!("bad status {item:?}: expected e.g. 404, 4xx, 500-599 or 404,410");
            let range = if let Some((lo, hi)) = item.split_once('-') {
                let lo: i64 = lo.trim().parse().map_err(|_| bad())?;
                let hi: i64 = hi.trim().parse().map_err(|_| bad())?;
                if lo > hi {
                    return Err(bad());
                }
                (lo, hi)
            } else if item.len() == 3 && item[1..].eq_ignore_ascii_case("xx") {
                let class = item[..1].parse::<i64>().map_err(|_| bad())?;
                (class * 100, class * 100 + 99)
            } else {
                let code: i64 = item.parse().map_err(|_| bad())?;
                (code, code)
            };
            ranges.push(range);
        }
        Ok(StatusSet { ranges })
    }
}

impl StatusSet {
    pub fn contains(&self, status: i64) -> bool {
        self.ranges.iter().any(|&(lo, hi)| lo <= status && status <= hi)
    }
}

/// How a `--where` condition compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// One `--where` condition: `FIELD=VALUE`, `FIELD!=VALUE`, `FIELD<VALUE`,
/// `FIELD<=VALUE`, `FIELD>VALUE`, `FIELD>=VALUE`. Numbers compare as numbers,
/// everything else as text. A missing field satisfies only `!=`.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub field: String,
    pub op: Op,
    pub literal: Literal,
}

impl std::str::FromStr for Condition {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        // Find the first operator character; the field name is before it.
        let at = s.find(['=', '!', '<', '>']).ok_or_else(|| {
            format!("bad condition {s:?}: expected FIELD=VALUE (or !=, <, <=, >, >=)")
        })?;
        let (field, rest) = s.split_at(at);
        let (op, value) = [
            ("!=", Op::Ne),
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("=", Op::Eq),
            ("<", Op::Lt),
            (">", Op::Gt),
        ]
        .iter()
        .find_map(|(tok, op)| rest.strip_prefix(tok).map(|v| (*op, v)))
        .ok_or_else(|| format!("bad condition {s:?}: unknown operator"))?;
        if field.is_empty() {
            return Err(format!("bad condition {s:?}: no field name"));
        }
        Ok(Condition { field: field.to_owned(), op, literal: Literal::new(value) })
    }
}

impl Condition {
    /// Whether a record's value (`Null` when missing) satisfies the condition.
    pub fn matches(&self, value: &Value<'_>) -> bool {
        match compare_with_literal(value, &self.literal) {
            None => self.op == Op::Ne,
            Some(ord) => match self.op {
                Op::Eq => ord == Ordering::Equal,
                Op::Ne => ord != Ordering::Equal,
                Op::Lt => ord == Ordering::Less,
                Op::Le => ord != Ordering::Greater,
                Op::Gt => ord == Ordering::Greater,
                Op::Ge => ord != Ordering::Less,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_sets() {
        let s: StatusSet = "404,5xx,300-302".parse().unwrap();
        for (code, want) in [
            (404, true),
            (405, false),
            (500, true),
            (599, true),
            (600, false),
            (301, true),
            (303, false),
        ] {
            assert_eq!(s.contains(code), want, "{code}");
        }
        for bad in ["", "4x", "abc", "500-400", "404,", "xx"] {
            assert!(bad.parse::<StatusSet>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn conditions() {
        let raw = |s: &'static str| Value::from_raw(Some(s.as_bytes()));
        let c: Condition = "status>=400".parse().unwrap();
        assert_eq!((c.field.as_str(), c.op), ("status", Op::Ge));
        assert!(c.matches(&raw("404")));
        assert!(!c.matches(&raw("200")));
        assert!(!c.matches(&Value::Null));
        let c: Condition = "path=/a=b".parse().unwrap();
        assert!(c.matches(&raw(r#""/a=b""#)));
        let c: Condition = "method!=GET".parse().unwrap();
        assert!(c.matches(&Value::Null));
        assert!(!c.matches(&raw(r#""GET""#)));
        assert!("=x".parse::<Condition>().is_err());
        assert!("novalue".parse::<Condition>().is_err());
    }
}
