/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * virtio_net.c - the virtio-net poll-mode driver (virtio 1.0 section 5.1).
 *
 *   -a DDDD:BB:DD.F[,legacy=1][,access=vfio|noiommu|sysfs]
 *
 * Read from the bottom up: virtio_pci_probe() finds the transport and reads
 * what the device offers; virtio_start() is the initialization sequence of
 * 3.1.1 (reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK, virtqueues,
 * DRIVER_OK); the bursts above it move packets through split virtqueues.
 * The device never interrupts us (VRING_AVAIL_F_NO_INTERRUPT, no MSI-X):
 * queues are polled. legacy=1 takes the legacy interface of a transitional
 * device even when it offers the modern one (for tests; 4.1.4.8).
 *
 * Buffers: an RX descriptor covers the packet's data room plus the
 * virtio_net_hdr just in front of it, inside the headroom, so frames land
 * where tern_pkt expects them and no copy is made. TX puts the header into
 * the headroom too when the layout allows (ANY_LAYOUT or VERSION_1, one
 * owner, room), else into a per-descriptor header slot of the queue.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tern_log.h"
#include "tern_memory.h"
#include "tern_mempool.h"
#include "tern_pkt.h"
#include "virtio.h"

#define VIRTIO_RX_REFILL    32 /* buffers taken from the pool at a time */
#define VIRTIO_TX_FREE      64 /* packets given back to their pool at a time */
#define VIRTIO_MAX_PKTLEN   9018
#define VIRTIO_CTRL_WAIT_MS 5000

struct virtio_port {
	struct tern_port_dev dev;
	struct virtio_hw hw;
	uint16_t max_pairs;        /* queue pairs the device has (5.1.4 max_virtqueue_pairs) */
	uint16_t rx_size, tx_size; /* device sizes of queues 0 and 1 */
	uint16_t cvq_size;         /* of the control queue */
	struct virtqueue *cvq;     /* control queue, when CTRL_VQ is negotiated */
	bool started;
	bool removed;                /* the function reads all ones: gone from the bus */
	bool needs_reset_said;       /* DEVICE_NEEDS_RESET reported since the last start */
	int promisc;                 /* -1: the device default (QEMU: on), else 0/1 */
	uint8_t *ctrl;               /* DMA: command header, data, ack */
	struct tern_port_stats gone; /* counters of released queues */
};

static inline struct virtio_port *virtio_port(struct tern_port_dev *dev)
{
	return tern_container_of(dev, struct virtio_port, dev);
}

/* A counter only the queue's poller writes: load + store, no locked add (see null.c). */
static inline void count(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
	                      memory_order_relaxed);
}

static inline uint64_t counter(_Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

/* ---- RX (5.1.6.3 - 5.1.6.4) --------------------------------------------- */

/*
 * 5.1.6.3: give the device empty buffers, VIRTIO_RX_REFILL at a time from
 * the pool. An empty pool stops the refill (counted in nombuf); the
 * descriptors stay free and the next burst tries again. 2.4.6: one avail
 * idx update and at most one notification for all of it.
 */
static void rx_refill(struct virtqueue *vq, bool kick)
{
	struct tern_pkt *fresh[VIRTIO_RX_REFILL];
	uint16_t filled = 0;

	while (vq->nb_free > 0) {
		uint16_t k = TERN_MIN(vq->nb_free, (uint16_t)VIRTIO_RX_REFILL);

		if (tern_unlikely(tern_pkt_alloc_bulk(vq->mp, fresh, k) < 0)) {
			count(&vq->nombuf, k);
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
			/* 2.4.6 step 2: the descriptor's id into the next avail slot. */
			vq->avail->ring[vq->avail_idx++ & vq->mask] = id;
		}
		filled += k;
	}
	if (filled == 0)
		return;
	if (kick)
		virtqueue_kick(vq);
	else
		virtqueue_publish(vq); /* 3.1.1: no notification before DRIVER_OK */
}

/* Take used entry number `vq->used_last`: its buffer, its length; the descriptor is free again. */
static inline struct tern_pkt *rx_take(struct virtqueue *vq, uint32_t *len)
{
	const struct vring_used_elem *e = &vq->used->ring[vq->used_last++ & vq->mask];
	uint32_t id = e->id;
	struct tern_pkt *p;

	*len = e->len;
	if (tern_unlikely(id >= vq->size || vq->sw[id] == NULL))
		return NULL; /* a device bug; counted by the caller */
	p = vq->sw[id];
	vq->sw[id] = NULL;
	vq_desc_put(vq, (uint16_t)id, (uint16_t)id, 1);
	return p;
}

static uint16_t virtio_rx_burst(void *queue, struct tern_pkt **pkts, uint16_t n)
{
	struct virtqueue *vq = queue;
	uint16_t pending = vq_used_pending(vq); /* acquire inside: 2.4.8 */
	uint16_t got = 0;
	uint64_t bytes = 0, errors = 0;

	while (got < n && pending > 0) {
		const struct vring_used_elem *e = &vq->used->ring[vq->used_last & vq->mask];
		struct tern_pkt *head, *prev;
		uint16_t nbuf = 1;
		uint32_t len;

		/*
		 * 5.1.6.4: with MRG_RXBUF the first buffer's header says how many
		 * used entries make up the frame; wait until all are published.
		 */
		if (vq->mrg && tern_likely(e->id < vq->size && vq->sw[e->id] != NULL)) {
			const struct tern_pkt *p = vq->sw[e->id];
			const struct virtio_net_hdr *h =
			    (const struct virtio_net_hdr *)((const char *)p->buf_addr +
			                                    p->data_off - vq->hdr_len);

			nbuf = h->num_buffers != 0 ? h->num_buffers : 1;
			if (tern_unlikely(nbuf > vq->size))
				nbuf =
				    1; /* a device bug: never wait for more than the ring holds */
			if (nbuf > pending)
				break;
		}
		pending -= nbuf;
		head = rx_take(vq, &len);
		/*
		 * virtio 1.0 2.4.8: the device writes at most the buffer's length. A used
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
	rx_refill(vq, true);
	if (got > 0) {
		count(&vq->packets, got);
		count(&vq->bytes, bytes);
	}
	if (tern_unlikely(errors > 0))
		count(&vq->errors, errors);
	return got;
}

/* ---- TX (5.1.6.2) -------------------------------------------------------- */

/*
 * Descriptor chains the device has used go back on the free list, and
 * their packets to their pools, VIRTIO_TX_FREE at a time.
 */
static void tx_reclaim(struct virtqueue *vq)
{
	struct tern_pkt *done[VIRTIO_TX_FREE];
	uint16_t pending = vq_used_pending(vq); /* acquire inside: 2.4.8 */
	unsigned k = 0;

	while (pending-- > 0) {
		uint16_t head = (uint16_t)vq->used->ring[vq->used_last++ & vq->mask].id;
		uint16_t tail = head, cnt = 1;

		if (tern_unlikely(head >= vq->size || vq->sw[head] == NULL))
			continue; /* a device bug: nothing of ours to free */
		while (vq->desc[tail].flags & VRING_DESC_F_NEXT) {
			tail = vq->desc[tail].next;
			cnt++;
		}
		vq_desc_put(vq, head, tail, cnt);
		done[k++] = vq->sw[head];
		vq->sw[head] = NULL;
		if (k == VIRTIO_TX_FREE) {
			tern_pkt_free_bulk(done, k);
			k = 0;
		}
	}
	tern_pkt_free_bulk(done, k);
}

static uint16_t virtio_tx_burst(void *queue, struct tern_pkt **pkts, uint16_t n)
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
		uint16_t head, id;
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
			id = vq_desc_get(vq);
			d->next = id;
			d = &vq->desc[id];
		}
		/* 2.4.4: one descriptor per segment, chained with NEXT. */
		for (struct tern_pkt *seg = p; seg != NULL; seg = seg->next) {
			d->addr = tern_pkt_data_iova(seg);
			d->len = seg->data_len;
			if (seg->next == NULL) {
				d->flags = 0;
				break;
			}
			d->flags = VRING_DESC_F_NEXT;
			id = vq_desc_get(vq);
			d->next = id;
			d = &vq->desc[id];
		}
		vq->sw[head] = p;
		vq->avail->ring[vq->avail_idx++ & vq->mask] = head; /* 2.4.6 step 2 */
	}
	if (sent > dropped) {
		virtqueue_kick(vq); /* one idx update, at most one notification per burst */
		count(&vq->packets, sent - dropped);
		count(&vq->bytes, bytes);
	}
	if (tern_unlikely(dropped > 0))
		count(&vq->errors, dropped);
	return sent;
}

/* ---- control queue (5.1.6.5) --------------------------------------------- */

/* Send one command (class, cmd, data) and wait for the device's ack. */
static int ctrl_cmd(struct virtio_port *vp, uint8_t cls, uint8_t cmd, const void *data,
                    uint16_t len)
{
	struct virtqueue *vq = vp->cvq;
	tern_iova_t iova = tern_dma_virt2iova(vp->ctrl);
	uint16_t d0, d1, d2;

	if (vq->nb_free < 3) { /* a command that timed out still holds its descriptors */
		tern_log(TERN_LOG_ERR, VIRTIO_LOG, "%s: control queue busy", vp->hw.name);
		return -EBUSY;
	}
	/* 5.1.6.5: header {class, command}, then data, then the ack the device writes. */
	vp->ctrl[0] = cls;
	vp->ctrl[1] = cmd;
	memcpy(vp->ctrl + 8, data, len);
	vp->ctrl[63] = 0xff;
	d0 = vq_desc_get(vq);
	d1 = vq_desc_get(vq);
	d2 = vq_desc_get(vq);
	vq->desc[d0] = (struct vring_desc){iova, 2, VRING_DESC_F_NEXT, d1};
	vq->desc[d1] = (struct vring_desc){iova + 8, len, VRING_DESC_F_NEXT, d2};
	vq->desc[d2] = (struct vring_desc){iova + 63, 1, VRING_DESC_F_WRITE, 0};
	vq->avail->ring[vq->avail_idx++ & vq->mask] = d0;
	virtqueue_kick(vq);
	for (int ms = 0; vq_used_pending(vq) == 0; ms++) {
		if (ms == VIRTIO_CTRL_WAIT_MS) {
			tern_log(TERN_LOG_ERR, VIRTIO_LOG,
			         "%s: control command %u.%u: no answer "
			         "within %d ms",
			         vp->hw.name, cls, cmd, VIRTIO_CTRL_WAIT_MS);
			return -ETIMEDOUT;
		}
		nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
	}
	vq->used_last++; /* the one chain we lent */
	vq_desc_put(vq, d0, d2, 3);
	if (*(volatile uint8_t *)&vp->ctrl[63] != VIRTIO_NET_OK) {
		tern_log(TERN_LOG_ERR, VIRTIO_LOG, "%s: control command %u.%u refused (ack %u)",
		         vp->hw.name, cls, cmd, vp->ctrl[63]);
		return -EIO;
	}
	return 0;
}

/* ---- device life cycle (3.1) --------------------------------------------- */

static void virtio_release_all(struct virtio_port *vp)
{
	for (uint16_t i = 0; i < tern_port_dev_nb_rxq(&vp->dev); i++)
		if (tern_port_dev_rxq(&vp->dev, i) != NULL)
			virtqueue_release_pkts(tern_port_dev_rxq(&vp->dev, i));
	for (uint16_t i = 0; i < tern_port_dev_nb_txq(&vp->dev); i++)
		if (tern_port_dev_txq(&vp->dev, i) != NULL)
			virtqueue_release_pkts(tern_port_dev_txq(&vp->dev, i));
}

/*
 * Whether the device has left the bus (surprise removal, or dead): a PCI
 * function that is gone reads all ones, and status 0xff is no state a
 * device can be in (FAILED together with DRIVER_OK and every other bit). A
 * device that is gone can no longer DMA, so its buffers are ours again.
 * Checked where the control path reads the device anyway; said once.
 */
static bool virtio_gone(struct virtio_port *vp)
{
	if (!vp->removed && vp->hw.ops->get_status(&vp->hw) == 0xff) {
		vp->removed = true;
		tern_log(TERN_LOG_ERR, VIRTIO_LOG,
		         "%s (port %u): device stopped answering (status reads 0xff): port down; "
		         "close it and re-probe once the device is back",
		         vp->hw.name, vp->dev.port_id);
	}
	return vp->removed;
}

static int virtio_refuse_gone(struct virtio_port *vp, const char *what)
{
	tern_log(TERN_LOG_ERR, VIRTIO_LOG, "%s (port %u): %s: the device is gone: close the port",
	         vp->hw.name, vp->dev.port_id, what);
	return -ENODEV;
}

/* 3.1.1 step 8 on failure: FAILED; then reset so that no DMA is left in flight. */
static int virtio_fail(struct virtio_port *vp, int ret)
{
	vp->hw.ops->set_status(&vp->hw, VIRTIO_CONFIG_S_FAILED);
	virtio_reset(&vp->hw);
	virtio_release_all(vp);
	return ret;
}

static int virtio_setup_queue(struct virtio_hw *hw, struct virtqueue *vq)
{
	virtqueue_init(vq);
	return hw->ops->setup_queue(hw, vq);
}

static int virtio_start(struct tern_port_dev *dev)
{
	struct virtio_port *vp = virtio_port(dev);
	struct virtio_hw *hw = &vp->hw;
	uint8_t status;
	int ret;

	if (virtio_gone(vp))
		return virtio_refuse_gone(vp, "start");
	vp->needs_reset_said = false;
	/* 3.1.1 steps 1-3: reset, ACKNOWLEDGE (we saw it), DRIVER (we can drive it). */
	ret = virtio_reset(hw);
	if (ret < 0)
		return ret;
	hw->ops->set_status(hw, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	status = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;
	hw->ops->set_status(hw, status);
	/* Step 4: the features chosen at probe, a subset of what the device offers. */
	hw->ops->set_features(hw, hw->features);
	/* Steps 5-6 (not for legacy, 3.1.2): FEATURES_OK, and check the device kept it. */
	if (virtio_has(hw, VIRTIO_F_VERSION_1)) {
		status |= VIRTIO_CONFIG_S_FEATURES_OK;
		hw->ops->set_status(hw, status);
		if (!(hw->ops->get_status(hw) & VIRTIO_CONFIG_S_FEATURES_OK)) {
			tern_log(TERN_LOG_ERR, VIRTIO_LOG, "%s: device refused features 0x%llx",
			         hw->name, (unsigned long long)hw->features);
			return virtio_fail(vp, -EIO);
		}
	}
	/* Step 7: virtqueues (4.1.5.1.3), RX rings filled before the device goes live. */
	for (uint16_t i = 0; i < tern_port_dev_nb_rxq(dev); i++) {
		ret = virtio_setup_queue(hw, tern_port_dev_rxq(dev, i));
		if (ret < 0)
			return virtio_fail(vp, ret);
	}
	for (uint16_t i = 0; i < tern_port_dev_nb_txq(dev); i++) {
		ret = virtio_setup_queue(hw, tern_port_dev_txq(dev, i));
		if (ret < 0)
			return virtio_fail(vp, ret);
	}
	if (vp->cvq != NULL) {
		ret = virtio_setup_queue(hw, vp->cvq);
		if (ret < 0)
			return virtio_fail(vp, ret);
	}
	for (uint16_t i = 0; i < tern_port_dev_nb_rxq(dev); i++) {
		struct virtqueue *vq = tern_port_dev_rxq(dev, i);

		rx_refill(vq, false);
		if (vq->nb_free == vq->size) {
			tern_log(TERN_LOG_ERR, VIRTIO_LOG, "%s: RX queue %u: pool %s is empty",
			         hw->name, i, tern_mempool_name(vq->mp));
			return virtio_fail(vp, -ENOBUFS);
		}
	}
	/* Step 8: DRIVER_OK; then tell every RX queue it has buffers. */
	hw->ops->set_status(hw, status | VIRTIO_CONFIG_S_DRIVER_OK);
	for (uint16_t i = 0; i < tern_port_dev_nb_rxq(dev); i++)
		virtqueue_kick(tern_port_dev_rxq(dev, i));
	/* 5.1.6.5.5: with MQ the device starts with one pair; ask for ours. */
	if (virtio_has(hw, VIRTIO_NET_F_MQ)) {
		uint16_t pairs = TERN_MAX(tern_port_dev_nb_rxq(dev), tern_port_dev_nb_txq(dev));

		ret = ctrl_cmd(vp, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &pairs,
		               sizeof(pairs));
		if (ret < 0)
			return virtio_fail(vp, ret);
	}
	/* 5.1.6.5.1: promiscuous mode as asked for before start. */
	if (vp->promisc >= 0 && virtio_has(hw, VIRTIO_NET_F_CTRL_RX)) {
		uint8_t on = (uint8_t)vp->promisc;

		ret = ctrl_cmd(vp, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, &on, 1);
		if (ret < 0)
			return virtio_fail(vp, ret);
	}
	if (hw->ops->get_status(hw) & VIRTIO_CONFIG_S_FAILED) {
		tern_log(TERN_LOG_ERR, VIRTIO_LOG, "%s: device failed at start", hw->name);
		return virtio_fail(vp, -EIO);
	}
	vp->started = true;
	return 0;
}

/* Reset first, so the device stops its DMA; then every buffer goes back to its pool. */
static int virtio_stop(struct tern_port_dev *dev)
{
	struct virtio_port *vp = virtio_port(dev);
	int ret;

	/* A device that is gone cannot write into our buffers any more: take them back. */
	ret = virtio_gone(vp) ? 0 : virtio_reset(&vp->hw);
	if (ret < 0)
		return ret; /* the device may still write into our buffers: keep them */
	vp->started = false;
	virtio_release_all(vp);
	return 0;
}

/* 5.1.6.5.1: VIRTIO_NET_CTRL_RX_PROMISC; kept for the next start when stopped. */
static int virtio_promisc_set(struct tern_port_dev *dev, bool on)
{
	struct virtio_port *vp = virtio_port(dev);
	uint8_t v = on;
	int ret = 0;

	if (!virtio_has(&vp->hw, VIRTIO_NET_F_CTRL_RX)) {
		tern_log(TERN_LOG_ERR, VIRTIO_LOG,
		         "%s: the device offers no CTRL_RX: promiscuous "
		         "mode stays as the device has it",
		         vp->hw.name);
		return -ENOTSUP;
	}
	if (vp->started)
		ret = ctrl_cmd(vp, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, &v, 1);
	if (ret == 0)
		vp->promisc = on;
	return ret;
}

static int virtio_configure(struct tern_port_dev *dev, uint16_t nb_rxq, uint16_t nb_txq,
                            const struct tern_port_conf *conf)
{
	struct virtio_port *vp = virtio_port(dev);

	(void)nb_rxq;
	(void)nb_txq;
	if (conf != NULL && conf->mtu > VIRTIO_MAX_PKTLEN - TERN_ETHER_HDR_LEN - 4) {
		tern_log(TERN_LOG_ERR, VIRTIO_LOG, "%s: mtu %u too large", vp->hw.name, conf->mtu);
		return -EINVAL;
	}
	return 0; /* RSS: not negotiated; QEMU spreads flows over the pairs itself */
}

static void virtio_info_get(struct tern_port_dev *dev, struct tern_port_info *info)
{
	struct virtio_port *vp = virtio_port(dev);
	bool legacy = !virtio_has(&vp->hw, VIRTIO_F_VERSION_1);

	info->max_rx_queues = vp->max_pairs;
	info->max_tx_queues = vp->max_pairs;
	/* 2.4: split queue sizes are powers of two; legacy devices fix theirs (4.1.4.8). */
	info->rx_desc_min = legacy ? vp->rx_size : 64;
	info->rx_desc_max = vp->rx_size;
	info->tx_desc_min = legacy ? vp->tx_size : 64;
	info->tx_desc_max = vp->tx_size;
	info->max_rx_pktlen =
	    virtio_has(&vp->hw, VIRTIO_NET_F_MRG_RXBUF) ? VIRTIO_MAX_PKTLEN : TERN_ETHER_MAX_LEN;
	info->capa = TERN_PORT_CAPA_MULTI_SEG_TX;
	if (virtio_has(&vp->hw, VIRTIO_NET_F_MRG_RXBUF))
		info->capa |= TERN_PORT_CAPA_MULTI_SEG_RX;
	if (virtio_has(&vp->hw, VIRTIO_NET_F_STATUS))
		info->capa |= TERN_PORT_CAPA_RUNTIME_LINK;
	if (virtio_has(&vp->hw, VIRTIO_NET_F_CTRL_RX))
		info->capa |= TERN_PORT_CAPA_PROMISC;
}

static uint16_t queue_size(struct virtio_port *vp, uint16_t want, uint16_t dev_size)
{
	uint16_t size = want == 0 || want > dev_size ? dev_size : want;

	while (size & (size - 1)) /* round down to a power of two */
		size &= size - 1;
	(void)vp;
	return size;
}

static void buf_len_cb(struct tern_mempool *mp, void *opaque, void *obj, unsigned idx)
{
	(void)mp;
	if (idx == 0)
		*(uint16_t *)opaque = ((struct tern_pkt *)obj)->buf_len;
}

static int virtio_rx_queue_setup(struct tern_port_dev *dev, uint16_t qid, uint16_t nb_desc,
                                 int socket, struct tern_mempool *mp, void **queue,
                                 struct tern_qstats **stats)
{
	(void)stats; /* counters of its own until it moves to the SDK */
	struct virtio_port *vp = virtio_port(dev);
	struct virtio_hw *hw = &vp->hw;
	bool mrg = virtio_has(hw, VIRTIO_NET_F_MRG_RXBUF);
	uint16_t hdr_len = mrg || virtio_has(hw, VIRTIO_F_VERSION_1) ? VIRTIO_NET_HDR_LEN_MRG
	                                                             : VIRTIO_NET_HDR_LEN_LEGACY;
	uint16_t buf_len = 0;
	struct virtqueue *vq;

	tern_mempool_obj_iter(mp, buf_len_cb, &buf_len);
	/* Without MRG_RXBUF one buffer must hold a whole frame (5.1.6.3.1). */
	if (buf_len <= TERN_PKT_HEADROOM ||
	    (!mrg && buf_len - TERN_PKT_HEADROOM < TERN_ETHER_MAX_LEN)) {
		tern_log(TERN_LOG_ERR, VIRTIO_LOG,
		         "%s: RX queue %u: buffers of pool %s (%u bytes) "
		         "are too small: %s",
		         hw->name, qid, tern_mempool_name(mp), buf_len,
		         mrg ? "no data room after the headroom" : "a whole frame must fit");
		return -EINVAL;
	}
	vq = virtqueue_alloc(hw, VIRTIO_NET_RXQ(qid), queue_size(vp, nb_desc, vp->rx_size),
	                     socket == TERN_SOCKET_ID_ANY ? dev->socket : socket, false);
	if (vq == NULL)
		return -ENOMEM;
	vq->mp = mp;
	vq->port_id = dev->port_id;
	vq->hdr_len = hdr_len;
	vq->mrg = mrg;
	vq->rx_buf_len = (uint32_t)buf_len - TERN_PKT_HEADROOM + hdr_len;
	*queue = vq;
	return 0;
}

static int virtio_tx_queue_setup(struct tern_port_dev *dev, uint16_t qid, uint16_t nb_desc,
                                 int socket, void **queue, struct tern_qstats **stats)
{
	(void)stats; /* counters of its own until it moves to the SDK */
	struct virtio_port *vp = virtio_port(dev);
	struct virtio_hw *hw = &vp->hw;
	struct virtqueue *vq;

	vq = virtqueue_alloc(hw, VIRTIO_NET_TXQ(qid), queue_size(vp, nb_desc, vp->tx_size),
	                     socket == TERN_SOCKET_ID_ANY ? dev->socket : socket, true);
	if (vq == NULL)
		return -ENOMEM;
	vq->hdr_len = virtio_has(hw, VIRTIO_NET_F_MRG_RXBUF) || virtio_has(hw, VIRTIO_F_VERSION_1)
	                  ? VIRTIO_NET_HDR_LEN_MRG
	                  : VIRTIO_NET_HDR_LEN_LEGACY;
	vq->any_layout = virtio_has(hw, VIRTIO_F_ANY_LAYOUT) || virtio_has(hw, VIRTIO_F_VERSION_1);
	*queue = vq;
	return 0;
}

static void virtio_rx_queue_release(struct tern_port_dev *dev, void *queue)
{
	struct virtio_port *vp = virtio_port(dev);
	struct virtqueue *vq = queue;

	vp->gone.ipackets += counter(&vq->packets);
	vp->gone.ibytes += counter(&vq->bytes);
	vp->gone.ierrors += counter(&vq->errors);
	vp->gone.rx_nombuf += counter(&vq->nombuf);
	virtqueue_free(vq);
}

static void virtio_tx_queue_release(struct tern_port_dev *dev, void *queue)
{
	struct virtio_port *vp = virtio_port(dev);
	struct virtqueue *vq = queue;

	vp->gone.opackets += counter(&vq->packets);
	vp->gone.obytes += counter(&vq->bytes);
	vp->gone.oerrors += counter(&vq->errors);
	virtqueue_free(vq);
}

static void virtio_close(struct tern_port_dev *dev)
{
	struct virtio_port *vp = virtio_port(dev);

	if (!virtio_gone(vp))
		virtio_reset(&vp->hw);
	virtqueue_free(vp->cvq);
	tern_dma_free(vp->ctrl);
	tern_pci_bus_master(vp->hw.pci, false);
	tern_pci_close(vp->hw.pci);
	free(vp);
}

/* 5.1.4: link status from the config space when STATUS was negotiated, else always up. */
static int virtio_link_get(struct tern_port_dev *dev, struct tern_link *link)
{
	struct virtio_port *vp = virtio_port(dev);
	struct virtio_hw *hw = &vp->hw;
	uint16_t status = VIRTIO_NET_S_LINK_UP;

	if (virtio_gone(vp)) {
		*link = (struct tern_link){.up = false, .full_duplex = true};
		return 0;
	}
	/* 2.1.2: the device stopped serving the queues until it is reset. */
	if (vp->started && (hw->ops->get_status(hw) & VIRTIO_CONFIG_S_NEEDS_RESET)) {
		if (!vp->needs_reset_said)
			tern_log(
			    TERN_LOG_ERR, VIRTIO_LOG,
			    "%s (port %u): device needs a reset (DEVICE_NEEDS_RESET): port down; "
			    "stop and start the port",
			    hw->name, vp->dev.port_id);
		vp->needs_reset_said = true;
		*link = (struct tern_link){.up = false, .full_duplex = true};
		return 0;
	}
	if (virtio_has(hw, VIRTIO_NET_F_STATUS))
		hw->ops->read_config(hw, VIRTIO_NET_CFG_STATUS, &status, sizeof(status));
	*link = (struct tern_link){.up = (status & VIRTIO_NET_S_LINK_UP) != 0, .full_duplex = true};
	return 0;
}

static int virtio_stats_get(struct tern_port_dev *dev, struct tern_port_stats *stats)
{
	*stats = virtio_port(dev)->gone;
	for (uint16_t i = 0; i < tern_port_dev_nb_rxq(dev); i++) {
		struct virtqueue *vq = tern_port_dev_rxq(dev, i);

		if (vq == NULL)
			continue;
		stats->ipackets += counter(&vq->packets);
		stats->ibytes += counter(&vq->bytes);
		stats->ierrors += counter(&vq->errors);
		stats->rx_nombuf += counter(&vq->nombuf);
	}
	for (uint16_t i = 0; i < tern_port_dev_nb_txq(dev); i++) {
		struct virtqueue *vq = tern_port_dev_txq(dev, i);

		if (vq == NULL)
			continue;
		stats->opackets += counter(&vq->packets);
		stats->obytes += counter(&vq->bytes);
		stats->oerrors += counter(&vq->errors);
	}
	return 0;
}

static int virtio_queue_stats_get(struct tern_port_dev *dev, bool rx, uint16_t qid,
                                  struct tern_queue_stats *stats)
{
	struct virtqueue *vq = rx ? tern_port_dev_rxq(dev, qid) : tern_port_dev_txq(dev, qid);

	stats->packets = counter(&vq->packets);
	stats->bytes = counter(&vq->bytes);
	stats->errors = counter(&vq->errors);
	stats->nombuf = counter(&vq->nombuf);
	return 0;
}

static const struct tern_port_ops virtio_ops = {
    .configure = virtio_configure,
    .info_get = virtio_info_get,
    .rx_queue_setup = virtio_rx_queue_setup,
    .tx_queue_setup = virtio_tx_queue_setup,
    .rx_queue_release = virtio_rx_queue_release,
    .tx_queue_release = virtio_tx_queue_release,
    .start = virtio_start,
    .stop = virtio_stop,
    .close = virtio_close,
    .promisc_set = virtio_promisc_set,
    .link_get = virtio_link_get,
    .stats_get = virtio_stats_get,
    .queue_stats_get = virtio_queue_stats_get,
};

/* ---- probe ---------------------------------------------------------------- */

/* What we can use (5.1.3, 6); VERSION_1 only for modern, ANY_LAYOUT only matters to legacy. */
static uint64_t wanted_features(bool modern)
{
	uint64_t f = 1ull << VIRTIO_NET_F_MAC | 1ull << VIRTIO_NET_F_STATUS |
	             1ull << VIRTIO_NET_F_MRG_RXBUF | 1ull << VIRTIO_NET_F_CTRL_VQ |
	             1ull << VIRTIO_NET_F_CTRL_RX | 1ull << VIRTIO_NET_F_MQ |
	             1ull << VIRTIO_F_ACCESS_PLATFORM;

	return f | (modern ? 1ull << VIRTIO_F_VERSION_1 : 1ull << VIRTIO_F_ANY_LAYOUT);
}

static int virtio_identify(struct virtio_port *vp)
{
	struct virtio_hw *hw = &vp->hw;
	bool modern = hw->modern;
	uint16_t dev_pairs = 1;
	int ret;

	/* 3.1.1 steps 1-3. */
	ret = virtio_reset(hw);
	if (ret < 0)
		return ret;
	hw->ops->set_status(hw, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	hw->ops->set_status(hw, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	/* Step 4: read the device's features; choose ours (written at start). */
	hw->offered = hw->ops->get_features(hw);
	hw->features = hw->offered & wanted_features(modern);
	if (!virtio_has(hw, VIRTIO_NET_F_CTRL_VQ)) /* 5.1.3.1: MQ and CTRL_RX need CTRL_VQ */
		hw->features &= ~(1ull << VIRTIO_NET_F_MQ | 1ull << VIRTIO_NET_F_CTRL_RX);
	/* Under VFIO with an IOMMU, a device that bypasses it would DMA to wrong addresses. */
	if (hw->pci->access == TERN_PCI_ACCESS_VFIO && !virtio_has(hw, VIRTIO_F_ACCESS_PLATFORM)) {
		tern_log(TERN_LOG_ERR, VIRTIO_LOG,
		         "%s: under VFIO with an IOMMU the device must offer ACCESS_PLATFORM "
		         "(QEMU: iommu_platform=on), or use access=noiommu|sysfs",
		         hw->name);
		return -ENOTSUP;
	}
	/* 5.1.4: MAC and queue pairs from the device config (allowed before FEATURES_OK). */
	if (virtio_has(hw, VIRTIO_NET_F_MAC)) {
		hw->ops->read_config(hw, VIRTIO_NET_CFG_MAC, vp->dev.mac.addr, 6);
	} else {
		uint32_t r = (uint32_t)time(NULL) ^ (uint32_t)getpid() << 16 ^
		             hw->pci->addr.bus << 8 ^ hw->pci->addr.dev;
		tern_ether_addr_local(&vp->dev.mac, r);
	}
	if (virtio_has(hw, VIRTIO_NET_F_MQ))
		hw->ops->read_config(hw, VIRTIO_NET_CFG_MAX_PAIRS, &dev_pairs, sizeof(dev_pairs));
	vp->max_pairs = TERN_MAX(1, TERN_MIN(dev_pairs, TERN_MAX_QUEUES_PER_PORT));
	vp->rx_size = hw->ops->get_queue_size(hw, VIRTIO_NET_RXQ(0));
	vp->tx_size = hw->ops->get_queue_size(hw, VIRTIO_NET_TXQ(0));
	if (vp->rx_size == 0 || vp->tx_size == 0 || (vp->rx_size & (vp->rx_size - 1)) ||
	    (vp->tx_size & (vp->tx_size - 1))) {
		tern_log(TERN_LOG_ERR, VIRTIO_LOG, "%s: bad queue sizes %u/%u", hw->name,
		         vp->rx_size, vp->tx_size);
		return -EIO;
	}
	if (virtio_has(hw, VIRTIO_NET_F_CTRL_VQ)) {
		uint16_t cidx =
		    2 * TERN_MAX(dev_pairs, 1); /* 5.1.2: controlq after the last pair */

		vp->cvq_size = hw->ops->get_queue_size(hw, cidx);
		vp->ctrl = tern_dma_zalloc("virtio ctrl", 64, 64, vp->dev.socket);
		if (vp->cvq_size == 0 || vp->ctrl == NULL)
			return -EIO;
		vp->cvq = virtqueue_alloc(hw, cidx, vp->cvq_size, vp->dev.socket, false);
		if (vp->cvq == NULL)
			return -ENOMEM;
	}
	/* Quiet until start. */
	return virtio_reset(hw);
}

static int virtio_pci_probe(struct tern_pci_dev *pci, const char *args, struct tern_port_dev **devp)
{
	static const char *const known[] = {"legacy", NULL};
	struct virtio_port *vp;
	uint32_t legacy = 0;
	int ret;

	ret = tern_devargs_check(VIRTIO_LOG, args, known);
	if (ret < 0)
		return ret;
	ret = tern_devargs_get_u32(args, "legacy", &legacy);
	if (ret == -EINVAL || legacy > 1) {
		tern_log(TERN_LOG_ERR, VIRTIO_LOG, "%s: legacy= must be 0 or 1", pci->name);
		return -EINVAL;
	}
	vp = calloc(1, sizeof(*vp));
	if (vp == NULL) {
		tern_log(TERN_LOG_ERR, VIRTIO_LOG, "%s: out of memory", pci->name);
		return -ENOMEM;
	}
	vp->hw.pci = pci;
	vp->hw.name = pci->name;
	vp->promisc = -1;
	vp->dev.socket = pci->numa_node >= 0 ? pci->numa_node : TERN_SOCKET_ID_ANY;
	ret = tern_pci_bus_master(pci, true); /* the device reads and writes our rings */
	if (ret == 0)
		ret = virtio_pci_init(&vp->hw, legacy == 1);
	if (ret == 0)
		ret = virtio_identify(vp);
	if (ret < 0) {
		if (vp->hw.ops != NULL)
			vp->hw.ops->set_status(&vp->hw, VIRTIO_CONFIG_S_FAILED);
		virtqueue_free(vp->cvq);
		tern_dma_free(vp->ctrl);
		free(vp);
		return ret;
	}
	tern_log(TERN_LOG_INFO, VIRTIO_LOG,
	         "%s: virtio-net %04x:%04x, %s interface, %s access, features 0x%llx of 0x%llx, "
	         "%u queue pair(s), queue sizes %u/%u",
	         pci->name, pci->vendor_id, pci->device_id, vp->hw.ops ? vp->hw.ops->name : "?",
	         tern_pci_access_name(pci->access), (unsigned long long)vp->hw.features,
	         (unsigned long long)vp->hw.offered, vp->max_pairs, vp->rx_size, vp->tx_size);
	vp->dev.ops = &virtio_ops;
	vp->dev.rx_burst = virtio_rx_burst;
	vp->dev.tx_burst = virtio_tx_burst;
	*devp = &vp->dev;
	return 0;
}

static const struct tern_pci_id virtio_pci_ids[] = {
    {VIRTIO_PCI_VENDOR_ID, VIRTIO_PCI_DEVICE_NET_TRANS},
    {VIRTIO_PCI_VENDOR_ID, VIRTIO_PCI_DEVICE_NET_MODERN},
    {0, 0},
};

const struct tern_driver tern_virtio_driver = {
    .abi_version = TERN_DRIVER_ABI_VERSION,
    .name = "virtio",
    .bus = TERN_BUS_PCI,
    .pci_ids = virtio_pci_ids,
    .pci_probe = virtio_pci_probe,
};
