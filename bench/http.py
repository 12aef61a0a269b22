#!/usr/bin/env python3
"""hprobe against wrk, oha, hey and ab, on the same nginx, in the same run.

    python3 bench/http.py            # build hprobe, run, print a Markdown report
    python3 bench/http.py --save     # ... and append it to bench/RESULTS.md

Two parts (see bench/README.md):

1. Throughput: requests/s at concurrency 1, 10 and 50 against one nginx
   worker on 127.0.0.1 serving a 615-byte page (nginx's default index),
   each tool for the same time. hprobe writes its per-request records to a
   file while it runs; the others keep only their summaries.

2. Latency under a fixed rate (open model): a small server in this script
   answers at once, except that for 200 ms of every second it holds every
   answer (a stall, such as a GC pause). At -q RATE -c 10 the exact
   latency each request should see, counted from when it was due (the
   wrk2 correction for coordinated omission), is known from the schedule;
   hprobe's percentiles are compared with that, and with oha's
   `--latency-correction` and uncorrected figures where oha is installed.

All traffic is on 127.0.0.1, bounded by --seconds per run.
"""

import argparse
import asyncio
import json
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HPROBE = os.path.join(ROOT, "target", "release", "hprobe")
NGINX = "/usr/sbin/nginx"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    sys.exit(f"http.py: nothing listens on 127.0.0.1:{port}")


def find(name, extra=()):
    for path in extra:
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return shutil.which(name)


def version(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        text = (out.stdout + out.stderr).strip().splitlines()
        return text[0] if text else "?"
    except (OSError, subprocess.TimeoutExpired):
        return "?"


class Nginx:
    """One nginx worker, no access log, keep-alive without a request cap."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="logkit-bench-nginx-")
        self.port = free_port()
        www = os.path.join(self.dir, "www")
        os.makedirs(www)
        with open(os.path.join(www, "index.html"), "w") as f:
            f.write("x" * 614 + "\n")
        d = self.dir
        conf = f"""daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    keepalive_requests 10000000;
    client_body_temp_path {d}/body; proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fcgi; uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;
    server {{ listen 127.0.0.1:{self.port} backlog=1024; root {www}; }}
}}
"""
        with open(os.path.join(d, "nginx.conf"), "w") as f:
            f.write(conf)
        self.proc = subprocess.Popen(
            [NGINX, "-p", d + "/", "-e", d + "/error.log", "-c", d + "/nginx.conf"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_listening(self.port)
        self.url = f"http://127.0.0.1:{self.port}/index.html"

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


# The client CPU time (user + system) of the last command `run` ran, in
# seconds, and its context switches (voluntary and not): the growth of
# getrusage(RUSAGE_CHILDREN), which counts children once they are reaped
# (nginx, a child too, is reaped only at the end).
LAST_CPU = [0.0]
LAST_CSW = [0]


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime, r.ru_nvcsw + r.ru_nivcsw


def run(cmd, timeout, stdout=subprocess.PIPE):
    before, csw = children_cpu()
    p = subprocess.run(cmd, stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=timeout)
    after, csw_after = children_cpu()
    LAST_CPU[0] = after - before
    LAST_CSW[0] = csw_after - csw
    return p


def rate_hprobe(url, c, secs, records, binary=HPROBE):
    with open(records, "w") as out:
        p = run([binary, "-z", f"{secs}s", "-c", str(c), "--summary", "json", url],
                secs + 30, stdout=out)
    summary = json.loads(p.stderr.strip().splitlines()[-1])
    with open(records) as f:
        lines = sum(1 for _ in f)
    if lines != summary["requests"]:
        raise RuntimeError(f"{lines} records but the summary says {summary['requests']}")
    bad = summary["requests"] - summary["status"].get("200", 0)
    return summary["requests"] / summary["elapsed"], bad, cpu_per(summary["requests"])


def cpu_per(requests):
    """The last run's CPU time per request, in microseconds, and its
    context switches per request."""
    if not requests:
        return None
    return (LAST_CPU[0] / requests * 1e6, LAST_CSW[0] / requests)


def rate_wrk(wrk, url, c, secs):
    p = run([wrk, "-t", str(min(2, c)), "-c", str(c), "-d", f"{secs}s", url], secs + 30)
    m = re.search(r"Requests/sec:\s+([\d.]+)", p.stdout)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)", p.stdout)
    done = re.search(r"(\d+) requests in", p.stdout)
    return float(m.group(1)), (errors.group(0) if errors else 0), cpu_per(int(done.group(1)))


def rate_oha(oha, url, c, secs):
    p = run([oha, "-z", f"{secs}s", "-c", str(c), "--no-tui", "--output-format", "json", url],
            secs + 30)
    j = json.loads(p.stdout)
    ok = j.get("statusCodeDistribution", {}).get("200", 0)
    total = sum(j.get("statusCodeDistribution", {}).values())
    bad = total - ok + sum(j.get("errorDistribution", {}).values())
    return j["summary"]["requestsPerSec"], bad, cpu_per(total)


def rate_hey(hey, url, c, secs):
    p = run([hey, "-z", f"{secs}s", "-c", str(c), url], secs + 30)
    m = re.search(r"Requests/sec:\s+([\d.]+)", p.stdout)
    codes = re.findall(r"\[(\d+)\]\s+(\d+) responses", p.stdout)
    non200 = sum(int(n) for code, n in codes if code != "200")
    return float(m.group(1)), non200, cpu_per(sum(int(n) for _, n in codes))


def rate_ab(ab, url, c, secs):
    p = run([ab, "-k", "-q", "-c", str(c), "-t", str(secs), "-n", "100000000", url], secs + 60)
    m = re.search(r"Requests per second:\s+([\d.]+)", p.stdout)
    failed = re.search(r"Failed requests:\s+(\d+)", p.stdout)
    done = re.search(r"Complete requests:\s+(\d+)", p.stdout)
    return (float(m.group(1)), int(failed.group(1)) if failed else "?",
            cpu_per(int(done.group(1))))


# ---------------------------------------------------------------------------
# The stalling server, and the latency each request should see.

STALL_EVERY = 1.0
STALL_FOR = 0.2


class Staller:
    """Answers `ok` at once, except during the first STALL_FOR seconds of
    every STALL_EVERY seconds (counted from `t0`), when answers wait for the
    stall to end."""

    def __init__(self):
        self.port = free_port()
        self.t0 = None
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        threading.Thread(target=self._serve, args=(ready,), daemon=True).start()
        ready.wait(10)
        wait_listening(self.port)

    def _serve(self, ready):
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", self.port, backlog=1024))
        ready.set()
        self.loop.run_until_complete(server.serve_forever())

    async def _handle(self, reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                if not head:
                    break
                now = time.monotonic()
                if self.t0 is not None:
                    into = (now - self.t0) % STALL_EVERY
                    if into < STALL_FOR:
                        await asyncio.sleep(STALL_FOR - into)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def expected_latencies(rate, secs):
    """The latency of each request due at i/rate, if the server answered in
    no time outside stalls: the rest of the stall it falls in. The stalls
    start at the run's start (the server's t0 is set just before)."""
    out = []
    for i in range(int(rate * secs)):
        into = (i / rate) % STALL_EVERY
        out.append(STALL_FOR - into if into < STALL_FOR else 0.0)
    return out


def pct(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    k = max(0, min(len(values) - 1, int(round(p / 100 * len(values) + 0.5)) - 1))
    return values[k]


def latency_part(args, oha, lines):
    rate, secs = args.rate, args.seconds
    st = Staller()
    url = f"http://127.0.0.1:{st.port}/"
    rows = []
    expect = expected_latencies(rate, secs)
    rows.append(("expected (from the schedule)", [pct(expect, p) for p in (50, 90, 99)], ""))

    # hprobe: the stalls start when it starts (t0 set just before).
    records = os.path.join(tempfile.gettempdir(), "logkit-bench-rate.ndjson")
    st.t0 = time.monotonic()
    with open(records, "w") as out:
        p = run([HPROBE, "-q", str(rate), "-z", f"{secs}s", "-c", "10", "--summary", "json", url],
                secs + 30, stdout=out)
    summary = json.loads(p.stderr.strip().splitlines()[-1])
    with open(records) as f:
        rts = [json.loads(line)["rt"] for line in f if '"status"' in line]
    lat = summary.get("latency", {})
    rows.append((f"hprobe -q {rate:g} -c 10",
                 [lat.get("p50"), lat.get("p90"), lat.get("p99")],
                 f"{summary['requests']} requests, {summary['late']} late; "
                 f"p90 of the records' rt {pct(rts, 90):.4f}"))
    if oha:
        for corrected in (True, False):
            cmd = [oha, "-q", str(rate), "-z", f"{secs}s", "-c", "10", "--no-tui",
                   "--output-format", "json", url]
            if corrected:
                cmd.insert(-1, "--latency-correction")
            st.t0 = time.monotonic()
            p = run(cmd, secs + 30)
            j = json.loads(p.stdout)
            lp = j.get("latencyPercentiles", {})
            rows.append(("oha -q %g -c 10%s" % (rate, " --latency-correction" if corrected else ""),
                         [lp.get("p50"), lp.get("p90"), lp.get("p99")],
                         f"{sum(j.get('statusCodeDistribution', {}).values())} requests"))
    lines.append("")
    lines.append(f"Latency at a fixed rate against a server that stalls {STALL_FOR*1000:.0f} ms "
                 f"of every {STALL_EVERY:.0f} s ({secs} s, -q {rate:g}, -c 10), in ms:")
    lines.append("")
    lines.append("| measurement | p50 | p90 | p99 | notes |")
    lines.append("|---|---|---|---|---|")
    for name, ps, note in rows:
        cells = " | ".join("?" if v is None else f"{v*1000:.1f}" for v in ps)
        lines.append(f"| {name} | {cells} | {note} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--save", action="store_true", help="append the report to bench/RESULTS.md")
    ap.add_argument("--no-build", action="store_true", help="skip cargo build --release")
    ap.add_argument("--seconds", type=int, default=5, help="seconds per run (default 5)")
    ap.add_argument("--concurrency", default="1,10,50", help="list (default 1,10,50)")
    ap.add_argument("--repeat", type=int, default=3, help="rounds of every tool (default 3)")
    ap.add_argument("--rate", type=float, default=200, help="-q for the latency part (default 200)")
    ap.add_argument("--oha", help="path of oha (default: PATH, ~/.cargo/bin, /tmp/oha/bin)")
    ap.add_argument("--baseline", help="another hprobe binary (an earlier commit's) to run "
                    "in the same rounds, as `hprobe-baseline`")
    args = ap.parse_args()

    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "hprobe"], cwd=ROOT, check=True)
    if not os.path.isfile(NGINX):
        sys.exit("http.py: nginx is needed (apt-get install nginx)")
    home = os.path.expanduser("~")
    tools = {
        "wrk": find("wrk"),
        "oha": args.oha or find("oha", (f"{home}/.cargo/bin/oha", "/tmp/oha/bin/oha")),
        "hey": find("hey"),
        "ab": find("ab"),
    }
    lines = []
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                if l.startswith("model name")), "?")
    lines.append(f"## hprobe: {time.strftime('%Y-%m-%d %H:%M')} UTC, commit {commit}")
    lines.append("")
    lines.append(f"Machine: {os.cpu_count()} CPUs, {cpu}; nginx: {version([NGINX, '-v'])}; "
                 f"{args.seconds} s per run, one nginx worker on the same machine.")
    for name, path in tools.items():
        lines.append(f"- {name}: {version([path, '--version']) if path and name not in ('ab', 'wrk', 'hey') else (path or 'not installed')}")
    lines.append("")

    nginx = Nginx()
    try:
        runs = {}
        concs = [int(c) for c in args.concurrency.split(",")]
        records = os.path.join(tempfile.gettempdir(), "logkit-bench-records.ndjson")
        # Rounds of every tool in turn, so that a slow spell of the machine
        # falls on all of them; the median of the rounds is reported.
        for rnd in range(args.repeat):
            for c in concs:
                got = [("hprobe", rate_hprobe(nginx.url, c, args.seconds, records))]
                if args.baseline:
                    got.append(("hprobe-baseline",
                                rate_hprobe(nginx.url, c, args.seconds, records, args.baseline)))
                for name, fn in (("wrk", rate_wrk), ("oha", rate_oha), ("hey", rate_hey),
                                 ("ab", rate_ab)):
                    if tools[name]:
                        try:
                            got.append((name, fn(tools[name], nginx.url, c, args.seconds)))
                        except Exception as e:  # a tool's failure only marks its cell
                            got.append((name, (None, f"failed: {e}", None)))
                for name, r in got:
                    runs.setdefault((name, c), []).append(r)
                print(f"round {rnd + 1} c={c}: " + ", ".join(
                    f"{n} {r[0]:.0f}/s" for n, r in got if r[0]), file=sys.stderr)
    finally:
        nginx.stop()
    results = {}
    spread = {}
    cpus = {}
    csws = {}
    for key, rs in runs.items():
        rates = sorted(r[0] for r in rs if r[0] is not None)
        odd = [r[1] for r in rs if r[1]]
        results[key] = (rates[len(rates) // 2] if rates else None, odd[0] if odd else 0)
        spread[key] = (rates[0], rates[-1]) if rates else None
        cpu = sorted(r[2][0] for r in rs if r[2] is not None)
        cpus[key] = cpu[len(cpu) // 2] if cpu else None
        csw = sorted(r[2][1] for r in rs if r[2] is not None)
        csws[key] = csw[len(csw) // 2] if csw else None

    names = ["hprobe"] + [n for n in ("wrk", "oha", "hey", "ab") if tools[n]]
    if args.baseline:
        names.insert(1, "hprobe-baseline")
    lines.append("Requests/s against nginx (higher is better; the median of "
                 f"{args.repeat} rounds, with the range); hprobe writes every record "
                 "to a file as it goes:")
    lines.append("")
    lines.append("| tool | " + " | ".join(f"c={c}" for c in concs) + " |")
    lines.append("|---|" + "---|" * len(concs))
    for n in names:
        cells = []
        for c in concs:
            r = results.get((n, c))
            cell = "?" if not r or r[0] is None else f"{r[0]:,.0f}"
            if args.repeat > 1 and spread.get((n, c)):
                lo, hi = spread[(n, c)]
                cell += f" ({lo:,.0f}–{hi:,.0f})"
            cells.append(cell)
        lines.append(f"| {n} | " + " | ".join(cells) + " |")
    for other in ("wrk", "oha", "ab"):
        if tools[other]:
            ratios = []
            for c in concs:
                a, b = results[("hprobe", c)][0], results.get((other, c), (None,))[0]
                ratios.append(f"{a / b:.2f}" if a and b else "?")
            lines.append(f"| hprobe / {other} | " + " | ".join(ratios) + " |")
    if args.baseline:
        ratios = []
        for c in concs:
            a, b = results[("hprobe", c)][0], results[("hprobe-baseline", c)][0]
            ratios.append(f"{a / b:.2f}" if a and b else "?")
        lines.append("| hprobe / hprobe-baseline | " + " | ".join(ratios) + " |")
    best = []
    for c in concs:
        others = [results[(n, c)][0] for n in names if n not in ("hprobe", "hprobe-baseline")
                  and results.get((n, c), (None,))[0]]
        a = results[("hprobe", c)][0]
        best.append(f"{a / max(others):.2f}" if a and others else "?")
    lines.append("| hprobe / the best other | " + " | ".join(best) + " |")
    lines.append("")
    def per_tool_table(title, figures, form):
        """A table of one figure per tool and concurrency, '?' where missing."""
        lines.extend([title, "", "| tool | " + " | ".join(f"c={c}" for c in concs) + " |",
                      "|---|" + "---|" * len(concs)])
        for n in names:
            cells = [form.format(figures[(n, c)]) if figures.get((n, c)) is not None else "?"
                     for c in concs]
            lines.append(f"| {n} | " + " | ".join(cells) + " |")

    per_tool_table("Client CPU time (user + system, getrusage of the tool's process) per "
                   "request, in µs (lower is better; the median of the rounds):",
                   {k: v for k, v in cpus.items() if v}, "{:.1f}")
    lines.append("")
    per_tool_table("Context switches of the tool's process (voluntary and not, getrusage) per "
                   "request (a thread going to sleep and waking; the median of the rounds):",
                   csws, "{:.2f}")
    odd = [(n, c, r[1]) for (n, c), r in results.items() if r[1]]
    if odd:
        lines.append("")
        lines.append("Not 200 or failed: " + "; ".join(f"{n} c={c}: {e}" for n, c, e in odd))

    latency_part(args, tools["oha"], lines)
    report = "\n".join(lines) + "\n"
    print(report)
    if args.save:
        with open(os.path.join(ROOT, "bench", "RESULTS.md"), "a") as f:
            f.write("\n" + report)


if __name__ == "__main__":
    main()
