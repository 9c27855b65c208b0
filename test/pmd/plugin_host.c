/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * plugin_host.c - an application for plugin_test.sh.
 *
 *   plugin_host EAL-OPTIONS -- pass
 *       init must succeed with a port "loop0"; N packets sent through it
 *       come back intact and in order; every buffer returns; init works a
 *       second time in the same process.
 *   plugin_host EAL-OPTIONS -- refuse "TEXT"
 *       init must fail with an error line containing TEXT, leaving no
 *       plugin mapped and no descriptor open; init without the plugins then
 *       works.
 */
#include <stdio.h>
#include <string.h>

#include "pmd_test.h"

#define N_PKTS 1000

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		fprintf(stderr, "plugin_host: " __VA_ARGS__);                                      \
		fputc('\n', stderr);                                                               \
		return 1;                                                                          \
	} while (0)

/* Whether any mapping of this process comes from a file whose path contains s. */
static bool mapped(const char *s)
{
	char line[1024];
	bool found = false;
	FILE *f = fopen("/proc/self/maps", "re");

	if (f == NULL)
		return false;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, s) != NULL)
			found = true;
	fclose(f);
	return found;
}

static int loopback(void)
{
	static struct tern_pkt *sent[N_PKTS], *got[N_PKTS];
	struct tern_mempool *mp;
	struct tern_port_stats st;
	unsigned nsent = 0, ngot = 0;
	uint16_t port;

	if (tern_port_by_name("loop0", &port) != 0)
		FAIL("no port loop0 after init");
	mp = tern_pktpool_create("plugin", 2047, 64, 0, TERN_PKT_DEFAULT_BUF_SIZE,
	                         TERN_SOCKET_ID_ANY);
	if (mp == NULL)
		FAIL("pool: %s", strerror(tern_errno));
	if (pmd_test_start(port, 1, mp) != 0)
		FAIL("cannot start loop0");
	if (tern_pkt_alloc_bulk(mp, sent, N_PKTS) != 0)
		FAIL("cannot allocate %d packets", N_PKTS);
	for (unsigned i = 0; i < N_PKTS; i++) {
		unsigned len = 60 + i % 1400;
		char *d = tern_pkt_append(sent[i], (uint16_t)len);

		for (unsigned j = 0; j < len; j++)
			d[j] = (char)(i * 7 + j);
	}
	/* Send in bursts and receive as we go: the loop ring holds fewer than N. */
	while (ngot < N_PKTS) {
		if (nsent < N_PKTS) {
			uint16_t n = (uint16_t)TERN_MIN(32u, N_PKTS - nsent);

			nsent += tern_port_tx_burst(port, 0, sent + nsent, n);
		}
		ngot += tern_port_rx_burst(port, 0, got + ngot, 32);
	}
	for (unsigned i = 0; i < N_PKTS; i++) {
		unsigned len = 60 + i % 1400;
		const char *d = tern_pkt_mtod(got[i], const char *);

		if (got[i] != sent[i] || got[i]->pkt_len != len || got[i]->port != port)
			FAIL("packet %u came back wrong (len %u, port %u)", i, got[i]->pkt_len,
			     got[i]->port);
		for (unsigned j = 0; j < len; j++)
			if (d[j] != (char)(i * 7 + j))
				FAIL("packet %u byte %u changed", i, j);
	}
	if (tern_port_stats_get(port, &st) != 0 || st.ipackets != N_PKTS || st.opackets != N_PKTS)
		FAIL("stats: %lu in, %lu out", st.ipackets, st.opackets);
	tern_pkt_free_bulk(got, N_PKTS);
	tern_port_close(port);
	if (tern_mempool_avail_count(mp) != tern_mempool_size(mp))
		FAIL("%u of %u buffers back", tern_mempool_avail_count(mp), tern_mempool_size(mp));
	tern_mempool_free(mp);
	return 0;
}

int main(int argc, char **argv)
{
	struct tern_eal_config cfg;
	int n, fds;

	tern_eal_config_init(&cfg);
	n = tern_eal_parse_args(&cfg, argc, argv);
	if (n < 0)
		FAIL("bad options: %s", tern_eal_last_error());
	cfg.no_huge = !tern_test_use_huge();
	argv += 1 + n;
	argc -= 1 + n;
	if (argc >= 1 && strcmp(argv[0], "pass") == 0) {
		for (int round = 0; round < 2; round++) {
			if (tern_eal_init(&cfg) != 0)
				FAIL("init (round %d): %s", round, tern_eal_last_error());
			if (loopback() != 0)
				return 1;
			if (tern_eal_cleanup() != 0)
				FAIL("cleanup failed");
			if (mapped("tern-plugin-loop"))
				FAIL("the plugin is still mapped after cleanup");
		}
		printf("plugin_host: %d packets through loop0 and back, twice\n", N_PKTS);
		return 0;
	}
	if (argc >= 2 && strcmp(argv[0], "refuse") == 0) {
		char err[512];

		fds = tern_test_open_fds();
		if (tern_eal_init(&cfg) == 0)
			FAIL("init succeeded; it should refuse the plugin");
		snprintf(err, sizeof(err), "%s", tern_eal_last_error());
		if (strstr(err, argv[1]) == NULL)
			FAIL("error line \"%s\" does not say \"%s\"", err, argv[1]);
		if (tern_test_open_fds() != fds)
			FAIL("%d descriptors open before init, %d after the failed init", fds,
			     tern_test_open_fds());
		if (cfg.nb_plugins > 0 && mapped(cfg.plugins[0]))
			FAIL("the refused plugin is still mapped");
		/* The same process starts fine without the culprits. */
		cfg.nb_plugins = 0;
		cfg.nb_vdev = 0;
		if (tern_eal_init(&cfg) != 0)
			FAIL("init after the refusal failed: %s", tern_eal_last_error());
		tern_eal_cleanup();
		printf("plugin_host: refused as expected: %s\n", err);
		return 0;
	}
	FAIL("usage: plugin_host EAL-OPTIONS -- pass | refuse TEXT");
}
