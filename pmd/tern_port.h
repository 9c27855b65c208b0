/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tern_port.h - the port API: what an application uses to drive a NIC queue.
 *
 * Ports are created by tern_eal_init() from the devices named with -a (PCI,
 * probed first) and --vdev (then in command-line order), numbered from 0 in
 * that order. The life of a port:
 *
 *   probed -> configure -> rx/tx queue setup (every queue) -> start
 *          <-> stop (queues keep their setup; start again, or reconfigure)
 *          -> close (the port id is gone until tern is started again)
 *
 * Calls out of order return -EBUSY (a started port cannot be reconfigured)
 * or -EINVAL (start before every queue is set up, unknown port, queue id out
 * of range), with one log line saying which. Nothing here crashes on a bad
 * port id.
 *
 * The fast path, tern_port_rx_burst() and tern_port_tx_burst(), is inline:
 * one load from a compact per-port table and an indirect call to the
 * driver's burst function with the queue's own pointer. It takes no lock,
 * makes no system call and checks nothing unless built with TERN_DEBUG; a
 * stopped port's burst functions return 0. One queue is polled by one
 * thread at a time.
 *
 * Threads: start a port before any thread polls it, and stop polling it
 * before tern_port_stop() or tern_port_close() (as in DPDK). The control
 * functions are not thread safe: call them from one thread at a time. Stats
 * get and reset may run while other threads poll.
 */
#ifndef TERN_PORT_H
#define TERN_PORT_H

#include <stdbool.h>
#include <stdint.h>

#include "tern_common.h"
#include "tern_ether.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TERN_MAX_PORTS           32
#define TERN_MAX_QUEUES_PER_PORT 64
#define TERN_PORT_NAME_LEN       64

struct tern_mempool;
struct tern_pkt;

/* A driver's burst function: gets its queue, not the device (style: DPDK). */
typedef uint16_t (*tern_burst_fn)(void *queue, struct tern_pkt **pkts, uint16_t n);

/* Capabilities a driver declares in tern_port_info.capa. */
#define TERN_PORT_CAPA_MULTI_SEG_TX (1u << 0) /* tx_burst takes chained packets */
#define TERN_PORT_CAPA_MULTI_SEG_RX (1u << 1) /* rx_burst may return chains (jumbo) */
#define TERN_PORT_CAPA_RSS_HASH     (1u << 2) /* pkt->rss_hash is filled on RX */
#define TERN_PORT_CAPA_PROMISC      (1u << 3) /* promiscuous mode can be switched */
#define TERN_PORT_CAPA_MAC_SET      (1u << 4) /* the MAC address can be changed */
#define TERN_PORT_CAPA_RUNTIME_LINK (1u << 5) /* link state can change while running */

struct tern_port_info {
	char name[TERN_PORT_NAME_LEN]; /* "null0", "0000:00:03.0" */
	const char *driver;            /* driver name: "null", "virtio", ... */
	int socket;                    /* NUMA socket of the device */
	uint16_t max_rx_queues;
	uint16_t max_tx_queues;
	uint16_t rx_desc_min, rx_desc_max; /* allowed nb_desc in rx_queue_setup */
	uint16_t tx_desc_min, tx_desc_max;
	uint32_t max_rx_pktlen;
	uint32_t capa; /* TERN_PORT_CAPA_* */
};

struct tern_port_conf {
	uint32_t mtu;  /* 0 (and conf NULL): leave it as it is (a NIC starts at 1500; an
			af_packet port keeps the interface's MTU) */
	bool rss;     /* spread RX over the queues by RSS hash, where the device can */
};

struct tern_link {
	bool up;
	bool full_duplex;
	bool autoneg;
	uint32_t speed_mbps; /* 0 when unknown or down */
};

/* Counters since start of tern or the last reset. */
struct tern_queue_stats {
	uint64_t packets;
	uint64_t bytes;
	uint64_t errors;
	uint64_t nombuf; /* RX: a refill found the pool empty (the packet waits in the ring) */
	uint64_t missed; /* RX: dropped by the device for lack of a descriptor */
};

struct tern_port_stats {
	uint64_t ipackets, ibytes, ierrors;
	uint64_t opackets, obytes, oerrors;
	uint64_t rx_nombuf; /* sum of the RX queues' nombuf */
	uint64_t imissed;   /* dropped by the device: no RX descriptor was free */
};

/* ---- the fast path ------------------------------------------------------ */

/*
 * One entry per port: what rx/tx_burst read. Kept to half a cache line so
 * that two ports' entries share a line and stay in L1.
 */
struct tern_port_fp {
	tern_burst_fn rx_burst;
	tern_burst_fn tx_burst;
	void **rxq; /* queue pointers, indexed by queue id */
	void **txq;
};
extern struct tern_port_fp tern_port_fp_table[TERN_MAX_PORTS];

#ifdef TERN_DEBUG
/*
 * Debug builds: check the ids and the state before a burst and count the
 * thread in (0), or return < 0 after one log line; tern_port_fp_leave()
 * counts it out. A stop or close that finds a thread inside a burst of
 * that port, or a burst that finds its port being stopped or closed, is
 * reported in one line instead of racing with the driver's stop (fp.c).
 */
int tern_port_fp_enter(uint16_t port, uint16_t queue, bool rx);
void tern_port_fp_leave(uint16_t port);
#endif

/*
 * Receive up to n packets from a queue. Returns how many were stored in
 * pkts[]; each belongs to the caller until it frees or transmits it.
 */
static inline uint16_t tern_port_rx_burst(uint16_t port, uint16_t queue, struct tern_pkt **pkts,
                                          uint16_t n)
{
#ifdef TERN_DEBUG
	/* The bound in line too: it lets the compiler see the table index is safe. */
	if (port >= TERN_MAX_PORTS || tern_port_fp_enter(port, queue, true) < 0)
		return 0;
	const struct tern_port_fp *fp = &tern_port_fp_table[port];
	uint16_t nb = __atomic_load_n(&fp->rx_burst, __ATOMIC_RELAXED)(fp->rxq[queue], pkts, n);
	tern_port_fp_leave(port);
	return nb;
#else
	const struct tern_port_fp *fp = &tern_port_fp_table[port];
	/* Relaxed: a plain load; a removed device's port may switch it to a no-op (fp.c). */
	return __atomic_load_n(&fp->rx_burst, __ATOMIC_RELAXED)(fp->rxq[queue], pkts, n);
#endif
}

/*
 * Send up to n packets on a queue. Returns how many the driver took (it now
 * owns them and frees them once sent); pkts[ret..n-1] are still the
 * caller's, to retry or free. A chain (pkt->next) is one frame; only drivers
 * with TERN_PORT_CAPA_MULTI_SEG_TX take chains, others refuse them (counted in
 * oerrors and freed).
 */
static inline uint16_t tern_port_tx_burst(uint16_t port, uint16_t queue, struct tern_pkt **pkts,
                                          uint16_t n)
{
#ifdef TERN_DEBUG
	if (port >= TERN_MAX_PORTS || tern_port_fp_enter(port, queue, false) < 0)
		return 0;
	const struct tern_port_fp *fp = &tern_port_fp_table[port];
	uint16_t nb = __atomic_load_n(&fp->tx_burst, __ATOMIC_RELAXED)(fp->txq[queue], pkts, n);
	tern_port_fp_leave(port);
	return nb;
#else
	const struct tern_port_fp *fp = &tern_port_fp_table[port];
	/* Relaxed: as in tern_port_rx_burst(). */
	return __atomic_load_n(&fp->tx_burst, __ATOMIC_RELAXED)(fp->txq[queue], pkts, n);
#endif
}

/* ---- control path ------------------------------------------------------- */

/* Number of ports (ids 0 .. count-1 that are not closed are valid). */
uint16_t tern_port_count(void);
bool tern_port_is_valid(uint16_t port);
#define TERN_PORT_FOREACH(p)                                                                       \
	for ((p) = 0; (p) < tern_port_count(); (p)++)                                              \
		if (tern_port_is_valid(p))

/* Find a port by its name ("null0", "0000:00:03.0"). 0 or -ENODEV. */
int tern_port_by_name(const char *name, uint16_t *port);

int tern_port_info_get(uint16_t port, struct tern_port_info *info);

/* conf may be NULL for defaults. -EBUSY if started; -EINVAL if over the maxima. */
int tern_port_configure(uint16_t port, uint16_t nb_rxq, uint16_t nb_txq,
                        const struct tern_port_conf *conf);

/*
 * Set up RX queue `queue` with nb_desc descriptors (0: the driver's default)
 * on `socket` (TERN_SOCKET_ID_ANY: the device's), refilled from `mp`, a pool
 * of struct tern_pkt from tern_pktpool_create().
 */
int tern_port_rx_queue_setup(uint16_t port, uint16_t queue, uint16_t nb_desc, int socket,
                             struct tern_mempool *mp);
int tern_port_tx_queue_setup(uint16_t port, uint16_t queue, uint16_t nb_desc, int socket);

int tern_port_start(uint16_t port);
/* Stop the port: its bursts return 0 from now on; packets held in RX rings go back to their pool.
 */
int tern_port_stop(uint16_t port);
/* Stop if needed, release every queue and the device; the id is no longer valid. */
int tern_port_close(uint16_t port);
bool tern_port_is_started(uint16_t port);

int tern_port_mac_get(uint16_t port, struct tern_ether_addr *mac);
int tern_port_mac_set(uint16_t port, const struct tern_ether_addr *mac); /* -ENOTSUP */
int tern_port_promisc_set(uint16_t port, bool on);                       /* -ENOTSUP */
int tern_port_promisc_get(uint16_t port);                                /* 0, 1 or < 0 */
int tern_port_link_get(uint16_t port, struct tern_link *link);

int tern_port_stats_get(uint16_t port, struct tern_port_stats *stats);
int tern_port_rxq_stats_get(uint16_t port, uint16_t queue, struct tern_queue_stats *stats);
int tern_port_txq_stats_get(uint16_t port, uint16_t queue, struct tern_queue_stats *stats);
/* Make every counter of the port read 0 from now on (safe while traffic runs). */
int tern_port_stats_reset(uint16_t port);

#ifdef __cplusplus
}
#endif

#endif /* TERN_PORT_H */
