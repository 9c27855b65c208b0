/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * classify_test.c - echo_classify() on crafted frames: every kind it
 * answers, every kind it ignores, and every malformed case with its reason.
 * Each frame is classified from a heap buffer of exactly its length, so an
 * AddressSanitizer build catches any read past the end.
 */
#include <stdlib.h>

#include <criterion/criterion.h>

#include "frames.h"

static uint8_t f[2048];
static struct echo_host host;

static void setup(void)
{
	host = test_host();
	memset(f, 0, sizeof(f));
}

TestSuite(classify, .init = setup);

static struct echo_class classify_exact(const uint8_t *frame, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	struct echo_class c;

	cr_assert_not_null(copy);
	memcpy(copy, frame, len);
	c = echo_classify(copy, (uint32_t)len, &host);
	free(copy);
	return c;
}

static void expect(size_t len, enum echo_verdict v, enum echo_reason r)
{
	struct echo_class c = classify_exact(f, len);

	cr_expect_eq(c.verdict, v, "verdict %d, expected %d (reason %s)", c.verdict, v,
	             echo_reason_name(c.reason));
	cr_expect_eq(c.reason, r, "reason '%s', expected '%s'", echo_reason_name(c.reason),
	             echo_reason_name(r));
}

static void drop(size_t len, enum echo_reason r)
{
	expect(len, ECHO_V_DROP, r);
}

static const uint8_t payload[1500] = {1, 2, 3, 4, 5, 6, 7, 8, 9};

/* ---- well-formed frames -------------------------------------------------- */

Test(classify, arp_request_for_us_is_answered)
{
	size_t n = build_arp(f, 1, us_ip);
	struct echo_class c;

	expect(n, ECHO_V_ARP_REPLY, ECHO_R_NONE);
	/* Linux sends 42-byte ARP frames on veth; padded to 60 on a wire: both fine. */
	expect(60, ECHO_V_ARP_REPLY, ECHO_R_NONE);
	c = classify_exact(f, n);
	cr_expect_eq(c.kind, ECHO_KIND_ARP);
	cr_expect_eq(c.l3_off, 14);
}

Test(classify, arp_request_to_our_mac_is_answered)
{
	size_t n = build_arp(f, 1, us_ip);

	memcpy(f, us_mac, 6);
	expect(n, ECHO_V_ARP_REPLY, ECHO_R_NONE);
}

Test(classify, arp_reply_for_us_goes_to_the_stack)
{
	size_t n = build_arp(f, 2, us_ip);

	memcpy(f, us_mac, 6);
	expect(n, ECHO_V_STACK, ECHO_R_NONE);
}

Test(classify, arp_for_another_address_is_ignored)
{
	static const uint8_t other[4] = {10, 1, 2, 3};

	expect(build_arp(f, 1, other), ECHO_V_IGNORE, ECHO_R_NOT_FOR_US);
}

Test(classify, arp_to_another_mac_is_ignored)
{
	size_t n = build_arp(f, 1, us_ip);

	memcpy(f, peer_mac, 6);
	expect(n, ECHO_V_IGNORE, ECHO_R_NOT_FOR_US);
}

Test(classify, icmp_echo_request_is_answered)
{
	size_t n = build_icmp_echo(f, payload, 56);
	struct echo_class c = classify_exact(f, n);

	cr_expect_eq(c.verdict, ECHO_V_ICMP_ECHO);
	cr_expect_eq(c.kind, ECHO_KIND_ICMP);
	cr_expect_eq(c.l3_off, 14);
	cr_expect_eq(c.l4_off, 34);
	cr_expect_eq(c.l4_len, 64);
}

Test(classify, small_icmp_with_ethernet_padding_is_answered)
{
	size_t n = build_icmp_echo(f, payload, 1);

	cr_assert_lt(n, 60);
	/* Padding after the IPv4 total length is not part of the packet. */
	f[n] = 0xaa;
	expect(60, ECHO_V_ICMP_ECHO, ECHO_R_NONE);
}

Test(classify, icmp_odd_and_full_sizes)
{
	uint16_t sizes[] = {0, 1, 7, 255, 1471, 1472};

	for (size_t i = 0; i < TERN_DIM(sizes); i++)
		expect(build_icmp_echo(f, payload, sizes[i]), ECHO_V_ICMP_ECHO, ECHO_R_NONE);
}

Test(classify, icmp_other_than_echo_request_is_ignored)
{
	size_t n = build_icmp_echo(f, payload, 8);

	f[34] = 0; /* an echo reply */
	fix_l4(f);
	expect(n, ECHO_V_IGNORE, ECHO_R_ICMP_NOT_ECHO);
	f[34] = 8;
	f[35] = 1; /* echo with a nonzero code */
	fix_l4(f);
	expect(n, ECHO_V_IGNORE, ECHO_R_ICMP_NOT_ECHO);
}

Test(classify, udp_to_port_7_is_echoed)
{
	expect(build_udp(f, 5555, 7, payload, 100), ECHO_V_UDP_ECHO, ECHO_R_NONE);
	expect(build_udp(f, 5555, 7, payload, 1472), ECHO_V_UDP_ECHO, ECHO_R_NONE);
	expect(build_udp(f, 5555, 7, payload, 0), ECHO_V_UDP_ECHO, ECHO_R_NONE);
}

Test(classify, udp_without_checksum_is_echoed)
{
	size_t n = build_udp(f, 5555, 7, payload, 10);

	put16(f + 34 + 6, 0); /* RFC 768: no checksum */
	expect(n, ECHO_V_UDP_ECHO, ECHO_R_NONE);
}

Test(classify, udp_to_another_port_is_ignored)
{
	expect(build_udp(f, 5555, 9, payload, 10), ECHO_V_IGNORE, ECHO_R_UDP_NOT_ECHO);
}

Test(classify, tcp_goes_to_the_stack)
{
	size_t n = build_tcp(f, 7, payload, 0);
	struct echo_class c = classify_exact(f, n);

	cr_expect_eq(c.verdict, ECHO_V_STACK);
	cr_expect_eq(c.kind, ECHO_KIND_TCP);
	/* Any port: lwIP answers a closed one with RST (RFC 793). */
	expect(build_tcp(f, 80, payload, 33), ECHO_V_STACK, ECHO_R_NONE);
}

Test(classify, other_ethertypes_are_ignored)
{
	size_t n = build_icmp_echo(f, payload, 8);

	put16(f + 12, 0x86dd); /* IPv6 */
	expect(n, ECHO_V_IGNORE, ECHO_R_ETHERTYPE);
	put16(f + 12, 0x8100); /* an 802.1Q tag */
	expect(n, ECHO_V_IGNORE, ECHO_R_ETHERTYPE);
}

Test(classify, other_ip_protocols_are_ignored)
{
	size_t n = build_ipv4(f, 47, payload, 24); /* GRE */

	expect(n, ECHO_V_IGNORE, ECHO_R_IP_PROTO);
}

Test(classify, ipv4_not_for_us_is_ignored)
{
	size_t n = build_icmp_echo(f, payload, 8);

	f[14 + 19] = 9; /* another destination address */
	fix_ip(f);
	expect(n, ECHO_V_IGNORE, ECHO_R_NOT_FOR_US);
	n = build_icmp_echo(f, payload, 8);
	memset(f, 0xff, 6); /* broadcast MAC */
	expect(n, ECHO_V_IGNORE, ECHO_R_NOT_FOR_US);
}

/* ---- malformed frames ---------------------------------------------------- */

Test(classify, runts)
{
	drop(0, ECHO_R_RUNT_ETH);
	drop(13, ECHO_R_RUNT_ETH);
	build_arp(f, 1, us_ip);
	drop(41, ECHO_R_RUNT_ARP);
	drop(14, ECHO_R_RUNT_ARP);
	build_icmp_echo(f, payload, 8);
	drop(33, ECHO_R_RUNT_IPV4);
	drop(14, ECHO_R_RUNT_IPV4);
}

Test(classify, giants)
{
	size_t n = build_udp(f, 5555, 7, payload, 1472);

	cr_assert_eq(n, 1514);
	expect(n, ECHO_V_UDP_ECHO, ECHO_R_NONE);
	drop(1515, ECHO_R_GIANT);
	drop(2000, ECHO_R_GIANT);
	put16(f + 12, 0x8100); /* a tagged frame may be 4 bytes longer */
	expect(1518, ECHO_V_IGNORE, ECHO_R_ETHERTYPE);
	drop(1519, ECHO_R_GIANT);
}

Test(classify, multicast_source_mac)
{
	size_t n = build_icmp_echo(f, payload, 8);

	f[6] |= 1;
	drop(n, ECHO_R_ETH_SRC_MULTICAST);
}

Test(classify, arp_bad_format_op_sender)
{
	size_t n = build_arp(f, 1, us_ip);

	f[14 + 4] = 8; /* hardware address length */
	drop(n, ECHO_R_ARP_BAD_FORMAT);
	n = build_arp(f, 1, us_ip);
	put16(f + 14, 6); /* IEEE 802 hardware type */
	drop(n, ECHO_R_ARP_BAD_FORMAT);
	n = build_arp(f, 1, us_ip);
	put16(f + 14 + 2, 0x86dd);
	drop(n, ECHO_R_ARP_BAD_FORMAT);
	n = build_arp(f, 3, us_ip); /* RARP request */
	drop(n, ECHO_R_ARP_BAD_OP);
	n = build_arp(f, 1, us_ip);
	memset(f + 14 + 14, 0xff, 4); /* sender 255.255.255.255 */
	drop(n, ECHO_R_ARP_BAD_SENDER);
	n = build_arp(f, 1, us_ip);
	f[14 + 8] |= 1; /* multicast sender MAC */
	drop(n, ECHO_R_ARP_BAD_SENDER);
}

Test(classify, ip_version_and_ihl)
{
	size_t n = build_icmp_echo(f, payload, 8);

	f[14] = 0x65;
	fix_ip(f);
	drop(n, ECHO_R_IP_BAD_VERSION);
	f[14] = 0x44;
	drop(n, ECHO_R_IP_BAD_IHL);
	f[14] = 0x40;
	drop(n, ECHO_R_IP_BAD_IHL);
}

Test(classify, ip_options)
{
	uint8_t l4[64] = {8, 0};
	size_t n;

	/* A header of 24 bytes: a NOP option and end-of-list. */
	n = build_ipv4(f, 1, l4, 12);
	memmove(f + 38, f + 34, 12);
	memset(f + 34, 0, 4);
	f[34] = 1;
	f[14] = 0x46;
	put16(f + 16, 36);
	fix_ip(f);
	drop(n + 4, ECHO_R_IP_OPTIONS);
	/* IHL 15: 60 bytes of header, longer than the frame. */
	f[14] = 0x4f;
	drop(n + 4, ECHO_R_IP_OPTIONS);
}

Test(classify, ip_total_length)
{
	size_t n = build_icmp_echo(f, payload, 8);

	put16(f + 16, 19); /* shorter than the header */
	fix_ip(f);
	drop(n, ECHO_R_IP_LEN_SHORT);
	put16(f + 16, 0);
	fix_ip(f);
	drop(n, ECHO_R_IP_LEN_SHORT);
	put16(f + 16, (uint16_t)(n - 14 + 1)); /* one byte longer than the frame */
	fix_ip(f);
	drop(n, ECHO_R_IP_TRUNCATED);
	put16(f + 16, 65535);
	fix_ip(f);
	drop(n, ECHO_R_IP_TRUNCATED);
	/* The same packet, the frame cut short. */
	n = build_icmp_echo(f, payload, 100);
	drop(n - 1, ECHO_R_IP_TRUNCATED);
	drop(40, ECHO_R_IP_TRUNCATED);
}

Test(classify, ip_header_checksum)
{
	size_t n = build_icmp_echo(f, payload, 8);

	f[14 + 10] ^= 0x01;
	drop(n, ECHO_R_IP_BAD_CSUM);
	n = build_icmp_echo(f, payload, 8);
	f[14 + 8] = 3; /* TTL changed, checksum not */
	drop(n, ECHO_R_IP_BAD_CSUM);
}

Test(classify, fragments)
{
	size_t n = build_icmp_echo(f, payload, 8);

	put16(f + 14 + 6, 0x2000); /* MF */
	fix_ip(f);
	drop(n, ECHO_R_IP_FRAGMENT);
	put16(f + 14 + 6, 0x0001); /* offset 8 */
	fix_ip(f);
	drop(n, ECHO_R_IP_FRAGMENT);
	put16(f + 14 + 6, 0x4000 | 0x00b9); /* DF and an offset */
	fix_ip(f);
	drop(n, ECHO_R_IP_FRAGMENT);
}

Test(classify, bad_sources)
{
	static const uint8_t srcs[][4] = {
	    {0, 0, 0, 0},
	    {255, 255, 255, 255},
	    {224, 0, 0, 1},
	    {239, 1, 2, 3},
	    {127, 0, 0, 1},
	    {10, 1, 2, 2} /* ours */,
	    {10, 1, 2, 255} /* subnet broadcast */,
	};

	for (size_t i = 0; i < TERN_DIM(srcs); i++) {
		size_t n = build_icmp_echo(f, payload, 8);

		memcpy(f + 14 + 12, srcs[i], 4);
		fix_ip(f);
		fix_l4(f);
		drop(n, ECHO_R_IP_BAD_SRC);
	}
}

Test(classify, icmp_truncated_and_bad_checksum)
{
	uint8_t l4[8] = {8, 0, 0xf7, 0xff};
	size_t n = build_ipv4(f, 1, l4, 4);

	drop(n, ECHO_R_ICMP_TRUNCATED);
	n = build_ipv4(f, 1, l4, 0);
	drop(n, ECHO_R_ICMP_TRUNCATED);
	n = build_icmp_echo(f, payload, 64);
	f[34 + 8 + 10] ^= 0x40; /* a data bit */
	drop(n, ECHO_R_ICMP_BAD_CSUM);
}

Test(classify, udp_malformed)
{
	uint8_t l4[8] = {0x15, 0xb3, 0, 7, 0, 8, 0, 0};
	size_t n = build_ipv4(f, 17, l4, 7);

	drop(n, ECHO_R_UDP_TRUNCATED);
	n = build_udp(f, 5555, 7, payload, 10);
	put16(f + 34 + 4, 19); /* longer than the IP payload */
	fix_l4(f);
	drop(n, ECHO_R_UDP_BAD_LEN);
	put16(f + 34 + 4, 12); /* shorter */
	drop(n, ECHO_R_UDP_BAD_LEN);
	put16(f + 34 + 4, 7); /* shorter than its header */
	drop(n, ECHO_R_UDP_BAD_LEN);
	n = build_udp(f, 5555, 7, payload, 10);
	f[n - 1] ^= 0x10;
	drop(n, ECHO_R_UDP_BAD_CSUM);
	drop(build_udp(f, 0, 7, payload, 10), ECHO_R_UDP_BAD_SPORT);
	drop(build_udp(f, 7, 7, payload, 10), ECHO_R_UDP_BAD_SPORT);
}

/* RFC 862/864 loops: no echo to a small service's port, whatever the payload. */
Test(classify, udp_from_small_service_ports_is_never_echoed)
{
	static const uint16_t bad[] = {0, 7, 9, 13, 17, 19, 37};
	static const uint16_t fine[] = {1, 6, 8, 10, 18, 20, 36, 38, 53, 1024, 40000, 65535};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		drop(build_udp(f, bad[i], 7, payload, 10), ECHO_R_UDP_BAD_SPORT);
	for (size_t i = 0; i < sizeof(fine) / sizeof(fine[0]); i++)
		expect(build_udp(f, fine[i], 7, payload, 10), ECHO_V_UDP_ECHO, ECHO_R_NONE);
}

/* ---- RFC 5227: probes, announcements, conflicts -------------------------- */

Test(classify, arp_probe_for_us_is_answered)
{
	size_t n = build_arp(f, 1, us_ip);
	struct echo_class c;

	memset(f + 14 + 14, 0, 4); /* sender IP 0.0.0.0: a probe (RFC 5227 2.1.1) */
	expect(n, ECHO_V_ARP_REPLY, ECHO_R_NONE);
	c = classify_exact(f, n);
	echo_reply_arp(f, &c, &host);
	cr_expect_eq(memcmp(f, peer_mac, 6), 0, "unicast to the prober");
	cr_expect_eq(memcmp(f + 14 + 8, us_mac, 6), 0, "our MAC as the sender");
	cr_expect_eq(memcmp(f + 14 + 14, us_ip, 4), 0, "our address as the sender");
	cr_expect_eq(memcmp(f + 14 + 24, "\0\0\0\0", 4), 0, "target IP 0.0.0.0, as in the probe");
}

Test(classify, arp_probe_for_another_address_is_ignored)
{
	static const uint8_t other[4] = {10, 1, 2, 3};
	size_t n = build_arp(f, 1, other);

	memset(f + 14 + 14, 0, 4);
	expect(n, ECHO_V_IGNORE, ECHO_R_NOT_FOR_US);
}

Test(classify, another_mac_claiming_our_address_is_a_conflict)
{
	static const uint8_t other[4] = {10, 1, 2, 3};
	struct echo_class c;
	size_t n;

	/* A gratuitous request (announcement), a gratuitous reply, a request for another. */
	for (uint16_t op = 1; op <= 2; op++) {
		n = build_arp(f, op, us_ip);
		memcpy(f + 14 + 14, us_ip, 4);
		expect(n, ECHO_V_IGNORE, ECHO_R_ARP_CONFLICT);
	}
	n = build_arp(f, 1, other);
	memcpy(f + 14 + 14, us_ip, 4);
	expect(n, ECHO_V_IGNORE, ECHO_R_ARP_CONFLICT);
	/* Defending: our announcement, broadcast, sender and target IP ours (RFC 5227 2.3). */
	c = classify_exact(f, n);
	echo_announce_arp(f, &c, &host);
	cr_expect_eq(memcmp(f, "\xff\xff\xff\xff\xff\xff", 6), 0);
	cr_expect_eq(memcmp(f + 6, us_mac, 6), 0);
	cr_expect_eq(f[14 + 7], 1, "a request");
	cr_expect_eq(memcmp(f + 14 + 8, us_mac, 6), 0);
	cr_expect_eq(memcmp(f + 14 + 14, us_ip, 4), 0);
	cr_expect_eq(memcmp(f + 14 + 18, "\0\0\0\0\0\0", 6), 0);
	cr_expect_eq(memcmp(f + 14 + 24, us_ip, 4), 0);
	/* Our own MAC with our address: our own frame looped back, not a conflict. */
	n = build_arp(f, 1, us_ip);
	memcpy(f + 14 + 8, us_mac, 6);
	memcpy(f + 14 + 14, us_ip, 4);
	expect(n, ECHO_V_IGNORE, ECHO_R_NOT_FOR_US);
}

Test(classify, gratuitous_arp_of_a_neighbour_goes_to_the_stack)
{
	size_t n = build_arp(f, 1, peer_ip); /* sender IP = target IP = the peer's */

	expect(n, ECHO_V_STACK, ECHO_R_NONE);
	n = build_arp(f, 2, peer_ip);
	expect(n, ECHO_V_STACK, ECHO_R_NONE);
	/* From a sender nobody can be answered at: still refused. */
	n = build_arp(f, 1, (const uint8_t[4]){255, 255, 255, 255});
	memset(f + 14 + 14, 0xff, 4);
	expect(n, ECHO_V_IGNORE, ECHO_R_NOT_FOR_US);
}

Test(classify, tcp_malformed)
{
	uint8_t l4[20] = {0};
	size_t n = build_ipv4(f, 6, l4, 19);

	drop(n, ECHO_R_TCP_TRUNCATED);
	n = build_tcp(f, 7, payload, 8);
	f[34 + 12] = 4 << 4;
	fix_l4(f);
	drop(n, ECHO_R_TCP_BAD_OFFSET);
	f[34 + 12] = 8 << 4; /* 32 bytes of header in a 28-byte segment */
	fix_l4(f);
	drop(n, ECHO_R_TCP_BAD_OFFSET);
	n = build_tcp(f, 7, payload, 8);
	f[n - 2] ^= 0x01;
	drop(n, ECHO_R_TCP_BAD_CSUM);
}

Test(classify, reason_and_kind_names)
{
	cr_expect_str_eq(echo_reason_name(ECHO_R_RUNT_ETH), "runt_eth");
	cr_expect_str_eq(echo_reason_name(ECHO_R_TCP_BAD_CSUM), "tcp_bad_csum");
	cr_expect_str_eq(echo_reason_name(ECHO_R_UDP_NOT_ECHO), "udp_not_echo");
	cr_expect_str_eq(echo_reason_name(ECHO_R_NONE), "");
	cr_expect_str_eq(echo_reason_name(ECHO_R_COUNT), "");
	for (unsigned r = ECHO_R_NONE + 1; r < ECHO_R_COUNT; r++)
		if (r != ECHO_R_DROP_END)
			cr_expect_neq(echo_reason_name(r)[0], '\0', "reason %u has no name", r);
	cr_expect_str_eq(echo_kind_name(ECHO_KIND_UDP), "udp");
}
