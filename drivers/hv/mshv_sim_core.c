// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026, Microsoft Corporation.
 *
 * mshv_sim: emulation of the hypervisor's core scheduler, the "before"
 * picture of the integrated scheduler.  See mshv_sim.h.
 *
 * Under the core scheduler the hypervisor, not Linux, runs a guest VP:
 * MSHV_RUN_VP only resumes the VP and sleeps until the hypervisor kicks
 * it with an intercept (mshv_run_vp_with_hyp_scheduler()).  Here each VP
 * runs in a kernel thread of the simulator, which moves it round-robin
 * over all online CPUs, one time slice on each, whatever the affinity,
 * cpuset or cgroup of the VMM thread: the Linux scheduler's decisions
 * about the VMM's threads have no effect on where the guest runs.
 */

#include <linux/cpumask.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include "mshv_sim.h"
#include "mshv_vp_sched.h"

/* The time a VP runs on one CPU before it moves to the next */
#define MSHV_SIM_CORE_SLICE_NS	(10 * NSEC_PER_MSEC)

/* Runnable: resumed by the VMM, not suspended by an intercept */
static bool mshv_sim_core_runnable(struct mshv_sim_vp *svp)
{
	bool ret;

	spin_lock(&svp->core_lock);
	ret = !svp->explicit_suspend && !svp->intercept_suspend;
	spin_unlock(&svp->core_lock);

	return ret;
}

/*
 * Stop the VP with a message for the VMM and kick the VMM thread, unless
 * the VMM suspended the VP meanwhile: then the step stays to be done
 * after the next resume.  Return whether the message was sent.
 */
static bool mshv_sim_core_exit(struct mshv_sim_vp *svp, u32 kind, u64 arg)
{
	spin_lock(&svp->core_lock);
	if (svp->explicit_suspend) {
		spin_unlock(&svp->core_lock);
		return false;
	}
	svp->intercept_suspend = true;
	spin_unlock(&svp->core_lock);

	mshv_sim_write_exit(svp, kind, arg);
	mshv_vp_sched_kick(&svp->vp);

	return true;
}

/* Halt: sleep for @us; only the stop of the thread cuts it short */
static void mshv_sim_core_halt(struct mshv_sim_vp *svp, u64 us)
{
	ktime_t end = ktime_add_us(ktime_get(), us);

	mshv_sim_account(svp, -1, 0, true, true);
	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop() ||
		    !schedule_hrtimeout(&end, HRTIMER_MODE_ABS))
			break;
	}
	__set_current_state(TASK_RUNNING);
}

/* Run one time slice of compute on this CPU, then move to the next CPU */
static void mshv_sim_core_compute(struct mshv_sim_vp *svp)
{
	u64 slice = 0, ran;
	int cpu = -1;

	while (svp->compute_left_ns && slice < MSHV_SIM_CORE_SLICE_NS &&
	       !kthread_should_stop() && mshv_sim_core_runnable(svp)) {
		ran = mshv_sim_compute(svp, &cpu);
		slice += ran;
		mshv_sim_account(svp, cpu, ran, true, false);
		cond_resched();
	}

	if (cpu >= 0 && slice >= MSHV_SIM_CORE_SLICE_NS)
		set_cpus_allowed_ptr(current,
				     cpumask_of(cpumask_next_wrap(cpu,
								  cpu_online_mask)));
}

static int mshv_sim_core_thread(void *data)
{
	struct mshv_sim_vp *svp = data;
	const struct mshv_sim_step *step;

	while (!kthread_should_stop()) {
		wait_event_interruptible(svp->core_wq,
					 mshv_sim_core_runnable(svp) ||
					 kthread_should_stop());
		if (kthread_should_stop())
			break;
		if (!mshv_sim_core_runnable(svp) ||
		    READ_ONCE(to_sim_partition(svp->vp.vp_partition)->dead))
			continue;

		if (svp->done) {
			mshv_sim_core_exit(svp, MSHV_SIM_EXIT_DONE, 0);
			continue;
		}

		step = &svp->steps[svp->step];
		switch (step->op) {
		case MSHV_SIM_OP_COMPUTE:
			if (!svp->compute_left_ns)
				svp->compute_left_ns = step->arg * NSEC_PER_USEC;
			mshv_sim_core_compute(svp);
			if (!svp->compute_left_ns)
				mshv_sim_next_step(svp);
			break;
		case MSHV_SIM_OP_HALT:
			mshv_sim_core_halt(svp, step->arg);
			mshv_sim_next_step(svp);
			break;
		case MSHV_SIM_OP_INTERCEPT:
			if (mshv_sim_core_exit(svp, MSHV_SIM_EXIT_INTERCEPT,
					       step->arg))
				mshv_sim_next_step(svp);
			break;
		case MSHV_SIM_OP_NULL:
			mshv_sim_next_step(svp);
			cond_resched();
			break;
		}
	}

	return 0;
}

int mshv_sim_core_start(struct mshv_sim_vp *svp)
{
	struct task_struct *t;

	spin_lock_init(&svp->core_lock);
	init_waitqueue_head(&svp->core_wq);
	/* A new VP is suspended until the VMM runs it. */
	svp->explicit_suspend = true;

	t = kthread_create(mshv_sim_core_thread, svp, "mshv_sim/%llu:%u",
			   svp->vp.vp_partition->pt_id, svp->vp.vp_index);
	if (IS_ERR(t))
		return PTR_ERR(t);

	svp->core_thread = t;
	wake_up_process(t);

	return 0;
}

void mshv_sim_core_stop(struct mshv_sim_vp *svp)
{
	if (svp->core_thread)
		kthread_stop(svp->core_thread);
	svp->core_thread = NULL;
}

int mshv_sim_core_resume(struct mshv_sim_vp *svp)
{
	if (READ_ONCE(to_sim_partition(svp->vp.vp_partition)->dead))
		return -ENODEV;

	/* In this order, as the hypervisor clears the registers */
	spin_lock(&svp->core_lock);
	svp->intercept_suspend = false;
	svp->explicit_suspend = false;
	spin_unlock(&svp->core_lock);
	wake_up(&svp->core_wq);

	return 0;
}

int mshv_sim_core_suspend(struct mshv_sim_vp *svp, bool *message_in_flight)
{
	spin_lock(&svp->core_lock);
	svp->explicit_suspend = true;
	*message_in_flight = svp->intercept_suspend;
	spin_unlock(&svp->core_lock);

	return 0;
}
