#!/usr/bin/env bash
# Whole-process benchmarks of sysprint (issue 4), run on this machine, medians of several runs.
#
#   bench/run.sh                     everything, 5 runs each, 1 GiB log
#   RUNS=9 SIZE=268435456 bench/run.sh
#
# 1. generates deterministically a large strace -f -tt -T log from the real captures in
#    tests/Sysprint.Core.Tests/TestData/strace/ (bench/Sysprint.Benchmarks generate),
# 2. learns a fingerprint from those captures,
# 3. times `sysprint check` and `sysprint train` on the big log (in the page cache) against `wc -l`,
#    train's SHA-256 pass alone, and the naive baseline (bench/Sysprint.NaiveBaseline),
# 4. times start-up (check of a small capture) and a multi-file check of ADFA-LD.
# Figures go to stdout and to $WORK/results.md. Peak RSS is /usr/bin/time's "maximum resident set size".
# As root, the timed commands run under the real-time FIFO policy (chrt -f 10; PRIORITY=nice runs
# them at nice -10 instead, PRIORITY=none as they are), so that background jobs on a shared machine
# (builds, tests, fuzzers) do not preempt them; the kernel still keeps 5% of each second for others.
# The load average is reported either way.
set -euo pipefail

root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
RUNS=${RUNS:-5}
NAIVE_RUNS=${NAIVE_RUNS:-3}
STARTUP_RUNS=${STARTUP_RUNS:-30}
SIZE=${SIZE:-1073741824}
PRIORITY=${PRIORITY:-$([ "$(id -u)" = 0 ] && command -v chrt >/dev/null 2>&1 && echo rt || echo none)}
case "$PRIORITY" in
    rt) prio=(chrt -f 10) ;;
    nice) prio=(nice -n -10) ;;
    *) prio=() ;;
esac
WORK=${WORK:-/tmp/sysprint-bench}
ADFA=${ADFA:-/work/shared/datasets/adfa-ld}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

mkdir -p "$WORK"
cd "$root" # the benchmark tool finds the captures from the working directory
say() { echo "== $*" >&2; }

# --- tools -----------------------------------------------------------------------------------
if [ ! -x /usr/bin/time ] || { ! command -v hyperfine >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; }; then
    say "installing time (and hyperfine, if the registry has it)"
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq >/dev/null 2>&1 || true
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null 2>&1 || true
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >/dev/null 2>&1 || true
    fi
fi
[ -x /usr/bin/time ] || { echo "bench/run.sh: /usr/bin/time is needed (apt-get install time)" >&2; exit 1; }

say "building the CLI (./sysprint launcher), the benchmark tool and the naive baseline"
"$root/sysprint" --help >/dev/null
sysprint="$root/.build/cli/sysprint"
dotnet build "$root/bench/Sysprint.Benchmarks/Sysprint.Benchmarks.csproj" -c Release -o "$WORK/bin/bench" --nologo -v quiet >/dev/null
dotnet build "$root/bench/Sysprint.NaiveBaseline/Sysprint.NaiveBaseline.csproj" -c Release -o "$WORK/bin/naive" --nologo -v quiet >/dev/null
bench="$WORK/bin/bench/Sysprint.Benchmarks"
naive="$WORK/bin/naive/naive-sysprint"
table="$root/src/Sysprint.Core/Mapping/Tables/x86_64.tbl"

# --- inputs ----------------------------------------------------------------------------------
log="$WORK/strace-$SIZE.log"
if [ ! -s "$log" ]; then
    say "generating $log"
    "$bench" generate "$log.tmp" "$SIZE" >&2
    mv "$log.tmp" "$log"
fi
bytes=$(stat -c %s "$log")
mapfile -t sources < <("$bench" sources)

say "learning the fingerprint from the ${#sources[@]} source captures"
rm -f "$WORK/fp.db" "$WORK/fp.db-wal" "$WORK/fp.db-shm" "$WORK/naive.fp"
"$sysprint" train --quiet --db "$WORK/fp.db" "${sources[@]}" >/dev/null
"$naive" train "$table" "$WORK/naive.fp" "${sources[@]}" >/dev/null

# This VM reclaims cold page-cache pages in the background (DAMON, kdamond): a file read a minute
# ago may be partly on disk again. Every timed run is preceded by an untimed read of its input.
warm() { cat "$@" >/dev/null; }
say "reading the log into the page cache"
warm "$log"
calls=$("$sysprint" check --db "$WORK/fp.db" "$log" | sed -E 's/.* ([0-9,]+) syscalls.*/\1/; s/,//g')
lines=$(wc -l <"$log")

# --- measuring -------------------------------------------------------------------------------
# measure NAME RUNS SETUP CMD...: runs SETUP (untimed) then CMD under /usr/bin/time, RUNS times;
# sets M_WALL, M_CPU (medians, seconds) and M_RSS (largest, MB). Exit codes 0 and 1 are results.
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }
measure() {
    local name=$1 runs=$2 setup=$3; shift 3
    local out="$WORK/time.$name" i rc
    : >"$out"
    for ((i = 0; i < runs; i++)); do
        eval "$setup"
        rc=0
        "${prio[@]}" /usr/bin/time -f "%e %U %S %M" -a -o "$out" "$@" >/dev/null 2>"$WORK/stderr.$name" || rc=$?
        if [ "$rc" -gt 1 ]; then
            echo "bench/run.sh: '$*' failed with exit $rc:" >&2
            cat "$WORK/stderr.$name" >&2
            exit 1
        fi
    done
    M_WALL=$(grep -v '^Command' "$out" | awk '{print $1}' | median)
    M_CPU=$(grep -v '^Command' "$out" | awk '{print $2 + $3}' | median)
    M_RSS=$(grep -v '^Command' "$out" | awk '$4 > m {m = $4} END {printf "%.0f", m / 1024}')
    say "$(printf '%-14s wall %6.3f s  cpu %6.3f s  rss %4s MB  (median of %d)' "$name" "$M_WALL" "$M_CPU" "$M_RSS" "$runs")"
}

rows=()
row() { # NAME: one line of the throughput table from the last measure
    local mbps cpumbps callps ratio
    mbps=$(awk -v b="$bytes" -v w="$M_WALL" 'BEGIN {printf "%.0f", b / w / 1e6}')
    cpumbps=$(awk -v b="$bytes" -v c="$M_CPU" 'BEGIN {printf "%.0f", b / c / 1e6}')
    callps=$(awk -v c="$calls" -v w="$M_WALL" 'BEGIN {printf "%.1f", c / w / 1e6}')
    ratio=$(awk -v w="$M_WALL" -v f="$WC_WALL" 'BEGIN {printf "%.1f", w / f}')
    rows+=("| $1 | $M_WALL | $M_CPU | $mbps | $cpumbps | $callps | ${ratio}× | $M_RSS |")
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
measure wc "$RUNS" 'warm "$log"' wc -l "$log"
WC_WALL=$M_WALL
row '`wc -l` (the floor)'

measure check "$RUNS" 'warm "$log"' "$sysprint" check --db "$WORK/fp.db" "$log"
row '`sysprint check`'
CHECK_WALL=$M_WALL

measure train "$RUNS" 'warm "$log"; rm -f "$WORK"/train.db*' "$sysprint" train --quiet --db "$WORK/train.db" "$log"
row '`sysprint train` (new store)'

measure sha256 "$RUNS" 'warm "$log"' "$bench" hash "$log"
row 'train'"'"'s SHA-256 pass alone (`Trainer.Hash`)'

measure naive-check "$NAIVE_RUNS" 'warm "$log"' "$naive" check "$table" "$WORK/naive.fp" "$log"
row 'naive check (Regex, string per line)'

measure naive-train "$NAIVE_RUNS" 'warm "$log"; rm -f "$WORK/naive-train.fp"' "$naive" train "$table" "$WORK/naive-train.fp" "$log"
row 'naive train'

# --- start-up --------------------------------------------------------------------------------
small="${sources[0]}"
STARTUP=""
if command -v hyperfine >/dev/null 2>&1 && "${prio[@]}" hyperfine -N --warmup 3 --runs "$STARTUP_RUNS" --export-json "$WORK/startup.json" \
        "$sysprint check --db $WORK/fp.db $small" >/dev/null 2>&1; then
    STARTUP=$(grep -o '"median": *[0-9.e-]*' "$WORK/startup.json" | head -1 | awk -F': *' '{printf "%.3f", $2}')
    startup_note="hyperfine, $STARTUP_RUNS runs after 3 warm-ups"
fi
if [ -z "$STARTUP" ]; then
    measure startup "$STARTUP_RUNS" : "$sysprint" check --db "$WORK/fp.db" "$small"
    STARTUP=$M_WALL
    startup_note="/usr/bin/time loop, $STARTUP_RUNS runs"
fi
measure startup-rss 3 : "$sysprint" check --db "$WORK/fp.db" "$small"
STARTUP_RSS=$M_RSS
say "start-up: check of $(basename "$small") median $STARTUP s ($startup_note)"

# --- ADFA-LD, many files ---------------------------------------------------------------------
adfa_rows=()
if [ -d "$ADFA/Training_Data_Master" ]; then
    warm_adfa() { find "$ADFA" -type f -exec cat {} + >/dev/null; }
    adfa_files=$(find "$ADFA/Training_Data_Master" "$ADFA/Validation_Data_Master" "$ADFA/Attack_Data_Master" -type f | wc -l)
    measure adfa-train "$RUNS" 'warm_adfa; rm -f "$WORK"/adfa.db*' "$sysprint" train --quiet --abi i386 --db "$WORK/adfa.db" "$ADFA/Training_Data_Master"
    adfa_rows+=("| train, Training_Data_Master ($(find "$ADFA/Training_Data_Master" -type f | wc -l) files), --abi i386 | $M_WALL | $M_CPU | $M_RSS |")
    measure adfa-check "$RUNS" warm_adfa "$sysprint" check --db "$WORK/adfa.db" \
        "$ADFA/Training_Data_Master" "$ADFA/Validation_Data_Master" "$ADFA/Attack_Data_Master"
    adfa_rows+=("| check, all three sets ($adfa_files files) | $M_WALL | $M_CPU | $M_RSS |")
fi
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# --- report ----------------------------------------------------------------------------------
{
    echo "# sysprint benchmarks, $(date -u '+%Y-%m-%d %H:%MZ')"
    echo
    echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB;"
    echo "$(dotnet --version | sed 's/^/.NET SDK /'); load average before $load_before, after $load_after."
    echo
    echo "Log: $log, $bytes bytes, $lines lines, $calls syscalls (generated from ${#sources[@]} real captures)."
    echo "Medians of $RUNS runs ($NAIVE_RUNS for the naive baseline), input read into the page cache before each run, priority: $PRIORITY."
    echo "MB/s = bytes / median"
    echo "wall (or cpu = user + sys) seconds; whole processes, start-up included."
    echo
    echo "| command | wall s | cpu s | MB/s (wall) | MB/s (cpu) | M syscalls/s (wall) | × wc -l (wall) | peak RSS MB |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${rows[@]}"
    echo
    echo "Start-up: \`sysprint check\` of $(basename "$small") ($(wc -l <"$small") lines): median $STARTUP s ($startup_note), peak RSS $STARTUP_RSS MB."
    if [ ${#adfa_rows[@]} -gt 0 ]; then
        echo
        echo "ADFA-LD ($ADFA), whole process, medians of $RUNS runs:"
        echo
        echo "| command | wall s | cpu s | peak RSS MB |"
        echo "|---|---:|---:|---:|"
        printf '%s\n' "${adfa_rows[@]}"
    fi
} | tee "$WORK/results.md"
