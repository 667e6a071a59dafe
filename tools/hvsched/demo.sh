#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh : make demo.  Build the test kernel with the series, boot it under
# QEMU and print what the demo scenario (guest/demo.sh) measured.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tools/hvsched/lib.sh
mkdir -p "$B"
step "prepare: dependencies, base kernel, series tree"
prepare_tree || { echo "demo: error: could not prepare the kernel tree" >&2; exit 1; }
step "build: test kernel"
kbuild_test || { echo "demo: error: the test kernel does not build (see $B/out/test/build.log)" >&2; exit 1; }
bash "$HV/ksft.sh" "$B/ksft" || { echo "demo: error: the kselftests do not build (see $B/ksft.log)" >&2; exit 1; }
bash "$HV/mkinitramfs.sh" "$B/initramfs-demo.cpio.gz" "$B/ksft/install" || exit 1
step "boot: QEMU TCG, 4 vCPUs (2 cores x 2 threads), 2 NUMA nodes"
bash "$HV/qemu-run.sh" "$B/out/test/arch/x86/boot/bzImage" "$B/initramfs-demo.cpio.gz" demo "$B/demo.log" 900
rc=$?
echo
# The demo's own output; kernel messages (timestamped) stay in the log.
sed -n '/^HVSCHED-DEMO-BEGIN/,/^HVSCHED-DEMO-END/{/^HVSCHED-DEMO-/d;p}' "$B/demo.log" |
	grep -v '^\[ *[0-9][0-9]*\.[0-9]*\] '
echo
# The same scan make check applies: boot, KUnit, a kernel log free of
# WARN/BUG/lockdep/KASAN reports.
: > "$B/demo-results.txt"
python3 "$HV/results.py" "$B/demo.log" "demo boot, KUnit and kernel log" "$B/tree" "$B/demo-results.txt" || rc=1
grep -q '^FAIL' "$B/demo-results.txt" && rc=1
echo "(full console log: $B/demo.log)"
exit $rc
