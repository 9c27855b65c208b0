/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * model_preload.c - two 82599 model ports under an unchanged application:
 *
 *   LD_PRELOAD=test/ixgbe/libixgbe_model_preload.so \
 *       examples/l2fwd/tern-l2fwd -l 0-1 --no-huge -a 0000:e0:00.0 -a 0000:e0:00.1 -- -q 2
 *
 * Before main() runs, the two ports are registered at 0000:e0:00.0 and
 * 0000:e0:00.1 (so "-a" probes them) and joined by a wire. Once both have
 * receive enabled, TERN_IXM_FRAMES (default 1024) UDP frames with distinct
 * 5-tuples are put on the wire; forwarded back and forth by the application,
 * they keep circulating, spread by RSS over the RX queues. At exit the
 * model's own counts are printed to stderr.
 *
 * TERN_IXM_UNPLUG=P:MS pulls port P (0 or 1) out MS milliseconds after both
 * ports started: a surprise removal under the running application
 * (ixm_unplug: registers read all ones, no more DMA).
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ixgbe_model.h"
#include "ixgbe_regs.h"

static struct ixm *model;
static struct ixm_port *port[2];
static pthread_t feeder;
static const uint8_t mac[2][6] = {{2, 0, 0, 0, 0x82, 1}, {2, 0, 0, 0, 0x82, 2}};

static int unplug_port = -1;
static unsigned unplug_ms;
static atomic_bool unplugged; /* the feeder sets it, the exit report reads it */

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

static void *feed(void *arg)
{
	unsigned n = 1024;
	const char *env = getenv("TERN_IXM_FRAMES");

	(void)arg;
	if (env != NULL)
		n = (unsigned)atoi(env);
	/* Wait until the application has started both ports (RXCTRL.RXEN). */
	for (;;) {
		if ((ixm_reg_read(port[0], IXGBE_RXCTRL) & IXGBE_RXCTRL_RXEN) &&
		    (ixm_reg_read(port[1], IXGBE_RXCTRL) & IXGBE_RXCTRL_RXEN))
			break;
		struct timespec ts = {0, 10000000};
		nanosleep(&ts, NULL);
	}
	for (unsigned i = 0; i < n; i++) {
		uint8_t f[64] = {0};
		unsigned d = i & 1;

		memcpy(f, mac[d], 6);
		memcpy(f + 6, mac[1 - d], 6);
		f[12] = 0x08, f[14] = 0x45, f[17] = 50, f[22] = 64, f[23] = 17; /* IPv4 UDP */
		f[26] = 10, f[27] = 0, f[28] = (uint8_t)(i >> 8), f[29] = (uint8_t)i;
		f[30] = 10, f[31] = 1, f[32] = 0, f[33] = 1;
		f[34] = (uint8_t)((i * 40503u) >> 8), f[35] = (uint8_t)(i * 40503u), f[36] = 0x12;
		f[37] = 0x34;
		while (ixm_inject(port[d], f, 60) < 0)
			sched_yield();
	}
	if (unplug_port >= 0) {
		sleep_ms(unplug_ms);
		ixm_unplug(port[unplug_port]);
		atomic_store(&unplugged, true);
		fprintf(stderr, "ixgbe model: port %d unplugged after %u ms\n", unplug_port,
		        unplug_ms);
	}
	return NULL;
}

__attribute__((constructor)) static void preload_init(void)
{
	const char *unplug = getenv("TERN_IXM_UNPLUG");

	if (unplug != NULL && sscanf(unplug, "%d:%u", &unplug_port, &unplug_ms) != 2)
		unplug_port = -1;
	if (unplug_port > 1)
		unplug_port = -1;
	model = ixm_create();
	if (model == NULL)
		return;
	port[0] = ixm_port_add(model, "0000:e0:00.0", 0x10fb, mac[0]);
	port[1] = ixm_port_add(model, "0000:e0:00.1", 0x10fb, mac[1]);
	if (port[0] == NULL || port[1] == NULL)
		return;
	ixm_connect(port[0], port[1]);
	pthread_create(&feeder, NULL, feed, NULL);
	pthread_detach(feeder);
}

__attribute__((destructor)) static void preload_fini(void)
{
	if (model == NULL || port[0] == NULL || port[1] == NULL)
		return;
	for (unsigned p = 0; p < 2; p++)
		fprintf(stderr,
		        "ixgbe model port %u: %llu frames written to host (queue 0: %llu, queue 1: "
		        "%llu), init %s\n",
		        p, (unsigned long long)ixm_rx_frames(port[p]),
		        (unsigned long long)ixm_rxq_frames(port[p], 0),
		        (unsigned long long)ixm_rxq_frames(port[p], 1),
		        ixm_init_error(port[p]) ? ixm_init_error(port[p]) : "in datasheet order");
	if (atomic_load(&unplugged))
		fprintf(stderr, "ixgbe model: port %d was unplugged\n", unplug_port);
}
