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
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
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
 *   VMM process named "vp<index>-mshv<partition>", dispatches it.  It is a
 *   thread of the VMM (/proc/PID/task), in the VMM's cgroups, accepts
 *   sched_setaffinity() and sched_setscheduler(), and dies with the VMM.
 *   MSHV_RUN_VP hands the VP to the worker and sleeps until the worker
 *   stops on a message for userspace; the worker handles halts, kicks and
 *   the intercepts the driver handles itself without waking the VMM.
 *
 * Either way the dispatch loop is the scheduler core's,
 * mshv_vp_sched_run_to_exit(); this file only decides which task runs it.
 *
 * MSHV_CANCEL_RUN_VP works the same in both modes (DOC: Exit requests in
 * mshv_vp_sched.h).  In worker mode, a signal to the MSHV_RUN_VP caller
 * stops the worker's dispatch the same way, with MSHV_VP_EXIT_STOP.
 * Neither the cancel nor the stop of a worker takes a lock.
 *
 * A worker is created by the first MSHV_RUN_VP, or on request by
 * MSHV_CREATE_VP_WORKER, in the calling thread, so it starts with that
 * thread's CPU affinity and cgroups.
 *
 * No wait of MSHV_RUN_VP or of a worker's creation is uninterruptible for
 * longer than the worker needs to leave one dispatch: a worker is created
 * with vhost_task and its task taken with vhost_task_get_task(), without
 * waiting for it to run; the VMM thread hands a VP to its worker and waits
 * interruptibly, and if a signal (SIGSTOP, a cgroup freeze) comes before
 * the worker took the VP, takes it back without waiting (a stopped or
 * frozen worker would never take it).  Only once the worker runs the VP
 * does the VMM thread wait for it uninterruptibly, and the worker then
 * stops within one dispatch (step 2).  Teardown (the VP's last file is
 * closed) waits for the worker to exit interruptibly too: if a signal
 * comes first, the VP goes at once and a work item frees the rest once
 * the worker has exited.
 */

/* Who has the VP (struct mshv_vp_task.state), in worker mode */
enum {
	MSHV_VP_WORKER_IDLE,	/* the vp_mutex holder, or nobody */
	MSHV_VP_WORKER_HANDED,	/* handed to the worker, not taken yet */
	MSHV_VP_WORKER_RUNNING,	/* the worker runs it */
};

/**
 * struct mshv_vp_task - The Linux task side of a VP
 * @vp: the VP
 * @node: entry of the table of VP tasks (debugfs), under its mutex
 * @lock: protects @runner, @worker and @vtsk against their readers
 * @runner: inline mode: the last MSHV_RUN_VP caller (a reference is held)
 * @vtsk: worker mode: the dispatch worker, until stopped
 * @worker: the worker's task (a reference is held)
 * @worker_mm: the address space of the process the worker belongs to;
 *	only compared, never dereferenced
 * @state: MSHV_VP_WORKER_*: who has the VP
 * @dead: set by the worker when SIGKILL ends it
 * @result: what mshv_vp_sched_run_to_exit() returned in the worker
 * @done_wq: the MSHV_RUN_VP caller waits there for the worker
 * @release_work: frees this struct when the worker has exited, after a
 *	teardown that a signal interrupted (see mshv_vp_task_destroy())
 *
 * Locking: @runner, @vtsk, @worker and @worker_mm change only under the
 * VP's vp_mutex (MSHV_RUN_VP holds it), or while no file of the VP is open
 * (creation, teardown), and under @lock, which their readers
 * (MSHV_GET_VP_TASK, the debugfs table) take; the vp_mutex holder reads
 * them without @lock.  @state, @dead and @result are a hand-off between
 * the vp_mutex holder and the worker, with the barriers documented at
 * their accesses.
 */
struct mshv_vp_task {
	struct mshv_vp *vp;
	struct list_head node;
	spinlock_t lock;	/* see above */
	struct pid *runner;
	struct vhost_task *vtsk;
	struct task_struct *worker;
	struct mm_struct *worker_mm;
	atomic_t state;
	bool dead;
	long result;
	wait_queue_head_t done_wq;
	struct work_struct release_work;
};

#if IS_ENABLED(CONFIG_MSHV_INTEGRATED_SCHED)
/**
 * mshv_vp_task_pt_mode() - Decide the dispatch mode of a new partition
 * @pt: the partition being created
 * @pt_flags: the MSHV_PT_BIT_* flags userspace asked for
 *
 * Sets @pt->pt_vp_workers from MSHV_PT_BIT_VP_WORKERS and
 * MSHV_PT_BIT_VP_INLINE, or from the module parameter vp_workers when
 * neither is set, and @pt->pt_vp_smt_shared from
 * MSHV_PT_BIT_VP_SMT_SHARED.
 *
 * Return: 0; -EINVAL when both are set; -EOPNOTSUPP when workers are asked
 * for and the hypervisor schedules VPs itself.
 */
int mshv_vp_task_pt_mode(struct mshv_partition *pt, u64 pt_flags);

/**
 * mshv_vp_task_pt_release() - Drop what a partition holds for its VP tasks
 * @pt: the partition, being freed; its VPs are destroyed
 *
 * Drops the partition's reference of its workers' core scheduling cookie;
 * workers still exiting hold their own.
 *
 * Context: Process context; may sleep.
 */
void mshv_vp_task_pt_release(struct mshv_partition *pt);

/**
 * mshv_vp_task_smt_isolation() - How workers are kept apart on SMT cores
 *
 * Return: MSHV_SMT_ISOLATION_CORE_SCHED when each partition's workers get
 * a core scheduling cookie of their own, MSHV_SMT_ISOLATION_NO_SMT when no
 * SMT sibling is online, MSHV_SMT_ISOLATION_NONE when SMT is on and the
 * kernel has no core scheduling (CONFIG_SCHED_CORE=n).
 */
u32 mshv_vp_task_smt_isolation(void);

/**
 * mshv_vp_worker_name() - The name of a VP's worker thread
 * @name: TASK_COMM_LEN bytes
 * @pt_id: the partition's id
 * @vp_index: the VP's index
 *
 * "vp<VP index>-mshv<partition id>", cut to TASK_COMM_LEN - 1 characters:
 * the VP index comes first, so that no partition id cuts it off.
 */
void mshv_vp_worker_name(char *name, u64 pt_id, u32 vp_index);

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
 * mshv_vp_task_run() - Run a VP in its task until it has a message for
 *	userspace
 * @vp: the VP; the caller holds @vp->vp_mutex
 *
 * Dispatches @vp in the calling task (inline mode) or hands it to its
 * worker and waits (worker mode).  Called by mshv_vp_sched_run_to_user(),
 * which consumes a cancel.
 *
 * Context: Process context; may sleep.
 * Return: 0 with the message in @vp->vp_intercept_msg_page; -EINTR on a
 * signal or MSHV_CANCEL_RUN_VP; another negative errno on failure.
 */
long mshv_vp_task_run(struct mshv_vp *vp);

/**
 * mshv_vp_task_ioctl() - The VP ioctls of the integrated scheduler
 * @vp: the VP
 * @ioctl: MSHV_GET_VP_TASK or MSHV_CREATE_VP_WORKER
 * @arg: the ioctl's argument
 *
 * Neither has a side effect on bad input.  MSHV_GET_VP_TASK takes only the
 * VP's own @lock, so it answers while the VP runs; MSHV_CREATE_VP_WORKER
 * takes the VP's vp_mutex (mshv_vp_task_create_worker()).
 *
 * Return: 0 or a negative errno; -ENOTTY for another @ioctl.
 */
long mshv_vp_task_ioctl(struct mshv_vp *vp, unsigned int ioctl,
			unsigned long arg);

/**
 * mshv_vp_task_create_worker() - Create a VP's worker now
 * @t: the VP's task state
 *
 * MSHV_CREATE_VP_WORKER: in worker mode, create the worker in the calling
 * thread (its process, cgroups and CPU affinity) unless it has one, as the
 * first MSHV_RUN_VP would, so that it can be found and placed before the
 * VP first runs.
 *
 * Context: Process context of the VMM; takes the VP's vp_mutex.
 * Return: 0; -EINVAL in inline mode (the VP has no worker) or from a
 * kernel thread; -EINTR if killed while waiting for a running MSHV_RUN_VP
 * to return; another negative errno when the worker cannot be created.
 */
int mshv_vp_task_create_worker(struct mshv_vp_task *t);

/* The table of VP tasks: mshv_vp_task_info.c */

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
 * mshv_vp_tasks_debugfs_init() - Create debugfs mshv_sched/vp_tasks
 */
void mshv_vp_tasks_debugfs_init(void);

/**
 * mshv_vp_tasks_debugfs_exit() - Remove debugfs mshv_sched/vp_tasks
 */
void mshv_vp_tasks_debugfs_exit(void);

/**
 * mshv_vp_task_current() - The task that runs a VP
 * @t: the VP's task state
 *
 * Context: @t->lock and rcu_read_lock() held.
 * Return: the worker (worker mode), the last MSHV_RUN_VP caller (inline
 * mode), or NULL before the VP first had one.
 */
struct task_struct *mshv_vp_task_current(struct mshv_vp_task *t);

/**
 * mshv_vp_task_get_info() - MSHV_GET_VP_TASK
 * @t: the VP's task state
 * @uarg: user address of a struct mshv_vp_task_info
 *
 * Takes @t->lock, not the VP's vp_mutex, so it answers while the VP runs.
 *
 * Return: 0; -EFAULT; -EINVAL for a size below the first version's, a
 * flag or a non-zero reserved field; -E2BIG for a larger structure with
 * non-zero bytes past the fields this kernel knows.
 */
int mshv_vp_task_get_info(struct mshv_vp_task *t, void __user *uarg);

/**
 * mshv_vp_tasks_init() - Create the workqueue that finishes teardowns, and
 * the debugfs table of VP tasks
 *
 * Without the workqueue (the allocation failed) a teardown waits for the
 * worker.
 */
void mshv_vp_tasks_init(void);

/**
 * mshv_vp_tasks_exit() - Remove the debugfs table of VP tasks, wait for the
 * teardowns in progress, then destroy their workqueue
 */
void mshv_vp_tasks_exit(void);
#else
static inline int mshv_vp_task_pt_mode(struct mshv_partition *pt,
				       u64 pt_flags)
{
	/* Without the integrated scheduler these flags do not exist. */
	if (pt_flags & (BIT_ULL(MSHV_PT_BIT_VP_WORKERS) |
			BIT_ULL(MSHV_PT_BIT_VP_INLINE) |
			BIT_ULL(MSHV_PT_BIT_VP_SMT_SHARED)))
		return -EINVAL;
	return 0;
}

static inline void mshv_vp_task_pt_release(struct mshv_partition *pt)
{
}

static inline u32 mshv_vp_task_smt_isolation(void)
{
	return MSHV_SMT_ISOLATION_NONE;
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

static inline void mshv_vp_tasks_init(void)
{
}

static inline void mshv_vp_tasks_exit(void)
{
}
#endif

#endif /* _MSHV_VP_TASK_H_ */
