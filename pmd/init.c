/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * init.c - tern_eal_init(): the EAL, then the port layer, so that the ports
 * of -a and --vdev exist when it returns (as DPDK users expect).
 *
 * The port layer is the top of the library, so the library's init lives
 * here: it hands the EAL a struct tern_eal_layer naming its own start and
 * stop (probe.c), and the EAL runs them inside its init and cleanup. The
 * EAL never names the port layer: layers point down (doc/architecture.md).
 */
#include "pmd_internal.h"
#include "port_internal.h"

static const struct tern_eal_layer port_layer = {
    .name = PORT_LOG,
    .init = tern_pmd_init,
    .cleanup = tern_pmd_cleanup,
};

int tern_eal_init(const struct tern_eal_config *cfg)
{
	return tern_eal_init_layer(cfg, &port_layer);
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
