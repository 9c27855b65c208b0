/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_virtio_used.c - pmd/virtio's used-ring handling against a hostile
 * device. The device is test/virtio's in-memory model (fake_virtio.h, behind
 * tern_pci_emul_register(): the seam its author made), driven by the input:
 * each 8-byte record is one device action or one application burst:
 *
 *   0  RX used entry with any id (in or out of range, not posted, twice)
 *      and any length (0, shorter than the header, past the buffer)
 *   1  a well-formed frame into receiveq 0 (length, segment size from input)
 *   2  the next posted RX buffer, used with a hostile num_buffers (MRG) and length
 *   3  used->idx jumps by any amount, without entries (stale or never settled)
 *   4  the application: rx_burst(32); the packets are checked and freed
 *   5  the application: tx_burst of 1-8 frames, unsent ones freed
 *   6  TX used entry with any id and length
 *   7  the device consumes transmitq 0 properly
 *   8  the device writes a descriptor of receiveq 0, transmitq 0 or the
 *      control queue: any flags, any next (in range or not)
 *   9  the application: tx_burst of 1-4 frames of 1-4 segments each
 *  10  the application: a control command (promiscuous on/off); the
 *      device answers at once or holds it (then it times out after 1 ms)
 *  11  control-queue used entry with any id
 *  12  the device answers the held control command(s), late
 *  13-15 as 7
 *
 * The descriptor table is the device's to write (2.4.5): the driver must
 * never follow it (issue 12: desc[0].next = 0 with NEXT hung tx_burst,
 * next = 700 on a 256 ring wrote past the table; both in
 * fuzz/regressions/virtio_used/).
 *
 * Found so far: a used length past the RX buffer was taken as the packet's
 * length (fixed in c56acb6; fuzz/regressions/virtio_used/).
 *
 * What must hold: no crash or ASan finding; every packet handed out is
 * inside its buffer (data_off + data_len <= buf_len in every segment),
 * its chain's lengths add up, no packet is handed out twice in a burst;
 * and after stop, every buffer is back in the pool (none lost, none freed
 * twice). Each input starts from a freshly started port.
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

#define ADDR    "0000:42:00.0"
#define DEVARGS ",ctrl_timeout_ms=1"
#define POOL    2047
#define NB_DESC 256

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fake dev;
static struct tern_mempool *mp;
static uint8_t frame[9216];
static uint8_t tx_frames[8][16384];
static uint32_t tx_lens[8];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const uint64_t features = 1ull << VIRTIO_NET_F_MAC | 1ull << VIRTIO_NET_F_STATUS |
	                                 1ull << VIRTIO_NET_F_MRG_RXBUF |
	                                 1ull << VIRTIO_NET_F_CTRL_VQ |
	                                 1ull << VIRTIO_NET_F_CTRL_RX | 1ull << VIRTIO_F_VERSION_1;
	uint64_t bars[TERN_PCI_MAX_BARS] = {32, 0, 0, 0, 0x4000, 0};
	struct tern_pci_addr a;

	(void)argc;
	(void)argv;
	fuzz_quiet_log();
	fake_init(&dev, features);
	tern_pci_addr_parse(ADDR, &a);
	if (tern_pci_emul_register(&a, VIRTIO_PCI_VENDOR_ID, VIRTIO_PCI_DEVICE_NET_TRANS, &fake_ops,
	                           &dev, bars) != 0)
		fuzz_die("fuzz_virtio_used", "register the model");
	mp = fuzz_port0_setup("fuzz_virtio_used", ADDR DEVARGS, "vfuzz", POOL, NB_DESC);
	return 0;
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

static void check_burst(struct tern_pkt **pkts, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++) {
		uint32_t total = 0;
		uint16_t segs = 0;
		bool overrun = false;

		for (const struct tern_pkt *s = pkts[i]; s != NULL; s = s->next) {
			if (s->pool != mp)
				__builtin_trap();
			if ((uint32_t)s->data_off + s->data_len > s->buf_len)
				overrun = true;
			total += s->data_len;
			if (++segs > NB_DESC)
				__builtin_trap(); /* a chain longer than the ring: a loop */
		}
		if (segs != pkts[i]->nb_segs)
			__builtin_trap(); /* nb_segs does not count the chain */
		if (overrun)
			__builtin_trap(); /* a segment reaching past its buffer */
		/* A used length past the buffer broke this too (cut to 16 bits in data_len). */
		if (total != pkts[i]->pkt_len) {
			fprintf(stderr, "pkt_len %u, sum of data_len %u, %u segments\n",
			        pkts[i]->pkt_len, total, segs);
			for (const struct tern_pkt *s = pkts[i]; s != NULL; s = s->next)
				fprintf(stderr, "  seg data_off %u data_len %u buf_len %u\n",
				        s->data_off, s->data_len, s->buf_len);
			__builtin_trap(); /* pkt_len is not the sum of data_len */
		}
		for (uint16_t j = 0; j < i; j++)
			if (pkts[j] == pkts[i])
				__builtin_trap(); /* handed out twice */
	}
}

static void used_entry(unsigned qi, uint32_t id, uint32_t len)
{
	struct fake_queue *q = &dev.q[qi];
	struct vring_used_elem *e = &fq_used(q)->ring[q->used_idx++ & (q->size - 1)];

	e->id = id;
	e->len = len;
	fake_publish(&dev, qi);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tern_pkt *pkts[32];
	uint16_t n;

	dev.ctrl_hold = false;
	if (tern_port_start(0) != 0)
		fuzz_die("fuzz_virtio_used", "start");
	for (size_t off = 0; off + 8 <= size; off += 8) {
		const uint8_t *r = data + off;
		struct fake_queue *rq = &dev.q[0];

		switch (r[0] & 15) {
		case 0: /* any id, any length */
			used_entry(0, (r[1] & 1) ? r[2] % (2 * NB_DESC) : rd32(r + 1),
			           pick_len(r + 4));
			break;
		case 1: { /* a good frame */
			uint32_t len = (rd32(r + 1) % 9000) + 1;

			memset(frame, r[7], len);
			fake_rx_put(&dev, frame, len, (uint32_t)(r[5] & 31) * 64, true);
			break;
		}
		case 2: /* the next posted buffer with a hostile header */
			if (fake_avail_count(rq) > 0) {
				uint16_t id = fq_avail(rq)->ring[rq->last_avail++ & (rq->size - 1)];
				struct vring_desc *d = &fq_desc(rq)[id % rq->size];
				struct virtio_net_hdr h = {.num_buffers =
				                               (uint16_t)(r[1] | r[2] << 8)};

				if (d->addr != 0 && d->len >= sizeof(h))
					memcpy((void *)(uintptr_t)d->addr, &h, sizeof(h));
				used_entry(0, id, pick_len(r + 4));
			}
			break;
		case 3: /* used->idx runs ahead of the entries */
			rq->used_idx = (uint16_t)(rq->used_idx + (r[1] | r[2] << 8));
			fake_publish(&dev, 0);
			break;
		case 4:
			n = tern_port_rx_burst(0, 0, pkts, 32);
			if (n > 32)
				__builtin_trap();
			check_burst(pkts, n);
			tern_pkt_free_bulk(pkts, n);
			break;
		case 5: {
			unsigned k = (r[1] & 7) + 1;

			if (tern_pkt_alloc_bulk(mp, pkts, k) != 0)
				break;
			for (unsigned i = 0; i < k; i++)
				tern_pkt_append(pkts[i], (uint16_t)(60 + r[2]));
			n = tern_port_tx_burst(0, 0, pkts, (uint16_t)k);
			if (n > k)
				__builtin_trap();
			tern_pkt_free_bulk(pkts + n, k - n);
			break;
		}
		case 6:
			used_entry(1, (r[1] & 1) ? r[2] % (2 * NB_DESC) : rd32(r + 1),
			           pick_len(r + 4));
			break;
		case 8: { /* the device scribbles on a descriptor table */
			static const unsigned qs[4] = {0, 1, 2, 1}; /* 2: the control queue */
			struct fake_queue *q = &dev.q[qs[r[1] & 3]];
			struct vring_desc *d;

			if (q->desc == 0)
				break;
			d = &fq_desc(q)[r[2] % q->size];
			d->flags = (uint16_t)(r[3] & 7);
			d->next = (uint16_t)(r[4] | r[5] << 8);
			/* addr and len stay: the model itself would write through them */
			break;
		}
		case 9: { /* multi-segment TX */
			unsigned k = (r[1] & 3) + 1;

			for (unsigned i = 0; i < k; i++) {
				unsigned segs = ((r[2] >> (2 * i)) & 3) + 1;

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
			break;
		}
		case 10: /* a control command; the device holds it or answers */
			dev.ctrl_hold = r[1] & 1;
			(void)tern_port_promisc_set(0, r[2] & 1);
			break;
		case 11:
			if (dev.q[2].used != 0)
				used_entry(2, (r[1] & 1) ? r[2] % 8 : rd32(r + 1), pick_len(r + 4));
			break;
		case 12:
			if (dev.q[2].used != 0 && (dev.status & VIRTIO_CONFIG_S_DRIVER_OK))
				fake_ctrl(&dev);
			break;
		default:
			fake_tx_pull(&dev, tx_frames, tx_lens, 8);
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
		fuzz_die("fuzz_virtio_used", "stop");
	if (tern_mempool_avail_count(mp) != tern_mempool_size(mp)) {
		fprintf(stderr, "fuzz_virtio_used: %u of %u buffers back after stop\n",
		        tern_mempool_avail_count(mp), tern_mempool_size(mp));
		__builtin_trap();
	}
	return 0;
}
