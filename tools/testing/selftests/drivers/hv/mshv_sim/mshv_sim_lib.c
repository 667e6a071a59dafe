// SPDX-License-Identifier: GPL-2.0
/*
 * VMM-like library for the mshv_sim kselftests: see mshv_sim_lib.h.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
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
		if (p <= nr_partitions && v <= nr_vps)
			return 0;
		if (ms-- <= 0)
			return -ETIMEDOUT;
		usleep(1000);
	}
}

bool sim_has_vp_tasks(int fd)
{
	struct mshv_sim_info info;
	__u32 cap = MSHV_CAP_VP_TASKS;
	int ret, mfd;
	__u64 pt;

	/* The simulator's control device, then the driver's own device */
	ret = ioctl(fd, MSHV_CHECK_EXTENSION, &cap);
	if (ret >= 0)
		return ret > 0;
	mfd = open("/dev/mshv", O_RDWR | O_CLOEXEC);
	if (mfd >= 0) {
		ret = ioctl(mfd, MSHV_CHECK_EXTENSION, &cap);
		close(mfd);
		if (ret >= 0)
			return ret > 0;
	}
	/*
	 * No device answers MSHV_CHECK_EXTENSION (the simulator registers no
	 * /dev/mshv): a simulator of version 3 or later takes the partition
	 * flags exactly when the kernel has the VP tasks.
	 */
	if (sim_info(fd, &info) || info.version < 3)
		return false;
	ret = sim_create_partition_flags(fd, MSHV_SIM_PARTITION_VP_INLINE,
					 &pt);
	if (!ret) {
		sim_destroy_partition(fd, pt);
		sim_wait_live(fd, info.nr_partitions, info.nr_vps, 1000);
	}
	/* EBUSY: partitions of the core scheduler live; the flag was valid */
	return !ret || ret == -EBUSY;
}

int sim_open_for_test(bool vp_tasks, const char **skip)
{
	int fd = sim_open();

	*skip = NULL;
	if (fd == -ENOENT) {
		*skip = SIM_DEV " absent: CONFIG_MSHV_SIM off";
		return fd;
	}
	if (fd >= 0 && vp_tasks && !sim_has_vp_tasks(fd)) {
		close(fd);
		*skip = "no MSHV_CAP_VP_TASKS";
		return -EOPNOTSUPP;
	}
	return fd;
}

int sim_create_partition(int fd, __u64 *pt_id)
{
	return sim_create_partition_flags(fd, 0, pt_id);
}

int sim_create_partition_flags(int fd, __u32 flags, __u64 *pt_id)
{
	struct mshv_sim_partition_args args = {
		.size = sizeof(args),
		.flags = flags,
	};
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
	return sim_create_vp_flags(fd, pt_id, vp_index, steps, nr_steps, loops,
				   0);
}

int sim_create_vp_flags(int fd, __u64 pt_id, __u32 vp_index,
			const struct mshv_sim_step *steps, __u32 nr_steps,
			__u64 loops, __u32 flags)
{
	struct mshv_sim_create_vp args = {
		.size = sizeof(args),
		.flags = flags,
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

int sim_vp_wake_lat(int fd, __u64 pt_id, __u32 vp_index, __u32 *ns,
		    __u32 *nr)
{
	struct mshv_sim_vp_stats st = {
		.size = sizeof(st),
		.pt_id = pt_id,
		.vp_index = vp_index,
		.wake_lat_ns = (__u64)(unsigned long)ns,
		.nr_wake_lat = *nr,
	};
	int ret = sim_ioctl(fd, MSHV_SIM_GET_VP_STATS, &st);

	if (!ret)
		*nr = st.nr_wake_lat;
	return ret;
}

int sim_bench_open(void)
{
	int fd = open(SIM_BENCH_DEV, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int sim_kthread_wake(int bench_fd, __u32 period_us, int cpu, __u32 *ns,
		     __u32 *nr)
{
	struct mshv_sim_kthread_wake kw = {
		.size = sizeof(kw),
		.period_us = period_us,
		.nr_samples = *nr,
		.cpu = cpu,
		.samples_ns = (__u64)(unsigned long)ns,
	};
	int ret = sim_ioctl(bench_fd, MSHV_SIM_BENCH_KTHREAD_WAKE, &kw);

	if (!ret)
		*nr = kw.nr_samples;
	return ret;
}

int sim_cancel(int vp_fd)
{
	return ioctl(vp_fd, MSHV_CANCEL_RUN_VP, 0) ? -errno : 0;
}

int sim_smt_stats(int fd, __u64 *cross_ns, __u64 *same_ns)
{
	__u64 cross[SIM_MAX_CPUS], same[SIM_MAX_CPUS];
	struct mshv_sim_smt_stats st = {
		.size = sizeof(st),
		.nr_cpus = SIM_MAX_CPUS,
		.cross_ns = (__u64)(uintptr_t)cross,
		.same_ns = (__u64)(uintptr_t)same,
	};
	__u32 i;
	int ret;

	ret = sim_ioctl(fd, MSHV_SIM_GET_SMT_STATS, &st);
	if (ret)
		return ret;
	*cross_ns = 0;
	*same_ns = 0;
	for (i = 0; i < st.nr_cpus && i < SIM_MAX_CPUS; i++) {
		*cross_ns += cross[i];
		*same_ns += same[i];
	}
	/* Each CPU of a pair counts the time they share */
	*cross_ns /= 2;
	*same_ns /= 2;
	return 0;
}

long long sim_core_cookie(pid_t tid)
{
	__u64 id = 0;

	if (prctl(PR_SCHED_CORE, PR_SCHED_CORE_GET, tid,
		  PR_SCHED_CORE_SCOPE_THREAD, (unsigned long)&id))
		return -errno;
	return (long long)id;
}

int sim_vp_task_flags(int vp_fd, __u32 flags, struct mshv_vp_task_info *task)
{
	memset(task, 0, sizeof(*task));
	task->size = sizeof(*task);
	task->flags = flags;
	return sim_ioctl(vp_fd, MSHV_GET_VP_TASK, task);
}

int sim_vp_task(int vp_fd, struct mshv_vp_task_info *task)
{
	int ret = sim_vp_task_flags(vp_fd, 0, task);

	if (ret || task->mode != MSHV_VP_TASK_WORKER)
		return ret;
	ret = sim_ioctl(vp_fd, MSHV_CREATE_VP_WORKER, 0);
	return ret ? ret : sim_vp_task_flags(vp_fd, 0, task);
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

void sim_sleep_ms(int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (ms % 1000) * 1000000L,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

pid_t sim_gettid(void)
{
	return syscall(SYS_gettid);
}

/* Read a small text file into @buf, without its trailing newline */
static int sim_read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = 0;
	return 0;
}

/* Whether CPU list @buf ("3", "2-3,5") holds @cpu */
static bool sim_cpulist_has(const char *buf, int cpu)
{
	const char *p;
	char *end;
	long lo, hi;

	for (p = buf; *p >= '0' && *p <= '9'; p = end + (*end == ',')) {
		lo = strtol(p, &end, 10);
		hi = lo;
		if (*end == '-')
			hi = strtol(end + 1, &end, 10);
		if (cpu >= lo && cpu <= hi)
			return true;
	}
	return false;
}

bool sim_cpu_nohz_full(int cpu)
{
	char buf[256];

	if (sim_read_file("/sys/devices/system/cpu/nohz_full", buf,
			  sizeof(buf)))
		return false;
	return sim_cpulist_has(buf, cpu);
}

int sim_smt_cores(struct sim_smt_core *cores, int max)
{
	int nr_cpus = sysconf(_SC_NPROCESSORS_ONLN);
	bool used[SIM_MAX_CPUS] = { false };
	char path[96], buf[256];
	int n = 0, c, s;

	for (c = 0; c < nr_cpus && c < SIM_MAX_CPUS && n < max; c++) {
		if (used[c])
			continue;
		snprintf(path, sizeof(path),
			 "/sys/devices/system/cpu/cpu%d/topology/thread_siblings_list",
			 c);
		if (sim_read_file(path, buf, sizeof(buf)))
			continue;
		for (s = c + 1; s < nr_cpus && s < SIM_MAX_CPUS; s++)
			if (!used[s] && sim_cpulist_has(buf, s))
				break;
		if (s >= nr_cpus || s >= SIM_MAX_CPUS)
			continue;
		used[c] = true;
		used[s] = true;
		cores[n].cpu[0] = c;
		cores[n].cpu[1] = s;
		n++;
	}
	return n;
}

int sim_pin_self(int cpu)
{
	return sim_pin_task(0, cpu, cpu);
}

int sim_pin_task(pid_t tid, int lo, int hi)
{
	cpu_set_t set;
	int cpu;

	CPU_ZERO(&set);
	for (cpu = lo; cpu <= hi; cpu++)
		CPU_SET(cpu, &set);
	return sched_setaffinity(tid, sizeof(set), &set) ? -errno : 0;
}

static int sim_write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	if (n < 0)
		return -errno;
	return n == (ssize_t)strlen(val) ? 0 : -EIO;
}

int sim_task_comm(pid_t tid, char *buf, size_t len)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%d/comm", tid);
	return sim_read_file(path, buf, len);
}

int sim_vp_tasks_lookup(__u64 pt_id, __u32 vp_index, char *mode, int *tid,
			int *cpu)
{
	FILE *f = fopen("/sys/kernel/debug/mshv_sched/vp_tasks", "re");
	unsigned long long pt;
	char line[256], m[16];
	unsigned int vp;
	int ret = -ESRCH;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llu %u %15s %d %d", &pt, &vp, m, tid,
			   cpu) != 5 || pt != pt_id || vp != vp_index)
			continue;
		memcpy(mode, m, sizeof(m));
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

int sim_task_stat(pid_t pid, pid_t tid, char *state)
{
	char path[64], buf[512], *p;
	int ret;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	ret = sim_read_file(path, buf, sizeof(buf));
	if (ret)
		return ret;
	/* pid (comm) state ...: comm may hold spaces and parentheses */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || !p[2])
		return -EPROTO;
	*state = p[2];
	return 0;
}

int sim_threads_state(pid_t pid, char state, int *nr_state, pid_t *tids,
		      int max)
{
	struct dirent *e;
	char path[32], s;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return -errno;
	*nr_state = 0;
	while ((e = readdir(d))) {
		pid_t tid = atoi(e->d_name);

		/* A thread that exits meanwhile is not counted */
		if (tid <= 0 || sim_task_stat(pid, tid, &s))
			continue;
		n++;
		if (s != state)
			continue;
		if (tids && *nr_state < max)
			tids[*nr_state] = tid;
		(*nr_state)++;
	}
	closedir(d);
	return n;
}

int sim_window_start(int fd, __u64 pt_id, __u32 vp_index,
		     struct sim_window *w)
{
	struct mshv_sim_vp_stats st;
	int ret = sim_vp_stats(fd, pt_id, vp_index, &st, w->cpu_ns);

	w->t_ns = sim_now_ns();
	w->run_ns = st.run_ns;
	return ret;
}

int sim_window_end(int fd, __u64 pt_id, __u32 vp_index, struct sim_window *w)
{
	struct sim_window now;
	int ret, i;

	ret = sim_window_start(fd, pt_id, vp_index, &now);
	if (ret)
		return ret;
	w->t_ns = now.t_ns - w->t_ns;
	w->run_ns = now.run_ns - w->run_ns;
	for (i = 0; i < SIM_MAX_CPUS; i++)
		w->cpu_ns[i] = now.cpu_ns[i] - w->cpu_ns[i];
	return 0;
}

double sim_window_pct(const struct sim_window *w, int lo, int hi)
{
	__u64 in = 0;
	int i;

	for (i = lo; i <= hi && i < SIM_MAX_CPUS; i++)
		in += w->cpu_ns[i];
	return w->run_ns ? 100.0 * in / w->run_ns : 0.0;
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

	__atomic_store_n(&v->tid, sim_gettid(), __ATOMIC_RELEASE);
	if (v->cpu >= 0) {
		v->rc = sim_pin_self(v->cpu);
		if (v->rc)
			goto out;
	}

	for (;;) {
		/*
		 * A signal sent before MSHV_RUN_VP is entered is lost: look
		 * at @stop first.  A cancel is not lost, and must be consumed
		 * by the MSHV_RUN_VP that returns EINTR.
		 */
		if (__atomic_load_n(&v->stop_signal, __ATOMIC_ACQUIRE) &&
		    __atomic_load_n(&v->stop, __ATOMIC_ACQUIRE)) {
			v->rc = -EINTR;
			break;
		}
		ret = sim_run_vp(v->vp_fd, &exit);
		if (ret == -EINTR) {
			if (__atomic_load_n(&v->stop, __ATOMIC_ACQUIRE)) {
				v->rc = -EINTR;
				break;
			}
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
out:
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
	v->stop_signal = false;
	v->done = false;
	v->tid = 0;
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
	__atomic_store_n(&v->stop, true, __ATOMIC_RELEASE);
	if (sim_cancel(v->vp_fd))
		sim_vcpu_stop_signal(v);
}

void sim_vcpu_stop_signal(struct sim_vcpu *v)
{
	int i;

	__atomic_store_n(&v->stop_signal, true, __ATOMIC_RELEASE);
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

int sim_cg_setup(void)
{
	char buf[256];
	int ret;

	ret = sim_read_file(SIM_CG_ROOT "/cgroup.controllers", buf,
			    sizeof(buf));
	if (ret)
		return ret;
	if (!strstr(buf, "cpu") || !strstr(buf, "cpuset"))
		return -EOPNOTSUPP;
	return sim_write_file(SIM_CG_ROOT "/cgroup.subtree_control",
			      "+cpu +cpuset");
}

int sim_cg_create(const char *name, char *path)
{
	int ret;

	snprintf(path, SIM_CG_PATH_MAX, "%s/%s", SIM_CG_ROOT, name);
	ret = sim_cg_remove(path);
	if (ret && ret != -ENOENT)
		return ret;
	return mkdir(path, 0755) ? -errno : 0;
}

int sim_cg_write(const char *cg, const char *file, const char *val)
{
	char path[SIM_CG_PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	return sim_write_file(path, val);
}

int sim_cg_set_weight(const char *cg, unsigned int weight)
{
	char val[16];

	snprintf(val, sizeof(val), "%u", weight);
	return sim_cg_write(cg, "cpu.weight", val);
}

int sim_cg_set_max(const char *cg, const char *max)
{
	return sim_cg_write(cg, "cpu.max", max);
}

int sim_cg_set_cpus(const char *cg, const char *cpus)
{
	return sim_cg_write(cg, "cpuset.cpus", cpus);
}

int sim_cg_move(const char *cg, pid_t pid)
{
	char val[16];

	snprintf(val, sizeof(val), "%d", pid);
	return sim_cg_write(cg, "cgroup.procs", val);
}

int sim_cg_of(pid_t pid, pid_t tid, char *buf, size_t len)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/task/%d/cgroup", pid, tid);
	return sim_read_file(path, buf, len);
}

int sim_cg_remove(const char *cg)
{
	struct stat sb;
	int i;

	if (stat(cg, &sb))
		return -errno;
	/* cgroup.kill (5.14+) ends whatever an aborted test left there. */
	sim_cg_write(cg, "cgroup.kill", "1");
	for (i = 0; i < 200; i++) {
		if (!rmdir(cg))
			return 0;
		if (errno != EBUSY)
			return -errno;
		usleep(10000);
	}
	return -EBUSY;
}

int sim_cg_read_key(const char *cg, const char *file, const char *key,
		    long *val)
{
	char path[SIM_CG_PATH_MAX + 64], buf[512], *p;
	size_t len = strlen(key);
	int ret;

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	ret = sim_read_file(path, buf, sizeof(buf));
	if (ret)
		return ret;
	for (p = buf; p; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (!strncmp(p, key, len) && p[len] == ' ') {
			*val = strtol(p + len + 1, NULL, 10);
			return 0;
		}
	}
	return -ENOENT;
}

int sim_cg_wait_key(const char *cg, const char *file, const char *key,
		    long val, int ms)
{
	__u64 end = sim_now_ns() + ms * 1000000ULL;
	long v;
	int ret;

	for (;;) {
		ret = sim_cg_read_key(cg, file, key, &v);
		if (ret)
			return ret;
		if (v == val)
			return 0;
		if (sim_now_ns() > end)
			return -ETIMEDOUT;
		usleep(1000);
	}
}

/* What a VMM child reports: once created, and once running */
struct sim_vmm_report {
	int err;
	int nr_vps;
	__u64 pt_id;
	struct mshv_vp_task_info task[SIM_VMM_MAX_VPS];
	pid_t vcpu_tid[SIM_VMM_MAX_VPS];
};

static int sim_read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	ssize_t n;

	while (len) {
		n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return -EPIPE;
		p += n;
		len -= n;
	}
	return 0;
}

static void sim_vmm_child(const struct sim_vmm_cfg *cfg, pid_t parent,
			  int cmd, int rep)
{
	struct sim_vcpu v[SIM_VMM_MAX_VPS];
	struct sim_vmm_report r = { .nr_vps = cfg->nr_vps };
	int fd = cfg->ctl_fd, i;
	char go;

	/* Die with the test, even when it dies of a timeout. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(1);
	/*
	 * Pinned first: none of the cgroup's load then lands on another CPU,
	 * where it would lower the group's weight on @cfg->cpu until it decays.
	 */
	if (cfg->cpu >= 0)
		r.err = sim_pin_self(cfg->cpu);
	if (!r.err && cfg->cgroup)
		r.err = sim_cg_move(cfg->cgroup, 0);
	if (!r.err && cfg->core_cookie &&
	    prctl(PR_SCHED_CORE, PR_SCHED_CORE_CREATE, 0,
		  PR_SCHED_CORE_SCOPE_THREAD_GROUP, 0))
		r.err = -errno;
	if (!r.err && fd < 0) {
		fd = sim_open();
		r.err = fd < 0 ? fd : 0;
	}
	if (!r.err)
		r.err = sim_create_partition_flags(fd, cfg->pt_flags, &r.pt_id);
	for (i = 0; !r.err && i < cfg->nr_vps; i++) {
		v[i].cpu = -1;
		v[i].vp_fd = sim_create_vp(fd, r.pt_id, i, cfg->steps,
					   cfg->nr_steps, cfg->loops);
		if (v[i].vp_fd < 0) {
			r.err = v[i].vp_fd;
			break;
		}
		/* Worker mode: creates the worker, so it can be pinned. */
		if (sim_vp_task(v[i].vp_fd, &r.task[i]) &&
		    (cfg->pt_flags & MSHV_SIM_PARTITION_VP_WORKERS))
			r.err = -EIO;
	}
	if (write(rep, &r, sizeof(r)) != sizeof(r) || r.err)
		_exit(1);

	if (sim_read_full(cmd, &go, 1))
		_exit(0);
	for (i = 0; i < cfg->nr_vps; i++)
		if (sim_vcpu_start(&v[i]))
			_exit(1);
	for (i = 0; i < cfg->nr_vps; i++) {
		while (!__atomic_load_n(&v[i].tid, __ATOMIC_ACQUIRE))
			usleep(1000);
		r.vcpu_tid[i] = v[i].tid;
	}
	if (write(rep, &r, sizeof(r)) != sizeof(r))
		_exit(1);
	for (;;)
		pause();
}

int sim_vmm_spawn(struct sim_vmm *m, const struct sim_vmm_cfg *cfg)
{
	struct sim_vmm_report r = { .err = 0 };
	pid_t parent = getpid();
	int cmd[2], rep[2], ret;

	memset(m, 0, sizeof(*m));
	m->pid = -1;
	if (cfg->nr_vps < 1 || cfg->nr_vps > SIM_VMM_MAX_VPS)
		return -EINVAL;
	if (pipe2(cmd, O_CLOEXEC))
		return -errno;
	if (pipe2(rep, O_CLOEXEC)) {
		ret = -errno;
		close(cmd[0]);
		close(cmd[1]);
		return ret;
	}
	fflush(stdout);
	fflush(stderr);
	m->pid = fork();
	if (!m->pid) {
		close(cmd[1]);
		close(rep[0]);
		sim_vmm_child(cfg, parent, cmd[0], rep[1]);
		_exit(1);
	}
	close(cmd[0]);
	close(rep[1]);
	m->cmd_fd = cmd[1];
	m->rep_fd = rep[0];
	if (m->pid < 0) {
		ret = -errno;
		close(m->cmd_fd);
		close(m->rep_fd);
		return ret;
	}

	ret = sim_read_full(m->rep_fd, &r, sizeof(r));
	if (!ret)
		ret = r.err;
	if (!ret || r.pt_id)
		m->pt_id = r.pt_id;
	if (ret) {
		sim_vmm_kill(m);
		return ret;
	}
	m->nr_vps = r.nr_vps;
	memcpy(m->task, r.task, sizeof(m->task));
	return 0;
}

int sim_vmm_run(struct sim_vmm *m)
{
	struct sim_vmm_report r;
	int ret;

	if (write(m->cmd_fd, "g", 1) != 1)
		return -EPIPE;
	ret = sim_read_full(m->rep_fd, &r, sizeof(r));
	if (ret)
		return ret;
	memcpy(m->vcpu_tid, r.vcpu_tid, sizeof(m->vcpu_tid));
	return 0;
}

int sim_vmm_kill(struct sim_vmm *m)
{
	int status, ret;

	if (m->pid <= 0)
		return -ESRCH;
	kill(m->pid, SIGKILL);
	ret = waitpid(m->pid, &status, 0) < 0 ? -errno : status;
	m->pid = -1;
	close(m->cmd_fd);
	close(m->rep_fd);
	return ret;
}

/* Spawn VMMs with a busy VP each, the VMM and its VP's task pinned to @cpu */
static int sim_scn_spawn(int fd, bool core, int cpu, struct sim_vmm *m,
			 char (*cg)[SIM_CG_PATH_MAX], int n)
{
	static const struct mshv_sim_step busy[] = { SIM_COMPUTE(100000) };
	struct sim_vmm_cfg cfg = {
		.ctl_fd = fd,
		.pt_flags = core ? MSHV_SIM_PARTITION_CORE_SCHED :
				   MSHV_SIM_PARTITION_VP_WORKERS,
		.nr_vps = 1,
		.steps = busy,
		.nr_steps = 1,
		.loops = 0,
		/*
		 * The whole VMM is pinned (taskset -a): the core scheduler
		 * ignores it, while in worker mode the VP's task follows it.
		 * Pinning only the worker would leave the VMM's threads'
		 * load on other CPUs, which takes from their cgroup's
		 * weight on @cpu (group shares follow the load's placement)
		 * and can skew Table 3's split on a slow, noisy host.
		 */
		.cpu = cpu,
	};
	int i, ret;

	for (i = 0; i < n; i++) {
		m[i].pid = -1;
		m[i].pt_id = 0;
	}
	for (i = 0; i < n; i++) {
		cfg.cgroup = cg ? cg[i] : NULL;
		ret = sim_vmm_spawn(&m[i], &cfg);
		if (!ret && !core)
			ret = sim_pin_task(m[i].task[0].tid, cpu, cpu);
		if (ret)
			return ret;
	}
	for (i = 0; i < n; i++) {
		ret = sim_vmm_run(&m[i]);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Kill the VMMs, destroy their partitions, and wait until the simulator's
 * live objects are back at @pt0 and @vp0
 */
static int sim_scn_end(int fd, struct sim_vmm *m, int n, __u64 pt0,
		       __u64 vp0, int ret)
{
	int i, err;

	for (i = 0; i < n; i++) {
		if (m[i].pid > 0)
			sim_vmm_kill(&m[i]);
		if (!m[i].pt_id)
			continue;
		err = sim_destroy_partition(fd, m[i].pt_id);
		ret = ret ?: err;
	}
	err = sim_wait_live(fd, pt0, vp0, 5000);
	return ret ?: err;
}

/*
 * Let the VPs settle, then measure their guest time over @ms and, with
 * @cg, the CPU time of their cgroups (cpu.stat usage_usec) into @use_us
 */
static int sim_scn_measure(int fd, struct sim_vmm *m, int n, int ms,
			   struct sim_window *w, char (*cg)[SIM_CG_PATH_MAX],
			   long *use_us)
{
	long end;
	int i, ret;

	sim_sleep_ms(300);
	for (i = 0; i < n; i++) {
		ret = cg ? sim_cg_read_key(cg[i], "cpu.stat", "usage_usec",
					   &use_us[i]) : 0;
		if (!ret)
			ret = sim_window_start(fd, m[i].pt_id, 0, &w[i]);
		if (ret)
			return ret;
	}
	sim_sleep_ms(ms);
	for (i = 0; i < n; i++) {
		ret = sim_window_end(fd, m[i].pt_id, 0, &w[i]);
		if (!ret && cg) {
			ret = sim_cg_read_key(cg[i], "cpu.stat", "usage_usec",
					      &end);
			use_us[i] = end - use_us[i];
		}
		if (ret)
			return ret;
	}
	return 0;
}

int sim_scn_pin(int fd, bool core, int cpu, int ms, double *pct)
{
	struct sim_window w;
	struct sim_vmm m;
	__u64 pt0, vp0;
	int ret;

	ret = sim_live(fd, &pt0, &vp0);
	if (ret)
		return ret;
	ret = sim_scn_spawn(fd, core, cpu, &m, NULL, 1);
	if (!ret)
		ret = sim_scn_measure(fd, &m, 1, ms, &w, NULL, NULL);
	if (!ret)
		*pct = sim_window_pct(&w, cpu, cpu);
	return sim_scn_end(fd, &m, 1, pt0, vp0, ret);
}

int sim_scn_table3(int fd, bool core, int cpu, int ms, double *prod,
		   double *test, double *use_prod)
{
	static const unsigned int weight[4] = { 200, 200, 50, 50 };
	char cg[4][SIM_CG_PATH_MAX], name[32];
	struct sim_window w[4];
	struct sim_vmm m[4];
	__u64 total, pt0, vp0;
	long use[4];
	int i, ret;

	ret = sim_live(fd, &pt0, &vp0);
	if (ret)
		return ret;
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "mshv_sim_t3_%d", i);
		ret = sim_cg_create(name, cg[i]);
		if (ret)
			goto out_cg;
	}
	for (i = 0; i < 4 && !ret; i++)
		ret = sim_cg_set_weight(cg[i], weight[i]);
	i = 4;
	if (ret)
		goto out_cg;
	ret = sim_scn_spawn(fd, core, cpu, m, cg, 4);
	if (!ret)
		ret = sim_scn_measure(fd, m, 4, ms, w, cg, use);
	if (!ret) {
		total = w[0].run_ns + w[1].run_ns + w[2].run_ns + w[3].run_ns;
		*prod = total ? 100.0 * (w[0].run_ns + w[1].run_ns) / total : 0;
		*test = total ? 100.0 * (w[2].run_ns + w[3].run_ns) / total : 0;
		total = use[0] + use[1] + use[2] + use[3];
		if (use_prod)
			*use_prod = total ? 100.0 * (use[0] + use[1]) / total : 0;
	}
	ret = sim_scn_end(fd, m, 4, pt0, vp0, ret);
out_cg:
	while (i--)
		sim_cg_remove(cg[i]);
	return ret;
}

int sim_scn_cap(int fd, bool core, int cpu, int max_us, int ms, double *pct)
{
	char cg[1][SIM_CG_PATH_MAX], max[32];
	struct sim_window w;
	struct sim_vmm m;
	__u64 pt0, vp0;
	int ret;

	ret = sim_live(fd, &pt0, &vp0);
	if (ret)
		return ret;
	snprintf(max, sizeof(max), "%d 100000", max_us);
	ret = sim_cg_create("mshv_sim_cap", cg[0]);
	if (!ret)
		ret = sim_cg_set_max(cg[0], max);
	if (ret)
		goto out_cg;
	ret = sim_scn_spawn(fd, core, cpu, &m, cg, 1);
	if (!ret)
		ret = sim_scn_measure(fd, &m, 1, ms, &w, NULL, NULL);
	if (!ret)
		*pct = w.t_ns ? 100.0 * w.run_ns / w.t_ns : 0;
	ret = sim_scn_end(fd, &m, 1, pt0, vp0, ret);
out_cg:
	sim_cg_remove(cg[0]);
	return ret;
}

/* A task's core_forceidle_sum (/proc/PID/task/TID/sched) in ms, or -1 */
static double sim_task_forceidle_ms(pid_t pid, pid_t tid)
{
	char path[64], line[128];
	double ms = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/sched", pid, tid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "core_forceidle_sum : %lf", &ms) == 1)
			break;
	fclose(f);
	return ms;
}

/* The forced idle time charged to the VP tasks of @m, in ms, or -1 */
static double sim_scn_forceidle_ms(const struct sim_vmm *m, bool workers)
{
	double sum = 0, ms;
	int p, i;

	for (p = 0; p < 2; p++) {
		for (i = 0; i < m[p].nr_vps; i++) {
			ms = sim_task_forceidle_ms(m[p].pid, workers ?
						   m[p].task[i].tid :
						   m[p].vcpu_tid[i]);
			if (ms < 0)
				return -1;
			sum += ms;
		}
	}
	return sum;
}

int sim_scn_smt(int fd, __u32 pt_flags, bool vmm_cookie,
		const struct sim_smt_core *cores,
		int ms, struct sim_smt_result *r)
{
	static const struct mshv_sim_step busy[] = { SIM_COMPUTE(100000) };
	bool core = pt_flags & MSHV_SIM_PARTITION_CORE_SCHED;
	bool workers = pt_flags & MSHV_SIM_PARTITION_VP_WORKERS;
	struct sim_vmm_cfg cfg = {
		.ctl_fd = fd,
		.pt_flags = pt_flags,
		.nr_vps = 2,
		.steps = busy,
		.nr_steps = 1,
		.cpu = -1,
		.core_cookie = vmm_cookie,
	};
	__u64 pt0, vp0, cross0, same0;
	struct sim_window w[2][2];
	struct sim_vmm m[2];
	double fi0 = -1;
	int p, i, ret;
	pid_t tid;

	memset(r, 0, sizeof(*r));
	r->forceidle_ms = -1;
	ret = sim_live(fd, &pt0, &vp0);
	if (ret)
		return ret;
	for (p = 0; p < 2; p++) {
		m[p].pid = -1;
		m[p].pt_id = 0;
	}
	for (p = 0; p < 2 && !ret; p++) {
		ret = sim_vmm_spawn(&m[p], &cfg);
		if (!ret)
			ret = sim_vmm_run(&m[p]);
	}
	/* Core i runs VP i of both partitions: sibling p, partition p's */
	for (p = 0; p < 2 && !ret && !core; p++) {
		for (i = 0; i < 2 && !ret; i++) {
			tid = workers ? m[p].task[i].tid : m[p].vcpu_tid[i];
			ret = tid > 0 ? sim_pin_task(tid, cores[i].cpu[p],
						     cores[i].cpu[p]) : -ESRCH;
		}
	}
	if (ret)
		return sim_scn_end(fd, m, 2, pt0, vp0, ret);

	sim_sleep_ms(300);
	ret = sim_smt_stats(fd, &cross0, &same0);
	if (!core)
		fi0 = sim_scn_forceidle_ms(m, workers);
	for (p = 0; p < 2 && !ret; p++)
		for (i = 0; i < 2 && !ret; i++)
			ret = sim_window_start(fd, m[p].pt_id, i, &w[p][i]);
	sim_sleep_ms(ms);
	for (p = 0; p < 2 && !ret; p++) {
		for (i = 0; i < 2 && !ret; i++) {
			ret = sim_window_end(fd, m[p].pt_id, i, &w[p][i]);
			r->run_ns[p][i] = w[p][i].run_ns;
		}
	}
	if (!ret)
		ret = sim_smt_stats(fd, &r->cross_ns, &r->same_ns);
	r->cross_ns -= cross0;
	r->same_ns -= same0;
	if (fi0 >= 0) {
		r->forceidle_ms = sim_scn_forceidle_ms(m, workers);
		if (r->forceidle_ms >= 0)
			r->forceidle_ms -= fi0;
	}
	return sim_scn_end(fd, m, 2, pt0, vp0, ret);
}

