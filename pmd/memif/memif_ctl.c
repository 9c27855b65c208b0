/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * memif_ctl.c - the memif control path: unix sockets, the message exchange
 * (memif_proto.h), regions and rings, connect and disconnect.
 *
 * Everything here runs under tern_memif_lock, from the control thread (one
 * per process, a poll() over every memif socket with a 50 ms timeout) or
 * from link_get() (a non-blocking pass). Sockets are non-blocking: a peer
 * that stops talking cannot hang us, and one that never finishes the
 * handshake is dropped after MEMIF_HANDSHAKE_NS.
 *
 * Every message from the peer is checked before it is acted on: its size,
 * type, the state it may arrive in, indices, sizes, the file descriptor it
 * carries (any extra or unexpected one is closed). A region is mapped only
 * if the file is at least as large as announced and sealed against
 * shrinking (F_SEAL_SHRINK, as DPDK, libmemif and VPP create theirs): a
 * peer could otherwise truncate it under us and turn our reads into SIGBUS.
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

/* A peer's string: up to n bytes, stopped at the first NUL, non-printables as '?'. */
static void peer_string(char *dst, const uint8_t *src, size_t n)
{
	size_t i;

	for (i = 0; i < n && src[i] != '\0'; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? (char)src[i] : '?';
	dst[i] = '\0';
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

static const char *sock_name(const struct memif_sock *s, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", s->abstract ? "@" : "", s->path);
	return buf;
}

/* ---- messages ----------------------------------------------------------- */

static int msg_send(int fd, const struct memif_msg *msg, int pass_fd)
{
	char ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = (void *)msg, .iov_len = sizeof(*msg)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t ret;

	if (pass_fd >= 0) {
		struct cmsghdr *c;

		memset(ctl, 0, sizeof(ctl));
		mh.msg_control = ctl;
		mh.msg_controllen = sizeof(ctl);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
	}
	ret = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	return ret == (ssize_t)sizeof(*msg) ? 0 : -EIO;
}

/* Copy a string into a fixed protocol field, NUL-padded, at most n - 1 bytes. */
static void put_string(uint8_t *dst, const char *src, size_t n)
{
	size_t len = strlen(src);

	memcpy(dst, src, len < n - 1 ? len : n - 1);
}

/* Queue a message (sent by cc_send_next); 0 or -ENOSPC. */
static int cc_enq(struct memif_cc *cc, const struct memif_msg *m, int pass_fd)
{
	unsigned k;

	if (cc->out_n == MEMIF_OUTQ)
		return -ENOSPC;
	k = (cc->out_head + cc->out_n++) % MEMIF_OUTQ;
	cc->out[k] = *m;
	cc->out_fd[k] = pass_fd;
	return 0;
}

/* Send the next queued message, if any. */
static int cc_send_next(struct memif_cc *cc)
{
	int ret;

	if (cc->out_n == 0)
		return 0;
	ret = msg_send(cc->fd, &cc->out[cc->out_head], cc->out_fd[cc->out_head]);
	cc->out_head = (uint8_t)((cc->out_head + 1) % MEMIF_OUTQ);
	cc->out_n--;
	return ret;
}

static int send_simple(struct memif_cc *cc, uint16_t type, const char *name)
{
	struct memif_msg m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	if (name != NULL)
		put_string(m.connect.if_name, name, MEMIF_NAME_SZ);
	return cc_enq(cc, &m, -1);
}

static void send_disconnect(int fd, const char *reason)
{
	struct memif_msg m;

	memset(&m, 0, sizeof(m));
	m.type = MEMIF_MSG_DISCONNECT;
	put_string(m.disconnect.string, reason, MEMIF_DISC_SZ);
	(void)msg_send(fd, &m, -1);
}

/* ---- connections -------------------------------------------------------- */

static void cc_close(struct memif_cc *cc)
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
	atomic_store_explicit(&q->bad, 0, memory_order_relaxed);
	q->kick_fd = -1;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
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
			send_disconnect(mp->cc->fd, reason);
		cc_close(mp->cc);
	}
	for (uint16_t i = 0; i < mp->regs.n; i++) {
		struct memif_region *r = &mp->regs.r[i];

		if (r->addr != NULL)
			munmap(r->addr, r->size);
		r->addr = NULL;
		close_fd(&r->fd);
	}
	mp->regs.n = 0;
	for (int i = 0; i < MEMIF_MAX_QUEUES; i++) {
		if (mp->c2s[i].set)
			close_fd(&mp->c2s[i].fd);
		if (mp->s2c[i].set)
			close_fd(&mp->s2c[i].fd);
		mp->c2s[i].set = mp->s2c[i].set = false;
		close_fd(&mp->efd[0][i]);
		close_fd(&mp->efd[1][i]);
	}
	mp->n_c2s = mp->n_s2c = 0;
	atomic_store_explicit(&mp->state, MEMIF_DOWN, memory_order_relaxed);
	mp->retry_ns = now_ns() + MEMIF_RETRY_NS;
	if (old != MEMIF_DOWN && reason != NULL)
		tern_log(TERN_LOG_WARNING, MEMIF_LOG, "%s: disconnected from %s: %s", dev->name,
		         mp->remote[0] != '\0' ? mp->remote : "the peer", reason);
}

/* A protocol failure on a connection: tell the peer, log one line, drop it. */
static void cc_fail(struct memif_cc *cc, const char *reason)
{
	if (cc->port != NULL) {
		tern_memif_disconnect(cc->port, reason, true);
		return;
	}
	send_disconnect(cc->fd, reason);
	cc_close(cc);
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

/* Hand a ring to a queue: every field first, the ring pointer last (release). */
static void queue_publish(struct memif_port *mp, struct memif_queue *q, struct memif_ring *r,
                          uint8_t log2, uint16_t pos, uint64_t buf0, int kick_fd)
{
	if (q == NULL)
		return; /* not set up: stays idle */
	q->size = (uint16_t)(1u << log2);
	q->mask = (uint16_t)(q->size - 1);
	q->pos = pos;
	q->client = mp->role == MEMIF_ROLE_CLIENT;
	q->bsize = mp->bsize;
	q->buf0 = buf0;
	q->regs = &mp->regs;
	q->kick_fd = kick_fd;
	atomic_store_explicit(&q->bad, 0, memory_order_relaxed);
	/* Release: the fields above before a poller that loads the ring. */
	atomic_store_explicit(&q->ring, r, memory_order_release);
}

static void log_up(struct memif_port *mp)
{
	tern_log(TERN_LOG_INFO, MEMIF_LOG,
	         "%s: connected to %s as %s: %u C2S and %u S2C rings of %u slots, %u-byte buffers",
	         mp->dev.name, mp->remote[0] != '\0' ? mp->remote : "peer",
	         mp->role == MEMIF_ROLE_SERVER ? "server" : "client", mp->n_c2s, mp->n_s2c,
	         1u << mp->run_log2, mp->bsize);
	atomic_store_explicit(&mp->state, MEMIF_UP, memory_order_relaxed);
	mp->said_refused = false;
	mp->said_secret = false;
	if (mp->sock != NULL)
		mp->sock->said_id = false;
}

/* Server, on CONNECT: map, check every ring, publish the queues. */
static const char *server_connect(struct memif_port *mp)
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
		queue_publish(mp, tern_port_dev_rxq(dev, i), rings[0][i], mp->c2s[i].log2, 0, 0,
		              -1);
	for (uint16_t i = 0; i < ns && i < tern_port_dev_nb_txq(dev); i++)
		queue_publish(mp, tern_port_dev_txq(dev, i), rings[1][i], mp->s2c[i].log2, 0, 0,
		              mp->s2c[i].fd);
	return NULL;
}

/* Client, on HELLO: the region (rings, then buffers) and one eventfd per ring. */
static const char *client_region(struct memif_port *mp)
{
	struct memif_region *r = &mp->regs.r[0];
	uint32_t slots = 1u << mp->run_log2;
	uint16_t nr = (uint16_t)(mp->n_c2s + mp->n_s2c);
	uint64_t rb = memif_ring_bytes(mp->run_log2);
	uint64_t buf0 = (nr * rb + 63) & ~63ull;
	uint64_t size = buf0 + (uint64_t)nr * slots * mp->bsize;

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
		for (uint32_t j = 0; j < slots; j++)
			ring->desc[j] =
			    (struct memif_desc){.region = 0,
			                        .offset = (uint32_t)(b + (uint64_t)j * mp->bsize),
			                        .length = mp->bsize};
		atomic_store_explicit(&ring->tail, 0, memory_order_relaxed);
		/* An S2C ring starts with every buffer offered to the server. */
		atomic_store_explicit(&ring->head, s2c ? (uint16_t)slots : 0, memory_order_relaxed);
		mp->efd[s2c][s2c ? i - mp->n_c2s : i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (mp->efd[s2c][s2c ? i - mp->n_c2s : i] < 0)
			return "eventfd failed";
	}
	return NULL;
}

static void client_connected(struct memif_port *mp)
{
	struct tern_port_dev *dev = &mp->dev;
	uint32_t slots = 1u << mp->run_log2;
	uint64_t rb = memif_ring_bytes(mp->run_log2);
	uint16_t nr = (uint16_t)(mp->n_c2s + mp->n_s2c);
	uint64_t buf0 = (nr * rb + 63) & ~63ull;
	char *base = mp->regs.r[0].addr;

	/*
	 * The server may have reset head and tail on CONNECT (DPDK does): start
	 * again from 0 and offer every S2C buffer now that it is connected.
	 */
	for (uint16_t k = 0; k < nr; k++) {
		struct memif_ring *ring = (struct memif_ring *)(base + k * rb);
		uint64_t b = buf0 + (uint64_t)k * slots * mp->bsize;

		for (uint32_t j = 0; j < slots; j++)
			ring->desc[j] =
			    (struct memif_desc){.region = 0,
			                        .offset = (uint32_t)(b + (uint64_t)j * mp->bsize),
			                        .length = mp->bsize};
		ring->flags = k >= mp->n_c2s ? MEMIF_RING_FLAG_MASK_INT : 0;
		atomic_store_explicit(&ring->tail, 0, memory_order_relaxed);
		/* Release: the descriptors before the server sees them offered. */
		atomic_store_explicit(&ring->head, k >= mp->n_c2s ? (uint16_t)slots : 0,
		                      memory_order_release);
	}
	for (uint16_t i = 0; i < mp->n_c2s && i < tern_port_dev_nb_txq(dev); i++)
		queue_publish(mp, tern_port_dev_txq(dev, i), (struct memif_ring *)(base + i * rb),
		              mp->run_log2, 0, buf0 + (uint64_t)i * slots * mp->bsize,
		              mp->efd[0][i]);
	for (uint16_t i = 0; i < mp->n_s2c && i < tern_port_dev_nb_rxq(dev); i++) {
		uint16_t k = (uint16_t)(mp->n_c2s + i);

		queue_publish(mp, tern_port_dev_rxq(dev, i), (struct memif_ring *)(base + k * rb),
		              mp->run_log2, 0, buf0 + (uint64_t)k * slots * mp->bsize, -1);
	}
	log_up(mp);
}

/* ---- message handling --------------------------------------------------- */

static struct memif_port *find_port(struct memif_sock *s, uint32_t id)
{
	for (struct memif_port *p = s->ports; p != NULL; p = p->next_on_sock)
		if (p->id == id)
			return p;
	return NULL;
}

/* Server side. Returns NULL or the reason to disconnect. *fd is taken when used. */
static const char *server_msg(struct memif_cc *cc, const struct memif_msg *m, int *fd)
{
	struct memif_port *mp = cc->port;
	char buf[160];

	if (mp == NULL && m->type != MEMIF_MSG_INIT)
		return "unexpected message before INIT";
	switch (m->type) {
	case MEMIF_MSG_INIT: {
		const struct memif_msg_init *in = &m->init;
		struct memif_port *p;

		if (mp != NULL)
			return "INIT twice";
		if (in->version != MEMIF_VERSION)
			return "Incompatible memif version";
		p = find_port(cc->sock, in->id);
		if (p == NULL) {
			/* Once per id in a row: a client retries every 100 ms or so. */
			if (!cc->sock->said_id || cc->sock->bad_id != in->id)
				tern_log(TERN_LOG_WARNING, MEMIF_LOG,
				         "socket %s: a client asked for id %u, which no memif port "
				         "serves",
				         sock_name(cc->sock, buf, sizeof(buf)), in->id);
			cc->sock->said_id = true;
			cc->sock->bad_id = in->id;
			return "ID not found";
		}
		if (!p->started)
			return "Interface not started";
		if (p->cc != NULL)
			return "Already connected";
		if (in->mode != MEMIF_MODE_ETHERNET)
			return "Only ethernet mode supported";
		if (strncmp(p->secret, (const char *)in->secret, MEMIF_SECRET_SZ) != 0) {
			if (!p->said_secret)
				tern_log(TERN_LOG_WARNING, MEMIF_LOG,
				         "%s: a client gave %s secret: check secret= on both sides",
				         p->dev.name,
				         p->secret[0] != '\0' && in->secret[0] == '\0'
				             ? "no"
				             : "the wrong");
			p->said_secret = true;
			return p->secret[0] != '\0' && in->secret[0] == '\0' ? "Secret required"
			                                                     : "Incorrect secret";
		}
		cc->port = p;
		p->cc = cc;
		peer_string(p->remote, in->name, MEMIF_NAME_SZ);
		atomic_store_explicit(&p->state, MEMIF_CONNECTING, memory_order_relaxed);
		return send_simple(cc, MEMIF_MSG_ACK, NULL) == 0 ? NULL : "cannot queue a message";
	}
	case MEMIF_MSG_ADD_REGION: {
		const struct memif_msg_add_region *ar = &m->add_region;
		struct memif_region *r;

		if (*fd < 0)
			return "Missing region fd";
		if (ar->index != mp->regs.n || ar->index >= MEMIF_MAX_REGIONS)
			return "Invalid region index";
		if (ar->size == 0 || ar->size > MEMIF_MAX_REGION_SZ)
			return "Invalid region size";
		r = &mp->regs.r[mp->regs.n++];
		r->fd = *fd;
		*fd = -1;
		r->size = ar->size;
		r->addr = NULL;
		return send_simple(cc, MEMIF_MSG_ACK, NULL) == 0 ? NULL : "cannot queue a message";
	}
	case MEMIF_MSG_ADD_RING: {
		const struct memif_msg_add_ring *ar = &m->add_ring;
		bool c2s = ar->flags & MEMIF_ADD_RING_FLAG_C2S;
		struct memif_ring_info *ri;
		uint16_t nq = c2s ? tern_port_dev_nb_rxq(&mp->dev) : tern_port_dev_nb_txq(&mp->dev);

		if (*fd < 0)
			return "Missing interrupt fd";
		if (ar->index >= nq || ar->index >= MEMIF_MAX_QUEUES)
			return "Invalid ring index";
		ri = c2s ? &mp->c2s[ar->index] : &mp->s2c[ar->index];
		if (ri->set)
			return "Ring added twice";
		if (ar->log2_ring_size == 0 || ar->log2_ring_size > mp->log2) {
			if (!mp->said_secret)
				tern_log(TERN_LOG_WARNING, MEMIF_LOG,
				         "%s: the client asks for rings of 2^%u slots, above this "
				         "server's "
				         "rsize=%u: lower the client's rsize",
				         mp->dev.name, ar->log2_ring_size, mp->log2);
			mp->said_secret = true;
			return "Ring size above the server's maximum";
		}
		ri->set = true;
		ri->region = ar->region;
		ri->offset = ar->offset;
		ri->log2 = ar->log2_ring_size;
		ri->fd = *fd;
		*fd = -1;
		return send_simple(cc, MEMIF_MSG_ACK, NULL) == 0 ? NULL : "cannot queue a message";
	}
	case MEMIF_MSG_CONNECT: {
		const char *why;

		if (atomic_load_explicit(&mp->state, memory_order_relaxed) != MEMIF_CONNECTING)
			return "CONNECT twice";
		why = server_connect(mp);
		if (why != NULL)
			return why;
		if (send_simple(cc, MEMIF_MSG_CONNECTED, mp->dev.name) != 0)
			return "cannot queue a message";
		log_up(mp);
		return NULL;
	}
	default:
		return "Unexpected message";
	}
}

/* Client side. */
static const char *client_msg(struct memif_cc *cc, const struct memif_msg *m)
{
	struct memif_port *mp = cc->port;
	int state = atomic_load_explicit(&mp->state, memory_order_relaxed);

	switch (m->type) {
	case MEMIF_MSG_HELLO: {
		const struct memif_msg_hello *h = &m->hello;
		const char *why;
		uint16_t i;

		if (mp->regs.n != 0)
			return "HELLO twice";
		if (h->min_version > MEMIF_VERSION || h->max_version < MEMIF_VERSION)
			return "Incompatible memif version";
		peer_string(mp->remote, h->name, MEMIF_NAME_SZ);
		mp->n_c2s = (uint16_t)TERN_MIN((uint32_t)tern_port_dev_nb_txq(&mp->dev),
		                               (uint32_t)h->max_c2s_ring + 1);
		mp->n_s2c = (uint16_t)TERN_MIN((uint32_t)tern_port_dev_nb_rxq(&mp->dev),
		                               (uint32_t)h->max_s2c_ring + 1);
		mp->run_log2 = mp->log2;
		if (h->max_log2_ring_size < mp->log2) {
			if (h->max_log2_ring_size == 0)
				return "server allows no ring";
			mp->run_log2 = h->max_log2_ring_size;
			tern_log(TERN_LOG_WARNING, MEMIF_LOG,
			         "%s: rsize=%u is above the server's maximum %u: using rings of "
			         "2^%u slots",
			         mp->dev.name, mp->log2, h->max_log2_ring_size, mp->run_log2);
		}
		if (mp->n_c2s < tern_port_dev_nb_txq(&mp->dev) ||
		    mp->n_s2c < tern_port_dev_nb_rxq(&mp->dev))
			tern_log(TERN_LOG_WARNING, MEMIF_LOG,
			         "%s: the server takes %u TX and %u RX rings: the other queues "
			         "stay idle",
			         mp->dev.name, mp->n_c2s, mp->n_s2c);
		why = client_region(mp);
		if (why != NULL)
			return why;
		{
			struct memif_msg in;

			memset(&in, 0, sizeof(in));
			in.type = MEMIF_MSG_INIT;
			in.init.version = MEMIF_VERSION;
			in.init.id = mp->id;
			in.init.mode = MEMIF_MODE_ETHERNET;
			memcpy(in.init.secret, mp->secret, strnlen(mp->secret, MEMIF_SECRET_SZ));
			put_string(in.init.name, "tern", MEMIF_NAME_SZ);
			if (cc_enq(cc, &in, -1) != 0)
				return "cannot queue a message";
		}
		{
			struct memif_msg ar;

			memset(&ar, 0, sizeof(ar));
			ar.type = MEMIF_MSG_ADD_REGION;
			ar.add_region.index = 0;
			ar.add_region.size = mp->regs.r[0].size;
			if (cc_enq(cc, &ar, mp->regs.r[0].fd) != 0)
				return "cannot queue a message";
		}
		for (i = 0; i < mp->n_c2s + mp->n_s2c; i++) {
			struct memif_msg ar;
			bool s2c = i >= mp->n_c2s;
			uint16_t idx = s2c ? (uint16_t)(i - mp->n_c2s) : i;

			memset(&ar, 0, sizeof(ar));
			ar.type = MEMIF_MSG_ADD_RING;
			ar.add_ring.flags = s2c ? 0 : MEMIF_ADD_RING_FLAG_C2S;
			ar.add_ring.index = idx;
			ar.add_ring.region = 0;
			ar.add_ring.offset = (uint32_t)(i * memif_ring_bytes(mp->run_log2));
			ar.add_ring.log2_ring_size = mp->run_log2;
			if (cc_enq(cc, &ar, mp->efd[s2c][idx]) != 0)
				return "cannot queue a message";
		}
		return send_simple(cc, MEMIF_MSG_CONNECT, mp->dev.name) == 0
		           ? NULL
		           : "cannot queue a message";
	}
	case MEMIF_MSG_ACK: /* paces our next message (cc_read sends it) */
		return state == MEMIF_CONNECTING && mp->regs.n != 0 && cc->out_n != 0
		           ? NULL
		           : "unexpected ACK";
	case MEMIF_MSG_CONNECTED:
		if (state != MEMIF_CONNECTING || mp->regs.n == 0)
			return "unexpected CONNECTED";
		client_connected(mp);
		return NULL;
	default:
		return "Unexpected message";
	}
}

/*
 * Read one message. Returns 1 if one was handled, 0 if none is waiting, -1
 * if the connection is gone (cc freed).
 */
static int cc_read(struct memif_cc *cc)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} ctl;
	struct memif_msg m;
	struct iovec iov = {.iov_base = &m, .iov_len = sizeof(m)};
	struct msghdr mh = {.msg_iov = &iov,
	                    .msg_iovlen = 1,
	                    .msg_control = ctl.buf,
	                    .msg_controllen = sizeof(ctl.buf)};
	const char *why = NULL;
	int fd = -1;
	ssize_t len;

	len = recvmsg(cc->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (len < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	/* Every descriptor that came along: keep the first, close the rest. */
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); len > 0 && c != NULL;
	     c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t k = 0; k < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); k++) {
			int f;

			memcpy(&f, CMSG_DATA(c) + k * sizeof(int), sizeof(int));
			if (fd < 0)
				fd = f;
			else
				close(f);
		}
	}
	if (len <= 0) {
		close_fd(&fd);
		if (cc->port != NULL)
			tern_memif_disconnect(cc->port, "the peer closed the socket", false);
		else
			cc_close(cc);
		return -1;
	}
	if (len != (ssize_t)sizeof(m) || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0) {
		why = "Invalid message size";
	} else if (m.type == MEMIF_MSG_DISCONNECT) {
		char reason[MEMIF_DISC_SZ + 48];
		char s[MEMIF_DISC_SZ + 1];

		peer_string(s, m.disconnect.string, MEMIF_DISC_SZ);
		close_fd(&fd);
		if (cc->port == NULL) {
			cc_close(cc);
			return -1;
		}
		snprintf(reason, sizeof(reason), "the peer said: %s", s);
		/* Log a refusal only once while it repeats (a client retries every 100 ms). */
		if (atomic_load_explicit(&cc->port->state, memory_order_relaxed) != MEMIF_UP &&
		    cc->port->said_refused) {
			tern_memif_disconnect(cc->port, NULL, false);
			return -1;
		}
		cc->port->said_refused = true;
		tern_memif_disconnect(cc->port, reason, false);
		/* A refusal while connecting is logged too (disconnect logs only from
		 * UP/CONNECTING). */
		return -1;
	} else if (cc->sock->role == MEMIF_ROLE_SERVER) {
		why = server_msg(cc, &m, &fd);
	} else {
		why = client_msg(cc, &m);
	}
	close_fd(&fd);
	if (why == NULL && cc_send_next(cc) != 0)
		why = "cannot send to the peer";
	if (why != NULL) {
		cc_fail(cc, why);
		return -1;
	}
	return 1;
}

/* ---- sockets ------------------------------------------------------------ */

static void server_accept(struct memif_sock *s)
{
	for (int k = 0; k < 16; k++) {
		unsigned pending = 0;
		struct memif_msg h;
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
		memset(&h, 0, sizeof(h));
		h.type = MEMIF_MSG_HELLO;
		put_string(h.hello.name, "tern", MEMIF_NAME_SZ);
		h.hello.min_version = MEMIF_VERSION;
		h.hello.max_version = MEMIF_VERSION;
		h.hello.max_region = MEMIF_MAX_REGIONS - 1;
		h.hello.max_c2s_ring = (uint16_t)(maxq - 1);
		h.hello.max_s2c_ring = (uint16_t)(maxq - 1);
		h.hello.max_log2_ring_size = maxl;
		if (msg_send(fd, &h, -1) != 0)
			cc_close(cc);
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
			         mp->dev.name, sock_name(s, buf, sizeof(buf)), strerror(errno));
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
				cc_fail(cc, "handshake timed out");
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
				for (int k = 0; k < 64 && cc_read(cc) == 1; k++)
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
	if (s != NULL && find_port(s, mp->id) != NULL) {
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
			cc_close(s->ccs);
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

int tern_memif_start(struct memif_port *mp)
{
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
