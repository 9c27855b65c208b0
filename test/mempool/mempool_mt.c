/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mempool_mt.c - two lcores sharing one pool: one allocates, the other frees
 * (both through their own caches), and both allocate and free at once. Must
 * pass under ThreadSanitizer too.
 */
#include <stdatomic.h>

#include "mp_test.h"
#include "tern_pkt.h"
#include "tern_ring.h"

/* Objects per test: 4 Mi; 256 Ki under TSan (~20x slower) or TERN_TEST_SHORT=1. */
static uint32_t objs_total(void)
{
	const char *s = getenv("TERN_TEST_SHORT");

	if (MP_UNDER_TSAN || (s != NULL && *s != '\0' && *s != '0'))
		return 1u << 18;
	return 4u << 20;
}
#define OBJS_TOTAL objs_total()

#if MP_UNDER_TSAN
#define MP_TEST(name) static void name(void)
#else
#define MP_TEST(name) Test(mempool_mt, name)
#endif

#define POOL_N     4096
#define POOL_CACHE 256
#define BURST      32

/* What the test writes into each object to catch one handed out twice. */
struct obj {
	_Atomic uint32_t busy; /* 1 while some lcore owns it */
	uint32_t seq;
};

struct xfer {
	struct tern_mempool *mp;
	struct tern_ring *to_main; /* allocated objects, worker -> main */
	_Atomic int stop;
	unsigned errors;
};

/* Worker lcore: allocate, stamp, pass to main over an SP/SC ring. */
static int producer(void *arg)
{
	struct xfer *x = arg;
	void *objs[BURST];
	uint32_t sent = 0, seq = 0;

	while (sent < OBJS_TOTAL) {
		if (tern_mempool_get_bulk(x->mp, objs, BURST) != 0)
			continue; /* main has not freed enough yet */
		for (unsigned i = 0; i < BURST; i++) {
			struct obj *o = objs[i];

			/* relaxed: the ring's release/acquire carries these to main. */
			if (atomic_exchange_explicit(&o->busy, 1, memory_order_relaxed) != 0)
				x->errors++;
			o->seq = seq++;
		}
		unsigned done = 0;
		while (done < BURST)
			done +=
			    tern_ring_sp_enqueue_burst(x->to_main, &objs[done], BURST - done, NULL);
		sent += BURST;
	}
	return x->errors == 0 ? 0 : -1;
}

MP_TEST(one_lcore_allocates_another_frees)
{
	mp_eal_up("0-1", TERN_IOVA_DC);
	unsigned worker = tern_lcore_next(-1, true);
	cr_assert_lt(worker, TERN_MAX_LCORE, "need a worker lcore");

	struct xfer x = {0};
	x.mp = tern_mempool_create("mt", POOL_N, sizeof(struct obj), POOL_CACHE, TERN_SOCKET_ID_ANY,
	                           0, NULL, NULL);
	cr_assert_not_null(x.mp);
	x.to_main = tern_ring_create("mt_xfer", 1024, TERN_SOCKET_ID_ANY,
	                             TERN_RING_F_SP_ENQ | TERN_RING_F_SC_DEQ);
	cr_assert_not_null(x.to_main);

	cr_assert_eq(tern_lcore_launch(worker, producer, &x), 0);

	/* Main lcore: take, check the stamp, free through its own cache. */
	void *objs[BURST];
	uint32_t got = 0, expect_seq = 0, errors = 0;
	while (got < OBJS_TOTAL) {
		unsigned n = tern_ring_sc_dequeue_burst(x.to_main, objs, BURST, NULL);

		for (unsigned i = 0; i < n; i++) {
			struct obj *o = objs[i];

			if (o->seq != expect_seq++ ||
			    atomic_exchange_explicit(&o->busy, 0, memory_order_relaxed) != 1)
				errors++;
		}
		tern_mempool_put_bulk(x.mp, objs, n);
		got += n;
	}
	cr_assert_eq(tern_lcore_wait(worker), 0, "producer saw an object handed out twice");
	cr_assert_eq(errors, 0, "%u objects out of order or not marked busy", errors);

	/* Objects sit in both caches: counted, and flushed back on request. */
	mp_assert_all_back(x.mp);
	cr_assert_eq(tern_mempool_cache_flush(x.mp, worker), 0);
	cr_assert_eq(tern_mempool_cache_flush(x.mp, tern_lcore_id()), 0);
	cr_assert_eq(tern_ring_count(x.mp->ring), POOL_N);
	mp_assert_all_back(x.mp);

	tern_ring_free(x.to_main);
	tern_mempool_free(x.mp);
	mp_eal_down();
}

struct churn {
	struct tern_mempool *mp;
	unsigned errors;
	unsigned failed_gets;
};

/* Both lcores: get a run of bulks, mark, check, put back; the pool is tight. */
static int churn(void *arg)
{
	struct churn *c = arg;
	void *objs[4][BURST];

	for (uint32_t round = 0; round < OBJS_TOTAL / (4 * BURST); round++) {
		unsigned held = 0;

		for (unsigned b = 0; b < 4; b++) {
			/*
			 * Never short: each lcore holds at most 4 bulks plus a
			 * cache of 2.5 x 128, well under half the pool.
			 */
			if (tern_mempool_get_bulk(c->mp, objs[b], BURST) != 0) {
				c->failed_gets++;
				break;
			}
			held++;
			for (unsigned i = 0; i < BURST; i++) {
				struct obj *o = objs[b][i];

				if (atomic_exchange_explicit(&o->busy, 1, memory_order_relaxed))
					c->errors++;
			}
		}
		for (unsigned b = 0; b < held; b++) {
			for (unsigned i = 0; i < BURST; i++) {
				struct obj *o = objs[b][i];

				atomic_store_explicit(&o->busy, 0, memory_order_relaxed);
			}
			tern_mempool_put_bulk(c->mp, objs[b], BURST);
		}
	}
	return c->errors == 0 && c->failed_gets == 0 ? 0 : -1;
}

static void churn_two_lcores(unsigned cache)
{
	mp_eal_up("0-1", TERN_IOVA_DC);
	unsigned worker = tern_lcore_next(-1, true);
	cr_assert_lt(worker, TERN_MAX_LCORE);

	/* Both caches and the ring in play: bulks of 32 against caches of 128. */
	struct tern_mempool *mp = tern_mempool_create("churn", 1024, sizeof(struct obj), cache,
	                                              TERN_SOCKET_ID_ANY, 0, NULL, NULL);
	cr_assert_not_null(mp);
	struct churn a = {.mp = mp}, b = {.mp = mp};

	cr_assert_eq(tern_lcore_launch(worker, churn, &a), 0);
	int ret = churn(&b);
	cr_assert_eq(tern_lcore_wait(worker), 0,
	             "worker: %u objects handed out twice, %u gets failed", a.errors,
	             a.failed_gets);
	cr_assert_eq(ret, 0, "main: %u objects handed out twice, %u gets failed", b.errors,
	             b.failed_gets);
	mp_assert_all_back(mp);
	tern_mempool_free(mp);
	mp_eal_down();
}

MP_TEST(two_lcores_get_and_put_at_once_through_caches)
{
	churn_two_lcores(128);
}

/* No caches: every get and put is a contended MP/MC ring operation. */
MP_TEST(two_lcores_get_and_put_at_once_without_cache)
{
	churn_two_lcores(0);
}

struct shared {
	struct tern_mempool *mp;
	struct tern_ring *to_worker;
};

/* Worker: drop its reference to every packet main shares with it. */
static int drop_refs(void *arg)
{
	struct shared *sh = arg;
	struct tern_pkt *pkts[BURST];
	uint32_t done = 0;

	while (done < OBJS_TOTAL / 4) {
		unsigned n = tern_ring_sc_dequeue_burst(sh->to_worker, (void **)pkts, BURST, NULL);

		tern_pkt_free_bulk(pkts, n);
		done += n;
	}
	return 0;
}

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;

	return x < y ? -1 : x > y;
}

/* Two owners on two lcores free each packet at once: it goes back exactly once. */
MP_TEST(shared_packets_freed_by_two_lcores_come_back_once)
{
	mp_eal_up("0-1", TERN_IOVA_DC);
	unsigned worker = tern_lcore_next(-1, true);
	cr_assert_lt(worker, TERN_MAX_LCORE);

	struct shared sh;
	sh.mp = tern_pktpool_create("shared", 1024, 64, 0, 256, TERN_SOCKET_ID_ANY);
	cr_assert_not_null(sh.mp);
	sh.to_worker = tern_ring_create("sh_xfer", 512, TERN_SOCKET_ID_ANY,
	                                TERN_RING_F_SP_ENQ | TERN_RING_F_SC_DEQ);
	cr_assert_not_null(sh.to_worker);
	cr_assert_eq(tern_lcore_launch(worker, drop_refs, &sh), 0);

	struct tern_pkt *pkts[BURST];
	for (uint32_t sent = 0; sent < OBJS_TOTAL / 4; sent += BURST) {
		while (tern_pkt_alloc_bulk(sh.mp, pkts, BURST) != 0)
			tern_pause(); /* the worker still holds them */
		for (unsigned i = 0; i < BURST; i++)
			tern_pkt_refcnt_update(pkts[i], 1);
		unsigned done = 0;
		while (done < BURST)
			done += tern_ring_sp_enqueue_burst(sh.to_worker, (void **)&pkts[done],
			                                   BURST - done, NULL);
		tern_pkt_free_bulk(pkts, BURST); /* main's reference */
	}
	cr_assert_eq(tern_lcore_wait(worker), 0);
	cr_assert_eq(tern_mempool_cache_flush(sh.mp, worker), 0);
	cr_assert_eq(tern_mempool_cache_flush(sh.mp, tern_lcore_id()), 0);
	cr_assert_eq(tern_ring_count(sh.mp->ring), 1024, "a packet came back twice or never");

	/* Every buffer once: take them all and look for duplicates. */
	static void *all[1024];
	cr_assert_eq(tern_mempool_get_bulk(sh.mp, all, 1024), 0);
	qsort(all, 1024, sizeof(void *), cmp_ptr);
	for (unsigned i = 1; i < 1024; i++)
		cr_assert(all[i] != all[i - 1], "buffer %p in the pool twice", all[i]);
	for (unsigned i = 0; i < 1024; i++)
		cr_assert_eq(tern_pkt_refcnt_read(all[i]), 1);
	tern_mempool_put_bulk(sh.mp, all, 1024);
	mp_assert_all_back(sh.mp);

	tern_ring_free(sh.to_worker);
	tern_mempool_free(sh.mp);
	mp_eal_down();
}

#if MP_UNDER_TSAN
int main(void)
{
	one_lcore_allocates_another_frees();
	printf("mempool_mt::one_lcore_allocates_another_frees: passed\n");
	two_lcores_get_and_put_at_once_through_caches();
	printf("mempool_mt::two_lcores_get_and_put_at_once_through_caches: passed\n");
	two_lcores_get_and_put_at_once_without_cache();
	printf("mempool_mt::two_lcores_get_and_put_at_once_without_cache: passed\n");
	shared_packets_freed_by_two_lcores_come_back_once();
	printf("mempool_mt::shared_packets_freed_by_two_lcores_come_back_once: passed\n");
	return 0;
}
#endif
