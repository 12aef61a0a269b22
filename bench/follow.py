#!/usr/bin/env python3
"""Following benchmark: latency from append to output, idle CPU, memory.

    bench/follow.py [--bin target/release/ltail] [--files 1,100,1000] [--lines 2000]

For each number of files N: starts `ltail -f` on N files in a temporary
directory (and, for comparison, GNU `tail -F` on the same files), appends
lines to random files at a steady rate, each line carrying its write time,
and measures when each line comes out of the follower's stdout. Then it
leaves the files idle for 5 s and measures the follower's CPU time over that
period (from /proc), and its resident memory. Local files only, bounded in
lines and time.
"""
import argparse
import json
import os
import random
import select
import subprocess
import sys
import tempfile
import time

CLK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    k = max(1, int(-(-p * len(sorted_values) // 100)))
    return sorted_values[k - 1]


def run(cmd, nfiles, nlines, rate, rng, parse):
    with tempfile.TemporaryDirectory() as d:
        paths = [os.path.join(d, f"f{i:04}.log") for i in range(nfiles)]
        for p in paths:
            open(p, "w").close()
        proc = subprocess.Popen(cmd + paths, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        time.sleep(0.5 + nfiles / 2000)
        handles = [open(p, "a", buffering=1) for p in paths]
        sent = {}
        lat = []
        buf = b""
        interval = 1.0 / rate
        next_t = time.monotonic()
        i = 0
        deadline = None
        while True:
            now = time.monotonic()
            if i < nlines and now >= next_t:
                t = time.monotonic_ns()
                handles[rng.randrange(nfiles)].write(f"line {i} {t}\n")
                sent[i] = t
                i += 1
                next_t += interval
                if i == nlines:
                    deadline = time.monotonic() + 5
            timeout = max(0.0, next_t - time.monotonic()) if i < nlines else 0.2
            r, _, _ = select.select([proc.stdout], [], [], timeout)
            if r:
                chunk = os.read(proc.stdout.fileno(), 1 << 16)
                got = time.monotonic_ns()
                buf += chunk
                *lines, buf = buf.split(b"\n")
                for line in lines:
                    text = parse(line)
                    if text and text.startswith("line "):
                        _, n, t = text.split()
                        lat.append((got - int(t)) / 1e6)
            if deadline and (len(lat) >= nlines or time.monotonic() > deadline):
                break
        cpu0 = cpu_seconds(proc.pid)
        time.sleep(5)
        idle_cpu = cpu_seconds(proc.pid) - cpu0
        rss = rss_kib(proc.pid)
        proc.terminate()
        proc.wait()
        for h in handles:
            h.close()
        lat.sort()
        return {
            "received": len(lat),
            "p50_ms": percentile(lat, 50),
            "p99_ms": percentile(lat, 99),
            "max_ms": lat[-1] if lat else float("nan"),
            "idle_cpu_s": idle_cpu,
            "rss_mib": rss / 1024,
        }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default="target/release/ltail")
    ap.add_argument("--files", default="1,100,1000")
    ap.add_argument("--lines", type=int, default=2000)
    ap.add_argument("--rate", type=float, default=500.0, help="lines per second")
    a = ap.parse_args()
    rng = random.Random(1)

    def from_ltail(line):
        try:
            return json.loads(line)["line"]
        except (ValueError, KeyError):
            return None

    def from_tail(line):
        return line.decode(errors="replace")

    print(f"| follower | files | lines received | p50 ms | p99 ms | max ms | CPU while idle (5 s) | RSS MiB |")
    print(f"|---|---:|---:|---:|---:|---:|---:|---:|")
    for n in [int(x) for x in a.files.split(",")]:
        for name, cmd, parse in [
            ("ltail -f", [a.bin, "-f", "-n", "0"], from_ltail),
            ("tail -F", ["tail", "-q", "-F", "-n", "0"], from_tail),
        ]:
            r = run(cmd, n, a.lines, a.rate, rng, parse)
            print(f"| {name} | {n} | {r['received']}/{a.lines} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | "
                  f"{r['max_ms']:.2f} | {r['idle_cpu_s']:.2f} s | {r['rss_mib']:.1f} |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
