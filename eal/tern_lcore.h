/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tern_lcore.h - logical cores: one thread pinned to one CPU each.
 *
 * The lcore id of an lcore is the number of its CPU, as in DPDK ("-l 2-3"
 * gives lcores 2 and 3). The first core of the list is the main lcore: the
 * thread that called tern_eal_init(). Other threads (the host application's
 * own) have lcore id TERN_LCORE_ID_ANY and may call every tern function;
 * they get no per-lcore mempool cache unless they tern_thread_register().
 */
#ifndef TERN_LCORE_H
#define TERN_LCORE_H

#include <stdbool.h>
#include <stdint.h>

#include "tern_atomic.h"
#include "tern_common.h"
#include "tern_eal.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TERN_LCORE_ID_ANY UINT32_MAX

typedef int (*tern_lcore_fn)(void *arg);

/*
 * The calling thread's lcore id (low 32 bits) and the life of tern it was
 * given in (high 32 bits): tern_lcore_gen_ changes at every init and
 * cleanup, so an id from an earlier life reads as TERN_LCORE_ID_ANY and two
 * threads never share an lcore's mempool cache. Internal: use tern_lcore_id().
 * initial-exec: one fs-relative load on the fast path, no __tls_get_addr call.
 */
extern TERN_THREAD_LOCAL uint64_t tern_lcore_self_ __attribute__((tls_model("initial-exec")));
extern _Atomic(uint32_t) tern_lcore_gen_;

/* The lcore id of the calling thread, or TERN_LCORE_ID_ANY. */
static inline unsigned tern_lcore_id(void)
{
	uint64_t self = tern_lcore_self_;

	/*
	 * Relaxed: whoever uses an object of the current life (a pool) got it
	 * through a synchronizing edge after the init that set the generation,
	 * so coherence makes this load see that generation or a later one.
	 */
	if (tern_unlikely((uint32_t)(self >> 32) !=
	                  atomic_load_explicit(&tern_lcore_gen_, memory_order_relaxed)))
		return TERN_LCORE_ID_ANY;
	return (unsigned)self;
}

/*
 * Give the calling thread, one the host created, an lcore id of its own for
 * this life of tern, so that it gets a per-lcore mempool cache. Returns the
 * id (>= 0): the thread's current one if it has one (lcores keep theirs),
 * else one no live thread holds and no lcore uses (the highest free, so not
 * to be mistaken for a CPU number). -EINVAL if tern is not running,
 * -ENOSPC if every id is taken. The id is the thread's until
 * tern_thread_unregister() or tern_eal_cleanup(); after cleanup it is void
 * (tern_lcore_id() reads TERN_LCORE_ID_ANY) and the thread registers again in
 * the next life. Only for threads: tern_lcore_launch() cannot target it.
 */
int tern_thread_register(void);

/*
 * Give the calling thread's registered id back (call it before the thread
 * exits, or the id stays taken until cleanup). Objects in that id's mempool
 * caches stay there, counted as available, for the next holder (or call
 * tern_mempool_cache_flush() first). Returns 0, also when the thread holds no
 * id of this life; -EINVAL on an lcore thread, which keeps its id.
 */
int tern_thread_unregister(void);

unsigned tern_lcore_main(void);  /* the main lcore's id */
unsigned tern_lcore_count(void); /* number of lcores, main included */
bool tern_lcore_enabled(unsigned lcore_id);

/* CPU and NUMA socket of an lcore (-EINVAL for an lcore that is not enabled). */
int tern_lcore_cpu(unsigned lcore_id);
int tern_lcore_socket(unsigned lcore_id);

/* NUMA socket of the calling thread: its lcore's, or that of the CPU it runs on. */
int tern_socket_id(void);

/* NUMA socket of a CPU (0 on machines without NUMA); -EINVAL if no such CPU. */
int tern_cpu_socket(int cpu);
unsigned tern_socket_count(void);

/*
 * The next enabled lcore after `i` (start with i = -1), skipping the main
 * lcore if skip_main; TERN_MAX_LCORE when there is none.
 */
unsigned tern_lcore_next(int i, bool skip_main);

#define TERN_LCORE_FOREACH(i)                                                                      \
	for ((i) = tern_lcore_next(-1, false); (i) < TERN_MAX_LCORE;                               \
	     (i) = tern_lcore_next((int)(i), false))
#define TERN_LCORE_FOREACH_WORKER(i)                                                               \
	for ((i) = tern_lcore_next(-1, true); (i) < TERN_MAX_LCORE;                                \
	     (i) = tern_lcore_next((int)(i), true))

/*
 * Run fn(arg) on worker lcore `lcore_id`. Returns 0, -EINVAL for an unknown
 * lcore or the main lcore, -EBUSY if that lcore is still running something.
 * Idle workers sleep (no CPU used); launch wakes them. A return value that
 * nobody collected with tern_lcore_wait() is dropped by the next launch.
 */
int tern_lcore_launch(unsigned lcore_id, tern_lcore_fn fn, void *arg);

/*
 * Wait for the function launched on a worker to return and return its
 * value (0 at once if nothing was launched). -EINVAL for an unknown lcore.
 */
int tern_lcore_wait(unsigned lcore_id);

/*
 * Launch fn on every worker; if call_main, also run it on the calling thread
 * (the main lcore) before returning. Returns 0, or -EBUSY (nothing launched)
 * if a worker is still running something. fn's value on the main lcore is
 * reported by tern_lcore_wait_all().
 */
int tern_lcore_launch_all(tern_lcore_fn fn, void *arg, bool call_main);

/*
 * Wait for every worker; returns the first non-zero return value (the main
 * lcore's from launch_all first, then workers in lcore order), else 0.
 */
int tern_lcore_wait_all(void);

#ifdef __cplusplus
}
#endif

#endif /* TERN_LCORE_H */
