/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ring_contract.c - what a user of tern_ring relies on, one thread at a time:
 * sizes, all-or-nothing bulk, partial burst, the reported free space and
 * available counts, and the wrap-around of the 32-bit indices.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include <criterion/criterion.h>

#include "tern_ring.h"
#include "ring_test.h"
#include "tern_test.h"

#define OBJ(i) ((void *)(uintptr_t)(0x1000 + (i)))

/* One set of entry points: single or multi producer/consumer, bulk and burst. */
struct ring_ops {
	const char *what;
	unsigned (*enq_bulk)(struct tern_ring *, void *const *, unsigned, unsigned *);
	unsigned (*enq_burst)(struct tern_ring *, void *const *, unsigned, unsigned *);
	unsigned (*deq_bulk)(struct tern_ring *, void **, unsigned, unsigned *);
	unsigned (*deq_burst)(struct tern_ring *, void **, unsigned, unsigned *);
	int (*enq)(struct tern_ring *, void *);
	int (*deq)(struct tern_ring *, void **);
};

static const struct ring_ops spsc = {"SP/SC",
                                     tern_ring_sp_enqueue_bulk,
                                     tern_ring_sp_enqueue_burst,
                                     tern_ring_sc_dequeue_bulk,
                                     tern_ring_sc_dequeue_burst,
                                     tern_ring_sp_enqueue,
                                     tern_ring_sc_dequeue};
static const struct ring_ops mpmc = {"MP/MC",
                                     tern_ring_mp_enqueue_bulk,
                                     tern_ring_mp_enqueue_burst,
                                     tern_ring_mc_dequeue_bulk,
                                     tern_ring_mc_dequeue_burst,
                                     tern_ring_mp_enqueue,
                                     tern_ring_mc_dequeue};
static const struct ring_ops *const all_ops[] = {&spsc, &mpmc};

Test(ring, create_and_free)
{
	struct tern_ring *r = tern_ring_create("contract", 64, -1, 0);

	cr_assert_not_null(r);
	cr_assert_str_eq(r->name, "contract");
	cr_assert_eq(tern_ring_capacity(r), 64);
	cr_assert_eq(tern_ring_count(r), 0);
	cr_assert_eq(tern_ring_free_count(r), 64);
	cr_assert(tern_ring_empty(r));
	cr_assert(!tern_ring_full(r));
	cr_assert_eq((uintptr_t)r % TERN_RING_GUARD_SIZE, 0);
	tern_ring_free(r);
	tern_ring_free(NULL);
}

Test(ring, bad_arguments_refused)
{
	static const unsigned bad_counts[] = {
	    0, 3, 6, 100, 1000, 4097, 1u << 31, (1u << 31) + 1, UINT32_MAX};
	char long_name[TERN_RING_NAMESIZE + 8];

	for (unsigned i = 0; i < TERN_DIM(bad_counts); i++) {
		tern_errno = 0;
		cr_assert_null(tern_ring_create("bad", bad_counts[i], -1, 0), "count %u accepted",
		               bad_counts[i]);
		cr_assert_eq(tern_errno, EINVAL, "count %u: errno %d", bad_counts[i], tern_errno);
		cr_assert_eq(tern_ring_memsize(bad_counts[i]), 0);
	}
	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	cr_assert_null(tern_ring_create(long_name, 16, -1, 0));
	cr_assert_eq(tern_errno, ENAMETOOLONG);
	cr_assert_null(tern_ring_create(NULL, 16, -1, 0));
	cr_assert_eq(tern_errno, EINVAL);
	cr_assert_null(tern_ring_create("flags", 16, -1, 0x80));
	cr_assert_eq(tern_errno, EINVAL);
	cr_assert_eq(tern_ring_init(NULL, "x", 16, 0), -EINVAL);
}

Test(ring, init_in_caller_memory)
{
	size_t len = tern_ring_memsize(32);
	struct tern_ring *r;
	void *obj = NULL;

	cr_assert_geq(len, sizeof(struct tern_ring) + 32 * sizeof(void *));
	r = aligned_alloc(TERN_RING_GUARD_SIZE, len);
	cr_assert_not_null(r);
	cr_assert_eq(tern_ring_init(r, "mine", 33, 0), -EINVAL);
	cr_assert_eq(tern_ring_init(r, "mine", 32, TERN_RING_F_SP_ENQ | TERN_RING_F_SC_DEQ), 0);
	cr_assert_eq(tern_ring_capacity(r), 32);
	cr_assert_eq(tern_ring_enqueue(r, OBJ(7)), 0);
	cr_assert_eq(tern_ring_dequeue(r, &obj), 0);
	cr_assert_eq(obj, OBJ(7));
	free(r);
}

/* A ring of `count` slots holds exactly `count` objects, in FIFO order. */
static void check_capacity(const struct ring_ops *ops, unsigned count)
{
	struct tern_ring *r = tern_ring_create("cap", count, -1, 0);
	void *obj;

	cr_assert_not_null(r);
	for (unsigned i = 0; i < count; i++) {
		cr_assert_eq(ops->enq(r, OBJ(i)), 0, "%s: enqueue %u of %u", ops->what, i, count);
		cr_assert_eq(tern_ring_count(r), i + 1);
	}
	cr_assert(tern_ring_full(r));
	cr_assert_eq(tern_ring_free_count(r), 0);
	cr_assert_eq(ops->enq(r, OBJ(count)), -ENOBUFS, "%s: enqueue into a full ring", ops->what);
	for (unsigned i = 0; i < count; i++) {
		cr_assert_eq(ops->deq(r, &obj), 0);
		cr_assert_eq(obj, OBJ(i), "%s: FIFO order broken at %u", ops->what, i);
	}
	cr_assert(tern_ring_empty(r));
	cr_assert_eq(ops->deq(r, &obj), -ENOENT);
	tern_ring_free(r);
}

Test(ring, capacity_is_exactly_count)
{
	for (unsigned k = 0; k < TERN_DIM(all_ops); k++) {
		check_capacity(all_ops[k], 1);
		check_capacity(all_ops[k], 2);
		check_capacity(all_ops[k], 64);
	}
}

static void check_bulk(const struct ring_ops *ops)
{
	struct tern_ring *r = tern_ring_create("bulk", 16, -1, 0);
	void *in[17], *out[17];
	unsigned free_space = 99, avail = 99;

	for (unsigned i = 0; i < 17; i++)
		in[i] = OBJ(i);
	cr_assert_eq(ops->enq_bulk(r, in, 10, &free_space), 10);
	cr_assert_eq(free_space, 6);
	/* One more than fits: nothing moves, and the figure says why. */
	cr_assert_eq(ops->enq_bulk(r, in + 10, 7, &free_space), 0, "%s", ops->what);
	cr_assert_eq(free_space, 6);
	cr_assert_eq(tern_ring_count(r), 10);
	/* Exactly what fits. */
	cr_assert_eq(ops->enq_bulk(r, in + 10, 6, &free_space), 6);
	cr_assert_eq(free_space, 0);
	cr_assert(tern_ring_full(r));
	cr_assert_eq(ops->enq_bulk(r, in, 1, NULL), 0);

	cr_assert_eq(ops->deq_bulk(r, out, 17, &avail), 0, "%s", ops->what);
	cr_assert_eq(avail, 16);
	cr_assert_eq(ops->deq_bulk(r, out, 16, &avail), 16);
	cr_assert_eq(avail, 0);
	for (unsigned i = 0; i < 16; i++)
		cr_assert_eq(out[i], OBJ(i));
	cr_assert_eq(ops->deq_bulk(r, out, 1, &avail), 0);
	cr_assert_eq(avail, 0);
	/* n == 0 is a no-op that still reports. */
	cr_assert_eq(ops->enq_bulk(r, in, 0, &free_space), 0);
	cr_assert_eq(free_space, 16);
	tern_ring_free(r);
}

Test(ring, bulk_is_all_or_nothing)
{
	check_bulk(&spsc);
	check_bulk(&mpmc);
}

static void check_burst(const struct ring_ops *ops)
{
	struct tern_ring *r = tern_ring_create("burst", 16, -1, 0);
	void *in[20], *out[20];
	unsigned free_space = 99, avail = 99;

	for (unsigned i = 0; i < 20; i++)
		in[i] = OBJ(i);
	cr_assert_eq(ops->enq_burst(r, in, 10, &free_space), 10);
	cr_assert_eq(free_space, 6);
	cr_assert_eq(ops->enq_burst(r, in + 10, 10, &free_space), 6, "%s", ops->what);
	cr_assert_eq(free_space, 0);
	cr_assert_eq(ops->enq_burst(r, in, 3, &free_space), 0);
	cr_assert_eq(ops->deq_burst(r, out, 4, &avail), 4);
	cr_assert_eq(avail, 12);
	cr_assert_eq(ops->deq_burst(r, out + 4, 20, &avail), 12);
	cr_assert_eq(avail, 0);
	for (unsigned i = 0; i < 16; i++)
		cr_assert_eq(out[i], OBJ(i));
	cr_assert_eq(ops->deq_burst(r, out, 20, &avail), 0);
	tern_ring_free(r);
}

Test(ring, burst_moves_what_it_can)
{
	check_burst(&spsc);
	check_burst(&mpmc);
}

/*
 * The figures are exact even after the other side moved: a producer must not
 * report the free space it remembered from before the consumer dequeued.
 */
static void check_reported_figures(const struct ring_ops *ops)
{
	struct tern_ring *r = tern_ring_create("figures", 32, -1, 0);
	void *objs[32] = {0};
	unsigned free_space, avail;

	cr_assert_eq(ops->enq_bulk(r, objs, 5, &free_space), 5);
	cr_assert_eq(free_space, 27);
	cr_assert_eq(ops->deq_bulk(r, objs, 5, &avail), 5);
	cr_assert_eq(avail, 0);
	cr_assert_eq(ops->enq_bulk(r, objs, 3, &free_space), 3);
	cr_assert_eq(free_space, 29, "%s: stale free space %u", ops->what, free_space);
	cr_assert_eq(ops->enq_bulk(r, objs, 20, NULL), 20);
	cr_assert_eq(ops->deq_burst(r, objs, 2, &avail), 2);
	cr_assert_eq(avail, 21, "%s: stale available %u", ops->what, avail);
	cr_assert_eq(tern_ring_count(r), 21);
	cr_assert_eq(tern_ring_free_count(r), 11);
	tern_ring_reset(r);
	cr_assert(tern_ring_empty(r));
	cr_assert_eq(tern_ring_free_count(r), 32);
	cr_assert_eq(ops->enq_bulk(r, objs, 32, &free_space), 32);
	cr_assert_eq(free_space, 0);
	tern_ring_free(r);
}

Test(ring, free_space_and_available_are_exact)
{
	check_reported_figures(&spsc);
	check_reported_figures(&mpmc);
}

/*
 * Start the indices just below 2^32 and push objects through in uneven
 * chunks, so the counters wrap while the ring is part full and the slot
 * index wraps at different offsets; everything must come out in order.
 */
static void check_wrap(const struct ring_ops *ops, uint32_t start)
{
	enum { SLOTS = 16, ROUNDS = 200 };
	struct tern_ring *r = tern_ring_create("wrap", SLOTS, -1, 0);
	void *in[SLOTS], *out[SLOTS];
	uintptr_t next_in = 0, next_out = 0;
	unsigned free_space, avail;

	tern_ring_test_reset_at(r, start);
	cr_assert(tern_ring_empty(r));
	for (unsigned round = 0; round < ROUNDS; round++) {
		unsigned n_in = 1 + (round * 7) % SLOTS;
		unsigned n_out = 1 + (round * 5) % SLOTS;
		unsigned before = tern_ring_count(r), got;

		for (unsigned i = 0; i < n_in; i++)
			in[i] = OBJ(next_in + i);
		got = ops->enq_burst(r, in, n_in, &free_space);
		cr_assert_eq(got, TERN_MIN(n_in, SLOTS - before), "%s round %u", ops->what, round);
		cr_assert_eq(free_space, SLOTS - before - got);
		next_in += got;
		cr_assert_eq(tern_ring_count(r), before + got);

		before += got;
		if (n_out > before) {
			cr_assert_eq(ops->deq_bulk(r, out, n_out, &avail), 0);
			cr_assert_eq(avail, before);
			continue;
		}
		cr_assert_eq(ops->deq_bulk(r, out, n_out, &avail), n_out, "%s round %u", ops->what,
		             round);
		cr_assert_eq(avail, before - n_out);
		for (unsigned i = 0; i < n_out; i++)
			cr_assert_eq(out[i], OBJ(next_out + i), "%s round %u: object %u", ops->what,
			             round, i);
		next_out += n_out;
	}
	/* The run really crossed 2^32. */
	cr_assert_lt(atomic_load(&r->prod_tail), start);
	tern_ring_free(r);
}

Test(ring, indices_wrap_around_2_pow_32)
{
	for (unsigned k = 0; k < TERN_DIM(all_ops); k++) {
		check_wrap(all_ops[k], UINT32_MAX - 40);
		check_wrap(all_ops[k], UINT32_MAX - 3);
	}
}

Test(ring, default_ops_follow_flags)
{
	struct tern_ring *r =
	    tern_ring_create("flags", 8, -1, TERN_RING_F_SP_ENQ | TERN_RING_F_SC_DEQ);
	struct tern_ring *m = tern_ring_create("flags_m", 8, -1, 0);
	void *objs[8] = {0};

	cr_assert_eq(r->flags, TERN_RING_F_SP_ENQ | TERN_RING_F_SC_DEQ);
	cr_assert_eq(tern_ring_enqueue_bulk(r, objs, 8, NULL), 8);
	cr_assert_eq(tern_ring_enqueue_burst(r, objs, 1, NULL), 0);
	cr_assert_eq(tern_ring_dequeue_burst(r, objs, 3, NULL), 3);
	cr_assert_eq(tern_ring_dequeue_bulk(r, objs, 6, NULL), 0);
	cr_assert_eq(tern_ring_dequeue_bulk(r, objs, 5, NULL), 5);
	cr_assert_eq(tern_ring_enqueue_burst(m, objs, 9, NULL), 8);
	cr_assert_eq(tern_ring_dequeue_burst(m, objs, 9, NULL), 8);
	tern_ring_free(r);
	tern_ring_free(m);
}

/*
 * Single and multi entry points may take turns on one ring (never at the
 * same time): each side's cached view of the other must stay valid across
 * the switch, so order and counts hold whichever call comes next.
 */
Test(ring, single_and_multi_calls_take_turns)
{
	struct tern_ring *r = tern_ring_create("turns", 16, -1, 0);
	uintptr_t next_in = 0, next_out = 0;
	void *objs[16];

	cr_assert_not_null(r);
	tern_ring_test_reset_at(r, UINT32_MAX - 20);
	for (unsigned round = 0; round < 300; round++) {
		const struct ring_ops *in = all_ops[round % 2];
		const struct ring_ops *out = all_ops[(round / 3) % 2];
		unsigned n_in = 1 + (round * 5) % 11, n_out = 1 + (round * 3) % 13;
		unsigned count = tern_ring_count(r), got, avail;

		for (unsigned i = 0; i < n_in; i++)
			objs[i] = OBJ(next_in + i);
		got = in->enq_burst(r, objs, n_in, NULL);
		cr_assert_eq(got, TERN_MIN(n_in, 16 - count), "round %u (%s in)", round, in->what);
		next_in += got;
		got = out->deq_burst(r, objs, n_out, &avail);
		cr_assert_eq(got, TERN_MIN(n_out, (unsigned)(next_in - next_out)),
		             "round %u (%s out)", round, out->what);
		cr_assert_eq(avail, (unsigned)(next_in - next_out) - got);
		for (unsigned i = 0; i < got; i++)
			cr_assert_eq(objs[i], OBJ(next_out + i), "round %u: object %u", round, i);
		next_out += got;
	}
	tern_ring_free(r);
}

/*
 * With several consumers, a thread that was preempted can store an old
 * value into their shared cached tail after others moved on. Such a stale
 * cache must be noticed and re-read, never trusted. White box: the test
 * plants the stale value a race would leave.
 */
Test(ring, stale_cached_tail_is_not_trusted)
{
	for (unsigned k = 0; k < TERN_DIM(all_ops); k++) {
		const struct ring_ops *ops = all_ops[k];
		struct tern_ring *r = tern_ring_create("stale", 16, -1, 0);
		void *objs[16];
		uint32_t t;

		tern_ring_test_reset_at(r, 100);
		for (unsigned i = 0; i < 16; i++)
			objs[i] = OBJ(i);
		cr_assert_eq(ops->enq_bulk(r, objs, 10, NULL), 10);
		cr_assert_eq(ops->deq_bulk(r, objs, 2, NULL), 2);

		/* Consumers' cache far behind their head: nothing is known ready. */
		t = atomic_load(&r->cons.head);
		atomic_store(&r->cons.other_tail, t - 40);
		cr_assert_eq(ops->deq_burst(r, objs, 16, NULL), 8, "%s", ops->what);
		for (unsigned i = 0; i < 8; i++)
			cr_assert_eq(objs[i], OBJ(i + 2));

		/* Producers read the consumers' tail itself: exactly the free room. */
		cr_assert_eq(ops->enq_bulk(r, objs, 12, NULL), 12);
		cr_assert_eq(ops->enq_burst(r, objs, 16, NULL), 4, "%s", ops->what);
		cr_assert(tern_ring_full(r));
		tern_ring_free(r);
	}
}

/* Once the EAL runs, rings live in its DMA memory, and are given back to it. */
Test(ring, create_uses_dma_memory_under_eal)
{
	struct tern_ring *r;
	size_t before;
	void *objs[8] = {0};

	cr_assert_eq(tern_test_eal_init(NULL), 0, "EAL init: %s", tern_eal_last_error());
	before = tern_dma_allocated();
	r = tern_ring_create("dma", 1024, TERN_SOCKET_ID_ANY, 0);
	cr_assert_not_null(r);
	cr_assert_neq(tern_dma_page_size(r), 0, "ring not in tern DMA memory");
	cr_assert_geq(tern_dma_allocated(), before + tern_ring_memsize(1024));
	cr_assert_eq(tern_ring_enqueue_bulk(r, objs, 8, NULL), 8);
	cr_assert_eq(tern_ring_dequeue_bulk(r, objs, 8, NULL), 8);
	tern_ring_free(r);
	cr_assert_eq(tern_dma_allocated(), before);
	cr_assert_eq(tern_eal_cleanup(), 0);
}
