/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pkt_test.c - the packet buffer contract: header layout, fresh state after
 * alloc, exact limits of prepend/append/adj/trim, chains, reference counts,
 * and bulk free across pools. Every test ends with every buffer home.
 */
#include "mp_test.h"
#include "tern_pkt.h"

static struct tern_mempool *pool_a, *pool_b;

static void up(void)
{
	mp_eal_up("", TERN_IOVA_DC);
	pool_a = tern_pktpool_create("pkt_a", 256, 32, 16, TERN_PKT_DEFAULT_BUF_SIZE,
	                             TERN_SOCKET_ID_ANY);
	pool_b = tern_pktpool_create("pkt_b", 128, 0, 0, 512, TERN_SOCKET_ID_ANY);
	cr_assert(pool_a && pool_b, "pktpool_create: %s", strerror(tern_errno));
}

static void down(void)
{
	mp_assert_all_back(pool_a);
	mp_assert_all_back(pool_b);
	tern_mempool_free(pool_a);
	tern_mempool_free(pool_b);
	mp_eal_down();
}

TestSuite(pkt, .init = up, .fini = down);

Test(pkt, header_is_one_cache_line)
{
	cr_assert_eq(sizeof(struct tern_pkt), 64);
	cr_assert_eq(_Alignof(struct tern_pkt) <= 64, 1);
	struct tern_pkt *p = tern_pkt_alloc(pool_a);
	cr_assert_not_null(p);
	cr_assert_eq((uintptr_t)p % 64, 0, "header on a cache line of its own");
	tern_pkt_free(p);
}

static void check_fresh(struct tern_pkt *p, struct tern_mempool *mp, uint16_t priv,
                        uint16_t buf_size)
{
	cr_assert_eq(p->pool, mp);
	cr_assert_eq(p->buf_addr, (char *)(p + 1) + priv);
	cr_assert_eq(p->buf_len, buf_size);
	cr_assert_eq(p->buf_iova, tern_dma_virt2iova(p->buf_addr));
	cr_assert_eq(p->data_off, TERN_MIN(TERN_PKT_HEADROOM, buf_size));
	cr_assert_eq(tern_pkt_data_iova(p), tern_dma_virt2iova(tern_pkt_mtod(p, char *)));
	cr_assert_eq(p->data_len, 0);
	cr_assert_eq(p->pkt_len, 0);
	cr_assert_eq(p->nb_segs, 1);
	cr_assert_null(p->next);
	cr_assert_eq(tern_pkt_refcnt_read(p), 1);
	cr_assert_eq(p->port, TERN_PKT_PORT_INVALID);
	cr_assert_eq(p->ol_flags, 0);
	cr_assert_eq(p->rss_hash, 0);
	cr_assert_eq(tern_pkt_priv(p), (void *)(p + 1));
}

Test(pkt, alloc_gives_a_reset_buffer_even_after_a_dirty_free)
{
	for (int round = 0; round < 3; round++) {
		struct tern_pkt *p = tern_pkt_alloc(pool_b);

		cr_assert_not_null(p);
		check_fresh(p, pool_b, 0, 512);
		/* Dirty it the way a driver and an application would. */
		tern_pkt_prepend(p, 14);
		tern_pkt_append(p, 100);
		p->port = 3;
		p->ol_flags = ~0ull;
		p->rss_hash = 0xdeadbeef;
		tern_pkt_free(p);
	}
	struct tern_pkt *pkts[64];
	cr_assert_eq(tern_pkt_alloc_bulk(pool_a, pkts, 64), 0);
	for (int i = 0; i < 64; i++)
		check_fresh(pkts[i], pool_a, 16, TERN_PKT_DEFAULT_BUF_SIZE);
	tern_pkt_free_bulk(pkts, 64);
}

Test(pkt, alloc_bulk_is_all_or_nothing)
{
	struct tern_pkt *pkts[129], *p; /* room for the refused alloc too */

	cr_assert_eq(tern_pkt_alloc_bulk(pool_b, pkts, 100), 0);
	cr_assert_eq(tern_pkt_alloc_bulk(pool_b, &pkts[100], 29), -ENOBUFS);
	mp_assert_accounting(pool_b, 100);
	cr_assert_eq(tern_pkt_alloc_bulk(pool_b, &pkts[100], 28), 0);
	cr_assert_null(tern_pkt_alloc(pool_b));
	tern_pkt_free_bulk(pkts, 128);
	p = tern_pkt_alloc(pool_b);
	cr_assert_not_null(p);
	tern_pkt_free(p);
	tern_pkt_free(NULL);
}

Test(pkt, pool_refuses_unaligned_priv_size)
{
	cr_assert_null(tern_pktpool_create("badpriv", 64, 0, 7, 512, TERN_SOCKET_ID_ANY));
	cr_assert_eq(tern_errno, EINVAL);
}

Test(pkt, prepend_append_adj_trim_stop_exactly_at_the_edges)
{
	struct tern_pkt *p = tern_pkt_alloc(pool_b); /* buf 512: headroom 128, room 384 */

	cr_assert_not_null(p);
	cr_assert_eq(tern_pkt_headroom(p), 128);
	cr_assert_eq(tern_pkt_tailroom(p), 384);

	cr_assert_null(tern_pkt_prepend(p, 129));
	cr_assert_eq(p->data_len, 0, "a refused prepend changes nothing");
	char *start = tern_pkt_prepend(p, 128);
	cr_assert_eq(start, (char *)p->buf_addr);
	cr_assert_eq(tern_pkt_headroom(p), 0);
	cr_assert_null(tern_pkt_prepend(p, 1));

	cr_assert_null(tern_pkt_append(p, 385));
	char *tail = tern_pkt_append(p, 384);
	cr_assert_eq(tail, (char *)p->buf_addr + 128);
	cr_assert_eq(tern_pkt_tailroom(p), 0);
	cr_assert_null(tern_pkt_append(p, 1));
	cr_assert_eq(p->data_len, 512);
	cr_assert_eq(p->pkt_len, 512);

	cr_assert_null(tern_pkt_adj(p, 513));
	cr_assert_eq(tern_pkt_adj(p, 12), (char *)p->buf_addr + 12);
	cr_assert_eq(p->data_len, 500);
	cr_assert_eq(tern_pkt_trim(p, 501), -EINVAL);
	cr_assert_eq(tern_pkt_trim(p, 400), 0);
	cr_assert_eq(p->data_len, 100);
	cr_assert_eq(p->pkt_len, 100);
	cr_assert_eq(tern_pkt_tailroom(p), 400);
	cr_assert_not_null(tern_pkt_adj(p, 100));
	cr_assert_eq(p->pkt_len, 0);
	cr_assert_eq(tern_pkt_trim(p, 1), -EINVAL);
	tern_pkt_free(p);
}

Test(pkt, small_buffer_gets_all_of_it_as_headroom)
{
	struct tern_mempool *mp = tern_pktpool_create("tiny", 64, 0, 0, 100, TERN_SOCKET_ID_ANY);
	cr_assert_not_null(mp);
	struct tern_pkt *p = tern_pkt_alloc(mp);
	cr_assert_eq(tern_pkt_headroom(p), 100);
	cr_assert_eq(tern_pkt_tailroom(p), 0);
	cr_assert_null(tern_pkt_append(p, 1));
	tern_pkt_free(p);
	mp_assert_all_back(mp);
	tern_mempool_free(mp);
}

/* A chain of three segments holding bytes 0..(len-1) of a pattern. */
static struct tern_pkt *make_chain(const uint16_t *lens, int nseg, struct tern_mempool *mp)
{
	struct tern_pkt *head = NULL;
	uint32_t k = 0;

	for (int s = 0; s < nseg; s++) {
		struct tern_pkt *seg = tern_pkt_alloc(mp);
		cr_assert_not_null(seg);
		unsigned char *d = (unsigned char *)tern_pkt_append(seg, lens[s]);
		cr_assert_not_null(d);
		for (uint16_t i = 0; i < lens[s]; i++)
			d[i] = (unsigned char)(k++ * 7);
		if (head == NULL)
			head = seg;
		else
			cr_assert_eq(tern_pkt_chain(head, seg), 0);
	}
	return head;
}

Test(pkt, chain_sums_lengths_copies_across_segments_and_frees_every_segment)
{
	static const uint16_t lens[] = {300, 1, 200};
	struct tern_pkt *head = make_chain(lens, 3, pool_b);

	cr_assert_eq(head->nb_segs, 3);
	cr_assert_eq(head->pkt_len, 501);
	cr_assert_eq(tern_pkt_lastseg(head)->data_len, 200);
	mp_assert_accounting(pool_b, 3);

	unsigned char buf[501];
	cr_assert_eq(tern_pkt_copy_data(head, 0, 501, buf), 0);
	for (int i = 0; i < 501; i++)
		cr_assert_eq(buf[i], (unsigned char)(i * 7), "byte %d", i);
	cr_assert_eq(tern_pkt_copy_data(head, 299, 3, buf), 0, "across two boundaries");
	cr_assert_eq(buf[0], (unsigned char)(299 * 7));
	cr_assert_eq(buf[2], (unsigned char)(301 * 7));
	cr_assert_eq(tern_pkt_copy_data(head, 500, 1, buf), 0);
	cr_assert_eq(tern_pkt_copy_data(head, 501, 0, buf), 0);
	cr_assert_eq(tern_pkt_copy_data(head, 500, 2, buf), -EINVAL);
	cr_assert_eq(tern_pkt_copy_data(head, 502, 0, buf), -EINVAL);
	cr_assert_eq(tern_pkt_copy_data(head, 1, UINT32_MAX, buf), -EINVAL);

	/* append and trim work on the last segment, lengths on the head. */
	cr_assert_not_null(tern_pkt_append(head, 10));
	cr_assert_eq(tern_pkt_lastseg(head)->data_len, 210);
	cr_assert_eq(head->pkt_len, 511);
	cr_assert_eq(tern_pkt_trim(head, 211), -EINVAL);
	cr_assert_eq(tern_pkt_trim(head, 10), 0);
	cr_assert_eq(head->pkt_len, 501);

	/* Chaining a chain onto a chain. */
	static const uint16_t lens2[] = {5, 6};
	struct tern_pkt *second = make_chain(lens2, 2, pool_a);
	cr_assert_eq(tern_pkt_chain(head, second), 0);
	cr_assert_eq(head->nb_segs, 5);
	cr_assert_eq(head->pkt_len, 512);
	cr_assert_eq(tern_pkt_chain(head, head), -EINVAL);

	tern_pkt_free(head);
	mp_assert_all_back(pool_a);
	mp_assert_all_back(pool_b);
}

Test(pkt, chain_refuses_overflow_and_changes_nothing)
{
	struct tern_pkt *a = tern_pkt_alloc(pool_b), *b = tern_pkt_alloc(pool_b);

	tern_pkt_append(b, 20);
	a->pkt_len = UINT32_MAX - 10; /* pretend: only the check reads it */
	cr_assert_eq(tern_pkt_chain(a, b), -EOVERFLOW);
	cr_assert_null(a->next);
	cr_assert_eq(a->nb_segs, 1);
	a->pkt_len = 0;
	a->nb_segs = TERN_PKT_MAX_SEGS;
	cr_assert_eq(tern_pkt_chain(a, b), -EOVERFLOW);
	cr_assert_null(a->next);
	a->nb_segs = 1;
	tern_pkt_free(a);
	tern_pkt_free(b);
}

Test(pkt, two_owners_free_once)
{
	struct tern_pkt *p = tern_pkt_alloc(pool_a);

	tern_pkt_refcnt_update(p, 1);
	cr_assert_eq(tern_pkt_refcnt_read(p), 2);
	tern_pkt_free(p); /* first owner */
	mp_assert_accounting(pool_a, 1);
	cr_assert_eq(tern_pkt_refcnt_read(p), 1);
	tern_pkt_free(p); /* last owner */
	mp_assert_all_back(pool_a);

	/* A shared chain: every segment waits for the last owner. */
	static const uint16_t lens[] = {10, 20, 30};
	struct tern_pkt *head = make_chain(lens, 3, pool_b);
	tern_pkt_refcnt_update(head, 2);
	tern_pkt_free(head);
	tern_pkt_free(head);
	mp_assert_accounting(pool_b, 3);
	tern_pkt_free(head);
	mp_assert_all_back(pool_b);

	/* Back in the pool with refcnt 1. */
	struct tern_pkt *q = tern_pkt_alloc(pool_a);
	cr_assert_eq(tern_pkt_refcnt_read(q), 1);
	tern_pkt_free(q);
}

Test(pkt, free_bulk_across_two_pools_chains_and_shared_packets)
{
	struct tern_pkt *pkts[40];
	int i;

	for (i = 0; i < 30; i++) {
		pkts[i] = tern_pkt_alloc(i % 3 ? pool_a : pool_b);
		cr_assert_not_null(pkts[i]);
	}
	/* A chain mixing both pools. */
	pkts[30] = tern_pkt_alloc(pool_a);
	cr_assert_eq(tern_pkt_chain(pkts[30], tern_pkt_alloc(pool_b)), 0);
	/* A shared one, still owned elsewhere after the bulk free. */
	pkts[31] = tern_pkt_alloc(pool_b);
	tern_pkt_refcnt_update(pkts[31], 1);
	struct tern_pkt *kept = pkts[31];
	mp_assert_accounting(pool_a, 21);
	mp_assert_accounting(pool_b, 12);

	tern_pkt_free_bulk(pkts, 32);
	mp_assert_accounting(pool_a, 0);
	mp_assert_accounting(pool_b, 1);
	tern_pkt_free(kept);

	/* The all-one-pool fast path. */
	cr_assert_eq(tern_pkt_alloc_bulk(pool_a, pkts, 40), 0);
	mp_assert_accounting(pool_a, 40);
	tern_pkt_free_bulk(pkts, 40);
	tern_pkt_free_bulk(pkts, 0);
}
