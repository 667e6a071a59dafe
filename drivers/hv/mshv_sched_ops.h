/* SPDX-License-Identifier: GPL-2.0-only */
#if !defined(MSHV_SCHED_OP)
#error Missing the MSHV_SCHED_OP() #define
#else
/*
 * The operations of struct mshv_sched_ops (mshv_vp_sched.h), the hypervisor
 * interface of the VP scheduler core, in the order of the structure.
 * mshv_vp_sched.c expands MSHV_SCHED_OP() into the DEFINE_STATIC_CALL_NULL()
 * of each operation, and into a check that this list and the structure
 * agree.  Every operation is mandatory.
 */
MSHV_SCHED_OP(dispatch_vp);
MSHV_SCHED_OP(clear_explicit_suspend);
MSHV_SCHED_OP(set_explicit_suspend);
MSHV_SCHED_OP(resume_vp);
MSHV_SCHED_OP(suspend_vp);
MSHV_SCHED_OP(interrupt_pending);
MSHV_SCHED_OP(dispatch_thread_blocked);
#endif

#undef MSHV_SCHED_OP
