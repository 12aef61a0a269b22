"""Loads NDJSON records into DuckDB or ClickHouse (chdb, in process) with
the SQL that `lparse --print-schema ENGINE` printed, the way docs/sql.md
says, and prints what tests/ecosystem_sql.rs compares with lcount's
answers, as one JSON object.

    python load.py duckdb|clickhouse SCHEMA.sql RECORDS.ndjson TABLE GROUP FIELD...

GROUP: the field the 404s are counted by (path, url); FIELD...: the fields
whose non-NULL values are counted.
"""
import json
import sys

engine, schema_file, records, table, group, *fields = sys.argv[1:]
schema = open(schema_file).read()
assert "'" not in records, "a path the SQL below can quote"

if engine == "duckdb":
    import duckdb

    con = duckdb.connect()
    con.execute(schema)
    con.execute(f"INSERT INTO {table} SELECT * FROM read_{table}('{records}')")

    def query(sql):
        return con.sql(sql).fetchall()

    epoch_us = "epoch_us"
    p99_doc = "quantile_disc(rt, 0.99)"
elif engine == "clickhouse":
    from chdb import session

    db = session.Session()
    db.query("CREATE DATABASE IF NOT EXISTS logs")
    db.query("USE logs")
    db.query(schema)
    db.query(
        f"INSERT INTO {table} FROM INFILE '{records}' "
        "SETTINGS input_format_skip_unknown_fields=1, date_time_input_format='best_effort' "
        "FORMAT JSONEachRow"
    )

    def query(sql):
        out = db.query(sql, "JSONCompact")
        return [tuple(row) for row in json.loads(out.bytes())["data"]]

    epoch_us = "toUnixTimestamp64Micro"
    p99_doc = "arraySort(groupArray(rt))[toUInt64(ceil(0.99 * count(rt)))]"
else:
    sys.exit(f"unknown engine {engine}")

count = query(f"SELECT count(*) FROM {table}")[0][0]
# p99 by nearest rank, spelled out: the ceil(0.99 n)-th smallest rt.
rts = query(f"SELECT count(rt) FROM {table}")[0][0]
rank = -(-99 * int(rts) // 100)
p99 = query(f"SELECT rt FROM {table} WHERE rt IS NOT NULL ORDER BY rt LIMIT 1 OFFSET {rank - 1}")
print(
    json.dumps(
        {
            "count": int(count),
            "not_null": {f: int(query(f'SELECT count("{f}") FROM {table}')[0][0]) for f in fields},
            "404_by": sorted(
                [p, int(n)]
                for p, n in query(f"SELECT {group}, count(*) FROM {table} WHERE status = 404 GROUP BY {group}")
            ),
            "p99_rt": float(p99[0][0]),
            # As docs/sql.md writes it for each engine.
            "p99_rt_doc": float(query(f"SELECT {p99_doc} FROM {table}")[0][0]),
            "ts_us": [int(x) for x in query(f"SELECT {epoch_us}(min(ts)), {epoch_us}(max(ts)) FROM {table}")[0]],
        }
    )
)
