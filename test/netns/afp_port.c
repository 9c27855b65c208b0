/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * afp_port.c - the af_packet driver through the port API, on a veth pair
 * v0 <-> v1 in a network namespace of the test's own: each Criterion test
 * runs in its own process, unshares a new network namespace first, and the
 * namespace (with its veth pair) disappears when the process exits, pass or
 * fail. tern drives v0; the test sends and reads raw frames on v1.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
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
#include "tern_error.h"
#include "tern_pkt.h"
#include "tern_port.h"
#include "tern_test.h"
#include "veth_test.h"

#define ETYPE    VETH_ETYPE
#define PEER_MAC VETH_V0_MAC

static struct tern_mempool *mp;
static int peer_fd = -1;

/* tern on v0 (devargs args) with a pool of n buffers of buf_size bytes, one queue pair, started. */
static void start_args(const char *args, unsigned n, uint16_t buf_size)
{
	veth_netns();
	cr_assert_eq(veth_eal_init("af_packet0", args), 0, "init: %s", tern_eal_last_error());
	mp = tern_pktpool_create("afp_test", n, 0, 0, buf_size, TERN_SOCKET_ID_ANY);
	cr_assert_not_null(mp);
	cr_assert_eq(tern_port_configure(0, 1, 1, NULL), 0);
	cr_assert_eq(tern_port_rx_queue_setup(0, 0, 0, TERN_SOCKET_ID_ANY, mp), 0);
	cr_assert_eq(tern_port_tx_queue_setup(0, 0, 0, TERN_SOCKET_ID_ANY), 0);
	cr_assert_eq(tern_port_start(0), 0);
	peer_fd = veth_peer_open();
}

static void start(unsigned n, uint16_t buf_size)
{
	start_args("iface=v0", n, buf_size);
}

static void fini(void)
{
	char why[128];

	cr_expect_eq(tern_test_teardown(&mp, why, sizeof(why)), 0, "%s", why);
	if (peer_fd >= 0)
		close(peer_fd);
}

TestSuite(afp, .fini = fini, .timeout = 60);

Test(afp, mac_and_link_come_from_the_interface)
{
	struct tern_ether_addr mac, want;
	struct tern_link link;
	struct tern_port_info info;

	start(255, TERN_PKT_DEFAULT_BUF_SIZE);
	cr_assert_eq(tern_ether_addr_parse(PEER_MAC, &want), 0);
	cr_assert_eq(tern_port_mac_get(0, &mac), 0);
	cr_expect(tern_ether_addr_eq(&mac, &want), "MAC as 'ip link' shows it");
	cr_assert_eq(tern_port_link_get(0, &link), 0);
	cr_expect(link.up);
	cr_expect_eq(link.speed_mbps, 10000, "veth reports 10000 Mb/s, got %u", link.speed_mbps);
	veth_sh("ip link set v1 down"); /* veth: the carrier follows the peer */
	/* The operational state follows through the kernel's linkwatch: give it 3 s. */
	for (int i = 0; i < 300; i++) {
		cr_assert_eq(tern_port_link_get(0, &link), 0);
		if (!link.up)
			break;
		usleep(10000);
	}
	cr_expect(!link.up);
	cr_expect_eq(link.speed_mbps, 0);
	cr_assert_eq(tern_port_info_get(0, &info), 0);
	cr_expect_str_eq(info.driver, "af_packet");
	cr_expect(info.capa & TERN_PORT_CAPA_MULTI_SEG_TX);
	cr_expect(info.capa & TERN_PORT_CAPA_MULTI_SEG_RX);
	cr_expect(info.capa & TERN_PORT_CAPA_PROMISC);
}

Test(afp, rx_tx_and_stats)
{
	struct tern_pkt *pkts[100];
	struct tern_port_stats st;
	uint8_t want[200], got[300];
	uint64_t bytes = 0;

	start(1023, TERN_PKT_DEFAULT_BUF_SIZE);
	for (uint32_t i = 0; i < 100; i++) {
		veth_peer_send(peer_fd, i, 60 + i);
		bytes += 60 + i;
	}
	cr_assert_eq(veth_rx_wait(pkts, 100), 100);
	for (uint32_t i = 0; i < 100; i++) {
		cr_assert_eq(pkts[i]->pkt_len, 60 + i);
		cr_assert_eq(pkts[i]->nb_segs, 1);
		cr_assert_eq(pkts[i]->port, 0);
		veth_frame(want, 60 + i, i);
		cr_assert_eq(memcmp(tern_pkt_mtod(pkts[i], void *), want, 60 + i), 0,
		             "frame %u arrived as sent, in order", i);
	}
	cr_assert_eq(tern_port_stats_get(0, &st), 0);
	cr_expect_eq(st.ipackets, 100);
	cr_expect_eq(st.ibytes, bytes);
	cr_expect_eq(st.ierrors, 0);
	cr_expect_eq(st.imissed, 0);

	/* Send them back out of v0: v1 reads each, unchanged. */
	cr_assert_eq(tern_port_tx_burst(0, 0, pkts, 100), 100);
	for (uint32_t i = 0; i < 100; i++) {
		struct pollfd pfd = {.fd = peer_fd, .events = POLLIN};

		cr_assert_eq(poll(&pfd, 1, 2000), 1, "frame %u came out of v0", i);
		cr_assert_eq(recv(peer_fd, got, sizeof(got), 0), 60 + i);
		veth_frame(want, 60 + i, i);
		cr_assert_eq(memcmp(got, want, 60 + i), 0);
	}
	cr_assert_eq(tern_port_stats_get(0, &st), 0);
	cr_expect_eq(st.opackets, 100);
	cr_expect_eq(st.obytes, bytes);
	cr_expect_eq(st.oerrors, 0);
	cr_assert_eq(tern_port_stats_reset(0), 0);
	cr_assert_eq(tern_port_stats_get(0, &st), 0);
	cr_expect_eq(st.ipackets + st.opackets, 0);
}

Test(afp, chains_both_ways)
{
	struct tern_pkt *p, *a, *b;
	uint8_t want[1400], got[1500];

	/* 512-byte data room: a 1400-byte frame comes in as a chain of 3. */
	start(255, TERN_PKT_HEADROOM + 512);
	veth_peer_send(peer_fd, 7, 1400);
	cr_assert_eq(veth_rx_wait(&p, 1), 1);
	cr_expect_eq(p->nb_segs, 3);
	cr_expect_eq(p->pkt_len, 1400);
	cr_assert_eq(tern_pkt_copy_data(p, 0, 1400, got), 0);
	veth_frame(want, 1400, 7);
	cr_expect_eq(memcmp(got, want, 1400), 0);
	tern_pkt_free(p);

	/* A chain of two on TX is one frame on the wire. */
	a = tern_pkt_alloc(mp);
	b = tern_pkt_alloc(mp);
	cr_assert(a && b);
	veth_frame(want, 600, 9);
	memcpy(tern_pkt_append(a, 300), want, 300);
	memcpy(tern_pkt_append(b, 300), want + 300, 300);
	cr_assert_eq(tern_pkt_chain(a, b), 0);
	cr_assert_eq(tern_port_tx_burst(0, 0, &a, 1), 1);
	struct pollfd pfd = {.fd = peer_fd, .events = POLLIN};
	cr_assert_eq(poll(&pfd, 1, 2000), 1);
	cr_assert_eq(recv(peer_fd, got, sizeof(got), 0), 600);
	cr_expect_eq(memcmp(got, want, 600), 0);
}

Test(afp, empty_pool_counts_nombuf_and_drops_nothing)
{
	struct tern_pkt *pkts[40];
	struct tern_port_stats st;
	unsigned got = 0;
	uint32_t seq;

	start(16, TERN_PKT_DEFAULT_BUF_SIZE);
	for (uint32_t i = 0; i < 40; i++)
		veth_peer_send(peer_fd, i, 64);
	/* 16 buffers: the first 16 frames, then the pool is dry. */
	cr_assert_eq(veth_rx_wait(pkts, 16), 16);
	cr_expect_eq(tern_port_rx_burst(0, 0, pkts + 16, 8), 0);
	cr_assert_eq(tern_port_stats_get(0, &st), 0);
	cr_expect_gt(st.rx_nombuf, 0, "rx_nombuf counts the empty pool");
	/* Give them back: the other 24 were waiting in the ring, in order. */
	for (unsigned i = 0; i < 16; i++) {
		memcpy(&seq, tern_pkt_mtod_offset(pkts[i], uint8_t *, 14), 4);
		cr_expect_eq(seq, i);
	}
	tern_pkt_free_bulk(pkts, 16);
	while (got < 24) {
		unsigned n = veth_rx_wait(pkts, TERN_MIN(16u, 24 - got));

		cr_assert_gt(n, 0, "frames %u.. were kept in the ring", 16 + got);
		for (unsigned i = 0; i < n; i++) {
			memcpy(&seq, tern_pkt_mtod_offset(pkts[i], uint8_t *, 14), 4);
			cr_expect_eq(seq, 16 + got + i);
		}
		tern_pkt_free_bulk(pkts, n);
		got += n;
	}
	cr_assert_eq(tern_port_stats_get(0, &st), 0);
	cr_expect_eq(st.ipackets, 40);
	cr_expect_eq(st.imissed, 0);
}

/* The interface's promiscuity count, as 'ip -d link' shows it. */
static int promiscuity(void)
{
	FILE *f = popen("ip -d link show v0", "r");
	char line[512];
	int n = -1;

	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		char *s = strstr(line, "promiscuity ");

		if (s != NULL)
			n = atoi(s + strlen("promiscuity "));
	}
	pclose(f);
	return n;
}

Test(afp, promiscuous_mode_through_packet_membership)
{
	start(255, TERN_PKT_DEFAULT_BUF_SIZE);
	cr_expect_eq(promiscuity(), 0);
	cr_assert_eq(tern_port_promisc_set(0, true), 0);
	cr_expect_eq(tern_port_promisc_get(0), 1);
	cr_expect_eq(promiscuity(), 1);
	cr_assert_eq(tern_port_promisc_set(0, false), 0);
	cr_expect_eq(promiscuity(), 0);
}

Test(afp, stop_and_start)
{
	struct tern_pkt *pkts[8];

	start(255, TERN_PKT_DEFAULT_BUF_SIZE);
	cr_assert_eq(tern_port_stop(0), 0);
	veth_peer_send(peer_fd, 1, 64);
	usleep(50000);
	cr_expect_eq(tern_port_rx_burst(0, 0, pkts, 8), 0, "a stopped port gives nothing");
	cr_assert_eq(tern_port_start(0), 0);
	cr_assert_eq(veth_rx_wait(pkts, 1), 1, "the frame waited in the ring");
	tern_pkt_free(pkts[0]);
	veth_peer_send(peer_fd, 2, 64);
	cr_assert_eq(veth_rx_wait(pkts, 1), 1);
	tern_pkt_free(pkts[0]);
}

/*
 * The interface deleted under a running port (or moved to another
 * namespace): the link reads down, the port is removed, a restart is
 * refused, and every buffer still comes back at close (fini).
 */
Test(afp, a_deleted_interface_removes_the_port)
{
	struct tern_pkt *pkts[8];
	struct tern_link link = {.up = true};

	start(255, TERN_PKT_DEFAULT_BUF_SIZE);
	veth_peer_send(peer_fd, 1, 64);
	cr_assert_eq(veth_rx_wait(pkts, 1), 1);
	tern_pkt_free(pkts[0]);
	veth_sh("ip link del v0");
	cr_assert_eq(tern_port_link_get(0, &link), 0);
	cr_expect(!link.up);
	cr_expect_eq(tern_port_rx_burst(0, 0, pkts, 8), 0);
	cr_assert_eq(tern_port_stop(0), 0);
	cr_expect_eq(tern_port_start(0), -ENODEV, "a removed port does not start again");
}

Test(afp, bad_devargs_fail_probe)
{
	veth_netns();
	cr_expect_lt(veth_eal_init("af_packet0", "iface=nosuch0"), 0);
	cr_expect_neq(veth_eal_init("af_packet0", "iface=v0,bogus=1"), 0);
	cr_expect_neq(veth_eal_init("af_packet0", ""), 0);
	cr_expect_neq(veth_eal_init("af_packet0", "iface=v0,framesz=100"), 0);
	cr_expect_neq(veth_eal_init("af_packet0", "iface=v0,qpairs=0"), 0);
}

/* A refused queue setup leaves its reason as the thread's last error (one error channel). */
Test(afp, small_data_room_is_refused_with_a_last_error)
{
	veth_netns();
	cr_assert_eq(veth_eal_init("af_packet0", "iface=v0"), 0, "init: %s", tern_eal_last_error());
	mp = tern_pktpool_create("afp_test", 255, 0, 0, TERN_PKT_HEADROOM + 32, TERN_SOCKET_ID_ANY);
	cr_assert_not_null(mp);
	cr_assert_eq(tern_port_configure(0, 1, 1, NULL), 0);
	tern_error_clear();
	cr_expect_eq(tern_port_rx_queue_setup(0, 0, 0, TERN_SOCKET_ID_ANY, mp), -EINVAL);
	cr_expect(strstr(tern_last_error(), "32-byte data room: give at least 64") != NULL,
	          "last error: \"%s\"", tern_last_error());
}

Test(afp, qpairs_spread_flows_over_rx_queues)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET};
	struct tern_pkt *pkts[32];
	unsigned per_q[2] = {0, 0};
	uint8_t f[60] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 0x02, 0x99, 0, 0, 0, 1, 0x08, 0x00};
	int fd;

	veth_netns();
	cr_assert_eq(veth_eal_init("af_packet0", "iface=v0,qpairs=2"), 0, "init: %s",
	             tern_eal_last_error());
	mp = tern_pktpool_create("afp_test", 511, 0, 0, TERN_PKT_DEFAULT_BUF_SIZE,
	                         TERN_SOCKET_ID_ANY);
	cr_assert_not_null(mp);
	cr_assert_eq(tern_port_configure(0, 2, 2, NULL), 0);
	for (uint16_t q = 0; q < 2; q++) {
		cr_assert_eq(tern_port_rx_queue_setup(0, q, 0, TERN_SOCKET_ID_ANY, mp), 0);
		cr_assert_eq(tern_port_tx_queue_setup(0, q, 0, TERN_SOCKET_ID_ANY), 0);
	}
	cr_assert_eq(tern_port_start(0), 0);
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	sll.sll_ifindex = (int)if_nametoindex("v1");
	cr_assert_eq(bind(fd, (struct sockaddr *)&sll, sizeof(sll)), 0);
	/* 64 UDP flows 10.0.0.1:p -> 10.0.0.2:9 (checksums do not matter to the hash). */
	f[14] = 0x45;
	f[17] = 46;
	f[22] = 64;
	f[23] = 17;
	memcpy(f + 26, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
	f[37] = 9;
	f[39] = 26;
	for (unsigned i = 0; i < 64; i++) {
		f[34] = 0x80;
		f[35] = (uint8_t)i;
		cr_assert_eq(send(fd, f, sizeof(f), 0), (ssize_t)sizeof(f));
	}
	close(fd);
	for (int spins = 0; per_q[0] + per_q[1] < 64 && spins < 2000; spins++) {
		for (uint16_t q = 0; q < 2; q++) {
			uint16_t n = tern_port_rx_burst(0, q, pkts, 32);

			per_q[q] += n;
			tern_pkt_free_bulk(pkts, n);
		}
		usleep(1000);
	}
	cr_expect_eq(per_q[0] + per_q[1], 64, "every frame on one queue or the other");
	cr_expect(per_q[0] > 0 && per_q[1] > 0, "both queues got flows (%u, %u)", per_q[0],
	          per_q[1]);
}

/* What 'ip link' says of v0: its MAC address and MTU. */
static void ip_link_v0(char *mac, size_t len, unsigned *mtu)
{
	FILE *f = popen("ip -o link show v0", "r");
	char line[1024], *s;

	cr_assert_not_null(f);
	cr_assert_not_null(fgets(line, sizeof(line), f));
	pclose(f);
	s = strstr(line, "link/ether ");
	cr_assert_not_null(s);
	snprintf(mac, len, "%.17s", s + strlen("link/ether "));
	s = strstr(line, " mtu ");
	cr_assert_not_null(s);
	*mtu = (unsigned)atoi(s + 5);
}

Test(afp, mac_set_and_mtu_reach_the_interface)
{
	struct tern_ether_addr mac;
	struct tern_port_conf conf = {.mtu = 1400};
	char buf[TERN_ETHER_ADDR_FMT_SIZE], shown[32];
	unsigned mtu;

	veth_netns();
	cr_assert_eq(veth_eal_init("af_packet0", "iface=v0"), 0, "init: %s", tern_eal_last_error());
	cr_assert_eq(tern_ether_addr_parse("02:74:aa:bb:cc:dd", &mac), 0);
	cr_assert_eq(tern_port_mac_set(0, &mac), 0);
	cr_assert_eq(tern_port_configure(0, 1, 1, &conf), 0);
	ip_link_v0(shown, sizeof(shown), &mtu);
	tern_ether_addr_format(buf, &mac);
	cr_expect_str_eq(shown, buf);
	cr_expect_eq(mtu, 1400);
	conf.mtu = 9000; /* does not fit a 2048-byte ring frame */
	cr_expect_eq(tern_port_configure(0, 1, 1, &conf), -EINVAL);
}

Test(afp, tx_refuses_frames_longer_than_a_ring_frame)
{
	struct tern_pkt *a, *b;
	struct tern_port_stats st;

	start(255, TERN_PKT_DEFAULT_BUF_SIZE);
	a = tern_pkt_alloc(mp);
	b = tern_pkt_alloc(mp);
	cr_assert(a && b);
	cr_assert_not_null(tern_pkt_append(a, 1500));
	cr_assert_not_null(tern_pkt_append(b, 1500));
	cr_assert_eq(tern_pkt_chain(a, b), 0);
	/* 3000 bytes do not fit a 2048-byte frame: taken, freed, counted. */
	cr_assert_eq(tern_port_tx_burst(0, 0, &a, 1), 1);
	cr_assert_eq(tern_port_stats_get(0, &st), 0);
	cr_expect_eq(st.oerrors, 1);
	cr_expect_eq(st.opackets, 0);
}

Test(afp, kernel_drops_show_as_imissed)
{
	struct tern_pkt *pkts[32];
	struct tern_port_stats st;
	unsigned got = 0, n;

	/* A 16-frame RX ring, 100 frames sent before the first poll. */
	start_args("iface=v0,framecnt=16", 255, TERN_PKT_DEFAULT_BUF_SIZE);
	for (uint32_t i = 0; i < 100; i++)
		veth_peer_send(peer_fd, i, 64);
	usleep(100000);
	while ((n = tern_port_rx_burst(0, 0, pkts, 32)) > 0) {
		for (unsigned k = 0; k < n; k++) {
			uint32_t seq;

			memcpy(&seq, tern_pkt_mtod_offset(pkts[k], uint8_t *, 14), 4);
			cr_expect_eq(seq, got + k, "each frame once, in order");
		}
		got += n;
		tern_pkt_free_bulk(pkts, n);
	}
	cr_assert_eq(tern_port_stats_get(0, &st), 0);
	cr_expect_eq(got, 16, "the ring held 16 frames, got %u", got);
	cr_expect_eq(st.ipackets, got);
	cr_expect_eq(st.imissed, 100 - got,
	             "the kernel dropped the rest: imissed %" PRIu64 " got %u", st.imissed, got);
	cr_assert_eq(tern_port_stats_get(0, &st), 0);
	cr_expect_eq(st.imissed, 100 - got, "imissed is kept across reads of PACKET_STATISTICS");
}
