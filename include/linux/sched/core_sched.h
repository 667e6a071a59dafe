/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_SCHED_CORE_SCHED_H
#define _LINUX_SCHED_CORE_SCHED_H

/*
 * Core scheduling cookies for kernel code that creates tasks on behalf of
 * a group to keep apart from other tasks on SMT siblings, as
 * prctl(PR_SCHED_CORE) does for userspace.  See
 * Documentation/admin-guide/hw-vuln/core-scheduling.rst.
 */

#include <linux/types.h>

struct task_struct;

#ifdef CONFIG_SCHED_CORE
unsigned long sched_core_cookie_create(void);
void sched_core_cookie_put(unsigned long cookie);
void sched_core_set_task_cookie(struct task_struct *p, unsigned long cookie);
bool sched_core_task_has_cookie(struct task_struct *p);
#else
static inline unsigned long sched_core_cookie_create(void)
{
	return 0;
}

static inline void sched_core_cookie_put(unsigned long cookie)
{
}

static inline void sched_core_set_task_cookie(struct task_struct *p,
					      unsigned long cookie)
{
}

static inline bool sched_core_task_has_cookie(struct task_struct *p)
{
	return false;
}
#endif

#endif /* _LINUX_SCHED_CORE_SCHED_H */
