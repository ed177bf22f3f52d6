#!/usr/bin/env bash
# The console's server time at fleet size (issue 14): 1,000 hosts and 100,000 alerts in a seeded
# PostgreSQL, a real `sysprint serve`, and each page's API calls timed by the server itself
# (Server-Timing: app;dur=MS, from the request's arrival to the response's start). Prints the
# median and p90 of 21 requests per call (after 3 warm-ups) and, per page, the sum of its calls'
# medians. Target: under 300 ms per page.
# Usage: bench/console/run.sh [HOSTS] [ALERTS]    (defaults 1000 100000)
# Needs: the .NET SDK, PostgreSQL 15 (Debian's postgresql), curl. Takes a few minutes.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
hosts="${1:-1000}"
alerts="${2:-100000}"
runs=21
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

work="$(mktemp -d /tmp/sysprint-console-bench-XXXXXX)"
chmod 0755 "$work"
server_pid=
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    "$root/.ci/postgres" stop "$work/pg"
    rm -rf "$work"
}
trap cleanup EXIT

dotnet build "$root/src/Sysprint.Cli/Sysprint.Cli.csproj" -c Release -o "$work/cli" --nologo -v quiet -p:UseAppHost=true >"$work/build.log" 2>&1 \
    || { cat "$work/build.log" >&2; exit 70; }
cs=$("$root/.ci/postgres" start "$work/pg")
port=$(sed -E 's/.*Port=([0-9]+).*/\1/' <<<"$cs")
db="postgres://sysprint@127.0.0.1:$port/postgres"
psql=(/usr/lib/postgresql/15/bin/psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U sysprint -d postgres)

# A fingerprint to show: a normal run learnt into profile 'nginx' (the schema is created here too).
printf '%s\n' '100 openat(AT_FDCWD, "/etc/nginx/nginx.conf", O_RDONLY) = 3' '100 read(3, "x", 4096) = 1' '100 close(3) = 0' \
    '100 socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 4' '100 write(4, "x", 1) = 1' '100 close(4) = 0' '100 +++ exited with 0 +++' > "$work/nginx.strace"
"$work/cli/sysprint" train --db "$db" --profile nginx "$work/nginx.strace" >/dev/null

head -c 32 /dev/urandom | base64 > "$work/admin.token"
chmod 600 "$work/admin.token"
token=$(cat "$work/admin.token")
"$work/cli/sysprint" serve --db "$db" --listen 127.0.0.1:0 --admin-token-file "$work/admin.token" >"$work/serve.out" 2>"$work/serve.err" &
server_pid=$!
for _ in $(seq 600); do grep -q '^listening on ' "$work/serve.out" && break; sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$work/serve.out")
[ -n "$url" ] || { cat "$work/serve.err" >&2; exit 70; }

t0=$(date +%s.%N)
"${psql[@]}" -v hosts="$hosts" -v alerts="$alerts" -f "$here/seed.sql"
t1=$(date +%s.%N)
size=$("${psql[@]}" -At -c "SELECT pg_size_pretty(pg_total_relation_size('alerts'))")
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); seeded $hosts hosts and $alerts alerts in $(printf '%.1f' "$(echo "$t1 - $t0" | bc)") s (alerts table $size)"

seq=$("${psql[@]}" -At -c "SELECT max(seq) FROM alerts WHERE host = 'hv-0500'")
since=$(date -u -d '-1 day' +%Y-%m-%dT%H:%M:%SZ)
before=$(( seq - 5000 ))

# One line per API call: NAME PATH
calls=(
    "session /api/session"
    "overview /api/overview"
    "alerts /api/alerts?limit=50"
    "alerts-page-40 /api/alerts?limit=50&before=$before"
    "alerts-host-new /api/alerts?limit=50&host=hv-0500&status=new"
    "alerts-program-detector /api/alerts?limit=50&program=nginx&detector=stide"
    "alerts-last-24h-acknowledged /api/alerts?limit=50&since=$since&status=acknowledged"
    "alerts-vm-rare /api/alerts?limit=50&vm=vm-03&program=cron&status=dismissed"
    "alert-detail /api/alerts/$seq"
    "hosts /api/hosts"
    "host-detail /api/hosts/hv-0500"
    "host-alerts /api/alerts?host=hv-0500&limit=20"
    "profiles /api/profiles"
    "profile-detail /api/profiles/nginx"
)

declare -A median
printf '%-30s %10s %10s %10s\n' call median_ms p90_ms wall_ms
for entry in "${calls[@]}"; do
    name=${entry%% *}
    path=${entry#* }
    for _ in 1 2 3; do
        code=$(curl -s -o "$work/body" -w '%{http_code}' -H "Authorization: Bearer $token" "$url$path")
        [ "$code" = 200 ] || { echo "$path: HTTP $code: $(cat "$work/body")" >&2; tail -5 "$work/serve.err" >&2; exit 70; }
    done
    : > "$work/t"
    for _ in $(seq "$runs"); do
        curl -sf -o /dev/null -D "$work/h" -w '%{time_total}\n' -H "Authorization: Bearer $token" "$url$path" > "$work/w"
        dur=$(tr -d '\r' < "$work/h" | sed -n 's/^[Ss]erver-[Tt]iming: app;dur=//p')
        echo "$dur $(cat "$work/w")" >> "$work/t"
    done
    m=$(cut -d' ' -f1 "$work/t" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    p90=$(cut -d' ' -f1 "$work/t" | sort -g | awk '{a[NR]=$1} END {print a[int(NR*0.9+0.5)]}')
    wall=$(cut -d' ' -f2 "$work/t" | sort -g | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]*1000}')
    median[$name]=$m
    printf '%-30s %10s %10s %10s\n' "$name" "$m" "$p90" "$wall"
done

page() { # NAME CALL...: a page's server time, the sum of its calls' medians
    local name=$1 total=0
    shift
    for c in "$@"; do total=$(echo "$total + ${median[$c]}" | bc); done
    printf '%-30s %10s   (%s)\n' "page $name" "$total" "$*"
}
echo
page overview session overview
page alerts session alerts
page "alerts, filtered (program+detector)" session alerts-program-detector
page "alert detail" session alert-detail
page hosts session hosts
page "host detail" session host-detail host-alerts
page fingerprints session profiles
page "fingerprint" session profile-detail
