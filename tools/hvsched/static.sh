#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# static.sh : sparse (C=2) and W=1 on every C file the overlay adds to the
# kernel, in the test kernel's output directory.  Any warning in one of
# our files is a failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tools/hvsched/lib.sh
files=$(git ls-files --cached --others --exclude-standard 'drivers/*.c' 'arch/*.c' 'kernel/*.c' 'virt/*.c')
[ -n "$files" ] || { echo "  (no C files in the overlay yet)"; exit 0; }
cc=gcc; command -v ccache >/dev/null && cc="ccache gcc"
sparse=$(bash "$HV/sparse.sh") || { record "sparse available" FAIL "see the error above"; exit 0; }
for f in $files; do
	obj=${f%.c}.o
	# The test configuration builds every one of our files.
	[ -f "$B/out/test/$obj" ] || { record "sparse + W=1 clean: $f" FAIL "not built by test.config"; continue; }
	log=$B/static-$(echo "$f" | tr / _).log
	make -s -C "$B/tree" O="$PWD/$B/out/test" ARCH=x86_64 CC="$cc" CHECK="$sparse" C=2 W=1 "$obj" > "$log" 2>&1
	rc=$?
	w=$(grep -E "(^|/)$f:[0-9]+:[0-9]+: (warning|error)" "$log" | head -n 3)
	if [ $rc = 0 ] && [ -z "$w" ]; then
		record "sparse + W=1 clean: $f" PASS
	else
		record "sparse + W=1 clean: $f" FAIL "$(echo "${w:-build failed, see $log}" | head -n 1)"
	fi
done
# Put the objects back as the normal build compiles them.
make -s -C "$B/tree" O="$PWD/$B/out/test" ARCH=x86_64 CC="$cc" -j"$(( $(nproc) + 1 ))" bzImage > /dev/null 2>&1
exit 0
