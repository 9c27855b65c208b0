/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * search_test.c - tern-pktgen's RFC 2544 search against made-up devices
 * under test whose highest loss-free rate is known.
 */
#include <criterion/criterion.h>

#include "search.h"

struct dut {
	double limit; /* passes at or below this rate */
	unsigned calls;
	double rates[64];
};

static int fake_trial(void *ctx, double rate)
{
	struct dut *d = ctx;

	if (d->calls < 64)
		d->rates[d->calls] = rate;
	d->calls++;
	return rate <= d->limit;
}

Test(pktgen_search, device_that_keeps_up_needs_one_trial)
{
	struct dut d = {.limit = 1e9};
	unsigned trials;

	cr_assert_eq(pg_search(10000, 1, fake_trial, &d, &trials), 10000);
	cr_assert_eq(trials, 1);
	cr_assert_eq(d.calls, 1);
}

Test(pktgen_search, finds_the_limit_within_the_precision_from_below)
{
	for (double limit = 37; limit < 10000; limit *= 2.7) {
		struct dut d = {.limit = limit};
		unsigned trials;
		double r = pg_search(10000, 1, fake_trial, &d, &trials);

		cr_assert(r <= limit, "%g above the limit %g", r, limit);
		cr_assert(limit - r <= 100, "%g more than 1%% of the top below %g", r, limit);
		cr_assert_eq(trials, d.calls);
		/* top, then halvings until the interval is 1% of 10000: 1 + 7 trials. */
		cr_assert_eq(trials, 8, "limit %g: %u trials", limit, trials);
	}
}

Test(pktgen_search, device_that_loses_everything_gives_zero)
{
	struct dut d = {.limit = -1};
	unsigned trials;

	cr_assert_eq(pg_search(100, 25, fake_trial, &d, &trials), 0);
	cr_assert_eq(trials, 3); /* 100, 50, 25 */
	cr_assert_eq(d.rates[1], 50);
	cr_assert_eq(d.rates[2], 25);
}

static int stop_at_second(void *ctx, double rate)
{
	unsigned *n = ctx;

	(void)rate;
	return ++*n == 2 ? -1 : 0;
}

Test(pktgen_search, a_stop_ends_the_search)
{
	unsigned n = 0, trials;

	cr_assert_eq(pg_search(100, 1, stop_at_second, &n, &trials), 0);
	cr_assert_eq(n, 2);
}
