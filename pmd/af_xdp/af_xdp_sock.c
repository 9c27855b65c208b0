/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * af_xdp_sock.c - the af_xdp driver's sockets: one XSK socket per queue
 * pair, its UMEM the memory of the RX queue's pool (the layout is described
 * at the top of af_xdp.c); the table of buffers lent to the kernel; and at
 * close, every one of them back in its pool. af_xdp.c's start and stop call
 * tern_axp_pair_open() and tern_axp_pair_close() for each pair.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/socket.h>

#include "af_xdp.h"
#include "tern_error.h"
#include "tern_log.h"

#ifndef SO_PREFER_BUSY_POLL
#define SO_PREFER_BUSY_POLL 69
#endif
#ifndef SO_BUSY_POLL_BUDGET
#define SO_BUSY_POLL_BUDGET 70
#endif

/* ---- buffers lent to the kernel ----------------------------------------- */

int tern_axp_lent_init(struct axp_lent *l, struct tern_mempool *mp)
{
	l->size = tern_mempool_size(mp);
	l->count = 0;
	l->pkt = calloc(l->size, sizeof(struct tern_pkt *)); /* one pointer per buffer */
	return l->pkt == NULL ? -ENOMEM : 0;
}

/* After the socket is closed: whatever the kernel still had goes back to the pool. */
static void lent_return_all(struct axp_lent *l)
{
	for (uint32_t i = 0; i < l->size && l->count > 0; i++)
		if (l->pkt[i] != NULL) {
			tern_pkt_free(l->pkt[i]);
			l->pkt[i] = NULL;
			l->count--;
		}
}

void tern_axp_lent_free(struct axp_lent *l)
{
	free(l->pkt);
	*l = (struct axp_lent){0};
}

/* ---- sockets ------------------------------------------------------------ */

static uint32_t pow2_ceil(uint32_t v)
{
	uint32_t p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

/* XDP_STATISTICS of a socket (af_xdp.rst: counters since the socket was made). */
void tern_axp_sock_kstats(int fd, struct xdp_statistics *st)
{
	socklen_t len = sizeof(*st);

	memset(st, 0, sizeof(*st));
	if (fd >= 0)
		(void)getsockopt(fd, SOL_XDP, XDP_STATISTICS, st, &len);
}

/*
 * One XSK socket on NIC queue `nic_q`, its UMEM the memory of umem_rxq's pool. rxq or
 * txq may be NULL (a TX-only or RX-only pair); their ring structs are filled.
 */
static int sock_open(struct axp_port *ap, struct axp_sock *s, uint32_t nic_q,
                     const struct axp_rxq *umem_rxq, struct axp_rxq *rxq, struct axp_txq *txq,
                     uint8_t **basep, uint64_t *lenp)
{
	const size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct tern_mempool *mp = umem_rxq->mp;
	/* The page holding the pool's first byte: pointer arithmetic, no int-to-pointer cast. */
	uint8_t *base = (uint8_t *)mp->mem - ((uintptr_t)mp->mem & (page - 1));
	uint64_t len = TERN_ALIGN_CEIL((uintptr_t)mp->mem + mp->mem_len, page) - (uintptr_t)base;
	struct xsk_ring_prod *fill = rxq != NULL ? &rxq->fill : &s->fill_unused;
	struct xsk_ring_cons *comp = txq != NULL ? &txq->comp : &s->comp_unused;
	uint32_t nrx = rxq != NULL ? pow2_ceil(rxq->target) : 0;
	uint32_t ntx = txq != NULL ? pow2_ceil(txq->target) : 0;
	struct xsk_umem_config uc = {
	    .fill_size = nrx != 0 ? nrx : AXP_MIN_DESC,
	    .comp_size = ntx != 0 ? 2 * ntx : AXP_MIN_DESC,
	    .frame_size = umem_rxq->buf_len,
	    .frame_headroom = 0,
	    .flags = XDP_UMEM_UNALIGNED_CHUNK_FLAG,
	};
	struct xsk_socket_config sc = {
	    .rx_size = nrx != 0 ? nrx : AXP_MIN_DESC,
	    .tx_size = ntx != 0 ? ntx : AXP_MIN_DESC,
	    .libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD, /* af_xdp_prog.c does it */
	    .bind_flags = XDP_USE_NEED_WAKEUP,
	};
	struct xdp_options opts;
	socklen_t optlen = sizeof(opts);
	int ret;

	/*
	 * libxdp fills in the ring structs but leaves the fill ring's
	 * cached_prod as it finds it: a restart on the same queue struct would
	 * produce from the old socket's index, and the kernel read zeroed
	 * entries (chunk 0) up to it. Start every ring from zero.
	 */
	memset(fill, 0, sizeof(*fill));
	memset(comp, 0, sizeof(*comp));
	if (rxq != NULL)
		memset(&rxq->rx, 0, sizeof(rxq->rx));
	if (txq != NULL)
		memset(&txq->tx, 0, sizeof(txq->tx));
	if (ap->mode == AXP_MODE_ZC)
		sc.bind_flags |= XDP_ZEROCOPY;
	else if (ap->mode == AXP_MODE_COPY)
		sc.bind_flags |= XDP_COPY;
	ret = xsk_umem__create(&s->umem, base, len, fill, comp, &uc);
	if (ret < 0) {
		(void)tern_error(
		    ret, AXP_LOG,
		    "%s: queue %u: registering pool %s (%" PRIu64 " bytes) as UMEM: %s%s",
		    ap->dev.name, nic_q, tern_mempool_name(mp), len, strerror(-ret),
		    ret == -ENOMEM || ret == -EPERM
		        ? ": the UMEM is locked memory: raise RLIMIT_MEMLOCK (ulimit -l) or "
		          "run as root"
		        : "");
		s->umem = NULL;
		return ret;
	}
	ret = xsk_socket__create(&s->xsk, ap->iface, nic_q, s->umem, rxq != NULL ? &rxq->rx : NULL,
	                         txq != NULL ? &txq->tx : NULL, &sc);
	if (ret < 0) {
		if (ap->mode == AXP_MODE_ZC && (ret == -EOPNOTSUPP || ret == -EINVAL))
			(void)tern_error(
			    ret, AXP_LOG,
			    "%s: %s refuses zero-copy AF_XDP on queue %u (%s): its driver "
			    "has no XSK zero-copy support; use mode=copy or mode=auto",
			    ap->dev.name, ap->iface, nic_q, strerror(-ret));
		else
			(void)tern_error(ret, AXP_LOG, "%s: XSK socket on %s queue %u: %s",
			                 ap->dev.name, ap->iface, nic_q, strerror(-ret));
		s->xsk = NULL;
		xsk_umem__delete(s->umem);
		s->umem = NULL;
		return ret;
	}
	s->fd = xsk_socket__fd(s->xsk);
	s->zc = getsockopt(s->fd, SOL_XDP, XDP_OPTIONS, &opts, &optlen) == 0 &&
	        (opts.flags & XDP_OPTIONS_ZEROCOPY);
	if (ap->busy_budget > 0) {
		int one = 1, usecs = 20, budget = (int)ap->busy_budget;

		/* Documentation/networking/napi.rst: preferred busy polling. */
		if (setsockopt(s->fd, SOL_SOCKET, SO_PREFER_BUSY_POLL, &one, sizeof(one)) < 0 ||
		    setsockopt(s->fd, SOL_SOCKET, SO_BUSY_POLL, &usecs, sizeof(usecs)) < 0 ||
		    setsockopt(s->fd, SOL_SOCKET, SO_BUSY_POLL_BUDGET, &budget, sizeof(budget)) < 0)
			tern_log(TERN_LOG_WARNING, AXP_LOG,
			         "%s: busy polling on queue %u: %s (needs CAP_NET_ADMIN for a "
			         "budget); going on without it",
			         ap->dev.name, nic_q, strerror(errno));
	}
	*basep = base;
	*lenp = len;
	return 0;
}

static void sock_close(struct axp_sock *s)
{
	if (s->xsk != NULL)
		xsk_socket__delete(s->xsk);
	if (s->umem != NULL)
		xsk_umem__delete(s->umem);
	*s = (struct axp_sock){.fd = -1};
}

/* ---- queue pairs -------------------------------------------------------- */

/* Close pair i's socket and take every buffer back; keep its kernel counters. */
void tern_axp_pair_close(struct axp_port *ap, uint16_t i)
{
	struct tern_port_dev *dev = &ap->dev;
	struct axp_rxq *rxq = i < tern_port_dev_nb_rxq(dev) ? tern_port_dev_rxq(dev, i) : NULL;
	struct axp_txq *txq = i < tern_port_dev_nb_txq(dev) ? tern_port_dev_txq(dev, i) : NULL;
	struct axp_sock *s = rxq != NULL ? &rxq->sock : (txq != NULL ? &txq->sock : NULL);
	struct xdp_statistics st;

	if (s == NULL || s->xsk == NULL)
		return;
	if (rxq != NULL)
		tern_axp_prog_map_clear(ap, ap->start_queue + i);
	tern_axp_sock_kstats(s->fd, &st);
	if (rxq != NULL) {
		rxq->k_rx_dropped += st.rx_dropped;
		rxq->k_rx_invalid += st.rx_invalid_descs;
		rxq->k_rx_ring_full += st.rx_ring_full;
		rxq->k_fill_empty += st.rx_fill_ring_empty_descs;
	}
	if (txq != NULL) {
		/* Completions already there: counted and freed the ordinary way. */
		tern_axp_tx_complete(txq);
		txq->k_tx_invalid += st.tx_invalid_descs;
		txq->k_tx_ring_empty += st.tx_ring_empty_descs;
	}
	tern_log(TERN_LOG_DEBUG, AXP_LOG,
	         "%s: queue %u: XDP_STATISTICS rx_dropped %llu rx_invalid_descs %llu "
	         "rx_ring_full %llu rx_fill_ring_empty_descs %llu tx_invalid_descs %llu "
	         "tx_ring_empty_descs %llu",
	         dev->name, i, st.rx_dropped, st.rx_invalid_descs, st.rx_ring_full,
	         st.rx_fill_ring_empty_descs, st.tx_invalid_descs, st.tx_ring_empty_descs);
	sock_close(s);
	/* The socket is gone: no ring refers to any buffer any more. */
	if (rxq != NULL) {
		lent_return_all(&rxq->lent);
		rxq->fd = -1;
	}
	if (txq != NULL) {
		lent_return_all(&txq->lent);
		tern_axp_lent_free(&txq->lent);
		txq->fd = -1;
		txq->rxq = NULL;
	}
}

int tern_axp_pair_open(struct axp_port *ap, uint16_t i, bool *zc)
{
	struct tern_port_dev *dev = &ap->dev;
	struct axp_rxq *rxq = i < tern_port_dev_nb_rxq(dev) ? tern_port_dev_rxq(dev, i) : NULL;
	struct axp_txq *txq = i < tern_port_dev_nb_txq(dev) ? tern_port_dev_txq(dev, i) : NULL;
	/* A TX-only pair (more TX than RX queues) takes the memory of RX queue 0. */
	struct axp_rxq *umem_rxq = rxq != NULL ? rxq : tern_port_dev_rxq(dev, 0);
	struct axp_sock *s;
	uint8_t *base;
	uint64_t len;
	int ret;

	/* start() opens pairs 0 .. max(nb_rxq, nb_txq) - 1: each has one queue at least. */
	if (rxq == NULL && txq == NULL)
		return tern_error(EINVAL, AXP_LOG,
		                  "%s: queue pair %u has neither an RX nor a TX queue",
		                  ap->dev.name, i);
	s = rxq != NULL ? &rxq->sock : &txq->sock;
	ret = sock_open(ap, s, ap->start_queue + i, umem_rxq, rxq, txq, &base, &len);
	if (ret < 0)
		return ret;
	*zc = s->zc;
	if (txq != NULL) {
		txq->base = base;
		txq->umem_len = len;
		txq->mp = umem_rxq->mp;
		txq->buf_off = umem_rxq->buf_off;
		txq->buf_len = umem_rxq->buf_len;
		txq->fd = s->fd;
		txq->rxq = rxq;
		ret = tern_axp_lent_init(&txq->lent, txq->mp);
		if (ret < 0)
			return ret;
	}
	if (rxq != NULL) {
		rxq->base = base;
		rxq->umem_len = len;
		rxq->fd = s->fd;
		tern_axp_rx_refill(rxq);
		return tern_axp_prog_map_set(ap, ap->start_queue + i, s->fd);
	}
	return 0;
}
