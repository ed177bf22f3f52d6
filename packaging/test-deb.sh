#!/usr/bin/env bash
# Installs the package on this machine, uses the installed agent as an administrator would, and
# purges it: run as root on a machine you can throw away (CI). Each check prints 'ok - ...' or
# 'not ok - ...'; the last line is "N passed, N failed" (the exit status is 1 when any failed).
#   1. the state before: the sysprint user and group, and every file under the folders the
#      package touches (paths, owners, modes, sizes);
#   2. dpkg -i: the binary, the man page, the unit (and its systemd-analyze exposure score when
#      systemd-analyze exists), the conffile, the user and the folders;
#   3. as root, train the service's store, check a normal and a tampered log;
#   4. the unit's own ExecStart, run as its User with runuser (no systemd needed): it starts, a
#      tampered log dropped into the spool raises an alert in the jsonl sink, agent-status sees it,
#      SIGHUP (ExecReload) reloads, SIGTERM stops it with status 0;
#   5. dpkg --purge: the state after equals the state before;
#   6. the same once more with the unit enabled and an agent running at the purge.
# Usage: packaging/test-deb.sh DEB
set -uo pipefail
deb="${1:?usage: packaging/test-deb.sh DEB}"
[ "$(id -u)" = 0 ] || { echo "test-deb: run as root (it installs and purges a package)" >&2; exit 64; }
[ -f "$deb" ] || { echo "test-deb: $deb: no such package" >&2; exit 66; }
work="$(mktemp -d /tmp/sysprint-test-deb-XXXXXX)"
chmod 0755 "$work"
agent=
passed=0
failed=0
cleanup() {
    [ -n "$agent" ] && kill "$agent" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
ok() { passed=$((passed + 1)); echo "ok - $*"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $*"; }
check() { # check DESCRIPTION COMMAND...: ok when the command succeeds
    local what="$1"
    shift
    if "$@" >"$work/last.out" 2>&1; then ok "$what"; else not_ok "$what"; sed 's/^/    /' "$work/last.out" | tail -20; fi
}
# What the package may touch, as "path owner group mode size" lines (the dpkg database and logs,
# caches and the shadow backups written by useradd/userdel left out).
state() {
    {
        echo "user: $(getent passwd sysprint || echo none)"
        echo "group: $(getent group sysprint || echo none)"
        md5sum /etc/passwd /etc/group /etc/shadow /etc/gshadow 2>/dev/null
        for dir in /etc /lib/systemd /usr/lib/systemd /usr/bin /usr/share/man/man1 /usr/share/doc /var/lib /var/log /var/spool /run/systemd; do
            [ -d "$dir" ] || continue
            find "$dir" -xdev \( -path /var/lib/dpkg -o -path /var/lib/apt -o -path /var/log/apt -o -path /var/cache \
                -o -path /var/lib/systemd/deb-systemd-helper-enabled -o -name '*-' -o -path /etc/ld.so.cache \
                -o -path /var/log/dpkg.log -o -path /var/log/alternatives.log -o -path /var/lib/man-db \) -prune -o \
                -printf '%p %u %g %m %s\n' 2>/dev/null
        done | sort
    }
}
wait_for() { # wait_for SECONDS COMMAND...: polls every 0.2 s until the command succeeds
    local deadline=$((SECONDS + $1))
    shift
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -ge $deadline ] && return 1
        sleep 0.2
    done
}
log() { # log PID EXTRA: three read cycles of one process, EXTRA between read and close
    local i
    printf '%s   execve("/usr/bin/cat", ["cat", "/etc/hostname"], 0x7ffd /* 20 vars */) = 0\n' "$1"
    for i in 1 2 3; do
        printf '%s   openat(AT_FDCWD, "/etc/hostname", O_RDONLY) = 3\n%s   read(3, "vm\\n", 131072) = 3\n' "$1" "$1"
        [ -n "$2" ] && printf '%s   %s\n' "$1" "$2"
        printf '%s   close(3) = 0\n' "$1"
    done
    printf '%s   exit_group(0) = ?\n%s   +++ exited with 0 +++\n' "$1" "$1"
}

if dpkg-query -W sysprint >/dev/null 2>&1; then
    echo "test-deb: sysprint is installed already: dpkg --purge sysprint first" >&2
    exit 69
fi
state >"$work/before"

# 2. Install.
check "dpkg -i $(basename "$deb")" dpkg -i "$deb"
check "/usr/bin/sysprint --version runs (no .NET runtime used: $(command -v dotnet >/dev/null && echo 'a runtime is installed, but the binary is native' || echo 'none here'))" /usr/bin/sysprint --version
check "the binary is native (ELF, no managed entry assembly beside it)" sh -c 'file -b /usr/bin/sysprint 2>/dev/null | grep -q ELF || head -c 4 /usr/bin/sysprint | grep -q ELF; [ ! -e /usr/bin/sysprint.dll ]'
check "man page sysprint(1) lists every command" sh -c 'for c in train check watch agent-status seal import profile; do zcat /usr/share/man/man1/sysprint.1.gz | grep -q "^\.SS $c\$" || exit 1; done'
check "user sysprint: a system user with no login shell" sh -c 'u=$(getent passwd sysprint) && [ "$(echo "$u" | cut -d: -f3)" -lt 1000 ] && [ "$(echo "$u" | cut -d: -f7)" = /usr/sbin/nologin ]'
check "/var/lib/sysprint: sysprint's, 0700" sh -c '[ "$(stat -c "%U %G %a" /var/lib/sysprint)" = "sysprint sysprint 700" ]'
check "/var/log/sysprint: sysprint's, 0750" sh -c '[ "$(stat -c "%U %G %a" /var/log/sysprint)" = "sysprint sysprint 750" ]'
check "/var/spool/sysprint exists" test -d /var/spool/sysprint
check "/etc/sysprint/agent.json is a conffile" sh -c 'dpkg-query -W -f="\${Conffiles}" sysprint | grep -q "/etc/sysprint/agent.json"'
unit=/lib/systemd/system/sysprint-agent.service
check "the unit: ExecStart, RestartPreventExitStatus, ExecReload" sh -c "grep -q '^ExecStart=/usr/bin/sysprint watch --config /etc/sysprint/agent.json$' $unit \
    && grep -q '^RestartPreventExitStatus=64 65 66 74 77$' $unit && grep -q '^ExecReload=/bin/kill -HUP \$MAINPID$' $unit && grep -q '^User=sysprint$' $unit"
if command -v systemd-analyze >/dev/null 2>&1; then
    systemd-analyze security --offline=true "$unit" >"$work/security" 2>&1
    score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' "$work/security")
    check "systemd-analyze security --offline: exposure ${score:-?} <= 2.5" awk -v s="${score:-99}" 'BEGIN { exit !(s <= 2.5) }'
else
    echo "# systemd-analyze missing: the exposure score is not checked"
fi

# 3. Learn and check as root, on the service's store.
db=/var/lib/sysprint/sysprint.db
mkdir -p "$work/normal"
for i in 1 2 3; do log $((100 + i)) "" >"$work/normal/run$i.strace"; done
log 300 "" >"$work/normal-check.strace"
log 301 'socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 4' >"$work/tampered.strace"
check "sysprint train (as root) into the service's store" /usr/bin/sysprint train --db "$db" "$work/normal"
check "the store stays the service user's" sh -c "[ \"\$(stat -c %U $db)\" = sysprint ]"
check "sysprint check of a normal log: exit 0" /usr/bin/sysprint check --db "$db" "$work/normal-check.strace"
/usr/bin/sysprint check --db "$db" "$work/tampered.strace" >"$work/check.out" 2>&1
status=$?
check "sysprint check of a tampered log: exit 1, the unknown transition named ($status)" sh -c "[ $status = 1 ] && grep -q 'read(0) → socket(41)' $work/check.out"

# 4. The service's own command line, as its user.
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
user=$(sed -n 's/^User=//p' "$unit")
# shellcheck disable=SC2086 # the unit's command line, split as systemd splits this one
runuser -u "$user" -- $exec_start >"$work/agent.out" 2>"$work/agent.err" &
runner=$!
# Signals go to the agent itself, as systemd sends them to MAINPID (runuser would end its session).
wait_for 60 pgrep -P "$runner" -x sysprint
agent=$(pgrep -P "$runner" -x sysprint)
check "the unit's ExecStart runs as $user (pid ${agent:-none}) and starts watching" wait_for 60 grep -q 'watching' "$work/agent.err"
mkdir -p /var/spool/sysprint/vm-01
log 302 'socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 4' >/var/spool/sysprint/vm-01/cat.strace
check "a tampered log in /var/spool/sysprint/vm-01 raises an alert in /var/log/sysprint/alerts.jsonl" \
    wait_for 60 grep -q '"vm.name":"vm-01"' /var/log/sysprint/alerts.jsonl
check "agent-status --config sees the running agent and the alert" sh -c '/usr/bin/sysprint agent-status --config /etc/sysprint/agent.json --json | grep -q "\"running\":true"'
check "the agent runs as $user" sh -c "[ \"\$(ps -o user= -p $agent)\" = $user ]"
# An ignored SIGHUP (this script run under nohup) is inherited by the agent and never reaches it.
sigign=$(sed -n 's/^SigIgn:[[:space:]]*//p' /proc/$$/status)
if (( (16#${sigign:-0} & 1) != 0 )); then
    echo "# SIGHUP is ignored in this run (started under nohup?): the agent inherits that and cannot reload; run without nohup"
fi
kill -HUP "$agent"
check "SIGHUP (ExecReload): the agent reloads the config and the fingerprints" wait_for 60 grep -q 'reloaded (SIGHUP)' "$work/agent.err"
check "after SIGHUP the agent still runs" kill -0 "$agent"
kill -TERM "$agent"
wait "$runner"
status=$?
agent=
check "SIGTERM: the agent stops with status 0 ($status)" test "$status" = 0
[ "$failed" -gt 0 ] && { echo "--- agent's stderr:"; tail -20 "$work/agent.err"; }

# 5. Purge.
check "dpkg --purge sysprint" dpkg --purge sysprint
state >"$work/after"
if diff -u "$work/before" "$work/after" >"$work/state.diff"; then
    ok "after purge the system is as before the install (user, group, files, folders)"
else
    not_ok "after purge the system is as before the install:"
    sed 's/^/    /' "$work/state.diff" | head -40
fi

# 6. Again, and purged while the unit is enabled and an agent runs by hand: prerm stops it, purge
#    removes the enablement, the user and everything else.
check "dpkg -i again" dpkg -i "$deb"
if command -v systemctl >/dev/null 2>&1; then
    check "systemctl enable sysprint-agent (offline)" systemctl enable sysprint-agent.service
fi
/usr/bin/sysprint train --db "$db" "$work/normal" >/dev/null 2>&1
# shellcheck disable=SC2086
runuser -u "$user" -- $exec_start >"$work/agent2.out" 2>"$work/agent2.err" &
runner=$!
check "an agent runs by hand" wait_for 60 grep -q 'watching' "$work/agent2.err"
check "dpkg --purge sysprint while it runs" dpkg --purge sysprint
check "the agent was stopped by the removal" sh -c "! kill -0 $runner 2>/dev/null || { sleep 5; ! kill -0 $runner 2>/dev/null; }"
wait "$runner" 2>/dev/null
state >"$work/after2"
if diff -u "$work/before" "$work/after2" >"$work/state2.diff"; then
    ok "after that purge too the system is as before the install"
else
    not_ok "after that purge the system is as before the install:"
    sed 's/^/    /' "$work/state2.diff" | head -40
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
