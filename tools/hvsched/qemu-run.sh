#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# qemu-run.sh BZIMAGE INITRAMFS MODE LOG [TIMEOUT_S]
# Boot the test guest under QEMU TCG: 4 vCPUs as 2 cores (one per socket
# and NUMA node) x 2 threads, CPU 3 nohz_full (the cancel stress runs a VP
# there; tsc=reliable keeps sched_clock stable, without which the tick never
# stops on a nohz_full CPU).  The console goes to LOG (and to stdout when
# VERBOSE=1).  A guest that hangs past TIMEOUT_S is killed: exit 124.  A
# guest that powers off without printing HVSCHED-DONE (panic, crash) exits 1.
#
# Under a loaded host, QEMU 7.2's multi-threaded TCG has been seen to stall a
# guest for good while its clocksource switches to the TSC (stop_machine),
# long before init and before any driver of the series runs.  Such a stall
# (no "Run /init" within STALL_S seconds) is logged with the vCPUs'
# registers and the boot is retried once; any later hang is a failure.
set -uo pipefail
kernel=$1 initrd=$2 mode=$3 log=$4 tmo=${5:-1200}
stall=${STALL_S:-120}
command -v qemu-system-x86_64 >/dev/null || { echo "qemu-run: error: qemu-system-x86_64 missing (apt-get install qemu-system-x86)" >&2; exit 2; }
mem=${QEMU_MEM:-3G}
half=$(( ${mem%G} * 512 ))M
mon=$log.mon
args=(-machine q35 -cpu max,vendor=GenuineIntel -accel tcg,thread=multi -m "$mem"
      -smp 4,sockets=2,cores=1,threads=2
      -object memory-backend-ram,id=m0,size=$half -object memory-backend-ram,id=m1,size=$half
      -numa node,nodeid=0,cpus=0-1,memdev=m0 -numa node,nodeid=1,cpus=2-3,memdev=m1
      -kernel "$kernel" -initrd "$initrd"
      -append "console=ttyS0 panic=-1 oops=panic nokaslr nohz_full=3 tsc=reliable hvsched.mode=$mode ${KAPPEND:-}"
      -nographic -no-reboot -nodefaults -serial stdio -monitor "unix:$mon,server,nowait")

monitor() { # monitor CMD: one human-monitor command, output on stdout
	python3 - "$mon" "$1" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b'\n')
time.sleep(1)
data = b''
try:
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
except OSError:
    pass
print(data.decode(errors='replace'))
PY
}

boot() { # boot ATTEMPT: 0 finished, 124 hung, 125 stalled before init
	local start pid rc
	rm -f "$mon"
	start=$(date +%s)
	if [ "${VERBOSE:-0}" = 1 ]; then
		qemu-system-x86_64 "${args[@]}" < /dev/null 2>&1 | tee "$log" &
	else
		qemu-system-x86_64 "${args[@]}" < /dev/null > "$log" 2>&1 &
	fi
	pid=$!
	while kill -0 $pid 2>/dev/null; do
		sleep 1
		el=$(( $(date +%s) - start ))
		if [ $el -ge "$stall" ] && ! grep -q 'Run /init' "$log"; then
			{ echo "qemu-run: guest stalled before init after ${el}s; vCPU state:";
			  monitor "info registers -a" | grep -E '^(CPU|RIP|RAX|RSP)'; } > "$log.stall" 2>&1
			pkill -P $pid 2>/dev/null; kill $pid 2>/dev/null; wait $pid 2>/dev/null
			pkill -f -- "-monitor unix:$mon" 2>/dev/null
			return 125
		fi
		if [ $el -ge "$tmo" ]; then
			pkill -f -- "-monitor unix:$mon" 2>/dev/null; kill $pid 2>/dev/null; wait $pid 2>/dev/null
			return 124
		fi
	done
	wait $pid
	return 0
}

boot; rc=$?
if [ $rc = 125 ]; then
	cp "$log" "$log.stalled"
	echo "qemu-run: guest stalled before init (TCG, see $log.stall); retrying once" >&2
	boot; rc=$?
	[ $rc = 125 ] && rc=124
fi
rm -f "$mon"
tr -d '\r' < "$log" > "$log.tmp" && mv "$log.tmp" "$log"
if [ $rc = 124 ]; then
	echo "qemu-run: error: guest hung (no power-off within ${tmo}s, or stalled twice before init); console in $log" >&2
	exit 124
fi
if ! grep -q '^HVSCHED-DONE' "$log"; then
	why=$(grep -m1 -E 'Kernel panic|BUG:|Oops' "$log" || echo "no HVSCHED-DONE marker")
	echo "qemu-run: error: guest ended abnormally ($why); console in $log" >&2
	exit 1
fi
exit 0
