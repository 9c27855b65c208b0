/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rfc2544.c - RFC 2544 26.1 throughput: for each frame size, the highest
 * rate at which the device under test forwards every frame (or loses no more
 * than --loss percent), found by binary search between 0 and an upper bound
 * (--rate, else the slowest sending port's link speed), one trial of --trial
 * seconds per step, as MoonGen's rfc2544 throughput benchmark does. Every
 * sending port offers the same wire rate; a trial in which a port offered
 * less than 99% of it (the generator was descheduled) counts as failed.
 */
#include <stdio.h>

#include "pktgen.h"
#include "search.h"

struct trial_ctx {
	struct pg_app *app;
	struct pg_trial best, last;
	double best_rate;
};

/* One trial at mbit on every sending port: 1 if the loss is within --loss. */
static int trial(void *arg, double mbit)
{
	struct trial_ctx *c = arg;
	struct pg_app *app = c->app;
	struct pg_rate r = {.unit = PG_RATE_MBIT, .value = mbit};
	struct pg_trial *t = &c->last;
	double short_mbit = -1;
	bool ok;

	if (atomic_load(&pg_quit))
		return -1;
	for (unsigned u = 0; u < app->nb_used; u++)
		if (app->ports[app->used[u]].tx)
			pg_set_rate(app, &app->ports[app->used[u]], &r);
	pg_reset_counters(app);
	pg_run(app, app->opt.trial_s, false, t);
	ok = t->tx > 0 && (double)t->lost * 100 <= app->opt.loss_pct * (double)t->tx;
	/*
	 * A trial counts only if the rate was offered: a generator that fell
	 * short (descheduled, or a port slower than asked) tested a lower rate.
	 */
	for (unsigned u = 0; u < app->nb_used; u++) {
		const struct pg_port *p = &app->ports[app->used[u]];
		double got = t->duration_s > 0
		                 ? (double)(p->ctr.tx_bytes + p->ctr.tx * PG_FRAMING) * 8 /
		                       t->duration_s / 1e6
		                 : 0;

		if (p->tx && got < mbit * 0.99) {
			short_mbit = got;
			ok = false;
		}
	}
	printf("rfc2544: %u B at %.1f Mbit/s: %llu sent, %llu lost", app->opt.sizes[0], mbit,
	       (unsigned long long)t->tx, (unsigned long long)t->lost);
	if (short_mbit >= 0)
		printf(" (offered only %.1f Mbit/s: counted as failed)", short_mbit);
	printf("\n");
	fflush(stdout);
	if (ok && mbit >= c->best_rate) {
		c->best = *t;
		c->best_rate = mbit;
	}
	return ok;
}

int pg_rfc2544(struct pg_app *app, struct pg_rfc_row *rows)
{
	double top = 0;

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
		struct trial_ctx c = {.app = app};

		app->opt.imix = false;
		app->opt.nb_sizes = 1;
		app->opt.sizes[0] = app->opt.rfc_sizes[i];
		pg_set_pattern(app);
		for (unsigned u = 0; u < app->nb_used; u++)
			pg_build_templates(app, &app->ports[app->used[u]]);
		*row = (struct pg_rfc_row){.size = app->opt.rfc_sizes[i]};
		row->wire_mbit = pg_search(top, app->opt.precision_pct, trial, &c, &row->trials);
		row->mpps = row->wire_mbit / ((double)(row->size + PG_FRAMING) * 8);
		row->tx = c.best.tx;
		row->lost = c.best.lost;
		printf("rfc2544: frame size %u: throughput %.4f Mpps, %.1f Mbit/s with framing "
		       "(%u trials)\n",
		       row->size, row->mpps, row->wire_mbit, row->trials);
		fflush(stdout);
		if (atomic_load(&pg_quit))
			return (int)i + 1;
	}
	return (int)app->opt.nb_rfc_sizes;
}
