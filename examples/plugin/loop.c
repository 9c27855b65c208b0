/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * loop.c - "loop", an out-of-tree tern driver: a loopback port.
 *
 *   tern-app -d ./tern-plugin-loop.so --vdev loop0
 *
 * What TX queue q is given comes back on RX queue q: each queue pair shares
 * one tern ring, so packets really pass through the port, untouched. It is
 * built against the installed tern headers only (see Makefile) and shows
 * everything a driver must do: one descriptor exported with
 * TERN_PLUGIN_DRIVER(), a device struct embedding struct tern_port_dev, an
 * op table, two burst functions counting into each queue's struct
 * tern_qstats (the port layer sums them into the port's stats), and a stop
 * that gives every packet back.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tern_driver.h>
#include <tern_log.h>
#include <tern_memory.h>
#include <tern_pkt.h>
#include <tern_ring.h>

#define LOOP_LOG        "loop"
#define LOOP_MAX_QUEUES 8
#define LOOP_RING_SIZE  1024 /* packets a queue pair holds between TX and RX */

/* One per RX or TX queue; queue q of either kind uses rings[q]. */
struct loop_queue {
	struct tern_ring *ring;
	uint16_t port_id;
	struct tern_qstats stats; /* one writer: the queue's poller (tern_qstat_add) */
} TERN_CACHE_ALIGNED;

struct loop_port {
	struct tern_port_dev dev;
	struct tern_ring *rings[LOOP_MAX_QUEUES];
	uint16_t nb_rings;
};

static struct loop_port *loop_port(struct tern_port_dev *dev)
{
	return tern_container_of(dev, struct loop_port, dev);
}

/* ---- fast path ---------------------------------------------------------- */

static uint16_t loop_rx_burst(void *queue, struct tern_pkt **pkts, uint16_t n)
{
	struct loop_queue *q = queue;
	uint64_t bytes = 0;
	/*
	 * Single consumer: one thread polls an RX queue. The ring's acquire on
	 * the producer tail makes the TX side's writes to the packets visible.
	 */
	uint16_t got = (uint16_t)tern_ring_sc_dequeue_burst(q->ring, (void **)pkts, n, NULL);

	for (uint16_t i = 0; i < got; i++) {
		pkts[i]->port = q->port_id;
		bytes += pkts[i]->pkt_len;
	}
	tern_qstat_add(&q->stats.packets, got);
	tern_qstat_add(&q->stats.bytes, bytes);
	return got;
}

static uint16_t loop_tx_burst(void *queue, struct tern_pkt **pkts, uint16_t n)
{
	struct loop_queue *q = queue;
	uint64_t bytes = 0;
	/* A full ring takes fewer: the rest stay the caller's, as the port API says. */
	uint16_t put = (uint16_t)tern_ring_sp_enqueue_burst(q->ring, (void *const *)pkts, n, NULL);

	for (uint16_t i = 0; i < put; i++)
		bytes += pkts[i]->pkt_len;
	tern_qstat_add(&q->stats.packets, put);
	tern_qstat_add(&q->stats.bytes, bytes);
	return put;
}

/* ---- control path ------------------------------------------------------- */

static void free_rings(struct loop_port *lp)
{
	for (uint16_t i = 0; i < lp->nb_rings; i++) {
		void *pkt;

		while (tern_ring_sc_dequeue(lp->rings[i], &pkt) == 0)
			tern_pkt_free(pkt);
		tern_ring_free(lp->rings[i]);
		lp->rings[i] = NULL;
	}
	lp->nb_rings = 0;
}

static int loop_configure(struct tern_port_dev *dev, uint16_t nb_rxq, uint16_t nb_txq,
                          const struct tern_port_conf *conf)
{
	struct loop_port *lp = loop_port(dev);
	uint16_t n = nb_rxq > nb_txq ? nb_rxq : nb_txq;

	(void)conf;
	free_rings(lp);
	for (uint16_t i = 0; i < n; i++) {
		char name[TERN_RING_NAMESIZE];

		snprintf(name, sizeof(name), "%.20s_q%u", dev->name, i);
		lp->rings[i] = tern_ring_create(name, LOOP_RING_SIZE, dev->socket,
		                                TERN_RING_F_SP_ENQ | TERN_RING_F_SC_DEQ);
		if (lp->rings[i] == NULL) {
			tern_log(TERN_LOG_ERR, LOOP_LOG, "%s: cannot create ring %s: %s", dev->name,
			         name, strerror(tern_errno));
			free_rings(lp);
			return -ENOMEM;
		}
		lp->nb_rings = i + 1;
	}
	return 0;
}

static void loop_info_get(struct tern_port_dev *dev, struct tern_port_info *info)
{
	(void)dev;
	info->max_rx_queues = LOOP_MAX_QUEUES;
	info->max_tx_queues = LOOP_MAX_QUEUES;
	info->rx_desc_min = 1;
	info->rx_desc_max = LOOP_RING_SIZE;
	info->tx_desc_min = 1;
	info->tx_desc_max = LOOP_RING_SIZE;
	info->max_rx_pktlen = 9018;
	info->capa = TERN_PORT_CAPA_MULTI_SEG_TX | TERN_PORT_CAPA_MULTI_SEG_RX;
}

static int queue_new(struct tern_port_dev *dev, uint16_t qid, void **queue,
                     struct tern_qstats **stats)
{
	struct loop_queue *q = aligned_alloc(TERN_CACHE_LINE_SIZE, sizeof(*q));

	if (q == NULL) {
		tern_log(TERN_LOG_ERR, LOOP_LOG, "%s: queue %u: out of memory", dev->name, qid);
		return -ENOMEM;
	}
	memset(q, 0, sizeof(*q));
	q->ring = loop_port(dev)->rings[qid];
	q->port_id = dev->port_id;
	*queue = q;
	*stats = &q->stats;
	return 0;
}

static int loop_rx_queue_setup(struct tern_port_dev *dev, uint16_t qid, uint16_t nb_desc,
                               int socket, struct tern_mempool *mp, void **queue,
                               struct tern_qstats **stats)
{
	(void)nb_desc;
	(void)socket;
	(void)mp; /* packets come from the TX side, not from a pool */
	return queue_new(dev, qid, queue, stats);
}

static int loop_tx_queue_setup(struct tern_port_dev *dev, uint16_t qid, uint16_t nb_desc,
                               int socket, void **queue, struct tern_qstats **stats)
{
	(void)nb_desc;
	(void)socket;
	return queue_new(dev, qid, queue, stats);
}

/* The port layer already took the queue's counters into the port's totals. */
static void loop_queue_release(struct tern_port_dev *dev, void *queue)
{
	(void)dev;
	free(queue);
}

static int loop_start(struct tern_port_dev *dev)
{
	(void)dev;
	return 0;
}

/* Packets sent but not received yet go back to their pools. */
static int loop_stop(struct tern_port_dev *dev)
{
	struct loop_port *lp = loop_port(dev);

	for (uint16_t i = 0; i < lp->nb_rings; i++) {
		void *pkt;

		while (tern_ring_sc_dequeue(lp->rings[i], &pkt) == 0)
			tern_pkt_free(pkt);
	}
	return 0;
}

static void loop_close(struct tern_port_dev *dev)
{
	struct loop_port *lp = loop_port(dev);

	free_rings(lp);
	free(lp);
}

static int loop_link_get(struct tern_port_dev *dev, struct tern_link *link)
{
	(void)dev;
	*link = (struct tern_link){.up = true, .full_duplex = true, .speed_mbps = 10000};
	return 0;
}

static const struct tern_port_ops loop_ops = {
    .configure = loop_configure,
    .info_get = loop_info_get,
    .rx_queue_setup = loop_rx_queue_setup,
    .tx_queue_setup = loop_tx_queue_setup,
    .rx_queue_release = loop_queue_release,
    .tx_queue_release = loop_queue_release,
    .start = loop_start,
    .stop = loop_stop,
    .close = loop_close,
    .link_get = loop_link_get,
    /* no stats ops: the port layer sums the queues' tern_qstats */
    /* no mac_set, no promisc_set: the port layer answers -ENOTSUP */
};

static int loop_probe(const char *name, const char *args, struct tern_port_dev **devp)
{
	static const char *const known[] = {NULL};
	struct loop_port *lp;
	int ret = tern_devargs_check(LOOP_LOG, args, known);

	if (ret < 0)
		return ret;
	lp = calloc(1, sizeof(*lp));
	if (lp == NULL) {
		tern_log(TERN_LOG_ERR, LOOP_LOG, "%s: out of memory", name);
		return -ENOMEM;
	}
	lp->dev.ops = &loop_ops;
	lp->dev.rx_burst = loop_rx_burst;
	lp->dev.tx_burst = loop_tx_burst;
	lp->dev.socket = TERN_SOCKET_ID_ANY;
	tern_ether_addr_local(&lp->dev.mac, 0x100u + (uint32_t)strlen(name));
	*devp = &lp->dev;
	return 0;
}

static const struct tern_driver loop_driver = {
    .abi_version = TERN_DRIVER_ABI_VERSION,
    .name = "loop",
    .bus = TERN_BUS_VDEV,
    .probe = loop_probe,
};

TERN_PLUGIN_DRIVER(loop_driver);
