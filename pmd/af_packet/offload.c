/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * offload.c - software checksum completion and GSO segmentation (see
 * offload.h for what the kernel leaves undone and why).
 *
 * Checksums are RFC 1071 ones' complement sums. They are computed on words
 * loaded in host byte order: the ones' complement sum does not depend on
 * the byte order it is computed in (RFC 1071, 2.(B)), so the folded result,
 * stored back in host order, lands in the right bytes. Words of 16 or 32
 * bits may be mixed, since 2^16 = 1 modulo 0xffff.
 *
 * Segmentation follows what the kernel's own software GSO does for TCP
 * (net/ipv4/tcp_offload.c) and UDP (net/ipv4/udp_offload.c): every segment
 * carries a copy of the headers with its own IP length (and, for IPv4, ID
 * = first ID + index, and header checksum), TCP sequence number = first
 * sequence + index * gso_size, FIN and PSH only on the last segment, CWR
 * only on the first, and an L4 checksum over its pseudo-header, header and
 * payload.
 */
#include <errno.h>
#include <string.h>

#include <arpa/inet.h>
#include <linux/virtio_net.h>
#include <netinet/in.h>

#include "offload.h"

#define ETH_TYPE_OFF 12
#define TCP_SEQ_OFF  4
#define TCP_DOFF_OFF 12
#define TCP_FLAG_OFF 13
#define TCP_CSUM_OFF 16
#define TCP_FIN      0x01
#define TCP_PSH      0x08
#define TCP_CWR      0x80
#define UDP_LEN_OFF  4
#define UDP_CSUM_OFF 6
#define UDP_HDR_LEN  8
#define IP4_LEN_OFF  2
#define IP4_ID_OFF   4
#define IP4_CSUM_OFF 10
#define IP4_SRC_OFF  12
#define IP6_HDR_LEN  40
#define IP6_PLEN_OFF 4
#define IP6_SRC_OFF  8

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

uint64_t tern_afp_csum_add(uint64_t sum, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t w32;
	uint16_t w16 = 0;

	/* Two 32-bit words per step; a 64-bit sum of them cannot overflow here. */
	for (; len >= 8; p += 8, len -= 8) {
		uint32_t a, b;

		memcpy(&a, p, 4);
		memcpy(&b, p + 4, 4);
		sum += (uint64_t)a + b;
	}
	if (len >= 4) {
		memcpy(&w32, p, 4);
		sum += w32;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		memcpy(&w16, p, 2);
		sum += w16;
		p += 2;
		len -= 2;
	}
	if (len == 1) {
		/* RFC 1071: an odd last byte is padded with a zero byte after it. */
		w16 = 0;
		memcpy(&w16, p, 1);
		sum += w16;
	}
	return sum;
}

uint16_t tern_afp_csum_fold(uint64_t sum)
{
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffu) + (sum >> 16);
	sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)sum;
}

/* The 16-bit checksum to store (host order) from a sum; 0 becomes 0xffff. */
static inline uint16_t csum_final(uint64_t sum)
{
	uint16_t c = (uint16_t)~tern_afp_csum_fold(sum);

	/*
	 * A computed 0 is sent as 0xffff, as the kernel's skb_checksum_help
	 * does (CSUM_MANGLED_0): for UDP a zero field means "no checksum"
	 * (RFC 768), and for TCP both are the same ones' complement value.
	 */
	return c == 0 ? 0xffff : c;
}

int tern_afp_csum_complete(uint8_t *frame, uint32_t len, uint16_t start, uint16_t off)
{
	uint16_t c;

	if ((uint32_t)start + off + 2 > len)
		return -EINVAL;
	/* virtio 1.0 5.1.6.2: the field already holds the pseudo-header sum. */
	c = csum_final(tern_afp_csum_add(0, frame + start, len - start));
	memcpy(frame + start + off, &c, 2);
	return 0;
}

int tern_afp_gso_init(struct afp_gso *g, const uint8_t *frame, uint32_t len, uint8_t gso_type,
                      uint16_t gso_size, uint16_t csum_start, const uint8_t *vlan_tag)
{
	const uint32_t tag = vlan_tag != NULL ? AFP_VLAN_TAG_LEN : 0;
	uint32_t l2_len, l4_len, hdr_len_frame, off;
	uint16_t type;

	memset(g, 0, offsetof(struct afp_gso, payload));
	switch (gso_type) {
	case VIRTIO_NET_HDR_GSO_TCPV4:
	case VIRTIO_NET_HDR_GSO_TCPV6:
		g->l4_proto = IPPROTO_TCP;
		break;
	case VIRTIO_NET_HDR_GSO_UDP_L4:
		g->l4_proto = IPPROTO_UDP;
		break;
	default:
		return -ENOTSUP; /* VIRTIO_NET_HDR_GSO_UDP (UFO) is gone from Linux */
	}
	if (gso_size == 0 || len < AFP_VLAN_TAG_OFF + 2 || csum_start >= len)
		return -EINVAL;

	/* L2: the MAC addresses, the tag the kernel took out, then any tags left in. */
	off = ETH_TYPE_OFF;
	while (off + 2 <= csum_start && ((type = get16(frame + off)) == 0x8100 || type == 0x88a8))
		off += AFP_VLAN_TAG_LEN;
	if (off + 2 > csum_start)
		return -EINVAL;
	type = get16(frame + off);
	l2_len = off + 2;
	if (type == 0x0800 && gso_type != VIRTIO_NET_HDR_GSO_TCPV6)
		g->ipv6 = false;
	else if (type == 0x86dd && gso_type != VIRTIO_NET_HDR_GSO_TCPV4)
		g->ipv6 = true;
	else
		return -EINVAL;
	/* L3 ends where the kernel's checksum starts: csum_start is the L4 header. */
	if (csum_start < l2_len + (g->ipv6 ? IP6_HDR_LEN : 20))
		return -EINVAL;
	if (!g->ipv6 && (uint32_t)(frame[l2_len] & 0xf) * 4 != csum_start - l2_len)
		return -EINVAL; /* IPv4 options are fine; a gap before L4 is not */
	if (g->l4_proto == IPPROTO_TCP) {
		if ((uint32_t)csum_start + 20 > len)
			return -EINVAL;
		l4_len = (uint32_t)(frame[csum_start + TCP_DOFF_OFF] >> 4) * 4;
		if (l4_len < 20)
			return -EINVAL;
	} else {
		l4_len = UDP_HDR_LEN;
	}
	hdr_len_frame = csum_start + l4_len;
	if (hdr_len_frame > len || hdr_len_frame + tag > AFP_GSO_HDR_MAX)
		return -EINVAL;

	/* The template: MACs, the restored tag, the rest of the headers. */
	memcpy(g->hdr, frame, AFP_VLAN_TAG_OFF);
	if (vlan_tag != NULL)
		memcpy(g->hdr + AFP_VLAN_TAG_OFF, vlan_tag, AFP_VLAN_TAG_LEN);
	memcpy(g->hdr + AFP_VLAN_TAG_OFF + tag, frame + AFP_VLAN_TAG_OFF,
	       hdr_len_frame - AFP_VLAN_TAG_OFF);
	g->hdr_len = (uint16_t)(hdr_len_frame + tag);
	g->l3_off = (uint16_t)(l2_len + tag);
	g->l4_off = (uint16_t)(csum_start + tag);
	g->mss = gso_size;
	g->payload = frame + hdr_len_frame;
	g->payload_len = len - hdr_len_frame;
	if (g->payload_len == 0)
		return -EINVAL;
	g->nb_segs = (uint16_t)((g->payload_len + gso_size - 1) / gso_size);
	return 0;
}

uint16_t tern_afp_gso_segment(const struct afp_gso *g, uint16_t i, uint8_t *hdr,
                              const uint8_t **payload, uint32_t *payload_len)
{
	const uint32_t first = (uint32_t)i * g->mss;
	const uint32_t plen = g->payload_len - first < g->mss ? g->payload_len - first : g->mss;
	const uint16_t l4_len = (uint16_t)(g->hdr_len - g->l4_off);
	const uint32_t seg_l4_len = l4_len + plen; /* L4 header + payload */
	uint8_t *l3 = hdr + g->l3_off, *l4 = hdr + g->l4_off;
	uint64_t sum;
	uint16_t c;

	memcpy(hdr, g->hdr, g->hdr_len);

	/* L3 length (and, for IPv4, ID and header checksum). */
	if (g->ipv6) {
		/* Payload length counts extension headers too (RFC 8200 3). */
		put16(l3 + IP6_PLEN_OFF,
		      (uint16_t)(g->l4_off - g->l3_off - IP6_HDR_LEN + seg_l4_len));
		sum = tern_afp_csum_add(0, l3 + IP6_SRC_OFF, 32);
		sum += htonl(seg_l4_len);
		sum += htonl(g->l4_proto);
	} else {
		put16(l3 + IP4_LEN_OFF, (uint16_t)(g->l4_off - g->l3_off + seg_l4_len));
		put16(l3 + IP4_ID_OFF, (uint16_t)(get16(l3 + IP4_ID_OFF) + i));
		put16(l3 + IP4_CSUM_OFF, 0);
		c = (uint16_t)~tern_afp_csum_fold(tern_afp_csum_add(0, l3, g->l4_off - g->l3_off));
		memcpy(l3 + IP4_CSUM_OFF, &c, 2);
		sum = tern_afp_csum_add(0, l3 + IP4_SRC_OFF, 8);
		sum += htons(g->l4_proto);
		sum += htons((uint16_t)seg_l4_len);
	}

	/* L4 fields, then its checksum over pseudo-header, header and payload. */
	if (g->l4_proto == IPPROTO_TCP) {
		uint8_t flags = l4[TCP_FLAG_OFF];

		put32(l4 + TCP_SEQ_OFF, get32(l4 + TCP_SEQ_OFF) + first);
		if (i != g->nb_segs - 1)
			flags &= (uint8_t) ~(TCP_FIN | TCP_PSH);
		if (i != 0)
			flags &= (uint8_t)~TCP_CWR;
		l4[TCP_FLAG_OFF] = flags;
		put16(l4 + TCP_CSUM_OFF, 0);
	} else {
		put16(l4 + UDP_LEN_OFF, (uint16_t)seg_l4_len);
		put16(l4 + UDP_CSUM_OFF, 0);
	}
	sum = tern_afp_csum_add(sum, l4, l4_len); /* even: 20..60 or 8 bytes */
	sum = tern_afp_csum_add(sum, g->payload + first, plen);
	c = csum_final(sum);
	memcpy(l4 + (g->l4_proto == IPPROTO_TCP ? TCP_CSUM_OFF : UDP_CSUM_OFF), &c, 2);

	*payload = g->payload + first;
	*payload_len = plen;
	return g->hdr_len;
}
