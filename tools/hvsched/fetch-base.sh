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
APT=$B/apt
die() { echo "fetch-base: error: $*" >&2; exit 1; }

[ -f "$B/base/.stamp" ] && { cat "$B/base/.stamp"; exit 0; }

# The Debian mirror URI from deb822 or one-line sources.
mirror=""
for f in /etc/apt/sources.list.d/*.sources; do
	[ -f "$f" ] || continue
	m=$(awk 'BEGIN{IGNORECASE=1} /^URIs:/{for(i=2;i<=NF;i++) if ($i ~ /\/debian\/?$/) {print $i; exit}}' "$f")
	[ -n "$m" ] && { mirror=$m; break; }
done
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
	mirror=$(awk '$1=="deb" && $2 ~ /\/debian\/?$/ {print $2; exit}' /etc/apt/sources.list)
fi
[ -n "$mirror" ] || die "no Debian mirror found in the system apt sources (/etc/apt/sources.list{,.d})"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$keyring" ] || die "missing $keyring (apt-get install debian-archive-keyring)"

rm -rf "$APT" "$B/base.tmp"
mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$B/base.tmp"
APT=$(readlink -f "$APT")
: > "$APT/sources.list"
for s in $SUITES; do
	echo "deb [signed-by=$keyring] $mirror $s main" >> "$APT/sources.list"
done
aptopts=(-o Dir::Etc::SourceList="$APT/sources.list" -o Dir::Etc::SourceParts=/dev/null
	 -o Dir::State::Lists="$APT/lists" -o Dir::Cache="$APT/cache"
	 -o Dir::State::Status=/dev/null -o APT::Get::List-Cleanup=0
	 -o Acquire::Retries=2 -o Debug::NoLocking=1)
echo "fetch-base: apt-get update (configured Debian mirror; suites: $SUITES)"
# A suite the mirror does not carry (any more) is not an error by itself:
# only a mirror that answered for none of them is.
apt-get -q "${aptopts[@]}" update > "$APT/update.log" 2>&1 || true
ls "$APT"/lists/*_Packages* >/dev/null 2>&1 ||
	die "the configured Debian mirror answered for none of the suites $SUITES (unreachable? see $APT/update.log)"
ver=$(apt-cache "${aptopts[@]}" policy "$PKG" 2>/dev/null | awk '/Candidate:/{print $2}')
[ -n "$ver" ] && [ "$ver" != "(none)" ] ||
	die "package $PKG is in none of the suites $SUITES on the configured mirror"
echo "fetch-base: downloading $PKG $ver"
(cd "$B/base.tmp" && apt-get -q "${aptopts[@]}" download "$PKG=$ver" > download.log 2>&1) ||
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
