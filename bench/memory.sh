#!/usr/bin/env bash
# Peak memory (RSS) of the tools on large inputs: lcount --by path over 1M
# distinct paths beside mawk counting the same keys (goal: no more than
# mawk), and what each aggregate adds per group, and ltail and lparse on the 1M-line
# log (flat in the file's size). Run from anywhere after bench/run.sh has
# generated bench/data/combined-1m.log (or it generates nothing and says so).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BIN=${BIN:-target/release}
DATA=bench/data
mkdir -p "$DATA"
if [[ ! -s $DATA/distinct-1m.ndjson ]]; then
    python3 - > "$DATA/distinct-1m.ndjson" <<'PY'
import sys
w = sys.stdout.write
for i in range(1_000_000):
    w('{"src":"a.log","ts":"2026-11-27T03:22:43+00:00","client":"10.0.%d.%d","method":"GET",'
      '"path":"/shop/item/%d/details","proto":"HTTP/1.1","status":404,"bytes":1234,"fmt":"combined"}\n'
      % (i % 256, i // 256 % 256, i))
PY
fi
rss() { /usr/bin/time -f "%M" "$@" 2>&1 >/dev/null | tail -1; }
echo "| command | input | peak RSS MiB |"
echo "|---|---|---:|"
# On a pipe, as in a pipeline (a file is counted on every core, each with
# its own share of the groups until they are merged).
pipe_rss() { /usr/bin/time -f "%M" bash -c 'cat "$0" | "$@" > /dev/null' "$DATA/distinct-1m.ndjson" "$@" 2>&1 | tail -1; }
kib=$(pipe_rss mawk -F'"path":"' '{split($2, a, "\""); c[a[1]]++}')
echo "| \`mawk '{c[\$path]++}'\` (the same keys, split out by mawk) | 1M records, 1M distinct paths, on a pipe | $((kib / 1024)) |"
kib=$(pipe_rss "$BIN/lcount" --by path)
echo "| \`lcount --by path\` | same | $((kib / 1024)) |"
for agg in "--sum bytes" "--avg bytes" "--min bytes" "--max bytes" "--min ts" "--p 99 bytes" "--distinct client"; do
    # shellcheck disable=SC2086
    kib=$(pipe_rss "$BIN/lcount" --by path $agg)
    echo "| \`lcount --by path $agg\` | same | $((kib / 1024)) |"
done
kib=$(rss "$BIN/lcount" --by path "$DATA/distinct-1m.ndjson")
echo "| \`lcount --by path FILE\` (on every core) | 1M records, 1M distinct paths | $((kib / 1024)) |"
if [[ -s $DATA/combined-1m.log ]]; then
    kib=$(rss "$BIN/ltail" "$DATA/combined-1m.log")
    echo "| \`ltail\` | 1M-line log, $(($(stat -c %s "$DATA/combined-1m.log") / 1000000)) MB | $((kib / 1024)) |"
    kib=$(rss "$BIN/lparse" "$DATA/combined-1m.log")
    echo "| \`lparse\` | same | $((kib / 1024)) |"
else
    echo "(bench/data/combined-1m.log missing: run bench/run.sh first for the ltail and lparse rows)"
fi
