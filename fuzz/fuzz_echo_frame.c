/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_echo_frame.c - tern-echo's frame classification and in-place replies
 * (examples/echo/classify.c, rewrite.c) on arbitrary bytes.
 *
 * The frame sits in a heap buffer of exactly its length, so ASan sees any
 * read (classify) or write (rewrite) past its end. What must hold:
 *   - one verdict of the six; a reason exactly when it is IGNORE or DROP,
 *     from the matching list; a kind within range;
 *   - for an answer, the offsets the rewriter uses lie inside the frame;
 *   - the answer's checksums verify (IPv4 header; ICMP; UDP unless zero),
 *     checked with a plain RFC 1071 sum that shares no code with the app,
 *     and it goes back to the sender's MAC from ours.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct echo_host host = {
    .mac = {0x02, 0x74, 0, 0, 0, 1},
    .ip = {10, 1, 2, 2},
    .mask = {255, 255, 255, 0},
};

/* RFC 1071 over bytes, big-endian words, folded at the end; 0xffff means "verifies". */
static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static void check_answer(const uint8_t *f, uint32_t len, const struct echo_class *c,
                         const uint8_t *req_src)
{
	/* Ethernet: to the requester, from us. */
	if (memcmp(f, req_src, 6) != 0 || memcmp(f + 6, host.mac, 6) != 0)
		__builtin_trap();
	if (c->verdict == ECHO_V_ARP_REPLY)
		return;
	if ((uint32_t)c->l4_off + c->l4_len > len || c->l4_off < c->l3_off + 20u)
		__builtin_trap();
	const uint8_t *ip = f + c->l3_off;
	const uint8_t *l4 = f + c->l4_off;

	if (fold(sum16(0, ip, (size_t)(c->l4_off - c->l3_off))) != 0xffff)
		__builtin_trap(); /* IPv4 header checksum broken by the rewrite */
	if (c->verdict == ECHO_V_ICMP_ECHO) {
		if (l4[0] != 0 || fold(sum16(0, l4, c->l4_len)) != 0xffff)
			__builtin_trap();
	} else if (l4[6] != 0 || l4[7] != 0) {
		/* UDP with a checksum: pseudo header (RFC 768) + datagram. */
		uint32_t s = sum16(0, ip + 12, 8) + 17u + c->l4_len;

		if (fold(sum16(s, l4, c->l4_len)) != 0xffff)
			__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *f, src[6];
	struct echo_class c;
	uint32_t len;

	if (size > 4096)
		return 0;
	len = (uint32_t)size;
	f = malloc(size ? size : 1);
	if (f == NULL)
		return 0;
	memcpy(f, data, size);

	c = echo_classify(f, len, &host);
	if (memcmp(f, data, size) != 0)
		__builtin_trap(); /* classify wrote to the frame */
	if ((unsigned)c.kind >= ECHO_KIND_COUNT)
		__builtin_trap();
	switch (c.verdict) {
	case ECHO_V_ARP_REPLY:
	case ECHO_V_ICMP_ECHO:
	case ECHO_V_UDP_ECHO:
	case ECHO_V_STACK:
		if (c.reason != ECHO_R_NONE)
			__builtin_trap();
		break;
	case ECHO_V_IGNORE:
		if (c.reason < ECHO_R_IGNORE_FIRST || c.reason >= ECHO_R_COUNT)
			__builtin_trap();
		break;
	case ECHO_V_DROP:
		if (c.reason <= ECHO_R_NONE || c.reason >= ECHO_R_DROP_END)
			__builtin_trap();
		break;
	default:
		__builtin_trap();
	}
	if (c.reason != ECHO_R_NONE && echo_reason_name(c.reason)[0] == '\0')
		__builtin_trap();

	if (c.verdict == ECHO_V_ARP_REPLY || c.verdict == ECHO_V_ICMP_ECHO ||
	    c.verdict == ECHO_V_UDP_ECHO) {
		if (len < 14u || c.l3_off < 14u || c.l3_off > len)
			__builtin_trap();
		if (c.verdict == ECHO_V_ARP_REPLY) {
			if (c.l3_off + 28u > len)
				__builtin_trap();
			/* The ARP sender hardware address is who gets the reply. */
			memcpy(src, f + c.l3_off + 8, 6);
			echo_reply_arp(f, &c, &host);
		} else {
			memcpy(src, f + 6, 6);
			if (c.verdict == ECHO_V_ICMP_ECHO)
				echo_reply_icmp(f, &c, &host);
			else
				echo_reply_udp(f, &c, &host);
		}
		check_answer(f, len, &c, src);
	}
	free(f);
	return 0;
}
