/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * search.h - RFC 2544 26.1 throughput search: the highest rate in [0, top]
 * at which a trial passes, to within precision_pct of top.
 */
#ifndef PKTGEN_SEARCH_H
#define PKTGEN_SEARCH_H

/* One trial at rate: 1 passed, 0 failed, < 0 stop searching (a signal). */
typedef int (*pg_trial_fn)(void *ctx, double rate);

/*
 * Tries top first, then halves [lo, hi) until it is no wider than
 * precision_pct of top; returns the highest rate that passed (0 if none) and
 * the number of trials run in *trials.
 */
double pg_search(double top, double precision_pct, pg_trial_fn pass, void *ctx, unsigned *trials);

#endif /* PKTGEN_SEARCH_H */
