/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * l3.c - the L3 profile: tern-l2fwd as the IPv4 router that MoonGen's
 * l3-load-latency.lua and RFC 2544 runs expect as a device under test.
 *
 *  - Each port has an address and subnet (--addr 0:198.18.1.1/24); it
 *    answers ARP requests for it (RFC 826) and pings to it (RFC 792).
 *  - IPv4 frames for other addresses are routed (RFC 1812 5.2.4, 5.3.1): the
 *    header is checked (version, length, checksum), TTL decremented with an
 *    incremental checksum update (RFC 1624), the MACs rewritten to the next
 *    hop's and the output port's. The next hop is the destination itself on
 *    a connected subnet, else a --route's gateway; its MAC comes from the
 *    port's ARP table. A miss sends an ARP request (at most one per address
 *    per 100 ms) and drops the frame (counted no_arp): senders retry (TCP)
 *    or resolve first (MoonGen does).
 *  - Drops are counted on the input port: unroutable (no route, not IPv4 or
 *    ARP, or for us but not a ping), ttl (no ICMP time-exceeded is sent),
 *    bad (malformed), no_arp.
 *
 * Routes live in a binary trie over the prefix bits (a small LPM: at most 32
 * steps per lookup, no scan of the route list); the table is built before
 * the ports start and only read afterwards. The ARP tables are written by
 * whichever lcore hears an ARP packet and read by all: each entry is two
 * atomic words (the address, claimed once by compare-and-swap; the MAC with
 * a valid bit), so a reader sees a whole MAC or none.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <tern_cycles.h>
#include <tern_mempool.h>
#include <tern_pkt.h>

#include "app_opts.h"
#include "checksum.h" /* examples/echo: RFC 1071 / RFC 1624 */
#include "l2fwd.h"
#include "proto.h" /* examples/echo: ARP, IPv4, ICMP headers */

#define ARP_SLOTS     256 /* per port, a power of two */
#define ARP_VALID     (1ull << 48)
#define ARP_RETRY_DIV 10 /* one request per address per 1/10 s */
#define NO_ROUTE      (-1)

struct arp_entry {
	_Atomic uint32_t ip;  /* host order; 0: free */
	_Atomic uint64_t mac; /* 6 bytes, | ARP_VALID once known */
	_Atomic uint64_t asked_tsc;
};

struct l3_port {
	bool on;
	uint32_t ip, mask;
	struct tern_ether_addr mac;
	struct arp_entry arp[ARP_SLOTS];
};

struct l3_route {
	uint32_t nexthop; /* 0: connected, the destination is the next hop */
	uint16_t port;
};

struct trie_node {
	int32_t child[2];
	int32_t route; /* index into routes, or NO_ROUTE */
};

struct l2fwd_l3 {
	struct l3_port port[TERN_MAX_PORTS];
	struct l3_route routes[L2FWD_MAX_ROUTES + TERN_MAX_PORTS];
	unsigned nb_routes;
	struct trie_node *nodes;
	unsigned nb_nodes, max_nodes;
	struct tern_mempool *pool; /* for ARP requests */
	uint64_t retry_ticks;
};

int l2fwd_parse_prefix(const char *s, uint32_t *addr, uint8_t *len)
{
	char buf[32];
	const char *slash = strchr(s, '/');
	struct in_addr a;
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long l = 32;

	if (n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, &a) != 1)
		return -EINVAL;
	if (slash) {
		char *end;

		if (slash[1] < '0' || slash[1] > '9')
			return -EINVAL;
		l = strtoul(slash + 1, &end, 10);
		if (*end != '\0' || l > 32)
			return -EINVAL;
	}
	*addr = ntohl(a.s_addr);
	*len = (uint8_t)l;
	return 0;
}

static uint32_t mask_of(uint8_t len)
{
	return len ? (uint32_t)(~0ull << (32 - len)) : 0;
}

/* -------- LPM: a binary trie -------- */

static int trie_insert(struct l2fwd_l3 *l3, uint32_t prefix, uint8_t len, int32_t route)
{
	int32_t n = 0;

	for (uint8_t i = 0; i < len; i++) {
		unsigned bit = prefix >> (31 - i) & 1;

		if (l3->nodes[n].child[bit] < 0) {
			if (l3->nb_nodes == l3->max_nodes)
				return -ENOMEM;
			l3->nodes[l3->nb_nodes] = (struct trie_node){{-1, -1}, NO_ROUTE};
			l3->nodes[n].child[bit] = (int32_t)l3->nb_nodes++;
		}
		n = l3->nodes[n].child[bit];
	}
	if (l3->nodes[n].route == NO_ROUTE) /* the first of two equal prefixes wins */
		l3->nodes[n].route = route;
	return 0;
}

static int32_t trie_lookup(const struct l2fwd_l3 *l3, uint32_t ip)
{
	int32_t n = 0, best = l3->nodes[0].route;

	for (int i = 31; i >= 0; i--) {
		n = l3->nodes[n].child[ip >> i & 1];
		if (n < 0)
			break;
		if (l3->nodes[n].route != NO_ROUTE)
			best = l3->nodes[n].route;
	}
	return best;
}

/* -------- ARP table -------- */

static inline unsigned arp_hash(uint32_t ip)
{
	return (ip * 2654435761u) >> 24 & (ARP_SLOTS - 1);
}

/* The entry for ip, claimed if create (NULL if absent, or the table is full). */
static struct arp_entry *arp_find(struct l3_port *lp, uint32_t ip, bool create)
{
	unsigned h = arp_hash(ip);

	for (unsigned i = 0; i < ARP_SLOTS; i++) {
		struct arp_entry *e = &lp->arp[(h + i) & (ARP_SLOTS - 1)];
		/* Relaxed: the address is the whole datum; the MAC word is read on its own. */
		uint32_t cur = atomic_load_explicit(&e->ip, memory_order_relaxed);

		if (cur == ip)
			return e;
		if (cur != 0)
			continue;
		if (!create)
			return NULL;
		/* Claim the free slot; if another lcore took it first, look at what it put. */
		if (atomic_compare_exchange_strong_explicit(&e->ip, &cur, ip, memory_order_relaxed,
		                                            memory_order_relaxed) ||
		    cur == ip)
			return e;
	}
	return NULL;
}

static void arp_learn(struct l3_port *lp, uint32_t ip, const uint8_t mac[6])
{
	struct arp_entry *e = arp_find(lp, ip, true);
	uint64_t m = ARP_VALID;

	if (e == NULL)
		return;
	for (int i = 0; i < 6; i++)
		m |= (uint64_t)mac[i] << (8 * i);
	/* Relaxed: one word holds the MAC and its valid bit; readers need nothing else. */
	atomic_store_explicit(&e->mac, m, memory_order_relaxed);
}

static bool arp_get(struct l3_port *lp, uint32_t ip, struct tern_ether_addr *mac)
{
	struct arp_entry *e = arp_find(lp, ip, false);
	uint64_t m;

	if (e == NULL)
		return false;
	m = atomic_load_explicit(&e->mac, memory_order_relaxed);
	if (!(m & ARP_VALID))
		return false;
	for (int i = 0; i < 6; i++)
		mac->addr[i] = (uint8_t)(m >> (8 * i));
	return true;
}

static void put_ip(uint8_t dst[4], uint32_t ip)
{
	uint32_t be = htonl(ip);

	memcpy(dst, &be, 4);
}

static uint32_t get_ip(const uint8_t src[4])
{
	uint32_t be;

	memcpy(&be, src, 4);
	return ntohl(be);
}

/* RFC 826: "who has ip? tell <port's address>", broadcast out of port p. */
static void arp_request(struct l2fwd_app *app, struct l2fwd_lcore *lc, uint16_t p, uint32_t ip)
{
	struct l2fwd_l3 *l3 = app->l3;
	struct l3_port *lp = &l3->port[p];
	struct arp_entry *e = arp_find(lp, ip, true);
	uint64_t now = tern_rdtsc(), asked;
	struct tern_pkt *m;
	struct tern_ether_hdr *eth;
	struct arp_hdr *a;

	if (e == NULL)
		return;
	asked = atomic_load_explicit(&e->asked_tsc, memory_order_relaxed);
	if (asked && now - asked < l3->retry_ticks)
		return;
	/* Relaxed: a rate limit; two lcores asking at once costs one extra request. */
	atomic_store_explicit(&e->asked_tsc, now, memory_order_relaxed);
	m = tern_pkt_alloc(l3->pool);
	if (m == NULL)
		return;
	eth = tern_pkt_mtod(m, struct tern_ether_hdr *);
	memset(eth, 0, 60);
	memset(&eth->dst, 0xff, 6);
	eth->src = lp->mac;
	eth->ether_type = htons(TERN_ETHER_TYPE_ARP);
	a = (struct arp_hdr *)(eth + 1);
	a->hrd = htons(ARP_HRD_ETHER);
	a->pro = htons(TERN_ETHER_TYPE_IPV4);
	a->hln = 6;
	a->pln = 4;
	a->op = htons(ARP_OP_REQUEST);
	memcpy(a->sha, &lp->mac, 6);
	put_ip(a->spa, lp->ip);
	put_ip(a->tpa, ip);
	m->data_len = m->pkt_len = 60; /* padded to the minimum frame */
	if (tern_port_tx_burst(p, lc->txq[p], &m, 1) == 1)
		l2fwd_ctr_add(&lc->ctr[p].tx, 1);
	else
		tern_pkt_free(m);
}

/* -------- per frame -------- */

enum verdict {
	V_DROP, /* freed; the reason counted */
	V_SEND, /* out of *out */
};

/* RFC 826: learn the sender if it is on our subnet; answer a request for our address. */
static enum verdict on_arp(struct l2fwd_l3 *l3, struct l2fwd_port_ctr *c, uint16_t p,
                           struct tern_pkt *m)
{
	struct l3_port *lp = &l3->port[p];
	struct tern_ether_hdr *eth = tern_pkt_mtod(m, struct tern_ether_hdr *);
	struct arp_hdr *a = (struct arp_hdr *)(eth + 1);
	uint32_t spa, tpa;

	if (m->data_len < TERN_ETHER_HDR_LEN + ARP_ETHER_IPV4_LEN ||
	    a->hrd != htons(ARP_HRD_ETHER) || a->pro != htons(TERN_ETHER_TYPE_IPV4) ||
	    a->hln != 6 || a->pln != 4) {
		l2fwd_ctr_add(&c->bad, 1);
		return V_DROP;
	}
	spa = get_ip(a->spa);
	tpa = get_ip(a->tpa);
	if ((spa & lp->mask) == (lp->ip & lp->mask) && spa != lp->ip)
		arp_learn(lp, spa, a->sha);
	if (a->op != htons(ARP_OP_REQUEST) || tpa != lp->ip) {
		l2fwd_ctr_add(&c->local, 1);
		return V_DROP;
	}
	/* The reply, in place: to the asker, from us. */
	a->op = htons(ARP_OP_REPLY);
	memcpy(a->tha, a->sha, 6);
	memcpy(a->tpa, a->spa, 4);
	memcpy(a->sha, &lp->mac, 6);
	put_ip(a->spa, lp->ip);
	eth->dst = eth->src;
	eth->src = lp->mac;
	l2fwd_ctr_add(&c->local, 1);
	return V_SEND;
}

/* RFC 792: an echo request to one of our addresses becomes its reply, in place. */
static enum verdict on_local(struct l2fwd_l3 *l3, struct l2fwd_port_ctr *c, uint16_t p,
                             struct tern_pkt *m, struct ipv4_hdr *ip, unsigned ihl, unsigned tot)
{
	struct tern_ether_hdr *eth = tern_pkt_mtod(m, struct tern_ether_hdr *);
	struct icmp_echo_hdr *icmp = (struct icmp_echo_hdr *)((uint8_t *)ip + ihl);
	uint8_t tmp[4];
	uint16_t old;

	if (ip->proto != IPPROTO_ICMP_ || tot < ihl + ICMP_HDR_LEN ||
	    (ntohs(ip->frag) & (IPV4_FLAG_MF | IPV4_OFFSET_MASK)) ||
	    icmp->type != ICMP_ECHO_REQUEST || icmp->code != 0) {
		l2fwd_ctr_add(&c->unroutable, 1);
		return V_DROP;
	}
	/* RFC 1624: only the type changes (8 -> 0) in the ICMP message. */
	memcpy(&old, icmp, 2);
	icmp->type = ICMP_ECHO_REPLY;
	{
		uint16_t neww;

		memcpy(&neww, icmp, 2);
		icmp->csum = csum_update16(icmp->csum, old, neww);
	}
	memcpy(tmp, ip->src, 4);
	memcpy(ip->src, ip->dst, 4);
	memcpy(ip->dst, tmp, 4);
	ip->ttl = IPV4_DEFAULT_TTL;
	ip->csum = 0;
	ip->csum = csum_finish(csum_add(0, ip, ihl));
	eth->dst = eth->src;
	eth->src = l3->port[p].mac;
	l2fwd_ctr_add(&c->local, 1);
	return V_SEND;
}

static enum verdict on_ipv4(struct l2fwd_app *app, struct l2fwd_lcore *lc, uint16_t p,
                            struct tern_pkt *m, uint16_t *out)
{
	struct l2fwd_l3 *l3 = app->l3;
	struct l2fwd_port_ctr *c = &lc->ctr[p];
	struct tern_ether_hdr *eth = tern_pkt_mtod(m, struct tern_ether_hdr *);
	struct ipv4_hdr *ip = (struct ipv4_hdr *)(eth + 1);
	unsigned ihl, tot, avail = m->data_len - TERN_ETHER_HDR_LEN;
	uint32_t dst, nh;
	int32_t r;
	uint16_t old, neww;

	/* RFC 1812 5.2.2: version 4, a whole header within the frame, a good checksum. */
	if (m->data_len < TERN_ETHER_HDR_LEN + IPV4_HDR_LEN || ip->ver_ihl >> 4 != IPV4_VERSION)
		goto bad;
	ihl = (ip->ver_ihl & 0xf) * 4u;
	tot = ntohs(ip->total_len);
	if (ihl < IPV4_HDR_LEN || tot < ihl || tot > avail || !csum_ok(csum_add(0, ip, ihl)))
		goto bad;
	dst = get_ip(ip->dst);
	for (uint16_t q = 0; q < app->nb_ports; q++)
		if (l3->port[q].on && dst == l3->port[q].ip) {
			*out = p;
			return on_local(l3, c, p, m, ip, ihl, tot);
		}
	/* RFC 1812 5.3.1: a router does not forward a datagram whose TTL would reach 0. */
	if (ip->ttl <= 1) {
		l2fwd_ctr_add(&c->ttl, 1);
		return V_DROP;
	}
	r = trie_lookup(l3, dst);
	if (r == NO_ROUTE) {
		l2fwd_ctr_add(&c->unroutable, 1);
		return V_DROP;
	}
	*out = l3->routes[r].port;
	nh = l3->routes[r].nexthop ? l3->routes[r].nexthop : dst;
	if (!arp_get(&l3->port[*out], nh, &eth->dst)) {
		arp_request(app, lc, *out, nh);
		l2fwd_ctr_add(&c->no_arp, 1);
		return V_DROP;
	}
	eth->src = l3->port[*out].mac;
	/* RFC 1624 3: TTL shares a 16-bit word with the protocol. */
	memcpy(&old, &ip->ttl, 2);
	ip->ttl--;
	memcpy(&neww, &ip->ttl, 2);
	ip->csum = csum_update16(ip->csum, old, neww);
	return V_SEND;
bad:
	l2fwd_ctr_add(&c->bad, 1);
	return V_DROP;
}

void l2fwd_l3_burst(struct l2fwd_app *app, struct l2fwd_lcore *lc, uint16_t rx_port,
                    struct tern_pkt **pkts, uint16_t n)
{
	struct tern_pkt *send[L2FWD_MAX_BURST];
	uint16_t dest[L2FWD_MAX_BURST], nb = 0;
	uint64_t used = 0;

	/* Decide each frame's fate; keep those that go out, in order, with their port. */
	for (uint16_t i = 0; i < n; i++) {
		struct tern_pkt *m = pkts[i];
		const struct tern_ether_hdr *eth = tern_pkt_mtod(m, const struct tern_ether_hdr *);
		enum verdict v = V_DROP;
		uint16_t o = rx_port;

		if (m->data_len < TERN_ETHER_HDR_LEN)
			l2fwd_ctr_add(&lc->ctr[rx_port].bad, 1);
		else if (eth->ether_type == htons(TERN_ETHER_TYPE_IPV4))
			v = on_ipv4(app, lc, rx_port, m, &o);
		else if (eth->ether_type == htons(TERN_ETHER_TYPE_ARP))
			v = on_arp(app->l3, &lc->ctr[rx_port], rx_port, m);
		else
			l2fwd_ctr_add(&lc->ctr[rx_port].unroutable, 1);
		if (v == V_DROP) {
			tern_pkt_free(m);
			continue;
		}
		pkts[nb] = m;
		dest[nb++] = o;
		used |= 1ull << o;
	}
	/* One TX burst per output port (two ports: at most two passes over the burst). */
	while (used) {
		uint16_t o = (uint16_t)__builtin_ctzll(used), k = 0, sent;

		used &= used - 1;
		for (uint16_t i = 0; i < nb; i++)
			if (dest[i] == o)
				send[k++] = pkts[i];
		sent = tern_port_tx_burst(o, lc->txq[o], send, k);
		l2fwd_ctr_add(&lc->ctr[o].tx, sent);
		if (sent < k) {
			tern_pkt_free_bulk(&send[sent], k - sent);
			l2fwd_ctr_add(&lc->ctr[o].dropped, k - sent);
		}
	}
}

int l2fwd_l3_setup(struct l2fwd_app *app, char *err, size_t errlen)
{
	const struct l2fwd_l3_opt *o = &app->opt.l3;
	struct l2fwd_l3 *l3 = calloc(1, sizeof(*l3));

	if (l3 == NULL)
		return app_fail(err, errlen, "out of memory");
	app->l3 = l3;
	l3->max_nodes = (L2FWD_MAX_ROUTES + TERN_MAX_PORTS) * 32 + 1;
	l3->nodes = calloc(l3->max_nodes, sizeof(*l3->nodes));
	if (l3->nodes == NULL)
		return app_fail(err, errlen, "out of memory");
	l3->nodes[0] = (struct trie_node){{-1, -1}, NO_ROUTE};
	l3->nb_nodes = 1;
	l3->pool = app->pools[0];
	l3->retry_ticks = tern_tsc_hz() / ARP_RETRY_DIV;

	/* Connected subnets first: a --route for the same prefix does not replace one. */
	for (uint16_t p = 0; p < app->nb_ports; p++) {
		struct l3_port *lp = &l3->port[p];

		if (app->pair[p] == L2FWD_NO_PAIR)
			continue;
		lp->on = true;
		lp->ip = o->addr[p];
		lp->mask = mask_of(o->addr_len[p]);
		lp->mac = app->mac[p];
		l3->routes[l3->nb_routes] = (struct l3_route){.nexthop = 0, .port = p};
		if (trie_insert(l3, lp->ip & lp->mask, o->addr_len[p], (int32_t)l3->nb_routes++) <
		    0)
			return app_fail(err, errlen, "route table full");
	}
	for (unsigned i = 0; i < o->nb_routes; i++) {
		uint32_t nh = o->routes[i].nexthop;
		int port = -1;

		for (uint16_t p = 0; p < app->nb_ports && port < 0; p++)
			if (l3->port[p].on &&
			    (nh & l3->port[p].mask) == (l3->port[p].ip & l3->port[p].mask))
				port = p;
		if (port < 0)
			return app_fail(err, errlen,
			                "--route %u.%u.%u.%u/%u,%u.%u.%u.%u: the next hop is on no "
			                "port's subnet: give a next hop inside an --addr subnet",
			                o->routes[i].prefix >> 24, o->routes[i].prefix >> 16 & 255,
			                o->routes[i].prefix >> 8 & 255, o->routes[i].prefix & 255,
			                o->routes[i].len, nh >> 24, nh >> 16 & 255, nh >> 8 & 255,
			                nh & 255);
		l3->routes[l3->nb_routes] =
		    (struct l3_route){.nexthop = nh, .port = (uint16_t)port};
		if (trie_insert(l3, o->routes[i].prefix, o->routes[i].len,
		                (int32_t)l3->nb_routes++) < 0)
			return app_fail(err, errlen, "route table full");
	}
	return 0;
}

void l2fwd_l3_free(struct l2fwd_app *app)
{
	if (app->l3 == NULL)
		return;
	free(app->l3->nodes);
	free(app->l3);
	app->l3 = NULL;
}
