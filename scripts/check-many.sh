#!/usr/bin/env bash
# Times `check` of ADFA-LD's validation and attack logs (5,118 files) against `cat` of the same files
# (issue 10 item 5: at most 1.5x), and `train` of the same files into a new store. Medians of RUNS
# runs (default 9), start-up included, after one warm-up of each (page cache).
# Usage: scripts/check-many.sh [ADFA-DIR] [SYSPRINT]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
adfa="${1:-$root/../shared/datasets/adfa-ld}"
sysprint="${2:-$root/sysprint}"
runs="${RUNS:-9}"
if [ ! -d "$adfa/Validation_Data_Master" ]; then
    echo "check-many: ADFA-LD not found at $adfa (give its folder as the first argument)" >&2
    exit 66
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
find "$adfa/Validation_Data_Master" "$adfa/Attack_Data_Master" -type f -name '*.txt' | sort > "$work/files"
"$sysprint" train --db "$work/adfa.db" --abi i386 --format adfa "$adfa/Training_Data_Master" > /dev/null
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
timed() {
    local start end
    start=$(date +%s.%N)
    "$@" > /dev/null || [ $? -eq 1 ]
    end=$(date +%s.%N)
    echo "$end $start" | awk '{print $1 - $2}'
}
xargs -a "$work/files" cat > /dev/null
"$sysprint" check --db "$work/adfa.db" --format adfa "$adfa/Validation_Data_Master" "$adfa/Attack_Data_Master" > /dev/null || true
cats=(); checks=(); trains=()
for _ in $(seq "$runs"); do
    cats+=("$(timed xargs -a "$work/files" cat)")
    checks+=("$(timed "$sysprint" check --db "$work/adfa.db" --format adfa "$adfa/Validation_Data_Master" "$adfa/Attack_Data_Master")")
    rm -f "$work/train.db"*
    trains+=("$(timed "$sysprint" train --db "$work/train.db" --abi i386 --format adfa -q "$adfa/Validation_Data_Master" "$adfa/Attack_Data_Master")")
done
cat_median=$(printf '%s\n' "${cats[@]}" | median)
check_median=$(printf '%s\n' "${checks[@]}" | median)
train_median=$(printf '%s\n' "${trains[@]}" | median)
echo "files $(wc -l < "$work/files"), runs $runs, nproc $(nproc)"
echo "cat   median ${cat_median} s  (all: ${cats[*]})"
echo "check median ${check_median} s  (all: ${checks[*]})"
echo "train median ${train_median} s  (all: ${trains[*]})"
echo "$check_median $cat_median" | awk '{printf "check / cat: %.2fx\n", $1 / $2}'
echo "$train_median $cat_median" | awk '{printf "train / cat: %.2fx\n", $1 / $2}'
