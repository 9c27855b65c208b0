/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * virtio_rxtx.c - the fast path of the virtio-net PMD: RX refill and burst
 * (5.1.6.3 - 5.1.6.4), TX burst and reclaim (5.1.6.2), on split virtqueues.
 * The same code serves every transport; only the notification goes
 * through the transport's ops (virtqueue.c).
 *
 * Buffers: an RX descriptor covers the packet's data room plus the
 * virtio_net_hdr just in front of it, inside the headroom, so frames land
 * where tern_pkt expects them and no copy is made. TX puts the header into
 * the headroom too when the layout allows (ANY_LAYOUT or VERSION_1, one
 * owner, room), else into a per-descriptor header slot of the queue.
 *
 * Nothing the device writes is followed: a used entry's id must name the
 * head of a chain we lent (chain[id] != 0), its length must fit the buffer
 * we lent, and the chain is walked through our own next[] (virtio.h).
 */
#include <string.h>

#include "tern_mempool.h"
#include "tern_pkt.h"
#include "virtio.h"

#define VIRTIO_RX_REFILL 32 /* buffers taken from the pool at a time */
#define VIRTIO_TX_FREE   64 /* packets given back to their pool at a time */

/* ---- RX (5.1.6.3 - 5.1.6.4) --------------------------------------------- */

/*
 * 5.1.6.3: give the device empty buffers, VIRTIO_RX_REFILL at a time from
 * the pool. An empty pool stops the refill (counted in nombuf); the
 * descriptors stay free and the next burst tries again. 2.4.6: one avail
 * idx update and at most one notification for all of it.
 */
void tern_virtio_rx_refill(struct virtqueue *vq, bool kick)
{
	struct tern_pkt *fresh[VIRTIO_RX_REFILL];
	uint16_t filled = 0;

	while (vq->nb_free > 0) {
		uint16_t k = TERN_MIN(vq->nb_free, (uint16_t)VIRTIO_RX_REFILL);

		if (tern_unlikely(tern_pkt_alloc_bulk(vq->mp, fresh, k) < 0)) {
			tern_qstat_add(&vq->stats.nombuf, k);
			break;
		}
		for (uint16_t i = 0; i < k; i++) {
			struct tern_pkt *p = fresh[i];
			uint16_t id = vq_desc_get(vq);
			struct vring_desc *d = &vq->desc[id];

			/* 2.4.5: device-writable; the header lands in the headroom. */
			d->addr = p->buf_iova + p->data_off - vq->hdr_len;
			d->len = vq->rx_buf_len;
			d->flags = VRING_DESC_F_WRITE;
			vq->sw[id] = p;
			vq->chain[id] = 1;
			/* 2.4.6 step 2: the descriptor's id into the next avail slot. */
			vq->avail->ring[vq->avail_idx++ & vq->mask] = id;
		}
		filled += k;
	}
	if (filled == 0)
		return;
	if (kick)
		tern_virtqueue_kick(vq);
	else
		tern_virtqueue_publish(vq); /* 3.1.1: no notification before DRIVER_OK */
}

/*
 * Take used entry number `vq->used_last`: its buffer and length; the
 * descriptor is free again. NULL when the id is not one we lent (a device
 * bug, counted by the caller); the entry is consumed either way.
 */
static inline struct tern_pkt *rx_take(struct virtqueue *vq, uint32_t *len)
{
	const struct vring_used_elem *e = &vq->used->ring[vq->used_last++ & vq->mask];
	uint32_t id = e->id;
	struct tern_pkt *p;

	*len = e->len;
	if (tern_unlikely(id >= vq->size || vq->sw[id] == NULL || !vq_chain_put(vq, (uint16_t)id)))
		return NULL;
	p = vq->sw[id];
	vq->sw[id] = NULL;
	return p;
}

/* 5.1.6.4: with MRG_RXBUF, how many used entries the frame at used_last spans. */
static inline uint16_t rx_frame_bufs(struct virtqueue *vq)
{
	const struct vring_used_elem *e = &vq->used->ring[vq->used_last & vq->mask];
	uint32_t id = e->id;
	const struct tern_pkt *p;
	uint16_t nbuf;

	if (!vq->mrg || tern_unlikely(id >= vq->size || vq->sw[id] == NULL))
		return 1; /* a bad id is dropped alone by the caller */
	p = vq->sw[id];
	nbuf =
	    ((const struct virtio_net_hdr *)((const char *)p->buf_addr + p->data_off - vq->hdr_len))
	        ->num_buffers;
	/* A device bug: never wait for more than the ring holds. */
	return nbuf == 0 || nbuf > vq->size ? 1 : nbuf;
}

uint16_t tern_virtio_rx_burst(void *queue, struct tern_pkt **pkts, uint16_t n)
{
	struct virtqueue *vq = queue;
	uint16_t pending = vq_used_pending(vq); /* acquire inside: 2.4.8 */
	uint16_t got = 0;
	uint64_t bytes = 0, errors = 0;

	while (got < n && pending > 0) {
		uint16_t nbuf = rx_frame_bufs(vq);
		struct tern_pkt *head, *prev;
		uint32_t len;

		if (nbuf > pending)
			break; /* 5.1.6.4: wait until every buffer of the frame is published */
		pending -= nbuf;
		head = rx_take(vq, &len);
		/*
		 * 2.4.8: the device writes at most the buffer's length. A used
		 * length outside [header, buffer] is a device bug (or a hostile
		 * device): trust nothing of that frame.
		 */
		if (tern_unlikely(head == NULL || len < vq->hdr_len || len > vq->rx_buf_len)) {
			/* Bad entry: drop the frame, every buffer of it. */
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
				/* A bad buffer mid-frame: drop the frame and its other buffers. */
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
	tern_virtio_rx_refill(vq, true);
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
 * Descriptor chains the device has used go back on the free list, and
 * their packets to their pools, VIRTIO_TX_FREE at a time. The chain is
 * ours (next[], chain[]); desc[] is never read back.
 */
static void tx_reclaim(struct virtqueue *vq)
{
	struct tern_pkt *done[VIRTIO_TX_FREE];
	uint16_t pending = vq_used_pending(vq); /* acquire inside: 2.4.8 */
	unsigned k = 0;

	while (pending-- > 0) {
		uint32_t head = vq->used->ring[vq->used_last++ & vq->mask].id;

		if (tern_unlikely(head >= vq->size || vq->sw[head] == NULL ||
		                  !vq_chain_put(vq, (uint16_t)head))) {
			tern_qstat_add(&vq->stats.errors,
			               1); /* a device bug: nothing of ours to free */
			continue;
		}
		done[k++] = vq->sw[head];
		vq->sw[head] = NULL;
		if (k == VIRTIO_TX_FREE) {
			tern_pkt_free_bulk(done, k);
			k = 0;
		}
	}
	tern_pkt_free_bulk(done, k);
}

uint16_t tern_virtio_tx_burst(void *queue, struct tern_pkt **pkts, uint16_t n)
{
	struct virtqueue *vq = queue;
	uint64_t bytes = 0;
	uint16_t sent, dropped = 0;

	tx_reclaim(vq);
	for (sent = 0; sent < n; sent++) {
		struct tern_pkt *p = pkts[sent];
		/* 5.1.6.2: the header may share the first descriptor (ANY_LAYOUT / VERSION_1). */
		bool inline_hdr =
		    vq->any_layout && p->data_off >= vq->hdr_len && tern_pkt_refcnt_read(p) == 1;
		uint16_t need = p->nb_segs + !inline_hdr;
		uint16_t head, id, taken = 1;
		struct vring_desc *d;

		if (tern_unlikely(need > vq->size)) {
			/* More segments than the ring has descriptors: it can never go. */
			tern_pkt_free(p);
			dropped++;
			continue;
		}
		if (tern_unlikely(need > vq->nb_free)) {
			tx_reclaim(vq);
			if (need > vq->nb_free)
				break; /* ring full: the rest stay the caller's */
		}
		bytes += p->pkt_len;
		head = id = vq_desc_get(vq);
		d = &vq->desc[id];
		if (inline_hdr) {
			memset(tern_pkt_prepend(p, vq->hdr_len), 0, vq->hdr_len);
		} else {
			struct virtio_net_hdr *h =
			    (void *)((char *)vq->hdrs + (size_t)id * VIRTIO_HDR_SLOT);

			memset(h, 0, vq->hdr_len);
			d->addr = vq->hdrs_iova + (uint64_t)id * VIRTIO_HDR_SLOT;
			d->len = vq->hdr_len;
			d->flags = VRING_DESC_F_NEXT;
			d->next = vq->next[id] = vq_desc_get(vq);
			taken++;
			id = d->next;
			d = &vq->desc[id];
		}
		/* 2.4.4: one descriptor per segment, chained with NEXT (ours in next[]). */
		for (struct tern_pkt *seg = p; seg != NULL; seg = seg->next) {
			d->addr = tern_pkt_data_iova(seg);
			d->len = seg->data_len;
			if (seg->next == NULL) {
				d->flags = 0;
				break;
			}
			d->flags = VRING_DESC_F_NEXT;
			id = vq->next[id] = vq_desc_get(vq);
			taken++;
			d->next = id;
			d = &vq->desc[id];
		}
		vq->sw[head] = p;
		vq->chain[head] = taken; /* == need unless nb_segs lies */
		vq->avail->ring[vq->avail_idx++ & vq->mask] = head; /* 2.4.6 step 2 */
	}
	if (sent > dropped) {
		tern_virtqueue_kick(vq); /* one idx update, at most one notification per burst */
		tern_qstat_add(&vq->stats.packets, sent - dropped);
		tern_qstat_add(&vq->stats.bytes, bytes);
	}
	if (tern_unlikely(dropped > 0))
		tern_qstat_add(&vq->stats.errors, dropped);
	return sent;
}
