// SPDX-License-Identifier: GPL-2.0
/*
 * mshv_sim: the Linux task of each VP under the integrated scheduler.  In
 * worker mode a dispatch worker per VP, a thread of the VMM named
 * vp<index>-mshv<partition>; in inline mode the MSHV_RUN_VP caller.
 * MSHV_GET_VP_TASK and debugfs name that task; MSHV_CANCEL_RUN_VP makes
 * the VP return to userspace in both modes, and is never lost; the
 * MSHV_RUN_VP contract is the same in both modes.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/mshv.h>

#include "../../../kselftest_harness.h"
#include "mshv_sim_lib.h"

#define MS	1000000ULL

/* How long a cancel may take to stop a running VP: a dispatch, and noise */
#define CANCEL_BOUND_NS	(500 * MS)

#define VP_WORKERS_PARAM "/sys/module/mshv_root/parameters/vp_workers"

static const struct mshv_sim_step one_intercept[] = { SIM_INTERCEPT(1) };
static const struct mshv_sim_step busy[] = { SIM_COMPUTE(100000) };

FIXTURE(vp_task) {
	int fd;
	__u64 pt;
	__u64 pt0, vp0;
};

FIXTURE_VARIANT(vp_task) {
	bool workers;
};

FIXTURE_VARIANT_ADD(vp_task, inline) { .workers = false };
FIXTURE_VARIANT_ADD(vp_task, worker) { .workers = true };

FIXTURE_SETUP(vp_task)
{
	const char *skip;

	self->fd = sim_open_for_test(true, &skip);
	if (skip)
		SKIP(return, "%s", skip);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, sim_live(self->fd, &self->pt0, &self->vp0));
	ASSERT_EQ(0, sim_create_partition_flags(self->fd, variant->workers ?
						MSHV_SIM_PARTITION_VP_WORKERS :
						MSHV_SIM_PARTITION_VP_INLINE,
						&self->pt));
}

FIXTURE_TEARDOWN(vp_task)
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

/* Threads of this process whose name ends with @suffix */
static int count_threads(const char *suffix)
{
	DIR *d = opendir("/proc/self/task");
	char comm[32];
	struct dirent *e;
	int n = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (!sim_task_comm(atoi(e->d_name), comm, sizeof(comm)) &&
		    strlen(comm) >= strlen(suffix) &&
		    !strcmp(comm + strlen(comm) - strlen(suffix), suffix))
			n++;
	}
	closedir(d);
	return n;
}

/* A worker's name: vp<index>-mshv<pt>, cut to TASK_COMM_LEN - 1 */
static void worker_name(__u64 pt, __u32 idx, char name[16])
{
	snprintf(name, 16, "vp%u-mshv%llu", idx, (unsigned long long)pt);
}

/*
 * Worker mode: MSHV_GET_VP_TASK creates the worker, a thread of this
 * process with the VP's name, and returns it again later.  Inline mode:
 * no thread; the task is the last MSHV_RUN_VP caller.  The debugfs table
 * agrees.
 */
TEST_F(vp_task, get_vp_task)
{
	static const __u32 idx[3] = { 0, 5, 17 };
	struct mshv_vp_task_info t[3], t2;
	char comm[32], name[16], suffix[16], mode[16];
	int fds[3], i, ret, tid, cpu;

	snprintf(suffix, sizeof(suffix), "-mshv%llu",
		 (unsigned long long)self->pt);
	for (i = 0; i < 3; i++) {
		fds[i] = sim_create_vp(self->fd, self->pt, idx[i],
				       one_intercept, 1, 1);
		ASSERT_LE(0, fds[i]);
		/* A plain query creates nothing */
		ASSERT_EQ(0, sim_vp_task_flags(fds[i], 0, &t2));
		EXPECT_EQ(variant->workers ? MSHV_VP_TASK_WORKER :
			  MSHV_VP_TASK_INLINE, t2.mode);
		EXPECT_EQ(0, t2.tid);
		EXPECT_EQ(-1, t2.cpu);
		EXPECT_EQ(variant->workers ? i : 0, count_threads(suffix));
		ASSERT_EQ(0, sim_vp_task(fds[i], &t[i]));
		EXPECT_EQ(sizeof(t[i]), t[i].size);
		EXPECT_EQ(0, t[i].flags);
		EXPECT_EQ(0, t[i].reserved[0] | t[i].reserved[1] |
			  t[i].reserved[2]);
		if (!variant->workers) {
			EXPECT_EQ(MSHV_VP_TASK_INLINE, t[i].mode);
			EXPECT_EQ(0, t[i].tid);
			EXPECT_EQ(-1, t[i].cpu);
			continue;
		}
		EXPECT_EQ(MSHV_VP_TASK_WORKER, t[i].mode);
		ASSERT_LT(0, t[i].tid);
		EXPECT_NE(getpid(), t[i].tid);
		EXPECT_NE(sim_gettid(), t[i].tid);
		/* A thread of this process, named after the VP */
		ASSERT_EQ(0, sim_task_comm(t[i].tid, comm, sizeof(comm)));
		worker_name(self->pt, idx[i], name);
		EXPECT_STREQ(name, comm);
		/* Created once */
		ASSERT_EQ(0, sim_vp_task(fds[i], &t2));
		EXPECT_EQ(t[i].tid, t2.tid);
	}
	EXPECT_EQ(variant->workers ? 3 : 0, count_threads(suffix));

	/* Each VP runs until DONE, called from this thread */
	for (i = 0; i < 3; i++) {
		struct mshv_sim_exit e;

		ASSERT_EQ(0, sim_run_vp(fds[i], &e));
		EXPECT_EQ(MSHV_SIM_EXIT_INTERCEPT, e.kind);
		ASSERT_EQ(0, sim_run_vp(fds[i], &e));
		EXPECT_EQ(MSHV_SIM_EXIT_DONE, e.kind);
		ASSERT_EQ(0, sim_vp_task(fds[i], &t2));
		EXPECT_EQ(variant->workers ? t[i].tid : sim_gettid(), t2.tid);
		EXPECT_LE(0, t2.cpu);

		ret = sim_vp_tasks_lookup(self->pt, idx[i], mode, &tid, &cpu);
		if (ret != -ESRCH && ret) {
			TH_LOG("no debugfs table of VP tasks: %s",
			       strerror(-ret));
			continue;
		}
		ASSERT_EQ(0, ret);
		EXPECT_STREQ(variant->workers ? "worker" : "inline", mode);
		EXPECT_EQ(t2.tid, tid);
		EXPECT_LE(0, cpu);
	}
	/* The workers stay until the VP goes: nothing new, nothing lost */
	EXPECT_EQ(variant->workers ? 3 : 0, count_threads(suffix));
	for (i = 0; i < 3; i++)
		close(fds[i]);
}

/*
 * Every malformed MSHV_GET_VP_TASK fails (EINVAL; E2BIG for non-zero
 * fields of a later version) and has no side effect: no worker is
 * created, and neither is one by MSHV_CREATE_VP_WORKER with a flag, or in
 * inline mode.  The structure is extensible: a larger one with zeroes
 * past the known fields is fine, and the output fields are ignored on
 * input.
 */
TEST_F(vp_task, get_vp_task_bad)
{
	struct {
		struct mshv_vp_task_info t;
		__u32 more[2];
	} big;
	struct mshv_vp_task_info t;
	char suffix[16];
	int fd, i;

	snprintf(suffix, sizeof(suffix), "-mshv%llu",
		 (unsigned long long)self->pt);
	fd = sim_create_vp(self->fd, self->pt, 0, one_intercept, 1, 1);
	ASSERT_LE(0, fd);

	for (i = 0; i < 7; i++) {
		memset(&t, 0, sizeof(t));
		t.size = sizeof(t);
		switch (i) {
		case 0:
			t.size = 0;
			break;
		case 1:
			t.size = MSHV_VP_TASK_INFO_SIZE_VER0 - 4;
			break;
		case 2:
			t.flags = 1;
			break;
		case 3:
			t.flags = 0x80000000;
			break;
		default:
			t.reserved[i - 4] = 1;
			break;
		}
		EXPECT_EQ(-1, ioctl(fd, MSHV_GET_VP_TASK, &t)) {
			TH_LOG("case %d", i);
		}
		EXPECT_EQ(EINVAL, errno) {
			TH_LOG("case %d", i);
		}
	}
	/* A later version's fields this kernel does not know must be 0 */
	memset(&big, 0, sizeof(big));
	big.t.size = sizeof(big);
	big.more[1] = 1;
	EXPECT_EQ(-1, ioctl(fd, MSHV_GET_VP_TASK, &big));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_EQ(-1, ioctl(fd, MSHV_GET_VP_TASK, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(fd, MSHV_CREATE_VP_WORKER, 1));
	EXPECT_EQ(EINVAL, errno);
	if (!variant->workers) {
		EXPECT_EQ(-1, ioctl(fd, MSHV_CREATE_VP_WORKER, 0));
		EXPECT_EQ(EINVAL, errno);
	}
	EXPECT_EQ(0, count_threads(suffix));

	/* Zero there, they are fine: the answer says which size was filled */
	big.more[1] = 0;
	EXPECT_EQ(0, ioctl(fd, MSHV_GET_VP_TASK, &big));
	EXPECT_EQ(MSHV_VP_TASK_INFO_SIZE_VER0, big.t.size);
	EXPECT_EQ(0, big.more[0]);
	EXPECT_EQ(0, big.more[1]);

	/* Output fields are ignored on input */
	memset(&t, 0, sizeof(t));
	t.size = sizeof(t);
	t.mode = 7;
	t.tid = 1;
	t.cpu = 5;
	EXPECT_EQ(0, ioctl(fd, MSHV_GET_VP_TASK, &t));
	EXPECT_EQ(variant->workers ? MSHV_VP_TASK_WORKER : MSHV_VP_TASK_INLINE,
		  t.mode);
	EXPECT_EQ(0, t.tid);
	EXPECT_EQ(-1, t.cpu);
	EXPECT_EQ(0, count_threads(suffix));

	EXPECT_EQ(0, sim_vp_task(fd, &t));
	EXPECT_EQ(variant->workers ? 1 : 0, count_threads(suffix));
	close(fd);
}

/* MSHV_CANCEL_RUN_VP takes no argument; a refused one leaves no cancel */
TEST_F(vp_task, cancel_bad)
{
	struct mshv_sim_exit e;
	int fd;

	fd = sim_create_vp(self->fd, self->pt, 0, one_intercept, 1, 1);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, ioctl(fd, MSHV_CANCEL_RUN_VP, 1UL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(fd, MSHV_CANCEL_RUN_VP, ~0UL));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, sim_run_vp(fd, &e));
	EXPECT_EQ(MSHV_SIM_EXIT_INTERCEPT, e.kind);
	EXPECT_EQ(1, e.seq);
	/* Not on the control device */
	EXPECT_EQ(-1, ioctl(self->fd, MSHV_CANCEL_RUN_VP, 0));
	EXPECT_EQ(ENOTTY, errno);
	close(fd);
}

/*
 * Sticky: a cancel issued before MSHV_RUN_VP makes the next one return
 * EINTR at once, without dispatching; it is a state, not a count, and the
 * call after that runs the VP.
 */
TEST_F(vp_task, cancel_before_run)
{
	static const struct mshv_sim_step s[] = {
		SIM_COMPUTE(1000), SIM_INTERCEPT(7) };
	struct mshv_sim_vp_stats st;
	struct mshv_sim_exit e;
	__u64 t0;
	int fd;

	fd = sim_create_vp(self->fd, self->pt, 0, s, 2, 1);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, sim_cancel(fd));
	ASSERT_EQ(0, sim_cancel(fd));
	t0 = sim_now_ns();
	EXPECT_EQ(-EINTR, sim_run_vp(fd, &e));
	EXPECT_GT(CANCEL_BOUND_NS, sim_now_ns() - t0);
	ASSERT_EQ(0, sim_vp_stats(self->fd, self->pt, 0, &st, NULL));
	EXPECT_EQ(0, st.dispatches);
	EXPECT_EQ(0, st.run_ns);

	ASSERT_EQ(0, sim_run_vp(fd, &e));
	EXPECT_EQ(MSHV_SIM_EXIT_INTERCEPT, e.kind);
	EXPECT_EQ(7, e.arg);
	EXPECT_EQ(1, e.seq);
	ASSERT_EQ(0, sim_vp_stats(self->fd, self->pt, 0, &st, NULL));
	EXPECT_EQ(MS, st.run_ns);

	/* Cancelled again at the intercept: EINTR, then DONE */
	ASSERT_EQ(0, sim_cancel(fd));
	EXPECT_EQ(-EINTR, sim_run_vp(fd, &e));
	ASSERT_EQ(0, sim_run_vp(fd, &e));
	EXPECT_EQ(MSHV_SIM_EXIT_DONE, e.kind);
	EXPECT_EQ(2, e.seq);
	close(fd);
}

/* Stop a VP with @v's method; it returns promptly and the guest stops */
static void stop_running(struct __test_metadata *_metadata, int fd,
			 __u64 pt, __u32 idx, struct sim_vcpu *v, bool sig)
{
	struct mshv_sim_vp_stats st1, st2;
	__u64 t0;

	t0 = sim_now_ns();
	if (sig)
		sim_vcpu_stop_signal(v);
	else
		sim_vcpu_stop(v);
	ASSERT_EQ(0, sim_vcpu_join(v));
	TH_LOG("VP %u stopped in %.2f ms", idx, (sim_now_ns() - t0) / 1e6);
	EXPECT_GT(CANCEL_BOUND_NS, sim_now_ns() - t0);
	EXPECT_EQ(-EINTR, v->rc);
	EXPECT_EQ(0, v->eintr);
	/* Nothing runs the VP any more */
	sim_sleep_ms(20);
	ASSERT_EQ(0, sim_vp_stats(fd, pt, idx, &st1, NULL));
	sim_sleep_ms(100);
	ASSERT_EQ(0, sim_vp_stats(fd, pt, idx, &st2, NULL));
	EXPECT_EQ(st1.run_ns, st2.run_ns);
	EXPECT_EQ(st1.dispatches, st2.dispatches);
}

/* A cancel stops a VP that computes for ever, and one that halts */
TEST_F(vp_task, cancel_running)
{
	static const struct mshv_sim_step halt[] = { SIM_HALT(2000000) };
	struct mshv_sim_vp_stats st;
	struct sim_vcpu v[2] = { { .cpu = -1 }, { .cpu = -1 } };
	int i;

	v[0].vp_fd = sim_create_vp(self->fd, self->pt, 0, busy, 1, 0);
	v[1].vp_fd = sim_create_vp(self->fd, self->pt, 1, halt, 1, 0);
	for (i = 0; i < 2; i++) {
		ASSERT_LE(0, v[i].vp_fd);
		ASSERT_EQ(0, sim_vcpu_start(&v[i]));
	}
	sim_sleep_ms(200);
	ASSERT_EQ(0, sim_vp_stats(self->fd, self->pt, 0, &st, NULL));
	EXPECT_LT(0, st.run_ns);
	ASSERT_EQ(0, sim_vp_stats(self->fd, self->pt, 1, &st, NULL));
	EXPECT_EQ(1, st.halts);
	for (i = 0; i < 2; i++) {
		stop_running(_metadata, self->fd, self->pt, i, &v[i], false);
		close(v[i].vp_fd);
	}
}

/* A signal to the VMM thread stops the VP too, in both modes */
TEST_F(vp_task, signal_running)
{
	struct sim_vcpu v = { .cpu = -1 };

	v.vp_fd = sim_create_vp(self->fd, self->pt, 0, busy, 1, 0);
	ASSERT_LE(0, v.vp_fd);
	ASSERT_EQ(0, sim_vcpu_start(&v));
	sim_sleep_ms(100);
	stop_running(_metadata, self->fd, self->pt, 0, &v, true);
	close(v.vp_fd);
}

struct racer {
	int vp_fd;
	int eintr;		/* __atomic accesses */
	bool stop;		/* __atomic accesses */
	int err;
	__u64 msgs;
	__u64 bad_seq;
};

static void *racer_main(void *arg)
{
	struct racer *r = arg;
	struct mshv_sim_exit e;
	__u64 seq = 0;
	int ret;

	for (;;) {
		ret = sim_run_vp(r->vp_fd, &e);
		if (ret == -EINTR) {
			__atomic_add_fetch(&r->eintr, 1, __ATOMIC_ACQ_REL);
			if (__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE))
				break;
			continue;
		}
		if (ret || e.kind != MSHV_SIM_EXIT_INTERCEPT) {
			r->err = ret ?: -EPROTO;
			break;
		}
		if (e.seq != ++seq)
			r->bad_seq++;
		r->msgs++;
	}
	return NULL;
}

/*
 * 200 cancels from a second thread, at every moment of the VMM thread's
 * loop (entering MSHV_RUN_VP, computing, returning an intercept): each
 * makes exactly one MSHV_RUN_VP return EINTR; none is lost, none is
 * invented.
 */
TEST_F_TIMEOUT(vp_task, cancel_race, 120)
{
	static const struct mshv_sim_step chatty[] = {
		SIM_COMPUTE(200), SIM_INTERCEPT(1) };
	const struct mshv_sim_step *wl[2] = { busy, chatty };
	const __u32 nr[2] = { 1, 2 };
	int w, i, lost;
	pthread_t th;
	__u64 t0;

	for (w = 0; w < 2; w++) {
		struct racer r = { .err = 0 };

		r.vp_fd = sim_create_vp(self->fd, self->pt, w, wl[w], nr[w], 0);
		ASSERT_LE(0, r.vp_fd);
		ASSERT_EQ(0, pthread_create(&th, NULL, racer_main, &r));
		lost = 0;
		for (i = 0; i < 200 && !r.err; i++) {
			/* 0 to ~1 ms, a different moment each time */
			usleep((i * 37) % 1000);
			ASSERT_EQ(0, sim_cancel(r.vp_fd));
			t0 = sim_now_ns();
			while (__atomic_load_n(&r.eintr, __ATOMIC_ACQUIRE) <=
			       i && sim_now_ns() - t0 < 2000 * MS)
				usleep(100);
			if (__atomic_load_n(&r.eintr, __ATOMIC_ACQUIRE) <= i) {
				lost++;
				break;
			}
		}
		__atomic_store_n(&r.stop, true, __ATOMIC_RELEASE);
		ASSERT_EQ(0, sim_cancel(r.vp_fd));
		ASSERT_EQ(0, pthread_join(th, NULL));
		TH_LOG("workload %d: %d cancels, %d EINTR, %llu intercepts",
		       w, i, r.eintr, (unsigned long long)r.msgs);
		EXPECT_EQ(0, lost);
		EXPECT_EQ(0, r.err);
		EXPECT_EQ(0, r.bad_seq);
		EXPECT_EQ(201, r.eintr);
		if (w)
			EXPECT_LT(0, r.msgs);
		close(r.vp_fd);
	}
}

FIXTURE(mode) {
	int fd;
	__u64 pt0, vp0;
	char param[8];
};

FIXTURE_SETUP(mode)
{
	const char *skip;

	self->param[0] = 0;
	self->fd = sim_open_for_test(true, &skip);
	if (skip)
		SKIP(return, "%s", skip);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, sim_live(self->fd, &self->pt0, &self->vp0));
}

FIXTURE_TEARDOWN(mode)
{
	int fd;

	if (self->fd < 0)
		return;
	if (self->param[0]) {
		fd = open(VP_WORKERS_PARAM, O_WRONLY);
		if (fd >= 0) {
			EXPECT_EQ(1, write(fd, self->param, 1));
			close(fd);
		}
	}
	close(self->fd);
	fd = sim_open();
	EXPECT_EQ(0, sim_wait_live(fd, self->pt0, self->vp0, 5000));
	close(fd);
}

/* The mode a partition created with @flags gets: MSHV_VP_TASK_*, -errno */
static int pt_mode(int fd, __u32 flags)
{
	struct mshv_vp_task_info t;
	int vp_fd, ret;
	__u64 pt;

	ret = sim_create_partition_flags(fd, flags, &pt);
	if (ret)
		return ret;
	vp_fd = sim_create_vp(fd, pt, 0, one_intercept, 1, 1);
	if (vp_fd < 0)
		return vp_fd;
	ret = sim_vp_task(vp_fd, &t);
	close(vp_fd);
	sim_destroy_partition(fd, pt);
	return ret ?: (int)t.mode;
}

/*
 * The dispatch mode is chosen per partition; neither flag: the module
 * parameter vp_workers decides.  Both flags: EINVAL; workers under the
 * hypervisor's (core) scheduler: EOPNOTSUPP.
 */
TEST_F(mode, flags)
{
	__u32 both = MSHV_SIM_PARTITION_VP_WORKERS |
		     MSHV_SIM_PARTITION_VP_INLINE;
	__u32 core = MSHV_SIM_PARTITION_VP_WORKERS |
		     MSHV_SIM_PARTITION_CORE_SCHED;
	__u64 pt;
	int fd;

	EXPECT_EQ(-EINVAL, sim_create_partition_flags(self->fd, both, &pt));
	if (self->pt0) {
		TH_LOG("other partitions live: core scheduler not tried");
	} else {
		EXPECT_EQ(-EOPNOTSUPP,
			  sim_create_partition_flags(self->fd, core, &pt));
	}
	EXPECT_EQ(MSHV_VP_TASK_WORKER,
		  pt_mode(self->fd, MSHV_SIM_PARTITION_VP_WORKERS));
	EXPECT_EQ(MSHV_VP_TASK_INLINE,
		  pt_mode(self->fd, MSHV_SIM_PARTITION_VP_INLINE));

	fd = open(VP_WORKERS_PARAM, O_RDWR);
	if (fd < 0) {
		TH_LOG(VP_WORKERS_PARAM ": %s; default not tried",
		       strerror(errno));
		return;
	}
	ASSERT_EQ(1, read(fd, self->param, 1));
	EXPECT_EQ(self->param[0] == 'Y' ? MSHV_VP_TASK_WORKER :
		  MSHV_VP_TASK_INLINE, pt_mode(self->fd, 0));
	ASSERT_EQ(1, pwrite(fd, "Y", 1, 0));
	EXPECT_EQ(MSHV_VP_TASK_WORKER, pt_mode(self->fd, 0));
	EXPECT_EQ(MSHV_VP_TASK_INLINE,
		  pt_mode(self->fd, MSHV_SIM_PARTITION_VP_INLINE));
	ASSERT_EQ(1, pwrite(fd, "N", 1, 0));
	EXPECT_EQ(MSHV_VP_TASK_INLINE, pt_mode(self->fd, 0));
	EXPECT_EQ(MSHV_VP_TASK_WORKER,
		  pt_mode(self->fd, MSHV_SIM_PARTITION_VP_WORKERS));
	close(fd);
}

TEST_HARNESS_MAIN
