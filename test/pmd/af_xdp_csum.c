/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * af_xdp_csum.c - axp_csum_fix(), the completion of the partial TCP/UDP
 * checksums a veth peer hands XDP: IPv4 and IPv6, TCP and UDP, behind
 * 0-2 VLAN tags; the result checked by an independent RFC 1071 sum. Frames
 * not in the partial state are left byte for byte; every truncation of a
 * frame is read only inside its length (each is a buffer of exactly that
 * size: ASan builds see any overread).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "af_xdp.h"

enum { V4, V6 };

/* RFC 1071, 16-bit big-endian words, the plain way. */
static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t fold16(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

struct frame {
	uint8_t b[1600];
	size_t len, l4, csum; /* offsets of the L4 header and its checksum field */
	uint32_t ph;          /* the pseudo-header sum */
};

/*
 * Ethernet, `vlans` tags, IPv4 or IPv6, TCP or UDP with `payload` bytes;
 * the checksum field left as the kernel leaves it for CHECKSUM_PARTIAL:
 * the folded pseudo-header sum, not inverted.
 */
static void build(struct frame *f, int ip, int proto, int vlans, size_t payload)
{
	size_t off = 12, l3, l4_len = (proto == 6 ? 20 : 8) + payload;

	memset(f, 0, sizeof(*f));
	memset(f->b, 0x02, 12);
	for (int v = 0; v < vlans; v++, off += 4)
		put16(f->b + off, v == 0 && vlans == 2 ? 0x88a8 : 0x8100);
	put16(f->b + off, ip == V4 ? 0x0800 : 0x86dd);
	l3 = off + 2;
	if (ip == V4) {
		f->b[l3] = 0x45;
		put16(f->b + l3 + 2, (uint16_t)(20 + l4_len));
		f->b[l3 + 8] = 64;
		f->b[l3 + 9] = (uint8_t)proto;
		memcpy(f->b + l3 + 12, "\x0a\x01\x02\x03\x0a\x04\x05\x06", 8);
		f->ph = sum16(f->b + l3 + 12, 8, 0);
		f->l4 = l3 + 20;
	} else {
		f->b[l3] = 0x60;
		put16(f->b + l3 + 4, (uint16_t)l4_len);
		f->b[l3 + 6] = (uint8_t)proto;
		f->b[l3 + 7] = 64;
		for (int i = 0; i < 32; i++)
			f->b[l3 + 8 + i] = (uint8_t)(0xfd + i * 13);
		f->ph = sum16(f->b + l3 + 8, 32, 0);
		f->l4 = l3 + 40;
	}
	f->ph += (uint32_t)proto + (uint32_t)l4_len;
	put16(f->b + f->l4, 40000);
	put16(f->b + f->l4 + 2, 5001);
	if (proto == 17)
		put16(f->b + f->l4 + 4, (uint16_t)l4_len);
	else
		f->b[f->l4 + 12] = 5 << 4;
	for (size_t i = 0; i < payload; i++)
		f->b[f->l4 + (proto == 6 ? 20 : 8) + i] = (uint8_t)(i * 31 + 7);
	f->csum = f->l4 + (proto == 6 ? 16 : 6);
	f->len = f->l4 + l4_len;
	put16(f->b + f->csum, fold16(f->ph));
}

/* A complete checksum: pseudo-header and segment sum to 0xffff. */
static bool csum_ok(const struct frame *f)
{
	return fold16(sum16(f->b + f->l4, f->len - f->l4, f->ph)) == 0xffff;
}

Test(af_xdp_csum, partial_sums_completed)
{
	static const size_t payloads[] = {0, 1, 2, 7, 8, 9, 15, 64, 1001, 1400};

	for (int ip = V4; ip <= V6; ip++)
		for (int t = 0; t < 2; t++)
			for (int vlans = 0; vlans <= 2; vlans++)
				for (size_t i = 0; i < TERN_DIM(payloads); i++) {
					int proto = t == 0 ? 6 : 17;
					struct frame f;

					build(&f, ip, proto, vlans, payloads[i]);
					cr_assert_not(csum_ok(&f));
					cr_assert_eq(axp_csum_fix(f.b, (uint32_t)f.len), 1,
					             "ip %d proto %d vlans %d payload %zu", ip,
					             proto, vlans, payloads[i]);
					cr_assert(csum_ok(&f),
					          "ip %d proto %d vlans %d payload %zu", ip, proto,
					          vlans, payloads[i]);
				}
}

/* Ethernet padding after the IP datagram is not part of the segment. */
Test(af_xdp_csum, padding_after_the_datagram_is_not_summed)
{
	struct frame f;

	build(&f, V4, 17, 0, 1);
	memset(f.b + f.len, 0xee, 60 - f.len);
	cr_assert_eq(axp_csum_fix(f.b, 60), 1);
	cr_assert(csum_ok(&f));
}

/* Complete checksums, UDP without one, fragments and bad headers: untouched. */
Test(af_xdp_csum, other_frames_left_alone)
{
	struct frame f, copy;

	build(&f, V4, 6, 1, 100);
	cr_assert_eq(axp_csum_fix(f.b, (uint32_t)f.len), 1);
	copy = f;
	cr_assert_eq(axp_csum_fix(f.b, (uint32_t)f.len), 0, "complete already");
	cr_assert_eq(memcmp(&f, &copy, sizeof(f)), 0);

	build(&f, V4, 17, 0, 10);
	put16(f.b + f.csum, 0); /* RFC 768: no checksum */
	copy = f;
	cr_assert_eq(axp_csum_fix(f.b, (uint32_t)f.len), 0);
	cr_assert_eq(memcmp(&f, &copy, sizeof(f)), 0);

	build(&f, V4, 6, 0, 100);
	put16(f.b + 14 + 6, 0x2000); /* more fragments */
	copy = f;
	cr_assert_eq(axp_csum_fix(f.b, (uint32_t)f.len), 0);
	cr_assert_eq(memcmp(&f, &copy, sizeof(f)), 0);

	/*
	 * IHL below 5: the "TCP header" would start inside the IP header, its
	 * checksum field on the source address. Built so that field holds the
	 * partial sum a fix looks for.
	 */
	for (uint8_t ihl = 0; ihl < 5; ihl++) {
		uint32_t tot = 20 + 20 + 100;

		build(&f, V4, 6, 0, 100);
		f.b[14] = (uint8_t)(0x40 | ihl);
		if (ihl > 0) /* (for IHL 0 the field is the destination address itself) */
			put16(f.b + 14 + ihl * 4 + 16,
			      fold16(sum16(f.b + 14 + 12, 8, 0) + 6 + tot - ihl * 4u));
		copy = f;
		cr_assert_eq(axp_csum_fix(f.b, (uint32_t)f.len), 0, "IHL %u", ihl);
		cr_assert_eq(memcmp(&f, &copy, sizeof(f)), 0, "IHL %u", ihl);
	}
}

/* Every truncation of every kind of frame: read inside its length only, never fixed. */
Test(af_xdp_csum, every_length_bounded)
{
	for (int ip = V4; ip <= V6; ip++)
		for (int t = 0; t < 2; t++)
			for (int vlans = 0; vlans <= 2; vlans++) {
				struct frame f;

				build(&f, ip, t == 0 ? 6 : 17, vlans, 33);
				for (size_t len = 0; len < f.len; len++) {
					uint8_t *b = malloc(len > 0 ? len : 1);

					cr_assert_not_null(b);
					memcpy(b, f.b, len);
					cr_assert_eq(axp_csum_fix(b, (uint32_t)len), 0,
					             "length %zu", len);
					free(b);
				}
			}
}
