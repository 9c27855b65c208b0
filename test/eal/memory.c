/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * memory.c - DMA memory: zeroed and aligned, IOVA per page in VA and PA mode,
 * contiguity, the -m and --socket-mem limits, and memory left at cleanup.
 * These run with --no-huge (4 KiB pages) so they work on any machine, except
 * PA mode, which needs hugepages (--no-huge with PA is refused: iova.c); the
 * hugepage cases live in hugepages.c, which changes nr_hugepages.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "tern_test.h"
#include "tern_eal.h"
#include "tern_memory.h"

static void start(enum tern_iova_mode iova, size_t mem_mb, size_t socket0_mb)
{
	struct tern_eal_config cfg;

	tern_eal_config_init(&cfg);
	cfg.no_huge = iova != TERN_IOVA_PA;
	cfg.iova_mode = iova;
	cfg.mem_mb = mem_mb;
	cfg.socket_mem_mb[0] = socket0_mb;
	cr_assert_eq(tern_eal_init(&cfg), 0, "%s", tern_eal_last_error());
}

static void stop(void)
{
	cr_assert_eq(tern_dma_allocated(), 0, "memory left allocated");
	cr_assert_eq(tern_eal_cleanup(), 0);
}

Test(memory, before_init_is_einval)
{
	tern_errno = 0;
	cr_assert_null(tern_dma_zalloc("early", 4096, 0, TERN_SOCKET_ID_ANY));
	cr_assert_eq(tern_errno, EINVAL);
}

Test(memory, zalloc_is_zeroed_aligned_and_writable)
{
	static const size_t lens[] = {1, 63, 64, 4095, 4096, 4097, 100000, 3 << 20};
	static const size_t aligns[] = {0, 8, 64, 256, 4096};

	start(TERN_IOVA_VA, 0, 0);
	for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
		for (size_t a = 0; a < sizeof(aligns) / sizeof(aligns[0]); a++) {
			unsigned char *p = tern_dma_zalloc("z", lens[l], aligns[a], 0);
			size_t want = aligns[a] ? aligns[a] : 64;

			cr_assert_not_null(p, "len %zu align %zu", lens[l], aligns[a]);
			cr_assert_eq((uintptr_t)p % want, 0);
			for (size_t i = 0; i < lens[l]; i++)
				cr_assert_eq(p[i], 0, "byte %zu of %zu not zero", i, lens[l]);
			memset(p, 0xa5, lens[l]);
			cr_assert_eq(tern_dma_page_size(p), 4096);
			cr_assert_eq(tern_dma_page_size(p + lens[l] - 1), 4096);
			cr_assert_geq(tern_dma_allocated(), lens[l]);
			tern_dma_free(p);
		}
	}
	/* Bad requests: zero length, alignment not a power of two or above a page. */
	cr_assert_null(tern_dma_zalloc("bad", 0, 0, 0));
	cr_assert_eq(tern_errno, EINVAL);
	cr_assert_null(tern_dma_zalloc("bad", 64, 48, 0));
	cr_assert_eq(tern_errno, EINVAL);
	cr_assert_null(tern_dma_zalloc("bad", 64, 8192, 0));
	cr_assert_eq(tern_errno, EINVAL);
	cr_assert_null(tern_dma_zalloc("bad", 64, 0, TERN_MAX_NUMA_NODES));
	cr_assert_eq(tern_errno, EINVAL);
	cr_assert_null(tern_dma_zalloc("huge", SIZE_MAX, 0, 0));
	cr_assert_eq(tern_errno, ENOMEM);
	cr_assert_null(tern_dma_zalloc("huge", SIZE_MAX / 2, 0, 0));
	cr_assert_eq(tern_errno, ENOMEM);
	tern_dma_free(NULL);
	stop();
}

Test(memory, va_mode_iova_is_the_va)
{
	start(TERN_IOVA_DC, 0, 0);
	char *p = tern_dma_zalloc("va", 5 * 4096 + 10, 0, TERN_SOCKET_ID_ANY);
	int x;

	cr_assert_not_null(p);
	for (size_t off = 0; off < 5 * 4096 + 10; off += 777)
		cr_assert_eq(tern_dma_virt2iova(p + off), (tern_iova_t)(uintptr_t)(p + off));
	cr_assert_eq(tern_dma_virt2iova(&x), TERN_BAD_IOVA, "not tern memory");
	cr_assert_eq(tern_dma_page_size(&x), 0);
	cr_assert(tern_dma_iova_contig(p, 5 * 4096 + 10));
	cr_assert(tern_dma_iova_contig(p + 100, 4096 * 3));
	cr_assert_not(tern_dma_iova_contig(p, 6 * 4096 + 1), "past the end of the mapping");
	cr_assert_not(tern_dma_iova_contig(&x, 4));
	cr_assert_not(tern_dma_iova_contig(p, 0));
	tern_dma_free(p);
	cr_assert_eq(tern_dma_virt2iova(p), TERN_BAD_IOVA, "freed memory has no IOVA");
	stop();
}

Test(memory, pa_mode_iova_is_the_physical_address)
{
	if (geteuid() != 0)
		cr_skip_test("PA mode needs root");
	if (tern_test_hugepages_free() < 1)
		cr_skip_test("PA mode needs a free 2 MiB hugepage (--no-huge with PA is refused)");
	start(TERN_IOVA_PA, 0, 0);
	cr_assert_eq(tern_eal_iova_mode(), TERN_IOVA_PA);
	enum { PAGES = 64 };
	char *p = tern_dma_zalloc("pa", PAGES * 4096, 4096, TERN_SOCKET_ID_ANY);
	bool all_contig = true;

	cr_assert_not_null(p);
	for (int i = 0; i < PAGES; i++) {
		char *page = p + i * 4096;
		tern_iova_t io = tern_dma_virt2iova(page);

		cr_assert_neq(io, 0);
		cr_assert_neq(io, TERN_BAD_IOVA);
		cr_assert_eq(io % 4096, 0);
		cr_assert_eq(io, tern_virt2phys(page), "page %d", i);
		/* Offsets inside a page carry over to the IOVA. */
		cr_assert_eq(tern_dma_virt2iova(page + 1234), io + 1234);
		cr_assert_eq(tern_dma_virt2iova(page + 4095), io + 4095);
		cr_assert(tern_dma_iova_contig(page, 4096));
		if (i + 1 < PAGES) {
			bool next = tern_virt2phys(page + 4096) == io + 4096;

			/* Two pages are one range exactly when their frames are adjacent. */
			cr_assert_eq(tern_dma_iova_contig(page + 4000, 200), next, "page %d", i);
			all_contig = all_contig && next;
		}
	}
	cr_assert_eq(tern_dma_iova_contig(p, PAGES * 4096), all_contig);
	tern_dma_free(p);
	stop();
}

Test(memory, m_limit_is_enforced)
{
	start(TERN_IOVA_VA, 4, 0);
	void *a = tern_dma_zalloc("three", 3 << 20, 0, 0);

	cr_assert_not_null(a);
	tern_errno = 0;
	cr_assert_null(tern_dma_zalloc("two", 2 << 20, 0, 0));
	cr_assert_eq(tern_errno, ENOMEM);
	void *b = tern_dma_zalloc("one", 1 << 20, 0, 0);

	cr_assert_not_null(b, "exactly up to the limit is fine");
	cr_assert_null(tern_dma_zalloc("byte", 1, 0, 0));
	tern_dma_free(a);
	a = tern_dma_zalloc("two", 2 << 20, 0, 0);
	cr_assert_not_null(a, "freeing gives the budget back");
	tern_dma_free(a);
	tern_dma_free(b);
	stop();
}

Test(memory, socket_mem_limit_is_enforced)
{
	start(TERN_IOVA_VA, 0, 2);
	void *a = tern_dma_zalloc("a", 2 << 20, 0, 0);

	cr_assert_not_null(a);
	cr_assert_null(tern_dma_zalloc("b", 4096, 0, 0));
	cr_assert_eq(tern_errno, ENOMEM);
	tern_dma_free(a);
	stop();
}

#define MAX_LINES 8
static int nb_lines;
static char lines[MAX_LINES][512];

static void capture(void *arg, enum tern_log_level level, const char *component, const char *msg)
{
	(void)arg;
	(void)component;
	if (level <= TERN_LOG_WARNING && nb_lines < MAX_LINES)
		snprintf(lines[nb_lines++], sizeof(lines[0]), "%s", msg);
}

Test(memory, cleanup_reports_and_unmaps_what_is_left)
{
	struct tern_eal_config cfg;

	tern_eal_config_init(&cfg);
	cfg.no_huge = true;
	cfg.log_fn = capture;
	/* Warm up once so that the C library's own first-use mappings are not counted. */
	cr_assert_eq(tern_eal_init(&cfg), 0);
	cr_assert_eq(tern_eal_cleanup(), 0);
	size_t mapped = tern_test_mapped_bytes();

	cr_assert_eq(tern_eal_init(&cfg), 0);
	cr_assert_not_null(tern_dma_zalloc("forgotten", 1 << 20, 0, TERN_SOCKET_ID_ANY));
	cr_assert_gt(tern_test_mapped_bytes(), mapped);
	nb_lines = 0;
	cr_assert_eq(tern_eal_cleanup(), 0);
	cr_assert_eq(nb_lines, 1);
	cr_assert_str_eq(lines[0], "'forgotten' (1048576 bytes) still allocated at cleanup: "
	                           "unmapping it");
	cr_assert_eq(tern_test_mapped_bytes(), mapped);
	cr_assert_eq(tern_dma_allocated(), 0);
}

Test(memory, dma_fd_of_private_pages_is_enotsup)
{
	void *base;
	size_t len;

	start(TERN_IOVA_VA, 0, 0);
	void *p = tern_dma_zalloc("private", 4096, 0, 0);

	cr_assert_not_null(p);
	cr_expect_eq(tern_dma_fd(p, &base, &len), -ENOTSUP, "--no-huge memory has no fd to share");
	tern_dma_free(p);
	stop();
}

Test(memory, free_of_a_foreign_pointer_is_harmless)
{
	start(TERN_IOVA_VA, 0, 0);
	char *p = tern_dma_zalloc("x", 8192, 0, 0);

	tern_dma_free(p + 64); /* not the start: logged, nothing freed */
	cr_assert_eq(tern_dma_page_size(p), 4096);
	tern_dma_free(p);
	stop();
}

static int alloc_on_worker(void *arg)
{
	void **out = arg;

	*out = tern_dma_zalloc("worker", 4096, 0, TERN_SOCKET_ID_ANY);
	return *out ? 0 : -1;
}

Test(memory, workers_allocate_too)
{
	char list[32];
	int cpus[2];
	void *p = NULL;

	if (tern_test_two_cores(list, sizeof(list), cpus) < 2)
		cr_skip_test("needs two CPUs");
	cr_assert_eq(tern_test_eal_init(list), 0, "%s", tern_eal_last_error());
	cr_assert_eq(tern_lcore_launch((unsigned)cpus[1], alloc_on_worker, &p), 0);
	cr_assert_eq(tern_lcore_wait((unsigned)cpus[1]), 0);
	cr_assert_not_null(p);
	cr_assert_eq(tern_dma_virt2iova(p), (tern_iova_t)(uintptr_t)p);
	tern_dma_free(p);
	stop();
}

Test(memory, pa_mode_without_root_is_one_clear_line)
{
	struct tern_eal_config cfg;

	/* Criterion runs each test in its own process: dropping root here is local. */
	if (geteuid() == 0 && setuid(65534) != 0)
		cr_skip_test("cannot drop root");
	tern_eal_config_init(&cfg);
	cfg.no_huge = true;
	cfg.iova_mode = TERN_IOVA_PA;
	cr_assert_eq(tern_eal_init(&cfg), -EPERM);
	cr_assert_str_eq(tern_eal_last_error(),
	                 "eal: --iova-mode pa needs root to read physical addresses from "
	                 "/proc/self/pagemap: run as root or use --iova-mode va");
	cr_assert_eq(tern_virt2phys(&cfg), TERN_BAD_IOVA);
	/* VA mode needs no privilege. */
	cfg.iova_mode = TERN_IOVA_VA;
	cr_assert_eq(tern_eal_init(&cfg), 0, "%s", tern_eal_last_error());
	void *p = tern_dma_zalloc("user", 64 << 10, 0, 0);

	cr_assert_not_null(p, "64 KiB fits the default memlock limit");
	tern_dma_free(p);
	stop();
}
