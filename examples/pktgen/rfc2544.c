/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rfc2544.c - RFC 2544 26.1 throughput: for each frame size, the highest
 * rate at which the device under test forwards every frame (or loses no more
 * than --loss percent), found by binary search between 0 and an upper bound
 * (--rate, else the slowest sending port's link speed), one trial of --trial
 * seconds per step, as MoonGen's rfc2544 throughput benchmark does. Every
 * sending port offers the same wire rate.
 */
#include <stdio.h>

#include "pktgen.h"

static bool trial(struct pg_app *app, double mbit, struct pg_trial *t)
{
	struct pg_rate r = {.unit = PG_RATE_MBIT, .value = mbit};

	for (unsigned u = 0; u < app->nb_used; u++)
		if (app->ports[app->used[u]].tx)
			pg_set_rate(app, &app->ports[app->used[u]], &r);
	pg_reset_counters(app);
	pg_run(app, app->opt.trial_s, false, t);
	printf("rfc2544: %u B at %.1f Mbit/s: %llu sent, %llu lost\n", app->opt.sizes[0], mbit,
	       (unsigned long long)t->tx, (unsigned long long)t->lost);
	fflush(stdout);
	return t->tx > 0 && (double)t->lost * 100 <= app->opt.loss_pct * (double)t->tx;
}

int pg_rfc2544(struct pg_app *app, struct pg_rfc_row *rows, char *err, size_t errlen)
{
	double top = 0;

	(void)err;
	(void)errlen;
	for (unsigned u = 0; u < app->nb_used; u++) {
		const struct pg_port *p = &app->ports[app->used[u]];
		double m;

		if (!p->tx)
			continue;
		m = p->rate.unit != PG_RATE_MAX ? pg_rate_wire_mbit(app, &p->rate) : p->speed_mbps;
		if (top == 0 || (m > 0 && m < top))
			top = m;
	}
	for (unsigned i = 0; i < app->opt.nb_rfc_sizes; i++) {
		struct pg_rfc_row *row = &rows[i];
		double lo = 0, hi = top, best = 0;
		struct pg_trial t, best_t = {0};

		app->opt.imix = false;
		app->opt.nb_sizes = 1;
		app->opt.sizes[0] = app->opt.rfc_sizes[i];
		pg_set_pattern(app);
		for (unsigned u = 0; u < app->nb_used; u++)
			pg_build_templates(app, &app->ports[app->used[u]]);
		*row = (struct pg_rfc_row){.size = app->opt.rfc_sizes[i]};
		/* The top first: a device that keeps up needs one trial. */
		row->trials++;
		if (trial(app, hi, &t)) {
			best = hi;
			best_t = t;
		} else {
			while (hi - lo > top * app->opt.precision_pct / 100 &&
			       !atomic_load(&pg_quit)) {
				double mid = (lo + hi) / 2;

				row->trials++;
				if (trial(app, mid, &t)) {
					lo = best = mid;
					best_t = t;
				} else {
					hi = mid;
				}
			}
		}
		row->wire_mbit = best;
		row->mpps = best / ((double)(row->size + PG_FRAMING) * 8);
		row->tx = best_t.tx;
		row->lost = best_t.lost;
		printf("rfc2544: frame size %u: throughput %.4f Mpps, %.1f Mbit/s with framing "
		       "(%u trials)\n",
		       row->size, row->mpps, row->wire_mbit, row->trials);
		fflush(stdout);
		if (atomic_load(&pg_quit))
			return (int)i + 1;
	}
	return (int)app->opt.nb_rfc_sizes;
}
