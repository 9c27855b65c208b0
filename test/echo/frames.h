/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * frames.h - build test frames byte by byte, and verify checksums with an
 * implementation of RFC 1071 that shares no code with examples/echo: words
 * are assembled big-endian from bytes, the sum is folded at the end.
 */
#ifndef TEST_ECHO_FRAMES_H
#define TEST_ECHO_FRAMES_H

#include <stdint.h>
#include <string.h>

#include <tern_common.h>

#include "classify.h"

static const uint8_t us_mac[6] = {0x02, 0x74, 0, 0, 0, 1};
static const uint8_t peer_mac[6] = {0x02, 0x99, 0, 0, 0, 2};
static const uint8_t us_ip[4] = {10, 1, 2, 2};
static const uint8_t peer_ip[4] = {10, 1, 2, 1};

static inline struct echo_host test_host(void)
{
	struct echo_host h;

	memcpy(h.mac, us_mac, 6);
	memcpy(h.ip, us_ip, 4);
	echo_prefix_mask(24, h.mask);
	return h;
}

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Plain RFC 1071: the one's complement of the one's complement sum, host order. */
static inline uint16_t ref_csum(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static inline uint32_t ref_pseudo(const uint8_t *src, const uint8_t *dst, uint8_t proto,
                                  uint16_t len)
{
	return (uint32_t)get16(src) + get16(src + 2) + get16(dst) + get16(dst + 2) + proto + len;
}

/* Ethernet header; returns 14. */
static inline size_t put_eth(uint8_t *f, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	put16(f + 12, type);
	return 14;
}

/* An ARP packet (RFC 826) for Ethernet/IPv4 after the Ethernet header; returns the frame length. */
static inline size_t build_arp(uint8_t *f, uint16_t op, const uint8_t *tpa)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	uint8_t *a = f + put_eth(f, bcast, peer_mac, 0x0806);

	put16(a, 1);
	put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, op);
	memcpy(a + 8, peer_mac, 6);
	memcpy(a + 14, peer_ip, 4);
	memset(a + 18, 0, 6);
	memcpy(a + 24, tpa, 4);
	return 14 + 28;
}

/*
 * An IPv4 packet to us carrying `l4` (l4_len bytes, checksum field filled
 * by the caller or by fix_l4 below), with correct header checksum.
 */
static inline size_t build_ipv4(uint8_t *f, uint8_t proto, const uint8_t *l4, uint16_t l4_len)
{
	uint8_t *ip = f + put_eth(f, us_mac, peer_mac, 0x0800);

	ip[0] = 0x45;
	ip[1] = 0;
	put16(ip + 2, (uint16_t)(20 + l4_len));
	put16(ip + 4, 0x1234);
	put16(ip + 6, 0x4000); /* DF */
	ip[8] = 17;            /* an odd TTL, to see it replaced */
	ip[9] = proto;
	put16(ip + 10, 0);
	memcpy(ip + 12, peer_ip, 4);
	memcpy(ip + 16, us_ip, 4);
	put16(ip + 10, ref_csum(0, ip, 20));
	memcpy(ip + 20, l4, l4_len);
	return 14 + 20 + (size_t)l4_len;
}

/* Recompute the IPv4 header checksum at f + 14 (after editing the header). */
static inline void fix_ip(uint8_t *f)
{
	put16(f + 14 + 10, 0);
	put16(f + 14 + 10, ref_csum(0, f + 14, (size_t)(f[14] & 0xf) * 4));
}

/* Recompute the ICMP/UDP/TCP checksum of the IPv4 packet in f (header of 20 bytes). */
static inline void fix_l4(uint8_t *f)
{
	uint8_t *ip = f + 14, *l4 = ip + 20;
	uint16_t l4_len = (uint16_t)(get16(ip + 2) - 20);
	unsigned off = ip[9] == 1 ? 2 : ip[9] == 17 ? 6 : 16;

	put16(l4 + off, 0);
	if (ip[9] == 1)
		put16(l4 + off, ref_csum(0, l4, l4_len));
	else {
		uint16_t c = ref_csum(ref_pseudo(ip + 12, ip + 16, ip[9], l4_len), l4, l4_len);

		/* RFC 768: a computed 0 is sent as all ones. */
		put16(l4 + off, ip[9] == 17 && c == 0 ? 0xffff : c);
	}
}

static inline size_t build_icmp_echo(uint8_t *f, const uint8_t *data, uint16_t len)
{
	uint8_t l4[1500];

	l4[0] = 8;
	l4[1] = 0;
	put16(l4 + 2, 0);
	put16(l4 + 4, 0xbeef);
	put16(l4 + 6, 42);
	memcpy(l4 + 8, data, len);
	size_t n = build_ipv4(f, 1, l4, (uint16_t)(8 + len));
	fix_l4(f);
	return n;
}

static inline size_t build_udp(uint8_t *f, uint16_t sport, uint16_t dport, const uint8_t *data,
                               uint16_t len)
{
	uint8_t l4[1500];

	put16(l4, sport);
	put16(l4 + 2, dport);
	put16(l4 + 4, (uint16_t)(8 + len));
	put16(l4 + 6, 0);
	memcpy(l4 + 8, data, len);
	size_t n = build_ipv4(f, 17, l4, (uint16_t)(8 + len));
	fix_l4(f);
	return n;
}

static inline size_t build_tcp(uint8_t *f, uint16_t dport, const uint8_t *data, uint16_t len)
{
	uint8_t l4[1500] = {0};

	put16(l4, 40000);
	put16(l4 + 2, dport);
	put16(l4 + 4, 0x0102);
	l4[12] = 5 << 4;
	l4[13] = 0x02; /* SYN */
	put16(l4 + 14, 65535);
	memcpy(l4 + 20, data, len);
	size_t n = build_ipv4(f, 6, l4, (uint16_t)(20 + len));
	fix_l4(f);
	return n;
}

#endif /* TEST_ECHO_FRAMES_H */
