/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ixgbe_test.c - the ixgbe PMD against the register-level 82599 model
 * (test/ixgbe_model/): init sequence, forwarding 60..9000-byte frames both
 * ways, RSS against Microsoft's Toeplitz verification table, pool
 * exhaustion, stop/start, link down/up, close and re-probe. Criterion runs
 * each test in its own process: every test starts with tern stopped.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <criterion/criterion.h>
#include <string.h>

#include "ixgbe_model.h"
#include "ixgbe_regs.h"
#include "tern_cycles.h"
#include "tern_error.h"
#include "tern_pkt.h"
#include "tern_port.h"
#include "tern_test.h"

#define ADDR0 "0000:e0:00.0"
#define ADDR1 "0000:e0:00.1"

static struct ixm *model;
static struct ixm_port *mport[2];
static struct tern_mempool *pool;
static const uint8_t mac[2][6] = {{0x02, 0, 0, 0, 0x82, 0x01}, {0x02, 0, 0, 0, 0x82, 0x02}};

static void eal_up(unsigned nports)
{
	struct tern_eal_config cfg;

	tern_eal_config_init(&cfg);
	cfg.no_huge = !tern_test_use_huge();
	cfg.nb_pci = nports;
	strcpy(cfg.pci[0].name, ADDR0);
	strcpy(cfg.pci[1].name, ADDR1);
	cr_assert_eq(tern_eal_init(&cfg), 0, "eal init: %s", tern_eal_last_error());
	cr_assert_eq(tern_port_count(), nports);
}

/* Two model ports, nothing on the wire between them (each sends to its sink). */
static void model_up(void)
{
	model = ixm_create();
	cr_assert_not_null(model);
	mport[0] = ixm_port_add(model, ADDR0, 0x10fb, mac[0]);
	mport[1] = ixm_port_add(model, ADDR1, 0x10fb, mac[1]);
	cr_assert(mport[0] != NULL && mport[1] != NULL);
}

static void port_up(uint16_t port, uint16_t nb_rxq, uint32_t mtu, bool rss, uint16_t nb_desc)
{
	struct tern_port_conf conf = {.mtu = mtu, .rss = rss};

	cr_assert_eq(tern_port_configure(port, nb_rxq, 1, &conf), 0, "%s", tern_eal_last_error());
	for (uint16_t q = 0; q < nb_rxq; q++)
		cr_assert_eq(tern_port_rx_queue_setup(port, q, nb_desc, TERN_SOCKET_ID_ANY, pool),
		             0, "%s", tern_eal_last_error());
	cr_assert_eq(tern_port_tx_queue_setup(port, 0, nb_desc, TERN_SOCKET_ID_ANY), 0);
	cr_assert_eq(tern_port_start(port), 0, "%s", tern_eal_last_error());
}

static void teardown(void)
{
	for (uint16_t p = 0; p < tern_port_count(); p++)
		if (tern_port_is_valid(p))
			tern_port_close(p);
	if (pool != NULL)
		cr_expect_eq(tern_mempool_in_use_count(pool), 0, "buffers not returned");
	tern_mempool_free(pool);
	pool = NULL;
	tern_eal_cleanup();
	ixm_destroy(model);
	model = NULL;
}

/* Frame `seq` of direction d: to the port's MAC, a length from 60 to 9000, a known pattern. */
static size_t make_frame(uint8_t *f, unsigned d, unsigned seq, size_t len)
{
	memcpy(f, mac[d], 6);
	memcpy(f + 6, mac[1 - d], 6);
	f[12] = 0x88;
	f[13] = 0xb5; /* local experimental ethertype */
	for (size_t i = 14; i < len; i++)
		f[i] = (uint8_t)(seq * 7 + i + d);
	memcpy(f + 14, &seq, sizeof(seq));
	return len;
}

static size_t frame_len(unsigned seq, size_t max)
{
	return 60 + (seq * 997u) % (max - 59);
}

/*
 * l2fwd's loop without MAC rewriting: port 0 <-> port 1, frames injected on
 * each model wire, taken from the other port's sink and compared.
 */
static void forward(unsigned n, size_t max_len, uint64_t bytes[2])
{
	static uint8_t want[IXM_MAX_FRAME], got[IXM_MAX_FRAME];
	unsigned sent[2] = {0, 0}, recvd[2] = {0, 0};
	uint64_t deadline = tern_time_ns() + 120ull * 1000000000;

	bytes[0] = bytes[1] = 0;
	while ((recvd[0] < n || recvd[1] < n) && tern_time_ns() < deadline) {
		for (unsigned d = 0; d < 2; d++) {
			struct tern_pkt *pkts[32];
			uint16_t nb, tx;
			size_t len;

			for (unsigned k = 0; k < 8 && sent[d] < n; k++) {
				len = make_frame(want, d, sent[d], frame_len(sent[d], max_len));
				if (ixm_inject(mport[d], want, len) < 0)
					break;
				bytes[d] += len;
				sent[d]++;
			}
			nb = tern_port_rx_burst((uint16_t)d, 0, pkts, 32);
			/* RSS is off on these ports: no frame may claim a hash. */
			for (uint16_t k = 0; k < nb; k++)
				cr_assert_not(pkts[k]->ol_flags & TERN_PKT_F_RX_RSS_HASH,
				              "a hash flagged with RSS off");
			/* Jumbo frames take 5 descriptors: wait for the NIC rather than drop. */
			tx = tern_port_tx_burst((uint16_t)(1 - d), 0, pkts, nb);
			while (tx < nb && tern_time_ns() < deadline) {
				sched_yield();
				tx += tern_port_tx_burst((uint16_t)(1 - d), 0, &pkts[tx],
				                         (uint16_t)(nb - tx));
			}
			cr_assert_eq(tx, nb, "TX ring full with %u of %u taken", tx, nb);
			while ((len = ixm_sink_pop(mport[1 - d], got, sizeof(got))) > 0) {
				size_t wlen =
				    make_frame(want, d, recvd[d], frame_len(recvd[d], max_len));

				cr_assert_eq(len, wlen, "dir %u frame %u: %zu bytes, want %zu", d,
				             recvd[d], len, wlen);
				cr_assert(memcmp(got, want, len) == 0, "dir %u frame %u differs", d,
				          recvd[d]);
				recvd[d]++;
			}
		}
	}
	cr_assert_eq(recvd[0], n, "0->1: %u of %u frames", recvd[0], n);
	cr_assert_eq(recvd[1], n, "1->0: %u of %u frames", recvd[1], n);
}

static void pool_create(unsigned n, unsigned cache)
{
	pool = tern_pktpool_create("ixgbe_test", n, cache, 0, TERN_PKT_DEFAULT_BUF_SIZE,
	                           TERN_SOCKET_ID_ANY);
	cr_assert_not_null(pool);
}

/* The EAL with both model ports, one pool, each port started with 1 RX queue of 256. */
static void ports_up(void)
{
	eal_up(2);
	pool_create(4096, 64);
	port_up(0, 1, 0, false, 256);
	port_up(1, 1, 0, false, 256);
}

/* Close both ports, check every buffer is back, free the pool, stop the EAL (model kept). */
static void ports_down(void)
{
	cr_assert_eq(tern_port_close(0), 0);
	cr_assert_eq(tern_port_close(1), 0);
	cr_assert_eq(tern_mempool_in_use_count(pool), 0);
	tern_mempool_free(pool);
	pool = NULL;
	cr_assert_eq(tern_eal_cleanup(), 0);
}

TestSuite(ixgbe, .fini = teardown, .timeout = 240);

Test(ixgbe, init_sequence_in_datasheet_order)
{
	model_up();
	eal_up(1);
	pool_create(1024, 32);
	port_up(0, 1, 0, false, 256);
	cr_assert_null(ixm_init_error(mport[0]), "%s", ixm_init_error(mport[0]));
	cr_assert_eq(ixm_init_step(mport[0]), 9);
}

Test(ixgbe, wrong_sequence_reset_before_mask)
{
	model_up();
	ixm_reg_write(mport[0], IXGBE_CTRL, IXGBE_CTRL_RST);
	cr_assert_not_null(ixm_init_error(mport[0]));
	cr_assert(strstr(ixm_init_error(mport[0]), "step 2 (global reset") != NULL, "%s",
	          ixm_init_error(mport[0]));
	cr_assert(strstr(ixm_init_error(mport[0]), "before step 1") != NULL);
}

Test(ixgbe, wrong_sequence_link_before_eeprom)
{
	model_up();
	ixm_reg_write(mport[0], IXGBE_EIMC, IXGBE_IRQ_CLEAR_MASK);
	ixm_reg_write(mport[0], IXGBE_CTRL, IXGBE_CTRL_RST);
	ixm_reg_write(mport[0], IXGBE_EIMC, IXGBE_IRQ_CLEAR_MASK);
	cr_assert_null(ixm_init_error(mport[0]));
	ixm_reg_write(mport[0], IXGBE_AUTOC, IXGBE_AUTOC_AN_RESTART); /* EEC.ARD never read */
	cr_assert(strstr(ixm_init_error(mport[0]) ?: "",
	                 "step 6 (link setup (AUTOC, 4.6.4)) came before step 4") != NULL,
	          "%s", ixm_init_error(mport[0]));
}

Test(ixgbe, wrong_sequence_tx_queue_before_te)
{
	model_up();
	ixm_reg_write(mport[0], IXGBE_TXDCTL(3), IXGBE_TXDCTL_ENABLE);
	cr_assert(strstr(ixm_init_error(mport[0]) ?: "", "TXDCTL[3].ENABLE set before DMATXCTL.TE"),
	          "%s", ixm_init_error(mport[0]));
}

Test(ixgbe, forward_60_to_9000_both_ways)
{
	const unsigned n = 2000;
	struct tern_port_stats st[2];
	struct tern_queue_stats qs;
	uint64_t bytes[2];

	model_up();
	eal_up(2);
	pool_create(4096, 64);
	port_up(0, 1, 9000, false, 512);
	port_up(1, 1, 9000, false, 512);
	forward(n, 9000, bytes);

	cr_assert_eq(tern_port_stats_get(0, &st[0]), 0);
	cr_assert_eq(tern_port_stats_get(1, &st[1]), 0);
	for (unsigned d = 0; d < 2; d++) {
		cr_expect_eq(st[d].ipackets, n, "port %u ipackets %lu", d, st[d].ipackets);
		cr_expect_eq(st[d].ibytes, bytes[d], "port %u ibytes %lu want %lu", d, st[d].ibytes,
		             bytes[d]);
		cr_expect_eq(st[1 - d].opackets, n);
		cr_expect_eq(st[1 - d].obytes, bytes[d]);
		cr_expect_eq(st[d].imissed, 0);
		cr_expect_eq(st[d].ierrors, 0);
		cr_assert_eq(tern_port_rxq_stats_get((uint16_t)d, 0, &qs), 0);
		cr_expect_eq(qs.packets, n);
		cr_expect_eq(qs.bytes, bytes[d]);
		cr_assert_eq(tern_port_txq_stats_get((uint16_t)(1 - d), 0, &qs), 0);
		cr_expect_eq(qs.packets, n);
		cr_expect_eq(qs.bytes, bytes[d]);
	}
	tern_port_stop(0);
	tern_port_stop(1);
	cr_assert_eq(tern_mempool_in_use_count(pool), 0, "%u buffers not returned",
	             tern_mempool_in_use_count(pool));
}

/* ---- RSS: Microsoft's verification suite for the default key ---------------------- */

static const uint8_t ms_key[40] = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
    0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
    0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

struct rss_case {
	bool v6;
	const char *dst, *src;
	uint16_t dport, sport;
	uint32_t hash_l3, hash_l4; /* "IP only" and "with TCP" columns */
};

/* "Verifying the RSS Hash Calculation" (Microsoft NDIS documentation). */
static const struct rss_case ms_table[] = {
    {false, "161.142.100.80", "66.9.149.187", 1766, 2794, 0x323e8fc2, 0x51ccc178},
    {false, "65.69.140.83", "199.92.111.2", 4739, 14230, 0xd718262a, 0xc626b0ea},
    {false, "12.22.207.184", "24.19.198.95", 38024, 12898, 0xd2d0a5de, 0x5c2b394a},
    {false, "209.142.163.6", "38.27.205.30", 2217, 48228, 0x82989176, 0xafc7327f},
    {false, "202.188.127.2", "153.39.163.191", 1303, 44251, 0x5d1809c5, 0x10e828a2},
    {true, "3ffe:2501:200:3::1", "3ffe:2501:200:1fff::7", 1766, 2794, 0x2cc18cd5, 0x40207d3d},
    {true, "ff02::1", "3ffe:501:8::260:97ff:fe40:efab", 4739, 14230, 0x0f0c461c, 0xdde51bbf},
    {true, "fe80::200:f8ff:fe21:67cf", "3ffe:1900:4545:3:200:f8ff:fe21:67cf", 38024, 44251,
     0x4b61e985, 0x02d1feef},
};

/* The hash input: src, dst addresses, then src, dst ports (7.1.2.8.1). */
static size_t rss_input(const struct rss_case *c, bool l4, uint8_t *in)
{
	size_t alen = c->v6 ? 16 : 4;
	int af = c->v6 ? AF_INET6 : AF_INET;

	cr_assert_eq(inet_pton(af, c->src, in), 1);
	cr_assert_eq(inet_pton(af, c->dst, in + alen), 1);
	if (!l4)
		return 2 * alen;
	in[2 * alen] = (uint8_t)(c->sport >> 8);
	in[2 * alen + 1] = (uint8_t)c->sport;
	in[2 * alen + 2] = (uint8_t)(c->dport >> 8);
	in[2 * alen + 3] = (uint8_t)c->dport;
	return 2 * alen + 4;
}

Test(ixgbe, toeplitz_model_matches_published_table)
{
	for (unsigned i = 0; i < TERN_DIM(ms_table); i++) {
		uint8_t in[36];
		size_t n;

		n = rss_input(&ms_table[i], false, in);
		cr_expect_eq(ixm_toeplitz(ms_key, in, n), ms_table[i].hash_l3, "case %u L3", i);
		n = rss_input(&ms_table[i], true, in);
		cr_expect_eq(ixm_toeplitz(ms_key, in, n), ms_table[i].hash_l4, "case %u L4", i);
	}
}

/* An IPv4/IPv6 frame for a case: proto 6 (TCP), 17 (UDP) or 1/59 (no ports). */
static size_t rss_frame(uint8_t *f, const struct rss_case *c, uint8_t proto, uint16_t tag)
{
	uint8_t in[36];
	size_t alen = c->v6 ? 16 : 4, l3 = c->v6 ? 40 : 20, len = 14 + l3 + 20 + 2;

	memset(f, 0, 64);
	memcpy(f, mac[0], 6);
	memcpy(f + 6, mac[1], 6);
	rss_input(c, true, in);
	if (c->v6) {
		f[12] = 0x86, f[13] = 0xdd;
		f[14] = 0x60;
		f[14 + 4] = 0, f[14 + 5] = 22;
		f[14 + 6] = proto;
		f[14 + 7] = 64;
		memcpy(f + 14 + 8, in, 32);
	} else {
		f[12] = 0x08, f[13] = 0x00;
		f[14] = 0x45;
		f[14 + 3] = (uint8_t)(l3 + 22);
		f[14 + 8] = 64;
		f[14 + 9] = proto;
		memcpy(f + 14 + 12, in, 8);
	}
	memcpy(f + 14 + l3, in + 2 * alen, 4); /* ports */
	memcpy(f + len - 2, &tag, 2);
	return len < 60 ? 60 : len;
}

Test(ixgbe, rss_hash_and_queues)
{
	enum { NQ = 4 };
	struct {
		uint32_t hash;
		bool seen;
	} want[3 * TERN_DIM(ms_table)];
	uint8_t f[128];
	unsigned n = 0, got = 0;
	uint64_t deadline;
	struct tern_port_info info;

	model_up();
	eal_up(1);
	pool_create(2048, 32);
	cr_assert_eq(tern_port_info_get(0, &info), 0);
	cr_assert(info.capa & TERN_PORT_CAPA_RSS_HASH);
	port_up(0, NQ, 0, true, 128);
	cr_assert_null(ixm_init_error(mport[0]), "%s", ixm_init_error(mport[0]));

	for (unsigned i = 0; i < TERN_DIM(ms_table); i++) {
		const struct rss_case *c = &ms_table[i];
		size_t len;

		len = rss_frame(f, c, 6, (uint16_t)n); /* TCP: the 4-tuple column */
		want[n++].hash = c->hash_l4;
		cr_assert_eq(ixm_inject(mport[0], f, len), 0);
		len = rss_frame(f, c, 17, (uint16_t)n); /* UDP: the same input */
		want[n++].hash = c->hash_l4;
		cr_assert_eq(ixm_inject(mport[0], f, len), 0);
		len = rss_frame(f, c, c->v6 ? 59 : 1, (uint16_t)n); /* no ports: the L3 column */
		want[n++].hash = c->hash_l3;
		cr_assert_eq(ixm_inject(mport[0], f, len), 0);
	}
	for (unsigned i = 0; i < n; i++)
		want[i].seen = false;
	deadline = tern_time_ns() + 30ull * 1000000000;
	while (got < n && tern_time_ns() < deadline)
		for (uint16_t q = 0; q < NQ; q++) {
			struct tern_pkt *pkts[32];
			uint16_t nb = tern_port_rx_burst(0, q, pkts, 32);

			for (uint16_t k = 0; k < nb; k++) {
				struct tern_pkt *p = pkts[k];
				uint16_t tag;

				memcpy(&tag, tern_pkt_mtod_offset(p, uint8_t *, p->pkt_len - 2), 2);
				if (p->pkt_len == 60) /* padded IPv4: tag sits before the pad */
					memcpy(&tag,
					       tern_pkt_mtod_offset(p, uint8_t *, 14 + 20 + 20), 2);
				cr_assert_lt(tag, n);
				cr_expect(p->ol_flags & TERN_PKT_F_RX_RSS_HASH,
				          "frame %u: hashed but TERN_PKT_F_RX_RSS_HASH not set",
				          tag);
				cr_expect_eq(p->rss_hash, want[tag].hash,
				             "frame %u: hash %08x, want %08x", tag, p->rss_hash,
				             want[tag].hash);
				/* RETA entry i names queue i mod NQ; the entry is hash bits 6:0. */
				cr_expect_eq(q, (want[tag].hash & 127) % NQ,
				             "frame %u on queue %u, RETA says %u", tag, q,
				             (want[tag].hash & 127) % NQ);
				cr_expect_not(want[tag].seen);
				want[tag].seen = true;
				got++;
				tern_pkt_free(p);
			}
		}
	cr_assert_eq(got, n, "%u of %u frames", got, n);
}

Test(ixgbe, rss_key_devarg)
{
	struct tern_eal_config cfg;

	model_up();
	tern_eal_config_init(&cfg);
	cfg.no_huge = !tern_test_use_huge();
	cfg.nb_pci = 1;
	strcpy(cfg.pci[0].name, ADDR0);
	strcpy(cfg.pci[0].args, "rss_key=0123");
	cr_assert_neq(tern_eal_init(&cfg), 0, "a short key must be refused");
	tern_eal_cleanup();
}

/* ---- pool exhaustion, stop/start, link, close ------------------------------------- */

Test(ixgbe, pool_empty_counts_nombuf_and_drops_nothing)
{
	enum { RING = 128, N = 300 };
	struct tern_pkt *held[N];
	unsigned nheld = 0, got = 0;
	struct tern_port_stats st;
	uint8_t f[64];
	uint64_t deadline;

	model_up();
	eal_up(1);
	pool_create(RING + 40, 0); /* the ring and 40 more: refills run dry */
	port_up(0, 1, 0, false, RING);
	for (unsigned i = 0; i < N; i++)
		cr_assert_eq(ixm_inject(mport[0], f, make_frame(f, 0, i, 64)), 0);

	/* Hold every packet: the pool empties, the ring is not refilled. */
	deadline = tern_time_ns() + 3ull * 1000000000;
	while (tern_time_ns() < deadline) {
		uint16_t nb =
		    tern_port_rx_burst(0, 0, &held[nheld], (uint16_t)TERN_MIN(32, N - nheld));

		nheld += nb;
	}
	cr_assert_lt(nheld, N);
	cr_assert_eq(tern_port_stats_get(0, &st), 0);
	cr_expect_gt(st.rx_nombuf, 0);
	cr_expect_eq(st.imissed, 0);
	cr_expect_gt(ixm_rx_pending(mport[0]), 0, "the rest waits in the NIC");

	/* Give them back: reception resumes, in order, nothing lost. */
	for (unsigned i = 0; i < nheld; i++) {
		unsigned seq;

		memcpy(&seq, tern_pkt_mtod_offset(held[i], uint8_t *, 14), sizeof(seq));
		cr_assert_eq(seq, got++);
		tern_pkt_free(held[i]);
	}
	deadline = tern_time_ns() + 30ull * 1000000000;
	while (got < N && tern_time_ns() < deadline) {
		struct tern_pkt *pkts[32];
		uint16_t nb = tern_port_rx_burst(0, 0, pkts, 32);

		for (uint16_t i = 0; i < nb; i++) {
			unsigned seq;

			memcpy(&seq, tern_pkt_mtod_offset(pkts[i], uint8_t *, 14), sizeof(seq));
			cr_assert_eq(seq, got++);
			tern_pkt_free(pkts[i]);
		}
	}
	cr_assert_eq(got, N);
	cr_assert_eq(tern_port_stats_get(0, &st), 0);
	cr_expect_eq(st.ipackets, N);
	cr_expect_eq(st.imissed, 0);
}

Test(ixgbe, stop_start)
{
	uint64_t bytes[2];

	model_up();
	ports_up();
	forward(300, 1514, bytes);
	for (int round = 0; round < 3; round++) {
		cr_assert_eq(tern_port_stop(0), 0);
		cr_assert_eq(tern_port_stop(1), 0);
		cr_assert_eq(tern_mempool_in_use_count(pool), 0);
		cr_assert_eq(tern_port_start(0), 0);
		cr_assert_eq(tern_port_start(1), 0);
		forward(300, 1514, bytes);
	}
	cr_assert_null(ixm_init_error(mport[0]), "%s", ixm_init_error(mport[0]));
}

Test(ixgbe, link_down_and_up)
{
	struct tern_link link;
	uint64_t bytes[2];

	model_up();
	ports_up();
	cr_assert_eq(tern_port_link_get(0, &link), 0);
	cr_expect(link.up);
	cr_expect_eq(link.speed_mbps, 10000);
	ixm_link_set(mport[0], false);
	cr_assert_eq(tern_port_link_get(0, &link), 0);
	cr_expect_not(link.up);
	cr_expect_eq(link.speed_mbps, 0);
	ixm_link_set(mport[0], true);
	cr_assert_eq(tern_port_link_get(0, &link), 0);
	cr_expect(link.up);
	cr_expect_eq(link.speed_mbps, 10000);
	forward(200, 1514, bytes); /* traffic flows again */
}

Test(ixgbe, close_and_reprobe)
{
	uint64_t bytes[2];

	model_up();
	ports_up();
	forward(100, 1514, bytes);
	ports_down();

	ports_up(); /* the same addresses probe again: reset and init from the start */
	cr_assert_null(ixm_init_error(mport[0]), "%s", ixm_init_error(mport[0]));
	cr_assert_eq(ixm_init_step(mport[0]), 9);
	forward(100, 1514, bytes);
}

/* Receive and free up to `want` packets on queue 0 (want 0: listen for half a second). */
static unsigned drain(uint16_t port, unsigned want)
{
	uint64_t deadline = tern_time_ns() + (want > 0 ? 2000000000ull : 500000000ull);
	unsigned got = 0;

	while (tern_time_ns() < deadline && (want == 0 || got < want)) {
		struct tern_pkt *pkts[32];
		uint16_t nb = tern_port_rx_burst(port, 0, pkts, 32);

		tern_pkt_free_bulk(pkts, nb);
		got += nb;
	}
	return got;
}

Test(ixgbe, mac_filter_promisc_broadcast_mtu)
{
	const struct tern_ether_addr other = {{0x02, 0, 0, 0, 0x99, 0x99}};
	uint8_t f[1600];

	model_up();
	eal_up(1);
	pool_create(1024, 32);
	port_up(0, 1, 0, false, 128);
	cr_assert_eq(tern_port_promisc_set(0, false), 0);

	make_frame(f, 0, 1, 60); /* to the port's MAC: accepted */
	cr_assert_eq(ixm_inject(mport[0], f, 60), 0);
	cr_expect_eq(drain(0, 1), 1);
	memcpy(f, other.addr, 6); /* to another MAC, promiscuous off: filtered */
	cr_assert_eq(ixm_inject(mport[0], f, 60), 0);
	cr_expect_eq(drain(0, 0), 0);
	cr_expect_eq(ixm_rx_filtered(mport[0]), 1);
	memset(f, 0xff, 6); /* broadcast: FCTRL.BAM */
	cr_assert_eq(ixm_inject(mport[0], f, 60), 0);
	cr_expect_eq(drain(0, 1), 1);

	cr_assert_eq(tern_port_mac_set(0, &other), 0); /* RAL/RAH(0) */
	memcpy(f, other.addr, 6);
	cr_assert_eq(ixm_inject(mport[0], f, 60), 0);
	cr_expect_eq(drain(0, 1), 1);
	memcpy(f, mac[1], 6); /* promiscuous on: anything */
	cr_assert_eq(tern_port_promisc_set(0, true), 0);
	cr_assert_eq(ixm_inject(mport[0], f, 60), 0);
	cr_expect_eq(drain(0, 1), 1);

	/* MTU 1500: a 1600-byte frame is over MAXFRS and dropped by the NIC. */
	cr_assert_eq(ixm_inject(mport[0], f, sizeof(f)), 0);
	cr_expect_eq(drain(0, 0), 0);
	cr_expect_eq(ixm_rx_filtered(mport[0]), 2);
}

Test(ixgbe, counters_fold_36_bits_and_by_the_poller)
{
	const uint64_t octets = (1ull << 35) + 12345; /* more than 32 bits: GORCH matters */
	struct tern_port_stats st;
	struct tern_pkt *chain, *seg, *pkts[32];
	uint64_t until;

	model_up();
	eal_up(1);
	pool_create(1024, 32);
	port_up(0, 1, 0, false, 128);

	ixm_count_rx(mport[0], 1000, octets);
	cr_assert_eq(tern_port_stats_get(0, &st), 0);
	cr_expect_eq(st.ipackets, 1000);
	cr_expect_eq(st.ibytes, octets - 1000 * 4, "ibytes %lu", st.ibytes);

	/* Nobody asks for stats: the poller itself folds within about a second. */
	ixm_count_rx(mport[0], 7, 700);
	until = tern_time_ns() + 2500000000ull;
	while (tern_time_ns() < until && ixm_reg_peek(mport[0], IXGBE_GPRC) != 0)
		tern_pkt_free_bulk(pkts, tern_port_rx_burst(0, 0, pkts, 32));
	cr_expect_eq(ixm_reg_peek(mport[0], IXGBE_GPRC), 0, "the poller did not fold GPRC");
	cr_assert_eq(tern_port_stats_get(0, &st), 0);
	cr_expect_eq(st.ipackets, 1007);

	/* 7.2.3.3: a chain of 41 segments is refused, counted, freed. */
	chain = tern_pkt_alloc(pool);
	cr_assert_not_null(chain);
	tern_pkt_append(chain, 60);
	for (int i = 1; i < 41; i++) {
		seg = tern_pkt_alloc(pool);
		cr_assert_not_null(seg);
		tern_pkt_append(seg, 1);
		cr_assert_eq(tern_pkt_chain(chain, seg), 0);
	}
	cr_assert_eq(chain->nb_segs, 41);
	cr_expect_eq(tern_port_tx_burst(0, 0, &chain, 1), 1);
	cr_assert_eq(tern_port_stats_get(0, &st), 0);
	cr_expect_eq(st.oerrors, 1);
	cr_expect_eq(st.opackets, 0);
}

Test(ixgbe, x540_and_kr_keep_their_link_mode)
{
	struct tern_link link;

	model = ixm_create();
	cr_assert_not_null(model);
	mport[0] = ixm_port_add(model, ADDR0, 0x1528, mac[0]); /* X540-T */
	mport[1] = ixm_port_add(model, ADDR1, 0x1517, mac[1]); /* 82599 KR */
	cr_assert(mport[0] != NULL && mport[1] != NULL);
	eal_up(2);
	pool_create(1024, 32);
	for (uint16_t p = 0; p < 2; p++) {
		port_up(p, 1, 0, false, 128);
		cr_assert_null(ixm_init_error(mport[p]), "%s", ixm_init_error(mport[p]));
		cr_assert_eq(tern_port_link_get(p, &link), 0);
		cr_expect(link.up);
		/* AUTOC.LMS as the EEPROM left it (0 in the model), AN restarted. */
		cr_expect_eq(ixm_reg_peek(mport[p], IXGBE_AUTOC) & IXGBE_AUTOC_LMS_MASK, 0);
	}
}

/* ---- surprise removal -------------------------------------------------------------- */

#define GONE_LINE "device stopped answering"

static struct tern_test_log_watch gone;

/* l2fwd's loop on its own thread: port 0 <-> port 1, what TX refuses is freed. */
struct poller {
	pthread_t tid;
	atomic_bool stop;
	_Atomic uint64_t rx[2], loops;
};

static void *poll_loop(void *arg)
{
	struct poller *pl = arg;

	while (!atomic_load_explicit(&pl->stop, memory_order_acquire)) {
		for (unsigned d = 0; d < 2; d++) {
			struct tern_pkt *pkts[32];
			uint16_t nb = tern_port_rx_burst((uint16_t)d, 0, pkts, 32);
			uint16_t tx = tern_port_tx_burst((uint16_t)(1 - d), 0, pkts, nb);

			tern_pkt_free_bulk(pkts + tx, (unsigned)(nb - tx));
			atomic_fetch_add_explicit(&pl->rx[d], nb, memory_order_relaxed);
		}
		atomic_fetch_add_explicit(&pl->loops, 1, memory_order_relaxed);
	}
	return NULL;
}

/* Wait up to 20 s for *c to reach want; its value. */
static uint64_t wait_count(_Atomic uint64_t *c, uint64_t want)
{
	uint64_t deadline = tern_time_ns() + 20ull * 1000000000;

	while (atomic_load(c) < want && tern_time_ns() < deadline)
		sched_yield();
	return atomic_load(c);
}

static void inject_frames(unsigned d, unsigned n)
{
	uint8_t f[64];

	for (unsigned i = 0; i < n; i++) {
		make_frame(f, d, i, 60);
		while (ixm_inject(mport[d], f, 60) < 0)
			sched_yield();
	}
}

/*
 * The card behind port 1 is pulled while both ports forward: the process
 * (this test) keeps running, the error is logged once, port 1 says link
 * down, keeps its last totals, refuses start and queue setup, its bursts
 * return 0 at once; port 0 keeps working; stop and close give every buffer
 * back.
 */
Test(ixgbe, unplug_mid_run_port_down_rest_keeps_working)
{
	struct tern_port_stats before, after, again, st0;
	struct tern_link link;
	struct tern_pkt *pkts[8];
	struct poller pl = {0};
	uint64_t loops, rx0;

	tern_test_log_watch(&gone, GONE_LINE);
	model_up();
	ixm_connect(mport[0], mport[1]);
	ports_up();
	cr_assert_eq(pthread_create(&pl.tid, NULL, poll_loop, &pl), 0);
	inject_frames(0, 64); /* circulate 0 -> 1 -> wire -> 0 */
	inject_frames(1, 64);
	cr_assert_geq(wait_count(&pl.rx[0], 5000), 5000, "port 0 did not forward");
	cr_assert_geq(wait_count(&pl.rx[1], 5000), 5000, "port 1 did not forward");
	cr_assert_eq(tern_port_stats_get(1, &before), 0);
	cr_assert_gt(before.ipackets, 0);

	ixm_unplug(mport[1]);
	/* The poller runs on: its bursts on port 1 must not hang or crash. */
	loops = atomic_load(&pl.loops);
	cr_assert_geq(wait_count(&pl.loops, loops + 10000), loops + 10000, "poller stuck");
	/* With no control call at all, the poller's own once-a-second stats fold notices. */
	{
		uint64_t deadline = tern_time_ns() + 10ull * 1000000000;

		while (atomic_load(&gone.hits) == 0 && tern_time_ns() < deadline)
			sched_yield();
		cr_expect_eq(atomic_load(&gone.hits), 1, "the poller did not notice the removal");
	}
	cr_assert_eq(tern_port_link_get(1, &link), 0);
	cr_expect_not(link.up, "a removed port reports link down");
	cr_expect_eq(link.speed_mbps, 0);
	cr_assert_eq(tern_port_stats_get(1, &after), 0);
	cr_assert_eq(tern_port_stats_get(1, &again), 0);
	cr_expect_geq(after.ipackets, before.ipackets, "totals went back");
	cr_expect_geq(after.opackets, before.opackets, "totals went back");
	cr_expect_eq(after.ipackets, again.ipackets, "totals of a removed port keep moving");
	cr_expect_eq(after.opackets, again.opackets);
	cr_expect_eq(after.ibytes, again.ibytes);
	cr_expect_lt(after.ipackets, 1ull << 40, "all-ones reads counted as traffic");
	cr_assert_eq(tern_port_link_get(1, &link), 0);
	cr_expect_not(link.up);

	/* Port 0 still receives. */
	rx0 = atomic_load(&pl.rx[0]);
	inject_frames(0, 100);
	cr_assert_geq(wait_count(&pl.rx[0], rx0 + 100), rx0 + 100, "port 0 stopped receiving");
	atomic_store_explicit(&pl.stop, true, memory_order_release);
	pthread_join(pl.tid, NULL);

	/* Bursts on the removed port return 0; TX leaves the packets to the caller. */
	cr_expect_eq(tern_port_rx_burst(1, 0, pkts, 8), 0);
	cr_assert_eq(tern_pkt_alloc_bulk(pool, pkts, 8), 0);
	for (unsigned i = 0; i < 8; i++)
		tern_pkt_append(pkts[i], 60);
	cr_expect_eq(tern_port_tx_burst(1, 0, pkts, 8), 0);
	/* Port 0 still sends (its peer is gone, but the NIC counts what it put on the wire). */
	cr_assert_eq(tern_port_stats_get(0, &st0), 0);
	cr_expect_eq(tern_port_tx_burst(0, 0, pkts, 8), 8);
	{
		struct tern_port_stats s;
		uint64_t deadline = tern_time_ns() + 20ull * 1000000000;

		do {
			cr_assert_eq(tern_port_stats_get(0, &s), 0);
		} while (s.opackets < st0.opackets + 8 && tern_time_ns() < deadline);
		cr_expect_geq(s.opackets, st0.opackets + 8, "port 0 stopped sending");
	}

	/* Control calls that need the device are refused; stop and close succeed. */
	cr_expect_eq(tern_port_stop(1), 0);
	cr_expect_eq(tern_port_start(1), -ENODEV);
	cr_expect_eq(tern_port_rx_queue_setup(1, 0, 256, TERN_SOCKET_ID_ANY, pool), -ENODEV);
	cr_expect_eq(tern_port_tx_queue_setup(1, 0, 256, TERN_SOCKET_ID_ANY), -ENODEV);
	cr_expect_eq(tern_port_stop(0), 0);
	cr_expect_eq(tern_port_close(1), 0);
	cr_expect_eq(tern_port_close(0), 0);
	cr_expect_eq(tern_mempool_in_use_count(pool), 0, "%u buffers not returned",
	             tern_mempool_in_use_count(pool));

	cr_expect_eq(atomic_load(&gone.hits), 1, "the removal was logged %u times",
	             atomic_load(&gone.hits));
	cr_expect(strstr(gone.first, ADDR1) != NULL && strstr(gone.first, "port 1") != NULL,
	          "the line names neither the device nor the port: %s", gone.first);
	tern_log_set_callback(NULL, NULL);
}

/*
 * Pulled while stopped, put back: the first control call to find it gone
 * (here a MAC change, the driver's own STATUS look) fails with a last error
 * that says why; start refuses; after close, a new probe works again.
 */
Test(ixgbe, unplug_replug_reprobe)
{
	const struct tern_ether_addr new_mac = {{0x02, 0, 0, 0, 0x99, 0x98}};
	uint64_t bytes[2];

	tern_test_log_watch(&gone, GONE_LINE);
	model_up();
	ports_up();
	forward(50, 1514, bytes);
	cr_assert_eq(tern_port_stop(1), 0);
	ixm_unplug(mport[1]);
	tern_error_clear();
	cr_expect_eq(tern_port_mac_set(1, &new_mac), -ENODEV);
	cr_expect(strstr(tern_last_error(), "MAC address change refused") != NULL,
	          "last error: \"%s\"", tern_last_error());
	cr_expect_eq(tern_port_start(1), -ENODEV);
	cr_expect_eq(atomic_load(&gone.hits), 1);
	ixm_replug(mport[1]); /* back, but as after power-on: the old port stays down */
	cr_expect_eq(tern_port_start(1), -ENODEV);
	ports_down();

	ports_up();
	cr_assert_null(ixm_init_error(mport[1]), "%s", ixm_init_error(mport[1]));
	forward(100, 1514, bytes);
	cr_expect_eq(atomic_load(&gone.hits), 1);
	tern_log_set_callback(NULL, NULL);
}

/* A probe of a device that is already gone fails cleanly: -ENODEV, one line saying why. */
static struct tern_test_log_watch absent;

Test(ixgbe, probe_of_a_gone_device_fails)
{
	struct tern_eal_config cfg;

	tern_test_log_watch(&absent, "0000:e0:00.0: device does not answer");
	model_up();
	ixm_unplug(mport[0]);
	tern_eal_config_init(&cfg);
	cfg.no_huge = !tern_test_use_huge();
	cfg.nb_pci = 1;
	strcpy(cfg.pci[0].name, ADDR0);
	cr_expect_neq(tern_eal_init(&cfg), 0, "probe of a gone device succeeded");
	/* The driver's own line is the error the application reads (tern_error). */
	cr_expect(strstr(tern_eal_last_error(), "device does not answer") != NULL &&
	              strstr(tern_eal_last_error(), "driver ixgbe refused it") != NULL,
	          "%s", tern_eal_last_error());
	cr_expect_eq(atomic_load(&absent.hits), 1);
	tern_log_set_callback(NULL, NULL);
}

/* A chip that hangs in its reset: its probe fails after a bounded wait, the other port works. */
static struct tern_test_log_watch wedged;

Test(ixgbe, probe_of_a_wedged_device_fails_the_other_works)
{
	struct tern_eal_config cfg;
	uint64_t t0;

	tern_test_log_watch(&wedged, "0000:e0:00.1: CTRL.RST did not clear after reset");
	model_up();
	ixm_wedge_reset(mport[1], true);
	tern_eal_config_init(&cfg);
	cfg.no_huge = !tern_test_use_huge();
	cfg.nb_pci = 1;
	strcpy(cfg.pci[0].name, ADDR1);
	t0 = tern_time_ns();
	cr_expect_neq(tern_eal_init(&cfg), 0, "probe of a wedged device succeeded");
	cr_expect_lt(tern_time_ns() - t0, 20ull * 1000000000, "the probe waited too long");
	cr_expect_eq(atomic_load(&wedged.hits), 1);
	tern_eal_cleanup();
	/* The same process, the good port: probes, passes the init check, receives. */
	tern_eal_config_init(&cfg);
	cfg.no_huge = !tern_test_use_huge();
	cfg.nb_pci = 1;
	strcpy(cfg.pci[0].name, ADDR0);
	cr_assert_eq(tern_eal_init(&cfg), 0, "%s", tern_eal_last_error());
	pool_create(1024, 0);
	port_up(0, 1, 0, false, 256);
	cr_expect_null(ixm_init_error(mport[0]), "%s", ixm_init_error(mport[0]));
	inject_frames(0, 10);
	cr_expect_eq(drain(0, 10), 10);
	tern_log_set_callback(NULL, NULL);
}
