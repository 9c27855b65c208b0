/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ixgbe.c - poll-mode driver for the Intel 82599 10 GbE family (82599, X540,
 * X550-T): the control path, following the 82599 datasheet from reset on.
 *
 *   -a 0000:03:00.0[,rss_key=<80 hex digits>]
 *
 * In the order of this file:
 *   removal           a device that reads all ones is gone: reported to the port layer
 *   stats     8.2.3.23 clear-on-read counters folded into 64-bit totals
 *   init      4.6.3   reset, EEPROM and DMA done, link (4.6.4), statistics (4.6.5)
 *   probe()           the entry point: devargs, BAR 0, the init above
 *   configure         MTU (8.2.3.22.13 MAXFRS), RSS on or off
 *   start     4.6.7   receive: filters, RSS (7.1.2.8), rings, RXEN
 *             4.6.8   transmit: rings, DMATXCTL.TE, queue enables
 *   stop, close       4.6.7.1/4.6.8.1 queues disabled, every buffer back
 *   link, stats       8.2.3.22.20 LINKS; the counters as the port layer asks
 *   ops, ids          the op table and the PCI ids this driver takes
 * The fast path (queue setup, bursts, refill, clean) is ixgbe_rxtx.c;
 * ixgbe.h holds what the two share.
 *
 * Descriptor ownership, both directions: software fills a descriptor, then a
 * release fence (tern_pci_wmb), then writes the tail register; the NIC owns
 * everything from head up to (not including) tail, and hands a descriptor
 * back by writing DD into it; software reads DD, then an acquire fence
 * (tern_pci_rmb), then the rest of the descriptor.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ixgbe.h"
#include "tern_cycles.h"
#include "tern_error.h"
#include "tern_log.h"
#include "tern_memory.h"
#include "tern_mempool.h"

static const struct tern_port_ops ixgbe_ops;

static void sleep_us(unsigned us)
{
	struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000};

	nanosleep(&ts, NULL);
}

/* ---- removal: a device that stops answering ----------------------------------
 *
 * A read from a PCIe function that is no longer there (pulled, slot powered
 * off, link down, or wedged after a fatal error) is completed by the root
 * port with all ones, as Linux's ixgbe_read_reg and DPDK's removal event
 * (RTE_ETH_EVENT_INTR_RMV) rely on. The control path already reads
 * registers (link, counters, enables it waits for); each such read that
 * comes back all ones is confirmed by a second look at STATUS (8.2.3.1.2),
 * whose reserved bits read 0 on a live 82599, so a counter that happens to
 * hold 0xffffffff is not taken for a removal.
 *
 * Once confirmed, the driver reports it to the port layer
 * (tern_port_dev_removed), which logs it once, mutes the bursts, keeps the
 * last stats, says link down and refuses start and setup; stop and close
 * here give every buffer back without waiting on the device. The state is
 * never cleared: a device that comes back has lost its state (rings,
 * filters, MAC), so it needs a close and a new probe.
 */
/* Is the device gone? One STATUS read (none once known); reported once. */
__attribute__((noinline)) bool ixgbe_removal_check(struct ixgbe_port *p)
{
	if (port_removed(p))
		return true;
	if (rd32(p->pci, IXGBE_STATUS) != UINT32_MAX)
		return false;
	tern_port_dev_removed(&p->dev, "device stopped answering (registers read all ones)");
	return true;
}

/* Poll until (reg & mask) == want, for up to timeout_ms. 0, -ETIMEDOUT, or -ENODEV if gone. */
static int wait_bits(struct ixgbe_port *p, uint32_t reg, uint32_t mask, uint32_t want,
                     unsigned timeout_ms)
{
	for (unsigned waited = 0; waited <= timeout_ms * 10; waited++) {
		uint32_t v = rd32(p->pci, reg);

		/* All ones would match any `want` made of ones: check for a device gone. */
		if (v == UINT32_MAX && ixgbe_removal_check(p))
			return -ENODEV;
		if ((v & mask) == want)
			return 0;
		sleep_us(100);
	}
	return -ETIMEDOUT;
}

/* ---- 8.2.3.23 statistics ---------------------------------------------------
 *
 * The NIC's counters clear when read: GPRC/GPTC and the queue packet counters
 * are 32 bits, the octet counters 36 (low register, then high). At 10 Gbit/s
 * a 36-bit octet counter wraps after 2^36 / 1.25e9 = 55 s, a 32-bit packet
 * counter after 2^32 / 14.88e6 = 289 s. So they are folded into 64-bit totals
 * at least once a second: by stats_get, and by the pollers, each of which
 * looks at the clock once every IXGBE_STATS_POLLS bursts (a decrement per
 * burst; the fold itself is a few dozen register reads). A try-lock keeps
 * two folds from racing; a poller that loses simply moves on.
 */

static void stats_fold_locked(struct ixgbe_port *p)
{
	struct ixgbe_hw_stats sum = p->hw, *s = &sum;
	unsigned nq = p->nb_q;

	if (port_removed(p))
		return; /* the totals stay the last good ones */
	s->gprc += rd32c(p, IXGBE_GPRC);
	s->gptc += rd32c(p, IXGBE_GPTC);
	s->gorc += rd32c(p, IXGBE_GORCL); /* 36 bits: the low register, then the high */
	s->gorc += (uint64_t)(rd32c(p, IXGBE_GORCH) & 0xf) << 32;
	s->gotc += rd32c(p, IXGBE_GOTCL);
	s->gotc += (uint64_t)(rd32c(p, IXGBE_GOTCH) & 0xf) << 32;
	s->crcerrs += rd32c(p, IXGBE_CRCERRS);
	for (unsigned i = 0; i < 8; i++)
		s->mpc += rd32c(p, IXGBE_MPC(i));
	for (unsigned i = 0; i < nq && i < IXGBE_NB_QSTATS; i++) {
		s->qprc[i] += rd32c(p, IXGBE_QPRC(i));
		s->qprdc[i] += rd32c(p, IXGBE_QPRDC(i));
		s->qbrc[i] += rd32c(p, IXGBE_QBRC_L(i));
		s->qbrc[i] += (uint64_t)(rd32c(p, IXGBE_QBRC_H(i)) & 0xf) << 32;
		s->qptc[i] += rd32c(p, IXGBE_QPTC(i));
		s->qbtc[i] += rd32c(p, IXGBE_QBTC_L(i));
		s->qbtc[i] += (uint64_t)(rd32c(p, IXGBE_QBTC_H(i)) & 0xf) << 32;
	}
	/* All ones from a device that went away during the fold are not traffic: drop it. */
	if (port_removed(p))
		return;
	p->hw = sum;
	atomic_store_explicit(&p->stats_next_tsc, tern_rdtsc() + p->stats_period_tsc,
	                      memory_order_relaxed);
}

static void stats_lock(struct ixgbe_port *p)
{
	while (atomic_flag_test_and_set_explicit(&p->stats_lock, memory_order_acquire))
		;
}

static void stats_unlock(struct ixgbe_port *p)
{
	atomic_flag_clear_explicit(&p->stats_lock, memory_order_release);
}

/* From a poller: fold if a second has passed and nobody else is folding. */
void __attribute__((noinline)) ixgbe_stats_maybe_fold(struct ixgbe_port *p)
{
	if (tern_rdtsc() < atomic_load_explicit(&p->stats_next_tsc, memory_order_relaxed))
		return;
	if (atomic_flag_test_and_set_explicit(&p->stats_lock, memory_order_acquire))
		return;
	stats_fold_locked(p);
	stats_unlock(p);
}

/* ---- 4.6.3 initialization --------------------------------------------------- */

/* SFP+ parts: the link mode is ours to set (ixy's way); the others' EEPROM set it. */
static bool is_sfp(uint16_t device_id)
{
	static const uint16_t sfp[] = {0x10fb, 0x1529, 0x1507, 0x154d, 0x154a, 0x1558, 0x1557};

	for (unsigned i = 0; i < TERN_DIM(sfp); i++)
		if (sfp[i] == device_id)
			return true;
	return false;
}

/* 4.6.4: link mode, then restart auto-negotiation. */
static void link_setup(const struct tern_pci_dev *pci)
{
	uint32_t autoc = rd32(pci, IXGBE_AUTOC);

	/*
	 * 8.2.3.22.19 AUTOC.LMS = 10G serial, XAUI PMA: the mode SFP+ modules
	 * (SR, LR, direct attach) run in. As in ixy, the module type is not
	 * read over I2C. Backplane (KX4, KR), CX4, XAUI and copper (T3, X540,
	 * X550-T) parts keep the mode their EEPROM loaded, which is the one
	 * their board is wired for, and only restart AN.
	 */
	if (is_sfp(pci->device_id)) {
		autoc = (autoc & ~IXGBE_AUTOC_LMS_MASK) | IXGBE_AUTOC_LMS_10G_SERIAL;
		autoc = (autoc & ~IXGBE_AUTOC_10G_PMA_PMD_MASK) | IXGBE_AUTOC_10G_XAUI;
	}
	wr32(pci, IXGBE_AUTOC, autoc | IXGBE_AUTOC_AN_RESTART);
}

static int ixgbe_reset_and_init(struct ixgbe_port *p)
{
	const struct tern_pci_dev *pci = p->pci;
	const char *name = pci->name;

	/* All ones before anything was written: nothing answers at this address. */
	if (rd32(pci, IXGBE_STATUS) == UINT32_MAX) {
		return tern_error(
		    ENODEV, IXGBE_LOG,
		    "%s: device does not answer (registers read all ones): is it present and "
		    "powered?",
		    name);
	}

	/* 4.6.3.1: mask every interrupt (tern polls; none is ever enabled). */
	wr32(pci, IXGBE_EIMC, IXGBE_IRQ_CLEAR_MASK);

	/* 4.6.3.2: global reset (device and link), then at least 10 ms before access. */
	wr32(pci, IXGBE_CTRL, rd32(pci, IXGBE_CTRL) | IXGBE_CTRL_RST_MASK);
	sleep_us(10000);
	if (wait_bits(p, IXGBE_CTRL, IXGBE_CTRL_RST_MASK, 0, 1000) < 0) {
		return tern_error(EIO, IXGBE_LOG, "%s: CTRL.RST did not clear after reset", name);
	}

	/* 4.6.3.1: the reset unmasked interrupts again: mask them again. */
	wr32(pci, IXGBE_EIMC, IXGBE_IRQ_CLEAR_MASK);

	/* 4.6.3: wait for the EEPROM auto-read (EEC.ARD), then DMA init (RDRXCTL.DMAIDONE). */
	if (wait_bits(p, IXGBE_EEC, IXGBE_EEC_ARD, IXGBE_EEC_ARD, 1000) < 0) {
		return tern_error(EIO, IXGBE_LOG, "%s: EEPROM auto-read (EEC.ARD) never finished",
		                  name);
	}
	if (wait_bits(p, IXGBE_RDRXCTL, IXGBE_RDRXCTL_DMAIDONE, IXGBE_RDRXCTL_DMAIDONE, 1000) < 0) {
		return tern_error(EIO, IXGBE_LOG, "%s: DMA init (RDRXCTL.DMAIDONE) never finished",
		                  name);
	}

	/* 4.6.4: link setup; the link comes up on its own (LINKS, read in link_get). */
	link_setup(pci);

	/* 4.6.5: statistics registers are cleared by reading them. */
	stats_fold_locked(p);
	memset(&p->hw, 0, sizeof(p->hw));
	return 0;
}

/* The MAC address the EEPROM loaded into RAL/RAH(0) (8.2.3.7.9). */
static void mac_read(const struct tern_pci_dev *pci, struct tern_ether_addr *mac)
{
	uint32_t lo = rd32(pci, IXGBE_RAL(0)), hi = rd32(pci, IXGBE_RAH(0));

	for (unsigned i = 0; i < 4; i++)
		mac->addr[i] = (uint8_t)(lo >> (8 * i));
	mac->addr[4] = (uint8_t)hi;
	mac->addr[5] = (uint8_t)(hi >> 8);
}

static void mac_write(const struct tern_pci_dev *pci, const struct tern_ether_addr *mac)
{
	const uint8_t *a = mac->addr;

	wr32(pci, IXGBE_RAL(0),
	     a[0] | (uint32_t)a[1] << 8 | (uint32_t)a[2] << 16 | (uint32_t)a[3] << 24);
	wr32(pci, IXGBE_RAH(0), a[4] | (uint32_t)a[5] << 8 | IXGBE_RAH_AV);
}

/* ---- probe ---------------------------------------------------------------------- */

/* Microsoft's default Toeplitz key (also the one the RSS verification suite uses). */
static const uint8_t ixgbe_default_rss_key[IXGBE_RSS_KEY_LEN] = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
    0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
    0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

/* rss_key=<80 hex digits> (colons allowed between bytes). */
static int parse_rss_key(const char *name, const char *args, uint8_t key[IXGBE_RSS_KEY_LEN])
{
	char buf[3 * IXGBE_RSS_KEY_LEN + 1];
	unsigned n = 0;
	int ret = tern_devargs_get(args, "rss_key", buf, sizeof(buf));

	if (ret == -ENOENT)
		return 0;
	for (const char *s = buf; ret > 0 && *s != '\0' && n < IXGBE_RSS_KEY_LEN;) {
		int hi, lo;

		if (*s == ':')
			s++;
		hi = tern_hexval(s[0]);
		lo = hi < 0 ? -1 : tern_hexval(s[1]);
		if (lo < 0)
			break;
		key[n++] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	if (ret < 0 || n != IXGBE_RSS_KEY_LEN) {
		return tern_error(EINVAL, IXGBE_LOG,
		                  "%s: rss_key= must be %d bytes in hex (80 digits)", name,
		                  IXGBE_RSS_KEY_LEN);
	}
	return 0;
}

static int ixgbe_probe(struct tern_pci_dev *pci, const char *args, struct tern_port_dev **devp)
{
	static const char *const known[] = {"rss_key", NULL};
	struct ixgbe_port *p;
	void *bar0;
	int ret;

	ret = tern_devargs_check(IXGBE_LOG, args, known);
	if (ret < 0)
		return ret;
	if (pci->bar[0].len < IXGBE_BAR0_LEN || pci->bar[0].io) {
		return tern_error(ENODEV, IXGBE_LOG,
		                  "%s: BAR 0 is not the 82599's 128 KiB registers", pci->name);
	}
	ret = tern_pci_map_bar(pci, 0, &bar0);
	if (ret < 0)
		return ret; /* the PCI layer said why, naming the device and BAR */
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		return tern_error(ENOMEM, IXGBE_LOG, "%s: out of memory", pci->name);
	}
	p->pci = pci;
	memcpy(p->rss_key, ixgbe_default_rss_key, sizeof(p->rss_key));
	ret = parse_rss_key(pci->name, args, p->rss_key);
	if (ret < 0)
		goto fail;
	atomic_flag_clear(&p->stats_lock);
	p->stats_period_tsc = tern_tsc_hz(); /* fold once a second (see statistics) */
	p->max_frame = TERN_ETHER_MTU + TERN_ETHER_HDR_LEN + TERN_ETHER_CRC_LEN;

	ret = ixgbe_reset_and_init(p);
	if (ret < 0)
		goto fail;
	/* The NIC reads and writes our rings and buffers from now on. */
	ret = tern_pci_bus_master(pci, true);
	if (ret < 0)
		goto fail; /* the PCI layer said why */
	mac_read(pci, &p->dev.mac);
	p->dev.ops = &ixgbe_ops;
	p->dev.rx_burst = ixgbe_rx_burst;
	p->dev.tx_burst = ixgbe_tx_burst;
	p->dev.socket = pci->numa_node >= 0 ? pci->numa_node : TERN_SOCKET_ID_ANY;
	*devp = &p->dev;
	return 0;
fail:
	free(p);
	return ret;
}

/* ---- configure --------------------------------------------------------------- */

static int ixgbe_configure(struct tern_port_dev *dev, uint16_t nb_rxq, uint16_t nb_txq,
                           const struct tern_port_conf *conf)
{
	struct ixgbe_port *p = ixgbe_port(dev);
	uint32_t mtu = conf != NULL && conf->mtu != 0 ? conf->mtu : TERN_ETHER_MTU;
	uint32_t frame = mtu + TERN_ETHER_HDR_LEN + TERN_ETHER_CRC_LEN;

	if (mtu < 68 || frame > IXGBE_MAX_FRAME) {
		return tern_error(EINVAL, IXGBE_LOG, "%s: MTU %u out of range: 68 to %u", dev->name,
		                  mtu, IXGBE_MAX_FRAME - TERN_ETHER_HDR_LEN - TERN_ETHER_CRC_LEN);
	}
	p->max_frame = frame;
	p->nb_q = TERN_MAX(nb_rxq, nb_txq);
	/* Several RX queues only receive anything through RSS: ask or not, it is on then. */
	p->rss = (conf != NULL && conf->rss) || nb_rxq > 1;
	return 0;
}

static void ixgbe_info_get(struct tern_port_dev *dev, struct tern_port_info *info)
{
	(void)dev;
	info->max_rx_queues = IXGBE_MAX_QUEUES;
	info->max_tx_queues = IXGBE_MAX_QUEUES;
	info->rx_desc_min = IXGBE_DESC_MIN;
	info->rx_desc_max = IXGBE_DESC_MAX;
	info->tx_desc_min = IXGBE_DESC_MIN;
	info->tx_desc_max = IXGBE_DESC_MAX;
	info->max_rx_pktlen = IXGBE_MAX_FRAME;
	info->capa = TERN_PORT_CAPA_MULTI_SEG_TX | TERN_PORT_CAPA_MULTI_SEG_RX |
	             TERN_PORT_CAPA_RSS_HASH | TERN_PORT_CAPA_PROMISC | TERN_PORT_CAPA_MAC_SET |
	             TERN_PORT_CAPA_RUNTIME_LINK;
}

/* ---- 4.6.7 receive initialization -------------------------------------------- */

/* 7.1.2.8: the 40-byte key, the redirection table over nb_rxq queues, the hashed fields. */
static void rss_setup(struct ixgbe_port *p)
{
	const struct tern_pci_dev *pci = p->pci;
	uint16_t nb_rxq = tern_port_dev_nb_rxq(&p->dev);

	/* 8.2.3.7.4 RXCSUM.PCSD: the descriptor's second dword carries the hash. */
	set_bits(pci, IXGBE_RXCSUM, IXGBE_RXCSUM_PCSD);
	/* 8.2.3.7.15 RSSRK: key byte 0 in the low byte of RSSRK(0). */
	for (unsigned i = 0; i < IXGBE_RSS_KEY_LEN / 4; i++) {
		const uint8_t *k = &p->rss_key[4 * i];

		wr32(pci, IXGBE_RSSRK(i),
		     k[0] | (uint32_t)k[1] << 8 | (uint32_t)k[2] << 16 | (uint32_t)k[3] << 24);
	}
	/* 8.2.3.7.13 RETA: 128 one-byte entries, entry i -> queue i mod nb_rxq. */
	for (unsigned r = 0; r < IXGBE_RETA_ENTRIES / 4; r++) {
		uint32_t v = 0;

		for (unsigned b = 0; b < 4; b++)
			v |= (uint32_t)((4 * r + b) % nb_rxq) << (8 * b);
		wr32(pci, IXGBE_RETA(r), v);
	}
	/* 8.2.3.7.12 MRQC: RSS only (no DCB, no VT), over IPv4/IPv6 and their TCP/UDP ports. */
	wr32(pci, IXGBE_MRQC,
	     IXGBE_MRQC_RSSEN | IXGBE_MRQC_RSS_FIELD_IPV4 | IXGBE_MRQC_RSS_FIELD_IPV4_TCP |
	         IXGBE_MRQC_RSS_FIELD_IPV4_UDP | IXGBE_MRQC_RSS_FIELD_IPV6 |
	         IXGBE_MRQC_RSS_FIELD_IPV6_TCP | IXGBE_MRQC_RSS_FIELD_IPV6_UDP);
}

static void rx_filters(struct ixgbe_port *p, bool promisc)
{
	uint32_t fctrl = rd32(p->pci, IXGBE_FCTRL) | IXGBE_FCTRL_BAM;

	/* 8.2.3.7.1 FCTRL: broadcast always; unicast and multicast promiscuous on demand. */
	if (promisc)
		fctrl |= IXGBE_FCTRL_UPE | IXGBE_FCTRL_MPE;
	else
		fctrl &= ~(IXGBE_FCTRL_UPE | IXGBE_FCTRL_MPE);
	wr32(p->pci, IXGBE_FCTRL, fctrl);
}

/* 4.6.7 for one queue: ring, buffer size, fill, enable, then the tail. */
static int rxq_start(struct ixgbe_port *p, struct ixgbe_rxq *q)
{
	const struct tern_pci_dev *pci = p->pci;
	uint16_t i = q->qid;
	tern_iova_t iova = tern_dma_virt2iova((const void *)q->ring);
	int ret;

	clear_bits(pci, IXGBE_RXDCTL(i), IXGBE_RXDCTL_ENABLE);
	wr32(pci, IXGBE_RDBAL(i), (uint32_t)iova);
	wr32(pci, IXGBE_RDBAH(i), (uint32_t)(iova >> 32));
	wr32(pci, IXGBE_RDLEN(i), (uint32_t)q->nb_desc * 16);
	/* 8.2.3.7.2: advanced one-buffer descriptors; DROP_EN off: a full ring waits. */
	wr32(pci, IXGBE_SRRCTL(i),
	     IXGBE_SRRCTL_DESCTYPE_ADV_ONEBUF | (q->buf_size >> IXGBE_SRRCTL_BSIZEPKT_SHIFT));
	wr32(pci, IXGBE_RDH(i), 0);
	wr32(pci, IXGBE_RDT(i), 0);

	/* Every descriptor gets a buffer; the last one is held back (rx_refill). */
	if (tern_mempool_get_bulk(q->mp, (void **)q->bufs, q->nb_desc) < 0) {
		return tern_error(
		    ENOBUFS, IXGBE_LOG,
		    "%s: RX queue %u: pool %s cannot fill %u descriptors: make it larger",
		    p->dev.name, i, tern_mempool_name(q->mp), q->nb_desc);
	}
	for (uint16_t d = 0; d < q->nb_desc; d++)
		rx_post(q, d, q->bufs[d]);
	q->next = 0;
	q->nb_hold = 0;
	q->first = q->last = NULL;
	q->discard = false;

	/* 4.6.7: enable the queue, poll until the NIC says so, only then bump RDT. */
	set_bits(pci, IXGBE_RXDCTL(i), IXGBE_RXDCTL_ENABLE);
	ret = wait_bits(p, IXGBE_RXDCTL(i), IXGBE_RXDCTL_ENABLE, IXGBE_RXDCTL_ENABLE, 100);
	if (ret == -ENODEV)
		return ret; /* removal_check logged it */
	if (ret < 0) {
		return tern_error(EIO, IXGBE_LOG, "%s: RX queue %u did not enable", p->dev.name, i);
	}
	/* Release: the filled ring before the doorbell; pairs with the NIC's descriptor fetch. */
	tern_pci_wmb();
	wr32(pci, IXGBE_RDT(i), (uint32_t)(q->nb_desc - 1));
	return 0;
}

static int rx_init(struct ixgbe_port *p)
{
	const struct tern_pci_dev *pci = p->pci;
	struct tern_port_dev *dev = &p->dev;
	uint32_t hlreg0;
	int ret;

	/* 4.6.7: receive off while it is set up. */
	clear_bits(pci, IXGBE_RXCTRL, IXGBE_RXCTRL_RXEN);

	/* 8.2.3.22.8 HLREG0: strip CRC, add CRC and pad on TX, jumbo frames beyond 1518. */
	hlreg0 = rd32(pci, IXGBE_HLREG0) | IXGBE_HLREG0_RXCRCSTRP | IXGBE_HLREG0_TXCRCEN |
	         IXGBE_HLREG0_TXPADEN;
	if (p->max_frame > 1518)
		hlreg0 |= IXGBE_HLREG0_JUMBOEN;
	else
		hlreg0 &= ~IXGBE_HLREG0_JUMBOEN;
	wr32(pci, IXGBE_HLREG0, hlreg0);
	wr32(pci, IXGBE_MAXFRS, p->max_frame << IXGBE_MAXFRS_MFS_SHIFT);
	/* 8.2.3.8.8 RDRXCTL.CRCSTRIP must match HLREG0.RXCRCSTRP. */
	set_bits(pci, IXGBE_RDRXCTL, IXGBE_RDRXCTL_CRCSTRIP);

	mac_write(pci, &dev->mac);
	rx_filters(p, tern_port_dev_promisc(dev));
	if (p->rss)
		rss_setup(p);
	else
		wr32(pci, IXGBE_MRQC, 0);

	/* 8.2.3.23.71 RQSMR: queue i counts into counter set i. */
	for (unsigned r = 0; r < IXGBE_NB_QSTATS / 4; r++)
		wr32(pci, IXGBE_RQSMR(r),
		     (4 * r) | (4 * r + 1) << 8 | (4 * r + 2) << 16 | (4 * r + 3) << 24);

	for (uint16_t i = 0; i < tern_port_dev_nb_rxq(dev); i++) {
		ret = rxq_start(p, tern_port_dev_rxq(dev, i));
		if (ret < 0)
			return ret;
	}
	/* 4.6.7: no-snoop off (8.2.3.1.3), then receive on. */
	set_bits(pci, IXGBE_CTRL_EXT, IXGBE_CTRL_EXT_NS_DIS);
	set_bits(pci, IXGBE_RXCTRL, IXGBE_RXCTRL_RXEN);
	return 0;
}

/* ---- 4.6.8 transmit initialization ------------------------------------------- */

static int tx_init(struct ixgbe_port *p)
{
	const struct tern_pci_dev *pci = p->pci;
	struct tern_port_dev *dev = &p->dev;

	for (unsigned r = 0; r < IXGBE_NB_QSTATS / 4; r++)
		wr32(pci, IXGBE_TQSM(r),
		     (4 * r) | (4 * r + 1) << 8 | (4 * r + 2) << 16 | (4 * r + 3) << 24);
	for (uint16_t i = 0; i < tern_port_dev_nb_txq(dev); i++) {
		struct ixgbe_txq *q = tern_port_dev_txq(dev, i);
		tern_iova_t iova = tern_dma_virt2iova((const void *)q->ring);

		/* 8.2.3.9.5-8: ring base, length, empty (head == tail). */
		wr32(pci, IXGBE_TDBAL(i), (uint32_t)iova);
		wr32(pci, IXGBE_TDBAH(i), (uint32_t)(iova >> 32));
		wr32(pci, IXGBE_TDLEN(i), (uint32_t)q->nb_desc * 16);
		wr32(pci, IXGBE_TDH(i), 0);
		wr32(pci, IXGBE_TDT(i), 0);
		/*
		 * 8.2.3.9.10 TXDCTL: prefetch when 32 are free, host threshold 1,
		 * write-back threshold 0: DD comes back as soon as an RS descriptor
		 * is done, which tx_clean relies on.
		 */
		wr32(pci, IXGBE_TXDCTL(i),
		     32u << IXGBE_TXDCTL_PTHRESH_SHIFT | 1u << IXGBE_TXDCTL_HTHRESH_SHIFT);
		memset((void *)q->ring, 0, (size_t)q->nb_desc * 16);
		q->tail = q->clean = 0;
		q->nb_free = (uint16_t)(q->nb_desc - 1); /* TDT == TDH means empty */
		q->since_rs = 0;
		q->rs_head = q->rs_tail = 0;
	}
	/* 4.6.8: transmit on (DMATXCTL.TE) before any queue is enabled. */
	set_bits(pci, IXGBE_DMATXCTL, IXGBE_DMATXCTL_TE);
	for (uint16_t i = 0; i < tern_port_dev_nb_txq(dev); i++) {
		int ret;

		set_bits(pci, IXGBE_TXDCTL(i), IXGBE_TXDCTL_ENABLE);
		ret = wait_bits(p, IXGBE_TXDCTL(i), IXGBE_TXDCTL_ENABLE, IXGBE_TXDCTL_ENABLE, 100);
		if (ret == -ENODEV)
			return ret; /* removal_check logged it */
		if (ret < 0) {
			return tern_error(EIO, IXGBE_LOG, "%s: TX queue %u did not enable",
			                  dev->name, i);
		}
	}
	return 0;
}

/* ---- stop, start, close --------------------------------------------------------- */

/* 4.6.7.1 / 4.6.8.1: disable each queue and wait until the NIC has let it go. */
static void queues_disable(struct ixgbe_port *p)
{
	const struct tern_pci_dev *pci = p->pci;
	struct tern_port_dev *dev = &p->dev;

	clear_bits(pci, IXGBE_RXCTRL, IXGBE_RXCTRL_RXEN);
	for (uint16_t i = 0; i < tern_port_dev_nb_rxq(dev); i++) {
		clear_bits(pci, IXGBE_RXDCTL(i), IXGBE_RXDCTL_ENABLE);
		int ret = wait_bits(p, IXGBE_RXDCTL(i), IXGBE_RXDCTL_ENABLE, 0, 100);

		if (ret == -ENODEV)
			return;
		if (ret < 0)
			tern_log(TERN_LOG_WARNING, IXGBE_LOG, "%s: RX queue %u did not stop",
			         dev->name, i);
	}
	for (uint16_t i = 0; i < tern_port_dev_nb_txq(dev); i++) {
		clear_bits(pci, IXGBE_TXDCTL(i), IXGBE_TXDCTL_ENABLE);
		int ret = wait_bits(p, IXGBE_TXDCTL(i), IXGBE_TXDCTL_ENABLE, 0, 100);

		if (ret == -ENODEV)
			return;
		if (ret < 0)
			tern_log(TERN_LOG_WARNING, IXGBE_LOG, "%s: TX queue %u did not stop",
			         dev->name, i);
	}
}

static int ixgbe_stop(struct tern_port_dev *dev)
{
	struct ixgbe_port *p = ixgbe_port(dev);

	if (!ixgbe_removal_check(p))
		queues_disable(p);
	/*
	 * Removed: nothing to wait for, a gone device writes no more. Bus
	 * mastering off (best effort, silent): if it is wedged rather than
	 * gone, that is the one switch still keeping it off our memory.
	 */
	if (port_removed(p))
		tern_pci_bus_master(p->pci, false);
	/* The NIC is off the rings: every buffer goes back to its pool. */
	for (uint16_t i = 0; i < tern_port_dev_nb_rxq(dev); i++)
		ixgbe_rxq_drain(tern_port_dev_rxq(dev, i));
	for (uint16_t i = 0; i < tern_port_dev_nb_txq(dev); i++)
		ixgbe_txq_drain(tern_port_dev_txq(dev, i));
	return 0;
}

static int ixgbe_start(struct tern_port_dev *dev)
{
	struct ixgbe_port *p = ixgbe_port(dev);
	int ret;

	if (ixgbe_removal_check(p))
		return -ENODEV;
	ret = rx_init(p);
	if (ret == 0)
		ret = tx_init(p);
	/* Gone during the start: its register writes went nowhere. */
	if (ret == 0 && ixgbe_removal_check(p))
		ret = -ENODEV;
	if (ret < 0)
		ixgbe_stop(dev); /* gives back what rx_init had posted */
	return ret;
}

static void ixgbe_close(struct tern_port_dev *dev)
{
	struct ixgbe_port *p = ixgbe_port(dev);

	/* Leave the NIC quiet: interrupts masked, receive off (the rings are gone). */
	if (!ixgbe_removal_check(p)) {
		wr32(p->pci, IXGBE_EIMC, IXGBE_IRQ_CLEAR_MASK);
		clear_bits(p->pci, IXGBE_RXCTRL, IXGBE_RXCTRL_RXEN);
	}
	tern_pci_bus_master(p->pci, false);
	tern_pci_close(p->pci);
	free(p);
}

/* ---- MAC, promiscuous mode, link, stats ---------------------------------------- */

static int ixgbe_mac_set(struct tern_port_dev *dev, const struct tern_ether_addr *mac)
{
	if (ixgbe_removal_check(ixgbe_port(dev)))
		return -ENODEV;
	mac_write(ixgbe_port(dev)->pci, mac);
	return 0;
}

static int ixgbe_promisc_set(struct tern_port_dev *dev, bool on)
{
	if (ixgbe_removal_check(ixgbe_port(dev)))
		return -ENODEV;
	rx_filters(ixgbe_port(dev), on);
	return 0;
}

/* 8.2.3.22.20 LINKS: up and speed. */
static int ixgbe_link_get(struct tern_port_dev *dev, struct tern_link *link)
{
	struct ixgbe_port *p = ixgbe_port(dev);
	uint32_t links = rd32c(p, IXGBE_LINKS);

	if (port_removed(p))
		links = 0; /* all ones from a device that is gone: down */

	*link = (struct tern_link){
	    .up = (links & IXGBE_LINKS_UP) != 0, .full_duplex = true, .autoneg = true};
	if (!link->up)
		return 0;
	switch (links & IXGBE_LINKS_SPEED_MASK) {
	case IXGBE_LINKS_SPEED_10G:
		link->speed_mbps = 10000;
		break;
	case IXGBE_LINKS_SPEED_1G:
		link->speed_mbps = 1000;
		break;
	case IXGBE_LINKS_SPEED_100M:
		link->speed_mbps = 100;
		break;
	default:
		link->speed_mbps = 0;
	}
	return 0;
}

/* The device's own counters; the port layer adds the queues' nombuf and errors. */
static int ixgbe_stats_get(struct tern_port_dev *dev, struct tern_port_stats *stats)
{
	struct ixgbe_port *p = ixgbe_port(dev);
	const struct ixgbe_hw_stats *s = &p->hw;

	stats_lock(p);
	stats_fold_locked(p);
	/* GORC/GOTC count the 4-byte CRC of every frame; the application never sees it. */
	*stats = (struct tern_port_stats){
	    .ipackets = s->gprc,
	    .ibytes = s->gorc - s->gprc * TERN_ETHER_CRC_LEN,
	    .ierrors = s->crcerrs,
	    .opackets = s->gptc,
	    .obytes = s->gotc - s->gptc * TERN_ETHER_CRC_LEN,
	    .imissed = s->mpc,
	};
	stats_unlock(p);
	return 0;
}

static int ixgbe_queue_stats_get(struct tern_port_dev *dev, bool rx, uint16_t qid,
                                 struct tern_queue_stats *stats)
{
	struct ixgbe_port *p = ixgbe_port(dev);

	stats_lock(p);
	stats_fold_locked(p);
	if (rx) {
		stats->packets = p->hw.qprc[qid];
		stats->bytes = p->hw.qbrc[qid]; /* after CRC strip: what the buffers hold */
		stats->missed = p->hw.qprdc[qid];
	} else {
		stats->packets = p->hw.qptc[qid];
		stats->bytes = p->hw.qbtc[qid];
	}
	stats_unlock(p);
	return 0;
}

static const struct tern_port_ops ixgbe_ops = {
    .configure = ixgbe_configure,
    .info_get = ixgbe_info_get,
    .rx_queue_setup = ixgbe_rx_queue_setup,
    .tx_queue_setup = ixgbe_tx_queue_setup,
    .rx_queue_release = ixgbe_rx_queue_release,
    .tx_queue_release = ixgbe_tx_queue_release,
    .start = ixgbe_start,
    .stop = ixgbe_stop,
    .close = ixgbe_close,
    .mac_set = ixgbe_mac_set,
    .promisc_set = ixgbe_promisc_set,
    .link_get = ixgbe_link_get,
    .stats_get = ixgbe_stats_get,
    .queue_stats_get = ixgbe_queue_stats_get,
};

/* The 82599 family and the X540/X550-T that share its register model (Linux ixgbe_type.h). */
static const struct tern_pci_id ixgbe_pci_ids[] = {
    {IXGBE_VENDOR_INTEL, 0x10f7}, /* 82599 KX4 */
    {IXGBE_VENDOR_INTEL, 0x1514}, /* 82599 KX4 mezzanine */
    {IXGBE_VENDOR_INTEL, 0x1517}, /* 82599 KR */
    {IXGBE_VENDOR_INTEL, 0x10f8}, /* 82599 combo backplane */
    {IXGBE_VENDOR_INTEL, 0x10f9}, /* 82599 CX4 */
    {IXGBE_VENDOR_INTEL, 0x10fb}, /* 82599 SFP+ */
    {IXGBE_VENDOR_INTEL, 0x10fc}, /* 82599 XAUI LOM */
    {IXGBE_VENDOR_INTEL, 0x151c}, /* 82599 T3 LOM */
    {IXGBE_VENDOR_INTEL, 0x1529}, /* 82599 SFP+ FCoE */
    {IXGBE_VENDOR_INTEL, 0x152a}, /* 82599 backplane FCoE */
    {IXGBE_VENDOR_INTEL, 0x1507}, /* 82599 SFP+ EM */
    {IXGBE_VENDOR_INTEL, 0x154d}, /* 82599 SFP+ SF2 */
    {IXGBE_VENDOR_INTEL, 0x154a}, /* 82599 SFP+ SF QP */
    {IXGBE_VENDOR_INTEL, 0x1558}, /* 82599 QSFP+ SF QP */
    {IXGBE_VENDOR_INTEL, 0x154f}, /* 82599 LS */
    {IXGBE_VENDOR_INTEL, 0x1557}, /* 82599EN SFP+ */
    {IXGBE_VENDOR_INTEL, 0x1528}, /* X540-T */
    {IXGBE_VENDOR_INTEL, 0x1560}, /* X540-T1 */
    {IXGBE_VENDOR_INTEL, 0x1563}, /* X550-T */
    {IXGBE_VENDOR_INTEL, 0x15d1}, /* X550-T1 */
    {0, 0},
};

const struct tern_driver tern_ixgbe_driver = {
    .abi_version = TERN_DRIVER_ABI_VERSION,
    .name = "ixgbe",
    .bus = TERN_BUS_PCI,
    .pci_ids = ixgbe_pci_ids,
    .pci_probe = ixgbe_probe,
};
