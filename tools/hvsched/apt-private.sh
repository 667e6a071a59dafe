#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# apt-private.sh BUILD SUITES... : a private apt state under BUILD/apt that
# reads the Debian mirror configured on this machine (no host name is ever
# written outside BUILD/), with binary indices for SUITES and source indices
# for SRC_SUITE (sid).  Prints the path of its apt.conf: use it as
# APT_CONFIG=... apt-get ...
set -euo pipefail
B=$1; shift
die() { echo "apt-private: error: $*" >&2; exit 1; }
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
mkdir -p "$B/apt/lists/partial" "$B/apt/cache/archives/partial"
A=$(readlink -f "$B/apt")
: > "$A/sources.list.new"
for s in "$@"; do
	echo "deb [signed-by=$keyring] $mirror $s main" >> "$A/sources.list.new"
done
echo "deb-src [signed-by=$keyring] $mirror ${SRC_SUITE:-sid} main" >> "$A/sources.list.new"
mv "$A/sources.list.new" "$A/sources.list"
cat > "$A/apt.conf" <<CONF
Dir::Etc::SourceList "$A/sources.list";
Dir::Etc::SourceParts "/dev/null";
Dir::State::Lists "$A/lists";
Dir::State::Status "/dev/null";
Dir::Cache "$A/cache";
APT::Get::List-Cleanup "0";
Acquire::Retries "2";
Debug::NoLocking "1";
CONF
# A suite the mirror does not carry is not an error by itself: only a
# mirror that answered for none of them is.
APT_CONFIG="$A/apt.conf" apt-get -q update > "$A/update.log" 2>&1 || true
ls "$A"/lists/*_Packages* >/dev/null 2>&1 ||
	die "the configured Debian mirror answered for none of the suites $* (unreachable? see $A/update.log)"
echo "$A/apt.conf"
