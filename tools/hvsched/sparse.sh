#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# sparse.sh : print the path of a sparse the kernel accepts
# (scripts/checker-valid.sh).  Debian bookworm's sparse 0.6.4 predates
# __typeof_unqual__; then Debian's newer sparse source package is fetched
# through the private apt state and its sparse binary built in
# build/tools/ (about 30 s, once).
set -euo pipefail
cd "$(dirname "$0")/../.."
. tools/hvsched/lib.sh
die() { echo "sparse: error: $*" >&2; exit 1; }
valid() { [ "$(sh "$B/tree/scripts/checker-valid.sh" "$1" --arch=x86_64 -mlittle-endian -m64 2>/dev/null)" = 1 ]; }
if command -v sparse >/dev/null && valid sparse; then command -v sparse; exit 0; fi
own=$PWD/$B/tools/bin/sparse
if [ -x "$own" ] && valid "$own"; then echo "$own"; exit 0; fi
conf=$(bash "$HV/apt-private.sh" "$B" sid) || exit 1
command -v dpkg-source >/dev/null || die "dpkg-source missing (apt-get install dpkg-dev)"
work=$B/tools/sparse-src
rm -rf "$work"; mkdir -p "$work"
(cd "$work" && APT_CONFIG=$conf apt-get -q source --download-only sparse > download.log 2>&1) ||
	die "apt-get source sparse failed (see $work/download.log)"
(cd "$work" && dpkg-source -q -x ./*.dsc src > unpack.log 2>&1) || die "dpkg-source -x failed (see $work/unpack.log)"
make -s -C "$work/src" -j"$(nproc)" CC=gcc sparse > "$work/build.log" 2>&1 || die "building sparse failed (see $work/build.log)"
mkdir -p "$B/tools/bin"
cp "$work/src/sparse" "$own.tmp" && mv "$own.tmp" "$own"
valid "$own" || die "the sparse built from Debian's source package is not accepted by the kernel either"
echo "$own"
