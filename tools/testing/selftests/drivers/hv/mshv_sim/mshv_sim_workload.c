// SPDX-License-Identifier: GPL-2.0
/*
 * mshv_sim: every workload kind run through MSHV_RUN_VP by VMM-like vCPU
 * threads, checked against the simulator's ground truth.  The bounds hold
 * on a slow, noisy machine (QEMU TCG on 2 cores): exact where the
 * simulator accounts exactly, lower bounds on wall time, never tight upper
 * bounds on timing.  Each test runs in the driver's default mode and on
 * per-VP worker tasks (MSHV_SIM_PARTITION_VP_WORKERS): MSHV_RUN_VP keeps
 * one contract in both.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/mshv.h>

#include "../../../kselftest_harness.h"
#include "mshv_sim_lib.h"

#define MS	1000000ULL
#define US	1000ULL

FIXTURE(wl) {
	int fd;
	__u64 pt;
	__u64 pt0, vp0;
};

FIXTURE_VARIANT(wl) {
	__u32 pt_flags;		/* MSHV_SIM_PARTITION_*: who dispatches */
};

/* The mode the module parameter vp_workers selects (inline unless set) */
FIXTURE_VARIANT_ADD(wl, default_mode) { .pt_flags = 0 };
FIXTURE_VARIANT_ADD(wl, worker) {
	.pt_flags = MSHV_SIM_PARTITION_VP_WORKERS,
};

FIXTURE_SETUP(wl)
{
	const char *skip;

	self->fd = sim_open_for_test(variant->pt_flags, &skip);
	if (skip)
		SKIP(return, "%s", skip);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, sim_live(self->fd, &self->pt0, &self->vp0));
	ASSERT_EQ(0, sim_create_partition_flags(self->fd, variant->pt_flags,
						&self->pt));
}

FIXTURE_TEARDOWN(wl)
{
	int fd;

	if (self->fd < 0)
		return;
	EXPECT_EQ(0, sim_destroy_partition(self->fd, self->pt));
	close(self->fd);
	fd = sim_open();
	EXPECT_EQ(0, sim_wait_live(fd, self->pt0, self->vp0, 5000));
	close(fd);
}

static __u64 sum(const __u64 *a, int n)
{
	__u64 s = 0;

	while (n--)
		s += a[n];
	return s;
}

/* Run VP @idx with @steps in a vCPU thread until DONE; return its stats */
static int run_one(int fd, __u64 pt, __u32 idx,
		   const struct mshv_sim_step *steps, __u32 n, __u64 loops,
		   int cpu, struct sim_vcpu *v, struct mshv_sim_vp_stats *st,
		   __u64 *cpu_ns)
{
	v->cpu = cpu;
	v->vp_fd = sim_create_vp(fd, pt, idx, steps, n, loops);
	if (v->vp_fd < 0)
		return v->vp_fd;
	if (sim_vcpu_start(v) || sim_vcpu_join(v))
		return -EIO;
	close(v->vp_fd);
	return sim_vp_stats(fd, pt, idx, st, cpu_ns);
}

TEST_F(wl, compute)
{
	static const struct mshv_sim_step s[] = { SIM_COMPUTE(30000) };
	__u64 cpu_ns[SIM_MAX_CPUS];
	struct mshv_sim_vp_stats st;
	struct sim_vcpu v;

	ASSERT_EQ(0, run_one(self->fd, self->pt, 0, s, 1, 1, -1, &v, &st, cpu_ns));
	EXPECT_EQ(0, v.rc);
	EXPECT_EQ(0, v.bad_seq);
	/* Guest time is accounted exactly; the VMM waited at least that */
	EXPECT_EQ(30 * MS, st.run_ns);
	EXPECT_EQ(st.run_ns, sum(cpu_ns, st.nr_cpus));
	EXPECT_LE(30 * MS, v.wall_ns);
	/*
	 * A dispatch ends at each root interrupt on its CPU, and none may
	 * come (nohz_full): at least one dispatch, which can run on to DONE
	 */
	EXPECT_LE(1, st.dispatches);
	EXPECT_EQ(0, st.halts);
	EXPECT_EQ(1, st.intercepts);
	EXPECT_EQ(1, st.loops_done);
}

/* A pinned vCPU thread: all of its guest time on that CPU */
TEST_F(wl, compute_pinned)
{
	static const struct mshv_sim_step s[] = { SIM_COMPUTE(10000) };
	__u64 cpu_ns[SIM_MAX_CPUS];
	struct mshv_sim_vp_stats st;
	struct sim_vcpu v;
	int cpu = sysconf(_SC_NPROCESSORS_ONLN) - 1;

	ASSERT_EQ(0, run_one(self->fd, self->pt, 1, s, 1, 2, cpu, &v, &st,
			     cpu_ns));
	EXPECT_EQ(0, v.rc);
	EXPECT_EQ(20 * MS, st.run_ns);
	EXPECT_EQ(st.run_ns, cpu_ns[cpu]);
	EXPECT_EQ(2, st.loops_done);
}

TEST_F(wl, halt)
{
	static const struct mshv_sim_step s[] = { SIM_HALT(10000) };
	struct mshv_sim_vp_stats st;
	struct sim_vcpu v;

	ASSERT_EQ(0, run_one(self->fd, self->pt, 2, s, 1, 5, -1, &v, &st, NULL));
	EXPECT_EQ(0, v.rc);
	EXPECT_EQ(5, st.halts);
	EXPECT_EQ(0, st.run_ns);
	EXPECT_EQ(1, st.intercepts);
	/* Each halt lasted at least its time: kicked by the timer only */
	EXPECT_LE(50 * MS, v.wall_ns);
	/* A halt dispatch and a wake dispatch per halt, plus DONE */
	EXPECT_LE(6, st.dispatches);
}

TEST_F(wl, intercept)
{
	static const struct mshv_sim_step s[] = {
		SIM_INTERCEPT(1), SIM_INTERCEPT(10), SIM_INTERCEPT(100) };
	struct mshv_sim_vp_stats st;
	struct sim_vcpu v;

	ASSERT_EQ(0, run_one(self->fd, self->pt, 3, s, 3, 4, -1, &v, &st, NULL));
	EXPECT_EQ(0, v.rc);
	EXPECT_EQ(12, v.intercepts);
	EXPECT_EQ(4 * 111, v.arg_sum);
	EXPECT_EQ(0, v.bad_seq);
	EXPECT_EQ(13, st.intercepts);
	EXPECT_EQ(4, st.loops_done);
}

/*
 * The VMM must handle an intercept before the VP runs on: a worker does
 * not run ahead while the VMM is away.  DONE comes last and stays.
 */
TEST_F(wl, intercept_order)
{
	static const struct mshv_sim_step s[] = {
		SIM_INTERCEPT(5), SIM_COMPUTE(2000), SIM_INTERCEPT(6) };
	struct mshv_sim_vp_stats st;
	struct mshv_sim_exit e;
	int fd;

	fd = sim_create_vp(self->fd, self->pt, 4, s, 3, 1);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, sim_run_vp(fd, &e));
	EXPECT_EQ(MSHV_SIM_EXIT_INTERCEPT, e.kind);
	EXPECT_EQ(5, e.arg);
	EXPECT_EQ(1, e.seq);
	/* Stopped at the intercept: the compute step has not run */
	sim_sleep_ms(20);
	ASSERT_EQ(0, sim_vp_stats(self->fd, self->pt, 4, &st, NULL));
	EXPECT_EQ(0, st.run_ns);
	ASSERT_EQ(0, sim_run_vp(fd, &e));
	EXPECT_EQ(6, e.arg);
	EXPECT_EQ(2, e.seq);
	ASSERT_EQ(0, sim_vp_stats(self->fd, self->pt, 4, &st, NULL));
	EXPECT_EQ(2 * MS, st.run_ns);
	ASSERT_EQ(0, sim_run_vp(fd, &e));
	EXPECT_EQ(MSHV_SIM_EXIT_DONE, e.kind);
	EXPECT_EQ(3, e.seq);
	/* DONE again, for ever */
	ASSERT_EQ(0, sim_run_vp(fd, &e));
	EXPECT_EQ(MSHV_SIM_EXIT_DONE, e.kind);
	close(fd);
}

TEST_F(wl, sequence)
{
	static const struct mshv_sim_step s[] = {
		SIM_COMPUTE(1000), SIM_HALT(1000), SIM_INTERCEPT(7),
		SIM_COMPUTE(500) };
	__u64 cpu_ns[SIM_MAX_CPUS];
	struct mshv_sim_vp_stats st;
	struct sim_vcpu v;

	ASSERT_EQ(0, run_one(self->fd, self->pt, 5, s, 4, 10, -1, &v, &st,
			     cpu_ns));
	EXPECT_EQ(0, v.rc);
	EXPECT_EQ(15 * MS, st.run_ns);
	EXPECT_EQ(st.run_ns, sum(cpu_ns, st.nr_cpus));
	EXPECT_EQ(10, st.halts);
	EXPECT_EQ(10, v.intercepts);
	EXPECT_EQ(70, v.arg_sum);
	EXPECT_EQ(11, st.intercepts);
	EXPECT_EQ(10, st.loops_done);
	EXPECT_LE(25 * MS, v.wall_ns);
}

/* Several VMM threads at once, more VPs than CPUs */
TEST_F(wl, concurrent)
{
	static const struct mshv_sim_step s[] = {
		SIM_COMPUTE(5000), SIM_HALT(2000), SIM_INTERCEPT(1) };
	struct sim_vcpu v[6];
	struct mshv_sim_vp_stats st;
	int i;

	for (i = 0; i < 6; i++) {
		v[i].cpu = -1;
		v[i].vp_fd = sim_create_vp(self->fd, self->pt, 10 + i, s, 3, 3);
		ASSERT_LE(0, v[i].vp_fd);
	}
	for (i = 0; i < 6; i++)
		ASSERT_EQ(0, sim_vcpu_start(&v[i]));
	for (i = 0; i < 6; i++) {
		ASSERT_EQ(0, sim_vcpu_join(&v[i]));
		EXPECT_EQ(0, v[i].rc);
		EXPECT_EQ(3, v[i].intercepts);
		ASSERT_EQ(0, sim_vp_stats(self->fd, self->pt, 10 + i, &st,
					  NULL));
		EXPECT_EQ(15 * MS, st.run_ns);
		EXPECT_EQ(3, st.halts);
		EXPECT_EQ(4, st.intercepts);
		close(v[i].vp_fd);
	}
}

/* A signal ends MSHV_RUN_VP in a long compute; the VP then runs on. */
TEST_F(wl, signal_compute)
{
	static const struct mshv_sim_step s[] = { SIM_COMPUTE(200000) };
	struct mshv_sim_vp_stats st;
	struct mshv_sim_exit e;
	struct sim_vcpu v = { .cpu = -1 };

	v.vp_fd = sim_create_vp(self->fd, self->pt, 6, s, 1, 1);
	ASSERT_LE(0, v.vp_fd);
	ASSERT_EQ(0, sim_vcpu_start(&v));
	usleep(20000);
	sim_vcpu_stop_signal(&v);
	ASSERT_EQ(0, sim_vcpu_join(&v));
	EXPECT_EQ(-EINTR, v.rc);
	ASSERT_EQ(0, sim_vp_stats(self->fd, self->pt, 6, &st, NULL));
	EXPECT_GT(200 * MS, st.run_ns);
	/* Resume in this thread until the end */
	ASSERT_EQ(0, sim_run_vp(v.vp_fd, &e));
	EXPECT_EQ(MSHV_SIM_EXIT_DONE, e.kind);
	ASSERT_EQ(0, sim_vp_stats(self->fd, self->pt, 6, &st, NULL));
	EXPECT_EQ(200 * MS, st.run_ns);
	close(v.vp_fd);
}

/* A signal during a halt: EINTR, then the VP still waits for the timer */
TEST_F(wl, signal_halt)
{
	static const struct mshv_sim_step s[] = { SIM_HALT(300000) };
	struct mshv_sim_vp_stats st;
	struct mshv_sim_exit e;
	struct sim_vcpu v = { .cpu = -1 };
	__u64 t0 = sim_now_ns();

	v.vp_fd = sim_create_vp(self->fd, self->pt, 7, s, 1, 1);
	ASSERT_LE(0, v.vp_fd);
	ASSERT_EQ(0, sim_vcpu_start(&v));
	usleep(20000);
	sim_vcpu_stop_signal(&v);
	ASSERT_EQ(0, sim_vcpu_join(&v));
	EXPECT_EQ(-EINTR, v.rc);
	ASSERT_EQ(0, sim_run_vp(v.vp_fd, &e));
	EXPECT_EQ(MSHV_SIM_EXIT_DONE, e.kind);
	EXPECT_LE(300 * MS, sim_now_ns() - t0);
	ASSERT_EQ(0, sim_vp_stats(self->fd, self->pt, 7, &st, NULL));
	EXPECT_EQ(1, st.halts);
	close(v.vp_fd);
}

TEST_HARNESS_MAIN
