/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * run.c - the generator's loop: pace and send on every sending port, poll
 * every port for frames coming back, print a line per period.
 *
 * Pacing: each sending port has the TSC time its next frame is due
 * (next_tsc); each pass sends the frames whose time has come, up to a burst,
 * and moves next_tsc on by each frame's share of the rate (a frame's wire
 * bits over the rate, or 1/rate in Mpps). The rate is thus exact on average
 * as long as the loop keeps up; the frames of one pass leave together. A
 * port that takes fewer frames than offered keeps the rest for the next pass
 * (in order: no sequence gaps of our own making). A pacer that fell behind
 * (the lcore was descheduled, or the port took fewer frames) catches up a
 * burst per pass, as fast as the port takes them; more than PG_MAX_LAG_MS
 * behind it gives up the backlog (counted in `behind`): the port cannot carry
 * the rate, and the achieved rate says so.
 */
#include <arpa/inet.h>
#include <string.h>

#include <tern_cycles.h>
#include <tern_pkt.h>

#include "pktgen.h"

atomic_bool pg_quit;

static inline bool should_quit(void)
{
	/* Relaxed: the flag carries no data. */
	return atomic_load_explicit(&pg_quit, memory_order_relaxed);
}

/* Write one frame of port p into m: the template of its (size, flow), then the payload. */
static inline uint16_t build(struct pg_app *app, struct pg_port *p, struct tern_pkt *m,
                             uint64_t now)
{
	const unsigned flows = app->opt.flows;
	unsigned s = app->pattern[p->size_idx];
	uint16_t len = (uint16_t)(app->opt.sizes[s] - PG_CRC);
	unsigned f = p->flow;
	uint8_t *d = tern_pkt_mtod(m, uint8_t *);
	struct pg_payload pl = {
	    .magic = htons(PG_MAGIC),
	    .port = (uint8_t)p->id,
	    .flow = (uint16_t)f,
	    .seq = p->seq[f]++,
	};

	if (++p->probe_count >= app->opt.probe_every) {
		p->probe_count = 0;
		pl.flags = PG_F_PROBE;
		pl.tsc = now;
	}
	memcpy(d, p->tmpl + ((size_t)s * flows + f) * PG_HDR_LEN, PG_HDR_LEN);
	memcpy(d + PG_HDR_LEN, &pl, sizeof(pl));
	m->data_len = len;
	m->pkt_len = len;
	p->flow_tx[f]++;
	p->flow = f + 1 == flows ? 0 : f + 1;
	p->size_idx = p->size_idx + 1 == app->nb_pattern ? 0 : p->size_idx + 1;
	return len;
}

static void tx_port(struct pg_app *app, struct pg_port *p, uint64_t now)
{
	unsigned n = app->opt.burst;
	uint16_t sent;

	if (p->pend_off == p->nb_pend) {
		double next = p->next_tsc;
		/*
		 * Times relative to the run's start: an absolute TSC (~10^13)
		 * in a double keeps only ~1/256 of a tick, and the rounding of
		 * thousands of additions moved the last frame across the end.
		 */
		double rel = (double)(now - app->start_tsc);

		if (p->rate.unit != PG_RATE_MAX) {
			unsigned idx = p->size_idx;

			if (rel < next)
				return;
			if (rel - next > (double)app->tsc_hz / 1000 * PG_MAX_LAG_MS) {
				next = rel;
				p->ctr.behind++;
			}
			/* The frames due by now, up to a burst. */
			for (n = 0; n < app->opt.burst && next <= rel; n++) {
				next += p->ticks[app->pattern[idx]];
				idx = idx + 1 == app->nb_pattern ? 0 : idx + 1;
			}
		}
		if (tern_unlikely(tern_pkt_alloc_bulk(app->pool, p->pend, n) < 0))
			return; /* all buffers in flight: try again on the next pass */
		p->next_tsc = next;
		for (unsigned i = 0; i < n; i++)
			p->pend_len[i] = build(app, p, p->pend[i], now);
		p->nb_pend = n;
		p->pend_off = 0;
	}
	n = p->nb_pend - p->pend_off;
	sent = tern_port_tx_burst(p->id, 0, p->pend + p->pend_off, (uint16_t)n);
	p->ctr.tx += sent;
	for (unsigned i = 0; i < sent; i++)
		p->ctr.tx_bytes += p->pend_len[p->pend_off + i] + PG_CRC;
	p->pend_off += sent;
}

/* One received frame: ours (counted per flow, latency if a probe) or another's. */
static inline void rx_one(struct pg_app *app, struct pg_port *rp, struct tern_pkt *m, uint64_t now)
{
	const uint8_t *d = tern_pkt_mtod(m, const uint8_t *);
	struct pg_payload pl;
	struct pg_port *tp;

	/* Frames are untrusted: the length first, then every field before it is used. */
	if (m->data_len < PG_HDR_LEN + sizeof(pl) || d[12] != 0x08 || d[13] != 0x00 ||
	    d[14] != 0x45 || d[23] != 17 || d[36] != (PG_UDP_DPORT >> 8) ||
	    d[37] != (PG_UDP_DPORT & 0xff))
		goto other;
	memcpy(&pl, d + PG_HDR_LEN, sizeof(pl));
	if (pl.magic != htons(PG_MAGIC) || pl.port >= app->nb_ports || pl.flow >= app->opt.flows)
		goto other;
	tp = &app->ports[pl.port];
	if (!tp->tx)
		goto other;
	pg_flow_seen(&tp->flow_rx[pl.flow], pl.seq);
	rp->ctr.rx++;
	rp->ctr.rx_bytes += m->pkt_len + PG_CRC;
	if ((pl.flags & PG_F_PROBE) && now >= pl.tsc)
		pg_latency_add(app, now - pl.tsc);
	return;
other:
	rp->ctr.rx_other++;
}

static void rx_port(struct pg_app *app, struct pg_port *p)
{
	struct tern_pkt *pkts[PG_MAX_BURST];
	uint16_t n = tern_port_rx_burst(p->id, 0, pkts, (uint16_t)app->opt.burst);
	uint64_t now;

	if (n == 0)
		return;
	now = tern_rdtsc();
	for (uint16_t i = 0; i < n; i++)
		rx_one(app, p, pkts[i], now);
	tern_pkt_free_bulk(pkts, n);
}

void pg_reset_counters(struct pg_app *app)
{
	for (unsigned u = 0; u < app->nb_used; u++) {
		struct pg_port *p = &app->ports[app->used[u]];

		memset(&p->ctr, 0, sizeof(p->ctr));
		memset(&p->prev, 0, sizeof(p->prev));
		memset(p->seq, 0, app->opt.flows * sizeof(*p->seq));
		memset(p->flow_tx, 0, app->opt.flows * sizeof(*p->flow_tx));
		memset(p->flow_rx, 0, app->opt.flows * sizeof(*p->flow_rx));
		p->flow = p->size_idx = p->probe_count = 0;
		memset(app->mpps[p->id], 0, sizeof(app->mpps[p->id]));
		memset(app->mbit[p->id], 0, sizeof(app->mbit[p->id]));
	}
	memset(app->hist, 0, PG_HIST_MAX * sizeof(*app->hist));
	app->lat_n = app->lat_sum_ns = app->lat_min_ns = app->lat_max_ns = 0;
}

/* Give back what a port never took, and take it off its flows' counts. */
static void drop_pending(struct pg_port *p)
{
	for (unsigned i = p->pend_off; i < p->nb_pend; i++) {
		struct pg_payload pl;

		memcpy(&pl, tern_pkt_mtod(p->pend[i], uint8_t *) + PG_HDR_LEN, sizeof(pl));
		p->flow_tx[pl.flow]--;
		tern_pkt_free(p->pend[i]);
	}
	p->nb_pend = p->pend_off = 0;
}

void pg_trial_totals(const struct pg_app *app, struct pg_trial *t)
{
	t->tx = t->rx = t->lost = t->dups = t->reordered = 0;
	t->flows_with_loss = 0;
	for (unsigned u = 0; u < app->nb_used; u++) {
		const struct pg_port *p = &app->ports[app->used[u]];

		t->rx += p->ctr.rx;
		if (!p->tx)
			continue;
		t->tx += p->ctr.tx;
		for (unsigned f = 0; f < app->opt.flows; f++) {
			const struct pg_flow_rx *fr = &p->flow_rx[f];
			uint64_t uniq = fr->received - fr->dups;

			t->dups += fr->dups;
			t->reordered += fr->reordered;
			if (p->flow_tx[f] > uniq) {
				t->lost += p->flow_tx[f] - uniq;
				t->flows_with_loss++;
			}
		}
	}
}

void pg_run(struct pg_app *app, double duration_s, bool print_periods, struct pg_trial *t)
{
	const uint64_t hz = app->tsc_hz;
	uint64_t now = tern_rdtsc(), end, tx_end, period, next_period;

	app->start_tsc = app->prev_tsc = now;
	end = duration_s > 0 ? now + (uint64_t)(duration_s * (double)hz) : UINT64_MAX;
	period = print_periods ? (uint64_t)app->opt.period_s * hz : 0;
	next_period = period ? now + period : UINT64_MAX;
	for (unsigned u = 0; u < app->nb_used; u++)
		app->ports[app->used[u]].next_tsc = 0;

	while (!should_quit()) {
		now = tern_rdtsc();
		if (now >= end)
			break;
		for (unsigned u = 0; u < app->nb_used; u++) {
			struct pg_port *p = &app->ports[app->used[u]];

			if (p->tx)
				tx_port(app, p, now);
			if (!app->opt.tx_only)
				rx_port(app, p);
		}
		if (now >= next_period) {
			pg_print_period(app);
			next_period += period;
			if (next_period <= now)
				next_period = now + period;
		}
	}
	tx_end = tern_rdtsc();
	if (end != UINT64_MAX && !should_quit()) {
		/*
		 * The schedule ends at `end`: frames due before it that a stall
		 * (descheduling) held back still go out, for at most PG_MAX_LAG_MS
		 * more; the run then counts as lasting exactly until `end`.
		 */
		uint64_t limit = tx_end + (uint64_t)PG_MAX_LAG_MS * hz / 1000;
		bool due = true;

		while (due && tern_rdtsc() < limit) {
			due = false;
			for (unsigned u = 0; u < app->nb_used; u++) {
				struct pg_port *p = &app->ports[app->used[u]];

				if (!p->tx || p->rate.unit == PG_RATE_MAX)
					continue;
				if (p->next_tsc <= (double)(end - 1 - app->start_tsc) ||
				    p->pend_off < p->nb_pend) {
					tx_port(app, p, end - 1);
					due = true;
				}
				if (!app->opt.tx_only)
					rx_port(app, p);
			}
		}
		tx_end = end;
	}

	/* TX stopped: what is still on the way back gets drain_ms to arrive. */
	if (!app->opt.tx_only) {
		uint64_t drain_end = tx_end + (uint64_t)app->opt.drain_ms * hz / 1000;

		while (tern_rdtsc() < drain_end)
			for (unsigned u = 0; u < app->nb_used; u++)
				rx_port(app, &app->ports[app->used[u]]);
	}
	for (unsigned u = 0; u < app->nb_used; u++)
		drop_pending(&app->ports[app->used[u]]);
	t->duration_s = (double)(tx_end - app->start_tsc) / (double)hz;
	pg_trial_totals(app, t);
}
