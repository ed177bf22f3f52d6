#!/usr/bin/env bash
# Builds the Debian package of the agent: dist/sysprint_VERSION_ARCH.deb, holding
#   /usr/bin/sysprint                           the native binary (packaging/build-native.sh)
#   /lib/systemd/system/sysprint-agent.service  deploy/'s unit, ExecStart=/usr/bin/sysprint
#   /etc/sysprint/agent.json                    deploy/agent.json, a conffile
#   /usr/share/man/man1/sysprint.1.gz           made from the binary's --help (packaging/make-man.sh)
#   /usr/share/doc/sysprint/                    README.md, AGENT.md
# and maintainer scripts (packaging/debian/) that make the 'sysprint' system user and the state,
# log and spool folders at install and remove them all at purge.
# Usage: packaging/build-deb.sh [RID]   (default linux-x64). SYSPRINT_NATIVE: a native binary
#        already built (else build-native.sh builds one); SYSPRINT_VERSION overrides the version.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
rid="${1:-linux-x64}"
case "$rid" in
linux-x64) arch=amd64 ;;
linux-arm64) arch=arm64 ;;
*) echo "build-deb: unsupported RID '$rid': linux-x64 or linux-arm64" >&2; exit 64 ;;
esac
command -v dpkg-deb >/dev/null 2>&1 || { echo "build-deb: dpkg-deb is missing: apt-get install dpkg" >&2; exit 69; }
native="${SYSPRINT_NATIVE:-$root/dist/native/$rid/sysprint}"
if [ -z "${SYSPRINT_NATIVE:-}" ]; then
    "$root/packaging/build-native.sh" "$rid"
fi
[ -x "$native" ] || { echo "build-deb: $native: no native binary" >&2; exit 66; }

# 1.0.0 (the assembly's version) + the commit: later commits sort later (dpkg --compare-versions).
base="$("$native" --version 2>/dev/null | cut -d+ -f1)"
if [ -n "${SYSPRINT_VERSION:-}" ]; then
    version="$SYSPRINT_VERSION"
elif git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
    version="$base+git$(git -C "$root" rev-list --count HEAD).$(git -C "$root" rev-parse --short=7 HEAD)"
else
    version="$base"
fi
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)}"

stage="$(mktemp -d /tmp/sysprint-deb-XXXXXX)"
trap 'rm -rf "$stage"' EXIT
pkg="$stage/sysprint"
install -d -m 0755 "$pkg/DEBIAN" "$pkg/usr/bin" "$pkg/lib/systemd/system" "$pkg/etc/sysprint" \
    "$pkg/usr/share/man/man1" "$pkg/usr/share/doc/sysprint"
install -m 0755 "$native" "$pkg/usr/bin/sysprint"
install -m 0644 "$root/deploy/agent.json" "$pkg/etc/sysprint/agent.json"

# The unit: deploy/'s, with the package's paths. The native binary compiles nothing at run time,
# so it also runs with MemoryDenyWriteExecute (the JIT build of deploy/ cannot).
{
    echo "# systemd unit of the Sysprint agent (sysprint watch), installed by the sysprint package."
    echo "# The store must exist first: sysprint train --db /var/lib/sysprint/sysprint.db NORMAL-LOGS..."
    echo "# then: systemctl enable --now sysprint-agent. See /usr/share/doc/sysprint/AGENT.md."
    sed -n '/^\[Unit\]/,$p' "$root/deploy/sysprint-agent.service" \
        | sed -e 's|/opt/sysprint/sysprint|/usr/bin/sysprint|g' -e '/^Environment=DOTNET_/d' \
              -e '/^# Not set, on purpose: MemoryDenyWriteExecute/,/^# spools belong to/c\
# The native binary compiles no code at run time: no writable and executable memory.\
MemoryDenyWriteExecute=yes\
# Not set, on purpose: PrivateNetwork and IPAddressDeny (the sinks reach syslog, webhooks and\
# the fleet server), PrivateUsers (the spools belong to the hypervisor'"'"'s users and groups).'
} >"$pkg/lib/systemd/system/sysprint-agent.service"
grep -q '^ExecStart=/usr/bin/sysprint watch --config /etc/sysprint/agent.json$' "$pkg/lib/systemd/system/sysprint-agent.service"
grep -q '^MemoryDenyWriteExecute=yes$' "$pkg/lib/systemd/system/sysprint-agent.service"
chmod 0644 "$pkg/lib/systemd/system/sysprint-agent.service"

"$root/packaging/make-man.sh" "$native" "$version" | gzip -9n >"$pkg/usr/share/man/man1/sysprint.1.gz"
chmod 0644 "$pkg/usr/share/man/man1/sysprint.1.gz"
install -m 0644 "$root/README.md" "$root/docs/AGENT.md" "$pkg/usr/share/doc/sysprint/"

for script in postinst prerm postrm; do
    install -m 0755 "$root/packaging/debian/$script" "$pkg/DEBIAN/$script"
done
echo /etc/sysprint/agent.json >"$pkg/DEBIAN/conffiles"
size_kb=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
cat >"$pkg/DEBIAN/control" <<CONTROL
Package: sysprint
Version: $version
Architecture: $arch
Maintainer: Sysprint developers <sysprint@localhost>
Installed-Size: $size_kb
Depends: libc6 (>= 2.34), libssl3 | libssl3t64, passwd
Recommends: strace
Suggests: libgssapi-krb5-2
Section: admin
Priority: optional
Homepage: https://github.com/sysprint/sysprint
Description: system-call fingerprint intrusion detection agent
 Sysprint learns the system-call fingerprint of well-known programs from
 strace logs (for each call, the calls that may follow it) and checks new
 logs against it, as in Gupta & Kumar's fingerprinting approach for cloud
 hosts. The agent (sysprint-agent.service) watches the VMs' logs as they
 arrive in /var/spool/sysprint/NAME/ and raises an alert, in Falco's JSON
 shape, on the first call a fingerprint does not know.
 .
 One native binary: no .NET runtime needed.
CONTROL

mkdir -p "$root/dist"
out="$root/dist/sysprint_${version}_${arch}.deb"
# Files owned by root whoever builds; xz, reproducible timestamps (SOURCE_DATE_EPOCH).
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$out" >/dev/null
echo "build-deb: $out ($(du -h "$out" | cut -f1); installed $((size_kb / 1024)) MiB)" >&2
echo "$out"
