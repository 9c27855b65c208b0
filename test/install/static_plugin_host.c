/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * static_plugin_host.c - a host that links libtern.a and loads the loop
 * plugin (examples/plugin) with -d; built by install_test.sh twice.
 *
 *   static_plugin_host EAL-OPTIONS -- pass
 *       (linked with -rdynamic) init works, and the plugin runs against
 *       this program's tern: the ring its configure creates comes out of
 *       this tern's DMA memory (a second, uninitialized libtern.so would
 *       have used the C heap); 32 packets go round the loop; every buffer
 *       comes back.
 *   static_plugin_host EAL-OPTIONS -- refuse TEXT
 *       (linked without -rdynamic) init fails with a line containing TEXT.
 */
#include <stdio.h>
#include <string.h>

#include <tern_eal.h>
#include <tern_memory.h>
#include <tern_pkt.h>
#include <tern_port.h>

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		fprintf(stderr, "static_plugin_host: " __VA_ARGS__);                               \
		fputc('\n', stderr);                                                               \
		return 1;                                                                          \
	} while (0)

static int pass(void)
{
	struct tern_pkt *pkts[32], *got[32];
	struct tern_mempool *mp;
	uint16_t port, n = 0;
	size_t dma;

	if (tern_port_by_name("loop0", &port) != 0)
		FAIL("no port loop0");
	mp = tern_pktpool_create("sp", 255, 0, 0, TERN_PKT_DEFAULT_BUF_SIZE, TERN_SOCKET_ID_ANY);
	if (mp == NULL)
		FAIL("pool: %s", tern_eal_last_error());
	dma = tern_dma_allocated();
	if (tern_port_configure(port, 1, 1, NULL) != 0 ||
	    tern_port_rx_queue_setup(port, 0, 64, TERN_SOCKET_ID_ANY, mp) != 0 ||
	    tern_port_tx_queue_setup(port, 0, 64, TERN_SOCKET_ID_ANY) != 0 ||
	    tern_port_start(port) != 0)
		FAIL("loop0 set-up: %s", tern_eal_last_error());
	if (tern_dma_allocated() <= dma)
		FAIL("the plugin's ring is not in this tern's DMA memory: it runs against "
		     "another copy of tern");
	if (tern_pkt_alloc_bulk(mp, pkts, 32) != 0)
		FAIL("alloc");
	for (int i = 0; i < 32; i++)
		*(int *)tern_pkt_append(pkts[i], 60) = i;
	if (tern_port_tx_burst(port, 0, pkts, 32) != 32)
		FAIL("tx");
	for (int tries = 0; n < 32 && tries < 1000; tries++)
		n += tern_port_rx_burst(port, 0, got + n, (uint16_t)(32 - n));
	if (n != 32)
		FAIL("received %u of 32", n);
	for (int i = 0; i < 32; i++)
		if (*tern_pkt_mtod(got[i], int *) != i)
			FAIL("packet %d changed", i);
	tern_pkt_free_bulk(got, 32);
	tern_port_stop(port);
	tern_port_close(port);
	if (tern_mempool_avail_count(mp) != tern_mempool_size(mp))
		FAIL("%u buffers missing", tern_mempool_size(mp) - tern_mempool_avail_count(mp));
	tern_mempool_free(mp);
	printf("static_plugin_host: the loop plugin ran against this program's tern\n");
	return 0;
}

int main(int argc, char **argv)
{
	int n = tern_eal_init_args(argc, argv), ret, rest = argc;

	for (int i = 1; i < argc; i++) /* after "--": what to expect */
		if (strcmp(argv[i], "--") == 0) {
			rest = i + 1;
			break;
		}

	if (rest < argc && strcmp(argv[rest], "refuse") == 0 && rest + 1 < argc) {
		if (n >= 0)
			FAIL("init worked; expected a refusal saying '%s'", argv[rest + 1]);
		if (strstr(tern_eal_last_error(), argv[rest + 1]) == NULL)
			FAIL("init said '%s', expected '%s'", tern_eal_last_error(),
			     argv[rest + 1]);
		printf("static_plugin_host: refused as expected: %s\n", tern_eal_last_error());
		return 0;
	}
	if (n < 0)
		FAIL("init: %s", tern_eal_last_error());
	ret = pass();
	tern_eal_cleanup();
	return ret;
}
