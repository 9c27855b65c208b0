/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * checksum.h - the Internet checksum (RFC 1071) and its incremental update
 * (RFC 1624).
 *
 * RFC 1071 2(B): the one's complement sum does not depend on byte order, so
 * 16-bit words are loaded in host order and the folded result is stored back
 * as it is: it lands in the packet in network order. Every value passed in
 * or out here is a checksum field or a 16-bit word of the packet exactly as
 * memcpy'd from it, never converted with ntohs.
 */
#ifndef ECHO_CHECKSUM_H
#define ECHO_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Add len bytes to a running 32-bit one's complement sum (not yet folded). */
static inline uint64_t csum_add(uint64_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t w32;
	uint16_t w16;

	/* RFC 1071 4.1: sum in a wider accumulator, fold the carries at the end. */
	for (; len >= 4; p += 4, len -= 4) {
		memcpy(&w32, p, 4);
		sum += w32;
	}
	if (len >= 2) {
		memcpy(&w16, p, 2);
		sum += w16;
		p += 2;
		len -= 2;
	}
	if (len) {
		/* An odd last byte is padded with a zero byte on its right (RFC 1071 1). */
		uint8_t last[2] = {p[0], 0};

		memcpy(&w16, last, 2);
		sum += w16;
	}
	return sum;
}

/* Fold a running sum to 16 bits (the one's complement sum, not yet inverted). */
static inline uint16_t csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* The checksum field value for data whose checksum field holds 0. */
static inline uint16_t csum_finish(uint64_t sum)
{
	return (uint16_t)~csum_fold(sum);
}

/* True if data, checksum field included, sums to all ones: it verifies. */
static inline int csum_ok(uint64_t sum)
{
	return csum_fold(sum) == 0xffff;
}

/*
 * RFC 768 / RFC 793: the pseudo-header of source and destination address,
 * protocol and transport length, as a running sum to add the segment to.
 */
static inline uint64_t csum_pseudo(const uint8_t src[4], const uint8_t dst[4], uint8_t proto,
                                   uint16_t l4_len)
{
	uint8_t ph[12];

	memcpy(ph, src, 4);
	memcpy(ph + 4, dst, 4);
	ph[8] = 0;
	ph[9] = proto;
	ph[10] = (uint8_t)(l4_len >> 8);
	ph[11] = (uint8_t)l4_len;
	return csum_add(0, ph, sizeof(ph));
}

/*
 * RFC 1624 3, equation 3: the new checksum HC' when one 16-bit word m of the
 * covered data becomes m':  HC' = ~(~HC + ~m + m').
 * (Equation 3 rather than RFC 1141's ~HC form avoids the -0 / +0 trap that
 * RFC 1624 2 describes.)
 */
static inline uint16_t csum_update16(uint16_t hc, uint16_t m, uint16_t m_new)
{
	uint64_t sum = (uint16_t)~hc;

	sum += (uint16_t)~m;
	sum += m_new;
	return (uint16_t)~csum_fold(sum);
}

#endif /* ECHO_CHECKSUM_H */
