// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2024, Microsoft Corporation.
 *
 * The hypercalls of the VP scheduler core (mshv_vp_sched.c): dispatch,
 * suspend and resume a VP, and read what the hypervisor shares about it.
 *
 * Each starts with KUNIT_STATIC_STUB_REDIRECT(): a KUnit test replaces it
 * with its fake for the calls the test's own threads make, and for no
 * one else.  Without CONFIG_KUNIT that is nothing.
 *
 * Authors: Microsoft Linux virtualization team
 */

#include <kunit/static_stub.h>
#include <kunit/visibility.h>
#include <linux/cpuhotplug.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <asm/mshyperv.h>

#include "mshv.h"
#include "mshv_root.h"
#include "mshv_vp_sched.h"

/* HV_THREAD_COUNTER */
#if defined(CONFIG_X86_64)
#define HV_VP_COUNTER_ROOT_DISPATCH_THREAD_BLOCKED 202
#elif defined(CONFIG_ARM64)
#define HV_VP_COUNTER_ROOT_DISPATCH_THREAD_BLOCKED 95
#endif

/* Once we implement the fast extended hypercall ABI they can go away. */
static void * __percpu *root_scheduler_input;
static void * __percpu *root_scheduler_output;

static int mshv_root_sched_online;

static const union hv_input_vtl input_vtl_zero;

/*
 * Explicit guest vCPU suspend is asynchronous by nature (as it is requested by
 * dom0 vCPU for guest vCPU) and thus it can race with "intercept" suspend,
 * done by the hypervisor.
 * "Intercept" suspend leads to asynchronous message delivery to dom0 which
 * should be awaited to keep the VP loop consistent (i.e. no message pending
 * upon VP resume).
 * VP intercept suspend can't be done when the VP is explicitly suspended
 * already, and thus can be only two possible race scenarios:
 *   1. implicit suspend bit set -> explicit suspend bit set -> message sent
 *   2. implicit suspend bit set -> message sent -> explicit suspend bit set
 * Checking for implicit suspend bit set after explicit suspend request has
 * succeeded in either case allows us to reliably identify, if there is a
 * message to receive and deliver to VMM.
 */
int
mshv_hvcall_suspend_vp(const struct mshv_vp *vp, bool *message_in_flight)
{
	struct hv_register_assoc explicit_suspend = {
		.name = HV_REGISTER_EXPLICIT_SUSPEND
	};
	struct hv_register_assoc intercept_suspend = {
		.name = HV_REGISTER_INTERCEPT_SUSPEND
	};
	union hv_explicit_suspend_register *es =
		&explicit_suspend.value.explicit_suspend;
	union hv_intercept_suspend_register *is =
		&intercept_suspend.value.intercept_suspend;
	int ret;

	KUNIT_STATIC_STUB_REDIRECT(mshv_hvcall_suspend_vp, vp, message_in_flight);

	es->suspended = 1;

	ret = hv_call_set_vp_registers(vp->vp_index, vp->vp_partition->pt_id,
				       1, input_vtl_zero, &explicit_suspend);
	if (ret) {
		vp_err(vp, "Failed to explicitly suspend vCPU\n");
		return ret;
	}

	ret = hv_call_get_vp_registers(vp->vp_index, vp->vp_partition->pt_id,
				       1, input_vtl_zero, &intercept_suspend);
	if (ret) {
		vp_err(vp, "Failed to get intercept suspend state\n");
		return ret;
	}

	*message_in_flight = is->suspended;

	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mshv_hvcall_suspend_vp);

/*
 * Used when VPs are scheduled by the hypervisor's scheduler.
 *
 * Clears HV_REGISTER_INTERCEPT_SUSPEND and HV_REGISTER_EXPLICIT_SUSPEND
 * exactly in this order (the hypervisor clears them sequentially) to avoid
 * potential invalid clearing a newly arrived HV_REGISTER_INTERCEPT_SUSPEND
 * after VP is released from HV_REGISTER_EXPLICIT_SUSPEND in case of the
 * opposite order.
 */
int mshv_hvcall_resume_vp(struct mshv_vp *vp)
{
	struct hv_register_assoc suspend_regs[2] = {
			{ .name = HV_REGISTER_INTERCEPT_SUSPEND },
			{ .name = HV_REGISTER_EXPLICIT_SUSPEND }
	};
	size_t count = ARRAY_SIZE(suspend_regs);

	KUNIT_STATIC_STUB_REDIRECT(mshv_hvcall_resume_vp, vp);

	return hv_call_set_vp_registers(vp->vp_index, vp->vp_partition->pt_id,
					count, input_vtl_zero, suspend_regs);
}
EXPORT_SYMBOL_IF_KUNIT(mshv_hvcall_resume_vp);

int
mshv_hvcall_dispatch_vp(struct mshv_vp *vp, u32 flags,
			struct hv_output_dispatch_vp *res)
{
	struct hv_input_dispatch_vp *input;
	struct hv_output_dispatch_vp *output;
	u64 status;

	KUNIT_STATIC_STUB_REDIRECT(mshv_hvcall_dispatch_vp, vp, flags, res);

	preempt_disable();
	input = *this_cpu_ptr(root_scheduler_input);
	output = *this_cpu_ptr(root_scheduler_output);

	memset(input, 0, sizeof(*input));
	memset(output, 0, sizeof(*output));

	input->partition_id = vp->vp_partition->pt_id;
	input->vp_index = vp->vp_index;
	input->time_slice = 0; /* Run forever until something happens */
	input->spec_ctrl = 0; /* TODO: set sensible flags */
	input->flags = flags;

	vp->run.flags.root_sched_dispatched = 1;
	status = hv_do_hypercall(HVCALL_DISPATCH_VP, input, output);
	vp->run.flags.root_sched_dispatched = 0;

	trace_mshv_hvcall_dispatch_vp(vp->vp_partition->pt_id,
				      vp->vp_index, flags,
				      output->dispatch_state,
				      output->dispatch_event,
#if defined(CONFIG_X86_64)
				      vp->vp_register_page->interrupt_vectors.as_uint64,
#else
				      0,
#endif
				      status);

	*res = *output;
	preempt_enable();

	if (!hv_result_success(status))
		vp_err(vp, "%s: status %s\n", __func__,
		       hv_result_to_string(status));

	return hv_result_to_errno(status);
}
EXPORT_SYMBOL_IF_KUNIT(mshv_hvcall_dispatch_vp);

int
mshv_hvcall_clear_explicit_suspend(struct mshv_vp *vp)
{
	struct hv_register_assoc explicit_suspend = {
		.name = HV_REGISTER_EXPLICIT_SUSPEND,
		.value.explicit_suspend.suspended = 0,
	};
	int ret;

	KUNIT_STATIC_STUB_REDIRECT(mshv_hvcall_clear_explicit_suspend, vp);

	ret = hv_call_set_vp_registers(vp->vp_index, vp->vp_partition->pt_id,
				       1, input_vtl_zero, &explicit_suspend);

	trace_mshv_vp_clear_explicit_suspend(vp->vp_partition->pt_id,
					     vp->vp_index, ret);

	if (ret)
		vp_err(vp, "Failed to unsuspend\n");

	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(mshv_hvcall_clear_explicit_suspend);

/*
 * Any task may call this, while another one dispatches the VP: the
 * hypervisor makes a dispatch in progress return, and every later one
 * return at once, until the loop clears the register again.
 */
int mshv_hvcall_set_explicit_suspend(struct mshv_vp *vp)
{
	struct hv_register_assoc explicit_suspend = {
		.name = HV_REGISTER_EXPLICIT_SUSPEND,
		.value.explicit_suspend.suspended = 1,
	};
	int ret;

	KUNIT_STATIC_STUB_REDIRECT(mshv_hvcall_set_explicit_suspend, vp);

	ret = hv_call_set_vp_registers(vp->vp_index, vp->vp_partition->pt_id,
				       1, input_vtl_zero, &explicit_suspend);
	if (ret)
		vp_err(vp, "Failed to suspend: %d\n", ret);

	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(mshv_hvcall_set_explicit_suspend);

#if IS_ENABLED(CONFIG_X86_64)
u64 mshv_hvcall_interrupt_pending(struct mshv_vp *vp)
{
	KUNIT_STATIC_STUB_REDIRECT(mshv_hvcall_interrupt_pending, vp);

	if (!vp->vp_register_page)
		return 0;
	return vp->vp_register_page->interrupt_vectors.as_uint64;
}
EXPORT_SYMBOL_IF_KUNIT(mshv_hvcall_interrupt_pending);
#else
u64 mshv_hvcall_interrupt_pending(struct mshv_vp *vp)
{
	KUNIT_STATIC_STUB_REDIRECT(mshv_hvcall_interrupt_pending, vp);

	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mshv_hvcall_interrupt_pending);
#endif

bool mshv_hvcall_dispatch_thread_blocked(struct mshv_vp *vp)
{
	struct hv_stats_page **stats = vp->vp_stats_pages;
	u64 *self_vp_cntrs, *parent_vp_cntrs;

	KUNIT_STATIC_STUB_REDIRECT(mshv_hvcall_dispatch_thread_blocked, vp);

	self_vp_cntrs = stats[HV_STATS_AREA_SELF]->data;
	parent_vp_cntrs = stats[HV_STATS_AREA_PARENT]->data;
	return parent_vp_cntrs[HV_VP_COUNTER_ROOT_DISPATCH_THREAD_BLOCKED] ||
	       self_vp_cntrs[HV_VP_COUNTER_ROOT_DISPATCH_THREAD_BLOCKED];
}
EXPORT_SYMBOL_IF_KUNIT(mshv_hvcall_dispatch_thread_blocked);

static int mshv_root_scheduler_init(unsigned int cpu)
{
	void **inputarg, **outputarg, *p;

	inputarg = (void **)this_cpu_ptr(root_scheduler_input);
	outputarg = (void **)this_cpu_ptr(root_scheduler_output);

	/* Allocate two consecutive pages. One for input, one for output. */
	p = kmalloc_array(2, HV_HYP_PAGE_SIZE, GFP_KERNEL);
	if (!p)
		return -ENOMEM;

	*inputarg = p;
	*outputarg = (char *)p + HV_HYP_PAGE_SIZE;

	return 0;
}

static int mshv_root_scheduler_cleanup(unsigned int cpu)
{
	void *p, **inputarg, **outputarg;

	inputarg = (void **)this_cpu_ptr(root_scheduler_input);
	outputarg = (void **)this_cpu_ptr(root_scheduler_output);

	p = *inputarg;

	*inputarg = NULL;
	*outputarg = NULL;

	kfree(p);

	return 0;
}

/* Must be called after retrieving the scheduler type */
int mshv_sched_hvcall_init(struct device *dev)
{
	int ret;

	if (hv_scheduler_type != HV_SCHEDULER_TYPE_ROOT)
		return 0;

	root_scheduler_input = alloc_percpu(void *);
	root_scheduler_output = alloc_percpu(void *);

	if (!root_scheduler_input || !root_scheduler_output) {
		dev_err(dev, "Failed to allocate root scheduler buffers\n");
		ret = -ENOMEM;
		goto out;
	}

	ret = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "mshv_root_sched",
				mshv_root_scheduler_init,
				mshv_root_scheduler_cleanup);

	if (ret < 0) {
		dev_err(dev, "Failed to setup root scheduler state: %i\n", ret);
		goto out;
	}

	mshv_root_sched_online = ret;

	return 0;

out:
	free_percpu(root_scheduler_input);
	free_percpu(root_scheduler_output);
	return ret;
}

void mshv_sched_hvcall_exit(void)
{
	if (hv_scheduler_type != HV_SCHEDULER_TYPE_ROOT)
		return;

	cpuhp_remove_state(mshv_root_sched_online);
	free_percpu(root_scheduler_input);
	free_percpu(root_scheduler_output);
}
