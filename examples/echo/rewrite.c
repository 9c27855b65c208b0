/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rewrite.c - turn a request into its answer in the buffer it came in:
 * no copy, the same length, checksums fixed incrementally (RFC 1624).
 *
 * Swapping the two IPv4 addresses, or the two UDP ports, changes neither
 * the IPv4 header checksum nor the UDP checksum: one's complement addition
 * is commutative and both words stay in the sum. What does change is fixed
 * word by word with csum_update16().
 */
#include <string.h>

#include "checksum.h"
#include "classify.h"
#include "proto.h"

/* Answer from our MAC to the sender's: the request's source becomes the destination. */
static void reply_ether(uint8_t *f, const struct echo_host *h)
{
	memcpy(f, f + 6, 6);
	memcpy(f + 6, h->mac, 6);
}

/*
 * Swap the addresses and start the reply with a fresh TTL: TTL shares a
 * 16-bit word with the protocol field (RFC 791 3.1), so that word is the m
 * of RFC 1624 for the header checksum.
 */
static void reply_ipv4(uint8_t *f, const struct echo_class *c)
{
	struct ipv4_hdr *ip = (struct ipv4_hdr *)(f + c->l3_off);
	uint8_t tmp[4];
	uint16_t old_w, new_w, csum;

	memcpy(tmp, ip->src, 4);
	memcpy(ip->src, ip->dst, 4);
	memcpy(ip->dst, tmp, 4);

	memcpy(&old_w, &ip->ttl, 2);
	ip->ttl = IPV4_DEFAULT_TTL;
	memcpy(&new_w, &ip->ttl, 2);
	memcpy(&csum, &ip->csum, 2);
	csum = csum_update16(csum, old_w, new_w);
	memcpy(&ip->csum, &csum, 2);
}

void echo_reply_arp(uint8_t *f, const struct echo_class *c, const struct echo_host *h)
{
	struct arp_hdr *a = (struct arp_hdr *)(f + c->l3_off);

	/*
	 * RFC 826 "Packet Reception": swap hardware and protocol fields, put
	 * our addresses in the sender fields, set the opcode to reply, and send
	 * it to the hardware address the request came from.
	 */
	memcpy(a->tha, a->sha, 6);
	memcpy(a->tpa, a->spa, 4);
	memcpy(a->sha, h->mac, 6);
	memcpy(a->spa, h->ip, 4);
	a->op = htobe16(ARP_OP_REPLY);
	memcpy(f, a->tha, 6);
	memcpy(f + 6, h->mac, 6);
}

void echo_announce_arp(uint8_t *f, const struct echo_class *c, const struct echo_host *h)
{
	struct arp_hdr *a = (struct arp_hdr *)(f + c->l3_off);

	/*
	 * RFC 5227 2.3 "ARP Announcement": a broadcast request whose sender
	 * and target IP are both ours, target MAC zero; it makes every host
	 * that cached the other claimant's MAC for our address take ours again.
	 */
	memset(f, 0xff, 6);
	memcpy(f + 6, h->mac, 6);
	a->op = htobe16(ARP_OP_REQUEST);
	memcpy(a->sha, h->mac, 6);
	memcpy(a->spa, h->ip, 4);
	memset(a->tha, 0, 6);
	memcpy(a->tpa, h->ip, 4);
}

void echo_reply_icmp(uint8_t *f, const struct echo_class *c, const struct echo_host *h)
{
	struct icmp_echo_hdr *ic = (struct icmp_echo_hdr *)(f + c->l4_off);
	uint16_t old_w, new_w, csum;

	reply_ether(f, h);
	reply_ipv4(f, c);
	/*
	 * RFC 792 "Echo or Echo Reply Message": the reply is the request with
	 * the addresses reversed and the type set to 0; identifier, sequence
	 * number and data are returned unchanged. Type and code form one word.
	 */
	memcpy(&old_w, &ic->type, 2);
	ic->type = ICMP_ECHO_REPLY;
	memcpy(&new_w, &ic->type, 2);
	memcpy(&csum, &ic->csum, 2);
	csum = csum_update16(csum, old_w, new_w);
	memcpy(&ic->csum, &csum, 2);
}

void echo_reply_udp(uint8_t *f, const struct echo_class *c, const struct echo_host *h)
{
	struct udp_hdr *u = (struct udp_hdr *)(f + c->l4_off);
	uint16_t port;

	reply_ether(f, h);
	reply_ipv4(f, c);
	/*
	 * RFC 862: send back the data received. The ports swap; the pseudo
	 * header's addresses swapped above; neither moves the checksum (see the
	 * top of this file), and a zero checksum stays "none" (RFC 768).
	 */
	port = u->sport;
	u->sport = u->dport;
	u->dport = port;
}
