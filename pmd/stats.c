/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stats.c - port and queue counters, and their reset.
 *
 * A port's raw counters are, since probe: what the driver's optional
 * stats_get op reads from the device itself, plus the sum of its live
 * queues' struct tern_qstats (written by their pollers with
 * tern_qstat_add), plus `gone`, the counters of queues already released.
 * Drivers never clear, sum or fold anything.
 *
 * A reset only records the raw values as a baseline that later reads
 * subtract. So a reset writes nothing a poller writes, and is safe while
 * traffic runs: packets counted between the read of the baseline and the
 * next stats_get simply show up in that next read. Raw counters only grow,
 * and a later read by this thread of the same counter never sees an older
 * value (C11 coherence), so the differences never go negative.
 *
 * A removed port's totals are read once more after the removal and then
 * frozen: the driver is not asked about a device that is gone.
 */
#include <errno.h>
#include <string.h>

#include "port_internal.h"
#include "tern_error.h"

static void qstats_read(const struct tern_qstats *c, struct tern_queue_stats *s)
{
	*s = (struct tern_queue_stats){
	    .packets = tern_qstat_read(&c->packets),
	    .bytes = tern_qstat_read(&c->bytes),
	    .errors = tern_qstat_read(&c->errors),
	    .nombuf = tern_qstat_read(&c->nombuf),
	    .missed = tern_qstat_read(&c->missed),
	};
}

/* s += a, or s -= a with sign -1 (unsigned: the subtraction wraps back exactly). */
static void port_add(struct tern_port_stats *s, const struct tern_port_stats *a, int sign)
{
	const uint64_t k = (uint64_t)(int64_t)sign;

	s->ipackets += k * a->ipackets;
	s->ibytes += k * a->ibytes;
	s->ierrors += k * a->ierrors;
	s->opackets += k * a->opackets;
	s->obytes += k * a->obytes;
	s->oerrors += k * a->oerrors;
	s->rx_nombuf += k * a->rx_nombuf;
	s->imissed += k * a->imissed;
}

static void queue_add(struct tern_queue_stats *s, const struct tern_queue_stats *a, int sign)
{
	const uint64_t k = (uint64_t)(int64_t)sign;

	s->packets += k * a->packets;
	s->bytes += k * a->bytes;
	s->errors += k * a->errors;
	s->nombuf += k * a->nombuf;
	s->missed += k * a->missed;
}

/* Add one queue's counters into port totals. */
static void add_queue(struct tern_port_stats *s, bool rx, const struct tern_queue_stats *q)
{
	if (rx) {
		s->ipackets += q->packets;
		s->ibytes += q->bytes;
		s->ierrors += q->errors;
		s->rx_nombuf += q->nombuf;
		s->imissed += q->missed;
	} else {
		s->opackets += q->packets;
		s->obytes += q->bytes;
		s->oerrors += q->errors;
	}
}

static int port_raw_stats(struct tern_port_dev *dev, struct tern_port_stats *s)
{
	struct tern_port_priv *pp = dev->priv;
	struct tern_queue_stats q;

	if (pp->frozen) {
		*s = pp->stats_frozen;
		return 0;
	}
	memset(s, 0, sizeof(*s));
	if (dev->ops->stats_get != NULL) {
		int ret = dev->ops->stats_get(dev, s);

		if (ret < 0)
			return ret;
	}
	for (uint16_t i = 0; i < pp->nb_rxq; i++) {
		if (pp->rxq_stats[i] != NULL) {
			qstats_read(pp->rxq_stats[i], &q);
			add_queue(s, true, &q);
		}
	}
	for (uint16_t i = 0; i < pp->nb_txq; i++) {
		if (pp->txq_stats[i] != NULL) {
			qstats_read(pp->txq_stats[i], &q);
			add_queue(s, false, &q);
		}
	}
	port_add(s, &pp->gone, 1);
	if (tern_port_dev_is_removed(dev)) {
		pp->stats_frozen = *s;
		pp->frozen = true;
	}
	return 0;
}

/* A set-up queue's raw counters: the device's own (if any) and its tern_qstats. */
static int queue_raw_stats(struct tern_port_dev *dev, bool rx, uint16_t qid,
                           struct tern_queue_stats *s)
{
	const struct tern_qstats *c = rx ? dev->priv->rxq_stats[qid] : dev->priv->txq_stats[qid];
	struct tern_queue_stats q;

	memset(s, 0, sizeof(*s));
	if (dev->ops->queue_stats_get != NULL) {
		int ret = dev->ops->queue_stats_get(dev, rx, qid, s);

		if (ret < 0)
			return ret;
	}
	if (c != NULL) {
		qstats_read(c, &q);
		queue_add(s, &q, 1);
	}
	return 0;
}

void port_stats_queue_gone(struct tern_port_dev *dev, bool rx, uint16_t qid)
{
	struct tern_qstats *c = rx ? dev->priv->rxq_stats[qid] : dev->priv->txq_stats[qid];
	struct tern_queue_stats q;

	/* The queue's poller has stopped (the port is not started): no writer is left. */
	if (c == NULL)
		return;
	/* A last look, for a driver that refreshes the counters there (af_packet's drops). */
	if (dev->ops->queue_stats_get != NULL && !tern_port_dev_is_removed(dev))
		(void)dev->ops->queue_stats_get(dev, rx, qid, &q);
	qstats_read(c, &q);
	add_queue(&dev->priv->gone, rx, &q);
}

void port_stats_queue_new(struct tern_port_dev *dev, bool rx, uint16_t qid)
{
	struct tern_qstats *c = rx ? dev->priv->rxq_stats[qid] : dev->priv->txq_stats[qid];
	struct tern_queue_stats *b = rx ? &dev->priv->rxq_base[qid] : &dev->priv->txq_base[qid];

	/* No poller yet: plain stores. */
	if (c != NULL)
		memset(c, 0, sizeof(*c));
	/* Counters the device keeps per queue index run on: start this queue from them. */
	if (queue_raw_stats(dev, rx, qid, b) < 0)
		memset(b, 0, sizeof(*b));
}

int tern_port_stats_get(uint16_t port, struct tern_port_stats *stats)
{
	struct tern_port_dev *dev = port_get(port, "stats_get");
	int ret;

	if (dev == NULL || stats == NULL)
		return -EINVAL;
	ret = port_raw_stats(dev, stats);
	if (ret < 0)
		return ret;
	port_add(stats, &dev->priv->stats_base, -1);
	return 0;
}

static int queue_stats(uint16_t port, uint16_t queue, bool rx, struct tern_queue_stats *stats)
{
	const char *what = rx ? "rxq_stats_get" : "txq_stats_get";
	struct tern_port_dev *dev = port_get(port, what);
	uint16_t nb_q;
	int ret;

	if (dev == NULL || stats == NULL)
		return -EINVAL;
	nb_q = rx ? dev->priv->nb_rxq : dev->priv->nb_txq;
	if (queue >= nb_q || (rx ? dev->priv->rxq[queue] : dev->priv->txq[queue]) == NULL) {
		return tern_error(EINVAL, PORT_LOG, "port %u (%s): %s: queue %u is not set up",
		                  port, dev->name, what, queue);
	}
	ret = queue_raw_stats(dev, rx, queue, stats);
	if (ret < 0)
		return ret;
	queue_add(stats, rx ? &dev->priv->rxq_base[queue] : &dev->priv->txq_base[queue], -1);
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
	struct tern_port_dev *dev = port_get(port, "stats_reset");
	struct tern_port_priv *pp;
	int ret;

	if (dev == NULL)
		return -EINVAL;
	pp = dev->priv;
	ret = port_raw_stats(dev, &pp->stats_base);
	if (ret < 0)
		return ret;
	/* Queues not set up yet get their baseline at setup. */
	for (uint16_t q = 0; q < pp->nb_rxq; q++)
		if (pp->rxq[q] != NULL && queue_raw_stats(dev, true, q, &pp->rxq_base[q]) < 0)
			memset(&pp->rxq_base[q], 0, sizeof(pp->rxq_base[q]));
	for (uint16_t q = 0; q < pp->nb_txq; q++)
		if (pp->txq[q] != NULL && queue_raw_stats(dev, false, q, &pp->txq_base[q]) < 0)
			memset(&pp->txq_base[q], 0, sizeof(pp->txq_base[q]));
	return 0;
}
