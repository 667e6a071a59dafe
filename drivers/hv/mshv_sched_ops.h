/* SPDX-License-Identifier: GPL-2.0-only */
#if !defined(MSHV_SCHED_OP)
#error Missing the MSHV_SCHED_OP() #define
#else
/*
 * The operations of struct mshv_sched_ops (mshv_vp_sched.h), the hypervisor
 * interface of the VP scheduler core, in the order of the structure, each
 * with the hypercall function of mshv_sched_hvcall.c that implements it.
 * mshv_vp_sched.c expands MSHV_SCHED_OP(op, hvcall) into the scheduler
 * core's call of each operation (a static call that defaults to @hvcall,
 * or @hvcall itself), into mshv_sched_ops_register()'s updates, and into a
 * check that this list and the structure agree.  Every operation is
 * mandatory.
 */
MSHV_SCHED_OP(dispatch_vp, mshv_vp_dispatch)
MSHV_SCHED_OP(clear_explicit_suspend, mshv_vp_clear_explicit_suspend)
MSHV_SCHED_OP(set_explicit_suspend, mshv_vp_set_explicit_suspend)
MSHV_SCHED_OP(resume_vp, mshv_vp_resume)
MSHV_SCHED_OP(suspend_vp, mshv_suspend_vp)
MSHV_SCHED_OP(interrupt_pending, mshv_vp_interrupt_pending)
MSHV_SCHED_OP(dispatch_thread_blocked, mshv_vp_dispatch_thread_blocked)
#endif

#undef MSHV_SCHED_OP
