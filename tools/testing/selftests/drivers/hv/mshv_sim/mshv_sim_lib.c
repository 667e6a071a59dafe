// SPDX-License-Identifier: GPL-2.0
/*
 * VMM-like library for the mshv_sim kselftests: see mshv_sim_lib.h.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/mshv.h>

#include "mshv_sim_lib.h"

/* The header of struct hv_message (include/hyperv/hvgdk_mini.h) */
struct sim_hv_message {
	__u32 message_type;
	__u8 payload_size;
	__u8 message_flags;
	__u8 reserved[2];
	__u64 sender;
	__u64 payload[30];
};

static_assert(sizeof(struct sim_hv_message) == MSHV_RUN_VP_BUF_SZ,
	      "struct hv_message layout");

static int sim_ioctl(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

int sim_open(void)
{
	int fd = open(SIM_DEV, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int sim_info(int fd, struct mshv_sim_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return sim_ioctl(fd, MSHV_SIM_GET_INFO, info);
}

int sim_live(int fd, __u64 *nr_partitions, __u64 *nr_vps)
{
	struct mshv_sim_info info;
	int ret = sim_info(fd, &info);

	if (ret)
		return ret;
	*nr_partitions = info.nr_partitions;
	*nr_vps = info.nr_vps;
	return 0;
}

int sim_wait_live(int fd, __u64 nr_partitions, __u64 nr_vps, int ms)
{
	__u64 p, v;
	int ret;

	for (;;) {
		ret = sim_live(fd, &p, &v);
		if (ret)
			return ret;
		if (p == nr_partitions && v == nr_vps)
			return 0;
		if (ms-- <= 0)
			return -ETIMEDOUT;
		usleep(1000);
	}
}

int sim_create_partition(int fd, __u64 *pt_id)
{
	struct mshv_sim_partition_args args = { .size = sizeof(args) };
	int ret = sim_ioctl(fd, MSHV_SIM_CREATE_PARTITION, &args);

	if (!ret)
		*pt_id = args.pt_id;
	return ret;
}

int sim_destroy_partition(int fd, __u64 pt_id)
{
	struct mshv_sim_partition_args args = {
		.size = sizeof(args),
		.pt_id = pt_id,
	};

	return sim_ioctl(fd, MSHV_SIM_DESTROY_PARTITION, &args);
}

int sim_create_vp(int fd, __u64 pt_id, __u32 vp_index,
		  const struct mshv_sim_step *steps, __u32 nr_steps,
		  __u64 loops)
{
	struct mshv_sim_create_vp args = {
		.size = sizeof(args),
		.pt_id = pt_id,
		.vp_index = vp_index,
		.nr_steps = nr_steps,
		.loops = loops,
		.steps = (__u64)(unsigned long)steps,
	};

	return sim_ioctl(fd, MSHV_SIM_CREATE_VP, &args);
}

int sim_vp_stats(int fd, __u64 pt_id, __u32 vp_index,
		 struct mshv_sim_vp_stats *st, __u64 *cpu_ns)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	st->pt_id = pt_id;
	st->vp_index = vp_index;
	if (cpu_ns) {
		memset(cpu_ns, 0, SIM_MAX_CPUS * sizeof(*cpu_ns));
		st->nr_cpus = SIM_MAX_CPUS;
		st->cpu_run_ns = (__u64)(unsigned long)cpu_ns;
	}
	return sim_ioctl(fd, MSHV_SIM_GET_VP_STATS, st);
}

int sim_run_vp(int vp_fd, struct mshv_sim_exit *exit)
{
	struct mshv_run_vp run;
	struct sim_hv_message *msg = (struct sim_hv_message *)run.msg_buf;
	int ret;

	memset(&run, 0, sizeof(run));
	ret = sim_ioctl(vp_fd, MSHV_RUN_VP, &run);
	if (ret)
		return ret;
	if (msg->message_type != MSHV_SIM_MSG_TYPE ||
	    msg->payload_size != sizeof(*exit))
		return -EPROTO;
	memcpy(exit, msg->payload, sizeof(*exit));
	return 0;
}

__u64 sim_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int sim_pin_self(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

static void sim_vcpu_sig(int sig)
{
}

static void *sim_vcpu_main(void *arg)
{
	struct sim_vcpu *v = arg;
	struct mshv_sim_exit exit;
	__u64 start = sim_now_ns(), seq = 0;
	int ret;

	if (v->cpu >= 0) {
		v->rc = sim_pin_self(v->cpu);
		if (v->rc)
			return NULL;
	}

	for (;;) {
		if (__atomic_load_n(&v->stop, __ATOMIC_ACQUIRE)) {
			v->rc = -EINTR;
			break;
		}
		ret = sim_run_vp(v->vp_fd, &exit);
		if (ret == -EINTR) {
			v->eintr++;
			continue;
		}
		if (ret) {
			v->rc = ret;
			break;
		}
		if (exit.seq != seq + 1)
			v->bad_seq++;
		seq = exit.seq;
		if (exit.kind == MSHV_SIM_EXIT_DONE) {
			v->rc = 0;
			break;
		}
		v->intercepts++;
		v->arg_sum += exit.arg;
	}
	v->wall_ns = sim_now_ns() - start;
	__atomic_store_n(&v->done, true, __ATOMIC_RELEASE);
	return NULL;
}

int sim_vcpu_start(struct sim_vcpu *v)
{
	struct sigaction sa = { .sa_handler = sim_vcpu_sig };

	/* No SA_RESTART: a signal ends the MSHV_RUN_VP call with EINTR. */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL))
		return -errno;

	v->stop = false;
	v->done = false;
	v->rc = -EINPROGRESS;
	v->intercepts = 0;
	v->arg_sum = 0;
	v->bad_seq = 0;
	v->eintr = 0;
	v->wall_ns = 0;
	return -pthread_create(&v->thread, NULL, sim_vcpu_main, v);
}

void sim_vcpu_stop(struct sim_vcpu *v)
{
	int i;

	__atomic_store_n(&v->stop, true, __ATOMIC_RELEASE);
	for (i = 0; i < 10000 && !__atomic_load_n(&v->done, __ATOMIC_ACQUIRE);
	     i++) {
		pthread_kill(v->thread, SIGUSR1);
		usleep(1000);
	}
}

int sim_vcpu_join(struct sim_vcpu *v)
{
	return -pthread_join(v->thread, NULL);
}
