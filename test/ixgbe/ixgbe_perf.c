/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ixgbe_perf.c - instructions per forwarded packet in the ixgbe PMD, without
 * a card: two model ports joined by a wire, frames circulating between them,
 * and one forwarding loop (l2fwd's, without MAC rewriting) on this thread.
 * The model's engine runs on its own thread, so under
 *
 *   valgrind --tool=callgrind --separate-threads=yes --toggle-collect=fwd_round \
 *       ./test_ixgbe_perf BURST PACKETS
 *
 * the collected instructions are this thread's forwarding work: the driver's
 * RX and TX bursts, refills, TX cleaning, mempool get/put - plus the model's
 * register hook for the two doorbells a burst writes (hook_write, subtracted
 * in doc/ixgbe.md's figures: on a card that is one MMIO store).
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ixgbe_model.h"
#include "tern_cycles.h"
#include "tern_pkt.h"
#include "tern_port.h"
#include "tern_test.h"

static uint64_t empty_polls, polls;

/* One pass of the forwarding loop over both ports; returns the packets forwarded. */
unsigned fwd_round(uint16_t burst, uint64_t rx[2]);
__attribute__((noinline)) unsigned fwd_round(uint16_t burst, uint64_t rx[2])
{
	struct tern_pkt *pkts[64];
	unsigned fwd = 0;

	for (uint16_t p = 0; p < 2; p++) {
		uint16_t n = tern_port_rx_burst(p, 0, pkts, burst);
		uint16_t sent = tern_port_tx_burst((uint16_t)(1 - p), 0, pkts, n);

		if (sent < n)
			tern_pkt_free_bulk(&pkts[sent], n - sent);
		polls++;
		empty_polls += n == 0;
		rx[p] += n;
		fwd += sent;
	}
	return fwd;
}

/*
 * Outside the measured function: wait (a while at most) until the model has
 * written a whole burst into both RX rings, so that the measured polls are
 * full ones, as on a loaded link, and not empty polls of a slow model.
 */
static void wait_ready(struct ixm_port *port[2], const uint64_t rx[2], uint16_t burst)
{
	for (unsigned spins = 0; spins < 2000; spins++) {
		if (ixm_rx_frames(port[0]) - rx[0] >= burst &&
		    ixm_rx_frames(port[1]) - rx[1] >= burst)
			return;
		sched_yield();
	}
}

int main(int argc, char **argv)
{
	const uint8_t mac[2][6] = {{2, 0, 0, 0, 0x82, 1}, {2, 0, 0, 0, 0x82, 2}};
	uint16_t burst = argc > 1 ? (uint16_t)atoi(argv[1]) : 32;
	uint64_t target = argc > 2 ? strtoull(argv[2], NULL, 0) : 1000000;
	struct tern_eal_config cfg;
	struct tern_mempool *mp;
	struct ixm *m = ixm_create();
	struct ixm_port *port[2];
	uint64_t done = 0, rx[2] = {0, 0}, t0, t1;

	if (burst == 0 || burst > 64 || m == NULL)
		return 2;
	port[0] = ixm_port_add(m, "0000:e0:00.0", 0x10fb, mac[0]);
	port[1] = ixm_port_add(m, "0000:e0:00.1", 0x10fb, mac[1]);
	ixm_connect(port[0], port[1]);
	tern_eal_config_init(&cfg);
	cfg.no_huge = !tern_test_use_huge();
	cfg.nb_pci = 2;
	strcpy(cfg.pci[0].name, "0000:e0:00.0");
	strcpy(cfg.pci[1].name, "0000:e0:00.1");
	if (tern_eal_init(&cfg) < 0) {
		fprintf(stderr, "eal: %s\n", tern_eal_last_error());
		return 1;
	}
	mp = tern_pktpool_create("perf", 8192, 256, 0, TERN_PKT_DEFAULT_BUF_SIZE,
	                         TERN_SOCKET_ID_ANY);
	for (uint16_t p = 0; p < 2; p++) {
		if (mp == NULL || tern_port_configure(p, 1, 1, NULL) < 0 ||
		    tern_port_rx_queue_setup(p, 0, 1024, TERN_SOCKET_ID_ANY, mp) < 0 ||
		    tern_port_tx_queue_setup(p, 0, 1024, TERN_SOCKET_ID_ANY) < 0 ||
		    tern_port_promisc_set(p, true) < 0 || tern_port_start(p) < 0) {
			fprintf(stderr, "port %u: %s\n", p, tern_eal_last_error());
			return 1;
		}
	}
	/* 64-byte frames (60 and the CRC) circulate both ways: the rings stay busy. */
	for (unsigned i = 0; i < 512; i++) {
		uint8_t f[60] = {0};

		memcpy(f, mac[i & 1], 6);
		memcpy(f + 6, mac[!(i & 1)], 6);
		f[12] = 0x88, f[13] = 0xb5;
		ixm_inject(port[i & 1], f, sizeof(f));
	}
	t0 = tern_time_ns();
	while (done < target) {
		wait_ready(port, rx, burst);
		done += fwd_round(burst, rx);
	}
	t1 = tern_time_ns();
	printf("burst %u: %llu packets forwarded in %llu polls (%.1f%% empty), %.2f Mpps "
	       "against the model\n",
	       burst, (unsigned long long)done, (unsigned long long)polls,
	       100.0 * (double)empty_polls / (double)polls, (double)done * 1e3 / (double)(t1 - t0));
	for (uint16_t p = 0; p < 2; p++)
		tern_port_close(p);
	tern_mempool_free(mp);
	tern_eal_cleanup();
	ixm_destroy(m);
	return 0;
}
