/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Copyright (c) 2026, Microsoft Corporation.
 *
 * Test-only control interface of mshv_sim (CONFIG_MSHV_SIM), the simulated
 * hypervisor of the mshv_root driver: the ioctls of /dev/mshv_sim.
 *
 * This is not a stable uAPI: it is shared only with the kselftests in
 * tools/testing/selftests/drivers/hv/mshv_sim/, which include this file by
 * relative path, and it changes with them.  See
 * Documentation/ABI/testing/dev-mshv_sim.
 */

#ifndef _MSHV_SIM_UAPI_H_
#define _MSHV_SIM_UAPI_H_

#include <linux/ioctl.h>
#include <linux/types.h>

/* MSHV_SIM_GET_INFO reports it; bumped on any change of this file */
#define MSHV_SIM_VERSION		5

/* Steps of a VP's workload, and the longest step */
#define MSHV_SIM_MAX_STEPS		64
#define MSHV_SIM_MAX_STEP_US		(10 * 1000 * 1000)

/*
 * Every structure starts with its size (set it to sizeof() the structure)
 * and flags (none defined: 0).  Reserved fields and output fields must be
 * zero on input.  A structure of another size, an unknown flag or a
 * non-zero reserved field fails the ioctl with EINVAL.
 */

/**
 * struct mshv_sim_info - MSHV_SIM_GET_INFO
 * @size: in: sizeof(struct mshv_sim_info)
 * @flags: in: 0
 * @version: out: MSHV_SIM_VERSION
 * @max_vps: out: VP indexes are 0 .. @max_vps - 1
 * @max_steps: out: MSHV_SIM_MAX_STEPS
 * @nr_cpus: out: entries of a VP's per-CPU run time (nr_cpu_ids)
 * @nr_partitions: out: simulated partitions not yet freed
 * @nr_vps: out: simulated VPs not yet freed
 * @reserved: in: 0
 *
 * A partition and its VPs are freed once it is destroyed and the last
 * file descriptor of its VPs is closed.
 */
struct mshv_sim_info {
	__u32 size;
	__u32 flags;
	__u32 version;
	__u32 max_vps;
	__u32 max_steps;
	__u32 nr_cpus;
	__u64 nr_partitions;
	__u64 nr_vps;
	__u64 reserved[4];
};

/*
 * MSHV_SIM_CREATE_PARTITION flag: run the partition's VPs under an
 * emulation of the hypervisor's core scheduler (simulator threads move
 * them round-robin over all CPUs; MSHV_RUN_VP only resumes the VP and
 * waits) instead of the root scheduler (the MSHV_RUN_VP caller dispatches
 * the VP).  The scheduler type is one for the whole machine: creating a
 * partition of the other type fails with EBUSY while any simulated
 * partition exists.
 */
#define MSHV_SIM_PARTITION_CORE_SCHED	0x1U

/*
 * MSHV_SIM_CREATE_PARTITION flags: how the root scheduler's VPs are
 * dispatched, as MSHV_PT_BIT_VP_WORKERS and MSHV_PT_BIT_VP_INLINE ask of
 * MSHV_CREATE_PARTITION (include/uapi/linux/mshv.h): by a worker task per
 * VP, or by the MSHV_RUN_VP caller.  Neither: the module parameter
 * mshv_root.vp_workers decides.  Both: EINVAL.  Workers under the core
 * scheduler: EOPNOTSUPP.  Without CONFIG_MSHV_INTEGRATED_SCHED either
 * fails with EINVAL.
 */
#define MSHV_SIM_PARTITION_VP_WORKERS	0x2U
#define MSHV_SIM_PARTITION_VP_INLINE	0x4U

/*
 * MSHV_SIM_CREATE_PARTITION flag: the partition's VP workers may share SMT
 * cores with other tasks, as MSHV_PT_BIT_VP_SMT_SHARED asks of
 * MSHV_CREATE_PARTITION (version 5).  Without
 * CONFIG_MSHV_INTEGRATED_SCHED it fails with EINVAL.
 */
#define MSHV_SIM_PARTITION_VP_SMT_SHARED	0x8U

/**
 * struct mshv_sim_partition_args - MSHV_SIM_CREATE/DESTROY_PARTITION
 * @size: in: sizeof(struct mshv_sim_partition_args)
 * @flags: in: create: MSHV_SIM_PARTITION_CORE_SCHED or 0; destroy: 0
 * @pt_id: create: out (in: 0), the new partition's id; destroy: in
 * @reserved: in: 0
 */
struct mshv_sim_partition_args {
	__u32 size;
	__u32 flags;
	__u64 pt_id;
	__u64 reserved[4];
};

/* The operations of a workload step */
enum mshv_sim_op {
	/*
	 * Run guest code for @arg us on the CPU that dispatches the VP, then
	 * go on to the next step in the same dispatch.  A root interrupt on
	 * that CPU or the VP's explicit suspend register ends the dispatch
	 * early (version 3; before, a dispatch ended with the step or a tick).
	 */
	MSHV_SIM_OP_COMPUTE = 1,
	/* Halt for @arg us: the VP is blocked until a timer kicks it */
	MSHV_SIM_OP_HALT = 2,
	/* Stop with an intercept message for the VMM, carrying @arg */
	MSHV_SIM_OP_INTERCEPT = 3,
	/* Return from the dispatch at once, no guest time (@arg: 0) */
	MSHV_SIM_OP_NULL = 4,
};

/**
 * struct mshv_sim_step - One step of a VP's workload
 * @op: an enum mshv_sim_op
 * @reserved: 0
 * @arg: microseconds (COMPUTE, HALT; 1 .. MSHV_SIM_MAX_STEP_US), any
 *	value passed to the VMM (INTERCEPT), or 0 (NULL)
 */
struct mshv_sim_step {
	__u32 op;
	__u32 reserved;
	__u64 arg;
};

/*
 * MSHV_SIM_CREATE_VP flag: keep the VP's latest wake latencies (from the
 * timer that ends a HALT step kicking the VP to the VP running again), up
 * to MSHV_SIM_MAX_WAKE_SAMPLES, for MSHV_SIM_GET_VP_STATS.
 */
#define MSHV_SIM_VP_WAKE_LATENCY	0x1U
#define MSHV_SIM_MAX_WAKE_SAMPLES	4096

/**
 * struct mshv_sim_create_vp - MSHV_SIM_CREATE_VP
 * @size: in: sizeof(struct mshv_sim_create_vp)
 * @flags: in: MSHV_SIM_VP_WAKE_LATENCY or 0
 * @pt_id: in: the partition
 * @vp_index: in: the VP's index, below mshv_sim_info.max_vps
 * @nr_steps: in: 1 .. MSHV_SIM_MAX_STEPS
 * @loops: in: how many times the VP runs its steps; 0: forever
 * @steps: in: user address of @nr_steps struct mshv_sim_step
 * @reserved: in: 0
 *
 * Returns a VP file descriptor: the mshv_root driver's own, on which the
 * VMM calls MSHV_RUN_VP (include/uapi/linux/mshv.h).
 */
struct mshv_sim_create_vp {
	__u32 size;
	__u32 flags;
	__u64 pt_id;
	__u32 vp_index;
	__u32 nr_steps;
	__u64 loops;
	__u64 steps;
	__u64 reserved[4];
};

/**
 * struct mshv_sim_vp_stats - MSHV_SIM_GET_VP_STATS: a VP's ground truth
 * @size: in: sizeof(struct mshv_sim_vp_stats)
 * @flags: in: 0
 * @pt_id: in: the partition
 * @vp_index: in: the VP
 * @nr_cpus: in: entries at @cpu_run_ns; out: nr_cpu_ids
 * @cpu_run_ns: in: user address of @nr_cpus __u64, or 0; out there: the
 *	guest run time on each CPU (at most @nr_cpus entries are written)
 * @run_ns: out: guest run time, all CPUs
 * @dispatches: out: dispatches of the VP (HVCALL_DISPATCH_VP)
 * @halts: out: halts started
 * @intercepts: out: intercept messages sent (the end-of-workload message
 *	included)
 * @loops_done: out: passes through the whole workload completed
 * @wake_lat_ns: in: user address of @nr_wake_lat __u32, or 0; out there:
 *	the VP's latest wake latencies in ns, oldest first (only a VP created
 *	with MSHV_SIM_VP_WAKE_LATENCY keeps them; reading does not consume)
 * @nr_wake_lat: in: entries at @wake_lat_ns; out: entries written
 * @pad: in: 0
 * @reserved: in: 0
 */
/**
 * struct mshv_sim_smt_stats - MSHV_SIM_GET_SMT_STATS: SMT co-execution
 * @size: in: sizeof(struct mshv_sim_smt_stats)
 * @flags: in: 0
 * @nr_cpus: in: entries at @cross_ns and @same_ns; out: nr_cpu_ids
 * @pad: in: 0
 * @cross_ns: in: user address of @nr_cpus __u64, or 0; out there: per CPU,
 *	the guest time it ran while an SMT sibling ran a VP of another
 *	partition, summed over its siblings (two siblings each count the
 *	time they share)
 * @same_ns: in: user address of @nr_cpus __u64, or 0; out there: the same,
 *	for a VP of the same partition
 * @reserved: in: 0
 *
 * Counted since the simulator was loaded, in both scheduler types; at most
 * @nr_cpus entries are written to each array (version 5).
 */
struct mshv_sim_smt_stats {
	__u32 size;
	__u32 flags;
	__u32 nr_cpus;
	__u32 pad;
	__u64 cross_ns;
	__u64 same_ns;
	__u64 reserved[4];
};

struct mshv_sim_vp_stats {
	__u32 size;
	__u32 flags;
	__u64 pt_id;
	__u32 vp_index;
	__u32 nr_cpus;
	__u64 cpu_run_ns;
	__u64 run_ns;
	__u64 dispatches;
	__u64 halts;
	__u64 intercepts;
	__u64 loops_done;
	__u64 wake_lat_ns;
	__u32 nr_wake_lat;
	__u32 pad;
	__u64 reserved[4];
};

/*
 * The message MSHV_RUN_VP returns for a simulated VP: header.message_type
 * HVMSG_OPAQUE_INTERCEPT, and this payload.
 */
#define MSHV_SIM_MSG_TYPE		0x8000003F

enum mshv_sim_exit_kind {
	/* A MSHV_SIM_OP_INTERCEPT step */
	MSHV_SIM_EXIT_INTERCEPT = 1,
	/* The workload ended; every later MSHV_RUN_VP returns it again */
	MSHV_SIM_EXIT_DONE = 2,
};

/**
 * struct mshv_sim_exit - Payload of a simulated VP's intercept message
 * @kind: an enum mshv_sim_exit_kind
 * @vp_index: the VP
 * @arg: the step's @arg (INTERCEPT), 0 (DONE)
 * @seq: intercept messages of this VP so far, this one included
 */
struct mshv_sim_exit {
	__u32 kind;
	__u32 vp_index;
	__u64 arg;
	__u64 seq;
};

#define MSHV_SIM_IOCTL			0xB8

/* 0xF0 .. 0xFF of the mshv ioctl range; only valid on /dev/mshv_sim */
#define MSHV_SIM_GET_INFO \
	_IOWR(MSHV_SIM_IOCTL, 0xF0, struct mshv_sim_info)
#define MSHV_SIM_CREATE_PARTITION \
	_IOWR(MSHV_SIM_IOCTL, 0xF1, struct mshv_sim_partition_args)
#define MSHV_SIM_DESTROY_PARTITION \
	_IOW(MSHV_SIM_IOCTL, 0xF2, struct mshv_sim_partition_args)
#define MSHV_SIM_CREATE_VP \
	_IOW(MSHV_SIM_IOCTL, 0xF3, struct mshv_sim_create_vp)
#define MSHV_SIM_GET_VP_STATS \
	_IOWR(MSHV_SIM_IOCTL, 0xF4, struct mshv_sim_vp_stats)
#define MSHV_SIM_GET_SMT_STATS \
	_IOWR(MSHV_SIM_IOCTL, 0xF5, struct mshv_sim_smt_stats)

#endif /* _MSHV_SIM_UAPI_H_ */
