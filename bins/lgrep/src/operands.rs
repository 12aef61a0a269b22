//! Telling conditions from files among the arguments.
//!
//! `lgrep 'status>=500' 'rt>1' access.ndjson`: as with grep, what to look
//! for comes first, then where. Every other tool takes its arguments as
//! files, so a word is a file here too; an argument is a condition only
//! when it holds an operator character, which names of log files do not.

use logkit_common::filter::Condition;
use std::ffi::OsString;

/// The characters a condition's operator is written with.
const OPERATORS: [char; 5] = ['=', '!', '<', '>', '~'];

/// Splits the arguments before `--` into conditions and files: the leading
/// arguments that hold an operator character (`=`, `!`, `<`, `>`, `~`) are
/// conditions; from the first that does not, all are files. A bare field
/// name (the presence test) is a file here: it goes in `--where`.
///
/// # Errors
/// A leading argument that holds an operator but is not a valid condition,
/// with the parser's message (a usage error).
pub fn split(args: Vec<OsString>) -> Result<(Vec<Condition>, Vec<OsString>), String> {
    let mut conditions = Vec::new();
    let mut args = args.into_iter().peekable();
    while let Some(text) = args.peek().and_then(|a| a.to_str()).filter(|t| t.contains(OPERATORS)) {
        conditions.push(text.parse::<Condition>()?);
        args.next();
    }
    Ok((conditions, args.collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields_and_files(args: &[&str]) -> (Vec<String>, Vec<OsString>) {
        let (conditions, files) = split(args.iter().map(OsString::from).collect()).unwrap();
        (conditions.into_iter().map(|c| c.field).collect(), files)
    }

    #[test]
    fn conditions_come_first_then_files() {
        let (fields, files) =
            fields_and_files(&["status>=500", "!ua", "path~^/a", "x.ndjson", "-"]);
        assert_eq!(fields, ["status", "ua", "path"]);
        assert_eq!(files, ["x.ndjson", "-"]);
        // After the first file, an operator does not make a condition.
        let (fields, files) = fields_and_files(&["a.log", "rt>1"]);
        assert!(fields.is_empty());
        assert_eq!(files, ["a.log", "rt>1"]);
        // A bare word is a file, as in every other tool.
        let (fields, files) = fields_and_files(&["status"]);
        assert!(fields.is_empty());
        assert_eq!(files, ["status"]);
    }

    #[test]
    fn a_malformed_condition_is_an_error() {
        let err = split(vec!["=404".into(), "f".into()]).unwrap_err();
        assert!(err.contains("=404"), "{err}");
    }
}
