#!/usr/bin/env bash
# Regenerates the screenshots of the administrator's console under docs/console/ (shown in the
# README): a throw-away PostgreSQL (.ci/postgres), a real server, profiles learnt from strace
# captures of real programs, and Debian's Chromium driven by Playwright
# (tests/Sysprint.Fleet.Tests/Console/Browser/ConsoleScreenshots.cs).
# Needs: postgresql (15), chromium, strace (apt-get install postgresql chromium strace).
set -euo pipefail
cd "$(dirname "$0")/.."

out="$PWD/docs/console"
mkdir -p "$out"
pgroot=$(mktemp -d /tmp/sysprint-shots-pg.XXXXXX)
chmod 0755 "$pgroot"
trap '.ci/postgres stop "$pgroot/pg"; rmdir "$pgroot" 2>/dev/null || true' EXIT
SYSPRINT_TEST_PG=$(.ci/postgres start "$pgroot/pg")
export SYSPRINT_TEST_PG SYSPRINT_CONSOLE_SCREENSHOTS="$out" DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet test tests/Sysprint.Fleet.Tests -c Release --filter "FullyQualifiedName~ConsoleScreenshots" --logger "console;verbosity=minimal"
ls -l "$out"
