/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lcore.c - worker lcores: launch and wait, identity, pinning, names, and
 * idle workers that sleep instead of spinning.
 */
#include <errno.h>
#include <numa.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>

#include "tern_test.h"
#include "tern_cycles.h"
#include "tern_eal.h"
#include "tern_lcore.h"

static unsigned main_id, worker_id;

/* Start tern on the first two CPUs this process may use; skip if there is one. */
static void start_two(void)
{
	cpu_set_t set;
	int cpus[2], n = 0;
	char list[32];

	sched_getaffinity(0, sizeof(set), &set);
	for (int c = 0; c < CPU_SETSIZE && n < 2; c++)
		if (CPU_ISSET(c, &set))
			cpus[n++] = c;
	if (n < 2)
		cr_skip_test("needs two CPUs");
	snprintf(list, sizeof(list), "%d,%d", cpus[0], cpus[1]);
	cr_assert_eq(tern_test_eal_init(list), 0, "%s", tern_eal_last_error());
	main_id = (unsigned)cpus[0];
	worker_id = (unsigned)cpus[1];
}

static void stop(void)
{
	if (tern_eal_is_initialized())
		cr_assert_eq(tern_eal_cleanup(), 0);
}

TestSuite(lcore, .init = start_two, .fini = stop);

static int return_arg(void *arg)
{
	return (int)(intptr_t)arg;
}

Test(lcore, wait_returns_the_functions_value)
{
	cr_assert_eq(tern_lcore_count(), 2);
	cr_assert_eq(tern_lcore_main(), main_id);
	cr_assert(tern_lcore_enabled(worker_id));
	cr_assert_eq(tern_lcore_wait(worker_id), 0, "nothing launched: 0 at once");
	for (int i = 0; i < 50; i++) {
		cr_assert_eq(tern_lcore_launch(worker_id, return_arg, (void *)(intptr_t)(i - 25)),
		             0);
		cr_assert_eq(tern_lcore_wait(worker_id), i - 25);
	}
	cr_assert_eq(tern_lcore_wait(worker_id), 0, "the value is returned once");
}

Test(lcore, bad_lcores_are_einval)
{
	cr_assert_eq(tern_lcore_launch(main_id, return_arg, NULL), -EINVAL);
	cr_assert_eq(tern_lcore_launch(TERN_MAX_LCORE, return_arg, NULL), -EINVAL);
	cr_assert_eq(tern_lcore_launch(worker_id, NULL, NULL), -EINVAL);
	cr_assert_eq(tern_lcore_wait(TERN_MAX_LCORE + 5), -EINVAL);
	cr_assert_eq(tern_lcore_cpu(TERN_MAX_LCORE), -EINVAL);
	cr_assert_eq(tern_lcore_socket(TERN_MAX_LCORE), -EINVAL);
	for (unsigned id = 0; id < TERN_MAX_LCORE; id++)
		if (id != main_id && id != worker_id)
			cr_assert_eq(tern_lcore_launch(id, return_arg, NULL), -EINVAL);
}

struct seen {
	unsigned lcore_id;
	cpu_set_t affinity;
	char name[16];
	int socket;
};

static int look_around(void *arg)
{
	struct seen *s = arg;

	s->lcore_id = tern_lcore_id();
	pthread_getaffinity_np(pthread_self(), sizeof(s->affinity), &s->affinity);
	pthread_getname_np(pthread_self(), s->name, sizeof(s->name));
	s->socket = tern_socket_id();
	return 0;
}

Test(lcore, worker_knows_its_id_is_pinned_and_named)
{
	struct seen s;
	char want[16];

	memset(&s, 0, sizeof(s));
	cr_assert_eq(tern_lcore_launch(worker_id, look_around, &s), 0);
	cr_assert_eq(tern_lcore_wait(worker_id), 0);
	cr_assert_eq(s.lcore_id, worker_id);
	cr_assert_eq(CPU_COUNT(&s.affinity), 1);
	cr_assert(CPU_ISSET(worker_id, &s.affinity));
	snprintf(want, sizeof(want), "tern-lcore-%u", worker_id);
	cr_assert_str_eq(s.name, want);
	cr_assert_eq(s.socket, tern_lcore_socket(worker_id));
	cr_assert_eq(tern_lcore_cpu(worker_id), (int)worker_id);
	cr_assert_eq(tern_lcore_id(), main_id);
}

Test(lcore, sockets_come_from_numa)
{
	for (unsigned id = tern_lcore_next(-1, false); id < TERN_MAX_LCORE;
	     id = tern_lcore_next((int)id, false)) {
		int want = numa_available() < 0 ? 0 : numa_node_of_cpu((int)id);

		cr_assert_eq(tern_lcore_socket(id), want < 0 ? 0 : want);
		cr_assert_eq(tern_cpu_socket((int)id), want < 0 ? 0 : want);
	}
	cr_assert_eq(tern_cpu_socket(-1), -EINVAL);
	cr_assert_geq(tern_socket_count(), 1);
}

static atomic_int gate;

static int wait_for_gate(void *arg)
{
	(void)arg;
	/* Acquire pairs with the release store in the test that opens the gate. */
	while (!atomic_load_explicit(&gate, memory_order_acquire)) {
		struct timespec ms = {0, 1000000};

		nanosleep(&ms, NULL);
	}
	return 42;
}

Test(lcore, launch_on_a_busy_lcore_is_ebusy)
{
	atomic_store_explicit(&gate, 0, memory_order_relaxed);
	cr_assert_eq(tern_lcore_launch(worker_id, wait_for_gate, NULL), 0);
	cr_assert_eq(tern_lcore_launch(worker_id, return_arg, NULL), -EBUSY);
	cr_assert_eq(tern_lcore_launch_all(return_arg, NULL, false), -EBUSY);
	/* Release: pairs with the worker's acquire load. */
	atomic_store_explicit(&gate, 1, memory_order_release);
	cr_assert_eq(tern_lcore_wait(worker_id), 42);
	cr_assert_eq(tern_lcore_launch(worker_id, return_arg, (void *)1), 0);
	cr_assert_eq(tern_lcore_wait(worker_id), 1);
}

static atomic_int ran_on_main;

static int count_main(void *arg)
{
	if (tern_lcore_id() == main_id)
		atomic_fetch_add_explicit(&ran_on_main, 1, memory_order_relaxed);
	return (int)(intptr_t)arg;
}

Test(lcore, launch_all_and_wait_all)
{
	atomic_store(&ran_on_main, 0);
	cr_assert_eq(tern_lcore_launch_all(count_main, (void *)3, false), 0);
	cr_assert_eq(tern_lcore_wait_all(), 3);
	cr_assert_eq(atomic_load(&ran_on_main), 0);
	cr_assert_eq(tern_lcore_launch_all(count_main, (void *)0, true), 0);
	cr_assert_eq(tern_lcore_wait_all(), 0);
	cr_assert_eq(atomic_load(&ran_on_main), 1);
	/* The main lcore's value comes back through wait_all, like the workers'. */
	cr_assert_eq(tern_lcore_launch_all(count_main, (void *)-9, true), 0);
	cr_assert_eq(tern_lcore_wait_all(), -9);
	cr_assert_eq(tern_lcore_wait_all(), 0, "reported once");
	unsigned n = 0, id;

	TERN_LCORE_FOREACH_WORKER (id) {
		cr_assert_neq(id, main_id);
		n++;
	}
	cr_assert_eq(n, 1);
	n = 0;
	TERN_LCORE_FOREACH (id)
		n++;
	cr_assert_eq(n, 2);
}

static double process_cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

Test(lcore, idle_workers_do_not_spin)
{
	double before = process_cpu_seconds();
	struct timespec t = {0, 300 * 1000 * 1000};

	nanosleep(&t, NULL);
	double used = process_cpu_seconds() - before;

	cr_assert_lt(used, 0.03, "idle process used %.3f s of CPU in 0.3 s", used);
}

static void *open_gate_later(void *arg)
{
	struct timespec ms = {0, 50 * 1000 * 1000};

	(void)arg;
	nanosleep(&ms, NULL);
	/* Release: pairs with the worker's acquire load. */
	atomic_store_explicit(&gate, 1, memory_order_release);
	return NULL;
}

Test(lcore, cleanup_waits_for_running_functions)
{
	pthread_t t;

	atomic_store_explicit(&gate, 0, memory_order_relaxed);
	cr_assert_eq(tern_lcore_launch(worker_id, wait_for_gate, NULL), 0);
	pthread_create(&t, NULL, open_gate_later, NULL);
	cr_assert_eq(tern_eal_cleanup(), 0);
	/* Cleanup returned, so the function had returned: the gate was open. */
	cr_assert_eq(atomic_load_explicit(&gate, memory_order_relaxed), 1);
	pthread_join(t, NULL);
	cr_assert_not(tern_eal_is_initialized());
	cr_assert_eq(tern_lcore_id(), TERN_LCORE_ID_ANY);
	cr_assert_eq(tern_lcore_count(), 0);
}

Test(lcore, tsc_hz_is_plausible_and_cached)
{
	uint64_t hz = tern_tsc_hz();

	cr_assert_gt(hz, 100000000ull, "tsc %llu Hz", (unsigned long long)hz);
	cr_assert_lt(hz, 10000000000ull);
	cr_assert_eq(tern_tsc_hz(), hz);
	/* 50 ms of nanosleep measured in TSC ticks agrees with the clock within 5%. */
	uint64_t t0 = tern_time_ns(), c0 = tern_rdtsc();
	struct timespec s = {0, 50 * 1000 * 1000};

	nanosleep(&s, NULL);
	double ns = (double)(tern_time_ns() - t0), ticks = (double)(tern_rdtsc() - c0);
	double ratio = ticks / (double)hz * 1e9 / ns;

	cr_assert(ratio > 0.95 && ratio < 1.05, "ratio %.3f", ratio);
}

static int misuse_from_worker(void *arg)
{
	int *out = arg;

	out[0] = tern_eal_cleanup();
	out[1] = tern_lcore_wait(tern_lcore_id());
	return 0;
}

Test(lcore, cleanup_or_self_wait_on_a_worker_is_refused)
{
	int out[2] = {1, 1};

	cr_assert_eq(tern_lcore_launch(worker_id, misuse_from_worker, out), 0);
	cr_assert_eq(tern_lcore_wait(worker_id), 0);
	cr_assert_eq(out[0], -EINVAL, "a worker cannot join itself");
	cr_assert_eq(out[1], -EINVAL, "a worker cannot wait for itself");
	cr_assert(tern_eal_is_initialized());
}
