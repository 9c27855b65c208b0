/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * virtqueue_packed.c - packed virtqueues (virtio 1.1 section 2.7) in tern
 * DMA memory: layout, the empty ring, notifications under event
 * suppression, where a new backend starts, and the descriptor chains of
 * the control path. The fast path (virtio_rxtx_packed.c) writes its
 * descriptors itself with the inline helpers of virtio.h.
 *
 * One allocation per queue: the descriptor ring (2.7.13, 16 bytes a
 * descriptor) at the start, then the driver event suppression area and,
 * on its own cache line, the device event suppression area (2.7.14, 4
 * bytes each; the driver writes the first, the device the second).
 *
 * Nothing the device writes is followed: a used descriptor's buffer id
 * must be one we lent and have not had back (chain[id] != 0), and we step
 * over the slots that buffer took by our own count (chain[id]), never by
 * anything the device says.
 */
#include <errno.h>
#include <string.h>

#include "tern_pkt.h"
#include "virtio.h"

#define VQP_DRV_EVENT_OFF(size) (16u * (size_t)(size))
#define VQP_DEV_EVENT_OFF(size) (VQP_DRV_EVENT_OFF(size) + TERN_CACHE_LINE_SIZE)

size_t tern_vqp_bytes(uint16_t size)
{
	return VQP_DEV_EVENT_OFF(size) + TERN_CACHE_LINE_SIZE;
}

/* 2.7.10: where the three areas are; the transports read the IOVAs. */
void tern_vqp_layout(struct virtqueue *vq)
{
	char *mem = vq->mem;

	vq->pdesc = (struct vring_packed_desc *)mem;
	vq->drv_event = (struct vring_packed_event *)(mem + VQP_DRV_EVENT_OFF(vq->size));
	vq->dev_event = (struct vring_packed_event *)(mem + VQP_DEV_EVENT_OFF(vq->size));
}

/*
 * An empty ring: every slot free, every id on the free list, both wrap
 * counters 1 (2.7.1: they start at 1, and a zeroed descriptor, AVAIL = USED
 * = 0, is neither available nor used in the first lap). 2.7.10: events
 * (interrupts) disabled: we poll.
 */
void tern_vqp_init(struct virtqueue *vq)
{
	memset(vq->mem, 0, tern_vqp_bytes(vq->size));
	memset(vq->chain, 0, (size_t)vq->size * sizeof(*vq->chain));
	for (uint16_t i = 0; i < vq->size; i++)
		vq->next[i] = (uint16_t)(i + 1 < vq->size ? i + 1 : 0);
	vq->free_head = 0;
	vq->nb_free = vq->size;
	vq->avail_idx = 0;
	vq->used_last = 0;
	vq->used_wrap = true;
	vq->avail_flags = VRING_PACKED_DESC_F_AVAIL; /* wrap 1: AVAIL = 1, USED = 0 */
	vq->drv_event->flags = RING_EVENT_FLAGS_DISABLE;
}

/*
 * 2.7.21.2 / 2.7.10: after making descriptors available, notify the device
 * unless its event suppression area says DISABLE. Without EVENT_IDX
 * (never negotiated here) DESC is not a valid answer: we notify then, as
 * for ENABLE, which is always safe.
 */
void tern_vqp_kick(struct virtqueue *vq)
{
	/*
	 * Full fence: the descriptor flags stores that made the batch
	 * available must be visible before we load the device's event flags
	 * (store then load). Pairs with the device's barrier between setting
	 * its flags to ENABLE and looking at the ring again, so that either
	 * it sees our descriptors or we see its ENABLE.
	 */
	atomic_thread_fence(memory_order_seq_cst);
	if ((*(volatile uint16_t *)&vq->dev_event->flags & RING_EVENT_FLAGS_MASK) !=
	    RING_EVENT_FLAGS_DISABLE)
		vq->hw->ops->notify(vq->hw, vq);
}

/*
 * Where a vhost-user backend taking over this ring starts (SET_VRING_BASE
 * for packed rings: the slot in bits 0-14, its wrap counter in bit 15; the
 * backend starts its used side there too). That is the slot after the
 * last descriptor the old backend marked used: from used_last, step over
 * used descriptors as the RX/TX paths would (bounded by what is lent),
 * without consuming them. Entries after it the new backend takes again.
 */
uint16_t tern_vqp_base(struct virtqueue *vq)
{
	uint32_t pos = vq->used_last;
	bool wrap = vq->used_wrap;
	uint16_t lent = (uint16_t)(vq->size - vq->nb_free);

	for (uint16_t walked = 0; walked < lent;) {
		const struct vring_packed_desc *d = &vq->pdesc[pos];
		uint16_t f = *(const volatile uint16_t *)&d->flags, n;

		if (!!(f & VRING_PACKED_DESC_F_AVAIL) != wrap ||
		    !!(f & VRING_PACKED_DESC_F_USED) != wrap)
			break;
		tern_pci_rmb(); /* 2.7.1: id after flags; pairs with the device's write barrier */
		n = d->id < vq->size && vq->chain[d->id] != 0 ? vq->chain[d->id] : 1;
		walked = (uint16_t)(walked + n);
		pos += n;
		if (pos >= vq->size) {
			pos -= vq->size;
			wrap = !wrap;
		}
	}
	return (uint16_t)(pos | (uint32_t)wrap << 15);
}

/*
 * The control path (virtio_net.c): lend one chain of n buffers (2.7.6,
 * NEXT on all but the last; the buffer id in every descriptor, the device
 * reads it from the last) and make it available, flags of the first
 * descriptor last. Returns the buffer id, or -ENOSPC. No notification.
 */
int tern_vqp_add_chain(struct virtqueue *vq, const struct vqp_buf *bufs, uint16_t n)
{
	uint16_t id, head_slot = 0, head_flags = 0;

	if (n == 0 || n > vq->nb_free)
		return -ENOSPC;
	id = vqp_id_get(vq, n);
	for (uint16_t i = 0; i < n; i++) {
		/* this lap's AVAIL/USED bits, read before the slot may end the lap */
		uint16_t flags = (uint16_t)(bufs[i].flags | vq->avail_flags |
		                            (i + 1 < n ? VRING_DESC_F_NEXT : 0));
		uint16_t slot = vqp_slot_next(vq);
		struct vring_packed_desc *d = &vq->pdesc[slot];

		d->addr = bufs[i].addr;
		d->len = bufs[i].len;
		d->id = id;
		if (i == 0) {
			head_slot = slot;
			head_flags = flags;
		} else {
			*(volatile uint16_t *)&d->flags = flags;
		}
	}
	vqp_publish(vq, head_slot, head_flags);
	return id;
}

/*
 * The next used buffer of the control path: its id (returned to the free
 * list here) and the length written, -ENOENT when the device has used
 * nothing more, or -EIO for a used descriptor naming no buffer we lent
 * (a device bug: one slot stepped over, nothing of ours touched).
 */
int tern_vqp_next_used(struct virtqueue *vq, uint32_t *len)
{
	const struct vring_packed_desc *d;
	uint16_t slots, id;
	uint32_t l;

	if (vq->nb_free == vq->size || !vqp_used_at(vq, 0))
		return -ENOENT;
	tern_pci_rmb(); /* 2.7.1: id and len after flags; pairs with the device's write barrier */
	d = &vq->pdesc[vq->used_last];
	id = d->id;
	l = d->len;
	if (!vqp_id_put(vq, id, &slots)) {
		vqp_used_advance(vq, 1);
		return -EIO;
	}
	vqp_used_advance(vq, slots);
	if (len != NULL)
		*len = l;
	return id;
}
