#!/usr/bin/env bash
# The one benchmark command of this repo.  See bench/README.md.
#
#   bench/run.sh            build (cargo build --release), generate data if
#                           missing, time everything, print a Markdown report
#   bench/run.sh --save     ... and append the report to bench/RESULTS.md
#
# Options:
#   --save          append the report to bench/RESULTS.md
#   --no-build      skip `cargo build --release` (use the binaries as they are)
#   --rt            also benchmark the variant with nginx's trailing $request_time
#   --lines N       lines of generated data (default 1000000; other sizes get
#                   their own cached file)
#   --runs N        hyperfine runs per command (default 5)
#   --warmup N      hyperfine warmup runs per command (default 1)
#   --slow-runs N   runs for the slow reference tools jq/goaccess/lnav/agrind (default 3)
#   --bin-dir DIR   take ltail/lparse/lcount/lgrep from DIR (default target/release)
#   -h, --help      this text
#
# A tool that is missing or fails only marks its own row; the run goes on.
# Exit status: 0 if the headline ran and its 404 count equals mawk's, else 1.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)

SAVE=0 BUILD=1 RT=0 LINES=1000000 RUNS=5 WARMUP=1 SLOW_RUNS=3 BIN_DIR=""
usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
    case "$1" in
        --save) SAVE=1 ;;
        --no-build) BUILD=0 ;;
        --rt) RT=1 ;;
        --lines) LINES=${2:?--lines needs a value}; shift ;;
        --runs) RUNS=${2:?--runs needs a value}; shift ;;
        --warmup) WARMUP=${2:?--warmup needs a value}; shift ;;
        --slow-runs) SLOW_RUNS=${2:?--slow-runs needs a value}; shift ;;
        --bin-dir) BIN_DIR=${2:?--bin-dir needs a value}; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "run.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
for v in LINES RUNS WARMUP SLOW_RUNS; do
    [[ ${!v} =~ ^[0-9]+$ ]] || { echo "run.sh: --${v,,} must be a non-negative integer" >&2; exit 2; }
done
(( RUNS >= 1 && SLOW_RUNS >= 1 )) || { echo "run.sh: runs must be >= 1" >&2; exit 2; }

# Everything below runs from the repo root, so commands in the report read
# `target/release/ltail bench/data/...`.
cd "$ROOT"
export LC_ALL=C   # same byte-oriented locale for every tool (grep/gawk are slower in UTF-8)

if [[ -z $BIN_DIR ]]; then
    BIN=target/release
else
    BIN=$(cd "$BIN_DIR" && pwd)
    [[ $BIN == "$ROOT"/* ]] && BIN=${BIN#"$ROOT"/}
fi

for tool in hyperfine python3; do
    command -v "$tool" >/dev/null || { echo "run.sh: $tool is required" >&2; exit 2; }
done

log() { printf '[bench] %s\n' "$*" >&2; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/logkit-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
REPORT=$TMP/report.md
ROWS=$TMP/rows.tsv
: >"$REPORT"
: >"$ROWS"
out() { printf '%s\n' "$*" | tee -a "$REPORT"; }

# ---------------------------------------------------------------- build ----
if (( BUILD )); then
    log "cargo build --release (in $ROOT)"
    cargo build --release
else
    log "skipping cargo build (--no-build)"
fi

# ----------------------------------------------------------------- data ----
DATA=bench/data
mkdir -p "$DATA"
if (( LINES == 1000000 )); then size=1m; else size=$LINES; fi
GEN_SUM=$(sha256sum bench/gen_combined.py | cut -c1-16)

# gen_data FILE [extra generator args...]: (re)generate FILE unless a cached
# copy made by this same generator version with the same arguments exists.
gen_data() {
    local file=$1; shift
    local stamp="$file.stamp"
    local want="gen=$GEN_SUM lines=$LINES seed=1 args=$*"
    if [[ -f $file && -f $stamp && $(head -1 "$stamp") == "$want" ]]; then
        log "using cached $file"
        return
    fi
    log "generating $file ($LINES lines, seed 1${*:+, $*})"
    local t0=$SECONDS
    python3 bench/gen_combined.py --lines "$LINES" --seed 1 "$@" -o "$file.tmp"
    mv "$file.tmp" "$file"
    { echo "$want"; sha256sum "$file" | cut -d' ' -f1; } >"$stamp"
    log "generated in $((SECONDS - t0)) s"
}

F=$DATA/combined-$size.log
gen_data "$F"
# The same lines as Docker's json-file driver stores them.
FD=$DATA/combined-docker-$size.log
gen_data "$FD" --docker
FRT=""
if (( RT )); then
    FRT=$DATA/combined-rt-$size.log
    gen_data "$FRT" --rt
fi

file_bytes() { stat -c %s "$1"; }
file_lines() { wc -l <"$1" | tr -d ' '; }

# ---------------------------------------------------------- benchmarking ----
# row ID LABEL KIND INPUT COUNTMODE SLOW CMD
#   KIND      throughput basis: bytes (MB/s + lines/s of INPUT), lines
#             (lines/s of INPUT), records (records/s of INPUT), none
#   COUNTMODE how to read a 404 count from the command's stdout: int (last
#             integer printed, e.g. {"count":N} or N), goaccess (its JSON),
#             none
#   SLOW      1 = use --slow-runs and no warmup (the check run warms up)
# Writes one line to $ROWS: id, label, cmd, state, json, bytes, lines, kind,
# count, note.
row() {
    local id=$1 label=$2 kind=$3 input=$4 cmode=$5 slow=$6 cmd=$7
    local bytes=0 lines=0 state=ok count="" note="" json=$TMP/$id.json
    if [[ -n $input && -f $input ]]; then
        bytes=$(file_bytes "$input"); lines=$(file_lines "$input")
    fi
    log "$id: $cmd"
    # 1. one checked run under pipefail: exit status and the printed count
    local rc=0 hf_extra=()
    bash -o pipefail -c "$cmd" >"$TMP/$id.out" 2>"$TMP/$id.err" || rc=$?
    if (( rc == 1 )) && [[ " $OURS " == *" $id "* ]]; then
        # Our tools' convention: exit 1 = some input was bad but the work
        # went on (e.g. lparse keeps unparsable junk lines with "err").
        # That is a result, not a failure; time it anyway and say so.
        note="exit 1 (bad input reported, work went on): $(tail -n 2 "$TMP/$id.err" | cut -c1-200 | tr '\n\t|' '   ')"
        log "  note: $note"
        hf_extra=(--ignore-failure)
        rc=0
    fi
    if (( rc != 0 )); then
        state=failed
        note="exit $rc: $(tail -c 300 "$TMP/$id.err" | tr '\n\t|' '   ' | sed 's/  */ /g')"
        log "  FAILED ($note)"
    else
        case $cmode in
            int) count=$(grep -oE '[0-9]+' "$TMP/$id.out" | tail -1 || true) ;;
            goaccess) count=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
n = 0
for group in d.get("status_codes", {}).get("data", []):
    for item in group.get("items", []):
        if str(item.get("data", "")).startswith("404"):
            n += item["hits"]["count"]
print(n)' "$TMP/$id.out" 2>/dev/null || true) ;;
        esac
        # 2. the timing
        local runs=$RUNS warm=$WARMUP
        if (( slow )); then runs=$SLOW_RUNS; warm=0; fi
        if ! hyperfine --style none --output=pipe --warmup "$warm" --runs "$runs" \
                "${hf_extra[@]}" --export-json "$json" --command-name "$id" "$cmd" \
                >"$TMP/$id.hf" 2>&1; then
            state=failed
            note="hyperfine: $(tail -c 300 "$TMP/$id.hf" | tr '\n\t|' '   ')"
            log "  FAILED ($note)"
        fi
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
        "$id" "$label" "$cmd" "$state" "$json" "$bytes" "$lines" "$kind" "$count" "$note" >>"$ROWS"
}

# skip ID LABEL CMD STATE NOTE: a row that could not run at all.
skip() {
    local note=${5:-}
    log "$1: $4${note:+ ($note)}"
    printf '%s\t%s\t%s\t%s\t\t0\t0\tnone\t\t%s\n' "$1" "$2" "$3" "$4" "$note" >>"$ROWS"
}

have_bins=1
for b in ltail lparse lcount; do
    [[ -x $BIN/$b ]] || { have_bins=0; log "missing $BIN/$b"; }
done

LT=$BIN/ltail LP=$BIN/lparse LC=$BIN/lcount LG=$BIN/lgrep
OURS="headline headline_rt headline_docker ltail lparse lparse_raw lparse_custom lparse_docker lcount lgrep pipe_lparse pipe_lparse_records pipe_lcount"   # rows that run only our tools
HEADLINE="$LT $F | $LP | $LC --status 404"

# a. headline
if (( have_bins )); then
    row headline "headline" bytes "$F" int 0 "$HEADLINE"
else
    skip headline "headline" "$HEADLINE" missing "binaries not built"
fi
# b-d. classic baselines
for awk in mawk gawk; do
    if command -v $awk >/dev/null; then
        row $awk "$awk" bytes "$F" int 0 "$awk '\$9==404{c++} END{print c+0}' $F"
    else
        skip $awk "$awk" "$awk '\$9==404{c++} END{print c+0}' $F" "not installed"
    fi
done
row grep "grep -c" bytes "$F" int 0 "grep -c '\" 404 ' $F"

# e. ltail alone
if [[ -x $LT ]]; then
    row ltail "ltail \| cat" bytes "$F" none 0 "$LT $F | cat > /dev/null"
else
    skip ltail "ltail \| cat" "$LT $F | cat > /dev/null" missing "binary not built"
fi

# f-g. lparse and lcount alone, on precomputed stage outputs of the same file
LTAIL_OUT=$DATA/ltail.ndjson PARSED_OUT=$DATA/parsed.ndjson
rm -f "$LTAIL_OUT" "$PARSED_OUT"
# precompute OUTFILE CMD...: run CMD > OUTFILE; exit 0 or 1 (bad input, work
# went on) keeps the output.
precompute() {
    local outfile=$1 rc=0; shift
    "$@" >"$outfile.tmp" 2>"$TMP/pre.err" || rc=$?
    if (( rc <= 1 )); then
        mv "$outfile.tmp" "$outfile"
        log "precomputed $outfile ($(file_lines "$outfile") lines)"
    else
        rm -f "$outfile.tmp"
        log "could not precompute $outfile (exit $rc: $(tail -n 1 "$TMP/pre.err"))"
    fi
}
[[ -x $LT ]] && precompute "$LTAIL_OUT" "$LT" "$F"
[[ -x $LP && -f $LTAIL_OUT ]] && precompute "$PARSED_OUT" "$LP" <"$LTAIL_OUT"
if [[ -x $LP && -f $LTAIL_OUT ]]; then
    row lparse "lparse alone" lines "$LTAIL_OUT" none 0 "$LP < $LTAIL_OUT > /dev/null"
else
    skip lparse "lparse alone" "$LP < $LTAIL_OUT > /dev/null" missing "needs ltail and lparse"
fi
# lparse on the raw log (issue target: >= 2.5 M lines/s), and the same
# combined format declared as a custom format (target: within 1.5x of it).
if [[ -x $LP ]]; then
    row lparse_raw "lparse on the raw log" lines "$F" none 0 "$LP $F > /dev/null"
    CUSTOM='LogFormat "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\"" cc'
    row lparse_custom "lparse, combined as a custom format" lines "$F" none 0 "$LP --format cc --apache-format '$CUSTOM' $F > /dev/null"
    # The same lines in Docker json-file records (target: within 1.5x of
    # the raw log), and the 404 count through it.
    row lparse_docker "lparse on Docker json-file" lines "$FD" none 0 "$LP $FD > /dev/null"
    row headline_docker "lparse \| lcount on Docker json-file" lines "$FD" int 0 "$LP $FD | $LC --status 404"
fi
if [[ -x $LC && -f $PARSED_OUT ]]; then
    row lcount "lcount alone" records "$PARSED_OUT" int 0 "$LC --status 404 < $PARSED_OUT"
else
    skip lcount "lcount alone" "$LC --status 404 < $PARSED_OUT" missing "needs ltail, lparse and lcount"
fi
# Issue 17: every stage on one core, its input through a pipe as in the
# headline, beside what the pipe and mawk cost on the same bytes: `cat f |
# cat` is the floor of one pipe hop, `cat f | mawk '{n+=NF}'` the classic
# split of the same lines.
row pipe_cat_raw "pipe floor: cat \| cat, raw log" bytes "$F" none 0 "cat $F | cat > /dev/null"
if command -v mawk >/dev/null; then
    row pipe_mawk_nf "cat \| mawk '{n+=NF}'" lines "$F" none 0 "cat $F | mawk '{n+=NF}' > /dev/null"
fi
if [[ -x $LP ]]; then
    row pipe_lparse "cat \| lparse, raw log" lines "$F" none 0 "cat $F | $LP > /dev/null"
    [[ -f $LTAIL_OUT ]] &&
        row pipe_lparse_records "cat \| lparse, ltail records" lines "$LTAIL_OUT" none 0 "cat $LTAIL_OUT | $LP > /dev/null"
fi
if [[ -f $PARSED_OUT ]]; then
    row pipe_cat_parsed "pipe floor: cat \| cat, parsed records" bytes "$PARSED_OUT" none 0 "cat $PARSED_OUT | cat > /dev/null"
    [[ -x $LC ]] &&
        row pipe_lcount "cat \| lcount --status 404" records "$PARSED_OUT" int 0 "cat $PARSED_OUT | $LC --status 404"
fi
# lgrep writes the 404 records themselves; wc -l counts them. Beside it,
# grep on the same records (a text match, the speed to beat).
LG_CMD="$LG --status 404 < $PARSED_OUT | wc -l"
if [[ -x $LG && -f $PARSED_OUT ]]; then
    row lgrep "lgrep alone" records "$PARSED_OUT" int 0 "$LG_CMD"
else
    skip lgrep "lgrep alone" "$LG_CMD" missing "needs ltail, lparse and lgrep"
fi
if [[ -f $PARSED_OUT ]]; then
    row grep_records "grep on parsed NDJSON" records "$PARSED_OUT" int 0 "grep -c '\"status\":404' $PARSED_OUT"
else
    skip grep_records "grep on parsed NDJSON" "grep -c '\"status\":404' $PARSED_OUT" missing "needs lparse output"
fi

# h. jq on the same parsed records
JQ_CMD="jq -c 'select(.status==404)' $PARSED_OUT | wc -l"
if ! command -v jq >/dev/null; then
    skip jq "jq on parsed NDJSON" "$JQ_CMD" "not installed"
elif [[ -f $PARSED_OUT ]]; then
    row jq "jq on parsed NDJSON" records "$PARSED_OUT" int 1 "$JQ_CMD"
else
    skip jq "jq on parsed NDJSON" "$JQ_CMD" missing "needs lparse output"
fi

# i. other log tools, where installed
GA_CMD="goaccess $F --log-format=COMBINED --no-progress -o json"
if command -v goaccess >/dev/null; then
    row goaccess "goaccess (full report)" bytes "$F" goaccess 1 "$GA_CMD"
else
    skip goaccess "goaccess (full report)" "$GA_CMD" "not installed"
fi
LN_CMD="lnav -n -c ';SELECT count(*) AS n FROM access_log WHERE sc_status = 404' $F"
if command -v lnav >/dev/null; then
    row lnav "lnav (SQL count of 404s)" bytes "$F" int 1 "$LN_CMD"
else
    skip lnav "lnav (SQL count of 404s)" "$LN_CMD" "not installed" "apt-get install lnav"
fi
AG_CMD="agrind -f $F '* | parse \"] \\\"* * *\\\" * \" as method, path, proto, status | where status == 404 | count'"
if command -v agrind >/dev/null; then
    row agrind "angle-grinder" bytes "$F" int 1 "$AG_CMD"
else
    skip agrind "angle-grinder" "$AG_CMD" "not installed"
fi

# --rt variant: same lines plus a request_time column
if [[ -n $FRT ]]; then
    HEADLINE_RT="$LT $FRT | $LP | $LC --status 404"
    if (( have_bins )); then
        row headline_rt "headline, --rt data" bytes "$FRT" int 0 "$HEADLINE_RT"
    else
        skip headline_rt "headline, --rt data" "$HEADLINE_RT" missing "binaries not built"
    fi
    if command -v mawk >/dev/null; then
        row mawk_rt "mawk, --rt data" bytes "$FRT" int 0 "mawk '\$9==404{c++} END{print c+0}' $FRT"
    fi
fi

# --------------------------------------------------------------- report ----
cpu=$(grep -m1 '^model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//' || true)
[[ -n $cpu ]] || cpu=$(uname -m)
mem=$(awk '/^MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo 2>/dev/null || echo "?")
rustc_v=$(rustc --version 2>/dev/null || echo "rustc not found")
commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo "no commit")
if [[ $commit != "no commit" ]] && [[ -n $(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null) ]]; then
    commit="$commit (dirty)"
fi
ver() { command -v "$1" >/dev/null && { "$@" 2>&1 | head -1; } || echo "not installed"; }

out "## Benchmark $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
out ""
out "- machine: $(nproc) CPUs, $cpu, $mem RAM"
out "- kernel: $(uname -srm)"
out "- rustc: $rustc_v; commit: $commit; binaries: $BIN"
out "- tools: $(ver hyperfine --version); mawk $(mawk -W version 2>&1 | head -1 | awk '{print $2}'); $(ver gawk --version | cut -d, -f1); $(ver grep --version); $(ver jq --version); goaccess $(goaccess --version 2>/dev/null | head -1 | grep -oE '[0-9][0-9.]*[0-9]' || echo 'not installed')"
out "- data: \`$F\`: $(file_lines "$F") lines, $(file_bytes "$F") bytes, sha256 $(sed -n 2p "$F.stamp" | cut -c1-16)…, \`bench/gen_combined.py --lines $LINES --seed 1\`"
[[ -n $FRT ]] && out "- data (--rt): \`$FRT\`: $(file_lines "$FRT") lines, $(file_bytes "$FRT") bytes"
out "- timing: hyperfine, warmup $WARMUP, $RUNS runs ($SLOW_RUNS runs, no warmup, for jq/goaccess/lnav/angle-grinder); LC_ALL=C; output piped (\`--output=pipe\`); MB = 10^6 bytes; page cache warm"
out ""

set +e
python3 - "$ROWS" >"$TMP/table.md" <<'PY'
import json, sys

rows = []
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split("\t")
    rid, label, cmd, state, jpath, nbytes, nlines, kind, count, note = f
    mean = sd = None
    if state == "ok":
        try:
            r = json.load(open(jpath))["results"][0]
            mean, sd = r["mean"], r.get("stddev")
        except Exception as e:  # noqa: BLE001
            state, note = "failed", "no hyperfine result: %s" % e
    rows.append(dict(id=rid, label=label, cmd=cmd, state=state, mean=mean, sd=sd,
                     bytes=int(nbytes or 0), lines=int(nlines or 0), kind=kind,
                     count=count, note=note))

by = {r["id"]: r for r in rows}
mawk = by.get("mawk", {}).get("mean")
mawk_rt = by.get("mawk_rt", {}).get("mean")

def rate(n):
    return "%.2f M" % (n / 1e6) if n >= 1e6 else "%.0f k" % (n / 1e3)

def throughput(r):
    m = r["mean"]
    if not m:
        return ""
    if r["kind"] == "bytes":
        return "%.0f MB/s (%s lines/s)" % (r["bytes"] / 1e6 / m, rate(r["lines"] / m))
    if r["kind"] == "lines":
        return "%s lines/s (%.0f MB/s in)" % (rate(r["lines"] / m), r["bytes"] / 1e6 / m)
    if r["kind"] == "records":
        return "%s records/s" % rate(r["lines"] / m)
    return ""

def target(r):
    m = r["mean"]
    ok = lambda c: "PASS" if c else "**MISS**"
    if r["id"] in ("headline", "headline_rt"):
        base = mawk_rt if r["id"] == "headline_rt" else mawk
        if m and base:
            return "<= 1.3x mawk (issue 17): " + ok(m / base <= 1.3) + " (%.2fx)" % (m / base)
        return "<= 1.3x mawk (issue 17)"
    # Issue 17's pipe targets: (row, yardstick row, at most this many times it)
    pipe_targets = {
        "pipe_lparse": ("pipe_mawk_nf", 1.0),
        "pipe_lparse_records": ("pipe_mawk_nf", 1.2),
        "pipe_lcount": ("pipe_cat_parsed", 1.2),
    }
    if r["id"] in pipe_targets:
        other, most = pipe_targets[r["id"]]
        base = next((x["mean"] for x in rows if x["id"] == other and x["state"] == "ok"), None)
        goal = "<= %.1fx %s" % (most, other)
        if m and base:
            return goal + ": " + ok(m / base <= most) + " (%.2fx)" % (m / base)
        return goal
    if r["id"] == "ltail":
        return ">= 500 MB/s" + (": " + ok(r["bytes"] / 1e6 / m >= 500) if m else "")
    if r["id"] == "lparse":
        return ""
    if r["id"] == "lparse_raw":
        return ">= 2.5 M lines/s" + (": " + ok(r["lines"] / m >= 2.5e6) if m else "")
    if r["id"] == "lparse_custom":
        raw = next((x["mean"] for x in rows if x["id"] == "lparse_raw" and x["state"] == "ok"), None)
        if m and raw:
            return "<= 1.5x lparse on the raw log: " + ok(m / raw <= 1.5) + " (%.2fx)" % (m / raw)
        return "<= 1.5x lparse on the raw log"
    if r["id"] == "lparse_docker":
        raw = next((x["mean"] for x in rows if x["id"] == "lparse_raw" and x["state"] == "ok"), None)
        if m and raw:
            return "<= 1.5x lparse on the raw log: " + ok(m / raw <= 1.5) + " (%.2fx)" % (m / raw)
        return "<= 1.5x lparse on the raw log"
    if r["id"] == "lcount":
        return ">= 5 M records/s" + (": " + ok(r["lines"] / m >= 5e6) if m else "")
    if r["id"] == "lgrep":
        lc = by.get("lcount", {}).get("mean")
        if m and lc:
            return "as fast as lcount alone: " + ok(m <= lc) + " (%.2fx its time)" % (m / lc)
        return "as fast as lcount alone"
    return ""

def md(s):
    return s.replace("|", "\\|")

print("| what | command | mean ± σ (s) | throughput | vs mawk | 404 count | target |")
print("|---|---|---:|---|---:|---:|---|")
for r in rows:
    cmd = "`%s`" % md(r["cmd"])
    if r["state"] != "ok":
        status = {"missing": "not run", "not installed": "not installed"}.get(r["state"], "FAILED")
        note = md(r["note"]) if r["note"] else ""
        print("| %s | %s | %s | %s | | | %s |" % (r["label"], cmd, status, note, target(r)))
        continue
    m, sd = r["mean"], r["sd"]
    t = "%.3f ± %.3f" % (m, sd) if sd is not None else "%.3f" % m
    base = mawk_rt if r["id"].endswith("_rt") else mawk
    ratio = "%.2fx" % (m / base) if base else "n/a"
    print("| %s | %s | %s | %s | %s | %s | %s |" % (
        r["label"], cmd, t, throughput(r), ratio, r["count"], target(r)))

notes = [r for r in rows if r["state"] == "ok" and r["note"]]
if notes:
    print()
    for r in notes:
        print("- %s: %s" % (r["label"], r["note"].strip()))

# Count agreement.
print()
print("404 counts: " + ", ".join("%s=%s" % (r["id"], r["count"] or "?")
                                 for r in rows if r["count"] != "" or r["id"] in ("headline", "mawk")))
status = 0
h, mk = by.get("headline", {}), by.get("mawk", {})
if h.get("state") != "ok":
    print("**FAIL: the headline pipeline did not run (%s)**" % (h.get("note") or h.get("state")))
    status = 1
elif mk.get("state") != "ok" or not mk.get("count"):
    print("**FAIL: no mawk count to check the headline against**")
    status = 1
elif h["count"] != mk["count"]:
    print("**FAIL: headline counted %s 404s but mawk counted %s**" % (h["count"], mk["count"]))
    status = 1
else:
    print("headline agrees with mawk: %s" % h["count"])
for rid in ("gawk", "grep", "headline_docker", "lcount", "lgrep", "grep_records", "jq", "goaccess", "lnav", "agrind", "headline_rt", "mawk_rt"):
    r = by.get(rid)
    if r and r["state"] == "ok" and r["count"] and mk.get("count") and r["count"] != mk["count"]:
        print("warning: %s counted %s, mawk %s" % (rid, r["count"], mk["count"]))
sys.exit(status)
PY
status=$?
set -e
tee -a "$REPORT" <"$TMP/table.md"
out ""

if (( SAVE )); then
    RESULTS=bench/RESULTS.md
    if [[ ! -f $RESULTS ]]; then
        printf '# Benchmark results\n\nAppended by `bench/run.sh --save`; newest last. See bench/README.md.\n\n' >"$RESULTS"
    fi
    cat "$REPORT" >>"$RESULTS"
    log "appended to $RESULTS"
fi
if (( status != 0 )); then
    log "FAILED: see the count check above"
fi
exit "$status"
