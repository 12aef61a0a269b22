//! `--print-schema duckdb|clickhouse`: the SQL that loads a tool's records
//! whole, made from the typed field table ([`crate::record::FIELDS`]), so
//! that it names every field the tool writes with the type it has.
//!
//! Both engines guess a schema from the first rows of a file when they are
//! not given one (DuckDB samples 20,480), and drop a field that first
//! appears later: these statements give them the schema instead.
//! docs/sql.md shows how each is used.

use crate::record::{Field, Record, Type};
use std::fmt::Write as _;

/// The database a schema is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Engine {
    /// DuckDB: a `CREATE TABLE` and a table macro that reads NDJSON files
    /// with `read_ndjson(..., columns = {...})`.
    Duckdb,
    /// ClickHouse: a `CREATE TABLE` for `INSERT ... FORMAT JSONEachRow`.
    Clickhouse,
}

/// The column type of a field in DuckDB. Every column may be NULL: a
/// field absent from a record is NULL in its row. A field that may be
/// a number or a string is text.
pub fn duckdb_type(ty: Type) -> &'static str {
    match ty {
        Type::String | Type::Bytes | Type::IntegerOrString | Type::NumberOrString => "VARCHAR",
        Type::Time => "TIMESTAMPTZ",
        Type::Integer => "BIGINT",
        Type::Status => "USMALLINT",
        Type::Number => "DOUBLE",
        Type::Flag | Type::Bool => "BOOLEAN",
    }
}

/// The column type of a field in ClickHouse (21.12 or later, for `Bool`;
/// 18.16 has neither `Bool` nor `DateTime64`: docs/fleet.md): `Nullable`, so that an absent field is NULL rather
/// than 0 or the empty string (which would count in an average).
pub fn clickhouse_type(ty: Type) -> &'static str {
    match ty {
        Type::String | Type::Bytes | Type::IntegerOrString | Type::NumberOrString => {
            "Nullable(String)"
        }
        Type::Time => "Nullable(DateTime64(6, 'UTC'))",
        Type::Integer => "Nullable(Int64)",
        Type::Status => "Nullable(UInt16)",
        Type::Number => "Nullable(Float64)",
        Type::Flag | Type::Bool => "Nullable(Bool)",
    }
}

/// The columns of `records`: their fields in [`crate::record::FIELDS`]'
/// order, each field of log bytes followed by its `_b64` twin (a string),
/// named or not in the table.
pub fn columns(records: &[Record]) -> Vec<(String, Type)> {
    let fields: Vec<&Field> = crate::record::fields_of(records).collect();
    let mut columns = Vec::new();
    for f in &fields {
        columns.push((f.name.to_owned(), f.ty));
        let twin = crate::record::b64_name(f.name);
        if f.ty == Type::Bytes && !fields.iter().any(|g| g.name == twin) {
            columns.push((twin, Type::String));
        }
    }
    columns
}

/// The SQL for `tool`'s records (those of `records`), named `tool` in the
/// database: for DuckDB a `CREATE TABLE` and a macro `read_TOOL(path)`
/// that reads NDJSON files with the same columns; for ClickHouse a
/// `CREATE TABLE`. Comments say how to load.
pub fn sql(engine: Engine, tool: &str, records: &[Record]) -> String {
    let fields = columns(records);
    let width = fields.iter().map(|(name, _)| name.len()).max().unwrap_or(0) + 3;
    let mut out = format!(
        "-- The records of {tool} {}: every field of docs/records.md that {tool} writes.\n",
        crate::build_info::VERSION
    );
    match engine {
        Engine::Duckdb => {
            let _ = writeln!(
                out,
                "-- Load: INSERT INTO {tool} SELECT * FROM read_{tool}('records.ndjson');\n\
                 --   or: SELECT ... FROM read_{tool}('*.ndjson') (globs and lists too).\n\
                 -- Fields not listed (a JSON log's own keys) are not read.\n\
                 CREATE TABLE IF NOT EXISTS {tool} ("
            );
            column_list(&mut out, &fields, |f| {
                format!("    {:width$}{}", format!("\"{}\"", f.0), duckdb_type(f.1))
            });
            let _ = write!(
                out,
                ");\nCREATE OR REPLACE MACRO read_{tool}(path) AS TABLE\n    \
                 SELECT * FROM read_ndjson(path, columns = {{\n"
            );
            column_list(&mut out, &fields, |f| {
                format!("        '{}': '{}'", f.0, duckdb_type(f.1))
            });
            out.push_str("    });\n");
        }
        Engine::Clickhouse => {
            let _ = writeln!(
                out,
                "-- Load: clickhouse-client --input_format_skip_unknown_fields=1 \\\n\
                 --          --date_time_input_format=best_effort \\\n\
                 --          --query 'INSERT INTO {tool} FORMAT JSONEachRow' < records.ndjson\n\
                 CREATE TABLE IF NOT EXISTS {tool} ("
            );
            column_list(&mut out, &fields, |f| {
                format!("    {:width$}{}", format!("`{}`", f.0), clickhouse_type(f.1))
            });
            out.push_str(") ENGINE = MergeTree ORDER BY tuple();\n");
        }
    }
    out
}

/// `--print-schema`: writes [`sql`] to stdout.
///
/// # Errors
/// Writing to stdout.
pub fn print(
    engine: Engine,
    tool: &str,
    records: &[Record],
) -> anyhow::Result<crate::cli::Outcome> {
    use std::io::Write;
    std::io::stdout().lock().write_all(sql(engine, tool, records).as_bytes())?;
    Ok(crate::cli::Outcome::Success)
}

/// Writes one line per field, separated by commas.
fn column_list(
    out: &mut String,
    fields: &[(String, Type)],
    line: impl Fn(&(String, Type)) -> String,
) {
    for (i, f) in fields.iter().enumerate() {
        out.push_str(&line(f));
        out.push_str(if i + 1 < fields.len() { ",\n" } else { "\n" });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{self, LPARSE_RECORDS};

    #[test]
    fn every_field_of_the_tool_is_a_column_with_its_type() {
        // Spacing aside.
        let squeeze = |s: String| s.split_whitespace().collect::<Vec<_>>().join(" ");
        let duckdb = squeeze(sql(Engine::Duckdb, "lparse", LPARSE_RECORDS));
        let clickhouse = squeeze(sql(Engine::Clickhouse, "lparse", LPARSE_RECORDS));
        for f in record::fields_of(LPARSE_RECORDS) {
            assert!(duckdb.contains(&format!("'{}': '", f.name)), "{}", f.name);
            assert!(clickhouse.contains(&format!("`{}`", f.name)), "{}", f.name);
        }
        assert!(duckdb.contains("\"ts\" TIMESTAMPTZ,"), "{duckdb}");
        assert!(duckdb.contains("'status': 'USMALLINT'"), "{duckdb}");
        assert!(duckdb.contains("'rt': 'DOUBLE'"), "{duckdb}");
        assert!(clickhouse.contains("`ts` Nullable(DateTime64(6, 'UTC')),"), "{clickhouse}");
        assert!(clickhouse.contains("`status` Nullable(UInt16),"), "{clickhouse}");
        assert!(!duckdb.contains("'seq'") && !clickhouse.contains("`url`"));
        let hprobe = squeeze(sql(Engine::Clickhouse, "hprobe", &[Record::Hprobe]));
        assert!(hprobe.contains("`ttfb_rt` Nullable(Float64)"), "{hprobe}");
        assert!(!hprobe.contains("`fmt`"));
        // Each field of log bytes has its `_b64` twin, once.
        assert!(duckdb.contains("'ua': 'VARCHAR', 'ua_b64': 'VARCHAR', 'vhost'"), "{duckdb}");
        let lines = "'src': 'VARCHAR', 'src_b64': 'VARCHAR', 'offset': 'BIGINT', 'ts'";
        assert!(duckdb.contains(lines), "{duckdb}");
        assert_eq!(duckdb.matches("'line_b64'").count(), 1);
        assert!(!duckdb.contains("'fmt_b64'") && !duckdb.contains("'ts_b64'"));
    }
}
