/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * null_pmd.c - the null driver as an application sees it: bursts of fresh
 * packets of size= bytes, TX that frees (chains too), nombuf when the pool
 * runs dry, and the port counters, including a reset while an lcore polls.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdatomic.h>

#include "pmd_test.h"

static struct tern_mempool *mp;

static atomic_bool polling_done;

static void stop_all(void)
{
	char why[128];

	/* A failed assert must not leave an lcore polling: cleanup would wait for it. */
	atomic_store_explicit(&polling_done, true, memory_order_relaxed);
	cr_expect_eq(tern_test_teardown(&mp, why, sizeof(why)), 0, "%s", why);
}

static void start(const char *cores, const char *vdev, unsigned n, unsigned cache,
                  uint16_t buf_size, uint16_t nb_q)
{
	cr_assert_eq(pmd_test_init(cores, vdev, (char *)NULL), 0, "init: %s",
	             tern_eal_last_error());
	mp = tern_pktpool_create("null_test", n, cache, 0, buf_size, TERN_SOCKET_ID_ANY);
	cr_assert_not_null(mp);
	if (nb_q > 0)
		cr_assert_eq(pmd_test_start(0, nb_q, mp), 0);
}

TestSuite(null, .fini = stop_all);

Test(null, rx_gives_bursts_of_size_bytes)
{
	struct tern_pkt *pkts[64];

	start(NULL, "null0,size=100", 2047, 256, TERN_PKT_DEFAULT_BUF_SIZE, 1);
	cr_assert_eq(tern_port_rx_burst(0, 0, pkts, 32), 32);
	cr_assert_eq(tern_port_rx_burst(0, 0, pkts + 32, 7), 7);
	for (int i = 0; i < 39; i++) {
		cr_expect_eq(pkts[i]->data_len, 100);
		cr_expect_eq(pkts[i]->pkt_len, 100);
		cr_expect_eq(pkts[i]->port, 0);
		cr_expect_eq(pkts[i]->nb_segs, 1);
		cr_expect_null(pkts[i]->next);
		cr_expect_eq(pkts[i]->pool, mp);
		for (int j = 0; j < i; j++)
			cr_assert_neq(pkts[i], pkts[j], "each packet is its own buffer");
	}
	cr_expect_eq(tern_mempool_avail_count(mp), tern_mempool_size(mp) - 39);
	cr_expect_eq(tern_port_tx_burst(0, 0, pkts, 39), 39);
	cr_expect_eq(tern_mempool_avail_count(mp), tern_mempool_size(mp), "TX frees");
}

Test(null, tx_frees_chains)
{
	struct tern_pkt *a, *b, *c;
	struct tern_port_stats st;

	start(NULL, "null0", 511, 0, TERN_PKT_DEFAULT_BUF_SIZE, 1);
	a = tern_pkt_alloc(mp);
	b = tern_pkt_alloc(mp);
	c = tern_pkt_alloc(mp);
	cr_assert(a && b && c);
	cr_assert_not_null(tern_pkt_append(a, 1000));
	cr_assert_not_null(tern_pkt_append(b, 1000));
	cr_assert_not_null(tern_pkt_append(c, 500));
	cr_assert_eq(tern_pkt_chain(a, b), 0);
	cr_assert_eq(tern_pkt_chain(a, c), 0);
	cr_assert_eq(tern_port_tx_burst(0, 0, &a, 1), 1);
	cr_expect_eq(tern_mempool_avail_count(mp), tern_mempool_size(mp), "all 3 segments freed");
	cr_assert_eq(tern_port_stats_get(0, &st), 0);
	cr_expect_eq(st.opackets, 1);
	cr_expect_eq(st.obytes, 2500);
}

Test(null, empty_pool_counts_nombuf_and_rx_resumes)
{
	struct tern_pkt *pkts[64], *more[32];
	struct tern_queue_stats qs;
	struct tern_port_stats st;

	start(NULL, "null0", 64, 0, TERN_PKT_DEFAULT_BUF_SIZE, 1);
	cr_assert_eq(tern_port_rx_burst(0, 0, pkts, 32), 32);
	cr_assert_eq(tern_port_rx_burst(0, 0, pkts + 32, 32), 32);
	cr_expect_eq(tern_port_rx_burst(0, 0, more, 32), 0, "pool is empty");
	cr_expect_eq(tern_port_rx_burst(0, 0, more, 1), 0);
	cr_assert_eq(tern_port_rxq_stats_get(0, 0, &qs), 0);
	cr_expect_eq(qs.nombuf, 33);
	cr_expect_eq(qs.packets, 64);
	cr_assert_eq(tern_port_stats_get(0, &st), 0);
	cr_expect_eq(st.rx_nombuf, 33);
	cr_expect_eq(st.ipackets, 64);

	cr_assert_eq(tern_port_tx_burst(0, 0, pkts, 32), 32);
	cr_expect_eq(tern_port_rx_burst(0, 0, more, 32), 32, "RX resumes once buffers return");
	cr_assert_eq(tern_port_tx_burst(0, 0, more, 32), 32);
	cr_assert_eq(tern_port_tx_burst(0, 0, pkts + 32, 32), 32);
}

Test(null, size_larger_than_data_room_is_refused)
{
	start(NULL, "null0,size=65", 127, 0, TERN_PKT_HEADROOM + 64, 0);
	cr_assert_eq(tern_port_configure(0, 1, 1, NULL), 0);
	cr_expect_eq(tern_port_rx_queue_setup(0, 0, 0, TERN_SOCKET_ID_ANY, mp), -EINVAL);
}

Test(null, size_equal_to_data_room_is_fine)
{
	struct tern_pkt *p;

	start(NULL, "null0,size=64", 127, 0, TERN_PKT_HEADROOM + 64, 1);
	cr_assert_eq(tern_port_rx_burst(0, 0, &p, 1), 1);
	cr_expect_eq(tern_pkt_tailroom(p), 0);
	tern_pkt_free(p);
}

Test(null, stats_per_port_and_queue_and_reset)
{
	struct tern_pkt *pkts[32];
	struct tern_port_stats st;
	struct tern_queue_stats qs;

	start(NULL, "null0", 1023, 128, TERN_PKT_DEFAULT_BUF_SIZE, 2);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(tern_port_rx_burst(0, 0, pkts, 32), 32);
		cr_assert_eq(tern_port_tx_burst(0, 1, pkts, 32), 32);
	}
	cr_assert_eq(tern_port_rx_burst(0, 1, pkts, 16), 16);
	cr_assert_eq(tern_port_tx_burst(0, 0, pkts, 10), 10);
	tern_pkt_free_bulk(pkts + 10, 6);

	cr_assert_eq(tern_port_stats_get(0, &st), 0);
	cr_expect_eq(st.ipackets, 112);
	cr_expect_eq(st.ibytes, 112 * 64);
	cr_expect_eq(st.opackets, 106);
	cr_expect_eq(st.obytes, 106 * 64);
	cr_expect_eq(st.rx_nombuf, 0);
	cr_assert_eq(tern_port_rxq_stats_get(0, 0, &qs), 0);
	cr_expect_eq(qs.packets, 96);
	cr_assert_eq(tern_port_rxq_stats_get(0, 1, &qs), 0);
	cr_expect_eq(qs.packets, 16);
	cr_assert_eq(tern_port_txq_stats_get(0, 0, &qs), 0);
	cr_expect_eq(qs.packets, 10);
	cr_assert_eq(tern_port_txq_stats_get(0, 1, &qs), 0);
	cr_expect_eq(qs.packets, 96);
	cr_expect_eq(qs.bytes, 96 * 64);

	cr_assert_eq(tern_port_stats_reset(0), 0);
	cr_assert_eq(tern_port_stats_get(0, &st), 0);
	cr_expect(st.ipackets == 0 && st.ibytes == 0 && st.opackets == 0 && st.obytes == 0);
	cr_assert_eq(tern_port_rxq_stats_get(0, 0, &qs), 0);
	cr_expect_eq(qs.packets, 0);
	cr_assert_eq(tern_port_txq_stats_get(0, 1, &qs), 0);
	cr_expect_eq(qs.bytes, 0);

	cr_assert_eq(tern_port_rx_burst(0, 1, pkts, 5), 5);
	cr_assert_eq(tern_port_tx_burst(0, 1, pkts, 5), 5);
	cr_assert_eq(tern_port_stats_get(0, &st), 0);
	cr_expect_eq(st.ipackets, 5);
	cr_expect_eq(st.opackets, 5);
	cr_assert_eq(tern_port_rxq_stats_get(0, 1, &qs), 0);
	cr_expect_eq(qs.packets, 5);

	/* Port counters run across a reconfigure; the new queues start from 0. */
	cr_assert_eq(tern_port_stop(0), 0);
	cr_assert_eq(pmd_test_start(0, 1, mp), 0);
	cr_assert_eq(tern_port_stats_get(0, &st), 0);
	cr_expect_eq(st.ipackets, 5);
	cr_assert_eq(tern_port_rxq_stats_get(0, 0, &qs), 0);
	cr_expect_eq(qs.packets, 0);
}

static int poll_loop(void *arg)
{
	struct tern_pkt *pkts[32];

	(void)arg;
	while (!atomic_load_explicit(&polling_done, memory_order_relaxed)) {
		uint16_t n = tern_port_rx_burst(0, 0, pkts, 32);

		tern_port_tx_burst(0, 0, pkts, n);
	}
	return 0;
}

Test(null, stats_reset_while_an_lcore_polls)
{
	struct tern_pkt *pkts[32];
	struct tern_port_stats st;
	unsigned worker;
	bool ok = true;

	start("0-1", "null0", 4095, 256, TERN_PKT_DEFAULT_BUF_SIZE, 1);
	worker = tern_lcore_next(-1, true);
	cr_assert_lt(worker, TERN_MAX_LCORE, "needs a worker lcore");
	cr_assert_eq(tern_lcore_launch(worker, poll_loop, NULL), 0);
	/* Wait until the lcore really polls, so that the resets race with it. */
	do {
		cr_assert_eq(tern_port_stats_get(0, &st), 0);
	} while (st.ipackets < 100000);
	/*
	 * Counters are read one by one, so a reset or a read is no snapshot
	 * across counters (preempted halfway, ipackets and ibytes can be far
	 * apart). What must hold is that no counter ever reads below its
	 * baseline, which would show as a huge number.
	 */
	for (int i = 0; i < 20000 && ok; i++) {
		ok = tern_port_stats_reset(0) == 0 && tern_port_stats_get(0, &st) == 0 &&
		     st.ipackets < (1ull << 40) && st.ibytes < (1ull << 40) &&
		     st.opackets < (1ull << 40) && st.obytes < (1ull << 40);
	}
	/* Stop the lcore before any assert can end the test. */
	atomic_store_explicit(&polling_done, true, memory_order_relaxed);
	cr_assert_eq(tern_lcore_wait(worker), 0);
	cr_expect(ok, "reset + get gave ipackets %lu opackets %lu ibytes %lu", st.ipackets,
	          st.opackets, st.ibytes);
	/* Once quiet, a reset gives exact zeros and counting goes on exactly. */
	cr_assert_eq(tern_port_stats_reset(0), 0);
	cr_assert_eq(tern_port_rx_burst(0, 0, pkts, 32), 32);
	cr_assert_eq(tern_port_tx_burst(0, 0, pkts, 32), 32);
	cr_assert_eq(tern_port_stats_get(0, &st), 0);
	cr_expect(st.ipackets == 32 && st.ibytes == 32 * 64 && st.opackets == 32 &&
	              st.obytes == 32 * 64,
	          "after a quiet reset: %lu/%lu in, %lu/%lu out", st.ipackets, st.ibytes,
	          st.opackets, st.obytes);
	/* The worker's cache holds buffers: hand them back to the ring. */
	cr_assert_eq(tern_mempool_cache_flush(mp, worker), 0);
}
