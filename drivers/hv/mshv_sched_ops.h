/* SPDX-License-Identifier: GPL-2.0-only */
#if !defined(MSHV_SCHED_OP)
#error Missing the MSHV_SCHED_OP() #define
#else
/*
 * The operations of struct mshv_sched_ops (mshv_vp_sched.h), the hypervisor
 * interface of the VP scheduler core, in the order of the structure.  The
 * hypercall function of mshv_sched_hvcall.c that implements operation op
 * is mshv_hvcall_op().  mshv_vp_sched.c expands MSHV_SCHED_OP(op) into the
 * scheduler core's call of each operation (a static call that defaults to
 * mshv_hvcall_op(), or mshv_hvcall_op() itself), into the updates of
 * mshv_sched_ops_register(), and into checks that this list, the structure
 * and the hypercalls agree.  Every operation is mandatory.
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
