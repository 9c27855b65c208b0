/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * virtio_rxtx_packed.c - the fast path of the virtio-net PMD on packed
 * virtqueues (virtio 1.1 2.7): RX refill and burst (5.1.6.3 - 5.1.6.4,
 * mergeable buffers included), TX burst and reclaim (5.1.6.2). The port
 * takes these burst functions instead of virtio_rxtx.c's when
 * VIRTIO_F_RING_PACKED is negotiated (virtio_net.c): no per-packet branch
 * on the ring layout. Buffers sit where virtio_rxtx.c puts them (header in
 * the headroom; TX header in the headroom or in the queue's slot for the
 * buffer id).
 *
 * One ring does both directions of a buffer: the driver writes available
 * descriptors at avail_idx, the device overwrites them with used ones in
 * ring order (2.7.7 - 2.7.8). A batch becomes visible when the first
 * descriptor's flags are written, after a release (2.7.21). A used
 * descriptor is read as: flags (AVAIL == USED == our copy of the device's
 * wrap counter), then acquire, then id and len. The id must be a buffer
 * we lent and have not had back; the slots we step over are our own count
 * for that buffer; each walk is bounded by the slots lent; a length must
 * fit the buffer lent.
 */
#include <string.h>

#include "tern_mempool.h"
#include "tern_pkt.h"
#include "virtio.h"

#define VIRTIO_RX_REFILL 32 /* buffers taken from the pool at a time */
#define VIRTIO_TX_FREE   64 /* packets given back to their pool at a time */

/* ---- RX (5.1.6.3 - 5.1.6.4) --------------------------------------------- */

/*
 * 5.1.6.3: one device-writable descriptor per buffer, each its own buffer
 * id, VIRTIO_RX_REFILL buffers at a time from the pool; an empty pool
 * stops the refill (counted in nombuf) and the next burst tries again.
 * The first descriptor's flags go last, once for the whole refill.
 */
void tern_virtio_rx_refill_packed(struct virtqueue *vq, bool kick)
{
	struct tern_pkt *fresh[VIRTIO_RX_REFILL];
	uint16_t filled = 0, head_slot = 0, head_flags = 0;

	while (vq->nb_free > 0) {
		uint16_t k = TERN_MIN(vq->nb_free, (uint16_t)VIRTIO_RX_REFILL);

		if (tern_unlikely(tern_pkt_alloc_bulk(vq->mp, fresh, k) < 0)) {
			tern_qstat_add(&vq->stats.nombuf, k);
			break;
		}
		for (uint16_t i = 0; i < k; i++) {
			struct tern_pkt *p = fresh[i];
			uint16_t flags = (uint16_t)(VRING_DESC_F_WRITE | vq->avail_flags);
			uint16_t id = vqp_id_get(vq, 1);
			uint16_t slot = vqp_slot_next(vq);
			struct vring_packed_desc *d = &vq->pdesc[slot];

			/* The header lands in the headroom, the frame at data_off. */
			d->addr = p->buf_iova + p->data_off - vq->hdr_len;
			d->len = vq->rx_buf_len;
			d->id = id;
			vq->sw[id] = p;
			if (filled == 0 && i == 0) {
				head_slot = slot;
				head_flags = flags;
			} else {
				*(volatile uint16_t *)&d->flags = flags;
			}
		}
		filled += k;
	}
	if (filled == 0)
		return;
	vqp_publish(vq, head_slot, head_flags); /* release inside: 2.7.21 */
	if (kick)
		tern_vqp_kick(vq); /* 3.1.1: none before DRIVER_OK (kick false then) */
}

/*
 * Take the used descriptor at used_last: its buffer and the length the
 * device wrote. NULL when its id is not a buffer we lent (one slot
 * stepped over, a device bug the caller counts).
 */
static inline struct tern_pkt *rx_take(struct virtqueue *vq, uint32_t *len)
{
	const struct vring_packed_desc *d = &vq->pdesc[vq->used_last];
	uint32_t id = d->id;
	struct tern_pkt *p;
	uint16_t slots;

	*len = d->len;
	if (tern_unlikely(id >= vq->size || vq->sw[id] == NULL || !vqp_id_put(vq, id, &slots))) {
		vqp_used_advance(vq, 1);
		return NULL;
	}
	vqp_used_advance(vq, slots); /* 1: RX buffers are single descriptors */
	p = vq->sw[id];
	vq->sw[id] = NULL;
	return p;
}

/*
 * 5.1.6.4: with MRG_RXBUF, how many used descriptors the frame at
 * used_last spans (num_buffers in its header); never more than are lent.
 */
static inline uint16_t rx_frame_bufs(struct virtqueue *vq, uint16_t lent)
{
	uint32_t id = vq->pdesc[vq->used_last].id;
	const struct tern_pkt *p;
	uint16_t nbuf;

	if (!vq->mrg || tern_unlikely(id >= vq->size || vq->sw[id] == NULL))
		return 1; /* a bad id is dropped alone by the caller */
	p = vq->sw[id];
	nbuf =
	    ((const struct virtio_net_hdr *)((const char *)p->buf_addr + p->data_off - vq->hdr_len))
	        ->num_buffers;
	return nbuf == 0 || nbuf > lent ? 1 : nbuf;
}

uint16_t tern_virtio_rx_burst_packed(void *queue, struct tern_pkt **pkts, uint16_t n)
{
	struct virtqueue *vq = queue;
	uint16_t lent = (uint16_t)(vq->size - vq->nb_free); /* bounds the walk */
	uint16_t got = 0;
	uint64_t bytes = 0, errors = 0;

	while (got < n && lent > 0 && vqp_used_at(vq, 0)) {
		struct tern_pkt *head, *prev;
		uint16_t nbuf, k = 1;
		uint32_t len;

		/*
		 * 2.7.1: acquire after seeing the descriptor used, before its id,
		 * len and the buffer's header; pairs with the device's write
		 * barrier between filling them and writing the flags.
		 */
		tern_pci_rmb();
		nbuf = rx_frame_bufs(vq, lent);
		while (k < nbuf && vqp_used_at(vq, k))
			k++;
		if (k < nbuf)
			break;  /* 5.1.6.4: wait until every buffer of the frame is used */
		tern_pci_rmb(); /* the same acquire, for the frame's other descriptors */
		lent = (uint16_t)(lent - nbuf);
		head = rx_take(vq, &len);
		/* A length outside [header, buffer]: trust nothing of that frame. */
		if (tern_unlikely(head == NULL || len < vq->hdr_len || len > vq->rx_buf_len)) {
			tern_pkt_free(head);
			for (uint16_t s = 1; s < nbuf; s++)
				tern_pkt_free(rx_take(vq, &len));
			errors++;
			continue;
		}
		head->data_len = (uint16_t)(len - vq->hdr_len);
		head->pkt_len = head->data_len;
		head->port = vq->port_id;
		prev = head;
		for (uint16_t s = 1; s < nbuf; s++) {
			/* Following buffers carry no header: data starts at the descriptor. */
			struct tern_pkt *seg = rx_take(vq, &len);

			if (tern_unlikely(seg == NULL || len > vq->rx_buf_len)) {
				tern_pkt_free(seg);
				for (uint16_t r = s + 1; r < nbuf; r++)
					tern_pkt_free(rx_take(vq, &len));
				tern_pkt_free(head);
				head = NULL;
				break;
			}
			seg->data_off -= vq->hdr_len;
			seg->data_len = (uint16_t)len;
			prev->next = seg;
			prev = seg;
			head->nb_segs++;
			head->pkt_len += len;
		}
		if (tern_unlikely(head == NULL)) {
			errors++;
			continue;
		}
		bytes += head->pkt_len;
		pkts[got++] = head;
	}
	tern_virtio_rx_refill_packed(vq, true);
	if (got > 0) {
		tern_qstat_add(&vq->stats.packets, got);
		tern_qstat_add(&vq->stats.bytes, bytes);
	}
	if (tern_unlikely(errors > 0))
		tern_qstat_add(&vq->stats.errors, errors);
	return got;
}

/* ---- TX (5.1.6.2) -------------------------------------------------------- */

/*
 * Buffers the device has used go back to the free list, their packets to
 * their pools, VIRTIO_TX_FREE at a time; the walk steps over our own
 * slot count per buffer and stops after the slots lent.
 */
static void tx_reclaim(struct virtqueue *vq)
{
	struct tern_pkt *done[VIRTIO_TX_FREE];
	uint16_t lent = (uint16_t)(vq->size - vq->nb_free);
	uint64_t errors = 0;
	unsigned k = 0;

	for (uint16_t walked = 0; walked < lent && vqp_used_at(vq, 0);) {
		uint32_t id;
		uint16_t slots;
		struct tern_pkt *p;

		tern_pci_rmb(); /* 2.7.1: id after flags; pairs with the device's write barrier */
		id = vq->pdesc[vq->used_last].id;
		p = id < vq->size ? vq->sw[id] : NULL;
		if (tern_unlikely(p == NULL || !vqp_id_put(vq, id, &slots))) {
			errors++; /* a device bug: nothing of ours to free */
			vqp_used_advance(vq, 1);
			walked++;
			continue;
		}
		vq->sw[id] = NULL;
		vqp_used_advance(vq, slots);
		walked = (uint16_t)(walked + slots);
		done[k++] = p;
		if (k == VIRTIO_TX_FREE) {
			tern_pkt_free_bulk(done, k);
			k = 0;
		}
	}
	tern_pkt_free_bulk(done, k);
	if (tern_unlikely(errors > 0))
		tern_qstat_add(&vq->stats.errors, errors);
}

/* Write one descriptor of a chain; the batch's first keeps its flags for vqp_publish. */
static inline void tx_desc(struct virtqueue *vq, uint64_t addr, uint32_t len, uint16_t id,
                           uint16_t flags, bool *have_head, uint16_t *head_slot,
                           uint16_t *head_flags)
{
	uint16_t slot;
	struct vring_packed_desc *d;

	flags |= vq->avail_flags; /* this lap's bits, before the slot may end the lap */
	slot = vqp_slot_next(vq);
	d = &vq->pdesc[slot];
	d->addr = addr;
	d->len = len;
	d->id = id; /* 2.7.6: the device reads it from the chain's last descriptor */
	if (!*have_head) {
		*have_head = true;
		*head_slot = slot;
		*head_flags = flags;
	} else {
		*(volatile uint16_t *)&d->flags = flags;
	}
}

uint16_t tern_virtio_tx_burst_packed(void *queue, struct tern_pkt **pkts, uint16_t n)
{
	struct virtqueue *vq = queue;
	uint64_t bytes = 0;
	uint16_t sent, dropped = 0, head_slot = 0, head_flags = 0;
	bool have_head = false;

	tx_reclaim(vq);
	for (sent = 0; sent < n; sent++) {
		struct tern_pkt *p = pkts[sent];
		/* 5.1.6.2: VERSION_1 lets the header share the first descriptor. */
		bool inline_hdr =
		    vq->any_layout && p->data_off >= vq->hdr_len && tern_pkt_refcnt_read(p) == 1;
		uint16_t need = (uint16_t)(p->nb_segs + !inline_hdr), taken = 0, id;
		const struct tern_pkt *seg;

		if (tern_unlikely(need > vq->size || p->nb_segs == 0)) {
			tern_pkt_free(p); /* more segments than the ring has slots: never goes */
			dropped++;
			continue;
		}
		if (tern_unlikely(need > vq->nb_free)) {
			/* Publish what is written first: reclaim then reads a settled ring. */
			if (have_head)
				vqp_publish(vq, head_slot, head_flags);
			have_head = false;
			tx_reclaim(vq);
			if (need > vq->nb_free)
				break; /* ring full: the rest stay the caller's */
		}
		bytes += p->pkt_len;
		id = vqp_id_get(vq, need);
		if (inline_hdr) {
			memset(tern_pkt_prepend(p, vq->hdr_len), 0, vq->hdr_len);
		} else {
			struct virtio_net_hdr *h =
			    (void *)((char *)vq->hdrs + (size_t)id * VIRTIO_HDR_SLOT);

			memset(h, 0, vq->hdr_len);
			tx_desc(vq, vq->hdrs_iova + (uint64_t)id * VIRTIO_HDR_SLOT, vq->hdr_len, id,
			        VRING_DESC_F_NEXT, &have_head, &head_slot, &head_flags);
			taken++;
		}
		/* 2.7.6: one descriptor per segment, NEXT on all but the last; never more than
		 * need. */
		for (seg = p; seg != NULL && taken < need; seg = seg->next) {
			bool last = seg->next == NULL || taken + 1 == need;

			tx_desc(vq, tern_pkt_data_iova(seg), seg->data_len, id,
			        last ? 0 : VRING_DESC_F_NEXT, &have_head, &head_slot, &head_flags);
			taken++;
		}
		if (tern_unlikely(taken < need)) {
			/* nb_segs said more than the chain holds: give back the slots not used. */
			vq->chain[id] = taken;
			vq->nb_free = (uint16_t)(vq->nb_free + need - taken);
		}
		vq->sw[id] = p;
	}
	if (have_head)
		vqp_publish(vq, head_slot, head_flags); /* release inside: 2.7.21 */
	if (sent > dropped) {
		tern_vqp_kick(vq); /* at most one notification per burst */
		tern_qstat_add(&vq->stats.packets, sent - dropped);
		tern_qstat_add(&vq->stats.bytes, bytes);
	}
	if (tern_unlikely(dropped > 0))
		tern_qstat_add(&vq->stats.errors, dropped);
	return sent;
}
