/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * af_xdp_csum.c - completing the TCP/UDP checksums a virtual interface
 * left to "the hardware".
 *
 * A veth (or tun) peer with TX checksum offload on, its default, sends
 * frames whose skb is CHECKSUM_PARTIAL: the L4 checksum field holds only
 * the folded sum of the pseudo-header (not inverted), and the device that
 * finally puts the frame on a wire is expected to finish it. XDP sees the
 * bytes, not the skb, and AF_XDP passes no checksum state to user space
 * (Linux has no XDP RX checksum metadata kfunc): a frame forwarded as is
 * arrives with a bad checksum and the receiving stack drops it
 * (TcpInCsumErrors). So on such interfaces the RX path recognizes the
 * partial state, a checksum field equal to the pseudo-header sum, and
 * completes the checksum (RFC 1071 sum over pseudo-header and segment).
 * A checksum that happens to equal that sum and is right is rewritten
 * with the same value; a damaged frame is masked only when its field
 * happens to hold exactly that sum (1 in 65536).
 *
 * What it covers: Ethernet with up to any number of 802.1Q/802.1ad tags
 * (each bounded by the frame), IPv4 (not fragments) and IPv6 without
 * extension headers, TCP and UDP; the segment is what the IP length says,
 * Ethernet padding excluded; nothing is read past `len`. What it leaves
 * partial: IPv6 with extension headers, SCTP (veth offloads its CRC32c
 * too), and the inner checksum of a tunnel (VXLAN, GRE), where the
 * partial one is not the outer header's. Cost: a few loads per frame; the
 * sum over the segment only for frames in the partial state.
 */
#include <arpa/inet.h>
#include <string.h>

#include "af_xdp.h"

#define ETH_HLEN_      14
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88a8
#define IPPROTO_TCP_   6
#define IPPROTO_UDP_   17
#define TCP_CSUM_OFF   16
#define UDP_CSUM_OFF   6

/* RFC 1071: the 32-bit partial sum of len bytes (big-endian 16-bit words). */
static uint64_t sum_bytes(const uint8_t *p, uint32_t len, uint64_t sum)
{
	while (len >= 8) {
		uint64_t w;

		memcpy(&w, p, 8);
		/* Sum 32-bit halves in host order; folding at the end gives the same result. */
		sum += (w & 0xffffffffu) + (w >> 32);
		p += 8;
		len -= 8;
	}
	while (len >= 2) {
		uint16_t w;

		memcpy(&w, p, 2);
		sum += w;
		p += 2;
		len -= 2;
	}
	if (len == 1) {
		uint16_t w = 0;

		memcpy(&w, p, 1);
		sum += w;
	}
	return sum;
}

static uint16_t fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/*
 * Complete the L4 checksum of the frame at f (len bytes) if it is in the
 * partial state. Returns 1 if it did, 0 if there was nothing to do.
 */
int axp_csum_fix(uint8_t *f, uint32_t len)
{
	uint32_t off = 12, l3, l4, l4_len;
	uint16_t type, field_off;
	uint8_t proto;
	uint64_t ph;

	if (len < ETH_HLEN_ + 20)
		return 0;
	memcpy(&type, f + off, 2);
	type = ntohs(type);
	while ((type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ) && off + 6 <= len) {
		off += 4;
		memcpy(&type, f + off, 2);
		type = ntohs(type);
	}
	l3 = off + 2;
	if (type == ETHERTYPE_IPV4) {
		const uint8_t *ip = f + l3;
		uint16_t tot, frag;

		/* RFC 791: IHL counts 32-bit words, 5 at least (20 bytes). */
		if (l3 + 20 > len || (ip[0] >> 4) != 4 || (ip[0] & 0xf) < 5)
			return 0;
		memcpy(&tot, ip + 2, 2);
		memcpy(&frag, ip + 6, 2);
		if (ntohs(frag) & 0x3fff) /* a fragment: no whole segment to sum */
			return 0;
		l4 = l3 + (uint32_t)(ip[0] & 0xf) * 4;
		if (ntohs(tot) < (ip[0] & 0xf) * 4 || l3 + ntohs(tot) > len)
			return 0;
		l4_len = l3 + ntohs(tot) - l4;
		proto = ip[9];
		ph = sum_bytes(ip + 12, 8, 0); /* source and destination */
	} else if (type == ETHERTYPE_IPV6) {
		const uint8_t *ip = f + l3;
		uint16_t plen;

		if (l3 + 40 > len || (ip[0] >> 4) != 6)
			return 0;
		memcpy(&plen, ip + 4, 2);
		l4 = l3 + 40;
		l4_len = ntohs(plen);
		proto = ip[6]; /* extension headers: left alone */
		if (l4 + l4_len > len)
			return 0;
		ph = sum_bytes(ip + 8, 32, 0);
	} else {
		return 0;
	}
	if (proto == IPPROTO_TCP_ && l4_len >= 20)
		field_off = TCP_CSUM_OFF;
	else if (proto == IPPROTO_UDP_ && l4_len >= 8)
		field_off = UDP_CSUM_OFF;
	else
		return 0;
	ph += htons(proto);
	ph += htons((uint16_t)l4_len); /* at most 0xffff: IPv4 total and IPv6 payload lengths are */

	uint8_t *field = f + l4 + field_off;
	uint16_t cur, partial = fold(ph);

	memcpy(&cur, field, 2);
	if (cur != partial)
		return 0;
	memset(field, 0, 2);
	uint16_t c = (uint16_t)~fold(sum_bytes(f + l4, l4_len, ph));
	if (c == 0 && proto == IPPROTO_UDP_)
		c = 0xffff; /* RFC 768: 0 means no checksum */
	memcpy(field, &c, 2);
	return 1;
}
