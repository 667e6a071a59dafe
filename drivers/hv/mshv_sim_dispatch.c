// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026, Microsoft Corporation.
 *
 * mshv_sim: the simulated hypervisor's side of the VP scheduler core, a
 * struct mshv_sched_ops backend.  It runs each VP's programmed workload
 * (compute, halt, intercept) under the root scheduler, and keeps the
 * ground truth of what ran where.  See mshv_sim.h.
 */

#include <linux/bitops.h>
#include <linux/hrtimer.h>
#include <linux/irqflags.h>
#include <linux/ktime.h>
#include <linux/lockdep.h>
#include <linux/minmax.h>
#include <linux/smp.h>
#include <linux/percpu.h>
#include <linux/string.h>
#include <linux/topology.h>
#include <asm/mshyperv.h>
#if IS_ENABLED(CONFIG_X86)
#include <asm/apic.h>
#endif

#include "mshv_sim.h"
#include "mshv_vp_sched.h"

/* Whether the simulator's backend is installed; under mshv_sim_lock */
static bool mshv_sim_installed;

/**
 * struct mshv_sim_lp - What the hypervisor knows of one logical processor
 * @guest: the partition whose VP runs guest code on it, or NULL
 * @cross_ns: guest time it ran while an SMT sibling ran a VP of another
 *	partition, summed over its siblings
 * @same_ns: the same, for VPs of the same partition
 *
 * Written by the CPU itself with local interrupts disabled (in
 * mshv_sim_compute()); @guest is read by its siblings, the counters by
 * MSHV_SIM_GET_SMT_STATS, with READ_ONCE().
 */
struct mshv_sim_lp {
	struct mshv_partition *guest;
	u64 cross_ns;
	u64 same_ns;
};

static DEFINE_PER_CPU(struct mshv_sim_lp, mshv_sim_lp);

void mshv_sim_smt_stats(int cpu, u64 *cross_ns, u64 *same_ns)
{
	struct mshv_sim_lp *lp;

	*cross_ns = 0;
	*same_ns = 0;
	if (!cpu_possible(cpu))
		return;
	lp = per_cpu_ptr(&mshv_sim_lp, cpu);
	*cross_ns = READ_ONCE(lp->cross_ns);
	*same_ns = READ_ONCE(lp->same_ns);
}

/* Add @delta ns of guest time on @cpu to its co-execution records. */
static void mshv_sim_smt_account(struct mshv_sim_lp *lp, int cpu,
				 const struct cpumask *siblings,
				 struct mshv_partition *me, u64 delta)
{
	struct mshv_partition *other;
	int s;

	for_each_cpu(s, siblings) {
		if (s == cpu)
			continue;
		other = READ_ONCE(per_cpu_ptr(&mshv_sim_lp, s)->guest);
		if (!other)
			continue;
		if (other == me)
			WRITE_ONCE(lp->same_ns, lp->same_ns + delta);
		else
			WRITE_ONCE(lp->cross_ns, lp->cross_ns + delta);
	}
}

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

#if IS_ENABLED(CONFIG_X86)
/*
 * A root interrupt is pending on this CPU: a vector is requested in the
 * local APIC's IRR.  With local interrupts disabled it stays there, as
 * while the hypervisor runs a guest on the root's behalf.
 */
static bool mshv_sim_root_irq_pending(void)
{
	u32 reg;
	int i;

	if (!boot_cpu_has(X86_FEATURE_APIC))
		return false;

	for (i = 0; i < APIC_ISR_NR; i++) {
		reg = APIC_IRR + i * 0x10;
		if (x2apic_mode ? native_apic_msr_read(reg) :
				  native_apic_mem_read(reg))
			return true;
	}

	return false;
}
#elif IS_ENABLED(CONFIG_ARM64)
/* ISR_EL1 shows an IRQ or FIQ pending even while it is masked. */
static bool mshv_sim_root_irq_pending(void)
{
	return read_sysreg(isr_el1) & (BIT(7) | BIT(6));
}
#endif

bool mshv_sim_must_return(struct mshv_sim_vp *svp)
{
	return mshv_sim_root_irq_pending() ||
	       test_bit(MSHV_SIM_SUSPEND_EXPLICIT, &svp->suspend_regs) ||
	       READ_ONCE(to_sim_partition(svp->vp.vp_partition)->dead);
}

u64 mshv_sim_compute(struct mshv_sim_vp *svp, u64 limit_ns, int *cpu)
{
	struct mshv_partition *me = svp->vp.vp_partition;
	u64 start, now, last, limit, ran, shown = 0;
	const struct cpumask *siblings;
	struct mshv_sim_lp *lp;

	lockdep_assert_irqs_disabled();

	*cpu = smp_processor_id();
	lp = this_cpu_ptr(&mshv_sim_lp);
	siblings = topology_sibling_cpumask(*cpu);
	limit = svp->compute_left_ns;
	if (limit_ns)
		limit = min(limit, limit_ns);
	WRITE_ONCE(lp->guest, me);
	start = ktime_get_ns();
	last = start;
	do {
		cpu_relax();
		now = ktime_get_ns();
		mshv_sim_smt_account(lp, *cpu, siblings, me, now - last);
		last = now;
		ran = min(now - start, svp->compute_left_ns);
		if (ran - shown >= NSEC_PER_MSEC) {
			mshv_sim_account(svp, *cpu, ran - shown, false, false);
			shown = ran;
		}
	} while (now - start < limit && !mshv_sim_must_return(svp));
	WRITE_ONCE(lp->guest, NULL);

	mshv_sim_account(svp, *cpu, ran - shown, false, false);
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
	set_bit(MSHV_SIM_SUSPEND_INTERCEPT, &svp->suspend_regs);
}

/*
 * Run the VP's workload until it returns to the root; see "What mshv_sim
 * models" in mshv_sim.h.  Local interrupts are disabled: a root interrupt
 * stays pending, ends the dispatch, and is taken when the caller enables
 * interrupts again.  Return whether the halt of the current step started.
 */
static bool mshv_sim_run(struct mshv_sim_vp *svp,
			 struct hv_output_dispatch_vp *res, int *cpu)
{
	const struct mshv_sim_step *step;

	for (;;) {
		if (test_bit(MSHV_SIM_SUSPEND_EXPLICIT, &svp->suspend_regs)) {
			res->dispatch_state = HV_VP_DISPATCH_STATE_BLOCKED;
			res->dispatch_event = HV_VP_DISPATCH_EVENT_SUSPEND;
			return false;
		}

		/* The VP stays suspended until the VMM has seen the message. */
		if (test_bit(MSHV_SIM_SUSPEND_INTERCEPT, &svp->suspend_regs)) {
			res->dispatch_event = HV_VP_DISPATCH_EVENT_INTERCEPT;
			return false;
		}

		if (mshv_sim_must_return(svp))
			return false;

		if (svp->halted) {
			/* Pairs with the release in mshv_sim_halt_timer_fn() */
			if (!smp_load_acquire(&svp->halt_expired)) {
				res->dispatch_state =
					HV_VP_DISPATCH_STATE_BLOCKED;
				return false;
			}
			svp->halted = false;
			mshv_sim_record_wake(svp);
			mshv_sim_next_step(svp);
		}

		if (svp->done) {
			mshv_sim_send_exit(svp, MSHV_SIM_EXIT_DONE, 0);
			res->dispatch_event = HV_VP_DISPATCH_EVENT_INTERCEPT;
			return false;
		}

		step = &svp->steps[svp->step];
		switch (step->op) {
		case MSHV_SIM_OP_COMPUTE:
			if (!svp->compute_left_ns)
				svp->compute_left_ns = step->arg * NSEC_PER_USEC;
			mshv_sim_compute(svp, 0, cpu);
			/* Guest code goes on to the next step unless stopped */
			if (!svp->compute_left_ns)
				mshv_sim_next_step(svp);
			break;
		case MSHV_SIM_OP_HALT:
			svp->halted = true;
			WRITE_ONCE(svp->halt_expired, false);
			hrtimer_start(&svp->halt_timer, us_to_ktime(step->arg),
				      HRTIMER_MODE_REL);
			res->dispatch_state = HV_VP_DISPATCH_STATE_BLOCKED;
			return true;
		case MSHV_SIM_OP_INTERCEPT:
			mshv_sim_send_exit(svp, MSHV_SIM_EXIT_INTERCEPT,
					   step->arg);
			mshv_sim_next_step(svp);
			res->dispatch_event = HV_VP_DISPATCH_EVENT_INTERCEPT;
			return false;
		case MSHV_SIM_OP_NULL:
			/* A guest event the hypervisor returns on, with none */
			mshv_sim_next_step(svp);
			return false;
		}
	}
}

static int mshv_sim_dispatch_vp(struct mshv_vp *vp, u32 flags,
				struct hv_output_dispatch_vp *res)
{
	struct mshv_sim_vp *svp = to_sim_vp(vp);
	unsigned long irqflags;
	bool halt;
	int cpu;

	/* No event: HV_VP_DISPATCH_EVENT_INVALID */
	memset(res, 0, sizeof(*res));
	res->dispatch_state = HV_VP_DISPATCH_STATE_READY;

	if (READ_ONCE(to_sim_partition(vp->vp_partition)->dead))
		return -ENODEV;

	/* Applied at entry, before any suspend register is checked */
	if (flags & HV_DISPATCH_VP_FLAG_CLEAR_INTERCEPT_SUSPEND)
		clear_bit(MSHV_SIM_SUSPEND_INTERCEPT, &svp->suspend_regs);

	local_irq_save(irqflags);
	cpu = smp_processor_id();
	halt = mshv_sim_run(svp, res, &cpu);
	local_irq_restore(irqflags);

	mshv_sim_account(svp, cpu, 0, true, halt);

	/* The partition was deleted while the VP ran */
	if (READ_ONCE(to_sim_partition(vp->vp_partition)->dead))
		return -ENODEV;

	return 0;
}

/*
 * Clearing the register makes the VP dispatchable: the hypervisor sends
 * the scheduler kick that the root scheduler waits for, unless the VP is
 * in a halt, which kicks when it ends.  Under the core scheduler the
 * hypervisor's thread runs the VP again.
 */
static int mshv_sim_clear_explicit_suspend(struct mshv_vp *vp)
{
	struct mshv_sim_vp *svp = to_sim_vp(vp);

	clear_bit(MSHV_SIM_SUSPEND_EXPLICIT, &svp->suspend_regs);
	/* The bit is clear before the VP's thread or task looks again */
	smp_mb__after_atomic();

	if (to_sim_partition(vp->vp_partition)->core) {
		wake_up(&svp->core_wq);
		return 0;
	}

	/* Acquire pairs with the release in mshv_sim_halt_timer_fn() */
	if (!svp->halted || smp_load_acquire(&svp->halt_expired))
		mshv_vp_sched_kick(vp);

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

/*
 * Any task may set the register while another one dispatches the VP: the
 * dispatch in progress returns (mshv_sim_must_return()), and so does every
 * later one, at once, until the register is cleared.
 */
static int mshv_sim_set_explicit_suspend(struct mshv_vp *vp)
{
	set_bit(MSHV_SIM_SUSPEND_EXPLICIT, &to_sim_vp(vp)->suspend_regs);

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
	int ret;

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

	/* -EBUSY while another backend is registered */
	ret = mshv_sched_ops_register(&mshv_sim_ops);
	if (ret)
		return ret;

	hv_scheduler_type = type;
	mshv_sim_installed = true;

	return 0;
}

void mshv_sim_backend_remove(void)
{
	if (!mshv_sim_installed)
		return;

	mshv_sched_ops_unregister(&mshv_sim_ops);
	mshv_sim_installed = false;
}
