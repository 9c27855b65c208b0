/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * af_packet.c - a poll-mode driver over a Linux network interface, through
 * memory-mapped AF_PACKET rings (PACKET_MMAP).
 *
 *   --vdev af_packet0,iface=NAME[,qpairs=N][,framesz=N][,framecnt=N][,blocks=N]
 *
 * The devargs are those of DPDK's net_af_packet (net_af_packet0 matches too).
 * Each queue has its own socket and ring, shared with the kernel
 * (Documentation/networking/packet_mmap.rst is the reference for every
 * ring fact below):
 *
 *  RX  TPACKET_V2: framecnt frames of framesz bytes (in `blocks` blocks;
 *      4096 frames by default, 8 MiB: on a busy host a poller may be off
 *      its CPU for a few milliseconds, and a 512-frame ring then overflowed
 *      at a few hundred kpps, losing 80% of the frames in our benchmark).
 *      The kernel fills a frame and sets TP_STATUS_USER; we copy it into
 *      tern_pkt buffers from the queue's mempool and give the frame back
 *      (TP_STATUS_KERNEL). A frame longer than a slot (a 64 KiB GSO
 *      super-frame) arrives truncated with TP_STATUS_COPY, and the kernel
 *      queues a whole copy on the socket (PACKET_COPY_THRESH): we read it
 *      with recv() into the queue's bounce buffer, in ring order. (TPACKET_V3
 *      blocks would hold super-frames too, but packet_mmap.rst: a block is
 *      handed over only when full or when its retire timer fires, at least
 *      one jiffy: at low rates every frame would wait for the timer.)
 *      PACKET_FANOUT_HASH spreads flows over the RX
 *      queues when there are several; PACKET_IGNORE_OUTGOING keeps our own
 *      transmissions out.
 *  TX  TPACKET_V2: framecnt frames (512 by default). A burst fills frames
 *      (TP_STATUS_SEND_REQUEST) and kicks the kernel with one sendto();
 *      PACKET_QDISC_BYPASS sends straight to the driver, as a NIC queue would.
 *      The socket is bound with protocol 0, so it receives nothing.
 *
 * Offloads (what tern does that DPDK's net_af_packet does not): the sockets
 * use PACKET_VNET_HDR, so every received frame comes with a struct
 * virtio_net_hdr. A frame whose checksum the sender left to "the hardware"
 * (NEEDS_CSUM: veth, and many NICs with TX checksum offload) has it
 * completed here, and a GSO super-frame (TSO on the sending side) is cut
 * into gso_size wire frames (offload.c). Every frame out of an af_packet
 * port is thus a valid wire frame with the interfaces' default offloads.
 * On TX a zeroed header asks the kernel for no offload.
 *
 * Buffers: RX never holds a buffer in a ring (the kernel owns the ring
 * memory); the segments of a super-frame that did not fit in a burst wait
 * in the queue's `pend` list for the next one, and stop() frees them. If
 * the pool is empty, the frame stays in the ring (rx_nombuf) for the next
 * burst: nothing is dropped. TX copies each packet into the ring and frees it.
 *
 * Counters: each queue's struct tern_qstats, summed by the port layer; the
 * kernel's drop count is read into `missed` by the stats op.
 *
 * Files: this one opens the sockets, maps the rings and runs the control
 * path; af_packet_rxtx.c is the RX and TX fast path; offload.c completes
 * checksums and cuts super-frames; af_packet.h holds what they share.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <sys/mman.h>

#include "af_packet.h"
#include "offload.h"
#include "tern_eal.h"
#include "tern_error.h"
#include "tern_log.h"
#include "tern_memory.h"
#include "tern_netif.h"

/* ---- sockets and rings -------------------------------------------------- */

static int sockopt(struct afp_port *ap, int fd, int opt, const void *val, socklen_t len,
                   const char *what)
{
	if (setsockopt(fd, SOL_PACKET, opt, val, len) == 0)
		return 0;
	int err = errno;
	return tern_error(err, AFP_LOG, "%s: %s on %s: %s", ap->dev.name, what, ap->iface,
	                  strerror(err));
}

static int set_promisc(struct afp_port *ap, int fd, bool on)
{
	struct packet_mreq mr = {.mr_ifindex = ap->ifindex, .mr_type = PACKET_MR_PROMISC};

	/* Membership of the socket: the kernel drops it when the socket is closed. */
	return sockopt(ap, fd, on ? PACKET_ADD_MEMBERSHIP : PACKET_DROP_MEMBERSHIP, &mr, sizeof(mr),
	               on ? "PACKET_MR_PROMISC on" : "PACKET_MR_PROMISC off");
}

static void ring_close(struct afp_ring *r)
{
	if (r->map != NULL)
		munmap(r->map, r->map_len);
	free(r->frames);
	*r = (struct afp_ring){0};
}

/*
 * A TPACKET_V2 packet socket with a mapped RX or TX ring, not bound yet.
 * packet_mmap.rst: PACKET_VERSION, PACKET_VNET_HDR (and PACKET_LOSS) must
 * be set before the ring; frames never span blocks, and a block is a
 * multiple of the page size. Returns the socket or a negative errno.
 */
static int ring_socket(struct afp_port *ap, int ring_opt, struct afp_ring *r)
{
	const uint32_t framecnt = ring_opt == PACKET_RX_RING ? ap->framecnt_rx : ap->framecnt_tx;
	const int one = 1, version = TPACKET_V2;
	const size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct tpacket_req req;
	size_t block;
	uint32_t per_block, blocks = ap->blocks;
	int fd, ret;
	void *m;

	/* blocks=N: N blocks share the frames; default: the smallest blocks that hold one. */
	if (blocks == 0)
		block = TERN_ALIGN_CEIL((size_t)ap->framesz, page);
	else
		block =
		    TERN_ALIGN_CEIL((size_t)ap->framesz * ((framecnt + blocks - 1) / blocks), page);
	per_block = (uint32_t)(block / ap->framesz);
	req.tp_block_size = (unsigned)block;
	req.tp_frame_size = ap->framesz;
	req.tp_block_nr = (framecnt + per_block - 1) / per_block;
	req.tp_frame_nr = req.tp_block_nr * per_block;

	r->nb_frames = req.tp_frame_nr;
	r->frame_size = req.tp_frame_size;
	r->map_len = block * req.tp_block_nr;
	r->frames = calloc(r->nb_frames, sizeof(r->frames[0]));
	if (r->frames == NULL) {
		return tern_error(ENOMEM, AFP_LOG, "%s: out of memory", ap->dev.name);
	}
	/* Protocol 0: no frame is queued to the socket before bind() names one. */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = tern_error(errno, AFP_LOG, "%s: packet socket: %s", ap->dev.name,
		                 strerror(errno));
		goto fail;
	}
	if ((ret = sockopt(ap, fd, PACKET_VERSION, &version, sizeof(version), "PACKET_VERSION")) <
	        0 ||
	    (ret = sockopt(ap, fd, PACKET_VNET_HDR, &one, sizeof(one), "PACKET_VNET_HDR")) < 0 ||
	    /* TX: a frame the kernel cannot send is skipped, not left stuck in the ring. */
	    (ring_opt == PACKET_TX_RING &&
	     (ret = sockopt(ap, fd, PACKET_LOSS, &one, sizeof(one), "PACKET_LOSS")) < 0) ||
	    (ret = sockopt(ap, fd, ring_opt, &req, sizeof(req), "ring setup")) < 0)
		goto fail;
	m = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, fd, 0);
	if (m == MAP_FAILED) /* MAP_LOCKED can hit RLIMIT_MEMLOCK: try without */
		m = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		ret = tern_error(errno, AFP_LOG, "%s: mmap of a %zu-byte ring on %s: %s",
		                 ap->dev.name, r->map_len, ap->iface, strerror(errno));
		goto fail;
	}
	r->map = m;
	for (uint32_t i = 0; i < r->nb_frames; i++)
		r->frames[i] = r->map + (size_t)(i / per_block) * block +
		               (size_t)(i % per_block) * r->frame_size;
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	ring_close(r);
	return ret;
}

static int bind_iface(struct afp_port *ap, int fd, uint16_t proto)
{
	struct sockaddr_ll sll = {
	    .sll_family = AF_PACKET,
	    .sll_protocol = htons(proto),
	    .sll_ifindex = ap->ifindex,
	};

	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) == 0)
		return 0;
	int err = errno;
	return tern_error(err, AFP_LOG, "%s: bind to %s: %s", ap->dev.name, ap->iface,
	                  strerror(err));
}

/* Segments waiting in pend[] go back to their pool. */
static void rxq_drop_pending(struct afp_rxq *q)
{
	if (q->pend_cnt > 0)
		tern_pkt_free_bulk(q->pend + q->pend_head, q->pend_cnt);
	q->pend_cnt = 0;
	q->pend_head = 0;
}

static void rxq_free(struct afp_rxq *q)
{
	rxq_drop_pending(q);
	ring_close(&q->ring);
	if (q->fd >= 0)
		close(q->fd);
	free(q->bounce);
	free(q->pend);
	free(q);
}

static int afp_rx_queue_setup(struct tern_port_dev *dev, uint16_t qid, uint16_t nb_desc, int socket,
                              struct tern_mempool *mp, void **queue, struct tern_qstats **stats)
{
	struct afp_port *ap = afp_port(dev);
	const int one = 1, rcvbuf = AFP_RCVBUF;
	struct afp_rxq *q;
	int ret;

	(void)nb_desc; /* the ring is sized by framecnt= */
	(void)socket;
	q = aligned_alloc(TERN_CACHE_LINE_SIZE, sizeof(*q));
	if (q == NULL)
		goto nomem;
	memset(q, 0, sizeof(*q));
	q->fd = -1;
	q->pend = calloc(AFP_PEND_MAX, sizeof(struct tern_pkt *));
	q->bounce = malloc(AFP_BOUNCE_SIZE);
	if (q->pend == NULL || q->bounce == NULL)
		goto nomem;
	q->room = tern_pktpool_data_room(mp);
	if (q->room < 64) {
		ret =
		    tern_error(EINVAL, AFP_LOG,
		               "%s: RX queue %u: pool %s has a %u-byte data room: give at least 64",
		               dev->name, qid, tern_mempool_name(mp), q->room);
		goto fail;
	}
	q->mp = mp;
	q->pool_size = tern_mempool_size(mp);
	q->port_id = dev->port_id;
	q->qid = qid;
	ret = ring_socket(ap, PACKET_RX_RING, &q->ring);
	if (ret < 0)
		goto fail;
	q->fd = ret;
	q->frames = q->ring.frames;
	q->nb_frames = q->ring.nb_frames;
	/*
	 * Frames too long for a slot: the kernel queues a whole copy on the
	 * socket (PACKET_COPY_THRESH), within its receive buffer; as root
	 * SO_RCVBUFFORCE passes net.core.rmem_max, else SO_RCVBUF is capped.
	 */
	if (setsockopt(q->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		(void)setsockopt(q->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	/* Only frames coming in: not what this process (or the host) sends out of it. */
	if ((ret = sockopt(ap, q->fd, PACKET_COPY_THRESH, &one, sizeof(one),
	                   "PACKET_COPY_THRESH")) < 0 ||
	    (ret = sockopt(ap, q->fd, PACKET_IGNORE_OUTGOING, &one, sizeof(one),
	                   "PACKET_IGNORE_OUTGOING")) < 0 ||
	    (ret = bind_iface(ap, q->fd, ETH_P_ALL)) < 0)
		goto fail;
	if (tern_port_dev_nb_rxq(dev) > 1) {
		/* packet_mmap.rst, AF_PACKET fanout: one group per port, hashed by flow. */
		int arg = (int)(ap->fanout_id |
		                (unsigned)(PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG) << 16);

		ret = sockopt(ap, q->fd, PACKET_FANOUT, &arg, sizeof(arg), "PACKET_FANOUT");
		if (ret < 0)
			goto fail;
	}
	if (ap->promisc && (ret = set_promisc(ap, q->fd, true)) < 0)
		goto fail;
	*queue = q;
	*stats = &q->stats;
	return 0;
nomem:
	ret = tern_error(ENOMEM, AFP_LOG, "%s: RX queue %u: out of memory", dev->name, qid);
fail:
	if (q != NULL)
		rxq_free(q);
	return ret;
}

static int afp_tx_queue_setup(struct tern_port_dev *dev, uint16_t qid, uint16_t nb_desc, int socket,
                              void **queue, struct tern_qstats **stats)
{
	struct afp_port *ap = afp_port(dev);
	const int one = 1;
	struct afp_txq *q;
	int ret;

	(void)nb_desc; /* the ring is sized by framecnt= */
	(void)socket;
	q = aligned_alloc(TERN_CACHE_LINE_SIZE, sizeof(*q));
	if (q == NULL) {
		return tern_error(ENOMEM, AFP_LOG, "%s: TX queue %u: out of memory", dev->name,
		                  qid);
	}
	memset(q, 0, sizeof(*q));
	q->max_len = afp_max_frame(ap);
	ret = ring_socket(ap, PACKET_TX_RING, &q->ring);
	if (ret < 0) {
		free(q);
		return ret;
	}
	q->fd = ret;
	q->frames = q->ring.frames;
	q->nb_frames = q->ring.nb_frames;
	/* Straight to the device's xmit, as a NIC queue would be. */
	if ((ret = sockopt(ap, q->fd, PACKET_QDISC_BYPASS, &one, sizeof(one),
	                   "PACKET_QDISC_BYPASS")) < 0 ||
	    (ret = bind_iface(ap, q->fd, 0)) < 0) {
		ring_close(&q->ring);
		close(q->fd);
		free(q);
		return ret;
	}
	*queue = q;
	*stats = &q->stats;
	return 0;
}

/*
 * Sum the kernel's drop count into missed (PACKET_STATISTICS resets on
 * read). Only the control thread calls this: missed has that one writer.
 */
static void rxq_poll_kstats(struct afp_rxq *q)
{
	struct tpacket_stats_v3 st;
	socklen_t len = sizeof(st);

	if (getsockopt(q->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0)
		tern_qstat_add(&q->stats.missed, st.tp_drops);
}

static void afp_rx_queue_release(struct tern_port_dev *dev, void *queue)
{
	struct afp_rxq *q = queue;

	tern_log(TERN_LOG_DEBUG, AFP_LOG,
	         "%s: RX queue %u: %" PRIu64 " checksums completed, %" PRIu64
	         " GSO frames cut into %" PRIu64 " segments",
	         dev->name, q->qid, tern_qstat_read(&q->csum), tern_qstat_read(&q->gso_frames),
	         tern_qstat_read(&q->gso_segs));
	rxq_free(q);
}

static void afp_tx_queue_release(struct tern_port_dev *dev, void *queue)
{
	struct afp_txq *q = queue;

	(void)dev;
	ring_close(&q->ring);
	close(q->fd);
	free(q);
}

/* ---- control path ------------------------------------------------------- */

/* An interface ioctl that failed: one line naming what, and the errno. */
static int afp_netif_error(struct afp_port *ap, int ret, const char *what)
{
	return tern_error(ret, AFP_LOG, "%s: %s of %s: %s", ap->dev.name, what, ap->iface,
	                  strerror(-ret));
}

static int afp_configure(struct tern_port_dev *dev, uint16_t nb_rxq, uint16_t nb_txq,
                         const struct tern_port_conf *conf)
{
	struct afp_port *ap = afp_port(dev);
	int ret;

	(void)nb_rxq; /* fanout hashes flows whenever there are several RX queues */
	(void)nb_txq;
	if (conf == NULL || conf->mtu == 0)
		return 0; /* the interface's MTU, as it is */
	if (conf->mtu + TERN_ETHER_HDR_LEN + AFP_VLAN_TAG_LEN > afp_max_frame(ap)) {
		return tern_error(
		    EINVAL, AFP_LOG,
		    "%s: MTU %u does not fit a %u-byte ring frame: give framesz=%u or more",
		    dev->name, conf->mtu, ap->framesz,
		    TERN_ALIGN_CEIL(conf->mtu + TERN_ETHER_HDR_LEN + AFP_VLAN_TAG_LEN +
		                        (uint32_t)(AFP_TX_DATA_OFF + AFP_VNET_LEN),
		                    16u));
	}
	ret = tern_netif_mtu_set(ap->ctl_fd, ap->iface, conf->mtu);
	return ret < 0 ? afp_netif_error(ap, ret, "setting the MTU (needs CAP_NET_ADMIN)") : 0;
}

static int afp_mac_set(struct tern_port_dev *dev, const struct tern_ether_addr *mac)
{
	struct afp_port *ap = afp_port(dev);
	int ret = tern_netif_mac_set(ap->ctl_fd, ap->iface, mac);

	return ret < 0 ? afp_netif_error(ap, ret, "setting the MAC address (needs CAP_NET_ADMIN)")
	               : 0;
}

static void afp_info_get(struct tern_port_dev *dev, struct tern_port_info *info)
{
	struct afp_port *ap = afp_port(dev);

	info->max_rx_queues = (uint16_t)ap->qpairs;
	info->max_tx_queues = (uint16_t)ap->qpairs;
	/* The rings are sized by devargs; a count in a NIC-like range is accepted. */
	info->rx_desc_min = 1;
	info->rx_desc_max = AFP_MAX_DESC;
	info->tx_desc_min = 1;
	info->tx_desc_max = AFP_MAX_DESC;
	info->max_rx_pktlen = afp_max_frame(ap);
	info->capa = TERN_PORT_CAPA_MULTI_SEG_TX | TERN_PORT_CAPA_MULTI_SEG_RX |
	             TERN_PORT_CAPA_MAC_SET | TERN_PORT_CAPA_PROMISC | TERN_PORT_CAPA_RUNTIME_LINK;
}

static int afp_start(struct tern_port_dev *dev)
{
	(void)dev;
	return 0; /* sockets are bound at queue setup */
}

static int afp_stop(struct tern_port_dev *dev)
{
	for (uint16_t i = 0; i < tern_port_dev_nb_rxq(dev); i++)
		if (tern_port_dev_rxq(dev, i) != NULL)
			rxq_drop_pending(tern_port_dev_rxq(dev, i));
	return 0;
}

static void afp_close(struct tern_port_dev *dev)
{
	struct afp_port *ap = afp_port(dev);

	close(ap->ctl_fd);
	free(ap);
}

static int afp_promisc_set(struct tern_port_dev *dev, bool on)
{
	struct afp_port *ap = afp_port(dev);
	int ret;

	if (on == ap->promisc)
		return 0;
	for (uint16_t i = 0; i < tern_port_dev_nb_rxq(dev); i++) {
		struct afp_rxq *q = tern_port_dev_rxq(dev, i);

		if (q != NULL && (ret = set_promisc(ap, q->fd, on)) < 0)
			return ret;
	}
	ap->promisc = on;
	return 0;
}

static int afp_link_get(struct tern_port_dev *dev, struct tern_link *link)
{
	struct afp_port *ap = afp_port(dev);
	int ret = tern_netif_link_get(ap->ctl_fd, ap->iface, link);

	if (ret == -ENODEV) { /* the interface was deleted (or left the namespace) */
		tern_port_dev_removed(dev, "the interface is gone");
		return 0;
	}
	return ret < 0 ? afp_netif_error(ap, ret, "flags") : 0;
}

/* The kernel's drops: the port layer sums the queue counters, missed included. */
static int afp_stats_get(struct tern_port_dev *dev, struct tern_port_stats *stats)
{
	(void)stats;
	for (uint16_t i = 0; i < tern_port_dev_nb_rxq(dev); i++)
		if (tern_port_dev_rxq(dev, i) != NULL)
			rxq_poll_kstats(tern_port_dev_rxq(dev, i));
	return 0;
}

static int afp_queue_stats_get(struct tern_port_dev *dev, bool rx, uint16_t qid,
                               struct tern_queue_stats *stats)
{
	(void)stats;
	if (rx)
		rxq_poll_kstats(tern_port_dev_rxq(dev, qid));
	return 0;
}

static const struct tern_port_ops afp_ops = {
    .configure = afp_configure,
    .info_get = afp_info_get,
    .rx_queue_setup = afp_rx_queue_setup,
    .tx_queue_setup = afp_tx_queue_setup,
    .rx_queue_release = afp_rx_queue_release,
    .tx_queue_release = afp_tx_queue_release,
    .start = afp_start,
    .stop = afp_stop,
    .close = afp_close,
    .mac_set = afp_mac_set,
    .promisc_set = afp_promisc_set,
    .link_get = afp_link_get,
    .stats_get = afp_stats_get,
    .queue_stats_get = afp_queue_stats_get,
};

/* A devarg as a number in [lo, hi] (multiple of `mult`), or its default. */
static int arg_u32(const char *name, const char *args, const char *key, uint32_t lo, uint32_t hi,
                   uint32_t mult, uint32_t *val)
{
	int ret = tern_devargs_get_u32(args, key, val);

	if (ret == -ENOENT)
		return 0;
	if (ret < 0 || *val < lo || *val > hi || *val % mult != 0) {
		tern_eal_set_error(AFP_LOG, "%s: %s= must be a number from %u to %u%s", name, key,
		                   lo, hi, mult > 1 ? ", a multiple of 16" : "");
		return -EINVAL;
	}
	return 0;
}

/*
 * Probe errors go through tern_eal_set_error (which logs them too), so that
 * an application printing tern_eal_last_error() shows the driver's line.
 */
static int afp_probe(const char *name, const char *args, struct tern_port_dev **devp)
{
	static const char *const known[] = {"iface",    "qpairs", "framesz",
	                                    "framecnt", "blocks", NULL};
	struct afp_port *ap;
	char iface[IFNAMSIZ];
	int ret, fd;

	ret = tern_devargs_check(AFP_LOG, args, known);
	if (ret < 0)
		return ret;
	ret = tern_devargs_get(args, "iface", iface, sizeof(iface));
	if (ret == -E2BIG) {
		tern_eal_set_error(AFP_LOG,
		                   "%s: iface= is longer than an interface name (%d bytes at most)",
		                   name, IFNAMSIZ - 1);
		return -EINVAL;
	}
	if (ret <= 0) {
		tern_eal_set_error(
		    AFP_LOG,
		    "%s: iface= is required: give the interface, e.g. --vdev %s,iface=eth0", name,
		    name);
		return -EINVAL;
	}
	ap = calloc(1, sizeof(*ap));
	if (ap == NULL) {
		tern_eal_set_error(AFP_LOG, "%s: out of memory", name);
		return -ENOMEM;
	}
	ap->qpairs = 1;
	ap->framesz = AFP_DEFAULT_FRAMESZ;
	ap->framecnt_rx = AFP_DEFAULT_FRAMECNT_RX;
	ap->framecnt_tx = AFP_DEFAULT_FRAMECNT_TX;
	ap->ctl_fd = -1;
	if ((ret = arg_u32(name, args, "qpairs", 1, AFP_MAX_QPAIRS, 1, &ap->qpairs)) < 0 ||
	    (ret = arg_u32(name, args, "framesz", 128, 65536, TPACKET_ALIGNMENT, &ap->framesz)) <
	        0 ||
	    (ret = arg_u32(name, args, "framecnt", 1, 1u << 20, 1, &ap->framecnt_rx)) < 0 ||
	    (ret = arg_u32(name, args, "blocks", 1, 1u << 20, 1, &ap->blocks)) < 0)
		goto fail;
	if (tern_devargs_get_u32(args, "framecnt", &ap->framecnt_tx) < 0)
		ap->framecnt_tx = AFP_DEFAULT_FRAMECNT_TX; /* framecnt= sets both rings */
	strlcpy(ap->iface, iface, sizeof(ap->iface));
	strlcpy(ap->dev.name, name, sizeof(ap->dev.name));

	ap->ifindex = (int)if_nametoindex(iface);
	if (ap->ifindex == 0) {
		tern_eal_set_error(
		    AFP_LOG,
		    "%s: interface '%s' does not exist in this network namespace: give "
		    "iface= an existing one (see 'ip link')",
		    name, iface);
		ret = -ENODEV;
		goto fail;
	}
	/* A packet socket needs CAP_NET_RAW: find out now, with one clear line. */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		if (ret == -EPERM || ret == -EACCES)
			tern_eal_set_error(
			    AFP_LOG,
			    "%s: a packet socket on %s needs CAP_NET_RAW: run as root or "
			    "grant it (setcap cap_net_raw+ep on the program)",
			    name, iface);
		else
			tern_eal_set_error(AFP_LOG, "%s: packet socket on %s: %s", name, iface,
			                   strerror(-ret));
		goto fail;
	}
	close(fd);
	ap->ctl_fd = tern_netif_ctl_socket();
	if (ap->ctl_fd < 0) {
		ret = ap->ctl_fd;
		tern_eal_set_error(AFP_LOG, "%s: control socket: %s", name, strerror(-ret));
		goto fail;
	}
	ret = tern_netif_mac_get(ap->ctl_fd, ap->iface, &ap->dev.mac);
	if (ret < 0) {
		(void)afp_netif_error(ap, ret, "MAC address");
		goto fail;
	}
	/* Fanout group ids are per network namespace: make this one unlikely to clash. */
	ap->fanout_id = (uint16_t)((unsigned)getpid() * 31u + (unsigned)ap->ifindex);
	ap->dev.ops = &afp_ops;
	ap->dev.rx_burst = tern_afp_rx_burst;
	ap->dev.tx_burst = tern_afp_tx_burst;
	ap->dev.socket = TERN_SOCKET_ID_ANY;
	*devp = &ap->dev;
	return 0;
fail:
	if (ap->ctl_fd >= 0)
		close(ap->ctl_fd);
	free(ap);
	return ret;
}

const struct tern_driver tern_af_packet_driver = {
    .abi_version = TERN_DRIVER_ABI_VERSION,
    .name = "af_packet",
    .bus = TERN_BUS_VDEV,
    .probe = afp_probe,
};
