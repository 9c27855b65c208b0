/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * af_xdp_port.c - the af_xdp driver through the port API, on a veth pair
 * v0 <-> v1 in a network namespace of the test's own (each Criterion test
 * is a process that unshares one; the namespace and the veths go when it
 * exits). tern drives v0; the test sends and reads raw frames on v1. What
 * the wire tests cannot see: RX buffers are the pool's own, TX from another
 * pool is copied, the kernel's drops and an empty pool are counted, stop
 * takes back every buffer lent to the kernel, and the port's MAC, link and
 * promiscuous mode are the interface's.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tern_driver.h"
#include "tern_pkt.h"
#include "tern_port.h"
#include "tern_test.h"
#include "veth_test.h"

#define ETYPE   VETH_ETYPE
#define V0_MAC  VETH_V0_MAC
#define XDP_HDR 256 /* XDP_PACKET_HEADROOM: where the kernel writes a frame */

static struct tern_mempool *mp, *other;
static int peer_fd = -1;

/* tern on v0 with a pool of n buffers, one queue pair of nb_desc RX descriptors, started. */
static void start(unsigned n, uint16_t nb_desc)
{
	veth_netns();
	cr_assert_eq(veth_eal_init("af_xdp0", "iface=v0"), 0, "init: %s", tern_eal_last_error());
	mp =
	    tern_pktpool_create("axp_test", n, 0, 0, TERN_PKT_DEFAULT_BUF_SIZE, TERN_SOCKET_ID_ANY);
	cr_assert_not_null(mp);
	cr_assert_eq(tern_port_configure(0, 1, 1, NULL), 0);
	cr_assert_eq(tern_port_rx_queue_setup(0, 0, nb_desc, TERN_SOCKET_ID_ANY, mp), 0, "%s",
	             tern_eal_last_error());
	cr_assert_eq(tern_port_tx_queue_setup(0, 0, 0, TERN_SOCKET_ID_ANY), 0);
	cr_assert_eq(tern_port_start(0), 0, "start: %s", tern_eal_last_error());
	peer_fd = veth_peer_open();
}

static void fini(void)
{
	uint16_t p;

	TERN_PORT_FOREACH (p)
		tern_port_close(p);
	for (int i = 0; i < 2; i++) {
		struct tern_mempool *m = i == 0 ? mp : other;

		if (m == NULL)
			continue;
		cr_expect_eq(tern_mempool_avail_count(m), tern_mempool_size(m),
		             "every buffer of %s is back (%u of %u)", tern_mempool_name(m),
		             tern_mempool_avail_count(m), tern_mempool_size(m));
		tern_mempool_free(m);
	}
	tern_eal_cleanup();
	if (peer_fd >= 0)
		close(peer_fd);
}

TestSuite(af_xdp, .fini = fini, .timeout = 60);

Test(af_xdp, rx_hands_out_the_pool_buffer_the_kernel_wrote)
{
	struct tern_pkt *pkts[64];
	uint8_t want[200];

	start(8192, 0);
	for (uint32_t i = 0; i < 64; i++)
		veth_peer_send(peer_fd, i, 60 + i);
	cr_assert_eq(veth_rx_wait(pkts, 64), 64);
	for (uint32_t i = 0; i < 64; i++) {
		cr_assert_eq(pkts[i]->pool, mp, "a buffer of the queue's own pool");
		cr_assert_eq(pkts[i]->data_off, XDP_HDR, "the kernel's bytes, not a copy");
		cr_assert_eq(pkts[i]->pkt_len, 60 + i);
		veth_frame(want, 60 + i, i);
		cr_assert_eq(memcmp(tern_pkt_mtod(pkts[i], void *), want, 60 + i), 0);
	}
	tern_pkt_free_bulk(pkts, 64);
}

Test(af_xdp, tx_from_another_pool_is_copied_and_arrives)
{
	uint8_t got[300], want[300];
	struct tern_pkt *p;
	struct pollfd pfd;

	start(8192, 0);
	other = tern_pktpool_create("axp_other", 63, 0, 0, TERN_PKT_DEFAULT_BUF_SIZE,
	                            TERN_SOCKET_ID_ANY);
	cr_assert_not_null(other);
	p = tern_pkt_alloc(other);
	cr_assert_not_null(p);
	p->data_len = (uint16_t)veth_frame(tern_pkt_mtod(p, uint8_t *), 200, 7);
	p->pkt_len = p->data_len;
	cr_assert_eq(tern_port_tx_burst(0, 0, &p, 1), 1);
	/* Copied: the foreign buffer is free again at once, not lent to the kernel. */
	cr_expect_eq(tern_mempool_avail_count(other), tern_mempool_size(other));
	pfd = (struct pollfd){.fd = peer_fd, .events = POLLIN};
	cr_assert_eq(poll(&pfd, 1, 3000), 1, "the frame arrives on v1");
	cr_assert_eq(recv(peer_fd, got, sizeof(got), 0), 200);
	veth_frame(want, 200, 7);
	cr_expect_eq(memcmp(got, want, 200), 0);
}

Test(af_xdp, an_empty_pool_counts_nombuf_and_the_kernels_drops_missed)
{
	struct tern_pkt *held[1024];
	struct tern_port_stats st;
	unsigned got = 0;

	/* 256 buffers: the queue lends 128 (half the pool), the test holds what it receives. */
	start(256, 0);
	for (uint32_t i = 0; i < 600; i++) {
		veth_peer_send(peer_fd, i, 60);
		if (i % 16 == 15) {
			usleep(2000);
			got += tern_port_rx_burst(0, 0, held + got, 32);
		}
	}
	usleep(100000);
	got += tern_port_rx_burst(0, 0, held + got, 32);
	cr_assert_eq(tern_port_stats_get(0, &st), 0);
	cr_expect_eq(got, 256, "the whole pool went to the application");
	cr_expect_gt(st.rx_nombuf, 0, "refills found the pool empty");
	cr_expect_gt(st.imissed, 0, "the kernel's drops for an empty fill ring (XDP_STATISTICS)");
	cr_expect_eq(st.ipackets, got);
	cr_expect_eq(st.ipackets + st.imissed, 600,
	             "every frame received or counted missed: %lu + %lu",
	             (unsigned long)st.ipackets, (unsigned long)st.imissed);
	tern_pkt_free_bulk(held, got);
}

Test(af_xdp, stop_takes_back_every_buffer_lent_to_the_kernel)
{
	struct tern_pkt *pkts[8];

	start(8192, 0);
	for (uint32_t i = 0; i < 100; i++)
		veth_peer_send(peer_fd, i, 60); /* left on the RX ring */
	usleep(100000);
	cr_assert_lt(tern_mempool_avail_count(mp), tern_mempool_size(mp), "buffers are lent");
	cr_assert_eq(tern_port_stop(0), 0);
	cr_expect_eq(tern_mempool_avail_count(mp), tern_mempool_size(mp));
	veth_sh("! ip link show dev v0 | grep -q prog/xdp"); /* our program went with the stop */
	cr_assert_eq(tern_port_start(0), 0, "%s", tern_eal_last_error());
	for (uint32_t i = 0; i < 8; i++) {
		veth_peer_send(peer_fd, i, 60);
		usleep(10000);
	}
	unsigned n = veth_rx_wait(pkts, 8);
	cr_assert_eq(n, 8, "receiving again after the restart: %u of 8", n);
	tern_pkt_free_bulk(pkts, n);
}

Test(af_xdp, mac_link_and_promiscuous_mode_are_the_interfaces)
{
	struct tern_ether_addr mac, want;
	struct tern_link link;

	start(8192, 0);
	cr_assert_eq(tern_ether_addr_parse(V0_MAC, &want), 0);
	cr_assert_eq(tern_port_mac_get(0, &mac), 0);
	cr_expect(tern_ether_addr_eq(&mac, &want));
	cr_assert_eq(tern_port_link_get(0, &link), 0);
	cr_expect(link.up);
	cr_expect_eq(link.speed_mbps, 10000, "veth says 10000 Mb/s, got %u", link.speed_mbps);
	cr_assert_eq(tern_port_promisc_set(0, true), 0);
	veth_sh("ip link show dev v0 | grep -q PROMISC");
	cr_assert_eq(tern_port_promisc_set(0, false), 0);
	veth_sh("! ip link show dev v0 | grep -q PROMISC");
}

Test(af_xdp, frames_beyond_a_chunk_are_refused_at_configure_and_setup)
{
	struct tern_port_conf conf = {.mtu = 9000};

	veth_netns();
	cr_assert_eq(veth_eal_init("af_xdp0", "iface=v0"), 0, "init: %s", tern_eal_last_error());
	/* A frame is written 256 bytes into a chunk of at most a page. */
	cr_expect_eq(tern_port_configure(0, 1, 1, &conf), -EINVAL);
	/* 4096 - 256 - 14 - 4 (a page less headroom, Ethernet header and a VLAN tag) */
	cr_expect(strstr(tern_eal_last_error(), "3822") != NULL, "%s", tern_eal_last_error());
	conf.mtu = 1500;
	cr_assert_eq(tern_port_configure(0, 1, 1, &conf), 0, "%s", tern_eal_last_error());
	/* Buffers smaller than a UMEM chunk (2048 bytes) are refused with the pool's name. */
	mp = tern_pktpool_create("axp_small", 255, 0, 0, 1024 + 128, TERN_SOCKET_ID_ANY);
	cr_assert_not_null(mp);
	cr_expect_eq(tern_port_rx_queue_setup(0, 0, 0, TERN_SOCKET_ID_ANY, mp), -EINVAL);
	cr_expect(strstr(tern_eal_last_error(), "axp_small") != NULL, "%s", tern_eal_last_error());
}

/*
 * More TX than RX queues: pair 1 is TX-only, its socket over RX queue 0's
 * pool with a fill ring it does not use (kept until the socket is deleted:
 * libxdp unmaps it through the struct it filled in). It sends, stops,
 * starts again and sends again; every buffer comes back.
 */
Test(af_xdp, tx_only_pair_sends_across_a_restart)
{
	uint8_t got[300], want[300];
	struct pollfd pfd;

	veth_netns();
	veth_sh(
	    "ip link del v0 && ip link add v0 numtxqueues 2 numrxqueues 2 type veth peer name v1 "
	    "numtxqueues 2 numrxqueues 2 && ip link set v0 up && ip link set v1 up");
	cr_assert_eq(veth_eal_init("af_xdp0", "iface=v0,queue_count=2"), 0, "init: %s",
	             tern_eal_last_error());
	mp = tern_pktpool_create("axp_txonly", 8192, 0, 0, TERN_PKT_DEFAULT_BUF_SIZE,
	                         TERN_SOCKET_ID_ANY);
	cr_assert_not_null(mp);
	cr_assert_eq(tern_port_configure(0, 1, 2, NULL), 0, "%s", tern_eal_last_error());
	cr_assert_eq(tern_port_rx_queue_setup(0, 0, 0, TERN_SOCKET_ID_ANY, mp), 0);
	cr_assert_eq(tern_port_tx_queue_setup(0, 0, 0, TERN_SOCKET_ID_ANY), 0);
	cr_assert_eq(tern_port_tx_queue_setup(0, 1, 0, TERN_SOCKET_ID_ANY), 0);
	peer_fd = veth_peer_open();
	for (uint32_t round = 0; round < 2; round++) {
		struct tern_pkt *p;

		cr_assert_eq(tern_port_start(0), 0, "start: %s", tern_eal_last_error());
		p = tern_pkt_alloc(mp);
		cr_assert_not_null(p);
		p->data_len = (uint16_t)veth_frame(tern_pkt_mtod(p, uint8_t *), 200, round);
		p->pkt_len = p->data_len;
		cr_assert_eq(tern_port_tx_burst(0, 1, &p, 1), 1);
		pfd = (struct pollfd){.fd = peer_fd, .events = POLLIN};
		cr_assert_eq(poll(&pfd, 1, 3000), 1, "round %u: the frame arrives on v1", round);
		cr_assert_eq(recv(peer_fd, got, sizeof(got), 0), 200);
		veth_frame(want, 200, round);
		cr_assert_eq(memcmp(got, want, 200), 0);
		cr_assert_eq(tern_port_stop(0), 0);
		cr_expect_eq(tern_mempool_avail_count(mp), tern_mempool_size(mp),
		             "round %u: every buffer back at stop", round);
	}
}
