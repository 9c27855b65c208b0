/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fake_virtio.h - the device side of a virtio-net PCI function, in memory,
 * for host-side tests of pmd/virtio (no QEMU, no real device).
 *
 * It stands behind a PCI address registered with tern_pci_emul_register():
 * config space with the virtio 1.0 vendor capabilities (common cfg at BAR 4
 * + 0, ISR + 0x1000, device cfg + 0x2000, notify + 0x3000 with a multiplier
 * of 4) and a legacy I/O BAR 0. DMA addresses are virtual (the model is this
 * process). The device does nothing on its own: the test calls fake_rx_put()
 * to deliver a frame into receiveq 0 and fake_tx_pull() to consume
 * transmitq 0, and reads fake.notifies[] to see how often it was kicked.
 */
#ifndef FAKE_VIRTIO_H
#define FAKE_VIRTIO_H

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "tern_pci.h"
#include "pci_test.h"
#include "virtio_regs.h"

#define FAKE_NQ       5 /* two pairs and the control queue */
#define FAKE_QSIZE    256
#define FAKE_NOTIFY   0x3000
#define FAKE_DEVCFG   0x2000
#define FAKE_MAX_SEGS 8

struct fake_queue {
	uint16_t size;
	bool enabled;
	uint64_t desc, avail, used;
	uint16_t last_avail; /* next avail entry to consume */
	uint16_t used_idx;   /* entries written (published or not) */
};

struct fake {
	uint8_t cfg[256];
	uint8_t status;
	uint64_t dev_features, drv_features;
	uint32_t dfsel, gfsel;
	uint16_t qsel;
	struct fake_queue q[FAKE_NQ];
	unsigned notifies[FAKE_NQ];
	unsigned early_notifies; /* notifications before DRIVER_OK (3.1.1 forbids them) */
	unsigned resets;
	uint8_t devcfg[16];   /* struct virtio_net_config: mac, status */
	unsigned rx_dropped;  /* frames the device had no buffer for */
	uint16_t max_pairs;   /* with MQ: config max_virtqueue_pairs */
	uint8_t ctrl_last[8]; /* class, command, first data bytes of the last control command */
	unsigned ctrl_cmds;
	unsigned bad;   /* malformed descriptors seen */
	bool gone;      /* pulled from the bus: reads all ones, writes go nowhere */
	bool ctrl_hold; /* control commands wait until the test calls fake_ctrl() */
	void (*ctrl_fn)(struct fake *f); /* answers control commands instead of fake_ctrl() */
	bool gen_spin; /* config_generation changes on every read (never settles) */
	uint8_t gen;
};

static inline uint64_t fake_get(const void *p, unsigned width)
{
	uint64_t v = 0;

	memcpy(&v, p, width);
	return v;
}

static void fake_reset(struct fake *f)
{
	f->status = 0;
	f->drv_features = 0;
	f->resets++;
	for (unsigned i = 0; i < FAKE_NQ; i++)
		f->q[i] = (struct fake_queue){.size = FAKE_QSIZE};
}

static void fake_set_status(struct fake *f, uint8_t st)
{
	if (st == 0) {
		fake_reset(f);
		return;
	}
	/* 3.1.1 step 6: FEATURES_OK sticks only for features we offered. */
	if ((st & VIRTIO_CONFIG_S_FEATURES_OK) && (f->drv_features & ~f->dev_features))
		st &= (uint8_t)~VIRTIO_CONFIG_S_FEATURES_OK;
	f->status = st;
}

static void fake_ctrl(struct fake *f);

static void fake_notify(struct fake *f, uint32_t q)
{
	uint16_t cq = f->dev_features >> VIRTIO_NET_F_MQ & 1 ? 2 * f->max_pairs : 2;

	if (q == cq && (f->status & VIRTIO_CONFIG_S_DRIVER_OK) && !f->ctrl_hold)
		(f->ctrl_fn != NULL ? f->ctrl_fn : fake_ctrl)(f); /* at once, as QEMU does */
	if (q < FAKE_NQ)
		f->notifies[q]++;
	if (!(f->status & VIRTIO_CONFIG_S_DRIVER_OK))
		f->early_notifies++;
}

static uint32_t fake_common_read(struct fake *f, uint64_t off, unsigned width)
{
	struct fake_queue *q = &f->q[f->qsel < FAKE_NQ ? f->qsel : 0];

	switch (off) {
	case VIRTIO_PCI_COMMON_DF:
		return (uint32_t)(f->dev_features >> (f->dfsel ? 32 : 0));
	case VIRTIO_PCI_COMMON_NUMQ:
		return f->dev_features >> VIRTIO_NET_F_MQ & 1 ? 2u * f->max_pairs + 1 : 3;
	case VIRTIO_PCI_COMMON_STATUS:
		return f->status;
	case VIRTIO_PCI_COMMON_CFGGENERATION:
		return f->gen_spin ? f->gen++ : f->gen;
	case VIRTIO_PCI_COMMON_Q_SIZE:
		return f->qsel < FAKE_NQ ? q->size : 0;
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		return q->enabled;
	case VIRTIO_PCI_COMMON_Q_NOFF:
		return f->qsel;
	}
	(void)width;
	return 0;
}

static void fake_common_write(struct fake *f, uint64_t off, uint32_t v)
{
	struct fake_queue *q = &f->q[f->qsel < FAKE_NQ ? f->qsel : 0];

	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT:
		f->dfsel = v;
		break;
	case VIRTIO_PCI_COMMON_GFSELECT:
		f->gfsel = v;
		break;
	case VIRTIO_PCI_COMMON_GF:
		if (f->gfsel)
			f->drv_features = (f->drv_features & 0xffffffffull) | (uint64_t)v << 32;
		else
			f->drv_features = (f->drv_features & ~0xffffffffull) | v;
		break;
	case VIRTIO_PCI_COMMON_STATUS:
		fake_set_status(f, (uint8_t)v);
		break;
	case VIRTIO_PCI_COMMON_Q_SELECT:
		f->qsel = (uint16_t)v;
		break;
	case VIRTIO_PCI_COMMON_Q_SIZE:
		q->size = (uint16_t)v;
		break;
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		q->enabled = v;
		break;
	case VIRTIO_PCI_COMMON_Q_DESCLO:
		q->desc = (q->desc & ~0xffffffffull) | v;
		break;
	case VIRTIO_PCI_COMMON_Q_DESCHI:
		q->desc = (q->desc & 0xffffffffull) | (uint64_t)v << 32;
		break;
	case VIRTIO_PCI_COMMON_Q_AVAILLO:
		q->avail = (q->avail & ~0xffffffffull) | v;
		break;
	case VIRTIO_PCI_COMMON_Q_AVAILHI:
		q->avail = (q->avail & 0xffffffffull) | (uint64_t)v << 32;
		break;
	case VIRTIO_PCI_COMMON_Q_USEDLO:
		q->used = (q->used & ~0xffffffffull) | v;
		break;
	case VIRTIO_PCI_COMMON_Q_USEDHI:
		q->used = (q->used & 0xffffffffull) | (uint64_t)v << 32;
		break;
	}
}

/* 4.1.4.8: the legacy I/O BAR 0. */
static uint32_t fake_legacy_read(struct fake *f, uint64_t off, unsigned width)
{
	if (off >= 20)
		return (uint32_t)fake_get(f->devcfg + off - 20, width);
	switch (off) {
	case VIRTIO_PCI_HOST_FEATURES:
		return (uint32_t)f->dev_features;
	case VIRTIO_PCI_QUEUE_PFN:
		return (uint32_t)(f->q[f->qsel % FAKE_NQ].desc >> 12);
	case VIRTIO_PCI_QUEUE_NUM:
		return f->qsel < FAKE_NQ ? f->q[f->qsel].size : 0;
	case VIRTIO_PCI_STATUS:
		return f->status;
	}
	return 0;
}

static void fake_legacy_write(struct fake *f, uint64_t off, uint32_t v)
{
	struct fake_queue *q = &f->q[f->qsel % FAKE_NQ];

	switch (off) {
	case VIRTIO_PCI_GUEST_FEATURES:
		f->drv_features = v;
		break;
	case VIRTIO_PCI_QUEUE_PFN:
		/* 2.4.2 legacy layout from one page frame. */
		q->desc = (uint64_t)v << 12;
		q->avail = q->desc + 16u * q->size;
		q->used = (q->avail + 6 + 2u * q->size + 4095) & ~4095ull;
		q->enabled = v != 0;
		break;
	case VIRTIO_PCI_QUEUE_SEL:
		f->qsel = (uint16_t)v;
		break;
	case VIRTIO_PCI_QUEUE_NOTIFY:
		fake_notify(f, v);
		break;
	case VIRTIO_PCI_STATUS:
		fake_set_status(f, (uint8_t)v);
		break;
	}
}

static uint32_t fake_read(void *ctx, unsigned bar, uint64_t off, unsigned width)
{
	struct fake *f = ctx;

	if (f->gone)
		return width >= 4 ? UINT32_MAX : (1u << (8 * width)) - 1;

	if (bar == 0)
		return fake_legacy_read(f, off, width);
	if (off < 0x1000)
		return fake_common_read(f, off, width);
	if (off >= FAKE_DEVCFG && off < FAKE_DEVCFG + sizeof(f->devcfg))
		return (uint32_t)fake_get(f->devcfg + off - FAKE_DEVCFG, width);
	return 0;
}

static void fake_write(void *ctx, unsigned bar, uint64_t off, unsigned width, uint32_t val)
{
	struct fake *f = ctx;

	(void)width;
	if (f->gone)
		return;
	if (bar == 0)
		fake_legacy_write(f, off, val);
	else if (off < 0x1000)
		fake_common_write(f, off, val);
	else if (off >= FAKE_NOTIFY) {
		if ((off - FAKE_NOTIFY) / 4 != val)
			f->bad++; /* wrong doorbell for the queue */
		fake_notify(f, val);
	}
}

static int fake_cfg_read(void *ctx, void *buf, size_t len, uint64_t off)
{
	struct fake *f = ctx;

	if (off > sizeof(f->cfg) || len > sizeof(f->cfg) - off)
		return -ERANGE;
	if (f->gone)
		memset(buf, 0xff, len);
	else
		memcpy(buf, f->cfg + off, len);
	return 0;
}

static int fake_cfg_write(void *ctx, const void *buf, size_t len, uint64_t off)
{
	struct fake *f = ctx;

	if (off > sizeof(f->cfg) || len > sizeof(f->cfg) - off)
		return -ERANGE;
	memcpy(f->cfg + off, buf, len);
	return 0;
}

static const struct tern_pci_emul fake_ops = {
    .read = fake_read,
    .write = fake_write,
    .cfg_read = fake_cfg_read,
    .cfg_write = fake_cfg_write,
};

static void fake_cap(struct fake *f, uint8_t pos, uint8_t next, uint8_t type, uint32_t off,
                     uint32_t len, uint8_t cap_len)
{
	uint8_t *c = f->cfg + pos;

	c[0] = PCI_CAP_ID_VNDR;
	c[1] = next;
	c[2] = cap_len;
	c[3] = type;
	c[4] = 4; /* BAR 4 */
	memcpy(c + 8, &off, 4);
	memcpy(c + 12, &len, 4);
}

/* A transitional virtio-net device (both interfaces) offering `features`. */
static void fake_init(struct fake *f, uint64_t features)
{
	uint16_t ids[2] = {VIRTIO_PCI_VENDOR_ID, VIRTIO_PCI_DEVICE_NET_TRANS};
	uint32_t mult = 4;
	static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

	memset(f, 0, sizeof(*f));
	memcpy(f->cfg, ids, 4);
	f->cfg[6] = 0x10;    /* status: capability list */
	f->cfg[0x34] = 0x40; /* first capability */
	fake_cap(f, 0x40, 0x50, VIRTIO_PCI_CAP_COMMON_CFG, 0, 0x38, 16);
	fake_cap(f, 0x50, 0x64, VIRTIO_PCI_CAP_NOTIFY_CFG, FAKE_NOTIFY, 0x1000, 20);
	memcpy(f->cfg + 0x50 + VIRTIO_PCI_NOTIFY_CAP_MULT, &mult, 4);
	fake_cap(f, 0x64, 0x74, VIRTIO_PCI_CAP_ISR_CFG, 0x1000, 4, 16);
	fake_cap(f, 0x74, 0, VIRTIO_PCI_CAP_DEVICE_CFG, FAKE_DEVCFG, 16, 16);
	memcpy(f->devcfg, mac, 6);
	f->devcfg[VIRTIO_NET_CFG_STATUS] = VIRTIO_NET_S_LINK_UP;
	f->max_pairs = 2;
	f->devcfg[VIRTIO_NET_CFG_MAX_PAIRS] = 2;
	f->dev_features = features;
	fake_reset(f);
	f->resets = 0;
}

static inline struct vring_desc *fq_desc(struct fake_queue *q)
{
	return (struct vring_desc *)(uintptr_t)q->desc;
}
static inline struct vring_avail *fq_avail(struct fake_queue *q)
{
	return (struct vring_avail *)(uintptr_t)q->avail;
}
static inline struct vring_used *fq_used(struct fake_queue *q)
{
	return (struct vring_used *)(uintptr_t)q->used;
}

/* Entries the driver has made available and we have not consumed. */
static uint16_t fake_avail_count(struct fake_queue *q)
{
	uint16_t idx = *(volatile uint16_t *)&fq_avail(q)->idx;

	atomic_thread_fence(memory_order_acquire); /* pairs with the driver's wmb before idx */
	return (uint16_t)(idx - q->last_avail);
}

/* Make the entries written so far visible (used->idx), like a device would. */
static void fake_publish(struct fake *f, unsigned qi)
{
	atomic_thread_fence(memory_order_release); /* entries before idx: the driver's rmb pair */
	*(volatile uint16_t *)&fq_used(&f->q[qi])->idx = f->q[qi].used_idx;
}

static unsigned fake_hdr_len(const struct fake *f)
{
	bool v1 = f->drv_features >> VIRTIO_F_VERSION_1 & 1;
	bool mrg = f->drv_features >> VIRTIO_NET_F_MRG_RXBUF & 1;

	return v1 || mrg ? VIRTIO_NET_HDR_LEN_MRG : VIRTIO_NET_HDR_LEN_LEGACY;
}

/* 5.1.6.5: one command chain: header, data, ack; answered VIRTIO_NET_OK. */
static void fake_ctrl(struct fake *f)
{
	struct fake_queue *q = &f->q[f->dev_features >> VIRTIO_NET_F_MQ & 1 ? 2 * f->max_pairs : 2];

	while (fake_avail_count(q) > 0) {
		uint16_t head = fq_avail(q)->ring[q->last_avail++ & (q->size - 1)], id = head;
		unsigned got = 0, hops = 0;
		struct vring_used_elem *e;

		memset(f->ctrl_last, 0, sizeof(f->ctrl_last));
		for (;;) {
			struct vring_desc *d = &fq_desc(q)[id];
			uint8_t *b = (uint8_t *)(uintptr_t)d->addr;

			if (b == NULL) {
				f->bad++;
				break;
			}

			if (d->flags & VRING_DESC_F_WRITE) {
				*b = VIRTIO_NET_OK;
			} else {
				for (uint32_t i = 0; i < d->len && got < sizeof(f->ctrl_last); i++)
					f->ctrl_last[got++] = b[i];
			}
			if (!(d->flags & VRING_DESC_F_NEXT) || ++hops > 4)
				break;
			id = d->next & (q->size - 1);
		}
		f->ctrl_cmds++;
		e = &fq_used(q)->ring[q->used_idx++ & (q->size - 1)];
		e->id = head;
		e->len = 1;
		atomic_thread_fence(memory_order_release);
		fq_used(q)->idx = q->used_idx;
	}
}

/*
 * 5.1.6.4: deliver one frame into receiveq 0, at most seg_cap data bytes
 * per buffer (merged buffers when the frame needs more than one). Returns
 * the number of buffers used, or 0 if the device had too few (dropped).
 */
static unsigned fake_rx_put(struct fake *f, const uint8_t *frame, uint32_t len, uint32_t seg_cap,
                            bool publish)
{
	struct fake_queue *q = &f->q[0];
	unsigned hdr = fake_hdr_len(f), nbuf = 0, need;
	uint32_t done = 0;
	uint16_t first = q->used_idx;

	if (!q->enabled || !(f->status & VIRTIO_CONFIG_S_DRIVER_OK))
		return 0;
	/* How many buffers: each holds min(desc len, seg_cap) bytes, the first hdr less. */
	{
		uint32_t left = len + hdr;
		uint16_t avail = fake_avail_count(q);

		for (need = 0; left > 0; need++) {
			uint16_t id;
			uint32_t cap;

			if (need >= avail) {
				f->rx_dropped++;
				return 0;
			}
			id = fq_avail(q)->ring[(uint16_t)(q->last_avail + need) & (q->size - 1)];
			cap = fq_desc(q)[id].len;
			if (seg_cap && cap > seg_cap + (need == 0 ? hdr : 0))
				cap = seg_cap + (need == 0 ? hdr : 0);
			left -= left < cap ? left : cap;
		}
	}
	while (nbuf < need) {
		uint16_t id = fq_avail(q)->ring[q->last_avail++ & (q->size - 1)];
		struct vring_desc *d = &fq_desc(q)[id];
		uint8_t *buf = (uint8_t *)(uintptr_t)d->addr;
		uint32_t cap = d->len, off = 0, n;
		struct vring_used_elem *e;

		if (!(d->flags & VRING_DESC_F_WRITE) || (d->flags & VRING_DESC_F_NEXT) ||
		    d->addr == 0)
			f->bad++;
		if (nbuf == 0) {
			struct virtio_net_hdr h = {.num_buffers = (uint16_t)need};

			memcpy(buf, &h, hdr);
			off = hdr;
		}
		if (seg_cap && cap > seg_cap + off)
			cap = seg_cap + off;
		n = TERN_MIN(len - done, cap - off);
		memcpy(buf + off, frame + done, n);
		done += n;
		e = &fq_used(q)->ring[q->used_idx++ & (q->size - 1)];
		e->id = id;
		e->len = off + n;
		nbuf++;
	}
	(void)first;
	if (publish)
		fake_publish(f, 0);
	return nbuf;
}

/*
 * Consume every chain made available on transmitq 0: header checked (all
 * zero: no offloads asked), data gathered into frames[i] (lens[i]).
 * Returns the number of frames; the used entries are published at once.
 */
static unsigned fake_tx_pull(struct fake *f, uint8_t (*frames)[16384], uint32_t *lens, unsigned max)
{
	struct fake_queue *q = &f->q[1];
	unsigned hdr = fake_hdr_len(f), got = 0;
	uint16_t n = fake_avail_count(q);

	while (n-- > 0 && got < max) {
		uint16_t head = fq_avail(q)->ring[q->last_avail++ & (q->size - 1)], id = head;
		uint32_t total = 0;
		uint8_t tmp[16384 + 64];
		unsigned hops = 0;

		for (;;) {
			struct vring_desc *d = &fq_desc(q)[id];

			if ((d->flags & VRING_DESC_F_WRITE) || d->addr == 0 ||
			    total + d->len > sizeof(tmp) || ++hops > q->size) {
				f->bad++;
				break;
			}
			memcpy(tmp + total, (void *)(uintptr_t)d->addr, d->len);
			total += d->len;
			if (!(d->flags & VRING_DESC_F_NEXT))
				break;
			id = d->next & (q->size - 1); /* the fuzzer may scribble on desc[] */
		}
		for (unsigned i = 0; i < hdr && i < total; i++)
			if (tmp[i] != 0)
				f->bad++;
		lens[got] = total > hdr ? total - hdr : 0;
		if (lens[got] > sizeof(*frames)) { /* a chain longer than any frame */
			f->bad++;
			lens[got] = sizeof(*frames);
		}
		memcpy(frames[got], tmp + hdr, lens[got]);
		got++;
		struct vring_used_elem *e = &fq_used(q)->ring[q->used_idx++ & (q->size - 1)];
		e->id = head;
		e->len = 0;
	}
	fake_publish(f, 1);
	return got;
}

#endif /* FAKE_VIRTIO_H */
