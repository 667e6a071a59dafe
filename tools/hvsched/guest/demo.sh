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
echo "-- scheduler detection --"
msgs=$(dmesg | sed 's/^\[[^]]*\] //' | grep -E '^(mshv|Hyper-V|hv_)' | grep -v -e '^ ' -e 'mshv_vp_sched_test' | head -n 10)
if [ -n "$msgs" ]; then
	echo "$msgs" | sed 's/^/  dmesg: /'
fi
if [ -e /dev/mshv_sim ]; then
	echo "  no hypervisor detected: mshv registered its simulator, /dev/mshv_sim (CONFIG_MSHV_SIM)"
elif [ -z "$msgs" ]; then
	echo "  no hypervisor detected and no simulator: mshv did not register"
fi
if [ -r /sys/class/misc/mshv/scheduler_type ]; then
	echo "  scheduler type (sysfs): $(cat /sys/class/misc/mshv/scheduler_type)"
else
	echo "  scheduler type (sysfs): not available (no /dev/mshv: this guest does not run on Hyper-V)"
fi
echo
echo "-- scheduler core unit tests (KUnit, run at boot) --"
dmesg | sed 's/^\[[^]]*\] //' | awk '
	/# Subtest: /	{ suite = $3 }
	/^ +ok [0-9]+ /	{ ok[suite]++ }
	/^ +not ok [0-9]+ /	{ bad[suite]++ }
	END { for (s in ok) printf "  %s: %d passed, %d failed\n", s, ok[s], bad[s] + 0 }'
sim=/hvsched/kselftest/drivers/hv/mshv_sim/mshv_sim_demo
if [ -x "$sim" ]; then
	echo
	"$sim"
fi
bench=/hvsched/kselftest/drivers/hv/mshv_sim/mshv_sim_bench
if [ -x "$bench" ]; then
	echo
	echo "-- benchmark: dispatch loop, inline vs worker (numbers, not a test) --"
	"$bench"
fi
