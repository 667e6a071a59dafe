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
# The test configuration builds every one of our files; all are checked in
# one make invocation (one walk of the tree), and each file's warnings are
# picked out of the common log.
objs=()
for f in $files; do
	obj=${f%.c}.o
	if [ -f "$B/out/test/$obj" ]; then
		objs+=("$obj")
	else
		record "sparse + W=1 clean: $f" FAIL "not built by test.config"
	fi
done
log=$B/static.log
make -s -C "$B/tree" O="$PWD/$B/out/test" ARCH=x86_64 CC="$cc" CHECK="$sparse" C=2 W=1 \
	-j"$(( $(nproc) + 1 ))" "${objs[@]}" > "$log" 2>&1
rc=$?
for obj in "${objs[@]}"; do
	f=${obj%.o}.c
	w=$(grep -E "(^|/)$f:[0-9]+:[0-9]+: (warning|error)" "$log" | head -n 3)
	if [ -n "$w" ]; then
		record "sparse + W=1 clean: $f" FAIL "$(echo "$w" | head -n 1)"
	elif [ $rc != 0 ]; then
		record "sparse + W=1 clean: $f" FAIL "the build failed, see $log"
	else
		record "sparse + W=1 clean: $f" PASS
	fi
done
# Put the objects back as the normal build compiles them.
make -s -C "$B/tree" O="$PWD/$B/out/test" ARCH=x86_64 CC="$cc" -j"$(( $(nproc) + 1 ))" bzImage > /dev/null 2>&1
exit 0
