/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * proto.h - the wire formats tern-echo reads and rewrites: ARP (RFC 826),
 * IPv4 (RFC 791), ICMP (RFC 792), UDP (RFC 768), TCP (RFC 793).
 *
 * Every multi-byte field is in network byte order, as on the wire. The
 * structs are packed with 2-byte alignment: an IPv4 header starts 14 bytes
 * into the frame, so nothing wider than 16 bits may be assumed aligned.
 */
#ifndef ECHO_PROTO_H
#define ECHO_PROTO_H

#include <endian.h>
#include <stdint.h>

#include <tern_ether.h>

#include "classify.h" /* ECHO_PORT, frame sizes */

/* RFC 826: the ARP packet for Ethernet hardware and IPv4 protocol addresses. */
#define ARP_HRD_ETHER      1 /* ar$hrd: Ethernet (10Mb) */
#define ARP_OP_REQUEST     1 /* ar$op */
#define ARP_OP_REPLY       2
#define ARP_ETHER_IPV4_LEN 28 /* 8 fixed bytes + 2 * (6 + 4) addresses */

struct arp_hdr {
	uint16_t hrd; /* hardware address space */
	uint16_t pro; /* protocol address space: an ethertype */
	uint8_t hln;  /* bytes of a hardware address: 6 */
	uint8_t pln;  /* bytes of a protocol address: 4 */
	uint16_t op;
	uint8_t sha[6]; /* sender hardware address */
	uint8_t spa[4]; /* sender protocol address */
	uint8_t tha[6]; /* target hardware address */
	uint8_t tpa[4]; /* target protocol address */
} __attribute__((packed, aligned(2)));

/* RFC 791 3.1: the Internet header. */
#define IPV4_VERSION     4
#define IPV4_MIN_IHL     5 /* 32-bit words: a header without options */
#define IPV4_HDR_LEN     20
#define IPV4_FLAG_MF     0x2000 /* more fragments */
#define IPV4_OFFSET_MASK 0x1fff /* fragment offset, in 8-byte units */
#define IPV4_DEFAULT_TTL 64     /* RFC 1700's recommended default */

#define IPPROTO_ICMP_ 1 /* trailing _: netinet/in.h may define the plain names */
#define IPPROTO_TCP_  6
#define IPPROTO_UDP_  17

struct ipv4_hdr {
	uint8_t ver_ihl; /* version (high nibble) and header length in words */
	uint8_t tos;
	uint16_t total_len; /* header and data, bytes */
	uint16_t id;
	uint16_t frag; /* flags (3 bits) and fragment offset */
	uint8_t ttl;
	uint8_t proto;
	uint16_t csum;
	uint8_t src[4];
	uint8_t dst[4];
} __attribute__((packed, aligned(2)));

/* RFC 792: echo and echo reply messages. */
#define ICMP_ECHO_REPLY   0
#define ICMP_ECHO_REQUEST 8
#define ICMP_HDR_LEN      8

struct icmp_echo_hdr {
	uint8_t type;
	uint8_t code;
	uint16_t csum;
	uint16_t id;
	uint16_t seq;
} __attribute__((packed, aligned(2)));

/* RFC 768. */
#define UDP_HDR_LEN 8

struct udp_hdr {
	uint16_t sport;
	uint16_t dport;
	uint16_t len;  /* header and data, bytes */
	uint16_t csum; /* 0: the sender computed none */
} __attribute__((packed, aligned(2)));

/* RFC 793 3.1: only the fields tern-echo looks at; lwIP parses the rest. */
#define TCP_MIN_HDR_LEN 20

struct tcp_hdr {
	uint16_t sport;
	uint16_t dport;
	uint32_t seq;
	uint32_t ack;
	uint8_t off; /* data offset in 32-bit words (high nibble) */
	uint8_t flags;
	uint16_t wnd;
	uint16_t csum;
	uint16_t urp;
} __attribute__((packed, aligned(2)));

#endif /* ECHO_PROTO_H */
