/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_ixgbe_rx.c - pmd/ixgbe's receive path, unchanged, against a hostile
 * 82599. The device is test/ixgbe_model/ in step mode (no engine thread):
 * the harness itself writes the write-back descriptors into the RX ring the
 * driver programmed (ixm_rx_ring), from the input. Each 8-byte record is one
 * device action or one application call:
 *
 *   0  a write-back at the device's head: any status/error bits (DD forced
 *      or not), any length (0, past the buffer, 0xffff), head moves on or not
 *   1  a write-back at any descriptor, the device's or not (past RDT, one the
 *      driver holds back or has not refilled)
 *   2  a well-formed frame of 1-6 descriptors within RDT, EOP on the last,
 *      lengths up to the buffer size, the error bits from the input
 *   3  the application: rx_burst(1-32); the packets are checked, then freed
 *      or held (up to 64) to catch a buffer handed out twice
 *   4  RDH written with any value; the device's head jumps anywhere; with
 *      byte 7 = 0x55 the card is pulled (ixm_unplug) instead: from then on
 *      link down, frozen stats, bursts return 0; after the input the port
 *      is closed, the EAL cleaned up, the card put back and probed again
 *   5  an old write-back changes again (flags that never settle): a
 *      descriptor behind the head gets new status bits, DD on or off
 *   6  the model proper: a frame from the wire and/or a tx_burst of 1-8
 *      packets, then one engine pass (the NIC's own RX and TX paths)
 *   7  the pool runs dry or fills again (rx_nombuf path); held packets freed
 *
 * What must hold: no crash, ASan or UBSan finding; every packet handed out
 * comes from the pool, each segment inside its buffer (data_off + data_len
 * <= buf_len), pkt_len the sum of its segments' data_len, nb_segs their
 * count, no buffer handed out twice (in one burst, or while the
 * application still holds it); and after stop every buffer is back in the
 * pool (none lost, none freed twice) - also when the card was pulled
 * mid-input, with packets half assembled, TX not cleaned and the pool dry.
 * Each input starts from a freshly started port.
 *
 * Found so far: a frame of empty, never-EOP descriptors grew a chain past
 * the ring, each burst refilling what it ate (regressions/ixgbe_rx/
 * empty_segments_chain_past_ring, written by hand from a review).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "ixgbe_model.h"
#include "ixgbe_regs.h"
#include "tern_driver.h"
#include "tern_eal.h"
#include "tern_mempool.h"
#include "tern_pkt.h"
#include "tern_port.h"

#define ADDR    "0000:e1:00.0"
#define POOL    1023 /* a power of two less one: the ring backend's size */
#define NB_DESC 128  /* the driver's minimum: wraps often */
#define HELD    64

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ixm *model;
static struct ixm_port *port;
static struct tern_mempool *mp;
static struct tern_pkt *held[HELD], *hog[POOL];
static unsigned nb_held, nb_hog;
static uint8_t sink[IXM_MAX_FRAME];
static uint64_t buf_addr[POOL]; /* where the driver posts each buffer: sorted */
static unsigned nb_addr;
static volatile union ixgbe_adv_rx_desc *ring;

static void addr_cb(struct tern_mempool *pool, void *opaque, void *obj, unsigned idx)
{
	(void)pool;
	(void)opaque;
	(void)idx;
	if (nb_addr < POOL)
		buf_addr[nb_addr++] = ((struct tern_pkt *)obj)->buf_iova + TERN_PKT_HEADROOM;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The model's own RX path DMAs into whatever address a descriptor between
 * RDH and RDT holds, as a NIC does. After this harness's write-backs those
 * may be garbage, and the model would then write anywhere: a device fault
 * no driver can survive (an IOMMU's job), not one to look for here. So the
 * model only receives while every such descriptor still holds an address
 * the driver posted.
 */
static bool ring_posted(void)
{
	uint32_t rdh = ixm_reg_peek(port, IXGBE_RDH(0)), rdt = ixm_reg_peek(port, IXGBE_RDT(0));

	if (rdh >= NB_DESC || rdt >= NB_DESC)
		return true; /* the model leaves such a ring alone */
	for (uint32_t i = rdh; i != rdt; i = (i + 1) % NB_DESC) {
		uint64_t a = ring[i].read.pkt_addr;

		if (ring[i].read.hdr_addr != 0 ||
		    bsearch(&a, buf_addr, nb_addr, sizeof(a), cmp_u64) == NULL)
			return false;
	}
	return true;
}

/* EAL, pool and port 0 with one RX and one TX queue (at start, and after a re-probe). */
static void port_setup(void)
{
	/* No per-lcore cache: the pool's count is then exact after every input. */
	mp = fuzz_port0_setup("fuzz_ixgbe_rx", ADDR, "ixfuzz", POOL, NB_DESC);
	nb_addr = 0;
	tern_mempool_obj_iter(mp, addr_cb, NULL);
	qsort(buf_addr, nb_addr, sizeof(buf_addr[0]), cmp_u64);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const uint8_t mac[6] = {0x02, 0, 0, 0, 0x82, 0x42};

	(void)argc;
	(void)argv;
	fuzz_quiet_log();
	model = ixm_create_stepped();
	if (model == NULL)
		fuzz_die("fuzz_ixgbe_rx", "model");
	port = ixm_port_add(model, ADDR, 0x10fb, mac);
	if (port == NULL)
		fuzz_die("fuzz_ixgbe_rx", "model port");
	port_setup();
	return 0;
}

static bool unplugged;

/* The card is pulled: the port must say so, keep its totals, and hand out nothing. */
static void unplug(void)
{
	struct tern_port_stats a, b;
	struct tern_link link;

	ixm_unplug(port);
	unplugged = true;
	if (tern_port_link_get(0, &link) != 0 || link.up)
		__builtin_trap(); /* a removed port must say link down */
	if (tern_port_stats_get(0, &a) != 0 || tern_port_stats_get(0, &b) != 0 ||
	    a.ipackets != b.ipackets || a.opackets != b.opackets || a.ibytes != b.ibytes)
		__builtin_trap(); /* a removed port's totals must stay put */
}

/* After an input that pulled the card: close, clean up, put it back, probe again. */
static void reprobe(void)
{
	if (tern_port_start(0) != -ENODEV)
		__builtin_trap(); /* a removed port must refuse to start */
	if (tern_port_close(0) != 0)
		fuzz_die("fuzz_ixgbe_rx", "close a removed port");
	tern_mempool_free(mp);
	mp = NULL;
	if (tern_eal_cleanup() != 0)
		fuzz_die("fuzz_ixgbe_rx", "cleanup");
	ixm_replug(port);
	unplugged = false;
	port_setup();
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A length: often one near a boundary (0, the 1 KiB steps of SRRCTL, the top), else any. */
static uint16_t pick_len(const uint8_t *p)
{
	static const uint16_t edge[] = {0,    1,    59,   60,   1023, 1024,  1025,  2047,
	                                2048, 2049, 3072, 9728, 9729, 16383, 32768, 65535};
	uint16_t v = (uint16_t)(p[0] | p[1] << 8);

	return (v & 0x8000) ? edge[v & 15] : (uint16_t)(v & 0x3fff);
}

static void wb(volatile union ixgbe_adv_rx_desc *d, uint32_t status, uint16_t len, uint32_t hash)
{
	d->wb.pkt_info = hash >> 7;
	d->wb.rss_hash = hash;
	d->wb.length = len;
	d->wb.vlan = (uint16_t)hash;
	/* Release: the fields before the status dword, as a NIC writes back; pairs with the
	 * driver's acquire fence after it sees DD. */
	__atomic_store_n(&d->wb.status_error, status, __ATOMIC_RELEASE);
}

static bool is_held(const struct tern_pkt *p)
{
	for (unsigned i = 0; i < nb_held; i++)
		if (held[i] == p)
			return true;
	return false;
}

static void check_burst(struct tern_pkt **pkts, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++) {
		uint32_t total = 0;
		uint16_t segs = 0;

		for (const struct tern_pkt *s = pkts[i]; s != NULL; s = s->next) {
			if (s->pool != mp)
				__builtin_trap(); /* not a buffer of ours */
			if ((uint32_t)s->data_off + s->data_len > s->buf_len)
				__builtin_trap(); /* a segment reaching past its buffer */
			if (is_held(s))
				__builtin_trap(); /* handed out while the application holds it */
			total += s->data_len;
			if (++segs > NB_DESC)
				__builtin_trap(); /* a chain longer than the ring: a loop */
		}
		if (segs != pkts[i]->nb_segs)
			__builtin_trap(); /* nb_segs does not count the chain */
		if (total != pkts[i]->pkt_len) {
			fprintf(stderr, "pkt_len %u, sum of data_len %u, %u segments\n",
			        pkts[i]->pkt_len, total, segs);
			__builtin_trap(); /* pkt_len is not the sum of data_len */
		}
		for (uint16_t j = 0; j < i; j++)
			if (pkts[j] == pkts[i])
				__builtin_trap(); /* handed out twice in one burst */
	}
}

static void free_held(void)
{
	tern_pkt_free_bulk(held, nb_held);
	nb_held = 0;
}

static void free_hog(void)
{
	tern_mempool_put_bulk(mp, (void **)hog, nb_hog);
	nb_hog = 0;
}

static void burst(uint16_t want, bool hold)
{
	struct tern_pkt *pkts[32];
	uint16_t n = tern_port_rx_burst(0, 0, pkts, want);

	if (n > want || (unplugged && n != 0))
		__builtin_trap(); /* more than asked, or packets from a removed port */
	check_burst(pkts, n);
	for (uint16_t i = 0; i < n; i++) {
		if (hold && nb_held < HELD)
			held[nb_held++] = pkts[i];
		else
			tern_pkt_free(pkts[i]);
	}
}

/* The model's own paths: a frame from the wire, a TX burst, one engine pass. */
static void model_step(const uint8_t *r)
{
	bool rx = ring_posted();

	if (rx && (r[1] & 1)) {
		uint8_t f[1600] = {0};
		size_t len = 14 + rd32(r + 2) % (sizeof(f) - 14);

		memcpy(f, (const uint8_t[6]){0x02, 0, 0, 0, 0x82, 0x42}, 6); /* to the port */
		f[12] = 0x88, f[13] = 0xb5;
		ixm_inject(port, f, len);
	}
	if (r[1] & 2) {
		struct tern_pkt *pkts[8];
		unsigned k = (r[6] & 7) + 1;
		uint16_t n;

		if (tern_pkt_alloc_bulk(mp, pkts, k) == 0) {
			for (unsigned i = 0; i < k; i++)
				tern_pkt_append(pkts[i], (uint16_t)(60 + r[7] * 4));
			n = tern_port_tx_burst(0, 0, pkts, (uint16_t)k);
			if (n > k)
				__builtin_trap();
			tern_pkt_free_bulk(pkts + n, k - n);
		}
	}
	/* Safe without rx too: the packet buffer is empty then (flushed after every pass). */
	ixm_engine_step(model);
	ixm_rx_flush(port); /* a frame left waiting must not meet a ring written over later */
	while (ixm_sink_pop(port, sink, sizeof(sink)) > 0)
		;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned nb = 0, head = 0;

	if (tern_port_start(0) != 0)
		fuzz_die("fuzz_ixgbe_rx", "start");
	ring = ixm_rx_ring(port, 0, &nb);
	if (ring == NULL || nb != NB_DESC)
		fuzz_die("fuzz_ixgbe_rx", "the RX ring the driver gave the device");
	for (size_t off = 0; off + 8 <= size; off += 8) {
		const uint8_t *r = data + off;

		switch (r[0] & 7) {
		case 0: { /* at the head: any bits, any length */
			uint32_t st = rd32(r + 1);

			if (r[0] & 8)
				st |= IXGBE_RXD_STAT_DD;
			wb(&ring[head], st, pick_len(r + 5), rd32(r + 3));
			if (!(r[0] & 16))
				head = (head + 1) % nb;
			break;
		}
		case 1: /* anywhere */
			wb(&ring[r[1] % nb], rd32(r + 2) | ((r[0] & 8) ? IXGBE_RXD_STAT_DD : 0),
			   pick_len(r + 6), rd32(r + 1));
			break;
		case 2: { /* a good frame within RDT */
			unsigned k = r[1] % 6 + 1;
			uint32_t rdt = ixm_reg_peek(port, IXGBE_RDT(0));
			uint32_t err = (r[0] & 8) ? (uint32_t)r[2] << 20 : 0;

			if (rdt >= nb || (rdt + nb - head) % nb < k)
				break;
			for (unsigned i = 0; i < k; i++) {
				uint16_t len = (uint16_t)((rd32(r + 3) >> (3 * i)) % 2049);
				bool eop = i == k - 1;

				if (!eop && len == 0)
					len = 2048; /* a full buffer before the last */
				wb(&ring[head],
				   IXGBE_RXD_STAT_DD | (eop ? IXGBE_RXD_STAT_EOP | err : 0), len,
				   rd32(r + 4));
				head = (head + 1) % nb;
			}
			break;
		}
		case 3:
			burst((uint16_t)(r[1] % 32 + 1), r[2] & 1);
			break;
		case 4: /* RDH out of range, the head anywhere; or the card pulled */
			if (r[7] == 0x55) {
				if (!unplugged)
					unplug();
				break;
			}
			ixm_reg_write(port, IXGBE_RDH(0), rd32(r + 1));
			if (r[5] & 1)
				head = r[6] % nb;
			break;
		case 5: { /* a done descriptor changes again */
			volatile union ixgbe_adv_rx_desc *d =
			    &ring[(head + nb - 1 - r[1] % nb) % nb];
			uint32_t st = rd32(r + 2);

			__atomic_store_n(&d->wb.status_error, st, __ATOMIC_RELEASE);
			if (r[6] & 1)
				d->wb.length = pick_len(r + 6);
			break;
		}
		case 6:
			model_step(r);
			break;
		default: /* the pool runs dry, or gets its buffers back */
			if ((r[1] & 1) && nb_hog == 0) {
				unsigned want = r[2] % 4 == 0 ? POOL : r[3];

				while (nb_hog < want && nb_hog < POOL &&
				       tern_mempool_get(mp, (void **)&hog[nb_hog]) == 0)
					nb_hog++;
			} else {
				free_hog();
			}
			free_held();
			break;
		}
	}
	/* Give the application the rest, then stop: every buffer back. */
	free_hog();
	free_held();
	for (int i = 0; i < 8; i++)
		burst(32, false);
	if (tern_port_stop(0) != 0)
		fuzz_die("fuzz_ixgbe_rx", "stop");
	if (tern_mempool_avail_count(mp) != tern_mempool_size(mp)) {
		fprintf(stderr, "fuzz_ixgbe_rx: %u of %u buffers back after stop\n",
		        tern_mempool_avail_count(mp), tern_mempool_size(mp));
		__builtin_trap();
	}
	if (unplugged)
		reprobe();
	return 0;
}
