#!/usr/bin/env python3
"""Measures the agent's targets of issue 5 on this machine (run it through bench/agent/run.sh).

  latency     watch: offending line appended to a spool log, and a new log holding one, -> alert at
              each sink (stdout, jsonl, syslog udp, webhook); run: offending call made under strace
              -> alert at stdout and webhook
  throughput  100 VMs' logs growing at once at 200,000 syscalls/s in total: agent CPU, lag, drain;
              meanwhile, every --marker-every s, an offending line appended to a VM's log or a new
              log holding one (in turn): alert latency at the webhook under that load, p50/p99
  restarts    a run with a known number of anomalies, the agent killed with SIGKILL at 20 random
              moments and restarted at once: alerts lost or repeated at the jsonl file and the webhook
  rotation    a run with a known number of anomalies (issue 11 item 5) while the alert file is rotated
              as logrotate does, by 'create' (rename, new file) and by 'copytruncate' (copy, truncate),
              a VM's log is rotated each way too, and the program sink fails (exit 3, its input
              unread) for a while, then recovers: alerts expected, delivered, lost and duplicated
              at the jsonl files and the program's output, and internal alerts (none expected)

Only the Python standard library; receivers listen on 127.0.0.1. Prints one JSON object per
measurement on stdout; run.sh turns them into the Markdown table of docs/AGENT.md.
"""

import argparse
import http.server
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# run.sh builds a private copy of the CLI: the ./sysprint launcher would rebuild in the middle of
# a measurement whenever a source file changes, and a SIGKILL must hit the agent, not a launcher.
SYSPRINT = os.environ.get("SYSPRINT_BIN") or os.path.join(ROOT, "sysprint")
CLK_TCK = os.sysconf("SC_CLK_TCK")

# One request of a small web server, as strace -f -o prints it: the fingerprint's normal life.
CYCLE = [
    'openat(AT_FDCWD, "/var/www/index.html", O_RDONLY|O_CLOEXEC) = 3',
    'fstat(3, {st_mode=S_IFREG|0644, st_size=612, ...}) = 0',
    'read(3, "<!DOCTYPE html>\\n<html>\\n<head>\\n<title>"..., 4096) = 612',
    'read(3, "", 4096) = 0',
    'close(3) = 0',
    'write(1, "HTTP/1.1 200 OK\\r\\nContent-Length: 6"..., 128) = 128',
    'lseek(4, 0, SEEK_CUR) = 1024',
    'mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0a1c000000',
    'munmap(0x7f0a1c000000, 8192) = 0',
    'getpid() = 4242',
]
FOREIGN = ["socket", "bind", "listen", "connect", "accept", "sendto", "recvfrom", "sendmsg", "recvmsg", "shutdown",
           "getsockname", "getpeername", "socketpair", "setsockopt", "getsockopt", "uname", "kill", "setuid", "chmod",
           "unlink", "rename", "mkdir", "rmdir", "chown", "ptrace", "mount", "umount2", "reboot", "sethostname", "delete_module"]


def cycle_lines(pid, cycles):
    return "".join(f"{pid}  {line}\n" for _ in range(cycles) for line in CYCLE)


def sysprint(*args, check=True, capture=True):
    result = subprocess.run([SYSPRINT, *args], capture_output=capture, text=True)
    if check and result.returncode not in (0, 1):
        sys.exit(f"sysprint {' '.join(args)} failed ({result.returncode}): {result.stderr}")
    return result


def train(work, db):
    sample = os.path.join(work, "normal.strace")
    with open(sample, "w") as f:
        f.write(cycle_lines(100, 5) + "100  +++ exited with 0 +++\n")
    sysprint("train", "--db", db, sample)


class Receivers:
    """A webhook (HTTP) and a syslog (UDP) receiver on loopback; each record is (arrival time, payload)."""

    def __init__(self):
        self.webhook, self.syslog = [], []
        lock = threading.Lock()
        received = self.webhook

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                now = time.time()
                with lock:
                    received.append((now, json.loads(body)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.http = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}/falco"
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.syslog_spec = f"udp:127.0.0.1:{self.udp.getsockname()[1]}"
        threading.Thread(target=self._udp, daemon=True).start()

    def _udp(self):
        while True:
            data = self.udp.recv(65536)
            self.syslog.append((time.time(), data.decode()))

    def close(self):
        self.http.shutdown()


class Agent:
    """`sysprint watch` as a child process; its stdout lines are timestamped on arrival."""

    def __init__(self, args):
        self.args = args
        self.lines = []
        self.start()

    def start(self):
        self.proc = subprocess.Popen([SYSPRINT, "watch", *self.args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        proc = self.proc
        threading.Thread(target=self._read, args=(proc,), daemon=True).start()

    def _read(self, proc):
        for line in proc.stdout:
            self.lines.append((time.time(), line.rstrip("\n")))

    def kill(self, sig=signal.SIGKILL):
        self.proc.send_signal(sig)
        return self.proc.wait()

    def cpu_seconds(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK


def wait_ready(db, pid, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as c:
                row = c.execute("SELECT value FROM agent_info WHERE key = 'pid'").fetchone()
                state = c.execute("SELECT value FROM agent_info WHERE key = 'state'").fetchone()
                if row and int(row[0]) == pid and state and state[0] == "running":
                    return
        except sqlite3.Error:
            pass
        time.sleep(0.05)
    sys.exit("the agent did not start")


def percentiles(values):
    values = sorted(values)
    if not values:
        return {"n": 0}
    pick = lambda q: values[min(len(values) - 1, int(round(q * (len(values) - 1))))]
    return {"n": len(values), "p50_ms": round(pick(0.5) * 1000, 1), "p95_ms": round(pick(0.95) * 1000, 1),
            "p99_ms": round(pick(0.99) * 1000, 1), "max_ms": round(values[-1] * 1000, 1), "mean_ms": round(statistics.mean(values) * 1000, 1)}


def latency_watch(work, trials):
    db = os.path.join(work, "lat.db")
    spool = os.path.join(work, "spool")
    jsonl = os.path.join(work, "alerts.jsonl")
    train(work, db)
    rx = Receivers()
    agent = Agent(["--db", db, "--alerts-jsonl", jsonl, "--syslog", rx.syslog_spec, "--webhook", rx.url, spool])
    wait_ready(db, agent.proc.pid)
    found = {"stdout": [], "jsonl": [], "syslog": [], "webhook": []}
    jsonl_seen = {}

    def poll_jsonl():
        offset = 0
        while True:
            if os.path.exists(jsonl):
                with open(jsonl) as f:
                    f.seek(offset)
                    chunk = f.read()
                    offset += len(chunk.encode())
                now = time.time()
                for line in chunk.splitlines():
                    jsonl_seen[json.loads(line)["output_fields"]["log.name"]] = now
            time.sleep(0.001)

    threading.Thread(target=poll_jsonl, daemon=True).start()

    def arrivals(path, t0):
        deadline = t0 + 10
        arrived = {}
        while time.time() < deadline and len(arrived) < 4:
            for t, line in list(agent.lines):
                if path in line and "stdout" not in arrived:
                    arrived["stdout"] = t
            for t, body in list(rx.webhook):
                if body["output_fields"]["log.name"] == path and "webhook" not in arrived:
                    arrived["webhook"] = t
            for t, msg in list(rx.syslog):
                if f'log_name="{path}"' in msg and "syslog" not in arrived:
                    arrived["syslog"] = t
            if path in jsonl_seen and "jsonl" not in arrived:
                arrived["jsonl"] = jsonl_seen[path]
            time.sleep(0.001)
        return arrived

    found_new = {sink: [] for sink in found}
    for i in range(trials):
        # An offending line appended to a log being read.
        path = os.path.join(spool, f"vm-{i % 5}", f"trial-{i}.strace")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(cycle_lines(500 + i, 3))
        time.sleep(1.3)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        os.write(fd, f"{500 + i}  socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 5\n".encode())
        t0 = time.time()
        os.close(fd)
        arrived = arrivals(path, t0)
        for sink in found:
            found[sink].append(arrived.get(sink, float("inf")) - t0)
        # A new log that holds one: written whole, in one write.
        path = os.path.join(spool, f"vm-{i % 5}", f"new-{i}.strace")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(fd, (cycle_lines(600 + i, 3) + f"{600 + i}  socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 5\n").encode())
        t0 = time.time()
        os.close(fd)
        arrived = arrivals(path, t0)
        for sink in found_new:
            found_new[sink].append(arrived.get(sink, float("inf")) - t0)
        time.sleep(0.3)
    agent.kill(signal.SIGTERM)
    rx.close()

    def summary(found):
        return {sink: percentiles([v for v in values if v != float("inf")]) | {"missed": sum(v == float("inf") for v in values)}
                for sink, values in found.items()}

    return [{"measure": "latency_watch", "trials": trials, "sinks": summary(found)},
            {"measure": "latency_watch_new", "trials": trials, "sinks": summary(found_new)}]


STAMP_C = r"""
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv) {
    usleep(200000);
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    printf("stamp %ld.%09ld\n", (long)t.tv_sec, t.tv_nsec);
    fflush(stdout);
    if (argc > 1) close(socket(AF_INET, SOCK_STREAM, 0));
    usleep(500000);
    return 0;
}
"""


def latency_run(work, trials):
    db = os.path.join(work, "run.db")
    source = os.path.join(work, "stamp.c")
    program = os.path.join(work, "stamp")
    with open(source, "w") as f:
        f.write(STAMP_C)
    subprocess.run(["cc", "-O2", "-o", program, source], check=True)
    for _ in range(3):
        sysprint("run", "--db", db, "--profile", "stamp", "--learn", "--", program)
    rx = Receivers()
    stdout_lat, webhook_lat = [], []
    for _ in range(trials):
        rx.webhook.clear()
        proc = subprocess.Popen([SYSPRINT, "run", "--db", db, "--profile", "stamp", "--webhook", rx.url, "--", program, "x"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        stamp, alert_at = None, None
        for line in proc.stdout:
            now = time.time()
            if line.startswith("stamp "):
                stamp = float(line.split()[1])
            elif "Unknown system-call transition" in line and alert_at is None:
                alert_at = now
        proc.wait()
        if stamp is not None and alert_at is not None:
            stdout_lat.append(alert_at - stamp)
        if stamp is not None and rx.webhook:
            webhook_lat.append(rx.webhook[0][0] - stamp)
    rx.close()
    return {"measure": "latency_run", "trials": trials,
            "sinks": {"stdout": percentiles(stdout_lat), "webhook": percentiles(webhook_lat)}}


def lag_bytes(db, paths):
    size = sum(os.stat(p).st_size for p in paths if os.path.exists(p))
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as c:
            read = c.execute("SELECT COALESCE(SUM(bytes), 0) FROM agent_files").fetchone()[0]
    except sqlite3.Error:
        return None
    return max(0, size - read)


def throughput(work, vms, rate, seconds, marker_every=0.5, inotify=True):
    db = os.path.join(work, "tp.db")
    spool = os.path.join(work, "spool-tp")
    train(work, db)
    paths = [os.path.join(spool, f"vm-{i:03d}", "web.strace") for i in range(vms)]
    for p in paths:
        os.makedirs(os.path.dirname(p), exist_ok=True)
        open(p, "w").close()
    rx = Receivers()
    config = []
    if not inotify:
        config = ["--config", os.path.join(work, "no-inotify.json")]
        with open(config[1], "w") as f:
            f.write('{ "inotify": false }\n')
    agent = Agent([*config, "--db", db, "-q", "--webhook", rx.url, spool])
    wait_ready(db, agent.proc.pid)
    time.sleep(1.5)
    # Markers: every marker_every s, in turn, an offending line appended to the next VM's log, or a
    # new log in the next VM's folder holding one; its alert's latency at the webhook is the
    # agent's true lag under load (the checkpointed byte counts lag by up to a second).
    markers, kinds, next_marker = {}, {}, time.time() + 2.0
    fds = [os.open(p, os.O_WRONLY | os.O_APPEND) for p in paths]
    chunk_lines = 20
    chunks = [cycle_lines(1000 + i, chunk_lines // len(CYCLE)).encode() for i in range(vms)]
    per_chunk = chunk_lines * vms
    written = 0
    bytes_per_line = sum(len(c) for c in chunks) / per_chunk
    samples = []
    start = time.time()
    cpu0 = agent.cpu_seconds()
    next_sample = start + 1
    last_cpu, last_t = cpu0, start
    while True:
        now = time.time()
        if now - start >= seconds:
            break
        due = int((now - start) * rate)
        while written + per_chunk <= due:
            for fd, chunk in zip(fds, chunks):
                os.write(fd, chunk)
            written += per_chunk
        if now >= next_marker:
            n = len(markers)
            v = (n // 2) % vms
            if n % 2 == 0:
                os.write(fds[v], f"{1000 + v}  socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 5\n".encode())
                markers[(paths[v], n)] = time.time()
                kinds[(paths[v], n)] = "append"
            else:
                path = os.path.join(spool, f"vm-{v:03d}", f"new-{n}.strace")
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                os.write(fd, (cycle_lines(5000 + n, 3) + f"{5000 + n}  socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 5\n").encode())
                markers[(path, n)] = time.time()
                kinds[(path, n)] = "new"
                os.close(fd)
            written += 1
            next_marker += marker_every
        if now >= next_sample:
            cpu = agent.cpu_seconds()
            lag = lag_bytes(db, paths)
            samples.append({"t": round(now - start, 1), "cpu_cores": round((cpu - last_cpu) / (now - last_t), 3),
                            "lag_lines": None if lag is None else int(lag / bytes_per_line)})
            last_cpu, last_t = cpu, now
            next_sample += 1
        time.sleep(0.002)
    elapsed = time.time() - start
    cpu_total = agent.cpu_seconds() - cpu0
    for fd in fds:
        os.close(fd)
    drain_start = time.time()
    while time.time() - drain_start < 120:
        lag = lag_bytes(db, paths)
        if lag == 0:
            break
        time.sleep(0.1)
    drain = time.time() - drain_start
    agent.kill(signal.SIGTERM)
    rx.close()
    # The n-th alert of a log (appends: a VM's log takes a marker each time its turn comes back) is the n-th marker in it.
    arrived = {}
    for t, body in rx.webhook:
        arrived.setdefault(body["output_fields"]["log.name"], []).append(t)
    per_path = {}
    latency = {"append": [], "new": []}
    missed = {"append": 0, "new": 0}
    for (p, n), t0 in sorted(markers.items(), key=lambda m: m[0][1]):
        k = per_path.get(p, 0)
        per_path[p] = k + 1
        times = sorted(arrived.get(p, []))
        if k < len(times):
            latency[kinds[(p, n)]].append(times[k] - t0)
        else:
            missed[kinds[(p, n)]] += 1
    with sqlite3.connect(db) as c:
        syscalls = c.execute("SELECT SUM(syscalls) FROM agent_files").fetchone()[0]
    lags = [s["lag_lines"] for s in samples if s["lag_lines"] is not None]
    half = len(lags) // 2
    return {"measure": "throughput", "inotify": inotify, "vms": vms, "target_syscalls_per_s": rate, "seconds": round(elapsed, 1),
            "syscalls_written": written, "written_per_s": int(written / elapsed), "syscalls_read": syscalls,
            "agent_cpu_cores_mean": round(cpu_total / elapsed, 3), "agent_cpu_cores_max_1s": max(s["cpu_cores"] for s in samples),
            "lag_lines_max": max(lags), "lag_s_max": round(max(lags) / rate, 2),
            "lag_lines_mean_first_half": int(statistics.mean(lags[:half])), "lag_lines_mean_second_half": int(statistics.mean(lags[half:])),
            "drain_s": round(drain, 2),
            "alert_latency_under_load": percentiles(latency["append"] + latency["new"]) | {"missed": missed["append"] + missed["new"]},
            "alert_latency_append": percentiles(latency["append"]) | {"missed": missed["append"]},
            "alert_latency_new_log": percentiles(latency["new"]) | {"missed": missed["new"]},
            "note": "lag read from the agent's checkpoint (every 1 s), so it includes up to 1 s of checkpoint age",
            "samples": samples}


def vm_logs(rng, spool, vms, anomalies, first_pid):
    """Each VM's log (spool/vm-N/app.strace, not written yet) as its lines: 200 normal cycles with a
    foreign call inside `anomalies` of them, at places drawn from rng. Returns (paths, lines)."""
    paths, logs = [], []
    for v in range(vms):
        pid = first_pid + v
        at = set(rng.sample(range(200), anomalies))
        lines, used = [], 0
        for c in range(200):
            lines.extend(f"{pid}  {line}\n" for line in CYCLE[:5])
            if c in at:
                lines.append(f"{pid}  {FOREIGN[used]}(3) = 0\n")
                used += 1
            lines.extend(f"{pid}  {line}\n" for line in CYCLE[5:])
        path = os.path.join(spool, f"vm-{v}", "app.strace")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        paths.append(path)
        logs.append(lines)
    return paths, logs


def restarts(work, kills, vms, anomalies, seconds, seed):
    rng = random.Random(seed)
    db = os.path.join(work, "rs.db")
    spool = os.path.join(work, "spool-rs")
    jsonl = os.path.join(work, "rs.jsonl")
    train(work, db)
    rx = Receivers()
    paths, logs = vm_logs(rng, spool, vms, anomalies, first_pid=2000)
    args = ["--db", db, "-q", "--alerts-jsonl", jsonl, "--webhook", rx.url, spool]
    agent = Agent(args)
    kill_times = sorted(rng.uniform(1, seconds - 1) for _ in range(kills))
    total = max(len(l) for l in logs)
    start = time.time()
    written, killed = 0, 0
    while written < total or killed < kills:
        now = time.time() - start
        due = min(total, int(now / seconds * total))
        if written < due:
            for path, lines in zip(paths, logs):
                with open(path, "a") as f:
                    f.writelines(lines[written:due])
            written = due
        if killed < kills and now >= kill_times[killed]:
            agent.kill(signal.SIGKILL)
            agent.start()
            killed += 1
        time.sleep(0.01)
    expected = 0
    for path in paths:
        out = sysprint("check", "--db", db, "--json", path).stdout
        expected += json.loads(out)["distinct_mismatches"]
    deadline = time.time() + 120
    while time.time() < deadline:
        n = len(open(jsonl).read().splitlines()) if os.path.exists(jsonl) else 0
        if n >= expected and len({b["uuid"] for _, b in rx.webhook}) >= expected:
            break
        time.sleep(0.2)
    time.sleep(2)
    agent.kill(signal.SIGTERM)
    ids = [json.loads(l)["uuid"] for l in open(jsonl).read().splitlines()]
    hook = [b["uuid"] for _, b in rx.webhook]
    rx.close()
    return {"measure": "restarts", "sigkills": killed, "vms": vms, "anomalies_expected": expected,
            "jsonl_lines": len(ids), "jsonl_distinct": len(set(ids)), "jsonl_lost": expected - len(set(ids)), "jsonl_repeated": len(ids) - len(set(ids)),
            "webhook_posts": len(hook), "webhook_distinct": len(set(hook)), "webhook_lost": expected - len(set(hook)),
            "webhook_repeated_posts": len(hook) - len(set(hook)), "seconds": seconds}


def rotation(work, vms, anomalies, seconds, seed):
    """Issue 11 item 5: no alert lost or duplicated across logrotate create and copytruncate of the
    alert file (and of the VMs' logs) and a program sink that fails, then recovers."""
    rng = random.Random(seed)
    db = os.path.join(work, "rot.db")
    spool = os.path.join(work, "spool-rot")
    out = os.path.join(work, "out")
    os.makedirs(out)
    jsonl = os.path.join(out, "alerts.jsonl")
    program_out = os.path.join(out, "program.jsonl")
    failing = os.path.join(out, "program.failing")
    train(work, db)
    paths, logs = vm_logs(rng, spool, vms, anomalies, first_pid=3000)
    config = os.path.join(work, "rot.json")
    with open(config, "w") as f:
        # Retries capped at 2 s (default 30 s) so that the run ends soon after the program recovers.
        f.write('{ "retry_initial_ms": 250, "retry_max_ms": 2000 }\n')
    program = f"if [ -e {failing} ]; then exit 3; fi; cat >> {program_out}"
    agent = Agent(["--config", config, "--db", db, "-q", "--alerts-jsonl", jsonl, "--alert-program", program, spool])
    events = {0.2: "alerts create", 0.3: "program fails", 0.35: "log create", 0.5: "alerts copytruncate",
              0.6: "log copytruncate", 0.75: "program recovers"}
    done_events, timeline = set(), []

    def copytruncate(path, copy):
        # As logrotate's copytruncate: copy the content, then truncate the file in place.
        shutil.copyfile(path, copy)
        os.truncate(path, 0)

    total = max(len(l) for l in logs)
    start = time.time()
    written = 0
    while written < total:
        now = time.time() - start
        due = min(total, int(now / seconds * total))
        if written < due:
            for path, lines in zip(paths, logs):
                with open(path, "a") as f:
                    f.writelines(lines[written:due])
            written = due
        for at, what in events.items():
            if now >= at * seconds and what not in done_events:
                done_events.add(what)
                timeline.append((round(now, 1), what))
                if what == "alerts create":
                    os.rename(jsonl, jsonl + ".1")
                    os.close(os.open(jsonl, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640))
                elif what == "alerts copytruncate":
                    copytruncate(jsonl, jsonl + ".2")
                elif what == "program fails":
                    open(failing, "w").close()
                elif what == "program recovers":
                    os.remove(failing)
                elif what == "log create":
                    # The writer (this loop) goes on in a new file at the same path.
                    os.rename(paths[0], paths[0] + ".1")
                elif what == "log copytruncate":
                    copytruncate(paths[1], paths[1] + ".1")
        time.sleep(0.01)
    # What the agent should have raised: every log and rotated copy in the spool, checked apart
    # (a copy made by copytruncate holds what the log held: the same alerts, raised once).
    expected = 0
    for root, _, files in os.walk(spool):
        for name in files:
            result = json.loads(sysprint("check", "--db", db, "--json", os.path.join(root, name)).stdout)
            expected += result["distinct_mismatches"]

    def ids(files):
        found = []
        for file in files:
            if os.path.exists(file):
                found.extend(json.loads(line)["uuid"] for line in open(file).read().splitlines() if line)
        return found

    jsonl_files = [jsonl, jsonl + ".1", jsonl + ".2"]
    deadline = time.time() + 180
    while time.time() < deadline:
        if len(set(ids(jsonl_files))) >= expected and len(set(ids([program_out]))) >= expected:
            break
        time.sleep(0.2)
    time.sleep(2)
    agent.kill(signal.SIGTERM)
    with sqlite3.connect(db) as c:
        internal = c.execute("SELECT rule, log FROM agent_alerts WHERE source = 'internal'").fetchall()
    j, p = ids(jsonl_files), ids([program_out])
    return {"measure": "rotation", "vms": vms, "seconds": seconds, "timeline": timeline, "anomalies_expected": expected,
            "jsonl_lines": len(j), "jsonl_distinct": len(set(j)), "jsonl_lost": expected - len(set(j)), "jsonl_duplicated": len(j) - len(set(j)),
            "jsonl_per_file": {os.path.basename(f): len(ids([f])) for f in jsonl_files},
            "program_lines": len(p), "program_distinct": len(set(p)), "program_lost": expected - len(set(p)), "program_duplicated": len(p) - len(set(p)),
            "internal_alerts": internal}


def summarize(lines):
    """One human line per measurement, from the JSON lines of a run; with several throughput runs
    (REPEAT=N bench/agent/run.sh throughput), the medians of their latency percentiles too."""
    loads = []
    for line in lines:
        r = json.loads(line)
        if r["measure"] == "throughput":
            loads.append(r)
        m = r["measure"]
        if m.startswith("latency"):
            for sink, p in r["sinks"].items():
                print(f"{m:17} {sink:8} n={p['n']:3}  p50 {p.get('p50_ms')} ms  p95 {p.get('p95_ms')} ms  p99 {p.get('p99_ms')} ms  "
                      f"max {p.get('max_ms')} ms  missed {p.get('missed', 0)}")
        elif m == "throughput":
            a = r["alert_latency_under_load"]
            print(f"throughput     {'inotify' if r.get('inotify', True) else 'no inotify'}, {r['vms']} VMs, {r['written_per_s']:,} syscalls/s written for {r['seconds']} s, {r['syscalls_read']:,} read; "
                  f"agent CPU {r['agent_cpu_cores_mean']} cores mean, {r['agent_cpu_cores_max_1s']} max over 1 s; "
                  f"checkpointed lag max {r['lag_lines_max']:,} lines ({r['lag_s_max']} s); drained {r['drain_s']} s after the writers stopped; "
                  f"alert latency under load p50 {a.get('p50_ms')} / p95 {a.get('p95_ms')} / max {a.get('max_ms')} ms (n={a['n']}, missed {a['missed']})")
            for kind, key in (("append", "alert_latency_append"), ("new log", "alert_latency_new_log")):
                a = r.get(key)
                if a:
                    print(f"under load     {kind:8} n={a['n']:3}  p50 {a.get('p50_ms')} ms  p99 {a.get('p99_ms')} ms  max {a.get('max_ms')} ms  missed {a['missed']}")
        elif m == "rotation":
            print(f"rotation       {r['vms']} VMs over {r['seconds']} s ({', '.join(f'{what} at {t} s' for t, what in r['timeline'])}); "
                  f"{r['anomalies_expected']} alerts expected; jsonl {r['jsonl_distinct']} distinct in {r['jsonl_per_file']}, {r['jsonl_lost']} lost, "
                  f"{r['jsonl_duplicated']} duplicated; program {r['program_distinct']} distinct, {r['program_lost']} lost, {r['program_duplicated']} duplicated; "
                  f"internal alerts {len(r['internal_alerts'])}")
        elif m == "restarts":
            print(f"restarts       {r['sigkills']} SIGKILLs over {r['seconds']} s, {r['anomalies_expected']} alerts expected; "
                  f"jsonl {r['jsonl_distinct']} distinct, {r['jsonl_lost']} lost, {r['jsonl_repeated']} repeated; "
                  f"webhook {r['webhook_distinct']} distinct, {r['webhook_lost']} lost, {r['webhook_repeated_posts']} repeated POSTs (same uuid)")

    if len(loads) > 1:
        for key, kind in (("alert_latency_append", "append"), ("alert_latency_new_log", "new log")):
            runs = [r[key] for r in loads if r.get(key, {}).get("n")]
            if runs:
                print(f"median of {len(runs)} runs under load, {kind}: p50 {statistics.median(x['p50_ms'] for x in runs)} ms, "
                      f"p99 {statistics.median(x['p99_ms'] for x in runs)} ms (p99 per run: {', '.join(str(x['p99_ms']) for x in runs)}; "
                      f"missed {sum(x['missed'] for x in runs)})")
        print(f"median of {len(loads)} runs: agent CPU {statistics.median(r['agent_cpu_cores_mean'] for r in loads)} cores mean")

def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["latency", "throughput", "restarts", "rotation", "all", "summarize"])
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--vms", type=int, default=100)
    parser.add_argument("--rate", type=int, default=200_000)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--no-inotify", action="store_true", help="throughput: the agent without inotify (rescan and polls only), to compare")
    parser.add_argument("--marker-every", type=float, default=0.5, help="seconds between latency markers under load (throughput)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    if args.what == "summarize":
        summarize(sys.stdin)
        return
    work = tempfile.mkdtemp(prefix="sysprint-agent-bench-")
    try:
        if args.what in ("latency", "all"):
            for record in latency_watch(work, args.trials):
                print(json.dumps(record), flush=True)
            print(json.dumps(latency_run(work, max(5, args.trials // 3))), flush=True)
        if args.what in ("throughput", "all"):
            print(json.dumps(throughput(work, args.vms, args.rate, args.seconds, args.marker_every, not args.no_inotify)), flush=True)
        if args.what in ("rotation", "all"):
            print(json.dumps(rotation(work, 5, 12, max(30, args.seconds), args.seed)), flush=True)
        if args.what in ("restarts", "all"):
            print(json.dumps(restarts(work, args.kills, 5, 12, max(40, args.kills * 3), args.seed)), flush=True)
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
