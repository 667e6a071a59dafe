// SPDX-License-Identifier: GPL-2.0
/*
 * mshv_sim: no thread of a VMM is left in D state when the VMM is frozen
 * or stopped.
 *
 * A VMM child process runs VPs in both modes: a partition whose VPs its
 * vCPU threads run (inline) and one whose VPs their workers run, workers
 * being threads of the VMM.  Optionally two more threads create VPs and
 * workers in a loop, by MSHV_CREATE_VP_WORKER or by
 * a first MSHV_RUN_VP, and keep them ("creating") or close each VP and
 * destroy its partition again ("destroying": the worker is stopped while
 * the VMM may be frozen or stopped).  The test freezes the VMM's cgroup (cgroup.freeze)
 * or stops it with SIGSTOP, at different moments:
 *  - within 1 s no thread of the VMM is in D state (a D-state thread
 *    would also keep system suspend from freezing it);
 *  - cgroup.events reads "frozen 1" within 5 s, or the group stop
 *    completes (waitpid() reports the VMM stopped) within 5 s;
 *  - frozen, no VP runs;
 *  - after the thaw or SIGCONT every VP runs again and the creation loop
 *    goes on.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "../../../kselftest_harness.h"
#include "mshv_sim_lib.h"

#define MS		1000000ULL
#define NR_PT_VPS	2
#define NR_CREATORS	2
#define NR_CYCLES	3
/* The creating variant keeps its VPs: at most this many per creator */
#define MAX_KEPT	768
#define NO_D_MS		1000
#define FROZEN_MS	5000

/* Compute, halt and stop at an intercept: every state a VP can be in */
static const struct mshv_sim_step mixed[] = {
	SIM_COMPUTE(2000), SIM_HALT(300), SIM_INTERCEPT(1) };
static const struct mshv_sim_step short_run[] = {
	SIM_COMPUTE(100), SIM_INTERCEPT(1) };

/**
 * struct vmm_shared - Shared between the test and its VMM child
 * @ready: the VMM's VPs run
 * @err: the first error of the VMM, and where: @err_op
 * @err_op: what failed
 * @pt: the partitions whose VPs run: inline, worker (on the test's
 *	control file)
 * @created: VPs created by the creation loop (each with a worker in
 *	worker mode)
 * @capped: a creator of the creating variant has created MAX_KEPT VPs
 */
struct vmm_shared {
	int ready;		/* __atomic accesses */
	int err;		/* __atomic accesses */
	char err_op[32];
	__u64 pt[2];
	__u64 created;		/* __atomic accesses */
	int capped;		/* __atomic accesses */
};

static void vmm_fail(struct vmm_shared *sh, const char *op, int err)
{
	int zero = 0;

	if (__atomic_compare_exchange_n(&sh->err, &zero, err, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		snprintf(sh->err_op, sizeof(sh->err_op), "%s", op);
}

enum creating { NONE, KEEP, DESTROY };

struct creator {
	struct vmm_shared *sh;
	enum creating how;
};

/*
 * Create VPs, and their workers: every other one by
 * MSHV_CREATE_VP_WORKER, the rest by a first MSHV_RUN_VP (a signal's
 * EINTR: run again).  KEEP: up to 256 VPs a partition, all kept, until
 * MAX_KEPT; DESTROY: a partition each, closed and destroyed at once.
 */
static void *creator_main(void *arg)
{
	struct creator *c = arg;
	struct vmm_shared *sh = c->sh;
	struct mshv_vp_task_info t;
	struct mshv_sim_exit e;
	int fd, vp_fd, ret;
	__u64 n, pt = 0;
	__u32 idx;

	fd = sim_open();
	if (fd < 0) {
		vmm_fail(sh, "open", fd);
		return NULL;
	}
	for (n = 0; !__atomic_load_n(&sh->err, __ATOMIC_ACQUIRE); n++) {
		if (c->how == KEEP && n == MAX_KEPT) {
			__atomic_store_n(&sh->capped, 1, __ATOMIC_RELEASE);
			break;
		}
		idx = c->how == KEEP ? n % 256 : 0;
		if (!idx) {
			ret = sim_create_partition_flags(fd,
							 MSHV_SIM_PARTITION_VP_WORKERS,
							 &pt);
			if (ret) {
				vmm_fail(sh, "create partition", ret);
				break;
			}
		}
		vp_fd = sim_create_vp(fd, pt, idx, short_run,
				      SIM_ARRAY_SIZE(short_run), 1);
		if (vp_fd < 0) {
			vmm_fail(sh, "create VP", vp_fd);
			break;
		}
		if (n & 1) {
			ret = sim_vp_task(vp_fd, &t);
			if (!ret && (t.mode != MSHV_VP_TASK_WORKER ||
				     t.tid <= 0))
				ret = -EPROTO;
			if (ret)
				vmm_fail(sh, "MSHV_GET_VP_TASK", ret);
		} else {
			while ((ret = sim_run_vp(vp_fd, &e)) == -EINTR)
				;
			if (!ret && e.kind != MSHV_SIM_EXIT_INTERCEPT)
				ret = -EPROTO;
			if (ret)
				vmm_fail(sh, "first MSHV_RUN_VP", ret);
		}
		__atomic_add_fetch(&sh->created, 1, __ATOMIC_RELEASE);
		if (c->how == KEEP) {
			usleep(2000);
			continue;
		}
		close(vp_fd);
		ret = sim_destroy_partition(fd, pt);
		if (ret) {
			vmm_fail(sh, "destroy partition", ret);
			break;
		}
	}
	/* KEEP: the VPs stay until the VMM exits */
	return NULL;
}

/*
 * The VMM: joins @cg, creates an inline and a worker partition with
 * NR_PT_VPS VPs each on the test's control file @fd, runs each VP in a
 * vCPU thread and, with @creating, starts the creation loop
 */
static void vmm_main(struct vmm_shared *sh, int fd, const char *cg,
		     enum creating creating, pid_t parent)
{
	static const __u32 flags[2] = { MSHV_SIM_PARTITION_VP_INLINE,
					MSHV_SIM_PARTITION_VP_WORKERS };
	struct sim_vcpu v[2 * NR_PT_VPS];
	struct creator c[NR_CREATORS];
	pthread_t th;
	int i, ret;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(1);
	ret = sim_cg_move(cg, 0);
	if (ret) {
		vmm_fail(sh, "join cgroup", ret);
		_exit(1);
	}
	for (i = 0; i < 2; i++) {
		ret = sim_create_partition_flags(fd, flags[i], &sh->pt[i]);
		if (ret) {
			vmm_fail(sh, "create partition", ret);
			_exit(1);
		}
	}
	for (i = 0; i < 2 * NR_PT_VPS; i++) {
		v[i].cpu = -1;
		v[i].vp_fd = sim_create_vp(fd, sh->pt[i / NR_PT_VPS],
					   i % NR_PT_VPS, mixed,
					   SIM_ARRAY_SIZE(mixed), 0);
		if (v[i].vp_fd < 0) {
			vmm_fail(sh, "create VP", v[i].vp_fd);
			_exit(1);
		}
		ret = sim_vcpu_start(&v[i]);
		if (ret) {
			vmm_fail(sh, "vCPU thread", ret);
			_exit(1);
		}
	}
	for (i = 0; creating && i < NR_CREATORS; i++) {
		c[i].sh = sh;
		c[i].how = creating;
		if (pthread_create(&th, NULL, creator_main, &c[i])) {
			vmm_fail(sh, "creator thread", -EAGAIN);
			_exit(1);
		}
	}
	__atomic_store_n(&sh->ready, 1, __ATOMIC_RELEASE);
	for (;;) {
		pause();
		/* A vCPU thread's loop ends only on an error */
		for (i = 0; i < 2 * NR_PT_VPS; i++)
			if (__atomic_load_n(&v[i].done, __ATOMIC_ACQUIRE))
				vmm_fail(sh, "MSHV_RUN_VP", v[i].rc);
	}
}

FIXTURE(freeze) {
	int fd;
	__u64 pt0, vp0;
	char cg[SIM_CG_PATH_MAX];
	struct vmm_shared *sh;
	pid_t pid;
};

FIXTURE_VARIANT(freeze) {
	enum creating creating;
};

FIXTURE_VARIANT_ADD(freeze, running) { .creating = NONE };
FIXTURE_VARIANT_ADD(freeze, creating) { .creating = KEEP };
FIXTURE_VARIANT_ADD(freeze, destroying) { .creating = DESTROY };

FIXTURE_SETUP(freeze)
{
	const char *skip;
	int i, ret;

	self->pid = -1;
	self->sh = MAP_FAILED;
	self->cg[0] = 0;
	self->fd = sim_open_for_test(true, &skip);
	if (skip)
		SKIP(return, "%s", skip);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, sim_live(self->fd, &self->pt0, &self->vp0));
	ret = sim_cg_create("mshv_sim_freeze", self->cg);
	if (ret == -ENOENT || ret == -EROFS)
		SKIP(return, "no cgroup v2 at " SIM_CG_ROOT);
	ASSERT_EQ(0, ret);
	self->sh = mmap(NULL, sizeof(*self->sh), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->sh);
	memset(self->sh, 0, sizeof(*self->sh));

	fflush(stdout);
	fflush(stderr);
	self->pid = fork();
	ASSERT_LE(0, self->pid);
	if (!self->pid) {
		vmm_main(self->sh, self->fd, self->cg, variant->creating,
			 getppid());
		_exit(1);
	}
	for (i = 0; i < 5000; i++) {
		if (__atomic_load_n(&self->sh->ready, __ATOMIC_ACQUIRE) ||
		    __atomic_load_n(&self->sh->err, __ATOMIC_ACQUIRE))
			break;
		usleep(1000);
	}
	ASSERT_EQ(0, self->sh->err) {
		TH_LOG("VMM: %s: %s", self->sh->err_op,
		       strerror(-self->sh->err));
	}
	ASSERT_EQ(1, self->sh->ready);
	sim_sleep_ms(200);
}

FIXTURE_TEARDOWN(freeze)
{
	int i;

	if (self->pid > 0) {
		sim_cg_write(self->cg, "cgroup.freeze", "0");
		kill(self->pid, SIGKILL);
		kill(self->pid, SIGCONT);
		waitpid(self->pid, NULL, 0);
	}
	if (self->sh != MAP_FAILED) {
		for (i = 0; i < 2; i++)
			if (self->sh->pt[i])
				EXPECT_EQ(0, sim_destroy_partition(self->fd,
								   self->sh->pt[i]));
		munmap(self->sh, sizeof(*self->sh));
	}
	if (self->cg[0])
		EXPECT_EQ(0, sim_cg_remove(self->cg));
	if (self->fd >= 0) {
		EXPECT_EQ(0, sim_wait_live(self->fd, self->pt0, self->vp0,
					   5000));
		close(self->fd);
	}
}

/* Log each thread of @pid in D state, with its name and wait channel */
static void log_d_threads(struct __test_metadata *_metadata, pid_t pid)
{
	char path[64], comm[32], wchan[64];
	pid_t tids[8];
	FILE *f;
	int i, n;

	if (sim_threads_state(pid, 'D', &n, tids, 8) < 0)
		return;
	for (i = 0; i < n && i < 8; i++) {
		comm[0] = 0;
		wchan[0] = 0;
		snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", pid,
			 tids[i]);
		f = fopen(path, "re");
		if (f) {
			if (!fgets(comm, sizeof(comm), f))
				comm[0] = 0;
			fclose(f);
		}
		snprintf(path, sizeof(path), "/proc/%d/task/%d/wchan", pid,
			 tids[i]);
		f = fopen(path, "re");
		if (f) {
			if (!fgets(wchan, sizeof(wchan), f))
				wchan[0] = 0;
			fclose(f);
		}
		comm[strcspn(comm, "\n")] = 0;
		TH_LOG("thread %d (%s) in D state, waiting in %s", tids[i],
		       comm, wchan[0] ? wchan : "?");
	}
}

/*
 * Wait up to NO_D_MS for no thread of @pid to be in D state: whether none
 * is, and after how long (*@ms)
 */
static bool wait_no_d(pid_t pid, int *ms)
{
	__u64 t0 = sim_now_ns();
	int n, nr_d;

	for (;;) {
		n = sim_threads_state(pid, 'D', &nr_d, NULL, 0);
		*ms = (sim_now_ns() - t0) / MS;
		if (n > 0 && !nr_d)
			return true;
		if (*ms >= NO_D_MS)
			return false;
		usleep(2000);
	}
}

/* The guest run time of each VP of the VMM */
static void run_times(struct __test_metadata *_metadata, int fd,
		      struct vmm_shared *sh, __u64 *ns)
{
	struct mshv_sim_vp_stats st;
	int i;

	for (i = 0; i < 2 * NR_PT_VPS; i++) {
		ASSERT_EQ(0, sim_vp_stats(fd, sh->pt[i / NR_PT_VPS],
					  i % NR_PT_VPS, &st, NULL));
		ns[i] = st.run_ns;
	}
}

/*
 * After a thaw or SIGCONT: every VP runs again (its guest time grows
 * within 3 s) and the creation loop goes on
 */
static void check_runs_on(struct __test_metadata *_metadata, int fd,
			  struct vmm_shared *sh, bool creating)
{
	__u64 ns0[2 * NR_PT_VPS], ns[2 * NR_PT_VPS], created, t0;
	int i, left;

	created = __atomic_load_n(&sh->created, __ATOMIC_ACQUIRE);
	run_times(_metadata, fd, sh, ns0);
	t0 = sim_now_ns();
	do {
		sim_sleep_ms(20);
		run_times(_metadata, fd, sh, ns);
		for (i = 0, left = 0; i < 2 * NR_PT_VPS; i++)
			left += ns[i] == ns0[i];
		if (creating &&
		    __atomic_load_n(&sh->created, __ATOMIC_ACQUIRE) ==
		    created && !__atomic_load_n(&sh->capped, __ATOMIC_ACQUIRE))
			left++;
	} while (left && sim_now_ns() - t0 < 3000 * MS);
	for (i = 0; i < 2 * NR_PT_VPS; i++)
		EXPECT_NE(ns0[i], ns[i]) {
			TH_LOG("%s VP %d does not run again",
			       i < NR_PT_VPS ? "inline" : "worker",
			       i % NR_PT_VPS);
		}
	if (creating && !__atomic_load_n(&sh->capped, __ATOMIC_ACQUIRE))
		EXPECT_LT(created, __atomic_load_n(&sh->created,
						   __ATOMIC_ACQUIRE));
	EXPECT_EQ(0, sh->err) {
		TH_LOG("VMM: %s: %s", sh->err_op,
		       strerror(-sh->err));
	}
}

/* Frozen or stopped, no VP runs: its guest time stands still */
static void check_still(struct __test_metadata *_metadata, int fd,
			struct vmm_shared *sh)
{
	__u64 ns0[2 * NR_PT_VPS], ns[2 * NR_PT_VPS];
	int i;

	run_times(_metadata, fd, sh, ns0);
	sim_sleep_ms(200);
	run_times(_metadata, fd, sh, ns);
	for (i = 0; i < 2 * NR_PT_VPS; i++)
		EXPECT_EQ(ns0[i], ns[i]) {
			TH_LOG("%s VP %d runs in a frozen VMM",
			       i < NR_PT_VPS ? "inline" : "worker",
			       i % NR_PT_VPS);
		}
}

TEST_F_TIMEOUT(freeze, cgroup_freeze, 120)
{
	int cycle, ms, ret, nr_d, n;
	__u64 t0;

	for (cycle = 0; cycle < NR_CYCLES; cycle++) {
		sim_sleep_ms((cycle * 37) % 100);
		t0 = sim_now_ns();
		ASSERT_EQ(0, sim_cg_write(self->cg, "cgroup.freeze", "1"));
		EXPECT_TRUE(wait_no_d(self->pid, &ms)) {
			log_d_threads(_metadata, self->pid);
		}
		ret = sim_cg_wait_key(self->cg, "cgroup.events", "frozen", 1,
				      FROZEN_MS);
		EXPECT_EQ(0, ret) {
			TH_LOG("cgroup.events: not frozen after %d ms",
			       FROZEN_MS);
			log_d_threads(_metadata, self->pid);
		}
		TH_LOG("cycle %d: no D state after %d ms, frozen after %.1f ms",
		       cycle, ms, (sim_now_ns() - t0) / 1e6);
		n = sim_threads_state(self->pid, 'D', &nr_d, NULL, 0);
		EXPECT_LT(0, n);
		EXPECT_EQ(0, nr_d);
		if (!ret)
			check_still(_metadata, self->fd, self->sh);

		ASSERT_EQ(0, sim_cg_write(self->cg, "cgroup.freeze", "0"));
		EXPECT_EQ(0, sim_cg_wait_key(self->cg, "cgroup.events",
					     "frozen", 0, FROZEN_MS));
		check_runs_on(_metadata, self->fd, self->sh, variant->creating);
		if (_metadata->exit_code)
			break;
	}
}

/* Wait up to @ms for the group stop of @pid to complete: whether it did */
static bool wait_stopped(pid_t pid, int ms)
{
	int status;
	pid_t ret;

	for (;;) {
		ret = waitpid(pid, &status, WUNTRACED | WNOHANG);
		if (ret == pid && WIFSTOPPED(status))
			return true;
		if (ret < 0 || ms-- <= 0)
			return false;
		usleep(1000);
	}
}

TEST_F_TIMEOUT(freeze, sigstop, 120)
{
	int cycle, ms, nr_d, nr_t, n;
	bool stopped;
	__u64 t0;

	for (cycle = 0; cycle < NR_CYCLES; cycle++) {
		sim_sleep_ms((cycle * 37) % 100);
		t0 = sim_now_ns();
		ASSERT_EQ(0, kill(self->pid, SIGSTOP));
		EXPECT_TRUE(wait_no_d(self->pid, &ms)) {
			log_d_threads(_metadata, self->pid);
		}
		stopped = wait_stopped(self->pid, FROZEN_MS);
		EXPECT_TRUE(stopped) {
			TH_LOG("the group stop did not complete in %d ms",
			       FROZEN_MS);
			log_d_threads(_metadata, self->pid);
		}
		TH_LOG("cycle %d: no D state after %d ms, stopped after %.1f ms",
		       cycle, ms, (sim_now_ns() - t0) / 1e6);
		n = sim_threads_state(self->pid, 'D', &nr_d, NULL, 0);
		EXPECT_EQ(0, nr_d);
		/* Every thread, workers included, took the group stop */
		sim_threads_state(self->pid, 'T', &nr_t, NULL, 0);
		EXPECT_EQ(n, nr_t);
		if (stopped)
			check_still(_metadata, self->fd, self->sh);

		ASSERT_EQ(0, kill(self->pid, SIGCONT));
		check_runs_on(_metadata, self->fd, self->sh, variant->creating);
		if (_metadata->exit_code)
			break;
	}
}

TEST_HARNESS_MAIN
