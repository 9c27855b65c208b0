/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * flow.c - the receiving side's bookkeeping: sequence numbers per flow
 * (loss, duplicates, reordering) and the latency histogram.
 *
 * Sequence numbers: each flow keeps the highest number seen + 1 (next) and a
 * bitmap of the last PG_WINDOW_BITS numbers below it. A number at or above
 * next moves the window; one below it is a duplicate if its bit is set and a
 * reordered (late) frame if not. A frame more than the window late cannot be
 * told from a duplicate and counts as reordered. Loss is what the sender's
 * port took minus the distinct frames that came back.
 *
 * Latency: the sender writes the TSC into the frame when it builds it, the
 * receiver reads the TSC when rx_burst hands the frame over. Both are
 * software timestamps on one clock (one process, one lcore): they include the
 * time the frame waits in the TX burst, the driver and the peer, and the
 * receiver's polling interval; see doc/benchmarking.md.
 */
#include <string.h>

#include "pktgen.h"

#define W PG_WINDOW_BITS

static inline bool bit_get(const struct pg_flow_rx *f, uint32_t s)
{
	return (f->seen[(s % W) / 64] >> (s % 64)) & 1;
}

static inline void bit_put(struct pg_flow_rx *f, uint32_t s, bool v)
{
	uint64_t m = 1ull << (s % 64);

	if (v)
		f->seen[(s % W) / 64] |= m;
	else
		f->seen[(s % W) / 64] &= ~m;
}

void pg_flow_seen(struct pg_flow_rx *f, uint32_t seq)
{
	f->received++;
	if (!f->any) {
		f->any = true;
		f->next = seq + 1;
		bit_put(f, seq, true);
		return;
	}
	/* Sequence numbers wrap at 2^32: compare by signed distance. */
	int32_t ahead = (int32_t)(seq - f->next);

	if (ahead >= 0) {
		/* The numbers skipped over (next .. seq-1) enter the window unseen. */
		if ((uint32_t)ahead + 1 >= W)
			memset(f->seen, 0, sizeof(f->seen));
		else
			for (uint32_t s = f->next; s != seq; s++)
				bit_put(f, s, false);
		bit_put(f, seq, true);
		f->next = seq + 1;
		return;
	}
	if ((uint32_t)-ahead > W) {
		f->reordered++; /* older than the window: counted late, not checked for a dup */
		return;
	}
	if (bit_get(f, seq)) {
		f->dups++;
		return;
	}
	f->reordered++;
	bit_put(f, seq, true);
}

void pg_latency_add(struct pg_app *app, uint64_t ticks)
{
	uint64_t ns = (uint64_t)((double)ticks * app->ns_per_tick);
	uint64_t b = ns / app->opt.hist_bucket_ns;

	app->hist[b < PG_HIST_MAX ? b : PG_HIST_MAX - 1]++;
	if (app->lat_n == 0 || ns < app->lat_min_ns)
		app->lat_min_ns = ns;
	if (ns > app->lat_max_ns)
		app->lat_max_ns = ns;
	app->lat_n++;
	app->lat_sum_ns += ns;
}

double pg_latency_quantile(const struct pg_app *app, double q)
{
	uint64_t want, acc = 0;

	if (app->lat_n == 0)
		return 0;
	/* The smallest bucket at or below which at least q of the samples lie. */
	want = (uint64_t)((double)app->lat_n * q);
	if (want == 0)
		want = 1;
	for (unsigned b = 0; b < PG_HIST_MAX; b++) {
		acc += app->hist[b];
		if (acc >= want)
			return ((double)b + 0.5) * app->opt.hist_bucket_ns;
	}
	return ((double)PG_HIST_MAX - 0.5) * app->opt.hist_bucket_ns;
}
