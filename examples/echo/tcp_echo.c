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
#include <stdlib.h>

#include <lwip/pbuf.h>
#include <lwip/tcp.h>

#include "echo.h"

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
}

/* Detach our callbacks and close (FIN after what is queued); abort if that fails. */
static err_t conn_close(struct conn *c)
{
	struct tcp_pcb *pcb = c->pcb;

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
		u16_t room = tcp_sndbuf(c->pcb);
		u16_t len = c->pending->len < room ? c->pending->len : room;
		err_t e;

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
	echo_ctr_add(&ctr->tcp_conns, 1);
	tcp_arg(pcb, c);
	tcp_recv(pcb, on_recv);
	tcp_sent(pcb, on_sent);
	tcp_err(pcb, on_err);
	/* An echo is interactive: send small segments at once (RFC 896's delay off). */
	tcp_nagle_disable(pcb);
	return ERR_OK;
}

int echo_tcp_listen(struct echo_counters *counters)
{
	struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_V4);

	ctr = counters;
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
