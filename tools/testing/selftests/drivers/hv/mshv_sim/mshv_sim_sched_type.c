// SPDX-License-Identifier: GPL-2.0
/*
 * mshv_sim: root scheduler vs the emulated core scheduler, side by side.
 * Under the root scheduler the VMM thread that calls MSHV_RUN_VP runs the
 * guest where Linux puts that thread; under the core scheduler the
 * simulator's threads run it round-robin on every CPU, whatever the VMM
 * thread's affinity.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "../../../kselftest_harness.h"
#include "mshv_sim_lib.h"

#define MS	1000000ULL

static int create_partition(int fd, bool core, __u64 *pt_id)
{
	struct mshv_sim_partition_args args = {
		.size = sizeof(args),
		.flags = core ? MSHV_SIM_PARTITION_CORE_SCHED : 0,
	};

	if (ioctl(fd, MSHV_SIM_CREATE_PARTITION, &args))
		return -errno;
	*pt_id = args.pt_id;
	return 0;
}

FIXTURE(type) {
	int fd;
	__u64 pt;
	__u64 pt0, vp0;
};

FIXTURE_VARIANT(type) {
	bool core;
};

FIXTURE_VARIANT_ADD(type, root) { .core = false };
FIXTURE_VARIANT_ADD(type, core) { .core = true };

FIXTURE_SETUP(type)
{
	self->fd = sim_open();
	if (self->fd == -ENOENT)
		SKIP(return, SIM_DEV " absent: CONFIG_MSHV_SIM off");
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, sim_live(self->fd, &self->pt0, &self->vp0));
	ASSERT_EQ(0, create_partition(self->fd, variant->core, &self->pt));
}

FIXTURE_TEARDOWN(type)
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

/*
 * The VMM thread is pinned to one CPU.  Root: all guest time there.
 * Core: guest time on several CPUs, and the VMM thread itself mostly
 * waits.
 */
TEST_F(type, pinned_vmm)
{
	static const struct mshv_sim_step s[] = { SIM_COMPUTE(60000) };
	int nr = sysconf(_SC_NPROCESSORS_ONLN), cpu = nr - 1, i, used = 0;
	__u64 cpu_ns[SIM_MAX_CPUS], total = 0;
	struct mshv_sim_vp_stats st;
	struct sim_vcpu v = { .cpu = cpu };

	v.vp_fd = sim_create_vp(self->fd, self->pt, 0, s, 1, 1);
	ASSERT_LE(0, v.vp_fd);
	ASSERT_EQ(0, sim_vcpu_start(&v));
	ASSERT_EQ(0, sim_vcpu_join(&v));
	EXPECT_EQ(0, v.rc);
	ASSERT_EQ(0, sim_vp_stats(self->fd, self->pt, 0, &st, cpu_ns));
	EXPECT_EQ(60 * MS, st.run_ns);
	for (i = 0; i < (int)st.nr_cpus && i < SIM_MAX_CPUS; i++) {
		total += cpu_ns[i];
		used += cpu_ns[i] > 0;
	}
	EXPECT_EQ(st.run_ns, total);
	if (!variant->core) {
		EXPECT_EQ(st.run_ns, cpu_ns[cpu]);
	} else if (nr > 1) {
		/* 10 ms slices round-robin: 60 ms cover several CPUs */
		EXPECT_LE(2, used);
		EXPECT_GT(st.run_ns, cpu_ns[cpu]);
	}
	close(v.vp_fd);
}

/* Every workload kind works under both types */
TEST_F(type, sequence)
{
	static const struct mshv_sim_step s[] = {
		SIM_COMPUTE(1000), SIM_HALT(1000), SIM_INTERCEPT(7),
		SIM_COMPUTE(500) };
	struct mshv_sim_vp_stats st;
	struct sim_vcpu v[3];
	int i;

	for (i = 0; i < 3; i++) {
		v[i].cpu = -1;
		v[i].vp_fd = sim_create_vp(self->fd, self->pt, i, s, 4, 5);
		ASSERT_LE(0, v[i].vp_fd);
		ASSERT_EQ(0, sim_vcpu_start(&v[i]));
	}
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, sim_vcpu_join(&v[i]));
		EXPECT_EQ(0, v[i].rc);
		EXPECT_EQ(5, v[i].intercepts);
		EXPECT_EQ(35, v[i].arg_sum);
		EXPECT_EQ(0, v[i].bad_seq);
		ASSERT_EQ(0, sim_vp_stats(self->fd, self->pt, i, &st, NULL));
		EXPECT_EQ(7500000, st.run_ns);
		EXPECT_EQ(5, st.halts);
		EXPECT_EQ(6, st.intercepts);
		EXPECT_EQ(5, st.loops_done);
		close(v[i].vp_fd);
	}
}

/* A signal stops the VP: MSHV_RUN_VP returns EINTR and the guest stops */
TEST_F(type, signal_stops_guest)
{
	static const struct mshv_sim_step s[] = { SIM_COMPUTE(1000) };
	struct mshv_sim_vp_stats st1, st2;
	struct sim_vcpu v = { .cpu = -1 };

	v.vp_fd = sim_create_vp(self->fd, self->pt, 0, s, 1, 0);
	ASSERT_LE(0, v.vp_fd);
	ASSERT_EQ(0, sim_vcpu_start(&v));
	usleep(50000);
	EXPECT_EQ(-EBUSY, sim_destroy_partition(self->fd, self->pt));
	sim_vcpu_stop_signal(&v);
	ASSERT_EQ(0, sim_vcpu_join(&v));
	EXPECT_EQ(-EINTR, v.rc);
	usleep(30000);
	ASSERT_EQ(0, sim_vp_stats(self->fd, self->pt, 0, &st1, NULL));
	usleep(50000);
	ASSERT_EQ(0, sim_vp_stats(self->fd, self->pt, 0, &st2, NULL));
	EXPECT_EQ(st1.run_ns, st2.run_ns);
	EXPECT_LT(0, st2.run_ns);
	close(v.vp_fd);
}

/* One scheduler type at a time */
TEST_F(type, one_type_at_a_time)
{
	__u64 pt;

	EXPECT_EQ(-EBUSY, create_partition(self->fd, !variant->core, &pt));
	ASSERT_EQ(0, create_partition(self->fd, variant->core, &pt));
	EXPECT_EQ(0, sim_destroy_partition(self->fd, pt));
}

TEST_HARNESS_MAIN
