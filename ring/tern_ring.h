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
 * Layout and the synchronizing edges: tern_ring_pvt.h; why the consumers
 * cache the producers' tail and the producers do not: doc/ring.md.
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

struct tern_ring;

/* The ring's layout and mechanism (not API). */
#include "tern_ring_pvt.h"

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
