/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * eal.c - start and stop tern: logging, lcores, memory, then the port layer;
 * and the same in reverse. Init either completes or leaves nothing behind.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tern_eal.h"
#include "tern_lcore.h"
#include "eal_internal.h"
#include "eal_pci.h"
#include "pmd_internal.h"

#define ERROR_LEN 512

/* init and cleanup are serialized; everything else reads state they published. */
static pthread_mutex_t eal_lock = PTHREAD_MUTEX_INITIALIZER;
static bool eal_running; /* guarded by eal_lock */
/*
 * What readers on any thread see without taking eal_lock (the port layer
 * calls tern_eal_get_config() from inside init, with eal_lock held):
 * PHASE_OFF, PHASE_STARTING while tern_pmd_init() runs, PHASE_RUNNING.
 */
enum { PHASE_OFF, PHASE_STARTING, PHASE_RUNNING };
static _Atomic int eal_phase;
static struct tern_eal_config eal_cfg;
static enum tern_iova_mode eal_iova = TERN_IOVA_VA;
static tern_log_fn saved_log_fn;
static void *saved_log_arg;
static bool log_fn_replaced;

static _Thread_local char eal_last_error[ERROR_LEN];

void tern_eal_config_init(struct tern_eal_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->iova_mode = TERN_IOVA_DC;
}

const char *tern_eal_last_error(void)
{
	return eal_last_error;
}

void tern_eal_set_error(const char *component, const char *fmt, ...)
{
	char msg[ERROR_LEN];
	va_list ap;

	va_start(ap, fmt);
	/* The analyzer loses track of va_start here (a false positive). */
	vsnprintf(msg, sizeof(msg), fmt, ap); /* NOLINT(clang-analyzer-valist.Uninitialized) */
	va_end(ap);
	/*
	 * One line, whatever the caller quoted: a control character from user
	 * input (an argument holding a newline) would split it. Found by
	 * fuzz/fuzz_eal_args.c; replayed from fuzz/regressions/eal_args/.
	 */
	for (char *c = msg; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	/* "component: message", as the default sink prints it after "tern: ". */
	strlcpy(eal_last_error, component ? component : "tern", sizeof(eal_last_error));
	strlcat(eal_last_error, ": ", sizeof(eal_last_error));
	strlcat(eal_last_error, msg, sizeof(eal_last_error));
	tern_log(TERN_LOG_ERR, component, "%s", msg);
}

/*
 * Acquire pairs with the release stores in init and cleanup: who sees a phase
 * other than OFF also sees eal_cfg and eal_iova as they were written before.
 */
static int phase(void)
{
	return atomic_load_explicit(&eal_phase, memory_order_acquire);
}

static void set_phase(int p)
{
	/* Release: publishes eal_cfg and eal_iova; pairs with the acquire in phase(). */
	atomic_store_explicit(&eal_phase, p, memory_order_release);
}

bool tern_eal_is_initialized(void)
{
	return phase() == PHASE_RUNNING;
}

const struct tern_eal_config *tern_eal_get_config(void)
{
	return phase() != PHASE_OFF ? &eal_cfg : NULL;
}

enum tern_iova_mode tern_eal_iova_mode(void)
{
	return phase() != PHASE_OFF ? eal_iova : TERN_IOVA_VA;
}

static int check_config(const struct tern_eal_config *cfg)
{
	if (cfg->iova_mode != TERN_IOVA_DC && cfg->iova_mode != TERN_IOVA_PA &&
	    cfg->iova_mode != TERN_IOVA_VA) {
		tern_eal_set_error(EAL_LOG, "bad iova_mode %d: use TERN_IOVA_DC, _PA or _VA",
		                   (int)cfg->iova_mode);
		return -EINVAL;
	}
	if (cfg->log_level != 0 &&
	    (cfg->log_level < TERN_LOG_EMERG || cfg->log_level > TERN_LOG_DEBUG)) {
		tern_eal_set_error(EAL_LOG, "bad log_level %d: use 1 (emerg) to 8 (debug)",
		                   cfg->log_level);
		return -EINVAL;
	}
	if (cfg->nb_pci > TERN_EAL_MAX_DEVARGS || cfg->nb_vdev > TERN_EAL_MAX_DEVARGS ||
	    cfg->nb_plugins > TERN_EAL_MAX_PLUGINS ||
	    cfg->nb_log_levels > TERN_EAL_MAX_LOG_LEVELS) {
		tern_eal_set_error(EAL_LOG,
		                   "too many devices, plugins or log levels in the config");
		return -EINVAL;
	}
	for (unsigned i = 0; i < cfg->nb_log_levels; i++) {
		int l = cfg->log_levels[i].level;

		if (l < TERN_LOG_EMERG || l > TERN_LOG_DEBUG ||
		    memchr(cfg->log_levels[i].component, '\0', TERN_LOG_COMPONENT_LEN) == NULL ||
		    cfg->log_levels[i].component[0] == '\0') {
			tern_eal_set_error(EAL_LOG, "bad log_levels[%u] in the config", i);
			return -EINVAL;
		}
	}
	return 0;
}

static void restore_log(void)
{
	eal_log_restore_levels();
	if (log_fn_replaced)
		tern_log_set_callback(saved_log_fn, saved_log_arg);
	log_fn_replaced = false;
}

int tern_eal_init(const struct tern_eal_config *cfg)
{
	struct tern_eal_config defaults;
	enum tern_iova_mode iova;
	int ret;

	if (cfg == NULL) {
		tern_eal_config_init(&defaults);
		cfg = &defaults;
	}
	pthread_mutex_lock(&eal_lock);
	if (eal_running) {
		pthread_mutex_unlock(&eal_lock);
		tern_eal_set_error(EAL_LOG, "tern is already initialized: call tern_eal_cleanup() "
		                            "before initializing it again");
		return -EALREADY;
	}
	eal_last_error[0] = '\0';
	ret = check_config(cfg);
	if (ret)
		goto out;

	/* Logging first, so that every later error goes where the host wants it. */
	if (cfg->log_fn) {
		eal_log_get_callback(&saved_log_fn, &saved_log_arg);
		log_fn_replaced = true;
		tern_log_set_callback(cfg->log_fn, cfg->log_arg);
	}
	eal_log_save_levels();
	if (cfg->log_level)
		tern_log_set_level(NULL, (enum tern_log_level)cfg->log_level);
	for (unsigned i = 0; i < cfg->nb_log_levels; i++)
		tern_log_set_level(cfg->log_levels[i].component,
		                   (enum tern_log_level)cfg->log_levels[i].level);

	/*
	 * The IOVA mode is fixed before any memory is handed out: VA unless a -a
	 * device has no IOMMU in front of it (no-IOMMU VFIO or sysfs), which
	 * needs physical addresses (eal/pci.c).
	 */
	ret = eal_pci_choose_iova(cfg, &iova);
	if (ret)
		goto err_log;

	ret = eal_lcore_init(cfg);
	if (ret)
		goto err_log;
	ret = eal_memory_init(cfg, iova);
	if (ret)
		goto err_lcore;
	eal_cfg = *cfg;
	eal_iova = iova;
	set_phase(PHASE_STARTING);
	ret = tern_pmd_init(&eal_cfg);
	if (ret) {
		set_phase(PHASE_OFF);
		if (eal_last_error[0] == '\0')
			tern_eal_set_error(EAL_LOG, "the port layer failed to start: %s",
			                   strerror(-ret));
		goto err_memory;
	}
	eal_running = true;
	set_phase(PHASE_RUNNING);
	tern_log(TERN_LOG_DEBUG, EAL_LOG, "initialized: %u lcores, main lcore %u, iova %s",
	         tern_lcore_count(), tern_lcore_main(), iova == TERN_IOVA_PA ? "pa" : "va");
	goto out;

err_memory:
	eal_memory_cleanup();
err_lcore:
	eal_lcore_cleanup();
err_log:
	restore_log();
out:
	pthread_mutex_unlock(&eal_lock);
	return ret;
}

int tern_eal_cleanup(void)
{
	unsigned self = tern_lcore_id();

	pthread_mutex_lock(&eal_lock);
	if (!eal_running) {
		pthread_mutex_unlock(&eal_lock);
		return -EINVAL;
	}
	/* A worker cannot wait for (and join) itself. */
	if (self != TERN_LCORE_ID_ANY && self != tern_lcore_main()) {
		pthread_mutex_unlock(&eal_lock);
		tern_eal_set_error(EAL_LOG,
		                   "tern_eal_cleanup() called on worker lcore %u: call it from the "
		                   "main lcore or a thread that is not an lcore",
		                   self);
		return -EINVAL;
	}
	/* Let launched functions return before the ports and memory go away. */
	tern_lcore_wait_all();
	set_phase(PHASE_STARTING); /* config stays readable while ports close */
	tern_pmd_cleanup();
	set_phase(PHASE_OFF);
	eal_lcore_cleanup();
	eal_memory_cleanup();
	restore_log();
	eal_running = false;
	pthread_mutex_unlock(&eal_lock);
	return 0;
}

int tern_eal_init_args(int argc, char *const argv[])
{
	struct tern_eal_config cfg;
	int n, ret;

	tern_eal_config_init(&cfg);
	n = tern_eal_parse_args(&cfg, argc, argv);
	if (n < 0)
		return n;
	ret = tern_eal_init(&cfg);
	return ret < 0 ? ret : n;
}
