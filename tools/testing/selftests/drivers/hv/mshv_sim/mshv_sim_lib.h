/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small VMM-like library for the mshv_sim kselftests: create simulated
 * partitions and VPs with workloads, run each VP in a thread the way a VMM
 * does (MSHV_RUN_VP in a loop), read the simulator's ground truth.
 *
 * Functions return 0 (or a file descriptor) on success and -errno on
 * failure; they never exit, so tests can check exact errnos.
 */
#ifndef _MSHV_SIM_LIB_H_
#define _MSHV_SIM_LIB_H_

#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/mshv.h>
#include <linux/types.h>

#include "../../../../../../drivers/hv/mshv_sim_uapi.h"
#include "../../../../../../drivers/hv/mshv_sim_bench_uapi.h"

/*
 * The integrated scheduler's VP tasks (include/uapi/linux/mshv.h), for
 * kernel headers that predate them.
 */
#ifndef MSHV_CAP_CANCEL_RUN_VP
#define MSHV_CAP_CANCEL_RUN_VP		0x5
#endif
#ifndef MSHV_CAP_VP_TASKS
#define MSHV_CAP_VP_TASKS		0x6
#endif
#ifndef MSHV_CANCEL_RUN_VP
#define MSHV_CANCEL_RUN_VP		_IO(MSHV_IOCTL, 0x10)
#endif
#ifndef MSHV_GET_VP_TASK
#define MSHV_VP_TASK_INLINE		1
#define MSHV_VP_TASK_WORKER		2

struct mshv_vp_task_info {
	__u32 size;
	__u32 flags;
	__u32 mode;
	__s32 tid;
	__s32 cpu;
	__u32 reserved[3];
};

#define MSHV_GET_VP_TASK		_IO(MSHV_IOCTL, 0x11)
#endif
#ifndef MSHV_CREATE_VP_WORKER
#define MSHV_CREATE_VP_WORKER		_IO(MSHV_IOCTL, 0x12)
#endif

#define SIM_DEV			"/dev/mshv_sim"
#define SIM_BENCH_DEV		"/dev/mshv_sim_bench"
#define SIM_MAX_CPUS		64

#define SIM_COMPUTE(us)		{ .op = MSHV_SIM_OP_COMPUTE, .arg = (us) }
#define SIM_HALT(us)		{ .op = MSHV_SIM_OP_HALT, .arg = (us) }
#define SIM_INTERCEPT(a)	{ .op = MSHV_SIM_OP_INTERCEPT, .arg = (a) }
#define SIM_NULL()		{ .op = MSHV_SIM_OP_NULL }

#define SIM_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* Open the control device: fd, or -errno (-ENOENT: not configured) */
int sim_open(void);
int sim_info(int fd, struct mshv_sim_info *info);
/* Objects the simulator has not freed yet */
int sim_live(int fd, __u64 *nr_partitions, __u64 *nr_vps);
/*
 * Wait up to @ms for the live objects to drop to the given numbers (or
 * below: objects of an earlier, aborted test may be freed meanwhile)
 */
int sim_wait_live(int fd, __u64 nr_partitions, __u64 nr_vps, int ms);

/*
 * Whether the kernel has the integrated scheduler's VP tasks: the
 * partition flags MSHV_SIM_PARTITION_VP_WORKERS/INLINE, MSHV_CANCEL_RUN_VP
 * and MSHV_GET_VP_TASK (MSHV_CAP_VP_TASKS)
 */
bool sim_has_vp_tasks(int fd);
/*
 * Open the control device for a test that needs the simulator and, with
 * @vp_tasks, the VP tasks: fd, or -errno.  *@skip says why the test cannot
 * run on this kernel (a skip, not a failure), NULL when it can.
 */
int sim_open_for_test(bool vp_tasks, const char **skip);

int sim_create_partition(int fd, __u64 *pt_id);
/* @flags: MSHV_SIM_PARTITION_* */
int sim_create_partition_flags(int fd, __u32 flags, __u64 *pt_id);
int sim_destroy_partition(int fd, __u64 pt_id);
/* A VP file descriptor, or -errno */
int sim_create_vp(int fd, __u64 pt_id, __u32 vp_index,
		  const struct mshv_sim_step *steps, __u32 nr_steps,
		  __u64 loops);
/* @flags: MSHV_SIM_VP_* */
int sim_create_vp_flags(int fd, __u64 pt_id, __u32 vp_index,
			const struct mshv_sim_step *steps, __u32 nr_steps,
			__u64 loops, __u32 flags);
/* @cpu_ns: NULL, or SIM_MAX_CPUS entries */
int sim_vp_stats(int fd, __u64 pt_id, __u32 vp_index,
		 struct mshv_sim_vp_stats *st, __u64 *cpu_ns);

/*
 * The latest wake latencies of a VP created with MSHV_SIM_VP_WAKE_LATENCY:
 * up to *@nr samples (ns) into @ns; *@nr becomes the number written
 */
int sim_vp_wake_lat(int fd, __u64 pt_id, __u32 vp_index, __u32 *ns,
		    __u32 *nr);
/*
 * Open /dev/mshv_sim_bench, the kernel-thread baseline of the benchmark
 * (CONFIG_MSHV_SIM_BENCH): fd, or -errno (-ENOENT: not configured)
 */
int sim_bench_open(void);
/*
 * MSHV_SIM_BENCH_KTHREAD_WAKE on @bench_fd: *@nr wake latencies (ns) of a
 * plain kernel thread woken every @period_us on @cpu (-1: any); *@nr
 * becomes the number written
 */
int sim_kthread_wake(int bench_fd, __u32 period_us, int cpu, __u32 *ns,
		     __u32 *nr);

/* One MSHV_RUN_VP: 0 and the simulator's exit, or -errno */
int sim_run_vp(int vp_fd, struct mshv_sim_exit *exit);
/* MSHV_CANCEL_RUN_VP: -errno */
int sim_cancel(int vp_fd);
/*
 * MSHV_GET_VP_TASK, after MSHV_CREATE_VP_WORKER in worker mode: the task
 * that runs the VP, in worker mode the worker, created in this thread if
 * need be; -errno
 */
int sim_vp_task(int vp_fd, struct mshv_vp_task_info *task);
/* MSHV_GET_VP_TASK with @flags (0: a plain query); -errno */
int sim_vp_task_flags(int vp_fd, __u32 flags, struct mshv_vp_task_info *task);

/* Monotonic time in ns */
__u64 sim_now_ns(void);
/* Sleep @ms milliseconds */
void sim_sleep_ms(int ms);
/* The calling thread's id */
pid_t sim_gettid(void);
/*
 * Whether @cpu is in /sys/devices/system/cpu/nohz_full (a CPU list such
 * as "3" or "2-3,5"; "(null)" or no file: none is)
 */
bool sim_cpu_nohz_full(int cpu);
/**
 * struct sim_smt_core - Two SMT siblings of one core
 * @cpu: the core's two lowest online CPUs
 */
struct sim_smt_core {
	int cpu[2];
};

/*
 * Cores with at least two online SMT siblings, in @cores[0 .. @max - 1];
 * returns how many
 */
int sim_smt_cores(struct sim_smt_core *cores, int max);
/*
 * The simulator's SMT co-execution records since it was loaded, summed
 * over all CPUs: the time SMT siblings ran VPs of different partitions
 * (@cross_ns) and of the same partition (@same_ns) at the same time
 */
int sim_smt_stats(int fd, __u64 *cross_ns, __u64 *same_ns);
/*
 * The core scheduling cookie of thread @tid (0: the caller), as
 * PR_SCHED_CORE_GET shows it (0: none), or -errno
 */
long long sim_core_cookie(pid_t tid);
/* Pin the calling thread to @cpu; -errno */
int sim_pin_self(int cpu);
/* Set the affinity of thread @tid (0: the caller) to CPUs @lo .. @hi */
int sim_pin_task(pid_t tid, int lo, int hi);
/* The comm of thread @tid of the calling process, in @buf; -errno */
int sim_task_comm(pid_t tid, char *buf, size_t len);
/*
 * Look a VP up in debugfs's mshv_sched/vp_tasks: its mode ("inline" or
 * "worker", in @mode of at least 16 bytes), TID and CPU.  -ESRCH: not
 * listed; else the -errno of opening the table.
 */
int sim_vp_tasks_lookup(__u64 pt_id, __u32 vp_index, char *mode, int *tid,
			int *cpu);

/*
 * The state of thread @tid of process @pid: the letter of field 3 of
 * /proc/@pid/task/@tid/stat (R, S, D, T, t, Z, ...) in *@state; -errno
 */
int sim_task_stat(pid_t pid, pid_t tid, char *state);
/*
 * The threads of process @pid (vCPU threads and VP workers alike): their
 * number, or -errno.  Of those in state @state, *@nr_state gets the number
 * and @tids (NULL, or room for @max) the first ids.
 */
int sim_threads_state(pid_t pid, char state, int *nr_state, pid_t *tids,
		      int max);

/**
 * struct sim_window - A VP's guest run time over a measurement window
 * @t_ns: sim_window_start(): its start; sim_window_end(): the window's
 *	length
 * @run_ns: guest run time, all CPUs (start: so far; end: in the window)
 * @cpu_ns: guest run time on each CPU (likewise)
 */
struct sim_window {
	__u64 t_ns;
	__u64 run_ns;
	__u64 cpu_ns[SIM_MAX_CPUS];
};

int sim_window_start(int fd, __u64 pt_id, __u32 vp_index,
		     struct sim_window *w);
/* Turn @w into the deltas since sim_window_start() */
int sim_window_end(int fd, __u64 pt_id, __u32 vp_index, struct sim_window *w);
/* Percentage of the window's guest run time on CPUs @lo .. @hi */
double sim_window_pct(const struct sim_window *w, int lo, int hi);

/**
 * struct sim_vcpu - A VMM vCPU thread running one VP
 * @vp_fd: the VP
 * @cpu: pin the thread there first; -1 for no pinning
 * @stop: set by sim_vcpu_stop(), to end the loop
 * @stop_signal: stop with signals, not MSHV_CANCEL_RUN_VP
 * @done: the thread's loop has ended
 * @tid: the thread's id, once it runs
 * @rc: 0 when the VP's workload ended (DONE), else the -errno that ended
 *	the loop
 * @intercepts: INTERCEPT exits seen
 * @arg_sum: sum of their @arg
 * @bad_seq: exits whose seq did not follow the previous one
 * @eintr: RUN_VP calls that returned EINTR without a stop
 * @wall_ns: time from start to the end of the loop
 */
struct sim_vcpu {
	int vp_fd;
	int cpu;
	bool stop;		/* __atomic accesses */
	bool stop_signal;	/* __atomic accesses */
	bool done;		/* __atomic accesses */
	pid_t tid;		/* __atomic accesses */
	pthread_t thread;
	int rc;
	__u64 intercepts;
	__u64 arg_sum;
	__u64 bad_seq;
	__u64 eintr;
	__u64 wall_ns;
};

/* Start a thread that runs the VP until DONE (or until stopped) */
int sim_vcpu_start(struct sim_vcpu *v);
/*
 * Ask the thread to stop: sets @stop and cancels the VP's MSHV_RUN_VP
 * (MSHV_CANCEL_RUN_VP is sticky: a cancel issued before the thread enters
 * MSHV_RUN_VP is not lost).  Without MSHV_CANCEL_RUN_VP, as
 * sim_vcpu_stop_signal().  sim_vcpu_join() then waits for the thread.
 */
void sim_vcpu_stop(struct sim_vcpu *v);
/*
 * Ask the thread to stop with signals: sets @stop and signals the thread
 * until its loop ends (a signal can land just before it enters
 * MSHV_RUN_VP).
 */
void sim_vcpu_stop_signal(struct sim_vcpu *v);
int sim_vcpu_join(struct sim_vcpu *v);

/*
 * cgroup v2 (mounted at SIM_CG_ROOT) for the tests: groups directly below
 * the root, with the cpu and cpuset controllers.
 */
#define SIM_CG_ROOT		"/sys/fs/cgroup"
#define SIM_CG_PATH_MAX		128

/* Enable +cpu +cpuset for the root's children; -errno when unavailable */
int sim_cg_setup(void);
/*
 * Create SIM_CG_ROOT/@name, its path in @path (SIM_CG_PATH_MAX bytes); a
 * group of that name left over by an earlier run is removed first
 */
int sim_cg_create(const char *name, char *path);
/* Write @val to the control file @file of group @cg */
int sim_cg_write(const char *cg, const char *file, const char *val);
int sim_cg_set_weight(const char *cg, unsigned int weight);
/* @max: cpu.max, e.g. "25000 100000" or "max" */
int sim_cg_set_max(const char *cg, const char *max);
/* @cpus: cpuset.cpus, e.g. "2-3" */
int sim_cg_set_cpus(const char *cg, const char *cpus);
/* Move process @pid (0: the caller's) with all its threads into @cg */
int sim_cg_move(const char *cg, pid_t pid);
/* The cgroup of thread @tid of process @pid, in @buf */
int sim_cg_of(pid_t pid, pid_t tid, char *buf, size_t len);
/* The value of @key in the flat-keyed file @file of @cg (cgroup.events) */
int sim_cg_read_key(const char *cg, const char *file, const char *key,
		    long *val);
/*
 * Wait up to @ms for @key of @file of @cg to read @val: 0, -ETIMEDOUT or
 * the -errno of reading it
 */
int sim_cg_wait_key(const char *cg, const char *file, const char *key,
		    long val, int ms);
/* Kill what is left in @cg and remove it */
int sim_cg_remove(const char *cg);

#define SIM_VMM_MAX_VPS		8

/**
 * struct sim_vmm_cfg - What a VMM child process creates and runs
 * @ctl_fd: the control file the child uses: the parent's own (inherited,
 *	so the parent reads the stats and destroys the partition), or -1:
 *	the child opens its own (its partition dies with it)
 * @pt_flags: MSHV_SIM_PARTITION_*
 * @nr_vps: VPs 0 .. @nr_vps - 1, at most SIM_VMM_MAX_VPS
 * @steps: the workload of every VP
 * @nr_steps: its steps
 * @loops: its loops (0: forever)
 * @cgroup: NULL, or the group the child joins before it creates anything
 * @cpu: -1, or the CPU the child pins itself to before it creates
 *	anything (its vCPU threads, and workers, inherit that)
 * @core_cookie: the child gives its process a core scheduling cookie of
 *	its own before it creates anything (prctl(PR_SCHED_CORE_CREATE) for
 *	its thread group): the VMM's isolation recipe
 */
struct sim_vmm_cfg {
	int ctl_fd;
	__u32 pt_flags;
	int nr_vps;
	const struct mshv_sim_step *steps;
	__u32 nr_steps;
	__u64 loops;
	const char *cgroup;
	int cpu;
	bool core_cookie;
};

/**
 * struct sim_vmm - A VMM in a child process: one partition, one vCPU
 *	thread per VP
 * @pid: the child
 * @pt_id: its partition
 * @nr_vps: its VPs
 * @task: MSHV_GET_VP_TASK of each VP before it first ran: in worker mode
 *	the worker (created by that call), else zero
 * @vcpu_tid: the vCPU thread of each VP, after sim_vmm_run()
 * @cmd_fd: pipe to the child
 * @rep_fd: pipe from the child
 */
struct sim_vmm {
	pid_t pid;
	__u64 pt_id;
	int nr_vps;
	struct mshv_vp_task_info task[SIM_VMM_MAX_VPS];
	pid_t vcpu_tid[SIM_VMM_MAX_VPS];
	int cmd_fd;
	int rep_fd;
};

/*
 * Fork a VMM: it creates its partition and VPs, reports them, and waits
 * for sim_vmm_run().  The child dies with the calling thread.
 */
int sim_vmm_spawn(struct sim_vmm *m, const struct sim_vmm_cfg *cfg);
/* Let it run its VPs, each in a vCPU thread, until it is killed */
int sim_vmm_run(struct sim_vmm *m);
/* SIGKILL it and reap it: its wait status, or -errno */
int sim_vmm_kill(struct sim_vmm *m);

/*
 * Scenarios measured on the simulator's ground truth by the tests and the
 * demo, under the emulated core scheduler (@core) or on the integrated
 * scheduler's worker tasks.  Each leaves no partition behind on success;
 * @fd is a control file with no partition of its own.
 */

/* One busy VP pinned to @cpu: % of its guest time there over @ms */
int sim_scn_pin(int fd, bool core, int cpu, int ms, double *pct);
/*
 * Hyper-V's "Table 3": four VMMs with a busy VP each, in groups of
 * cpu.weight 200, 200, 50, 50 (production, production, test, test), all
 * pinned to @cpu: the production and test shares (%) of their guest time
 * over @ms, and (@use_prod, may be NULL) the production share (%) of the
 * four cgroups' CPU time (cpu.stat usage_usec)
 */
int sim_scn_table3(int fd, bool core, int cpu, int ms, double *prod,
		   double *test, double *use_prod);
/*
 * A VMM with a busy VP pinned to @cpu, in a group with cpu.max @max_us
 * per 100 ms: its guest time over @ms, in % of one CPU
 */
int sim_scn_cap(int fd, bool core, int cpu, int max_us, int ms, double *pct);

/**
 * struct sim_smt_result - What sim_scn_smt() measured
 * @run_ns: the guest time of each VP, [partition][VP]
 * @cross_ns: the time SMT siblings ran VPs of the two partitions together
 * @same_ns: the time SMT siblings ran VPs of one partition together
 * @forceidle_ms: forced idle time charged to the VP tasks
 *	(core_forceidle_sum, with kernel.sched_schedstats on), or -1
 */
struct sim_smt_result {
	__u64 run_ns[2][2];
	__u64 cross_ns;
	__u64 same_ns;
	double forceidle_ms;
};

/*
 * SMT isolation: two VMMs with two busy VPs each, in partitions of
 * @pt_flags, the VMMs with a core scheduling cookie of their own when
 * @vmm_cookie.  Except under the core scheduler, VP i of both partitions
 * is pinned to the two siblings of core @cores[i] (sim_smt_cores()), the
 * worst placement for isolation.  Measured over @ms.
 */
int sim_scn_smt(int fd, __u32 pt_flags, bool vmm_cookie,
		const struct sim_smt_core *cores,
		int ms, struct sim_smt_result *r);

#endif
