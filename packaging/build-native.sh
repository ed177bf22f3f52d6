#!/usr/bin/env bash
# Builds the sysprint command as one native (Native AOT) binary: no .NET runtime needed where it
# runs, SQLite linked in (Debian's static libsqlite3.a). Writes dist/native/RID/sysprint.
# Usage: packaging/build-native.sh [RID]   (default linux-x64; linux-arm64 needs a cross toolchain,
#        see docs/PACKAGING.md). Needs the .NET SDK, clang, zlib1g-dev and libsqlite3-dev
#        (apt-get install clang zlib1g-dev libsqlite3-dev); the AOT compiler package comes from NuGet.
#        SYSPRINT_PIE=1 builds a position-independent executable (slower start-up, see the csproj).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
rid="${1:-linux-x64}"
out="$root/dist/native/$rid"
missing=()
command -v clang >/dev/null 2>&1 || missing+=(clang)
[ -e /usr/include/zlib.h ] || missing+=(zlib1g-dev)
case "$rid" in
linux-x64) triple=x86_64-linux-gnu ;;
linux-arm64) triple=aarch64-linux-gnu ;;
*) echo "build-native: unsupported RID '$rid': linux-x64 or linux-arm64" >&2; exit 64 ;;
esac
[ -e "/usr/lib/$triple/libsqlite3.a" ] || missing+=("libsqlite3-dev$([ "$rid" = linux-arm64 ] && echo ':arm64')")
if [ ${#missing[@]} -gt 0 ]; then
    echo "build-native: missing ${missing[*]}: apt-get install ${missing[*]}" >&2
    exit 69
fi
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
publish="$root/.build/native-publish/$rid"
rm -rf "$publish"
mkdir -p "$publish"
echo "build-native: dotnet publish -r $rid -p:PublishAot=true (a few minutes)" >&2
# Not niced: beside other busy processes (CI under load) a niced AOT compile got a tenth of a core.
if ! dotnet publish "$root/src/Sysprint.Cli/Sysprint.Cli.csproj" -c Release -r "$rid" -p:PublishAot=true \
        -p:SysprintSqliteStatic="/usr/lib/$triple/libsqlite3.a" -p:PositionIndependentExecutable="$([ "${SYSPRINT_PIE:-}" = 1 ] && echo true || echo false)" \
        -o "$publish" --nologo >"$publish/../$rid.log" 2>&1; then
    cat "$publish/../$rid.log" >&2
    echo "build-native: the native build failed (see above)" >&2
    exit 70
fi
mkdir -p "$out"
# Only the binary: SQLite is inside it, the debug symbols stay in .build/ (sysprint.dbg). The
# plotting libraries that only 'eval --plots' loads (SkiaSharp) are left out (docs/PACKAGING.md).
install -m 0755 "$publish/sysprint" "$out/sysprint"
echo "build-native: $out/sysprint ($(du -h "$out/sysprint" | cut -f1))" >&2
