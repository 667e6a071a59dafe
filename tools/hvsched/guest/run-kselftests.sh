#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Run every installed kselftest binary as one TAP stream of the host runner.
# Each test program prints its own KTAP; this adds one line per program.
set -o pipefail
cd /hvsched/kselftest 2>/dev/null || { echo "1..0 # SKIP no kselftests installed"; exit 0; }
tests=$(cat list 2>/dev/null)
n=0; for t in $tests; do n=$((n + 1)); done
echo "TAP version 13"
echo "1..$n"
i=0
for t in $tests; do
	i=$((i + 1))
	echo "# selftests: $t"
	timeout ${KSFT_TIMEOUT:-300} ./$t 2>&1 | sed 's/^/# /'
	rc=$?
	case $rc in
	0) echo "ok $i selftests: $t" ;;
	4) echo "ok $i selftests: $t # SKIP" ;;
	*) echo "not ok $i selftests: $t # exit=$rc" ;;
	esac
done
