#!/usr/bin/env bash
# Overhead of the native tracer against strace (issue 12): medians of interleaved trials of a
# syscall-heavy workload run untraced, under strace -f -o /dev/null, and under sysprint run.
# Usage: bench/tracer/run.sh [--trials N] [--workload find|tar|all]   (figures in docs/AGENT.md)
#   Each row names its mode: run's default (alert, fails closed: one stop per call), deny, and
#   --fail open (two stops per call, the mode attach uses by default).
#   SYSPRINT_NATIVE  the native (AOT) binary, timed too when it exists and is newer than src/
#                    (default dist/native/linux-x64/sysprint, built by packaging/build-native.sh)
# Needs: the .NET SDK, python3, strace. Takes a few minutes.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cli="$(mktemp -d /tmp/sysprint-tracer-bench-cli-XXXXXX)"
trap 'rm -rf "$cli"' EXIT
dotnet build "$root/src/Sysprint.Cli/Sysprint.Cli.csproj" -c Release -o "$cli" --nologo -v quiet -p:UseAppHost=true >"$cli/build.log" 2>&1 \
    || { cat "$cli/build.log" >&2; exit 70; }
echo "# $(uname -r), strace $(strace -V | head -1 | awk '{print $4}')" >&2
native="${SYSPRINT_NATIVE:-$root/dist/native/linux-x64/sysprint}"
aot=()
if [ -x "$native" ] && [ -n "$(find "$root/src" -name '*.cs' -not -path '*/obj/*' -not -path '*/bin/*' -newer "$native" -print -quit)" ]; then
    # A binary of older sources would time another tracer (and other defaults) under this one's labels.
    echo "# $native is older than src/: not timed; packaging/build-native.sh rebuilds it" >&2
elif [ -x "$native" ]; then
    aot=(--aot "$native")
else
    echo "# no native binary at $native: packaging/build-native.sh builds it" >&2
fi
python3 "$here/tracer_bench.py" "$cli/sysprint" "${aot[@]}" "$@"
