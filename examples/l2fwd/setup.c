/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * setup.c - who polls what, the packet pools, the rings and the ports; and
 * giving all of it back at exit.
 *
 * rtc: lcore i polls q_per_lcore RX queues, taken in turn from the enabled
 * ports, so with 2 lcores and 2 ports each lcore polls one port, and with 4
 * lcores each port has 2 RX queues. A port has as many RX queues as lcores
 * polling it, and one TX queue per lcore sending to it: no queue is shared.
 *
 * pipeline: the first half of the lcores (rounded up) receive, the others
 * transmit. Output port k (in enabled order) belongs to TX lcore k mod nb_tx.
 * An RX lcore has one SP/SC ring per output port it feeds, drained by that
 * port's TX lcore.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <tern_lcore.h>
#include <tern_memory.h>
#include <tern_pkt.h>
#include <tern_ring.h>

#include "l2fwd.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	/* The analyzer loses track of va_start here (a false positive, as in eal/eal.c). */
	vsnprintf(err, errlen, fmt, ap); /* NOLINT(clang-analyzer-valist.Uninitialized) */
	va_end(ap);
	return -EINVAL;
}

/* Hand RX queues of the enabled ports to lcores [first, first + nb), q each. */
static void spread_rx(struct l2fwd_app *app, const uint16_t *ports, unsigned nb_ports,
                      unsigned first, unsigned nb, unsigned q, enum l2fwd_role role)
{
	if (nb_ports == 0) /* callers refuse a run without ports before this */
		return;
	for (unsigned k = 0; k < nb * q; k++) {
		struct l2fwd_lcore *lc = &app->lcores[first + k / q];
		uint16_t port = ports[k % nb_ports];

		lc->role = role;
		lc->rx[lc->nb_rx++] = (struct l2fwd_rx_task){
		    .port = port,
		    .queue = app->nb_rxq[port]++,
		    .dst_port = app->pair[port],
		};
	}
}

int l2fwd_plan(struct l2fwd_app *app, char *err, size_t errlen)
{
	uint16_t ports[TERN_MAX_PORTS];
	unsigned nb = 0, q = app->opt.q_per_lcore, L = app->nb_lcores;

	for (uint16_t p = 0; p < app->nb_ports; p++)
		if (app->pair[p] != L2FWD_NO_PAIR)
			ports[nb++] = p;

	if (app->opt.mode == L2FWD_MODE_RTC) {
		if (L * q < nb)
			return fail(
			    err, errlen,
			    "%u ports need %u lcores at -q %u, but there are %u: add lcores "
			    "with -l or raise -q",
			    nb, (nb + q - 1) / q, q, L);
		spread_rx(app, ports, nb, 0, L, q, L2FWD_ROLE_RTC);
		/* Each lcore gets its own TX queue on every port it sends to. */
		for (unsigned l = 0; l < L; l++) {
			struct l2fwd_lcore *lc = &app->lcores[l];
			int txq[TERN_MAX_PORTS];

			for (unsigned p = 0; p < TERN_MAX_PORTS; p++)
				txq[p] = -1;
			for (unsigned i = 0; i < lc->nb_rx; i++) {
				uint16_t d = lc->rx[i].dst_port;

				if (txq[d] < 0)
					txq[d] = app->nb_txq[d]++;
				lc->rx[i].dst_txq = (uint16_t)txq[d];
			}
			/* L3: any frame may leave by any port, so a TX queue on each. */
			for (unsigned k = 0; app->opt.profile == L2FWD_PROFILE_L3 && k < nb; k++) {
				uint16_t d = ports[k];

				if (txq[d] < 0)
					txq[d] = app->nb_txq[d]++;
				lc->txq[d] = (uint16_t)txq[d];
			}
		}
		return 0;
	}

	unsigned nb_rx = (L + 1) / 2, nb_tx = L / 2;
	unsigned q_rx = TERN_MAX(q, (nb + nb_rx - 1) / nb_rx);

	if (L < 2)
		return fail(
		    err, errlen,
		    "--mode pipeline needs at least 2 lcores (RX and TX): give e.g. -l 0-1");
	if (q_rx > L2FWD_MAX_Q_PER_LCORE)
		return fail(err, errlen, "%u ports are too many for %u RX lcores: add lcores", nb,
		            nb_rx);
	spread_rx(app, ports, nb, 0, nb_rx, q_rx, L2FWD_ROLE_RX);
	for (unsigned l = nb_rx; l < L; l++)
		app->lcores[l].role = L2FWD_ROLE_IDLE;

	/* One ring per (RX lcore, output port); the port's owner drains it. Created
	 * here, before the pools, so that the pool size can count them. */
	/* nb >= 1 (main refuses a run without ports), nb_rx >= 1 (L >= 2 above). */
	/* NOLINTNEXTLINE(clang-analyzer-optin.portability.UnixAPI) */
	app->rings = calloc(nb_rx * nb, sizeof(*app->rings));
	if (app->rings == NULL)
		return fail(err, errlen, "out of memory");
	for (unsigned k = 0; k < nb; k++) {
		uint16_t d = ports[k];
		struct l2fwd_lcore *tx = &app->lcores[nb_rx + k % nb_tx];
		uint16_t txq = app->nb_txq[d]++;

		tx->role = L2FWD_ROLE_TX;
		for (unsigned r = 0; r < nb_rx; r++) {
			struct l2fwd_lcore *rx = &app->lcores[r];
			char name[TERN_RING_NAMESIZE];
			struct tern_ring *ring;
			bool feeds = false;

			for (unsigned i = 0; i < rx->nb_rx; i++)
				feeds |= rx->rx[i].dst_port == d;
			if (!feeds)
				continue;
			if (tx->nb_tx == L2FWD_MAX_TX_TASKS)
				return fail(err, errlen,
				            "too many rings for one TX lcore: add lcores");
			snprintf(name, sizeof(name), "l2fwd_r%u_p%u", r, d);
			ring = tern_ring_create(name, app->opt.ring_size, TERN_SOCKET_ID_ANY,
			                        TERN_RING_F_SP_ENQ | TERN_RING_F_SC_DEQ);
			if (ring == NULL)
				return fail(err, errlen, "cannot create ring %s: %s", name,
				            strerror(tern_errno));
			app->rings[app->nb_rings++] = (struct l2fwd_ring){.ring = ring, .port = d};
			tx->tx[tx->nb_tx++] = (struct l2fwd_tx_task){
			    .ring = ring,
			    .port = d,
			    .queue = txq,
			};
			for (unsigned i = 0; i < rx->nb_rx; i++)
				if (rx->rx[i].dst_port == d)
					rx->rx[i].ring = ring;
		}
	}
	return 0;
}

/* The pool for a port's socket, created on first use. */
static struct tern_mempool *pool_for(struct l2fwd_app *app, int socket, unsigned n, char *err,
                                     size_t errlen)
{
	char name[32];
	struct tern_mempool *mp;

	for (unsigned i = 0; i < app->nb_pools; i++)
		if (app->pool_socket[i] == socket)
			return app->pools[i];
	if (app->nb_pools == TERN_MAX_NUMA_NODES) {
		fail(err, errlen, "more sockets than %d", TERN_MAX_NUMA_NODES);
		return NULL;
	}
	snprintf(name, sizeof(name), "l2fwd_pool_s%d", socket);
	mp = tern_pktpool_create(name, n, L2FWD_POOL_CACHE, 0, TERN_PKT_DEFAULT_BUF_SIZE, socket);
	if (mp == NULL) {
		fail(err, errlen,
		     "cannot create a pool of %u packet buffers on socket %d: %s: give more "
		     "memory (-m) or fewer queues",
		     n, socket, strerror(tern_errno));
		return NULL;
	}
	app->pool_socket[app->nb_pools] = socket;
	app->pools[app->nb_pools++] = mp;
	return mp;
}

static uint16_t clamp_desc(uint16_t want, uint16_t lo, uint16_t hi)
{
	if (hi != 0 && want > hi)
		want = hi;
	return want < lo ? lo : want;
}

int l2fwd_setup(struct l2fwd_app *app, char *err, size_t errlen)
{
	struct tern_port_info info[TERN_MAX_PORTS];
	uint16_t nb_rxd[TERN_MAX_PORTS] = {0}, nb_txd[TERN_MAX_PORTS] = {0};
	unsigned per_socket[TERN_MAX_NUMA_NODES] = {0};
	unsigned shared;
	int ret;

	for (uint16_t p = 0; p < app->nb_ports; p++) {
		if (app->pair[p] == L2FWD_NO_PAIR)
			continue;
		ret = tern_port_info_get(p, &info[p]);
		if (ret < 0)
			return fail(err, errlen, "port %u: no info: %s", p, strerror(-ret));
		if (info[p].socket < 0 || info[p].socket >= TERN_MAX_NUMA_NODES)
			info[p].socket = 0;
		if (app->nb_rxq[p] > info[p].max_rx_queues)
			return fail(err, errlen,
			            "port %u (%s) has at most %u RX queues but %u lcores poll it: "
			            "use fewer lcores or a smaller -q",
			            p, info[p].name, info[p].max_rx_queues, app->nb_rxq[p]);
		if (app->nb_txq[p] > info[p].max_tx_queues)
			return fail(
			    err, errlen,
			    "port %u (%s) has at most %u TX queues but %u lcores send to it: "
			    "use fewer lcores",
			    p, info[p].name, info[p].max_tx_queues, app->nb_txq[p]);
		nb_rxd[p] = clamp_desc(L2FWD_NB_DESC, info[p].rx_desc_min, info[p].rx_desc_max);
		nb_txd[p] = clamp_desc(L2FWD_NB_DESC, info[p].tx_desc_min, info[p].tx_desc_max);
		per_socket[info[p].socket] +=
		    app->nb_rxq[p] * nb_rxd[p] + app->nb_txq[p] * nb_txd[p];
	}

	/*
	 * Pool size: every RX and TX descriptor of the socket's ports may hold a
	 * buffer, plus what can sit elsewhere at once, counted in every pool
	 * since it may come from any: full rings, one burst in each lcore's
	 * hands, and each lcore's cache (up to 1.5x its size after a put, plus
	 * the refill of one get).
	 */
	shared = app->nb_rings * app->opt.ring_size +
	         app->nb_lcores * (app->opt.burst + 2 * L2FWD_POOL_CACHE + L2FWD_POOL_CACHE);

	for (uint16_t p = 0; p < app->nb_ports; p++) {
		struct tern_port_conf conf = {0};
		struct tern_mempool *mp;
		int s;

		if (app->pair[p] == L2FWD_NO_PAIR)
			continue;
		s = info[p].socket;
		mp = pool_for(app, s, per_socket[s] + shared, err, errlen);
		if (mp == NULL)
			return -ENOMEM;
		/* Several lcores poll this port: spread its flows over their queues. */
		conf.rss = app->nb_rxq[p] > 1;
		ret = tern_port_configure(p, app->nb_rxq[p], app->nb_txq[p], &conf);
		if (ret < 0)
			return fail(err, errlen, "port %u: configure with %u RX, %u TX queues: %s",
			            p, app->nb_rxq[p], app->nb_txq[p], tern_eal_last_error());
		for (uint16_t q = 0; q < app->nb_rxq[p]; q++) {
			ret = tern_port_rx_queue_setup(p, q, nb_rxd[p], s, mp);
			if (ret < 0)
				return fail(err, errlen, "port %u: RX queue %u: %s", p, q,
				            tern_eal_last_error());
		}
		for (uint16_t q = 0; q < app->nb_txq[p]; q++) {
			ret = tern_port_tx_queue_setup(p, q, nb_txd[p], s);
			if (ret < 0)
				return fail(err, errlen, "port %u: TX queue %u: %s", p, q,
				            tern_eal_last_error());
		}
		ret = tern_port_promisc_set(p, app->opt.promisc);
		if (ret < 0 && ret != -ENOTSUP)
			return fail(err, errlen, "port %u: promiscuous mode: %s", p,
			            tern_eal_last_error());
		if (tern_port_mac_get(p, &app->mac[p]) < 0)
			memset(&app->mac[p], 0, sizeof(app->mac[p]));
	}

	if (app->opt.profile == L2FWD_PROFILE_L3 && (ret = l2fwd_l3_setup(app, err, errlen)) < 0)
		return ret;
	for (uint16_t p = 0; p < app->nb_ports; p++) {
		if (app->pair[p] == L2FWD_NO_PAIR)
			continue;
		ret = tern_port_start(p);
		if (ret < 0)
			return fail(err, errlen, "port %u: start: %s", p, tern_eal_last_error());
	}
	return 0;
}

void l2fwd_drain_rings(struct l2fwd_app *app)
{
	struct tern_pkt *pkts[L2FWD_MAX_BURST];
	struct l2fwd_lcore *lc = &app->lcores[0];

	/* Every lcore has returned (tern_lcore_wait): the rings are ours alone. */
	for (unsigned i = 0; i < app->nb_rings; i++) {
		unsigned n;

		if (app->rings[i].ring == NULL)
			continue;
		while ((n = tern_ring_sc_dequeue_burst(app->rings[i].ring, (void **)pkts,
		                                       L2FWD_MAX_BURST, NULL)) > 0) {
			tern_pkt_free_bulk(pkts, n);
			l2fwd_ctr_add(&lc->ctr[app->rings[i].port].dropped, n);
		}
	}
}

void l2fwd_stop_ports(struct l2fwd_app *app)
{
	for (uint16_t p = 0; p < app->nb_ports; p++)
		if (app->pair[p] != L2FWD_NO_PAIR && tern_port_is_started(p))
			tern_port_stop(p);
}

void l2fwd_buffers(const struct l2fwd_app *app, unsigned *avail, unsigned *total)
{
	*avail = *total = 0;
	for (unsigned i = 0; i < app->nb_pools; i++) {
		*avail += tern_mempool_avail_count(app->pools[i]);
		*total += tern_mempool_size(app->pools[i]);
	}
}

void l2fwd_release(struct l2fwd_app *app)
{
	for (uint16_t p = 0; p < app->nb_ports; p++)
		if (app->pair[p] != L2FWD_NO_PAIR)
			tern_port_close(p);
	for (unsigned i = 0; i < app->nb_rings; i++)
		tern_ring_free(app->rings[i].ring);
	free(app->rings);
	app->rings = NULL;
	app->nb_rings = 0;
	for (unsigned i = 0; i < app->nb_pools; i++)
		tern_mempool_free(app->pools[i]);
	app->nb_pools = 0;
	l2fwd_l3_free(app);
}
