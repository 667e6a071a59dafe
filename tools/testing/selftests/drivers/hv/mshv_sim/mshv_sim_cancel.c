// SPDX-License-Identifier: GPL-2.0
/*
 * mshv_sim: MSHV_CANCEL_RUN_VP holds whenever it arrives
 * (Documentation/ABI/testing/dev-mshv).
 *
 * A VMM thread runs a VP whose guest computes in 10 s steps, so only a
 * cancel makes MSHV_RUN_VP return.  Another thread cancels at random
 * moments: while the VP computes, while MSHV_RUN_VP returns, and while the
 * VMM thread re-enters it.  Every cancel must make exactly one MSHV_RUN_VP
 * return EINTR within CANCEL_BOUND_NS; a lost one would leave the VP
 * computing for seconds (or, on a nohz_full CPU with no tick, for ever).
 * 7,000 cancels with nothing pinned and 3,000 with the VP's task alone on
 * CPU 3 (booted nohz_full by the test runner), in inline and in worker
 * mode.  The latency distribution is reported, not asserted.
 *
 * Then bad input and faults: a cancel of a VP whose partition is
 * destroyed, of a VP that never ran, two cancels in a row, and SIGKILL of
 * a VMM in the middle of a cancel storm.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "../../../kselftest_harness.h"
#include "mshv_sim_lib.h"

#define MS	1000000ULL

/* A cancel that has not made MSHV_RUN_VP return by then is lost */
#define CANCEL_BOUND_NS	(2000 * MS)
/* A guest compute step so long that only a cancel ends MSHV_RUN_VP */
#define LONG_STEP_US	10000000
#define NR_ANY		7000
#define NR_CPU3		3000
#define CPU3		3
#define NR_STORM_VPS	4
#define NR_STORMS	5

static const struct mshv_sim_step long_compute[] = {
	SIM_COMPUTE(LONG_STEP_US) };
static const struct mshv_sim_step compute_intercept[] = {
	SIM_COMPUTE(1000), SIM_INTERCEPT(7) };

FIXTURE(cancel) {
	int fd;
	__u64 pt0, vp0;
	__u32 pt_flags;
};

FIXTURE_VARIANT(cancel) {
	bool workers;
};

FIXTURE_VARIANT_ADD(cancel, inline) { .workers = false };
FIXTURE_VARIANT_ADD(cancel, worker) { .workers = true };

static void sig_nop(int sig)
{
}

FIXTURE_SETUP(cancel)
{
	struct sigaction sa = { .sa_handler = sig_nop };
	const char *skip;

	self->fd = sim_open_for_test(true, &skip);
	if (skip)
		SKIP(return, "%s", skip);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, sim_live(self->fd, &self->pt0, &self->vp0));
	self->pt_flags = variant->workers ? MSHV_SIM_PARTITION_VP_WORKERS :
					    MSHV_SIM_PARTITION_VP_INLINE;
	/* No SA_RESTART: SIGUSR1 ends a MSHV_RUN_VP with EINTR. */
	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
}

FIXTURE_TEARDOWN(cancel)
{
	if (self->fd < 0)
		return;
	EXPECT_EQ(0, sim_wait_live(self->fd, self->pt0, self->vp0, 5000));
	close(self->fd);
}

static long futex(__u32 *uaddr, int op, __u32 val, const struct timespec *ts)
{
	return syscall(SYS_futex, uaddr, op, val, ts, NULL, 0);
}

/**
 * struct runner - A VMM thread that runs a VP until told to stop
 * @vp_fd: the VP
 * @lo: pin the thread to CPUs @lo .. @hi first; -1: no pinning
 * @hi: see @lo
 * @eintr: MSHV_RUN_VP calls that returned EINTR (a futex)
 * @ret_ns: when the latest of them returned
 * @stop: end the loop at the next EINTR
 * @done: the loop has ended
 * @err: the -errno that ended the loop otherwise
 */
struct runner {
	int vp_fd;
	int lo, hi;
	__u32 eintr;		/* __atomic accesses */
	__u64 ret_ns;		/* __atomic accesses */
	bool stop;		/* __atomic accesses */
	bool done;		/* __atomic accesses */
	int err;
	pthread_t thread;
};

static void *runner_main(void *arg)
{
	struct runner *r = arg;
	struct mshv_sim_exit e;
	int ret;

	if (r->lo >= 0)
		r->err = sim_pin_task(0, r->lo, r->hi);
	while (!r->err) {
		ret = sim_run_vp(r->vp_fd, &e);
		if (ret != -EINTR) {
			/* A guest that computes for ever sends no message */
			r->err = ret ?: -EPROTO;
			break;
		}
		__atomic_store_n(&r->ret_ns, sim_now_ns(), __ATOMIC_RELAXED);
		/* Release: @ret_ns is seen with the count */
		__atomic_add_fetch(&r->eintr, 1, __ATOMIC_RELEASE);
		futex(&r->eintr, FUTEX_WAKE_PRIVATE, 1, NULL);
		if (__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE))
			break;
	}
	/* Wake a waiter for an EINTR that will not come */
	__atomic_store_n(&r->done, true, __ATOMIC_RELEASE);
	futex(&r->eintr, FUTEX_WAKE_PRIVATE, 1, NULL);
	return NULL;
}

/*
 * Wait until more than @n EINTR returned, the runner ended or @deadline
 * passed: whether they did return
 */
static bool wait_eintr(struct runner *r, __u32 n, __u64 deadline)
{
	struct timespec ts;
	__u64 now, left;
	__u32 v;

	/* Acquire pairs with the release in runner_main() */
	while ((v = __atomic_load_n(&r->eintr, __ATOMIC_ACQUIRE)) <= n) {
		now = sim_now_ns();
		if (now >= deadline ||
		    __atomic_load_n(&r->done, __ATOMIC_ACQUIRE))
			return false;
		left = deadline - now;
		ts.tv_sec = left / 1000000000ULL;
		ts.tv_nsec = left % 1000000000ULL;
		futex(&r->eintr, FUTEX_WAIT_PRIVATE, v, &ts);
	}
	return true;
}

/* Wait up to @ms for the runner's loop to end: whether it did */
static bool wait_done(struct runner *r, int ms)
{
	while (!__atomic_load_n(&r->done, __ATOMIC_ACQUIRE) && ms-- > 0)
		usleep(1000);
	return __atomic_load_n(&r->done, __ATOMIC_ACQUIRE);
}

/*
 * Stop the runner: a cancel, then signals if it does not return; whether
 * it was joined (a runner stuck in MSHV_RUN_VP is not)
 */
static bool runner_stop(struct runner *r)
{
	int i;

	__atomic_store_n(&r->stop, true, __ATOMIC_RELEASE);
	sim_cancel(r->vp_fd);
	for (i = 0; i < 20 && !wait_done(r, 100); i++)
		pthread_kill(r->thread, SIGUSR1);
	if (!wait_done(r, 0))
		return false;
	return !pthread_join(r->thread, NULL);
}

static __u64 rnd_next(__u64 *s)
{
	/* xorshift64 */
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * Wait for a random moment: none (the runner is still returning from, or
 * re-entering, MSHV_RUN_VP), a few microseconds, or up to 1 ms (the VP
 * computes)
 */
static void random_moment(__u64 *seed)
{
	__u64 r = rnd_next(seed), end;

	switch (r % 4) {
	case 0:
		break;
	case 1:
		end = sim_now_ns() + (r >> 8) % 50000;
		while (sim_now_ns() < end)
			;
		break;
	default:
		usleep((r >> 8) % 1000);
		break;
	}
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

/* Whether this thread may run on @cpu */
static bool cpu_usable(int cpu)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set))
		return false;
	return CPU_ISSET(cpu, &set);
}

/* The local timer interrupts @cpu took (/proc/interrupts LOC); -1 */
static long long local_timer_irqs(int cpu)
{
	char line[4096], name[16], *p, *tok;
	FILE *f = fopen("/proc/interrupts", "re");
	long long n = -1;
	int col = -1, i = 0;

	if (!f)
		return -1;
	snprintf(name, sizeof(name), "CPU%d", cpu);
	/* The header names the online CPUs' columns */
	if (fgets(line, sizeof(line), f)) {
		for (tok = strtok(line, " \t\n"); tok;
		     tok = strtok(NULL, " \t\n"), i++)
			if (!strcmp(tok, name))
				col = i;
	}
	while (col >= 0 && fgets(line, sizeof(line), f)) {
		p = line + strspn(line, " ");
		if (strncmp(p, "LOC:", 4))
			continue;
		p += 4;
		for (i = 0; i <= col; i++)
			n = strtoll(p, &p, 10);
		break;
	}
	fclose(f);
	return n;
}

/* /sys/devices/system/cpu/nohz_full, in @buf */
static void nohz_full_cpus(char *buf, size_t len)
{
	int fd = open("/sys/devices/system/cpu/nohz_full", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, len - 1);

	if (fd >= 0)
		close(fd);
	if (n <= 0) {
		snprintf(buf, len, "none");
		return;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\0'))
		n--;
	buf[n] = 0;
}

/*
 * @nr cancels at random moments of a VP that computes for ever, run by a
 * VMM thread (inline) or its worker (worker mode), on any CPU or, with
 * @cpu3, alone on CPU 3 while this thread cancels from the others
 */
static void stress(struct __test_metadata *_metadata, int fd,
		   __u32 pt_flags, bool workers, bool cpu3, int nr)
{
	struct runner r = { .lo = -1, .hi = -1 };
	struct mshv_vp_task_info t;
	long long loc0 = -1, loc1;
	__u64 *lat, pt, seed, t0, ret_ns;
	struct sim_window w;
	int i, lost = -1;
	__u32 eintr_at_stop;
	char nohz[64];

	if (cpu3 && !cpu_usable(CPU3))
		SKIP(return, "CPU %d not usable", CPU3);
	lat = calloc(nr, sizeof(*lat));
	ASSERT_NE(NULL, lat);
	seed = sim_now_ns() | 1;
	TH_LOG("seed %llu", (unsigned long long)seed);

	ASSERT_EQ(0, sim_create_partition_flags(fd, pt_flags, &pt));
	r.vp_fd = sim_create_vp(fd, pt, 0, long_compute, 1, 0);
	ASSERT_LE(0, r.vp_fd);
	if (workers) {
		/* Created in this thread; moved to CPU 3 alone */
		ASSERT_EQ(0, sim_vp_task(r.vp_fd, &t));
		ASSERT_EQ(MSHV_VP_TASK_WORKER, t.mode);
		if (cpu3)
			ASSERT_EQ(0, sim_pin_task(t.tid, CPU3, CPU3));
	}
	if (cpu3) {
		/* The VMM thread runs the VP there (inline) or waits aside */
		r.lo = workers ? 0 : CPU3;
		r.hi = workers ? CPU3 - 1 : CPU3;
		ASSERT_EQ(0, sim_pin_task(0, 0, CPU3 - 1));
		loc0 = local_timer_irqs(CPU3);
	}
	ASSERT_EQ(0, sim_window_start(fd, pt, 0, &w));
	ASSERT_EQ(0, pthread_create(&r.thread, NULL, runner_main, &r));
	sim_sleep_ms(20);

	for (i = 0; i < nr; i++) {
		random_moment(&seed);
		t0 = sim_now_ns();
		ASSERT_EQ(0, sim_cancel(r.vp_fd));
		if (!wait_eintr(&r, i, t0 + CANCEL_BOUND_NS)) {
			lost = i;
			break;
		}
		ret_ns = __atomic_load_n(&r.ret_ns, __ATOMIC_RELAXED);
		lat[i] = ret_ns > t0 ? ret_ns - t0 : 0;
	}
	if (lost >= 0 && !__atomic_load_n(&r.done, __ATOMIC_ACQUIRE))
		TH_LOG("cancel %d lost: MSHV_RUN_VP still runs %llu ms after it",
		       lost, CANCEL_BOUND_NS / MS);
	eintr_at_stop = __atomic_load_n(&r.eintr, __ATOMIC_ACQUIRE);
	EXPECT_TRUE(runner_stop(&r)) {
		TH_LOG("the VMM thread does not leave MSHV_RUN_VP");
		return;
	}
	loc1 = local_timer_irqs(CPU3);
	ASSERT_EQ(0, sim_window_end(fd, pt, 0, &w));
	EXPECT_EQ(-1, lost);
	EXPECT_EQ(0, r.err) {
		TH_LOG("MSHV_RUN_VP: %s", strerror(-r.err));
	}
	/*
	 * One EINTR per cancel: none lost, none invented.  The stop's cancel
	 * stays pending if the runner saw the stop before running again.
	 */
	if (!r.err) {
		EXPECT_EQ(nr, eintr_at_stop);
		EXPECT_GE(nr + 1, r.eintr);
	}
	EXPECT_LT(0, w.run_ns);
	if (cpu3)
		EXPECT_LT(99.0, sim_window_pct(&w, CPU3, CPU3));

	if (lost < 0 && !r.err) {
		qsort(lat, nr, sizeof(*lat), cmp_u64);
		ksft_print_msg("cancel latency %s %s: p50 %llu us p99 %llu us max %llu us\n",
			       workers ? "worker" : "inline",
			       cpu3 ? "cpu3" : "any",
			       lat[nr / 2] / 1000,
			       lat[(nr * 99ULL) / 100] / 1000,
			       lat[nr - 1] / 1000);
	}
	if (cpu3) {
		nohz_full_cpus(nohz, sizeof(nohz));
		ksft_print_msg("%d cancels in %.1f s, nohz_full=%s, CPU%d LOC irqs %lld\n",
			       nr, w.t_ns / 1e9, nohz, CPU3,
			       loc0 >= 0 && loc1 >= 0 ? loc1 - loc0 : -1LL);
	} else {
		ksft_print_msg("%d cancels in %.1f s\n", nr, w.t_ns / 1e9);
	}
	fflush(stdout);
	free(lat);
	close(r.vp_fd);
	EXPECT_EQ(0, sim_destroy_partition(fd, pt));
}

TEST_F_TIMEOUT(cancel, stress_any, 300)
{
	stress(_metadata, self->fd, self->pt_flags, variant->workers, false,
	       NR_ANY);
}

TEST_F_TIMEOUT(cancel, stress_cpu3, 300)
{
	stress(_metadata, self->fd, self->pt_flags, variant->workers, true,
	       NR_CPU3);
}

/*
 * A cancel of a VP whose partition is destroyed returns 0, or the errno
 * of the explicit suspend register's write (ENODEV); it stands all the
 * same: the next MSHV_RUN_VP returns EINTR, the one after it ENODEV (the
 * partition is gone).  Whether the VP ran or not; a closed VP file gives
 * EBADF.  Everything is freed once the VP files are closed.
 */
TEST_F(cancel, destroyed_partition)
{
	struct mshv_sim_exit e;
	int ctl, vp_fd[2], i, ret;
	__u64 pt;

	ctl = sim_open();
	ASSERT_LE(0, ctl);
	ASSERT_EQ(0, sim_create_partition_flags(ctl, self->pt_flags, &pt));
	for (i = 0; i < 2; i++) {
		vp_fd[i] = sim_create_vp(ctl, pt, i, compute_intercept,
					 SIM_ARRAY_SIZE(compute_intercept), 0);
		ASSERT_LE(0, vp_fd[i]);
	}
	/* VP 0 ran (and has its worker); VP 1 never did */
	ASSERT_EQ(0, sim_run_vp(vp_fd[0], &e));
	EXPECT_EQ(MSHV_SIM_EXIT_INTERCEPT, e.kind);
	ASSERT_EQ(0, sim_destroy_partition(ctl, pt));

	for (i = 0; i < 2; i++) {
		ret = sim_cancel(vp_fd[i]);
		EXPECT_TRUE(!ret || ret == -ENODEV) {
			TH_LOG("VP %d: cancel: %s", i, strerror(-ret));
		}
		ret = sim_cancel(vp_fd[i]);
		EXPECT_TRUE(!ret || ret == -ENODEV) {
			TH_LOG("VP %d: second cancel: %s", i, strerror(-ret));
		}
		EXPECT_EQ(-EINTR, sim_run_vp(vp_fd[i], &e)) {
			TH_LOG("VP %d: the cancel did not stand", i);
		}
		EXPECT_EQ(-ENODEV, sim_run_vp(vp_fd[i], &e)) {
			TH_LOG("VP %d", i);
		}
		close(vp_fd[i]);
		EXPECT_EQ(-EBADF, sim_cancel(vp_fd[i]));
	}
	close(ctl);
}

/*
 * The owner's control file closed while the VP computes (a VMM's exit):
 * its MSHV_RUN_VP fails with ENODEV; a cancel then stands as above.
 */
TEST_F(cancel, destroyed_running)
{
	struct runner r = { .lo = -1, .hi = -1 };
	struct mshv_sim_exit e;
	int ctl, ret;
	__u64 pt;

	ctl = sim_open();
	ASSERT_LE(0, ctl);
	ASSERT_EQ(0, sim_create_partition_flags(ctl, self->pt_flags, &pt));
	r.vp_fd = sim_create_vp(ctl, pt, 0, long_compute, 1, 0);
	ASSERT_LE(0, r.vp_fd);
	ASSERT_EQ(0, pthread_create(&r.thread, NULL, runner_main, &r));
	sim_sleep_ms(100);
	close(ctl);
	/* The runner ends on the error; it would hang on a lost wake-up */
	EXPECT_TRUE(wait_done(&r, CANCEL_BOUND_NS / MS));
	EXPECT_EQ(-ENODEV, r.err) {
		TH_LOG("MSHV_RUN_VP: %s", strerror(-r.err));
	}
	ASSERT_TRUE(runner_stop(&r));

	ret = sim_cancel(r.vp_fd);
	EXPECT_TRUE(!ret || ret == -ENODEV) {
		TH_LOG("cancel: %s", strerror(-ret));
	}
	EXPECT_EQ(-EINTR, sim_run_vp(r.vp_fd, &e));
	EXPECT_EQ(-ENODEV, sim_run_vp(r.vp_fd, &e));
	close(r.vp_fd);
}

/*
 * A cancel of a VP that never ran is sticky: the next MSHV_RUN_VP returns
 * EINTR at once, without running the guest's step; the one after runs it.
 * Likewise in worker mode for a VP whose worker exists but never ran it.
 */
TEST_F(cancel, never_ran)
{
	struct mshv_vp_task_info t;
	struct mshv_sim_vp_stats st;
	struct mshv_sim_exit e;
	int vp_fd, i;
	__u64 pt, t0;

	ASSERT_EQ(0, sim_create_partition_flags(self->fd, self->pt_flags,
						&pt));
	for (i = 0; i < 2; i++) {
		vp_fd = sim_create_vp(self->fd, pt, i, compute_intercept,
				      SIM_ARRAY_SIZE(compute_intercept), 1);
		ASSERT_LE(0, vp_fd);
		if (i)
			ASSERT_EQ(0, sim_vp_task(vp_fd, &t));
		ASSERT_EQ(0, sim_cancel(vp_fd));
		t0 = sim_now_ns();
		EXPECT_EQ(-EINTR, sim_run_vp(vp_fd, &e));
		EXPECT_GT(500 * MS, sim_now_ns() - t0);
		ASSERT_EQ(0, sim_vp_stats(self->fd, pt, i, &st, NULL));
		/* The 1 ms step did not run */
		EXPECT_GT(MS, st.run_ns);

		ASSERT_EQ(0, sim_run_vp(vp_fd, &e));
		EXPECT_EQ(MSHV_SIM_EXIT_INTERCEPT, e.kind);
		EXPECT_EQ(7, e.arg);
		EXPECT_EQ(1, e.seq);
		ASSERT_EQ(0, sim_run_vp(vp_fd, &e));
		EXPECT_EQ(MSHV_SIM_EXIT_DONE, e.kind);
		close(vp_fd);
	}
	EXPECT_EQ(0, sim_destroy_partition(self->fd, pt));
}

/*
 * Two cancels in a row with no MSHV_RUN_VP running give one EINTR: the
 * cancel is a state, not a count.  Before the first run and at an
 * intercept (MSHV_RUN_VP returned a message) alike; the workload goes on
 * in order.
 */
TEST_F(cancel, twice)
{
	struct mshv_sim_exit e;
	int vp_fd, i;
	__u64 pt;

	ASSERT_EQ(0, sim_create_partition_flags(self->fd, self->pt_flags,
						&pt));
	vp_fd = sim_create_vp(self->fd, pt, 0, compute_intercept,
			      SIM_ARRAY_SIZE(compute_intercept), 3);
	ASSERT_LE(0, vp_fd);
	for (i = 1; i <= 3; i++) {
		ASSERT_EQ(0, sim_cancel(vp_fd));
		ASSERT_EQ(0, sim_cancel(vp_fd));
		EXPECT_EQ(-EINTR, sim_run_vp(vp_fd, &e));
		ASSERT_EQ(0, sim_run_vp(vp_fd, &e)) {
			TH_LOG("intercept %d: a second EINTR", i);
		}
		EXPECT_EQ(MSHV_SIM_EXIT_INTERCEPT, e.kind);
		EXPECT_EQ(i, e.seq);
	}
	ASSERT_EQ(0, sim_run_vp(vp_fd, &e));
	EXPECT_EQ(MSHV_SIM_EXIT_DONE, e.kind);
	close(vp_fd);
	EXPECT_EQ(0, sim_destroy_partition(self->fd, pt));
}

struct storm {
	int vp_fd;
	__u64 seed;
};

static void *storm_main(void *arg)
{
	struct storm *s = arg;

	for (;;) {
		sim_cancel(s->vp_fd);
		usleep(rnd_next(&s->seed) % 200);
	}
	return NULL;
}

/*
 * A VMM: its own control file, a partition with NR_STORM_VPS VPs, a vCPU
 * thread each (EINTR: run again) and a thread cancelling each for ever
 */
static void storm_vmm(__u32 pt_flags, pid_t parent, int ready)
{
	static const struct mshv_sim_step mixed[] = {
		SIM_COMPUTE(LONG_STEP_US), SIM_HALT(300), SIM_INTERCEPT(1) };
	struct sim_vcpu v[NR_STORM_VPS];
	struct storm s[NR_STORM_VPS];
	pthread_t th;
	int fd, i;
	__u64 pt;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(1);
	fd = sim_open();
	if (fd < 0 || sim_create_partition_flags(fd, pt_flags, &pt))
		_exit(1);
	for (i = 0; i < NR_STORM_VPS; i++) {
		v[i].cpu = -1;
		/* VP 0 computes; the others halt and exit too */
		v[i].vp_fd = sim_create_vp(fd, pt, i, mixed,
					   i ? SIM_ARRAY_SIZE(mixed) : 1, 0);
		s[i].vp_fd = v[i].vp_fd;
		s[i].seed = sim_now_ns() + i;
		if (v[i].vp_fd < 0 || sim_vcpu_start(&v[i]) ||
		    pthread_create(&th, NULL, storm_main, &s[i]))
			_exit(1);
	}
	if (write(ready, "r", 1) != 1)
		_exit(1);
	for (;;)
		pause();
}

/* SIGKILL of a VMM during a cancel storm: it exits, and frees all */
TEST_F_TIMEOUT(cancel, sigkill_storm, 120)
{
	int pipefd[2], status, n, ret, nr_d;
	__u64 t0, t_reaped;
	pid_t pid, d[4];
	char c;

	for (n = 0; n < NR_STORMS; n++) {
		ASSERT_EQ(0, pipe(pipefd));
		fflush(stdout);
		fflush(stderr);
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			close(pipefd[0]);
			storm_vmm(self->pt_flags, getppid(), pipefd[1]);
			_exit(1);
		}
		close(pipefd[1]);
		ASSERT_EQ(1, read(pipefd[0], &c, 1));
		close(pipefd[0]);
		sim_sleep_ms(50 + (n * 37) % 200);

		t0 = sim_now_ns();
		ASSERT_EQ(0, kill(pid, SIGKILL));
		do {
			ret = waitpid(pid, &status, WNOHANG);
			if (!ret)
				usleep(1000);
		} while (!ret && sim_now_ns() - t0 < 10000 * MS);
		t_reaped = sim_now_ns();
		EXPECT_EQ(pid, ret) {
			d[0] = 0;
			sim_threads_state(pid, 'D', &nr_d, d, 4);
			TH_LOG("VMM not gone 10 s after SIGKILL: %d threads in D state, first %d",
			       nr_d, d[0]);
			return;
		}
		EXPECT_TRUE(WIFSIGNALED(status));
		EXPECT_EQ(SIGKILL, WTERMSIG(status));
		EXPECT_EQ(0, sim_wait_live(self->fd, self->pt0, self->vp0,
					   5000));
		TH_LOG("storm %d: reaped %.1f ms after SIGKILL, all freed after %.1f ms",
		       n, (t_reaped - t0) / 1e6, (sim_now_ns() - t0) / 1e6);
	}
}

TEST_HARNESS_MAIN
