// SPDX-License-Identifier: GPL-2.0
/*
 * mshv_sim: mmap() of a VP file maps exactly the page asked for, one page
 * per mapping, and only a page the VP has.  A simulated VP has the
 * intercept message page, but neither a register page nor a GHCB page
 * (its partition is not SEV-SNP).
 *
 * The driver used to check only the first page of a mapping, and let the
 * VMA grow or merge with a neighbouring mapping of the same file without
 * a check; its fault handler then looked a page the VP lacks up by the
 * VMA's first offset and oopsed on virt_to_page(NULL).  Each case below
 * must end in a refused mmap()/mremap() or in SIGBUS on the first touch,
 * never in an oops (the test kernel panics on one).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <linux/mshv.h>

#include "../../../kselftest_harness.h"
#include "mshv_sim_lib.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE	0x100000
#endif

/* The start of struct hv_message: its header; the payload follows it */
struct sim_msg_header {
	__u32 message_type;
	__u8 payload_size;
	__u8 message_flags;
	__u8 reserved[2];
	__u64 sender;
};

static sigjmp_buf touch_env;
static char touch_byte;

static void touch_handler(int sig)
{
	siglongjmp(touch_env, sig);
}

/* Read a byte at @p: 0, or the signal (SIGBUS, SIGSEGV) the read took */
static int touch(const void *p)
{
	struct sigaction sa = { .sa_handler = touch_handler };
	struct sigaction old_bus, old_segv;
	int sig;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old_bus);
	sigaction(SIGSEGV, &sa, &old_segv);
	sig = sigsetjmp(touch_env, 1);
	if (!sig)
		__atomic_store_n(&touch_byte,
				 __atomic_load_n((const char *)p,
						 __ATOMIC_RELAXED),
				 __ATOMIC_RELAXED);
	sigaction(SIGBUS, &old_bus, NULL);
	sigaction(SIGSEGV, &old_segv, NULL);
	return sig;
}

/*
 * An address with @len free bytes from it: reserved, then released, so
 * that MAP_FIXED_NOREPLACE can place mappings there side by side
 */
static char *free_range(size_t len)
{
	void *p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	munmap(p, len);
	return p;
}

FIXTURE(mm) {
	int fd;
	__u64 pt;
	__u64 pt0, vp0;
	int vp_fd;
	size_t pg;
};

FIXTURE_SETUP(mm)
{
	static const struct mshv_sim_step s[] = { SIM_INTERCEPT(7) };

	self->vp_fd = -1;
	self->pg = sysconf(_SC_PAGESIZE);
	self->fd = sim_open();
	if (self->fd == -ENOENT)
		SKIP(return, SIM_DEV " absent: CONFIG_MSHV_SIM off");
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, sim_live(self->fd, &self->pt0, &self->vp0));
	ASSERT_EQ(0, sim_create_partition(self->fd, &self->pt));
	self->vp_fd = sim_create_vp(self->fd, self->pt, 0, s, 1, 1);
	ASSERT_LE(0, self->vp_fd);
}

FIXTURE_TEARDOWN(mm)
{
	int fd;

	if (self->fd < 0)
		return;
	if (self->vp_fd >= 0)
		close(self->vp_fd);
	EXPECT_EQ(0, sim_destroy_partition(self->fd, self->pt));
	close(self->fd);
	fd = sim_open();
	EXPECT_EQ(0, sim_wait_live(fd, self->pt0, self->vp0, 5000));
	close(fd);
}

/* mmap() of @len bytes of the VP file from page @pgoff */
static void *vp_map(int vp_fd, void *addr, size_t len, off_t pgoff,
		    size_t pg)
{
	int flags = MAP_SHARED | (addr ? MAP_FIXED_NOREPLACE : 0);

	return mmap(addr, len, PROT_READ, flags, vp_fd, pgoff * pg);
}

/* The good case: the intercept message page maps and shows the message */
TEST_F(mm, intercept_page)
{
	const struct sim_msg_header *h;
	struct mshv_sim_exit e;
	char *p;

	p = vp_map(self->vp_fd, NULL, self->pg,
		   MSHV_VP_MMAP_OFFSET_INTERCEPT_MESSAGE, self->pg);
	ASSERT_TRUE(p != MAP_FAILED) {
		TH_LOG("mmap of the intercept page: %s", strerror(errno));
	}
	EXPECT_EQ(0, touch(p));
	ASSERT_EQ(0, sim_run_vp(self->vp_fd, &e));
	EXPECT_EQ(MSHV_SIM_EXIT_INTERCEPT, e.kind);
	EXPECT_EQ(7, e.arg);
	/* The page is the message the VP's intercept left */
	h = (const struct sim_msg_header *)p;
	EXPECT_EQ(MSHV_SIM_MSG_TYPE, h->message_type);
	EXPECT_EQ(sizeof(e), h->payload_size);
	EXPECT_EQ(0, memcmp(p + sizeof(*h), &e, sizeof(e)));
	EXPECT_EQ(0, munmap(p, self->pg));
}

/* Pages the VP does not have, and offsets past the last page */
TEST_F(mm, absent_pages)
{
	static const struct {
		off_t pgoff;
		int err;
	} c[] = {
		{ MSHV_VP_MMAP_OFFSET_REGISTERS, ENODEV },
		{ MSHV_VP_MMAP_OFFSET_GHCB, ENODEV },	/* not SEV-SNP */
		{ MSHV_VP_MMAP_OFFSET_COUNT, EINVAL },
		{ 1024, EINVAL },
	};
	unsigned int i;
	char *p;

	for (i = 0; i < SIM_ARRAY_SIZE(c); i++) {
		p = vp_map(self->vp_fd, NULL, self->pg, c[i].pgoff, self->pg);
		if (p == MAP_FAILED) {
			EXPECT_EQ(c[i].err, errno) {
				TH_LOG("page %ld", (long)c[i].pgoff);
			}
			continue;
		}
		/* Accepted: the page must not be there */
		EXPECT_EQ(SIGBUS, touch(p)) {
			TH_LOG("page %ld mapped and readable", (long)c[i].pgoff);
		}
		munmap(p, self->pg);
	}
}

/*
 * Two pages from the intercept page: the second is the GHCB page, which
 * the VP lacks.  Refused; were it accepted, its second page must SIGBUS
 * (the old fault handler gave the intercept page there).
 */
TEST_F(mm, two_pages_refused)
{
	char *p;

	p = vp_map(self->vp_fd, NULL, 2 * self->pg,
		   MSHV_VP_MMAP_OFFSET_INTERCEPT_MESSAGE, self->pg);
	if (p == MAP_FAILED) {
		EXPECT_EQ(EINVAL, errno);
		return;
	}
	EXPECT_TRUE(p == MAP_FAILED) {
		TH_LOG("a 2-page mapping of the VP file was accepted");
	}
	EXPECT_EQ(0, touch(p));
	EXPECT_EQ(SIGBUS, touch(p + self->pg));
	munmap(p, 2 * self->pg);
}

/*
 * Unmap the first page of a 2-page mapping and read the rest: the VMA
 * left starts at the GHCB page.  The old driver oopsed on this read.
 */
TEST_F(mm, two_pages_unmap_first)
{
	char *p;

	p = vp_map(self->vp_fd, NULL, 2 * self->pg,
		   MSHV_VP_MMAP_OFFSET_INTERCEPT_MESSAGE, self->pg);
	if (p == MAP_FAILED) {
		EXPECT_EQ(EINVAL, errno);
		return;
	}
	EXPECT_TRUE(p == MAP_FAILED) {
		TH_LOG("a 2-page mapping of the VP file was accepted");
	}
	ASSERT_EQ(0, munmap(p, self->pg));
	EXPECT_EQ(SIGBUS, touch(p + self->pg));
	munmap(p + self->pg, self->pg);
}

/*
 * The intercept page (@hi_pages pages of the file from it), then the
 * register page, which a simulated VP lacks, with MAP_FIXED_NOREPLACE
 * just below it.  The old driver let the kernel merge the two VMAs
 * without a call to its mmap(); the first touch of the merged VMA then
 * oopsed.
 */
static void merge_below(struct __test_metadata *_metadata, int vp_fd,
			size_t pg, int hi_pages)
{
	char *base = free_range((hi_pages + 2) * pg);
	char *lo, *hi;

	ASSERT_NE(NULL, base);
	hi = vp_map(vp_fd, base + pg, hi_pages * pg,
		    MSHV_VP_MMAP_OFFSET_INTERCEPT_MESSAGE, pg);
	if (hi == MAP_FAILED && hi_pages > 1) {
		EXPECT_EQ(EINVAL, errno);
		return;
	}
	ASSERT_TRUE(hi == base + pg);
	lo = vp_map(vp_fd, base, pg, MSHV_VP_MMAP_OFFSET_REGISTERS, pg);
	if (lo == MAP_FAILED) {
		EXPECT_EQ(ENODEV, errno);
	} else {
		EXPECT_TRUE(lo == base);
		EXPECT_EQ(SIGBUS, touch(lo));
		munmap(lo, pg);
	}
	EXPECT_EQ(0, touch(hi));
	EXPECT_EQ(0, munmap(hi, hi_pages * pg));
}

TEST_F(mm, merge_below)
{
	merge_below(_metadata, self->vp_fd, self->pg, 1);
}

/* The sequence as found: a 2-page mapping first (now refused) */
TEST_F(mm, merge_below_two_pages)
{
	merge_below(_metadata, self->vp_fd, self->pg, 2);
}

/* The same above it: the GHCB page, which a non-SNP VP lacks */
TEST_F(mm, merge_above)
{
	char *base = free_range(3 * self->pg);
	char *lo, *hi;

	ASSERT_NE(NULL, base);
	lo = vp_map(self->vp_fd, base + self->pg, self->pg,
		    MSHV_VP_MMAP_OFFSET_INTERCEPT_MESSAGE, self->pg);
	ASSERT_TRUE(lo == base + self->pg);
	hi = vp_map(self->vp_fd, base + 2 * self->pg, self->pg,
		    MSHV_VP_MMAP_OFFSET_GHCB, self->pg);
	if (hi == MAP_FAILED) {
		EXPECT_EQ(ENODEV, errno);
	} else {
		EXPECT_TRUE(hi == base + 2 * self->pg);
		EXPECT_EQ(SIGBUS, touch(hi));
		munmap(hi, self->pg);
	}
	EXPECT_EQ(0, touch(lo));
	EXPECT_EQ(0, munmap(lo, self->pg));
}

/* mremap() cannot grow a mapping of the VP file, in place or moved */
TEST_F(mm, mremap_grow)
{
	char *base = free_range(2 * self->pg);
	char *p, *q;

	ASSERT_NE(NULL, base);
	p = vp_map(self->vp_fd, base, self->pg,
		   MSHV_VP_MMAP_OFFSET_INTERCEPT_MESSAGE, self->pg);
	ASSERT_TRUE(p == base);

	q = mremap(p, self->pg, 2 * self->pg, 0);
	if (q == MAP_FAILED) {
		EXPECT_EQ(EFAULT, errno);
	} else {
		EXPECT_TRUE(q == MAP_FAILED) {
			TH_LOG("mremap grew the mapping in place");
		}
		EXPECT_EQ(SIGBUS, touch(q + self->pg));
		p = mremap(q, 2 * self->pg, self->pg, 0);
		ASSERT_TRUE(p == q);
	}

	q = mremap(p, self->pg, 2 * self->pg, MREMAP_MAYMOVE);
	if (q == MAP_FAILED) {
		EXPECT_EQ(EFAULT, errno);
	} else {
		EXPECT_TRUE(q == MAP_FAILED) {
			TH_LOG("mremap grew the mapping, moved");
		}
		EXPECT_EQ(SIGBUS, touch(q + self->pg));
		p = mremap(q, 2 * self->pg, self->pg, 0);
		ASSERT_TRUE(p == q);
	}

	/* Still the intercept page, and shrinking is not growing */
	EXPECT_EQ(0, touch(p));
	EXPECT_EQ(0, munmap(p, self->pg));
}

TEST_HARNESS_MAIN
