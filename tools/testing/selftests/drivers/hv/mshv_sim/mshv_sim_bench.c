// SPDX-License-Identifier: GPL-2.0
/*
 * mshv_sim benchmark: what the dispatch loop costs on the simulator, in
 * inline mode (the VMM thread dispatches) and in worker mode (a worker
 * task dispatches; the VMM thread sleeps in MSHV_RUN_VP), beside a plain
 * kernel thread's wake latency measured in the same run:
 *
 * - dispatch overhead: a null guest (MSHV_SIM_OP_NULL) dispatched N times
 *   in one MSHV_RUN_VP: wall time / dispatches;
 * - user-exit round trip: a guest that only intercepts: wall time per
 *   MSHV_RUN_VP;
 * - wake latency: a guest that halts 200 us and computes a little, over
 *   and over: halt timer kick to guest running again, p50 and p99.
 *
 * Then what SMT isolation costs: two VMMs with two busy VPs on workers,
 * each core given one VP of each partition, with isolation (the default)
 * and without (MSHV_PT_BIT_VP_SMT_SHARED): each partition's guest time,
 * the time siblings ran the two partitions together, and the forced idle
 * time core scheduling charged to the workers (core_forceidle_sum).
 *
 * Not a test: it prints tables and exits 0 unless something fails.
 * Options: -n dispatches (20000), -e exits (4000), -w wakes (1000),
 * -c the VMM thread's CPU (1), -s ms of each SMT run (2000; 0: none).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mshv_sim_lib.h"

#define HALT_US		200
#define REPEAT		3

enum { COL_INLINE, COL_WORKER, COL_WORKER_X, NR_COLS };

static const char * const col_name[NR_COLS] = {
	"inline", "worker", "worker-x" };

/* The guests: dispatch and come back at once; exit to the VMM at once */
static const struct mshv_sim_step null_step = SIM_NULL();
static const struct mshv_sim_step exit_step = SIM_INTERCEPT(1);

/* A partition of the column's mode, and a VP of @steps in it */
static int setup(int fd, int col, int other_cpu,
		 const struct mshv_sim_step *steps, __u32 nr, __u64 loops,
		 __u32 vp_flags, __u64 *pt)
{
	struct mshv_vp_task_info t;
	int vp_fd, ret;

	ret = sim_create_partition_flags(fd, col == COL_INLINE ?
					 MSHV_SIM_PARTITION_VP_INLINE :
					 MSHV_SIM_PARTITION_VP_WORKERS, pt);
	if (ret)
		return ret;
	vp_fd = sim_create_vp_flags(fd, *pt, 0, steps, nr, loops, vp_flags);
	if (vp_fd < 0 || col == COL_INLINE)
		return vp_fd;
	/* The worker inherits this thread's CPU; worker-x moves it */
	ret = sim_vp_task(vp_fd, &t);
	if (!ret && col == COL_WORKER_X)
		ret = sim_pin_task(t.tid, other_cpu, other_cpu);
	if (ret) {
		close(vp_fd);
		return ret;
	}
	return vp_fd;
}

static int teardown(int fd, int vp_fd, __u64 pt)
{
	close(vp_fd);
	return sim_destroy_partition(fd, pt);
}

/* Run the VP until DONE; the number of MSHV_RUN_VP calls, or -errno */
static long run_to_done(int vp_fd)
{
	struct mshv_sim_exit e;
	long calls = 0;
	int ret;

	do {
		ret = sim_run_vp(vp_fd, &e);
		if (ret)
			return ret;
		calls++;
	} while (e.kind != MSHV_SIM_EXIT_DONE);
	return calls;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

/*
 * Median ns per dispatch of a guest of one @step repeated @n times
 * (@per_dispatch), or per MSHV_RUN_VP call (the user-exit round trip)
 */
static int bench_loop(int fd, int col, int other,
		      const struct mshv_sim_step *step, int n,
		      bool per_dispatch, double *res)
{
	struct mshv_sim_vp_stats st;
	double r[REPEAT];
	int i, vp_fd, ret;
	__u64 pt, t0;
	long calls;

	for (i = 0; i < REPEAT; i++) {
		vp_fd = setup(fd, col, other, step, 1, n, 0, &pt);
		if (vp_fd < 0)
			return vp_fd;
		t0 = sim_now_ns();
		calls = run_to_done(vp_fd);
		r[i] = sim_now_ns() - t0;
		ret = calls < 0 ? calls : sim_vp_stats(fd, pt, 0, &st, NULL);
		if (!ret && st.dispatches < (__u64)n)
			ret = -EPROTO;
		teardown(fd, vp_fd, pt);
		if (ret)
			return ret;
		r[i] /= per_dispatch ? st.dispatches : (__u64)calls;
	}
	*res = median(r, REPEAT);
	return 0;
}

/* p50 and p99 of @n samples; -ENODATA when there are none */
static int percentiles(__u32 *ns, __u32 n, double *p50, double *p99)
{
	if (!n)
		return -ENODATA;
	qsort(ns, n, sizeof(*ns), cmp_u32);
	*p50 = ns[n / 2];
	*p99 = ns[n * 99 / 100 < n ? n * 99 / 100 : n - 1];
	return 0;
}

/* Wake latency of a guest halting HALT_US at a time: p50, p99 in ns */
static int bench_wake(int fd, int col, int other, __u32 n, double *p50,
		      double *p99)
{
	static const struct mshv_sim_step s[] = {
		SIM_HALT(HALT_US), SIM_COMPUTE(20) };
	__u32 *ns = calloc(MSHV_SIM_MAX_WAKE_SAMPLES, sizeof(*ns));
	__u32 nr = MSHV_SIM_MAX_WAKE_SAMPLES;
	int vp_fd, ret;
	long calls;
	__u64 pt;

	if (!ns)
		return -ENOMEM;
	vp_fd = setup(fd, col, other, s, 2, n, MSHV_SIM_VP_WAKE_LATENCY, &pt);
	if (vp_fd < 0) {
		free(ns);
		return vp_fd;
	}
	calls = run_to_done(vp_fd);
	ret = calls < 0 ? calls : sim_vp_wake_lat(fd, pt, 0, ns, &nr);
	teardown(fd, vp_fd, pt);
	if (!ret)
		ret = percentiles(ns, nr, p50, p99);
	free(ns);
	return ret;
}

/* The same for a plain kernel thread (/dev/mshv_sim_bench) */
static int bench_kthread(int cpu, __u32 n, double *p50, double *p99)
{
	__u32 *ns = calloc(n, sizeof(*ns));
	__u32 nr = n;
	int bfd, ret;

	if (!ns)
		return -ENOMEM;
	bfd = sim_bench_open();
	if (bfd < 0) {
		free(ns);
		return bfd;
	}
	ret = sim_kthread_wake(bfd, HALT_US, cpu, ns, &nr);
	close(bfd);
	if (!ret)
		ret = percentiles(ns, nr, p50, p99);
	free(ns);
	return ret;
}

static void row(const char *what, const double *v, double kthread,
		double scale, const char *unit)
{
	int c;

	printf("%-34s", what);
	for (c = 0; c < NR_COLS; c++) {
		if (v[c] < 0)
			printf("  %9s", "n/a");
		else
			printf("  %9.2f", v[c] / scale);
	}
	if (kthread < 0)
		printf("  %9s", "-");
	else
		printf("  %9.2f", kthread / scale);
	printf("  %s\n", unit);
}

/* Turn schedstats (core_forceidle_sum) on or off; the old value, or -1 */
static int schedstats(int on)
{
	const char *path = "/proc/sys/kernel/sched_schedstats";
	char old = 0;
	int fd, ret = -1;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (read(fd, &old, 1) == 1 && lseek(fd, 0, SEEK_SET) == 0 &&
	    write(fd, on ? "1" : "0", 1) == 1)
		ret = old == '1';
	close(fd);
	return ret;
}

/* SMT isolation on and off: see the top of this file */
static int bench_smt(int fd, int ms)
{
	static const char * const name[2] = { "isolated (default)",
					      "shared (SMT_SHARED)" };
	struct sim_smt_result r[2];
	struct sim_smt_core cores[2];
	int i, old, ret = 0;

	printf("\nSMT isolation, two partitions x two busy VPs on two cores, %d ms:\n",
	       ms);
	if (sim_smt_cores(cores, 2) < 2) {
		printf("n/a: needs two cores of two SMT siblings\n");
		return 0;
	}
	old = schedstats(1);
	for (i = 0; i < 2 && !ret; i++)
		ret = sim_scn_smt(fd, MSHV_SIM_PARTITION_VP_WORKERS |
				  (i ? MSHV_SIM_PARTITION_VP_SMT_SHARED : 0),
				  false, cores, ms, &r[i]);
	if (old >= 0)
		schedstats(old);
	if (ret)
		return ret;

	printf("%-22s  %12s  %12s  %12s  %12s\n", "workers",
	       "guest P0 %", "guest P1 %", "cross ms", "forceidle ms");
	for (i = 0; i < 2; i++) {
		/* Guest time per partition, in % of one CPU per VP */
		printf("%-22s  %12.1f  %12.1f  %12.3f  ", name[i],
		       (r[i].run_ns[0][0] + r[i].run_ns[0][1]) / 2 / 1e4 / ms,
		       (r[i].run_ns[1][0] + r[i].run_ns[1][1]) / 2 / 1e4 / ms,
		       r[i].cross_ns / 1e6);
		if (r[i].forceidle_ms < 0)
			printf("%12s\n", "n/a");
		else
			printf("%12.1f\n", r[i].forceidle_ms);
	}
	printf("guest %%: each partition's guest time per VP, in %% of one CPU\n");
	printf("cross: siblings running both partitions at once (simulator's ground truth)\n");
	return 0;
}

int main(int argc, char **argv)
{
	int nr_cpus = sysconf(_SC_NPROCESSORS_ONLN);
	double null_ns[NR_COLS], exit_ns[NR_COLS];
	double p50[NR_COLS], p99[NR_COLS], k50 = -1, k99 = -1;
	int n = 20000, nexit = 4000, nwake = 1000, cpu = 1, smt_ms = 2000;
	int fd, c, opt, other, ret = 0;
	bool tasks;

	while ((opt = getopt(argc, argv, "n:e:w:c:s:")) != -1) {
		switch (opt) {
		case 'n':
			n = atoi(optarg);
			break;
		case 'e':
			nexit = atoi(optarg);
			break;
		case 'w':
			nwake = atoi(optarg);
			break;
		case 'c':
			cpu = atoi(optarg);
			break;
		case 's':
			smt_ms = atoi(optarg);
			break;
		default:
			fprintf(stderr,
				"usage: %s [-n dispatches] [-e exits] [-w wakes] [-c cpu] [-s smt_ms]\n",
				argv[0]);
			return 2;
		}
	}
	if (nwake > MSHV_SIM_MAX_WAKE_SAMPLES)
		nwake = MSHV_SIM_MAX_WAKE_SAMPLES;
	if (cpu >= nr_cpus)
		cpu = nr_cpus - 1;
	/* worker-x: the worker on the other half of the machine */
	other = (cpu + nr_cpus / 2) % nr_cpus;

	fd = sim_open();
	if (fd < 0) {
		printf("mshv_sim bench: %s: %s\n", SIM_DEV, strerror(-fd));
		return fd == -ENOENT ? 0 : 1;
	}
	tasks = sim_has_vp_tasks(fd);
	ret = sim_pin_self(cpu);
	for (c = 0; c < NR_COLS && !ret; c++) {
		null_ns[c] = -1;
		exit_ns[c] = -1;
		p50[c] = -1;
		p99[c] = -1;
		if (c != COL_INLINE && !tasks)
			continue;
		ret = bench_loop(fd, c, other, &null_step, n, true,
				 &null_ns[c]);
		if (!ret)
			ret = bench_loop(fd, c, other, &exit_step, nexit,
					 false, &exit_ns[c]);
		if (!ret)
			ret = bench_wake(fd, c, other, nwake, &p50[c], &p99[c]);
		if (ret)
			fprintf(stderr, "mshv_sim bench: %s: %s\n",
				col_name[c], strerror(-ret));
	}
	if (!ret) {
		ret = bench_kthread(cpu, nwake, &k50, &k99);
		/* No mshv_sim_bench (CONFIG_MSHV_SIM_BENCH): no baseline */
		if (ret == -ENOENT) {
			k50 = -1;
			k99 = -1;
			ret = 0;
		}
	}
	if (ret) {
		close(fd);
		printf("mshv_sim bench: failed: %s\n", strerror(-ret));
		return 1;
	}

	printf("mshv_sim bench: %d CPUs; VMM thread and worker on CPU %d, worker-x on CPU %d\n",
	       nr_cpus, cpu, other);
	printf("%-34s  %9s  %9s  %9s  %9s  %s\n", "metric", col_name[0],
	       col_name[1], col_name[2], "kthread", "unit");
	printf("%-34s  %9s  %9s  %9s  %9s  %s\n",
	       "----------------------------------", "---------",
	       "---------", "---------", "---------", "-----------");
	row("dispatch overhead (null guest)", null_ns, -1, 1e3,
	    "us/dispatch");
	row("user-exit round trip (RUN_VP)", exit_ns, -1, 1e3, "us/exit");
	row("wake latency p50 (halt 200 us)", p50, k50, 1e3, "us");
	row("wake latency p99 (halt 200 us)", p99, k99, 1e3, "us");
	printf("%d null dispatches and %d exits: median of %d runs; %d wakes\n",
	       n, nexit, REPEAT, nwake);
	if (k50 < 0)
		printf("kthread: n/a, no %s (CONFIG_MSHV_SIM_BENCH)\n",
		       SIM_BENCH_DEV);
	else
		printf("kthread: a plain kernel thread woken by an hrtimer every %d us on CPU %d\n",
		       HALT_US, cpu);

	/* The workers inherit this thread's affinity: free them first */
	if (tasks && smt_ms > 0)
		ret = sim_pin_task(0, 0, nr_cpus - 1);
	if (tasks && smt_ms > 0 && !ret)
		ret = bench_smt(fd, smt_ms);
	close(fd);
	if (ret) {
		printf("mshv_sim bench: SMT: failed: %s\n", strerror(-ret));
		return 1;
	}
	return 0;
}
