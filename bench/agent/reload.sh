#!/usr/bin/env bash
# How soon a running agent uses a fingerprint changed in its store (issue 11 item 4: within 2 s,
# no restart, no SIGHUP): N times, 'sysprint train' learns a new log while 'sysprint watch' runs;
# the delay is from train's exit to the agent's log line 'profile ... changed in the store'
# (its own UTC timestamp). Prints each delay and the median, p90 and max.
# Usage: bench/agent/reload.sh [TRIALS]   (default 20). SYSPRINT_BIN: a built CLI, else one is built.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
trials="${1:-20}"
work="$(mktemp -d /tmp/sysprint-reload-bench-XXXXXX)"
agent=
trap '[ -n "$agent" ] && kill "$agent" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
if [ -z "${SYSPRINT_BIN:-}" ]; then
    dotnet build "$root/src/Sysprint.Cli/Sysprint.Cli.csproj" -c Release -o "$work/cli" --nologo -v quiet -p:UseAppHost=true >"$work/build.log" 2>&1 \
        || { cat "$work/build.log" >&2; exit 70; }
    SYSPRINT_BIN="$work/cli/sysprint"
fi
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
db="$work/agent.db"
mkdir -p "$work/spool/web-01" "$work/train"
log() { # log PID EXTRA: three read cycles of one process with EXTRA between read and close
    for _ in 1 2 3; do
        printf '%s   openat(AT_FDCWD, "/etc/hostname", O_RDONLY) = 3\n%s   read(3, "vm\\n", 131072) = 3\n' "$1" "$1"
        [ -n "$2" ] && printf '%s   %s\n' "$1" "$2"
        printf '%s   close(3) = 0\n' "$1"
    done
}
log 100 "" > "$work/train/normal.strace"
"$SYSPRINT_BIN" train --db "$db" "$work/train/normal.strace" >/dev/null
"$SYSPRINT_BIN" watch --db "$db" -q "$work/spool" 2>"$work/agent.log" &
agent=$!
until grep -q 'watching ' "$work/agent.log"; do kill -0 "$agent"; sleep 0.05; done
calls=(uname getpid getppid getuid getgid geteuid getegid gettid getpgrp setsid sync sched_yield pause alarm umask getcwd chdir fchdir chroot acct
       vhangup sethostname setdomainname iopl ioperm swapon swapoff reboot syslog personality)
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg), $trials trials, profile_poll_ms 500 (default)" >&2
for ((i = 0; i < trials; i++)); do
    seen=$(grep -c 'changed in the store' "$work/agent.log" || true)
    log $((200 + i)) "${calls[$((i % ${#calls[@]}))]}(0) = 0" > "$work/train/t$i.strace"
    "$SYSPRINT_BIN" train --db "$db" "$work/train/t$i.strace" >/dev/null
    done_at=$(date -u +%s.%N)
    until [ "$(grep -c 'changed in the store' "$work/agent.log" || true)" -gt "$seen" ]; do kill -0 "$agent"; sleep 0.02; done
    stamp=$(grep 'changed in the store' "$work/agent.log" | tail -1 | cut -d' ' -f1)
    python3 -c "import sys,datetime; t=datetime.datetime.strptime(sys.argv[1],'%Y-%m-%dT%H:%M:%S.%fZ').replace(tzinfo=datetime.timezone.utc).timestamp(); print(f'{t-float(sys.argv[2]):.3f}')" "$stamp" "$done_at"
done | tee "$work/delays" >&2
python3 - "$work/delays" <<'PY'
import statistics, sys
d = sorted(float(x) for x in open(sys.argv[1]))
p90 = d[min(len(d) - 1, int(round(0.9 * (len(d) - 1))))]
print(f"fingerprint change picked up: median {statistics.median(d):.3f} s, p90 {p90:.3f} s, max {d[-1]:.3f} s over {len(d)} trains")
PY
