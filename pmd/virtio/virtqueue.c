/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * virtqueue.c - split virtqueues (virtio 1.0 2.4) in tern DMA memory.
 *
 * One allocation per queue in the legacy layout of 2.4.2, which modern
 * devices accept as well: the descriptor table at the start of a page, the
 * available ring right after it, the used ring at the next 4096-byte
 * boundary. Legacy devices get one page frame number for all of it, so the
 * whole block must be IOVA-contiguous (true for hugepages and for IOVA =
 * VA; not for --no-huge with physical addresses).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tern_error.h"
#include "tern_log.h"
#include "tern_memory.h"
#include "tern_pkt.h"
#include "virtio.h"

/* 2.4.2: sizes of the three parts, and where the used ring starts. */
static size_t used_offset(uint16_t size)
{
	size_t avail_end = 16u * size + 4 + 2u * size + 2;

	return TERN_ALIGN_CEIL(avail_end, (size_t)VIRTIO_PCI_VRING_ALIGN);
}

static size_t ring_bytes(uint16_t size)
{
	return used_offset(size) + 4 + 8u * size + 2;
}

struct virtqueue *tern_virtqueue_alloc(struct virtio_hw *hw, uint16_t index, uint16_t size,
                                       int socket, bool tx)
{
	struct virtqueue *vq;
	char name[64];
	bool packed = virtio_has(hw, VIRTIO_F_RING_PACKED);
	size_t len = packed ? tern_vqp_bytes(size) : ring_bytes(size);

	vq = aligned_alloc(TERN_CACHE_LINE_SIZE, sizeof(*vq));
	if (vq == NULL)
		goto nomem;
	memset(vq, 0, sizeof(*vq));
	vq->hw = hw;
	vq->index = index;
	vq->size = size;
	vq->mask = size - 1;
	vq->packed = packed;
	/* An array of pointers, sized by the pointer type on purpose. */
	vq->sw = calloc(size, sizeof(*vq->sw)); // NOLINT(bugprone-sizeof-expression)
	vq->next = calloc(size, sizeof(*vq->next));
	vq->chain = calloc(size, sizeof(*vq->chain));
	snprintf(name, sizeof(name), "virtio %s vq%u", hw->name, index);
	vq->mem = tern_dma_zalloc(name, len, VIRTIO_PCI_VRING_ALIGN, socket);
	if (vq->sw == NULL || vq->next == NULL || vq->chain == NULL || vq->mem == NULL)
		goto nomem;
	if (!tern_dma_iova_contig(vq->mem, len)) {
		tern_error(EINVAL, VIRTIO_LOG,
		           "%s: queue %u: %zu bytes of ring are not IOVA-contiguous: use hugepages "
		           "(not --no-huge) when the IOVA is a physical address",
		           hw->name, index, len);
		tern_virtqueue_free(vq);
		return NULL;
	}
	if (packed) {
		tern_vqp_layout(vq);
	} else {
		vq->desc = vq->mem;
		vq->avail = (struct vring_avail *)((char *)vq->mem + 16u * size);
		vq->used = (struct vring_used *)((char *)vq->mem + used_offset(size));
	}
	vq->desc_iova = tern_dma_virt2iova(vq->desc);
	vq->avail_iova = tern_dma_virt2iova(vq->avail);
	vq->used_iova = tern_dma_virt2iova(vq->used);
	if (tx) {
		snprintf(name, sizeof(name), "virtio %s vq%u hdrs", hw->name, index);
		vq->hdrs = tern_dma_zalloc(name, (size_t)size * VIRTIO_HDR_SLOT, 0, socket);
		if (vq->hdrs == NULL)
			goto nomem;
		vq->hdrs_iova = tern_dma_virt2iova(vq->hdrs);
	}
	return vq;
nomem:
	tern_error(ENOMEM, VIRTIO_LOG, "%s: queue %u: out of memory for %u descriptors", hw->name,
	           index, size);
	tern_virtqueue_free(vq);
	return NULL;
}

void tern_virtqueue_free(struct virtqueue *vq)
{
	if (vq == NULL)
		return;
	if (vq->sw != NULL)
		tern_virtqueue_release_pkts(vq);
	tern_dma_free(vq->hdrs);
	tern_dma_free(vq->mem);
	free(vq->sw);
	free(vq->next);
	free(vq->chain);
	free(vq);
}

/*
 * Empty rings, every descriptor on the (driver-private) free list
 * 0 -> 1 -> ... -> size-1, nothing lent, and 2.4.7: no interrupts, please -
 * we poll.
 */
void tern_virtqueue_init(struct virtqueue *vq)
{
	if (vq->packed) {
		tern_vqp_init(vq);
		return;
	}
	memset(vq->mem, 0, ring_bytes(vq->size));
	memset(vq->chain, 0, (size_t)vq->size * sizeof(*vq->chain));
	for (uint16_t i = 0; i < vq->size; i++)
		vq->next[i] = (uint16_t)((i + 1) & vq->mask);
	vq->free_head = 0;
	vq->nb_free = vq->size;
	vq->avail_idx = 0;
	vq->used_last = 0;
	vq->avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
}

/*
 * 2.4.6 steps 3-4 and 2.4.7.2: publish the new avail->idx, then notify the
 * device unless it said in used->flags that it does not need it.
 */
void tern_virtqueue_publish(struct virtqueue *vq)
{
	/*
	 * Release: descriptors and avail ring entries are written before the
	 * idx that makes them visible; pairs with the device's read barrier
	 * after it reads avail->idx (2.4.6 step 3).
	 */
	tern_pci_wmb();
	*(volatile uint16_t *)&vq->avail->idx = vq->avail_idx;
}

void tern_virtqueue_kick(struct virtqueue *vq)
{
	if (vq->packed) {
		/* Descriptors were made available as written (2.7.21): only the notify. */
		tern_vqp_kick(vq);
		return;
	}
	tern_virtqueue_publish(vq);
	/*
	 * Full fence: the idx store must be visible before we load
	 * used->flags (store then load, which only a full fence orders).
	 * Pairs with the device's barrier between changing NO_NOTIFY and
	 * looking at avail->idx again, so one side always sees the other.
	 */
	atomic_thread_fence(memory_order_seq_cst);
	if (!(*(volatile uint16_t *)&vq->used->flags & VRING_USED_F_NO_NOTIFY))
		vq->hw->ops->notify(vq->hw, vq);
}

/*
 * Where a backend taking over this ring starts (vhost-user SET_VRING_BASE):
 * split, the used index (what the old one used is done; the rest it takes
 * again); packed, the slot after the last used descriptor with the wrap
 * counter in bit 15 (tern_vqp_base).
 */
uint16_t tern_virtqueue_base(struct virtqueue *vq)
{
	if (vq->packed)
		return tern_vqp_base(vq);
	return *(volatile uint16_t *)&vq->used->idx;
}

void tern_virtqueue_release_pkts(struct virtqueue *vq)
{
	for (uint16_t i = 0; i < vq->size; i++) {
		if (vq->sw[i] != NULL) {
			tern_pkt_free(vq->sw[i]);
			vq->sw[i] = NULL;
		}
	}
}
