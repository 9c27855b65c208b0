/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * eal_internal.h - how the pieces of the EAL talk to each other. Not installed.
 */
#ifndef TERN_EAL_INTERNAL_H
#define TERN_EAL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "tern_eal.h"
#include "tern_log.h"

#define EAL_LOG "eal"

/* log.c: the sink in force, so that cleanup can put back what init replaced. */
void eal_log_get_callback(tern_log_fn *fn, void **arg);

/* log.c: keep the levels before init applies the config's; put them back. */
void eal_log_save_levels(void);
void eal_log_restore_levels(void);

/*
 * lcore.c: parse a core list ("0-3,6") into cpus[] in the order written.
 * `what` names where the list came from ("-l", "cfg.cores") for the error
 * line. Only syntax, range and duplicates are checked here. Returns the
 * number of cores or -EINVAL with the last error set.
 */
int eal_parse_corelist(const char *list, const char *what, int *cpus, unsigned max);

/* lcore.c: create the lcores of cfg->cores; undo it. */
int eal_lcore_init(const struct tern_eal_config *cfg);
void eal_lcore_cleanup(void);

/* memory.c: check hugepages and take the limits of cfg; free what is left. */
int eal_memory_init(const struct tern_eal_config *cfg, enum tern_iova_mode iova);
void eal_memory_cleanup(void);

/*
 * memory.c: an IOMMU that must know every DMA allocation (VFIO type1).
 * Setting the hook maps every allocation that exists now and every later
 * one (and unmaps them when freed); clearing it (NULL) unmaps them all.
 * Called with no PCI lock that memory.c could wait on.
 */
struct eal_dma_hook {
	int (*map)(void *ctx, void *va, tern_iova_t iova, size_t len);
	void (*unmap)(void *ctx, void *va, tern_iova_t iova, size_t len);
	void *ctx;
};
int eal_memory_set_dma_hook(const struct eal_dma_hook *hook);

#endif /* TERN_EAL_INTERNAL_H */
