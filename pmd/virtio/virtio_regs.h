/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * virtio_regs.h - the virtio 1.0 numbers the virtio-net PMD uses, named as
 * in the spec (OASIS virtio v1.0, cs04) and Linux's uapi headers
 * (virtio_config.h, virtio_pci.h, virtio_ring.h, virtio_net.h). Only what
 * the driver uses.
 */
#ifndef TERN_VIRTIO_REGS_H
#define TERN_VIRTIO_REGS_H

#include <stdint.h>

/* 4.1.2.1: PCI ids. 0x1000 transitional network card, 0x1040 + 1 modern. */
#define VIRTIO_PCI_VENDOR_ID         0x1af4
#define VIRTIO_PCI_DEVICE_NET_TRANS  0x1000
#define VIRTIO_PCI_DEVICE_NET_MODERN 0x1041

/* 2.1: device status field. */
#define VIRTIO_CONFIG_S_ACKNOWLEDGE 1
#define VIRTIO_CONFIG_S_DRIVER      2
#define VIRTIO_CONFIG_S_DRIVER_OK   4
#define VIRTIO_CONFIG_S_FEATURES_OK 8
#define VIRTIO_CONFIG_S_NEEDS_RESET                                                                \
	0x40 /* 2.1.2: the device hit an error it cannot recover from                              \
	      */
#define VIRTIO_CONFIG_S_FAILED 0x80

/* 5.1.3: virtio-net feature bits; 6: reserved (transport independent) bits. */
#define VIRTIO_NET_F_MAC         5
#define VIRTIO_NET_F_MRG_RXBUF   15
#define VIRTIO_NET_F_STATUS      16
#define VIRTIO_NET_F_CTRL_VQ     17
#define VIRTIO_NET_F_CTRL_RX     18
#define VIRTIO_NET_F_MQ          22
#define VIRTIO_F_ANY_LAYOUT      27
#define VIRTIO_F_VERSION_1       32
#define VIRTIO_F_ACCESS_PLATFORM 33 /* IOMMU_PLATFORM in virtio 1.0 */
#define VIRTIO_F_RING_PACKED     34 /* virtio 1.1 2.7: packed virtqueues */

/* 4.1.4: vendor capability (PCI cap id 0x09) and its cfg_type values. */
#define PCI_CAP_ID_VNDR           0x09
#define PCI_CAP_ID_MSIX           0x11
#define PCI_MSIX_FLAGS            2 /* message control, in the MSI-X capability */
#define PCI_MSIX_FLAGS_ENABLE     0x8000
#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG    3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4
/* struct virtio_pci_cap: byte offsets in config space from the capability. */
#define VIRTIO_PCI_CAP_CFG_TYPE    3
#define VIRTIO_PCI_CAP_BAR         4
#define VIRTIO_PCI_CAP_OFFSET      8
#define VIRTIO_PCI_CAP_LENGTH      12
#define VIRTIO_PCI_NOTIFY_CAP_MULT 16 /* struct virtio_pci_notify_cap */

/* 4.1.4.3: struct virtio_pci_common_cfg, byte offsets. */
#define VIRTIO_PCI_COMMON_DFSELECT      0x00
#define VIRTIO_PCI_COMMON_DF            0x04
#define VIRTIO_PCI_COMMON_GFSELECT      0x08
#define VIRTIO_PCI_COMMON_GF            0x0c
#define VIRTIO_PCI_COMMON_NUMQ          0x12
#define VIRTIO_PCI_COMMON_STATUS        0x14
#define VIRTIO_PCI_COMMON_CFGGENERATION 0x15
#define VIRTIO_PCI_COMMON_Q_SELECT      0x16
#define VIRTIO_PCI_COMMON_Q_SIZE        0x18
#define VIRTIO_PCI_COMMON_Q_MSIX        0x1a
#define VIRTIO_PCI_COMMON_Q_ENABLE      0x1c
#define VIRTIO_PCI_COMMON_Q_NOFF        0x1e
#define VIRTIO_PCI_COMMON_Q_DESCLO      0x20
#define VIRTIO_PCI_COMMON_Q_DESCHI      0x24
#define VIRTIO_PCI_COMMON_Q_AVAILLO     0x28
#define VIRTIO_PCI_COMMON_Q_AVAILHI     0x2c
#define VIRTIO_PCI_COMMON_Q_USEDLO      0x30
#define VIRTIO_PCI_COMMON_Q_USEDHI      0x34
#define VIRTIO_MSI_NO_VECTOR            0xffff

/* 4.1.4.8: legacy interface, I/O BAR 0 byte offsets. */
#define VIRTIO_PCI_HOST_FEATURES    0
#define VIRTIO_PCI_GUEST_FEATURES   4
#define VIRTIO_PCI_QUEUE_PFN        8
#define VIRTIO_PCI_QUEUE_NUM        12
#define VIRTIO_PCI_QUEUE_SEL        14
#define VIRTIO_PCI_QUEUE_NOTIFY     16
#define VIRTIO_PCI_STATUS           18
#define VIRTIO_PCI_ISR              19
#define VIRTIO_PCI_CONFIG_OFF(msix) ((msix) ? 24 : 20)
#define VIRTIO_PCI_QUEUE_ADDR_SHIFT 12   /* PFN units */
#define VIRTIO_PCI_VRING_ALIGN      4096 /* 2.4.2: legacy used ring alignment */

/* 5.1.4: struct virtio_net_config, byte offsets; status bits. */
#define VIRTIO_NET_CFG_MAC       0
#define VIRTIO_NET_CFG_STATUS    6
#define VIRTIO_NET_CFG_MAX_PAIRS 8
#define VIRTIO_NET_S_LINK_UP     1

/* 5.1.2: virtqueue numbering: receiveq N = 2N, transmitq N = 2N + 1, then controlq. */
#define VIRTIO_NET_RXQ(n) (2u * (n))
#define VIRTIO_NET_TXQ(n) (2u * (n) + 1)

/* 5.1.6.5: control virtqueue: RX mode class (5.1.6.5.1), multiqueue class (5.1.6.5.5). */
#define VIRTIO_NET_CTRL_RX              0
#define VIRTIO_NET_CTRL_RX_PROMISC      0
#define VIRTIO_NET_CTRL_MQ              4
#define VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET 0
#define VIRTIO_NET_OK                   0

/* 2.4.5 - 2.4.8: split virtqueue. */
#define VRING_DESC_F_NEXT          1
#define VRING_DESC_F_WRITE         2
#define VRING_AVAIL_F_NO_INTERRUPT 1
#define VRING_USED_F_NO_NOTIFY     1

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vring_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[]; /* then used_event, unused here (no EVENT_IDX) */
};

struct vring_used_elem {
	uint32_t id;  /* head of the descriptor chain */
	uint32_t len; /* bytes the device wrote into it */
};

struct vring_used {
	uint16_t flags;
	uint16_t idx;
	struct vring_used_elem ring[]; /* then avail_event, unused here */
};

/*
 * virtio 1.1 2.7: packed virtqueue. 2.7.1: a descriptor is available when
 * its AVAIL bit equals the driver's wrap counter and USED does not; used
 * when both equal the device's wrap counter. 2.7.13: struct pvirtq_desc.
 */
#define VRING_PACKED_DESC_F_AVAIL (1u << 7)
#define VRING_PACKED_DESC_F_USED  (1u << 15)

struct vring_packed_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t id; /* buffer id: the driver's, echoed back by the device */
	uint16_t flags;
};

/* 2.7.10, 2.7.14: struct pvirtq_event_suppress and its flags. */
#define RING_EVENT_FLAGS_ENABLE  0
#define RING_EVENT_FLAGS_DISABLE 1
#define RING_EVENT_FLAGS_DESC    2 /* only with EVENT_IDX (not negotiated here) */
#define RING_EVENT_FLAGS_MASK    3

struct vring_packed_event {
	uint16_t off_wrap; /* with RING_EVENT_FLAGS_DESC: offset, wrap counter in bit 15 */
	uint16_t flags;
};

/* 5.1.6: struct virtio_net_hdr; num_buffers only with MRG_RXBUF or VERSION_1. */
struct virtio_net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
};
#define VIRTIO_NET_HDR_LEN_LEGACY 10
#define VIRTIO_NET_HDR_LEN_MRG    12

#endif /* TERN_VIRTIO_REGS_H */
