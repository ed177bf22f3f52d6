#!/usr/bin/env bash
# Start-up of 'sysprint check' on a 20-line log (issue 11 item 1: <= 50 ms wall for the native
# binary): RUNS timed runs of each binary after 3 untimed ones, each one process started by bash,
# its output thrown away; prints the median, p10 and p90 of wall time and the median CPU time
# (user + system) of each.
# Usage: bench/startup/run.sh [RUNS]   (default 50)
#   SYSPRINT_NATIVE  the native binary (default: dist/native/linux-x64/sysprint, built by
#                    packaging/build-native.sh when missing)
#   SYSPRINT_EXTRA   more binaries to time, space-separated (e.g. /usr/bin/sysprint when installed)
# The developer launcher ./sysprint is timed too (it builds the JIT CLI first if needed).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
runs="${1:-50}"
native="${SYSPRINT_NATIVE:-$root/dist/native/linux-x64/sysprint}"
if [ ! -x "$native" ]; then
    "$root/packaging/build-native.sh" >&2
fi
work="$(mktemp -d /tmp/sysprint-startup-bench-XXXXXX)"
trap 'rm -rf "$work"' EXIT

# A learnt fingerprint and a 20-line log to check (strace -f lines of one reading process).
log() { # log PID LINES
    local i
    printf '%s   execve("/usr/bin/cat", ["cat", "/etc/hostname"], 0x7ffd /* 20 vars */) = 0\n' "$1"
    for ((i = 1; i < $2; i += 3)); do
        printf '%s   openat(AT_FDCWD, "/etc/hostname", O_RDONLY) = 3\n' "$1"
        printf '%s   read(3, "vm\\n", 131072) = 3\n' "$1"
        printf '%s   close(3) = 0\n' "$1"
    done | head -n $(($2 - 1))
}
log 100 40 > "$work/normal.strace"
log 200 20 > "$work/check.strace"
[ "$(wc -l < "$work/check.strace")" -eq 20 ]
"$native" train --db "$work/store.db" "$work/normal.strace" >/dev/null
"$root/sysprint" --version >/dev/null  # the launcher builds the JIT CLI now, not in a timed run

TIMEFORMAT='%3R %3U %3S'
once() { # once BINARY: one check, its "wall user sys" (seconds) on stderr
    { time "$1" check --db "$work/store.db" "$work/check.strace" >/dev/null; } 2>&1
}
pick() { # pick FILE FRACTION: the value at that rank of a sorted column
    awk -v f="$2" '{ v[NR] = $1 } END { i = int(NR * f + 0.5); if (i < 1) i = 1; printf "%.1f", v[i] }' "$1"
}

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg) at start, $runs runs each:" \
    "BIN check --db STORE LOG (20 lines) >/dev/null"
names=(native launcher)
bins=("$native" "$root/sysprint")
i=0
for extra in ${SYSPRINT_EXTRA:-}; do
    names+=("extra$((i += 1))")
    bins+=("$extra")
done
for j in "${!names[@]}"; do
    for _ in 1 2 3; do once "${bins[$j]}" >/dev/null; done
done
# Interleaved, one run of each in turn, so that a burst of load on a shared machine falls on all.
for ((r = 0; r < runs; r++)); do
    for j in "${!names[@]}"; do
        once "${bins[$j]}" >>"$work/${names[$j]}.times"
    done
done
for j in "${!names[@]}"; do
    f="$work/${names[$j]}.times"
    awk '{ print $1 * 1000 }' "$f" | sort -n >"$f.wall"
    awk '{ print ($2 + $3) * 1000 }' "$f" | sort -n >"$f.cpu"
    printf '%-9s wall median %6s ms  p10 %6s  p90 %6s   cpu (user+sys) median %6s ms   %s\n' "${names[$j]}" \
        "$(pick "$f.wall" 0.5)" "$(pick "$f.wall" 0.1)" "$(pick "$f.wall" 0.9)" "$(pick "$f.cpu" 0.5)" "${bins[$j]}"
done
echo "# load $(cut -d' ' -f1-3 /proc/loadavg) at end"
