// SPDX-License-Identifier: GPL-2.0
/*
 * mshv_sim demo: the same guest under the root scheduler and under the
 * emulated core scheduler, side by side.  Four VPs compute; their VMM
 * threads are pinned, two per CPU, to the first two CPUs.  The table shows
 * where each VP's guest time went (the simulator's ground truth).
 *
 * Not a test: it prints a table and exits 0 unless something fails.
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
	close(fd);
	return ret ? 1 : 0;
}
