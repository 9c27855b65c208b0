/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tern_eal.h - the environment abstraction layer: start and stop tern.
 *
 * An application either fills a struct tern_eal_config and calls
 * tern_eal_init(), or hands its command line to tern_eal_parse_args() (the
 * DPDK-style options) first. Nothing here installs signal handlers, changes
 * the calling thread's CPU affinity (unless cfg.pin_main asks for it) or
 * exits the process. tern_eal_cleanup() gives back every thread, mapping and
 * descriptor, after which tern_eal_init() may run again in the same process.
 */
#ifndef TERN_EAL_H
#define TERN_EAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tern_common.h"
#include "tern_error.h"
#include "tern_log.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TERN_MAX_LCORE          128 /* lcore ids run from 0 to TERN_MAX_LCORE - 1 */
#define TERN_MAX_NUMA_NODES     8
#define TERN_EAL_MAX_DEVARGS    32
#define TERN_EAL_MAX_PLUGINS    16
#define TERN_DEVARG_NAME_LEN    64
#define TERN_DEVARG_ARGS_LEN    256
#define TERN_EAL_PATH_LEN       512
#define TERN_EAL_CORELIST_LEN   256
#define TERN_EAL_MAX_LOG_LEVELS 16

enum tern_iova_mode {
	/*
	 * Don't care: VA, unless a -a device is reached without an IOMMU
	 * (no-IOMMU VFIO, sysfs) or through one narrower than user addresses;
	 * then PA.
	 */
	TERN_IOVA_DC = 0,
	TERN_IOVA_PA = 1, /* physical addresses from /proc/self/pagemap (needs root) */
	TERN_IOVA_VA = 2, /* virtual addresses (an IOMMU, or software-only ports) */
};

/* A per-component log level: "--log-level eal:debug". */
struct tern_eal_log_level {
	char component[TERN_LOG_COMPONENT_LEN];
	int level; /* a tern_log_level */
};

/* A device named on the command line: "-a 0000:00:03.0,k=v" or "--vdev null0,size=64". */
struct tern_eal_devarg {
	char name[TERN_DEVARG_NAME_LEN]; /* PCI address or vdev name */
	char args[TERN_DEVARG_ARGS_LEN]; /* "k=v,k=v", possibly empty */
};

struct tern_eal_config {
	/*
	 * Cores for lcores, as "0-3,6" (-l). The first is the main lcore: the
	 * thread calling tern_eal_init(); the others get pinned worker threads.
	 * Empty: one lcore, on the CPU the calling thread runs on now.
	 */
	char cores[TERN_EAL_CORELIST_LEN];
	bool pin_main; /* pin the calling thread to the main lcore's core */
	bool no_huge;  /* --no-huge: locked 4 KiB pages instead of hugepages */
	size_t mem_mb; /* -m: most DMA memory to use, in MiB (0: no limit) */
	size_t socket_mem_mb[TERN_MAX_NUMA_NODES]; /* --socket-mem: per-socket limit (0: none) */
	enum tern_iova_mode iova_mode;             /* --iova-mode */
	int log_level;                             /* 0: leave as is; else a tern_log_level */
	unsigned nb_pci;                           /* -a */
	struct tern_eal_devarg pci[TERN_EAL_MAX_DEVARGS];
	unsigned nb_vdev; /* --vdev */
	struct tern_eal_devarg vdev[TERN_EAL_MAX_DEVARGS];
	unsigned nb_plugins; /* -d FILE|DIR */
	char plugins[TERN_EAL_MAX_PLUGINS][TERN_EAL_PATH_LEN];
	tern_log_fn log_fn; /* NULL: keep the current sink */
	void *log_arg;
	/* --log-level COMPONENT:LEVEL, applied at init after log_level. */
	unsigned nb_log_levels;
	struct tern_eal_log_level log_levels[TERN_EAL_MAX_LOG_LEVELS];
};

/* Fill cfg with the defaults (all zero but for the fields that say otherwise). */
void tern_eal_config_init(struct tern_eal_config *cfg);

/*
 * Parse DPDK-style EAL options from argv[1..argc-1] into cfg:
 *   -l CORELIST, -a PCI_ADDR[,k=v], --vdev NAME[,k=v...], -d PATH, --no-huge,
 *   -m MB, --socket-mem MB[,MB...], --log-level [COMPONENT:]LEVEL,
 *   --iova-mode pa|va, and "--" which ends them.
 * Both "--opt value" and "--opt=value" work, and "-lVALUE" for short ones.
 * Parsing stops after "--" or before the first argument that is not an EAL
 * option. argv[0] is the program name and is never counted; argv is not
 * modified.
 *
 * Returns the number of arguments consumed after argv[0] (so the
 * application's own arguments are argv[1 + n] .. argv[argc - 1]), or a
 * negative errno; on error tern_eal_last_error() holds one line saying what
 * is wrong and how to fix it, and the same line is logged.
 */
int tern_eal_parse_args(struct tern_eal_config *cfg, int argc, char *const argv[]);

/*
 * Start tern: logging, lcores, memory, NUMA, plugins and devices; the ports
 * exist when it returns. Returns 0, -EALREADY if tern is running, or another
 * negative errno with tern_last_error() set. (Defined by the port layer,
 * the top of the library: the EAL's part plus the ports; pmd/init.c.)
 */
int tern_eal_init(const struct tern_eal_config *cfg);

/*
 * A layer above the EAL that starts and stops with it. The EAL calls init
 * last in tern_eal_init_layer() (memory and lcores are up, the config is
 * readable with tern_eal_get_config()) and cleanup first in
 * tern_eal_cleanup(). init fails with a negative errno after tern_error().
 */
struct tern_eal_layer {
	const char *name; /* for the error line: "port" */
	int (*init)(const struct tern_eal_config *cfg);
	void (*cleanup)(void);
};

/*
 * The EAL's own init, then layer->init (NULL: none). tern_eal_init() is this
 * with the port layer; a host or test that needs no ports may call it with
 * NULL. Returns as tern_eal_init().
 */
int tern_eal_init_layer(const struct tern_eal_config *cfg, const struct tern_eal_layer *layer);

/*
 * Convenience for DPDK-style mains: config_init + parse_args + init.
 * Returns the number of arguments consumed after argv[0] or a negative errno.
 */
int tern_eal_init_args(int argc, char *const argv[]);

/*
 * Stop tern: wait for and join worker lcores, close devices, unload plugins,
 * give back all memory. Returns 0 or -EINVAL if tern is not running.
 * Objects created from tern memory (mempools, rings) must be freed first;
 * what is still allocated is reported in the log and unmapped.
 */
int tern_eal_cleanup(void);

bool tern_eal_is_initialized(void);

/* The configuration tern was started with (valid between init and cleanup). */
const struct tern_eal_config *tern_eal_get_config(void);

/* The older name of tern_last_error() (tern_error.h). */
const char *tern_eal_last_error(void);

/*
 * The older form of tern_error(): records and logs the same way, but leaves
 * tern_errno alone and returns nothing. New code calls tern_error().
 */
void tern_eal_set_error(const char *component, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The IOVA mode in force after init (never TERN_IOVA_DC). */
enum tern_iova_mode tern_eal_iova_mode(void);

#ifdef __cplusplus
}
#endif

#endif /* TERN_EAL_H */
