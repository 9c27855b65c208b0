/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mempool_basic.c - single-threaded contract of tern_mempool: creation
 * limits, exact accounting, all-or-nothing bulk get, the per-lcore cache,
 * and where objects sit in memory (IOVA, page boundaries).
 */
#include <pthread.h>
#include <unistd.h>

#include "mp_test.h"

struct obj {
	uint32_t idx;
	uint32_t magic;
};

#define MAGIC 0x7e57u

static void obj_init(struct tern_mempool *mp, void *opaque, void *o, unsigned idx)
{
	struct obj *ob = o;

	(void)mp;
	ob->idx = idx;
	ob->magic = MAGIC;
	if (opaque != NULL)
		(*(unsigned *)opaque)++;
}

static void up(void)
{
	mp_eal_up("", TERN_IOVA_DC);
}

/* Most tests run on an EAL with one lcore: the test thread. */
#define WITH_EAL .init = up, .fini = mp_eal_down

Test(mempool, create_reports_its_shape_and_free_takes_null, WITH_EAL)
{
	unsigned calls = 0;
	struct tern_mempool *mp =
	    tern_mempool_create("shape", 1000, 100, 32, TERN_SOCKET_ID_ANY, 0, obj_init, &calls);

	cr_assert_not_null(mp, "create: %s", strerror(tern_errno));
	cr_assert_str_eq(tern_mempool_name(mp), "shape");
	cr_assert_eq(tern_mempool_size(mp), 1000);
	cr_assert_eq(calls, 1000, "obj_init ran %u times", calls);
	mp_assert_all_back(mp);
	tern_mempool_free(mp);
	tern_mempool_free(NULL);
}

Test(mempool, create_refuses_bad_arguments, WITH_EAL)
{
	char longname[TERN_MEMPOOL_NAMESIZE + 1];

	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';

	cr_assert_null(tern_mempool_create("z", 0, 64, 0, TERN_SOCKET_ID_ANY, 0, NULL, NULL));
	cr_assert_eq(tern_errno, EINVAL);
	cr_assert_null(tern_mempool_create("z", 64, 0, 0, TERN_SOCKET_ID_ANY, 0, NULL, NULL));
	cr_assert_eq(tern_errno, EINVAL);
	cr_assert_null(tern_mempool_create("z", 4096, 64, TERN_MEMPOOL_CACHE_MAX + 1,
	                                   TERN_SOCKET_ID_ANY, 0, NULL, NULL));
	cr_assert_eq(tern_errno, EINVAL);
	/* A cache that could swallow the whole pool. */
	cr_assert_null(tern_mempool_create("z", 40, 64, 32, TERN_SOCKET_ID_ANY, 0, NULL, NULL));
	cr_assert_eq(tern_errno, EINVAL);
	cr_assert_null(tern_mempool_create(longname, 64, 64, 0, TERN_SOCKET_ID_ANY, 0, NULL, NULL));
	cr_assert_eq(tern_errno, EINVAL);
	cr_assert_null(tern_mempool_create(NULL, 64, 64, 0, TERN_SOCKET_ID_ANY, 0, NULL, NULL));
	cr_assert_null(tern_mempool_create("z", 64, 64, 0, TERN_SOCKET_ID_ANY, 0x80, NULL, NULL));
	cr_assert_eq(tern_errno, EINVAL);
}

Test(mempool, create_needs_the_eal)
{
	cr_assert_null(tern_mempool_create("noeal", 64, 64, 0, TERN_SOCKET_ID_ANY, 0, NULL, NULL));
	cr_assert_eq(tern_errno, EINVAL);
}

/* Take every object in uneven bulks, checking the counters at each step. */
static void drain_and_refill(struct tern_mempool *mp)
{
	unsigned n = tern_mempool_size(mp), got = 0, i;
	void **objs = calloc(n, sizeof(void *));
	unsigned char *seen = calloc(n, 1);
	static const unsigned bulks[] = {1, 7, 32, 3, 100, 16};

	cr_assert(objs && seen);
	for (i = 0; got < n; i++) {
		unsigned b = TERN_MIN(bulks[i % TERN_DIM(bulks)], n - got);

		cr_assert_eq(tern_mempool_get_bulk(mp, &objs[got], b), 0, "get %u at %u", b, got);
		got += b;
		mp_assert_accounting(mp, got);
	}
	void *extra;
	cr_assert_eq(tern_mempool_get(mp, &extra), -ENOBUFS);
	/* Every object once, intact. */
	for (i = 0; i < n; i++) {
		struct obj *o = objs[i];

		cr_assert_eq(o->magic, MAGIC);
		cr_assert_lt(o->idx, n);
		cr_assert_eq(seen[o->idx], 0, "object %u handed out twice", o->idx);
		seen[o->idx] = 1;
	}
	for (i = 0; got > 0; i++) {
		unsigned b = TERN_MIN(bulks[(i + 2) % TERN_DIM(bulks)], got);

		tern_mempool_put_bulk(mp, &objs[got - b], b);
		got -= b;
		mp_assert_accounting(mp, got);
	}
	mp_assert_all_back(mp);
	free(objs);
	free(seen);
}

Test(mempool, accounting_exact_without_cache, WITH_EAL)
{
	struct tern_mempool *mp =
	    tern_mempool_create("acct0", 777, 48, 0, TERN_SOCKET_ID_ANY, 0, obj_init, NULL);

	cr_assert_not_null(mp);
	drain_and_refill(mp);
	tern_mempool_free(mp);
}

Test(mempool, accounting_exact_with_cache, WITH_EAL)
{
	struct tern_mempool *mp =
	    tern_mempool_create("acct1", 777, 48, 64, TERN_SOCKET_ID_ANY, 0, obj_init, NULL);

	cr_assert_not_null(mp);
	cr_assert_lt(tern_lcore_id(), TERN_MAX_LCORE, "the test thread is the main lcore");
	drain_and_refill(mp);
	drain_and_refill(mp);
	tern_mempool_free(mp);
}

Test(mempool, bulk_get_is_all_or_nothing_at_exhaustion, WITH_EAL)
{
	void *objs[128]; /* room for what the refused gets would have written */
	struct tern_mempool *mp =
	    tern_mempool_create("aon", 100, 64, 0, TERN_SOCKET_ID_ANY, 0, NULL, NULL);

	cr_assert_not_null(mp);
	cr_assert_eq(tern_mempool_get_bulk(mp, objs, 64), 0);
	cr_assert_eq(tern_mempool_get_bulk(mp, &objs[64], 37), -ENOBUFS);
	mp_assert_accounting(mp, 64);
	cr_assert_eq(tern_mempool_get_bulk(mp, &objs[64], 36), 0);
	cr_assert_eq(tern_mempool_get_bulk(mp, &objs[99], 1), -ENOBUFS);
	mp_assert_accounting(mp, 100);
	tern_mempool_put_bulk(mp, objs, 100);
	mp_assert_all_back(mp);
	tern_mempool_free(mp);
}

Test(mempool, bulk_get_with_cache_uses_what_ring_and_cache_hold_together, WITH_EAL)
{
	void *objs[128]; /* room for what the refused gets would have written */
	struct tern_mempool *mp =
	    tern_mempool_create("aonc", 100, 64, 16, TERN_SOCKET_ID_ANY, 0, NULL, NULL);

	cr_assert_not_null(mp);
	/* Bigger than the cache: straight from the ring. */
	cr_assert_eq(tern_mempool_get_bulk(mp, objs, 64), 0);
	cr_assert_eq(tern_mempool_get_bulk(mp, &objs[64], 40), -ENOBUFS);
	mp_assert_accounting(mp, 64);
	/* Through the cache, which refills from the ring. */
	cr_assert_eq(tern_mempool_get_bulk(mp, &objs[64], 16), 0);
	cr_assert_eq(tern_mempool_get_bulk(mp, &objs[80], 16), 0);
	mp_assert_accounting(mp, 96);
	/* 4 left in the ring: a get of 16 fails and changes nothing... */
	cr_assert_eq(tern_mempool_get_bulk(mp, &objs[96], 16), -ENOBUFS);
	mp_assert_accounting(mp, 96);
	/* ...a get of exactly what is left succeeds even though no refill fits. */
	cr_assert_eq(tern_mempool_get_bulk(mp, &objs[96], 4), 0);
	cr_assert_eq(tern_mempool_get(mp, &objs[0]), -ENOBUFS);
	mp_assert_accounting(mp, 100);
	tern_mempool_put_bulk(mp, objs, 100);
	mp_assert_all_back(mp);
	tern_mempool_free(mp);
}

Test(mempool, cache_parks_objects_counts_them_and_flushes, WITH_EAL)
{
	enum { N = 512, CACHE = 32 };
	void *objs[64];
	unsigned lcore = tern_lcore_id(), i;
	struct tern_mempool *mp =
	    tern_mempool_create("cache", N, 64, CACHE, TERN_SOCKET_ID_ANY, 0, NULL, NULL);

	cr_assert_not_null(mp);
	cr_assert_eq(tern_mempool_get_bulk(mp, objs, 8), 0);
	tern_mempool_put_bulk(mp, objs, 8);
	/* The refill left objects in this lcore's cache: not in the ring, yet available. */
	cr_assert_lt(tern_ring_count(mp->ring), N);
	mp_assert_all_back(mp);

	/* LIFO: the object just freed is the next one handed out. */
	void *o;
	cr_assert_eq(tern_mempool_get(mp, &o), 0);
	tern_mempool_put(mp, o);
	void *o2;
	cr_assert_eq(tern_mempool_get(mp, &o2), 0);
	cr_assert_eq(o2, o);
	tern_mempool_put(mp, o2);

	/* Fill the cache past its threshold one object at a time: it flushes down. */
	for (i = 0; i < 64; i++)
		cr_assert_eq(tern_mempool_get(mp, &objs[i]), 0);
	for (i = 0; i < 64; i++) {
		tern_mempool_put(mp, objs[i]);
		cr_assert_leq(N - tern_ring_count(mp->ring) - (64 - 1 - i),
		              TERN_MEMPOOL_FLUSHTHRESH(CACHE), "cache above 1.5x its size");
		mp_assert_accounting(mp, 64 - 1 - i);
	}

	cr_assert_eq(tern_mempool_cache_flush(mp, lcore), 0);
	cr_assert_eq(tern_ring_count(mp->ring), N, "flush gave the whole cache back");
	mp_assert_all_back(mp);
	cr_assert_eq(tern_mempool_cache_flush(mp, TERN_MAX_LCORE), -EINVAL);
	tern_mempool_free(mp);
}

static void *non_lcore_thread(void *arg)
{
	struct tern_mempool *mp = arg;
	void *objs[32];
	intptr_t bad = 0;
	int i;

	if (tern_lcore_id() != TERN_LCORE_ID_ANY)
		bad++;
	for (i = 0; i < 1000; i++) {
		if (tern_mempool_get_bulk(mp, objs, 32) != 0) {
			bad++;
			break;
		}
		/* Not an lcore: no cache, so the ring alone holds the rest. */
		if (tern_ring_count(mp->ring) != tern_mempool_size(mp) - 32)
			bad++;
		tern_mempool_put_bulk(mp, objs, 32);
	}
	return (void *)bad;
}

Test(mempool, non_lcore_thread_goes_straight_to_the_ring, WITH_EAL)
{
	pthread_t t;
	void *bad;
	struct tern_mempool *mp =
	    tern_mempool_create("nolcore", 256, 64, 32, TERN_SOCKET_ID_ANY, 0, NULL, NULL);

	cr_assert_not_null(mp);
	cr_assert_eq(pthread_create(&t, NULL, non_lcore_thread, mp), 0);
	cr_assert_eq(pthread_join(t, &bad), 0);
	cr_assert_eq((intptr_t)bad, 0);
	cr_assert_eq(tern_ring_count(mp->ring), 256);
	mp_assert_all_back(mp);
	tern_mempool_free(mp);
}

struct iter_check {
	unsigned count;
	unsigned bad_iova;
	unsigned bad_contig;
	unsigned crossing;
	size_t total;
	size_t page;
};

static void check_obj(struct tern_mempool *mp, void *arg, void *o, unsigned idx)
{
	struct iter_check *c = arg;
	const char *start = (const char *)o - sizeof(struct tern_mempool_objhdr);
	uintptr_t s = (uintptr_t)start, e = s + c->total - 1;

	if (idx != c->count || tern_mempool_virt2iova(mp, o) != tern_dma_virt2iova(o))
		c->bad_iova++;
	if (!tern_dma_iova_contig(start, c->total))
		c->bad_contig++;
	if (s / c->page != e / c->page)
		c->crossing++;
	c->count++;
}

/* Returns how many objects cross a page boundary (fine in VA mode only). */
static unsigned check_layout(unsigned elt)
{
	struct tern_mempool *mp =
	    tern_mempool_create("layout", 3000, elt, 0, TERN_SOCKET_ID_ANY, 0, NULL, NULL);
	struct iter_check c = {0};

	cr_assert_not_null(mp, "create: %s", strerror(tern_errno));
	c.total = mp->total_elt_size;
	c.page = tern_dma_page_size(mp->obj_tab[0]);
	cr_assert_geq(c.total, elt + sizeof(struct tern_mempool_objhdr));
	tern_mempool_obj_iter(mp, check_obj, &c);
	cr_assert_eq(c.count, 3000);
	cr_assert_eq(c.bad_iova, 0, "%u objects with a wrong IOVA", c.bad_iova);
	cr_assert_eq(c.bad_contig, 0, "%u objects not IOVA-contiguous", c.bad_contig);
	/* Objects are cache-line aligned. */
	cr_assert_eq((uintptr_t)mp->obj_tab[0] % TERN_CACHE_LINE_SIZE, 0);
	tern_mempool_free(mp);
	return c.crossing;
}

Test(mempool, every_object_has_its_iova_and_one_contiguous_range, WITH_EAL)
{
	check_layout(1000);
	check_layout(2240);
	check_layout(64);
}

/* PA mode runs on hugepages (--no-huge with PA is refused); test.sh reserves some. */
static bool pa_possible(void)
{
	return geteuid() == 0 && tern_test_hugepages_free() >= 8;
}

static void up_pa(void)
{
	if (!pa_possible())
		return;
	mp_eal_up("", TERN_IOVA_PA);
}

static void down_pa(void)
{
	if (tern_eal_is_initialized())
		mp_eal_down();
}

Test(mempool, pa_mode_objects_never_straddle_a_page, .init = up_pa, .fini = down_pa)
{
	if (!tern_eal_is_initialized())
		cr_skip_test("PA mode needs root (pagemap) and 8 free 2 MiB hugepages");
	cr_assert_eq(tern_eal_iova_mode(), TERN_IOVA_PA);
	/* 2 MiB pages: 3000 objects of ~1 KiB span two, so the page-boundary rule bites. */
	cr_assert_eq(check_layout(1000), 0);
	cr_assert_eq(check_layout(2240), 0);
	cr_assert_eq(check_layout(200), 0);
	/* Bigger than a (2 MiB) page: cannot be made contiguous in PA mode. */
	cr_assert_null(
	    tern_mempool_create("huge", 1, 3u << 20, 0, TERN_SOCKET_ID_ANY, 0, NULL, NULL));
	cr_assert_eq(tern_errno, EINVAL);
}
