/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * veth_test.h - what the port tests of drivers over a Linux interface
 * (afp_port.c, af_xdp_port.c) share: a network namespace of the test's own
 * with a veth pair v0 <-> v1 (each Criterion test is a process that
 * unshares one; the namespace and its veths go when it exits, pass or
 * fail), the EAL up with one vdev, and the test's raw socket on v1 that
 * sends numbered frames of type VETH_ETYPE to v0.
 */
#ifndef TERN_TEST_VETH_H
#define TERN_TEST_VETH_H

#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tern_eal.h"
#include "tern_error.h"
#include "tern_port.h"

#define VETH_ETYPE  0x88b5 /* IEEE 802 local experimental */
#define VETH_V0_MAC "02:11:22:33:44:55"

static inline void veth_sh(const char *cmd)
{
	cr_assert_eq(system(cmd), 0, "%s", cmd);
}

/* A new network namespace for this process, with v0 <-> v1 up. */
static inline void veth_netns(void)
{
	if (geteuid() != 0)
		cr_skip_test("network namespaces and veth pairs need root");
	cr_assert_eq(unshare(CLONE_NEWNET), 0, "unshare(CLONE_NEWNET): %s (root needed)",
	             strerror(errno));
	veth_sh("ip link add v0 type veth peer name v1 && ip link set v0 address " VETH_V0_MAC
	        " && sysctl -qw net.ipv6.conf.v0.disable_ipv6=1 net.ipv6.conf.v1.disable_ipv6=1"
	        " && ip link set v0 up && ip link set v1 up");
}

/* tern_eal_init() with --no-huge and one vdev `name,args`: its result. */
static inline int veth_eal_init(const char *name, const char *args)
{
	struct tern_eal_config cfg;
	struct tern_eal_devarg *d;

	tern_eal_config_init(&cfg);
	cfg.no_huge = true;
	d = &cfg.vdev[cfg.nb_vdev++];
	snprintf(d->name, sizeof(d->name), "%s", name);
	snprintf(d->args, sizeof(d->args), "%s", args);
	return tern_eal_init(&cfg);
}

/* The test's raw socket on v1, for frames of type VETH_ETYPE. */
static inline int veth_peer_open(void)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(VETH_ETYPE)};
	int fd = socket(AF_PACKET, SOCK_RAW, htons(VETH_ETYPE));

	cr_assert_geq(fd, 0);
	sll.sll_ifindex = (int)if_nametoindex("v1");
	cr_assert_eq(bind(fd, (struct sockaddr *)&sll, sizeof(sll)), 0);
	return fd;
}

/* A frame of len bytes to v0's MAC from v1, its payload numbered seq. */
static inline size_t veth_frame(uint8_t *buf, size_t len, uint32_t seq)
{
	static const uint8_t dst[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
	static const uint8_t src[6] = {0x02, 0x99, 0, 0, 0, 1};

	memcpy(buf, dst, 6);
	memcpy(buf + 6, src, 6);
	buf[12] = VETH_ETYPE >> 8;
	buf[13] = VETH_ETYPE & 0xff;
	for (size_t i = 14; i < len; i++)
		buf[i] = (uint8_t)(i * 7 + seq);
	memcpy(buf + 14, &seq, sizeof(seq));
	return len;
}

static inline void veth_peer_send(int fd, uint32_t seq, size_t len)
{
	uint8_t buf[9000];

	cr_assert_leq(len, sizeof(buf));
	cr_assert_eq(send(fd, buf, veth_frame(buf, len, seq), 0), (ssize_t)len);
}

/* Poll port 0's RX queue 0 until n packets arrived or 3 s passed; how many. */
static inline unsigned veth_rx_wait(struct tern_pkt **pkts, unsigned n)
{
	unsigned got = 0;

	for (int spins = 0; got < n && spins < 3000; spins++) {
		got += tern_port_rx_burst(0, 0, pkts + got, (uint16_t)TERN_MIN(32u, n - got));
		if (got < n)
			usleep(1000);
	}
	return got;
}

#endif /* TERN_TEST_VETH_H */
