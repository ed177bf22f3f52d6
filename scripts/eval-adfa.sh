#!/usr/bin/env bash
# Regenerates docs/EVALUATION.md and its plots from ADFA-LD under both protocols.
# Usage: scripts/eval-adfa.sh [ADFA-DIR]   (default: ../shared/datasets/adfa-ld beside the repository)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
adfa="${1:-$root/../shared/datasets/adfa-ld}"
if [ ! -d "$adfa/Training_Data_Master" ]; then
    echo "eval-adfa: ADFA-LD not found at $adfa (give its folder as the first argument)" >&2
    exit 66
fi
out="$root/docs/evaluation"
mkdir -p "$out/a" "$out/b"
cd "$root"
./sysprint eval --adfa "$adfa" --protocol a --plots "$out/a" --markdown "$out/a/results.md" > "$out/a/table.txt"
./sysprint eval --adfa "$adfa" --protocol b --plots "$out/b" --markdown "$out/b/results.md" > "$out/b/table.txt"
./sysprint eval --adfa "$adfa" --protocol a --json > "$out/a/results.json"
./sysprint eval --adfa "$adfa" --protocol b --json > "$out/b/results.json"

# Wall time of the whole evaluation (all detectors, start-up included), median of 9 runs.
times=()
for _ in 1 2 3 4 5 6 7 8 9; do
    start=$(date +%s.%N)
    ./sysprint eval --adfa "$adfa" --protocol a > /dev/null
    end=$(date +%s.%N)
    times+=("$(echo "$end - $start" | awk '{print $1 - $3}')")
done
median=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "$median" > "$out/wall-seconds.txt"

{
    sed -n '1,/^<!-- results -->$/p' docs/EVALUATION.template.md
    echo
    echo "## Protocol (a)"
    echo
    sed 's#](\./#](evaluation/a/#g' "$out/a/results.md"
    echo
    echo "## Protocol (b)"
    echo
    sed 's#](\./#](evaluation/b/#g' "$out/b/results.md"
    echo
    echo "Whole evaluation (protocol (a), all detectors, start-up included), median of 9 runs on this machine: ${median} s wall."
    echo
    sed -n '/^<!-- results -->$/,$p' docs/EVALUATION.template.md | tail -n +2
} > docs/EVALUATION.md
echo "wrote docs/EVALUATION.md (median wall ${median} s)"
