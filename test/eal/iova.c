/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * iova.c - IOVA stability: the address tern gave a device for a page stays
 * that page's address. In PA mode (hugepages) every 4 KiB piece of a DMA
 * area keeps its physical address through a fork() followed by writes in
 * the parent (what system() and popen() do) and a full memory compaction;
 * --no-huge with PA is refused, since 4 KiB pages move; and in every mode a
 * child of fork() does not inherit DMA memory (MADV_DONTFORK).
 *
 * Compaction is machine-wide: it runs once (root only) on a small area.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "tern_test.h"
#include "tern_eal.h"
#include "tern_memory.h"

#define PAGE_4K 4096ul

static void start(enum tern_iova_mode iova, bool no_huge)
{
	struct tern_eal_config cfg;

	tern_eal_config_init(&cfg);
	cfg.no_huge = no_huge;
	cfg.iova_mode = iova;
	cr_assert_eq(tern_eal_init(&cfg), 0, "%s", tern_eal_last_error());
}

static void stop(void)
{
	cr_assert_eq(tern_dma_allocated(), 0, "memory left allocated");
	cr_assert_eq(tern_eal_cleanup(), 0);
}

/*
 * Fork a child while p is allocated; the child reports whether [p, p+len)
 * is mapped in it (mincore(2) says ENOMEM for an unmapped range), the parent
 * writes every page while the child lives. Returns the child's answer.
 */
static bool child_sees_dma_memory(char *p, size_t len)
{
	int to_child[2], from_child[2];
	char c = 0;
	int st;

	cr_assert_eq(pipe(to_child), 0);
	cr_assert_eq(pipe(from_child), 0);
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		unsigned char vec[1];
		char mapped = mincore(p, PAGE_4K, vec) == 0 ? 'y' : errno == ENOMEM ? 'n' : '?';

		(void)len;
		if (write(from_child[1], &mapped, 1) != 1)
			_exit(2);
		/* Stay alive (as a shell started by system() would) until the parent wrote. */
		if (read(to_child[0], &c, 1) < 0)
			_exit(2);
		_exit(0);
	}
	cr_assert_eq(read(from_child[0], &c, 1), 1);
	/* The parent writes while the child exists: a copy-on-write fault, if shared. */
	for (size_t off = 0; off < len; off += PAGE_4K)
		p[off] = (char)(off >> 12 | 1);
	cr_assert_eq(write(to_child[1], "x", 1), 1);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(to_child[0]);
	close(to_child[1]);
	close(from_child[0]);
	close(from_child[1]);
	cr_assert_neq(c, '?', "mincore in the child failed");
	return c == 'y';
}

static void compact_memory(void)
{
	int fd = open("/proc/sys/vm/compact_memory", O_WRONLY | O_CLOEXEC);

	cr_assert_geq(fd, 0, "open /proc/sys/vm/compact_memory: %s", strerror(errno));
	cr_assert_eq(write(fd, "1", 1), 1);
	close(fd);
}

Test(iova, pa_iova_holds_after_fork_write_and_compaction)
{
	enum { LEN = 16 << 20 }; /* 8 hugepages, 4096 4 KiB pieces */
	static tern_iova_t before[LEN / PAGE_4K];
	unsigned moved = 0, first = 0;

	if (geteuid() != 0)
		cr_skip_test("PA mode and compact_memory need root");
	if (tern_test_hugepages_free() < LEN / (2u << 20))
		cr_skip_test("needs %d free 2 MiB hugepages", LEN >> 21);
	start(TERN_IOVA_PA, false);
	char *p = tern_dma_zalloc("stable", LEN, 0, TERN_SOCKET_ID_ANY);

	cr_assert_not_null(p, "%s", tern_eal_last_error());
	for (size_t i = 0; i < LEN / PAGE_4K; i++) {
		before[i] = tern_dma_virt2iova(p + i * PAGE_4K);
		cr_assert_neq(before[i], TERN_BAD_IOVA);
		cr_assert_eq(before[i], tern_virt2phys(p + i * PAGE_4K), "piece %zu", i);
	}
	cr_assert_not(child_sees_dma_memory(p, LEN), "a child of fork() inherited DMA memory");
	compact_memory();
	for (size_t i = 0; i < LEN / PAGE_4K; i++) {
		char *piece = p + i * PAGE_4K;

		/* What the device was told, what the registry says, where the page is now. */
		if (tern_dma_virt2iova(piece) != before[i] || tern_virt2phys(piece) != before[i]) {
			if (moved++ == 0)
				first = (unsigned)i;
		}
		cr_assert_eq(piece[0], (char)(i | 1), "the parent's write is in its own page");
	}
	cr_assert_eq(moved, 0, "%u of %zu pages are no longer at their IOVA (first: %u)", moved,
	             LEN / PAGE_4K, first);
	tern_dma_free(p);
	stop();
}

Test(iova, no_huge_with_pa_is_refused)
{
	struct tern_eal_config cfg;

	if (geteuid() != 0)
		cr_skip_test("PA mode needs root (without it the pagemap line comes first)");
	tern_eal_config_init(&cfg);
	cfg.no_huge = true;
	cfg.iova_mode = TERN_IOVA_PA;
	cr_assert_eq(tern_eal_init(&cfg), -EINVAL);
	cr_assert_str_eq(tern_eal_last_error(),
	                 "eal: --no-huge cannot give physical addresses (--iova-mode pa, or a "
	                 "device without an IOMMU): 4 KiB pages move and the device would write "
	                 "to the old ones: use hugepages, or VFIO with an IOMMU");
	/* Nothing half-started: VA mode with --no-huge still comes up. */
	start(TERN_IOVA_VA, true);
	stop();
}

Test(iova, va_mode_memory_is_not_inherited_by_fork)
{
	enum { LEN = 1 << 20 };

	start(TERN_IOVA_VA, true);
	char *p = tern_dma_zalloc("nofork", LEN, 0, TERN_SOCKET_ID_ANY);

	cr_assert_not_null(p, "%s", tern_eal_last_error());
	tern_iova_t io = tern_dma_virt2iova(p);

	cr_assert_not(child_sees_dma_memory(p, LEN), "a child of fork() inherited DMA memory");
	cr_assert_eq(tern_dma_virt2iova(p), io);
	cr_assert_eq(p[LEN - PAGE_4K], (char)((LEN - PAGE_4K) >> 12 | 1));
	tern_dma_free(p);
	stop();
}
