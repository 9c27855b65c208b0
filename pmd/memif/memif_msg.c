/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * memif_msg.c - the memif control messages (memif_proto.h): building and
 * queueing them, sending them with the file descriptor they pass, reading
 * one from the peer, checking it and acting on it (server and client sides).
 *
 * Runs under tern_memif_lock, called from memif_ctl.c, which owns the
 * sockets and connections and sets up the regions and rings the messages
 * describe.
 *
 * Every message from the peer is checked before it is acted on: its size,
 * type, the state it may arrive in, indices, sizes, the file descriptor it
 * carries (any extra or unexpected one is closed).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "memif.h"
#include "tern_log.h"
#include "tern_unix.h"
/* A peer's string: up to n bytes, stopped at the first NUL, non-printables as '?'. */
static void peer_string(char *dst, const uint8_t *src, size_t n)
{
	size_t i;

	for (i = 0; i < n && src[i] != '\0'; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? (char)src[i] : '?';
	dst[i] = '\0';
}

/* ---- messages ----------------------------------------------------------- */

static int msg_send(int fd, const struct memif_msg *msg, int pass_fd)
{
	ssize_t ret = tern_unix_send(fd, msg, sizeof(*msg), &pass_fd, pass_fd >= 0, MSG_DONTWAIT);

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

void tern_memif_send_disconnect(int fd, const char *reason)
{
	struct memif_msg m;

	memset(&m, 0, sizeof(m));
	m.type = MEMIF_MSG_DISCONNECT;
	put_string(m.disconnect.string, reason, MEMIF_DISC_SZ);
	(void)msg_send(fd, &m, -1);
}

/* Server: HELLO on a socket it just accepted, with the limits of its ports. */
int tern_memif_send_hello(int fd, uint16_t maxq, uint8_t maxl)
{
	struct memif_msg h;

	memset(&h, 0, sizeof(h));
	h.type = MEMIF_MSG_HELLO;
	put_string(h.hello.name, "tern", MEMIF_NAME_SZ);
	h.hello.min_version = MEMIF_VERSION;
	h.hello.max_version = MEMIF_VERSION;
	h.hello.max_region = MEMIF_MAX_REGIONS - 1;
	h.hello.max_c2s_ring = (uint16_t)(maxq - 1);
	h.hello.max_s2c_ring = (uint16_t)(maxq - 1);
	h.hello.max_log2_ring_size = maxl;
	return msg_send(fd, &h, -1);
}

/* ---- message handling --------------------------------------------------- */

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
		p = tern_memif_find_port(cc->sock, in->id);
		if (p == NULL) {
			/* Once per id in a row: a client retries every 100 ms or so. */
			if (!cc->sock->said_id || cc->sock->bad_id != in->id)
				tern_log(TERN_LOG_WARNING, MEMIF_LOG,
				         "socket %s: a client asked for id %u, which no memif port "
				         "serves",
				         tern_memif_sock_name(cc->sock, buf, sizeof(buf)), in->id);
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
		why = tern_memif_server_connect(mp);
		if (why != NULL)
			return why;
		if (send_simple(cc, MEMIF_MSG_CONNECTED, mp->dev.name) != 0)
			return "cannot queue a message";
		tern_memif_log_up(mp);
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
		why = tern_memif_client_region(mp, h->max_region);
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
		for (i = 0; i < mp->regs.n; i++) {
			struct memif_msg ar;

			memset(&ar, 0, sizeof(ar));
			ar.type = MEMIF_MSG_ADD_REGION;
			ar.add_region.index = i;
			ar.add_region.size = mp->regs.r[i].size;
			if (cc_enq(cc, &ar, mp->regs.r[i].fd) != 0)
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
	case MEMIF_MSG_ACK: /* paces our next message (tern_memif_cc_read sends it) */
		return state == MEMIF_CONNECTING && mp->regs.n != 0 && cc->out_n != 0
		           ? NULL
		           : "unexpected ACK";
	case MEMIF_MSG_CONNECTED:
		if (state != MEMIF_CONNECTING || mp->regs.n == 0)
			return "unexpected CONNECTED";
		return tern_memif_client_connected(mp);
	default:
		return "Unexpected message";
	}
}

/*
 * Read one message. Returns 1 if one was handled, 0 if none is waiting, -1
 * if the connection is gone (cc freed).
 */
int tern_memif_cc_read(struct memif_cc *cc)
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
		memif_close_fd(&fd);
		if (cc->port != NULL)
			tern_memif_disconnect(cc->port, "the peer closed the socket", false);
		else
			tern_memif_cc_close(cc);
		return -1;
	}
	if (len != (ssize_t)sizeof(m) || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0) {
		why = "Invalid message size";
	} else if (m.type == MEMIF_MSG_DISCONNECT) {
		char reason[MEMIF_DISC_SZ + 48];
		char s[MEMIF_DISC_SZ + 1];

		peer_string(s, m.disconnect.string, MEMIF_DISC_SZ);
		memif_close_fd(&fd);
		if (cc->port == NULL) {
			tern_memif_cc_close(cc);
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
	memif_close_fd(&fd);
	if (why == NULL && cc_send_next(cc) != 0)
		why = "cannot send to the peer";
	if (why != NULL) {
		tern_memif_cc_fail(cc, why);
		return -1;
	}
	return 1;
}
