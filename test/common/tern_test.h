/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tern_test.h - helpers every tern test shares: start the EAL the way the
 * machine allows, and measure what a process holds (fds, mappings, threads)
 * so that tests can prove nothing leaks.
 *
 * Header-only: each test binary includes it once.
 */
#ifndef TERN_TEST_H
#define TERN_TEST_H

#include <dirent.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tern_eal.h"
#include "tern_lcore.h"
#include "tern_log.h"
#include "tern_memory.h"
#include "tern_mempool.h"
#include "tern_port.h"

/* 2 MiB hugepages that are free right now, over all nodes (0 if none or unknown). */
static inline unsigned long tern_test_hugepages_free(void)
{
	unsigned long n = 0;
	FILE *f = fopen("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "re");

	if (f == NULL)
		return 0;
	if (fscanf(f, "%lu", &n) != 1)
		n = 0;
	fclose(f);
	return n;
}

/* Whether tests should use hugepages: >= 64 free 2 MiB pages and TERN_TEST_NO_HUGE unset. */
static inline bool tern_test_use_huge(void)
{
	return getenv("TERN_TEST_NO_HUGE") == NULL && tern_test_hugepages_free() >= 64;
}

/*
 * Start the EAL on `cores` ("0-1"; NULL or "" for the current CPU), with
 * hugepages when tern_test_use_huge(), else --no-huge. Logs go to stderr at
 * the default level. Returns what tern_eal_init() returns.
 */
static inline int tern_test_eal_init(const char *cores)
{
	struct tern_eal_config cfg;

	tern_eal_config_init(&cfg);
	if (cores)
		snprintf(cfg.cores, sizeof(cfg.cores), "%s", cores);
	cfg.no_huge = !tern_test_use_huge();
	return tern_eal_init(&cfg);
}

/*
 * The first two CPUs this process may use, written as "a,b" into list (just
 * "a" when it may use one). Returns how many were found (1 or 2).
 */
static inline int tern_test_two_cores(char *list, size_t len, int cpus[2])
{
	cpu_set_t set;
	int n = 0;

	CPU_ZERO(&set);
	sched_getaffinity(0, sizeof(set), &set);
	for (int c = 0; c < CPU_SETSIZE && n < 2; c++)
		if (CPU_ISSET(c, &set))
			cpus[n++] = c;
	if (n == 2)
		snprintf(list, len, "%d,%d", cpus[0], cpus[1]);
	else
		snprintf(list, len, "%d", n ? cpus[0] : 0);
	return n;
}

/* Count the entries of a /proc directory (without . and ..); -1 on error. */
static inline int tern_test_count_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1 >= 0 ? n - 1 : 0; /* minus the fd opendir itself holds */
}

/* Open file descriptors of this process. */
static inline int tern_test_open_fds(void)
{
	return tern_test_count_dir("/proc/self/fd");
}

/* Threads of this process. */
static inline int tern_test_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* Bytes of address space mapped by this process (VmSize, from /proc/self/statm). */
static inline size_t tern_test_mapped_bytes(void)
{
	unsigned long pages = 0;
	FILE *f = fopen("/proc/self/statm", "re");

	if (f == NULL)
		return 0;
	if (fscanf(f, "%lu", &pages) != 1)
		pages = 0;
	fclose(f);
	return pages * (size_t)sysconf(_SC_PAGESIZE);
}

/*
 * Watch tern's log for the lines that contain `needle`: count them and keep
 * the first (read it once the threads that may log have stopped). Every
 * line still goes to stderr. It replaces the log callback: one watch at a
 * time, ended by tern_log_set_callback(NULL, NULL).
 */
struct tern_test_log_watch {
	const char *needle;
	atomic_uint hits;
	char first[256];
};

static inline void tern_test_log_watch_cb(void *arg, enum tern_log_level level,
                                          const char *component, const char *msg)
{
	struct tern_test_log_watch *w = arg;

	(void)level;
	if (strstr(msg, w->needle) != NULL && atomic_fetch_add(&w->hits, 1) == 0)
		snprintf(w->first, sizeof(w->first), "%s", msg);
	fprintf(stderr, "tern: %s: %s\n", component, msg);
}

static inline void tern_test_log_watch(struct tern_test_log_watch *w, const char *needle)
{
	w->needle = needle;
	atomic_store(&w->hits, 0);
	w->first[0] = '\0';
	tern_log_set_callback(tern_test_log_watch_cb, w);
}

/*
 * The end of a test that ran ports on a packet pool: close every port (which
 * gives every buffer back), check that the pool is full, free it (*mp becomes
 * NULL) and stop tern if it runs. Returns 0, or -1 with why saying what was
 * wrong (buffers missing, cleanup refused); a Criterion .fini does
 *   cr_expect_eq(tern_test_teardown(&mp, why, sizeof(why)), 0, "%s", why);
 */
static inline int tern_test_teardown(struct tern_mempool **mp, char *why, size_t len)
{
	uint16_t p;
	int ret = 0;

	why[0] = '\0';
	TERN_PORT_FOREACH (p)
		tern_port_close(p);
	if (*mp != NULL) {
		unsigned avail = tern_mempool_avail_count(*mp), size = tern_mempool_size(*mp);

		if (avail != size) {
			snprintf(why, len, "not every buffer is back in its pool (%u of %u)", avail,
			         size);
			ret = -1;
		}
		tern_mempool_free(*mp);
		*mp = NULL;
	}
	if (tern_eal_is_initialized() && tern_eal_cleanup() != 0 && ret == 0) {
		snprintf(why, len, "tern_eal_cleanup: %s", tern_last_error());
		ret = -1;
	}
	return ret;
}

#endif /* TERN_TEST_H */
