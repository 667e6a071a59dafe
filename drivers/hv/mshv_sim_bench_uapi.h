/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Copyright (c) 2026, Microsoft Corporation.
 *
 * Test-only interface of mshv_sim_bench (CONFIG_MSHV_SIM_BENCH): the ioctl
 * of /dev/mshv_sim_bench, the kernel-thread baseline of the mshv_sim
 * wake-latency benchmark.
 *
 * This is not a stable uAPI: it is shared only with the kselftests in
 * tools/testing/selftests/drivers/hv/mshv_sim/, which include this file by
 * relative path.  See Documentation/ABI/testing/dev-mshv_sim_bench.
 */

#ifndef _MSHV_SIM_BENCH_UAPI_H_
#define _MSHV_SIM_BENCH_UAPI_H_

#include <linux/ioctl.h>
#include <linux/types.h>

/* The most samples one MSHV_SIM_BENCH_KTHREAD_WAKE takes */
#define MSHV_SIM_BENCH_MAX_SAMPLES	4096

/**
 * struct mshv_sim_kthread_wake - MSHV_SIM_BENCH_KTHREAD_WAKE
 * @size: in: sizeof(struct mshv_sim_kthread_wake)
 * @flags: in: 0
 * @period_us: in: 1 .. 100000, the time between two wakes
 * @nr_samples: in: 1 .. MSHV_SIM_BENCH_MAX_SAMPLES, with @nr_samples *
 *	@period_us at most 10 s; out: samples written
 * @cpu: in: the CPU to bind the kernel thread to, or -1 for none
 * @pad: in: 0
 * @samples_ns: in: user address of @nr_samples __u32; out there: the wake
 *	latency of a plain kernel thread (an hrtimer wakes it; the time until
 *	it runs), the baseline of a VP's wake latency
 * @reserved: in: 0
 */
struct mshv_sim_kthread_wake {
	__u32 size;
	__u32 flags;
	__u32 period_us;
	__u32 nr_samples;
	__s32 cpu;
	__u32 pad;
	__u64 samples_ns;
	__u64 reserved[4];
};

#define MSHV_SIM_BENCH_IOCTL		0xB8

#define MSHV_SIM_BENCH_KTHREAD_WAKE \
	_IOWR(MSHV_SIM_BENCH_IOCTL, 0xF5, struct mshv_sim_kthread_wake)

#endif /* _MSHV_SIM_BENCH_UAPI_H_ */
