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
#include <time.h>

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
			t->local += atomic_load_explicit(&c->local, memory_order_relaxed);
			t->unroutable += atomic_load_explicit(&c->unroutable, memory_order_relaxed);
			t->no_arp += atomic_load_explicit(&c->no_arp, memory_order_relaxed);
			t->ttl += atomic_load_explicit(&c->ttl, memory_order_relaxed);
			t->bad += atomic_load_explicit(&c->bad, memory_order_relaxed);
		}
		if (tern_port_stats_get(p, &st) == 0) {
			t->ipackets = st.ipackets - app->base[p].ipackets;
			t->ibytes = st.ibytes - app->base[p].ibytes;
			t->opackets = st.opackets - app->base[p].opackets;
			t->obytes = st.obytes - app->base[p].obytes;
			t->imissed = st.imissed - app->base[p].imissed;
			t->rx_nombuf = st.rx_nombuf - app->base[p].rx_nombuf;
			t->oerrors = st.oerrors - app->base[p].oerrors;
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

/*
 * MoonGen's counting: Mbit/s of frame bytes with the CRC (the port's byte
 * counters exclude it: + 4 per frame), and with framing + 20 more per frame.
 * Packet counts are the port's own (ipackets/opackets), as MoonGen reads a
 * NIC's. Lines as MoonGen's stats.lua writes them (plain and CSV); JSON: one
 * object per port and direction per line, with the drop counters.
 */
static void print_formatted(struct l2fwd_app *app, uint16_t p, double elapsed, double s,
                            const struct l2fwd_port_totals *a, const struct l2fwd_port_totals *b)
{
	uint64_t pk[2] = {a->ipackets - b->ipackets, a->opackets - b->opackets};
	uint64_t by[2] = {a->ibytes - b->ibytes + 4 * pk[0], a->obytes - b->obytes + 4 * pk[1]};
	uint64_t tot_pk[2] = {a->ipackets, a->opackets};
	uint64_t tot_by[2] = {a->ibytes + 4 * a->ipackets, a->obytes + 4 * a->opackets};
	static const char *const dir[2] = {"RX", "TX"};

	if (app->opt.stats_format == L2FWD_STATS_CSV && !app->stats_header_done) {
		printf("Time,Device,Direction,PacketRate,Mbit,MbitWithFraming,TotalPackets,"
		       "TotalBytes\n");
		app->stats_header_done = true;
	}
	for (int d = 0; d < 2; d++) {
		double mpps = (double)pk[d] / s / 1e6, mbit = (double)by[d] * 8 / s / 1e6;
		double wire = mbit + (double)pk[d] * 20 * 8 / s / 1e6;

		switch (app->opt.stats_format) {
		case L2FWD_STATS_MOONGEN:
			printf("[Device: id=%u] %s: %.2f Mpps, %.0f Mbit/s (%.0f Mbit/s with "
			       "framing)\n",
			       p, dir[d], mpps, mbit, wire);
			break;
		case L2FWD_STATS_CSV:
			/* Time: the Unix time, as MoonGen's, so two processes' rows line up. */
			printf("%lld,Device: id=%u,%s,%.6f,%.3f,%.3f,%" PRIu64 ",%" PRIu64 "\n",
			       (long long)time(NULL), p, dir[d], mpps, mbit, wire, tot_pk[d],
			       tot_by[d]);
			break;
		default:
			printf("{\"time\": %.3f, \"port\": %u, \"dir\": \"%s\", \"mpps\": %.6f, "
			       "\"mbit\": %.3f, \"wire_mbit\": %.3f, \"total_packets\": %" PRIu64
			       ", \"total_bytes\": %" PRIu64 ", \"imissed\": %" PRIu64
			       ", \"rx_nombuf\": %" PRIu64 ", \"tx_dropped\": %" PRIu64
			       ", \"unroutable\": %" PRIu64 ", \"no_arp\": %" PRIu64
			       ", \"ttl\": %" PRIu64 ", \"bad\": %" PRIu64 "}\n",
			       elapsed, p, dir[d], mpps, mbit, wire, tot_pk[d], tot_by[d],
			       a->imissed, a->rx_nombuf, a->dropped, a->unroutable, a->no_arp,
			       a->ttl, a->bad);
		}
	}
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
		if (app->opt.stats_format != L2FWD_STATS_PLAIN) {
			print_formatted(app, p, elapsed, s, a, b);
			continue;
		}
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
		printf("port %u: rx %" PRIu64 " pkts %.3f Mpps %.1f Mbit/s | tx %" PRIu64
		       " pkts %.3f Mpps %.1f Mbit/s | dropped %" PRIu64 " | imissed %" PRIu64
		       " rx_nombuf %" PRIu64 "\n",
		       p, t->rx, (double)t->rx / s / 1e6, mbits(t->ibytes, t->ipackets, s), t->tx,
		       (double)t->tx / s / 1e6, mbits(t->obytes, t->opackets, s), t->dropped,
		       t->imissed, t->rx_nombuf);
		if (app->opt.profile == L2FWD_PROFILE_L3)
			printf("port %u: l3: local %" PRIu64 " | unroutable %" PRIu64
			       " | no_arp %" PRIu64 " | ttl %" PRIu64 " | bad %" PRIu64 "\n",
			       p, t->local, t->unroutable, t->no_arp, t->ttl, t->bad);
		sum_tx += t->tx;
	}
	printf("total: %.3f Mpps forwarded\n", (double)sum_tx / s / 1e6);
	fflush(stdout);
}
