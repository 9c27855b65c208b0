/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stats.c - port and queue counters, and their reset.
 *
 * Drivers count from probe and never clear their counters; a reset here
 * only records the current values as a baseline that later reads subtract.
 * So a reset writes nothing a poller writes, and is safe while traffic
 * runs: packets counted between the read of the baseline and the next
 * stats_get simply show up in that next read. Driver counters only grow,
 * and a later read by this thread of the same counter never sees an older
 * value (C11 coherence), so the differences never go negative.
 */
#include <errno.h>
#include <string.h>

#include "port_internal.h"

static int port_raw_stats(struct tern_port_dev *dev, struct tern_port_stats *s)
{
	memset(s, 0, sizeof(*s));
	return dev->ops->stats_get(dev, s);
}

int tern_port_stats_get(uint16_t port, struct tern_port_stats *stats)
{
	struct tern_port_dev *dev = tern_port_get_dev(port, "stats_get");
	const struct tern_port_stats *b;
	int ret;

	if (dev == NULL || stats == NULL)
		return -EINVAL;
	ret = port_raw_stats(dev, stats);
	if (ret < 0)
		return ret;
	b = &dev->stats_base;
	stats->ipackets -= b->ipackets;
	stats->ibytes -= b->ibytes;
	stats->ierrors -= b->ierrors;
	stats->opackets -= b->opackets;
	stats->obytes -= b->obytes;
	stats->oerrors -= b->oerrors;
	stats->rx_nombuf -= b->rx_nombuf;
	stats->imissed -= b->imissed;
	return 0;
}

static int queue_stats(uint16_t port, uint16_t queue, bool rx, struct tern_queue_stats *stats)
{
	const char *what = rx ? "rxq_stats_get" : "txq_stats_get";
	struct tern_port_dev *dev = tern_port_get_dev(port, what);
	const struct tern_queue_stats *b;
	uint16_t nb_q;
	int ret;

	if (dev == NULL || stats == NULL)
		return -EINVAL;
	nb_q = rx ? dev->nb_rxq : dev->nb_txq;
	if (queue >= nb_q || (rx ? dev->rxq[queue] : dev->txq[queue]) == NULL) {
		tern_log(TERN_LOG_ERR, PORT_LOG, "port %u (%s): %s: queue %u is not set up", port,
		         dev->name, what, queue);
		return -EINVAL;
	}
	memset(stats, 0, sizeof(*stats));
	ret = dev->ops->queue_stats_get(dev, rx, queue, stats);
	if (ret < 0)
		return ret;
	b = rx ? &dev->rxq_base[queue] : &dev->txq_base[queue];
	stats->packets -= b->packets;
	stats->bytes -= b->bytes;
	stats->errors -= b->errors;
	stats->nombuf -= b->nombuf;
	stats->missed -= b->missed;
	return 0;
}

int tern_port_rxq_stats_get(uint16_t port, uint16_t queue, struct tern_queue_stats *stats)
{
	return queue_stats(port, queue, true, stats);
}

int tern_port_txq_stats_get(uint16_t port, uint16_t queue, struct tern_queue_stats *stats)
{
	return queue_stats(port, queue, false, stats);
}

int tern_port_stats_reset(uint16_t port)
{
	struct tern_port_dev *dev = tern_port_get_dev(port, "stats_reset");
	int ret;

	if (dev == NULL)
		return -EINVAL;
	ret = port_raw_stats(dev, &dev->stats_base);
	if (ret < 0)
		return ret;
	/* Queues not set up yet start from 0 anyway: their driver counters do. */
	for (uint16_t q = 0; q < dev->nb_rxq; q++) {
		memset(&dev->rxq_base[q], 0, sizeof(dev->rxq_base[q]));
		if (dev->rxq[q] != NULL)
			dev->ops->queue_stats_get(dev, true, q, &dev->rxq_base[q]);
	}
	for (uint16_t q = 0; q < dev->nb_txq; q++) {
		memset(&dev->txq_base[q], 0, sizeof(dev->txq_base[q]));
		if (dev->txq[q] != NULL)
			dev->ops->queue_stats_get(dev, false, q, &dev->txq_base[q]);
	}
	return 0;
}
