/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * classify.c - echo_classify(): one frame's verdict from its bytes alone.
 *
 * Checks run outside in: the Ethernet header, then ARP or the IPv4 header,
 * then the ICMP/UDP/TCP header, so that the reason counted is the first
 * thing wrong with the frame. Every read is bounded by a length checked
 * just before it; the frame is never written.
 */
#include <string.h>

#include "checksum.h"
#include "classify.h"
#include "proto.h"

static const char *const reason_names[ECHO_R_COUNT] = {
#define ECHO_REASON_NAME(id, name) [ECHO_R_##id] = (name),
    ECHO_DROP_REASONS(ECHO_REASON_NAME) ECHO_IGNORE_REASONS(ECHO_REASON_NAME)
#undef ECHO_REASON_NAME
};

const char *echo_reason_name(enum echo_reason r)
{
	if (r <= ECHO_R_NONE || r >= ECHO_R_COUNT || reason_names[r] == NULL)
		return "";
	return reason_names[r];
}

const char *echo_kind_name(enum echo_kind k)
{
	static const char *const names[ECHO_KIND_COUNT] = {"arp", "icmp", "udp", "tcp", "other"};

	return (unsigned)k < ECHO_KIND_COUNT ? names[k] : "";
}

void echo_prefix_mask(unsigned prefix, uint8_t mask[4])
{
	uint32_t m = prefix == 0 ? 0 : prefix >= 32 ? UINT32_MAX : ~(UINT32_MAX >> prefix);

	mask[0] = (uint8_t)(m >> 24);
	mask[1] = (uint8_t)(m >> 16);
	mask[2] = (uint8_t)(m >> 8);
	mask[3] = (uint8_t)m;
}

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static struct echo_class verdict(enum echo_verdict v, enum echo_reason r, enum echo_kind k)
{
	return (struct echo_class){.verdict = v, .reason = r, .kind = k};
}

#define DROP(r, k)   verdict(ECHO_V_DROP, ECHO_R_##r, k)
#define IGNORE(r, k) verdict(ECHO_V_IGNORE, ECHO_R_##r, k)

/*
 * A source address nobody can be answered at (RFC 1122 3.2.1.3 and
 * 3.2.2.6: a reply never goes to a broadcast or multicast address): 0/8,
 * 127/8 loopback, 224/4 multicast and 240/4 (255.255.255.255 included),
 * the directed broadcast of our subnet, or our own address (a reflection).
 */
static bool bad_src(const uint8_t src[4], const struct echo_host *h)
{
	bool directed = true;

	if (src[0] == 0 || src[0] == 127 || src[0] >= 224)
		return true;
	if (memcmp(src, h->ip, 4) == 0)
		return true;
	for (int i = 0; i < 4; i++)
		directed &= (src[i] & h->mask[i]) == (h->ip[i] & h->mask[i]) &&
		            (src[i] | h->mask[i]) == 0xff;
	/* A /31 or /32 has no broadcast address (RFC 3021). */
	return directed && !(h->mask[3] == 0xff || h->mask[3] == 0xfe);
}

static struct echo_class classify_arp(const uint8_t *f, uint32_t len, uint16_t l3,
                                      const struct echo_host *h)
{
	const struct arp_hdr *a;
	uint16_t op;

	if (len < (uint32_t)l3 + ARP_ETHER_IPV4_LEN)
		return DROP(RUNT_ARP, ECHO_KIND_ARP);
	a = (const struct arp_hdr *)(f + l3);
	/* RFC 826: ar$hrd Ethernet, ar$pro IPv4, ar$hln 6, ar$pln 4, or not for us to parse. */
	if (be16toh(a->hrd) != ARP_HRD_ETHER || be16toh(a->pro) != TERN_ETHER_TYPE_IPV4 ||
	    a->hln != 6 || a->pln != 4)
		return DROP(ARP_BAD_FORMAT, ECHO_KIND_ARP);
	op = be16toh(a->op);
	if (op != ARP_OP_REQUEST && op != ARP_OP_REPLY)
		return DROP(ARP_BAD_OP, ECHO_KIND_ARP);
	if (a->sha[0] & 1)
		return DROP(ARP_BAD_SENDER, ECHO_KIND_ARP);
	/*
	 * RFC 5227 2.4: any ARP packet whose sender IP is ours from a MAC that
	 * is not ours is a conflict (a probe reply, an announcement, another
	 * host configured with our address). The app defends the address, no
	 * more than once per DEFEND_INTERVAL. Our own frames, looped back, are
	 * not for us.
	 */
	if (memcmp(a->spa, h->ip, 4) == 0) {
		if (memcmp(a->sha, h->mac, 6) == 0)
			return IGNORE(NOT_FOR_US, ECHO_KIND_ARP);
		struct echo_class c = IGNORE(ARP_CONFLICT, ECHO_KIND_ARP);

		c.l3_off = l3;
		return c;
	}
	/* RFC 826 "Packet Reception": only a packet whose target is us is answered. */
	if (memcmp(a->tpa, h->ip, 4) != 0) {
		/*
		 * A gratuitous ARP (RFC 5227 3: sender IP = target IP) from a
		 * neighbour about its own address: lwIP refreshes the entry it
		 * may have for it (etharp_input only updates entries it already
		 * has for a packet not for us, so this costs it no memory).
		 */
		if (memcmp(a->spa, a->tpa, 4) == 0 && !bad_src(a->spa, h) &&
		    memcmp(a->sha, h->mac, 6) != 0) {
			struct echo_class c = verdict(ECHO_V_STACK, ECHO_R_NONE, ECHO_KIND_ARP);

			c.l3_off = l3;
			return c;
		}
		return IGNORE(NOT_FOR_US, ECHO_KIND_ARP);
	}
	/*
	 * RFC 5227 2.1.1: an ARP probe (a request with sender IP 0.0.0.0) for
	 * our address is answered like any request, so the prober sees the
	 * address is taken; the reply goes to its MAC with target IP 0.0.0.0.
	 */
	if (op == ARP_OP_REQUEST && memcmp(a->spa, "\0\0\0\0", 4) == 0) {
		struct echo_class c = verdict(ECHO_V_ARP_REPLY, ECHO_R_NONE, ECHO_KIND_ARP);

		c.l3_off = l3;
		return c;
	}
	if (bad_src(a->spa, h))
		return DROP(ARP_BAD_SENDER, ECHO_KIND_ARP);
	if (op == ARP_OP_REPLY) {
		/* An answer to lwIP's own request (it resolves the peers it sends TCP to). */
		struct echo_class c = verdict(ECHO_V_STACK, ECHO_R_NONE, ECHO_KIND_ARP);

		c.l3_off = l3;
		return c;
	}
	struct echo_class c = verdict(ECHO_V_ARP_REPLY, ECHO_R_NONE, ECHO_KIND_ARP);

	c.l3_off = l3;
	return c;
}

static struct echo_class classify_icmp(const uint8_t *l4, uint16_t l4_len)
{
	const struct icmp_echo_hdr *ic = (const struct icmp_echo_hdr *)l4;

	if (l4_len < ICMP_HDR_LEN)
		return DROP(ICMP_TRUNCATED, ECHO_KIND_ICMP);
	/* RFC 792: the checksum covers the ICMP message, type through data. */
	if (!csum_ok(csum_add(0, l4, l4_len)))
		return DROP(ICMP_BAD_CSUM, ECHO_KIND_ICMP);
	if (ic->type != ICMP_ECHO_REQUEST || ic->code != 0)
		return IGNORE(ICMP_NOT_ECHO, ECHO_KIND_ICMP);
	return verdict(ECHO_V_ICMP_ECHO, ECHO_R_NONE, ECHO_KIND_ICMP);
}

static struct echo_class classify_udp(const struct ipv4_hdr *ip, const uint8_t *l4, uint16_t l4_len)
{
	const struct udp_hdr *u = (const struct udp_hdr *)l4;
	uint16_t sport;

	if (l4_len < UDP_HDR_LEN)
		return DROP(UDP_TRUNCATED, ECHO_KIND_UDP);
	/*
	 * RFC 768: the length counts header and data. One that disagrees with
	 * the IPv4 payload is refused: an echo of it would need a length fix
	 * too, and it is what a crafted or corrupted datagram looks like.
	 */
	if (be16toh(u->len) != l4_len)
		return DROP(UDP_BAD_LEN, ECHO_KIND_UDP);
	/* RFC 768: an all-zero checksum field means the sender computed none. */
	if (u->csum != 0 &&
	    !csum_ok(csum_add(csum_pseudo(ip->src, ip->dst, IPPROTO_UDP_, l4_len), l4, l4_len)))
		return DROP(UDP_BAD_CSUM, ECHO_KIND_UDP);
	if (be16toh(u->dport) != ECHO_PORT)
		return IGNORE(UDP_NOT_ECHO, ECHO_KIND_UDP);
	/*
	 * Port 0: "no reply expected" (RFC 768). The small services answer
	 * whatever reaches them, so an echo to one of them loops for as long
	 * as both run: echo (7, RFC 862), discard (9, RFC 863: harmless, but
	 * never a client), daytime (13, RFC 867), quote of the day (17, RFC
	 * 865), chargen (19, RFC 864), time (37, RFC 868).
	 */
	sport = be16toh(u->sport);
	if (sport == 0 || sport == ECHO_PORT || sport == 9 || sport == 13 || sport == 17 ||
	    sport == 19 || sport == 37)
		return DROP(UDP_BAD_SPORT, ECHO_KIND_UDP);
	return verdict(ECHO_V_UDP_ECHO, ECHO_R_NONE, ECHO_KIND_UDP);
}

static struct echo_class classify_tcp(const struct ipv4_hdr *ip, const uint8_t *l4, uint16_t l4_len)
{
	const struct tcp_hdr *t = (const struct tcp_hdr *)l4;
	unsigned off;

	if (l4_len < TCP_MIN_HDR_LEN)
		return DROP(TCP_TRUNCATED, ECHO_KIND_TCP);
	off = (unsigned)(t->off >> 4) * 4;
	if (off < TCP_MIN_HDR_LEN || off > l4_len)
		return DROP(TCP_BAD_OFFSET, ECHO_KIND_TCP);
	/* RFC 793 3.1: the checksum covers a pseudo-header, the header and the data. */
	if (!csum_ok(csum_add(csum_pseudo(ip->src, ip->dst, IPPROTO_TCP_, l4_len), l4, l4_len)))
		return DROP(TCP_BAD_CSUM, ECHO_KIND_TCP);
	return verdict(ECHO_V_STACK, ECHO_R_NONE, ECHO_KIND_TCP);
}

static struct echo_class classify_ipv4(const uint8_t *f, uint32_t len, uint16_t l3,
                                       const struct echo_host *h)
{
	const struct ipv4_hdr *ip;
	unsigned ihl, hlen, total;
	struct echo_class c;
	const uint8_t *l4;
	uint16_t l4_len;
	enum echo_kind k;

	if (len < (uint32_t)l3 + IPV4_HDR_LEN)
		return DROP(RUNT_IPV4, ECHO_KIND_OTHER);
	ip = (const struct ipv4_hdr *)(f + l3);
	k = ip->proto == IPPROTO_ICMP_  ? ECHO_KIND_ICMP
	    : ip->proto == IPPROTO_UDP_ ? ECHO_KIND_UDP
	    : ip->proto == IPPROTO_TCP_ ? ECHO_KIND_TCP
	                                : ECHO_KIND_OTHER;
	/* RFC 791 3.1: version 4; IHL in 32-bit words, at least 5. */
	if (ip->ver_ihl >> 4 != IPV4_VERSION)
		return DROP(IP_BAD_VERSION, k);
	ihl = ip->ver_ihl & 0xf;
	if (ihl < IPV4_MIN_IHL)
		return DROP(IP_BAD_IHL, k);
	/*
	 * Options are refused rather than parsed: an echo would have to reverse
	 * a source route (RFC 1122 3.2.2.6), and nothing tern-echo serves needs
	 * them.
	 */
	if (ihl > IPV4_MIN_IHL)
		return DROP(IP_OPTIONS, k);
	hlen = ihl * 4;
	total = be16toh(ip->total_len);
	if (total < hlen)
		return DROP(IP_LEN_SHORT, k);
	/* Bytes past total_len are Ethernet padding (a 60-byte minimum frame). */
	if (total > len - l3)
		return DROP(IP_TRUNCATED, k);
	/* RFC 791 3.1: the header checksum covers the header only. */
	if (!csum_ok(csum_add(0, ip, hlen)))
		return DROP(IP_BAD_CSUM, k);
	/* No reassembly: a fragment (MF, or an offset) is dropped whole. */
	if (be16toh(ip->frag) & (IPV4_FLAG_MF | IPV4_OFFSET_MASK))
		return DROP(IP_FRAGMENT, k);
	if (memcmp(ip->dst, h->ip, 4) != 0)
		return IGNORE(NOT_FOR_US, k);
	if (bad_src(ip->src, h))
		return DROP(IP_BAD_SRC, k);

	l4 = f + l3 + hlen;
	l4_len = (uint16_t)(total - hlen);
	switch (ip->proto) {
	case IPPROTO_ICMP_:
		c = classify_icmp(l4, l4_len);
		break;
	case IPPROTO_UDP_:
		c = classify_udp(ip, l4, l4_len);
		break;
	case IPPROTO_TCP_:
		c = classify_tcp(ip, l4, l4_len);
		break;
	default:
		return IGNORE(IP_PROTO, k);
	}
	c.l3_off = l3;
	c.l4_off = (uint16_t)(l3 + hlen);
	c.l4_len = l4_len;
	return c;
}

struct echo_class echo_classify(const uint8_t *f, uint32_t len, const struct echo_host *h)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	const uint8_t *dst = f, *src = f + 6;
	uint16_t type;

	if (len < TERN_ETHER_HDR_LEN)
		return DROP(RUNT_ETH, ECHO_KIND_OTHER);
	type = rd16(f + 12);
	if (len > (type == TERN_ETHER_TYPE_VLAN ? ECHO_MAX_FRAME_VLAN : ECHO_MAX_FRAME))
		return DROP(GIANT, ECHO_KIND_OTHER);
	/* IEEE 802.3: the I/G bit (first bit on the wire) of a source is always 0. */
	if (src[0] & 1)
		return DROP(ETH_SRC_MULTICAST, ECHO_KIND_OTHER);

	switch (type) {
	case TERN_ETHER_TYPE_ARP:
		if (memcmp(dst, h->mac, 6) != 0 && memcmp(dst, bcast, 6) != 0)
			return IGNORE(NOT_FOR_US, ECHO_KIND_ARP);
		return classify_arp(f, len, TERN_ETHER_HDR_LEN, h);
	case TERN_ETHER_TYPE_IPV4:
		if (memcmp(dst, h->mac, 6) != 0)
			return IGNORE(NOT_FOR_US, ECHO_KIND_OTHER);
		return classify_ipv4(f, len, TERN_ETHER_HDR_LEN, h);
	default:
		return IGNORE(ETHERTYPE, ECHO_KIND_OTHER);
	}
}
