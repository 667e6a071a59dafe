// SPDX-License-Identifier: GPL-2.0
/*
 * mshv_sim: lifecycle of simulated partitions and VPs, and bad input to
 * the control interface, each with its exact errno and no object left
 * behind.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <linux/mshv.h>

#include "../../../kselftest_harness.h"
#include "mshv_sim_lib.h"

static const struct mshv_sim_step one_intercept[] = { SIM_INTERCEPT(1) };

FIXTURE(ctl) {
	int fd;
	__u64 pt0, vp0;		/* live objects before the test */
};

FIXTURE_SETUP(ctl)
{
	self->fd = sim_open();
	if (self->fd == -ENOENT)
		SKIP(return, SIM_DEV " absent: CONFIG_MSHV_SIM off");
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, sim_live(self->fd, &self->pt0, &self->vp0));
}

FIXTURE_TEARDOWN(ctl)
{
	if (self->fd < 0)
		return;
	close(self->fd);
}

/* After the test's fds are closed, nothing of it is left. */
#define ASSERT_NO_LEAK()						\
	do {								\
		close(self->fd);					\
		self->fd = sim_open();					\
		ASSERT_LE(0, self->fd);					\
		ASSERT_EQ(0, sim_wait_live(self->fd, self->pt0,		\
					   self->vp0, 5000));		\
	} while (0)

TEST_F(ctl, info)
{
	struct mshv_sim_info info;

	ASSERT_EQ(0, sim_info(self->fd, &info));
	EXPECT_EQ(MSHV_SIM_VERSION, info.version);
	EXPECT_EQ(256, info.max_vps);
	EXPECT_EQ(MSHV_SIM_MAX_STEPS, info.max_steps);
	EXPECT_LE(1, info.nr_cpus);
	EXPECT_EQ(0, info.reserved[0]);
}

TEST_F(ctl, create_destroy)
{
	__u64 pt, p, v;
	int vp_fd;

	ASSERT_EQ(0, sim_create_partition(self->fd, &pt));
	EXPECT_NE(0, pt);
	vp_fd = sim_create_vp(self->fd, pt, 0, one_intercept, 1, 1);
	ASSERT_LE(0, vp_fd);
	ASSERT_EQ(0, sim_live(self->fd, &p, &v));
	EXPECT_EQ(self->pt0 + 1, p);
	EXPECT_EQ(self->vp0 + 1, v);

	/* Destroyed, but the VP fd keeps the objects until it closes */
	ASSERT_EQ(0, sim_destroy_partition(self->fd, pt));
	ASSERT_EQ(0, sim_live(self->fd, &p, &v));
	EXPECT_EQ(self->pt0 + 1, p);
	EXPECT_EQ(-ENOENT, sim_create_vp(self->fd, pt, 1, one_intercept, 1, 1));
	close(vp_fd);
	ASSERT_NO_LEAK();
}

/* A destroyed partition's VP fails to run, with ENODEV */
TEST_F(ctl, run_after_destroy)
{
	struct mshv_sim_exit exit;
	__u64 pt;
	int vp_fd;

	ASSERT_EQ(0, sim_create_partition(self->fd, &pt));
	vp_fd = sim_create_vp(self->fd, pt, 3, one_intercept, 1, 1);
	ASSERT_LE(0, vp_fd);
	ASSERT_EQ(0, sim_run_vp(vp_fd, &exit));
	EXPECT_EQ(MSHV_SIM_EXIT_INTERCEPT, exit.kind);
	EXPECT_EQ(3, exit.vp_index);
	ASSERT_EQ(0, sim_destroy_partition(self->fd, pt));
	EXPECT_EQ(-ENODEV, sim_run_vp(vp_fd, &exit));
	close(vp_fd);
	ASSERT_NO_LEAK();
}

/* Closing the control fd destroys its partitions */
TEST_F(ctl, close_control_fd)
{
	int vp_fds[4];
	__u64 pt;
	int i;

	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, sim_create_partition(self->fd, &pt));
		vp_fds[i] = sim_create_vp(self->fd, pt, 0, one_intercept, 1, 1);
		ASSERT_LE(0, vp_fds[i]);
	}
	/* The VP fds keep the objects alive: close them too, then check. */
	for (i = 0; i < 4; i++)
		close(vp_fds[i]);
	ASSERT_NO_LEAK();
}

/* A partition of another control fd is unknown: ENOENT */
TEST_F(ctl, other_owner)
{
	int fd2 = sim_open();
	__u64 pt;

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, sim_create_partition(fd2, &pt));
	EXPECT_EQ(-ENOENT, sim_destroy_partition(self->fd, pt));
	EXPECT_EQ(-ENOENT, sim_create_vp(self->fd, pt, 0, one_intercept, 1, 1));
	EXPECT_EQ(0, sim_destroy_partition(fd2, pt));
	close(fd2);
	ASSERT_NO_LEAK();
}

FIXTURE(scale) {
	int fd;
	__u64 pt0, vp0;
};

FIXTURE_VARIANT(scale) {
	int nr_partitions;
	int nr_vps;
};

FIXTURE_VARIANT_ADD(scale, p1_v1) { .nr_partitions = 1, .nr_vps = 1 };
FIXTURE_VARIANT_ADD(scale, p4_v4) { .nr_partitions = 4, .nr_vps = 4 };
FIXTURE_VARIANT_ADD(scale, p1_v256) { .nr_partitions = 1, .nr_vps = 256 };
FIXTURE_VARIANT_ADD(scale, p64_v16) { .nr_partitions = 64, .nr_vps = 16 };

FIXTURE_SETUP(scale)
{
	struct rlimit rl = { .rlim_cur = 4096, .rlim_max = 4096 };

	/* One fd per VP */
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	self->fd = sim_open();
	if (self->fd == -ENOENT)
		SKIP(return, SIM_DEV " absent: CONFIG_MSHV_SIM off");
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, sim_live(self->fd, &self->pt0, &self->vp0));
}

FIXTURE_TEARDOWN(scale)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(scale, create_run_destroy)
{
	int np = variant->nr_partitions, nv = variant->nr_vps;
	__u64 *pts = calloc(np, sizeof(*pts));
	int *fds = calloc(np * nv, sizeof(*fds));
	struct mshv_sim_exit exit;
	__u64 p, v;
	int i, j;

	ASSERT_NE(NULL, pts);
	ASSERT_NE(NULL, fds);
	for (i = 0; i < np; i++) {
		ASSERT_EQ(0, sim_create_partition(self->fd, &pts[i]));
		for (j = 0; j < nv; j++) {
			/* Sparse indexes: from the top down */
			fds[i * nv + j] = sim_create_vp(self->fd, pts[i],
							255 - j,
							one_intercept, 1, 1);
			ASSERT_LE(0, fds[i * nv + j]);
		}
	}
	ASSERT_EQ(0, sim_live(self->fd, &p, &v));
	EXPECT_EQ(self->pt0 + np, p);
	EXPECT_EQ(self->vp0 + np * nv, v);

	/* Each VP runs: its intercept, then DONE */
	for (i = 0; i < np * nv; i++) {
		ASSERT_EQ(0, sim_run_vp(fds[i], &exit));
		ASSERT_EQ(MSHV_SIM_EXIT_INTERCEPT, exit.kind);
		ASSERT_EQ(0, sim_run_vp(fds[i], &exit));
		ASSERT_EQ(MSHV_SIM_EXIT_DONE, exit.kind);
	}

	/* Half the partitions: destroy then close; the others the reverse */
	for (i = 0; i < np; i++) {
		if (i & 1) {
			for (j = 0; j < nv; j++)
				close(fds[i * nv + j]);
			ASSERT_EQ(0, sim_destroy_partition(self->fd, pts[i]));
		} else {
			ASSERT_EQ(0, sim_destroy_partition(self->fd, pts[i]));
			for (j = 0; j < nv; j++)
				close(fds[i * nv + j]);
		}
	}
	close(self->fd);
	self->fd = sim_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, sim_wait_live(self->fd, self->pt0, self->vp0, 5000));
	free(pts);
	free(fds);
}

TEST_F(ctl, bad_ids)
{
	struct mshv_sim_vp_stats st;
	__u64 pt;
	int vp_fd;

	EXPECT_EQ(-ENOENT, sim_destroy_partition(self->fd, 0));
	EXPECT_EQ(-ENOENT, sim_destroy_partition(self->fd, 0x7ffffff0));
	EXPECT_EQ(-ENOENT, sim_destroy_partition(self->fd, ~0ULL));
	EXPECT_EQ(-ENOENT, sim_create_vp(self->fd, 12345678, 0,
					 one_intercept, 1, 1));
	EXPECT_EQ(-ENOENT, sim_vp_stats(self->fd, 12345678, 0, &st, NULL));

	ASSERT_EQ(0, sim_create_partition(self->fd, &pt));
	vp_fd = sim_create_vp(self->fd, pt, 7, one_intercept, 1, 1);
	ASSERT_LE(0, vp_fd);
	/* Duplicate VP index */
	EXPECT_EQ(-EEXIST, sim_create_vp(self->fd, pt, 7, one_intercept, 1, 1));
	/* VP index at and above the maximum */
	EXPECT_EQ(-EINVAL, sim_create_vp(self->fd, pt, 256, one_intercept, 1, 1));
	EXPECT_EQ(-EINVAL, sim_create_vp(self->fd, pt, ~0U, one_intercept, 1, 1));
	EXPECT_EQ(-EINVAL, sim_vp_stats(self->fd, pt, 256, &st, NULL));
	/* A VP index not created */
	EXPECT_EQ(-ENOENT, sim_vp_stats(self->fd, pt, 8, &st, NULL));
	EXPECT_EQ(0, sim_vp_stats(self->fd, pt, 7, &st, NULL));

	/* Double destroy */
	EXPECT_EQ(0, sim_destroy_partition(self->fd, pt));
	EXPECT_EQ(-ENOENT, sim_destroy_partition(self->fd, pt));
	EXPECT_EQ(-ENOENT, sim_vp_stats(self->fd, pt, 7, &st, NULL));
	close(vp_fd);
	ASSERT_NO_LEAK();
}

TEST_F(ctl, bad_headers)
{
	struct mshv_sim_partition_args pa;
	struct mshv_sim_create_vp cv;
	struct mshv_sim_vp_stats st;
	struct mshv_sim_info info;
	__u64 pt;
	int i;

	ASSERT_EQ(0, sim_create_partition(self->fd, &pt));

	/* GET_INFO: size, flags, reserved, output fields */
	memset(&info, 0, sizeof(info));
	info.size = sizeof(info) - 8;
	EXPECT_EQ(-1, ioctl(self->fd, MSHV_SIM_GET_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	info.flags = 1;
	EXPECT_EQ(-1, ioctl(self->fd, MSHV_SIM_GET_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
	info.flags = 0;
	info.reserved[3] = 1;
	EXPECT_EQ(-1, ioctl(self->fd, MSHV_SIM_GET_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
	info.reserved[3] = 0;
	info.version = 1;
	EXPECT_EQ(-1, ioctl(self->fd, MSHV_SIM_GET_INFO, &info));
	EXPECT_EQ(EINVAL, errno);

	/* CREATE/DESTROY_PARTITION */
	memset(&pa, 0, sizeof(pa));
	pa.size = sizeof(pa) + 8;
	EXPECT_EQ(-1, ioctl(self->fd, MSHV_SIM_CREATE_PARTITION, &pa));
	EXPECT_EQ(EINVAL, errno);
	pa.size = sizeof(pa);
	pa.flags = 0x80000000;
	EXPECT_EQ(-1, ioctl(self->fd, MSHV_SIM_CREATE_PARTITION, &pa));
	EXPECT_EQ(EINVAL, errno);
	pa.flags = 0;
	pa.reserved[0] = 1;
	EXPECT_EQ(-1, ioctl(self->fd, MSHV_SIM_CREATE_PARTITION, &pa));
	EXPECT_EQ(EINVAL, errno);
	pa.reserved[0] = 0;
	pa.pt_id = 5;
	EXPECT_EQ(-1, ioctl(self->fd, MSHV_SIM_CREATE_PARTITION, &pa));
	EXPECT_EQ(EINVAL, errno);
	pa.pt_id = pt;
	pa.flags = 2;
	EXPECT_EQ(-1, ioctl(self->fd, MSHV_SIM_DESTROY_PARTITION, &pa));
	EXPECT_EQ(EINVAL, errno);
	pa.flags = 0;
	pa.reserved[1] = 1;
	EXPECT_EQ(-1, ioctl(self->fd, MSHV_SIM_DESTROY_PARTITION, &pa));
	EXPECT_EQ(EINVAL, errno);

	/* CREATE_VP */
	memset(&cv, 0, sizeof(cv));
	cv.size = sizeof(cv);
	cv.pt_id = pt;
	cv.nr_steps = 1;
	cv.loops = 1;
	cv.steps = (__u64)(unsigned long)one_intercept;
	cv.flags = 0x80000000;
	EXPECT_EQ(-1, ioctl(self->fd, MSHV_SIM_CREATE_VP, &cv));
	EXPECT_EQ(EINVAL, errno);
	cv.flags = 0;
	cv.reserved[2] = 1;
	EXPECT_EQ(-1, ioctl(self->fd, MSHV_SIM_CREATE_VP, &cv));
	EXPECT_EQ(EINVAL, errno);
	cv.reserved[2] = 0;
	cv.size = 0;
	EXPECT_EQ(-1, ioctl(self->fd, MSHV_SIM_CREATE_VP, &cv));
	EXPECT_EQ(EINVAL, errno);
	cv.size = sizeof(cv);
	cv.steps = 0;
	EXPECT_EQ(-1, ioctl(self->fd, MSHV_SIM_CREATE_VP, &cv));
	EXPECT_EQ(EFAULT, errno);

	/* GET_VP_STATS */
	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	st.pt_id = pt;
	st.flags = 4;
	EXPECT_EQ(-1, ioctl(self->fd, MSHV_SIM_GET_VP_STATS, &st));
	EXPECT_EQ(EINVAL, errno);
	st.flags = 0;
	st.reserved[0] = 1;
	EXPECT_EQ(-1, ioctl(self->fd, MSHV_SIM_GET_VP_STATS, &st));
	EXPECT_EQ(EINVAL, errno);
	st.reserved[0] = 0;
	st.nr_cpus = 4;	/* and no buffer */
	EXPECT_EQ(-1, ioctl(self->fd, MSHV_SIM_GET_VP_STATS, &st));
	EXPECT_EQ(EINVAL, errno);
	st.nr_cpus = 0;
	st.nr_wake_lat = 4;	/* and no buffer */
	EXPECT_EQ(-1, ioctl(self->fd, MSHV_SIM_GET_VP_STATS, &st));
	EXPECT_EQ(EINVAL, errno);
	st.nr_wake_lat = 0;
	st.pad = 1;
	EXPECT_EQ(-1, ioctl(self->fd, MSHV_SIM_GET_VP_STATS, &st));
	EXPECT_EQ(EINVAL, errno);
	st.pad = 0;

	/* Unknown ioctl */
	EXPECT_EQ(-1, ioctl(self->fd, _IO(MSHV_SIM_IOCTL, 0xFE), 0));
	EXPECT_EQ(ENOTTY, errno);

	EXPECT_EQ(0, sim_destroy_partition(self->fd, pt));
	ASSERT_NO_LEAK();
}

/*
 * /dev/mshv_sim_bench, the benchmark's kernel-thread baseline: every bad
 * field fails with EINVAL before anything runs, an unknown ioctl with
 * ENOTTY, and a good request returns its samples.
 */
TEST(bench_bad_input)
{
	struct mshv_sim_kthread_wake kw;
	__u32 sample, nr = 1;
	int fd, i;

	fd = sim_bench_open();
	if (fd == -ENOENT)
		SKIP(return, SIM_BENCH_DEV " absent: CONFIG_MSHV_SIM_BENCH off");
	ASSERT_LE(0, fd);

	for (i = 0; i < 9; i++) {
		memset(&kw, 0, sizeof(kw));
		kw.size = sizeof(kw);
		kw.period_us = 100;
		kw.nr_samples = 1;
		kw.cpu = -1;
		kw.samples_ns = (__u64)(unsigned long)&sample;
		switch (i) {
		case 0:
			kw.size--;
			break;
		case 1:
			kw.flags = 1;
			break;
		case 2:
			kw.pad = 1;
			break;
		case 3:
			kw.reserved[3] = 1;
			break;
		case 4:
			kw.period_us = 0;
			break;
		case 5:
			kw.period_us = 100001;
			break;
		case 6:
			kw.nr_samples = MSHV_SIM_BENCH_MAX_SAMPLES + 1;
			break;
		case 7:
			kw.cpu = -2;
			break;
		default:
			kw.samples_ns = 0;
			break;
		}
		EXPECT_EQ(-1, ioctl(fd, MSHV_SIM_BENCH_KTHREAD_WAKE, &kw)) {
			TH_LOG("kthread wake case %d", i);
		}
		EXPECT_EQ(EINVAL, errno);
	}

	EXPECT_EQ(-1, ioctl(fd, _IO(MSHV_SIM_BENCH_IOCTL, 0xFE), 0));
	EXPECT_EQ(ENOTTY, errno);

	EXPECT_EQ(0, sim_kthread_wake(fd, 100, -1, &sample, &nr));
	EXPECT_EQ(1, nr);
	close(fd);
}

TEST_F(ctl, bad_workloads)
{
	struct mshv_sim_step steps[MSHV_SIM_MAX_STEPS + 1];
	struct mshv_sim_step bad_op[] = { { .op = 99, .arg = 1 } };
	struct mshv_sim_step zero_op[] = { { .op = 0, .arg = 1 } };
	struct mshv_sim_step bad_rsv[] = {
		{ .op = MSHV_SIM_OP_COMPUTE, .reserved = 1, .arg = 1 } };
	struct mshv_sim_step zero_us[] = { SIM_COMPUTE(0) };
	struct mshv_sim_step long_halt[] = {
		SIM_HALT(MSHV_SIM_MAX_STEP_US + 1) };
	struct mshv_sim_step max_halt[] = { SIM_HALT(MSHV_SIM_MAX_STEP_US) };
	struct mshv_sim_step null_arg[] = {
		{ .op = MSHV_SIM_OP_NULL, .arg = 1 } };
	__u64 pt;
	int i, fd;

	for (i = 0; i < MSHV_SIM_MAX_STEPS + 1; i++)
		steps[i] = (struct mshv_sim_step)SIM_INTERCEPT(i);

	ASSERT_EQ(0, sim_create_partition(self->fd, &pt));
	EXPECT_EQ(-EINVAL, sim_create_vp(self->fd, pt, 0, steps, 0, 1));
	EXPECT_EQ(-EINVAL, sim_create_vp(self->fd, pt, 0, steps,
					 MSHV_SIM_MAX_STEPS + 1, 1));
	EXPECT_EQ(-EINVAL, sim_create_vp(self->fd, pt, 0, bad_op, 1, 1));
	EXPECT_EQ(-EINVAL, sim_create_vp(self->fd, pt, 0, zero_op, 1, 1));
	EXPECT_EQ(-EINVAL, sim_create_vp(self->fd, pt, 0, bad_rsv, 1, 1));
	EXPECT_EQ(-EINVAL, sim_create_vp(self->fd, pt, 0, zero_us, 1, 1));
	EXPECT_EQ(-EINVAL, sim_create_vp(self->fd, pt, 0, long_halt, 1, 1));
	EXPECT_EQ(-EINVAL, sim_create_vp(self->fd, pt, 0, null_arg, 1, 1));
	/* The failures left no VP behind: index 0 is free */
	fd = sim_create_vp(self->fd, pt, 0, steps, MSHV_SIM_MAX_STEPS, 1);
	ASSERT_LE(0, fd);
	close(fd);
	fd = sim_create_vp(self->fd, pt, 1, max_halt, 1, 1);
	ASSERT_LE(0, fd);
	close(fd);
	EXPECT_EQ(0, sim_destroy_partition(self->fd, pt));
	ASSERT_NO_LEAK();
}

/* Destroy while a VP runs: EBUSY; once the VMM stopped it, destroyed. */
TEST_F(ctl, destroy_while_running)
{
	static const struct mshv_sim_step spin[] = { SIM_COMPUTE(1000) };
	static const struct mshv_sim_step halt[] = { SIM_HALT(1000000) };
	struct sim_vcpu v[2] = { { .cpu = -1 }, { .cpu = -1 } };
	__u64 pt;
	int i;

	ASSERT_EQ(0, sim_create_partition(self->fd, &pt));
	v[0].vp_fd = sim_create_vp(self->fd, pt, 0, spin, 1, 0);
	v[1].vp_fd = sim_create_vp(self->fd, pt, 1, halt, 1, 0);
	ASSERT_LE(0, v[0].vp_fd);
	ASSERT_LE(0, v[1].vp_fd);
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, sim_vcpu_start(&v[i]));
	usleep(50000);
	EXPECT_EQ(-EBUSY, sim_destroy_partition(self->fd, pt));
	for (i = 0; i < 2; i++) {
		sim_vcpu_stop(&v[i]);
		ASSERT_EQ(0, sim_vcpu_join(&v[i]));
		EXPECT_EQ(-EINTR, v[i].rc);
	}
	EXPECT_EQ(0, sim_destroy_partition(self->fd, pt));
	EXPECT_EQ(-ENOENT, sim_destroy_partition(self->fd, pt));
	for (i = 0; i < 2; i++)
		close(v[i].vp_fd);
	ASSERT_NO_LEAK();
}

/* A VMM killed while its VPs run leaves nothing behind. */
TEST_F(ctl, vmm_killed)
{
	static const struct mshv_sim_step work[] = {
		SIM_COMPUTE(500), SIM_HALT(300), SIM_INTERCEPT(1) };
	int status, i;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct sim_vcpu v[4];
		__u64 pt;
		int fd = sim_open();

		if (fd < 0 || sim_create_partition(fd, &pt))
			_exit(1);
		for (i = 0; i < 4; i++) {
			v[i].cpu = -1;
			v[i].vp_fd = sim_create_vp(fd, pt, i, work, 3, 0);
			if (v[i].vp_fd < 0 || sim_vcpu_start(&v[i]))
				_exit(1);
		}
		pause();
		_exit(0);
	}
	usleep(200000);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status));
	ASSERT_EQ(0, sim_wait_live(self->fd, self->pt0, self->vp0, 5000));
}

TEST_HARNESS_MAIN
