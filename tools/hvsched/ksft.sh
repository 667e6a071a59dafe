#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# ksft.sh OUTDIR : build and install the kselftests of the series (every
# tools/testing/selftests/<target>/ directory of the overlay with a Makefile)
# into OUTDIR/install, statically linked, and write the guest's run list.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tools/hvsched/lib.sh
out=$1
rm -rf "$out"; mkdir -p "$out/install"
targets=$(git ls-files --cached --others --exclude-standard 'tools/testing/selftests/*/Makefile' |
	  sed 's|^tools/testing/selftests/||; s|/Makefile$||' | sort)
: > "$out/install/list"
[ -n "$targets" ] || { echo "  (no kselftests in the overlay yet)"; exit 0; }
make -s -C "$B/tree" O="$PWD/$B/out/test" ARCH=x86_64 headers_install > "$B/ksft.log" 2>&1 || exit 1
make -C "$B/tree/tools/testing/selftests" TARGETS="$targets" O="$PWD/$out/build" \
	KHDR_INCLUDES="-isystem $PWD/$B/out/test/usr/include" \
	INSTALL_PATH="$PWD/$out/install" install >> "$B/ksft.log" 2>&1 || exit 1
# kselftest-list.txt holds "collection:test" lines.
sed -n 's|^\(.*\):\(.*\)$|\1/\2|p' "$out/install/kselftest-list.txt" > "$out/install/list"
echo "  kselftests: $(wc -l < "$out/install/list") programs"
