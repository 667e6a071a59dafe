// SPDX-License-Identifier: GPL-2.0
/*
 * mshv_sim demo: the same guest under the root scheduler and under the
 * emulated core scheduler, side by side.  Four VPs compute; their VMM
 * threads are pinned, two per CPU, to the first two CPUs.  The table shows
 * where each VP's guest time went (the simulator's ground truth).
 *
 * Then what an L1VH admin's own tools achieve, before (the hypervisor's
 * core scheduler, emulated) and with the integrated scheduler's VP
 * workers: pinning, Hyper-V's "Table 3" weights through cgroup v2, and a
 * 25% cap through cpu.max, in one table.
 *
 * Not a test: it prints tables and exits 0 unless something fails.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "mshv_sim_lib.h"

#define NR_VPS		4
#define COMPUTE_US	100000
#define PIN_MS		2000
#define SHARE_MS	3000

static int scenario(int fd, bool core, int nr_cpus)
{
	static const struct mshv_sim_step s[] = { SIM_COMPUTE(COMPUTE_US) };
	struct mshv_sim_partition_args args = {
		.size = sizeof(args),
		.flags = core ? MSHV_SIM_PARTITION_CORE_SCHED : 0,
	};
	struct sim_vcpu v[NR_VPS];
	__u64 cpu_ns[SIM_MAX_CPUS];
	struct mshv_sim_vp_stats st;
	__u64 t0, wall;
	int i, c, ret;

	if (ioctl(fd, MSHV_SIM_CREATE_PARTITION, &args))
		return -errno;

	for (i = 0; i < NR_VPS; i++) {
		v[i].cpu = i % 2 % nr_cpus;
		v[i].vp_fd = sim_create_vp(fd, args.pt_id, i, s, 1, 1);
		if (v[i].vp_fd < 0)
			return v[i].vp_fd;
	}
	t0 = sim_now_ns();
	for (i = 0; i < NR_VPS; i++) {
		ret = sim_vcpu_start(&v[i]);
		if (ret)
			return ret;
	}
	for (i = 0; i < NR_VPS; i++)
		sim_vcpu_join(&v[i]);
	wall = sim_now_ns() - t0;

	printf("\n%s scheduler: %d VPs x %d ms of guest compute,\n"
	       "VMM threads pinned to CPUs 0-1\n",
	       core ? "core (emulated hypervisor)" : "root (Linux)", NR_VPS,
	       COMPUTE_US / 1000);
	printf("  VP  VMM-CPU  guest-ms  dispatches");
	for (c = 0; c < nr_cpus && c < SIM_MAX_CPUS; c++)
		printf("  %%cpu%d", c);
	printf("\n");
	for (i = 0; i < NR_VPS; i++) {
		ret = sim_vp_stats(fd, args.pt_id, i, &st, cpu_ns);
		if (ret || v[i].rc)
			return ret ?: v[i].rc;
		printf("  %2d  %7d  %8.1f  %10llu", i, v[i].cpu,
		       st.run_ns / 1e6, (unsigned long long)st.dispatches);
		for (c = 0; c < nr_cpus && c < SIM_MAX_CPUS; c++)
			printf("  %5.1f", st.run_ns ?
			       100.0 * cpu_ns[c] / st.run_ns : 0.0);
		printf("\n");
		close(v[i].vp_fd);
	}
	printf("  wall time %.1f ms\n", wall / 1e6);

	ret = sim_destroy_partition(fd, args.pt_id);
	if (ret)
		return ret;
	return sim_wait_live(fd, 0, 0, 5000);
}

/* One cell of the side-by-side table, 14 columns wide */
static void cell(int ret, const char *fmt, double a, double b)
{
	char buf[32];

	if (ret)
		snprintf(buf, sizeof(buf), "n/a");
	else
		snprintf(buf, sizeof(buf), fmt, a, b);
	printf("  %14s", buf);
}

/*
 * Pinning, Table 3 and a cap, under the core-scheduler emulation (before)
 * and on the integrated scheduler's workers (after).
 */
static int side_by_side(int fd, int nr_cpus)
{
	double pin[2] = { 0 }, prod[2] = { 0 }, test[2] = { 0 };
	double cap[2] = { 0 };
	int rpin[2], rt3[2], rcap[2], cg, i, cpu = nr_cpus - 1;
	bool tasks = sim_has_vp_tasks(fd);

	cg = sim_cg_setup();
	printf("\nBefore and after: one busy VP per VMM, each measurement %d-%d s\n",
	       PIN_MS / 1000, SHARE_MS / 1000);
	/* i = 0: the core scheduler (before); 1: integrated, workers */
	for (i = 0; i < 2; i++) {
		rpin[i] = -EOPNOTSUPP;
		rt3[i] = -EOPNOTSUPP;
		rcap[i] = -EOPNOTSUPP;
		if (i && !tasks)
			continue;
		rpin[i] = sim_scn_pin(fd, !i, cpu, PIN_MS, &pin[i]);
		if (cg)
			continue;
		rt3[i] = sim_scn_table3(fd, !i, cpu, SHARE_MS, &prod[i],
					&test[i], NULL);
		rcap[i] = sim_scn_cap(fd, !i, cpu, 25000, SHARE_MS, &cap[i]);
	}
	printf("  %-36s  %14s  %14s\n", "", "core-sched emu", "integrated");
	printf("  %-36s  %14s  %14s\n", "", "(before)", "(workers)");
	printf("  %-36s", "pinning: % of guest time on its CPU");
	for (i = 0; i < 2; i++)
		cell(rpin[i], "%.1f%%", pin[i], 0);
	printf("\n  %-36s", "Table 3: production % / test %");
	for (i = 0; i < 2; i++)
		cell(rt3[i], "%.0f / %.0f", prod[i], test[i]);
	printf("\n  %-36s", "cap cpu.max 25%: measured");
	for (i = 0; i < 2; i++)
		cell(rcap[i], "%.1f%%", cap[i], 0);
	printf("\n");
	printf("  (targets: pinning 100%%, Table 3 80 / 20, cap 25%%; all on CPU %d)\n",
	       cpu);
	printf("  (Table 3: 4 VMMs in cgroups of cpu.weight 200, 200, 50, 50)\n");
	if (!tasks)
		printf("  integrated: n/a, the kernel has no VP workers (MSHV_CAP_VP_TASKS)\n");
	if (cg)
		printf("  Table 3 and cap: n/a, no cgroup v2 cpu/cpuset: %s\n",
		       strerror(-cg));
	for (i = 0; i < 2; i++)
		if ((rpin[i] && rpin[i] != -EOPNOTSUPP) ||
		    (rt3[i] && rt3[i] != -EOPNOTSUPP) ||
		    (rcap[i] && rcap[i] != -EOPNOTSUPP))
			return rpin[i] ?: rt3[i] ?: rcap[i];
	return 0;
}

int main(void)
{
	int nr_cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int fd = sim_open(), ret;

	if (fd < 0) {
		printf("mshv_sim demo: %s: %s\n", SIM_DEV, strerror(-fd));
		return fd == -ENOENT ? 0 : 1;
	}
	printf("mshv_sim demo: simulated hypervisor, %d CPUs\n", nr_cpus);
	ret = scenario(fd, false, nr_cpus);
	if (!ret)
		ret = scenario(fd, true, nr_cpus);
	if (ret)
		printf("mshv_sim demo: failed: %s\n", strerror(-ret));
	else
		printf("\nRoot: each VP's guest time is on its VMM thread's CPU.\n"
		       "Core: the hypervisor spreads it over all CPUs, whatever the VMM's affinity.\n");
	if (!ret && nr_cpus > 1) {
		ret = side_by_side(fd, nr_cpus);
		if (ret)
			printf("mshv_sim demo: failed: %s\n", strerror(-ret));
	}
	close(fd);
	return ret ? 1 : 0;
}
