/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ffi_bench.c - what the exported fast path (tern_ffi.h) costs against the
 * inline one, per burst of 32, for doc/embedding.md.
 *
 *   build/bench/ffi/tern-ffi-bench [ROUNDS]
 *
 * Two loops, each timed inline and exported in alternation (ROUNDS times,
 * default 9; medians printed):
 *   rx+free    tern_port_rx_burst(null port, 32) then tern_pkt_free_bulk(32)
 *   alloc+free tern_pkt_alloc_bulk(32) then tern_pkt_free_bulk(32)
 * The exported forms are called through the PLT of libtern.so, as a Rust
 * extern "C" block or a JNI stub would call them. Python's ctypes adds its
 * own per-call cost (about a microsecond) on top; the Python example prints
 * what it reaches.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tern_cycles.h>
#include <tern_eal.h>
#include <tern_ffi.h>
#include <tern_lcore.h>
#include <tern_pkt.h>
#include <tern_port.h>

#define BURST  32
#define ITERS  200000
#define ROUNDS 31

static struct tern_mempool *mp;

static uint64_t rx_inline(void)
{
	struct tern_pkt *pkts[BURST];
	uint64_t t0 = tern_rdtsc();

	for (int i = 0; i < ITERS; i++) {
		uint16_t n = tern_port_rx_burst(0, 0, pkts, BURST);

		tern_pkt_free_bulk(pkts, n);
	}
	return tern_rdtsc() - t0;
}

static uint64_t rx_ffi(void)
{
	struct tern_pkt *pkts[BURST];
	uint64_t t0 = tern_rdtsc();

	for (int i = 0; i < ITERS; i++) {
		uint16_t n = tern_ffi_port_rx_burst(0, 0, pkts, BURST);

		tern_ffi_pkt_free_bulk(pkts, n);
	}
	return tern_rdtsc() - t0;
}

static uint64_t alloc_inline(void)
{
	struct tern_pkt *pkts[BURST];
	uint64_t t0 = tern_rdtsc();

	for (int i = 0; i < ITERS; i++) {
		if (tern_pkt_alloc_bulk(mp, pkts, BURST) == 0)
			tern_pkt_free_bulk(pkts, BURST);
	}
	return tern_rdtsc() - t0;
}

static uint64_t alloc_ffi(void)
{
	struct tern_pkt *pkts[BURST];
	uint64_t t0 = tern_rdtsc();

	for (int i = 0; i < ITERS; i++) {
		if (tern_ffi_pkt_alloc_bulk(mp, pkts, BURST) == 0)
			tern_ffi_pkt_free_bulk(pkts, BURST);
	}
	return tern_rdtsc() - t0;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	return v[n / 2];
}

static void compare(const char *what, uint64_t (*in)(void), uint64_t (*ex)(void), int rounds)
{
	double a[ROUNDS], b[ROUNDS], ns = 1e9 / (double)tern_tsc_hz();

	for (int r = 0; r < rounds; r++) {
		a[r] = (double)in() * ns / ITERS;
		b[r] = (double)ex() * ns / ITERS;
	}
	double mi = median(a, rounds), me = median(b, rounds);

	printf("%-11s inline %6.1f ns/burst   exported %6.1f ns/burst   (%+.1f ns, %+.0f%%)\n",
	       what, mi, me, me - mi, (me - mi) / mi * 100);
}

int main(int argc, char **argv)
{
	struct tern_eal_config cfg;
	int rounds = argc > 1 ? atoi(argv[1]) : 9;
	int ret = 1;

	if (rounds < 1 || rounds > ROUNDS)
		rounds = 9;
	tern_eal_config_init(&cfg);
	cfg.no_huge = true;
	cfg.nb_vdev = 1;
	snprintf(cfg.vdev[0].name, sizeof(cfg.vdev[0].name), "null0");
	if (tern_eal_init(&cfg) < 0) {
		fprintf(stderr, "ffi_bench: %s\n", tern_eal_last_error());
		return 1;
	}
	mp = tern_pktpool_create("ffi_bench", 4095, 256, 0, TERN_PKT_DEFAULT_BUF_SIZE,
	                         TERN_SOCKET_ID_ANY);
	if (mp == NULL || tern_port_configure(0, 1, 1, NULL) < 0 ||
	    tern_port_rx_queue_setup(0, 0, 0, TERN_SOCKET_ID_ANY, mp) < 0 ||
	    tern_port_tx_queue_setup(0, 0, 0, TERN_SOCKET_ID_ANY) < 0 || tern_port_start(0) < 0) {
		fprintf(stderr, "ffi_bench: %s\n", tern_eal_last_error());
		goto out;
	}
	printf("bursts of %d, lcore %u, medians of %d rounds of %d bursts\n", BURST,
	       tern_lcore_id(), rounds, ITERS);
	compare("rx+free", rx_inline, rx_ffi, rounds);
	compare("alloc+free", alloc_inline, alloc_ffi, rounds);
	tern_port_stop(0);
	ret = tern_mempool_avail_count(mp) == tern_mempool_size(mp) ? 0 : 1;
	if (ret)
		fprintf(stderr, "ffi_bench: buffers missing from the pool\n");
out:
	tern_port_close(0);
	tern_mempool_free(mp);
	tern_eal_cleanup();
	return ret;
}
