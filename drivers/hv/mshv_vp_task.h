/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (c) 2026, Microsoft Corporation.
 *
 * The Linux task that runs each guest VP under the integrated scheduler:
 * the MSHV_RUN_VP caller (inline mode) or a per-VP dispatch worker.
 */

#ifndef _MSHV_VP_TASK_H_
#define _MSHV_VP_TASK_H_

#include <linux/bitops.h>
#include <linux/compiler.h>
#include <linux/completion.h>
#include <linux/list.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <uapi/linux/mshv.h>

#include "mshv_vp_sched.h"

struct mm_struct;
struct mshv_partition;
struct mshv_vp;
struct pid;
struct task_struct;
struct vhost_task;

/**
 * DOC: VP tasks
 *
 * Under the integrated scheduler every guest VP is a Linux task, so that
 * CFS/EEVDF, affinity, cpusets and cgroup v2 decide where and how much it
 * runs.  Which task is chosen per partition at creation:
 *
 * - inline mode: the VMM thread that calls MSHV_RUN_VP dispatches the VP,
 *   as upstream always did;
 * - worker mode: a dispatch worker per VP, a vhost_task user worker of the
 *   VMM process named "mshv<partition>-vp<index>", dispatches it.  It is a
 *   thread of the VMM (/proc/PID/task), in the VMM's cgroups, accepts
 *   sched_setaffinity() and sched_setscheduler(), and dies with the VMM.
 *   MSHV_RUN_VP hands the VP to the worker and sleeps until the worker
 *   stops on a message for userspace; the worker handles halts, kicks and
 *   the intercepts the driver handles itself without waking the VMM.
 *
 * Either way the dispatch loop is the scheduler core's,
 * mshv_vp_sched_run_to_exit(); this file only decides which task runs it.
 *
 * MSHV_CANCEL_RUN_VP makes the VP return to userspace: it sets
 * MSHV_VP_EXIT_CANCEL in @exit_req, which the dispatch loop tests before
 * every dispatch and in every wait.  It is sticky: it is consumed only by
 * an MSHV_RUN_VP that returns -EINTR, so a cancel issued before
 * MSHV_RUN_VP is entered, or while it returns a message, is not lost.
 */

/* Reasons the dispatch loop must return (bits of struct mshv_vp_task.exit_req) */
enum {
	MSHV_VP_EXIT_CANCEL,	/* MSHV_CANCEL_RUN_VP, sticky */
	MSHV_VP_EXIT_STOP,	/* the worker-mode MSHV_RUN_VP caller got a signal */
};

/**
 * struct mshv_vp_task - The Linux task side of a VP
 * @vp: the VP
 * @exit_req: MSHV_VP_EXIT_* bits; set by anyone with atomic bitops, read
 *	locklessly by the dispatch loop, cleared by the MSHV_RUN_VP caller
 * @node: entry of the table of VP tasks (debugfs), under mshv_vp_tasks_lock
 * @runner: inline mode: the last MSHV_RUN_VP caller (a reference is held)
 * @vtsk: worker mode: the dispatch worker, until stopped; NULL before the
 *	first MSHV_RUN_VP or MSHV_GET_VP_TASK
 * @worker: the worker's task (a reference is held)
 * @spawned: the worker's task, set by the worker itself before @started
 *	completes, for its creator to publish as @worker
 * @worker_mm: the address space of the process the worker belongs to;
 *	only compared, never dereferenced
 * @started: completed by the worker when it first runs
 * @run: set by the MSHV_RUN_VP caller to hand the VP to the worker;
 *	cleared (release) by the worker when it stops with @result
 * @dead: set by the worker when SIGKILL ends it
 * @result: what mshv_vp_sched_run_to_exit() returned in the worker
 * @done_wq: the MSHV_RUN_VP caller waits there for the worker
 *
 * Locking: @runner, @vtsk, @worker and @worker_mm change only under the
 * VP's vp_mutex (MSHV_RUN_VP and MSHV_GET_VP_TASK hold it) and under
 * mshv_vp_tasks_lock, which the readers (MSHV_GET_VP_TASK, the debugfs
 * table, kicks) take; MSHV_GET_VP_TASK also peeks at @vtsk with
 * READ_ONCE() to know whether it must create the worker.  VP teardown
 * changes them when no file of the VP is open.  @spawned is handed from
 * the new worker to its creator, ordered by @started.  @run, @dead and
 * @result are a hand-off between the vp_mutex holder and the worker, with
 * the barriers documented at their accesses.
 */
struct mshv_vp_task {
	struct mshv_vp *vp;
	unsigned long exit_req;
	struct list_head node;
	struct pid *runner;
	struct vhost_task *vtsk;
	struct task_struct *worker;
	struct task_struct *spawned;
	struct mm_struct *worker_mm;
	struct completion started;
	bool run;
	bool dead;
	long result;
	wait_queue_head_t done_wq;
};

#if IS_ENABLED(CONFIG_MSHV_INTEGRATED_SCHED)
/**
 * mshv_vp_task_pt_mode() - Decide the dispatch mode of a new partition
 * @pt: the partition being created
 * @pt_flags: the MSHV_PT_BIT_* flags userspace asked for
 *
 * Sets @pt->pt_vp_workers from MSHV_PT_BIT_VP_WORKERS and
 * MSHV_PT_BIT_VP_INLINE, or from the module parameter vp_workers when
 * neither is set.
 *
 * Return: 0; -EINVAL when both are set; -EOPNOTSUPP when workers are asked
 * for and the hypervisor schedules VPs itself.
 */
int mshv_vp_task_pt_mode(struct mshv_partition *pt, u64 pt_flags);

/**
 * mshv_vp_task_init() - Give a new VP its task state
 * @vp: the VP, its partition and index set
 *
 * Context: Process context; may sleep.
 * Return: 0 or -ENOMEM.
 */
int mshv_vp_task_init(struct mshv_vp *vp);

/**
 * mshv_vp_task_destroy() - Stop a VP's worker and free its task state
 * @vp: the VP; none of its files is open, so no task runs it
 *
 * Context: Process context; may sleep.
 */
void mshv_vp_task_destroy(struct mshv_vp *vp);

/**
 * mshv_vp_task_run() - MSHV_RUN_VP: run a VP until it has a message for
 *	userspace
 * @vp: the VP; the caller holds @vp->vp_mutex
 *
 * Dispatches @vp in the calling task (inline mode) or hands it to its
 * worker and waits (worker mode).
 *
 * Context: Process context; may sleep.
 * Return: 0 with the message in @vp->vp_intercept_msg_page; -EINTR on a
 * signal or MSHV_CANCEL_RUN_VP; another negative errno on failure.
 */
long mshv_vp_task_run(struct mshv_vp *vp);

/**
 * mshv_vp_task_ioctl() - The VP ioctls of the integrated scheduler
 * @vp: the VP
 * @ioctl: MSHV_CANCEL_RUN_VP or MSHV_GET_VP_TASK
 * @arg: the ioctl's argument
 *
 * Neither waits for a running MSHV_RUN_VP: MSHV_CANCEL_RUN_VP takes no
 * lock, MSHV_GET_VP_TASK takes @vp->vp_mutex only to create the worker,
 * which a running MSHV_RUN_VP has done already.
 *
 * Return: 0 or a negative errno; -ENOTTY for another @ioctl.
 */
long mshv_vp_task_ioctl(struct mshv_vp *vp, unsigned int ioctl,
			unsigned long arg);

/**
 * mshv_vp_exit_requested() - Must the dispatch loop return to its caller?
 * @t: the VP's task state (@vp->vp_task; every VP has it)
 *
 * The hypervisor returns from HVCALL_DISPATCH_VP when the root CPU takes an
 * interrupt; a cancel sends one to the dispatching CPU, so the loop sees
 * this when the dispatch returns.  A simulated dispatch polls it instead.
 *
 * Context: Any.
 * Return: true when MSHV_CANCEL_RUN_VP or a stop is pending.
 */
static inline bool mshv_vp_exit_requested(const struct mshv_vp_task *t)
{
	return READ_ONCE(t->exit_req);
}

/* The table of VP tasks: mshv_vp_task_info.c */

/**
 * mshv_vp_tasks_lock() - Take the lock of the table of VP tasks
 *
 * Serialises changes of the task pointers of every struct mshv_vp_task
 * with their readers.  Nests inside a VP's vp_mutex.
 */
void mshv_vp_tasks_lock(void);

/**
 * mshv_vp_tasks_unlock() - Release mshv_vp_tasks_lock()
 */
void mshv_vp_tasks_unlock(void);

/**
 * mshv_vp_tasks_add() - Add a VP to the table
 * @t: the VP's task state
 */
void mshv_vp_tasks_add(struct mshv_vp_task *t);

/**
 * mshv_vp_tasks_del() - Remove a VP from the table
 * @t: the VP's task state
 */
void mshv_vp_tasks_del(struct mshv_vp_task *t);

/**
 * mshv_vp_task_current() - The task that runs a VP
 * @t: the VP's task state
 *
 * Context: mshv_vp_tasks_lock() and rcu_read_lock() held.
 * Return: the worker (worker mode), the last MSHV_RUN_VP caller (inline
 * mode), or NULL before the VP first had one.
 */
struct task_struct *mshv_vp_task_current(struct mshv_vp_task *t);

/**
 * mshv_vp_task_get_info() - MSHV_GET_VP_TASK
 * @t: the VP's task state; takes mshv_vp_tasks_lock(), not the VP's
 *	vp_mutex, so it answers while the VP runs
 * @uarg: user address of a struct mshv_vp_task_info
 *
 * Return: 0; -EFAULT; -EINVAL for a wrong size, flags, or a non-zero
 * output or reserved field.
 */
int mshv_vp_task_get_info(struct mshv_vp_task *t, void __user *uarg);

/**
 * mshv_vp_tasks_init() - Create the debugfs table of VP tasks
 */
void mshv_vp_tasks_init(void);

/**
 * mshv_vp_tasks_exit() - Remove the debugfs table of VP tasks
 */
void mshv_vp_tasks_exit(void);
#else
static inline int mshv_vp_task_pt_mode(struct mshv_partition *pt,
				       u64 pt_flags)
{
	/* Without the integrated scheduler these flags do not exist. */
	if (pt_flags & (BIT_ULL(MSHV_PT_BIT_VP_WORKERS) |
			BIT_ULL(MSHV_PT_BIT_VP_INLINE)))
		return -EINVAL;
	return 0;
}

static inline int mshv_vp_task_init(struct mshv_vp *vp)
{
	return 0;
}

static inline void mshv_vp_task_destroy(struct mshv_vp *vp)
{
}

static inline long mshv_vp_task_run(struct mshv_vp *vp)
{
	return mshv_vp_sched_run_to_exit(vp);
}

static inline long mshv_vp_task_ioctl(struct mshv_vp *vp, unsigned int ioctl,
				      unsigned long arg)
{
	return -ENOTTY;
}

static inline bool mshv_vp_exit_requested(const struct mshv_vp_task *t)
{
	return false;
}

static inline void mshv_vp_tasks_init(void)
{
}

static inline void mshv_vp_tasks_exit(void)
{
}
#endif

#endif /* _MSHV_VP_TASK_H_ */
