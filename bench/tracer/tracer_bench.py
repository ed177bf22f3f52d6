#!/usr/bin/env python3
"""Overhead of tracing a syscall-heavy workload (issue 12): the same command run untraced, under
`strace -f -o /dev/null`, and under `sysprint run` (native tracer, and strace for comparison),
interleaved trial by trial, wall-clock medians. Prints a Markdown table and the ratio the issue
sets a target for: (native - untraced) / (strace - untraced) <= 0.5.

Usage: tracer_bench.py SYSPRINT_BIN [--trials N] [--workload find|tar|all]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

WORKLOADS = {
    "find": ["find", "/usr/share"],
    "tar": ["tar", "cf", "-", "/usr/share/doc"],
}


def timed(argv, out_path):
    with open(out_path, "wb") as out:
        start = time.perf_counter()
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.DEVNULL)
        elapsed = time.perf_counter() - start
    return elapsed, done.returncode


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("sysprint")
    parser.add_argument("--trials", type=int, default=7)
    parser.add_argument("--workload", default="all")
    args = parser.parse_args()
    names = list(WORKLOADS) if args.workload == "all" else [args.workload]
    work = tempfile.mkdtemp(prefix="sysprint-tracer-bench-")
    db = os.path.join(work, "bench.db")
    out = os.path.join(work, "out")
    print(f"# {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}, {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.1f}, {args.trials} trials each, interleaved", file=sys.stderr)
    rows = []
    for name in names:
        cmd = WORKLOADS[name]
        # The profile: learnt from two runs of the workload itself, so the checked runs are normal.
        for _ in range(2):
            subprocess.run([args.sysprint, "run", "--db", db, "--profile", name, "--learn", "--", *cmd],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        variants = {
            "untraced": cmd,
            "strace -f -o /dev/null": ["strace", "-f", "-o", "/dev/null", "--", *cmd],
            "sysprint run (native, alert)": [args.sysprint, "run", "--db", db, "--profile", name, "-q", "--", *cmd],
            "sysprint run (native, deny)": [args.sysprint, "run", "--db", db, "--profile", name, "-q",
                                            "--on-anomaly", "deny", "--", *cmd],
            "sysprint run --tracer strace": [args.sysprint, "run", "--db", db, "--profile", name, "-q",
                                             "--tracer", "strace", "--", *cmd],
        }
        times = {v: [] for v in variants}
        for _ in range(args.trials):
            for variant, argv in variants.items():
                elapsed, code = timed(argv, out)
                if code not in (0,):
                    print(f"{name}: {variant} exited {code}", file=sys.stderr)
                times[variant].append(elapsed)
        base = statistics.median(times["untraced"])
        strace_added = statistics.median(times["strace -f -o /dev/null"]) - base
        for variant, ts in times.items():
            med = statistics.median(ts)
            added = med - base
            ratio = "" if variant == "untraced" else f"{added / strace_added:.2f}"
            rows.append((name, variant, med, min(ts), max(ts), added, ratio))
    print("| workload | run | median s | min s | max s | added s | added / strace's added |")
    print("|---|---|---|---|---|---|---|")
    for name, variant, med, lo, hi, added, ratio in rows:
        print(f"| `{' '.join(WORKLOADS[name])}` | {variant} | {med:.2f} | {lo:.2f} | {hi:.2f} | {added:.2f} | {ratio} |")


if __name__ == "__main__":
    main()
