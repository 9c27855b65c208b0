/* SPDX-License-Identifier: BSD-3-Clause */
/* Placeholder until the port layer lands: no devices, nothing to probe. */
#include "pmd_internal.h"

int tern_pmd_init(const struct tern_eal_config *cfg)
{
	(void)cfg;
	return 0;
}

void tern_pmd_cleanup(void)
{
}
