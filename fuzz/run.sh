#!/usr/bin/env bash
# Fuzzes one log reader with AFL++ (Debian's afl++) driving a SharpFuzz-instrumented Sysprint.Core.
#   fuzz/run.sh READER SECONDS      READER: strace | nttrace | adfa | unm | detect (format detection)
# Seeds: the real captures in tests/Sysprint.Core.Tests/TestData (strace, NtTrace) and fuzz/seeds
# (ADFA-LD, UNM). Output in fuzz/out/READER/ (findings/default/{crashes,hangs}); the last line is
#   READER: N execs in S s (E/s), C crashes, H hangs, P paths
# Each finding is replayed through an uninstrumented harness, which prints the exception. By hand:
#   dotnet fuzz/out/replay/Sysprint.Fuzz.dll READER FILE...
# Keep a fixed finding in fuzz/findings/READER/: later runs replay those first.
# Runs under nice -n 19 (the machine is shared); needs root or sudo to install afl++ the first time.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
reader="${1:?usage: fuzz/run.sh strace|nttrace|adfa|unm|detect SECONDS}"
seconds="${2:?usage: fuzz/run.sh READER SECONDS}"
case "$reader" in strace|nttrace|adfa|unm|detect) ;; *) echo "fuzz/run.sh: unknown reader '$reader' (strace, nttrace, adfa, unm, detect)" >&2; exit 64 ;; esac
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

if ! command -v afl-fuzz >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq afl++
fi

tools="$here/.tools"
if [ ! -x "$tools/sharpfuzz" ]; then
    dotnet tool install SharpFuzz.CommandLine --version 2.3.0 --tool-path "$tools" >/dev/null
fi

# Build once per source change, then instrument the library under test (never the harness). A plain
# copy replays findings: instrumented code run outside afl-fuzz has no coverage map and faults.
bin="$here/out/bin"
replay="$here/out/replay"
stamp="$bin/.instrumented"
if [ ! -f "$stamp" ] || [ -n "$(find "$root/src/Sysprint.Core" "$here/Sysprint.Fuzz" -name '*.cs' -newer "$stamp" -print -quit)" ]; then
    rm -rf "$bin" "$replay"
    nice -n 19 dotnet publish "$here/Sysprint.Fuzz/Sysprint.Fuzz.csproj" -c Release -o "$replay" -p:UseAppHost=false >/dev/null
    cp -r "$replay" "$bin"
    "$tools/sharpfuzz" "$bin/Sysprint.Core.dll"
    touch "$stamp"
fi

# Earlier findings (fuzz/findings/READER) must all read cleanly before fuzzing on.
if compgen -G "$here/findings/$reader/*" >/dev/null; then
    dotnet "$replay/Sysprint.Fuzz.dll" "$reader" "$here"/findings/"$reader"/* >"$here/out/$reader-replay.log" 2>&1 || {
        echo "fuzz/run.sh: an earlier $reader finding fails again:" >&2
        grep FINDING "$here/out/$reader-replay.log" | head -5 >&2
        exit 1
    }
fi

work="$here/out/$reader"
rm -rf "$work"
mkdir -p "$work/in"
data="$root/tests/Sysprint.Core.Tests/TestData"
seed() { # copies the files given, skipping those over 16 KiB (AFL slows down on large seeds)
    for f in "$@"; do
        if [ -f "$f" ] && [ "$(stat -c %s "$f")" -le 16384 ]; then
            cp "$f" "$work/in/$(basename "$(dirname "$f")")_$(basename "$f")"
        fi
    done
}
case "$reader" in
    strace) seed "$data"/strace/*.strace "$data"/strace/multi_ff/trace.* ;;
    nttrace) seed "$data"/nttrace/*.txt ;;
    adfa) seed "$here"/seeds/adfa/* ;;
    unm) seed "$here"/seeds/unm/* ;;
    detect) seed "$data"/strace/single_plain.strace "$data"/strace/single_stderr.strace "$data"/strace/multi_ff/trace.4322 \
        "$data"/nttrace/*.txt "$here"/seeds/adfa/* "$here"/seeds/unm/* ;;
esac

# A .NET target is not an AFL binary; the machine is shared (no CPU pinning, no governor check).
export AFL_SKIP_BIN_CHECK=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
    AFL_NO_UI=1 AFL_FORKSRV_INIT_TMOUT=120000 AFL_SKIP_CRASHES=0
start=$(date +%s)
nice -n 19 afl-fuzz -i "$work/in" -o "$work/findings" -t 3000 -m none -V "$seconds" \
    -- dotnet "$bin/Sysprint.Fuzz.dll" "$reader" >"$work/afl.log" 2>&1 || {
    echo "fuzz/run.sh: afl-fuzz failed; the end of $work/afl.log:" >&2
    tail -20 "$work/afl.log" >&2
    exit 70
}
elapsed=$(( $(date +%s) - start ))

stats="$work/findings/default/fuzzer_stats"
stat() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$stats"; }
crashes=$(find "$work/findings/default/crashes" -type f -name 'id:*' | wc -l)
hangs=$(find "$work/findings/default/hangs" -type f -name 'id:*' | wc -l)
for f in "$work"/findings/default/crashes/id:* "$work"/findings/default/hangs/id:*; do
    [ -f "$f" ] || continue
    echo "== $f"
    timeout 60 dotnet "$replay/Sysprint.Fuzz.dll" "$reader" "$f" | head -12 || true
done
execs=$(stat execs_done)
echo "$reader: $execs execs in ${elapsed} s ($(( execs / (elapsed > 0 ? elapsed : 1) ))/s), $crashes crashes, $hangs hangs, $(stat corpus_count) paths, engine afl-fuzz $(stat afl_version) (Debian afl++) + SharpFuzz 2.3.0"
