/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * null.c - the null poll-mode driver: a port with no wire behind it.
 *
 *   --vdev null0[,size=N]
 *
 * RX hands out fresh packets of N bytes (default 64) taken from the queue's
 * mempool, a whole burst at a time; TX frees whatever it is given. It does
 * what DPDK's net_null does, with the same costs, so that the two can be
 * compared fairly: every packet really comes from and goes back to a mempool,
 * through the same inline fast path an application's own packets take. The
 * payload is whatever the buffer held before: nothing is written into it.
 *
 * Counters: each queue embeds a struct tern_qstats that the port layer sums
 * (tern_driver.h): the bursts add with tern_qstat_add, plain moves.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tern_driver.h"
#include "tern_error.h"
#include "tern_log.h"
#include "tern_memory.h"
#include "tern_mempool.h"
#include "tern_pkt.h"

#define NULL_LOG          "null"
#define NULL_MAX_QUEUES   16
#define NULL_DEFAULT_SIZE 64
#define NULL_MIN_SIZE     TERN_ETHER_HDR_LEN
#define NULL_MAX_SIZE     9000
#define NULL_MAX_DESC     4096
#define NULL_SPEED_MBPS   10000

/* One RX or TX queue, on its own cache line(s): only its poller writes it. */
struct null_queue {
	struct tern_mempool *mp;  /* RX: where packets come from */
	uint32_t size;            /* RX: bytes per packet */
	uint16_t port_id;         /* RX: stamped into every packet */
	struct tern_qstats stats; /* RX nombuf: packets not handed out, the pool was empty */
} TERN_CACHE_ALIGNED;

struct null_port {
	struct tern_port_dev dev;
	uint32_t size;
};

static inline struct null_port *null_port(struct tern_port_dev *dev)
{
	return tern_container_of(dev, struct null_port, dev);
}

/* ---- fast path ---------------------------------------------------------- */

static uint16_t null_rx_burst(void *queue, struct tern_pkt **pkts, uint16_t n)
{
	struct null_queue *q = queue;
	const uint32_t size = q->size;
	const uint16_t port = q->port_id;

	/*
	 * All or nothing, as DPDK's null: a short pool gives no packet this
	 * time. This is tern_pkt_alloc_bulk() with the reset and our own
	 * fields in one loop, so that each header is written once, not twice.
	 */
	if (tern_unlikely(tern_mempool_get_bulk(q->mp, (void **)pkts, n) < 0)) {
		tern_qstat_add(&q->stats.nombuf, n);
		return 0;
	}
	for (uint16_t i = 0; i < n; i++)
		tern_prefetch_w(pkts[i]);
	for (uint16_t i = 0; i < n; i++) {
		struct tern_pkt *p = pkts[i];

		tern_pkt_reset_fields(p);
		p->data_len = (uint16_t)size;
		p->pkt_len = size;
		p->port = port;
	}
	tern_qstat_add(&q->stats.packets, n);
	tern_qstat_add(&q->stats.bytes, (uint64_t)n * size);
	return n;
}

static uint16_t null_tx_burst(void *queue, struct tern_pkt **pkts, uint16_t n)
{
	struct null_queue *q = queue;
	uint64_t bytes = 0;

	/* pkt_len covers the whole chain: chains are one frame each. */
	for (uint16_t i = 0; i < n; i++)
		tern_prefetch(pkts[i]);
	for (uint16_t i = 0; i < n; i++)
		bytes += pkts[i]->pkt_len;
	tern_pkt_free_bulk(pkts, n);
	tern_qstat_add(&q->stats.packets, n);
	tern_qstat_add(&q->stats.bytes, bytes);
	return n;
}

/* ---- control path ------------------------------------------------------- */

static int null_configure(struct tern_port_dev *dev, uint16_t nb_rxq, uint16_t nb_txq,
                          const struct tern_port_conf *conf)
{
	(void)dev;
	(void)nb_rxq;
	(void)nb_txq;
	(void)conf;
	return 0; /* nothing to program; RSS has no meaning without a wire */
}

static void null_info_get(struct tern_port_dev *dev, struct tern_port_info *info)
{
	(void)dev;
	info->max_rx_queues = NULL_MAX_QUEUES;
	info->max_tx_queues = NULL_MAX_QUEUES;
	/* No descriptor rings: a count in a NIC-like range is accepted and ignored. */
	info->rx_desc_min = 1;
	info->rx_desc_max = NULL_MAX_DESC;
	info->tx_desc_min = 1;
	info->tx_desc_max = NULL_MAX_DESC;
	info->max_rx_pktlen = NULL_MAX_SIZE + TERN_ETHER_HDR_LEN + TERN_ETHER_CRC_LEN;
	info->capa = TERN_PORT_CAPA_MULTI_SEG_TX | TERN_PORT_CAPA_PROMISC | TERN_PORT_CAPA_MAC_SET;
}

static struct null_queue *queue_alloc(void)
{
	struct null_queue *q = aligned_alloc(TERN_CACHE_LINE_SIZE, sizeof(*q));

	if (q != NULL)
		memset(q, 0, sizeof(*q));
	return q;
}

static int null_rx_queue_setup(struct tern_port_dev *dev, uint16_t qid, uint16_t nb_desc,
                               int socket, struct tern_mempool *mp, void **queue,
                               struct tern_qstats **stats)
{
	struct null_port *np = null_port(dev);
	struct null_queue *q;
	/* The data room is what follows the default headroom (tern_pkt_reset_fields). */
	uint32_t room = tern_pktpool_data_room(mp);

	(void)nb_desc;
	(void)socket;
	if (np->size > room) {
		return tern_error(
		    EINVAL, NULL_LOG,
		    "%s: RX queue %u: size=%u does not fit the %u-byte data room of pool %s: "
		    "use a larger buf_size or a smaller size=",
		    dev->name, qid, np->size, room, tern_mempool_name(mp));
	}
	q = queue_alloc();
	if (q == NULL) {
		return tern_error(ENOMEM, NULL_LOG, "%s: RX queue %u: out of memory", dev->name,
		                  qid);
	}
	q->mp = mp;
	q->size = np->size;
	q->port_id = dev->port_id;
	*queue = q;
	*stats = &q->stats;
	return 0;
}

static int null_tx_queue_setup(struct tern_port_dev *dev, uint16_t qid, uint16_t nb_desc,
                               int socket, void **queue, struct tern_qstats **stats)
{
	struct null_queue *q = queue_alloc();

	(void)nb_desc;
	(void)socket;
	if (q == NULL) {
		return tern_error(ENOMEM, NULL_LOG, "%s: TX queue %u: out of memory", dev->name,
		                  qid);
	}
	*queue = q;
	*stats = &q->stats;
	return 0;
}

static void null_queue_release(struct tern_port_dev *dev, void *queue)
{
	(void)dev;
	free(queue);
}

static int null_start(struct tern_port_dev *dev)
{
	(void)dev;
	return 0;
}

static int null_stop(struct tern_port_dev *dev)
{
	(void)dev;
	return 0; /* the null port holds no packet between bursts */
}

static void null_close(struct tern_port_dev *dev)
{
	free(null_port(dev));
}

static int null_mac_set(struct tern_port_dev *dev, const struct tern_ether_addr *mac)
{
	(void)dev;
	(void)mac;
	return 0; /* the port layer stores it in dev->mac; nothing filters on it */
}

static int null_promisc_set(struct tern_port_dev *dev, bool on)
{
	(void)dev;
	(void)on;
	return 0; /* every "received" packet is accepted anyway */
}

static int null_link_get(struct tern_port_dev *dev, struct tern_link *link)
{
	(void)dev;
	*link = (struct tern_link){.up = true, .full_duplex = true, .speed_mbps = NULL_SPEED_MBPS};
	return 0;
}

static const struct tern_port_ops null_ops = {
    .configure = null_configure,
    .info_get = null_info_get,
    .rx_queue_setup = null_rx_queue_setup,
    .tx_queue_setup = null_tx_queue_setup,
    .rx_queue_release = null_queue_release,
    .tx_queue_release = null_queue_release,
    .start = null_start,
    .stop = null_stop,
    .close = null_close,
    .mac_set = null_mac_set,
    .promisc_set = null_promisc_set,
    .link_get = null_link_get,
};

/* FNV-1a: a stable number from the port name, so each null port gets its own MAC. */
static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

static int null_probe(const char *name, const char *args, struct tern_port_dev **devp)
{
	static const char *const known[] = {"size", NULL};
	struct null_port *np;
	uint32_t size = NULL_DEFAULT_SIZE;
	int ret;

	ret = tern_devargs_check(NULL_LOG, args, known);
	if (ret < 0)
		return ret;
	ret = tern_devargs_get_u32(args, "size", &size);
	if (ret == -EINVAL || (ret == 0 && (size < NULL_MIN_SIZE || size > NULL_MAX_SIZE))) {
		tern_eal_set_error(NULL_LOG, "size= must be a number of bytes from %d to %d",
		                   NULL_MIN_SIZE, NULL_MAX_SIZE);
		return -EINVAL;
	}
	np = calloc(1, sizeof(*np));
	if (np == NULL) {
		return tern_error(ENOMEM, NULL_LOG, "%s: out of memory", name);
	}
	np->size = size;
	np->dev.ops = &null_ops;
	np->dev.rx_burst = null_rx_burst;
	np->dev.tx_burst = null_tx_burst;
	np->dev.socket = TERN_SOCKET_ID_ANY;
	tern_ether_addr_local(&np->dev.mac, name_hash(name));
	*devp = &np->dev;
	return 0;
}

const struct tern_driver tern_null_driver = {
    .abi_version = TERN_DRIVER_ABI_VERSION,
    .name = "null",
    .bus = TERN_BUS_VDEV,
    .probe = null_probe,
};
