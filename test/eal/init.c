/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * init.c - tern_eal_init()/cleanup() as an embedder relies on them: run twice
 * is refused, a hundred cycles leak nothing, the caller's affinity and
 * signal handlers are left alone, and logs reach the host's callback.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>

#include <criterion/criterion.h>

#include "tern_test.h"
#include "tern_eal.h"
#include "tern_lcore.h"
#include "tern_memory.h"

/* The first two CPUs this process may use, as "a,b" (or one CPU if only one). */
static void two_cores(char *buf, size_t len, int *first)
{
	cpu_set_t set;
	int found[2], n = 0;

	sched_getaffinity(0, sizeof(set), &set);
	for (int c = 0; c < CPU_SETSIZE && n < 2; c++)
		if (CPU_ISSET(c, &set))
			found[n++] = c;
	if (n == 2)
		snprintf(buf, len, "%d,%d", found[0], found[1]);
	else
		snprintf(buf, len, "%d", found[0]);
	*first = found[0];
}

Test(init, twice_is_ealready_and_cleanup_without_init_is_einval)
{
	cr_assert_eq(tern_eal_cleanup(), -EINVAL);
	cr_assert_not(tern_eal_is_initialized());
	cr_assert_null(tern_eal_get_config());
	cr_assert_eq(tern_test_eal_init(NULL), 0, "%s", tern_eal_last_error());
	cr_assert(tern_eal_is_initialized());
	cr_assert_eq(tern_test_eal_init(NULL), -EALREADY);
	cr_assert_str_eq(tern_eal_last_error(), "eal: tern is already initialized: call "
	                                        "tern_eal_cleanup() before initializing it again");
	cr_assert_eq(tern_eal_cleanup(), 0);
	cr_assert_eq(tern_eal_cleanup(), -EINVAL);
	cr_assert_not(tern_eal_is_initialized());
}

Test(init, config_is_kept_and_iova_dont_care_means_va)
{
	struct tern_eal_config cfg;

	tern_eal_config_init(&cfg);
	cfg.no_huge = true;
	cfg.mem_mb = 77;
	cr_assert_eq(cfg.iova_mode, TERN_IOVA_DC);
	cr_assert_eq(tern_eal_init(&cfg), 0, "%s", tern_eal_last_error());
	cr_assert_eq(tern_eal_get_config()->mem_mb, 77);
	cr_assert_eq(tern_eal_iova_mode(), TERN_IOVA_VA);
	cr_assert_eq(tern_lcore_count(), 1);
	cr_assert_eq(tern_lcore_id(), tern_lcore_main());
	cr_assert_eq(tern_eal_cleanup(), 0);
	cr_assert_eq(tern_lcore_id(), TERN_LCORE_ID_ANY);
}

static int touch_dma(void *arg)
{
	void *p = tern_dma_zalloc("cycle-worker", 8192, 0, TERN_SOCKET_ID_ANY);

	(void)arg;
	if (p == NULL)
		return -1;
	tern_dma_free(p);
	return 7;
}

static void one_cycle(const char *cores)
{
	cr_assert_eq(tern_test_eal_init(cores), 0, "%s", tern_eal_last_error());
	void *p = tern_dma_zalloc("cycle", 1 << 20, 0, TERN_SOCKET_ID_ANY);

	cr_assert_not_null(p);
	unsigned w = tern_lcore_next(-1, true);

	if (w < TERN_MAX_LCORE) {
		cr_assert_eq(tern_lcore_launch(w, touch_dma, NULL), 0);
		cr_assert_eq(tern_lcore_wait(w), 7);
	}
	tern_dma_free(p);
	cr_assert_eq(tern_dma_allocated(), 0);
	cr_assert_eq(tern_eal_cleanup(), 0);
}

Test(init, hundred_cycles_leak_no_fds_mappings_or_threads, .timeout = 60)
{
	char cores[32];
	int first;

	two_cores(cores, sizeof(cores), &first);
	/* Warm up: the C library keeps its own caches (malloc arenas) after first use. */
	for (int i = 0; i < 3; i++)
		one_cycle(cores);
	int fds = tern_test_open_fds(), threads = tern_test_threads();
	size_t mapped = tern_test_mapped_bytes();

	for (int i = 0; i < 100; i++)
		one_cycle(cores);
	cr_assert_eq(tern_test_open_fds(), fds);
	cr_assert_eq(tern_test_threads(), threads);
	/*
	 * Each cycle maps 1 MiB of DMA memory and an 8 MiB worker stack: a leak of
	 * either would grow the total by 100 MiB or more. The 1 MiB of slack is
	 * for allocators that keep caches of their own (ASan's quarantine).
	 */
	size_t now = tern_test_mapped_bytes();

	cr_assert_lt(now, mapped + (1u << 20), "mapped %zu, was %zu", now, mapped);
}

Test(init, worker_threads_exist_only_while_running)
{
	char cores[32];
	int first, before = tern_test_threads();

	two_cores(cores, sizeof(cores), &first);
	cr_assert_eq(tern_test_eal_init(cores), 0, "%s", tern_eal_last_error());
	cr_assert_eq(tern_test_threads(), before + (int)tern_lcore_count() - 1);
	cr_assert_eq(tern_eal_cleanup(), 0);
	cr_assert_eq(tern_test_threads(), before);
}

static bool same_affinity(const cpu_set_t *a, const cpu_set_t *b)
{
	return CPU_EQUAL(a, b);
}

Test(init, caller_affinity_unchanged_unless_pin_main)
{
	struct tern_eal_config cfg;
	cpu_set_t before, now;
	char cores[32];
	int first;

	two_cores(cores, sizeof(cores), &first);
	pthread_getaffinity_np(pthread_self(), sizeof(before), &before);

	tern_eal_config_init(&cfg);
	cfg.no_huge = true;
	strcpy(cfg.cores, cores);
	cr_assert_eq(tern_eal_init(&cfg), 0, "%s", tern_eal_last_error());
	pthread_getaffinity_np(pthread_self(), sizeof(now), &now);
	cr_assert(same_affinity(&before, &now), "init changed the caller's affinity");
	cr_assert_eq(tern_lcore_main(), (unsigned)first);
	cr_assert_eq(tern_eal_cleanup(), 0);

	cfg.pin_main = true;
	cr_assert_eq(tern_eal_init(&cfg), 0, "%s", tern_eal_last_error());
	pthread_getaffinity_np(pthread_self(), sizeof(now), &now);
	cr_assert_eq(CPU_COUNT(&now), 1);
	cr_assert(CPU_ISSET(first, &now));
	cr_assert_eq(tern_eal_cleanup(), 0);
	/* Cleanup gives back what init took, the pinning included. */
	pthread_getaffinity_np(pthread_self(), sizeof(now), &now);
	cr_assert(same_affinity(&before, &now));
}

Test(init, installs_no_signal_handlers)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGSEGV, SIGBUS, SIGPIPE, SIGCHLD, SIGUSR1};
	struct sigaction before[7], after;
	char cores[32];
	int first;

	two_cores(cores, sizeof(cores), &first);
	for (int i = 0; i < 7; i++)
		sigaction(sigs[i], NULL, &before[i]);
	cr_assert_eq(tern_test_eal_init(cores), 0, "%s", tern_eal_last_error());
	void *p = tern_dma_zalloc("sig", 4096, 0, TERN_SOCKET_ID_ANY);
	for (int i = 0; i < 7; i++) {
		sigaction(sigs[i], NULL, &after);
		cr_assert_eq((void *)after.sa_handler, (void *)before[i].sa_handler, "signal %d",
		             sigs[i]);
		cr_assert_eq(after.sa_flags, before[i].sa_flags);
	}
	tern_dma_free(p);
	cr_assert_eq(tern_eal_cleanup(), 0);
}

#define MAX_LINES 16
struct capture {
	int n;
	enum tern_log_level level[MAX_LINES];
	char component[MAX_LINES][32];
	char msg[MAX_LINES][512];
};

static void capture_fn(void *arg, enum tern_log_level level, const char *component, const char *msg)
{
	struct capture *c = arg;

	if (c->n == MAX_LINES)
		return;
	c->level[c->n] = level;
	snprintf(c->component[c->n], sizeof(c->component[0]), "%s", component);
	snprintf(c->msg[c->n], sizeof(c->msg[0]), "%s", msg);
	c->n++;
}

Test(init, log_callback_gets_component_and_levels_filter)
{
	static struct capture cap;
	struct tern_eal_config cfg;

	tern_eal_config_init(&cfg);
	cfg.no_huge = true;
	cfg.log_fn = capture_fn;
	cfg.log_arg = &cap;
	cfg.nb_log_levels = 1;
	strcpy(cfg.log_levels[0].component, "loud");
	cfg.log_levels[0].level = TERN_LOG_DEBUG;
	cr_assert_eq(tern_eal_init(&cfg), 0, "%s", tern_eal_last_error());
	cr_assert_eq(tern_log_get_level("loud"), TERN_LOG_DEBUG);

	/* An error inside tern arrives as one line from the "eal" component. */
	cap.n = 0;
	cr_assert_null(tern_dma_zalloc("bad", 4096, 3, TERN_SOCKET_ID_ANY));
	cr_assert_eq(tern_errno, EINVAL);
	cr_assert_eq(cap.n, 1);
	cr_assert_str_eq(cap.component[0], "eal");
	cr_assert_eq(cap.level[0], TERN_LOG_ERR);
	cr_assert(strstr(cap.msg[0], "'bad'") != NULL, "%s", cap.msg[0]);
	cr_assert_null(strchr(cap.msg[0], '\n'));

	/* Default level NOTICE: info is dropped, notice passes; per-component overrides. */
	cap.n = 0;
	tern_log(TERN_LOG_INFO, "quiet", "dropped");
	tern_log(TERN_LOG_NOTICE, "quiet", "kept %d\n", 1);
	tern_log(TERN_LOG_DEBUG, "loud", "debug kept");
	cr_assert_eq(tern_log_set_level("quiet", TERN_LOG_ERR), 0);
	tern_log(TERN_LOG_WARNING, "quiet", "dropped too");
	tern_log(TERN_LOG_ERR, "quiet", "err kept");
	cr_assert_eq(cap.n, 3);
	cr_assert_str_eq(cap.msg[0], "kept 1");
	cr_assert_str_eq(cap.component[0], "quiet");
	cr_assert_str_eq(cap.msg[1], "debug kept");
	cr_assert_str_eq(cap.msg[2], "err kept");
	cr_assert_eq(cap.level[2], TERN_LOG_ERR);

	/* Setting all components resets the overrides too. */
	cr_assert_eq(tern_log_set_level(NULL, TERN_LOG_WARNING), 0);
	cr_assert_eq(tern_log_get_level("loud"), TERN_LOG_WARNING);
	cr_assert_eq(tern_log_get_level("anything"), TERN_LOG_WARNING);
	cr_assert_eq(tern_log_set_level("x", (enum tern_log_level)9), -EINVAL);
	tern_log_reset();
	cr_assert_eq(tern_log_get_level("loud"), TERN_LOG_NOTICE);

	cr_assert_eq(tern_eal_cleanup(), 0);
	/* The sink init replaced is back: nothing reaches the callback any more. */
	cap.n = 0;
	tern_log(TERN_LOG_ERR, "test", "after cleanup (expected on stderr)");
	cr_assert_eq(cap.n, 0);
}

Test(init, level_names_and_numbers_parse)
{
	static const struct {
		const char *s;
		int level;
	} t[] = {{"1", 1},        {"8", 8},         {"emerg", 1},       {"alert", 2},
	         {"crit", 3},     {"err", 4},       {"error", 4},       {"warning", 5},
	         {"warn", 5},     {"notice", 6},    {"info", 7},        {"debug", 8},
	         {"DEBUG", 8},    {"0", -EINVAL},   {"9", -EINVAL},     {"", -EINVAL},
	         {"07", -EINVAL}, {"deb", -EINVAL}, {"debug ", -EINVAL}};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		cr_assert_eq(tern_log_level_parse(t[i].s), t[i].level, "'%s'", t[i].s);
	cr_assert_eq(tern_log_level_parse(NULL), -EINVAL);
}

Test(init, bad_core_list_fails_cleanly_and_init_works_after)
{
	struct tern_eal_config cfg;
	int fds = tern_test_open_fds(), threads = tern_test_threads();
	char want[160];

	tern_eal_config_init(&cfg);
	cfg.no_huge = true;
	snprintf(cfg.cores, sizeof(cfg.cores), "0,%d", 127);
	cr_assert_eq(tern_eal_init(&cfg), -EINVAL);
	snprintf(want, sizeof(want),
	         "eal: core 127 in '0,127' does not exist: this machine has "
	         "cores 0-%d",
	         (int)sysconf(_SC_NPROCESSORS_CONF) - 1);
	cr_assert_str_eq(tern_eal_last_error(), want);
	strcpy(cfg.cores, "0-");
	cr_assert_eq(tern_eal_init(&cfg), -EINVAL);
	cr_assert_str_eq(tern_eal_last_error(), "eal: bad core list '0-' for cfg.cores (-l): use "
	                                        "numbers and ranges like 0-3,6");
	cr_assert_not(tern_eal_is_initialized());
	cr_assert_eq(tern_test_open_fds(), fds);
	cr_assert_eq(tern_test_threads(), threads);
	cr_assert_eq(tern_test_eal_init(NULL), 0, "%s", tern_eal_last_error());
	cr_assert_eq(tern_eal_cleanup(), 0);
}

/*
 * The allowed cores are the process's (its cpuset), not the calling thread's
 * mask: a caller pinned to one CPU may ask for another. The refusal of a core
 * outside the process's cpuset, and its error line, are in test/embed/cores.c.
 */
Test(init, core_outside_the_callers_mask_is_accepted)
{
	cpu_set_t set, one;
	struct tern_eal_config cfg;

	sched_getaffinity(0, sizeof(set), &set);
	if (CPU_COUNT(&set) < 2)
		cr_skip_test("needs two CPUs");
	/* Pin the caller to the first CPU, then ask for the second. */
	int a = -1, b = -1;

	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set)) {
			if (a < 0)
				a = c;
			else if (b < 0)
				b = c;
		}
	CPU_ZERO(&one);
	CPU_SET(a, &one);
	sched_setaffinity(0, sizeof(one), &one);
	tern_eal_config_init(&cfg);
	cfg.no_huge = true;
	snprintf(cfg.cores, sizeof(cfg.cores), "%d", b);
	cr_assert_eq(tern_eal_init(&cfg), 0, "%s", tern_eal_last_error());
	cr_assert_eq(tern_lcore_main(), (unsigned)b);
	cr_assert_eq(tern_eal_cleanup(), 0);
	sched_setaffinity(0, sizeof(set), &set);
}

Test(init, port_layer_failure_unwinds_everything)
{
	struct tern_eal_config cfg;
	char cores[32];
	int first, fds = tern_test_open_fds(), threads = tern_test_threads();

	/* A plugin path that does not exist: the port layer refuses it at init. */
	two_cores(cores, sizeof(cores), &first);
	tern_eal_config_init(&cfg);
	cfg.no_huge = true;
	strcpy(cfg.cores, cores);
	cfg.nb_plugins = 1;
	strcpy(cfg.plugins[0], "/nonexistent/tern-plugin.so");
	int ret = tern_eal_init(&cfg);

	cr_assert_lt(ret, 0);
	cr_assert_neq(tern_eal_last_error()[0], '\0');
	cr_assert_not(tern_eal_is_initialized());
	cr_assert_eq(tern_lcore_id(), TERN_LCORE_ID_ANY);
	cr_assert_eq(tern_test_threads(), threads);
	cr_assert_eq(tern_test_open_fds(), fds);
	cr_assert_null(tern_dma_zalloc("after-failed-init", 4096, 0, TERN_SOCKET_ID_ANY));
	cr_assert_eq(tern_test_eal_init(cores), 0, "%s", tern_eal_last_error());
	cr_assert_eq(tern_eal_cleanup(), 0);
}

Test(init, config_log_levels_apply_at_init_and_are_undone_at_cleanup)
{
	struct tern_eal_config cfg;

	cr_assert_eq(tern_log_set_level("host", TERN_LOG_DEBUG), 0);
	tern_eal_config_init(&cfg);
	cfg.no_huge = true;
	cfg.log_level = TERN_LOG_ERR;
	cfg.nb_log_levels = 1;
	strcpy(cfg.log_levels[0].component, "eal");
	cfg.log_levels[0].level = TERN_LOG_INFO;
	cr_assert_eq(tern_eal_init(&cfg), 0, "%s", tern_eal_last_error());
	cr_assert_eq(tern_log_get_level("host"), TERN_LOG_ERR, "the global level covers all");
	cr_assert_eq(tern_log_get_level("other"), TERN_LOG_ERR);
	cr_assert_eq(tern_log_get_level("eal"), TERN_LOG_INFO);
	cr_assert_eq(tern_eal_cleanup(), 0);
	cr_assert_eq(tern_log_get_level("host"), TERN_LOG_DEBUG, "the host's own levels are back");
	cr_assert_eq(tern_log_get_level("eal"), TERN_LOG_NOTICE);
	cr_assert_eq(tern_log_get_level(NULL), TERN_LOG_NOTICE);

	cfg.log_level = 9;
	cr_assert_eq(tern_eal_init(&cfg), -EINVAL);
	cr_assert_str_eq(tern_eal_last_error(), "eal: bad log_level 9 in the config: use 0 (leave as "
	                                         "is), 1 (emerg) to 8 (debug)");
}
