/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * af_packet_rxtx.c - the af_packet driver's fast path: RX copies the frames
 * the kernel filled into tern_pkt chains (completing checksums and cutting
 * GSO super-frames, offload.c), TX copies packets into the TX ring and kicks
 * the kernel once per burst. The rings and their protocol are described at
 * the top of af_packet.c.
 */
#include <errno.h>
#include <string.h>

#include <sys/socket.h>

#include "af_packet.h"
#include "offload.h"
#include "tern_log.h"

/* ---- RX fast path ------------------------------------------------------- */

/* Buffers taken from the pool for this burst and not used yet. */
struct afp_bufs {
	struct tern_pkt *p[AFP_MAX_BURST];
	unsigned n, i;
};

/* Make sure `need` unused buffers are at hand: 0 or -ENOBUFS. */
static inline int bufs_ensure(struct afp_rxq *q, struct afp_bufs *b, unsigned need)
{
	unsigned have = b->n - b->i;

	if (tern_likely(have >= need))
		return 0;
	if (b->i > 0) { /* compact: move what is left to the front */
		memmove(b->p, b->p + b->i, have * sizeof(struct tern_pkt *));
		b->n = have;
		b->i = 0;
	}
	if (need > TERN_DIM(b->p) || tern_pkt_alloc_bulk(q->mp, b->p + b->n, need - have) < 0)
		return -ENOBUFS;
	b->n += need - have;
	return 0;
}

/* Buffers one frame of len bytes takes. */
static inline unsigned bufs_for(const struct afp_rxq *q, uint32_t len)
{
	return len <= q->room ? 1 : (len + q->room - 1) / q->room;
}

struct piece {
	const uint8_t *p;
	uint32_t len;
};

/* Copy pieces (len bytes in all) into a chain of buffers from b. */
static struct tern_pkt *emit(struct afp_rxq *q, struct afp_bufs *b, const struct piece *pc,
                             unsigned np, uint32_t len)
{
	/* bufs_ensure() filled p[i..n); the analyzer loses that in the mempool slow path. */
	/* NOLINTNEXTLINE(clang-analyzer-core.uninitialized.Assign) */
	struct tern_pkt *head = b->p[b->i++], *seg = head;
	uint8_t *dst = tern_pkt_mtod(seg, uint8_t *);

	for (unsigned k = 0; k < np; k++) {
		const uint8_t *src = pc[k].p;
		uint32_t left = pc[k].len;

		while (left > 0) {
			uint32_t n;

			if (seg->data_len == q->room) { /* this buffer is full: chain the next */
				struct tern_pkt *next = b->p[b->i++];

				seg->next = next;
				head->nb_segs++;
				seg = next;
				dst = tern_pkt_mtod(seg, uint8_t *);
			}
			n = TERN_MIN(left, (uint32_t)(q->room - seg->data_len));
			memcpy(dst + seg->data_len, src, n);
			seg->data_len = (uint16_t)(seg->data_len + n);
			src += n;
			left -= n;
		}
	}
	head->pkt_len = len;
	head->port = q->port_id;
	return head;
}

/*
 * Cut a super-frame into wire frames: out[0..room_out) first, the rest to
 * the pending list. Returns how many went to out, or -ENOBUFS (nothing done).
 */
static int rx_gso(struct afp_rxq *q, struct afp_bufs *b, const struct virtio_net_hdr *vh,
                  const uint8_t *frame, uint32_t len, const uint8_t *tag, struct tern_pkt **out,
                  uint16_t room_out)
{
	struct afp_gso g;
	uint8_t hdr[AFP_GSO_HDR_MAX];
	unsigned need = 0;
	uint16_t i;
	int ret;

	ret = afp_gso_init(&g, frame, len, vh->gso_type & ~VIRTIO_NET_HDR_GSO_ECN,
	                   le16toh(vh->gso_size), le16toh(vh->csum_start), tag);
	if (ret < 0 || g.nb_segs > AFP_PEND_MAX) {
		TERN_DP_LOG(DEBUG, AFP_LOG, "rxq %u: malformed GSO frame (type %u): dropped",
		            q->qid, vh->gso_type);
		tern_qstat_add(&q->stats.errors, 1);
		return 0;
	}
	if (g.hdr_len + g.mss <= q->room)
		need = g.nb_segs;
	else
		for (i = 0; i < g.nb_segs; i++)
			need += bufs_for(q, g.hdr_len + TERN_MIN(g.mss, g.payload_len - i * g.mss));
	if (need > AFP_MAX_BURST || need > q->pool_size) { /* it could never fit: drop it */
		tern_qstat_add(&q->stats.errors, 1);
		return 0;
	}
	if (bufs_ensure(q, b, need) < 0)
		return -ENOBUFS;
	for (i = 0; i < g.nb_segs; i++) {
		struct piece pc[2];
		struct tern_pkt *p;

		pc[0].p = hdr;
		pc[0].len = afp_gso_segment(&g, i, hdr, &pc[1].p, &pc[1].len);
		p = emit(q, b, pc, 2, pc[0].len + pc[1].len);
		if (i < room_out)
			out[i] = p;
		else
			q->pend[q->pend_cnt++] = p;
	}
	q->pend_head = 0;
	tern_qstat_add(&q->gso_frames, 1);
	tern_qstat_add(&q->gso_segs, g.nb_segs);
	return TERN_MIN(g.nb_segs, room_out);
}

/*
 * One frame from the ring into out[]: returns how many packets it gave
 * (0 if it had to be dropped as malformed), or -ENOBUFS to leave it there.
 */
static int rx_frame(struct afp_rxq *q, struct afp_bufs *b, struct tpacket2_hdr *h,
                    struct tern_pkt **out, uint16_t room_out)
{
	/* packet_mmap.rst / af_packet.c: the vnet header sits just before the MAC header. */
	uint8_t *frame = (uint8_t *)h + h->tp_mac;
	const struct virtio_net_hdr *vh = (const void *)(frame - AFP_VNET_LEN);
	uint32_t len = h->tp_snaplen;
	uint8_t tag[AFP_VLAN_TAG_LEN], *tagp = NULL;
	struct piece pc[3];
	unsigned np;

	if (tern_unlikely(len != h->tp_len)) {
		/*
		 * packet_mmap.rst: TP_STATUS_COPY, the frame did not fit its slot
		 * and the whole packet waits on the socket, vnet header first.
		 * Read once: a retry after -ENOBUFS finds it in the bounce buffer.
		 */
		if (!(h->tp_status & TP_STATUS_COPY)) {
			/* Truncated, no copy: the socket was full. */
			tern_qstat_add(&q->stats.errors, 1);
			return 0;
		}
		if (q->bounce_len == 0) {
			ssize_t r =
			    recv(q->fd, q->bounce, AFP_BOUNCE_SIZE, MSG_DONTWAIT | MSG_TRUNC);

			if (r < (ssize_t)(AFP_VNET_LEN + AFP_VLAN_TAG_OFF + 2) ||
			    r > AFP_BOUNCE_SIZE) {
				tern_qstat_add(&q->stats.errors, 1);
				return 0;
			}
			q->bounce_len = (uint32_t)r;
		}
		vh = (const void *)q->bounce;
		frame = q->bounce + AFP_VNET_LEN;
		len = q->bounce_len - (uint32_t)AFP_VNET_LEN;
	} else if (tern_unlikely(len < AFP_VLAN_TAG_OFF + 2)) {
		tern_qstat_add(&q->stats.errors, 1);
		return 0;
	}
	/* The kernel moved an 802.1Q tag to metadata (packet_mmap.rst: TP_STATUS_VLAN_VALID). */
	if (tern_unlikely(h->tp_status & TP_STATUS_VLAN_VALID)) {
		uint16_t tpid = (h->tp_status & TP_STATUS_VLAN_TPID_VALID) ? h->tp_vlan_tpid
		                                                           : TERN_ETHER_TYPE_VLAN;

		tag[0] = (uint8_t)(tpid >> 8);
		tag[1] = (uint8_t)tpid;
		tag[2] = (uint8_t)(h->tp_vlan_tci >> 8);
		tag[3] = (uint8_t)h->tp_vlan_tci;
		tagp = tag;
	}
	if (tern_unlikely(vh->gso_type != VIRTIO_NET_HDR_GSO_NONE))
		return rx_gso(q, b, vh, frame, len, tagp, out, room_out);
	if (tern_unlikely(vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)) {
		/* The frame is ours until its status goes back: fix it in place. */
		if (afp_csum_complete(frame, len, le16toh(vh->csum_start),
		                      le16toh(vh->csum_offset)) < 0) {
			tern_qstat_add(&q->stats.errors, 1);
			return 0;
		}
		tern_qstat_add(&q->csum, 1);
	}
	if (tern_likely(tagp == NULL)) {
		pc[0] = (struct piece){frame, len};
		np = 1;
	} else {
		pc[0] = (struct piece){frame, AFP_VLAN_TAG_OFF};
		pc[1] = (struct piece){tagp, AFP_VLAN_TAG_LEN};
		pc[2] = (struct piece){frame + AFP_VLAN_TAG_OFF, len - AFP_VLAN_TAG_OFF};
		np = 3;
	}
	const uint32_t total = len + (tagp != NULL ? AFP_VLAN_TAG_LEN : 0);
	const unsigned need = bufs_for(q, total);
	if (tern_unlikely(need > q->pool_size || need > AFP_MAX_BURST)) {
		/* More buffers than there are: it could never fit. */
		tern_qstat_add(&q->stats.errors, 1);
		return 0;
	}
	if (bufs_ensure(q, b, need) < 0)
		return -ENOBUFS;
	out[0] = emit(q, b, pc, np, total);
	return 1;
}

/* Is frame i the kernel's gift to us? */
static inline bool rx_ready(const struct afp_rxq *q, uint32_t i)
{
	const struct tpacket2_hdr *h = (const void *)q->frames[i];

	/*
	 * Acquire: pairs with the kernel's release of the frame (tpacket_rcv
	 * writes it, smp_wmb, then TP_STATUS_USER): we read the frame after.
	 */
	return status_load(&h->tp_status) & TP_STATUS_USER;
}

uint16_t afp_rx_burst(void *queue, struct tern_pkt **pkts, uint16_t n)
{
	struct afp_rxq *q = queue;
	struct afp_bufs b;
	uint32_t ready, max, i;
	uint16_t nb = 0;
	uint64_t bytes = 0;
	int ret;

	if (tern_unlikely(n > AFP_MAX_BURST))
		n = AFP_MAX_BURST;
	/* Segments of a super-frame from the last burst go first, in order. */
	if (tern_unlikely(q->pend_cnt > 0)) {
		nb = TERN_MIN(n, q->pend_cnt);
		memcpy(pkts, q->pend + q->pend_head, nb * sizeof(struct tern_pkt *));
		q->pend_head = (uint16_t)(q->pend_head + nb);
		q->pend_cnt = (uint16_t)(q->pend_cnt - nb);
		if (q->pend_cnt > 0 || nb == n)
			goto out;
	}
	/*
	 * How many frames are ready, so that one bulk get covers them (all or
	 * nothing); never more than the ring, or a full ring would be counted
	 * twice round.
	 */
	max = TERN_MIN((uint32_t)(n - nb), q->nb_frames);
	for (ready = 0, i = q->head; ready < max && rx_ready(q, i); ready++)
		i = i + 1 == q->nb_frames ? 0 : i + 1;
	if (ready == 0)
		goto out;
	b.i = 0;
	b.n = ready;
	if (tern_unlikely(tern_pkt_alloc_bulk(q->mp, b.p, b.n) < 0))
		b.n = 0; /* rx_frame tries for what each frame needs */
	while (ready-- > 0 && nb < n) {
		struct tpacket2_hdr *h = (void *)q->frames[q->head];

		ret = rx_frame(q, &b, h, pkts + nb, (uint16_t)(n - nb));
		if (tern_unlikely(ret < 0)) {
			tern_qstat_add(&q->stats.nombuf, 1); /* the frame waits in the ring */
			break;
		}
		nb = (uint16_t)(nb + ret);
		q->bounce_len = 0;
		/*
		 * Release: our copy of the frame is done before the kernel may
		 * write the slot again (packet_mmap.rst: set TP_STATUS_KERNEL to
		 * give the frame back).
		 */
		status_store(&h->tp_status, TP_STATUS_KERNEL);
		q->head = q->head + 1 == q->nb_frames ? 0 : q->head + 1;
		if (tern_unlikely(q->pend_cnt > 0))
			break;
	}
	if (b.i < b.n)
		tern_mempool_put_bulk(q->mp, (void *const *)(b.p + b.i), b.n - b.i);
out:
	for (uint16_t k = 0; k < nb; k++)
		bytes += pkts[k]->pkt_len;
	tern_qstat_add(&q->stats.packets, nb);
	tern_qstat_add(&q->stats.bytes, bytes);
	return nb;
}

/* ---- TX fast path ------------------------------------------------------- */

uint16_t afp_tx_burst(void *queue, struct tern_pkt **pkts, uint16_t n)
{
	struct afp_txq *q = queue;
	uint64_t bytes = 0, errors = 0;
	uint32_t queued = 0;
	bool full = false;
	uint16_t i;

	for (i = 0; i < n; i++) {
		struct tpacket2_hdr *h = (void *)q->frames[q->head];
		uint8_t *data = (uint8_t *)h + AFP_TX_DATA_OFF;
		const struct tern_pkt *p = pkts[i];

		/*
		 * Acquire: pairs with the kernel's release of the frame once sent
		 * (tpacket_destruct_skb sets TP_STATUS_AVAILABLE after its smp_wmb):
		 * it no longer reads the bytes we are about to overwrite.
		 */
		if (status_load(&h->tp_status) != TP_STATUS_AVAILABLE) {
			full = true; /* the caller keeps pkts[i..n) */
			break;
		}
		if (tern_unlikely(p->pkt_len > q->max_len || p->pkt_len < TERN_ETHER_HDR_LEN)) {
			errors++; /* taken and freed below, as a NIC would drop it */
			continue;
		}
		/* A zeroed virtio_net_hdr: no checksum, no GSO asked of the kernel. */
		memset(data, 0, AFP_VNET_LEN);
		data += AFP_VNET_LEN;
		for (const struct tern_pkt *s = p; s != NULL; s = s->next) {
			memcpy(data, tern_pkt_mtod(s, const uint8_t *), s->data_len);
			data += s->data_len;
		}
		h->tp_len = (uint32_t)(AFP_VNET_LEN + p->pkt_len);
		/*
		 * Release: the frame and tp_len are written before the kernel sees
		 * TP_STATUS_SEND_REQUEST (packet_mmap.rst, TX ring; it reads the
		 * status, then the frame).
		 */
		status_store(&h->tp_status, TP_STATUS_SEND_REQUEST);
		q->head = q->head + 1 == q->nb_frames ? 0 : q->head + 1;
		bytes += p->pkt_len;
		queued++;
	}
	/*
	 * One kick for the burst: the kernel sends every SEND_REQUEST frame in
	 * ring order. Also when the ring was full: frames an earlier kick left
	 * behind (ENOBUFS, or ENETDOWN while the link was down) go now. Frames
	 * in the ring count as sent, as descriptors handed to a NIC do; the
	 * kernel skips the ones it cannot send (PACKET_LOSS).
	 */
	if (queued > 0 || full)
		(void)sendto(q->fd, NULL, 0, MSG_DONTWAIT, NULL, 0);
	tern_pkt_free_bulk(pkts, i);
	tern_qstat_add(&q->stats.packets, queued);
	tern_qstat_add(&q->stats.bytes, bytes);
	if (errors > 0)
		tern_qstat_add(&q->stats.errors, errors);
	return i;
}
