#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The hvsched demo scenario, run inside the test guest by `make demo`.
echo "== hvsched demo =="
echo "kernel: $(uname -r), CPUs: $(grep -c ^processor /proc/cpuinfo)"
echo
echo "-- scheduler detection (dmesg) --"
dmesg | grep -iE 'mshv|hyper-v|scheduler' | sed 's/^\[[^]]*\] //' | head -n 20
echo
if [ -r /sys/class/misc/mshv/scheduler_type ]; then
	echo "scheduler type (sysfs): $(cat /sys/class/misc/mshv/scheduler_type)"
else
	echo "scheduler type (sysfs): not available (no /dev/mshv: this guest does not run on Hyper-V)"
fi
if [ -x /hvsched/bin/hvsched-demo ]; then
	echo
	/hvsched/bin/hvsched-demo
fi
