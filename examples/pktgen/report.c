/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * report.c - what tern-pktgen prints and writes, in MoonGen's shapes so that
 * scripts written for MoonGen's output read it:
 *
 *   per period:  [Device: id=0] TX: 0.97 Mpps, 499 Mbit/s (655 Mbit/s with framing)
 *   at the end:  [Device: id=0] TX: 0.97 (StdDev 0.00) Mpps, 499 (StdDev 0) Mbit/s
 *                (655 Mbit/s with framing), total 9731292 packets with 622802688 bytes
 *                (incl. CRC)
 *   histogram:   one "latency_ns,count" line per non-empty bucket (histogram.csv)
 *
 * Mbit/s counts frame bytes with the CRC; "with framing" adds 20 bytes per
 * frame (preamble, SFD, inter-frame gap), as MoonGen's stats do.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#include <tern_cycles.h>

#include "pktgen.h"

static void welford_add(struct pg_welford *w, double x)
{
	double d = x - w->mean;

	w->n++;
	w->mean += d / w->n;
	w->m2 += d * (x - w->mean);
}

static double welford_sd(const struct pg_welford *w)
{
	return w->n > 1 ? sqrt(w->m2 / (w->n - 1)) : 0;
}

static void line(uint16_t port, const char *dir, double mpps, double mbit, double wire)
{
	printf("[Device: id=%u] %s: %.2f Mpps, %.0f Mbit/s (%.0f Mbit/s with framing)\n", port, dir,
	       mpps, mbit, wire);
}

void pg_print_period(struct pg_app *app)
{
	uint64_t now = tern_rdtsc();
	double s = (double)(now - app->prev_tsc) / (double)app->tsc_hz;

	for (unsigned u = 0; u < app->nb_used; u++) {
		struct pg_port *p = &app->ports[app->used[u]];
		const struct pg_port_ctr *a = &p->ctr, *b = &p->prev;
		uint64_t pk[2] = {a->tx - b->tx, a->rx - b->rx};
		uint64_t by[2] = {a->tx_bytes - b->tx_bytes, a->rx_bytes - b->rx_bytes};

		for (int d = 0; d < 2; d++) {
			double mpps = (double)pk[d] / s / 1e6, mbit = (double)by[d] * 8 / s / 1e6;

			if (d == 0 && !p->tx)
				continue;
			if (d == 1 && app->opt.tx_only)
				continue;
			welford_add(&app->mpps[p->id][d], mpps);
			welford_add(&app->mbit[p->id][d], mbit);
			line(p->id, d ? "RX" : "TX", mpps, mbit,
			     mbit + (double)pk[d] * PG_FRAMING * 8 / s / 1e6);
		}
		p->prev = p->ctr;
	}
	fflush(stdout);
	app->prev_tsc = now;
}

void pg_print_totals(const struct pg_app *app, const struct pg_trial *t)
{
	double s = t->duration_s > 0 ? t->duration_s : 1e-9;

	for (unsigned u = 0; u < app->nb_used; u++) {
		const struct pg_port *p = &app->ports[app->used[u]];
		uint64_t pk[2] = {p->ctr.tx, p->ctr.rx}, by[2] = {p->ctr.tx_bytes, p->ctr.rx_bytes};

		for (int d = 0; d < 2; d++) {
			double mpps = (double)pk[d] / s / 1e6, mbit = (double)by[d] * 8 / s / 1e6;

			if ((d == 0 && !p->tx) || (d == 1 && app->opt.tx_only))
				continue;
			printf("[Device: id=%u] %s: %.2f (StdDev %.2f) Mpps, %.0f (StdDev %.0f) "
			       "Mbit/s "
			       "(%.0f Mbit/s with framing), total %" PRIu64 " packets with %" PRIu64
			       " bytes (incl. CRC)\n",
			       p->id, d ? "RX" : "TX", mpps, welford_sd(&app->mpps[p->id][d]), mbit,
			       welford_sd(&app->mbit[p->id][d]),
			       mbit + (double)pk[d] * PG_FRAMING * 8 / s / 1e6, pk[d], by[d]);
		}
		if (p->tx && p->rate.unit != PG_RATE_MAX) {
			double want = p->rate.unit == PG_RATE_MPPS
			                  ? p->rate.value
			                  : pg_rate_wire_mbit(app, &p->rate);
			double got =
			    p->rate.unit == PG_RATE_MPPS
			        ? (double)p->ctr.tx / s / 1e6
			        : (double)(p->ctr.tx_bytes + p->ctr.tx * PG_FRAMING) * 8 / s / 1e6;

			printf("port %u: rate requested %.4f %s, achieved %.4f (%+.3f%%)\n", p->id,
			       want, p->rate.unit == PG_RATE_MPPS ? "Mpps" : "Mbit/s (wire)", got,
			       (got / want - 1) * 100);
		}
	}
	if (!app->opt.tx_only) {
		printf("flows: %" PRIu64 " sent, %" PRIu64 " received, %" PRIu64 " lost, %" PRIu64
		       " duplicates, %" PRIu64 " reordered, %u flows with loss\n",
		       t->tx, t->rx, t->lost, t->dups, t->reordered, t->flows_with_loss);
		if (app->lat_n)
			printf("Samples: %" PRIu64
			       ", Average: %.1f ns, Median: %.1f ns, 99th: %.1f ns, "
			       "99.9th: %.1f ns, Min: %" PRIu64 " ns, Max: %" PRIu64 " ns\n",
			       app->lat_n, (double)app->lat_sum_ns / (double)app->lat_n,
			       pg_latency_quantile(app, 0.5), pg_latency_quantile(app, 0.99),
			       pg_latency_quantile(app, 0.999), app->lat_min_ns, app->lat_max_ns);
	}
	fflush(stdout);
}

int pg_write_histogram(const struct pg_app *app, FILE *f)
{
	for (unsigned b = 0; b < PG_HIST_MAX; b++)
		if (app->hist[b] &&
		    fprintf(f, "%.0f,%" PRIu64 "\n", ((double)b + 0.5) * app->opt.hist_bucket_ns,
		            app->hist[b]) < 0)
			return -1;
	return 0;
}

int pg_write_json(FILE *f, const struct pg_app *app, const struct pg_trial *t,
                  const struct pg_rfc_row *rfc, unsigned nb_rfc, unsigned avail, unsigned total)
{
	double s = t->duration_s > 0 ? t->duration_s : 1e-9;

	fprintf(f, "{\n  \"duration_s\": %.6f,\n  \"ports\": [", t->duration_s);
	for (unsigned u = 0; u < app->nb_used; u++) {
		const struct pg_port *p = &app->ports[app->used[u]];
		const struct pg_port_ctr *c = &p->ctr;
		const char *unit = p->rate.unit == PG_RATE_MBIT   ? "mbit"
		                   : p->rate.unit == PG_RATE_MPPS ? "mpps"
		                                                  : "max";

		fprintf(
		    f,
		    "%s\n    {\"port\": %u, \"tx\": %s, \"rate\": {\"unit\": \"%s\", \"value\": "
		    "%.6f}, \"tx_packets\": %" PRIu64 ", \"tx_bytes\": %" PRIu64
		    ", \"tx_mpps\": %.6f, \"tx_wire_mbit\": %.3f, \"rx_packets\": %" PRIu64
		    ", \"rx_bytes\": %" PRIu64 ", \"rx_mpps\": %.6f, \"rx_other\": %" PRIu64
		    ", \"pacer_behind\": %" PRIu64 "}",
		    u ? "," : "", p->id, p->tx ? "true" : "false", unit,
		    p->rate.unit == PG_RATE_MAX ? 0 : p->rate.value, c->tx, c->tx_bytes,
		    (double)c->tx / s / 1e6,
		    (double)(c->tx_bytes + c->tx * PG_FRAMING) * 8 / s / 1e6, c->rx, c->rx_bytes,
		    (double)c->rx / s / 1e6, c->rx_other, c->behind);
	}
	fprintf(f, "\n  ],\n");
	if (app->opt.tx_only)
		fprintf(f, "  \"flows\": null,\n");
	else
		fprintf(f,
		        "  \"flows\": {\"count\": %u, \"sent\": %" PRIu64 ", \"received\": %" PRIu64
		        ", \"lost\": %" PRIu64 ", \"duplicates\": %" PRIu64
		        ", \"reordered\": %" PRIu64 ", \"flows_with_loss\": %u},\n",
		        app->opt.flows, t->tx, t->rx, t->lost, t->dups, t->reordered,
		        t->flows_with_loss);
	fprintf(
	    f,
	    "  \"latency_ns\": {\"samples\": %" PRIu64 ", \"bucket\": %u, \"min\": %" PRIu64
	    ", \"mean\": %.1f, \"median\": %.1f, \"p99\": %.1f, \"p99_9\": %.1f, \"max\": %" PRIu64
	    "},\n",
	    app->lat_n, app->opt.hist_bucket_ns, app->lat_min_ns,
	    app->lat_n ? (double)app->lat_sum_ns / (double)app->lat_n : 0,
	    pg_latency_quantile(app, 0.5), pg_latency_quantile(app, 0.99),
	    pg_latency_quantile(app, 0.999), app->lat_max_ns);
	fprintf(f, "  \"rfc2544\": [");
	for (unsigned i = 0; i < nb_rfc; i++)
		fprintf(f,
		        "%s\n    {\"frame_size\": %u, \"mpps\": %.6f, \"wire_mbit\": %.3f, \"tx\": "
		        "%" PRIu64 ", \"lost\": %" PRIu64 ", \"trials\": %u}",
		        i ? "," : "", rfc[i].size, rfc[i].mpps, rfc[i].wire_mbit, rfc[i].tx,
		        rfc[i].lost, rfc[i].trials);
	fprintf(f, "%s],\n  \"buffers_returned\": %u,\n  \"buffers_total\": %u\n}\n",
	        nb_rfc ? "\n  " : "", avail, total);
	return ferror(f) ? -1 : 0;
}
