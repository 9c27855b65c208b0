/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * offload_test.c - the af_packet driver's software offloads on crafted
 * frames: checksum completion (NEEDS_CSUM) and GSO segmentation for TCP over
 * IPv4 and IPv6, UDP_L4, with and without a restored VLAN tag. Every result
 * is checked with a plain byte-by-byte checksum written here, and the
 * segments' payloads must put the original payload back together.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "offload.h"

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Byte-wise big-endian ones' complement sum, the RFC 1071 way, independent of offload.c. */
static uint32_t sum_be(uint32_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* Is the L4 checksum of the segment right? (Sum over everything must be 0xffff.) */
static bool l4_ok(const uint8_t *l3, bool v6, const uint8_t *l4, size_t l4len, uint8_t proto)
{
	uint32_t s;

	if (v6) {
		s = sum_be(0, l3 + 8, 32);
		s += (uint32_t)(l4len >> 16) + (uint32_t)(l4len & 0xffff) + proto;
	} else {
		s = sum_be(0, l3 + 12, 8) + proto + (uint32_t)l4len;
	}
	return fold(sum_be(s, l4, l4len)) == 0xffff;
}

/* eth (opt. VLAN) + IPv4/IPv6 + TCP/UDP + payload; returns frame length. */
static size_t craft(uint8_t *f, bool v6, uint8_t proto, size_t plen, uint8_t tcp_flags)
{
	size_t l3 = 14, l4 = l3 + (v6 ? 40 : 20), l4len = proto == IPPROTO_TCP ? 32 : 8;
	size_t len = l4 + l4len + plen;

	memset(f, 0, len);
	memcpy(f, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	f[12] = v6 ? 0x86 : 0x08;
	f[13] = v6 ? 0xdd : 0x00;
	if (v6) {
		f[l3] = 0x60;
		f[l3 + 6] = proto;
		f[l3 + 7] = 64;
		f[l3 + 8 + 15] = 1; /* ::1 -> ::2 with a prefix */
		f[l3 + 8] = 0xfd;
		f[l3 + 24] = 0xfd;
		f[l3 + 24 + 15] = 2;
	} else {
		f[l3] = 0x45;
		f[l3 + 4] = 0x12; /* ID 0x1234 */
		f[l3 + 5] = 0x34;
		f[l3 + 6] = 0x40; /* DF */
		f[l3 + 8] = 64;
		f[l3 + 9] = proto;
		memcpy(f + l3 + 12, "\x0a\x01\x00\x01\x0a\x01\x00\x02", 8);
	}
	f[l4] = 0x9c; /* ports 40000 -> 5001 */
	f[l4 + 1] = 0x40;
	f[l4 + 2] = 0x13;
	f[l4 + 3] = 0x89;
	if (proto == IPPROTO_TCP) {
		memcpy(f + l4 + 4, "\xff\xff\xf0\x00", 4); /* seq wraps during the test */
		f[l4 + 12] = 8 << 4;                       /* 32-byte header (timestamps) */
		f[l4 + 13] = tcp_flags;
		f[l4 + 14] = 0x01;
		memcpy(f + l4 + 20, "\x01\x01\x08\x0a\x00\x00\x00\x01\x00\x00\x00\x02", 12);
	}
	for (size_t i = 0; i < plen; i++)
		f[l4 + l4len + i] = (uint8_t)(i * 31 + 7);
	return len;
}

static uint8_t frame[70000];

static void check_gso(bool v6, uint8_t proto, uint8_t gso_type, size_t plen, uint16_t mss,
                      bool vlan)
{
	const uint8_t tag[4] = {0x81, 0x00, 0x00, 0x2a};
	const size_t l3f = 14, l4f = l3f + (v6 ? 40 : 20);
	size_t len = craft(frame, v6, proto, plen, 0x80 | 0x18 | 0x01); /* CWR PSH ACK? FIN */
	static uint8_t joined[70000];
	struct afp_gso g;
	size_t at = 0;

	cr_assert_eq(tern_afp_gso_init(&g, frame, (uint32_t)len, gso_type, mss, (uint16_t)l4f,
	                               vlan ? tag : NULL),
	             0);
	cr_assert_eq(g.nb_segs, (plen + mss - 1) / mss);
	cr_assert_eq(g.l3_off, l3f + (vlan ? 4 : 0));
	for (uint16_t i = 0; i < g.nb_segs; i++) {
		uint8_t h[AFP_GSO_HDR_MAX];
		const uint8_t *pay;
		uint32_t pl;
		uint16_t hl = tern_afp_gso_segment(&g, i, h, &pay, &pl);
		const uint8_t *l3 = h + g.l3_off, *l4 = h + g.l4_off;
		uint8_t seg[4096];
		size_t l4len = hl - g.l4_off + pl;

		cr_assert_eq(pl, i + 1 < g.nb_segs ? mss : plen - (size_t)i * mss);
		memcpy(seg, h, hl);
		memcpy(seg + hl, pay, pl);
		l3 = seg + g.l3_off;
		l4 = seg + g.l4_off;
		if (vlan)
			cr_assert_eq(memcmp(seg + 12, tag, 4), 0,
			             "VLAN tag restored after the MACs");
		if (v6) {
			cr_assert_eq(be16(l3 + 4), l4len, "IPv6 payload length");
		} else {
			cr_assert_eq(be16(l3 + 2), 20 + l4len, "IPv4 total length");
			cr_assert_eq(be16(l3 + 4), 0x1234 + i, "IPv4 ID");
			cr_assert_eq(fold(sum_be(0, l3, 20)), 0xffff, "IPv4 header checksum");
		}
		if (proto == IPPROTO_TCP) {
			bool last = i + 1 == g.nb_segs;

			cr_assert_eq(be32(l4 + 4), 0xfffff000u + (uint32_t)i * mss, "TCP seq");
			cr_assert_eq(!!(l4[13] & 0x01), last, "FIN only on the last");
			cr_assert_eq(!!(l4[13] & 0x08), last, "PSH only on the last");
			cr_assert_eq(!!(l4[13] & 0x80), i == 0, "CWR only on the first");
			cr_assert(l4[13] & 0x10, "ACK on every segment");
		} else {
			cr_assert_eq(be16(l4 + 4), l4len, "UDP length");
		}
		cr_assert(l4_ok(l3, v6, l4, l4len, proto), "L4 checksum of segment %u", i);
		memcpy(joined + at, pay, pl);
		at += pl;
	}
	cr_assert_eq(at, plen);
	cr_assert_eq(memcmp(joined, frame + len - plen, plen), 0, "payload put back together");
}

Test(unit, gso_tcpv4)
{
	check_gso(false, IPPROTO_TCP, VIRTIO_NET_HDR_GSO_TCPV4, 65000, 1448, false);
}

Test(unit, gso_tcpv4_one_short_segment)
{
	check_gso(false, IPPROTO_TCP, VIRTIO_NET_HDR_GSO_TCPV4, 100, 1448, false);
}

Test(unit, gso_tcpv6)
{
	check_gso(true, IPPROTO_TCP, VIRTIO_NET_HDR_GSO_TCPV6, 10001, 1428, false);
}

Test(unit, gso_tcpv4_vlan_tag_restored)
{
	check_gso(false, IPPROTO_TCP, VIRTIO_NET_HDR_GSO_TCPV4, 5000, 1000, true);
}

Test(unit, gso_udp_l4)
{
	check_gso(false, IPPROTO_UDP, VIRTIO_NET_HDR_GSO_UDP_L4, 7777, 1200, false);
	check_gso(true, IPPROTO_UDP, VIRTIO_NET_HDR_GSO_UDP_L4, 3001, 1000, false);
}

Test(unit, gso_refuses_malformed)
{
	struct afp_gso g;
	size_t len = craft(frame, false, IPPROTO_TCP, 3000, 0x10);

	cr_expect_eq(tern_afp_gso_init(&g, frame, (uint32_t)len, 99, 1448, 34, NULL), -ENOTSUP);
	cr_expect_eq(
	    tern_afp_gso_init(&g, frame, (uint32_t)len, VIRTIO_NET_HDR_GSO_TCPV4, 0, 34, NULL),
	    -EINVAL, "gso_size 0");
	cr_expect_eq(
	    tern_afp_gso_init(&g, frame, (uint32_t)len, VIRTIO_NET_HDR_GSO_TCPV6, 1448, 34, NULL),
	    -EINVAL, "TCPV6 on an IPv4 frame");
	cr_expect_eq(
	    tern_afp_gso_init(&g, frame, (uint32_t)len, VIRTIO_NET_HDR_GSO_TCPV4, 1448, 30, NULL),
	    -EINVAL, "csum_start inside the IP header");
	cr_expect_eq(tern_afp_gso_init(&g, frame, 40, VIRTIO_NET_HDR_GSO_TCPV4, 1448, 34, NULL),
	             -EINVAL, "frame ends inside the TCP header");
}

/* What the kernel hands over with NEEDS_CSUM: the pseudo-header sum in the field. */
static void check_csum(bool v6, uint8_t proto, size_t plen)
{
	const size_t l3 = 14, l4 = l3 + (v6 ? 40 : 20);
	const size_t off = proto == IPPROTO_TCP ? 16 : 6;
	size_t len = craft(frame, v6, proto, plen, 0x18);
	size_t l4len = len - l4;
	uint32_t s;

	if (proto == IPPROTO_UDP) {
		frame[l4 + 4] = (uint8_t)(l4len >> 8);
		frame[l4 + 5] = (uint8_t)l4len;
	}
	if (v6)
		s = sum_be(0, frame + l3 + 8, 32) + (uint32_t)l4len + proto;
	else
		s = sum_be(0, frame + l3 + 12, 8) + proto + (uint32_t)l4len;
	frame[l4 + off] = (uint8_t)(fold(s) >> 8);
	frame[l4 + off + 1] = (uint8_t)fold(s);
	cr_assert_eq(tern_afp_csum_complete(frame, (uint32_t)len, (uint16_t)l4, (uint16_t)off), 0);
	cr_assert(l4_ok(frame + l3, v6, frame + l4, l4len, proto), "checksum completed");
}

Test(unit, csum_complete_tcp_udp_v4_v6_odd_lengths)
{
	for (size_t plen = 0; plen < 70; plen += 7) {
		check_csum(false, IPPROTO_TCP, plen);
		check_csum(true, IPPROTO_TCP, plen);
		check_csum(false, IPPROTO_UDP, plen);
		check_csum(true, IPPROTO_UDP, plen);
	}
	check_csum(false, IPPROTO_TCP, 1448);
}

Test(unit, csum_complete_refuses_field_outside_frame)
{
	cr_expect_eq(tern_afp_csum_complete(frame, 60, 50, 9), -EINVAL);
	cr_expect_eq(tern_afp_csum_complete(frame, 60, 40, 18), 0);
}

Test(unit, csum_add_matches_bytewise_sum)
{
	uint8_t b[301];

	for (size_t i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)(i * 131 + 17);
	for (size_t n = 0; n <= sizeof(b); n++) {
		uint16_t c = tern_afp_csum_fold(tern_afp_csum_add(0, b, n));
		uint8_t *cb = (uint8_t *)&c;

		/* Host-order result: its bytes in memory are the big-endian sum. */
		cr_assert_eq((uint16_t)(cb[0] << 8 | cb[1]), fold(sum_be(0, b, n)), "n=%zu", n);
	}
}
