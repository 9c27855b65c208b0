/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpdk-pipeline-fwd - the DPDK peer of `tern-l2fwd --mode pipeline` for
 * bench/cases/l2fwd-null.sh: the same work done with DPDK's own pieces, so
 * that the pipeline row compares like with like.
 *
 * Two ports, paired 0 <-> 1. The main lcore receives from both and enqueues
 * each burst into the ring of its output port; the next lcore dequeues from
 * the rings and sends. Each ring has one producer and one consumer. Sizes
 * (pool, cache, rings, descriptors, burst) are tern-l2fwd's defaults.
 *
 * Usage: dpdk-pipeline-fwd EAL-ARGS -- [--duration S]
 *   e.g. --no-huge -m 1024 --no-pci -l 0-1 --vdev net_null0 --vdev net_null1
 * Exit: 0 ok, 1 failure, 2 bad usage, 3 a buffer did not come back.
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_ring.h>

#define NB_PORTS    2
#define BURST       32   /* tern-l2fwd --burst default */
#define NB_DESC     1024 /* L2FWD_NB_DESC */
#define RING_SIZE   1024 /* L2FWD_RING_SIZE */
#define POOL_CACHE  256  /* L2FWD_POOL_CACHE */
#define NB_LCORES   2
#define CLOCK_EVERY 64 /* RX loops between looks at the clock, as tern-l2fwd */

/* One writer each; the main lcore reads the TX side's while it runs. */
struct counters {
	_Atomic uint64_t pkts[NB_PORTS]; /* received from / sent on port p */
	_Atomic uint64_t dropped;
	uint64_t cpu_ns;
} __rte_cache_aligned;

static struct {
	struct rte_mempool *pool;
	struct rte_ring *ring[NB_PORTS]; /* ring[p]: frames to send on port p */
	struct counters rx, tx;
	uint64_t hz, start_tsc, end_tsc, next_tsc, prev_tsc, prev_rx, prev_tx, prev_drop;
} fwd;

static atomic_bool quit;

static void on_signal(int sig)
{
	(void)sig;
	atomic_store_explicit(&quit, true, memory_order_relaxed);
}

static bool should_quit(void)
{
	/* Relaxed: a flag; nothing is published with it. */
	return atomic_load_explicit(&quit, memory_order_relaxed);
}

/* Single writer: a plain add stored atomically is enough, no locked RMW. */
static inline void ctr_add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
	                      memory_order_relaxed);
}

static uint64_t sum(const struct counters *c)
{
	uint64_t s = 0;

	for (unsigned p = 0; p < NB_PORTS; p++)
		s += atomic_load_explicit(&c->pkts[p], memory_order_relaxed);
	return s;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Main lcore, once a second: print the last second's rates; end the run. */
static void tick(uint64_t now)
{
	double s = (double)(now - fwd.prev_tsc) / (double)fwd.hz;
	uint64_t rx = sum(&fwd.rx), tx = sum(&fwd.tx);
	uint64_t drop = atomic_load_explicit(&fwd.rx.dropped, memory_order_relaxed) +
	                atomic_load_explicit(&fwd.tx.dropped, memory_order_relaxed);

	printf("[%7.1f s] total: rx %8.3f Mpps | tx %8.3f Mpps | dropped %" PRIu64 "\n",
	       (double)(now - fwd.start_tsc) / (double)fwd.hz, (double)(rx - fwd.prev_rx) / s / 1e6,
	       (double)(tx - fwd.prev_tx) / s / 1e6, drop - fwd.prev_drop);
	fflush(stdout);
	fwd.prev_rx = rx, fwd.prev_tx = tx, fwd.prev_drop = drop, fwd.prev_tsc = now;
	fwd.next_tsc += fwd.hz;
	if (fwd.next_tsc <= now) /* fell behind (preempted): skip, don't burst */
		fwd.next_tsc = now + fwd.hz;
	if (fwd.end_tsc && now >= fwd.end_tsc)
		atomic_store_explicit(&quit, true, memory_order_relaxed);
}

static void rx_loop(void)
{
	struct rte_mbuf *pkts[BURST];
	uint64_t t0 = thread_cpu_ns();
	unsigned loops = 0;

	while (!should_quit()) {
		for (uint16_t p = 0; p < NB_PORTS; p++) {
			struct rte_ring *r = fwd.ring[p ^ 1];
			uint16_t n;
			unsigned queued;

			/*
			 * tern's back-pressure rule: take from the port only what the
			 * ring can hold, and pause rather than spin on the consumer's
			 * tail while the TX lcore catches up.
			 */
			if (rte_ring_free_count(r) < BURST) {
				rte_pause();
				continue;
			}
			n = rte_eth_rx_burst(p, 0, pkts, BURST);
			if (n == 0)
				continue;
			ctr_add(&fwd.rx.pkts[p], n);
			queued = rte_ring_sp_enqueue_burst(r, (void *const *)pkts, n, NULL);
			if (unlikely(queued < n)) {
				rte_pktmbuf_free_bulk(&pkts[queued], n - queued);
				ctr_add(&fwd.rx.dropped, n - queued);
			}
		}
		if ((++loops & (CLOCK_EVERY - 1)) == 0) {
			uint64_t now = rte_rdtsc();

			if (now >= fwd.next_tsc)
				tick(now);
		}
	}
	fwd.rx.cpu_ns = thread_cpu_ns() - t0;
}

static int tx_loop(void *arg)
{
	struct rte_mbuf *pkts[BURST];
	uint64_t t0 = thread_cpu_ns();

	(void)arg;
	while (!should_quit()) {
		for (uint16_t p = 0; p < NB_PORTS; p++) {
			unsigned n =
			    rte_ring_sc_dequeue_burst(fwd.ring[p], (void **)pkts, BURST, NULL);
			uint16_t sent;

			if (n == 0)
				continue;
			sent = rte_eth_tx_burst(p, 0, pkts, (uint16_t)n);
			ctr_add(&fwd.tx.pkts[p], sent);
			if (unlikely(sent < n)) {
				rte_pktmbuf_free_bulk(&pkts[sent], n - sent);
				ctr_add(&fwd.tx.dropped, n - sent);
			}
		}
	}
	fwd.tx.cpu_ns = thread_cpu_ns() - t0;
	return 0;
}

static void setup(void)
{
	/*
	 * Pool size as tern-l2fwd's setup.c counts it, so both pipelines run
	 * with the same number of buffers: every descriptor, full rings, and
	 * per lcore a burst in hand plus up to 3 caches' worth in its cache.
	 */
	unsigned n =
	    NB_PORTS * 2 * NB_DESC + NB_PORTS * RING_SIZE + NB_LCORES * (BURST + 3 * POOL_CACHE);
	int socket = (int)rte_socket_id();
	struct rte_eth_conf conf;
	char name[RTE_RING_NAMESIZE];

	fwd.pool = rte_pktmbuf_pool_create("pipe_pool", n, POOL_CACHE, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
	                                   socket);
	if (fwd.pool == NULL)
		rte_exit(1, "cannot create a pool of %u mbufs: %s\n", n, rte_strerror(rte_errno));
	for (uint16_t p = 0; p < NB_PORTS; p++) {
		snprintf(name, sizeof(name), "pipe_ring_p%u", p);
		fwd.ring[p] =
		    rte_ring_create(name, RING_SIZE, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (fwd.ring[p] == NULL)
			rte_exit(1, "cannot create ring %s: %s\n", name, rte_strerror(rte_errno));
		memset(&conf, 0, sizeof(conf));
		if (rte_eth_dev_configure(p, 1, 1, &conf) < 0 ||
		    rte_eth_rx_queue_setup(p, 0, NB_DESC, socket, NULL, fwd.pool) < 0 ||
		    rte_eth_tx_queue_setup(p, 0, NB_DESC, socket, NULL) < 0 ||
		    rte_eth_dev_start(p) < 0)
			rte_exit(1, "port %u: cannot configure and start it\n", p);
	}
}

/* After the lcores returned: every mbuf must be back in the pool. */
static int teardown(void)
{
	struct rte_mbuf *pkts[BURST];
	unsigned n, avail;

	for (uint16_t p = 0; p < NB_PORTS; p++)
		rte_eth_dev_stop(p);
	for (uint16_t p = 0; p < NB_PORTS; p++)
		while ((n = rte_ring_sc_dequeue_burst(fwd.ring[p], (void **)pkts, BURST, NULL)) >
		       0) {
			rte_pktmbuf_free_bulk(pkts, n);
			ctr_add(&fwd.tx.dropped, n);
		}
	avail = rte_mempool_avail_count(fwd.pool);
	printf("buffers: %u of %u back in the pool\n", avail, fwd.pool->size);
	if (avail != fwd.pool->size)
		fprintf(stderr, "dpdk-pipeline-fwd: %u mbufs did not come back\n",
		        fwd.pool->size - avail);
	for (uint16_t p = 0; p < NB_PORTS; p++) {
		rte_eth_dev_close(p);
		rte_ring_free(fwd.ring[p]);
	}
	n = fwd.pool->size - avail;
	rte_mempool_free(fwd.pool);
	return n == 0 ? 0 : 3;
}

int main(int argc, char **argv)
{
	unsigned duration = 10, worker;
	uint64_t tx, drop;
	double secs, cpu_s;
	int ret = rte_eal_init(argc, argv);

	if (ret < 0)
		rte_exit(2, "EAL init failed: %s\n", rte_strerror(rte_errno));
	argc -= ret, argv += ret;
	for (int i = 1; i < argc; i++) {
		char *end;

		if (strcmp(argv[i], "--duration") == 0 && i + 1 < argc &&
		    (duration = (unsigned)strtoul(argv[++i], &end, 10), *end == '\0'))
			continue;
		rte_exit(2, "usage: %s EAL-ARGS -- [--duration S]\n", argv[0]);
	}
	if (rte_eth_dev_count_avail() != NB_PORTS || rte_lcore_count() != NB_LCORES)
		rte_exit(
		    2, "need %d ports (--vdev net_null0 --vdev net_null1) and %d lcores (-l 0-1)\n",
		    NB_PORTS, NB_LCORES);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	setup();

	fwd.hz = rte_get_tsc_hz();
	fwd.start_tsc = fwd.prev_tsc = rte_rdtsc();
	fwd.next_tsc = fwd.start_tsc + fwd.hz;
	fwd.end_tsc = duration ? fwd.start_tsc + duration * fwd.hz : 0;
	worker = rte_get_next_lcore(-1, 1, 0);
	if (rte_eal_remote_launch(tx_loop, NULL, worker) != 0)
		rte_exit(1, "cannot launch the TX lcore %u\n", worker);
	rx_loop();
	atomic_store_explicit(&quit, true, memory_order_relaxed);
	/* The wait orders the TX lcore's counters and CPU time before our reads. */
	rte_eal_wait_lcore(worker);
	secs = (double)(rte_rdtsc() - fwd.start_tsc) / (double)fwd.hz;

	ret = teardown();
	tx = sum(&fwd.tx);
	drop = atomic_load_explicit(&fwd.rx.dropped, memory_order_relaxed) +
	       atomic_load_explicit(&fwd.tx.dropped, memory_order_relaxed);
	cpu_s = (double)(fwd.rx.cpu_ns + fwd.tx.cpu_ns) / 1e9;
	printf("totals over %.2f s: rx %" PRIu64 " | tx %" PRIu64 " | dropped %" PRIu64 "\n", secs,
	       sum(&fwd.rx), tx, drop);
	printf("total: %.3f Mpps forwarded\n", (double)tx / secs / 1e6);
	printf("cpu: rx lcore %.3f s + tx lcore %.3f s = %.3f s; tsc_hz %" PRIu64 "\n",
	       (double)fwd.rx.cpu_ns / 1e9, (double)fwd.tx.cpu_ns / 1e9, cpu_s, fwd.hz);
	printf("cycles/packet: %.2f\n", tx ? cpu_s * (double)fwd.hz / (double)tx : 0.0);
	rte_eal_cleanup();
	return ret;
}
