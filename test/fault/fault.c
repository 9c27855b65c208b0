/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fault.c - tern under resource faults (suite 'fault'):
 *   - the pool runs dry mid-run: RX stops taking, counts rx_nombuf, never
 *     crashes, and takes again once buffers come back;
 *   - the TX queue is full: tx_burst takes fewer, the application gets back
 *     what was not sent, frees it, and no buffer leaks (the example plugin's
 *     loop driver: a TX ring of 1024 that only RX drains);
 *   - 1000 port stop/start cycles and 100 EAL init/cleanup cycles: open fds,
 *     mapped memory, threads and pool counts end where they began.
 * Criterion runs each test in its own process, so each starts with tern off.
 */
#include <criterion/criterion.h>
#include <errno.h>

#include "tern_driver.h"
#include "tern_mempool.h"
#include "tern_pkt.h"
#include "tern_port.h"
#include "tern_test.h"

#define BURST 32

/*
 * Under AddressSanitizer its allocator maps regions of its own as its
 * quarantine fills (16 KiB over 100 init/cleanup cycles here); its leak
 * checker covers the heap there. Everywhere else: not one byte more.
 */
#if defined(__SANITIZE_ADDRESS__)
#define MAP_SLACK ((size_t)1 << 20)
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MAP_SLACK ((size_t)1 << 20)
#endif
#endif
#ifndef MAP_SLACK
#define MAP_SLACK 0
#endif

static struct tern_mempool *mp;

static int init_with(const char *plugin, const char *vdev)
{
	struct tern_eal_config cfg;
	const char *comma = strchr(vdev, ',');
	struct tern_eal_devarg *d;

	tern_eal_config_init(&cfg);
	cfg.no_huge = !tern_test_use_huge();
	if (plugin != NULL)
		snprintf(cfg.plugins[cfg.nb_plugins++], sizeof(cfg.plugins[0]), "%s", plugin);
	d = &cfg.vdev[cfg.nb_vdev++];
	snprintf(d->name, sizeof(d->name), "%.*s",
	         (int)(comma ? (size_t)(comma - vdev) : strlen(vdev)), vdev);
	snprintf(d->args, sizeof(d->args), "%s", comma ? comma + 1 : "");
	return tern_eal_init(&cfg);
}

static int port_start(uint16_t port)
{
	int ret = tern_port_configure(port, 1, 1, NULL);

	if (ret == 0)
		ret = tern_port_rx_queue_setup(port, 0, 0, TERN_SOCKET_ID_ANY, mp);
	if (ret == 0)
		ret = tern_port_tx_queue_setup(port, 0, 0, TERN_SOCKET_ID_ANY);
	return ret ? ret : tern_port_start(port);
}

static void fini(void)
{
	char why[128];

	cr_expect_eq(tern_test_teardown(&mp, why, sizeof(why)), 0, "%s", why);
}

TestSuite(fault, .fini = fini, .timeout = 300);

/* Pool dry mid-run: RX returns 0 and counts, then resumes when buffers return. */
Test(fault, rx_pool_exhausted_counts_nombuf_and_resumes)
{
	enum { POOL = 255 };
	struct tern_pkt *held[POOL + BURST];
	struct tern_port_stats st;
	unsigned nheld = 0;

	cr_assert_eq(init_with(NULL, "null0,size=64"), 0, "init: %s", tern_eal_last_error());
	/* No per-lcore cache: every buffer is visibly in the pool or held here. */
	mp = tern_pktpool_create("fault_rx", POOL, 0, 0, TERN_PKT_DEFAULT_BUF_SIZE,
	                         TERN_SOCKET_ID_ANY);
	cr_assert_not_null(mp);
	cr_assert_eq(port_start(0), 0, "start: %s", tern_eal_last_error());

	/*
	 * Take what the port gives, holding it, until it gives nothing. RX
	 * refills all-or-nothing per burst, so up to BURST - 1 stay in the pool.
	 */
	for (int i = 0; i < 100; i++) {
		uint16_t n = tern_port_rx_burst(0, 0, held + nheld, BURST);

		if (n == 0)
			break;
		nheld += n;
	}
	cr_assert_gt(nheld + BURST, POOL, "the port took the pool down to less than a burst (%u)",
	             nheld);
	cr_assert_lt(tern_mempool_avail_count(mp), BURST);

	/* Dry: 1000 bursts, nothing taken, no crash, each counted. */
	for (int i = 0; i < 1000; i++)
		cr_assert_eq(tern_port_rx_burst(0, 0, held + nheld, BURST), 0);
	cr_assert_eq(tern_port_stats_get(0, &st), 0);
	cr_expect_eq(st.ipackets, nheld, "ipackets %llu", (unsigned long long)st.ipackets);
	cr_expect_geq(st.rx_nombuf, 1000, "rx_nombuf counts the dry bursts (%llu)",
	              (unsigned long long)st.rx_nombuf);

	/* Give back 40: RX takes a full burst again. */
	tern_pkt_free_bulk(held + nheld - 40, 40);
	nheld -= 40;
	cr_expect_eq(tern_port_rx_burst(0, 0, held + nheld, BURST), BURST, "RX resumed");
	nheld += BURST;
	tern_pkt_free_bulk(held, nheld);
	cr_expect_eq(tern_mempool_avail_count(mp), POOL);
	cr_assert_eq(tern_port_stop(0), 0);
}

/* TX full: what was not sent comes back to the caller, who frees it. */
Test(fault, tx_queue_full_returns_unsent)
{
	struct tern_pkt *pkts[BURST], *rx[BURST];
	struct tern_port_stats st;
	unsigned sent = 0, refused = 0, got;
	uint16_t put;

	cr_assert_eq(init_with(TERN_TEST_LOOP_PLUGIN, "loop0"), 0, "init: %s",
	             tern_eal_last_error());
	mp = tern_pktpool_create("fault_tx", 4095, 0, 0, TERN_PKT_DEFAULT_BUF_SIZE,
	                         TERN_SOCKET_ID_ANY);
	cr_assert_not_null(mp);
	cr_assert_eq(port_start(0), 0, "start: %s", tern_eal_last_error());

	/* Nobody drains RX: the loop's TX ring (1024) fills, then refuses. */
	for (int round = 0; round < 64; round++) {
		cr_assert_eq(tern_pkt_alloc_bulk(mp, pkts, BURST), 0);
		for (int i = 0; i < BURST; i++)
			cr_assert_not_null(tern_pkt_append(pkts[i], 60));
		put = tern_port_tx_burst(0, 0, pkts, BURST);
		cr_assert_leq(put, BURST);
		sent += put;
		refused += BURST - put;
		/* The application's side of the contract: pkts[put..] are still ours. */
		tern_pkt_free_bulk(pkts + put, BURST - put);
	}
	cr_expect_gt(refused, 0, "the TX queue filled up");
	cr_expect_leq(sent, 1024);
	cr_expect_eq(tern_mempool_avail_count(mp), tern_mempool_size(mp) - sent,
	             "only the sent packets are out (%u of %u free, %u sent)",
	             tern_mempool_avail_count(mp), tern_mempool_size(mp), sent);
	cr_assert_eq(tern_port_stats_get(0, &st), 0);
	cr_expect_eq(st.opackets, sent, "opackets counts what the queue took");

	/* Drain half through RX, free it, then stop: the driver frees the rest. */
	got = 0;
	for (int i = 0; i < 16; i++) {
		uint16_t n = tern_port_rx_burst(0, 0, rx, BURST);

		got += n;
		tern_pkt_free_bulk(rx, n);
	}
	cr_expect_eq(got, sent < 16 * BURST ? sent : 16 * BURST);
	/* Room again: TX takes a full burst. */
	cr_assert_eq(tern_pkt_alloc_bulk(mp, pkts, BURST), 0);
	put = tern_port_tx_burst(0, 0, pkts, BURST);
	cr_expect_eq(put, BURST);
	tern_pkt_free_bulk(pkts + put, BURST - put);
	cr_assert_eq(tern_port_stop(0), 0);
	cr_expect_eq(tern_mempool_avail_count(mp), tern_mempool_size(mp),
	             "stop gave back the packets still queued");
}

/* 1000 stop/start cycles with traffic in between: nothing grows. */
Test(fault, port_stop_start_1000_cycles)
{
	struct tern_pkt *pkts[BURST];
	int fds0, thr0;
	size_t map0;

	cr_assert_eq(init_with(NULL, "null0,size=64"), 0, "init: %s", tern_eal_last_error());
	mp = tern_pktpool_create("fault_cyc", 1023, 0, 0, TERN_PKT_DEFAULT_BUF_SIZE,
	                         TERN_SOCKET_ID_ANY);
	cr_assert_not_null(mp);
	cr_assert_eq(port_start(0), 0);
	/* One warm cycle first: lazily made things (stdio buffers) are not leaks. */
	cr_assert_eq(tern_port_stop(0), 0);
	cr_assert_eq(tern_port_start(0), 0);
	fds0 = tern_test_open_fds();
	map0 = tern_test_mapped_bytes();
	thr0 = tern_test_threads();
	for (int i = 0; i < 1000; i++) {
		uint16_t n = tern_port_rx_burst(0, 0, pkts, BURST);

		cr_assert_eq(n, BURST, "cycle %d: rx %u", i, n);
		cr_assert_eq(tern_port_tx_burst(0, 0, pkts, n), n);
		cr_assert_eq(tern_port_stop(0), 0, "cycle %d", i);
		/* Stopped: the fast path answers 0, never touches freed queues. */
		cr_assert_eq(tern_port_rx_burst(0, 0, pkts, BURST), 0);
		cr_assert_eq(tern_port_start(0), 0, "cycle %d: %s", i, tern_eal_last_error());
	}
	cr_expect_eq(tern_test_open_fds(), fds0, "open fds %d, were %d", tern_test_open_fds(),
	             fds0);
	cr_expect_eq(tern_test_mapped_bytes(), map0, "mapped %zu bytes, were %zu",
	             tern_test_mapped_bytes(), map0);
	cr_expect_eq(tern_test_threads(), thr0);
	cr_assert_eq(tern_port_stop(0), 0);
	cr_expect_eq(tern_mempool_avail_count(mp), tern_mempool_size(mp));
}

/* 100 EAL init/cleanup cycles, each with a port, a pool and traffic. */
Test(fault, eal_init_cleanup_100_cycles)
{
	int fds0 = 0, thr0 = 0;
	size_t map0 = 0;
	char cores[16];
	int cpus[2];

	tern_test_two_cores(cores, sizeof(cores), cpus);
	for (int i = 0; i <= 100; i++) {
		struct tern_pkt *pkts[BURST];
		struct tern_eal_config cfg;

		tern_eal_config_init(&cfg);
		cfg.no_huge = !tern_test_use_huge();
		snprintf(cfg.cores, sizeof(cfg.cores), "%s", cores);
		snprintf(cfg.vdev[0].name, sizeof(cfg.vdev[0].name), "null0");
		cfg.nb_vdev = 1;
		cr_assert_eq(tern_eal_init(&cfg), 0, "cycle %d: %s", i, tern_eal_last_error());
		mp = tern_pktpool_create("fault_eal", 511, 0, 0, TERN_PKT_DEFAULT_BUF_SIZE,
		                         TERN_SOCKET_ID_ANY);
		cr_assert_not_null(mp, "cycle %d", i);
		cr_assert_eq(port_start(0), 0, "cycle %d", i);
		cr_assert_eq(tern_port_rx_burst(0, 0, pkts, BURST), BURST);
		cr_assert_eq(tern_port_tx_burst(0, 0, pkts, BURST), BURST);
		cr_assert_eq(tern_port_close(0), 0);
		cr_assert_eq(tern_mempool_avail_count(mp), tern_mempool_size(mp), "cycle %d", i);
		tern_mempool_free(mp);
		mp = NULL;
		cr_assert_eq(tern_eal_cleanup(), 0, "cycle %d", i);
		if (i == 0) {
			/* Measured after the first cycle: libnuma and stdio set up once. */
			fds0 = tern_test_open_fds();
			map0 = tern_test_mapped_bytes();
			thr0 = tern_test_threads();
		}
	}
	cr_expect_eq(tern_test_open_fds(), fds0, "open fds %d, were %d", tern_test_open_fds(),
	             fds0);
	cr_expect_leq(tern_test_mapped_bytes(), map0 + MAP_SLACK, "mapped %zu bytes, were %zu",
	              tern_test_mapped_bytes(), map0);
	cr_expect_eq(tern_test_threads(), thr0, "threads %d, were %d", tern_test_threads(), thr0);
}
