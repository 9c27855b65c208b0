/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ixgbe.h - what the ixgbe driver's two files share: its limits, the queue
 * and port structs, register access and the removal check. ixgbe.c is the
 * control path (probe, init in datasheet order, link, stats, start and
 * stop); ixgbe_rxtx.c the fast path (queue setup and release, bursts,
 * refill, clean). Internal to the driver.
 *
 * Everything goes through tern_pci_read32/write32 and DMA IOVAs, so the same
 * code runs over VFIO, no-IOMMU, sysfs, and the register-level 82599 model
 * the tests use (test/ixgbe_model/). Interrupts stay masked: tern polls.
 */
#ifndef IXGBE_H
#define IXGBE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "ixgbe_regs.h"
#include "tern_driver.h"
#include "tern_pkt.h"

#define IXGBE_LOG            "ixgbe"
#define IXGBE_MAX_QUEUES     16  /* RSS spreads over 16 (7.1.2.8), and 16 counter sets */
#define IXGBE_DESC_MIN       128 /* > 40 segments + 31 descriptors waiting for an RS */
#define IXGBE_DESC_MAX       4096
#define IXGBE_DESC_DEF       512
#define IXGBE_MAX_FRAME      9728 /* largest MAXFRS the 82599 forwards, CRC included */
#define IXGBE_RX_FREE_THRESH 32   /* refill RX descriptors in batches of this many */
#define IXGBE_TX_RS_THRESH   32   /* ask for a DD write-back every this many descriptors */
#define IXGBE_STATS_POLLS    1024 /* bursts between looks at the clock for a stats fold */
/* Descriptors of one frame: the NIC fills each buffer (>= 1 KiB, SRRCTL) before the next. */
#define IXGBE_RX_MAX_SEGS ((IXGBE_MAX_FRAME + 1023) / 1024)
/* queue_stats_get indexes the per-queue counter sets by queue id. */
_Static_assert(IXGBE_MAX_QUEUES <= IXGBE_NB_QSTATS, "a counter set per queue");

/* ---- device structures ---------------------------------------------------- */

struct ixgbe_port;

/* 7.1: an RX queue. Only its poller touches it, except nombuf (read by stats). */
struct ixgbe_rxq {
	volatile union ixgbe_adv_rx_desc *ring;
	struct tern_pkt **bufs; /* the buffer posted at each descriptor */
	const struct tern_pci_dev *pci;
	struct tern_mempool *mp;
	struct ixgbe_port *port;
	uint32_t rdt_reg;
	uint16_t nb_desc, mask;
	uint16_t next;    /* next descriptor to look at for DD */
	uint16_t nb_hold; /* descriptors done but not refilled yet */
	uint16_t port_id, qid;
	uint16_t buf_size;             /* bytes the NIC may write per descriptor (SRRCTL) */
	uint16_t stats_poll;           /* bursts until the next look at the stats clock */
	struct tern_pkt *first, *last; /* a multi-descriptor packet still open */
	bool discard;                  /* dropping the rest of a bad frame, up to its EOP */
	/* nombuf, and errors: frames the NIC flagged (RXE) or that broke the rules, dropped. */
	struct tern_qstats stats;
} TERN_CACHE_ALIGNED;

/* 7.2: a TX queue. */
struct ixgbe_txq {
	volatile union ixgbe_adv_tx_desc *ring;
	struct tern_pkt **bufs; /* at a packet's last descriptor: the packet to free once sent */
	uint16_t *rs_fifo;      /* descriptors sent with RS, oldest first */
	const struct tern_pci_dev *pci;
	struct ixgbe_port *port;
	uint32_t tdt_reg;
	uint16_t nb_desc, mask;
	uint16_t tail;    /* next descriptor to fill */
	uint16_t clean;   /* oldest descriptor not cleaned yet */
	uint16_t nb_free; /* descriptors software may fill */
	uint16_t since_rs;
	uint16_t rs_head, rs_tail, rs_mask;
	uint16_t stats_poll;
	struct tern_qstats stats; /* errors: packets refused (too many segments) */
} TERN_CACHE_ALIGNED;

/* 64-bit totals of the NIC's clear-on-read counters (8.2.3.23). */
struct ixgbe_hw_stats {
	uint64_t gprc, gptc, gorc, gotc, mpc, crcerrs;
	uint64_t qprc[IXGBE_NB_QSTATS], qbrc[IXGBE_NB_QSTATS], qprdc[IXGBE_NB_QSTATS];
	uint64_t qptc[IXGBE_NB_QSTATS], qbtc[IXGBE_NB_QSTATS];
};

struct ixgbe_port {
	struct tern_port_dev dev;
	struct tern_pci_dev *pci;
	uint32_t max_frame; /* MAXFRS.MFS: MTU + Ethernet header + CRC */
	uint16_t nb_q;      /* max(RX, TX) queues configured: the counter sets to fold */
	bool rss;
	uint8_t rss_key[IXGBE_RSS_KEY_LEN];
	/* Counters: folded under stats_lock by stats_get and, now and then, by the pollers. */
	atomic_flag stats_lock;
	_Atomic uint64_t stats_next_tsc; /* when a poller should fold next */
	uint64_t stats_period_tsc;
	struct ixgbe_hw_stats hw;
};

static inline struct ixgbe_port *ixgbe_port(struct tern_port_dev *dev)
{
	return tern_container_of(dev, struct ixgbe_port, dev);
}

/* ---- register helpers ------------------------------------------------------ */

static inline uint32_t rd32(const struct tern_pci_dev *pci, uint32_t reg)
{
	return tern_pci_read32(pci, 0, reg);
}

static inline void wr32(const struct tern_pci_dev *pci, uint32_t reg, uint32_t val)
{
	tern_pci_write32(pci, 0, reg, val);
}

static inline void set_bits(const struct tern_pci_dev *pci, uint32_t reg, uint32_t bits)
{
	wr32(pci, reg, rd32(pci, reg) | bits);
}

static inline void clear_bits(const struct tern_pci_dev *pci, uint32_t reg, uint32_t bits)
{
	wr32(pci, reg, rd32(pci, reg) & ~bits);
}

/* ---- removal (ixgbe.c) ------------------------------------------------------ */

static inline bool port_removed(struct ixgbe_port *p)
{
	return tern_port_dev_is_removed(&p->dev);
}

/* Is the device gone? One STATUS read (none once known); reported to the port layer once. */
bool ixgbe_removal_check(struct ixgbe_port *p);

/* A control-path register read that notices a device gone. */
static inline uint32_t rd32c(struct ixgbe_port *p, uint32_t reg)
{
	uint32_t v = rd32(p->pci, reg);

	if (tern_unlikely(v == UINT32_MAX))
		ixgbe_removal_check(p);
	return v;
}

/* ---- shared between the files --------------------------------------------- */

/*
 * Post buffer b at descriptor idx (7.1.6.1 read format: buffer address,
 * header address 0 as there is no header split). Only data_off is set here:
 * rx_burst writes the other fields a received packet needs, so each header
 * is written once per trip, not twice.
 */
static inline void rx_post(struct ixgbe_rxq *q, uint16_t idx, struct tern_pkt *b)
{
	b->data_off = TERN_PKT_HEADROOM; /* buffers hold more (rx_queue_setup checks) */
	q->ring[idx].read.pkt_addr = b->buf_iova + TERN_PKT_HEADROOM;
	q->ring[idx].read.hdr_addr = 0;
}

/* ixgbe.c: from a poller, fold the NIC's counters if a second has passed. */
void ixgbe_stats_maybe_fold(struct ixgbe_port *p);

/* ixgbe_rxtx.c: queues, the ops that set them up, and the bursts. */
int ixgbe_rx_queue_setup(struct tern_port_dev *dev, uint16_t qid, uint16_t nb_desc, int socket,
                         struct tern_mempool *mp, void **queue, struct tern_qstats **stats);
int ixgbe_tx_queue_setup(struct tern_port_dev *dev, uint16_t qid, uint16_t nb_desc, int socket,
                         void **queue, struct tern_qstats **stats);
void ixgbe_rx_queue_release(struct tern_port_dev *dev, void *queue);
void ixgbe_tx_queue_release(struct tern_port_dev *dev, void *queue);
/* Give back every buffer a queue holds (the NIC is off the ring). */
void ixgbe_rxq_drain(struct ixgbe_rxq *q);
void ixgbe_txq_drain(struct ixgbe_txq *q);
uint16_t ixgbe_rx_burst(void *queue, struct tern_pkt **pkts, uint16_t n);
uint16_t ixgbe_tx_burst(void *queue, struct tern_pkt **pkts, uint16_t n);

#endif /* IXGBE_H */
