/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pmd_internal.h - what the EAL asks of the port layer, and nothing else.
 *
 * tern_eal_init() ends by calling tern_pmd_init(), which loads the plugins
 * named with -d and probes the devices named with -a and --vdev, so that
 * ports exist when init returns (as DPDK users expect). tern_eal_cleanup()
 * calls tern_pmd_cleanup() before it gives back memory. The EAL calls these
 * two by name: no constructors, no registration at load time.
 */
#ifndef TERN_PMD_INTERNAL_H
#define TERN_PMD_INTERNAL_H

#include "tern_eal.h"

int tern_pmd_init(const struct tern_eal_config *cfg);
void tern_pmd_cleanup(void);

#endif /* TERN_PMD_INTERNAL_H */
