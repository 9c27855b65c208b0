/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * thread_ids.c - lcore ids of threads across tern's lives, and host threads
 * that register for one.
 *
 * The stale-id case (issue 11): thread A starts tern and is its main lcore
 * (id 0); the host's main thread then calls cleanup and init again and is the
 * new main lcore 0. Before lcore ids carried a generation, A kept id 0, so
 * both threads used lcore 0's mempool cache at once: packets handed out
 * twice, and a pool count off. Now A's id from the old life is void (A is
 * TERN_LCORE_ID_ANY: no cache), and A can register for an id of its own.
 *
 * Both threads hammer one pool, writing their own tag into every buffer they
 * hold and checking it before freeing; after, every buffer must be back.
 * Then several host threads register at once: ids distinct, none an lcore's,
 * all void after the next cleanup. A plain program (no Criterion) so that the
 * concurrency suite also runs it under ThreadSanitizer.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tern_eal.h"
#include "tern_lcore.h"
#include "tern_mempool.h"
#include "tern_pkt.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: check failed: %s (%s)\n", __FILE__, __LINE__,      \
			        #cond, tern_eal_last_error());                                     \
			exit(1);                                                                   \
		}                                                                                  \
	} while (0)

#define BURST   32
#define NB_HOST 6

static unsigned rounds;

/* Each holder of a buffer writes its tag in it, yields, and checks it is still there. */
static unsigned hammer(struct tern_mempool *mp, uint64_t tag)
{
	struct tern_pkt *pkts[BURST];
	unsigned bad = 0;

	for (unsigned r = 0; r < rounds; r++) {
		if (tern_pkt_alloc_bulk(mp, pkts, BURST) < 0)
			continue; /* the other thread holds the rest for a moment */
		for (int i = 0; i < BURST; i++)
			*tern_pkt_mtod(pkts[i], volatile uint64_t *) = tag + (uint64_t)i;
		if (r % 64 == 0)
			sched_yield();
		for (int i = 0; i < BURST; i++)
			bad += *tern_pkt_mtod(pkts[i], volatile uint64_t *) != tag + (uint64_t)i;
		tern_pkt_free_bulk(pkts, BURST);
	}
	return bad;
}

/*
 * The stale id corrupts packets only when both threads really run at once:
 * put the calling thread on the n-th CPU this process may use (the test's own
 * threads; a no-op with a single CPU). Returns the mask to restore.
 */
static cpu_set_t pin_to_nth(int n)
{
	cpu_set_t old, set;
	int seen = 0;

	CHECK(pthread_getaffinity_np(pthread_self(), sizeof(old), &old) == 0);
	CHECK(sched_getaffinity(getpid(), sizeof(set), &set) == 0);
	for (int c = 0; c < CPU_SETSIZE; c++) {
		if (!CPU_ISSET(c, &set) || seen++ != n)
			continue;
		CPU_ZERO(&set);
		CPU_SET(c, &set);
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
		break;
	}
	return old;
}

static void unpin(const cpu_set_t *old)
{
	CHECK(pthread_setaffinity_np(pthread_self(), sizeof(*old), old) == 0);
}

static void config(struct tern_eal_config *cfg)
{
	tern_eal_config_init(cfg);
	cfg->no_huge = true;
	snprintf(cfg->cores, sizeof(cfg->cores), "0"); /* both lives: main lcore 0 */
}

/* Thread A: starts tern (life 1), then, told to, uses the pool of life 2. */
struct thread_a {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int step;                /* 1: A started tern; 2: B restarted it, pool ready */
	struct tern_mempool *mp; /* life 2's pool, published at step 2 */
	unsigned id_in_life1, id_in_life2, registered_id, id_after, bad;
	int registered_ret, unregister_ret;
};

static void set_step(struct thread_a *a, int step)
{
	pthread_mutex_lock(&a->lock);
	a->step = step;
	pthread_cond_broadcast(&a->cond);
	pthread_mutex_unlock(&a->lock);
}

static void wait_step(struct thread_a *a, int step)
{
	pthread_mutex_lock(&a->lock);
	while (a->step < step)
		pthread_cond_wait(&a->cond, &a->lock);
	pthread_mutex_unlock(&a->lock);
}

static void *thread_a_main(void *p)
{
	struct thread_a *a = p;
	struct tern_eal_config cfg;

	config(&cfg);
	CHECK(tern_eal_init(&cfg) == 0);
	a->id_in_life1 = tern_lcore_id();
	set_step(a, 1);
	wait_step(a, 2);
	/* Life 2, started by another thread: A's lcore 0 is not A's any more. */
	a->id_in_life2 = tern_lcore_id();
	cpu_set_t old = pin_to_nth(1);

	a->bad = hammer(a->mp, 0xa000000000000000ull);
	/* Registered, A gets an id (and a cache) of its own, never B's. */
	a->registered_ret = tern_thread_register();
	a->registered_id = tern_lcore_id();
	a->bad += hammer(a->mp, 0xa100000000000000ull);
	unpin(&old);
	a->unregister_ret = tern_thread_unregister();
	a->id_after = tern_lcore_id();
	return NULL;
}

static void stale_id_case(void)
{
	struct thread_a a = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
	struct tern_eal_config cfg;
	pthread_t t;
	unsigned bad;

	CHECK(pthread_create(&t, NULL, thread_a_main, &a) == 0);
	wait_step(&a, 1);
	CHECK(a.id_in_life1 == 0);
	CHECK(tern_lcore_id() == TERN_LCORE_ID_ANY); /* B is nobody in life 1 */
	CHECK(tern_eal_cleanup() == 0);
	config(&cfg);
	CHECK(tern_eal_init(&cfg) == 0);
	CHECK(tern_lcore_id() == 0); /* B is life 2's main lcore */
	a.mp = tern_pktpool_create("stale", 1023, 128, 0, 256, TERN_SOCKET_ID_ANY);
	CHECK(a.mp != NULL);
	set_step(&a, 2);
	cpu_set_t old = pin_to_nth(0);

	bad = hammer(a.mp, 0xb000000000000000ull);
	unpin(&old);
	CHECK(pthread_join(t, NULL) == 0);

	printf("stale id: A was lcore %u in life 1, is %#x in life 2, registered as %u; "
	       "%u + %u buffers found changed by another thread; %u/%u back in the pool\n",
	       a.id_in_life1, a.id_in_life2, a.registered_id, a.bad, bad,
	       tern_mempool_avail_count(a.mp), tern_mempool_size(a.mp));
	CHECK(a.id_in_life2 == TERN_LCORE_ID_ANY);
	CHECK(a.registered_ret >= 0 && (unsigned)a.registered_ret == a.registered_id);
	CHECK(a.registered_id != 0 && a.registered_id < TERN_MAX_LCORE);
	CHECK(a.unregister_ret == 0 && a.id_after == TERN_LCORE_ID_ANY);
	CHECK(a.bad == 0 && bad == 0);
	CHECK(tern_mempool_avail_count(a.mp) == tern_mempool_size(a.mp));
	tern_mempool_free(a.mp);
	CHECK(tern_eal_cleanup() == 0);
}

/* Host threads registering at once. */
struct host {
	pthread_t t;
	pthread_barrier_t *bar;
	struct tern_mempool *mp;
	int id;
	unsigned bad;
};

static void *host_main(void *p)
{
	struct host *h = p;

	h->id = tern_thread_register();
	/* Registering twice gives the same id. */
	if (h->id >= 0 && tern_thread_register() != h->id)
		h->id = -1000;
	pthread_barrier_wait(h->bar); /* every thread holds its id: main checks them */
	h->bad = hammer(h->mp, (uint64_t)(h->id + 1) << 48);
	pthread_barrier_wait(h->bar);
	pthread_barrier_wait(h->bar); /* main restarted tern: our id is void */
	if (tern_lcore_id() != TERN_LCORE_ID_ANY)
		h->bad += 1000;
	/* Unregistering an id of a past life is harmless. */
	if (tern_thread_unregister() != 0)
		h->bad += 10000;
	return NULL;
}

static void host_threads(void)
{
	struct tern_eal_config cfg;
	struct host h[NB_HOST];
	pthread_barrier_t bar;
	struct tern_mempool *mp;

	CHECK(tern_thread_register() < 0); /* tern is not running */
	config(&cfg);
	CHECK(tern_eal_init(&cfg) == 0);
	CHECK(tern_thread_register() == 0);  /* an lcore keeps its own id */
	CHECK(tern_thread_unregister() < 0); /* and cannot give it up */
	mp = tern_pktpool_create("hosts", 2047, 64, 0, 256, TERN_SOCKET_ID_ANY);
	CHECK(mp != NULL);
	CHECK(pthread_barrier_init(&bar, NULL, NB_HOST + 1) == 0);
	for (int i = 0; i < NB_HOST; i++) {
		h[i] = (struct host){.bar = &bar, .mp = mp};
		CHECK(pthread_create(&h[i].t, NULL, host_main, &h[i]) == 0);
	}
	pthread_barrier_wait(&bar);
	for (int i = 0; i < NB_HOST; i++) {
		CHECK(h[i].id >= 0 && h[i].id < TERN_MAX_LCORE);
		CHECK(!tern_lcore_enabled((unsigned)h[i].id));
		for (int j = 0; j < i; j++)
			CHECK(h[i].id != h[j].id);
	}
	pthread_barrier_wait(&bar); /* they hammered */
	CHECK(tern_mempool_avail_count(mp) == tern_mempool_size(mp));
	tern_mempool_free(mp);
	CHECK(tern_eal_cleanup() == 0);
	CHECK(tern_eal_init(&cfg) == 0);
	pthread_barrier_wait(&bar);
	for (int i = 0; i < NB_HOST; i++) {
		CHECK(pthread_join(h[i].t, NULL) == 0);
		CHECK(h[i].bad == 0);
	}
	pthread_barrier_destroy(&bar);
	CHECK(tern_eal_cleanup() == 0);
	printf("host threads: %d registered at once, ids distinct, none an lcore's, void after "
	       "cleanup\n",
	       NB_HOST);
}

int main(void)
{
	/* Under TSan (TERN_TEST_SHORT) every access is instrumented: fewer rounds. */
	rounds = getenv("TERN_TEST_SHORT") ? 2000 : 50000;
	stale_id_case();
	host_threads();
	printf("thread_ids: all good\n");
	return 0;
}
