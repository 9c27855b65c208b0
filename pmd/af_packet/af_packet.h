/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * af_packet.h - what the af_packet driver's files share: its queues and
 * port and the status words of the rings it shares with the
 * kernel. af_packet.c opens the sockets, maps the rings and runs the control
 * path (its top comment describes the design); af_packet_rxtx.c is the fast
 * path. Internal to the driver.
 */
#ifndef AF_PACKET_H
#define AF_PACKET_H

#include <stdatomic.h>
#include <stdint.h>

#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <sys/socket.h>

#include "tern_driver.h"
#include "tern_mempool.h"
#include "tern_pkt.h"

#define AFP_LOG                 "af_packet"
#define AFP_MAX_QPAIRS          16
#define AFP_DEFAULT_FRAMESZ     2048
#define AFP_DEFAULT_FRAMECNT_RX 4096
#define AFP_DEFAULT_FRAMECNT_TX 512
#define AFP_BOUNCE_SIZE         (65536 + 1024) /* a whole GSO super-frame and its vnet header */
#define AFP_RCVBUF              (8 << 20)      /* room for super-frame copies on the socket */
#define AFP_VNET_LEN            sizeof(struct virtio_net_hdr)
/* packet_mmap.rst, TX ring: data starts after the aligned tpacket2_hdr. */
#define AFP_TX_DATA_OFF (TPACKET2_HDRLEN - sizeof(struct sockaddr_ll))
#define AFP_PEND_MAX    512 /* segments of one super-frame: gso_size >= 128 */
#define AFP_MAX_DESC    4096
#define AFP_MAX_BURST   512

/* Where the frames of a ring are (frames never span blocks) and how it is mapped. */
struct afp_ring {
	uint8_t *map;
	size_t map_len;
	uint8_t **frames; /* nb_frames pointers: no division on the fast path */
	uint32_t nb_frames;
	uint32_t frame_size;
};

struct afp_rxq {
	int fd;
	uint32_t head; /* next frame to read */
	uint8_t **frames;
	uint32_t nb_frames;
	struct tern_mempool *mp;
	uint16_t room;      /* data bytes per buffer */
	uint32_t pool_size; /* buffers in mp: a frame needing more waits forever */
	uint16_t port_id;
	uint16_t qid;
	struct tern_pkt **pend; /* segments waiting for the next burst */
	uint16_t pend_head, pend_cnt;
	uint8_t *bounce;     /* whole copy of a TP_STATUS_COPY frame (vnet header first) */
	uint32_t bounce_len; /* 0: nothing read for the frame at head yet */
	struct afp_ring ring;
	/* missed: PACKET_STATISTICS tp_drops, summed by the control thread (its one writer). */
	struct tern_qstats stats;
	uint64_t csum, gso_frames, gso_segs; /* offload work done (tern_qstat_add) */
} TERN_CACHE_ALIGNED;

struct afp_txq {
	int fd;
	uint8_t **frames;
	uint32_t nb_frames, head;
	uint32_t max_len; /* longest frame that fits after the vnet header */
	struct tern_qstats stats;
	struct afp_ring ring;
} TERN_CACHE_ALIGNED;

struct afp_port {
	struct tern_port_dev dev;
	char iface[IFNAMSIZ];
	int ifindex;
	int ctl_fd; /* AF_INET datagram socket for interface ioctls */
	uint32_t qpairs, framesz, blocks;
	uint32_t framecnt_rx, framecnt_tx; /* framecnt= sets both */
	uint16_t fanout_id;
	bool promisc;
};

static inline struct afp_port *afp_port(struct tern_port_dev *dev)
{
	return tern_container_of(dev, struct afp_port, dev);
}

/* Max frame TX can send: the ring frame less its header and the vnet header. */
static inline uint32_t afp_max_frame(const struct afp_port *ap)
{
	return (uint32_t)(ap->framesz - AFP_TX_DATA_OFF - AFP_VNET_LEN);
}

/*
 * tp_status / block_status words live in memory shared with the kernel.
 * packet_mmap.rst: the kernel writes the frame, then (after smp_wmb) the
 * status; user space reads the status, then the frame, and writes the status
 * back last. Our acquire loads and release stores are those two edges.
 */
static inline uint32_t status_load(const uint32_t *p)
{
	return atomic_load_explicit((const _Atomic uint32_t *)p, memory_order_acquire);
}

static inline void status_store(uint32_t *p, uint32_t v)
{
	atomic_store_explicit((_Atomic uint32_t *)p, v, memory_order_release);
}

/* af_packet_rxtx.c: the burst functions the port's fast-path table points to. */
uint16_t afp_rx_burst(void *queue, struct tern_pkt **pkts, uint16_t n);
uint16_t afp_tx_burst(void *queue, struct tern_pkt **pkts, uint16_t n);

#endif /* AF_PACKET_H */
