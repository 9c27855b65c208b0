/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hugepages.c - hugepage-backed DMA memory. These tests change
 * /proc/sys/vm/nr_hugepages (as root), so meson runs them alone
 * (is_parallel: false) and one at a time (--jobs 1); each puts the old value
 * back. Without root they skip.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "tern_test.h"
#include "tern_eal.h"
#include "tern_memory.h"

#define NR_2M   "/proc/sys/vm/nr_hugepages"
#define NR_1G   "/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages"
#define FREE_1G "/sys/kernel/mm/hugepages/hugepages-1048576kB/free_hugepages"
#define HUGE_2M (2ul << 20)

static long saved_2m = -1, saved_1g = -1;

static long read_long(const char *path)
{
	FILE *f = fopen(path, "re");
	long v = -1;

	if (f == NULL)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static bool write_long(const char *path, long v)
{
	FILE *f = fopen(path, "we");

	if (f == NULL)
		return false;
	bool ok = fprintf(f, "%ld\n", v) > 0;

	return fclose(f) == 0 && ok;
}

static void setup(void)
{
	if (geteuid() != 0)
		cr_skip_test("changing nr_hugepages needs root");
	saved_2m = read_long(NR_2M);
	saved_1g = read_long(NR_1G);
}

static void teardown(void)
{
	if (tern_eal_is_initialized())
		tern_eal_cleanup();
	if (saved_2m >= 0)
		write_long(NR_2M, saved_2m);
	if (saved_1g >= 0)
		write_long(NR_1G, saved_1g);
}

TestSuite(hugepages, .init = setup, .fini = teardown);

/* Make sure at least n 2 MiB pages are free, by reserving more if needed. */
static void reserve_free(unsigned long n)
{
	unsigned long fr = tern_test_hugepages_free();

	if (fr < n)
		write_long(NR_2M, read_long(NR_2M) + (long)(n - fr));
	if (tern_test_hugepages_free() < n)
		cr_skip_test("cannot reserve %lu free 2 MiB hugepages", n);
}

static void start_huge(enum tern_iova_mode iova)
{
	struct tern_eal_config cfg;

	tern_eal_config_init(&cfg);
	cfg.iova_mode = iova;
	cr_assert_eq(tern_eal_init(&cfg), 0, "%s", tern_eal_last_error());
}

Test(hugepages, pa_iova_is_consistent_inside_each_2m_page)
{
	reserve_free(8);
	start_huge(TERN_IOVA_PA);
	unsigned long before = tern_test_hugepages_free();
	char *p = tern_dma_zalloc("huge", 5ul << 20, 0, TERN_SOCKET_ID_ANY);

	cr_assert_not_null(p, "%s", tern_eal_last_error());
	cr_assert_eq((uintptr_t)p % HUGE_2M, 0);
	cr_assert_eq(tern_dma_page_size(p), HUGE_2M);
	cr_assert_eq(tern_test_hugepages_free(), before - 3, "5 MiB takes three 2 MiB pages");
	for (int pg = 0; pg < 3; pg++) {
		char *page = p + pg * HUGE_2M;
		tern_iova_t io = tern_dma_virt2iova(page);

		cr_assert_neq(io, 0);
		cr_assert_neq(io, TERN_BAD_IOVA);
		cr_assert_eq(io % HUGE_2M, 0, "a 2 MiB page is 2 MiB aligned physically");
		cr_assert(tern_dma_iova_contig(page, HUGE_2M));
		/* Every 4 KiB piece of the hugepage is where the IOVA says it is. */
		for (size_t off = 0; off < HUGE_2M; off += 4096) {
			cr_assert_eq(tern_virt2phys(page + off), io + off, "page %d off %zu", pg,
			             off);
			cr_assert_eq(tern_dma_virt2iova(page + off + 5), io + off + 5);
		}
	}
	for (size_t i = 0; i < (5ul << 20); i += 4096)
		cr_assert_eq(p[i], 0);
	tern_dma_free(p);
	cr_assert_eq(tern_test_hugepages_free(), before, "pages go back at free");
	cr_assert_eq(tern_eal_cleanup(), 0);
}

Test(hugepages, va_mode_on_hugepages)
{
	reserve_free(2);
	start_huge(TERN_IOVA_VA);
	char *p = tern_dma_zalloc("huge-va", 4096, 0, 0);

	cr_assert_not_null(p);
	cr_assert_eq(tern_dma_page_size(p), HUGE_2M, "small requests still get a hugepage");
	cr_assert_eq(tern_dma_virt2iova(p + 100), (tern_iova_t)(uintptr_t)(p + 100));
	tern_dma_free(p);
	cr_assert_eq(tern_eal_cleanup(), 0);
}

/*
 * tern_dma_fd: the descriptor shows the whole allocation from offset 0 (a
 * second mapping of it sees what the first wrote), it is sealed against
 * resizing, and memory that is not tern's is refused.
 */
Test(hugepages, dma_fd_shares_the_whole_allocation_sealed)
{
	void *base = NULL;
	size_t len = 0;
	int fd, x;

	reserve_free(2);
	start_huge(TERN_IOVA_VA);
	char *p = tern_dma_zalloc("shared", 3 * 4096, 0, 0);

	cr_assert_not_null(p);
	fd = tern_dma_fd(p + 5000, &base, &len);
	cr_assert_geq(fd, 0, "tern_dma_fd: %s", strerror(-fd));
	cr_expect_leq((char *)base, p);
	cr_expect_geq((char *)base + len, p + 3 * 4096,
	              "the allocation is inside [base, base+len)");
	cr_expect_eq(len % HUGE_2M, 0);
	cr_expect_eq(fcntl(fd, F_GET_SEALS) & (F_SEAL_SHRINK | F_SEAL_GROW),
	             F_SEAL_SHRINK | F_SEAL_GROW);
	char *q = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	cr_assert_neq(q, MAP_FAILED, "mmap of the shared fd: %s", strerror(errno));
	memcpy(p + 5000, "tern", 4);
	cr_expect_eq(memcmp(q + (p + 5000 - (char *)base), "tern", 4), 0,
	             "the other mapping sees the write at the same offset");
	munmap(q, len);
	close(fd);
	cr_expect_eq(tern_dma_fd(&x, &base, &len), -EINVAL, "stack memory is not tern's");
	tern_dma_free(p);
	cr_assert_eq(tern_eal_cleanup(), 0);
}

Test(hugepages, too_few_pages_is_enomem_not_sigbus)
{
	reserve_free(2);
	start_huge(TERN_IOVA_VA);
	unsigned long fr = tern_test_hugepages_free();

	tern_errno = 0;
	cr_assert_null(tern_dma_zalloc("greedy", (fr + 1) * HUGE_2M, 0, 0));
	cr_assert_eq(tern_errno, ENOMEM);
	cr_assert_eq(tern_test_hugepages_free(), fr, "a failed allocation keeps nothing");
	cr_assert_eq(tern_eal_cleanup(), 0);
}

Test(hugepages, no_free_hugepages_is_one_clear_line)
{
	struct tern_eal_config cfg;

	if (read_long(FREE_1G) > 0)
		cr_skip_test("1 GiB hugepages are free: init would use them");
	if (!write_long(NR_2M, 0) || tern_test_hugepages_free() != 0)
		cr_skip_test("cannot free every 2 MiB hugepage (some in use)");
	tern_eal_config_init(&cfg);
	cr_assert_eq(tern_eal_init(&cfg), -ENOMEM);
	cr_assert_str_eq(tern_eal_last_error(),
	                 "eal: no free hugepages: reserve some as root with 'echo 512 > "
	                 "/proc/sys/vm/nr_hugepages', or pass --no-huge");
	cr_assert_not(tern_eal_is_initialized());
	cfg.no_huge = true;
	cr_assert_eq(tern_eal_init(&cfg), 0, "--no-huge needs no hugepages");
	cr_assert_eq(tern_eal_cleanup(), 0);
}

Test(hugepages, one_gig_pages_for_large_requests)
{
	if (!write_long(NR_1G, read_long(NR_1G) + 1) || read_long(FREE_1G) < 1)
		cr_skip_test("cannot reserve a 1 GiB hugepage");
	reserve_free(1);
	start_huge(TERN_IOVA_VA);
	char *big = tern_dma_zalloc("big", 512ul << 20, 0, 0);

	cr_assert_not_null(big, "%s", tern_eal_last_error());
	cr_assert_eq(tern_dma_page_size(big), 1ul << 30);
	char *small = tern_dma_zalloc("small", 1 << 20, 0, 0);

	cr_assert_eq(tern_dma_page_size(small), HUGE_2M, "small requests keep to 2 MiB");
	tern_dma_free(small);
	tern_dma_free(big);
	cr_assert_eq(tern_eal_cleanup(), 0);
}

/* Names under dir starting with "tern", as one string, for before/after comparison. */
static void tern_files(const char *dir, char *out, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	out[0] = '\0';
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, "tern", 4) == 0) {
			strlcat(out, e->d_name, len);
			strlcat(out, "/", len);
		}
	closedir(d);
}

Test(hugepages, kill_9_leaves_nothing_behind, .timeout = 30)
{
	static const char *dirs[] = {"/tmp", "/dev/hugepages", "/dev/shm", "/run"};
	char before[4][4096], after[4096];
	int fds[2];
	char c;

	reserve_free(8);
	unsigned long free_before = tern_test_hugepages_free();

	for (int i = 0; i < 4; i++)
		tern_files(dirs[i], before[i], sizeof(before[i]));
	cr_assert_eq(pipe(fds), 0);
	pid_t pid = fork();

	if (pid == 0) {
		struct tern_eal_config cfg;

		close(fds[0]);
		tern_eal_config_init(&cfg);
		if (tern_eal_init(&cfg) != 0 || tern_dma_zalloc("doomed", 8ul << 20, 0, 0) == NULL)
			_exit(1);
		if (write(fds[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(fds[1]);
	cr_assert_eq(read(fds[0], &c, 1), 1, "child failed to allocate hugepages");
	close(fds[0]);
	cr_assert_eq(tern_test_hugepages_free(), free_before - 4, "child holds 4 pages");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	/* The kernel frees the memfd pages with the last mapping; allow it a moment. */
	for (int i = 0; i < 100 && tern_test_hugepages_free() != free_before; i++) {
		struct timespec ms = {0, 10 * 1000 * 1000};

		nanosleep(&ms, NULL);
	}
	cr_assert_eq(tern_test_hugepages_free(), free_before);
	for (int i = 0; i < 4; i++) {
		tern_files(dirs[i], after, sizeof(after));
		cr_assert_str_eq(after, before[i], "new tern files in %s", dirs[i]);
	}
}
