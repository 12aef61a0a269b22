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
    /// Whether `status` is in the set.
    pub fn contains(&self, status: i64) -> bool {
        self.ranges.iter().any(|&(lo, hi)| lo <= status && status <= hi)
    }

    /// Whether a record's `status` value is in the set: a whole number, or
    /// a string that reads as one (some producers write `"404"`). A missing
    /// or other value is in no set.
    pub fn matches(&self, value: &Value<'_>) -> bool {
        let status = match value {
            Value::String(s) => s.parse::<i64>().ok(),
            v => v.as_i64(),
        };
        status.is_some_and(|s| self.contains(s))
    }
}

/// How a `--where` condition compares a field.
#[derive(Debug, Clone)]
pub enum Test {
    /// `=`, `!=`, `<`, `<=`, `>`, `>=` against a literal.
    Compare(Op, Literal),
    /// `~ REGEX` (`negated`: `!~`), searched in the value's text.
    Matches {
        /// The pattern, searched anywhere in the text (anchor it with `^`
        /// and `$`).
        regex: regex::Regex,
        /// `!~`: the condition holds when the pattern is not found.
        negated: bool,
    },
    /// `FIELD`: present and not null.
    Present,
    /// `!FIELD`: missing or null.
    Absent,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `=` (also `==`).
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
}

/// One `--where` condition: `FIELD=VALUE`, `FIELD!=VALUE`, `FIELD<VALUE`,
/// `FIELD<=VALUE`, `FIELD>VALUE`, `FIELD>=VALUE`, `FIELD~REGEX`,
/// `FIELD!~REGEX`, `FIELD` (present) or `!FIELD` (absent). Numbers compare
/// as numbers when the value is a number and the literal reads as one,
/// everything else as text. A missing (or null) field satisfies only `!=`,
/// `!~` and `!FIELD`. FIELD may be a dotted path into nested objects
/// (`req.headers.host`).
#[derive(Debug, Clone)]
pub struct Condition {
    /// The field's name, or a dotted path into nested objects.
    pub field: String,
    /// What its value must satisfy.
    pub test: Test,
}

const USAGE: &str = "expected FIELD=VALUE, FIELD!=VALUE, FIELD<VALUE, FIELD<=VALUE, FIELD>VALUE, \
FIELD>=VALUE, FIELD~REGEX, FIELD!~REGEX, FIELD or !FIELD";

impl std::str::FromStr for Condition {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = |why: &str| format!("bad condition {s:?}: {why}");
        // The field name runs up to the first operator character.
        let Some(at) = s.find(['=', '!', '<', '>', '~']) else {
            if s.is_empty() {
                return Err(bad(USAGE));
            }
            return Ok(Condition { field: s.to_owned(), test: Test::Present });
        };
        let (field, rest) = s.split_at(at);
        // `path = /x` typed with spaces means the field `path`.
        let field = field.trim();
        if rest.starts_with("==") {
            return Err(bad("use = (one equals sign) to compare"));
        }
        if field.is_empty() {
            if let Some(name) = rest.strip_prefix('!') {
                if !name.is_empty() && !name.contains(['=', '!', '<', '>', '~']) {
                    return Ok(Condition { field: name.to_owned(), test: Test::Absent });
                }
            }
            return Err(bad("no field name"));
        }
        let regex = |pattern: &str, negated| {
            regex::Regex::new(pattern)
                .map(|regex| Test::Matches { regex, negated })
                .map_err(|e| bad(&e.to_string()))
        };
        let test = if let Some(p) = rest.strip_prefix("!~") {
            regex(p, true)?
        } else if let Some(p) = rest.strip_prefix('~') {
            regex(p, false)?
        } else {
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
            .ok_or_else(|| bad(USAGE))?;
            Test::Compare(op, Literal::new(value))
        };
        Ok(Condition { field: field.to_owned(), test })
    }
}

impl Condition {
    /// Whether a record's value (`Null` when missing) satisfies the condition.
    pub fn matches(&self, value: &Value<'_>) -> bool {
        match &self.test {
            Test::Present => *value != Value::Null,
            Test::Absent => *value == Value::Null,
            Test::Matches { regex, negated } => {
                let found = *value != Value::Null && regex.is_match(&value.as_text());
                found != *negated
            }
            Test::Compare(op, literal) => match compare_with_literal(value, literal) {
                None => *op == Op::Ne,
                Some(ord) => match op {
                    Op::Eq => ord == Ordering::Equal,
                    Op::Ne => ord != Ordering::Equal,
                    Op::Lt => ord == Ordering::Less,
                    Op::Le => ord != Ordering::Greater,
                    Op::Gt => ord == Ordering::Greater,
                    Op::Ge => ord != Ordering::Less,
                },
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
        assert_eq!(c.field, "status");
        assert!(c.matches(&raw("404")));
        assert!(!c.matches(&raw("200")));
        assert!(!c.matches(&Value::Null));
        let c: Condition = "path=/a=b".parse().unwrap();
        assert!(c.matches(&raw(r#""/a=b""#)));
        let c: Condition = "method!=GET".parse().unwrap();
        assert!(c.matches(&Value::Null));
        assert!(!c.matches(&raw(r#""GET""#)));
        assert!("=x".parse::<Condition>().is_err());
        assert!("a==1".parse::<Condition>().is_err());
        assert_eq!("a =1".parse::<Condition>().unwrap().field, "a");
        assert!("".parse::<Condition>().is_err());
        assert!("!".parse::<Condition>().is_err());
        assert!("a~(".parse::<Condition>().is_err());
        let c: Condition = "ua".parse().unwrap();
        assert!(c.matches(&raw(r#""x""#)));
        assert!(!c.matches(&Value::Null));
        let c: Condition = "!ua".parse().unwrap();
        assert!(c.matches(&Value::Null));
        assert!(!c.matches(&raw("0")));
        let c: Condition = "path~^/api/v[0-9]+/".parse().unwrap();
        assert!(c.matches(&raw(r#""/api/v2/cart""#)));
        assert!(!c.matches(&raw(r#""/static/api/v2/""#)));
        assert!(!c.matches(&Value::Null));
        let c: Condition = "status!~^2".parse().unwrap();
        assert!(c.matches(&raw("404")));
        assert!(!c.matches(&raw("204")));
        assert!(c.matches(&Value::Null));
    }
}

/// The boundaries of `--where` comparisons: the literal itself on each side
/// of the operator, and numbers ordered as numbers, not as their text.
#[cfg(test)]
mod comparison_tests {
    use super::*;

    /// Whether `condition` matches a record whose field is the raw JSON
    /// `raw`.
    fn matches(condition: &str, raw: &str) -> bool {
        let c: Condition = condition.parse().unwrap();
        c.matches(&Value::from_raw(Some(raw.as_bytes())))
    }

    #[test]
    fn status_at_the_threshold() {
        for (condition, raw, want) in [
            ("status>=400", "400", true),
            ("status>=400", "399", false),
            ("status>=400", "401", true),
            ("status>400", "400", false),
            ("status>400", "401", true),
            ("status<=400", "400", true),
            ("status<=400", "401", false),
            ("status<400", "400", false),
            ("status<400", "399", true),
            ("status=400", "400", true),
            ("status!=400", "400", false),
        ] {
            assert_eq!(matches(condition, raw), want, "{condition} on {raw}");
        }
    }

    #[test]
    fn numbers_compare_as_numbers() {
        // As text, "1000" < "400" and "99" > "400".
        for (condition, raw, want) in [
            ("status>=400", "1000", true),
            ("status>400", "1000", true),
            ("status<=400", "1000", false),
            ("status<400", "99", true),
            ("status>=400", "99", false),
            // Other spellings of the same number are the same number.
            ("status=400", "400.0", true),
            ("status=400", "4e2", true),
            ("status>=400", "4e2", true),
            ("status>400", "4e2", false),
            ("status=4e2", "400", true),
            ("rt<=0.5", "0.50", true),
            ("rt>0.5", "0.500001", true),
            ("rt<0.5", "-1", true),
        ] {
            assert_eq!(matches(condition, raw), want, "{condition} on {raw}");
        }
        // A string is compared as text, as the condition's docs say.
        assert!(!matches("status>=400", r#""1000""#));
        assert!(matches("status<400", r#""1000""#));
    }
}
