#!/usr/bin/env python3
"""Overhead of tracing a syscall-heavy workload (issue 12): the same command run untraced, under
`strace -f -o /dev/null`, and under `sysprint run` (native tracer: its default, which fails closed, so
one stop per call through its seccomp filter; deny, the same; --fail open, two stops per call, the mode
attach uses by default; and --tracer strace), interleaved
trial by trial. Prints a Markdown table of wall-clock and CPU (user + system of the whole process
tree) medians, and the ratio the issue sets a target for: (native - untraced) / (strace - untraced)
<= 0.5, on wall-clock medians.

Usage: tracer_bench.py SYSPRINT_BIN [--aot NATIVE_BIN] [--trials N] [--workload find|tar|all]
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
    """Wall seconds, CPU seconds (user + system, the process and its waited-for descendants), exit code."""
    with open(out_path, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, usage.ru_utime + usage.ru_stime, proc.returncode


def variants(sysprint, db, name, cmd, label):
    """The modes timed, each named for what it does: run's default (alert) fails closed, so one stop
    per call; --fail open is the mode of attach's default, two stops per call."""
    run = [sysprint, "run", "--db", db, "--profile", name, "-q"]
    return {
        f"{label} run (the default: alert, fails closed: 1 stop per call)": [*run, "--", *cmd],
        f"{label} run --on-anomaly deny (fails closed: 1 stop per call)": [*run, "--on-anomaly", "deny", "--", *cmd],
        f"{label} run --fail open (alert, as attach's default: 2 stops per call)": [*run, "--fail", "open", "--", *cmd],
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("sysprint")
    parser.add_argument("--aot", help="the native (AOT) sysprint binary, timed too")
    parser.add_argument("--trials", type=int, default=7)
    parser.add_argument("--workload", default="all")
    args = parser.parse_args()
    names = list(WORKLOADS) if args.workload == "all" else [args.workload]
    work = tempfile.mkdtemp(prefix="sysprint-tracer-bench-")
    db = os.path.join(work, "bench.db")
    out = os.path.join(work, "out")
    print(f"# {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}, {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.1f} at start, {args.trials} trials each, interleaved", file=sys.stderr)
    rows = []
    for name in names:
        cmd = WORKLOADS[name]
        # The profile: learnt from two runs of the workload itself, its output to the same file as the
        # timed runs' (tar calls differently when it writes to /dev/null), so the checked runs are normal.
        for _ in range(2):
            with open(out, "wb") as learnt:
                subprocess.run([args.sysprint, "run", "--db", db, "--profile", name, "--learn", "--", *cmd],
                               stdout=learnt, stderr=subprocess.DEVNULL, check=True)
        runs = {
            "untraced": cmd,
            "strace -f -o /dev/null": ["strace", "-f", "-o", "/dev/null", "--", *cmd],
            **variants(args.sysprint, db, name, cmd, "sysprint"),
        }
        if args.aot:
            runs.update(variants(args.aot, db, name, cmd, "native binary"))
        runs["sysprint run --tracer strace"] = [args.sysprint, "run", "--db", db, "--profile", name, "-q",
                                                "--tracer", "strace", "--", *cmd]
        times = {v: [] for v in runs}
        cpus = {v: [] for v in runs}
        for _ in range(args.trials):
            for variant, argv in runs.items():
                elapsed, cpu, code = timed(argv, out)
                if code != 0:
                    # sysprint run exits 1 when the run was anomalous: deny would then change the workload.
                    print(f"{name}: {variant} exited {code}", file=sys.stderr)
                times[variant].append(elapsed)
                cpus[variant].append(cpu)
        base = statistics.median(times["untraced"])
        base_cpu = statistics.median(cpus["untraced"])
        strace_added = statistics.median(times["strace -f -o /dev/null"]) - base
        strace_cpu = statistics.median(cpus["strace -f -o /dev/null"]) - base_cpu
        for variant, ts in times.items():
            med = statistics.median(ts)
            cpu = statistics.median(cpus[variant])
            added = med - base
            ratio = "" if variant == "untraced" else f"{added / strace_added:.2f}"
            cpu_ratio = "" if variant == "untraced" else f"{(cpu - base_cpu) / strace_cpu:.2f}"
            rows.append((name, variant, med, min(ts), max(ts), added, ratio, cpu, cpu_ratio))
    print(f"load {os.getloadavg()[0]:.1f} at the end", file=sys.stderr)
    print("| workload | run | median s | min s | max s | added s | added / strace's added | CPU s | CPU added / strace's |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, variant, med, lo, hi, added, ratio, cpu, cpu_ratio in rows:
        print(f"| `{' '.join(WORKLOADS[name])}` | {variant} | {med:.2f} | {lo:.2f} | {hi:.2f} | {added:.2f} | {ratio} | {cpu:.2f} | {cpu_ratio} |")


if __name__ == "__main__":
    main()
