/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tern_mempool.h - pools of fixed-size objects in DMA memory.
 *
 * A pool is created once with all its objects; get and put never allocate.
 * Free objects live in a lock-free MP/MC ring, and in front of it each lcore
 * may keep a small LIFO cache so that the common case (an lcore frees what it
 * allocated a moment ago) touches no shared cache line at all.
 *
 * Every object sits in one IOVA-contiguous range and its IOVA is recorded at
 * create time in a 64-byte header just before it, so a driver never needs a
 * system call to find the bus address of a buffer.
 *
 * Objects parked in any lcore's cache count as available: avail + in_use ==
 * size holds exactly whenever no lcore is in the middle of a get or put.
 */
#ifndef TERN_MEMPOOL_H
#define TERN_MEMPOOL_H

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "tern_atomic.h"
#include "tern_common.h"
#include "tern_lcore.h"
#include "tern_log.h"
#include "tern_memory.h" /* TERN_SOCKET_ID_ANY */
#include "tern_ring.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TERN_MEMPOOL_NAMESIZE  32
#define TERN_MEMPOOL_CACHE_MAX 512

/* A cache flushes back down to cache_size once it holds more than 1.5x that. */
#define TERN_MEMPOOL_FLUSHTHRESH(size) ((size)*3 / 2)

/*
 * One lcore's cache. Only its own lcore writes it; `len` is atomic so that
 * tern_mempool_avail_count() may read it from any thread (relaxed: a count
 * taken while the owner works is a snapshot, never a synchronizing edge).
 */
struct tern_mempool_cache {
	_Atomic(uint32_t) len;
	uint32_t size;        /* cache_size of the pool */
	uint32_t flushthresh; /* flush when len goes above this */
	/*
	 * A put appends before it checks the threshold, so room is needed for
	 * flushthresh + one put of at most `size` objects.
	 */
	void *objs[TERN_MEMPOOL_FLUSHTHRESH(TERN_MEMPOOL_CACHE_MAX) +
	           TERN_MEMPOOL_CACHE_MAX] TERN_CACHE_ALIGNED; /* on its own line: bursts of 8 then
	                                                          copy whole lines */
} TERN_CACHE_ALIGNED;

/* What precedes every object: one cache line, so objects stay aligned. */
struct tern_mempool_objhdr {
	tern_iova_t iova; /* IOVA of the object (not of this header) */
	struct tern_mempool *mp;
	uint32_t idx;
} TERN_CACHE_ALIGNED;

TERN_FLEX_ARRAY_BEGIN
struct tern_mempool {
	/* Read on every get/put: keep together in the first line. */
	struct tern_ring *ring;  /* the free objects not in a cache */
	uint32_t cache_size;     /* 0: no per-lcore caches */
	uint32_t size;           /* number of objects */
	uint32_t elt_size;       /* bytes the user asked for per object */
	uint32_t total_elt_size; /* header + object, a multiple of the cache line */
	unsigned flags;
	int socket;

	char name[TERN_MEMPOOL_NAMESIZE];
	void *mem;            /* the DMA chunk holding every object */
	size_t mem_len;       /* its length */
	void *ring_mem;       /* where the ring lives */
	void **obj_tab;       /* object idx -> address, for obj_iter */
	void *user_data;      /* for layers above (the packet pool) */
	uint32_t pkt_buf_len; /* packet pools: each buffer's buf_len; 0 for other pools */

	/* Present only when cache_size > 0: one per possible lcore id. */
	struct tern_mempool_cache local_cache[] TERN_CACHE_ALIGNED;
};
TERN_FLEX_ARRAY_END

typedef void (*tern_mempool_obj_cb)(struct tern_mempool *mp, void *opaque, void *obj, unsigned idx);

/*
 * Create a pool of `n` objects of `elt_size` bytes on NUMA `socket`
 * (TERN_SOCKET_ID_ANY: the caller's). cache_size (0..TERN_MEMPOOL_CACHE_MAX,
 * at most n / 1.5) is the per-lcore cache; 0 disables caches. obj_init (may
 * be NULL) runs once per object, in index order, before the pool is usable.
 * `flags` must be 0 for now. Needs the EAL initialized.
 * Returns NULL with tern_errno = EINVAL, ENOMEM.
 */
struct tern_mempool *tern_mempool_create(const char *name, unsigned n, unsigned elt_size,
                                         unsigned cache_size, int socket, unsigned flags,
                                         tern_mempool_obj_cb obj_init, void *opaque);

/* Give back the pool and its memory (NULL is ignored). Logs objects still in use. */
void tern_mempool_free(struct tern_mempool *mp);

unsigned tern_mempool_avail_count(const struct tern_mempool *mp);
unsigned tern_mempool_in_use_count(const struct tern_mempool *mp);

static inline unsigned tern_mempool_size(const struct tern_mempool *mp)
{
	return mp->size;
}

static inline const char *tern_mempool_name(const struct tern_mempool *mp)
{
	return mp->name;
}

/* The IOVA of an object of this pool, read from its header (no system call). */
static inline tern_iova_t tern_mempool_virt2iova(const struct tern_mempool *mp, const void *obj)
{
	(void)mp;
	if (obj == NULL)
		return TERN_BAD_IOVA;
	return ((const struct tern_mempool_objhdr *)obj - 1)->iova;
}

/* The pool an object belongs to. */
static inline struct tern_mempool *tern_mempool_from_obj(const void *obj)
{
	return ((const struct tern_mempool_objhdr *)obj - 1)->mp;
}

/* Call fn on every object of the pool (free or not), in index order. */
void tern_mempool_obj_iter(struct tern_mempool *mp, tern_mempool_obj_cb fn, void *arg);

/*
 * Give the objects in lcore `lcore_id`'s cache back to the ring. Call it from
 * that lcore, or from another thread while that lcore is not using the pool
 * (e.g. after tern_lcore_wait()). Returns 0, or -EINVAL for a bad lcore id.
 */
int tern_mempool_cache_flush(struct tern_mempool *mp, unsigned lcore_id);

/* Log the pool's counters and caches at INFO level. */
void tern_mempool_dump(const struct tern_mempool *mp);

/* --- fast path ------------------------------------------------------------ */

/* The calling lcore's cache, or NULL (no caches, or not an lcore). */
static TERN_ALWAYS_INLINE struct tern_mempool_cache *tern_mempool_cache_get(struct tern_mempool *mp)
{
	unsigned lcore = tern_lcore_id();

	if (mp->cache_size == 0 || lcore >= TERN_MAX_LCORE)
		return NULL;
	return &mp->local_cache[lcore];
}

/*
 * Slow paths, out of line. get_slow_ runs when the first ring dequeue came
 * back short: it retries while the ring says it holds enough (a dequeue
 * sees only what producers have published, so a put in flight on another
 * lcore can make it come back short for a moment), then, for a
 * get bigger than the cache, takes what the caller's cache holds and the
 * rest from the ring; so a get fails only when the caller's cache and the
 * ring together are short. put_slow_ retries a failed enqueue: the ring
 * has room for every object of the pool, so only a double free (or a
 * foreign object) makes it give up, and log.
 */
int tern_mempool_get_slow_(struct tern_mempool *mp, struct tern_mempool_cache *c, void **objs,
                           unsigned n);
int tern_mempool_ring_get_(struct tern_mempool *mp, void **objs, unsigned n);
void tern_mempool_put_slow_(struct tern_mempool *mp, void *const *objs, unsigned n);

/* 4 object pointers moved as one (unaligned) 32-byte access. */
typedef uint64_t tern_mempool_ptr4_ __attribute__((vector_size(32), aligned(8), may_alias));

/*
 * Copy n object pointers, 4 (32 bytes) at a time from the first one. Every
 * put and get copies the same way, so a get that reads back what a put just
 * wrote loads exactly the chunks that were stored, which the CPU forwards
 * from its store buffer. Copies split differently (a vectorizer peeling to
 * align one side, as the plain loops did) stall on each chunk instead:
 * measured here, 4.7-5.9 -> 1.3-2.0 cycles/object for bursts of 32.
 */
static TERN_ALWAYS_INLINE void tern_mempool_copy_(void **TERN_RESTRICT dst,
                                                  void *const *TERN_RESTRICT src, unsigned n)
{
	unsigned i = 0;

	for (; i < (n & ~3u); i += 4)
		*(tern_mempool_ptr4_ *)(void *)&dst[i] =
		    *(const tern_mempool_ptr4_ *)(const void *)&src[i];
	for (; i < n; i++)
		dst[i] = src[i];
}

/*
 * Put n objects through cache `c` (tern_mempool_cache_get() of the calling
 * lcore, looked up once outside a loop; NULL: straight to the ring).
 */
static TERN_ALWAYS_INLINE void tern_mempool_generic_put(struct tern_mempool *mp, void *const *objs,
                                                        unsigned n, struct tern_mempool_cache *c)
{
	uint32_t len;

	/* No cache, or a put bigger than the cache: straight to the ring. */
	if (c == NULL || n > c->size) {
		if (tern_unlikely(tern_ring_mp_enqueue_bulk(mp->ring, objs, n, NULL) == 0))
			tern_mempool_put_slow_(mp, objs, n);
		return;
	}

	/* Only this lcore writes len: relaxed is enough (see the struct). */
	len = atomic_load_explicit(&c->len, memory_order_relaxed);
	/* Inline, not a memcpy call: bursts are short and a call costs more than the copy. */
	tern_mempool_copy_(&c->objs[len], objs, n);
	len += n;
	if (tern_unlikely(len > c->flushthresh)) {
		/* Back down to `size`: the ring has room for every object of the pool. */
		if (tern_unlikely(tern_ring_mp_enqueue_bulk(mp->ring, &c->objs[c->size],
		                                            len - c->size, NULL) == 0))
			tern_mempool_put_slow_(mp, &c->objs[c->size], len - c->size);
		len = c->size;
	}
	atomic_store_explicit(&c->len, len, memory_order_relaxed);
}

/* Get n objects, all or none (0 or -ENOBUFS), through cache `c` as above. */
static TERN_ALWAYS_INLINE int tern_mempool_generic_get(struct tern_mempool *mp, void **objs,
                                                       unsigned n, struct tern_mempool_cache *c)
{
	uint32_t len;

	if (c == NULL || n > c->size) {
		if (tern_likely(tern_ring_mc_dequeue_bulk(mp->ring, objs, n, NULL) == n))
			return 0;
		return tern_mempool_get_slow_(mp, c, objs, n);
	}

	len = atomic_load_explicit(&c->len, memory_order_relaxed);
	if (tern_unlikely(len < n)) {
		/*
		 * Refill to `size` objects left after this get; if the ring is
		 * short, take just what is missing. Either is all or nothing,
		 * so a failure leaves the cache and the ring as they were.
		 */
		uint32_t want = c->size + n - len;

		if (tern_ring_mc_dequeue_bulk(mp->ring, &c->objs[len], want, NULL) == 0) {
			want = n - len;
			if (tern_mempool_ring_get_(mp, &c->objs[len], want) < 0)
				return -ENOBUFS;
		}
		len += want;
	}
	/*
	 * LIFO by bulk: hand out the top n, the most recently freed (cache-hot)
	 * objects. Copied in stack order, not reversed: a forward copy is a
	 * few vector moves, a reversed one goes a pointer at a time.
	 */
	len -= n;
	tern_mempool_copy_(objs, &c->objs[len], n);
	atomic_store_explicit(&c->len, len, memory_order_relaxed);
	return 0;
}

/* Through the calling lcore's cache, if it has one. */
static TERN_ALWAYS_INLINE void tern_mempool_put_bulk(struct tern_mempool *mp, void *const *objs,
                                                     unsigned n)
{
	tern_mempool_generic_put(mp, objs, n, tern_mempool_cache_get(mp));
}

/* n objects or none: 0 or -ENOBUFS. Through the calling lcore's cache, if any. */
static TERN_ALWAYS_INLINE int tern_mempool_get_bulk(struct tern_mempool *mp, void **objs,
                                                    unsigned n)
{
	return tern_mempool_generic_get(mp, objs, n, tern_mempool_cache_get(mp));
}

static TERN_ALWAYS_INLINE int tern_mempool_get(struct tern_mempool *mp, void **obj)
{
	return tern_mempool_get_bulk(mp, obj, 1);
}

static TERN_ALWAYS_INLINE void tern_mempool_put(struct tern_mempool *mp, void *obj)
{
	tern_mempool_put_bulk(mp, &obj, 1);
}

#ifdef __cplusplus
}
#endif

#endif /* TERN_MEMPOOL_H */
