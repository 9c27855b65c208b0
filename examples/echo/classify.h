/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * classify.h - what tern-echo does with one frame, decided from its bytes
 * alone; and the in-place rewriters that turn a request into its answer.
 *
 * classify() is a pure function of (frame, length, host): it reads no more
 * than `len` bytes, writes nothing, keeps no state, so it can be unit-tested
 * and fuzzed on its own. Every frame gets exactly one verdict; a frame that
 * is dropped or ignored also gets the reason, which the app counts.
 */
#ifndef ECHO_CLASSIFY_H
#define ECHO_CLASSIFY_H

#include <stdbool.h>
#include <stdint.h>

#include <tern_ether.h>

/* RFC 862: the echo service's well-known port, for TCP and UDP. */
#define ECHO_PORT 7

/* An 802.1Q tag adds 4 bytes between the source address and the ethertype. */
#define VLAN_TAG_LEN 4
/* Largest frame without CRC: a 1500-byte MTU and the Ethernet header (+ a tag). */
#define ECHO_MAX_FRAME      (TERN_ETHER_MTU + TERN_ETHER_HDR_LEN)
#define ECHO_MAX_FRAME_VLAN (ECHO_MAX_FRAME + VLAN_TAG_LEN)

/* Who we are: the address tern-echo answers for (--ip) and its port's MAC. */
struct echo_host {
	uint8_t mac[6];
	uint8_t ip[4];   /* network order */
	uint8_t mask[4]; /* from the prefix length, network order */
};

enum echo_verdict {
	ECHO_V_ARP_REPLY, /* an ARP request for our address: answer it in place */
	ECHO_V_ICMP_ECHO, /* an ICMP echo request to us: answer it in place */
	ECHO_V_UDP_ECHO,  /* a UDP datagram to our port 7: echo it in place */
	ECHO_V_STACK,     /* TCP to us, an ARP reply to us, a gratuitous ARP: for lwIP */
	ECHO_V_IGNORE,    /* well formed, but not ours to answer (reason says why) */
	ECHO_V_DROP,      /* malformed (reason says how) */
};

/* The kind of traffic, for the per-kind in/out counters. */
enum echo_kind {
	ECHO_KIND_ARP,
	ECHO_KIND_ICMP,
	ECHO_KIND_UDP,
	ECHO_KIND_TCP,
	ECHO_KIND_OTHER,
	ECHO_KIND_COUNT,
};

/*
 * Why a frame is dropped (malformed) or ignored. The X-macro keeps the
 * names printed at exit and in --json next to the values. A "runt" is a
 * frame shorter than the Ethernet header plus what its ethertype needs:
 * the ARP packet, or an IPv4 header without options.
 */
#define ECHO_DROP_REASONS(X)                                                                       \
	X(RUNT_ETH, "runt_eth")                   /* < 14 bytes: no whole Ethernet header */       \
	X(RUNT_ARP, "runt_arp")                   /* ARP frame < 14 + 28 bytes */                  \
	X(RUNT_IPV4, "runt_ipv4")                 /* IPv4 frame < 14 + 20 bytes */                 \
	X(GIANT, "giant")                         /* > 1514 bytes (1518 with a VLAN tag) */        \
	X(ETH_SRC_MULTICAST, "eth_src_multicast") /* a group address as the source */              \
	X(ARP_BAD_FORMAT, "arp_bad_format")       /* not Ethernet/IPv4 with 6/4-byte addresses */  \
	X(ARP_BAD_OP, "arp_bad_op")               /* neither request nor reply */                  \
	X(ARP_BAD_SENDER, "arp_bad_sender")       /* sender address we must not answer */          \
	X(IP_BAD_VERSION, "ip_bad_version")       /* version != 4 */                               \
	X(IP_BAD_IHL, "ip_bad_ihl")               /* IHL < 5 */                                    \
	X(IP_OPTIONS, "ip_options")               /* IHL > 5 */                                    \
	X(IP_LEN_SHORT, "ip_len_short")           /* total length < header length */               \
	X(IP_TRUNCATED, "ip_truncated")           /* total length > the frame */                   \
	X(IP_BAD_CSUM, "ip_bad_csum")                                                              \
	X(IP_FRAGMENT, "ip_fragment")       /* MF set or offset != 0 */                            \
	X(IP_BAD_SRC, "ip_bad_src")         /* 0, broadcast, multicast, loopback, ours */          \
	X(ICMP_TRUNCATED, "icmp_truncated") /* < 8 bytes */                                        \
	X(ICMP_BAD_CSUM, "icmp_bad_csum")                                                          \
	X(UDP_TRUNCATED, "udp_truncated") /* < 8 bytes */                                          \
	X(UDP_BAD_LEN, "udp_bad_len")     /* length field != the IP payload */                     \
	X(UDP_BAD_CSUM, "udp_bad_csum")                                                            \
	X(UDP_BAD_SPORT, "udp_bad_sport")   /* 0, or a small service's port: 7 9 13 17 19 37 */    \
	X(TCP_TRUNCATED, "tcp_truncated")   /* < 20 bytes */                                       \
	X(TCP_BAD_OFFSET, "tcp_bad_offset") /* data offset < 5 or past the segment */              \
	X(TCP_BAD_CSUM, "tcp_bad_csum")

#define ECHO_IGNORE_REASONS(X)                                                                     \
	X(NOT_FOR_US, "not_for_us")       /* another MAC or IPv4 address */                        \
	X(ETHERTYPE, "ethertype")         /* not ARP or IPv4 (IPv6, VLAN, ...) */                  \
	X(IP_PROTO, "ip_proto")           /* not ICMP, UDP or TCP */                               \
	X(ICMP_NOT_ECHO, "icmp_not_echo") /* an ICMP message other than echo request */            \
	X(UDP_NOT_ECHO, "udp_not_echo")   /* a UDP port other than 7 */                            \
	X(ARP_CONFLICT, "arp_conflict")   /* another MAC claims our address (RFC 5227 2.4) */

#define ECHO_REASON_ENUM(id, name) ECHO_R_##id,
enum echo_reason {
	ECHO_R_NONE,
	ECHO_DROP_REASONS(ECHO_REASON_ENUM) ECHO_R_DROP_END,
	ECHO_R_IGNORE_FIRST = ECHO_R_DROP_END,
	ECHO_IGNORE_REASONS(ECHO_REASON_ENUM) ECHO_R_COUNT,
};
#undef ECHO_REASON_ENUM

/* "runt_eth", ... ; "" for ECHO_R_NONE or an out-of-range value. */
const char *echo_reason_name(enum echo_reason r);
/* "arp", "icmp", "udp", "tcp", "other". */
const char *echo_kind_name(enum echo_kind k);

struct echo_class {
	enum echo_verdict verdict;
	enum echo_reason reason; /* ECHO_R_NONE unless IGNORE or DROP */
	enum echo_kind kind;
	uint16_t l3_off; /* where the ARP packet or IPv4 header starts */
	uint16_t l4_off; /* IPv4: where the ICMP/UDP/TCP header starts */
	uint16_t l4_len; /* IPv4: bytes of ICMP/UDP/TCP, from the IPv4 total length */
};

/* Decide what to do with the `len` bytes of a frame (no CRC) at `frame`. */
struct echo_class echo_classify(const uint8_t *frame, uint32_t len, const struct echo_host *host);

/*
 * The rewriters: each turns a frame that echo_classify() gave the matching
 * verdict into its answer, in the same buffer, with the same length, fixing
 * the checksums incrementally (RFC 1624). Calling one on any other frame is
 * a bug.
 */
void echo_reply_arp(uint8_t *frame, const struct echo_class *c, const struct echo_host *host);
void echo_reply_icmp(uint8_t *frame, const struct echo_class *c, const struct echo_host *host);
void echo_reply_udp(uint8_t *frame, const struct echo_class *c, const struct echo_host *host);
/* An ARP frame classified IGNORE/ARP_CONFLICT becomes our announcement (RFC 5227 2.3). */
void echo_announce_arp(uint8_t *frame, const struct echo_class *c, const struct echo_host *host);

/* Mask for a prefix length 0-32, in network order. */
void echo_prefix_mask(unsigned prefix, uint8_t mask[4]);

#endif /* ECHO_CLASSIFY_H */
