/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * memif.c - the memif poll-mode driver: shared-memory packet ports between
 * processes, interoperable with VPP, libmemif and DPDK's net_memif.
 *
 *   --vdev memif0,socket=PATH[,role=server|client][,id=N][,rsize=LOG2]
 *         [,bsize=BYTES][,queues=N][,mac=XX:..][,secret=S]
 *         [,socket-abstract=yes|no][,zero-copy=yes|no]
 *
 * Names and defaults as DPDK's net_memif: role=server, id=0, rsize=10
 * (1024 slots), bsize=2048, socket=/run/memif.sock in the abstract namespace
 * unless socket-abstract=no. The client owns the shared regions. Copy mode
 * (the default): region 0 holds rings and buffers; both sides copy frames
 * between it and their own packet buffers. zero-copy=yes (client only): the
 * RX queues' packet pools are shared as regions and the client's tern_pkt
 * buffers are the memif buffers; only the server copies. See doc/memif.md.
 *
 * This file: devargs and the port ops. memif_ctl.c: the control protocol.
 * memif_rxtx.c: the bursts.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "memif.h"
#include "tern_error.h"
#include "tern_ether.h"
#include "tern_log.h"
#include "tern_memory.h"
#include "tern_pkt.h"

static int memif_configure(struct tern_port_dev *dev, uint16_t nb_rxq, uint16_t nb_txq,
                           const struct tern_port_conf *conf)
{
	(void)dev;
	(void)nb_rxq;
	(void)nb_txq;
	(void)conf;
	return 0; /* rings are made when a peer connects */
}

static void memif_info_get(struct tern_port_dev *dev, struct tern_port_info *info)
{
	struct memif_port *mp = memif_port(dev);

	info->max_rx_queues = mp->max_queues;
	info->max_tx_queues = mp->max_queues;
	/* The ring size is rsize= (negotiated with the peer): a descriptor count is ignored. */
	info->rx_desc_min = 1;
	info->rx_desc_max = UINT16_MAX;
	info->tx_desc_min = 1;
	info->tx_desc_max = UINT16_MAX;
	info->max_rx_pktlen = 9000 + TERN_ETHER_HDR_LEN + TERN_ETHER_CRC_LEN;
	info->capa = TERN_PORT_CAPA_MULTI_SEG_TX | TERN_PORT_CAPA_PROMISC | TERN_PORT_CAPA_MAC_SET;
}

static struct memif_queue *queue_alloc(struct tern_port_dev *dev, uint16_t qid, bool rx)
{
	struct memif_queue *q = aligned_alloc(TERN_CACHE_LINE_SIZE, sizeof(*q));

	if (q == NULL) {
		tern_error(ENOMEM, MEMIF_LOG, "%s: %s queue %u: out of memory", dev->name,
		           rx ? "RX" : "TX", qid);
		return NULL;
	}
	memset(q, 0, sizeof(*q));
	q->qid = qid;
	q->rx = rx;
	q->port_id = dev->port_id;
	q->kick_fd = -1;
	return q;
}

static int memif_rx_queue_setup(struct tern_port_dev *dev, uint16_t qid, uint16_t nb_desc,
                                int socket, struct tern_mempool *mp, void **queue,
                                struct tern_qstats **stats)
{
	struct memif_queue *q;

	(void)nb_desc;
	(void)socket;
	q = queue_alloc(dev, qid, true);
	if (q == NULL)
		return -ENOMEM;
	q->mp = mp;
	q->room = tern_pktpool_data_room(mp);
	*queue = q;
	*stats = &q->stats;
	return 0;
}

static int memif_tx_queue_setup(struct tern_port_dev *dev, uint16_t qid, uint16_t nb_desc,
                                int socket, void **queue, struct tern_qstats **stats)
{
	struct memif_queue *q = queue_alloc(dev, qid, false);

	(void)nb_desc;
	(void)socket;
	if (q == NULL)
		return -ENOMEM;
	*queue = q;
	*stats = &q->stats;
	return 0;
}

static void memif_queue_release(struct tern_port_dev *dev, void *queue)
{
	(void)dev;
	free(queue); /* disconnected before: stop withdrew its ring */
}

static int memif_start(struct tern_port_dev *dev)
{
	return tern_memif_start(memif_port(dev));
}

static int memif_stop(struct tern_port_dev *dev)
{
	/* The rings are withdrawn; zero-copy's offered and lent buffers go back to their pools. */
	tern_memif_stop(memif_port(dev));
	return 0;
}

static void memif_close(struct tern_port_dev *dev)
{
	struct memif_port *mp = memif_port(dev);

	tern_memif_sock_detach(mp);
	free(mp);
}

static int memif_mac_set(struct tern_port_dev *dev, const struct tern_ether_addr *mac)
{
	(void)dev;
	(void)mac;
	return 0; /* stored in dev->mac by the port layer; nothing filters on it */
}

static int memif_promisc_set(struct tern_port_dev *dev, bool on)
{
	(void)dev;
	(void)on;
	return 0; /* every frame the peer sends is received */
}

static int memif_link_get(struct tern_port_dev *dev, struct tern_link *link)
{
	struct memif_port *mp = memif_port(dev);
	bool up;

	/* The control path runs here too: without the thread, polling the link makes progress. */
	tern_memif_service(0);
	up = atomic_load_explicit(&mp->state, memory_order_relaxed) == MEMIF_UP;
	*link = (struct tern_link){
	    .up = up, .full_duplex = up, .speed_mbps = up ? MEMIF_SPEED_MBPS : 0};
	return 0;
}

static const struct tern_port_ops memif_ops = {
    .configure = memif_configure,
    .info_get = memif_info_get,
    .rx_queue_setup = memif_rx_queue_setup,
    .tx_queue_setup = memif_tx_queue_setup,
    .rx_queue_release = memif_queue_release,
    .tx_queue_release = memif_queue_release,
    .start = memif_start,
    .stop = memif_stop,
    .close = memif_close,
    .mac_set = memif_mac_set,
    .promisc_set = memif_promisc_set,
    .link_get = memif_link_get,
};

/* FNV-1a: a stable number from the port name, so each memif port gets its own MAC. */
static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

static int get_yes_no(const char *args, const char *key, bool *val)
{
	char buf[8];
	int ret = tern_devargs_get(args, key, buf, sizeof(buf));

	if (ret == -ENOENT)
		return 0;
	if (ret >= 0 && strcmp(buf, "yes") == 0)
		*val = true;
	else if (ret >= 0 && strcmp(buf, "no") == 0)
		*val = false;
	else {
		return tern_error(EINVAL, MEMIF_LOG, "%s= must be yes or no", key);
	}
	return 0;
}

static int get_u32_range(const char *args, const char *key, uint32_t lo, uint32_t hi, uint32_t *val)
{
	int ret = tern_devargs_get_u32(args, key, val);

	if (ret == -EINVAL || (ret == 0 && (*val < lo || *val > hi))) {
		return tern_error(EINVAL, MEMIF_LOG, "%s= must be a number from %u to %u", key, lo,
		                  hi);
	}
	return 0;
}

static int memif_parse(struct memif_port *mp, const char *name, const char *args, char *path,
                       size_t path_len, bool *abstract)
{
	static const char *const known[] = {
	    "socket", "role",      "id",     "rsize",           "bsize", "queues",
	    "mac",    "zero-copy", "secret", "socket-abstract", NULL};
	uint32_t v;
	char buf[64];
	int ret;

	ret = tern_devargs_check(MEMIF_LOG, args, known);
	if (ret < 0)
		return ret;
	ret = tern_devargs_get(args, "socket", path, path_len);
	if (ret == -ENOENT)
		snprintf(path, path_len, "/run/memif.sock");
	else if (ret <= 0) {
		return tern_error(EINVAL, MEMIF_LOG,
		                  "%s: socket= must be a path of 1 to %zu characters", name,
		                  path_len - 2);
	}
	*abstract = true;
	if (get_yes_no(args, "socket-abstract", abstract) < 0)
		return -EINVAL;
	if (strlen(path) > path_len - 2) { /* room for the abstract namespace's leading NUL */
		return tern_error(EINVAL, MEMIF_LOG,
		                  "%s: socket= is too long: at most %zu characters", name,
		                  path_len - 2);
	}
	mp->role = MEMIF_ROLE_SERVER;
	ret = tern_devargs_get(args, "role", buf, sizeof(buf));
	if (ret >= 0) {
		if (strcmp(buf, "server") == 0 || strcmp(buf, "master") == 0)
			mp->role = MEMIF_ROLE_SERVER;
		else if (strcmp(buf, "client") == 0 || strcmp(buf, "slave") == 0)
			mp->role = MEMIF_ROLE_CLIENT;
		else
			ret = -EINVAL;
	}
	if (ret != -ENOENT && ret < 0) {
		return tern_error(EINVAL, MEMIF_LOG, "%s: role= must be server or client", name);
	}
	if (get_u32_range(args, "id", 0, UINT32_MAX, &mp->id) < 0)
		return -EINVAL;
	/* A server accepts rings up to rsize= (default the maximum); a client asks for rsize=. */
	v = mp->role == MEMIF_ROLE_SERVER ? MEMIF_MAX_LOG2 : MEMIF_DEF_LOG2;
	if (get_u32_range(args, "rsize", 1, MEMIF_MAX_LOG2, &v) < 0)
		return -EINVAL;
	mp->log2 = (uint8_t)v;
	mp->bsize = MEMIF_DEF_BSIZE;
	if (get_u32_range(args, "bsize", MEMIF_MIN_BSIZE, MEMIF_MAX_BSIZE, &mp->bsize) < 0)
		return -EINVAL;
	v = MEMIF_MAX_QUEUES;
	if (get_u32_range(args, "queues", 1, MEMIF_MAX_QUEUES, &v) < 0)
		return -EINVAL;
	mp->max_queues = (uint16_t)v;
	if (get_yes_no(args, "zero-copy", &mp->zero_copy) < 0)
		return -EINVAL;
	if (mp->zero_copy && mp->role == MEMIF_ROLE_SERVER) {
		/* As DPDK's net_memif: the client owns the memory, a server always copies. */
		tern_log(TERN_LOG_WARNING, MEMIF_LOG,
		         "%s: zero-copy=yes applies to a client only: this server copies", name);
		mp->zero_copy = false;
	}
	ret = tern_devargs_get(args, "secret", mp->secret, sizeof(mp->secret));
	if (ret == -E2BIG) {
		return tern_error(EINVAL, MEMIF_LOG, "%s: secret= is at most %d characters", name,
		                  MEMIF_SECRET_SZ);
	}
	if (ret < 0)
		mp->secret[0] = '\0';
	ret = tern_devargs_get(args, "mac", buf, sizeof(buf));
	if (ret >= 0 && tern_ether_addr_parse(buf, &mp->dev.mac) != 0) {
		return tern_error(EINVAL, MEMIF_LOG, "%s: mac= must look like 02:00:00:00:00:01",
		                  name);
	}
	if (ret < 0)
		tern_ether_addr_local(&mp->dev.mac, name_hash(name));
	return 0;
}

static int memif_probe(const char *name, const char *args, struct tern_port_dev **devp)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct memif_port *mp;
	bool abstract = true;
	int ret;

	mp = calloc(1, sizeof(*mp));
	if (mp == NULL)
		return tern_error(ENOMEM, MEMIF_LOG, "%s: out of memory", name);
	ret = memif_parse(mp, name, args, path, sizeof(path), &abstract);
	if (ret < 0) {
		free(mp);
		return ret;
	}
	for (int i = 0; i < MEMIF_MAX_REGIONS; i++)
		mp->regs.r[i].fd = -1;
	for (int i = 0; i < MEMIF_MAX_QUEUES; i++)
		mp->efd[0][i] = mp->efd[1][i] = mp->c2s[i].fd = mp->s2c[i].fd = -1;
	snprintf(mp->dev.name, sizeof(mp->dev.name), "%s", name);
	mp->dev.ops = &memif_ops;
	mp->dev.rx_burst = mp->zero_copy ? tern_memif_rx_burst_zc : tern_memif_rx_burst;
	mp->dev.tx_burst = mp->zero_copy ? tern_memif_tx_burst_zc : tern_memif_tx_burst;
	mp->dev.socket = TERN_SOCKET_ID_ANY;
	ret = tern_memif_sock_attach(mp, path, abstract);
	if (ret < 0) {
		free(mp);
		return ret;
	}
	*devp = &mp->dev;
	return 0;
}

const struct tern_driver tern_memif_driver = {
    .abi_version = TERN_DRIVER_ABI_VERSION,
    .name = "memif",
    .bus = TERN_BUS_VDEV,
    .probe = memif_probe,
};
