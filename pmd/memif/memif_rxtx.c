/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * memif_rxtx.c - the memif bursts (copy mode).
 *
 * Each queue keeps one index on its ring, q->pos:
 *   client TX (C2S ring)  pos is head: slots [tail, pos) are the server's
 *   client RX (S2C ring)  pos is the next slot to read; head = pos + size
 *                         (every buffer not being read is offered)
 *   server RX (C2S ring)  pos is tail: slots [pos, head) hold frames
 *   server TX (S2C ring)  pos is tail: slots [pos, head) are empty buffers
 *
 * The peer is not trusted. The index it writes is loaded once and refused
 * (the queue is flagged bad, the control path disconnects) if it claims more
 * than a ring's worth of slots. Each descriptor is read once into a local
 * copy; a client uses its own buffer offsets, never the ones in the shared
 * ring; a server checks region, offset and length against the regions it
 * mapped before touching a byte. A bad descriptor costs the frame, nothing
 * else. The frame contents may change under us while we copy: that is the
 * peer's loss, not a memory-safety issue.
 */
#include <string.h>
#include <unistd.h>

#include "memif.h"
#include "tern_pkt.h"

/*
 * Enter a burst. The seq_cst store of busy and the seq_cst load of ring
 * pair with the control path's seq_cst store of ring = NULL and load of
 * busy (memif_ctl.c queue_quiesce): in the single total order one of the
 * two sides sees the other's store, so either this burst sees NULL, or the
 * control path sees busy and waits for us to leave before unmapping.
 */
static inline struct memif_ring *burst_enter(struct memif_queue *q)
{
	struct memif_ring *r;

	atomic_store_explicit(&q->busy, 1, memory_order_seq_cst);
	r = atomic_load_explicit(&q->ring, memory_order_seq_cst);
	if (r == NULL)
		atomic_store_explicit(&q->busy, 0, memory_order_release);
	return r;
}

/* Release: every access to the shared memory above happens before the control path may unmap. */
static inline void burst_leave(struct memif_queue *q)
{
	atomic_store_explicit(&q->busy, 0, memory_order_release);
}

static inline void flag_bad(struct memif_queue *q)
{
	atomic_store_explicit(&q->bad, 1, memory_order_relaxed);
}

/* One descriptor, each field read once (volatile: the peer may write it any time). */
static inline struct memif_desc desc_read(const struct memif_ring *r, uint16_t slot)
{
	const volatile struct memif_desc *vd = &r->desc[slot];
	struct memif_desc d;

	d.flags = vd->flags;
	d.region = vd->region;
	d.length = vd->length;
	d.offset = vd->offset;
	d.metadata = 0;
	return d;
}

static inline void desc_write(struct memif_ring *r, uint16_t slot, uint16_t flags, uint16_t region,
                              uint32_t offset, uint32_t length)
{
	volatile struct memif_desc *vd = &r->desc[slot];

	vd->flags = flags;
	vd->region = region;
	vd->offset = offset;
	vd->length = length;
}

/* [off, off + len) of region reg, or NULL if any of it lies outside the mapped regions. */
static inline char *region_ptr(const struct memif_regions *regs, uint16_t reg, uint32_t off,
                               uint32_t len)
{
	if (tern_unlikely(reg >= regs->n))
		return NULL;
	if (tern_unlikely((uint64_t)off + len > regs->r[reg].size))
		return NULL;
	return (char *)regs->r[reg].addr + off;
}

/* A client's own buffer for a slot of this queue's ring. */
static inline char *client_buf(const struct memif_queue *q, uint16_t slot)
{
	return (char *)q->regs->r[0].addr + q->buf0 + (uint64_t)slot * q->bsize;
}

static inline uint32_t client_off(const struct memif_queue *q, uint16_t slot)
{
	return (uint32_t)(q->buf0 + (uint64_t)slot * q->bsize);
}

static inline void kick(const struct memif_ring *r, const struct memif_queue *q)
{
	uint64_t one = 1;

	/* The receiver masks interrupts when it polls (DPDK, tern, VPP in polling mode). */
	if ((*(const volatile uint16_t *)&r->flags & MEMIF_RING_FLAG_MASK_INT) == 0 &&
	    q->kick_fd >= 0)
		(void)!write(q->kick_fd, &one, sizeof(one));
}

uint16_t tern_memif_rx_burst(void *queue, struct tern_pkt **pkts, uint16_t n)
{
	struct memif_queue *q = queue;
	struct memif_ring *r = burst_enter(q);
	uint16_t avail, pos, end, nb = 0, got;
	uint64_t bytes = 0, errors = 0;

	if (r == NULL)
		return 0;
	/* Acquire: the descriptors and buffers the peer wrote before moving its index. */
	if (q->client)
		avail = (uint16_t)(atomic_load_explicit(&r->tail, memory_order_acquire) - q->pos);
	else
		avail = (uint16_t)(atomic_load_explicit(&r->head, memory_order_acquire) - q->pos);
	if (tern_unlikely(avail > q->size)) {
		flag_bad(q);
		burst_leave(q);
		return 0;
	}
	if (avail == 0) {
		burst_leave(q);
		return 0;
	}
	got = TERN_MIN(n, avail);
	if (tern_unlikely(tern_pkt_alloc_bulk(q->mp, pkts, got) < 0)) {
		tern_qstat_add(&q->stats.nombuf, got);
		burst_leave(q); /* the frames wait in the ring */
		return 0;
	}
	pos = q->pos;
	end = (uint16_t)(pos + avail);
	while (nb < got && pos != end) {
		struct tern_pkt *p = pkts[nb];
		char *dst = tern_pkt_mtod(p, char *);
		uint32_t len = 0;
		bool ok = true;

		/* One frame: a chain of slots, never past what the peer published. */
		for (;;) {
			uint16_t slot = pos & q->mask;
			struct memif_desc d = desc_read(r, slot);
			const char *src;

			pos++;
			if (q->client)
				src = d.length <= q->bsize ? client_buf(q, slot) : NULL;
			else
				src = region_ptr(q->regs, d.region, d.offset, d.length);
			if (src == NULL || d.length > q->room - len)
				ok = false;
			if (ok) {
				memcpy(dst + len, src, d.length);
				len += d.length;
			}
			if ((d.flags & MEMIF_DESC_FLAG_NEXT) == 0)
				break;
			if (pos == end) { /* a chain cut short: the rest was never published */
				ok = false;
				break;
			}
		}
		if (!ok) {
			errors++;
			continue; /* pkts[nb] is reused for the next frame */
		}
		p->data_len = (uint16_t)len;
		p->pkt_len = len;
		p->port = q->port_id;
		bytes += len;
		nb++;
	}
	if (q->client) {
		/* Give every read slot back to the server, with our own offsets. */
		for (uint16_t s = q->pos; s != pos; s++)
			desc_write(r, s & q->mask, 0, 0, client_off(q, s & q->mask), q->bsize);
		/* Release: the descriptors above before the server sees the new head. */
		atomic_store_explicit(&r->head, (uint16_t)(pos + q->size), memory_order_release);
	} else {
		/* Release: our reads of the slots are done before the client reuses them. */
		atomic_store_explicit(&r->tail, pos, memory_order_release);
	}
	q->pos = pos;
	burst_leave(q);
	if (nb < got)
		tern_pkt_free_bulk(pkts + nb, got - nb);
	tern_qstat_add(&q->stats.packets, nb);
	tern_qstat_add(&q->stats.bytes, bytes);
	if (errors != 0)
		tern_qstat_add(&q->stats.errors, errors);
	return nb;
}

uint16_t tern_memif_tx_burst(void *queue, struct tern_pkt **pkts, uint16_t n)
{
	struct memif_queue *q = queue;
	struct memif_ring *r = burst_enter(q);
	uint16_t room, pos, sent = 0;
	uint64_t bytes = 0;

	if (r == NULL)
		return 0;
	if (q->client) {
		uint16_t used =
		    (uint16_t)(q->pos - atomic_load_explicit(&r->tail, memory_order_acquire));

		room = (uint16_t)(q->size - used);
		if (tern_unlikely(used > q->size))
			goto bad;
	} else {
		/* Acquire: the client's descriptors before we read them. */
		room = (uint16_t)(atomic_load_explicit(&r->head, memory_order_acquire) - q->pos);
		if (tern_unlikely(room > q->size))
			goto bad;
	}
	pos = q->pos;
	for (; sent < n; sent++) {
		const struct tern_pkt *seg = pkts[sent];
		const uint32_t frame_len = seg->pkt_len;
		uint16_t start = pos;
		uint32_t seg_off = 0;

		do {
			uint16_t slot = pos & q->mask;
			uint32_t cap, w = 0;
			char *dst;

			if ((uint16_t)(pos - q->pos) == room) {
				pos = start; /* the frame does not fit: it stays with the caller */
				goto out;
			}
			if (q->client) {
				dst = client_buf(q, slot);
				cap = q->bsize;
			} else {
				struct memif_desc d = desc_read(r, slot);

				dst = region_ptr(q->regs, d.region, d.offset, d.length);
				cap = d.length;
				if (dst == NULL || cap == 0) {
					pos = start;
					flag_bad(q);
					goto out;
				}
			}
			while (seg != NULL && w < cap) {
				uint32_t chunk =
				    TERN_MIN((uint32_t)seg->data_len - seg_off, cap - w);

				memcpy(dst + w, tern_pkt_mtod_offset(seg, const char *, seg_off),
				       chunk);
				w += chunk;
				seg_off += chunk;
				if (seg_off == seg->data_len) {
					seg = seg->next;
					seg_off = 0;
				}
			}
			if (q->client)
				desc_write(r, slot, seg != NULL ? MEMIF_DESC_FLAG_NEXT : 0, 0,
				           client_off(q, slot), w);
			else {
				volatile struct memif_desc *vd = &r->desc[slot];

				vd->length = w;
				vd->flags = seg != NULL ? MEMIF_DESC_FLAG_NEXT : 0;
			}
			pos++;
		} while (seg != NULL);
		bytes += frame_len;
	}
out:
	if (pos != q->pos) {
		/* Release: descriptors and buffers before the peer sees the index move. */
		if (q->client)
			atomic_store_explicit(&r->head, pos, memory_order_release);
		else
			atomic_store_explicit(&r->tail, pos, memory_order_release);
		q->pos = pos;
		kick(r, q);
	}
	burst_leave(q);
	if (sent != 0)
		tern_pkt_free_bulk(pkts, sent);
	tern_qstat_add(&q->stats.packets, sent);
	tern_qstat_add(&q->stats.bytes, bytes);
	if (sent < n)
		tern_qstat_add(&q->stats.errors, (uint64_t)(n - sent));
	return sent;
bad:
	flag_bad(q);
	burst_leave(q);
	return 0;
}
