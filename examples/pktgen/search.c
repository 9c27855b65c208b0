/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * search.c - the RFC 2544 26.1 binary search on its own, so that a test can
 * drive it with a made-up device (test/pktgen/search_test.c).
 */
#include "search.h"

double pg_search(double top, double precision_pct, pg_trial_fn pass, void *ctx, unsigned *trials)
{
	double lo = 0, hi = top, best = 0;

	*trials = 1;
	/* The top first: a device that keeps up needs one trial. */
	if (pass(ctx, top))
		return top;
	while (hi - lo > top * precision_pct / 100) {
		double mid = (lo + hi) / 2;
		int r;

		(*trials)++;
		r = pass(ctx, mid);
		if (r < 0) /* stopped */
			break;
		if (r) {
			lo = best = mid;
		} else {
			hi = mid;
		}
	}
	return best;
}
