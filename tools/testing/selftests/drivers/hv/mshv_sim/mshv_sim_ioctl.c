// SPDX-License-Identifier: GPL-2.0
/*
 * mshv_sim: no ioctl of a simulated partition reaches a hypercall, and the
 * simulator's core-scheduler thread sleeps once its partition is gone.
 *
 * - vp_file: every ioctl number of type MSHV_IOCTL (0xB8), nr 0 .. 255,
 *   with each direction and size the mshv uAPI uses, on a simulated VP's
 *   file: MSHV_RUN_VP, MSHV_CANCEL_RUN_VP, MSHV_GET_VP_TASK and
 *   MSHV_CREATE_VP_WORKER run (success or their own errno), every other
 *   one fails with EOPNOTSUPP.  Before
 *   this was enforced, MSHV_GET_VP_STATE reached hv_call_get_vp_state()
 *   and oopsed on the missing hypercall page.
 * - control_file: the same walk on /dev/mshv_sim, the simulated
 *   partition's only file: known ioctls fail with EINVAL on zeroed
 *   arguments (size 0), unknown ones with ENOTTY; nothing is left behind.
 * - core_thread_sleeps: the thread that runs a VP under the emulated core
 *   scheduler (mshv_sim/<partition>:<vp>) uses no CPU time once the
 *   partition is destroyed, while the VP's file is still open.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/mshv.h>

#include "../../../kselftest_harness.h"
#include "mshv_sim_lib.h"

#define MS		1000000ULL
#define ARG_SIZE	16384	/* _IOC_SIZE() is at most 16383 */

/* Every ioctl of include/uapi/linux/mshv.h: the shapes to try */
static const unsigned long uapi_ioctls[] = {
	MSHV_CREATE_PARTITION, MSHV_INITIALIZE_PARTITION, MSHV_CREATE_VP,
	MSHV_SET_GUEST_MEMORY, MSHV_IRQFD, MSHV_IOEVENTFD,
	MSHV_SET_MSI_ROUTING, MSHV_GET_GPAP_ACCESS_BITMAP, MSHV_ROOT_HVCALL,
	MSHV_RUN_VP, MSHV_GET_VP_STATE, MSHV_SET_VP_STATE,
	MSHV_CHECK_EXTENSION, MSHV_CREATE_VTL, MSHV_ADD_VTL0_MEMORY,
	MSHV_SET_POLL_FILE, MSHV_RETURN_TO_LOWER_VTL, MSHV_GET_VP_REGISTERS,
	MSHV_SET_VP_REGISTERS, MSHV_SINT_SIGNAL_EVENT, MSHV_SINT_POST_MESSAGE,
	MSHV_SINT_SET_EVENTFD, MSHV_SINT_PAUSE_MESSAGE_STREAM,
	MSHV_HVCALL_SETUP, MSHV_HVCALL, MSHV_CANCEL_RUN_VP, MSHV_GET_VP_TASK,
	MSHV_CREATE_VP_WORKER,
	/* and those of the simulator's control file, of the same type */
	MSHV_SIM_GET_INFO, MSHV_SIM_CREATE_PARTITION,
	MSHV_SIM_DESTROY_PARTITION, MSHV_SIM_CREATE_VP, MSHV_SIM_GET_VP_STATS,
	MSHV_SIM_GET_SMT_STATS,
};

/* The distinct (direction, size) pairs of uapi_ioctls[]; returns how many */
static int ioctl_shapes(unsigned long *shape, int max)
{
	int i, j, n = 0;
	unsigned long s;

	for (i = 0; i < (int)SIM_ARRAY_SIZE(uapi_ioctls); i++) {
		s = _IOC(_IOC_DIR(uapi_ioctls[i]), 0, 0,
			 _IOC_SIZE(uapi_ioctls[i]));
		for (j = 0; j < n && shape[j] != s; j++)
			;
		if (j == n && n < max)
			shape[n++] = s;
	}
	return n;
}

/* The ioctls the simulator implements on a VP file */
static bool vp_ioctl_simulated(unsigned long cmd)
{
	return cmd == MSHV_RUN_VP || cmd == MSHV_CANCEL_RUN_VP ||
	       cmd == MSHV_GET_VP_TASK || cmd == MSHV_CREATE_VP_WORKER;
}

FIXTURE(ioctl) {
	int fd;
	__u64 pt0, vp0;
	void *arg;
};

FIXTURE_SETUP(ioctl)
{
	const char *skip;

	self->arg = NULL;
	self->fd = sim_open_for_test(false, &skip);
	if (skip)
		SKIP(return, "%s", skip);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, sim_live(self->fd, &self->pt0, &self->vp0));
	self->arg = aligned_alloc(4096, ARG_SIZE);
	ASSERT_NE(NULL, self->arg);
}

FIXTURE_TEARDOWN(ioctl)
{
	int fd;

	free(self->arg);
	if (self->fd < 0)
		return;
	close(self->fd);
	fd = sim_open();
	EXPECT_EQ(0, sim_wait_live(fd, self->pt0, self->vp0, 5000));
	close(fd);
}

TEST_F(ioctl, vp_file)
{
	/* Every RUN_VP returns at once, with an intercept */
	static const struct mshv_sim_step s[] = { SIM_INTERCEPT(1) };
	unsigned long shape[SIM_ARRAY_SIZE(uapi_ioctls)], cmd;
	int nr_shapes, nr, i, fd, ret, tried = 0, simulated = 0;
	struct mshv_get_set_vp_state st = { 0 };
	struct mshv_sim_exit e = { 0 };
	__u64 pt;

	ASSERT_EQ(0, sim_create_partition(self->fd, &pt));
	fd = sim_create_vp(self->fd, pt, 0, s, 1, 0);
	ASSERT_LE(0, fd);

	nr_shapes = ioctl_shapes(shape, SIM_ARRAY_SIZE(shape));
	for (nr = 0; nr < 256; nr++) {
		for (i = 0; i < nr_shapes; i++) {
			cmd = shape[i] | _IOC(0, MSHV_IOCTL, nr, 0);
			memset(self->arg, 0, ARG_SIZE);
			errno = 0;
			ret = ioctl(fd, cmd, self->arg);
			tried++;
			if (vp_ioctl_simulated(cmd)) {
				/* Runs: success, or its own defined errno */
				simulated++;
				EXPECT_TRUE(ret >= 0 || errno == EINVAL ||
					    errno == EINTR)
					TH_LOG("nr %#x cmd %#lx: %d errno %d",
					       nr, cmd, ret, errno);
				continue;
			}
			EXPECT_EQ(-1, ret)
				TH_LOG("nr %#x cmd %#lx succeeded", nr, cmd);
			EXPECT_EQ(EOPNOTSUPP, errno)
				TH_LOG("nr %#x cmd %#lx: errno %d", nr, cmd,
				       errno);
		}
	}
	TH_LOG("%d ioctls tried on a VP file, %d of them simulated", tried,
	       simulated);
	EXPECT_EQ(4, simulated);

	/* The ioctl that oopsed, with arguments a VMM would pass */
	st.type = MSHV_VP_STATE_LAPIC;
	st.buf_sz = 4096;
	st.buf_ptr = (__u64)(unsigned long)self->arg;
	EXPECT_EQ(-1, ioctl(fd, MSHV_GET_VP_STATE, &st));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(-1, ioctl(fd, MSHV_SET_VP_STATE, &st));
	EXPECT_EQ(EOPNOTSUPP, errno);

	/* And the VP still runs */
	ret = sim_run_vp(fd, &e);
	if (ret == -EINTR)	/* the walk's cancel is sticky */
		ret = sim_run_vp(fd, &e);
	EXPECT_EQ(0, ret);
	EXPECT_EQ(MSHV_SIM_EXIT_INTERCEPT, e.kind);

	close(fd);
	EXPECT_EQ(0, sim_destroy_partition(self->fd, pt));
}

TEST_F(ioctl, control_file)
{
	unsigned long shape[SIM_ARRAY_SIZE(uapi_ioctls)], cmd;
	int nr_shapes, nr, i, ret, tried = 0;
	__u64 nr_pt, nr_vp;

	nr_shapes = ioctl_shapes(shape, SIM_ARRAY_SIZE(shape));
	for (nr = 0; nr < 256; nr++) {
		for (i = 0; i < nr_shapes; i++) {
			cmd = shape[i] | _IOC(0, MSHV_SIM_IOCTL, nr, 0);
			memset(self->arg, 0, ARG_SIZE);
			errno = 0;
			ret = ioctl(self->fd, cmd, self->arg);
			tried++;
			if (cmd == MSHV_CHECK_EXTENSION) {
				/* Extension 0: not supported, or unknown */
				EXPECT_TRUE(ret >= 0 || errno == EINVAL ||
					    errno == EOPNOTSUPP ||
					    errno == ENOTTY);
				continue;
			}
			/* Zeroed arguments: size 0 is always wrong */
			EXPECT_EQ(-1, ret)
				TH_LOG("nr %#x cmd %#lx succeeded", nr, cmd);
			EXPECT_TRUE(errno == EINVAL || errno == ENOTTY)
				TH_LOG("nr %#x cmd %#lx: errno %d", nr, cmd,
				       errno);
		}
	}
	TH_LOG("%d ioctls tried on the control file", tried);
	ASSERT_EQ(0, sim_live(self->fd, &nr_pt, &nr_vp));
	EXPECT_EQ(self->pt0, nr_pt);
	EXPECT_EQ(self->vp0, nr_vp);
}

/* The pid of the kernel thread named @comm, or -ESRCH */
static pid_t kthread_by_comm(const char *comm)
{
	char path[300], buf[64];
	struct dirent *d;
	pid_t pid = -ESRCH;
	DIR *dir;
	FILE *f;

	dir = opendir("/proc");
	if (!dir)
		return -errno;
	while ((d = readdir(dir))) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", d->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f)) {
			buf[strcspn(buf, "\n")] = 0;
			if (!strcmp(buf, comm))
				pid = atoi(d->d_name);
		}
		fclose(f);
		if (pid > 0)
			break;
	}
	closedir(dir);
	return pid;
}

/* utime + stime of task @tid of process @pid, in clock ticks, or -errno */
static long long task_cpu_ticks(pid_t pid, pid_t tid)
{
	unsigned long long utime, stime;
	char path[64], buf[1024], *p;
	FILE *f;
	int ret;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (!p)
		return -EIO;
	/* Fields 14 and 15, after the comm, which may hold spaces */
	p = strrchr(buf, ')');
	if (!p)
		return -EIO;
	ret = sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
		     &utime, &stime);
	return ret == 2 ? (long long)(utime + stime) : -EIO;
}

/*
 * Core scheduler: a VP that computes for ever runs in the simulator's
 * thread; its partition is destroyed (the control file that owns it is
 * closed) while the VMM's thread is in MSHV_RUN_VP.  The thread stays
 * until the VP's file is closed, and must sleep meanwhile.
 */
TEST_F(ioctl, core_thread_sleeps)
{
	static const struct mshv_sim_step s[] = { SIM_COMPUTE(100000) };
	long long t0, t1, t2;
	struct sim_vcpu v;
	char comm[32];
	int ctl, fd, ret;
	pid_t tid;
	__u64 pt;

	ctl = sim_open();
	ASSERT_LE(0, ctl);
	ret = sim_create_partition_flags(ctl, MSHV_SIM_PARTITION_CORE_SCHED,
					 &pt);
	if (ret == -EBUSY) {
		close(ctl);
		SKIP(return, "root-scheduler partitions exist");
	}
	ASSERT_EQ(0, ret);
	fd = sim_create_vp(ctl, pt, 0, s, 1, 0);
	ASSERT_LE(0, fd);

	snprintf(comm, sizeof(comm), "mshv_sim/%llu:0", (unsigned long long)pt);
	tid = kthread_by_comm(comm);
	ASSERT_LT(0, tid) TH_LOG("no thread %s", comm);

	memset(&v, 0, sizeof(v));
	v.vp_fd = fd;
	v.cpu = -1;
	ASSERT_EQ(0, sim_vcpu_start(&v));
	sim_sleep_ms(200);
	t0 = task_cpu_ticks(tid, tid);
	ASSERT_LE(0, t0);
	/* Running: the guest used CPU time in the thread */
	sim_sleep_ms(200);
	t1 = task_cpu_ticks(tid, tid);
	EXPECT_LT(t0, t1);

	/* Destroy the partition under the running VP */
	close(ctl);
	sim_vcpu_join(&v);
	/* Its next MSHV_RUN_VP failed: the partition is gone */
	EXPECT_NE(0, v.rc);
	sim_sleep_ms(100);

	/* The VP's file is open: the thread exists, and sleeps */
	t1 = task_cpu_ticks(tid, tid);
	ASSERT_LE(0, t1);
	sim_sleep_ms(1000);
	t2 = task_cpu_ticks(tid, tid);
	ASSERT_LE(0, t2);
	TH_LOG("%s: %lld ticks in 1 s after destroy", comm, t2 - t1);
	EXPECT_GE(1, t2 - t1);

	close(fd);
}

TEST_HARNESS_MAIN
