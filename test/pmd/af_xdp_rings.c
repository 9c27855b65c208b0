/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * af_xdp_rings.c - the af_xdp fast path (axp_rx_burst, axp_tx_burst,
 * axp_tx_complete) against rings the test writes as a broken kernel would:
 * forged, repeated and stale addresses, lengths past the chunk, producer
 * indices behind the consumer or beyond what was lent. Whatever the kernel
 * writes, no buffer is handed out that is not lent, none twice, none lost:
 * every test ends with every buffer back in its pool.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>

#include "af_xdp.h"
#include "tern_eal.h"
#include "tern_test.h"

#define RING   64 /* entries of each fake ring */
#define NBUF   128
#define TARGET 64

static struct tern_mempool *mp;
static struct axp_rxq rxq;
static struct axp_txq txq;
/* The kernel's side: ring memory, indices and flags, as the mmap'd rings hold them. */
static uint64_t fill_ring[RING], comp_ring[RING];
static struct xdp_desc rx_ring[RING], tx_ring[RING];
static uint32_t fill_prod, fill_cons, rx_prod, rx_cons, flags;
static uint32_t tx_prod, tx_cons, comp_prod, comp_cons;

#define FAKE_RING(ring_, prod_, cons_, cached_cons_)                                               \
	{                                                                                          \
		.cached_prod = 0, .cached_cons = (cached_cons_), .mask = RING - 1, .size = RING,   \
		.producer = &(prod_), .consumer = &(cons_), .ring = (ring_), .flags = &flags       \
	}

static void up(void)
{
	const size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct tern_pkt *probe;

	cr_assert_eq(tern_test_eal_init(""), 0, "%s", tern_eal_last_error());
	mp = tern_pktpool_create("axp_rings", NBUF, 0, 0, TERN_PKT_DEFAULT_BUF_SIZE,
	                         TERN_SOCKET_ID_ANY);
	cr_assert_not_null(mp);
	probe = tern_pkt_alloc(mp);
	cr_assert_not_null(probe);
	/* As axp_rx_queue_setup() and sock_open() lay out a queue over its pool. */
	rxq = (struct axp_rxq){
	    .fill = (struct xsk_ring_prod)FAKE_RING(fill_ring, fill_prod, fill_cons, RING),
	    .rx = (struct xsk_ring_cons)FAKE_RING(rx_ring, rx_prod, rx_cons, 0),
	    .base = (uint8_t *)((uintptr_t)mp->mem & ~(uintptr_t)(page - 1)),
	    .mp = mp,
	    .buf_off = (uint32_t)((uint8_t *)probe->buf_addr - (uint8_t *)probe),
	    .buf_len = (uint16_t)(tern_pktpool_data_room(mp) + TERN_PKT_HEADROOM),
	    .target = TARGET,
	    .fd = -1,
	};
	tern_pkt_free(probe);
	rxq.umem_len =
	    TERN_ALIGN_CEIL((uintptr_t)mp->mem + mp->mem_len, page) - (uintptr_t)rxq.base;
	cr_assert_eq(axp_lent_init(&rxq.lent, mp), 0);
	txq = (struct axp_txq){
	    .tx = (struct xsk_ring_prod)FAKE_RING(tx_ring, tx_prod, tx_cons, RING),
	    .comp = (struct xsk_ring_cons)FAKE_RING(comp_ring, comp_prod, comp_cons, 0),
	    .base = rxq.base,
	    .umem_len = rxq.umem_len,
	    .mp = mp,
	    .buf_off = rxq.buf_off,
	    .buf_len = rxq.buf_len,
	    .fd = -1,
	};
	cr_assert_eq(axp_lent_init(&txq.lent, mp), 0);
}

/* What stop does once the socket is closed, then: is every buffer home? */
static void down(void)
{
	for (uint32_t i = 0; i < NBUF; i++) {
		if (rxq.lent.pkt[i] != NULL)
			tern_pkt_free(rxq.lent.pkt[i]);
		if (txq.lent.pkt[i] != NULL)
			tern_pkt_free(txq.lent.pkt[i]);
	}
	axp_lent_free(&rxq.lent);
	axp_lent_free(&txq.lent);
	cr_assert_eq(tern_mempool_avail_count(mp), NBUF, "%u of %u buffers back",
	             tern_mempool_avail_count(mp), NBUF);
	tern_mempool_free(mp);
	cr_assert_eq(tern_eal_cleanup(), 0);
}

TestSuite(af_xdp_rings, .init = up, .fini = down);

/* The kernel takes the next chunk address off the fill ring. */
static uint64_t k_take_fill(void)
{
	cr_assert_neq(fill_prod, fill_cons, "fill ring empty");
	return fill_ring[fill_cons++ & (RING - 1)];
}

/* The kernel returns a frame: chunk, offset of the data in it, length. */
static void k_rx(uint64_t chunk, uint64_t off, uint32_t len)
{
	rx_ring[rx_prod & (RING - 1)] =
	    (struct xdp_desc){.addr = chunk | off << XSK_UNALIGNED_BUF_OFFSET_SHIFT, .len = len};
	rx_prod++;
}

static uint64_t chunk_of(const struct tern_pkt *p)
{
	return (uint64_t)((const uint8_t *)p->buf_addr - rxq.base);
}

static void free_all(struct tern_pkt **p, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++)
		tern_pkt_free(p[i]);
}

Test(af_xdp_rings, frame_handed_out_in_place)
{
	struct tern_pkt *p[32];
	uint64_t a;

	axp_rx_refill(&rxq);
	cr_assert_eq(rxq.lent.count, TARGET);
	cr_assert_eq(fill_prod, TARGET);
	a = k_take_fill();
	k_rx(a, AXP_XDP_HEADROOM, 60);
	cr_assert_eq(axp_rx_burst(&rxq, p, 32), 1);
	cr_assert_eq(tern_pkt_mtod(p[0], uint8_t *), rxq.base + a + AXP_XDP_HEADROOM);
	cr_assert_eq(p[0]->pkt_len, 60);
	cr_assert_eq(tern_qstat_read(&rxq.st.errors), 0);
	cr_assert_eq(rx_cons, 1, "the RX slot is released");
	free_all(p, 1);
}

Test(af_xdp_rings, repeated_rx_address_handed_out_once)
{
	struct tern_pkt *p[32];
	uint64_t a;

	axp_rx_refill(&rxq);
	a = k_take_fill();
	k_rx(a, AXP_XDP_HEADROOM, 60);
	k_rx(a, AXP_XDP_HEADROOM, 60);
	cr_assert_eq(axp_rx_burst(&rxq, p, 32), 1, "one buffer, one packet");
	cr_assert_eq(tern_qstat_read(&rxq.st.errors), 1);
	/* Once more in a later burst, with the application still holding it. */
	k_rx(a, AXP_XDP_HEADROOM, 60);
	cr_assert_eq(axp_rx_burst(&rxq, p + 1, 31), 0);
	cr_assert_eq(tern_qstat_read(&rxq.st.errors), 2);
	free_all(p, 1);
}

Test(af_xdp_rings, forged_rx_addresses_refused)
{
	struct tern_pkt *p[32], *mine = tern_pkt_alloc(mp);
	uint64_t a;

	cr_assert_not_null(mine);
	axp_rx_refill(&rxq);
	a = k_take_fill();
	k_rx(rxq.umem_len, 0, 60);                  /* past the UMEM */
	k_rx(0, 0, 60);                             /* before the first header */
	k_rx(a + 1, 0, 60);                         /* inside a chunk, unaligned */
	k_rx(a + TERN_CACHE_LINE_SIZE, 0, 60);      /* inside a chunk, aligned */
	k_rx(a + 3 * TERN_CACHE_LINE_SIZE, 0, 60);  /* idem, deeper */
	k_rx(chunk_of(mine), AXP_XDP_HEADROOM, 60); /* ours, but not lent */
	k_rx(UINT64_MAX >> 16, 0, 60);              /* the largest address */
	cr_assert_eq(axp_rx_burst(&rxq, p, 32), 0);
	cr_assert_eq(tern_qstat_read(&rxq.st.errors), 7);
	cr_assert_eq(rxq.lent.count, TARGET, "nothing unmarked");
	tern_pkt_free(mine);
}

Test(af_xdp_rings, bad_length_returns_the_buffer)
{
	struct tern_pkt *p[32];
	unsigned before;

	axp_rx_refill(&rxq);
	before = tern_mempool_avail_count(mp);
	k_rx(k_take_fill(), AXP_XDP_HEADROOM, 0); /* empty */
	k_rx(k_take_fill(), AXP_XDP_HEADROOM,
	     rxq.buf_len - AXP_XDP_HEADROOM + 1); /* past the chunk */
	k_rx(k_take_fill(), 0xffff, 1);           /* offset past it */
	cr_assert_eq(axp_rx_burst(&rxq, p, 32), 0);
	cr_assert_eq(tern_qstat_read(&rxq.st.errors), 3);
	/* The three came back to the pool; the refill after the burst lent none (below a batch). */
	cr_assert_eq(rxq.lent.count, TARGET - 3);
	cr_assert_eq(tern_mempool_avail_count(mp), before + 3);
	/* The largest frame that fits is taken. */
	k_rx(k_take_fill(), AXP_XDP_HEADROOM, rxq.buf_len - AXP_XDP_HEADROOM);
	cr_assert_eq(axp_rx_burst(&rxq, p, 32), 1);
	free_all(p, 1);
}

/*
 * Every RX slot holds a descriptor of a buffer still on the fill ring (an
 * earlier lap's leftovers): a producer index that exposes them must not
 * hand any out.
 */
static void stale_slots(void)
{
	axp_rx_refill(&rxq);
	for (uint32_t i = 0; i < RING; i++)
		rx_ring[i] = (struct xdp_desc){.addr = fill_ring[(fill_cons + i % 8) & (RING - 1)] |
		                                       (uint64_t)AXP_XDP_HEADROOM
		                                           << XSK_UNALIGNED_BUF_OFFSET_SHIFT,
		                               .len = 60};
}

Test(af_xdp_rings, rx_producer_behind_consumer_refused)
{
	struct tern_pkt *p[32];

	stale_slots();
	rx_prod = rx_cons - 1;
	cr_assert_eq(axp_rx_burst(&rxq, p, 32), 0);
	cr_assert_eq(tern_qstat_read(&rxq.st.errors), 1);
	cr_assert_eq(rxq.lent.count, TARGET, "nothing unmarked");
	cr_assert_eq(rx_cons, 0, "no slot consumed");
	/* A sane index again: the frame the kernel really returned is taken. */
	rx_prod = rx_cons;
	k_rx(k_take_fill(), AXP_XDP_HEADROOM, 60);
	cr_assert_eq(axp_rx_burst(&rxq, p, 32), 1);
	free_all(p, 1);
}

Test(af_xdp_rings, rx_producer_beyond_lent_refused)
{
	struct tern_pkt *p[32];

	rxq.target = TARGET / 2; /* fewer lent than the ring holds */
	stale_slots();
	cr_assert_eq(rxq.lent.count, TARGET / 2);
	rx_prod = rx_cons + TARGET / 2 + 1; /* within the ring, past what was lent */
	cr_assert_eq(axp_rx_burst(&rxq, p, 32), 0);
	cr_assert_eq(tern_qstat_read(&rxq.st.errors), 1);
	cr_assert_eq(rxq.lent.count, TARGET / 2, "nothing unmarked");
}

/* ---- TX and completion -------------------------------------------------- */

static struct tern_pkt *frame(void)
{
	struct tern_pkt *p = tern_pkt_alloc(mp);

	cr_assert_not_null(p);
	memset(tern_pkt_append(p, 60), 0xab, 60);
	return p;
}

/* The kernel sends the next TX descriptor and completes its address. */
static uint64_t k_send(void)
{
	uint64_t addr;

	cr_assert_neq(tx_prod, tx_cons, "TX ring empty");
	addr = tx_ring[tx_cons++ & (RING - 1)].addr;
	comp_ring[comp_prod++ & (RING - 1)] = addr;
	return addr;
}

Test(af_xdp_rings, repeated_completion_frees_once)
{
	struct tern_pkt *p[2] = {frame(), frame()};
	unsigned before;
	uint64_t a;

	cr_assert_eq(axp_tx_burst(&txq, p, 2), 2);
	cr_assert_eq(txq.lent.count, 2);
	before = tern_mempool_avail_count(mp);
	a = k_send();
	comp_ring[comp_prod++ & (RING - 1)] = a; /* the same address again */
	axp_tx_complete(&txq);
	cr_assert_eq(tern_mempool_avail_count(mp), before + 1, "freed once");
	cr_assert_eq(tern_qstat_read(&txq.st.errors), 1);
	cr_assert_eq(txq.lent.count, 1);
	/* Again in a later poll, then an address never sent: both ignored. */
	comp_ring[comp_prod++ & (RING - 1)] = a;
	axp_tx_complete(&txq);
	comp_ring[comp_prod++ & (RING - 1)] = chunk_of(p[1]) + TERN_CACHE_LINE_SIZE;
	axp_tx_complete(&txq);
	cr_assert_eq(tern_mempool_avail_count(mp), before + 1);
	cr_assert_eq(tern_qstat_read(&txq.st.errors), 3);
	(void)k_send();
	axp_tx_complete(&txq);
	cr_assert_eq(txq.lent.count, 0);
	cr_assert_eq(tern_mempool_avail_count(mp), before + 2);
}

Test(af_xdp_rings, completion_producer_out_of_bounds_refused)
{
	struct tern_pkt *p[2] = {frame(), frame()};
	unsigned before;

	cr_assert_eq(axp_tx_burst(&txq, p, 2), 2);
	before = tern_mempool_avail_count(mp);
	/* Stale slots naming both buffers, still in the kernel's hands. */
	for (uint32_t i = 0; i < RING; i++)
		comp_ring[i] = tx_ring[i % 2].addr;
	comp_prod = comp_cons + 3; /* more than were sent */
	axp_tx_complete(&txq);
	comp_prod = comp_cons - 1; /* behind the consumer */
	axp_tx_complete(&txq);
	cr_assert_eq(tern_mempool_avail_count(mp), before, "nothing freed");
	cr_assert_eq(tern_qstat_read(&txq.st.errors), 2);
	cr_assert_eq(txq.lent.count, 2);
	/* A sane index again: the real completions are taken. */
	comp_prod = comp_cons;
	(void)k_send();
	(void)k_send();
	axp_tx_complete(&txq);
	cr_assert_eq(txq.lent.count, 0);
	cr_assert_eq(tern_mempool_avail_count(mp), before + 2);
}
