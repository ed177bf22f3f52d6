#!/usr/bin/env python3
"""Load test of `sysprint serve` (issue 13, "Real parts and proof"): simulated agents, each with
real HTTP clients (keep-alive connections of their own: one for alerts, one for heartbeats, as the
agent's outbox and heartbeat service are apart), enroll against one of the serve instances in
turn, then send their share of the alerts in batches and a heartbeat every second. Prints one JSON
object: alerts/s ingested, request latency p50/p99 per kind, and what PostgreSQL stored.

Usage: load.py --servers URL[,URL...] --secret SECRET [--agents 200] [--alerts 100000] [--batch 20]
               [--heartbeat-s 1.0]
"""
import argparse
import http.client
import json
import statistics
import sys
import threading
import time
import urllib.parse
import uuid
from datetime import datetime, timezone


def percentile(values, p):
    if not values:
        return None
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(p / 100.0 * (len(ordered) - 1)))))
    return ordered[k]


class Agent(threading.Thread):
    def __init__(self, index, server, secret, alerts, batch, heartbeat_s, start_gate, results, all_sent=None):
        super().__init__(daemon=True)
        self.done = threading.Event()
        self.all_sent = all_sent
        self.beats = None
        self.index = index
        self.url = urllib.parse.urlsplit(server)
        self.secret = secret
        self.alerts = alerts
        self.batch = batch
        self.heartbeat_s = heartbeat_s
        self.start_gate = start_gate
        self.results = results
        self.host = f"bench-{index:04d}"
        self.conn = None

    def request(self, method, path, body, credential=None):
        headers = {"Content-Type": "application/json"}
        if credential:
            headers["Authorization"] = "Bearer " + credential
        data = json.dumps(body).encode()
        for attempt in range(20):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(self.url.hostname, self.url.port, timeout=60)
                t0 = time.perf_counter()
                self.conn.request(method, path, data, headers)
                response = self.conn.getresponse()
                text = response.read()
                elapsed = time.perf_counter() - t0
                if response.status in (408, 429) or response.status >= 500:
                    # As the agent does: throttled (429), a body Kestrel found too slow under load
                    # (408, which closes the connection) or a failing server: the same batch again
                    # (stored once per uuid).
                    self.results["retries"][self.index] += 1
                    if response.status == 408 or response.will_close:
                        self.conn.close()
                        self.conn = None
                    time.sleep(0.2 * (attempt + 1))
                    continue
                if response.status >= 400:
                    raise RuntimeError(f"{self.host}: {method} {path} answered {response.status}: {text[:200]!r}")
                return json.loads(text), elapsed
            except (ConnectionError, http.client.HTTPException, OSError):
                self.results["retries"][self.index] += 1
                self.conn = None
                time.sleep(0.2 * (attempt + 1))
        raise RuntimeError(f"{self.host}: {method} {path} failed 20 times")

    def alert(self, n):
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        vm = f"vm-{n % 8}"
        return {
            "uuid": str(uuid.uuid4()), "time": now, "rule": "Unknown system-call transition", "priority": "Critical",
            "source": "syscall", "hostname": self.host,
            "output": f"Unknown system-call transition read -> socket in log /spool/{vm}/run-{n}.strace",
            "tags": ["sysprint"],
            "output_fields": {"log.name": f"/spool/{vm}/run-{n}.strace", "log.line": n % 1000, "vm.name": vm, "proc.pid": 1000 + n % 50,
                              "mismatch.prev": "read", "mismatch.next": "socket", "mismatch.count": 1, "mismatch.window": "read socket",
                              "profile": "default", "detector": "paper", "program": "cat"},
        }

    def run(self):
        try:
            enrolled, _ = self.request("POST", "/api/agent/enroll", {"enroll_secret": self.secret, "host": self.host})
            credential = enrolled["credential"]
            self.beats = Heartbeats(self, credential, self.all_sent)
            self.start_gate.wait()
            self.beats.start()
            sent = 0
            while sent < self.alerts:
                n = min(self.batch, self.alerts - sent)
                answer, elapsed = self.request("POST", "/api/agent/alerts", {"alerts": [self.alert(sent + i) for i in range(n)]}, credential)
                self.results["alerts"][self.index].append(elapsed)
                self.results["stored"][self.index] += answer["stored"]
                sent += n
            self.done.set()
        except Exception as e:  # reported, never swallowed: the run fails
            self.results["errors"].append(str(e))
            self.done.set()


class Heartbeats(threading.Thread):
    """One agent's heartbeats, every heartbeat_s on a connection of their own, until every agent's
    alerts are sent: a real agent keeps beating after its alerts, so all of them beat the whole run."""

    def __init__(self, agent, credential, stop):
        super().__init__(daemon=True)
        self.agent = agent
        self.credential = credential
        self.stop = stop
        self.client = Agent(agent.index, urllib.parse.urlunsplit(agent.url), agent.secret, 0, 1, 0, None, agent.results)

    def run(self):
        try:
            next_beat = time.monotonic()
            while not self.stop.is_set():
                _, elapsed = self.client.request("POST", "/api/agent/heartbeat",
                                                 {"version": "bench", "lag_bytes": 0, "files": 1, "pending": {"server": 0}, "last_error": None},
                                                 self.credential)
                if self.stop.is_set():
                    break  # ended after the run: not counted in its rate
                self.agent.results["heartbeat"][self.agent.index].append(elapsed)
                next_beat += self.agent.heartbeat_s
                self.stop.wait(max(0.0, next_beat - time.monotonic()))
        except Exception as e:  # reported, never swallowed: the run fails
            self.agent.results["errors"].append(str(e))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--servers", required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--alerts", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--heartbeat-s", type=float, default=1.0)
    args = parser.parse_args()
    servers = args.servers.split(",")
    per_agent = [args.alerts // args.agents + (1 if i < args.alerts % args.agents else 0) for i in range(args.agents)]
    results = {"alerts": [[] for _ in range(args.agents)], "heartbeat": [[] for _ in range(args.agents)],
               "stored": [0] * args.agents, "retries": [0] * args.agents, "errors": []}
    gate = threading.Barrier(args.agents + 1)
    all_sent = threading.Event()
    agents = [Agent(i, servers[i % len(servers)], args.secret, per_agent[i], args.batch, args.heartbeat_s, gate, results, all_sent)
              for i in range(args.agents)]
    for a in agents:
        a.start()
    gate.wait()
    t0 = time.perf_counter()
    for a in agents:
        a.join()
    wall = time.perf_counter() - t0
    all_sent.set()
    for a in agents:
        if a.beats is not None:
            a.beats.join()
    alerts = [x for xs in results["alerts"] for x in xs]
    beats = [x for xs in results["heartbeat"] for x in xs]
    stored = sum(results["stored"])
    out = {
        "agents": args.agents, "servers": len(servers), "alerts_sent": args.alerts, "batch": args.batch, "alerts_stored": stored,
        "wall_s": round(wall, 2), "alerts_per_s": round(stored / wall, 1),
        "alert_requests": len(alerts), "alert_p50_ms": round(1000 * percentile(alerts, 50), 1), "alert_p99_ms": round(1000 * percentile(alerts, 99), 1),
        "heartbeats": len(beats), "heartbeats_per_s": round(len(beats) / wall, 1),
        "heartbeat_p50_ms": round(1000 * percentile(beats, 50), 1) if beats else None,
        "heartbeat_p99_ms": round(1000 * percentile(beats, 99), 1) if beats else None,
        "retries": sum(results["retries"]), "errors": results["errors"][:5],
    }
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")
    return 1 if results["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
