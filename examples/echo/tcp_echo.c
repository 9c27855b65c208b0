/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp_echo.c - the RFC 862 TCP echo service on lwIP's raw API: "once a
 * connection is established any data received is sent back", until the
 * client closes.
 *
 * Everything here runs with lwIP's core lock held (on the tcpip thread, or
 * under LOCK_TCPIP_CORE). Flow control: data is acknowledged to the sender
 * (tcp_recved opens the window again) only once it has been copied into the
 * send buffer, so a client that does not read stops being able to write.
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include <lwip/pbuf.h>
#include <lwip/priv/tcp_priv.h>
#include <lwip/tcp.h>

#include "echo.h"

/*
 * Bounds (doc/echo.md "Resource bounds"). lwIP as Debian builds it takes
 * every pcb, segment and pbuf from malloc (MEM_LIBC_MALLOC, MEMP_MEM_MALLOC)
 * with no limit of its own, so tern-echo keeps it bounded from outside:
 *   - connections: at most max_conns open, max_per_source of them from one
 *     address, and max_half_open in SYN_RCVD (the oldest dropped for a new
 *     one), checked on each SYN before lwIP sees it (stack.c: drain);
 *   - per connection: the receive window is cut to conn_bytes at accept,
 *     and no more than conn_bytes wait in the send queue, so a peer that
 *     sends and never reads holds at most about 2 * conn_bytes;
 *   - in total: lwIP's heap (malloc's count, less what was in use when the
 *     stack started) is measured now and then; above mem_limit new SYNs are
 *     dropped, out-of-order queues freed, and the fullest connection reset.
 * A pbuf chain of many small segments is copied into one block, so tiny
 * segments cannot multiply the overhead per byte.
 */
#define COALESCE_AT 16 /* pbufs in a connection's pending chain */

static unsigned max_conns, max_half_open, max_per_source, conn_bytes;
static size_t mem_limit, mem_base;
static bool mem_over;
static unsigned nb_conns;

struct conn {
	struct tcp_pcb *pcb;
	struct pbuf *pending; /* received, not yet in the send buffer */
	bool peer_closed;     /* FIN received: close once pending is sent */
	struct conn *next, *prev;
};

static struct tcp_pcb *listener;
static struct conn *conns; /* every open connection, for echo_tcp_close_all() */
static struct echo_counters *ctr;

static void conn_forget(struct conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (c->pending)
		pbuf_free(c->pending);
	free(c);
	nb_conns--;
}

/* Detach our callbacks and close (FIN after what is queued); abort if that fails. */
static err_t conn_close(struct conn *c)
{
	struct tcp_pcb *pcb = c->pcb;

	/*
	 * Everything received was consumed (pending is empty here): say so, or
	 * tcp_close() takes the window we cut at accept for unread data and
	 * resets the connection instead of closing it.
	 */
	if (c->pending == NULL)
		pcb->rcv_wnd = TCP_WND_MAX(pcb);
	tcp_arg(pcb, NULL);
	tcp_recv(pcb, NULL);
	tcp_sent(pcb, NULL);
	tcp_err(pcb, NULL);
	conn_forget(c);
	if (tcp_close(pcb) == ERR_OK)
		return ERR_OK;
	tcp_abort(pcb);
	return ERR_ABRT;
}

/*
 * Move pending data into the send buffer as far as it has room. Returns
 * ERR_OK, or ERR_ABRT if the pcb was aborted (a callback must then return
 * ERR_ABRT to lwIP); c may be freed either way once the peer has closed.
 */
static err_t conn_push(struct conn *c)
{
	bool wrote = false;

	while (c->pending != NULL) {
		/* What the send queue holds already counts against conn_bytes. */
		u32_t queued = (u32_t)TCP_SND_BUF - tcp_sndbuf(c->pcb);
		u16_t room = queued >= conn_bytes ? 0 : (u16_t)(conn_bytes - queued);
		u16_t len;
		err_t e;

		if (room > tcp_sndbuf(c->pcb))
			room = tcp_sndbuf(c->pcb);
		len = c->pending->len < room ? c->pending->len : room;

		if (len == 0)
			break;
		e = tcp_write(c->pcb, c->pending->payload, len, TCP_WRITE_FLAG_COPY);
		if (e == ERR_MEM)
			break; /* the send queue is full: tcp_sent() will call us again */
		if (e != ERR_OK) {
			struct tcp_pcb *pcb = c->pcb;

			tcp_arg(pcb, NULL);
			conn_forget(c);
			tcp_abort(pcb);
			return ERR_ABRT;
		}
		wrote = true;
		echo_ctr_add(&ctr->tcp_bytes, len);
		tcp_recved(c->pcb, len);
		c->pending = pbuf_free_header(c->pending, len);
	}
	if (wrote)
		tcp_output(c->pcb);
	if (c->pending == NULL && c->peer_closed)
		return conn_close(c);
	return ERR_OK;
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct conn *c = arg;

	(void)pcb;
	if (c == NULL) {
		if (p)
			pbuf_free(p);
		return ERR_OK;
	}
	if (p == NULL) {
		/* The client closed its side: finish echoing, then close ours. */
		c->peer_closed = true;
		return conn_push(c);
	}
	if (err != ERR_OK) {
		pbuf_free(p);
		return err;
	}
	if (c->pending)
		pbuf_cat(c->pending, p);
	else
		c->pending = p;
	/* One block instead of many small ones (pbuf_coalesce keeps the chain if it cannot). */
	if (pbuf_clen(c->pending) > COALESCE_AT)
		c->pending = pbuf_coalesce(c->pending, PBUF_RAW);
	return conn_push(c);
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct conn *c = arg;

	(void)pcb;
	(void)len;
	return c != NULL ? conn_push(c) : ERR_OK;
}

/* The pcb is already gone (RST, or tcp_abort): forget our side. */
static void on_err(void *arg, err_t err)
{
	(void)err;
	if (arg != NULL)
		conn_forget(arg);
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct conn *c;

	(void)arg;
	if (err != ERR_OK || pcb == NULL)
		return ERR_VAL;
	if (nb_conns >= max_conns) {
		/* Several half-open ones completed at once: reset the late ones. */
		echo_ctr_add(&ctr->tcp_refused, 1);
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	/*
	 * The window announced in the SYN-ACK was lwIP's TCP_WND; from here on
	 * only conn_bytes are accepted (lwIP trims what lies past rcv_wnd, and
	 * tcp_recved() gives back only what conn_push() moved on).
	 */
	if (pcb->rcv_wnd > conn_bytes)
		pcb->rcv_wnd = conn_bytes;
	if (pcb->rcv_ann_wnd > conn_bytes)
		pcb->rcv_ann_wnd = conn_bytes;
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	c->pcb = pcb;
	c->next = conns;
	if (conns)
		conns->prev = c;
	conns = c;
	nb_conns++;
	echo_ctr_add(&ctr->tcp_conns, 1);
	tcp_arg(pcb, c);
	tcp_recv(pcb, on_recv);
	tcp_sent(pcb, on_sent);
	tcp_err(pcb, on_err);
	/* An echo is interactive: send small segments at once (RFC 896's delay off). */
	tcp_nagle_disable(pcb);
	return ERR_OK;
}

/* Bytes malloc has handed out and not had back, over every arena (mallinfo2(3)). */
static size_t heap_used(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

bool echo_tcp_admit_syn(const uint8_t src_ip[4])
{
	struct tcp_pcb *oldest = NULL;
	unsigned half = 0, from_src = 0;
	u32_t src;

	if (mem_over) {
		echo_ctr_add(&ctr->tcp_mem_refused, 1);
		return false;
	}
	if (nb_conns >= max_conns) {
		echo_ctr_add(&ctr->tcp_refused, 1);
		return false;
	}
	memcpy(&src, src_ip, 4);
	/*
	 * Bounded walk: admission keeps the list to about max_conns +
	 * max_half_open pcbs (plus those closing).
	 */
	for (struct tcp_pcb *p = tcp_active_pcbs; p != NULL; p = p->next) {
		from_src += ip_2_ip4(&p->remote_ip)->addr == src;
		if (p->state != SYN_RCVD)
			continue;
		half++;
		/* pcb->tmr: the tcp_ticks of its last event, here when the SYN came. */
		if (oldest == NULL || (s32_t)(p->tmr - oldest->tmr) < 0)
			oldest = p;
	}
	if (from_src >= max_per_source) {
		echo_ctr_add(&ctr->tcp_source_refused, 1);
		return false;
	}
	if (half >= max_half_open && oldest != NULL) {
		/*
		 * A SYN flood fills the half-open slots with peers that never
		 * answer; keeping them would lock real clients out until lwIP
		 * times them out (20 s). The oldest goes, silently (no RST to a
		 * source that may be forged), as a SYN queue drops its head.
		 */
		echo_ctr_add(&ctr->tcp_syn_dropped, 1);
		tcp_abandon(oldest, 0);
		half--;
	}
	if (nb_conns + half >= max_conns) {
		echo_ctr_add(&ctr->tcp_refused, 1);
		return false;
	}
	return true;
}

void echo_tcp_check_memory(void)
{
	size_t used = heap_used();
	size_t lwip = used > mem_base ? used - mem_base : 0;
	struct conn *fullest = NULL;
	size_t most = 0;

	if (lwip > echo_ctr_get(&ctr->stack_mem_peak))
		echo_ctr_add(&ctr->stack_mem_peak, lwip - echo_ctr_get(&ctr->stack_mem_peak));
	mem_over = lwip > mem_limit;
	if (!mem_over)
		return;
	/* Out-of-order data is only an optimisation: the peer retransmits it. */
	for (struct tcp_pcb *p = tcp_active_pcbs; p != NULL; p = p->next)
		if (p->ooseq != NULL)
			tcp_free_ooseq(p);
	used = heap_used();
	if ((used > mem_base ? used - mem_base : 0) <= mem_limit)
		return;
	for (struct conn *c = conns; c != NULL; c = c->next) {
		size_t q = (c->pending ? c->pending->tot_len : 0) +
		           ((size_t)TCP_SND_BUF - tcp_sndbuf(c->pcb));

		if (q >= most) {
			most = q;
			fullest = c;
		}
	}
	if (fullest != NULL) {
		echo_ctr_add(&ctr->tcp_mem_aborted, 1);
		tcp_abort(fullest->pcb); /* on_err() forgets it */
	}
}

int echo_tcp_listen(struct echo_counters *counters, const struct echo_options *opt)
{
	struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_V4);

	ctr = counters;
	max_conns = opt->tcp_max_conns;
	max_half_open = opt->tcp_max_half_open;
	max_per_source = opt->tcp_max_per_source;
	conn_bytes = opt->tcp_conn_bytes;
	mem_limit = (size_t)opt->stack_mem_mb << 20;
	mem_base = heap_used();
	if (pcb == NULL)
		return -1;
	if (tcp_bind(pcb, IP4_ADDR_ANY, ECHO_PORT) != ERR_OK) {
		tcp_close(pcb);
		return -1;
	}
	listener = tcp_listen(pcb);
	if (listener == NULL) {
		tcp_close(pcb);
		return -1;
	}
	tcp_accept(listener, on_accept);
	return 0;
}

void echo_tcp_close_all(void)
{
	/* tcp_abort() calls on_err(), which unlinks the connection. */
	while (conns != NULL)
		tcp_abort(conns->pcb);
	if (listener != NULL) {
		tcp_close(listener);
		listener = NULL;
	}
}
