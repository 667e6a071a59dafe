// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of the VP scheduler core (mshv_vp_sched.c).
 *
 * The tests run the real dispatch loops of mshv_vp_sched_run() against a
 * fake hypervisor: a struct mshv_sched_ops backend that follows a script
 * (what each HVCALL_DISPATCH_VP returns, which call fails, when the
 * hypervisor kicks the VP) and records what the loop asked of it.  No
 * hypervisor is needed.  The loop runs in a kernel thread of the test, so
 * that the test can watch it sleep, kick it and signal it.
 *
 * The fake takes the place of the hypercalls of mshv_sched_hvcall.c, and
 * of the scheduler type the loop sees, through KUnit static stubs: they
 * act on the calls of the test's own threads (the case's and its runner)
 * and of no one else.  Nothing of the running host changes: no backend is
 * registered and hv_scheduler_type is never written, so VPs of real
 * partitions run on meanwhile (mshv_vp_sched_test_scoped() checks it).
 */

#include <kunit/device.h>
#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/sched/signal.h>
#include <asm/mshyperv.h>

#include "mshv_root.h"
#include "mshv_vp_sched.h"
#include "mshv_vp_task.h"

#define FAKE_MAX_DISPATCH	8
#define RUNNER_MAX_CALLS	3
#define TEST_TIMEOUT_MS		5000

#define READY		HV_VP_DISPATCH_STATE_READY
#define BLOCKED		HV_VP_DISPATCH_STATE_BLOCKED
#define NO_EVENT	HV_VP_DISPATCH_EVENT_INVALID
#define SUSPEND		HV_VP_DISPATCH_EVENT_SUSPEND
#define INTERCEPT	HV_VP_DISPATCH_EVENT_INTERCEPT

#define CLEAR_IS	HV_DISPATCH_VP_FLAG_CLEAR_INTERCEPT_SUSPEND
#define SCAN_IRQ	HV_DISPATCH_VP_FLAG_SCAN_INTERRUPT_INJECTION

/* A vp->run.flags bit, as an int (typeof() rejects bit-fields). */
#define RUN_FLAG(name)	((int)fake->vp->run.flags.name)

/* What one HVCALL_DISPATCH_VP of the script does. */
struct fake_step {
	int err;		/* fail with this errno */
	u32 state;		/* else stop in this HV_VP_DISPATCH_STATE_* */
	u32 event;		/* with this HV_VP_DISPATCH_EVENT_* */
	bool kick;		/* kick the VP before returning */
	bool resched;		/* ask the calling task to reschedule */
	bool cancel;		/* MSHV_CANCEL_RUN_VP lands at dispatch entry */
	bool until_irq;		/* the guest runs until a root interrupt */
};

struct fake_hv {
	struct mshv_partition *pt;
	struct mshv_vp *vp;

	/* The script; errors are one-shot. */
	struct fake_step steps[FAKE_MAX_DISPATCH];
	unsigned int nsteps;
	int clear_err;
	bool clear_kick;		/* kick after clearing explicit suspend */
	int resume_err;
	bool resume_kick;		/* intercept right after resume */
	int suspend_err;
	bool message_in_flight;		/* reported by suspend_vp */
	u64 irq_pending;
	bool thread_blocked;
	bool rescue;			/* end every call: the test failed */
	bool root;			/* the hypervisor's root scheduler */

	/* What the loop did. */
	unsigned int ndispatch;
	u32 flags[FAKE_MAX_DISPATCH];
	bool resched_pending[FAKE_MAX_DISPATCH];
	unsigned int nclear;
	unsigned int nresume;
	unsigned int nsuspend;
	unsigned int overrun;		/* dispatches beyond the script */
	unsigned int bad_context;	/* called atomic or with irqs off */
	bool explicit_suspend;		/* the explicit suspend register */
	unsigned int ran_past_cancel;	/* a guest ran on after a cancel */
	long cancel_ret;		/* what the step's cancel returned */
};

/* The fake of the test in progress; ops have no other way to find it. */
static struct fake_hv *fake;

static void fake_check_context(void)
{
	if (irqs_disabled() ||
	    (IS_ENABLED(CONFIG_PREEMPT_COUNT) && preempt_count()))
		fake->bad_context++;
}

static int fake_dispatch_vp(struct mshv_vp *vp, u32 flags,
			    struct hv_output_dispatch_vp *res)
{
	unsigned int i = fake->ndispatch++;
	const struct fake_step *s;

	fake_check_context();
	if (i >= fake->nsteps || fake->rescue) {
		fake->overrun += !fake->rescue;
		res->dispatch_state = READY;
		res->dispatch_event = INTERCEPT;
		return 0;
	}

	s = &fake->steps[i];
	fake->flags[i] = flags;
	if (s->cancel)
		fake->cancel_ret = mshv_vp_sched_cancel(vp, 0);
	/*
	 * Hyper-V checks the explicit suspend register when a dispatch
	 * starts: the VP does not run.
	 */
	if (READ_ONCE(fake->explicit_suspend)) {
		res->dispatch_state = BLOCKED;
		res->dispatch_event = SUSPEND;
		return 0;
	}
	/*
	 * The guest runs until a root interrupt on this CPU ends the
	 * dispatch.  None comes here (think of a nohz_full CPU): had the
	 * cancel not set the register, the guest would run on after it.
	 */
	if (s->until_irq && test_bit(MSHV_VP_EXIT_CANCEL,
				     &vp->run.exit_req))
		fake->ran_past_cancel++;
	fake->resched_pending[i] = test_tsk_need_resched(current);
	if (s->resched)
		set_tsk_need_resched(current);
	if (s->kick)
		mshv_vp_sched_kick(vp);
	if (s->err)
		return s->err;

	res->dispatch_state = s->state;
	res->dispatch_event = s->event;
	return 0;
}

static int fake_clear_explicit_suspend(struct mshv_vp *vp)
{
	int err = fake->clear_err;

	fake_check_context();
	fake->nclear++;
	fake->clear_err = 0;
	if (!err)
		WRITE_ONCE(fake->explicit_suspend, false);
	if (!err && fake->clear_kick)
		mshv_vp_sched_kick(vp);
	return err;
}

static int fake_set_explicit_suspend(struct mshv_vp *vp)
{
	WRITE_ONCE(fake->explicit_suspend, true);
	return 0;
}

static int fake_resume_vp(struct mshv_vp *vp)
{
	int err = fake->resume_err;

	fake_check_context();
	fake->nresume++;
	fake->resume_err = 0;
	if (!err && fake->resume_kick)
		mshv_vp_sched_kick(vp);
	return err;
}

static int fake_suspend_vp(const struct mshv_vp *vp, bool *message_in_flight)
{
	int err = fake->suspend_err;

	fake_check_context();
	fake->nsuspend++;
	fake->suspend_err = 0;
	if (err)
		return err;
	*message_in_flight = fake->message_in_flight;
	return 0;
}

static u64 fake_interrupt_pending(struct mshv_vp *vp)
{
	return READ_ONCE(fake->irq_pending);
}

static bool fake_dispatch_thread_blocked(struct mshv_vp *vp)
{
	return READ_ONCE(fake->thread_blocked) && !READ_ONCE(fake->rescue);
}

static bool fake_sched_is_root(void)
{
	return READ_ONCE(fake->root);
}

static const struct mshv_sched_ops fake_ops = {
	.dispatch_vp = fake_dispatch_vp,
	.clear_explicit_suspend = fake_clear_explicit_suspend,
	.set_explicit_suspend = fake_set_explicit_suspend,
	.resume_vp = fake_resume_vp,
	.suspend_vp = fake_suspend_vp,
	.interrupt_pending = fake_interrupt_pending,
	.dispatch_thread_blocked = fake_dispatch_thread_blocked,
};

/* A kernel thread making @ncalls MSHV_RUN_VP-like calls in a row. */
struct runner {
	struct kunit *test;
	struct task_struct *task;
	unsigned int ncalls;
	bool signal_first;	/* a signal is pending before the first call */
	long ret[RUNNER_MAX_CALLS];
	int preempt_count[RUNNER_MAX_CALLS];
	struct completion done[RUNNER_MAX_CALLS];
};

static int runner_fn(void *data)
{
	struct runner *r = data;
	unsigned int i;

	/* The test's stubs apply to the calls of this thread too */
	current->kunit_test = r->test;
	allow_signal(SIGUSR1);
	if (r->signal_first)
		send_sig(SIGUSR1, current, 1);

	for (i = 0; i < r->ncalls; i++) {
		r->ret[i] = mshv_vp_sched_run(fake->vp);
		r->preempt_count[i] = preempt_count();
		/* The VMM handles its signal before it runs the VP again. */
		flush_signals(current);
		complete_all(&r->done[i]);
	}
	current->kunit_test = NULL;

	return 0;
}

static void runner_start(struct kunit *test, struct runner *r,
			 unsigned int ncalls)
{
	unsigned int i;

	r->test = test;
	r->ncalls = ncalls;
	for (i = 0; i < ncalls; i++)
		init_completion(&r->done[i]);

	r->task = kthread_run(runner_fn, r, "mshv_vp_sched_test");
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, r->task);
	get_task_struct(r->task);
}

/* Wait for call @i to return; fail the test if it does not. */
static bool runner_wait(struct kunit *test, struct runner *r, unsigned int i)
{
	if (wait_for_completion_timeout(&r->done[i],
					msecs_to_jiffies(TEST_TIMEOUT_MS)))
		return true;

	KUNIT_FAIL(test, "mshv_vp_sched_run() call %u did not return", i);
	return false;
}

/* Let every call return, failed test or not, and reap the thread. */
static void runner_finish(struct kunit *test, struct runner *r)
{
	unsigned int i;

	for (i = 0; i < r->ncalls; i++) {
		while (!wait_for_completion_timeout(&r->done[i],
						    msecs_to_jiffies(100))) {
			WRITE_ONCE(fake->rescue, true);
			mshv_vp_sched_kick(fake->vp);
			send_sig(SIGUSR1, r->task, 1);
		}
		KUNIT_EXPECT_EQ_MSG(test, r->preempt_count[i], 0,
				    "call %u returned atomic", i);
	}
	kthread_stop_put(r->task);
}

/* Run @ncalls calls that must not sleep for good. */
static void run_calls(struct kunit *test, struct runner *r,
		      unsigned int ncalls)
{
	unsigned int i;

	runner_start(test, r, ncalls);
	for (i = 0; i < ncalls; i++)
		if (!runner_wait(test, r, i))
			break;
	runner_finish(test, r);
}

/* Wait until the VP's task sleeps on the VP's queue. */
static bool wait_for_sleeper(struct kunit *test)
{
	unsigned long end = jiffies + msecs_to_jiffies(TEST_TIMEOUT_MS);

	while (!wq_has_sleeper(&fake->vp->run.vp_suspend_queue)) {
		if (time_after(jiffies, end)) {
			KUNIT_FAIL(test, "the VP's task never waited");
			return false;
		}
		usleep_range(200, 500);
	}
	return true;
}

/* The call stays asleep for a while: it is waiting, not spinning. */
static void expect_still_waiting(struct kunit *test, struct runner *r,
				 unsigned int i, unsigned int ndispatch)
{
	msleep(50);
	KUNIT_EXPECT_FALSE(test, completion_done(&r->done[i]));
	KUNIT_EXPECT_EQ(test, fake->ndispatch, ndispatch);
}

static void add_step(u32 state, u32 event)
{
	fake->steps[fake->nsteps++] = (struct fake_step){
		.state = state, .event = event,
	};
}

static void add_error_step(int err)
{
	fake->steps[fake->nsteps++] = (struct fake_step){ .err = err };
}

/* READY with an intercept: the call returns the message to the VMM. */
static void mshv_vp_sched_test_ready_intercept(struct kunit *test)
{
	struct runner r = {};

	add_step(READY, INTERCEPT);
	run_calls(test, &r, 1);

	KUNIT_EXPECT_EQ(test, r.ret[0], 0);
	KUNIT_EXPECT_EQ(test, fake->ndispatch, 1);
	KUNIT_EXPECT_EQ(test, fake->flags[0], 0U);
	KUNIT_EXPECT_EQ(test, RUN_FLAG(intercept_suspend), 1);
	KUNIT_EXPECT_EQ(test, RUN_FLAG(root_sched_blocked), 0);
	KUNIT_EXPECT_EQ(test, fake->nclear, 0);
}

/* READY with no event: dispatch again, without returning to the VMM. */
static void mshv_vp_sched_test_ready_none(struct kunit *test)
{
	struct runner r = {};

	add_step(READY, NO_EVENT);
	add_step(READY, NO_EVENT);
	add_step(READY, INTERCEPT);
	run_calls(test, &r, 1);

	KUNIT_EXPECT_EQ(test, r.ret[0], 0);
	KUNIT_EXPECT_EQ(test, fake->ndispatch, 3);
	KUNIT_EXPECT_EQ(test, fake->flags[1], 0U);
	KUNIT_EXPECT_EQ(test, fake->flags[2], 0U);
	KUNIT_EXPECT_EQ(test, fake->nclear, 0);
}

/* READY with a suspend event is not blocked: no clear, dispatch again. */
static void mshv_vp_sched_test_ready_suspend(struct kunit *test)
{
	struct runner r = {};

	add_step(READY, SUSPEND);
	add_step(READY, INTERCEPT);
	run_calls(test, &r, 1);

	KUNIT_EXPECT_EQ(test, r.ret[0], 0);
	KUNIT_EXPECT_EQ(test, fake->ndispatch, 2);
	KUNIT_EXPECT_EQ(test, fake->nclear, 0);
	KUNIT_EXPECT_EQ(test, RUN_FLAG(root_sched_blocked), 0);
}

/*
 * After an intercept, the next call's first dispatch clears the intercept
 * suspend, and only that one.
 */
static void mshv_vp_sched_test_clear_intercept_suspend(struct kunit *test)
{
	struct runner r = {};

	add_step(READY, INTERCEPT);
	add_step(READY, NO_EVENT);
	add_step(READY, INTERCEPT);
	run_calls(test, &r, 2);

	KUNIT_EXPECT_EQ(test, r.ret[0], 0);
	KUNIT_EXPECT_EQ(test, r.ret[1], 0);
	KUNIT_ASSERT_EQ(test, fake->ndispatch, 3);
	KUNIT_EXPECT_EQ(test, fake->flags[0], 0U);
	KUNIT_EXPECT_EQ(test, fake->flags[1], CLEAR_IS);
	KUNIT_EXPECT_EQ(test, fake->flags[2], 0U);
}

/* A pending interrupt asks the hypervisor to scan for injection. */
static void mshv_vp_sched_test_scan_interrupt_injection(struct kunit *test)
{
	struct runner r = {};

	fake->irq_pending = BIT(3);
	add_step(READY, INTERCEPT);
	add_step(READY, INTERCEPT);
	run_calls(test, &r, 2);

	KUNIT_EXPECT_EQ(test, r.ret[0], 0);
	KUNIT_EXPECT_EQ(test, r.ret[1], 0);
	KUNIT_ASSERT_EQ(test, fake->ndispatch, 2);
	KUNIT_EXPECT_EQ(test, fake->flags[0], SCAN_IRQ);
	/* Both flags at once after an intercept. */
	KUNIT_EXPECT_EQ(test, fake->flags[1], CLEAR_IS | SCAN_IRQ);
}

/* BLOCKED with no event: sleep until the hypervisor kicks the VP. */
static void mshv_vp_sched_test_blocked_waits_for_kick(struct kunit *test)
{
	struct runner r = {};

	add_step(BLOCKED, NO_EVENT);
	add_step(READY, INTERCEPT);
	runner_start(test, &r, 1);

	if (wait_for_sleeper(test)) {
		expect_still_waiting(test, &r, 0, 1);
		KUNIT_EXPECT_EQ(test, RUN_FLAG(root_sched_blocked), 1);
		mshv_vp_sched_kick(fake->vp);
		runner_wait(test, &r, 0);
	}
	runner_finish(test, &r);

	KUNIT_EXPECT_EQ(test, r.ret[0], 0);
	KUNIT_EXPECT_EQ(test, fake->ndispatch, 2);
	KUNIT_EXPECT_EQ(test, RUN_FLAG(root_sched_blocked), 0);
	KUNIT_EXPECT_EQ(test, fake->vp->run.kicked_by_hv, 0);
	KUNIT_EXPECT_EQ(test, fake->nclear, 0);
}

/* BLOCKED with an intercept is blocked too: no return to the VMM. */
static void mshv_vp_sched_test_blocked_intercept(struct kunit *test)
{
	struct runner r = {};

	add_step(BLOCKED, INTERCEPT);
	add_step(READY, INTERCEPT);
	runner_start(test, &r, 1);

	if (wait_for_sleeper(test)) {
		expect_still_waiting(test, &r, 0, 1);
		KUNIT_EXPECT_EQ(test, RUN_FLAG(intercept_suspend), 0);
		mshv_vp_sched_kick(fake->vp);
		runner_wait(test, &r, 0);
	}
	runner_finish(test, &r);

	KUNIT_EXPECT_EQ(test, r.ret[0], 0);
	KUNIT_EXPECT_EQ(test, fake->ndispatch, 2);
	/* The first intercept was not one: nothing to clear. */
	KUNIT_EXPECT_EQ(test, fake->flags[1], 0U);
}

/* BLOCKED on an explicit suspend: clear it, then wait for the kick. */
static void mshv_vp_sched_test_blocked_suspend(struct kunit *test)
{
	struct runner r = {};

	add_step(BLOCKED, SUSPEND);
	add_step(READY, INTERCEPT);
	runner_start(test, &r, 1);

	if (wait_for_sleeper(test)) {
		expect_still_waiting(test, &r, 0, 1);
		KUNIT_EXPECT_EQ(test, fake->nclear, 1);
		KUNIT_EXPECT_EQ(test, RUN_FLAG(root_sched_blocked), 0);
		mshv_vp_sched_kick(fake->vp);
		runner_wait(test, &r, 0);
	}
	runner_finish(test, &r);

	KUNIT_EXPECT_EQ(test, r.ret[0], 0);
	KUNIT_EXPECT_EQ(test, fake->ndispatch, 2);
	KUNIT_EXPECT_EQ(test, fake->nclear, 1);
}

/* A kick does not end the wait while the dispatch thread is blocked. */
static void mshv_vp_sched_test_kick_while_thread_blocked(struct kunit *test)
{
	struct runner r = {};

	fake->thread_blocked = true;
	add_step(BLOCKED, NO_EVENT);
	add_step(READY, INTERCEPT);
	runner_start(test, &r, 1);

	if (wait_for_sleeper(test)) {
		mshv_vp_sched_kick(fake->vp);
		expect_still_waiting(test, &r, 0, 1);
		WRITE_ONCE(fake->thread_blocked, false);
		mshv_vp_sched_kick(fake->vp);
		runner_wait(test, &r, 0);
	}
	runner_finish(test, &r);

	KUNIT_EXPECT_EQ(test, r.ret[0], 0);
	KUNIT_EXPECT_EQ(test, fake->ndispatch, 2);
	KUNIT_EXPECT_EQ(test, fake->vp->run.kicked_by_hv, 0);
}

/*
 * An interrupt pending for the VP ends the blocked wait without a kick
 * (the irqfd fast path only wakes the queue), and is scanned for.
 */
static void mshv_vp_sched_test_interrupt_ends_wait(struct kunit *test)
{
	struct runner r = {};

	add_step(BLOCKED, NO_EVENT);
	add_step(READY, INTERCEPT);
	runner_start(test, &r, 1);

	if (wait_for_sleeper(test)) {
		WRITE_ONCE(fake->irq_pending, BIT(5));
		wake_up(&fake->vp->run.vp_suspend_queue);
		runner_wait(test, &r, 0);
	}
	runner_finish(test, &r);

	KUNIT_EXPECT_EQ(test, r.ret[0], 0);
	KUNIT_ASSERT_EQ(test, fake->ndispatch, 2);
	KUNIT_EXPECT_EQ(test, fake->flags[1], SCAN_IRQ);
	KUNIT_EXPECT_EQ(test, RUN_FLAG(root_sched_blocked), 0);
}

/* A kick that arrives before the loop waits is not lost. */
static void mshv_vp_sched_test_kick_before_wait(struct kunit *test)
{
	struct runner r = {};

	add_step(BLOCKED, NO_EVENT);
	fake->steps[0].kick = true;
	add_step(READY, INTERCEPT);
	run_calls(test, &r, 1);

	KUNIT_EXPECT_EQ(test, r.ret[0], 0);
	KUNIT_EXPECT_EQ(test, fake->ndispatch, 2);
	KUNIT_EXPECT_EQ(test, fake->vp->run.kicked_by_hv, 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&fake->vp->run.vp_signaled_count), 1);
}

/*
 * A signal during the blocked wait returns -EINTR; the next call keeps
 * waiting for the kick before it dispatches the VP again.
 */
static void mshv_vp_sched_test_signal_in_blocked_wait(struct kunit *test)
{
	struct runner r = {};

	add_step(BLOCKED, NO_EVENT);
	add_step(READY, INTERCEPT);
	runner_start(test, &r, 2);

	if (!wait_for_sleeper(test))
		goto out;
	send_sig(SIGUSR1, r.task, 1);
	if (!runner_wait(test, &r, 0))
		goto out;
	KUNIT_EXPECT_EQ(test, r.ret[0], -EINTR);
	KUNIT_EXPECT_EQ(test, fake->ndispatch, 1);
	KUNIT_EXPECT_EQ(test, RUN_FLAG(root_sched_blocked), 1);

	if (!wait_for_sleeper(test))
		goto out;
	expect_still_waiting(test, &r, 1, 1);
	mshv_vp_sched_kick(fake->vp);
	runner_wait(test, &r, 1);
out:
	runner_finish(test, &r);

	KUNIT_EXPECT_EQ(test, r.ret[1], 0);
	KUNIT_EXPECT_EQ(test, fake->ndispatch, 2);
	KUNIT_EXPECT_EQ(test, RUN_FLAG(root_sched_blocked), 0);
}

/* A signal pending on entry returns -EINTR before any dispatch. */
static void mshv_vp_sched_test_signal_before_dispatch(struct kunit *test)
{
	struct runner r = { .signal_first = true };

	add_step(READY, INTERCEPT);
	run_calls(test, &r, 2);

	KUNIT_EXPECT_EQ(test, r.ret[0], -EINTR);
	KUNIT_EXPECT_EQ(test, r.ret[1], 0);
	KUNIT_EXPECT_EQ(test, fake->ndispatch, 1);
}

/* A failed dispatch is returned as an errno; the VP runs on the next call. */
static void mshv_vp_sched_test_dispatch_error(struct kunit *test)
{
	struct runner r = {};

	add_error_step(-EIO);
	add_step(READY, INTERCEPT);
	run_calls(test, &r, 2);

	KUNIT_EXPECT_EQ(test, r.ret[0], -EIO);
	KUNIT_EXPECT_EQ(test, r.ret[1], 0);
	KUNIT_EXPECT_EQ(test, fake->ndispatch, 2);
	KUNIT_EXPECT_EQ(test, RUN_FLAG(root_sched_blocked), 0);
}

/* A failed dispatch does not lose the intercept suspend to clear. */
static void mshv_vp_sched_test_dispatch_error_keeps_clear(struct kunit *test)
{
	struct runner r = {};

	add_step(READY, INTERCEPT);
	add_error_step(-ENOMEM);
	add_step(READY, INTERCEPT);
	run_calls(test, &r, 3);

	KUNIT_EXPECT_EQ(test, r.ret[0], 0);
	KUNIT_EXPECT_EQ(test, r.ret[1], -ENOMEM);
	KUNIT_EXPECT_EQ(test, r.ret[2], 0);
	KUNIT_ASSERT_EQ(test, fake->ndispatch, 3);
	KUNIT_EXPECT_EQ(test, fake->flags[1], CLEAR_IS);
	KUNIT_EXPECT_EQ(test, fake->flags[2], CLEAR_IS);
}

/* Failing to clear explicit suspend is returned; the next call retries. */
static void mshv_vp_sched_test_clear_explicit_suspend_error(struct kunit *test)
{
	struct runner r = {};

	fake->clear_err = -EIO;
	fake->clear_kick = true;
	add_step(BLOCKED, SUSPEND);
	add_step(BLOCKED, SUSPEND);
	add_step(READY, INTERCEPT);
	run_calls(test, &r, 2);

	KUNIT_EXPECT_EQ(test, r.ret[0], -EIO);
	KUNIT_EXPECT_EQ(test, r.ret[1], 0);
	KUNIT_EXPECT_EQ(test, fake->ndispatch, 3);
	KUNIT_EXPECT_EQ(test, fake->nclear, 2);
}

/* need_resched is honoured between two dispatches. */
static void mshv_vp_sched_test_need_resched(struct kunit *test)
{
	struct runner r = {};

	add_step(READY, NO_EVENT);
	fake->steps[0].resched = true;
	add_step(READY, INTERCEPT);
	run_calls(test, &r, 1);

	KUNIT_EXPECT_EQ(test, r.ret[0], 0);
	KUNIT_ASSERT_EQ(test, fake->ndispatch, 2);
	KUNIT_EXPECT_FALSE(test, fake->resched_pending[1]);
}

/* Hypervisor's scheduler: resume the VP, return once it is kicked. */
static void mshv_vp_sched_test_hyp_resume_kick(struct kunit *test)
{
	struct runner r = {};

	fake->root = false;	/* the core scheduler */
	runner_start(test, &r, 1);

	if (wait_for_sleeper(test)) {
		expect_still_waiting(test, &r, 0, 0);
		mshv_vp_sched_kick(fake->vp);
		runner_wait(test, &r, 0);
	}
	runner_finish(test, &r);

	KUNIT_EXPECT_EQ(test, r.ret[0], 0);
	KUNIT_EXPECT_EQ(test, fake->nresume, 1);
	KUNIT_EXPECT_EQ(test, fake->nsuspend, 0);
	KUNIT_EXPECT_EQ(test, fake->ndispatch, 0);
	KUNIT_EXPECT_EQ(test, fake->vp->run.kicked_by_hv, 0);
}

/* Hypervisor's scheduler: a failed resume is returned; the next works. */
static void mshv_vp_sched_test_hyp_resume_error(struct kunit *test)
{
	struct runner r = {};

	fake->root = false;	/* the classic scheduler */
	fake->resume_err = -EIO;
	fake->resume_kick = true;
	run_calls(test, &r, 2);

	KUNIT_EXPECT_EQ(test, r.ret[0], -EIO);
	KUNIT_EXPECT_EQ(test, r.ret[1], 0);
	KUNIT_EXPECT_EQ(test, fake->nresume, 2);
	KUNIT_EXPECT_EQ(test, fake->vp->run.kicked_by_hv, 0);
}

/*
 * Hypervisor's scheduler: a signal during the wait suspends the VP and
 * returns -EINTR when no message is in flight; the next call resumes it.
 */
static void mshv_vp_sched_test_hyp_signal(struct kunit *test)
{
	struct runner r = {};

	fake->root = false;	/* the core scheduler */
	runner_start(test, &r, 2);

	if (!wait_for_sleeper(test))
		goto out;
	send_sig(SIGUSR1, r.task, 1);
	if (!runner_wait(test, &r, 0))
		goto out;
	KUNIT_EXPECT_EQ(test, r.ret[0], -EINTR);
	KUNIT_EXPECT_EQ(test, fake->nsuspend, 1);

	if (!wait_for_sleeper(test))
		goto out;
	mshv_vp_sched_kick(fake->vp);
	runner_wait(test, &r, 1);
out:
	runner_finish(test, &r);

	KUNIT_EXPECT_EQ(test, r.ret[1], 0);
	KUNIT_EXPECT_EQ(test, fake->nresume, 2);
	KUNIT_EXPECT_EQ(test, fake->nsuspend, 1);
}

/*
 * Hypervisor's scheduler: when the suspend finds an intercept message in
 * flight, the call waits for it, signal or not, and returns it.
 */
static void mshv_vp_sched_test_hyp_signal_message_in_flight(struct kunit *test)
{
	unsigned long end = jiffies + msecs_to_jiffies(TEST_TIMEOUT_MS);
	struct runner r = {};

	fake->root = false;	/* the core scheduler */
	fake->message_in_flight = true;
	runner_start(test, &r, 1);

	if (!wait_for_sleeper(test))
		goto out;
	send_sig(SIGUSR1, r.task, 1);
	while (!READ_ONCE(fake->nsuspend) && time_before(jiffies, end))
		usleep_range(200, 500);
	KUNIT_EXPECT_EQ_MSG(test, READ_ONCE(fake->nsuspend), 1,
			    "the signal did not suspend the VP");
	if (!READ_ONCE(fake->nsuspend) || !wait_for_sleeper(test))
		goto out;
	expect_still_waiting(test, &r, 0, 0);
	mshv_vp_sched_kick(fake->vp);
	runner_wait(test, &r, 0);
out:
	runner_finish(test, &r);

	KUNIT_EXPECT_EQ(test, r.ret[0], 0);
	KUNIT_EXPECT_EQ(test, fake->vp->run.kicked_by_hv, 0);
}

/* Hypervisor's scheduler: a failed suspend is returned as an errno. */
static void mshv_vp_sched_test_hyp_suspend_error(struct kunit *test)
{
	struct runner r = {};

	fake->root = false;	/* the core scheduler */
	fake->suspend_err = -EIO;
	runner_start(test, &r, 2);

	if (!wait_for_sleeper(test))
		goto out;
	send_sig(SIGUSR1, r.task, 1);
	if (!runner_wait(test, &r, 0))
		goto out;
	KUNIT_EXPECT_EQ(test, r.ret[0], -EIO);

	/* The next call resumes the VP again. */
	if (!wait_for_sleeper(test))
		goto out;
	mshv_vp_sched_kick(fake->vp);
	runner_wait(test, &r, 1);
out:
	runner_finish(test, &r);

	KUNIT_EXPECT_EQ(test, r.ret[1], 0);
	KUNIT_EXPECT_EQ(test, fake->nresume, 2);
}

/* A kick marks the VP kicked and counts; one wait consumes all kicks. */
static void mshv_vp_sched_test_kick(struct kunit *test)
{
	struct mshv_vp *vp = fake->vp;
	struct runner r = {};

	mshv_vp_sched_kick(vp);
	mshv_vp_sched_kick(vp);

	KUNIT_EXPECT_EQ(test, vp->run.kicked_by_hv, 1);
	KUNIT_EXPECT_EQ(test, atomic64_read(&vp->run.vp_signaled_count), 2);

	/* A VP left blocked by the previous call goes on at once. */
	vp->run.flags.root_sched_blocked = 1;
	add_step(READY, INTERCEPT);
	run_calls(test, &r, 1);

	KUNIT_EXPECT_EQ(test, r.ret[0], 0);
	KUNIT_EXPECT_EQ(test, fake->ndispatch, 1);
	KUNIT_EXPECT_EQ(test, vp->run.kicked_by_hv, 0);
	KUNIT_EXPECT_EQ(test, RUN_FLAG(root_sched_blocked), 0);
}

/*
 * Registration wants every operation, and unregistering a backend that is
 * not the registered one changes nothing.  No case registers a complete
 * backend: that would replace the running host's.
 */
static void mshv_vp_sched_test_register(struct kunit *test)
{
	struct mshv_sched_ops partial = fake_ops;

	partial.dispatch_vp = NULL;
	KUNIT_EXPECT_EQ(test, mshv_sched_ops_register(&partial), -EINVAL);
	partial = fake_ops;
	partial.dispatch_thread_blocked = NULL;
	KUNIT_EXPECT_EQ(test, mshv_sched_ops_register(&partial), -EINVAL);
	mshv_sched_ops_unregister(&fake_ops);
	mshv_sched_ops_unregister(NULL);
	KUNIT_EXPECT_FALSE(test, mshv_sched_ops_registered());
}

/* A thread of no test, calling what the fake stubs for the test's threads */
struct scoped_probe {
	struct mshv_vp *vp;
	u64 irq_pending;
	struct completion done;
};

static int scoped_probe_fn(void *data)
{
	struct scoped_probe *p = data;

	p->irq_pending = mshv_hvcall_interrupt_pending(p->vp);
	complete(&p->done);

	return 0;
}

/*
 * The fake answers for the test's threads only: another thread calling the
 * same hypercall meanwhile reaches the real one (the fake VP has no
 * register page: no interrupt pending), as a VP of a real partition would.
 */
static void mshv_vp_sched_test_scoped(struct kunit *test)
{
	struct scoped_probe p = { .vp = fake->vp };
	struct task_struct *t;

	fake->irq_pending = 0x5;
	KUNIT_EXPECT_EQ(test, mshv_hvcall_interrupt_pending(fake->vp), 0x5);

	init_completion(&p.done);
	p.irq_pending = U64_MAX;
	t = kthread_run(scoped_probe_fn, &p, "mshv_vp_sched_probe");
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, t);
	KUNIT_ASSERT_NE(test, 0UL,
			wait_for_completion_timeout(&p.done,
						    msecs_to_jiffies(TEST_TIMEOUT_MS)));
	KUNIT_EXPECT_EQ(test, p.irq_pending, 0);
	KUNIT_EXPECT_FALSE(test, mshv_sched_ops_registered());
}

/* The scheduler type userspace sees for each one the hypervisor reports. */
static void mshv_vp_sched_test_sched_type(struct kunit *test)
{
	static const struct {
		enum hv_scheduler_type hv;
		bool l1vh;
		u32 type;
		const char *name;
	} cases[] = {
		{ HV_SCHEDULER_TYPE_LP, false,
		  MSHV_SCHEDULER_CLASSIC, "classic" },
		{ HV_SCHEDULER_TYPE_LP_SMT, false,
		  MSHV_SCHEDULER_CLASSIC_SMT, "classic-smt" },
		{ HV_SCHEDULER_TYPE_CORE_SMT, false,
		  MSHV_SCHEDULER_CORE, "core" },
		{ HV_SCHEDULER_TYPE_CORE_SMT, true,
		  MSHV_SCHEDULER_CORE, "core" },
		{ HV_SCHEDULER_TYPE_ROOT, false,
		  MSHV_SCHEDULER_ROOT, "root" },
		{ HV_SCHEDULER_TYPE_ROOT, true,
		  MSHV_SCHEDULER_INTEGRATED, "integrated" },
		{ HV_SCHEDULER_TYPE_MAX, false, 0, NULL },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *name;
		u32 type;

		type = mshv_sched_type_of(cases[i].hv, cases[i].l1vh);

		KUNIT_EXPECT_EQ_MSG(test, type, cases[i].type, "case %u", i);
		name = mshv_sched_type_name(type);
		if (cases[i].name)
			KUNIT_EXPECT_STREQ_MSG(test, name, cases[i].name,
					       "case %u", i);
		else
			KUNIT_EXPECT_NULL_MSG(test, name, "case %u", i);
	}
}

/* Ask the loop to return, as MSHV_CANCEL_RUN_VP does. */
static void request_exit(void)
{
	set_bit(MSHV_VP_EXIT_CANCEL, &fake->vp->run.exit_req);
	wake_up(&fake->vp->run.vp_suspend_queue);
}

/* An exit requested before the call returns -EINTR without a dispatch. */
static void mshv_vp_sched_test_exit_before_dispatch(struct kunit *test)
{
	struct runner r = {}, r2 = {};

	add_step(READY, INTERCEPT);
	request_exit();
	run_calls(test, &r, 1);
	KUNIT_EXPECT_EQ(test, r.ret[0], -EINTR);
	KUNIT_EXPECT_EQ(test, fake->ndispatch, 0);

	/* The request stays until its owner clears it; then the VP runs. */
	clear_bit(MSHV_VP_EXIT_CANCEL, &fake->vp->run.exit_req);
	run_calls(test, &r2, 1);
	KUNIT_EXPECT_EQ(test, r2.ret[0], 0);
	KUNIT_EXPECT_EQ(test, fake->ndispatch, 1);
}

/*
 * An exit requested during the blocked wait returns -EINTR; the VP stays
 * blocked, and the next call waits for the kick before dispatching.
 */
static void mshv_vp_sched_test_exit_in_blocked_wait(struct kunit *test)
{
	struct runner r = {}, r2 = {};

	add_step(BLOCKED, NO_EVENT);
	add_step(READY, INTERCEPT);
	runner_start(test, &r, 1);
	if (wait_for_sleeper(test)) {
		request_exit();
		runner_wait(test, &r, 0);
	}
	runner_finish(test, &r);
	KUNIT_EXPECT_EQ(test, r.ret[0], -EINTR);
	KUNIT_EXPECT_EQ(test, fake->ndispatch, 1);
	KUNIT_EXPECT_EQ(test, RUN_FLAG(root_sched_blocked), 1);

	clear_bit(MSHV_VP_EXIT_CANCEL, &fake->vp->run.exit_req);
	runner_start(test, &r2, 1);
	if (wait_for_sleeper(test)) {
		expect_still_waiting(test, &r2, 0, 1);
		mshv_vp_sched_kick(fake->vp);
		runner_wait(test, &r2, 0);
	}
	runner_finish(test, &r2);
	KUNIT_EXPECT_EQ(test, r2.ret[0], 0);
	KUNIT_EXPECT_EQ(test, fake->ndispatch, 2);
}

/*
 * Hypervisor's scheduler: an exit requested while waiting for the
 * intercept suspends the VP and returns -EINTR, as a signal does.
 */
static void mshv_vp_sched_test_hyp_exit_request(struct kunit *test)
{
	struct runner r = {};

	fake->root = false;	/* the core scheduler */
	runner_start(test, &r, 1);
	if (wait_for_sleeper(test)) {
		request_exit();
		runner_wait(test, &r, 0);
	}
	runner_finish(test, &r);

	KUNIT_EXPECT_EQ(test, r.ret[0], -EINTR);
	KUNIT_EXPECT_EQ(test, fake->nresume, 1);
	KUNIT_EXPECT_EQ(test, fake->nsuspend, 1);
}

/*
 * The cancel that could be lost: it lands after the loop's last test of
 * its exit requests and before the dispatch hypercall (the fake issues
 * MSHV_CANCEL_RUN_VP at dispatch entry, where an interrupt sent to the
 * dispatching CPU would be taken by the root before the hypercall).  The
 * dispatch then runs the guest until a root interrupt, and none comes.
 * Only a cancel that the hypervisor sees at dispatch entry, the explicit
 * suspend register, stops it: the VP does not run, the loop clears the
 * register and returns -EINTR.
 */
static void mshv_vp_sched_test_cancel_before_dispatch(struct kunit *test)
{
	struct runner r = {};

	fake->steps[fake->nsteps++] = (struct fake_step){
		.state = READY, .event = NO_EVENT,
		.cancel = true, .until_irq = true,
	};
	run_calls(test, &r, 1);

	KUNIT_EXPECT_EQ(test, fake->cancel_ret, 0);
	KUNIT_EXPECT_EQ_MSG(test, fake->ran_past_cancel, 0,
			    "cancel lost: the guest ran on after it");
	KUNIT_EXPECT_EQ(test, r.ret[0], -EINTR);
	KUNIT_EXPECT_EQ(test, fake->ndispatch, 1);
	/* The register was cleared for the next run; the cancel consumed */
	KUNIT_EXPECT_EQ(test, fake->nclear, 1);
	KUNIT_EXPECT_FALSE(test, fake->explicit_suspend);
}

/*
 * A cancel between two calls sets the request and the register; the loop
 * returns -EINTR without a dispatch.  Once MSHV_RUN_VP consumed the
 * request, the next call's first dispatch returns on the register the
 * cancel left; the loop clears it, waits for the hypervisor's kick (sent
 * when the register is cleared) and runs the VP.
 */
static void mshv_vp_sched_test_cancel_sticky_register(struct kunit *test)
{
	struct runner r = {}, r2 = {};

	KUNIT_EXPECT_EQ(test, mshv_vp_sched_cancel(fake->vp, 1), -EINVAL);
	KUNIT_EXPECT_FALSE(test, fake->explicit_suspend);
	KUNIT_EXPECT_EQ(test, mshv_vp_sched_cancel(fake->vp, 0), 0);
	KUNIT_EXPECT_TRUE(test, fake->explicit_suspend);

	add_step(READY, NO_EVENT);	/* returns on the register instead */
	add_step(READY, INTERCEPT);
	run_calls(test, &r, 1);
	KUNIT_EXPECT_EQ(test, r.ret[0], -EINTR);
	KUNIT_EXPECT_EQ(test, fake->ndispatch, 0);

	clear_bit(MSHV_VP_EXIT_CANCEL, &fake->vp->run.exit_req);
	fake->clear_kick = true;
	run_calls(test, &r2, 1);
	KUNIT_EXPECT_EQ(test, r2.ret[0], 0);
	KUNIT_EXPECT_EQ(test, fake->ndispatch, 2);
	KUNIT_EXPECT_EQ(test, fake->nclear, 1);
	KUNIT_EXPECT_FALSE(test, fake->explicit_suspend);
}

#if IS_ENABLED(CONFIG_MSHV_INTEGRATED_SCHED)
/* A worker's thread name keeps its VP index whatever the partition id. */
static void mshv_vp_sched_test_worker_name(struct kunit *test)
{
	char name[TASK_COMM_LEN];

	mshv_vp_worker_name(name, 42, 3);
	KUNIT_EXPECT_STREQ(test, name, "vp3-mshv42");
	mshv_vp_worker_name(name, U64_MAX, U32_MAX);
	KUNIT_EXPECT_STREQ(test, name, "vp4294967295-ms");
}
#endif

static int mshv_vp_sched_test_init(struct kunit *test)
{
	struct device *dev;
	struct fake_hv *f;

	f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f);
	f->pt = kunit_kzalloc(test, sizeof(*f->pt), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f->pt);
	f->vp = kunit_kzalloc(test, sizeof(*f->vp), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f->vp);
	dev = kunit_device_register(test, "mshv_vp_sched_test");
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);

	f->pt->pt_module_dev = dev;
	f->pt->pt_id = 42;
	f->vp->vp_index = 3;
	f->vp->vp_partition = f->pt;
	mutex_init(&f->vp->vp_mutex);
	atomic64_set(&f->vp->run.vp_signaled_count, 0);
	init_waitqueue_head(&f->vp->run.vp_suspend_queue);

	fake = f;
	test->priv = f;
	/* The core calls a registered backend, not the hypercalls we stub */
	if (mshv_sched_ops_registered())
		kunit_skip(test, "another scheduler backend (mshv_sim) is registered");

	f->root = true;
	kunit_activate_static_stub(test, mshv_vp_sched_is_root,
				   fake_sched_is_root);
	kunit_activate_static_stub(test, mshv_hvcall_dispatch_vp,
				   fake_dispatch_vp);
	kunit_activate_static_stub(test, mshv_hvcall_clear_explicit_suspend,
				   fake_clear_explicit_suspend);
	kunit_activate_static_stub(test, mshv_hvcall_set_explicit_suspend,
				   fake_set_explicit_suspend);
	kunit_activate_static_stub(test, mshv_hvcall_resume_vp,
				   fake_resume_vp);
	kunit_activate_static_stub(test, mshv_hvcall_suspend_vp,
				   fake_suspend_vp);
	kunit_activate_static_stub(test, mshv_hvcall_interrupt_pending,
				   fake_interrupt_pending);
	kunit_activate_static_stub(test, mshv_hvcall_dispatch_thread_blocked,
				   fake_dispatch_thread_blocked);

	return 0;
}

static void mshv_vp_sched_test_exit(struct kunit *test)
{
	struct fake_hv *f = test->priv;

	fake = NULL;

	KUNIT_EXPECT_EQ_MSG(test, f->bad_context, 0,
			    "backend called atomic or with interrupts off");
	KUNIT_EXPECT_EQ_MSG(test, f->overrun, 0,
			    "more dispatches than the script has");
}

static struct kunit_case mshv_vp_sched_test_cases[] = {
	KUNIT_CASE(mshv_vp_sched_test_ready_intercept),
	KUNIT_CASE(mshv_vp_sched_test_ready_none),
	KUNIT_CASE(mshv_vp_sched_test_ready_suspend),
	KUNIT_CASE(mshv_vp_sched_test_clear_intercept_suspend),
	KUNIT_CASE(mshv_vp_sched_test_scan_interrupt_injection),
	KUNIT_CASE(mshv_vp_sched_test_blocked_waits_for_kick),
	KUNIT_CASE(mshv_vp_sched_test_blocked_intercept),
	KUNIT_CASE(mshv_vp_sched_test_blocked_suspend),
	KUNIT_CASE(mshv_vp_sched_test_kick_while_thread_blocked),
	KUNIT_CASE(mshv_vp_sched_test_interrupt_ends_wait),
	KUNIT_CASE(mshv_vp_sched_test_kick_before_wait),
	KUNIT_CASE(mshv_vp_sched_test_signal_in_blocked_wait),
	KUNIT_CASE(mshv_vp_sched_test_signal_before_dispatch),
	KUNIT_CASE(mshv_vp_sched_test_dispatch_error),
	KUNIT_CASE(mshv_vp_sched_test_dispatch_error_keeps_clear),
	KUNIT_CASE(mshv_vp_sched_test_clear_explicit_suspend_error),
	KUNIT_CASE(mshv_vp_sched_test_need_resched),
	KUNIT_CASE(mshv_vp_sched_test_hyp_resume_kick),
	KUNIT_CASE(mshv_vp_sched_test_hyp_resume_error),
	KUNIT_CASE(mshv_vp_sched_test_hyp_signal),
	KUNIT_CASE(mshv_vp_sched_test_hyp_signal_message_in_flight),
	KUNIT_CASE(mshv_vp_sched_test_hyp_suspend_error),
	KUNIT_CASE(mshv_vp_sched_test_kick),
	KUNIT_CASE(mshv_vp_sched_test_register),
	KUNIT_CASE(mshv_vp_sched_test_scoped),
	KUNIT_CASE(mshv_vp_sched_test_sched_type),
	KUNIT_CASE(mshv_vp_sched_test_exit_before_dispatch),
	KUNIT_CASE(mshv_vp_sched_test_exit_in_blocked_wait),
	KUNIT_CASE(mshv_vp_sched_test_hyp_exit_request),
	KUNIT_CASE(mshv_vp_sched_test_cancel_before_dispatch),
	KUNIT_CASE(mshv_vp_sched_test_cancel_sticky_register),
#if IS_ENABLED(CONFIG_MSHV_INTEGRATED_SCHED)
	KUNIT_CASE(mshv_vp_sched_test_worker_name),
#endif
	{}
};

static struct kunit_suite mshv_vp_sched_test_suite = {
	.name = "mshv_vp_sched",
	.init = mshv_vp_sched_test_init,
	.exit = mshv_vp_sched_test_exit,
	.test_cases = mshv_vp_sched_test_cases,
};

kunit_test_suite(mshv_vp_sched_test_suite);

MODULE_DESCRIPTION("KUnit tests of the mshv VP scheduler core");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS("EXPORTED_FOR_KUNIT_TESTING");
