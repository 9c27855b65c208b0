/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An application built outside the tree, from the installed headers and
 * tern.pc only: it proves what `cc app.c $(pkg-config --cflags --libs tern)`
 * gives a user is complete. It starts tern from a config struct, moves
 * packet buffers through a ring, and checks every buffer came back.
 */
#include <stdio.h>

#include <tern_eal.h>
#include <tern_lcore.h>
#include <tern_memory.h>
#include <tern_mempool.h>
#include <tern_pkt.h>
#include <tern_port.h>
#include <tern_ring.h>

int main(void)
{
	struct tern_eal_config cfg;
	struct tern_pkt *pkts[32];
	void *objs[32];
	int ret = 1;

	tern_eal_config_init(&cfg);
	cfg.no_huge = true;
	if (tern_eal_init(&cfg) < 0) {
		fprintf(stderr, "app: %s\n", tern_eal_last_error());
		return 1;
	}
	struct tern_mempool *mp =
	    tern_pktpool_create("app", 255, 0, 0, TERN_PKT_DEFAULT_BUF_SIZE, TERN_SOCKET_ID_ANY);
	struct tern_ring *r = tern_ring_create("app", 64, TERN_SOCKET_ID_ANY, 0);
	if (!mp || !r || tern_pkt_alloc_bulk(mp, pkts, 32) < 0)
		goto out;
	if (tern_ring_enqueue_bulk(r, (void *const *)pkts, 32, NULL) != 32 ||
	    tern_ring_dequeue_bulk(r, objs, 32, NULL) != 32)
		goto out;
	tern_pkt_free_bulk((struct tern_pkt **)objs, 32);
	if (tern_mempool_avail_count(mp) != tern_mempool_size(mp))
		goto out;
	printf("installed tern works: %u lcore(s), %u/%u buffers returned, %u ports\n",
	       tern_lcore_count(), tern_mempool_avail_count(mp), tern_mempool_size(mp),
	       (unsigned)tern_port_count());
	ret = 0;
out:
	tern_ring_free(r);
	tern_mempool_free(mp);
	tern_eal_cleanup();
	return ret;
}
