#!/usr/bin/env bash
# The agent's targets of issue 5, measured on this machine (figures in docs/AGENT.md):
#   alert latency (watch and run, every sink), 100 VMs at 200,000 syscalls/s (CPU, lag),
#   20 SIGKILL restarts with a known number of anomalies (alerts lost or repeated).
# Usage: [REPEAT=N] bench/agent/run.sh [latency|throughput|restarts|rotation|all] [agent_bench.py options]
# Needs: the .NET SDK (./sysprint builds the CLI), python3, strace, cc. Takes about 3 minutes.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
what="${1:-all}"
shift || true
# A private build of the CLI, outside the measurements (see agent_bench.py: SYSPRINT_BIN).
cli="$(mktemp -d /tmp/sysprint-agent-bench-cli-XXXXXX)"
trap 'rm -rf "$cli"' EXIT
dotnet build "$root/src/Sysprint.Cli/Sysprint.Cli.csproj" -c Release -o "$cli" --nologo -v quiet -p:UseAppHost=true >"$cli/build.log" 2>&1 \
    || { cat "$cli/build.log" >&2; exit 70; }
export SYSPRINT_BIN="$cli/sysprint" DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $(uname -r), strace $(strace -V | head -1 | awk '{print $4}')" >&2
results="${RESULTS:-$(mktemp)}"
: > "$results"
# REPEAT=N runs the measurement N times (the summary then gives the medians of the runs).
for _ in $(seq "${REPEAT:-1}"); do
    python3 "$here/agent_bench.py" "$what" "$@" >> "$results"
done
python3 "$here/agent_bench.py" summarize < "$results"
echo "# JSON results: $results" >&2
