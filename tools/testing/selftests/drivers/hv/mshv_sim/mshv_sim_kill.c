// SPDX-License-Identifier: GPL-2.0
/*
 * mshv_sim: VP workers die with their VMM.  SIGKILL of a VMM process in
 * the middle of dispatching, and destroying a partition while its workers
 * run, end every task and free every object (the debug kernel's kmemleak
 * and lockdep watch the same runs).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "../../../kselftest_harness.h"
#include "mshv_sim_lib.h"

#define MS	1000000ULL
#define NR_VPS	4

/* Compute, halt and stop at an intercept: every state a VP can be in */
static const struct mshv_sim_step mixed[] = {
	SIM_COMPUTE(2000), SIM_HALT(300), SIM_INTERCEPT(1) };

FIXTURE(kill) {
	int fd;
	__u64 pt0, vp0;
};

FIXTURE_SETUP(kill)
{
	const char *skip;

	self->fd = sim_open_for_test(true, &skip);
	if (skip)
		SKIP(return, "%s", skip);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, sim_live(self->fd, &self->pt0, &self->vp0));
}

FIXTURE_TEARDOWN(kill)
{
	if (self->fd >= 0)
		close(self->fd);
}

static bool task_exists(pid_t tid)
{
	char path[32];
	struct stat sb;

	snprintf(path, sizeof(path), "/proc/%d", tid);
	return !stat(path, &sb);
}

/*
 * A VMM process (its own control file: its partition dies with it) runs
 * NR_VPS VPs in worker mode; SIGKILL it after @ms (-1: before its VPs
 * ever ran).  It is reaped, its workers are gone, and the simulator frees
 * everything within a few seconds.
 */
static void kill_vmm(struct __test_metadata *_metadata, int fd, __u64 pt0,
		     __u64 vp0, int ms)
{
	struct sim_vmm_cfg cfg = {
		.ctl_fd = -1,
		.pt_flags = MSHV_SIM_PARTITION_VP_WORKERS,
		.nr_vps = NR_VPS,
		.steps = mixed,
		.nr_steps = SIM_ARRAY_SIZE(mixed),
		.cpu = -1,
	};
	char mode[16];
	struct sim_vmm m;
	int status, i, tid, cpu;
	__u64 p, v, t0;

	ASSERT_EQ(0, sim_vmm_spawn(&m, &cfg));
	for (i = 0; i < NR_VPS; i++) {
		EXPECT_EQ(MSHV_VP_TASK_WORKER, m.task[i].mode);
		EXPECT_TRUE(task_exists(m.task[i].tid));
	}
	if (ms >= 0) {
		ASSERT_EQ(0, sim_vmm_run(&m));
		sim_sleep_ms(ms);
	}
	ASSERT_EQ(0, sim_live(fd, &p, &v));
	EXPECT_EQ(pt0 + 1, p);
	EXPECT_EQ(vp0 + NR_VPS, v);

	t0 = sim_now_ns();
	status = sim_vmm_kill(&m);
	ASSERT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(SIGKILL, WTERMSIG(status));
	for (i = 0; i < NR_VPS; i++)
		EXPECT_FALSE(task_exists(m.task[i].tid));
	EXPECT_EQ(0, sim_wait_live(fd, pt0, vp0, 5000));
	if (ms >= 100)
		TH_LOG("killed after %d ms: all freed %.1f ms after SIGKILL",
		       ms, (sim_now_ns() - t0) / 1e6);
	/* Gone from the debugfs table (or there is no table) */
	for (i = 0; i < NR_VPS; i++)
		EXPECT_NE(0, sim_vp_tasks_lookup(m.pt_id, i, mode, &tid, &cpu));
}

TEST_F(kill, sigkill_mid_dispatch)
{
	kill_vmm(_metadata, self->fd, self->pt0, self->vp0, 300);
}

/* Twenty times, at different moments, once before the VPs ran */
TEST_F_TIMEOUT(kill, sigkill_repeat, 120)
{
	int i;

	for (i = 0; i < 20; i++)
		kill_vmm(_metadata, self->fd, self->pt0, self->vp0,
			 i == 5 ? -1 : (i * 37) % 200);
}

/*
 * Destroying a partition whose workers run: MSHV_SIM_DESTROY_PARTITION
 * refuses (EBUSY) while any MSHV_RUN_VP runs, as documented; closing the
 * control file that owns the partition destroys it anyway, as a VMM's
 * exit does.  Every vCPU thread's MSHV_RUN_VP then fails with ENODEV, the
 * workers stop, and everything is freed once the VP files are closed.
 */
TEST_F(kill, destroy_running)
{
	static const struct mshv_sim_step busy[] = { SIM_COMPUTE(100000) };
	static const struct mshv_sim_step halt[] = { SIM_HALT(200000) };
	static const struct mshv_sim_step chatty[] = {
		SIM_COMPUTE(100), SIM_INTERCEPT(1) };
	const struct mshv_sim_step *wl[NR_VPS] = { busy, busy, halt, chatty };
	const __u32 nr[NR_VPS] = { 1, 1, 1, 2 };
	struct sim_vcpu v[NR_VPS];
	__u64 pt, t0;
	int i, ctl;

	ctl = sim_open();
	ASSERT_LE(0, ctl);
	ASSERT_EQ(0, sim_create_partition_flags(ctl,
						MSHV_SIM_PARTITION_VP_WORKERS,
						&pt));
	for (i = 0; i < NR_VPS; i++) {
		v[i].cpu = -1;
		v[i].vp_fd = sim_create_vp(ctl, pt, i, wl[i], nr[i], 0);
		ASSERT_LE(0, v[i].vp_fd);
		ASSERT_EQ(0, sim_vcpu_start(&v[i]));
	}
	sim_sleep_ms(300);

	EXPECT_EQ(-EBUSY, sim_destroy_partition(ctl, pt));
	close(ctl);
	t0 = sim_now_ns();
	for (i = 0; i < NR_VPS; i++) {
		while (!__atomic_load_n(&v[i].done, __ATOMIC_ACQUIRE) &&
		       sim_now_ns() - t0 < 5000 * MS)
			usleep(1000);
		EXPECT_TRUE(__atomic_load_n(&v[i].done, __ATOMIC_ACQUIRE)) {
			TH_LOG("VP %d still runs after its partition's destroy",
			       i);
			sim_vcpu_stop(&v[i]);
		}
	}
	for (i = 0; i < NR_VPS; i++) {
		ASSERT_EQ(0, sim_vcpu_join(&v[i]));
		EXPECT_EQ(-ENODEV, v[i].rc) {
			TH_LOG("VP %d: %s", i, strerror(-v[i].rc));
		}
		close(v[i].vp_fd);
	}
	TH_LOG("every vCPU thread out %.1f ms after the destroy",
	       (sim_now_ns() - t0) / 1e6);
	EXPECT_EQ(0, sim_wait_live(self->fd, self->pt0, self->vp0, 5000));
}

TEST_HARNESS_MAIN
