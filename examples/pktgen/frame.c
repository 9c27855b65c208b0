/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * frame.c - what tern-pktgen sends: per flow and frame size, a ready-made
 * Ethernet + IPv4 + UDP header (RFC 791, RFC 768) that the TX loop copies
 * before writing the payload (struct pg_payload); the size pattern (one size
 * or IMIX); and the pacing step of each size at a port's rate.
 *
 * Flow i of a port uses source address src_ip + i and UDP source port
 * sport + i, so a receiver's RSS spreads the flows over its queues; the
 * destination address and UDP port (PG_UDP_DPORT) are the same for all.
 */
#include <string.h>

#include "pktgen.h"

/* Simple IMIX (7:4:1 of 64, 594 and 1518-byte frames), interleaved as 12 frames. */
static const uint16_t imix_sizes[3] = {64, 594, 1518};
static const uint8_t imix_pattern[12] = {0, 1, 0, 0, 2, 0, 1, 0, 0, 1, 0, 1};

void pg_set_pattern(struct pg_app *app)
{
	struct pg_options *o = &app->opt;

	if (o->imix) {
		o->nb_sizes = 3;
		memcpy(o->sizes, imix_sizes, sizeof(imix_sizes));
		app->nb_pattern = 12;
		memcpy(app->pattern, imix_pattern, sizeof(imix_pattern));
	} else {
		app->nb_pattern = 1;
		app->pattern[0] = 0;
	}
}

/* RFC 1071: the Internet checksum of an IPv4 header (its csum field 0). */
static uint16_t ipv4_csum(const uint8_t *h)
{
	uint32_t sum = 0;

	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)h[i] << 8 | h[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

void pg_build_templates(struct pg_app *app, struct pg_port *p)
{
	const struct pg_options *o = &app->opt;

	for (unsigned s = 0; s < o->nb_sizes; s++) {
		uint16_t len = (uint16_t)(o->sizes[s] - PG_CRC); /* bytes in the buffer */

		for (unsigned f = 0; f < o->flows; f++) {
			uint8_t *h = p->tmpl + ((size_t)s * o->flows + f) * PG_HDR_LEN;
			uint8_t *ip = h + TERN_ETHER_HDR_LEN, *udp = ip + 20;

			memcpy(h, &p->dst_mac, 6);
			memcpy(h + 6, &p->mac, 6);
			put16(h + 12, TERN_ETHER_TYPE_IPV4);
			/* RFC 791 3.1: version 4, 5 words, no options; DF; TTL 64; UDP. */
			memset(ip, 0, 20);
			ip[0] = 0x45;
			put16(ip + 2, (uint16_t)(len - TERN_ETHER_HDR_LEN));
			put16(ip + 6, 0x4000);
			ip[8] = 64;
			ip[9] = 17;
			put32(ip + 12, p->src_ip + f);
			put32(ip + 16, p->dst_ip);
			put16(ip + 10, ipv4_csum(ip));
			/* RFC 768: checksum 0, "no checksum": the payload changes per frame. */
			put16(udp, (uint16_t)(o->sport + f));
			put16(udp + 2, PG_UDP_DPORT);
			put16(udp + 4, (uint16_t)(len - TERN_ETHER_HDR_LEN - 20));
			put16(udp + 6, 0);
		}
	}
}

double pg_rate_wire_mbit(const struct pg_app *app, const struct pg_rate *r)
{
	double bits = 0;

	if (r->unit == PG_RATE_MBIT)
		return r->value;
	if (r->unit == PG_RATE_MAX)
		return 0;
	/* Mpps: the pattern's mean wire bits per frame. */
	for (unsigned i = 0; i < app->nb_pattern; i++)
		bits += (double)(app->opt.sizes[app->pattern[i]] + PG_FRAMING) * 8;
	return r->value * bits / app->nb_pattern;
}

void pg_set_rate(struct pg_app *app, struct pg_port *p, const struct pg_rate *r)
{
	double hz = (double)app->tsc_hz;

	p->rate = *r;
	for (unsigned s = 0; s < app->opt.nb_sizes; s++) {
		double wire_bits = (double)(app->opt.sizes[s] + PG_FRAMING) * 8;

		switch (r->unit) {
		case PG_RATE_MBIT:
			p->ticks[s] = wire_bits / (r->value * 1e6) * hz;
			break;
		case PG_RATE_MPPS:
			p->ticks[s] = hz / (r->value * 1e6);
			break;
		default:
			p->ticks[s] = 0;
		}
	}
}
