/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * af_xdp_rxtx.c - the af_xdp driver's fast path: RX takes frames off the RX
 * ring (the buffers are the application's packets already) and keeps the
 * fill ring topped up; TX puts the packets' own buffers on the TX ring and
 * frees what the completion ring returns. The rings and the UMEM layout are
 * described at the top of af_xdp.c.
 *
 * The ring accessors are libxdp's (xdp/xsk.h): each pairs its index loads
 * and stores with the kernel's, as af_xdp.rst prescribes. A consumer peeks
 * (acquire load of the producer index: the descriptors written before it
 * are visible) and releases (release store of the consumer index: we are
 * done reading those slots); a producer reserves (acquire load of the
 * consumer index: the kernel no longer reads those slots) and submits
 * (release store of the producer index: our descriptors are written before
 * the kernel can see them).
 *
 * The two rings the kernel produces (RX, completion) are read through
 * cons_peek() below instead of xsk_ring_cons__peek(): the same acquire
 * load, and a bound on the producer index the kernel wrote.
 */
#include <errno.h>
#include <string.h>

#include <sys/socket.h>

#include "af_xdp.h"
#include "tern_log.h"

/*
 * Up to n entries the kernel published on a ring we consume; *idx is the
 * first. The producer index is the kernel's word and is bounded before any
 * slot is read: the ring holds at most `bound` entries past our consumer (its
 * size, and no more than the buffers we have lent, each of which comes back
 * once). An index beyond that, or behind our consumer (which wraps to the
 * same), would have us read stale slots of an earlier lap again: the ring is
 * refused (0 entries, *bad counted) until the index is sane again. A stale
 * slot naming a buffer that is not lent at that moment is refused by the
 * lent marks (axp_chunk_pkt); one naming a buffer lent again since cannot be
 * told from a real return by any check here.
 */
static inline uint32_t cons_peek(struct xsk_ring_cons *r, uint32_t n, uint32_t bound, uint32_t *idx,
                                 uint64_t *bad)
{
	uint32_t avail = r->cached_prod - r->cached_cons;

	if (avail == 0) {
		/*
		 * Acquire: pairs with the kernel's release of the producer index
		 * (net/xdp/xsk_queue.h, __xskq_prod_submit): the slots before it
		 * are written before we read them.
		 */
		r->cached_prod = __atomic_load_n(r->producer, __ATOMIC_ACQUIRE);
		avail = r->cached_prod - r->cached_cons;
	}
	if (tern_unlikely(avail > TERN_MIN(bound, r->size))) {
		r->cached_prod = r->cached_cons; /* reload at the next poll */
		(*bad)++;
		return 0;
	}
	avail = TERN_MIN(avail, n);
	*idx = r->cached_cons;
	r->cached_cons += avail;
	return avail;
}

/* ---- RX ----------------------------------------------------------------- */

/*
 * Lend buffers to the kernel until `target` are out, in batches of at least
 * AXP_FILL_BATCH. An empty pool counts nombuf once per refill that found it
 * so; the ring keeps what it has and the next burst tries again.
 */
void tern_axp_rx_refill(struct axp_rxq *q)
{
	struct tern_pkt *bufs[AXP_MAX_BURST];
	uint32_t want, idx = 0;

	want = q->target - q->lent.count;
	if (want < AXP_FILL_BATCH && q->lent.count > 0)
		return;
	want = TERN_MIN(want, (uint32_t)AXP_MAX_BURST);
	want = TERN_MIN(want, xsk_prod_nb_free(&q->fill, want));
	if (want == 0)
		return;
	if (tern_unlikely(tern_pkt_alloc_bulk(q->mp, bufs, want) < 0)) {
		want = TERN_MIN(want, (uint32_t)AXP_FILL_BATCH);
		if (tern_pkt_alloc_bulk(q->mp, bufs, want) < 0) {
			tern_qstat_add(&q->st.nombuf, 1);
			return;
		}
	}
	/* Cannot come short: xsk_prod_nb_free() said there is room for want. */
	(void)xsk_ring_prod__reserve(&q->fill, want, &idx);
	for (uint32_t i = 0; i < want; i++) {
		struct tern_pkt *p = bufs[i];

		q->lent.pkt[axp_pkt_idx(p)] = p;
		/* Unaligned mode: the chunk's start; the kernel adds its headroom. */
		*xsk_ring_prod__fill_addr(&q->fill, idx + i) =
		    (uint64_t)((uint8_t *)p->buf_addr - q->base);
	}
	q->lent.count += want;
	xsk_ring_prod__submit(&q->fill, want);
}

uint16_t tern_axp_rx_burst(void *queue, struct tern_pkt **pkts, uint16_t n)
{
	struct axp_rxq *q = queue;
	uint32_t got, idx;
	uint64_t bytes = 0, bad = 0, csum = 0;
	uint16_t nb = 0;

	if (tern_unlikely(n > AXP_MAX_BURST))
		n = AXP_MAX_BURST;
	got = cons_peek(&q->rx, n, q->lent.count, &idx, &bad);
	if (got == 0) {
		if (tern_unlikely(bad > 0))
			tern_qstat_add(&q->st.errors, bad);
		tern_axp_rx_refill(q);
		/*
		 * af_xdp.rst, XDP_USE_NEED_WAKEUP: the kernel asks to be woken
		 * when it ran out of fill ring entries (the driver's NAPI stopped);
		 * with busy polling, the call itself runs the driver's NAPI.
		 */
		if (q->busy || xsk_ring_prod__needs_wakeup(&q->fill))
			(void)recvfrom(q->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
		return 0;
	}
	for (uint32_t i = 0; i < got; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&q->rx, idx + i);
		uint64_t chunk = xsk_umem__extract_addr(d->addr);
		uint64_t off = xsk_umem__extract_offset(d->addr);
		struct tern_pkt *p =
		    axp_chunk_pkt(q->base, q->umem_len, q->buf_off, &q->lent, chunk);

		/* Untrusted: our buffer, and the frame inside it (af_xdp.rst: addr + len). */
		if (tern_unlikely(p == NULL)) {
			bad++;
			continue;
		}
		q->lent.pkt[axp_pkt_idx(p)] = NULL;
		q->lent.count--;
		if (tern_unlikely(off + d->len > q->buf_len || d->len == 0)) {
			tern_pkt_free(p);
			bad++;
			continue;
		}
		tern_pkt_reset_fields(p);
		p->data_off = (uint16_t)off;
		p->data_len = (uint16_t)d->len;
		p->pkt_len = d->len;
		p->port = q->port_id;
		if (q->csum_fix)
			csum += (uint64_t)tern_axp_csum_fix(tern_pkt_mtod(p, uint8_t *), d->len);
		bytes += d->len;
		pkts[nb++] = p;
	}
	xsk_ring_cons__release(&q->rx, got);
	tern_axp_rx_refill(q);
	if (tern_unlikely(q->busy))
		(void)recvfrom(q->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
	tern_qstat_add(&q->st.packets, nb);
	tern_qstat_add(&q->st.bytes, bytes);
	if (tern_unlikely(bad > 0))
		tern_qstat_add(&q->st.errors, bad);
	if (csum > 0)
		tern_qstat_add(&q->csum, csum);
	return nb;
}

/* ---- TX ----------------------------------------------------------------- */

/* Buffers the kernel is done sending go back to their pool, a burst at a time. */
void tern_axp_tx_complete(struct axp_txq *q)
{
	struct tern_pkt *done[AXP_MAX_BURST];
	uint32_t got, idx, nb = 0;
	uint64_t bad = 0;

	got = cons_peek(&q->comp, AXP_MAX_BURST, q->lent.count, &idx, &bad);
	if (got == 0) {
		if (tern_unlikely(bad > 0))
			tern_qstat_add(&q->st.errors, bad);
		return;
	}
	for (uint32_t i = 0; i < got; i++) {
		uint64_t addr = *xsk_ring_cons__comp_addr(&q->comp, idx + i);
		struct tern_pkt *p = axp_chunk_pkt(q->base, q->umem_len, q->buf_off, &q->lent,
		                                   xsk_umem__extract_addr(addr));

		if (tern_unlikely(p == NULL)) {
			bad++; /* not an address we sent, or sent and back already: ignore it */
			continue;
		}
		q->lent.pkt[axp_pkt_idx(p)] = NULL;
		done[nb++] = p;
	}
	q->lent.count -= nb;
	xsk_ring_cons__release(&q->comp, got);
	if (nb > 0)
		tern_pkt_free_bulk(done, nb);
	if (tern_unlikely(bad > 0))
		tern_qstat_add(&q->st.errors, bad);
}

/* Can p go out as it is (a one-segment, one-owner packet of the UMEM's pool)? */
static inline bool tx_own(const struct axp_txq *q, const struct tern_pkt *p)
{
	return p->pool == q->mp && p->nb_segs == 1 && tern_pkt_refcnt_read(p) == 1;
}

/*
 * The buffer to hand the kernel for p: p itself when it is a one-segment,
 * one-owner packet of the UMEM's pool; else a copy in a buffer of that pool
 * (NULL if none is free). Sets *len.
 */
static inline struct tern_pkt *tx_buffer(struct axp_txq *q, struct tern_pkt *p)
{
	struct tern_pkt *c;
	uint8_t *dst;

	if (tern_likely(tx_own(q, p)))
		return p;
	c = tern_pkt_alloc(q->mp);
	if (c == NULL)
		return NULL;
	dst = tern_pkt_mtod(c, uint8_t *);
	for (const struct tern_pkt *s = p; s != NULL; s = s->next) {
		memcpy(dst, tern_pkt_mtod(s, const uint8_t *), s->data_len);
		dst += s->data_len;
	}
	c->data_len = (uint16_t)p->pkt_len;
	c->pkt_len = p->pkt_len;
	tern_qstat_add(&q->copies, 1);
	tern_pkt_free(p);
	return c;
}

uint16_t tern_axp_tx_burst(void *queue, struct tern_pkt **pkts, uint16_t n)
{
	struct axp_txq *q = queue;
	uint64_t bytes = 0, errors = 0;
	uint32_t room, idx = 0, queued = 0;
	uint32_t i; /* as wide as room, which the loop compares it with */

	tern_axp_tx_complete(q);
	room = xsk_prod_nb_free(&q->tx, n);
	if (room > n)
		room = n;
	if (room > 0)
		(void)xsk_ring_prod__reserve(&q->tx, room, &idx);
	for (i = 0; i < room; i++) {
		struct tern_pkt *p = pkts[i];
		if (tern_unlikely(p->pkt_len < TERN_ETHER_HDR_LEN ||
		                  (!tx_own(q, p) &&
		                   p->pkt_len > (uint32_t)(q->buf_len - TERN_PKT_HEADROOM)))) {
			tern_pkt_free(p); /* taken and dropped, as a NIC would */
			errors++;
			continue;
		}
		p = tx_buffer(q, p);
		if (tern_unlikely(p == NULL))
			break; /* no UMEM buffer for a copy: the caller keeps pkts[i..n) */
		struct xdp_desc *d = xsk_ring_prod__tx_desc(&q->tx, idx + queued);
		uint64_t chunk = (uint64_t)((uint8_t *)p->buf_addr - q->base);

		/* Unaligned mode: the data's offset in the chunk rides in the upper 16 bits. */
		d->addr = chunk | ((uint64_t)p->data_off << XSK_UNALIGNED_BUF_OFFSET_SHIFT);
		d->len = p->data_len;
		d->options = 0;
		q->lent.pkt[axp_pkt_idx(p)] = p;
		bytes += p->data_len;
		queued++;
	}
	q->lent.count += queued;
	/* Slots reserved and not used (drops, or the copy pool ran dry): give them back. */
	q->tx.cached_prod -= room - queued;
	if (queued > 0)
		xsk_ring_prod__submit(&q->tx, queued);
	/*
	 * af_xdp.rst: in copy mode (and zero-copy drivers that ask) the kernel
	 * sends only when kicked; XDP_USE_NEED_WAKEUP says when it must be.
	 */
	if (q->busy || (queued > 0 && xsk_ring_prod__needs_wakeup(&q->tx)) ||
	    (room < n && xsk_ring_prod__needs_wakeup(&q->tx)))
		(void)sendto(q->fd, NULL, 0, MSG_DONTWAIT, NULL, 0);
	tern_qstat_add(&q->st.packets, queued);
	tern_qstat_add(&q->st.bytes, bytes);
	if (errors > 0)
		tern_qstat_add(&q->st.errors, errors);
	return (uint16_t)i; /* i <= room <= n */
}
