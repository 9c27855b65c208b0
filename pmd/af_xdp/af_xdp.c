/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * af_xdp.c - a poll-mode driver over any Linux network interface, through
 * AF_XDP sockets (XSK): the kernel keeps the device, and its XDP hook hands
 * received frames to user space without the socket path.
 *
 *   --vdev af_xdp0,iface=IF[,start_queue=Q][,queue_count=N][,mode=auto|zc|copy]
 *                      [,busy_budget=B][,xdp_prog=PATH]
 *
 * Names follow DPDK's net_af_xdp (net_af_xdp0 matches too). Port queue i is
 * the interface's queue start_queue + i; queue_count (default 1) is how
 * many the port may use. The reference for every ring fact below is
 * Linux's Documentation/networking/af_xdp.rst.
 *
 * UMEM is tern's packet memory. At start, each queue pair opens one XSK
 * socket (af_xdp_sock.c) and registers the memory of its RX queue's pool
 * (the pool's one DMA area, widened to whole pages) as that socket's UMEM,
 * in unaligned-chunk mode (XDP_UMEM_UNALIGNED_CHUNK_FLAG): a chunk is one buffer,
 * [buf_addr, buf_addr + buf_len), wherever the pool placed it, so the pool
 * keeps its own layout. The same memory may be registered by several
 * sockets (two ports sharing one pool each register it): the kernel allows
 * it, and no XDP_SHARED_UMEM bookkeeping is needed.
 *
 *  RX  the fill ring carries buffers of the pool to the kernel (their
 *      chunk address); the kernel writes a frame XDP_PACKET_HEADROOM (256)
 *      bytes into the chunk and returns it on the RX ring with the offset
 *      in the address's upper 16 bits (unaligned mode). The burst hands the
 *      application that same tern_pkt, data_off set to the offset: no copy.
 *      Frames are thus at most buf_len - 256 bytes (1920 with the default
 *      2176-byte buffers). The fill ring is kept topped up to the queue's
 *      nb_desc buffers, refilled in batches; when the pool is empty the
 *      refill counts rx_nombuf and the kernel drops what finds the fill ring
 *      empty, which XDP_STATISTICS counts (imissed): nothing is lost unseen.
 *  TX  a packet of the UMEM's pool (one segment, one owner) goes out as is:
 *      its data address and length go on the TX ring, and the buffer comes
 *      back on the completion ring, then to its pool. A packet of another
 *      pool (or a chain, or one with other owners) is copied into a buffer
 *      of the UMEM's pool first, counted as a copy (the port's queue stats
 *      at close): an application that wants no copy gives both ports of a
 *      forwarding pair the same pool, as tern-l2fwd does.
 *  Wakeups: sockets are bound with XDP_USE_NEED_WAKEUP, so the kernel is
 *      kicked (recvfrom/sendto, MSG_DONTWAIT) only when it sets the ring's
 *      XDP_RING_NEED_WAKEUP flag. busy_budget=B (B > 0) sets
 *      SO_PREFER_BUSY_POLL and SO_BUSY_POLL_BUDGET=B: the driver's NAPI
 *      then runs in the poller's recvfrom/sendto, and every RX poll and
 *      every TX burst makes that call (the ring flags are not consulted).
 *  Modes: mode=zc binds with XDP_ZEROCOPY (the driver DMAs into the pool's
 *      buffers; the bind fails where the driver cannot), mode=copy with
 *      XDP_COPY (the kernel copies between its buffers and the UMEM),
 *      mode=auto lets the kernel pick and logs which one it got.
 *
 * Buffer accounting: every buffer lent to the kernel is marked in the
 * queue's `lent` table by its pool index (af_xdp.h); addresses coming back
 * are checked against it. At stop, the program's map entry goes, the
 * socket is closed, and every buffer still marked (on the fill, RX, TX or
 * completion ring, or inside the kernel) goes back to its pool.
 *
 * The XDP program (af_xdp_prog.c) is tern's own five-instruction redirect,
 * or xdp_prog=PATH, attached at start through a bpf_link and detached at
 * stop; a program someone else attached is never touched.
 *
 * Counters: each queue's struct tern_qstats (tern_driver.h), written by its
 * poller; `missed` alone is written by the control path, from the
 * kernel's XDP_STATISTICS, when stats are read.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/ethtool.h>
#include <linux/if_ether.h>
#include <linux/sockios.h>
#include <sys/socket.h>
#include <xdp/libxdp.h>

#include "af_xdp.h"
#include "tern_eal.h"
#include "tern_error.h"
#include "tern_log.h"
#include "tern_netif.h"

/* ---- interface ioctls --------------------------------------------------- */

/* An interface ioctl that failed: one line naming what, and the errno. */
static int axp_netif_error(struct axp_port *ap, int ret, const char *what)
{
	return tern_error(ret, AXP_LOG, "%s: %s of %s: %s", ap->dev.name, what, ap->iface,
	                  strerror(-ret));
}

/*
 * RX queues of the interface: ETHTOOL_GCHANNELS (rx + combined), asked of
 * the interface in this process's network namespace; else
 * /sys/class/net/IF/queues/rx-N, which is only this namespace's view when
 * /sys was mounted in it (ip netns exec does that, unshare(2) alone not).
 */
static uint32_t iface_rx_queues(struct axp_port *ap)
{
	struct ethtool_channels ch = {.cmd = ETHTOOL_GCHANNELS};
	char path[64 + IFNAMSIZ];
	struct dirent *de;
	struct ifreq ifr;
	uint32_t n = 0;
	DIR *d;

	ifr.ifr_data = (void *)&ch;
	if (tern_netif_ioctl(ap->ctl_fd, ap->iface, SIOCETHTOOL, &ifr) == 0 &&
	    ch.rx_count + ch.combined_count > 0)
		return ch.rx_count + ch.combined_count;
	snprintf(path, sizeof(path), "/sys/class/net/%s/queues", ap->iface);
	d = opendir(path);
	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		n += strncmp(de->d_name, "rx-", 3) == 0;
	closedir(d);
	return n;
}

/* ---- queues ------------------------------------------------------------- */

static int axp_rx_queue_setup(struct tern_port_dev *dev, uint16_t qid, uint16_t nb_desc, int socket,
                              struct tern_mempool *mp, void **queue, struct tern_qstats **stats)
{
	struct axp_port *ap = axp_port(dev);
	const size_t page = (size_t)sysconf(_SC_PAGESIZE);
	const uint16_t room = tern_pktpool_data_room(mp);
	/* A chunk is a whole buffer: the default headroom and the data room. */
	const uint32_t chunk = room > 0 ? room + TERN_PKT_HEADROOM : 0;
	struct tern_pkt *probe;
	struct axp_rxq *q;

	(void)socket;
	/* af_xdp.rst / xdp_umem_reg(): a chunk is 2048 bytes to a page. */
	if (chunk < 2048 || chunk > page) {
		(void)tern_error(
		    EINVAL, AXP_LOG,
		    "%s: RX queue %u: pool %s has %u-byte buffers: AF_XDP needs 2048 to "
		    "%zu (a UMEM chunk); create it with buf_size "
		    "TERN_PKT_DEFAULT_BUF_SIZE",
		    dev->name, qid, tern_mempool_name(mp), chunk, page);
		return -EINVAL;
	}
	/* Where a buffer starts after its header (and the pool's private area). */
	probe = tern_pkt_alloc(mp);
	if (probe == NULL)
		return tern_error(ENOBUFS, AXP_LOG, "%s: RX queue %u: pool %s is empty", dev->name,
		                  qid, tern_mempool_name(mp));
	q = aligned_alloc(TERN_CACHE_LINE_SIZE, sizeof(*q));
	if (q == NULL) {
		tern_pkt_free(probe);
		goto nomem;
	}
	memset(q, 0, sizeof(*q));
	q->mp = mp;
	q->buf_len = (uint16_t)chunk;
	q->buf_off = (uint32_t)((uint8_t *)probe->buf_addr - (uint8_t *)probe);
	tern_pkt_free(probe);
	q->target = nb_desc != 0 ? nb_desc : AXP_DEFAULT_DESC;
	if (q->target > tern_mempool_size(mp) / 2) /* room for TX and the application */
		q->target = TERN_MAX(tern_mempool_size(mp) / 2, 1u);
	q->port_id = dev->port_id;
	q->qid = qid;
	q->fd = -1;
	q->busy = ap->busy_budget > 0;
	q->csum_fix = ap->csum_fix;
	q->sock.fd = -1;
	if (tern_axp_lent_init(&q->lent, mp) < 0)
		goto nomem;
	*queue = q;
	*stats = &q->st;
	return 0;
nomem:
	if (q != NULL)
		free(q);
	return tern_error(-ENOMEM, AXP_LOG, "%s: RX queue %u: out of memory", dev->name, qid);
}

static int axp_tx_queue_setup(struct tern_port_dev *dev, uint16_t qid, uint16_t nb_desc, int socket,
                              void **queue, struct tern_qstats **stats)
{
	struct axp_port *ap = axp_port(dev);
	struct axp_txq *q;

	(void)socket;
	q = aligned_alloc(TERN_CACHE_LINE_SIZE, sizeof(*q));
	if (q == NULL) {
		return tern_error(-ENOMEM, AXP_LOG, "%s: TX queue %u: out of memory", dev->name,
		                  qid);
	}
	memset(q, 0, sizeof(*q));
	q->qid = qid;
	q->fd = -1;
	q->busy = ap->busy_budget > 0;
	q->sock.fd = -1;
	q->target = nb_desc != 0 ? nb_desc : 1024;
	*queue = q;
	*stats = &q->st;
	return 0;
}

static void axp_rx_queue_release(struct tern_port_dev *dev, void *queue)
{
	struct axp_port *ap = axp_port(dev);
	struct axp_rxq *q = queue;

	tern_log(TERN_LOG_DEBUG, AXP_LOG,
	         "%s: RX queue %u: %" PRIu64 " packets, %" PRIu64 " checksums completed", dev->name,
	         q->qid, tern_qstat_read(&q->st.packets), tern_qstat_read(&q->csum));
	ap->k_gone_rx_invalid += q->k_rx_invalid;
	tern_axp_lent_free(&q->lent);
	free(q);
}

static void axp_tx_queue_release(struct tern_port_dev *dev, void *queue)
{
	struct axp_port *ap = axp_port(dev);
	struct axp_txq *q = queue;

	tern_log(TERN_LOG_DEBUG, AXP_LOG,
	         "%s: TX queue %u: %" PRIu64 " packets copied into the UMEM", dev->name, q->qid,
	         tern_qstat_read(&q->copies));
	ap->k_gone_tx_invalid += q->k_tx_invalid;
	tern_axp_lent_free(&q->lent);
	free(q);
}

/* ---- start and stop ----------------------------------------------------- */

static int axp_stop(struct tern_port_dev *dev)
{
	struct axp_port *ap = axp_port(dev);
	uint16_t n = TERN_MAX(tern_port_dev_nb_rxq(dev), tern_port_dev_nb_txq(dev));

	for (uint16_t i = 0; i < n; i++)
		tern_axp_pair_close(ap, i);
	tern_axp_prog_detach(ap);
	return 0;
}

static int axp_start(struct tern_port_dev *dev)
{
	struct axp_port *ap = axp_port(dev);
	uint16_t n = TERN_MAX(tern_port_dev_nb_rxq(dev), tern_port_dev_nb_txq(dev));
	struct ifreq ifr;
	bool zc = false;
	int ret;

	if (tern_port_dev_nb_rxq(dev) == 0) {
		return tern_error(
		    -EINVAL, AXP_LOG,
		    "%s: an af_xdp port needs at least one RX queue (its pool is the UMEM)",
		    dev->name);
	}
	ret = tern_netif_ioctl(ap->ctl_fd, ap->iface, SIOCGIFFLAGS, &ifr);
	if (ret < 0)
		return axp_netif_error(ap, ret, "flags");
	if (!(ifr.ifr_flags & IFF_UP)) {
		return tern_error(
		    -ENETDOWN, AXP_LOG,
		    "%s: interface %s is down: bring it up first (ip link set dev %s up)",
		    dev->name, ap->iface, ap->iface);
	}
	ret = tern_axp_prog_attach(ap);
	if (ret < 0)
		return ret;
	for (uint16_t i = 0; i < n; i++) {
		ret = tern_axp_pair_open(ap, i, &zc);
		if (ret < 0) {
			axp_stop(dev);
			return ret;
		}
	}
	tern_log(TERN_LOG_INFO, AXP_LOG, "%s: %s queues %u-%u: %s mode, %s XDP%s", dev->name,
	         ap->iface, ap->start_queue, ap->start_queue + n - 1, zc ? "zero-copy" : "copy",
	         ap->native ? "native" : "generic", ap->busy_budget ? ", busy polling" : "");
	return 0;
}

/* ---- control path ------------------------------------------------------- */

static int axp_configure(struct tern_port_dev *dev, uint16_t nb_rxq, uint16_t nb_txq,
                         const struct tern_port_conf *conf)
{
	struct axp_port *ap = axp_port(dev);
	const uint32_t max = (uint32_t)sysconf(_SC_PAGESIZE) - AXP_XDP_HEADROOM;
	int ret;

	(void)nb_rxq;
	(void)nb_txq;
	if (conf == NULL || conf->mtu == 0)
		return 0; /* the interface's MTU, as it is */
	if (conf->mtu + TERN_ETHER_HDR_LEN + 4 > max) {
		return tern_error(
		    -EINVAL, AXP_LOG,
		    "%s: MTU %u does not fit an AF_XDP chunk (a page less %u bytes of "
		    "headroom): give %u at most",
		    dev->name, conf->mtu, AXP_XDP_HEADROOM, max - TERN_ETHER_HDR_LEN - 4);
	}
	ret = tern_netif_mtu_set(ap->ctl_fd, ap->iface, conf->mtu);
	return ret < 0 ? axp_netif_error(ap, ret, "setting the MTU (needs CAP_NET_ADMIN)") : 0;
}

static void axp_info_get(struct tern_port_dev *dev, struct tern_port_info *info)
{
	struct axp_port *ap = axp_port(dev);

	info->max_rx_queues = (uint16_t)ap->queue_count;
	info->max_tx_queues = (uint16_t)ap->queue_count;
	info->rx_desc_min = AXP_MIN_RX_DESC;
	info->rx_desc_max = AXP_MAX_DESC;
	info->tx_desc_min = AXP_MIN_DESC;
	info->tx_desc_max = AXP_MAX_DESC;
	/* A frame is written 256 bytes into a chunk of at most a page. */
	info->max_rx_pktlen = (uint32_t)sysconf(_SC_PAGESIZE) - AXP_XDP_HEADROOM;
	info->capa = TERN_PORT_CAPA_MULTI_SEG_TX | TERN_PORT_CAPA_MAC_SET | TERN_PORT_CAPA_PROMISC |
	             TERN_PORT_CAPA_RUNTIME_LINK;
}

static int axp_mac_set(struct tern_port_dev *dev, const struct tern_ether_addr *mac)
{
	struct axp_port *ap = axp_port(dev);
	int ret = tern_netif_mac_set(ap->ctl_fd, ap->iface, mac);

	return ret < 0 ? axp_netif_error(ap, ret, "setting the MAC address (needs CAP_NET_ADMIN)")
	               : 0;
}

/* IFF_PROMISC on the interface; what tern turned on, close turns off. */
static int axp_promisc_set(struct tern_port_dev *dev, bool on)
{
	struct axp_port *ap = axp_port(dev);
	struct ifreq ifr;
	int ret;

	ret = tern_netif_ioctl(ap->ctl_fd, ap->iface, SIOCGIFFLAGS, &ifr);
	if (ret < 0)
		return axp_netif_error(ap, ret, "flags");
	if (!!(ifr.ifr_flags & IFF_PROMISC) == on)
		return 0;
	ifr.ifr_flags = (short)(on ? ifr.ifr_flags | IFF_PROMISC : ifr.ifr_flags & ~IFF_PROMISC);
	ret = tern_netif_ioctl(ap->ctl_fd, ap->iface, SIOCSIFFLAGS, &ifr);
	if (ret < 0)
		return axp_netif_error(ap, ret, "promiscuous mode (needs CAP_NET_ADMIN)");
	ap->promisc_set_by_us = on;
	return 0;
}

static void axp_close(struct tern_port_dev *dev)
{
	struct axp_port *ap = axp_port(dev);

	if (ap->promisc_set_by_us)
		(void)axp_promisc_set(dev, false);
	close(ap->ctl_fd);
	free(ap);
}

static int axp_link_get(struct tern_port_dev *dev, struct tern_link *link)
{
	struct axp_port *ap = axp_port(dev);
	int ret = tern_netif_link_get(ap->ctl_fd, ap->iface, link);

	if (ret == -ENODEV) { /* the interface was deleted (or left the namespace) */
		tern_port_dev_removed(dev, "the interface is gone");
		return 0;
	}
	return ret < 0 ? axp_netif_error(ap, ret, "flags") : 0;
}

/*
 * The kernel's drops for an RX queue (XDP_STATISTICS of its closed sockets
 * and of the live one) into its `missed` counter, which only this control
 * path writes (the SDK's one-writer rule: the poller never touches it).
 * rx_dropped counts the frames that found the fill ring empty, too (xsk.c).
 * Returns the live socket's rx_invalid_descs.
 */
static uint64_t rxq_kstats_refresh(struct axp_rxq *q)
{
	struct xdp_statistics st;

	tern_axp_sock_kstats(q->fd, &st);
	tern_qstat_add(&q->st.missed, q->k_rx_dropped + q->k_rx_ring_full + st.rx_dropped +
	                                  st.rx_ring_full - tern_qstat_read(&q->st.missed));
	return q->k_rx_invalid + st.rx_invalid_descs;
}

/* Device-kept counters: the kernel's invalid descriptors (ierrors, oerrors). */
static int axp_stats_get(struct tern_port_dev *dev, struct tern_port_stats *stats)
{
	struct axp_port *ap = axp_port(dev);
	struct xdp_statistics st;

	stats->ierrors = ap->k_gone_rx_invalid;
	stats->oerrors = ap->k_gone_tx_invalid;
	for (uint16_t i = 0; i < tern_port_dev_nb_rxq(dev); i++) {
		struct axp_rxq *q = tern_port_dev_rxq(dev, i);

		if (q != NULL)
			stats->ierrors += rxq_kstats_refresh(q);
	}
	for (uint16_t i = 0; i < tern_port_dev_nb_txq(dev); i++) {
		struct axp_txq *q = tern_port_dev_txq(dev, i);

		if (q == NULL)
			continue;
		tern_axp_sock_kstats(q->fd, &st);
		stats->oerrors += q->k_tx_invalid + st.tx_invalid_descs;
	}
	return 0;
}

/* Refresh an RX queue's `missed`; the port layer adds the queue's counters. */
static int axp_queue_stats_get(struct tern_port_dev *dev, bool rx, uint16_t qid,
                               struct tern_queue_stats *stats)
{
	(void)stats;
	if (rx && tern_port_dev_rxq(dev, qid) != NULL)
		(void)rxq_kstats_refresh(tern_port_dev_rxq(dev, qid));
	return 0;
}

static const struct tern_port_ops axp_ops = {
    .configure = axp_configure,
    .info_get = axp_info_get,
    .rx_queue_setup = axp_rx_queue_setup,
    .tx_queue_setup = axp_tx_queue_setup,
    .rx_queue_release = axp_rx_queue_release,
    .tx_queue_release = axp_tx_queue_release,
    .start = axp_start,
    .stop = axp_stop,
    .close = axp_close,
    .mac_set = axp_mac_set,
    .promisc_set = axp_promisc_set,
    .link_get = axp_link_get,
    .stats_get = axp_stats_get,
    .queue_stats_get = axp_queue_stats_get,
};

/* ---- probe -------------------------------------------------------------- */

/* libbpf and libxdp talk to stderr by default: their lines go to tern's log, at debug. */
static int lib_print(const char *fmt, va_list args)
{
	char line[256];

	vsnprintf(line, sizeof(line), fmt, args);
	line[strcspn(line, "\n")] = '\0';
	tern_log(TERN_LOG_DEBUG, AXP_LOG, "lib: %s", line);
	return 0;
}

static int libbpf_print_cb(enum libbpf_print_level level, const char *fmt, va_list args)
{
	(void)level;
	return lib_print(fmt, args);
}

static int libxdp_print_cb(enum libxdp_print_level level, const char *fmt, va_list args)
{
	(void)level;
	return lib_print(fmt, args);
}

static int arg_u32(const char *name, const char *args, const char *key, uint32_t lo, uint32_t hi,
                   uint32_t *val)
{
	int ret = tern_devargs_get_u32(args, key, val);

	if (ret == -ENOENT)
		return 0;
	if (ret < 0 || *val < lo || *val > hi) {
		return tern_error(-EINVAL, AXP_LOG, "%s: %s= must be a number from %u to %u", name,
		                  key, lo, hi);
	}
	return 0;
}

static int parse_args(struct axp_port *ap, const char *name, const char *args)
{
	static const char *const known[] = {"iface",       "start_queue", "queue_count", "mode",
	                                    "busy_budget", "xdp_prog",    NULL};
	char buf[16];
	int ret;

	ret = tern_devargs_check(AXP_LOG, args, known);
	if (ret < 0)
		return ret;
	ret = tern_devargs_get(args, "iface", ap->iface, sizeof(ap->iface));
	if (ret == -E2BIG) {
		return tern_error(-EINVAL, AXP_LOG,
		                  "%s: iface= is longer than an interface name (%d bytes at most)",
		                  name, IFNAMSIZ - 1);
	}
	if (ret <= 0) {
		return tern_error(
		    -EINVAL, AXP_LOG,
		    "%s: iface= is required: give the interface, e.g. --vdev %s,iface=eth0", name,
		    name);
	}
	ap->queue_count = 1;
	if ((ret = arg_u32(name, args, "start_queue", 0, 4095, &ap->start_queue)) < 0 ||
	    (ret = arg_u32(name, args, "queue_count", 1, AXP_MAX_QUEUES, &ap->queue_count)) < 0 ||
	    (ret = arg_u32(name, args, "busy_budget", 0, 1024, &ap->busy_budget)) < 0)
		return ret;
	ret = tern_devargs_get(args, "mode", buf, sizeof(buf));
	if (ret == -ENOENT || (ret > 0 && strcmp(buf, "auto") == 0))
		ap->mode = AXP_MODE_AUTO;
	else if (ret > 0 && strcmp(buf, "zc") == 0)
		ap->mode = AXP_MODE_ZC;
	else if (ret > 0 && strcmp(buf, "copy") == 0)
		ap->mode = AXP_MODE_COPY;
	else {
		return tern_error(-EINVAL, AXP_LOG, "%s: mode= must be auto, zc or copy", name);
	}
	ret = tern_devargs_get(args, "xdp_prog", ap->xdp_prog, sizeof(ap->xdp_prog));
	if (ret == -E2BIG || ret == 0) {
		return tern_error(-EINVAL, AXP_LOG,
		                  "%s: xdp_prog= must be a path of at most %zu bytes", name,
		                  sizeof(ap->xdp_prog) - 1);
	}
	if (ret == -ENOENT)
		ap->xdp_prog[0] = '\0';
	return 0;
}

/*
 * What a user meets first, each as one line through tern_error():
 * a missing interface, a queue out of range, no AF_XDP in the kernel, no
 * privileges, an interface that is down, an XDP program already there.
 */
static int check_iface(struct axp_port *ap, const char *name)
{
	LIBBPF_OPTS(bpf_map_create_opts, mopts);
	struct ifreq ifr;
	int fd, ret;

	ap->ifindex = (int)if_nametoindex(ap->iface);
	if (ap->ifindex == 0) {
		return tern_error(-ENODEV, AXP_LOG,
		                  "%s: interface '%s' does not exist in this network namespace: "
		                  "give iface= an existing one (see 'ip link')",
		                  name, ap->iface);
	}
	fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		if (ret == -EAFNOSUPPORT)
			(void)tern_error(
			    ret, AXP_LOG,
			    "%s: this kernel has no AF_XDP sockets (CONFIG_XDP_SOCKETS, "
			    "Linux 4.18+): use --vdev af_packet0,iface=%s instead",
			    name, ap->iface);
		else if (ret == -EPERM || ret == -EACCES)
			(void)tern_error(
			    ret, AXP_LOG,
			    "%s: an AF_XDP socket on %s needs CAP_NET_RAW, and its XDP "
			    "program CAP_BPF and CAP_NET_ADMIN: run as root or grant them",
			    name, ap->iface);
		else
			(void)tern_error(ret, AXP_LOG, "%s: AF_XDP socket: %s", name,
			                 strerror(-ret));
		return ret;
	}
	close(fd);
	/* The XDP program needs CAP_BPF (or CAP_SYS_ADMIN): find out now, not at start. */
	fd = bpf_map_create(BPF_MAP_TYPE_XSKMAP, "tern_probe", sizeof(uint32_t), sizeof(int), 1,
	                    &mopts);
	if (fd < 0) {
		ret = fd;
		if (ret == -EPERM || ret == -EACCES)
			(void)tern_error(
			    ret, AXP_LOG,
			    "%s: an AF_XDP socket on %s needs CAP_NET_RAW, and its XDP "
			    "program CAP_BPF and CAP_NET_ADMIN: run as root or grant them",
			    name, ap->iface);
		else
			(void)tern_error(ret, AXP_LOG,
			                 "%s: creating an XSKMAP: %s (no AF_XDP support?)", name,
			                 strerror(-ret));
		return ret;
	}
	close(fd);
	ap->ctl_fd = tern_netif_ctl_socket();
	if (ap->ctl_fd < 0) {
		ret = ap->ctl_fd;
		ap->ctl_fd = -1;
		return tern_error(ret, AXP_LOG, "%s: control socket: %s", name, strerror(-ret));
	}
	ap->iface_queues = iface_rx_queues(ap);
	if (ap->iface_queues == 0)
		ap->iface_queues = 1;
	if (ap->start_queue + ap->queue_count > ap->iface_queues) {
		return tern_error(-EINVAL, AXP_LOG,
		                  "%s: queues %u-%u are out of range: %s has %u RX queue%s (see "
		                  "'ethtool -l %s'): lower start_queue=/queue_count=",
		                  name, ap->start_queue, ap->start_queue + ap->queue_count - 1,
		                  ap->iface, ap->iface_queues, ap->iface_queues == 1 ? "" : "s",
		                  ap->iface);
	}
	ret = tern_netif_ioctl(ap->ctl_fd, ap->iface, SIOCGIFFLAGS, &ifr);
	if (ret == 0 && !(ifr.ifr_flags & IFF_UP)) {
		return tern_error(-ENETDOWN, AXP_LOG,
		                  "%s: interface %s is down: bring it up first (ip link set dev "
		                  "%s up)",
		                  name, ap->iface, ap->iface);
	}
	ret = tern_axp_prog_check_iface(ap, name);
	if (ret < 0)
		return ret;
	ret = tern_netif_mac_get(ap->ctl_fd, ap->iface, &ap->dev.mac);
	if (ret < 0) {
		return tern_error(ret, AXP_LOG, "%s: MAC address of %s: %s", name, ap->iface,
		                  strerror(-ret));
	}
	/* Virtual interfaces hand XDP partial checksums (af_xdp_csum.c). */
	struct ethtool_drvinfo di = {.cmd = ETHTOOL_GDRVINFO};
	ifr.ifr_data = (void *)&di;
	if (tern_netif_ioctl(ap->ctl_fd, ap->iface, SIOCETHTOOL, &ifr) == 0)
		ap->csum_fix = strcmp(di.driver, "veth") == 0 || strcmp(di.driver, "tun") == 0;
	return 0;
}

static int axp_probe(const char *name, const char *args, struct tern_port_dev **devp)
{
	struct axp_port *ap;
	int ret;

	libbpf_set_print(libbpf_print_cb);
	libxdp_set_print(libxdp_print_cb);
	ap = calloc(1, sizeof(*ap));
	if (ap == NULL) {
		return tern_error(-ENOMEM, AXP_LOG, "%s: out of memory", name);
	}
	ap->ctl_fd = -1;
	ap->map_fd = ap->prog_fd = ap->link_fd = -1;
	strlcpy(ap->dev.name, name, sizeof(ap->dev.name));
	ret = parse_args(ap, name, args);
	if (ret == 0)
		ret = check_iface(ap, name);
	if (ret < 0) {
		if (ap->ctl_fd >= 0)
			close(ap->ctl_fd);
		free(ap);
		return ret;
	}
	ap->dev.ops = &axp_ops;
	ap->dev.rx_burst = tern_axp_rx_burst;
	ap->dev.tx_burst = tern_axp_tx_burst;
	ap->dev.socket = TERN_SOCKET_ID_ANY;
	*devp = &ap->dev;
	return 0;
}

const struct tern_driver tern_af_xdp_driver = {
    .abi_version = TERN_DRIVER_ABI_VERSION,
    .name = "af_xdp",
    .bus = TERN_BUS_VDEV,
    .probe = axp_probe,
};
