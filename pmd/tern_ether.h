/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tern_ether.h - Ethernet addresses and the Ethernet header.
 */
#ifndef TERN_ETHER_H
#define TERN_ETHER_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TERN_ETHER_ADDR_LEN 6
#define TERN_ETHER_HDR_LEN  14
#define TERN_ETHER_CRC_LEN  4
#define TERN_ETHER_MIN_LEN  64   /* with CRC */
#define TERN_ETHER_MAX_LEN  1518 /* with CRC, no VLAN tag */
#define TERN_ETHER_MTU      1500

#define TERN_ETHER_TYPE_IPV4 0x0800
#define TERN_ETHER_TYPE_ARP  0x0806
#define TERN_ETHER_TYPE_VLAN 0x8100
#define TERN_ETHER_TYPE_IPV6 0x86dd

struct tern_ether_addr {
	uint8_t addr[TERN_ETHER_ADDR_LEN];
} __attribute__((packed, aligned(2)));

struct tern_ether_hdr {
	struct tern_ether_addr dst;
	struct tern_ether_addr src;
	uint16_t ether_type; /* network byte order */
} __attribute__((packed, aligned(2)));

/* Room for "xx:xx:xx:xx:xx:xx" and its NUL. */
#define TERN_ETHER_ADDR_FMT_SIZE 18

static inline void tern_ether_addr_format(char *buf, const struct tern_ether_addr *ea)
{
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < TERN_ETHER_ADDR_LEN; i++) {
		buf[3 * i] = hex[ea->addr[i] >> 4];
		buf[3 * i + 1] = hex[ea->addr[i] & 0xf];
		buf[3 * i + 2] = i == TERN_ETHER_ADDR_LEN - 1 ? '\0' : ':';
	}
}

/* Parse "xx:xx:xx:xx:xx:xx" (hex, either case). Returns 0 or -EINVAL. */
int tern_ether_addr_parse(const char *s, struct tern_ether_addr *ea);

static inline bool tern_ether_addr_eq(const struct tern_ether_addr *a,
                                      const struct tern_ether_addr *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

static inline bool tern_ether_addr_is_multicast(const struct tern_ether_addr *ea)
{
	return ea->addr[0] & 0x01;
}

/* A locally administered unicast address derived from a number (for software ports). */
static inline void tern_ether_addr_local(struct tern_ether_addr *ea, uint32_t n)
{
	ea->addr[0] = 0x02; /* locally administered, unicast */
	ea->addr[1] = 0x74; /* 't' */
	ea->addr[2] = (uint8_t)(n >> 24);
	ea->addr[3] = (uint8_t)(n >> 16);
	ea->addr[4] = (uint8_t)(n >> 8);
	ea->addr[5] = (uint8_t)n;
}

#ifdef __cplusplus
}
#endif

#endif /* TERN_ETHER_H */
