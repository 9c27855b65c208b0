/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp.c - the fast-path table that tern_port_rx_burst()/tx_burst() read.
 *
 * Every entry of a port that is not started points at tern_port_burst_none
 * and at a table of NULL queues, so that a burst on a stopped, closed or
 * never-probed port (with a queue id below TERN_MAX_QUEUES_PER_PORT) returns
 * 0 instead of crashing, even without TERN_DEBUG.
 *
 * The rule for pollers (the same as DPDK's): start a port before any thread
 * polls it, and make every thread stop polling a port before you stop or
 * close it. tern_port_start() writes the entry before it returns, and the
 * application hands the port to its lcores afterwards through something
 * that synchronizes (tern_lcore_launch(), a release store of its own), so
 * the lcores see the whole entry. Stop first puts the entry back to
 * burst_none and then lets the driver give back its packets: a thread still
 * inside the driver's burst at that moment would race with the driver's
 * stop, which is why the application must have stopped polling. The entry
 * is plain memory, not atomics, because under this rule no poller reads it
 * while it changes, and the fast path stays one plain load.
 */
#include <errno.h>

#include "port_internal.h"

uint16_t tern_port_burst_none(void *queue, struct tern_pkt **pkts, uint16_t n)
{
	(void)queue;
	(void)pkts;
	(void)n;
	return 0;
}

/* What a stopped port's entry points at: every queue id finds NULL. */
static void *no_queues[TERN_MAX_QUEUES_PER_PORT];

struct tern_port_fp tern_port_fp_table[TERN_MAX_PORTS] = {
    [0 ... TERN_MAX_PORTS - 1] =
        {
            .rx_burst = tern_port_burst_none,
            .tx_burst = tern_port_burst_none,
            .rxq = no_queues,
            .txq = no_queues,
        },
};

void tern_port_fp_publish(struct tern_port_dev *dev)
{
	struct tern_port_fp *fp = &tern_port_fp_table[dev->port_id];

	fp->rxq = dev->rxq;
	fp->txq = dev->txq;
	fp->rx_burst = dev->rx_burst;
	fp->tx_burst = dev->tx_burst;
}

void tern_port_fp_reset(uint16_t port)
{
	struct tern_port_fp *fp = &tern_port_fp_table[port];

	fp->rx_burst = tern_port_burst_none;
	fp->tx_burst = tern_port_burst_none;
	fp->rxq = no_queues;
	fp->txq = no_queues;
}

#ifdef TERN_DEBUG
int tern_port_fp_check(uint16_t port, uint16_t queue, bool rx)
{
	const struct tern_port_dev *dev;

	if (port >= tern_port_nb || tern_port_devs[port] == NULL) {
		TERN_DP_LOG(ERR, PORT_LOG, "%s_burst: no port %u", rx ? "rx" : "tx", port);
		return -EINVAL;
	}
	dev = tern_port_devs[port];
	if (dev->state != PORT_STARTED) {
		TERN_DP_LOG(ERR, PORT_LOG, "%s_burst: port %u (%s) is not started",
		            rx ? "rx" : "tx", port, dev->name);
		return -EINVAL;
	}
	if (queue >= (rx ? dev->nb_rxq : dev->nb_txq)) {
		TERN_DP_LOG(ERR, PORT_LOG, "%s_burst: port %u (%s) has no queue %u",
		            rx ? "rx" : "tx", port, dev->name, queue);
		return -EINVAL;
	}
	return 0;
}
#endif
