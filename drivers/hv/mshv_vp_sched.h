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

struct attribute_group;
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
 * - mshv_vp_sched_run() runs for a VP in one task at a time, the VP's
 *   dispatch task: the holder of vp->vp_mutex (MSHV_RUN_VP, inline mode)
 *   or the VP's worker, to which the holder handed the VP and which it
 *   waits for (worker mode, mshv_vp_task.c).  It is called in process
 *   context with interrupts enabled and may sleep.
 * - run.flags.intercept_suspend and run.flags.root_sched_blocked are read
 *   and written only by that task, in mshv_vp_sched_run().
 * - run.exit_req (MSHV_VP_EXIT_* bits: MSHV_CANCEL_RUN_VP, or a stop of
 *   the worker) is set by any task with atomic bitops, which then calls
 *   mshv_vp_sched_stop_dispatch():
 *   it sets the VP's explicit suspend register, so that a dispatch in
 *   progress or about to start returns, and wakes run.vp_suspend_queue.
 *   The loop tests exit_req before every dispatch and in every wait, and
 *   returns -EINTR.  Bits are cleared by the MSHV_RUN_VP caller only (see
 *   DOC: Exit requests).
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
 * DOC: Exit requests
 *
 * MSHV_CANCEL_RUN_VP makes the VP return to userspace.  It cannot be lost,
 * whenever it arrives, because it does not rely on the dispatching CPU
 * taking an interrupt at the right moment:
 *
 * 1. it sets MSHV_VP_EXIT_CANCEL in @vp->run.exit_req, which the dispatch
 *    loop tests before every dispatch and in every wait;
 * 2. then (full barrier) it sets the VP's explicit suspend register in the
 *    hypervisor (mshv_vp_sched_stop_dispatch()).  Hyper-V checks that
 *    register when a dispatch starts and makes a dispatch in progress
 *    return, with HV_VP_DISPATCH_EVENT_SUSPEND, so a dispatch entered
 *    after the loop's last test of exit_req returns at once, on any CPU,
 *    nohz_full or not;
 * 3. it wakes the loop if it waits for a kick.
 *
 * After a SUSPEND event the loop clears the register and re-tests
 * exit_req, which step 1 set before step 2.  A register left set by a
 * cancel the loop saw at step 1 costs the next MSHV_RUN_VP one extra
 * dispatch, nothing more.  The cancel is sticky: it is consumed only by
 * an MSHV_RUN_VP that returns -EINTR (mshv_vp_sched_run_to_user()), so a
 * cancel issued before MSHV_RUN_VP is entered, or while it returns a
 * message, is not lost.  The cancel takes no lock.
 */

/* Why the dispatch loop must return to its caller (bits of vp->run.exit_req) */
enum {
	MSHV_VP_EXIT_CANCEL,	/* MSHV_CANCEL_RUN_VP, sticky */
	MSHV_VP_EXIT_STOP,	/* the worker-mode MSHV_RUN_VP caller got a signal */
};

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
 * mshv_vp_sched_run_to_exit() - Run a VP until it has a message for
 *	userspace
 * @vp: the VP; called by its dispatch task (see the locking rules)
 *
 * Calls mshv_vp_sched_run() until it stops on an intercept that the
 * driver does not handle itself (mshv_vp_handle_intercept()).  This is the
 * work of one MSHV_RUN_VP, done by the caller or by the VP's worker.
 *
 * Context: Process context, interrupts enabled.  May sleep.
 * Return: as mshv_vp_sched_run().
 */
long mshv_vp_sched_run_to_exit(struct mshv_vp *vp);

/**
 * mshv_vp_sched_run_to_user() - MSHV_RUN_VP: run a VP until it has a
 *	message for userspace, unless a cancel is pending
 * @vp: the VP; the caller holds @vp->vp_mutex
 *
 * Consumes a pending MSHV_CANCEL_RUN_VP at once, or runs @vp in the task
 * that dispatches it (mshv_vp_task_run()), and consumes a cancel when that
 * returns -EINTR: the VP returns to userspace, which is what a cancel asks
 * for.  See DOC: Exit requests.
 *
 * Context: Process context, interrupts enabled.  May sleep.
 * Return: as mshv_vp_sched_run().
 */
long mshv_vp_sched_run_to_user(struct mshv_vp *vp);

/**
 * mshv_vp_sched_cancel() - MSHV_CANCEL_RUN_VP
 * @vp: the VP
 * @flags: the ioctl's argument; no flag is defined
 *
 * Requests that @vp return to userspace (see DOC: Exit requests).  Does
 * not wait for a running MSHV_RUN_VP and takes no lock.
 *
 * Context: Process context; any task.
 * Return: 0; -EINVAL for a non-zero @flags, with no side effect; the
 * errno of setting the explicit suspend register (the cancel stands).
 */
long mshv_vp_sched_cancel(struct mshv_vp *vp, unsigned long flags);

/**
 * mshv_vp_handle_intercept() - Handle an intercept in the driver
 * @vp: the VP, stopped on the intercept in @vp->vp_intercept_msg_page
 *
 * Defined in mshv_root_main.c.
 *
 * Return: true when the driver handled it and the VP can run on; false
 * when the message is for userspace.
 */
bool mshv_vp_handle_intercept(struct mshv_vp *vp);

/**
 * mshv_vp_sched_stop_dispatch() - Make a VP's dispatch loop see an exit
 *	request
 * @vp: the VP; the caller has just set a bit of @vp->run.exit_req
 *
 * Sets @vp's explicit suspend register, so that the hypervisor ends a
 * dispatch of @vp in progress and makes the next one return at once, and
 * wakes the loop if it waits for a kick.  Needs no interrupt on the
 * dispatching CPU, so an exit request is seen whenever it arrives.
 *
 * Context: Process context; any task; takes no lock.
 * Return: 0, or the errno of setting the register (the request itself
 * stands: the loop tests it before its next dispatch).
 */
int mshv_vp_sched_stop_dispatch(struct mshv_vp *vp);

/**
 * mshv_vp_sched_kick() - The hypervisor signalled a VP
 * @vp: the VP
 *
 * Marks @vp kicked and wakes the task waiting for it in mshv_vp_sched_run().
 *
 * Context: Any context, including hard interrupt.
 */
void mshv_vp_sched_kick(struct mshv_vp *vp);

/**
 * struct mshv_sched_ops - The hypervisor interface of the scheduler core
 * @dispatch_vp: Run @vp on this CPU with HVCALL_DISPATCH_VP and the
 *	HV_DISPATCH_VP_FLAG_* @flags until it stops; fill @res with the
 *	dispatch state and event it stopped with.  Root scheduler only.
 * @clear_explicit_suspend: Clear @vp's explicit suspend register.  Root
 *	scheduler only.
 * @set_explicit_suspend: Set @vp's explicit suspend register: a dispatch
 *	of @vp in progress on any CPU returns, and every later one returns at
 *	once, with HV_VP_DISPATCH_STATE_BLOCKED and
 *	HV_VP_DISPATCH_EVENT_SUSPEND, until the register is cleared.  Called
 *	by any task (MSHV_CANCEL_RUN_VP), not only the one running @vp.
 * @resume_vp: Let the hypervisor's scheduler run @vp: clear its intercept
 *	suspend register, then its explicit suspend register, in this order.
 * @suspend_vp: Explicitly suspend @vp, then set @message_in_flight if an
 *	intercept suspended it too (its message is still on its way).
 * @interrupt_pending: Nonzero when an interrupt is pending for @vp.
 * @dispatch_thread_blocked: True while the hypervisor counts @vp's
 *	dispatch thread as blocked.
 *
 * The hypercalls of mshv_sched_hvcall.c implement these operations, and
 * the scheduler core calls them directly.  With CONFIG_MSHV_SCHED_OPS,
 * which only a test backend selects, the core calls each operation
 * through a static call instead: it defaults to the hypercall, and
 * mshv_sched_ops_register() can point it at another backend.  The
 * operations returning int return 0 or a negative errno.  All are called
 * in process context with interrupts and preemption enabled, by the task
 * running the VP.  @interrupt_pending and @dispatch_thread_blocked are
 * also evaluated as the condition of a wait, so they must not sleep.
 */
struct mshv_sched_ops {
	int (*dispatch_vp)(struct mshv_vp *vp, u32 flags,
			   struct hv_output_dispatch_vp *res);
	int (*clear_explicit_suspend)(struct mshv_vp *vp);
	int (*set_explicit_suspend)(struct mshv_vp *vp);
	int (*resume_vp)(struct mshv_vp *vp);
	int (*suspend_vp)(const struct mshv_vp *vp, bool *message_in_flight);
	u64 (*interrupt_pending)(struct mshv_vp *vp);
	bool (*dispatch_thread_blocked)(struct mshv_vp *vp);
};

#if IS_ENABLED(CONFIG_MSHV_SCHED_OPS)
/**
 * mshv_sched_ops_register() - Bind the scheduler core to another backend
 * @ops: the backend's operations, all set
 *
 * Points the scheduler core's static calls at @ops in place of the
 * hypercalls.  Registrations are serialised; one backend at a time.  No
 * partition of /dev/mshv may exist: their VPs were set up for the
 * hypercalls.  A backend registers only where no hypervisor can run such
 * partitions meanwhile (a simulator without Hyper-V, a test).
 *
 * Context: Process context; may sleep.
 * Return: 0; -EINVAL if an operation of @ops is NULL; -EBUSY if another
 * backend is registered or a partition exists.
 */
int mshv_sched_ops_register(const struct mshv_sched_ops *ops);

/**
 * mshv_sched_ops_unregister() - Bind the scheduler core back to the hypercalls
 * @ops: the operations mshv_sched_ops_register() registered
 *
 * The caller guarantees that none of its VPs runs any more.  Does nothing
 * if @ops is not the registered backend.
 *
 * Context: Process context; may sleep.
 */
void mshv_sched_ops_unregister(const struct mshv_sched_ops *ops);

/**
 * mshv_sched_ops_registered() - Whether another backend is registered
 *
 * Context: Process context; may sleep.
 * Return: true while a backend of mshv_sched_ops_register() is in place.
 */
bool mshv_sched_ops_registered(void);
#endif

#if IS_ENABLED(CONFIG_KUNIT)
/*
 * Visible to the KUnit tests only (VISIBLE_IF_KUNIT): static, and inlined,
 * in a kernel without KUnit.
 */
bool mshv_vp_sched_is_root(void);
u32 mshv_sched_type_of(enum hv_scheduler_type type, bool l1vh);
#endif

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
 * mshv_hvcall_dispatch_vp() - Dispatch a VP on this CPU (HVCALL_DISPATCH_VP)
 * @vp: the VP
 * @flags: HV_DISPATCH_VP_FLAG_*
 * @res: filled with the dispatch state and event the VP stopped with
 *
 * Return: 0 or a negative errno.
 */
int mshv_hvcall_dispatch_vp(struct mshv_vp *vp, u32 flags,
			    struct hv_output_dispatch_vp *res);

/**
 * mshv_hvcall_clear_explicit_suspend() - Clear a VP's explicit suspend register
 * @vp: the VP
 *
 * Return: 0 or a negative errno.
 */
int mshv_hvcall_clear_explicit_suspend(struct mshv_vp *vp);

/**
 * mshv_hvcall_set_explicit_suspend() - Set a VP's explicit suspend register
 * @vp: the VP
 *
 * Any task may call this while another one dispatches @vp.
 *
 * Return: 0 or a negative errno.
 */
int mshv_hvcall_set_explicit_suspend(struct mshv_vp *vp);

/**
 * mshv_hvcall_resume_vp() - Let the hypervisor's scheduler run a VP
 * @vp: the VP
 *
 * Clears the VP's intercept suspend and explicit suspend registers.
 *
 * Return: 0 or a negative errno.
 */
int mshv_hvcall_resume_vp(struct mshv_vp *vp);

/**
 * mshv_hvcall_suspend_vp() - Explicitly suspend a VP
 * @vp: the VP
 * @message_in_flight: set when an intercept suspended the VP too, so a
 *	message is on its way to the root
 *
 * Return: 0 or a negative errno.
 */
int mshv_hvcall_suspend_vp(const struct mshv_vp *vp, bool *message_in_flight);

/**
 * mshv_hvcall_interrupt_pending() - Is an interrupt pending for a VP?
 * @vp: the VP
 *
 * Return: the pending interrupt vectors of @vp's register page; nonzero
 * when an interrupt is pending.
 */
u64 mshv_hvcall_interrupt_pending(struct mshv_vp *vp);

/**
 * mshv_hvcall_dispatch_thread_blocked() - Is a VP's dispatch thread blocked?
 * @vp: the VP
 *
 * Return: true while the hypervisor counts the VP's dispatch thread as
 * blocked.
 */
bool mshv_hvcall_dispatch_thread_blocked(struct mshv_vp *vp);

/* The scheduler type in force, for userspace: mshv_sched_type.c */

/**
 * mshv_sched_type() - The scheduler that runs guest VPs
 *
 * Return: the MSHV_SCHEDULER_* value (include/uapi/linux/mshv.h) of the
 * scheduler type in force, or 0 before the driver has determined it.
 */
u32 mshv_sched_type(void);

/**
 * mshv_sched_type_name() - The name userspace sees for a scheduler type
 * @type: an MSHV_SCHEDULER_* value
 *
 * Return: "classic", "classic-smt", "core", "root" or "integrated"; NULL
 * for any other @type.
 */
const char *mshv_sched_type_name(u32 type);

/**
 * mshv_ioctl_check_extension() - MSHV_CHECK_EXTENSION on /dev/mshv
 * @user_arg: user pointer to the __u32 MSHV_CAP_* to check
 *
 * Return: the value of the capability; MSHV_CAP_SCHEDULER_TYPE gives
 * mshv_sched_type().  -EOPNOTSUPP for a capability this driver does not
 * implement (those of the VTL driver included), as the VTL driver's
 * /dev/mshv answers; -EFAULT when @user_arg cannot be read.
 */
long mshv_ioctl_check_extension(void __user *user_arg);

/* Attributes of the mshv device: scheduler_type */
extern const struct attribute_group *mshv_sched_groups[];

#endif /* _MSHV_VP_SCHED_H_ */
