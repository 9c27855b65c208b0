/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * memif_rxtx.c - the memif bursts: copy mode (both roles), then zero-copy
 * (a client with zero-copy=yes, at the bottom).
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
 *
 * Zero-copy client, with q->done as its second index:
 *   RX (S2C ring)  [pos, tail) frames, [tail, done) offered; head = done
 *   TX (C2S ring)  [done, tail) read by the server, to free; [tail, pos) lent
 * Indices are bounded the same way, against what we offered or lent. The
 * server writes into pool memory we share with it (packet headers live in
 * the same pages as the data): zero-copy trusts the server with the pools,
 * as DPDK's and VPP's zero-copy do; see doc/memif.md.
 */
#include <errno.h>
#include <stdlib.h>
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

/*
 * Copy one frame into the slots from *pos on, never reaching `end`; its last
 * slot's descriptor ends the chain. 0 and *pos moved past it; -ENOSPC if it
 * does not fit (nothing published); -EFAULT if the client offered a
 * descriptor outside its regions (server).
 */
static int tx_copy_frame(struct memif_queue *q, struct memif_ring *r, const struct tern_pkt *seg,
                         uint16_t *posp, uint16_t end)
{
	uint16_t pos = *posp;
	uint32_t seg_off = 0;

	do {
		uint16_t slot = pos & q->mask;
		uint32_t cap, w = 0;
		char *dst;

		if (pos == end)
			return -ENOSPC; /* the frame does not fit: it stays with the caller */
		if (q->client) {
			dst = client_buf(q, slot);
			cap = q->bsize;
		} else {
			struct memif_desc d = desc_read(r, slot);

			dst = region_ptr(q->regs, d.region, d.offset, d.length);
			cap = d.length;
			if (dst == NULL || cap == 0)
				return -EFAULT;
		}
		while (seg != NULL && w < cap) {
			uint32_t chunk = TERN_MIN((uint32_t)seg->data_len - seg_off, cap - w);

			memcpy(dst + w, tern_pkt_mtod_offset(seg, const char *, seg_off), chunk);
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
	*posp = pos;
	return 0;
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
		int ret = tx_copy_frame(q, r, pkts[sent], &pos, (uint16_t)(q->pos + room));

		if (ret < 0) {
			if (ret == -EFAULT)
				flag_bad(q);
			break;
		}
		bytes += pkts[sent]->pkt_len;
	}
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

/* ---- zero-copy client ---------------------------------------------------- */

/* Buffers offered to the server in one go: fewer, larger head moves. */
#define ZC_REFILL_MIN 32
#define ZC_CHUNK      64

void tern_memif_zc_fill(struct memif_queue *q, struct memif_ring *r)
{
	const struct memif_region *reg = &q->regs->r[q->zc_region];
	uint16_t head = q->done;
	uint16_t free_slots = (uint16_t)(q->size - (uint16_t)(head - q->pos));

	if (free_slots == 0 || free_slots < TERN_MIN((uint16_t)ZC_REFILL_MIN, q->size / 4))
		return;
	while (free_slots != 0) {
		struct tern_pkt *fresh[ZC_CHUNK];
		uint16_t k = TERN_MIN(free_slots, (uint16_t)ZC_CHUNK);

		/* A bulk get is all or nothing: ask for less while the pool runs low. */
		while (k != 0 && tern_unlikely(tern_pkt_alloc_bulk(q->mp, fresh, k) < 0))
			k = k > 8 ? (uint16_t)(k / 2) : 0;
		if (tern_unlikely(k == 0)) {
			/* Pool empty: the server gets fewer buffers until the application frees
			 * some. */
			tern_qstat_add(&q->stats.nombuf, free_slots);
			break;
		}
		for (uint16_t i = 0; i < k; i++, head++) {
			uint16_t slot = head & q->mask;
			char *data = tern_pkt_mtod(fresh[i], char *);

			q->bufs[slot] = fresh[i];
			desc_write(r, slot, 0, q->zc_region, (uint32_t)(data - (char *)reg->addr),
			           q->room);
		}
		free_slots = (uint16_t)(free_slots - k);
	}
	if (head != q->done) {
		/* Release: the descriptors above before the server sees them offered. */
		atomic_store_explicit(&r->head, head, memory_order_release);
		q->done = head;
	}
}

/*
 * RX on an S2C ring: slots [pos, tail) hold frames the server wrote into
 * the buffers we offered, [tail, done) are still offered. Only the length
 * and the chain flag of a descriptor are read: the buffer is the one we
 * put in that slot (q->bufs), whatever region and offset the server left.
 */
uint16_t tern_memif_rx_burst_zc(void *queue, struct tern_pkt **pkts, uint16_t n)
{
	struct memif_queue *q = queue;
	struct memif_ring *r = burst_enter(q);
	uint16_t avail, pos, end, nb = 0;
	uint64_t bytes = 0, errors = 0;

	if (r == NULL)
		return 0;
	/* Acquire: the server's descriptors and frame bytes before its tail. */
	end = atomic_load_explicit(&r->tail, memory_order_acquire);
	avail = (uint16_t)(end - q->pos);
	if (tern_unlikely(avail > (uint16_t)(q->done - q->pos))) {
		flag_bad(q); /* more frames than buffers we offered */
		burst_leave(q);
		return 0;
	}
	pos = q->pos;
	while (nb < n && pos != end) {
		struct tern_pkt *head = NULL, *last = NULL;
		uint32_t len = 0;
		uint16_t segs = 0;
		bool ok = true;

		/* One frame: a chain of slots, never past what the server published. */
		for (;;) {
			uint16_t slot = pos & q->mask;
			struct memif_desc d = desc_read(r, slot);
			struct tern_pkt *seg = q->bufs[slot];

			pos++;
			if (d.length > q->room)
				ok = false;
			seg->data_len = ok ? (uint16_t)d.length : 0;
			if (last == NULL)
				head = seg;
			else
				last->next = seg;
			last = seg;
			segs++;
			len += seg->data_len;
			if ((d.flags & MEMIF_DESC_FLAG_NEXT) == 0)
				break;
			if (pos == end) { /* a chain cut short: the rest was never published */
				ok = false;
				break;
			}
		}
		if (!ok) {
			errors++;
			tern_pkt_free(head);
			continue;
		}
		head->nb_segs = segs;
		head->pkt_len = len;
		head->port = q->port_id;
		bytes += len;
		pkts[nb++] = head;
	}
	q->pos = pos;
	tern_memif_zc_fill(q, r);
	burst_leave(q);
	tern_qstat_add(&q->stats.packets, nb);
	tern_qstat_add(&q->stats.bytes, bytes);
	if (errors != 0)
		tern_qstat_add(&q->stats.errors, errors);
	return nb;
}

/* The region holding [p, p + len), and p's offset in it; 0 if none (region 0 is not a pool). */
static inline uint16_t zc_region_of(const struct memif_regions *regs, const char *p, uint32_t len,
                                    uint32_t *off)
{
	for (uint16_t k = 1; k < regs->n; k++) {
		uintptr_t o = (uintptr_t)p - (uintptr_t)regs->r[k].addr;

		if (o < regs->r[k].size && len <= regs->r[k].size - o) {
			*off = (uint32_t)o;
			return k;
		}
	}
	return 0;
}

/* Whether every segment of a packet can be lent: in a shared pool, and ours alone if chained. */
static inline bool zc_lendable(const struct memif_regions *regs, const struct tern_pkt *p)
{
	uint32_t off;

	if (p->next == NULL)
		return zc_region_of(regs, tern_pkt_mtod(p, const char *), p->data_len, &off) != 0;
	for (; p != NULL; p = p->next)
		if (zc_region_of(regs, tern_pkt_mtod(p, const char *), p->data_len, &off) == 0 ||
		    tern_pkt_refcnt_read(p) != 1)
			return false;
	return true;
}

/*
 * TX on a C2S ring: slots [done, tail) the server has read (their lent
 * packets go back to the pool), [tail, pos) it has yet to read. A packet
 * whose buffers are all in a shared pool is lent, one slot per segment;
 * any other (another pool, a shared chain) is copied into the slot's own
 * buffer in region 0, as in copy mode, and freed now.
 */
uint16_t tern_memif_tx_burst_zc(void *queue, struct tern_pkt **pkts, uint16_t n)
{
	struct memif_queue *q = queue;
	struct memif_ring *r = burst_enter(q);
	struct tern_pkt *copied[64];
	uint16_t tail, pos, end, sent = 0, nc = 0;
	uint64_t bytes = 0;

	if (r == NULL)
		return 0;
	/* Acquire: the server's reads of the lent buffers happen before we reuse them. */
	tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	if (tern_unlikely((uint16_t)(tail - q->done) > (uint16_t)(q->pos - q->done))) {
		flag_bad(q); /* the server claims slots we never gave it */
		burst_leave(q);
		return 0;
	}
	while (q->done != tail) {
		struct tern_pkt *back[ZC_CHUNK];
		uint16_t k = 0;

		for (; k < ZC_CHUNK && q->done != tail; q->done++) {
			struct tern_pkt *p = q->bufs[q->done & q->mask];

			if (p != NULL)
				back[k++] = p;
		}
		tern_pkt_free_bulk(back, k);
	}
	pos = q->pos;
	end = (uint16_t)(tail + q->size);
	for (; sent < n; sent++) {
		struct tern_pkt *p = pkts[sent];
		uint32_t frame_len = p->pkt_len;

		if (!zc_lendable(q->regs, p)) {
			uint16_t start = pos;

			if (nc == TERN_DIM(copied) || tx_copy_frame(q, r, p, &pos, end) < 0)
				break;
			for (uint16_t s = start; s != pos; s++)
				q->bufs[s & q->mask] = NULL;
			copied[nc++] = p;
		} else {
			if ((uint16_t)(end - pos) < p->nb_segs)
				break;
			while (p != NULL) {
				struct tern_pkt *next = p->next;
				uint16_t slot = pos & q->mask;
				uint32_t off = 0;
				uint16_t k = zc_region_of(q->regs, tern_pkt_mtod(p, const char *),
				                          p->data_len, &off);

				desc_write(r, slot, next != NULL ? MEMIF_DESC_FLAG_NEXT : 0, k, off,
				           p->data_len);
				/* Each segment goes back to its pool on its own: unchain it. */
				p->next = NULL;
				p->nb_segs = 1;
				q->bufs[slot] = p;
				pos++;
				p = next;
			}
		}
		bytes += frame_len;
	}
	if (pos != q->pos) {
		/* Release: descriptors (and copied bytes) before the server sees the new head. */
		atomic_store_explicit(&r->head, pos, memory_order_release);
		q->pos = pos;
		kick(r, q);
	}
	burst_leave(q);
	tern_pkt_free_bulk(copied, nc);
	tern_qstat_add(&q->stats.packets, sent);
	tern_qstat_add(&q->stats.bytes, bytes);
	if (sent < n)
		tern_qstat_add(&q->stats.errors, (uint64_t)(n - sent));
	return sent;
}

void tern_memif_zc_drain(struct memif_queue *q)
{
	if (q->bufs == NULL)
		return;
	if (q->rx) {
		for (uint16_t s = q->pos; s != q->done; s++)
			tern_pkt_free(q->bufs[s & q->mask]);
	} else {
		for (uint16_t s = q->done; s != q->pos; s++)
			tern_pkt_free(q->bufs[s & q->mask]);
	}
	free(q->bufs);
	q->bufs = NULL;
	q->pos = q->done = 0;
}
