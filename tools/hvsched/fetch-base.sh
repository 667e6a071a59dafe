#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Fetch Debian's linux-source-7.3 into build/base with a private apt state,
# using the Debian mirror configured on this machine.  No mirror host name is
# written anywhere: it is read from the system's apt sources at run time.
set -euo pipefail

B=${BUILD:-build}
PKG=${BASE_PKG:-linux-source-7.3}
SUITES=${BASE_SUITES:-"trixie-backports sid trixie forky experimental"}
die() { echo "fetch-base: error: $*" >&2; exit 1; }

[ -f "$B/base/.stamp" ] && { cat "$B/base/.stamp"; exit 0; }

rm -rf "$B/base.tmp"
mkdir -p "$B/base.tmp"
echo "fetch-base: apt-get update (configured Debian mirror; suites: $SUITES)"
conf=$(bash "$(dirname "$0")/apt-private.sh" "$B" $SUITES) || exit 1
export APT_CONFIG=$conf
ver=$(apt-cache policy "$PKG" 2>/dev/null | awk '/Candidate:/{print $2}')
[ -n "$ver" ] && [ "$ver" != "(none)" ] ||
	die "package $PKG is in none of the suites $SUITES on the configured mirror"
echo "fetch-base: downloading $PKG $ver"
(cd "$B/base.tmp" && apt-get -q download "$PKG=$ver" > download.log 2>&1) ||
	die "apt-get download $PKG=$ver failed (see $B/base.tmp/download.log)"
deb=$(ls "$B"/base.tmp/*.deb)
dpkg-deb -x "$deb" "$B/base.tmp/pkg" || die "dpkg-deb could not unpack $deb"
tarball=$(ls "$B"/base.tmp/pkg/usr/src/linux-source-*.tar.* | head -n 1)
[ -n "$tarball" ] || die "$deb holds no kernel source tarball"
echo "fetch-base: unpacking $(basename "$tarball")"
mkdir -p "$B/base.tmp/src"
tar -xf "$tarball" -C "$B/base.tmp/src" || die "could not unpack $tarball"
src=$(ls -d "$B"/base.tmp/src/*/ | head -n 1)
rm -rf "$B/base"
mv "$src" "$B/base"
kv=$(make -s -C "$B/base" kernelversion 2>/dev/null || echo unknown)
echo "base: Debian $PKG $ver (kernel $kv)" > "$B/base/.stamp"
rm -rf "$B/base.tmp"
cat "$B/base/.stamp"
