// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (c) 2026, Microsoft Corporation.
 *
 * mshv_sim: the control device /dev/mshv_sim, and the lifecycle of
 * simulated partitions and VPs.  See mshv_sim.h and mshv_sim_uapi.h.
 */

#include <linux/anon_inodes.h>
#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include "mshv_sim.h"
#include "mshv_vp_task.h"
#include "mshv_vp_sched.h"

/*
 * mshv_sim_lock serialises the control ioctls: it protects
 * mshv_sim_partitions, each partition's owner and dead flag, and the
 * insertion of VPs into a partition's pt_vp_array.  It is never taken in
 * the dispatch path nor when an object is freed.
 */
static DEFINE_MUTEX(mshv_sim_lock);
/* Live (not destroyed) partitions by id; under mshv_sim_lock */
static DEFINE_XARRAY_ALLOC1(mshv_sim_partitions);

/* Objects allocated and not yet freed, for MSHV_SIM_GET_INFO */
static atomic64_t mshv_sim_nr_partitions = ATOMIC64_INIT(0);
static atomic64_t mshv_sim_nr_vps = ATOMIC64_INIT(0);

static struct miscdevice mshv_sim_dev;

/*
 * Copy a control structure from userspace and check its header: the
 * size it gives, no flags but @flags_ok, and its reserved tail all zero.
 */
static int mshv_sim_copy_args(void *args, size_t size, void __user *uarg,
			      const u64 *reserved, size_t nr_reserved,
			      u32 flags_ok)
{
	const u32 *hdr = args;

	if (copy_from_user(args, uarg, size))
		return -EFAULT;
	if (hdr[0] != size || (hdr[1] & ~flags_ok))
		return -EINVAL;
	if (memchr_inv(reserved, 0, nr_reserved * sizeof(*reserved)))
		return -EINVAL;

	return 0;
}

static long mshv_sim_ioctl_get_info(void __user *uarg)
{
	struct mshv_sim_info info;
	int ret;

	ret = mshv_sim_copy_args(&info, sizeof(info), uarg, info.reserved,
				 ARRAY_SIZE(info.reserved), 0);
	if (ret)
		return ret;
	if (info.version || info.max_vps || info.max_steps || info.nr_cpus ||
	    info.nr_partitions || info.nr_vps)
		return -EINVAL;

	info.version = MSHV_SIM_VERSION;
	info.max_vps = MSHV_MAX_VPS;
	info.max_steps = MSHV_SIM_MAX_STEPS;
	info.nr_cpus = nr_cpu_ids;
	info.nr_partitions = atomic64_read(&mshv_sim_nr_partitions);
	info.nr_vps = atomic64_read(&mshv_sim_nr_vps);

	if (copy_to_user(uarg, &info, sizeof(info)))
		return -EFAULT;

	return 0;
}

/* Find a live partition of @owner; caller holds mshv_sim_lock. */
static struct mshv_sim_partition *mshv_sim_find(void *owner, u64 pt_id)
{
	struct mshv_sim_partition *spt;

	if (pt_id > U32_MAX)
		return NULL;

	spt = xa_load(&mshv_sim_partitions, pt_id);
	if (!spt || spt->owner != owner)
		return NULL;

	return spt;
}

/* The MSHV_PT_BIT_* flags of MSHV_CREATE_PARTITION for simulator flags */
static u64 mshv_sim_pt_flags(u32 flags)
{
	u64 pt_flags = 0;

	if (flags & MSHV_SIM_PARTITION_VP_WORKERS)
		pt_flags |= BIT_ULL(MSHV_PT_BIT_VP_WORKERS);
	if (flags & MSHV_SIM_PARTITION_VP_INLINE)
		pt_flags |= BIT_ULL(MSHV_PT_BIT_VP_INLINE);
	if (flags & MSHV_SIM_PARTITION_VP_SMT_SHARED)
		pt_flags |= BIT_ULL(MSHV_PT_BIT_VP_SMT_SHARED);

	return pt_flags;
}

static long mshv_sim_ioctl_create_partition(void *owner, void __user *uarg)
{
	struct mshv_sim_partition_args args;
	struct mshv_sim_partition *spt;
	u32 id;
	int ret;

	ret = mshv_sim_copy_args(&args, sizeof(args), uarg, args.reserved,
				 ARRAY_SIZE(args.reserved),
				 MSHV_SIM_PARTITION_CORE_SCHED |
				 MSHV_SIM_PARTITION_VP_WORKERS |
				 MSHV_SIM_PARTITION_VP_INLINE |
				 MSHV_SIM_PARTITION_VP_SMT_SHARED);
	if (ret)
		return ret;
	if (args.pt_id)
		return -EINVAL;

	spt = kzalloc_obj(*spt);
	if (!spt)
		return -ENOMEM;

	spt->owner = owner;
	spt->core = args.flags & MSHV_SIM_PARTITION_CORE_SCHED;
	spt->pt.pt_module_dev = mshv_sim_dev.this_device;
	refcount_set(&spt->pt.pt_ref_count, 1);
	mutex_init(&spt->pt.pt_mutex);
	mutex_init(&spt->pt.pt_irq_lock);
	spin_lock_init(&spt->pt.pt_mem_regions_lock);
	INIT_HLIST_HEAD(&spt->pt.pt_mem_regions);
	INIT_HLIST_HEAD(&spt->pt.irq_ack_notifier_list);
	INIT_HLIST_HEAD(&spt->pt.pt_devices);
	init_completion(&spt->pt.async_hypercall);

	mutex_lock(&mshv_sim_lock);
	ret = mshv_sim_backend_install(spt->core,
				       !atomic64_read(&mshv_sim_nr_partitions));
	if (ret)
		goto unlock;

	/* After the install, which sets the scheduler type */
	ret = mshv_vp_task_pt_mode(&spt->pt, mshv_sim_pt_flags(args.flags));
	if (ret)
		goto unlock;

	ret = xa_alloc(&mshv_sim_partitions, &id, spt, xa_limit_31b,
		       GFP_KERNEL);
	if (ret)
		goto unlock;

	spt->pt.pt_id = id;
	spt->pt.pt_initialized = true;
	atomic64_inc(&mshv_sim_nr_partitions);
	args.pt_id = id;
	if (copy_to_user(uarg, &args, sizeof(args))) {
		/* The caller cannot know the id: undo. */
		xa_erase(&mshv_sim_partitions, id);
		atomic64_dec(&mshv_sim_nr_partitions);
		ret = -EFAULT;
		goto unlock;
	}
	mutex_unlock(&mshv_sim_lock);

	return 0;

unlock:
	mutex_unlock(&mshv_sim_lock);
	kfree(spt);
	return ret;
}

/*
 * Take @spt out of the table and drop its owner's reference.  It is
 * freed now, or when the last file descriptor of its VPs is closed.
 * Caller holds mshv_sim_lock.
 */
static void mshv_sim_unlink(struct mshv_sim_partition *spt)
{
	int i;

	xa_erase(&mshv_sim_partitions, spt->pt.pt_id);
	spt->owner = NULL;
	WRITE_ONCE(spt->dead, true);

	/* Wake any VP waiting for a kick: its next dispatch fails. */
	for (i = 0; i < MSHV_MAX_VPS; i++)
		if (spt->pt.pt_vp_array[i])
			mshv_vp_sched_kick(spt->pt.pt_vp_array[i]);
}

static void mshv_sim_free_vp(struct mshv_sim_vp *svp)
{
	mshv_vp_task_destroy(&svp->vp);
	free_page((unsigned long)svp->vp.vp_intercept_msg_page);
	kfree(svp->wake_lat);
	kfree(svp->cpu_run_ns);
	kfree(svp->steps);
	kfree(svp);
}

/* Free @spt and its VPs: nothing refers to them any more. */
static void mshv_sim_free_partition(struct mshv_sim_partition *spt)
{
	int i;

	for (i = 0; i < MSHV_MAX_VPS; i++) {
		struct mshv_vp *vp = spt->pt.pt_vp_array[i];

		if (!vp)
			continue;
		mshv_sim_vp_stop(to_sim_vp(vp));
		mshv_sim_free_vp(to_sim_vp(vp));
		atomic64_dec(&mshv_sim_nr_vps);
	}

	mshv_vp_task_pt_release(&spt->pt);
	kfree(spt);
	atomic64_dec(&mshv_sim_nr_partitions);
}

/*
 * Drop a reference to @spt; the last one frees it.  A simulated partition
 * never reaches the driver's destroy_partition(): only the simulator's
 * own files (/dev/mshv_sim and its VP files) hold its references.
 */
static void mshv_sim_partition_put(struct mshv_sim_partition *spt)
{
	if (refcount_dec_and_test(&spt->pt.pt_ref_count))
		mshv_sim_free_partition(spt);
}

static long mshv_sim_ioctl_destroy_partition(void *owner, void __user *uarg)
{
	struct mshv_sim_partition_args args;
	struct mshv_sim_partition *spt;
	int ret, i;

	ret = mshv_sim_copy_args(&args, sizeof(args), uarg, args.reserved,
				 ARRAY_SIZE(args.reserved), 0);
	if (ret)
		return ret;

	mutex_lock(&mshv_sim_lock);
	spt = mshv_sim_find(owner, args.pt_id);
	if (!spt) {
		ret = -ENOENT;
		goto unlock;
	}

	/*
	 * A VP is running when a task is in one of its ioctls, which hold
	 * its vp_mutex: MSHV_RUN_VP.  Refuse; the VMM stops its VPs first.
	 * A VP that starts running after this check fails its next
	 * dispatch with -ENODEV.
	 */
	for (i = 0; i < MSHV_MAX_VPS; i++) {
		struct mshv_vp *vp = spt->pt.pt_vp_array[i];

		if (vp && mutex_is_locked(&vp->vp_mutex)) {
			ret = -EBUSY;
			goto unlock;
		}
	}

	mshv_sim_unlink(spt);
	mutex_unlock(&mshv_sim_lock);

	mshv_sim_partition_put(spt);

	return 0;

unlock:
	mutex_unlock(&mshv_sim_lock);
	return ret;
}

static int mshv_sim_check_steps(const struct mshv_sim_step *steps, u32 nr)
{
	u32 i;

	for (i = 0; i < nr; i++) {
		if (steps[i].reserved)
			return -EINVAL;

		switch (steps[i].op) {
		case MSHV_SIM_OP_COMPUTE:
		case MSHV_SIM_OP_HALT:
			if (!steps[i].arg || steps[i].arg > MSHV_SIM_MAX_STEP_US)
				return -EINVAL;
			break;
		case MSHV_SIM_OP_INTERCEPT:
			break;
		case MSHV_SIM_OP_NULL:
			if (steps[i].arg)
				return -EINVAL;
			break;
		default:
			return -EINVAL;
		}
	}

	return 0;
}

/*
 * A simulated VP's file runs the driver's own VP ioctls and mmap(), so
 * that MSHV_RUN_VP takes the driver's dispatch loop; closing it drops the
 * simulator's reference to the partition.
 *
 * Only the ioctls the simulator implements reach the driver.  There is no
 * hypervisor behind a simulated VP: any other VP ioctl (state and register
 * access, MSHV_ROOT_HVCALL, one added later) would reach a hypercall and
 * fault on the missing hypercall page, so it fails with -EOPNOTSUPP.  No
 * partition file exists without a hypervisor (/dev/mshv is not
 * registered), so the partition ioctls (memory regions, irqfd, ioeventfd,
 * MSI routing, ...) are unreachable.
 */
static long mshv_sim_vp_ioctl(struct file *filp, unsigned int ioctl,
			      unsigned long arg)
{
	switch (ioctl) {
	case MSHV_RUN_VP:
	case MSHV_CANCEL_RUN_VP:
	case MSHV_GET_VP_TASK:
	case MSHV_CREATE_VP_WORKER:
		return mshv_vp_fops.unlocked_ioctl(filp, ioctl, arg);
	default:
		return -EOPNOTSUPP;
	}
}

static int mshv_sim_vp_mmap(struct file *filp, struct vm_area_struct *vma)
{
	return mshv_vp_fops.mmap(filp, vma);
}

static int mshv_sim_vp_release(struct inode *inode, struct file *filp)
{
	struct mshv_vp *vp = filp->private_data;

	mshv_sim_partition_put(to_sim_partition(vp->vp_partition));
	return 0;
}

static const struct file_operations mshv_sim_vp_fops = {
	.owner = THIS_MODULE,
	.release = mshv_sim_vp_release,
	.unlocked_ioctl = mshv_sim_vp_ioctl,
	.llseek = noop_llseek,
	.mmap = mshv_sim_vp_mmap,
};

static long mshv_sim_ioctl_create_vp(void *owner, void __user *uarg)
{
	struct mshv_sim_create_vp args;
	struct mshv_sim_partition *spt;
	struct mshv_sim_vp *svp;
	struct file *file;
	int ret, fd;

	ret = mshv_sim_copy_args(&args, sizeof(args), uarg, args.reserved,
				 ARRAY_SIZE(args.reserved),
				 MSHV_SIM_VP_WAKE_LATENCY);
	if (ret)
		return ret;
	if (args.vp_index >= MSHV_MAX_VPS || !args.nr_steps ||
	    args.nr_steps > MSHV_SIM_MAX_STEPS)
		return -EINVAL;

	svp = kzalloc_obj(*svp);
	if (!svp)
		return -ENOMEM;

	svp->nr_steps = args.nr_steps;
	svp->loops = args.loops;
	svp->steps = memdup_array_user(u64_to_user_ptr(args.steps),
				       args.nr_steps, sizeof(*svp->steps));
	if (IS_ERR(svp->steps)) {
		ret = PTR_ERR(svp->steps);
		svp->steps = NULL;
		goto free_vp;
	}
	ret = mshv_sim_check_steps(svp->steps, svp->nr_steps);
	if (ret)
		goto free_vp;

	svp->cpu_run_ns = kcalloc(nr_cpu_ids, sizeof(u64), GFP_KERNEL);
	svp->vp.vp_intercept_msg_page = (void *)get_zeroed_page(GFP_KERNEL);
	if (!svp->cpu_run_ns || !svp->vp.vp_intercept_msg_page) {
		ret = -ENOMEM;
		goto free_vp;
	}
	if (args.flags & MSHV_SIM_VP_WAKE_LATENCY) {
		svp->wake_lat = kcalloc(MSHV_SIM_MAX_WAKE_SAMPLES,
					sizeof(*svp->wake_lat), GFP_KERNEL);
		if (!svp->wake_lat) {
			ret = -ENOMEM;
			goto free_vp;
		}
	}

	svp->vp.vp_index = args.vp_index;
	mutex_init(&svp->vp.vp_mutex);
	init_waitqueue_head(&svp->vp.run.vp_suspend_queue);
	atomic64_set(&svp->vp.run.vp_signaled_count, 0);
	mshv_sim_vp_init(svp);

	fd = get_unused_fd_flags(O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto free_vp;
	}

	mutex_lock(&mshv_sim_lock);
	spt = mshv_sim_find(owner, args.pt_id);
	if (!spt) {
		ret = -ENOENT;
		goto unlock;
	}
	if (spt->pt.pt_vp_array[args.vp_index]) {
		ret = -EEXIST;
		goto unlock;
	}

	/* The VP's file holds a reference to the partition. */
	svp->vp.vp_partition = mshv_partition_get(&spt->pt);
	if (!svp->vp.vp_partition) {
		ret = -ENOENT;
		goto unlock;
	}

	ret = mshv_vp_task_init(&svp->vp);
	if (ret)
		goto put_partition;

	if (spt->core) {
		ret = mshv_sim_core_start(svp);
		if (ret)
			goto put_partition;
	}

	file = anon_inode_getfile("mshv_vp", &mshv_sim_vp_fops, &svp->vp,
				  O_RDWR | O_CLOEXEC);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		mshv_sim_core_stop(svp);
		goto put_partition;
	}

	spt->pt.pt_vp_count++;
	atomic64_inc(&mshv_sim_nr_vps);
	/* Pairs with readers of pt_vp_array that hold no lock */
	smp_store_release(&spt->pt.pt_vp_array[args.vp_index], &svp->vp);
	mutex_unlock(&mshv_sim_lock);

	fd_install(fd, file);

	return fd;

put_partition:
	/* Not the last reference: the table still holds one. */
	refcount_dec(&spt->pt.pt_ref_count);
unlock:
	mutex_unlock(&mshv_sim_lock);
	put_unused_fd(fd);
free_vp:
	mshv_sim_free_vp(svp);
	return ret;
}

static long mshv_sim_ioctl_get_vp_stats(void *owner, void __user *uarg)
{
	struct mshv_sim_vp_stats st;
	struct mshv_sim_partition *spt;
	struct mshv_sim_vp *svp;
	struct mshv_vp *vp;
	u32 nr_copy, nr_lat = 0;
	u32 *lat = NULL;
	u64 *cpu_ns;
	int ret = 0;

	ret = mshv_sim_copy_args(&st, sizeof(st), uarg, st.reserved,
				 ARRAY_SIZE(st.reserved), 0);
	if (ret)
		return ret;
	if (st.run_ns || st.dispatches || st.halts || st.intercepts ||
	    st.loops_done || (st.nr_cpus && !st.cpu_run_ns) || st.pad ||
	    (st.nr_wake_lat && !st.wake_lat_ns) ||
	    st.nr_wake_lat > MSHV_SIM_MAX_WAKE_SAMPLES)
		return -EINVAL;
	if (st.vp_index >= MSHV_MAX_VPS)
		return -EINVAL;

	nr_copy = min(st.nr_cpus, nr_cpu_ids);
	cpu_ns = kcalloc(nr_cpu_ids, sizeof(*cpu_ns), GFP_KERNEL);
	if (!cpu_ns)
		return -ENOMEM;
	if (st.nr_wake_lat) {
		lat = kcalloc(st.nr_wake_lat, sizeof(*lat), GFP_KERNEL);
		if (!lat) {
			ret = -ENOMEM;
			goto out;
		}
	}

	mutex_lock(&mshv_sim_lock);
	spt = mshv_sim_find(owner, st.pt_id);
	vp = spt ? spt->pt.pt_vp_array[st.vp_index] : NULL;
	if (!vp) {
		mutex_unlock(&mshv_sim_lock);
		ret = -ENOENT;
		goto out;
	}
	svp = to_sim_vp(vp);

	spin_lock(&svp->stats_lock);
	st.run_ns = svp->run_ns;
	st.dispatches = svp->dispatches;
	st.halts = svp->halts;
	st.intercepts = svp->intercepts;
	memcpy(cpu_ns, svp->cpu_run_ns, nr_cpu_ids * sizeof(*cpu_ns));
	if (svp->wake_lat)
		nr_lat = mshv_sim_copy_wake_lat(svp, lat, st.nr_wake_lat);
	spin_unlock(&svp->stats_lock);
	/* Its task owns the position; a racy snapshot is good enough. */
	st.loops_done = READ_ONCE(svp->loop);
	mutex_unlock(&mshv_sim_lock);

	st.nr_cpus = nr_cpu_ids;
	st.nr_wake_lat = nr_lat;
	if (nr_copy && copy_to_user(u64_to_user_ptr(st.cpu_run_ns), cpu_ns,
				    nr_copy * sizeof(*cpu_ns)))
		ret = -EFAULT;
	else if (nr_lat && copy_to_user(u64_to_user_ptr(st.wake_lat_ns), lat,
					nr_lat * sizeof(*lat)))
		ret = -EFAULT;
	else if (copy_to_user(uarg, &st, sizeof(st)))
		ret = -EFAULT;
out:
	kfree(lat);
	kfree(cpu_ns);
	return ret;
}

static long mshv_sim_ioctl_get_smt_stats(void __user *uarg)
{
	struct mshv_sim_smt_stats st;
	u64 __user *ucross, *usame;
	u64 cross, same;
	u32 nr, cpu;
	int ret;

	ret = mshv_sim_copy_args(&st, sizeof(st), uarg, st.reserved,
				 ARRAY_SIZE(st.reserved), 0);
	if (ret)
		return ret;
	if (st.pad || (st.nr_cpus && (!st.cross_ns || !st.same_ns)))
		return -EINVAL;

	ucross = u64_to_user_ptr(st.cross_ns);
	usame = u64_to_user_ptr(st.same_ns);
	nr = min(st.nr_cpus, nr_cpu_ids);
	for (cpu = 0; cpu < nr; cpu++) {
		mshv_sim_smt_stats(cpu, &cross, &same);
		if (put_user(cross, ucross + cpu) || put_user(same, usame + cpu))
			return -EFAULT;
	}

	st.nr_cpus = nr_cpu_ids;
	if (copy_to_user(uarg, &st, sizeof(st)))
		return -EFAULT;

	return 0;
}

static long mshv_sim_ioctl(struct file *filp, unsigned int cmd,
			   unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case MSHV_SIM_GET_INFO:
		return mshv_sim_ioctl_get_info(uarg);
	case MSHV_SIM_CREATE_PARTITION:
		return mshv_sim_ioctl_create_partition(filp, uarg);
	case MSHV_SIM_DESTROY_PARTITION:
		return mshv_sim_ioctl_destroy_partition(filp, uarg);
	case MSHV_SIM_CREATE_VP:
		return mshv_sim_ioctl_create_vp(filp, uarg);
	case MSHV_SIM_GET_VP_STATS:
		return mshv_sim_ioctl_get_vp_stats(filp, uarg);
	case MSHV_SIM_GET_SMT_STATS:
		return mshv_sim_ioctl_get_smt_stats(uarg);
#if IS_ENABLED(CONFIG_MSHV_INTEGRATED_SCHED)
	/* As on /dev/mshv, which the simulator stands in for */
	case MSHV_CHECK_EXTENSION:
		return mshv_ioctl_check_extension(uarg);
#endif
	}

	return -ENOTTY;
}

/* Closing the control file destroys the partitions it created. */
static int mshv_sim_release(struct inode *inode, struct file *filp)
{
	struct mshv_sim_partition *spt;
	unsigned long id;

	for (;;) {
		bool found = false;

		mutex_lock(&mshv_sim_lock);
		xa_for_each(&mshv_sim_partitions, id, spt) {
			if (spt->owner == filp) {
				mshv_sim_unlink(spt);
				found = true;
				break;
			}
		}
		mutex_unlock(&mshv_sim_lock);

		if (!found)
			break;
		mshv_sim_partition_put(spt);
	}

	return 0;
}

static const struct file_operations mshv_sim_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = mshv_sim_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.release = mshv_sim_release,
	.llseek = noop_llseek,
};

static struct miscdevice mshv_sim_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "mshv_sim",
	.fops = &mshv_sim_fops,
	.mode = 0600,
};

int __init mshv_sim_init(void)
{
	int ret;

	ret = misc_register(&mshv_sim_dev);
	if (ret)
		return ret;

	dev_info(mshv_sim_dev.this_device,
		 "no hypervisor: simulated hypervisor for tests, not for production\n");

	return 0;
}

void mshv_sim_exit(void)
{
	misc_deregister(&mshv_sim_dev);
	mshv_sim_backend_remove();
}
