#!/usr/bin/env bash
# Sends NDJSON records from stdin to a ClickHouse table in batches, with
# ClickHouse's own client: a batch goes when it has 1000 records or when
# no record has come for a second, and the last one at end of input.
#
#   ... | lparse | scripts/clickhouse-batches.sh TABLE [clickhouse-client options]
#   e.g.  scripts/clickhouse-batches.sh logs.access --host ch.example.net --port 9000
#
# Each batch is one `INSERT INTO TABLE FORMAT JSONEachRow`, with
# input_format_skip_unknown_fields=1 (records may carry fields the table has
# no column for) and date_time_input_format=best_effort (RFC 3339 times).
# A batch the server refuses stops the script with clickhouse-client's exit
# status, so that the pipeline stops rather than losing records quietly.
# See docs/fleet.md. Environment: BATCH_RECORDS (1000), BATCH_IDLE (1, seconds).
set -euo pipefail
table="${1:?usage: clickhouse-batches.sh TABLE [clickhouse-client options]}"
shift
records="${BATCH_RECORDS:-1000}"
idle="${BATCH_IDLE:-1}"

send() {
    printf '%s' "$batch" | clickhouse-client "$@" \
        --input_format_skip_unknown_fields=1 --date_time_input_format=best_effort \
        --query "INSERT INTO $table FORMAT JSONEachRow"
    batch='' n=0
}

# $batch: whole records not sent yet ($n of them); $pending: the start of a
# record whose newline has not come yet (read gives it on a timeout).
batch='' n=0 pending=''
while :; do
    if IFS= read -r -t "$idle" line; then
        batch+="$pending$line"$'\n' pending='' n=$((n + 1))
        if [ "$n" -ge "$records" ]; then send "$@"; fi
    elif [ $? -gt 128 ]; then
        # A second without a whole record: send those there are.
        pending+="$line"
        if [ "$n" -gt 0 ]; then send "$@"; fi
    else
        # End of input (a last record without its newline too).
        line="$pending$line"
        if [ -n "$line" ]; then batch+="$line"$'\n' n=$((n + 1)); fi
        if [ "$n" -gt 0 ]; then send "$@"; fi
        exit 0
    fi
done
