/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ring.c - creating, sizing and resetting rings. The fast path is inline in
 * tern_ring.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tern_eal.h"
#include "tern_error.h"
#include "tern_log.h"
#include "tern_memory.h"
#include "tern_ring.h"
#include "ring_test.h"

#define RING_LOG "ring"

/* Where a ring's memory came from, so tern_ring_free() gives it back to the right place. */
enum ring_memory {
	RING_MEM_CALLER = 0, /* tern_ring_init() on memory the caller owns */
	RING_MEM_HEAP,       /* aligned C heap: the EAL was not running */
	RING_MEM_DMA,        /* tern_dma_zalloc() */
};

_Static_assert(offsetof(struct tern_ring, prod_tail) - offsetof(struct tern_ring, prod) >=
                   TERN_RING_GUARD_SIZE,
               "producer head and tail must not share a guard block");
_Static_assert(offsetof(struct tern_ring, slots) % TERN_RING_GUARD_SIZE == 0,
               "slots start on their own guard block");

static bool ring_count_ok(unsigned count)
{
	return tern_is_power_of_2(count) && count <= TERN_RING_SZ_MAX;
}

size_t tern_ring_memsize(unsigned count)
{
	if (!ring_count_ok(count))
		return 0;
	return TERN_ALIGN_CEIL(sizeof(struct tern_ring) + (size_t)count * sizeof(void *),
	                       (size_t)TERN_RING_GUARD_SIZE);
}

/* Check the arguments of init/create; 0 or a negative errno after logging why. */
static int ring_check(const char *name, unsigned count, unsigned flags)
{
	if (name == NULL) {
		return tern_error(EINVAL, RING_LOG, "ring name is NULL");
	}
	if (strnlen(name, TERN_RING_NAMESIZE) >= TERN_RING_NAMESIZE) {
		return tern_error(ENAMETOOLONG, RING_LOG,
		                  "ring name '%.*s...' is too long: at most %d characters",
		                  TERN_RING_NAMESIZE - 1, name, TERN_RING_NAMESIZE - 1);
	}
	if (!ring_count_ok(count)) {
		return tern_error(
		    EINVAL, RING_LOG,
		    "ring %s: count %u must be a power of two between 1 and %u (try %u)", name,
		    count, TERN_RING_SZ_MAX,
		    count > TERN_RING_SZ_MAX ? TERN_RING_SZ_MAX : tern_align32pow2(count));
	}
	if (flags & ~(unsigned)(TERN_RING_F_SP_ENQ | TERN_RING_F_SC_DEQ)) {
		return tern_error(EINVAL, RING_LOG, "ring %s: unknown flags 0x%x", name, flags);
	}
	return 0;
}

static void ring_set_indices(struct tern_ring *r, uint32_t start)
{
	/*
	 * relaxed: reset is documented as not thread safe; whatever hands the
	 * ring to other threads afterwards (thread creation, a lock, a release
	 * store) orders these stores before their first use.
	 */
	atomic_store_explicit(&r->prod.head, start, memory_order_relaxed);
	atomic_store_explicit(&r->prod_tail, start, memory_order_relaxed);
	atomic_store_explicit(&r->cons.head, start, memory_order_relaxed);
	atomic_store_explicit(&r->cons.other_tail, start, memory_order_relaxed);
	atomic_store_explicit(&r->cons_tail, start, memory_order_relaxed);
}

static void ring_setup(struct tern_ring *r, const char *name, unsigned count, unsigned flags,
                       int memory)
{
	memset(r, 0, sizeof(*r));
	strlcpy(r->name, name, sizeof(r->name));
	r->size = count;
	r->mask = count - 1;
	r->capacity = count;
	r->flags = flags;
	r->memory = memory;
	ring_set_indices(r, 0);
}

int tern_ring_init(struct tern_ring *r, const char *name, unsigned count, unsigned flags)
{
	int ret;

	if (r == NULL) {
		return tern_error(EINVAL, RING_LOG, "tern_ring_init: ring pointer is NULL");
	}
	ret = ring_check(name, count, flags);
	if (ret < 0)
		return ret;
	if ((uintptr_t)r % TERN_RING_GUARD_SIZE) {
		return tern_error(EINVAL, RING_LOG, "ring %s: memory %p is not aligned to %d bytes",
		                  name, (void *)r, TERN_RING_GUARD_SIZE);
	}
	ring_setup(r, name, count, flags, RING_MEM_CALLER);
	return 0;
}

struct tern_ring *tern_ring_create(const char *name, unsigned count, int socket, unsigned flags)
{
	struct tern_ring *r;
	size_t len;
	int memory;

	if (ring_check(name, count, flags) < 0)
		return NULL; /* tern_error() set tern_errno */
	len = tern_ring_memsize(count);
	if (tern_eal_is_initialized()) {
		r = tern_dma_zalloc(name, len, TERN_RING_GUARD_SIZE, socket);
		memory = RING_MEM_DMA;
	} else {
		/* No EAL: plain heap memory, so embedding apps get rings before init. */
		r = aligned_alloc(TERN_RING_GUARD_SIZE, len);
		memory = RING_MEM_HEAP;
		if (r == NULL)
			tern_error(ENOMEM, RING_LOG,
			           "ring %s: cannot allocate %zu bytes for %u slots", name, len,
			           count);
	}
	if (r == NULL)
		return NULL; /* tern_dma_zalloc() or the line above said why, and set tern_errno */
	ring_setup(r, name, count, flags, memory);
	return r;
}

void tern_ring_free(struct tern_ring *r)
{
	if (r == NULL)
		return;
	switch (r->memory) {
	case RING_MEM_DMA:
		tern_dma_free(r);
		break;
	case RING_MEM_HEAP:
		free(r);
		break;
	default:
		TERN_LOG(WARNING, RING_LOG,
		         "ring %s: not from tern_ring_create(), its memory is the caller's",
		         r->name);
		break;
	}
}

void tern_ring_reset(struct tern_ring *r)
{
	ring_set_indices(r, 0);
}

void tern_ring_test_reset_at(struct tern_ring *r, uint32_t start)
{
	ring_set_indices(r, start);
}
