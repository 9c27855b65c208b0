/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tern_lcore.h - logical cores: one thread pinned to one CPU each.
 *
 * The lcore id of an lcore is the number of its CPU, as in DPDK ("-l 2-3"
 * gives lcores 2 and 3). The first core of the list is the main lcore: the
 * thread that called tern_eal_init(). Other threads (the host application's
 * own) have lcore id TERN_LCORE_ID_ANY and may call every tern function;
 * they just get no per-lcore mempool cache.
 */
#ifndef TERN_LCORE_H
#define TERN_LCORE_H

#include <stdbool.h>

#include "tern_eal.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TERN_LCORE_ID_ANY UINT32_MAX

typedef int (*tern_lcore_fn)(void *arg);

/* initial-exec: one fs-relative load on the fast path, no __tls_get_addr call. */
extern TERN_THREAD_LOCAL unsigned tern_lcore_id_ __attribute__((tls_model("initial-exec")));

/* The lcore id of the calling thread, or TERN_LCORE_ID_ANY. */
static inline unsigned tern_lcore_id(void)
{
	return tern_lcore_id_;
}

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
