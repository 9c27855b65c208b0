/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_virtio_packed.c - pmd/virtio's packed virtqueues (virtio 1.1 2.7)
 * against a hostile device. test/virtio's in-memory PCI model
 * (fake_virtio.h) offers VIRTIO_F_RING_PACKED and carries the transport;
 * this file plays the device on the packed rings themselves, driven by the
 * input: each 8-byte record is one device action or one application burst:
 *
 *   0  RX: a used descriptor at the device's used slot with any buffer id
 *      (in range or not, lent or not, again) and any length; its wrap bits
 *      right, flipped, AVAIL only or USED only; the slot advanced 0-3
 *   1  RX: a well-formed frame (length, buffer fill from input), merged
 *      buffers with num_buffers when it needs more than one
 *   2  RX: the next available buffer used with a hostile num_buffers and length
 *   3  RX: 1-8 buffers used out of order (reversed), maybe one twice
 *   4  the application: rx_burst(32); the packets are checked and freed
 *   5  the application: tx_burst of 1-8 frames, unsent ones freed
 *   6  TX: a used descriptor as in 0
 *   7  TX: the device consumes 1-8 chains properly, in order or reversed
 *   8  the device writes any flags (and maybe id) into any slot of
 *      receiveq 0, transmitq 0 or the control queue
 *   9  the application: tx_burst of 1-4 frames of 1-4 segments each
 *  10  the application: a control command (promiscuous on/off); the device
 *      answers at once or holds it (then it times out after 1 ms)
 *  11  control queue: a used descriptor as in 0
 *  12  the device answers the held control command(s), late
 *  13  the device's event suppression flags: enable, disable, desc, any
 *  14  the device's used slot jumps (out of step with the driver)
 *  15  as 7
 *
 * The device model keeps its own avail and used slots and wrap counters
 * (2.7.1), reads chains the driver made available, writes only into RX
 * buffers (never past the buffer length the pool has) and control acks,
 * and never reads TX data (a hostile length could point past it).
 *
 * What must hold: no crash, hang or ASan finding; every packet handed out
 * is inside its buffer, its chain's lengths add up, no packet is handed
 * out twice; after stop every buffer is back in the pool. Each input
 * starts from a freshly started port (reset: both wrap counters 1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "fake_virtio.h"
#include "tern_driver.h"
#include "tern_eal.h"
#include "tern_mempool.h"
#include "tern_pkt.h"
#include "tern_port.h"

#define ADDR    "0000:43:00.0"
#define DEVARGS ",ctrl_timeout_ms=1"
#define POOL    2047
#define NB_DESC 256
#define CTRLQ   2 /* no MQ: the control queue follows the one pair */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fake dev;
static struct tern_mempool *mp;
static uint32_t rx_cap; /* bytes an RX buffer holds from its descriptor address */
static uint8_t frame[9216];

/* The device's side of one packed queue (2.7.1: both wrap counters start at 1). */
static struct {
	uint16_t avail, used;
	bool avail_wrap, used_wrap;
} pq[3];

#define F_AVAIL VRING_PACKED_DESC_F_AVAIL
#define F_USED  VRING_PACKED_DESC_F_USED

static struct vring_packed_desc *ring(unsigned qi)
{
	return (struct vring_packed_desc *)(uintptr_t)dev.q[qi].desc;
}

static bool live(unsigned qi)
{
	return dev.q[qi].desc != 0 && dev.q[qi].size != 0 &&
	       (dev.status & VIRTIO_CONFIG_S_DRIVER_OK);
}

static void step(uint16_t *slot, bool *wrap, unsigned qi, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (++*slot >= dev.q[qi].size) {
			*slot = 0;
			*wrap = !*wrap;
		}
	}
}

/*
 * Read the next chain the driver made available (2.7.1: AVAIL == our
 * view of its wrap counter, USED != it); copies at most max descriptors
 * into out. Returns the chain's descriptor count, 0 when none is available.
 */
static unsigned take_chain(unsigned qi, struct vring_packed_desc *out, unsigned max, uint16_t *id)
{
	uint16_t slot = pq[qi].avail;
	bool wrap = pq[qi].avail_wrap;
	unsigned n = 0;

	if (!live(qi))
		return 0;
	for (;;) {
		struct vring_packed_desc d = ring(qi)[slot];

		if (!!(d.flags & F_AVAIL) != wrap || !!(d.flags & F_USED) == wrap)
			break;
		atomic_thread_fence(memory_order_acquire); /* the driver's release pair */
		if (n < max)
			out[n] = d;
		n++;
		*id = d.id; /* 2.7.6: the last descriptor's counts */
		step(&slot, &wrap, qi, 1);
		if (!(d.flags & VRING_DESC_F_NEXT) || n >= dev.q[qi].size)
			break;
	}
	if (n == 0)
		return 0;
	pq[qi].avail = slot;
	pq[qi].avail_wrap = wrap;
	return n;
}

/* 2.7.8: a used descriptor at our used slot; flags last. adv: slots to step. */
static void put_used(unsigned qi, uint16_t id, uint32_t len, unsigned adv, unsigned how)
{
	struct vring_packed_desc *d = &ring(qi)[pq[qi].used];
	bool w = pq[qi].used_wrap;
	static const uint16_t bad[4] = {0, F_AVAIL | F_USED, F_AVAIL, F_USED};
	uint16_t flags = how == 0 ? (w ? F_AVAIL | F_USED : 0) : how == 1 ? bad[w] : bad[how];

	d->id = id;
	d->len = len;
	atomic_thread_fence(memory_order_release); /* id and len before flags */
	*(volatile uint16_t *)&d->flags = flags;
	step(&pq[qi].used, &pq[qi].used_wrap, qi, adv);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A length: often one near a boundary, else any 32-bit value. */
static uint32_t pick_len(const uint8_t *p)
{
	static const uint32_t edge[] = {0,    1,    11,   12,   13,    60,    2047,  2048,
	                                2049, 2060, 2061, 4096, 65535, 65536, 65547, UINT32_MAX};
	uint32_t v = rd32(p);

	return (v & 0x80000000u) ? edge[v & 15] : v & 0x1ffff;
}

static void hostile_used(unsigned qi, const uint8_t *r)
{
	uint32_t id = (r[1] & 1) ? r[2] % (2 * NB_DESC) : (uint32_t)(r[1] | r[2] << 8);

	if (live(qi))
		put_used(qi, (uint16_t)id, pick_len(r + 4), (r[3] >> 2) & 3, r[3] & 3);
}

/* An RX buffer the model may write: a device-writable descriptor of sane length. */
static uint8_t *rx_buf(const struct vring_packed_desc *d, uint32_t *cap)
{
	if (d->addr == 0 || !(d->flags & VRING_DESC_F_WRITE))
		return NULL;
	*cap = TERN_MIN(d->len, rx_cap);
	return (uint8_t *)(uintptr_t)d->addr;
}

/* 5.1.6.4: one frame into receiveq 0, seg_cap data bytes per buffer at most. */
static void rx_frame(uint32_t len, uint32_t seg_cap, uint8_t fill)
{
	uint16_t ids[64];
	uint32_t lens[64], done = 0;
	struct virtio_net_hdr *h0 = NULL;
	unsigned nbuf = 0;

	memset(frame, fill, len);
	while (done < len && nbuf < 64) {
		struct vring_packed_desc d;
		uint32_t cap, room, off = nbuf == 0 ? VIRTIO_NET_HDR_LEN_MRG : 0, k;
		uint8_t *b;

		if (take_chain(0, &d, 1, &ids[nbuf]) != 1)
			break;
		b = rx_buf(&d, &cap);
		if (b == NULL || cap <= off) {
			lens[nbuf++] = 0; /* nothing written: the driver must drop it */
			continue;
		}
		room = TERN_MIN(cap - off, seg_cap);
		k = TERN_MIN(room, len - done);
		if (nbuf == 0) {
			h0 = (struct virtio_net_hdr *)b;
			memset(h0, 0, VIRTIO_NET_HDR_LEN_MRG);
		}
		memcpy(b + off, frame + done, k);
		done += k;
		lens[nbuf++] = off + k;
	}
	if (nbuf == 0)
		return;
	if (h0 != NULL)
		h0->num_buffers = (uint16_t)nbuf;
	for (unsigned i = 0; i < nbuf; i++)
		put_used(0, ids[i], lens[i], 1, 0);
}

/* The device answers control commands on the packed control queue: ack OK. */
static void ctrl_answer(struct fake *f)
{
	struct vring_packed_desc c[4];
	uint16_t id;
	unsigned n;

	while ((n = take_chain(CTRLQ, c, 4, &id)) > 0) {
		for (unsigned i = 0; i < n && i < 4; i++)
			if ((c[i].flags & VRING_DESC_F_WRITE) && c[i].addr != 0)
				*(uint8_t *)(uintptr_t)c[i].addr = VIRTIO_NET_OK;
		f->ctrl_cmds++;
		put_used(CTRLQ, id, 1, n, 0);
	}
}

static void tx_consume(const uint8_t *r)
{
	struct vring_packed_desc c[8];
	uint16_t ids[8], counts[8];
	unsigned k = (r[1] & 7) + 1, got = 0;

	while (got < k && (counts[got] = (uint16_t)take_chain(1, c, 8, &ids[got])) > 0)
		got++;
	for (unsigned i = 0; i < got; i++) {
		unsigned j = (r[2] & 1) ? got - 1 - i : i; /* reversed: out of order */

		put_used(1, ids[j], 0, counts[j], 0);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const uint64_t features = 1ull << VIRTIO_NET_F_MAC | 1ull << VIRTIO_NET_F_STATUS |
	                                 1ull << VIRTIO_NET_F_MRG_RXBUF |
	                                 1ull << VIRTIO_NET_F_CTRL_VQ |
	                                 1ull << VIRTIO_NET_F_CTRL_RX | 1ull << VIRTIO_F_VERSION_1 |
	                                 1ull << VIRTIO_F_RING_PACKED;
	uint64_t bars[TERN_PCI_MAX_BARS] = {32, 0, 0, 0, 0x4000, 0};
	struct tern_pci_addr a;

	(void)argc;
	(void)argv;
	(void)fake_rx_put; /* the model's split-ring helpers: the packed rings are played here */
	(void)fake_tx_pull;
	fuzz_quiet_log();
	fake_init(&dev, features);
	dev.ctrl_fn = ctrl_answer;
	tern_pci_addr_parse(ADDR, &a);
	if (tern_pci_emul_register(&a, VIRTIO_PCI_VENDOR_ID, VIRTIO_PCI_DEVICE_NET_TRANS, &fake_ops,
	                           &dev, bars) != 0)
		fuzz_die("fuzz_virtio_packed", "register the model");
	mp = fuzz_port0_setup("fuzz_virtio_packed", ADDR DEVARGS, "vpfuzz", POOL, NB_DESC);
	/* Else this would fuzz the split rings again. */
	if (tern_port_start(0) != 0 || !(dev.drv_features >> VIRTIO_F_RING_PACKED & 1))
		fuzz_die("fuzz_virtio_packed", "the driver did not negotiate packed rings");
	tern_port_stop(0);
	rx_cap = tern_pktpool_data_room(mp) + VIRTIO_NET_HDR_LEN_MRG;
	return 0;
}

static void check_burst(struct tern_pkt **pkts, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++) {
		uint32_t total = 0;
		uint16_t segs = 0;

		for (const struct tern_pkt *s = pkts[i]; s != NULL; s = s->next) {
			if (s->pool != mp)
				__builtin_trap();
			if ((uint32_t)s->data_off + s->data_len > s->buf_len)
				__builtin_trap(); /* a segment reaching past its buffer */
			total += s->data_len;
			if (++segs > NB_DESC)
				__builtin_trap(); /* a chain longer than the ring: a loop */
		}
		if (segs != pkts[i]->nb_segs || total != pkts[i]->pkt_len)
			__builtin_trap(); /* nb_segs or pkt_len does not match the chain */
		for (uint16_t j = 0; j < i; j++)
			if (pkts[j] == pkts[i])
				__builtin_trap(); /* handed out twice */
	}
}

static void tx_frames(const uint8_t *r, bool multi)
{
	struct tern_pkt *pkts[8];
	unsigned k = multi ? (r[1] & 3) + 1 : (r[1] & 7) + 1;
	uint16_t n;

	for (unsigned i = 0; i < k; i++) {
		unsigned segs = multi ? ((r[2] >> (2 * i)) & 3) + 1 : 1;

		pkts[i] = tern_pkt_alloc(mp);
		if (pkts[i] == NULL) {
			k = i;
			break;
		}
		tern_pkt_append(pkts[i], (uint16_t)(14 + r[3]));
		for (unsigned j = 1; j < segs; j++) {
			struct tern_pkt *seg = tern_pkt_alloc(mp);

			if (seg == NULL)
				break;
			tern_pkt_append(seg, (uint16_t)(1 + r[4 + (j & 3)]));
			if (tern_pkt_chain(pkts[i], seg) != 0)
				tern_pkt_free(seg);
		}
	}
	n = tern_port_tx_burst(0, 0, pkts, (uint16_t)k);
	if (n > k)
		__builtin_trap();
	tern_pkt_free_bulk(pkts + n, k - n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tern_pkt *pkts[32];
	uint16_t n;

	dev.ctrl_hold = false;
	memset(pq, 0, sizeof(pq));
	for (unsigned i = 0; i < 3; i++)
		pq[i].avail_wrap = pq[i].used_wrap = true;
	if (tern_port_start(0) != 0)
		fuzz_die("fuzz_virtio_packed", "start");
	for (size_t off = 0; off + 8 <= size; off += 8) {
		const uint8_t *r = data + off;

		switch (r[0] & 15) {
		case 0:
			hostile_used(0, r);
			break;
		case 1:
			if (live(0))
				rx_frame(rd32(r + 1) % 9000 + 1, ((uint32_t)(r[5] & 31) + 1) * 64,
				         r[7]);
			break;
		case 2: { /* the next buffer with a hostile header */
			struct vring_packed_desc d;
			uint16_t id;
			uint32_t cap;
			uint8_t *b;

			if (take_chain(0, &d, 1, &id) == 0)
				break;
			b = rx_buf(&d, &cap);
			if (b != NULL && cap >= VIRTIO_NET_HDR_LEN_MRG) {
				struct virtio_net_hdr h = {.num_buffers =
				                               (uint16_t)(r[1] | r[2] << 8)};

				memcpy(b, &h, VIRTIO_NET_HDR_LEN_MRG);
			}
			put_used(0, id, pick_len(r + 4), 1, 0);
			break;
		}
		case 3: { /* out of order, maybe a duplicate */
			struct vring_packed_desc d;
			uint16_t ids[8];
			unsigned k = (r[1] & 7) + 1, got = 0;

			while (got < k && take_chain(0, &d, 1, &ids[got]) == 1) {
				uint32_t cap;
				uint8_t *b = rx_buf(&d, &cap);

				if (b != NULL && cap >= VIRTIO_NET_HDR_LEN_MRG + 60)
					memset(b, 0, VIRTIO_NET_HDR_LEN_MRG);
				got++;
			}
			for (unsigned i = 0; i < got; i++)
				put_used(0, ids[got - 1 - i], VIRTIO_NET_HDR_LEN_MRG + 60, 1, 0);
			if (got > 0 && (r[2] & 1))
				put_used(0, ids[got - 1], VIRTIO_NET_HDR_LEN_MRG + 60, 1, 0);
			break;
		}
		case 4:
			n = tern_port_rx_burst(0, 0, pkts, 32);
			if (n > 32)
				__builtin_trap();
			check_burst(pkts, n);
			tern_pkt_free_bulk(pkts, n);
			break;
		case 5:
			tx_frames(r, false);
			break;
		case 6:
			hostile_used(1, r);
			break;
		case 8: { /* the device scribbles on a slot's flags (and id) */
			static const unsigned qs[4] = {0, 1, CTRLQ, 1};
			unsigned qi = qs[r[1] & 3];
			struct vring_packed_desc *d;

			if (!live(qi))
				break;
			d = &ring(qi)[r[2] % dev.q[qi].size];
			d->flags = (uint16_t)(r[3] | r[4] << 8);
			if (r[5] & 1)
				d->id = (uint16_t)(r[6] | r[7] << 8);
			break;
		}
		case 9:
			tx_frames(r, true);
			break;
		case 10:
			dev.ctrl_hold = r[1] & 1;
			(void)tern_port_promisc_set(0, r[2] & 1);
			break;
		case 11:
			hostile_used(CTRLQ, r);
			break;
		case 12:
			if (live(CTRLQ))
				ctrl_answer(&dev);
			break;
		case 13: { /* device event suppression (2.7.10): the driver's notify decision */
			unsigned qi = r[1] % 3;

			if (dev.q[qi].used != 0)
				((struct vring_packed_event *)(uintptr_t)dev.q[qi].used)->flags =
				    (uint16_t)(r[2] | r[3] << 8);
			break;
		}
		case 14: { /* the device's used slot jumps */
			unsigned qi = r[1] % 3;

			if (live(qi))
				step(&pq[qi].used, &pq[qi].used_wrap, qi, r[2] | (r[3] & 1) << 8);
			break;
		}
		default:
			tx_consume(r);
			break;
		}
	}
	/* Drain what the application would still see, then stop: all back. */
	for (int i = 0; i < 4; i++) {
		n = tern_port_rx_burst(0, 0, pkts, 32);
		check_burst(pkts, n);
		tern_pkt_free_bulk(pkts, n);
	}
	if (tern_port_stop(0) != 0)
		fuzz_die("fuzz_virtio_packed", "stop");
	if (tern_mempool_avail_count(mp) != tern_mempool_size(mp)) {
		fprintf(stderr, "fuzz_virtio_packed: %u of %u buffers back after stop\n",
		        tern_mempool_avail_count(mp), tern_mempool_size(mp));
		__builtin_trap();
	}
	return 0;
}
