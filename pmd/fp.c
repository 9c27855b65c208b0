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
 * is written with relaxed atomic stores and read with relaxed loads (plain
 * moves: the fast path stays one load) because one thing may change it
 * under a poller: a driver reporting its device removed
 * (tern_port_dev_removed) mutes the burst functions from any thread, and a
 * poller then sees either the driver's burst or burst_none, both valid.
 */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>

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

void port_fp_publish(struct tern_port_dev *dev)
{
	struct tern_port_fp *fp = &tern_port_fp_table[dev->port_id];

	fp->rxq = dev->priv->rxq;
	fp->txq = dev->priv->txq;
	__atomic_store_n(&fp->rx_burst, dev->rx_burst, __ATOMIC_RELAXED);
	__atomic_store_n(&fp->tx_burst, dev->tx_burst, __ATOMIC_RELAXED);
}

void port_fp_mute(uint16_t port)
{
	struct tern_port_fp *fp = &tern_port_fp_table[port];

	__atomic_store_n(&fp->rx_burst, tern_port_burst_none, __ATOMIC_RELAXED);
	__atomic_store_n(&fp->tx_burst, tern_port_burst_none, __ATOMIC_RELAXED);
}

void port_fp_reset(uint16_t port)
{
	struct tern_port_fp *fp = &tern_port_fp_table[port];

	port_fp_mute(port);
	fp->rxq = no_queues;
	fp->txq = no_queues;
}

#ifdef TERN_DEBUG
/*
 * Stop while polling, caught (debug_checks). A poller counts itself into
 * in_burst, then reads `stopping`; stop and close set `stopping`, then read
 * in_burst. Both sides are sequentially consistent, so at least one of them
 * sees the other (the store-load pair that needs a full fence): either the
 * poller refuses the burst, or the stop finds it inside and waits for it.
 * Either way one line says so, once per stop, and nothing races with the
 * driver's stop.
 */
static void race_report(uint16_t port, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void race_report(uint16_t port, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	/* Relaxed: the flag guards no data, only that one of the racing threads logs. */
	if (__atomic_exchange_n(&port_privs[port].race_logged, 1, __ATOMIC_RELAXED) != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	tern_log(TERN_LOG_ERR, PORT_LOG,
	         "%s: stop polling a port (every thread) before stopping or closing it", line);
}

int tern_port_fp_enter(uint16_t port, uint16_t queue, bool rx)
{
	struct tern_port_priv *pp = &port_privs[port];
	const struct tern_port_dev *dev;

	__atomic_add_fetch(&pp->in_burst, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&pp->stopping, __ATOMIC_SEQ_CST)) {
		tern_port_fp_leave(port);
		race_report(
		    port, "port %u: %s_burst on queue %u while the port is being stopped or closed",
		    port, rx ? "rx" : "tx", queue);
		return -EBUSY;
	}
	if (port >= port_nb || port_devs[port] == NULL) {
		tern_port_fp_leave(port);
		TERN_DP_LOG(ERR, PORT_LOG, "%s_burst: no port %u", rx ? "rx" : "tx", port);
		return -EINVAL;
	}
	dev = port_devs[port];
	if (pp->state != PORT_STARTED) {
		tern_port_fp_leave(port);
		TERN_DP_LOG(ERR, PORT_LOG, "%s_burst: port %u (%s) is not started",
		            rx ? "rx" : "tx", port, dev->name);
		return -EINVAL;
	}
	if (queue >= (rx ? pp->nb_rxq : pp->nb_txq)) {
		tern_port_fp_leave(port);
		TERN_DP_LOG(ERR, PORT_LOG, "%s_burst: port %u (%s) has no queue %u",
		            rx ? "rx" : "tx", port, dev->name, queue);
		return -EINVAL;
	}
	return 0;
}

void tern_port_fp_leave(uint16_t port)
{
	/* Release: the burst's work before a stop that sees the count drop. */
	__atomic_sub_fetch(&port_privs[port].in_burst, 1, __ATOMIC_RELEASE);
}

void port_fp_quiesce(struct tern_port_dev *dev, const char *what)
{
	struct tern_port_priv *pp = dev->priv;

	__atomic_store_n(&pp->stopping, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&pp->in_burst, __ATOMIC_SEQ_CST) == 0)
		return;
	race_report(dev->port_id, "port %u (%s): %s while a thread is inside a burst on it",
	            dev->port_id, dev->name, what);
	/* Acquire: pairs with the leave's release; the driver's stop then runs alone. */
	while (__atomic_load_n(&pp->in_burst, __ATOMIC_ACQUIRE) > 0)
		sched_yield();
}

void port_fp_resume(struct tern_port_dev *dev)
{
	/*
	 * No poller runs yet (start comes before polling): the application's
	 * hand-over of the port to its lcores publishes both stores. Seq-cst
	 * only to stay in the one order that fp_enter and quiesce use.
	 */
	__atomic_store_n(&dev->priv->race_logged, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&dev->priv->stopping, 0, __ATOMIC_SEQ_CST);
}
#endif
