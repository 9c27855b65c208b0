/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fwd_rtc.c - run to completion: each lcore polls its RX queues and sends
 * every burst straight out of the paired port, on a TX queue only it uses.
 */
#include <tern_cycles.h>
#include <tern_pkt.h>

#include "fwd.h"
#include "l2fwd.h"

int l2fwd_rtc_loop(struct l2fwd_app *app, struct l2fwd_lcore *lc, bool is_main)
{
	struct tern_pkt *pkts[L2FWD_MAX_BURST];
	const uint16_t burst = (uint16_t)app->opt.burst;
	const bool mac_updating = app->opt.mac_updating;
	const enum l2fwd_profile profile = app->opt.profile;
	unsigned loops = 0;

	while (!l2fwd_should_quit()) {
		for (unsigned i = 0; i < lc->nb_rx; i++) {
			const struct l2fwd_rx_task *t = &lc->rx[i];
			uint16_t n, sent;

			n = tern_port_rx_burst(t->port, t->queue, pkts, burst);
			if (n == 0)
				continue;
			l2fwd_ctr_add(&lc->ctr[t->port].rx, n);
			if (profile == L2FWD_PROFILE_L3) {
				l2fwd_l3_burst(app, lc, t->port, pkts, n);
				continue;
			}
			if (profile == L2FWD_PROFILE_REFLECTOR)
				l2fwd_mac_swap_burst(pkts, n);
			else if (mac_updating)
				l2fwd_mac_update_burst(pkts, n, t->dst_port,
				                       &app->mac[t->dst_port]);
			sent = tern_port_tx_burst(t->dst_port, t->dst_txq, pkts, n);
			l2fwd_ctr_add(&lc->ctr[t->dst_port].tx, sent);
			if (tern_unlikely(sent < n)) {
				tern_pkt_free_bulk(&pkts[sent], n - sent);
				l2fwd_ctr_add(&lc->ctr[t->dst_port].dropped, n - sent);
			}
		}
		/* The main lcore also keeps the clock: stats period and --duration. */
		if (is_main && (++loops & (L2FWD_CLOCK_EVERY - 1)) == 0 &&
		    tern_rdtsc() >= app->next_tick_tsc && app->tick(app))
			break;
	}
	return 0;
}
