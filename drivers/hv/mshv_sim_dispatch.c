// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026, Microsoft Corporation.
 *
 * mshv_sim: the simulated hypervisor's side of the VP scheduler core, a
 * struct mshv_sched_ops backend.  It runs each VP's programmed workload
 * (compute, halt, intercept) under the root scheduler, and keeps the
 * ground truth of what ran where.  See mshv_sim.h.
 */

#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/minmax.h>
#include <linux/preempt.h>
#include <linux/sched/signal.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <asm/mshyperv.h>

#include "mshv_sim.h"
#include "mshv_vp_sched.h"
#include "mshv_vp_task.h"

/* Whether the simulator's backend is installed; under mshv_sim_lock */
static bool mshv_sim_installed;

static enum hrtimer_restart mshv_sim_halt_timer_fn(struct hrtimer *t)
{
	struct mshv_sim_vp *svp = container_of(t, struct mshv_sim_vp,
					       halt_timer);

	svp->halt_fired_ns = ktime_get_ns();
	/* Publishes @halt_fired_ns too */
	smp_store_release(&svp->halt_expired, true);
	/* The same entry a SynIC scheduler message takes */
	mshv_vp_sched_kick(&svp->vp);

	return HRTIMER_NORESTART;
}

void mshv_sim_vp_init(struct mshv_sim_vp *svp)
{
	spin_lock_init(&svp->stats_lock);
	hrtimer_setup(&svp->halt_timer, mshv_sim_halt_timer_fn,
		      CLOCK_MONOTONIC, HRTIMER_MODE_REL);
}

void mshv_sim_vp_stop(struct mshv_sim_vp *svp)
{
	mshv_sim_core_stop(svp);
	hrtimer_cancel(&svp->halt_timer);
}

void mshv_sim_next_step(struct mshv_sim_vp *svp)
{
	svp->compute_left_ns = 0;
	if (++svp->step < svp->nr_steps)
		return;

	svp->step = 0;
	svp->loop++;
	if (svp->loops && svp->loop >= svp->loops)
		svp->done = true;
}

u64 mshv_sim_compute(struct mshv_sim_vp *svp, int *cpu)
{
	u64 start, now, limit, ran;

	preempt_disable();
	*cpu = smp_processor_id();
	limit = min_t(u64, svp->compute_left_ns, TICK_NSEC);
	start = ktime_get_ns();
	do {
		cpu_relax();
		now = ktime_get_ns();
	} while (now - start < limit && !need_resched() &&
		 !signal_pending(current) &&
		 !mshv_vp_exit_requested(svp->vp.vp_task));
	preempt_enable();

	ran = min(now - start, svp->compute_left_ns);
	svp->compute_left_ns -= ran;

	return ran;
}

void mshv_sim_write_exit(struct mshv_sim_vp *svp, u32 kind, u64 arg)
{
	struct hv_message *msg = svp->vp.vp_intercept_msg_page;
	struct mshv_sim_exit exit = {
		.kind = kind,
		.vp_index = svp->vp.vp_index,
		.arg = arg,
	};

	spin_lock(&svp->stats_lock);
	exit.seq = ++svp->intercepts;
	spin_unlock(&svp->stats_lock);

	memset(msg, 0, sizeof(*msg));
	msg->header.message_type = HVMSG_OPAQUE_INTERCEPT;
	msg->header.payload_size = sizeof(exit);
	memcpy(msg->u.payload, &exit, sizeof(exit));
}

/* The VP runs again after a halt: record how long the wake took. */
static void mshv_sim_record_wake(struct mshv_sim_vp *svp)
{
	u64 lat;

	if (!svp->wake_lat)
		return;

	lat = ktime_get_ns() - svp->halt_fired_ns;
	spin_lock(&svp->stats_lock);
	svp->wake_lat[svp->nr_wake++ % MSHV_SIM_MAX_WAKE_SAMPLES] =
		min_t(u64, lat, U32_MAX);
	spin_unlock(&svp->stats_lock);
}

u32 mshv_sim_copy_wake_lat(struct mshv_sim_vp *svp, u32 *buf, u32 nr)
{
	u64 have = min_t(u64, svp->nr_wake, MSHV_SIM_MAX_WAKE_SAMPLES);
	u64 first, i;

	nr = min_t(u64, nr, have);
	first = svp->nr_wake - nr;
	for (i = 0; i < nr; i++)
		buf[i] = svp->wake_lat[(first + i) % MSHV_SIM_MAX_WAKE_SAMPLES];

	return nr;
}

void mshv_sim_account(struct mshv_sim_vp *svp, int cpu, u64 ran_ns,
		      bool dispatch, bool halt)
{
	spin_lock(&svp->stats_lock);
	svp->dispatches += dispatch;
	svp->halts += halt;
	if (cpu >= 0) {
		svp->run_ns += ran_ns;
		svp->cpu_run_ns[cpu] += ran_ns;
	}
	spin_unlock(&svp->stats_lock);
}

/* Root scheduler: stop with a message; the VMM resumes the VP with it */
static void mshv_sim_send_exit(struct mshv_sim_vp *svp, u32 kind, u64 arg)
{
	mshv_sim_write_exit(svp, kind, arg);
	svp->intercept_pending = true;
}

static int mshv_sim_dispatch_vp(struct mshv_vp *vp, u32 flags,
				struct hv_output_dispatch_vp *res)
{
	struct mshv_sim_vp *svp = to_sim_vp(vp);
	const struct mshv_sim_step *step;
	u64 ran = 0;
	bool halt = false;
	int cpu = -1;

	/* No event: HV_VP_DISPATCH_EVENT_INVALID */
	memset(res, 0, sizeof(*res));
	res->dispatch_state = HV_VP_DISPATCH_STATE_READY;

	if (READ_ONCE(to_sim_partition(vp->vp_partition)->dead))
		return -ENODEV;

	if (svp->intercept_pending) {
		/* The VP stays suspended until the VMM has seen the message. */
		if (!(flags & HV_DISPATCH_VP_FLAG_CLEAR_INTERCEPT_SUSPEND)) {
			res->dispatch_event = HV_VP_DISPATCH_EVENT_INTERCEPT;
			goto out;
		}
		svp->intercept_pending = false;
	}

	if (svp->halted) {
		/* Pairs with the release in mshv_sim_halt_timer_fn() */
		if (!smp_load_acquire(&svp->halt_expired)) {
			res->dispatch_state = HV_VP_DISPATCH_STATE_BLOCKED;
			goto out;
		}
		svp->halted = false;
		mshv_sim_record_wake(svp);
		mshv_sim_next_step(svp);
	}

	if (svp->done) {
		mshv_sim_send_exit(svp, MSHV_SIM_EXIT_DONE, 0);
		res->dispatch_event = HV_VP_DISPATCH_EVENT_INTERCEPT;
		goto out;
	}

	step = &svp->steps[svp->step];
	switch (step->op) {
	case MSHV_SIM_OP_COMPUTE:
		if (!svp->compute_left_ns)
			svp->compute_left_ns = step->arg * NSEC_PER_USEC;
		ran = mshv_sim_compute(svp, &cpu);
		if (!svp->compute_left_ns)
			mshv_sim_next_step(svp);
		break;
	case MSHV_SIM_OP_HALT:
		svp->halted = true;
		WRITE_ONCE(svp->halt_expired, false);
		halt = true;
		hrtimer_start(&svp->halt_timer, us_to_ktime(step->arg),
			      HRTIMER_MODE_REL);
		res->dispatch_state = HV_VP_DISPATCH_STATE_BLOCKED;
		break;
	case MSHV_SIM_OP_INTERCEPT:
		mshv_sim_send_exit(svp, MSHV_SIM_EXIT_INTERCEPT, step->arg);
		mshv_sim_next_step(svp);
		res->dispatch_event = HV_VP_DISPATCH_EVENT_INTERCEPT;
		break;
	case MSHV_SIM_OP_NULL:
		mshv_sim_next_step(svp);
		break;
	}

out:
	mshv_sim_account(svp, cpu, ran, true, halt);

	return 0;
}

static int mshv_sim_clear_explicit_suspend(struct mshv_vp *vp)
{
	return 0;
}

/* The hypervisor's core scheduler: mshv_sim_core.c */
static int mshv_sim_resume_vp(struct mshv_vp *vp)
{
	return mshv_sim_core_resume(to_sim_vp(vp));
}

static int mshv_sim_suspend_vp(const struct mshv_vp *vp,
			       bool *message_in_flight)
{
	return mshv_sim_core_suspend(to_sim_vp((struct mshv_vp *)vp),
				     message_in_flight);
}

static u64 mshv_sim_interrupt_pending(struct mshv_vp *vp)
{
	return 0;
}

static bool mshv_sim_dispatch_thread_blocked(struct mshv_vp *vp)
{
	return false;
}

/* Placeholder until the register is modelled (in progress) */
static int mshv_sim_set_explicit_suspend(struct mshv_vp *vp)
{
	return 0;
}

static const struct mshv_sched_ops mshv_sim_ops = {
	.dispatch_vp = mshv_sim_dispatch_vp,
	.clear_explicit_suspend = mshv_sim_clear_explicit_suspend,
	.set_explicit_suspend = mshv_sim_set_explicit_suspend,
	.resume_vp = mshv_sim_resume_vp,
	.suspend_vp = mshv_sim_suspend_vp,
	.interrupt_pending = mshv_sim_interrupt_pending,
	.dispatch_thread_blocked = mshv_sim_dispatch_thread_blocked,
};

int mshv_sim_backend_install(bool core, bool idle)
{
	enum hv_scheduler_type type = core ? HV_SCHEDULER_TYPE_CORE_SMT :
					     HV_SCHEDULER_TYPE_ROOT;
	const struct mshv_sched_ops *old;

	if (hv_parent_partition())
		return -ENODEV;
	if (mshv_sim_installed) {
		if (type == hv_scheduler_type)
			return 0;
		/* One scheduler type at a time, as on a real machine */
		if (!idle)
			return -EBUSY;
		hv_scheduler_type = type;
		return 0;
	}

	old = mshv_sched_ops_register(&mshv_sim_ops);
	if (old) {
		/* Someone else's (a KUnit test's): leave it in place. */
		mshv_sched_ops_register(old);
		return -EBUSY;
	}

	hv_scheduler_type = type;
	mshv_sim_installed = true;

	return 0;
}

void mshv_sim_backend_remove(void)
{
	if (!mshv_sim_installed)
		return;

	mshv_sched_ops_register(NULL);
	mshv_sim_installed = false;
}
