/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * virtio.h - what the files of the virtio-net PMD share, top-down:
 *   virtio_net.c   the device (5.1): probe, init in spec order (3.1.1),
 *                  link, features, the control queue (5.1.6.5), port ops;
 *   virtio_rxtx.c  the fast path: RX refill and burst, TX burst and reclaim;
 *   virtio_rxtx_packed.c  the same over packed virtqueues (virtio 1.1 2.7);
 *   virtqueue.c    split virtqueues (2.4): memory, driver-private links, notify;
 *   virtqueue_packed.c  packed virtqueues (virtio 1.1 2.7): memory, wrap
 *                  counters, event suppression, the control path's helpers;
 *   virtio_pci.c   the two PCI transports (modern 4.1.4, legacy 4.1.4.8)
 *                  behind one small ops table;
 *   virtio_user.c  the vhost-user transport, one more ops table, over the
 *                  messages of vhost_user.c (vhost_user.h).
 *
 * Device-writable memory (descriptor table, rings, buffers) is never
 * trusted: chain links and the free list live in driver-private arrays
 * (next[], chain[]), every walk is bounded by the ring size, and every id
 * and length the device returns is checked against what the driver lent.
 */
#ifndef TERN_VIRTIO_H
#define TERN_VIRTIO_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "tern_driver.h"
#include "tern_pci.h"
#include "virtio_regs.h"

#define VIRTIO_LOG "virtio"

struct virtio_hw;
struct virtqueue;

/* One transport: how status, features, config and queues are reached. */
struct virtio_ops {
	const char *name; /* "modern" or "legacy" */
	uint8_t (*get_status)(struct virtio_hw *hw);
	void (*set_status)(struct virtio_hw *hw, uint8_t status);
	uint64_t (*get_features)(struct virtio_hw *hw);
	void (*set_features)(struct virtio_hw *hw, uint64_t features);
	/* 0, or -EIO when the config never read stably (4.1.4.3.1) */
	int (*read_config)(struct virtio_hw *hw, unsigned off, void *buf, unsigned len);
	uint16_t (*get_queue_size)(struct virtio_hw *hw, uint16_t index); /* 0: no such queue */
	int (*setup_queue)(struct virtio_hw *hw, struct virtqueue *vq);
	void (*notify)(struct virtio_hw *hw, struct virtqueue *vq);
};

struct virtio_hw {
	struct tern_pci_dev *pci;
	const struct virtio_ops *ops;
	const char *name;        /* the PCI address, for logs */
	bool modern;             /* the virtio 1.0 interface (4.1.4), else legacy (4.1.4.8) */
	uint64_t offered;        /* device features */
	uint64_t features;       /* what we negotiate (a subset of offered) */
	uint16_t max_queue_size; /* of queue 0, as the device reports it */
	/* modern: where the structures of 4.1.4.3 - 4.1.4.6 are */
	unsigned common_bar, notify_bar, device_bar;
	uint64_t common_off, notify_off, device_off;
	uint32_t notify_mult;
	/* legacy: where the device-specific config starts in BAR 0 */
	unsigned legacy_cfg_off;
	/* vhost-user (virtio_user.c): its state, and the queue pairs asked for */
	void *priv;
	uint16_t pairs_hint;
	/* VIRTIO_F_RING_PACKED may be negotiated (PCI default; virtio_user packed_vq=1) */
	bool packed_ok;
};

static inline bool virtio_has(const struct virtio_hw *hw, unsigned bit)
{
	return (hw->features >> bit) & 1;
}

/*
 * A split virtqueue (2.4), or a packed one (virtio 1.1 2.7, `packed`). Descriptor ids not lent to
 * the device form a free list through next[], driver-private (the device can write desc[]: 2.4.5
 * lets it, and a hostile one would). Lent chains are linked through next[] as well, and chain[head]
 * holds the number of descriptors of the chain starting at head (0: head not lent). sw[id] is the
 * packet behind a descriptor (RX: every descriptor; TX: the head of each chain).
 *
 * Packed: next[], chain[] and sw[] are indexed by buffer id (2.7.4), which
 * the driver chooses and the device echoes; free ids form the list through
 * next[], chain[id] is the number of ring slots the buffer took (0: not
 * lent). nb_free counts free slots (never more than free ids: a buffer
 * takes at least one slot). avail_idx and used_last are slot positions in
 * [0, size), with the wrap counters beside them (2.7.1). The three memory
 * areas ride in the split fields' places, so the transports pass them as
 * they are: descriptor ring, driver area (driver event suppression),
 * device area (device event suppression) (virtio 1.1 2.7.10, 4.1.4.3).
 */
struct virtqueue {
	struct virtio_hw *hw;
	union {
		struct vring_desc *desc;
		struct vring_packed_desc *pdesc;
	};
	union {
		struct vring_avail *avail;
		struct vring_packed_event *drv_event;
	};
	union {
		struct vring_used *used;
		struct vring_packed_event *dev_event;
	};
	struct tern_pkt **sw;
	uint16_t *next;  /* driver-private links: free list and lent chains */
	uint16_t *chain; /* descriptors in the lent chain at this head, else 0 */
	uint16_t index;  /* virtqueue number (5.1.2) */
	uint16_t size, mask;
	uint16_t free_head, nb_free;
	uint16_t avail_idx;   /* our copy of avail->idx */
	uint16_t used_last;   /* used ring entries consumed so far */
	uint16_t avail_flags; /* packed: AVAIL/USED bits marking a descriptor available now */
	uint64_t notify_off;  /* modern: offset of this queue's doorbell in notify_bar */
	void *mem;            /* desc + avail + used, legacy layout (2.4.2) */
	tern_iova_t desc_iova, avail_iova, used_iova;
	/* TX: per-descriptor header slots for packets without room in front */
	struct virtio_net_hdr *hdrs;
	tern_iova_t hdrs_iova;
	/* RX */
	struct tern_mempool *mp;
	uint16_t port_id;
	uint16_t hdr_len;
	bool mrg;                 /* RX: MRG_RXBUF, buffers chain by num_buffers */
	bool any_layout;          /* TX: the header may share the first data descriptor */
	bool packed;              /* virtio 1.1 2.7: a packed ring */
	bool used_wrap;           /* packed: the device's wrap counter at used_last */
	uint32_t rx_buf_len;      /* descriptor length of an RX buffer, header included */
	struct tern_qstats stats; /* the port layer sums them (driver SDK) */
} TERN_CACHE_ALIGNED;

#define VIRTIO_HDR_SLOT 16 /* stride of the TX header slots: never crosses a page */

/* virtio_pci.c: globals carry the tern_ prefix (the library is linked statically) */
int tern_virtio_pci_init(struct virtio_hw *hw, bool force_legacy);
int tern_virtio_reset(struct virtio_hw *hw); /* 2.1.2 / 4.1.4.3.2: write 0, wait for 0 */

/* virtio_user.c: the vhost-user transport (--vdev virtio_user0,path=...) */
int tern_virtio_user_open(struct virtio_hw *hw, const char *name, const char *args);
void tern_virtio_user_close(struct virtio_hw *hw);

/* virtqueue.c */
struct virtqueue *tern_virtqueue_alloc(struct virtio_hw *hw, uint16_t index, uint16_t size,
                                       int socket, bool tx);
void tern_virtqueue_free(struct virtqueue *vq);
void tern_virtqueue_init(struct virtqueue *vq);    /* empty rings, every descriptor free */
void tern_virtqueue_publish(struct virtqueue *vq); /* 2.4.6 step 4: avail->idx after a release */
void tern_virtqueue_kick(struct virtqueue *vq);    /* publish, then notify unless NO_NOTIFY */
void tern_virtqueue_release_pkts(struct virtqueue *vq); /* free every packet sw[] holds */

uint16_t tern_virtqueue_base(struct virtqueue *vq); /* where a (new) backend starts */

/* virtqueue_packed.c */
size_t tern_vqp_bytes(uint16_t size);
void tern_vqp_layout(struct virtqueue *vq);
void tern_vqp_init(struct virtqueue *vq);
void tern_vqp_kick(struct virtqueue *vq); /* notify unless the device said DISABLE */
uint16_t tern_vqp_base(struct virtqueue *vq);
struct vqp_buf {
	uint64_t addr;
	uint32_t len;
	uint16_t flags; /* VRING_DESC_F_WRITE or 0 */
};
int tern_vqp_add_chain(struct virtqueue *vq, const struct vqp_buf *bufs, uint16_t n);
int tern_vqp_next_used(struct virtqueue *vq, uint32_t *len);

/* virtio_rxtx.c */
void tern_virtio_rx_refill(struct virtqueue *vq, bool kick);
uint16_t tern_virtio_rx_burst(void *queue, struct tern_pkt **pkts, uint16_t n);
uint16_t tern_virtio_tx_burst(void *queue, struct tern_pkt **pkts, uint16_t n);

/* virtio_rxtx_packed.c */
void tern_virtio_rx_refill_packed(struct virtqueue *vq, bool kick);
uint16_t tern_virtio_rx_burst_packed(void *queue, struct tern_pkt **pkts, uint16_t n);
uint16_t tern_virtio_tx_burst_packed(void *queue, struct tern_pkt **pkts, uint16_t n);

/* A free descriptor id (the caller checked nb_free); links from next[], never desc[]. */
static inline uint16_t vq_desc_get(struct virtqueue *vq)
{
	uint16_t id = vq->free_head;

	vq->free_head = vq->next[id];
	vq->nb_free--;
	return id;
}

/*
 * Give back the lent chain at head: chain[head] descriptors linked through
 * next[] (both driver-private, so the walk is ours and bounded by what we
 * lent). Returns false when head is not the head of a lent chain: a device
 * that names an id we did not lend, or one twice.
 */
static inline bool vq_chain_put(struct virtqueue *vq, uint16_t head)
{
	uint16_t n = vq->chain[head], tail = head;

	if (tern_unlikely(n == 0))
		return false;
	for (uint16_t i = 1; i < n; i++)
		tail = vq->next[tail];
	vq->chain[head] = 0;
	vq->next[tail] = vq->free_head;
	vq->free_head = head;
	vq->nb_free += n;
	return true;
}

/*
 * Used entries the device has published and we have not consumed yet, at
 * most as many as descriptors are lent (each entry returns at least one):
 * a used->idx that runs further ahead is a device bug, and the walk stays
 * bounded by the ring.
 */
static inline uint16_t vq_used_pending(struct virtqueue *vq)
{
	uint16_t idx = *(volatile uint16_t *)&vq->used->idx;
	uint16_t n, lent = (uint16_t)(vq->size - vq->nb_free);

	/*
	 * 2.4.8: acquire after reading used->idx, before reading the used
	 * entries and buffers it covers; pairs with the device's write
	 * barrier between filling them and publishing used->idx.
	 */
	tern_pci_rmb();
	n = (uint16_t)(idx - vq->used_last);
	return n > lent ? lent : n;
}

/* ---- packed virtqueues (virtio 1.1 2.7) ---- */

/*
 * A free buffer id for a chain of `slots` descriptors (the caller checked
 * nb_free >= slots, so the id list is not empty: see struct virtqueue).
 */
static inline uint16_t vqp_id_get(struct virtqueue *vq, uint16_t slots)
{
	uint16_t id = vq->free_head;

	vq->free_head = vq->next[id];
	vq->nb_free -= slots;
	vq->chain[id] = slots;
	return id;
}

/*
 * Give back buffer id, which the device returned. False when id is not
 * one we lent and have not had back: then nothing changes. Returns the
 * slots the buffer took in *slots.
 */
static inline bool vqp_id_put(struct virtqueue *vq, uint32_t id, uint16_t *slots)
{
	uint16_t n;

	if (tern_unlikely(id >= vq->size))
		return false;
	n = vq->chain[id];
	if (tern_unlikely(n == 0))
		return false;
	vq->chain[id] = 0;
	vq->next[id] = vq->free_head;
	vq->free_head = (uint16_t)id;
	vq->nb_free += n;
	*slots = n;
	return true;
}

/* The next free slot for a descriptor; 2.7.1: the driver's wrap counter flips at the end. */
static inline uint16_t vqp_slot_next(struct virtqueue *vq)
{
	uint16_t slot = vq->avail_idx;

	if (tern_unlikely(++vq->avail_idx == vq->size)) {
		vq->avail_idx = 0;
		vq->avail_flags ^= VRING_PACKED_DESC_F_AVAIL | VRING_PACKED_DESC_F_USED;
	}
	return slot;
}

/*
 * 2.7.1: whether the descriptor k slots after used_last is used in the
 * device's current lap (k < size). No fence inside: the caller orders
 * reads of id and len after it (acquire).
 */
static inline bool vqp_used_at(const struct virtqueue *vq, uint16_t k)
{
	uint32_t pos = (uint32_t)vq->used_last + k;
	bool wrap = vq->used_wrap;
	uint16_t f;

	if (pos >= vq->size) {
		pos -= vq->size;
		wrap = !wrap;
	}
	f = *(volatile uint16_t *)&vq->pdesc[pos].flags;
	return !!(f & VRING_PACKED_DESC_F_AVAIL) == wrap &&
	       !!(f & VRING_PACKED_DESC_F_USED) == wrap;
}

/*
 * 2.7.21: make a batch visible by writing the flags of its first
 * descriptor last. Release: every other descriptor of the batch (addr,
 * len, id, flags) is written before; pairs with the device's read barrier
 * after it sees this descriptor available (2.7.21.1).
 */
static inline void vqp_publish(struct virtqueue *vq, uint16_t head_slot, uint16_t head_flags)
{
	tern_pci_wmb();
	*(volatile uint16_t *)&vq->pdesc[head_slot].flags = head_flags;
}

/* Step used_last over n slots (n <= size), flipping the device's wrap counter at the end. */
static inline void vqp_used_advance(struct virtqueue *vq, uint16_t n)
{
	uint32_t pos = (uint32_t)vq->used_last + n;

	if (pos >= vq->size) {
		pos -= vq->size;
		vq->used_wrap = !vq->used_wrap;
	}
	vq->used_last = (uint16_t)pos;
}

#endif /* TERN_VIRTIO_H */
