// SPDX-License-Identifier: GPL-2.0
/*
 * mshv_sim: SMT isolation.  The hypervisor's core scheduler never runs VPs
 * of two partitions on the SMT siblings of one core at once; under the
 * integrated scheduler Linux places the VPs, and each partition's VP
 * workers share a core scheduling cookie of their own so that Linux keeps
 * the same rule.
 *
 * - smt.co_execution: two VMMs (child processes), two busy VPs each, on two
 *   cores of two SMT siblings, each core given one VP of each partition
 *   (the worst placement).  The simulator's ground truth (the time SMT
 *   siblings ran VPs of different partitions at the same time):
 *   - workers (isolated by default), inline VMMs that follow the recipe
 *     (prctl(PR_SCHED_CORE_CREATE) per VMM), and the emulated core
 *     scheduler: none, but for core scheduling's window while a sibling
 *     switches tasks (at most 2% of the guest time; exactly 0 for the
 *     emulation, which holds a per-core lock);
 *   - workers of partitions that opted out (MSHV_PT_BIT_VP_SMT_SHARED),
 *     and inline VMMs without a cookie, the "before" picture: most of the
 *     window.
 * - cookies: the workers of a partition share one cookie, another
 *   partition's differ, a worker created late gets its partition's, a
 *   partition that opted out gives none, a cookie the VMM set on itself
 *   wins, and destroying a partition leaves the others' alone.
 * - smt_off: with SMT turned off at run time MSHV_CAP_VP_SMT_ISOLATION
 *   says MSHV_SMT_ISOLATION_NO_SMT, and a worker created then still gets
 *   its partition's cookie, which holds when SMT is turned on again.
 * - bad_input: MSHV_SIM_GET_SMT_STATS and MSHV_CAP_VP_SMT_ISOLATION.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <linux/mshv.h>

#include "../../../kselftest_harness.h"
#include "mshv_sim_lib.h"

#define MS		1000000ULL
#define WINDOW_MS	1500
#define WORKERS		MSHV_SIM_PARTITION_VP_WORKERS
#define SHARED		MSHV_SIM_PARTITION_VP_SMT_SHARED

static const struct mshv_sim_step busy[] = { SIM_COMPUTE(100000) };

/* MSHV_CHECK_EXTENSION(MSHV_CAP_VP_SMT_ISOLATION) on @fd, or -errno */
static int smt_isolation(int fd)
{
	__u32 cap = MSHV_CAP_VP_SMT_ISOLATION;
	int ret = ioctl(fd, MSHV_CHECK_EXTENSION, &cap);

	return ret < 0 ? -errno : ret;
}

FIXTURE(smt) {
	int fd;
	struct sim_smt_core cores[2];
};

FIXTURE_VARIANT(smt) {
	__u32 pt_flags;
	bool vmm_cookie;	/* the VMM isolates itself (the inline recipe) */
	bool isolated;		/* expected: no cross-partition co-execution */
};

FIXTURE_VARIANT_ADD(smt, workers) {
	.pt_flags = MSHV_SIM_PARTITION_VP_WORKERS,
	.isolated = true,
};

FIXTURE_VARIANT_ADD(smt, workers_shared) {
	.pt_flags = MSHV_SIM_PARTITION_VP_WORKERS |
		    MSHV_SIM_PARTITION_VP_SMT_SHARED,
};

FIXTURE_VARIANT_ADD(smt, inline_prctl) {
	.pt_flags = MSHV_SIM_PARTITION_VP_INLINE,
	.vmm_cookie = true,
	.isolated = true,
};

FIXTURE_VARIANT_ADD(smt, inline) {
	.pt_flags = MSHV_SIM_PARTITION_VP_INLINE,
};

FIXTURE_VARIANT_ADD(smt, core) {
	.pt_flags = MSHV_SIM_PARTITION_CORE_SCHED,
	.isolated = true,
};

FIXTURE_SETUP(smt)
{
	bool core = variant->pt_flags & MSHV_SIM_PARTITION_CORE_SCHED;
	const char *skip;
	int iso;

	self->fd = sim_open_for_test(!core, &skip);
	if (skip)
		SKIP(return, "%s", skip);
	ASSERT_LE(0, self->fd);
	if (sim_smt_cores(self->cores, 2) < 2) {
		close(self->fd);
		self->fd = -1;
		SKIP(return, "needs two cores of two SMT siblings");
	}
	iso = smt_isolation(self->fd);
	TH_LOG("MSHV_CAP_VP_SMT_ISOLATION: %d; cores %d+%d and %d+%d", iso,
	       self->cores[0].cpu[0], self->cores[0].cpu[1],
	       self->cores[1].cpu[0], self->cores[1].cpu[1]);
	if (!core && variant->isolated && !variant->vmm_cookie &&
	    iso != MSHV_SMT_ISOLATION_CORE_SCHED) {
		close(self->fd);
		self->fd = -1;
		SKIP(return, "workers are not isolated here (%d)", iso);
	}
}

FIXTURE_TEARDOWN(smt)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(smt, co_execution)
{
	bool core = variant->pt_flags & MSHV_SIM_PARTITION_CORE_SCHED;
	struct sim_smt_result r;
	__u64 run = 0;
	int p, i;

	ASSERT_EQ(0, sim_scn_smt(self->fd, variant->pt_flags,
				 variant->vmm_cookie, self->cores, WINDOW_MS,
				 &r));
	for (p = 0; p < 2; p++) {
		for (i = 0; i < 2; i++) {
			TH_LOG("partition %d VP %d: %.0f ms of guest time", p,
			       i, r.run_ns[p][i] / 1e6);
			run += r.run_ns[p][i];
			/* Each VP ran: isolation idles siblings, never a VP */
			EXPECT_LT(WINDOW_MS * MS / 20, r.run_ns[p][i]);
		}
	}
	TH_LOG("%s, in %.0f ms of guest time:",
	       variant->isolated ? "isolated" : "not isolated (before)",
	       run / 1e6);
	TH_LOG("siblings ran two partitions at once %.3f ms, one partition %.3f ms",
	       r.cross_ns / 1e6, r.same_ns / 1e6);

	if (core) {
		/* The hypervisor's core scheduler: never, exactly */
		EXPECT_EQ(0, r.cross_ns);
	} else if (variant->isolated) {
		/* Core scheduling's switch window (an IPI) at most */
		EXPECT_GE(run / 50, r.cross_ns);
	} else {
		/* Both siblings of each core run all along */
		EXPECT_LT(WINDOW_MS * MS / 2, r.cross_ns);
	}
}

/* A worker's cookie as PR_SCHED_CORE_GET shows it */
static long long worker_cookie(struct __test_metadata *_metadata, int vp_fd)
{
	struct mshv_vp_task_info t;
	long long c;

	EXPECT_EQ(0, sim_vp_task(vp_fd, &t));
	EXPECT_EQ(MSHV_VP_TASK_WORKER, t.mode);
	EXPECT_LT(0, t.tid);
	c = sim_core_cookie(t.tid);
	EXPECT_LE(0, c);
	return c;
}

TEST(cookies)
{
	__u64 pt[4], pt0, vp0;
	int fd, vp[6], i;
	struct sim_vcpu v;
	long long c[6], own;
	const char *skip;

	fd = sim_open_for_test(true, &skip);
	if (skip)
		SKIP(return, "%s", skip);
	ASSERT_LE(0, fd);
	if (smt_isolation(fd) != MSHV_SMT_ISOLATION_CORE_SCHED) {
		close(fd);
		SKIP(return, "workers are not isolated here");
	}
	ASSERT_EQ(0, sim_live(fd, &pt0, &vp0));
	ASSERT_EQ(0, sim_core_cookie(0));

	/* P (VPs 0, 1) and Q (VP 0): one cookie each, none for the VMM */
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, sim_create_partition_flags(fd, WORKERS, &pt[i]));
	vp[0] = sim_create_vp(fd, pt[0], 0, busy, 1, 0);
	vp[1] = sim_create_vp(fd, pt[0], 1, busy, 1, 0);
	vp[2] = sim_create_vp(fd, pt[1], 0, busy, 1, 0);
	for (i = 0; i < 3; i++) {
		ASSERT_LE(0, vp[i]);
		c[i] = worker_cookie(_metadata, vp[i]);
	}
	EXPECT_NE(0, c[0]);
	EXPECT_EQ(c[0], c[1]);
	EXPECT_NE(0, c[2]);
	EXPECT_NE(c[0], c[2]);
	EXPECT_EQ(0, sim_core_cookie(0));

	/* P's VP 0 runs a while; then P's VP 2 gets a worker: P's cookie */
	memset(&v, 0, sizeof(v));
	v.vp_fd = vp[0];
	v.cpu = -1;
	ASSERT_EQ(0, sim_vcpu_start(&v));
	sim_sleep_ms(100);
	vp[3] = sim_create_vp(fd, pt[0], 2, busy, 1, 0);
	ASSERT_LE(0, vp[3]);
	c[3] = worker_cookie(_metadata, vp[3]);
	EXPECT_EQ(c[0], c[3]);
	sim_vcpu_stop(&v);
	EXPECT_EQ(0, sim_vcpu_join(&v));

	/* P goes; Q keeps its cookie, and a new partition gets a new one */
	close(vp[0]);
	close(vp[1]);
	close(vp[3]);
	EXPECT_EQ(0, sim_destroy_partition(fd, pt[0]));
	EXPECT_EQ(0, sim_wait_live(fd, pt0 + 1, vp0 + 1, 5000));
	EXPECT_EQ(c[2], worker_cookie(_metadata, vp[2]));
	ASSERT_EQ(0, sim_create_partition_flags(fd, WORKERS, &pt[2]));
	vp[4] = sim_create_vp(fd, pt[2], 0, busy, 1, 0);
	ASSERT_LE(0, vp[4]);
	c[4] = worker_cookie(_metadata, vp[4]);
	EXPECT_NE(0, c[4]);
	EXPECT_NE(c[2], c[4]);

	/* Opted out: no cookie */
	ASSERT_EQ(0, sim_create_partition_flags(fd, WORKERS | SHARED,
						&pt[3]));
	vp[5] = sim_create_vp(fd, pt[3], 0, busy, 1, 0);
	ASSERT_LE(0, vp[5]);
	EXPECT_EQ(0, worker_cookie(_metadata, vp[5]));
	close(vp[5]);
	EXPECT_EQ(0, sim_destroy_partition(fd, pt[3]));

	/* The VMM's own cookie wins over the partition's */
	ASSERT_EQ(0, prctl(PR_SCHED_CORE, PR_SCHED_CORE_CREATE, 0,
			   PR_SCHED_CORE_SCOPE_THREAD, 0));
	own = sim_core_cookie(0);
	EXPECT_LT(0, own);
	ASSERT_EQ(0, sim_create_partition_flags(fd, WORKERS, &pt[3]));
	vp[5] = sim_create_vp(fd, pt[3], 0, busy, 1, 0);
	ASSERT_LE(0, vp[5]);
	EXPECT_EQ(own, worker_cookie(_metadata, vp[5]));

	close(vp[2]);
	close(vp[4]);
	close(vp[5]);
	EXPECT_EQ(0, sim_destroy_partition(fd, pt[1]));
	EXPECT_EQ(0, sim_destroy_partition(fd, pt[2]));
	EXPECT_EQ(0, sim_destroy_partition(fd, pt[3]));
	EXPECT_EQ(0, sim_wait_live(fd, pt0, vp0, 5000));
	close(fd);
}

#define SMT_CONTROL "/sys/devices/system/cpu/smt/control"

/* Write @val to SMT_CONTROL: 0 or -errno */
static int smt_control(const char *val)
{
	FILE *f = fopen(SMT_CONTROL, "w");
	int ret = 0;

	if (!f)
		return -errno;
	if (fputs(val, f) < 0)
		ret = -errno;
	if (fclose(f) && !ret)
		ret = -errno;
	return ret;
}

/*
 * SMT turned off at run time: the capability says so, and a worker created
 * then still gets its partition's cookie, which holds when SMT is back
 * (PR_SCHED_CORE_GET answers ENODEV while SMT is off, so the cookies are
 * read once it is on again).
 */
TEST(smt_off)
{
	long long c_off = 0, c_on = 0;
	__u64 pt, pt0, vp0;
	int fd, vp[2], iso, ret;
	const char *skip;
	char buf[32] = "";
	FILE *f;

	fd = sim_open_for_test(true, &skip);
	if (skip)
		SKIP(return, "%s", skip);
	ASSERT_LE(0, fd);
	f = fopen(SMT_CONTROL, "r");
	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = 0;
		fclose(f);
	}
	if (strcmp(buf, "on\n") ||
	    smt_isolation(fd) != MSHV_SMT_ISOLATION_CORE_SCHED) {
		close(fd);
		SKIP(return, "SMT is not on, or workers are not isolated here");
	}
	ASSERT_EQ(0, sim_live(fd, &pt0, &vp0));

	ASSERT_EQ(0, smt_control("off"));
	iso = smt_isolation(fd);
	EXPECT_EQ(MSHV_SMT_ISOLATION_NO_SMT, iso);
	ret = sim_create_partition_flags(fd, WORKERS, &pt);
	EXPECT_EQ(0, ret);
	vp[0] = ret ? -1 : sim_create_vp(fd, pt, 0, busy, 1, 0);
	EXPECT_LE(0, vp[0]);

	ASSERT_EQ(0, smt_control("on"));
	EXPECT_EQ(MSHV_SMT_ISOLATION_CORE_SCHED, smt_isolation(fd));
	vp[1] = ret ? -1 : sim_create_vp(fd, pt, 1, busy, 1, 0);
	EXPECT_LE(0, vp[1]);
	if (vp[0] >= 0 && vp[1] >= 0) {
		c_off = worker_cookie(_metadata, vp[0]);
		c_on = worker_cookie(_metadata, vp[1]);
	}
	EXPECT_LT(0, c_off);
	EXPECT_EQ(c_off, c_on);
	TH_LOG("SMT off: capability %d; worker created then: %s cookie",
	       iso, c_off > 0 ? (c_off == c_on ? "its partition's" :
					      "another") : "no");

	if (vp[0] >= 0)
		close(vp[0]);
	if (vp[1] >= 0)
		close(vp[1]);
	if (!ret)
		EXPECT_EQ(0, sim_destroy_partition(fd, pt));
	EXPECT_EQ(0, sim_wait_live(fd, pt0, vp0, 5000));
	close(fd);
}

TEST(bad_input)
{
	struct mshv_sim_smt_stats st;
	__u64 a[SIM_MAX_CPUS], b[SIM_MAX_CPUS];
	struct mshv_sim_info info;
	const char *skip;
	int fd, iso;

	fd = sim_open_for_test(true, &skip);
	if (skip)
		SKIP(return, "%s", skip);
	ASSERT_LE(0, fd);

	iso = smt_isolation(fd);
	EXPECT_TRUE(iso == MSHV_SMT_ISOLATION_NONE ||
		    iso == MSHV_SMT_ISOLATION_CORE_SCHED ||
		    iso == MSHV_SMT_ISOLATION_NO_SMT);

#define SMT_STATS(field, value, err) do {				\
		memset(&st, 0, sizeof(st));				\
		st.size = sizeof(st);					\
		st.field = value;					\
		EXPECT_EQ(-1, ioctl(fd, MSHV_SIM_GET_SMT_STATS, &st));	\
		EXPECT_EQ(err, errno);					\
	} while (0)
	SMT_STATS(size, sizeof(st) - 8, EINVAL);
	SMT_STATS(size, sizeof(st) + 8, EINVAL);
	SMT_STATS(flags, 1, EINVAL);
	SMT_STATS(pad, 1, EINVAL);
	SMT_STATS(reserved[3], 1, EINVAL);
	SMT_STATS(nr_cpus, 1, EINVAL);
#undef SMT_STATS
	/* A count with one array */
	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	st.nr_cpus = 1;
	st.cross_ns = (__u64)(uintptr_t)a;
	EXPECT_EQ(-1, ioctl(fd, MSHV_SIM_GET_SMT_STATS, &st));
	EXPECT_EQ(EINVAL, errno);
	/* Arrays that cannot be written */
	st.same_ns = 8;
	EXPECT_EQ(-1, ioctl(fd, MSHV_SIM_GET_SMT_STATS, &st));
	EXPECT_EQ(EFAULT, errno);
	/* No arrays: the number of CPUs */
	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	EXPECT_EQ(0, ioctl(fd, MSHV_SIM_GET_SMT_STATS, &st));
	ASSERT_EQ(0, sim_info(fd, &info));
	EXPECT_EQ(info.nr_cpus, st.nr_cpus);
	/* Fewer entries than CPUs: only those are written */
	memset(a, 0xff, sizeof(a));
	memset(b, 0xff, sizeof(b));
	st.nr_cpus = 1;
	st.cross_ns = (__u64)(uintptr_t)a;
	st.same_ns = (__u64)(uintptr_t)b;
	EXPECT_EQ(0, ioctl(fd, MSHV_SIM_GET_SMT_STATS, &st));
	EXPECT_NE(~0ULL, a[0]);
	EXPECT_EQ(~0ULL, a[1]);
	EXPECT_EQ(~0ULL, b[1]);
	close(fd);
}

TEST_HARNESS_MAIN
