// SPDX-License-Identifier: GPL-2.0-only
/*
 * The scheduler type in force, as userspace sees it: the scheduler_type
 * attribute of the mshv device, and MSHV_CAP_SCHEDULER_TYPE of
 * MSHV_CHECK_EXTENSION on /dev/mshv.
 */

#include <kunit/visibility.h>
#include <linux/device.h>
#include <linux/sysfs.h>
#include <linux/uaccess.h>
#include <asm/mshyperv.h>

#include "mshv_root.h"
#include "mshv_vp_sched.h"
#include "mshv_vp_task.h"

static const char * const mshv_sched_type_names[] = {
	[MSHV_SCHEDULER_CLASSIC]	= "classic",
	[MSHV_SCHEDULER_CLASSIC_SMT]	= "classic-smt",
	[MSHV_SCHEDULER_CORE]		= "core",
	[MSHV_SCHEDULER_ROOT]		= "root",
	[MSHV_SCHEDULER_INTEGRATED]	= "integrated",
};

/*
 * The scheduler type userspace sees for the hypervisor's @type, on an
 * L1VH (@l1vh) or not.  Apart from mshv_sched_type() so that KUnit can
 * try every combination without touching the running host's globals.
 */
VISIBLE_IF_KUNIT u32 mshv_sched_type_of(enum hv_scheduler_type type, bool l1vh)
{
	switch (type) {
	case HV_SCHEDULER_TYPE_LP:
		return MSHV_SCHEDULER_CLASSIC;
	case HV_SCHEDULER_TYPE_LP_SMT:
		return MSHV_SCHEDULER_CLASSIC_SMT;
	case HV_SCHEDULER_TYPE_CORE_SMT:
		return MSHV_SCHEDULER_CORE;
	case HV_SCHEDULER_TYPE_ROOT:
		/*
		 * An L1VH only takes the root scheduler's path when the
		 * hypervisor runs the integrated scheduler for it.
		 */
		if (l1vh)
			return MSHV_SCHEDULER_INTEGRATED;
		return MSHV_SCHEDULER_ROOT;
	default:
		return 0;
	}
}
EXPORT_SYMBOL_IF_KUNIT(mshv_sched_type_of);

u32 mshv_sched_type(void)
{
	return mshv_sched_type_of(hv_scheduler_type, hv_l1vh_partition());
}

const char *mshv_sched_type_name(u32 type)
{
	if (type >= ARRAY_SIZE(mshv_sched_type_names) ||
	    !mshv_sched_type_names[type])
		return NULL;

	return mshv_sched_type_names[type];
}
EXPORT_SYMBOL_IF_KUNIT(mshv_sched_type_name);

long mshv_ioctl_check_extension(void __user *user_arg)
{
	u32 arg;

	if (copy_from_user(&arg, user_arg, sizeof(arg)))
		return -EFAULT;

	switch (arg) {
	case MSHV_CAP_SCHEDULER_TYPE:
		return mshv_sched_type();
	case MSHV_CAP_CANCEL_RUN_VP:
		return 1;
	case MSHV_CAP_VP_TASKS:
		return IS_ENABLED(CONFIG_MSHV_INTEGRATED_SCHED);
	case MSHV_CAP_VP_SMT_ISOLATION:
		return mshv_vp_task_smt_isolation();
	}

	/* Unknown, or the VTL driver's: not implemented here */
	return -EOPNOTSUPP;
}

static ssize_t scheduler_type_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	const char *name = mshv_sched_type_name(mshv_sched_type());

	if (!name)
		return -ENODATA;

	return sysfs_emit(buf, "%s\n", name);
}
static DEVICE_ATTR_RO(scheduler_type);

static struct attribute *mshv_sched_attrs[] = {
	&dev_attr_scheduler_type.attr,
	NULL
};

static const struct attribute_group mshv_sched_group = {
	.attrs = mshv_sched_attrs,
};

const struct attribute_group *mshv_sched_groups[] = {
	&mshv_sched_group,
	NULL
};
