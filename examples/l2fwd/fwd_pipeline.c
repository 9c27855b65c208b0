/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fwd_pipeline.c - RX lcores receive and enqueue into rings; TX lcores
 * dequeue and send. Every ring has one producer (an RX lcore) and one
 * consumer (a TX lcore) and carries frames for one output port, so a
 * dequeued burst goes out in one tx_burst without looking at the frames.
 */
#include <unistd.h>

#include <tern_cycles.h>
#include <tern_pkt.h>
#include <tern_ring.h>

#include "fwd.h"
#include "l2fwd.h"

static inline bool main_tick(struct l2fwd_app *app, unsigned *loops)
{
	return (++*loops & (L2FWD_CLOCK_EVERY - 1)) == 0 && tern_rdtsc() >= app->next_tick_tsc &&
	       app->tick(app);
}

int l2fwd_rx_loop(struct l2fwd_app *app, struct l2fwd_lcore *lc, bool is_main)
{
	struct tern_pkt *pkts[L2FWD_MAX_BURST];
	const uint16_t burst = (uint16_t)app->opt.burst;
	const bool mac_updating = app->opt.mac_updating;
	const bool reflect = app->opt.profile == L2FWD_PROFILE_REFLECTOR;
	unsigned loops = 0;

	while (!l2fwd_should_quit()) {
		for (unsigned i = 0; i < lc->nb_rx; i++) {
			struct l2fwd_rx_task *t = &lc->rx[i];
			unsigned n, queued;

			/*
			 * Back-pressure: take from the port only what the ring can
			 * hold, as a NIC-fed pipeline must; when the TX lcore lags,
			 * frames wait in the port (a NIC counts them as missed).
			 * t->room is a lower bound of the free slots (only we
			 * fill the ring): the consumer's tail, on the TX lcore's
			 * cache line, is read only when it runs out - once per
			 * ring's worth, not once per burst. Pause between looks
			 * at a full ring, not to pull that line away from the
			 * very stage we wait for.
			 */
			if (t->room < burst) {
				t->room = tern_ring_free_count(t->ring);
				if (t->room < burst) {
					tern_pause();
					continue;
				}
			}
			n = tern_port_rx_burst(t->port, t->queue, pkts, burst);
			if (n == 0)
				continue;
			l2fwd_ctr_add(&lc->ctr[t->port].rx, n);
			if (reflect)
				l2fwd_mac_swap_burst(pkts, (uint16_t)n);
			else if (mac_updating)
				l2fwd_mac_update_burst(pkts, (uint16_t)n, t->dst_port,
				                       &app->mac[t->dst_port]);
			queued = tern_ring_sp_enqueue_burst(t->ring, (void *const *)pkts, n, NULL);
			t->room -= queued;
			if (tern_unlikely(queued < n)) {
				tern_pkt_free_bulk(&pkts[queued], n - queued);
				l2fwd_ctr_add(&lc->ctr[t->dst_port].dropped, n - queued);
			}
		}
		if (is_main && main_tick(app, &loops))
			break;
	}
	return 0;
}

int l2fwd_tx_loop(struct l2fwd_app *app, struct l2fwd_lcore *lc, bool is_main)
{
	struct tern_pkt *pkts[L2FWD_MAX_BURST];
	const unsigned burst = app->opt.burst;
	unsigned loops = 0;

	while (!l2fwd_should_quit()) {
		for (unsigned i = 0; i < lc->nb_tx; i++) {
			const struct l2fwd_tx_task *t = &lc->tx[i];
			unsigned n;
			uint16_t sent;

			n = tern_ring_sc_dequeue_burst(t->ring, (void **)pkts, burst, NULL);
			if (n == 0)
				continue;
			sent = tern_port_tx_burst(t->port, t->queue, pkts, (uint16_t)n);
			l2fwd_ctr_add(&lc->ctr[t->port].tx, sent);
			if (tern_unlikely(sent < n)) {
				tern_pkt_free_bulk(&pkts[sent], n - sent);
				l2fwd_ctr_add(&lc->ctr[t->port].dropped, n - sent);
			}
		}
		if (is_main && main_tick(app, &loops))
			break;
	}
	return 0;
}

int l2fwd_idle_loop(struct l2fwd_app *app, bool is_main)
{
	/* A worker with nothing to poll just returns; the main lcore keeps the clock. */
	while (is_main && !l2fwd_should_quit()) {
		usleep(1000);
		if (tern_rdtsc() >= app->next_tick_tsc && app->tick(app))
			break;
	}
	return 0;
}
