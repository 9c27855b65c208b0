/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * static_probe.c - linked with libtern.a the plain way (no --whole-archive):
 * the null driver must still be found by --vdev null0, because the
 * generated driver table references it by name rather than registering it
 * from a constructor that the static linker would drop.
 */
#include <stdio.h>
#include <string.h>

#include "pmd_test.h"

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		fprintf(stderr, "static_probe: " __VA_ARGS__);                                     \
		fputc('\n', stderr);                                                               \
		return 1;                                                                          \
	} while (0)

int main(void)
{
	struct tern_pkt *pkts[32];
	struct tern_port_stats st;
	struct tern_mempool *mp;
	uint16_t port;

	if (pmd_test_init(NULL, "null0", (char *)NULL) != 0)
		FAIL("init with --vdev null0 failed: %s", tern_eal_last_error());
	if (tern_port_by_name("null0", &port) != 0)
		FAIL("no port null0 after init");
	mp = tern_pktpool_create("static", 1023, 64, 0, TERN_PKT_DEFAULT_BUF_SIZE,
	                         TERN_SOCKET_ID_ANY);
	if (mp == NULL)
		FAIL("pool: %s", strerror(tern_errno));
	if (pmd_test_start(port, 1, mp) != 0)
		FAIL("start failed");
	for (int i = 0; i < 1000; i++) {
		uint16_t n = tern_port_rx_burst(port, 0, pkts, 32);

		if (n != 32 || tern_port_tx_burst(port, 0, pkts, n) != n)
			FAIL("burst %d moved %u packets, not 32", i, n);
	}
	if (tern_port_stats_get(port, &st) != 0 || st.ipackets != 32000 || st.opackets != 32000)
		FAIL("stats: %lu in, %lu out; 32000 each expected", st.ipackets, st.opackets);
	tern_port_close(port);
	if (tern_mempool_avail_count(mp) != tern_mempool_size(mp))
		FAIL("%u of %u buffers back in the pool", tern_mempool_avail_count(mp),
		     tern_mempool_size(mp));
	tern_mempool_free(mp);
	if (tern_eal_cleanup() != 0)
		FAIL("cleanup failed");
	printf("static_probe: 32000 packets through null0, statically linked\n");
	return 0;
}
