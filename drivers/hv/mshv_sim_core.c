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

#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/cpumask.h>
#include <linux/hrtimer.h>
#include <linux/irqflags.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/topology.h>

#include "mshv_sim.h"
#include "mshv_vp_sched.h"

/* The time a VP runs on one CPU before it moves to the next */
#define MSHV_SIM_CORE_SLICE_NS	(10 * NSEC_PER_MSEC)

/**
 * struct mshv_sim_core_gang - Which partition a core runs guest code of
 * @lock: protects @owner and @nr
 * @owner: the partition whose VPs the core's CPUs run, if @nr
 * @nr: CPUs of the core running guest code of @owner
 *
 * The hypervisor's core scheduler runs VPs of one partition at a time on a
 * core's SMT siblings.  The entry of a core's first CPU is used.
 */
struct mshv_sim_core_gang {
	raw_spinlock_t lock;
	struct mshv_partition *owner;
	unsigned int nr;
};

static DEFINE_PER_CPU(struct mshv_sim_core_gang, mshv_sim_gang) = {
	.lock = __RAW_SPIN_LOCK_UNLOCKED(mshv_sim_gang.lock),
};

static struct mshv_sim_core_gang *mshv_sim_gang_of(int cpu)
{
	return per_cpu_ptr(&mshv_sim_gang,
			   cpumask_first(topology_sibling_cpumask(cpu)));
}

/* Let @cpu run guest code of @pt, unless a sibling runs another's. */
static bool mshv_sim_gang_enter(int cpu, struct mshv_partition *pt)
{
	struct mshv_sim_core_gang *g = mshv_sim_gang_of(cpu);
	bool ok;

	raw_spin_lock(&g->lock);
	ok = !g->nr || g->owner == pt;
	if (ok) {
		g->owner = pt;
		g->nr++;
	}
	raw_spin_unlock(&g->lock);

	return ok;
}

static void mshv_sim_gang_leave(int cpu)
{
	struct mshv_sim_core_gang *g = mshv_sim_gang_of(cpu);

	raw_spin_lock(&g->lock);
	g->nr--;
	raw_spin_unlock(&g->lock);
}

/*
 * Runnable: resumed by the VMM, not suspended by an intercept, and its
 * partition not deleted.  The thread sleeps otherwise.
 */
static bool mshv_sim_core_runnable(struct mshv_sim_vp *svp)
{
	return !(READ_ONCE(svp->suspend_regs) &
		 (BIT(MSHV_SIM_SUSPEND_EXPLICIT) |
		  BIT(MSHV_SIM_SUSPEND_INTERCEPT))) &&
	       !READ_ONCE(to_sim_partition(svp->vp.vp_partition)->dead);
}

/*
 * Stop the VP with a message for the VMM and kick the VMM thread, unless
 * the VMM suspended the VP meanwhile: then the step stays to be done
 * after the next resume.  Setting the intercept register is one atomic
 * step with the test of the explicit one, so mshv_sim_core_suspend() sees
 * either no intercept or its message.  Return whether the message was
 * sent.
 */
static bool mshv_sim_core_exit(struct mshv_sim_vp *svp, u32 kind, u64 arg)
{
	unsigned long old = READ_ONCE(svp->suspend_regs);

	do {
		if (old & BIT(MSHV_SIM_SUSPEND_EXPLICIT))
			return false;
	} while (!try_cmpxchg(&svp->suspend_regs, &old,
			      old | BIT(MSHV_SIM_SUSPEND_INTERCEPT)));

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

/*
 * Run one time slice of compute on this CPU, then move to the next CPU.
 * While a sibling runs a VP of another partition, wait a little and move
 * on instead.
 */
static void mshv_sim_core_compute(struct mshv_sim_vp *svp)
{
	struct mshv_partition *pt = svp->vp.vp_partition;
	bool busy = false;
	u64 slice = 0, ran;
	int cpu = -1;

	while (svp->compute_left_ns && slice < MSHV_SIM_CORE_SLICE_NS &&
	       !kthread_should_stop() && mshv_sim_core_runnable(svp)) {
		local_irq_disable();
		cpu = smp_processor_id();
		if (!mshv_sim_gang_enter(cpu, pt)) {
			local_irq_enable();
			busy = true;
			break;
		}
		/* Until the slice ends or a root interrupt comes */
		ran = mshv_sim_compute(svp, MSHV_SIM_CORE_SLICE_NS - slice,
				       &cpu);
		mshv_sim_gang_leave(cpu);
		local_irq_enable();
		slice += ran;
		mshv_sim_account(svp, cpu, 0, true, false);
		cond_resched();
	}

	if (busy)
		usleep_range(100, 200);
	if (cpu >= 0 && (busy || slice >= MSHV_SIM_CORE_SLICE_NS))
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
		/* Suspended again, or deleted: sleep in the wait above */
		if (!mshv_sim_core_runnable(svp))
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

	init_waitqueue_head(&svp->core_wq);
	/* A new VP is suspended until the VMM runs it. */
	set_bit(MSHV_SIM_SUSPEND_EXPLICIT, &svp->suspend_regs);

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
	if (!svp->core_thread)
		return;

	/* Stop the guest first: the thread may be in mshv_sim_compute(). */
	set_bit(MSHV_SIM_SUSPEND_EXPLICIT, &svp->suspend_regs);
	kthread_stop(svp->core_thread);
	svp->core_thread = NULL;
}

int mshv_sim_core_resume(struct mshv_sim_vp *svp)
{
	if (READ_ONCE(to_sim_partition(svp->vp.vp_partition)->dead))
		return -ENODEV;

	/* In this order, as the hypervisor clears the registers */
	clear_bit(MSHV_SIM_SUSPEND_INTERCEPT, &svp->suspend_regs);
	clear_bit(MSHV_SIM_SUSPEND_EXPLICIT, &svp->suspend_regs);
	/* Pairs with the barrier in wait_event(): the thread sees them */
	smp_mb__after_atomic();
	wake_up(&svp->core_wq);

	return 0;
}

int mshv_sim_core_suspend(struct mshv_sim_vp *svp, bool *message_in_flight)
{
	/* Fully ordered: pairs with the cmpxchg in mshv_sim_core_exit() */
	test_and_set_bit(MSHV_SIM_SUSPEND_EXPLICIT, &svp->suspend_regs);
	*message_in_flight = test_bit(MSHV_SIM_SUSPEND_INTERCEPT,
				      &svp->suspend_regs);

	return 0;
}
