/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pmd_internal.h - the port layer's start and stop, as init.c hands them to
 * the EAL (struct tern_eal_layer). Not installed.
 *
 * tern_pmd_init() loads the plugins named with -d and probes the devices
 * named with -a and --vdev; tern_pmd_cleanup() closes every port and unloads
 * the plugins, before the EAL gives back memory. No constructors, no
 * registration at load time: a static link needs no --whole-archive.
 */
#ifndef TERN_PMD_INTERNAL_H
#define TERN_PMD_INTERNAL_H

#include "tern_eal.h"

int tern_pmd_init(const struct tern_eal_config *cfg);
void tern_pmd_cleanup(void);

#endif /* TERN_PMD_INTERNAL_H */
