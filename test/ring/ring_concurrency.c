/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ring_concurrency.c - several threads through one ring: every object comes
 * out exactly once, and each consumer sees each producer's objects in the
 * order they were produced. Objects are tagged (producer id << 32 | sequence).
 *
 * Plain pthreads, no EAL: rings must work in a host application's threads.
 * Fewer objects under ThreadSanitizer or with TERN_TEST_SHORT=1.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include "tern_ring.h"

#if defined(__SANITIZE_THREAD__)
#define UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN 1
#endif
#endif
#ifndef UNDER_TSAN
#define UNDER_TSAN 0
#endif

#if UNDER_TSAN
/*
 * Criterion cannot start under ThreadSanitizer (its shared arena collides
 * with TSan's memory layout: Snaipe/Criterion#274), so a TSan build runs the
 * same tests from a plain main() at the end of this file.
 */
#include <stdio.h>
#define cr_assert(cond, ...)    check_(cond, #cond, __LINE__)
#define cr_assert_eq(a, b, ...) check_((a) == (b), #a " == " #b, __LINE__)
#define cr_assert_not_null(p)   check_((p) != NULL, #p " != NULL", __LINE__)
static void check_(bool ok, const char *what, int line)
{
	if (!ok) {
		fprintf(stderr, "ring_concurrency.c:%d: failed: %s\n", line, what);
		exit(1);
	}
}
#else
#include <criterion/criterion.h>
#endif

#define MAX_THREADS 4
#define MAX_CHUNK   32

enum stress_kind { STRESS_BULK, STRESS_BURST, STRESS_SINGLE };

struct stress {
	struct tern_ring *r;
	enum stress_kind kind;
	bool single; /* SP/SC entry points (then one producer, one consumer) */
	unsigned nb_prod, nb_cons;
	uint64_t per_prod; /* objects each producer sends */
	uint64_t total;
	_Atomic uint64_t consumed;
	_Atomic uint64_t *seen[MAX_THREADS]; /* one bit per (producer, sequence) */
	/* Failures, counted by the threads and asserted by the main thread. */
	_Atomic unsigned bad_tag, duplicate, out_of_order;
};

struct worker {
	struct stress *s;
	unsigned id;
	uint32_t rnd;
};

static uint64_t objects_per_producer(void)
{
	const char *quick = getenv("TERN_TEST_SHORT");

	if (UNDER_TSAN || (quick && *quick && *quick != '0'))
		return 200000;
	return 1500000;
}

/* Chunk sizes from 1 to MAX_CHUNK that vary from call to call (xorshift). */
static unsigned next_chunk(struct worker *w)
{
	w->rnd ^= w->rnd << 13;
	w->rnd ^= w->rnd >> 17;
	w->rnd ^= w->rnd << 5;
	return 1 + w->rnd % MAX_CHUNK;
}

/* Let the other threads run: this machine may have fewer cores than threads. */
static void backoff(unsigned *spins)
{
	if (++*spins % 64 == 0)
		sched_yield();
	else
		tern_pause();
}

static unsigned do_enqueue(struct stress *s, void **objs, unsigned n)
{
	switch (s->kind) {
	case STRESS_BULK:
		return s->single ? tern_ring_sp_enqueue_bulk(s->r, objs, n, NULL)
		                 : tern_ring_mp_enqueue_bulk(s->r, objs, n, NULL);
	case STRESS_BURST:
		return s->single ? tern_ring_sp_enqueue_burst(s->r, objs, n, NULL)
		                 : tern_ring_mp_enqueue_burst(s->r, objs, n, NULL);
	default:
		return (s->single ? tern_ring_sp_enqueue(s->r, objs[0])
		                  : tern_ring_mp_enqueue(s->r, objs[0])) == 0;
	}
}

static unsigned do_dequeue(struct stress *s, void **objs, unsigned n)
{
	switch (s->kind) {
	case STRESS_BULK:
		return s->single ? tern_ring_sc_dequeue_bulk(s->r, objs, n, NULL)
		                 : tern_ring_mc_dequeue_bulk(s->r, objs, n, NULL);
	case STRESS_BURST:
		return s->single ? tern_ring_sc_dequeue_burst(s->r, objs, n, NULL)
		                 : tern_ring_mc_dequeue_burst(s->r, objs, n, NULL);
	default:
		return (s->single ? tern_ring_sc_dequeue(s->r, objs)
		                  : tern_ring_mc_dequeue(s->r, objs)) == 0;
	}
}

static void *producer(void *arg)
{
	struct worker *w = arg;
	struct stress *s = w->s;
	void *objs[MAX_CHUNK];
	uint64_t seq = 0;
	unsigned spins = 0;

	while (seq < s->per_prod) {
		unsigned n = s->kind == STRESS_SINGLE ? 1 : next_chunk(w), done;

		if (n > s->per_prod - seq)
			n = (unsigned)(s->per_prod - seq);
		for (unsigned i = 0; i < n; i++)
			objs[i] = (void *)(uintptr_t)((uint64_t)w->id << 32 | (seq + i));
		done = do_enqueue(s, objs, n);
		if (s->kind == STRESS_BULK && done != 0 && done != n)
			atomic_fetch_add(&s->bad_tag, 1); /* bulk moved part of a chunk */
		if (done == 0)
			backoff(&spins);
		seq += done;
	}
	return NULL;
}

static void *consumer(void *arg)
{
	struct worker *w = arg;
	struct stress *s = w->s;
	int64_t last[MAX_THREADS];
	void *objs[MAX_CHUNK];
	unsigned want = 1, spins = 0;

	for (unsigned p = 0; p < MAX_THREADS; p++)
		last[p] = -1;
	/* relaxed: only a stop condition; the objects themselves come through the ring. */
	while (atomic_load_explicit(&s->consumed, memory_order_relaxed) < s->total) {
		unsigned got;

		if (s->kind != STRESS_SINGLE && want == 1)
			want = next_chunk(w);
		got = do_dequeue(s, objs, s->kind == STRESS_SINGLE ? 1 : want);
		if (got == 0) {
			/* A bulk bigger than what is left would never succeed: shrink it. */
			want = want > 1 ? want / 2 : 1;
			backoff(&spins);
			continue;
		}
		if (s->kind == STRESS_BULK && got != want)
			atomic_fetch_add(&s->bad_tag, 1);
		want = 1;
		for (unsigned i = 0; i < got; i++) {
			uint64_t tag = (uintptr_t)objs[i];
			unsigned p = (unsigned)(tag >> 32);
			uint64_t seq = tag & UINT32_MAX;

			if (p >= s->nb_prod || seq >= s->per_prod) {
				atomic_fetch_add(&s->bad_tag, 1);
				continue;
			}
			if ((int64_t)seq <= last[p])
				atomic_fetch_add(&s->out_of_order, 1);
			last[p] = (int64_t)seq;
			if (atomic_fetch_or(&s->seen[p][seq / 64], 1ull << (seq % 64)) &
			    (1ull << (seq % 64)))
				atomic_fetch_add(&s->duplicate, 1);
		}
		atomic_fetch_add_explicit(&s->consumed, got, memory_order_relaxed);
	}
	return NULL;
}

static void run_stress(enum stress_kind kind, bool single, unsigned nb_prod, unsigned nb_cons,
                       unsigned ring_size)
{
	struct stress s = {
	    .kind = kind,
	    .single = single,
	    .nb_prod = nb_prod,
	    .nb_cons = nb_cons,
	    /* One object per call: a CAS pair each, so a quarter as many. */
	    .per_prod = objects_per_producer() / (kind == STRESS_SINGLE ? 4 : 1),
	};
	struct worker workers[2 * MAX_THREADS];
	pthread_t threads[2 * MAX_THREADS];
	unsigned nb = 0;
	uint64_t missing = 0;

	s.total = s.per_prod * nb_prod;
	s.r = tern_ring_create("stress", ring_size, -1, 0);
	cr_assert_not_null(s.r);
	for (unsigned p = 0; p < nb_prod; p++) {
		s.seen[p] = calloc((s.per_prod + 63) / 64, sizeof(uint64_t));
		cr_assert_not_null(s.seen[p]);
	}
	for (unsigned c = 0; c < nb_cons; c++, nb++) {
		workers[nb] = (struct worker){.s = &s, .id = c, .rnd = 0x9e3779b9u + nb};
		cr_assert_eq(pthread_create(&threads[nb], NULL, consumer, &workers[nb]), 0);
	}
	for (unsigned p = 0; p < nb_prod; p++, nb++) {
		workers[nb] = (struct worker){.s = &s, .id = p, .rnd = 0x85ebca6bu + nb};
		cr_assert_eq(pthread_create(&threads[nb], NULL, producer, &workers[nb]), 0);
	}
	for (unsigned i = 0; i < nb; i++)
		pthread_join(threads[i], NULL);

	cr_assert_eq(atomic_load(&s.bad_tag), 0, "objects not sent, or a bulk moved part");
	cr_assert_eq(atomic_load(&s.duplicate), 0, "objects came out twice");
	cr_assert_eq(atomic_load(&s.out_of_order), 0, "a producer's order was not kept");
	cr_assert_eq(atomic_load(&s.consumed), s.total);
	for (unsigned p = 0; p < nb_prod; p++) {
		for (uint64_t q = 0; q < s.per_prod; q++)
			missing +=
			    !(atomic_load_explicit(&s.seen[p][q / 64], memory_order_relaxed) &
			      (1ull << (q % 64)));
		free(s.seen[p]);
	}
	cr_assert_eq(missing, 0, "%lu objects lost", (unsigned long)missing);
	cr_assert(tern_ring_empty(s.r));
	tern_ring_free(s.r);
}

/* name, kind, single, producers, consumers, ring size */
#define RING_STRESS_TESTS(X)                                                                       \
	X(mpmc_2x2_bulk, STRESS_BULK, false, 2, 2, 64)                                             \
	X(mpmc_2x2_burst, STRESS_BURST, false, 2, 2, 64)                                           \
	X(mpmc_2x2_single, STRESS_SINGLE, false, 2, 2, 16)                                         \
	X(spsc_pair_bulk, STRESS_BULK, true, 1, 1, 64)                                             \
	X(spsc_pair_burst, STRESS_BURST, true, 1, 1, 64)                                           \
	X(spsc_pair_single, STRESS_SINGLE, true, 1, 1, 16)

#if UNDER_TSAN
int main(void)
{
#define RUN_ONE(name, ...)                                                                         \
	run_stress(__VA_ARGS__);                                                                   \
	printf("ring_concurrency::%s: passed\n", #name);
	RING_STRESS_TESTS(RUN_ONE)
	return 0;
}
#else
TestSuite(ring_concurrency, .timeout = 60);
#define DEFINE_ONE(name, ...)                                                                      \
	Test(ring_concurrency, name)                                                               \
	{                                                                                          \
		run_stress(__VA_ARGS__);                                                           \
	}
RING_STRESS_TESTS(DEFINE_ONE)
#endif
