/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vu_bench.c - tern's side of bench/cases/virtio-user.sh: one virtio_user
 * port (EAL options as usual), one lcore polling it, for SECONDS:
 *
 *   vu-bench [EAL options] -- tx|rx|fwd SECONDS
 *
 *   tx   send 64-byte frames as fast as the ring takes them (rxonly backend)
 *   rx   receive and free (txonly backend)
 *   fwd  receive and send back on the same port; 32 frames sent first, as
 *        testpmd's --tx-first does (io backend with --tx-first)
 *
 * Prints one line: "mpps X cycles_per_packet Y buffers A/B tsc_hz H": X counts the
 * second half of the run only (start-up and the backend's warm-up left
 * out); Y is the polling thread's CPU time x TSC Hz / packets over the same
 * half, so it holds when other processes share the core.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tern_cycles.h"
#include "tern_eal.h"
#include "tern_mempool.h"
#include "tern_pkt.h"
#include "tern_port.h"

#define BURST 32

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	struct tern_mempool *mp;
	struct tern_pkt *pkts[BURST];
	uint64_t hz, end, half, pkts_half = 0, cpu_half = 0, t_half = 0, n_pkts = 0;
	int n = tern_eal_init_args(argc, argv);
	const char *mode;
	double secs;

	if (n < 0 || argc - n - 1 < 2) {
		fprintf(stderr, "usage: vu-bench [EAL options] -- tx|rx|fwd SECONDS (%s)\n",
		        n < 0 ? tern_eal_last_error() : "");
		return 2;
	}
	mode = argv[n + 1];
	secs = atof(argv[n + 2]);
	mp =
	    tern_pktpool_create("vub", 8191, 256, 0, TERN_PKT_DEFAULT_BUF_SIZE, TERN_SOCKET_ID_ANY);
	if (mp == NULL || tern_port_configure(0, 1, 1, NULL) != 0 ||
	    tern_port_rx_queue_setup(0, 0, 0, TERN_SOCKET_ID_ANY, mp) != 0 ||
	    tern_port_tx_queue_setup(0, 0, 0, TERN_SOCKET_ID_ANY) != 0 || tern_port_start(0) != 0) {
		fprintf(stderr, "vu-bench: port set-up: %s\n", tern_eal_last_error());
		return 1;
	}
	hz = tern_tsc_hz();
	if (mode[0] == 'f' && tern_pkt_alloc_bulk(mp, pkts, BURST) == 0) {
		uint16_t sent;

		for (int k = 0; k < BURST; k++)
			memset(tern_pkt_append(pkts[k], 60), 0x02, 60);
		sent = tern_port_tx_burst(0, 0, pkts, BURST);
		tern_pkt_free_bulk(pkts + sent, BURST - sent);
	}
	half = tern_rdtsc() + (uint64_t)(secs / 2 * (double)hz);
	end = tern_rdtsc() + (uint64_t)(secs * (double)hz);
	for (uint64_t now = tern_rdtsc(); now < end; now = tern_rdtsc()) {
		uint16_t k = 0, sent;

		if (t_half == 0 && now >= half) {
			t_half = now;
			pkts_half = n_pkts;
			cpu_half = cpu_ns();
		}
		if (mode[0] == 't') {
			if (tern_pkt_alloc_bulk(mp, pkts, BURST) != 0)
				continue;
			for (k = 0; k < BURST; k++) {
				char *d = tern_pkt_append(pkts[k], 60);

				memset(d, 0, 12);
				d[0] = 0x02;
				d[12] = 0x08;
				d[13] = 0x00;
			}
		} else {
			k = tern_port_rx_burst(0, 0, pkts, BURST);
			if (mode[0] == 'r') {
				tern_pkt_free_bulk(pkts, k);
				n_pkts += k;
				continue;
			}
		}
		sent = tern_port_tx_burst(0, 0, pkts, k);
		tern_pkt_free_bulk(pkts + sent, k - sent);
		n_pkts += sent;
	}
	{
		double dt = (double)(tern_rdtsc() - t_half) / (double)hz;
		uint64_t p = n_pkts - pkts_half;
		double cyc = p ? (double)(cpu_ns() - cpu_half) * 1e-9 * (double)hz / (double)p : 0;

		tern_port_stop(0);
		printf("mpps %.3f cycles_per_packet %.1f buffers %u/%u tsc_hz %llu\n",
		       (double)p / dt / 1e6, cyc, tern_mempool_avail_count(mp),
		       tern_mempool_size(mp), (unsigned long long)hz);
	}
	tern_port_close(0);
	tern_mempool_free(mp);
	tern_eal_cleanup();
	return 0;
}
