/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lcore.c - logical cores: the main lcore is the caller of tern_eal_init(),
 * every other core of the list gets one pinned worker thread.
 *
 * Launching work is not a fast path: each worker sleeps on its own condition
 * variable between jobs, so idle workers cost no CPU (this matters on small
 * machines where the application's own threads share the cores). The mutex
 * also orders everything: what the launcher wrote before launch is visible
 * to fn, and what fn wrote is visible to whoever waits for it.
 */
#include <errno.h>
#include <numa.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysinfo.h>

#include "tern_error.h"
#include "tern_lcore.h"
#include "eal_internal.h"

/* Generation 0 is never current (see next_generation), so a fresh thread is nobody. */
_Thread_local uint64_t tern_lcore_self_ __attribute__((tls_model("initial-exec"))) =
    TERN_LCORE_ID_ANY;
_Atomic(uint32_t) tern_lcore_gen_ = 1;

enum lcore_state {
	LCORE_IDLE,     /* nothing to run, or the result was collected */
	LCORE_RUNNING,  /* launched; fn has not returned yet */
	LCORE_FINISHED, /* fn returned; ret waits for tern_lcore_wait() */
};

struct lcore {
	pthread_mutex_t lock; /* guards state, fn, arg, ret and quit */
	pthread_cond_t cond;  /* signalled on every change of state or quit */
	pthread_t thread;
	tern_lcore_fn fn;
	void *arg;
	enum lcore_state state;
	int ret;
	int cpu;
	int socket;
	bool enabled;
	bool has_thread;
	bool quit;
};

static struct lcore lcores[TERN_MAX_LCORE];
static unsigned lcore_main_id = TERN_LCORE_ID_ANY;
static unsigned lcore_nb;
static bool main_pinned;
static pthread_t main_thread; /* cleanup may run on another thread */
static cpu_set_t main_saved_affinity;

/*
 * Host threads' ids (tern_thread_register). reg_lock guards reg_live and
 * reg_used, and orders them with init and cleanup: init publishes the
 * enabled lcores before reg_live, cleanup clears reg_live before it forgets
 * them, so a registering thread reads lcores[].enabled only while it is stable.
 */
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static bool reg_live;
static bool reg_used[TERN_MAX_LCORE];
static unsigned reg_count;

/* Start a new life of lcore ids: every id given out before is void from now on. */
static uint32_t next_generation(void)
{
	uint32_t gen = atomic_load_explicit(&tern_lcore_gen_, memory_order_relaxed) + 1;

	if (gen == 0) /* a thread that never had an id carries generation 0 */
		gen = 1;
	/*
	 * Relaxed: the callers hold reg_lock or run before the threads that
	 * read it exist; readers rely on coherence (see tern_lcore_id()).
	 */
	atomic_store_explicit(&tern_lcore_gen_, gen, memory_order_relaxed);
	return gen;
}

/* The calling thread is lcore `id` of life `gen`. */
static void set_self(unsigned id, uint32_t gen)
{
	tern_lcore_self_ = (uint64_t)gen << 32 | id;
}

int tern_thread_register(void)
{
	unsigned id = tern_lcore_id();
	int ret;

	pthread_mutex_lock(&reg_lock);
	if (!reg_live) {
		pthread_mutex_unlock(&reg_lock);
		return tern_error(EINVAL, EAL_LOG,
		                  "tern_thread_register: tern is not running: call tern_eal_init() "
		                  "first");
	}
	if (id != TERN_LCORE_ID_ANY) { /* an lcore, or registered already */
		pthread_mutex_unlock(&reg_lock);
		return (int)id;
	}
	for (id = TERN_MAX_LCORE; id-- > 0;)
		if (!lcores[id].enabled && !reg_used[id])
			break;
	if (id == UINT32_MAX) {
		ret = (int)reg_count;
		pthread_mutex_unlock(&reg_lock);
		return tern_error(ENOSPC, EAL_LOG,
		                  "tern_thread_register: all %d lcore ids are taken (%u lcores, %d "
		                  "registered threads): unregister threads that are done",
		                  TERN_MAX_LCORE, lcore_nb, ret);
	}
	reg_used[id] = true;
	reg_count++;
	set_self(id, atomic_load_explicit(&tern_lcore_gen_, memory_order_relaxed));
	pthread_mutex_unlock(&reg_lock);
	return (int)id;
}

int tern_thread_unregister(void)
{
	unsigned id = tern_lcore_id();

	if (id == TERN_LCORE_ID_ANY) /* nothing held in this life */
		return 0;
	pthread_mutex_lock(&reg_lock);
	if (!reg_used[id]) {
		pthread_mutex_unlock(&reg_lock);
		return tern_error(EINVAL, EAL_LOG,
		                  "tern_thread_unregister: lcore %u is one of tern's lcores, which "
		                  "keep their id until tern_eal_cleanup()",
		                  id);
	}
	reg_used[id] = false;
	reg_count--;
	tern_lcore_self_ = TERN_LCORE_ID_ANY;
	pthread_mutex_unlock(&reg_lock);
	return 0;
}

int tern_cpu_socket(int cpu)
{
	if (cpu < 0 || cpu >= get_nprocs_conf())
		return -EINVAL;
	if (numa_available() < 0)
		return 0;
	int node = numa_node_of_cpu(cpu);
	return node < 0 ? 0 : node;
}

unsigned tern_socket_count(void)
{
	if (numa_available() < 0)
		return 1;
	int n = numa_max_node() + 1;
	return n > TERN_MAX_NUMA_NODES ? TERN_MAX_NUMA_NODES : (unsigned)n;
}

unsigned tern_lcore_main(void)
{
	return lcore_main_id;
}

unsigned tern_lcore_count(void)
{
	return lcore_nb;
}

bool tern_lcore_enabled(unsigned lcore_id)
{
	return lcore_id < TERN_MAX_LCORE && lcores[lcore_id].enabled;
}

int tern_lcore_cpu(unsigned lcore_id)
{
	return tern_lcore_enabled(lcore_id) ? lcores[lcore_id].cpu : -EINVAL;
}

int tern_lcore_socket(unsigned lcore_id)
{
	return tern_lcore_enabled(lcore_id) ? lcores[lcore_id].socket : -EINVAL;
}

int tern_socket_id(void)
{
	unsigned id = tern_lcore_id();
	int cpu;

	if (tern_lcore_enabled(id))
		return lcores[id].socket;
	cpu = sched_getcpu();
	cpu = cpu < 0 ? 0 : tern_cpu_socket(cpu);
	return cpu < 0 ? 0 : cpu;
}

unsigned tern_lcore_next(int i, bool skip_main)
{
	for (unsigned id = (unsigned)(i + 1); id < TERN_MAX_LCORE; id++) {
		if (!lcores[id].enabled || (skip_main && id == lcore_main_id))
			continue;
		return id;
	}
	return TERN_MAX_LCORE;
}

/* A worker is an lcore with its own thread: enabled and not the main one. */
static struct lcore *worker(unsigned lcore_id)
{
	if (!tern_lcore_enabled(lcore_id) || lcore_id == lcore_main_id)
		return NULL;
	return &lcores[lcore_id];
}

int tern_lcore_launch(unsigned lcore_id, tern_lcore_fn fn, void *arg)
{
	struct lcore *lc = worker(lcore_id);
	int ret = 0;

	if (lc == NULL || fn == NULL)
		return -EINVAL;
	pthread_mutex_lock(&lc->lock);
	if (lc->state == LCORE_RUNNING) {
		ret = -EBUSY;
	} else {
		/* A result nobody waited for is dropped: the lcore is free again. */
		lc->fn = fn;
		lc->arg = arg;
		lc->state = LCORE_RUNNING;
		pthread_cond_broadcast(&lc->cond);
	}
	pthread_mutex_unlock(&lc->lock);
	return ret;
}

int tern_lcore_wait(unsigned lcore_id)
{
	struct lcore *lc = worker(lcore_id);
	int ret = 0;

	/* Waiting for yourself would never return. */
	if (lc == NULL || lcore_id == tern_lcore_id())
		return -EINVAL;
	pthread_mutex_lock(&lc->lock);
	while (lc->state == LCORE_RUNNING)
		pthread_cond_wait(&lc->cond, &lc->lock);
	if (lc->state == LCORE_FINISHED) {
		ret = lc->ret;
		lc->state = LCORE_IDLE;
	}
	pthread_mutex_unlock(&lc->lock);
	return ret;
}

/* What fn returned on the main lcore in launch_all, until wait_all reports it. */
static int main_ret;

int tern_lcore_launch_all(tern_lcore_fn fn, void *arg, bool call_main)
{
	unsigned id;
	int ret;

	if (fn == NULL || lcore_nb == 0)
		return -EINVAL;
	/* All or nothing: refuse before launching anything if one worker is busy. */
	TERN_LCORE_FOREACH_WORKER (id) {
		pthread_mutex_lock(&lcores[id].lock);
		bool busy = lcores[id].state == LCORE_RUNNING;

		pthread_mutex_unlock(&lcores[id].lock);
		if (busy)
			return -EBUSY;
	}
	TERN_LCORE_FOREACH_WORKER (id) {
		ret = tern_lcore_launch(id, fn, arg);
		if (ret)
			return ret;
	}
	if (call_main)
		main_ret = fn(arg);
	return 0;
}

int tern_lcore_wait_all(void)
{
	unsigned id;
	int first = main_ret;

	main_ret = 0;
	TERN_LCORE_FOREACH_WORKER (id) {
		int ret = tern_lcore_wait(id);

		if (ret && first == 0)
			first = ret;
	}
	return first;
}

static void *worker_main(void *p)
{
	struct lcore *lc = p;

	/* Created after init moved to this life's generation. */
	set_self((unsigned)(lc - lcores),
	         atomic_load_explicit(&tern_lcore_gen_, memory_order_relaxed));
	pthread_mutex_lock(&lc->lock);
	for (;;) {
		while (lc->state != LCORE_RUNNING && !lc->quit)
			pthread_cond_wait(&lc->cond, &lc->lock);
		if (lc->state != LCORE_RUNNING) /* quit, with nothing left to run */
			break;
		tern_lcore_fn fn = lc->fn;
		void *arg = lc->arg;

		pthread_mutex_unlock(&lc->lock);
		int ret = fn(arg);
		pthread_mutex_lock(&lc->lock);
		lc->ret = ret;
		lc->state = LCORE_FINISHED;
		pthread_cond_broadcast(&lc->cond);
	}
	pthread_mutex_unlock(&lc->lock);
	return NULL;
}

int eal_parse_corelist(const char *list, const char *what, int *cpus, unsigned max)
{
	bool seen[TERN_MAX_LCORE] = {false};
	const char *p = list;
	unsigned n = 0;

	if (list == NULL || *list == '\0')
		goto bad;
	for (;;) {
		unsigned long lo, hi;
		char *end;

		if (*p < '0' || *p > '9')
			goto bad;
		errno = 0;
		lo = strtoul(p, &end, 10);
		if (errno)
			goto bad;
		hi = lo;
		p = end;
		if (*p == '-') {
			p++;
			if (*p < '0' || *p > '9')
				goto bad;
			hi = strtoul(p, &end, 10);
			if (errno || hi < lo)
				goto bad;
			p = end;
		}
		if (hi >= TERN_MAX_LCORE) {
			tern_eal_set_error(EAL_LOG,
			                   "core %lu in core list '%s' for %s is too large: tern "
			                   "supports cores 0-%d",
			                   hi, list, what, TERN_MAX_LCORE - 1);
			return -EINVAL;
		}
		for (unsigned long c = lo; c <= hi; c++) {
			if (seen[c]) {
				tern_eal_set_error(
				    EAL_LOG,
				    "core %lu appears twice in core list '%s' for %s: "
				    "name each core once",
				    c, list, what);
				return -EINVAL;
			}
			seen[c] = true;
			if (n < max)
				cpus[n] = (int)c;
			n++;
		}
		if (*p == '\0')
			break;
		if (*p != ',')
			goto bad;
		p++;
	}
	return (int)n;
bad:
	tern_eal_set_error(EAL_LOG, "bad core list '%s' for %s: use numbers and ranges like 0-3,6",
	                   list ? list : "", what);
	return -EINVAL;
}

/* "0-1,3" for error lines that say what this process may use. */
static void format_cpuset(const cpu_set_t *set, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int c = 0; c < CPU_SETSIZE && off < len; c++) {
		if (!CPU_ISSET(c, set))
			continue;
		int e = c;

		while (e + 1 < CPU_SETSIZE && CPU_ISSET(e + 1, set))
			e++;
		int w = e > c ? snprintf(buf + off, len - off, "%s%d-%d", off ? "," : "", c, e)
		              : snprintf(buf + off, len - off, "%s%d", off ? "," : "", c);
		off += w > 0 ? (size_t)w : 0;
		c = e;
	}
}

/*
 * The CPUs this process may run on: its cgroup cpuset as the kernel enforces
 * it, not the calling thread's own mask (a host may well have pinned the
 * thread that calls init to one CPU and still want workers elsewhere). A
 * short-lived thread asks the kernel for every CPU; sched_setaffinity(2)
 * narrows the request to the CPUs the process is allowed, and reading the
 * mask back gives exactly that set. The thread's own mask is all that
 * changes, and the thread is gone before this returns.
 */
static void *probe_allowed(void *p)
{
	cpu_set_t *set = p;

	CPU_ZERO(set);
	for (int c = 0; c < CPU_SETSIZE; c++)
		CPU_SET(c, set);
	if (sched_setaffinity(0, sizeof(*set), set) != 0 ||
	    sched_getaffinity(0, sizeof(*set), set) != 0)
		CPU_ZERO(set);
	return NULL;
}

static int process_cpus(cpu_set_t *set)
{
	pthread_t t;

	if (pthread_create(&t, NULL, probe_allowed, set) == 0) {
		pthread_join(t, NULL);
		if (CPU_COUNT(set) > 0)
			return 0;
	}
	/* No thread to spare: the calling thread's mask, a subset of the answer. */
	return sched_getaffinity(0, sizeof(*set), set) == 0 ? 0 : -errno;
}

void eal_lcore_cleanup(void)
{
	unsigned id;

	/*
	 * First: from here on no thread registers, and every id of this life,
	 * lcores' and host threads' alike, is void (a thread that still holds
	 * one reads TERN_LCORE_ID_ANY: no cache shared with the next life).
	 */
	pthread_mutex_lock(&reg_lock);
	reg_live = false;
	memset(reg_used, 0, sizeof(reg_used));
	reg_count = 0;
	next_generation();
	pthread_mutex_unlock(&reg_lock);
	for (id = 0; id < TERN_MAX_LCORE; id++) {
		struct lcore *lc = &lcores[id];

		if (!lc->has_thread)
			continue;
		pthread_mutex_lock(&lc->lock);
		lc->quit = true;
		pthread_cond_broadcast(&lc->cond);
		pthread_mutex_unlock(&lc->lock);
		/* A worker still running fn finishes it first: join waits for that. */
		pthread_join(lc->thread, NULL);
		pthread_cond_destroy(&lc->cond);
		pthread_mutex_destroy(&lc->lock);
	}
	if (main_pinned)
		pthread_setaffinity_np(main_thread, sizeof(main_saved_affinity),
		                       &main_saved_affinity);
	main_pinned = false;
	main_ret = 0;
	memset(lcores, 0, sizeof(lcores));
	lcore_nb = 0;
	lcore_main_id = TERN_LCORE_ID_ANY;
	tern_lcore_self_ = TERN_LCORE_ID_ANY;
}

static int start_worker(struct lcore *lc, unsigned id)
{
	pthread_attr_t attr;
	cpu_set_t set;
	char name[16];
	int ret;

	pthread_mutex_init(&lc->lock, NULL);
	pthread_cond_init(&lc->cond, NULL);
	CPU_ZERO(&set);
	CPU_SET(lc->cpu, &set);
	pthread_attr_init(&attr);
	/* Pinned from its first instruction: no window on the wrong CPU. */
	pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	ret = pthread_create(&lc->thread, &attr, worker_main, lc);
	pthread_attr_destroy(&attr);
	if (ret) {
		pthread_cond_destroy(&lc->cond);
		pthread_mutex_destroy(&lc->lock);
		tern_eal_set_error(EAL_LOG, "cannot start the thread of lcore %u: %s", id,
		                   strerror(ret));
		return -ret;
	}
	lc->has_thread = true;
	snprintf(name, sizeof(name), "tern-lcore-%u", id);
	pthread_setname_np(lc->thread, name);
	return 0;
}

int eal_lcore_init(const struct tern_eal_config *cfg)
{
	int cpus[TERN_MAX_LCORE];
	cpu_set_t allowed;
	char avail[256];
	uint32_t gen;
	int n, ret;

	ret = process_cpus(&allowed);
	if (ret < 0)
		return tern_error(-ret, EAL_LOG, "cannot read the CPUs this process may use: %s",
		                  strerror(-ret));
	format_cpuset(&allowed, avail, sizeof(avail));

	if (cfg->cores[0] == '\0') {
		int cpu = sched_getcpu();

		cpus[0] = cpu < 0 ? 0 : cpu;
		n = 1;
	} else {
		n = eal_parse_corelist(cfg->cores, "cfg.cores (-l)", cpus, TERN_MAX_LCORE);
		if (n < 0)
			return n;
	}
	for (int i = 0; i < n; i++) {
		if (cpus[i] >= get_nprocs_conf()) {
			tern_eal_set_error(EAL_LOG,
			                   "core %d in '%s' does not exist: this machine has "
			                   "cores 0-%d",
			                   cpus[i], cfg->cores, get_nprocs_conf() - 1);
			return -EINVAL;
		}
		if (!CPU_ISSET(cpus[i], &allowed)) {
			tern_eal_set_error(EAL_LOG,
			                   "core %d in '%s' is not available to this process: it "
			                   "may use cores %s",
			                   cpus[i], cfg->cores, avail);
			return -EINVAL;
		}
	}

	/* A new life: ids of the last one (threads that kept one) are void now. */
	pthread_mutex_lock(&reg_lock);
	gen = next_generation();
	pthread_mutex_unlock(&reg_lock);
	for (int i = 0; i < n; i++) {
		struct lcore *lc = &lcores[cpus[i]];

		lc->enabled = true;
		lc->cpu = cpus[i];
		lc->socket = tern_cpu_socket(cpus[i]);
		if (lc->socket < 0)
			lc->socket = 0;
	}
	lcore_main_id = (unsigned)cpus[0];
	lcore_nb = (unsigned)n;

	if (cfg->pin_main) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpus[0], &set);
		pthread_getaffinity_np(pthread_self(), sizeof(main_saved_affinity),
		                       &main_saved_affinity);
		ret = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
		if (ret) {
			tern_eal_set_error(EAL_LOG, "cannot pin the main lcore to core %d: %s",
			                   cpus[0], strerror(ret));
			eal_lcore_cleanup();
			return -ret;
		}
		main_pinned = true;
		main_thread = pthread_self();
	}
	for (int i = 1; i < n; i++) {
		ret = start_worker(&lcores[cpus[i]], (unsigned)cpus[i]);
		if (ret) {
			eal_lcore_cleanup();
			return ret;
		}
	}
	set_self(lcore_main_id, gen);
	pthread_mutex_lock(&reg_lock);
	reg_live = true;
	pthread_mutex_unlock(&reg_lock);
	return 0;
}
