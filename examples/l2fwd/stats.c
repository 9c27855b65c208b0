/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stats.c - per-port counters summed over lcores, and the lines printed
 * every period and at exit.
 *
 * Packet counts are the application's own (what rx_burst returned, what
 * tx_burst took, what was freed instead), so rx of a port equals tx of its
 * pair plus the drops on that path. Byte counts come from the port's
 * counters; like DPDK's they exclude the 4-byte CRC, so the wire rate adds
 * CRC, preamble+SFD (8) and the inter-frame gap (12): 24 bytes per frame,
 * as MoonGen counts it.
 */
#include <inttypes.h>
#include <stdio.h>

#include <tern_cycles.h>

#include "l2fwd.h"

void l2fwd_totals(const struct l2fwd_app *app, struct l2fwd_port_totals tot[TERN_MAX_PORTS])
{
	for (uint16_t p = 0; p < app->nb_ports; p++) {
		struct tern_port_stats st;
		struct l2fwd_port_totals *t = &tot[p];

		*t = (struct l2fwd_port_totals){0};
		for (unsigned l = 0; l < app->nb_lcores; l++) {
			const struct l2fwd_port_ctr *c = &app->lcores[l].ctr[p];

			/* Relaxed: a snapshot; see struct l2fwd_port_ctr. */
			t->rx += atomic_load_explicit(&c->rx, memory_order_relaxed);
			t->tx += atomic_load_explicit(&c->tx, memory_order_relaxed);
			t->dropped += atomic_load_explicit(&c->dropped, memory_order_relaxed);
		}
		if (tern_port_stats_get(p, &st) == 0) {
			t->ipackets = st.ipackets - app->base[p].ipackets;
			t->ibytes = st.ibytes - app->base[p].ibytes;
			t->opackets = st.opackets - app->base[p].opackets;
			t->obytes = st.obytes - app->base[p].obytes;
		}
	}
}

void l2fwd_stats_begin(struct l2fwd_app *app)
{
	for (uint16_t p = 0; p < app->nb_ports; p++)
		if (tern_port_stats_get(p, &app->base[p]) < 0)
			app->base[p] = (struct tern_port_stats){0};
	l2fwd_totals(app, app->prev);
	app->start_tsc = app->prev_tsc = tern_rdtsc();
}

static double mbits(uint64_t bytes, uint64_t pkts, double s)
{
	return (double)(bytes + pkts * L2FWD_WIRE_OVERHEAD) * 8 / s / 1e6;
}

void l2fwd_stats_print_period(struct l2fwd_app *app)
{
	struct l2fwd_port_totals now[TERN_MAX_PORTS];
	uint64_t tsc = tern_rdtsc();
	double s = (double)(tsc - app->prev_tsc) / (double)app->tsc_hz;
	double elapsed = (double)(tsc - app->start_tsc) / (double)app->tsc_hz;

	l2fwd_totals(app, now);
	for (uint16_t p = 0; p < app->nb_ports; p++) {
		const struct l2fwd_port_totals *a = &now[p], *b = &app->prev[p];

		struct tern_link link;

		if (app->pair[p] == L2FWD_NO_PAIR)
			continue;
		/* A link that went down (cable, or a device removed) says so at the line's end. */
		printf("[%7.1f s] port %u: rx %8.3f Mpps %9.1f Mbit/s | tx %8.3f Mpps %9.1f "
		       "Mbit/s | dropped %" PRIu64 "%s\n",
		       elapsed, p, (double)(a->rx - b->rx) / s / 1e6,
		       mbits(a->ibytes - b->ibytes, a->ipackets - b->ipackets, s),
		       (double)(a->tx - b->tx) / s / 1e6,
		       mbits(a->obytes - b->obytes, a->opackets - b->opackets, s),
		       a->dropped - b->dropped,
		       tern_port_link_get(p, &link) == 0 && !link.up ? " | link down" : "");
	}
	fflush(stdout);
	for (uint16_t p = 0; p < app->nb_ports; p++)
		app->prev[p] = now[p];
	app->prev_tsc = tsc;
}

void l2fwd_stats_print_totals(struct l2fwd_app *app, double duration_s)
{
	struct l2fwd_port_totals tot[TERN_MAX_PORTS];
	double s = duration_s > 0 ? duration_s : 1e-9;
	uint64_t sum_tx = 0;

	l2fwd_totals(app, tot);
	printf("totals over %.2f s:\n", duration_s);
	for (uint16_t p = 0; p < app->nb_ports; p++) {
		const struct l2fwd_port_totals *t = &tot[p];

		if (app->pair[p] == L2FWD_NO_PAIR)
			continue;
		printf("port %u: rx %" PRIu64 " pkts %.3f Mpps | tx %" PRIu64
		       " pkts %.3f Mpps %.1f Mbit/s | dropped %" PRIu64 "\n",
		       p, t->rx, (double)t->rx / s / 1e6, t->tx, (double)t->tx / s / 1e6,
		       mbits(t->obytes, t->opackets, s), t->dropped);
		sum_tx += t->tx;
	}
	printf("total: %.3f Mpps forwarded\n", (double)sum_tx / s / 1e6);
	fflush(stdout);
}
