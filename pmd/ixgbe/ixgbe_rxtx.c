/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ixgbe_rxtx.c - the 82599 fast path: descriptor rings and their queues
 * (7.1, 7.2), the RX burst with its bulk refill, the TX burst with its
 * batched clean. ixgbe.c programs the rings into the NIC at start.
 *
 * In the order of this file:
 *   queues    7.1/7.2 descriptor rings in DMA memory, one mempool per RX queue
 *   drain             every buffer back once the NIC is off a ring
 *   RX        7.1.6   advanced RX descriptors, refilled in bulk, RDT once per burst
 *   TX        7.2.3   advanced TX descriptors, cleaned in batches by the DD bit
 *
 * A removed device's bursts are never called: the port layer switches them
 * to a no-op (tern_port_dev_removed).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ixgbe.h"
#include "tern_error.h"
#include "tern_log.h"
#include "tern_memory.h"
#include "tern_mempool.h"

/* ---- 7.1/7.2 queues: rings, setup, release ------------------------------------ */

/* nb_desc: 0 for the default, else a power of two (masking instead of division). */
static int ring_size(struct tern_port_dev *dev, const char *what, uint16_t qid, uint16_t *nb_desc)
{
	if (*nb_desc == 0)
		*nb_desc = IXGBE_DESC_DEF;
	if ((*nb_desc & (*nb_desc - 1)) != 0) {
		return tern_error(
		    EINVAL, IXGBE_LOG,
		    "%s: %s queue %u: %u descriptors: give a power of two from %u to %u", dev->name,
		    what, qid, *nb_desc, IXGBE_DESC_MIN, IXGBE_DESC_MAX);
	}
	return 0;
}

/*
 * A descriptor ring in DMA memory: 128-byte aligned, one IOVA range (7.1.9,
 * 7.2.3.3). 0, or a negative errno after the one line that says why.
 */
static int ring_alloc(struct tern_port_dev *dev, const char *what, uint16_t qid, uint16_t n,
                      int socket, void **ringp)
{
	size_t len = (size_t)n * 16;
	void *ring = tern_dma_zalloc(what, len, 128, socket);

	if (ring == NULL) {
		return tern_error(ENOMEM, IXGBE_LOG, "%s: %s queue %u: no DMA memory for %zu bytes",
		                  dev->name, what, qid, len);
	}
	if (!tern_dma_iova_contig(ring, len)) {
		tern_dma_free(ring);
		return tern_error(ENOMEM, IXGBE_LOG,
		                  "%s: %s queue %u: ring of %zu bytes crosses pages: use hugepages",
		                  dev->name, what, qid, len);
	}
	*ringp = ring;
	return 0;
}

static void rxq_free(struct ixgbe_rxq *q)
{
	if (q == NULL)
		return;
	tern_dma_free((void *)q->ring);
	free(q->bufs);
	free(q);
}

int ixgbe_rx_queue_setup(struct tern_port_dev *dev, uint16_t qid, uint16_t nb_desc, int socket,
                         struct tern_mempool *mp, void **queue, struct tern_qstats **stats)
{
	struct ixgbe_port *p = ixgbe_port(dev);
	struct ixgbe_rxq *q;
	void *ring = NULL;
	uint16_t room;
	int ret = ring_size(dev, "RX", qid, &nb_desc);

	if (ret < 0)
		return ret;
	if (ixgbe_removal_check(p))
		return -ENODEV;
	/* 8.2.3.7.2 SRRCTL.BSIZEPACKET: the data room after the headroom, in whole KiB. */
	room = tern_pktpool_data_room(mp);
	if (room < 1024) {
		return tern_error(
		    EINVAL, IXGBE_LOG,
		    "%s: RX queue %u: pool %s has %u bytes of data room, the 82599 needs 1024",
		    dev->name, qid, tern_mempool_name(mp), room);
	}
	q = aligned_alloc(TERN_CACHE_LINE_SIZE, sizeof(*q));
	if (q == NULL)
		goto nomem;
	memset(q, 0, sizeof(*q));
	/* An array of pointers, sized by the pointer type on purpose. */
	q->bufs = calloc(nb_desc, sizeof(*q->bufs)); // NOLINT(bugprone-sizeof-expression)
	if (q->bufs == NULL) {
		rxq_free(q);
		goto nomem;
	}
	if (socket == TERN_SOCKET_ID_ANY)
		socket = dev->socket;
	ret = ring_alloc(dev, "ixgbe RX ring", qid, nb_desc, socket, &ring);
	if (ret < 0) {
		rxq_free(q);
		return ret;
	}
	q->ring = ring;
	q->pci = p->pci;
	q->mp = mp;
	q->port = p;
	q->rdt_reg = IXGBE_RDT(qid);
	q->nb_desc = nb_desc;
	q->mask = (uint16_t)(nb_desc - 1);
	q->port_id = dev->port_id;
	q->qid = qid;
	q->buf_size = (uint16_t)(TERN_MIN(room, 15u * 1024) & ~1023u);
	q->stats_poll = IXGBE_STATS_POLLS;
	*queue = q;
	*stats = &q->stats;
	return 0;
nomem:
	return tern_error(ENOMEM, IXGBE_LOG, "%s: RX queue %u: out of memory", dev->name, qid);
}

static void txq_free(struct ixgbe_txq *q)
{
	if (q == NULL)
		return;
	tern_dma_free((void *)q->ring);
	free(q->bufs);
	free(q->rs_fifo);
	free(q);
}

int ixgbe_tx_queue_setup(struct tern_port_dev *dev, uint16_t qid, uint16_t nb_desc, int socket,
                         void **queue, struct tern_qstats **stats)
{
	struct ixgbe_port *p = ixgbe_port(dev);
	struct ixgbe_txq *q;
	void *ring = NULL;
	int ret = ring_size(dev, "TX", qid, &nb_desc);

	if (ret < 0)
		return ret;
	if (ixgbe_removal_check(p))
		return -ENODEV;
	q = aligned_alloc(TERN_CACHE_LINE_SIZE, sizeof(*q));
	if (q == NULL)
		goto nomem;
	memset(q, 0, sizeof(*q));
	/* RS points: at most one per RS_THRESH descriptors; a power of two for the mask. */
	q->rs_mask = (uint16_t)(nb_desc - 1);
	/* An array of pointers, sized by the pointer type on purpose. */
	q->bufs = calloc(nb_desc, sizeof(*q->bufs)); // NOLINT(bugprone-sizeof-expression)
	q->rs_fifo = calloc(nb_desc, sizeof(*q->rs_fifo));
	if (q->bufs == NULL || q->rs_fifo == NULL) {
		txq_free(q);
		goto nomem;
	}
	if (socket == TERN_SOCKET_ID_ANY)
		socket = dev->socket;
	ret = ring_alloc(dev, "ixgbe TX ring", qid, nb_desc, socket, &ring);
	if (ret < 0) {
		txq_free(q);
		return ret;
	}
	q->ring = ring;
	q->pci = p->pci;
	q->port = p;
	q->tdt_reg = IXGBE_TDT(qid);
	q->nb_desc = nb_desc;
	q->mask = (uint16_t)(nb_desc - 1);
	q->stats_poll = IXGBE_STATS_POLLS;
	*queue = q;
	*stats = &q->stats;
	return 0;
nomem:
	return tern_error(ENOMEM, IXGBE_LOG, "%s: TX queue %u: out of memory", dev->name, qid);
}

void ixgbe_rx_queue_release(struct tern_port_dev *dev, void *queue)
{
	(void)dev;
	rxq_free(queue);
}

void ixgbe_tx_queue_release(struct tern_port_dev *dev, void *queue)
{
	(void)dev;
	txq_free(queue);
}

/* ---- drain ------------------------------------------------------------------ */

void ixgbe_rxq_drain(struct ixgbe_rxq *q)
{
	for (uint16_t d = 0; d < q->nb_desc; d++) {
		tern_pkt_free(q->bufs[d]);
		q->bufs[d] = NULL;
	}
	tern_pkt_free(q->first);
	q->first = q->last = NULL;
	q->discard = false;
	q->nb_hold = 0;
}

void ixgbe_txq_drain(struct ixgbe_txq *q)
{
	for (uint16_t d = 0; d < q->nb_desc; d++) {
		tern_pkt_free(q->bufs[d]);
		q->bufs[d] = NULL;
	}
}

/* ---- 7.1 receive: the fast path --------------------------------------------- */

/*
 * Give the nb_hold descriptors before `next` new buffers, all at once, and
 * move RDT to the last of them. RDT stays one behind the software head:
 * descriptor `next - 1` is filled but not the NIC's, so RDT == RDH always
 * means "ring empty", never "ring full" (7.1.9).
 */
/* Out of line, as tx_clean: once per 32 descriptors. */
static __attribute__((noinline)) void rx_refill(struct ixgbe_rxq *q)
{
	uint16_t n = q->nb_hold, first = (uint16_t)((q->next - n) & q->mask);
	/* The batch may wrap: get into the ring's own array in up to two runs. */
	uint16_t run = (uint16_t)TERN_MIN(n, q->nb_desc - first);
	void **bufs = (void **)&q->bufs[first];

	if (tern_unlikely(tern_mempool_get_bulk(q->mp, bufs, run) < 0)) {
		/* Pool empty: nothing is dropped, the NIC keeps what it has; retry next burst. */
		tern_qstat_add(&q->stats.nombuf, n);
		return;
	}
	if (run < n && tern_unlikely(tern_mempool_get_bulk(q->mp, (void **)q->bufs, n - run) < 0)) {
		tern_mempool_put_bulk(q->mp, bufs, run);
		tern_qstat_add(&q->stats.nombuf, n);
		return;
	}
	for (uint16_t i = 0, idx = first; i < n; i++, idx = (uint16_t)((idx + 1) & q->mask))
		rx_post(q, idx, q->bufs[idx]);
	q->nb_hold = 0;
	/* Release: the descriptors above before the doorbell; pairs with the NIC's fetch after RDT.
	 */
	tern_pci_wmb();
	wr32(q->pci, q->rdt_reg, (uint16_t)((q->next - 1) & q->mask));
}

uint16_t ixgbe_rx_burst(void *queue, struct tern_pkt **pkts, uint16_t n)
{
	struct ixgbe_rxq *q = queue;
	struct tern_pkt *first = q->first, *last = q->last;
	uint16_t next = q->next, nb_rx = 0, nb_done = 0;

	while (nb_rx < n) {
		volatile union ixgbe_adv_rx_desc *d = &q->ring[next];
		uint32_t status = d->wb.status_error;
		struct tern_pkt *seg;

		if (!(status & IXGBE_RXD_STAT_DD))
			break;
		/* Acquire: DD seen, now the rest of the descriptor and the data; pairs with the
		 * NIC's write-back. */
		tern_pci_rmb();
		seg = q->bufs[next];
		/*
		 * DD on a descriptor that holds no buffer of ours (past RDT) is a
		 * device fault: leave it, as if not done, rather than follow it.
		 */
		if (tern_unlikely(seg == NULL))
			break;
		q->bufs[next] = NULL;
		seg->data_len = d->wb.length;
		next = (uint16_t)((next + 1) & q->mask);
		nb_done++;

		if (tern_unlikely(q->discard)) {
			/* The rest of a frame already dropped: free up to its EOP. */
			tern_pkt_free(seg);
			q->discard = !(status & IXGBE_RXD_STAT_EOP);
			continue;
		}
		/* 7.1.6.2: a frame larger than one buffer spans descriptors; EOP on the last. */
		if (first == NULL) {
			first = seg;
			first->pkt_len = seg->data_len;
			first->nb_segs = 1;
			first->ol_flags = 0;
			first->vlan_tci = 0;
		} else {
			last->next = seg;
			first->pkt_len += seg->data_len;
			first->nb_segs++;
		}
		last = seg;
		/*
		 * The NIC writes at most buf_size (SRRCTL) per descriptor, at most
		 * MAXFRS per frame, and fills a buffer before it takes the next: a
		 * length past either, or more descriptors than a largest frame
		 * needs (empty ones, EOP never coming), is a device fault. Drop the
		 * frame, never run past a buffer or chain without end.
		 */
		if (tern_unlikely(seg->data_len > q->buf_size || first->pkt_len > IXGBE_MAX_FRAME ||
		                  first->nb_segs > IXGBE_RX_MAX_SEGS)) {
			tern_qstat_add(&q->stats.errors, 1);
			tern_pkt_free(first);
			first = NULL;
			q->discard = !(status & IXGBE_RXD_STAT_EOP);
			continue;
		}
		if (!(status & IXGBE_RXD_STAT_EOP))
			continue;
		if (tern_unlikely(status & IXGBE_RXDADV_ERR_RXE)) {
			tern_qstat_add(&q->stats.errors, 1);
			tern_pkt_free(first);
			first = NULL;
			continue;
		}
		/*
		 * 7.1.2.8.1: the RSS hash, in the descriptor since RXCSUM.PCSD is
		 * set; RSS type 0 says the NIC hashed nothing (not IP, RSS off).
		 */
		first->rss_hash = d->wb.rss_hash;
		if (d->wb.pkt_info & IXGBE_RXDADV_RSSTYPE_MASK)
			first->ol_flags = TERN_PKT_F_RX_RSS_HASH;
		first->port = q->port_id;
		pkts[nb_rx++] = first;
		first = NULL;
	}
	q->next = next;
	q->first = first;
	q->last = last;
	q->nb_hold = (uint16_t)(q->nb_hold + nb_done);
	if (q->nb_hold >= IXGBE_RX_FREE_THRESH)
		rx_refill(q);
	if (tern_unlikely(--q->stats_poll == 0)) {
		q->stats_poll = IXGBE_STATS_POLLS;
		ixgbe_stats_maybe_fold(q->port);
	}
	return nb_rx;
}

/* ---- 7.2 transmit: the fast path --------------------------------------------- */

/* Free what the NIC has sent: each RS descriptor whose DD is set ends a batch. */
/* Out of line: it runs once per RS batch, and inlined it would crowd the burst's registers. */
static __attribute__((noinline)) void tx_clean(struct ixgbe_txq *q)
{
	struct tern_pkt *done[2 * IXGBE_TX_RS_THRESH];
	struct tern_pkt **bufs = q->bufs;
	const uint16_t mask = q->mask;
	uint16_t clean = q->clean, nb_free = q->nb_free;
	unsigned nb = 0;

	while (q->rs_head != q->rs_tail) {
		uint16_t rs = q->rs_fifo[q->rs_head & q->rs_mask];

		if (!(q->ring[rs].wb.status & IXGBE_ADVTXD_STAT_DD))
			break;
		/* Acquire: the NIC is done with these buffers; pairs with its DD write-back. */
		tern_pci_rmb();
		q->rs_head++;
		/* Descriptors clean..rs: the packets end at the ones with a buffer set. */
		nb_free = (uint16_t)(nb_free + ((rs - clean) & mask) + 1);
		for (uint16_t i = clean;; i = (uint16_t)((i + 1) & mask)) {
			if (bufs[i] != NULL) {
				done[nb++] = bufs[i];
				bufs[i] = NULL;
				if (nb == TERN_DIM(done)) {
					tern_pkt_free_bulk(done, nb);
					nb = 0;
				}
			}
			if (i == rs)
				break;
		}
		clean = (uint16_t)((rs + 1) & mask);
	}
	q->clean = clean;
	q->nb_free = nb_free;
	tern_pkt_free_bulk(done, nb);
}

/* 7.2.3.3: more than 40 descriptors per packet is beyond the NIC: refused and freed. */
static __attribute__((noinline, cold)) void tx_refuse(struct ixgbe_txq *q, struct tern_pkt *pkt)
{
	tern_qstat_add(&q->stats.errors, 1);
	tern_pkt_free(pkt);
}

uint16_t ixgbe_tx_burst(void *queue, struct tern_pkt **pkts, uint16_t n)
{
	struct ixgbe_txq *q = queue;
	volatile union ixgbe_adv_tx_desc *ring = q->ring;
	struct tern_pkt **bufs = q->bufs;
	const uint16_t mask = q->mask;
	uint16_t tail = q->tail, nb_free, since_rs, nb_tx;

	if (q->nb_free < 2 * IXGBE_TX_RS_THRESH)
		tx_clean(q);
	/* In locals: the stores into the ring cannot then make the compiler reload them. */
	nb_free = q->nb_free;
	since_rs = q->since_rs;

	for (nb_tx = 0; nb_tx < n; nb_tx++) {
		struct tern_pkt *pkt = pkts[nb_tx];
		uint16_t nb_segs = pkt->nb_segs;
		uint32_t olinfo = pkt->pkt_len << IXGBE_ADVTXD_PAYLEN_SHIFT;
		uint32_t last_cmd = IXGBE_ADVTXD_DCMD_EOP;
		uint16_t eop = tail;

		if (tern_unlikely(nb_segs > IXGBE_TX_MAX_SEGS)) {
			tx_refuse(q, pkt);
			continue;
		}
		if (nb_segs > nb_free)
			break; /* the ring is full: the caller keeps the rest */
		/* 7.2.3.2.4 RS: a DD write-back every RS_THRESH descriptors, at a packet's end. */
		since_rs = (uint16_t)(since_rs + nb_segs);
		if (since_rs >= IXGBE_TX_RS_THRESH)
			last_cmd |= IXGBE_ADVTXD_DCMD_RS;
		/* 7.2.3.2.4 advanced data descriptors, one per segment, EOP on the last. */
		for (struct tern_pkt *seg = pkt; seg != NULL; seg = seg->next) {
			volatile union ixgbe_adv_tx_desc *d = &ring[tail];
			uint32_t cmd = IXGBE_ADVTXD_DTYP_DATA | IXGBE_ADVTXD_DCMD_DEXT |
			               IXGBE_ADVTXD_DCMD_IFCS | seg->data_len;

			d->read.buffer_addr = tern_pkt_data_iova(seg);
			d->read.cmd_type_len = seg->next == NULL ? cmd | last_cmd : cmd;
			d->read.olinfo_status = olinfo;
			eop = tail;
			tail = (uint16_t)((tail + 1) & mask);
		}
		bufs[eop] = pkt;
		nb_free = (uint16_t)(nb_free - nb_segs);
		if (last_cmd & IXGBE_ADVTXD_DCMD_RS) {
			q->rs_fifo[q->rs_tail++ & q->rs_mask] = eop;
			since_rs = 0;
		}
	}
	q->nb_free = nb_free;
	q->since_rs = since_rs;
	if (tail != q->tail) {
		q->tail = tail;
		/* Release: descriptors and packet data before TDT; pairs with the NIC's fetch. */
		tern_pci_wmb();
		wr32(q->pci, q->tdt_reg, tail);
	}
	if (tern_unlikely(--q->stats_poll == 0)) {
		q->stats_poll = IXGBE_STATS_POLLS;
		ixgbe_stats_maybe_fold(q->port);
	}
	return nb_tx;
}
