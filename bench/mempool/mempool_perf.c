/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mempool_perf.c - tern-mempool-perf: the method of DPDK 22.11's
 * app/test/test_mempool_perf.c, on tern.
 *
 * Each lcore in the row repeatedly gets n_keep objects in bulks of
 * n_get_bulk, then puts them back in bulks of n_put_bulk, for a fixed time,
 * counting objects. A pool of lcores * (128 + 512) - 1 objects of 2048 bytes
 * is used, with a 512-object cache or none, as DPDK does. Bulk sizes are
 * run-time values (DPDK's constant_n=0 rows).
 *
 * Output, one line per row:
 *   cache=C cores=K n_get_bulk=G n_put_bulk=P n_keep=N rate_persec=R cycles_per_obj=X
 * where rate_persec is objects got and put per second summed over the lcores
 * (as DPDK prints it) and cycles_per_obj = tsc_hz * cores / rate_persec: the
 * TSC cycles one lcore spends per object. on_cpu is the smallest share of
 * the run any of the row's lcores was actually on a CPU (thread CPU time /
 * wall time): well under 1 means other work on the machine shared the
 * cores, and the row measures that too (DPDK's rows cannot say).
 *
 * Usage: tern-mempool-perf [EAL options] -- [--time SEC] [--cache C] [--cores K]
 *                          [--bulk B] [--keep N]
 * Without filters it runs the 16 rows bench/cases/mempool.sh compares:
 * cache 0/512 x cores 1/2 x bulk 8/32 (get = put) x keep 32/128.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tern_cycles.h"
#include "tern_eal.h"
#include "tern_lcore.h"
#include "tern_mempool.h"

#define N_PER_ROUND 65536 /* objects per timed round, as DPDK's N */
#define MAX_KEEP    128
#define ELT_SIZE    2048

struct lcore_stat {
	uint64_t objs;
	uint64_t cycles;
	double on_cpu; /* fraction of the run the thread actually ran */
} TERN_CACHE_ALIGNED;

/* CPU time of the calling thread, in seconds. */
static double thread_cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static struct {
	struct tern_mempool *mp;
	unsigned n_get, n_put, n_keep;
	uint64_t run_cycles;
	_Atomic int go;
	struct lcore_stat stat[TERN_MAX_LCORE];
} bench;

/* Sizes are run-time values here, like DPDK's constant_n=0 rows. */
static __attribute__((noinline)) int run_rounds(struct tern_mempool *mp, unsigned n_keep,
                                                unsigned n_get, unsigned n_put)
{
	void *objs[MAX_KEEP] TERN_CACHE_ALIGNED;
	/* Looked up once, as DPDK's test passes its cache to rte_mempool_generic_get/put. */
	struct tern_mempool_cache *cache = tern_mempool_cache_get(mp);
	unsigned i, idx;

	for (i = 0; i < N_PER_ROUND / n_keep; i++) {
		for (idx = 0; idx < n_keep; idx += n_get)
			if (tern_unlikely(tern_mempool_generic_get(mp, &objs[idx], n_get, cache) <
			                  0))
				return -ENOBUFS;
		for (idx = 0; idx < n_keep; idx += n_put)
			tern_mempool_generic_put(mp, &objs[idx], n_put, cache);
	}
	return 0;
}

static int per_lcore(void *arg)
{
	unsigned lcore = tern_lcore_id();
	uint64_t start, now = 0, objs = 0;
	int ret = 0;

	(void)arg;
	/* Acquire: pairs with main's release store of go; all lcores start together. */
	while (!atomic_load_explicit(&bench.go, memory_order_acquire))
		tern_pause();
	double cpu0 = thread_cpu_seconds();
	start = tern_rdtsc();
	do {
		ret = run_rounds(bench.mp, bench.n_keep, bench.n_get, bench.n_put);
		if (ret < 0)
			break;
		objs += N_PER_ROUND;
		now = tern_rdtsc();
	} while (now - start < bench.run_cycles);
	bench.stat[lcore].objs = objs;
	bench.stat[lcore].cycles = ret < 0 ? 0 : now - start;
	if (now > start)
		bench.stat[lcore].on_cpu =
		    (thread_cpu_seconds() - cpu0) * (double)tern_tsc_hz() / (double)(now - start);
	return ret;
}

static int run_row(struct tern_mempool *mp, unsigned cores, unsigned bulk, unsigned keep,
                   double seconds)
{
	uint64_t hz = tern_tsc_hz();
	unsigned lcore, launched = 0, i;
	double rate = 0, on_cpu = 1;
	int ret;

	if (tern_mempool_avail_count(mp) != tern_mempool_size(mp)) {
		fprintf(stderr, "tern-mempool-perf: pool %s is not full\n", tern_mempool_name(mp));
		return -EINVAL;
	}
	bench.mp = mp;
	bench.n_get = bench.n_put = bulk;
	bench.n_keep = keep;
	bench.run_cycles = (uint64_t)(seconds * (double)hz);
	memset(bench.stat, 0, sizeof(bench.stat));
	atomic_store_explicit(&bench.go, 0, memory_order_relaxed);

	unsigned ids[TERN_MAX_LCORE];
	TERN_LCORE_FOREACH_WORKER (lcore) {
		if (launched + 1 >= cores)
			break;
		ret = tern_lcore_launch(lcore, per_lcore, NULL);
		if (ret < 0)
			return ret;
		ids[launched++] = lcore;
	}
	if (launched + 1 < cores) {
		fprintf(stderr, "tern-mempool-perf: %u cores asked, %u lcores\n", cores,
		        launched + 1);
		for (i = 0; i < launched; i++)
			tern_lcore_wait(ids[i]);
		return -EINVAL;
	}
	/* Release: pairs with the workers' acquire loads of go. */
	atomic_store_explicit(&bench.go, 1, memory_order_release);
	ret = per_lcore(NULL);
	for (i = 0; i < launched; i++)
		if (tern_lcore_wait(ids[i]) < 0)
			ret = -1;
	if (ret < 0) {
		fprintf(stderr, "tern-mempool-perf: a get failed\n");
		return ret;
	}
	/* Caches stay warm between rows, as in DPDK; the objects in them count as available. */
	for (lcore = 0; lcore < TERN_MAX_LCORE; lcore++) {
		if (bench.stat[lcore].cycles > 0)
			rate += (double)bench.stat[lcore].objs * (double)hz /
			        (double)bench.stat[lcore].cycles;
	}
	printf("cache=%u cores=%u n_get_bulk=%u n_put_bulk=%u n_keep=%u rate_persec=%.0f "
	       "cycles_per_obj=%.2f on_cpu=%.2f\n",
	       mp->cache_size, cores, bulk, bulk, keep, rate, (double)hz * cores / rate, on_cpu);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"time", required_argument, NULL, 't'},  {"cache", required_argument, NULL, 'c'},
	    {"cores", required_argument, NULL, 'k'}, {"bulk", required_argument, NULL, 'b'},
	    {"keep", required_argument, NULL, 'n'},  {NULL, 0, NULL, 0}};
	double seconds = 5;
	int only_cache = -1, only_cores = -1, only_bulk = -1, only_keep = -1;
	int ret, opt;

	/* As DPDK does for its main lcore: pin this thread to the first core of -l. */
	struct tern_eal_config cfg;
	tern_eal_config_init(&cfg);
	ret = tern_eal_parse_args(&cfg, argc, argv);
	cfg.pin_main = true;
	if (ret < 0 || tern_eal_init(&cfg) < 0) {
		fprintf(stderr, "tern-mempool-perf: EAL: %s\n", tern_eal_last_error());
		return 1;
	}
	argc -= ret;
	argv += ret;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 't':
			seconds = atof(optarg);
			break;
		case 'c':
			only_cache = atoi(optarg);
			break;
		case 'k':
			only_cores = atoi(optarg);
			break;
		case 'b':
			only_bulk = atoi(optarg);
			break;
		case 'n':
			only_keep = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: tern-mempool-perf [EAL options] -- [--time SEC] "
			                "[--cache C] [--cores K] [--bulk B] [--keep N]\n");
			return 2;
		}
	}
	if (seconds <= 0 || seconds > 600) {
		fprintf(stderr, "tern-mempool-perf: --time must be in (0, 600]\n");
		return 2;
	}

	unsigned n = tern_lcore_count() * (MAX_KEEP + TERN_MEMPOOL_CACHE_MAX) - 1;
	struct tern_mempool *pools[2] = {
	    tern_mempool_create("perf_nocache", n, ELT_SIZE, 0, TERN_SOCKET_ID_ANY, 0, NULL, NULL),
	    tern_mempool_create("perf_cache", n, ELT_SIZE, TERN_MEMPOOL_CACHE_MAX,
	                        TERN_SOCKET_ID_ANY, 0, NULL, NULL),
	};
	if (pools[0] == NULL || pools[1] == NULL) {
		fprintf(stderr, "tern-mempool-perf: cannot create pools: %s\n",
		        strerror(tern_errno));
		return 1;
	}
	printf("tsc_hz=%" PRIu64 " lcores=%u pool=%u\n", tern_tsc_hz(), tern_lcore_count(), n);

	static const unsigned cores_tab[] = {1, 2}, bulk_tab[] = {8, 32}, keep_tab[] = {32, 128};
	ret = 0;
	for (unsigned p = 0; p < 2 && ret == 0; p++) {
		if (only_cache >= 0 && (unsigned)only_cache != pools[p]->cache_size)
			continue;
		for (unsigned c = 0; c < TERN_DIM(cores_tab) && ret == 0; c++) {
			if (cores_tab[c] > tern_lcore_count() ||
			    (only_cores >= 0 && (unsigned)only_cores != cores_tab[c]))
				continue;
			for (unsigned b = 0; b < TERN_DIM(bulk_tab) && ret == 0; b++) {
				if (only_bulk >= 0 && (unsigned)only_bulk != bulk_tab[b])
					continue;
				for (unsigned k = 0; k < TERN_DIM(keep_tab) && ret == 0; k++) {
					if (only_keep >= 0 && (unsigned)only_keep != keep_tab[k])
						continue;
					ret = run_row(pools[p], cores_tab[c], bulk_tab[b],
					              keep_tab[k], seconds);
				}
			}
		}
	}
	/* Every lcore's cache back in the ring before the pools go. */
	for (unsigned l = 0; l < TERN_MAX_LCORE; l++) {
		tern_mempool_cache_flush(pools[0], l);
		tern_mempool_cache_flush(pools[1], l);
	}
	tern_mempool_free(pools[0]);
	tern_mempool_free(pools[1]);
	tern_eal_cleanup();
	return ret == 0 ? 0 : 1;
}
