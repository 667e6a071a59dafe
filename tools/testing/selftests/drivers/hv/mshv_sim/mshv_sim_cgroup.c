// SPDX-License-Identifier: GPL-2.0
/*
 * mshv_sim: on the integrated scheduler, a VP's worker is a task of the
 * VMM process, so cgroup v2, CPU hotplug and real-time policies apply to
 * it.  Each test asserts the band on the simulator's ground truth:
 *
 * - Hyper-V's "Table 3": 2 VMMs at cpu.weight 200 and 2 at 50, all busy
 *   on one CPU: production 80% +/- 3 points, test 20% +/- 3;
 * - cpu.max "25000 100000": the cgroup's CPU usage 25% +/- 2 points of
 *   one CPU, the VP's guest time within it;
 * - a VMM moved between cgroups while it runs keeps running;
 * - a CPU offlined and onlined under a running worker: it keeps running,
 *   never on the offline CPU;
 * - a SCHED_FIFO worker preempts a CFS worker on the same CPU.
 *
 * Table 3 and the cap under the core-scheduler emulation are reported
 * (not asserted): the "before" picture.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../../kselftest_harness.h"
#include "mshv_sim_lib.h"

#define MS		1000000ULL
#define SETTLE_MS	300
#define WINDOW_MS	3000

static const struct mshv_sim_step busy[] = { SIM_COMPUTE(100000) };

/* What a test started, for the teardown to end */
struct cg_state {
	int fd;
	__u64 pt;
	struct sim_vcpu v[2];
	int nr_running;
	struct sim_vmm vmm;
	char cg[2][SIM_CG_PATH_MAX];
	char online[64];	/* a CPU's online file, to write 1 to */
};

FIXTURE(cg) {
	struct cg_state s;
	int cpu;		/* the last CPU */
	__u64 pt0, vp0;
};

FIXTURE_SETUP(cg)
{
	struct cg_state *s = &self->s;
	const char *skip;
	int ret;

	memset(s, 0, sizeof(*s));
	s->vmm.pid = -1;
	s->fd = sim_open_for_test(true, &skip);
	if (skip)
		SKIP(return, "%s", skip);
	ASSERT_LE(0, s->fd);
	ret = sim_cg_setup();
	if (ret) {
		close(s->fd);
		s->fd = -1;
		SKIP(return, "cgroup v2 with cpu and cpuset: %s",
		     strerror(-ret));
	}
	/*
	 * The last CPU that keeps its tick: on a nohz_full CPU a SCHED_FIFO
	 * task stops the tick, and the fair server then overruns its budget.
	 */
	self->cpu = sysconf(_SC_NPROCESSORS_ONLN) - 1;
	while (self->cpu > 1 && sim_cpu_nohz_full(self->cpu))
		self->cpu--;
	if (self->cpu < 1) {
		close(s->fd);
		s->fd = -1;
		SKIP(return, "needs 2 CPUs");
	}
	ASSERT_EQ(0, sim_live(s->fd, &self->pt0, &self->vp0));
}

FIXTURE_TEARDOWN(cg)
{
	struct cg_state *s = &self->s;
	int i, fd;

	if (s->fd < 0)
		return;
	if (s->online[0]) {
		fd = open(s->online, O_WRONLY);
		EXPECT_EQ(1, write(fd, "1", 1));
		close(fd);
	}
	for (i = 0; i < s->nr_running; i++) {
		sim_vcpu_stop(&s->v[i]);
		EXPECT_EQ(0, sim_vcpu_join(&s->v[i]));
		close(s->v[i].vp_fd);
	}
	if (s->vmm.pid > 0)
		sim_vmm_kill(&s->vmm);
	if (s->vmm.pt_id)
		s->pt = s->vmm.pt_id;
	if (s->pt)
		EXPECT_EQ(0, sim_destroy_partition(s->fd, s->pt));
	for (i = 0; i < 2; i++)
		if (s->cg[i][0])
			EXPECT_EQ(0, sim_cg_remove(s->cg[i]));
	close(s->fd);
	fd = sim_open();
	EXPECT_EQ(0, sim_wait_live(fd, self->pt0, self->vp0, 5000));
	close(fd);
}

/*
 * Table 3: four VMM processes, each one partition with a busy VP in
 * worker mode, each in its own cgroup (cpu.weight 200, 200, 50, 50), the
 * four workers pinned to one CPU.  Both the cgroups' CPU time, which
 * cpu.weight divides, and the VPs' guest time are split 80/20.
 */
TEST_F(cg, table3)
{
	double prod, test, use;

	ASSERT_EQ(0, sim_scn_table3(self->s.fd, false, self->cpu, WINDOW_MS,
				    &prod, &test, &use));
	TH_LOG("Table 3, integrated: guest %.1f%% / %.1f%%, cgroup CPU %.1f%% / %.1f%% (80/20)",
	       prod, test, use, 100.0 - use);
	EXPECT_LE(77.0, prod);
	EXPECT_GE(83.0, prod);
	EXPECT_LE(17.0, test);
	EXPECT_GE(23.0, test);
	EXPECT_LE(77.0, use);
	EXPECT_GE(83.0, use);
}

/*
 * cpu.max 25 ms per 100 ms on the VMM of a busy VP in worker mode: the
 * property is that cpu.max caps what the VP costs, so the measure is the
 * cgroup's own CPU time (cpu.stat usage_usec) over the window: 25% +/- 2
 * points of one CPU.  Guest time is part of it: the root's interrupts
 * taken on the worker's CPU, and the worker's own work between
 * dispatches, are not guest time (the simulator, like the hypervisor,
 * returns to the root for each root interrupt), so guest time is at most
 * the usage, and most of it.
 */
TEST_F(cg, cap)
{
	struct cg_state *s = &self->s;
	struct sim_vmm_cfg cfg = {
		.ctl_fd = s->fd,
		.pt_flags = MSHV_SIM_PARTITION_VP_WORKERS,
		.nr_vps = 1,
		.steps = busy,
		.nr_steps = 1,
		.loops = 0,
		.cpu = -1,
	};
	struct sim_window w;
	long u0, u1;
	double usage, guest;

	ASSERT_EQ(0, sim_cg_create("mshv_sim_cap", s->cg[0]));
	ASSERT_EQ(0, sim_cg_set_max(s->cg[0], "25000 100000"));
	cfg.cgroup = s->cg[0];
	ASSERT_EQ(0, sim_vmm_spawn(&s->vmm, &cfg));
	ASSERT_EQ(0, sim_pin_task(s->vmm.task[0].tid, self->cpu, self->cpu));
	ASSERT_EQ(0, sim_vmm_run(&s->vmm));
	sim_sleep_ms(SETTLE_MS);

	ASSERT_EQ(0, sim_cg_read_key(s->cg[0], "cpu.stat", "usage_usec", &u0));
	ASSERT_EQ(0, sim_window_start(s->fd, s->vmm.pt_id, 0, &w));
	sim_sleep_ms(WINDOW_MS);
	ASSERT_EQ(0, sim_cg_read_key(s->cg[0], "cpu.stat", "usage_usec", &u1));
	ASSERT_EQ(0, sim_window_end(s->fd, s->vmm.pt_id, 0, &w));
	ASSERT_LT(0, w.t_ns);

	usage = 100.0 * (u1 - u0) * 1000 / w.t_ns;
	guest = 100.0 * w.run_ns / w.t_ns;
	TH_LOG("cpu.max 25%%, integrated: cgroup usage %.1f%%, guest %.1f%% of a CPU",
	       usage, guest);
	EXPECT_LE(23.0, usage);
	EXPECT_GE(27.0, usage);
	/* Half a point: the two reads are not at the same instant */
	EXPECT_GE(usage + 0.5, guest);
	EXPECT_LE(0.6 * usage, guest);
}

/* The same under the core-scheduler emulation: reported only */
TEST_F(cg, core_report)
{
	double prod, test, pct;

	ASSERT_EQ(0, sim_scn_table3(self->s.fd, true, self->cpu, WINDOW_MS,
				    &prod, &test, NULL));
	TH_LOG("before (core scheduler): Table 3 production %.1f%%, test %.1f%%",
	       prod, test);
	ASSERT_EQ(0, sim_scn_cap(self->s.fd, true, self->cpu, 25000,
				 WINDOW_MS, &pct));
	TH_LOG("before (core scheduler): cpu.max 25%% -> %.1f%% of a CPU",
	       pct);
}

/* Guest time of VP 0 of @pt over @ms */
static __u64 ran_ns(struct __test_metadata *_metadata, int fd, __u64 pt,
		    int ms, struct sim_window *w)
{
	EXPECT_EQ(0, sim_window_start(fd, pt, 0, w));
	sim_sleep_ms(ms);
	EXPECT_EQ(0, sim_window_end(fd, pt, 0, w));
	return w->run_ns;
}

/*
 * A running VMM moved between two cgroups, threads and worker included,
 * keeps running: its VP's guest time grows after each move.
 */
TEST_F(cg, move)
{
	struct cg_state *s = &self->s;
	struct sim_vmm_cfg cfg = {
		.ctl_fd = s->fd,
		.pt_flags = MSHV_SIM_PARTITION_VP_WORKERS,
		.nr_vps = 1,
		.steps = busy,
		.nr_steps = 1,
		.cgroup = s->cg[0],
		.cpu = -1,
	};
	char where[256], want[SIM_CG_PATH_MAX + 8];
	struct sim_window w;
	pid_t worker;
	int i, to;

	ASSERT_EQ(0, sim_cg_create("mshv_sim_move_a", s->cg[0]));
	ASSERT_EQ(0, sim_cg_create("mshv_sim_move_b", s->cg[1]));
	ASSERT_EQ(0, sim_cg_set_weight(s->cg[1], 50));
	ASSERT_EQ(0, sim_vmm_spawn(&s->vmm, &cfg));
	worker = s->vmm.task[0].tid;
	ASSERT_LT(0, worker);
	ASSERT_EQ(0, sim_vmm_run(&s->vmm));
	sim_sleep_ms(SETTLE_MS);
	EXPECT_LT(0, ran_ns(_metadata, s->fd, s->vmm.pt_id, 200, &w));

	for (i = 0; i < 4; i++) {
		to = (i + 1) % 2;
		ASSERT_EQ(0, sim_cg_move(s->cg[to], s->vmm.pid));
		/* The worker moved with its process */
		ASSERT_EQ(0, sim_cg_of(s->vmm.pid, worker, where,
				       sizeof(where)));
		snprintf(want, sizeof(want), "0::%s",
			 s->cg[to] + strlen(SIM_CG_ROOT));
		EXPECT_STREQ(want, where);
		EXPECT_LT(50 * MS, ran_ns(_metadata, s->fd, s->vmm.pt_id,
					  500, &w));
	}
}

/* Run a busy VP in worker mode in this process; its worker's TID */
static pid_t run_busy_worker(struct __test_metadata *_metadata,
			     struct cg_state *s, int i)
{
	struct mshv_vp_task_info t;

	s->v[i].cpu = -1;
	s->v[i].vp_fd = sim_create_vp(s->fd, s->pt, i, busy, 1, 0);
	EXPECT_LE(0, s->v[i].vp_fd);
	if (s->v[i].vp_fd < 0)
		return -1;
	EXPECT_EQ(0, sim_vp_task(s->v[i].vp_fd, &t));
	EXPECT_EQ(0, sim_vcpu_start(&s->v[i]));
	s->nr_running++;
	return t.tid;
}

/*
 * A worker allowed on the last two CPUs runs while the last one goes
 * offline and comes back: it keeps running, and none of its guest time
 * lands on the CPU while it is offline.
 */
TEST_F(cg, hotplug)
{
	struct cg_state *s = &self->s;
	int cpu = self->cpu, fd;
	struct sim_window w;
	pid_t worker;

	snprintf(s->online, sizeof(s->online),
		 "/sys/devices/system/cpu/cpu%d/online", cpu);
	fd = open(s->online, O_WRONLY);
	if (fd < 0) {
		s->online[0] = 0;
		SKIP(return, "cpu%d cannot go offline", cpu);
	}
	ASSERT_EQ(0, sim_create_partition_flags(s->fd,
						MSHV_SIM_PARTITION_VP_WORKERS,
						&s->pt));
	worker = run_busy_worker(_metadata, s, 0);
	ASSERT_LT(0, worker);
	ASSERT_EQ(0, sim_pin_task(worker, cpu - 1, cpu));
	sim_sleep_ms(SETTLE_MS);
	EXPECT_LT(0, ran_ns(_metadata, s->fd, s->pt, 500, &w));

	ASSERT_EQ(1, pwrite(fd, "0", 1, 0));
	/* Let the last dispatch on that CPU be accounted */
	sim_sleep_ms(100);
	EXPECT_LT(100 * MS, ran_ns(_metadata, s->fd, s->pt, 1000, &w));
	EXPECT_EQ(0, w.cpu_ns[cpu]);
	EXPECT_EQ(w.run_ns, w.cpu_ns[cpu - 1]);

	ASSERT_EQ(1, pwrite(fd, "1", 1, 0));
	s->online[0] = 0;
	sim_sleep_ms(100);
	EXPECT_LT(100 * MS, ran_ns(_metadata, s->fd, s->pt, 1000, &w));
	EXPECT_EQ(w.run_ns, w.cpu_ns[cpu - 1] + w.cpu_ns[cpu]);
	TH_LOG("after onlining cpu%d: %.0f ms there, %.0f ms on cpu%d", cpu,
	       w.cpu_ns[cpu] / 1e6, w.cpu_ns[cpu - 1] / 1e6, cpu - 1);
	close(fd);
}

/*
 * Two busy workers pinned to one CPU, one of them SCHED_FIFO: it gets at
 * least 90% of their guest time (CFS keeps what RT throttling and the
 * fair server leave it).
 */
TEST_F(cg, fifo)
{
	struct sched_param sp = { .sched_priority = 10 };
	struct cg_state *s = &self->s;
	struct sim_window w[2];
	pid_t worker[2];
	double pct;
	int i;

	ASSERT_EQ(0, sim_create_partition_flags(s->fd,
						MSHV_SIM_PARTITION_VP_WORKERS,
						&s->pt));
	for (i = 0; i < 2; i++) {
		worker[i] = run_busy_worker(_metadata, s, i);
		ASSERT_LT(0, worker[i]);
		ASSERT_EQ(0, sim_pin_task(worker[i], self->cpu, self->cpu));
	}
	sim_sleep_ms(SETTLE_MS);
	ASSERT_EQ(0, sched_setscheduler(worker[0], SCHED_FIFO, &sp));
	sim_sleep_ms(SETTLE_MS);
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, sim_window_start(s->fd, s->pt, i, &w[i]));
	sim_sleep_ms(WINDOW_MS);
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, sim_window_end(s->fd, s->pt, i, &w[i]));
	pct = 100.0 * w[0].run_ns / (w[0].run_ns + w[1].run_ns);
	TH_LOG("SCHED_FIFO worker: %.1f%% of guest time on cpu%d (%.1f%% of window), CFS %.1f%%",
	       pct, self->cpu, 100.0 * w[0].run_ns / w[0].t_ns, 100.0 - pct);
	EXPECT_LE(90.0, pct);
}

TEST_HARNESS_MAIN
