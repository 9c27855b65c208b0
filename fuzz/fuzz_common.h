/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_common.h - what the libFuzzer harnesses share: a silent log (an
 * error line per hostile input would drown the fuzzer's own output), a
 * fatal exit for set-up failures (never for what an input does), and the
 * one-port set-up of the device harnesses. Header-only.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "tern_eal.h"
#include "tern_log.h"
#include "tern_mempool.h"
#include "tern_pkt.h"
#include "tern_port.h"

static inline void fuzz_quiet_sink(void *arg, enum tern_log_level level, const char *component,
                                   const char *msg)
{
	(void)arg;
	(void)level;
	(void)component;
	(void)msg;
}

/* Send tern's log nowhere. */
static inline void fuzz_quiet_log(void)
{
	tern_log_set_callback(fuzz_quiet_sink, NULL);
}

/* Set-up failed: no input can be run. */
static inline void fuzz_die(const char *harness, const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", harness, what, tern_eal_last_error());
	exit(1);
}

/*
 * The EAL with the one device at pci_addr (registered as a model already),
 * a pool of n buffers without per-lcore cache (so that its count is exact
 * after every input), and port 0 with one RX and one TX queue of nb_desc
 * descriptors, configured but not started. Returns the pool; exits on failure.
 */
static inline struct tern_mempool *fuzz_port0_setup(const char *harness, const char *pci_addr,
                                                    const char *pool_name, unsigned n,
                                                    uint16_t nb_desc)
{
	struct tern_eal_config cfg;
	struct tern_mempool *mp;

	tern_eal_config_init(&cfg);
	cfg.no_huge = true;
	cfg.nb_pci = 1;
	/* "ADDR[,devargs]" */
	snprintf(cfg.pci[0].name, sizeof(cfg.pci[0].name), "%.*s", (int)strcspn(pci_addr, ","),
	         pci_addr);
	if (strchr(pci_addr, ',') != NULL)
		snprintf(cfg.pci[0].args, sizeof(cfg.pci[0].args), "%s", strchr(pci_addr, ',') + 1);
	if (tern_eal_init(&cfg) != 0)
		fuzz_die(harness, "init");
	mp = tern_pktpool_create(pool_name, n, 0, 0, TERN_PKT_DEFAULT_BUF_SIZE, TERN_SOCKET_ID_ANY);
	if (mp == NULL || tern_port_configure(0, 1, 1, NULL) != 0 ||
	    tern_port_rx_queue_setup(0, 0, nb_desc, TERN_SOCKET_ID_ANY, mp) != 0 ||
	    tern_port_tx_queue_setup(0, 0, nb_desc, TERN_SOCKET_ID_ANY) != 0)
		fuzz_die(harness, "set the port up");
	return mp;
}

#endif /* FUZZ_COMMON_H */
