/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * null_perf.c - how fast the null PMD and the packet fast path are.
 *
 *   test_pmd_null_perf [SECONDS] [CPU]
 *
 * On one pinned core, with a 256-buffer lcore cache:
 *   loop:  rx_burst(null0, 32) then tx_burst(null0) of what came
 *   fwd:   the io forwarding of testpmd/l2fwd over two ports:
 *          null0 -> null1 and null1 -> null0, in bursts of 32
 * Prints Mpps per port (RX side), from the median of many short timed
 * batches. Not a unit test: a measuring tool.
 */
#include <stdio.h>
#include <stdlib.h>

#include "pmd_test.h"
#include "tern_cycles.h"

#define BURST 32

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Time many short batches of BATCH iterations with the TSC and report the
 * median batch: a batch in which another process took the core is an
 * outlier the median ignores, so the figure holds on a busy machine.
 */
static double run(int nb_ports, double seconds, double *cycles_per_pkt)
{
	enum { BATCH = 256, MAX_SAMPLES = 1 << 20 };
	static uint64_t samples[MAX_SAMPLES];
	struct tern_pkt *pkts[BURST];
	uint64_t hz = tern_tsc_hz(), end, rx = 0;
	unsigned ns = 0;

	end = tern_rdtsc() + (uint64_t)(seconds * (double)hz);
	while (ns < MAX_SAMPLES) {
		uint64_t t0 = tern_rdtsc(), t1;

		for (int i = 0; i < BATCH; i++) {
			for (uint16_t p = 0; p < nb_ports; p++) {
				uint16_t n = tern_port_rx_burst(p, 0, pkts, BURST);
				uint16_t sent =
				    tern_port_tx_burst((uint16_t)(p ^ (nb_ports - 1)), 0, pkts, n);

				rx += n;
				if (tern_unlikely(sent < n))
					tern_pkt_free_bulk(pkts + sent, n - sent);
			}
		}
		t1 = tern_rdtsc();
		samples[ns++] = t1 - t0;
		if (t1 >= end)
			break;
	}
	qsort(samples, ns, sizeof(samples[0]), cmp_u64);
	/* Every burst of the batch is full (the pool never runs dry here). */
	*cycles_per_pkt = (double)samples[ns / 2] / (BATCH * BURST * nb_ports);
	return (double)BATCH * BURST / ((double)samples[ns / 2] / (double)hz) / 1e6;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 2.0;
	const char *cpu = argc > 2 ? argv[2] : "1";
	struct tern_eal_config cfg;
	struct tern_mempool *mp;

	tern_eal_config_init(&cfg);
	snprintf(cfg.cores, sizeof(cfg.cores), "%s", cpu);
	cfg.pin_main = true;
	cfg.no_huge = !tern_test_use_huge();
	snprintf(cfg.vdev[0].name, sizeof(cfg.vdev[0].name), "null0");
	snprintf(cfg.vdev[1].name, sizeof(cfg.vdev[1].name), "null1");
	cfg.nb_vdev = 2;
	if (tern_eal_init(&cfg) != 0) {
		fprintf(stderr, "init: %s\n", tern_eal_last_error());
		return 1;
	}
	mp = tern_pktpool_create("perf", 8191, 256, 0, TERN_PKT_DEFAULT_BUF_SIZE,
	                         TERN_SOCKET_ID_ANY);
	if (mp == NULL || pmd_test_start(0, 1, mp) != 0 || pmd_test_start(1, 1, mp) != 0) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}
	double cyc, mpps;

	run(1, 0.2, &cyc); /* warm up caches and the branch predictor */
	mpps = run(1, secs, &cyc);
	printf("null loop (rx 32 + tx, 1 port, 1 core): %.1f Mpps, %.1f TSC cycles/packet\n", mpps,
	       cyc);
	mpps = run(2, secs, &cyc);
	printf("null io-fwd (2 ports, 1 core): 2 x %.1f Mpps, %.1f TSC cycles/packet\n", mpps, cyc);
	tern_port_close(0);
	tern_port_close(1);
	if (tern_mempool_avail_count(mp) != tern_mempool_size(mp))
		fprintf(stderr, "only %u of %u buffers back\n", tern_mempool_avail_count(mp),
		        tern_mempool_size(mp));
	tern_mempool_free(mp);
	tern_eal_cleanup();
	return 0;
}
