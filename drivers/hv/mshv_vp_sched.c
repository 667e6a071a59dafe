// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2024, Microsoft Corporation.
 *
 * VP scheduler core of the mshv_root driver: the loops that run a guest VP
 * for MSHV_RUN_VP, under the root scheduler and under the hypervisor's
 * schedulers.  See mshv_vp_sched.h for the interface and its locking rules.
 *
 * Authors: Microsoft Linux virtualization team
 */

#include <kunit/static_stub.h>
#include <kunit/visibility.h>
#include <linux/entry-virt.h>
#include <linux/hashtable.h>
#include <linux/mutex.h>
#include <linux/rseq.h>
#include <linux/static_call.h>
#include <linux/wait.h>
#include <asm/mshyperv.h>

#include "mshv_root.h"
#include "mshv_vp_sched.h"
#include "mshv_vp_task.h"

/* mshv_sched_ops.h lists as many operations as struct mshv_sched_ops has, */
struct mshv_sched_ops_count {
#define MSHV_SCHED_OP(op) char op
#include "mshv_sched_ops.h"
};

static_assert(sizeof(struct mshv_sched_ops_count) ==
	      sizeof(struct mshv_sched_ops) / sizeof(void *));

/* and mshv_hvcall_op() has the type of operation op. */
#define MSHV_SCHED_OP(op)						\
	static_assert(__same_type(&mshv_hvcall_##op,			\
				  typeof_member(struct mshv_sched_ops, op)))
#include "mshv_sched_ops.h"

#if IS_ENABLED(CONFIG_MSHV_SCHED_OPS)
/* A static call per operation, bound to its hypercall until a backend registers. */
#define MSHV_SCHED_OP(op) DEFINE_STATIC_CALL(mshv_sched_##op, mshv_hvcall_##op)
#include "mshv_sched_ops.h"

#define mshv_sched_call(op) static_call(mshv_sched_##op)

/* The registered backend, NULL for the hypercalls; under mshv_sched_ops_lock */
static const struct mshv_sched_ops *mshv_sched_ops;
static DEFINE_MUTEX(mshv_sched_ops_lock);
#else
/* Production: a direct call of each operation's hypercall, nothing to bind. */
#define mshv_sched_call(op) mshv_hvcall_##op
#endif

/* Must the dispatch loop return to its caller?  See DOC: Exit requests. */
static inline bool mshv_vp_exit_requested(const struct mshv_vp *vp)
{
	return READ_ONCE(vp->run.exit_req);
}

/*
 * This function is used when VPs are scheduled by the hypervisor's
 * scheduler.
 */
static long mshv_run_vp_with_hyp_scheduler(struct mshv_vp *vp)
{
	long ret;

	if (mshv_vp_exit_requested(vp))
		return -EINTR;

	/* Resume VP execution */
	ret = mshv_sched_call(resume_vp)(vp);
	if (ret) {
		vp_err(vp, "Failed to resume vp execution. %lx\n", ret);
		return ret;
	}

	ret = wait_event_interruptible(vp->run.vp_suspend_queue,
				       vp->run.kicked_by_hv == 1 ||
				       mshv_vp_exit_requested(vp));
	if (ret || !vp->run.kicked_by_hv) {
		bool message_in_flight;

		/*
		 * Otherwise the waiting was interrupted by a signal or a
		 * cancel: suspend the vCPU explicitly and copy message in
		 * flight (if any).
		 */
		ret = mshv_sched_call(suspend_vp)(vp, &message_in_flight);
		if (ret)
			return ret;

		/* Return if no message in flight */
		if (!message_in_flight)
			return -EINTR;

		/* Wait for the message in flight. */
		wait_event(vp->run.vp_suspend_queue, vp->run.kicked_by_hv == 1);
	}

	/*
	 * Reset the flag to make the wait_event call above work
	 * next time.
	 */
	vp->run.kicked_by_hv = 0;

	return 0;
}

static int
mshv_vp_wait_for_hv_kick(struct mshv_vp *vp)
{
	int ret;

	ret = wait_event_interruptible(vp->run.vp_suspend_queue,
				       (vp->run.kicked_by_hv == 1 &&
					!mshv_sched_call(dispatch_thread_blocked)(vp)) ||
				       mshv_sched_call(interrupt_pending)(vp) ||
				       mshv_vp_exit_requested(vp));
	if (ret || mshv_vp_exit_requested(vp))
		return -EINTR;

	trace_mshv_vp_wait_for_hv_kick(vp->vp_partition->pt_id,
				       vp->vp_index,
				       vp->run.kicked_by_hv,
				       mshv_sched_call(dispatch_thread_blocked)(vp),
				       mshv_sched_call(interrupt_pending)(vp));

	vp->run.flags.root_sched_blocked = 0;
	vp->run.kicked_by_hv = 0;

	return 0;
}

/* Must be called with interrupts enabled */
static long mshv_run_vp_with_root_scheduler(struct mshv_vp *vp)
{
	long ret;

	if (vp->run.flags.root_sched_blocked) {
		/*
		 * Dispatch state of this VP is blocked. Need to wait
		 * for the hypervisor to clear the blocked state before
		 * dispatching it.
		 */
		ret = mshv_vp_wait_for_hv_kick(vp);
		if (ret)
			return ret;
	}

	do {
		u32 flags = 0;
		struct hv_output_dispatch_vp output;

		/* MSHV_CANCEL_RUN_VP, or the worker's caller has a signal */
		if (mshv_vp_exit_requested(vp)) {
			ret = -EINTR;
			break;
		}

		if (__xfer_to_guest_mode_work_pending()) {
			ret = xfer_to_guest_mode_handle_work();

			trace_mshv_xfer_to_guest_mode_work(vp->vp_partition->pt_id,
							   vp->vp_index,
							   read_thread_flags(),
							   ret);

			if (ret)
				break;
		}

		if (vp->run.flags.intercept_suspend)
			flags |= HV_DISPATCH_VP_FLAG_CLEAR_INTERCEPT_SUSPEND;

		if (mshv_sched_call(interrupt_pending)(vp))
			flags |= HV_DISPATCH_VP_FLAG_SCAN_INTERRUPT_INJECTION;

		ret = mshv_sched_call(dispatch_vp)(vp, flags, &output);
		if (ret)
			break;

		vp->run.flags.intercept_suspend = 0;

		if (output.dispatch_state == HV_VP_DISPATCH_STATE_BLOCKED) {
			if (output.dispatch_event ==
						HV_VP_DISPATCH_EVENT_SUSPEND) {
				/*
				 * Need to clear explicit suspend before
				 * dispatching.
				 * Explicit suspend is either:
				 * - set right after the first VP dispatch or
				 * - set by mshv_vp_sched_stop_dispatch()
				 *   (a cancel, or a stop of the worker), which
				 *   set the exit request before it: the wait
				 *   below returns -EINTR for it.
				 */
				ret = mshv_sched_call(clear_explicit_suspend)(vp);
				if (ret)
					break;

				ret = mshv_vp_wait_for_hv_kick(vp);
				if (ret)
					break;
			} else {
				vp->run.flags.root_sched_blocked = 1;
				ret = mshv_vp_wait_for_hv_kick(vp);
				if (ret)
					break;
			}
		} else {
			/* HV_VP_DISPATCH_STATE_READY */
			if (output.dispatch_event ==
						HV_VP_DISPATCH_EVENT_INTERCEPT)
				vp->run.flags.intercept_suspend = 1;
		}
	} while (!vp->run.flags.intercept_suspend);

	rseq_virt_userspace_exit();

	return ret;
}

/*
 * Whether the hypervisor uses the root scheduler, whose loop is then ours.
 * A function so that a KUnit test can answer for its own calls only
 * (a static stub), never by changing hv_scheduler_type under a running
 * host.
 */
VISIBLE_IF_KUNIT bool mshv_vp_sched_is_root(void)
{
	KUNIT_STATIC_STUB_REDIRECT(mshv_vp_sched_is_root);
	return hv_scheduler_type == HV_SCHEDULER_TYPE_ROOT;
}
EXPORT_SYMBOL_IF_KUNIT(mshv_vp_sched_is_root);

long mshv_vp_sched_run(struct mshv_vp *vp)
{
	if (mshv_vp_sched_is_root())
		return mshv_run_vp_with_root_scheduler(vp);

	return mshv_run_vp_with_hyp_scheduler(vp);
}
EXPORT_SYMBOL_IF_KUNIT(mshv_vp_sched_run);

long mshv_vp_sched_run_to_exit(struct mshv_vp *vp)
{
	long ret;

	do {
		ret = mshv_vp_sched_run(vp);
	} while (ret == 0 && mshv_vp_handle_intercept(vp));

	return ret;
}

long mshv_vp_sched_run_to_user(struct mshv_vp *vp)
{
	long ret;

	/* A cancel issued before this call is not lost. */
	if (test_and_clear_bit(MSHV_VP_EXIT_CANCEL, &vp->run.exit_req))
		return -EINTR;

	ret = mshv_vp_task_run(vp);

	/* The VP returns to userspace: that is what a cancel asks for. */
	if (ret == -EINTR)
		clear_bit(MSHV_VP_EXIT_CANCEL, &vp->run.exit_req);

	return ret;
}

long mshv_vp_sched_cancel(struct mshv_vp *vp, unsigned long flags)
{
	if (flags)
		return -EINVAL;

	set_bit(MSHV_VP_EXIT_CANCEL, &vp->run.exit_req);

	return mshv_vp_sched_stop_dispatch(vp);
}
EXPORT_SYMBOL_IF_KUNIT(mshv_vp_sched_cancel);

int mshv_vp_sched_stop_dispatch(struct mshv_vp *vp)
{
	int ret;

	/*
	 * The caller's exit request is visible before the register is set:
	 * pairs with the loop testing the request after a dispatch returned
	 * on the register (the hypercalls in between order it too).
	 */
	smp_mb();
	ret = mshv_sched_call(set_explicit_suspend)(vp);
	wake_up(&vp->run.vp_suspend_queue);

	return ret;
}

void mshv_vp_sched_kick(struct mshv_vp *vp)
{
	atomic64_inc(&vp->run.vp_signaled_count);
	vp->run.kicked_by_hv = 1;
	wake_up(&vp->run.vp_suspend_queue);
}
EXPORT_SYMBOL_IF_KUNIT(mshv_vp_sched_kick);

#if IS_ENABLED(CONFIG_MSHV_SCHED_OPS)
/* Partitions of /dev/mshv, which exists only on the hypervisor */
static bool mshv_sched_partitions_exist(void)
{
	bool ret;

	if (!hv_parent_partition())
		return false;

	spin_lock(&mshv_root.pt_ht_lock);
	ret = !hash_empty(mshv_root.pt_htable);
	spin_unlock(&mshv_root.pt_ht_lock);

	return ret;
}

int mshv_sched_ops_register(const struct mshv_sched_ops *ops)
{
	const struct mshv_sched_ops o = *ops;
	bool complete = true;

#define MSHV_SCHED_OP(op) (complete &= !!o.op)
#include "mshv_sched_ops.h"
	if (!complete)
		return -EINVAL;

	guard(mutex)(&mshv_sched_ops_lock);
	if (mshv_sched_ops || mshv_sched_partitions_exist())
		return -EBUSY;

#define MSHV_SCHED_OP(op) static_call_update(mshv_sched_##op, o.op)
#include "mshv_sched_ops.h"
	mshv_sched_ops = ops;

	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mshv_sched_ops_register);

void mshv_sched_ops_unregister(const struct mshv_sched_ops *ops)
{
	guard(mutex)(&mshv_sched_ops_lock);
	if (!ops || mshv_sched_ops != ops)
		return;

#define MSHV_SCHED_OP(op) static_call_update(mshv_sched_##op, mshv_hvcall_##op)
#include "mshv_sched_ops.h"
	mshv_sched_ops = NULL;
}
EXPORT_SYMBOL_IF_KUNIT(mshv_sched_ops_unregister);

bool mshv_sched_ops_registered(void)
{
	guard(mutex)(&mshv_sched_ops_lock);
	return !!mshv_sched_ops;
}
EXPORT_SYMBOL_IF_KUNIT(mshv_sched_ops_registered);
#endif
