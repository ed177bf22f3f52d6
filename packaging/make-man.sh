#!/usr/bin/env bash
# Writes sysprint(1) to stdout from the binary's own --help (the root's and every command's), so
# the man page lists every command and option the binary has, and cannot fall behind it.
# Usage: packaging/make-man.sh BINARY VERSION
set -euo pipefail
bin="$1"
version="$2"
date="$(date -u -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}" +%Y-%m-%d)"

esc() { # troff-safe text: backslashes doubled, a line starting with . or ' protected
    sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"
}
commands=$("$bin" --help | sed -n '/^Commands:/,$p' | awk 'NR > 1 && /^  [a-z]/ { print $1 }')

cat <<TROFF
.TH SYSPRINT 1 "$date" "sysprint $version" "User Commands"
.SH NAME
sysprint \\- system-call fingerprints of well-known programs: learn, check, and watch VMs' logs (host intrusion detection)
.SH SYNOPSIS
.B sysprint
.I command
.RI [ options ]
.RI [ arguments ]
.SH DESCRIPTION
TROFF
"$bin" --help | sed -n '/^Description:/,/^$/p' | sed '1d;/^$/d;s/^  //' | esc
cat <<'TROFF'
.PP
Each command below is shown as
.B sysprint
.I command
.B \-\-help
prints it.
.SH COMMANDS
TROFF
for command in $commands; do
    echo ".SS $command"
    echo ".nf"
    "$bin" "$command" --help | esc
    echo ".fi"
done
cat <<'TROFF'
.SH EXIT STATUS
.TP
.B 0
every log was normal (or the command succeeded)
.TP
.B 1
at least one log was anomalous
.TP
.B 64
usage error
.TP
.B 65
malformed input, reported as path:line:col
.TP
.B 66
an input (a log, the store, a spool, a profile) is missing or unreadable
.TP
.B 69
a tool (strace, a compiler) is missing, or tracing is not permitted here
.TP
.B 70
a bug in sysprint
.TP
.B 74
the store is locked, corrupt or too new
.TP
.B 75
watch: another agent already watches with the same store
.TP
.B 77
a fingerprint failed its seal check, or a key, store or config others may write was refused
.SH FILES
.TP
.I /etc/sysprint/agent.json
the agent's configuration (watch \-\-config); every key is documented in it
.TP
.I /var/lib/sysprint/sysprint.db
the service's store: fingerprints, the alert outbox, the watched files' progress
.TP
.I /var/spool/sysprint/NAME/
the logs of VM NAME, as they arrive
.TP
.I /var/log/sysprint/alerts.jsonl
the alerts, one JSON object per line (Falco's shape)
.TP
.I /lib/systemd/system/sysprint-agent.service
the agent's service (systemctl enable \-\-now sysprint-agent; systemctl reload sysprint-agent re-reads the config and the fingerprints)
.SH ENVIRONMENT
.TP
.B SYSPRINT_DB
the store when \-\-db is not given (else ./sysprint.db)
.TP
.B SYSPRINT_TRUST
the public key seals are checked with when \-\-trust is not given
.TP
.B SYSPRINT_BUSY_TIMEOUT
seconds to wait for another command's write to the store (10)
.SH SEE ALSO
.BR strace (1),
.BR systemctl (1),
.BR journalctl (1);
/usr/share/doc/sysprint/README.md and AGENT.md
TROFF
