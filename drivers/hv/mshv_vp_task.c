// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026, Microsoft Corporation.
 *
 * The Linux task that runs each guest VP: the MSHV_RUN_VP caller (inline
 * mode) or a per-VP dispatch worker (worker mode), and MSHV_CANCEL_RUN_VP.
 * See mshv_vp_task.h.
 */

#include <linux/completion.h>
#include <linux/moduleparam.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/sched/vhost_task.h>
#include <linux/slab.h>
#include <asm/mshyperv.h>

#include "mshv_root.h"
#include "mshv_vp_sched.h"
#include "mshv_vp_task.h"

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

	return 0;
}

int mshv_vp_task_init(struct mshv_vp *vp)
{
	struct mshv_vp_task *t;

	t = kzalloc_obj(*t);
	if (!t)
		return -ENOMEM;

	t->vp = vp;
	init_completion(&t->started);
	init_waitqueue_head(&t->done_wq);
	vp->vp_task = t;
	mshv_vp_tasks_add(t);

	return 0;
}

/* Stop the worker; it is idle: nobody holds the VP for MSHV_RUN_VP. */
static void mshv_vp_worker_stop(struct mshv_vp_task *t)
{
	struct vhost_task *vtsk = t->vtsk;
	struct task_struct *worker;

	if (!vtsk)
		return;

	/* Waits for the worker to exit, if SIGKILL did not end it already. */
	vhost_task_stop(vtsk);

	mshv_vp_tasks_lock();
	worker = t->worker;
	WRITE_ONCE(t->vtsk, NULL);
	t->worker = NULL;
	t->worker_mm = NULL;
	mshv_vp_tasks_unlock();

	if (worker)
		put_task_struct(worker);
	t->spawned = NULL;
	reinit_completion(&t->started);
	t->dead = false;
}

void mshv_vp_task_destroy(struct mshv_vp *vp)
{
	struct mshv_vp_task *t = vp->vp_task;

	if (!t)
		return;

	mshv_vp_tasks_del(t);
	mshv_vp_worker_stop(t);
	put_pid(t->runner);
	kfree(t);
	vp->vp_task = NULL;
}

/*
 * Make the task that runs the VP see t->exit_req: wake it from the wait
 * for a kick, and interrupt the CPU it dispatches on, so the hypervisor
 * returns from HVCALL_DISPATCH_VP.
 */
static void mshv_vp_task_kick(struct mshv_vp_task *t)
{
	struct task_struct *task;

	wake_up(&t->vp->run.vp_suspend_queue);

	mshv_vp_tasks_lock();
	rcu_read_lock();
	task = mshv_vp_task_current(t);
	if (task)
		kick_process(task);
	rcu_read_unlock();
	mshv_vp_tasks_unlock();
}

/*
 * The body of the worker, called by vhost_task in a loop in state
 * TASK_INTERRUPTIBLE: returning false sleeps until vhost_task_wake().
 */
static bool mshv_vp_worker_fn(void *data)
{
	struct mshv_vp_task *t = data;
	long ret;

	if (unlikely(!t->spawned)) {
		t->spawned = get_task_struct(current);
		complete(&t->started);
	}

	/* Pairs with the WRITE_ONCE() before vhost_task_wake(). */
	if (!READ_ONCE(t->run))
		return false;

	__set_current_state(TASK_RUNNING);

	ret = mshv_vp_sched_run_to_exit(t->vp);

	t->result = ret;
	/* Publish @result before the caller sees @run cleared. */
	smp_store_release(&t->run, false);
	wake_up(&t->done_wq);

	return true;
}

/* SIGKILL ended the worker (the VMM process is exiting). */
static void mshv_vp_worker_killed(void *data)
{
	struct mshv_vp_task *t = data;

	WRITE_ONCE(t->dead, true);
	wake_up(&t->done_wq);
	/* It may not even have started. */
	complete(&t->started);
}

/* Create the VP's worker in the calling process, once. */
static int mshv_vp_worker_get(struct mshv_vp_task *t)
{
	struct mshv_vp *vp = t->vp;
	char name[TASK_COMM_LEN];
	struct vhost_task *vtsk;

	/*
	 * A worker of another process (the VMM exec()ed, or passed the VP's
	 * file on), or one that SIGKILL ended, is replaced.
	 */
	if (t->vtsk && (READ_ONCE(t->dead) || t->worker_mm != current->mm))
		mshv_vp_worker_stop(t);
	if (t->vtsk)
		return 0;

	if ((current->flags & PF_KTHREAD) || !current->mm)
		return -EINVAL;

	snprintf(name, sizeof(name), "mshv%llu-vp%u",
		 vp->vp_partition->pt_id, vp->vp_index);
	vtsk = vhost_task_create(mshv_vp_worker_fn, mshv_vp_worker_killed, t,
				 name);
	if (IS_ERR(vtsk))
		return PTR_ERR(vtsk);

	vhost_task_start(vtsk);
	wait_for_completion(&t->started);

	mshv_vp_tasks_lock();
	WRITE_ONCE(t->vtsk, vtsk);
	t->worker = t->spawned;
	t->worker_mm = current->mm;
	mshv_vp_tasks_unlock();

	if (!t->worker) {
		/* SIGKILL ended it before it ran: the process is exiting. */
		mshv_vp_worker_stop(t);
		return -EINTR;
	}

	return 0;
}

static bool mshv_vp_worker_idle(struct mshv_vp_task *t)
{
	/* Pairs with smp_store_release() in mshv_vp_worker_fn(). */
	return !smp_load_acquire(&t->run) || READ_ONCE(t->dead);
}

static long mshv_vp_worker_run(struct mshv_vp_task *t)
{
	int ret;

	ret = mshv_vp_worker_get(t);
	if (ret)
		return ret;

	t->result = -EINTR;
	WRITE_ONCE(t->run, true);
	vhost_task_wake(t->vtsk);

	if (wait_event_interruptible(t->done_wq, mshv_vp_worker_idle(t))) {
		/*
		 * The VMM thread has a signal to handle: the VP must not run
		 * while it does.  Stop the worker; it returns within one
		 * dispatch.  A message that arrived meanwhile is returned.
		 */
		set_bit(MSHV_VP_EXIT_STOP, &t->exit_req);
		mshv_vp_task_kick(t);
		wait_event(t->done_wq, mshv_vp_worker_idle(t));
		clear_bit(MSHV_VP_EXIT_STOP, &t->exit_req);
	}

	if (READ_ONCE(t->run)) {
		/* The worker died with the VP in hand. */
		WRITE_ONCE(t->run, false);
		return -EINTR;
	}

	return t->result;
}

/* Inline mode: remember the caller, for the table and for kicks. */
static void mshv_vp_task_note_runner(struct mshv_vp_task *t)
{
	struct pid *pid = task_pid(current);
	struct pid *old = t->runner;

	if (likely(old == pid))
		return;

	mshv_vp_tasks_lock();
	t->runner = get_pid(pid);
	mshv_vp_tasks_unlock();
	put_pid(old);
}

long mshv_vp_task_run(struct mshv_vp *vp)
{
	struct mshv_vp_task *t = vp->vp_task;
	long ret;

	/* A cancel issued before this call is not lost. */
	if (test_and_clear_bit(MSHV_VP_EXIT_CANCEL, &t->exit_req))
		return -EINTR;

	if (vp->vp_partition->pt_vp_workers) {
		ret = mshv_vp_worker_run(t);
	} else {
		mshv_vp_task_note_runner(t);
		ret = mshv_vp_sched_run_to_exit(vp);
	}

	/* The VP returns to userspace: that is what a cancel asks for. */
	if (ret == -EINTR)
		clear_bit(MSHV_VP_EXIT_CANCEL, &t->exit_req);

	return ret;
}

static long mshv_vp_task_cancel(struct mshv_vp_task *t, unsigned long flags)
{
	if (flags)
		return -EINVAL;

	set_bit(MSHV_VP_EXIT_CANCEL, &t->exit_req);
	mshv_vp_task_kick(t);

	return 0;
}

long mshv_vp_task_ioctl(struct mshv_vp *vp, unsigned int ioctl,
			unsigned long arg)
{
	struct mshv_vp_task *t = vp->vp_task;
	int ret;

	switch (ioctl) {
	case MSHV_CANCEL_RUN_VP:
		return mshv_vp_task_cancel(t, arg);
	case MSHV_GET_VP_TASK:
		/*
		 * Only creating the worker needs the VP: a running
		 * MSHV_RUN_VP, which holds it, has created the worker.
		 */
		if (vp->vp_partition->pt_vp_workers && !READ_ONCE(t->vtsk)) {
			if (mutex_lock_killable(&vp->vp_mutex))
				return -EINTR;
			ret = mshv_vp_worker_get(t);
			mutex_unlock(&vp->vp_mutex);
			if (ret)
				return ret;
		}
		return mshv_vp_task_get_info(t, (void __user *)arg);
	}

	return -ENOTTY;
}
