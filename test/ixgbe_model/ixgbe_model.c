/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ixgbe_model.c - a register-level 82599 in software (see ixgbe_model.h).
 *
 * Locking: one mutex per model guards every register and every port's
 * packet buffer; the register hook takes it for all but the two doorbells
 * (RDT, TDT), which are plain atomic stores as on a card, so the driver's
 * fast path never waits for the engine. The engine takes the mutex for one
 * pass over all ports, reads the tails with acquire (pairing with the
 * driver's release fence before its doorbell), and hands descriptors back
 * by storing their status dword last, with release (pairing with the
 * driver's acquire fence after it sees DD).
 *
 * DMA: the EAL gives emulated devices IOVA = VA, so an IOVA is a pointer.
 *
 * Unplug (ixm_unplug): from then on every register read returns all ones
 * and writes are lost, as for a PCIe function that is gone, and the engine
 * no longer touches the port's host memory. The flag is set under the lock
 * the engine holds for a whole pass, so once ixm_unplug() returns no DMA
 * into that port's rings or buffers is under way or will follow.
 *
 * Step mode (ixm_create_stepped): no engine thread; the test calls
 * ixm_engine_step() for one pass, or writes descriptors itself into the
 * rings the driver gave the device (ixm_rx_ring), e.g. to play a hostile
 * device from fuzz input.
 */
#include "ixgbe_model.h"

#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ixm_regs.h" /* the model's own facts (82599_facts.txt), not the driver's header */
#include "tern_pci.h"
#include "pci_test.h"

#define NREGS     (IXGBE_BAR0_LEN / 4)
#define NQ        64            /* queue register sets the model serves */
#define PB_FRAMES 4096          /* frames the receive packet buffer holds at most */
#define PB_BYTES  (512u * 1024) /* 82599 RX packet buffer 0 after reset */
#define BATCH     64            /* frames per queue per engine pass */
#define CRC       4u

/* 4.6.3, in order. */
enum step {
	STEP_NONE = 0,
	STEP_IRQ_MASK,       /* EIMC = all ones */
	STEP_RESET,          /* CTRL.RST */
	STEP_IRQ_MASK_AGAIN, /* EIMC again after the reset */
	STEP_EEPROM_DONE,    /* EEC.ARD read as set */
	STEP_DMA_DONE,       /* RDRXCTL.DMAIDONE read as set */
	STEP_LINK_SETUP,     /* AUTOC written with AN restart (4.6.4) */
	STEP_STATS_CLEARED,  /* the counters read (4.6.5) */
	STEP_RX_INIT,        /* first RX ring programmed (4.6.7) */
	STEP_TX_INIT,        /* first TX ring programmed (4.6.8) */
};

static const char *const step_name[] = {
    "nothing",
    "interrupts masked (EIMC)",
    "global reset (CTRL.RST)",
    "interrupts masked again after reset",
    "EEPROM auto-read done (EEC.ARD)",
    "DMA init done (RDRXCTL.DMAIDONE)",
    "link setup (AUTOC, 4.6.4)",
    "statistics cleared (4.6.5)",
    "receive init (4.6.7)",
    "transmit init (4.6.8)",
};

struct frame {
	uint8_t *data;
	uint16_t len;
};

struct ixm_port {
	struct ixm *m;
	struct ixm_port *peer;
	struct tern_pci_addr addr;
	uint8_t mac[6];
	_Atomic uint32_t regs[NREGS];
	bool cable_up;
	bool link_setup; /* AUTOC.AN restart seen since reset */
	/* 36-bit octet counters and the high halves latched by reading the low ones. */
	uint64_t gorc, gotc, qbrc[IXGBE_NB_QSTATS], qbtc[IXGBE_NB_QSTATS];
	uint32_t latch[NREGS / 64]; /* indexed by (H register offset / 4) % 512: small hash */
	/* Receive packet buffer: frames from the wire not yet written to host memory. */
	struct frame pb[PB_FRAMES];
	unsigned pb_head, pb_count;
	size_t pb_bytes;
	/* Frames sent with no peer on the wire. */
	struct frame sink[PB_FRAMES];
	unsigned sink_head, sink_count;
	uint64_t filtered;
	uint64_t rx_frames; /* frames written into host memory, ever */
	uint64_t rxq_frames[NQ];
	/* Init sequence check. */
	int step;
	char error[160];
	atomic_bool unplugged; /* gone from the bus: reads all ones, writes lost, no DMA */
	bool wedge_reset;      /* CTRL.RST never clears: a chip that hangs in reset */
	struct ixm_port *next;
	const struct tern_pci_emul *ops;
};

struct ixm {
	pthread_mutex_t lock;
	pthread_t engine;
	bool stepped; /* no engine thread: ixm_engine_step() */
	atomic_bool stop;
	struct ixm_port *ports;
};

/* ---- registers ------------------------------------------------------------- */

static inline uint32_t reg(struct ixm_port *p, uint32_t off)
{
	return atomic_load_explicit(&p->regs[off / 4], memory_order_relaxed);
}

static inline void reg_set(struct ixm_port *p, uint32_t off, uint32_t v)
{
	atomic_store_explicit(&p->regs[off / 4], v, memory_order_relaxed);
}

static bool unplugged(struct ixm_port *p)
{
	/* Relaxed: set and read under the model's lock, except by the doorbell writes,
	 * which then only store into a register no one reads until a replug resets it. */
	return atomic_load_explicit(&p->unplugged, memory_order_relaxed);
}

static void fail(struct ixm_port *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct ixm_port *p, const char *fmt, ...)
{
	va_list ap;

	if (p->error[0] != '\0')
		return; /* the first one is what matters */
	va_start(ap, fmt);
	vsnprintf(p->error, sizeof(p->error), fmt, ap);
	va_end(ap);
}

/* Record step s of 4.6.3: it must come right after the last one (repeats are fine). */
static void step(struct ixm_port *p, int s)
{
	if (s <= p->step)
		return;
	if (s > p->step + 1)
		fail(p, "4.6.3 step %d (%s) came before step %d (%s)", s, step_name[s], p->step + 1,
		     step_name[p->step + 1]);
	p->step = s;
}

static void frame_free_all(struct frame *f, unsigned head, unsigned *count)
{
	for (unsigned i = 0; i < *count; i++)
		free(f[(head + i) % PB_FRAMES].data);
	*count = 0;
}

/* 4.6.3.2: what a global reset leaves behind. */
static void reset(struct ixm_port *p)
{
	for (unsigned i = 0; i < NREGS; i++)
		atomic_store_explicit(&p->regs[i], 0, memory_order_relaxed);
	reg_set(p, IXGBE_EEC, IXGBE_EEC_ARD);
	reg_set(p, IXGBE_RDRXCTL, IXGBE_RDRXCTL_DMAIDONE);
	reg_set(p, IXGBE_RAL(0),
	        p->mac[0] | p->mac[1] << 8 | p->mac[2] << 16 | (uint32_t)p->mac[3] << 24);
	reg_set(p, IXGBE_RAH(0), p->mac[4] | p->mac[5] << 8 | IXGBE_RAH_AV);
	reg_set(p, IXGBE_HLREG0, IXGBE_HLREG0_TXCRCEN | IXGBE_HLREG0_RXCRCSTRP);
	reg_set(p, IXGBE_MAXFRS, 1518u << IXGBE_MAXFRS_MFS_SHIFT);
	p->link_setup = false;
	p->gorc = p->gotc = 0;
	memset(p->qbrc, 0, sizeof(p->qbrc));
	memset(p->qbtc, 0, sizeof(p->qbtc));
	memset(p->latch, 0, sizeof(p->latch));
	frame_free_all(p->pb, p->pb_head, &p->pb_count);
	p->pb_bytes = 0;
}

static bool is_queue_reg(uint32_t off, uint32_t base, uint32_t stride, unsigned n, unsigned *q)
{
	if (off < base || off >= base + stride * n || (off - base) % stride != 0)
		return false;
	*q = (off - base) / stride;
	return true;
}

/* Clear-on-read 36-bit pair: low returns and latches the high half. */
static uint32_t read36_low(struct ixm_port *p, uint64_t *ctr, uint32_t hi_off)
{
	uint32_t lo = (uint32_t)*ctr;

	p->latch[(hi_off / 4) % TERN_DIM(p->latch)] = (uint32_t)(*ctr >> 32) & 0xf;
	*ctr = 0;
	return lo;
}

static uint32_t read36_high(struct ixm_port *p, uint32_t hi_off)
{
	uint32_t *l = &p->latch[(hi_off / 4) % TERN_DIM(p->latch)];
	uint32_t v = *l;

	*l = 0;
	return v;
}

static bool is_counter(uint32_t off)
{
	unsigned q;

	return off == IXGBE_GPRC || off == IXGBE_GPTC || off == IXGBE_CRCERRS ||
	       is_queue_reg(off, IXGBE_MPC(0), 4, 8, &q) ||
	       is_queue_reg(off, IXGBE_QPRC(0), 0x40, IXGBE_NB_QSTATS, &q) ||
	       is_queue_reg(off, IXGBE_QPRDC(0), 0x40, IXGBE_NB_QSTATS, &q) ||
	       is_queue_reg(off, IXGBE_QPTC(0), 0x40, IXGBE_NB_QSTATS, &q);
}

static uint32_t links(struct ixm_port *p)
{
	return p->cable_up && p->link_setup ? IXGBE_LINKS_UP | IXGBE_LINKS_SPEED_10G : 0;
}

static uint32_t reg_read_locked(struct ixm_port *p, uint32_t off)
{
	unsigned q;
	uint32_t v;

	if (off >= IXGBE_BAR0_LEN || off % 4 != 0)
		return 0xffffffffu; /* what a PCIe read of nothing returns */
	switch (off) {
	case IXGBE_LINKS:
		return links(p);
	case IXGBE_EEC:
		v = reg(p, off);
		if (v & IXGBE_EEC_ARD)
			step(p, STEP_EEPROM_DONE);
		return v;
	case IXGBE_RDRXCTL:
		v = reg(p, off);
		if (v & IXGBE_RDRXCTL_DMAIDONE)
			step(p, STEP_DMA_DONE);
		return v;
	case IXGBE_GORCL:
		return read36_low(p, &p->gorc, IXGBE_GORCH);
	case IXGBE_GOTCL:
		return read36_low(p, &p->gotc, IXGBE_GOTCH);
	case IXGBE_GORCH:
	case IXGBE_GOTCH:
		return read36_high(p, off);
	}
	if (is_queue_reg(off, IXGBE_QBRC_L(0), 0x40, IXGBE_NB_QSTATS, &q))
		return read36_low(p, &p->qbrc[q], IXGBE_QBRC_H(q));
	if (is_queue_reg(off, IXGBE_QBTC_L(0), 8, IXGBE_NB_QSTATS, &q))
		return read36_low(p, &p->qbtc[q], IXGBE_QBTC_H(q));
	if (is_queue_reg(off, IXGBE_QBRC_H(0), 0x40, IXGBE_NB_QSTATS, &q) ||
	    is_queue_reg(off, IXGBE_QBTC_H(0), 8, IXGBE_NB_QSTATS, &q))
		return read36_high(p, off);
	if (is_counter(off)) {
		if (off == IXGBE_GPRC)
			step(p, STEP_STATS_CLEARED);
		return atomic_exchange_explicit(&p->regs[off / 4], 0, memory_order_relaxed);
	}
	return reg(p, off);
}

static void reg_write_locked(struct ixm_port *p, uint32_t off, uint32_t v)
{
	unsigned q;

	if (off >= IXGBE_BAR0_LEN || off % 4 != 0)
		return;
	switch (off) {
	case IXGBE_EIMC:
		if (v == IXGBE_IRQ_CLEAR_MASK)
			p->step = p->step == STEP_RESET ? STEP_IRQ_MASK_AGAIN : STEP_IRQ_MASK;
		return;
	case IXGBE_CTRL:
		if (v & IXGBE_CTRL_RST) {
			if (p->step != STEP_IRQ_MASK)
				fail(p, "4.6.3 step %d (%s) came before step %d (%s)", STEP_RESET,
				     step_name[STEP_RESET], STEP_IRQ_MASK,
				     step_name[STEP_IRQ_MASK]);
			p->step = STEP_RESET;
			reset(p);
		}
		/* Self-clearing, unless the test made the chip hang in its reset. */
		reg_set(p, off,
		        p->wedge_reset && (v & IXGBE_CTRL_RST) ? v : v & ~IXGBE_CTRL_RST_MASK);
		return;
	case IXGBE_AUTOC:
		if (v & IXGBE_AUTOC_AN_RESTART) {
			step(p, STEP_LINK_SETUP);
			p->link_setup = true;
		}
		reg_set(p, off, v & ~IXGBE_AUTOC_AN_RESTART);
		return;
	case IXGBE_EEC:
		reg_set(p, off, v | IXGBE_EEC_ARD);
		return;
	case IXGBE_RDRXCTL:
		reg_set(p, off, v | IXGBE_RDRXCTL_DMAIDONE);
		return;
	case IXGBE_LINKS:
		return; /* read only */
	case IXGBE_RXCTRL:
		if ((v & IXGBE_RXCTRL_RXEN) && !(reg(p, off) & IXGBE_RXCTRL_RXEN)) {
			bool hl = reg(p, IXGBE_HLREG0) & IXGBE_HLREG0_RXCRCSTRP;
			bool rd = reg(p, IXGBE_RDRXCTL) & IXGBE_RDRXCTL_CRCSTRIP;

			if (hl != rd)
				fail(p,
				     "8.2.3.8.8: RXCTRL.RXEN with RDRXCTL.CRCSTRIP (%d) unlike "
				     "HLREG0.RXCRCSTRP (%d)",
				     rd, hl);
		}
		break;
	}
	if (is_counter(off))
		return;
	if (is_queue_reg(off, IXGBE_RDBAL(0), 0x40, NQ, &q))
		step(p, STEP_RX_INIT);
	if (is_queue_reg(off, IXGBE_TDBAL(0), 0x40, NQ, &q))
		step(p, STEP_TX_INIT);
	if (is_queue_reg(off, IXGBE_TXDCTL(0), 0x40, NQ, &q) && (v & IXGBE_TXDCTL_ENABLE) &&
	    !(reg(p, IXGBE_DMATXCTL) & IXGBE_DMATXCTL_TE))
		fail(p, "4.6.8: TXDCTL[%u].ENABLE set before DMATXCTL.TE", q);
	reg_set(p, off, v);
}

/* The hook: doorbells lock-free, everything else under the model's lock. */
static void hook_write(void *ctx, unsigned bar, uint64_t off, unsigned width, uint32_t v)
{
	struct ixm_port *p = ctx;
	unsigned q;

	if (bar != 0 || width != 4 || unplugged(p))
		return; /* a posted write to a gone function is lost */
	if (off >= IXGBE_RDT(0) && off < IXGBE_TDT(NQ)) {
		bool rdt = is_queue_reg((uint32_t)off, IXGBE_RDT(0), 0x40, NQ, &q);

		if (rdt || is_queue_reg((uint32_t)off, IXGBE_TDT(0), 0x40, NQ, &q)) {
			if (rdt && v != reg(p, IXGBE_RDH(q)) &&
			    !(reg(p, IXGBE_RXDCTL(q)) & IXGBE_RXDCTL_ENABLE)) {
				pthread_mutex_lock(&p->m->lock);
				fail(p, "4.6.7: RDT[%u] bumped before RXDCTL[%u].ENABLE", q, q);
				pthread_mutex_unlock(&p->m->lock);
			}
			/* Release: pairs with the engine's acquire load of the tail. */
			atomic_store_explicit(&p->regs[off / 4], v, memory_order_release);
			return;
		}
	}
	pthread_mutex_lock(&p->m->lock);
	if (!unplugged(p))
		reg_write_locked(p, (uint32_t)off, v);
	pthread_mutex_unlock(&p->m->lock);
}

static uint32_t hook_read(void *ctx, unsigned bar, uint64_t off, unsigned width)
{
	struct ixm_port *p = ctx;
	uint32_t v;

	if (bar != 0 || width != 4)
		return 0xffffffffu;
	pthread_mutex_lock(&p->m->lock);
	/* What the root port completes a read to a gone function with. */
	v = unplugged(p) ? 0xffffffffu : reg_read_locked(p, (uint32_t)off);
	pthread_mutex_unlock(&p->m->lock);
	return v;
}

static const struct tern_pci_emul ixm_ops = {.read = hook_read, .write = hook_write};

uint32_t ixm_reg_read(struct ixm_port *p, uint32_t off)
{
	return hook_read(p, 0, off, 4);
}

void ixm_reg_write(struct ixm_port *p, uint32_t off, uint32_t val)
{
	hook_write(p, 0, off, 4, val);
}

/* ---- 7.1.2.8 RSS ------------------------------------------------------------- */

uint32_t ixm_toeplitz(const uint8_t key[40], const uint8_t *data, size_t len)
{
	uint32_t hash = 0;
	uint32_t window = (uint32_t)key[0] << 24 | key[1] << 16 | key[2] << 8 | key[3];

	for (size_t i = 0; i < len && i < 36; i++)
		for (int b = 7; b >= 0; b--) {
			if (data[i] & (1u << b))
				hash ^= window;
			window = window << 1 | ((key[i + 4] >> b) & 1u);
		}
	return hash;
}

static uint16_t be16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

/* Hash, RSS type and packet type of a frame, as MRQC asks (7.1.2.8.1-3). */
static void classify(struct ixm_port *p, const uint8_t *f, size_t len, uint32_t *hash,
                     uint32_t *info)
{
	uint32_t mrqc = reg(p, IXGBE_MRQC);
	uint8_t in[36], key[40];
	size_t n = 0;
	uint32_t rsstype = 0, ptype = 0;

	*hash = 0;
	*info = 0;
	if (len < 14)
		return;
	for (unsigned i = 0; i < 10; i++) {
		uint32_t k = reg(p, IXGBE_RSSRK(i));

		for (unsigned b = 0; b < 4; b++)
			key[4 * i + b] = (uint8_t)(k >> (8 * b));
	}
	if (be16(f + 12) == 0x0800 && len >= 34) {
		const uint8_t *ip = f + 14;
		size_t ihl = (size_t)(ip[0] & 0xf) * 4;
		bool frag = (be16(ip + 6) & 0x3fff) != 0;
		uint8_t proto = ip[9];

		ptype = IXGBE_RXDADV_PKTTYPE_IPV4;
		memcpy(in, ip + 12, 8);
		n = 8;
		rsstype = IXGBE_RXDADV_RSSTYPE_IPV4;
		if (!(mrqc & IXGBE_MRQC_RSS_FIELD_IPV4))
			n = 0, rsstype = 0;
		if (!frag && len >= 14 + ihl + 4 && (proto == 6 || proto == 17)) {
			bool tcp = proto == 6;

			ptype |= tcp ? IXGBE_RXDADV_PKTTYPE_TCP : IXGBE_RXDADV_PKTTYPE_UDP;
			if (mrqc &
			    (tcp ? IXGBE_MRQC_RSS_FIELD_IPV4_TCP : IXGBE_MRQC_RSS_FIELD_IPV4_UDP)) {
				memcpy(in, ip + 12, 8);
				memcpy(in + 8, ip + ihl, 4);
				n = 12;
				rsstype = tcp ? IXGBE_RXDADV_RSSTYPE_IPV4_TCP
				              : IXGBE_RXDADV_RSSTYPE_IPV4_UDP;
			}
		}
	} else if (be16(f + 12) == 0x86dd && len >= 54) {
		const uint8_t *ip = f + 14;
		uint8_t nh = ip[6];

		ptype = IXGBE_RXDADV_PKTTYPE_IPV6;
		memcpy(in, ip + 8, 32);
		n = 32;
		rsstype = IXGBE_RXDADV_RSSTYPE_IPV6;
		if (!(mrqc & IXGBE_MRQC_RSS_FIELD_IPV6))
			n = 0, rsstype = 0;
		if (len >= 58 && (nh == 6 || nh == 17)) {
			bool tcp = nh == 6;

			ptype |= tcp ? IXGBE_RXDADV_PKTTYPE_TCP : IXGBE_RXDADV_PKTTYPE_UDP;
			if (mrqc &
			    (tcp ? IXGBE_MRQC_RSS_FIELD_IPV6_TCP : IXGBE_MRQC_RSS_FIELD_IPV6_UDP)) {
				memcpy(in, ip + 8, 32);
				memcpy(in + 32, ip + 40, 4);
				n = 36;
				rsstype = tcp ? IXGBE_RXDADV_RSSTYPE_IPV6_TCP
				              : IXGBE_RXDADV_RSSTYPE_IPV6_UDP;
			}
		}
	}
	if (n > 0 && (mrqc & IXGBE_MRQC_RSSEN))
		*hash = ixm_toeplitz(key, in, n);
	else
		rsstype = 0;
	*info = rsstype | ptype;
}

/* ---- the descriptor engine ------------------------------------------------------ */

static inline void *dma(uint64_t iova)
{
	return (void *)(uintptr_t)iova; /* IOVA = VA for emulated devices */
}

static uint64_t ring_base(struct ixm_port *p, uint32_t lo, uint32_t hi)
{
	return (uint64_t)reg(p, hi) << 32 | reg(p, lo);
}

/* 4-bit counter set of queue q from RQSMR/TQSM. */
static unsigned qstat_map(struct ixm_port *p, uint32_t base, unsigned q)
{
	return (reg(p, base + 4 * (q / 4)) >> (8 * (q % 4))) & 0xf;
}

static void count(struct ixm_port *p, uint32_t off, uint32_t n)
{
	reg_set(p, off, reg(p, off) + n);
}

static void wire_deliver(struct ixm_port *to, struct frame fr)
{
	if (unplugged(to)) {
		free(fr.data); /* nothing at the other end of the cable */
		return;
	}
	if (!to->cable_up || to->pb_count == PB_FRAMES || to->pb_bytes + fr.len > PB_BYTES) {
		/* 8.2.3.23.4 MPC: no room in the packet buffer. */
		if (to->cable_up)
			count(to, IXGBE_MPC(0), 1);
		free(fr.data);
		return;
	}
	to->pb[(to->pb_head + to->pb_count++) % PB_FRAMES] = fr;
	to->pb_bytes += fr.len;
}

/* 7.2: send what the driver queued on TX queue q, up to TDT. */
static bool tx_queue(struct ixm_port *p, unsigned q)
{
	uint32_t len = reg(p, IXGBE_TDLEN(q)) / 16;
	volatile union ixgbe_adv_tx_desc *ring = dma(ring_base(p, IXGBE_TDBAL(q), IXGBE_TDBAH(q)));
	/* Acquire: pairs with the driver's release fence before TDT. */
	uint32_t tail = atomic_load_explicit(&p->regs[IXGBE_TDT(q) / 4], memory_order_acquire);
	uint32_t head = reg(p, IXGBE_TDH(q));
	unsigned sent = 0;
	bool work = false;

	if (len == 0 || tail >= len || head >= len)
		return false; /* a ring the driver set up wrong: the queue hangs, as on a card */
	while (head != tail && sent < BATCH) {
		uint8_t *buf = malloc(IXM_MAX_FRAME);
		uint32_t n = 0, h = head;
		bool eop = false;

		if (buf == NULL)
			break;
		/* Gather one frame's descriptors; wait if its EOP is not in yet. */
		while (h != tail && !eop) {
			uint32_t cmd = ring[h].read.cmd_type_len;
			uint32_t dlen = cmd & IXGBE_ADVTXD_DTALEN_MASK;

			if (n + dlen <= IXM_MAX_FRAME)
				memcpy(buf + n, dma(ring[h].read.buffer_addr), dlen);
			n += dlen;
			eop = cmd & IXGBE_ADVTXD_DCMD_EOP;
			h = (h + 1) % len;
		}
		if (!eop) {
			free(buf);
			break;
		}
		/* 7.2.3.2.4: DD back into every RS descriptor of the frame. */
		for (uint32_t d = head; d != h; d = (d + 1) % len)
			if (ring[d].read.cmd_type_len & IXGBE_ADVTXD_DCMD_RS)
				/* Release: we are done with the buffers; pairs with the driver's
				 * acquire. */
				__atomic_store_n(&ring[d].wb.status, IXGBE_ADVTXD_STAT_DD,
				                 __ATOMIC_RELEASE);
		head = h;
		reg_set(p, IXGBE_TDH(q), head);
		if (n > IXM_MAX_FRAME) {
			free(buf);
			continue;
		}
		if (n < 60 && (reg(p, IXGBE_HLREG0) & IXGBE_HLREG0_TXPADEN)) {
			memset(buf + n, 0, 60 - n);
			n = 60;
		}
		count(p, IXGBE_GPTC, 1);
		p->gotc += n + CRC;
		count(p, IXGBE_QPTC(qstat_map(p, IXGBE_TQSM(0), q)), 1);
		p->qbtc[qstat_map(p, IXGBE_TQSM(0), q)] += n;
		struct frame fr = {buf, (uint16_t)n};
		if (p->peer != NULL) {
			wire_deliver(p->peer, fr);
		} else if (p->sink_count < PB_FRAMES) {
			p->sink[(p->sink_head + p->sink_count++) % PB_FRAMES] = fr;
		} else {
			free(buf);
		}
		sent++;
		work = true;
	}
	return work;
}

static bool mac_accept(struct ixm_port *p, const uint8_t *dst)
{
	uint32_t fctrl = reg(p, IXGBE_FCTRL);
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

	if (memcmp(dst, bcast, 6) == 0)
		return fctrl & IXGBE_FCTRL_BAM;
	if (dst[0] & 1)
		return fctrl & IXGBE_FCTRL_MPE;
	if (fctrl & IXGBE_FCTRL_UPE)
		return true;
	for (unsigned i = 0; i < 16; i++) {
		uint32_t lo = reg(p, IXGBE_RAL(i)), hi = reg(p, IXGBE_RAH(i));
		uint8_t a[6] = {(uint8_t)lo,         (uint8_t)(lo >> 8), (uint8_t)(lo >> 16),
		                (uint8_t)(lo >> 24), (uint8_t)hi,        (uint8_t)(hi >> 8)};

		if ((hi & IXGBE_RAH_AV) && memcmp(a, dst, 6) == 0)
			return true;
	}
	return false;
}

/*
 * 7.1: write one frame into queue q's buffers. Returns false when the ring
 * has too few descriptors (the frame stays in the packet buffer).
 */
static bool rx_frame(struct ixm_port *p, unsigned q, const struct frame *fr, uint32_t hash,
                     uint32_t info)
{
	uint32_t len = reg(p, IXGBE_RDLEN(q)) / 16;
	volatile union ixgbe_adv_rx_desc *ring = dma(ring_base(p, IXGBE_RDBAL(q), IXGBE_RDBAH(q)));
	/* Acquire: pairs with the driver's release fence before RDT. */
	uint32_t tail = atomic_load_explicit(&p->regs[IXGBE_RDT(q) / 4], memory_order_acquire);
	uint32_t head = reg(p, IXGBE_RDH(q));
	uint32_t bsize = (reg(p, IXGBE_SRRCTL(q)) & 0x1f) * 1024;
	uint32_t need, avail, off = 0;

	if (len == 0 || tail >= len || head >= len || bsize == 0)
		return false;
	need = (fr->len + bsize - 1) / bsize;
	avail = (tail + len - head) % len;
	if (avail < need)
		return false;
	for (uint32_t i = 0; i < need; i++) {
		volatile union ixgbe_adv_rx_desc *d = &ring[head];
		uint32_t chunk = TERN_MIN(bsize, fr->len - off);
		bool last = i == need - 1;

		memcpy(dma(d->read.pkt_addr), fr->data + off, chunk);
		off += chunk;
		d->wb.pkt_info = info;
		d->wb.rss_hash = hash;
		d->wb.length = (uint16_t)chunk;
		d->wb.vlan = 0;
		/* Release: data and descriptor before DD; pairs with the driver's acquire. */
		__atomic_store_n(&d->wb.status_error,
		                 IXGBE_RXD_STAT_DD | (last ? IXGBE_RXD_STAT_EOP : 0u),
		                 __ATOMIC_RELEASE);
		head = (head + 1) % len;
	}
	reg_set(p, IXGBE_RDH(q), head);
	p->rx_frames++;
	p->rxq_frames[q]++;
	count(p, IXGBE_GPRC, 1);
	p->gorc += fr->len + CRC;
	count(p, IXGBE_QPRC(qstat_map(p, IXGBE_RQSMR(0), q)), 1);
	p->qbrc[qstat_map(p, IXGBE_RQSMR(0), q)] += fr->len;
	return true;
}

static bool rx_port(struct ixm_port *p)
{
	bool work = false;

	for (unsigned done = 0; p->pb_count > 0 && done < BATCH; done++) {
		struct frame *fr = &p->pb[p->pb_head];
		uint32_t hlreg0 = reg(p, IXGBE_HLREG0), hash, info;
		uint32_t max = (hlreg0 & IXGBE_HLREG0_JUMBOEN)
		                   ? reg(p, IXGBE_MAXFRS) >> IXGBE_MAXFRS_MFS_SHIFT
		                   : 1518;
		unsigned q = 0;
		bool drop = false;

		if (!(reg(p, IXGBE_RXCTRL) & IXGBE_RXCTRL_RXEN) || fr->len < 14 ||
		    fr->len + CRC > max || !mac_accept(p, fr->data))
			drop = true;
		if (!drop) {
			classify(p, fr->data, fr->len, &hash, &info);
			if ((reg(p, IXGBE_MRQC) & IXGBE_MRQC_RSSEN) && (info & 0xf) != 0) {
				unsigned e = hash & (IXGBE_RETA_ENTRIES - 1);

				q = (reg(p, IXGBE_RETA(e / 4)) >> (8 * (e % 4))) & 0xf;
			}
			if (!(reg(p, IXGBE_RXDCTL(q)) & IXGBE_RXDCTL_ENABLE))
				drop = true;
			else if (!rx_frame(p, q, fr, hash, info))
				break; /* no descriptors: the frame waits, and all behind it */
		}
		if (drop)
			p->filtered++;
		p->pb_bytes -= fr->len;
		free(fr->data);
		p->pb_head = (p->pb_head + 1) % PB_FRAMES;
		p->pb_count--;
		work = true;
	}
	return work;
}

static bool engine_pass(struct ixm *m)
{
	bool work = false;

	for (struct ixm_port *p = m->ports; p != NULL; p = p->next) {
		if (unplugged(p))
			continue; /* gone: its rings are not ours to touch */
		if (p->cable_up && p->link_setup && (reg(p, IXGBE_DMATXCTL) & IXGBE_DMATXCTL_TE))
			for (unsigned q = 0; q < NQ; q++)
				if (reg(p, IXGBE_TXDCTL(q)) & IXGBE_TXDCTL_ENABLE)
					work |= tx_queue(p, q);
		work |= rx_port(p);
	}
	return work;
}

static void *engine(void *arg)
{
	struct ixm *m = arg;
	unsigned idle = 0;

	while (!atomic_load_explicit(&m->stop, memory_order_relaxed)) {
		bool work;

		pthread_mutex_lock(&m->lock);
		work = engine_pass(m);
		pthread_mutex_unlock(&m->lock);
		if (work) {
			idle = 0;
		} else if (++idle < 64) {
			sched_yield();
		} else {
			struct timespec ts = {0, 20000};

			nanosleep(&ts, NULL);
		}
	}
	return NULL;
}

/* ---- the test's side ---------------------------------------------------------- */

static struct ixm *create(bool stepped)
{
	struct ixm *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	pthread_mutex_init(&m->lock, NULL);
	m->stepped = stepped;
	if (!stepped && pthread_create(&m->engine, NULL, engine, m) != 0) {
		free(m);
		return NULL;
	}
	return m;
}

struct ixm *ixm_create(void)
{
	return create(false);
}

struct ixm *ixm_create_stepped(void)
{
	return create(true);
}

bool ixm_engine_step(struct ixm *m)
{
	bool work;

	pthread_mutex_lock(&m->lock);
	work = engine_pass(m);
	pthread_mutex_unlock(&m->lock);
	return work;
}

void ixm_destroy(struct ixm *m)
{
	if (m == NULL)
		return;
	if (!m->stepped) {
		atomic_store(&m->stop, true);
		pthread_join(m->engine, NULL);
	}
	while (m->ports != NULL) {
		struct ixm_port *p = m->ports;

		m->ports = p->next;
		tern_pci_emul_unregister(&p->addr);
		frame_free_all(p->pb, p->pb_head, &p->pb_count);
		frame_free_all(p->sink, p->sink_head, &p->sink_count);
		free(p);
	}
	pthread_mutex_destroy(&m->lock);
	free(m);
}

struct ixm_port *ixm_port_add(struct ixm *m, const char *addr, uint16_t device_id,
                              const uint8_t mac[6])
{
	const uint64_t bars[TERN_PCI_MAX_BARS] = {IXGBE_BAR0_LEN};
	struct ixm_port *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->m = m;
	memcpy(p->mac, mac, 6);
	p->cable_up = true;
	if (tern_pci_addr_parse(addr, &p->addr) != 0 ||
	    tern_pci_emul_register(&p->addr, IXGBE_VENDOR_INTEL, device_id, &ixm_ops, p, bars) !=
	        0) {
		free(p);
		return NULL;
	}
	pthread_mutex_lock(&m->lock);
	reset(p); /* power-on: as after a reset, but no step recorded */
	p->next = m->ports;
	m->ports = p;
	pthread_mutex_unlock(&m->lock);
	return p;
}

void ixm_connect(struct ixm_port *a, struct ixm_port *b)
{
	pthread_mutex_lock(&a->m->lock);
	a->peer = b;
	b->peer = a;
	pthread_mutex_unlock(&a->m->lock);
}

int ixm_inject(struct ixm_port *p, const void *frame, size_t len)
{
	struct frame fr = {malloc(len > 0 ? len : 1), (uint16_t)len};
	int ret = 0;

	if (fr.data == NULL || len > IXM_MAX_FRAME) {
		free(fr.data);
		return -EINVAL;
	}
	memcpy(fr.data, frame, len);
	pthread_mutex_lock(&p->m->lock);
	/* A test's source backs off when the buffer is full (a peer port's frames are dropped). */
	if (p->pb_count == PB_FRAMES || p->pb_bytes + len > PB_BYTES) {
		free(fr.data);
		ret = -ENOBUFS;
	} else {
		wire_deliver(p, fr);
	}
	pthread_mutex_unlock(&p->m->lock);
	return ret;
}

size_t ixm_sink_pop(struct ixm_port *p, void *buf, size_t cap)
{
	size_t n = 0;

	pthread_mutex_lock(&p->m->lock);
	if (p->sink_count > 0) {
		struct frame *fr = &p->sink[p->sink_head];

		n = fr->len;
		memcpy(buf, fr->data, TERN_MIN(n, cap));
		free(fr->data);
		p->sink_head = (p->sink_head + 1) % PB_FRAMES;
		p->sink_count--;
	}
	pthread_mutex_unlock(&p->m->lock);
	return n;
}

size_t ixm_rx_pending(struct ixm_port *p)
{
	size_t n;

	pthread_mutex_lock(&p->m->lock);
	n = p->pb_count;
	pthread_mutex_unlock(&p->m->lock);
	return n;
}

uint64_t ixm_rx_filtered(struct ixm_port *p)
{
	uint64_t n;

	pthread_mutex_lock(&p->m->lock);
	n = p->filtered;
	pthread_mutex_unlock(&p->m->lock);
	return n;
}

uint64_t ixm_rx_frames(struct ixm_port *p)
{
	uint64_t n;

	pthread_mutex_lock(&p->m->lock);
	n = p->rx_frames;
	pthread_mutex_unlock(&p->m->lock);
	return n;
}

uint32_t ixm_reg_peek(struct ixm_port *p, uint32_t off)
{
	uint32_t v;

	pthread_mutex_lock(&p->m->lock);
	v = off < IXGBE_BAR0_LEN ? reg(p, off & ~3u) : 0;
	pthread_mutex_unlock(&p->m->lock);
	return v;
}

void ixm_count_rx(struct ixm_port *p, uint32_t packets, uint64_t octets)
{
	pthread_mutex_lock(&p->m->lock);
	count(p, IXGBE_GPRC, packets);
	p->gorc += octets;
	pthread_mutex_unlock(&p->m->lock);
}

uint64_t ixm_rxq_frames(struct ixm_port *p, unsigned q)
{
	uint64_t n;

	pthread_mutex_lock(&p->m->lock);
	n = q < NQ ? p->rxq_frames[q] : 0;
	pthread_mutex_unlock(&p->m->lock);
	return n;
}

void ixm_link_set(struct ixm_port *p, bool up)
{
	pthread_mutex_lock(&p->m->lock);
	p->cable_up = up;
	pthread_mutex_unlock(&p->m->lock);
}

const char *ixm_init_error(struct ixm_port *p)
{
	const char *e;

	pthread_mutex_lock(&p->m->lock);
	e = p->error[0] != '\0' ? p->error : NULL;
	pthread_mutex_unlock(&p->m->lock);
	return e;
}

int ixm_init_step(struct ixm_port *p)
{
	int s;

	pthread_mutex_lock(&p->m->lock);
	s = p->step;
	pthread_mutex_unlock(&p->m->lock);
	return s;
}

void ixm_unplug(struct ixm_port *p)
{
	pthread_mutex_lock(&p->m->lock);
	atomic_store_explicit(&p->unplugged, true, memory_order_relaxed); /* see unplugged() */
	frame_free_all(p->pb, p->pb_head, &p->pb_count);
	p->pb_bytes = 0;
	pthread_mutex_unlock(&p->m->lock);
}

void ixm_replug(struct ixm_port *p)
{
	pthread_mutex_lock(&p->m->lock);
	/* Back on the bus after losing power: as at power-on, the init sequence from the start. */
	reset(p);
	p->step = STEP_NONE;
	p->error[0] = '\0';
	atomic_store_explicit(&p->unplugged, false, memory_order_relaxed);
	pthread_mutex_unlock(&p->m->lock);
}

volatile void *ixm_rx_ring(struct ixm_port *p, unsigned q, unsigned *nb_desc)
{
	volatile void *ring = NULL;

	pthread_mutex_lock(&p->m->lock);
	*nb_desc = 0;
	if (q < NQ && !unplugged(p)) {
		*nb_desc = reg(p, IXGBE_RDLEN(q)) / 16;
		ring = dma(ring_base(p, IXGBE_RDBAL(q), IXGBE_RDBAH(q)));
	}
	pthread_mutex_unlock(&p->m->lock);
	return *nb_desc > 0 ? ring : NULL;
}

void ixm_rx_flush(struct ixm_port *p)
{
	pthread_mutex_lock(&p->m->lock);
	frame_free_all(p->pb, p->pb_head, &p->pb_count);
	p->pb_bytes = 0;
	pthread_mutex_unlock(&p->m->lock);
}

void ixm_wedge_reset(struct ixm_port *p, bool on)
{
	pthread_mutex_lock(&p->m->lock);
	p->wedge_reset = on;
	pthread_mutex_unlock(&p->m->lock);
}
