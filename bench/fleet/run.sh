#!/usr/bin/env bash
# Load test of the fleet (issue 13): a throw-away PostgreSQL 15 (.ci/postgres), 2 `sysprint serve`
# instances over it, AGENTS simulated agents (bench/fleet/load.py: a real HTTP client each) sending
# ALERTS alerts in batches and a heartbeat per second each. Reports alerts/s ingested, p50/p99
# request latency, whether PostgreSQL holds every alert exactly once, and its size per 1,000 alerts.
# Usage: bench/fleet/run.sh [AGENTS [ALERTS [BATCH]]]     (defaults: 200 100000 20)
# Needs: the .NET SDK, python3, PostgreSQL 15 binaries (apt-get install postgresql). Never in CI.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
agents="${1:-200}"
alerts="${2:-100000}"
batch="${3:-20}"
work="$(mktemp -d /tmp/sysprint-fleet-bench-XXXXXX)"
chmod 0755 "$work"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    "$root/.ci/postgres" stop "$work/pg" || true
    rm -rf "$work"
}
trap cleanup EXIT
dotnet build "$root/src/Sysprint.Cli/Sysprint.Cli.csproj" -c Release -o "$work/cli" --nologo -v quiet -p:UseAppHost=true >"$work/build.log" 2>&1 \
    || { cat "$work/build.log" >&2; exit 70; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
sysprint="$work/cli/sysprint"
conn="$("$root/.ci/postgres" start "$work/pg")"
port="$(sed 's/.*Port=\([0-9]*\);.*/\1/' <<<"$conn")"
db="postgres://sysprint@127.0.0.1:$port/postgres"
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), PostgreSQL on port $port (fsync off)" >&2
head -c 32 /dev/urandom | base64 > "$work/admin.token" && chmod 600 "$work/admin.token"
urls=()
for i in 1 2; do
    "$sysprint" serve --db "$db" --listen 127.0.0.1:0 --admin-token-file "$work/admin.token" >"$work/serve$i.out" 2>"$work/serve$i.err" &
    pids+=($!)
done
for i in 1 2; do
    for _ in $(seq 600); do grep -q '^listening on ' "$work/serve$i.out" 2>/dev/null && break; sleep 0.1; done
    urls+=("$(sed -n 's/^listening on //p' "$work/serve$i.out")")
done
secret="$("$sysprint" enroll-token --db "$db" --expires 1h --group bench | tail -1)"
echo "# servers: ${urls[*]}; $agents agents, $alerts alerts in batches of $batch" >&2
python3 "$here/load.py" --servers "$(IFS=,; echo "${urls[*]}")" --secret "$secret" --agents "$agents" --alerts "$alerts" --batch "$batch" | tee "$work/result.json"
psql -h 127.0.0.1 -p "$port" -U sysprint -d postgres -At -F ' ' -c \
    "SELECT count(*), count(DISTINCT (host, uuid)), pg_total_relation_size('alerts'), round(pg_total_relation_size('alerts') * 1000.0 / greatest(count(*), 1)) FROM alerts" \
    | awk '{printf "{\"alerts_in_postgres\": %s, \"distinct\": %s, \"alerts_table_bytes\": %s, \"bytes_per_1000_alerts\": %s}\n", $1, $2, $3, $4}'
