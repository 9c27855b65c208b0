/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lcore_stress.c - the EAL's shared state under threads: launch/wait
 * hand-offs, DMA allocations and logging from workers while the main lcore
 * does the same, across init/cleanup cycles. A plain program (no Criterion)
 * so that it also runs under ThreadSanitizer, which Criterion cannot start
 * under; the concurrency suite runs it that way.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tern_test.h"
#include "tern_eal.h"
#include "tern_lcore.h"
#include "tern_log.h"
#include "tern_memory.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: check failed: %s (%s)\n", __FILE__, __LINE__,      \
			        #cond, tern_eal_last_error());                                     \
			exit(1);                                                                   \
		}                                                                                  \
	} while (0)

static atomic_uint lines;

static void count_lines(void *arg, enum tern_log_level level, const char *component,
                        const char *msg)
{
	(void)arg;
	(void)level;
	(void)component;
	(void)msg;
	atomic_fetch_add_explicit(&lines, 1, memory_order_relaxed);
}

/* Plain data written by the worker, read by main after wait: the hand-off orders it. */
struct job {
	unsigned seen_lcore;
	int rounds;
	unsigned long sum;
};

static int worker_job(void *arg)
{
	struct job *j = arg;

	j->seen_lcore = tern_lcore_id();
	for (int i = 0; i < j->rounds; i++) {
		unsigned char *p = tern_dma_zalloc("stress", 8192, 64, TERN_SOCKET_ID_ANY);

		if (p == NULL)
			return -1;
		p[100] = (unsigned char)i;
		j->sum += p[100] + (tern_dma_virt2iova(p) == (tern_iova_t)(uintptr_t)p);
		tern_dma_free(p);
		tern_log(TERN_LOG_DEBUG, "stress", "worker round %d", i);
	}
	return 5;
}

int main(void)
{
	int cycles = getenv("TERN_TEST_SHORT") ? 5 : 20;
	int cpus[2];
	char list[32];

	if (tern_test_two_cores(list, sizeof(list), cpus) < 2) {
		printf("SKIP: needs two CPUs\n");
		return 77;
	}
	for (int c = 0; c < cycles; c++) {
		struct tern_eal_config cfg;

		tern_eal_config_init(&cfg);
		cfg.no_huge = true;
		cfg.log_fn = count_lines;
		strcpy(cfg.cores, list);
		CHECK(tern_eal_init(&cfg) == 0);
		for (int r = 0; r < 20; r++) {
			struct job j = {.rounds = 10};

			CHECK(tern_lcore_launch((unsigned)cpus[1], worker_job, &j) == 0);
			/* Meanwhile the main lcore uses the same registry and log state. */
			void *p = tern_dma_zalloc("main", 4096, 0, 0);

			CHECK(p != NULL);
			tern_log_set_level("stress", r % 2 ? TERN_LOG_DEBUG : TERN_LOG_INFO);
			tern_log(TERN_LOG_NOTICE, "stress", "main round %d", r);
			tern_dma_free(p);
			CHECK(tern_lcore_wait((unsigned)cpus[1]) == 5);
			CHECK(j.seen_lcore == (unsigned)cpus[1]);
			CHECK(j.sum == 45 + 10);
		}
		/* Cleanup while a function still runs: it waits for it. */
		struct job last = {.rounds = 50};

		CHECK(tern_lcore_launch((unsigned)cpus[1], worker_job, &last) == 0);
		CHECK(tern_eal_cleanup() == 0);
		CHECK(last.seen_lcore == (unsigned)cpus[1] && last.rounds == 50);
	}
	CHECK(atomic_load_explicit(&lines, memory_order_relaxed) > 0);
	printf("lcore_stress: %d init/cleanup cycles OK\n", cycles);
	return 0;
}
