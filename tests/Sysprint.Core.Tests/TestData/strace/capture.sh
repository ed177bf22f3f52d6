#!/usr/bin/env bash
# Regenerates every strace fixture in this folder (see README.md).
# Requires: strace (captured with 6.1 on x86_64), gcc, setarch, awk.
# Usage: ./capture.sh            (run from anywhere; writes next to this script)
#
# Determinism measures: empty environment (env -i with a fixed PATH and LC_ALL=C),
# working directory /, ASLR disabled (setarch -R). Pids, timestamps, durations and
# inode numbers still change from run to run; the syscall sequences normally do not,
# except for the multi-process captures where the interleaving is scheduling noise.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE"

RUN=(env -i PATH=/usr/bin:/bin LC_ALL=C setarch "$(uname -m)" -R)

SINGLE=(cat /etc/hostname)
SINGLE_ERR=(sh -c 'echo oops >&2; cat /etc/hostname /nonexistent')
MULTI=(sh -c 'cat /etc/hostname >/dev/null; ls -d / >/dev/null')
MULTI_ERR=(sh -c 'echo oops >&2; cat /etc/hostname >/dev/null; ls -d /nonexistent >/dev/null')
CONCURRENT=(sh -c 'sleep 0.2 & cat /etc/hostname; wait')
KILLED=(sh -c 'kill -9 $$')

# Independent entry counter: strip the optional prefixes (pid, timestamps, relative
# time, -n number, -i pointer), then a syscall entry is a body that starts with
# a syscall name directly followed by "(". Resumed lines start with "<...", signal
# lines with "---", exit lines with "+++", -k frames with " > ", tracer messages with
# "strace:", and program output never has the name( shape at line start.
count_entries() {
  awk '
  {
    s = $0
    sub(/^\[pid +[0-9]+(<[^>]*>)?\] /, "", s) ||
    sub(/^[0-9]+<[^>]*> /, "", s) ||
    sub(/^[0-9]+ +/, "", s)
    sub(/^[0-9][0-9]:[0-9][0-9]:[0-9][0-9](\.[0-9]+)? /, "", s) ||
    sub(/^[0-9]+\.[0-9]+ /, "", s)
    sub(/^\(\+ +[0-9]+\.[0-9]+\) /, "", s) ||
    sub(/^ *[0-9]+\.[0-9]+ /, "", s)
    sub(/^\[ *([0-9]+|\?\?\?)\] /, "", s)
    sub(/^\[[0-9a-f?]+\] /, "", s)
    if (s ~ /^[a-z_][a-z0-9_]*\(/) n++
  }
  END { print n + 0 }' "$1"
}

# stdin, stdout and (with -o) stderr of the traced program are /dev/null, so no
# path of the capturing machine leaks into -y/-yy output.
# cap NAME STRACE-OPTIONS... -- PROGRAM...   (trace to NAME.strace with -o)
cap() {
  local name=$1; shift
  rm -f "$name.strace" "$name.expected"
  (cd / && "${RUN[@]}" strace -o "$HERE/$name.strace" "$@"; true) </dev/null >/dev/null 2>&1
  count_entries "$name.strace" > "$name.expected"
  printf '%-26s %4s entries %6s bytes\n' "$name" "$(cat "$name.expected")" "$(wc -c < "$name.strace")"
}

# cap_stderr NAME STRACE-OPTIONS... -- PROGRAM...  (no -o: trace and program stderr mixed)
cap_stderr() {
  local name=$1; shift
  rm -f "$name.strace" "$name.expected"
  (cd / && exec "${RUN[@]}" strace "$@") </dev/null >/dev/null 2>"$HERE/$name.strace"
  count_entries "$name.strace" > "$name.expected"
  printf '%-26s %4s entries %6s bytes\n' "$name" "$(cat "$name.expected")" "$(wc -c < "$name.strace")"
}

cap single_plain              -- "${SINGLE[@]}"
cap single_t        -t        -- "${SINGLE[@]}"
cap single_tt       -tt       -- "${SINGLE[@]}"
cap single_ttt      -ttt      -- "${SINGLE[@]}"
cap single_r        -r        -- "${SINGLE[@]}"
cap single_t_r      -t -r     -- "${SINGLE[@]}"
cap single_T_duration -T       -- "${SINGLE[@]}"
cap single_y        -y        -- "${SINGLE[@]}"
cap single_yy       -yy       -- "${SINGLE[@]}"
cap single_n        -n        -- "${SINGLE[@]}"
cap single_i        -i        -- "${SINGLE[@]}"
cap single_k        -k        -- "${SINGLE[@]}"
cap single_X_verbose -X verbose -- "${SINGLE[@]}"
cap single_all      -tt -T -yy -n -i -- "${SINGLE[@]}"

cap_stderr single_stderr      -- "${SINGLE_ERR[@]}"
cap_stderr multi_stderr_f  -f -- "${MULTI_ERR[@]}"

cap multi_f         -f        -- "${MULTI[@]}"
cap multi_f_tt_T    -f -tt -T -- "${MULTI[@]}"
cap multi_Y         -f -Y     -- "${MULTI[@]}"

# -ff: one file per pid, multi_ff/trace.<pid>. The counts go to one multi_ff.expected beside the
# directory ("trace.4321 78" per line), so multi_ff/ holds only trace files and can be trained as is.
rm -rf multi_ff multi_ff.expected && mkdir multi_ff
(cd / && exec "${RUN[@]}" strace -ff -o "$HERE/multi_ff/trace" -- "${MULTI[@]}") </dev/null >/dev/null 2>&1
for f in multi_ff/trace.*; do
  n=$(count_entries "$f")
  printf '%s %s\n' "$(basename "$f")" "$n" >> multi_ff.expected
  printf '%-26s %4s entries %6s bytes\n' "$f" "$n" "$(wc -c < "$f")"
done

# Split calls: retry until both markers, a signal line and an exit line are present.
for try in $(seq 1 20); do
  cap unfinished_resumed -f -- "${CONCURRENT[@]}" >/dev/null
  if grep -q '<unfinished \.\.\.>' unfinished_resumed.strace &&
     grep -q '<\.\.\. [a-z_0-9]* resumed>' unfinished_resumed.strace &&
     grep -q -- '--- SIGCHLD' unfinished_resumed.strace &&
     grep -q '+++ exited with 0 +++' unfinished_resumed.strace; then
    printf '%-26s %4s entries %6s bytes (try %d)\n' unfinished_resumed \
      "$(cat unfinished_resumed.expected)" "$(wc -c < unfinished_resumed.strace)" "$try"
    break
  fi
  [ "$try" = 20 ] && echo "unfinished_resumed: markers not seen after 20 tries" >&2
done

cap killed                    -- "${KILLED[@]}"

# Tiny static C programs built in a temp dir (binaries are not committed).
BUILD=$(mktemp -d /tmp/sysprint-capture.XXXXXX)
trap 'rm -rf "$BUILD"' EXIT
for src in unknown_syscall yy_sockets spliced_children; do
  gcc -static -O2 -pthread -o "$BUILD/$src" "$HERE/$src.c" ||
    gcc -O2 -pthread -o "$BUILD/$src" "$HERE/$src.c" || exit 1
done

# capbin NAME PROGRAM STRACE-OPTIONS...
capbin() {
  local name=$1 prog=$2; shift 2
  rm -f "$name.strace" "$name.expected"
  (cd "$BUILD" && exec "${RUN[@]}" strace "$@" -o "$HERE/$name.strace" -- "./$prog") </dev/null >/dev/null 2>&1
  count_entries "$name.strace" > "$name.expected"
  printf '%-26s %4s entries %6s bytes\n' "$name" "$(cat "$name.expected")" "$(wc -c < "$name.strace")"
}
capbin unknown_syscall   unknown_syscall
capbin unknown_syscall_n unknown_syscall -n
capbin single_yy_sockets yy_sockets      -yy

# strace's "Process N attached" notice spliced into the parent's call line (-f, trace to stderr).
# Retry until the three shapes of the line that follows the notice are all present: the rest of a
# fork's clone (", child_tidptr=..."), of a thread's clone3 (" => {parent_tid=...}") and the
# " <unfinished ...>" that ends a vfork's entry (the first try always had them).
for try in $(seq 1 20); do
  rm -f multi_stderr_f_spliced.strace multi_stderr_f_spliced.expected
  (cd "$BUILD" && exec "${RUN[@]}" strace -f -- ./spliced_children) </dev/null >/dev/null 2>multi_stderr_f_spliced.strace
  count_entries multi_stderr_f_spliced.strace > multi_stderr_f_spliced.expected
  if grep -A1 'attached$' multi_stderr_f_spliced.strace | grep -q '^, child_tidptr=' &&
     grep -A1 'attached$' multi_stderr_f_spliced.strace | grep -q '^ => {parent_tid=' &&
     grep -A1 'attached$' multi_stderr_f_spliced.strace | grep -q '^ <unfinished \.\.\.>$'; then
    printf '%-26s %4s entries %6s bytes (try %d)\n' multi_stderr_f_spliced \
      "$(cat multi_stderr_f_spliced.expected)" "$(wc -c < multi_stderr_f_spliced.strace)" "$try"
    break
  fi
  [ "$try" = 20 ] && echo "multi_stderr_f_spliced: the three spliced shapes not seen after 20 tries" >&2
done
