/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_debug.c - built only with -Ddebug_checks=true (TERN_DEBUG): bad port
 * and queue ids on the fast path return 0 instead of reaching the driver
 * or reading past the queue tables.
 */
#include <criterion/criterion.h>

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
