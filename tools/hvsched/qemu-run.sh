#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# qemu-run.sh BZIMAGE INITRAMFS MODE LOG [TIMEOUT_S]
# Boot the test guest under QEMU TCG: 4 vCPUs as 2 cores (one per socket) x 2 threads over
# 2 NUMA nodes.  The console goes to LOG (and to stdout when VERBOSE=1).
# A guest that hangs past TIMEOUT_S is killed: exit 124.  A guest that
# powers off without printing HVSCHED-DONE (panic, crash) exits 1.
set -uo pipefail
kernel=$1 initrd=$2 mode=$3 log=$4 tmo=${5:-1200}
command -v qemu-system-x86_64 >/dev/null || { echo "qemu-run: error: qemu-system-x86_64 missing (apt-get install qemu-system-x86)" >&2; exit 2; }
mem=${QEMU_MEM:-3G}
half=$(( ${mem%G} * 512 ))M
args=(-machine q35 -cpu max,vendor=GenuineIntel -accel tcg,thread=multi -m "$mem"
      -smp 4,sockets=2,cores=1,threads=2
      -object memory-backend-ram,id=m0,size=$half -object memory-backend-ram,id=m1,size=$half
      -numa node,nodeid=0,cpus=0-1,memdev=m0 -numa node,nodeid=1,cpus=2-3,memdev=m1
      -kernel "$kernel" -initrd "$initrd"
      -append "console=ttyS0 panic=-1 oops=panic nokaslr hvsched.mode=$mode ${KAPPEND:-}"
      -nographic -no-reboot -nodefaults -serial stdio -monitor none)
if [ "${VERBOSE:-0}" = 1 ]; then
	timeout --foreground -k 10 "$tmo" qemu-system-x86_64 "${args[@]}" < /dev/null 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
else
	timeout -k 10 "$tmo" qemu-system-x86_64 "${args[@]}" < /dev/null > "$log" 2>&1
	rc=$?
fi
tr -d '\r' < "$log" > "$log.tmp" && mv "$log.tmp" "$log"
if [ $rc = 124 ] || [ $rc = 137 ]; then
	echo "qemu-run: error: guest did not finish within ${tmo}s (hung); console in $log" >&2
	exit 124
fi
if ! grep -q '^HVSCHED-DONE' "$log"; then
	why=$(grep -m1 -E 'Kernel panic|BUG:|Oops' "$log" || echo "no HVSCHED-DONE marker")
	echo "qemu-run: error: guest ended abnormally ($why); console in $log" >&2
	exit 1
fi
exit 0
