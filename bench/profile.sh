#!/usr/bin/env bash
# Where each stage of the headline pipeline spends its work, on one core:
# instructions per line counted by valgrind's callgrind (the same count for
# the same binary and input whatever else the machine is doing, which wall
# time on a shared 2-core machine is not), next to mawk doing the classic
# jobs on the same lines, and the functions that take the most of each of
# our stages (inclusive).
#
#   bench/profile.sh [--lines N] [--top K] [--bin-dir DIR] [--cpu-runs R]
#
# Beside the instructions, each stage's CPU time per line (user + system,
# GNU time, the median of R runs, default 3) on the whole 1M-line inputs:
# the figure the issue's wall-time targets rest on, but one that moves with
# the machine's load (quote it with the load average printed above it).
#
# Reads the first N lines (default 50000) of bench/data/combined-1m.log and
# of the stage outputs bench/run.sh made from it (ltail.ndjson,
# parsed.ndjson); run bench/run.sh once first. Every input comes through a
# pipe, as in the headline, so no tool uses more than one core. The
# callgrind files stay in bench/data/profile/ for callgrind_annotate.
#
# Needs valgrind (Debian: apt-get install valgrind) and mawk.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
LINES=50000 TOP=8 BIN=target/release CPU_RUNS=3
while [ $# -gt 0 ]; do
    case $1 in
        --lines) LINES=$2; shift 2 ;;
        --top) TOP=$2; shift 2 ;;
        --bin-dir) BIN=$2; shift 2 ;;
        --cpu-runs) CPU_RUNS=$2; shift 2 ;;
        -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench/profile.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
DATA=bench/data
OUT=$DATA/profile
for f in combined-1m.log ltail.ndjson parsed.ndjson; do
    [ -s "$DATA/$f" ] || { echo "bench/profile.sh: $DATA/$f missing: run bench/run.sh first" >&2; exit 2; }
done
command -v valgrind >/dev/null || { echo "bench/profile.sh: needs valgrind" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "bench/profile.sh: needs GNU time (Debian: apt-get install time)" >&2; exit 2; }
mkdir -p "$OUT"
export LC_ALL=C
head -n "$LINES" "$DATA/combined-1m.log" > "$OUT/raw.log"
head -n "$LINES" "$DATA/ltail.ndjson" > "$OUT/ltail.ndjson"
head -n "$LINES" "$DATA/parsed.ndjson" > "$OUT/parsed.ndjson"

# name | input file | command (reads stdin)
STAGES=(
    "ltail|$OUT/raw.log|$BIN/ltail -"
    "lparse on raw lines|$OUT/raw.log|$BIN/lparse"
    "lparse on ltail records|$OUT/ltail.ndjson|$BIN/lparse"
    "lcount --status 404|$OUT/parsed.ndjson|$BIN/lcount --status 404"
    "lcount --by path|$OUT/parsed.ndjson|$BIN/lcount --by path"
    "lgrep --status 404|$OUT/parsed.ndjson|$BIN/lgrep --status 404"
    "mawk '{n+=NF}'|$OUT/raw.log|mawk {n+=NF}"
    "mawk '\$9==404{c++}'|$OUT/raw.log|mawk \$9==404{c++}"
    "cat|$OUT/parsed.ndjson|cat"
)

echo "Load average before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')."
echo
echo "Instructions per line, callgrind, $LINES lines, input on a pipe ($(uname -m); $("$BIN/lparse" --version 2>/dev/null || echo "lparse: no version"), checkout at $(git rev-parse --short HEAD)):"
echo
echo "| stage | instructions per line | CPU per line (ns), whole input |"
echo "|---|---:|---:|"
i=0
for stage in "${STAGES[@]}"; do
    IFS='|' read -r name input cmd <<< "$stage"
    file=$OUT/cg.$i
    # shellcheck disable=SC2086  # the command's words
    # Through cat: a pipe, as in the headline (a large regular file on
    # stdin would be read on every core).
    cat "$input" | valgrind --tool=callgrind --callgrind-out-file="$file" $cmd > /dev/null 2> "$file.err" || true
    total=$(grep -o 'Collected : [0-9]*' "$file.err" | grep -o '[0-9]*$')
    # The same stage on the whole input (its 1M lines), timed by GNU time:
    # user + system seconds of the stage alone, the median of the runs.
    full=$DATA/$(basename "$input")
    [ "$full" = "$DATA/raw.log" ] && full=$DATA/combined-1m.log
    full_lines=$(wc -l < "$full")
    cpu=$(for _ in $(seq "$CPU_RUNS"); do
        # shellcheck disable=SC2086  # the command's words
        cat "$full" | /usr/bin/time -f '%U %S' -o "$OUT/time" $cmd > /dev/null 2>&1 || true
        awk '{ printf "%.0f\n", ($1 + $2) * 1e9 }' "$OUT/time"
    done | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
    printf '| `%s` | %d | %d |\n' "$name" $((total / LINES)) $((cpu / full_lines))
    i=$((i + 1))
done

echo
echo "Where each of our stages goes (inclusive, our functions only; per line):"
i=0
for stage in "${STAGES[@]}"; do
    IFS='|' read -r name _ cmd <<< "$stage"
    case $cmd in "$BIN"/*) ;; *) i=$((i + 1)); continue ;; esac
    echo
    echo "$name:"
    callgrind_annotate --inclusive=yes "$OUT/cg.$i" 2>/dev/null \
        | grep -E '^ *[0-9,]+ \(' | grep -E '(common|bins)/' | grep -v -E '::(main|run)( |$)' \
        | sed -E 's/^ *([0-9,]+) \( *([0-9.]+)%\) +[^:]*:([^ ]+).*/\1 \2 \3/' \
        | awk -v lines="$LINES" -v top="$TOP" '$3 ~ /::/ && !seen[$3]++ { gsub(",", "", $1); printf "  %6d  %5s%%  %s\n", $1 / lines, $2, $3; if (++n == top) exit }'
    i=$((i + 1))
done
