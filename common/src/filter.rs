//! Record filters written on the command line: status lists (`404`, `4xx`,
//! `500-599`, `404,410`) and `--where` conditions (`FIELD=VALUE`).

use crate::fields::{compare_with_literal, Comparison, FieldSet, Literal, Raw, Value};
use crate::seen::Seen;
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

    /// [`StatusSet::matches`] on a field's raw JSON text (`None`: missing).
    /// A status written as plain digits, as every record the tools write
    /// has it, is read as an integer without going through text and a
    /// double: ~30 instructions a record instead of ~190 for
    /// [`Value::from_raw`] and [`StatusSet::matches`] (callgrind, `lcount
    /// --status 404` on the first 50,000 lines of bench/data/parsed.ndjson,
    /// `bench/profile.sh`).
    #[inline]
    pub fn matches_raw(&self, raw: Option<Raw<'_>>) -> bool {
        match raw.and_then(plain_integer) {
            Some(status) => self.contains(status),
            None => self.matches(&Value::from_raw(raw)),
        }
    }
}

/// The value of `raw` when it is an optional `-` and 1 to 15 digits: a
/// whole number that a double holds exactly, read as
/// [`Value::from_raw`] then [`Value::as_i64`] would read it.
#[inline]
fn plain_integer(raw: &[u8]) -> Option<i64> {
    let (negative, digits) = match raw.split_first()? {
        (b'-', rest) => (true, rest),
        _ => (false, raw),
    };
    if digits.is_empty() || digits.len() > 15 {
        return None;
    }
    let mut n: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n * 10 + i64::from(d - b'0');
    }
    Some(if negative { -n } else { n })
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
/// `FIELD!~REGEX`, `FIELD` (present) or `!FIELD` (absent); spaces around
/// the operator are allowed (`status >= 500`). FIELD may be a dotted path
/// into nested objects (`req.headers.host`).
///
/// Values compare by the rule of [`compare_with_literal`]: a JSON number
/// with a number by value, an RFC 3339 time with a time as an instant
/// (whatever the offsets), anything else as text with VALUE as written.
/// The ordering operators hold only between numbers or between instants,
/// so their VALUE must be one or the other; a string such as `"404"` is
/// text, equal to `404` but never ordered against it. A missing (or null)
/// field satisfies only `!=`, `!~` and `!FIELD`.
#[derive(Debug, Clone)]
pub struct Condition {
    /// The field's name, or a dotted path into nested objects.
    pub field: String,
    /// What its value must satisfy.
    pub test: Test,
}

const USAGE: &str = "expected FIELD=VALUE, FIELD!=VALUE, FIELD<VALUE, FIELD<=VALUE, FIELD>VALUE, \
FIELD>=VALUE, FIELD~REGEX, FIELD!~REGEX, FIELD or !FIELD";

/// The characters operators are made of: none may start a field name, nor
/// (after a comparison operator) a value, so that a mistyped operator is
/// an error rather than a condition that quietly matches nothing.
const OPERATOR_CHARS: [char; 5] = ['=', '!', '<', '>', '~'];

/// The operators, the two-character ones first so that `<=` is not read
/// as `<` followed by a value `=...`.
const OPERATORS: [(&str, Option<Op>); 8] = [
    ("!=", Some(Op::Ne)),
    ("!~", None),
    ("<=", Some(Op::Le)),
    (">=", Some(Op::Ge)),
    ("=", Some(Op::Eq)),
    ("<", Some(Op::Lt)),
    (">", Some(Op::Gt)),
    ("~", None),
];

impl std::str::FromStr for Condition {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = |why: &str| format!("bad condition {s:?}: {why}");
        let text = s.trim();
        let Some(at) = text.find(OPERATOR_CHARS) else {
            if text.is_empty() {
                return Err(bad(USAGE));
            }
            return Ok(Condition { field: text.to_owned(), test: Test::Present });
        };
        let (field, rest) = text.split_at(at);
        let field = field.trim_end();
        if field.is_empty() {
            if let Some(name) = rest.strip_prefix('!') {
                let name = name.trim();
                if !name.is_empty() && !name.contains(OPERATOR_CHARS) {
                    return Ok(Condition { field: name.to_owned(), test: Test::Absent });
                }
            }
            return Err(bad(&format!("no field name before {:?}", operator_text(rest))));
        }
        let (token, op) = OPERATORS
            .iter()
            .find(|(token, _)| rest.starts_with(token))
            .copied()
            .ok_or_else(|| bad(USAGE))?;
        let value = rest[token.len()..].trim();
        let Some(op) = op else {
            let negated = token == "!~";
            return regex::Regex::new(value)
                .map(|regex| Condition {
                    field: field.to_owned(),
                    test: Test::Matches { regex, negated },
                })
                .map_err(|e| bad(&e.to_string()));
        };
        if value.starts_with(OPERATOR_CHARS) {
            let written = operator_text(rest);
            let hint = match written {
                "==" => " (use = to compare)".to_owned(),
                "=>" | "=<" | "=!" => {
                    format!(" (did you mean {:?}?)", written.chars().rev().collect::<String>())
                }
                _ => String::new(),
            };
            return Err(bad(&format!("{written:?} is not an operator{hint}; {USAGE}")));
        }
        if value.is_empty() {
            return Err(bad(&format!(
                "no value after {token:?} (for an empty string, use {field}~^$)"
            )));
        }
        let literal = Literal::new(value);
        if op.is_ordering() && literal.number.is_none() && literal.instant.is_none() {
            return Err(bad(&format!(
                "{token} compares numbers or RFC 3339 times (e.g. 2026-11-30T04:30:00Z), \
                 and {value:?} is neither"
            )));
        }
        Ok(Condition { field: field.to_owned(), test: Test::Compare(op, literal) })
    }
}

/// The run of operator characters at the start of `s`, as typed.
fn operator_text(s: &str) -> &str {
    let end = s.find(|c: char| !OPERATOR_CHARS.contains(&c)).unwrap_or(s.len());
    &s[..end]
}

impl Op {
    /// Whether this is `<`, `<=`, `>` or `>=`.
    pub fn is_ordering(self) -> bool {
        !matches!(self, Op::Eq | Op::Ne)
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
            Test::Compare(op, literal) => {
                let comparison = compare_with_literal(value, literal);
                let equal = matches!(
                    comparison,
                    Comparison::Text { equal: true } | Comparison::Ordered(Ordering::Equal)
                );
                match (op, comparison) {
                    (Op::Eq, _) => equal,
                    (Op::Ne, _) => !equal,
                    (op, Comparison::Ordered(ord)) => match op {
                        Op::Lt => ord == Ordering::Less,
                        Op::Le => ord != Ordering::Greater,
                        Op::Gt => ord == Ordering::Greater,
                        _ => ord != Ordering::Less,
                    },
                    _ => false,
                }
            }
        }
    }
}

/// The filters of one command line (`--status`, and the `--where`
/// conditions), bound to the slots of the fields they read: the one way
/// lcount and lgrep decide whether a record passes.
#[derive(Debug, Clone)]
pub struct Filters {
    status: Option<(StatusSet, usize)>,
    conditions: Vec<(Condition, usize)>,
}

impl Filters {
    /// Adds the fields the filters read to `fields` (extracted with it) and
    /// asks `seen` for them, so that a field that appears in no record is
    /// named at the end.
    pub fn new(
        status: Option<StatusSet>,
        conditions: Vec<Condition>,
        fields: &mut FieldSet,
        seen: &mut Seen,
    ) -> Filters {
        if status.is_some() {
            seen.ask(crate::record::STATUS);
        }
        conditions.iter().for_each(|c| seen.ask(&c.field));
        Filters {
            status: status.map(|s| (s, fields.add(crate::record::STATUS))),
            conditions: conditions
                .into_iter()
                .map(|c| {
                    let slot = fields.add(&c.field);
                    (c, slot)
                })
                .collect(),
        }
    }

    /// Whether the record whose fields were extracted into `slots` passes
    /// every filter.
    pub fn passes(&self, slots: &[Option<Raw<'_>>]) -> bool {
        if let Some((set, i)) = &self.status {
            if !set.matches_raw(slots[*i]) {
                return false;
            }
        }
        self.conditions.iter().all(|(c, i)| c.matches(&Value::from_raw(slots[*i])))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_raw_status_matches_as_its_value_does() {
        let set: StatusSet = "404,5xx,0,999999999999999".parse().unwrap();
        for raw in [
            "404",
            "404.0",
            "4.04e2",
            "500",
            "599",
            "600",
            "-1",
            "-0",
            "0",
            "-404",
            "999999999999999",
            "9999999999999999",
            "1e400",
            "\"404\"",
            "\"4xx\"",
            "null",
            "true",
            "[404]",
            "{\"a\":404}",
        ] {
            let value = Value::from_raw(Some(raw.as_bytes()));
            assert_eq!(set.matches_raw(Some(raw.as_bytes())), set.matches(&value), "{raw}");
        }
        assert!(set.matches_raw(Some(b"404")) && set.matches_raw(Some(b"-0")));
        assert!(!set.matches_raw(Some(b"405")) && !set.matches_raw(None));
    }

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
    fn spaces_around_operators() {
        let raw = |s: &'static str| Value::from_raw(Some(s.as_bytes()));
        for text in ["status = 404", "status=404", " status =404 ", "status= 404"] {
            let c: Condition = text.parse().unwrap();
            assert_eq!(c.field, "status", "{text:?}");
            assert!(c.matches(&raw("404")), "{text:?}");
            assert!(!c.matches(&raw("405")), "{text:?}");
        }
        let c: Condition = "status >= 400".parse().unwrap();
        assert!(c.matches(&raw("400")) && !c.matches(&raw("399")));
        let c: Condition = "path ~ ^/api/".parse().unwrap();
        assert!(c.matches(&raw(r#""/api/x""#)));
        let c: Condition = "path !~ ^/api/".parse().unwrap();
        assert!(!c.matches(&raw(r#""/api/x""#)));
        let c: Condition = "! ua".parse().unwrap();
        assert_eq!(c.field, "ua");
        assert!(matches!(c.test, Test::Absent));
    }

    #[test]
    fn malformed_conditions_name_the_fault() {
        for (text, fault) in [
            ("status=>404", r#""=>" is not an operator (did you mean ">="?)"#),
            ("status=<404", r#""=<" is not an operator (did you mean "<="?)"#),
            ("status==404", r#""==" is not an operator (use = to compare)"#),
            ("status==", r#""==" is not an operator"#),
            ("status<>404", r#""<>" is not an operator"#),
            ("=404", r#"no field name before "=""#),
            (">= 404", r#"no field name before ">=""#),
            ("status<", r#"no value after "<""#),
            ("status = ", r#"no value after "=""#),
            ("rt>fast", r#"> compares numbers or RFC 3339 times"#),
            ("ts>=2026-11-30 04:30", r#">= compares numbers or RFC 3339 times"#),
            ("rt<1e309", r#"< compares numbers or RFC 3339 times"#),
            ("rt<inf", r#"< compares numbers or RFC 3339 times"#),
            ("", "expected FIELD=VALUE"),
            ("!", "no field name"),
            ("a~(", "regex parse error"),
        ] {
            let err = text.parse::<Condition>().unwrap_err();
            assert!(err.starts_with(&format!("bad condition {text:?}: ")), "{err}");
            assert!(err.contains(fault), "{text:?}: {err}");
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
        assert_eq!("a =1".parse::<Condition>().unwrap().field, "a");
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
        // A string is text: never ordered against a number.
        assert!(!matches("status>=400", r#""1000""#));
        assert!(!matches("status<400", r#""1000""#));
    }

    #[test]
    fn only_numbers_are_ordered_against_numbers() {
        for raw in ["[404]", r#"{"code":404}"#, "true", "false", r#""404""#, "null", "1e309"] {
            for condition in ["status>=404", "status<=404", "status>1", "status<1e308"] {
                assert!(!matches(condition, raw), "{condition} on {raw}");
            }
        }
        assert!(!matches("status>1e308", r#""404""#));
        assert!(matches("status>1e307", "1e308"));
    }

    #[test]
    fn a_number_like_string_is_text_for_every_operator() {
        for (condition, raw, want) in [
            ("status=404", r#""404""#, true),
            ("status=404.0", r#""404""#, false),
            ("status!=404.0", r#""404""#, true),
            ("status=404.0", "404", true),
            ("status=4e2", "404", false),
            ("status!=404", r#""404""#, false),
            ("status=404", "[404]", false),
            ("status!=404", "[404]", true),
            ("ok=true", "true", true),
            ("ok=1", "true", false),
            ("status=abc", "404", false),
            ("status!=abc", "404", true),
            // A value beyond a double's range equals nothing.
            ("rt=1e309", "1e309", false),
            ("rt!=1", "1e309", true),
        ] {
            assert_eq!(matches(condition, raw), want, "{condition} on {raw}");
        }
    }

    #[test]
    fn times_are_ordered_as_instants() {
        // 04:30Z written in two offsets selects the same records.
        let records = [
            r#""2026-11-30T04:29:59Z""#,
            r#""2026-11-30T09:59:59+05:30""#,
            r#""2026-11-30T04:30:00Z""#,
            r#""2026-11-30T10:00:00.000000001+05:30""#,
            r#""2026-11-29T23:30:00-05:00""#,
            r#""not a time""#,
            "1795998600",
        ];
        // Their instants, in seconds past 04:30Z, written out: -1, -1, 0,
        // 1e-9, 0, none, none.
        let want = [false, false, true, true, true, false, false];
        for condition in ["ts>=2026-11-30T04:30:00Z", "ts >= 2026-11-30T10:00:00+05:30"] {
            let got: Vec<bool> = records.iter().map(|r| matches(condition, r)).collect();
            assert_eq!(got, want, "{condition}");
        }
        assert!(matches("ts=2026-11-30T04:30:00+00:00", r#""2026-11-30T10:00:00+05:30""#));
        assert!(matches("ts<2026-11-30T04:30:00Z", r#""2026-11-30T09:59:59.999+05:30""#));
    }
}
