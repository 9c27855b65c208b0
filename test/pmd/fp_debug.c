/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_debug.c - built only with -Ddebug_checks=true (TERN_DEBUG): bad port
 * and queue ids on the fast path return 0 instead of reaching the driver
 * or reading past the queue tables; a stop while another thread polls the
 * port is reported in one line instead of racing.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "pmd_test.h"

#ifndef TERN_DEBUG
#error "fp_debug.c is for -Ddebug_checks=true builds"
#endif

static struct tern_mempool *mp;

static void setup(void)
{
	cr_assert_eq(pmd_test_init(NULL, "null0", "null1", (char *)NULL), 0, "%s",
	             tern_eal_last_error());
	mp = tern_pktpool_create("dbg", 511, 0, 0, TERN_PKT_DEFAULT_BUF_SIZE, TERN_SOCKET_ID_ANY);
	cr_assert_not_null(mp);
	cr_assert_eq(pmd_test_start(0, 2, mp), 0);
}

static void teardown(void)
{
	tern_port_close(0);
	tern_port_close(1);
	cr_expect_eq(tern_mempool_avail_count(mp), tern_mempool_size(mp));
	tern_mempool_free(mp);
	tern_eal_cleanup();
}

TestSuite(fp_debug, .init = setup, .fini = teardown);

Test(fp_debug, bad_ids_return_zero)
{
	struct tern_pkt *pkts[32];

	/* Out of the table, past the probed ports, past the port's queues. */
	cr_expect_eq(tern_port_rx_burst(TERN_MAX_PORTS, 0, pkts, 32), 0);
	cr_expect_eq(tern_port_rx_burst(UINT16_MAX, 0, pkts, 32), 0);
	cr_expect_eq(tern_port_tx_burst(TERN_MAX_PORTS + 5, 0, pkts, 32), 0);
	cr_expect_eq(tern_port_rx_burst(7, 0, pkts, 32), 0);
	cr_expect_eq(tern_port_rx_burst(0, 2, pkts, 32), 0);
	cr_expect_eq(tern_port_tx_burst(0, TERN_MAX_QUEUES_PER_PORT + 1, pkts, 32), 0);
	cr_expect_eq(tern_port_rx_burst(0, UINT16_MAX, pkts, 32), 0);
	/* Configured but not started, and closed. */
	cr_expect_eq(tern_port_rx_burst(1, 0, pkts, 32), 0);
	tern_port_close(1);
	cr_expect_eq(tern_port_rx_burst(1, 0, pkts, 32), 0);
	/* The good ids still work. */
	cr_expect_eq(tern_port_rx_burst(0, 1, pkts, 32), 32);
	cr_expect_eq(tern_port_tx_burst(0, 1, pkts, 32), 32);
}

/* ---- stop while polling ------------------------------------------------------------- */

struct poller {
	pthread_t tid;
	atomic_bool end;
	atomic_ulong bursts;
};

/* An lcore that breaks the rule: it keeps polling port 0 while the port is stopped. */
static void *poll_port0(void *arg)
{
	struct poller *pl = arg;
	struct tern_pkt *pkts[32];

	while (!atomic_load(&pl->end)) {
		uint16_t n = tern_port_rx_burst(0, 0, pkts, 32);
		uint16_t sent = tern_port_tx_burst(0, 1, pkts, n);

		tern_pkt_free_bulk(pkts + sent, (unsigned)(n - sent));
		atomic_fetch_add(&pl->bursts, 1);
	}
	return NULL;
}

static struct tern_test_log_watch race;

/*
 * A stop (and then a close) while another thread polls the port: one line
 * says so, the stop does not race with a burst in the driver, and every
 * buffer comes back (teardown checks).
 */
Test(fp_debug, stop_while_polling_is_reported_once)
{
	struct poller pl = {0};
	unsigned long seen;

	tern_test_log_watch(&race, "stop polling a port");
	cr_assert_eq(pthread_create(&pl.tid, NULL, poll_port0, &pl), 0);
	while (atomic_load(&pl.bursts) < 10000)
		sched_yield();
	cr_expect_eq(tern_port_stop(0), 0);
	/* The poller goes on bursting on the stopped port for a while. */
	seen = atomic_load(&pl.bursts);
	while (atomic_load(&pl.bursts) < seen + 10000)
		sched_yield();
	cr_expect_eq(atomic_load(&race.hits), 1, "the race was reported %u times",
	             atomic_load(&race.hits));
	cr_expect(strstr(race.first, "port 0") != NULL, "%s", race.first);
	atomic_store(&pl.end, true);
	pthread_join(pl.tid, NULL);
	tern_log_set_callback(NULL, NULL);
}

/* The rule kept: stop after the poller ended says nothing. */
Test(fp_debug, stop_after_polling_is_quiet)
{
	struct poller pl = {0};

	tern_test_log_watch(&race, "stop polling a port");
	cr_assert_eq(pthread_create(&pl.tid, NULL, poll_port0, &pl), 0);
	while (atomic_load(&pl.bursts) < 10000)
		sched_yield();
	atomic_store(&pl.end, true);
	pthread_join(pl.tid, NULL);
	cr_expect_eq(tern_port_stop(0), 0);
	cr_expect_eq(tern_port_close(0), 0);
	cr_expect_eq(atomic_load(&race.hits), 0, "%s", race.first);
	tern_log_set_callback(NULL, NULL);
}
