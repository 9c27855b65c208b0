/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tern_ring.h - a fixed-size lock-free FIFO of pointers.
 *
 * Producers and consumers each own a head (how far they have reserved) and a
 * tail (how far they have finished). An operation reserves slots by moving
 * its head (a plain store for a single producer/consumer, a CAS for several),
 * copies the pointers, then waits for the operations reserved before it to
 * finish and moves its tail, which hands the slots to the other side.
 *
 * Indices are free-running 32-bit counters masked on access, so a ring of
 * `count` slots holds exactly `count` objects: "full" is head - tail == count,
 * not a wasted slot.
 *
 * Layout: every field that one side writes and the other reads sits on its
 * own 128-byte block (Intel's adjacent-line prefetcher moves lines in pairs,
 * so 64 bytes apart is not far enough apart). Consumers also keep, next to
 * their head, the last value they saw of prod_tail: while that cached value
 * shows enough objects, a dequeue does not touch the producers' line at
 * all. Producers read cons_tail on every call instead. Measured with one
 * producer and one consumer on two cores (bench/ring, bulk 32): with a
 * cached tail on both sides the producer is never slowed by the consumer's
 * line, so the consumer drains the ring, finds it empty again and again (1.6
 * million failed polls for a million operations) and keeps pulling
 * prod_tail away from the producer's stores: 21-28 cycles per object. With
 * producers reading cons_tail each time, a backlog builds, the consumer's
 * cached tail covers whole runs of operations, and it costs 10-15 (DPDK's
 * rte_ring, which caches neither, 18). The same holds with several
 * producers (2-core MP/MC bulk 32: 0.9x DPDK with the cache, 1.0-1.2x
 * without).
 * A side's head and its tail are apart too: the other side polls the tail,
 * while the head and the cache stay unshared in the owner's cache.
 *
 * Bulk operations move all `n` objects or none; burst operations move as
 * many as they can. `free_space` / `available`, when not NULL, receive what
 * is left after the operation (then the other side's tail is read fresh, so
 * the figure is exact at that moment, as in DPDK).
 *
 * Thread safety: mp/mc functions may run concurrently on any number of
 * threads; sp/sc functions must be called by one thread at a time per side.
 * A ring is not meant to be shared by processes. An mp/mc thread preempted
 * between its reservation and its tail update holds up the threads behind it
 * on its side; they yield the CPU after TERN_RING_YIELD_SPINS pauses instead
 * of spinning out their time slice, so more threads than cores stay correct
 * and merely slower (DPDK's rte_ring spins on; it offers RTS/HTS modes).
 */
#ifndef TERN_RING_H
#define TERN_RING_H

#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tern_atomic.h"
#include "tern_common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TERN_RING_F_SP_ENQ 0x1 /* default enqueue is single-producer */
#define TERN_RING_F_SC_DEQ 0x2 /* default dequeue is single-consumer */
#define TERN_RING_NAMESIZE 32
#define TERN_RING_SZ_MAX   (1u << 30) /* most slots (signed 32-bit room arithmetic) */
/* mp/mc: pauses spent waiting for the thread ahead before yielding the CPU to it. */
#define TERN_RING_YIELD_SPINS 256

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

/* Bytes needed for a ring of `count` slots (0 if count is not a valid size). */
size_t tern_ring_memsize(unsigned count);

/*
 * Initialise a ring in caller-provided memory of tern_ring_memsize(count)
 * bytes, aligned to TERN_RING_GUARD_SIZE. count must be a power of two, at
 * most TERN_RING_SZ_MAX. Returns 0, -EINVAL or -ENAMETOOLONG.
 */
int tern_ring_init(struct tern_ring *r, const char *name, unsigned count, unsigned flags);

/*
 * Allocate and initialise a ring: from DMA memory on `socket` when the EAL is
 * running, else from the C heap (so rings work before or without
 * tern_eal_init()). Returns NULL with tern_errno = EINVAL, ENAMETOOLONG or
 * ENOMEM.
 */
struct tern_ring *tern_ring_create(const char *name, unsigned count, int socket, unsigned flags);

/* Free a ring from tern_ring_create(). NULL is ignored. */
void tern_ring_free(struct tern_ring *r);

/*
 * Empty the ring. Not thread safe: no other thread may use the ring while
 * this runs, and the objects still in it are forgotten, not freed.
 */
void tern_ring_reset(struct tern_ring *r);

/*
 * FOR TESTS ONLY: empty the ring and start all its indices at `start`, so a
 * test can drive the 32-bit counters across their wrap-around quickly.
 * Same rules as tern_ring_reset().
 */
void tern_ring_test_reset_at(struct tern_ring *r, uint32_t start);

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
static TERN_ALWAYS_INLINE void tern_ring_copy_run_(void **TERN_RESTRICT dst,
                                                   void *const *TERN_RESTRICT src, size_t n)
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

/* Enqueue all n objects or none; returns n or 0. Several producers may call it at once. */
static TERN_ALWAYS_INLINE unsigned tern_ring_mp_enqueue_bulk(struct tern_ring *r, void *const *objs,
                                                             unsigned n, unsigned *free_space)
{
	return tern_ring_do_enqueue_(r, objs, n, true, false, free_space);
}

/* Enqueue all n objects or none; one producer thread at a time. */
static TERN_ALWAYS_INLINE unsigned tern_ring_sp_enqueue_bulk(struct tern_ring *r, void *const *objs,
                                                             unsigned n, unsigned *free_space)
{
	return tern_ring_do_enqueue_(r, objs, n, true, true, free_space);
}

/* Enqueue as many of the n objects as fit; returns how many. */
static TERN_ALWAYS_INLINE unsigned
tern_ring_mp_enqueue_burst(struct tern_ring *r, void *const *objs, unsigned n, unsigned *free_space)
{
	return tern_ring_do_enqueue_(r, objs, n, false, false, free_space);
}

static TERN_ALWAYS_INLINE unsigned
tern_ring_sp_enqueue_burst(struct tern_ring *r, void *const *objs, unsigned n, unsigned *free_space)
{
	return tern_ring_do_enqueue_(r, objs, n, false, true, free_space);
}

/* Dequeue n objects or none; returns n or 0. Several consumers may call it at once. */
static TERN_ALWAYS_INLINE unsigned tern_ring_mc_dequeue_bulk(struct tern_ring *r, void **objs,
                                                             unsigned n, unsigned *available)
{
	return tern_ring_do_dequeue_(r, objs, n, true, false, available);
}

static TERN_ALWAYS_INLINE unsigned tern_ring_sc_dequeue_bulk(struct tern_ring *r, void **objs,
                                                             unsigned n, unsigned *available)
{
	return tern_ring_do_dequeue_(r, objs, n, true, true, available);
}

/* Dequeue up to n objects; returns how many. */
static TERN_ALWAYS_INLINE unsigned tern_ring_mc_dequeue_burst(struct tern_ring *r, void **objs,
                                                              unsigned n, unsigned *available)
{
	return tern_ring_do_dequeue_(r, objs, n, false, false, available);
}

static TERN_ALWAYS_INLINE unsigned tern_ring_sc_dequeue_burst(struct tern_ring *r, void **objs,
                                                              unsigned n, unsigned *available)
{
	return tern_ring_do_dequeue_(r, objs, n, false, true, available);
}

/* The same, single or multi as the ring's flags say. */
static TERN_ALWAYS_INLINE unsigned tern_ring_enqueue_bulk(struct tern_ring *r, void *const *objs,
                                                          unsigned n, unsigned *free_space)
{
	return tern_ring_do_enqueue_(r, objs, n, true, r->flags & TERN_RING_F_SP_ENQ, free_space);
}

static TERN_ALWAYS_INLINE unsigned tern_ring_enqueue_burst(struct tern_ring *r, void *const *objs,
                                                           unsigned n, unsigned *free_space)
{
	return tern_ring_do_enqueue_(r, objs, n, false, r->flags & TERN_RING_F_SP_ENQ, free_space);
}

static TERN_ALWAYS_INLINE unsigned tern_ring_dequeue_bulk(struct tern_ring *r, void **objs,
                                                          unsigned n, unsigned *available)
{
	return tern_ring_do_dequeue_(r, objs, n, true, r->flags & TERN_RING_F_SC_DEQ, available);
}

static TERN_ALWAYS_INLINE unsigned tern_ring_dequeue_burst(struct tern_ring *r, void **objs,
                                                           unsigned n, unsigned *available)
{
	return tern_ring_do_dequeue_(r, objs, n, false, r->flags & TERN_RING_F_SC_DEQ, available);
}

/* One object: 0, or -ENOBUFS when the ring is full / -ENOENT when it is empty. */
static TERN_ALWAYS_INLINE int tern_ring_mp_enqueue(struct tern_ring *r, void *obj)
{
	return tern_ring_mp_enqueue_bulk(r, &obj, 1, NULL) ? 0 : -ENOBUFS;
}

static TERN_ALWAYS_INLINE int tern_ring_sp_enqueue(struct tern_ring *r, void *obj)
{
	return tern_ring_sp_enqueue_bulk(r, &obj, 1, NULL) ? 0 : -ENOBUFS;
}

static TERN_ALWAYS_INLINE int tern_ring_enqueue(struct tern_ring *r, void *obj)
{
	return tern_ring_enqueue_bulk(r, &obj, 1, NULL) ? 0 : -ENOBUFS;
}

static TERN_ALWAYS_INLINE int tern_ring_mc_dequeue(struct tern_ring *r, void **obj)
{
	return tern_ring_mc_dequeue_bulk(r, obj, 1, NULL) ? 0 : -ENOENT;
}

static TERN_ALWAYS_INLINE int tern_ring_sc_dequeue(struct tern_ring *r, void **obj)
{
	return tern_ring_sc_dequeue_bulk(r, obj, 1, NULL) ? 0 : -ENOENT;
}

static TERN_ALWAYS_INLINE int tern_ring_dequeue(struct tern_ring *r, void **obj)
{
	return tern_ring_dequeue_bulk(r, obj, 1, NULL) ? 0 : -ENOENT;
}

/*
 * Objects in the ring. Exact when nothing runs concurrently; otherwise a
 * snapshot that may already be out of date.
 */
static TERN_ALWAYS_INLINE unsigned tern_ring_count(const struct tern_ring *r)
{
	/*
	 * acquire: pairs with the consumers' release store of cons_tail, which
	 * they made after reading a prod_tail at least this far, so the
	 * prod_tail load below cannot return less than cons_tail.
	 */
	uint32_t cons = atomic_load_explicit(&r->cons_tail, memory_order_acquire);
	/* relaxed: only a number for the caller, nothing is read through it. */
	uint32_t prod = atomic_load_explicit(&r->prod_tail, memory_order_relaxed);
	uint32_t count = prod - cons;

	/* Producers may have gone on between the two loads. */
	return count > r->capacity ? r->capacity : count;
}

static TERN_ALWAYS_INLINE unsigned tern_ring_capacity(const struct tern_ring *r)
{
	return r->capacity;
}

static TERN_ALWAYS_INLINE unsigned tern_ring_free_count(const struct tern_ring *r)
{
	return r->capacity - tern_ring_count(r);
}

static inline bool tern_ring_empty(const struct tern_ring *r)
{
	return tern_ring_count(r) == 0;
}

static inline bool tern_ring_full(const struct tern_ring *r)
{
	return tern_ring_count(r) == r->capacity;
}

#ifdef __cplusplus
}
#endif

#endif /* TERN_RING_H */
