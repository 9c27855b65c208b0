/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * memif_ctl.c - the memif control path: unix sockets, connections, regions
 * and rings, connect and disconnect, the control thread. The messages that
 * drive it (memif_proto.h) are built, read and checked in memif_msg.c.
 *
 * Everything here runs under tern_memif_lock, from the control thread (one
 * per process, a poll() over every memif socket with a 50 ms timeout) or
 * from link_get() (a non-blocking pass). Sockets are non-blocking: a peer
 * that stops talking cannot hang us, and one that never finishes the
 * handshake is dropped after MEMIF_HANDSHAKE_NS.
 *
 * Every message from the peer is checked (memif_msg.c) before the state
 * here changes. A region is mapped only if the file is at least as large
 * as announced and sealed against shrinking (F_SEAL_SHRINK, as DPDK,
 * libmemif and VPP create theirs): a peer could otherwise truncate it under
 * us and turn our reads into SIGBUS.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "memif.h"
#include "tern_error.h"
#include "tern_log.h"
#include "tern_memory.h"

pthread_mutex_t tern_memif_lock = PTHREAD_MUTEX_INITIALIZER;
bool tern_memif_no_thread;

static struct memif_sock *socks;
static unsigned nb_ports;
static pthread_t ctl_thread;
static bool thread_running;
static _Atomic bool thread_stop;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static socklen_t sock_addr(struct sockaddr_un *un, const struct memif_sock *s)
{
	memset(un, 0, sizeof(*un));
	un->sun_family = AF_UNIX;
	/* DPDK's net_memif binds and connects with the whole, zero-padded sockaddr_un. */
	if (s->abstract)
		memcpy(un->sun_path + 1, s->path, strnlen(s->path, sizeof(un->sun_path) - 1));
	else
		memcpy(un->sun_path, s->path, strnlen(s->path, sizeof(un->sun_path) - 1));
	return sizeof(*un);
}

const char *tern_memif_sock_name(const struct memif_sock *s, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", s->abstract ? "@" : "", s->path);
	return buf;
}

/* ---- connections -------------------------------------------------------- */

void tern_memif_cc_close(struct memif_cc *cc)
{
	struct memif_cc **pp;

	for (pp = &cc->sock->ccs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == cc) {
			*pp = cc->next;
			break;
		}
	if (cc->port != NULL && cc->port->cc == cc)
		cc->port->cc = NULL;
	close(cc->fd);
	free(cc);
}

static struct memif_cc *cc_new(struct memif_sock *s, int fd)
{
	struct memif_cc *cc = calloc(1, sizeof(*cc));

	if (cc == NULL) {
		close(fd);
		return NULL;
	}
	cc->fd = fd;
	cc->sock = s;
	cc->deadline_ns = now_ns() + MEMIF_HANDSHAKE_NS;
	cc->next = s->ccs;
	s->ccs = cc;
	return cc;
}

/*
 * Withdraw a queue from the fast path: see burst_enter() in memif_rxtx.c
 * for the pairing of these seq_cst accesses.
 */
static void queue_quiesce(struct memif_queue *q)
{
	if (q == NULL)
		return;
	atomic_store_explicit(&q->ring, NULL, memory_order_seq_cst);
	while (atomic_load_explicit(&q->busy, memory_order_seq_cst))
		sched_yield();
	tern_memif_zc_drain(q); /* zero-copy: the packets offered or lent come back */
	atomic_store_explicit(&q->bad, 0, memory_order_relaxed);
	q->kick_fd = -1;
}

/* Back to DOWN: rings withdrawn, regions unmapped, every descriptor closed. */
void tern_memif_disconnect(struct memif_port *mp, const char *reason, bool tell_peer)
{
	struct tern_port_dev *dev = &mp->dev;
	int old = atomic_load_explicit(&mp->state, memory_order_relaxed);

	for (uint16_t i = 0; i < tern_port_dev_nb_rxq(dev); i++)
		queue_quiesce(tern_port_dev_rxq(dev, i));
	for (uint16_t i = 0; i < tern_port_dev_nb_txq(dev); i++)
		queue_quiesce(tern_port_dev_txq(dev, i));
	if (mp->cc != NULL) {
		if (tell_peer)
			tern_memif_send_disconnect(mp->cc->fd, reason);
		tern_memif_cc_close(mp->cc);
	}
	for (uint16_t i = 0; i < mp->regs.n; i++) {
		struct memif_region *r = &mp->regs.r[i];

		if (r->addr != NULL && !r->borrowed)
			munmap(r->addr, r->size);
		r->addr = NULL;
		r->borrowed = false;
		memif_close_fd(&r->fd);
	}
	mp->regs.n = 0;
	for (int i = 0; i < MEMIF_MAX_QUEUES; i++) {
		if (mp->c2s[i].set)
			memif_close_fd(&mp->c2s[i].fd);
		if (mp->s2c[i].set)
			memif_close_fd(&mp->s2c[i].fd);
		mp->c2s[i].set = mp->s2c[i].set = false;
		memif_close_fd(&mp->efd[0][i]);
		memif_close_fd(&mp->efd[1][i]);
	}
	mp->n_c2s = mp->n_s2c = 0;
	atomic_store_explicit(&mp->state, MEMIF_DOWN, memory_order_relaxed);
	mp->retry_ns = now_ns() + MEMIF_RETRY_NS;
	if (old != MEMIF_DOWN && reason != NULL)
		tern_log(TERN_LOG_WARNING, MEMIF_LOG, "%s: disconnected from %s: %s", dev->name,
		         mp->remote[0] != '\0' ? mp->remote : "the peer", reason);
}

/* A protocol failure on a connection: tell the peer, log one line, drop it. */
void tern_memif_cc_fail(struct memif_cc *cc, const char *reason)
{
	if (cc->port != NULL) {
		tern_memif_disconnect(cc->port, reason, true);
		return;
	}
	tern_memif_send_disconnect(cc->fd, reason);
	tern_memif_cc_close(cc);
}

/* ---- regions and rings -------------------------------------------------- */

/* Server: map a client's region after checking the file behind it. */
static const char *region_map(struct memif_region *r)
{
	struct stat st;
	int seals;

	if (fstat(r->fd, &st) != 0 || !S_ISREG(st.st_mode))
		return "region is not a memory file";
	if ((uint64_t)st.st_size < r->size)
		return "region file is smaller than announced";
	seals = fcntl(r->fd, F_GET_SEALS);
	if (seals < 0 || (seals & F_SEAL_SHRINK) == 0)
		return "region not sealed against shrinking (F_SEAL_SHRINK)";
	r->addr = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	if (r->addr == MAP_FAILED) {
		r->addr = NULL;
		return "cannot map region";
	}
	return NULL;
}

/* The ring a peer described, or NULL (and why) if it is not inside the regions. */
static struct memif_ring *ring_at(const struct memif_regions *regs,
                                  const struct memif_ring_info *ri, const char **why)
{
	struct memif_ring *r;

	if (ri->region >= regs->n) {
		*why = "ring in a region never added";
		return NULL;
	}
	if (ri->offset % 8 != 0 ||
	    (uint64_t)ri->offset + memif_ring_bytes(ri->log2) > regs->r[ri->region].size) {
		*why = "ring outside its region";
		return NULL;
	}
	r = (struct memif_ring *)((char *)regs->r[ri->region].addr + ri->offset);
	if (*(volatile uint32_t *)&r->cookie != MEMIF_COOKIE) {
		*why = "wrong ring cookie";
		return NULL;
	}
	return r;
}

/*
 * Hand a ring to a queue: every field first, the ring pointer last
 * (release). A zero-copy client's RX queue offers its first buffers here.
 */
static int queue_publish(struct memif_port *mp, struct memif_queue *q, struct memif_ring *r,
                         uint8_t log2, uint16_t pos, uint64_t buf0, int kick_fd)
{
	if (q == NULL)
		return 0; /* not set up: stays idle */
	q->size = (uint16_t)(1u << log2);
	q->mask = (uint16_t)(q->size - 1);
	q->pos = pos;
	q->client = mp->role == MEMIF_ROLE_CLIENT;
	q->bsize = mp->bsize;
	q->buf0 = buf0;
	q->regs = &mp->regs;
	q->kick_fd = kick_fd;
	atomic_store_explicit(&q->bad, 0, memory_order_relaxed);
	if (mp->zero_copy && q->client) {
		q->done = pos;
		q->bufs = calloc(q->size, sizeof(struct tern_pkt *));
		if (q->bufs == NULL)
			return -ENOMEM;
		if (q->rx)
			tern_memif_zc_fill(q, r);
	}
	/* Release: the fields above before a poller that loads the ring. */
	atomic_store_explicit(&q->ring, r, memory_order_release);
	return 0;
}

void tern_memif_log_up(struct memif_port *mp)
{
	char zc[48] = "";

	if (mp->zero_copy)
		snprintf(zc, sizeof(zc), ", zero-copy from %u pool region%s", mp->regs.n - 1u,
		         mp->regs.n == 2 ? "" : "s");
	tern_log(TERN_LOG_INFO, MEMIF_LOG,
	         "%s: connected to %s as %s: %u C2S and %u S2C rings of %u slots, %u-byte "
	         "buffers%s",
	         mp->dev.name, mp->remote[0] != '\0' ? mp->remote : "peer",
	         mp->role == MEMIF_ROLE_SERVER ? "server" : "client", mp->n_c2s, mp->n_s2c,
	         1u << mp->run_log2, mp->bsize, zc);
	atomic_store_explicit(&mp->state, MEMIF_UP, memory_order_relaxed);
	mp->said_refused = false;
	mp->said_secret = false;
	if (mp->sock != NULL)
		mp->sock->said_id = false;
}

/* Server, on CONNECT: map, check every ring, publish the queues. */
const char *tern_memif_server_connect(struct memif_port *mp)
{
	struct tern_port_dev *dev = &mp->dev;
	struct memif_ring *rings[2][MEMIF_MAX_QUEUES];
	const char *why = NULL;
	uint16_t nc = 0, ns = 0;

	if (mp->regs.n == 0)
		return "no region added";
	while (nc < MEMIF_MAX_QUEUES && mp->c2s[nc].set)
		nc++;
	while (ns < MEMIF_MAX_QUEUES && mp->s2c[ns].set)
		ns++;
	for (uint16_t i = nc; i < MEMIF_MAX_QUEUES; i++)
		if (mp->c2s[i].set)
			return "ring indices not contiguous";
	for (uint16_t i = ns; i < MEMIF_MAX_QUEUES; i++)
		if (mp->s2c[i].set)
			return "ring indices not contiguous";
	if (nc == 0 || ns == 0)
		return "no ring in one direction";
	for (uint16_t i = 0; i < mp->regs.n; i++) {
		why = region_map(&mp->regs.r[i]);
		if (why != NULL)
			return why;
	}
	for (uint16_t i = 0; i < nc; i++) {
		rings[0][i] = ring_at(&mp->regs, &mp->c2s[i], &why);
		if (rings[0][i] == NULL)
			return why;
		if (mp->c2s[i].log2 != mp->c2s[0].log2)
			return "rings of different sizes";
	}
	for (uint16_t i = 0; i < ns; i++) {
		rings[1][i] = ring_at(&mp->regs, &mp->s2c[i], &why);
		if (rings[1][i] == NULL)
			return why;
		if (mp->s2c[i].log2 != mp->c2s[0].log2)
			return "rings of different sizes";
	}
	mp->n_c2s = nc;
	mp->n_s2c = ns;
	mp->run_log2 = mp->c2s[0].log2;
	/*
	 * Both sides start every ring at head = tail = 0, as DPDK's net_memif
	 * does on connect; the client offers its S2C buffers after CONNECTED.
	 * We receive on C2S and poll: no kicks wanted.
	 */
	for (uint16_t k = 0; k < 2; k++)
		for (int i = 0; i < (k == 0 ? nc : ns); i++) {
			atomic_store_explicit(&rings[k][i]->head, 0, memory_order_relaxed);
			atomic_store_explicit(&rings[k][i]->tail, 0, memory_order_relaxed);
			if (k == 0)
				rings[k][i]->flags = MEMIF_RING_FLAG_MASK_INT;
		}
	for (uint16_t i = 0; i < nc && i < tern_port_dev_nb_rxq(dev); i++)
		(void)queue_publish(mp, tern_port_dev_rxq(dev, i), rings[0][i], mp->c2s[i].log2, 0,
		                    0, -1);
	for (uint16_t i = 0; i < ns && i < tern_port_dev_nb_txq(dev); i++)
		(void)queue_publish(mp, tern_port_dev_txq(dev, i), rings[1][i], mp->s2c[i].log2, 0,
		                    0, mp->s2c[i].fd);
	return NULL;
}

/*
 * Zero-copy: one region per packet pool of the RX queues (DPDK's net_memif
 * shares every memseg list the same way), each by the descriptor of the
 * DMA allocation behind it (tern_dma_fd). Region 0 is made already.
 */
static const char *zc_regions(struct memif_port *mp, uint16_t max_region)
{
	struct tern_port_dev *dev = &mp->dev;

	for (uint16_t i = 0; i < mp->n_s2c && i < tern_port_dev_nb_rxq(dev); i++) {
		struct memif_queue *q = tern_port_dev_rxq(dev, i);
		const char *mem;
		uint16_t k;

		if (q == NULL)
			continue;
		mem = q->mp->mem;
		for (k = 1; k < mp->regs.n; k++)
			if ((uintptr_t)mem - (uintptr_t)mp->regs.r[k].addr < mp->regs.r[k].size)
				break;
		if (k == mp->regs.n) {
			struct memif_region *r = &mp->regs.r[k];
			size_t len;
			void *base;
			int fd;

			if (k >= MEMIF_MAX_REGIONS || k > max_region)
				return "the server takes too few regions for every RX pool "
				       "(zero-copy): give the RX queues one pool";
			fd = tern_dma_fd(mem, &base, &len);
			if (fd < 0)
				return "cannot share an RX pool's memory (zero-copy needs "
				       "hugepages)";
			*r = (struct memif_region){
			    .addr = base, .size = len, .fd = fd, .borrowed = true};
			mp->regs.n++;
			if (len > MEMIF_MAX_REGION_SZ)
				return "an RX pool is larger than 4 GiB: too large for a memif "
				       "region";
		}
		q->zc_region = k;
	}
	return NULL;
}

/*
 * Client, on HELLO: region 0 (the rings, then a buffer per slot: for every
 * ring in copy mode, for the C2S rings only in zero-copy, where the RX
 * buffers are the pools' own), the pools' regions in zero-copy, and one
 * eventfd per ring.
 */
const char *tern_memif_client_region(struct memif_port *mp, uint16_t max_region)
{
	struct memif_region *r = &mp->regs.r[0];
	uint32_t slots = 1u << mp->run_log2;
	uint16_t nr = (uint16_t)(mp->n_c2s + mp->n_s2c);
	uint16_t nbuf = mp->zero_copy ? mp->n_c2s : nr;
	uint64_t rb = memif_ring_bytes(mp->run_log2);
	uint64_t buf0 = (nr * rb + 63) & ~63ull;
	uint64_t size = buf0 + (uint64_t)nbuf * slots * mp->bsize;

	if (size > MEMIF_MAX_REGION_SZ)
		return "region would exceed 4 GiB: use a smaller rsize= or bsize=";
	r->fd = memfd_create("tern-memif", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (r->fd < 0)
		return "memfd_create failed";
	r->size = size;
	mp->regs.n = 1;
	if (ftruncate(r->fd, (off_t)size) != 0 || fcntl(r->fd, F_ADD_SEALS, F_SEAL_SHRINK) != 0)
		return "cannot size the region";
	r->addr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	if (r->addr == MAP_FAILED) {
		r->addr = NULL;
		return "cannot map the region";
	}
	for (uint16_t i = 0; i < nr; i++) {
		struct memif_ring *ring = (struct memif_ring *)((char *)r->addr + i * rb);
		bool s2c = i >= mp->n_c2s;
		uint64_t b = buf0 + (uint64_t)i * slots * mp->bsize;

		ring->cookie = MEMIF_COOKIE;
		ring->flags = s2c ? MEMIF_RING_FLAG_MASK_INT : 0; /* we poll what we receive */
		for (uint32_t j = 0; j < slots && i < nbuf; j++)
			ring->desc[j] =
			    (struct memif_desc){.region = 0,
			                        .offset = (uint32_t)(b + (uint64_t)j * mp->bsize),
			                        .length = mp->bsize};
		atomic_store_explicit(&ring->tail, 0, memory_order_relaxed);
		/* Copy mode: an S2C ring starts with every buffer offered to the server. */
		atomic_store_explicit(&ring->head, s2c && i < nbuf ? (uint16_t)slots : 0,
		                      memory_order_relaxed);
		mp->efd[s2c][s2c ? i - mp->n_c2s : i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (mp->efd[s2c][s2c ? i - mp->n_c2s : i] < 0)
			return "eventfd failed";
	}
	return mp->zero_copy ? zc_regions(mp, max_region) : NULL;
}

const char *tern_memif_client_connected(struct memif_port *mp)
{
	struct tern_port_dev *dev = &mp->dev;
	uint32_t slots = 1u << mp->run_log2;
	uint64_t rb = memif_ring_bytes(mp->run_log2);
	uint16_t nr = (uint16_t)(mp->n_c2s + mp->n_s2c);
	uint16_t nbuf = mp->zero_copy ? mp->n_c2s : nr;
	uint64_t buf0 = (nr * rb + 63) & ~63ull;
	char *base = mp->regs.r[0].addr;
	int ret = 0;

	/*
	 * The server may have reset head and tail on CONNECT (DPDK does): start
	 * again from 0 and offer every S2C buffer now that it is connected (in
	 * zero-copy, queue_publish offers pool buffers).
	 */
	for (uint16_t k = 0; k < nr; k++) {
		struct memif_ring *ring = (struct memif_ring *)(base + k * rb);
		uint64_t b = buf0 + (uint64_t)k * slots * mp->bsize;

		for (uint32_t j = 0; j < slots; j++) {
			struct memif_desc d = {0}; /* zero-copy RX: a pool buffer comes later */

			if (k < nbuf)
				d = (struct memif_desc){.offset =
				                            (uint32_t)(b + (uint64_t)j * mp->bsize),
				                        .length = mp->bsize};
			ring->desc[j] = d;
		}
		ring->flags = k >= mp->n_c2s ? MEMIF_RING_FLAG_MASK_INT : 0;
		atomic_store_explicit(&ring->tail, 0, memory_order_relaxed);
		/* Release: the descriptors before the server sees them offered. */
		atomic_store_explicit(&ring->head, k >= mp->n_c2s && k < nbuf ? (uint16_t)slots : 0,
		                      memory_order_release);
	}
	for (uint16_t i = 0; i < mp->n_c2s && i < tern_port_dev_nb_txq(dev) && ret == 0; i++)
		ret = queue_publish(mp, tern_port_dev_txq(dev, i),
		                    (struct memif_ring *)(base + i * rb), mp->run_log2, 0,
		                    buf0 + (uint64_t)i * slots * mp->bsize, mp->efd[0][i]);
	for (uint16_t i = 0; i < mp->n_s2c && i < tern_port_dev_nb_rxq(dev) && ret == 0; i++) {
		uint16_t k = (uint16_t)(mp->n_c2s + i);

		ret = queue_publish(mp, tern_port_dev_rxq(dev, i),
		                    (struct memif_ring *)(base + k * rb), mp->run_log2, 0,
		                    buf0 + (uint64_t)k * slots * mp->bsize, -1);
	}
	if (ret != 0)
		return "out of memory for the zero-copy slot tables";
	tern_memif_log_up(mp);
	return NULL;
}

/* ---- sockets ------------------------------------------------------------ */

struct memif_port *tern_memif_find_port(struct memif_sock *s, uint32_t id)
{
	for (struct memif_port *p = s->ports; p != NULL; p = p->next_on_sock)
		if (p->id == id)
			return p;
	return NULL;
}

static void server_accept(struct memif_sock *s)
{
	for (int k = 0; k < 16; k++) {
		unsigned pending = 0;
		struct memif_cc *cc;
		uint16_t maxq = 1;
		uint8_t maxl = 1;
		int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			return;
		for (cc = s->ccs; cc != NULL; cc = cc->next)
			pending += cc->port == NULL;
		if (pending >= MEMIF_MAX_PENDING) {
			close(fd); /* a flood of idle connections: refuse */
			continue;
		}
		cc = cc_new(s, fd);
		if (cc == NULL)
			continue;
		for (struct memif_port *p = s->ports; p != NULL; p = p->next_on_sock) {
			maxq = TERN_MAX(maxq, TERN_MAX(tern_port_dev_nb_rxq(&p->dev),
			                               tern_port_dev_nb_txq(&p->dev)));
			maxl = TERN_MAX(maxl, p->log2);
		}
		if (tern_memif_send_hello(fd, maxq, maxl) != 0)
			tern_memif_cc_close(cc);
	}
}

static void client_try_connect(struct memif_port *mp, uint64_t now)
{
	struct memif_sock *s = mp->sock;
	struct sockaddr_un un;
	socklen_t alen = sock_addr(&un, s);
	char buf[160];
	int fd;

	mp->retry_ns = now + MEMIF_RETRY_NS;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (connect(fd, (struct sockaddr *)&un, alen) != 0) {
		if (!mp->said_refused)
			tern_log(TERN_LOG_WARNING, MEMIF_LOG,
			         "%s: no memif server on %s yet (%s): retrying every 100 ms",
			         mp->dev.name, tern_memif_sock_name(s, buf, sizeof(buf)),
			         strerror(errno));
		mp->said_refused = true;
		close(fd);
		return;
	}
	mp->cc = cc_new(s, fd);
	if (mp->cc == NULL)
		return;
	mp->cc->port = mp;
	mp->remote[0] = '\0';
	atomic_store_explicit(&mp->state, MEMIF_CONNECTING, memory_order_relaxed);
}

/* Timeouts, retries, queues the fast path flagged. Lock held. */
static void periodic(void)
{
	uint64_t now = now_ns();

	for (struct memif_sock *s = socks; s != NULL; s = s->next) {
		struct memif_cc *cc, *next;

		for (cc = s->ccs; cc != NULL; cc = next) {
			next = cc->next;
			if (now > cc->deadline_ns &&
			    (cc->port == NULL ||
			     atomic_load_explicit(&cc->port->state, memory_order_relaxed) !=
			         MEMIF_UP))
				tern_memif_cc_fail(cc, "handshake timed out");
		}
		for (struct memif_port *p = s->ports; p != NULL; p = p->next_on_sock) {
			struct tern_port_dev *dev = &p->dev;
			bool bad = false;

			/* Queues exist (and may be read) only while started: release follows stop.
			 */
			if (!p->started)
				continue;

			for (uint16_t i = 0; i < tern_port_dev_nb_rxq(dev); i++)
				bad |= tern_port_dev_rxq(dev, i) != NULL &&
				       atomic_load_explicit(
				           &((struct memif_queue *)tern_port_dev_rxq(dev, i))->bad,
				           memory_order_relaxed);
			for (uint16_t i = 0; i < tern_port_dev_nb_txq(dev); i++)
				bad |= tern_port_dev_txq(dev, i) != NULL &&
				       atomic_load_explicit(
				           &((struct memif_queue *)tern_port_dev_txq(dev, i))->bad,
				           memory_order_relaxed);
			if (bad)
				tern_memif_disconnect(p,
				                      "the peer broke the ring protocol "
				                      "(index or descriptor out of range)",
				                      true);
			if (s->role == MEMIF_ROLE_CLIENT && p->started && p->cc == NULL &&
			    now >= p->retry_ns)
				client_try_connect(p, now);
		}
	}
}

#define MAX_POLL 256

void tern_memif_service(int timeout_ms)
{
	struct pollfd pfd[MAX_POLL];
	nfds_t n = 0;

	if (timeout_ms == 0) {
		if (pthread_mutex_trylock(&tern_memif_lock) != 0)
			return; /* the control thread is at it */
	} else {
		pthread_mutex_lock(&tern_memif_lock);
	}
	periodic();
	for (struct memif_sock *s = socks; s != NULL && n < MAX_POLL; s = s->next) {
		if (s->listen_fd >= 0)
			pfd[n++] = (struct pollfd){.fd = s->listen_fd, .events = POLLIN};
		for (struct memif_cc *cc = s->ccs; cc != NULL && n < MAX_POLL; cc = cc->next)
			pfd[n++] = (struct pollfd){.fd = cc->fd, .events = POLLIN};
	}
	if (timeout_ms != 0) {
		pthread_mutex_unlock(&tern_memif_lock);
		(void)poll(pfd, n, timeout_ms);
		pthread_mutex_lock(&tern_memif_lock);
	} else {
		(void)poll(pfd, n, 0);
	}
	for (nfds_t i = 0; i < n; i++) {
		if (pfd[i].revents == 0)
			continue;
		/* Objects may have gone while unlocked: find the fd again. */
		for (struct memif_sock *s = socks; s != NULL; s = s->next) {
			struct memif_cc *cc;

			if (s->listen_fd == pfd[i].fd) {
				server_accept(s);
				break;
			}
			for (cc = s->ccs; cc != NULL && cc->fd != pfd[i].fd; cc = cc->next)
				;
			if (cc != NULL) {
				/* A bounded number per pass: a flooding peer cannot keep us here.
				 */
				for (int k = 0; k < 64 && tern_memif_cc_read(cc) == 1; k++)
					;
				break;
			}
		}
	}
	pthread_mutex_unlock(&tern_memif_lock);
}

static void *ctl_main(void *arg)
{
	(void)arg;
	while (!atomic_load_explicit(&thread_stop, memory_order_relaxed))
		tern_memif_service(50);
	return NULL;
}

/* Server: the listening socket. A stale socket file (nobody listening) is replaced. */
static int sock_listen(struct memif_sock *s, const char *devname)
{
	struct sockaddr_un un;
	socklen_t alen = sock_addr(&un, s);
	struct stat st;
	int fd;

	if (!s->abstract && lstat(s->path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			return tern_error(EEXIST, MEMIF_LOG,
			                  "%s: socket=%s exists and is not a socket: remove it or "
			                  "choose another path",
			                  devname, s->path);
		}
		fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&un, alen) == 0) {
			close(fd);
			return tern_error(EADDRINUSE, MEMIF_LOG,
			                  "%s: another memif server already listens on %s: choose "
			                  "another socket=",
			                  devname, s->path);
		}
		if (fd >= 0)
			close(fd);
		unlink(s->path); /* stale: its server is gone */
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return tern_error(errno, MEMIF_LOG, "%s: no unix socket: %s", devname,
		                  strerror(errno));
	if (bind(fd, (struct sockaddr *)&un, alen) != 0 || listen(fd, 8) != 0) {
		int err = errno;

		close(fd);
		return tern_error(
		    err, MEMIF_LOG, "%s: cannot listen on %s%s: %s%s", devname,
		    s->abstract ? "abstract socket @" : "", s->path, strerror(err),
		    err == EADDRINUSE ? " (another server has it: choose another socket=)" : "");
	}
	s->listen_fd = fd;
	return 0;
}

int tern_memif_sock_attach(struct memif_port *mp, const char *path, bool abstract)
{
	struct memif_sock *s;
	int ret;

	pthread_mutex_lock(&tern_memif_lock);
	for (s = socks; s != NULL; s = s->next)
		if (s->abstract == abstract && s->role == mp->role && strcmp(s->path, path) == 0)
			break;
	if (s != NULL && tern_memif_find_port(s, mp->id) != NULL) {
		pthread_mutex_unlock(&tern_memif_lock);
		return tern_error(EEXIST, MEMIF_LOG,
		                  "%s: id=%u is already used on socket %s: give each port "
		                  "on one socket its own id=",
		                  mp->dev.name, mp->id, path);
	}
	if (s == NULL) {
		s = calloc(1, sizeof(*s));
		if (s == NULL) {
			pthread_mutex_unlock(&tern_memif_lock);
			return tern_error(ENOMEM, MEMIF_LOG, "%s: out of memory", mp->dev.name);
		}
		snprintf(s->path, sizeof(s->path), "%s", path);
		s->abstract = abstract;
		s->role = mp->role;
		s->listen_fd = -1;
		if (mp->role == MEMIF_ROLE_SERVER) {
			ret = sock_listen(s, mp->dev.name);
			if (ret < 0) {
				free(s);
				pthread_mutex_unlock(&tern_memif_lock);
				return ret;
			}
		}
		s->next = socks;
		socks = s;
	}
	mp->sock = s;
	mp->next_on_sock = s->ports;
	s->ports = mp;
	if (nb_ports++ == 0 && !tern_memif_no_thread) {
		atomic_store(&thread_stop, false);
		thread_running = pthread_create(&ctl_thread, NULL, ctl_main, NULL) == 0;
		if (!thread_running)
			tern_log(
			    TERN_LOG_WARNING, MEMIF_LOG,
			    "no control thread: memif sockets are serviced from link_get() only");
	}
	pthread_mutex_unlock(&tern_memif_lock);
	return 0;
}

void tern_memif_sock_detach(struct memif_port *mp)
{
	struct memif_sock *s = mp->sock;
	bool join = false;

	pthread_mutex_lock(&tern_memif_lock);
	tern_memif_disconnect(mp, NULL, true);
	for (struct memif_port **pp = &s->ports; *pp != NULL; pp = &(*pp)->next_on_sock)
		if (*pp == mp) {
			*pp = mp->next_on_sock;
			break;
		}
	if (s->ports == NULL) {
		struct memif_sock **sp;

		while (s->ccs != NULL)
			tern_memif_cc_close(s->ccs);
		if (s->listen_fd >= 0) {
			close(s->listen_fd);
			if (!s->abstract)
				unlink(s->path);
		}
		for (sp = &socks; *sp != s; sp = &(*sp)->next)
			;
		*sp = s->next;
		free(s);
	}
	if (--nb_ports == 0 && thread_running) {
		atomic_store(&thread_stop, true);
		thread_running = false;
		join = true;
	}
	pthread_mutex_unlock(&tern_memif_lock);
	if (join)
		pthread_join(ctl_thread, NULL);
}

/* Zero-copy shares the RX pools: find out now, with one clear line, if one cannot be. */
static int zc_check(struct memif_port *mp)
{
	struct tern_port_dev *dev = &mp->dev;

	for (uint16_t i = 0; i < tern_port_dev_nb_rxq(dev); i++) {
		struct memif_queue *q = tern_port_dev_rxq(dev, i);
		size_t len;
		void *base;
		int fd;

		if (q == NULL)
			continue;
		fd = tern_dma_fd(q->mp->mem, &base, &len);
		if (fd == -ENOTSUP)
			return tern_error(ENOTSUP, MEMIF_LOG,
			                  "%s: zero-copy=yes shares RX pool '%s' with the server, "
			                  "but it is private memory (--no-huge): run with "
			                  "hugepages or use zero-copy=no",
			                  dev->name, tern_mempool_name(q->mp));
		if (fd < 0)
			return tern_error(-fd, MEMIF_LOG,
			                  "%s: zero-copy=yes: cannot share RX pool '%s': %s",
			                  dev->name, tern_mempool_name(q->mp), strerror(-fd));
		close(fd);
		if (len > MEMIF_MAX_REGION_SZ || q->room == 0)
			return tern_error(EINVAL, MEMIF_LOG,
			                  "%s: zero-copy=yes: RX pool '%s' must be a packet pool "
			                  "of at most 4 GiB (a memif region)",
			                  dev->name, tern_mempool_name(q->mp));
	}
	return 0;
}

int tern_memif_start(struct memif_port *mp)
{
	if (mp->zero_copy && mp->role == MEMIF_ROLE_CLIENT) {
		int ret = zc_check(mp);

		if (ret < 0)
			return ret;
	}
	pthread_mutex_lock(&tern_memif_lock);
	mp->started = true;
	mp->retry_ns = 0; /* a client connects on the next pass */
	mp->said_refused = false;
	pthread_mutex_unlock(&tern_memif_lock);
	tern_memif_service(0);
	return 0;
}

void tern_memif_stop(struct memif_port *mp)
{
	pthread_mutex_lock(&tern_memif_lock);
	mp->started = false;
	tern_memif_disconnect(mp, "interface stopped", true);
	pthread_mutex_unlock(&tern_memif_lock);
}
