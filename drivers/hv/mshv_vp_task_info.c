// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026, Microsoft Corporation.
 *
 * Where each guest VP runs, for userspace: MSHV_GET_VP_TASK on a VP file,
 * and the debugfs table mshv_sched/vp_tasks of every VP.  See
 * mshv_vp_task.h.
 */

#include <linux/debugfs.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <asm/mshyperv.h>

#include "mshv_root.h"
#include "mshv_vp_task.h"

/*
 * Every VP's struct mshv_vp_task, for the debugfs table.  The mutex
 * protects the list only; each entry's task pointers are under its own
 * lock, so neither a cancel nor MSHV_GET_VP_TASK waits for a reader of the
 * table or for another VM.
 */
static LIST_HEAD(mshv_vp_tasks);
static DEFINE_MUTEX(mshv_vp_tasks_mutex);

static struct dentry *mshv_vp_tasks_dir;

void mshv_vp_tasks_add(struct mshv_vp_task *t)
{
	mutex_lock(&mshv_vp_tasks_mutex);
	list_add_tail(&t->node, &mshv_vp_tasks);
	mutex_unlock(&mshv_vp_tasks_mutex);
}

void mshv_vp_tasks_del(struct mshv_vp_task *t)
{
	mutex_lock(&mshv_vp_tasks_mutex);
	list_del(&t->node);
	mutex_unlock(&mshv_vp_tasks_mutex);
}

struct task_struct *mshv_vp_task_current(struct mshv_vp_task *t)
{
	if (t->worker)
		return t->worker;
	if (t->runner)
		return pid_task(t->runner, PIDTYPE_PID);
	return NULL;
}

/* Version 0 ends with the reserved words; later versions append fields. */
static_assert(MSHV_VP_TASK_INFO_SIZE_VER0 ==
	      offsetofend(struct mshv_vp_task_info, reserved));

int mshv_vp_task_get_info(struct mshv_vp_task *t, void __user *uarg)
{
	struct mshv_vp_task_info args;
	struct task_struct *task;
	u32 usize;
	int ret;

	if (get_user(usize, (u32 __user *)uarg))
		return -EFAULT;
	if (usize < MSHV_VP_TASK_INFO_SIZE_VER0)
		return -EINVAL;
	if (usize > PAGE_SIZE)
		return -E2BIG;
	ret = copy_struct_from_user(&args, sizeof(args), uarg, usize);
	if (ret)
		return ret;

	/* Everything is checked before anything is done; outputs are ignored. */
	if (args.flags || memchr_inv(args.reserved, 0, sizeof(args.reserved)))
		return -EINVAL;

	args.size = sizeof(args);
	args.mode = t->vp->vp_partition->pt_vp_workers ? MSHV_VP_TASK_WORKER :
							 MSHV_VP_TASK_INLINE;
	args.tid = 0;
	args.cpu = -1;

	spin_lock(&t->lock);
	rcu_read_lock();
	task = mshv_vp_task_current(t);
	if (task) {
		args.tid = task_pid_vnr(task);
		args.cpu = task_cpu(task);
	}
	rcu_read_unlock();
	spin_unlock(&t->lock);

	return copy_struct_to_user(uarg, usize, &args, sizeof(args), NULL);
}

static int mshv_vp_tasks_show(struct seq_file *m, void *unused)
{
	struct mshv_vp_task *t;
	struct task_struct *task;

	seq_puts(m, "partition vp mode tid cpu\n");

	mutex_lock(&mshv_vp_tasks_mutex);
	list_for_each_entry(t, &mshv_vp_tasks, node) {
		struct mshv_vp *vp = t->vp;
		pid_t tid = 0;
		int cpu = -1;

		spin_lock(&t->lock);
		rcu_read_lock();
		task = mshv_vp_task_current(t);
		if (task) {
			tid = task_pid_nr(task);
			cpu = task_cpu(task);
		}
		rcu_read_unlock();
		spin_unlock(&t->lock);

		seq_printf(m, "%llu %u %s %d %d\n", vp->vp_partition->pt_id,
			   vp->vp_index,
			   vp->vp_partition->pt_vp_workers ? "worker" : "inline",
			   tid, cpu);
	}
	mutex_unlock(&mshv_vp_tasks_mutex);

	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mshv_vp_tasks);

void mshv_vp_tasks_debugfs_init(void)
{
	mshv_vp_tasks_dir = debugfs_create_dir("mshv_sched", NULL);
	debugfs_create_file("vp_tasks", 0400, mshv_vp_tasks_dir, NULL,
			    &mshv_vp_tasks_fops);
}

void mshv_vp_tasks_debugfs_exit(void)
{
	debugfs_remove_recursive(mshv_vp_tasks_dir);
	mshv_vp_tasks_dir = NULL;
}
