/* SPDX-License-Identifier: BSD-3-Clause */
/* pmd_test.h - starting tern with ports, for the port-layer tests. */
#ifndef PMD_TEST_H
#define PMD_TEST_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tern_driver.h"
#include "tern_pkt.h"
#include "tern_port.h"
#include "tern_test.h"

/*
 * Start tern on `cores` with the given "--vdev" strings ("null0,size=128"),
 * NULL-terminated. Returns what tern_eal_init() returns.
 */
static inline int pmd_test_init(const char *cores, ...)
{
	struct tern_eal_config cfg;
	const char *v;
	va_list ap;

	tern_eal_config_init(&cfg);
	if (cores != NULL)
		snprintf(cfg.cores, sizeof(cfg.cores), "%s", cores);
	cfg.no_huge = !tern_test_use_huge();
	va_start(ap, cores);
	while ((v = va_arg(ap, const char *)) != NULL) {
		struct tern_eal_devarg *d = &cfg.vdev[cfg.nb_vdev++];
		const char *comma = strchr(v, ',');
		size_t len = comma ? (size_t)(comma - v) : strlen(v);

		snprintf(d->name, sizeof(d->name), "%.*s", (int)len, v);
		snprintf(d->args, sizeof(d->args), "%s", comma ? comma + 1 : "");
	}
	va_end(ap);
	return tern_eal_init(&cfg);
}

/* Configure nb_q RX and TX queues on port, each RX queue fed from mp, and start it. */
static inline int pmd_test_start(uint16_t port, uint16_t nb_q, struct tern_mempool *mp)
{
	int ret = tern_port_configure(port, nb_q, nb_q, NULL);

	for (uint16_t q = 0; ret == 0 && q < nb_q; q++) {
		ret = tern_port_rx_queue_setup(port, q, 0, TERN_SOCKET_ID_ANY, mp);
		if (ret == 0)
			ret = tern_port_tx_queue_setup(port, q, 0, TERN_SOCKET_ID_ANY);
	}
	return ret ? ret : tern_port_start(port);
}

#endif /* PMD_TEST_H */
