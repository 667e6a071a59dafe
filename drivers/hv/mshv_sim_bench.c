// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026, Microsoft Corporation.
 *
 * mshv_sim_bench: the baseline of the mshv_sim wake-latency benchmark.  A
 * plain kernel thread is woken by an hrtimer, the way a halted VP's task
 * is woken by the timer that ends its HALT step; the time from the timer
 * to the thread running is what a VP's wake latency is compared with.
 *
 * It knows nothing of mshv: a test module of its own, with its own device
 * (/dev/mshv_sim_bench, MSHV_SIM_BENCH_KTHREAD_WAKE), so that the generic
 * baseline is not part of the driver's or the simulator's interface.
 */

#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/hrtimer.h>
#include <linux/fs.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "mshv_sim_bench_uapi.h"

/* The longest measurement MSHV_SIM_BENCH_KTHREAD_WAKE takes */
#define MSHV_SIM_BENCH_MAX_US	(10 * USEC_PER_SEC)

/**
 * struct mshv_sim_kwake - One kernel-thread wake-latency measurement
 * @timer: wakes @task every @period
 * @task: the kernel thread
 * @period: time from the thread going to sleep to the timer
 * @fired_ns: when @timer fired
 * @fired: @timer fired, @task has not run since
 * @samples: @nr latencies in ns
 * @nr: samples to take
 * @done: completed by @task when it has taken them
 *
 * Locking: @fired_ns is written by @timer before it sets @fired with
 * release semantics and wakes @task, which reads them after.
 */
struct mshv_sim_kwake {
	struct hrtimer timer;
	struct task_struct *task;
	ktime_t period;
	u64 fired_ns;
	bool fired;
	u32 *samples;
	u32 nr;
	struct completion done;
};

static enum hrtimer_restart mshv_sim_kwake_timer(struct hrtimer *timer)
{
	struct mshv_sim_kwake *w = container_of(timer, struct mshv_sim_kwake,
						timer);

	w->fired_ns = ktime_get_ns();
	/* Publish @fired_ns before @fired; pairs with the thread's acquire */
	smp_store_release(&w->fired, true);
	wake_up_process(w->task);

	return HRTIMER_NORESTART;
}

static int mshv_sim_kwake_thread(void *data)
{
	struct mshv_sim_kwake *w = data;
	u32 i;

	for (i = 0; i < w->nr && !kthread_should_stop(); i++) {
		WRITE_ONCE(w->fired, false);
		hrtimer_start(&w->timer, w->period, HRTIMER_MODE_REL);
		for (;;) {
			set_current_state(TASK_INTERRUPTIBLE);
			/* Pairs with the timer's release of @fired */
			if (smp_load_acquire(&w->fired) ||
			    kthread_should_stop())
				break;
			schedule();
		}
		__set_current_state(TASK_RUNNING);
		if (!READ_ONCE(w->fired))
			break;
		w->samples[i] = min_t(u64, ktime_get_ns() - w->fired_ns,
				      U32_MAX);
	}
	hrtimer_cancel(&w->timer);
	w->nr = i;
	complete(&w->done);

	/* kthread_stop() collects the thread. */
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop())
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);

	return 0;
}

static long mshv_sim_bench_kthread_wake(void __user *uarg)
{
	struct mshv_sim_kthread_wake args;
	struct mshv_sim_kwake *w;
	long ret = 0;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if (args.size != sizeof(args) || args.flags || args.pad ||
	    memchr_inv(args.reserved, 0, sizeof(args.reserved)))
		return -EINVAL;
	if (!args.period_us || args.period_us > 100000 || !args.nr_samples ||
	    args.nr_samples > MSHV_SIM_BENCH_MAX_SAMPLES || !args.samples_ns ||
	    (u64)args.period_us * args.nr_samples > MSHV_SIM_BENCH_MAX_US)
		return -EINVAL;
	if (args.cpu < -1 || args.cpu >= (int)nr_cpu_ids ||
	    (args.cpu >= 0 && !cpu_online(args.cpu)))
		return -EINVAL;

	w = kzalloc_obj(*w);
	if (!w)
		return -ENOMEM;
	w->samples = kcalloc(args.nr_samples, sizeof(*w->samples),
			     GFP_KERNEL);
	if (!w->samples) {
		ret = -ENOMEM;
		goto free;
	}
	w->nr = args.nr_samples;
	w->period = us_to_ktime(args.period_us);
	init_completion(&w->done);
	hrtimer_setup(&w->timer, mshv_sim_kwake_timer, CLOCK_MONOTONIC,
		      HRTIMER_MODE_REL);

	w->task = kthread_create(mshv_sim_kwake_thread, w, "mshv_sim_kwake");
	if (IS_ERR(w->task)) {
		ret = PTR_ERR(w->task);
		goto free;
	}
	get_task_struct(w->task);
	if (args.cpu >= 0)
		kthread_bind(w->task, args.cpu);
	wake_up_process(w->task);

	/* A fatal signal ends the measurement early; it is then discarded. */
	if (wait_for_completion_killable(&w->done))
		ret = -EINTR;
	kthread_stop_put(w->task);

	if (!ret) {
		args.nr_samples = w->nr;
		if (copy_to_user(u64_to_user_ptr(args.samples_ns), w->samples,
				 w->nr * sizeof(*w->samples)) ||
		    copy_to_user(uarg, &args, sizeof(args)))
			ret = -EFAULT;
	}
free:
	kfree(w->samples);
	kfree(w);
	return ret;
}

static long mshv_sim_bench_ioctl(struct file *filp, unsigned int cmd,
				 unsigned long arg)
{
	switch (cmd) {
	case MSHV_SIM_BENCH_KTHREAD_WAKE:
		return mshv_sim_bench_kthread_wake((void __user *)arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations mshv_sim_bench_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = mshv_sim_bench_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice mshv_sim_bench_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "mshv_sim_bench",
	.fops = &mshv_sim_bench_fops,
	.mode = 0600,
};
module_misc_device(mshv_sim_bench_dev);

MODULE_AUTHOR("Microsoft");
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Kernel-thread wake-latency baseline of the mshv_sim benchmark (test only)");
