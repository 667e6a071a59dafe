/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (c) 2024, Microsoft Corporation.
 *
 * VP scheduler core of the mshv_root driver: runs a guest virtual processor
 * (VP) on behalf of MSHV_RUN_VP.
 */

#ifndef _MSHV_VP_SCHED_H_
#define _MSHV_VP_SCHED_H_

#include <linux/types.h>

struct device;
struct mshv_vp;
struct hv_output_dispatch_vp;

/**
 * DOC: VP scheduler core
 *
 * mshv_vp_sched_run() runs a VP until the VP has a message for the VMM (an
 * intercept), the calling task has a signal or other work to handle, or a
 * hypercall fails.
 *
 * Under the root scheduler (hv_scheduler_type == HV_SCHEDULER_TYPE_ROOT; on
 * an L1VH that is the integrated scheduler) the calling task dispatches the
 * VP itself with HVCALL_DISPATCH_VP, in a loop, and sleeps while the VP is
 * blocked until the hypervisor kicks it.  Under the hypervisor's own
 * schedulers (classic, core) the task resumes the VP and sleeps until the
 * hypervisor kicks it because the VP was suspended on an intercept.
 *
 * The hypervisor kicks a VP with a SynIC scheduler message; mshv_synic.c
 * calls mshv_vp_sched_kick() for every VP named in one.
 *
 * Locking rules for vp->run (struct mshv_vp, mshv_root.h):
 *
 * - mshv_vp_sched_run() runs for a VP in one task at a time: the caller
 *   holds vp->vp_mutex.  It is called in process context with interrupts
 *   enabled and may sleep.
 * - run.flags.intercept_suspend and run.flags.root_sched_blocked are read
 *   and written only by that task, in mshv_vp_sched_run().
 * - run.flags.root_sched_dispatched is set by that task for the duration of
 *   the dispatch hypercall, with preemption disabled.  The irqfd fast path
 *   (mshv_try_assert_irq_fast()) reads it locklessly, from any context, as a
 *   hint.  All flags share one word and only the VP's task writes it, so no
 *   update is lost.
 * - run.kicked_by_hv is set by mshv_vp_sched_kick(), from the SynIC message
 *   interrupt handler on any CPU, before run.vp_suspend_queue is woken.  It
 *   is cleared only by the task that waited for it on run.vp_suspend_queue,
 *   after its wait condition held: the VP's task in mshv_vp_sched_run(), or
 *   drain_vp_signals() at partition teardown, once no task runs the VP.  A
 *   kick that arrives before the wait begins is not lost: the wait tests the
 *   flag before sleeping.
 * - run.vp_suspend_queue is woken by mshv_vp_sched_kick() and by the irqfd
 *   fast path (an interrupt became pending for the VP; the waiter re-checks
 *   its condition).
 * - run.vp_signaled_count counts kicks; partition teardown compares it with
 *   the hypervisor's count to drain kicks still in flight.
 */

/**
 * mshv_vp_sched_run() - Run a VP until it has a message for the VMM
 * @vp: the VP; the caller holds @vp->vp_mutex
 *
 * Context: Process context, interrupts enabled.  May sleep.
 * Return: 0 when @vp stopped on an intercept (the message is in
 * @vp->vp_intercept_msg_page), -EINTR when a signal interrupted the wait or
 * the pending work, another negative errno when a hypercall failed.  In
 * every case @vp can be run again by the next call.
 */
long mshv_vp_sched_run(struct mshv_vp *vp);

/**
 * mshv_vp_sched_kick() - The hypervisor signalled a VP
 * @vp: the VP
 *
 * Marks @vp kicked and wakes the task waiting for it in mshv_vp_sched_run().
 *
 * Context: Any context, including hard interrupt.
 */
void mshv_vp_sched_kick(struct mshv_vp *vp);

/* Hypercalls of the scheduler core, mshv_sched_hvcall.c */

/**
 * mshv_sched_hvcall_init() - Set up the scheduler core's hypercalls
 * @dev: the mshv device, for messages
 *
 * Allocates the per-CPU HVCALL_DISPATCH_VP buffers when the hypervisor uses
 * the root scheduler.  Must be called after retrieving the scheduler type.
 *
 * Return: 0 or a negative errno.
 */
int mshv_sched_hvcall_init(struct device *dev);

/**
 * mshv_sched_hvcall_exit() - Undo mshv_sched_hvcall_init()
 */
void mshv_sched_hvcall_exit(void);

/**
 * mshv_vp_dispatch() - Dispatch a VP on this CPU (HVCALL_DISPATCH_VP)
 * @vp: the VP
 * @flags: HV_DISPATCH_VP_FLAG_*
 * @res: filled with the dispatch state and event the VP stopped with
 *
 * Return: 0 or a negative errno.
 */
int mshv_vp_dispatch(struct mshv_vp *vp, u32 flags,
		     struct hv_output_dispatch_vp *res);

/**
 * mshv_vp_clear_explicit_suspend() - Clear a VP's explicit suspend register
 * @vp: the VP
 *
 * Return: 0 or a negative errno.
 */
int mshv_vp_clear_explicit_suspend(struct mshv_vp *vp);

/**
 * mshv_vp_resume() - Let the hypervisor's scheduler run a VP
 * @vp: the VP
 *
 * Clears the VP's intercept suspend and explicit suspend registers.
 *
 * Return: 0 or a negative errno.
 */
int mshv_vp_resume(struct mshv_vp *vp);

/**
 * mshv_suspend_vp() - Explicitly suspend a VP
 * @vp: the VP
 * @message_in_flight: set when an intercept suspended the VP too, so a
 *	message is on its way to the root
 *
 * Return: 0 or a negative errno.
 */
int mshv_suspend_vp(const struct mshv_vp *vp, bool *message_in_flight);

/**
 * mshv_vp_interrupt_pending() - Is an interrupt pending for a VP?
 * @vp: the VP
 *
 * Return: the pending interrupt vectors of @vp's register page; nonzero
 * when an interrupt is pending.
 */
u64 mshv_vp_interrupt_pending(struct mshv_vp *vp);

/**
 * mshv_vp_dispatch_thread_blocked() - Is a VP's dispatch thread blocked?
 * @vp: the VP
 *
 * Return: true while the hypervisor counts the VP's dispatch thread as
 * blocked.
 */
bool mshv_vp_dispatch_thread_blocked(struct mshv_vp *vp);

#endif /* _MSHV_VP_SCHED_H_ */
