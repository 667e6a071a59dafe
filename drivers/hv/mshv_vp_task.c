// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026, Microsoft Corporation.
 *
 * The Linux task that runs each guest VP: the MSHV_RUN_VP caller (inline
 * mode) or a per-VP dispatch worker (worker mode).
 * See mshv_vp_task.h.
 */

#include <kunit/visibility.h>
#include <linux/moduleparam.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/sched/core_sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/smt.h>
#include <linux/sched/task.h>
#include <linux/sched/vhost_task.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <asm/mshyperv.h>

#include "mshv_root.h"
#include "mshv_vp_sched.h"
#include "mshv_vp_task.h"

/*
 * Frees the VP tasks whose teardown a signal interrupted, once their worker
 * has exited; destroying it at module exit waits for them.
 */
static struct workqueue_struct *mshv_vp_task_wq;

static bool vp_workers;
module_param(vp_workers, bool, 0644);
MODULE_PARM_DESC(vp_workers,
		 "Dispatch the VPs of new partitions on per-VP worker tasks unless they ask otherwise (default: the MSHV_RUN_VP caller dispatches)");

int mshv_vp_task_pt_mode(struct mshv_partition *pt, u64 pt_flags)
{
	bool workers = pt_flags & BIT_ULL(MSHV_PT_BIT_VP_WORKERS);
	bool inl = pt_flags & BIT_ULL(MSHV_PT_BIT_VP_INLINE);
	bool root = hv_scheduler_type == HV_SCHEDULER_TYPE_ROOT;

	if (workers && inl)
		return -EINVAL;
	/* Under the hypervisor's schedulers no Linux task dispatches a VP. */
	if (workers && !root)
		return -EOPNOTSUPP;

	pt->pt_vp_workers = root && (workers || (!inl && READ_ONCE(vp_workers)));
	pt->pt_vp_smt_shared = pt_flags & BIT_ULL(MSHV_PT_BIT_VP_SMT_SHARED);

	return 0;
}

void mshv_vp_task_pt_release(struct mshv_partition *pt)
{
	sched_core_cookie_put(pt->pt_core_cookie);
	pt->pt_core_cookie = 0;
}

u32 mshv_vp_task_smt_isolation(void)
{
	if (!sched_smt_active())
		return MSHV_SMT_ISOLATION_NO_SMT;
	if (!IS_ENABLED(CONFIG_SCHED_CORE))
		return MSHV_SMT_ISOLATION_NONE;
	return MSHV_SMT_ISOLATION_CORE_SCHED;
}

/*
 * The core scheduling cookie a new worker of @pt is to share, created with
 * the first worker that needs it: 0 when none is needed (the partition
 * opted out, or the creating thread has a cookie of its own, which the
 * worker inherits and keeps), or -ENOMEM.  With SMT off the cookie is set
 * all the same, so that turning SMT on later does not expose the workers.
 * Without core scheduling they share cores with any task: say so once.
 */
static long mshv_vp_worker_cookie(struct mshv_partition *pt,
				  unsigned long *cookie)
{
	unsigned long new, old;

	*cookie = 0;
	if (pt->pt_vp_smt_shared || sched_core_task_has_cookie(current))
		return 0;

	if (!IS_ENABLED(CONFIG_SCHED_CORE)) {
		pr_warn_once("mshv: VP workers of different partitions may share SMT cores: no CONFIG_SCHED_CORE\n");
		return 0;
	}

	old = READ_ONCE(pt->pt_core_cookie);
	if (!old) {
		new = sched_core_cookie_create();
		if (!new)
			return -ENOMEM;
		old = cmpxchg(&pt->pt_core_cookie, 0, new);
		if (old)
			sched_core_cookie_put(new);
		else
			old = new;
	}
	*cookie = old;

	return 0;
}

/*
 * The body of the worker, called by vhost_task in a loop in state
 * TASK_INTERRUPTIBLE: returning false sleeps until vhost_task_wake().
 */
static bool mshv_vp_worker_fn(void *data)
{
	struct mshv_vp_task *t = data;
	long ret;

	/*
	 * Take the VP, unless the caller took it back.  Acquire pairs with
	 * the release that handed it over.
	 */
	if (atomic_cmpxchg_acquire(&t->state, MSHV_VP_WORKER_HANDED,
				   MSHV_VP_WORKER_RUNNING) !=
	    MSHV_VP_WORKER_HANDED)
		return false;

	__set_current_state(TASK_RUNNING);

	ret = mshv_vp_sched_run_to_exit(t->vp);

	t->result = ret;
	/* Publish @result before the caller sees the VP back. */
	atomic_set_release(&t->state, MSHV_VP_WORKER_IDLE);
	wake_up(&t->done_wq);

	return true;
}

/* SIGKILL ended the worker (the VMM process is exiting). */
static void mshv_vp_worker_killed(void *data)
{
	struct mshv_vp_task *t = data;

	WRITE_ONCE(t->dead, true);
	wake_up(&t->done_wq);
}

/*
 * Stop the worker; it is idle: nobody holds the VP for MSHV_RUN_VP.  Waits
 * for it to exit, if SIGKILL did not end it already, unless the caller
 * gets a signal first: a worker that a group stop or a cgroup freeze of
 * the VMM caught exits only once continued or thawed, and waiting for it
 * uninterruptibly would keep that stop or freeze from completing.  Then it
 * returns -EINTR and the worker, told to stop, stays in @t: it no longer
 * takes the VP, and the next call waits for it again.
 */
static int mshv_vp_worker_stop(struct mshv_vp_task *t)
{
	struct vhost_task *vtsk = t->vtsk;
	struct task_struct *worker;

	if (!vtsk)
		return 0;

	if (vhost_task_stop_interruptible(vtsk))
		return -EINTR;

	spin_lock(&t->lock);
	worker = t->worker;
	t->vtsk = NULL;
	t->worker = NULL;
	t->worker_mm = NULL;
	spin_unlock(&t->lock);

	put_task_struct(worker);
	t->dead = false;

	return 0;
}

void mshv_vp_worker_name(char *name, u64 pt_id, u32 vp_index)
{
	snprintf(name, TASK_COMM_LEN, "vp%u-mshv%llu", vp_index, pt_id);
}
EXPORT_SYMBOL_IF_KUNIT(mshv_vp_worker_name);

/*
 * Create the VP's worker in the calling process (the VMM).  It is not
 * waited for: vhost_task_get_task() gives its task at once, so a worker
 * that a signal stops or a cgroup freezes before it first runs keeps
 * nobody waiting.
 */
static int mshv_vp_worker_start(struct mshv_vp_task *t)
{
	struct mshv_vp *vp = t->vp;
	char name[TASK_COMM_LEN];
	struct task_struct *worker;
	struct vhost_task *vtsk;
	unsigned long cookie;
	long ret;

	if ((current->flags & PF_KTHREAD) || !current->mm)
		return -EINVAL;

	ret = mshv_vp_worker_cookie(vp->vp_partition, &cookie);
	if (ret)
		return ret;

	mshv_vp_worker_name(name, vp->vp_partition->pt_id, vp->vp_index);
	vtsk = vhost_task_create(mshv_vp_worker_fn, mshv_vp_worker_killed, t,
				 name);
	if (IS_ERR(vtsk))
		return PTR_ERR(vtsk);

	worker = vhost_task_get_task(vtsk);
	/*
	 * Not started yet: it runs first with its partition's cookie, unless
	 * it inherited one its creator chose meanwhile.
	 */
	if (cookie && !sched_core_task_has_cookie(worker))
		sched_core_set_task_cookie(worker, cookie);

	spin_lock(&t->lock);
	t->vtsk = vtsk;
	t->worker = worker;
	t->worker_mm = current->mm;
	spin_unlock(&t->lock);

	vhost_task_start(vtsk);

	return 0;
}

int mshv_vp_task_init(struct mshv_vp *vp)
{
	struct mshv_vp_task *t;

	t = kzalloc_obj(*t);
	if (!t)
		return -ENOMEM;

	t->vp = vp;
	spin_lock_init(&t->lock);
	atomic_set(&t->state, MSHV_VP_WORKER_IDLE);
	init_waitqueue_head(&t->done_wq);

	vp->vp_task = t;
	mshv_vp_tasks_add(t);

	return 0;
}

static void mshv_vp_task_free(struct mshv_vp_task *t)
{
	put_pid(t->runner);
	kfree(t);
}

/*
 * A teardown that a signal interrupted: wait for the worker here instead,
 * in a kernel thread, which no stop or freeze of the VMM concerns.  It
 * sleeps interruptibly (a kernel thread gets no signal), so a worker
 * frozen for long raises no hung-task report.
 */
static void mshv_vp_task_release_work(struct work_struct *work)
{
	struct mshv_vp_task *t = container_of(work, struct mshv_vp_task,
					      release_work);

	while (mshv_vp_worker_stop(t))
		;
	mshv_vp_task_free(t);
}

void mshv_vp_task_destroy(struct mshv_vp *vp)
{
	struct mshv_vp_task *t = vp->vp_task;

	if (!t)
		return;

	mshv_vp_tasks_del(t);
	vp->vp_task = NULL;

	/*
	 * No MSHV_RUN_VP runs (the VP's last file is closing), so the worker
	 * is idle; once told to stop it touches neither the VP nor @t, except
	 * @t in the handler of a SIGKILL that races with the stop.  So the VP
	 * may go now, and @t goes when the worker has exited.
	 */
	if (mshv_vp_worker_stop(t) && mshv_vp_task_wq) {
		INIT_WORK(&t->release_work, mshv_vp_task_release_work);
		queue_work(mshv_vp_task_wq, &t->release_work);
		return;
	}
	/* No workqueue (its allocation failed): wait, as vhost_task_stop() */
	if (t->vtsk) {
		vhost_task_stop(t->vtsk);
		put_task_struct(t->worker);
	}
	mshv_vp_task_free(t);
}

void mshv_vp_tasks_init(void)
{
	mshv_vp_task_wq = alloc_workqueue("mshv_vp_task", WQ_UNBOUND, 0);
	mshv_vp_tasks_debugfs_init();
}

void mshv_vp_tasks_exit(void)
{
	mshv_vp_tasks_debugfs_exit();
	if (mshv_vp_task_wq)
		destroy_workqueue(mshv_vp_task_wq);
	mshv_vp_task_wq = NULL;
}

/*
 * Create the VP's worker in the calling thread, or replace one of another
 * process (the VMM exec()ed, or passed the VP's file on), or one that
 * SIGKILL ended.  Called with vp_mutex held.
 */
static int mshv_vp_worker_get(struct mshv_vp_task *t)
{
	int ret;

	if (t->vtsk && !READ_ONCE(t->dead) && t->worker_mm == current->mm)
		return 0;

	ret = mshv_vp_worker_stop(t);
	if (ret)
		return ret;

	return mshv_vp_worker_start(t);
}

static bool mshv_vp_worker_idle(struct mshv_vp_task *t)
{
	/* Acquire pairs with the release in mshv_vp_worker_fn(). */
	return atomic_read_acquire(&t->state) == MSHV_VP_WORKER_IDLE ||
	       READ_ONCE(t->dead);
}

static long mshv_vp_worker_run(struct mshv_vp_task *t)
{
	int ret;

	ret = mshv_vp_worker_get(t);
	if (ret)
		return ret;

	t->result = -EINTR;
	/* Release: the worker sees the VP as this task left it. */
	atomic_set_release(&t->state, MSHV_VP_WORKER_HANDED);
	vhost_task_wake(t->vtsk);

	if (wait_event_interruptible(t->done_wq, mshv_vp_worker_idle(t))) {
		/*
		 * The VMM thread has a signal to handle (maybe a stop or a
		 * freeze, which may have stopped the worker too).  Take the
		 * VP back if the worker has not taken it.
		 */
		if (atomic_cmpxchg(&t->state, MSHV_VP_WORKER_HANDED,
				   MSHV_VP_WORKER_IDLE) ==
		    MSHV_VP_WORKER_HANDED)
			return -EINTR;
		/*
		 * The worker runs the VP, so it is neither stopped nor
		 * frozen: the stop ends its dispatch, and it returns within
		 * one.  A message that arrived meanwhile is returned.
		 */
		set_bit(MSHV_VP_EXIT_STOP, &t->vp->run.exit_req);
		mshv_vp_sched_stop_dispatch(t->vp);
		wait_event(t->done_wq, mshv_vp_worker_idle(t));
		clear_bit(MSHV_VP_EXIT_STOP, &t->vp->run.exit_req);
	}

	/* The worker died before it took the VP. */
	if (atomic_cmpxchg(&t->state, MSHV_VP_WORKER_HANDED,
			   MSHV_VP_WORKER_IDLE) == MSHV_VP_WORKER_HANDED)
		return -EINTR;

	return t->result;
}

/* Inline mode: remember the caller, for the table and MSHV_GET_VP_TASK. */
static void mshv_vp_task_note_runner(struct mshv_vp_task *t)
{
	struct pid *pid = task_pid(current);
	struct pid *old = t->runner;

	if (likely(old == pid))
		return;

	spin_lock(&t->lock);
	t->runner = get_pid(pid);
	spin_unlock(&t->lock);
	put_pid(old);
}

long mshv_vp_task_run(struct mshv_vp *vp)
{
	struct mshv_vp_task *t = vp->vp_task;

	if (vp->vp_partition->pt_vp_workers)
		return mshv_vp_worker_run(t);

	mshv_vp_task_note_runner(t);

	return mshv_vp_sched_run_to_exit(vp);
}

long mshv_vp_task_ioctl(struct mshv_vp *vp, unsigned int ioctl,
			unsigned long arg)
{
	struct mshv_vp_task *t = vp->vp_task;

	switch (ioctl) {
	case MSHV_GET_VP_TASK:
		return mshv_vp_task_get_info(t, (void __user *)arg);
	case MSHV_CREATE_VP_WORKER:
		if (arg)
			return -EINVAL;
		return mshv_vp_task_create_worker(t);
	}

	return -ENOTTY;
}

int mshv_vp_task_create_worker(struct mshv_vp_task *t)
{
	struct mshv_vp *vp = t->vp;
	int ret;

	if (!vp->vp_partition->pt_vp_workers)
		return -EINVAL;

	if (mutex_lock_killable(&vp->vp_mutex))
		return -EINTR;
	ret = mshv_vp_worker_get(t);
	mutex_unlock(&vp->vp_mutex);

	return ret;
}
