/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small VMM-like library for the mshv_sim kselftests: create simulated
 * partitions and VPs with workloads, run each VP in a thread the way a VMM
 * does (MSHV_RUN_VP in a loop), read the simulator's ground truth.
 *
 * Functions return 0 (or a file descriptor) on success and -errno on
 * failure; they never exit, so tests can check exact errnos.
 */
#ifndef _MSHV_SIM_LIB_H_
#define _MSHV_SIM_LIB_H_

#include <pthread.h>
#include <stdbool.h>
#include <linux/types.h>

#include "../../../../../../drivers/hv/mshv_sim_uapi.h"

#define SIM_DEV			"/dev/mshv_sim"
#define SIM_MAX_CPUS		64

#define SIM_COMPUTE(us)		{ .op = MSHV_SIM_OP_COMPUTE, .arg = (us) }
#define SIM_HALT(us)		{ .op = MSHV_SIM_OP_HALT, .arg = (us) }
#define SIM_INTERCEPT(a)	{ .op = MSHV_SIM_OP_INTERCEPT, .arg = (a) }

#define SIM_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* Open the control device: fd, or -errno (-ENOENT: not configured) */
int sim_open(void);
int sim_info(int fd, struct mshv_sim_info *info);
/* Objects the simulator has not freed yet */
int sim_live(int fd, __u64 *nr_partitions, __u64 *nr_vps);
/* Wait up to @ms for the live objects to drop to the given numbers */
int sim_wait_live(int fd, __u64 nr_partitions, __u64 nr_vps, int ms);

int sim_create_partition(int fd, __u64 *pt_id);
int sim_destroy_partition(int fd, __u64 pt_id);
/* A VP file descriptor, or -errno */
int sim_create_vp(int fd, __u64 pt_id, __u32 vp_index,
		  const struct mshv_sim_step *steps, __u32 nr_steps,
		  __u64 loops);
/* @cpu_ns: NULL, or SIM_MAX_CPUS entries */
int sim_vp_stats(int fd, __u64 pt_id, __u32 vp_index,
		 struct mshv_sim_vp_stats *st, __u64 *cpu_ns);

/* One MSHV_RUN_VP: 0 and the simulator's exit, or -errno */
int sim_run_vp(int vp_fd, struct mshv_sim_exit *exit);

/* Monotonic time in ns */
__u64 sim_now_ns(void);
/* Pin the calling thread to @cpu; -errno */
int sim_pin_self(int cpu);

/**
 * struct sim_vcpu - A VMM vCPU thread running one VP
 * @vp_fd: the VP
 * @cpu: pin the thread there first; -1 for no pinning
 * @stop: set, then signal the thread (sim_vcpu_stop()), to end the loop
 * @done: the thread's loop has ended
 * @rc: 0 when the VP's workload ended (DONE), else the -errno that ended
 *	the loop
 * @intercepts: INTERCEPT exits seen
 * @arg_sum: sum of their @arg
 * @bad_seq: exits whose seq did not follow the previous one
 * @eintr: RUN_VP calls interrupted by a signal
 * @wall_ns: time from start to the end of the loop
 */
struct sim_vcpu {
	int vp_fd;
	int cpu;
	bool stop;		/* __atomic accesses */
	bool done;		/* __atomic accesses */
	pthread_t thread;
	int rc;
	__u64 intercepts;
	__u64 arg_sum;
	__u64 bad_seq;
	__u64 eintr;
	__u64 wall_ns;
};

/* Start a thread that runs the VP until DONE (or until stopped) */
int sim_vcpu_start(struct sim_vcpu *v);
/*
 * Ask the thread to stop: sets @stop and signals the thread until its loop
 * ends (a signal can land just before it enters MSHV_RUN_VP).
 */
void sim_vcpu_stop(struct sim_vcpu *v);
int sim_vcpu_join(struct sim_vcpu *v);

#endif
