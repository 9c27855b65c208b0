/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stack.c - lwIP as tern-echo's TCP/IP stack: a netif whose frames come
 * from and go to tern rings, on lwIP's own tcpip thread.
 *
 * Debian's liblwip-dev is built with NO_SYS=0 and LWIP_TCPIP_CORE_LOCKING=1
 * (see /usr/include/lwip/lwipopts.h): tcpip_init() starts a tcpip thread
 * that runs timers and callbacks with the "core lock" held, and any other
 * thread may call the raw API while it holds that lock (LOCK_TCPIP_CORE).
 *
 * RX: the poll lcore enqueues frames for lwIP into app->to_stack, then
 * kicks: it posts one preallocated callback message (no allocation on the
 * fast path) unless one is already pending. The callback, on the tcpip
 * thread, copies each frame into a pbuf and hands it to ethernet_input().
 *
 * TX: lwIP calls linkoutput() on its tcpip thread with a complete frame (the
 * build has LWIP_NETIF_TX_SINGLE_PBUF); it is copied into a tern_pkt and
 * enqueued into app->from_stack, which the poll lcore drains into tx_burst.
 *
 * Each ring has one producer and one consumer thread: SP/SC.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <lwip/etharp.h>
#include <lwip/netif.h>
#include <lwip/pbuf.h>
#include <lwip/sys.h>
#include <lwip/tcpip.h>
#include <netif/ethernet.h>

#include <tern_cycles.h>
#include <tern_pkt.h>
#include <tern_ring.h>

#include "echo.h"

/*
 * The MAC each TCP peer's last frame came from, by IPv4 address: a fixed
 * table (a slot per hash, the newest wins), so it costs nothing to fill.
 * TCP answers go there directly, as the in-place ICMP and UDP answers do,
 * without lwIP's ARP: its table has ten entries that a SYN flood from
 * many sources would churn (each new one an ARP broadcast, and a resolved
 * real client pushed out). Peers not in the table go through etharp_output.
 */
#define NEIGH_BITS 10
#define NEIGH_SIZE (1u << NEIGH_BITS)

struct neigh {
	uint32_t ip; /* network order; 0: empty (0.0.0.0 never reaches the stack) */
	uint8_t mac[6];
};

struct echo_stack {
	struct echo_app *app;
	struct netif netif;
	struct tcpip_callback_msg *drain_msg; /* posted by echo_stack_kick() */
	/* A drain is posted and has not started yet: see echo_stack_kick(). */
	atomic_bool pending;
	/* Set under the core lock by echo_stack_stop(); read under it on the tcpip thread. */
	bool closing;
	sys_sem_t ready;
	struct echo_bucket arp_bucket;  /* tcpip thread: --arp-rate */
	uint64_t next_mem_check;        /* tcpip thread: TSC of the next heap check */
	struct neigh neigh[NEIGH_SIZE]; /* tcpip thread: see output_ip4() */
};

/*
 * lwIP has no way to stop its tcpip thread, so the stack's state lives as
 * long as the process: a drain callback still queued at exit finds it
 * (closing) rather than freed memory.
 */
static struct echo_stack the_stack;
static bool tcpip_started;

/* Copy lwIP's frame into a tern_pkt and queue it for the poll lcore (tcpip thread). */
static err_t linkoutput(struct netif *nif, struct pbuf *p)
{
	struct echo_stack *st = nif->state;
	struct echo_app *app = st->app;
	struct tern_pkt *pkt;

	if (st->closing)
		return ERR_IF;
	if (p->tot_len > ECHO_MAX_FRAME) {
		echo_ctr_add(&app->ctr.stack_too_big, 1);
		return ERR_BUF;
	}
	/*
	 * lwIP asks for a neighbour's MAC once per packet it queues for it
	 * (etharp_query): a SYN flood from sources that never answer would
	 * broadcast a request per SYN-ACK. Requests beyond --arp-rate are
	 * dropped here (RFC 1122 2.3.2.1: at most one per second per address
	 * is the norm; lwIP retries on its own timer).
	 */
	if (p->tot_len >= TERN_ETHER_HDR_LEN + 8 && pbuf_get_at(p, 12) == 0x08 &&
	    pbuf_get_at(p, 13) == 0x06 && pbuf_get_at(p, 20) == 0 && pbuf_get_at(p, 21) == 1 &&
	    !echo_bucket_take(&st->arp_bucket, tern_rdtsc())) {
		echo_ctr_add(&app->ctr.arp_limited, 1);
		return ERR_OK;
	}
	/* Not an lcore: the pool hands out buffers from its ring, no per-lcore cache. */
	pkt = tern_pkt_alloc(app->pool);
	if (pkt == NULL) {
		echo_ctr_add(&app->ctr.stack_nobuf, 1);
		return ERR_MEM;
	}
	if (p->tot_len > tern_pkt_tailroom(pkt)) {
		tern_pkt_free(pkt);
		echo_ctr_add(&app->ctr.stack_too_big, 1);
		return ERR_BUF;
	}
	pbuf_copy_partial(p, tern_pkt_mtod(pkt, void *), p->tot_len, 0);
	pkt->data_len = p->tot_len;
	pkt->pkt_len = p->tot_len;
	/* SP: this thread is the only producer; the poll lcore the only consumer. */
	if (tern_ring_sp_enqueue(app->from_stack, pkt) < 0) {
		tern_pkt_free(pkt);
		echo_ctr_add(&app->ctr.stack_ring_full, 1);
		return ERR_MEM;
	}
	return ERR_OK;
}

/*
 * A connection request for the echo port: TCP SYN without ACK (RFC 793
 * 3.4). The frame passed echo_classify() (STACK: IPv4 without options and
 * a whole TCP header, or ARP), so the offsets are fixed; lengths checked anyway.
 */
static bool is_syn_for_echo(const uint8_t *f, uint16_t len)
{
	const uint8_t *tcp = f + TERN_ETHER_HDR_LEN + 20;

	if (len < TERN_ETHER_HDR_LEN + 20 + 20 || f[12] != 0x08 || f[13] != 0x00 ||
	    f[TERN_ETHER_HDR_LEN] != 0x45 || f[TERN_ETHER_HDR_LEN + 9] != 6)
		return false;
	return (tcp[13] & (0x02 | 0x10 | 0x04)) == 0x02 && tcp[2] == 0 && tcp[3] == ECHO_PORT;
}

static unsigned neigh_slot(uint32_t ip)
{
	return (ip * 2654435761u) >> (32 - NEIGH_BITS); /* Knuth's multiplicative hash */
}

/* Remember the source MAC of an IPv4 frame that passed echo_classify() (tcpip thread). */
static void neigh_learn(struct echo_stack *st, const uint8_t *f, uint16_t len)
{
	struct neigh *n;
	uint32_t ip;

	if (len < TERN_ETHER_HDR_LEN + 20 || f[12] != 0x08 || f[13] != 0x00)
		return;
	memcpy(&ip, f + TERN_ETHER_HDR_LEN + 12, 4);
	n = &st->neigh[neigh_slot(ip)];
	n->ip = ip;
	memcpy(n->mac, f + 6, 6);
}

/* netif->output: lwIP's IPv4 packets, to the MAC the peer wrote from, else through ARP. */
static err_t output_ip4(struct netif *nif, struct pbuf *p, const ip4_addr_t *dst)
{
	struct echo_stack *st = nif->state;
	const struct neigh *n = &st->neigh[neigh_slot(ip4_addr_get_u32(dst))];

	if (n->ip != 0 && n->ip == ip4_addr_get_u32(dst))
		return ethernet_output(nif, p, (const struct eth_addr *)nif->hwaddr,
		                       (const struct eth_addr *)n->mac, ETHTYPE_IP);
	return etharp_output(nif, p, dst);
}

/* tcpip thread, core locked: feed lwIP everything the poll lcore queued. */
static void drain(void *arg)
{
	struct echo_stack *st = arg;
	struct echo_app *app = st->app;
	struct tern_pkt *pkts[ECHO_BURST];
	unsigned n;

	/*
	 * Clear `pending` before looking at the ring. seq_cst store and fence:
	 * pair with the fence in echo_stack_kick() (a store-load pattern on
	 * two variables needs full fences on both sides): either the dequeue
	 * below sees the frame the poll lcore enqueued last, or the poll lcore
	 * sees pending == false and posts another drain.
	 */
	atomic_store_explicit(&st->pending, false, memory_order_seq_cst);
	atomic_thread_fence(memory_order_seq_cst);
	if (st->closing)
		return;
	/* SC: the tcpip thread is the only consumer (the main thread takes over after stop). */
	while ((n = tern_ring_sc_dequeue_burst(app->to_stack, (void **)pkts, ECHO_BURST, NULL)) >
	       0) {
		uint64_t now = tern_rdtsc();

		if (now >= st->next_mem_check) {
			echo_tcp_check_memory();
			st->next_mem_check = now + app->tsc_hz / 100;
		}
		for (unsigned i = 0; i < n; i++) {
			uint16_t len = pkts[i]->data_len;

			const uint8_t *f = tern_pkt_mtod(pkts[i], const uint8_t *);

			if (is_syn_for_echo(f, len) &&
			    !echo_tcp_admit_syn(f + TERN_ETHER_HDR_LEN + 12))
				continue; /* counted; the peer may try again */
			neigh_learn(st, f, len);
			/*
			 * PBUF_RAM, one block of exactly len bytes. Not PBUF_POOL:
			 * in Debian's liblwip 2.1.3 a pool pbuf for a 1514-byte
			 * frame is a 616-byte block whose len says 1514, and
			 * pbuf_take() overflows it (found with AddressSanitizer).
			 */
			struct pbuf *q = pbuf_alloc(PBUF_RAW, len, PBUF_RAM);

			if (q == NULL)
				continue; /* lwIP out of memory: TCP will retransmit */
			pbuf_take(q, tern_pkt_mtod(pkts[i], const void *), len);
			/* ethernet_input: ARP to etharp, IPv4 to ip4_input; it frees q. */
			if (st->netif.input(q, &st->netif) != ERR_OK)
				pbuf_free(q);
		}
		tern_pkt_free_bulk(pkts, n);
	}
}

void echo_stack_kick(struct echo_stack *st)
{
	/*
	 * seq_cst fence: pairs with the one in drain(). Our enqueue (release
	 * store of prod_tail) comes before the load of `pending` below.
	 */
	atomic_thread_fence(memory_order_seq_cst);
	/*
	 * Relaxed is enough after the fence: if drain() missed our frame, the
	 * fence pair guarantees this load sees its clear. Under load the flag
	 * is usually still set: a drain is queued and will see the frame.
	 */
	if (atomic_load_explicit(&st->pending, memory_order_relaxed))
		return;
	/*
	 * Relaxed: only this thread sets the flag, and posting the message
	 * (lwIP's mailbox lock, released here and taken by the tcpip thread)
	 * orders this store before the clear in the drain it starts.
	 */
	atomic_store_explicit(&st->pending, true, memory_order_relaxed);
	/* The tcpip mailbox full: clear and let the next loop try again. */
	if (tcpip_callbackmsg_trycallback(st->drain_msg) != ERR_OK)
		atomic_store_explicit(&st->pending, false, memory_order_relaxed);
}

static err_t netif_setup(struct netif *nif)
{
	struct echo_stack *st = nif->state;

	nif->name[0] = 't';
	nif->name[1] = 'n';
	nif->mtu = TERN_ETHER_MTU;
	nif->hwaddr_len = ETH_HWADDR_LEN;
	memcpy(nif->hwaddr, st->app->host.mac, ETH_HWADDR_LEN);
	nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
	nif->output = output_ip4;
	nif->linkoutput = linkoutput;
	return ERR_OK;
}

static void tcpip_ready(void *arg)
{
	sys_sem_signal(&((struct echo_stack *)arg)->ready);
}

int echo_stack_start(struct echo_app *app, char *err, size_t errlen)
{
	struct echo_stack *st = &the_stack;
	ip4_addr_t ip, mask, gw;
	int ret = 0;

	if (tcpip_started) {
		snprintf(err, errlen, "lwIP runs once per process");
		return -1;
	}
	memset(st, 0, sizeof(*st));
	st->app = app;
	app->stack = st;
	if (sys_sem_new(&st->ready, 0) != ERR_OK) {
		snprintf(err, errlen, "lwIP: cannot create a semaphore");
		return -1;
	}
	echo_bucket_init(&st->arp_bucket, app->opt.arp_rate, app->tsc_hz, tern_rdtsc());
	tcpip_init(tcpip_ready, st);
	sys_sem_wait(&st->ready);
	sys_sem_free(&st->ready);
	tcpip_started = true;
	st->drain_msg = tcpip_callbackmsg_new(drain, st);
	if (st->drain_msg == NULL) {
		snprintf(err, errlen, "lwIP: out of memory");
		return -1;
	}

	IP4_ADDR(&ip, app->host.ip[0], app->host.ip[1], app->host.ip[2], app->host.ip[3]);
	IP4_ADDR(&mask, app->host.mask[0], app->host.mask[1], app->host.mask[2], app->host.mask[3]);
	ip4_addr_set_zero(&gw);
	LOCK_TCPIP_CORE();
	if (netif_add(&st->netif, &ip, &mask, &gw, st, netif_setup, ethernet_input) == NULL) {
		snprintf(err, errlen, "lwIP: netif_add failed");
		ret = -1;
	} else {
		netif_set_default(&st->netif);
		netif_set_up(&st->netif);
		netif_set_link_up(&st->netif);
		if (echo_tcp_listen(&app->ctr, &app->opt) < 0) {
			snprintf(err, errlen, "lwIP: cannot listen on TCP port %d", ECHO_PORT);
			ret = -1;
		}
	}
	UNLOCK_TCPIP_CORE();
	return ret;
}

void echo_stack_stop(struct echo_stack *st)
{
	if (st == NULL || !tcpip_started)
		return;
	LOCK_TCPIP_CORE();
	/* First: from here on linkoutput and drain touch neither rings nor pool. */
	st->closing = true;
	echo_tcp_close_all();
	netif_set_link_down(&st->netif);
	netif_set_down(&st->netif);
	/* Unlock: releases `closing` and every counter write to the tcpip thread's next lock. */
	UNLOCK_TCPIP_CORE();
}
