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
#include "tern_memory.h"

struct tern_port_dev *port_devs[TERN_MAX_PORTS];
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
	dev->state = PORT_PROBED;
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

/* Release every set-up queue and the queue arrays (port stopped). */
static void release_queues(struct tern_port_dev *dev)
{
	for (uint16_t q = 0; q < dev->nb_rxq; q++)
		if (dev->rxq[q] != NULL)
			dev->ops->rx_queue_release(dev, dev->rxq[q]);
	for (uint16_t q = 0; q < dev->nb_txq; q++)
		if (dev->txq[q] != NULL)
			dev->ops->tx_queue_release(dev, dev->txq[q]);
	free(dev->rxq);
	free(dev->txq);
	free(dev->rxq_base);
	free(dev->txq_base);
	dev->rxq = dev->txq = NULL;
	dev->rxq_base = dev->txq_base = NULL;
	dev->nb_rxq = dev->nb_txq = 0;
}

int tern_port_configure(uint16_t port, uint16_t nb_rxq, uint16_t nb_txq,
                        const struct tern_port_conf *conf)
{
	struct tern_port_dev *dev = port_get(port, "configure");
	struct tern_port_conf defaults = {.mtu = 0}; /* leave the MTU as the device has it */
	struct tern_port_info info;
	int ret;

	if (dev == NULL)
		return -EINVAL;
	if (dev->state == PORT_STARTED) {
		return tern_error(EBUSY, PORT_LOG,
		                  "port %u (%s): configure while started: stop it first", port,
		                  dev->name);
	}
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
	dev->state = PORT_PROBED;

	dev->rxq = calloc(nb_rxq, sizeof(*dev->rxq));
	dev->txq = calloc(nb_txq, sizeof(*dev->txq));
	dev->rxq_base = calloc(nb_rxq, sizeof(*dev->rxq_base));
	dev->txq_base = calloc(nb_txq, sizeof(*dev->txq_base));
	if (dev->rxq == NULL || dev->txq == NULL || dev->rxq_base == NULL ||
	    dev->txq_base == NULL) {
		release_queues(dev);
		return tern_error(ENOMEM, PORT_LOG, "port %u (%s): out of memory for queue tables",
		                  port, dev->name);
	}
	dev->nb_rxq = nb_rxq;
	dev->nb_txq = nb_txq;

	ret = dev->ops->configure(dev, nb_rxq, nb_txq, conf);
	if (ret < 0) {
		release_queues(dev);
		return ret;
	}
	dev->state = PORT_CONFIGURED;
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
	if (dev->state == PORT_STARTED) {
		tern_error(EBUSY, PORT_LOG, "port %u (%s): %s while started: stop it first", port,
		           dev->name, what);
		*err = -EBUSY;
		return NULL;
	}
	if (dev->state != PORT_CONFIGURED) {
		tern_error(EINVAL, PORT_LOG, "port %u (%s): %s before configure", port, dev->name,
		           what);
		return NULL;
	}
	nb_q = rx ? dev->nb_rxq : dev->nb_txq;
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
	if (dev->rxq[queue] != NULL) {
		dev->ops->rx_queue_release(dev, dev->rxq[queue]);
		dev->rxq[queue] = NULL;
	}
	ret = dev->ops->rx_queue_setup(dev, queue, nb_desc, socket, mp, &q);
	if (ret < 0)
		return ret;
	dev->rxq[queue] = q;
	/* A new queue counts from 0: so does its baseline. */
	memset(&dev->rxq_base[queue], 0, sizeof(dev->rxq_base[queue]));
	return 0;
}

int tern_port_tx_queue_setup(uint16_t port, uint16_t queue, uint16_t nb_desc, int socket)
{
	int ret;
	struct tern_port_dev *dev = queue_setup_check(port, queue, nb_desc, false, &ret);
	void *q = NULL;

	if (dev == NULL)
		return ret;
	if (socket == TERN_SOCKET_ID_ANY)
		socket = dev->socket;
	if (dev->txq[queue] != NULL) {
		dev->ops->tx_queue_release(dev, dev->txq[queue]);
		dev->txq[queue] = NULL;
	}
	ret = dev->ops->tx_queue_setup(dev, queue, nb_desc, socket, &q);
	if (ret < 0)
		return ret;
	dev->txq[queue] = q;
	memset(&dev->txq_base[queue], 0, sizeof(dev->txq_base[queue]));
	return 0;
}

int tern_port_start(uint16_t port)
{
	struct tern_port_dev *dev = port_get(port, "start");
	int ret;

	if (dev == NULL)
		return -EINVAL;
	if (dev->state == PORT_STARTED)
		return 0; /* as DPDK: starting a started port is not an error */
	if (dev->state != PORT_CONFIGURED) {
		return tern_error(EINVAL, PORT_LOG, "port %u (%s): start before configure", port,
		                  dev->name);
	}
	for (uint16_t q = 0; q < dev->nb_rxq; q++) {
		if (dev->rxq[q] == NULL) {
			return tern_error(EINVAL, PORT_LOG,
			                  "port %u (%s): start before RX queue %u was set up", port,
			                  dev->name, q);
		}
	}
	for (uint16_t q = 0; q < dev->nb_txq; q++) {
		if (dev->txq[q] == NULL) {
			return tern_error(EINVAL, PORT_LOG,
			                  "port %u (%s): start before TX queue %u was set up", port,
			                  dev->name, q);
		}
	}
	ret = dev->ops->start(dev);
	if (ret < 0)
		return ret;
	dev->state = PORT_STARTED;
	port_fp_publish(dev);
	return 0;
}

int tern_port_stop(uint16_t port)
{
	struct tern_port_dev *dev = port_get(port, "stop");

	if (dev == NULL)
		return -EINVAL;
	if (dev->state != PORT_STARTED)
		return 0; /* nothing to do; stop is what cleanup paths call blindly */
	/*
	 * The bursts go back to burst_none first, so that a poller that breaks
	 * the rule in fp.c at least stops reaching the driver soon; the driver
	 * then gives back what it holds.
	 */
	port_fp_reset(port);
	dev->state = PORT_CONFIGURED;
	return dev->ops->stop(dev);
}

int tern_port_close(uint16_t port)
{
	struct tern_port_dev *dev = port_get(port, "close");

	if (dev == NULL)
		return -EINVAL;
	tern_port_stop(port);
	release_queues(dev);
	port_devs[port] = NULL;
	dev->ops->close(dev);
	return 0;
}

bool tern_port_is_started(uint16_t port)
{
	return tern_port_is_valid(port) && port_devs[port]->state == PORT_STARTED;
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
	if (tern_ether_addr_is_multicast(mac)) {
		char buf[TERN_ETHER_ADDR_FMT_SIZE];

		tern_ether_addr_format(buf, mac);
		return tern_error(EINVAL, PORT_LOG, "port %u (%s): %s is a multicast address", port,
		                  dev->name, buf);
	}
	ret = dev->ops->mac_set(dev, mac);
	if (ret == 0)
		dev->mac = *mac;
	return ret;
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
	ret = dev->ops->promisc_set(dev, on);
	if (ret == 0)
		dev->promisc = on;
	return ret;
}

int tern_port_promisc_get(uint16_t port)
{
	struct tern_port_dev *dev = port_get(port, "promisc_get");

	if (dev == NULL)
		return -EINVAL;
	return dev->promisc ? 1 : 0;
}

int tern_port_link_get(uint16_t port, struct tern_link *link)
{
	struct tern_port_dev *dev = port_get(port, "link_get");

	if (dev == NULL || link == NULL)
		return -EINVAL;
	memset(link, 0, sizeof(*link));
	return dev->ops->link_get(dev, link);
}
