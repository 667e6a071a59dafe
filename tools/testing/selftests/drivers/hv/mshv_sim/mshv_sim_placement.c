// SPDX-License-Identifier: GPL-2.0
/*
 * mshv_sim: on the integrated scheduler, Linux decides where a VP runs.
 * sched_setaffinity() on a VP's task (the worker, or in inline mode the
 * VMM thread), or a cpuset cgroup the VMM process is moved into, puts
 * 100% of the VP's guest time, per the simulator's ground truth, on the
 * allowed CPUs.
 *
 * The same scenarios under the emulation of the hypervisor's core
 * scheduler (variant "core") are the "before" picture: reported, not
 * asserted.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../../kselftest_harness.h"
#include "mshv_sim_lib.h"

#define MS		1000000ULL
#define SETTLE_MS	300
#define WINDOW_MS	1500
#define NR_VPS		2

static const struct mshv_sim_step busy[] = { SIM_COMPUTE(100000) };

/* What a test started, for the teardown to end */
struct place {
	int fd;
	__u64 pt;
	struct sim_vcpu v[NR_VPS];
	int nr_running;
	struct sim_vmm vmm;
	char cg[SIM_CG_PATH_MAX];
};

FIXTURE(place) {
	struct place p;
	int nr_cpus;
	__u64 pt0, vp0;
};

FIXTURE_VARIANT(place) {
	__u32 pt_flags;
	bool report_only;
};

FIXTURE_VARIANT_ADD(place, worker) {
	.pt_flags = MSHV_SIM_PARTITION_VP_WORKERS,
};

FIXTURE_VARIANT_ADD(place, inline) {
	.pt_flags = MSHV_SIM_PARTITION_VP_INLINE,
};

FIXTURE_VARIANT_ADD(place, core) {
	.pt_flags = MSHV_SIM_PARTITION_CORE_SCHED,
	.report_only = true,
};

FIXTURE_SETUP(place)
{
	struct place *p = &self->p;
	const char *skip;

	memset(p, 0, sizeof(*p));
	p->vmm.pid = -1;
	p->fd = sim_open_for_test(!variant->report_only, &skip);
	if (skip)
		SKIP(return, "%s", skip);
	ASSERT_LE(0, p->fd);
	self->nr_cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (self->nr_cpus < 3) {
		close(p->fd);
		p->fd = -1;
		SKIP(return, "needs 3 CPUs");
	}
	ASSERT_EQ(0, sim_live(p->fd, &self->pt0, &self->vp0));
}

FIXTURE_TEARDOWN(place)
{
	struct place *p = &self->p;
	int i, fd;

	if (p->fd < 0)
		return;
	for (i = 0; i < p->nr_running; i++) {
		/* MSHV_CANCEL_RUN_VP is the integrated scheduler's */
		if (variant->report_only)
			sim_vcpu_stop_signal(&p->v[i]);
		else
			sim_vcpu_stop(&p->v[i]);
		EXPECT_EQ(0, sim_vcpu_join(&p->v[i]));
		close(p->v[i].vp_fd);
	}
	if (p->vmm.pid > 0)
		sim_vmm_kill(&p->vmm);
	if (p->vmm.pt_id)
		p->pt = p->vmm.pt_id;
	if (p->pt)
		EXPECT_EQ(0, sim_destroy_partition(p->fd, p->pt));
	if (p->cg[0])
		EXPECT_EQ(0, sim_cg_remove(p->cg));
	close(p->fd);
	fd = sim_open();
	EXPECT_EQ(0, sim_wait_live(fd, self->pt0, self->vp0, 5000));
	close(fd);
}

/*
 * Measure the guest time of VPs 0 .. @n - 1 of @pt over WINDOW_MS, after
 * SETTLE_MS, and check (or report) that it all ran on CPUs @lo .. @hi.
 */
static void check_window(struct __test_metadata *_metadata, int fd,
			 __u64 pt, int n, int lo, int hi, bool report_only,
			 const char *what)
{
	struct sim_window w[NR_VPS];
	__u64 in;
	double pct;
	int i, c;

	sim_sleep_ms(SETTLE_MS);
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, sim_window_start(fd, pt, i, &w[i]));
	sim_sleep_ms(WINDOW_MS);
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, sim_window_end(fd, pt, i, &w[i]));

	for (i = 0; i < n; i++) {
		pct = sim_window_pct(&w[i], lo, hi);
		TH_LOG("%s%s, VP %d: %.1f%% of %.0f ms on CPUs %d-%d (ms/CPU %.0f %.0f %.0f %.0f)",
		       report_only ? "before (core scheduler): " : "", what,
		       i, pct, w[i].run_ns / 1e6, lo, hi,
		       w[i].cpu_ns[0] / 1e6, w[i].cpu_ns[1] / 1e6,
		       w[i].cpu_ns[2] / 1e6, w[i].cpu_ns[3] / 1e6);
		if (report_only)
			continue;
		/* It ran: at least a tenth of the window (a noisy machine) */
		EXPECT_LT(WINDOW_MS * MS / 10, w[i].run_ns);
		/* All of it where it is allowed */
		for (in = 0, c = lo; c <= hi; c++)
			in += w[i].cpu_ns[c];
		EXPECT_EQ(w[i].run_ns, in);
	}
}

/*
 * Busy VPs run in this process; after SETTLE_MS their tasks are pinned
 * to CPUs @lo .. @hi with sched_setaffinity(): the worker in worker mode,
 * the VMM thread otherwise (all a VMM can do under the core scheduler).
 */
static void pin_running(struct __test_metadata *_metadata, struct place *p,
			__u32 pt_flags, bool report_only, int lo, int hi)
{
	struct mshv_vp_task_info t[NR_VPS] = { 0 };
	char what[64];
	pid_t tid;
	int i;

	ASSERT_EQ(0, sim_create_partition_flags(p->fd, pt_flags, &p->pt));
	for (i = 0; i < NR_VPS; i++) {
		p->v[i].cpu = -1;
		p->v[i].vp_fd = sim_create_vp(p->fd, p->pt, i, busy, 1, 0);
		ASSERT_LE(0, p->v[i].vp_fd);
		/*
		 * The worker's TID, as a VMM learns it before the VP runs
		 * (MSHV_GET_VP_TASK waits for a running MSHV_RUN_VP)
		 */
		ASSERT_EQ(0, sim_vp_task(p->v[i].vp_fd, &t[i]));
		ASSERT_EQ(0, sim_vcpu_start(&p->v[i]));
		p->nr_running++;
	}
	sim_sleep_ms(SETTLE_MS);
	for (i = 0; i < NR_VPS; i++) {
		tid = __atomic_load_n(&p->v[i].tid, __ATOMIC_ACQUIRE);
		if (pt_flags & MSHV_SIM_PARTITION_VP_WORKERS) {
			ASSERT_EQ(MSHV_VP_TASK_WORKER, t[i].mode);
			tid = t[i].tid;
		}
		ASSERT_LT(0, tid);
		ASSERT_EQ(0, sim_pin_task(tid, lo, hi));
	}
	snprintf(what, sizeof(what), "sched_setaffinity(%d-%d)", lo, hi);
	check_window(_metadata, p->fd, p->pt, NR_VPS, lo, hi, report_only,
		     what);
}

TEST_F(place, affinity_one_cpu)
{
	int cpu = self->nr_cpus - 1;

	pin_running(_metadata, &self->p, variant->pt_flags,
		    variant->report_only, cpu, cpu);
}

TEST_F(place, affinity_two_cpus)
{
	int cpu = self->nr_cpus - 1;

	pin_running(_metadata, &self->p, variant->pt_flags,
		    variant->report_only, cpu - 1, cpu);
}

/*
 * A VMM process with busy VPs runs; after SETTLE_MS it is moved into a
 * cgroup whose cpuset is CPUs @lo .. @hi.
 */
static void cpuset_running(struct __test_metadata *_metadata,
			   struct place *p, __u32 pt_flags, bool report_only,
			   int lo, int hi)
{
	struct sim_vmm_cfg cfg = {
		.ctl_fd = p->fd,
		.pt_flags = pt_flags,
		.nr_vps = NR_VPS,
		.steps = busy,
		.nr_steps = 1,
		.cpu = -1,
	};
	char cpus[32], what[64];
	int ret;

	ret = sim_cg_setup();
	if (ret)
		SKIP(return, "cgroup v2 with cpu and cpuset: %s",
		     strerror(-ret));
	snprintf(cpus, sizeof(cpus), "%d-%d", lo, hi);
	ASSERT_EQ(0, sim_cg_create("mshv_sim_place", p->cg));
	ASSERT_EQ(0, sim_cg_set_cpus(p->cg, cpus));

	ASSERT_EQ(0, sim_vmm_spawn(&p->vmm, &cfg));
	ASSERT_EQ(0, sim_vmm_run(&p->vmm));
	sim_sleep_ms(SETTLE_MS);
	ASSERT_EQ(0, sim_cg_move(p->cg, p->vmm.pid));
	snprintf(what, sizeof(what), "cpuset.cpus %s", cpus);
	check_window(_metadata, p->fd, p->vmm.pt_id, NR_VPS, lo, hi,
		     report_only, what);
}

TEST_F(place, cpuset_one_cpu)
{
	int cpu = self->nr_cpus - 1;

	cpuset_running(_metadata, &self->p, variant->pt_flags,
		       variant->report_only, cpu, cpu);
}

TEST_F(place, cpuset_two_cpus)
{
	int cpu = self->nr_cpus - 1;

	cpuset_running(_metadata, &self->p, variant->pt_flags,
		       variant->report_only, cpu - 1, cpu);
}

TEST_HARNESS_MAIN
