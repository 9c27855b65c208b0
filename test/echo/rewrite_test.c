/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rewrite_test.c - the in-place rewriters produce the answer RFC 826 /
 * RFC 792 / RFC 862 ask for, and their incrementally updated checksums
 * (RFC 1624) equal full checksums computed independently (frames.h).
 */
#include <stdlib.h>

#include <criterion/criterion.h>

#include "frames.h"

static uint8_t f[2048], orig[2048];
static struct echo_host host;

static void setup(void)
{
	host = test_host();
	srand(1624);
}

TestSuite(rewrite, .init = setup);

/* IPv4 header and transport checksums of a frame all verify (full recomputation). */
static void check_ipv4_checksums(const uint8_t *fr)
{
	const uint8_t *ip = fr + 14, *l4 = ip + 20;
	uint16_t l4_len = (uint16_t)(get16(ip + 2) - 20);

	cr_assert_eq(ref_csum(0, ip, 20), 0, "IPv4 header checksum does not verify");
	if (ip[9] == 1)
		cr_assert_eq(ref_csum(0, l4, l4_len), 0, "ICMP checksum does not verify");
	else if (ip[9] == 17 && get16(l4 + 6) != 0)
		cr_assert_eq(ref_csum(ref_pseudo(ip + 12, ip + 16, 17, l4_len), l4, l4_len), 0,
		             "UDP checksum does not verify");
}

static void check_swapped_ipv4(const uint8_t *fr, const uint8_t *req, size_t n)
{
	cr_assert_arr_eq(fr, peer_mac, 6, "Ethernet destination is not the requester");
	cr_assert_arr_eq(fr + 6, us_mac, 6, "Ethernet source is not us");
	cr_assert_arr_eq(fr + 26, req + 30, 4, "IPv4 source is not the request's destination");
	cr_assert_arr_eq(fr + 30, req + 26, 4, "IPv4 destination is not the request's source");
	cr_assert_eq(fr[22], 64, "TTL %u, expected a fresh 64", fr[22]);
	/* Everything else of the IPv4 header is the request's. */
	cr_assert_arr_eq(fr + 14, req + 14, 8);
	cr_assert_eq(fr[23], req[23]);
	(void)n;
}

Test(rewrite, arp_reply)
{
	size_t n = build_arp(f, 1, us_ip);
	struct echo_class c = echo_classify(f, (uint32_t)n, &host);

	cr_assert_eq(c.verdict, ECHO_V_ARP_REPLY);
	echo_reply_arp(f, &c, &host);
	cr_assert_arr_eq(f, peer_mac, 6);
	cr_assert_arr_eq(f + 6, us_mac, 6);
	cr_assert_eq(get16(f + 12), 0x0806);
	cr_assert_eq(get16(f + 14), 1);
	cr_assert_eq(get16(f + 16), 0x0800);
	cr_assert_eq(get16(f + 20), 2, "opcode is not reply");
	cr_assert_arr_eq(f + 22, us_mac, 6, "sender hardware address");
	cr_assert_arr_eq(f + 28, us_ip, 4, "sender protocol address");
	cr_assert_arr_eq(f + 32, peer_mac, 6, "target hardware address");
	cr_assert_arr_eq(f + 38, peer_ip, 4, "target protocol address");
}

Test(rewrite, icmp_echo_reply_many_sizes)
{
	static uint8_t data[1500];

	for (unsigned len = 0; len <= 1472; len += (len < 64 ? 1 : 37)) {
		for (unsigned i = 0; i < len; i++)
			data[i] = (uint8_t)rand();
		size_t n = build_icmp_echo(f, data, (uint16_t)len);

		/* Vary what the checksums start from: id, sequence, TTL, IP id. */
		put16(f + 38, (uint16_t)rand());
		put16(f + 40, (uint16_t)rand());
		f[22] = (uint8_t)(1 + rand() % 255);
		put16(f + 18, (uint16_t)rand());
		fix_ip(f);
		fix_l4(f);
		memcpy(orig, f, n);

		struct echo_class c = echo_classify(f, (uint32_t)n, &host);

		cr_assert_eq(c.verdict, ECHO_V_ICMP_ECHO, "len %u", len);
		echo_reply_icmp(f, &c, &host);
		check_swapped_ipv4(f, orig, n);
		cr_assert_eq(f[34], 0, "type is not echo reply");
		cr_assert_eq(f[35], 0);
		/* RFC 792: identifier, sequence number and data come back unchanged. */
		cr_assert_arr_eq(f + 38, orig + 38, n - 38, "len %u: id/seq/data changed", len);
		check_ipv4_checksums(f);
	}
}

Test(rewrite, udp_echo_many_sizes)
{
	static uint8_t data[1500];

	for (unsigned len = 0; len <= 1472; len += (len < 64 ? 1 : 41)) {
		for (unsigned i = 0; i < len; i++)
			data[i] = (uint8_t)rand();
		size_t n = build_udp(f, (uint16_t)(1024 + rand() % 60000), 7, data, (uint16_t)len);

		f[22] = (uint8_t)(1 + rand() % 255);
		fix_ip(f);
		memcpy(orig, f, n);

		struct echo_class c = echo_classify(f, (uint32_t)n, &host);

		cr_assert_eq(c.verdict, ECHO_V_UDP_ECHO, "len %u", len);
		echo_reply_udp(f, &c, &host);
		check_swapped_ipv4(f, orig, n);
		cr_assert_eq(get16(f + 34), get16(orig + 36), "source port is not 7");
		cr_assert_eq(get16(f + 36), get16(orig + 34),
		             "destination port is not the sender's");
		cr_assert_eq(get16(f + 38), get16(orig + 38), "length changed");
		cr_assert_arr_eq(f + 42, orig + 42, len, "data changed");
		check_ipv4_checksums(f);
	}
}

Test(rewrite, udp_without_checksum_stays_without)
{
	size_t n = build_udp(f, 5555, 7, (const uint8_t *)"hello", 5);

	put16(f + 40, 0);
	struct echo_class c = echo_classify(f, (uint32_t)n, &host);

	cr_assert_eq(c.verdict, ECHO_V_UDP_ECHO);
	echo_reply_udp(f, &c, &host);
	cr_assert_eq(get16(f + 40), 0);
	check_ipv4_checksums(f);
}

Test(rewrite, ttl_update_every_starting_ttl)
{
	/* RFC 1624's corner cases live where the sum crosses 0xffff: try every TTL and many ids. */
	for (unsigned ttl = 0; ttl < 256; ttl++) {
		for (unsigned k = 0; k < 64; k++) {
			size_t n = build_icmp_echo(f, (const uint8_t *)"x", 1);

			f[22] = (uint8_t)ttl;
			put16(f + 18, (uint16_t)(k * 1031 + ttl * 7));
			fix_ip(f);
			struct echo_class c = echo_classify(f, (uint32_t)n, &host);

			cr_assert_eq(c.verdict, ECHO_V_ICMP_ECHO);
			echo_reply_icmp(f, &c, &host);
			check_ipv4_checksums(f);
		}
	}
}

Test(rewrite, replies_are_not_answered_again)
{
	/* An answer fed back in must not be answered (no echo loops on a shared wire). */
	size_t n = build_icmp_echo(f, (const uint8_t *)"abc", 3);
	struct echo_class c = echo_classify(f, (uint32_t)n, &host);

	echo_reply_icmp(f, &c, &host);
	c = echo_classify(f, (uint32_t)n, &host);
	cr_expect_neq(c.verdict, ECHO_V_ICMP_ECHO);
	n = build_udp(f, 5555, 7, (const uint8_t *)"abc", 3);
	c = echo_classify(f, (uint32_t)n, &host);
	echo_reply_udp(f, &c, &host);
	c = echo_classify(f, (uint32_t)n, &host);
	cr_expect_neq(c.verdict, ECHO_V_UDP_ECHO);
}
