/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * embed.c - tern inside a larger application (doc/embedding.md walks through it).
 *
 * The "application" has its own thread and its own main loop. It starts tern
 * from a config struct (no argv), routes tern's log lines through its own
 * logger, forwards between two null ports on a tern worker lcore while its
 * main loop keeps doing its own work, stops and cleans up tern, then does it
 * all again in the same process. It exits 0 only if every step went right,
 * every packet buffer came back, and tern left its thread affinity alone.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <tern_eal.h>
#include <tern_lcore.h>
#include <tern_pkt.h>
#include <tern_port.h>

#define ROUNDS    2
#define BURST     32
#define RUN_MS    500
#define POOL_SIZE 4096

/* ---- the host application's own pieces --------------------------------- */

static atomic_uint tern_lines; /* log lines tern sent us */
static atomic_bool app_stop;   /* the application's own thread */
static atomic_ulong app_beats;

/* The app's logger: tern's lines come through here, prefixed, from any thread. */
static void app_log_from_tern(void *arg, enum tern_log_level level, const char *component,
                              const char *msg)
{
	(void)arg;
	atomic_fetch_add_explicit(&tern_lines, 1, memory_order_relaxed);
	fprintf(stderr, "[app] tern says: %s: %s%s\n", component, msg,
	        level <= TERN_LOG_ERR ? " (error)" : "");
}

static void app_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void app_say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("[app] ", stdout);
	/* The analyzer loses track of va_start here (a false positive, as in eal/eal.c). */
	vprintf(fmt, ap); /* NOLINT(clang-analyzer-valist.Uninitialized) */
	fputs("\n", stdout);
	fflush(stdout);
	va_end(ap);
}

/* A thread tern knows nothing about: it must keep running across init/cleanup. */
static void *app_heartbeat(void *arg)
{
	(void)arg;
	while (!atomic_load_explicit(&app_stop, memory_order_relaxed)) {
		atomic_fetch_add_explicit(&app_beats, 1, memory_order_relaxed);
		nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
	}
	return NULL;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- forwarding on a tern worker lcore ---------------------------------- */

struct fwd {
	atomic_bool stop;
	uint64_t forwarded; /* read by the app after tern_lcore_wait() */
	uint64_t dropped;
};

static int forward(void *arg)
{
	struct fwd *f = arg;
	struct tern_pkt *pkts[BURST];

	/* Relaxed: the flag carries no data; tern_lcore_wait() orders the counters. */
	while (!atomic_load_explicit(&f->stop, memory_order_relaxed)) {
		for (uint16_t in = 0; in < 2; in++) {
			uint16_t n = tern_port_rx_burst(in, 0, pkts, BURST);
			uint16_t sent = n ? tern_port_tx_burst(in ^ 1, 0, pkts, n) : 0;

			f->forwarded += sent;
			if (sent < n) {
				tern_pkt_free_bulk(&pkts[sent], n - sent);
				f->dropped += n - sent;
			}
		}
	}
	return 0;
}

/* ---- one life of tern ---------------------------------------------------- */

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			app_say("FAILED: " __VA_ARGS__);                                           \
			return -1;                                                                 \
		}                                                                                  \
	} while (0)

static void config(struct tern_eal_config *cfg)
{
	tern_eal_config_init(cfg);
	/* The first core is this thread (not pinned: pin_main stays false), the second a worker. */
	snprintf(cfg->cores, sizeof(cfg->cores), "0-1");
	cfg->no_huge = true;
	cfg->log_fn = app_log_from_tern;
	cfg->nb_vdev = 2;
	snprintf(cfg->vdev[0].name, sizeof(cfg->vdev[0].name), "null0");
	snprintf(cfg->vdev[1].name, sizeof(cfg->vdev[1].name), "null1");
}

static int setup_ports(struct tern_mempool *mp)
{
	for (uint16_t p = 0; p < 2; p++) {
		int ret = tern_port_configure(p, 1, 1, NULL);

		if (ret == 0)
			ret = tern_port_rx_queue_setup(p, 0, 0, TERN_SOCKET_ID_ANY, mp);
		if (ret == 0)
			ret = tern_port_tx_queue_setup(p, 0, 0, TERN_SOCKET_ID_ANY);
		if (ret == 0)
			ret = tern_port_start(p);
		if (ret < 0) {
			app_say("port %u: %s (%s)", p, strerror(-ret), tern_eal_last_error());
			return ret;
		}
	}
	return 0;
}

static int one_life(int round, const cpu_set_t *affinity)
{
	struct tern_eal_config cfg;
	struct tern_mempool *mp;
	struct fwd f = {.forwarded = 0};
	struct tern_port_stats st[2];
	cpu_set_t now;
	unsigned worker, lcore, avail;
	uint64_t t0, polls = 0;
	int ret;

	config(&cfg);
	ret = tern_eal_init(&cfg);
	CHECK(ret == 0, "round %d: tern_eal_init: %s (%s)", round, strerror(-ret),
	      tern_eal_last_error());
	CHECK(tern_eal_init(&cfg) == -EALREADY, "a second init must say -EALREADY");
	CHECK(pthread_getaffinity_np(pthread_self(), sizeof(now), &now) == 0 &&
	          CPU_EQUAL(&now, affinity),
	      "tern changed the calling thread's CPU affinity");
	CHECK(tern_port_count() == 2, "expected 2 ports, tern found %u", tern_port_count());

	mp = tern_pktpool_create("embed_pool", POOL_SIZE, 256, 0, TERN_PKT_DEFAULT_BUF_SIZE,
	                         TERN_SOCKET_ID_ANY);
	CHECK(mp != NULL, "pool: %s (%s)", strerror(tern_errno), tern_eal_last_error());
	if (setup_ports(mp) < 0)
		return -1;

	worker = TERN_MAX_LCORE;
	TERN_LCORE_FOREACH_WORKER (lcore) {
		if (worker == TERN_MAX_LCORE)
			worker = lcore;
	}
	CHECK(worker != TERN_MAX_LCORE, "no worker lcore");
	ret = tern_lcore_launch(worker, forward, &f);
	CHECK(ret == 0, "launch on lcore %u: %s (%s)", worker, strerror(-ret),
	      tern_eal_last_error());

	/* The application's own main loop goes on while tern forwards. */
	t0 = now_ms();
	while (now_ms() - t0 < RUN_MS) {
		nanosleep(&(struct timespec){.tv_nsec = 100 * 1000 * 1000}, NULL);
		tern_port_stats_get(0, &st[0]);
		polls++;
		app_say("round %d: main loop tick %" PRIu64 ", port 0 has received %" PRIu64
		        " frames, heartbeat %lu",
		        round, polls, st[0].ipackets, atomic_load(&app_beats));
	}

	atomic_store_explicit(&f.stop, true, memory_order_relaxed);
	CHECK(tern_lcore_wait(worker) == 0, "the forwarding lcore failed");
	for (uint16_t p = 0; p < 2; p++) {
		tern_port_stop(p);
		tern_port_stats_get(p, &st[p]);
	}
	avail = tern_mempool_avail_count(mp);
	app_say("round %d: forwarded %" PRIu64 ", dropped %" PRIu64 "; port 0 rx %" PRIu64
	        " tx %" PRIu64 ", port 1 rx %" PRIu64 " tx %" PRIu64 "; buffers %u/%u returned",
	        round, f.forwarded, f.dropped, st[0].ipackets, st[0].opackets, st[1].ipackets,
	        st[1].opackets, avail, tern_mempool_size(mp));
	CHECK(f.forwarded > 0, "nothing was forwarded");
	CHECK(st[0].opackets + st[1].opackets == f.forwarded, "port TX counters disagree");
	CHECK(avail == tern_mempool_size(mp), "%u buffers missing", tern_mempool_size(mp) - avail);

	for (uint16_t p = 0; p < 2; p++)
		tern_port_close(p);
	tern_mempool_free(mp);
	ret = tern_eal_cleanup();
	CHECK(ret == 0, "tern_eal_cleanup: %s", strerror(-ret));
	CHECK(!tern_eal_is_initialized(), "tern still initialized after cleanup");
	return 0;
}

/* A bad config fails with a negative errno and one line, and leaves tern startable. */
static int bad_config(void)
{
	struct tern_eal_config cfg;
	int ret;

	config(&cfg);
	snprintf(cfg.vdev[1].name, sizeof(cfg.vdev[1].name), "nosuchdriver0");
	ret = tern_eal_init(&cfg);
	CHECK(ret < 0, "init with an unknown driver succeeded");
	app_say("as expected, init failed: %s: \"%s\"", strerror(-ret), tern_eal_last_error());
	CHECK(tern_eal_last_error()[0] != '\0', "no error line");
	CHECK(!tern_eal_is_initialized(), "a failed init left tern running");
	return 0;
}

int main(void)
{
	pthread_t heartbeat;
	cpu_set_t affinity;
	unsigned lines;
	int ret = 0;

	pthread_getaffinity_np(pthread_self(), sizeof(affinity), &affinity);
	if (pthread_create(&heartbeat, NULL, app_heartbeat, NULL) != 0) {
		app_say("FAILED: cannot start the app's own thread");
		return 1;
	}

	if (bad_config() < 0)
		ret = 1;
	for (int round = 1; ret == 0 && round <= ROUNDS; round++)
		if (one_life(round, &affinity) < 0)
			ret = 1;

	atomic_store_explicit(&app_stop, true, memory_order_relaxed);
	pthread_join(heartbeat, NULL);
	lines = atomic_load(&tern_lines);
	if (ret == 0 && lines == 0) {
		app_say("FAILED: tern's log lines did not come through the app's callback");
		ret = 1;
	}
	app_say("%s: %d rounds, %u tern log lines via the app's logger, heartbeat %lu",
	        ret == 0 ? "all good" : "FAILED", ROUNDS, lines, atomic_load(&app_beats));
	return ret;
}
