/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_test.c - echo_classify() on randomly damaged frames: valid frames of
 * every kind with a few bytes flipped and/or cut short. Whatever comes in,
 * the verdict is one of the six, the reason matches the verdict, and when
 * the verdict is "answer", the rewritten frame's checksums all verify: bad
 * input is dropped, never answered with garbage. Each frame sits in a heap
 * buffer of exactly its length (for AddressSanitizer builds).
 */
#include <stdlib.h>

#include <criterion/criterion.h>

#include "frames.h"

#define ROUNDS 200000

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	/* xorshift64*: reproducible, no libc state. */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545f4914f6cdd1dull) >> 32);
}

static size_t seed_frame(uint8_t *f, unsigned which)
{
	static const uint8_t data[1500] = {0x55, 0xaa};
	uint16_t len = (uint16_t)(rnd() % 200);

	memset(f, 0, 2048);
	switch (which % 6) {
	case 0:
		return build_arp(f, 1, us_ip);
	case 1:
		return build_arp(f, 2, us_ip);
	case 2:
		return build_icmp_echo(f, data, len);
	case 3:
		return build_udp(f, (uint16_t)(1000 + rnd() % 1000), 7, data, len);
	case 4:
		return build_tcp(f, 7, data, len);
	default:
		return build_udp(f, 5000, 7, data, 1472);
	}
}

Test(fuzz, damaged_frames_are_never_answered_with_garbage)
{
	struct echo_host host = test_host();
	static uint8_t f[4096]; /* room for the longest frame plus 600 trailing bytes */
	unsigned answered = 0, dropped = 0;

	for (unsigned round = 0; round < ROUNDS; round++) {
		size_t n = seed_frame(f, round);
		unsigned flips = rnd() % 4;

		for (unsigned i = 0; i < flips; i++)
			f[rnd() % n] ^= (uint8_t)(1u << (rnd() % 8));
		if (rnd() % 4 == 0)
			n = rnd() % (n + 1);
		else if (rnd() % 8 == 0)
			n += rnd() % 600; /* trailing bytes: padding, or a giant */

		uint8_t *buf = malloc(n ? n : 1);

		cr_assert_not_null(buf);
		memcpy(buf, f, n);
		struct echo_class c = echo_classify(buf, (uint32_t)n, &host);

		switch (c.verdict) {
		case ECHO_V_DROP:
			cr_assert(c.reason > ECHO_R_NONE && c.reason < ECHO_R_DROP_END,
			          "round %u: drop reason %d", round, c.reason);
			dropped++;
			break;
		case ECHO_V_IGNORE:
			cr_assert(c.reason > ECHO_R_IGNORE_FIRST && c.reason < ECHO_R_COUNT,
			          "round %u: ignore reason %d", round, c.reason);
			break;
		case ECHO_V_STACK:
			cr_assert_eq(c.reason, ECHO_R_NONE);
			break;
		case ECHO_V_ARP_REPLY:
			cr_assert_geq(n, 42);
			echo_reply_arp(buf, &c, &host);
			cr_assert_arr_eq(buf + 6, us_mac, 6);
			cr_assert_eq(get16(buf + 20), 2);
			answered++;
			break;
		case ECHO_V_ICMP_ECHO:
		case ECHO_V_UDP_ECHO: {
			const uint8_t *ip = buf + 14, *l4 = ip + 20;
			uint16_t l4_len;

			cr_assert_eq(c.reason, ECHO_R_NONE);
			if (c.verdict == ECHO_V_ICMP_ECHO)
				echo_reply_icmp(buf, &c, &host);
			else
				echo_reply_udp(buf, &c, &host);
			l4_len = (uint16_t)(get16(ip + 2) - 20);
			cr_assert_leq(14 + 20 + (size_t)l4_len, n);
			cr_assert_eq(ref_csum(0, ip, 20), 0, "round %u: IPv4 checksum", round);
			if (ip[9] == 1)
				cr_assert_eq(ref_csum(0, l4, l4_len), 0, "round %u: ICMP", round);
			else if (get16(l4 + 6) != 0)
				cr_assert_eq(
				    ref_csum(ref_pseudo(ip + 12, ip + 16, 17, l4_len), l4, l4_len),
				    0, "round %u: UDP checksum", round);
			answered++;
			break;
		}
		default:
			cr_assert_fail("round %u: verdict %d", round, c.verdict);
		}
		free(buf);
	}
	/* Both sides exercised, not just one. */
	cr_expect_gt(answered, ROUNDS / 20);
	cr_expect_gt(dropped, ROUNDS / 20);
}
