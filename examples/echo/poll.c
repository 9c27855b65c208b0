/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * poll.c - the poll loop: one burst in, each frame classified and either
 * answered in place, handed to lwIP, or freed; the answers out in one
 * tx_burst; then whatever lwIP queued for the wire.
 */
#include <tern_cycles.h>
#include <tern_pkt.h>
#include <tern_ring.h>

#include "echo.h"
#include "proto.h"

/* How many polling loops between two looks at the clock (a power of two). */
#define CLOCK_EVERY 64
/* RFC 5227 2.4 (and its section 1.1 constants): defend at most once per 10 s. */
#define DEFEND_INTERVAL_S 10

unsigned echo_ring_drain(struct tern_ring *r)
{
	struct tern_pkt *pkts[ECHO_BURST];
	unsigned n, total = 0;

	while ((n = tern_ring_dequeue_burst(r, (void **)pkts, ECHO_BURST, NULL)) > 0) {
		tern_pkt_free_bulk(pkts, n);
		total += n;
	}
	return total;
}

/* Send n frames of the given kinds; count what went, free and count what did not. */
static void send_burst(struct echo_app *app, struct tern_pkt **pkts, const uint8_t *kinds,
                       uint16_t n)
{
	uint16_t sent = n ? tern_port_tx_burst(app->port, 0, pkts, n) : 0;
	uint64_t out[ECHO_KIND_COUNT] = {0};

	for (uint16_t i = 0; i < sent; i++)
		out[kinds[i]]++;
	for (unsigned k = 0; k < ECHO_KIND_COUNT; k++)
		if (out[k])
			echo_ctr_add(&app->ctr.out[k], out[k]);
	if (sent < n) {
		tern_pkt_free_bulk(pkts + sent, n - sent);
		echo_ctr_add(&app->ctr.tx_full, n - sent);
	}
}

/* One RX burst: returns how many frames came in. */
static uint16_t rx_once(struct echo_app *app)
{
	struct tern_pkt *pkts[ECHO_BURST], *tx[ECHO_BURST], *stack[ECHO_BURST], *drop[ECHO_BURST];
	uint8_t tx_kind[ECHO_BURST];
	uint64_t in[ECHO_KIND_COUNT] = {0};
	uint16_t n, nb_tx = 0, nb_stack = 0, nb_drop = 0;
	const struct echo_host *h = &app->host;
	uint64_t now = 0;

	n = tern_port_rx_burst(app->port, 0, pkts, ECHO_BURST);
	if (n)
		now = tern_rdtsc();
	for (uint16_t i = 0; i < n; i++) {
		struct tern_pkt *p = pkts[i];
		uint8_t *f = tern_pkt_mtod(p, uint8_t *);
		struct echo_class c;

		if (tern_unlikely(p->next != NULL)) {
			/* Longer than one buffer: more than any frame we serve. */
			echo_ctr_add(&app->ctr.rx_chained, 1);
			in[ECHO_KIND_OTHER]++;
			drop[nb_drop++] = p;
			continue;
		}
		c = echo_classify(f, p->data_len, h);
		in[c.kind]++;
		switch (c.verdict) {
		case ECHO_V_ARP_REPLY:
			/* A probe (RFC 5227 2.1.1: sender IP 0.0.0.0) gets the same answer. */
			if (((const struct arp_hdr *)(f + c.l3_off))->spa[0] == 0)
				echo_ctr_add(&app->ctr.arp_probes, 1);
			echo_reply_arp(f, &c, h);
			break;
		case ECHO_V_ICMP_ECHO:
			echo_reply_icmp(f, &c, h);
			break;
		case ECHO_V_UDP_ECHO:
			/* A loop with a peer that echoes too ends when the bucket runs dry. */
			if (!echo_bucket_take(&app->udp_bucket, now)) {
				echo_ctr_add(&app->ctr.udp_limited, 1);
				drop[nb_drop++] = p;
				continue;
			}
			echo_reply_udp(f, &c, h);
			break;
		case ECHO_V_STACK:
			stack[nb_stack++] = p;
			continue;
		case ECHO_V_IGNORE:
			if (c.reason == ECHO_R_ARP_CONFLICT &&
			    (app->last_defend_tsc == 0 ||
			     now - app->last_defend_tsc >= DEFEND_INTERVAL_S * app->tsc_hz)) {
				echo_ctr_add(&app->ctr.reason[c.reason], 1);
				echo_ctr_add(&app->ctr.arp_defended, 1);
				app->last_defend_tsc = now;
				echo_announce_arp(f, &c, h);
				break;
			}
			/* fall through */
		case ECHO_V_DROP:
			echo_ctr_add(&app->ctr.reason[c.reason], 1);
			drop[nb_drop++] = p;
			continue;
		}
		tx_kind[nb_tx] = (uint8_t)c.kind;
		tx[nb_tx++] = p;
	}
	for (unsigned k = 0; k < ECHO_KIND_COUNT; k++)
		if (in[k])
			echo_ctr_add(&app->ctr.in[k], in[k]);
	send_burst(app, tx, tx_kind, nb_tx);
	if (nb_stack) {
		/* SP: only this lcore enqueues; the tcpip thread is the single consumer. */
		unsigned q =
		    tern_ring_sp_enqueue_burst(app->to_stack, (void *const *)stack, nb_stack, NULL);

		if (q)
			echo_stack_kick(app->stack);
		if (q < nb_stack) {
			tern_pkt_free_bulk(stack + q, nb_stack - q);
			echo_ctr_add(&app->ctr.to_stack_full, nb_stack - q);
		}
	}
	if (nb_drop)
		tern_pkt_free_bulk(drop, nb_drop);
	return n;
}

/* What lwIP queued: TCP segments and its own ARP requests and replies. */
static void tx_from_stack(struct echo_app *app)
{
	struct tern_pkt *pkts[ECHO_BURST];
	uint8_t kinds[ECHO_BURST];
	unsigned n = tern_ring_sc_dequeue_burst(app->from_stack, (void **)pkts, ECHO_BURST, NULL);

	for (unsigned i = 0; i < n; i++) {
		const uint8_t *f = tern_pkt_mtod(pkts[i], const uint8_t *);

		kinds[i] = pkts[i]->data_len >= TERN_ETHER_HDR_LEN &&
		                   f[12] == (TERN_ETHER_TYPE_ARP >> 8) &&
		                   f[13] == (TERN_ETHER_TYPE_ARP & 0xff)
		               ? ECHO_KIND_ARP
		               : ECHO_KIND_TCP;
	}
	send_burst(app, pkts, kinds, (uint16_t)n);
}

static bool tick(struct echo_app *app)
{
	uint64_t now = tern_rdtsc();
	uint64_t period = (uint64_t)app->opt.period_s * app->tsc_hz;

	if (period && now >= app->next_stats_tsc) {
		echo_stats_print_period(app);
		app->next_stats_tsc += period;
		if (app->next_stats_tsc <= now)
			app->next_stats_tsc = now + period;
	}
	return app->end_tsc && now >= app->end_tsc;
}

void echo_poll_loop(struct echo_app *app)
{
	for (unsigned loops = 0;; loops++) {
		rx_once(app);
		tx_from_stack(app);
		if ((loops & (CLOCK_EVERY - 1)) == 0) {
			/*
			 * A kick whose post failed (lwIP's mailbox full) leaves
			 * frames waiting with no drain coming: kick again.
			 */
			if (tern_ring_count(app->to_stack) != 0)
				echo_stack_kick(app->stack);
			/* Relaxed: the flag carries no data (see main.c). */
			if (atomic_load_explicit(&echo_quit, memory_order_relaxed) || tick(app))
				break;
		}
	}
}
