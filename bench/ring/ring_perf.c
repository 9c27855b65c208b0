/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ring_perf.c - tern-ring-perf: the measurements of DPDK's
 * ring_perf_autotest (app/test/test_ring_perf.c, 22.11, "legacy APIs" rows),
 * taken the same way, so that the two can be compared row by row.
 *
 * Method, as DPDK's: one ring of 4096 slots, created after EAL init; the TSC
 * read around a loop of 2^N iterations; burst sizes read from a volatile so
 * the compiler cannot specialise the calls for them.
 *   single        2^24 x (enqueue 1 + dequeue 1), cycles per iteration
 *   burst, bulk   2^23 x (enqueue n + dequeue n), cycles per iteration
 *                 (DPDK divides these by iterations only, not by n)
 *   empty         2^26 x dequeue_bulk(8) on the empty ring, cycles per call
 *   2 cores       lcore 0 enqueues, lcore 1 dequeues, 2^15 bulk operations
 *                 each, retrying with a pause while the ring is full/empty;
 *                 each side's cycles per object, added together
 *
 * Output: one line per row, "label<TAB>cycles". Usage: tern-ring-perf
 * [-l CORES] (default "0-1"; the two-core rows need two lcores).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tern_cycles.h"
#include "tern_eal.h"
#include "tern_lcore.h"
#include "tern_memory.h"
#include "tern_ring.h"

#define RING_SIZE 4096
#define MAX_BURST 32

/* Volatile, as in DPDK: the sizes are not compile-time constants in the loops. */
static const volatile unsigned bulk_sizes[] = {8, 32};

static void row(const char *label, double cycles)
{
	printf("%s\t%.2f\n", label, cycles);
	fflush(stdout);
}

static void test_single(struct tern_ring *r)
{
	const unsigned iterations = 1u << 24;
	void *obj = NULL;
	uint64_t start, end;

	start = tern_rdtsc();
	for (unsigned i = 0; i < iterations; i++) {
		tern_ring_sp_enqueue(r, obj);
		tern_ring_sc_dequeue(r, &obj);
	}
	end = tern_rdtsc();
	row("SP/SC: single", (double)(end - start) / iterations);

	start = tern_rdtsc();
	for (unsigned i = 0; i < iterations; i++) {
		tern_ring_mp_enqueue(r, obj);
		tern_ring_mc_dequeue(r, &obj);
	}
	end = tern_rdtsc();
	row("MP/MC: single", (double)(end - start) / iterations);
}

typedef unsigned (*enq_fn)(struct tern_ring *, void *const *, unsigned, unsigned *);
typedef unsigned (*deq_fn)(struct tern_ring *, void **, unsigned, unsigned *);

/*
 * One enqueue + dequeue of each size per iteration. The entry points are
 * passed as constants into an inlined body, so each loop calls one of them
 * directly, as DPDK's loops do.
 */
static inline __attribute__((always_inline)) void
enq_deq_loop(struct tern_ring *r, enq_fn enq, deq_fn deq, const char *mode, const char *kind)
{
	const unsigned iterations = 1u << 23;
	void *burst[MAX_BURST] = {0};
	char label[64];

	for (unsigned sz = 0; sz < TERN_DIM(bulk_sizes); sz++) {
		uint64_t start = tern_rdtsc();

		for (unsigned i = 0; i < iterations; i++) {
			enq(r, burst, bulk_sizes[sz], NULL);
			deq(r, burst, bulk_sizes[sz], NULL);
		}
		uint64_t end = tern_rdtsc();

		snprintf(label, sizeof(label), "%s: %s (size: %u)", mode, kind, bulk_sizes[sz]);
		row(label, (double)(end - start) / iterations);
	}
}

static void test_burst(struct tern_ring *r)
{
	enq_deq_loop(r, tern_ring_sp_enqueue_burst, tern_ring_sc_dequeue_burst, "SP/SC", "burst");
	enq_deq_loop(r, tern_ring_mp_enqueue_burst, tern_ring_mc_dequeue_burst, "MP/MC", "burst");
}

static void test_bulk(struct tern_ring *r)
{
	enq_deq_loop(r, tern_ring_sp_enqueue_bulk, tern_ring_sc_dequeue_bulk, "SP/SC", "bulk");
	enq_deq_loop(r, tern_ring_mp_enqueue_bulk, tern_ring_mc_dequeue_bulk, "MP/MC", "bulk");
}

static void test_empty(struct tern_ring *r)
{
	const unsigned iterations = 1u << 26;
	void *burst[MAX_BURST];
	uint64_t start, end;
	char label[64];

	start = tern_rdtsc();
	for (unsigned i = 0; i < iterations; i++)
		tern_ring_sc_dequeue_bulk(r, burst, bulk_sizes[0], NULL);
	end = tern_rdtsc();
	snprintf(label, sizeof(label), "empty: SP/SC: bulk (size: %u)", bulk_sizes[0]);
	row(label, (double)(end - start) / iterations);

	start = tern_rdtsc();
	for (unsigned i = 0; i < iterations; i++)
		tern_ring_mc_dequeue_bulk(r, burst, bulk_sizes[0], NULL);
	end = tern_rdtsc();
	snprintf(label, sizeof(label), "empty: MP/MC: bulk (size: %u)", bulk_sizes[0]);
	row(label, (double)(end - start) / iterations);
}

/* ---- two lcores: one enqueues, the other dequeues ---------------------------- */

struct pair_params {
	struct tern_ring *r;
	unsigned size;
	double spsc, mpmc; /* cycles per object, this side */
};

/* Both sides start timing together; reset before each size. */
static _Atomic unsigned pair_ready;

static inline __attribute__((always_inline)) int pair_side(struct pair_params *p, bool enqueue)
{
	const unsigned iterations = 1u << 15;
	struct tern_ring *r = p->r;
	const unsigned size = p->size;
	void *burst[MAX_BURST] = {0};
	uint64_t start, end;

	/*
	 * seq_cst: a two-party barrier; each side sees the other's increment
	 * before it starts the clock. No data is published through it.
	 */
	if (atomic_fetch_add(&pair_ready, 1) + 1 != 2)
		while (atomic_load(&pair_ready) != 2)
			tern_pause();

	start = tern_rdtsc();
	for (unsigned i = 0; i < iterations; i++)
		while ((enqueue ? tern_ring_sp_enqueue_bulk(r, burst, size, NULL)
		                : tern_ring_sc_dequeue_bulk(r, burst, size, NULL)) == 0)
			tern_pause();
	end = tern_rdtsc();
	p->spsc = (double)(end - start) / ((double)iterations * size);

	start = tern_rdtsc();
	for (unsigned i = 0; i < iterations; i++)
		while ((enqueue ? tern_ring_mp_enqueue_bulk(r, burst, size, NULL)
		                : tern_ring_mc_dequeue_bulk(r, burst, size, NULL)) == 0)
			tern_pause();
	end = tern_rdtsc();
	p->mpmc = (double)(end - start) / ((double)iterations * size);
	return 0;
}

static int pair_enqueue(void *arg)
{
	return pair_side(arg, true);
}

static int pair_dequeue(void *arg)
{
	return pair_side(arg, false);
}

static int test_two_cores(struct tern_ring *r)
{
	unsigned worker = tern_lcore_next(-1, true);
	char label[64];

	if (worker >= TERN_MAX_LCORE) {
		fprintf(stderr, "tern-ring-perf: two-core rows need two lcores (-l 0-1)\n");
		return -1;
	}
	for (unsigned sz = 0; sz < TERN_DIM(bulk_sizes); sz++) {
		struct pair_params enq = {.r = r, .size = bulk_sizes[sz]};
		struct pair_params deq = enq;
		int ret;

		atomic_store(&pair_ready, 0);
		ret = tern_lcore_launch(worker, pair_dequeue, &deq);
		if (ret < 0) {
			fprintf(stderr, "tern-ring-perf: cannot launch lcore %u: %s\n", worker,
			        strerror(-ret));
			return -1;
		}
		pair_enqueue(&enq);
		tern_lcore_wait(worker);
		snprintf(label, sizeof(label), "2 cores: SP/SC: bulk (size: %u)", bulk_sizes[sz]);
		row(label, enq.spsc + deq.spsc);
		snprintf(label, sizeof(label), "2 cores: MP/MC: bulk (size: %u)", bulk_sizes[sz]);
		row(label, enq.mpmc + deq.mpmc);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct tern_eal_config cfg;
	struct tern_ring *r;
	int ret;

	tern_eal_config_init(&cfg);
	snprintf(cfg.cores, sizeof(cfg.cores), "%s", "0-1");
	if (argc == 3 && strcmp(argv[1], "-l") == 0) {
		snprintf(cfg.cores, sizeof(cfg.cores), "%s", argv[2]);
	} else if (argc != 1) {
		fprintf(stderr, "usage: tern-ring-perf [-l CORES]\n");
		return 2;
	}
	cfg.no_huge = true;
	cfg.pin_main = true; /* as DPDK's main lcore: the single-lcore rows run pinned */
	ret = tern_eal_init(&cfg);
	if (ret < 0) {
		fprintf(stderr, "tern-ring-perf: EAL init failed: %s\n", tern_eal_last_error());
		return 1;
	}
	r = tern_ring_create("ring_perf", RING_SIZE, TERN_SOCKET_ID_ANY, 0);
	if (r == NULL) {
		fprintf(stderr, "tern-ring-perf: cannot create the ring: %s\n",
		        strerror(tern_errno));
		tern_eal_cleanup();
		return 1;
	}

	test_single(r);
	test_burst(r);
	test_bulk(r);
	test_empty(r);
	ret = test_two_cores(r);

	tern_ring_free(r);
	tern_eal_cleanup();
	return ret < 0 ? 1 : 0;
}
