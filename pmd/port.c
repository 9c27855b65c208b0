/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * port.c - the life cycle and control path of a port.
 *
 * Every function checks the port id, the state and its arguments before it
 * calls the driver, so drivers only ever see valid calls. Each refusal is one
 * log line that names the port and what is wrong.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "port_internal.h"
#include "tern_error.h"
#include "tern_memory.h"

struct tern_port_dev *port_devs[TERN_MAX_PORTS];
struct tern_port_priv port_privs[TERN_MAX_PORTS];
uint16_t port_nb;

struct tern_port_dev *port_get(uint16_t port, const char *what)
{
	if (port >= port_nb) {
		tern_error(EINVAL, PORT_LOG, "%s: no port %u (ports are 0..%d)", what, port,
		           port_nb - 1);
		return NULL;
	}
	if (port_devs[port] == NULL) {
		tern_error(EINVAL, PORT_LOG, "%s: port %u is closed", what, port);
		return NULL;
	}
	return port_devs[port];
}

int port_attach(struct tern_port_dev *dev)
{
	if (port_nb >= TERN_MAX_PORTS) {
		return tern_error(ENOSPC, PORT_LOG, "%s: too many ports (at most %d)", dev->name,
		                  TERN_MAX_PORTS);
	}
	dev->port_id = port_nb;
	dev->priv = &port_privs[port_nb];
	memset(dev->priv, 0, sizeof(*dev->priv));
	dev->priv->state = PORT_PROBED;
	port_devs[port_nb++] = dev;
	return 0;
}

uint16_t tern_port_count(void)
{
	return port_nb;
}

bool tern_port_is_valid(uint16_t port)
{
	return port < port_nb && port_devs[port] != NULL;
}

int tern_port_by_name(const char *name, uint16_t *port)
{
	if (name == NULL || port == NULL)
		return -EINVAL;
	for (uint16_t p = 0; p < port_nb; p++) {
		if (port_devs[p] != NULL && strcmp(port_devs[p]->name, name) == 0) {
			*port = p;
			return 0;
		}
	}
	return -ENODEV;
}

int tern_port_info_get(uint16_t port, struct tern_port_info *info)
{
	struct tern_port_dev *dev = port_get(port, "info_get");

	if (dev == NULL || info == NULL)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	dev->ops->info_get(dev, info);
	/* The port layer's own fields win over whatever the driver wrote. */
	memcpy(info->name, dev->name, sizeof(info->name));
	info->driver = dev->drv->name;
	info->socket = dev->socket;
	return 0;
}

/* Release one queue, if set up: its counters go into the port's totals first. */
static void release_rxq(struct tern_port_dev *dev, uint16_t q)
{
	struct tern_port_priv *pp = dev->priv;

	if (pp->rxq[q] == NULL)
		return;
	port_stats_queue_gone(dev, true, q);
	dev->ops->rx_queue_release(dev, pp->rxq[q]);
	pp->rxq[q] = NULL;
	pp->rxq_stats[q] = NULL;
}

static void release_txq(struct tern_port_dev *dev, uint16_t q)
{
	struct tern_port_priv *pp = dev->priv;

	if (pp->txq[q] == NULL)
		return;
	port_stats_queue_gone(dev, false, q);
	dev->ops->tx_queue_release(dev, pp->txq[q]);
	pp->txq[q] = NULL;
	pp->txq_stats[q] = NULL;
}

/* Release every set-up queue and the queue arrays (port stopped). */
static void release_queues(struct tern_port_dev *dev)
{
	struct tern_port_priv *pp = dev->priv;

	for (uint16_t q = 0; q < pp->nb_rxq; q++)
		release_rxq(dev, q);
	for (uint16_t q = 0; q < pp->nb_txq; q++)
		release_txq(dev, q);
	free(pp->rxq);
	free(pp->txq);
	free(pp->rxq_stats);
	free(pp->txq_stats);
	free(pp->rxq_base);
	free(pp->txq_base);
	pp->rxq = pp->txq = NULL;
	pp->rxq_stats = pp->txq_stats = NULL;
	pp->rxq_base = pp->txq_base = NULL;
	pp->nb_rxq = pp->nb_txq = 0;
}

/* Control calls that need the device: refused with one line once it is removed. */
static bool refuse_removed(struct tern_port_dev *dev, const char *what)
{
	if (!tern_port_dev_is_removed(dev))
		return false;
	tern_error(ENODEV, PORT_LOG, "%s (port %u): %s refused: the device was removed", dev->name,
	           dev->port_id, what);
	return true;
}

/* After a driver op failed with -ENODEV: say so if the device turned out to be gone. */
static int removed_ret(struct tern_port_dev *dev, const char *what, int ret)
{
	if (ret == -ENODEV && tern_port_dev_is_removed(dev))
		refuse_removed(dev, what);
	return ret;
}

int tern_port_configure(uint16_t port, uint16_t nb_rxq, uint16_t nb_txq,
                        const struct tern_port_conf *conf)
{
	struct tern_port_dev *dev = port_get(port, "configure");
	struct tern_port_priv *pp = dev != NULL ? dev->priv : NULL;
	struct tern_port_conf defaults = {.mtu = 0}; /* leave the MTU as the device has it */
	struct tern_port_info info;
	int ret;

	if (dev == NULL)
		return -EINVAL;
	if (dev->priv->state == PORT_STARTED) {
		return tern_error(EBUSY, PORT_LOG,
		                  "port %u (%s): configure while started: stop it first", port,
		                  dev->name);
	}
	if (refuse_removed(dev, "configure"))
		return -ENODEV;
	if (tern_port_info_get(port, &info) < 0)
		return -EINVAL;
	if (nb_rxq == 0 || nb_txq == 0 || nb_rxq > info.max_rx_queues ||
	    nb_txq > info.max_tx_queues) {
		return tern_error(
		    EINVAL, PORT_LOG,
		    "port %u (%s): %u RX and %u TX queues asked for, the driver takes 1..%u RX "
		    "and 1..%u TX",
		    port, dev->name, nb_rxq, nb_txq, info.max_rx_queues, info.max_tx_queues);
	}
	if (conf == NULL)
		conf = &defaults;
	if (conf->mtu != 0 &&
	    conf->mtu + TERN_ETHER_HDR_LEN + TERN_ETHER_CRC_LEN > info.max_rx_pktlen) {
		return tern_error(EINVAL, PORT_LOG,
		                  "port %u (%s): MTU %u is over the driver's maximum %u", port,
		                  dev->name, conf->mtu,
		                  info.max_rx_pktlen - TERN_ETHER_HDR_LEN - TERN_ETHER_CRC_LEN);
	}

	/* A reconfigure starts from scratch: every queue must be set up again. */
	release_queues(dev);
	pp->state = PORT_PROBED;

	pp->rxq = calloc(nb_rxq, sizeof(*pp->rxq));
	pp->txq = calloc(nb_txq, sizeof(*pp->txq));
	pp->rxq_stats = calloc(nb_rxq, sizeof(struct tern_qstats *));
	pp->txq_stats = calloc(nb_txq, sizeof(struct tern_qstats *));
	pp->rxq_base = calloc(nb_rxq, sizeof(*pp->rxq_base));
	pp->txq_base = calloc(nb_txq, sizeof(*pp->txq_base));
	if (pp->rxq == NULL || pp->txq == NULL || pp->rxq_stats == NULL || pp->txq_stats == NULL ||
	    pp->rxq_base == NULL || pp->txq_base == NULL) {
		release_queues(dev);
		return tern_error(ENOMEM, PORT_LOG, "port %u (%s): out of memory for queue tables",
		                  port, dev->name);
	}
	pp->nb_rxq = nb_rxq;
	pp->nb_txq = nb_txq;

	ret = dev->ops->configure(dev, nb_rxq, nb_txq, conf);
	if (ret < 0) {
		release_queues(dev);
		return removed_ret(dev, "configure", ret);
	}
	pp->state = PORT_CONFIGURED;
	return 0;
}

/* Checks common to RX and TX queue setup; returns the device or NULL with *err set. */
static struct tern_port_dev *queue_setup_check(uint16_t port, uint16_t queue, uint16_t nb_desc,
                                               bool rx, int *err)
{
	const char *what = rx ? "rx_queue_setup" : "tx_queue_setup";
	struct tern_port_dev *dev = port_get(port, what);
	struct tern_port_info info;
	uint16_t nb_q, lo, hi;

	*err = -EINVAL;
	if (dev == NULL)
		return NULL;
	if (dev->priv->state == PORT_STARTED) {
		tern_error(EBUSY, PORT_LOG, "port %u (%s): %s while started: stop it first", port,
		           dev->name, what);
		*err = -EBUSY;
		return NULL;
	}
	if (refuse_removed(dev, rx ? "RX queue setup" : "TX queue setup")) {
		*err = -ENODEV;
		return NULL;
	}
	if (dev->priv->state != PORT_CONFIGURED) {
		tern_error(EINVAL, PORT_LOG, "port %u (%s): %s before configure", port, dev->name,
		           what);
		return NULL;
	}
	nb_q = rx ? dev->priv->nb_rxq : dev->priv->nb_txq;
	if (queue >= nb_q) {
		tern_error(EINVAL, PORT_LOG, "port %u (%s): %s: queue %u out of range (0..%u)",
		           port, dev->name, what, queue, nb_q - 1);
		return NULL;
	}
	if (tern_port_info_get(port, &info) < 0)
		return NULL;
	lo = rx ? info.rx_desc_min : info.tx_desc_min;
	hi = rx ? info.rx_desc_max : info.tx_desc_max;
	if (nb_desc != 0 && (nb_desc < lo || nb_desc > hi)) {
		tern_error(EINVAL, PORT_LOG,
		           "port %u (%s): %s: %u descriptors out of range (%u..%u, or 0 for the "
		           "default)",
		           port, dev->name, what, nb_desc, lo, hi);
		return NULL;
	}
	*err = 0;
	return dev;
}

int tern_port_rx_queue_setup(uint16_t port, uint16_t queue, uint16_t nb_desc, int socket,
                             struct tern_mempool *mp)
{
	int ret;
	struct tern_port_dev *dev = queue_setup_check(port, queue, nb_desc, true, &ret);
	struct tern_qstats *qs = NULL;
	void *q = NULL;

	if (dev == NULL)
		return ret;
	if (mp == NULL) {
		return tern_error(EINVAL, PORT_LOG,
		                  "port %u (%s): rx_queue_setup: no mempool given", port,
		                  dev->name);
	}
	if (socket == TERN_SOCKET_ID_ANY)
		socket = dev->socket;
	/* Setting a queue up again replaces it. */
	release_rxq(dev, queue);
	ret = dev->ops->rx_queue_setup(dev, queue, nb_desc, socket, mp, &q, &qs);
	if (ret < 0)
		return removed_ret(dev, "RX queue setup", ret);
	dev->priv->rxq[queue] = q;
	dev->priv->rxq_stats[queue] = qs;
	port_stats_queue_new(dev, true, queue);
	return 0;
}

int tern_port_tx_queue_setup(uint16_t port, uint16_t queue, uint16_t nb_desc, int socket)
{
	int ret;
	struct tern_port_dev *dev = queue_setup_check(port, queue, nb_desc, false, &ret);
	struct tern_qstats *qs = NULL;
	void *q = NULL;

	if (dev == NULL)
		return ret;
	if (socket == TERN_SOCKET_ID_ANY)
		socket = dev->socket;
	release_txq(dev, queue);
	ret = dev->ops->tx_queue_setup(dev, queue, nb_desc, socket, &q, &qs);
	if (ret < 0)
		return removed_ret(dev, "TX queue setup", ret);
	dev->priv->txq[queue] = q;
	dev->priv->txq_stats[queue] = qs;
	port_stats_queue_new(dev, false, queue);
	return 0;
}

int tern_port_start(uint16_t port)
{
	struct tern_port_dev *dev = port_get(port, "start");
	struct tern_port_priv *pp;
	int ret;

	if (dev == NULL)
		return -EINVAL;
	pp = dev->priv;
	if (pp->state == PORT_STARTED)
		return 0; /* as DPDK: starting a started port is not an error */
	if (refuse_removed(dev, "start"))
		return -ENODEV;
	if (pp->state != PORT_CONFIGURED) {
		return tern_error(EINVAL, PORT_LOG, "port %u (%s): start before configure", port,
		                  dev->name);
	}
	for (uint16_t q = 0; q < pp->nb_rxq; q++) {
		if (pp->rxq[q] == NULL) {
			return tern_error(EINVAL, PORT_LOG,
			                  "port %u (%s): start before RX queue %u was set up", port,
			                  dev->name, q);
		}
	}
	for (uint16_t q = 0; q < pp->nb_txq; q++) {
		if (pp->txq[q] == NULL) {
			return tern_error(EINVAL, PORT_LOG,
			                  "port %u (%s): start before TX queue %u was set up", port,
			                  dev->name, q);
		}
	}
	ret = dev->ops->start(dev);
	if (ret < 0)
		return removed_ret(dev, "start", ret);
	pp->state = PORT_STARTED;
	port_fp_resume(dev);
	port_fp_publish(dev);
	/*
	 * Removed while starting, after the driver's last look: the bursts stay
	 * off. Seq-cst fence: pairs with the one in tern_port_dev_removed(). If
	 * this load misses the flag, the reporter's mute is ordered after the
	 * publish above (the bursts end muted); else the mute below runs.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (tern_port_dev_is_removed(dev))
		port_fp_mute(port);
	return 0;
}

int tern_port_stop(uint16_t port)
{
	struct tern_port_dev *dev = port_get(port, "stop");

	if (dev == NULL)
		return -EINVAL;
	if (dev->priv->state != PORT_STARTED)
		return 0; /* nothing to do; stop is what cleanup paths call blindly */
	port_fp_quiesce(dev, "stop");
	/*
	 * The bursts go back to burst_none first, so that a poller that breaks
	 * the rule in fp.c at least stops reaching the driver soon; the driver
	 * then gives back what it holds.
	 */
	port_fp_reset(port);
	dev->priv->state = PORT_CONFIGURED;
	return dev->ops->stop(dev);
}

int tern_port_close(uint16_t port)
{
	struct tern_port_dev *dev = port_get(port, "close");

	if (dev == NULL)
		return -EINVAL;
	port_fp_quiesce(dev, "close");
	tern_port_stop(port);
	release_queues(dev);
	port_devs[port] = NULL;
	dev->ops->close(dev);
	return 0;
}

bool tern_port_is_started(uint16_t port)
{
	return tern_port_is_valid(port) && port_devs[port]->priv->state == PORT_STARTED;
}

int tern_port_mac_get(uint16_t port, struct tern_ether_addr *mac)
{
	struct tern_port_dev *dev = port_get(port, "mac_get");

	if (dev == NULL || mac == NULL)
		return -EINVAL;
	*mac = dev->mac;
	return 0;
}

int tern_port_mac_set(uint16_t port, const struct tern_ether_addr *mac)
{
	struct tern_port_dev *dev = port_get(port, "mac_set");
	int ret;

	if (dev == NULL || mac == NULL)
		return -EINVAL;
	if (dev->ops->mac_set == NULL) {
		return tern_error(ENOTSUP, PORT_LOG,
		                  "port %u (%s): driver %s cannot change the MAC", port, dev->name,
		                  dev->drv->name);
	}
	if (refuse_removed(dev, "MAC address change"))
		return -ENODEV;
	if (tern_ether_addr_is_multicast(mac)) {
		char buf[TERN_ETHER_ADDR_FMT_SIZE];

		tern_ether_addr_format(buf, mac);
		return tern_error(EINVAL, PORT_LOG, "port %u (%s): %s is a multicast address", port,
		                  dev->name, buf);
	}
	ret = dev->ops->mac_set(dev, mac);
	if (ret == 0)
		dev->mac = *mac;
	return removed_ret(dev, "MAC address change", ret);
}

int tern_port_promisc_set(uint16_t port, bool on)
{
	struct tern_port_dev *dev = port_get(port, "promisc_set");
	int ret;

	if (dev == NULL)
		return -EINVAL;
	if (dev->ops->promisc_set == NULL) {
		return tern_error(ENOTSUP, PORT_LOG,
		                  "port %u (%s): driver %s has no promiscuous mode", port,
		                  dev->name, dev->drv->name);
	}
	if (refuse_removed(dev, "promiscuous mode change"))
		return -ENODEV;
	ret = dev->ops->promisc_set(dev, on);
	if (ret == 0)
		dev->priv->promisc = on;
	return removed_ret(dev, "promiscuous mode change", ret);
}

int tern_port_promisc_get(uint16_t port)
{
	struct tern_port_dev *dev = port_get(port, "promisc_get");

	if (dev == NULL)
		return -EINVAL;
	return dev->priv->promisc ? 1 : 0;
}

int tern_port_link_get(uint16_t port, struct tern_link *link)
{
	struct tern_port_dev *dev = port_get(port, "link_get");

	if (dev == NULL || link == NULL)
		return -EINVAL;
	memset(link, 0, sizeof(*link));
	if (tern_port_dev_is_removed(dev))
		return 0; /* down */
	return dev->ops->link_get(dev, link);
}

/* ---- the driver SDK: what drivers ask the port layer ---------------------- */

uint16_t tern_port_dev_nb_rxq(const struct tern_port_dev *dev)
{
	return dev->priv->nb_rxq;
}

uint16_t tern_port_dev_nb_txq(const struct tern_port_dev *dev)
{
	return dev->priv->nb_txq;
}

void *tern_port_dev_rxq(const struct tern_port_dev *dev, uint16_t qid)
{
	return qid < dev->priv->nb_rxq ? dev->priv->rxq[qid] : NULL;
}

void *tern_port_dev_txq(const struct tern_port_dev *dev, uint16_t qid)
{
	return qid < dev->priv->nb_txq ? dev->priv->txq[qid] : NULL;
}

bool tern_port_dev_promisc(const struct tern_port_dev *dev)
{
	return dev->priv->promisc;
}

bool tern_port_dev_is_removed(const struct tern_port_dev *dev)
{
	/* Relaxed: the flag guards no other data; a reader a moment late only sees it next time.
	 * No port yet (still in probe): nothing to refuse, the probe fails on its own. */
	return dev->priv != NULL && __atomic_load_n(&dev->priv->removed, __ATOMIC_RELAXED) != 0;
}

void tern_port_dev_removed(struct tern_port_dev *dev, const char *why)
{
	/* The exchange: pollers and the control thread may report it together; one logs. */
	if (dev->priv == NULL || __atomic_exchange_n(&dev->priv->removed, 1, __ATOMIC_RELAXED) != 0)
		return;
	/* Seq-cst fence: pairs with the one in tern_port_start(), after its publish. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	/*
	 * Only the bursts, whatever the state (a stopped port's already are):
	 * pollers still inside the driver finish on valid queues.
	 */
	port_fp_mute(dev->port_id);
	tern_log(TERN_LOG_ERR, dev->drv != NULL ? dev->drv->name : PORT_LOG,
	         "%s (port %u): %s: port down; close it and re-probe once the device is back",
	         dev->name, dev->port_id, why);
}
