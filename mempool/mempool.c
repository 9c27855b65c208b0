/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mempool.c - creating, inspecting and freeing pools; get/put are inline in
 * tern_mempool.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tern_eal.h"
#include "tern_error.h"
#include "tern_memory.h"
#include "tern_mempool.h"

#define MP_LOG "mempool"

/* Fail create with errno `err` and one log line. */
static struct tern_mempool *create_fail(int err, const char *name, const char *why)
{
	tern_error(err, MP_LOG, "%s: cannot create: %s", name ? name : "(null)", why);
	return NULL;
}

/*
 * Lay the objects out in mp->mem: each one [header][object] in a run of
 * bytes with one IOVA range, recording each object's IOVA in its header.
 * Returns 0, -ENOMEM when the chunk is too small for n objects, -EFAULT if
 * the EAL cannot give an IOVA.
 */
static int layout_objects(struct tern_mempool *mp, bool pa)
{
	char *base = mp->mem;
	size_t off = 0;
	size_t pg = tern_dma_page_size(base);
	unsigned i;

	for (i = 0; i < mp->size; i++) {
		uintptr_t start = (uintptr_t)base + off;

		if (off + mp->total_elt_size > mp->mem_len)
			return -ENOMEM;
		/*
		 * PA mode: physical addresses run on only within a page, so an
		 * element never crosses a page boundary; it moves to the next
		 * page instead (the check is on the address: the chunk's start
		 * need not be page aligned).
		 */
		if (pa && (start / pg) != ((start + mp->total_elt_size - 1) / pg)) {
			off = TERN_ALIGN_CEIL(start, (uintptr_t)pg) - (uintptr_t)base;
			if (off + mp->total_elt_size > mp->mem_len)
				return -ENOMEM;
		}
		/* Whatever the mode, refuse to hand out a range the EAL calls broken. */
		if (!tern_dma_iova_contig(base + off, mp->total_elt_size))
			return -EFAULT;

		struct tern_mempool_objhdr *hdr = (struct tern_mempool_objhdr *)(base + off);
		void *obj = hdr + 1;

		hdr->iova = tern_dma_virt2iova(obj);
		hdr->mp = mp;
		hdr->idx = i;
		if (hdr->iova == TERN_BAD_IOVA)
			return -EFAULT;
		mp->obj_tab[i] = obj;
		off += mp->total_elt_size;
	}
	return 0;
}

/*
 * Bytes of DMA memory for n elements: n * total in VA mode; in PA mode each
 * page holds only whole elements, so count pages. Needs the page size, which
 * only an allocation can tell: the caller probes with a first guess.
 */
static size_t mem_needed(unsigned n, size_t total, size_t pg, bool pa)
{
	size_t per_page;

	if (!pa)
		return (size_t)n * total;
	per_page = pg / total;
	if (per_page == 0)
		return 0; /* an element bigger than a page: can't guarantee contiguity */
	return ((n + per_page - 1) / per_page) * pg;
}

static int alloc_objects(struct tern_mempool *mp, bool pa)
{
	size_t len = (size_t)mp->size * mp->total_elt_size;
	int tries;

	for (tries = 0; tries < 3; tries++) {
		mp->mem = tern_dma_zalloc(mp->name, len, TERN_CACHE_LINE_SIZE, mp->socket);
		if (mp->mem == NULL)
			return -tern_errno;
		mp->mem_len = len;

		size_t need =
		    mem_needed(mp->size, mp->total_elt_size, tern_dma_page_size(mp->mem), pa);
		if (need == 0) {
			TERN_LOG(
			    ERR, MP_LOG,
			    "%s: elements of %u bytes do not fit in one %zu-byte page (PA mode)",
			    mp->name, mp->total_elt_size, tern_dma_page_size(mp->mem));
			return -EINVAL;
		}
		if (need <= len) {
			int ret = layout_objects(mp, pa);

			/* A chunk not starting on a page boundary may need one page more. */
			if (ret != -ENOMEM)
				return ret;
			need = len + tern_dma_page_size(mp->mem);
		}
		tern_dma_free(mp->mem);
		mp->mem = NULL;
		len = need;
	}
	return -ENOMEM;
}

struct tern_mempool *tern_mempool_create(const char *name, unsigned n, unsigned elt_size,
                                         unsigned cache_size, int socket, unsigned flags,
                                         tern_mempool_obj_cb obj_init, void *opaque)
{
	struct tern_mempool *mp;
	size_t struct_len;
	unsigned i, ring_count;
	unsigned long errors = tern_error_count();
	int ret;

	if (name == NULL || name[0] == '\0' || strlen(name) >= TERN_MEMPOOL_NAMESIZE)
		return create_fail(EINVAL, name, "name empty or too long");
	if (!tern_eal_is_initialized())
		return create_fail(EINVAL, name, "the EAL is not initialized");
	if (n == 0 || n > (1u << 30))
		return create_fail(EINVAL, name, "object count must be 1..2^30");
	if (elt_size == 0 || elt_size > (1u << 30))
		return create_fail(EINVAL, name, "element size must be 1..2^30");
	if (cache_size > TERN_MEMPOOL_CACHE_MAX)
		return create_fail(EINVAL, name, "cache size above TERN_MEMPOOL_CACHE_MAX");
	if ((uint64_t)TERN_MEMPOOL_FLUSHTHRESH(cache_size) > n)
		return create_fail(EINVAL, name, "cache size must be at most n / 1.5");
	if (flags != 0)
		return create_fail(EINVAL, name, "unknown flags");

	struct_len = sizeof(*mp);
	if (cache_size > 0)
		struct_len += sizeof(struct tern_mempool_cache) * TERN_MAX_LCORE;
	/*
	 * Plain memory: only the CPU touches the pool's bookkeeping. The caches
	 * are big (TERN_MAX_LCORE of them) but only their first line is written
	 * here; the pages of lcores that never run stay untouched.
	 */
	if (posix_memalign((void **)&mp, TERN_CACHE_LINE_SIZE, struct_len) != 0)
		return create_fail(ENOMEM, name, "out of memory for the pool struct");
	memset(mp, 0, sizeof(*mp));
	strlcpy(mp->name, name, sizeof(mp->name));
	mp->size = n;
	mp->elt_size = elt_size;
	mp->total_elt_size =
	    sizeof(struct tern_mempool_objhdr) + TERN_ALIGN_CEIL(elt_size, TERN_CACHE_LINE_SIZE);
	mp->cache_size = cache_size;
	mp->flags = flags;
	mp->socket = socket;
	for (i = 0; cache_size > 0 && i < TERN_MAX_LCORE; i++) {
		struct tern_mempool_cache *c = &mp->local_cache[i];

		atomic_init(&c->len, 0);
		c->size = cache_size;
		c->flushthresh = TERN_MEMPOOL_FLUSHTHRESH(cache_size);
	}

	mp->obj_tab = calloc(n, sizeof(void *));
	if (mp->obj_tab == NULL) {
		ret = -ENOMEM;
		goto fail;
	}

	/* The ring holds exactly its count of objects: the power of two >= n. */
	ring_count = tern_align32pow2(n);
	size_t ring_len = tern_ring_memsize(ring_count);
	if (ring_len == 0) {
		ret = -EINVAL;
		goto fail;
	}
	/* Plain memory again: the ring holds pointers, the device never reads it. */
	if (posix_memalign(&mp->ring_mem, TERN_RING_GUARD_SIZE, ring_len) != 0) {
		ret = -ENOMEM;
		goto fail;
	}
	mp->ring = mp->ring_mem;
	ret = tern_ring_init(mp->ring, name, ring_count, 0);
	if (ret < 0)
		goto fail;

	ret = alloc_objects(mp, tern_eal_iova_mode() == TERN_IOVA_PA);
	if (ret < 0)
		goto fail;

	for (i = 0; i < n; i++) {
		if (obj_init != NULL)
			obj_init(mp, opaque, mp->obj_tab[i], i);
	}
	if (tern_ring_mp_enqueue_bulk(mp->ring, mp->obj_tab, n, NULL) != n) {
		ret = -ENOSPC; /* cannot happen: the ring holds ring_count >= n */
		goto fail;
	}
	TERN_LOG(DEBUG, MP_LOG, "%s: %u objects of %u bytes, cache %u, %zu bytes on socket %d",
	         name, n, elt_size, cache_size, mp->mem_len, socket);
	return mp;

fail:
	/* One line per failure: a lower layer (tern_dma_zalloc) may have said it already. */
	if (tern_error_count() == errors)
		tern_error(ret, MP_LOG, "%s: cannot create %u objects of %u bytes: %s", name, n,
		           elt_size, strerror(-ret));
	tern_dma_free(mp->mem);
	free(mp->ring_mem);
	free(mp->obj_tab);
	free(mp);
	tern_errno = -ret;
	return NULL;
}

void tern_mempool_free(struct tern_mempool *mp)
{
	unsigned in_use;

	if (mp == NULL)
		return;
	in_use = tern_mempool_in_use_count(mp);
	if (in_use != 0)
		TERN_LOG(WARNING, MP_LOG, "%s: freed with %u of %u objects still in use", mp->name,
		         in_use, mp->size);
	tern_dma_free(mp->mem);
	free(mp->ring_mem);
	free(mp->obj_tab);
	free(mp);
}

unsigned tern_mempool_avail_count(const struct tern_mempool *mp)
{
	unsigned avail = tern_ring_count(mp->ring);
	unsigned i;

	for (i = 0; mp->cache_size > 0 && i < TERN_MAX_LCORE; i++)
		avail += atomic_load_explicit(&mp->local_cache[i].len, memory_order_relaxed);
	/* While lcores work the sum is a snapshot and may overshoot for a moment. */
	return avail > mp->size ? mp->size : avail;
}

unsigned tern_mempool_in_use_count(const struct tern_mempool *mp)
{
	return mp->size - tern_mempool_avail_count(mp);
}

void tern_mempool_obj_iter(struct tern_mempool *mp, tern_mempool_obj_cb fn, void *arg)
{
	unsigned i;

	if (mp == NULL || fn == NULL)
		return;
	for (i = 0; i < mp->size; i++)
		fn(mp, arg, mp->obj_tab[i], i);
}

/* Tries of an MP/MC ring operation that lost a race before giving up. */
#define RING_RETRIES 64

int tern_mempool_ring_get_(struct tern_mempool *mp, void **objs, unsigned n)
{
	unsigned i;

	for (i = 0; i < RING_RETRIES; i++) {
		if (tern_ring_mc_dequeue_bulk(mp->ring, objs, n, NULL) == n)
			return 0;
		/* Truly short (as far as a snapshot can tell): no point in spinning. */
		if (tern_ring_count(mp->ring) < n)
			return -ENOBUFS;
		tern_pause();
	}
	return -ENOBUFS;
}

int tern_mempool_get_slow_(struct tern_mempool *mp, struct tern_mempool_cache *c, void **objs,
                           unsigned n)
{
	uint32_t len, from_cache, i;

	if (tern_mempool_ring_get_(mp, objs, n) == 0)
		return 0;
	if (c == NULL)
		return -ENOBUFS;
	len = atomic_load_explicit(&c->len, memory_order_relaxed);
	from_cache = TERN_MIN(len, n);
	if (from_cache < n && tern_mempool_ring_get_(mp, &objs[from_cache], n - from_cache) < 0)
		return -ENOBUFS;
	len -= from_cache;
	for (i = 0; i < from_cache; i++)
		objs[i] = c->objs[len + i];
	atomic_store_explicit(&c->len, len, memory_order_relaxed);
	return 0;
}

void tern_mempool_put_slow_(struct tern_mempool *mp, void *const *objs, unsigned n)
{
	unsigned i;

	for (i = 0; i < RING_RETRIES * 16; i++) {
		tern_pause();
		if (tern_ring_mp_enqueue_bulk(mp->ring, objs, n, NULL) == n)
			return;
	}
	TERN_LOG(ERR, MP_LOG, "%s: no room in the ring for %u objects: freed twice? (dropped)",
	         mp->name, n);
}

int tern_mempool_cache_flush(struct tern_mempool *mp, unsigned lcore_id)
{
	struct tern_mempool_cache *c;
	uint32_t len;

	if (mp == NULL || lcore_id >= TERN_MAX_LCORE)
		return -EINVAL;
	if (mp->cache_size == 0)
		return 0;
	c = &mp->local_cache[lcore_id];
	len = atomic_load_explicit(&c->len, memory_order_relaxed);
	if (len > 0 && tern_ring_mp_enqueue_bulk(mp->ring, c->objs, len, NULL) != len) {
		TERN_LOG(ERR, MP_LOG, "%s: cache of lcore %u does not fit in the ring", mp->name,
		         lcore_id);
		return -ENOSPC;
	}
	atomic_store_explicit(&c->len, 0, memory_order_relaxed);
	return 0;
}

void tern_mempool_dump(const struct tern_mempool *mp)
{
	unsigned i;

	if (mp == NULL)
		return;
	TERN_LOG(INFO, MP_LOG, "%s: size %u elt %u (stride %u) cache %u avail %u in ring %u",
	         mp->name, mp->size, mp->elt_size, mp->total_elt_size, mp->cache_size,
	         tern_mempool_avail_count(mp), tern_ring_count(mp->ring));
	for (i = 0; mp->cache_size > 0 && i < TERN_MAX_LCORE; i++) {
		uint32_t len = atomic_load_explicit(&mp->local_cache[i].len, memory_order_relaxed);

		if (len > 0)
			TERN_LOG(INFO, MP_LOG, "%s: lcore %u cache holds %u", mp->name, i, len);
	}
}
