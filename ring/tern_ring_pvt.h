/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tern_ring_pvt.h - the ring's mechanism: layout, reservation, copy and
 * publication, inline so that the fast path has no call. Not API: included
 * by tern_ring.h only; names end in '_' and may change in any release
 * (DPDK's rte_ring_*_pvt.h in the same role).
 *
 * Layout: every field that one side writes and the other reads sits on its
 * own 128-byte block (Intel's adjacent-line prefetcher moves lines in pairs,
 * so 64 bytes apart is not far enough apart). Consumers also keep, next to
 * their head, the last value they saw of prod_tail: while that cached value
 * shows enough objects, a dequeue does not touch the producers' line at
 * all. Producers read cons_tail on every call instead (doc/ring.md has the
 * measurements behind that choice). A side's head and its tail are apart
 * too: the other side polls the tail, while the head and the cache stay
 * unshared in the owner's cache.
 */
#ifndef TERN_RING_PVT_H
#define TERN_RING_PVT_H

#ifndef TERN_RING_H
#error "include tern_ring.h, not tern_ring_pvt.h"
#endif

/* Distance between fields written by different sides (see the layout note above). */
#define TERN_RING_GUARD_SIZE (2 * TERN_CACHE_LINE_SIZE)
#define TERN_RING_GUARDED    __attribute__((aligned(TERN_RING_GUARD_SIZE)))

/* The part of one side (producers or consumers) that only that side writes. */
struct tern_ring_head {
	_Atomic(uint32_t) head; /* next index to reserve */
	/*
	 * Consumers: a cached copy of prod_tail, never ahead of it. Unused on
	 * the producers' side, which reads cons_tail every time (see the top).
	 */
	_Atomic(uint32_t) other_tail;
};

TERN_FLEX_ARRAY_BEGIN
struct tern_ring {
	char name[TERN_RING_NAMESIZE];
	uint32_t size;     /* number of slots, a power of two */
	uint32_t mask;     /* size - 1 */
	uint32_t capacity; /* objects the ring holds: size */
	unsigned flags;    /* TERN_RING_F_* */
	int memory;        /* how tern_ring_create() got the memory (ring.c) */

	TERN_RING_GUARDED struct tern_ring_head prod;
	TERN_RING_GUARDED _Atomic(uint32_t) prod_tail; /* slots before it hold objects */
	TERN_RING_GUARDED struct tern_ring_head cons;
	TERN_RING_GUARDED _Atomic(uint32_t) cons_tail; /* slots before it are free */

	TERN_RING_GUARDED void *slots[];
};
TERN_FLEX_ARRAY_END

/* ---- fast path, inline ---------------------------------------------------- */

/*
 * Free slots as seen from a producer whose head is `head`, given a value
 * `cons_tail` of the consumers' tail. A stale tail can only make the figure
 * smaller; one older than the tail that justified `head` makes it negative,
 * which reads as "no room, look again". Signed, so that one compare does both
 * checks; exact while the capacity is at most 2^30.
 */
static TERN_ALWAYS_INLINE int32_t tern_ring_room_(const struct tern_ring *r, uint32_t head,
                                                  uint32_t cons_tail)
{
	return (int32_t)(r->capacity + cons_tail - head);
}

/* Objects ready for a consumer whose head is `head`; negative if prod_tail is stale. */
static TERN_ALWAYS_INLINE int32_t tern_ring_ready_(uint32_t head, uint32_t prod_tail)
{
	return (int32_t)(prod_tail - head);
}

/* Whether a room/ready figure covers n (n may be any unsigned). */
static TERN_ALWAYS_INLINE bool tern_ring_enough_(int32_t have, unsigned n)
{
	return (int64_t)have >= (int64_t)n;
}

/*
 * Reserve up to n slots for producers. Returns how many were reserved (0 or
 * n when `fixed`), their first index in *old_head, and in *room the free
 * slots seen before the reservation. Producers read the consumers' tail on
 * every call (see "Layout" at the top for why), so *room is always exact.
 */
static TERN_ALWAYS_INLINE unsigned tern_ring_prod_reserve_(struct tern_ring *r, unsigned n,
                                                           bool fixed, bool single,
                                                           uint32_t *old_head, uint32_t *room)
{
	uint32_t head, tail;
	int32_t free_slots;

	if (single) {
		/* relaxed: only this thread writes prod.head (one producer at a time). */
		head = atomic_load_explicit(&r->prod.head, memory_order_relaxed);
		/*
		 * acquire: pairs with the release store of cons_tail in
		 * tern_ring_publish_(): the consumers have finished reading the
		 * slots they freed before we overwrite them.
		 */
		tail = atomic_load_explicit(&r->cons_tail, memory_order_acquire);
		free_slots = tern_ring_room_(r, head, tail);
		*room = free_slots > 0 ? (uint32_t)free_slots : 0;
		if (!tern_ring_enough_(free_slots, n)) {
			if (fixed || free_slots <= 0)
				return 0;
			n = (unsigned)free_slots;
		}
		*old_head = head;
		/* relaxed: nobody else reserves; consumers only ever read prod_tail. */
		atomic_store_explicit(&r->prod.head, head + n, memory_order_relaxed);
		return n;
	}

	/*
	 * acquire: pairs with the release CAS of the producer that moved the
	 * head here, so the tail it checked room against is visible to us and
	 * our tail load below cannot return anything older.
	 */
	head = atomic_load_explicit(&r->prod.head, memory_order_acquire);
	for (;;) {
		unsigned want = n;

		/* acquire: pairs with the consumers' release store of cons_tail. */
		tail = atomic_load_explicit(&r->cons_tail, memory_order_acquire);
		free_slots = tern_ring_room_(r, head, tail);
		*room = free_slots > 0 ? (uint32_t)free_slots : 0;
		if (!tern_ring_enough_(free_slots, want)) {
			if (fixed || free_slots <= 0)
				return 0;
			want = (unsigned)free_slots;
		}
		/*
		 * acq_rel on success: release publishes the tail we checked room
		 * against to the next producer's acquire load of prod.head.
		 * acquire on failure: `head` is reloaded, with the same reason as
		 * the first load.
		 */
		if (atomic_compare_exchange_weak_explicit(&r->prod.head, &head, head + want,
		                                          memory_order_acq_rel,
		                                          memory_order_acquire)) {
			*old_head = head;
			return want;
		}
	}
}

/*
 * Reserve up to n objects for consumers; the mirror of
 * tern_ring_prod_reserve_().
 */
static TERN_ALWAYS_INLINE unsigned tern_ring_cons_reserve_(struct tern_ring *r, unsigned n,
                                                           bool fixed, bool single, bool exact,
                                                           uint32_t *old_head, uint32_t *ready)
{
	uint32_t head, tail;
	int32_t avail;

	if (single) {
		/* relaxed: only this thread writes cons.head (one consumer at a time). */
		head = atomic_load_explicit(&r->cons.head, memory_order_relaxed);
		/* relaxed: stored after an acquire load of prod_tail, as for producers. */
		tail = atomic_load_explicit(&r->cons.other_tail, memory_order_relaxed);
		avail = tern_ring_ready_(head, tail);
		if (tern_unlikely(!tern_ring_enough_(avail, n) || exact)) {
			/*
			 * acquire: pairs with the release store of prod_tail in
			 * tern_ring_publish_(): the producers' slot writes are
			 * visible before we read the slots.
			 */
			tail = atomic_load_explicit(&r->prod_tail, memory_order_acquire);
			avail = tern_ring_ready_(head, tail);
			*ready = avail > 0 ? (uint32_t)avail : 0;
			if (!tern_ring_enough_(avail, n)) {
				if (fixed || avail <= 0)
					return 0;
				n = (unsigned)avail;
			}
			/* relaxed: read back only by this thread. */
			atomic_store_explicit(&r->cons.other_tail, tail, memory_order_relaxed);
		}
		*ready = (uint32_t)avail;
		*old_head = head;
		/* relaxed: nobody else reserves; producers only ever read cons_tail. */
		atomic_store_explicit(&r->cons.head, head + n, memory_order_relaxed);
		return n;
	}

	/* acquire: pairs with the release CAS of the consumer that moved the head here. */
	head = atomic_load_explicit(&r->cons.head, memory_order_acquire);
	for (;;) {
		unsigned want = n;

		/* acquire: pairs with the release store of the cache below (another consumer). */
		tail = atomic_load_explicit(&r->cons.other_tail, memory_order_acquire);
		avail = tern_ring_ready_(head, tail);
		if (tern_unlikely(!tern_ring_enough_(avail, want) || exact)) {
			/* acquire: pairs with the producers' release store of prod_tail. */
			tail = atomic_load_explicit(&r->prod_tail, memory_order_acquire);
			avail = tern_ring_ready_(head, tail);
			*ready = avail > 0 ? (uint32_t)avail : 0;
			if (!tern_ring_enough_(avail, want)) {
				if (fixed || avail <= 0)
					return 0;
				want = (unsigned)avail;
			}
			/* release: hands the producers' slot writes on to the other consumers. */
			atomic_store_explicit(&r->cons.other_tail, tail, memory_order_release);
		}
		*ready = (uint32_t)avail;
		/* acq_rel / acquire: as in tern_ring_prod_reserve_(). */
		if (atomic_compare_exchange_weak_explicit(&r->cons.head, &head, head + want,
		                                          memory_order_acq_rel,
		                                          memory_order_acquire)) {
			*old_head = head;
			return want;
		}
	}
}

/*
 * Copy n pointers between the slots and the caller's array. The common case,
 * no wrap, is one straight run; a wrap masks each index. Indices are size_t
 * on purpose: with 32-bit ones the compiler must allow for them wrapping and
 * turns the loop into scatters/gathers instead of plain vector moves.
 */
static TERN_ALWAYS_INLINE void tern_ring_copy_run_(void **TERN_RESTRICT dst, void *const *TERN_RESTRICT src,
                                                   size_t n)
{
	size_t i = 0;

	/* Four at a time: vector moves for bursts, little loop overhead for small n. */
	for (; i + 4 <= n; i += 4) {
		dst[i] = src[i];
		dst[i + 1] = src[i + 1];
		dst[i + 2] = src[i + 2];
		dst[i + 3] = src[i + 3];
	}
	switch (n - i) {
	case 3:
		dst[i + 2] = src[i + 2];
		/* fall through */
	case 2:
		dst[i + 1] = src[i + 1];
		/* fall through */
	case 1:
		dst[i] = src[i];
		/* fall through */
	default:
		break;
	}
}

static TERN_ALWAYS_INLINE void tern_ring_copy_in_(struct tern_ring *r, uint32_t head,
                                                  void *const *objs, unsigned n)
{
	size_t idx = head & r->mask;
	size_t first = r->size - idx;

	if (tern_likely(n <= first)) {
		tern_ring_copy_run_(r->slots + idx, objs, n);
	} else {
		/* Rare: once per trip round the ring. A plain loop is enough. */
		for (size_t i = 0; i < n; i++)
			r->slots[(idx + i) & r->mask] = objs[i];
	}
}

static TERN_ALWAYS_INLINE void tern_ring_copy_out_(struct tern_ring *r, uint32_t head, void **objs,
                                                   unsigned n)
{
	size_t idx = head & r->mask;
	size_t first = r->size - idx;

	if (tern_likely(n <= first)) {
		tern_ring_copy_run_(objs, r->slots + idx, n);
	} else {
		for (size_t i = 0; i < n; i++)
			objs[i] = r->slots[(idx + i) & r->mask];
	}
}

/*
 * Finish an operation that reserved [old, next) on the side whose tail is
 * `tail`: wait until the operations reserved before it have finished (only
 * possible with several threads on that side), then move the tail.
 */
static TERN_ALWAYS_INLINE void tern_ring_publish_(_Atomic(uint32_t) *tail, uint32_t old,
                                                  uint32_t next, bool single)
{
	if (!single) {
		/*
		 * acquire: pairs with the release store below by the thread that
		 * reserved just before us; its slot accesses then happen before
		 * our release, so the other side, acquiring our tail, sees them too.
		 */
		unsigned spins = 0;

		while (atomic_load_explicit(tail, memory_order_acquire) != old) {
			/*
			 * The thread ahead of us is copying at most a burst of
			 * pointers: nanoseconds. Still waiting after this many
			 * pauses (some microseconds) means it was preempted in
			 * the middle (more threads than cores, a host
			 * application's threads, a descheduled vCPU): hand over
			 * the CPU instead of spinning out a whole time slice.
			 */
			if (tern_unlikely(++spins % TERN_RING_YIELD_SPINS == 0))
				sched_yield();
			else
				tern_pause();
		}
	}
	/*
	 * release: for producers, publishes the slots written above to the
	 * consumers' acquire load of prod_tail; for consumers, says the slots
	 * were read to the producers' acquire load of cons_tail, before they
	 * overwrite them.
	 */
	atomic_store_explicit(tail, next, memory_order_release);
}

static TERN_ALWAYS_INLINE unsigned tern_ring_do_enqueue_(struct tern_ring *r, void *const *objs,
                                                         unsigned n, bool fixed, bool single,
                                                         unsigned *free_space)
{
	uint32_t head, room;

	n = tern_ring_prod_reserve_(r, n, fixed, single, &head, &room);
	if (n) {
		tern_ring_copy_in_(r, head, objs, n);
		tern_ring_publish_(&r->prod_tail, head, head + n, single);
	}
	if (free_space)
		*free_space = room - n;
	return n;
}

static TERN_ALWAYS_INLINE unsigned tern_ring_do_dequeue_(struct tern_ring *r, void **objs,
                                                         unsigned n, bool fixed, bool single,
                                                         unsigned *available)
{
	uint32_t head, ready;

	n = tern_ring_cons_reserve_(r, n, fixed, single, available != NULL, &head, &ready);
	if (n) {
		tern_ring_copy_out_(r, head, objs, n);
		tern_ring_publish_(&r->cons_tail, head, head + n, single);
	}
	if (available)
		*available = ready - n;
	return n;
}

#endif /* TERN_RING_PVT_H */
