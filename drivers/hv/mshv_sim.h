/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (c) 2026, Microsoft Corporation.
 *
 * mshv_sim: a simulated hypervisor for testing the mshv_root driver
 * without Hyper-V (CONFIG_MSHV_SIM, test only).
 */

#ifndef _MSHV_SIM_H_
#define _MSHV_SIM_H_

#include <linux/hrtimer.h>
#include <linux/init.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <asm/mshyperv.h>

#include "mshv_root.h"
#include "mshv_sim_uapi.h"

struct file_operations;

/**
 * DOC: mshv_sim
 *
 * The simulator stands in for the hypervisor on a machine that runs none
 * (mshv_parent_partition_init() finds no parent partition).  It is inert
 * until userspace opens /dev/mshv_sim and creates a partition.
 *
 * Its partitions and VPs are real struct mshv_partition and struct
 * mshv_vp, embedded in struct mshv_sim_partition and struct mshv_sim_vp.
 * A VP's file runs the driver's own VP ioctls and mmap() (mshv_vp_fops), so
 * MSHV_RUN_VP runs the driver's dispatch loop, mshv_vp_sched_run(); the
 * simulator is only the backend of that loop (struct mshv_sched_ops, in
 * mshv_sim_dispatch.c), installed when the first partition is created.
 *
 * Files: mshv_sim_main.c (the control device and the object lifecycle),
 * mshv_sim_dispatch.c (the scheduler backend: workloads under the root
 * scheduler, and ground-truth accounting), mshv_sim_core.c (emulation of
 * the hypervisor's core scheduler).
 *
 * Scheduler type: hv_scheduler_type is the root scheduler's, or the core
 * scheduler's when a partition is created with
 * MSHV_SIM_PARTITION_CORE_SCHED.  It is one for the whole machine, as on
 * Hyper-V: it changes only while no simulated partition exists.
 *
 * Lifetime: a partition's refcount (pt_ref_count) has one reference for
 * the /dev/mshv_sim file that created it, until it is destroyed, and one
 * for each open VP file descriptor.  The last put frees the partition and
 * its VPs; the driver's destroy_partition() never sees a simulated one.
 * A destroyed partition is marked dead: dispatching one of its VPs fails
 * with -ENODEV, as the hypervisor fails for a deleted partition.
 */

/**
 * DOC: What mshv_sim models
 *
 * The backend sees only what Hyper-V gives the root partition: the input
 * and flags of HVCALL_DISPATCH_VP, the VP's suspend registers, the
 * messages it sends (SynIC intercept and scheduler messages), and the
 * root's interrupts on the CPU that dispatches.  It never reads driver or
 * task state (no vp_task, exit request, run.flags, signal_pending() or
 * need_resched() of the caller): a simulator that does can hide a lost
 * wakeup that real hardware would show.
 *
 * Modelled rules, and where Hyper-V's behaviour comes from:
 *
 * - A dispatch returns only on a guest event (an intercept, a halt, the
 *   end of the workload; MSHV_SIM_OP_NULL is a guest event that returns
 *   with none), on a suspend register that is set, or on a root interrupt
 *   pending on the dispatching CPU.  The guest runs with the root's
 *   interrupts held off: mshv_sim_compute() spins with local interrupts
 *   disabled and polls the local APIC's IRR (ISR_EL1 on arm64), so a
 *   tick, an IPI or a device interrupt ends the dispatch and is then taken
 *   by the root, as when the hypervisor returns to the root for a root
 *   interrupt.  HVCALL_DISPATCH_VP's time_slice is 0 in the driver
 *   ("run forever until something happens", mshv_sched_hvcall.c): no
 *   other bound applies, not even the tick on a nohz_full CPU.
 * - HV_REGISTER_EXPLICIT_SUSPEND (include/hyperv/hvgdk_mini.h): any task
 *   sets it (set_explicit_suspend); a dispatch in progress returns, and a
 *   dispatch entered while it is set returns at once, with dispatch_state
 *   HV_VP_DISPATCH_STATE_BLOCKED and dispatch_event
 *   HV_VP_DISPATCH_EVENT_SUSPEND (include/hyperv/hvhdk.h).  Clearing it
 *   (clear_explicit_suspend) makes the VP dispatchable again and sends
 *   the scheduler kick the root scheduler waits for after it
 *   (mshv_run_vp_with_root_scheduler()).  That the register stops an
 *   in-progress dispatch is what a mshv developer answered on linux-hyperv
 *   to the request for an immediate-exit flag, and what upstream's
 *   partition freeze for kexec relies on with HV_REGISTER_DISPATCH_SUSPEND;
 *   the TLFS defines the register (HV_EXPLICIT_SUSPEND_REGISTER, set with
 *   HvSetVpRegisters, never by the VP itself).
 * - HV_REGISTER_INTERCEPT_SUSPEND: set by an intercept, when the message
 *   is written.  HV_DISPATCH_VP_FLAG_CLEAR_INTERCEPT_SUSPEND clears it at
 *   dispatch entry, before anything else is checked; while it is set, a
 *   dispatch returns the intercept again.
 * - A halt returns HV_VP_DISPATCH_STATE_BLOCKED; the end of the halt sends
 *   a scheduler kick, the entry a SynIC scheduler message takes
 *   (mshv_vp_sched_kick()).
 * - Core scheduler (mshv_sim_core.c): resume_vp clears the intercept then
 *   the explicit suspend register, in that order, as the comment of
 *   mshv_hvcall_resume_vp() (upstream's, moved) explains; suspend_vp sets
 *   the explicit register and reads the intercept one, and an intercept
 *   is not taken while the VP is explicitly suspended (the race described
 *   at mshv_hvcall_suspend_vp()).
 *   The hypervisor's thread for the VP runs it round-robin over all
 *   online CPUs, a slice on each, and sleeps while the VP is suspended or
 *   its partition deleted.  A core runs guest code of one partition at a
 *   time: a VP waits, or moves on, while an SMT sibling of its CPU runs a
 *   VP of another partition.  This is the guarantee Microsoft's
 *   documentation of the hypervisor scheduler types gives for the core
 *   scheduler (made the default because of SMT side channels): virtual
 *   processors of different VMs never share a core's hyperthreads.
 * - The hypervisor knows which VP each logical processor runs, so the
 *   simulator records, per CPU, the guest time it ran while an SMT
 *   sibling ran a VP of another partition and of the same one
 *   (MSHV_SIM_GET_SMT_STATS): the ground truth of SMT isolation, sampled
 *   at every pass of the guest's spin.
 * - A deleted partition: its VPs stop running and a dispatch fails with
 *   -ENODEV.
 *
 * Not modelled, and why:
 *
 * - HV_REGISTER_DISPATCH_SUSPEND: the driver never sets it; the explicit
 *   register carries the same rule for one VP.
 * - Interrupt injection into the guest (interrupt_pending is always 0,
 *   HV_DISPATCH_VP_FLAG_SCAN_INTERRUPT_INJECTION is ignored) and the
 *   hypervisor's dispatch-thread-blocked counter: a simulated guest has no
 *   interrupt controller and no dispatch thread of its own.
 * - Guest memory, registers and VP state: a simulated partition has none,
 *   and every ioctl that would reach a hypercall fails with -EOPNOTSUPP
 *   (Documentation/ABI/testing/dev-mshv_sim).
 * - spec_ctrl and time_slice of the dispatch input: the driver passes 0.
 * - The cost of the hypercall and of the world switch.
 */

/* The bits of struct mshv_sim_vp's @suspend_regs */
#define MSHV_SIM_SUSPEND_EXPLICIT	0	/* HV_REGISTER_EXPLICIT_SUSPEND */
#define MSHV_SIM_SUSPEND_INTERCEPT	1	/* HV_REGISTER_INTERCEPT_SUSPEND */

/**
 * struct mshv_sim_partition - A simulated partition
 * @pt: the driver's partition object
 * @owner: the /dev/mshv_sim file that created it
 * @dead: destroyed; dispatching its VPs fails
 * @core: created for the core scheduler; set at creation
 *
 * Locking: @owner, @dead, and the membership of the partition in the
 * simulator's table and of its VPs in @pt.pt_vp_array change under
 * mshv_sim_lock (mshv_sim_main.c).  The dispatch path reads @dead with
 * READ_ONCE() and no lock.
 */
struct mshv_sim_partition {
	struct mshv_partition pt;
	void *owner;
	bool dead;
	bool core;
};

/**
 * struct mshv_sim_vp - A simulated VP
 * @vp: the driver's VP object
 * @steps: the workload; set at creation, then read only
 * @nr_steps: entries of @steps
 * @loops: passes through @steps to run; 0 for ever
 * @step: the current step
 * @loop: passes completed
 * @compute_left_ns: what is left of the current COMPUTE step
 * @halted: the VP is in a HALT step
 * @done: the workload ended
 * @halt_expired: set by @halt_timer when the HALT step ends
 * @halt_fired_ns: when @halt_timer kicked the VP
 * @halt_timer: ends a HALT step and kicks the VP
 * @stats_lock: protects the counters below it
 * @run_ns: guest run time
 * @dispatches: dispatches of the VP
 * @halts: halts started
 * @intercepts: intercept messages sent
 * @cpu_run_ns: guest run time per CPU, nr_cpu_ids entries
 * @wake_lat: NULL, or a ring of MSHV_SIM_MAX_WAKE_SAMPLES wake latencies
 *	in ns (MSHV_SIM_VP_WAKE_LATENCY)
 * @nr_wake: wake latencies recorded so far
 * @suspend_regs: the VP's suspend registers, MSHV_SIM_SUSPEND_* bits
 * @core_wq: core scheduler: @core_thread waits there to be runnable
 * @core_thread: core scheduler: the simulator's thread that runs the VP
 *
 * Locking: @step to @done belong to the task running the VP: under the
 * root scheduler the VMM task, which holds @vp.vp_mutex (mshv_vp_ioctl()),
 * in the dispatch backend; under the core scheduler @core_thread.
 * @halt_expired and @halt_fired_ns are written by @halt_timer's callback
 * before it kicks the VP, and read by the dispatching task (@halt_expired
 * with acquire semantics).  The
 * counters are written by the dispatching task and read by
 * MSHV_SIM_GET_VP_STATS, both under @stats_lock.  @suspend_regs is
 * changed with atomic bit operations (or a cmpxchg of the word) by any
 * task, as the hypervisor's registers are set by any caller of
 * HVCALL_SET_VP_REGISTERS, and polled by the task running the VP.
 */
struct mshv_sim_vp {
	struct mshv_vp vp;
	struct mshv_sim_step *steps;
	u32 nr_steps;
	u64 loops;

	u32 step;
	u64 loop;
	u64 compute_left_ns;
	bool halted;
	bool done;

	bool halt_expired;
	u64 halt_fired_ns;
	struct hrtimer halt_timer;

	spinlock_t stats_lock;	/* protects the counters below */
	u64 run_ns;
	u64 dispatches;
	u64 halts;
	u64 intercepts;
	u64 *cpu_run_ns;
	u32 *wake_lat;
	u64 nr_wake;

	unsigned long suspend_regs;
	wait_queue_head_t core_wq;
	struct task_struct *core_thread;
};

static inline struct mshv_sim_vp *to_sim_vp(struct mshv_vp *vp)
{
	return container_of(vp, struct mshv_sim_vp, vp);
}

static inline struct mshv_sim_partition *
to_sim_partition(struct mshv_partition *pt)
{
	return container_of(pt, struct mshv_sim_partition, pt);
}

/* The driver's VP file operations (mshv_root_main.c) */
extern const struct file_operations mshv_vp_fops;

/**
 * mshv_sim_backend_install() - Make the simulator the scheduler backend
 * @core: the scheduler type wanted: core (true) or root (false)
 * @idle: no simulated partition exists
 *
 * Installs the simulator's struct mshv_sched_ops, once, and sets the
 * scheduler type.
 *
 * Context: Process context; may sleep.  Caller holds mshv_sim_lock.
 * Return: 0; -ENODEV when a hypervisor is present; -EBUSY when another
 * backend is registered, or when another scheduler type is in force and
 * simulated partitions exist.
 */
int mshv_sim_backend_install(bool core, bool idle);

/**
 * mshv_sim_backend_remove() - Undo mshv_sim_backend_install()
 *
 * Context: Process context; no simulated VP may run.
 */
void mshv_sim_backend_remove(void);

/**
 * mshv_sim_vp_init() - Initialise the dispatch state of a new VP
 * @svp: the VP; its workload is set
 */
void mshv_sim_vp_init(struct mshv_sim_vp *svp);

/**
 * mshv_sim_vp_stop() - Stop a VP's timers and thread before it is freed
 * @svp: the VP; no task runs it
 */
void mshv_sim_vp_stop(struct mshv_sim_vp *svp);

/**
 * mshv_sim_next_step() - The current step is over: move to the next one
 * @svp: the VP; called by the task that runs it
 *
 * Ends the workload after its last pass.
 */
void mshv_sim_next_step(struct mshv_sim_vp *svp);

/**
 * mshv_sim_must_return() - Whether the hypervisor returns to the root now
 * @svp: the VP being run
 *
 * A root interrupt is pending on this CPU, the VP's explicit suspend
 * register is set, or its partition is deleted.
 *
 * Context: Local interrupts disabled.
 */
bool mshv_sim_must_return(struct mshv_sim_vp *svp);

/**
 * mshv_sim_compute() - Run guest code for a while on this CPU
 * @svp: the VP, in a COMPUTE step; called by the task that runs it
 * @limit_ns: at most this long; 0 for no bound but the step's end
 * @cpu: set to the CPU it ran on
 *
 * Spins, as guest code runs in the dispatch hypercall, until the step
 * ends, @limit_ns has passed, or mshv_sim_must_return(), and takes the
 * time spent off the step.  The time is added to the VP's guest time as
 * it passes, at least every millisecond, as the hypervisor's run-time
 * counter of a VP grows while the VP runs: a VP that runs for long
 * without returning (on a CPU without a tick) does not look idle.
 *
 * Context: Local interrupts disabled, so that a root interrupt stays
 * pending for mshv_sim_must_return() to see.
 * Return: the time spent, in ns.
 */
u64 mshv_sim_compute(struct mshv_sim_vp *svp, u64 limit_ns, int *cpu);

/**
 * mshv_sim_smt_stats() - A CPU's SMT co-execution records
 * @cpu: the CPU
 * @cross_ns: set to the guest time @cpu ran while an SMT sibling ran a VP
 *	of another partition (summed over its siblings)
 * @same_ns: the same, for VPs of the same partition
 */
void mshv_sim_smt_stats(int cpu, u64 *cross_ns, u64 *same_ns);

/**
 * mshv_sim_write_exit() - Write an intercept message for the VMM
 * @svp: the VP; called by the task that runs it
 * @kind: an enum mshv_sim_exit_kind
 * @arg: the step's argument
 *
 * Writes a HVMSG_OPAQUE_INTERCEPT message with a struct mshv_sim_exit
 * payload into the VP's intercept message page, and counts it.
 */
void mshv_sim_write_exit(struct mshv_sim_vp *svp, u32 kind, u64 arg);

/**
 * mshv_sim_account() - Add to a VP's ground truth
 * @svp: the VP
 * @cpu: the CPU guest code ran on, or -1 for none
 * @ran_ns: the time guest code ran there
 * @dispatch: count a dispatch
 * @halt: count a halt
 *
 * Context: Any context but hard interrupt.
 */
void mshv_sim_account(struct mshv_sim_vp *svp, int cpu, u64 ran_ns,
		      bool dispatch, bool halt);

/**
 * mshv_sim_copy_wake_lat() - Copy out a VP's latest wake latencies
 * @svp: the VP, with @svp->wake_lat; caller holds @svp->stats_lock
 * @buf: where to copy them, oldest first
 * @nr: entries at @buf
 *
 * Return: entries copied.
 */
u32 mshv_sim_copy_wake_lat(struct mshv_sim_vp *svp, u32 *buf, u32 nr);

/**
 * mshv_sim_core_start() - Start the thread that runs a VP (core scheduler)
 * @svp: the new VP, its partition and index set
 *
 * Context: Process context; may sleep.
 * Return: 0 or a negative errno.
 */
int mshv_sim_core_start(struct mshv_sim_vp *svp);

/**
 * mshv_sim_core_stop() - Stop the thread of a VP, if it has one
 * @svp: the VP
 *
 * Context: Process context; may sleep.
 */
void mshv_sim_core_stop(struct mshv_sim_vp *svp);

/**
 * mshv_sim_core_resume() - The resume_vp operation (core scheduler)
 * @svp: the VP
 *
 * Clears the VP's intercept and explicit suspend registers, in this
 * order, and wakes its thread.
 *
 * Return: 0; -ENODEV when the partition is destroyed.
 */
int mshv_sim_core_resume(struct mshv_sim_vp *svp);

/**
 * mshv_sim_core_suspend() - The suspend_vp operation (core scheduler)
 * @svp: the VP
 * @message_in_flight: set when an intercept suspended the VP too
 *
 * Return: 0.
 */
int mshv_sim_core_suspend(struct mshv_sim_vp *svp, bool *message_in_flight);

#if IS_ENABLED(CONFIG_MSHV_SIM)
/**
 * mshv_sim_init() - Register /dev/mshv_sim
 *
 * Called by the driver's init instead of failing when there is no
 * hypervisor.  This and mshv_sim_exit() are the driver's only calls into
 * the simulator: everything else attaches through the scheduler core's
 * backend registration (mshv_sched_ops_register()) and the simulator's
 * own files.  Without CONFIG_MSHV_SIM the driver fails with -ENODEV, as
 * it always did.
 *
 * Return: 0 or a negative errno.
 */
int __init mshv_sim_init(void);

/**
 * mshv_sim_exit() - Unregister /dev/mshv_sim
 */
void mshv_sim_exit(void);

#else
static inline int mshv_sim_init(void)
{
	return -ENODEV;
}

static inline void mshv_sim_exit(void)
{
}
#endif

#endif /* _MSHV_SIM_H_ */
