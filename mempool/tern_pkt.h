/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tern_pkt.h - packet buffers: a one-cache-line header in front of each
 * buffer of a mempool, and the operations on packets and chains of them.
 *
 * Element layout in the pool: [struct tern_pkt][priv area][headroom][data room].
 * A packet's data runs from buf_addr + data_off for data_len bytes; a packet
 * longer than one buffer is a chain linked by `next`, and the first segment
 * carries nb_segs and pkt_len for the whole chain.
 *
 * Free buffers rest in their pool with refcnt 1, nb_segs 1 and next NULL, so
 * that alloc only has to reset the lengths and the offset.
 */
#ifndef TERN_PKT_H
#define TERN_PKT_H

#include <assert.h>
#include <errno.h>
#include <stdint.h>

#include "tern_atomic.h"
#include "tern_common.h"
#include "tern_mempool.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TERN_PKT_HEADROOM         128
#define TERN_PKT_DEFAULT_DATAROOM 2048
#define TERN_PKT_DEFAULT_BUF_SIZE (TERN_PKT_DEFAULT_DATAROOM + TERN_PKT_HEADROOM)
#define TERN_PKT_PORT_INVALID     UINT16_MAX
#define TERN_PKT_MAX_SEGS         UINT16_MAX
#define TERN_PKT_PRIV_ALIGN       8 /* priv_size must be a multiple of this */

/*
 * ol_flags bits a driver sets on the first segment of a received packet
 * (a fresh or reset packet has none). As DPDK's RTE_MBUF_F_RX_RSS_HASH:
 * test the flag before using rss_hash, since a NIC computes no hash for
 * some frames (not IP, or RSS off), and software ports never do.
 */
#define TERN_PKT_F_RX_RSS_HASH (1ull << 0) /* rss_hash holds the NIC's hash */

struct tern_pkt {
	void *buf_addr;            /* start of the buffer (headroom included) */
	tern_iova_t buf_iova;      /* IOVA of buf_addr */
	uint16_t data_off;         /* data starts at buf_addr + data_off */
	_Atomic(uint16_t) refcnt;  /* owners; 1 while free in the pool */
	uint16_t nb_segs;          /* segments in the chain (first segment only) */
	uint16_t port;             /* input port, TERN_PKT_PORT_INVALID if none */
	uint32_t pkt_len;          /* bytes in the whole chain (first segment only) */
	uint16_t data_len;         /* bytes in this segment */
	uint16_t buf_len;          /* bytes of the buffer, headroom included */
	uint64_t ol_flags;         /* TERN_PKT_F_*, set by drivers on RX */
	uint32_t rss_hash;         /* the NIC's RSS hash, if TERN_PKT_F_RX_RSS_HASH */
	uint16_t priv_size;        /* bytes of the private area after this header */
	uint16_t vlan_tci;         /* reserved: no driver strips VLAN tags yet (0) */
	struct tern_pkt *next;     /* next segment, NULL on the last */
	struct tern_mempool *pool; /* where this buffer goes back to */
};

static_assert(sizeof(struct tern_pkt) == TERN_CACHE_LINE_SIZE,
              "struct tern_pkt must be exactly one cache line");

/*
 * A pool of n packet buffers: each has priv_size bytes (a multiple of 8) of
 * application area after the header, then a buffer of buf_size bytes
 * (headroom included; TERN_PKT_DEFAULT_BUF_SIZE is the usual choice). The
 * headroom is TERN_PKT_HEADROOM, or all of buf_size if smaller. Returns NULL
 * with tern_errno set (see tern_mempool_create).
 */
struct tern_mempool *tern_pktpool_create(const char *name, unsigned n, unsigned cache_size,
                                         uint16_t priv_size, uint16_t buf_size, int socket);

/*
 * A packet pool's data room: the bytes of each buffer after the default
 * headroom, what an RX queue may fill (one field read; 0 for a pool not made
 * by tern_pktpool_create).
 */
static inline uint16_t tern_pktpool_data_room(const struct tern_mempool *mp)
{
	uint32_t len = mp->pkt_buf_len;

	return (uint16_t)(len - TERN_MIN((uint32_t)TERN_PKT_HEADROOM, len));
}

/* Start address of the data, cast to `type`; with a byte offset into it. */
#define tern_pkt_mtod_offset(pkt, type, off)                                                       \
	((type)((char *)(pkt)->buf_addr + (pkt)->data_off + (off)))
#define tern_pkt_mtod(pkt, type) tern_pkt_mtod_offset(pkt, type, 0)

static inline tern_iova_t tern_pkt_data_iova(const struct tern_pkt *pkt)
{
	return pkt->buf_iova + pkt->data_off;
}

/* The application area after the header. */
static inline void *tern_pkt_priv(struct tern_pkt *pkt)
{
	return pkt + 1;
}

static inline uint16_t tern_pkt_refcnt_read(const struct tern_pkt *pkt)
{
	/* Acquire: pairs with the release in a decrement by another owner. */
	return atomic_load_explicit(&pkt->refcnt, memory_order_acquire);
}

/*
 * Add v (may be negative) to the owner count of every segment of the chain:
 * each owner of the packet owns all of it, and tern_pkt_free drops one
 * reference per segment. Use tern_pkt_free, not -1, to drop the last one.
 */
static inline void tern_pkt_refcnt_update(struct tern_pkt *pkt, int16_t v)
{
	for (; pkt != NULL; pkt = pkt->next)
		/*
		 * acq_rel: the release publishes this owner's writes to the
		 * one that frees last; the acquire orders what follows.
		 */
		atomic_fetch_add_explicit(&pkt->refcnt, (uint16_t)v, memory_order_acq_rel);
}

/* Fields a fresh packet must have; the rest are kept while free (see top). */
static inline void tern_pkt_reset_fields(struct tern_pkt *pkt)
{
	pkt->data_off = TERN_MIN((uint16_t)TERN_PKT_HEADROOM, pkt->buf_len);
	pkt->port = TERN_PKT_PORT_INVALID;
	pkt->pkt_len = 0;
	pkt->data_len = 0;
	pkt->ol_flags = 0;
	pkt->rss_hash = 0;
	pkt->vlan_tci = 0;
}

/* Make a packet empty: one segment, no data, default headroom. Not refcnt. */
static inline void tern_pkt_reset(struct tern_pkt *pkt)
{
	tern_pkt_reset_fields(pkt);
	pkt->nb_segs = 1;
	pkt->next = NULL;
}

static TERN_ALWAYS_INLINE struct tern_pkt *tern_pkt_alloc(struct tern_mempool *mp)
{
	void *obj;

	if (tern_unlikely(tern_mempool_get(mp, &obj) < 0))
		return NULL;
	tern_pkt_reset_fields((struct tern_pkt *)obj);
	return (struct tern_pkt *)obj;
}

/* n packets or none: 0 or -ENOBUFS. */
static TERN_ALWAYS_INLINE int tern_pkt_alloc_bulk(struct tern_mempool *mp, struct tern_pkt **pkts,
                                                  unsigned n)
{
	unsigned i;

	if (tern_unlikely(tern_mempool_get_bulk(mp, (void **)pkts, n) < 0))
		return -ENOBUFS;
	for (i = 0; i < n; i++)
		tern_pkt_reset_fields(pkts[i]);
	return 0;
}

/*
 * Drop one reference to this segment. Returns true if the caller was the
 * last owner and must give the segment back to its pool.
 */
static TERN_ALWAYS_INLINE bool tern_pkt_prefree_seg(struct tern_pkt *seg)
{
	/*
	 * refcnt == 1 means the caller is the only owner: nobody else holds a
	 * pointer through which to raise or drop the count, so no atomic RMW
	 * is needed and the count stays 1 for the buffer's next life. The
	 * acquire pairs with the release of the owner that dropped it to 1, so
	 * its last accesses to the data come before the buffer is reused.
	 */
	if (tern_likely(atomic_load_explicit(&seg->refcnt, memory_order_acquire) == 1))
		return true;
	/* Shared: release our accesses; the last owner acquires everyone's. */
	if (atomic_fetch_sub_explicit(&seg->refcnt, 1, memory_order_acq_rel) == 1) {
		/* We dropped it to 0: we own it alone again; free buffers keep 1. */
		atomic_store_explicit(&seg->refcnt, 1, memory_order_relaxed);
		return true;
	}
	return false;
}

/* Free a packet and its whole chain, segment by segment (refcnt aware). NULL ok. */
static TERN_ALWAYS_INLINE void tern_pkt_free(struct tern_pkt *pkt)
{
	while (pkt != NULL) {
		struct tern_pkt *next = pkt->next;

		if (tern_pkt_prefree_seg(pkt)) {
			if (next != NULL || pkt->nb_segs != 1) {
				pkt->next = NULL;
				pkt->nb_segs = 1;
			}
			tern_mempool_put(pkt->pool, pkt);
		}
		pkt = next;
	}
}

/* Free n packets (and their chains), one put_bulk per run of the same pool. */
void tern_pkt_free_bulk_slow(struct tern_pkt **pkts, unsigned n);

static TERN_ALWAYS_INLINE void tern_pkt_free_bulk(struct tern_pkt **pkts, unsigned n)
{
	struct tern_mempool *mp;
	unsigned i;

	if (n == 0)
		return;
	/*
	 * The common case in a forwarding loop: single-segment packets of one
	 * pool owned only by us; they go back in one put_bulk as they are.
	 */
	mp = pkts[0]->pool;
	for (i = 0; i < n; i++) {
		const struct tern_pkt *p = pkts[i];

		if (p->pool != mp || p->next != NULL ||
		    atomic_load_explicit(&p->refcnt, memory_order_acquire) != 1)
			break;
	}
	if (tern_likely(i == n)) {
		tern_mempool_put_bulk(mp, (void *const *)pkts, n);
		return;
	}
	tern_pkt_free_bulk_slow(pkts, n);
}

/* Bytes free before the data of this segment / after the data of this segment. */
static inline uint16_t tern_pkt_headroom(const struct tern_pkt *pkt)
{
	return pkt->data_off;
}

static inline uint16_t tern_pkt_tailroom(const struct tern_pkt *pkt)
{
	return (uint16_t)(pkt->buf_len - pkt->data_off - pkt->data_len);
}

static inline struct tern_pkt *tern_pkt_lastseg(struct tern_pkt *pkt)
{
	while (pkt->next != NULL)
		pkt = pkt->next;
	return pkt;
}

/* Grow the data at the front by len bytes; returns the new start or NULL. */
static inline char *tern_pkt_prepend(struct tern_pkt *pkt, uint16_t len)
{
	if (tern_unlikely(len > pkt->data_off))
		return NULL;
	pkt->data_off -= len;
	pkt->data_len += len;
	pkt->pkt_len += len;
	return tern_pkt_mtod(pkt, char *);
}

/* Grow the data at the end of the last segment; returns the new bytes or NULL. */
static inline char *tern_pkt_append(struct tern_pkt *pkt, uint16_t len)
{
	struct tern_pkt *last = tern_pkt_lastseg(pkt);
	char *tail;

	if (tern_unlikely(len > tern_pkt_tailroom(last)))
		return NULL;
	tail = tern_pkt_mtod_offset(last, char *, last->data_len);
	last->data_len += len;
	pkt->pkt_len += len;
	return tail;
}

/* Strip len bytes from the front of the first segment; returns the new start or NULL. */
static inline char *tern_pkt_adj(struct tern_pkt *pkt, uint16_t len)
{
	if (tern_unlikely(len > pkt->data_len))
		return NULL;
	pkt->data_off += len;
	pkt->data_len -= len;
	pkt->pkt_len -= len;
	return tern_pkt_mtod(pkt, char *);
}

/* Strip len bytes from the end of the last segment: 0 or -EINVAL. */
static inline int tern_pkt_trim(struct tern_pkt *pkt, uint16_t len)
{
	struct tern_pkt *last = tern_pkt_lastseg(pkt);

	if (tern_unlikely(len > last->data_len))
		return -EINVAL;
	last->data_len -= len;
	pkt->pkt_len -= len;
	return 0;
}

/*
 * Append the chain `tail` to the chain `head`; head then owns it. Returns 0,
 * -EINVAL for NULL or head == tail, or -EOVERFLOW when the segment count or
 * the length would overflow (then nothing is changed).
 */
int tern_pkt_chain(struct tern_pkt *head, struct tern_pkt *tail);

/*
 * Copy len bytes of packet data starting at byte off of the chain to dst.
 * Returns 0, or -EINVAL if [off, off + len) is not inside the packet.
 */
int tern_pkt_copy_data(const struct tern_pkt *pkt, uint32_t off, uint32_t len, void *dst);

#ifdef __cplusplus
}
#endif

#endif /* TERN_PKT_H */
