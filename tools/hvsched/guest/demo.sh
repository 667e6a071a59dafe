#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The hvsched demo scenario, run inside the test guest by `make demo`.
echo "== hvsched demo =="
echo "kernel: $(uname -r), CPUs: $(grep -c ^processor /proc/cpuinfo)"
for c in /sys/devices/system/cpu/cpu[0-9]*; do
	node=$(ls -d "$c"/node* 2>/dev/null | sed 's/.*node//')
	echo "  ${c##*/}: node $node, core $(cat "$c"/topology/core_id), SMT siblings $(cat "$c"/topology/thread_siblings_list)"
done
echo
echo "-- scheduler detection (dmesg) --"
dmesg | grep -E 'mshv|Hyper-V' | sed 's/^\[[^]]*\] //' | head -n 20
echo
if [ -r /sys/class/misc/mshv/scheduler_type ]; then
	echo "scheduler type (sysfs): $(cat /sys/class/misc/mshv/scheduler_type)"
else
	echo "scheduler type (sysfs): not available (no /dev/mshv: this guest does not run on Hyper-V)"
fi
sim=/hvsched/kselftest/drivers/hv/mshv_sim/mshv_sim_demo
if [ -x "$sim" ]; then
	echo
	"$sim"
fi
if [ -x /hvsched/bin/hvsched-demo ]; then
	echo
	/hvsched/bin/hvsched-demo
fi
