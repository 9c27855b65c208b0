/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * eal.c - start and stop tern: logging, lcores, memory, then the layer above
 * (the port layer, which passes itself in: pmd/init.c); and the same in
 * reverse. Init either completes or leaves nothing behind.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tern_eal.h"
#include "tern_error.h"
#include "tern_lcore.h"
#include "eal_internal.h"
#include "eal_pci.h"

/* init and cleanup are serialized; everything else reads state they published. */
static pthread_mutex_t eal_lock = PTHREAD_MUTEX_INITIALIZER;
static bool eal_running; /* guarded by eal_lock */
/*
 * What readers on any thread see without taking eal_lock (the port layer
 * calls tern_eal_get_config() from inside init, with eal_lock held):
 * PHASE_OFF, PHASE_STARTING while the upper layer starts or stops, PHASE_RUNNING.
 */
enum { PHASE_OFF, PHASE_STARTING, PHASE_RUNNING };
static _Atomic int eal_phase;
static struct tern_eal_config eal_cfg;
static enum tern_iova_mode eal_iova = TERN_IOVA_VA;
static tern_log_fn saved_log_fn;
static void *saved_log_arg;
static bool log_fn_replaced;
static const struct tern_eal_layer *eal_layer; /* guarded by eal_lock */

void tern_eal_config_init(struct tern_eal_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->iova_mode = TERN_IOVA_DC;
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

/*
 * One line per bad field, naming it, so that a host that fills the struct by
 * hand knows which one to fix.
 */
static int check_count(const char *field, unsigned n, unsigned max)
{
	if (n <= max)
		return 0;
	return tern_error(EINVAL, EAL_LOG, "bad %s %u in the config: at most %u", field, n, max);
}

static bool terminated(const char *s, size_t len)
{
	return memchr(s, '\0', len) != NULL;
}

static int check_config(const struct tern_eal_config *cfg)
{
	int ret;

	if (cfg->iova_mode != TERN_IOVA_DC && cfg->iova_mode != TERN_IOVA_PA &&
	    cfg->iova_mode != TERN_IOVA_VA)
		return tern_error(EINVAL, EAL_LOG,
		                  "bad iova_mode %d in the config: use TERN_IOVA_DC, _PA or _VA",
		                  (int)cfg->iova_mode);
	if (cfg->log_level != 0 &&
	    (cfg->log_level < TERN_LOG_EMERG || cfg->log_level > TERN_LOG_DEBUG))
		return tern_error(EINVAL, EAL_LOG,
		                  "bad log_level %d in the config: use 0 (leave as is), 1 (emerg) "
		                  "to 8 (debug)",
		                  cfg->log_level);
	if ((ret = check_count("nb_pci", cfg->nb_pci, TERN_EAL_MAX_DEVARGS)) ||
	    (ret = check_count("nb_vdev", cfg->nb_vdev, TERN_EAL_MAX_DEVARGS)) ||
	    (ret = check_count("nb_plugins", cfg->nb_plugins, TERN_EAL_MAX_PLUGINS)) ||
	    (ret = check_count("nb_log_levels", cfg->nb_log_levels, TERN_EAL_MAX_LOG_LEVELS)))
		return ret;
	if (!terminated(cfg->cores, sizeof(cfg->cores)))
		return tern_error(EINVAL, EAL_LOG,
		                  "bad cores in the config: not a string of at most %zu characters",
		                  sizeof(cfg->cores) - 1);
	for (unsigned i = 0; i < cfg->nb_pci + cfg->nb_vdev; i++) {
		bool pci = i < cfg->nb_pci;
		const struct tern_eal_devarg *da = pci ? &cfg->pci[i] : &cfg->vdev[i - cfg->nb_pci];
		unsigned j = pci ? i : i - cfg->nb_pci;

		if (!terminated(da->name, sizeof(da->name)) ||
		    !terminated(da->args, sizeof(da->args)))
			return tern_error(
			    EINVAL, EAL_LOG,
			    "bad %s[%u] in the config: name and args must be strings of "
			    "at most %zu and %zu characters",
			    pci ? "pci" : "vdev", j, sizeof(da->name) - 1, sizeof(da->args) - 1);
	}
	for (unsigned i = 0; i < cfg->nb_plugins; i++)
		if (!terminated(cfg->plugins[i], sizeof(cfg->plugins[i])))
			return tern_error(EINVAL, EAL_LOG,
			                  "bad plugins[%u] in the config: not a path of at most %d "
			                  "characters",
			                  i, TERN_EAL_PATH_LEN - 1);
	for (unsigned i = 0; i < cfg->nb_log_levels; i++) {
		const struct tern_eal_log_level *ll = &cfg->log_levels[i];

		if (ll->level < TERN_LOG_EMERG || ll->level > TERN_LOG_DEBUG)
			return tern_error(
			    EINVAL, EAL_LOG,
			    "bad log_levels[%u].level %d in the config: use 1 (emerg) "
			    "to 8 (debug)",
			    i, ll->level);
		if (memchr(ll->component, '\0', TERN_LOG_COMPONENT_LEN) == NULL ||
		    ll->component[0] == '\0')
			return tern_error(
			    EINVAL, EAL_LOG,
			    "bad log_levels[%u].component in the config: give a name of "
			    "1-%d characters",
			    i, TERN_LOG_COMPONENT_LEN - 1);
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

int tern_eal_init_layer(const struct tern_eal_config *cfg, const struct tern_eal_layer *layer)
{
	struct tern_eal_config defaults;
	enum tern_iova_mode iova;
	unsigned long errors;
	int ret;

	if (cfg == NULL) {
		tern_eal_config_init(&defaults);
		cfg = &defaults;
	}
	pthread_mutex_lock(&eal_lock);
	if (eal_running) {
		pthread_mutex_unlock(&eal_lock);
		return tern_error(EALREADY, EAL_LOG,
		                  "tern is already initialized: call tern_eal_cleanup() before "
		                  "initializing it again");
	}
	tern_error_clear();
	/*
	 * The host's sink first, so that every line of init, the config's own
	 * errors included, goes where the host wants it.
	 */
	eal_log_get_callback(&saved_log_fn, &saved_log_arg);
	if (cfg->log_fn) {
		log_fn_replaced = true;
		tern_log_set_callback(cfg->log_fn, cfg->log_arg);
	}
	eal_log_save_levels();
	ret = check_config(cfg);
	if (ret)
		goto err_log;
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
	eal_layer = layer;
	set_phase(PHASE_STARTING);
	errors = tern_error_count();
	ret = layer && layer->init ? layer->init(&eal_cfg) : 0;
	if (ret) {
		set_phase(PHASE_OFF);
		eal_layer = NULL;
		if (tern_error_count() == errors)
			ret = tern_error(ret, EAL_LOG, "the %s layer failed to start: %s",
			                 layer->name ? layer->name : "upper", strerror(-ret));
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
		return tern_error(EINVAL, EAL_LOG,
		                  "tern_eal_cleanup() called on worker lcore %u: call it from the "
		                  "main lcore or a thread that is not an lcore",
		                  self);
	}
	/* Let launched functions return before the ports and memory go away. */
	tern_lcore_wait_all();
	set_phase(PHASE_STARTING); /* config stays readable while ports close */
	if (eal_layer && eal_layer->cleanup)
		eal_layer->cleanup();
	eal_layer = NULL;
	set_phase(PHASE_OFF);
	eal_lcore_cleanup();
	eal_memory_cleanup();
	restore_log();
	eal_running = false;
	pthread_mutex_unlock(&eal_lock);
	return 0;
}
