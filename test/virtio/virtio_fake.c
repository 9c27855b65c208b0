/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * virtio_fake.c - pmd/virtio against an in-memory device (fake_virtio.h),
 * through the port API, on the host: initialization order, notification
 * counts (one per burst, none under NO_NOTIFY, none before DRIVER_OK),
 * ordering of used entries, merged RX buffers, chained TX, an empty pool,
 * stop returning every buffer, both transports.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_virtio.h"
#include "tern_test.h"
#include "tern_cycles.h"
#include "tern_driver.h"
#include "tern_log.h"
#include "tern_eal.h"
#include "tern_mempool.h"
#include "tern_pkt.h"
#include "tern_port.h"

#define ADDR "0000:42:00.0"

static struct fake dev;
static uint8_t frames[64][16384];
static uint32_t lens[64];

static const uint64_t features_modern = 1ull << VIRTIO_NET_F_MAC | 1ull << VIRTIO_NET_F_STATUS |
                                        1ull << VIRTIO_NET_F_MRG_RXBUF |
                                        1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_F_ANY_LAYOUT;

/* Register the fake at ADDR and start the EAL with -a ADDR[,args]. */
static int setup_eal(uint64_t features, const char *args)
{
	struct tern_pci_addr a;
	uint64_t bars[TERN_PCI_MAX_BARS] = {32, 0, 0, 0, 0x4000, 0};
	struct tern_eal_config cfg;

	fake_init(&dev, features);
	tern_pci_addr_parse(ADDR, &a);
	cr_assert_eq(tern_pci_emul_register(&a, VIRTIO_PCI_VENDOR_ID, VIRTIO_PCI_DEVICE_NET_TRANS,
	                                    &fake_ops, &dev, bars),
	             0);
	tern_eal_config_init(&cfg);
	cfg.no_huge = true;
	cfg.nb_pci = 1;
	strcpy(cfg.pci[0].name, ADDR);
	if (args != NULL)
		strcpy(cfg.pci[0].args, args);
	return tern_eal_init(&cfg);
}

static struct tern_mempool *start_port(unsigned pool_n, uint16_t nb_desc)
{
	struct tern_mempool *mp;

	mp = tern_pktpool_create("vfake", pool_n, 0, 0, TERN_PKT_DEFAULT_BUF_SIZE,
	                         TERN_SOCKET_ID_ANY);
	cr_assert_not_null(mp);
	cr_assert_eq(tern_port_configure(0, 1, 1, NULL), 0);
	cr_assert_eq(tern_port_rx_queue_setup(0, 0, nb_desc, TERN_SOCKET_ID_ANY, mp), 0);
	cr_assert_eq(tern_port_tx_queue_setup(0, 0, nb_desc, TERN_SOCKET_ID_ANY), 0);
	cr_assert_eq(tern_port_start(0), 0, "%s", tern_eal_last_error());
	return mp;
}

static void fill_frame(uint8_t *b, uint32_t len, unsigned seq)
{
	for (uint32_t i = 0; i < len; i++)
		b[i] = (uint8_t)(seq * 7 + i);
	memset(b, 0xff, 6); /* broadcast */
}

static struct tern_pkt *make_pkt(struct tern_mempool *mp, uint32_t len, unsigned seq)
{
	struct tern_pkt *p = tern_pkt_alloc(mp);
	uint8_t *b;

	cr_assert_not_null(p);
	b = (uint8_t *)tern_pkt_append(p, (uint16_t)len);
	if (b == NULL)
		cr_assert_fail("append %u", len);
	else
		fill_frame(b, len, seq);
	return p;
}

static void finish(struct tern_mempool *mp)
{
	cr_expect_eq(tern_port_stop(0), 0);
	cr_expect_eq(tern_mempool_avail_count(mp), tern_mempool_size(mp), "every buffer back");
	cr_expect_eq(dev.bad, 0, "malformed descriptors");
	cr_expect_eq(dev.early_notifies, 0, "notified before DRIVER_OK");
	tern_port_close(0);
	tern_mempool_free(mp);
	tern_eal_cleanup();
}

/* 3.1.1: the sequence ends in DRIVER_OK with the features we chose; MAC and link from config. */
Test(virtio_fake, init_sequence)
{
	struct tern_mempool *mp;
	struct tern_ether_addr mac;
	struct tern_link link;

	cr_assert_eq(setup_eal(features_modern | 1ull << 40, NULL), 0, "%s", tern_eal_last_error());
	mp = start_port(512, 0);
	cr_expect_eq(dev.status, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
	                             VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
	cr_expect_eq(dev.drv_features, 1ull << VIRTIO_NET_F_MAC | 1ull << VIRTIO_NET_F_STATUS |
	                                   1ull << VIRTIO_NET_F_MRG_RXBUF |
	                                   1ull << VIRTIO_F_VERSION_1);
	cr_expect(dev.q[0].enabled && dev.q[1].enabled && !dev.q[2].enabled);
	cr_expect_eq(dev.notifies[0], 1, "one kick for the filled RX ring");
	cr_expect_eq(fake_avail_count(&dev.q[0]), FAKE_QSIZE, "RX ring full");
	tern_port_mac_get(0, &mac);
	cr_expect_eq(memcmp(mac.addr, dev.devcfg, 6), 0);
	cr_expect_eq(tern_port_link_get(0, &link), 0);
	cr_expect(link.up);
	dev.devcfg[VIRTIO_NET_CFG_STATUS] = 0;
	tern_port_link_get(0, &link);
	cr_expect(!link.up);
	finish(mp);
	cr_expect_eq(dev.status, 0, "stop resets the device");
}

static void tx_rx_roundtrip(void)
{
	struct tern_mempool *mp = start_port(1024, 0);
	struct tern_pkt *pkts[64];
	static const uint32_t sizes[] = {60, 64, 512, 1514};
	unsigned n0, got, i;

	/* TX: one burst of 32 = one notification; the device sees every frame, in order. */
	for (i = 0; i < 32; i++)
		pkts[i] = make_pkt(mp, sizes[i % 4], i);
	n0 = dev.notifies[1];
	cr_assert_eq(tern_port_tx_burst(0, 0, pkts, 32), 32);
	cr_expect_eq(dev.notifies[1], n0 + 1, "one notification per burst");
	cr_assert_eq(fake_tx_pull(&dev, frames, lens, 64), 32);
	for (i = 0; i < 32; i++) {
		uint8_t want[2048];

		fill_frame(want, sizes[i % 4], i);
		cr_expect_eq(lens[i], sizes[i % 4]);
		cr_expect_eq(memcmp(frames[i], want, lens[i]), 0, "frame %u", i);
	}
	/* Under NO_NOTIFY: no notification at all. */
	fq_used(&dev.q[1])->flags = VRING_USED_F_NO_NOTIFY;
	for (i = 0; i < 32; i++)
		pkts[i] = make_pkt(mp, 64, i);
	n0 = dev.notifies[1];
	cr_assert_eq(tern_port_tx_burst(0, 0, pkts, 32), 32);
	cr_expect_eq(dev.notifies[1], n0, "no notification under NO_NOTIFY");
	cr_assert_eq(fake_tx_pull(&dev, frames, lens, 64), 32);
	fq_used(&dev.q[1])->flags = 0;

	/* A packet with two owners: its headroom is not ours, the header gets its own descriptor.
	 */
	pkts[0] = make_pkt(mp, 300, 77);
	tern_pkt_refcnt_update(pkts[0], 1);
	cr_assert_eq(tern_port_tx_burst(0, 0, pkts, 1), 1);
	cr_assert_eq(fake_tx_pull(&dev, frames, lens, 64), 1);
	cr_expect_eq(lens[0], 300);
	cr_expect_eq(memcmp(frames[0], tern_pkt_mtod(pkts[0], void *), 300), 0);
	tern_pkt_free(pkts[0]);

	/* RX: 40 frames come out in the order the device used them, unchanged. */
	for (i = 0; i < 40; i++) {
		fill_frame(frames[i], sizes[i % 4], 100 + i);
		cr_assert_eq(fake_rx_put(&dev, frames[i], sizes[i % 4], 0, true), 1);
	}
	got = tern_port_rx_burst(0, 0, pkts, 32);
	got += tern_port_rx_burst(0, 0, pkts + got, 32);
	cr_assert_eq(got, 40);
	for (i = 0; i < 40; i++) {
		cr_expect_eq(pkts[i]->pkt_len, sizes[i % 4]);
		cr_expect_eq(pkts[i]->nb_segs, 1);
		cr_expect_eq(memcmp(tern_pkt_mtod(pkts[i], void *), frames[i], pkts[i]->pkt_len),
		             0);
	}
	/* Echo them back: the TX side reclaims the first 64 on the way. */
	cr_assert_eq(tern_port_tx_burst(0, 0, pkts, 40), 40);
	cr_assert_eq(fake_tx_pull(&dev, frames, lens, 64), 40);
	cr_expect_eq(fake_avail_count(&dev.q[0]), FAKE_QSIZE, "RX ring refilled");
	finish(mp);
}

Test(virtio_fake, modern_tx_rx)
{
	cr_assert_eq(setup_eal(features_modern, NULL), 0, "%s", tern_eal_last_error());
	tx_rx_roundtrip();
}

/*
 * Legacy: the rings go to the device as a 32-bit page frame number, so they
 * must sit below 2^44; this process's virtual addresses (the IOVAs of a
 * device model) are above that, and the driver says so instead of
 * truncating. The legacy data path runs in the guest tests (noiommu variant).
 */
Test(virtio_fake, legacy_ring_above_44_bits)
{
	struct tern_mempool *mp;

	cr_assert_eq(setup_eal(1ull << VIRTIO_NET_F_MAC | 1ull << VIRTIO_F_ANY_LAYOUT, "legacy=1"),
	             0, "%s", tern_eal_last_error());
	mp = tern_pktpool_create("vfake", 512, 0, 0, TERN_PKT_DEFAULT_BUF_SIZE, TERN_SOCKET_ID_ANY);
	cr_assert_eq(tern_port_configure(0, 1, 1, NULL), 0);
	cr_assert_eq(tern_port_rx_queue_setup(0, 0, 0, TERN_SOCKET_ID_ANY, mp), 0);
	cr_assert_eq(tern_port_tx_queue_setup(0, 0, 0, TERN_SOCKET_ID_ANY), 0);
	if ((uintptr_t)mp >> 44 == 0) {
		/* Low addresses after all: then the legacy path must just work. */
		cr_assert_eq(tern_port_start(0), 0);
		cr_expect_eq(dev.status, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
		                             VIRTIO_CONFIG_S_DRIVER_OK);
	} else {
		cr_expect_lt(tern_port_start(0), 0);
		cr_expect(dev.status == 0, "reset after the failed start");
	}
	cr_expect_eq(tern_mempool_avail_count(mp), tern_mempool_size(mp));
	tern_port_close(0);
	tern_mempool_free(mp);
	tern_eal_cleanup();
}

/* 5.1.6.4: a frame over three merged buffers, published in two steps. */
Test(virtio_fake, mrg_rxbuf_chain)
{
	struct tern_mempool *mp;
	struct tern_pkt *pkts[4];
	static uint8_t big[5000], out[5000];

	cr_assert_eq(setup_eal(features_modern, NULL), 0, "%s", tern_eal_last_error());
	mp = start_port(1024, 0);
	fill_frame(big, sizeof(big), 9);
	cr_assert_eq(fake_rx_put(&dev, big, sizeof(big), 0, false), 3);
	/* Only two of the three used entries visible: the driver waits. */
	fq_used(&dev.q[0])->idx = (uint16_t)(dev.q[0].used_idx - 1);
	cr_expect_eq(tern_port_rx_burst(0, 0, pkts, 4), 0);
	fake_publish(&dev, 0);
	cr_assert_eq(tern_port_rx_burst(0, 0, pkts, 4), 1);
	cr_expect_eq(pkts[0]->nb_segs, 3);
	cr_expect_eq(pkts[0]->pkt_len, sizeof(big));
	cr_assert_eq(tern_pkt_copy_data(pkts[0], 0, sizeof(big), out), 0);
	cr_expect_eq(memcmp(out, big, sizeof(big)), 0);
	/* And back out as one chained frame: one descriptor per segment. */
	cr_assert_eq(tern_port_tx_burst(0, 0, pkts, 1), 1);
	cr_assert_eq(fake_tx_pull(&dev, frames, lens, 4), 1);
	cr_expect_eq(lens[0], sizeof(big));
	cr_expect_eq(memcmp(frames[0], big, sizeof(big)), 0);
	finish(mp);
}

/* An empty pool loses nothing: nombuf counts, the next bursts refill. */
Test(virtio_fake, pool_runs_dry)
{
	struct tern_mempool *mp;
	struct tern_pkt *held[128], *pkts[32];
	struct tern_port_stats st;
	unsigned got = 0, delivered = 0, i;

	cr_assert_eq(setup_eal(features_modern, NULL), 0, "%s", tern_eal_last_error());
	mp = start_port(96, 256); /* fewer buffers than descriptors */
	cr_expect_eq(fake_avail_count(&dev.q[0]), 96);
	for (i = 0; i < 100; i++) {
		fill_frame(frames[i % 64], 64, i);
		delivered += fake_rx_put(&dev, frames[i % 64], 64, 0, true);
	}
	cr_expect_eq(delivered, 96);
	cr_expect_eq(dev.rx_dropped, 4, "the device had no buffer for 4");
	while (got < 96) {
		unsigned n = tern_port_rx_burst(0, 0, held + got, 32);

		cr_assert_gt(n, 0);
		got += n;
	}
	cr_expect_eq(tern_port_rx_burst(0, 0, pkts, 32), 0);
	tern_port_stats_get(0, &st);
	cr_expect_gt(st.rx_nombuf, 0);
	cr_expect_eq(st.ipackets, 96);
	cr_expect_eq(fake_avail_count(&dev.q[0]), 0, "nothing to give the device");
	/* The application gives its packets back: the next burst refills. */
	tern_pkt_free_bulk(held, 96);
	cr_expect_eq(tern_port_rx_burst(0, 0, pkts, 32), 0);
	cr_expect_eq(fake_avail_count(&dev.q[0]), 96);
	cr_assert_eq(fake_rx_put(&dev, frames[0], 64, 0, true), 1);
	cr_assert_eq(tern_port_rx_burst(0, 0, pkts, 32), 1);
	tern_pkt_free(pkts[0]);
	finish(mp);
}

/* Stop with packets in both rings, start again: all buffers back, traffic flows. */
Test(virtio_fake, stop_start)
{
	struct tern_mempool *mp;
	struct tern_pkt *pkts[32];

	cr_assert_eq(setup_eal(features_modern, NULL), 0, "%s", tern_eal_last_error());
	mp = start_port(1024, 0);
	for (unsigned i = 0; i < 16; i++)
		pkts[i] = make_pkt(mp, 128, i);
	cr_assert_eq(tern_port_tx_burst(0, 0, pkts, 16), 16); /* never consumed */
	cr_assert_eq(tern_port_stop(0), 0);
	cr_expect_eq(tern_mempool_avail_count(mp), tern_mempool_size(mp));
	cr_assert_eq(tern_port_start(0), 0);
	cr_expect_eq(fake_avail_count(&dev.q[0]), FAKE_QSIZE);
	fill_frame(frames[0], 100, 1);
	cr_assert_eq(fake_rx_put(&dev, frames[0], 100, 0, true), 1);
	cr_assert_eq(tern_port_rx_burst(0, 0, pkts, 32), 1);
	tern_pkt_free(pkts[0]);
	finish(mp);
}

static struct tern_test_log_watch watch;

/*
 * Pulled from the bus with packets in its rings: reported once, link down,
 * start refused, and stop gives every buffer back at once (a gone device
 * cannot DMA; waiting for its reset would keep them forever).
 */
Test(virtio_fake, device_gone)
{
	struct tern_mempool *mp;
	struct tern_pkt *pkts[16];
	struct tern_link link;
	uint64_t t0;

	tern_test_log_watch(&watch,
	                    "(port 0): device stopped answering (status reads 0xff): port down");
	cr_assert_eq(setup_eal(features_modern, NULL), 0, "%s", tern_eal_last_error());
	mp = start_port(1024, 0);
	for (unsigned i = 0; i < 16; i++)
		pkts[i] = make_pkt(mp, 128, i);
	cr_assert_eq(tern_port_tx_burst(0, 0, pkts, 16), 16); /* left in the TX ring */
	cr_assert_lt(tern_mempool_avail_count(mp), tern_mempool_size(mp));

	dev.gone = true;
	cr_assert_eq(tern_port_link_get(0, &link), 0);
	cr_expect(!link.up);
	cr_assert_eq(tern_port_link_get(0, &link), 0);
	cr_expect_eq(atomic_load(&watch.hits), 1, "said once, not per call");
	cr_expect_eq(tern_port_rx_burst(0, 0, pkts, 16), 0);
	t0 = tern_time_ns();
	cr_expect_eq(tern_port_stop(0), 0);
	cr_expect_lt(tern_time_ns() - t0, 500000000ull, "stop waited for a gone device");
	cr_expect_eq(tern_mempool_avail_count(mp), tern_mempool_size(mp), "every buffer back");
	cr_expect_eq(tern_port_start(0), -ENODEV);
	tern_port_close(0);
	tern_mempool_free(mp);
	tern_eal_cleanup();
	tern_log_set_callback(NULL, NULL);
}

/* 2.1.2: DEVICE_NEEDS_RESET takes the link down until the port is stopped and started. */
Test(virtio_fake, device_needs_reset)
{
	struct tern_mempool *mp;
	struct tern_link link;

	tern_test_log_watch(&watch,
	                    "(port 0): device needs a reset (DEVICE_NEEDS_RESET): port down");
	cr_assert_eq(setup_eal(features_modern, NULL), 0, "%s", tern_eal_last_error());
	mp = start_port(1024, 0);
	dev.status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	cr_assert_eq(tern_port_link_get(0, &link), 0);
	cr_expect(!link.up);
	tern_port_link_get(0, &link);
	cr_expect_eq(atomic_load(&watch.hits), 1, "said once");
	cr_assert_eq(tern_port_stop(0), 0);
	cr_assert_eq(tern_port_start(0), 0, "%s", tern_eal_last_error());
	cr_assert_eq(tern_port_link_get(0, &link), 0);
	cr_expect(link.up, "up again after the reset");
	tern_log_set_callback(NULL, NULL);
	finish(mp);
}

Test(virtio_fake, unknown_devarg)
{
	cr_expect_lt(setup_eal(features_modern, "bogus=1"), 0);
	cr_expect(strstr(tern_eal_last_error(), "driver virtio refused it") != NULL, "%s",
	          tern_eal_last_error());
}

Test(virtio_fake, features_ok_refused)
{
	/* A device that clears FEATURES_OK: start fails and the device is marked FAILED. */
	struct tern_mempool *mp;

	cr_assert_eq(setup_eal(features_modern, NULL), 0, "%s", tern_eal_last_error());
	mp = tern_pktpool_create("vfake", 512, 0, 0, TERN_PKT_DEFAULT_BUF_SIZE, TERN_SOCKET_ID_ANY);
	cr_assert_eq(tern_port_configure(0, 1, 1, NULL), 0);
	cr_assert_eq(tern_port_rx_queue_setup(0, 0, 0, TERN_SOCKET_ID_ANY, mp), 0);
	cr_assert_eq(tern_port_tx_queue_setup(0, 0, 0, TERN_SOCKET_ID_ANY), 0);
	dev.dev_features &= ~(1ull << VIRTIO_NET_F_STATUS); /* now we ask for one not offered */
	cr_expect_lt(tern_port_start(0), 0);
	cr_expect_eq(tern_mempool_avail_count(mp), tern_mempool_size(mp));
	tern_port_close(0);
	tern_mempool_free(mp);
	tern_eal_cleanup();
}

/* CTRL_VQ + MQ + CTRL_RX: the pair count is set at start, promiscuous mode on request. */
Test(virtio_fake, control_queue)
{
	struct tern_mempool *mp;
	struct tern_port_info info;

	cr_assert_eq(setup_eal(features_modern | 1ull << VIRTIO_NET_F_CTRL_VQ |
	                           1ull << VIRTIO_NET_F_MQ | 1ull << VIRTIO_NET_F_CTRL_RX,
	                       NULL),
	             0, "%s", tern_eal_last_error());
	tern_port_info_get(0, &info);
	cr_expect_eq(info.max_rx_queues, 2);
	cr_expect(info.capa & TERN_PORT_CAPA_PROMISC);
	mp =
	    tern_pktpool_create("vfake", 2048, 0, 0, TERN_PKT_DEFAULT_BUF_SIZE, TERN_SOCKET_ID_ANY);
	cr_assert_eq(tern_port_configure(0, 2, 2, NULL), 0);
	for (uint16_t q = 0; q < 2; q++) {
		cr_assert_eq(tern_port_rx_queue_setup(0, q, 0, TERN_SOCKET_ID_ANY, mp), 0);
		cr_assert_eq(tern_port_tx_queue_setup(0, q, 0, TERN_SOCKET_ID_ANY), 0);
	}
	cr_assert_eq(tern_port_promisc_set(0, true), 0); /* stopped: kept for start */
	cr_expect_eq(dev.ctrl_cmds, 0);
	cr_assert_eq(tern_port_start(0), 0, "%s", tern_eal_last_error());
	cr_expect(dev.q[0].enabled && dev.q[1].enabled && dev.q[2].enabled && dev.q[3].enabled &&
	          dev.q[4].enabled);
	cr_expect_eq(dev.ctrl_cmds, 2, "VQ_PAIRS_SET, then PROMISC");
	cr_expect_eq(dev.ctrl_last[0], VIRTIO_NET_CTRL_RX);
	cr_expect_eq(dev.ctrl_last[2], 1);
	cr_assert_eq(tern_port_promisc_set(0, false), 0);
	cr_expect_eq(dev.ctrl_cmds, 3);
	cr_expect_eq(dev.ctrl_last[2], 0);
	finish(mp);
}

Test(virtio_fake, mq_pairs_command)
{
	struct tern_mempool *mp;

	cr_assert_eq(
	    setup_eal(features_modern | 1ull << VIRTIO_NET_F_CTRL_VQ | 1ull << VIRTIO_NET_F_MQ,
	              NULL),
	    0, "%s", tern_eal_last_error());
	mp = start_port(1024, 0);
	cr_expect_eq(dev.ctrl_cmds, 1);
	cr_expect_eq(dev.ctrl_last[0], VIRTIO_NET_CTRL_MQ);
	cr_expect_eq(dev.ctrl_last[1], VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET);
	cr_expect_eq(dev.ctrl_last[2] | dev.ctrl_last[3] << 8, 1, "one pair configured");
	cr_expect(dev.q[4].enabled, "control queue after the last pair");
	finish(mp);
}

/* A chain with more segments than the ring has descriptors is dropped, counted in oerrors. */
Test(virtio_fake, tx_chain_longer_than_ring)
{
	struct tern_mempool *mp;
	struct tern_pkt *head, *pkts[2];
	struct tern_port_stats st;
	unsigned n0;

	cr_assert_eq(setup_eal(features_modern, NULL), 0, "%s", tern_eal_last_error());
	mp = start_port(1024, 64);
	head = make_pkt(mp, 60, 0);
	for (unsigned i = 0; i < 64; i++)
		cr_assert_eq(tern_pkt_chain(head, make_pkt(mp, 10, i)), 0);
	pkts[0] = head;
	pkts[1] = make_pkt(mp, 100, 1);
	n0 = dev.notifies[1];
	cr_assert_eq(tern_port_tx_burst(0, 0, pkts, 2), 2);
	cr_expect_eq(dev.notifies[1], n0 + 1);
	cr_assert_eq(fake_tx_pull(&dev, frames, lens, 4), 1);
	cr_expect_eq(lens[0], 100);
	tern_port_stats_get(0, &st);
	cr_expect_eq(st.oerrors, 1);
	cr_expect_eq(st.opackets, 1);
	finish(mp);
}

/*
 * Issue 12 item 3: the device may write the descriptor table (2.4.5), so
 * the driver never follows it. desc[0].next = 0 with NEXT used to hang
 * tx_burst in tx_reclaim; next = 700 on a 256 ring wrote past the table.
 */
static void used_entry(unsigned qi, uint32_t id, uint32_t len)
{
	struct fake_queue *q = &dev.q[qi];
	struct vring_used_elem *e = &fq_used(q)->ring[q->used_idx++ & (q->size - 1)];

	e->id = id;
	e->len = len;
	fake_publish(&dev, qi);
}

static void tx_desc_scribbled(uint16_t next)
{
	struct tern_mempool *mp;
	struct tern_pkt *pkts[4];
	struct tern_port_stats st;

	cr_assert_eq(setup_eal(features_modern, NULL), 0, "%s", tern_eal_last_error());
	mp = start_port(1024, 256);
	for (unsigned i = 0; i < 4; i++)
		pkts[i] = make_pkt(mp, 100, i);
	cr_assert_eq(tern_port_tx_burst(0, 0, pkts, 4), 4);
	/* The device rewrites descriptor 0 (head of the first chain), then returns it twice. */
	fq_desc(&dev.q[1])[0].flags = VRING_DESC_F_NEXT;
	fq_desc(&dev.q[1])[0].next = next;
	used_entry(1, 0, 0);
	used_entry(1, 0, 0);    /* a repeat: not lent any more */
	used_entry(1, 9999, 0); /* never a descriptor */
	for (unsigned i = 0; i < 4; i++)
		pkts[i] = make_pkt(mp, 100, i);
	cr_assert_eq(tern_port_tx_burst(0, 0, pkts, 4), 4, "tx_burst returns (no loop)");
	tern_port_stats_get(0, &st);
	cr_expect_eq(st.oerrors, 2, "the repeat and the unknown id are counted");
	cr_expect_eq(fake_tx_pull(&dev, frames, lens, 16), 8, "every chain intact");
	for (unsigned i = 0; i < 8; i++)
		cr_expect_eq(lens[i], 100);
	cr_expect_eq(lens[0], 100);
	finish(mp);
}

Test(virtio_fake, tx_desc_next_loops_to_itself, .timeout = 20)
{
	tx_desc_scribbled(0);
}

Test(virtio_fake, tx_desc_next_past_the_ring, .timeout = 20)
{
	tx_desc_scribbled(700);
}

/* RX: an id returned twice is dropped, not handed out twice. */
Test(virtio_fake, rx_used_id_twice)
{
	struct tern_mempool *mp;
	struct tern_pkt *pkts[8];
	struct tern_port_stats st;
	uint16_t id;

	cr_assert_eq(setup_eal(features_modern, NULL), 0, "%s", tern_eal_last_error());
	mp = start_port(1024, 256);
	id = fq_avail(&dev.q[0])->ring[0];
	dev.q[0].last_avail++;
	used_entry(0, id, 60 + VIRTIO_NET_HDR_LEN_MRG);
	used_entry(0, id, 60 + VIRTIO_NET_HDR_LEN_MRG);
	cr_assert_eq(tern_port_rx_burst(0, 0, pkts, 8), 1);
	tern_pkt_free(pkts[0]);
	tern_port_stats_get(0, &st);
	cr_expect_eq(st.ierrors, 1);
	finish(mp);
}

/*
 * 5.1.6.5: an answer that comes after its command timed out is taken as
 * that command's, never as the next one's; a command is refused while the
 * device still holds an earlier one; a reset takes it back.
 */
Test(virtio_fake, ctrl_late_answer_is_not_the_next_answer)
{
	struct tern_mempool *mp;

	tern_test_log_watch(&watch, "command 0.0 is still unanswered: stop and start the port");
	cr_assert_eq(
	    setup_eal(features_modern | 1ull << VIRTIO_NET_F_CTRL_VQ | 1ull << VIRTIO_NET_F_CTRL_RX,
	              "ctrl_timeout_ms=50"),
	    0, "%s", tern_eal_last_error());
	mp = start_port(1024, 0);
	dev.ctrl_hold = true;
	cr_expect_eq(tern_port_promisc_set(0, true), -ETIMEDOUT);
	fake_ctrl(&dev); /* the late answer */
	cr_expect_eq(dev.ctrl_cmds, 1);
	cr_expect_eq(tern_port_promisc_set(0, false), -ETIMEDOUT,
	             "the late answer was taken as this command's");
	cr_expect_eq(tern_port_promisc_set(0, true), -EBUSY);
	cr_expect_eq(atomic_load(&watch.hits), 1, "%s", watch.first);
	dev.ctrl_hold = false;
	cr_assert_eq(tern_port_stop(0), 0);
	cr_assert_eq(tern_port_start(0), 0, "%s", tern_eal_last_error());
	cr_expect_eq(tern_port_promisc_set(0, true), 0);
	cr_expect_eq(dev.ctrl_last[2], 1);
	tern_log_set_callback(NULL, NULL);
	finish(mp);
}

/* 4.1.4.3.1: a config_generation that never settles fails the probe with one line. */
Test(virtio_fake, config_generation_never_settles, .timeout = 20)
{
	struct tern_pci_addr a;
	uint64_t bars[TERN_PCI_MAX_BARS] = {32, 0, 0, 0, 0x4000, 0};
	struct tern_eal_config cfg;

	tern_test_log_watch(&watch, "config_generation changed on each of");
	fake_init(&dev, features_modern);
	dev.gen_spin = true;
	tern_pci_addr_parse(ADDR, &a);
	cr_assert_eq(tern_pci_emul_register(&a, VIRTIO_PCI_VENDOR_ID, VIRTIO_PCI_DEVICE_NET_TRANS,
	                                    &fake_ops, &dev, bars),
	             0);
	tern_eal_config_init(&cfg);
	cfg.no_huge = true;
	cfg.nb_pci = 1;
	strcpy(cfg.pci[0].name, ADDR);
	cr_expect_lt(tern_eal_init(&cfg), 0);
	cr_expect_eq(atomic_load(&watch.hits), 1);
	tern_log_set_callback(NULL, NULL);
	tern_eal_cleanup();
}

Test(virtio_fake, ctrl_timeout_devarg_checked)
{
	cr_expect_lt(setup_eal(features_modern, "ctrl_timeout_ms=0"), 0);
}

/*
 * virtio 1.1 6: RING_PACKED is taken when offered on the modern interface,
 * and the RX ring starts as 2.7 says: every slot available in the first
 * lap (AVAIL = 1, USED = 0, device-writable), each with its own buffer id,
 * and events (interrupts) disabled in the driver area (2.7.10). packed_vq=0
 * and the legacy interface keep split rings.
 */
Test(virtio_fake, packed_taken_when_offered)
{
	struct tern_mempool *mp;
	const struct vring_packed_desc *d;
	bool seen[FAKE_QSIZE] = {false};

	cr_assert_eq(setup_eal(features_modern | 1ull << VIRTIO_F_RING_PACKED, NULL), 0, "%s",
	             tern_eal_last_error());
	mp = start_port(512, 0);
	cr_assert(dev.drv_features >> VIRTIO_F_RING_PACKED & 1, "packed rings negotiated");
	d = (const struct vring_packed_desc *)(uintptr_t)dev.q[0].desc;
	for (unsigned i = 0; i < FAKE_QSIZE; i++) {
		cr_expect_eq(d[i].flags, VRING_PACKED_DESC_F_AVAIL | VRING_DESC_F_WRITE, "slot %u",
		             i);
		cr_assert_lt(d[i].id, FAKE_QSIZE);
		cr_expect(!seen[d[i].id], "buffer id %u lent twice", d[i].id);
		seen[d[i].id] = true;
	}
	cr_expect_eq(((const struct vring_packed_event *)(uintptr_t)dev.q[0].avail)->flags,
	             RING_EVENT_FLAGS_DISABLE, "driver area: events off");
	cr_expect_eq(dev.notifies[0], 1, "one kick for the filled RX ring");
	finish(mp);
}

Test(virtio_fake, packed_vq_0_keeps_split)
{
	struct tern_mempool *mp;

	cr_assert_eq(setup_eal(features_modern | 1ull << VIRTIO_F_RING_PACKED, "packed_vq=0"), 0,
	             "%s", tern_eal_last_error());
	mp = start_port(512, 0);
	cr_expect(!(dev.drv_features >> VIRTIO_F_RING_PACKED & 1), "split when packed_vq=0");
	cr_expect_eq(fake_avail_count(&dev.q[0]), FAKE_QSIZE, "split RX ring full");
	finish(mp);
}

Test(virtio_fake, packed_not_on_legacy)
{
	struct tern_test_log_watch w;

	/* Said at probe (the legacy ring cannot start here: its VA is above 44 bits). */
	tern_test_log_watch(&w, "legacy interface");
	tern_log_set_level("virtio", TERN_LOG_INFO);
	cr_assert_eq(setup_eal(features_modern | 1ull << VIRTIO_F_RING_PACKED, "legacy=1"), 0, "%s",
	             tern_eal_last_error());
	cr_expect_eq(atomic_load(&w.hits), 1);
	cr_expect(strstr(w.first, "split virtqueues") != NULL, "%s", w.first);
	tern_log_set_callback(NULL, NULL);
	tern_port_close(0);
	tern_eal_cleanup();
}

Test(virtio_fake, packed_vq_devarg_checked)
{
	cr_expect_lt(setup_eal(features_modern, "packed_vq=2"), 0);
	cr_expect(strstr(tern_eal_last_error(), "packed_vq= must be 0") != NULL, "%s",
	          tern_eal_last_error());
}

/*
 * The device's side of the packed control queue (virtio 1.1 2.7): take each
 * chain made available (AVAIL == wrap, USED != wrap), keep its first bytes,
 * write VIRTIO_NET_OK into its device-writable descriptor, mark it used at
 * the same slots (one used descriptor, the chain's length stepped over).
 */
static uint16_t pctrl_slot;
static bool pctrl_wrap = true;

static void packed_ctrl(struct fake *f)
{
	struct fake_queue *q = &f->q[f->dev_features >> VIRTIO_NET_F_MQ & 1 ? 2 * f->max_pairs : 2];
	struct vring_packed_desc *r = (struct vring_packed_desc *)(uintptr_t)q->desc;

	for (;;) {
		uint16_t head = pctrl_slot, slot = pctrl_slot, n = 0, id = 0;
		bool wrap = pctrl_wrap;
		unsigned got = 0;

		if (!!(r[slot].flags & VRING_PACKED_DESC_F_AVAIL) != wrap ||
		    !!(r[slot].flags & VRING_PACKED_DESC_F_USED) == wrap)
			return;
		memset(f->ctrl_last, 0, sizeof(f->ctrl_last));
		for (;;) {
			struct vring_packed_desc *d = &r[slot];
			uint8_t *b = (uint8_t *)(uintptr_t)d->addr;

			if (d->flags & VRING_DESC_F_WRITE)
				*b = VIRTIO_NET_OK;
			else
				for (uint32_t i = 0; i < d->len && got < sizeof(f->ctrl_last); i++)
					f->ctrl_last[got++] = b[i];
			id = d->id;
			n++;
			if (++slot == q->size) {
				slot = 0;
				wrap = !wrap;
			}
			if (!(d->flags & VRING_DESC_F_NEXT) || n == 4)
				break;
		}
		f->ctrl_cmds++;
		r[head].id = id;
		r[head].len = 1;
		atomic_thread_fence(memory_order_release);
		r[head].flags =
		    pctrl_wrap ? VRING_PACKED_DESC_F_AVAIL | VRING_PACKED_DESC_F_USED : 0;
		pctrl_slot = slot;
		pctrl_wrap = wrap;
	}
}

/* 5.1.6.5.5 over a packed control queue: two pairs set at start, promiscuous mode after. */
Test(virtio_fake, packed_control_queue_mq_two_pairs)
{
	struct tern_mempool *mp;

	cr_assert_eq(setup_eal(features_modern | 1ull << VIRTIO_F_RING_PACKED |
	                           1ull << VIRTIO_NET_F_CTRL_VQ | 1ull << VIRTIO_NET_F_CTRL_RX |
	                           1ull << VIRTIO_NET_F_MQ,
	                       NULL),
	             0, "%s", tern_eal_last_error());
	dev.ctrl_fn = packed_ctrl;
	mp =
	    tern_pktpool_create("vfake", 2048, 0, 0, TERN_PKT_DEFAULT_BUF_SIZE, TERN_SOCKET_ID_ANY);
	cr_assert_not_null(mp);
	cr_assert_eq(tern_port_configure(0, 2, 2, NULL), 0);
	for (uint16_t q = 0; q < 2; q++) {
		cr_assert_eq(tern_port_rx_queue_setup(0, q, 0, TERN_SOCKET_ID_ANY, mp), 0);
		cr_assert_eq(tern_port_tx_queue_setup(0, q, 0, TERN_SOCKET_ID_ANY), 0);
	}
	cr_assert_eq(tern_port_start(0), 0, "%s", tern_eal_last_error());
	cr_assert(dev.drv_features >> VIRTIO_F_RING_PACKED & 1);
	cr_expect_eq(dev.ctrl_cmds, 1);
	cr_expect_eq(dev.ctrl_last[0], VIRTIO_NET_CTRL_MQ);
	cr_expect_eq(dev.ctrl_last[1], VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET);
	cr_expect_eq(dev.ctrl_last[2] | dev.ctrl_last[3] << 8, 2, "two pairs configured");
	/* Past the end of the 256-slot control ring: 3 slots a command, both wrap counters flip. */
	for (unsigned i = 0; i < 100; i++)
		cr_assert_eq(tern_port_promisc_set(0, i & 1), 0, "command %u: %s", i,
		             tern_eal_last_error());
	cr_expect_eq(dev.ctrl_cmds, 101);
	cr_expect_eq(dev.ctrl_last[0], VIRTIO_NET_CTRL_RX);
	cr_expect_eq(dev.ctrl_last[2], 1, "the last command: promiscuous on");
	finish(mp);
}
